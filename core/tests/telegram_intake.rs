//! Update intake state machines on a virtual clock: the client against the simulator (long
//! polling with faults, 429, 409, 401, graceful stop, restart from an exported cursor,
//! webhooks) and against scripted answers (poison updates, contract errors).

use botwire_core::io::{HttpErrorKind, RequestId};
use botwire_core::sim::harness::TelegramHarness;
use botwire_core::sim::telegram::{Fault, FaultKind, SimConfig};
use botwire_core::telegram::client::{
    ClientConfig, ContractError, Cursor, DropReason, Event, Intake, Output, PollFailure,
    PollingConfig, TelegramClient, WebhookConfig,
};
use botwire_core::telegram::methods::{SendMessage, SetWebhook};
use botwire_core::telegram::ordered::OrderedConfig;
use botwire_core::telegram::types::UpdateKind;
use botwire_core::telegram::ApiError;

const ANA: i64 = 7_000_000_001;
const BO: i64 = 7_000_000_002;

fn sim_config() -> SimConfig {
    SimConfig {
        first_update_id: Some(58_000_131),
        ..SimConfig::default()
    }
}

/// Texts of the updates among `events`.
fn texts(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| e.as_update())
        .filter_map(|u| u.message().and_then(|m| m.text.clone()))
        .collect()
}

/// Collects update texts until `n` arrived or `max_steps` steps passed.
fn collect_texts(h: &mut TelegramHarness, n: usize, max_steps: usize) -> (Vec<String>, Vec<Event>) {
    let mut all = Vec::new();
    for _ in 0..max_steps {
        match h.next_event(1) {
            Some(e) => all.push(e),
            None => {
                if !h.step() {
                    break;
                }
            }
        }
        if texts(&all).len() >= n {
            break;
        }
    }
    (texts(&all), all)
}

#[test]
fn long_poll_delivers_in_order_and_confirms_the_offset() {
    let mut h = TelegramHarness::polling(sim_config());
    h.client.start(h.now);
    for (i, t) in ["one", "two", "three"].iter().enumerate() {
        h.sim
            .user_sends_text(
                h.now,
                if i % 2 == 0 { ANA } else { BO },
                if i % 2 == 0 { ANA } else { BO },
                t,
            )
            .unwrap();
    }
    let (got, _) = collect_texts(&mut h, 3, 100);
    assert_eq!(got, vec!["one", "two", "three"]);
    assert_eq!(h.client.export_cursor(0).offset, Some(58_000_134));
    // The next poll carries the new offset: the simulator has confirmed everything.
    h.pump();
    assert_eq!(h.sim.confirmed_offset(), 58_000_134);
    assert_eq!(h.sim.pending_update_count(), 0);
    // An idle long poll is held by the server and released by a new message.
    assert!(h.sim.has_held_poll());
    h.advance_to(h.now + 10_000);
    h.sim.user_sends_text(h.now, ANA, ANA, "four").unwrap();
    let (got, _) = collect_texts(&mut h, 1, 20);
    assert_eq!(got, vec!["four"]);
}

#[test]
fn server_errors_and_lost_answers_lose_and_double_nothing() {
    let mut h = TelegramHarness::polling(sim_config());
    h.sim.inject_fault(
        Fault::new(FaultKind::bad_gateway_html())
            .on_method("getUpdates")
            .times(2),
    );
    h.sim.inject_fault(
        Fault::new(FaultKind::internal_error())
            .on_method("getUpdates")
            .times(1),
    );
    h.sim.inject_fault(
        Fault::new(FaultKind::DropResponse)
            .on_method("getUpdates")
            .times(2),
    );
    for i in 0..20 {
        h.sim
            .user_sends_text(h.now, ANA, ANA, &format!("m{i}"))
            .unwrap();
    }
    h.client.start(h.now);
    let (got, events) = collect_texts(&mut h, 20, 400);
    let expected: Vec<String> = (0..20).map(|i| format!("m{i}")).collect();
    assert_eq!(got, expected, "every message exactly once, in order");
    let pauses: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            Event::PollingPaused { retry_in_ms, .. } => Some(*retry_in_ms),
            _ => None,
        })
        .collect();
    // 2 HTML 502s, one 500, two lost answers (timeouts).
    assert_eq!(pauses.len(), 5, "{events:?}");
    // Exponential backoff with jitter: each delay within [base/2, base], base doubling.
    for (i, d) in pauses.iter().enumerate() {
        let base = (500u64 << i).min(30_000);
        assert!(
            *d >= base / 2 && *d <= base,
            "pause {i}: {d} not in [{}, {base}]",
            base / 2
        );
    }
    assert!(events.iter().any(|e| matches!(
        e,
        Event::PollingPaused {
            failure: PollFailure::Api(ApiError::Transport { status: 502, .. }),
            ..
        }
    )));
    assert!(events.iter().any(|e| matches!(
        e,
        Event::PollingPaused {
            failure: PollFailure::Http(HttpErrorKind::Timeout),
            ..
        }
    )));
}

