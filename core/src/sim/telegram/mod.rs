//! An in-memory Telegram Bot API, itself sans-IO, on a virtual clock.
//!
//! [`TelegramSim`] answers the [`HttpRequest`]s a bot makes (`…/bot<token>/<method>` and file
//! downloads `…/file/bot<token>/<path>`) the way `api.telegram.org` does: the same envelope,
//! the same error shapes, long polling with `offset` confirmation and 409 conflicts, webhooks
//! with retries, flood control with exact `retry_after`, uploads in every encoding. Simulated
//! users produce updates ([`TelegramSim::user_sends_text`] and friends), and tests inspect what
//! the bot did through the [`transcript`](TelegramSim::transcript).
//!
//! # Driving it
//!
//! The simulator never reads a clock: every input carries `now` (host monotonic
//! milliseconds). Message dates are `epoch_unix + now / 1000`.
//!
//! 1. Hand each bot request to [`handle_request`](TelegramSim::handle_request) with a
//!    correlation key of your choice.
//! 2. Drain [`poll_response`](TelegramSim::poll_response) until it returns `None`; each answer
//!    carries the key it belongs to. A long poll without pending updates is held: its answer
//!    comes out later, when an update arrives (updates injected before the next drain are
//!    batched together) or when its timeout ends.
//! 3. When webhooks are on, drain [`poll_webhook_delivery`](TelegramSim::poll_webhook_delivery),
//!    POST each delivery and report the webhook's status with
//!    [`webhook_result`](TelegramSim::webhook_result).
//! 4. Call [`advance`](TelegramSim::advance) at [`next_event`](TelegramSim::next_event) (held
//!    poll timeouts, webhook retries), then drain again.
//!
//! ```
//! use botwire_core::io::{HttpMethod, HttpRequest};
//! use botwire_core::sim::telegram::{SimConfig, SimReply, TelegramSim};
//!
//! let mut sim = TelegramSim::new(SimConfig::default());
//! sim.user_sends_text(0, 42, 42, "/start").unwrap();
//! let request = HttpRequest {
//!     method: HttpMethod::Post,
//!     url: "https://api.telegram.org/bot123456:TEST-TOKEN/getUpdates".into(),
//!     headers: vec![("Content-Type".into(), "application/json".into())],
//!     body: br#"{"timeout":30}"#.to_vec(),
//!     timeout_ms: None,
//! };
//! sim.handle_request(10, 1, &request).unwrap();
//! let (key, reply) = sim.poll_response().unwrap();
//! assert_eq!(key, 1);
//! let SimReply::Response(response) = reply else { panic!("dropped") };
//! let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
//! assert_eq!(body["result"][0]["message"]["text"], "/start");
//! assert_eq!(body["result"][0]["message"]["entities"][0]["type"], "bot_command");
//! ```
//!
//! # Scope
//!
//! Implemented methods: `getMe`, `getUpdates`, `setWebhook`, `deleteWebhook`,
//! `getWebhookInfo`, `logOut`, `close`, `sendMessage`, `sendPhoto`, `sendDocument`,
//! `sendAudio`, `sendVideo`, `sendVoice`, `sendAnimation`, `sendSticker`, `sendMediaGroup`,
//! `sendChatAction`, `forwardMessage`, `copyMessage`, `editMessageText`,
//! `editMessageCaption`, `editMessageReplyMarkup`, `deleteMessage`, `answerCallbackQuery`,
//! `answerInlineQuery`, `setMessageReaction`, `getChat`, `getFile`, `setMyCommands`,
//! `getMyCommands`, `deleteMyCommands`. Any other method answers 404 `Not Found`.
//!
//! `parse_mode` is honoured only through a [`MarkupParser`] plugged into the configuration;
//! without one the text is kept as sent and no entities are derived from it.

mod api;
mod faults;
mod limits;
mod methods;
mod multipart;
mod request;
mod send;
mod transcript;
mod updates;
mod users;
mod world;

#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use serde::Serialize;
use serde_json::{json, Value};

pub use faults::{Fault, FaultKind};
pub use limits::{RateLimits, Window};
pub use transcript::{TranscriptAction, TranscriptEntry};
pub use updates::WebhookDelivery;
pub use users::Injected;
pub use world::{ChatKind, SimChat, SimUser};

