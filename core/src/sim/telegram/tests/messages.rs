//! Bot methods: sending, editing, deleting, answering queries, and their error shapes.

use serde_json::{json, Value};

use super::{raw_request, url, Harness, ANA, BO, GROUP, TOKEN};
use crate::io::{HttpMethod, HttpRequest};
use crate::sim::telegram::{SimChat, SimConfig, SimUser, TranscriptAction};

#[test]
fn get_me_describes_the_bot() {
    let mut h = Harness::new();
    assert_eq!(
        h.ok(0, "getMe", json!({})),
        json!({
            "id": 123456, "is_bot": true, "first_name": "botwire", "username": "botwire_bot",
            "can_join_groups": true, "can_read_all_group_messages": true,
            "supports_inline_queries": true, "can_connect_to_business": false, "has_main_web_app": false,
        })
    );
    // Method names are case-insensitive, GET works, any base path works.
    let get = HttpRequest {
        method: HttpMethod::Get,
        url: format!("http://127.0.0.1:1/some/prefix/bot{TOKEN}/GETME"),
        headers: vec![],
        body: vec![],
        timeout_ms: None,
    };
    assert_eq!(h.call_raw(0, &get).0, 200);
    let other = SimConfig::with_token("777:abc");
    assert_eq!(other.bot.id, 777);
}

#[test]
fn wrong_tokens_and_unknown_methods() {
    let mut h = Harness::new();
    let wrong = raw_request(
        "https://api.telegram.org/bot123456:WRONG/getMe",
        "application/json",
        b"{}",
    );
    assert_eq!(
        h.call_raw(0, &wrong),
        (
            401,
            json!({"ok": false, "error_code": 401, "description": "Unauthorized"})
        )
    );
    let malformed = raw_request("https://api.telegram.org/botnocolon/getMe", "", b"");
    assert_eq!(h.call_raw(0, &malformed).0, 404);
    assert_eq!(
        h.call(0, "sendTelepathy", json!({})),
        (
            404,
            json!({"ok": false, "error_code": 404, "description": "Not Found"})
        )
    );
    for path in [
        "https://api.telegram.org/",
        "https://api.telegram.org/getMe",
        "",
        "bot",
        "/bot/x/y",
    ] {
        assert_eq!(h.call_raw(0, &raw_request(path, "", b"")).0, 404, "{path}");
    }
}

#[test]
fn send_message_returns_the_message_and_records_it() {
    let mut h = Harness::new();
    h.started_chat(0, ANA);
    let markup = json!({"inline_keyboard": [[{"text": "Open", "url": "https://example.org"}]]});
    let message = h.ok(
        2_500,
        "sendMessage",
        json!({"chat_id": ANA, "text": "Hello \u{1F44B}", "reply_markup": markup}),
    );
    assert_eq!(message["message_id"], 2);
    assert_eq!(message["from"]["id"], 123456);
    assert_eq!(message["from"]["is_bot"], true);
    assert_eq!(message["chat"]["id"], ANA);
    assert_eq!(message["date"], 1_780_000_002);
    assert_eq!(message["text"], "Hello \u{1F44B}");
    assert_eq!(message["reply_markup"], markup);
    let entry = &h.sim.transcript()[0];
    assert_eq!(entry.action, TranscriptAction::Sent);
    assert_eq!(entry.method, "sendMessage");
    assert_eq!((entry.chat_id, entry.message_id), (Some(ANA), Some(2)));
    assert_eq!(entry.text.as_deref(), Some("Hello \u{1F44B}"));
    assert_eq!(entry.reply_markup.as_ref(), Some(&markup));
    assert_eq!(entry.at, 2_500);
    assert_eq!(h.sim.message(ANA, 2), Some(&message));
    // A reply keyboard is kept in the transcript but is not part of the Message.
    let keyboard = json!({"keyboard": [["Yes", {"text": "No"}]], "one_time_keyboard": true});
    let message = h.ok(
        5_000,
        "sendMessage",
        json!({"chat_id": ANA.to_string(), "text": "?", "reply_markup": keyboard.to_string()}),
    );
    assert!(message.get("reply_markup").is_none());
    assert_eq!(h.sim.transcript()[1].reply_markup.as_ref(), Some(&keyboard));
}

