//! A Telegram bot on the runtime: the intake client, the dispatcher and flood control wired
//! together behind one sans-IO state machine.
//!
//! The host loop is the one of every botwire state machine, with two more outputs:
//! [`BotOutput::Dispatch`] asks the host to run its handler for an event (routing it with a
//! [`Router`](super::router::Router) if it likes) and to report
//! [`complete`](TelegramBot::complete) or [`fail`](TelegramBot::fail); handlers act through
//! [`act`](TelegramBot::act), whose sends pass through flood control, and whose outcome
//! arrives as [`BotOutput::ActionDone`].
//!
//! What it guarantees, beyond the dispatcher's per-chat order and bounded concurrency:
//!
//! - **Acknowledgement** ([`AckMode`]): after receipt (the offset moves when a batch arrives;
//!   unsettled events are part of the exported state) or after handling (the offset moves
//!   only past settled events; the next poll waits until the batch is settled).
//! - **Nothing lost, nothing doubled**: [`export_state`](TelegramBot::export_state) gives the
//!   cursor, the unsettled updates and the settled positions above the watermark; a bot
//!   restored from it re-dispatches exactly the unsettled ones.
//! - **Flood control** on every send ([`Action::is_send`]): per-chat order, budgets, a 429
//!   pauses only its chat and the send is repeated after the wait; other failures are retried
//!   up to [`BotConfig::action_attempts`] times and then reported, never silently dropped.
//! - **Back-pressure**: polling holds while the dispatch queue cannot take a full batch; a
//!   webhook delivery is refused with 503 (Telegram redelivers it).
//! - **Graceful stop**: intake stops, in-flight handlers and their actions finish, the cursor
//!   is confirmed, then [`BotOutput::Stopped`] carries the final state.

use super::dispatcher::{DeadLetter, DispatchError, DispatchId, Dispatcher, DispatcherConfig};
use super::flood::{ChatClass, FloodConfig, FloodControl, FloodError, RetryScope, SendId};
use super::model::{Action, ActionError, Event};
use super::telegram::{event_from_update, translate, translate_json, TelegramCall};
use super::telegram_json::event_from_json;
use crate::io::{ConnId, HttpErrorKind, HttpRequest, RequestId, Timestamp};
use crate::telegram::client::{
    self, ClientConfig, ContractError, Cursor, Intake, TelegramClient, WebhookReply,
};
use crate::telegram::client::{Json, Typed, UpdateForm};
use crate::telegram::error::ApiError;
use crate::telegram::json_update::JsonUpdate;
use crate::telegram::types::Update;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

/// When updates are acknowledged to Telegram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AckMode {
    /// When received: fastest; unsettled updates live in the exported state.
    #[default]
    AfterReceipt,
    /// When settled (handled or dead-lettered): the server keeps unhandled updates, so even a
    /// crash without an exported state loses nothing (it may repeat the unsettled ones).
    AfterHandling,
}

/// Bot settings.
#[derive(Debug, Clone, PartialEq)]
pub struct BotConfig {
    /// The intake client.
    pub client: ClientConfig,
    /// The dispatcher.
    pub dispatch: DispatcherConfig,
    /// Flood control of sends.
    pub flood: FloodConfig,
    /// Acknowledgement (polling intake).
    pub ack: AckMode,
    /// Attempts per action before its failure is reported (429 answers are always waited
    /// out and do not count).
    pub action_attempts: u32,
    /// Delay before repeating a failed action (ms), doubled per attempt.
    pub action_retry_delay_ms: u64,
}

impl BotConfig {
    /// Long polling with default settings.
    pub fn polling(token: impl Into<String>) -> Self {
        BotConfig {
            client: ClientConfig::polling(token),
            dispatch: DispatcherConfig::default(),
            flood: FloodConfig::default(),
            ack: AckMode::default(),
            action_attempts: 3,
            action_retry_delay_ms: 1_000,
        }
    }

    /// Uses another API root (a simulator, a local Bot API server).
    pub fn with_api_root(mut self, root: impl Into<String>) -> Self {
        self.client = self.client.with_api_root(root);
        self
    }
}

/// Identifies one action given to [`TelegramBot::act`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ActionId(pub u64);

