//! Long polling: holding, releasing, offsets, limits, conflicts, filters, expiry.

use serde_json::json;

use super::{Harness, ANA, BO, GROUP};
use crate::sim::telegram::{SimConfig, SimReply};

fn ids(updates: &serde_json::Value) -> Vec<i64> {
    updates
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["update_id"].as_i64().unwrap())
        .collect()
}

#[test]
fn short_poll_returns_pending_updates_in_order() {
    let mut h = Harness::new();
    let a = h
        .sim
        .user_sends_text(0, ANA, ANA, "one")
        .unwrap()
        .update_id
        .unwrap();
    h.sim.user_sends_text(1500, ANA, ANA, "two").unwrap();
    h.sim.user_sends_text(2000, BO, BO, "three").unwrap();
    let updates = h.ok(2000, "getUpdates", json!({}));
    assert_eq!(ids(&updates), vec![a, a + 1, a + 2]);
    let first = &updates[0]["message"];
    assert_eq!(first["text"], "one");
    assert_eq!(
        first["chat"],
        json!({"id": ANA, "first_name": format!("User{ANA}"), "type": "private"})
    );
    assert_eq!(first["from"]["is_bot"], false);
    assert_eq!(first["date"], 1_780_000_000);
    assert_eq!(updates[1]["message"]["date"], 1_780_000_001);
    assert_eq!(updates[1]["message"]["message_id"], 2);
    assert_eq!(updates[2]["message"]["message_id"], 1);
    // Nothing was confirmed: the same updates come again.
    assert_eq!(
        ids(&h.ok(2000, "getUpdates", json!({}))),
        vec![a, a + 1, a + 2]
    );
}

#[test]
fn first_update_id_comes_from_config_or_seed() {
    let config = SimConfig {
        first_update_id: Some(500),
        ..SimConfig::default()
    };
    let mut h = Harness::with_config(config);
    assert_eq!(
        h.sim.user_sends_text(0, ANA, ANA, "x").unwrap().update_id,
        Some(500)
    );
    let mut a = Harness::new();
    let mut b = Harness::new();
    let id_a = a.sim.user_sends_text(0, ANA, ANA, "x").unwrap().update_id;
    let id_b = b.sim.user_sends_text(0, ANA, ANA, "x").unwrap().update_id;
    assert_eq!(id_a, id_b);
}

#[test]
fn long_poll_is_held_until_an_update_arrives() {
    let mut h = Harness::new();
    let key = h.start(1_000, "getUpdates", json!({"timeout": 30}));
    assert!(h.take(key).is_none());
    assert!(h.sim.has_held_poll());
    assert_eq!(h.sim.next_event(), Some(31_000));
    h.sim.advance(20_000);
    assert!(h.take(key).is_none());
    let update = h.sim.user_sends_text(20_500, ANA, ANA, "hello").unwrap();
    let (status, body) = h.answer(key);
    assert_eq!(status, 200);
    assert_eq!(ids(&body["result"]), vec![update.update_id.unwrap()]);
    assert!(!h.sim.has_held_poll());
    assert_eq!(h.sim.next_event(), None);
}

#[test]
fn long_poll_times_out_with_an_empty_result() {
    let mut h = Harness::new();
    let key = h.start(0, "getUpdates", json!({"timeout": 30}));
    h.sim.advance(29_999);
    assert!(h.take(key).is_none());
    h.sim.advance(30_000);
    let (status, body) = h.answer(key);
    assert_eq!(status, 200);
    assert_eq!(body, json!({"ok": true, "result": []}));
    assert_eq!(h.sim.next_event(), None);
}

#[test]
fn timeout_is_capped_at_fifty_seconds_and_negative_means_zero() {
    let mut h = Harness::new();
    h.start(0, "getUpdates", json!({"timeout": 3600}));
    assert_eq!(h.sim.next_event(), Some(50_000));
    let mut h = Harness::new();
    assert_eq!(h.ok(0, "getUpdates", json!({"timeout": -5})), json!([]));
    assert!(!h.sim.has_held_poll());
}

#[test]
fn updates_injected_in_one_step_are_batched() {
    let mut h = Harness::new();
    let key = h.start(0, "getUpdates", json!({"timeout": 30}));
    h.sim.user_sends_text(10, ANA, ANA, "a").unwrap();
    h.sim.user_sends_text(10, BO, BO, "b").unwrap();
    let (_, body) = h.answer(key);
    assert_eq!(body["result"].as_array().unwrap().len(), 2);
}

