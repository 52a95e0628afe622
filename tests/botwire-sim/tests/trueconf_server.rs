//! The TrueConf simulator over real loopback HTTP and WebSocket, with a real WebSocket
//! client. Every wait is bounded, so a broken server fails the test instead of hanging it.

use std::future::Future;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use botwire_sim::trueconf::{serve, ServerConfig};
use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::HOST;
use hyper::Request;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{client_async, WebSocketStream};

type Socket = WebSocketStream<TcpStream>;

async fn bounded<T>(seconds: u64, work: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(seconds), work)
        .await
        .expect("the test took too long")
}

async fn start() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, ServerConfig::default()));
    address
}

/// One HTTP request on a fresh connection: status, headers of interest, body.
async fn http(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (u16, Vec<u8>) {
    let stream = TcpStream::connect(address).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header(HOST, address.to_string());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = sender
        .send_request(request.body(Full::new(Bytes::from(body))).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, body.to_vec())
}

async fn post_json(address: SocketAddr, path: &str, body: Value) -> (u16, Value) {
    let (status, body) = http(
        address,
        "POST",
        path,
        &[("Content-Type", "application/json")],
        body.to_string().into_bytes(),
    )
    .await;
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

async fn get_json(address: SocketAddr, path: &str) -> (u16, Value) {
    let (status, body) = http(address, "GET", path, &[], Vec::new()).await;
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// A control call that must succeed; returns its `result`.
async fn control(address: SocketAddr, endpoint: &str, body: Option<Value>) -> Value {
    let path = format!("/_sim/trueconf/{endpoint}");
    let (status, answer) = match body {
        Some(body) => post_json(address, &path, body).await,
        None => get_json(address, &path).await,
    };
    assert_eq!(status, 200, "{endpoint}: {answer}");
    assert_eq!(answer["ok"], true);
    answer["result"].clone()
}

async fn token(address: SocketAddr) -> String {
    let (status, body) = post_json(
        address,
        "/bridge/api/client/v1/oauth/token",
        json!({"client_id":"chat_bot","grant_type":"password","username":"helpdesk_bot","password":"s3cret"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

/// Opens the bot socket; returns it and the agreed subprotocol.
async fn connect(
    address: SocketAddr,
    path: &str,
    protocol: Option<&str>,
) -> (Socket, Option<String>) {
    let stream = TcpStream::connect(address).await.unwrap();
    let mut request = format!("ws://{address}{path}")
        .into_client_request()
        .unwrap();
    if let Some(protocol) = protocol {
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", protocol.parse().unwrap());
    }
    let (socket, response) = client_async(request, stream).await.unwrap();
    let agreed = response
        .headers()
        .get("Sec-WebSocket-Protocol")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (socket, agreed)
}

async fn send(socket: &mut Socket, frame: Value) {
    socket.send(Message::text(frame.to_string())).await.unwrap();
}

/// The next JSON frame (pongs and pings skipped); `None` when the socket closed.
async fn next_frame(socket: &mut Socket) -> Option<Value> {
    loop {
        match socket.next().await? {
            Ok(Message::Text(text)) => return Some(serde_json::from_str(text.as_str()).unwrap()),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// Sends a request and returns the payload of its answer, acknowledging events meanwhile.
async fn call(socket: &mut Socket, id: u64, method: &str, payload: Value) -> Value {
    send(
        socket,
        json!({"type":1,"id":id,"method":method,"payload":payload}),
    )
    .await;
    loop {
        let frame = next_frame(socket).await.expect("socket closed");
        if frame["type"] == 1 {
            send(socket, json!({"type":2,"id":frame["id"]})).await;
        } else if frame["id"] == id {
            return frame["payload"].clone();
        }
    }
}

/// The next event with this method (others are acknowledged and skipped).
async fn event(socket: &mut Socket, method: &str) -> Value {
    loop {
        let frame = next_frame(socket).await.expect("socket closed");
        if frame["type"] == 1 {
            send(socket, json!({"type":2,"id":frame["id"]})).await;
            if frame["method"] == method {
                return frame;
            }
        }
    }
}

async fn authorised_bot(address: SocketAddr) -> Socket {
    let token = token(address).await;
    let (mut socket, _) = connect(address, "/websocket/chat_bot", None).await;
    let answer = call(
        &mut socket,
        1,
        "auth",
        json!({"token":token,"tokenType":"JWT"}),
    )
    .await;
    assert!(answer["userId"]
        .as_str()
        .unwrap()
        .starts_with("helpdesk_bot@"));
    event(&mut socket, "getFileUploadLimits").await;
    socket
}

#[tokio::test]
async fn http_endpoints_and_the_version_probe() {
    bounded(20, async {
        let address = start().await;
        let (status, body) = get_json(address, "/api/v4/server").await;
        assert_eq!(status, 200);
        assert_eq!(body["product"]["version"], "5.5.6.21140");
        let token = token(address).await;
        assert_eq!(token.split('.').count(), 3);
        let (status, body) = post_json(
            address,
            "/bridge/api/client/v1/oauth/token",
            json!({"client_id":"chat_bot","grant_type":"password","username":"helpdesk_bot","password":"x"}),
        )
        .await;
        assert_eq!((status, &body["error"]), (401, &json!("invalid_grant")));
        assert_eq!(get_json(address, "/missing").await.0, 404);
        // The control API reports the real address for download URLs.
        let state = control(address, "state", None).await;
        assert_eq!(state["base_url"], format!("http://{address}"));
        assert_eq!(state["bot_id"], "helpdesk_bot@video.example.com");
    })
    .await;
}

#[tokio::test]
async fn a_bot_and_a_user_talk_over_real_sockets() {
    bounded(20, async {
        let address = start().await;
        let (mut bot, agreed) = connect(address, "/websocket/chat_bot/", Some("json.v1")).await;
        assert_eq!(agreed.as_deref(), Some("json.v1"));
        // Not authorised yet.
        assert_eq!(call(&mut bot, 1, "getChats", json!({})).await["errorCode"], 200);
        let token = token(address).await;
        let answer = call(&mut bot, 2, "auth", json!({"token":token,"tokenType":"JWT"})).await;
        assert!(answer["connectionId"].is_string());

        let conns = control(address, "connections?authorized=1&min=1&wait_ms=2000", None).await;
        assert_eq!(conns[0]["protocol"], "json.v1");
        let injected = control(address, "message", Some(json!({"user":"alice","text":"hello"}))).await;
        let message = event(&mut bot, "sendMessage").await;
        assert_eq!(message["payload"]["content"]["text"], "hello");
        assert_eq!(message["payload"]["chat"]["chatTitle"], "Alice Meyer");
        let chat = injected["chat_id"].as_str().unwrap();
        let sent = call(
            &mut bot,
            3,
            "sendMessage",
            json!({"chatId":chat,"replyMessageId":null,"content":{"text":"echo: hello","parseMode":"text"}}),
        )
        .await;
        assert!(sent["messageId"].is_string());

        let transcript = control(address, "transcript?min=1&wait_ms=2000", None).await;
        assert_eq!(transcript[0]["text"], "echo: hello");
        assert_eq!(transcript[0]["action"], "sent");
        let acked = control(address, "acked", None).await;
        for id in injected["event_ids"].as_array().unwrap() {
            assert!(acked.as_array().unwrap().contains(id), "{id} not acknowledged");
        }
        assert_eq!(control(address, "unacked", None).await, json!([]));
        let events = control(address, "events", None).await;
        assert!(events.as_array().unwrap().iter().all(|e| e["acked_at"].is_u64()));
        let history = control(address, &format!("history?chat_id={chat}"), None).await;
        assert_eq!(history.as_array().unwrap().len(), 2);
    })
    .await;
}

#[tokio::test]
async fn pings_are_answered_and_the_server_closes_sockets() {
    bounded(20, async {
        let address = start().await;
        let mut bot = authorised_bot(address).await;
        bot.send(Message::Ping(b"are you there".to_vec().into()))
            .await
            .unwrap();
        match bot.next().await.unwrap().unwrap() {
            Message::Pong(data) => assert_eq!(&data[..], b"are you there"),
            other => panic!("expected a pong, got {other:?}"),
        }

        // A close from the control API is a normal closure.
        assert_eq!(control(address, "close", Some(json!({}))).await, 1);
        match bot.next().await {
            Some(Ok(Message::Close(Some(frame)))) => assert_eq!(frame.code, CloseCode::Normal),
            other => panic!("expected a close frame, got {other:?}"),
        }

        // Dropping the socket instead of answering a request.
        let mut bot = authorised_bot(address).await;
        control(address, "drop_socket", Some(json!({"method":"getChats"}))).await;
        send(
            &mut bot,
            json!({"type":1,"id":5,"method":"getChats","payload":{}}),
        )
        .await;
        assert_eq!(next_frame(&mut bot).await, None);

        // A delayed answer, and a failure injected for one call.
        let mut bot = authorised_bot(address).await;
        control(
            address,
            "fail",
            Some(json!({"method":"getChats","code":300})),
        )
        .await;
        assert_eq!(
            call(&mut bot, 6, "getChats", json!({})).await,
            json!({"errorCode":300})
        );
        control(address, "delay", Some(json!({"ms":150}))).await;
        let started = tokio::time::Instant::now();
        assert!(call(&mut bot, 7, "getChats", json!({})).await.is_array());
        assert!(started.elapsed() >= Duration::from_millis(140));
        control(address, "delay", Some(json!({"ms":0}))).await;

        // Expired tokens: calls answer 203.
        control(address, "expire_tokens", Some(json!({}))).await;
        assert_eq!(
            call(&mut bot, 8, "getChats", json!({})).await["errorCode"],
            203
        );
    })
    .await;
}

#[tokio::test]
async fn files_travel_over_http_beside_the_socket() {
    bounded(20, async {
        let address = start().await;
        let mut bot = authorised_bot(address).await;
        let injected = control(
            address,
            "file",
            Some(json!({"user":"alice","name":"notes.txt","content":"hello file"})),
        )
        .await;
        let message = event(&mut bot, "sendMessage").await;
        let file_id = message["payload"]["content"]["fileId"].as_str().unwrap().to_owned();
        assert_eq!(injected["file_id"], file_id.as_str());
        let info = call(&mut bot, 2, "getFileInfo", json!({"fileId":file_id})).await;
        let url = info["downloadUrl"].as_str().unwrap();
        let path = url.strip_prefix(&format!("http://{address}")).unwrap();
        assert_eq!(http(address, "GET", path, &[], Vec::new()).await, (200, b"hello file".to_vec()));

        let bytes = "ünïcode name, raw bytes".as_bytes();
        let task = call(&mut bot, 3, "uploadFile", json!({"fileSize":bytes.len(),"fileName":"отчёт.txt"})).await;
        let task = task["uploadTaskId"].as_str().unwrap().to_owned();
        let mut body =
            "--tcb\r\nContent-Disposition: form-data; name=\"file\"; filename=\"отчёт.txt\"\r\nContent-Type: text/plain\r\n\r\n"
                .as_bytes()
                .to_vec();
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n--tcb--\r\n");
        let (status, answer) = http(
            address,
            "POST",
            "/bridge/api/client/v1/files",
            &[("Upload-Task-Id", &task), ("Content-Type", "multipart/form-data; boundary=tcb")],
            body,
        )
        .await;
        assert_eq!(status, 200);
        let temporal: Value = serde_json::from_slice(&answer).unwrap();
        let chat = injected["chat_id"].as_str().unwrap();
        let sent = call(
            &mut bot,
            4,
            "sendFile",
            json!({"chatId":chat,"content":{"temporalFileId":temporal["temporalFileId"]}}),
        )
        .await;
        let stored = control(address, &format!("file?id={}", sent["fileId"].as_str().unwrap()), None).await;
        assert_eq!(stored["size"], bytes.len());
        let transcript = control(address, "transcript", None).await;
        assert_eq!(transcript[0]["file"]["name"], "отчёт.txt");
    })
    .await;
}

#[tokio::test]
async fn control_api_errors_and_refused_upgrades() {
    bounded(20, async {
        let address = start().await;
        let (status, body) = get_json(address, "/_sim/trueconf/nothing").await;
        assert_eq!((status, &body["ok"]), (404, &json!(false)));
        assert_eq!(get_json(address, "/_sim/trueconf/button").await.0, 405);
        // `message` is both: GET reads a message, POST injects one.
        assert_eq!(get_json(address, "/_sim/trueconf/message").await.0, 400);
        assert_eq!(
            post_json(address, "/_sim/trueconf/state", json!({}))
                .await
                .0,
            405
        );
        let (status, _) = http(
            address,
            "POST",
            "/_sim/trueconf/message",
            &[],
            b"[1]".to_vec(),
        )
        .await;
        assert_eq!(status, 400);
        assert_eq!(
            post_json(address, "/_sim/trueconf/message", json!({"user":"alice"}))
                .await
                .0,
            400
        );
        let (status, body) = post_json(
            address,
            "/_sim/trueconf/edit",
            json!({"user":"alice","message_id":"x","text":"y"}),
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(
            post_json(address, "/_sim/trueconf/close", json!({"conn":99}))
                .await
                .0,
            422
        );
        // Groups, raw events and limits reach an authorised bot.
        let mut bot = authorised_bot(address).await;
        let group = control(
            address,
            "group",
            Some(json!({"owner":"carol","title":"Ops","members":["helpdesk_bot"]})),
        )
        .await;
        assert_eq!(
            event(&mut bot, "createGroupChat").await["payload"]["chatId"],
            group["chat_id"]
        );
        let raw = control(
            address,
            "event",
            Some(json!({"method":"futureThing","payload":{"x":1}})),
        )
        .await;
        assert_eq!(
            event(&mut bot, "futureThing").await["id"],
            raw["event_ids"][0]
        );
        control(
            address,
            "limits",
            Some(json!({"max_size":10,"extensions":{"mode":"block","list":["exe"]}})),
        )
        .await;
        let limits = event(&mut bot, "getFileUploadLimits").await;
        assert_eq!(limits["payload"]["extensions"]["mode"], "block");

        // An upgrade on another path is refused by the simulator.
        let stream = TcpStream::connect(address).await.unwrap();
        let request = format!("ws://{address}/websocket/other")
            .into_client_request()
            .unwrap();
        assert!(client_async(request, stream).await.is_err());
    })
    .await;
}

#[test]
fn the_binary_serves_trueconf() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_botwire-sim"))
        .args(["--platform", "trueconf", "--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let address: SocketAddr = line
        .trim()
        .strip_prefix("listening on http://")
        .expect("the first line names the address")
        .parse()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let result = runtime.block_on(bounded(20, async {
        let (status, body) = get_json(address, "/api/v4/server").await;
        let mut bot = authorised_bot(address).await;
        let favorites = call(&mut bot, 2, "createFavoritesChat", json!({})).await;
        (status, body, favorites)
    }));
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(result.0, 200);
    assert_eq!(result.1["product"]["display_name"], "video.example.com");
    assert!(result.2["chatId"].is_string());
}
