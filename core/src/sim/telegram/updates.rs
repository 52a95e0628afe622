//! The update queue and the two ways out of it: long polling (`getUpdates`) and webhooks.

use std::collections::VecDeque;

use serde_json::{json, Value};

use super::api::{self, ApiError};
use super::methods::Answer;
use super::request::Params;
use super::{SimError, TelegramSim};
use crate::io::{HttpMethod, HttpRequest, Timestamp};

/// Update kinds left out when `allowed_updates` is empty or was never given.
const NOT_BY_DEFAULT: [&str; 3] = ["chat_member", "message_reaction", "message_reaction_count"];

/// Longest long-poll timeout the server accepts, in seconds.
const MAX_POLL_TIMEOUT_S: i64 = 50;

/// How long an update of a kind is kept before it is given up (section 4 of the protocol
/// notes: 24 h for messages, 150 s for callback queries, 30 s for inline queries, …).
pub(crate) fn time_to_live_ms(kind: &str) -> u64 {
    match kind {
        "callback_query" | "shipping_query" | "pre_checkout_query" => 150_000,
        "inline_query" => 30_000,
        "chosen_inline_result" => 600_000,
        _ => 24 * 3600 * 1000,
    }
}

/// One update waiting on the server.
#[derive(Debug, Clone)]
pub(crate) struct PendingUpdate {
    pub id: i64,
    pub expires: Timestamp,
    pub body: Value,
    /// Webhook state: failed attempts so far, when the next may start, whether one is out.
    pub failures: u32,
    pub next_attempt: Timestamp,
    pub in_flight: bool,
}

/// Pending updates in ascending `update_id` order.
#[derive(Debug, Clone)]
pub(crate) struct UpdateQueue {
    pub updates: VecDeque<PendingUpdate>,
    pub next_id: i64,
    /// `None`: the default set.
    pub allowed: Option<Vec<String>>,
}

impl UpdateQueue {
    pub fn new(first_id: i64) -> Self {
        UpdateQueue {
            updates: VecDeque::new(),
            next_id: first_id,
            allowed: None,
        }
    }

    /// Whether updates of `kind` are created under the current `allowed_updates` setting.
    pub fn allows(&self, kind: &str) -> bool {
        match &self.allowed {
            None => !NOT_BY_DEFAULT.contains(&kind),
            Some(list) => list.iter().any(|k| k == kind),
        }
    }

    /// Sets `allowed_updates` from a parameter value; an empty list restores the default.
    pub fn set_allowed(&mut self, value: &Value) -> Result<(), ApiError> {
        let Value::Array(items) = value else {
            return Err(ApiError::bad_request("can't parse allowed updates list"));
        };
        let mut kinds = Vec::with_capacity(items.len());
        for item in items {
            match item.as_str() {
                Some(kind) => kinds.push(kind.to_owned()),
                None => return Err(ApiError::bad_request("can't parse allowed updates list")),
            }
        }
        self.allowed = if kinds.is_empty() { None } else { Some(kinds) };
        Ok(())
    }

    /// Creates an update unless its kind is filtered out; returns its id.
    pub fn push(&mut self, now: Timestamp, kind: &str, payload: Value) -> Option<i64> {
        if !self.allows(kind) {
            return None;
        }
        let id = self.next_id;
        self.next_id = self.next_id.saturating_add(1);
        let mut body = json!({ "update_id": id });
        body[kind] = payload;
        self.updates.push_back(PendingUpdate {
            id,
            expires: now.saturating_add(time_to_live_ms(kind)),
            body,
            failures: 0,
            next_attempt: now,
            in_flight: false,
        });
        Some(id)
    }

    /// Drops updates whose time is up (never one that is being delivered).
    pub fn expire(&mut self, now: Timestamp) {
        self.updates.retain(|u| u.in_flight || u.expires > now);
    }

    pub fn live_count(&self, now: Timestamp) -> usize {
        self.updates.iter().filter(|u| u.expires > now).count()
    }

    /// Applies a `getUpdates` offset: a positive one confirms every lower id, a negative `-N`
    /// keeps only the last N updates. Returns the lowest id the call may return.
    pub fn confirm(&mut self, offset: i64) -> i64 {
        if offset > 0 {
            self.updates.retain(|u| u.id >= offset);
            offset
        } else if offset < 0 {
            let keep = usize::try_from(offset.unsigned_abs()).unwrap_or(usize::MAX);
            while self.updates.len() > keep {
                self.updates.pop_front();
            }
            i64::MIN
        } else {
            i64::MIN
        }
    }

