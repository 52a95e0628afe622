//! The TrueConf simulator driven with raw HTTP requests and JSON frames, the way a client on
//! the wire would: every endpoint, every method, every test hook, the error paths, and
//! garbage that must never make it panic.

use std::collections::BTreeMap;

use botwire_core::io::{HttpMethod, HttpRequest, SeededRng};
use botwire_core::sim::trueconf::{
    ExtensionMode, Fault, FaultKind, SimConfig, SimConn, SimUser, SimWsOut, TranscriptAction,
    TrueConfSim, UploadLimits, METHODS,
};
use serde_json::{json, Value};

const BOT: &str = "helpdesk_bot@video.example.com";
const ALICE: &str = "alice@video.example.com";

/// A client side for the simulator on a virtual clock: it collects every frame per
/// connection and lets tests call methods synchronously.
struct Bench {
    sim: TrueConfSim,
    now: u64,
    next_id: u64,
    frames: BTreeMap<SimConn, Vec<Value>>,
    closed: Vec<SimConn>,
}

impl Bench {
    fn new() -> Self {
        Self::with(SimConfig::default())
    }

    fn with(mut config: SimConfig) -> Self {
        config
            .users
            .push(SimUser::new("alice", "Alice Meyer").with_password("alice-pw"));
        Bench {
            sim: TrueConfSim::new(config),
            now: 1_000,
            next_id: 0,
            frames: BTreeMap::new(),
            closed: Vec::new(),
        }
    }

    fn drain(&mut self) {
        while let Some((conn, out)) = self.sim.poll_ws() {
            match out {
                SimWsOut::Text(text) => {
                    assert!(text.len() < 1024 * 1024, "frame over 1 MiB");
                    let frame: Value = serde_json::from_str(&text).expect("frames are JSON");
                    self.frames.entry(conn).or_default().push(frame);
                }
                SimWsOut::Close => self.closed.push(conn),
            }
        }
    }

    /// Lets `ms` pass, firing every timer on the way.
    fn advance(&mut self, ms: u64) {
        let until = self.now + ms;
        while let Some(at) = self.sim.next_event().filter(|at| *at <= until) {
            self.now = self.now.max(at);
            self.sim.handle_timeout(self.now);
            self.drain();
        }
        self.now = until;
        self.sim.handle_timeout(self.now);
        self.drain();
    }

