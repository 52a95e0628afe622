//! The TrueConf control API under `/_sim/trueconf/`: JSON in, JSON out. `README.md`
//! documents every endpoint. Answers are `{"ok":true,"result":…}` or
//! `{"ok":false,"error":"…"}` with status 400 (bad input), 404 (unknown endpoint), 405 (wrong
//! HTTP method) or 422 (the simulator refused the action).

use std::sync::Arc;
use std::time::Duration;

use botwire_core::sim::trueconf::{
    ExtensionMode, Fault, FaultKind, Injected, SimConn, SimError, SimUser, UploadLimits,
};
use hyper::body::Incoming;
use hyper::{Method, Request, Response};
use serde_json::{json, Map, Value};

use super::{Shared, State};
use crate::http::{json_response, read_body, Body};

/// Largest control request body (files injected as hex included).
const MAX_CONTROL_BODY: usize = 32 * 1024 * 1024;
/// Longest wait a GET may ask for.
const MAX_WAIT_MS: u64 = 60_000;

struct Failure(u16, String);

impl Failure {
    fn bad(message: impl Into<String>) -> Self {
        Failure(400, message.into())
    }
}

impl From<SimError> for Failure {
    fn from(error: SimError) -> Self {
        Failure(422, error.to_string())
    }
}

type Outcome = Result<Value, Failure>;

const GET_ENDPOINTS: &[&str] = &[
    "state",
    "connections",
    "transcript",
    "events",
    "acked",
    "unacked",
    "chats",
    "chat",
    "history",
    "message",
    "file",
];

const POST_ENDPOINTS: &[&str] = &[
    "user",
    "token",
    "message",
    "file",
    "location",
    "edit",
    "remove_message",
    "button",
    "progress",
    "group",
    "channel",
    "add_participant",
    "remove_participant",
    "role",
    "title",
    "clear_history",
    "remove_chat",
    "event",
    "limits",
    "close",
    "fault",
    "fail",
    "drop_socket",
    "delay",
    "clear_faults",
    "expire_tokens",
];

pub(crate) async fn handle(shared: &Arc<Shared>, req: Request<Incoming>) -> Response<Body> {
    let method = req.method().clone();
    let path = req.uri().path().trim_end_matches('/').to_owned();
    let query = parse_query(req.uri().query().unwrap_or(""));
    let body = match read_body(req.into_body(), MAX_CONTROL_BODY).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let endpoint = path
        .strip_prefix("/_sim/trueconf")
        .unwrap_or("")
        .trim_start_matches('/');
    let outcome = match (&method, endpoint) {
        (&Method::GET, endpoint) if GET_ENDPOINTS.contains(&endpoint) => {
            get(shared, endpoint, &query).await
        }
        (&Method::POST, endpoint) if POST_ENDPOINTS.contains(&endpoint) => {
            match parse_body(&body) {
                Ok(params) => post(shared, endpoint, &params),
                Err(failure) => Err(failure),
            }
        }
        (_, endpoint) if GET_ENDPOINTS.contains(&endpoint) => Err(Failure(405, "use GET".into())),
        (_, endpoint) if POST_ENDPOINTS.contains(&endpoint) => Err(Failure(405, "use POST".into())),
        _ => Err(Failure(404, format!("unknown control endpoint {path}"))),
    };
    match outcome {
        Ok(result) => json_response(200, &json!({ "ok": true, "result": result })),
        Err(Failure(status, error)) => {
            json_response(status, &json!({ "ok": false, "error": error }))
        }
    }
}

