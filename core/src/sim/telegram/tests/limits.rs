//! Flood control: exact windows and `retry_after` values on the virtual clock.

use serde_json::json;

use super::{Harness, ANA, GROUP};
use crate::sim::telegram::RateLimits;

fn send(h: &mut Harness, now: u64, chat: i64) -> (u16, Option<u64>) {
    let (status, body) = h.call(now, "sendMessage", json!({"chat_id": chat, "text": "x"}));
    (status, body["parameters"]["retry_after"].as_u64())
}

#[test]
fn one_message_per_second_per_chat() {
    let mut h = Harness::new();
    h.started_chat(0, ANA);
    assert_eq!(send(&mut h, 0, ANA), (200, None));
    assert_eq!(send(&mut h, 1, ANA), (429, Some(1)));
    assert_eq!(send(&mut h, 999, ANA), (429, Some(1)));
    assert_eq!(send(&mut h, 1_000, ANA), (200, None));
    let (status, body) = h.call(1_500, "sendMessage", json!({"chat_id": ANA, "text": "x"}));
    assert_eq!(status, 429);
    assert_eq!(
        body,
        json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 1", "parameters": {"retry_after": 1}})
    );
    assert_eq!(h.sim.counters().rate_limited, 3);
    assert_eq!(h.sim.counters().too_many_requests, 3);
    // Only successful sends count: the rejected ones did not extend the window.
    assert_eq!(send(&mut h, 2_000, ANA), (200, None));
}

#[test]
fn twenty_messages_per_minute_per_group() {
    let mut h = Harness::new();
    h.sim.user_sends_text(0, ANA, GROUP, "hi").unwrap();
    for i in 0..20 {
        assert_eq!(send(&mut h, i * 1_000, GROUP), (200, None), "send {i}");
    }
    // The per-chat window is free at 20 s, the group window is not until 60 s.
    assert_eq!(send(&mut h, 20_000, GROUP), (429, Some(40)));
    assert_eq!(send(&mut h, 58_500, GROUP), (429, Some(2)));
    assert_eq!(send(&mut h, 59_999, GROUP), (429, Some(1)));
    assert_eq!(send(&mut h, 60_000, GROUP), (200, None));
    // The next one waits for the second send (at 1 s) to leave the window.
    assert_eq!(send(&mut h, 60_500, GROUP), (429, Some(1)));
    assert_eq!(send(&mut h, 61_000, GROUP), (200, None));
    assert_eq!(send(&mut h, 62_000, GROUP), (200, None));
    assert_eq!(h.sim.counters().rate_limited, 4);
}

#[test]
fn thirty_messages_per_second_overall() {
    let mut h = Harness::new();
    let users: Vec<i64> = (1..=32).map(|i| 9_000 + i).collect();
    for user in &users {
        h.sim.user_sends_text(0, *user, *user, "/start").unwrap();
    }
    for (i, user) in users.iter().take(30).enumerate() {
        assert_eq!(
            send(&mut h, 100 + i as u64 * 10, *user),
            (200, None),
            "user {i}"
        );
    }
    // The first of the 30 was sent at 100 ms: a new chat must wait until 1100 ms.
    assert_eq!(send(&mut h, 500, users[30]), (429, Some(1)));
    assert_eq!(send(&mut h, 1_099, users[30]), (429, Some(1)));
    assert_eq!(send(&mut h, 1_100, users[30]), (200, None));
    assert_eq!(send(&mut h, 1_105, users[31]), (429, Some(1)));
    assert_eq!(send(&mut h, 1_110, users[31]), (200, None));
}

#[test]
fn every_sending_method_counts_and_edits_do_not() {
    let mut h = Harness::new();
    h.started_chat(0, ANA);
    let id = h.send_with_button(0, ANA, "a");
    assert_eq!(
        h.call(
            10,
            "sendPhoto",
            json!({"chat_id": ANA, "photo": "https://x.org/p.jpg"})
        )
        .0,
        429
    );
    assert_eq!(h.call(20, "sendMediaGroup", json!({"chat_id": ANA, "media": [{"type": "photo", "media": "https://x.org/1.jpg"}, {"type": "photo", "media": "https://x.org/2.jpg"}]})).0, 429);
    assert_eq!(
        h.call(
            30,
            "forwardMessage",
            json!({"chat_id": ANA, "from_chat_id": ANA, "message_id": id})
        )
        .0,
        429
    );
    assert_eq!(
        h.call(
            40,
            "copyMessage",
            json!({"chat_id": ANA, "from_chat_id": ANA, "message_id": id})
        )
        .0,
        429
    );
    h.ok(
        50,
        "editMessageText",
        json!({"chat_id": ANA, "message_id": id, "text": "edited"}),
    );
    h.ok(
        60,
        "sendChatAction",
        json!({"chat_id": ANA, "action": "typing"}),
    );
    h.ok(
        70,
        "deleteMessage",
        json!({"chat_id": ANA, "message_id": id}),
    );
    // A media group counts as one message.
    h.ok(1_000, "sendMediaGroup", json!({"chat_id": ANA, "media": [{"type": "photo", "media": "https://x.org/1.jpg"}, {"type": "photo", "media": "https://x.org/2.jpg"}]}));
    h.ok(2_000, "sendMessage", json!({"chat_id": ANA, "text": "ok"}));
}

#[test]
fn limits_can_be_switched_off_and_on() {
    let mut h = Harness::unlimited();
    h.started_chat(0, ANA);
    for _ in 0..50 {
        assert_eq!(send(&mut h, 0, ANA).0, 200);
    }
    assert_eq!(h.sim.counters().rate_limited, 0);
    h.sim.set_rate_limits(RateLimits::default());
    assert_eq!(send(&mut h, 0, ANA).0, 200);
    assert_eq!(send(&mut h, 0, ANA), (429, Some(1)));
    h.sim.set_rate_limits(RateLimits::disabled());
    assert_eq!(send(&mut h, 0, ANA).0, 200);
}
