//! Telegram codec benchmarks on the standard corpus (`bench/telegram_corpus.py`).
//!
//! `BOTWIRE_CORPUS` names the corpus folder (with `updates.jsonl` and `updates.json`); the
//! `bench/run.sh` script generates it and writes the figures to `bench/RESULTS.md`.
//! Every benchmark processes the whole corpus once per iteration; throughput is in updates.

use botwire_core::io::RequestId;
use botwire_core::runtime::dispatcher::{Dispatcher, DispatcherConfig, Output as DispatchOutput};
use botwire_core::runtime::model::EventKind;
use botwire_core::runtime::router::Router;
use botwire_core::runtime::telegram::event_from_update;
use botwire_core::runtime::telegram_json::event_from_json;
use botwire_core::telegram::api::Api;
use botwire_core::telegram::client::{ClientConfig, Output, TelegramClient};
use botwire_core::telegram::glance::glance;
use botwire_core::telegram::json_update::JsonUpdate;
use botwire_core::telegram::methods::SendMessage;
use botwire_core::telegram::types::{InlineKeyboardButton, InlineKeyboardMarkup, Update};
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::time::Duration;

struct Corpus {
    lines: Vec<Vec<u8>>,
    batches: Vec<Vec<u8>>,
}

fn load() -> Corpus {
    let dir = std::env::var("BOTWIRE_CORPUS").unwrap_or_else(|_| {
        panic!(
            "set BOTWIRE_CORPUS to a folder made by bench/telegram_corpus.py (bench/run.sh does)"
        )
    });
    let jsonl = std::fs::read(format!("{dir}/updates.jsonl")).expect("read updates.jsonl");
    let lines: Vec<Vec<u8>> = jsonl
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    // updates.json: a JSON array with one getUpdates body per line.
    let json = std::fs::read_to_string(format!("{dir}/updates.json")).expect("read updates.json");
    let batches = json
        .lines()
        .map(|l| l.trim().trim_end_matches(','))
        .filter(|l| l.starts_with('{'))
        .map(|l| l.as_bytes().to_vec())
        .collect();
    Corpus { lines, batches }
}

fn codec(c: &mut Criterion) {
    let corpus = load();
    let n = corpus.lines.len() as u64;
    let mut g = c.benchmark_group("telegram");
    g.throughput(Throughput::Elements(n));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(8));

    g.bench_function("value_parse", |b| {
        b.iter(|| {
            for l in &corpus.lines {
                black_box(serde_json::from_slice::<serde_json::Value>(l).unwrap());
            }
        })
    });
    g.bench_function("typed_parse", |b| {
        b.iter(|| {
            for l in &corpus.lines {
                black_box(serde_json::from_slice::<Update>(l).unwrap());
            }
        })
    });
    // The npm package's path: the update kept as JSON, the event read from it (no typed
    // model), against the typed path (parse, then the adapter), both from the bytes.
    g.bench_function("json_event", |b| {
        b.iter(|| {
            for l in &corpus.lines {
                let text = std::str::from_utf8(l).unwrap();
                black_box(event_from_json(JsonUpdate::parse(text).unwrap()));
            }
        })
    });
    g.bench_function("typed_event", |b| {
        b.iter(|| {
            for l in &corpus.lines {
                let u = serde_json::from_slice::<Update>(l).unwrap();
                black_box(event_from_update(Box::new(u)));
            }
        })
    });
    g.bench_function("glance", |b| {
        b.iter(|| {
            for l in &corpus.lines {
                black_box(glance(l).unwrap());
            }
        })
    });

    // One reply per update: a text with an inline keyboard, built into HTTP bytes.
    let api = Api::new("7412093385:AAHfj3kLmNoPqRsTuVwXyZ0123456789abc");
    let chats: Vec<i64> = corpus
        .lines
        .iter()
        .map(|l| match glance(l).unwrap().headline {
            botwire_core::telegram::glance::Headline::Chat { chat_id, .. } => chat_id,
            _ => 1,
        })
        .collect();
    g.bench_function("request_build", |b| {
        b.iter(|| {
            for chat in &chats {
                let markup = InlineKeyboardMarkup::new(vec![vec![
                    InlineKeyboardButton::new("👍 Yes").callback_data("vote:yes"),
                    InlineKeyboardButton::new("No").callback_data("vote:no"),
                ]]);
                let m = SendMessage::new(*chat, "Thanks — got it ✅").reply_markup(markup);
                black_box(api.request(&m).unwrap());
            }
        })
    });

    // Intake: getUpdates bodies of 100 updates through the polling state machine.
    g.bench_function("client_intake", |b| {
        b.iter(|| {
            let mut client = TelegramClient::new(ClientConfig::polling("1:T"));
            client.start(0);
            let mut pending: Option<RequestId> = None;
            let mut delivered = 0usize;
            for body in &corpus.batches {
                while let Some(out) = client.poll_output() {
                    match out {
                        Output::Http { id, .. } => pending = Some(id),
                        Output::Event(e) => delivered += e.as_update().is_some() as usize,
                        _ => {}
                    }
                }
                client
                    .handle_http_response(1, pending.take().unwrap(), 200, body)
                    .unwrap();
            }
            while let Some(out) = client.poll_output() {
                if let Output::Event(e) = out {
                    delivered += e.as_update().is_some() as usize;
                }
            }
            black_box(delivered)
        })
    });
    g.finish();
}

