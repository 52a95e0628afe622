//! Outputs of the pull mode (`botwire_output`), outcomes of calls (`botwire_call_result`),
//! and their accessors.

use crate::event::botwire_event;
use crate::json::{output_to_json, request_to_json};
use crate::machine::action_failure_info;
use crate::types::{
    botwire_header, botwire_http_request, botwire_output_kind, botwire_str, write_text, LazyText,
    Text,
};
use crate::{botwire_result, guard, out_arg, Failure};
use botwire_core::io::{HttpMethod, HttpRequest};
use botwire_core::runtime::bot::ActionFailure;
use serde_json::{json, Value};
use std::cell::OnceCell;
use std::rc::Rc;

/// An HTTP request kept in C-readable form: the URL and the headers copied into one buffer,
/// each followed by a NUL byte, and the body as it is.
pub(crate) struct HttpParts {
    request: HttpRequest,
    /// The URL and the header names and values, each NUL-terminated, one after the other.
    strings: Vec<u8>,
    /// Point into `strings`, which is not touched again after they are made.
    views: Vec<botwire_header>,
}

/// The method names as C strings.
fn method_text(method: HttpMethod) -> &'static [u8] {
    match method {
        HttpMethod::Get => b"GET\0",
        HttpMethod::Post => b"POST\0",
    }
}

impl HttpParts {
    pub(crate) fn new(request: HttpRequest) -> Self {
        let size = request.url.len()
            + 1
            + request
                .headers
                .iter()
                .map(|(n, v)| n.len() + v.len() + 2)
                .sum::<usize>();
        let mut strings = Vec::with_capacity(size);
        for text in
            std::iter::once(&request.url).chain(request.headers.iter().flat_map(|(n, v)| [n, v]))
        {
            strings.extend_from_slice(text.as_bytes());
            strings.push(0);
        }
        let at = |offset: usize, len: usize| botwire_str {
            // In bounds: `offset + len` is within `strings`, which no longer grows.
            ptr: strings[offset..].as_ptr().cast(),
            len,
        };
        let mut offset = request.url.len() + 1;
        let mut views = Vec::with_capacity(request.headers.len());
        for (name, value) in &request.headers {
            let name_view = at(offset, name.len());
            offset += name.len() + 1;
            let value_view = at(offset, value.len());
            offset += value.len() + 1;
            views.push(botwire_header {
                name: name_view,
                value: value_view,
            });
        }
        HttpParts {
            request,
            strings,
            views,
        }
    }

    /// The request.
    pub(crate) fn request(&self) -> &HttpRequest {
        &self.request
    }

    pub(crate) fn view(&self) -> botwire_http_request {
        let body = &self.request.body;
        let method = method_text(self.request.method);
        botwire_http_request {
            method: botwire_str {
                ptr: method.as_ptr().cast(),
                len: method.len() - 1,
            },
            url: botwire_str {
                ptr: self.strings.as_ptr().cast(),
                len: self.request.url.len(),
            },
            headers: if self.views.is_empty() {
                std::ptr::null()
            } else {
                self.views.as_ptr()
            },
            header_count: self.views.len(),
            body: if body.is_empty() {
                std::ptr::null()
            } else {
                body.as_ptr()
            },
            body_len: body.len(),
            timeout_ms: self.request.timeout_ms.unwrap_or(0),
        }
    }
}

/// The outcome of an action or a call (opaque): its JSON result, or why it failed.
pub struct botwire_call_result {
    call_id: u64,
    result: Option<LazyText>,
    error: Option<Text>,
    error_kind: Option<Text>,
    error_message: Option<Text>,
    retry_after: Option<u64>,
    error_code: Option<i64>,
}

