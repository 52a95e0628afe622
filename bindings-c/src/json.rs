//! The JSON form of the Telegram client's outputs, shared by the C and the npm bindings (the
//! npm binding includes this file), so that both hand out exactly the same objects.
//!
//! Shapes (every object has a `type`, every event a `kind`):
//!
//! ```text
//! {"type":"http","id":1,"request":{"method":"POST","url":"...","headers":[["Content-Type","application/json"]],
//!                                  "body":"{...}","body_encoding":"utf8","timeout_ms":60000}}
//! {"type":"abort","id":1}
//! {"type":"event","event":{"kind":"update","update":{...the Update as the Bot API sends it...}}}
//! {"type":"event","event":{"kind":"response","id":2,"method":"sendMessage","ok":true,"result":{...}}}
//! {"type":"event","event":{"kind":"response","id":2,"method":"sendMessage","ok":false,"error":{...}}}
//! {"type":"event","event":{"kind":"call_failed","id":2,"method":"sendMessage","error":"timeout"}}
//! {"type":"event","event":{"kind":"polling_paused","retry_in_ms":500,"failure":{"http":"connect"}}}
//! {"type":"event","event":{"kind":"conflict","description":"..."}}
//! {"type":"event","event":{"kind":"fatal","error":{...}}}
//! {"type":"event","event":{"kind":"dropped","update_id":5,"reason":"duplicate"}}
//! {"type":"event","event":{"kind":"gave_up","from":5,"to":7}}
//! {"type":"event","event":{"kind":"malformed","raw":"..."}}
//! {"type":"event","event":{"kind":"stopped","offset":6}}
//! ```
//!
//! A request body is UTF-8 text when it is valid UTF-8 (`"body_encoding":"utf8"`), base64
//! otherwise (`"body_encoding":"base64"`, multipart uploads with binary files). An API error is
//! `{"kind":"bad_request","message":"...","retryable":false,"error_code":400,
//! "description":"...","parameters":null}` plus `retry_after` or `migrate_to_chat_id` when the
//! kind carries one.

use base64::Engine as _;
use botwire_core::io::{HttpErrorKind, HttpRequest};
use botwire_core::telegram::client::{DropReason, PollFailure};
use botwire_core::telegram::{ApiError, Event, Output};
use botwire_core::trueconf::TrueConfError;
use serde_json::{json, Value};

/// The JSON object of one output.
pub fn output_to_json(output: &Output) -> Value {
    output_to_json_with(output, event_to_json)
}

/// The JSON object of one output, its event (if any) given by `event` (for example
/// [`event_to_json_untyped`]).
pub fn output_to_json_with(output: &Output, event: fn(&Event) -> Value) -> Value {
    match output {
        Output::Http { id, request } => json!({
            "type": "http",
            "id": id.0,
            "request": request_to_json(request),
        }),
        Output::Abort { id } => json!({ "type": "abort", "id": id.0 }),
        Output::Event(e) => json!({ "type": "event", "event": event(e) }),
        // Output is non-exhaustive: a kind added to the core before the bindings know it is
        // still handed out, with its debug text for diagnosis.
        other => json!({ "type": "unsupported", "debug": format!("{other:?}") }),
    }
}

/// The JSON object of a request: method, URL, headers, body and timeout.
pub fn request_to_json(request: &HttpRequest) -> Value {
    let (body, encoding) = match std::str::from_utf8(&request.body) {
        Ok(text) => (text.to_owned(), "utf8"),
        Err(_) => (
            base64::engine::general_purpose::STANDARD.encode(&request.body),
            "base64",
        ),
    };
    json!({
        "method": request.method.as_str(),
        "url": request.url,
        "headers": request.headers,
        "body": body,
        "body_encoding": encoding,
        "timeout_ms": request.timeout_ms,
    })
}

/// The JSON object of an event.
pub fn event_to_json(event: &Event) -> Value {
    match event {
        Event::Update(update) => json!({ "kind": "update", "update": update }),
        other => event_to_json_untyped(other),
    }
}

