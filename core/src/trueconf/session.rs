//! The TrueConf session state machine: version probe, token, WebSocket, `auth`, calls,
//! acknowledgements, timeouts, keep-alive, reconnect, uploads and downloads — driven by the
//! host through the sans-IO contract (see the crate docs).
//!
//! A session goes through: optional probe (`GET /api/v4/server`, advisory) → token (password
//! grant or the three OAuth-application steps, skipped while the cached token's JWT `exp` is
//! in the future) → [`Output::WsOpen`] → `auth` as request 1 of the new socket →
//! [`SessionEvent::Connected`], after which `getFileUploadLimits` is requested and the queued
//! calls are sent in order.
//!
//! **Wall clock.** `now` is monotonic and says nothing about the date, but the token's `exp`
//! is a Unix time. The host tells the session the wall clock with
//! [`TrueConfSession::set_wall_clock`] (once is enough: the session keeps the offset between
//! the two clocks; call it again after the host's clock was adjusted). Until it is told, a
//! token is taken as valid until the server refuses it with error 203.
//!
//! ```
//! use botwire_core::trueconf::session::{
//!     Credentials, Output, SessionConfig, SessionEvent, TrueConfSession,
//! };
//!
//! let mut config = SessionConfig::new("video.example.com", 443, true, Credentials::Token("eyJ…".into()));
//! config.probe_version = false;
//! let mut session = TrueConfSession::new(config);
//! session.start(0).unwrap();
//! let Some(Output::WsOpen { conn, url, .. }) = session.poll_output() else { panic!() };
//! assert_eq!(url, "wss://video.example.com:443/websocket/chat_bot");
//! session.handle_ws_opened(5, conn).unwrap();
//! let Some(Output::WsSend { text, .. }) = session.poll_output() else { panic!() };
//! assert!(text.starts_with(r#"{"type":1,"id":1,"method":"auth""#));
//! session
//!     .handle_ws_frame(9, conn, r#"{"type":2,"id":1,"payload":{"userId":"bot@video.example.com/1","connectionId":"c"}}"#)
//!     .unwrap();
//! let mut connected = false;
//! while let Some(out) = session.poll_output() {
//!     if let Output::Event(SessionEvent::Connected { bot_id, .. }) = out {
//!         assert_eq!(bot_id, "bot@video.example.com");
//!         connected = true;
//!     }
//! }
//! assert!(connected);
//! ```

use super::auth::{self, ServerInfo, VersionSupport};
use super::error::{ErrorCode, TrueConfError};
use super::events::{parse_event, ServerEvent};
use super::frame::{self, Frame};
use super::methods::Method;
use super::upload::{
    check_limits, parse_progress, redact_query, DownloadFlow, Step, UploadFlow, UploadTarget,
};
use crate::io::{ConnId, HttpErrorKind, HttpRequest, IdAllocator, RequestId, SeededRng, Timestamp};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::marker::PhantomData;

pub use super::frame::RawPayload;
pub use super::upload::{
    DownloadId, DownloadWait, Downloaded, FileToSend, UploadId, UploadResult, UploadStage,
};

/// How many answered-by-timeout request ids a connection remembers, to ignore late answers.
const TIMED_OUT_MEMORY: usize = 4096;
/// How many connections closed by the session are remembered, to tell stale from unknown.
const RETIRED_MEMORY: usize = 64;

/// How the bot logs in.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// Password grant (`client_id` `chat_bot`).
    Password {
        /// The bot's user name.
        username: String,
        /// Its password.
        password: String,
    },
    /// The three-step OAuth-application flow (server ≥ 5.5.3).
    OAuthApp {
        /// The OAuth application's `client_id`.
        client_id: String,
        /// The bot's user name.
        username: String,
        /// Its password.
        password: String,
    },
    /// A ready JWT. It cannot be renewed: when `auth` refuses it as expired (203) the session
    /// stops with that error, and a call answered 203 reports it without a retry.
    Token(String),
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Password { username, .. } => f
                .debug_struct("Password")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
            Credentials::OAuthApp {
                client_id,
                username,
                ..
            } => f
                .debug_struct("OAuthApp")
                .field("client_id", client_id)
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
            Credentials::Token(_) => f.write_str("Token(<redacted>)"),
        }
    }
}

/// WebSocket keep-alive: a protocol ping every `interval_ms`; no pong (or any frame) within
/// `timeout_ms` closes the connection and reconnects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeepAlive {
    /// Time between pings (ms).
    pub interval_ms: u64,
    /// How long to wait for the pong (ms).
    pub timeout_ms: u64,
}

impl Default for KeepAlive {
    fn default() -> Self {
        KeepAlive {
            interval_ms: 30_000,
            timeout_ms: 10_000,
        }
    }
}

/// Session settings. [`SessionConfig::new`] gives the defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionConfig {
    /// Server host name or address.
    pub host: String,
    /// Port: 443 (HTTPS/WSS through TrueConf Web) or 4309 (plain Bridge) in practice.
    pub port: u16,
    /// `https`/`wss` when true, `http`/`ws` otherwise.
    pub https: bool,
    /// How to log in.
    pub credentials: Credentials,
    /// How long a request on the socket (and a token or probe request) may wait for its
    /// answer (ms). Default 15 000.
    pub request_timeout_ms: u64,
    /// Keep-alive; default 30 s interval, 10 s timeout. `None` disables it.
    pub keep_alive: Option<KeepAlive>,
    /// First reconnect delay (ms), doubled per consecutive failure. Default 1 000.
    pub reconnect_initial_ms: u64,
    /// Largest reconnect delay (ms). Default 60 000.
    pub reconnect_max_ms: u64,
    /// Consecutive reconnect attempts without a successful `auth` before the session stops;
    /// `None` (default) retries forever.
    pub max_attempts: Option<u32>,
    /// Seed of the jitter and multipart-boundary generator.
    pub seed: u64,
    /// `receiveUnread` of `auth`: replay messages that arrived while offline.
    pub receive_unread: bool,
    /// `receiveSystemMessageEnvelopes` of `auth`.
    pub receive_system_envelopes: bool,
    /// Probe the server version before the first connection (advisory). Default true.
    pub probe_version: bool,
    /// Drop `sendMessage` events authored by the bot itself. Default true.
    pub drop_own_messages: bool,
    /// Use the documented `/websocket/chat_bot/` (with the slash). Default false.
    pub ws_trailing_slash: bool,
    /// Offer the `json.v1` subprotocol. Default false.
    pub ws_subprotocol: bool,
    /// Largest accepted frame (bytes). Default 16 MiB.
    pub max_frame_bytes: usize,
    /// How many calls, uploads and downloads may wait for the connection. Default 1 024.
    pub max_queued_calls: usize,
    /// A token is renewed when its `exp` is less than this far away (ms). Default 60 000.
    pub token_refresh_margin_ms: u64,
    /// Waiting for files that are still being uploaded by their sender.
    pub download_wait: DownloadWait,
}

impl SessionConfig {
    /// Settings with the defaults.
    pub fn new(host: impl Into<String>, port: u16, https: bool, credentials: Credentials) -> Self {
        SessionConfig {
            host: host.into(),
            port,
            https,
            credentials,
            request_timeout_ms: 15_000,
            keep_alive: Some(KeepAlive::default()),
            reconnect_initial_ms: 1_000,
            reconnect_max_ms: 60_000,
            max_attempts: None,
            seed: 0x7c0f_5eed,
            receive_unread: false,
            receive_system_envelopes: false,
            probe_version: true,
            drop_own_messages: true,
            ws_trailing_slash: false,
            ws_subprotocol: false,
            max_frame_bytes: frame::DEFAULT_MAX_FRAME_BYTES,
            max_queued_calls: 1024,
            token_refresh_margin_ms: 60_000,
            download_wait: DownloadWait::default(),
        }
    }
}