/// Why an action failed for good.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ActionFailure {
    /// Telegram refused it.
    #[error("{0}")]
    Api(ApiError),
    /// The request did not get an answer.
    #[error("transport failure: {0:?}")]
    Transport(HttpErrorKind),
    /// TrueConf refused it, or it got no answer.
    #[error("{0}")]
    TrueConf(crate::trueconf::TrueConfError),
}

/// Why [`TelegramBot::act`] refused an action (nothing was queued).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ActError {
    /// It cannot be translated (unsupported, bad key, bad arguments).
    #[error(transparent)]
    Action(#[from] ActionError),
    /// Flood control's queue for the chat (or overall) is full.
    #[error("send queue full: {0}")]
    QueueFull(String),
}

/// What the host must do or know.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum BotOutput {
    /// Perform this request and answer `id` exactly once.
    Http {
        /// The id to answer.
        id: RequestId,
        /// The request.
        request: HttpRequest,
    },
    /// Abort request `id` if possible (it still needs its one answer).
    Abort {
        /// The request.
        id: RequestId,
    },
    /// Open a WebSocket (TrueConf) and report it opened or closed.
    WsOpen {
        /// The connection's id.
        conn: ConnId,
        /// `ws://` or `wss://` URL.
        url: String,
        /// Subprotocols to offer; empty for none.
        protocols: Vec<String>,
    },
    /// Send a text frame on a WebSocket.
    WsSend {
        /// The connection.
        conn: ConnId,
        /// The frame.
        text: String,
    },
    /// Send a WebSocket ping and report the pong.
    WsPing {
        /// The connection.
        conn: ConnId,
    },
    /// Close a WebSocket.
    WsClose {
        /// The connection.
        conn: ConnId,
    },
    /// Run the handler for `event`; then [`TelegramBot::complete`] or [`TelegramBot::fail`].
    Dispatch {
        /// The id to report.
        id: DispatchId,
        /// The event.
        event: Arc<Event>,
        /// 1 for the first attempt.
        attempt: u32,
    },
    /// An event failed every attempt.
    DeadLetter(DeadLetter),
    /// The outcome of an action.
    ActionDone {
        /// The action.
        id: ActionId,
        /// The method's `result` JSON, or why it failed.
        result: Result<String, ActionFailure>,
    },
    /// Something about intake the host may want to log (polling paused, conflict, fatal
    /// token error, dropped or malformed updates).
    Notice(client::Event),
    /// Something about the TrueConf session the host may want to log or use (connected,
    /// disconnected, malformed frames, answers to calls made directly on the session).
    TrueConf(crate::trueconf::session::SessionEvent),
    /// The bot stopped gracefully: intake stopped, every handler and action finished, the
    /// cursor confirmed. Store [`TelegramBot::export_state`] to resume later.
    Stopped {
        /// The confirmed offset.
        offset: Option<i64>,
    },
}

/// What a restarted bot needs to continue without losing or repeating updates.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct BotState {
    /// The intake cursor.
    pub cursor: Cursor,
    /// Updates received and not settled, in arrival order.
    pub pending: Vec<serde_json::Value>,
    /// Update ids settled above the acknowledgement watermark.
    pub settled_above: Vec<i64>,
    /// Actions not yet confirmed: in flight (their outcome is unknown, so they are sent
    /// again: at least once), waiting for a retry, or queued by flood control; in order.
    #[serde(default)]
    pub actions: Vec<StoredAction>,
}

/// An action's request, without the token, as stored in a [`BotState`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAction {
    /// The Bot API method.
    pub method: String,
    /// The request's `Content-Type`.
    pub content_type: String,
    /// The body, base64.
    pub body: String,
    /// The chat, for flood control.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<i64>,
    /// Whether it counts as a send.
    #[serde(default)]
    pub counts_as_send: bool,
}

impl StoredAction {
    fn from_call(call: &TelegramCall) -> Self {
        use base64::Engine as _;
        StoredAction {
            method: call.method.to_owned(),
            content_type: crate::io::find_header(&call.request.headers, "Content-Type")
                .unwrap_or("application/json")
                .to_owned(),
            body: base64::engine::general_purpose::STANDARD.encode(&call.request.body),
            chat_id: call.chat_id,
            counts_as_send: call.counts_as_send,
        }
    }

