//! An in-memory TrueConf Chatbot Connector server, itself sans-IO, on a virtual clock.
//!
//! [`TrueConfSim`] answers what a TrueConf bot client does over HTTP (token requests, the
//! OAuth-application flow, the version probe, file uploads and downloads) and over the bot
//! WebSocket (the `auth` request, the 33 other methods, event acknowledgements), keeping a
//! coherent world of users, chats, messages and files. Simulated users and administrators act
//! through test hooks ([`user_sends_text`](TrueConfSim::user_sends_text) and friends), and tests
//! inspect what the bot did through the [`transcript`](TrueConfSim::transcript) and which
//! events it acknowledged ([`acked_event_ids`](TrueConfSim::acked_event_ids)).
//!
//! The simulator works on JSON values only: it shares no types with botwire's TrueConf client,
//! so the two cannot hide each other's mistakes.
//!
//! # Driving it
//!
//! Every input carries `now`, host monotonic milliseconds; wall-clock times (message
//! timestamps, JWT `exp`) are [`SimConfig::unix_ms`]` + now`.
//!
//! ```text
//!  host                                   TrueConfSim
//!  HTTP request ───── handle_http ──────▶ HttpResponse (returned at once)
//!  WS upgrade ─────── ws_open ──────────▶ Ok(WsAccept) / Err(HttpResponse)
//!  WS text frame ──── ws_receive ───────▶ ┐
//!  WS closed ──────── ws_closed ────────▶ ├─▶ poll_ws(): (SimConn, Text | Close)
//!  timer ──────────── handle_timeout ───▶ ┘
//!                     next_event() ─────▶ when to call handle_timeout
//! ```
//!
//! After every input or hook, drain [`poll_ws`](TrueConfSim::poll_ws) until it returns `None`,
//! then arm one timer at [`next_event`](TrueConfSim::next_event). Timers serve delayed
//! responses and the short hold of events after `auth` (a client learns its own id from the
//! `auth` answer, so events wait for its next frame or 100 ms).
//!
//! ```
//! use botwire_core::io::{HttpMethod, HttpRequest};
//! use botwire_core::sim::trueconf::{SimConfig, SimWsOut, TrueConfSim};
//!
//! let mut sim = TrueConfSim::new(SimConfig::default());
//! let token_request = HttpRequest {
//!     method: HttpMethod::Post,
//!     url: "http://127.0.0.1:4309/bridge/api/client/v1/oauth/token".into(),
//!     headers: vec![("Content-Type".into(), "application/json".into())],
//!     body: br#"{"client_id":"chat_bot","grant_type":"password","username":"helpdesk_bot","password":"s3cret"}"#.to_vec(),
//!     timeout_ms: None,
//! };
//! let answer = sim.handle_http(0, &token_request);
//! assert_eq!(answer.status, 201);
//! let body: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
//! let token = body["access_token"].as_str().unwrap();
//!
//! let conn = sim.ws_open(1, "/websocket/chat_bot", &[]).unwrap().conn;
//! let auth = serde_json::json!({"type":1,"id":1,"method":"auth",
//!     "payload":{"token":token,"tokenType":"JWT"}});
//! sim.ws_receive(2, conn, &auth.to_string()).unwrap();
//! let Some((_, SimWsOut::Text(frame))) = sim.poll_ws() else { panic!("no answer") };
//! let frame: serde_json::Value = serde_json::from_str(&frame).unwrap();
//! assert!(frame["payload"]["userId"].as_str().unwrap().starts_with("helpdesk_bot@video.example.com/"));
//! ```
//!
//! # Scope and choices
//!
//! - HTTP: `POST /bridge/api/client/v1/oauth/token`, the three OAuth steps
//!   (`/api/v4/oauth2/token`, `/bridge/api/client/v1/auth/web_rest_api_token`,
//!   `/bridge/api/client/v1/auth/token`), `GET /api/v4/server`,
//!   `GET /api/v4/endpoints/connects`, `POST /bridge/api/client/v1/files` (multipart, authorised
//!   by `Upload-Task-Id`) and `GET /bridge/api/client/v1/files/<fileId>?token=…` downloads.
//! - WebSocket: `/websocket/chat_bot` and `/websocket/chat_bot/`, subprotocol `json.v1` echoed
//!   when offered, at most [`SimConfig::max_connections`] sockets.
//! - Tokens are unsigned JWTs (`alg: none`) that the simulator also remembers: `auth` with a
//!   token it never minted answers 201, with an expired one 203.
//! - Undocumented error choices: an unknown user answers 302, an unknown `commandId` 399, a
//!   text or caption over 65,536 bytes 399; `getChatHistory` returns the `count` messages just
//!   before `fromMessageId` (excluded), oldest first.
//! - Frames towards the client stay under 1 MiB: long history and chat lists are cut short.