impl botwire_call_result {
    pub(crate) fn new(call_id: u64, result: Result<String, ActionFailure>) -> Self {
        match result {
            Ok(json) => botwire_call_result {
                call_id,
                result: Some(LazyText::new(json)),
                error: None,
                error_kind: None,
                error_message: None,
                retry_after: None,
                error_code: None,
            },
            Err(failure) => {
                let info = action_failure_info(&failure);
                let text = |key: &str| info.get(key).and_then(Value::as_str).map(Text::new);
                botwire_call_result {
                    call_id,
                    result: None,
                    error_kind: text("kind"),
                    error_message: text("message"),
                    retry_after: info.get("retry_after").and_then(Value::as_u64),
                    error_code: info
                        .get("error_code")
                        .or_else(|| info.get("status"))
                        .and_then(Value::as_i64),
                    error: Some(Text::from(info.to_string())),
                }
            }
        }
    }

    fn to_json(&self) -> Value {
        let parse = |t: &str| serde_json::from_str(t).unwrap_or(Value::Null);
        match (&self.result, &self.error) {
            (Some(result), _) => {
                let result = parse(result.as_str());
                json!({"type": "call_done", "id": self.call_id, "ok": true, "result": result})
            }
            (None, error) => json!({
                "type": "call_done",
                "id": self.call_id,
                "ok": false,
                "error": error.as_ref().map_or(Value::Null, |e| parse(e.as_str())),
            }),
        }
    }
}

/// One output of the pull mode (opaque). Read it with the `botwire_output_*` functions.
pub struct botwire_output {
    kind: botwire_output_kind,
    id: Option<u64>,
    body: Body,
    json: OnceCell<Text>,
}

/// What an output carries besides its kind and id (one of, so outputs stay small: they are
/// moved through the pull queue).
enum Body {
    Bare,
    Http(HttpParts),
    /// The frame of a WebSocket send, the key of an expired conversation.
    Text(Text),
    WsOpen {
        url: Text,
        protocols: Vec<Text>,
    },
    Event(Rc<botwire_event>),
    Call(botwire_call_result),
}

impl botwire_output {
    fn with_body(kind: botwire_output_kind, id: Option<u64>, body: Body) -> Self {
        botwire_output {
            kind,
            id,
            body,
            json: OnceCell::new(),
        }
    }

    pub(crate) fn http(id: u64, request: HttpRequest) -> Self {
        let parts = HttpParts::new(request);
        Self::with_body(
            botwire_output_kind::HttpRequest,
            Some(id),
            Body::Http(parts),
        )
    }

    pub(crate) fn with_id(kind: botwire_output_kind, id: u64) -> Self {
        Self::with_body(kind, Some(id), Body::Bare)
    }

    pub(crate) fn ws_open(conn: u64, url: &str, protocols: &[String]) -> Self {
        let body = Body::WsOpen {
            url: Text::new(url),
            protocols: protocols.iter().map(|p| Text::new(p)).collect(),
        };
        Self::with_body(botwire_output_kind::WsOpen, Some(conn), body)
    }

    pub(crate) fn ws_send(conn: u64, text: &str) -> Self {
        let body = Body::Text(Text::new(text));
        Self::with_body(botwire_output_kind::WsSend, Some(conn), body)
    }

    pub(crate) fn dispatch(event: Rc<botwire_event>) -> Self {
        let id = Some(event.dispatch_id);
        Self::with_body(botwire_output_kind::Dispatch, id, Body::Event(event))
    }

    pub(crate) fn call_done(result: botwire_call_result) -> Self {
        let id = Some(result.call_id);
        Self::with_body(botwire_output_kind::CallDone, id, Body::Call(result))
    }

    /// A notice, dead letter or stop with its JSON description.
    pub(crate) fn described(kind: botwire_output_kind, json: Text) -> Self {
        let out = Self::with_body(kind, None, Body::Bare);
        let _ = out.json.set(json);
        out
    }

    pub(crate) fn expired(key: &str, state: Text) -> Self {
        let body = Body::Text(Text::new(key));
        let out = Self::with_body(botwire_output_kind::ConversationExpired, None, body);
        let _ = out.json.set(state);
        out
    }

