// The scenarios of `runtime_bot.rs` (typed updates) and `runtime_bot_json.rs` (updates kept
// as JSON); the including file defines `Form`.

use botwire_core::runtime::answerer::Answerer;
use botwire_core::runtime::bot::TelegramBot;
use botwire_core::runtime::bot::{AckMode, ActionId, BotConfig, BotOutput, BotState};
use botwire_core::runtime::dispatcher::{DispatchId, DispatcherConfig};
use botwire_core::runtime::model::{Action, Event, Payload, SendOptions};
use botwire_core::telegram::client::UpdateForm;
use botwire_core::sim::harness::{Harness, SIM_API_ROOT};
use botwire_core::sim::telegram::{Fault, FaultKind, SimConfig, TranscriptAction};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// The harness with a bot of the form under test.
type BotHarness = Harness<TelegramBot<Form>>;

fn new_harness(sim: SimConfig, config: BotConfig) -> BotHarness {
    let bot = TelegramBot::<Form>::with_form(config.with_api_root(SIM_API_ROOT))
        .expect("valid bot configuration");
    Harness::with_machine(sim, bot)
}

const USERS: [i64; 5] = [1001, 1002, 1003, 1004, 1005];

fn config(sim: &SimConfig, ack: AckMode) -> BotConfig {
    let mut c = BotConfig::polling(sim.token.clone());
    c.ack = ack;
    c.dispatch = DispatcherConfig {
        concurrency: 3,
        handler_timeout_ms: Some(30_000),
        retry_delay_ms: 500,
        ..DispatcherConfig::default()
    };
    c.action_retry_delay_ms = 200;
    c
}

/// Echo handler bookkeeping: which updates were handled (completed) and how often.
#[derive(Default)]
struct Book {
    handled: BTreeMap<i64, u32>,
    running: Vec<(DispatchId, Arc<Event>, u64)>,
    actions: HashMap<ActionId, i64>,
    done_ok: u32,
    dead: Vec<i64>,
    stopped: Option<Option<i64>>,
}

/// Drives the bot: dispatched events run an "echo" handler that takes `work_ms` of virtual
/// time, replies, and completes once its reply is confirmed.
fn drive(
    h: &mut BotHarness,
    book: &mut Book,
    work_ms: u64,
    steps: usize,
    until: impl Fn(&Book, &BotHarness) -> bool,
) {
    for _ in 0..steps {
        if until(book, h) {
            return;
        }
        for out in h.take_events() {
            match out {
                BotOutput::Dispatch { id, event, .. } => {
                    // The payload is in the form under test.
                    assert_eq!(
                        matches!(event.payload, Payload::TelegramJson(_)),
                        <Form as UpdateForm>::KEEPS_JSON
                    );
                    book.running.push((id, event, h.now + work_ms));
                }
                BotOutput::ActionDone { id, result } => {
                    // Actions restored from a stored state come back with new ids.
                    book.actions.remove(&id);
                    result.expect("reply delivered");
                    book.done_ok += 1;
                }
                BotOutput::DeadLetter(d) => book.dead.push(d.event.seq.unwrap()),
                BotOutput::Stopped { offset } => book.stopped = Some(offset),
                _ => {}
            }
        }
        // Finish handlers whose work time is over: reply, then complete.
        let now = h.now;
        let (due, rest): (Vec<_>, Vec<_>) = book.running.drain(..).partition(|r| r.2 <= now);
        book.running = rest;
        for (id, event, _) in due {
            let reply = Action::Reply {
                to: event.message.clone().expect("message key"),
                text: format!("echo {}", event.text.as_deref().unwrap_or("")),
                options: SendOptions::default(),
            };
            let aid = h.client.act(now, &reply).expect("reply accepted");
            book.actions.insert(aid, event.seq.unwrap());
            *book.handled.entry(event.seq.unwrap()).or_default() += 1;
            h.client.complete(now, id).expect("dispatch known");
        }
        // Advance to the next handler finish or the next machine deadline.
        let next_handler = book.running.iter().map(|r| r.2).min();
        match (next_handler, h.next_deadline()) {
            (Some(a), Some(b)) => h.advance_to(a.min(b)),
            (Some(a), None) => h.advance_to(a),
            (None, Some(_)) => {
                h.step();
            }
            (None, None) => {
                h.step();
            }
        }
    }
    panic!("did not finish within {steps} steps");
}