#[test]
fn offset_confirms_and_deletes_lower_ids() {
    let mut h = Harness::new();
    let first = h
        .sim
        .user_sends_text(0, ANA, ANA, "1")
        .unwrap()
        .update_id
        .unwrap();
    h.sim.user_sends_text(0, ANA, ANA, "2").unwrap();
    h.sim.user_sends_text(0, ANA, ANA, "3").unwrap();
    assert_eq!(h.sim.pending_update_count(), 3);
    let updates = h.ok(0, "getUpdates", json!({"offset": first + 1}));
    assert_eq!(ids(&updates), vec![first + 1, first + 2]);
    assert_eq!(h.sim.pending_update_count(), 2);
    assert_eq!(h.sim.confirmed_offset(), first + 1);
    // Without an offset the earliest unconfirmed update comes first.
    assert_eq!(
        ids(&h.ok(0, "getUpdates", json!({}))),
        vec![first + 1, first + 2]
    );
    // An offset as a string works too, and a lower offset never brings updates back.
    assert_eq!(
        ids(&h.ok(0, "getUpdates", json!({"offset": (first + 3).to_string()}))),
        Vec::<i64>::new()
    );
    assert_eq!(h.sim.pending_update_count(), 0);
    assert_eq!(
        ids(&h.ok(0, "getUpdates", json!({"offset": first}))),
        Vec::<i64>::new()
    );
    assert_eq!(h.sim.confirmed_offset(), first + 3);
    let next = h
        .sim
        .user_sends_text(0, ANA, ANA, "4")
        .unwrap()
        .update_id
        .unwrap();
    assert_eq!(next, first + 3);
}

#[test]
fn negative_offset_keeps_only_the_last_updates() {
    let mut h = Harness::new();
    let first = h
        .sim
        .user_sends_text(0, ANA, ANA, "1")
        .unwrap()
        .update_id
        .unwrap();
    for text in ["2", "3", "4"] {
        h.sim.user_sends_text(0, ANA, ANA, text).unwrap();
    }
    assert_eq!(
        ids(&h.ok(0, "getUpdates", json!({"offset": -2}))),
        vec![first + 2, first + 3]
    );
    assert_eq!(h.sim.pending_update_count(), 2);
    assert_eq!(h.sim.confirmed_offset(), first + 2);
    assert_eq!(
        ids(&h.ok(0, "getUpdates", json!({"offset": i64::MIN}))),
        vec![first + 2, first + 3]
    );
}