#[test]
fn chats_the_bot_cannot_write_to() {
    let mut h = Harness::new();
    assert_eq!(
        h.err(0, "sendMessage", json!({"chat_id": 99, "text": "x"})),
        (400, "Bad Request: chat not found".into())
    );
    assert_eq!(
        h.err(0, "sendMessage", json!({"text": "x"})),
        (400, "Bad Request: chat_id is empty".into())
    );
    assert_eq!(
        h.err(0, "sendMessage", json!({"chat_id": "@nobody", "text": "x"})),
        (400, "Bad Request: chat not found".into())
    );
    h.sim
        .add_user(SimUser::new(BO, "Bo").with_username("bo_the_user"));
    assert_eq!(
        h.err(0, "sendMessage", json!({"chat_id": BO, "text": "x"})),
        (
            403,
            "Forbidden: bot can't initiate conversation with a user".into()
        )
    );
    h.started_chat(0, ANA);
    h.sim.user_blocks_bot(1_000, ANA).unwrap();
    assert_eq!(
        h.err(2_000, "sendMessage", json!({"chat_id": ANA, "text": "x"})),
        (403, "Forbidden: bot was blocked by the user".into())
    );
    let update = &h.ok(2_000, "getUpdates", json!({}))[0];
    assert_eq!(
        update["my_chat_member"]["new_chat_member"]["status"],
        "kicked"
    );
    assert_eq!(
        update["my_chat_member"]["new_chat_member"]["user"]["id"],
        123456
    );
    h.sim.user_unblocks_bot(3_000, ANA).unwrap();
    h.ok(
        3_000,
        "sendMessage",
        json!({"chat_id": ANA, "text": "welcome back"}),
    );
    h.sim.user_sends_text(3_000, BO, GROUP, "hi all").unwrap();
    h.sim.bot_removed_from_chat(3_000, BO, GROUP).unwrap();
    assert_eq!(
        h.err(4_000, "sendMessage", json!({"chat_id": GROUP, "text": "x"})),
        (
            403,
            "Forbidden: bot was kicked from the supergroup chat".into()
        )
    );
    h.sim.bot_added_to_chat(5_000, BO, GROUP).unwrap();
    h.ok(
        5_000,
        "sendMessage",
        json!({"chat_id": GROUP, "text": "back"}),
    );
    // Usernames resolve for users and public chats.
    h.sim.user_sends_text(6_000, BO, BO, "/start").unwrap();
    h.ok(
        6_000,
        "sendMessage",
        json!({"chat_id": "@bo_the_user", "text": "hi"}),
    );
    h.sim
        .add_chat(SimChat::channel(-1_003_000_000_000, "News").with_username("news"));
    assert_eq!(
        h.ok(
            7_000,
            "sendMessage",
            json!({"chat_id": "@news", "text": "post"})
        )["sender_chat"]["title"],
        "News"
    );
}