    fn to_call(&self, api: &crate::telegram::Api) -> Option<TelegramCall> {
        use base64::Engine as _;
        let info = crate::telegram::api::find_method_shape(&self.method)?;
        let body = base64::engine::general_purpose::STANDARD
            .decode(&self.body)
            .ok()?;
        Some(TelegramCall {
            method: info.name,
            request: HttpRequest {
                method: crate::io::HttpMethod::Post,
                url: api.method_url(info.name),
                headers: vec![("Content-Type".into(), self.content_type.clone())],
                body,
                timeout_ms: None,
            },
            chat_id: self.chat_id,
            counts_as_send: self.counts_as_send,
        })
    }
}

#[derive(Debug, Clone)]
struct Work {
    action: ActionId,
    call: TelegramCall,
    attempt: u32,
}

#[derive(Debug)]
enum InFlight {
    /// A send released by flood control.
    Flood(SendId, Work),
    /// Any other action.
    Direct(Work),
}

/// The bot. See the module docs. `F` is the form updates take ([`Typed`] by default: the
/// event's payload is [`Payload::Telegram`](super::model::Payload::Telegram); with [`Json`]
/// it is [`Payload::TelegramJson`](super::model::Payload::TelegramJson), and nothing of the
/// typed model is decoded, see [`TelegramBot::new_json`]).
#[derive(Debug)]
pub struct TelegramBot<F: UpdateForm = Typed> {
    config: BotConfig,
    client: TelegramClient<F>,
    dispatcher: Dispatcher,
    flood: FloodControl<Work>,
    calls: HashMap<RequestId, InFlight>,
    // Values boxed: maps whose keys and values have the same layout share one copy of the
    // B-tree code in the WebAssembly module (bindings-wasm/SIZE.md).
    delayed: BTreeMap<(Timestamp, u64), Box<Work>>,
    out: VecDeque<BotOutput>,
    next_action: u64,
    next_delay: u64,
    now: Timestamp,
    stopping: bool,
    client_stopped: bool,
    stopped: bool,
}

impl TelegramBot {
    /// A bot with typed updates; nothing happens until [`start`](Self::start).
    ///
    /// # Errors
    /// An invalid flood-control configuration.
    pub fn new(config: BotConfig) -> Result<Self, ActError> {
        Self::with_form(config)
    }
}

impl TelegramBot<Json> {
    /// A bot whose updates stay JSON text ([`telegram_json`](super::telegram_json)), whose
    /// `Call` actions and inline results are built without the typed model
    /// ([`translate_json`]) and whose call results are handed on as received: the same
    /// events and behaviour for valid input, a little less work per update, and none of the
    /// typed model's code in the binary.
    ///
    /// # Errors
    /// An invalid flood-control configuration.
    pub fn new_json(config: BotConfig) -> Result<Self, ActError> {
        Self::with_form(config)
    }
}

impl<F: UpdateForm> TelegramBot<F> {
    /// A bot in form `F`; nothing happens until [`start`](Self::start).
    ///
    /// # Errors
    /// An invalid flood-control configuration.
    pub fn with_form(mut config: BotConfig) -> Result<Self, ActError> {
        if let Intake::Polling(p) = &mut config.client.intake {
            p.manual_ack = config.ack == AckMode::AfterHandling;
        }
        let flood = FloodControl::new(config.flood)
            .map_err(|e| ActError::Action(ActionError::Encode(e.to_string())))?;
        Ok(TelegramBot {
            client: TelegramClient::with_form(config.client.clone()),
            dispatcher: match config.client.intake {
                // Polled updates come in order; deliveries and handed-in updates need not.
                Intake::Polling(_) => Dispatcher::new(config.dispatch.clone()),
                Intake::Webhook(_) | Intake::None => {
                    Dispatcher::new(config.dispatch.clone()).with_late_arrivals()
                }
            },
            flood,
            config,
            calls: HashMap::new(),
            delayed: BTreeMap::new(),
            out: VecDeque::new(),
            next_action: 0,
            next_delay: 0,
            now: 0,
            stopping: false,
            client_stopped: false,
            stopped: false,
        })
    }

    /// The intake client.
    pub fn client(&self) -> &TelegramClient<F> {
        &self.client
    }