#[test]
fn limit_is_clamped_to_one_hundred() {
    let mut h = Harness::new();
    for i in 0..105 {
        h.sim.user_sends_text(0, ANA, ANA, &i.to_string()).unwrap();
    }
    assert_eq!(
        h.ok(0, "getUpdates", json!({"limit": 1}))
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        h.ok(0, "getUpdates", json!({"limit": 0}))
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        h.ok(0, "getUpdates", json!({"limit": 1000}))
            .as_array()
            .unwrap()
            .len(),
        100
    );
    assert_eq!(
        h.ok(0, "getUpdates", json!({})).as_array().unwrap().len(),
        100
    );
    assert_eq!(
        h.ok(0, "getUpdates", json!({"limit": -3}))
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_second_poll_terminates_the_first_with_409() {
    let mut h = Harness::new();
    let first = h.start(0, "getUpdates", json!({"timeout": 30}));
    let second = h.start(100, "getUpdates", json!({"timeout": 30}));
    let (status, body) = h.answer(first);
    assert_eq!(status, 409);
    assert_eq!(
        body,
        json!({"ok": false, "error_code": 409, "description": "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"})
    );
    assert!(h.take(second).is_none());
    assert_eq!(h.sim.next_event(), Some(30_100));
    assert_eq!(h.sim.counters().conflicts, 1);
}

#[test]
fn webhook_blocks_get_updates_and_set_webhook_ends_the_poll() {
    let mut h = Harness::new();
    let poll = h.start(0, "getUpdates", json!({"timeout": 30}));
    h.ok(10, "setWebhook", json!({"url": "https://example.org/hook"}));
    let (status, body) = h.answer(poll);
    assert_eq!(status, 409);
    assert_eq!(
        body["description"],
        "Conflict: terminated by setWebhook request"
    );
    let (status, description) = h.err(20, "getUpdates", json!({}));
    assert_eq!(status, 409);
    assert_eq!(
        description,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
    );
    h.ok(30, "deleteWebhook", json!({}));
    assert_eq!(h.ok(40, "getUpdates", json!({})), json!([]));
}

#[test]
fn allowed_updates_filter_applies_to_new_updates() {
    let mut h = Harness::new();
    let sent = {
        h.started_chat(0, ANA);
        h.send_with_button(0, ANA, "x")
    };
    // Default set: reactions and chat_member updates are not created.
    assert_eq!(
        h.sim
            .user_reacts(0, ANA, ANA, sent, "\u{1F44D}")
            .unwrap()
            .update_id,
        None
    );
    let join = h.sim.user_joins_chat(0, BO, GROUP).unwrap();
    let pending = h.ok(0, "getUpdates", json!({}));
    let kinds: Vec<String> = pending
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            u.as_object()
                .unwrap()
                .keys()
                .find(|k| *k != "update_id")
                .unwrap()
                .clone()
        })
        .collect();
    assert_eq!(kinds, vec!["message"]);
    assert_eq!(pending[0]["update_id"].as_i64(), join.update_id);
    assert_eq!(pending[0]["message"]["new_chat_members"][0]["id"], BO);
    // Asking for them: they are created from now on, and other kinds are not.
    h.ok(
        0,
        "getUpdates",
        json!({"allowed_updates": ["message_reaction", "chat_member"], "offset": -1}),
    );
    assert!(h
        .sim
        .user_reacts(1, ANA, ANA, sent, "\u{1F44D}")
        .unwrap()
        .update_id
        .is_some());
    assert!(h
        .sim
        .user_leaves_chat(1, BO, GROUP)
        .unwrap()
        .update_id
        .is_none());
    assert_eq!(
        h.sim.user_sends_text(1, ANA, ANA, "hi").unwrap().update_id,
        None
    );
    // As a JSON string (form encodings), an empty list restores the default.
    h.ok(2, "getUpdates", json!({"allowed_updates": "[]"}));
    assert!(h
        .sim
        .user_sends_text(2, ANA, ANA, "hi")
        .unwrap()
        .update_id
        .is_some());
    assert!(h
        .sim
        .user_reacts(2, ANA, ANA, sent, "\u{1F44D}")
        .unwrap()
        .update_id
        .is_none());
    let (status, _) = h.err(3, "getUpdates", json!({"allowed_updates": [1, 2]}));
    assert_eq!(status, 400);
    // Leaving the parameter out keeps the setting.
    h.ok(
        3,
        "getUpdates",
        json!({"allowed_updates": ["callback_query"]}),
    );
    h.ok(3, "getUpdates", json!({}));
    assert!(h
        .sim
        .user_sends_text(3, ANA, ANA, "x")
        .unwrap()
        .update_id
        .is_none());
}

#[test]
fn callback_queries_expire_after_150_seconds_and_messages_after_a_day() {
    let mut h = Harness::new();
    h.started_chat(0, ANA);
    let message = h.send_with_button(0, ANA, "go");
    h.sim
        .user_presses_button(1_000, ANA, ANA, message, "go")
        .unwrap();
    h.sim.user_sends_text(1_000, ANA, ANA, "text").unwrap();
    assert_eq!(h.sim.pending_update_count(), 2);
    h.sim.advance(150_999);
    assert_eq!(h.sim.pending_update_count(), 2);
    h.sim.advance(151_000);
    assert_eq!(h.sim.pending_update_count(), 1);
    let updates = h.ok(151_000, "getUpdates", json!({}));
    assert!(updates[0].get("message").is_some());
    h.sim.advance(1_000 + 24 * 3600 * 1000);
    assert_eq!(
        h.ok(1_000 + 24 * 3600 * 1000, "getUpdates", json!({})),
        json!([])
    );
}

#[test]
fn cancelled_polls_are_forgotten_and_keys_must_be_fresh() {
    let mut h = Harness::new();
    let key = h.start(0, "getUpdates", json!({"timeout": 30}));
    let again = super::json_request("getUpdates", &json!({}));
    assert_eq!(
        h.sim.handle_request(1, key, &again),
        Err(crate::sim::telegram::SimError::DuplicateKey(key))
    );
    h.sim.cancel_request(key);
    assert!(!h.sim.has_held_poll());
    h.sim.user_sends_text(5, ANA, ANA, "x").unwrap();
    assert!(h.take(key).is_none());
    // A cancelled poll does not make the next one a conflict.
    let next = h.start(6, "getUpdates", json!({"timeout": 30}));
    assert_eq!(h.answer(next).0, 200);
    assert_eq!(h.sim.counters().conflicts, 0);
}

