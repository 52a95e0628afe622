//! The control API under `/control/`: JSON in, JSON out. `README.md` documents every
//! endpoint. Answers are `{"ok":true,"result":…}` or `{"ok":false,"error":"…"}` with status
//! 400 (bad input), 404 (unknown endpoint), 405 (wrong HTTP method) or 422 (the simulator
//! refused the action, for example a button that does not exist).

use std::sync::Arc;
use std::time::Duration;

use botwire_core::sim::telegram::{
    ChatKind, Fault, FaultKind, Injected, RateLimits, SimChat, SimError, SimUser,
};
use hyper::body::Incoming;
use hyper::{Method, Request, Response};
use serde_json::{json, Map, Value};

use crate::http::{json_response, read_body};
use crate::{Body, Shared};

/// Largest control request body.
const MAX_CONTROL_BODY: usize = 1024 * 1024;
/// Longest transcript wait.
const MAX_WAIT_MS: u64 = 60_000;

/// A control failure: status and message.
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

pub(crate) async fn handle(shared: &Arc<Shared>, req: Request<Incoming>) -> Response<Body> {
    let method = req.method().clone();
    let path = req.uri().path().trim_end_matches('/').to_owned();
    let query = parse_query(req.uri().query().unwrap_or(""));
    let body = match read_body(req.into_body(), MAX_CONTROL_BODY).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let endpoint = path
        .strip_prefix("/control")
        .unwrap_or("")
        .trim_start_matches('/');
    let outcome = match (method, endpoint) {
        (Method::GET, "transcript") => transcript(shared, &query).await,
        (_, "transcript") => Err(Failure(405, "use GET".into())),
        (Method::GET, "state") => Ok(state(shared)),
        (Method::GET, "updates") => {
            Ok(shared.with_sim(|s, _| Value::Array(s.sim.pending_updates())))
        }
        (Method::POST, endpoint) => match parse_body(&body) {
            Ok(params) => post(shared, endpoint, &params),
            Err(failure) => Err(failure),
        },
        (_, "state" | "updates") => Err(Failure(405, "use GET".into())),
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

const POST_ENDPOINTS: &[&str] = &[
    "user",
    "chat",
    "message",
    "edit",
    "document",
    "button",
    "inline_query",
    "chosen_inline_result",
    "join",
    "leave",
    "block",
    "reaction",
    "channel_post",
    "fault",
    "clear_faults",
    "rate_limits",
    "reset",
];

fn post(shared: &Arc<Shared>, endpoint: &str, p: &Map<String, Value>) -> Outcome {
    match endpoint {
        "user" => {
            let user = user_from(p)?;
            shared.with_sim(|s, _| s.sim.add_user(user));
            Ok(json!(true))
        }
        "chat" => {
            let chat = chat_from(p)?;
            shared.with_sim(|s, _| s.sim.add_chat(chat));
            Ok(json!(true))
        }
        "message" => {
            let (user, chat) = actor(p)?;
            let text = string(p, "text")?;
            let reply_to = opt_i64(p, "reply_to_message_id")?;
            register_user_details(shared, p, user)?;
            injected(shared.with_sim(|s, now| match reply_to {
                Some(id) => s.sim.user_replies_text(now, user, chat, id, &text),
                None => s.sim.user_sends_text(now, user, chat, &text),
            }))
        }
        "edit" => {
            let (user, chat) = actor(p)?;
            let message_id = int(p, "message_id")?;
            let text = string(p, "text")?;
            injected(
                shared.with_sim(|s, now| {
                    s.sim.user_edits_message(now, user, chat, message_id, &text)
                }),
            )
        }
        "document" => {
            let (user, chat) = actor(p)?;
            let file_name = opt_string(p, "file_name")?.unwrap_or_else(|| "file.txt".into());
            let content = opt_string(p, "content")?.unwrap_or_default();
            let caption = opt_string(p, "caption")?;
            register_user_details(shared, p, user)?;
            injected(shared.with_sim(|s, now| {
                s.sim.user_sends_document(
                    now,
                    user,
                    chat,
                    &file_name,
                    content.into_bytes(),
                    caption.as_deref(),
                )
            }))
        }
        "button" => {
            let user = int(p, "user_id")?;
            let data = string(p, "data")?;
            match opt_string(p, "inline_message_id")? {
                Some(inline) => injected(shared.with_sim(|s, now| {
                    s.sim.user_presses_inline_button(now, user, &inline, &data)
                })),
                None => {
                    let chat = opt_i64(p, "chat_id")?.unwrap_or(user);
                    let message_id = int(p, "message_id")?;
                    injected(shared.with_sim(|s, now| {
                        s.sim
                            .user_presses_button(now, user, chat, message_id, &data)
                    }))
                }
            }
        }
        "inline_query" => {
            let user = int(p, "user_id")?;
            let query = opt_string(p, "query")?.unwrap_or_default();
            let offset = opt_string(p, "offset")?.unwrap_or_default();
            register_user_details(shared, p, user)?;
            injected(shared.with_sim(|s, now| s.sim.user_inline_query(now, user, &query, &offset)))
        }
        "chosen_inline_result" => {
            let user = int(p, "user_id")?;
            let query_id = string(p, "query_id")?;
            let result_id = string(p, "result_id")?;
            injected(shared.with_sim(|s, now| {
                s.sim
                    .user_chooses_inline_result(now, user, &query_id, &result_id)
            }))
        }
        "join" | "leave" => {
            let user = int(p, "user_id")?;
            let chat = int(p, "chat_id")?;
            register_user_details(shared, p, user)?;
            let join = endpoint == "join";
            injected(shared.with_sim(|s, now| {
                if join {
                    s.sim.user_joins_chat(now, user, chat)
                } else {
                    s.sim.user_leaves_chat(now, user, chat)
                }
            }))
        }
        "block" => {
            let user = int(p, "user_id")?;
            let blocked = opt_bool(p, "blocked")?.unwrap_or(true);
            injected(shared.with_sim(|s, now| {
                if blocked {
                    s.sim.user_blocks_bot(now, user)
                } else {
                    s.sim.user_unblocks_bot(now, user)
                }
            }))
        }
        "reaction" => {
            let (user, chat) = actor(p)?;
            let message_id = int(p, "message_id")?;
            let emoji = opt_string(p, "emoji")?.unwrap_or_else(|| "\u{1F44D}".into());
            injected(
                shared.with_sim(|s, now| s.sim.user_reacts(now, user, chat, message_id, &emoji)),
            )
        }
        "channel_post" => {
            let chat = int(p, "chat_id")?;
            let text = string(p, "text")?;
            injected(shared.with_sim(|s, now| s.sim.channel_posts_text(now, chat, &text)))
        }
        "fault" => {
            let fault = fault_from(p)?;
            shared.with_sim(|s, _| s.sim.inject_fault(fault));
            Ok(json!(true))
        }
        "clear_faults" => {
            shared.with_sim(|s, _| s.sim.clear_faults());
            Ok(json!(true))
        }
        "rate_limits" => {
            let enabled = opt_bool(p, "enabled")?.unwrap_or(true);
            let limits = if enabled {
                RateLimits::default()
            } else {
                RateLimits::disabled()
            };
            shared.with_sim(|s, _| s.sim.set_rate_limits(limits));
            Ok(json!(true))
        }
        "reset" => {
            shared.with_sim(|s, now| s.sim.reset(now));
            Ok(json!(true))
        }
        _ => Err(Failure(
            404,
            format!("unknown control endpoint /control/{endpoint}"),
        )),
    }
}

/// `GET /control/transcript?since=S&min=N&wait_ms=W`: entries with `seq >= since`, after
/// waiting up to `W` ms until at least `N` of them exist.
async fn transcript(shared: &Arc<Shared>, query: &[(String, String)]) -> Outcome {
    let number = |name: &str| -> Result<u64, Failure> {
        match query.iter().find(|(k, _)| k == name) {
            Some((_, v)) => v
                .parse::<u64>()
                .map_err(|_| Failure::bad(format!("{name} must be a non-negative integer"))),
            None => Ok(0),
        }
    };
    let since = number("since")?;
    let min = number("min")?;
    let wait = Duration::from_millis(number("wait_ms")?.min(MAX_WAIT_MS));
    let deadline = tokio::time::Instant::now() + wait;
    let mut changes = shared.subscribe();
    loop {
        let entries: Vec<Value> = {
            let state = shared.lock();
            state
                .sim
                .transcript()
                .iter()
                .filter(|e| e.seq >= since)
                .map(|e| serde_json::to_value(e).unwrap_or(Value::Null))
                .collect()
        };
        if entries.len() as u64 >= min {
            return Ok(Value::Array(entries));
        }
        match tokio::time::timeout_at(deadline, changes.changed()).await {
            Ok(Ok(())) => continue,
            // Waited long enough: answer with what there is.
            _ => return Ok(Value::Array(entries)),
        }
    }
}

fn state(shared: &Arc<Shared>) -> Value {
    let state = shared.lock();
    let sim = &state.sim;
    json!({
        "now_ms": sim.now(),
        "pending_update_count": sim.pending_update_count(),
        "confirmed_offset": sim.confirmed_offset(),
        "webhook_url": sim.webhook_url(),
        "has_held_poll": sim.has_held_poll(),
        "transcript_len": sim.transcript().len(),
        "pending_faults": sim.pending_faults().count(),
        "rate_limits": sim.config().rate_limits.enabled,
        "counters": serde_json::to_value(sim.counters()).unwrap_or(Value::Null),
        "bot": sim.bot_user_json(),
    })
}

fn injected(result: Result<Injected, SimError>) -> Outcome {
    let injected = result?;
    Ok(json!({
        "update_id": injected.update_id,
        "message_id": injected.message_id,
        "query_id": injected.query_id,
        "inline_message_id": injected.inline_message_id,
    }))
}

/// `user_id` and `chat_id` (defaulting to the user's private chat).
fn actor(p: &Map<String, Value>) -> Result<(i64, i64), Failure> {
    let user = int(p, "user_id")?;
    let chat = opt_i64(p, "chat_id")?.unwrap_or(user);
    Ok((user, chat))
}

/// Updates the acting user with the name fields given alongside an action (`first_name`,
/// `last_name`, `username`, `language_code`); fields not given keep their value.
fn register_user_details(
    shared: &Arc<Shared>,
    p: &Map<String, Value>,
    user: i64,
) -> Result<(), Failure> {
    const FIELDS: [&str; 4] = ["first_name", "last_name", "username", "language_code"];
    if user <= 0 || !FIELDS.iter().any(|f| p.contains_key(*f)) {
        return Ok(());
    }
    let known = shared.lock().sim.user(user).cloned();
    let mut details = known
        .clone()
        .unwrap_or_else(|| SimUser::new(user, format!("User{user}")));
    if let Some(name) = opt_string(p, "first_name")? {
        details.first_name = name;
    }
    if p.contains_key("last_name") {
        details.last_name = opt_string(p, "last_name")?;
    }
    if p.contains_key("username") {
        details.username = opt_string(p, "username")?;
    }
    if p.contains_key("language_code") {
        details.language_code = opt_string(p, "language_code")?;
    }
    if known.as_ref() != Some(&details) {
        shared.with_sim(|s, _| s.sim.add_user(details));
    }
    Ok(())
}

fn user_from(p: &Map<String, Value>) -> Result<SimUser, Failure> {
    let id = int(p, "id")?;
    if id <= 0 {
        return Err(Failure::bad("id must be positive"));
    }
    let first_name = opt_string(p, "first_name")?.unwrap_or_else(|| format!("User{id}"));
    let mut user = SimUser::new(id, first_name);
    user.last_name = opt_string(p, "last_name")?;
    user.username = opt_string(p, "username")?;
    user.language_code = opt_string(p, "language_code")?;
    Ok(user)
}

fn chat_from(p: &Map<String, Value>) -> Result<SimChat, Failure> {
    let id = int(p, "id")?;
    if id >= 0 {
        return Err(Failure::bad("group and channel ids are negative"));
    }
    let kind = match opt_string(p, "type")?.as_deref() {
        None => ChatKind::guess_from_id(id),
        Some("group") => ChatKind::Group,
        Some("supergroup") => ChatKind::Supergroup,
        Some("channel") => ChatKind::Channel,
        Some(other) => return Err(Failure::bad(format!("unknown chat type {other:?}"))),
    };
    let title = opt_string(p, "title")?.unwrap_or_else(|| format!("Chat {id}"));
    let mut chat = match kind {
        ChatKind::Channel => SimChat::channel(id, title),
        ChatKind::Supergroup => SimChat::supergroup(id, title),
        _ => SimChat::group(id, title),
    };
    chat.username = opt_string(p, "username")?;
    Ok(chat)
}

fn fault_from(p: &Map<String, Value>) -> Result<Fault, Failure> {
    let kind_name = string(p, "kind")?;
    let status = opt_i64(p, "status")?
        .map(|s| u16::try_from(s).map_err(|_| Failure::bad("status out of range")))
        .transpose()?;
    let description = opt_string(p, "description")?;
    let kind = match kind_name.as_str() {
        "html_error" => FaultKind::HtmlError {
            status: status.unwrap_or(502),
        },
        "api_error" => FaultKind::ApiError {
            status: status.unwrap_or(500),
            description: description.unwrap_or_else(|| "Internal Server Error: restart".into()),
        },
        "too_many_requests" => FaultKind::TooManyRequests {
            retry_after: opt_i64(p, "retry_after")?.unwrap_or(5).max(0) as u64,
        },
        "conflict" => FaultKind::conflict(),
        "blocked" => FaultKind::blocked_by_user(),
        "drop_request" => FaultKind::DropRequest,
        "drop_response" => FaultKind::DropResponse,
        other => return Err(Failure::bad(format!("unknown fault kind {other:?}"))),
    };
    let mut fault = Fault::new(kind);
    fault.method = opt_string(p, "method")?;
    fault.chat_id = opt_i64(p, "chat_id")?;
    if let Some(times) = opt_i64(p, "times")? {
        fault.times = u32::try_from(times.max(1)).unwrap_or(u32::MAX);
    }
    Ok(fault)
}

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
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None => (pair.to_owned(), String::new()),
        })
        .collect()
}

fn opt_i64(p: &Map<String, Value>, name: &str) -> Result<Option<i64>, Failure> {
    match p.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| Failure::bad(format!("{name} must be an integer"))),
        Some(Value::String(s)) => s
            .parse()
            .map(Some)
            .map_err(|_| Failure::bad(format!("{name} must be an integer"))),
        Some(_) => Err(Failure::bad(format!("{name} must be an integer"))),
    }
}

fn int(p: &Map<String, Value>, name: &str) -> Result<i64, Failure> {
    opt_i64(p, name)?.ok_or_else(|| Failure::bad(format!("{name} is required")))
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

fn opt_bool(p: &Map<String, Value>, name: &str) -> Result<Option<bool>, Failure> {
    match p.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(Failure::bad(format!("{name} must be a boolean"))),
    }
}
