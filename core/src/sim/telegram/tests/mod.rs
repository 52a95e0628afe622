//! Tests of the Telegram simulator, driven on a virtual clock.

mod faults;
mod garbage;
mod limits;
mod media;
mod messages;
mod polling;
mod webhook;

use std::collections::VecDeque;

use serde_json::{json, Value};

use super::{SimConfig, SimReply, TelegramSim};
use crate::io::{HttpMethod, HttpRequest, HttpResponse, Timestamp};

pub(super) const TOKEN: &str = "123456:TEST-TOKEN";
/// A user who has started the bot in most tests.
pub(super) const ANA: i64 = 7_000_000_001;
/// A second user.
pub(super) const BO: i64 = 7_000_000_002;
/// A supergroup.
pub(super) const GROUP: i64 = -1_001_500_000_001;

pub(super) fn url(method: &str) -> String {
    format!("https://api.telegram.org/bot{TOKEN}/{method}")
}

pub(super) fn json_request(method: &str, body: &Value) -> HttpRequest {
    HttpRequest {
        method: HttpMethod::Post,
        url: url(method),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: body.to_string().into_bytes(),
        timeout_ms: None,
    }
}

pub(super) fn raw_request(url: &str, content_type: &str, body: &[u8]) -> HttpRequest {
    HttpRequest {
        method: HttpMethod::Post,
        url: url.to_owned(),
        headers: vec![("Content-Type".into(), content_type.into())],
        body: body.to_vec(),
        timeout_ms: None,
    }
}

/// A multipart body: text fields, then file parts `(name, filename, bytes)`.
pub(super) fn multipart(
    fields: &[(&str, &str)],
    files: &[(&str, &str, &[u8])],
) -> (String, Vec<u8>) {
    let boundary = "simtestboundary42";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    for (name, filename, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The body as JSON (`Null` when it is not JSON).
pub(super) fn body_json(response: &HttpResponse) -> Value {
    serde_json::from_slice(&response.body).unwrap_or(Value::Null)
}

/// A bot-side driver around the simulator: allocates keys and keeps answers that belong to
/// other requests (held polls) until asked for.
pub(super) struct Harness {
    pub sim: TelegramSim,
    next_key: u64,
    answers: VecDeque<(u64, SimReply)>,
}

impl Harness {
    pub fn new() -> Self {
        Self::with_config(SimConfig::default())
    }

    pub fn with_config(config: SimConfig) -> Self {
        Harness {
            sim: TelegramSim::new(config),
            next_key: 0,
            answers: VecDeque::new(),
        }
    }

    /// Without rate limits, for tests about something else.
    pub fn unlimited() -> Self {
        let mut config = SimConfig::default();
        config.rate_limits.enabled = false;
        Self::with_config(config)
    }

    fn drain(&mut self) {
        while let Some(answer) = self.sim.poll_response() {
            self.answers.push_back(answer);
        }
    }

    /// Sends a request and returns its key without waiting for the answer.
    pub fn start_raw(&mut self, now: Timestamp, req: &HttpRequest) -> u64 {
        self.next_key += 1;
        let key = self.next_key;
        self.sim.handle_request(now, key, req).expect("fresh key");
        self.drain();
        key
    }

    pub fn start(&mut self, now: Timestamp, method: &str, body: Value) -> u64 {
        self.start_raw(now, &json_request(method, &body))
    }

    /// The answer of `key`, if it came.
    pub fn take(&mut self, key: u64) -> Option<SimReply> {
        self.drain();
        let index = self.answers.iter().position(|(k, _)| *k == key)?;
        self.answers.remove(index).map(|(_, reply)| reply)
    }

    /// The HTTP answer of `key`; panics if it was dropped or has not come.
    pub fn response(&mut self, key: u64) -> HttpResponse {
        match self.take(key) {
            Some(SimReply::Response(response)) => response,
            other => panic!("expected a response for key {key}, got {other:?}"),
        }
    }

    /// Status and JSON body of `key`'s answer.
    pub fn answer(&mut self, key: u64) -> (u16, Value) {
        let response = self.response(key);
        (response.status, body_json(&response))
    }

    pub fn call_raw(&mut self, now: Timestamp, req: &HttpRequest) -> (u16, Value) {
        let key = self.start_raw(now, req);
        self.answer(key)
    }

    /// Calls a method with a JSON body and returns status and body.
    pub fn call(&mut self, now: Timestamp, method: &str, body: Value) -> (u16, Value) {
        self.call_raw(now, &json_request(method, &body))
    }

    /// Calls a method that must succeed and returns its `result`.
    pub fn ok(&mut self, now: Timestamp, method: &str, body: Value) -> Value {
        let (status, body) = self.call(now, method, body);
        assert_eq!(status, 200, "{method} failed: {body}");
        assert_eq!(body["ok"], true);
        body["result"].clone()
    }

    /// Calls a method that must fail and returns `(status, description)`.
    pub fn err(&mut self, now: Timestamp, method: &str, body: Value) -> (u16, String) {
        let (status, body) = self.call(now, method, body);
        assert_ne!(status, 200, "{method} unexpectedly succeeded: {body}");
        assert_eq!(body["ok"], false, "{body}");
        assert_eq!(body["error_code"], status, "{body}");
        (
            status,
            body["description"].as_str().unwrap_or("").to_owned(),
        )
    }

    /// Ana writes to the bot so it may answer, and the update is fetched and confirmed.
    pub fn started_chat(&mut self, now: Timestamp, user: i64) {
        self.sim.user_sends_text(now, user, user, "/start").unwrap();
        let updates = self.ok(now, "getUpdates", json!({}));
        let last = updates.as_array().unwrap().last().unwrap()["update_id"]
            .as_i64()
            .unwrap();
        self.ok(now, "getUpdates", json!({ "offset": last + 1 }));
    }

    /// Sends a message with an inline keyboard button `data` and returns its id.
    pub fn send_with_button(&mut self, now: Timestamp, chat: i64, data: &str) -> i64 {
        let message = self.ok(
            now,
            "sendMessage",
            json!({
                "chat_id": chat,
                "text": "Pick",
                "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": data}]]},
            }),
        );
        message["message_id"].as_i64().unwrap()
    }
}
