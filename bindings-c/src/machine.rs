//! One set of verbs over the two runtime machines, [`TelegramBot`] and [`TrueConfBot`], and
//! the JSON descriptions of their failures (the same shapes as the npm package's).

use crate::json::{api_error_to_json, http_error_kind_name, trueconf_error_info};
use crate::{botwire_result, Failure};
use botwire_core::io::{ConnId, HttpErrorKind, RequestId, Timestamp};
use botwire_core::runtime::bot::{ActError, ActionFailure, ActionId, BotOutput, TelegramBot};
use botwire_core::runtime::dispatcher::{DispatchError, DispatchId};
use botwire_core::runtime::model::{Action, Platform};
use botwire_core::runtime::trueconf_bot::TrueConfBot;
use botwire_core::trueconf::session::ContractError as SessionContractError;
use serde_json::{json, Value};

/// A Telegram or a TrueConf bot.
#[derive(Debug)]
pub enum Machine {
    /// Telegram.
    Telegram(Box<TelegramBot>),
    /// TrueConf.
    TrueConf(Box<TrueConfBot>),
}

fn no_websocket() -> Failure {
    Failure::new(
        botwire_result::NotSupported,
        "a Telegram bot has no WebSocket",
    )
}

fn session_contract(error: SessionContractError) -> Failure {
    let code = match error {
        SessionContractError::UnknownRequest(_) => botwire_result::UnknownRequest,
        _ => botwire_result::UnknownConnection,
    };
    Failure::new(code, error.to_string())
}

fn dispatch_error(error: DispatchError) -> Failure {
    Failure::new(botwire_result::UnknownDispatch, error.to_string())
}

/// The failure of an action refused before anything was sent.
pub fn act_failure(error: ActError) -> Failure {
    let code = match &error {
        ActError::QueueFull(_) => botwire_result::QueueFull,
        ActError::Action(botwire_core::runtime::model::ActionError::NotSupported { .. }) => {
            botwire_result::NotSupported
        }
        _ => botwire_result::InvalidArguments,
    };
    Failure::new(code, error.to_string())
}

impl Machine {
    /// The platform.
    pub fn platform(&self) -> Platform {
        match self {
            Machine::Telegram(_) => Platform::Telegram,
            Machine::TrueConf(_) => Platform::TrueConf,
        }
    }

    pub fn start(&mut self, now: Timestamp) -> Result<(), Failure> {
        match self {
            Machine::Telegram(b) => {
                b.start(now);
                Ok(())
            }
            Machine::TrueConf(b) => b
                .start(now)
                .map_err(|e| Failure::new(botwire_result::WrongState, e.to_string())),
        }
    }

    pub fn stop(&mut self, now: Timestamp) {
        match self {
            Machine::Telegram(b) => b.stop(now),
            Machine::TrueConf(b) => b.stop(now),
        }
    }

    pub fn is_stopped(&self) -> bool {
        match self {
            Machine::Telegram(b) => b.is_stopped(),
            Machine::TrueConf(b) => b.is_stopped(),
        }
    }

    pub fn complete(&mut self, now: Timestamp, id: DispatchId) -> Result<(), Failure> {
        match self {
            Machine::Telegram(b) => b.complete(now, id),
            Machine::TrueConf(b) => b.complete(now, id),
        }
        .map_err(dispatch_error)
    }

    pub fn fail(&mut self, now: Timestamp, id: DispatchId, reason: &str) -> Result<(), Failure> {
        match self {
            Machine::Telegram(b) => b.fail(now, id, reason),
            Machine::TrueConf(b) => b.fail(now, id, reason),
        }
        .map_err(dispatch_error)
    }

    pub fn act(&mut self, now: Timestamp, action: &Action) -> Result<ActionId, Failure> {
        match self {
            Machine::Telegram(b) => b.act(now, action),
            Machine::TrueConf(b) => b.act(now, action),
        }
        .map_err(act_failure)
    }