    fn http_parts(&self) -> Option<&HttpParts> {
        match &self.body {
            Body::Http(parts) => Some(parts),
            _ => None,
        }
    }

    fn text(&self) -> Option<&Text> {
        match &self.body {
            Body::Text(text) => Some(text),
            _ => None,
        }
    }

    fn url(&self) -> Option<&Text> {
        match &self.body {
            Body::WsOpen { url, .. } => Some(url),
            _ => None,
        }
    }

    fn protocols(&self) -> &[Text] {
        match &self.body {
            Body::WsOpen { protocols, .. } => protocols,
            _ => &[],
        }
    }

    fn event(&self) -> Option<&Rc<botwire_event>> {
        match &self.body {
            Body::Event(event) => Some(event),
            _ => None,
        }
    }

    fn call(&self) -> Option<&botwire_call_result> {
        match &self.body {
            Body::Call(call) => Some(call),
            _ => None,
        }
    }

    fn to_json(&self) -> Value {
        let id = self.id.unwrap_or(0);
        match self.kind {
            botwire_output_kind::HttpRequest => match self.http_parts() {
                Some(http) => {
                    json!({"type": "http", "id": id, "request": request_to_json(http.request())})
                }
                None => Value::Null,
            },
            botwire_output_kind::HttpAbort => {
                output_to_json(&botwire_core::telegram::Output::Abort {
                    id: botwire_core::io::RequestId(id),
                })
            }
            botwire_output_kind::WsOpen => json!({
                "type": "ws_open",
                "conn": id,
                "url": self.url().map(Text::as_str),
                "protocols": self.protocols().iter().map(Text::as_str).collect::<Vec<_>>(),
            }),
            botwire_output_kind::WsSend => json!({
                "type": "ws_send",
                "conn": id,
                "text": self.text().map(Text::as_str),
            }),
            botwire_output_kind::WsPing => json!({"type": "ws_ping", "conn": id}),
            botwire_output_kind::WsClose => json!({"type": "ws_close", "conn": id}),
            botwire_output_kind::Dispatch => json!({
                "type": "dispatch",
                "id": id,
                "event": self.event().map(|e| e.event.to_json()),
            }),
            botwire_output_kind::CallDone => self
                .call()
                .map_or(Value::Null, botwire_call_result::to_json),
            // These are built with their JSON.
            _ => Value::Null,
        }
    }
}

/// Borrows an output.
///
/// # Safety
/// `output` is NULL or a live output.
unsafe fn output_arg<'a>(output: *const botwire_output) -> Result<&'a botwire_output, Failure> {
    // SAFETY: the caller guarantees a live output or NULL, which as_ref checks.
    unsafe { output.as_ref() }.ok_or_else(|| Failure::null("output"))
}

/// Runs an accessor of an output.
///
/// # Safety
/// `output` is NULL or live.
unsafe fn with_output(
    output: *const botwire_output,
    body: impl FnOnce(&botwire_output) -> Result<botwire_result, Failure>,
) -> botwire_result {
    guard(|| {
        // SAFETY: passed on from the caller.
        let output = unsafe { output_arg(output) }?;
        body(output)
    })
}

/// What the output is.
///
/// # Errors
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `output` is NULL or a live output; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_output_get_kind(
    output: *const botwire_output,
    out: *mut botwire_output_kind,
) -> botwire_result {
    // SAFETY: passed on from the caller.
    unsafe {
        with_output(output, |o| {
            out_arg(out, "out")?;
            // SAFETY: checked non-NULL, writable by the caller's guarantee.
            *out = o.kind;
            Ok(botwire_result::Ok)
        })
    }
}

/// The id the output carries: the request id (HTTP request, abort), the connection id
/// (WebSocket outputs), the dispatch id (dispatch) or the call id (call done).
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` for outputs without an id, `BOTWIRE_RESULT_NULL_PARAMETER`,
/// `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `output` is NULL or a live output; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_output_id(
    output: *const botwire_output,
    out: *mut u64,
) -> botwire_result {
    // SAFETY: passed on from the caller.
    unsafe {
        with_output(output, |o| {
            out_arg(out, "out")?;
            Ok(match o.id {
                Some(id) => {
                    // SAFETY: checked non-NULL, writable by the caller's guarantee.
                    *out = id;
                    botwire_result::Ok
                }
                None => botwire_result::Empty,
            })
        })
    }
}

