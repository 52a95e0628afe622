//! Snapshots of request bytes (JSON and multipart) and answer classification.

use botwire_core::telegram::api::{parse, request_by_name, Api, EncodeError};
use botwire_core::telegram::enums::ParseMode;
use botwire_core::telegram::methods::{SendMediaGroup, SendMessage, SendPhoto, SetWebhook};
use botwire_core::telegram::types::{
    InlineKeyboardButton, InlineKeyboardMarkup, InputMedia, InputMediaDocument, InputMediaPhoto,
};
use botwire_core::telegram::{ApiError, BadRequestKind, ChatId, InputFile};

fn api() -> Api {
    Api::new("123456789:AAE-secret").with_api_root("https://api.telegram.org/")
}

#[test]
fn send_message_json_bytes() {
    let markup = InlineKeyboardMarkup::new(vec![vec![
        InlineKeyboardButton::new("Yes ✅").callback_data("vote:yes"),
        InlineKeyboardButton::new("No").callback_data("vote:no"),
    ]]);
    let m = SendMessage::new(-1001234567890, "<b>Pick</b> one")
        .parse_mode(ParseMode::Html)
        .reply_markup(markup);
    let req = api().request(&m).unwrap();
    assert_eq!(req.method.as_str(), "POST");
    assert_eq!(
        req.url,
        "https://api.telegram.org/bot123456789:AAE-secret/sendMessage"
    );
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert_eq!(
        String::from_utf8(req.body).unwrap(),
        r#"{"chat_id":-1001234567890,"text":"<b>Pick</b> one","parse_mode":"HTML","reply_markup":{"inline_keyboard":[[{"text":"Yes ✅","callback_data":"vote:yes"},{"text":"No","callback_data":"vote:no"}]]}}"#
    );
    assert!(!format!("{:?}", api().request(&m).unwrap()).contains("AAE-secret"));
}

#[test]
fn channel_usernames_and_test_environment() {
    let req = Api::new("1:X")
        .with_test_environment(true)
        .request(&SendMessage::new("@news", "hi"))
        .unwrap();
    assert_eq!(req.url, "https://api.telegram.org/bot1:X/test/sendMessage");
    assert_eq!(req.body, br#"{"chat_id":"@news","text":"hi"}"#);
    assert_eq!(
        Api::new("1:X").file_url("photos/a.jpg"),
        "https://api.telegram.org/file/bot1:X/photos/a.jpg"
    );
}

#[test]
fn send_photo_upload_is_multipart_with_the_parameter_as_part_name() {
    let m = SendPhoto::new(
        42,
        InputFile::upload("cat.jpg", b"\xff\xd8JPEG".to_vec()).with_mime_type("image/jpeg"),
    )
    .caption("a cat");
    let req = api().request(&m).unwrap();
    let ctype = req.header("Content-Type").unwrap().to_owned();
    let boundary = ctype
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap()
        .to_owned();
    let expected = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"caption\"\r\n\r\na cat\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n42\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"cat.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n",
        b = boundary
    );
    let mut expected = expected.into_bytes();
    expected.extend_from_slice(b"\xff\xd8JPEG");
    expected.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    assert_eq!(req.body, expected);
    // The same request always encodes to the same bytes (no randomness).
    assert_eq!(api().request(&m).unwrap().body, req.body);
}

#[test]
fn send_photo_by_file_id_or_url_stays_json() {
    let req = api()
        .request(&SendPhoto::new(42, "AgACAgIAAxkBAAIB"))
        .unwrap();
    assert_eq!(req.body, br#"{"chat_id":42,"photo":"AgACAgIAAxkBAAIB"}"#);
    let req = api()
        .request(&SendPhoto::new(42, "https://example.org/a.jpg"))
        .unwrap();
    assert_eq!(
        req.body,
        br#"{"chat_id":42,"photo":"https://example.org/a.jpg"}"#
    );
}

#[test]
fn media_group_uploads_travel_as_attach_parts() {
    let media: Vec<InputMedia> = vec![
        InputMediaPhoto::new(
            InputFile::upload("a.jpg", b"AAA".to_vec()).with_mime_type("image/jpeg"),
        )
        .caption("left")
        .into(),
        InputMediaPhoto::new(
            InputFile::upload("b.jpg", b"BBB".to_vec()).with_mime_type("image/jpeg"),
        )
        .into(),
    ];
    let req = api()
        .request(&SendMediaGroup::new(ChatId::Id(-1001234567890), media))
        .unwrap();
    let body = String::from_utf8(req.body).unwrap();
    let b = req.headers[0]
        .1
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap();
    assert_eq!(
        body,
        format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n-1001234567890\r\n\
             --{b}\r\nContent-Disposition: form-data; name=\"media\"\r\n\r\n\
             [{{\"type\":\"photo\",\"media\":\"attach://file0\",\"caption\":\"left\"}},{{\"type\":\"photo\",\"media\":\"attach://file1\"}}]\r\n\
             --{b}\r\nContent-Disposition: form-data; name=\"file0\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\nAAA\r\n\
             --{b}\r\nContent-Disposition: form-data; name=\"file1\"; filename=\"b.jpg\"\r\nContent-Type: image/jpeg\r\n\r\nBBB\r\n\
             --{b}--\r\n"
        )
    );
}

