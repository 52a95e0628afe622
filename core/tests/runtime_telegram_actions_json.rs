//! Actions translated without the typed model (`runtime::telegram::translate_json`, used
//! with updates kept as JSON) against the typed translation (`translate`): the same method,
//! URL, headers, parameters (JSON bodies compared parsed, multipart bodies part by part),
//! chat and send flag for every action and option, and the same errors.

use botwire_core::runtime::model::{
    Action, ActionError, ActionKind, Button, FileKind, FileUpload, MessageKey, Platform,
    SendOptions, TextFormat,
};
use botwire_core::runtime::telegram::{translate, translate_json, TelegramCall};
use botwire_core::telegram::Api;
use serde_json::{json, Value};
use std::collections::BTreeSet;

fn api() -> Api {
    Api::new("123:SECRET").with_api_root("http://sim")
}

/// The parts of a `multipart/form-data` body: (headers, content), in order.
fn parts(content_type: &str, body: &[u8]) -> Vec<(String, Vec<u8>)> {
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap_or_else(|| panic!("content type {content_type}"));
    let delimiter = format!("--{boundary}");
    let text = body.to_vec();
    let mut out = Vec::new();
    let mut rest = &text[..];
    let find = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).position(|w| w == needle);
    let start = find(rest, delimiter.as_bytes()).expect("first delimiter");
    rest = &rest[start + delimiter.len()..];
    loop {
        if rest.starts_with(b"--\r\n") {
            assert_eq!(rest.len(), 4, "nothing after the last delimiter");
            break;
        }
        rest = rest
            .strip_prefix(b"\r\n")
            .expect("line end after a delimiter");
        let end = find(rest, format!("\r\n{delimiter}").as_bytes()).expect("part end");
        let part = &rest[..end];
        let split = find(part, b"\r\n\r\n").expect("part headers");
        out.push((
            String::from_utf8(part[..split].to_vec()).expect("headers are text"),
            part[split + 4..].to_vec(),
        ));
        rest = &rest[end + 2 + delimiter.len()..];
    }
    out
}

/// A part's content as JSON when it is JSON, as text otherwise.
fn part_value(content: &[u8]) -> Value {
    serde_json::from_slice(content)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(content).into_owned()))
}

fn assert_same_call(action: &Action, typed: &TelegramCall, lean: &TelegramCall) {
    assert_eq!(typed.method, lean.method, "{action:?}");
    assert_eq!(typed.chat_id, lean.chat_id, "{action:?}");
    assert_eq!(typed.counts_as_send, lean.counts_as_send, "{action:?}");
    let (t, l) = (&typed.request, &lean.request);
    assert_eq!(t.method, l.method, "{action:?}");
    assert_eq!(t.url, l.url, "{action:?}");
    assert_eq!(t.timeout_ms, l.timeout_ms, "{action:?}");
    assert_eq!(t.headers.len(), 1, "{action:?}");
    assert_eq!(l.headers.len(), 1, "{action:?}");
    assert_eq!(t.headers[0].0, l.headers[0].0, "{action:?}");
    let (t_type, l_type) = (&t.headers[0].1, &l.headers[0].1);
    if t_type == "application/json" {
        assert_eq!(l_type, "application/json", "{action:?}");
        let t_body: Value = serde_json::from_slice(&t.body).expect("typed body is JSON");
        let l_body: Value = serde_json::from_slice(&l.body).expect("lean body is JSON");
        assert_eq!(t_body, l_body, "{action:?}");
    } else {
        let t_parts = parts(t_type, &t.body);
        let l_parts = parts(l_type, &l.body);
        assert_eq!(t_parts.len(), l_parts.len(), "{action:?}");
        for ((th, tc), (lh, lc)) in t_parts.iter().zip(&l_parts) {
            assert_eq!(th, lh, "{action:?}");
            assert_eq!(part_value(tc), part_value(lc), "{action:?}: part {th}");
        }
    }
}

/// Translates `action` both ways and checks that the results agree: equal calls, or equal
/// errors (for calls by name and inline results, whose arguments only the typed path checks
/// against the method, errors of the same kind).
fn same(action: &Action) -> Result<TelegramCall, ActionError> {
    let typed = translate(&api(), action);
    let lean = translate_json(&api(), action);
    match (&typed, &lean) {
        (Ok(t), Ok(l)) => assert_same_call(action, t, l),
        (Err(t), Err(l)) => {
            if matches!(action, Action::Call { .. } | Action::AnswerInline { .. }) {
                assert_eq!(
                    std::mem::discriminant(t),
                    std::mem::discriminant(l),
                    "{action:?}: {t:?} / {l:?}"
                );
            } else {
                assert_eq!(t, l, "{action:?}");
            }
        }
        _ => panic!("{action:?}: typed {typed:?}, lean {lean:?}"),
    }
    typed
}

fn kb() -> Vec<Vec<Button>> {
    vec![
        vec![
            Button::data("Yes", "vote:yes"),
            Button::url("Site", "https://x.org/?a=1&b=\"2\""),
        ],
        vec![],
        vec![Button::data("Ünïcödé ✓", "d\n\"q\"\\")],
    ]
}

