//! The TrueConf session state machine on a virtual clock, against a small scripted fake server
//! written here: probe, token (password grant, OAuth application, given token, reuse until
//! `exp`), `auth` first on every socket, per-connection request ids, the call queue,
//! acknowledgements, timeouts, keep-alive, reconnect with backoff, error 203, permanent auth
//! failures, upload limits, own echoed messages, uploads, downloads, stop, contract errors and
//! hostile frames.

use base64::Engine as _;
use botwire_core::io::{ConnId, HttpErrorKind, HttpMethod, HttpRequest, RequestId, SeededRng};
use botwire_core::trueconf::events::ServerEvent;
use botwire_core::trueconf::session::{
    ContractError, Credentials, DisconnectReason, FileToSend, KeepAlive, Output, SessionConfig,
    SessionEvent, SessionState, TrueConfSession, UploadStage,
};
use botwire_core::trueconf::{ErrorCode, Method, TrueConfError};
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};

const HOST: &str = "video.example.com";
const BOT: &str = "helpdesk_bot@video.example.com";
/// 2027-06-01, in seconds: the `exp` of tokens minted by the fake unless told otherwise.
const FAR_EXP: i64 = 1_811_808_000;
/// The wall clock at monotonic 0 in most tests (2026-06-01, ms).
const WALL0: i64 = 1_780_272_000_000;

