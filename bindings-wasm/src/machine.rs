//! The runtime machine behind `Bot`: a Telegram or a TrueConf bot with one set of verbs, and
//! the JSON shapes of what JavaScript gets back (error descriptions, route matches). Plain
//! Rust, tested natively; `bot.rs` does the I/O.

use crate::json::{api_error_to_json, http_error_kind_name, trueconf_error_info};
use botwire_core::io::{ConnId, HttpErrorKind, RequestId, Timestamp};
use botwire_core::runtime::bot::{ActError, ActionFailure, ActionId, BotOutput, TelegramBot};
use botwire_core::runtime::dispatcher::{DispatchError, DispatchId};
use botwire_core::runtime::model::{Action, Platform};
use botwire_core::runtime::router::{Extracted, Match};
use botwire_core::runtime::trueconf_bot::TrueConfBot;
use botwire_core::telegram::client::Json;
use botwire_core::trueconf::session::Json as TrueConfJson;
use botwire_core::trueconf::TrueConfError;
use serde_json::{json, Value};

/// A Telegram or a TrueConf bot.
#[derive(Debug)]
pub enum Machine {
    /// Telegram, with updates kept as JSON (JavaScript gets JSON anyway, and the module then
    /// contains none of the typed Bot API model).
    Telegram(Box<TelegramBot<Json>>),
    /// TrueConf, with server events kept as JSON (the module then contains none of the typed
    /// TrueConf event model).
    TrueConf(Box<TrueConfBot<TrueConfJson>>),
}

fn not_websocket() -> String {
    "a Telegram bot has no WebSocket".to_owned()
}

impl Machine {
    /// The platform.
    pub fn platform(&self) -> Platform {
        match self {
            Machine::Telegram(_) => Platform::Telegram,
            Machine::TrueConf(_) => Platform::TrueConf,
        }
    }

    /// Starts intake.
    ///
    /// # Errors
    /// The TrueConf session stopped for good earlier.
    pub fn start(&mut self, now: Timestamp) -> Result<(), TrueConfError> {
        match self {
            Machine::Telegram(b) => {
                b.start(now);
                Ok(())
            }
            Machine::TrueConf(b) => b.start(now),
        }
    }

    /// Stops gracefully.
    pub fn stop(&mut self, now: Timestamp) {
        match self {
            Machine::Telegram(b) => b.stop(now),
            Machine::TrueConf(b) => b.stop(now),
        }
    }

    /// A handler finished.
    ///
    /// # Errors
    /// The dispatch is unknown or settled (it timed out meanwhile).
    pub fn complete(&mut self, now: Timestamp, id: DispatchId) -> Result<(), DispatchError> {
        match self {
            Machine::Telegram(b) => b.complete(now, id),
            Machine::TrueConf(b) => b.complete(now, id),
        }
    }

    /// A handler failed.
    ///
    /// # Errors
    /// The dispatch is unknown or settled.
    pub fn fail(
        &mut self,
        now: Timestamp,
        id: DispatchId,
        reason: String,
    ) -> Result<(), DispatchError> {
        match self {
            Machine::Telegram(b) => b.fail(now, id, reason),
            Machine::TrueConf(b) => b.fail(now, id, reason),
        }
    }

    /// Performs an action.
    ///
    /// # Errors
    /// The action cannot be translated or its queue is full.
    pub fn act(&mut self, now: Timestamp, action: &Action) -> Result<ActionId, ActError> {
        match self {
            Machine::Telegram(b) => b.act(now, action),
            Machine::TrueConf(b) => b.act(now, action),
        }
    }

    /// An HTTP answer.
    ///
    /// # Errors
    /// The id is unknown or answered.
    pub fn http_response(
        &mut self,
        now: Timestamp,
        id: RequestId,
        status: u16,
        body: &[u8],
    ) -> Result<(), String> {
        match self {
            Machine::Telegram(b) => b
                .handle_http_response(now, id, status, body)
                .map_err(|e| e.to_string()),
            Machine::TrueConf(b) => b
                .handle_http_response(now, id, status, body)
                .map_err(|e| e.to_string()),
        }
    }

    /// An HTTP request failed without an answer.
    ///
    /// # Errors
    /// The id is unknown or answered.
    pub fn http_error(
        &mut self,
        now: Timestamp,
        id: RequestId,
        kind: HttpErrorKind,
    ) -> Result<(), String> {
        match self {
            Machine::Telegram(b) => b
                .handle_http_error(now, id, kind)
                .map_err(|e| e.to_string()),
            Machine::TrueConf(b) => b
                .handle_http_error(now, id, kind)
                .map_err(|e| e.to_string()),
        }
    }

    /// A socket opened.
    ///
    /// # Errors
    /// Unknown connection, or a Telegram bot.
    pub fn ws_opened(&mut self, now: Timestamp, conn: ConnId) -> Result<(), String> {
        match self {
            Machine::Telegram(_) => Err(not_websocket()),
            Machine::TrueConf(b) => b.handle_ws_opened(now, conn).map_err(|e| e.to_string()),
        }
    }

