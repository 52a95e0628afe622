//! The Telegram client state machine: update intake (long polling or webhook, optionally
//! reordered) and API calls, driven by the host through the sans-IO contract.
//!
//! ```
//! use botwire_core::telegram::client::{ClientConfig, Output, TelegramClient};
//! use botwire_core::telegram::methods::SendMessage;
//!
//! let mut client = TelegramClient::new(ClientConfig::polling("123:ABC"));
//! client.start(0);
//! let Some(Output::Http { id, request }) = client.poll_output() else { panic!() };
//! assert!(request.url.ends_with("/getUpdates"));
//! // ... the host performs the request, then reports the answer:
//! let body = br#"{"ok":true,"result":[{"update_id":5,"message":{"message_id":1,"date":1,"chat":{"id":9,"type":"private"},"text":"hi"}}]}"#;
//! client.handle_http_response(10, id, 200, body).unwrap();
//! let mut updates = 0;
//! while let Some(out) = client.poll_output() {
//!     if let Output::Event(e) = out { if e.as_update().is_some() { updates += 1; } }
//! }
//! assert_eq!(updates, 1);
//! assert_eq!(client.export_cursor(0).offset, Some(6));
//! // A call: the answer comes back as a `Response` event for that id.
//! let id = client.call(20, &SendMessage::new(9, "hello")).unwrap();
//! # let _ = id;
//! ```

use super::api::{find_method, parse_raw, Api, EncodeError, Method, DEFAULT_API_ROOT};
use super::error::ApiError;
use super::json_update::{self, JsonUpdate};
use super::ordered::{Ordered, OrderedConfig, OrderedWebhook};
use super::types::{Update, UpdateKind};
use crate::io::{
    constant_time_eq, find_header, HttpErrorKind, HttpRequest, IdAllocator, RequestId, SeededRng,
    Timestamp,
};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::{HashMap, HashSet, VecDeque};
use std::marker::PhantomData;

/// A week, in seconds: a stored offset older than this is meaningless (ids may restart).
const CURSOR_MAX_AGE_SECS: i64 = 7 * 24 * 60 * 60;

/// Long-polling settings.
#[derive(Debug, Clone, PartialEq)]
pub struct PollingConfig {
    /// Long-poll `timeout` in seconds (the server caps it at 50).
    pub timeout_secs: u32,
    /// `limit`, 1–100.
    pub limit: u32,
    /// `allowed_updates`; sent on the first call and whenever it changes. `None` keeps the
    /// server's setting.
    pub allowed_updates: Option<Vec<String>>,
    /// First backoff delay after a failure (ms); doubles per failure.
    pub backoff_initial_ms: u64,
    /// Largest backoff delay (ms).
    pub backoff_max_ms: u64,
    /// Added to the long-poll timeout to make the HTTP timeout (ms).
    pub http_timeout_margin_ms: u64,
    /// Acknowledge updates only when told: the offset moves with
    /// [`TelegramClient::acknowledge`] instead of on receipt, and the next poll waits until
    /// everything received is acknowledged (so the server keeps unhandled updates across a
    /// crash).
    pub manual_ack: bool,
}

impl Default for PollingConfig {
    fn default() -> Self {
        PollingConfig {
            timeout_secs: 30,
            limit: 100,
            allowed_updates: None,
            backoff_initial_ms: 500,
            backoff_max_ms: 30_000,
            http_timeout_margin_ms: 10_000,
            manual_ack: false,
        }
    }
}

/// Webhook settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    /// The `secret_token` given to `setWebhook`; deliveries without it are refused with 401.
    pub secret_token: Option<String>,
    /// Bodies larger than this are refused with 413.
    pub max_body_bytes: usize,
    /// Reorder deliveries by `update_id`.
    pub ordered: Option<OrderedConfig>,
    /// How many recent update ids are remembered to drop redeliveries.
    pub dedup_window: usize,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            secret_token: None,
            max_body_bytes: 1 << 20,
            ordered: None,
            dedup_window: 10_000,
        }
    }
}

/// How updates come in.
#[derive(Debug, Clone, PartialEq)]
pub enum Intake {
    /// Only API calls; no updates.
    None,
    /// `getUpdates` long polling.
    Polling(PollingConfig),
    /// Deliveries handed in with [`TelegramClient::handle_webhook`].
    Webhook(WebhookConfig),
}

