//! The runtime wired to Telegram, on a virtual clock against the simulator: per-chat order
//! under concurrency, restarts in the middle of a handler, 5xx, lost answers and 429 storms,
//! graceful stop, handlers that never complete, the answerer.
//!
//! Updates in the typed form; `runtime_bot_json.rs` runs the same scenarios with updates
//! kept as JSON.

type Form = botwire_core::telegram::client::Typed;

include!("support/runtime_bot_scenarios.rs");