    fn http(
        &mut self,
        method: HttpMethod,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> (u16, Vec<u8>) {
        self.now += 1;
        let request = HttpRequest {
            method,
            url: format!("http://127.0.0.1:4309{path}"),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body,
            timeout_ms: None,
        };
        let response = self.sim.handle_http(self.now, &request);
        (response.status, response.body)
    }

    fn post_json(&mut self, path: &str, body: Value) -> (u16, Value) {
        let (status, body) = self.http(
            HttpMethod::Post,
            path,
            &[("Content-Type", "application/json")],
            body.to_string().into_bytes(),
        );
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    fn get_json(&mut self, path: &str) -> (u16, Value) {
        let (status, body) = self.http(HttpMethod::Get, path, &[], Vec::new());
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    fn token(&mut self, user: &str, password: &str) -> String {
        let (status, body) = self.post_json(
            "/bridge/api/client/v1/oauth/token",
            json!({"client_id":"chat_bot","grant_type":"password","username":user,"password":password}),
        );
        assert_eq!(status, 201, "{body}");
        body["access_token"].as_str().unwrap().to_owned()
    }

    fn open(&mut self) -> SimConn {
        self.now += 1;
        self.sim
            .ws_open(self.now, "/websocket/chat_bot", &[])
            .unwrap()
            .conn
    }

    fn send(&mut self, conn: SimConn, frame: &Value) {
        self.now += 1;
        self.sim
            .ws_receive(self.now, conn, &frame.to_string())
            .unwrap();
        self.drain();
    }

    /// Sends a request and returns the payload of its answer (which must come at once).
    fn call(&mut self, conn: SimConn, method: &str, payload: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(
            conn,
            &json!({"type":1,"id":id,"method":method,"payload":payload}),
        );
        self.take_response(conn, id)
            .unwrap_or_else(|| panic!("no answer to {method}"))
    }

    fn take_response(&mut self, conn: SimConn, id: u64) -> Option<Value> {
        let frames = self.frames.entry(conn).or_default();
        let index = frames
            .iter()
            .position(|f| f["type"] == 2 && f["id"] == id)?;
        Some(frames.remove(index)["payload"].clone())
    }

    /// Takes the events received on a connection, acknowledging them.
    fn events(&mut self, conn: SimConn) -> Vec<Value> {
        self.drain();
        let frames = self.frames.entry(conn).or_default();
        let (events, rest): (Vec<Value>, Vec<Value>) =
            frames.drain(..).partition(|f| f["type"] == 1);
        *frames = rest;
        for event in &events {
            self.send(conn, &json!({"type":2,"id":event["id"]}));
        }
        events
    }

    /// Takes the events of one method, acknowledging every event.
    fn events_of(&mut self, conn: SimConn, method: &str) -> Vec<Value> {
        self.events(conn)
            .into_iter()
            .filter(|e| e["method"] == method)
            .collect()
    }

    fn auth(&mut self, conn: SimConn, token: &str, unread: bool, system: bool) -> Value {
        self.call(
            conn,
            "auth",
            json!({"token":token,"tokenType":"JWT","receiveUnread":unread,"receiveSystemMessageEnvelopes":system}),
        )
    }

    /// A bot connection, authorised, past its hold, with the connect-time events taken.
    fn login(&mut self, user: &str, password: &str, system: bool) -> SimConn {
        let token = self.token(user, password);
        let conn = self.open();
        let answer = self.auth(conn, &token, false, system);
        assert!(answer["userId"].is_string(), "{answer}");
        self.advance(150);
        let events = self.events(conn);
        assert_eq!(events[0]["method"], "getFileUploadLimits");
        conn
    }

    fn bot(&mut self) -> SimConn {
        self.login("helpdesk_bot", "s3cret", false)
    }

    /// Posts a multipart body with boundary `b` to the upload endpoint; returns the status.
    fn post_multipart(&mut self, task: Option<&str>, body: Vec<u8>) -> u16 {
        let mut headers = vec![("Content-Type", "multipart/form-data; boundary=b")];
        if let Some(task) = task {
            headers.push(("Upload-Task-Id", task));
        }
        self.http(
            HttpMethod::Post,
            "/bridge/api/client/v1/files",
            &headers,
            body,
        )
        .0
    }

    fn upload(&mut self, conn: SimConn, name: &str, mime: &str, bytes: &[u8]) -> String {
        let task = self.call(
            conn,
            "uploadFile",
            json!({"fileSize": bytes.len(), "fileName": name}),
        );
        let task = task["uploadTaskId"].as_str().expect("task id").to_owned();
        let mut body = format!(
            "------tcb\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {mime}\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n------tcb--\r\n");
        let (status, answer) = self.http(
            HttpMethod::Post,
            "/bridge/api/client/v1/files",
            &[
                ("Upload-Task-Id", task.as_str()),
                ("Content-Type", "multipart/form-data; boundary=----tcb"),
            ],
            body,
        );
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
        let answer: Value = serde_json::from_slice(&answer).unwrap();
        answer["temporalFileId"].as_str().unwrap().to_owned()
    }
}

fn error_code(payload: &Value) -> i64 {
    payload["errorCode"].as_i64().unwrap_or(0)
}

fn jwt_payload(token: &str) -> Value {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    let segment = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
}

// ---- HTTP ---------------------------------------------------------------------------------

#[test]
fn server_info_and_connects() {
    let mut b = Bench::new();
    let (status, body) = b.get_json("/api/v4/server");
    assert_eq!(status, 200);
    assert_eq!(body["product"]["version"], "5.5.6.21140");
    assert_eq!(body["product"]["display_name"], "video.example.com");
    let (status, body) = b.get_json("/api/v4/endpoints/connects");
    assert_eq!(
        (status, body["connects"][0].as_str()),
        (200, Some("video.example.com:4307"))
    );
    assert_eq!(b.get_json("/nothing/here").0, 404);
    assert_eq!(b.post_json("/api/v4/server", json!({})).0, 405);
    assert_eq!(b.get_json("/websocket/chat_bot").0, 400);
}

#[test]
fn password_token_and_its_failures() {
    let mut b = Bench::new();
    let token = b.token("helpdesk_bot", "s3cret");
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    assert!(parts[2].is_empty() && !token.contains(char::is_whitespace));
    let payload = jwt_payload(&token);
    let config = SimConfig::default();
    let issued = (config.unix_ms + b.now) / 1000;
    assert_eq!(
        payload["exp"].as_u64(),
        Some(issued + config.token_lifetime_s)
    );
    // Each request mints a new token.
    assert_ne!(b.token("helpdesk_bot", "s3cret"), token);
    // The full id works as the user name too.
    b.token(BOT, "s3cret");

    let path = "/bridge/api/client/v1/oauth/token";
    let good = json!({"client_id":"chat_bot","grant_type":"password","username":"helpdesk_bot","password":"s3cret"});
    let with = |key: &str, value: Value| {
        let mut body = good.clone();
        body[key] = value;
        body
    };
    let (status, body) = b.post_json(path, with("password", json!("wrong")));
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_grant");
    assert!(body["error_description"].is_string());
    assert_eq!(b.post_json(path, with("username", json!("nobody"))).0, 401);
    assert_eq!(
        b.post_json(path, with("username", json!("bob"))).0,
        401,
        "no password"
    );
    assert_eq!(
        b.post_json(path, with("client_id", json!("x"))).1["error"],
        "invalid_client"
    );
    assert_eq!(
        b.post_json(path, with("grant_type", json!("code"))).1["error"],
        "unsupported_grant_type"
    );
    assert_eq!(
        b.post_json(path, with("password", json!(5))).1["error"],
        "invalid_request"
    );
    let (status, _) = b.http(HttpMethod::Post, path, &[], b"{not json".to_vec());
    assert_eq!(status, 400);

    b.sim.add_user(SimUser {
        disabled: true,
        ..SimUser::new("eve", "Eve").with_password("pw")
    });
    assert_eq!(
        b.post_json(path, with("username", json!("eve")).clone()).0,
        401
    );

    let config = SimConfig {
        password_login_disabled: true,
        ..SimConfig::default()
    };
    let mut b = Bench::with(config);
    let (status, body) = b.post_json(path, good);
    assert_eq!(
        (status, body),
        (403, json!({"error":"auth_method_disabled"}))
    );
}

fn oauth(b: &mut Bench, client_id: &str) -> (u16, Value, Option<String>) {
    let (status, body) = b.post_json(
        "/api/v4/oauth2/token",
        json!({"client_id":client_id,"grant_type":"password","username":"helpdesk_bot","password":"s3cret"}),
    );
    if status != 200 {
        return (status, body, None);
    }
    let web = body["access_token"].as_str().unwrap().to_owned();
    let (status, body) = b.post_json(
        "/bridge/api/client/v1/auth/web_rest_api_token",
        json!({"client_id":"helpdesk_bot","token":web}),
    );
    assert_eq!(status, 200, "{body}");
    let code = body["authorization_code"].as_str().unwrap().to_owned();
    let (status, body) = b.post_json(
        "/bridge/api/client/v1/auth/token",
        json!({"client_id":"user","grant_type":"authorization_code","code":code}),
    );
    let token = body["access_token"].as_str().map(str::to_owned);
    // A code works once.
    let (again, _) = b.post_json(
        "/bridge/api/client/v1/auth/token",
        json!({"client_id":"user","grant_type":"authorization_code","code":code}),
    );
    assert_eq!(again, 401);
    (status, body, token)
}

#[test]
fn oauth_application_flow() {
    let mut b = Bench::new();
    let (status, body, token) = oauth(&mut b, "botwire-oauth-app");
    assert_eq!(status, 200, "{body}");
    let token = token.unwrap();
    assert!(jwt_payload(&token)["exp"].is_u64());
    let conn = b.open();
    assert!(b.auth(conn, &token, false, false)["userId"]
        .as_str()
        .unwrap()
        .starts_with(BOT));

    assert_eq!(oauth(&mut b, "other-app").0, 401);
    let (status, _) = b.post_json(
        "/api/v4/oauth2/token",
        json!({"client_id":"botwire-oauth-app","grant_type":"password","username":"helpdesk_bot","password":"no"}),
    );
    assert_eq!(status, 401);
    let (status, _) = b.post_json(
        "/bridge/api/client/v1/auth/web_rest_api_token",
        json!({"client_id":"helpdesk_bot","token":"unknown"}),
    );
    assert_eq!(status, 401);
    let (status, _) = b.post_json(
        "/bridge/api/client/v1/auth/token",
        json!({"client_id":"chat_bot","grant_type":"authorization_code","code":"x"}),
    );
    assert_eq!(status, 401);

    let config = SimConfig {
        oauth_scope_missing: true,
        ..SimConfig::default()
    };
    let mut b = Bench::with(config);
    let (status, body, _) = oauth(&mut b, "botwire-oauth-app");
    assert_eq!(status, 400);
    assert_eq!(body["error"]["errors"][0]["reason"], "invalidScope");
    assert_eq!(body["error"]["code"], 400);
}

// ---- WebSocket: connection and auth ---------------------------------------------------------

#[test]
fn upgrade_paths_protocols_and_the_connection_cap() {
    let config = SimConfig {
        max_connections: 2,
        ..SimConfig::default()
    };
    let mut b = Bench::with(config);
    let accept = b
        .sim
        .ws_open(1, "/websocket/chat_bot/", &["json.v1"])
        .unwrap();
    assert_eq!(accept.protocol.as_deref(), Some("json.v1"));
    let accept = b
        .sim
        .ws_open(1, "/websocket/chat_bot?x=1", &["foo, json.v1"])
        .unwrap();
    assert_eq!(accept.protocol.as_deref(), Some("json.v1"));
    assert_eq!(
        b.sim
            .ws_open(1, "/websocket/chat_bot", &[])
            .unwrap_err()
            .status,
        503
    );
    b.sim.ws_closed(2, accept.conn);
    let accept = b.sim.ws_open(3, "/websocket/chat_bot", &["foo"]).unwrap();
    assert_eq!(accept.protocol, None);
    assert_eq!(
        b.sim
            .ws_open(4, "/websocket/other", &[])
            .unwrap_err()
            .status,
        404
    );
    assert_eq!(b.sim.connections().len(), 2);
    assert!(b.sim.ws_receive(5, SimConn(999), "{}").is_err());
}

#[test]
fn auth_answers_and_failures() {
    let mut b = Bench::new();
    let conn = b.open();
    // Anything before auth: 200.
    assert_eq!(
        error_code(&b.call(conn, "getChats", json!({"count":1,"page":1}))),
        200
    );
    assert_eq!(error_code(&b.call(conn, "noSuchMethod", json!({}))), 200);
    assert_eq!(error_code(&b.auth(conn, "garbage", false, false)), 201);
    assert_eq!(
        error_code(&b.auth(conn, "e30.e30.", false, false)),
        201,
        "never minted"
    );
    assert_eq!(
        error_code(&b.call(conn, "auth", json!({"tokenType":"JWT"}))),
        399
    );
    let token = b.token("helpdesk_bot", "s3cret");
    assert_eq!(
        error_code(&b.call(conn, "auth", json!({"token":token,"tokenType":"Basic"}))),
        204
    );
    let answer = b.auth(conn, &token, false, false);
    let user_id = answer["userId"].as_str().unwrap();
    let (id, resource) = user_id.split_once('/').unwrap();
    assert_eq!(id, BOT);
    assert!(!resource.is_empty());
    assert_eq!(answer["connectionId"].as_str().unwrap().len(), 36);
    let info = &b.sim.connections()[0];
    assert_eq!(info.user.as_deref(), Some(BOT));

    // A disabled account: 202.
    b.sim
        .add_user(SimUser::new("zed", "Zed").with_password("pw"));
    let zed = b.token("zed", "pw");
    b.sim.add_user(SimUser {
        disabled: true,
        ..SimUser::new("zed", "Zed").with_password("pw")
    });
    let other = b.open();
    assert_eq!(error_code(&b.auth(other, &zed, false, false)), 202);
}

#[test]
fn tokens_expire_naturally_and_by_hook() {
    let config = SimConfig {
        token_lifetime_s: 10,
        ..SimConfig::default()
    };
    let mut b = Bench::with(config);
    let token = b.token("helpdesk_bot", "s3cret");
    let conn = b.open();
    b.auth(conn, &token, false, false);
    b.advance(11_000);
    // An authorised socket stays usable after expiry; a new auth does not.
    assert_eq!(error_code(&b.call(conn, "getChats", json!({}))), 0);
    let late = b.open();
    assert_eq!(error_code(&b.auth(late, &token, false, false)), 203);

    let mut b = Bench::new();
    let conn = b.bot();
    let token = b.token("helpdesk_bot", "s3cret");
    b.sim.expire_all_tokens(b.now);
    assert_eq!(error_code(&b.call(conn, "getChats", json!({}))), 203);
    let other = b.open();
    assert_eq!(error_code(&b.auth(other, &token, false, false)), 203);
    let fresh = b.token("helpdesk_bot", "s3cret");
    assert!(b.auth(other, &fresh, false, false)["userId"].is_string());
    assert_eq!(error_code(&b.call(other, "getChats", json!({}))), 0);
    let minted = b.sim.mint_token(b.now, "helpdesk_bot").unwrap();
    let third = b.open();
    assert!(b.auth(third, &minted, false, false)["userId"].is_string());
    assert!(b.sim.mint_token(b.now, "nobody").is_err());
}

#[test]
fn events_wait_for_the_next_frame_or_100_ms_after_auth() {
    let mut b = Bench::new();
    let token = b.token("helpdesk_bot", "s3cret");
    let conn = b.open();
    b.auth(conn, &token, false, false);
    b.sim
        .user_sends_text(b.now, "alice", None, "early")
        .unwrap();
    b.drain();
    assert!(
        b.frames[&conn].is_empty(),
        "nothing pushed with the auth answer"
    );
    assert_eq!(b.sim.connections()[0].held_events, 3);
    b.advance(50);
    assert!(b.frames[&conn].is_empty());
    b.advance(60);
    let methods: Vec<Value> = b
        .events(conn)
        .into_iter()
        .map(|e| e["method"].clone())
        .collect();
    assert_eq!(
        methods,
        ["getFileUploadLimits", "createP2PChat", "sendMessage"]
    );

    // The client's next frame releases the events at once.
    let conn = b.open();
    b.auth(conn, &token, false, false);
    b.sim
        .user_sends_text(b.now, "alice", None, "second")
        .unwrap();
    b.drain();
    assert!(b.frames[&conn].is_empty());
    let answer = b.call(conn, "getChats", json!({"count":5,"page":1}));
    assert!(answer.is_array());
    let events = b.events(conn);
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["payload"]["content"]["text"], "second");
}

// ---- WebSocket: frames, acknowledgements, faults --------------------------------------------

#[test]
fn echo_between_a_user_and_the_bot_with_acknowledgements() {
    let mut b = Bench::new();
    let bot = b.bot();
    let alice = b.login("alice", "alice-pw", false);
    let injected = b
        .sim
        .user_sends_text(b.now, "alice", None, "Where is my invoice?")
        .unwrap();
    b.drain();
    let chat = injected.chat_id.clone();
    assert_eq!(chat.len(), 40);
    // createP2PChat to both sides, sendMessage to the bot and to Alice's own socket.
    assert_eq!(injected.event_ids.len(), 4);
    let events = b.events(bot);
    assert_eq!(events[0]["method"], "createP2PChat");
    assert_eq!(events[0]["payload"]["title"], "Alice Meyer");
    assert_eq!(events[0]["payload"]["chatType"], 1);
    assert!(events[0]["payload"]["lastMessage"].is_null());
    let message = &events[1]["payload"];
    assert_eq!(events[1]["method"], "sendMessage");
    assert_eq!(
        message["chat"],
        json!({"chatId":chat,"chatTitle":"Alice Meyer","chatType":1})
    );
    assert_eq!(message["chatId"], chat.as_str());
    assert_eq!(message["author"], json!({"id":ALICE,"type":1}));
    assert_eq!(message["type"], 200);
    assert_eq!(
        message["content"],
        json!({"text":"Where is my invoice?","parseMode":"text"})
    );
    assert_eq!(message["isEdited"], false);
    assert_eq!(message["box"]["id"], 1);
    assert!(message["timestamp"].as_u64().unwrap() > 1_781_234_000_000);
    let to_bot: Vec<u64> = events.iter().map(|e| e["id"].as_u64().unwrap()).collect();
    assert!(to_bot
        .iter()
        .all(|id| injected.event_ids.contains(id) && b.sim.is_acked(*id)));
    // Alice's own connection saw the chat created (from her side) and her message.
    let alice_events = b.events(alice);
    assert_eq!(alice_events.len(), 2);
    assert_eq!(alice_events[0]["payload"]["title"], "Helpdesk Bot");
    assert_eq!(alice_events[1]["payload"]["author"]["id"], ALICE);

    // The bot answers; Alice's connection gets it, the transcript records it.
    let reply_to = message["messageId"].as_str().unwrap().to_owned();
    let answer = b.call(
        bot,
        "sendMessage",
        json!({"chatId":chat,"replyMessageId":reply_to,"content":{"text":"echo: Where is my invoice?","parseMode":"text"}}),
    );
    assert_eq!(answer["chatId"], chat.as_str());
    assert!(answer["messageId"].is_string() && answer["timestamp"].is_u64());
    let got = b.events_of(alice, "sendMessage");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["payload"]["author"]["id"], BOT);
    assert_eq!(got[0]["payload"]["box"]["id"], 2);
    assert_eq!(got[0]["payload"]["replyMessageId"], reply_to.as_str());
    assert_eq!(
        got[0]["payload"]["replyMessage"]["messageId"],
        reply_to.as_str()
    );
    assert!(
        b.events(bot).is_empty(),
        "no echo on the sending connection"
    );
    let entry = b.sim.transcript().last().unwrap();
    assert_eq!(entry.action, TranscriptAction::Sent);
    assert_eq!(entry.text.as_deref(), Some("echo: Where is my invoice?"));
    assert_eq!(entry.chat_id.as_deref(), Some(chat.as_str()));
    assert_eq!(entry.reply_to.as_deref(), Some(reply_to.as_str()));
    assert_eq!(entry.author, BOT);

    // Alice writes back over her own socket: the bot gets it.
    b.call(
        alice,
        "sendMessage",
        json!({"chatId":chat,"content":{"text":"thanks","parseMode":"text"}}),
    );
    let got = b.events_of(bot, "sendMessage");
    assert_eq!(got[0]["payload"]["content"]["text"], "thanks");
    assert!(b.sim.unacked_events().is_empty());
    assert_eq!(b.sim.acked_event_ids().len(), b.sim.pushed_events().len());
    // Event ids are unique.
    let mut ids: Vec<u64> = b.sim.pushed_events().iter().map(|e| e.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), b.sim.pushed_events().len());
    // Repeated or foreign acknowledgements are only counted.
    b.send(bot, &json!({"type":2,"id":ids[0]}));
    b.send(bot, &json!({"type":2,"id":1}));
    assert_eq!(b.sim.counters().stray_acks, 2);
}

