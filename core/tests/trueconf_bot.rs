//! The runtime on TrueConf, against the simulator on a virtual clock: the example bot says the
//! same on both platforms, and faults (sockets dropped in the middle of a request, slow
//! answers, unknown events, error codes, expired tokens, restarts) lose nothing, answer no
//! request twice and settle every pending one.

#[path = "../examples/runtime_bot.rs"]
mod example;

use botwire_core::runtime::bot::{ActionFailure, ActionId, BotOutput};
use botwire_core::runtime::model::{
    capabilities, Action, ActionError, ActionKind, EventKind, MessageKey, Platform, SendOptions,
};
use botwire_core::runtime::trueconf_bot::{TrueConfBot, TrueConfBotConfig};
use botwire_core::sim::trueconf::{Fault, FaultKind, SimConfig};
use botwire_core::sim::trueconf_harness::{sim_session_config, TrueConfHarness};
use botwire_core::trueconf::session::SessionEvent;
use botwire_core::trueconf::{ErrorCode, TrueConfError};
use std::collections::{BTreeMap, HashMap};

type H = TrueConfHarness<TrueConfBot>;

/// An echo bot's host loop: replies "echo: <text>" to every text message, records what was
/// dispatched and how every action ended.
#[derive(Default)]
struct Echo {
    dispatched: Vec<String>,
    done: BTreeMap<ActionId, Result<String, ActionFailure>>,
    repeats: usize,
    dead: usize,
    others: Vec<BotOutput>,
}

impl Echo {
    fn drive(&mut self, h: &mut H, steps: usize) {
        for _ in 0..steps {
            for out in h.take_events() {
                self.on(h, out);
            }
            if !h.step() {
                break;
            }
        }
        for out in h.take_events() {
            self.on(h, out);
        }
    }

    fn on(&mut self, h: &mut H, out: BotOutput) {
        match out {
            BotOutput::Dispatch { id, event, .. } => {
                if event.kind == EventKind::Message {
                    self.dispatched.push(event.id.clone());
                    if let (Some(to), Some(text)) = (&event.message, &event.text) {
                        h.machine
                            .act(
                                h.now,
                                &Action::Reply {
                                    to: to.clone(),
                                    text: format!("echo: {text}"),
                                    options: SendOptions::default(),
                                },
                            )
                            .unwrap();
                    }
                }
                h.machine.complete(h.now, id).unwrap();
            }
            BotOutput::ActionDone { id, result } => {
                if self.done.insert(id, result).is_some() {
                    self.repeats += 1;
                }
            }
            BotOutput::DeadLetter(_) => self.dead += 1,
            other => self.others.push(other),
        }
    }

    fn ok(&self) -> usize {
        self.done.values().filter(|r| r.is_ok()).count()
    }
}

fn connected(h: &mut H) {
    h.machine.start(h.now).unwrap();
    h.run_until_event(200, |o| {
        matches!(o, BotOutput::TrueConf(SessionEvent::Connected { .. }))
    })
    .expect("the bot connects");
}

fn bot(tweak: impl FnOnce(&mut TrueConfBotConfig)) -> H {
    let mut h = TrueConfHarness::bot(SimConfig::default(), tweak);
    connected(&mut h);
    h
}

fn echoes(h: &H) -> Vec<String> {
    h.sim
        .transcript()
        .iter()
        .filter(|t| t.method == "sendMessage")
        .filter_map(|t| t.text.clone())
        .collect()
}

fn every_event_acknowledged(h: &H) {
    let unacked: Vec<_> = h
        .sim
        .unacked_events()
        .into_iter()
        .map(|e| (e.id, e.method.clone()))
        .collect();
    assert!(unacked.is_empty(), "unacknowledged: {unacked:?}");
}

#[test]
fn the_example_bot_says_the_same_on_both_platforms() {
    let telegram = example::run(&mut example::telegram());
    let trueconf = example::run(&mut example::trueconf());
    assert_eq!(
        trueconf,
        [
            "Hello! Send /count.",
            "count: 1",
            "count: 2",
            "hi",
            "/count@other_bot",
            "Pick a colour",
            "You picked green",
            "Bye!"
        ]
    );
    assert_eq!(telegram, trueconf);
}

