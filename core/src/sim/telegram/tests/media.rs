//! Uploads in every form, file ids, `getFile` and downloads, media groups.

use serde_json::{json, Value};

use super::{multipart, raw_request, url, Harness, ANA, TOKEN};
use crate::io::{HttpMethod, HttpRequest};

/// A 3×2 PNG header (enough for the size to be read).
fn png() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
    bytes.extend_from_slice(&3u32.to_be_bytes());
    bytes.extend_from_slice(&2u32.to_be_bytes());
    bytes.extend_from_slice(b"\x08\x02\x00\x00\x00rest-of-image\r\n--not-a-boundary\x00\xff");
    bytes
}

fn download(h: &mut Harness, token: &str, path: &str) -> (u16, Vec<u8>) {
    let request = HttpRequest {
        method: HttpMethod::Get,
        url: format!("https://api.telegram.org/file/bot{token}/{path}"),
        headers: vec![],
        body: vec![],
        timeout_ms: None,
    };
    let key = h.start_raw(0, &request);
    let response = h.response(key);
    (response.status, response.body)
}

fn upload(
    h: &mut Harness,
    now: u64,
    method: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &str, &[u8])],
) -> (u16, Value) {
    let (content_type, body) = multipart(fields, files);
    h.call_raw(now, &raw_request(&url(method), &content_type, &body))
}

#[test]
fn multipart_upload_then_get_file_then_download() {
    let mut h = Harness::unlimited();
    h.started_chat(0, ANA);
    let bytes = png();
    let chat = ANA.to_string();
    let (status, body) = upload(
        &mut h,
        0,
        "sendPhoto",
        &[("chat_id", &chat), ("caption", "a tiny picture")],
        &[("photo", "tiny.png", &bytes)],
    );
    assert_eq!(status, 200, "{body}");
    let message = &body["result"];
    assert_eq!(message["caption"], "a tiny picture");
    let photo = &message["photo"][0];
    assert_eq!(
        (photo["width"].clone(), photo["height"].clone()),
        (json!(3), json!(2))
    );
    assert_eq!(photo["file_size"], bytes.len());
    let file_id = photo["file_id"].as_str().unwrap().to_owned();
    assert!(file_id.starts_with("AgAC"));
    let file = h.ok(0, "getFile", json!({"file_id": file_id}));
    assert_eq!(file["file_id"], file_id.as_str());
    assert_eq!(file["file_size"], bytes.len());
    let path = file["file_path"].as_str().unwrap().to_owned();
    assert!(
        path.starts_with("photos/") && path.ends_with(".png"),
        "{path}"
    );
    assert_eq!(download(&mut h, TOKEN, &path), (200, bytes.clone()));
    assert_eq!(download(&mut h, "123456:WRONG", &path).0, 401);
    assert_eq!(download(&mut h, TOKEN, "photos/nope.jpg").0, 404);
    assert_eq!(h.sim.file_bytes(&file_id), Some(bytes.as_slice()));
    assert_eq!(
        h.err(0, "getFile", json!({"file_id": "nope"})),
        (400, "Bad Request: invalid file_id".into())
    );
    assert_eq!(h.err(0, "getFile", json!({})).0, 400);
    // Sending by file_id reuses the same file.
    let again = h.ok(0, "sendPhoto", json!({"chat_id": ANA, "photo": file_id}));
    assert_eq!(again["photo"][0]["file_id"], file_id.as_str());
    assert_eq!(
        h.sim.transcript()[0].text.as_deref(),
        Some("a tiny picture")
    );
}

