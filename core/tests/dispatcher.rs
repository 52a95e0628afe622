//! The dispatcher on its own: order, concurrency, duplicates, retries, dead letters, timeouts,
//! acknowledgement watermark and export.

use botwire_core::io::SeededRng;
use botwire_core::runtime::dispatcher::{
    DispatchError, DispatchId, Dispatcher, DispatcherConfig, Output,
};
use botwire_core::runtime::model::{Chat, ChatType, Event, EventKind, Payload, Platform, User};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

fn event(seq: i64, chat: Option<&str>, user: Option<&str>) -> Event {
    Event {
        platform: Platform::Telegram,
        id: seq.to_string(),
        seq: Some(seq),
        kind: EventKind::Message,
        platform_kind: "message".into(),
        chat: chat.map(|c| Chat {
            key: c.into(),
            chat_type: ChatType::Private,
            title: None,
        }),
        from: user.map(|u| User {
            key: u.into(),
            name: String::new(),
            username: None,
            is_bot: false,
        }),
        message: None,
        content_type: Some("text".into()),
        text: Some(format!("#{seq}")),
        data: None,
        query_id: None,
        payload: Payload::Json(Box::new(serde_json::Value::Null)),
    }
}

fn chat_event(seq: i64, chat: u32) -> Event {
    event(seq, Some(&format!("telegram:{chat}")), None)
}

fn dispatches(d: &mut Dispatcher) -> Vec<(DispatchId, Arc<Event>, u32)> {
    let mut v = Vec::new();
    while let Some(o) = d.poll_output() {
        if let Output::Dispatch { id, event, attempt } = o {
            v.push((id, event, attempt));
        }
    }
    v
}

fn config() -> DispatcherConfig {
    DispatcherConfig {
        concurrency: 4,
        max_attempts: 3,
        retry_delay_ms: 100,
        handler_timeout_ms: Some(1_000),
        max_queued: 1_000,
        dedup_window: 1_000,
    }
}

/// Random completion order over 50 chats with concurrency 4: each chat sees its events in
/// order, never two at once, and never more than 4 run together.
#[test]
fn per_chat_fifo_under_concurrency() {
    let mut d = Dispatcher::new(DispatcherConfig {
        max_queued: 2_000,
        ..config()
    });
    let mut rng = SeededRng::new(7);
    let mut expected: HashMap<String, Vec<i64>> = HashMap::new();
    for seq in 1..=2_000 {
        let chat = rng.range(0, 49) as u32;
        let e = chat_event(seq, chat);
        expected
            .entry(e.chat_key().unwrap().to_owned())
            .or_default()
            .push(seq);
        d.submit(0, e).unwrap();
    }
    let mut running: Vec<(DispatchId, Arc<Event>)> = Vec::new();
    let mut seen: HashMap<String, Vec<i64>> = HashMap::new();
    let mut now = 0;
    let mut max_running = 0;
    loop {
        for (id, e, _) in dispatches(&mut d) {
            let chat = e.chat_key().unwrap().to_owned();
            assert!(
                running.iter().all(|(_, r)| r.chat_key().unwrap() != chat),
                "two events of {chat} at once"
            );
            seen.entry(chat).or_default().push(e.seq.unwrap());
            running.push((id, e));
        }
        max_running = max_running.max(running.len());
        assert_eq!(running.len(), d.running());
        if running.is_empty() {
            break;
        }
        let pick = rng.range(0, running.len() as u64 - 1) as usize;
        let (id, _) = running.swap_remove(pick);
        now += 1;
        d.complete(now, id).unwrap();
    }
    assert_eq!(max_running, 4);
    assert_eq!(seen, expected);
    assert!(d.is_idle());
    assert_eq!(d.settled_through(), Some(2_001));
    assert_eq!(d.stats().completed, 2_000);
}

