//! The TrueConf codec against the reference payloads: every method's request and response,
//! every event and envelope example, both sides of every documented disagreement, open
//! enums, and robustness against truncated, mutated and deeply nested input.

use botwire_core::io::SeededRng;
use botwire_core::trueconf::events::{
    parse_event, CommandPayload, CommandSource, CreatedChatKind, ServerEvent,
};
use botwire_core::trueconf::methods::*;
use botwire_core::trueconf::types::*;
use botwire_core::trueconf::{ErrorCode, Method, TrueConfError};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::fmt::Debug;

const EXCHANGES: &str = include_str!("fixtures/trueconf/exchanges.jsonl");
const EVENTS: &str = include_str!("fixtures/trueconf/events.jsonl");
const ENVELOPES: &str = include_str!("fixtures/trueconf/envelopes.jsonl");

const ALICE_CHAT: &str = "5e0c1a9b7d3f42e6a8b1c0d9e7f6a5b4c3d2e1f0";
const OPS_CHAT: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";
const SERVER: &str = "https://video.example.com";

fn frames(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("fixture line is JSON"))
        .collect()
}

/// The documented request payload of `method` and the response payload (as JSON text) with
/// the same id.
fn exchange(method: &str) -> (Value, String) {
    let all = frames(EXCHANGES);
    let request = all
        .iter()
        .find(|f| f["type"] == 1 && f["method"] == method)
        .unwrap_or_else(|| panic!("no documented request for {method}"));
    let response = all
        .iter()
        .find(|f| f["type"] == 2 && f["id"] == request["id"])
        .unwrap_or_else(|| panic!("no documented response for {method}"));
    (
        request["payload"].clone(),
        serde_json::to_string(&response["payload"]).unwrap(),
    )
}

/// Checks that `m` serialises to the documented request, that the documented request parses
/// back to `m`, and returns the parsed documented response.
fn check<M>(m: M) -> M::Response
where
    M: Method + DeserializeOwned + PartialEq + Debug,
    M::Response: Debug,
{
    assert!(METHOD_NAMES.contains(&M::NAME), "{} not listed", M::NAME);
    let (request, response) = exchange(M::NAME);
    assert_eq!(
        serde_json::to_value(&m).unwrap(),
        request,
        "request payload of {}",
        M::NAME
    );
    assert_eq!(
        serde_json::from_value::<M>(request).unwrap(),
        m,
        "{} request read back",
        M::NAME
    );
    match parse_response::<M>(&response) {
        Ok(r) => r,
        Err(e) => panic!("{}: documented response refused: {e}", M::NAME),
    }
}

fn event(method: &str) -> ServerEvent {
    let frame = frames(EVENTS)
        .into_iter()
        .find(|f| f["method"] == method)
        .unwrap_or_else(|| panic!("no documented {method} event"));
    let payload = serde_json::to_string(&frame["payload"]).unwrap();
    let ev = parse_event(method, &payload);
    assert_eq!(ev.method(), method);
    // The wire form written back parses to the same event.
    assert_eq!(
        parse_event(method, &ev.payload_json()),
        ev,
        "{method} round trip"
    );
    ev
}

fn envelope(json: &str) -> Envelope {
    let env: Envelope = serde_json::from_str(json).expect("envelope parses");
    let again: Envelope = serde_json::from_str(&serde_json::to_string(&env).unwrap()).unwrap();
    assert_eq!(again, env, "envelope round trip");
    env
}

// ---------------------------------------------------------------------------------------------
// Methods: every documented exchange
// ---------------------------------------------------------------------------------------------