fn user_messages(h: &mut BotHarness, per_user: usize) -> usize {
    for i in 0..per_user {
        for &u in &USERS {
            h.sim
                .user_sends_text(h.now, u, u, &format!("{u}-{i}"))
                .unwrap();
        }
    }
    per_user * USERS.len()
}

/// The echo texts the simulator recorded per chat, in its execution order.
fn replies_by_chat(h: &BotHarness) -> BTreeMap<i64, Vec<String>> {
    let mut m: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for e in h.sim.transcript() {
        if e.action == TranscriptAction::Sent && e.method == "sendMessage" {
            m.entry(e.chat_id.unwrap())
                .or_default()
                .push(e.text.clone().unwrap_or_default());
        }
    }
    m
}

fn assert_in_order_once(h: &BotHarness, per_user: usize) {
    let replies = replies_by_chat(h);
    for &u in &USERS {
        let want: Vec<String> = (0..per_user).map(|i| format!("echo {u}-{i}")).collect();
        assert_eq!(replies.get(&u), Some(&want), "chat {u}");
    }
}

#[test]
fn echo_keeps_per_chat_order_under_concurrency() {
    let sim = SimConfig::default();
    let mut h = new_harness(sim.clone(), config(&sim, AckMode::AfterReceipt));
    let n = user_messages(&mut h, 8);
    h.client.start(h.now);
    let mut book = Book::default();
    drive(&mut h, &mut book, 700, 20_000, |b, _| {
        b.done_ok as usize == n && b.running.is_empty()
    });
    assert_eq!(book.handled.len(), n);
    assert!(book.handled.values().all(|&c| c == 1));
    assert_in_order_once(&h, 8);
    assert_eq!(
        h.sim.counters().rate_limited,
        0,
        "flood control kept within limits"
    );
}

fn restart_mid_handler(ack: AckMode) {
    let sim = SimConfig::default();
    let mut h = new_harness(sim.clone(), config(&sim, ack));
    let n = user_messages(&mut h, 6);
    h.client.start(h.now);
    let mut book = Book::default();
    // Run until some are handled and some are mid-handler.
    // Handlers (100 ms) outpace the chats' send budget (1/s): replies queue up.
    drive(&mut h, &mut book, 100, 20_000, |b, _| {
        b.handled.len() >= 10 && !b.running.is_empty()
    });
    let interrupted: Vec<i64> = book.running.iter().map(|r| r.1.seq.unwrap()).collect();
    assert!(!interrupted.is_empty());
    // Answers already on their way are taken in; replies still queued by flood control are
    // part of the state.
    h.pump();
    let state: BotState = h.client.export_state(1_700_000_000);
    assert!(
        !state.actions.is_empty(),
        "queued replies are part of the state"
    );
    let stored = serde_json::to_string(&state).unwrap();

    // "Crash": a new process with the stored state.
    let state: BotState = serde_json::from_str(&stored).unwrap();
    let mut bot = TelegramBot::<Form>::with_form(config(&sim, ack).with_api_root(SIM_API_ROOT)).unwrap();
    let restored = bot.restore_state(h.now, &state, 1_700_000_100);
    if ack == AckMode::AfterReceipt {
        assert!(restored >= interrupted.len());
    }
    h.replace_client(bot);
    h.client.start(h.now);
    book.running.clear();
    book.actions.clear();
    drive(&mut h, &mut book, 100, 40_000, |b, h| {
        b.handled.len() == n && b.running.is_empty() && h.client.is_idle()
    });
    // Every reply landed once, in each chat's order.
    assert_in_order_once(&h, 6);
    // Every update handled exactly once, the interrupted ones included (their first run
    // never completed).
    assert_eq!(book.handled.len(), n);
    for (seq, count) in &book.handled {
        assert_eq!(*count, 1, "update {seq} handled {count} times");
    }
    for seq in interrupted {
        assert_eq!(book.handled.get(&seq), Some(&1));
    }
}

#[test]
fn restart_in_the_middle_of_a_handler_acknowledging_on_receipt() {
    restart_mid_handler(AckMode::AfterReceipt);
}

#[test]
fn restart_in_the_middle_of_a_handler_acknowledging_after_handling() {
    restart_mid_handler(AckMode::AfterHandling);
}