#[test]
fn text_limits_count_code_points() {
    let mut h = Harness::unlimited();
    h.started_chat(0, ANA);
    for text in [json!(""), json!("   \n "), Value::Null] {
        assert_eq!(
            h.err(0, "sendMessage", json!({"chat_id": ANA, "text": text})),
            (400, "Bad Request: message text is empty".into())
        );
    }
    let longest = "\u{1F600}".repeat(4096);
    h.ok(0, "sendMessage", json!({"chat_id": ANA, "text": longest}));
    assert_eq!(
        h.err(
            0,
            "sendMessage",
            json!({"chat_id": ANA, "text": "a".repeat(4097)})
        ),
        (400, "Bad Request: message is too long".into())
    );
    // Numbers are accepted as text, like the real server does.
    assert_eq!(
        h.ok(0, "sendMessage", json!({"chat_id": ANA, "text": 42}))["text"],
        "42"
    );
    assert_eq!(
        h.err(
            0,
            "sendMessage",
            json!({"chat_id": ANA, "text": "x", "parse_mode": "BBCode"})
        ),
        (400, "Bad Request: unsupported parse_mode \"BBCode\"".into())
    );
    // The default parser applies parse_mode as Telegram does.
    let message = h.ok(
        0,
        "sendMessage",
        json!({"chat_id": ANA, "text": "<b>x</b> &amp; y", "parse_mode": "HTML"}),
    );
    assert_eq!(message["text"], "x & y");
    assert_eq!(
        message["entities"],
        json!([{"type": "bold", "offset": 0, "length": 1}])
    );
    let (status, description) = h.err(
        0,
        "sendMessage",
        json!({"chat_id": ANA, "text": "*unclosed", "parse_mode": "MarkdownV2"}),
    );
    assert_eq!(status, 400);
    assert!(
        description.starts_with("Bad Request: can't parse entities: "),
        "{description}"
    );
    let entities = json!([{"type": "bold", "offset": 0, "length": 1}]);
    let message = h.ok(
        0,
        "sendMessage",
        json!({"chat_id": ANA, "text": "xy", "entities": entities}),
    );
    assert_eq!(message["entities"], entities);
    assert_eq!(
        h.err(
            0,
            "sendMessage",
            json!({"chat_id": ANA, "text": "xy", "entities": [{"type": 1}]})
        )
        .0,
        400
    );
}

fn toy_parser(text: &str, mode: &str) -> Result<(String, Vec<Value>), String> {
    assert_eq!(mode, "HTML");
    match (text.strip_prefix("<b>"), text.ends_with("</b>")) {
        (Some(rest), true) => {
            let inner = rest.trim_end_matches("</b>");
            let length: usize = inner.encode_utf16().count();
            Ok((
                inner.to_owned(),
                vec![json!({"type": "bold", "offset": 0, "length": length})],
            ))
        }
        _ if text.contains('<') => Err("unclosed tag at byte offset 0".into()),
        _ => Ok((text.to_owned(), Vec::new())),
    }
}

#[test]
fn a_plugged_markup_parser_is_used_for_parse_mode() {
    let config = SimConfig {
        markup_parser: Some(toy_parser),
        ..SimConfig::default()
    };
    let mut h = Harness::with_config(config);
    h.started_chat(0, ANA);
    let message = h.ok(
        0,
        "sendMessage",
        json!({"chat_id": ANA, "text": "<b>bold</b>", "parse_mode": "HTML"}),
    );
    assert_eq!(message["text"], "bold");
    assert_eq!(
        message["entities"],
        json!([{"type": "bold", "offset": 0, "length": 4}])
    );
    assert_eq!(
        h.err(
            5_000,
            "sendMessage",
            json!({"chat_id": ANA, "text": "<i>x", "parse_mode": "HTML"})
        ),
        (
            400,
            "Bad Request: can't parse entities: unclosed tag at byte offset 0".into()
        )
    );
}

#[test]
fn keyboards_are_validated() {
    let mut h = Harness::unlimited();
    h.started_chat(0, ANA);
    let button = |data: &str| json!({"inline_keyboard": [[{"text": "b", "callback_data": data}]]});
    h.ok(
        0,
        "sendMessage",
        json!({"chat_id": ANA, "text": "x", "reply_markup": button(&"d".repeat(64))}),
    );
    // 64 bytes is the limit, not 64 characters.
    for data in ["d".repeat(65), "\u{e9}".repeat(33), String::new()] {
        assert_eq!(
            h.err(
                0,
                "sendMessage",
                json!({"chat_id": ANA, "text": "x", "reply_markup": button(&data)})
            ),
            (400, "Bad Request: BUTTON_DATA_INVALID".into())
        );
    }
    for markup in [
        json!({"inline_keyboard": "no"}),
        json!({"inline_keyboard": [["no"]]}),
        json!({"inline_keyboard": [[{"text": "only text"}]]}),
        json!({"inline_keyboard": [[{"callback_data": "x"}]]}),
        json!({"keyboard": [[1]]}),
        json!({"something": true}),
        json!("not json {"),
        json!([1, 2]),
    ] {
        assert_eq!(
            h.err(
                0,
                "sendMessage",
                json!({"chat_id": ANA, "text": "x", "reply_markup": markup})
            )
            .0,
            400,
            "{markup}"
        );
    }
    h.ok(
        0,
        "sendMessage",
        json!({"chat_id": ANA, "text": "x", "reply_markup": {"remove_keyboard": true}}),
    );
    h.ok(
        0,
        "sendMessage",
        json!({"chat_id": ANA, "text": "x", "reply_markup": {"force_reply": true}}),
    );
}