use crate::io::{constant_time_eq, HttpRequest, HttpResponse, SeededRng, Timestamp};
use api::ApiError;
use request::{Params, Route};

/// Turns marked-up text into plain text plus `MessageEntity` objects, for `parse_mode`.
///
/// Arguments are the text and the `parse_mode` value as sent (`HTML`, `MarkdownV2`,
/// `Markdown`). On success it returns the final text and its entities (UTF-16 offsets); an
/// error string becomes `Bad Request: can't parse entities: <error>`.
pub type MarkupParser = fn(&str, &str) -> Result<(String, Vec<Value>), String>;

/// The bot account the simulator serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotIdentity {
    /// The bot's user id (the part of the token before `:`).
    pub id: i64,
    /// The bot's username, without `@`.
    pub username: String,
    /// The bot's display name.
    pub first_name: String,
}

/// How a [`TelegramSim`] behaves.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The only token the simulator accepts; others get 401 `Unauthorized`.
    pub token: String,
    /// The bot's own account, as `getMe` returns it.
    pub bot: BotIdentity,
    /// Flood control (on by default, Telegram's published limits).
    pub rate_limits: RateLimits,
    /// Seed of every generated id (file ids, query ids, chat instances, the first update id).
    pub seed: u64,
    /// Unix time (seconds) of virtual time 0; message dates are `epoch_unix + now / 1000`.
    pub epoch_unix: i64,
    /// The first `update_id`; `None` derives one from the seed.
    pub first_update_id: Option<i64>,
    /// Privacy mode: in groups the bot only receives commands, replies to its messages and
    /// mentions of it. Off by default (the bot sees every group message).
    pub privacy_mode: bool,
    /// Converter for `parse_mode` (by default botwire's HTML and MarkdownV2 parsers); `None`
    /// keeps marked-up text as sent.
    pub markup_parser: Option<MarkupParser>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            token: "123456:TEST-TOKEN".into(),
            bot: BotIdentity {
                id: 123456,
                username: "botwire_bot".into(),
                first_name: "botwire".into(),
            },
            rate_limits: RateLimits::default(),
            seed: 0x5EED,
            epoch_unix: 1_780_000_000,
            first_update_id: None,
            privacy_mode: false,
            markup_parser: Some(crate::telegram::text::apply_parse_mode),
        }
    }
}

impl SimConfig {
    /// The default configuration with another token; the bot id becomes the token's numeric
    /// prefix when it has one.
    pub fn with_token(token: impl Into<String>) -> Self {
        let token = token.into();
        let mut config = SimConfig::default();
        if let Some(id) = token.split(':').next().and_then(|p| p.parse::<i64>().ok()) {
            config.bot.id = id;
        }
        config.token = token;
        config
    }
}

/// The simulator's answer to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimReply {
    /// An HTTP response to hand to the client.
    Response(HttpResponse),
    /// The answer was lost: the host must report a transport error or timeout to the client.
    Dropped,
}

/// Errors of the simulator's own API (not Bot API errors, which are HTTP answers).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The correlation key belongs to a request that is still waiting for its answer.
    #[error("request key {0} is already waiting for an answer")]
    DuplicateKey(u64),
    /// No webhook delivery of this update is in flight.
    #[error("no webhook delivery of update {0} is in flight")]
    UnknownDelivery(i64),
    /// The chat does not exist or the user cannot act in it.
    #[error("chat {0} is unknown or not usable here")]
    UnknownChat(i64),
    /// The message does not exist in that chat.
    #[error("message {message_id} not found in chat {chat_id}")]
    MessageNotFound {
        /// The chat.
        chat_id: i64,
        /// The message.
        message_id: i64,
    },
    /// The message has no inline button with that callback data.
    #[error("no button with callback data {0:?} on that message")]
    NoSuchButton(String),
    /// The inline query or inline message does not exist.
    #[error("unknown inline query or message {0:?}")]
    UnknownInline(String),
    /// The action makes no sense in this state (for example a channel post in a group).
    #[error("invalid simulated action: {0}")]
    Invalid(String),
}