/// Acknowledging after handling: the server keeps what is not handled, so even a crash
/// without any stored state loses nothing.
#[test]
fn after_handling_crash_without_state_loses_nothing() {
    let sim = SimConfig::default();
    let mut h = new_harness(sim.clone(), config(&sim, AckMode::AfterHandling));
    let n = user_messages(&mut h, 4);
    h.client.start(h.now);
    let mut book = Book::default();
    drive(&mut h, &mut book, 900, 20_000, |b, _| {
        !b.handled.is_empty() && !b.running.is_empty()
    });
    let first_run: Vec<i64> = book.handled.keys().copied().collect();
    let bot =
        TelegramBot::<Form>::with_form(config(&sim, AckMode::AfterHandling).with_api_root(SIM_API_ROOT)).unwrap();
    h.replace_client(bot);
    h.client.start(h.now);
    book.running.clear();
    book.actions.clear();
    drive(&mut h, &mut book, 900, 40_000, |b, h| {
        b.handled.len() == n && b.running.is_empty() && h.client.dispatcher().is_idle()
    });
    assert_eq!(book.handled.len(), n, "nothing lost");
    // Without state, updates handled above the watermark may be repeated, never lost; the
    // ones below the first run's watermark are not.
    let repeated: Vec<_> = book.handled.iter().filter(|(_, c)| **c > 1).collect();
    assert!(repeated.len() <= first_run.len());
}

#[test]
fn faults_and_429_storms_lose_and_double_nothing() {
    let sim = SimConfig::default();
    let mut h = new_harness(sim.clone(), config(&sim, AckMode::AfterHandling));
    let n = user_messages(&mut h, 6);
    // Intake: a gateway error, a 500, a lost answer, a 429.
    h.sim
        .inject_fault(Fault::new(FaultKind::bad_gateway_html()).on_method("getUpdates"));
    h.sim
        .inject_fault(Fault::new(FaultKind::internal_error()).on_method("getUpdates"));
    h.sim
        .inject_fault(Fault::new(FaultKind::DropRequest).on_method("getUpdates"));
    h.sim.inject_fault(
        Fault::new(FaultKind::TooManyRequests { retry_after: 3 }).on_method("getUpdates"),
    );
    // Sends: a 429 storm, then 5xx and a request lost before it arrived.
    h.sim.inject_fault(
        Fault::new(FaultKind::TooManyRequests { retry_after: 2 })
            .on_method("sendMessage")
            .times(12),
    );
    h.sim.inject_fault(
        Fault::new(FaultKind::internal_error())
            .on_method("sendMessage")
            .times(2),
    );
    h.sim
        .inject_fault(Fault::new(FaultKind::DropRequest).on_method("sendMessage"));
    h.client.start(h.now);
    let mut book = Book::default();
    drive(&mut h, &mut book, 300, 60_000, |b, _| {
        b.done_ok as usize == n && b.running.is_empty()
    });
    assert_eq!(book.handled.len(), n);
    assert!(book.handled.values().all(|&c| c == 1));
    assert_in_order_once(&h, 6);
    assert!(h.sim.counters().faults_applied >= 19);
}

#[test]
fn graceful_stop_drains_handlers_and_confirms_the_cursor() {
    let sim = SimConfig::default();
    let mut h = new_harness(sim.clone(), config(&sim, AckMode::AfterHandling));
    let n = user_messages(&mut h, 2);
    h.client.start(h.now);
    let mut book = Book::default();
    drive(&mut h, &mut book, 2_000, 20_000, |b, _| {
        b.running.len() == 3
    });
    h.client.stop(h.now);
    assert!(!h.client.is_stopped(), "handlers are still running");
    // The handlers keep running; Stopped only comes after they all completed.
    drive(&mut h, &mut book, 2_000, 20_000, |b, _| b.stopped.is_some());
    let offset = book.stopped.unwrap().expect("an offset");
    assert!(h.client.is_stopped());
    assert!(book.running.is_empty());
    assert!(h.client.dispatcher().is_idle());
    // Everything received was handled; the confirmed offset is past it.
    let handled_max = *book.handled.keys().last().unwrap();
    assert_eq!(offset, handled_max + 1);
    assert!(book.handled.len() <= n);
    // The server forgot what was handled: the rest waits for the next run.
    assert_eq!(h.sim.pending_update_count(), n - book.handled.len());
}