mod chats;
mod events;
mod faults;
mod files;
mod hooks;
mod http;
mod jwt;
mod messages;
mod methods;
mod multipart;
mod transcript;
mod views;
mod world;
mod ws;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

use serde::Serialize;

pub use events::PushedEvent;
pub use faults::{Fault, FaultKind};
pub use hooks::Injected;
pub use methods::METHODS;
pub use transcript::{TranscriptAction, TranscriptEntry, TranscriptFile};
pub use ws::ConnInfo;

use crate::io::{HttpRequest, HttpResponse, SeededRng, Timestamp};

/// Largest text frame the simulator sends: the Python reference client keeps its WebSocket
/// library's 1 MiB limit.
pub const MAX_FRAME_BYTES: usize = 1024 * 1024;

/// Largest text or caption the simulator stores (a guard that keeps frames small; the
/// platform itself shows at most 4096 visible characters).
pub const MAX_TEXT_BYTES: usize = 64 * 1024;

/// A user account of the simulated server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimUser {
    /// The login, the part of the TrueConf id before `@` (`alice`).
    pub login: String,
    /// The name shown to others (`Alice Meyer`).
    pub display_name: String,
    /// The password, for token requests; `None` makes the account unable to log in.
    pub password: Option<String>,
    /// A disabled account cannot log in (HTTP 401) and its tokens answer `auth` with 202.
    pub disabled: bool,
}

impl SimUser {
    /// An enabled account without a password.
    pub fn new(login: impl Into<String>, display_name: impl Into<String>) -> Self {
        SimUser {
            login: login.into(),
            display_name: display_name.into(),
            password: None,
            disabled: false,
        }
    }

    /// The same account with a password.
    pub fn with_password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self
    }
}

/// Whether the extension list of [`UploadLimits`] allows or blocks what it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtensionMode {
    /// Only the listed extensions may be uploaded (`"allow"`).
    Allow,
    /// The listed extensions may not be uploaded (`"block"`).
    Block,
}

/// The server's upload limits, as `getFileUploadLimits` reports them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UploadLimits {
    /// Largest file in bytes; `None` is unlimited.
    pub max_size: Option<u64>,
    /// The extension filter (extensions without the dot, compared case-insensitively).
    pub extensions: Option<(ExtensionMode, Vec<String>)>,
}

impl UploadLimits {
    /// The limits object of the wire (`{maxSize, extensions}`, both keys always present).
    pub fn to_json(&self) -> serde_json::Value {
        let extensions = match &self.extensions {
            None => serde_json::Value::Null,
            Some((mode, list)) => serde_json::json!({
                "mode": match mode { ExtensionMode::Allow => "allow", ExtensionMode::Block => "block" },
                "list": list,
            }),
        };
        serde_json::json!({ "maxSize": self.max_size, "extensions": extensions })
    }

    /// Whether a file name's extension passes the filter.
    pub fn allows_name(&self, name: &str) -> bool {
        let Some((mode, list)) = &self.extensions else {
            return true;
        };
        let extension = match name.rsplit_once('.') {
            Some((_, ext)) => ext.to_ascii_lowercase(),
            None => String::new(),
        };
        let listed = list
            .iter()
            .any(|e| e.trim_start_matches('.').eq_ignore_ascii_case(&extension));
        match mode {
            ExtensionMode::Allow => listed,
            ExtensionMode::Block => !listed,
        }
    }
}

