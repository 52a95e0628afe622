//! TrueConf frames per second through parse, acknowledgement and dispatch, for a realistic mix
//! of server events (see `corpus`). `bench/run.sh` runs it and `bench/report.py` writes the
//! figures into `bench/RESULTS.md`.
//!
//! - `trueconf/bot`: each frame through a connected `TrueConfBot`: frame parse, the
//!   acknowledgement frame, the typed event, the shared-model adapter, the dispatcher (duplicate
//!   check, per-chat lanes); each dispatched event is completed at once.
//! - `trueconf/session`: the same frames through the bare session (parse, acknowledgement,
//!   typed event).
//! - `trueconf/value_parse`: `serde_json::Value` parse of each frame, for scale.

use botwire_core::io::{ConnId, SeededRng};
use botwire_core::runtime::bot::BotOutput;
use botwire_core::runtime::trueconf_bot::TrueConfBot;
use botwire_core::sim::trueconf::SimConfig;
use botwire_core::sim::trueconf_harness::TrueConfHarness;
use botwire_core::trueconf::session::{Output, SessionEvent, TrueConfSession};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::cell::Cell;

const FRAMES: usize = 10_000;
const CHATS: u64 = 200;

/// The mix, in per mille: what a busy helpdesk bot sees.
const MIX: [(&str, u32); 10] = [
    ("text", 560),
    ("html_text", 100),
    ("attachment", 80),
    ("edit", 60),
    ("command", 50),
    ("remove", 40),
    ("forward", 30),
    ("participant", 30),
    ("reply", 30),
    ("progress", 20),
];

fn chat_id(n: u64) -> String {
    format!("{:040x}", 0x5e0c_1a9b_7d3f_u64.wrapping_mul(n + 1))
}

fn envelope(pass: u64, i: usize, chat: &str, content_type: u32, content: &str) -> String {
    format!(
        r#"{{"chat":{{"chatId":"{chat}","chatTitle":"Customer {i}","chatType":1}},"chatId":"{chat}","messageId":"m-{pass}-{i}","timestamp":{ts},"author":{{"id":"user{u}@video.example.com","type":1}},"box":{{"id":{i},"position":"{p}"}},"type":{content_type},"content":{content},"isEdited":false}}"#,
        ts = 1_781_234_567_890u64 + i as u64,
        u = i % 97,
        p = i.saturating_sub(1),
    )
}

