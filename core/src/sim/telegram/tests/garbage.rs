//! Untrusted input never panics, and the simulator is deterministic.

use serde_json::{json, Value};

use super::{multipart, raw_request, url, Harness, ANA, GROUP, TOKEN};
use crate::io::{HttpMethod, HttpRequest};
use crate::sim::telegram::{SimConfig, SimReply, TelegramSim};

const METHODS: &[&str] = &[
    "getMe",
    "getUpdates",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "close",
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "sendAudio",
    "sendVideo",
    "sendVoice",
    "sendAnimation",
    "sendSticker",
    "sendMediaGroup",
    "sendChatAction",
    "forwardMessage",
    "copyMessage",
    "editMessageText",
    "editMessageCaption",
    "editMessageReplyMarkup",
    "deleteMessage",
    "answerCallbackQuery",
    "answerInlineQuery",
    "setMessageReaction",
    "getChat",
    "getFile",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
    "logOut",
];

/// Values that are wrong for most parameters.
fn weird_values() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(i64::MAX),
        json!(i64::MIN),
        json!(u64::MAX),
        json!(1e300),
        json!(-0.5),
        json!(""),
        json!("\u{0}"),
        json!("x".repeat(5000)),
        json!("@"),
        json!("attach://"),
        json!([]),
        json!([[[]]]),
        json!({}),
        json!({"inline_keyboard": [[{"text": "a", "callback_data": 5}]]}),
        json!("{\"inline_keyboard\":[[{\"text\":\"a\"}]]}"),
        json!([{"type": "photo", "media": null}, {"type": 7}]),
    ]
}

const PARAMS: &[&str] = &[
    "chat_id",
    "from_chat_id",
    "message_id",
    "text",
    "caption",
    "offset",
    "limit",
    "timeout",
    "allowed_updates",
    "url",
    "secret_token",
    "max_connections",
    "reply_markup",
    "media",
    "photo",
    "document",
    "inline_message_id",
    "callback_query_id",
    "inline_query_id",
    "results",
    "reaction",
    "file_id",
    "commands",
    "scope",
    "action",
    "reply_parameters",
    "entities",
    "parse_mode",
    "drop_pending_updates",
    "sticker",
];

fn check_envelope(status: u16, body: &[u8]) {
    let value: Value = serde_json::from_slice(body).expect("answers are JSON");
    assert_eq!(value["ok"], status == 200, "{value}");
    if status != 200 {
        assert_eq!(value["error_code"], status);
        assert!(value["description"].is_string());
    }
}

fn drain_all(h: &mut Harness) {
    h.sim.advance(h.sim.now() + 60_000);
    while let Some((_, reply)) = h.sim.poll_response() {
        if let SimReply::Response(response) = reply {
            check_envelope(response.status, &response.body);
        }
    }
}

#[test]
fn every_method_survives_every_weird_parameter() {
    let mut h = Harness::new();
    h.started_chat(0, ANA);
    h.sim.user_sends_text(0, ANA, GROUP, "x").unwrap();
    let mut key = 1_000_000;
    for method in METHODS {
        for param in PARAMS {
            for value in weird_values() {
                key += 1;
                let body = json!({ *param: value, "chat_id": ANA }).to_string();
                let request = raw_request(&url(method), "application/json", body.as_bytes());
                h.sim.handle_request(1_000, key, &request).unwrap();
            }
        }
        drain_all(&mut h);
    }
    // Logged out by the last method: the token is refused, without panics.
    assert_eq!(h.err(2_000, "getMe", json!({})).0, 401);
}

#[test]
fn invalid_bodies_and_urls_are_answered() {
    let mut h = Harness::new();
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("application/json", b"{".to_vec()),
        ("application/json", b"[]".to_vec()),
        ("application/json", b"\"text\"".to_vec()),
        ("application/json", b"\xff\xfe\xfd".to_vec()),
        ("application/json", b"{\"chat_id\": 1e999}".to_vec()),
        ("application/json", vec![b'['; 10_000]),
        (
            "application/x-www-form-urlencoded",
            b"chat_id=%FF%FE&text=%".to_vec(),
        ),
        ("application/x-www-form-urlencoded", b"&&&=&==".to_vec()),
        ("multipart/form-data; boundary=", b"--\r\n".to_vec()),
        (
            "multipart/form-data; boundary=zz",
            b"--zz\r\nContent-Disposition: form-data\r\n\r\nx\r\n--zz--".to_vec(),
        ),
        ("multipart/form-data; boundary=zz", b"--zz\r\n\r\n".to_vec()),
        ("text/plain", b"\x00\x01\x02".to_vec()),
        ("", b"chat_id=1&text=hi".to_vec()),
    ];
    for method in ["sendMessage", "getUpdates", "sendPhoto", "setWebhook"] {
        for (content_type, body) in &bodies {
            let request = raw_request(&url(method), content_type, body);
            let key = h.start_raw(0, &request);
            let response = h.response(key);
            check_envelope(response.status, &response.body);
            assert!(
                response.status >= 400 || method == "getUpdates" || method == "setWebhook",
                "{method} {content_type}"
            );
        }
    }
    for url in [
        String::new(),
        "\u{0}".into(),
        "http://".into(),
        "http://h/bot%ZZ/getMe".into(),
        "http://h/bot\u{1F600}/getMe".into(),
        format!("http://h/bot{TOKEN}/"),
        format!("http://h/bot{TOKEN}/%FF%FE"),
        format!("http://h/file/bot{TOKEN}/../../etc/passwd"),
        format!("http://h/bot{TOKEN}/getMe?{}", "&".repeat(1000)),
        format!("http://h/bot{TOKEN}/sendMessage?chat_id=99999999999999999999999&text=x"),
    ] {
        let request = HttpRequest {
            method: HttpMethod::Get,
            url: url.clone(),
            headers: vec![("Content-Type".into(), "\u{0}".into())],
            body: vec![],
            timeout_ms: None,
        };
        let key = h.start_raw(0, &request);
        let response = h.response(key);
        check_envelope(response.status, &response.body);
    }
}