/// Reads a list from the simulator; with `min` and `wait_ms`, waits until the list has at
/// least `min` items (or the time is up, answering with what there is).
async fn wait_for(
    shared: &Arc<Shared>,
    query: &[(String, String)],
    read: impl Fn(&State, usize) -> Vec<Value>,
) -> Outcome {
    let since = usize::try_from(number(query, "since")?).unwrap_or(usize::MAX);
    let min = usize::try_from(number(query, "min")?).unwrap_or(usize::MAX);
    let wait = Duration::from_millis(number(query, "wait_ms")?.min(MAX_WAIT_MS));
    let deadline = tokio::time::Instant::now() + wait;
    let mut changes = shared.subscribe();
    loop {
        let items = read(&shared.lock(), since);
        if items.len() >= min {
            return Ok(Value::Array(items));
        }
        match tokio::time::timeout_at(deadline, changes.changed()).await {
            Ok(Ok(())) => continue,
            _ => return Ok(Value::Array(items)),
        }
    }
}

fn to_json<T: serde::Serialize>(value: T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

async fn get(shared: &Arc<Shared>, endpoint: &str, query: &[(String, String)]) -> Outcome {
    match endpoint {
        "state" => {
            let state = shared.lock();
            let sim = &state.sim;
            Ok(json!({
                "now_ms": sim.now(),
                "bot_id": sim.bot_id(),
                "base_url": sim.config().base_url,
                "domain": sim.config().domain,
                "connections": to_json(sim.connections()),
                "counters": to_json(sim.counters()),
                "transcript_len": sim.transcript().len(),
                "pending_faults": to_json(sim.pending_faults().collect::<Vec<_>>()),
                "limits": sim.limits().to_json(),
            }))
        }
        "connections" => {
            let authorized = text(query, "authorized").is_some_and(|v| v == "1" || v == "true");
            wait_for(shared, query, |state, _| {
                state
                    .sim
                    .connections()
                    .into_iter()
                    .filter(|c| !authorized || c.user.is_some())
                    .map(to_json)
                    .collect()
            })
            .await
        }
        "transcript" => {
            wait_for(shared, query, |state, since| {
                state
                    .sim
                    .transcript()
                    .iter()
                    .skip(since)
                    .map(to_json)
                    .collect()
            })
            .await
        }
        "events" => {
            wait_for(shared, query, |state, since| {
                state
                    .sim
                    .pushed_events()
                    .iter()
                    .skip(since)
                    .map(to_json)
                    .collect()
            })
            .await
        }
        "acked" => Ok(to_json(shared.lock().sim.acked_event_ids())),
        "unacked" => Ok(to_json(shared.lock().sim.unacked_events())),
        "chats" => Ok(to_json(shared.lock().sim.chat_ids())),
        "chat" => {
            let id = required_text(query, "id")?;
            let viewer = text(query, "viewer");
            shared
                .lock()
                .sim
                .chat_json(id, viewer)
                .ok_or_else(|| Failure(422, format!("unknown chat {id:?}")))
        }
        "history" => {
            let id = required_text(query, "chat_id")?;
            Ok(Value::Array(shared.lock().sim.history(id)))
        }
        "message" => {
            let id = required_text(query, "id")?;
            shared
                .lock()
                .sim
                .message_json(id)
                .ok_or_else(|| Failure(422, format!("unknown message {id:?}")))
        }
        "file" => {
            let id = required_text(query, "id")?;
            let state = shared.lock();
            let bytes = state
                .sim
                .file_bytes(id)
                .ok_or_else(|| Failure(422, format!("unknown file {id:?}")))?;
            Ok(json!({"size": bytes.len(), "hex": to_hex(bytes)}))
        }
        _ => Err(Failure(404, format!("unknown control endpoint {endpoint}"))),
    }
}

fn injected(result: Result<Injected, SimError>) -> Outcome {
    Ok(to_json(result?))
}

fn post(shared: &Arc<Shared>, endpoint: &str, p: &Map<String, Value>) -> Outcome {
    match endpoint {
        "user" => {
            let login = string(p, "login")?;
            let mut user = SimUser::new(
                login.clone(),
                opt_string(p, "display_name")?.unwrap_or(login),
            );
            user.password = opt_string(p, "password")?;
            user.disabled = opt_bool(p, "disabled")?.unwrap_or(false);
            shared.with_sim(|s, _| s.sim.add_user(user));
            Ok(json!(true))
        }
        "token" => {
            let user = string(p, "user")?;
            let token = shared.with_sim(|s, now| s.sim.mint_token(now, &user))?;
            Ok(json!({ "token": token }))
        }
        "message" => {
            let user = string(p, "user")?;
            let chat = opt_string(p, "chat_id")?;
            let text = string(p, "text")?;
            let parse_mode = opt_string(p, "parse_mode")?.unwrap_or_else(|| "text".into());
            let reply_to = opt_string(p, "reply_to")?;
            injected(shared.with_sim(|s, now| {
                s.sim.user_sends_formatted(
                    now,
                    &user,
                    chat.as_deref(),
                    &text,
                    &parse_mode,
                    reply_to.as_deref(),
                )
            }))
        }
        "file" => {
            let user = string(p, "user")?;
            let chat = opt_string(p, "chat_id")?;
            let name = opt_string(p, "name")?.unwrap_or_else(|| "file.txt".into());
            let mime = opt_string(p, "mime_type")?.unwrap_or_else(|| "text/plain".into());
            let bytes = match opt_string(p, "content_hex")? {
                Some(hex) => {
                    from_hex(&hex).ok_or_else(|| Failure::bad("content_hex is not hex"))?
                }
                None => opt_string(p, "content")?.unwrap_or_default().into_bytes(),
            };
            let uploading = opt_bool(p, "uploading")?.unwrap_or(false);
            injected(shared.with_sim(|s, now| {
                s.sim
                    .user_sends_file(now, &user, chat.as_deref(), &name, &mime, bytes, uploading)
            }))
        }
        "location" => {
            let user = string(p, "user")?;
            let chat = opt_string(p, "chat_id")?;
            let latitude = float(p, "latitude")?;
            let longitude = float(p, "longitude")?;
            let title = opt_string(p, "title")?.unwrap_or_default();
            injected(shared.with_sim(|s, now| {
                s.sim
                    .user_sends_location(now, &user, chat.as_deref(), latitude, longitude, &title)
            }))
        }
        "edit" => {
            let (user, message, text) = (
                string(p, "user")?,
                string(p, "message_id")?,
                string(p, "text")?,
            );
            injected(
                shared.with_sim(|s, now| s.sim.user_edits_message(now, &user, &message, &text)),
            )
        }
        "remove_message" => {
            let (user, message) = (string(p, "user")?, string(p, "message_id")?);
            injected(shared.with_sim(|s, now| s.sim.user_removes_message(now, &user, &message)))
        }
        "button" => {
            let (user, message, button) = (
                string(p, "user")?,
                string(p, "message_id")?,
                string(p, "button")?,
            );
            injected(
                shared.with_sim(|s, now| s.sim.user_presses_button(now, &user, &message, &button)),
            )
        }
        "progress" => {
            let file = string(p, "file_id")?;
            let progress = unsigned(p, "progress")?;
            let ids = shared.with_sim(|s, now| s.sim.upload_progress(now, &file, progress))?;
            Ok(json!({ "event_ids": ids }))
        }
        "group" | "channel" => {
            let owner = string(p, "owner")?;
            let title = string(p, "title")?;
            let members = string_list(p, "members")?;
            let members: Vec<&str> = members.iter().map(String::as_str).collect();
            let group = endpoint == "group";
            Ok(to_json(shared.with_sim(|s, now| {
                if group {
                    s.sim.create_group(now, &owner, &title, &members)
                } else {
                    s.sim.create_channel(now, &owner, &title, &members)
                }
            })))
        }
        "add_participant" | "remove_participant" => {
            let admin = string(p, "admin")?;
            let chat = string(p, "chat_id")?;
            let user = string(p, "user")?;
            let add = endpoint == "add_participant";
            injected(shared.with_sim(|s, now| {
                if add {
                    s.sim.admin_adds_participant(now, &admin, &chat, &user)
                } else {
                    s.sim.admin_removes_participant(now, &admin, &chat, &user)
                }
            }))
        }
        "role" => {
            let (chat, user, role) = (
                string(p, "chat_id")?,
                string(p, "user")?,
                string(p, "role")?,
            );
            injected(shared.with_sim(|s, now| s.sim.admin_changes_role(now, &chat, &user, &role)))
        }
        "title" => {
            let (chat, title) = (string(p, "chat_id")?, string(p, "title")?);
            injected(shared.with_sim(|s, now| s.sim.admin_edits_title(now, &chat, &title)))
        }
        "clear_history" => {
            let admin = string(p, "admin")?;
            let chat = string(p, "chat_id")?;
            let for_all = opt_bool(p, "for_all")?.unwrap_or(true);
            injected(
                shared.with_sim(|s, now| s.sim.admin_clears_history(now, &admin, &chat, for_all)),
            )
        }
        "remove_chat" => {
            let chat = string(p, "chat_id")?;
            injected(shared.with_sim(|s, now| s.sim.admin_removes_chat(now, &chat)))
        }
        "event" => {
            let user = opt_string(p, "user")?;
            let method = string(p, "method")?;
            let payload = p.get("payload").cloned().unwrap_or_else(|| json!({}));
            let ids = shared
                .with_sim(|s, now| s.sim.push_raw_event(now, user.as_deref(), &method, payload));
            Ok(json!({ "event_ids": ids }))
        }
        "limits" => {
            let limits = limits_from(p)?;
            let ids = shared.with_sim(|s, now| s.sim.set_upload_limits(now, limits));
            Ok(json!({ "event_ids": ids }))
        }
        "close" => match opt_unsigned(p, "conn")? {
            Some(conn) => {
                shared.with_sim(|s, now| s.sim.close_connection(now, SimConn(conn)))?;
                Ok(json!(1))
            }
            None => Ok(json!(
                shared.with_sim(|s, now| s.sim.close_all_connections(now))
            )),
        },
        "fault" => {
            let fault = fault_from(p)?;
            shared.with_sim(|s, _| s.sim.inject_fault(fault));
            Ok(json!(true))
        }
        "fail" => {
            let method = string(p, "method")?;
            let code = integer(p, "code")?;
            shared.with_sim(|s, _| s.sim.fail_next(&method, code));
            Ok(json!(true))
        }
        "drop_socket" => {
            let method = string(p, "method")?;
            shared.with_sim(|s, _| s.sim.close_socket_on_next(&method));
            Ok(json!(true))
        }
        "delay" => {
            let ms = unsigned(p, "ms")?;
            shared.with_sim(|s, _| s.sim.set_response_delay(ms));
            Ok(json!(true))
        }
        "clear_faults" => {
            shared.with_sim(|s, _| s.sim.clear_faults());
            Ok(json!(true))
        }
        "expire_tokens" => {
            shared.with_sim(|s, now| s.sim.expire_all_tokens(now));
            Ok(json!(true))
        }
        _ => Err(Failure(404, format!("unknown control endpoint {endpoint}"))),
    }
}

fn limits_from(p: &Map<String, Value>) -> Result<UploadLimits, Failure> {
    let max_size = opt_unsigned(p, "max_size")?;
    let extensions = match p.get("extensions") {
        None | Some(Value::Null) => None,
        Some(Value::Object(ext)) => {
            let mode = match ext.get("mode").and_then(Value::as_str) {
                Some("allow") => ExtensionMode::Allow,
                Some("block") => ExtensionMode::Block,
                _ => return Err(Failure::bad("extensions.mode must be allow or block")),
            };
            let list = string_list(ext, "list")?;
            Some((mode, list))
        }
        Some(_) => return Err(Failure::bad("extensions must be an object or null")),
    };
    Ok(UploadLimits {
        max_size,
        extensions,
    })
}

fn fault_from(p: &Map<String, Value>) -> Result<Fault, Failure> {
    let kind = match string(p, "kind")?.as_str() {
        "error_code" => FaultKind::ErrorCode(integer(p, "code")?),
        "close_socket" => FaultKind::CloseSocket,
        "close_socket_after" => FaultKind::CloseSocketAfterExecuting,
        "delay" => FaultKind::Delay(unsigned(p, "ms")?),
        other => return Err(Failure::bad(format!("unknown fault kind {other:?}"))),
    };
    let mut fault = Fault::new(kind);
    fault.method = opt_string(p, "method")?;
    if let Some(times) = opt_unsigned(p, "times")? {
        fault = fault.times(u32::try_from(times).unwrap_or(u32::MAX));
    }
    Ok(fault)
}

// ---- parameters ---------------------------------------------------------------------------

fn parse_body(body: &[u8]) -> Result<Map<String, Value>, Failure> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(Failure::bad("the body must be a JSON object")),
    }
}

fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => (k.to_owned(), percent_decode(v)),
            None => (pair.to_owned(), String::new()),
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let decoded = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
        match decoded {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn text<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn required_text<'a>(query: &'a [(String, String)], name: &str) -> Result<&'a str, Failure> {
    text(query, name).ok_or_else(|| Failure::bad(format!("{name} is required")))
}

fn number(query: &[(String, String)], name: &str) -> Result<u64, Failure> {
    match text(query, name) {
        None => Ok(0),
        Some(v) => v
            .parse()
            .map_err(|_| Failure::bad(format!("{name} must be a non-negative integer"))),
    }
}

fn opt_string(p: &Map<String, Value>, name: &str) -> Result<Option<String>, Failure> {
    match p.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Failure::bad(format!("{name} must be a string"))),
    }
}

fn string(p: &Map<String, Value>, name: &str) -> Result<String, Failure> {
    opt_string(p, name)?.ok_or_else(|| Failure::bad(format!("{name} is required")))
}

fn string_list(p: &Map<String, Value>, name: &str) -> Result<Vec<String>, Failure> {
    match p.get(name) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| Failure::bad(format!("{name} must hold strings")))
            })
            .collect(),
        Some(_) => Err(Failure::bad(format!("{name} must be a list of strings"))),
    }
}

