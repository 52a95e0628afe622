//! Drives a Telegram client with an arbitrary sequence of host inputs: answers with arbitrary
//! statuses and bodies (and well-formed update batches, to reach deeper states), transport
//! errors, answers to ids it never issued, timers early and on time, webhook deliveries with
//! arbitrary headers and bodies, calls, start, stop and cursor restores.
//!
//! Besides "never panics", it checks the id contract: every id the client hands out can be
//! answered exactly once, a second answer or an unknown id is an error, and the client's count
//! of pending requests matches the ids handed out and not yet answered.
#![no_main]

use botwire_core::io::{HttpErrorKind, RequestId, Timestamp};
use botwire_core::telegram::client::{
    ClientConfig, Cursor, Intake, Output, PollingConfig, TelegramClient, WebhookConfig,
};
use botwire_core::telegram::ordered::OrderedConfig;
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "fuzz-secret";
const METHODS: &[&str] = &[
    "getMe",
    "sendMessage",
    "sendMediaGroup",
    "answerCallbackQuery",
    "getUpdates",
    "notAMethod",
];

/// Reads the fuzzer's bytes as small numbers and slices; running out gives zeros.
struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((b, rest)) => {
                self.data = rest;
                *b
            }
            None => 0,
        }
    }

    fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.byte(), self.byte()])
    }

    fn u32(&mut self) -> u32 {
        u32::from_be_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    fn bytes(&mut self) -> &'a [u8] {
        let len = usize::from(self.byte()).min(self.data.len());
        let (taken, rest) = self.data.split_at(len);
        self.data = rest;
        taken
    }

    fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

fn config(choice: u8) -> ClientConfig {
    let token = "123:FUZZ";
    match choice % 5 {
        0 => ClientConfig::new(token),
        1 => ClientConfig::polling(token),
        2 => ClientConfig {
            intake: Intake::Polling(PollingConfig {
                timeout_secs: 0,
                limit: 0,
                allowed_updates: Some(vec!["message".into()]),
                backoff_initial_ms: 0,
                backoff_max_ms: u64::MAX,
                http_timeout_margin_ms: u64::MAX,
                ..PollingConfig::default()
            }),
            ..ClientConfig::new(token)
        },
        3 => ClientConfig::webhook(
            token,
            WebhookConfig {
                secret_token: Some(SECRET.into()),
                max_body_bytes: 200,
                ordered: None,
                dedup_window: 4,
                ..WebhookConfig::default()
            },
        ),
        _ => ClientConfig::webhook(
            token,
            WebhookConfig {
                secret_token: None,
                max_body_bytes: 1 << 20,
                ordered: Some(OrderedConfig {
                    maxhold_ms: 50,
                    max_held: 3,
                    reset_after_ms: 1_000,
                    ..OrderedConfig::default()
                }),
                dedup_window: 16,
                ..WebhookConfig::default()
            },
        ),
    }
}

/// A well-formed update with the given id and chat, so intake gets past parsing.
fn update_json(update_id: i64, chat: u8) -> String {
    format!(
        r#"{{"update_id":{update_id},"message":{{"message_id":1,"date":1,"chat":{{"id":{chat},"type":"private"}},"text":"x"}}}}"#
    )
}

fn http_error_kind(choice: u8) -> HttpErrorKind {
    match choice % 5 {
        0 => HttpErrorKind::Timeout,
        1 => HttpErrorKind::Connect,
        2 => HttpErrorKind::Io,
        3 => HttpErrorKind::Aborted,
        _ => HttpErrorKind::Other,
    }
}

struct Harness {
    client: TelegramClient,
    now: Timestamp,
    /// Ids handed out and not yet answered, in order.
    outstanding: Vec<RequestId>,
    /// Ids already answered (a second answer must fail).
    answered: Vec<RequestId>,
}

impl Harness {
    fn drain(&mut self) {
        // Bounded so a client that produces outputs forever fails instead of hanging.
        for _ in 0..10_000 {
            match self.client.poll_output() {
                Some(Output::Http { id, .. }) => {
                    assert!(
                        !self.outstanding.contains(&id) && !self.answered.contains(&id),
                        "{id} handed out twice"
                    );
                    self.outstanding.push(id);
                }
                Some(_) => {}
                None => {
                    assert_eq!(self.client.pending_requests(), self.outstanding.len());
                    return;
                }
            }
        }
        panic!("poll_output never ran dry");
    }

    fn take_outstanding(&mut self, choice: u8) -> Option<RequestId> {
        if self.outstanding.is_empty() {
            return None;
        }
        let index = usize::from(choice) % self.outstanding.len();
        let id = self.outstanding.remove(index);
        self.answered.push(id);
        Some(id)
    }