#[test]
fn media_groups_are_validated() {
    let mixed: Vec<InputMedia> = vec![
        InputMediaPhoto::new("AgAC1").into(),
        InputMediaDocument::new("BQAC2").into(),
    ];
    assert!(matches!(
        api().request(&SendMediaGroup::new(1, mixed)),
        Err(EncodeError::InvalidMediaGroup(_))
    ));
    let one: Vec<InputMedia> = vec![InputMediaPhoto::new("AgAC1").into()];
    assert!(matches!(
        api().request(&SendMediaGroup::new(1, one)),
        Err(EncodeError::InvalidMediaGroup(_))
    ));
}

#[test]
fn chosen_attach_names_must_not_collide() {
    let media: Vec<InputMedia> = vec![
        InputMediaPhoto::new(InputFile::upload("a.jpg", b"A".to_vec()).with_attach_name("chat_id"))
            .into(),
        InputMediaPhoto::new("AgAC").into(),
    ];
    assert_eq!(
        api().request(&SendMediaGroup::new(1, media)),
        Err(EncodeError::AttachNameCollision("chat_id".into()))
    );
}

#[test]
fn set_webhook_certificate_upload() {
    let m = SetWebhook::new("https://bot.example.org/hook")
        .certificate(InputFile::upload(
            "cert.pem",
            b"-----BEGIN CERTIFICATE-----".to_vec(),
        ))
        .secret_token("k3Y_2026-webhook");
    let req = api().request(&m).unwrap();
    let body = String::from_utf8(req.body).unwrap();
    assert!(body.contains(
        "name=\"certificate\"; filename=\"cert.pem\"\r\nContent-Type: application/octet-stream"
    ));
    assert!(body.contains("name=\"secret_token\"\r\n\r\nk3Y_2026-webhook\r\n"));
}

#[test]
fn requests_by_name_from_json_arguments() {
    let req = request_by_name(&api(), "SENDMESSAGE", r#"{"chat_id":5,"text":"x"}"#).unwrap();
    assert!(req.url.ends_with("/sendMessage"));
    let req = request_by_name(
        &api(),
        "sendDocument",
        r#"{"chat_id":5,"document":{"file_name":"r.txt","data_base64":"aGk="}}"#,
    )
    .unwrap();
    assert!(String::from_utf8_lossy(&req.body).contains("filename=\"r.txt\""));
    assert!(matches!(
        request_by_name(&api(), "sendMessage", r#"{"chat_id":5}"#),
        Err(EncodeError::InvalidArguments { .. })
    ));
    assert!(matches!(
        request_by_name(&api(), "noSuchMethod", "{}"),
        Err(EncodeError::UnknownMethod(_))
    ));
    assert!(matches!(
        request_by_name(&api(), "getMe", "not json"),
        Err(EncodeError::InvalidArguments { .. })
    ));
}

#[test]
fn answers_are_parsed_or_classified() {
    let ok = br#"{"ok":true,"result":{"message_id":812,"date":1780000000,"chat":{"id":42,"type":"private","first_name":"Ana"},"text":"hi"}}"#;
    assert_eq!(parse::<SendMessage>(200, ok).unwrap().message_id, 812);
    let err = br#"{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}"#;
    assert!(matches!(
        parse::<SendMessage>(400, err),
        Err(ApiError::BadRequest {
            kind: BadRequestKind::ChatNotFound,
            ..
        })
    ));
    assert!(matches!(
        parse::<SendMessage>(502, b"<html>Bad Gateway</html>"),
        Err(ApiError::Transport { status: 502, .. })
    ));
    assert!(matches!(
        parse::<SendMessage>(200, b""),
        Err(ApiError::Transport { .. })
    ));
    assert!(matches!(
        parse::<SendMessage>(200, br#"{"ok":true,"result":true}"#),
        Err(ApiError::InvalidResponse { .. })
    ));
    assert!(matches!(
        parse::<SendMessage>(200, br#"[1,2]"#),
        Err(ApiError::InvalidResponse { .. })
    ));
    // Editing an inline message answers `true`.
    use botwire_core::telegram::methods::EditMessageText;
    use botwire_core::telegram::MessageOrTrue;
    assert_eq!(
        parse::<EditMessageText>(200, br#"{"ok":true,"result":true}"#).unwrap(),
        MessageOrTrue::True
    );
}

/// A `type` field whose prose lists allowed values ("must be one of ...") is a plain field
/// that keeps its value, not a fixed tag.
#[test]
fn listed_values_are_not_fixed_tags() {
    use botwire_core::telegram::types::RichBlockListItem;
    let item: RichBlockListItem =
        serde_json::from_str(r#"{"label":"iv.","blocks":[],"type":"I"}"#).unwrap();
    assert_eq!(item.kind.as_deref(), Some("I"));
    let back = serde_json::to_value(&item).unwrap();
    assert_eq!(back["type"], "I");
    let plain = serde_json::to_value(RichBlockListItem::new("1.", vec![])).unwrap();
    assert!(plain.get("type").is_none());
}