#[test]
fn retry_after_is_honoured_exactly() {
    let mut h = TelegramHarness::polling(sim_config());
    h.sim.inject_fault(
        Fault::new(FaultKind::TooManyRequests { retry_after: 7 }).on_method("getUpdates"),
    );
    h.sim.user_sends_text(h.now, ANA, ANA, "hi").unwrap();
    h.client.start(h.now);
    h.pump();
    let paused = h.take_events();
    assert!(matches!(
        paused.as_slice(),
        [Event::PollingPaused {
            retry_in_ms: 7000,
            failure: PollFailure::Api(ApiError::RetryAfter { seconds: 7, .. })
        }]
    ));
    assert_eq!(h.client.poll_timeout(), Some(7000));
    // A spurious timeout before the deadline does nothing.
    h.client.handle_timeout(6999);
    assert!(h.client.poll_output().is_none());
    let (got, _) = collect_texts(&mut h, 1, 20);
    assert_eq!(got, vec!["hi"]);
    assert!(h.now >= 7000);
}

#[test]
fn conflict_stops_polling_and_is_reported() {
    let mut h = TelegramHarness::polling(sim_config());
    h.client.start(h.now);
    h.pump();
    // Another instance sets a webhook: the pending long poll is terminated with 409.
    let other = botwire_core::telegram::api::Api::new(h.sim.config().token.clone())
        .with_api_root("http://x");
    let req = other
        .request(&SetWebhook::new("https://bot.example.org/hook"))
        .unwrap();
    h.sim.handle_request(h.now, 999_999, &req).unwrap();
    let mut conflict = None;
    for _ in 0..10 {
        h.pump();
        // The other instance's answer is not ours: take it out of the simulator ourselves.
        for e in h.take_events() {
            if let Event::Conflict { description } = e {
                conflict = Some(description);
            }
        }
        if conflict.is_some() {
            break;
        }
        h.step();
    }
    let description = conflict.expect("a conflict event");
    assert!(
        description.contains("terminated by setWebhook"),
        "{description}"
    );
    assert_eq!(h.client.pending_requests(), 0, "no poll after a conflict");
    assert_eq!(h.client.poll_timeout(), None);
}

#[test]
fn unauthorized_is_fatal_and_sticky() {
    let token_sim = SimConfig::default();
    let mut h = TelegramHarness::new(token_sim, ClientConfig::polling("999:WRONG"));
    h.client.start(h.now);
    let e = h
        .run_until_event(10, |e| matches!(e, Event::Fatal { .. }))
        .unwrap();
    assert!(matches!(
        e,
        Event::Fatal {
            error: ApiError::Unauthorized(_)
        }
    ));
    h.client.start(h.now);
    h.pump();
    assert_eq!(h.client.pending_requests(), 0);
    assert!(h.client.fatal_error().is_some());
}