/// The request of a `BOTWIRE_OUTPUT_KIND_HTTP_REQUEST` output; its pointers live as long as
/// the output.
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` for other kinds, `BOTWIRE_RESULT_NULL_PARAMETER`,
/// `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `output` is NULL or a live output; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_output_http_request(
    output: *const botwire_output,
    out: *mut botwire_http_request,
) -> botwire_result {
    // SAFETY: passed on from the caller.
    unsafe {
        with_output(output, |o| {
            out_arg(out, "out")?;
            Ok(match o.http_parts() {
                Some(http) => {
                    // SAFETY: checked non-NULL, writable by the caller's guarantee.
                    *out = http.view();
                    botwire_result::Ok
                }
                None => botwire_result::Empty,
            })
        })
    }
}

/// The URL of a `BOTWIRE_OUTPUT_KIND_WS_OPEN` output (lives as long as the output).
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` for other kinds, `BOTWIRE_RESULT_NULL_PARAMETER`,
/// `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `output` is NULL or a live output; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_output_ws_url(
    output: *const botwire_output,
    out: *mut botwire_str,
) -> botwire_result {
    // SAFETY: passed on from the caller.
    unsafe {
        with_output(output, |o| {
            out_arg(out, "out")?;
            // SAFETY: checked non-NULL, writable by the caller's guarantee.
            Ok(write_text(out, o.url()))
        })
    }
}

/// The number of subprotocols a `BOTWIRE_OUTPUT_KIND_WS_OPEN` output offers (0 for other
/// kinds).
///
/// # Errors
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `output` is NULL or a live output; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_output_ws_protocol_count(
    output: *const botwire_output,
    out: *mut usize,
) -> botwire_result {
    // SAFETY: passed on from the caller.
    unsafe {
        with_output(output, |o| {
            out_arg(out, "out")?;
            // SAFETY: checked non-NULL, writable by the caller's guarantee.
            *out = o.protocols().len();
            Ok(botwire_result::Ok)
        })
    }
}

/// Subprotocol `index` of a `BOTWIRE_OUTPUT_KIND_WS_OPEN` output.
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` when there is no such protocol, `BOTWIRE_RESULT_NULL_PARAMETER`,
/// `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `output` is NULL or a live output; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_output_ws_protocol(
    output: *const botwire_output,
    index: usize,
    out: *mut botwire_str,
) -> botwire_result {
    // SAFETY: passed on from the caller.
    unsafe {
        with_output(output, |o| {
            out_arg(out, "out")?;
            // SAFETY: checked non-NULL, writable by the caller's guarantee.
            Ok(write_text(out, o.protocols().get(index)))
        })
    }
}

/// The text of the output: the frame of `BOTWIRE_OUTPUT_KIND_WS_SEND`, the conversation key
/// of `BOTWIRE_OUTPUT_KIND_CONVERSATION_EXPIRED` (lives as long as the output).
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` for other kinds, `BOTWIRE_RESULT_NULL_PARAMETER`,
/// `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `output` is NULL or a live output; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_output_text(
    output: *const botwire_output,
    out: *mut botwire_str,
) -> botwire_result {
    // SAFETY: passed on from the caller.
    unsafe {
        with_output(output, |o| {
            out_arg(out, "out")?;
            // SAFETY: checked non-NULL, writable by the caller's guarantee.
            Ok(write_text(out, o.text()))
        })
    }
}

