//! An example bot on the embedded Telegram simulator (no token, no network): it echoes text,
//! answers `/start`, and shows an inline keyboard whose buttons edit the message.
//! Prints the conversation as the simulator saw it.
//!
//! Run: `cargo run -p botwire-core --example echo_bot`.

use botwire_core::sim::harness::TelegramHarness;
use botwire_core::sim::telegram::{SimConfig, SimUser, TranscriptEntry};
use botwire_core::telegram::client::{Event, TelegramClient};
use botwire_core::telegram::identifiers::origin_identifier;
use botwire_core::telegram::methods::{AnswerCallbackQuery, SendMessage};
use botwire_core::telegram::types::{InlineKeyboardButton, InlineKeyboardMarkup, UpdateKind};

/// The bot: reacts to one event by issuing calls.
fn handle(client: &mut TelegramClient, now: u64, event: &Event) {
    let Some(update) = event.as_update() else {
        return;
    };
    match &update.kind {
        UpdateKind::Message(msg) => {
            let chat = msg.chat.id;
            let text = msg.text.as_deref().unwrap_or("");
            let name = msg
                .from
                .as_ref()
                .map(|u| u.first_name.as_str())
                .unwrap_or("there");
            let reply = match text.split_whitespace().next().unwrap_or("") {
                "/start" => {
                    SendMessage::new(chat, format!("Hi {name}! I echo what you say. Try /menu."))
                }
                "/menu" => SendMessage::new(chat, "Pick a colour").reply_markup(
                    InlineKeyboardMarkup::new(vec![vec![
                        InlineKeyboardButton::new("🔴 Red").callback_data("colour:red"),
                        InlineKeyboardButton::new("🟢 Green").callback_data("colour:green"),
                    ]]),
                ),
                _ => SendMessage::new(chat, text),
            };
            client.call(now, &reply).expect("valid request");
        }
        UpdateKind::CallbackQuery(q) => {
            let colour = q
                .data
                .as_deref()
                .and_then(|d| d.strip_prefix("colour:"))
                .unwrap_or("?");
            client
                .call(
                    now,
                    &AnswerCallbackQuery::new(q.id.clone()).text(format!("You picked {colour}")),
                )
                .expect("valid request");
            if let Ok(origin) = origin_identifier(q) {
                client
                    .call(now, &origin.edit_text(format!("You picked: {colour} ✅")))
                    .expect("valid request");
            }
        }
        _ => {}
    }
}

fn show(entry: &TranscriptEntry, names: &[(i64, &str)]) {
    let who = entry
        .chat_id
        .and_then(|c| names.iter().find(|(id, _)| *id == c).map(|(_, n)| *n))
        .unwrap_or("?");
    let text = entry.text.as_deref().unwrap_or("");
    let keyboard = entry
        .reply_markup
        .as_ref()
        .and_then(|m| m.get("inline_keyboard"))
        .map(|rows| {
            let labels: Vec<String> = rows
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|r| r.as_array().cloned().unwrap_or_default())
                .filter_map(|b| {
                    b.get("text")
                        .and_then(|t| t.as_str())
                        .map(|t| format!("[{t}]"))
                })
                .collect();
            format!("  {}", labels.join(" "))
        })
        .unwrap_or_default();
    let at = entry.at as f64 / 1000.0;
    match entry.method.as_str() {
        "answerCallbackQuery" => println!("[{at:6.3}] bot → {who}: (toast) {text}"),
        m if m.starts_with("edit") => {
            println!("[{at:6.3}] bot → {who}: (edits its message) {text}{keyboard}")
        }
        _ => println!("[{at:6.3}] bot → {who}: {text}{keyboard}"),
    }
}

fn main() {
    const ANA: i64 = 7_000_000_001;
    let names = [(ANA, "Ana")];
    let mut h = TelegramHarness::polling(SimConfig::default());
    h.sim.add_user(SimUser::new(ANA, "Ana"));
    h.client.start(h.now);
    let mut shown = 0;
    let script: [(&str, &str); 5] = [
        ("say", "/start"),
        ("say", "hello bot 👋"),
        ("say", "/menu"),
        ("press", "colour:green"),
        ("say", "bye"),
    ];
    println!("botwire example bot on the simulated Telegram Bot API (virtual time, seconds)\n");
    for (action, arg) in script {
        let at = h.now as f64 / 1000.0;
        match action {
            "say" => {
                println!("[{at:6.3}] Ana → bot: {arg}");
                h.sim
                    .user_sends_text(h.now, ANA, ANA, arg)
                    .expect("simulated user");
            }
            _ => {
                let menu = h
                    .sim
                    .transcript()
                    .iter()
                    .rev()
                    .find(|e| e.reply_markup.is_some())
                    .and_then(|e| e.message_id)
                    .expect("the bot sent a keyboard");
                println!("[{at:6.3}] Ana presses a button: {arg}");
                h.sim
                    .user_presses_button(h.now, ANA, ANA, menu, arg)
                    .expect("simulated press");
            }
        }
        // Run until the bot has answered (bounded: the example always ends).
        let before = h.sim.transcript().len();
        for _ in 0..200 {
            for e in h.take_events() {
                handle(&mut h.client, h.now, &e);
            }
            h.pump();
            let settled = h.sim.transcript().len() > before && h.client.pending_requests() <= 1;
            if settled {
                break;
            }
            // Telegram allows one message per second per chat: pace like a polite bot.
            h.advance_to(h.now + 250);
        }
        for entry in &h.sim.transcript()[shown..] {
            show(entry, &names);
        }
        shown = h.sim.transcript().len();
        h.advance_to(h.now + 1_000);
    }
    h.client.stop(h.now);
    let stopped = h.run_until_event(50, |e| matches!(e, Event::Stopped { .. }));
    println!("\nstopped: {stopped:?}");
}