#[test]
fn graceful_stop_confirms_the_offset() {
    let mut h = TelegramHarness::polling(sim_config());
    h.client.start(h.now);
    h.sim.user_sends_text(h.now, ANA, ANA, "a").unwrap();
    h.sim.user_sends_text(h.now, ANA, ANA, "b").unwrap();
    let (got, _) = collect_texts(&mut h, 2, 50);
    assert_eq!(got.len(), 2);
    h.pump();
    assert!(h.sim.has_held_poll());
    h.client.stop(h.now);
    let e = h
        .run_until_event(20, |e| matches!(e, Event::Stopped { .. }))
        .unwrap();
    assert_eq!(
        e,
        Event::Stopped {
            offset: Some(58_000_133)
        }
    );
    assert_eq!(h.sim.confirmed_offset(), 58_000_133);
    assert_eq!(h.client.pending_requests(), 0);
}

#[test]
fn restart_from_an_exported_cursor_repeats_nothing() {
    let mut h = TelegramHarness::polling(sim_config());
    h.client.start(h.now);
    for i in 0..5 {
        h.sim
            .user_sends_text(h.now, ANA, ANA, &format!("x{i}"))
            .unwrap();
    }
    let (got, _) = collect_texts(&mut h, 5, 50);
    assert_eq!(got.len(), 5);
    let cursor = h.client.export_cursor(1_780_000_000);
    let saved = serde_json::to_string(&cursor).unwrap();
    // The process dies before the next poll confirmed anything on the server; more messages
    // arrive meanwhile.
    for i in 5..8 {
        h.sim
            .user_sends_text(h.now, ANA, ANA, &format!("x{i}"))
            .unwrap();
    }
    let mut fresh = TelegramClient::new(
        ClientConfig::polling(h.sim.config().token.clone()).with_api_root("http://sim.invalid"),
    );
    let restored: Cursor = serde_json::from_str(&saved).unwrap();
    assert!(fresh.restore_cursor(restored.clone(), 1_780_000_100));
    h.replace_client(fresh);
    h.client.start(h.now);
    let (got, _) = collect_texts(&mut h, 3, 50);
    assert_eq!(got, vec!["x5", "x6", "x7"]);
    // A cursor older than a week is discarded.
    let mut other = TelegramClient::new(ClientConfig::polling("1:T"));
    assert!(!other.restore_cursor(restored, 1_780_000_000 + 8 * 24 * 3600));
    assert_eq!(other.export_cursor(0).offset, None);
}

#[test]
fn allowed_updates_sent_first_time_only() {
    let cfg = ClientConfig {
        intake: Intake::Polling(PollingConfig {
            allowed_updates: Some(vec!["message".into()]),
            ..Default::default()
        }),
        ..ClientConfig::new("1:T")
    };
    let mut c = TelegramClient::new(cfg);
    c.start(0);
    let Some(Output::Http { id, request }) = c.poll_output() else {
        panic!()
    };
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"limit":100,"timeout":30,"allowed_updates":["message"]})
    );
    assert_eq!(request.timeout_ms, Some(40_000));
    c.handle_http_response(1, id, 200, br#"{"ok":true,"result":[]}"#)
        .unwrap();
    let Some(Output::Http { request, .. }) = c.poll_output() else {
        panic!()
    };
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"limit":100,"timeout":30}),
        "an empty answer re-polls at once, without allowed_updates"
    );
}