#[test]
fn events_without_chat_use_user_lane_or_run_freely() {
    let mut d = Dispatcher::new(config());
    d.submit(0, event(1, None, Some("telegram:5"))).unwrap();
    d.submit(0, event(2, None, Some("telegram:5"))).unwrap();
    d.submit(0, event(3, None, None)).unwrap();
    d.submit(0, event(4, None, None)).unwrap();
    let got: Vec<i64> = dispatches(&mut d)
        .iter()
        .map(|(_, e, _)| e.seq.unwrap())
        .collect();
    // User 5's second event waits; the lane-less ones both run.
    assert_eq!(got, vec![1, 3, 4]);
}

#[test]
fn duplicates_are_dropped_by_platform_id() {
    let mut d = Dispatcher::new(config());
    d.submit(0, chat_event(10, 1)).unwrap();
    d.submit(0, chat_event(10, 1)).unwrap();
    let mut outs = Vec::new();
    while let Some(o) = d.poll_output() {
        outs.push(o);
    }
    assert_eq!(outs.len(), 2);
    assert!(matches!(&outs[1], Output::Duplicate { event_id } if event_id == "10"));
    assert_eq!(d.stats().duplicates, 1);
    assert_eq!(d.held(), 1);
    // Events without a seq are deduplicated by id.
    let mut a = event(0, Some("telegram:2"), None);
    a.seq = None;
    a.id = "abc".into();
    d.submit(0, a.clone()).unwrap();
    d.submit(0, a).unwrap();
    assert_eq!(d.stats().duplicates, 2);
}

#[test]
fn failed_handler_is_retried_then_dead_lettered_without_stalling_its_chat() {
    let mut d = Dispatcher::new(config());
    d.submit(0, chat_event(1, 1)).unwrap();
    d.submit(0, chat_event(2, 1)).unwrap();
    let mut now = 0;
    for attempt in 1..=3u32 {
        let ds = dispatches(&mut d);
        assert_eq!(ds.len(), 1, "attempt {attempt}");
        assert_eq!(ds[0].1.seq, Some(1));
        assert_eq!(ds[0].2, attempt);
        d.fail(now, ds[0].0, "boom").unwrap();
        if attempt < 3 {
            // The retry waits for its delay (100 ms, doubled).
            assert!(dispatches(&mut d).is_empty());
            let at = d.poll_timeout().unwrap();
            assert_eq!(at, now + 100 * (1 << (attempt - 1)));
            d.handle_timeout(at - 1);
            assert!(dispatches(&mut d).is_empty());
            now = at;
            d.handle_timeout(now);
        }
    }
    let mut dead = None;
    let mut next = None;
    while let Some(o) = d.poll_output() {
        match o {
            Output::DeadLetter(l) => dead = Some(l),
            Output::Dispatch { event, .. } => next = Some(event),
            _ => {}
        }
    }
    let dead = dead.expect("dead letter");
    assert_eq!(dead.attempts, 3);
    assert_eq!(dead.reason, "boom");
    assert_eq!(dead.event.seq, Some(1));
    assert_eq!(next.unwrap().seq, Some(2), "the chat moves on");
    assert_eq!(d.settled_through(), Some(2));
}

#[test]
fn a_handler_that_never_completes_times_out() {
    let mut d = Dispatcher::new(DispatcherConfig {
        max_attempts: 1,
        ..config()
    });
    d.submit(0, chat_event(1, 1)).unwrap();
    let id = dispatches(&mut d)[0].0;
    assert_eq!(d.poll_timeout(), Some(1_000));
    d.handle_timeout(999);
    assert_eq!(d.running(), 1);
    d.handle_timeout(1_000);
    assert_eq!(d.running(), 0);
    let Some(Output::DeadLetter(l)) = d.poll_output() else {
        panic!("expected a dead letter")
    };
    assert_eq!(l.reason, "handler timed out");
    // The late completion is refused, typed.
    assert_eq!(d.complete(2_000, id), Err(DispatchError::Unknown(id)));
}

