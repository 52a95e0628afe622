//! TrueConf server events kept as JSON, to shared [`Event`]s.
//!
//! [`event_from_json`] gives the same event as [`event_from_server`](super::trueconf::event_from_server)
//! (kind, chat, sender, message, content type, text, data, query id, event id) for every
//! event, and keeps the payload as its JSON text in [`Payload::TrueConfJson`]. It reads the
//! payload as a [`serde_json::Value`] and picks the fields the event needs by hand: nothing of
//! the typed model is built ([`parse_event`](crate::trueconf::events::parse_event), envelopes,
//! contents, their serde decoders), so a binary that uses only this path (the runtime's
//! TrueConf bot in the `Json` form, as the npm package does) does not contain the typed event
//! decoders.
//!
//! A payload is accepted exactly when the typed parse accepts it: every field of the typed
//! event is checked with the same types and leniencies (envelope and chat types as integers,
//! also written `2.0`; flags as `true`, `"true"` or `1`; roles as names or numbers; records
//! given as arrays read by position, as serde reads them), and an envelope's content is
//! decoded by its `type` as the typed content is (a content that does not fit its type is
//! content type `"unknown"` without text; a forward of a forward arrives flattened). What
//! cannot be read gives an [`EventKind::Unknown`] event (platform kind `"unknown"`) with
//! [`TrueConfJson::decoded`] false, as the typed path gives one for
//! [`ServerEvent::Unknown`](crate::trueconf::events::ServerEvent::Unknown).

use super::model::{Chat, ChatType, Event, EventKind, MessageKey, Payload, Platform};
use super::trueconf::{base_event, chat_key, chat_type, user};
use crate::trueconf::types::{AttachmentKind, EnvelopeType};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// A TrueConf server event in an event's payload, as JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrueConfJson {
    /// The event's method. For a decoded progress event it is `uploadFileProgress`, also when
    /// the server used the documentation's name `uploadingProgress` (as the typed event's
    /// method).
    pub method: String,
    /// The frame's payload as received (JSON text).
    pub raw: String,
    /// Whether the payload was read: false for an unknown method and for a payload that does
    /// not fit its method (the event is then [`EventKind::Unknown`]).
    pub decoded: bool,
}

impl TrueConfJson {
    /// `{"method": …, "payload": …}`, the form stored in exported states (the payload `null`
    /// when it is not JSON).
    pub fn to_json(&self) -> serde_json::Value {
        let payload = serde_json::from_str(&self.raw).unwrap_or(serde_json::Value::Null);
        serde_json::json!({"method": self.method, "payload": payload})
    }
}

/// Turns a TrueConf server event kept as JSON into a shared [`Event`] (see the
/// [module documentation](self)). `frame_id` is the id of the frame that carried it (used in
/// the id of events that carry none of their own).
pub fn event_from_json(frame_id: u64, method: String, raw: String) -> Event {
    let read = read_event(frame_id, &method, &raw);
    let decoded = read.is_some();
    let mut event = read.unwrap_or_else(|| {
        base_event(
            fallback_id(&method, frame_id),
            EventKind::Unknown,
            "unknown",
        )
    });
    let method = if decoded && method == "uploadingProgress" {
        "uploadFileProgress".to_owned()
    } else {
        method
    };
    event.payload = Payload::TrueConfJson(Box::new(TrueConfJson {
        method,
        raw,
        decoded,
    }));
    event
}

fn fallback_id(method: &str, frame_id: u64) -> String {
    let mut buf = itoa::Buffer::new();
    let digits = buf.format(frame_id);
    let mut id = String::with_capacity(method.len() + 1 + digits.len());
    id.push_str(method);
    id.push('#');
    id.push_str(digits);
    id
}