/// Counters of what the simulator answered, for tests.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SimCounters {
    /// Requests handed to [`TelegramSim::handle_request`].
    pub requests: u64,
    /// Answers with `ok: true`.
    pub ok_responses: u64,
    /// Answers with an error status (including injected ones).
    pub error_responses: u64,
    /// 429 answers, forced or not.
    pub too_many_requests: u64,
    /// 429 answers produced by the flood-control windows.
    pub rate_limited: u64,
    /// 409 answers.
    pub conflicts: u64,
    /// Requests an injected fault applied to.
    pub faults_applied: u64,
    /// Answers reported as [`SimReply::Dropped`].
    pub dropped: u64,
    /// Updates created (after the `allowed_updates` filter).
    pub updates_created: u64,
    /// Webhook deliveries handed out.
    pub webhook_deliveries: u64,
    /// Webhook deliveries that failed (non-2xx or transport error).
    pub webhook_failures: u64,
}

/// The in-memory Telegram Bot API. See the [module documentation](self).
#[derive(Debug, Clone)]
pub struct TelegramSim {
    config: SimConfig,
    rng: SeededRng,
    now: Timestamp,
    outbox: VecDeque<(u64, SimReply)>,
    queue: updates::UpdateQueue,
    held: Option<updates::HeldPoll>,
    webhook: Option<updates::Webhook>,
    retry_cap_ms: u64,
    world: world::World,
    limiter: limits::RateLimiter,
    faults: VecDeque<Fault>,
    transcript: Vec<TranscriptEntry>,
    counters: SimCounters,
    confirmed_offset: i64,
    logged_out_until: Option<Timestamp>,
}

/// What processing a request produced.
enum Outcome {
    Reply {
        response: HttpResponse,
        drop_answer: bool,
    },
    Hold(updates::HeldPoll),
    Dropped,
}