#[test]
fn completing_twice_or_unknown_ids_are_errors() {
    let mut d = Dispatcher::new(config());
    d.submit(0, chat_event(1, 1)).unwrap();
    let id = dispatches(&mut d)[0].0;
    d.complete(1, id).unwrap();
    assert_eq!(d.complete(1, id), Err(DispatchError::Unknown(id)));
    assert_eq!(
        d.fail(1, DispatchId(999), "x"),
        Err(DispatchError::Unknown(DispatchId(999)))
    );
    assert_eq!(d.stats().completed, 1);
}

#[test]
fn full_queue_hands_the_event_back() {
    let mut d = Dispatcher::new(DispatcherConfig {
        max_queued: 3,
        ..config()
    });
    for s in 1..=3 {
        d.submit(0, chat_event(s, 1)).unwrap();
    }
    assert_eq!(d.capacity(), 0);
    let err = d.submit(0, chat_event(4, 1)).unwrap_err();
    assert!(matches!(err, DispatchError::QueueFull { limit: 3, .. }));
    assert_eq!(err.into_event().unwrap().seq, Some(4));
    // Nothing about event 4 was recorded: once there is room it is accepted.
    let id = dispatches(&mut d)[0].0;
    d.complete(1, id).unwrap();
    d.submit(1, chat_event(4, 1)).unwrap();
    assert_eq!(d.held(), 3);
}

#[test]
fn watermark_and_export_restore_lose_and_repeat_nothing() {
    let mut d = Dispatcher::new(config());
    for s in 1..=6 {
        d.submit(0, chat_event(s, s as u32 % 3)).unwrap();
    }
    // Chats: 1->{1,4}, 2->{2,5}, 0->{3,6}. Running: 1, 2, 3.
    let ds = dispatches(&mut d);
    let ids: HashMap<i64, DispatchId> = ds.iter().map(|(i, e, _)| (e.seq.unwrap(), *i)).collect();
    d.complete(1, ids[&2]).unwrap();
    d.complete(1, ids[&3]).unwrap();
    // 1 is still running: the watermark stays at 1.
    assert_eq!(d.settled_through(), Some(1));
    let exported = d.export();
    let pending: Vec<i64> = exported.pending.iter().map(|e| e.seq.unwrap()).collect();
    assert_eq!(pending, vec![1, 4, 5, 6]);
    assert_eq!(exported.settled_above, vec![2, 3]);

    // A restarted dispatcher: the pending ones again, then the settled marks; redeliveries
    // of everything 1..=6 are dropped.
    let mut r = Dispatcher::new(config());
    for e in &exported.pending {
        r.submit(5, (**e).clone()).unwrap();
    }
    r.mark_settled(&exported.settled_above);
    for s in 1..=6 {
        r.submit(5, chat_event(s, s as u32 % 3)).unwrap();
    }
    let mut handled = HashSet::new();
    loop {
        let ds = dispatches(&mut r);
        if ds.is_empty() {
            break;
        }
        for (id, e, _) in ds {
            assert!(handled.insert(e.seq.unwrap()), "repeated {:?}", e.seq);
            r.complete(6, id).unwrap();
        }
    }
    assert_eq!(handled, HashSet::from([1, 4, 5, 6]));
    assert_eq!(r.stats().duplicates, 6);
    assert_eq!(r.settled_through(), Some(7));
}

#[test]
fn retries_respect_the_concurrency_limit() {
    let mut d = Dispatcher::new(DispatcherConfig {
        concurrency: 1,
        ..config()
    });
    d.submit(0, chat_event(1, 1)).unwrap();
    d.submit(0, chat_event(2, 2)).unwrap();
    let first = dispatches(&mut d);
    assert_eq!(first.len(), 1);
    d.fail(0, first[0].0, "x").unwrap();
    // Chat 2 gets the slot while chat 1 waits for its retry.
    let second = dispatches(&mut d);
    assert_eq!(second[0].1.seq, Some(2));
    d.handle_timeout(100);
    assert!(dispatches(&mut d).is_empty(), "slot still taken");
    d.complete(150, second[0].0).unwrap();
    let third = dispatches(&mut d);
    assert_eq!((third[0].1.seq, third[0].2), (Some(1), 2));
}
