//! Drives a TrueConf session with an arbitrary sequence of host inputs: start and stop, HTTP
//! answers with arbitrary statuses and bodies (and well-formed token, probe, upload and
//! download answers, to reach deeper states), transport errors, socket reports for issued and
//! never-issued connections, arbitrary and well-formed frames (the `auth` answer, answers to
//! the session's requests, server events with odd ids), timers early and on time, the wall
//! clock, calls, uploads and downloads.
//!
//! Besides "never panics", it checks the contracts:
//! - every HTTP request id is accepted exactly once; a second answer or an unknown id is an
//!   error and changes nothing;
//! - connection reports are accepted for the current socket (or, for a closure, one the
//!   session closed) and refused otherwise; a socket is never replaced without being closed;
//! - `auth` is request 1 of every socket, nothing else goes out before it succeeds, and request
//!   ids on a socket increase;
//! - every `type:1` frame with a readable id on an open socket gets exactly one
//!   `{"type":2,"id":N}`, before anything else, and a frame without one gets none;
//! - outputs run dry within a bound; an early timer does nothing, a timer on time is consumed;
//! - every call, upload and download gets exactly one answer, and all are answered once the
//!   session stops.
#![no_main]

use botwire_core::io::{ConnId, HttpErrorKind, RequestId, Timestamp};
use botwire_core::trueconf::frame::{self, Frame, DEFAULT_MAX_FRAME_BYTES};
use botwire_core::trueconf::session::{
    CallId, Credentials, DownloadId, DownloadWait, FileToSend, KeepAlive, Output, SessionConfig,
    SessionEvent, SessionState, TrueConfSession, UploadId,
};
use botwire_core::trueconf::TrueConfError;
use libfuzzer_sys::fuzz_target;
use std::collections::{BTreeMap, VecDeque};

const HOST: &str = "tc.example";
const BOT: &str = "bot@tc.example";
/// A token `exp` far in the future (Unix seconds, year 2096).
const FAR_EXP: i64 = 4_000_000_000;
/// The latest monotonic time the harness uses: far from `u64::MAX`, where deadlines saturate.
const LATEST: Timestamp = 1 << 62;
/// How many closed sockets the session remembers (its `RETIRED_MEMORY`).
const RETIRED_MEMORY: usize = 64;

const EVENTS: &[&str] = &[
    "sendMessage",
    "editMessage",
    "removeMessage",
    "createP2PChat",
    "createGroupChat",
    "createChannel",
    "createFavoritesChat",
    "removeChat",
    "addChatParticipant",
    "removeChatParticipant",
    "changeParticipantRole",
    "editChatTitle",
    "editChatAvatar",
    "clearHistory",
    "getFileUploadLimits",
    "uploadFileProgress",
    "command",
    "somethingNew",
];

const METHODS: &[&str] = &[
    "sendMessage",
    "getChats",
    "getChatHistory",
    "getFileInfo",
    "uploadFile",
    "getFileUploadLimits",
    "subscribeFileProgress",
    "auth",
    "",
    "a\"b",
];

const FILE_IDS: &[&str] = &["file-1", "file-2", ""];

/// Reads the fuzzer's bytes as small numbers and slices; running out gives zeros.
struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((b, rest)) => {
                self.data = rest;
                *b
            }
            None => 0,
        }
    }

    fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.byte(), self.byte()])
    }

    fn u32(&mut self) -> u32 {
        u32::from_be_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    fn bytes(&mut self) -> &'a [u8] {
        let len = usize::from(self.byte()).min(self.data.len());
        let (taken, rest) = self.data.split_at(len);
        self.data = rest;
        taken
    }

    fn text(&mut self) -> String {
        String::from_utf8_lossy(self.bytes()).into_owned()
    }

    fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
        }
    }
    out
}

