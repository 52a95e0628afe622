//! Flood-control efficiency: 10,000 `sendMessage` calls to 1,000 chats (700 private chats,
//! 270 groups and supergroups, 30 channels) released by `runtime::flood` against the
//! simulator enforcing Telegram's limits, on a virtual clock.
//!
//! Prints the virtual completion time, the theoretical minimum the budgets allow (the largest
//! of the global, per-chat and per-group bounds), their ratio, the 429 count and the
//! wall-clock time of the run; writes the same figures as JSON to the path given as the first
//! argument (if any).
//!
//! `cargo run --release -p botwire-core --example flood_bench -- target/flood.json`

use std::collections::BTreeMap;
use std::time::Instant;

use botwire_core::io::RequestId;
use botwire_core::runtime::flood::{
    Budget, ChatClass, FloodConfig, FloodControl, RetryScope, SendId,
};
use botwire_core::sim::harness::SIM_API_ROOT;
use botwire_core::sim::telegram::{SimChat, SimConfig, SimReply, TelegramSim};
use botwire_core::telegram::client::{ClientConfig, Event, Output, TelegramClient};
use botwire_core::telegram::methods::SendMessage;
use botwire_core::telegram::ApiError;
use serde_json::json;

const CHATS: usize = 1_000;
const MESSAGES: usize = 10_000;