#[test]
fn every_media_kind_has_a_plausible_object() {
    let mut h = Harness::unlimited();
    h.started_chat(0, ANA);
    let chat = ANA.to_string();
    let cases = [
        ("sendDocument", "document", "report.pdf"),
        ("sendAudio", "audio", "song.mp3"),
        ("sendVideo", "video", "clip.mp4"),
        ("sendVoice", "voice", "note.ogg"),
        ("sendAnimation", "animation", "fun.gif"),
        ("sendSticker", "sticker", "s.webp"),
    ];
    for (method, field, name) in cases {
        let (status, body) = upload(
            &mut h,
            0,
            method,
            &[("chat_id", &chat), ("duration", "7"), ("title", "T")],
            &[(field, name, b"bytes")],
        );
        assert_eq!(status, 200, "{method}: {body}");
        let object = &body["result"][field];
        assert!(object["file_id"].is_string(), "{method}");
        assert!(object["file_unique_id"].is_string(), "{method}");
        assert_eq!(object["file_size"], 5, "{method}");
        let path = h.ok(0, "getFile", json!({"file_id": object["file_id"]}))["file_path"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(download(&mut h, TOKEN, &path), (200, b"bytes".to_vec()));
        match field {
            "document" => assert_eq!(object["file_name"], "report.pdf"),
            "audio" => assert_eq!(
                (object["duration"].clone(), object["title"].clone()),
                (json!(7), json!("T"))
            ),
            "video" => assert_eq!(object["duration"], 7),
            "voice" => assert_eq!(object["mime_type"], "audio/ogg"),
            "animation" => assert_eq!(body["result"]["document"]["file_id"], object["file_id"]),
            "sticker" => assert_eq!(object["type"], "regular"),
            _ => unreachable!(),
        }
    }
    // By URL: the simulator fetches nothing but still hands out a file.
    let by_url = h.ok(
        0,
        "sendDocument",
        json!({"chat_id": ANA, "document": "https://example.org/files/a.txt"}),
    );
    assert_eq!(by_url["document"]["file_name"], "a.txt");
    for (params, description) in [
        (
            json!({"chat_id": ANA}),
            "Bad Request: there is no document in the request",
        ),
        (
            json!({"chat_id": ANA, "document": "unknown-file-id"}),
            "Bad Request: wrong file identifier/HTTP URL specified",
        ),
        (
            json!({"chat_id": ANA, "document": "attach://missing"}),
            "Bad Request: wrong file identifier/HTTP URL specified",
        ),
        (
            json!({"chat_id": ANA, "document": "https://example.org/a", "caption": "c".repeat(1025)}),
            "Bad Request: message caption is too long",
        ),
    ] {
        assert_eq!(h.err(0, "sendDocument", params), (400, description.into()));
    }
    let (status, body) = upload(
        &mut h,
        0,
        "sendDocument",
        &[("chat_id", &chat)],
        &[("document", "empty.txt", b"")],
    );
    assert_eq!(
        (status, body["description"].clone()),
        (400, json!("Bad Request: file must be non-empty"))
    );
}

#[test]
fn media_groups_use_attach_references() {
    let mut h = Harness::unlimited();
    h.started_chat(0, ANA);
    let chat = ANA.to_string();
    let media = json!([
        {"type": "photo", "media": "attach://file0", "caption": "left"},
        {"type": "photo", "media": "attach://file1"},
        {"type": "video", "media": "https://example.org/v.mp4"},
    ])
    .to_string();
    let (status, body) = upload(
        &mut h,
        0,
        "sendMediaGroup",
        &[("chat_id", &chat), ("media", &media)],
        &[("file0", "a.jpg", b"AAA"), ("file1", "b.jpg", b"BBBB")],
    );
    assert_eq!(status, 200, "{body}");
    let messages = body["result"].as_array().unwrap();
    assert_eq!(messages.len(), 3);
    let group = messages[0]["media_group_id"].clone();
    assert!(group.is_string());
    assert!(messages.iter().all(|m| m["media_group_id"] == group));
    assert_eq!(messages[0]["caption"], "left");
    assert!(messages[1].get("caption").is_none());
    assert_eq!(messages[1]["photo"][0]["file_size"], 4);
    assert!(messages[2]["video"].is_object());
    assert_eq!(h.sim.transcript().len(), 3);
    let photo = |m: &str| json!({"type": "photo", "media": m});
    for (media, description) in [
        (
            json!([photo("https://x.org/1.jpg")]),
            "Bad Request: media group must contain 2-10 items",
        ),
        (
            json!((0..11)
                .map(|_| photo("https://x.org/1.jpg"))
                .collect::<Vec<_>>()),
            "Bad Request: media group must contain 2-10 items",
        ),
        (
            json!([photo("https://x.org/1.jpg"), {"type": "document", "media": "https://x.org/d.pdf"}]),
            "Bad Request: documents can't be mixed with other media types",
        ),
        (
            json!([{"type": "audio", "media": "https://x.org/a.mp3"}, photo("https://x.org/1.jpg")]),
            "Bad Request: audio can't be mixed with other media types",
        ),
        (
            json!([photo("https://x.org/1.jpg"), {"type": "sticker", "media": "x"}]),
            "Bad Request: unsupported media type in a media group",
        ),
        (
            json!([photo("attach://nothing"), photo("https://x.org/1.jpg")]),
            "Bad Request: wrong file identifier/HTTP URL specified",
        ),
        (
            json!([photo(""), photo("https://x.org/1.jpg")]),
            "Bad Request: there is no media in the request",
        ),
    ] {
        assert_eq!(
            h.err(0, "sendMediaGroup", json!({"chat_id": ANA, "media": media})),
            (400, description.into())
        );
    }
    let documents = json!([{"type": "document", "media": "https://x.org/a.pdf"}, {"type": "document", "media": "https://x.org/b.pdf"}]);
    assert_eq!(
        h.ok(
            0,
            "sendMediaGroup",
            json!({"chat_id": ANA, "media": documents})
        )
        .as_array()
        .unwrap()
        .len(),
        2
    );
}

#[test]
fn files_sent_by_users_can_be_downloaded() {
    let mut h = Harness::new();
    let sent = h
        .sim
        .user_sends_document(
            0,
            ANA,
            ANA,
            "notes.txt",
            b"my notes".to_vec(),
            Some("read this"),
        )
        .unwrap();
    assert!(sent.update_id.is_some());
    let update = &h.ok(0, "getUpdates", json!({}))[0]["message"];
    assert_eq!(update["caption"], "read this");
    assert_eq!(update["document"]["file_name"], "notes.txt");
    assert_eq!(update["document"]["mime_type"], "application/octet-stream");
    let path = h.ok(
        0,
        "getFile",
        json!({"file_id": update["document"]["file_id"]}),
    )["file_path"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(download(&mut h, TOKEN, &path), (200, b"my notes".to_vec()));
    h.sim.user_sends_photo(1, ANA, ANA, png(), None).unwrap();
    let update = &h.ok(1, "getUpdates", json!({"offset": -1}))[0]["message"];
    assert_eq!(update["photo"][0]["width"], 3);
}

#[test]
fn non_utf8_file_parts_without_a_name_still_upload() {
    let mut h = Harness::new();
    h.started_chat(0, ANA);
    let boundary = "b0";
    let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n{ANA}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"document\"\r\n\r\n").into_bytes();
    body.extend_from_slice(b"\xff\xfe\x00binary");
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let request = raw_request(
        &url("sendDocument"),
        &format!("multipart/form-data; boundary={boundary}"),
        &body,
    );
    let (status, response) = h.call_raw(0, &request);
    assert_eq!(status, 200, "{response}");
    assert_eq!(response["result"]["document"]["file_size"], 9);
    // The same bytes as a text parameter are an encoding error.
    let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n{ANA}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n").into_bytes();
    body.extend_from_slice(b"\xff\xfe");
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let request = raw_request(
        &url("sendMessage"),
        &format!("multipart/form-data; boundary={boundary}"),
        &body,
    );
    let (status, response) = h.call_raw(5_000, &request);
    assert_eq!(
        (status, response["description"].clone()),
        (400, json!("Bad Request: strings must be encoded in UTF-8"))
    );
}