/// An unsigned JWT (`{"alg":"none"}`) with the given `exp`.
fn jwt(exp: i64) -> String {
    format!(
        "eyJhbGciOiJub25lIn0.{}.",
        base64url(format!(r#"{{"sub":"bot","exp":{exp}}}"#).as_bytes())
    )
}

/// A duration of at least 1 ms (zero durations make a host that follows `poll_timeout` spin,
/// by configuration), small, large or `u64::MAX`.
fn duration(input: &mut Input<'_>) -> u64 {
    match input.byte() % 4 {
        0 => 1 + u64::from(input.byte()),
        1 => 1 + u64::from(input.u16()) * 10,
        2 => u64::MAX,
        _ => 15_000,
    }
}

fn config(input: &mut Input<'_>) -> SessionConfig {
    let flags = input.byte();
    let credentials = match flags % 4 {
        0 => Credentials::Password {
            username: "bot".into(),
            password: "pw".into(),
        },
        1 => Credentials::OAuthApp {
            client_id: "app".into(),
            username: "bot".into(),
            password: "pw".into(),
        },
        2 => Credentials::Token(jwt(FAR_EXP)),
        _ => Credentials::Token("not a jwt".into()),
    };
    let mut c = SessionConfig::new(HOST, 443, flags & 4 != 0, credentials);
    c.probe_version = flags & 8 != 0;
    c.keep_alive = (flags & 16 != 0).then(|| KeepAlive {
        interval_ms: duration(input),
        timeout_ms: duration(input),
    });
    c.drop_own_messages = flags & 32 != 0;
    c.receive_unread = flags & 64 != 0;
    c.ws_subprotocol = flags & 128 != 0;
    c.request_timeout_ms = duration(input);
    c.reconnect_initial_ms = duration(input);
    c.reconnect_max_ms = duration(input);
    c.max_attempts = match input.byte() % 4 {
        0 => None,
        n => Some(u32::from(n - 1)),
    };
    c.max_frame_bytes = match input.byte() % 3 {
        0 => DEFAULT_MAX_FRAME_BYTES,
        _ => 16 + usize::from(input.u16() % 512),
    };
    c.max_queued_calls = match input.byte() % 3 {
        0 => 1024,
        _ => usize::from(input.byte() % 8),
    };
    c.token_refresh_margin_ms = match input.byte() % 3 {
        0 => 0,
        1 => u64::MAX,
        _ => 60_000,
    };
    c.download_wait = DownloadWait {
        progress_timeout_ms: duration(input),
        recheck_interval_ms: duration(input),
        max_rechecks: u32::from(input.byte() % 4),
    };
    c.seed = u64::from(input.u32());
    c
}

fn http_error_kind(choice: u8) -> HttpErrorKind {
    match choice % 5 {
        0 => HttpErrorKind::Timeout,
        1 => HttpErrorKind::Connect,
        2 => HttpErrorKind::Io,
        3 => HttpErrorKind::Aborted,
        _ => HttpErrorKind::Other,
    }
}

/// A well-formed answer to an HTTP request, chosen by its URL.
fn http_answer(url: &str, input: &mut Input<'_>) -> (u16, Vec<u8>) {
    let choice = input.byte();
    let json = |s: String| (if choice & 1 == 0 { 200 } else { 201 }, s.into_bytes());
    if url.contains("web_rest_api_token") {
        json(r#"{"authorization_code":"c0de"}"#.to_owned())
    } else if url.contains("token") {
        let token = match choice % 5 {
            0 | 1 => jwt(FAR_EXP),
            2 => jwt(0),
            3 => jwt(i64::from(input.u32())),
            _ => "opaque".to_owned(),
        };
        json(format!(
            r#"{{"access_token":"{token}","token_type":"bearer"}}"#
        ))
    } else if url.contains("/api/v4/server") {
        match choice % 3 {
            0 => json(r#"{"product":{"version":"5.5.6.2100","display_name":"tc.example"}}"#.into()),
            1 => json(r#"{"product":{"version":"5.4.0"}}"#.into()),
            _ => (404, b"not found".to_vec()),
        }
    } else if url.contains("connects") {
        json(r#"{"connects":["tc.example:4307"]}"#.to_owned())
    } else if url.contains("vsstatus") {
        (200, b"<p>TrueConf Server 5.5.3.100 running</p>".to_vec())
    } else if url.contains("/bridge/api/client/v1/files") {
        match choice % 3 {
            0 | 1 => json(r#"{"temporalFileId":"tmp-1"}"#.to_owned()),
            _ => (413, b"too large".to_vec()),
        }
    } else {
        (200, input.bytes().to_vec())
    }
}

/// A well-formed (or deliberately refusing) answer payload for a request the session sent.
fn response_payload(method: &str, input: &mut Input<'_>) -> String {
    let choice = input.byte();
    match choice % 8 {
        0 => return r#"{"errorCode":203,"errorDescription":"expired"}"#.to_owned(),
        1 => return r#"{"errorCode":304}"#.to_owned(),
        2 => return input.text(),
        _ => {}
    }
    match method {
        "getFileUploadLimits" => match choice % 3 {
            0 => format!(r#"{{"maxSize":{},"extensions":null}}"#, input.byte()),
            1 => r#"{"maxSize":null,"extensions":{"mode":"allow","list":["txt"]}}"#.to_owned(),
            _ => "[]".to_owned(),
        },
        "uploadFile" => r#"{"uploadTaskId":"task-1"}"#.to_owned(),
        "sendFile" | "editChatAvatar" => r#"{"fileId":"file-9","messageId":"m-9"}"#.to_owned(),
        "getFileInfo" => {
            let state = input.byte() % 4;
            let size = input.byte();
            if input.byte().is_multiple_of(4) {
                format!(r#"{{"readyState":{state},"size":{size}}}"#)
            } else {
                format!(
                    r#"{{"readyState":{state},"size":{size},"downloadUrl":"https://tc.example/f/1?t=secret"}}"#
                )
            }
        }
        "subscribeFileProgress" | "unsubscribeFileProgress" => r#"{"result":true}"#.to_owned(),
        _ => r#"{"chatId":"c1","messageId":"m1","timestamp":1}"#.to_owned(),
    }
}

/// A well-formed payload for a server event (or something else when the choice says so).
fn event_payload(method: &str, input: &mut Input<'_>) -> String {
    let choice = input.byte();
    if choice.is_multiple_of(4) {
        return input.text();
    }
    match method {
        "sendMessage" => {
            let author = if choice & 4 == 0 {
                BOT
            } else {
                "alice@tc.example"
            };
            format!(
                r#"{{"chat":{{"chatId":"c1","chatTitle":"t","chatType":1}},"chatId":"c1","messageId":"m{choice}","timestamp":1,"author":{{"id":"{author}/x","type":1}},"box":{{"id":1,"position":"1"}},"type":200,"content":{{"text":"hi","parseMode":"text"}},"isEdited":false}}"#
            )
        }
        "uploadFileProgress" => format!(
            r#"{{"fileId":"{}","progress":{}}}"#,
            FILE_IDS[usize::from(choice) % FILE_IDS.len()],
            input.byte()
        ),
        "getFileUploadLimits" => format!(r#"{{"maxSize":{},"extensions":null}}"#, input.byte()),
        "removeChat" => r#"{"chatId":"c1"}"#.to_owned(),
        _ => r#"{"chatId":"c1","timestamp":1}"#.to_owned(),
    }
}

/// An event frame id: ordinary, extreme, or not an unsigned integer at all.
fn frame_id(input: &mut Input<'_>) -> String {
    match input.byte() % 8 {
        0 => "0".to_owned(),
        1 => u64::MAX.to_string(),
        2 => "-1".to_owned(),
        3 => "1.5".to_owned(),
        4 => "18446744073709551616".to_owned(),
        5 => r#""7""#.to_owned(),
        _ => input.u32().to_string(),
    }
}

/// The id the protocol asks to acknowledge, as the frame codec reads it.
fn ack_id(text: &str, max_bytes: usize) -> Option<u64> {
    match frame::parse(text, max_bytes) {
        Ok(Frame::Request { id, .. }) => Some(id),
        Ok(Frame::Response { .. }) => None,
        Err(e) => e.request_id(),
    }
}

/// The harness's view of the socket in use.
struct Socket {
    id: ConnId,
    opened: bool,
    authorised: bool,
    /// The last request id the session used on it.
    last_frame_id: u64,
    /// Requests the session sent on it (not `auth`), not answered by the harness yet.
    sent: Vec<(u64, String)>,
}

/// What one drain saw.
#[derive(Default)]
struct Drained {
    outputs: usize,
    /// `(position, connection, id)` of every acknowledgement.
    acks: Vec<(usize, ConnId, u64)>,
}

struct Harness {
    session: TrueConfSession,
    now: Timestamp,
    /// HTTP ids handed out and not answered yet, with their URLs.
    http: Vec<(RequestId, String)>,
    answered: Vec<RequestId>,
    /// Every connection id handed out.
    conns: Vec<ConnId>,
    socket: Option<Socket>,
    /// Sockets the session closed whose closure was not reported (as many as it remembers).
    retired: VecDeque<ConnId>,
    calls: BTreeMap<CallId, u32>,
    uploads: BTreeMap<UploadId, u32>,
    downloads: BTreeMap<DownloadId, u32>,
}

impl Harness {
    fn drain(&mut self) -> Drained {
        let mut drained = Drained::default();
        // Bounded so a session that produces outputs forever fails instead of hanging.
        for position in 0..10_000 {
            let Some(output) = self.session.poll_output() else {
                drained.outputs = position;
                return drained;
            };
            match output {
                Output::Http { id, request } => {
                    assert!(
                        !self.http.iter().any(|(i, _)| *i == id) && !self.answered.contains(&id),
                        "{id} handed out twice"
                    );
                    assert!(
                        !self.conns.iter().any(|c| c.0 == id.0),
                        "{id} is a connection id"
                    );
                    self.http.push((id, request.url));
                }
                Output::WsOpen { conn, .. } => {
                    assert!(
                        self.socket.is_none(),
                        "a socket was replaced without being closed"
                    );
                    assert!(!self.conns.contains(&conn), "{conn} handed out twice");
                    self.conns.push(conn);
                    self.socket = Some(Socket {
                        id: conn,
                        opened: false,
                        authorised: false,
                        last_frame_id: 0,
                        sent: Vec::new(),
                    });
                }
                Output::WsSend { conn, text } => {
                    let socket = self.socket.as_mut().expect("a frame for no socket");
                    assert_eq!(socket.id, conn, "a frame for another socket");
                    assert!(socket.opened, "a frame before the socket opened");
                    match frame::parse(&text, usize::MAX) {
                        Ok(Frame::Response { id, payload: None }) => {
                            drained.acks.push((position, conn, id));
                        }
                        Ok(Frame::Request { id, method, .. }) => {
                            assert!(id > socket.last_frame_id, "request ids must increase");
                            if socket.last_frame_id == 0 {
                                assert_eq!((id, method.as_str()), (1, "auth"));
                            } else {
                                assert_ne!(method, "auth");
                                assert!(socket.authorised, "{method} sent before auth");
                            }
                            socket.last_frame_id = id;
                            if method != "auth" {
                                socket.sent.push((id, method));
                            }
                        }
                        other => panic!("the session sent {other:?}"),
                    }
                }
                Output::WsPing { conn } => {
                    let socket = self.socket.as_ref().expect("a ping for no socket");
                    assert_eq!(socket.id, conn);
                    assert!(socket.opened);
                }
                Output::WsClose { conn } => {
                    let socket = self.socket.take().expect("a close for no socket");
                    assert_eq!(socket.id, conn);
                    self.retired.push_back(conn);
                    while self.retired.len() > RETIRED_MEMORY {
                        self.retired.pop_front();
                    }
                }
                Output::Event(event) => self.on_event(event),
                _ => {}
            }
        }
        panic!("poll_output never ran dry");
    }

    fn on_event(&mut self, event: SessionEvent) {
        fn settle<K: Ord + std::fmt::Debug>(map: &mut BTreeMap<K, u32>, key: K) {
            let count = map
                .get_mut(&key)
                .unwrap_or_else(|| panic!("{key:?} was never issued"));
            *count += 1;
            assert_eq!(*count, 1, "{key:?} answered twice");
        }
        match event {
            SessionEvent::Response { call, .. } => settle(&mut self.calls, call),
            SessionEvent::UploadDone { upload, .. } => settle(&mut self.uploads, upload),
            SessionEvent::DownloadDone { download, .. } => settle(&mut self.downloads, download),
            SessionEvent::Upload { upload, .. } => {
                assert_eq!(
                    self.uploads.get(&upload),
                    Some(&0),
                    "progress of {upload:?}"
                );
            }
            SessionEvent::Connected { .. } => {
                let socket = self.socket.as_mut().expect("connected without a socket");
                assert!(socket.opened && !socket.authorised);
                socket.authorised = true;
            }
            SessionEvent::Disconnected { .. } => {
                assert!(self.socket.is_none(), "disconnected with a socket in use");
            }
            SessionEvent::Stopped { .. } => {
                assert!(self.socket.is_none(), "stopped with a socket in use");
                self.check_all_settled();
            }
            _ => {}
        }
    }

    fn check_all_settled(&self) {
        for (call, n) in &self.calls {
            assert_eq!(*n, 1, "{call} not answered");
        }
        for (upload, n) in &self.uploads {
            assert_eq!(*n, 1, "{upload} not finished");
        }
        for (download, n) in &self.downloads {
            assert_eq!(*n, 1, "{download} not finished");
        }
    }

    fn take_http(&mut self, choice: u8) -> Option<(RequestId, String)> {
        if self.http.is_empty() {
            return None;
        }
        let (id, url) = self.http.remove(usize::from(choice) % self.http.len());
        self.answered.push(id);
        Some((id, url))
    }

    fn answer(&mut self, id: RequestId, status: u16, body: &[u8]) {
        assert!(self
            .session
            .handle_http_response(self.now, id, status, body)
            .is_ok());
        self.drain();
        assert!(
            self.session
                .handle_http_response(self.now, id, status, body)
                .is_err(),
            "{id} accepted a second answer"
        );
        assert!(self
            .session
            .handle_http_error(self.now, id, HttpErrorKind::Other)
            .is_err());
        assert_eq!(
            self.drain().outputs,
            0,
            "a refused answer changed something"
        );
    }

    /// A connection id: the current socket, one used before, or one never issued.
    fn pick_conn(&self, input: &mut Input<'_>) -> ConnId {
        let choice = input.byte();
        match (choice % 4, &self.socket) {
            (0 | 1, Some(socket)) => socket.id,
            (2, _) if !self.conns.is_empty() => self.conns[usize::from(choice) % self.conns.len()],
            _ => ConnId(1_000_000 + u64::from(input.u16())),
        }
    }

    fn is_current(&self, conn: ConnId) -> Option<&Socket> {
        self.socket.as_ref().filter(|s| s.id == conn)
    }

    /// Hands a text frame to the session and checks the acknowledgement.
    fn frame(&mut self, conn: ConnId, text: &str) {
        let open = self.is_current(conn).is_some_and(|s| s.opened);
        let result = self.session.handle_ws_frame(self.now, conn, text);
        let drained = self.drain();
        if !open {
            assert!(result.is_err(), "a frame on {conn} was accepted");
            assert_eq!(drained.outputs, 0, "a refused frame changed something");
            return;
        }
        assert!(result.is_ok(), "{result:?}");
        let acks: Vec<u64> = drained.acks.iter().map(|a| a.2).collect();
        match ack_id(text, self.session.config().max_frame_bytes) {
            Some(id) => {
                assert_eq!(acks, [id], "a request frame must be acked exactly once");
                assert_eq!(drained.acks[0].0, 0, "the ack must come first");
                assert_eq!(drained.acks[0].1, conn);
            }
            None => assert!(acks.is_empty(), "acked a frame without a readable id"),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input { data };
    let config = config(&mut input);
    let mut h = Harness {
        session: TrueConfSession::new(config),
        now: 0,
        http: Vec::new(),
        answered: Vec::new(),
        conns: Vec::new(),
        socket: None,
        retired: VecDeque::new(),
        calls: BTreeMap::new(),
        uploads: BTreeMap::new(),
        downloads: BTreeMap::new(),
    };

    while !input.is_empty() {
        // Time moves forward by a little or a lot before each input.
        let step = match input.byte() % 4 {
            0 => 0,
            1 => u64::from(input.byte()),
            2 => u64::from(input.u16()) * 10,
            _ => u64::from(input.u32()) * 1_000,
        };
        h.now = h.now.saturating_add(step).min(LATEST);
        match input.byte() % 20 {
            0 => {
                let result = h.session.start(h.now);
                assert_eq!(result.is_err(), h.session.fatal_error().is_some());
                h.drain();
            }
            1 => {
                h.session.stop(h.now);
                h.drain();
                assert_eq!(h.session.state(), SessionState::Stopped);
                assert!(h.socket.is_none());
                h.check_all_settled();
                assert_eq!(
                    h.session.call_raw(h.now, "getChats", ""),
                    Err(TrueConfError::Stopped)
                );
            }
            2 => {
                // An arbitrary answer to an id the session issued.
                let choice = input.byte();
                let status = input.u16();
                let body = input.bytes();
                if let Some((id, _)) = h.take_http(choice) {
                    h.answer(id, status, body);
                }
            }
            3 => {
                // A well-formed answer, by what was asked.
                let choice = input.byte();
                if let Some((id, url)) = h.take_http(choice) {
                    let (status, body) = http_answer(&url, &mut input);
                    h.answer(id, status, &body);
                }
            }
            4 => {
                let choice = input.byte();
                let kind = http_error_kind(input.byte());
                if let Some((id, _)) = h.take_http(choice) {
                    assert!(h.session.handle_http_error(h.now, id, kind).is_ok());
                    h.drain();
                    assert!(h.session.handle_http_error(h.now, id, kind).is_err());
                    assert_eq!(h.drain().outputs, 0);
                }
            }
            5 => {
                // Ids never issued, already answered, or naming a connection, are refused.
                let choice = input.byte();
                let id = match (choice % 3, h.answered.get(usize::from(choice) % 64)) {
                    (0, Some(id)) => *id,
                    (1, _) if !h.conns.is_empty() => RequestId(h.conns[0].0),
                    _ => RequestId(u64::from(input.u32()) + 1_000_000),
                };
                let status = input.u16();
                let body = input.bytes();
                assert!(h
                    .session
                    .handle_http_response(h.now, id, status, body)
                    .is_err());
                assert!(h
                    .session
                    .handle_http_error(h.now, id, HttpErrorKind::Io)
                    .is_err());
                assert_eq!(h.drain().outputs, 0);
            }
            6 => {
                let conn = h.pick_conn(&mut input);
                let expected = h.is_current(conn).is_some_and(|s| !s.opened);
                let result = h.session.handle_ws_opened(h.now, conn);
                assert_eq!(result.is_ok(), expected, "opened {conn}: {result:?}");
                if let Some(socket) = h.socket.as_mut().filter(|_| expected) {
                    socket.opened = true;
                }
                let drained = h.drain();
                if !expected {
                    assert_eq!(drained.outputs, 0);
                }
            }
            7 => {
                let conn = h.pick_conn(&mut input);
                let current = h.is_current(conn).is_some();
                let retired = h.retired.iter().position(|c| *c == conn);
                let result = h.session.handle_ws_closed(h.now, conn);
                assert_eq!(
                    result.is_ok(),
                    current || retired.is_some(),
                    "closed {conn}: {result:?}"
                );
                if current {
                    h.socket = None;
                } else if let Some(at) = retired {
                    h.retired.remove(at);
                }
                let drained = h.drain();
                if !current {
                    assert_eq!(drained.outputs, 0);
                }
            }
            8 => {
                let conn = h.pick_conn(&mut input);
                let expected = h.is_current(conn).is_some_and(|s| s.opened);
                let result = h.session.handle_ws_pong(h.now, conn);
                assert_eq!(result.is_ok(), expected, "pong on {conn}: {result:?}");
                assert_eq!(h.drain().outputs, 0);
            }
            9 => {
                let conn = h.pick_conn(&mut input);
                let text = input.text();
                h.frame(conn, &text);
            }
            10 => {
                // The answer to `auth`: success, or one of its refusals.
                let Some(conn) = h.socket.as_ref().map(|s| s.id) else {
                    continue;
                };
                let payload = match input.byte() % 6 {
                    0 | 1 => format!(r#"{{"userId":"{BOT}/1","connectionId":"c"}}"#),
                    2 => r#"{"userId":"bot@tc.example","connectionId":7}"#.to_owned(),
                    3 => r#"{"errorCode":203}"#.to_owned(),
                    4 => format!(r#"{{"errorCode":{}}}"#, 200 + u32::from(input.byte() % 8)),
                    _ => r#"{"errorCode":100}"#.to_owned(),
                };
                h.frame(conn, &format!(r#"{{"type":2,"id":1,"payload":{payload}}}"#));
            }
            11 => {
                // The answer to a request the session sent, or to one it did not.
                let choice = input.byte();
                let Some(socket) = h.socket.as_mut() else {
                    continue;
                };
                let conn = socket.id;
                let (id, method) = if socket.sent.is_empty() || choice.is_multiple_of(8) {
                    (u64::from(input.byte()), String::new())
                } else {
                    socket.sent.remove(usize::from(choice) % socket.sent.len())
                };
                let payload = response_payload(&method, &mut input);
                let text = if input.byte().is_multiple_of(8) {
                    format!(r#"{{"type":2,"id":{id}}}"#)
                } else {
                    format!(r#"{{"type":2,"id":{id},"payload":{payload}}}"#)
                };
                h.frame(conn, &text);
            }
            12 => {
                // A server event, with an odd id now and then.
                let Some(conn) = h.socket.as_ref().map(|s| s.id) else {
                    continue;
                };
                let method = EVENTS[usize::from(input.byte()) % EVENTS.len()];
                let id = frame_id(&mut input);
                let payload = event_payload(method, &mut input);
                let text =
                    format!(r#"{{"type":1,"id":{id},"method":"{method}","payload":{payload}}}"#);
                h.frame(conn, &text);
            }
            13 => {
                // An early timer does nothing.
                match h.session.poll_timeout() {
                    Some(at) if at > h.now => {}
                    None => {}
                    Some(_) => continue,
                }
                h.session.handle_timeout(h.now);
                assert_eq!(h.drain().outputs, 0, "an early timer did something");
            }
            14 => {
                // The timer fires when asked; what was due is then done.
                if let Some(at) = h.session.poll_timeout() {
                    if at <= LATEST {
                        h.now = h.now.max(at);
                    }
                }
                h.session.handle_timeout(h.now);
                h.drain();
                if let Some(at) = h.session.poll_timeout() {
                    assert!(at > h.now, "a timer at {at} is still due at {}", h.now);
                }
            }
            15 => {
                let method = match input.byte() % 4 {
                    0 => input.text(),
                    n => {
                        let at = usize::from(input.byte()) + usize::from(n);
                        METHODS[at % METHODS.len()].to_owned()
                    }
                };
                let payload = match input.byte() % 4 {
                    0 => String::new(),
                    1 => r#"{"chatId":"c1","content":{"text":"x"}}"#.to_owned(),
                    2 => " [1] ".to_owned(),
                    _ => input.text(),
                };
                let stopped = h.session.state() == SessionState::Stopped;
                if let Ok(call) = h.session.call_raw(h.now, &method, &payload) {
                    assert!(!stopped, "a call was accepted after the stop");
                    assert!(h.calls.insert(call, 0).is_none(), "{call} issued twice");
                }
                h.drain();
            }
            16 => {
                let name = input.text();
                let mut file = FileToSend::new("c1", name, "text/plain", input.bytes().to_vec());
                if input.byte().is_multiple_of(2) {
                    file.caption = Some(("look".into(), "text".into()));
                }
                if input.byte().is_multiple_of(4) {
                    file.preview = Some((input.bytes().to_vec(), "image/png".into()));
                }
                if let Ok(upload) = h.session.upload_file(h.now, file) {
                    assert!(
                        h.uploads.insert(upload, 0).is_none(),
                        "{upload} issued twice"
                    );
                }
                h.drain();
            }
            17 => {
                let file_id = FILE_IDS[usize::from(input.byte()) % FILE_IDS.len()];
                match h.session.download(h.now, file_id) {
                    Ok(download) => {
                        assert!(!file_id.is_empty());
                        assert!(
                            h.downloads.insert(download, 0).is_none(),
                            "{download} issued twice"
                        );
                    }
                    Err(e) => assert!(
                        !file_id.is_empty() || matches!(e, TrueConfError::InvalidArgument(_))
                    ),
                }
                h.drain();
            }
            18 => {
                let unix_ms = match input.byte() % 6 {
                    0 => 0,
                    1 => i64::MIN,
                    2 => i64::MAX,
                    3 => FAR_EXP * 1000,
                    4 => 1_780_000_000_000,
                    _ => i64::from(input.u32() as i32) * 1_000_000,
                };
                h.session.set_wall_clock(h.now, unix_ms);
                assert_eq!(h.drain().outputs, 0);
            }
            _ => {
                // Frames on sockets that are not (or no longer) in use are refused.
                let conn = match (input.byte() % 2, h.retired.back()) {
                    (0, Some(c)) => *c,
                    _ => ConnId(2_000_000 + u64::from(input.u16())),
                };
                h.frame(
                    conn,
                    r#"{"type":1,"id":5,"method":"removeChat","payload":{}}"#,
                );
            }
        }
    }

    // Stopping settles everything; the HTTP answers still due are accepted once and ignored.
    h.session.stop(h.now);
    h.drain();
    h.check_all_settled();
    assert!(h.socket.is_none());
    assert_eq!(h.session.pending_calls(), 0);
    assert_eq!(h.session.queued_calls(), 0);
    while let Some((id, _)) = h.take_http(0) {
        h.answer(id, 200, b"{}");
    }
});