/// The event of a payload that is a JSON object, or `None` when it does not fit its method.
fn read_event(frame_id: u64, method: &str, raw: &str) -> Option<Event> {
    let value: Value = serde_json::from_str(raw).ok()?;
    let r = Record::object(&value)?;
    let fallback = |method: &str| fallback_id(method, frame_id);
    let unknown_chat = |id: &str, title: Option<String>| Chat {
        key: chat_key(id),
        chat_type: ChatType::Unknown,
        title,
    };
    let event = match method {
        "sendMessage" => message_event(envelope(&value)?),
        "command" => {
            let command_id = opt_str(&r, "commandId")?;
            let source = Record::of(
                r.get("commandSource")?,
                &["type", "message", "buttonId", "waitReply"],
            )?;
            def_str(&source, "type")?;
            let message = match source.get("message") {
                None | Some(Value::Null) => None,
                Some(m) => Some(envelope(m)?),
            };
            opt_str(&source, "buttonId")?;
            opt_bool(source.get("waitReply"))?;
            let payload = Record::of(r.get("commandPayload")?, &["type", "command", "customData"])?;
            def_str(&payload, "type")?;
            let command = req_str(&payload, "command")?;
            let custom_data = opt_str(&payload, "customData")?;
            let mut e = base_event(
                command_id.map_or_else(|| fallback(method), str::to_owned),
                EventKind::ButtonPress,
                "command",
            );
            if let Some(msg) = message {
                e.message = Some(MessageKey::in_chat(msg.chat.key.clone(), msg.message_id));
                e.chat = Some(msg.chat);
            }
            e.data = Some(custom_data.unwrap_or(command).to_owned());
            e.query_id = command_id.map(str::to_owned);
            e
        }
        "editMessage" => {
            let chat_id = req_str(&r, "chatId")?;
            let message_id = opt_str(&r, "messageId")?;
            let timestamp = req_i64(&r, "timestamp")?;
            let text = text_record(r.get("content")?)?;
            let id = match message_id {
                Some(m) => format!("edit:{m}:{timestamp}"),
                None => fallback(method),
            };
            let mut e = base_event(id, EventKind::EditedMessage, "editMessage");
            let chat = unknown_chat(chat_id, None);
            e.message = message_id.map(|m| MessageKey::in_chat(chat.key.clone(), m));
            e.chat = Some(chat);
            e.text = Some(text.to_owned());
            e.content_type = Some(Cow::Borrowed("text"));
            e
        }
        "removeMessage" => {
            let chat_id = req_str(&r, "chatId")?;
            let message_id = req_str(&r, "messageId")?;
            let removed_by = author(r.get("removedBy")?)?;
            let mut e = base_event(
                format!("remove:{message_id}"),
                EventKind::DeletedMessage,
                "removeMessage",
            );
            let chat = unknown_chat(chat_id, None);
            e.message = Some(MessageKey::in_chat(chat.key.clone(), message_id));
            e.chat = Some(chat);
            e.from = Some(user(removed_by));
            e
        }
        "createP2PChat" | "createGroupChat" | "createChannel" | "createFavoritesChat" => {
            let chat_id = req_str(&r, "chatId")?;
            let title = opt_str(&r, "title")?;
            let kind = def_int(r.get("chatType"))?;
            def_u64(r.get("unreadMessages"))?;
            opt_str(&r, "avatarUrl")?;
            match r.get("lastMessage") {
                None | Some(Value::Null) => {}
                Some(m) => last_message(m)?,
            }
            let platform_kind = match method {
                "createP2PChat" => "createP2PChat",
                "createGroupChat" => "createGroupChat",
                "createChannel" => "createChannel",
                _ => "createFavoritesChat",
            };
            let mut e = base_event(fallback(method), EventKind::ChatCreated, platform_kind);
            e.chat = Some(Chat {
                key: chat_key(chat_id),
                chat_type: chat_type(kind),
                title: title.map(str::to_owned),
            });
            e
        }
        "removeChat" => {
            let chat_id = req_str(&r, "chatId")?;
            let mut e = base_event(fallback(method), EventKind::ChatRemoved, "removeChat");
            e.chat = Some(unknown_chat(chat_id, None));
            e
        }
        "addChatParticipant" | "removeChatParticipant" | "changeParticipantRole" => {
            req_i64(&r, "timestamp")?;
            let chat_id = req_str(&r, "chatId")?;
            let user_id = req_str(&r, "userId")?;
            let (kind, platform_kind) = match method {
                "addChatParticipant" => {
                    author(r.get("addedBy")?)?;
                    (EventKind::MemberJoined, "addChatParticipant")
                }
                "removeChatParticipant" => {
                    author(r.get("removedBy")?)?;
                    (EventKind::MemberLeft, "removeChatParticipant")
                }
                _ => {
                    role(r.get("role")?)?;
                    (EventKind::MemberRoleChanged, "changeParticipantRole")
                }
            };
            let mut e = base_event(fallback(method), kind, platform_kind);
            e.chat = Some(unknown_chat(chat_id, None));
            e.from = Some(user(user_id));
            e
        }
        "editChatTitle" | "editChatAvatar" | "clearHistory" => {
            let chat_id = req_str(&r, "chatId")?;
            let (title, platform_kind) = match method {
                "editChatTitle" => (Some(req_str(&r, "title")?.to_owned()), "editChatTitle"),
                "editChatAvatar" => {
                    opt_str(&r, "avatarUrl")?;
                    (None, "editChatAvatar")
                }
                _ => {
                    flag(r.get("forAll"))?;
                    (None, "clearHistory")
                }
            };
            let mut e = base_event(fallback(method), EventKind::Unknown, platform_kind);
            e.chat = Some(unknown_chat(chat_id, title));
            e
        }
        "getFileUploadLimits" => {
            opt_u64(r.get("maxSize"))?;
            match r.get("extensions") {
                None | Some(Value::Null) => {}
                Some(rule) => {
                    let rule = Record::of(rule, &["mode", "list"])?;
                    req_str(&rule, "mode")?;
                    if let Some(list) = rule.get("list") {
                        check(list.as_array()?.iter().all(Value::is_string))?;
                    }
                }
            }
            base_event(fallback(method), EventKind::Unknown, "getFileUploadLimits")
        }
        "uploadFileProgress" | "uploadingProgress" => {
            let file_id = req_str(&r, "fileId")?;
            let progress = r.get("progress")?.as_u64()?;
            let mut e = base_event(
                fallback("uploadFileProgress"),
                EventKind::UploadProgress,
                "uploadFileProgress",
            );
            e.data = Some(file_id.to_owned());
            e.text = Some(itoa::Buffer::new().format(progress).to_owned());
            e
        }
        _ => return None,
    };
    Some(event)
}

