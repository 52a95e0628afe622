//! Telegram intake without polling (webhook deliveries, updates handed in) and the stored
//! state across a restart, through the C functions.

use super::support::*;
use crate::actions::*;
use crate::bot::*;
use crate::botwire_result;
use crate::types::*;
use serde_json::Value;
use std::ptr;

fn update(id: i64, text: &str) -> String {
    serde_json::json!({
        "update_id": id,
        "message": {
            "message_id": id,
            "date": 0,
            "chat": {"id": 5, "type": "private"},
            "from": {"id": 5, "is_bot": false, "first_name": "Ann"},
            "text": text,
        }
    })
    .to_string()
}

fn webhook(bot: *mut botwire_bot, secret: &str, body: &str) -> (u16, String) {
    let (name, value) = ("X-Telegram-Bot-Api-Secret-Token", secret);
    let headers = [botwire_header {
        name: botwire_str {
            ptr: name.as_ptr().cast(),
            len: name.len(),
        },
        value: botwire_str {
            ptr: value.as_ptr().cast(),
            len: value.len(),
        },
    }];
    let mut status = 0;
    let mut reply = botwire_str {
        ptr: ptr::null(),
        len: 0,
    };
    // SAFETY: a live bot, valid headers and body, writable out-parameters.
    let r = unsafe {
        botwire_bot_handle_webhook(
            bot,
            0,
            headers.as_ptr(),
            headers.len(),
            body.as_ptr(),
            body.len(),
            &mut status,
            &mut reply,
        )
    };
    assert_eq!(r, botwire_result::Ok, "{}", last_error());
    (status, read(reply))
}

fn dispatches(host: &mut PullHost) -> Vec<(u64, Option<String>)> {
    host.pump();
    host.take_seen()
        .into_iter()
        .filter_map(|s| match s {
            Seen::Dispatch { id, event } => {
                Some((id, field(event, crate::event::botwire_event_text)))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn webhook_deliveries_are_checked_and_dispatched() {
    let mut host = PullHost::new(
        &telegram_options(r#","intake":"webhook","webhook":{"secretToken":"s3"}"#),
        Sim::telegram(),
    );
    start(host.bot, 0);
    assert_eq!(webhook(host.bot, "wrong", &update(1, "x")).0, 401);
    assert_eq!(
        webhook(host.bot, "s3", &update(1, "first")),
        (200, String::new())
    );
    // Telegram repeats a delivery: it is dropped by its update_id.
    assert_eq!(webhook(host.bot, "s3", &update(1, "first")).0, 200);
    let seen = dispatches(&mut host);
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].1.as_deref(), Some("first"));

    // Handed in directly (the secret is the bot's own).
    let body = update(2, "second");
    // SAFETY: a live bot and a valid update.
    let r = unsafe { botwire_bot_handle_update(host.bot, 0, body.as_ptr().cast(), body.len()) };
    assert_eq!(r, botwire_result::Ok, "{}", last_error());
    // SAFETY: a live bot.
    let r = unsafe { botwire_bot_complete(host.bot, 0, seen[0].0) };
    assert_eq!(r, botwire_result::Ok);
    let seen = dispatches(&mut host);
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].1.as_deref(), Some("second"));
}

#[test]
fn intake_none_takes_handed_in_updates_but_no_webhook() {
    let mut host = PullHost::new(&telegram_options(r#","intake":"none""#), Sim::telegram());
    start(host.bot, 0);
    assert_eq!(webhook(host.bot, "", &update(1, "x")).0, 404);
    let body = update(7, "direct");
    // SAFETY: a live bot and a valid update.
    let r = unsafe { botwire_bot_handle_update(host.bot, 0, body.as_ptr().cast(), body.len()) };
    assert_eq!(r, botwire_result::Ok, "{}", last_error());
    let seen = dispatches(&mut host);
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].1.as_deref(), Some("direct"));
    let not_update = r#"{"message":{}}"#;
    // SAFETY: a live bot and a valid string.
    let r = unsafe {
        botwire_bot_handle_update(host.bot, 0, not_update.as_ptr().cast(), not_update.len())
    };
    assert_eq!(r, botwire_result::InvalidJson);
}

#[test]
fn unsettled_events_survive_a_restart_through_the_stored_state() {
    let options = telegram_options(r#","intake":"none""#);
    let mut host = PullHost::new(&options, Sim::telegram());
    start(host.bot, 0);
    let body = update(3, "unfinished");
    // SAFETY: a live bot and a valid update.
    let r = unsafe { botwire_bot_handle_update(host.bot, 0, body.as_ptr().cast(), body.len()) };
    assert_eq!(r, botwire_result::Ok);
    assert_eq!(dispatches(&mut host).len(), 1);
    let mut out = botwire_str {
        ptr: ptr::null(),
        len: 0,
    };
    // SAFETY: a live bot and a writable out-parameter.
    let r = unsafe { botwire_bot_export_state(host.bot, 1_700_000_000_000, &mut out) };
    assert_eq!(r, botwire_result::Ok);
    let state = read(out);
    let parsed: Value = serde_json::from_str(&state).unwrap();
    assert_eq!(
        parsed["pending"].as_array().map(Vec::len),
        Some(1),
        "{state}"
    );

    // The restarted bot dispatches the unsettled update again.
    let mut restarted = PullHost::new(&options, Sim::telegram());
    let mut restored = 0;
    // SAFETY: a live bot, a valid state, a writable out-parameter.
    let r = unsafe {
        botwire_bot_restore_state(
            restarted.bot,
            0,
            state.as_ptr().cast(),
            state.len(),
            1_700_000_000_000,
            &mut restored,
        )
    };
    assert_eq!(r, botwire_result::Ok, "{}", last_error());
    assert_eq!(restored, 1);
    start(restarted.bot, 0);
    let seen = dispatches(&mut restarted);
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].1.as_deref(), Some("unfinished"));
}