    /// Up to `limit` live updates with `update_id >= from`.
    pub fn batch(&self, now: Timestamp, from: i64, limit: usize) -> Vec<Value> {
        self.updates
            .iter()
            .filter(|u| u.id >= from && u.expires > now)
            .take(limit)
            .map(|u| u.body.clone())
            .collect()
    }
}

/// A `getUpdates` call waiting for updates.
#[derive(Debug, Clone)]
pub(crate) struct HeldPoll {
    pub key: u64,
    pub deadline: Timestamp,
    pub from: i64,
    pub limit: usize,
    pub drop_answer: bool,
}

/// The webhook settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Webhook {
    pub url: String,
    pub secret_token: Option<String>,
    pub max_connections: usize,
    pub ip_address: Option<String>,
    pub has_custom_certificate: bool,
    pub last_error_date: Option<i64>,
    pub last_error_message: Option<String>,
}

/// One webhook delivery for the host to perform: `POST url` with `body` as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDelivery {
    /// The update being delivered; report the outcome with this id.
    pub update_id: i64,
    /// The webhook URL.
    pub url: String,
    /// The secret to send in `X-Telegram-Bot-Api-Secret-Token`, if one was set.
    pub secret_token: Option<String>,
    /// The `Update` as JSON.
    pub body: Vec<u8>,
}

impl WebhookDelivery {
    /// The delivery as an HTTP request, with the headers Telegram sends.
    pub fn to_request(&self) -> HttpRequest {
        let mut headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
        if let Some(secret) = &self.secret_token {
            headers.push(("X-Telegram-Bot-Api-Secret-Token".into(), secret.clone()));
        }
        HttpRequest {
            method: HttpMethod::Post,
            url: self.url.clone(),
            headers,
            body: self.body.clone(),
            timeout_ms: Some(60_000),
        }
    }
}