/// The event of a `sendMessage` envelope.
fn message_event(env: Envelope<'_>) -> Event {
    let content = content_of(env.kind, env.content);
    let mut e = base_event(env.message_id.to_owned(), content.kind, "sendMessage");
    e.message = Some(MessageKey::in_chat(env.chat.key.clone(), env.message_id));
    e.chat = Some(env.chat);
    e.from = Some(user(env.author));
    e.content_type = Some(Cow::Borrowed(content.content_type));
    e.text = content.text;
    e
}

/// What the event says of an envelope's content.
struct ContentParts {
    kind: EventKind,
    content_type: &'static str,
    text: Option<String>,
}

impl ContentParts {
    fn new(content_type: &'static str) -> Self {
        ContentParts {
            kind: EventKind::Message,
            content_type,
            text: None,
        }
    }

    fn text(content_type: &'static str, text: &str) -> Self {
        ContentParts {
            text: Some(text.to_owned()),
            ..ContentParts::new(content_type)
        }
    }

    /// A member event: the member concerned, as its key (the author is the server).
    fn member(kind: EventKind, content_type: &'static str, user_id: &str) -> Self {
        ContentParts {
            kind,
            content_type,
            text: Some(Platform::TrueConf.key(user_id)),
        }
    }
}

/// The text of a text content (an object), `None` when the content is not one.
fn text_content(v: &Value) -> Option<&str> {
    v.as_object()?;
    text_record(v)
}