#[test]
fn capability_table_matches_what_translate_accepts() {
    let caps = capabilities(Platform::TrueConf).expect("TrueConf has a table");
    assert!(caps.supports(ActionKind::Send));
    assert!(!caps.supports(ActionKind::React));
    assert!(caps.delivers(EventKind::ButtonPress));
    assert!(!caps.delivers(EventKind::InlineQuery));
    assert!(caps.to_json().starts_with("{\"platform\":\"trueconf\""));
    let mut h = bot(|_| {});
    let msg = MessageKey::in_chat("trueconf:abc", "m1");
    let refused = [
        Action::React {
            message: msg.clone(),
            emoji: Some("👍".into()),
        },
        Action::Pin {
            message: msg.clone(),
        },
        Action::EditKeyboard {
            message: msg,
            keyboard: None,
        },
    ];
    for action in refused {
        assert!(!caps.supports(action.kind()));
        match h.machine.act(h.now, &action) {
            Err(botwire_core::runtime::bot::ActError::Action(ActionError::NotSupported {
                platform: Platform::TrueConf,
                ..
            })) => {}
            other => panic!("{action:?}: {other:?}"),
        }
    }
    let bad_key = Action::Send {
        chat: "telegram:42".into(),
        text: "x".into(),
        options: SendOptions::default(),
    };
    assert!(matches!(
        h.machine.act(h.now, &bad_key),
        Err(botwire_core::runtime::bot::ActError::Action(
            ActionError::BadKey { .. }
        ))
    ));
}

#[test]
fn echoes_and_acknowledges_every_event() {
    let mut h = bot(|_| {});
    let mut e = Echo::default();
    for text in ["one", "two", "three"] {
        h.sim.user_sends_text(h.now, "alice", None, text).unwrap();
    }
    h.sim.user_sends_text(h.now, "bob", None, "four").unwrap();
    e.drive(&mut h, 300);
    // Chats run concurrently; each chat keeps its order.
    let alice = h.sim.p2p_chat_id("alice").unwrap();
    let in_chat = |chat: &str| -> Vec<String> {
        h.sim
            .transcript()
            .iter()
            .filter(|t| t.chat_id.as_deref() == Some(chat))
            .filter_map(|t| t.text.clone())
            .collect()
    };
    assert_eq!(in_chat(&alice), ["echo: one", "echo: two", "echo: three"]);
    let bob = h.sim.p2p_chat_id("bob").unwrap();
    assert_eq!(in_chat(&bob), ["echo: four"]);
    assert_eq!(e.ok(), 4);
    assert_eq!(e.repeats, 0);
    every_event_acknowledged(&h);
    // Replies quote the message they answer.
    let replies: Vec<_> = h
        .sim
        .transcript()
        .iter()
        .map(|t| t.reply_to.is_some())
        .collect();
    assert!(replies.iter().all(|r| *r));
}

#[test]
fn a_socket_dropped_in_the_middle_of_a_request_loses_and_doubles_nothing() {
    let mut h = bot(|_| {});
    let mut e = Echo::default();
    // The server drops the socket instead of answering the first sendMessage: the reply is
    // sent again on the next connection, once.
    h.sim.close_socket_on_next("sendMessage");
    for text in ["a", "b", "c"] {
        h.sim.user_sends_text(h.now, "alice", None, text).unwrap();
    }
    e.drive(&mut h, 2_000);
    assert_eq!(echoes(&h), ["echo: a", "echo: b", "echo: c"]);
    assert_eq!(e.ok(), 3, "{:?}", e.done);
    assert_eq!(e.repeats, 0);
    assert!(e
        .others
        .iter()
        .any(|o| matches!(o, BotOutput::TrueConf(SessionEvent::Disconnected { .. }))));
    every_event_acknowledged(&h);
    assert!(h.machine.is_idle());
}

#[test]
fn messages_sent_while_the_bot_is_away_arrive_after_the_reconnect() {
    let mut h = bot(|c| c.session.receive_unread = true);
    let mut e = Echo::default();
    h.sim
        .user_sends_text(h.now, "alice", None, "before")
        .unwrap();
    e.drive(&mut h, 200);
    // The network drops the socket; messages written meanwhile are replayed as unread, and the
    // ones already handled are not handled again.
    h.drop_connections();
    h.sim
        .user_sends_text(h.now, "alice", None, "while away")
        .unwrap();
    e.drive(&mut h, 2_000);
    assert_eq!(echoes(&h), ["echo: before", "echo: while away"]);
    let mut seen = e.dispatched.clone();
    seen.dedup();
    assert_eq!(seen.len(), e.dispatched.len(), "no event handled twice");
    every_event_acknowledged(&h);
}

#[test]
fn slow_answers_within_the_timeout_are_waited_for() {
    let mut h = bot(|_| {});
    let mut e = Echo::default();
    h.sim.set_response_delay(5_000);
    for text in ["slow 1", "slow 2"] {
        h.sim.user_sends_text(h.now, "alice", None, text).unwrap();
    }
    e.drive(&mut h, 500);
    assert_eq!(echoes(&h), ["echo: slow 1", "echo: slow 2"]);
    assert_eq!(e.ok(), 2);
    assert_eq!(e.repeats, 0);
}