#[test]
fn reset_answers_the_held_poll_and_forgets_everything() {
    let mut h = Harness::new();
    h.started_chat(0, ANA);
    let key = h.start(0, "getUpdates", json!({"timeout": 30}));
    h.sim.reset(10);
    let (status, body) = h.answer(key);
    assert_eq!((status, body["result"].clone()), (200, json!([])));
    assert!(h.sim.transcript().is_empty());
    let (_, description) = h.err(10, "sendMessage", json!({"chat_id": ANA, "text": "x"}));
    assert_eq!(description, "Bad Request: chat not found");
    assert_eq!(h.sim.now(), 10);
}

#[test]
fn privacy_mode_hides_group_chatter() {
    let config = SimConfig {
        privacy_mode: true,
        ..SimConfig::default()
    };
    let mut h = Harness::with_config(config);
    assert!(h
        .sim
        .user_sends_text(0, ANA, GROUP, "just talking")
        .unwrap()
        .update_id
        .is_none());
    assert!(h
        .sim
        .user_sends_text(0, ANA, GROUP, "/help")
        .unwrap()
        .update_id
        .is_some());
    assert!(h
        .sim
        .user_sends_text(0, ANA, GROUP, "hey @botwire_bot")
        .unwrap()
        .update_id
        .is_some());
    assert!(h
        .sim
        .user_sends_text(0, ANA, ANA, "private is always seen")
        .unwrap()
        .update_id
        .is_some());
    assert_eq!(
        h.ok(0, "getMe", json!({}))["can_read_all_group_messages"],
        false
    );
}

#[test]
fn dropped_answer_of_a_held_poll_still_confirms_nothing() {
    use crate::sim::telegram::{Fault, FaultKind};
    let mut h = Harness::new();
    h.sim
        .inject_fault(Fault::new(FaultKind::DropResponse).on_method("getupdates"));
    let key = h.start(0, "getUpdates", json!({"timeout": 30}));
    assert!(h.take(key).is_none());
    let update = h
        .sim
        .user_sends_text(10, ANA, ANA, "lost?")
        .unwrap()
        .update_id
        .unwrap();
    assert_eq!(h.take(key), Some(SimReply::Dropped));
    // The update was handed out but never confirmed: the next poll gets it again.
    assert_eq!(ids(&h.ok(20, "getUpdates", json!({}))), vec![update]);
}

#[test]
fn group_messages_and_channel_posts_have_realistic_shapes() {
    let mut h = Harness::new();
    h.sim.user_sends_text(0, ANA, GROUP, "in group").unwrap();
    h.sim.user_sends_text(0, BO, -42, "basic group").unwrap();
    h.sim
        .channel_posts_text(0, -1_002_000_000_000, "news")
        .unwrap();
    let updates = h.ok(0, "getUpdates", json!({}));
    assert_eq!(updates[0]["message"]["chat"]["type"], "supergroup");
    assert_eq!(
        updates[0]["message"]["chat"]["title"],
        format!("Group {GROUP}")
    );
    assert_eq!(updates[1]["message"]["chat"]["type"], "group");
    let post = &updates[2]["channel_post"];
    assert_eq!(post["chat"]["type"], "channel");
    assert!(post.get("from").is_none());
    assert_eq!(post["sender_chat"]["id"], -1_002_000_000_000i64);
    // Users cannot write in someone else's private chat or in a channel.
    assert!(h.sim.user_sends_text(0, ANA, BO, "x").is_err());
    assert!(h
        .sim
        .user_sends_text(0, ANA, -1_002_000_000_000, "x")
        .is_err());
    assert!(h.sim.channel_posts_text(0, GROUP, "x").is_err());
    assert!(h.sim.user_sends_text(0, -5, -5, "x").is_err());
}

#[test]
fn user_edits_become_edited_message_updates() {
    let mut h = Harness::new();
    let sent = h
        .sim
        .user_sends_text(1_000, ANA, ANA, "deploy at 4")
        .unwrap();
    let edit = h
        .sim
        .user_edits_message(
            61_000,
            ANA,
            ANA,
            sent.message_id.unwrap(),
            "deploy at /five",
        )
        .unwrap();
    let updates = h.ok(61_000, "getUpdates", json!({"offset": edit.update_id}));
    let edited = &updates[0]["edited_message"];
    assert_eq!(edited["text"], "deploy at /five");
    assert_eq!(edited["edit_date"], 1_780_000_061);
    assert_eq!(edited["date"], 1_780_000_001);
    assert_eq!(edited["entities"][0]["offset"], 10);
    assert!(h.sim.user_edits_message(0, BO, ANA, 1, "not mine").is_err());
}