/// Unknown kinds, payloads of the wrong shape and elements without an id never stall the
/// offset; stale ids are dropped.
#[test]
fn poison_updates_never_stall_the_offset() {
    let mut c = TelegramClient::new(ClientConfig::polling("1:T"));
    c.start(0);
    let Some(Output::Http { id, .. }) = c.poll_output() else {
        panic!()
    };
    let body = br#"{"ok":true,"result":[
        {"update_id":10,"message":{"message_id":1,"date":5,"chat":{"id":1,"type":"private"},"text":"ok"}},
        {"update_id":11,"future_kind":{"x":1}},
        {"update_id":12,"message":{"message_id":"not a number","chat":7}},
        {"no_id":true},
        {"update_id":13,"callback_query":{"id":"q","from":{"id":1,"is_bot":false,"first_name":"A"},"chat_instance":"1","data":"d"}}
    ]}"#;
    c.handle_http_response(1, id, 200, body).unwrap();
    let mut outs = Vec::new();
    while let Some(o) = c.poll_output() {
        outs.push(o);
    }
    let updates: Vec<(i64, String)> = outs
        .iter()
        .filter_map(|o| match o {
            Output::Event(Event::Update(u)) => Some((u.update_id, u.kind.name().to_owned())),
            _ => None,
        })
        .collect();
    assert_eq!(
        updates,
        vec![
            (10, "message".into()),
            (11, "future_kind".into()),
            (12, "message".into()),
            (13, "callback_query".into())
        ]
    );
    let unknown = outs.iter().find_map(|o| match o {
        Output::Event(Event::Update(u)) if u.update_id == 12 => Some(u.kind.clone()),
        _ => None,
    });
    assert!(matches!(unknown, Some(UpdateKind::Unknown { ref kind, .. }) if kind == "message"));
    assert!(outs
        .iter()
        .any(|o| matches!(o, Output::Event(Event::Malformed { .. }))));
    assert_eq!(c.export_cursor(0).offset, Some(14));
    // The next poll asks from 14; a replayed 12 is dropped as stale.
    let Some(Output::Http { id, request }) =
        outs.into_iter().find(|o| matches!(o, Output::Http { .. }))
    else {
        panic!()
    };
    assert!(String::from_utf8_lossy(&request.body).contains("\"offset\":14"));
    c.handle_http_response(2, id, 200, br#"{"ok":true,"result":[{"update_id":12,"message":{"message_id":1,"date":5,"chat":{"id":1,"type":"private"}}}]}"#).unwrap();
    let outs: Vec<Output> = std::iter::from_fn(|| c.poll_output()).collect();
    assert_eq!(
        outs[0],
        Output::Event(Event::Dropped {
            update_id: 12,
            reason: DropReason::Stale
        })
    );
    // A body that is not JSON keeps the offset and backs off.
    let Some(Output::Http { id, .. }) = outs.get(1).cloned() else {
        panic!("{outs:?}")
    };
    c.handle_http_response(3, id, 200, b"{\"ok\":tru").unwrap();
    assert!(matches!(
        c.poll_output(),
        Some(Output::Event(Event::PollingPaused { .. }))
    ));
    assert_eq!(c.export_cursor(0).offset, Some(14));
}

#[test]
fn ids_are_answered_exactly_once() {
    let mut c = TelegramClient::new(ClientConfig::new("1:T"));
    assert_eq!(
        c.handle_http_response(0, RequestId(77), 200, b"{}"),
        Err(ContractError::UnknownRequest(RequestId(77)))
    );
    let id = c.call(0, &SendMessage::new(1, "x")).unwrap();
    assert!(matches!(c.poll_output(), Some(Output::Http { .. })));
    c.handle_http_response(
        1,
        id,
        200,
        br#"{"ok":true,"result":{"message_id":1,"date":1,"chat":{"id":1,"type":"private"}}}"#,
    )
    .unwrap();
    assert_eq!(
        c.handle_http_error(2, id, HttpErrorKind::Io),
        Err(ContractError::UnknownRequest(id))
    );
    let Some(Output::Event(Event::Response(r))) = c.poll_output() else {
        panic!()
    };
    assert_eq!(r.id, id);
    assert_eq!(
        r.parse::<botwire_core::telegram::types::Message>()
            .unwrap()
            .message_id,
        1
    );
    // A failed call is an event for that call, not a failure of the client.
    let id = c.call(3, &SendMessage::new(1, "y")).unwrap();
    c.poll_output();
    c.handle_http_error(4, id, HttpErrorKind::Connect).unwrap();
    assert!(matches!(
        c.poll_output(),
        Some(Output::Event(Event::CallFailed {
            kind: HttpErrorKind::Connect,
            ..
        }))
    ));
}