/// How a [`TrueConfSim`] behaves.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The server's domain: user ids are `login@domain`, and `/api/v4/server` reports it.
    pub domain: String,
    /// Scheme, host and port the clients use (`http://127.0.0.1:4309`), for absolute download
    /// URLs; see [`TrueConfSim::set_base_url`].
    pub base_url: String,
    /// The version `/api/v4/server` reports.
    pub version: String,
    /// The bot's account (by default `helpdesk_bot` / `s3cret`).
    pub bot: SimUser,
    /// Other accounts (by default alice, bob, carol and dave, without passwords).
    pub users: Vec<SimUser>,
    /// Lifetime of minted tokens, in seconds (the JWT `exp` and `expires_in`).
    pub token_lifetime_s: u64,
    /// The OAuth application's `client_id`; `None` rejects every OAuth login with 401.
    pub oauth_client_id: Option<String>,
    /// The OAuth application has no scope: step 1 answers 400 `invalidScope`.
    pub oauth_scope_missing: bool,
    /// Password login for bots is off: the token endpoint answers 403 `auth_method_disabled`.
    pub password_login_disabled: bool,
    /// Unix time in milliseconds at virtual time 0.
    pub unix_ms: u64,
    /// Seed of every generated id.
    pub seed: u64,
    /// Most simultaneous WebSocket connections (the server's cap is 128).
    pub max_connections: usize,
    /// How long events wait after an `auth` answer when the client sends nothing else.
    pub auth_hold_ms: u64,
    /// The initial upload limits.
    pub limits: UploadLimits,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            domain: "video.example.com".into(),
            base_url: "http://127.0.0.1:4309".into(),
            version: "5.5.6.21140".into(),
            bot: SimUser::new("helpdesk_bot", "Helpdesk Bot").with_password("s3cret"),
            users: vec![
                SimUser::new("alice", "Alice Meyer"),
                SimUser::new("bob", "Bob Lee"),
                SimUser::new("carol", "Carol Diaz"),
                SimUser::new("dave", "Dave Moss"),
            ],
            token_lifetime_s: 365 * 24 * 3600,
            oauth_client_id: Some("botwire-oauth-app".into()),
            oauth_scope_missing: false,
            password_login_disabled: false,
            unix_ms: 1_781_234_000_000,
            seed: 0x7C0F,
            max_connections: 128,
            auth_hold_ms: 100,
            limits: UploadLimits {
                max_size: Some(100 * 1024 * 1024),
                extensions: None,
            },
        }
    }
}

/// One WebSocket connection of the simulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct SimConn(pub u64);

impl fmt::Display for SimConn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "connection #{}", self.0)
    }
}

/// What the host must do on one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimWsOut {
    /// Send this text frame.
    Text(String),
    /// Close the socket (normal closure); the simulator has already forgotten it.
    Close,
}

/// An accepted WebSocket upgrade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsAccept {
    /// The new connection.
    pub conn: SimConn,
    /// The subprotocol to put in `Sec-WebSocket-Protocol` (`json.v1` when offered).
    pub protocol: Option<String>,
}

/// Errors of the simulator's own API (protocol errors are answers on the wire).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The connection is closed or was never opened.
    #[error("{0} is not open")]
    UnknownConnection(SimConn),
    /// No such user.
    #[error("unknown user {0:?}")]
    UnknownUser(String),
    /// No such chat.
    #[error("unknown chat {0:?}")]
    UnknownChat(String),
    /// No such message.
    #[error("unknown message {0:?}")]
    UnknownMessage(String),
    /// No such file.
    #[error("unknown file {0:?}")]
    UnknownFile(String),
    /// The message has no button matching the selector.
    #[error("no button {0:?} on that message")]
    NoSuchButton(String),
    /// The action makes no sense in this state.
    #[error("invalid simulated action: {0}")]
    Invalid(String),
}

/// Counters of what the simulator handled, for tests.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SimCounters {
    /// Requests handed to [`TrueConfSim::handle_http`].
    pub http_requests: u64,
    /// WebSocket upgrades accepted.
    pub ws_opened: u64,
    /// Text frames received.
    pub frames_received: u64,
    /// Requests (`type: 1` frames) received.
    pub requests: u64,
    /// Responses carrying a non-zero `errorCode`.
    pub error_responses: u64,
    /// Events sent.
    pub events_pushed: u64,
    /// Acknowledgements that matched an unacknowledged event of the same connection.
    pub acks: u64,
    /// Acknowledgements of unknown or already acknowledged ids.
    pub stray_acks: u64,
    /// Frames that were not JSON objects or had no usable `type` or `id`.
    pub garbage_frames: u64,
    /// Requests an injected fault applied to.
    pub faults_applied: u64,
    /// Sockets the simulator closed.
    pub closed_by_sim: u64,
    /// Frames not sent because they would exceed [`MAX_FRAME_BYTES`].
    pub oversized_frames: u64,
}

