//! The Rust side of the C ABI benchmark (`make c-bench`): the scenario of
//! `tests/c/abi_bench.c`, on `botwire_core::runtime::bot::TelegramBot` directly, so that the
//! ratio of the two is the cost of the C boundary.
//!
//! Scenario, identical on both sides: a polling bot (flood budgets wide open, so no send
//! waits) is started on a virtual clock; each `getUpdates` request is answered from memory with
//! the next batch of the corpus (`updates.json`, 100 updates per batch); every dispatched event
//! runs a handler that replies with the text of text messages (a `reply` action) and completes;
//! every `sendMessage` is answered from memory at once. A run ends when the corpus is consumed
//! and nothing is in flight; it is timed from the bot's creation to its release, in CPU time of
//! the thread (and wall time, for information).
//!
//! Run: `cargo run --release -p botwire-c --example abi_bench -- CORPUS_DIR OUT.json [RUNS]`;
//! `bench/c_abi.py` runs it in turns with the C side and computes the ratio.

use botwire_core::runtime::bot::{BotConfig, BotOutput, TelegramBot};
use botwire_core::runtime::flood::Budget;
use botwire_core::runtime::model::{Action, EventKind, MessageKey, SendOptions};
use std::time::Instant;

/// The answer to every `sendMessage`.
const SENT: &[u8] = br#"{"ok":true,"result":{"message_id":1,"date":1780000000,"chat":{"id":1,"type":"private"},"text":"x"}}"#;

struct Totals {
    dispatched: u64,
    replies: u64,
}

fn config() -> BotConfig {
    let mut config = BotConfig::polling("123456:BENCH").with_api_root("http://127.0.0.1:9");
    let open = Budget::new(1_000_000, 1);
    config.flood.per_chat = open;
    config.flood.per_group = open;
    config.flood.global = open;
    config
}

fn run(batches: &[Vec<u8>]) -> Totals {
    let mut now = 1u64;
    let mut bot = TelegramBot::new(config()).expect("valid configuration");
    bot.start(now);
    let mut next_batch = 0usize;
    let mut totals = Totals {
        dispatched: 0,
        replies: 0,
    };
    let mut sends = Vec::new();
    // The getUpdates request waiting for its batch, kept while sends are answered first.
    let mut poll = None;
    // Each step answers at least one request; the bound catches a livelock.
    for _ in 0..(batches.len() * 1000 + 100) {
        while let Some(output) = bot.poll_output() {
            match output {
                BotOutput::Http { id, request } => {
                    if request.url.ends_with("/getUpdates") {
                        poll = Some(id);
                    } else {
                        sends.push(id);
                    }
                }
                BotOutput::Dispatch { id, event, .. } => {
                    totals.dispatched += 1;
                    if event.kind == EventKind::Message {
                        if let (Some(text), Some(to @ MessageKey::InChat { .. })) =
                            (&event.text, &event.message)
                        {
                            if !text.is_empty() {
                                let reply = Action::Reply {
                                    to: to.clone(),
                                    text: text.clone(),
                                    options: SendOptions::default(),
                                };
                                bot.act(now, &reply).expect("reply accepted");
                                totals.replies += 1;
                            }
                        }
                    }
                    bot.complete(now, id).expect("dispatch completed once");
                }
                _ => {}
            }
        }
        now += 1;
        if !sends.is_empty() {
            for id in sends.drain(..) {
                bot.handle_http_response(now, id, 200, SENT)
                    .expect("request answered once");
            }
            continue;
        }
        match poll.take() {
            Some(id) if next_batch < batches.len() => {
                bot.handle_http_response(now, id, 200, &batches[next_batch])
                    .expect("request answered once");
                next_batch += 1;
            }
            _ => return totals,
        }
    }
    panic!("the scenario did not settle");
}

/// CPU time of the calling thread in nanoseconds: the runs are timed by it, so that time the
/// machine spends on other processes does not count.
fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec to write to; the clock id is a constant of the platform.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(corpus), Some(out)) = (args.next(), args.next()) else {
        eprintln!("usage: abi_bench CORPUS_DIR OUT.json [RUNS]");
        std::process::exit(2);
    };
    let runs: usize = match args.next() {
        Some(n) => n.parse().expect("RUNS: a number"),
        None => 11,
    };
    // updates.json: a JSON array with one getUpdates body per line.
    let text = std::fs::read_to_string(format!("{corpus}/updates.json"))
        .unwrap_or_else(|e| panic!("cannot read {corpus}/updates.json: {e}"));
    let batches: Vec<Vec<u8>> = text
        .lines()
        .map(|l| l.trim().trim_end_matches(','))
        .filter(|l| l.starts_with('{'))
        .map(|l| l.as_bytes().to_vec())
        .collect();
    let updates: usize = batches
        .iter()
        .map(|b| {
            let v: serde_json::Value = serde_json::from_slice(b).expect("a getUpdates body");
            v["result"].as_array().map_or(0, Vec::len)
        })
        .sum();

    let warm = run(&batches);
    assert_eq!(warm.dispatched as usize, updates, "every update dispatched");
    let mut cpu = Vec::with_capacity(runs);
    let mut wall = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let cpu_started = thread_cpu_ns();
        let totals = run(&batches);
        cpu.push((thread_cpu_ns() - cpu_started) as f64 / updates as f64);
        wall.push(started.elapsed().as_nanos() as f64 / updates as f64);
        assert_eq!(totals.replies, warm.replies);
    }
    let json = serde_json::json!({
        "side": "rust",
        "updates": updates,
        "dispatched": warm.dispatched,
        "replies": warm.replies,
        "cpu_ns_per_update": cpu,
        "wall_ns_per_update": wall,
    });
    std::fs::write(&out, json.to_string() + "\n")
        .unwrap_or_else(|e| panic!("cannot write {out}: {e}"));
}
