//! TrueConf events kept as JSON (`runtime::trueconf_json`, the `Json` form of the session and
//! the bot) against the typed path: the same shared event for every documented event and
//! envelope, for every content type, for thousands of mutations of them, and for unknown and
//! malformed events; own messages dropped; the same events, states and payloads through a
//! bot on the simulator.

use botwire_core::runtime::bot::BotOutput;
use botwire_core::runtime::model::{Action, Button, Event, EventKind, Payload, SendOptions};
use botwire_core::runtime::trueconf::event_from_server;
use botwire_core::runtime::trueconf_bot::{TrueConfBot, TrueConfBotConfig};
use botwire_core::runtime::trueconf_json::event_from_json;
use botwire_core::sim::trueconf::SimConfig;
use botwire_core::sim::trueconf_harness::{sim_session_config, TrueConfHarness};
use botwire_core::trueconf::events::{parse_event, ServerEvent};
use botwire_core::trueconf::session::{EventForm, SessionEvent, TrueConfSession};
use botwire_core::trueconf::types::{
    Author, ChatRef, ChatType, Content, Envelope, ParseMode, Role, SurveyContent,
};
use serde_json::{json, Value};

const EVENTS: &str = include_str!("fixtures/trueconf/events.jsonl");
const ENVELOPES: &str = include_str!("fixtures/trueconf/envelopes.jsonl");
const EXCHANGES: &str = include_str!("fixtures/trueconf/exchanges.jsonl");

fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("fixture line is JSON"))
        .collect()
}

/// The event without its payload.
fn head(e: &Event) -> Event {
    Event {
        payload: Payload::Json(Box::new(Value::Null)),
        ..e.clone()
    }
}

/// Runs both paths over one event and checks they agree; returns whether it was decoded.
fn same(frame_id: u64, method: &str, payload: &str) -> bool {
    let typed_event = parse_event(method, payload);
    let unknown = matches!(typed_event, ServerEvent::Unknown { .. });
    let typed = event_from_server(frame_id, typed_event, payload.to_owned());
    let lean = event_from_json(frame_id, method.to_owned(), payload.to_owned());
    assert_eq!(head(&lean), head(&typed), "{method} {payload}");
    let Payload::TrueConfJson(p) = &lean.payload else {
        panic!("not kept as JSON: {:?}", lean.payload)
    };
    assert_eq!(p.decoded, !unknown, "{method} {payload}");
    assert_eq!(p.raw, payload);
    assert_eq!(
        lean.payload.to_json_untyped(),
        typed.payload.to_json_untyped(),
        "{method} {payload}"
    );
    assert_eq!(lean.to_json_untyped(), typed.to_json_untyped());
    assert!(lean.trueconf().is_none());
    !unknown
}

fn documented_events() -> Vec<(String, Value)> {
    lines(EVENTS)
        .into_iter()
        .map(|f| {
            (
                f["method"].as_str().unwrap().to_owned(),
                f["payload"].clone(),
            )
        })
        .collect()
}