/// The time of the last send when `count` sends leave as early as `budgets` allow, alone.
fn greedy_last(count: usize, budgets: &[Budget]) -> u64 {
    let mut times: Vec<u64> = Vec::with_capacity(count);
    for _ in 0..count {
        let at = budgets
            .iter()
            .map(|b| {
                let max = b.max as usize;
                if times.len() >= max {
                    times[times.len() - max] + b.window_ms
                } else {
                    0
                }
            })
            .max()
            .unwrap_or(0)
            .max(times.last().copied().unwrap_or(0));
        times.push(at);
    }
    times.last().copied().unwrap_or(0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_path = std::env::args().nth(1);
    let config = FloodConfig::default();
    let sim_config = SimConfig::default();
    let client_config = ClientConfig::new(sim_config.token.clone()).with_api_root(SIM_API_ROOT);
    let mut sim = TelegramSim::new(sim_config);
    let mut client = TelegramClient::new(client_config);
    let mut flood: FloodControl<SendMessage> = FloodControl::new(config)?;

    // The chats: private ones exist once their user wrote first.
    let mut chats: Vec<(i64, ChatClass)> = Vec::with_capacity(CHATS);
    for i in 0..CHATS as i64 {
        let chat = match i {
            0..=699 => {
                let user = 500_000 + i;
                sim.user_sends_text(0, user, user, "hi")?;
                (user, ChatClass::Private)
            }
            700..=899 => {
                let id = -(4_000 + i);
                sim.add_chat(SimChat::group(id, format!("g{i}")));
                (id, ChatClass::Group)
            }
            900..=969 => {
                let id = -1_000_000_000_000 - i;
                sim.add_chat(SimChat::supergroup(id, format!("s{i}")));
                (id, ChatClass::Group)
            }
            _ => {
                let id = -1_000_000_100_000 - i;
                sim.add_chat(SimChat::channel(id, format!("c{i}")));
                (id, ChatClass::Channel)
            }
        };
        chats.push(chat);
    }

    let started = Instant::now();
    let rounds = MESSAGES / CHATS;
    let mut per_chat: BTreeMap<i64, (usize, ChatClass)> = BTreeMap::new();
    for round in 0..rounds {
        for k in 0..CHATS {
            let (chat, class) = chats[(k * 7_919 + round * 13) % CHATS];
            flood
                .enqueue(0, chat, class, SendMessage::new(chat, format!("m{round}")))
                .map_err(|e| e.to_string())?;
            per_chat.entry(chat).or_insert((0, class)).0 += 1;
        }
    }

    let mut now = 0u64;
    let mut pending: BTreeMap<RequestId, SendId> = BTreeMap::new();
    let mut messages: BTreeMap<RequestId, SendMessage> = BTreeMap::new();
    let mut delivered = 0usize;
    let mut retries = 0usize;
    let mut completion = 0u64;
    for _ in 0..1_000_000 {
        while let Some((send, message)) = flood.poll_ready(now) {
            let id = client.call(now, &message)?;
            pending.insert(id, send);
            messages.insert(id, message);
        }
        loop {
            let mut progress = false;
            while let Some(out) = client.poll_output() {
                progress = true;
                match out {
                    Output::Http { id, request } => sim.handle_request(now, id.0, &request)?,
                    Output::Event(Event::Response(r)) => {
                        let send = pending.remove(&r.id).ok_or("unknown answer")?;
                        let message = messages.remove(&r.id).ok_or("unknown answer")?;
                        match r.result {
                            Ok(_) => {
                                flood.on_sent(now, send).map_err(|e| e.to_string())?;
                                delivered += 1;
                                completion = now;
                            }
                            Err(ApiError::RetryAfter { seconds, .. }) => {
                                retries += 1;
                                let secs = u64::try_from(seconds).unwrap_or(0);
                                flood
                                    .on_retry_after(now, send, message, secs, RetryScope::Chat)
                                    .map_err(|e| e.to_string())?;
                            }
                            Err(e) => return Err(e.into()),
                        }
                    }
                    _ => {}
                }
            }
            while let Some((key, reply)) = sim.poll_response() {
                progress = true;
                if let SimReply::Response(r) = reply {
                    client.handle_http_response(now, RequestId(key), r.status, &r.body)?;
                }
            }
            if !progress {
                break;
            }
        }
        let next = [
            flood.next_ready_at(),
            client.poll_timeout(),
            sim.next_event(),
        ]
        .into_iter()
        .flatten()
        .min();
        match next {
            Some(at) => {
                now = now.max(at);
                sim.advance(now);
                client.handle_timeout(now);
            }
            None => break,
        }
    }
    let wall = started.elapsed();

    // Lower bounds: the global budget over all sends, and each chat alone under its own
    // budgets (the chat budget, plus the group budget for groups and channels).
    let global_bound = greedy_last(MESSAGES, &[config.global]);
    let per_chat_bound = per_chat
        .values()
        .map(|&(n, _)| greedy_last(n, &[config.per_chat]))
        .max()
        .unwrap_or(0);
    let per_group_bound = per_chat
        .values()
        .filter(|(_, class)| class.is_group_like())
        .map(|&(n, _)| greedy_last(n, &[config.per_chat, config.per_group]))
        .max()
        .unwrap_or(0);
    let minimum = global_bound.max(per_chat_bound).max(per_group_bound);
    let ratio = if minimum == 0 {
        1.0
    } else {
        completion as f64 / minimum as f64
    };
    let too_many = sim.counters().too_many_requests;

    println!("flood control: {MESSAGES} messages to {CHATS} chats");
    println!("  delivered            {delivered}");
    println!("  virtual completion   {:.3} s", completion as f64 / 1000.0);
    println!(
        "  theoretical minimum  {:.3} s (global {:.3} s, per chat {:.3} s, per group {:.3} s)",
        minimum as f64 / 1000.0,
        global_bound as f64 / 1000.0,
        per_chat_bound as f64 / 1000.0,
        per_group_bound as f64 / 1000.0
    );
    println!("  ratio                {ratio:.4} (target <= 1.02)");
    println!("  429 answers          {too_many} (target 0; retries {retries})");
    println!(
        "  wall clock           {:.3} ms",
        wall.as_secs_f64() * 1000.0
    );

    if let Some(path) = out_path {
        let figures = json!({
            "messages": MESSAGES,
            "chats": CHATS,
            "delivered": delivered,
            "completion_ms": completion,
            "minimum_ms": minimum,
            "global_bound_ms": global_bound,
            "per_chat_bound_ms": per_chat_bound,
            "per_group_bound_ms": per_group_bound,
            "ratio": ratio,
            "too_many_requests": too_many,
            "retries": retries,
            "wall_ms": wall.as_secs_f64() * 1000.0,
        });
        std::fs::write(&path, serde_json::to_string_pretty(&figures)?)?;
    }
    if delivered != MESSAGES {
        return Err(format!("only {delivered} of {MESSAGES} messages delivered").into());
    }
    Ok(())
}