    /// The dispatcher.
    pub fn dispatcher(&self) -> &Dispatcher {
        &self.dispatcher
    }

    /// Flood control's counters at `now`.
    pub fn flood_stats(&self, now: Timestamp) -> super::flood::FloodStats {
        self.flood.stats(now)
    }

    /// Starts intake.
    pub fn start(&mut self, now: Timestamp) {
        self.tick(now);
        self.stopping = false;
        self.stopped = false;
        self.client_stopped = false;
        self.client.start(now);
        self.pump();
    }

    /// Stops gracefully: no new intake, running handlers and their actions finish, the
    /// cursor is confirmed, then [`BotOutput::Stopped`].
    pub fn stop(&mut self, now: Timestamp) {
        self.tick(now);
        if self.stopping {
            return;
        }
        self.stopping = true;
        self.client.stop(now);
        self.pump();
    }

    /// Nothing to do: no event held, no action queued, waiting or in flight.
    pub fn is_idle(&self) -> bool {
        self.dispatcher.is_idle()
            && self.calls.is_empty()
            && self.delayed.is_empty()
            && self.flood.stats(self.now).queued == 0
    }

    /// Whether the bot has stopped.
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// Reports that the handler of `id` finished.
    ///
    /// # Errors
    /// [`DispatchError::Unknown`] for an id never issued or already settled.
    pub fn complete(&mut self, now: Timestamp, id: DispatchId) -> Result<(), DispatchError> {
        self.tick(now);
        self.dispatcher.complete(now, id)?;
        self.after_settle(now);
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
        self.after_settle(now);
        Ok(())
    }

    /// Performs an action; its outcome arrives as [`BotOutput::ActionDone`].
    ///
    /// # Errors
    /// The action cannot be translated, or the send queue is full; nothing is queued then.
    pub fn act(&mut self, now: Timestamp, action: &Action) -> Result<ActionId, ActError> {
        self.tick(now);
        let call = if F::KEEPS_JSON {
            translate_json(self.client.api(), action)?
        } else {
            translate(self.client.api(), action)?
        };
        self.next_action += 1;
        let id = ActionId(self.next_action);
        let work = Work {
            action: id,
            call,
            attempt: 1,
        };
        self.submit_work(now, work)?;
        self.pump();
        Ok(id)
    }

    /// Reports the answer to request `id`.
    ///
    /// # Errors
    /// [`ContractError::UnknownRequest`] for an id never issued or already answered.
    pub fn handle_http_response(
        &mut self,
        now: Timestamp,
        id: RequestId,
        status: u16,
        body: &[u8],
    ) -> Result<(), ContractError> {
        self.tick(now);
        self.client.handle_http_response(now, id, status, body)?;
        self.pump();
        Ok(())
    }

    /// Reports that request `id` failed without an answer.
    ///
    /// # Errors
    /// [`ContractError::UnknownRequest`] for an id never issued or already answered.
    pub fn handle_http_error(
        &mut self,
        now: Timestamp,
        id: RequestId,
        kind: HttpErrorKind,
    ) -> Result<(), ContractError> {
        self.tick(now);
        self.client.handle_http_error(now, id, kind)?;
        self.pump();
        Ok(())
    }

    /// Handles a webhook delivery (503 while the dispatch queue is full or the bot stops, so
    /// Telegram redelivers it).
    pub fn handle_webhook<N: AsRef<str>, V: AsRef<str>>(
        &mut self,
        now: Timestamp,
        headers: &[(N, V)],
        body: &[u8],
    ) -> WebhookReply {
        self.handle_webhook_update(now, headers, body).0
    }

    /// [`handle_webhook`](Self::handle_webhook), with the `update_id` of the delivery when
    /// it was read (accepted, or dropped as a duplicate).
    pub fn handle_webhook_update<N: AsRef<str>, V: AsRef<str>>(
        &mut self,
        now: Timestamp,
        headers: &[(N, V)],
        body: &[u8],
    ) -> (WebhookReply, Option<i64>) {
        self.tick(now);
        if self.stopping || self.dispatcher.capacity() == 0 {
            let busy = WebhookReply {
                status: 503,
                body: b"busy".to_vec(),
            };
            return (busy, None);
        }
        let reply = self.client.handle_webhook_update(now, headers, body);
        self.pump();
        reply
    }