/// Client settings.
#[derive(Clone, PartialEq)]
pub struct ClientConfig {
    /// The bot token (`<bot id>:<secret>`).
    pub token: String,
    /// API root; [`DEFAULT_API_ROOT`] by default.
    pub api_root: String,
    /// How updates come in.
    pub intake: Intake,
    /// Seed of the jitter generator.
    pub seed: u64,
    /// HTTP timeout given to the host for ordinary calls (ms).
    pub call_timeout_ms: u64,
    /// Answers with a larger body are treated as invalid without being parsed (the Bot API
    /// caps a `getUpdates` answer at about 4 MiB).
    pub max_response_bytes: usize,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("token", &"<redacted>")
            .field("api_root", &self.api_root)
            .field("intake", &self.intake)
            .field("seed", &self.seed)
            .finish()
    }
}

impl ClientConfig {
    /// A client that only makes calls.
    pub fn new(token: impl Into<String>) -> Self {
        ClientConfig {
            token: token.into(),
            api_root: DEFAULT_API_ROOT.to_owned(),
            intake: Intake::None,
            seed: 0x5eed,
            call_timeout_ms: 60_000,
            max_response_bytes: 64 << 20,
        }
    }

    /// A client receiving updates by long polling with default settings.
    pub fn polling(token: impl Into<String>) -> Self {
        ClientConfig {
            intake: Intake::Polling(PollingConfig::default()),
            ..ClientConfig::new(token)
        }
    }

    /// A client receiving updates by webhook.
    pub fn webhook(token: impl Into<String>, webhook: WebhookConfig) -> Self {
        ClientConfig {
            intake: Intake::Webhook(webhook),
            ..ClientConfig::new(token)
        }
    }

    /// Uses another API root.
    pub fn with_api_root(mut self, root: impl Into<String>) -> Self {
        self.api_root = root.into();
        self
    }
}

/// The intake cursor: what a restarted bot needs to continue without loss or repetition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Cursor {
    /// The next `getUpdates` offset (last seen `update_id` + 1).
    pub offset: Option<i64>,
    /// Wall-clock time of the export (unix seconds), to discard cursors older than a week.
    pub saved_at: i64,
}

/// A request for an id the client never issued, or already answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ContractError {
    /// Unknown or already answered.
    #[error("{0} is unknown or was already answered")]
    UnknownRequest(RequestId),
}

/// Why polling paused.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PollFailure {
    /// The host reported a transport failure.
    Http(HttpErrorKind),
    /// The Bot API answered with an error.
    Api(ApiError),
}

/// Why an update was not handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DropReason {
    /// Its id was already seen.
    Duplicate,
    /// Its id is below the confirmed offset.
    Stale,
    /// The reorderer gave up on earlier ids and this one came too late.
    TooLate,
}

/// The answer of an API call.
#[derive(Debug, Clone, PartialEq)]
pub struct CallResult {
    /// The call's id.
    pub id: RequestId,
    /// The method name.
    pub method: String,
    /// The `result` JSON text as received, or the classified error.
    pub result: Result<String, ApiError>,
}

impl CallResult {
    /// The result parsed into a type (usually the method's `Output`).
    ///
    /// # Errors
    /// The call's error, or [`ApiError::InvalidResponse`] when the result does not fit.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, ApiError> {
        match &self.result {
            Ok(text) => serde_json::from_str(text).map_err(|e| ApiError::InvalidResponse {
                reason: e.to_string(),
            }),
            Err(e) => Err(e.clone()),
        }
    }
}

/// How a client hands out updates: typed ([`Typed`], the default) or kept as the JSON text
/// they arrived in ([`Json`]). The choice is a type parameter, so a program that uses only
/// one form does not contain the other's code (the typed model's decoders are most of a
/// WebAssembly module's size).
pub trait UpdateForm: sealed::Sealed + std::fmt::Debug + 'static {
    /// Whether updates and call results stay JSON text.
    #[doc(hidden)]
    const KEEPS_JSON: bool;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Typed {}
    impl Sealed for super::Json {}
}

/// Updates as the typed [`Update`] ([`Event::Update`]); call results checked against their
/// method's result type; calls by name check their arguments against the method's
/// parameters.
#[derive(Debug, Clone, Copy, Default)]
pub struct Typed;

impl UpdateForm for Typed {
    const KEEPS_JSON: bool = false;
}

/// Updates kept as JSON text ([`Event::JsonUpdate`]); call results handed on as received;
/// calls by name built by [`Api::request_json`](super::Api::request_json). Nothing of the
/// typed model is decoded.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json;

impl UpdateForm for Json {
    const KEEPS_JSON: bool = true;
}