#[test]
fn replies_need_an_existing_message_unless_allowed() {
    let mut h = Harness::unlimited();
    h.started_chat(0, ANA);
    let reply = h.ok(
        0,
        "sendMessage",
        json!({"chat_id": ANA, "text": "re", "reply_parameters": {"message_id": 1}}),
    );
    assert_eq!(reply["reply_to_message"]["text"], "/start");
    assert_eq!(
        h.err(
            0,
            "sendMessage",
            json!({"chat_id": ANA, "text": "re", "reply_to_message_id": 99})
        ),
        (400, "Bad Request: message to be replied not found".into())
    );
    let lenient = h.ok(0, "sendMessage", json!({"chat_id": ANA, "text": "re", "reply_parameters": {"message_id": 99, "allow_sending_without_reply": true}}));
    assert!(lenient.get("reply_to_message").is_none());
}

#[test]
fn edits_follow_telegram_rules() {
    let mut h = Harness::unlimited();
    h.started_chat(0, ANA);
    let id = h.send_with_button(0, ANA, "a");
    let same_markup = json!({"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]});
    assert_eq!(
        h.err(1_000, "editMessageText", json!({"chat_id": ANA, "message_id": id, "text": "Pick", "reply_markup": same_markup})),
        (400, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message".into())
    );
    let edited = h.ok(
        61_000,
        "editMessageText",
        json!({"chat_id": ANA, "message_id": id, "text": "Picked"}),
    );
    assert_eq!(edited["text"], "Picked");
    assert_eq!(edited["edit_date"], 1_780_000_061);
    // Editing the text without reply_markup removed the keyboard.
    assert!(edited.get("reply_markup").is_none());
    let with_markup = h.ok(
        62_000,
        "editMessageReplyMarkup",
        json!({"chat_id": ANA, "message_id": id, "reply_markup": same_markup}),
    );
    assert_eq!(with_markup["reply_markup"], same_markup);
    assert_eq!(
        h.err(62_000, "editMessageReplyMarkup", json!({"chat_id": ANA, "message_id": id, "reply_markup": same_markup})).1,
        "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"
    );
    assert_eq!(
        h.err(
            0,
            "editMessageText",
            json!({"chat_id": ANA, "message_id": 999, "text": "x"})
        ),
        (400, "Bad Request: message to edit not found".into())
    );
    assert_eq!(
        h.err(
            0,
            "editMessageText",
            json!({"chat_id": ANA, "message_id": 1, "text": "x"})
        ),
        (400, "Bad Request: message can't be edited".into())
    );
    assert_eq!(
        h.err(
            0,
            "editMessageCaption",
            json!({"chat_id": ANA, "message_id": id, "caption": "x"})
        ),
        (
            400,
            "Bad Request: there is no caption in the message to edit".into()
        )
    );
    assert_eq!(
        h.err(0, "editMessageText", json!({"text": "x"})),
        (
            400,
            "Bad Request: message identifier is not specified".into()
        )
    );
    assert_eq!(
        h.err(
            0,
            "editMessageText",
            json!({"inline_message_id": "nope", "text": "x"})
        ),
        (400, "Bad Request: MESSAGE_ID_INVALID".into())
    );
    let reply_keyboard = json!({"keyboard": [["a"]]});
    assert_eq!(
        h.err(
            0,
            "editMessageReplyMarkup",
            json!({"chat_id": ANA, "message_id": id, "reply_markup": reply_keyboard})
        )
        .1,
        "Bad Request: inline keyboard expected"
    );
    let actions: Vec<TranscriptAction> = h.sim.transcript().iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        vec![
            TranscriptAction::Sent,
            TranscriptAction::Edited,
            TranscriptAction::Edited
        ]
    );
    assert_eq!(h.sim.transcript()[1].text.as_deref(), Some("Picked"));
}

#[test]
fn delete_message_once() {
    let mut h = Harness::new();
    h.started_chat(0, ANA);
    h.ok(0, "deleteMessage", json!({"chat_id": ANA, "message_id": 1}));
    assert_eq!(
        h.err(0, "deleteMessage", json!({"chat_id": ANA, "message_id": 1})),
        (400, "Bad Request: message to delete not found".into())
    );
    assert_eq!(
        h.err(0, "deleteMessage", json!({"chat_id": ANA})),
        (
            400,
            "Bad Request: parameter \"message_id\" is required".into()
        )
    );
    let entry = &h.sim.transcript()[0];
    assert_eq!(
        (entry.action, entry.message_id),
        (TranscriptAction::Deleted, Some(1))
    );
    assert!(h.sim.message(ANA, 1).is_none());
}

#[test]
fn button_presses_and_callback_answers() {
    let mut h = Harness::new();
    h.started_chat(0, ANA);
    let id = h.send_with_button(0, ANA, "pick:2");
    let press = h
        .sim
        .user_presses_button(10_000, ANA, ANA, id, "pick:2")
        .unwrap();
    let update = &h.ok(10_000, "getUpdates", json!({}))[0];
    let query = &update["callback_query"];
    assert_eq!(query["id"].as_str(), press.query_id.as_deref());
    assert_eq!(query["data"], "pick:2");
    assert_eq!(query["from"]["id"], ANA);
    assert_eq!(query["message"]["message_id"], id);
    assert_eq!(query["message"]["text"], "Pick");
    assert!(query["chat_instance"].as_str().unwrap().starts_with('-'));
    assert!(h
        .sim
        .user_presses_button(0, ANA, ANA, id, "pick:3")
        .is_err());
    assert!(h.sim.user_presses_button(0, ANA, ANA, 1, "pick:2").is_err());
    let query_id = press.query_id.unwrap();
    h.ok(
        11_000,
        "answerCallbackQuery",
        json!({"callback_query_id": query_id, "text": "Done", "show_alert": true}),
    );
    let entry = h.sim.transcript().last().unwrap();
    assert_eq!(
        (entry.action, entry.text.as_deref()),
        (TranscriptAction::Answered, Some("Done"))
    );
    let too_old =
        "Bad Request: query is too old and response timeout expired or query ID is invalid";
    assert_eq!(
        h.err(
            12_000,
            "answerCallbackQuery",
            json!({"callback_query_id": query_id})
        ),
        (400, too_old.into())
    );
    assert_eq!(
        h.err(
            12_000,
            "answerCallbackQuery",
            json!({"callback_query_id": "123"})
        ),
        (400, too_old.into())
    );
    let late = h
        .sim
        .user_presses_button(20_000, ANA, ANA, id, "pick:2")
        .unwrap()
        .query_id
        .unwrap();
    assert_eq!(
        h.err(
            170_000,
            "answerCallbackQuery",
            json!({"callback_query_id": late})
        ),
        (400, too_old.into())
    );
    let in_time = h
        .sim
        .user_presses_button(200_000, ANA, ANA, id, "pick:2")
        .unwrap()
        .query_id
        .unwrap();
    assert_eq!(
        h.err(
            200_100,
            "answerCallbackQuery",
            json!({"callback_query_id": in_time, "text": "x".repeat(201)})
        ),
        (400, "Bad Request: MESSAGE_TOO_LONG".into())
    );
    h.ok(
        349_999,
        "answerCallbackQuery",
        json!({"callback_query_id": in_time}),
    );
}

#[test]
fn inline_queries_answers_and_inline_messages() {
    let mut h = Harness::new();
    let query = h.sim.user_inline_query(0, ANA, "cats", "").unwrap();
    let update = &h.ok(0, "getUpdates", json!({}))[0]["inline_query"];
    assert_eq!(update["query"], "cats");
    assert_eq!(update["chat_type"], "sender");
    let query_id = query.query_id.unwrap();
    let result = |id: &str| json!({"type": "article", "id": id, "title": "t", "input_message_content": {"message_text": "meow"}});
    let too_many: Vec<Value> = (0..51).map(|i| result(&i.to_string())).collect();
    assert_eq!(
        h.err(
            0,
            "answerInlineQuery",
            json!({"inline_query_id": query_id, "results": too_many})
        ),
        (400, "Bad Request: RESULTS_TOO_MUCH".into())
    );
    assert_eq!(
        h.err(
            0,
            "answerInlineQuery",
            json!({"inline_query_id": query_id, "results": [result("a"), result("a")]})
        ),
        (400, "Bad Request: RESULT_ID_DUPLICATE".into())
    );
    assert_eq!(
        h.err(
            0,
            "answerInlineQuery",
            json!({"inline_query_id": query_id, "results": [result(&"x".repeat(65))]})
        ),
        (400, "Bad Request: RESULT_ID_INVALID".into())
    );
    let mut with_keyboard = result("k");
    with_keyboard["reply_markup"] =
        json!({"inline_keyboard": [[{"text": "Like", "callback_data": "like"}]]});
    let fifty: Vec<Value> = (0..49)
        .map(|i| result(&i.to_string()))
        .chain([with_keyboard])
        .collect();
    h.ok(
        1_000,
        "answerInlineQuery",
        json!({"inline_query_id": query_id, "results": fifty, "cache_time": 0}),
    );
    assert_eq!(
        h.sim.transcript()[0].payload["results"]
            .as_array()
            .unwrap()
            .len(),
        50
    );
    let chosen = h
        .sim
        .user_chooses_inline_result(2_000, ANA, &query_id, "k")
        .unwrap();
    let inline_id = chosen.inline_message_id.unwrap();
    let update =
        &h.ok(2_000, "getUpdates", json!({"offset": chosen.update_id}))[0]["chosen_inline_result"];
    assert_eq!(update["inline_message_id"], inline_id.as_str());
    assert!(h
        .sim
        .user_chooses_inline_result(2_000, ANA, &query_id, "missing")
        .is_err());
    assert_eq!(h.ok(3_000, "editMessageText", json!({"inline_message_id": inline_id, "text": "purr", "reply_markup": {"inline_keyboard": [[{"text": "Like", "callback_data": "like"}]]}})), json!(true));
    assert_eq!(
        h.sim.transcript()[1].inline_message_id.as_deref(),
        Some(inline_id.as_str())
    );
    let press = h
        .sim
        .user_presses_inline_button(4_000, BO, &inline_id, "like")
        .unwrap();
    let update =
        &h.ok(4_000, "getUpdates", json!({"offset": press.update_id}))[0]["callback_query"];
    assert_eq!(update["inline_message_id"], inline_id.as_str());
    assert!(update.get("message").is_none());
    // Too old after 30 s, and only one answer.
    let late = h
        .sim
        .user_inline_query(10_000, BO, "dogs", "")
        .unwrap()
        .query_id
        .unwrap();
    let too_old =
        "Bad Request: query is too old and response timeout expired or query ID is invalid";
    assert_eq!(
        h.err(
            40_000,
            "answerInlineQuery",
            json!({"inline_query_id": late, "results": []})
        ),
        (400, too_old.into())
    );
    assert_eq!(
        h.err(
            40_000,
            "answerInlineQuery",
            json!({"inline_query_id": query_id, "results": []})
        ),
        (400, too_old.into())
    );
}

#[test]
fn forward_and_copy() {
    let mut h = Harness::unlimited();
    h.started_chat(0, ANA);
    h.sim.user_sends_text(0, BO, BO, "hello from Bo").unwrap();
    let forwarded = h.ok(
        2_000,
        "forwardMessage",
        json!({"chat_id": ANA, "from_chat_id": BO, "message_id": 1}),
    );
    assert_eq!(forwarded["text"], "hello from Bo");
    assert_eq!(forwarded["forward_origin"]["type"], "user");
    assert_eq!(forwarded["forward_origin"]["sender_user"]["id"], BO);
    assert_eq!(forwarded["forward_origin"]["date"], 1_780_000_000);
    assert_eq!(forwarded["from"]["id"], 123456);
    let copied = h.ok(
        3_000,
        "copyMessage",
        json!({"chat_id": ANA, "from_chat_id": BO, "message_id": 1}),
    );
    let copy_id = copied["message_id"].as_i64().unwrap();
    assert_eq!(copied, json!({"message_id": copy_id}));
    let copy = h.sim.message(ANA, copy_id).unwrap();
    assert_eq!(copy["text"], "hello from Bo");
    assert!(copy.get("forward_origin").is_none());
    assert_eq!(
        h.err(
            0,
            "forwardMessage",
            json!({"chat_id": ANA, "from_chat_id": BO, "message_id": 9})
        ),
        (400, "Bad Request: message to forward not found".into())
    );
    assert_eq!(
        h.err(
            0,
            "copyMessage",
            json!({"chat_id": ANA, "from_chat_id": BO, "message_id": 9})
        ),
        (400, "Bad Request: message to copy not found".into())
    );
    assert_eq!(
        h.err(
            0,
            "copyMessage",
            json!({"chat_id": ANA, "from_chat_id": -5, "message_id": 1})
        ),
        (400, "Bad Request: chat not found".into())
    );
    let methods: Vec<&str> = h
        .sim
        .transcript()
        .iter()
        .map(|e| e.method.as_str())
        .collect();
    assert_eq!(methods, vec!["forwardMessage", "copyMessage"]);
}

#[test]
fn reactions_chat_actions_and_get_chat() {
    let mut h = Harness::unlimited();
    h.started_chat(0, ANA);
    h.ok(0, "setMessageReaction", json!({"chat_id": ANA, "message_id": 1, "reaction": [{"type": "emoji", "emoji": "\u{1F44D}"}]}));
    assert_eq!(
        h.err(
            0,
            "setMessageReaction",
            json!({"chat_id": ANA, "message_id": 1, "reaction": [{"type": "smell"}]})
        )
        .1,
        "Bad Request: REACTION_INVALID"
    );
    assert_eq!(
        h.err(
            0,
            "setMessageReaction",
            json!({"chat_id": ANA, "message_id": 5})
        )
        .1,
        "Bad Request: message to react not found"
    );
    h.ok(
        0,
        "sendChatAction",
        json!({"chat_id": ANA, "action": "typing"}),
    );
    assert_eq!(
        h.err(
            0,
            "sendChatAction",
            json!({"chat_id": ANA, "action": "dancing"})
        )
        .1,
        "Bad Request: wrong parameter action in request"
    );
    let actions: Vec<TranscriptAction> = h.sim.transcript().iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        vec![TranscriptAction::Reacted, TranscriptAction::ChatAction]
    );
    let chat = h.ok(0, "getChat", json!({"chat_id": ANA}));
    assert_eq!(chat["type"], "private");
    assert_eq!(chat["first_name"], format!("User{ANA}"));
    h.sim.add_chat(SimChat::group(-77, "Ops"));
    let chat = h.ok(0, "getChat", json!({"chat_id": -77}));
    assert_eq!(
        (chat["type"].clone(), chat["title"].clone()),
        (json!("group"), json!("Ops"))
    );
    assert_eq!(
        h.err(0, "getChat", json!({"chat_id": -78})).1,
        "Bad Request: chat not found"
    );
}

#[test]
fn bot_commands_per_scope_and_language() {
    let mut h = Harness::new();
    let commands = json!([{"command": "start", "description": "Start"}, {"command": "help_me2", "description": "Help"}]);
    assert_eq!(h.ok(0, "getMyCommands", json!({})), json!([]));
    h.ok(0, "setMyCommands", json!({"commands": commands}));
    assert_eq!(h.ok(0, "getMyCommands", json!({})), commands);
    let scope = json!({"type": "chat", "chat_id": ANA});
    assert_eq!(h.ok(0, "getMyCommands", json!({"scope": scope})), json!([]));
    h.ok(0, "setMyCommands", json!({"commands": [{"command": "x", "description": "y"}], "scope": scope, "language_code": "de"}));
    assert_eq!(
        h.ok(
            0,
            "getMyCommands",
            json!({"scope": scope, "language_code": "de"})
        )[0]["command"],
        "x"
    );
    h.ok(0, "deleteMyCommands", json!({}));
    assert_eq!(h.ok(0, "getMyCommands", json!({})), json!([]));
    for bad in [
        json!([{"command": "Start", "description": "x"}]),
        json!([{"command": "", "description": "x"}]),
        json!([{"command": "a".repeat(33), "description": "x"}]),
    ] {
        assert_eq!(
            h.err(0, "setMyCommands", json!({"commands": bad})).1,
            "Bad Request: BOT_COMMAND_INVALID"
        );
    }
    assert_eq!(
        h.err(
            0,
            "setMyCommands",
            json!({"commands": [{"command": "a", "description": ""}]})
        )
        .0,
        400
    );
    assert_eq!(
        h.err(0, "setMyCommands", json!({})).1,
        "Bad Request: parameter \"commands\" is required"
    );
    assert_eq!(
        h.err(0, "getMyCommands", json!({"scope": {"no": "type"}}))
            .0,
        400
    );
}

#[test]
fn log_out_locks_the_token_for_ten_minutes() {
    let mut h = Harness::new();
    assert_eq!(h.ok(0, "logOut", json!({})), json!(true));
    assert_eq!(
        h.err(1_000, "getMe", json!({})),
        (401, "Unauthorized".into())
    );
    assert_eq!(h.err(599_999, "getMe", json!({})).0, 401);
    h.ok(600_000, "getMe", json!({}));
    assert_eq!(h.ok(600_000, "close", json!({})), json!(true));
}

#[test]
fn form_and_query_string_encodings() {
    let mut h = Harness::new();
    h.started_chat(0, ANA);
    let form = raw_request(
        &url("sendMessage"),
        "application/x-www-form-urlencoded",
        format!(
            "chat_id={ANA}&text=caf%C3%A9+ol%C3%A9&reply_markup=%7B%22remove_keyboard%22%3Atrue%7D"
        )
        .as_bytes(),
    );
    let (status, body) = h.call_raw(0, &form);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["text"], "caf\u{e9} ol\u{e9}");
    let query = raw_request(
        &format!("{}?chat_id={ANA}&text=from%20query", url("sendMessage")),
        "",
        b"",
    );
    let (status, body) = h.call_raw(2_000, &query);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["text"], "from query");
}

#[test]
fn joins_and_leaves_are_service_messages() {
    let mut h = Harness::new();
    h.ok(
        0,
        "getUpdates",
        json!({"allowed_updates": ["message", "chat_member", "my_chat_member"]}),
    );
    h.sim.user_joins_chat(0, BO, GROUP).unwrap();
    h.sim.user_leaves_chat(1_000, BO, GROUP).unwrap();
    let updates = h.ok(1_000, "getUpdates", json!({}));
    let updates = updates.as_array().unwrap();
    assert_eq!(updates.len(), 4);
    assert_eq!(
        updates[0]["chat_member"]["new_chat_member"]["status"],
        "member"
    );
    assert_eq!(updates[1]["message"]["new_chat_member"]["id"], BO);
    assert_eq!(
        updates[2]["chat_member"]["new_chat_member"]["status"],
        "left"
    );
    assert_eq!(updates[3]["message"]["left_chat_member"]["id"], BO);
    assert!(h.sim.user_joins_chat(0, BO, BO).is_err());
}