impl TelegramSim {
    /// A simulator with no users, chats or updates.
    pub fn new(config: SimConfig) -> Self {
        let mut rng = SeededRng::new(config.seed);
        let first_update_id = config
            .first_update_id
            .unwrap_or_else(|| 100_000_000 + rng.range(0, 899_999_999) as i64);
        // Telegram picks the webhook retry cap at random between 60 and 120 s.
        let retry_cap_ms = rng.range(60, 120) * 1000;
        TelegramSim {
            config,
            rng,
            now: 0,
            outbox: VecDeque::new(),
            queue: updates::UpdateQueue::new(first_update_id),
            held: None,
            webhook: None,
            retry_cap_ms,
            world: world::World::default(),
            limiter: limits::RateLimiter::default(),
            faults: VecDeque::new(),
            transcript: Vec::new(),
            counters: SimCounters::default(),
            confirmed_offset: 0,
            logged_out_until: None,
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// Switches flood control on or off (history is kept either way).
    pub fn set_rate_limits(&mut self, limits: RateLimits) {
        self.config.rate_limits = limits;
    }

    /// Forgets every user, chat, message, file, update, fault and transcript entry, as if the
    /// simulator had just been created with the same configuration. A held long poll is
    /// answered with an empty result first; answers not yet drained stay drainable.
    pub fn reset(&mut self, now: Timestamp) {
        let now = self.clock(now);
        if let Some(held) = self.held.take() {
            self.emit(
                held.key,
                held.drop_answer,
                api::ok_response(Value::Array(Vec::new()), None),
            );
        }
        let outbox = std::mem::take(&mut self.outbox);
        *self = TelegramSim::new(self.config.clone());
        self.outbox = outbox;
        self.now = now;
    }

    /// Virtual time as last seen; inputs never move it backwards.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    fn clock(&mut self, now: Timestamp) -> Timestamp {
        self.now = self.now.max(now);
        self.now
    }

    /// Unix seconds of a virtual time.
    pub(crate) fn unix(&self, now: Timestamp) -> i64 {
        self.config
            .epoch_unix
            .saturating_add(i64::try_from(now / 1000).unwrap_or(i64::MAX))
    }

    /// Takes one request of the bot. Its answer comes out of
    /// [`poll_response`](Self::poll_response) with the same `key`, at once or, for a held long
    /// poll, later.
    ///
    /// # Errors
    ///
    /// [`SimError::DuplicateKey`] if `key` belongs to a long poll that is still held; the
    /// request is then ignored.
    pub fn handle_request(
        &mut self,
        now: Timestamp,
        key: u64,
        req: &HttpRequest,
    ) -> Result<(), SimError> {
        let now = self.clock(now);
        if self.held.as_ref().is_some_and(|h| h.key == key) {
            return Err(SimError::DuplicateKey(key));
        }
        self.counters.requests += 1;
        match self.process(now, key, req) {
            Outcome::Reply {
                response,
                drop_answer,
            } => self.emit(key, drop_answer, response),
            Outcome::Dropped => {
                self.counters.dropped += 1;
                self.outbox.push_back((key, SimReply::Dropped));
            }
            Outcome::Hold(held) => self.held = Some(held),
        }
        Ok(())
    }

    /// The host gave up on a request (its client disconnected or timed out). A held long poll
    /// with this key is forgotten without an answer; other keys are ignored.
    pub fn cancel_request(&mut self, key: u64) {
        if self.held.as_ref().is_some_and(|h| h.key == key) {
            self.held = None;
        }
    }

    /// The next answer, with the key of the request it belongs to.
    pub fn poll_response(&mut self) -> Option<(u64, SimReply)> {
        self.release_held(false);
        self.outbox.pop_front()
    }

    /// When the simulator next needs [`advance`](Self::advance): a held long poll's timeout or
    /// a webhook delivery becoming due. `None` when nothing is scheduled.
    ///
    /// While a webhook is set, an update that is already due makes this return a time at or
    /// before [`now`](Self::now) until the host takes it with
    /// [`poll_webhook_delivery`](Self::poll_webhook_delivery); a host that steps a virtual
    /// clock must drain deliveries, or it will see no progress.
    pub fn next_event(&self) -> Option<Timestamp> {
        let poll = self.held.as_ref().map(|h| h.deadline);
        let webhook = self.next_webhook_attempt();
        match (poll, webhook) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Moves virtual time to `now`: ends held long polls whose timeout passed (answering
    /// `[]`) and makes due webhook redeliveries available. Calling it early is harmless.
    pub fn advance(&mut self, now: Timestamp) {
        self.clock(now);
        self.queue.expire(self.now);
        self.release_held(false);
    }

    /// Queues a fault for the next matching requests.
    pub fn inject_fault(&mut self, fault: Fault) {
        self.faults.push_back(fault);
    }

    /// Removes every queued fault.
    pub fn clear_faults(&mut self) {
        self.faults.clear();
    }

    /// The faults still queued.
    pub fn pending_faults(&self) -> impl Iterator<Item = &Fault> {
        self.faults.iter()
    }

    /// Everything the bot sent, edited, deleted or answered, in order.
    pub fn transcript(&self) -> &[TranscriptEntry] {
        &self.transcript
    }

    /// Counters of answers, faults and deliveries.
    pub fn counters(&self) -> &SimCounters {
        &self.counters
    }

    /// Updates waiting to be fetched or delivered (expired ones excluded).
    pub fn pending_update_count(&self) -> usize {
        self.queue.live_count(self.now)
    }

    /// The pending updates, oldest first, as the `Update` objects the bot will receive.
    pub fn pending_updates(&self) -> Vec<Value> {
        self.queue.batch(self.now, i64::MIN, usize::MAX)
    }

    /// The highest offset the bot confirmed with `getUpdates` (0 before any).
    pub fn confirmed_offset(&self) -> i64 {
        self.confirmed_offset
    }

    /// Whether a long poll is currently held.
    pub fn has_held_poll(&self) -> bool {
        self.held.is_some()
    }

    /// The webhook URL, when one is set.
    pub fn webhook_url(&self) -> Option<&str> {
        self.webhook.as_ref().map(|w| w.url.as_str())
    }

    /// A message as the simulator stores it (the bot's or a user's).
    pub fn message(&self, chat_id: i64, message_id: i64) -> Option<&Value> {
        self.world
            .messages
            .get(&(chat_id, message_id))
            .map(|m| &m.json)
    }

    /// The bytes of a stored file.
    pub fn file_bytes(&self, file_id: &str) -> Option<&[u8]> {
        self.world.files.get(file_id).map(|f| f.bytes.as_slice())
    }

    /// The bot as a Bot API `User` object.
    pub fn bot_user_json(&self) -> Value {
        json!({
            "id": self.config.bot.id,
            "is_bot": true,
            "first_name": self.config.bot.first_name,
            "username": self.config.bot.username,
        })
    }

    /// Queues an answer, counting it by status; `drop_answer` turns it into a lost answer.
    fn emit(&mut self, key: u64, drop_answer: bool, response: HttpResponse) {
        match response.status {
            200..=299 => self.counters.ok_responses += 1,
            status => {
                self.counters.error_responses += 1;
                if status == 429 {
                    self.counters.too_many_requests += 1;
                }
                if status == 409 {
                    self.counters.conflicts += 1;
                }
            }
        }
        if drop_answer {
            self.counters.dropped += 1;
            self.outbox.push_back((key, SimReply::Dropped));
        } else {
            self.outbox.push_back((key, SimReply::Response(response)));
        }
    }

    fn process(&mut self, now: Timestamp, key: u64, req: &HttpRequest) -> Outcome {
        let reply = |response| Outcome::Reply {
            response,
            drop_answer: false,
        };
        let (path, query) = request::split_url(&req.url);
        let (token, method) = match request::route(path) {
            None => return reply(ApiError::not_found().response()),
            Some(Route::File { token, path }) => return reply(self.download(&token, &path)),
            Some(Route::Method { token, method }) => (token, method),
        };
        let params = Params::from_request(req, query);
        let chat_hint = params.as_ref().ok().and_then(|p| p.chat_id_hint());
        let mut drop_answer = false;
        if let Some(kind) = self.take_fault(&method, chat_hint) {
            self.counters.faults_applied += 1;
            match kind.response() {
                Some(response) => return reply(response),
                None if kind == FaultKind::DropRequest => return Outcome::Dropped,
                None => drop_answer = true,
            }
        }
        let response = match self.call(now, key, &token, &method, params) {
            Ok(methods::Answer::Hold(mut held)) => {
                held.drop_answer = drop_answer;
                return Outcome::Hold(held);
            }
            Ok(methods::Answer::Value(value)) => api::ok_response(value, None),
            Ok(methods::Answer::Described(value, text)) => api::ok_response(value, Some(text)),
            Err(err) => err.response(),
        };
        Outcome::Reply {
            response,
            drop_answer,
        }
    }

    fn call(
        &mut self,
        now: Timestamp,
        key: u64,
        token: &str,
        method: &str,
        params: Result<Params, ApiError>,
    ) -> Result<methods::Answer, ApiError> {
        if !token.contains(':') {
            return Err(ApiError::not_found());
        }
        if !constant_time_eq(token.as_bytes(), self.config.token.as_bytes()) {
            return Err(ApiError::unauthorized());
        }
        if self.logged_out_until.is_some_and(|until| now < until) {
            return Err(ApiError::unauthorized());
        }
        let params = params?;
        self.dispatch(now, key, &method.to_ascii_lowercase(), &params)
    }

    fn take_fault(&mut self, method: &str, chat_id: Option<i64>) -> Option<FaultKind> {
        let index = self
            .faults
            .iter()
            .position(|f| f.matches(method, chat_id))?;
        let fault = &mut self.faults[index];
        fault.times -= 1;
        let kind = fault.kind.clone();
        if fault.times == 0 {
            self.faults.remove(index);
        }
        Some(kind)
    }

    /// Serves `GET …/file/bot<token>/<path>`.
    fn download(&self, token: &str, path: &str) -> HttpResponse {
        if !constant_time_eq(token.as_bytes(), self.config.token.as_bytes()) {
            return ApiError::unauthorized().response();
        }
        let file = self
            .world
            .file_paths
            .get(path)
            .and_then(|id| self.world.files.get(id));
        match file {
            Some(file) => HttpResponse {
                status: 200,
                headers: vec![
                    ("Content-Type".into(), "application/octet-stream".into()),
                    ("Content-Length".into(), file.bytes.len().to_string()),
                ],
                body: file.bytes.clone(),
            },
            None => ApiError::not_found().response(),
        }
    }

    /// Appends a transcript entry.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn record(
        &mut self,
        now: Timestamp,
        action: TranscriptAction,
        method: &str,
        chat_id: Option<i64>,
        message_id: Option<i64>,
        text: Option<String>,
        reply_markup: Option<Value>,
        payload: Value,
    ) {
        let seq = self.transcript.len() as u64;
        self.transcript.push(TranscriptEntry {
            seq,
            at: now,
            action,
            method: method.to_owned(),
            chat_id,
            message_id,
            inline_message_id: None,
            text,
            reply_markup,
            payload,
        });
    }
}