    /// A text frame arrived.
    ///
    /// # Errors
    /// Unknown connection, or a Telegram bot.
    pub fn ws_frame(&mut self, now: Timestamp, conn: ConnId, text: &str) -> Result<(), String> {
        match self {
            Machine::Telegram(_) => Err(not_websocket()),
            Machine::TrueConf(b) => b
                .handle_ws_frame(now, conn, text)
                .map_err(|e| e.to_string()),
        }
    }

    /// A pong arrived (or stands in for one).
    ///
    /// # Errors
    /// Unknown connection, or a Telegram bot.
    pub fn ws_pong(&mut self, now: Timestamp, conn: ConnId) -> Result<(), String> {
        match self {
            Machine::Telegram(_) => Err(not_websocket()),
            Machine::TrueConf(b) => b.handle_ws_pong(now, conn).map_err(|e| e.to_string()),
        }
    }

    /// A socket closed or failed to open.
    ///
    /// # Errors
    /// Unknown connection, or a Telegram bot.
    pub fn ws_closed(&mut self, now: Timestamp, conn: ConnId) -> Result<(), String> {
        match self {
            Machine::Telegram(_) => Err(not_websocket()),
            Machine::TrueConf(b) => b.handle_ws_closed(now, conn).map_err(|e| e.to_string()),
        }
    }

    /// Time passes.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        match self {
            Machine::Telegram(b) => b.handle_timeout(now),
            Machine::TrueConf(b) => b.handle_timeout(now),
        }
    }

    /// The next output.
    pub fn poll_output(&mut self) -> Option<BotOutput> {
        match self {
            Machine::Telegram(b) => b.poll_output(),
            Machine::TrueConf(b) => b.poll_output(),
        }
    }

    /// The next deadline.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        match self {
            Machine::Telegram(b) => b.poll_timeout(),
            Machine::TrueConf(b) => b.poll_timeout(),
        }
    }

    /// The state to store, as JSON.
    pub fn export_state(&self, wall_unix_ms: i64) -> Value {
        match self {
            Machine::Telegram(b) => {
                serde_json::to_value(b.export_state(wall_unix_ms / 1000)).unwrap_or(Value::Null)
            }
            Machine::TrueConf(b) => serde_json::to_value(b.export_state()).unwrap_or(Value::Null),
        }
    }

    /// Restores a stored state before `start`; returns how many events were restored.
    ///
    /// # Errors
    /// The JSON is not a state of this platform.
    pub fn restore_state(
        &mut self,
        now: Timestamp,
        state: &str,
        wall_unix_ms: i64,
    ) -> Result<usize, String> {
        match self {
            Machine::Telegram(b) => {
                let state = serde_json::from_str(state).map_err(|e| e.to_string())?;
                Ok(b.restore_state(now, &state, wall_unix_ms / 1000))
            }
            Machine::TrueConf(b) => {
                let state = serde_json::from_str(state).map_err(|e| e.to_string())?;
                Ok(b.restore_state(now, &state))
            }
        }
    }
}

/// The description of an action that failed for good.
pub fn action_failure_info(failure: &ActionFailure, method: Option<&str>) -> Value {
    let mut info = match failure {
        ActionFailure::Api(error) => api_error_to_json(error),
        ActionFailure::Transport(kind) => json!({
            "kind": "network",
            "reason": http_error_kind_name(*kind),
            "message": failure.to_string(),
        }),
        ActionFailure::TrueConf(error) => trueconf_error_info(error),
        other => json!({"kind": "unknown", "message": other.to_string()}),
    };
    if let (Some(method), Value::Object(map)) = (method, &mut info) {
        map.insert("method".into(), method.into());
    }
    info
}

/// The description of an action refused before anything was sent.
pub fn act_error_info(error: &ActError, method: Option<&str>) -> Value {
    let kind = match error {
        ActError::QueueFull(_) => "queue_full",
        _ => "invalid_call",
    };
    let mut info = json!({"kind": kind, "message": error.to_string()});
    if let Some(method) = method {
        info["method"] = method.into();
    }
    info
}

/// What a route matched, for the handler's context, in the form the JavaScript dispatcher
/// takes it (plain arguments rather than one JSON object): the handler id (`None` when
/// nothing matched) and what the route extracted.
#[derive(Debug, PartialEq, Eq)]
pub struct MatchInfo {
    /// The matched route's handler.
    pub handler: Option<u32>,
    /// What the route extracted.
    pub detail: MatchDetail,
}