#[test]
fn method_names_are_the_34_of_the_reference() {
    assert_eq!(METHOD_NAMES.len(), 34);
    let documented: Vec<String> = frames(EXCHANGES)
        .iter()
        .filter(|f| f["type"] == 1)
        .map(|f| f["method"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(documented, METHOD_NAMES.to_vec());
    let names = [
        Auth::NAME,
        SendMessage::NAME,
        EditMessage::NAME,
        ForwardMessage::NAME,
        RemoveMessage::NAME,
        GetMessageById::NAME,
        GetChatHistory::NAME,
        SendChatActivity::NAME,
        AnswerCommand::NAME,
        SendSurvey::NAME,
        EditSurvey::NAME,
        UploadFile::NAME,
        SendFile::NAME,
        GetFileInfo::NAME,
        GetFileUploadLimits::NAME,
        SubscribeFileProgress::NAME,
        UnsubscribeFileProgress::NAME,
        CreateP2PChat::NAME,
        CreateGroupChat::NAME,
        CreateChannel::NAME,
        CreateFavoritesChat::NAME,
        RemoveChat::NAME,
        GetChats::NAME,
        GetChatByID::NAME,
        EditChatTitle::NAME,
        EditChatAvatar::NAME,
        ClearHistory::NAME,
        AddChatParticipant::NAME,
        RemoveChatParticipant::NAME,
        ChangeParticipantRole::NAME,
        GetChatParticipants::NAME,
        GetChatParticipant::NAME,
        HasChatParticipant::NAME,
        GetUserDisplayName::NAME,
    ];
    assert_eq!(names, METHOD_NAMES);
}

#[test]
fn auth() {
    let r = check(Auth::new("eyJhbGciOi…"));
    assert_eq!(r.user_id, "helpdesk_bot@video.example.com/7d0f9a2c");
    assert_eq!(r.bot_id(), "helpdesk_bot@video.example.com");
    assert_eq!(r.connection_id, "b6c1e2f0-3a44-4c1e-9d0a-5f2b7c8e1a90");
    let on = Auth::new("t")
        .receive_unread(true)
        .receive_system_message_envelopes(true);
    assert_eq!(
        serde_json::to_value(&on).unwrap(),
        json!({"token":"t","tokenType":"JWT","receiveUnread":true,"receiveSystemMessageEnvelopes":true})
    );
}

#[test]
fn send_message() {
    let m = SendMessage::new(ALICE_CHAT, "Your invoice is **on its way**")
        .parse_mode(ParseMode::Markdown)
        .reply_to("c3a1f0e2-6b7d-4e8f-9a0b-1c2d3e4f5a6b")
        .buttons(vec![vec![
            Button::url("Open", "https://billing.example.com/inv/88"),
            Button::command("Done", "/done")
                .custom_data("inv:88")
                .style(ButtonStyle::Success),
        ]]);
    assert_eq!(m.validate(), Ok(()));
    let r = check(m);
    assert_eq!(
        r,
        SentMessage {
            chat_id: ALICE_CHAT.into(),
            message_id: "e9d8c7b6-a5f4-4e3d-8c2b-1a0f9e8d7c6b".into(),
            timestamp: 1781234570011,
        }
    );
}

#[test]
fn edit_message() {
    let r = check(EditMessage::new(
        "e9d8c7b6-a5f4-4e3d-8c2b-1a0f9e8d7c6b",
        "Invoice sent ✔",
    ));
    assert_eq!(r.message_id, "e9d8c7b6-a5f4-4e3d-8c2b-1a0f9e8d7c6b");
    assert_eq!(r.timestamp, 1781234599000);
}

#[test]
fn forward_message() {
    let r = check(ForwardMessage::new(
        "c3a1f0e2-6b7d-4e8f-9a0b-1c2d3e4f5a6b",
        OPS_CHAT,
    ));
    assert_eq!(r.chat_id, OPS_CHAT);
    assert_eq!(r.message_id, "3f2e1d0c-bbbb-4ccc-9ddd-eeeeffff0001");
    assert_eq!(r.timestamp, 1781234610000);
}

#[test]
fn remove_message() {
    assert_eq!(
        check(RemoveMessage::new(
            "3f2e1d0c-bbbb-4ccc-9ddd-eeeeffff0001",
            true
        )),
        Empty
    );
}

#[test]
fn get_message_by_id() {
    let env = check(GetMessageById::new("c3a1f0e2-6b7d-4e8f-9a0b-1c2d3e4f5a6b"));
    assert_eq!(env.chat_id(), ALICE_CHAT);
    assert_eq!(env.chat.chat_title.as_deref(), Some("Alice Meyer"));
    assert_eq!(env.chat.chat_type, ChatType::P2P);
    assert_eq!(
        env.message_box,
        Some(MessageBox {
            id: 118,
            position: "117".into()
        })
    );
    assert_eq!(env.is_edited, Some(false));
    assert_eq!(
        env.content,
        Content::Text {
            text: "Where is my <b>invoice</b>?".into(),
            parse_mode: ParseMode::Html,
            buttons: None
        }
    );
}

#[test]
fn get_chat_history() {
    let m = GetChatHistory::new(OPS_CHAT, 2);
    let h = check(m.clone());
    assert_eq!(h.count, 2);
    assert_eq!(h.chat_id, OPS_CHAT);
    assert_eq!(h.messages.len(), 2);
    assert_eq!(h.messages[0].text(), Some("Server rack B is down"));
    assert_eq!(
        h.messages[0].author,
        Author::user("carol@video.example.com")
    );
    assert_eq!(h.messages[1].kind, EnvelopeType::ADD_PARTICIPANT);
    assert!(h.messages[1].is_system());
    assert_eq!(h.messages[1].is_edited, None);
    assert_eq!(
        h.messages[1].content,
        Content::ParticipantAdded {
            user_id: "bob@video.example.com".into(),
            role: Role::User
        }
    );
    // fromMessageId is sent only when set, never as null.
    let paged = serde_json::to_value(m.from_message_id("77aa")).unwrap();
    assert_eq!(paged["fromMessageId"], "77aa");
    let plain = serde_json::to_value(GetChatHistory::new(OPS_CHAT, 2)).unwrap();
    assert!(plain.get("fromMessageId").is_none());
}

#[test]
fn send_chat_activity() {
    let r = check(SendChatActivity::new(ALICE_CHAT, ActivityType::Typing));
    assert_eq!(r.activity_type, ActivityType::Typing);
    assert_eq!(r.retry_after, Some(4500));
}

#[test]
fn answer_command() {
    let m = AnswerCommand::new("cmd-5521", AnswerType::Message, "Marked as done")
        .status(CommandStatus::Ok)
        .visibility(CommandVisibility::Toast)
        .level(CommandLevel::Info);
    assert_eq!(m.validate(), Ok(()));
    assert_eq!(check(m), Empty);
    assert!(AnswerCommand::new("c", AnswerType::Cancel, "")
        .validate()
        .is_err());
    assert!(AnswerCommand::new("c", AnswerType::Cancel, "é")
        .validate()
        .is_err());
    assert!(AnswerCommand::new("c", AnswerType::Cancel, "x".repeat(256))
        .validate()
        .is_err());
}

#[test]
fn send_survey() {
    let mut content =
        SurveyContent::for_campaign(SERVER, "c0ffee12", "Lunch options", false, b"seed-bytes");
    let secret = content.secret.clone().unwrap();
    assert_eq!(secret.len(), 40);
    assert!(secret.bytes().all(|b| b.is_ascii_hexdigit()));
    // The documented secret came from random bytes we do not know; everything else is derived.
    content.secret = Some("4b7d1e0a9c2f3e5d6a8b0c1d2e3f405162738495".into());
    let r = check(SendSurvey::new(OPS_CHAT, content));
    assert_eq!(r.message_id, "aa11bb22-cc33-4d44-8e55-ff6600778899");
    assert_eq!(r.timestamp, 1781236000000);
    // Same bytes, same secret: no hidden randomness.
    assert_eq!(survey_secret("Lunch options", b"seed-bytes"), secret);
    assert_ne!(survey_secret("Lunch options", b"other"), secret);
}

#[test]
fn edit_survey() {
    let content =
        EditSurveyContent::for_campaign(SERVER, "c0ffee12", "Lunch options (closes 12:00)", true);
    let r = check(EditSurvey::new(
        "aa11bb22-cc33-4d44-8e55-ff6600778899",
        content,
    ));
    assert_eq!(r.timestamp, 1781236100000);
    let escaped = survey_alt(SERVER, "a b", "<Tom & 'Jerry'>");
    assert!(escaped.contains("id=a%20b&error"));
    assert!(escaped.ends_with(">&lt;Tom &amp; &#39;Jerry&#39;&gt;</a>"));
}

#[test]
fn upload_file() {
    let r = check(UploadFile::new(48213, "report-q3.pdf"));
    assert_eq!(r.upload_task_id, "6a7b8c9d-0e1f-4a2b-9c3d-4e5f6a7b8c9d");
}

#[test]
fn send_file() {
    let r = check(SendFile::new(ALICE_CHAT, "tmpf-91c2d3").caption("Q3 report", ParseMode::Text));
    assert_eq!(
        r.file_id.as_deref(),
        Some("8d7c6b5a-4f3e-4d2c-8b1a-0f9e8d7c6b5a")
    );
    assert_eq!(
        r.caption_message_id.as_deref(),
        Some("f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5c")
    );
    let reply = serde_json::to_value(SendFile::new("c", "t").reply_to("m")).unwrap();
    assert_eq!(
        reply,
        json!({"chatId":"c","replyMessageId":"m","content":{"temporalFileId":"t"}})
    );
}

#[test]
fn get_file_info() {
    let info = check(GetFileInfo::new("8d7c6b5a-4f3e-4d2c-8b1a-0f9e8d7c6b5a"));
    assert_eq!(info.name, "report-q3.pdf");
    assert_eq!(info.size, 48213);
    assert_eq!(info.mime_type.as_deref(), Some("application/pdf"));
    assert_eq!(info.ready_state, FileReadyState::READY);
    assert_eq!(info.file_id, "8d7c6b5a-4f3e-4d2c-8b1a-0f9e8d7c6b5a");
    assert!(info.download_url.unwrap().contains("?token=Zx81kq"));
    assert_eq!(info.previews, None);
}

#[test]
fn get_file_upload_limits() {
    let limits = check(GetFileUploadLimits::new());
    assert_eq!(limits.max_size, Some(104857600));
    let rule = limits.extensions.clone().unwrap();
    assert_eq!(rule.mode, ExtensionMode::Block);
    assert_eq!(rule.list, ["exe", "bat", "cmd"]);
    assert_eq!(limits.check("report.pdf", 48213), Ok(()));
    assert!(limits.check("Setup.EXE", 1).is_err());
    assert!(limits.check("big.pdf", 104857601).is_err());
    assert_eq!(
        serde_json::to_string(&GetFileUploadLimits::new()).unwrap(),
        "{}"
    );
}

#[test]
fn file_progress_subscriptions() {
    let id = "2b3c4d5e-6f70-4812-9a3b-4c5d6e7f8091";
    assert!(check(SubscribeFileProgress::new(id)).result);
    assert!(check(UnsubscribeFileProgress::new(id)).result);
}

#[test]
fn create_chats() {
    assert_eq!(
        check(CreateP2PChat::new("bob@video.example.com")).chat_id,
        "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"
    );
    assert_eq!(
        check(CreateGroupChat::new("Night shift")).chat_id,
        "9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d"
    );
    assert_eq!(
        check(CreateChannel::new("Release notes")).chat_id,
        "1c2b3a4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"
    );
    assert_eq!(
        check(CreateFavoritesChat::new()).chat_id,
        "fa00fa00fa00fa00fa00fa00fa00fa00fa00fa00"
    );
    assert_eq!(
        check(RemoveChat::new("9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d")),
        Empty
    );
}

#[test]
fn get_chats() {
    let Chats(chats) = check(GetChats::new(2, 1));
    assert_eq!(chats.len(), 2);
    assert_eq!(chats[0].title.as_deref(), Some("Alice Meyer"));
    assert_eq!(chats[0].chat_type, ChatType::P2P);
    let last = chats[0].last_message.as_ref().unwrap();
    assert_eq!(last.kind, EnvelopeType::PLAIN_MESSAGE);
    assert_eq!(last.content.as_text(), Some("Q3 report"));
    assert_eq!(last.chat.as_ref().unwrap().chat_id, ALICE_CHAT);
    assert_eq!(chats[1].unread_messages, 3);
    assert_eq!(
        chats[1].avatar_url.as_deref(),
        Some("https://video.example.com/avatars/ops.png")
    );
    assert_eq!(chats[1].last_message, None);
}

#[test]
fn get_chat_by_id() {
    let chat = check(GetChatByID::new(OPS_CHAT));
    assert_eq!(chat.chat_id, OPS_CHAT);
    assert_eq!(chat.chat_type, ChatType::GROUP);
    assert_eq!(chat.unread_messages, 3);
    // The reference's error example.
    let err = parse_response::<GetChatByID>(r#"{"errorCode":304}"#).unwrap_err();
    assert_eq!(
        err,
        TrueConfError::Server {
            code: ErrorCode::CHAT_NOT_FOUND,
            description: None
        }
    );
}

#[test]
fn edit_chats() {
    let r = check(EditChatTitle::new(OPS_CHAT, "Ops (24/7)"));
    assert_eq!((r.chat_id.as_str(), r.timestamp), (OPS_CHAT, 1781236300000));
    assert_eq!(check(EditChatAvatar::new(OPS_CHAT, "tmpf-77a1b2")), Empty);
    assert_eq!(check(ClearHistory::new(OPS_CHAT, false)), Empty);
}

#[test]
fn participants() {
    let dave = "dave@video.example.com";
    assert_eq!(check(AddChatParticipant::new(OPS_CHAT, dave, true)), Empty);
    assert_eq!(
        check(RemoveChatParticipant::new(OPS_CHAT, dave, false)),
        Empty
    );
    assert_eq!(
        check(ChangeParticipantRole::new(OPS_CHAT, dave, Role::Admin)),
        Empty
    );
    let list = check(GetChatParticipants::new(OPS_CHAT, 50, 1));
    assert_eq!(
        list.participants,
        vec![
            Participant::new("carol@video.example.com", Role::Owner),
            Participant::new("helpdesk_bot@video.example.com", Role::Admin),
            Participant::new("bob@video.example.com", Role::User),
        ]
    );
    let bob = check(GetChatParticipant::new(OPS_CHAT, "bob@video.example.com"));
    assert_eq!(bob.role, Role::User);
    assert_eq!(bob.kind, Some(AuthorType::USER));
    assert!(!check(HasChatParticipant::new(OPS_CHAT, "eve@video.example.com")).result);
    assert_eq!(
        check(GetUserDisplayName::new("alice@video.example.com")).display_name,
        "Alice Meyer"
    );
}

#[test]
fn responses_serialise_to_what_they_parse_from() {
    // The fake server encodes responses with the same types.
    let (_, response) = exchange("getChats");
    let chats = parse_response::<GetChats>(&response).unwrap();
    let again = serde_json::to_string(&chats).unwrap();
    assert_eq!(parse_response::<GetChats>(&again).unwrap(), chats);
    assert_eq!(
        serde_json::to_value(&chats).unwrap(),
        serde_json::from_str::<Value>(&response).unwrap()
    );
    let (_, response) = exchange("getFileInfo");
    let info = parse_response::<GetFileInfo>(&response).unwrap();
    assert_eq!(
        serde_json::to_value(&info).unwrap(),
        serde_json::from_str::<Value>(&response).unwrap()
    );
    assert_eq!(serde_json::to_string(&Empty).unwrap(), "{}");
}

// ---------------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------------

#[test]
fn button_limits() {
    let row = |n: usize| -> Vec<Button> {
        (0..n)
            .map(|i| Button::command(format!("b{i}"), format!("/c{i}")))
            .collect()
    };
    let ok = SendMessage::new("c", "t").buttons(vec![row(8); 8]);
    assert_eq!(ok.validate(), Ok(()));
    for bad in [vec![row(1); 9], vec![row(9)]] {
        let err = SendMessage::new("c", "t").buttons(bad.clone()).validate();
        assert!(
            matches!(err, Err(TrueConfError::InvalidArgument(_))),
            "{err:?}"
        );
        let err = EditMessage::new("m", "t").buttons(bad).validate();
        assert!(
            matches!(err, Err(TrueConfError::InvalidArgument(_))),
            "{err:?}"
        );
    }
    let long_label =
        SendMessage::new("c", "t").buttons(vec![vec![Button::copy("x".repeat(33), "d")]]);
    assert!(long_label.validate().is_err());
    assert_eq!(EditMessage::new("m", "no buttons").validate(), Ok(()));
}

#[test]
fn buttons_omit_unset_and_default_keys() {
    let b = Button::message("Hi", "hello")
        .style(ButtonStyle::Default)
        .draft(false);
    assert_eq!(
        serde_json::to_value(&b).unwrap(),
        json!({"label":"Hi","type":"message","message":"hello"})
    );
    let b = Button::message("Hi", "hello").draft(true).id("b1");
    assert_eq!(
        serde_json::to_value(&b).unwrap(),
        json!({"label":"Hi","type":"message","message":"hello","draft":true,"id":"b1"})
    );
    let b = Button::command("Go", "/go").to("bob@video.example.com");
    assert_eq!(
        serde_json::to_value(&b).unwrap(),
        json!({"label":"Go","type":"command","command":"/go","to":"bob@video.example.com"})
    );
    assert_eq!(
        serde_json::to_value(Button::copy("Copy", "code-42")).unwrap(),
        json!({"label":"Copy","type":"copy","data":"code-42"})
    );
    // Unknown button types and styles are kept.
    let b: Button = serde_json::from_value(
        json!({"type":"poll","label":"P","style":"neon","extra":1,"waitReply":true}),
    )
    .unwrap();
    assert_eq!(b.kind, ButtonType::Other("poll".into()));
    assert_eq!(b.style, Some(ButtonStyle::Other("neon".into())));
    assert_eq!(b.wait_reply, Some(true));
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

#[test]
fn message_event() {
    let ServerEvent::Message(env) = event("sendMessage") else {
        panic!("not a message")
    };
    assert_eq!(env.chat_id(), ALICE_CHAT);
    assert_eq!(env.message_id, "c3a1f0e2-6b7d-4e8f-9a0b-1c2d3e4f5a6b");
    assert_eq!(env.timestamp, 1781234567890);
    assert_eq!(env.author, Author::user("alice@video.example.com"));
    assert_eq!(env.text(), Some("Where is my <b>invoice</b>?"));
    assert_eq!(
        parse_event("sendMessage", &serde_json::to_string(&env).unwrap()).chat_id(),
        Some(ALICE_CHAT)
    );
}

#[test]
fn command_event() {
    let ev = event("command");
    assert_eq!(ev.chat_id(), Some(ALICE_CHAT));
    let ServerEvent::Command {
        command_id,
        source,
        payload,
    } = ev
    else {
        panic!("not a command")
    };
    assert_eq!(command_id.as_deref(), Some("cmd-5521"));
    assert_eq!(source.kind, "inlineKeyboard");
    assert_eq!(source.button_id.as_deref(), Some("done-88"));
    let msg = source.message.unwrap();
    assert_eq!(msg.message_id, "e9d8c7b6-a5f4-4e3d-8c2b-1a0f9e8d7c6b");
    assert_eq!(msg.author.id, "helpdesk_bot@video.example.com");
    assert_eq!(
        payload,
        CommandPayload {
            kind: "userCommand".into(),
            command: "/done".into(),
            custom_data: Some("inv:88".into())
        }
    );
}

#[test]
fn message_edited_and_removed_events() {
    assert_eq!(
        event("editMessage"),
        ServerEvent::MessageEdited {
            chat_id: ALICE_CHAT.into(),
            message_id: None,
            timestamp: 1781234620000,
            content: TextContent::new("Where is my invoice #88?", ParseMode::Text),
        }
    );
    assert_eq!(
        event("removeMessage"),
        ServerEvent::MessageRemoved {
            chat_id: OPS_CHAT.into(),
            message_id: "77aa88bb-99cc-4dde-8eff-001122334455".into(),
            removed_by: Author::user("carol@video.example.com"),
        }
    );
}

#[test]
fn chat_events() {
    assert_eq!(
        event("createP2PChat"),
        ServerEvent::ChatCreated {
            kind: CreatedChatKind::P2P,
            chat: Chat::new(
                "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c",
                Some("Bob Lee".into()),
                ChatType::P2P
            ),
        }
    );
    // No documented examples for the other three; same chat object.
    for (method, kind, title, chat_type) in [
        (
            "createGroupChat",
            CreatedChatKind::Group,
            json!("Night shift"),
            2,
        ),
        (
            "createChannel",
            CreatedChatKind::Channel,
            json!("Release notes"),
            6,
        ),
        (
            "createFavoritesChat",
            CreatedChatKind::Favorites,
            Value::Null,
            5,
        ),
    ] {
        let payload = json!({"chatId":"c1","title":title,"chatType":chat_type,"lastMessage":null,"unreadMessages":0});
        let ev = parse_event(method, &payload.to_string());
        let ServerEvent::ChatCreated { kind: k, chat } = &ev else {
            panic!("{method}: {ev:?}")
        };
        assert_eq!(*k, kind);
        assert_eq!(
            chat.title.as_ref().map(|t| json!(t)).unwrap_or(Value::Null),
            title
        );
        assert_eq!(chat.chat_type, ChatType(chat_type));
        assert_eq!(ev.method(), method);
        assert_eq!(ev.chat_id(), Some("c1"));
        assert_eq!(
            serde_json::from_str::<Value>(&ev.payload_json()).unwrap(),
            payload
        );
    }
    assert_eq!(
        event("removeChat"),
        ServerEvent::ChatRemoved {
            chat_id: "9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d".into()
        }
    );
    assert_eq!(
        event("editChatTitle"),
        ServerEvent::TitleChanged {
            chat_id: OPS_CHAT.into(),
            title: "Ops (24/7)".into()
        }
    );
    assert_eq!(
        event("editChatAvatar"),
        ServerEvent::AvatarChanged {
            chat_id: OPS_CHAT.into(),
            avatar_url: Some("https://video.example.com/avatars/ops-2.png".into())
        }
    );
    assert_eq!(
        event("clearHistory"),
        ServerEvent::HistoryCleared {
            chat_id: OPS_CHAT.into(),
            for_all: true
        }
    );
}

#[test]
fn participant_events() {
    let carol = Author::user("carol@video.example.com");
    assert_eq!(
        event("addChatParticipant"),
        ServerEvent::ParticipantAdded {
            timestamp: 1781236400000,
            chat_id: OPS_CHAT.into(),
            user_id: "dave@video.example.com".into(),
            added_by: carol.clone(),
        }
    );
    assert_eq!(
        event("removeChatParticipant"),
        ServerEvent::ParticipantRemoved {
            timestamp: 1781236500000,
            chat_id: OPS_CHAT.into(),
            user_id: "dave@video.example.com".into(),
            removed_by: carol,
        }
    );
    assert_eq!(
        event("changeParticipantRole"),
        ServerEvent::RoleChanged {
            timestamp: 1781236600000,
            chat_id: OPS_CHAT.into(),
            user_id: "bob@video.example.com".into(),
            role: Role::Writer,
        }
    );
}

#[test]
fn file_events() {
    let ev = event("getFileUploadLimits");
    assert_eq!(ev, ServerEvent::UploadLimits(UploadLimits::default()));
    assert_eq!(ev.chat_id(), None);
    assert_eq!(ev.payload_json(), r#"{"maxSize":null,"extensions":null}"#);
    assert_eq!(
        UploadLimits::default().check("anything.exe", u64::MAX),
        Ok(())
    );
    assert_eq!(
        event("uploadFileProgress"),
        ServerEvent::UploadProgress {
            file_id: "2b3c4d5e-6f70-4812-9a3b-4c5d6e7f8091".into(),
            progress: 1048576
        }
    );
}

#[test]
fn every_documented_event_is_typed() {
    let all = frames(EVENTS);
    assert_eq!(all.len(), 14);
    for f in all {
        let method = f["method"].as_str().unwrap();
        let ev = parse_event(method, &f["payload"].to_string());
        assert!(
            !matches!(ev, ServerEvent::Unknown { .. }),
            "{method}: {ev:?}"
        );
        assert_eq!(ev.method(), method);
    }
}

#[test]
fn unknown_events_are_kept_raw() {
    let payload = r#"{"whatever":[1,2,3]}"#;
    let ev = parse_event("reactionAdded", payload);
    assert_eq!(
        ev,
        ServerEvent::Unknown {
            method: "reactionAdded".into(),
            payload: payload.into()
        }
    );
    assert_eq!(ev.method(), "reactionAdded");
    assert_eq!(ev.chat_id(), None);
    assert_eq!(ev.payload_json(), payload);
    // Known method, payload that does not fit, or not an object.
    for (method, payload) in [
        ("removeMessage", r#"{"chatId":"c"}"#),
        ("uploadFileProgress", r#"{"fileId":"f","progress":"lots"}"#),
        ("sendMessage", r#"[1]"#),
        ("clearHistory", "null"),
        ("editChatTitle", "not json"),
    ] {
        assert!(
            matches!(parse_event(method, payload), ServerEvent::Unknown { .. }),
            "{method} {payload}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Envelopes and contents
// ---------------------------------------------------------------------------------------------

#[test]
fn forwarded_and_system_envelopes() {
    let mut lines = ENVELOPES.lines();
    let fwd = envelope(lines.next().unwrap());
    assert_eq!(fwd.kind, EnvelopeType::FORWARDED_MESSAGE);
    assert_eq!(fwd.chat_id(), ALICE_CHAT);
    let Content::Forward(inner) = &fwd.content else {
        panic!("{:?}", fwd.content)
    };
    assert_eq!(inner.chat_id(), OPS_CHAT);
    assert_eq!(inner.chat.chat_type, ChatType::GROUP);
    assert_eq!(inner.message_box, None);
    assert_eq!(inner.author.id, "carol@video.example.com");
    assert_eq!(inner.text(), Some("Server rack B is down"));
    // Serialising a forward writes the inner envelope without a box.
    let wire = serde_json::to_value(&fwd).unwrap();
    assert!(wire["content"].get("box").is_none());
    assert_eq!(
        wire,
        serde_json::from_str::<Value>(ENVELOPES.lines().next().unwrap()).unwrap()
    );

    let sys = envelope(lines.next().unwrap());
    assert_eq!(sys.author, Author::system("trueconf.server"));
    assert!(sys.is_system());
    assert_eq!(
        sys.content,
        Content::ParticipantAdded {
            user_id: "bob@video.example.com".into(),
            role: Role::User
        }
    );
}

#[test]
fn flattened_forward_of_a_forward() {
    // The inner envelope says 201 but carries the deepest original's text.
    let env = envelope(
        r#"{"chatId":"c","messageId":"m2","timestamp":2,"author":{"id":"a@x","type":1},"box":{"id":2,"position":"1"},"type":201,"isEdited":false,
            "content":{"chat":{"chatId":"d","chatTitle":null,"chatType":2},"chatId":"d","messageId":"m1","timestamp":1,
                       "author":{"id":"b@x","type":1},"type":201,"isEdited":false,"content":{"text":"original","parseMode":"text"}}}"#,
    );
    let Content::Forward(inner) = &env.content else {
        panic!()
    };
    assert_eq!(inner.kind, EnvelopeType::FORWARDED_MESSAGE);
    assert_eq!(inner.text(), Some("original"));
    assert_eq!(inner.chat.chat_title, None);
}

fn with_content(kind: i64, content: Value) -> Envelope {
    let json = json!({"chat":{"chatId":"c","chatTitle":"T","chatType":2},"chatId":"c","messageId":"m","timestamp":1,
        "author":{"id":"a@x","type":1},"box":{"id":1,"position":"0"},"type":kind,"content":content,"isEdited":false});
    envelope(&json.to_string())
}

#[test]
fn every_content_type() {
    for (mime, kind) in [
        ("image/jpeg", AttachmentKind::Photo),
        ("video/mp4", AttachmentKind::Video),
        ("sticker/webp", AttachmentKind::Sticker),
        ("application/pdf", AttachmentKind::Document),
    ] {
        let env = with_content(
            202,
            json!({"name":"f","size":10,"fileId":"F","mimeType":mime,"readyState":2}),
        );
        assert_eq!(env.content.attachment_kind(), Some(kind));
        assert_eq!(
            env.content,
            Content::Attachment {
                name: "f".into(),
                size: 10,
                file_id: Some("F".into()),
                mime_type: Some(mime.into()),
                ready_state: Some(FileReadyState::READY)
            }
        );
    }
    let no_state = with_content(202, json!({"name":"f","size":1}));
    assert_eq!(
        no_state.content.attachment_kind(),
        Some(AttachmentKind::Document)
    );
    assert_eq!(
        with_content(
            203,
            json!({"latitude":55.75,"longitude":37.61,"title":"Red Square"})
        )
        .content,
        Content::Location {
            latitude: 55.75,
            longitude: 37.61,
            title: "Red Square".into()
        }
    );
    let survey = with_content(
        204,
        json!({"url":"https://s/webtools/survey","title":"Lunch","path":"p1"}),
    );
    let Content::Survey(s) = &survey.content else {
        panic!()
    };
    assert_eq!((s.title.as_str(), s.path.as_deref()), ("Lunch", Some("p1")));
    assert_eq!(
        with_content(
            205,
            json!({"fileId":"v","size":9,"mimeType":"voice/m4a","duration":3120})
        )
        .content,
        Content::Voice {
            file_id: "v".into(),
            size: 9,
            mime_type: "voice/m4a".into(),
            duration: Some(3120)
        }
    );
    assert_eq!(
        with_content(2, json!({"userId":"u@x"})).content,
        Content::ParticipantRemoved {
            user_id: "u@x".into()
        }
    );
    assert_eq!(
        with_content(21, json!({"title":"New"})).content,
        Content::TitleChanged {
            title: "New".into()
        }
    );
    assert_eq!(
        with_content(22, json!({"avatarUrl":"https://a"})).content,
        Content::AvatarChanged {
            avatar_url: Some("https://a".into())
        }
    );
    assert_eq!(
        with_content(110, json!({"userId":"u@x","role":"admin"})).content,
        Content::RoleChanged {
            user_id: "u@x".into(),
            role: Role::Admin
        }
    );
    let with_buttons = with_content(
        200,
        json!({"text":"t","parseMode":"text","buttons":[[{"type":"command","label":"Go","command":"/go"}]]}),
    );
    let Content::Text { buttons, .. } = &with_buttons.content else {
        panic!()
    };
    assert_eq!(
        buttons.as_ref().unwrap()[0][0],
        Button::command("Go", "/go")
    );
}

#[test]
fn unknown_and_misfit_contents_are_kept_raw() {
    let raw = json!({"emoji":"👍","count":3});
    let env = with_content(999, raw.clone());
    assert_eq!(
        env.content,
        Content::Unknown {
            kind: EnvelopeType(999),
            raw: raw.clone()
        }
    );
    assert_eq!(env.kind, EnvelopeType(999));
    assert_eq!(serde_json::to_value(&env).unwrap()["content"], raw);
    // A known type whose content does not fit.
    let misfit = with_content(200, json!({"caption":"no text"}));
    assert!(matches!(
        misfit.content,
        Content::Unknown {
            kind: EnvelopeType::PLAIN_MESSAGE,
            ..
        }
    ));
    let not_object = with_content(202, json!("just a string"));
    assert!(matches!(not_object.content, Content::Unknown { .. }));
}

#[test]
fn replies_are_expanded_one_level() {
    let env = envelope(
        r#"{"chat":{"chatId":"c","chatTitle":null,"chatType":1},"chatId":"c","messageId":"m2","timestamp":2,
            "author":{"id":"a@x","type":1},"box":{"id":2,"position":"1"},"type":200,"isEdited":true,
            "content":{"text":"yes","parseMode":"text"},"replyMessageId":"m1",
            "replyMessage":{"chat":{"chatId":"c","chatTitle":null,"chatType":1},"chatId":"c","messageId":"m1","timestamp":1,
              "author":{"id":"b@x","type":1},"type":200,"isEdited":false,"content":{"text":"?","parseMode":"text"}}}"#,
    );
    assert_eq!(env.reply_message_id.as_deref(), Some("m1"));
    assert_eq!(env.reply_message.as_ref().unwrap().text(), Some("?"));
    assert_eq!(env.is_edited, Some(true));
    // A reply that does not parse is dropped, not fatal.
    let broken = with_content(200, json!({"text":"t","parseMode":"text"}));
    let mut wire = serde_json::to_value(&broken).unwrap();
    wire["replyMessageId"] = json!("m0");
    wire["replyMessage"] = json!({"nonsense":true});
    let env: Envelope = serde_json::from_value(wire).unwrap();
    assert_eq!(env.reply_message, None);
    assert_eq!(env.reply_message_id.as_deref(), Some("m0"));
}

#[test]
fn envelope_constructor_and_wire_form() {
    let env = Envelope::new(
        ChatRef::new("c", Some("Ops".into()), ChatType::GROUP),
        "m",
        5,
        Author::user("a@x"),
        Content::text("hi", ParseMode::Html),
    )
    .with_box(7, "6");
    assert_eq!(
        serde_json::to_value(&env).unwrap(),
        json!({"chat":{"chatId":"c","chatTitle":"Ops","chatType":2},"chatId":"c","messageId":"m","timestamp":5,
               "author":{"id":"a@x","type":1},"box":{"id":7,"position":"6"},"type":200,
               "content":{"text":"hi","parseMode":"html"},"isEdited":false})
    );
    let sys = Envelope::new(
        ChatRef::new("c", None, ChatType::GROUP),
        "s",
        5,
        Author::system("trueconf.server"),
        Content::HistoryCleared { for_all: true },
    );
    let wire = serde_json::to_value(&sys).unwrap();
    assert_eq!(wire["type"], 23);
    assert_eq!(wire["content"], json!({"forAll":true}));
    assert!(wire.get("isEdited").is_none());
    assert_eq!(wire["chat"]["chatTitle"], Value::Null);
}

// ---------------------------------------------------------------------------------------------
// Section 13: both forms accepted, the library's form sent
// ---------------------------------------------------------------------------------------------

#[test]
fn disagreement_create_group_chat_name_or_title() {
    let docs: CreateGroupChat = serde_json::from_str(r#"{"name":"Night shift"}"#).unwrap();
    let lib: CreateGroupChat = serde_json::from_str(r#"{"title":"Night shift"}"#).unwrap();
    assert_eq!(docs, lib);
    assert_eq!(
        serde_json::to_string(&docs).unwrap(),
        r#"{"title":"Night shift"}"#
    );
}

#[test]
fn disagreement_roles_numbers_or_strings() {
    let ints = parse_response::<GetChatParticipants>(
        r#"{"participants":[{"userId":"a","role":0},{"userId":"b","role":1},{"userId":"c","role":2},
            {"userId":"d","role":3},{"userId":"e","role":4},{"userId":"f","role":5},{"userId":"g","role":6}]}"#,
    )
    .unwrap();
    let roles: Vec<Role> = ints.participants.iter().map(|p| p.role.clone()).collect();
    assert_eq!(roles, Role::KNOWN.to_vec());
    assert_eq!(
        serde_json::to_value(&ints.participants[3]).unwrap(),
        json!({"userId":"d","role":"conf_owner"})
    );
    let ev = parse_event(
        "changeParticipantRole",
        r#"{"timestamp":1,"chatId":"c","userId":"u","role":1}"#,
    );
    assert!(matches!(
        ev,
        ServerEvent::RoleChanged {
            role: Role::Admin,
            ..
        }
    ));
    assert_eq!(
        serde_json::to_value(ChangeParticipantRole::new("c", "u", Role::FavoritesOwner)).unwrap()
            ["role"],
        "favorites_owner"
    );
    let env = with_content(1, json!({"userId":"u","role":6}));
    assert!(matches!(
        env.content,
        Content::ParticipantAdded {
            role: Role::Writer,
            ..
        }
    ));
}

#[test]
fn disagreement_progress_event_name() {
    let payload = r#"{"fileId":"f","progress":10}"#;
    assert_eq!(
        parse_event("uploadingProgress", payload),
        parse_event("uploadFileProgress", payload)
    );
}

#[test]
fn disagreement_upload_file_fields() {
    let old: UploadFile = serde_json::from_str(r#"{"fileSize":5}"#).unwrap();
    assert_eq!(old.file_size, 5);
    assert_eq!(
        serde_json::to_value(UploadFile::new(5, "a.txt")).unwrap(),
        json!({"fileSize":5,"fileName":"a.txt"})
    );
}

#[test]
fn disagreement_reply_message_id() {
    // Sent as null when absent (like the library); absent, null or a string accepted.
    let sent = serde_json::to_value(SendMessage::new("c", "t")).unwrap();
    assert_eq!(sent["replyMessageId"], Value::Null);
    assert!(sent.as_object().unwrap().contains_key("replyMessageId"));
    for (payload, expected) in [
        (
            r#"{"chatId":"c","content":{"text":"t","parseMode":"text"}}"#,
            None,
        ),
        (
            r#"{"chatId":"c","replyMessageId":null,"content":{"text":"t","parseMode":"text"}}"#,
            None,
        ),
        (
            r#"{"chatId":"c","replyMessageId":"m","content":{"text":"t","parseMode":"text"}}"#,
            Some("m"),
        ),
    ] {
        let m: SendMessage = serde_json::from_str(payload).unwrap();
        assert_eq!(m.reply_message_id.as_deref(), expected);
    }
    let survey = SendSurvey::new(
        "c",
        SurveyContent::for_campaign(SERVER, "p", "t", true, &[]),
    );
    assert_eq!(
        serde_json::to_value(&survey).unwrap()["replyMessageId"],
        Value::Null
    );
    assert_eq!(
        serde_json::to_value(survey.reply_to("m")).unwrap()["replyMessageId"],
        "m"
    );
}

#[test]
fn disagreement_get_chats_array_or_object() {
    let chat = r#"{"chatId":"c","title":"T","chatType":2,"unreadMessages":0}"#;
    let bare = parse_response::<GetChats>(&format!("[{chat}]")).unwrap();
    let wrapped =
        parse_response::<GetChats>(&format!(r#"{{"chats":[{chat}],"errorCode":0}}"#)).unwrap();
    assert_eq!(bare, wrapped);
    assert_eq!(bare.0.len(), 1);
    assert_eq!(parse_response::<GetChats>("[]").unwrap(), Chats(vec![]));
    assert!(matches!(
        parse_response::<GetChats>(r#"{"errorCode":303}"#),
        Err(TrueConfError::Server {
            code: ErrorCode::NOT_ENOUGH_RIGHTS,
            ..
        })
    ));
}

#[test]
fn disagreement_error_code_on_success() {
    for payload in [
        "{}",
        r#"{"errorCode":0}"#,
        r#"{"errorCode":0,"errorDescription":"ok"}"#,
    ] {
        assert_eq!(parse_response::<RemoveChat>(payload), Ok(Empty));
    }
    assert_eq!(
        parse_response::<CreateP2PChat>(r#"{"chatId":"c","errorCode":0}"#)
            .unwrap()
            .chat_id,
        "c"
    );
    let err =
        parse_response::<RemoveChat>(r#"{"errorCode":9999,"errorDescription":"new failure"}"#)
            .unwrap_err();
    assert_eq!(
        err,
        TrueConfError::Server {
            code: ErrorCode(9999),
            description: Some("new failure".into())
        }
    );
}

#[test]
fn disagreement_message_chat_id() {
    let base = json!({"messageId":"m","timestamp":1,"author":{"id":"a","type":1},"type":200,
                      "content":{"text":"t","parseMode":"text"},"isEdited":false});
    let mut only_top = base.clone();
    only_top["chatId"] = json!("top");
    let mut only_chat = base.clone();
    only_chat["chat"] = json!({"chatId":"obj","chatTitle":null,"chatType":1});
    let mut both = only_chat.clone();
    both["chatId"] = json!("top");
    let parse = |v: &Value| serde_json::from_value::<Envelope>(v.clone()).unwrap();
    assert_eq!(parse(&only_top).chat_id(), "top");
    assert_eq!(parse(&only_top).chat.chat_type, ChatType::UNDEF);
    assert_eq!(parse(&only_chat).chat_id(), "obj");
    assert_eq!(parse(&both).chat_id(), "obj");
    // Serialising sends both, consistently.
    let wire = serde_json::to_value(parse(&only_top)).unwrap();
    assert_eq!(wire["chatId"], "top");
    assert_eq!(wire["chat"]["chatId"], "top");
    // Neither: not an envelope.
    assert!(serde_json::from_value::<Envelope>(base.clone()).is_err());
    assert!(matches!(
        parse_event("sendMessage", &base.to_string()),
        ServerEvent::Unknown { .. }
    ));
    // A system envelope without a box, a user envelope without isEdited: both fine.
    let mut no_box = only_top.clone();
    no_box.as_object_mut().unwrap().remove("isEdited");
    assert_eq!(parse(&no_box).is_edited, None);
}

#[test]
fn disagreement_edit_message_event_message_id() {
    let with = parse_event(
        "editMessage",
        r#"{"chatId":"c","messageId":"m","timestamp":1,"content":{"text":"t","parseMode":"text"}}"#,
    );
    assert!(matches!(with, ServerEvent::MessageEdited { message_id: Some(ref m), .. } if m == "m"));
    let without = parse_event(
        "editMessage",
        r#"{"chatId":"c","timestamp":1,"content":{"text":"t","parseMode":"text"}}"#,
    );
    assert!(matches!(
        without,
        ServerEvent::MessageEdited {
            message_id: None,
            ..
        }
    ));
}

#[test]
fn disagreement_command_event_command_id() {
    let ev = parse_event(
        "command",
        r#"{"commandSource":{"type":"inlineKeyboard"},"commandPayload":{"type":"userCommand","command":"/x"}}"#,
    );
    let ServerEvent::Command {
        command_id,
        source,
        payload,
    } = &ev
    else {
        panic!("{ev:?}")
    };
    assert_eq!(command_id, &None);
    assert_eq!(
        source,
        &CommandSource {
            kind: "inlineKeyboard".into(),
            message: None,
            button_id: None,
            wait_reply: None
        }
    );
    assert_eq!(payload.command, "/x");
    assert_eq!(ev.chat_id(), None);
}

#[test]
fn disagreement_file_id_info_hash_or_file_id() {
    let a = parse_response::<GetFileInfo>(
        r#"{"name":"n","size":1,"mimeType":"text/plain","readyState":1,"infoHash":"F","downloadUrl":null,"previews":null}"#,
    )
    .unwrap();
    let b = parse_response::<GetFileInfo>(
        r#"{"name":"n","size":1,"mimeType":"text/plain","readyState":1,"fileId":"F","downloadUrl":null,"previews":null}"#,
    )
    .unwrap();
    assert_eq!(a, b);
    assert_eq!(a.ready_state, FileReadyState::UPLOADING);
    let with_previews = parse_response::<GetFileInfo>(
        r#"{"name":"p.jpg","size":9,"mimeType":"image/jpeg","readyState":2,"infoHash":"F","downloadUrl":"https://d",
            "previews":[{"name":"p.webp","size":3,"mimeType":"image/webp","downloadUrl":"https://d/p"}]}"#,
    )
    .unwrap();
    assert_eq!(
        with_previews.previews.unwrap()[0].download_url.as_deref(),
        Some("https://d/p")
    );
    assert!(matches!(
        parse_response::<GetFileInfo>(r#"{"name":"n","size":1,"readyState":2}"#),
        Err(TrueConfError::Malformed(_))
    ));
}

#[test]
fn disagreement_history_cleared_bool_or_string() {
    for (raw, expected) in [
        (json!(true), true),
        (json!("true"), true),
        (json!(false), false),
        (json!("false"), false),
    ] {
        let env = with_content(23, json!({ "forAll": raw }));
        assert_eq!(env.content, Content::HistoryCleared { for_all: expected });
        let ev = parse_event(
            "clearHistory",
            &json!({"chatId":"c","forAll":raw}).to_string(),
        );
        assert_eq!(
            ev,
            ServerEvent::HistoryCleared {
                chat_id: "c".into(),
                for_all: expected
            }
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Open enums
// ---------------------------------------------------------------------------------------------

#[test]
fn unknown_enum_values_are_kept() {
    let env: Envelope = serde_json::from_value(json!({
        "chat":{"chatId":"c","chatTitle":null,"chatType":4},"messageId":"m","timestamp":1,
        "author":{"id":"a","type":7},"type":200,"content":{"text":"t","parseMode":"bbcode"}}))
    .unwrap();
    assert_eq!(env.chat.chat_type, ChatType(4));
    assert_eq!(env.author.kind, AuthorType(7));
    assert_eq!(env.content.as_text(), Some("t"));
    assert!(
        matches!(&env.content, Content::Text { parse_mode: ParseMode::Other(p), .. } if p == "bbcode")
    );
    let wire = serde_json::to_value(&env).unwrap();
    assert_eq!(wire["chat"]["chatType"], 4);
    assert_eq!(wire["author"]["type"], 7);
    assert_eq!(wire["content"]["parseMode"], "bbcode");

    let activity = parse_response::<SendChatActivity>(
        r#"{"chatId":"c","activityType":"recording_voice","retryAfter":1}"#,
    )
    .unwrap();
    assert_eq!(
        activity.activity_type,
        ActivityType::Other("recording_voice".into())
    );
    let limits: UploadLimits = serde_json::from_str(
        r#"{"maxSize":null,"extensions":{"mode":"quarantine","list":["exe"]}}"#,
    )
    .unwrap();
    assert_eq!(
        limits.extensions.as_ref().unwrap().mode,
        ExtensionMode::Other("quarantine".into())
    );
    let info =
        parse_response::<GetFileInfo>(r#"{"name":"n","size":1,"readyState":9,"infoHash":"F"}"#)
            .unwrap();
    assert_eq!(info.ready_state, FileReadyState(9));
    assert!(!info.ready_state.is_known());
    let chat = parse_response::<GetChatByID>(
        r#"{"chatId":"c","title":"t","chatType":42,"unreadMessages":0}"#,
    )
    .unwrap();
    assert_eq!(chat.chat_type, ChatType(42));
    let role: Role = serde_json::from_str(r#""superuser""#).unwrap();
    assert_eq!(role, Role::Other("superuser".into()));
    assert_eq!(serde_json::to_string(&role).unwrap(), r#""superuser""#);
    for (text, value) in [
        (r#""pending""#, CommandStatus::Pending),
        (r#""exploded""#, CommandStatus::Other("exploded".into())),
    ] {
        assert_eq!(serde_json::from_str::<CommandStatus>(text).unwrap(), value);
    }
    assert_eq!(
        serde_json::from_str::<AnswerType>(r#""later""#).unwrap(),
        AnswerType::Other("later".into())
    );
    assert_eq!(
        serde_json::from_str::<CommandVisibility>(r#""banner""#).unwrap(),
        CommandVisibility::Other("banner".into())
    );
    assert_eq!(
        serde_json::from_str::<CommandLevel>(r#""debug""#).unwrap(),
        CommandLevel::Other("debug".into())
    );
}

#[test]
fn sloppy_scalars_are_tolerated() {
    // Integral floats for integers, null for an omitted flag, a string app version.
    let env = with_content(
        200,
        json!({"text":"t","parseMode":"text","buttons":[[{"type":"message","label":"L","message":"m","draft":null}]]}),
    );
    assert!(matches!(env.content, Content::Text { .. }));
    let chat: Chat = serde_json::from_str(r#"{"chatId":"c","title":null,"chatType":2.0}"#).unwrap();
    assert_eq!(chat.chat_type, ChatType::GROUP);
    assert!(serde_json::from_str::<ChatType>("2.5").is_err());
    let survey = with_content(204, json!({"url":"u","title":"t","appVersion":"1"}));
    assert!(matches!(&survey.content, Content::Survey(s) if s.app_version == Some(1)));
    // A missing readyState is not silently read as "gone".
    assert!(parse_response::<GetFileInfo>(r#"{"name":"n","size":1,"infoHash":"F"}"#).is_err());
}

// ---------------------------------------------------------------------------------------------
// Robustness
// ---------------------------------------------------------------------------------------------

const EVENT_METHODS: [&str; 18] = [
    "sendMessage",
    "editMessage",
    "removeMessage",
    "createP2PChat",
    "createGroupChat",
    "createChannel",
    "createFavoritesChat",
    "removeChat",
    "addChatParticipant",
    "removeChatParticipant",
    "changeParticipantRole",
    "editChatTitle",
    "editChatAvatar",
    "clearHistory",
    "getFileUploadLimits",
    "uploadFileProgress",
    "command",
    "somethingNew",
];

/// Every example payload of the reference: requests, responses, events, envelopes.
fn corpus() -> Vec<String> {
    let mut out: Vec<String> = frames(EXCHANGES)
        .into_iter()
        .chain(frames(EVENTS))
        .map(|f| f["payload"].to_string())
        .collect();
    out.extend(ENVELOPES.lines().map(str::to_owned));
    out
}

/// Feeds a payload to every parser; they must return, whatever the input.
fn feed(payload: &str) {
    for method in EVENT_METHODS {
        let ev = parse_event(method, payload);
        let _ = (ev.method(), ev.chat_id(), ev.payload_json());
    }
    let _ = parse_response::<GetMessageById>(payload);
    let _ = parse_response::<GetChatHistory>(payload);
    let _ = parse_response::<GetChats>(payload);
    let _ = parse_response::<GetFileInfo>(payload);
    let _ = parse_response::<SendMessage>(payload);
    let _ = parse_response::<GetChatParticipants>(payload);
    let _ = parse_response::<RemoveChat>(payload);
    let _ = serde_json::from_str::<Envelope>(payload);
}

#[test]
fn every_truncation_of_every_example() {
    for payload in corpus() {
        for (cut, _) in payload.char_indices() {
            let part = &payload[..cut];
            let _ = parse_event("sendMessage", part);
            let _ = parse_event("command", part);
            let _ = parse_response::<GetChats>(part);
            let _ = parse_response::<GetMessageById>(part);
            let _ = parse_response::<GetFileInfo>(part);
            let _ = parse_response::<GetChatHistory>(part);
        }
        // A truncated object is never mistaken for a typed event.
        let half = payload
            .char_indices()
            .nth(payload.chars().count() / 2)
            .map_or(0, |(i, _)| i);
        assert!(matches!(
            parse_event("sendMessage", &payload[..half]),
            ServerEvent::Unknown { .. }
        ));
    }
}

#[test]
fn seeded_byte_mutations() {
    let corpus = corpus();
    let interesting = b"{}[]\":,0123456789-.eEtrufalsn \\\x00\xff";
    let mut rng = SeededRng::new(0x7c0d_ec5e);
    for _ in 0..3000 {
        let base = &corpus[rng.range(0, corpus.len() as u64 - 1) as usize];
        let mut bytes = base.as_bytes().to_vec();
        for _ in 0..rng.range(1, 4) {
            if bytes.is_empty() {
                break;
            }
            let at = rng.range(0, bytes.len() as u64 - 1) as usize;
            let byte = if rng.range(0, 1) == 0 {
                interesting[rng.range(0, interesting.len() as u64 - 1) as usize]
            } else {
                rng.next_u64() as u8
            };
            match rng.range(0, 2) {
                0 => bytes[at] = byte,
                1 => bytes.insert(at, byte),
                _ => {
                    bytes.remove(at);
                }
            }
        }
        feed(&String::from_utf8_lossy(&bytes));
    }
}

/// Replaces one randomly chosen node of `v` (counting down `pick`) with `with`.
fn replace_node(v: &mut Value, pick: &mut u64, with: &Value) -> bool {
    if *pick == 0 {
        *v = with.clone();
        return true;
    }
    *pick -= 1;
    match v {
        Value::Array(items) => items.iter_mut().any(|i| replace_node(i, pick, with)),
        Value::Object(map) => map.values_mut().any(|i| replace_node(i, pick, with)),
        _ => false,
    }
}

fn count_nodes(v: &Value) -> u64 {
    1 + match v {
        Value::Array(items) => items.iter().map(count_nodes).sum(),
        Value::Object(map) => map.values().map(count_nodes).sum(),
        _ => 0,
    }
}

#[test]
fn seeded_value_mutations() {
    // Well-formed JSON with values of the wrong type, out of range, or missing.
    let corpus: Vec<Value> = corpus()
        .iter()
        .map(|p| serde_json::from_str(p).unwrap())
        .collect();
    let replacements = [
        Value::Null,
        json!(true),
        json!(0),
        json!(-1),
        json!(1.5e308),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(""),
        json!("true"),
        json!("x"),
        json!([]),
        json!({}),
        json!([[[]]]),
        json!({"type":200,"content":{}}),
    ];
    let mut rng = SeededRng::new(42);
    for _ in 0..3000 {
        let mut v = corpus[rng.range(0, corpus.len() as u64 - 1) as usize].clone();
        for _ in 0..rng.range(1, 3) {
            let mut pick = rng.range(0, count_nodes(&v) - 1);
            let with = &replacements[rng.range(0, replacements.len() as u64 - 1) as usize];
            replace_node(&mut v, &mut pick, with);
        }
        feed(&v.to_string());
    }
}

#[test]
fn deep_nesting_does_not_overflow() {
    let brackets = "[".repeat(10_000);
    let objects = r#"{"a":"#.repeat(10_000);
    let content = format!(
        r#"{{"chatId":"c","messageId":"m","timestamp":1,"author":{{"id":"a","type":1}},"type":200,"content":{}"#,
        "[".repeat(10_000)
    );
    for payload in [brackets.as_str(), objects.as_str(), content.as_str()] {
        feed(payload);
        assert!(matches!(
            parse_event("sendMessage", payload),
            ServerEvent::Unknown { .. }
        ));
        assert!(matches!(
            parse_response::<GetChats>(payload),
            Err(TrueConfError::Malformed(_))
        ));
    }
    // Closed, valid, and past serde_json's recursion limit (128).
    let closed = format!("{}{}", "[".repeat(200), "]".repeat(200));
    assert!(serde_json::from_str::<Value>(&closed).is_err());
    assert!(matches!(
        parse_response::<GetChats>(&closed),
        Err(TrueConfError::Malformed(_))
    ));
}

/// A chain of `depth` forwards (each the content of the previous) or replies.
fn nested_envelopes(depth: usize, via_reply: bool) -> String {
    let leaf = r#"{"chatId":"c","messageId":"leaf","timestamp":1,"author":{"id":"a","type":1},"type":200,"content":{"text":"t","parseMode":"text"}}"#;
    let mut out = leaf.to_owned();
    for i in 0..depth {
        out = if via_reply {
            format!(
                r#"{{"chatId":"c","messageId":"m{i}","timestamp":1,"author":{{"id":"a","type":1}},"type":200,"content":{{"text":"t","parseMode":"text"}},"replyMessage":{out}}}"#
            )
        } else {
            format!(
                r#"{{"chatId":"c","messageId":"m{i}","timestamp":1,"author":{{"id":"a","type":1}},"type":201,"content":{out}}}"#
            )
        };
    }
    out
}

#[test]
fn deeply_nested_envelopes_are_bounded() {
    // Run on a small stack, like a wasm host's, to show the recursion is bounded.
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            for via_reply in [false, true] {
                // Within serde_json's recursion limit but far beyond the nesting kept.
                let payload = nested_envelopes(120, via_reply);
                let ev = parse_event("sendMessage", &payload);
                let ServerEvent::Message(mut env) = ev else {
                    panic!("the outer envelope is fine: {ev:?}")
                };
                let mut depth = 1;
                loop {
                    let next = if via_reply {
                        env.reply_message.take()
                    } else {
                        match env.content {
                            Content::Forward(inner) => Some(inner),
                            _ => None,
                        }
                    };
                    match next {
                        Some(inner) => {
                            env = *inner;
                            depth += 1;
                        }
                        None => break,
                    }
                }
                assert!(depth as u32 <= MAX_ENVELOPE_NESTING, "{depth}");
                assert!(depth >= 16, "{depth}");
                // Shallow nesting is decoded in full.
                let shallow = nested_envelopes(5, via_reply);
                let env: Envelope = serde_json::from_str(&shallow).unwrap();
                assert_eq!(serde_json::to_value(&env).unwrap()["messageId"], "m4");
            }
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn malformed_errors_are_short_and_never_echo_the_payload() {
    let secret = format!("s3cret-{}", "z".repeat(5000));
    let payload = format!(r#"{{"chatId":"{secret}","messageId":7}}"#);
    let Err(TrueConfError::Malformed(msg)) = parse_response::<SendMessage>(&payload) else {
        panic!()
    };
    assert!(msg.len() < 400, "{msg}");
    assert!(msg.starts_with("sendMessage"));
    let Err(TrueConfError::Malformed(msg)) = parse_response::<SendMessage>("{not json") else {
        panic!()
    };
    assert!(msg.len() < 400);
}