fn jwt(exp: i64, n: u32) -> String {
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!(
        "{}.{}.",
        b64(r#"{"alg":"none","typ":"JWT"}"#),
        b64(&format!(
            r#"{{"sub":"helpdesk_bot","exp":{exp},"jti":{n}}}"#
        ))
    )
}

fn password() -> Credentials {
    Credentials::Password {
        username: "helpdesk_bot".into(),
        password: "s3cret".into(),
    }
}

fn config(credentials: Credentials) -> SessionConfig {
    let mut c = SessionConfig::new(HOST, 443, true, credentials);
    c.seed = 42;
    c
}

/// How the fake answers one HTTP request.
#[derive(Debug, Clone)]
enum HttpReply {
    Status(u16, Vec<u8>),
    Error(HttpErrorKind),
    Hold,
}

fn ok_json(v: Value) -> HttpReply {
    HttpReply::Status(200, v.to_string().into_bytes())
}

/// How the fake answers one request frame.
#[derive(Debug, Clone)]
enum WsReply {
    Payload(Value),
    /// A complete frame text, sent as is.
    Raw(String),
    Hold,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OpenMode {
    Accept,
    Refuse,
    Hold,
}

/// What the fake server does and saw.
struct Fake {
    server_info: HttpReply,
    connects: HttpReply,
    vsstatus: HttpReply,
    token_replies: VecDeque<HttpReply>,
    token_exp: i64,
    minted: u32,
    oauth_web: HttpReply,
    oauth_code: HttpReply,
    upload_replies: VecDeque<HttpReply>,
    downloads: HashMap<String, HttpReply>,
    open_mode: OpenMode,
    auto_pong: bool,
    hold_auth: bool,
    auth_replies: VecDeque<Value>,
    replies: HashMap<String, VecDeque<WsReply>>,
    limits: Value,
    files: HashMap<String, Value>,
    // what was seen
    http_log: Vec<HttpRequest>,
    held_http: Vec<(RequestId, HttpRequest)>,
    opens: Vec<(ConnId, String, Vec<String>)>,
    open_conn: Option<ConnId>,
    frames: Vec<(ConnId, Value)>,
    held: Vec<(ConnId, u64, String)>,
    pings: Vec<ConnId>,
    closes: Vec<ConnId>,
    next_event_id: u64,
    counter: u32,
}

impl Fake {
    fn new() -> Self {
        Fake {
            server_info: ok_json(json!({"product":{"version":"5.5.6.21140","display_name":HOST}})),
            connects: ok_json(json!({"connects":["video.example.com:4307"]})),
            vsstatus: HttpReply::Status(
                200,
                b"<html>TrueConf Server 5.5.4.1700 is running</html>".to_vec(),
            ),
            token_replies: VecDeque::new(),
            token_exp: FAR_EXP,
            minted: 0,
            oauth_web: ok_json(json!({"access_token":"web-api-token","expires_in":3600})),
            oauth_code: ok_json(json!({"authorization_code":"code-1","expires_in":1})),
            upload_replies: VecDeque::new(),
            downloads: HashMap::new(),
            open_mode: OpenMode::Accept,
            auto_pong: true,
            hold_auth: false,
            auth_replies: VecDeque::new(),
            replies: HashMap::new(),
            limits: json!({"maxSize":104857600,"extensions":{"mode":"block","list":["exe","bat"]}}),
            files: HashMap::new(),
            http_log: vec![],
            held_http: vec![],
            opens: vec![],
            open_conn: None,
            frames: vec![],
            held: vec![],
            pings: vec![],
            closes: vec![],
            next_event_id: 20_000,
            counter: 0,
        }
    }

    fn mint(&mut self) -> HttpReply {
        self.minted += 1;
        HttpReply::Status(
            201,
            json!({"access_token": jwt(self.token_exp, self.minted), "token_type":"JWT", "expires_in": 31536000})
                .to_string()
                .into_bytes(),
        )
    }

    fn http(&mut self, request: &HttpRequest) -> HttpReply {
        let url = request.url.as_str();
        if url.ends_with("/api/v4/server") {
            self.server_info.clone()
        } else if url.ends_with("/api/v4/endpoints/connects") {
            self.connects.clone()
        } else if url.ends_with("/vsstatus") {
            self.vsstatus.clone()
        } else if url.ends_with("/bridge/api/client/v1/oauth/token")
            || url.ends_with("/bridge/api/client/v1/auth/token")
        {
            match self.token_replies.pop_front() {
                Some(r) => r,
                None => self.mint(),
            }
        } else if url.ends_with("/api/v4/oauth2/token") {
            self.oauth_web.clone()
        } else if url.ends_with("/bridge/api/client/v1/auth/web_rest_api_token") {
            self.oauth_code.clone()
        } else if url.ends_with("/bridge/api/client/v1/files") {
            self.counter += 1;
            let n = self.counter;
            self.upload_replies
                .pop_front()
                .unwrap_or_else(|| ok_json(json!({"temporalFileId": format!("tmpf-{n}")})))
        } else {
            self.downloads
                .get(url)
                .cloned()
                .unwrap_or(HttpReply::Status(404, b"not found".to_vec()))
        }
    }

    fn ws_reply(&mut self, method: &str, payload: &Value) -> WsReply {
        if method == "auth" {
            if self.hold_auth {
                return WsReply::Hold;
            }
            self.counter += 1;
            let n = self.counter;
            return WsReply::Payload(self.auth_replies.pop_front().unwrap_or_else(
                || json!({"userId": format!("{BOT}/r{n}"), "connectionId": format!("conn-{n}")}),
            ));
        }
        if let Some(r) = self.replies.get_mut(method).and_then(|q| q.pop_front()) {
            return r;
        }
        self.counter += 1;
        let n = self.counter;
        WsReply::Payload(match method {
            "getFileUploadLimits" => self.limits.clone(),
            "sendMessage" => {
                json!({"chatId": payload["chatId"], "messageId": format!("m-{n}"), "timestamp": 1_781_234_570_011u64})
            }
            "uploadFile" => json!({"uploadTaskId": format!("task-{n}")}),
            "sendFile" => {
                json!({"chatId": payload["chatId"], "messageId": format!("m-{n}"), "timestamp": 1, "fileId": format!("file-{n}")})
            }
            "getFileInfo" => self
                .files
                .get(payload["fileId"].as_str().unwrap_or(""))
                .cloned()
                .unwrap_or(json!({"errorCode": 404})),
            "subscribeFileProgress" | "unsubscribeFileProgress" => json!({"result": true}),
            _ => json!({}),
        })
    }
}

enum Delivery {
    Http(RequestId, HttpReply),
    Opened(ConnId),
    Closed(ConnId),
    Frame(ConnId, String),
    Pong(ConnId),
}

struct Harness {
    s: TrueConfSession,
    now: u64,
    fake: Fake,
    events: Vec<SessionEvent>,
}

impl Harness {
    fn new(config: SessionConfig) -> Self {
        let mut s = TrueConfSession::new(config);
        s.set_wall_clock(0, WALL0);
        Harness {
            s,
            now: 0,
            fake: Fake::new(),
            events: vec![],
        }
    }

    /// Started and authorised.
    fn connected(config: SessionConfig) -> Self {
        let mut h = Harness::new(config);
        h.start();
        assert_eq!(h.s.state(), SessionState::Connected, "{:?}", h.events);
        h
    }

    fn start(&mut self) {
        self.s.start(self.now).unwrap();
        self.pump();
    }

    /// Drains the outputs and lets the fake answer, until nothing moves.
    fn pump(&mut self) {
        for _ in 0..10_000 {
            let mut deliveries = vec![];
            while let Some(out) = self.s.poll_output() {
                match out {
                    Output::Http { id, request } => {
                        self.fake.http_log.push(request.clone());
                        match self.fake.http(&request) {
                            HttpReply::Hold => self.fake.held_http.push((id, request)),
                            reply => deliveries.push(Delivery::Http(id, reply)),
                        }
                    }
                    Output::WsOpen {
                        conn,
                        url,
                        protocols,
                    } => {
                        self.fake.opens.push((conn, url, protocols));
                        match self.fake.open_mode {
                            OpenMode::Accept => {
                                self.fake.open_conn = Some(conn);
                                deliveries.push(Delivery::Opened(conn));
                            }
                            OpenMode::Refuse => deliveries.push(Delivery::Closed(conn)),
                            OpenMode::Hold => {}
                        }
                    }
                    Output::WsSend { conn, text } => {
                        let v: Value = serde_json::from_str(&text).expect("client frames are JSON");
                        self.fake.frames.push((conn, v.clone()));
                        if v["type"] == 1 {
                            let id = v["id"].as_u64().unwrap();
                            let method = v["method"].as_str().unwrap().to_owned();
                            match self.fake.ws_reply(&method, &v["payload"]) {
                                WsReply::Payload(p) => deliveries.push(Delivery::Frame(
                                    conn,
                                    json!({"type":2,"id":id,"payload":p}).to_string(),
                                )),
                                WsReply::Raw(text) => deliveries.push(Delivery::Frame(conn, text)),
                                WsReply::Hold => self.fake.held.push((conn, id, method)),
                            }
                        }
                    }
                    Output::WsPing { conn } => {
                        self.fake.pings.push(conn);
                        if self.fake.auto_pong {
                            deliveries.push(Delivery::Pong(conn));
                        }
                    }
                    Output::WsClose { conn } => {
                        self.fake.closes.push(conn);
                        if self.fake.open_conn == Some(conn) {
                            self.fake.open_conn = None;
                        }
                    }
                    Output::Event(e) => self.events.push(e),
                    other => panic!("unexpected output {other:?}"),
                }
            }
            if deliveries.is_empty() {
                return;
            }
            for d in deliveries {
                let now = self.now;
                let r = match d {
                    Delivery::Http(id, HttpReply::Status(status, body)) => {
                        self.s.handle_http_response(now, id, status, &body)
                    }
                    Delivery::Http(id, HttpReply::Error(kind)) => {
                        self.s.handle_http_error(now, id, kind)
                    }
                    Delivery::Http(_, HttpReply::Hold) => Ok(()),
                    Delivery::Opened(conn) => self.s.handle_ws_opened(now, conn),
                    Delivery::Closed(conn) => self.s.handle_ws_closed(now, conn),
                    Delivery::Frame(conn, text) => self.s.handle_ws_frame(now, conn, &text),
                    Delivery::Pong(conn) => self.s.handle_ws_pong(now, conn),
                };
                // A delivery for a socket the session has since closed is refused, not a panic.
                if let Err(e) = r {
                    assert!(matches!(e, ContractError::StaleConnection(_)), "{e:?}");
                }
            }
        }
        panic!("the session does not settle");
    }

    /// Moves the virtual clock forward by `ms`, firing every timer due on the way.
    fn advance(&mut self, ms: u64) {
        let target = self.now + ms;
        for _ in 0..100_000 {
            match self.s.poll_timeout() {
                Some(t) if t <= target => {
                    self.now = self.now.max(t);
                    self.s.handle_timeout(self.now);
                    self.pump();
                }
                _ => {
                    self.now = target;
                    return;
                }
            }
        }
        panic!("timers do not settle");
    }

    fn take_events(&mut self) -> Vec<SessionEvent> {
        std::mem::take(&mut self.events)
    }

    fn conn(&self) -> ConnId {
        self.fake.open_conn.expect("a socket is open")
    }

    /// The server pushes a request frame; returns its id.
    fn push_event(&mut self, method: &str, payload: Value) -> u64 {
        self.fake.next_event_id += 1;
        let id = self.fake.next_event_id;
        let text = json!({"type":1,"id":id,"method":method,"payload":payload}).to_string();
        self.frame(&text);
        id
    }

    fn frame(&mut self, text: &str) {
        let conn = self.conn();
        self.s.handle_ws_frame(self.now, conn, text).unwrap();
        self.pump();
    }

    /// The server closes the current socket.
    fn server_closes(&mut self) {
        let conn = self.conn();
        self.fake.open_conn = None;
        self.s.handle_ws_closed(self.now, conn).unwrap();
        self.pump();
    }

    /// Frames the client sent on `conn`.
    fn frames_on(&self, conn: ConnId) -> Vec<Value> {
        self.fake
            .frames
            .iter()
            .filter(|(c, _)| *c == conn)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Requests (type 1) the client sent, as (conn, id, method).
    fn requests(&self) -> Vec<(ConnId, u64, String)> {
        self.fake
            .frames
            .iter()
            .filter(|(_, v)| v["type"] == 1)
            .map(|(c, v)| {
                (
                    *c,
                    v["id"].as_u64().unwrap(),
                    v["method"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    fn acks(&self) -> Vec<u64> {
        self.fake
            .frames
            .iter()
            .filter(|(_, v)| v["type"] == 2)
            .map(|(_, v)| v["id"].as_u64().unwrap())
            .collect()
    }

    fn token_requests(&self) -> usize {
        self.fake
            .http_log
            .iter()
            .filter(|r| r.url.ends_with("/oauth/token") || r.url.ends_with("/auth/token"))
            .count()
    }

    fn auth_tokens(&self) -> Vec<String> {
        self.fake
            .frames
            .iter()
            .filter(|(_, v)| v["method"] == "auth")
            .map(|(_, v)| v["payload"]["token"].as_str().unwrap().to_owned())
            .collect()
    }
}

fn responses(events: &[SessionEvent]) -> Vec<(u64, Result<Value, TrueConfError>)> {
    events
        .iter()
        .filter_map(|e| match e {
            SessionEvent::Response { call, result, .. } => Some((
                call.0,
                result
                    .as_ref()
                    .map(|r| serde_json::from_str(r.as_str()).unwrap())
                    .map_err(Clone::clone),
            )),
            _ => None,
        })
        .collect()
}

fn server_events(events: &[SessionEvent]) -> Vec<(u64, ServerEvent)> {
    events
        .iter()
        .filter_map(|e| match e {
            SessionEvent::Server {
                frame_id, event, ..
            } => Some((*frame_id, (**event).clone())),
            _ => None,
        })
        .collect()
}

fn malformed(events: &[SessionEvent]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, SessionEvent::Malformed { .. }))
        .count()
}

fn disconnects(events: &[SessionEvent]) -> Vec<(DisconnectReason, Option<u64>)> {
    events
        .iter()
        .filter_map(|e| match e {
            SessionEvent::Disconnected {
                reason,
                reconnect_at,
            } => Some((reason.clone(), *reconnect_at)),
            _ => None,
        })
        .collect()
}

fn stopped(events: &[SessionEvent]) -> Option<Option<TrueConfError>> {
    events.iter().find_map(|e| match e {
        SessionEvent::Stopped { error } => Some(error.clone()),
        _ => None,
    })
}

fn server_error(code: i64) -> TrueConfError {
    TrueConfError::Server {
        code: ErrorCode(code),
        description: None,
    }
}

// ---- connecting ----

#[test]
fn probe_then_token_then_socket_with_auth_as_request_one() {
    let mut h = Harness::new(config(password()));
    h.start();
    let urls: Vec<&str> = h.fake.http_log.iter().map(|r| r.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://video.example.com:443/api/v4/server",
            "https://video.example.com:443/bridge/api/client/v1/oauth/token"
        ]
    );
    assert_eq!(h.fake.http_log[0].method, HttpMethod::Get);
    let body: Value = serde_json::from_slice(&h.fake.http_log[1].body).unwrap();
    assert_eq!(
        body,
        json!({"client_id":"chat_bot","grant_type":"password","username":"helpdesk_bot","password":"s3cret"})
    );
    assert_eq!(h.fake.http_log[1].timeout_ms, Some(15_000));
    assert_eq!(
        h.fake.opens,
        [(
            h.conn(),
            "wss://video.example.com:443/websocket/chat_bot".to_owned(),
            vec![]
        )]
    );
    let frames = h.frames_on(h.conn());
    assert_eq!(frames[0]["id"], 1);
    assert_eq!(frames[0]["method"], "auth");
    assert_eq!(
        frames[0]["payload"],
        json!({"token": jwt(FAR_EXP, 1), "tokenType":"JWT", "receiveUnread": false, "receiveSystemMessageEnvelopes": false})
    );
    // Then the limits, cached.
    assert_eq!(frames[1]["id"], 2);
    assert_eq!(frames[1]["method"], "getFileUploadLimits");
    assert_eq!(frames[1]["payload"], json!({}));
    assert_eq!(h.s.upload_limits(), Some(&h.fake.limits));
    let events = h.take_events();
    let connected = events
        .iter()
        .find_map(|e| match e {
            SessionEvent::Connected {
                user_id,
                bot_id,
                connection_id,
                server,
            } => Some((
                user_id.clone(),
                bot_id.clone(),
                connection_id.clone(),
                server.clone(),
            )),
            _ => None,
        })
        .unwrap();
    assert_eq!(connected.0, format!("{BOT}/r1"));
    assert_eq!(connected.1, BOT);
    assert_eq!(connected.2, "conn-1");
    let server = connected.3.unwrap();
    assert_eq!(server.version.to_string(), "5.5.6.21140");
    assert_eq!(server.domain.as_deref(), Some(HOST));
    assert_eq!(h.s.bot_id(), Some(BOT));
    assert_eq!(h.s.state(), SessionState::Connected);
}

#[test]
fn the_probe_falls_back_to_the_status_page_and_is_advisory() {
    let mut h = Harness::new(config(password()));
    h.fake.server_info = HttpReply::Status(404, vec![]);
    h.start();
    let urls: Vec<&str> = h.fake.http_log.iter().map(|r| r.url.as_str()).collect();
    assert_eq!(
        urls[1],
        "https://video.example.com:443/api/v4/endpoints/connects"
    );
    assert_eq!(urls[2], "http://video.example.com:4307/vsstatus");
    assert_eq!(h.s.state(), SessionState::Connected);
    let info = h.s.server_info().unwrap();
    assert_eq!(info.version.to_string(), "5.5.4.1700");
    assert!(info.version.is_degraded());
    assert_eq!(info.domain, None);
    // An old server is worth a notice, nothing more.
    assert!(h
        .take_events()
        .iter()
        .any(|e| matches!(e, SessionEvent::Notice { message } if message.contains("5.5.4"))));

    // A probe failing outright: a notice, and the session connects anyway.
    for failure in [
        HttpReply::Error(HttpErrorKind::Connect),
        HttpReply::Status(200, b"<html>".to_vec()),
    ] {
        let mut h = Harness::new(config(password()));
        h.fake.server_info = failure;
        h.start();
        assert_eq!(h.s.state(), SessionState::Connected);
        assert!(h.s.server_info().is_none());
        assert!(h
            .take_events()
            .iter()
            .any(|e| matches!(e, SessionEvent::Notice { .. })));
    }
    // The fallback failing as well.
    let mut h = Harness::new(config(password()));
    h.fake.server_info = HttpReply::Status(404, vec![]);
    h.fake.connects = HttpReply::Status(200, b"not json".to_vec());
    h.start();
    assert_eq!(h.s.state(), SessionState::Connected);
}

#[test]
fn no_probe_when_disabled() {
    let mut c = config(password());
    c.probe_version = false;
    let h = Harness::connected(c);
    assert!(h.fake.http_log[0].url.ends_with("/oauth/token"));
}

#[test]
fn oauth_application_flow_takes_three_steps() {
    let mut c = config(Credentials::OAuthApp {
        client_id: "app-7".into(),
        username: "helpdesk_bot".into(),
        password: "s3cret".into(),
    });
    c.probe_version = false;
    let h = Harness::connected(c);
    let steps: Vec<(String, Value)> = h
        .fake
        .http_log
        .iter()
        .map(|r| {
            (
                r.url
                    .trim_start_matches("https://video.example.com:443")
                    .to_owned(),
                serde_json::from_slice(&r.body).unwrap(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            (
                "/api/v4/oauth2/token".to_owned(),
                json!({"client_id":"app-7","grant_type":"password","username":"helpdesk_bot","password":"s3cret"})
            ),
            (
                "/bridge/api/client/v1/auth/web_rest_api_token".to_owned(),
                json!({"client_id":"helpdesk_bot","token":"web-api-token"})
            ),
            (
                "/bridge/api/client/v1/auth/token".to_owned(),
                json!({"client_id":"user","grant_type":"authorization_code","code":"code-1"})
            ),
        ]
    );
    assert_eq!(h.auth_tokens(), [jwt(FAR_EXP, 1)]);
}

#[test]
fn oauth_errors_are_typed_and_stop_for_good() {
    let mut c = config(Credentials::OAuthApp {
        client_id: "app-7".into(),
        username: "helpdesk_bot".into(),
        password: "s3cret".into(),
    });
    c.probe_version = false;
    let mut h = Harness::new(c);
    h.fake.oauth_web = HttpReply::Status(
        400,
        br#"{"error":{"code":400,"message":"Bad Request","trace_id":"t","errors":[{"reason":"invalidScope","location":"scope"}]}}"#.to_vec(),
    );
    h.start();
    let error = stopped(&h.take_events()).unwrap().unwrap();
    assert_eq!(
        error,
        TrueConfError::Http {
            status: 400,
            message: "invalidScope: Bad Request".into()
        }
    );
    assert_eq!(h.s.state(), SessionState::Stopped);
    assert_eq!(h.s.start(h.now), Err(error));
}

#[test]
fn a_refused_password_stops_for_good_but_a_server_error_is_retried() {
    let mut c = config(password());
    c.probe_version = false;
    let mut h = Harness::new(c.clone());
    h.fake.token_replies.push_back(HttpReply::Status(
        401,
        br#"{"error":"invalid_grant","error_description":"bad credentials"}"#.to_vec(),
    ));
    h.s.call_raw(0, "getChats", r#"{"count":1,"page":1}"#)
        .unwrap();
    h.start();
    let events = h.take_events();
    assert_eq!(
        responses(&events),
        [(1, Err(TrueConfError::Stopped))],
        "queued calls are settled"
    );
    assert_eq!(
        stopped(&events),
        Some(Some(TrueConfError::Http {
            status: 401,
            message: "invalid_grant: bad credentials".into()
        }))
    );
    assert_eq!(h.s.poll_timeout(), None);
    assert_eq!(
        h.s.call_raw(h.now, "getChats", "{}"),
        Err(TrueConfError::Stopped)
    );

    let mut h = Harness::new(c);
    h.fake
        .token_replies
        .push_back(HttpReply::Status(503, b"maintenance".to_vec()));
    h.fake
        .token_replies
        .push_back(HttpReply::Error(HttpErrorKind::Timeout));
    h.start();
    let d = disconnects(&h.take_events());
    assert!(matches!(
        d[0].0,
        DisconnectReason::TokenFailed(TrueConfError::Http { status: 503, .. })
    ));
    h.advance(1_000);
    let d = disconnects(&h.take_events());
    assert!(matches!(
        d[0].0,
        DisconnectReason::TokenFailed(TrueConfError::Transport(HttpErrorKind::Timeout))
    ));
    h.advance(2_000);
    assert_eq!(h.s.state(), SessionState::Connected);
    assert_eq!(h.token_requests(), 3);
}

#[test]
fn a_given_token_skips_the_token_request() {
    let mut c = config(Credentials::Token(jwt(FAR_EXP, 99)));
    c.probe_version = false;
    let h = Harness::connected(c);
    assert!(h.fake.http_log.is_empty());
    assert_eq!(h.auth_tokens(), [jwt(FAR_EXP, 99)]);
    assert_eq!(h.s.token_expiry(), Some(FAR_EXP));
}

#[test]
fn the_token_is_reused_while_its_exp_is_in_the_future() {
    let mut c = config(password());
    c.probe_version = false;
    let mut h = Harness::new(c);
    // Tokens expire one hour after the wall clock at monotonic 0.
    let exp = WALL0 / 1000 + 3600;
    h.fake.token_exp = exp;
    h.start();
    h.server_closes();
    h.advance(1_000);
    assert_eq!(h.s.state(), SessionState::Connected);
    assert_eq!(h.token_requests(), 1, "the same token is used again");
    assert_eq!(h.auth_tokens(), [jwt(exp, 1), jwt(exp, 1)]);
    // Within the renewal margin of `exp`, a reconnect fetches a new token first.
    h.advance(3_600_000 - 30_000 - h.now);
    h.server_closes();
    h.advance(1_000);
    assert_eq!(h.s.state(), SessionState::Connected);
    assert_eq!(h.token_requests(), 2);
    assert_eq!(h.auth_tokens().last().unwrap(), &jwt(exp, 2));
}

#[test]
fn the_wall_clock_can_be_set_again() {
    let mut c = config(password());
    c.probe_version = false;
    let mut h = Harness::new(c);
    h.fake.token_exp = WALL0 / 1000 + 3600;
    h.start();
    // The host's clock jumped a day ahead.
    h.s.set_wall_clock(h.now, WALL0 + 86_400_000);
    h.server_closes();
    h.advance(1_000);
    assert_eq!(h.token_requests(), 2);
}

#[test]
fn socket_options_are_configurable() {
    let mut c = config(Credentials::Token(jwt(FAR_EXP, 1)));
    c.probe_version = false;
    c.https = false;
    c.port = 4309;
    c.ws_trailing_slash = true;
    c.ws_subprotocol = true;
    c.receive_unread = true;
    c.receive_system_envelopes = true;
    let h = Harness::connected(c);
    assert_eq!(
        h.fake.opens[0].1,
        "ws://video.example.com:4309/websocket/chat_bot/"
    );
    assert_eq!(h.fake.opens[0].2, ["json.v1"]);
    let auth = &h.frames_on(h.conn())[0]["payload"];
    assert_eq!(auth["receiveUnread"], true);
    assert_eq!(auth["receiveSystemMessageEnvelopes"], true);
}

// ---- calls ----

#[derive(serde::Serialize)]
struct GetUserDisplayName {
    #[serde(rename = "userId")]
    user_id: String,
}

#[derive(serde::Deserialize, Debug, PartialEq)]
struct DisplayName {
    #[serde(rename = "displayName")]
    display_name: String,
}

impl Method for GetUserDisplayName {
    const NAME: &'static str = "getUserDisplayName";
    type Response = DisplayName;
}

#[test]
fn typed_calls_and_their_answers() {
    let mut h = Harness::connected(config(password()));
    h.fake
        .replies
        .entry("getUserDisplayName".into())
        .or_default()
        .push_back(WsReply::Payload(json!({"displayName":"Alice Meyer"})));
    let call =
        h.s.call(
            h.now,
            &GetUserDisplayName {
                user_id: "alice@video.example.com".into(),
            },
        )
        .unwrap();
    h.pump();
    let sent = h.frames_on(h.conn()).last().unwrap().clone();
    assert_eq!(
        sent,
        json!({"type":1,"id":3,"method":"getUserDisplayName","payload":{"userId":"alice@video.example.com"}})
    );
    let events = h.take_events();
    let event = events
        .iter()
        .find(|e| matches!(e, SessionEvent::Response { call: c, .. } if *c == call))
        .unwrap();
    assert_eq!(
        event.parse::<DisplayName>().unwrap(),
        Ok(DisplayName {
            display_name: "Alice Meyer".into()
        })
    );
    // Bad arguments are refused before anything is sent.
    assert!(matches!(
        h.s.call_raw(h.now, "getChats", "[1]"),
        Err(TrueConfError::InvalidArgument(_))
    ));
    assert!(matches!(
        h.s.call_raw(h.now, "auth", "{}"),
        Err(TrueConfError::InvalidArgument(_))
    ));
    assert!(matches!(
        h.s.call_raw(h.now, "", "{}"),
        Err(TrueConfError::InvalidArgument(_))
    ));
    assert!(h.s.poll_output().is_none());
}

#[test]
fn error_payloads_become_typed_errors() {
    let mut h = Harness::connected(config(password()));
    let q = h.fake.replies.entry("getChatByID".into()).or_default();
    q.push_back(WsReply::Payload(
        json!({"errorCode":304,"errorDescription":"chat not found"}),
    ));
    q.push_back(WsReply::Payload(json!({"errorCode":0,"chatId":"c"})));
    q.push_back(WsReply::Payload(json!({"errorCode":"x"})));
    q.push_back(WsReply::Payload(json!({"errorCode":4242})));
    for _ in 0..4 {
        h.s.call_raw(h.now, "getChatByID", r#"{"chatId":"c"}"#)
            .unwrap();
    }
    h.pump();
    let r = responses(&h.take_events());
    assert_eq!(
        r[0].1,
        Err(TrueConfError::Server {
            code: ErrorCode::CHAT_NOT_FOUND,
            description: Some("chat not found".into())
        })
    );
    assert_eq!(r[1].1, Ok(json!({"errorCode":0,"chatId":"c"})));
    assert!(matches!(r[2].1, Err(TrueConfError::Malformed(_))));
    assert_eq!(
        r[3].1,
        Err(server_error(4242)),
        "unknown codes pass through"
    );
}

#[test]
fn calls_before_auth_are_queued_in_order_and_the_queue_is_bounded() {
    let mut c = config(password());
    c.max_queued_calls = 3;
    let mut h = Harness::new(c);
    let a =
        h.s.call_raw(0, "getChats", r#"{"count":1,"page":1}"#)
            .unwrap();
    let b =
        h.s.call_raw(0, "createP2PChat", r#"{"userId":"bob@video.example.com"}"#)
            .unwrap();
    let d = h.s.download(0, "f-1").unwrap();
    assert_eq!(h.s.queued_calls(), 3);
    assert!(matches!(
        h.s.call_raw(0, "getChats", "{}"),
        Err(TrueConfError::InvalidArgument(_))
    ));
    assert!(matches!(
        h.s.upload_file(
            0,
            FileToSend::new("c", "a.txt", "text/plain", b"x".to_vec())
        ),
        Err(TrueConfError::InvalidArgument(_))
    ));
    // Nothing went out: the session is not even started.
    assert!(h.s.poll_output().is_none());
    h.start();
    let sent: Vec<(u64, String)> = h.requests().into_iter().map(|(_, id, m)| (id, m)).collect();
    assert_eq!(
        sent,
        [
            (1, "auth".to_owned()),
            (2, "getFileUploadLimits".to_owned()),
            (3, "getChats".to_owned()),
            (4, "createP2PChat".to_owned()),
            (5, "getFileInfo".to_owned()),
        ]
    );
    let events = h.take_events();
    let r = responses(&events);
    assert_eq!(r.iter().map(|(c, _)| *c).collect::<Vec<_>>(), [a.0, b.0]);
    assert!(events.iter().any(
        |e| matches!(e, SessionEvent::DownloadDone { download, result: Err(e) } if *download == d && e.code() == Some(ErrorCode::FILE_NOT_FOUND))
    ));
    assert_eq!(h.s.queued_calls(), 0);
    assert_eq!(h.s.pending_calls(), 0);
}

#[test]
fn calls_made_while_disconnected_wait_for_the_next_connection() {
    let mut h = Harness::connected(config(password()));
    h.fake.open_mode = OpenMode::Refuse;
    h.server_closes();
    let a = h.s.call_raw(h.now, "getChats", "{}").unwrap();
    h.advance(1_000); // one failed attempt
    let b =
        h.s.call_raw(h.now, "removeChat", r#"{"chatId":"x"}"#)
            .unwrap();
    assert_eq!(h.s.queued_calls(), 2);
    h.fake.open_mode = OpenMode::Accept;
    h.advance(2_000);
    assert_eq!(h.s.state(), SessionState::Connected);
    let on_new: Vec<String> = h
        .frames_on(h.conn())
        .iter()
        .map(|f| f["method"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(
        on_new,
        ["auth", "getFileUploadLimits", "getChats", "removeChat"]
    );
    let r = responses(&h.take_events());
    assert_eq!(
        r.iter().map(|(c, r)| (*c, r.is_ok())).collect::<Vec<_>>(),
        [(a.0, true), (b.0, true)]
    );
}

#[test]
fn request_ids_count_per_connection_from_one_and_are_never_reused() {
    let mut h = Harness::connected(config(password()));
    let first = h.conn();
    for _ in 0..3 {
        h.s.call_raw(h.now, "getChats", "{}").unwrap();
    }
    h.pump();
    h.server_closes();
    h.advance(1_000);
    let second = h.conn();
    assert_ne!(first, second);
    h.s.call_raw(h.now, "getChats", "{}").unwrap();
    h.pump();
    let ids = |conn| -> Vec<u64> {
        h.frames_on(conn)
            .iter()
            .filter(|f| f["type"] == 1)
            .map(|f| f["id"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(ids(first), [1, 2, 3, 4, 5]);
    assert_eq!(ids(second), [1, 2, 3]);
    assert_eq!(h.frames_on(second)[0]["method"], "auth");
}

#[test]
fn request_timeouts_answer_once_and_late_answers_are_ignored() {
    let mut h = Harness::connected(config(password()));
    h.fake
        .replies
        .entry("getChatHistory".into())
        .or_default()
        .push_back(WsReply::Hold);
    let call =
        h.s.call_raw(h.now, "getChatHistory", r#"{"chatId":"c","count":5}"#)
            .unwrap();
    h.pump();
    let sent_at = h.now;
    assert_eq!(h.s.pending_calls(), 1);
    h.advance(14_999);
    assert!(responses(&h.take_events()).is_empty());
    h.advance(1);
    assert_eq!(h.now, sent_at + 15_000);
    assert_eq!(
        responses(&h.take_events()),
        [(call.0, Err(TrueConfError::Timeout(15_000)))]
    );
    assert_eq!(h.s.pending_calls(), 0);
    // The late answer: no second response, no complaint.
    let (_, id, _) = h.fake.held[0].clone();
    h.frame(
        &json!({"type":2,"id":id,"payload":{"count":0,"chatId":"c","messages":[]}}).to_string(),
    );
    let events = h.take_events();
    assert!(responses(&events).is_empty());
    assert_eq!(malformed(&events), 0);
    assert_eq!(h.s.state(), SessionState::Connected);
}

#[test]
fn responses_to_unknown_ids_are_malformed_and_the_session_carries_on() {
    let mut h = Harness::connected(config(password()));
    h.frame(r#"{"type":2,"id":999,"payload":{}}"#);
    h.frame(r#"{"type":2,"id":0}"#);
    // An answer to auth, again.
    h.frame(r#"{"type":2,"id":1,"payload":{"userId":"x","connectionId":"y"}}"#);
    assert_eq!(malformed(&h.take_events()), 3);
    let call = h.s.call_raw(h.now, "getChats", "{}").unwrap();
    h.pump();
    assert_eq!(responses(&h.take_events())[0].0, call.0);
}

// ---- acknowledgements and events ----

#[test]
fn every_request_frame_is_acknowledged_first() {
    let mut h = Harness::connected(config(password()));
    h.take_events();
    let conn = h.conn();
    let frames = [
        (
            21,
            r#"{"type":1,"id":21,"method":"removeChat","payload":{"chatId":"c"}}"#,
        ),
        (
            22,
            r#"{"type":1,"id":22,"method":"someFutureEvent","payload":{"x":[1,2]}}"#,
        ),
        (
            23,
            r#"{"type":1,"id":23,"method":"sendMessage","payload":"not an object"}"#,
        ),
        (24, r#"{"type":1,"id":24,"method":"sendMessage"}"#),
        (25, r#"{"type":1,"id":25,"method":17,"payload":{}}"#),
        (
            26,
            r#"{"id":26,"type":1,"method":"sendMessage","payload":{"chat":{"chatId":"#,
        ),
    ];
    for (id, text) in frames {
        h.s.handle_ws_frame(h.now, conn, text).unwrap();
        // The very first output is the acknowledgement.
        match h.s.poll_output() {
            Some(Output::WsSend { conn: c, text }) => {
                assert_eq!(c, conn);
                assert_eq!(text, format!(r#"{{"type":2,"id":{id}}}"#));
                h.fake
                    .frames
                    .push((c, serde_json::from_str(&text).unwrap()));
            }
            other => panic!("frame {id}: {other:?}"),
        }
        h.pump();
    }
    assert_eq!(h.acks(), [21, 22, 23, 24, 25, 26]);
    let events = h.take_events();
    let delivered: Vec<u64> = server_events(&events).iter().map(|(id, _)| *id).collect();
    assert_eq!(delivered, [21, 22, 23, 24]);
    assert_eq!(malformed(&events), 2);
    // Frames without a readable id cannot be acknowledged; they are reported.
    h.frame(r#"{"type":1,"method":"sendMessage","payload":{}}"#);
    h.frame(r#"{"type":1,"id":"27","method":"x","payload":{}}"#);
    h.frame(r#"{"type":"1","id":28,"method":"x","payload":{}}"#);
    assert_eq!(h.acks().len(), 6);
    assert_eq!(malformed(&h.take_events()), 3);
}

#[test]
fn own_echoed_messages_are_dropped_unless_configured() {
    let message = |author: &str| {
        json!({"chat":{"chatId":"c1","chatTitle":"Alice","chatType":1},"chatId":"c1","messageId":"m","timestamp":1,
               "author":{"id":author,"type":1},"box":{"id":1,"position":"0"},"type":200,
               "content":{"text":"hi","parseMode":"text"},"isEdited":false})
    };
    let mut h = Harness::connected(config(password()));
    h.take_events();
    let own = h.push_event("sendMessage", message(BOT));
    let own_resource = h.push_event("sendMessage", message(&format!("{BOT}/other-device")));
    let other = h.push_event("sendMessage", message("alice@video.example.com"));
    assert_eq!(h.acks(), [own, own_resource, other], "all acknowledged");
    let delivered: Vec<u64> = server_events(&h.take_events())
        .iter()
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(delivered, [other]);

    let mut c = config(password());
    c.drop_own_messages = false;
    let mut h = Harness::connected(c);
    h.take_events();
    let own = h.push_event("sendMessage", message(BOT));
    let delivered: Vec<u64> = server_events(&h.take_events())
        .iter()
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(delivered, [own]);
}

#[test]
fn upload_limits_are_cached_and_updated_by_the_event() {
    let mut h = Harness::connected(config(password()));
    assert_eq!(h.s.upload_limits(), Some(&h.fake.limits));
    let new_limits = json!({"maxSize": 10, "extensions": null});
    let id = h.push_event("getFileUploadLimits", new_limits.clone());
    assert_eq!(h.s.upload_limits(), Some(&new_limits));
    assert!(server_events(&h.take_events())
        .iter()
        .any(|(f, _)| *f == id));
    // Refused before anything is sent.
    let before = h.fake.frames.len();
    let r = h.s.upload_file(
        h.now,
        FileToSend::new("c", "big.bin", "application/octet-stream", vec![0; 11]),
    );
    assert!(matches!(r, Err(TrueConfError::InvalidArgument(_))));
    h.push_event(
        "getFileUploadLimits",
        json!({"maxSize": null, "extensions": {"mode":"block","list":["exe"]}}),
    );
    let r = h.s.upload_file(
        h.now,
        FileToSend::new("c", "setup.EXE", "application/octet-stream", vec![1]),
    );
    assert!(matches!(r, Err(TrueConfError::InvalidArgument(_))));
    h.pump();
    assert_eq!(h.fake.frames.len(), before + 1, "only the acknowledgement");
    // Limits unavailable on old servers: a notice, no cache.
    let mut h = Harness::new(config(password()));
    h.fake
        .replies
        .entry("getFileUploadLimits".into())
        .or_default()
        .push_back(WsReply::Payload(json!({"errorCode":399})));
    h.start();
    assert_eq!(h.s.upload_limits(), None);
    assert!(h
        .take_events()
        .iter()
        .any(|e| matches!(e, SessionEvent::Notice { .. })));
}

// ---- disconnects, backoff, keep-alive ----

#[test]
fn a_closed_socket_fails_in_flight_calls_then_reconnects_with_backoff() {
    let mut h = Harness::connected(config(password()));
    h.fake
        .replies
        .entry("getChats".into())
        .or_default()
        .push_back(WsReply::Hold);
    let call = h.s.call_raw(h.now, "getChats", "{}").unwrap();
    h.pump();
    h.take_events();
    h.now = 5_000;
    h.server_closes();
    let events = h.take_events();
    assert_eq!(
        responses(&events),
        [(call.0, Err(TrueConfError::Disconnected))]
    );
    let d = disconnects(&events);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].0, DisconnectReason::Closed);
    let at = d[0].1.unwrap();
    assert!((5_800..=6_000).contains(&at), "{at}");
    assert_eq!(h.s.state(), SessionState::Reconnecting { at });
    h.advance(at - h.now - 1);
    assert_eq!(h.fake.opens.len(), 1);
    h.advance(1);
    assert_eq!(h.fake.opens.len(), 2);
    assert_eq!(h.s.state(), SessionState::Connected);
    assert!(h
        .take_events()
        .iter()
        .any(|e| matches!(e, SessionEvent::Connected { .. })));
}

fn backoff_delays(seed: u64, failures: usize) -> Vec<u64> {
    let mut c = config(password());
    c.seed = seed;
    let mut h = Harness::connected(c);
    h.fake.open_mode = OpenMode::Refuse;
    h.server_closes();
    let mut delays = vec![];
    for _ in 0..failures {
        let d = disconnects(&h.take_events());
        let at = d.last().unwrap().1.unwrap();
        delays.push(at - h.now);
        h.advance(at - h.now);
    }
    delays
}

#[test]
fn backoff_doubles_with_seeded_jitter_up_to_the_cap_and_resets_after_auth() {
    let delays = backoff_delays(42, 9);
    let bases = [
        1_000u64, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000,
    ];
    for (d, base) in delays.iter().zip(bases) {
        assert!(*d <= base && *d >= base * 4 / 5, "{delays:?}");
    }
    assert_eq!(delays, backoff_delays(42, 9), "reproducible from the seed");
    assert_ne!(delays, backoff_delays(43, 9), "drawn from the seed");

    // After a successful auth the next wait starts from the initial delay again.
    let mut h = Harness::connected(config(password()));
    h.fake.open_mode = OpenMode::Refuse;
    h.server_closes();
    for _ in 0..4 {
        let at = disconnects(&h.take_events()).last().unwrap().1.unwrap();
        h.advance(at - h.now);
    }
    h.fake.open_mode = OpenMode::Accept;
    let at = disconnects(&h.take_events()).last().unwrap().1.unwrap();
    assert!(at - h.now > 8_000);
    h.advance(at - h.now);
    assert_eq!(h.s.state(), SessionState::Connected);
    h.server_closes();
    let at = disconnects(&h.take_events()).last().unwrap().1.unwrap();
    assert!(at - h.now <= 1_000);
}

#[test]
fn max_attempts_stops_the_session() {
    let mut c = config(password());
    c.max_attempts = Some(2);
    let mut h = Harness::connected(c);
    h.fake.open_mode = OpenMode::Refuse;
    let queued_later = {
        h.server_closes();
        h.s.call_raw(h.now, "getChats", "{}").unwrap()
    };
    h.advance(120_000);
    let events = h.take_events();
    let d = disconnects(&events);
    assert_eq!(d.len(), 3);
    assert_eq!(d[2], (DisconnectReason::OpenFailed, None));
    assert_eq!(h.fake.opens.len(), 3, "the first socket and two attempts");
    assert_eq!(
        responses(&events),
        [(queued_later.0, Err(TrueConfError::Stopped))]
    );
    assert_eq!(stopped(&events), Some(Some(TrueConfError::Disconnected)));
    assert_eq!(h.s.state(), SessionState::Stopped);
    assert_eq!(h.s.poll_timeout(), None);
    // Not a permanent failure: the host may start again.
    h.fake.open_mode = OpenMode::Accept;
    h.start();
    assert_eq!(h.s.state(), SessionState::Connected);
}

#[test]
fn sockets_that_never_open_or_never_authorise_are_given_up() {
    let mut c = config(password());
    c.probe_version = false;
    let mut h = Harness::new(c);
    h.fake.open_mode = OpenMode::Hold;
    h.start();
    let first = h.fake.opens[0].0;
    h.advance(14_999);
    assert!(disconnects(&h.events).is_empty());
    h.advance(1);
    let d = disconnects(&h.take_events());
    assert_eq!(d[0].0, DisconnectReason::OpenFailed);
    assert_eq!(h.fake.closes, [first]);
    // The next socket opens, but `auth` is never answered.
    h.fake.open_mode = OpenMode::Accept;
    h.fake.hold_auth = true;
    h.advance(1_000);
    let second = h.conn();
    assert_eq!(h.s.state(), SessionState::Authenticating);
    h.advance(15_000);
    let d = disconnects(&h.take_events());
    assert_eq!(d[0].0, DisconnectReason::AuthTimeout);
    assert_eq!(h.fake.closes, [first, second]);
    h.fake.hold_auth = false;
    h.advance(2_000);
    assert_eq!(h.s.state(), SessionState::Connected);
    assert_eq!(h.token_requests(), 1, "the token stays valid");
}

#[test]
fn keep_alive_pings_and_drops_a_silent_connection() {
    let mut c = config(password());
    c.keep_alive = Some(KeepAlive::default());
    let mut h = Harness::connected(c);
    let first = h.conn();
    h.advance(30_000);
    assert_eq!(h.fake.pings, [first]);
    h.advance(30_000);
    assert_eq!(h.fake.pings.len(), 2);
    assert_eq!(h.s.state(), SessionState::Connected);
    // Silence: no pong.
    h.fake.auto_pong = false;
    h.take_events();
    h.advance(30_000);
    assert_eq!(h.fake.pings.len(), 3);
    h.advance(9_999);
    assert!(h.fake.closes.is_empty());
    // Any frame counts as a sign of life.
    h.frame(r#"{"type":1,"id":5,"method":"x","payload":{}}"#);
    h.advance(20_000);
    assert!(h.fake.closes.is_empty());
    h.advance(10_001); // the next ping at +30 s, then 10 s of silence
    assert_eq!(h.fake.closes, [first]);
    let d = disconnects(&h.take_events());
    assert_eq!(d[0].0, DisconnectReason::KeepAliveTimeout);
    // A pong or frame on the dropped socket is refused, not a panic.
    assert_eq!(
        h.s.handle_ws_pong(h.now, first),
        Err(ContractError::StaleConnection(first))
    );
    h.fake.auto_pong = true;
    h.advance(1_000);
    assert_eq!(h.s.state(), SessionState::Connected);
    assert_ne!(h.conn(), first);
}

#[test]
fn keep_alive_can_be_disabled() {
    let mut c = config(password());
    c.keep_alive = None;
    let mut h = Harness::connected(c);
    assert_eq!(h.s.poll_timeout(), None);
    h.advance(600_000);
    assert!(h.fake.pings.is_empty());
}

// ---- error 203 and permanent auth failures ----

#[test]
fn a_call_answered_203_renews_the_token_reconnects_and_retries_once() {
    let mut h = Harness::connected(config(password()));
    h.take_events();
    h.fake
        .replies
        .entry("sendMessage".into())
        .or_default()
        .push_back(WsReply::Payload(json!({"errorCode":203})));
    let call =
        h.s.call_raw(
            h.now,
            "sendMessage",
            r#"{"chatId":"c","content":{"text":"hi","parseMode":"text"}}"#,
        )
        .unwrap();
    h.pump();
    let events = h.take_events();
    assert_eq!(h.token_requests(), 2);
    assert_eq!(h.auth_tokens(), [jwt(FAR_EXP, 1), jwt(FAR_EXP, 2)]);
    let r = responses(&events);
    assert_eq!(r.len(), 1, "answered once");
    assert_eq!(r[0].0, call.0);
    assert!(r[0].1.is_ok());
    assert_eq!(
        disconnects(&events)[0].0,
        DisconnectReason::CredentialsExpired
    );
    let sends = h
        .requests()
        .into_iter()
        .filter(|(_, _, m)| m == "sendMessage")
        .count();
    assert_eq!(sends, 2);

    // Refused again after the retry: reported.
    let q = h.fake.replies.entry("sendMessage".into()).or_default();
    q.push_back(WsReply::Payload(json!({"errorCode":203})));
    q.push_back(WsReply::Payload(json!({"errorCode":203})));
    let call =
        h.s.call_raw(
            h.now,
            "sendMessage",
            r#"{"chatId":"c","content":{"text":"hi","parseMode":"text"}}"#,
        )
        .unwrap();
    h.pump();
    assert_eq!(
        responses(&h.take_events()),
        [(call.0, Err(server_error(203)))]
    );
    assert_eq!(h.token_requests(), 3);
    assert_eq!(h.s.state(), SessionState::Connected);
}

#[test]
fn auth_answered_203_fetches_a_fresh_token_then_reconnects() {
    let mut h = Harness::connected(config(password()));
    h.fake.auth_replies.push_back(json!({"errorCode":203}));
    h.server_closes();
    h.advance(1_000);
    assert_eq!(h.s.state(), SessionState::Connected);
    assert_eq!(h.token_requests(), 2);
    assert_eq!(
        h.auth_tokens(),
        [jwt(FAR_EXP, 1), jwt(FAR_EXP, 1), jwt(FAR_EXP, 2)]
    );
    let d = disconnects(&h.take_events());
    assert_eq!(d[1].0, DisconnectReason::CredentialsExpired);

    // Even a fresh token refused as expired: backoff, then a new token again.
    let mut h = Harness::connected(config(password()));
    h.fake.auth_replies.push_back(json!({"errorCode":203}));
    h.fake.auth_replies.push_back(json!({"errorCode":203}));
    h.server_closes();
    h.advance(1_000);
    let d = disconnects(&h.take_events());
    assert!(
        matches!(&d.last().unwrap().0, DisconnectReason::AuthFailed(e) if e.code() == Some(ErrorCode::CREDENTIALS_EXPIRED))
    );
    h.advance(2_000);
    assert_eq!(h.s.state(), SessionState::Connected);
    assert_eq!(h.token_requests(), 3);

    // A given token cannot be renewed: 203 stops the session.
    let mut c = config(Credentials::Token(jwt(1, 1)));
    c.probe_version = false;
    let mut h = Harness::new(c);
    h.fake.auth_replies.push_back(json!({"errorCode":203}));
    h.start();
    assert_eq!(stopped(&h.take_events()), Some(Some(server_error(203))));
}

#[test]
fn auth_answered_201_202_204_stops_for_good_and_settles_everything() {
    for code in [201, 202, 204] {
        let mut h = Harness::connected(config(password()));
        h.fake.auth_replies.push_back(json!({"errorCode":code}));
        h.fake
            .replies
            .entry("getChats".into())
            .or_default()
            .push_back(WsReply::Hold);
        let in_flight = h.s.call_raw(h.now, "getChats", "{}").unwrap();
        h.pump();
        h.server_closes();
        let queued = h.s.call_raw(h.now, "getChats", "{}").unwrap();
        let upload =
            h.s.upload_file(
                h.now,
                FileToSend::new("c", "a.txt", "text/plain", b"x".to_vec()),
            )
            .unwrap();
        let download = h.s.download(h.now, "f").unwrap();
        h.advance(1_000);
        let events = h.take_events();
        assert_eq!(
            responses(&events),
            [
                (in_flight.0, Err(TrueConfError::Disconnected)),
                (queued.0, Err(TrueConfError::Stopped))
            ]
        );
        assert!(events.iter().any(|e| matches!(e, SessionEvent::UploadDone { upload: u, result: Err(TrueConfError::Stopped) } if *u == upload)));
        assert!(events.iter().any(|e| matches!(e, SessionEvent::DownloadDone { download: d, result: Err(TrueConfError::Stopped) } if *d == download)));
        assert_eq!(stopped(&events), Some(Some(server_error(code))));
        assert_eq!(h.s.state(), SessionState::Stopped);
        assert_eq!(h.s.fatal_error(), Some(&server_error(code)));
        assert_eq!(h.s.poll_timeout(), None);
        assert_eq!(h.s.start(h.now), Err(server_error(code)), "sticky");
        assert_eq!(
            h.s.call_raw(h.now, "getChats", "{}"),
            Err(TrueConfError::Stopped)
        );
        let opens = h.fake.opens.len();
        h.advance(600_000);
        assert_eq!(h.fake.opens.len(), opens);
    }
}

#[test]
fn other_auth_errors_and_malformed_auth_answers_are_retried() {
    let mut h = Harness::connected(config(password()));
    h.fake.auth_replies.push_back(json!({"errorCode":300}));
    h.fake.auth_replies.push_back(json!({"userId":"bot@h"}));
    h.fake
        .auth_replies
        .push_back(json!({"userId":null,"connectionId":"c"}));
    h.server_closes();
    h.advance(1_000);
    h.advance(2_000);
    h.advance(4_000);
    h.advance(8_000);
    let d = disconnects(&h.take_events());
    assert!(matches!(&d[1].0, DisconnectReason::AuthFailed(e) if e.code() == Some(ErrorCode(300))));
    assert!(matches!(
        &d[2].0,
        DisconnectReason::AuthFailed(TrueConfError::Malformed(_))
    ));
    assert!(matches!(
        &d[3].0,
        DisconnectReason::AuthFailed(TrueConfError::Malformed(_))
    ));
    assert_eq!(h.s.state(), SessionState::Connected);
}

// ---- stop ----

#[test]
fn stop_settles_everything_closes_and_can_be_restarted() {
    let mut h = Harness::connected(config(password()));
    h.fake
        .replies
        .entry("getChats".into())
        .or_default()
        .push_back(WsReply::Hold);
    let in_flight = h.s.call_raw(h.now, "getChats", "{}").unwrap();
    h.fake
        .downloads
        .insert("https://dl/held".into(), HttpReply::Hold);
    h.fake.files.insert(
        "held".into(),
        json!({"name":"a","size":1,"mimeType":"text/plain","readyState":2,"infoHash":"held","downloadUrl":"https://dl/held","previews":null}),
    );
    let download = h.s.download(h.now, "held").unwrap();
    h.pump();
    assert_eq!(h.fake.held_http.len(), 1);
    let conn = h.conn();
    h.take_events();
    h.s.stop(h.now);
    h.pump();
    let events = h.take_events();
    assert_eq!(
        responses(&events),
        [(in_flight.0, Err(TrueConfError::Stopped))]
    );
    assert!(events.iter().any(|e| matches!(e, SessionEvent::DownloadDone { download: d, result: Err(TrueConfError::Stopped) } if *d == download)));
    assert_eq!(stopped(&events), Some(None));
    assert!(matches!(events.last(), Some(SessionEvent::Stopped { .. })));
    assert_eq!(h.fake.closes, [conn]);
    assert_eq!(h.s.poll_timeout(), None);
    assert_eq!(
        h.s.call_raw(h.now, "getChats", "{}"),
        Err(TrueConfError::Stopped)
    );
    // The held HTTP answer still arrives: accepted and ignored, once.
    let (id, _) = h.fake.held_http.remove(0);
    assert_eq!(h.s.handle_http_response(h.now, id, 200, b"bytes"), Ok(()));
    assert_eq!(
        h.s.handle_http_response(h.now, id, 200, b"bytes"),
        Err(ContractError::UnknownRequest(id))
    );
    // Reporting the closure of the socket it closed is fine, once.
    assert_eq!(h.s.handle_ws_closed(h.now, conn), Ok(()));
    assert_eq!(
        h.s.handle_ws_closed(h.now, conn),
        Err(ContractError::UnknownConnection(conn))
    );
    h.s.stop(h.now);
    assert!(h.s.poll_output().is_none(), "stopping twice does nothing");
    h.start();
    assert_eq!(h.s.state(), SessionState::Connected);
}

#[test]
fn stop_before_start_settles_queued_calls() {
    let mut h = Harness::new(config(password()));
    let call = h.s.call_raw(0, "getChats", "{}").unwrap();
    h.s.stop(0);
    h.pump();
    let events = h.take_events();
    assert_eq!(responses(&events), [(call.0, Err(TrueConfError::Stopped))]);
    assert_eq!(stopped(&events), Some(None));
}

// ---- uploads ----

#[test]
fn upload_creates_a_task_posts_the_bytes_and_sends_the_file() {
    let mut h = Harness::connected(config(password()));
    h.take_events();
    let mut file = FileToSend::new(
        "chat-1",
        "report \"q3\"\r\n.pdf",
        "application/pdf",
        b"%PDF-1.7 body".to_vec(),
    );
    file.preview = Some((b"RIFFwebp".to_vec(), "image/webp".into()));
    file.caption = Some(("Q3 report".into(), "text".into()));
    file.reply_message_id = Some("m-0".into());
    let upload = h.s.upload_file(h.now, file).unwrap();
    h.pump();
    let requests = h.requests();
    let frames = h.frames_on(h.conn());
    let upload_file = frames.iter().find(|f| f["method"] == "uploadFile").unwrap();
    assert_eq!(
        upload_file["payload"],
        json!({"fileSize": 13, "fileName": "report _q3___.pdf"})
    );
    let post = h
        .fake
        .http_log
        .iter()
        .find(|r| r.url.ends_with("/bridge/api/client/v1/files"))
        .unwrap()
        .clone();
    assert_eq!(
        post.url,
        "https://video.example.com:443/bridge/api/client/v1/files"
    );
    assert_eq!(post.method, HttpMethod::Post);
    let task = requests
        .iter()
        .position(|(_, _, m)| m == "uploadFile")
        .unwrap();
    assert!(post.header("Upload-Task-Id").unwrap().starts_with("task-"));
    assert!(post.header("Authorization").is_none());
    let content_type = post.header("Content-Type").unwrap().to_owned();
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap();
    let body = String::from_utf8_lossy(&post.body);
    assert!(body.starts_with(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"report _q3___.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7 body\r\n")));
    assert!(body.contains("name=\"preview\"; filename=\"preview.webp\"\r\nContent-Type: image/webp\r\n\r\nRIFFwebp\r\n"));
    assert!(body.ends_with(&format!("--{boundary}--\r\n")));
    let send_file = frames.iter().find(|f| f["method"] == "sendFile").unwrap();
    let temporal = send_file["payload"]["content"]["temporalFileId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(temporal.starts_with("tmpf-"));
    assert_eq!(
        send_file["payload"],
        json!({"chatId":"chat-1","replyMessageId":"m-0","content":{"temporalFileId":temporal,"caption":{"text":"Q3 report","parseMode":"text"}}})
    );
    assert!(requests[task].1 < requests.iter().find(|(_, _, m)| m == "sendFile").unwrap().1);
    let events = h.take_events();
    let stages: Vec<UploadStage> = events
        .iter()
        .filter_map(|e| match e {
            SessionEvent::Upload {
                upload: u,
                progress,
            } if *u == upload => Some(progress.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(stages.len(), 3);
    assert!(
        matches!(&stages[0], UploadStage::TaskCreated { task_id } if task_id.starts_with("task-"))
    );
    assert_eq!(
        stages[1],
        UploadStage::BytesSent {
            temporal_file_id: temporal.clone()
        }
    );
    assert_eq!(stages[2], UploadStage::Sent);
    let done = events
        .iter()
        .find_map(|e| match e {
            SessionEvent::UploadDone { upload: u, result } if *u == upload => Some(result.clone()),
            _ => None,
        })
        .unwrap()
        .unwrap();
    assert_eq!(done.temporal_file_id, temporal);
    assert!(done.file_id.as_deref().unwrap().starts_with("file-"));
    assert!(done.message_id.as_deref().unwrap().starts_with("m-"));
    assert_eq!(done.caption_message_id, None);

    // The same seed gives the same body.
    let mut again = Harness::connected(config(password()));
    let mut file = FileToSend::new(
        "chat-1",
        "report \"q3\"\r\n.pdf",
        "application/pdf",
        b"%PDF-1.7 body".to_vec(),
    );
    file.preview = Some((b"RIFFwebp".to_vec(), "image/webp".into()));
    again.s.upload_file(again.now, file).unwrap();
    again.pump();
    let post_again = again
        .fake
        .http_log
        .iter()
        .find(|r| r.url.ends_with("/files"))
        .unwrap();
    assert_eq!(
        post_again.header("Content-Type"),
        Some(content_type.as_str())
    );
}

#[test]
fn avatars_use_edit_chat_avatar() {
    let mut h = Harness::connected(config(password()));
    let upload =
        h.s.upload_avatar(h.now, "chat-9", "ops.png", "image/png", b"\x89PNG".to_vec())
            .unwrap();
    h.pump();
    let frames = h.frames_on(h.conn());
    let edit = frames
        .iter()
        .find(|f| f["method"] == "editChatAvatar")
        .unwrap();
    assert_eq!(edit["payload"]["chatId"], "chat-9");
    assert!(edit["payload"]["temporalFileId"]
        .as_str()
        .unwrap()
        .starts_with("tmpf-"));
    assert!(!frames.iter().any(|f| f["method"] == "sendFile"));
    let events = h.take_events();
    let done = events
        .iter()
        .find_map(|e| match e {
            SessionEvent::UploadDone { upload: u, result } if *u == upload => Some(result.clone()),
            _ => None,
        })
        .unwrap()
        .unwrap();
    assert_eq!(done.file_id, None);
}

#[test]
fn upload_failures_are_reported_per_upload() {
    let mut h = Harness::connected(config(password()));
    // The HTTP upload refused.
    h.fake
        .upload_replies
        .push_back(HttpReply::Status(400, b"size mismatch".to_vec()));
    let a =
        h.s.upload_file(
            h.now,
            FileToSend::new("c", "a.txt", "text/plain", b"abc".to_vec()),
        )
        .unwrap();
    h.pump();
    // uploadFile refused by the server.
    h.fake
        .replies
        .entry("uploadFile".into())
        .or_default()
        .push_back(WsReply::Payload(json!({"errorCode":406})));
    let b =
        h.s.upload_file(
            h.now,
            FileToSend::new("c", "b.txt", "text/plain", b"abc".to_vec()),
        )
        .unwrap();
    h.pump();
    // uploadFile answered without a task id, and an upload body without temporalFileId.
    h.fake
        .replies
        .entry("uploadFile".into())
        .or_default()
        .push_back(WsReply::Payload(json!({"uploadTask": 5})));
    let c =
        h.s.upload_file(
            h.now,
            FileToSend::new("c", "c.txt", "text/plain", b"abc".to_vec()),
        )
        .unwrap();
    h.pump();
    h.fake.upload_replies.push_back(ok_json(json!({"id": 1})));
    let d =
        h.s.upload_file(
            h.now,
            FileToSend::new("c", "d.txt", "text/plain", b"abc".to_vec()),
        )
        .unwrap();
    h.pump();
    h.fake
        .upload_replies
        .push_back(HttpReply::Error(HttpErrorKind::Io));
    let e =
        h.s.upload_file(
            h.now,
            FileToSend::new("c", "e.txt", "text/plain", b"abc".to_vec()),
        )
        .unwrap();
    h.pump();
    let events = h.take_events();
    let result = |id| {
        events
            .iter()
            .find_map(|ev| match ev {
                SessionEvent::UploadDone { upload, result } if *upload == id => {
                    Some(result.clone())
                }
                _ => None,
            })
            .unwrap()
    };
    assert!(matches!(
        result(a),
        Err(TrueConfError::Http { status: 400, .. })
    ));
    assert_eq!(result(b), Err(server_error(406)));
    assert!(matches!(result(c), Err(TrueConfError::Malformed(_))));
    assert!(matches!(result(d), Err(TrueConfError::Malformed(_))));
    assert_eq!(result(e), Err(TrueConfError::Transport(HttpErrorKind::Io)));
    assert_eq!(h.s.state(), SessionState::Connected);
}

#[test]
fn queued_uploads_wait_for_the_limits_of_the_new_connection() {
    let mut h = Harness::new(config(password()));
    h.fake.limits = json!({"maxSize": 2, "extensions": null});
    h.fake
        .replies
        .entry("getFileUploadLimits".into())
        .or_default()
        .push_back(WsReply::Hold);
    // Accepted while the limits are unknown.
    let before = h.s.call_raw(0, "getChats", "{}").unwrap();
    let big =
        h.s.upload_file(
            0,
            FileToSend::new("c", "a.txt", "text/plain", b"abc".to_vec()),
        )
        .unwrap();
    let small =
        h.s.upload_file(
            0,
            FileToSend::new("c", "b.txt", "text/plain", b"ab".to_vec()),
        )
        .unwrap();
    let after = h.s.call_raw(0, "removeChat", r#"{"chatId":"c"}"#).unwrap();
    h.start();
    let methods =
        |h: &Harness| -> Vec<String> { h.requests().into_iter().map(|(_, _, m)| m).collect() };
    assert_eq!(methods(&h), ["auth", "getFileUploadLimits", "getChats"]);
    assert_eq!(h.s.queued_calls(), 3);
    h.frame(r#"{"type":2,"id":2,"payload":{"maxSize":2,"extensions":null}}"#);
    assert_eq!(
        methods(&h),
        [
            "auth",
            "getFileUploadLimits",
            "getChats",
            "uploadFile",
            "removeChat",
            "sendFile"
        ]
    );
    let upload_file = h
        .frames_on(h.conn())
        .into_iter()
        .find(|f| f["method"] == "uploadFile")
        .unwrap();
    assert_eq!(upload_file["payload"]["fileName"], "b.txt");
    let events = h.take_events();
    let done = |id| {
        events
            .iter()
            .find_map(|e| match e {
                SessionEvent::UploadDone { upload, result } if *upload == id => {
                    Some(result.clone())
                }
                _ => None,
            })
            .unwrap()
    };
    assert!(matches!(done(big), Err(TrueConfError::InvalidArgument(_))));
    assert!(done(small).is_ok());
    let r = responses(&events);
    assert_eq!(
        r.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
        [before.0, after.0]
    );
    // From now on the cache refuses at once.
    assert!(matches!(
        h.s.upload_file(
            h.now,
            FileToSend::new("c", "c.txt", "text/plain", b"abc".to_vec())
        ),
        Err(TrueConfError::InvalidArgument(_))
    ));
}

#[test]
fn uploads_do_not_wait_when_the_limits_fail() {
    let mut h = Harness::new(config(password()));
    h.fake
        .replies
        .entry("getFileUploadLimits".into())
        .or_default()
        .push_back(WsReply::Hold);
    let upload =
        h.s.upload_file(
            0,
            FileToSend::new("c", "a.txt", "text/plain", b"abc".to_vec()),
        )
        .unwrap();
    h.start();
    assert_eq!(h.s.queued_calls(), 1);
    h.advance(15_000);
    let events = h.take_events();
    assert!(events.iter().any(
        |e| matches!(e, SessionEvent::UploadDone { upload: u, result: Ok(_) } if *u == upload)
    ));
    assert!(events
        .iter()
        .any(|e| matches!(e, SessionEvent::Notice { .. })));
}

// ---- downloads ----

fn file_info(id: &str, ready: i64, size: u64, url: Option<&str>) -> Value {
    json!({"name":"report-q3.pdf","size":size,"mimeType":"application/pdf","readyState":ready,
           "infoHash":id,"downloadUrl":url,"previews":null})
}

fn download_result(events: &[SessionEvent]) -> Result<(Value, Vec<u8>), TrueConfError> {
    events
        .iter()
        .find_map(|e| match e {
            SessionEvent::DownloadDone { result, .. } => Some(
                result
                    .clone()
                    .map(|d| (serde_json::from_str(d.info.as_str()).unwrap(), d.bytes)),
            ),
            _ => None,
        })
        .expect("a DownloadDone event")
}

#[test]
fn download_of_a_ready_file() {
    let mut h = Harness::connected(config(password()));
    let url = "https://video.example.com/bridge/api/client/v1/files/f1?token=SECRET";
    h.fake
        .files
        .insert("f1".into(), file_info("f1", 2, 5, Some(url)));
    h.fake
        .downloads
        .insert(url.into(), HttpReply::Status(200, b"hello".to_vec()));
    h.s.download(h.now, "f1").unwrap();
    h.pump();
    let (info, bytes) = download_result(&h.take_events()).unwrap();
    assert_eq!(bytes, b"hello");
    assert_eq!(info["infoHash"], "f1");
    let get = h.fake.http_log.last().unwrap();
    assert_eq!(get.method, HttpMethod::Get);
    assert_eq!(get.url, url);
    assert!(get.headers.is_empty(), "no other authorisation");
    assert!(!format!(
        "{:?}",
        Output::Http {
            id: RequestId(1),
            request: get.clone()
        }
    )
    .contains("SECRET"));

    // An error status: the URL's credential stays out of the error.
    h.fake
        .downloads
        .insert(url.into(), HttpReply::Status(403, b"forbidden".to_vec()));
    h.s.download(h.now, "f1").unwrap();
    h.pump();
    let error = download_result(&h.take_events()).unwrap_err();
    assert!(matches!(error, TrueConfError::Http { status: 403, .. }));
    assert!(!error.to_string().contains("SECRET"));
    assert!(!format!("{error:?}").contains("token="));
}

#[test]
fn download_of_a_gone_file_or_a_malformed_info() {
    let mut h = Harness::connected(config(password()));
    h.fake
        .files
        .insert("gone".into(), file_info("gone", 0, 5, None));
    h.s.download(h.now, "gone").unwrap();
    h.pump();
    let e = download_result(&h.take_events()).unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::FILE_NOT_FOUND));

    h.fake
        .files
        .insert("odd".into(), json!({"name":"x","readyState":"2"}));
    h.s.download(h.now, "odd").unwrap();
    h.pump();
    assert!(matches!(
        download_result(&h.take_events()),
        Err(TrueConfError::Malformed(_))
    ));

    h.fake
        .files
        .insert("nourl".into(), file_info("nourl", 2, 5, None));
    h.s.download(h.now, "nourl").unwrap();
    h.pump();
    assert!(matches!(
        download_result(&h.take_events()),
        Err(TrueConfError::Malformed(_))
    ));
    assert!(matches!(
        h.s.download(h.now, ""),
        Err(TrueConfError::InvalidArgument(_))
    ));
}

#[test]
fn download_of_a_file_still_uploading_waits_for_the_progress() {
    let mut h = Harness::connected(config(password()));
    let url = "https://video.example.com/files/f2?token=t";
    h.fake
        .files
        .insert("f2".into(), file_info("f2", 1, 100, None));
    h.fake
        .downloads
        .insert(url.into(), HttpReply::Status(200, vec![7; 100]));
    h.s.download(h.now, "f2").unwrap();
    h.pump();
    let methods = |h: &Harness| -> Vec<String> {
        h.requests()
            .into_iter()
            .map(|(_, _, m)| m)
            .filter(|m| m.contains("File"))
            .collect()
    };
    assert_eq!(
        methods(&h),
        [
            "getFileUploadLimits",
            "getFileInfo",
            "subscribeFileProgress"
        ]
    );
    let sub = h
        .frames_on(h.conn())
        .into_iter()
        .find(|f| f["method"] == "subscribeFileProgress")
        .unwrap();
    assert_eq!(sub["payload"], json!({"fileId":"f2"}));
    h.advance(5_000);
    // Progress of another file, then partial progress: still waiting.
    h.push_event(
        "uploadFileProgress",
        json!({"fileId":"other","progress":1000}),
    );
    h.push_event("uploadFileProgress", json!({"fileId":"f2","progress":40}));
    assert_eq!(methods(&h).len(), 3);
    // The sender's upload completes; the file becomes ready.
    h.fake
        .files
        .insert("f2".into(), file_info("f2", 2, 100, Some(url)));
    let progress = h.push_event("uploadFileProgress", json!({"fileId":"f2","progress":100}));
    assert_eq!(
        methods(&h),
        [
            "getFileUploadLimits",
            "getFileInfo",
            "subscribeFileProgress",
            "unsubscribeFileProgress",
            "getFileInfo"
        ]
    );
    let events = h.take_events();
    assert_eq!(download_result(&events).unwrap().1, vec![7; 100]);
    // The progress events are acknowledged and handed out too.
    assert!(h.acks().contains(&progress));
    assert!(server_events(&events).iter().any(|(id, _)| *id == progress));
}

#[test]
fn download_waits_are_bounded() {
    let mut c = config(password());
    c.keep_alive = None;
    c.download_wait.progress_timeout_ms = 60_000;
    c.download_wait.recheck_interval_ms = 1_000;
    c.download_wait.max_rechecks = 3;
    let mut h = Harness::connected(c);
    h.fake
        .files
        .insert("f3".into(), file_info("f3", 1, 100, None));
    h.s.download(h.now, "f3").unwrap();
    h.pump();
    h.advance(59_999);
    assert!(!h
        .requests()
        .iter()
        .any(|(_, _, m)| m == "unsubscribeFileProgress"));
    h.advance(1);
    assert!(h
        .requests()
        .iter()
        .any(|(_, _, m)| m == "unsubscribeFileProgress"));
    h.advance(10_000);
    let infos = h
        .requests()
        .iter()
        .filter(|(_, _, m)| m == "getFileInfo")
        .count();
    assert_eq!(
        infos,
        1 + 1 + 3,
        "first look, re-check after the wait, three more"
    );
    let e = download_result(&h.take_events()).unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::FILE_NOT_READY));
    assert_eq!(h.s.poll_timeout(), None);
}

#[test]
fn a_failed_subscription_falls_back_to_rechecking() {
    let mut h = Harness::connected(config(password()));
    let url = "https://video.example.com/files/f4?token=t";
    h.fake
        .files
        .insert("f4".into(), file_info("f4", 1, 10, None));
    h.fake
        .replies
        .entry("subscribeFileProgress".into())
        .or_default()
        .push_back(WsReply::Payload(json!({"errorCode":308})));
    h.fake
        .downloads
        .insert(url.into(), HttpReply::Status(200, vec![1; 10]));
    h.s.download(h.now, "f4").unwrap();
    h.pump();
    h.fake
        .files
        .insert("f4".into(), file_info("f4", 2, 10, Some(url)));
    h.advance(1_000);
    assert_eq!(download_result(&h.take_events()).unwrap().1, vec![1; 10]);
    assert!(!h
        .requests()
        .iter()
        .any(|(_, _, m)| m == "unsubscribeFileProgress"));
}

// ---- the contract ----

#[test]
fn unknown_repeated_and_stale_ids_are_errors() {
    let mut h = Harness::connected(config(password()));
    let conn = h.conn();
    assert_eq!(
        h.s.handle_http_response(h.now, RequestId(9_999), 200, b"{}"),
        Err(ContractError::UnknownRequest(RequestId(9_999)))
    );
    assert_eq!(
        h.s.handle_http_error(h.now, RequestId(1), HttpErrorKind::Io),
        Err(ContractError::UnknownRequest(RequestId(1))),
        "already answered"
    );
    assert_eq!(
        h.s.handle_ws_frame(h.now, ConnId(777), "{}"),
        Err(ContractError::UnknownConnection(ConnId(777)))
    );
    assert_eq!(
        h.s.handle_ws_opened(h.now, conn),
        Err(ContractError::AlreadyOpen(conn))
    );
    assert_eq!(
        h.s.handle_ws_pong(h.now, ConnId(777)),
        Err(ContractError::UnknownConnection(ConnId(777)))
    );
    // A frame for a socket the session replaced: refused, not acknowledged, nothing happens.
    h.server_closes();
    assert_eq!(
        h.s.handle_ws_closed(h.now, conn),
        Err(ContractError::UnknownConnection(conn))
    );
    h.fake.open_mode = OpenMode::Hold;
    h.advance(1_000);
    let pending = h.fake.opens.last().unwrap().0;
    assert_eq!(
        h.s.handle_ws_frame(
            h.now,
            pending,
            r#"{"type":1,"id":3,"method":"x","payload":{}}"#
        ),
        Err(ContractError::NotOpen(pending))
    );
    assert_eq!(
        h.s.handle_ws_pong(h.now, pending),
        Err(ContractError::NotOpen(pending))
    );
    assert!(h.s.poll_output().is_none());
    h.s.handle_ws_opened(h.now, pending).unwrap();
    h.fake.open_conn = Some(pending);
    h.pump();
    assert_eq!(h.s.state(), SessionState::Connected);
    // Keep-alive drops the socket; frames still arriving on it are refused.
    h.fake.auto_pong = false;
    h.advance(40_000);
    assert_eq!(
        h.s.handle_ws_frame(
            h.now,
            pending,
            r#"{"type":1,"id":4,"method":"x","payload":{}}"#
        ),
        Err(ContractError::StaleConnection(pending))
    );
    assert!(!h.acks().contains(&4));
}

#[test]
fn spurious_timeouts_do_nothing() {
    let mut h = Harness::connected(config(password()));
    h.fake
        .replies
        .entry("getChats".into())
        .or_default()
        .push_back(WsReply::Hold);
    h.s.call_raw(h.now, "getChats", "{}").unwrap();
    h.pump();
    let next = h.s.poll_timeout().unwrap();
    for t in [h.now, h.now + 1, next - 1] {
        h.s.handle_timeout(t);
        assert!(h.s.poll_output().is_none());
    }
    assert_eq!(h.s.poll_timeout(), Some(next));
}

#[test]
fn the_debug_output_hides_the_token_and_password() {
    let mut c = config(password());
    c.probe_version = false;
    let mut s = TrueConfSession::new(c.clone());
    assert!(!format!("{c:?}").contains("s3cret"));
    s.start(0).unwrap();
    let Some(Output::Http { id, request }) = s.poll_output() else {
        panic!()
    };
    assert!(!format!("{request:?}").contains("s3cret"));
    let token = jwt(FAR_EXP, 5);
    let body = json!({"access_token": token}).to_string();
    s.handle_http_response(1, id, 201, body.as_bytes()).unwrap();
    let Some(Output::WsOpen { conn, .. }) = s.poll_output() else {
        panic!()
    };
    s.handle_ws_opened(2, conn).unwrap();
    let out = s.poll_output().unwrap();
    assert!(matches!(&out, Output::WsSend { text, .. } if text.contains(&token)));
    assert!(!format!("{out:?}").contains(&token));
    assert!(!format!("{s:?}").contains("s3cret"));
}

// ---- hostile frames ----

#[test]
fn thousands_of_random_and_truncated_frames_never_panic() {
    let samples = [
        r#"{"type":1,"id":20417,"method":"sendMessage","payload":{"chat":{"chatId":"5e0c","chatTitle":"Alice","chatType":1},"chatId":"5e0c","messageId":"c3a1","timestamp":1781234567890,"author":{"id":"alice@video.example.com","type":1},"box":{"id":118,"position":"117"},"type":200,"content":{"text":"Where is my <b>invoice</b>?","parseMode":"html"},"isEdited":false}}"#,
        r#"{"type":1,"id":20431,"method":"getFileUploadLimits","payload":{"maxSize":null,"extensions":null}}"#,
        r#"{"type":1,"id":20432,"method":"uploadFileProgress","payload":{"fileId":"f","progress":1048576}}"#,
        r#"{"type":2,"id":3,"payload":{"errorCode":304}}"#,
        r#"{"type":2,"id":4,"payload":[{"chatId":"a","title":null,"chatType":1,"unreadMessages":0}]}"#,
        r#"{"type":2,"id":1,"payload":{"userId":"helpdesk_bot@video.example.com/x","connectionId":"c"}}"#,
    ];
    let mut c = config(password());
    c.max_frame_bytes = 4096;
    let mut h = Harness::connected(c);
    let conn = h.conn();
    let mut rng = SeededRng::new(0xf422);
    let alphabet = b"{}[]\":,0123456789-.etrufalsn \\/u\xc3\xa9";
    for round in 0..4_000 {
        let base = samples[round % samples.len()];
        let mut bytes = base.as_bytes().to_vec();
        match rng.range(0, 3) {
            0 => bytes.truncate(rng.range(0, bytes.len() as u64) as usize),
            1 => {
                for _ in 0..rng.range(1, 6) {
                    let at = rng.range(0, bytes.len() as u64 - 1) as usize;
                    bytes[at] = alphabet[rng.range(0, alphabet.len() as u64 - 1) as usize];
                }
            }
            2 => {
                let len = rng.range(0, 64) as usize;
                bytes = (0..len)
                    .map(|_| alphabet[rng.range(0, alphabet.len() as u64 - 1) as usize])
                    .collect();
            }
            _ => {
                let at = rng.range(0, bytes.len() as u64) as usize;
                let cut = rng.range(at as u64, bytes.len() as u64) as usize;
                bytes.drain(at..cut);
            }
        }
        let text = String::from_utf8_lossy(&bytes);
        h.s.handle_ws_frame(h.now, conn, &text).unwrap();
        h.pump();
    }
    assert_eq!(h.s.state(), SessionState::Connected);
    h.take_events();
    h.fake.replies.clear();
    let call = h.s.call_raw(h.now, "getChats", "{}").unwrap();
    h.pump();
    let r = responses(&h.take_events());
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].0, call.0);
    assert!(r[0].1.is_ok());
}

#[test]
fn huge_frames_are_refused_and_the_session_keeps_working() {
    let mut c = config(password());
    c.max_frame_bytes = 1024;
    let mut h = Harness::connected(c);
    h.take_events();
    let big =
        json!({"type":1,"id":31337,"method":"sendMessage","payload":{"text":"x".repeat(5000)}})
            .to_string();
    h.frame(&big);
    let events = h.take_events();
    assert_eq!(malformed(&events), 1);
    assert!(server_events(&events).is_empty());
    assert!(
        h.acks().contains(&31337),
        "acknowledged, as its id could be read"
    );
    let reason = events
        .iter()
        .find_map(|e| match e {
            SessionEvent::Malformed { reason } => Some(reason.clone()),
            _ => None,
        })
        .unwrap();
    assert!(reason.len() < 200 && !reason.contains("xxxx"));
    // A huge response is refused as well, without settling anything.
    h.fake
        .replies
        .entry("getChats".into())
        .or_default()
        .push_back(WsReply::Raw(
            json!({"type":2,"id":3,"payload":{"pad":"y".repeat(4000)}}).to_string(),
        ));
    h.s.call_raw(h.now, "getChats", "{}").unwrap();
    h.pump();
    assert_eq!(malformed(&h.take_events()), 1);
    assert_eq!(h.s.pending_calls(), 1);
    // Under the limit, all is well.
    let id = h.push_event("removeChat", json!({"chatId":"c"}));
    assert!(server_events(&h.take_events())
        .iter()
        .any(|(f, _)| *f == id));
    assert_eq!(h.s.state(), SessionState::Connected);
}

#[test]
fn responses_with_missing_or_wrong_typed_fields() {
    let mut h = Harness::connected(config(password()));
    h.take_events();
    for text in [
        r#"{"type":2,"id":"3","payload":{}}"#,
        r#"{"type":"2","id":3,"payload":{}}"#,
        r#"{"id":3,"payload":{}}"#,
        r#"{"type":2,"payload":{}}"#,
        r#"{"type":2,"id":-3}"#,
        r#"{"type":2,"id":3.5}"#,
        r#"{"type":7,"id":3}"#,
        r#"[2,3,{}]"#,
        r#""text""#,
        r#"null"#,
        r#"{"type":2,"id":3,"id":4}"#,
    ] {
        h.frame(text);
    }
    let events = h.take_events();
    assert_eq!(malformed(&events), 11);
    assert!(h.acks().is_empty());
    // A response without payload settles its call with an empty object.
    h.fake
        .replies
        .entry("removeChat".into())
        .or_default()
        .push_back(WsReply::Raw(r#"{"type":2,"id":3}"#.into()));
    let call =
        h.s.call_raw(h.now, "removeChat", r#"{"chatId":"c"}"#)
            .unwrap();
    h.pump();
    assert_eq!(responses(&h.take_events()), [(call.0, Ok(json!({})))]);
    // A response whose payload is not what the typed call expects: a parse error, not a panic.
    h.fake
        .replies
        .entry("getUserDisplayName".into())
        .or_default()
        .push_back(WsReply::Payload(json!({"displayName": 5})));
    h.s.call(
        h.now,
        &GetUserDisplayName {
            user_id: "a@b".into(),
        },
    )
    .unwrap();
    h.pump();
    let events = h.take_events();
    assert!(matches!(
        events[0].parse::<DisplayName>(),
        Some(Err(TrueConfError::Malformed(_)))
    ));
}