/// `FRAMES` server frames; ids (frame and message ids) are unique per `pass`.
fn corpus(pass: u64) -> (Vec<String>, Vec<(&'static str, usize)>) {
    let mut rng = SeededRng::new(42);
    let mut counts: Vec<(&'static str, usize)> = MIX.iter().map(|(k, _)| (*k, 0)).collect();
    let mut frames = Vec::with_capacity(FRAMES);
    for i in 0..FRAMES {
        let chat = chat_id(rng.next_u64() % CHATS);
        let mut pick = (rng.next_u64() % 1000) as u32;
        let mut kind = 0;
        for (k, (_, w)) in MIX.iter().enumerate() {
            if pick < *w {
                kind = k;
                break;
            }
            pick -= w;
        }
        counts[kind].1 += 1;
        let frame_id = pass * FRAMES as u64 + i as u64 + 1;
        let (method, payload) = match MIX[kind].0 {
            "text" => (
                "sendMessage",
                envelope(
                    pass,
                    i,
                    &chat,
                    200,
                    &format!(
                        r#"{{"text":"Hello, where is my order number {i}? It was due yesterday.","parseMode":"text"}}"#
                    ),
                ),
            ),
            "html_text" => (
                "sendMessage",
                envelope(
                    pass,
                    i,
                    &chat,
                    200,
                    r#"{"text":"Where is my <b>invoice</b>? See <a href=\"https://example.com/i\">here</a>","parseMode":"html"}"#,
                ),
            ),
            "attachment" => (
                "sendMessage",
                envelope(
                    pass,
                    i,
                    &chat,
                    202,
                    r#"{"name":"screenshot.png","size":48213,"fileId":"8d7c6b5a-4f3e-4d2c-8b1a-0f9e8d7c6b5a","mimeType":"image/png","readyState":2}"#,
                ),
            ),
            "reply" => {
                let inner = envelope(
                    pass + 1_000_000,
                    i,
                    &chat,
                    200,
                    r#"{"text":"Earlier question","parseMode":"text"}"#,
                );
                let outer = envelope(
                    pass,
                    i,
                    &chat,
                    200,
                    r#"{"text":"Any news?","parseMode":"text"}"#,
                );
                let outer = outer.trim_end_matches('}').to_owned()
                    + &format!(r#","replyMessageId":"m-r-{i}","replyMessage":{inner}}}"#);
                ("sendMessage", outer)
            }
            "forward" => {
                let inner = envelope(
                    pass + 2_000_000,
                    i,
                    &chat,
                    200,
                    r#"{"text":"Server rack B is down","parseMode":"text"}"#,
                )
                .replace(
                    &format!(
                        r#","box":{{"id":{i},"position":"{}"}}"#,
                        i.saturating_sub(1)
                    ),
                    "",
                );
                ("sendMessage", envelope(pass, i, &chat, 201, &inner))
            }
            "edit" => (
                "editMessage",
                format!(
                    r#"{{"chatId":"{chat}","messageId":"m-e-{pass}-{i}","timestamp":1781234620000,"content":{{"text":"Where is my invoice #88?","parseMode":"text"}}}}"#
                ),
            ),
            "command" => (
                "command",
                format!(
                    r#"{{"commandId":"cmd-{pass}-{i}","commandSource":{{"type":"inlineKeyboard","buttonId":"done","message":{msg}}},"commandPayload":{{"type":"userCommand","command":"/done","customData":"inv:{i}"}}}}"#,
                    msg = envelope(
                        pass + 3_000_000,
                        i,
                        &chat,
                        200,
                        r#"{"text":"Your invoice","parseMode":"text"}"#
                    )
                ),
            ),
            "remove" => (
                "removeMessage",
                format!(
                    r#"{{"chatId":"{chat}","messageId":"m-x-{pass}-{i}","removedBy":{{"id":"carol@video.example.com","type":1}}}}"#
                ),
            ),
            "participant" => (
                "addChatParticipant",
                format!(
                    r#"{{"timestamp":1781236400000,"chatId":"{chat}","userId":"dave{i}@video.example.com","addedBy":{{"id":"carol@video.example.com","type":1}}}}"#
                ),
            ),
            _ => (
                "uploadFileProgress",
                format!(
                    r#"{{"fileId":"f-{pass}-{i}","progress":{}}}"#,
                    1024 * (i % 100)
                ),
            ),
        };
        frames.push(format!(
            r#"{{"type":1,"id":{frame_id},"method":"{method}","payload":{payload}}}"#
        ));
    }
    (frames, counts)
}

/// A bot connected to the simulator, and its socket.
fn connected_bot() -> (TrueConfBot, ConnId, u64) {
    let sim = SimConfig {
        auth_hold_ms: 0,
        ..SimConfig::default()
    };
    let mut h = TrueConfHarness::bot(sim, |c| {
        c.session.keep_alive = None;
        c.dispatch.concurrency = 64;
    });
    h.machine.start(h.now).unwrap();
    h.run_until_event(200, |o| {
        matches!(o, BotOutput::TrueConf(SessionEvent::Connected { .. }))
    })
    .expect("connects");
    h.take_events();
    let conn = h.open_connections()[0];
    let now = h.now;
    (h.machine, conn, now)
}

fn connected_session() -> (TrueConfSession, ConnId, u64) {
    let mut h = TrueConfHarness::session(SimConfig::default());
    h.machine.start(h.now).unwrap();
    h.run_until_event(200, |e| matches!(e, SessionEvent::Connected { .. }))
        .expect("connects");
    h.take_events();
    let conn = h.open_connections()[0];
    let now = h.now;
    (h.machine, conn, now)
}

fn write_mix(counts: &[(&str, usize)], bytes: usize) {
    let entries: Vec<String> = counts
        .iter()
        .map(|(k, n)| format!(r#""{k}":{n}"#))
        .collect();
    let json = format!(
        r#"{{"frames":{FRAMES},"bytes":{bytes},"chats":{CHATS},"mix":{{{}}}}}"#,
        entries.join(",")
    );
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join("trueconf_bench_mix.json"), json);
}

fn bench(c: &mut Criterion) {
    let (first, counts) = corpus(0);
    let bytes: usize = first.iter().map(String::len).sum();
    write_mix(&counts, bytes);
    let mut g = c.benchmark_group("trueconf");
    g.throughput(Throughput::Elements(FRAMES as u64));
    g.sample_size(20);

    g.bench_function("value_parse", |b| {
        b.iter(|| {
            for f in &first {
                let v: serde_json::Value = serde_json::from_str(f).unwrap();
                std::hint::black_box(v);
            }
        })
    });

    let (mut bot, conn, now) = connected_bot();
    let pass = Cell::new(1u64);
    g.bench_function("bot", |b| {
        b.iter_batched(
            || {
                let p = pass.get();
                pass.set(p + 1);
                corpus(p).0
            },
            |frames| {
                let mut acks = 0usize;
                let mut dispatched = 0usize;
                for f in &frames {
                    bot.handle_ws_frame(now, conn, f).unwrap();
                    while let Some(out) = bot.poll_output() {
                        match out {
                            BotOutput::WsSend { .. } => acks += 1,
                            BotOutput::Dispatch { id, .. } => {
                                dispatched += 1;
                                bot.complete(now, id).unwrap();
                            }
                            _ => {}
                        }
                    }
                }
                assert_eq!(acks, FRAMES);
                std::hint::black_box(dispatched)
            },
            BatchSize::PerIteration,
        )
    });

    let (mut session, sconn, snow) = connected_session();
    g.bench_function("session", |b| {
        b.iter_batched(
            || corpus(0).0,
            |frames| {
                let mut acks = 0usize;
                for f in &frames {
                    session.handle_ws_frame(snow, sconn, f).unwrap();
                    while let Some(out) = session.poll_output() {
                        if let Output::WsSend { .. } = out {
                            acks += 1;
                        }
                    }
                }
                assert_eq!(acks, FRAMES);
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
    println!("trueconf corpus: {FRAMES} frames, {bytes} bytes, mix {counts:?}");
}

criterion_group!(benches, bench);
criterion_main!(benches);
