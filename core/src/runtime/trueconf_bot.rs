//! A TrueConf bot on the runtime: the session, the dispatcher and per-chat ordered actions
//! behind one sans-IO state machine, with the same [`BotOutput`] vocabulary as
//! [`TelegramBot`](super::bot::TelegramBot), so a host loop and a bot written for one runs on
//! the other.
//!
//! What it guarantees:
//!
//! - **Acknowledgement**: every server frame is acknowledged on receipt (the protocol wants it
//!   before any processing). Received events that are not settled yet are part of
//!   [`export_state`](TrueConfBot::export_state), so a restart loses none of them; a bot that
//!   crashes without its state can ask the server for unread messages
//!   ([`SessionConfig::receive_unread`](crate::trueconf::session::SessionConfig)).
//! - **No duplicates**: events are dropped by their message id (or command id) when the
//!   server repeats them, e.g. replaying unread messages after a reconnect.
//! - **Per-chat order of actions**: one action per chat is in flight at a time; the others
//!   wait behind it, also while a failed one is retried (after a disconnect or a timeout, up
//!   to [`TrueConfBotConfig::action_attempts`] times — at least once, so a send whose answer
//!   was lost may be repeated). Server errors are reported at once as
//!   [`BotOutput::ActionDone`] with the typed error.
//! - **Graceful stop**: events that arrive after [`stop`](TrueConfBot::stop) are held (kept in
//!   the exported state, not dispatched); running handlers and their actions finish; then the
//!   session closes and [`BotOutput::Stopped`] is emitted.

use super::bot::{ActError, ActionFailure, ActionId, BotOutput};
use super::dispatcher::{DispatchError, DispatchId, Dispatcher, DispatcherConfig};
use super::model::{Action, ActionError, Event, FileKind};
use super::trueconf::{event_from_server, translate, TrueConfCall, TrueConfOptions};
use super::trueconf_json::event_from_json;
use crate::io::{ConnId, HttpErrorKind, RequestId, Timestamp};
use crate::trueconf::events::parse_event;
use crate::trueconf::session::{
    CallId, ContractError, EventForm, FileToSend, Json, Output, SessionConfig, SessionEvent,
    TrueConfSession, Typed, UploadId,
};
use crate::trueconf::TrueConfError;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, VecDeque};

/// Settings of a [`TrueConfBot`].
#[derive(Debug, Clone, PartialEq)]
pub struct TrueConfBotConfig {
    /// The session (server, credentials, timeouts, reconnect).
    pub session: SessionConfig,
    /// The dispatcher.
    pub dispatch: DispatcherConfig,
    /// Send `answerCommand` for [`Action::AnswerButton`] (off: TrueConf apps do not show
    /// answers yet, and the action is refused as not supported).
    pub answer_commands: bool,
    /// Attempts per action when the connection fails under it (server errors are reported at
    /// once).
    pub action_attempts: u32,
    /// Delay before repeating an action (ms), doubled per attempt.
    pub action_retry_delay_ms: u64,
}

impl TrueConfBotConfig {
    /// Default settings around a session configuration.
    pub fn new(session: SessionConfig) -> Self {
        TrueConfBotConfig {
            session,
            dispatch: DispatcherConfig::default(),
            answer_commands: false,
            action_attempts: 3,
            action_retry_delay_ms: 1_000,
        }
    }
}

/// What a restarted bot needs: events received and not settled, and actions not confirmed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TrueConfBotState {
    /// Unsettled events as `{"method": …, "payload": …}`, in arrival order.
    pub pending: Vec<serde_json::Value>,
    /// Actions not yet confirmed, in order (in flight ones are repeated: at least once).
    pub actions: Vec<Action>,
}

#[derive(Debug, Clone)]
struct Work {
    id: ActionId,
    action: Action,
    call: TrueConfCall,
    attempt: u32,
}