/// Identifies one call made with [`TrueConfSession::call`] or [`TrueConfSession::call_raw`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId(pub u64);

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "call #{}", self.0)
    }
}

/// Where the session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionState {
    /// Not started.
    Idle,
    /// Asking the server for its version.
    Probing,
    /// Asking for a token.
    FetchingToken,
    /// Waiting for the host to open the socket.
    Connecting,
    /// `auth` sent, waiting for its answer.
    Authenticating,
    /// Authorised: calls go out at once.
    Connected,
    /// Waiting to reconnect.
    Reconnecting {
        /// When the next attempt starts.
        at: Timestamp,
    },
    /// Stopped (by [`TrueConfSession::stop`], a permanent failure, or too many attempts).
    Stopped,
}

/// Why the connection went away (or could not be made).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// The host reported the socket closed.
    Closed,
    /// The socket closed (or did not open in time) before it was open.
    OpenFailed,
    /// No pong or frame within the keep-alive timeout.
    KeepAliveTimeout,
    /// No answer to `auth` within the request timeout.
    AuthTimeout,
    /// `auth` was refused with a retryable error or answered malformed.
    AuthFailed(TrueConfError),
    /// The server said the credentials expired (203): a fresh token is fetched and the
    /// session reconnects at once.
    CredentialsExpired,
    /// The token request failed in a retryable way.
    TokenFailed(TrueConfError),
}

impl DisconnectReason {
    fn into_error(self) -> TrueConfError {
        match self {
            DisconnectReason::AuthFailed(e) | DisconnectReason::TokenFailed(e) => e,
            DisconnectReason::CredentialsExpired => TrueConfError::Server {
                code: ErrorCode::CREDENTIALS_EXPIRED,
                description: None,
            },
            _ => TrueConfError::Disconnected,
        }
    }
}

/// Something the host should know.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SessionEvent {
    /// `auth` succeeded on a new socket.
    Connected {
        /// `userId` as the server sent it (may end in `/resource`).
        user_id: String,
        /// The bot's own id: `user_id` before the first `/`.
        bot_id: String,
        /// `connectionId`.
        connection_id: String,
        /// What the version probe learned, if it ran and succeeded.
        server: Option<ServerInfo>,
    },
    /// The connection is gone (or an attempt failed). Calls in flight were settled with
    /// [`TrueConfError::Disconnected`]; queued calls wait for the next connection.
    Disconnected {
        /// Why.
        reason: DisconnectReason,
        /// When the next attempt starts; `None` when the session stops instead.
        reconnect_at: Option<Timestamp>,
    },
    /// A server event, already acknowledged (the [`Typed`] form).
    Server {
        /// The frame's id (already acknowledged).
        frame_id: u64,
        /// The event (boxed: typed events are large).
        event: Box<ServerEvent>,
        /// The frame's payload as received (JSON text).
        raw: String,
    },
    /// A server event, already acknowledged, kept as received (the [`Json`] form).
    ServerJson {
        /// The frame's id (already acknowledged).
        frame_id: u64,
        /// The frame's `method`.
        method: String,
        /// The frame's payload as received (JSON text).
        raw: String,
    },
    /// The answer to a call.
    Response {
        /// The call.
        call: CallId,
        /// Its method.
        method: String,
        /// The payload, or the error (server `errorCode`, timeout, disconnect, stop).
        result: Result<RawPayload, TrueConfError>,
    },
    /// An upload progressed.
    Upload {
        /// The upload.
        upload: UploadId,
        /// How far it got.
        progress: UploadStage,
    },
    /// An upload finished.
    UploadDone {
        /// The upload.
        upload: UploadId,
        /// The ids of the stored file and message, or the error.
        result: Result<UploadResult, TrueConfError>,
    },
    /// A download finished.
    DownloadDone {
        /// The download.
        download: DownloadId,
        /// The file, or the error.
        result: Result<Downloaded, TrueConfError>,
    },
    /// A frame could not be used (not JSON, wrong fields, too large, an answer to an unknown
    /// id). It was acknowledged when its id could be read; the session carries on.
    Malformed {
        /// What was wrong (never the frame's content).
        reason: String,
    },
    /// Something worth logging that changes nothing (a failed probe, an old server version,
    /// unavailable upload limits).
    Notice {
        /// The message.
        message: String,
    },
    /// The session stopped; every call, upload and download was settled.
    Stopped {
        /// `None` after [`TrueConfSession::stop`]; the error after a permanent failure or too
        /// many failed attempts.
        error: Option<TrueConfError>,
    },
}

impl SessionEvent {
    /// For a [`SessionEvent::Response`], its result parsed into `T` (for a typed call,
    /// `M::Response`); `None` for other events.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Option<Result<T, TrueConfError>> {
        match self {
            SessionEvent::Response { result, .. } => Some(match result {
                Ok(raw) => raw.parse(),
                Err(e) => Err(e.clone()),
            }),
            _ => None,
        }
    }
}

/// What the host must do or know.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub enum Output {
    /// Perform this HTTP request and answer `id` exactly once.
    Http {
        /// The id to answer.
        id: RequestId,
        /// The request.
        request: HttpRequest,
    },
    /// Open a WebSocket; report [`TrueConfSession::handle_ws_opened`] or
    /// [`TrueConfSession::handle_ws_closed`] for `conn`.
    WsOpen {
        /// The connection's id.
        conn: ConnId,
        /// `ws://` or `wss://` URL.
        url: String,
        /// Subprotocols to offer (`Sec-WebSocket-Protocol`); empty for none.
        protocols: Vec<String>,
    },
    /// Send this text frame.
    WsSend {
        /// The connection.
        conn: ConnId,
        /// The frame.
        text: String,
    },
    /// Send a protocol ping; report the pong with [`TrueConfSession::handle_ws_pong`].
    WsPing {
        /// The connection.
        conn: ConnId,
    },
    /// Close the socket. The session has already forgotten it: frames that still arrive on
    /// it are refused, and reporting its closure is optional.
    WsClose {
        /// The connection.
        conn: ConnId,
    },
    /// An event.
    Event(SessionEvent),
}

impl fmt::Debug for Output {
    // Outputs are logged: the auth frame carries the token, download URLs a credential.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Output::Http { id, request } => f
                .debug_struct("Http")
                .field("id", id)
                .field("method", &request.method)
                .field("url", &redact_query(&request.redacted_url()))
                .field("body_len", &request.body.len())
                .finish(),
            Output::WsOpen {
                conn,
                url,
                protocols,
            } => f
                .debug_struct("WsOpen")
                .field("conn", conn)
                .field("url", url)
                .field("protocols", protocols)
                .finish(),
            Output::WsSend { conn, text } => {
                let shown: &str = if text.contains("\"method\":\"auth\"") {
                    "<auth frame, token redacted>"
                } else {
                    text
                };
                f.debug_struct("WsSend")
                    .field("conn", conn)
                    .field("text", &shown)
                    .finish()
            }
            Output::WsPing { conn } => f.debug_struct("WsPing").field("conn", conn).finish(),
            Output::WsClose { conn } => f.debug_struct("WsClose").field("conn", conn).finish(),
            Output::Event(e) => f.debug_tuple("Event").field(e).finish(),
        }
    }
}

/// An input about an id the session never issued, no longer uses, or was already told about.
/// Nothing changes when one is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ContractError {
    /// An HTTP request id never issued or already answered.
    #[error("{0} is unknown or was already answered")]
    UnknownRequest(RequestId),
    /// A connection id never issued or already reported closed.
    #[error("{0} is unknown or was already reported closed")]
    UnknownConnection(ConnId),
    /// A connection the session already closed or replaced: its input is ignored.
    #[error("{0} is no longer in use")]
    StaleConnection(ConnId),
    /// A frame or pong on a connection not reported open yet.
    #[error("{0} was not reported open")]
    NotOpen(ConnId),
    /// A second `opened` report.
    #[error("{0} was already reported open")]
    AlreadyOpen(ConnId),
}