/// Something the host should know.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A new update, in order (the [`Typed`] form). Unknown kinds and payloads that do not
    /// fit the typed model arrive as [`UpdateKind::Unknown`] with the raw JSON.
    Update(Box<Update>),
    /// A new update, in order, kept as JSON text (the [`Json`] form).
    JsonUpdate(Box<JsonUpdate>),
    /// The answer to an API call.
    Response(CallResult),
    /// An API call failed at the transport level (the host reported an error).
    CallFailed {
        /// The call's id.
        id: RequestId,
        /// The method name.
        method: String,
        /// What the host reported.
        kind: HttpErrorKind,
    },
    /// Polling failed and will retry after `retry_in_ms`.
    PollingPaused {
        /// What failed.
        failure: PollFailure,
        /// Delay before the next attempt.
        retry_in_ms: u64,
    },
    /// 409: another instance polls, or a webhook is set. Polling has stopped.
    Conflict {
        /// The server's description.
        description: String,
    },
    /// 401/404 on polling: the token is wrong. Sticky: intake stays stopped.
    Fatal {
        /// The error.
        error: ApiError,
    },
    /// An update was not handed out.
    Dropped {
        /// Its id.
        update_id: i64,
        /// Why.
        reason: DropReason,
    },
    /// The reorderer gave up waiting for ids `from..=to`.
    GaveUp {
        /// First missing id.
        from: i64,
        /// Last missing id.
        to: i64,
    },
    /// An element of a `getUpdates` answer without a readable `update_id` (skipped).
    Malformed {
        /// Its JSON text.
        raw: String,
    },
    /// Intake stopped after [`TelegramClient::stop`]; the cursor is confirmed.
    Stopped {
        /// The final cursor.
        offset: Option<i64>,
    },
}

impl Event {
    /// The update, if this is one.
    pub fn as_update(&self) -> Option<&Update> {
        match self {
            Event::Update(u) => Some(u),
            _ => None,
        }
    }
}

/// What the host must do or know.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Output {
    /// Perform this request and answer `id` exactly once.
    Http {
        /// The id to answer.
        id: RequestId,
        /// The request.
        request: HttpRequest,
    },
    /// Abort request `id` if possible (it still needs its one answer, e.g. `Aborted`).
    Abort {
        /// The request to abort.
        id: RequestId,
    },
    /// An event.
    Event(Event),
}

/// What to answer a webhook delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookReply {
    /// HTTP status.
    pub status: u16,
    /// Body (empty for 200).
    pub body: Vec<u8>,
}

