//! The scenarios of `runtime_bot.rs` (per-chat order under concurrency, restarts in the
//! middle of a handler, 5xx, lost answers and 429 storms, graceful stop, handlers that never
//! complete, the answerer) with a bot whose updates stay JSON (`TelegramBot::new_json`).

type Form = botwire_core::telegram::client::Json;

include!("support/runtime_bot_scenarios.rs");