/// Every object in the fixtures that looks like an envelope (message id, type and content),
/// as a `sendMessage` payload.
fn documented_envelopes() -> Vec<Value> {
    fn walk(v: &Value, out: &mut Vec<Value>) {
        match v {
            Value::Object(m) => {
                if m.contains_key("messageId")
                    && m.contains_key("type")
                    && m.contains_key("content")
                {
                    out.push(v.clone());
                }
                m.values().for_each(|v| walk(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for v in lines(ENVELOPES)
        .iter()
        .chain(&lines(EXCHANGES))
        .chain(&lines(EVENTS))
    {
        walk(v, &mut out);
    }
    out
}

fn chat() -> ChatRef {
    ChatRef::new("c1", Some("Ops".into()), ChatType::GROUP)
}

fn envelope(content: Content) -> Envelope {
    Envelope::new(
        chat(),
        "m1",
        1_781_234_567_890,
        Author::user("alice@video.example.com"),
        content,
    )
    .with_box(7, "6")
}

/// An envelope of every content type, forwards (of a text, of a forward, flattened), and
/// contents that do not fit their type.
fn synthesized_envelopes() -> Vec<Value> {
    let text = || Content::text("hello", ParseMode::Markdown);
    let attachment = |mime: Option<&str>| Content::Attachment {
        name: "a.bin".into(),
        size: 12,
        file_id: Some("f1".into()),
        mime_type: mime.map(str::to_owned),
        ready_state: None,
    };
    let contents = vec![
        text(),
        Content::Forward(Box::new(envelope(text()))),
        Content::Forward(Box::new(envelope(Content::Forward(Box::new(envelope(
            text(),
        )))))),
        attachment(Some("image/png")),
        attachment(Some("video/mp4")),
        attachment(Some("sticker/webp")),
        attachment(Some("application/pdf")),
        attachment(None),
        Content::Location {
            latitude: 55.75,
            longitude: 37.62,
            title: "Moscow".into(),
        },
        Content::Survey(SurveyContent {
            url: "https://video.example.com/webtools/survey".into(),
            title: "Lunch?".into(),
            app_version: Some(1),
            path: Some("p".into()),
            description: None,
            button_text: None,
            secret: None,
            alt: None,
        }),
        Content::Voice {
            file_id: "v1".into(),
            size: 3,
            mime_type: "audio/ogg".into(),
            duration: Some(1200),
        },
        Content::ParticipantAdded {
            user_id: "dave@video.example.com".into(),
            role: Role::User,
        },
        Content::ParticipantRemoved {
            user_id: "dave@video.example.com".into(),
        },
        Content::RoleChanged {
            user_id: "dave@video.example.com".into(),
            role: Role::Admin,
        },
        Content::TitleChanged {
            title: "New".into(),
        },
        Content::AvatarChanged { avatar_url: None },
        Content::HistoryCleared { for_all: true },
    ];
    let mut out: Vec<Value> = contents
        .into_iter()
        .map(|c| serde_json::to_value(envelope(c)).unwrap())
        .collect();
    let base = out[0].clone();
    let with = |kind: i64, content: Value| {
        let mut v = base.clone();
        v["type"] = json!(kind);
        v["content"] = content;
        v
    };
    // A forward of a forward arrives flattened: type 201 with the original's text.
    out.push(with(201, json!({"text": "flat", "parseMode": "text"})));
    // A forward whose original is a flattened forward.
    let mut flat = base.clone();
    flat["type"] = json!(201);
    flat["content"] = json!({"text": "inner flat"});
    out.push(with(201, flat));
    // A forward of a location, from an older server (no `chat`).
    let mut old = serde_json::to_value(envelope(Content::Location {
        latitude: 1.0,
        longitude: 2.0,
        title: String::new(),
    }))
    .unwrap();
    old.as_object_mut().unwrap().remove("chat");
    out.push(with(201, old.clone()));
    out.push(old);
    // Contents that do not fit their type, unknown types, system authors, buttons.
    out.push(with(200, json!({"parseMode": "text"})));
    out.push(with(200, json!([{"text": "x"}])));
    out.push(with(202, json!({"size": 3})));
    out.push(with(205, json!({"fileId": "v", "duration": -1})));
    out.push(with(999, json!({"text": "future"})));
    out.push(with(1, json!({"userId": "u@s", "role": 2})));
    out.push(with(110, json!({"userId": "u@s", "role": "boss"})));
    out.push(with(23, json!({"forAll": "TRUE"})));
    out.push(with(
        200,
        json!({"text": "pick", "buttons": [[{"type": "command", "label": "A", "command": "/a", "draft": "1"}]]}),
    ));
    out.push(with(
        200,
        json!({"text": "pick", "buttons": [[{"label": "no type"}]]}),
    ));
    let mut system = base.clone();
    system["author"] = json!({"id": "trueconf.server", "type": 0});
    system["chatType"] = json!(2.0);
    system["isEdited"] = json!("false");
    out.push(system);
    out
}

/// The value with one node replaced (or removed, for `None`) at every position in turn.
fn mutations(v: &Value) -> Vec<Value> {
    let replacements = [
        None,
        Some(Value::Null),
        Some(json!(true)),
        Some(json!(2)),
        Some(json!(-1)),
        Some(json!(1.5)),
        Some(json!(2.0)),
        Some(json!("s")),
        Some(json!("true")),
        Some(json!([])),
        Some(json!({})),
    ];
    fn paths(v: &Value, at: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    at.push(json!(k));
                    out.push(at.clone());
                    paths(child, at, out);
                    at.pop();
                }
            }
            Value::Array(a) => {
                for (i, child) in a.iter().enumerate() {
                    at.push(json!(i));
                    out.push(at.clone());
                    paths(child, at, out);
                    at.pop();
                }
            }
            _ => {}
        }
    }
    fn apply(v: &mut Value, path: &[Value], with: &Option<Value>) {
        let (last, parents) = path.split_last().unwrap();
        let mut node = v;
        for p in parents {
            node = match p {
                Value::String(k) => &mut node[k.as_str()],
                _ => &mut node[p.as_u64().unwrap() as usize],
            };
        }
        match (node, last, with) {
            (Value::Object(m), Value::String(k), None) => {
                m.remove(k);
            }
            (Value::Array(a), Value::Number(i), None) => {
                a.remove(i.as_u64().unwrap() as usize);
            }
            (Value::Object(m), Value::String(k), Some(r)) => {
                m.insert(k.clone(), r.clone());
            }
            (Value::Array(a), Value::Number(i), Some(r)) => {
                a[i.as_u64().unwrap() as usize] = r.clone();
            }
            _ => unreachable!(),
        }
    }
    let mut all = Vec::new();
    paths(v, &mut Vec::new(), &mut all);
    let mut out = Vec::new();
    for path in all {
        for r in &replacements {
            let mut m = v.clone();
            apply(&mut m, &path, r);
            out.push(m);
        }
    }
    out
}

#[test]
fn every_documented_event_gives_the_same_shared_event() {
    let events = documented_events();
    assert_eq!(events.len(), 14);
    for (n, (method, payload)) in events.iter().enumerate() {
        assert!(
            same(n as u64, method, &payload.to_string()),
            "{method} decoded"
        );
    }
    // The documentation's name of the progress event.
    let (_, progress) = events
        .iter()
        .find(|(m, _)| m == "uploadFileProgress")
        .unwrap();
    assert!(same(3, "uploadingProgress", &progress.to_string()));
    let lean = event_from_json(3, "uploadingProgress".into(), progress.to_string());
    assert_eq!(
        lean.payload.to_json_untyped()["method"],
        "uploadFileProgress"
    );
    // Every `create…` event.
    let (_, chat) = events.iter().find(|(m, _)| m == "createP2PChat").unwrap();
    for method in ["createGroupChat", "createChannel", "createFavoritesChat"] {
        assert!(same(4, method, &chat.to_string()));
    }
}

#[test]
fn every_documented_and_synthesized_envelope_gives_the_same_shared_event() {
    let documented = documented_envelopes();
    assert!(documented.len() >= 8, "{}", documented.len());
    let mut content_types = std::collections::BTreeSet::new();
    for (n, env) in documented
        .iter()
        .chain(&synthesized_envelopes())
        .enumerate()
    {
        let payload = env.to_string();
        same(n as u64, "sendMessage", &payload);
        let e = event_from_json(n as u64, "sendMessage".into(), payload);
        content_types.insert(e.content_type.unwrap_or_default().into_owned());
        // The same envelope as the message of a button press.
        let command = json!({"commandId": null, "commandSource": {"type": "inlineKeyboard", "message": env},
                             "commandPayload": {"type": "userCommand", "command": "/go"}});
        same(n as u64, "command", &command.to_string());
    }
    for t in [
        "text",
        "forward",
        "photo",
        "video",
        "sticker",
        "document",
        "location",
        "survey",
        "voice",
        "new_chat_member",
        "left_chat_member",
        "role_changed",
        "new_chat_title",
        "new_chat_photo",
        "history_cleared",
        "unknown",
    ] {
        assert!(
            content_types.contains(t),
            "no {t} content in {content_types:?}"
        );
    }
}

#[test]
fn mutated_events_give_the_same_shared_event() {
    let mut samples: Vec<(String, Value)> = documented_events();
    samples.extend(
        synthesized_envelopes()
            .into_iter()
            .map(|e| ("sendMessage".to_owned(), e)),
    );
    samples.push((
        "createGroupChat".into(),
        json!({"chatId": "c", "title": "T", "chatType": 2, "unreadMessages": 3, "avatarUrl": "u",
               "lastMessage": {"messageId": "m", "timestamp": 1, "author": {"id": "a@s", "type": 1},
                               "type": 200, "content": {"text": "x"},
                               "chat": {"chatId": "c", "chatTitle": "T", "chatType": 2}}}),
    ));
    samples.push((
        "editMessage".into(),
        json!({"chatId": "c", "messageId": "m", "timestamp": 5,
               "content": {"text": "t", "parseMode": "html", "buttons": [[{"type": "url", "url": "https://x.example"}]]}}),
    ));
    let (mut total, mut decoded) = (0, 0);
    for (method, payload) in &samples {
        for m in mutations(payload) {
            total += 1;
            if same(total, method, &m.to_string()) {
                decoded += 1;
            }
        }
    }
    assert!(total > 5_000, "{total}");
    assert!(
        decoded > total / 3 && decoded < total,
        "{decoded} of {total}"
    );
}

#[test]
fn unknown_methods_and_malformed_payloads_give_the_same_unknown_event() {
    let cases = [
        ("reactionAdded", r#"{"whatever":[1,2,3]}"#),
        ("reactionAdded", "[1]"),
        ("", "{}"),
        ("removeMessage", r#"{"chatId":"c"}"#),
        ("uploadFileProgress", r#"{"fileId":"f","progress":"lots"}"#),
        ("uploadFileProgress", r#"{"fileId":"f","progress":1e400}"#),
        ("uploadingProgress", r#"{"fileId":"f"}"#),
        ("sendMessage", "[1]"),
        ("sendMessage", "{}"),
        ("sendMessage", r#"{"messageId":"m"}"#),
        ("clearHistory", "null"),
        ("clearHistory", r#"{"chatId":"c","forAll":2}"#),
        ("editChatTitle", "not json"),
        ("editChatTitle", r#"{"chatId":"c","title":"t"} trailing"#),
        ("removeChat", ""),
        ("removeChat", "   "),
        ("removeChat", r#" {"chatId":"c"} "#),
        (
            "changeParticipantRole",
            r#"{"timestamp":1,"chatId":"c","userId":"u","role":1.0}"#,
        ),
        (
            "command",
            r#"{"commandSource":{},"commandPayload":{"command":"/x"}}"#,
        ),
        (
            "command",
            r#"{"commandSource":{"message":{"messageId":"m"}},"commandPayload":{"command":"/x"}}"#,
        ),
        (
            "command",
            r#"{"commandSource":{"waitReply":"yes"},"commandPayload":{"command":"/x"}}"#,
        ),
        (
            "editMessage",
            r#"{"chatId":"c","timestamp":1,"content":{"text":"t","buttons":[[{"label":"x"}]]}}"#,
        ),
        (
            "editMessage",
            r#"{"chatId":"c","timestamp":1.5,"content":{"text":"t"}}"#,
        ),
        ("getFileUploadLimits", r#"{"maxSize":-1}"#),
        (
            "getFileUploadLimits",
            r#"{"extensions":{"mode":"allow","list":[1]}}"#,
        ),
        ("createChannel", r#"{"chatId":"c","chatType":null}"#),
        (
            "createChannel",
            r#"{"chatId":"c","lastMessage":{"messageId":"m"}}"#,
        ),
        ("sendMessage", &"[".repeat(200)),
        (
            "sendMessage",
            &format!(r#"{{"x":{}1{}}}"#, "[".repeat(200), "]".repeat(200)),
        ),
    ];
    for (n, (method, payload)) in cases.iter().enumerate() {
        let decoded = same(n as u64, method, payload);
        let lean = event_from_json(n as u64, (*method).to_owned(), (*payload).to_owned());
        if !decoded {
            assert_eq!(lean.kind, EventKind::Unknown);
            assert_eq!(lean.platform_kind, "unknown");
            assert_eq!(lean.id, format!("{method}#{n}"));
            assert_eq!(lean.payload.trueconf_json().unwrap().method, *method);
        }
    }
    // The ones every path refuses.
    assert!(!same(0, "reactionAdded", "{}"));
    assert!(!same(0, "sendMessage", "{}"));
    assert!(!same(0, "removeChat", "not json"));
}

fn bot_message(author: &str) -> Value {
    json!({"chat":{"chatId":"c1","chatTitle":"Alice","chatType":1},"chatId":"c1","messageId":"m","timestamp":1,
           "author":{"id":author,"type":1},"box":{"id":1,"position":"0"},"type":200,
           "content":{"text":"hi","parseMode":"text"},"isEdited":false})
}

#[test]
fn the_json_session_hands_out_events_as_received_and_drops_own_messages() {
    let sim = SimConfig::default();
    let bot = format!("{}@{}", sim.bot.login, sim.domain);
    let mut h = TrueConfHarness::with_machine(
        sim.clone(),
        TrueConfSession::new_json(sim_session_config(&sim)),
    );
    h.machine.start(h.now).unwrap();
    h.run_until_event(200, |e| matches!(e, SessionEvent::Connected { .. }))
        .expect("connects");
    h.take_events();
    let mut pushed = Vec::new();
    for author in [
        bot.clone(),
        format!("{bot}/other-device"),
        bot.to_uppercase(),
        "alice@video.example.com".to_owned(),
    ] {
        pushed.extend(
            h.sim
                .push_raw_event(h.now, None, "sendMessage", bot_message(&author)),
        );
    }
    pushed.extend(
        h.sim
            .push_raw_event(h.now, None, "someFutureEvent", json!({"a": 1})),
    );
    for _ in 0..50 {
        if !h.step() {
            break;
        }
    }
    let got: Vec<(String, Value)> = h
        .take_events()
        .into_iter()
        .filter_map(|e| match e {
            SessionEvent::ServerJson { method, raw, .. } => {
                Some((method, serde_json::from_str(&raw).unwrap()))
            }
            SessionEvent::Server { .. } => panic!("a typed event from a Json session"),
            _ => None,
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "sendMessage".to_owned(),
                bot_message("alice@video.example.com")
            ),
            ("someFutureEvent".to_owned(), json!({"a": 1}))
        ]
    );
    assert!(h.sim.unacked_events().is_empty());
    assert_eq!(pushed.len(), 5);
}

/// A scenario on the simulator: users write, edit, delete, press a button, send files and
/// locations, chats are made, changed and removed, events of the future and documented
/// events are pushed raw; the bot replies to texts (its own echoed messages must be dropped)
/// and exports its state in the middle. Returns the dispatched events and the state.
fn scenario<F: EventForm>(
    mut h: TrueConfHarness<TrueConfBot<F>>,
) -> (Vec<Event>, Vec<Value>, Value) {
    h.machine.start(h.now).unwrap();
    h.run_until_event(200, |o| {
        matches!(o, BotOutput::TrueConf(SessionEvent::Connected { .. }))
    })
    .expect("connects");
    let mut dispatched = Vec::new();
    let mut state = Value::Null;
    let drive = |h: &mut TrueConfHarness<TrueConfBot<F>>,
                 dispatched: &mut Vec<Event>,
                 state: &mut Value| {
        for _ in 0..300 {
            for out in h.take_events() {
                if let BotOutput::Dispatch { id, event, .. } = out {
                    if event.kind == EventKind::Message
                        && event.content_type.as_deref() == Some("text")
                    {
                        h.machine
                            .act(
                                h.now,
                                &Action::Reply {
                                    to: event.message.clone().unwrap(),
                                    text: format!("echo: {}", event.text.clone().unwrap()),
                                    options: SendOptions {
                                        keyboard: Some(vec![vec![Button::data("Pick", "pick")]]),
                                        ..SendOptions::default()
                                    },
                                },
                            )
                            .unwrap();
                    }
                    if state.is_null() && dispatched.len() == 3 {
                        *state = serde_json::to_value(h.machine.export_state()).unwrap();
                    }
                    dispatched.push((*event).clone());
                    h.machine.complete(h.now, id).unwrap();
                }
            }
            if !h.step() {
                break;
            }
        }
    };
    let now = h.now;
    let m = h.sim.user_sends_text(now, "alice", None, "one").unwrap();
    h.sim
        .user_sends_formatted(
            now,
            "alice",
            None,
            "**two**",
            "markdown",
            m.message_id.as_deref(),
        )
        .unwrap();
    drive(&mut h, &mut dispatched, &mut state);
    let now = h.now;
    h.sim
        .user_edits_message(now, "alice", m.message_id.as_deref().unwrap(), "one!")
        .unwrap();
    h.sim
        .user_sends_file(
            now,
            "alice",
            None,
            "p.png",
            "image/png",
            vec![1, 2, 3],
            false,
        )
        .unwrap();
    h.sim
        .user_sends_location(now, "alice", None, 55.75, 37.62, "Moscow")
        .unwrap();
    h.sim
        .user_removes_message(now, "alice", m.message_id.as_deref().unwrap())
        .unwrap();
    drive(&mut h, &mut dispatched, &mut state);
    let reply = h
        .sim
        .transcript()
        .iter()
        .find(|t| t.buttons.is_some())
        .and_then(|t| t.message_id.clone())
        .expect("the bot sent buttons");
    let now = h.now;
    h.sim
        .user_presses_button(now, "alice", &reply, "pick")
        .unwrap();
    let group = h
        .sim
        .create_group(now, "bob", "Ops", &["helpdesk_bot", "carol"]);
    drive(&mut h, &mut dispatched, &mut state);
    let now = h.now;
    h.sim
        .admin_adds_participant(now, "bob", &group.chat_id, "dave")
        .unwrap();
    h.sim
        .admin_changes_role(now, &group.chat_id, "dave", "admin")
        .unwrap();
    h.sim
        .user_sends_text(now, "dave", Some(&group.chat_id), "hello ops")
        .unwrap();
    h.sim
        .admin_removes_participant(now, "bob", &group.chat_id, "dave")
        .unwrap();
    h.sim
        .admin_edits_title(now, &group.chat_id, "Ops (24/7)")
        .unwrap();
    drive(&mut h, &mut dispatched, &mut state);
    let now = h.now;
    h.sim
        .admin_clears_history(now, "bob", &group.chat_id, true)
        .unwrap();
    h.sim.admin_removes_chat(now, &group.chat_id).unwrap();
    h.sim
        .push_raw_event(now, None, "someFutureEvent", json!({"chatId": "c1"}));
    h.sim
        .push_raw_event(now, None, "sendMessage", json!([1, 2]));
    for (method, payload) in documented_events() {
        h.sim.push_raw_event(now, None, &method, payload);
    }
    drive(&mut h, &mut dispatched, &mut state);
    assert!(h.sim.unacked_events().is_empty());
    let payloads = dispatched
        .iter()
        .map(|e| e.payload.to_json_untyped())
        .collect();
    (dispatched, payloads, state)
}

#[test]
fn a_json_bot_dispatches_what_a_typed_bot_dispatches() {
    let tweak = |c: &mut TrueConfBotConfig| c.session.receive_system_envelopes = true;
    let (typed, typed_payloads, typed_state) =
        scenario(TrueConfHarness::bot(SimConfig::default(), tweak));
    let (lean, lean_payloads, lean_state) =
        scenario(TrueConfHarness::bot_json(SimConfig::default(), tweak));
    let heads = |events: &[Event]| events.iter().map(head).collect::<Vec<_>>();
    assert_eq!(heads(&lean), heads(&typed));
    assert_eq!(lean_payloads, typed_payloads);
    assert_eq!(lean_state, typed_state);
    assert!(typed.iter().all(|e| e.trueconf().is_some()));
    assert!(lean.iter().all(|e| e.payload.trueconf_json().is_some()));
    // What the scenario is meant to cover.
    let kinds: Vec<EventKind> = typed.iter().map(|e| e.kind).collect();
    for kind in [
        EventKind::Message,
        EventKind::EditedMessage,
        EventKind::DeletedMessage,
        EventKind::ButtonPress,
        EventKind::MemberJoined,
        EventKind::MemberLeft,
        EventKind::MemberRoleChanged,
        EventKind::ChatCreated,
        EventKind::ChatRemoved,
        EventKind::Unknown,
    ] {
        assert!(kinds.contains(&kind), "no {kind:?} in {kinds:?}");
    }
    // The bot's echoes come back from the server and are dropped.
    assert!(typed
        .iter()
        .all(|e| e.user_key() != Some("trueconf:helpdesk_bot@video.example.com")));
    assert!(typed
        .iter()
        .filter(|e| e.kind == EventKind::Message)
        .any(|e| e.text.as_deref() == Some("hello ops")));

    // A state exported by one form is restored by the other, to the same events.
    let state = serde_json::from_value(typed_state).unwrap();
    let restore = |events: Vec<BotOutput>| -> Vec<Event> {
        events
            .into_iter()
            .filter_map(|o| match o {
                BotOutput::Dispatch { event, .. } => Some(head(&event)),
                _ => None,
            })
            .collect()
    };
    let config = || TrueConfBotConfig::new(sim_session_config(&SimConfig::default()));
    let mut a = TrueConfBot::new(config());
    let mut b = TrueConfBot::new_json(config());
    let (na, nb) = (a.restore_state(0, &state), b.restore_state(0, &state));
    assert!(na > 0);
    assert_eq!(na, nb);
    let (mut from_a, mut from_b) = (Vec::new(), Vec::new());
    while let Some(o) = a.poll_output() {
        from_a.push(o);
    }
    while let Some(o) = b.poll_output() {
        from_b.push(o);
    }
    assert_eq!(restore(from_b), restore(from_a));
}

#[test]
fn a_typed_bot_keeps_typed_events() {
    let config = TrueConfBotConfig::new(sim_session_config(&SimConfig::default()));
    let bot: TrueConfBot = TrueConfBot::new(config);
    let _: &TrueConfSession = bot.session();
    let e = event_from_json(1, "removeChat".into(), r#"{"chatId":"c"}"#.into());
    assert_eq!(
        e.payload.to_json_untyped(),
        json!({"method": "removeChat", "payload": {"chatId": "c"}})
    );
    assert_eq!(
        e.payload.to_json(),
        json!({"method": "removeChat", "payload": {"chatId": "c"}})
    );
}