    /// Lets time pass.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        self.tick(now);
        self.client.handle_timeout(now);
        self.dispatcher.handle_timeout(now);
        while let Some((&(at, _), _)) = self.delayed.first_key_value() {
            if at > now {
                break;
            }
            if let Some((_, work)) = self.delayed.pop_first() {
                self.resubmit(now, *work);
            }
        }
        self.after_settle(now);
    }

    /// The next output.
    pub fn poll_output(&mut self) -> Option<BotOutput> {
        self.pump();
        self.out.pop_front()
    }

    /// When to call [`handle_timeout`](Self::handle_timeout) next.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        [
            self.client.poll_timeout(),
            self.dispatcher.poll_timeout(),
            self.flood.next_ready_at(),
            self.delayed.first_key_value().map(|((t, _), _)| *t),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The state to store, stamped with the host's wall clock (unix seconds).
    pub fn export_state(&self, wall_unix: i64) -> BotState {
        let exported = self.dispatcher.export();
        BotState {
            cursor: self.client.export_cursor(wall_unix),
            pending: exported
                .pending
                .iter()
                // A bot on JSON updates holds no typed update: it does not link their
                // serialisers.
                .map(|e| {
                    if F::KEEPS_JSON {
                        e.payload.to_json_untyped()
                    } else {
                        e.payload.to_json()
                    }
                })
                .collect(),
            settled_above: exported.settled_above,
            actions: self.stored_actions(),
        }
    }

    fn stored_actions(&self) -> Vec<StoredAction> {
        let mut in_flight: Vec<(&RequestId, &Work)> = self
            .calls
            .iter()
            .map(|(id, c)| match c {
                InFlight::Flood(_, w) | InFlight::Direct(w) => (id, w),
            })
            .collect();
        in_flight.sort_by_key(|(id, _)| **id);
        in_flight
            .into_iter()
            .map(|(_, w)| w)
            .chain(self.delayed.values().map(|w| &**w))
            .chain(self.flood.queued_items().into_iter().map(|(_, _, w)| w))
            .map(|w| StoredAction::from_call(&w.call))
            .collect()
    }

    /// Restores a stored state before [`start`](Self::start): the cursor (ignored when older
    /// than a week), the settled positions, the unsettled updates, which are dispatched
    /// again, and the unconfirmed actions, which are performed again (their outcomes arrive
    /// with new action ids). Returns how many updates were restored.
    pub fn restore_state(&mut self, now: Timestamp, state: &BotState, wall_unix: i64) -> usize {
        self.tick(now);
        let _ = self.client.restore_cursor(state.cursor.clone(), wall_unix);
        let mut restored = 0;
        for raw in &state.pending {
            let text = raw.to_string();
            let event = if F::KEEPS_JSON {
                let Ok(update) = JsonUpdate::parse(&text) else {
                    continue;
                };
                event_from_json(update)
            } else {
                // Through `from_str`, the one reader the typed model is instantiated for.
                let Ok(update) = serde_json::from_str::<Update>(&text) else {
                    continue;
                };
                event_from_update(Box::new(update))
            };
            if self.dispatcher.submit(now, event).is_ok() {
                restored += 1;
            }
        }
        // After the pending ones, so the watermark stays below them.
        self.dispatcher.mark_settled(&state.settled_above);
        for stored in &state.actions {
            let Some(call) = stored.to_call(self.client.api()) else {
                continue;
            };
            self.next_action += 1;
            let work = Work {
                action: ActionId(self.next_action),
                call,
                attempt: 1,
            };
            self.resubmit(now, work);
        }
        self.pump();
        restored
    }

    // ---- internals ----

    fn tick(&mut self, now: Timestamp) {
        self.now = self.now.max(now);
    }

    /// The chat and its class when `work` is a send flood control must schedule (Telegram
    /// gives groups and channels negative ids).
    fn flood_target(work: &Work) -> Option<(i64, ChatClass)> {
        match (work.call.counts_as_send, work.call.chat_id) {
            (true, Some(chat)) if chat < 0 => Some((chat, ChatClass::Group)),
            (true, Some(chat)) => Some((chat, ChatClass::Private)),
            _ => None,
        }
    }

    fn submit_work(&mut self, now: Timestamp, work: Work) -> Result<(), ActError> {
        match Self::flood_target(&work) {
            Some((chat, class)) => {
                self.flood
                    .enqueue(now, chat, class, work)
                    .map_err(|e| match e {
                        FloodError::QueueFull { limit, .. } => {
                            ActError::QueueFull(limit.to_string())
                        }
                        other => ActError::QueueFull(other.to_string()),
                    })?;
            }
            None => self.issue(InFlightKind::Direct, work),
        }
        Ok(())
    }

    /// Sends `work` again after a delay: a send goes back through flood control (and waits
    /// another second if its queue is full now).
    fn resubmit(&mut self, now: Timestamp, work: Work) {
        match Self::flood_target(&work) {
            Some((chat, class)) => {
                if let Err(e) = self.flood.enqueue(now, chat, class, work) {
                    if let Some(work) = e.into_item() {
                        self.delay(now, 1_000, work);
                    }
                }
            }
            None => self.issue(InFlightKind::Direct, work),
        }
    }

    fn issue(&mut self, kind: InFlightKind, work: Work) {
        let id = self
            .client
            .call_prepared(self.now, work.call.method, work.call.request.clone());
        let entry = match kind {
            InFlightKind::Direct => InFlight::Direct(work),
            InFlightKind::Flood(send) => InFlight::Flood(send, work),
        };
        self.calls.insert(id, entry);
    }

    /// Moves everything along: client outputs, flood releases, dispatcher outputs.
    fn pump(&mut self) {
        let now = self.now;
        while let Some((send, work)) = self.flood.poll_ready(now) {
            self.issue(InFlightKind::Flood(send), work);
        }
        while let Some(out) = self.client.poll_output() {
            match out {
                client::Output::Http { id, request } => {
                    self.out.push_back(BotOutput::Http { id, request })
                }
                client::Output::Abort { id } => self.out.push_back(BotOutput::Abort { id }),
                client::Output::Event(e) => self.on_client_event(now, e),
            }
            // Flood releases triggered by answers go out in the same pass.
            while let Some((send, work)) = self.flood.poll_ready(now) {
                self.issue(InFlightKind::Flood(send), work);
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
                // The client drops repeated ids itself; one the dispatcher drops (a polled
                // update below the watermark, after a restart) is told the same way.
                super::dispatcher::Output::Duplicate { event_id } => {
                    if let Ok(update_id) = event_id.parse() {
                        self.out
                            .push_back(BotOutput::Notice(client::Event::Dropped {
                                update_id,
                                reason: client::DropReason::Duplicate,
                            }));
                    }
                }
            }
        }
        self.check_stopped();
    }

    fn on_client_event(&mut self, now: Timestamp, e: client::Event) {
        match e {
            client::Event::Update(_) | client::Event::JsonUpdate(_) => {
                let event = match e {
                    client::Event::JsonUpdate(update) => event_from_json(*update),
                    // The `Json` form's client never hands out a typed update; the guard
                    // keeps the typed translation (and, through it, the typed model's
                    // serialisers: see `Payload::to_json`) out of programs using only that form.
                    client::Event::Update(update) if !F::KEEPS_JSON => event_from_update(update),
                    _ => return,
                };
                if let Err(err) = self.dispatcher.submit(now, event) {
                    // Back-pressure keeps this from happening with polling; report it so the
                    // host knows (the update stays unacknowledged with AfterHandling).
                    if let Some(ev) = err.into_event() {
                        self.out
                            .push_back(BotOutput::Notice(client::Event::Malformed {
                                raw: format!("dispatch queue full; update {} refused", ev.id),
                            }));
                    }
                }
                let batch = match &self.config.client.intake {
                    Intake::Polling(p) => p.limit.clamp(1, 100) as usize,
                    _ => 1,
                };
                if self.dispatcher.capacity() < batch {
                    self.client.set_backpressure(now, true);
                }
            }
            client::Event::Response(result) => self.on_answer(now, result.id, result.result),
            client::Event::CallFailed { id, kind, .. } => self.on_transport_failure(now, id, kind),
            client::Event::Stopped { .. } => self.client_stopped = true,
            other => self.out.push_back(BotOutput::Notice(other)),
        }
    }

    fn on_answer(&mut self, now: Timestamp, id: RequestId, result: Result<String, ApiError>) {
        let Some(entry) = self.calls.remove(&id) else {
            return;
        };
        match (entry, result) {
            (InFlight::Flood(send, work), Ok(json)) => {
                let _ = self.flood.on_sent(now, send);
                self.done(work.action, Ok(json));
            }
            (InFlight::Direct(work), Ok(json)) => self.done(work.action, Ok(json)),
            (InFlight::Flood(send, work), Err(ApiError::RetryAfter { seconds, .. })) => {
                let secs = u64::try_from(seconds.max(1)).unwrap_or(1);
                if let Err(e) = self
                    .flood
                    .on_retry_after(now, send, work, secs, RetryScope::Chat)
                {
                    if let Some(work) = e.into_item() {
                        self.delay(now, secs * 1000, work);
                    }
                }
            }
            (InFlight::Direct(work), Err(ApiError::RetryAfter { seconds, .. })) => {
                let secs = u64::try_from(seconds.max(1)).unwrap_or(1);
                self.delay(now, secs * 1000, work);
            }
            (entry, Err(error)) => {
                let retryable = matches!(error, ApiError::Server(_));
                self.failed(now, entry, ActionFailure::Api(error), retryable);
            }
        }
    }

    fn on_transport_failure(&mut self, now: Timestamp, id: RequestId, kind: HttpErrorKind) {
        if let Some(entry) = self.calls.remove(&id) {
            self.failed(now, entry, ActionFailure::Transport(kind), true);
        }
    }

    fn failed(&mut self, now: Timestamp, entry: InFlight, failure: ActionFailure, retry: bool) {
        let (send, mut work) = match entry {
            InFlight::Flood(send, work) => (Some(send), work),
            InFlight::Direct(work) => (None, work),
        };
        if retry && work.attempt < self.config.action_attempts.max(1) {
            let shift = (work.attempt - 1).min(16);
            let delay = self.config.action_retry_delay_ms.saturating_mul(1 << shift);
            work.attempt += 1;
            match send {
                // Back to the head of its chat's queue, the chat paused for the delay: the
                // chat's later sends keep waiting behind it.
                Some(send) => {
                    let secs = delay.div_ceil(1_000).max(1);
                    if let Err(e) =
                        self.flood
                            .on_retry_after(now, send, work, secs, RetryScope::Chat)
                    {
                        if let Some(work) = e.into_item() {
                            self.delay(now, delay, work);
                        }
                    }
                }
                None => self.delay(now, delay, work),
            }
        } else {
            if let Some(send) = send {
                let _ = self.flood.on_failed(now, send);
            }
            self.done(work.action, Err(failure));
        }
    }

    /// Repeats `work` after `ms`; a send goes back through flood control then.
    fn delay(&mut self, now: Timestamp, ms: u64, work: Work) {
        self.next_delay += 1;
        self.delayed
            .insert((now.saturating_add(ms), self.next_delay), Box::new(work));
    }

    fn done(&mut self, id: ActionId, result: Result<String, ActionFailure>) {
        self.out.push_back(BotOutput::ActionDone { id, result });
    }

    fn after_settle(&mut self, now: Timestamp) {
        if self.config.ack == AckMode::AfterHandling {
            if let Some(w) = self.dispatcher.settled_through() {
                self.client.acknowledge(now, w);
            }
        }
        let batch = match &self.config.client.intake {
            Intake::Polling(p) => p.limit.clamp(1, 100) as usize,
            _ => 1,
        };
        if self.dispatcher.capacity() >= batch {
            self.client.set_backpressure(now, false);
        }
        self.pump();
    }

    fn check_stopped(&mut self) {
        if !self.stopping || self.stopped {
            return;
        }
        let intake_done = self.client_stopped
            || matches!(self.config.client.intake, Intake::None | Intake::Webhook(_));
        if intake_done && self.is_idle() {
            self.stopped = true;
            let offset = self.client.export_cursor(0).offset;
            self.out.push_back(BotOutput::Stopped { offset });
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum InFlightKind {
    Direct,
    Flood(SendId),
}