#[test]
fn unknown_methods_bad_payloads_and_duplicate_ids() {
    let mut b = Bench::new();
    let bot = b.bot();
    assert_eq!(error_code(&b.call(bot, "fly", json!({}))), 399);
    b.send(
        bot,
        &json!({"type":1,"id":500,"method":"getChats","payload":[1]}),
    );
    assert_eq!(error_code(&b.take_response(bot, 500).unwrap()), 399);
    b.send(bot, &json!({"type":1,"id":501,"payload":{}}));
    assert_eq!(error_code(&b.take_response(bot, 501).unwrap()), 399);
    // No payload at all counts as {}.
    b.send(
        bot,
        &json!({"type":1,"id":502,"method":"createFavoritesChat"}),
    );
    assert!(b.take_response(bot, 502).unwrap()["chatId"].is_string());

    // While an answer is delayed, its id is in flight: reusing it answers 2.
    b.sim.set_response_delay(200);
    b.send(
        bot,
        &json!({"type":1,"id":7,"method":"getChats","payload":{}}),
    );
    assert!(b.take_response(bot, 7).is_none());
    b.send(
        bot,
        &json!({"type":1,"id":7,"method":"getChats","payload":{}}),
    );
    assert_eq!(error_code(&b.take_response(bot, 7).unwrap()), 2);
    assert_eq!(b.sim.next_event(), Some(b.now - 1 + 200));
    b.advance(250);
    assert!(b.take_response(bot, 7).unwrap().is_array());
    b.sim.set_response_delay(0);
    // Ids may repeat once answered (the Python client's counter never does, others may).
    b.send(
        bot,
        &json!({"type":1,"id":7,"method":"getChats","payload":{}}),
    );
    assert!(b.take_response(bot, 7).unwrap().is_array());
}

#[test]
fn faults_fail_close_and_delay() {
    let mut b = Bench::new();
    let bot = b.bot();
    let chat = b.call(bot, "createGroupChat", json!({"title":"Ops"}))["chatId"].clone();
    b.sim.fail_next("sendMessage", 304);
    let text = json!({"chatId":chat,"content":{"text":"hi","parseMode":"text"}});
    assert_eq!(
        b.call(bot, "sendMessage", text.clone()),
        json!({"errorCode":304})
    );
    assert!(b.call(bot, "sendMessage", text.clone())["messageId"].is_string());
    assert_eq!(
        b.sim.transcript().len(),
        1,
        "the failed call was not executed"
    );

    b.sim
        .inject_fault(Fault::new(FaultKind::Delay(300)).on_method("getChats"));
    b.send(
        bot,
        &json!({"type":1,"id":900,"method":"getChats","payload":{}}),
    );
    assert!(b.take_response(bot, 900).is_none());
    b.advance(299);
    assert!(b.take_response(bot, 900).is_none());
    b.advance(2);
    assert!(b.take_response(bot, 900).is_some());

    // The socket closes instead of answering; the request is not executed.
    b.sim.close_socket_on_next("sendMessage");
    b.send(
        bot,
        &json!({"type":1,"id":901,"method":"sendMessage","payload":text}),
    );
    assert!(b.take_response(bot, 901).is_none());
    assert_eq!(b.closed, [bot]);
    assert_eq!(b.sim.transcript().len(), 1);
    assert!(b.sim.ws_receive(b.now, bot, "{}").is_err());

    // Executed, then closed: the answer is lost but the message exists.
    let bot = b.bot();
    b.sim
        .inject_fault(Fault::new(FaultKind::CloseSocketAfterExecuting).on_method("sendMessage"));
    b.send(
        bot,
        &json!({"type":1,"id":902,"method":"sendMessage","payload":text}),
    );
    assert!(b.take_response(bot, 902).is_none());
    assert_eq!(b.closed.len(), 2);
    assert_eq!(b.sim.transcript().len(), 2);

    // A fault for any method, twice; then cleared.
    let bot = b.bot();
    b.sim
        .inject_fault(Fault::new(FaultKind::ErrorCode(300)).times(2));
    assert_eq!(error_code(&b.call(bot, "getChats", json!({}))), 300);
    assert_eq!(b.sim.pending_faults().count(), 1);
    b.sim.clear_faults();
    assert_eq!(error_code(&b.call(bot, "getChats", json!({}))), 0);
    assert_eq!(b.sim.counters().faults_applied, 5);

    // Closing sockets from the test.
    let other = b.bot();
    assert_eq!(b.sim.close_all_connections(b.now), 2);
    b.drain();
    assert!(b.closed.contains(&bot) && b.closed.contains(&other));
    assert!(b.sim.close_connection(b.now, bot).is_err());
    let again = b.bot();
    b.sim.close_connection(b.now, again).unwrap();
    b.drain();
    assert_eq!(b.closed.last(), Some(&again));
    assert!(b.sim.connections().is_empty());
}