/// The event of a `BOTWIRE_OUTPUT_KIND_DISPATCH` output. It lives until its dispatch is
/// completed or failed (or the bot is freed), longer than the output.
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` for other kinds, `BOTWIRE_RESULT_NULL_PARAMETER`,
/// `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `output` is NULL or a live output; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_output_event(
    output: *const botwire_output,
    out: *mut *const botwire_event,
) -> botwire_result {
    // SAFETY: passed on from the caller.
    unsafe {
        with_output(output, |o| {
            out_arg(out, "out")?;
            Ok(match o.event() {
                Some(event) => {
                    // SAFETY: checked non-NULL, writable by the caller's guarantee. The bot
                    // keeps another reference to the event until its dispatch settles.
                    *out = Rc::as_ptr(event);
                    botwire_result::Ok
                }
                None => botwire_result::Empty,
            })
        })
    }
}

/// The outcome of a `BOTWIRE_OUTPUT_KIND_CALL_DONE` output (lives as long as the output).
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` for other kinds, `BOTWIRE_RESULT_NULL_PARAMETER`,
/// `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `output` is NULL or a live output; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_output_call_result(
    output: *const botwire_output,
    out: *mut *const botwire_call_result,
) -> botwire_result {
    // SAFETY: passed on from the caller.
    unsafe {
        with_output(output, |o| {
            out_arg(out, "out")?;
            Ok(match o.call() {
                Some(call) => {
                    // SAFETY: checked non-NULL, writable by the caller's guarantee.
                    *out = call;
                    botwire_result::Ok
                }
                None => botwire_result::Empty,
            })
        })
    }
}

/// The output as a JSON object (lives as long as the output). For notices, dead letters and
/// the stop this is their description (`{"kind": ..., "message": ...}`); for an expired
/// conversation its last state (`null` when none); for the other kinds a JSON form of the
/// accessors' data (`{"type":"http","id":..,"request":{..}}` as the Telegram client's
/// outputs, `{"type":"ws_send","conn":..,"text":..}`, `{"type":"call_done","id":..,"ok":..}`,
/// ...).
///
/// # Errors
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `output` is NULL or a live output; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_output_json(
    output: *const botwire_output,
    out: *mut botwire_str,
) -> botwire_result {
    // SAFETY: passed on from the caller.
    unsafe {
        with_output(output, |o| {
            out_arg(out, "out")?;
            let text = o.json.get_or_init(|| Text::from(o.to_json().to_string()));
            // SAFETY: checked non-NULL, writable by the caller's guarantee.
            Ok(write_text(out, Some(text)))
        })
    }
}

// ---- call results ----

/// Runs an accessor of a call result.
///
/// # Safety
/// `result` is NULL or live.
unsafe fn with_result(
    result: *const botwire_call_result,
    body: impl FnOnce(&botwire_call_result) -> Result<botwire_result, Failure>,
) -> botwire_result {
    guard(|| {
        // SAFETY: the caller guarantees a live result or NULL, which as_ref checks.
        let result = unsafe { result.as_ref() }.ok_or_else(|| Failure::null("result"))?;
        body(result)
    })
}

/// The call id the outcome belongs to, and whether the call succeeded.
///
/// # Errors
/// `BOTWIRE_RESULT_NULL_PARAMETER` (any pointer), `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `result` is NULL or a live call result; the out-parameters are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_call_result_status(
    result: *const botwire_call_result,
    out_call_id: *mut u64,
    out_ok: *mut bool,
) -> botwire_result {
    // SAFETY: passed on from the caller.
    unsafe {
        with_result(result, |r| {
            out_arg(out_call_id, "out_call_id")?;
            out_arg(out_ok, "out_ok")?;
            // SAFETY: checked non-NULL, writable by the caller's guarantee.
            *out_call_id = r.call_id;
            *out_ok = r.result.is_some();
            Ok(botwire_result::Ok)
        })
    }
}