    fn answer(&mut self, id: RequestId, status: u16, body: &[u8]) {
        assert!(self
            .client
            .handle_http_response(self.now, id, status, body)
            .is_ok());
        assert!(
            self.client
                .handle_http_response(self.now, id, status, body)
                .is_err(),
            "{id} accepted a second answer"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input { data };
    let mut h = Harness {
        client: TelegramClient::new(config(input.byte())),
        now: 0,
        outstanding: Vec::new(),
        answered: Vec::new(),
    };

    while !input.is_empty() {
        // Time moves forward by a little or a lot before each input.
        h.now = h.now.saturating_add(match input.byte() % 4 {
            0 => 0,
            1 => u64::from(input.byte()),
            2 => u64::from(input.u16()) * 10,
            _ => u64::from(input.u32()),
        });
        match input.byte() % 12 {
            0 => h.client.start(h.now),
            1 => h.client.stop(h.now),
            2 => {
                // An arbitrary answer to an id the client issued.
                let choice = input.byte();
                let status = input.u16();
                let body = input.bytes();
                if let Some(id) = h.take_outstanding(choice) {
                    h.answer(id, status, body);
                }
            }
            3 => {
                // A successful getUpdates batch (or call result) with chosen update ids.
                let choice = input.byte();
                let count = input.byte() % 5;
                let updates: Vec<String> = (0..count)
                    .map(|_| update_json(i64::from(input.byte() as i8), input.byte()))
                    .collect();
                let body = format!(r#"{{"ok":true,"result":[{}]}}"#, updates.join(","));
                if let Some(id) = h.take_outstanding(choice) {
                    h.answer(id, 200, body.as_bytes());
                }
            }
            4 => {
                // An API error answer: flood control, conflict, bad token, server error.
                let choice = input.byte();
                let (status, body) = match input.byte() % 4 {
                    0 => (
                        429,
                        format!(
                            r#"{{"ok":false,"error_code":429,"description":"Too Many Requests","parameters":{{"retry_after":{}}}}}"#,
                            input.byte() as i8
                        ),
                    ),
                    1 => (
                        409,
                        r#"{"ok":false,"error_code":409,"description":"Conflict"}"#.to_owned(),
                    ),
                    2 => (
                        401,
                        r#"{"ok":false,"error_code":401,"description":"Unauthorized"}"#.to_owned(),
                    ),
                    _ => (502, "<html>Bad Gateway</html>".to_owned()),
                };
                if let Some(id) = h.take_outstanding(choice) {
                    h.answer(id, status, body.as_bytes());
                }
            }
            5 => {
                let choice = input.byte();
                let kind = http_error_kind(input.byte());
                if let Some(id) = h.take_outstanding(choice) {
                    assert!(h.client.handle_http_error(h.now, id, kind).is_ok());
                    assert!(h.client.handle_http_error(h.now, id, kind).is_err());
                }
            }
            6 => {
                // Ids never issued, or already answered, are refused.
                let choice = input.byte();
                let id = match h.answered.get(usize::from(choice)) {
                    Some(id) if choice % 2 == 0 => *id,
                    _ => RequestId(u64::from(input.u32()) + 1_000_000),
                };
                let status = input.u16();
                assert!(h
                    .client
                    .handle_http_response(h.now, id, status, input.bytes())
                    .is_err());
                assert!(h
                    .client
                    .handle_http_error(h.now, id, HttpErrorKind::Other)
                    .is_err());
            }
            7 => h.client.handle_timeout(h.now),
            8 => {
                // The timer fires exactly when asked (or a spurious wake-up when none is set).
                if let Some(at) = h.client.poll_timeout() {
                    h.now = h.now.max(at);
                }
                h.client.handle_timeout(h.now);
            }
            9 => {
                // A webhook delivery: arbitrary or well-formed body, right, wrong or no secret.
                let headers: Vec<(&str, &str)> = match input.byte() % 3 {
                    0 => vec![],
                    1 => vec![("x-telegram-bot-api-secret-token", SECRET)],
                    _ => vec![("X-Telegram-Bot-Api-Secret-Token", "fuzz-secreT")],
                };
                let reply = if input.byte() % 2 == 0 {
                    h.client.handle_webhook(h.now, &headers, input.bytes())
                } else {
                    let body = update_json(i64::from(input.byte() as i8), input.byte());
                    h.client.handle_webhook(h.now, &headers, body.as_bytes())
                };
                assert!((200..600).contains(&reply.status));
            }
            10 => {
                let method = METHODS[usize::from(input.byte()) % METHODS.len()];
                let args = String::from_utf8_lossy(input.bytes()).into_owned();
                let _ = h.client.call_json(h.now, method, &args);
            }
            _ => {
                let cursor = h.client.export_cursor(i64::from(input.u16()));
                let restored = Cursor {
                    offset: match input.byte() % 3 {
                        0 => None,
                        1 => cursor.offset,
                        _ => Some(i64::from(input.u16() as i16)),
                    },
                    saved_at: i64::from(input.u32()),
                };
                let before = h.client.export_cursor(0).offset;
                h.client.restore_cursor(restored, i64::from(input.u32()));
                let after = h.client.export_cursor(0).offset;
                assert!(after >= before, "the offset moved backwards");
            }
        }
        h.drain();
    }
});