impl WebhookReply {
    fn status(status: u16, message: &str) -> Self {
        WebhookReply {
            status,
            body: message.as_bytes().to_vec(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Pending {
    Poll,
    Confirm,
    Call(&'static str),
    CallNamed(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PollState {
    /// Not started (or intake is not polling).
    Idle,
    /// A `getUpdates` is in flight.
    InFlight(RequestId),
    /// Waiting until the time to poll again.
    Waiting(Timestamp),
    /// A batch was received; the next poll waits for acknowledgement (manual acknowledgement)
    /// or for the host to lift back-pressure.
    Held,
    /// Stopping: waiting for the in-flight poll or the confirming call.
    Stopping,
    /// Stopping with manual acknowledgement: waiting for everything received to be
    /// acknowledged before confirming.
    StopDraining,
    /// Stopped (after stop, conflict or a fatal error).
    Stopped,
}

/// The Telegram client. See the module docs for the run loop. `F` chooses how updates are
/// handed out ([`Typed`] by default, or [`Json`]).
#[derive(Debug)]
pub struct TelegramClient<F: UpdateForm = Typed> {
    api: Api,
    config: ClientConfig,
    ids: IdAllocator,
    rng: SeededRng,
    pending: HashMap<RequestId, Pending>,
    out: VecDeque<Output>,
    state: PollState,
    offset: Option<i64>,
    failures: u32,
    allowed_sent: Option<Option<Vec<String>>>,
    fatal: Option<ApiError>,
    seen: HashSet<i64>,
    seen_order: VecDeque<i64>,
    ordered: Option<OrderedWebhook<Incoming>>,
    /// One past the highest update id received by polling.
    received: Option<i64>,
    backpressure: bool,
    form: PhantomData<F>,
}

impl TelegramClient {
    /// A client handing out typed updates; nothing happens until [`start`](Self::start) or
    /// a call.
    pub fn new(config: ClientConfig) -> Self {
        Self::with_form(config)
    }
}

impl TelegramClient<Json> {
    /// A client handing out updates as JSON text ([`Event::JsonUpdate`]); nothing happens
    /// until [`start`](Self::start) or a call.
    pub fn new_json(config: ClientConfig) -> Self {
        Self::with_form(config)
    }
}

impl<F: UpdateForm> TelegramClient<F> {
    /// A client handing out updates in form `F`.
    pub fn with_form(config: ClientConfig) -> Self {
        let api = Api::new(config.token.clone()).with_api_root(config.api_root.clone());
        let ordered = match &config.intake {
            Intake::Webhook(WebhookConfig {
                ordered: Some(o), ..
            }) => Some(OrderedWebhook::new(o.clone())),
            _ => None,
        };
        TelegramClient {
            api,
            rng: SeededRng::new(config.seed),
            config,
            ids: IdAllocator::default(),
            pending: HashMap::new(),
            out: VecDeque::new(),
            state: PollState::Idle,
            offset: None,
            failures: 0,
            allowed_sent: None,
            fatal: None,
            seen: HashSet::new(),
            seen_order: VecDeque::new(),
            ordered,
            received: None,
            backpressure: false,
            form: PhantomData,
        }
    }

    /// The codec this client uses (API root and token).
    pub fn api(&self) -> &Api {
        &self.api
    }

    /// The fatal error that stopped intake, if any.
    pub fn fatal_error(&self) -> Option<&ApiError> {
        self.fatal.as_ref()
    }

    /// How many requests await their answer.
    pub fn pending_requests(&self) -> usize {
        self.pending.len()
    }

    /// Starts intake (polling issues its first `getUpdates`). Idempotent.
    pub fn start(&mut self, now: Timestamp) {
        if self.fatal.is_some() {
            return;
        }
        if matches!(self.config.intake, Intake::Polling(_))
            && matches!(self.state, PollState::Idle | PollState::Stopped)
        {
            self.issue_poll(now);
        }
    }

    /// Stops intake gracefully: no new poll; an in-flight poll is asked to abort; then one
    /// confirming `getUpdates {offset, limit: 1, timeout: 0}` settles the offset on the
    /// server, and [`Event::Stopped`] follows.
    pub fn stop(&mut self, _now: Timestamp) {
        match self.state {
            PollState::InFlight(id) => {
                self.state = PollState::Stopping;
                self.out.push_back(Output::Abort { id });
            }
            PollState::Waiting(_) | PollState::Idle | PollState::Held => {
                self.state = PollState::Stopping;
                self.confirm_or_finish();
            }
            PollState::Stopping | PollState::StopDraining | PollState::Stopped => {}
        }
    }

    /// Moves the offset to `offset` (one past the last handled update id) with
    /// [`PollingConfig::manual_ack`]; the offset never moves backwards. A held poll is
    /// issued once everything received is acknowledged.
    pub fn acknowledge(&mut self, now: Timestamp, offset: i64) {
        if self.offset.map_or(true, |o| offset > o) {
            self.offset = Some(offset);
        }
        match self.state {
            PollState::Held if self.may_poll() => self.issue_poll(now),
            PollState::StopDraining if self.caught_up() => {
                self.state = PollState::Stopping;
                self.confirm_or_finish();
            }
            _ => {}
        }
    }

    /// Holds the next poll while `on` (the host's queue is full); lifting it issues a held
    /// poll.
    pub fn set_backpressure(&mut self, now: Timestamp, on: bool) {
        self.backpressure = on;
        if self.state == PollState::Held && self.may_poll() {
            self.issue_poll(now);
        }
    }

    /// One past the highest update id received by polling (with manual acknowledgement this
    /// may be ahead of the offset).
    pub fn received_through(&self) -> Option<i64> {
        self.received.max(self.offset)
    }

    /// Issues a request prepared by the caller (for example by the runtime's action
    /// translation); its answer arrives as [`Event::Response`] for `method`.
    pub fn call_prepared(
        &mut self,
        _now: Timestamp,
        method: &'static str,
        mut request: HttpRequest,
    ) -> RequestId {
        if request.timeout_ms.is_none() {
            request.timeout_ms = Some(self.config.call_timeout_ms);
        }
        self.issue(Pending::Call(method), request)
    }

    /// Issues a typed call; its answer arrives as [`Event::Response`] with the returned id.
    ///
    /// # Errors
    /// [`EncodeError`] when the request cannot be built (nothing is issued then).
    pub fn call<M: Method>(
        &mut self,
        _now: Timestamp,
        method: &M,
    ) -> Result<RequestId, EncodeError> {
        let mut request = self.api.request(method)?;
        request.timeout_ms = Some(self.config.call_timeout_ms);
        Ok(self.issue(Pending::Call(M::NAME), request))
    }

    /// Issues a call named at run time with JSON arguments (bindings use this).
    ///
    /// # Errors
    /// [`EncodeError::UnknownMethod`] or invalid arguments (nothing is issued then).
    pub fn call_json(
        &mut self,
        _now: Timestamp,
        method: &str,
        args_json: &str,
    ) -> Result<RequestId, EncodeError> {
        let (name, mut request) = if F::KEEPS_JSON {
            let args: serde_json::Value = if args_json.trim().is_empty() {
                serde_json::Value::Null
            } else {
                serde_json::from_str(args_json).map_err(|e| EncodeError::InvalidArguments {
                    method: method.to_owned(),
                    reason: e.to_string(),
                })?
            };
            self.api.request_json(method, &args)?
        } else {
            let info =
                find_method(method).ok_or_else(|| EncodeError::UnknownMethod(method.to_owned()))?;
            (info.name, info.build_request(&self.api, args_json)?)
        };
        request.timeout_ms = Some(self.config.call_timeout_ms);
        Ok(self.issue(Pending::CallNamed(name.to_owned()), request))
    }

    /// Reports the answer to request `id`.
    ///
    /// # Errors
    /// [`ContractError::UnknownRequest`] for an id never issued or already answered
    /// (nothing changes then).
    pub fn handle_http_response(
        &mut self,
        now: Timestamp,
        id: RequestId,
        status: u16,
        body: &[u8],
    ) -> Result<(), ContractError> {
        let pending = self
            .pending
            .remove(&id)
            .ok_or(ContractError::UnknownRequest(id))?;
        // An oversized body is answered as an empty invalid one: it is never parsed.
        let body = if body.len() > self.config.max_response_bytes {
            &b"<oversized response>"[..]
        } else {
            body
        };
        match pending {
            Pending::Poll => self.on_poll_answer(now, id, status, body),
            Pending::Confirm => self.finish_stop(),
            Pending::Call(name) => self.on_call_answer(id, name.to_owned(), status, body),
            Pending::CallNamed(name) => self.on_call_answer(id, name, status, body),
        }
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
        let pending = self
            .pending
            .remove(&id)
            .ok_or(ContractError::UnknownRequest(id))?;
        match pending {
            Pending::Poll => {
                if self.state == PollState::Stopping {
                    self.confirm_or_finish();
                } else if self.state == PollState::InFlight(id) {
                    self.pause(now, PollFailure::Http(kind), None);
                }
            }
            Pending::Confirm => self.finish_stop(),
            Pending::Call(name) => self.out.push_back(Output::Event(Event::CallFailed {
                id,
                method: name.to_owned(),
                kind,
            })),
            Pending::CallNamed(method) => {
                self.out
                    .push_back(Output::Event(Event::CallFailed { id, method, kind }))
            }
        }
        Ok(())
    }

    /// Lets time pass. Spurious calls (before [`poll_timeout`](Self::poll_timeout)) do
    /// nothing.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        if let PollState::Waiting(at) = self.state {
            if now >= at {
                self.issue_poll(now);
            }
        }
        if let Some(o) = self.ordered.as_mut() {
            o.tick(now);
        }
        self.drain_ordered();
    }

    /// Handles one webhook delivery and says what to answer. Checks the secret token in
    /// constant time (a mismatch answers 401 and the body is not read), caps the body size
    /// (413), drops redelivered ids, reorders when configured. Updates that do not fit the
    /// typed model are still accepted (200) and handed out as `Unknown`.
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
        let Intake::Webhook(cfg) = &self.config.intake else {
            return (
                WebhookReply::status(404, "webhook intake is not configured"),
                None,
            );
        };
        if let Some(secret) = &cfg.secret_token {
            let given = find_header(headers, "X-Telegram-Bot-Api-Secret-Token").unwrap_or("");
            // A missing header is a mismatch; the comparison does not exit early.
            let ok = constant_time_eq(given.as_bytes(), secret.as_bytes());
            if !ok || given.is_empty() {
                return (WebhookReply::status(401, "secret token mismatch"), None);
            }
        }
        if body.len() > cfg.max_body_bytes {
            return (WebhookReply::status(413, "body too large"), None);
        }
        let update = match parse_update::<F>(body) {
            Parsed::Update(u) => u,
            Parsed::NoId(_) => return (WebhookReply::status(400, "not a Telegram update"), None),
        };
        let id = update.update_id();
        if !self.remember(id) {
            self.emit(Event::Dropped {
                update_id: id,
                reason: DropReason::Duplicate,
            });
            return (WebhookReply::status(200, ""), Some(id));
        }
        match self.ordered.as_mut() {
            Some(o) => {
                o.feed(now, id, update);
                self.drain_ordered();
            }
            None => self.emit(update.into_event()),
        }
        (WebhookReply::status(200, ""), Some(id))
    }

    /// The next output, or `None` when there is nothing to do.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// When to call [`handle_timeout`](Self::handle_timeout) next.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        let poll = match self.state {
            PollState::Waiting(at) => Some(at),
            _ => None,
        };
        let held = self.ordered.as_ref().and_then(|o| o.next_deadline());
        match (poll, held) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The cursor to store, stamped with the host's wall clock (unix seconds).
    pub fn export_cursor(&self, wall_unix: i64) -> Cursor {
        Cursor {
            offset: self.offset,
            saved_at: wall_unix,
        }
    }

    /// Restores a stored cursor; one older than a week is discarded (update ids may have
    /// restarted). Returns whether it was applied. The offset never moves backwards.
    pub fn restore_cursor(&mut self, cursor: Cursor, wall_unix: i64) -> bool {
        if wall_unix.saturating_sub(cursor.saved_at) > CURSOR_MAX_AGE_SECS {
            return false;
        }
        match (self.offset, cursor.offset) {
            (_, None) => false,
            (Some(current), Some(o)) if o <= current => false,
            (_, Some(o)) => {
                self.offset = Some(o);
                true
            }
        }
    }

    // ---- internals ----

    fn emit(&mut self, e: Event) {
        self.out.push_back(Output::Event(e));
    }

    fn issue(&mut self, pending: Pending, request: HttpRequest) -> RequestId {
        let id = self.ids.next_request();
        self.pending.insert(id, pending);
        self.out.push_back(Output::Http { id, request });
        id
    }

    fn polling_config(&self) -> PollingConfig {
        match &self.config.intake {
            Intake::Polling(p) => p.clone(),
            _ => PollingConfig::default(),
        }
    }

    fn issue_poll(&mut self, _now: Timestamp) {
        let p = self.polling_config();
        let mut args = serde_json::Map::new();
        if let Some(o) = self.offset {
            args.insert("offset".into(), o.into());
        }
        args.insert("limit".into(), p.limit.clamp(1, 100).into());
        args.insert("timeout".into(), p.timeout_secs.into());
        // allowed_updates goes on the first call and whenever it changed.
        if self.allowed_sent.as_ref() != Some(&p.allowed_updates) {
            if let Some(list) = &p.allowed_updates {
                args.insert("allowed_updates".into(), list.clone().into());
            }
        }
        let request = self.get_updates_request(
            &args,
            u64::from(p.timeout_secs) * 1000 + p.http_timeout_margin_ms,
        );
        let id = self.issue(Pending::Poll, request);
        self.allowed_sent = Some(p.allowed_updates);
        self.state = PollState::InFlight(id);
    }

    fn get_updates_request(
        &self,
        args: &serde_json::Map<String, serde_json::Value>,
        timeout_ms: u64,
    ) -> HttpRequest {
        HttpRequest {
            method: crate::io::HttpMethod::Post,
            url: self.api.method_url("getUpdates"),
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: serde_json::to_vec(args).unwrap_or_default(),
            timeout_ms: Some(timeout_ms),
        }
    }

    fn manual_ack(&self) -> bool {
        matches!(&self.config.intake, Intake::Polling(p) if p.manual_ack)
    }

    /// Everything received is acknowledged.
    fn caught_up(&self) -> bool {
        match (self.received, self.offset) {
            (None, _) => true,
            (Some(r), Some(o)) => o >= r,
            (Some(_), None) => false,
        }
    }

    fn may_poll(&self) -> bool {
        !self.backpressure && (!self.manual_ack() || self.caught_up())
    }

    fn confirm_or_finish(&mut self) {
        if self.manual_ack() && !self.caught_up() {
            self.state = PollState::StopDraining;
            return;
        }
        match self.offset {
            Some(o) => {
                let mut args = serde_json::Map::new();
                args.insert("offset".into(), o.into());
                args.insert("limit".into(), 1.into());
                args.insert("timeout".into(), 0.into());
                let request = self.get_updates_request(&args, self.config.call_timeout_ms);
                self.issue(Pending::Confirm, request);
            }
            None => self.finish_stop(),
        }
    }

    fn finish_stop(&mut self) {
        self.state = PollState::Stopped;
        self.emit(Event::Stopped {
            offset: self.offset,
        });
    }

    fn on_call_answer(&mut self, id: RequestId, method: String, status: u16, body: &[u8]) {
        let typed = if F::KEEPS_JSON {
            None
        } else {
            find_method(&method)
        };
        let result = match typed {
            Some(info) => info.parse_response(status, body).map(str::to_owned),
            None => parse_raw(status, body).map(|r| r.get().to_owned()),
        };
        self.emit(Event::Response(CallResult { id, method, result }));
    }

    fn on_poll_answer(&mut self, now: Timestamp, id: RequestId, status: u16, body: &[u8]) {
        let stopping = self.state == PollState::Stopping;
        if !stopping && self.state != PollState::InFlight(id) {
            return;
        }
        match parse_batch::<F>(status, body) {
            Ok(elements) => {
                self.failures = 0;
                self.take_batch(elements);
                if stopping {
                    self.confirm_or_finish();
                } else if self.may_poll() {
                    self.issue_poll(now);
                } else {
                    self.state = PollState::Held;
                }
            }
            Err(error) => {
                if stopping {
                    self.confirm_or_finish();
                    return;
                }
                match &error {
                    ApiError::Conflict(d) => {
                        self.state = PollState::Stopped;
                        let description = d.description.clone();
                        self.emit(Event::Conflict { description });
                    }
                    ApiError::Unauthorized(_) | ApiError::NotFound(_) => {
                        self.state = PollState::Stopped;
                        self.fatal = Some(error.clone());
                        self.emit(Event::Fatal { error });
                    }
                    ApiError::RetryAfter { seconds, .. } => {
                        let wait = (*seconds).max(0) as u64 * 1000;
                        self.pause(now, PollFailure::Api(error), Some(wait));
                    }
                    _ => self.pause(now, PollFailure::Api(error), None),
                }
            }
        }
    }

    /// Schedules the next poll after a failure: `retry_after` when given, else exponential
    /// backoff with jitter (half fixed, half random).
    fn pause(&mut self, now: Timestamp, failure: PollFailure, exact: Option<u64>) {
        let p = self.polling_config();
        let delay = match exact {
            Some(ms) => ms,
            None => {
                let exp = self.failures.min(20);
                let base = p
                    .backoff_initial_ms
                    .saturating_mul(1u64 << exp)
                    .min(p.backoff_max_ms);
                base / 2 + self.rng.range(0, base / 2)
            }
        };
        self.failures = self.failures.saturating_add(1);
        self.state = PollState::Waiting(now.saturating_add(delay));
        self.emit(Event::PollingPaused {
            failure,
            retry_in_ms: delay,
        });
    }

    /// Hands out a batch in server order; the offset moves past every element whose id can
    /// be read, whatever its payload.
    fn take_batch(&mut self, elements: Vec<Parsed>) {
        for parsed in elements {
            let update = match parsed {
                Parsed::Update(u) => u,
                Parsed::NoId(raw) => {
                    self.emit(Event::Malformed { raw });
                    continue;
                }
            };
            let id = update.update_id();
            if self.offset.is_some_and(|o| id < o) {
                self.emit(Event::Dropped {
                    update_id: id,
                    reason: DropReason::Stale,
                });
                continue;
            }
            if self.manual_ack() {
                let next = id.saturating_add(1);
                self.received = Some(self.received.map_or(next, |r| r.max(next)));
            } else {
                self.offset = Some(id.saturating_add(1));
            }
            if !self.remember(id) {
                self.emit(Event::Dropped {
                    update_id: id,
                    reason: DropReason::Duplicate,
                });
                continue;
            }
            self.emit(update.into_event());
        }
    }

    /// Records an id; false when it was seen recently.
    fn remember(&mut self, id: i64) -> bool {
        if !self.seen.insert(id) {
            return false;
        }
        self.seen_order.push_back(id);
        let window = match &self.config.intake {
            Intake::Webhook(w) => w.dedup_window.max(1),
            _ => 10_000,
        };
        while self.seen_order.len() > window {
            if let Some(old) = self.seen_order.pop_front() {
                self.seen.remove(&old);
            }
        }
        true
    }

    fn drain_ordered(&mut self) {
        let Some(o) = self.ordered.as_mut() else {
            return;
        };
        let mut items = Vec::new();
        while let Some(item) = o.poll() {
            items.push(item);
        }
        for item in items {
            match item {
                Ordered::Deliver(_, u) => self.emit(u.into_event()),
                Ordered::GaveUp { from, to } => self.emit(Event::GaveUp { from, to }),
                Ordered::Dropped(update_id) => self.emit(Event::Dropped {
                    update_id,
                    reason: DropReason::TooLate,
                }),
            }
        }
    }
}

/// An update in the client's form.
#[derive(Debug)]
enum Incoming {
    Typed(Box<Update>),
    Json(Box<JsonUpdate>),
}

impl Incoming {
    fn update_id(&self) -> i64 {
        match self {
            Incoming::Typed(u) => u.update_id,
            Incoming::Json(u) => u.update_id,
        }
    }

    fn into_event(self) -> Event {
        match self {
            Incoming::Typed(u) => Event::Update(u),
            Incoming::Json(u) => Event::JsonUpdate(u),
        }
    }
}

/// One element of a `getUpdates` answer or one webhook body.
#[derive(Debug)]
enum Parsed {
    Update(Incoming),
    /// No readable `update_id`: cannot be counted.
    NoId(String),
}

/// Parses one update tolerantly: a payload that does not fit the typed model becomes
/// `Unknown` with its raw JSON, as long as `update_id` can be read.
fn parse_update<F: UpdateForm>(raw: &[u8]) -> Parsed {
    if F::KEEPS_JSON {
        return parse_json_update(raw);
    }
    // Every typed read of the model goes through `from_str`: each serde_json reader
    // instantiates the whole model's deserializers again (a third of the wasm module each).
    let Ok(text) = std::str::from_utf8(raw) else {
        return Parsed::NoId(String::from_utf8_lossy(raw).into_owned());
    };
    if let Ok(u) = serde_json::from_str::<Update>(text) {
        return Parsed::Update(Incoming::Typed(Box::new(u)));
    }
    #[derive(Deserialize)]
    struct Loose {
        update_id: i64,
        #[serde(flatten)]
        rest: serde_json::Map<String, serde_json::Value>,
    }
    match serde_json::from_str::<Loose>(text) {
        Ok(loose) => {
            let (kind, raw) = loose
                .rest
                .into_iter()
                .next()
                .unwrap_or((String::new(), serde_json::Value::Null));
            Parsed::Update(Incoming::Typed(Box::new(Update {
                update_id: loose.update_id,
                kind: UpdateKind::Unknown { kind, raw },
            })))
        }
        Err(_) => Parsed::NoId(text.to_owned()),
    }
}

/// Reads one update kept as JSON: any element with an integer `update_id` is one.
fn parse_json_update(raw: &[u8]) -> Parsed {
    let Ok(text) = std::str::from_utf8(raw) else {
        return Parsed::NoId(String::from_utf8_lossy(raw).into_owned());
    };
    match JsonUpdate::parse(text) {
        Ok(u) => Parsed::Update(Incoming::Json(Box::new(u))),
        Err(_) => Parsed::NoId(text.to_owned()),
    }
}

/// Reads a `getUpdates` answer into its elements.
fn parse_batch<F: UpdateForm>(status: u16, body: &[u8]) -> Result<Vec<Parsed>, ApiError> {
    if F::KEEPS_JSON {
        let raw = parse_raw(status, body)?;
        let elements = json_update::split_array(raw.get())
            .map_err(|reason| ApiError::InvalidResponse { reason })?;
        return Ok(elements
            .into_iter()
            .map(|e| parse_json_update(e.as_bytes()))
            .collect());
    }
    // Fast path, one pass: a success whose every element fits the typed model.
    #[derive(Deserialize)]
    struct TypedBatch {
        ok: bool,
        result: Vec<Update>,
    }
    let typed = std::str::from_utf8(body)
        .ok()
        .and_then(|text| serde_json::from_str::<TypedBatch>(text).ok());
    if let Some(TypedBatch { ok: true, result }) = typed {
        return Ok(result
            .into_iter()
            .map(|u| Parsed::Update(Incoming::Typed(Box::new(u))))
            .collect());
    }
    // Slow path: classify errors, and read elements one by one so that one element that
    // does not fit cannot hide the others.
    let raw = parse_raw(status, body)?;
    let elements: Vec<&RawValue> =
        serde_json::from_str(raw.get()).map_err(|e| ApiError::InvalidResponse {
            reason: format!("getUpdates result is not an array: {e}"),
        })?;
    Ok(elements
        .into_iter()
        .map(|e| parse_update::<F>(e.get().as_bytes()))
        .collect())
}