#[test]
fn unread_messages_are_replayed_and_system_envelopes_are_opt_in() {
    let mut b = Bench::new();
    b.sim.user_sends_text(b.now, "alice", None, "one").unwrap();
    b.sim.user_sends_text(b.now, "alice", None, "two").unwrap();
    let token = b.token("helpdesk_bot", "s3cret");
    let conn = b.open();
    b.auth(conn, &token, true, false);
    b.advance(120);
    let texts: Vec<Value> = b
        .events_of(conn, "sendMessage")
        .into_iter()
        .map(|e| e["payload"]["content"]["text"].clone())
        .collect();
    assert_eq!(texts, ["one", "two"]);
    // Acknowledged ones are read: no replay next time.
    let conn = b.open();
    b.auth(conn, &token, true, false);
    b.advance(120);
    assert!(b.events_of(conn, "sendMessage").is_empty());

    // System envelopes only reach connections that asked for them.
    let plain = b.bot();
    let system = b.login("helpdesk_bot", "s3cret", true);
    let group = b.sim.create_group(b.now, "carol", "Ops", &["helpdesk_bot"]);
    b.sim
        .admin_edits_title(b.now, &group.chat_id, "Ops 24/7")
        .unwrap();
    b.drain();
    let plain_events: Vec<Value> = b
        .events(plain)
        .into_iter()
        .map(|e| e["method"].clone())
        .collect();
    assert_eq!(plain_events, ["createGroupChat", "editChatTitle"]);
    let system_events = b.events(system);
    let envelope = system_events
        .iter()
        .find(|e| e["method"] == "sendMessage")
        .unwrap();
    assert_eq!(envelope["payload"]["type"], 21);
    assert_eq!(
        envelope["payload"]["author"],
        json!({"id":"trueconf.server","type":0})
    );
    assert!(envelope["payload"]["box"]["id"].is_i64());
    assert!(envelope["payload"].get("isEdited").is_none());
}

// ---- methods ------------------------------------------------------------------------------