/// The method's `result` as JSON text (Telegram: the `result` field of the answer;
/// TrueConf: the answer's payload), living as long as the call result.
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` when the call failed, `BOTWIRE_RESULT_NULL_PARAMETER`,
/// `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `result` is NULL or a live call result; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_call_result_json(
    result: *const botwire_call_result,
    out: *mut botwire_str,
) -> botwire_result {
    // SAFETY: passed on from the caller.
    unsafe {
        with_result(result, |r| {
            out_arg(out, "out")?;
            // SAFETY: checked non-NULL, writable by the caller's guarantee.
            Ok(write_text(out, r.result.as_ref().map(LazyText::text)))
        })
    }
}
/// Why the call failed, as a JSON object: `{"kind", "message", ...}` with, by kind,
/// `error_code`, `description`, `parameters`, `retry_after`, `migrate_to_chat_id`
/// (Telegram API errors), `reason` (`"network"`: `"timeout"`, `"connect"`, ...),
/// `status`. Lives as long as the call result.
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` when the call succeeded, `BOTWIRE_RESULT_NULL_PARAMETER`,
/// `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `result` is NULL or a live call result; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_call_result_error_json(
    result: *const botwire_call_result,
    out: *mut botwire_str,
) -> botwire_result {
    // SAFETY: passed on from the caller.
    unsafe {
        with_result(result, |r| {
            out_arg(out, "out")?;
            // SAFETY: checked non-NULL, writable by the caller's guarantee.
            Ok(write_text(out, r.error.as_ref()))
        })
    }
}
/// The failure's class: `"bad_request"`, `"forbidden"`, `"retry_after"`, `"network"`,
/// `"trueconf"`, `"unauthorized"`, ... (the npm package's error kinds).
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` when the call succeeded, `BOTWIRE_RESULT_NULL_PARAMETER`,
/// `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `result` is NULL or a live call result; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_call_result_error_kind(
    result: *const botwire_call_result,
    out: *mut botwire_str,
) -> botwire_result {
    // SAFETY: passed on from the caller.
    unsafe {
        with_result(result, |r| {
            out_arg(out, "out")?;
            // SAFETY: checked non-NULL, writable by the caller's guarantee.
            Ok(write_text(out, r.error_kind.as_ref()))
        })
    }
}
/// The failure's message, in English.
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` when the call succeeded, `BOTWIRE_RESULT_NULL_PARAMETER`,
/// `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `result` is NULL or a live call result; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_call_result_error_message(
    result: *const botwire_call_result,
    out: *mut botwire_str,
) -> botwire_result {
    // SAFETY: passed on from the caller.
    unsafe {
        with_result(result, |r| {
            out_arg(out, "out")?;
            // SAFETY: checked non-NULL, writable by the caller's guarantee.
            Ok(write_text(out, r.error_message.as_ref()))
        })
    }
}

/// The seconds the platform asked to wait (Telegram `retry_after`).
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` when the failure carries none (or the call succeeded),
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `result` is NULL or a live call result; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_call_result_retry_after(
    result: *const botwire_call_result,
    out: *mut u64,
) -> botwire_result {
    // SAFETY: passed on from the caller.
    unsafe {
        with_result(result, |r| {
            out_arg(out, "out")?;
            Ok(match r.retry_after {
                Some(secs) => {
                    // SAFETY: checked non-NULL, writable by the caller's guarantee.
                    *out = secs;
                    botwire_result::Ok
                }
                None => botwire_result::Empty,
            })
        })
    }
}

/// The failure's number: the Telegram `error_code`, the TrueConf `errorCode`, or the HTTP
/// status of a refused request.
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` when the failure carries none (or the call succeeded),
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `result` is NULL or a live call result; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_call_result_error_code(
    result: *const botwire_call_result,
    out: *mut i64,
) -> botwire_result {
    // SAFETY: passed on from the caller.
    unsafe {
        with_result(result, |r| {
            out_arg(out, "out")?;
            Ok(match r.error_code {
                Some(code) => {
                    // SAFETY: checked non-NULL, writable by the caller's guarantee.
                    *out = code;
                    botwire_result::Ok
                }
                None => botwire_result::Empty,
            })
        })
    }
}
