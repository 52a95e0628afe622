//! The bot runtime, platform-neutral and sans-IO like the rest of the core. So far: flood
//! control and the answerer; the dispatcher, router and conversations are still to come.

pub mod answerer;
pub mod flood;