/// Decodes a content by its envelope type as the typed content does. Contents are objects.
fn content_of(kind: i64, v: &Value) -> ContentParts {
    let parts = || -> Option<ContentParts> {
        let r = || Record::object(v);
        Some(match EnvelopeType(kind) {
            EnvelopeType::PLAIN_MESSAGE => ContentParts::text("text", text_content(v)?),
            EnvelopeType::FORWARDED_MESSAGE => match envelope(v) {
                // The original's text, when it is a text (or a flattened forward of one).
                Some(inner) => ContentParts {
                    text: match EnvelopeType(inner.kind) {
                        EnvelopeType::PLAIN_MESSAGE => text_content(inner.content),
                        EnvelopeType::FORWARDED_MESSAGE if envelope(inner.content).is_none() => {
                            text_content(inner.content)
                        }
                        _ => None,
                    }
                    .map(str::to_owned),
                    ..ContentParts::new("forward")
                },
                // A forward of a forward, flattened: the original's text.
                None => ContentParts::text("text", text_content(v)?),
            },
            EnvelopeType::ATTACHMENT => {
                let r = r()?;
                req_str(&r, "name")?;
                def_u64(r.get("size"))?;
                opt_str(&r, "fileId")?;
                let mime_type = opt_str(&r, "mimeType")?;
                opt_int(r.get("readyState"))?;
                ContentParts::new(match AttachmentKind::from_mime_type(mime_type) {
                    AttachmentKind::Photo => "photo",
                    AttachmentKind::Video => "video",
                    AttachmentKind::Sticker => "sticker",
                    AttachmentKind::Document => "document",
                })
            }
            EnvelopeType::LOCATION => {
                let r = r()?;
                r.get("latitude")?.as_f64()?;
                r.get("longitude")?.as_f64()?;
                opt_str(&r, "title")?;
                ContentParts::new("location")
            }
            EnvelopeType::SURVEY => {
                let r = r()?;
                req_str(&r, "url")?;
                req_str(&r, "title")?;
                opt_lenient_int(r.get("appVersion"))?;
                for key in ["path", "description", "buttonText", "secret", "alt"] {
                    opt_str(&r, key)?;
                }
                ContentParts::new("survey")
            }
            EnvelopeType::VOICE_MESSAGE => {
                let r = r()?;
                req_str(&r, "fileId")?;
                def_u64(r.get("size"))?;
                opt_str(&r, "mimeType")?;
                opt_u64(r.get("duration"))?;
                ContentParts::new("voice")
            }
            EnvelopeType::ADD_PARTICIPANT | EnvelopeType::PARTICIPANT_ROLE => {
                let r = r()?;
                let user_id = req_str(&r, "userId")?;
                role(r.get("role")?)?;
                if kind == EnvelopeType::ADD_PARTICIPANT.0 {
                    ContentParts::member(EventKind::MemberJoined, "new_chat_member", user_id)
                } else {
                    ContentParts::member(EventKind::MemberRoleChanged, "role_changed", user_id)
                }
            }
            EnvelopeType::REMOVE_PARTICIPANT => ContentParts::member(
                EventKind::MemberLeft,
                "left_chat_member",
                req_str(&r()?, "userId")?,
            ),
            EnvelopeType::EDIT_CHAT_TITLE => {
                req_str(&r()?, "title")?;
                ContentParts::new("new_chat_title")
            }
            EnvelopeType::EDIT_CHAT_AVATAR => {
                opt_str(&r()?, "avatarUrl")?;
                ContentParts::new("new_chat_photo")
            }
            EnvelopeType::CLEAR_CHAT_HISTORY => {
                flag(r()?.get("forAll"))?;
                ContentParts::new("history_cleared")
            }
            _ => return None,
        })
    };
    parts().unwrap_or_else(|| ContentParts::new("unknown"))
}

// ---- records ----

/// The fields of a record: an object, or an array read by position (serde reads a struct
/// from either; nothing may be left over).
struct Record<'a> {
    object: Option<&'a Map<String, Value>>,
    array: &'a [Value],
    fields: &'static [&'static str],
}

impl<'a> Record<'a> {
    fn of(v: &'a Value, fields: &'static [&'static str]) -> Option<Self> {
        match v {
            Value::Object(m) => Some(Record {
                object: Some(m),
                array: &[],
                fields,
            }),
            Value::Array(a) if a.len() <= fields.len() => Some(Record {
                object: None,
                array: a,
                fields,
            }),
            _ => None,
        }
    }

    /// A record that must be an object.
    fn object(v: &'a Value) -> Option<Self> {
        v.as_object().map(|m| Record {
            object: Some(m),
            array: &[],
            fields: &[],
        })
    }

    fn get(&self, name: &str) -> Option<&'a Value> {
        match self.object {
            Some(m) => m.get(name),
            None => self
                .fields
                .iter()
                .position(|f| *f == name)
                .and_then(|i| self.array.get(i)),
        }
    }
}