#[test]
fn flood_control_answers_reach_the_call() {
    let mut h = TelegramHarness::polling(sim_config());
    h.sim.user_sends_text(h.now, ANA, ANA, "hi").unwrap();
    let mut results = Vec::new();
    for i in 0..3 {
        h.client
            .call(h.now, &SendMessage::new(ANA, format!("r{i}")))
            .unwrap();
    }
    for _ in 0..20 {
        for e in h.take_events() {
            if let Event::Response(r) = e {
                results.push(r.result);
            }
        }
        if results.len() == 3 {
            break;
        }
        h.step();
    }
    assert!(results[0].is_ok());
    // One message per second per chat: the burst's later sends get 429 with retry_after.
    assert!(
        results[1..]
            .iter()
            .all(|r| matches!(r, Err(ApiError::RetryAfter { seconds: 1, .. }))),
        "{results:?}"
    );
}

fn webhook_client(ordered: Option<OrderedConfig>) -> TelegramClient {
    TelegramClient::new(ClientConfig::webhook(
        "1:T",
        WebhookConfig {
            secret_token: Some("k3Y_2026-webhook".into()),
            max_body_bytes: 4096,
            ordered,
            ..Default::default()
        },
    ))
}

fn delivery(id: i64, text: &str) -> Vec<u8> {
    format!(r#"{{"update_id":{id},"message":{{"message_id":{id},"date":5,"chat":{{"id":1,"type":"private"}},"text":"{text}"}}}}"#).into_bytes()
}

const SECRET: [(&str, &str); 1] = [("X-Telegram-Bot-Api-Secret-Token", "k3Y_2026-webhook")];

#[test]
fn webhook_checks_secret_size_and_duplicates() {
    let mut c = webhook_client(None);
    let none: [(&str, &str); 0] = [];
    assert_eq!(c.handle_webhook(0, &none, &delivery(1, "a")).status, 401);
    assert_eq!(
        c.handle_webhook(
            0,
            &[("x-telegram-bot-api-secret-token", "k3Y_2026-webhooK")],
            &delivery(1, "a")
        )
        .status,
        401
    );
    assert_eq!(
        c.handle_webhook(
            0,
            &[("X-Telegram-Bot-Api-Secret-Token", "")],
            &delivery(1, "a")
        )
        .status,
        401
    );
    assert!(c.poll_output().is_none(), "refused deliveries are not read");
    assert_eq!(c.handle_webhook(0, &SECRET, &vec![b' '; 5000]).status, 413);
    assert_eq!(c.handle_webhook(0, &SECRET, b"garbage").status, 400);
    // Header names are case-insensitive.
    assert_eq!(
        c.handle_webhook(
            0,
            &[("x-telegram-bot-api-secret-token", "k3Y_2026-webhook")],
            &delivery(1, "a")
        )
        .status,
        200
    );
    assert_eq!(c.handle_webhook(0, &SECRET, &delivery(1, "a")).status, 200);
    assert_eq!(
        c.handle_webhook(0, &SECRET, br#"{"update_id":2,"new_kind":{}}"#)
            .status,
        200
    );
    let events: Vec<Event> = std::iter::from_fn(|| c.poll_output())
        .filter_map(|o| match o {
            Output::Event(e) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(events.len(), 3);
    assert_eq!(texts(&events), vec!["a"]);
    assert_eq!(
        events[1],
        Event::Dropped {
            update_id: 1,
            reason: DropReason::Duplicate
        }
    );
    assert!(matches!(
        events[2].as_update().unwrap().kind,
        UpdateKind::Unknown { .. }
    ));
}

#[test]
fn ordered_webhook_holds_gaps_for_maxhold() {
    let mut c = webhook_client(Some(OrderedConfig {
        maxhold_ms: 3000,
        ..Default::default()
    }));
    let mut log = Vec::new();
    let feed = |c: &mut TelegramClient, now: u64, id: i64, log: &mut Vec<String>| {
        if id > 0 {
            assert_eq!(
                c.handle_webhook(now, &SECRET, &delivery(id, &format!("u{id}")))
                    .status,
                200
            );
        } else {
            c.handle_timeout(now);
        }
        while let Some(Output::Event(e)) = c.poll_output() {
            match e {
                Event::Update(u) => log.push(format!("{now}:{}", u.update_id)),
                Event::GaveUp { from, to } => log.push(format!("{now}:gave-up {from}-{to}")),
                Event::Dropped { update_id, .. } => log.push(format!("{now}:dropped {update_id}")),
                _ => {}
            }
        }
    };
    feed(&mut c, 0, 100, &mut log);
    feed(&mut c, 100, 103, &mut log);
    feed(&mut c, 200, 101, &mut log);
    feed(&mut c, 2000, 105, &mut log);
    feed(&mut c, 3000, 106, &mut log);
    assert_eq!(c.poll_timeout(), Some(3100));
    feed(&mut c, 3100, 0, &mut log);
    feed(&mut c, 4000, 102, &mut log);
    assert_eq!(c.poll_timeout(), Some(5000));
    feed(&mut c, 5000, 0, &mut log);
    assert_eq!(
        log,
        vec![
            "0:100",
            "200:101",
            "3100:gave-up 102-102",
            "3100:103",
            "4000:dropped 102",
            "5000:gave-up 104-104",
            "5000:105",
            "5000:106"
        ]
    );
}

/// The simulator delivers webhooks; the client answers them; nothing is redelivered.
#[test]
fn webhook_end_to_end_with_the_simulator() {
    let mut sim = botwire_core::sim::telegram::TelegramSim::new(sim_config());
    let token = sim.config().token.clone();
    let mut c = TelegramClient::new(
        ClientConfig::webhook(
            token,
            WebhookConfig {
                secret_token: Some("s3cret".into()),
                ..Default::default()
            },
        )
        .with_api_root("http://sim.invalid"),
    );
    let id = c
        .call(
            0,
            &SetWebhook::new("https://bot.example.org/hook").secret_token("s3cret"),
        )
        .unwrap();
    let Some(Output::Http { request, .. }) = c.poll_output() else {
        panic!()
    };
    sim.handle_request(0, id.0, &request).unwrap();
    let (_, reply) = sim.poll_response().unwrap();
    let botwire_core::sim::telegram::SimReply::Response(r) = reply else {
        panic!()
    };
    c.handle_http_response(0, id, r.status, &r.body).unwrap();
    assert!(matches!(c.poll_output(), Some(Output::Event(Event::Response(r))) if r.result.is_ok()));
    for i in 0..5 {
        sim.user_sends_text(10, ANA, ANA, &format!("w{i}")).unwrap();
    }
    let mut got = Vec::new();
    for _ in 0..20 {
        while let Some(d) = sim.poll_webhook_delivery() {
            let secret = d.secret_token.clone().unwrap_or_default();
            let reply = c.handle_webhook(
                20,
                &[("X-Telegram-Bot-Api-Secret-Token", secret.as_str())],
                &d.body,
            );
            sim.webhook_result(20, d.update_id, reply.status).unwrap();
        }
        while let Some(Output::Event(e)) = c.poll_output() {
            got.extend(texts(&[e]));
        }
        if got.len() == 5 {
            break;
        }
    }
    assert_eq!(got, vec!["w0", "w1", "w2", "w3", "w4"]);
    assert_eq!(sim.pending_update_count(), 0);
}

#[test]
fn oversized_answers_are_not_parsed() {
    let cfg = ClientConfig {
        max_response_bytes: 1000,
        ..ClientConfig::polling("1:T")
    };
    let mut c = TelegramClient::new(cfg);
    c.start(0);
    let Some(Output::Http { id, .. }) = c.poll_output() else {
        panic!()
    };
    let mut body = br#"{"ok":true,"result":["#.to_vec();
    body.extend(std::iter::repeat_n(b' ', 5000));
    body.extend_from_slice(b"]}");
    c.handle_http_response(1, id, 200, &body).unwrap();
    assert!(matches!(
        c.poll_output(),
        Some(Output::Event(Event::PollingPaused {
            failure: PollFailure::Api(ApiError::Transport { .. }),
            ..
        }))
    ));
    let id = c.call(2, &SendMessage::new(1, "x")).unwrap();
    c.poll_output();
    c.handle_http_response(3, id, 200, &body).unwrap();
    assert!(matches!(
        c.poll_output(),
        Some(Output::Event(Event::Response(r))) if matches!(r.result, Err(ApiError::Transport { .. }))
    ));
}