/// The in-memory TrueConf server. See the [module documentation](self).
#[derive(Debug, Clone)]
pub struct TrueConfSim {
    config: SimConfig,
    rng: SeededRng,
    now: Timestamp,
    world: world::World,
    limits: UploadLimits,
    tokens: BTreeMap<String, jwt::TokenInfo>,
    web_tokens: BTreeMap<String, String>,
    auth_codes: BTreeMap<String, String>,
    conns: BTreeMap<SimConn, ws::Conn>,
    next_conn: u64,
    outbox: VecDeque<(SimConn, SimWsOut)>,
    scheduled: BTreeMap<(Timestamp, u64), ws::Scheduled>,
    next_seq: u64,
    staged: Vec<events::Staged>,
    next_event_id: u64,
    events: Vec<PushedEvent>,
    event_index: BTreeMap<u64, usize>,
    faults: VecDeque<Fault>,
    response_delay_ms: u64,
    transcript: Vec<TranscriptEntry>,
    counters: SimCounters,
    commands: BTreeMap<String, hooks::CommandInfo>,
    subscriptions: BTreeSet<(SimConn, String)>,
}

impl TrueConfSim {
    /// A simulator with the configured accounts and no chats.
    pub fn new(config: SimConfig) -> Self {
        let mut rng = SeededRng::new(config.seed);
        let next_event_id = 20_000 + rng.range(0, 9_999);
        let mut world = world::World::default();
        world.add_user(&config.domain, &config.bot);
        for user in &config.users {
            world.add_user(&config.domain, user);
        }
        TrueConfSim {
            limits: config.limits.clone(),
            config,
            rng,
            now: 0,
            world,
            tokens: BTreeMap::new(),
            web_tokens: BTreeMap::new(),
            auth_codes: BTreeMap::new(),
            conns: BTreeMap::new(),
            next_conn: 0,
            outbox: VecDeque::new(),
            scheduled: BTreeMap::new(),
            next_seq: 0,
            staged: Vec::new(),
            next_event_id,
            events: Vec::new(),
            event_index: BTreeMap::new(),
            faults: VecDeque::new(),
            response_delay_ms: 0,
            transcript: Vec::new(),
            counters: SimCounters::default(),
            commands: BTreeMap::new(),
            subscriptions: BTreeSet::new(),
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// Sets the scheme, host and port of download URLs, once the host knows where it listens
    /// (`http://127.0.0.1:41234`). A trailing `/` is dropped.
    pub fn set_base_url(&mut self, base_url: impl Into<String>) {
        let url: String = base_url.into();
        self.config.base_url = url.trim_end_matches('/').to_owned();
    }

    /// Sets the wall-clock time (Unix milliseconds) of virtual time 0.
    pub fn set_unix_ms(&mut self, unix_ms: u64) {
        self.config.unix_ms = unix_ms;
    }

    /// The bot's TrueConf id (`helpdesk_bot@video.example.com`).
    pub fn bot_id(&self) -> String {
        self.full_id(&self.config.bot.login)
    }

    /// Virtual time as last seen; inputs never move it backwards.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Counters of frames, events, acknowledgements and faults.
    pub fn counters(&self) -> &SimCounters {
        &self.counters
    }

    /// The current upload limits.
    pub fn limits(&self) -> &UploadLimits {
        &self.limits
    }

    /// Answers one HTTP request (token, OAuth, server info, upload, download). Unknown paths
    /// answer 404, a wrong method 405; the body is never trusted.
    pub fn handle_http(&mut self, now: Timestamp, request: &HttpRequest) -> HttpResponse {
        let now = self.clock(now);
        self.counters.http_requests += 1;
        self.http(now, request)
    }

    fn clock(&mut self, now: Timestamp) -> Timestamp {
        self.now = self.now.max(now);
        self.now
    }

    /// Unix milliseconds of a virtual time.
    fn wall_ms(&self, now: Timestamp) -> u64 {
        self.config.unix_ms.saturating_add(now)
    }

    /// The full TrueConf id of a login or id: `alice` → `alice@domain`; a `/resource` suffix
    /// is dropped.
    fn full_id(&self, id: &str) -> String {
        let id = id.split('/').next().unwrap_or(id);
        if id.contains('@') {
            id.to_owned()
        } else {
            format!("{id}@{}", self.config.domain)
        }
    }

    fn hex(&mut self, digits: usize) -> String {
        let mut out = String::with_capacity(digits + 16);
        while out.len() < digits {
            out.push_str(&format!("{:016x}", self.rng.next_u64()));
        }
        out.truncate(digits);
        out
    }

    /// A random (version 4 shaped) UUID.
    fn uuid(&mut self) -> String {
        let h = self.hex(32);
        let variant = ["8", "9", "a", "b"][(self.rng.next_u64() % 4) as usize];
        format!(
            "{}-{}-4{}-{}{}-{}",
            &h[0..8],
            &h[8..12],
            &h[13..16],
            variant,
            &h[17..20],
            &h[20..32]
        )
    }
}