/// An envelope's chat, id, author, type and content.
struct Envelope<'a> {
    chat: Chat,
    message_id: &'a str,
    author: &'a str,
    kind: i64,
    content: &'a Value,
}

const ENVELOPE_FIELDS: &[&str] = &[
    "chat",
    "chatId",
    "messageId",
    "timestamp",
    "author",
    "box",
    "type",
    "content",
    "isEdited",
    "replyMessageId",
    "replyMessage",
];

/// An envelope, when it is one and names its chat (in `chat` or, from older servers,
/// `chatId`). A reply that does not parse is dropped by the typed envelope: not checked.
fn envelope(v: &Value) -> Option<Envelope<'_>> {
    let r = Record::of(v, ENVELOPE_FIELDS)?;
    let chat = match r.get("chat") {
        None | Some(Value::Null) => None,
        Some(c) => {
            let c = Record::of(c, &["chatId", "chatTitle", "chatType"])?;
            Some(Chat {
                key: chat_key(req_str(&c, "chatId")?),
                title: opt_str(&c, "chatTitle")?.map(str::to_owned),
                chat_type: chat_type(def_int(c.get("chatType"))?),
            })
        }
    };
    let chat_id = opt_str(&r, "chatId")?;
    let message_id = req_str(&r, "messageId")?;
    req_i64(&r, "timestamp")?;
    let author = author(r.get("author")?)?;
    match r.get("box") {
        None | Some(Value::Null) => {}
        Some(b) => {
            let b = Record::of(b, &["id", "position"])?;
            req_i64(&b, "id")?;
            def_str(&b, "position")?;
        }
    }
    let kind = int(r.get("type")?)?;
    let content = r.get("content")?;
    match r.get("isEdited") {
        None | Some(Value::Null) => {}
        Some(f) => {
            flag(Some(f))?;
        }
    }
    opt_str(&r, "replyMessageId")?;
    let chat = match (chat, chat_id) {
        (Some(chat), _) => chat,
        (None, Some(id)) => Chat {
            key: chat_key(id),
            chat_type: chat_type(0),
            title: None,
        },
        (None, None) => return None,
    };
    Some(Envelope {
        chat,
        message_id,
        author,
        kind,
        content,
    })
}

/// A chat's last message (an envelope without box, flag and reply; the chat optional).
fn last_message(v: &Value) -> Option<()> {
    let r = Record::of(
        v,
        &[
            "messageId",
            "timestamp",
            "author",
            "type",
            "content",
            "chat",
        ],
    )?;
    req_str(&r, "messageId")?;
    req_i64(&r, "timestamp")?;
    author(r.get("author")?)?;
    int(r.get("type")?)?;
    r.get("content")?;
    match r.get("chat") {
        None | Some(Value::Null) => {}
        Some(c) => {
            let c = Record::of(c, &["chatId", "chatTitle", "chatType"])?;
            req_str(&c, "chatId")?;
            opt_str(&c, "chatTitle")?;
            def_int(c.get("chatType"))?;
        }
    }
    Some(())
}

/// `{id, type}`: the id.
fn author(v: &Value) -> Option<&str> {
    let r = Record::of(v, &["id", "type"])?;
    let id = req_str(&r, "id")?;
    int(r.get("type")?)?;
    Some(id)
}

const BUTTON_FIELDS: &[&str] = &[
    "label",
    "type",
    "command",
    "customData",
    "to",
    "waitReply",
    "url",
    "message",
    "draft",
    "data",
    "id",
    "style",
];