impl Work {
    fn lane(&self) -> String {
        match &self.call {
            TrueConfCall::Request { chat_id, .. } => chat_id.clone().unwrap_or_default(),
            TrueConfCall::Upload { chat_id, .. } => chat_id.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Issued {
    Call(CallId),
    Upload(UploadId),
}

/// The bot. See the module docs. `F` is the form server events take ([`Typed`] by default:
/// the event's payload is [`Payload::TrueConf`](super::model::Payload::TrueConf); with
/// [`Json`] it is [`Payload::TrueConfJson`](super::model::Payload::TrueConfJson), and nothing
/// of the typed event model is decoded, see [`TrueConfBot::new_json`]).
#[derive(Debug)]
pub struct TrueConfBot<F: EventForm = Typed> {
    config: TrueConfBotConfig,
    session: TrueConfSession<F>,
    dispatcher: Dispatcher,
    options: TrueConfOptions,
    /// Per chat (`""` for actions that name none): the action in flight or waiting for its
    /// retry first, then the ones behind it.
    lanes: HashMap<String, VecDeque<Work>>,
    issued: HashMap<Issued, String>,
    // Values boxed: maps whose keys and values have the same layout share one copy of the
    // B-tree code in the WebAssembly module (bindings-wasm/SIZE.md).
    // A `Box<String>`, not a `String` or a `Box<str>`: one pointer, as the other maps' values.
    #[allow(clippy::box_collection)]
    delayed: BTreeMap<(Timestamp, u64), Box<String>>,
    held: Vec<serde_json::Value>,
    out: VecDeque<BotOutput>,
    next_action: u64,
    next_delay: u64,
    now: Timestamp,
    stopping: bool,
    session_stopped: bool,
    stopped: bool,
}

impl TrueConfBot {
    /// A bot with typed server events; nothing happens until [`start`](Self::start).
    pub fn new(config: TrueConfBotConfig) -> Self {
        Self::with_form(config)
    }
}

impl TrueConfBot<Json> {
    /// A bot whose server events stay JSON text and are read by
    /// [`trueconf_json`](super::trueconf_json): the same events and behaviour, and none of
    /// the typed event decoders in the binary.
    pub fn new_json(config: TrueConfBotConfig) -> Self {
        Self::with_form(config)
    }
}

impl<F: EventForm> TrueConfBot<F> {
    /// A bot in form `F`; nothing happens until [`start`](Self::start).
    pub fn with_form(config: TrueConfBotConfig) -> Self {
        TrueConfBot {
            session: TrueConfSession::with_form(config.session.clone()),
            dispatcher: Dispatcher::new(config.dispatch.clone()),
            options: TrueConfOptions {
                bot_id: None,
                answer_commands: config.answer_commands,
            },
            config,
            lanes: HashMap::new(),
            issued: HashMap::new(),
            delayed: BTreeMap::new(),
            held: Vec::new(),
            out: VecDeque::new(),
            next_action: 0,
            next_delay: 0,
            now: 0,
            stopping: false,
            session_stopped: false,
            stopped: false,
        }
    }

    /// The session.
    pub fn session(&self) -> &TrueConfSession<F> {
        &self.session
    }

    /// The session, for calls outside the shared model (typed methods, downloads). Their
    /// answers arrive as [`BotOutput::TrueConf`].
    pub fn session_mut(&mut self) -> &mut TrueConfSession<F> {
        &mut self.session
    }

    /// The dispatcher.
    pub fn dispatcher(&self) -> &Dispatcher {
        &self.dispatcher
    }

    /// Tells the session the wall clock (Unix ms), to judge the token's expiry.
    pub fn set_wall_clock(&mut self, now: Timestamp, unix_ms: i64) {
        self.session.set_wall_clock(now, unix_ms);
    }

    /// Connects.
    ///
    /// # Errors
    /// [`TrueConfError::Stopped`] when the session stopped for good (a permanent failure).
    pub fn start(&mut self, now: Timestamp) -> Result<(), TrueConfError> {
        self.tick(now);
        self.stopping = false;
        self.stopped = false;
        self.session_stopped = false;
        self.session.start(now)?;
        self.pump();
        Ok(())
    }

    /// Stops gracefully: new events are held, running handlers and their actions finish,
    /// the session closes, then [`BotOutput::Stopped`].
    pub fn stop(&mut self, now: Timestamp) {
        self.tick(now);
        if self.stopping {
            return;
        }
        self.stopping = true;
        self.pump();
    }

    /// Whether the bot has stopped.
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// Nothing to do: no event waiting or running, no action queued or in flight.
    pub fn is_idle(&self) -> bool {
        self.dispatcher.is_idle() && self.lanes.is_empty()
    }

    /// Reports that the handler of `id` finished.
    ///
    /// # Errors
    /// [`DispatchError::Unknown`] for an id never issued or already settled.
    pub fn complete(&mut self, now: Timestamp, id: DispatchId) -> Result<(), DispatchError> {
        self.tick(now);
        self.dispatcher.complete(now, id)?;
        self.pump();
        Ok(())
    }

    /// Reports that the handler of `id` failed (it is retried, then dead-lettered).
    ///
    /// # Errors
    /// [`DispatchError::Unknown`] for an id never issued or already settled.
    pub fn fail(
        &mut self,
        now: Timestamp,
        id: DispatchId,
        reason: impl Into<String>,
    ) -> Result<(), DispatchError> {
        self.tick(now);
        self.dispatcher.fail(now, id, reason)?;
        self.pump();
        Ok(())
    }

    /// Performs an action; its outcome arrives as [`BotOutput::ActionDone`].
    ///
    /// # Errors
    /// The action cannot be translated (see [`translate`]); nothing is queued then.
    pub fn act(&mut self, now: Timestamp, action: &Action) -> Result<ActionId, ActError> {
        self.tick(now);
        let call = translate(&self.options, action)?;
        self.next_action += 1;
        let id = ActionId(self.next_action);
        self.enqueue(Work {
            id,
            action: action.clone(),
            call,
            attempt: 1,
        });
        self.pump();
        Ok(id)
    }

    /// Reports the answer to HTTP request `id` (token, probe, upload, download).
    ///
    /// # Errors
    /// [`ContractError`] for an id never issued or already answered.
    pub fn handle_http_response(
        &mut self,
        now: Timestamp,
        id: RequestId,
        status: u16,
        body: &[u8],
    ) -> Result<(), ContractError> {
        self.tick(now);
        let r = self.session.handle_http_response(now, id, status, body);
        self.pump();
        r
    }

    /// Reports that HTTP request `id` failed without an answer.
    ///
    /// # Errors
    /// [`ContractError`] for an id never issued or already answered.
    pub fn handle_http_error(
        &mut self,
        now: Timestamp,
        id: RequestId,
        kind: HttpErrorKind,
    ) -> Result<(), ContractError> {
        self.tick(now);
        let r = self.session.handle_http_error(now, id, kind);
        self.pump();
        r
    }

    /// Reports that the socket `conn` opened.
    ///
    /// # Errors
    /// [`ContractError`] for a connection never asked for or already closed.
    pub fn handle_ws_opened(&mut self, now: Timestamp, conn: ConnId) -> Result<(), ContractError> {
        self.tick(now);
        let r = self.session.handle_ws_opened(now, conn);
        self.pump();
        r
    }

    /// Reports a text frame received on `conn`.
    ///
    /// # Errors
    /// [`ContractError`] for a connection never asked for or already closed.
    pub fn handle_ws_frame(
        &mut self,
        now: Timestamp,
        conn: ConnId,
        text: &str,
    ) -> Result<(), ContractError> {
        self.tick(now);
        let r = self.session.handle_ws_frame(now, conn, text);
        self.pump();
        r
    }

    /// Reports a pong on `conn`.
    ///
    /// # Errors
    /// [`ContractError`] for a connection never asked for or already closed.
    pub fn handle_ws_pong(&mut self, now: Timestamp, conn: ConnId) -> Result<(), ContractError> {
        self.tick(now);
        let r = self.session.handle_ws_pong(now, conn);
        self.pump();
        r
    }

    /// Reports that `conn` closed (or failed to open).
    ///
    /// # Errors
    /// [`ContractError`] for a connection never asked for.
    pub fn handle_ws_closed(&mut self, now: Timestamp, conn: ConnId) -> Result<(), ContractError> {
        self.tick(now);
        let r = self.session.handle_ws_closed(now, conn);
        self.pump();
        r
    }

    /// Lets time pass.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        self.tick(now);
        self.session.handle_timeout(now);
        self.dispatcher.handle_timeout(now);
        while let Some((&(at, _), _)) = self.delayed.first_key_value() {
            if at > now {
                break;
            }
            if let Some((_, lane)) = self.delayed.pop_first() {
                self.issue_head(&lane);
            }
        }
        self.pump();
    }

    /// The next output.
    pub fn poll_output(&mut self) -> Option<BotOutput> {
        self.pump();
        self.out.pop_front()
    }

    /// When to call [`handle_timeout`](Self::handle_timeout) next.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        [
            self.session.poll_timeout(),
            self.dispatcher.poll_timeout(),
            self.delayed.first_key_value().map(|((t, _), _)| *t),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The state to store: unsettled and held events, unconfirmed actions.
    pub fn export_state(&self) -> TrueConfBotState {
        let exported = self.dispatcher.export();
        let mut pending: Vec<serde_json::Value> = exported
            .pending
            .iter()
            // A TrueConf bot's events carry TrueConf payloads: nothing typed of Telegram.
            .map(|e| e.payload.to_json_untyped())
            .collect();
        pending.extend(self.held.iter().cloned());
        // In the order they were made (action ids grow).
        let mut actions: Vec<(ActionId, &Action)> = self
            .lanes
            .values()
            .flat_map(|q| q.iter())
            .map(|w| (w.id, &w.action))
            .collect();
        actions.sort_by_key(|(id, _)| *id);
        TrueConfBotState {
            pending,
            actions: actions.into_iter().map(|(_, a)| a.clone()).collect(),
        }
    }

    /// Restores a stored state before [`start`](Self::start): the events are dispatched again
    /// and the actions performed again (with new action ids). Returns how many events were
    /// restored.
    pub fn restore_state(&mut self, now: Timestamp, state: &TrueConfBotState) -> usize {
        self.tick(now);
        let mut restored = 0;
        for (n, raw) in state.pending.iter().enumerate() {
            let Some(method) = raw.get("method").and_then(|m| m.as_str()) else {
                continue;
            };
            let payload = raw
                .get("payload")
                .map(|p| p.to_string())
                .unwrap_or_default();
            let event = if F::KEEPS_JSON {
                event_from_json(n as u64, method.to_owned(), payload)
            } else {
                event_from_server(n as u64, parse_event(method, &payload), payload)
            };
            if self.dispatcher.submit(now, event).is_ok() {
                restored += 1;
            }
        }
        for action in &state.actions {
            let _ = self.act(now, action);
        }
        self.pump();
        restored
    }

    // ---- internals ----

    fn tick(&mut self, now: Timestamp) {
        self.now = self.now.max(now);
    }

    fn enqueue(&mut self, work: Work) {
        let lane = work.lane();
        let queue = self.lanes.entry(lane.clone()).or_default();
        queue.push_back(work);
        if queue.len() == 1 {
            self.issue_head(&lane);
        }
    }

    /// Sends the first action of `lane`.
    fn issue_head(&mut self, lane: &str) {
        let now = self.now;
        let Some(work) = self.lanes.get(lane).and_then(|q| q.front()).cloned() else {
            return;
        };
        let issued = match &work.call {
            TrueConfCall::Request {
                method, payload, ..
            } => self
                .session
                .call_raw(now, method, &payload.to_string())
                .map(Issued::Call),
            TrueConfCall::Upload {
                chat_id,
                file,
                kind,
                caption,
            } => {
                let mime = file
                    .mime
                    .clone()
                    .unwrap_or_else(|| "application/octet-stream".into());
                let preview =
                    (*kind == FileKind::Photo).then(|| (file.bytes.clone(), mime.clone()));
                self.session
                    .upload_file(
                        now,
                        FileToSend {
                            chat_id: chat_id.clone(),
                            file_name: file.name.clone(),
                            mime_type: mime,
                            bytes: file.bytes.clone(),
                            preview,
                            caption: caption.clone().map(|c| (c, "text".to_owned())),
                            reply_message_id: None,
                        },
                    )
                    .map(Issued::Upload)
            }
        };
        match issued {
            Ok(key) => {
                self.issued.insert(key, lane.to_owned());
            }
            Err(e) => self.finish(lane, Err(ActionFailure::TrueConf(e))),
        }
    }

    /// The head of `lane` is done: report it and send the next one.
    fn finish(&mut self, lane: &str, result: Result<String, ActionFailure>) {
        let Some(queue) = self.lanes.get_mut(lane) else {
            return;
        };
        let Some(work) = queue.pop_front() else {
            return;
        };
        if queue.is_empty() {
            self.lanes.remove(lane);
        }
        self.out.push_back(BotOutput::ActionDone {
            id: work.id,
            result,
        });
        self.issue_head(lane);
    }

    /// The head of `lane` failed with `error`: retry it later or report it.
    fn failed(&mut self, lane: &str, error: TrueConfError) {
        let retryable = matches!(
            error,
            TrueConfError::Disconnected | TrueConfError::Timeout(_) | TrueConfError::Transport(_)
        );
        let attempts = self.config.action_attempts.max(1);
        let head = self.lanes.get_mut(lane).and_then(|q| q.front_mut());
        match head {
            Some(work) if retryable && work.attempt < attempts => {
                let shift = (work.attempt - 1).min(16);
                let delay = self.config.action_retry_delay_ms.saturating_mul(1 << shift);
                work.attempt += 1;
                self.next_delay += 1;
                self.delayed.insert(
                    (self.now.saturating_add(delay), self.next_delay),
                    Box::new(lane.to_owned()),
                );
            }
            _ => self.finish(lane, Err(ActionFailure::TrueConf(error))),
        }
    }

    fn pump(&mut self) {
        let now = self.now;
        while let Some(out) = self.session.poll_output() {
            match out {
                Output::Http { id, request } => self.out.push_back(BotOutput::Http { id, request }),
                Output::WsOpen {
                    conn,
                    url,
                    protocols,
                } => self.out.push_back(BotOutput::WsOpen {
                    conn,
                    url,
                    protocols,
                }),
                Output::WsSend { conn, text } => {
                    self.out.push_back(BotOutput::WsSend { conn, text })
                }
                Output::WsPing { conn } => self.out.push_back(BotOutput::WsPing { conn }),
                Output::WsClose { conn } => self.out.push_back(BotOutput::WsClose { conn }),
                Output::Event(e) => self.on_session_event(now, e),
            }
        }
        while let Some(out) = self.dispatcher.poll_output() {
            match out {
                super::dispatcher::Output::Dispatch { id, event, attempt } => self
                    .out
                    .push_back(BotOutput::Dispatch { id, event, attempt }),
                super::dispatcher::Output::DeadLetter(d) => {
                    self.out.push_back(BotOutput::DeadLetter(d))
                }
                super::dispatcher::Output::Duplicate { .. } => {}
            }
        }
        self.check_stopped();
    }

    fn on_session_event(&mut self, now: Timestamp, e: SessionEvent) {
        match e {
            // The `Json` form's session never hands out a typed event; the guard keeps the typed
            // translation out of programs using only that form.
            SessionEvent::Server {
                frame_id,
                event,
                raw,
            } if !F::KEEPS_JSON => {
                self.on_server_event(now, event_from_server(frame_id, *event, raw))
            }
            SessionEvent::ServerJson {
                frame_id,
                method,
                raw,
            } => self.on_server_event(now, event_from_json(frame_id, method, raw)),
            SessionEvent::Response { call, result, .. } => {
                if let Some(lane) = self.issued.remove(&Issued::Call(call)) {
                    match result {
                        Ok(raw) => self.finish(&lane, Ok(raw.0)),
                        Err(error) => self.failed(&lane, error),
                    }
                } else {
                    // A call the host made through `session_mut`.
                    self.out
                        .push_back(BotOutput::TrueConf(SessionEvent::Response {
                            call,
                            method: String::new(),
                            result,
                        }));
                }
            }
            SessionEvent::UploadDone { upload, result } => {
                if let Some(lane) = self.issued.remove(&Issued::Upload(upload)) {
                    match result {
                        Ok(done) => self.finish(&lane, Ok(done.raw.0)),
                        Err(error) => self.failed(&lane, error),
                    }
                } else {
                    self.out
                        .push_back(BotOutput::TrueConf(SessionEvent::UploadDone {
                            upload,
                            result,
                        }));
                }
            }
            SessionEvent::Connected {
                user_id,
                bot_id,
                connection_id,
                server,
            } => {
                self.options.bot_id = Some(bot_id.clone());
                self.out
                    .push_back(BotOutput::TrueConf(SessionEvent::Connected {
                        user_id,
                        bot_id,
                        connection_id,
                        server,
                    }));
            }
            SessionEvent::Stopped { error } => {
                self.session_stopped = true;
                if error.is_some() {
                    // A permanent failure: every action still queued fails with it.
                    let lanes: Vec<String> = self.lanes.keys().cloned().collect();
                    for lane in lanes {
                        while self.lanes.contains_key(&lane) {
                            self.issued.retain(|_, l| *l != lane);
                            self.finish(
                                &lane,
                                Err(ActionFailure::TrueConf(TrueConfError::Stopped)),
                            );
                        }
                    }
                }
                self.out
                    .push_back(BotOutput::TrueConf(SessionEvent::Stopped { error }));
            }
            other => self.out.push_back(BotOutput::TrueConf(other)),
        }
    }

    fn on_server_event(&mut self, now: Timestamp, shared: Event) {
        if self.stopping {
            self.held.push(shared.payload.to_json_untyped());
            return;
        }
        if let Err(err) = self.dispatcher.submit(now, shared) {
            // The queue is full: keep the event (it is exported with the state) and say so.
            if let Some(ev) = err.into_event() {
                self.held.push(ev.payload.to_json_untyped());
                self.out
                    .push_back(BotOutput::TrueConf(SessionEvent::Notice {
                        message: format!("dispatch queue full; event {} held", ev.id),
                    }));
            }
        }
    }

    fn check_stopped(&mut self) {
        if !self.stopping || self.stopped {
            return;
        }
        if !self.session_stopped {
            if self.is_idle() {
                self.session.stop(self.now);
                // The session's outputs (close, Stopped) go out on the next pass.
                while let Some(out) = self.session.poll_output() {
                    match out {
                        Output::WsClose { conn } => self.out.push_back(BotOutput::WsClose { conn }),
                        Output::Event(SessionEvent::Stopped { .. }) => self.session_stopped = true,
                        Output::Event(e) => self.out.push_back(BotOutput::TrueConf(e)),
                        _ => {}
                    }
                }
            } else {
                return;
            }
        }
        if self.session_stopped {
            self.stopped = true;
            self.out.push_back(BotOutput::Stopped { offset: None });
        }
    }
}

impl From<TrueConfError> for ActError {
    fn from(e: TrueConfError) -> Self {
        ActError::Action(ActionError::Encode(e.to_string()))
    }
}