/// The runtime: parsed updates through the Telegram adapter, the dispatcher (per-chat order,
/// duplicate check, acknowledgement watermark) and a router of seven routes, each handler a
/// no-op that completes at once. Parsing is measured above; here the updates are parsed once
/// (cloning them for each iteration is excluded from the timing).
fn runtime(c: &mut Criterion) {
    let corpus = load();
    let n = corpus.lines.len() as u64;
    let updates: Vec<Update> = corpus
        .lines
        .iter()
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    let mut router: Router<u8> = Router::new().with_bot_username("bench_bot");
    router
        .command("start", 1)
        .command("help", 2)
        .command("count", 3);
    router.regex(r"^echo (.+)$", 4).unwrap();
    router.callback_prefix("page:", 5);
    router.on(EventKind::InlineQuery, 6);
    router.content_type("photo", 7);
    router.catch_all(0);

    let mut g = c.benchmark_group("runtime");
    g.throughput(Throughput::Elements(n));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(8));
    g.bench_function("dispatch_route", |b| {
        b.iter_batched(
            || {
                let d = Dispatcher::new(DispatcherConfig {
                    max_queued: updates.len() + 1,
                    dedup_window: updates.len() + 1,
                    handler_timeout_ms: None,
                    ..DispatcherConfig::default()
                });
                let u: Vec<Box<Update>> = updates.iter().cloned().map(Box::new).collect();
                (d, u)
            },
            |(mut d, updates)| {
                let mut routed = [0u32; 8];
                // Handled events are handed back so that freeing their payloads (the mirror
                // of parsing, measured as `update_drop_only`) happens outside the timing.
                let mut handled = Vec::with_capacity(updates.len());
                for u in updates {
                    d.submit(1, event_from_update(u)).unwrap();
                    while let Some(out) = d.poll_output() {
                        if let DispatchOutput::Dispatch { id, event, .. } = out {
                            if let Some(m) = router.route(&event) {
                                routed[usize::from(*m.handler)] += 1;
                            }
                            d.complete(1, id).unwrap();
                            handled.push(event);
                        }
                    }
                }
                black_box((routed, d.settled_through()));
                handled
            },
            BatchSize::LargeInput,
        )
    });
    // The parts, for the record: the adapter alone, and the router alone on built events.
    g.bench_function("adapter_only", |b| {
        b.iter_batched(
            || updates.iter().cloned().map(Box::new).collect::<Vec<_>>(),
            |updates| {
                for u in updates {
                    black_box(event_from_update(u));
                }
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("update_drop_only", |b| {
        b.iter_batched(
            || updates.iter().cloned().map(Box::new).collect::<Vec<_>>(),
            |updates| {
                for u in updates {
                    drop(black_box(u));
                }
            },
            BatchSize::LargeInput,
        )
    });
    let events: Vec<_> = updates
        .iter()
        .cloned()
        .map(|u| event_from_update(Box::new(u)))
        .collect();
    g.bench_function("route_only", |b| {
        b.iter(|| {
            let mut routed = [0u32; 8];
            for e in &events {
                if let Some(m) = router.route(e) {
                    routed[usize::from(*m.handler)] += 1;
                }
            }
            black_box(routed)
        })
    });
    g.finish();
}

criterion_group!(benches, codec, runtime);
criterion_main!(benches);