/// `{text, parseMode, buttons}`: the text.
fn text_record(v: &Value) -> Option<&str> {
    let r = Record::of(v, &["text", "parseMode", "buttons"])?;
    let text = req_str(&r, "text")?;
    def_str(&r, "parseMode")?;
    match r.get("buttons") {
        None | Some(Value::Null) => {}
        Some(rows) => {
            for row in rows.as_array()? {
                for b in row.as_array()? {
                    let b = Record::of(b, BUTTON_FIELDS)?;
                    req_str(&b, "type")?;
                    for key in [
                        "label",
                        "command",
                        "customData",
                        "to",
                        "url",
                        "message",
                        "data",
                        "id",
                        "style",
                    ] {
                        opt_str(&b, key)?;
                    }
                    opt_bool(b.get("waitReply"))?;
                    flag(b.get("draft"))?;
                }
            }
        }
    }
    Some(text)
}

// ---- fields ----
//
// Each gives `None` when the field does not fit the typed field of the same name.

fn check(ok: bool) -> Option<()> {
    ok.then_some(())
}

/// A required string.
fn req_str<'a>(r: &Record<'a>, key: &str) -> Option<&'a str> {
    r.get(key)?.as_str()
}

/// An optional string (absent or `null`: `Some(None)`).
fn opt_str<'a>(r: &Record<'a>, key: &str) -> Option<Option<&'a str>> {
    match r.get(key) {
        None | Some(Value::Null) => Some(None),
        Some(v) => v.as_str().map(Some),
    }
}

/// A string with a default (absent: empty; `null` does not fit).
fn def_str<'a>(r: &Record<'a>, key: &str) -> Option<&'a str> {
    match r.get(key) {
        None => Some(""),
        Some(v) => v.as_str(),
    }
}

fn req_i64(r: &Record<'_>, key: &str) -> Option<i64> {
    r.get(key)?.as_i64()
}

/// A `u64` with a default.
fn def_u64(v: Option<&Value>) -> Option<u64> {
    match v {
        None => Some(0),
        Some(v) => v.as_u64(),
    }
}

/// An optional `u64`.
fn opt_u64(v: Option<&Value>) -> Option<()> {
    match v {
        None | Some(Value::Null) => Some(()),
        Some(v) => v.as_u64().map(drop),
    }
}

/// An optional bool.
fn opt_bool(v: Option<&Value>) -> Option<()> {
    match v {
        None | Some(Value::Null | Value::Bool(_)) => Some(()),
        Some(_) => None,
    }
}

/// An integer of an open enumeration: any JSON integer that fits an `i64`, also written
/// with a zero fraction.
fn int(v: &Value) -> Option<i64> {
    if v.is_f64() {
        let f = v.as_f64()?;
        (f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64).then_some(f as i64)
    } else {
        v.as_i64()
    }
}

/// An integer of an open enumeration with a default (absent: 0; `null` does not fit).
fn def_int(v: Option<&Value>) -> Option<i64> {
    match v {
        None => Some(0),
        Some(v) => int(v),
    }
}

/// An optional integer of an open enumeration.
fn opt_int(v: Option<&Value>) -> Option<()> {
    match v {
        None | Some(Value::Null) => Some(()),
        Some(v) => int(v).map(drop),
    }
}

/// An optional integer, also sent as a decimal string.
fn opt_lenient_int(v: Option<&Value>) -> Option<()> {
    match v {
        None | Some(Value::Null) => Some(()),
        Some(Value::String(s)) => s.trim().parse::<i64>().ok().map(drop),
        Some(v) => int(v).map(drop),
    }
}

/// A flag with a default: a bool, `"true"`/`"false"` (any case), `"1"`/`"0"`/`""`, 0/1 or
/// `null` (absent or `null`: false).
fn flag(v: Option<&Value>) -> Option<bool> {
    let Some(v) = v else {
        return Some(false);
    };
    match v {
        Value::Bool(b) => Some(*b),
        Value::Null => Some(false),
        Value::String(s) => {
            let s = s.trim();
            if s.eq_ignore_ascii_case("true") || s == "1" {
                Some(true)
            } else if s.eq_ignore_ascii_case("false") || s == "0" || s.is_empty() {
                Some(false)
            } else {
                None
            }
        }
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(0), _) | (_, Some(0)) => Some(false),
            (Some(1), _) => Some(true),
            _ => None,
        },
        _ => None,
    }
}

/// A role: a name or a number.
fn role(v: &Value) -> Option<()> {
    check(v.is_string() || v.is_i64() || v.is_u64())
}
