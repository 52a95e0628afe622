//! The Telegram adapter of the runtime: updates to events, actions to requests, the
//! capability table, and telepot's helpers.

use botwire_core::runtime::helpers::{Administrator, Editor, Sender};
use botwire_core::runtime::model::{
    Action, ActionError, ActionKind, Button, ChatType, Event, EventKind, FileKind, FileUpload,
    MessageKey, Payload, Platform, SendOptions, TextFormat,
};
use botwire_core::runtime::telegram::{event_from_update, translate, TelegramCall, CAPABILITIES};
use botwire_core::telegram::types::{Update, UpdateKind, UPDATE_KINDS};
use botwire_core::telegram::Api;
use serde_json::{json, Value};

fn api() -> Api {
    Api::new("123:SECRET").with_api_root("http://sim")
}

fn event(json: &str) -> Event {
    let update: Update = serde_json::from_str(json).expect("sample update parses");
    event_from_update(Box::new(update))
}

fn tr(action: &Action) -> TelegramCall {
    translate(&api(), action).unwrap_or_else(|e| panic!("{action:?} does not translate: {e}"))
}

fn body(call: &TelegramCall) -> Value {
    serde_json::from_slice(&call.request.body).expect("JSON body")
}

fn url_method(call: &TelegramCall) -> &str {
    call.request.url.rsplit('/').next().unwrap()
}

const FROM: &str =
    r#"{"id":5,"is_bot":false,"first_name":"Ada","last_name":"Lovelace","username":"ada"}"#;

fn msg(fields: &str) -> String {
    format!(
        r#"{{"message_id":16,"date":1700000000,"chat":{{"id":-1001,"type":"supergroup","title":"Club"}},"from":{FROM}{fields}}}"#
    )
}

// ---------------------------------------------------------------------------------------------
// Updates to events
// ---------------------------------------------------------------------------------------------