// ---- internals ----

/// Who waits for an answer on the socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    User(CallId),
    Limits,
    Upload(UploadId),
    Download(DownloadId),
}

/// A request to send on the socket, queued or in flight.
#[derive(Debug)]
struct Job {
    owner: Owner,
    method: String,
    payload: String,
    /// Already re-sent once after error 203.
    retried: bool,
}

#[derive(Debug)]
struct InFlight {
    job: Job,
    deadline: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenStep {
    Password,
    AppWebToken,
    AppCode,
    AppJwt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HttpPurpose {
    ProbeServer,
    ProbeConnects,
    ProbeStatus,
    Token(TokenStep),
    Upload(UploadId),
    Download(DownloadId),
    /// Issued before a stop: its answer is accepted and ignored.
    Abandoned,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Idle,
    Probing,
    FetchingToken,
    /// `conn` is set.
    Socket,
    Waiting(Timestamp),
    Stopped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConnState {
    Opening { deadline: Timestamp },
    Authenticating { deadline: Timestamp },
    Ready,
}

#[derive(Debug)]
struct Conn {
    id: ConnId,
    state: ConnState,
    /// The next request id on this connection; `auth` takes 1.
    next_frame_id: u64,
    // Values boxed: maps whose keys and values have the same layout share one copy of the
    // B-tree code in the WebAssembly module (bindings-wasm/SIZE.md).
    in_flight: BTreeMap<u64, Box<InFlight>>,
    timed_out: VecDeque<u64>,
    ping_at: Option<Timestamp>,
    pong_deadline: Option<Timestamp>,
    /// The token used on this socket was fetched for this attempt.
    fresh_token: bool,
    /// `getFileUploadLimits` is in flight: queued uploads wait for its answer so that they
    /// are checked against this server's limits before they start.
    limits_pending: bool,
}

impl Conn {
    fn take_frame_id(&mut self) -> u64 {
        let id = self.next_frame_id;
        self.next_frame_id += 1;
        id
    }
}

/// How a session hands out server events: typed ([`Typed`], the default:
/// [`SessionEvent::Server`]) or kept as received ([`Json`]: [`SessionEvent::ServerJson`]).
/// The choice is a type parameter, so a program that uses only the [`Json`] form does not
/// contain the typed event decoders ([`parse_event`] and the types it builds).
pub trait EventForm: sealed::Sealed + fmt::Debug + 'static {
    /// Whether server events stay JSON text.
    #[doc(hidden)]
    const KEEPS_JSON: bool;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Typed {}
    impl Sealed for super::Json {}
}

/// Server events typed with [`parse_event`] ([`SessionEvent::Server`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Typed;

impl EventForm for Typed {
    const KEEPS_JSON: bool = false;
}

/// Server events kept as their method and payload text ([`SessionEvent::ServerJson`]); the
/// session reads only the author of `sendMessage` events (to drop the bot's own messages).
#[derive(Debug, Clone, Copy, Default)]
pub struct Json;

impl EventForm for Json {
    const KEEPS_JSON: bool = true;
}

/// The TrueConf session. See the module docs. `F` chooses how server events are handed out
/// ([`Typed`] by default, or [`Json`]).
pub struct TrueConfSession<F: EventForm = Typed> {
    config: SessionConfig,
    base: String,
    rng: SeededRng,
    ids: IdAllocator,
    next_call: u64,
    next_upload: u64,
    next_download: u64,
    out: VecDeque<Output>,
    phase: Phase,
    conn: Option<Conn>,
    retired: VecDeque<ConnId>,
    http: HashMap<RequestId, HttpPurpose>,
    queue: VecDeque<Job>,
    token: Option<String>,
    token_exp: Option<i64>,
    /// A token was fetched for the current attempt.
    token_fresh: bool,
    /// The next attempt must fetch a new token (after 203).
    refresh_token: bool,
    /// Wall clock minus monotonic clock (ms), once the host told it.
    wall_offset_ms: Option<i64>,
    failures: u32,
    fatal: Option<TrueConfError>,
    server: Option<ServerInfo>,
    user_id: Option<String>,
    connection_id: Option<String>,
    limits: Option<serde_json::Value>,
    // Values boxed: maps whose keys and values have the same layout share one copy of the
    // B-tree code in the WebAssembly module (bindings-wasm/SIZE.md).
    uploads: BTreeMap<UploadId, Box<UploadFlow>>,
    downloads: BTreeMap<DownloadId, Box<DownloadFlow>>,
    form: PhantomData<F>,
}

impl<F: EventForm> fmt::Debug for TrueConfSession<F> {
    // A summary: the token, payloads and file bytes stay out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrueConfSession")
            .field("state", &self.state())
            .field("config", &self.config)
            .field("conn", &self.conn.as_ref().map(|c| c.id))
            .field("pending_calls", &self.pending_calls())
            .field("queued_calls", &self.queued_calls())
            .field("http_in_flight", &self.http.len())
            .field("uploads", &self.uploads.len())
            .field("downloads", &self.downloads.len())
            .field("failures", &self.failures)
            .field("fatal", &self.fatal)
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

impl TrueConfSession {
    /// A session handing out typed server events; nothing happens until
    /// [`start`](Self::start).
    pub fn new(config: SessionConfig) -> Self {
        Self::with_form(config)
    }
}

impl TrueConfSession<Json> {
    /// A session handing out server events as received ([`SessionEvent::ServerJson`]);
    /// nothing happens until [`start`](Self::start).
    pub fn new_json(config: SessionConfig) -> Self {
        Self::with_form(config)
    }
}

impl<F: EventForm> TrueConfSession<F> {
    /// A session handing out server events in form `F`; nothing happens until
    /// [`start`](Self::start).
    pub fn with_form(config: SessionConfig) -> Self {
        let base = auth::base_url(config.https, &config.host, config.port);
        let token = match &config.credentials {
            Credentials::Token(t) => Some(t.clone()),
            _ => None,
        };
        let token_exp = token.as_deref().and_then(|t| auth::jwt_expiry(t).ok());
        TrueConfSession {
            rng: SeededRng::new(config.seed),
            config,
            base,
            ids: IdAllocator::default(),
            next_call: 0,
            next_upload: 0,
            next_download: 0,
            out: VecDeque::new(),
            phase: Phase::Idle,
            conn: None,
            retired: VecDeque::new(),
            http: HashMap::new(),
            queue: VecDeque::new(),
            token,
            token_exp,
            token_fresh: false,
            refresh_token: false,
            wall_offset_ms: None,
            failures: 0,
            fatal: None,
            server: None,
            user_id: None,
            connection_id: None,
            limits: None,
            uploads: BTreeMap::new(),
            downloads: BTreeMap::new(),
            form: PhantomData,
        }
    }

    // ---- accessors ----

    /// The settings.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// Where the session is.
    pub fn state(&self) -> SessionState {
        match self.phase {
            Phase::Idle => SessionState::Idle,
            Phase::Probing => SessionState::Probing,
            Phase::FetchingToken => SessionState::FetchingToken,
            Phase::Waiting(at) => SessionState::Reconnecting { at },
            Phase::Stopped => SessionState::Stopped,
            Phase::Socket => match self.conn.as_ref().map(|c| c.state) {
                Some(ConnState::Ready) => SessionState::Connected,
                Some(ConnState::Authenticating { .. }) => SessionState::Authenticating,
                _ => SessionState::Connecting,
            },
        }
    }

    /// `userId` of the last successful `auth` (may end in `/resource`).
    pub fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }

    /// The bot's own id: [`user_id`](Self::user_id) before the first `/`.
    pub fn bot_id(&self) -> Option<&str> {
        self.user_id.as_deref().map(auth::bot_id)
    }

    /// `connectionId` of the last successful `auth`.
    pub fn connection_id(&self) -> Option<&str> {
        self.connection_id.as_deref()
    }

    /// What the version probe learned.
    pub fn server_info(&self) -> Option<&ServerInfo> {
        self.server.as_ref()
    }

    /// The cached upload limits (`{maxSize, extensions}`), from the answer to
    /// `getFileUploadLimits` and updated by its event.
    pub fn upload_limits(&self) -> Option<&serde_json::Value> {
        self.limits.as_ref()
    }

    /// Requests sent on the socket and not answered yet (the session's own included).
    pub fn pending_calls(&self) -> usize {
        self.conn.as_ref().map_or(0, |c| c.in_flight.len())
    }

    /// Requests waiting for an authorised connection.
    pub fn queued_calls(&self) -> usize {
        self.queue.len()
    }

    /// The permanent error that stopped the session, if any.
    pub fn fatal_error(&self) -> Option<&TrueConfError> {
        self.fatal.as_ref()
    }

    /// The JWT `exp` (Unix seconds) of the current token, when it could be read.
    pub fn token_expiry(&self) -> Option<i64> {
        self.token_exp
    }

    // ---- commands ----

    /// Tells the session the wall clock: at monotonic time `now` it is `unix_ms` milliseconds
    /// since the Unix epoch. Used to compare the token's JWT `exp` before (re)connecting.
    pub fn set_wall_clock(&mut self, now: Timestamp, unix_ms: i64) {
        self.wall_offset_ms = Some(unix_ms.saturating_sub(now.min(i64::MAX as u64) as i64));
    }

    /// Starts the session: probe (when enabled), token, socket. Idempotent while running;
    /// restarts a session stopped with [`stop`](Self::stop).
    ///
    /// # Errors
    /// The sticky error of a session stopped by a permanent failure (nothing happens then).
    pub fn start(&mut self, now: Timestamp) -> Result<(), TrueConfError> {
        if let Some(e) = &self.fatal {
            return Err(e.clone());
        }
        if !matches!(self.phase, Phase::Idle | Phase::Stopped) {
            return Ok(());
        }
        self.failures = 0;
        if self.config.probe_version {
            self.phase = Phase::Probing;
            let request = auth::server_info_request(&self.base);
            self.issue_http(HttpPurpose::ProbeServer, request, true);
        } else {
            self.begin_attempt(now);
        }
        Ok(())
    }

    /// Stops gracefully: no more reconnects; every call in flight or queued is answered with
    /// [`TrueConfError::Stopped`], every upload and download finishes with it; the socket is
    /// closed; [`SessionEvent::Stopped`] follows. HTTP requests still out may be answered
    /// (the answers are ignored). [`start`](Self::start) may be called again afterwards.
    pub fn stop(&mut self, now: Timestamp) {
        if self.phase != Phase::Stopped {
            self.shut_down(now, None);
        }
    }

    /// Sends a typed call (queued until the socket is authorised); its answer arrives as
    /// [`SessionEvent::Response`] for the returned id, to be read with
    /// [`SessionEvent::parse`]`::<M::Response>()`.
    ///
    /// # Errors
    /// [`TrueConfError::Stopped`] after a stop; [`TrueConfError::InvalidArgument`] when the
    /// arguments do not serialise to an object or the queue is full.
    pub fn call<M: Method>(&mut self, now: Timestamp, method: &M) -> Result<CallId, TrueConfError> {
        let payload = serde_json::to_string(method)
            .map_err(|e| TrueConfError::InvalidArgument(e.to_string()))?;
        self.call_raw(now, M::NAME, &payload)
    }

    /// Sends a call named at run time with a JSON object as its payload (`""` means `{}`).
    ///
    /// # Errors
    /// As [`call`](Self::call); also [`TrueConfError::InvalidArgument`] for an empty method
    /// name, `auth` (the session's own), or a payload that is not a JSON object.
    pub fn call_raw(
        &mut self,
        now: Timestamp,
        method: &str,
        payload_json: &str,
    ) -> Result<CallId, TrueConfError> {
        if method.is_empty() || method == "auth" {
            return Err(TrueConfError::InvalidArgument(format!(
                "method {method:?} cannot be called"
            )));
        }
        let payload = if payload_json.trim().is_empty() {
            "{}".to_owned()
        } else {
            let is_object = serde_json::from_str::<&serde_json::value::RawValue>(payload_json)
                .map(|raw| raw.get().starts_with('{'))
                .unwrap_or(false);
            if !is_object {
                return Err(TrueConfError::InvalidArgument(
                    "the payload is not a JSON object".into(),
                ));
            }
            payload_json.trim().to_owned()
        };
        self.admit()?;
        self.next_call += 1;
        let call = CallId(self.next_call);
        self.submit(
            now,
            Job {
                owner: Owner::User(call),
                method: method.to_owned(),
                payload,
                retried: false,
            },
        );
        Ok(call)
    }

    /// Sends a file into a chat: `uploadFile`, the HTTP upload, `sendFile`. Progress arrives
    /// as [`SessionEvent::Upload`], the end as [`SessionEvent::UploadDone`].
    ///
    /// # Errors
    /// [`TrueConfError::InvalidArgument`] when the cached upload limits refuse the file's size
    /// or extension, or the queue is full (nothing is sent then); [`TrueConfError::Stopped`].
    pub fn upload_file(
        &mut self,
        now: Timestamp,
        file: FileToSend,
    ) -> Result<UploadId, TrueConfError> {
        let target = UploadTarget::Message {
            chat_id: file.chat_id,
            caption: file.caption,
            reply_message_id: file.reply_message_id,
        };
        self.start_upload(
            now,
            target,
            &file.file_name,
            file.mime_type,
            file.bytes,
            file.preview,
        )
    }

    /// Sets a chat's avatar: `uploadFile`, the HTTP upload, `editChatAvatar`.
    ///
    /// # Errors
    /// As [`upload_file`](Self::upload_file).
    pub fn upload_avatar(
        &mut self,
        now: Timestamp,
        chat_id: impl Into<String>,
        file_name: &str,
        mime_type: impl Into<String>,
        bytes: Vec<u8>,
    ) -> Result<UploadId, TrueConfError> {
        let target = UploadTarget::Avatar {
            chat_id: chat_id.into(),
        };
        self.start_upload(now, target, file_name, mime_type.into(), bytes, None)
    }

    /// Downloads a file: `getFileInfo`, waiting for the sender's upload to finish when needed,
    /// then `GET downloadUrl`. The end arrives as [`SessionEvent::DownloadDone`].
    ///
    /// # Errors
    /// [`TrueConfError::InvalidArgument`] for an empty file id or a full queue;
    /// [`TrueConfError::Stopped`].
    pub fn download(&mut self, now: Timestamp, file_id: &str) -> Result<DownloadId, TrueConfError> {
        if file_id.is_empty() {
            return Err(TrueConfError::InvalidArgument("empty file id".into()));
        }
        self.admit()?;
        self.next_download += 1;
        let id = DownloadId(self.next_download);
        let flow = DownloadFlow::new(file_id.to_owned(), self.config.download_wait);
        let first = flow.start();
        self.downloads.insert(id, Box::new(flow));
        self.apply_download(now, id, vec![first]);
        Ok(id)
    }

    // ---- inputs ----

    /// Reports the answer to HTTP request `id`.
    ///
    /// # Errors
    /// [`ContractError::UnknownRequest`] for an id never issued or already answered.
    pub fn handle_http_response(
        &mut self,
        now: Timestamp,
        id: RequestId,
        status: u16,
        body: &[u8],
    ) -> Result<(), ContractError> {
        let purpose = self
            .http
            .remove(&id)
            .ok_or(ContractError::UnknownRequest(id))?;
        match purpose {
            HttpPurpose::ProbeServer => match auth::parse_server_info(status, body) {
                Ok(info) => self.probe_done(now, info),
                Err(TrueConfError::Http { .. }) => {
                    let request = auth::connects_request(&self.base);
                    self.issue_http(HttpPurpose::ProbeConnects, request, true);
                }
                Err(e) => self.probe_failed(now, e),
            },
            HttpPurpose::ProbeConnects => match auth::parse_connects_port(status, body) {
                Ok(port) => {
                    let request = auth::vsstatus_request(&self.config.host, port);
                    self.issue_http(HttpPurpose::ProbeStatus, request, true);
                }
                Err(e) => self.probe_failed(now, e),
            },
            HttpPurpose::ProbeStatus => match auth::parse_vsstatus(status, body) {
                Ok(version) => self.probe_done(
                    now,
                    ServerInfo {
                        version,
                        domain: None,
                    },
                ),
                Err(e) => self.probe_failed(now, e),
            },
            HttpPurpose::Token(step) => self.on_token_answer(now, step, status, body),
            HttpPurpose::Upload(upload) => {
                if let Some(flow) = self.uploads.get_mut(&upload) {
                    let steps = flow.on_http(status, body);
                    self.apply_upload(now, upload, steps);
                }
            }
            HttpPurpose::Download(download) => {
                if let Some(flow) = self.downloads.get_mut(&download) {
                    let steps = flow.on_http(status, body);
                    self.apply_download(now, download, steps);
                }
            }
            HttpPurpose::Abandoned => {}
        }
        Ok(())
    }

    /// Reports that HTTP request `id` failed without an answer.
    ///
    /// # Errors
    /// [`ContractError::UnknownRequest`] for an id never issued or already answered.
    pub fn handle_http_error(
        &mut self,
        now: Timestamp,
        id: RequestId,
        kind: HttpErrorKind,
    ) -> Result<(), ContractError> {
        let purpose = self
            .http
            .remove(&id)
            .ok_or(ContractError::UnknownRequest(id))?;
        let error = TrueConfError::Transport(kind);
        match purpose {
            HttpPurpose::ProbeServer | HttpPurpose::ProbeConnects | HttpPurpose::ProbeStatus => {
                self.probe_failed(now, error)
            }
            HttpPurpose::Token(_) => self.token_failed(now, error),
            HttpPurpose::Upload(upload) => {
                if let Some(flow) = self.uploads.get_mut(&upload) {
                    let steps = flow.on_http_error(kind);
                    self.apply_upload(now, upload, steps);
                }
            }
            HttpPurpose::Download(download) => {
                if let Some(flow) = self.downloads.get_mut(&download) {
                    let steps = flow.on_http_error(kind);
                    self.apply_download(now, download, steps);
                }
            }
            HttpPurpose::Abandoned => {}
        }
        Ok(())
    }

    /// Reports that the socket `conn` is open: `auth` goes out as its request 1.
    ///
    /// # Errors
    /// [`ContractError`] for an unknown, stale or already open connection.
    pub fn handle_ws_opened(&mut self, now: Timestamp, conn: ConnId) -> Result<(), ContractError> {
        let timeout = self.config.request_timeout_ms;
        let keep_alive = self.config.keep_alive;
        let c = self.current_conn(conn)?;
        if !matches!(c.state, ConnState::Opening { .. }) {
            return Err(ContractError::AlreadyOpen(conn));
        }
        c.state = ConnState::Authenticating {
            deadline: now.saturating_add(timeout),
        };
        c.ping_at = keep_alive.map(|k| now.saturating_add(k.interval_ms));
        let id = c.take_frame_id();
        let token = self.token.clone().unwrap_or_default();
        let payload = auth::auth_payload(
            &token,
            self.config.receive_unread,
            self.config.receive_system_envelopes,
        );
        let text = frame::encode_request(id, "auth", &payload);
        self.out.push_back(Output::WsSend { conn, text });
        Ok(())
    }

    /// Reports a text frame received on `conn`. A request frame is acknowledged at once,
    /// before its payload is looked at.
    ///
    /// # Errors
    /// [`ContractError`] for an unknown or stale connection, or one not reported open (the
    /// frame is ignored then).
    pub fn handle_ws_frame(
        &mut self,
        now: Timestamp,
        conn: ConnId,
        text: &str,
    ) -> Result<(), ContractError> {
        let c = self.current_conn(conn)?;
        if matches!(c.state, ConnState::Opening { .. }) {
            return Err(ContractError::NotOpen(conn));
        }
        // Any frame shows the connection is alive.
        c.pong_deadline = None;
        match frame::parse(text, self.config.max_frame_bytes) {
            Ok(Frame::Request {
                id,
                method,
                payload,
            }) => {
                self.acknowledge(conn, id);
                self.on_server_request(now, id, &method, payload);
            }
            Ok(Frame::Response { id, payload }) => self.on_response(now, id, payload),
            Err(e) => {
                if let Some(id) = e.request_id() {
                    self.acknowledge(conn, id);
                }
                self.emit(SessionEvent::Malformed {
                    reason: e.to_string(),
                });
            }
        }
        Ok(())
    }

    /// Reports a pong on `conn`.
    ///
    /// # Errors
    /// [`ContractError`] for an unknown, stale or unopened connection.
    pub fn handle_ws_pong(&mut self, _now: Timestamp, conn: ConnId) -> Result<(), ContractError> {
        let c = self.current_conn(conn)?;
        if matches!(c.state, ConnState::Opening { .. }) {
            return Err(ContractError::NotOpen(conn));
        }
        c.pong_deadline = None;
        Ok(())
    }

    /// Reports that `conn` closed (or failed to open). In-flight calls are answered with
    /// [`TrueConfError::Disconnected`] and a reconnect is scheduled.
    ///
    /// # Errors
    /// [`ContractError::UnknownConnection`] for an id never issued or already reported closed.
    pub fn handle_ws_closed(&mut self, now: Timestamp, conn: ConnId) -> Result<(), ContractError> {
        if let Some(pos) = self.retired.iter().position(|c| *c == conn) {
            self.retired.remove(pos);
            return Ok(());
        }
        let Some(c) = self.conn.as_ref().filter(|c| c.id == conn) else {
            return Err(ContractError::UnknownConnection(conn));
        };
        let reason = match c.state {
            ConnState::Opening { .. } => DisconnectReason::OpenFailed,
            _ => DisconnectReason::Closed,
        };
        self.connection_failed(now, reason, false);
        Ok(())
    }

    /// Lets time pass: reconnects, request timeouts, keep-alive, download waits. Calls before
    /// [`poll_timeout`](Self::poll_timeout) do nothing.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        if let Phase::Waiting(at) = self.phase {
            if now >= at {
                self.begin_attempt(now);
            }
        }
        self.connection_timers(now);
        let due: Vec<DownloadId> = self
            .downloads
            .iter()
            .filter(|(_, f)| f.deadline().is_some_and(|d| now >= d))
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            if let Some(flow) = self.downloads.get_mut(&id) {
                let steps = flow.on_timeout(now);
                self.apply_download(now, id, steps);
            }
        }
    }

    /// The next output, or `None` when there is nothing to do.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// When to call [`handle_timeout`](Self::handle_timeout) next.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        let mut next: Option<Timestamp> = None;
        let mut consider = |t: Option<Timestamp>| {
            if let Some(t) = t {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        };
        if let Phase::Waiting(at) = self.phase {
            consider(Some(at));
        }
        if let Some(c) = &self.conn {
            match c.state {
                ConnState::Opening { deadline } | ConnState::Authenticating { deadline } => {
                    consider(Some(deadline))
                }
                ConnState::Ready => {}
            }
            consider(c.ping_at);
            consider(c.pong_deadline);
            consider(c.in_flight.values().map(|f| f.deadline).min());
        }
        for flow in self.downloads.values() {
            consider(flow.deadline());
        }
        next
    }

    // ---- connection lifecycle ----

    fn emit(&mut self, event: SessionEvent) {
        self.out.push_back(Output::Event(event));
    }

    fn notice(&mut self, message: String) {
        self.emit(SessionEvent::Notice { message });
    }

    fn issue_http(
        &mut self,
        purpose: HttpPurpose,
        mut request: HttpRequest,
        timed: bool,
    ) -> RequestId {
        if timed && request.timeout_ms.is_none() {
            request.timeout_ms = Some(self.config.request_timeout_ms);
        }
        let id = self.ids.next_request();
        self.http.insert(id, purpose);
        self.out.push_back(Output::Http { id, request });
        id
    }

    fn current_conn(&mut self, conn: ConnId) -> Result<&mut Conn, ContractError> {
        if self.retired.contains(&conn) {
            return Err(ContractError::StaleConnection(conn));
        }
        match self.conn.as_mut() {
            Some(c) if c.id == conn => Ok(c),
            _ => Err(ContractError::UnknownConnection(conn)),
        }
    }

    fn probe_done(&mut self, now: Timestamp, info: ServerInfo) {
        match info.version.support() {
            VersionSupport::Full => {}
            VersionSupport::Degraded => self.notice(format!(
                "server {} predates 5.5.6: no buttons or commands",
                info.version
            )),
            _ => self.notice(format!(
                "server {} predates 5.5.3: the bot API may not work",
                info.version
            )),
        }
        self.server = Some(info);
        if self.phase == Phase::Probing {
            self.begin_attempt(now);
        }
    }

    fn probe_failed(&mut self, now: Timestamp, error: TrueConfError) {
        self.notice(format!(
            "version probe failed ({error}); assuming 5.5.6 or later"
        ));
        if self.phase == Phase::Probing {
            self.begin_attempt(now);
        }
    }

    fn token_expired(&self, now: Timestamp) -> bool {
        match (self.token_exp, self.wall_offset_ms) {
            (Some(exp), Some(offset)) => {
                let wall = (now.min(i64::MAX as u64) as i64).saturating_add(offset);
                let margin = self.config.token_refresh_margin_ms.min(i64::MAX as u64) as i64;
                exp.saturating_mul(1000).saturating_sub(margin) <= wall
            }
            _ => false,
        }
    }

    /// One connection attempt: a token when needed, then the socket.
    fn begin_attempt(&mut self, now: Timestamp) {
        let needs_token = self.token.is_none() || self.refresh_token || self.token_expired(now);
        let request = match &self.config.credentials {
            Credentials::Password { username, password } if needs_token => Some((
                TokenStep::Password,
                auth::password_token_request(&self.base, username, password),
            )),
            Credentials::OAuthApp {
                client_id,
                username,
                password,
            } if needs_token => Some((
                TokenStep::AppWebToken,
                auth::oauth_app_token_request(&self.base, client_id, username, password),
            )),
            // A given token cannot be renewed: it is used as is.
            _ => None,
        };
        match request {
            Some((step, request)) => {
                self.phase = Phase::FetchingToken;
                self.issue_http(HttpPurpose::Token(step), request, true);
            }
            None => {
                self.token_fresh = false;
                self.open_socket(now);
            }
        }
    }

    fn on_token_answer(&mut self, now: Timestamp, step: TokenStep, status: u16, body: &[u8]) {
        if self.phase != Phase::FetchingToken {
            return;
        }
        match step {
            TokenStep::Password | TokenStep::AppJwt => match auth::parse_token(status, body) {
                Ok(token) => {
                    self.token_exp = auth::jwt_expiry(&token).ok();
                    self.token = Some(token);
                    self.token_fresh = true;
                    self.refresh_token = false;
                    self.open_socket(now);
                }
                Err(e) => self.token_failed(now, e),
            },
            TokenStep::AppWebToken => match auth::parse_web_api_token(status, body) {
                Ok(web_token) => {
                    let Credentials::OAuthApp { username, .. } = &self.config.credentials else {
                        return;
                    };
                    let request =
                        auth::web_rest_api_token_request(&self.base, username, &web_token);
                    self.issue_http(HttpPurpose::Token(TokenStep::AppCode), request, true);
                }
                Err(e) => self.token_failed(now, e),
            },
            TokenStep::AppCode => match auth::parse_authorization_code(status, body) {
                Ok(code) => {
                    let request = auth::authorization_code_request(&self.base, &code);
                    self.issue_http(HttpPurpose::Token(TokenStep::AppJwt), request, true);
                }
                Err(e) => self.token_failed(now, e),
            },
        }
    }

    fn token_failed(&mut self, now: Timestamp, error: TrueConfError) {
        if self.phase != Phase::FetchingToken {
            return;
        }
        if auth::is_permanent_token_failure(&error) {
            self.fail_for_good(now, error);
        } else {
            self.schedule_reconnect(now, DisconnectReason::TokenFailed(error));
        }
    }

    fn open_socket(&mut self, now: Timestamp) {
        let id = self.ids.next_conn();
        self.conn = Some(Conn {
            id,
            state: ConnState::Opening {
                deadline: now.saturating_add(self.config.request_timeout_ms),
            },
            next_frame_id: 1,
            in_flight: BTreeMap::new(),
            timed_out: VecDeque::new(),
            ping_at: None,
            pong_deadline: None,
            fresh_token: self.token_fresh,
            limits_pending: false,
        });
        self.phase = Phase::Socket;
        let protocols = if self.config.ws_subprotocol {
            vec!["json.v1".to_owned()]
        } else {
            vec![]
        };
        self.out.push_back(Output::WsOpen {
            conn: id,
            url: auth::ws_url(
                self.config.https,
                &self.config.host,
                self.config.port,
                self.config.ws_trailing_slash,
            ),
            protocols,
        });
    }

    /// Forgets the current socket (asking the host to close it when `close`) and answers its
    /// in-flight calls with `error`.
    fn drop_connection(&mut self, now: Timestamp, close: bool, error: TrueConfError) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        if close {
            self.out.push_back(Output::WsClose { conn: conn.id });
            self.retired.push_back(conn.id);
            while self.retired.len() > RETIRED_MEMORY {
                self.retired.pop_front();
            }
        }
        for (_, in_flight) in conn.in_flight {
            self.settle(now, in_flight.job, Err(error.clone()));
        }
    }

    /// The socket failed or closed: settle its calls, then reconnect after a backoff.
    fn connection_failed(&mut self, now: Timestamp, reason: DisconnectReason, close: bool) {
        self.drop_connection(now, close, TrueConfError::Disconnected);
        if self.phase == Phase::Socket {
            self.schedule_reconnect(now, reason);
        }
    }

    fn schedule_reconnect(&mut self, now: Timestamp, reason: DisconnectReason) {
        if self
            .config
            .max_attempts
            .is_some_and(|max| self.failures >= max)
        {
            self.emit(SessionEvent::Disconnected {
                reason: reason.clone(),
                reconnect_at: None,
            });
            self.shut_down(now, Some(reason.into_error()));
            return;
        }
        let delay = self.backoff_delay(self.failures);
        self.failures = self.failures.saturating_add(1);
        let at = now.saturating_add(delay);
        self.phase = Phase::Waiting(at);
        self.emit(SessionEvent::Disconnected {
            reason,
            reconnect_at: Some(at),
        });
    }

    /// `min(initial × 2^n, cap)`, less up to a fifth drawn from the seeded generator.
    fn backoff_delay(&mut self, n: u32) -> u64 {
        let base = self
            .config
            .reconnect_initial_ms
            .saturating_mul(1u64 << n.min(40))
            .min(self.config.reconnect_max_ms);
        base - self.rng.range(0, base / 5)
    }

    /// After error 203: renew the token and reconnect at once.
    fn renew_and_reconnect(&mut self, now: Timestamp) {
        self.refresh_token = true;
        self.drop_connection(now, true, TrueConfError::Disconnected);
        self.emit(SessionEvent::Disconnected {
            reason: DisconnectReason::CredentialsExpired,
            reconnect_at: Some(now),
        });
        self.begin_attempt(now);
    }

    fn fail_for_good(&mut self, now: Timestamp, error: TrueConfError) {
        self.fatal = Some(error.clone());
        self.shut_down(now, Some(error));
    }

    /// Ends everything: socket, queue, flows; HTTP answers still due are ignored.
    fn shut_down(&mut self, now: Timestamp, error: Option<TrueConfError>) {
        self.phase = Phase::Stopped;
        self.drop_connection(now, true, TrueConfError::Stopped);
        while let Some(job) = self.queue.pop_front() {
            self.settle(now, job, Err(TrueConfError::Stopped));
        }
        for purpose in self.http.values_mut() {
            *purpose = HttpPurpose::Abandoned;
        }
        for (upload, _) in std::mem::take(&mut self.uploads) {
            self.emit(SessionEvent::UploadDone {
                upload,
                result: Err(TrueConfError::Stopped),
            });
        }
        for (download, _) in std::mem::take(&mut self.downloads) {
            self.emit(SessionEvent::DownloadDone {
                download,
                result: Err(TrueConfError::Stopped),
            });
        }
        self.emit(SessionEvent::Stopped { error });
    }

    fn connection_timers(&mut self, now: Timestamp) {
        let keep_alive = self.config.keep_alive;
        let Some(c) = self.conn.as_mut() else {
            return;
        };
        match c.state {
            ConnState::Opening { deadline } if now >= deadline => {
                self.connection_failed(now, DisconnectReason::OpenFailed, true);
                return;
            }
            ConnState::Authenticating { deadline } if now >= deadline => {
                self.connection_failed(now, DisconnectReason::AuthTimeout, true);
                return;
            }
            _ => {}
        }
        if c.pong_deadline.is_some_and(|d| now >= d) {
            self.connection_failed(now, DisconnectReason::KeepAliveTimeout, true);
            return;
        }
        if let (Some(at), Some(k)) = (c.ping_at, keep_alive) {
            if now >= at {
                c.ping_at = Some(now.saturating_add(k.interval_ms));
                if c.pong_deadline.is_none() {
                    c.pong_deadline = Some(now.saturating_add(k.timeout_ms));
                }
                let conn = c.id;
                self.out.push_back(Output::WsPing { conn });
            }
        }
        let Some(c) = self.conn.as_mut() else {
            return;
        };
        let expired: Vec<u64> = c
            .in_flight
            .iter()
            .filter(|(_, f)| now >= f.deadline)
            .map(|(id, _)| *id)
            .collect();
        let mut jobs = Vec::with_capacity(expired.len());
        for id in expired {
            if let Some(f) = c.in_flight.remove(&id) {
                c.timed_out.push_back(id);
                jobs.push(f.job);
            }
        }
        while c.timed_out.len() > TIMED_OUT_MEMORY {
            c.timed_out.pop_front();
        }
        let timeout = TrueConfError::Timeout(self.config.request_timeout_ms);
        for job in jobs {
            self.settle(now, job, Err(timeout.clone()));
        }
    }

    // ---- calls ----

    fn ready(&self) -> bool {
        self.phase == Phase::Socket
            && self
                .conn
                .as_ref()
                .is_some_and(|c| c.state == ConnState::Ready)
    }

    /// Whether a new call, upload or download may be accepted.
    fn admit(&self) -> Result<(), TrueConfError> {
        if self.phase == Phase::Stopped {
            return Err(TrueConfError::Stopped);
        }
        if !self.ready() && self.queue.len() >= self.config.max_queued_calls {
            return Err(TrueConfError::InvalidArgument(format!(
                "the call queue is full ({} waiting for the connection)",
                self.queue.len()
            )));
        }
        Ok(())
    }

    fn submit(&mut self, now: Timestamp, job: Job) {
        if self.ready() && self.queue.is_empty() && !self.must_wait(&job) {
            self.write(now, job);
        } else {
            self.queue.push_back(job);
        }
    }

    /// Sends the queue in order; stops at an upload that has to wait for the limits.
    fn flush_queue(&mut self, now: Timestamp) {
        while self.ready() {
            match self.queue.front() {
                Some(job) if !self.must_wait(job) => {}
                _ => break,
            }
            if let Some(job) = self.queue.pop_front() {
                self.write(now, job);
            }
        }
    }

    /// An upload about to create its task waits while the limits are being fetched.
    fn must_wait(&self, job: &Job) -> bool {
        let Owner::Upload(upload) = job.owner else {
            return false;
        };
        self.conn.as_ref().is_some_and(|c| c.limits_pending)
            && self
                .uploads
                .get(&upload)
                .is_some_and(|flow| flow.is_creating_task())
    }

    /// Sends a job on the authorised socket.
    fn write(&mut self, now: Timestamp, job: Job) {
        if let Owner::Upload(upload) = job.owner {
            // Limits learned since the upload was accepted still refuse it before it starts.
            if let (Some(flow), Some(limits)) = (self.uploads.get(&upload), &self.limits) {
                if flow.is_creating_task() {
                    if let Err(e) = check_limits(limits, flow.file_name(), flow.size()) {
                        self.settle(now, job, Err(e));
                        return;
                    }
                }
            }
        }
        let deadline = now.saturating_add(self.config.request_timeout_ms);
        let Some(c) = self.conn.as_mut() else {
            self.queue.push_front(job);
            return;
        };
        let id = c.take_frame_id();
        let text = frame::encode_request(id, &job.method, &job.payload);
        let conn = c.id;
        let sent_upload = match job.owner {
            Owner::Upload(u) if job.method == "sendFile" || job.method == "editChatAvatar" => {
                Some(u)
            }
            _ => None,
        };
        c.in_flight.insert(id, Box::new(InFlight { job, deadline }));
        self.out.push_back(Output::WsSend { conn, text });
        if let Some(upload) = sent_upload {
            self.emit(SessionEvent::Upload {
                upload,
                progress: UploadStage::Sent,
            });
        }
    }

    fn acknowledge(&mut self, conn: ConnId, id: u64) {
        self.out.push_back(Output::WsSend {
            conn,
            text: frame::encode_ack(id),
        });
    }

    fn on_response(&mut self, now: Timestamp, id: u64, payload: Option<&str>) {
        let payload = payload.unwrap_or("{}");
        let Some(c) = self.conn.as_mut() else {
            return;
        };
        if let ConnState::Authenticating { .. } = c.state {
            if id == 1 {
                self.on_auth(now, payload);
                return;
            }
        }
        let Some(in_flight) = c.in_flight.remove(&id) else {
            if !c.timed_out.contains(&id) {
                self.emit(SessionEvent::Malformed {
                    reason: format!("a response to unknown request id {id}"),
                });
            }
            // A late answer to a request already answered by its timeout is ignored.
            return;
        };
        let result = frame::response_result(payload).map(str::to_owned);
        let job = in_flight.job;
        let renewable = !matches!(self.config.credentials, Credentials::Token(_));
        if !job.retried
            && renewable
            && matches!(&result, Err(e) if e.code() == Some(ErrorCode::CREDENTIALS_EXPIRED))
        {
            // The limits are asked for again on the next connection anyway.
            if job.owner != Owner::Limits {
                self.queue.push_front(Job {
                    retried: true,
                    ..job
                });
            }
            self.renew_and_reconnect(now);
            return;
        }
        self.settle(now, job, result);
    }

    fn on_auth(&mut self, now: Timestamp, payload: &str) {
        match auth::parse_auth_response(payload) {
            Ok(ok) => {
                let Some(c) = self.conn.as_mut() else {
                    return;
                };
                c.state = ConnState::Ready;
                self.failures = 0;
                self.emit(SessionEvent::Connected {
                    bot_id: ok.bot_id().to_owned(),
                    user_id: ok.user_id.clone(),
                    connection_id: ok.connection_id.clone(),
                    server: self.server.clone(),
                });
                self.user_id = Some(ok.user_id);
                self.connection_id = Some(ok.connection_id);
                if let Some(c) = self.conn.as_mut() {
                    c.limits_pending = true;
                }
                self.write(
                    now,
                    Job {
                        owner: Owner::Limits,
                        method: "getFileUploadLimits".into(),
                        payload: "{}".into(),
                        retried: false,
                    },
                );
                self.flush_queue(now);
            }
            Err(e) => {
                let code = e.code();
                let renewable = !matches!(self.config.credentials, Credentials::Token(_));
                let fresh = self.conn.as_ref().is_some_and(|c| c.fresh_token);
                if code.is_some_and(ErrorCode::is_permanent_auth_failure)
                    || (code == Some(ErrorCode::CREDENTIALS_EXPIRED) && !renewable)
                {
                    self.fail_for_good(now, e);
                } else if code == Some(ErrorCode::CREDENTIALS_EXPIRED) && !fresh {
                    self.renew_and_reconnect(now);
                } else {
                    if code == Some(ErrorCode::CREDENTIALS_EXPIRED) {
                        // Even a fresh token was refused as expired: try again later.
                        self.refresh_token = true;
                    }
                    self.connection_failed(now, DisconnectReason::AuthFailed(e), true);
                }
            }
        }
    }

    /// Hands a job's result to whoever waits for it.
    fn settle(&mut self, now: Timestamp, job: Job, result: Result<String, TrueConfError>) {
        match job.owner {
            Owner::User(call) => self.emit(SessionEvent::Response {
                call,
                method: job.method,
                result: result.map(RawPayload),
            }),
            Owner::Limits => {
                match result {
                    Ok(text) => match serde_json::from_str::<serde_json::Value>(&text) {
                        Ok(v) if v.is_object() => self.limits = Some(v),
                        _ => self.notice(
                            "getFileUploadLimits answered something else than an object".into(),
                        ),
                    },
                    Err(TrueConfError::Stopped | TrueConfError::Disconnected) => {}
                    Err(e) => self.notice(format!("upload limits unavailable: {e}")),
                }
                // Uploads held for the limits may go now.
                if let Some(c) = self.conn.as_mut() {
                    c.limits_pending = false;
                }
                self.flush_queue(now);
            }
            Owner::Upload(upload) => {
                if let Some(flow) = self.uploads.get_mut(&upload) {
                    let steps = flow.on_call(result.as_deref().map_err(Clone::clone));
                    self.apply_upload(now, upload, steps);
                }
            }
            Owner::Download(download) => {
                if let Some(flow) = self.downloads.get_mut(&download) {
                    let steps = flow.on_call(now, result.as_deref().map_err(Clone::clone));
                    self.apply_download(now, download, steps);
                }
            }
        }
    }

    // ---- server requests ----

    fn on_server_request(&mut self, now: Timestamp, frame_id: u64, method: &str, payload: &str) {
        match method {
            "getFileUploadLimits" => {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(payload) {
                    if v.is_object() {
                        self.limits = Some(v);
                    }
                }
            }
            "uploadFileProgress" => {
                if let Some((file_id, progress)) = parse_progress(payload) {
                    let ids: Vec<DownloadId> = self.downloads.keys().copied().collect();
                    for id in ids {
                        if let Some(flow) = self.downloads.get_mut(&id) {
                            let steps = flow.on_progress(&file_id, progress);
                            self.apply_download(now, id, steps);
                        }
                    }
                }
            }
            _ => {}
        }
        if F::KEEPS_JSON {
            if method == "sendMessage"
                && self.config.drop_own_messages
                && self.is_own_message(payload)
            {
                return;
            }
            self.emit(SessionEvent::ServerJson {
                frame_id,
                method: method.to_owned(),
                raw: payload.to_owned(),
            });
            return;
        }
        let event = parse_event(method, payload);
        if method == "sendMessage" && self.config.drop_own_messages {
            let own = match &event {
                ServerEvent::Message(envelope) => self.is_own_id(&envelope.author.id),
                _ => self.is_own_message(payload),
            };
            if own {
                return;
            }
        }
        self.emit(SessionEvent::Server {
            frame_id,
            event: Box::new(event),
            raw: payload.to_owned(),
        });
    }

    fn is_own_id(&self, author: &str) -> bool {
        self.bot_id()
            .is_some_and(|bot| auth::bot_id(author).eq_ignore_ascii_case(bot))
    }

    fn is_own_message(&self, payload: &str) -> bool {
        #[derive(Deserialize)]
        struct Author {
            id: Option<serde_json::Value>,
        }
        #[derive(Deserialize)]
        struct Envelope {
            author: Option<Author>,
        }
        let Some(bot) = self.bot_id() else {
            return false;
        };
        if !frame::is_object_text(payload) {
            return false;
        }
        let Ok(envelope) = serde_json::from_str::<Envelope>(payload) else {
            return false;
        };
        match envelope.author.and_then(|a| a.id) {
            Some(serde_json::Value::String(id)) => auth::bot_id(&id).eq_ignore_ascii_case(bot),
            _ => false,
        }
    }

    // ---- uploads and downloads ----

    fn start_upload(
        &mut self,
        now: Timestamp,
        target: UploadTarget,
        file_name: &str,
        mime_type: String,
        bytes: Vec<u8>,
        preview: Option<(Vec<u8>, String)>,
    ) -> Result<UploadId, TrueConfError> {
        self.admit()?;
        let seed = self.rng.next_u64();
        let flow = UploadFlow::new(
            self.base.clone(),
            seed,
            target,
            file_name,
            mime_type,
            bytes,
            preview,
        );
        if let Some(limits) = &self.limits {
            check_limits(limits, flow.file_name(), flow.size())?;
        }
        self.next_upload += 1;
        let id = UploadId(self.next_upload);
        let first = flow.start();
        self.uploads.insert(id, Box::new(flow));
        self.apply_upload(now, id, vec![first]);
        Ok(id)
    }

    fn apply_upload(&mut self, now: Timestamp, upload: UploadId, steps: Vec<Step<UploadResult>>) {
        for step in steps {
            match step {
                Step::Call(method, payload) => self.submit(
                    now,
                    Job {
                        owner: Owner::Upload(upload),
                        method: method.to_owned(),
                        payload,
                        retried: false,
                    },
                ),
                Step::Http(request) => {
                    self.issue_http(HttpPurpose::Upload(upload), request, false);
                }
                Step::Stage(progress) => self.emit(SessionEvent::Upload { upload, progress }),
                Step::Done(result) => {
                    self.uploads.remove(&upload);
                    self.emit(SessionEvent::UploadDone { upload, result });
                }
            }
        }
    }

    fn apply_download(
        &mut self,
        now: Timestamp,
        download: DownloadId,
        steps: Vec<Step<Downloaded>>,
    ) {
        for step in steps {
            match step {
                Step::Call(method, payload) => self.submit(
                    now,
                    Job {
                        owner: Owner::Download(download),
                        method: method.to_owned(),
                        payload,
                        retried: false,
                    },
                ),
                Step::Http(request) => {
                    self.issue_http(HttpPurpose::Download(download), request, false);
                }
                Step::Stage(_) => {}
                Step::Done(result) => {
                    self.downloads.remove(&download);
                    self.emit(SessionEvent::DownloadDone { download, result });
                }
            }
        }
    }
}