fn neither() -> Button {
    Button {
        text: "neither".into(),
        data: None,
        url: None,
    }
}

fn both() -> Button {
    Button {
        text: "both".into(),
        data: Some("d".into()),
        url: Some("https://x.org".into()),
    }
}

/// Every combination of the send options.
fn all_options() -> Vec<SendOptions> {
    let mut out = Vec::new();
    let formats = [
        None,
        Some(TextFormat::Plain),
        Some(TextFormat::Html),
        Some(TextFormat::MarkdownV2),
        Some(TextFormat::Markdown),
    ];
    let keyboards = [None, Some(Vec::new()), Some(vec![Vec::new()]), Some(kb())];
    for format in formats {
        for keyboard in &keyboards {
            for silent in [false, true] {
                for no_link_preview in [false, true] {
                    out.push(SendOptions {
                        format,
                        keyboard: keyboard.clone(),
                        silent,
                        no_link_preview,
                    });
                }
            }
        }
    }
    out
}

fn bad_keyboards() -> Vec<SendOptions> {
    [neither(), both()]
        .into_iter()
        .map(|b| SendOptions {
            keyboard: Some(vec![vec![Button::data("ok", "ok"), b]]),
            ..SendOptions::default()
        })
        .collect()
}

fn inline(platform: Platform) -> MessageKey {
    MessageKey::Inline {
        platform,
        inline_id: "IM-1".into(),
    }
}

/// Chat keys: numeric (user, basic group, supergroup), by username, and bad ones.
const CHATS: &[&str] = &[
    "telegram:42",
    "telegram:-4123456",
    "telegram:-1001234567890",
    "telegram:@news_channel",
    "telegram:@",
    "telegram:abc",
    "telegram:",
    "stream:42",
    "42",
];

const USERS: &[&str] = &[
    "telegram:5",
    "telegram:@someone",
    "teamwire:5",
    "telegram:x",
];

fn messages() -> Vec<MessageKey> {
    let mut out: Vec<MessageKey> = CHATS.iter().map(|c| MessageKey::in_chat(*c, 7)).collect();
    out.push(MessageKey::in_chat("telegram:42", "x7"));
    out.push(MessageKey::in_chat("telegram:42", ""));
    out.push(inline(Platform::Telegram));
    out.push(inline(Platform::Stream));
    out
}

/// Every kind of file an upload can be.
const FILE_KINDS: [FileKind; 5] = [
    FileKind::Document,
    FileKind::Photo,
    FileKind::Video,
    FileKind::Audio,
    FileKind::Voice,
];

fn file(mime: Option<&str>) -> FileUpload {
    FileUpload {
        name: "report \"1\".pdf".into(),
        mime: mime.map(str::to_owned),
        bytes: b"%PDF-1.7 bytes\r\n--botwire-\x00\xff".to_vec(),
    }
}