#[test]
fn a_text_message_fills_every_field() {
    let e = event(&format!(
        r#"{{"update_id":900,"message":{}}}"#,
        msg(r#","text":"hello""#)
    ));
    assert_eq!(e.platform, Platform::Telegram);
    assert_eq!(e.id, "900");
    assert_eq!(e.seq, Some(900));
    assert_eq!(e.kind, EventKind::Message);
    assert_eq!(e.platform_kind, "message");
    let chat = e.chat.as_ref().unwrap();
    assert_eq!(chat.key, "telegram:-1001");
    assert_eq!(chat.chat_type, ChatType::Supergroup);
    assert_eq!(chat.title.as_deref(), Some("Club"));
    let from = e.from.as_ref().unwrap();
    assert_eq!(from.key, "telegram:5");
    assert_eq!(from.name, "Ada Lovelace");
    assert_eq!(from.username.as_deref(), Some("ada"));
    assert!(!from.is_bot);
    assert_eq!(
        e.message,
        Some(MessageKey::InChat {
            chat: "telegram:-1001".into(),
            id: "16".into()
        })
    );
    assert_eq!(e.content_type.as_deref(), Some("text"));
    assert_eq!(e.text.as_deref(), Some("hello"));
    assert_eq!(e.data, None);
    assert_eq!(e.query_id, None);
    // The update itself is the payload.
    let u = e.telegram().unwrap();
    assert_eq!(u.update_id, 900);
    assert_eq!(u.message().unwrap().text.as_deref(), Some("hello"));
    assert!(matches!(e.payload, Payload::Telegram(_)));
}

#[test]
fn captions_content_types_and_names() {
    let e = event(&format!(
        r#"{{"update_id":1,"message":{}}}"#,
        msg(
            r#","photo":[{"file_id":"p","file_unique_id":"u","width":1,"height":1}],"caption":"a cat""#
        )
    ));
    assert_eq!(e.content_type.as_deref(), Some("photo"));
    assert_eq!(e.text.as_deref(), Some("a cat"));

    // An animation also carries `document`: telepot's order names it a document.
    let e = event(&format!(
        r#"{{"update_id":2,"message":{}}}"#,
        msg(
            r#","animation":{"file_id":"a","file_unique_id":"b","width":1,"height":1,"duration":1},"document":{"file_id":"a","file_unique_id":"b"}"#
        )
    ));
    assert_eq!(e.content_type.as_deref(), Some("document"));
    assert_eq!(e.text, None);

    // A message with no known content field, from a user without a last name.
    let e = event(
        r#"{"update_id":3,"message":{"message_id":1,"date":1,"chat":{"id":7,"type":"private","first_name":"Bo"},"from":{"id":7,"is_bot":true,"first_name":"Bo"}}}"#,
    );
    assert_eq!(e.content_type.as_deref(), Some("unknown"));
    assert_eq!(e.from.as_ref().unwrap().name, "Bo");
    assert!(e.from.as_ref().unwrap().is_bot);
    assert_eq!(e.chat.as_ref().unwrap().chat_type, ChatType::Private);
    assert_eq!(e.chat.as_ref().unwrap().title, None);
}

#[test]
fn channel_business_and_guest_messages_are_messages() {
    let e = event(
        r#"{"update_id":4,"channel_post":{"message_id":3,"date":1,"chat":{"id":-1002,"type":"channel","title":"News"},"text":"post"}}"#,
    );
    assert_eq!(e.kind, EventKind::Message);
    assert_eq!(e.platform_kind, "channel_post");
    assert_eq!(e.chat.as_ref().unwrap().chat_type, ChatType::Channel);
    assert_eq!(e.from, None);
    assert_eq!(e.text.as_deref(), Some("post"));

    let e = event(&format!(
        r#"{{"update_id":5,"business_message":{}}}"#,
        msg(r#","business_connection_id":"bc","text":"b""#)
    ));
    assert_eq!(
        (e.kind, &*e.platform_kind),
        (EventKind::Message, "business_message")
    );

    let e = event(&format!(
        r#"{{"update_id":6,"guest_message":{}}}"#,
        msg(r#","guest_query_id":"g","text":"g""#)
    ));
    assert_eq!(
        (e.kind, &*e.platform_kind),
        (EventKind::Message, "guest_message")
    );
}

#[test]
fn edits_are_edited_messages() {
    for field in [
        "edited_message",
        "edited_channel_post",
        "edited_business_message",
    ] {
        let e = event(&format!(
            r#"{{"update_id":7,"{field}":{}}}"#,
            msg(r#","edit_date":1700000100,"text":"fixed""#)
        ));
        assert_eq!(e.kind, EventKind::EditedMessage, "{field}");
        assert_eq!(e.platform_kind, field);
        assert_eq!(e.text.as_deref(), Some("fixed"));
        assert_eq!(e.message, Some(MessageKey::in_chat("telegram:-1001", 16)));
    }
}

#[test]
fn service_messages_about_members_and_chats() {
    let e = event(&format!(
        r#"{{"update_id":8,"message":{}}}"#,
        msg(r#","new_chat_members":[{"id":9,"is_bot":false,"first_name":"New"}]"#)
    ));
    assert_eq!(e.kind, EventKind::MemberJoined);
    assert_eq!(e.content_type.as_deref(), Some("new_chat_members"));
    assert_eq!(e.user_key(), Some("telegram:5"));

    let e = event(&format!(
        r#"{{"update_id":9,"message":{}}}"#,
        msg(r#","left_chat_member":{"id":9,"is_bot":false,"first_name":"Gone"}"#)
    ));
    assert_eq!(e.kind, EventKind::MemberLeft);
    assert_eq!(e.content_type.as_deref(), Some("left_chat_member"));

    for field in [
        "group_chat_created",
        "supergroup_chat_created",
        "channel_chat_created",
    ] {
        let e = event(&format!(
            r#"{{"update_id":10,"message":{}}}"#,
            msg(&format!(r#","{field}":true"#))
        ));
        assert_eq!(e.kind, EventKind::ChatCreated, "{field}");
        assert_eq!(e.content_type.as_deref(), Some(field));
    }

    // An edit never changes kind because of its content.
    let e = event(&format!(
        r#"{{"update_id":11,"edited_message":{}}}"#,
        msg(r#","new_chat_members":[{"id":9,"is_bot":false,"first_name":"New"}]"#)
    ));
    assert_eq!(e.kind, EventKind::EditedMessage);
}

#[test]
fn deleted_business_messages() {
    let e = event(
        r#"{"update_id":12,"deleted_business_messages":{"business_connection_id":"bc","chat":{"id":77,"type":"private"},"message_ids":[4,5]}}"#,
    );
    assert_eq!(e.kind, EventKind::DeletedMessage);
    assert_eq!(e.chat_key(), Some("telegram:77"));
    assert_eq!(e.message, Some(MessageKey::in_chat("telegram:77", 4)));
}

#[test]
fn button_presses_name_their_origin() {
    let e = event(&format!(
        r#"{{"update_id":13,"callback_query":{{"id":"cq1","from":{FROM},"message":{},"chat_instance":"-5","data":"vote:yes"}}}}"#,
        msg(r#","text":"Pick""#)
    ));
    assert_eq!(e.kind, EventKind::ButtonPress);
    assert_eq!(e.data.as_deref(), Some("vote:yes"));
    assert_eq!(e.query_id.as_deref(), Some("cq1"));
    assert_eq!(e.chat_key(), Some("telegram:-1001"));
    assert_eq!(e.user_key(), Some("telegram:5"));
    assert_eq!(e.message, Some(MessageKey::in_chat("telegram:-1001", 16)));
    assert_eq!(e.text, None);

    // An inaccessible message (date 0) still identifies the origin.
    let e = event(&format!(
        r#"{{"update_id":14,"callback_query":{{"id":"cq2","from":{FROM},"message":{{"message_id":3,"chat":{{"id":71,"type":"private"}},"date":0}},"chat_instance":"-5","data":"x"}}}}"#
    ));
    assert_eq!(e.message, Some(MessageKey::in_chat("telegram:71", 3)));

    // A button under an inline message.
    let e = event(&format!(
        r#"{{"update_id":15,"callback_query":{{"id":"cq3","from":{FROM},"inline_message_id":"AAQ","chat_instance":"-5","data":"y"}}}}"#
    ));
    assert_eq!(
        e.message,
        Some(MessageKey::Inline {
            platform: Platform::Telegram,
            inline_id: "AAQ".into()
        })
    );
    assert_eq!(e.chat, None);
}

#[test]
fn inline_queries_and_chosen_results() {
    let e = event(&format!(
        r#"{{"update_id":16,"inline_query":{{"id":"iq","from":{FROM},"query":"cats","offset":""}}}}"#
    ));
    assert_eq!(e.kind, EventKind::InlineQuery);
    assert_eq!(e.text.as_deref(), Some("cats"));
    assert_eq!(e.query_id.as_deref(), Some("iq"));
    assert_eq!(e.user_key(), Some("telegram:5"));
    assert_eq!(e.chat, None);

    let e = event(&format!(
        r#"{{"update_id":17,"chosen_inline_result":{{"result_id":"r1","from":{FROM},"inline_message_id":"IM","query":"cats"}}}}"#
    ));
    assert_eq!(e.kind, EventKind::ChosenInlineResult);
    assert_eq!(e.data.as_deref(), Some("r1"));
    assert_eq!(
        e.message,
        Some(MessageKey::Inline {
            platform: Platform::Telegram,
            inline_id: "IM".into()
        })
    );

    let e = event(&format!(
        r#"{{"update_id":18,"chosen_inline_result":{{"result_id":"r2","from":{FROM},"query":"x"}}}}"#
    ));
    assert_eq!(e.message, None);
}

fn member_update(field: &str, old: &str, new: &str) -> Event {
    event(&format!(
        r#"{{"update_id":19,"{field}":{{"chat":{{"id":-1001,"type":"supergroup","title":"Club"}},"from":{FROM},"date":1,
        "old_chat_member":{old},"new_chat_member":{new}}}}}"#
    ))
}

#[test]
fn member_updates_by_old_and_new_status() {
    let user = r#"{"id":9,"is_bot":false,"first_name":"M"}"#;
    let left = format!(r#"{{"status":"left","user":{user}}}"#);
    let member = format!(r#"{{"status":"member","user":{user}}}"#);
    let kicked = format!(r#"{{"status":"kicked","user":{user},"until_date":0}}"#);
    let admin = format!(
        r#"{{"status":"administrator","user":{user},"can_be_edited":false,"is_anonymous":false,
        "can_manage_chat":true,"can_delete_messages":true,"can_manage_video_chats":true,
        "can_restrict_members":true,"can_promote_members":false,"can_change_info":true,
        "can_invite_users":true,"can_post_stories":false,"can_edit_stories":false,"can_delete_stories":false}}"#
    );

    let e = member_update("chat_member", &left, &member);
    assert_eq!(e.kind, EventKind::MemberJoined);
    assert_eq!(e.platform_kind, "chat_member");
    assert_eq!(e.chat_key(), Some("telegram:-1001"));
    assert_eq!(e.user_key(), Some("telegram:5"));

    let e = member_update("my_chat_member", &member, &kicked);
    assert_eq!(e.kind, EventKind::MemberLeft);
    assert_eq!(e.platform_kind, "my_chat_member");

    let e = member_update("chat_member", &member, &admin);
    assert_eq!(e.kind, EventKind::MemberRoleChanged);

    let e = member_update("chat_member", &left, &kicked);
    assert_eq!(e.kind, EventKind::MemberRoleChanged);
}

#[test]
fn reactions() {
    let e = event(&format!(
        r#"{{"update_id":20,"message_reaction":{{"chat":{{"id":-1001,"type":"supergroup"}},"message_id":16,"user":{FROM},"date":1,
        "old_reaction":[],"new_reaction":[{{"type":"emoji","emoji":"👍"}}]}}}}"#
    ));
    assert_eq!(e.kind, EventKind::Reaction);
    assert_eq!(e.message, Some(MessageKey::in_chat("telegram:-1001", 16)));
    assert_eq!(e.user_key(), Some("telegram:5"));

    let e = event(
        r#"{"update_id":21,"message_reaction_count":{"chat":{"id":-1001,"type":"supergroup"},"message_id":17,"date":1,
        "reactions":[{"type":{"type":"emoji","emoji":"👍"},"total_count":3}]}}"#,
    );
    assert_eq!(e.kind, EventKind::Reaction);
    assert_eq!(e.platform_kind, "message_reaction_count");
    assert_eq!(e.message, Some(MessageKey::in_chat("telegram:-1001", 17)));
    assert_eq!(e.from, None);
}

#[test]
fn other_updates_are_unknown_with_what_they_name() {
    let e = event(&format!(
        r#"{{"update_id":22,"chat_join_request":{{"chat":{{"id":-1001,"type":"supergroup"}},"from":{FROM},"user_chat_id":5,"date":1}}}}"#
    ));
    assert_eq!(e.kind, EventKind::Unknown);
    assert_eq!(e.platform_kind, "chat_join_request");
    assert_eq!(e.chat_key(), Some("telegram:-1001"));
    assert_eq!(e.user_key(), Some("telegram:5"));

    let e = event(&format!(
        r#"{{"update_id":23,"pre_checkout_query":{{"id":"pc","from":{FROM},"currency":"XTR","total_amount":5,"invoice_payload":"order-1"}}}}"#
    ));
    assert_eq!(e.kind, EventKind::Unknown);
    assert_eq!(e.platform_kind, "pre_checkout_query");
    assert_eq!(e.query_id.as_deref(), Some("pc"));
    assert_eq!(e.data.as_deref(), Some("order-1"));

    let e = event(
        r#"{"update_id":24,"poll":{"id":"p","question":"?","options":[],"total_voter_count":0,"is_closed":true,"is_anonymous":true,"type":"regular","allows_multiple_answers":false,"allows_revoting":false,"members_only":false}}"#,
    );
    assert_eq!((e.kind, &*e.platform_kind), (EventKind::Unknown, "poll"));

    let e = event(r#"{"update_id":25,"brand_new_kind":{"a":1}}"#);
    assert_eq!(e.kind, EventKind::Unknown);
    assert_eq!(e.platform_kind, "brand_new_kind");
    assert_eq!(e.seq, Some(25));
    assert!(matches!(
        e.telegram().map(|u| &u.kind),
        Some(UpdateKind::Unknown { .. })
    ));
}

#[test]
fn platform_kind_is_the_update_field_for_every_known_kind() {
    // Every update kind maps without panicking and names its field; the ones the shared model
    // knows get their kind.
    let samples: &[(&str, String, EventKind)] = &[
        ("message", msg(r#","text":"t""#), EventKind::Message),
        (
            "edited_message",
            msg(r#","text":"t""#),
            EventKind::EditedMessage,
        ),
        ("channel_post", msg(r#","text":"t""#), EventKind::Message),
        (
            "edited_channel_post",
            msg(r#","text":"t""#),
            EventKind::EditedMessage,
        ),
        (
            "business_message",
            msg(r#","text":"t""#),
            EventKind::Message,
        ),
        (
            "edited_business_message",
            msg(r#","text":"t""#),
            EventKind::EditedMessage,
        ),
        ("guest_message", msg(r#","text":"t""#), EventKind::Message),
        (
            "shipping_query",
            format!(
                r#"{{"id":"s","from":{FROM},"invoice_payload":"p","shipping_address":{{"country_code":"DE","state":"","city":"B","street_line1":"x","street_line2":"","post_code":"1"}}}}"#
            ),
            EventKind::Unknown,
        ),
        (
            "purchased_paid_media",
            format!(r#"{{"from":{FROM},"paid_media_payload":"pm"}}"#),
            EventKind::Unknown,
        ),
        (
            "poll_answer",
            format!(
                r#"{{"poll_id":"p","user":{FROM},"option_ids":[0],"option_persistent_ids":["a"]}}"#
            ),
            EventKind::Unknown,
        ),
    ];
    for (field, payload, kind) in samples {
        assert!(UPDATE_KINDS.contains(field));
        let e = event(&format!(r#"{{"update_id":30,"{field}":{payload}}}"#));
        assert_eq!(e.platform_kind, *field);
        assert_eq!(e.kind, *kind, "{field}");
        assert_eq!(e.id, "30");
    }
}

// ---------------------------------------------------------------------------------------------
// Actions to requests
// ---------------------------------------------------------------------------------------------

fn kb() -> Vec<Vec<Button>> {
    vec![vec![
        Button::data("Yes", "vote:yes"),
        Button::url("Site", "https://x.org"),
    ]]
}

#[test]
fn send_with_every_option() {
    let call = tr(&Action::Send {
        chat: "telegram:-1001".into(),
        text: "<b>hi</b>".into(),
        options: SendOptions {
            format: Some(TextFormat::Html),
            keyboard: Some(kb()),
            silent: true,
            no_link_preview: true,
        },
    });
    assert_eq!(call.method, "sendMessage");
    assert_eq!(url_method(&call), "sendMessage");
    assert_eq!(call.request.url, "http://sim/bot123:SECRET/sendMessage");
    assert_eq!(call.chat_id, Some(-1001));
    assert!(call.counts_as_send);
    assert_eq!(
        body(&call),
        json!({
            "chat_id": -1001,
            "text": "<b>hi</b>",
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": true},
            "disable_notification": true,
            "reply_markup": {"inline_keyboard": [[
                {"text": "Yes", "callback_data": "vote:yes"},
                {"text": "Site", "url": "https://x.org"}
            ]]}
        })
    );

    for (format, mode) in [
        (TextFormat::MarkdownV2, Some("MarkdownV2")),
        (TextFormat::Markdown, Some("Markdown")),
        (TextFormat::Plain, None),
    ] {
        let call = tr(&Action::Send {
            chat: "telegram:1".into(),
            text: "x".into(),
            options: SendOptions {
                format: Some(format),
                ..SendOptions::default()
            },
        });
        assert_eq!(body(&call).get("parse_mode").and_then(Value::as_str), mode);
    }

    // A channel by username.
    let call = tr(&Action::Send {
        chat: "telegram:@news".into(),
        text: "x".into(),
        options: SendOptions::default(),
    });
    assert_eq!(body(&call), json!({"chat_id": "@news", "text": "x"}));
    assert_eq!(call.chat_id, None);
}

#[test]
fn reply_edit_keyboard_delete_react_forward() {
    let m = MessageKey::in_chat("telegram:42", 7);
    let inline = MessageKey::Inline {
        platform: Platform::Telegram,
        inline_id: "IM".into(),
    };

    let call = tr(&Action::Reply {
        to: m.clone(),
        text: "re".into(),
        options: SendOptions::default(),
    });
    assert_eq!(url_method(&call), "sendMessage");
    assert_eq!(
        body(&call),
        json!({"chat_id": 42, "text": "re", "reply_parameters": {"message_id": 7}})
    );
    assert!(call.counts_as_send);

    let call = tr(&Action::Edit {
        message: m.clone(),
        text: "new".into(),
        options: SendOptions {
            format: Some(TextFormat::MarkdownV2),
            keyboard: Some(kb()),
            ..SendOptions::default()
        },
    });
    assert_eq!(url_method(&call), "editMessageText");
    let b = body(&call);
    assert_eq!(b["chat_id"], 42);
    assert_eq!(b["message_id"], 7);
    assert_eq!(b["text"], "new");
    assert_eq!(b["parse_mode"], "MarkdownV2");
    assert_eq!(
        b["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
        "vote:yes"
    );
    assert!(!call.counts_as_send);
    assert_eq!(call.chat_id, Some(42));

    let call = tr(&Action::Edit {
        message: inline.clone(),
        text: "new".into(),
        options: SendOptions::default(),
    });
    assert_eq!(
        body(&call),
        json!({"inline_message_id": "IM", "text": "new"})
    );
    assert_eq!(call.chat_id, None);

    let call = tr(&Action::EditKeyboard {
        message: m.clone(),
        keyboard: Some(kb()),
    });
    assert_eq!(url_method(&call), "editMessageReplyMarkup");
    assert_eq!(
        body(&call)["reply_markup"]["inline_keyboard"][0][1]["url"],
        "https://x.org"
    );
    let call = tr(&Action::EditKeyboard {
        message: inline.clone(),
        keyboard: None,
    });
    assert_eq!(body(&call), json!({"inline_message_id": "IM"}));

    let call = tr(&Action::Delete { message: m.clone() });
    assert_eq!(url_method(&call), "deleteMessage");
    assert_eq!(body(&call), json!({"chat_id": 42, "message_id": 7}));

    let call = tr(&Action::React {
        message: m.clone(),
        emoji: Some("👍".into()),
    });
    assert_eq!(url_method(&call), "setMessageReaction");
    assert_eq!(
        body(&call),
        json!({"chat_id": 42, "message_id": 7, "reaction": [{"type": "emoji", "emoji": "👍"}]})
    );
    let call = tr(&Action::React {
        message: m.clone(),
        emoji: None,
    });
    assert_eq!(body(&call)["reaction"], json!([]));

    let call = tr(&Action::Forward {
        message: m.clone(),
        to: "telegram:-1002".into(),
    });
    assert_eq!(url_method(&call), "forwardMessage");
    assert_eq!(
        body(&call),
        json!({"chat_id": -1002, "from_chat_id": 42, "message_id": 7})
    );
    assert_eq!(call.chat_id, Some(-1002));
    assert!(call.counts_as_send);
}

#[test]
fn answers() {
    let call = tr(&Action::AnswerButton {
        query_id: "cq".into(),
        text: Some("done".into()),
        alert: true,
    });
    assert_eq!(url_method(&call), "answerCallbackQuery");
    assert_eq!(
        body(&call),
        json!({"callback_query_id": "cq", "text": "done", "show_alert": true})
    );
    assert_eq!(call.chat_id, None);
    let call = tr(&Action::AnswerButton {
        query_id: "cq".into(),
        text: None,
        alert: false,
    });
    assert_eq!(body(&call), json!({"callback_query_id": "cq"}));

    let results = json!([{"type": "article", "id": "1", "title": "Cats",
        "input_message_content": {"message_text": "meow"}}]);
    let call = tr(&Action::AnswerInline {
        query_id: "iq".into(),
        results: results.clone(),
        cache_time: Some(30),
    });
    assert_eq!(url_method(&call), "answerInlineQuery");
    assert_eq!(
        body(&call),
        json!({"inline_query_id": "iq", "results": results, "cache_time": 30})
    );

    let err = translate(
        &api(),
        &Action::AnswerInline {
            query_id: "iq".into(),
            results: json!({"not": "an array"}),
            cache_time: None,
        },
    )
    .unwrap_err();
    assert!(matches!(err, ActionError::Encode(_)), "{err:?}");
    let err = translate(
        &api(),
        &Action::AnswerInline {
            query_id: "iq".into(),
            results: json!([{"type": "article", "id": "1"}]),
            cache_time: None,
        },
    )
    .unwrap_err();
    assert!(matches!(err, ActionError::Encode(_)), "{err:?}");
}

fn file() -> FileUpload {
    FileUpload {
        name: "report.pdf".into(),
        mime: Some("application/pdf".into()),
        bytes: b"%PDF-1.7 bytes".to_vec(),
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn uploads_are_multipart() {
    for (kind, method, part) in [
        (FileKind::Document, "sendDocument", "document"),
        (FileKind::Photo, "sendPhoto", "photo"),
        (FileKind::Video, "sendVideo", "video"),
        (FileKind::Audio, "sendAudio", "audio"),
        (FileKind::Voice, "sendVoice", "voice"),
    ] {
        let call = tr(&Action::Upload {
            chat: "telegram:42".into(),
            file: file(),
            kind,
            caption: Some("the caption".into()),
        });
        assert_eq!(call.method, method);
        assert_eq!(url_method(&call), method);
        assert!(call.counts_as_send);
        assert_eq!(call.chat_id, Some(42));
        let ctype = call.request.header("Content-Type").unwrap();
        assert!(
            ctype.starts_with("multipart/form-data; boundary="),
            "{ctype}"
        );
        let b = &call.request.body;
        assert!(contains(
            b,
            format!("name=\"{part}\"; filename=\"report.pdf\"\r\nContent-Type: application/pdf")
                .as_bytes()
        ));
        assert!(contains(b, b"%PDF-1.7 bytes"));
        assert!(contains(b, b"the caption"));
        assert!(contains(b, b"name=\"chat_id\"\r\n\r\n42\r\n"));
    }
}

#[test]
fn chat_administration() {
    let call = tr(&Action::Typing {
        chat: "telegram:42".into(),
    });
    assert_eq!(url_method(&call), "sendChatAction");
    assert_eq!(body(&call), json!({"chat_id": 42, "action": "typing"}));
    assert!(!call.counts_as_send);

    let m = MessageKey::in_chat("telegram:-1001", 9);
    let call = tr(&Action::Pin { message: m.clone() });
    assert_eq!(url_method(&call), "pinChatMessage");
    assert_eq!(body(&call), json!({"chat_id": -1001, "message_id": 9}));
    let call = tr(&Action::Unpin { message: m });
    assert_eq!(url_method(&call), "unpinChatMessage");
    assert_eq!(body(&call), json!({"chat_id": -1001, "message_id": 9}));

    let call = tr(&Action::Ban {
        chat: "telegram:-1001".into(),
        user: "telegram:5".into(),
        until: Some(1_800_000_000),
    });
    assert_eq!(url_method(&call), "banChatMember");
    assert_eq!(
        body(&call),
        json!({"chat_id": -1001, "user_id": 5, "until_date": 1_800_000_000})
    );
    let call = tr(&Action::Ban {
        chat: "telegram:-1001".into(),
        user: "telegram:5".into(),
        until: None,
    });
    assert_eq!(body(&call), json!({"chat_id": -1001, "user_id": 5}));

    let call = tr(&Action::Unban {
        chat: "telegram:-1001".into(),
        user: "telegram:5".into(),
    });
    assert_eq!(url_method(&call), "unbanChatMember");
    assert_eq!(
        body(&call),
        json!({"chat_id": -1001, "user_id": 5, "only_if_banned": true})
    );

    let call = tr(&Action::SetTitle {
        chat: "telegram:-1001".into(),
        title: "T".into(),
    });
    assert_eq!(url_method(&call), "setChatTitle");
    assert_eq!(body(&call), json!({"chat_id": -1001, "title": "T"}));
    let call = tr(&Action::SetDescription {
        chat: "telegram:-1001".into(),
        description: "D".into(),
    });
    assert_eq!(url_method(&call), "setChatDescription");
    assert_eq!(body(&call), json!({"chat_id": -1001, "description": "D"}));
    let call = tr(&Action::Leave {
        chat: "telegram:-1001".into(),
    });
    assert_eq!(url_method(&call), "leaveChat");
    assert_eq!(body(&call), json!({"chat_id": -1001}));
}

#[test]
fn kick_removes_without_banning() {
    // Supergroups and channels: one unbanChatMember without only_if_banned.
    let call = tr(&Action::Kick {
        chat: "telegram:-1001234567890".into(),
        user: "telegram:5".into(),
    });
    assert_eq!(call.method, "unbanChatMember");
    assert_eq!(
        body(&call),
        json!({"chat_id": -1001234567890_i64, "user_id": 5})
    );
    assert!(!call.counts_as_send);

    // Basic groups have no ban list: banChatMember only removes.
    let call = tr(&Action::Kick {
        chat: "telegram:-4123456".into(),
        user: "telegram:5".into(),
    });
    assert_eq!(call.method, "banChatMember");
    assert_eq!(body(&call), json!({"chat_id": -4123456, "user_id": 5}));
}

#[test]
fn calls_by_name() {
    let call = tr(&Action::Call {
        platform: Platform::Telegram,
        method: "sendDice".into(),
        args: json!({"chat_id": 42, "emoji": "🎲"}),
    });
    assert_eq!(call.method, "sendDice");
    assert_eq!(url_method(&call), "sendDice");
    assert_eq!(body(&call), json!({"chat_id": 42, "emoji": "🎲"}));
    assert_eq!(call.chat_id, Some(42));
    assert!(call.counts_as_send);

    // Case-insensitive names resolve to the spec's spelling; null args are no args.
    let call = tr(&Action::Call {
        platform: Platform::Telegram,
        method: "getme".into(),
        args: Value::Null,
    });
    assert_eq!(call.method, "getMe");
    assert_eq!(call.chat_id, None);
    assert!(!call.counts_as_send);

    let call = tr(&Action::Call {
        platform: Platform::Telegram,
        method: "sendChatAction".into(),
        args: json!({"chat_id": "42", "action": "typing"}),
    });
    assert_eq!(call.chat_id, Some(42));
    assert!(!call.counts_as_send);

    let err = translate(
        &api(),
        &Action::Call {
            platform: Platform::Telegram,
            method: "noSuchMethod".into(),
            args: json!({}),
        },
    )
    .unwrap_err();
    assert!(
        matches!(err, ActionError::Encode(ref m) if m.contains("noSuchMethod")),
        "{err:?}"
    );

    let err = translate(
        &api(),
        &Action::Call {
            platform: Platform::Telegram,
            method: "sendMessage".into(),
            args: json!({"chat_id": 42}),
        },
    )
    .unwrap_err();
    assert!(matches!(err, ActionError::Encode(_)), "{err:?}");

    let err = translate(
        &api(),
        &Action::Call {
            platform: Platform::Stream,
            method: "sendMessage".into(),
            args: json!({}),
        },
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            ActionError::NotSupported {
                platform: Platform::Telegram,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn bad_keys_and_unsupported_targets() {
    let bad = |action: Action| match translate(&api(), &action) {
        Err(ActionError::BadKey { platform, key }) => {
            assert_eq!(platform, Platform::Telegram);
            key
        }
        other => panic!("{action:?} gave {other:?}"),
    };
    let send = |chat: &str| Action::Send {
        chat: chat.into(),
        text: "x".into(),
        options: SendOptions::default(),
    };
    assert_eq!(bad(send("stream:42")), "stream:42");
    assert_eq!(bad(send("42")), "42");
    assert_eq!(bad(send("telegram:abc")), "telegram:abc");
    assert_eq!(bad(send("telegram:@")), "telegram:@");
    assert_eq!(bad(send("telegram:")), "telegram:");
    assert_eq!(
        bad(Action::Ban {
            chat: "telegram:-1001".into(),
            user: "telegram:@someone".into(),
            until: None,
        }),
        "telegram:@someone"
    );
    assert_eq!(
        bad(Action::Kick {
            chat: "telegram:-1001".into(),
            user: "teamwire:5".into(),
        }),
        "teamwire:5"
    );
    assert_eq!(
        bad(Action::Delete {
            message: MessageKey::in_chat("telegram:42", "x7"),
        }),
        "x7"
    );
    assert_eq!(
        bad(Action::Edit {
            message: MessageKey::Inline {
                platform: Platform::Stream,
                inline_id: "IM".into()
            },
            text: "x".into(),
            options: SendOptions::default(),
        }),
        "IM"
    );

    // Inline messages cannot be replied to, deleted, reacted to, forwarded or pinned.
    let inline = MessageKey::Inline {
        platform: Platform::Telegram,
        inline_id: "IM".into(),
    };
    for action in [
        Action::Reply {
            to: inline.clone(),
            text: "x".into(),
            options: SendOptions::default(),
        },
        Action::Delete {
            message: inline.clone(),
        },
        Action::React {
            message: inline.clone(),
            emoji: None,
        },
        Action::Forward {
            message: inline.clone(),
            to: "telegram:1".into(),
        },
        Action::Pin {
            message: inline.clone(),
        },
        Action::Unpin {
            message: inline.clone(),
        },
    ] {
        let err = translate(&api(), &action).unwrap_err();
        assert!(
            matches!(err, ActionError::NotSupported { .. }),
            "{action:?}: {err:?}"
        );
    }

    // A button needs exactly one of data and url.
    for button in [
        Button {
            text: "neither".into(),
            data: None,
            url: None,
        },
        Button {
            text: "both".into(),
            data: Some("d".into()),
            url: Some("https://x.org".into()),
        },
    ] {
        let err = translate(
            &api(),
            &Action::Send {
                chat: "telegram:1".into(),
                text: "x".into(),
                options: SendOptions {
                    keyboard: Some(vec![vec![button]]),
                    ..SendOptions::default()
                },
            },
        )
        .unwrap_err();
        assert!(matches!(err, ActionError::Encode(_)), "{err:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Capabilities
// ---------------------------------------------------------------------------------------------

/// One valid action of every kind.
fn sample_action(kind: ActionKind) -> Action {
    let chat = || "telegram:-1001".to_owned();
    let user = || "telegram:5".to_owned();
    let m = || MessageKey::in_chat("telegram:-1001", 3);
    match kind {
        ActionKind::Send => Action::Send {
            chat: chat(),
            text: "x".into(),
            options: SendOptions::default(),
        },
        ActionKind::Reply => Action::Reply {
            to: m(),
            text: "x".into(),
            options: SendOptions::default(),
        },
        ActionKind::Edit => Action::Edit {
            message: m(),
            text: "x".into(),
            options: SendOptions::default(),
        },
        ActionKind::EditKeyboard => Action::EditKeyboard {
            message: m(),
            keyboard: None,
        },
        ActionKind::Delete => Action::Delete { message: m() },
        ActionKind::React => Action::React {
            message: m(),
            emoji: Some("👍".into()),
        },
        ActionKind::Forward => Action::Forward {
            message: m(),
            to: chat(),
        },
        ActionKind::AnswerButton => Action::AnswerButton {
            query_id: "q".into(),
            text: None,
            alert: false,
        },
        ActionKind::AnswerInline => Action::AnswerInline {
            query_id: "q".into(),
            results: json!([]),
            cache_time: None,
        },
        ActionKind::Upload => Action::Upload {
            chat: chat(),
            file: file(),
            kind: FileKind::Document,
            caption: None,
        },
        ActionKind::Typing => Action::Typing { chat: chat() },
        ActionKind::Pin => Action::Pin { message: m() },
        ActionKind::Unpin => Action::Unpin { message: m() },
        ActionKind::Kick => Action::Kick {
            chat: chat(),
            user: user(),
        },
        ActionKind::Ban => Action::Ban {
            chat: chat(),
            user: user(),
            until: None,
        },
        ActionKind::Unban => Action::Unban {
            chat: chat(),
            user: user(),
        },
        ActionKind::SetTitle => Action::SetTitle {
            chat: chat(),
            title: "t".into(),
        },
        ActionKind::SetDescription => Action::SetDescription {
            chat: chat(),
            description: "d".into(),
        },
        ActionKind::Leave => Action::Leave { chat: chat() },
        ActionKind::Call => Action::Call {
            platform: Platform::Telegram,
            method: "getMe".into(),
            args: json!({}),
        },
        other => panic!("no sample for {other:?}"),
    }
}

#[test]
fn the_capability_table_covers_every_kind_once() {
    assert_eq!(CAPABILITIES.platform, Platform::Telegram);
    assert_eq!(CAPABILITIES.actions.len(), ActionKind::ALL.len());
    for kind in ActionKind::ALL {
        let rows = CAPABILITIES
            .actions
            .iter()
            .filter(|c| c.name == kind.as_str())
            .count();
        assert_eq!(rows, 1, "{kind:?}");
    }
    assert_eq!(CAPABILITIES.events.len(), EventKind::ALL.len());
    for kind in EventKind::ALL {
        let rows = CAPABILITIES
            .events
            .iter()
            .filter(|c| c.name == kind.as_str())
            .count();
        assert_eq!(rows, 1, "{kind:?}");
    }
    for row in CAPABILITIES.actions.iter().chain(CAPABILITIES.events) {
        assert!(!row.note.is_empty(), "{}", row.name);
    }
    assert!(!CAPABILITIES.delivers(EventKind::UploadProgress));
    assert!(CAPABILITIES.delivers(EventKind::DeletedMessage));
    assert!(CAPABILITIES.delivers(EventKind::ButtonPress));
    let json: Value = serde_json::from_str(&CAPABILITIES.to_json()).unwrap();
    assert_eq!(json["platform"], "telegram");
}

#[test]
fn supported_actions_translate_and_unsupported_ones_do_not() {
    for kind in ActionKind::ALL {
        let action = sample_action(kind);
        assert_eq!(action.kind(), kind);
        let result = translate(&api(), &action);
        if CAPABILITIES.supports(kind) {
            let call = result.unwrap_or_else(|e| panic!("{kind:?}: {e}"));
            assert_eq!(url_method(&call), call.method);
            assert_eq!(call.counts_as_send, action.is_send(), "{kind:?}");
        } else {
            assert!(
                matches!(result, Err(ActionError::NotSupported { .. })),
                "{kind:?}: {result:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

#[test]
fn sender_builds_send_actions() {
    let s = Sender::new("telegram:42");
    assert_eq!(s.chat(), "telegram:42");
    assert_eq!(
        s.send_text("hi"),
        Action::Send {
            chat: "telegram:42".into(),
            text: "hi".into(),
            options: SendOptions::default()
        }
    );
    let silent = SendOptions {
        silent: true,
        ..SendOptions::default()
    };
    assert_eq!(
        s.send("hi", silent.clone()),
        Action::Send {
            chat: "telegram:42".into(),
            text: "hi".into(),
            options: silent.clone()
        }
    );
    assert_eq!(
        s.reply(7, "re"),
        Action::Reply {
            to: MessageKey::in_chat("telegram:42", 7),
            text: "re".into(),
            options: SendOptions::default()
        }
    );
    assert_eq!(
        body(&tr(&s.reply_with(7, "re", silent)))["disable_notification"],
        true
    );
    let other = MessageKey::in_chat("telegram:-1001", 3);
    assert_eq!(
        s.forward(other.clone()),
        Action::Forward {
            message: other,
            to: "telegram:42".into()
        }
    );
    for (action, method) in [
        (s.send_document(file(), Some("c")), "sendDocument"),
        (s.send_photo(file(), None), "sendPhoto"),
        (s.send_video(file(), None), "sendVideo"),
        (s.send_audio(file(), None), "sendAudio"),
        (s.send_voice(file(), None), "sendVoice"),
        (s.upload(file(), FileKind::Photo, None), "sendPhoto"),
        (s.typing(), "sendChatAction"),
        (s.send_text("x"), "sendMessage"),
    ] {
        assert_eq!(tr(&action).method, method);
    }
    assert!(matches!(
        s.send_document(file(), Some("c")),
        Action::Upload { kind: FileKind::Document, caption: Some(ref c), .. } if c == "c"
    ));

    let dice = s.call("sendDice", json!({"emoji": "🎯", "chat_id": 1}));
    assert_eq!(
        dice,
        Action::Call {
            platform: Platform::Telegram,
            method: "sendDice".into(),
            args: json!({"emoji": "🎯", "chat_id": 42})
        }
    );
    assert_eq!(body(&tr(&dice)), json!({"chat_id": 42, "emoji": "🎯"}));

    // A channel username stays text; null arguments become an object.
    let call = Sender::new("telegram:@news").call("sendLocation", Value::Null);
    assert!(matches!(&call, Action::Call { args, .. } if *args == json!({"chat_id": "@news"})));
}

#[test]
fn helpers_from_events() {
    let e = event(&format!(
        r#"{{"update_id":40,"message":{}}}"#,
        msg(r#","text":"hi""#)
    ));
    assert_eq!(Sender::from_event(&e).unwrap().chat(), "telegram:-1001");
    assert_eq!(
        Administrator::from_event(&e).unwrap().chat(),
        "telegram:-1001"
    );
    assert_eq!(
        Editor::from_event(&e).unwrap().message(),
        &MessageKey::in_chat("telegram:-1001", 16)
    );

    let e = event(&format!(
        r#"{{"update_id":41,"inline_query":{{"id":"iq","from":{FROM},"query":"q","offset":""}}}}"#
    ));
    assert_eq!(Sender::from_event(&e), None);
    assert_eq!(Editor::from_event(&e), None);

    let e = event(&format!(
        r#"{{"update_id":42,"callback_query":{{"id":"cq","from":{FROM},"inline_message_id":"AAQ","chat_instance":"-5","data":"y"}}}}"#
    ));
    let editor = Editor::from_event(&e).unwrap();
    let call = tr(&editor.edit_text("pressed"));
    assert_eq!(
        body(&call),
        json!({"inline_message_id": "AAQ", "text": "pressed"})
    );
}

#[test]
fn administrator_builds_admin_actions() {
    let a = Administrator::new("telegram:-1001");
    assert_eq!(
        a.kick("telegram:5"),
        Action::Kick {
            chat: "telegram:-1001".into(),
            user: "telegram:5".into()
        }
    );
    assert_eq!(
        a.ban("telegram:5", Some(99)),
        Action::Ban {
            chat: "telegram:-1001".into(),
            user: "telegram:5".into(),
            until: Some(99)
        }
    );
    assert_eq!(
        a.unban("telegram:5"),
        Action::Unban {
            chat: "telegram:-1001".into(),
            user: "telegram:5".into()
        }
    );
    assert_eq!(
        a.set_title("T"),
        Action::SetTitle {
            chat: "telegram:-1001".into(),
            title: "T".into()
        }
    );
    assert_eq!(
        a.set_description("D"),
        Action::SetDescription {
            chat: "telegram:-1001".into(),
            description: "D".into()
        }
    );
    assert_eq!(
        a.pin(9),
        Action::Pin {
            message: MessageKey::in_chat("telegram:-1001", 9)
        }
    );
    assert_eq!(
        a.unpin(9),
        Action::Unpin {
            message: MessageKey::in_chat("telegram:-1001", 9)
        }
    );
    assert_eq!(
        a.leave(),
        Action::Leave {
            chat: "telegram:-1001".into()
        }
    );

    let perms = json!({"can_send_messages": false});
    let cases: Vec<(Action, &str, Value)> = vec![
        (
            a.restrict("telegram:5", perms.clone(), Some(1_800_000_000)),
            "restrictChatMember",
            json!({"chat_id": -1001, "user_id": 5, "permissions": perms, "until_date": 1_800_000_000}),
        ),
        (
            a.restrict("telegram:5", perms.clone(), None),
            "restrictChatMember",
            json!({"chat_id": -1001, "user_id": 5, "permissions": perms}),
        ),
        (
            a.promote("telegram:5", json!({"can_pin_messages": true})),
            "promoteChatMember",
            json!({"chat_id": -1001, "user_id": 5, "can_pin_messages": true}),
        ),
        (
            a.set_permissions(perms.clone()),
            "setChatPermissions",
            json!({"chat_id": -1001, "permissions": perms}),
        ),
        (
            a.export_invite_link(),
            "exportChatInviteLink",
            json!({"chat_id": -1001}),
        ),
        (
            a.delete_photo(),
            "deleteChatPhoto",
            json!({"chat_id": -1001}),
        ),
        (a.get_chat(), "getChat", json!({"chat_id": -1001})),
        (
            a.get_administrators(),
            "getChatAdministrators",
            json!({"chat_id": -1001}),
        ),
        (
            a.get_member_count(),
            "getChatMemberCount",
            json!({"chat_id": -1001}),
        ),
        (
            a.get_member("telegram:5"),
            "getChatMember",
            json!({"chat_id": -1001, "user_id": 5}),
        ),
        (
            a.unpin_all(),
            "unpinAllChatMessages",
            json!({"chat_id": -1001}),
        ),
        (
            a.call("setChatStickerSet", json!({"sticker_set_name": "s"})),
            "setChatStickerSet",
            json!({"chat_id": -1001, "sticker_set_name": "s"}),
        ),
    ];
    for (action, method, expected) in cases {
        assert!(
            matches!(&action, Action::Call { method: m, .. } if m == method),
            "{action:?}"
        );
        let call = tr(&action);
        assert_eq!(call.method, method);
        assert_eq!(body(&call), expected, "{method}");
        assert_eq!(call.chat_id, Some(-1001));
    }
    for action in [
        a.kick("telegram:5"),
        a.ban("telegram:5", None),
        a.unban("telegram:5"),
        a.set_title("T"),
        a.set_description("D"),
        a.pin(9),
        a.unpin(9),
        a.leave(),
    ] {
        assert_eq!(tr(&action).chat_id, Some(-1001));
    }

    // The chat photo travels as an upload.
    let call = tr(&a.set_photo(&FileUpload {
        name: "logo.png".into(),
        mime: Some("image/png".into()),
        bytes: b"\x89PNG data".to_vec(),
    }));
    assert_eq!(call.method, "setChatPhoto");
    assert!(call
        .request
        .header("Content-Type")
        .unwrap()
        .starts_with("multipart/form-data"));
    assert!(contains(
        &call.request.body,
        b"name=\"photo\"; filename=\"logo.png\"\r\nContent-Type: image/png"
    ));
    assert!(contains(&call.request.body, b"\x89PNG data"));

    // A user key that is not numeric reaches the method as text and fails there.
    let err = translate(&api(), &a.get_member("telegram:@x")).unwrap_err();
    assert!(matches!(err, ActionError::Encode(_)), "{err:?}");
}

#[test]
fn editor_builds_edit_actions() {
    let key = MessageKey::in_chat("telegram:42", 7);
    let e = Editor::new(key.clone());
    assert_eq!(
        e.edit_text("t"),
        Action::Edit {
            message: key.clone(),
            text: "t".into(),
            options: SendOptions::default()
        }
    );
    let html = SendOptions {
        format: Some(TextFormat::Html),
        ..SendOptions::default()
    };
    assert_eq!(
        body(&tr(&e.edit_text_with("<i>t</i>", html)))["parse_mode"],
        "HTML"
    );
    assert_eq!(
        e.edit_keyboard(None),
        Action::EditKeyboard {
            message: key.clone(),
            keyboard: None
        }
    );
    assert_eq!(
        e.delete(),
        Action::Delete {
            message: key.clone()
        }
    );
    assert_eq!(
        e.react("🔥"),
        Action::React {
            message: key.clone(),
            emoji: Some("🔥".into())
        }
    );
    assert_eq!(
        e.remove_reaction(),
        Action::React {
            message: key.clone(),
            emoji: None
        }
    );

    let call = tr(&e.edit_caption("cap"));
    assert_eq!(call.method, "editMessageCaption");
    assert_eq!(
        body(&call),
        json!({"chat_id": 42, "message_id": 7, "caption": "cap"})
    );
    assert_eq!(call.chat_id, Some(42));

    let inline = Editor::new(MessageKey::Inline {
        platform: Platform::Telegram,
        inline_id: "IM".into(),
    });
    let call = tr(&inline.edit_caption("cap"));
    assert_eq!(
        body(&call),
        json!({"inline_message_id": "IM", "caption": "cap"})
    );
    let call = tr(&inline.call("stopMessageLiveLocation", Value::Null));
    assert_eq!(call.method, "stopMessageLiveLocation");
    assert_eq!(body(&call), json!({"inline_message_id": "IM"}));

    for (action, method) in [
        (e.edit_text("t"), "editMessageText"),
        (e.edit_keyboard(Some(kb())), "editMessageReplyMarkup"),
        (e.delete(), "deleteMessage"),
        (e.react("🔥"), "setMessageReaction"),
    ] {
        assert_eq!(tr(&action).method, method);
    }
}
