//! botwire for JavaScript (the npm package `botwire`), built with wasm-bindgen.
//!
//! Two layers are exported:
//!
//! - [`bot::WasmBot`], the engine under the package's `Bot` class (`js/bot.js`): the bot
//!   runtime (Telegram or TrueConf), its router and conversations, and the I/O driver that
//!   serves them with `fetch`, `WebSocket` and `setTimeout` of the host. Options are checked
//!   in [`options`]; the machine and the JSON shapes handed to JavaScript are in [`machine`].
//!   Its in-package simulators (`simulator: true`) are compiled in only with the cargo
//!   feature `simulator`, which the published module leaves off (`build.sh` builds both).
//! - `TelegramClient` and the codec functions (`buildRequest`, `parseResponse`), the
//!   Telegram client's pull interface for hosts that drive the sans-IO loop themselves. They
//!   are compiled in only with the cargo feature `client`: the package's JavaScript does not
//!   export them, so the published module leaves them out (about 10 KB gzipped).
//!
//! ```js
//! const client = new TelegramClient({ token, apiRoot: "http://127.0.0.1:8081" });
//! client.start(performance.now());
//! for (let out; (out = client.pollOutput()) !== undefined; ) {
//!   if (out.type === "http") { /* fetch(out.request.url, ...) then
//!     client.handleHttpResponse(now, out.id, response.status, new Uint8Array(body)) */ }
//!   if (out.type === "event") { /* out.event.kind: "update", "response", ... */ }
//! }
//! const at = client.pollTimeout(); // arm one timer, then client.handleTimeout(now)
//! ```
//!
//! Times are the host's monotonic milliseconds (for example `performance.now()` rounded) and
//! ids are the numbers the outputs carry; both must be non-negative integers. Outputs are
//! plain objects with the shapes documented in `bindings-c/src/json.rs` (shared with the C
//! library). Every method throws an `Error` with a message on invalid input.

// The JSON shapes of outputs are shared with the C library, so both bindings agree.
pub mod bot;
#[path = "../../bindings-c/src/json.rs"]
// The typed forms (`output_to_json`, ...) are the C library's; this package keeps updates as
// JSON and uses the untyped ones.
#[allow(dead_code)]
mod json;
// The `dispatch`, `flood` and `conversation` option sections, as the C library reads them.
pub mod machine;
pub mod options;
#[path = "../../bindings-c/src/runtime_options.rs"]
mod runtime_options;
pub mod session;
mod simulator;

#[cfg(any(feature = "client", test))]
use session::{whole_number, Session};
use wasm_bindgen::prelude::*;

/// The version of the package (`"0.1.0"`).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

#[cfg(any(feature = "client", test))]
fn time(now: f64) -> Result<u64, JsError> {
    whole_number(now, "now").map_err(|e| JsError::new(&e))
}

#[cfg(any(feature = "client", test))]
fn request_id(id: f64) -> Result<u64, JsError> {
    whole_number(id, "id").map_err(|e| JsError::new(&e))
}

#[cfg(any(feature = "client", test))]
fn stringify(value: &JsValue, what: &str) -> Result<String, JsError> {
    if let Some(text) = value.as_string() {
        return Ok(text);
    }
    if value.is_undefined() || value.is_null() {
        return Ok(String::new());
    }
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| JsError::new(&format!("{what} cannot be converted to JSON")))
}

#[cfg(any(feature = "client", test))]
fn to_js(json: &str) -> Result<JsValue, JsError> {
    js_sys::JSON::parse(json).map_err(|_| JsError::new("internal error: invalid output JSON"))
}

/// A Telegram Bot API client driven by the host: feed it answers, webhook deliveries and
/// timer expiries, and drain its outputs.
#[cfg(any(feature = "client", test))]
#[wasm_bindgen]
pub struct TelegramClient {
    session: Session,
}