#[test]
fn answers_later_than_the_timeout_settle_every_action_exactly_once() {
    let mut h = bot(|c| {
        c.session.request_timeout_ms = 2_000;
        c.action_attempts = 2;
    });
    let mut e = Echo::default();
    h.sim
        .inject_fault(Fault::new(FaultKind::Delay(10_000)).on_method("sendMessage"));
    h.sim.user_sends_text(h.now, "alice", None, "late").unwrap();
    e.drive(&mut h, 2_000);
    // The first attempt timed out and its late answer was ignored; the retry succeeded. The
    // server ran both (at least once), and the action ended once.
    assert_eq!(e.done.len(), 1);
    assert_eq!(e.repeats, 0);
    assert!(e.done.values().all(|r| r.is_ok()), "{:?}", e.done);
    assert!(echoes(&h).iter().all(|t| t == "echo: late"));
    assert!(h.machine.session().pending_calls() == 0);
}

#[test]
fn unknown_events_are_acknowledged_and_dispatched_raw() {
    let mut h = bot(|_| {});
    let mut seen = Vec::new();
    let ids = h.sim.push_raw_event(
        h.now,
        None,
        "someFutureEvent",
        serde_json::json!({"chatId": "c1", "x": 1}),
    );
    assert_eq!(ids.len(), 1);
    h.sim
        .push_raw_event(h.now, None, "sendMessage", serde_json::json!([1, 2]));
    for _ in 0..50 {
        for out in h.take_events() {
            if let BotOutput::Dispatch { id, event, .. } = out {
                seen.push((event.kind, event.platform_kind.to_string()));
                h.machine.complete(h.now, id).unwrap();
            }
        }
        if !h.step() {
            break;
        }
    }
    assert!(
        seen.contains(&(EventKind::Unknown, "unknown".to_owned())),
        "{seen:?}"
    );
    every_event_acknowledged(&h);
    // Still working.
    let mut e = Echo::default();
    h.sim
        .user_sends_text(h.now, "alice", None, "still here")
        .unwrap();
    e.drive(&mut h, 200);
    assert_eq!(echoes(&h), ["echo: still here"]);
}

#[test]
fn error_codes_are_reported_as_typed_errors_and_the_chat_goes_on() {
    let mut h = bot(|_| {});
    let mut e = Echo::default();
    h.sim.fail_next("sendMessage", 304);
    h.sim
        .user_sends_text(h.now, "alice", None, "first")
        .unwrap();
    h.sim
        .user_sends_text(h.now, "alice", None, "second")
        .unwrap();
    e.drive(&mut h, 300);
    let results: Vec<_> = e.done.values().cloned().collect();
    assert_eq!(results.len(), 2);
    match &results[0] {
        Err(ActionFailure::TrueConf(err)) => {
            assert_eq!(err.code(), Some(ErrorCode::CHAT_NOT_FOUND))
        }
        other => panic!("{other:?}"),
    }
    assert!(results[1].is_ok());
    assert_eq!(echoes(&h), ["echo: second"]);
}

#[test]
fn an_expired_token_is_renewed_and_the_call_retried_once() {
    let mut h = bot(|_| {});
    let mut e = Echo::default();
    let tokens_before = h.sim.counters().http_requests;
    h.sim.expire_all_tokens(h.now);
    h.sim
        .user_sends_text(h.now, "alice", None, "after expiry")
        .unwrap();
    e.drive(&mut h, 1_000);
    assert_eq!(echoes(&h), ["echo: after expiry"]);
    assert_eq!(e.ok(), 1);
    assert_eq!(e.repeats, 0);
    assert!(
        h.sim.counters().http_requests > tokens_before,
        "a fresh token was requested"
    );
    every_event_acknowledged(&h);
}