#[test]
fn message_methods() {
    let mut b = Bench::new();
    let bot = b.bot();
    let alice = b.login("alice", "alice-pw", false);
    let first = b
        .sim
        .user_sends_text(b.now, "alice", None, "hello")
        .unwrap();
    b.events(bot);
    b.events(alice);
    let chat = first.chat_id.clone();
    let user_message = first.message_id.clone().unwrap();

    // sendMessage with buttons, then editMessage (a full overwrite).
    let buttons = json!([[{"type":"command","label":"Done","command":"/done","customData":"inv:88","id":"done-88"},
                          {"type":"url","label":"Open","url":"https://billing.example.com/inv/88"}]]);
    let sent = b.call(
        bot,
        "sendMessage",
        json!({"chatId":chat,"replyMessageId":null,"content":{"text":"**Invoice**","parseMode":"markdown","buttons":buttons}}),
    );
    let mine = sent["messageId"].as_str().unwrap().to_owned();
    assert_eq!(
        b.sim.transcript().last().unwrap().buttons,
        Some(buttons.clone())
    );
    b.events(alice);
    let edited = b.call(
        bot,
        "editMessage",
        json!({"messageId":mine,"content":{"text":"Invoice sent","parseMode":"text"}}),
    );
    assert_eq!(edited["messageId"], mine.as_str());
    let event = &b.events_of(alice, "editMessage")[0]["payload"];
    assert_eq!(
        event["content"],
        json!({"text":"Invoice sent","parseMode":"text"})
    );
    assert_eq!(event["chatId"], chat.as_str());
    let looked_up = b.call(bot, "getMessageById", json!({"messageId":mine}));
    assert_eq!(looked_up["isEdited"], true);
    assert!(
        looked_up["content"].get("buttons").is_none(),
        "edits overwrite buttons"
    );
    assert_eq!(looked_up["chatId"], chat.as_str());
    assert!(looked_up["box"]["id"].is_i64() && looked_up["chat"]["chatType"] == 1);
    assert_eq!(
        b.sim.transcript().last().unwrap().action,
        TranscriptAction::Edited
    );
    // Only own text messages can be edited.
    let not_mine = json!({"messageId":user_message,"content":{"text":"x","parseMode":"text"}});
    assert_eq!(error_code(&b.call(bot, "editMessage", not_mine)), 303);
    let missing = json!({"messageId":"nope","content":{"text":"x","parseMode":"text"}});
    assert_eq!(error_code(&b.call(bot, "editMessage", missing)), 306);
    assert_eq!(
        error_code(&b.call(bot, "getMessageById", json!({"messageId":"nope"}))),
        306
    );

    // Validation of sendMessage.
    let send = |content: Value| json!({"chatId":chat,"content":content});
    assert_eq!(
        error_code(&b.call(bot, "sendMessage", send(json!({"parseMode":"text"})))),
        399
    );
    assert_eq!(
        error_code(&b.call(
            bot,
            "sendMessage",
            send(json!({"text":"x","parseMode":"rtf"}))
        )),
        399
    );
    assert_eq!(
        error_code(&b.call(bot, "sendMessage", send(json!({"text":"x","buttons":[1]})))),
        399
    );
    let long = "x".repeat(70_000);
    assert_eq!(
        error_code(&b.call(bot, "sendMessage", send(json!({"text":long})))),
        399
    );
    let unknown_chat = json!({"chatId":"0000","content":{"text":"x","parseMode":"text"}});
    assert_eq!(error_code(&b.call(bot, "sendMessage", unknown_chat)), 304);
    let bad_reply = json!({"chatId":chat,"replyMessageId":"nope","content":{"text":"x"}});
    assert_eq!(error_code(&b.call(bot, "sendMessage", bad_reply)), 306);
    let group = b.sim.create_group(b.now, "carol", "Carol's", &[]);
    let foreign = json!({"chatId":group.chat_id,"content":{"text":"x","parseMode":"text"}});
    assert_eq!(error_code(&b.call(bot, "sendMessage", foreign)), 305);

    // forwardMessage, and a forward of the forward is flattened.
    let ops = b.call(bot, "createGroupChat", json!({"title":"Ops"}))["chatId"]
        .as_str()
        .unwrap()
        .to_owned();
    let fwd = b.call(
        bot,
        "forwardMessage",
        json!({"messageId":user_message,"chatId":ops}),
    );
    let fwd_id = fwd["messageId"].as_str().unwrap().to_owned();
    assert_eq!(fwd["chatId"], ops.as_str());
    let forwarded = b.call(bot, "getMessageById", json!({"messageId":fwd_id}));
    assert_eq!(forwarded["type"], 201);
    assert_eq!(forwarded["content"]["messageId"], user_message.as_str());
    assert_eq!(forwarded["content"]["content"]["text"], "hello");
    assert!(forwarded["content"].get("box").is_none());
    assert_eq!(forwarded["content"]["chat"]["chatId"], chat.as_str());
    let again = b.call(
        bot,
        "forwardMessage",
        json!({"messageId":fwd_id,"chatId":ops}),
    );
    let flat = b.call(
        bot,
        "getMessageById",
        json!({"messageId":again["messageId"]}),
    );
    assert_eq!(flat["content"]["type"], 201);
    assert_eq!(
        flat["content"]["content"],
        json!({"text":"hello","parseMode":"text"})
    );
    assert_eq!(
        b.sim.transcript().last().unwrap().action,
        TranscriptAction::Forwarded
    );
    assert_eq!(
        error_code(&b.call(
            bot,
            "forwardMessage",
            json!({"messageId":"nope","chatId":ops})
        )),
        306
    );

    // getChatHistory: oldest first, paging before fromMessageId, null is 399.
    let history = b.call(bot, "getChatHistory", json!({"chatId":chat,"count":10}));
    assert_eq!(history["count"], 2);
    let ids: Vec<&str> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["messageId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [user_message.as_str(), mine.as_str()]);
    let page = b.call(
        bot,
        "getChatHistory",
        json!({"chatId":chat,"count":10,"fromMessageId":mine}),
    );
    assert_eq!(page["messages"][0]["messageId"], user_message.as_str());
    assert_eq!(page["count"], 1);
    let null_from = json!({"chatId":chat,"count":1,"fromMessageId":null});
    assert_eq!(error_code(&b.call(bot, "getChatHistory", null_from)), 399);
    assert_eq!(
        error_code(&b.call(bot, "getChatHistory", json!({"chatId":chat,"count":0}))),
        399
    );
    let bad_from = json!({"chatId":chat,"count":1,"fromMessageId":"nope"});
    assert_eq!(error_code(&b.call(bot, "getChatHistory", bad_from)), 306);

    // sendChatActivity.
    let activity = b.call(
        bot,
        "sendChatActivity",
        json!({"chatId":chat,"activityType":"typing"}),
    );
    assert_eq!(
        activity,
        json!({"chatId":chat,"activityType":"typing","retryAfter":4500})
    );
    let bad = json!({"chatId":chat,"activityType":"dancing"});
    assert_eq!(error_code(&b.call(bot, "sendChatActivity", bad)), 399);
    assert_eq!(
        b.sim.transcript().last().unwrap().action,
        TranscriptAction::Activity
    );

    // removeMessage for the bot only, then for everyone.
    b.events(alice);
    assert_eq!(
        b.call(
            bot,
            "removeMessage",
            json!({"messageId":user_message,"forAll":false})
        ),
        json!({})
    );
    assert_eq!(
        error_code(&b.call(bot, "getMessageById", json!({"messageId":user_message}))),
        306
    );
    assert!(b.events(alice).is_empty());
    assert_eq!(
        b.call(
            bot,
            "removeMessage",
            json!({"messageId":mine,"forAll":true})
        ),
        json!({})
    );
    let removed = &b.events_of(alice, "removeMessage")[0]["payload"];
    assert_eq!(removed["messageId"], mine.as_str());
    assert_eq!(removed["removedBy"], json!({"id":BOT,"type":1}));
    let in_group = b
        .sim
        .user_sends_text(b.now, "carol", Some(&group.chat_id), "mine")
        .unwrap();
    b.sim
        .admin_adds_participant(b.now, "carol", &group.chat_id, "helpdesk_bot")
        .unwrap();
    let theirs = json!({"messageId":in_group.message_id,"forAll":true});
    assert_eq!(error_code(&b.call(bot, "removeMessage", theirs)), 303);
    assert_eq!(
        b.sim.transcript().last().unwrap().action,
        TranscriptAction::Removed
    );

    // Surveys.
    let survey = json!({"chatId":ops,"replyMessageId":null,"content":{"url":"https://video.example.com/webtools/survey","appVersion":1,"path":"c0ffee12","title":"Lunch","description":"{{Survey}}","buttonText":"{{Go to survey}}","secret":"4b7d","alt":"x"}});
    let sent = b.call(bot, "sendSurvey", survey);
    let survey_id = sent["messageId"].as_str().unwrap().to_owned();
    let edited = b.call(
        bot,
        "editSurvey",
        json!({"messageId":survey_id,"content":{"path":"c0ffee12","title":"Lunch (closes 12:00)","description":"{{Anonymous survey}}","buttonText":"{{Go to survey}}","alt":"y"}}),
    );
    assert_eq!(edited["messageId"], survey_id.as_str());
    let stored = b.call(bot, "getMessageById", json!({"messageId":survey_id}));
    assert_eq!(stored["type"], 204);
    assert_eq!(stored["content"]["title"], "Lunch (closes 12:00)");
    assert_eq!(
        stored["content"]["url"],
        "https://video.example.com/webtools/survey"
    );
    let no_url = json!({"chatId":ops,"content":{"title":"x"}});
    assert_eq!(error_code(&b.call(bot, "sendSurvey", no_url)), 399);
    let not_survey = json!({"messageId":fwd_id,"content":{"title":"x"}});
    assert_eq!(error_code(&b.call(bot, "editSurvey", not_survey)), 303);
}

#[test]
fn buttons_and_answer_command() {
    let mut b = Bench::new();
    let bot = b.bot();
    let chat = b
        .sim
        .user_sends_text(b.now, "alice", None, "menu")
        .unwrap()
        .chat_id;
    b.events(bot);
    let buttons = json!([[{"type":"command","label":"Done","command":"/done","customData":"inv:88","id":"done-88"},
                          {"type":"message","label":"Say hi","message":"hi!"},
                          {"type":"copy","label":"Copy","data":"abc"}]]);
    let sent = b.call(
        bot,
        "sendMessage",
        json!({"chatId":chat,"content":{"text":"Pick","parseMode":"text","buttons":buttons}}),
    );
    let message = sent["messageId"].as_str().unwrap().to_owned();
    let press = b
        .sim
        .user_presses_button(b.now, "alice", &message, "done-88")
        .unwrap();
    b.drain();
    let event = &b.events_of(bot, "command")[0]["payload"];
    let command_id = press.command_id.clone().unwrap();
    assert_eq!(event["commandId"], command_id.as_str());
    assert_eq!(event["commandSource"]["type"], "inlineKeyboard");
    assert_eq!(event["commandSource"]["buttonId"], "done-88");
    assert_eq!(
        event["commandSource"]["message"]["messageId"],
        message.as_str()
    );
    assert_eq!(
        event["commandPayload"],
        json!({"type":"userCommand","command":"/done","customData":"inv:88"})
    );
    assert!(b.sim.is_acked(press.event_ids[0]));
    assert_eq!(b.sim.command_answered(&command_id), Some(false));
    let answer = json!({"commandId":command_id,"answerType":"message","message":{"text":"Marked as done","status":"ok","visibility":"toast","level":"info"}});
    assert_eq!(b.call(bot, "answerCommand", answer), json!({}));
    assert_eq!(b.sim.command_answered(&command_id), Some(true));
    let entry = b.sim.transcript().last().unwrap();
    assert_eq!(entry.action, TranscriptAction::Answered);
    assert_eq!(entry.text.as_deref(), Some("Marked as done"));
    let unknown = json!({"commandId":"cmd-nope","answerType":"complete"});
    assert_eq!(error_code(&b.call(bot, "answerCommand", unknown)), 399);
    let bad = json!({"commandId":command_id,"answerType":"message","message":{"text":"é"}});
    assert_eq!(error_code(&b.call(bot, "answerCommand", bad)), 399);

    // A message button makes the user send its text; a copy button sends nothing.
    b.sim
        .user_presses_button(b.now, "alice", &message, "Say hi")
        .unwrap();
    b.drain();
    assert_eq!(
        b.events_of(bot, "sendMessage")[0]["payload"]["content"]["text"],
        "hi!"
    );
    assert!(b
        .sim
        .user_presses_button(b.now, "alice", &message, "Copy")
        .is_err());
    assert!(b
        .sim
        .user_presses_button(b.now, "alice", &message, "nope")
        .is_err());
    assert!(b
        .sim
        .user_presses_button(b.now, "alice", "nope", "Done")
        .is_err());
}

#[test]
fn file_methods_upload_and_download() {
    let mut b = Bench::new();
    b.sim.set_base_url("http://127.0.0.1:5555/");
    let bot = b.bot();
    let alice = b.login("alice", "alice-pw", false);
    let chat = b
        .sim
        .user_sends_text(b.now, "alice", None, "send me the report")
        .unwrap()
        .chat_id;
    b.events(bot);
    b.events(alice);

    let limits = b.call(bot, "getFileUploadLimits", json!({}));
    assert_eq!(limits, json!({"maxSize":104857600,"extensions":null}));
    let bytes = b"%PDF-1.7 quarterly figures".to_vec();
    let temporal = b.upload(bot, "report-q3.pdf", "application/pdf", &bytes);
    let sent = b.call(
        bot,
        "sendFile",
        json!({"chatId":chat,"content":{"temporalFileId":temporal,"caption":{"text":"Q3 report","parseMode":"text"}}}),
    );
    let file_id = sent["fileId"].as_str().unwrap().to_owned();
    assert!(sent["captionMessageId"].is_string());
    let events = b.events_of(alice, "sendMessage");
    assert_eq!(events.len(), 2, "the file and its caption");
    assert_eq!(events[0]["payload"]["type"], 202);
    assert_eq!(
        events[0]["payload"]["content"],
        json!({"name":"report-q3.pdf","size":bytes.len(),"fileId":file_id,"mimeType":"application/pdf","readyState":2})
    );
    assert_eq!(events[1]["payload"]["content"]["text"], "Q3 report");
    let entry = b.sim.transcript().last().unwrap();
    assert_eq!(entry.action, TranscriptAction::File);
    assert_eq!(entry.text.as_deref(), Some("Q3 report"));
    assert_eq!(entry.file.as_ref().unwrap().size, bytes.len() as u64);
    // A temporal file works once.
    let reuse = json!({"chatId":chat,"content":{"temporalFileId":temporal}});
    assert_eq!(error_code(&b.call(bot, "sendFile", reuse)), 308);

    let info = b.call(bot, "getFileInfo", json!({"fileId":file_id}));
    assert_eq!(info["infoHash"], file_id.as_str());
    assert_eq!(info["readyState"], 2);
    assert!(info["previews"].is_null());
    let url = info["downloadUrl"].as_str().unwrap();
    let path = url
        .strip_prefix("http://127.0.0.1:5555")
        .unwrap()
        .to_owned();
    let (status, body) = b.http(HttpMethod::Get, &path, &[], Vec::new());
    assert_eq!((status, body), (200, bytes.clone()));
    assert_eq!(b.sim.file_bytes(&file_id), Some(bytes.as_slice()));
    let wrong = path.replace("token=", "token=x");
    assert_eq!(b.http(HttpMethod::Get, &wrong, &[], Vec::new()).0, 403);
    assert_eq!(
        b.get_json("/bridge/api/client/v1/files/nope?token=x").0,
        404
    );
    assert_eq!(
        error_code(&b.call(bot, "getFileInfo", json!({"fileId":"nope"}))),
        308
    );

    // Upload failures: size mismatch, unknown task, no task header, bad multipart.
    let task = b.call(bot, "uploadFile", json!({"fileSize":10,"fileName":"a.txt"}))["uploadTaskId"]
        .as_str()
        .unwrap()
        .to_owned();
    let file_part = |content: &str| {
        format!("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\n{content}\r\n--b--\r\n").into_bytes()
    };
    assert_eq!(b.post_multipart(Some(&task), file_part("short")), 400);
    assert_eq!(b.post_multipart(Some("nope"), file_part("0123456789")), 404);
    assert_eq!(b.post_multipart(None, file_part("0123456789")), 400);
    assert_eq!(b.post_multipart(Some(&task), b"garbage".to_vec()), 400);
    assert_eq!(b.post_multipart(Some(&task), file_part("0123456789")), 200);
    assert_eq!(
        b.post_multipart(Some(&task), file_part("0123456789")),
        404,
        "tasks work once"
    );
    // A sticker needs a preview part.
    let task = b.call(bot, "uploadFile", json!({"fileSize":3,"fileName":"s.webp"}))["uploadTaskId"]
        .as_str()
        .unwrap()
        .to_owned();
    let sticker = b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"s.webp\"\r\nContent-Type: sticker/webp\r\n\r\nRIF\r\n--b--\r\n".to_vec();
    assert_eq!(b.post_multipart(Some(&task), sticker), 400);
    // A photo with a preview gets a preview download.
    let task = b.call(bot, "uploadFile", json!({"fileSize":3,"fileName":"p.png"}))["uploadTaskId"]
        .as_str()
        .unwrap()
        .to_owned();
    let photo = b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.png\"\r\nContent-Type: image/png\r\n\r\nPNG\r\n--b\r\nContent-Disposition: form-data; name=\"preview\"; filename=\"p.webp\"\r\nContent-Type: image/webp\r\n\r\nWE\r\n--b--\r\n".to_vec();
    let headers = [
        ("Upload-Task-Id", task.as_str()),
        ("Content-Type", "multipart/form-data; boundary=b"),
    ];
    let (status, answer) = b.http(
        HttpMethod::Post,
        "/bridge/api/client/v1/files",
        &headers,
        photo,
    );
    assert_eq!(status, 200);
    let temporal: Value = serde_json::from_slice(&answer).unwrap();
    let sent = b.call(
        bot,
        "sendFile",
        json!({"chatId":chat,"content":{"temporalFileId":temporal["temporalFileId"]}}),
    );
    assert!(sent.get("captionMessageId").is_none());
    let info = b.call(bot, "getFileInfo", json!({"fileId":sent["fileId"]}));
    assert_eq!(info["previews"][0]["mimeType"], "image/webp");
    assert_eq!(info["previews"][0]["size"], 2);
    assert!(info["previews"][0]["downloadUrl"].is_string());

    // uploadFile validation and limits: 406 too large, 403 blocked extension, 402 bad name.
    assert_eq!(
        error_code(&b.call(bot, "uploadFile", json!({"fileSize":1}))),
        399
    );
    assert_eq!(
        error_code(&b.call(bot, "uploadFile", json!({"fileSize":1,"fileName":"a/b"}))),
        402
    );
    let limit_events = b.sim.set_upload_limits(
        b.now,
        UploadLimits {
            max_size: Some(100),
            extensions: Some((ExtensionMode::Block, vec!["exe".into()])),
        },
    );
    assert_eq!(limit_events.len(), 2);
    b.drain();
    let event = &b.events_of(bot, "getFileUploadLimits")[0]["payload"];
    assert_eq!(
        event,
        &json!({"maxSize":100,"extensions":{"mode":"block","list":["exe"]}})
    );
    assert_eq!(
        error_code(&b.call(
            bot,
            "uploadFile",
            json!({"fileSize":101,"fileName":"a.txt"})
        )),
        406
    );
    assert_eq!(
        error_code(&b.call(
            bot,
            "uploadFile",
            json!({"fileSize":1,"fileName":"SETUP.EXE"})
        )),
        403
    );
    b.sim.set_upload_limits(
        b.now,
        UploadLimits {
            max_size: None,
            extensions: Some((ExtensionMode::Allow, vec!["txt".into()])),
        },
    );
    assert_eq!(
        error_code(&b.call(bot, "uploadFile", json!({"fileSize":1,"fileName":"a.pdf"}))),
        403
    );
    assert!(
        b.call(bot, "uploadFile", json!({"fileSize":1,"fileName":"a.txt"}))["uploadTaskId"]
            .is_string()
    );
    assert_eq!(
        b.call(bot, "getFileUploadLimits", json!({}))["maxSize"],
        Value::Null
    );
}

#[test]
fn file_progress_subscriptions() {
    let mut b = Bench::new();
    let bot = b.bot();
    let injected = b
        .sim
        .user_sends_file(
            b.now,
            "alice",
            None,
            "big.bin",
            "application/octet-stream",
            vec![7; 1000],
            true,
        )
        .unwrap();
    b.drain();
    let file_id = injected.file_id.clone().unwrap();
    let event = b.events_of(bot, "sendMessage").remove(0);
    assert_eq!(event["payload"]["content"]["readyState"], 1);
    let info = b.call(bot, "getFileInfo", json!({"fileId":file_id}));
    assert_eq!(info["readyState"], 1);
    assert!(info["downloadUrl"].is_null());
    assert_eq!(
        b.call(bot, "subscribeFileProgress", json!({"fileId":file_id})),
        json!({"result":true})
    );
    assert_eq!(
        b.sim.upload_progress(b.now, &file_id, 400).unwrap().len(),
        1
    );
    b.sim.upload_progress(b.now, &file_id, 5000).unwrap();
    b.drain();
    let progress: Vec<Value> = b
        .events_of(bot, "uploadFileProgress")
        .into_iter()
        .map(|e| e["payload"].clone())
        .collect();
    assert_eq!(
        progress,
        [
            json!({"fileId":file_id,"progress":400}),
            json!({"fileId":file_id,"progress":1000})
        ]
    );
    assert_eq!(
        b.call(bot, "getFileInfo", json!({"fileId":file_id}))["readyState"],
        2
    );
    assert_eq!(
        b.call(bot, "unsubscribeFileProgress", json!({"fileId":file_id})),
        json!({"result":true})
    );
    assert_eq!(
        b.call(bot, "unsubscribeFileProgress", json!({"fileId":file_id})),
        json!({"result":false})
    );
    // Subscribing to a finished file reports completion at once (after the answer).
    b.call(bot, "subscribeFileProgress", json!({"fileId":file_id}));
    assert_eq!(
        b.events_of(bot, "uploadFileProgress")[0]["payload"]["progress"],
        1000
    );
    assert_eq!(
        error_code(&b.call(bot, "subscribeFileProgress", json!({"fileId":"nope"}))),
        308
    );
    assert!(b.sim.upload_progress(b.now, "nope", 1).is_err());
    let message = b
        .sim
        .message_json(injected.message_id.as_deref().unwrap())
        .unwrap();
    assert_eq!(message["content"]["readyState"], 2);
}

#[test]
fn chat_methods() {
    let mut b = Bench::new();
    let bot = b.bot();
    let alice = b.login("alice", "alice-pw", false);

    let p2p = b.call(bot, "createP2PChat", json!({"userId":"alice"}))["chatId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        b.call(bot, "createP2PChat", json!({"userId":ALICE}))["chatId"],
        p2p.as_str()
    );
    let created = &b.events_of(alice, "createP2PChat")[0]["payload"];
    assert_eq!(created["title"], "Helpdesk Bot");
    assert_eq!(
        error_code(&b.call(bot, "createP2PChat", json!({"userId":"nobody"}))),
        302
    );
    assert_eq!(
        error_code(&b.call(bot, "createP2PChat", json!({"userId":BOT}))),
        399
    );

    let group = b.call(bot, "createGroupChat", json!({"title":"Night shift"}))["chatId"]
        .as_str()
        .unwrap()
        .to_owned();
    let named = b.call(bot, "createGroupChat", json!({"name":"Docs spelling"}));
    assert!(named["chatId"].is_string());
    assert_eq!(
        error_code(&b.call(bot, "createGroupChat", json!({"title":""}))),
        399
    );
    assert_eq!(
        error_code(&b.call(bot, "createGroupChat", json!({"title":"x".repeat(257)}))),
        399
    );
    let channel = b.call(bot, "createChannel", json!({"title":"Release notes"}))["chatId"]
        .as_str()
        .unwrap()
        .to_owned();
    let favorites = b.call(bot, "createFavoritesChat", json!({}))["chatId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        b.call(bot, "createFavoritesChat", json!({}))["chatId"],
        favorites.as_str()
    );

    let chat = b.call(bot, "getChatByID", json!({"chatId":group}));
    assert_eq!(chat["title"], "Night shift");
    assert_eq!(chat["chatType"], 2);
    assert_eq!(chat["unreadMessages"], 0);
    assert!(chat["lastMessage"].is_null());
    assert_eq!(
        b.call(bot, "getChatByID", json!({"chatId":favorites}))["title"],
        Value::Null
    );
    assert_eq!(
        b.call(bot, "getChatByID", json!({"chatId":channel}))["chatType"],
        6
    );
    assert_eq!(
        error_code(&b.call(bot, "getChatByID", json!({"chatId":"nope"}))),
        304
    );

    // Participants: add, roles as strings, errors.
    assert_eq!(
        b.call(
            bot,
            "addChatParticipant",
            json!({"chatId":group,"userId":"alice","displayHistory":true})
        ),
        json!({})
    );
    let added = &b.events_of(alice, "addChatParticipant")[0]["payload"];
    assert_eq!(added["userId"], ALICE);
    assert_eq!(added["addedBy"], json!({"id":BOT,"type":1}));
    assert!(added["timestamp"].is_u64());
    assert_eq!(
        error_code(&b.call(
            bot,
            "addChatParticipant",
            json!({"chatId":group,"userId":"alice"})
        )),
        309
    );
    assert_eq!(
        error_code(&b.call(
            bot,
            "addChatParticipant",
            json!({"chatId":p2p,"userId":"bob"})
        )),
        303
    );
    assert_eq!(
        error_code(&b.call(
            bot,
            "addChatParticipant",
            json!({"chatId":group,"userId":"nobody"})
        )),
        302
    );
    let participants = b.call(
        bot,
        "getChatParticipants",
        json!({"chatId":group,"pageSize":50,"pageNumber":1}),
    );
    assert_eq!(
        participants,
        json!({"participants":[{"userId":BOT,"role":"owner"},{"userId":ALICE,"role":"user"}]})
    );
    let page2 = b.call(
        bot,
        "getChatParticipants",
        json!({"chatId":group,"pageSize":1,"pageNumber":2}),
    );
    assert_eq!(page2["participants"][0]["userId"], ALICE);
    assert_eq!(
        b.call(
            bot,
            "getChatParticipant",
            json!({"chatId":group,"userId":"alice"})
        ),
        json!({"userId":ALICE,"role":"user","type":1})
    );
    assert_eq!(
        error_code(&b.call(
            bot,
            "getChatParticipant",
            json!({"chatId":group,"userId":"bob"})
        )),
        305
    );
    assert_eq!(
        b.call(
            bot,
            "hasChatParticipant",
            json!({"chatId":group,"userId":"bob"})
        ),
        json!({"result":false})
    );
    assert_eq!(
        b.call(
            bot,
            "hasChatParticipant",
            json!({"chatId":group,"userId":ALICE})
        ),
        json!({"result":true})
    );

    assert_eq!(
        b.call(
            bot,
            "changeParticipantRole",
            json!({"chatId":group,"userId":ALICE,"role":"admin"})
        ),
        json!({})
    );
    assert_eq!(
        b.events_of(alice, "changeParticipantRole")[0]["payload"]["role"],
        "admin"
    );
    assert_eq!(
        b.call(
            bot,
            "changeParticipantRole",
            json!({"chatId":group,"userId":ALICE,"role":6})
        ),
        json!({})
    );
    assert_eq!(
        b.call(
            bot,
            "getChatParticipant",
            json!({"chatId":group,"userId":ALICE})
        )["role"],
        "writer"
    );
    assert_eq!(
        error_code(&b.call(
            bot,
            "changeParticipantRole",
            json!({"chatId":group,"userId":ALICE,"role":"king"})
        )),
        312
    );
    assert_eq!(
        error_code(&b.call(
            bot,
            "changeParticipantRole",
            json!({"chatId":group,"userId":"bob","role":"user"})
        )),
        305
    );
    // Alice is not the owner: 303.
    assert_eq!(
        error_code(&b.call(
            alice,
            "changeParticipantRole",
            json!({"chatId":group,"userId":BOT,"role":"user"})
        )),
        303
    );
    assert_eq!(
        error_code(&b.call(alice, "removeChat", json!({"chatId":group}))),
        303
    );

    // Titles and avatars.
    let titled = b.call(
        bot,
        "editChatTitle",
        json!({"chatId":group,"title":"Ops (24/7)"}),
    );
    assert_eq!(titled["chatId"], group.as_str());
    assert!(titled["timestamp"].is_u64());
    assert_eq!(
        b.events_of(alice, "editChatTitle")[0]["payload"],
        json!({"chatId":group,"title":"Ops (24/7)"})
    );
    assert_eq!(
        error_code(&b.call(bot, "editChatTitle", json!({"chatId":p2p,"title":"x"}))),
        303
    );
    let temporal = b.upload(bot, "ops.png", "image/png", b"PNG");
    assert_eq!(
        b.call(
            bot,
            "editChatAvatar",
            json!({"chatId":group,"temporalFileId":temporal})
        ),
        json!({})
    );
    let avatar = b.events_of(alice, "editChatAvatar")[0]["payload"]["avatarUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(avatar.starts_with("http://127.0.0.1:4309/bridge/api/client/v1/files/"));
    assert_eq!(
        b.call(bot, "getChatByID", json!({"chatId":group}))["avatarUrl"],
        avatar.as_str()
    );
    assert_eq!(
        error_code(&b.call(
            bot,
            "editChatAvatar",
            json!({"chatId":group,"temporalFileId":"nope"})
        )),
        308
    );

    // getChats: a bare array, most recent activity first, paged.
    b.call(
        bot,
        "sendMessage",
        json!({"chatId":channel,"content":{"text":"v1.0","parseMode":"text"}}),
    );
    let chats = b.call(bot, "getChats", json!({"count":2,"page":1}));
    let chats = chats.as_array().unwrap();
    assert_eq!(chats.len(), 2);
    assert_eq!(chats[0]["chatId"], channel.as_str());
    assert_eq!(chats[0]["lastMessage"]["content"]["text"], "v1.0");
    assert_eq!(chats[0]["lastMessage"]["chat"]["chatId"], channel.as_str());
    let all = b.call(bot, "getChats", json!({"count":50,"page":1}));
    assert_eq!(all.as_array().unwrap().len(), 5);
    assert_eq!(
        b.call(bot, "getChats", json!({"count":50,"page":2})),
        json!([])
    );
    assert_eq!(
        error_code(&b.call(bot, "getChats", json!({"count":"x"}))),
        399
    );

    // Unread counts follow acknowledgements.
    b.sim
        .user_sends_text(b.now, "alice", Some(&group), "one")
        .unwrap();
    b.drain();
    assert_eq!(
        b.call(bot, "getChatByID", json!({"chatId":group}))["unreadMessages"],
        1
    );
    b.events(bot);
    assert_eq!(
        b.call(bot, "getChatByID", json!({"chatId":group}))["unreadMessages"],
        0
    );

    // Channel readers cannot post.
    b.call(
        bot,
        "addChatParticipant",
        json!({"chatId":channel,"userId":"alice"}),
    );
    let post = json!({"chatId":channel,"content":{"text":"x","parseMode":"text"}});
    assert_eq!(error_code(&b.call(alice, "sendMessage", post)), 303);

    // clearHistory for the bot only, then for all.
    assert_eq!(
        b.call(bot, "clearHistory", json!({"chatId":group,"forAll":false})),
        json!({})
    );
    assert_eq!(
        b.call(bot, "getChatHistory", json!({"chatId":group,"count":50}))["count"],
        0
    );
    assert!(
        b.call(alice, "getChatHistory", json!({"chatId":group,"count":50}))["count"]
            .as_u64()
            .unwrap()
            > 0
    );
    b.events(alice);
    assert_eq!(
        b.call(bot, "clearHistory", json!({"chatId":group,"forAll":true})),
        json!({})
    );
    assert_eq!(
        b.events_of(alice, "clearHistory")[0]["payload"],
        json!({"chatId":group,"forAll":true})
    );
    let left = b.call(alice, "getChatHistory", json!({"chatId":group,"count":50}));
    assert_eq!(left["count"], 1, "only the clear-history envelope");
    assert_eq!(left["messages"][0]["type"], 23);

    // Remove a participant (alice gets the event too), then remove the chat.
    assert_eq!(
        b.call(
            bot,
            "removeChatParticipant",
            json!({"chatId":group,"userId":"alice","clearHistory":false})
        ),
        json!({})
    );
    let removed = &b.events_of(alice, "removeChatParticipant")[0]["payload"];
    assert_eq!(removed["removedBy"], json!({"id":BOT,"type":1}));
    assert_eq!(
        error_code(&b.call(alice, "getChatByID", json!({"chatId":group}))),
        305
    );
    assert_eq!(
        error_code(&b.call(
            bot,
            "removeChatParticipant",
            json!({"chatId":group,"userId":"alice"})
        )),
        305
    );
    assert_eq!(
        b.call(bot, "removeChat", json!({"chatId":channel})),
        json!({})
    );
    assert_eq!(
        b.events_of(alice, "removeChat")[0]["payload"],
        json!({"chatId":channel})
    );
    assert_eq!(
        error_code(&b.call(bot, "getChatByID", json!({"chatId":channel}))),
        304
    );

    // getUserDisplayName.
    assert_eq!(
        b.call(bot, "getUserDisplayName", json!({"userId":ALICE})),
        json!({"displayName":"Alice Meyer"})
    );
    assert_eq!(
        b.call(bot, "getUserDisplayName", json!({"userId":"bob"})),
        json!({"displayName":"Bob Lee"})
    );
    assert_eq!(
        error_code(&b.call(bot, "getUserDisplayName", json!({"userId":"nobody"}))),
        302
    );
}

#[test]
fn admin_hooks_notify_members() {
    let mut b = Bench::new();
    let bot = b.bot();
    let group = b
        .sim
        .create_group(b.now, "carol", "Ops", &["helpdesk_bot", "bob"]);
    b.drain();
    let created = &b.events_of(bot, "createGroupChat")[0]["payload"];
    assert_eq!(created["title"], "Ops");
    assert!(created.get("lastMessage").is_some());
    let chat = group.chat_id.as_str();
    b.sim
        .admin_adds_participant(b.now, "carol", chat, "dave")
        .unwrap();
    b.sim
        .admin_changes_role(b.now, chat, "dave", "writer")
        .unwrap();
    b.sim.admin_edits_title(b.now, chat, "Ops (24/7)").unwrap();
    b.sim
        .admin_removes_participant(b.now, "carol", chat, "dave")
        .unwrap();
    b.sim
        .admin_clears_history(b.now, "carol", chat, true)
        .unwrap();
    b.drain();
    let events = b.events(bot);
    let methods: Vec<&str> = events
        .iter()
        .map(|e| e["method"].as_str().unwrap())
        .collect();
    assert_eq!(
        methods,
        [
            "addChatParticipant",
            "changeParticipantRole",
            "editChatTitle",
            "removeChatParticipant",
            "clearHistory"
        ]
    );
    assert_eq!(
        events[0]["payload"]["addedBy"],
        json!({"id":"carol@video.example.com","type":1})
    );
    assert_eq!(events[1]["payload"]["role"], "writer");
    assert!(b
        .sim
        .admin_adds_participant(b.now, "carol", chat, "bob")
        .is_err());
    assert!(b
        .sim
        .admin_changes_role(b.now, chat, "bob", "emperor")
        .is_err());
    assert!(b
        .sim
        .admin_removes_participant(b.now, "carol", chat, "dave")
        .is_err());
    assert!(b.sim.admin_edits_title(b.now, "nope", "x").is_err());
    let channel = b
        .sim
        .create_channel(b.now, "carol", "News", &["helpdesk_bot"]);
    b.drain();
    assert_eq!(
        b.events_of(bot, "createChannel")[0]["payload"]["chatType"],
        6
    );
    b.sim.admin_removes_chat(b.now, &channel.chat_id).unwrap();
    b.drain();
    assert_eq!(
        b.events_of(bot, "removeChat")[0]["payload"]["chatId"],
        channel.chat_id.as_str()
    );
    let chat_json = b.sim.chat_json(chat, None).unwrap();
    assert_eq!(chat_json["title"], "Ops (24/7)");
    assert_eq!(chat_json["participants"].as_array().unwrap().len(), 3);
    assert_eq!(b.sim.chat_ids().len(), 1);
    assert!(!b.sim.history(chat).is_empty());

    // User edits and removals, locations, raw events.
    let sent = b
        .sim
        .user_sends_text(b.now, "bob", Some(chat), "typo")
        .unwrap();
    let message = sent.message_id.unwrap();
    b.sim
        .user_edits_message(b.now, "bob", &message, "fixed")
        .unwrap();
    b.sim.user_removes_message(b.now, "bob", &message).unwrap();
    b.sim
        .user_sends_location(b.now, "bob", Some(chat), 55.75, 37.62, "Red Square")
        .unwrap();
    let raw = b
        .sim
        .push_raw_event(b.now, None, "somethingNew", json!({"x":1}));
    b.drain();
    let events = b.events(bot);
    let methods: Vec<&str> = events
        .iter()
        .map(|e| e["method"].as_str().unwrap())
        .collect();
    assert_eq!(
        methods,
        [
            "sendMessage",
            "editMessage",
            "removeMessage",
            "sendMessage",
            "somethingNew"
        ]
    );
    assert_eq!(events[1]["payload"]["content"]["text"], "fixed");
    assert_eq!(
        events[2]["payload"]["removedBy"]["id"],
        "bob@video.example.com"
    );
    assert_eq!(events[3]["payload"]["type"], 203);
    assert_eq!(events[3]["payload"]["content"]["title"], "Red Square");
    assert_eq!(events[4]["id"], raw[0]);
    assert!(b.sim.is_acked(raw[0]));
    assert!(b
        .sim
        .user_sends_text(b.now, "alice", Some(chat), "not a member")
        .is_err());
    assert!(b
        .sim
        .user_sends_text(b.now, "alice", Some("nope"), "x")
        .is_err());
    assert!(b
        .sim
        .user_edits_message(b.now, "alice", "nope", "x")
        .is_err());
    assert!(b
        .sim
        .user_sends_formatted(b.now, "bob", Some(chat), "re", "html", Some("nope"))
        .is_err());
    // Unknown users are created on first use.
    b.sim
        .user_sends_text(b.now, "newcomer", None, "hi")
        .unwrap();
    assert!(b.sim.p2p_chat_id("newcomer").is_some());
}

#[test]
fn all_34_methods_are_served() {
    let mut b = Bench::new();
    let bot = b.bot();
    assert_eq!(METHODS.len(), 34);
    for method in METHODS {
        let answer = b.call(bot, method, json!({}));
        // An empty payload is wrong for most methods, but never "unknown method".
        assert_ne!(answer["errorDescription"], "Unknown method", "{method}");
        assert!(
            answer.is_object() || answer.is_array(),
            "{method}: {answer}"
        );
    }
}

#[test]
fn long_histories_stay_under_one_mebibyte() {
    let mut b = Bench::new();
    let bot = b.bot();
    let text = "y".repeat(60_000);
    let mut chat = String::new();
    for _ in 0..25 {
        chat = b
            .sim
            .user_sends_text(b.now, "alice", None, &text)
            .unwrap()
            .chat_id;
    }
    b.events(bot);
    let history = b.call(bot, "getChatHistory", json!({"chatId":chat,"count":100}));
    let count = history["count"].as_u64().unwrap();
    assert!(count > 10 && count < 25, "{count}");
    let chats = b.call(bot, "getChats", json!({"count":100,"page":1}));
    assert_eq!(chats.as_array().unwrap().len(), 1);
}

// ---- garbage --------------------------------------------------------------------------------

fn random_text(rng: &mut SeededRng, len: usize) -> String {
    const PIECES: [&str; 16] = [
        "{",
        "}",
        "[",
        "]",
        "\"type\":",
        "1",
        "2",
        "\"id\":",
        "\"method\":",
        "\"payload\":",
        ",",
        "\"auth\"",
        "null",
        "\"x\"",
        ":",
        "\u{fffd}",
    ];
    (0..len)
        .map(|_| PIECES[(rng.next_u64() % PIECES.len() as u64) as usize])
        .collect()
}

fn random_value(rng: &mut SeededRng, depth: u32) -> Value {
    match rng.next_u64() % if depth > 2 { 5 } else { 7 } {
        0 => Value::Null,
        1 => json!(rng.next_u64() % 2 == 0),
        2 => json!((rng.next_u64() as i64).wrapping_sub((rng.next_u64() >> 1) as i64)),
        3 => json!(["", "x", "alice", "0000", "-1", "é"][(rng.next_u64() % 6) as usize]),
        4 => json!(-1.5),
        5 => Value::Array(
            (0..rng.next_u64() % 3)
                .map(|_| random_value(rng, depth + 1))
                .collect(),
        ),
        _ => {
            const KEYS: [&str; 14] = [
                "chatId",
                "messageId",
                "content",
                "text",
                "userId",
                "count",
                "fileId",
                "title",
                "role",
                "forAll",
                "temporalFileId",
                "buttons",
                "fromMessageId",
                "token",
            ];
            let mut map = serde_json::Map::new();
            for _ in 0..rng.next_u64() % 5 {
                let key = KEYS[(rng.next_u64() % KEYS.len() as u64) as usize];
                map.insert(key.into(), random_value(rng, depth + 1));
            }
            Value::Object(map)
        }
    }
}

#[test]
fn garbage_frames_and_payloads_never_panic() {
    let mut b = Bench::new();
    let bot = b.bot();
    let chat = b
        .sim
        .user_sends_text(b.now, "alice", None, "hi")
        .unwrap()
        .chat_id;
    let mut rng = SeededRng::new(0xBAD);
    for round in 0..3000u64 {
        b.now += 1;
        let text = match round % 3 {
            0 => {
                let len = (rng.next_u64() % 40) as usize;
                random_text(&mut rng, len)
            }
            1 => {
                let bytes: Vec<u8> = (0..rng.next_u64() % 64)
                    .map(|_| rng.next_u64() as u8)
                    .collect();
                String::from_utf8_lossy(&bytes).into_owned()
            }
            _ => {
                let method = METHODS[(rng.next_u64() % METHODS.len() as u64) as usize];
                let mut payload = random_value(&mut rng, 0);
                if rng.next_u64() % 2 == 0 {
                    if let Some(map) = payload.as_object_mut() {
                        map.insert("chatId".into(), json!(chat));
                    }
                }
                json!({"type": 1, "id": round + 10_000, "method": method, "payload": payload})
                    .to_string()
            }
        };
        // The connection may have been closed by a random method (never by garbage).
        let _ = b.sim.ws_receive(b.now, bot, &text);
        b.sim.handle_timeout(b.now);
        b.drain();
    }
    assert!(b.sim.counters().garbage_frames > 100);

    let paths = [
        "/bridge/api/client/v1/oauth/token",
        "/api/v4/oauth2/token",
        "/bridge/api/client/v1/auth/web_rest_api_token",
        "/bridge/api/client/v1/auth/token",
        "/bridge/api/client/v1/files",
        "/bridge/api/client/v1/files/x",
        "/api/v4/server",
        "",
        "?",
        "/%",
    ];
    for round in 0..2000u64 {
        let path = paths[(round % paths.len() as u64) as usize];
        let body: Vec<u8> = match round % 3 {
            0 => random_value(&mut rng, 0).to_string().into_bytes(),
            1 => random_text(&mut rng, 30).into_bytes(),
            _ => {
                let mut body =
                    b"--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n".to_vec();
                body.extend((0..rng.next_u64() % 50).map(|_| rng.next_u64() as u8));
                body
            }
        };
        let method = if round % 2 == 0 {
            HttpMethod::Post
        } else {
            HttpMethod::Get
        };
        let headers = [
            ("Upload-Task-Id", "x"),
            ("Content-Type", "multipart/form-data; boundary=b"),
        ];
        let status = b.http(method, path, &headers, body).0;
        assert!((200..600).contains(&status));
        let mut url = String::from("http://h");
        url.push_str(&random_text(&mut rng, 5));
        let request = HttpRequest {
            method,
            url,
            headers: vec![],
            body: vec![],
            timeout_ms: None,
        };
        b.sim.handle_http(b.now, &request);
    }
}

#[test]
fn the_simulator_is_deterministic() {
    let run = || {
        let mut b = Bench::new();
        let bot = b.bot();
        let injected = b.sim.user_sends_text(b.now, "alice", None, "hi").unwrap();
        b.events(bot);
        let sent = b.call(
            bot,
            "sendMessage",
            json!({"chatId":injected.chat_id,"content":{"text":"x","parseMode":"text"}}),
        );
        (injected, sent)
    };
    assert_eq!(run(), run());
}