#[test]
fn a_handler_that_never_completes_is_dead_lettered_and_its_chat_moves_on() {
    let sim = SimConfig::default();
    let mut cfg = config(&sim, AckMode::AfterHandling);
    cfg.dispatch.max_attempts = 2;
    cfg.dispatch.handler_timeout_ms = Some(5_000);
    let mut h = new_harness(sim.clone(), cfg);
    h.sim.user_sends_text(h.now, 1001, 1001, "hang").unwrap();
    h.sim.user_sends_text(h.now, 1001, 1001, "next").unwrap();
    h.client.start(h.now);
    let mut dead = Vec::new();
    let mut got_next = false;
    for _ in 0..1_000 {
        for out in h.take_events() {
            match out {
                // "hang" is never completed.
                BotOutput::Dispatch { id, event, .. } if event.text.as_deref() == Some("next") => {
                    got_next = true;
                    h.client.complete(h.now, id).unwrap();
                }
                BotOutput::DeadLetter(d) => dead.push((d.event.text.clone(), d.attempts)),
                _ => {}
            }
        }
        if got_next {
            break;
        }
        h.step();
    }
    assert_eq!(dead, vec![(Some("hang".to_owned()), 2)]);
    assert!(got_next);
}

#[test]
fn the_answerer_never_sends_a_superseded_answer() {
    let sim = SimConfig::default();
    let mut h = new_harness(sim.clone(), config(&sim, AckMode::AfterReceipt));
    h.sim.user_inline_query(h.now, 1001, "ca", "").unwrap();
    h.sim.user_inline_query(h.now, 1001, "cat", "").unwrap();
    h.client.start(h.now);
    let mut answerer: Answerer<String> = Answerer::new();
    let mut tickets = Vec::new();
    for _ in 0..200 {
        for out in h.take_events() {
            if let BotOutput::Dispatch { id, event, .. } = out {
                let t = answerer.begin(
                    event.user_key().unwrap().to_owned(),
                    event.query_id.clone().unwrap(),
                );
                tickets.push((t, event.text.clone().unwrap()));
                h.client.complete(h.now, id).unwrap();
            }
        }
        if tickets.len() == 2 {
            break;
        }
        h.step();
    }
    assert_eq!(tickets.len(), 2);
    // The slow first computation finishes last: its answer is never built.
    let mut sent = Vec::new();
    for (t, text) in tickets.iter().rev() {
        if let Some(action) = answerer.complete(t, || Action::AnswerInline {
            query_id: t.query_id.clone(),
            results: serde_json::json!([{"type":"article","id":"1","title":text,
                "input_message_content":{"message_text":text}}]),
            cache_time: None,
        }) {
            h.client.act(h.now, &action).unwrap();
            sent.push(text.clone());
        }
    }
    assert_eq!(sent, vec!["cat".to_owned()]);
    for _ in 0..50 {
        h.step();
    }
    let answered: Vec<_> = h
        .sim
        .transcript()
        .iter()
        .filter(|e| e.method == "answerInlineQuery")
        .collect();
    assert_eq!(answered.len(), 1);
}

#[test]
fn webhook_deliveries_out_of_order_are_all_handled_and_repeats_told() {
    use botwire_core::telegram::client::{DropReason, Event as ClientEvent, Intake, WebhookConfig};
    let mut config = BotConfig::polling("123:SECRET");
    config.client.intake = Intake::Webhook(WebhookConfig::default());
    let mut bot = TelegramBot::<Form>::with_form(config).expect("valid bot configuration");
    bot.start(0);
    let update = |id: i64| {
        format!(
            r#"{{"update_id":{id},"message":{{"message_id":{id},"date":1,"chat":{{"id":{id},"type":"private"}},"text":"u{id}"}}}}"#
        )
    };
    let no_headers: [(&str, &str); 0] = [];
    let mut handled = Vec::new();
    let mut repeats = Vec::new();
    // Deliveries overtake each other: 100 before 3 and 4; then 3 again.
    for (now, id) in [(1, 1_i64), (2, 100), (3, 3), (4, 4), (5, 3)] {
        let reply = bot.handle_webhook(now, &no_headers, update(id).as_bytes());
        assert_eq!(reply.status, 200, "update {id}");
        while let Some(out) = bot.poll_output() {
            match out {
                BotOutput::Dispatch { id: dispatch, event, .. } => {
                    handled.push(event.seq.unwrap());
                    bot.complete(now, dispatch).unwrap();
                }
                BotOutput::Notice(ClientEvent::Dropped {
                    update_id,
                    reason: DropReason::Duplicate,
                }) => repeats.push(update_id),
                _ => {}
            }
        }
    }
    assert_eq!(handled, vec![1, 100, 3, 4], "a late delivery is handled, not taken for a repeat");
    assert_eq!(repeats, vec![3]);
}
