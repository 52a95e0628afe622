//! In-memory fake platforms, themselves sans-IO: they answer [`crate::io::HttpRequest`]s
//! (and, for WebSocket platforms, frames) on a virtual clock. Used by tests, the demo, the
//! bindings' tests and the `botwire-sim` server.

pub mod harness;
pub mod telegram;
pub mod trueconf;
pub mod trueconf_harness;
