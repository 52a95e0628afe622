//! The simulator over real loopback HTTP: the server runs in-process (and once as the built
//! binary). Every wait is bounded, so a broken server fails the test instead of hanging it.

use std::future::Future;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use botwire_sim::{serve, ServerConfig};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HOST};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

const TOKEN: &str = "123456:TEST-TOKEN";

fn api(method: &str) -> String {
    format!("/bot{TOKEN}/{method}")
}

async fn bounded<T>(seconds: u64, work: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(seconds), work)
        .await
        .expect("the test took too long")
}

async fn start(config: ServerConfig) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, config));
    address
}

/// One request on a fresh connection; `Err` when the connection broke without an answer.
async fn try_call(
    address: SocketAddr,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Result<(u16, Option<String>, Vec<u8>), String> {
    let stream = TcpStream::connect(address)
        .await
        .map_err(|e| e.to_string())?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header(HOST, "127.0.0.1")
        .header(CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(bytes)))
        .unwrap();
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?;
    Ok((status, content_type, body.to_bytes().to_vec()))
}

async fn call(address: SocketAddr, method: &str, path: &str, body: Value) -> (u16, Value) {
    let (status, _, bytes) = try_call(address, method, path, Some(body)).await.unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn post(address: SocketAddr, path: &str, body: Value) -> Value {
    let (status, answer) = call(address, "POST", path, body).await;
    assert_eq!(status, 200, "{path}: {answer}");
    assert_eq!(answer["ok"], true, "{path}: {answer}");
    answer["result"].clone()
}

async fn get(address: SocketAddr, path: &str) -> Value {
    let (status, answer) = call(address, "GET", path, Value::Null).await;
    assert_eq!(status, 200, "{path}: {answer}");
    answer["result"].clone()
}

/// Polls `/control/state` until `ready` holds (at most 5 s).
async fn wait_for_state(address: SocketAddr, ready: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..500 {
        let state = get(address, "/control/state").await;
        if ready(&state) {
            return state;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("state never became ready");
}

#[tokio::test]
async fn a_bot_round_trip_over_loopback() {
    bounded(20, async {
        let address = start(ServerConfig::default()).await;
        let me = post(address, &api("getMe"), json!({})).await;
        assert_eq!(me["username"], "botwire_bot");
        assert_eq!(me["is_bot"], true);

        let injected = post(
            address,
            "/control/message",
            json!({"user_id": 42, "first_name": "Ana", "text": "/start"}),
        )
        .await;
        let update_id = injected["update_id"].as_i64().unwrap();
        let updates = post(address, &api("getUpdates"), json!({"timeout": 0})).await;
        let update = &updates[0];
        assert_eq!(update["update_id"], update_id);
        assert_eq!(update["message"]["text"], "/start");
        assert_eq!(update["message"]["from"]["first_name"], "Ana");
        assert_eq!(update["message"]["entities"][0]["type"], "bot_command");

        let sent = post(
            address,
            &api("sendMessage"),
            json!({"chat_id": 42, "text": "hello Ana"}),
        )
        .await;
        assert_eq!(sent["chat"]["id"], 42);
        let transcript = get(address, "/control/transcript?min=1&wait_ms=2000").await;
        assert_eq!(transcript.as_array().unwrap().len(), 1);
        assert_eq!(transcript[0]["method"], "sendMessage");
        assert_eq!(transcript[0]["text"], "hello Ana");
        assert_eq!(transcript[0]["chat_id"], 42);
        assert_eq!(transcript[0]["action"], "sent");

        post(
            address,
            &api("getUpdates"),
            json!({"offset": update_id + 1}),
        )
        .await;
        let state = get(address, "/control/state").await;
        assert_eq!(state["confirmed_offset"], update_id + 1);
        assert_eq!(state["pending_update_count"], 0);
        assert_eq!(state["transcript_len"], 1);

        // Wrong token and unknown method keep Telegram's shapes.
        let (status, body) = call(address, "POST", "/bot1:nope/getMe", json!({})).await;
        assert_eq!(
            (status, body["description"].clone()),
            (401, json!("Unauthorized"))
        );
        let (status, _) = call(address, "POST", &api("noSuchMethod"), json!({})).await;
        assert_eq!(status, 404);
    })
    .await;
}

#[tokio::test]
async fn a_held_long_poll_is_released_by_an_injected_message() {
    bounded(20, async {
        let address = start(ServerConfig::default()).await;
        let poll = tokio::spawn(async move {
            call(address, "POST", &api("getUpdates"), json!({"timeout": 15})).await
        });
        wait_for_state(address, |s| s["has_held_poll"] == true).await;
        let injected_at = Instant::now();
        post(
            address,
            "/control/message",
            json!({"user_id": 7, "text": "wake up"}),
        )
        .await;
        let (status, body) = bounded(5, poll).await.unwrap();
        assert_eq!(status, 200);
        assert_eq!(body["result"][0]["message"]["text"], "wake up");
        assert!(injected_at.elapsed() < Duration::from_secs(5));
    })
    .await;
}

#[tokio::test]
async fn a_long_poll_ends_empty_after_its_timeout() {
    bounded(20, async {
        let address = start(ServerConfig::default()).await;
        let started = Instant::now();
        let (status, body) = call(address, "POST", &api("getUpdates"), json!({"timeout": 1})).await;
        assert_eq!((status, body), (200, json!({"ok": true, "result": []})));
        assert!(started.elapsed() >= Duration::from_millis(900));
    })
    .await;
}

#[tokio::test]
async fn transcript_waits_until_the_bot_sends() {
    bounded(20, async {
        let address = start(ServerConfig::default()).await;
        post(
            address,
            "/control/message",
            json!({"user_id": 5, "text": "hi"}),
        )
        .await;
        let sender = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            post(
                address,
                &api("sendMessage"),
                json!({"chat_id": 5, "text": "late answer"}),
            )
            .await
        });
        let transcript = get(address, "/control/transcript?min=1&wait_ms=5000").await;
        assert_eq!(transcript[0]["text"], "late answer");
        sender.await.unwrap();
        // Without enough entries the wait ends with what there is.
        let started = Instant::now();
        let transcript = get(address, "/control/transcript?since=1&min=5&wait_ms=300").await;
        assert_eq!(transcript, json!([]));
        assert!(started.elapsed() >= Duration::from_millis(250));
    })
    .await;
}

/// A webhook receiver on loopback: answers 500 to the first delivery, then 200, and reports
/// each delivery's secret header and body.
async fn webhook_receiver() -> (SocketAddr, mpsc::UnboundedReceiver<(Option<String>, Value)>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (sender, receiver) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut count = 0u32;
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            count += 1;
            let status = if count == 1 { 500 } else { 200 };
            let sender = sender.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let sender = sender.clone();
                    async move {
                        let secret = req
                            .headers()
                            .get("x-telegram-bot-api-secret-token")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned);
                        let body = req.into_body().collect().await?.to_bytes();
                        let _ = sender
                            .send((secret, serde_json::from_slice(&body).unwrap_or(Value::Null)));
                        let mut response = Response::new(Full::new(Bytes::new()));
                        *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                        Ok::<_, hyper::Error>(response)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (address, receiver)
}

#[tokio::test]
async fn webhooks_are_delivered_to_loopback_and_retried() {
    bounded(30, async {
        let address = start(ServerConfig::default()).await;
        let (hook, mut deliveries) = webhook_receiver().await;
        let url = format!("http://{hook}/hook");
        let (status, body) = call(
            address,
            "POST",
            &api("setWebhook"),
            json!({"url": url, "secret_token": "s3cret_-"}),
        )
        .await;
        assert_eq!(
            (status, body["description"].clone()),
            (200, json!("Webhook was set"))
        );
        let injected = post(
            address,
            "/control/message",
            json!({"user_id": 9, "text": "via hook"}),
        )
        .await;
        let (secret, first) = bounded(5, deliveries.recv()).await.unwrap();
        assert_eq!(secret.as_deref(), Some("s3cret_-"));
        assert_eq!(first["update_id"], injected["update_id"]);
        assert_eq!(first["message"]["text"], "via hook");
        // The 500 makes the simulator deliver the same update again.
        let (_, second) = bounded(5, deliveries.recv()).await.unwrap();
        assert_eq!(second["update_id"], injected["update_id"]);
        wait_for_state(address, |s| s["pending_update_count"] == 0).await;
        let info = post(address, &api("getWebhookInfo"), json!({})).await;
        assert_eq!(info["url"], url);
        assert_eq!(
            info["last_error_message"],
            "Wrong response from the webhook: 500 Internal Server Error"
        );
        let (status, body) = call(address, "POST", &api("getUpdates"), json!({})).await;
        assert_eq!((status, body["error_code"].clone()), (409, json!(409)));
    })
    .await;
}

#[tokio::test]
async fn faults_reach_the_client() {
    bounded(20, async {
        let address = start(ServerConfig::default()).await;
        post(
            address,
            "/control/message",
            json!({"user_id": 11, "text": "hi"}),
        )
        .await;
        post(
            address,
            "/control/fault",
            json!({"kind": "drop_response", "method": "sendMessage"}),
        )
        .await;
        let lost = try_call(
            address,
            "POST",
            &api("sendMessage"),
            Some(json!({"chat_id": 11, "text": "sent but unanswered"})),
        )
        .await;
        assert!(lost.is_err(), "{lost:?}");
        let transcript = get(address, "/control/transcript?min=1&wait_ms=1000").await;
        assert_eq!(transcript[0]["text"], "sent but unanswered");

        post(
            address,
            "/control/fault",
            json!({"kind": "html_error", "status": 502}),
        )
        .await;
        let (status, content_type, body) =
            try_call(address, "GET", &api("getMe"), None).await.unwrap();
        assert_eq!(status, 502);
        assert_eq!(content_type.as_deref(), Some("text/html"));
        assert!(serde_json::from_slice::<Value>(&body).is_err());

        post(
            address,
            "/control/fault",
            json!({"kind": "too_many_requests", "retry_after": 3, "times": 2}),
        )
        .await;
        for _ in 0..2 {
            let (status, body) = call(address, "POST", &api("getMe"), json!({})).await;
            assert_eq!(
                (status, body["parameters"]["retry_after"].clone()),
                (429, json!(3))
            );
        }
        post(address, "/control/fault", json!({"kind": "api_error"})).await;
        post(address, "/control/clear_faults", json!({})).await;
        post(address, &api("getMe"), json!({})).await;
        let state = get(address, "/control/state").await;
        assert_eq!(state["counters"]["too_many_requests"], 2);
        assert_eq!(state["counters"]["dropped"], 1);
    })
    .await;
}

#[tokio::test]
async fn control_api_reports_bad_input() {
    bounded(20, async {
        let address = start(ServerConfig::default()).await;
        let (status, body) = call(address, "POST", "/control/nothing", json!({})).await;
        assert_eq!((status, body["ok"].clone()), (404, json!(false)));
        let (status, body) = call(address, "POST", "/control/message", json!({"text": "no user"})).await;
        assert_eq!((status, body["error"].clone()), (400, json!("user_id is required")));
        let (status, _) = call(address, "POST", "/control/message", json!([1])).await;
        assert_eq!(status, 400);
        let (status, _) = call(address, "GET", "/control/message", Value::Null).await;
        assert_eq!(status, 405);
        let (status, body) = call(address, "POST", "/control/button", json!({"user_id": 3, "message_id": 1, "data": "x"})).await;
        assert_eq!(status, 422, "{body}");
        let (status, _) = call(address, "POST", "/control/fault", json!({"kind": "meteor"})).await;
        assert_eq!(status, 400);
        let (status, _) = call(address, "GET", "/control/transcript?min=x", Value::Null).await;
        assert_eq!(status, 400);
        // Users, chats, buttons and resets work together.
        post(address, "/control/user", json!({"id": 3, "first_name": "Cy", "username": "cy"})).await;
        post(address, "/control/chat", json!({"id": -100, "type": "group", "title": "Team"})).await;
        post(address, "/control/message", json!({"user_id": 3, "chat_id": -100, "text": "/menu"})).await;
        post(address, "/control/rate_limits", json!({"enabled": false})).await;
        let message = post(address, &api("sendMessage"), json!({"chat_id": -100, "text": "Menu", "reply_markup": {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}})).await;
        let pressed = post(address, "/control/button", json!({"user_id": 3, "chat_id": -100, "message_id": message["message_id"], "data": "go"})).await;
        let query_id = pressed["query_id"].as_str().unwrap().to_owned();
        post(address, &api("answerCallbackQuery"), json!({"callback_query_id": query_id})).await;
        let updates = get(address, "/control/updates").await;
        assert_eq!(updates[1]["callback_query"]["from"]["username"], "cy");
        assert_eq!(updates[0]["message"]["chat"]["title"], "Team");
        post(address, "/control/reset", json!({})).await;
        assert_eq!(get(address, "/control/state").await["transcript_len"], 0);
    })
    .await;
}

/// Kills the child process when the test ends, even on failure.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_binary_prints_its_address_and_serves() {
    let child = Command::new(env!("CARGO_BIN_EXE_botwire-sim"))
        .args(["--port", "0", "--no-rate-limits", "--token", "77:secret"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut child = KillOnDrop(child);
    let stdout = child.0.stdout.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = sender.send(line);
    });
    let line = receiver
        .recv_timeout(Duration::from_secs(10))
        .expect("the first line comes within 10 s");
    let address = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    assert!(address.starts_with("127.0.0.1:"));
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
        .write_all(
            b"GET /bot77:secret/getMe HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        )
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"id\":77"), "{answer}");
}