#[test]
fn a_restart_in_the_middle_of_a_handler_loses_and_repeats_nothing() {
    let mut h = bot(|_| {});
    for text in ["one", "two", "three"] {
        h.sim.user_sends_text(h.now, "alice", None, text).unwrap();
    }
    // Handle the first message, take the second and crash while handling it.
    let mut handled = Vec::new();
    let mut state = None;
    for _ in 0..200 {
        for out in h.take_events() {
            if let BotOutput::Dispatch { id, event, .. } = out {
                if event.kind != EventKind::Message {
                    h.machine.complete(h.now, id).unwrap();
                    continue;
                }
                let text = event.text.clone().unwrap();
                if handled.len() == 1 && state.is_none() {
                    state = Some(h.machine.export_state());
                    break;
                }
                handled.push(text.clone());
                h.machine
                    .act(
                        h.now,
                        &Action::Reply {
                            to: event.message.clone().unwrap(),
                            text: format!("echo: {text}"),
                            options: SendOptions::default(),
                        },
                    )
                    .unwrap();
                h.machine.complete(h.now, id).unwrap();
            }
        }
        if state.is_some() || !h.step() {
            break;
        }
    }
    let state = state.expect("exported in the middle of a handler");
    let stored = serde_json::to_string(&state).unwrap();
    let state = serde_json::from_str(&stored).unwrap();
    // A new process.
    let fresh = TrueConfBot::new(TrueConfBotConfig::new(sim_session_config(h.sim.config())));
    h.replace_machine(fresh);
    let restored = h.machine.restore_state(h.now, &state);
    assert!(restored >= 2, "the unsettled events come back ({restored})");
    connected_again(&mut h);
    let mut e = Echo::default();
    e.drive(&mut h, 500);
    assert_eq!(echoes(&h), ["echo: one", "echo: two", "echo: three"]);
    every_event_acknowledged(&h);
}

fn connected_again(h: &mut H) {
    h.machine.start(h.now).unwrap();
}

#[test]
fn a_graceful_stop_finishes_handlers_and_settles_every_action() {
    let mut h = bot(|_| {});
    h.sim.set_response_delay(1_000);
    for text in ["x", "y"] {
        h.sim.user_sends_text(h.now, "alice", None, text).unwrap();
    }
    let mut e = Echo::default();
    let mut stopped = false;
    let mut asked = false;
    for _ in 0..500 {
        for out in h.take_events() {
            if matches!(out, BotOutput::Stopped { .. }) {
                stopped = true;
            }
            let was_dispatch = matches!(out, BotOutput::Dispatch { .. });
            e.on(&mut h, out);
            if was_dispatch && !asked {
                // Stop while the first reply is in flight.
                h.machine.stop(h.now);
                asked = true;
            }
        }
        if stopped || !h.step() {
            break;
        }
    }
    assert!(stopped, "the bot stopped");
    assert!(h.machine.is_stopped());
    // Every action that was issued ended, once.
    assert_eq!(e.repeats, 0);
    assert!(e.done.values().all(|r| r.is_ok()));
    // What was not handled is in the state, not lost.
    let state = h.machine.export_state();
    assert_eq!(e.dispatched.len() + state.pending.len(), 2, "{state:?}");
}

#[test]
fn uploads_go_through_the_three_steps() {
    let mut h = bot(|_| {});
    let chat = {
        h.sim.user_sends_text(h.now, "alice", None, "hi").unwrap();
        h.sim.p2p_chat_id("alice").unwrap()
    };
    let mut e = Echo::default();
    e.drive(&mut h, 100);
    let id = h
        .machine
        .act(
            h.now,
            &Action::Upload {
                chat: format!("trueconf:{chat}"),
                file: botwire_core::runtime::model::FileUpload {
                    name: "report.pdf".into(),
                    mime: Some("application/pdf".into()),
                    bytes: vec![7; 4096],
                },
                kind: botwire_core::runtime::model::FileKind::Document,
                caption: Some("the report".into()),
            },
        )
        .unwrap();
    e.drive(&mut h, 200);
    assert!(matches!(e.done.get(&id), Some(Ok(_))), "{:?}", e.done);
    let file = h
        .sim
        .transcript()
        .iter()
        .find_map(|t| t.file.clone())
        .expect("a file message");
    assert_eq!(file.name, "report.pdf");
    assert_eq!(file.size, 4096);
    assert_eq!(h.sim.file_bytes(&file.file_id).map(<[u8]>::len), Some(4096));
}

#[test]
fn a_permanent_auth_failure_settles_every_queued_action() {
    let mut sim = SimConfig::default();
    sim.bot.disabled = true;
    let mut h = TrueConfHarness::bot(sim, |_| {});
    h.machine.start(h.now).unwrap();
    let ids: Vec<ActionId> = (0..3)
        .map(|i| {
            h.machine
                .act(
                    h.now,
                    &Action::Send {
                        chat: "trueconf:c1".into(),
                        text: format!("queued {i}"),
                        options: SendOptions::default(),
                    },
                )
                .unwrap()
        })
        .collect();
    let mut e = Echo::default();
    e.drive(&mut h, 500);
    let ended: HashMap<_, _> = e.done.iter().collect();
    for id in ids {
        match ended.get(&id) {
            Some(Err(ActionFailure::TrueConf(_))) => {}
            other => panic!("{id:?}: {other:?}"),
        }
    }
    assert!(h
        .machine
        .session()
        .fatal_error()
        .is_some_and(|e| matches!(e, TrueConfError::Http { .. } | TrueConfError::Server { .. })));
}