/// The JSON object of an event of a client whose updates stay JSON text
/// (`TelegramClient<Json>`): a typed update, which such a client never hands out, becomes
/// `null`, so a program using only this function has none of the typed model's serializers.
pub fn event_to_json_untyped(event: &Event) -> Value {
    match event {
        Event::Update(_) => json!({ "kind": "update", "update": null }),
        Event::JsonUpdate(update) => json!({
            "kind": "update",
            "update": serde_json::from_str::<Value>(update.json()).unwrap_or(Value::Null),
        }),
        Event::Response(call) => {
            let mut object = json!({
                "kind": "response",
                "id": call.id.0,
                "method": call.method,
                "ok": call.result.is_ok(),
            });
            match &call.result {
                // The result text was checked by the core; a parse failure here cannot
                // happen, and falling back to the text keeps the information if it did.
                Ok(text) => {
                    object["result"] =
                        serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.clone()))
                }
                Err(error) => object["error"] = api_error_to_json(error),
            }
            object
        }
        Event::CallFailed { id, method, kind } => json!({
            "kind": "call_failed",
            "id": id.0,
            "method": method,
            "error": http_error_kind_name(*kind),
        }),
        Event::PollingPaused {
            failure,
            retry_in_ms,
        } => json!({
            "kind": "polling_paused",
            "retry_in_ms": retry_in_ms,
            "failure": poll_failure_to_json(failure),
        }),
        Event::Conflict { description } => {
            json!({ "kind": "conflict", "description": description })
        }
        Event::Fatal { error } => json!({ "kind": "fatal", "error": api_error_to_json(error) }),
        Event::Dropped { update_id, reason } => json!({
            "kind": "dropped",
            "update_id": update_id,
            "reason": drop_reason_name(*reason),
        }),
        Event::GaveUp { from, to } => json!({ "kind": "gave_up", "from": from, "to": to }),
        Event::Malformed { raw } => json!({ "kind": "malformed", "raw": raw }),
        Event::Stopped { offset } => json!({ "kind": "stopped", "offset": offset }),
        other => json!({ "kind": "unsupported", "debug": format!("{other:?}") }),
    }
}

/// The JSON object of a classified API error.
pub fn api_error_to_json(error: &ApiError) -> Value {
    let mut object = json!({
        "kind": error.kind_name(),
        "message": error.to_string(),
        "retryable": error.is_retryable(),
    });
    if let Some(details) = error.details() {
        object["error_code"] = details.error_code.into();
        object["description"] = details.description.clone().into();
        object["parameters"] = details.parameters.clone().unwrap_or(Value::Null);
    }
    match error {
        ApiError::RetryAfter { seconds, .. } => object["retry_after"] = (*seconds).into(),
        ApiError::MigrateToChat { chat_id, .. } => object["migrate_to_chat_id"] = (*chat_id).into(),
        ApiError::Transport { status, body } => {
            object["status"] = (*status).into();
            object["body"] = body.clone().into();
        }
        _ => {}
    }
    object
}

/// What a TrueConf failure is, as JSON: `{kind, message, ...}`; a server's error has the
/// `error_code` and `description` of a Telegram API error (see [`api_error_to_json`]).
pub fn trueconf_error_info(error: &TrueConfError) -> Value {
    let message = error.to_string();
    match error {
        TrueConfError::Server { code, description } => json!({
            "kind": "trueconf",
            "message": message,
            "error_code": code.0,
            "description": description,
        }),
        TrueConfError::Timeout(_) => {
            json!({"kind": "network", "reason": "timeout", "message": message})
        }
        TrueConfError::Disconnected => {
            json!({"kind": "network", "reason": "disconnected", "message": message})
        }
        TrueConfError::Transport(kind) => json!({
            "kind": "network",
            "reason": http_error_kind_name(*kind),
            "message": message,
        }),
        TrueConfError::Http { status, .. } => json!({
            "kind": if *status == 401 || *status == 403 { "unauthorized" } else { "trueconf" },
            "message": message,
            "status": status,
        }),
        TrueConfError::InvalidArgument(_) => json!({"kind": "invalid_call", "message": message}),
        TrueConfError::Malformed(_) => json!({"kind": "invalid_response", "message": message}),
        _ => json!({"kind": "stopped", "message": message}),
    }
}

fn poll_failure_to_json(failure: &PollFailure) -> Value {
    match failure {
        PollFailure::Http(kind) => json!({ "http": http_error_kind_name(*kind) }),
        PollFailure::Api(error) => json!({ "api": api_error_to_json(error) }),
        other => json!({ "unsupported": format!("{other:?}") }),
    }
}

/// The name of a transport failure, as the bindings spell it (`"timeout"`, `"connect"`, ...).
pub fn http_error_kind_name(kind: HttpErrorKind) -> &'static str {
    match kind {
        HttpErrorKind::Timeout => "timeout",
        HttpErrorKind::Connect => "connect",
        HttpErrorKind::Io => "io",
        HttpErrorKind::Aborted => "aborted",
        _ => "other",
    }
}

fn drop_reason_name(reason: DropReason) -> &'static str {
    match reason {
        DropReason::Duplicate => "duplicate",
        DropReason::Stale => "stale",
        DropReason::TooLate => "too_late",
        _ => "other",
    }
}