#[cfg(any(feature = "client", test))]
#[wasm_bindgen]
impl TelegramClient {
    /// `new TelegramClient({ token, apiRoot?, intake?: "none" | "polling" | "webhook",
    /// polling?: { timeoutSecs?, limit?, allowedUpdates?, backoffInitialMs?, backoffMaxMs? },
    /// webhook?: { secretToken?, maxBodyBytes? }, seed?, callTimeoutMs? })`. Intake defaults
    /// to `"polling"`, which begins at `start()`. Throws on unknown or ill-typed options.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<TelegramClient, JsError> {
        let options = stringify(&options, "options")?;
        let session = Session::new(&options).map_err(|e| JsError::new(&e))?;
        Ok(TelegramClient { session })
    }

    /// Starts intake (polling issues its first `getUpdates`). Idempotent.
    pub fn start(&mut self, now: f64) -> Result<(), JsError> {
        self.session.start(time(now)?);
        Ok(())
    }

    /// Stops intake gracefully; a `stopped` event follows once the offset is confirmed.
    pub fn stop(&mut self, now: f64) -> Result<(), JsError> {
        self.session.stop(time(now)?);
        Ok(())
    }

    /// Issues a Bot API call; `args` is an object or its JSON text (or omitted). Returns the
    /// request id; the answer arrives as a `response` event with that id. Throws for an
    /// unknown method or arguments that do not fit (nothing is issued then).
    pub fn call(&mut self, now: f64, method: &str, args: JsValue) -> Result<f64, JsError> {
        let args = stringify(&args, "args")?;
        let id = self
            .session
            .call(time(now)?, method, &args)
            .map_err(|e| JsError::new(&e))?;
        // Ids count up from 1 and stay far below 2^53.
        Ok(id as f64)
    }

    /// Reports the answer to request `id`. Throws for an id never issued or already
    /// answered (nothing changes then).
    #[wasm_bindgen(js_name = handleHttpResponse)]
    pub fn handle_http_response(
        &mut self,
        now: f64,
        id: f64,
        status: u16,
        body: &[u8],
    ) -> Result<(), JsError> {
        self.session
            .handle_http_response(time(now)?, request_id(id)?, status, body)
            .map_err(|e| JsError::new(&e))
    }

    /// Reports that request `id` failed without an answer: `kind` is `"timeout"`,
    /// `"connect"`, `"io"`, `"aborted"` or `"other"`.
    #[wasm_bindgen(js_name = handleHttpError)]
    pub fn handle_http_error(&mut self, now: f64, id: f64, kind: &str) -> Result<(), JsError> {
        self.session
            .handle_http_error(time(now)?, request_id(id)?, kind)
            .map_err(|e| JsError::new(&e))
    }

    /// Lets time pass; call it when the timer armed from `pollTimeout()` fires.
    #[wasm_bindgen(js_name = handleTimeout)]
    pub fn handle_timeout(&mut self, now: f64) -> Result<(), JsError> {
        self.session.handle_timeout(time(now)?);
        Ok(())
    }

    /// Handles a webhook delivery. `headers` is a plain object or an array of
    /// `[name, value]` pairs (convert a fetch `Headers` with `Object.fromEntries`). Returns
    /// `{ status, body }` to answer with.
    #[wasm_bindgen(js_name = handleWebhook)]
    pub fn handle_webhook(
        &mut self,
        now: f64,
        headers: JsValue,
        body: &[u8],
    ) -> Result<JsValue, JsError> {
        let headers = stringify(&headers, "headers")?;
        let headers: serde_json::Value = if headers.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&headers).map_err(|e| JsError::new(&e.to_string()))?
        };
        let reply = self
            .session
            .handle_webhook(time(now)?, &headers, body)
            .map_err(|e| JsError::new(&e))?;
        to_js(&reply.to_string())
    }

    /// The next output as a plain object, or `undefined` when there is nothing to do.
    #[wasm_bindgen(js_name = pollOutput)]
    pub fn poll_output(&mut self) -> Result<JsValue, JsError> {
        match self.session.poll_output() {
            Some(text) => to_js(&text),
            None => Ok(JsValue::UNDEFINED),
        }
    }

    /// When to call `handleTimeout` next (same clock as `now`), or `undefined`.
    #[wasm_bindgen(js_name = pollTimeout)]
    pub fn poll_timeout(&self) -> Option<f64> {
        // Deadlines are `now` values plus delays: as exact as the `now` given.
        self.session.poll_timeout().map(|at| at as f64)
    }
}

/// The HTTP request of a Bot API call, without a client: `{ method, url, headers, body,
/// body_encoding, timeout_ms }`. `apiRoot` may be `undefined` for the default root; `args` is
/// an object or its JSON text.
#[cfg(any(feature = "client", test))]
#[wasm_bindgen(js_name = buildRequest)]
pub fn build_request(
    token: &str,
    #[wasm_bindgen(js_name = apiRoot)] api_root: Option<String>,
    method: &str,
    args: JsValue,
) -> Result<JsValue, JsError> {
    let args = stringify(&args, "args")?;
    let request = session::build_request(token, api_root.as_deref(), method, &args)
        .map_err(|e| JsError::new(&e))?;
    to_js(&request.to_string())
}

/// Parses the answer to a Bot API call: `{ ok: true, result }` or `{ ok: false, error }`.
#[cfg(any(feature = "client", test))]
#[wasm_bindgen(js_name = parseResponse)]
pub fn parse_response(method: &str, status: u16, body: &[u8]) -> Result<JsValue, JsError> {
    to_js(&session::parse_response(method, status, body).to_string())
}
