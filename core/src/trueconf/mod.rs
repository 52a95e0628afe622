//! TrueConf Chatbot Connector: typed objects, the 34 WebSocket methods, the 17 server events,
//! error codes, token acquisition and the server-version probe, and the WebSocket session state
//! machine (auth first, per-connection request ids, acknowledgements, timeouts, keep-alive,
//! reconnect with backoff), plus file upload and download.

pub mod auth;
pub mod error;
pub mod events;
pub mod frame;
pub mod methods;
pub mod session;
pub mod types;
pub mod upload;

pub use error::{ErrorCode, TrueConfError};
pub use methods::Method;
