//! # botwire-core
//!
//! The sans-IO protocol core of botwire: it speaks chat-bot protocols (the Telegram Bot API
//! today) without doing any I/O. It never opens a socket, reads a clock, sleeps, spawns or
//! draws hidden randomness. The host — a Rust program, the npm package, a C application —
//! performs the I/O the core asks for and reports back.
//!
//! ## The run-loop contract
//!
//! ```text
//!             commands (start, stop, call, ...)
//!   host ───────────────────────────────────────────▶ ┌──────────────┐
//!        ── handle_http_response(now, id, status, ─▶  │              │
//!        ── handle_http_error(now, id, kind)      ─▶  │   client     │
//!        ── handle_webhook(now, headers, body)    ─▶  │  (no I/O,    │
//!        ── handle_timeout(now)                   ─▶  │   no clock)  │
//!        ◀── poll_output(): Http{id, request} ─────── │              │
//!        ◀──               Event(update, response)── │              │
//!        ◀── poll_timeout(): when to call back ────── └──────────────┘
//! ```
//!
//! 1. **Time comes in.** Every input carries `now`, host-supplied monotonic milliseconds
//!    ([`io::Timestamp`]). Randomness (backoff jitter) comes from a seed in the config.
//! 2. **Inputs, commands, outputs.** Inputs are `handle_*`; commands are verbs (`start`,
//!    `stop`, `call`). After every input or command the host calls `poll_output()` until it
//!    returns `None`, then arms one timer at `poll_timeout()`. A spurious `handle_timeout` is
//!    a no-op.
//! 3. **Ids are answered exactly once.** Every output that needs an answer carries an id
//!    ([`io::RequestId`]); the host answers each id once, with a response or an error. An
//!    unknown or repeated id is an error value, never a panic.
//! 4. **The codec layer stands alone.** Request builders and response parsers are public
//!    pure functions ([`telegram::api::Api::request`], [`telegram::api::parse`]).
//! 5. **Outputs own their data; inputs are borrowed.**
//! 6. **Errors** are `thiserror` enums marked `#[non_exhaustive]`. A fatal error (a revoked
//!    token) is sticky. A failed request is an event for that request, not a failure of the
//!    client. Untrusted bytes never cause a panic.
//! 7. **Timers live inside.** Long-poll re-issue, backoff, `retry_after` waits and the
//!    reorderer's hold deadlines are visible to the host only through `poll_timeout`.
//!
//! ## A host loop
//!
//! ```
//! use botwire_core::io::{HttpRequest, HttpResponse};
//! use botwire_core::telegram::client::{ClientConfig, Event, Output, TelegramClient};
//! use botwire_core::telegram::methods::SendMessage;
//! use botwire_core::sim::telegram::{SimConfig, SimReply, TelegramSim};
//!
//! // The host's "network": here the in-memory simulator; in production, an HTTP client.
//! let mut sim = TelegramSim::new(SimConfig::default());
//! let token = sim.config().token.clone();
//! let mut client = TelegramClient::new(ClientConfig::polling(token).with_api_root("http://sim"));
//! sim.user_sends_text(0, 1001, 1001, "hello");
//!
//! let mut now = 0;
//! client.start(now);
//! let mut replied = false;
//! for _ in 0..100 {
//!     while let Some(out) = client.poll_output() {
//!         match out {
//!             Output::Http { id, request } => sim.handle_request(now, id.0, &request).unwrap(),
//!             Output::Event(Event::Update(update)) => {
//!                 if let Some(msg) = update.message() {
//!                     let text = msg.text.clone().unwrap_or_default();
//!                     client.call(now, &SendMessage::new(msg.chat.id, text)).unwrap();
//!                 }
//!             }
//!             Output::Event(Event::Response(r)) => replied |= r.result.is_ok(),
//!             _ => {}
//!         }
//!     }
//!     while let Some((key, reply)) = sim.poll_response() {
//!         let id = botwire_core::io::RequestId(key);
//!         match reply {
//!             SimReply::Response(HttpResponse { status, body, .. }) => {
//!                 client.handle_http_response(now, id, status, &body).unwrap()
//!             }
//!             _ => client.handle_http_error(now, id, botwire_core::io::HttpErrorKind::Timeout).unwrap(),
//!         }
//!     }
//!     if replied { break; }
//!     // Step the virtual clock to the next thing that can happen.
//!     now = [client.poll_timeout(), sim.next_event()].into_iter().flatten().min().unwrap_or(now + 1000);
//!     client.handle_timeout(now);
//!     sim.advance(now);
//! }
//! assert!(replied);
//! assert_eq!(sim.transcript().last().unwrap().text.as_deref(), Some("hello"));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod io;
mod json_bytes;
pub mod runtime;
pub mod sim;
pub mod telegram;
pub mod trueconf;
