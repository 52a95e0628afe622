//! Webhook mode: settings, deliveries, retries, switching back to polling.

use serde_json::{json, Value};

use super::{Harness, ANA, BO};
use crate::io::HttpMethod;
use crate::sim::telegram::{SimConfig, SimError};

const HOOK: &str = "https://bot.example.org/hook";

fn hooked() -> Harness {
    let mut h = Harness::new();
    let result = h.call(
        0,
        "setWebhook",
        json!({"url": HOOK, "secret_token": "k3Y_2026-webhook"}),
    );
    assert_eq!(
        result,
        (
            200,
            json!({"ok": true, "result": true, "description": "Webhook was set"})
        )
    );
    h
}

#[test]
fn deliveries_carry_the_update_and_the_secret() {
    let mut h = hooked();
    assert!(h.sim.poll_webhook_delivery().is_none());
    let sent = h.sim.user_sends_text(1_000, ANA, ANA, "hi").unwrap();
    assert_eq!(h.sim.next_event(), Some(1_000));
    let delivery = h.sim.poll_webhook_delivery().unwrap();
    assert_eq!(Some(delivery.update_id), sent.update_id);
    assert_eq!(delivery.url, HOOK);
    assert_eq!(delivery.secret_token.as_deref(), Some("k3Y_2026-webhook"));
    let body: Value = serde_json::from_slice(&delivery.body).unwrap();
    assert_eq!(body["message"]["text"], "hi");
    let request = delivery.to_request();
    assert_eq!(request.method, HttpMethod::Post);
    assert_eq!(
        request.header("x-telegram-bot-api-secret-token"),
        Some("k3Y_2026-webhook")
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    // In flight: not handed out twice, and no event is pending for it.
    assert!(h.sim.poll_webhook_delivery().is_none());
    assert_eq!(h.sim.next_event(), None);
    assert_eq!(h.sim.pending_update_count(), 1);
    h.sim
        .webhook_result(1_050, delivery.update_id, 200)
        .unwrap();
    assert_eq!(h.sim.pending_update_count(), 0);
    assert_eq!(
        h.sim.webhook_result(1_060, delivery.update_id, 200),
        Err(SimError::UnknownDelivery(delivery.update_id))
    );
    assert_eq!(h.sim.counters().webhook_deliveries, 1);
}

#[test]
fn failed_deliveries_are_retried_with_backoff() {
    let mut h = hooked();
    let id = h
        .sim
        .user_sends_text(0, ANA, ANA, "retry me")
        .unwrap()
        .update_id
        .unwrap();
    let d = h.sim.poll_webhook_delivery().unwrap();
    h.sim.webhook_result(100, d.update_id, 500).unwrap();
    // First retry at once.
    assert_eq!(h.sim.next_event(), Some(100));
    let d = h.sim.poll_webhook_delivery().unwrap();
    assert_eq!(d.update_id, id);
    h.sim.webhook_error(200, id, "Connection refused").unwrap();
    // Then 2 s, 4 s, 8 s.
    assert_eq!(h.sim.next_event(), Some(2_200));
    h.sim.advance(2_199);
    assert!(h.sim.poll_webhook_delivery().is_none());
    h.sim.advance(2_200);
    let d = h.sim.poll_webhook_delivery().unwrap();
    h.sim.webhook_result(2_300, d.update_id, 502).unwrap();
    assert_eq!(h.sim.next_event(), Some(6_300));
    h.sim.advance(6_300);
    let d = h.sim.poll_webhook_delivery().unwrap();
    h.sim.webhook_result(6_400, d.update_id, 404).unwrap();
    assert_eq!(h.sim.next_event(), Some(14_400));
    let info = h.ok(7_000, "getWebhookInfo", json!({}));
    assert_eq!(info["pending_update_count"], 1);
    assert_eq!(
        info["last_error_message"],
        "Wrong response from the webhook: 404 Not Found"
    );
    assert_eq!(info["last_error_date"], 1_780_000_006);
    assert_eq!(h.sim.counters().webhook_failures, 4);
    h.sim.advance(14_400);
    let d = h.sim.poll_webhook_delivery().unwrap();
    h.sim.webhook_result(14_500, d.update_id, 204).unwrap();
    assert_eq!(h.sim.pending_update_count(), 0);
}

#[test]
fn backoff_is_capped_and_short_lived_updates_are_given_up() {
    let mut h = hooked();
    h.started_chat_via_hook();
    let message = h.send_with_button(0, ANA, "b");
    let id = h
        .sim
        .user_presses_button(0, ANA, ANA, message, "b")
        .unwrap()
        .update_id
        .unwrap();
    let mut now = 0;
    let mut delays = Vec::new();
    while let Some(at) = h.sim.next_event() {
        delays.push(at - now);
        now = at;
        h.sim.advance(now);
        let d = h.sim.poll_webhook_delivery().unwrap();
        assert_eq!(d.update_id, id);
        h.sim.webhook_result(now, id, 500).unwrap();
    }
    // 0, 0, 2, 4, 8, 16, 32, then the cap would pass the 150 s lifetime of a callback query.
    assert_eq!(
        delays,
        vec![
            0,
            0,
            2_000,
            4_000,
            8_000,
            16_000,
            32_000,
            64_000.min(delays[7])
        ]
    );
    assert!(now < 150_000);
    assert_eq!(h.sim.pending_update_count(), 0);
}

impl Harness {
    /// Ana starts the bot while a webhook is set; the delivery is acknowledged.
    fn started_chat_via_hook(&mut self) {
        self.sim.user_sends_text(0, ANA, ANA, "/start").unwrap();
        let d = self.sim.poll_webhook_delivery().unwrap();
        self.sim.webhook_result(0, d.update_id, 200).unwrap();
    }
}

#[test]
fn retry_cap_is_between_60_and_120_seconds() {
    for seed in 0..20 {
        let config = SimConfig {
            seed,
            ..SimConfig::default()
        };
        let mut h = Harness::with_config(config);
        h.ok(0, "setWebhook", json!({"url": HOOK}));
        let id = h
            .sim
            .user_sends_text(0, ANA, ANA, "x")
            .unwrap()
            .update_id
            .unwrap();
        let mut now = 0;
        let mut last_delay = 0;
        for _ in 0..12 {
            let at = h.sim.next_event().unwrap();
            last_delay = at - now;
            now = at;
            h.sim.advance(now);
            h.sim.poll_webhook_delivery().unwrap();
            h.sim.webhook_result(now, id, 503).unwrap();
        }
        assert!((60_000..=120_000).contains(&last_delay), "{last_delay}");
        assert_eq!(last_delay % 1000, 0);
    }
}

#[test]
fn max_connections_limits_parallel_deliveries() {
    let mut h = Harness::new();
    h.ok(0, "setWebhook", json!({"url": HOOK, "max_connections": 2}));
    for user in [ANA, BO, ANA + 10] {
        h.sim.user_sends_text(0, user, user, "x").unwrap();
    }
    let a = h.sim.poll_webhook_delivery().unwrap();
    let b = h.sim.poll_webhook_delivery().unwrap();
    assert!(h.sim.poll_webhook_delivery().is_none());
    assert_eq!(h.sim.next_event(), None);
    // Answered out of order: ids stay correct.
    h.sim.webhook_result(1, b.update_id, 200).unwrap();
    let c = h.sim.poll_webhook_delivery().unwrap();
    assert_eq!(c.update_id, b.update_id + 1);
    h.sim.webhook_result(2, a.update_id, 200).unwrap();
    h.sim.webhook_result(2, c.update_id, 200).unwrap();
    assert_eq!(h.sim.pending_update_count(), 0);
}

#[test]
fn webhook_info_and_settings() {
    let mut h = Harness::new();
    assert_eq!(
        h.ok(0, "getWebhookInfo", json!({})),
        json!({"url": "", "has_custom_certificate": false, "pending_update_count": 0})
    );
    h.ok(0, "setWebhook", json!({"url": HOOK, "allowed_updates": ["message"], "max_connections": 500, "ip_address": "1.2.3.4"}));
    let info = h.ok(0, "getWebhookInfo", json!({}));
    assert_eq!(info["url"], HOOK);
    assert_eq!(info["max_connections"], 100);
    assert_eq!(info["allowed_updates"], json!(["message"]));
    assert_eq!(info["ip_address"], "1.2.3.4");
    let (status, body) = h.call(
        5_000,
        "setWebhook",
        json!({"url": HOOK, "allowed_updates": ["message"], "max_connections": 500}),
    );
    assert_eq!(
        (status, body["description"].clone()),
        (200, json!("Webhook is already set"))
    );
    for (params, description) in [
        (
            json!({"url": "ftp://x"}),
            "Bad Request: bad webhook: An HTTPS URL must be provided for webhook",
        ),
        (
            json!({"url": "https://"}),
            "Bad Request: bad webhook: Failed to resolve host: Name or service not known",
        ),
        (
            json!({"url": HOOK, "secret_token": "has space"}),
            "Bad Request: secret token contains unallowed characters",
        ),
        (
            json!({"url": HOOK, "secret_token": "x".repeat(257)}),
            "Bad Request: secret token contains unallowed characters",
        ),
    ] {
        assert_eq!(
            h.err(10_000, "setWebhook", params),
            (400, description.to_owned())
        );
    }
    // Deleting: an empty URL works like deleteWebhook.
    let (_, body) = h.call(20_000, "setWebhook", json!({"url": ""}));
    assert_eq!(body["description"], "Webhook was deleted");
    let (_, body) = h.call(20_000, "deleteWebhook", json!({}));
    assert_eq!(body["description"], "Webhook is already deleted");
}

#[test]
fn set_webhook_is_limited_to_once_per_second() {
    let mut h = Harness::new();
    h.ok(0, "setWebhook", json!({"url": HOOK}));
    let (status, body) = h.call(
        500,
        "setWebhook",
        json!({"url": "https://other.example.org/"}),
    );
    assert_eq!(status, 429);
    assert_eq!(body["parameters"]["retry_after"], 1);
    h.ok(
        1_000,
        "setWebhook",
        json!({"url": "https://other.example.org/"}),
    );
}

#[test]
fn switching_back_to_polling_keeps_or_drops_pending_updates() {
    let mut h = hooked();
    let id = h
        .sim
        .user_sends_text(0, ANA, ANA, "kept")
        .unwrap()
        .update_id
        .unwrap();
    let d = h.sim.poll_webhook_delivery().unwrap();
    h.ok(1_000, "deleteWebhook", json!({}));
    // The late answer of the old delivery is unknown; the update is still pending.
    assert_eq!(
        h.sim.webhook_result(1_100, d.update_id, 200),
        Err(SimError::UnknownDelivery(id))
    );
    assert!(h.sim.poll_webhook_delivery().is_none());
    let updates = h.ok(1_200, "getUpdates", json!({}));
    assert_eq!(updates[0]["update_id"], id);
    h.ok(3_000, "setWebhook", json!({"url": HOOK}));
    assert_eq!(h.sim.poll_webhook_delivery().unwrap().update_id, id);
    h.ok(
        5_000,
        "setWebhook",
        json!({"url": HOOK, "drop_pending_updates": true, "secret_token": "new"}),
    );
    assert_eq!(h.sim.pending_update_count(), 0);
    h.sim.user_sends_text(6_000, ANA, ANA, "x").unwrap();
    h.ok(
        6_000,
        "deleteWebhook",
        json!({"drop_pending_updates": "true"}),
    );
    assert_eq!(h.ok(6_000, "getUpdates", json!({})), json!([]));
}