fn opt_bool(p: &Map<String, Value>, name: &str) -> Result<Option<bool>, Failure> {
    match p.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(Failure::bad(format!("{name} must be a boolean"))),
    }
}

fn opt_unsigned(p: &Map<String, Value>, name: &str) -> Result<Option<u64>, Failure> {
    match p.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| Failure::bad(format!("{name} must be a non-negative integer"))),
    }
}

fn unsigned(p: &Map<String, Value>, name: &str) -> Result<u64, Failure> {
    opt_unsigned(p, name)?.ok_or_else(|| Failure::bad(format!("{name} is required")))
}

fn integer(p: &Map<String, Value>, name: &str) -> Result<i64, Failure> {
    p.get(name)
        .and_then(Value::as_i64)
        .ok_or_else(|| Failure::bad(format!("{name} must be an integer")))
}

fn float(p: &Map<String, Value>, name: &str) -> Result<f64, Failure> {
    p.get(name)
        .and_then(Value::as_f64)
        .ok_or_else(|| Failure::bad(format!("{name} must be a number")))
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_percent_round_trip() {
        assert_eq!(to_hex(b"\x00\xffA"), "00ff41");
        assert_eq!(from_hex("00ff41").as_deref(), Some(&b"\x00\xffA"[..]));
        assert_eq!(from_hex("0"), None);
        assert_eq!(from_hex("zz"), None);
        assert_eq!(from_hex("é0"), None);
        assert_eq!(percent_decode("a%20b+c%zz%"), "a b c%zz%");
    }
}