fn actions() -> Vec<Action> {
    let mut out = Vec::new();
    let texts = ["hello", "", "<b>ü</b> \"q\" \\ \n\u{1F600}"];
    let mut options = all_options();
    options.extend(bad_keyboards());

    for chat in CHATS {
        for text in texts {
            out.push(Action::Send {
                chat: (*chat).into(),
                text: text.into(),
                options: SendOptions::default(),
            });
        }
        out.push(Action::Typing {
            chat: (*chat).into(),
        });
        out.push(Action::Leave {
            chat: (*chat).into(),
        });
        out.push(Action::SetTitle {
            chat: (*chat).into(),
            title: "Club \"1\"".into(),
        });
        out.push(Action::SetDescription {
            chat: (*chat).into(),
            description: String::new(),
        });
        out.push(Action::SetDescription {
            chat: (*chat).into(),
            description: "About ✓".into(),
        });
        for user in USERS {
            out.push(Action::Kick {
                chat: (*chat).into(),
                user: (*user).into(),
            });
            out.push(Action::Unban {
                chat: (*chat).into(),
                user: (*user).into(),
            });
            for until in [None, Some(0), Some(1_900_000_000)] {
                out.push(Action::Ban {
                    chat: (*chat).into(),
                    user: (*user).into(),
                    until,
                });
            }
        }
        for kind in FILE_KINDS {
            for caption in [None, Some("the caption \"x\"".to_owned())] {
                for mime in [None, Some("application/pdf")] {
                    out.push(Action::Upload {
                        chat: (*chat).into(),
                        file: file(mime),
                        kind,
                        caption: caption.clone(),
                    });
                }
            }
        }
    }
    for o in &options {
        out.push(Action::Send {
            chat: "telegram:-1001".into(),
            text: "x".into(),
            options: o.clone(),
        });
    }

    for m in messages() {
        for o in &options {
            out.push(Action::Reply {
                to: m.clone(),
                text: "re".into(),
                options: o.clone(),
            });
            out.push(Action::Edit {
                message: m.clone(),
                text: "new".into(),
                options: o.clone(),
            });
        }
        for keyboard in [None, Some(Vec::new()), Some(kb()), Some(vec![vec![both()]])] {
            out.push(Action::EditKeyboard {
                message: m.clone(),
                keyboard,
            });
        }
        out.push(Action::Delete { message: m.clone() });
        out.push(Action::Pin { message: m.clone() });
        out.push(Action::Unpin { message: m.clone() });
        for emoji in [None, Some("👍".to_owned()), Some(String::new())] {
            out.push(Action::React {
                message: m.clone(),
                emoji,
            });
        }
        for to in CHATS {
            out.push(Action::Forward {
                message: m.clone(),
                to: (*to).into(),
            });
        }
    }

    for text in [None, Some("done".to_owned()), Some(String::new())] {
        for alert in [false, true] {
            out.push(Action::AnswerButton {
                query_id: "cq-1".into(),
                text: text.clone(),
                alert,
            });
        }
    }

    let article = json!({"type": "article", "id": "1", "title": "Cats",
        "input_message_content": {"message_text": "meow"}});
    let photo = json!({"type": "photo", "id": "2", "photo_url": "https://x.org/p.jpg",
        "thumbnail_url": "https://x.org/t.jpg"});
    for results in [
        json!([]),
        json!([article]),
        json!([article, photo]),
        json!({"not": "an array"}),
        json!("nope"),
        Value::Null,
    ] {
        for cache_time in [None, Some(0), Some(30)] {
            out.push(Action::AnswerInline {
                query_id: "iq".into(),
                results: results.clone(),
                cache_time,
            });
        }
    }

    // Arguments in the form the typed model writes them (calls by name travel as given: a
    // `chat_id` of "7" stays a string there, while the typed path reads it as the number 7).
    let upload =
        json!({"file_name": "a.txt", "data_base64": "aGVsbG8=", "mime_type": "text/plain"});
    for (platform, method, args) in [
        (
            Platform::Telegram,
            "sendMessage",
            json!({"chat_id": 42, "text": "hi"}),
        ),
        (
            Platform::Telegram,
            "SENDMESSAGE",
            json!({"chat_id": "@news", "text": "hi", "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "b"}]]}}),
        ),
        (Platform::Telegram, "getMe", Value::Null),
        (Platform::Telegram, "getMe", json!({})),
        (
            Platform::Telegram,
            "copyMessage",
            json!({"chat_id": 7, "from_chat_id": 1, "message_id": 2}),
        ),
        (
            Platform::Telegram,
            "sendDocument",
            json!({"chat_id": 42, "document": upload, "caption": "c"}),
        ),
        (
            Platform::Telegram,
            "sendDocument",
            json!({"chat_id": 42, "document": "FILE_ID"}),
        ),
        (Platform::Telegram, "sendMessage", json!({"chat_id": 42})),
        (Platform::Telegram, "sendMessage", json!([1, 2])),
        (Platform::Telegram, "noSuchMethod", json!({})),
        (
            Platform::Stream,
            "sendMessage",
            json!({"chat_id": 42, "text": "hi"}),
        ),
    ] {
        out.push(Action::Call {
            platform,
            method: method.into(),
            args,
        });
    }
    out
}

#[test]
fn both_translations_agree_on_every_action() {
    let mut kinds = BTreeSet::new();
    let (mut ok, mut errors) = (0, BTreeSet::new());
    for action in actions() {
        match same(&action) {
            Ok(_) => {
                kinds.insert(format!("{:?}", action.kind()));
                ok += 1;
            }
            Err(e) => {
                errors.insert(format!("{:?}", std::mem::discriminant(&e)));
            }
        }
    }
    // Every action kind translated at least once, and every kind of error met.
    let all: BTreeSet<String> = ActionKind::ALL.iter().map(|k| format!("{k:?}")).collect();
    assert_eq!(kinds, all);
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(ok > 1000, "{ok}");
}

#[test]
fn json_bodies_are_the_typed_ones_with_keys_in_any_order() {
    // The documented example, through both paths.
    let action = Action::Reply {
        to: MessageKey::in_chat("telegram:42", 5),
        text: "hello".into(),
        options: SendOptions::default(),
    };
    let call = same(&action).unwrap();
    assert_eq!(
        call.request.body,
        br#"{"chat_id":42,"text":"hello","reply_parameters":{"message_id":5}}"#
    );
    let lean = translate_json(&api(), &action).unwrap();
    let body: Value = serde_json::from_slice(&lean.request.body).unwrap();
    assert_eq!(
        body,
        json!({"chat_id": 42, "text": "hello", "reply_parameters": {"message_id": 5}})
    );
}

#[test]
fn uploads_are_the_same_multipart_bodies() {
    for kind in FILE_KINDS {
        let action = Action::Upload {
            chat: "telegram:42".into(),
            file: file(Some("application/pdf")),
            kind,
            caption: Some("c".into()),
        };
        let typed = same(&action).unwrap();
        let lean = translate_json(&api(), &action).unwrap();
        // Multipart parts are written in name order either way: the bodies are identical.
        assert_eq!(typed.request, lean.request);
    }
}