/// What a route extracted, as JavaScript gets it.
#[derive(Debug, PartialEq, Eq)]
pub enum MatchDetail {
    /// Nothing.
    None,
    /// A command: JSON text of `{ name, prefix, username, args, rest }`.
    Command(String),
    /// Regex captures: JSON text of `{ groups, named }`.
    Captures(String),
    /// The rest of callback data after the route's prefix (empty for an exact match).
    CallbackRest(String),
}

impl MatchDetail {
    /// The number that tells the kinds apart in the dispatcher's arguments (0 nothing, 1 a
    /// command, 2 captures, 3 the rest of callback data) and the text that goes with it.
    pub fn parts(&self) -> (u32, Option<&str>) {
        match self {
            MatchDetail::None => (0, None),
            MatchDetail::Command(text) => (1, Some(text)),
            MatchDetail::Captures(text) => (2, Some(text)),
            MatchDetail::CallbackRest(rest) => (3, Some(rest)),
        }
    }
}

/// A command match as JSON, borrowed for serialising.
#[derive(serde::Serialize)]
struct CommandJson<'a> {
    name: &'a str,
    prefix: &'a str,
    username: &'a Option<String>,
    args: &'a [String],
    rest: &'a str,
}

/// What a route matched (see [`MatchInfo`]).
pub fn match_info(matched: Option<&Match<'_, u32>>) -> MatchInfo {
    let Some(m) = matched else {
        return MatchInfo {
            handler: None,
            detail: MatchDetail::None,
        };
    };
    let detail = match &m.extracted {
        Extracted::Command(c) => MatchDetail::Command(
            serde_json::to_string(&CommandJson {
                name: c.name,
                prefix: c.prefix,
                username: &c.username,
                args: &c.args,
                rest: &c.rest,
            })
            .unwrap_or_else(|_| "null".into()),
        ),
        Extracted::Captures(c) => {
            let named: serde_json::Map<String, Value> = c
                .named()
                .map(|(name, value)| (name.to_owned(), value.into()))
                .collect();
            MatchDetail::Captures(json!({"groups": c.groups, "named": named}).to_string())
        }
        Extracted::Tested(t) => {
            let named: serde_json::Map<String, Value> = t
                .named
                .iter()
                .map(|(name, value)| (name.clone(), value.clone().into()))
                .collect();
            MatchDetail::Captures(json!({"groups": t.groups, "named": named}).to_string())
        }
        Extracted::CallbackData { rest } => MatchDetail::CallbackRest(rest.clone()),
        _ => MatchDetail::None,
    };
    MatchInfo {
        handler: Some(*m.handler),
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use botwire_core::runtime::model::{Chat, ChatType, Event, EventKind, Payload};
    use botwire_core::runtime::router::Router;

    fn message(text: &str) -> Event {
        Event {
            platform: Platform::Telegram,
            id: "1".into(),
            seq: Some(1),
            kind: EventKind::Message,
            platform_kind: "message".into(),
            chat: Some(Chat {
                key: "telegram:5".into(),
                chat_type: ChatType::Private,
                title: None,
            }),
            from: None,
            message: None,
            content_type: Some("text".into()),
            text: Some(text.into()),
            data: None,
            query_id: None,
            payload: Payload::Json(Box::new(Value::Null)),
        }
    }

    #[test]
    fn matches_are_described() {
        let mut router = Router::new();
        router.command("start", 1);
        router.regex(r"^say (?<what>\w+)", 2).unwrap();
        let start = router.route(&message("/start a b")).unwrap();
        let info = match_info(Some(&start));
        assert_eq!(info.handler, Some(1));
        let (kind, text) = info.detail.parts();
        assert_eq!(kind, 1);
        let command: Value = serde_json::from_str(text.unwrap()).unwrap();
        assert_eq!(
            command,
            json!({"name": "start", "prefix": "/", "username": null, "args": ["a", "b"],
                "rest": "a b"})
        );
        let say = router.route(&message("say hi")).unwrap();
        let info = match_info(Some(&say));
        assert_eq!(info.handler, Some(2));
        let (kind, text) = info.detail.parts();
        assert_eq!(kind, 2);
        let captures: Value = serde_json::from_str(text.unwrap()).unwrap();
        assert_eq!(captures["groups"], json!(["say hi", "hi"]));
        assert_eq!(captures["named"]["what"], "hi");
        assert_eq!(
            match_info(None),
            MatchInfo {
                handler: None,
                detail: MatchDetail::None
            }
        );
    }

    #[test]
    fn failures_are_described() {
        let info = action_failure_info(
            &ActionFailure::Transport(HttpErrorKind::Connect),
            Some("getMe"),
        );
        assert_eq!(info["kind"], "network");
        assert_eq!(info["reason"], "connect");
        assert_eq!(info["method"], "getMe");
        let info = trueconf_error_info(&TrueConfError::Server {
            code: botwire_core::trueconf::error::ErrorCode(304),
            description: None,
        });
        assert_eq!(info["kind"], "trueconf");
        assert_eq!(info["error_code"], 304);
    }
}