fn valid_secret(secret: &str) -> bool {
    (1..=256).contains(&secret.len())
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl TelegramSim {
    /// Answers the held long poll when it has updates or its time is up.
    pub(crate) fn release_held(&mut self, force: bool) {
        let Some(held) = &self.held else {
            return;
        };
        let batch = self.queue.batch(self.now, held.from, held.limit);
        if batch.is_empty() && !force && self.now < held.deadline {
            return;
        }
        if let Some(held) = self.held.take() {
            self.emit(
                held.key,
                held.drop_answer,
                api::ok_response(Value::Array(batch), None),
            );
        }
    }

    /// Ends the held long poll with an error.
    fn terminate_held(&mut self, err: ApiError) {
        if let Some(held) = self.held.take() {
            self.emit(held.key, held.drop_answer, err.response());
        }
    }

    pub(crate) fn get_updates(
        &mut self,
        now: Timestamp,
        key: u64,
        p: &Params,
    ) -> Result<Answer, ApiError> {
        if self.webhook.is_some() {
            return Err(ApiError::conflict(api::CONFLICT_WEBHOOK_ACTIVE));
        }
        let offset = p.i64_opt("offset")?.unwrap_or(0);
        let limit = p.i64_opt("limit")?.unwrap_or(100).clamp(1, 100) as usize;
        let timeout = p
            .i64_opt("timeout")?
            .unwrap_or(0)
            .clamp(0, MAX_POLL_TIMEOUT_S) as u64;
        if let Some(list) = p.json_opt("allowed_updates")? {
            self.queue.set_allowed(&list)?;
        }
        // Only one long poll per bot: a new call ends the previous one.
        self.terminate_held(ApiError::conflict(api::CONFLICT_OTHER_POLL));
        self.queue.expire(now);
        let before = self.queue.updates.front().map(|u| u.id);
        let from = self.queue.confirm(offset);
        if offset > 0 {
            self.confirmed_offset = self.confirmed_offset.max(offset);
        } else if offset < 0 && before != self.queue.updates.front().map(|u| u.id) {
            if let Some(first) = self.queue.updates.front() {
                self.confirmed_offset = self.confirmed_offset.max(first.id);
            }
        }
        let batch = self.queue.batch(now, from, limit);
        if !batch.is_empty() || timeout == 0 {
            return Ok(Answer::Value(Value::Array(batch)));
        }
        Ok(Answer::Hold(HeldPoll {
            key,
            deadline: now.saturating_add(timeout * 1000),
            from,
            limit,
            drop_answer: false,
        }))
    }

    pub(crate) fn set_webhook(&mut self, now: Timestamp, p: &Params) -> Result<Answer, ApiError> {
        let url = p.str_opt("url")?.unwrap_or_default();
        if url.is_empty() {
            return self.delete_webhook(p);
        }
        let lower = url.to_ascii_lowercase();
        if !(lower.starts_with("https://") || lower.starts_with("http://")) {
            return Err(ApiError::bad_request(
                "bad webhook: An HTTPS URL must be provided for webhook",
            ));
        }
        let host = lower.split_once("://").map_or("", |(_, rest)| rest);
        if host.trim_matches('/').is_empty() {
            return Err(ApiError::bad_request(
                "bad webhook: Failed to resolve host: Name or service not known",
            ));
        }
        let secret_token = p.str_opt("secret_token")?.filter(|s| !s.is_empty());
        if let Some(secret) = &secret_token {
            if !valid_secret(secret) {
                return Err(ApiError::bad_request(
                    "secret token contains unallowed characters",
                ));
            }
        }
        let max_connections = p.i64_opt("max_connections")?.unwrap_or(40).clamp(1, 100) as usize;
        let allowed = p.json_opt("allowed_updates")?;
        let drop_pending = p.flag("drop_pending_updates")?;
        let ip_address = p.str_opt("ip_address")?.filter(|s| !s.is_empty());
        let has_custom_certificate = p.upload("certificate").is_some();
        if let Err(retry_after) = self.limiter.set_webhook(&self.config.rate_limits, now) {
            return Err(ApiError::too_many_requests(retry_after));
        }
        if let Some(list) = &allowed {
            self.queue.set_allowed(list)?;
        }
        if drop_pending {
            self.queue.updates.clear();
        }
        self.terminate_held(ApiError::conflict(api::CONFLICT_SET_WEBHOOK));
        let webhook = Webhook {
            url,
            secret_token,
            max_connections,
            ip_address,
            has_custom_certificate,
            last_error_date: None,
            last_error_message: None,
        };
        let unchanged = self.webhook.as_ref().is_some_and(|old| {
            old.url == webhook.url
                && old.secret_token == webhook.secret_token
                && old.max_connections == webhook.max_connections
        });
        if !unchanged {
            self.reset_deliveries();
            self.webhook = Some(webhook);
        }
        let text = if unchanged {
            "Webhook is already set"
        } else {
            "Webhook was set"
        };
        Ok(Answer::Described(Value::Bool(true), text))
    }

    pub(crate) fn delete_webhook(&mut self, p: &Params) -> Result<Answer, ApiError> {
        if p.flag("drop_pending_updates")? {
            self.queue.updates.clear();
        }
        let text = if self.webhook.take().is_some() {
            self.reset_deliveries();
            "Webhook was deleted"
        } else {
            "Webhook is already deleted"
        };
        Ok(Answer::Described(Value::Bool(true), text))
    }

    pub(crate) fn get_webhook_info(&self) -> Value {
        let pending = self.queue.live_count(self.now);
        let Some(hook) = &self.webhook else {
            return json!({
                "url": "",
                "has_custom_certificate": false,
                "pending_update_count": pending,
            });
        };
        let mut info = json!({
            "url": hook.url,
            "has_custom_certificate": hook.has_custom_certificate,
            "pending_update_count": pending,
            "max_connections": hook.max_connections,
        });
        if let Some(ip) = &hook.ip_address {
            info["ip_address"] = json!(ip);
        }
        if let (Some(date), Some(message)) = (hook.last_error_date, &hook.last_error_message) {
            info["last_error_date"] = json!(date);
            info["last_error_message"] = json!(message);
        }
        if let Some(list) = &self.queue.allowed {
            info["allowed_updates"] = json!(list);
        }
        info
    }

    /// Forgets in-flight deliveries (the webhook changed): their updates become due again.
    fn reset_deliveries(&mut self) {
        for update in &mut self.queue.updates {
            update.in_flight = false;
            update.failures = 0;
            update.next_attempt = 0;
        }
    }

    /// The next webhook delivery to perform, if a webhook is set and an update is due.
    /// Several deliveries may be in flight at once (up to `max_connections`); updates of
    /// different chats may therefore arrive out of `update_id` order.
    pub fn poll_webhook_delivery(&mut self) -> Option<WebhookDelivery> {
        let hook = self.webhook.as_ref()?;
        let in_flight = self.queue.updates.iter().filter(|u| u.in_flight).count();
        if in_flight >= hook.max_connections {
            return None;
        }
        let now = self.now;
        self.queue.expire(now);
        let update = self
            .queue
            .updates
            .iter_mut()
            .find(|u| !u.in_flight && u.next_attempt <= now)?;
        update.in_flight = true;
        let delivery = WebhookDelivery {
            update_id: update.id,
            url: hook.url.clone(),
            secret_token: hook.secret_token.clone(),
            body: update.body.to_string().into_bytes(),
        };
        self.counters.webhook_deliveries += 1;
        Some(delivery)
    }

    /// Reports the HTTP status the webhook answered a delivery with. A 2xx status confirms
    /// the update; anything else schedules a redelivery (at once after the first failure,
    /// then after 2, 4, 8 … seconds up to a cap between 60 and 120 s chosen from the seed),
    /// unless the update would expire first.
    ///
    /// # Errors
    ///
    /// [`SimError::UnknownDelivery`] if no delivery of that update is in flight (for example
    /// because the webhook was changed meanwhile).
    pub fn webhook_result(
        &mut self,
        now: Timestamp,
        update_id: i64,
        status: u16,
    ) -> Result<(), SimError> {
        if (200..300).contains(&status) {
            let now = self.clock(now);
            let index = self.in_flight_index(update_id)?;
            self.queue.updates.remove(index);
            self.queue.expire(now);
            return Ok(());
        }
        let message = format!(
            "Wrong response from the webhook: {status} {}",
            api::reason_phrase(status)
        );
        self.webhook_failed(now, update_id, &message)
    }

    /// Reports that a delivery failed without an HTTP answer (connection refused, timeout);
    /// `description` becomes `last_error_message` of `getWebhookInfo`. The update is
    /// redelivered like after a non-2xx status.
    ///
    /// # Errors
    ///
    /// [`SimError::UnknownDelivery`] if no delivery of that update is in flight.
    pub fn webhook_error(
        &mut self,
        now: Timestamp,
        update_id: i64,
        description: &str,
    ) -> Result<(), SimError> {
        self.webhook_failed(now, update_id, description)
    }

    fn webhook_failed(
        &mut self,
        now: Timestamp,
        update_id: i64,
        message: &str,
    ) -> Result<(), SimError> {
        let now = self.clock(now);
        let index = self.in_flight_index(update_id)?;
        self.counters.webhook_failures += 1;
        let date = self.unix(now);
        if let Some(hook) = &mut self.webhook {
            hook.last_error_date = Some(date);
            hook.last_error_message = Some(message.to_owned());
        }
        let cap = self.retry_cap_ms;
        let update = &mut self.queue.updates[index];
        update.in_flight = false;
        update.failures += 1;
        let delay = match update.failures {
            1 => 0,
            n => 1000u64.saturating_mul(1u64 << (n - 1).min(20)).min(cap),
        };
        update.next_attempt = now.saturating_add(delay);
        if update.next_attempt >= update.expires {
            self.queue.updates.remove(index);
        }
        Ok(())
    }

    fn in_flight_index(&self, update_id: i64) -> Result<usize, SimError> {
        self.queue
            .updates
            .iter()
            .position(|u| u.id == update_id && u.in_flight)
            .ok_or(SimError::UnknownDelivery(update_id))
    }

    /// The earliest future redelivery time, when a webhook is set.
    pub(crate) fn next_webhook_attempt(&self) -> Option<Timestamp> {
        let hook = self.webhook.as_ref()?;
        let in_flight = self.queue.updates.iter().filter(|u| u.in_flight).count();
        if in_flight >= hook.max_connections {
            return None;
        }
        self.queue
            .updates
            .iter()
            .filter(|u| !u.in_flight && u.expires > self.now)
            .map(|u| u.next_attempt.max(self.now))
            .min()
    }

    /// Creates an update (unless filtered by `allowed_updates`) and counts it.
    pub(crate) fn push_update(
        &mut self,
        now: Timestamp,
        kind: &str,
        payload: Value,
    ) -> Option<i64> {
        let id = self.queue.push(now, kind, payload)?;
        self.counters.updates_created += 1;
        Some(id)
    }
}
