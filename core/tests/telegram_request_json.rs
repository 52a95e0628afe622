//! `Api::request_json` (calls built without the typed model) against the typed builder
//! (`MethodInfo::build_request`): the same request for valid arguments, JSON or multipart.

use botwire_core::io::{find_header, HttpRequest};
use botwire_core::telegram::api::{find_method, find_method_shape};
use botwire_core::telegram::{Api, EncodeError};
use serde_json::{json, Value};
use std::collections::BTreeMap;

fn api() -> Api {
    Api::new("123:SECRET").with_api_root("http://sim")
}

/// A multipart part: file name, content type, bytes.
type Part = (Option<String>, Option<String>, Vec<u8>);

/// A body as comparable data: JSON as a value; multipart as its parts by name.
#[derive(Debug, PartialEq)]
enum Body {
    Json(Value),
    Parts(BTreeMap<String, Part>),
}

fn body(request: &HttpRequest) -> Body {
    let content_type = find_header(&request.headers, "Content-Type").unwrap();
    if content_type == "application/json" {
        return Body::Json(serde_json::from_slice(&request.body).unwrap());
    }
    let boundary = content_type.split("boundary=").nth(1).unwrap();
    let text = String::from_utf8_lossy(&request.body).into_owned();
    let mut parts = BTreeMap::new();
    for chunk in text.split(&format!("--{boundary}")) {
        let Some((head, content)) = chunk.split_once("\r\n\r\n") else {
            continue;
        };
        let attr = |name: &str| {
            head.split(&format!("{name}=\""))
                .nth(1)
                .map(|r| r.split('"').next().unwrap().to_owned())
        };
        let part_type = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Type: "))
            .map(str::to_owned);
        let content = content.strip_suffix("\r\n").unwrap_or(content);
        let mut bytes = content.as_bytes().to_vec();
        // Text parameters are compared as JSON values when they are JSON.
        if attr("filename").is_none() {
            if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
                bytes = v.to_string().into_bytes();
            }
        }
        parts.insert(attr("name").unwrap(), (attr("filename"), part_type, bytes));
    }
    Body::Parts(parts)
}

fn both(method: &str, args: Value) -> (HttpRequest, HttpRequest) {
    let typed = find_method(method)
        .unwrap()
        // The typed builder takes `{}` for no arguments, as the runtime gives it.
        .build_request(
            &api(),
            &if args.is_null() {
                "{}".to_owned()
            } else {
                args.to_string()
            },
        )
        .unwrap_or_else(|e| panic!("typed {method}: {e}"));
    let (name, lean) = api()
        .request_json(method, &args)
        .unwrap_or_else(|e| panic!("json {method}: {e}"));
    assert_eq!(name, find_method(method).unwrap().name);
    (typed, lean)
}

fn upload(name: &str, bytes: &[u8]) -> Value {
    use base64::Engine as _;
    json!({
        "file_name": name,
        "data_base64": base64::engine::general_purpose::STANDARD.encode(bytes),
        "mime_type": "image/png",
    })
}

#[test]
fn json_calls_match_the_typed_builder() {
    let cases = [
        (
            "sendMessage",
            json!({"chat_id": 5, "text": "hi", "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "x"}]]}}),
        ),
        ("getMe", Value::Null),
        (
            "answerCallbackQuery",
            json!({"callback_query_id": "q", "text": "ok"}),
        ),
        (
            "sendPhoto",
            json!({"chat_id": "@chan", "photo": "https://example.org/a.png", "caption": "c"}),
        ),
        (
            "sendPhoto",
            json!({"chat_id": 5, "photo": upload("a.png", b"\x89PNG...")}),
        ),
        (
            "sendDocument",
            json!({"chat_id": 5, "document": upload("d.txt", b"doc"), "thumbnail": upload("t.png", b"thumb")}),
        ),
        (
            "sendMediaGroup",
            json!({"chat_id": 5, "media": [
                {"type": "photo", "media": upload("1.png", b"one")},
                {"type": "photo", "media": "AgAD-file-id", "caption": "two"},
            ]}),
        ),
        (
            "editMessageMedia",
            json!({"chat_id": 5, "message_id": 9, "media": {"type": "photo", "media": upload("e.png", b"edit")}}),
        ),
    ];
    for (method, args) in cases {
        let (typed, lean) = both(method, args.clone());
        assert_eq!(typed.url, lean.url, "{method}");
        assert_eq!(body(&typed), body(&lean), "{method} {args}");
    }
}

#[test]
fn method_names_are_found_case_insensitively_and_every_method_has_a_shape() {
    let (name, request) = api()
        .request_json("SENDMESSAGE", &json!({"chat_id": 1, "text": "x"}))
        .unwrap();
    assert_eq!(name, "sendMessage");
    assert!(request.url.ends_with("/bot123:SECRET/sendMessage"));
    for info in botwire_core::telegram::methods::METHODS {
        let shape = find_method_shape(info.name).unwrap();
        assert_eq!(
            (shape.name, shape.upload_fields),
            (info.name, info.upload_fields)
        );
        // Exactly the required parameters are refused when missing, as by the typed builder.
        for required in shape.required {
            let typed = info.build_request(&api(), "{}");
            assert!(typed.is_err(), "{} without {required}", info.name);
        }
        if !shape.required.is_empty() {
            assert!(
                api().request_json(info.name, &json!({})).is_err(),
                "{}",
                info.name
            );
        }
        if shape.required.is_empty() {
            assert!(info.build_request(&api(), "{}").is_ok(), "{}", info.name);
            assert!(
                api().request_json(info.name, &Value::Null).is_ok(),
                "{}",
                info.name
            );
        }
    }
}

#[test]
fn bad_calls_are_errors() {
    assert!(matches!(
        api().request_json("noSuchMethod", &json!({})),
        Err(EncodeError::UnknownMethod(_))
    ));
    for args in [
        json!([1, 2]),
        json!("text"),
        json!({"chat_id": 1, "photo": {"file_name": "a", "data_base64": "***"}}),
        json!({"chat_id": 1, "photo": {"data_base64": "AAAA"}}),
        json!({"chat_id": 1}),
        json!({"chat_id": 1, "photo": null}),
        Value::Null,
    ] {
        assert!(
            matches!(
                api().request_json("sendPhoto", &args),
                Err(EncodeError::InvalidArguments { .. })
            ),
            "{args}"
        );
    }
    // Media groups are checked as by the typed builder.
    let mixed = json!({"chat_id": 1, "media": [
        {"type": "document", "media": "a"}, {"type": "photo", "media": "b"}]});
    assert!(matches!(
        api().request_json("sendMediaGroup", &mixed),
        Err(EncodeError::InvalidMediaGroup(_))
    ));
    // Two uploads with the same attach name collide.
    let mut a = upload("a.png", b"a");
    a["attach_name"] = json!("same");
    let twice = json!({"chat_id": 1, "media": [
        {"type": "photo", "media": a.clone()}, {"type": "photo", "media": a}]});
    assert!(matches!(
        api().request_json("sendMediaGroup", &twice),
        Err(EncodeError::AttachNameCollision(_))
    ));
}