    pub fn http_response(
        &mut self,
        now: Timestamp,
        id: RequestId,
        status: u16,
        body: &[u8],
    ) -> Result<(), Failure> {
        match self {
            Machine::Telegram(b) => Ok(b.handle_http_response(now, id, status, body)?),
            Machine::TrueConf(b) => b
                .handle_http_response(now, id, status, body)
                .map_err(session_contract),
        }
    }

    pub fn http_error(
        &mut self,
        now: Timestamp,
        id: RequestId,
        kind: HttpErrorKind,
    ) -> Result<(), Failure> {
        match self {
            Machine::Telegram(b) => Ok(b.handle_http_error(now, id, kind)?),
            Machine::TrueConf(b) => b.handle_http_error(now, id, kind).map_err(session_contract),
        }
    }

    pub fn ws_opened(&mut self, now: Timestamp, conn: ConnId) -> Result<(), Failure> {
        match self {
            Machine::Telegram(_) => Err(no_websocket()),
            Machine::TrueConf(b) => b.handle_ws_opened(now, conn).map_err(session_contract),
        }
    }

    pub fn ws_frame(&mut self, now: Timestamp, conn: ConnId, text: &str) -> Result<(), Failure> {
        match self {
            Machine::Telegram(_) => Err(no_websocket()),
            Machine::TrueConf(b) => b.handle_ws_frame(now, conn, text).map_err(session_contract),
        }
    }

    pub fn ws_pong(&mut self, now: Timestamp, conn: ConnId) -> Result<(), Failure> {
        match self {
            Machine::Telegram(_) => Err(no_websocket()),
            Machine::TrueConf(b) => b.handle_ws_pong(now, conn).map_err(session_contract),
        }
    }

    pub fn ws_closed(&mut self, now: Timestamp, conn: ConnId) -> Result<(), Failure> {
        match self {
            Machine::Telegram(_) => Err(no_websocket()),
            Machine::TrueConf(b) => b.handle_ws_closed(now, conn).map_err(session_contract),
        }
    }

    pub fn handle_timeout(&mut self, now: Timestamp) {
        match self {
            Machine::Telegram(b) => b.handle_timeout(now),
            Machine::TrueConf(b) => b.handle_timeout(now),
        }
    }

    pub fn poll_output(&mut self) -> Option<BotOutput> {
        match self {
            Machine::Telegram(b) => b.poll_output(),
            Machine::TrueConf(b) => b.poll_output(),
        }
    }

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
                serde_json::to_value(b.export_state(wall_unix_ms.div_euclid(1000)))
                    .unwrap_or(Value::Null)
            }
            Machine::TrueConf(b) => serde_json::to_value(b.export_state()).unwrap_or(Value::Null),
        }
    }

    /// Restores a stored state; returns how many events were restored.
    pub fn restore_state(
        &mut self,
        now: Timestamp,
        state: &str,
        wall_unix_ms: i64,
    ) -> Result<usize, Failure> {
        let invalid = |e: serde_json::Error| {
            Failure::new(
                botwire_result::InvalidJson,
                format!("not a stored state of this platform: {e}"),
            )
        };
        match self {
            Machine::Telegram(b) => {
                let state = serde_json::from_str(state).map_err(invalid)?;
                Ok(b.restore_state(now, &state, wall_unix_ms.div_euclid(1000)))
            }
            Machine::TrueConf(b) => {
                let state = serde_json::from_str(state).map_err(invalid)?;
                Ok(b.restore_state(now, &state))
            }
        }
    }
}

/// What an action's failure is, as JSON: `{kind, message, ...}` (a Telegram API error has
/// `error_code`, `description`, `retry_after` ...; a transport failure `reason`).
pub fn action_failure_info(failure: &ActionFailure) -> Value {
    match failure {
        ActionFailure::Api(error) => api_error_to_json(error),
        ActionFailure::Transport(kind) => json!({
            "kind": "network",
            "reason": http_error_kind_name(*kind),
            "message": failure.to_string(),
        }),
        ActionFailure::TrueConf(error) => trueconf_error_info(error),
        other => json!({"kind": "unknown", "message": other.to_string()}),
    }
}