#[test]
fn huge_and_negative_ids_are_errors_not_panics() {
    let mut h = Harness::new();
    h.started_chat(0, ANA);
    for id in [
        json!(i64::MAX),
        json!(i64::MIN),
        json!(0),
        json!(-1),
        json!("9223372036854775808"),
        json!("-0"),
    ] {
        for method in [
            "sendMessage",
            "getChat",
            "deleteMessage",
            "editMessageText",
            "forwardMessage",
        ] {
            let (status, body) = h.call(
                0,
                method,
                json!({"chat_id": id, "from_chat_id": id, "message_id": id, "text": "x"}),
            );
            assert!(status >= 400, "{method} {id}: {body}");
        }
        let (status, _) = h.call(
            0,
            "getUpdates",
            json!({"offset": id, "limit": id, "timeout": 0}),
        );
        assert!(status == 200 || status == 400);
    }
    assert!(h.sim.user_sends_text(0, ANA, i64::MIN, "x").is_ok());
    assert!(h.sim.user_sends_text(0, i64::MAX, i64::MAX, "x").is_ok());
    assert!(h
        .sim
        .user_presses_button(0, ANA, i64::MAX, i64::MAX, "x")
        .is_err());
    assert!(h.sim.user_reacts(0, ANA, 0, 0, "x").is_err());
    h.sim.advance(u64::MAX);
    assert_eq!(h.ok(u64::MAX, "getUpdates", json!({})), json!([]));
    let (status, _) = h.call(u64::MAX, "getUpdates", json!({"timeout": 50}));
    assert_eq!(status, 200);
}

#[test]
fn multipart_edge_cases() {
    let mut h = Harness::new();
    h.started_chat(0, ANA);
    let chat = ANA.to_string();
    // A file part called like a text parameter, and a text part called like a file.
    let (ct, body) = multipart(
        &[("chat_id", &chat), ("photo", "not-a-file-id")],
        &[("text", "t.txt", b"hello")],
    );
    let (status, _) = h.call_raw(0, &raw_request(&url("sendPhoto"), &ct, &body));
    assert_eq!(status, 400);
    let (status, _) = h.call_raw(0, &raw_request(&url("sendMessage"), &ct, &body));
    assert_eq!(status, 400);
    // Truncated bodies at every length.
    let (ct, body) = multipart(
        &[("chat_id", &chat), ("caption", "c")],
        &[("photo", "p.png", b"\x89PNG")],
    );
    for n in 0..body.len() {
        let key = h.start_raw(
            1_000_000 + n as u64,
            &raw_request(&url("sendPhoto"), &ct, &body[..n]),
        );
        let response = h.response(key);
        check_envelope(response.status, &response.body);
    }
}

/// Runs one fixed scenario and returns every answer and delivery, as bytes.
fn scenario(seed: u64) -> Vec<Vec<u8>> {
    let config = SimConfig {
        seed,
        ..SimConfig::default()
    };
    let mut sim = TelegramSim::new(config);
    let mut out = Vec::new();
    let call = |sim: &mut TelegramSim, now: u64, key: u64, method: &str, body: Value| {
        let request = raw_request(
            &url(method),
            "application/json",
            body.to_string().as_bytes(),
        );
        sim.handle_request(now, key, &request).unwrap();
    };
    sim.user_sends_text(0, ANA, ANA, "/start").unwrap();
    call(
        &mut sim,
        10,
        1,
        "sendMessage",
        json!({"chat_id": ANA, "text": "Pick", "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}}),
    );
    sim.user_presses_button(20, ANA, ANA, 1 + 1, "a").unwrap();
    sim.user_inline_query(30, ANA, "q", "").unwrap();
    call(
        &mut sim,
        40,
        2,
        "sendPhoto",
        json!({"chat_id": ANA, "photo": "https://x.org/p.jpg"}),
    );
    call(
        &mut sim,
        2_000,
        3,
        "sendPhoto",
        json!({"chat_id": ANA, "photo": "https://x.org/p.jpg"}),
    );
    call(&mut sim, 2_000, 4, "getUpdates", json!({}));
    while let Some((key, reply)) = sim.poll_response() {
        out.push(key.to_le_bytes().to_vec());
        if let SimReply::Response(response) = reply {
            out.push(response.body);
        }
    }
    out
}

#[test]
fn same_seed_same_bytes() {
    assert_eq!(scenario(1), scenario(1));
    assert_ne!(scenario(1), scenario(2));
}
