//! The TrueConf adapter: server events into the shared [`Event`] model, shared [`Action`]s into
//! TrueConf requests, and TrueConf's capability table.
//!
//! Keys: chats are `"trueconf:<chatId>"`, users `"trueconf:<user@server>"`, messages
//! `{chat, id: <messageId>}` (TrueConf message ids are unique on the server, the chat is kept
//! for routing).

use super::model::{
    Action, ActionError, ActionKind, Button, Capabilities, Capability, Chat, ChatType, Event,
    EventKind, FileKind, FileUpload, MessageKey, Payload, Platform, SendOptions, TextFormat,
    TrueConfPayload, User,
};
use crate::trueconf::events::ServerEvent;
use crate::trueconf::types::{AttachmentKind, Content, Envelope};
use serde_json::{json, Map, Value};
use std::borrow::Cow;

/// What an action becomes on TrueConf.
#[derive(Debug, Clone, PartialEq)]
pub enum TrueConfCall {
    /// One WebSocket request.
    Request {
        /// The method (`"sendMessage"`, ...).
        method: Cow<'static, str>,
        /// Its payload.
        payload: Value,
        /// The TrueConf chat id it acts on, when it names one.
        chat_id: Option<String>,
    },
    /// A file to upload and send (`uploadFile`, the HTTP upload, `sendFile`), driven by the
    /// session.
    Upload {
        /// The TrueConf chat id.
        chat_id: String,
        /// The file.
        file: FileUpload,
        /// How it is shown (a photo gets its own bytes as preview).
        kind: FileKind,
        /// A caption, sent as plain text.
        caption: Option<String>,
    },
}

impl TrueConfCall {
    /// The wire method of the (first) request.
    pub fn method(&self) -> &str {
        match self {
            TrueConfCall::Request { method, .. } => method,
            TrueConfCall::Upload { .. } => "uploadFile",
        }
    }
}

/// What the adapter needs to know about the bot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrueConfOptions {
    /// The bot's own TrueConf id (`bot@server`, without `/resource`); needed by
    /// [`Action::Leave`].
    pub bot_id: Option<String>,
    /// Send `answerCommand` for [`Action::AnswerButton`]. TrueConf apps do not show the answers
    /// yet, so it is off by default and the action is refused as not supported.
    pub answer_commands: bool,
}

/// Most rows of buttons on one message.
pub const MAX_BUTTON_ROWS: usize = 8;
/// Most buttons in a row.
pub const MAX_BUTTONS_PER_ROW: usize = 8;
/// Most buttons on one message.
pub const MAX_BUTTONS: usize = 64;
/// Longest button label (characters).
pub const MAX_LABEL_CHARS: usize = 32;
/// Longest group or channel title sent (characters).
pub const MAX_TITLE_CHARS: usize = 255;

fn unsupported(action: &Action) -> ActionError {
    ActionError::NotSupported {
        platform: Platform::TrueConf,
        action: action.kind().as_str(),
    }
}

fn bad_key(key: &str) -> ActionError {
    ActionError::BadKey {
        platform: Platform::TrueConf,
        key: key.to_owned(),
    }
}

/// The TrueConf id in a `"trueconf:<id>"` key.
fn id_of(key: &str) -> Result<&str, ActionError> {
    match key.split_once(':') {
        Some(("trueconf", id)) if !id.is_empty() => Ok(id),
        _ => Err(bad_key(key)),
    }
}

/// The TrueConf message id of a message key (inline messages do not exist on TrueConf).
fn message_id(key: &MessageKey) -> Result<&str, ActionError> {
    match key {
        MessageKey::InChat { chat, id } => {
            id_of(chat)?;
            if id.is_empty() {
                return Err(bad_key(id));
            }
            Ok(id)
        }
        MessageKey::Inline { .. } => Err(ActionError::NotSupported {
            platform: Platform::TrueConf,
            action: "inline messages",
        }),
    }
}

fn parse_mode(options: &SendOptions) -> &'static str {
    match options.format {
        None | Some(TextFormat::Plain) => "text",
        Some(TextFormat::Html) => "html",
        Some(TextFormat::Markdown) | Some(TextFormat::MarkdownV2) => "markdown",
    }
}

fn encode(msg: impl Into<String>) -> ActionError {
    ActionError::Encode(msg.into())
}

fn button(b: &Button) -> Result<Value, ActionError> {
    let chars = b.text.chars().count();
    if chars == 0 || chars > MAX_LABEL_CHARS {
        return Err(encode(format!(
            "a button label has 1 to {MAX_LABEL_CHARS} characters (got {chars})"
        )));
    }
    match (&b.data, &b.url) {
        (Some(data), None) => {
            if data.is_empty() || data.len() > 255 || !data.is_ascii() {
                return Err(encode(
                    "button data becomes a TrueConf command: 1 to 255 ASCII characters",
                ));
            }
            Ok(json!({"type": "command", "label": b.text, "command": data}))
        }
        (None, Some(url)) => {
            let scheme_ok = ["http://", "https://", "mailto:", "trueconf:"]
                .iter()
                .any(|s| url.starts_with(s));
            if !scheme_ok || url.len() < 8 || url.len() > 8095 || !url.is_ascii() {
                return Err(encode(
                    "a URL button needs 8 to 8095 ASCII characters with scheme http, https, mailto or trueconf",
                ));
            }
            Ok(json!({"type": "url", "label": b.text, "url": url}))
        }
        _ => Err(encode("a button has exactly one of `data` and `url`")),
    }
}

fn buttons(rows: &[Vec<Button>]) -> Result<Value, ActionError> {
    let total: usize = rows.iter().map(Vec::len).sum();
    if rows.len() > MAX_BUTTON_ROWS
        || rows.iter().any(|r| r.len() > MAX_BUTTONS_PER_ROW)
        || total > MAX_BUTTONS
    {
        return Err(encode(format!(
            "at most {MAX_BUTTON_ROWS} rows of {MAX_BUTTONS_PER_ROW} buttons, {MAX_BUTTONS} in all"
        )));
    }
    rows.iter()
        .map(|row| {
            row.iter()
                .map(button)
                .collect::<Result<Vec<_>, _>>()
                .map(Value::from)
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Value::from)
}

fn content(text: &str, options: &SendOptions) -> Result<Value, ActionError> {
    if text.is_empty() {
        return Err(encode("a TrueConf message needs a text"));
    }
    let mut c = Map::new();
    c.insert("text".into(), text.into());
    c.insert("parseMode".into(), parse_mode(options).into());
    if let Some(rows) = options.keyboard.as_deref().filter(|r| !r.is_empty()) {
        c.insert("buttons".into(), buttons(rows)?);
    }
    Ok(Value::Object(c))
}

fn request(method: &'static str, payload: Value, chat_id: Option<&str>) -> TrueConfCall {
    TrueConfCall::Request {
        method: Cow::Borrowed(method),
        payload,
        chat_id: chat_id.map(str::to_owned),
    }
}

/// Translates an action into TrueConf requests.
///
/// | Action | Method |
/// |---|---|
/// | `Send` | `sendMessage` (buttons: `data` → `command` button, `url` → `url` button) |
/// | `Reply` | `sendMessage` with `replyMessageId` |
/// | `Edit` | `editMessage` (the whole content is replaced, buttons included) |
/// | `Delete` | `removeMessage` for everyone |
/// | `Forward` | `forwardMessage` |
/// | `AnswerButton` | `answerCommand`, only with [`TrueConfOptions::answer_commands`] |
/// | `Upload` | `uploadFile` + HTTP upload + `sendFile` |
/// | `Typing` | `sendChatActivity` `typing` |
/// | `Kick` | `removeChatParticipant` |
/// | `SetTitle` | `editChatTitle` |
/// | `Leave` | `removeChatParticipant` of the bot itself |
/// | `Call` | the named method with the given payload |
///
/// # Errors
/// - [`ActionError::NotSupported`] for `EditKeyboard`, `React`, `AnswerInline`, `Pin`,
///   `Unpin`, `Ban`, `Unban`, `SetDescription`, inline messages, a `Call` of another platform
///   or of `auth`, `AnswerButton` without the opt-in and `Leave` before the bot's id is known;
/// - [`ActionError::BadKey`] for keys that are not TrueConf keys;
/// - [`ActionError::Encode`] for an empty text, too many buttons, a label of more than 32
///   characters, button data that is not 1–255 ASCII characters, a title of more than 255
///   characters, `Call` arguments that are not a JSON object.
pub fn translate(options: &TrueConfOptions, action: &Action) -> Result<TrueConfCall, ActionError> {
    match action {
        Action::Send {
            chat,
            text,
            options: o,
        } => {
            let chat = id_of(chat)?;
            let payload =
                json!({"chatId": chat, "replyMessageId": null, "content": content(text, o)?});
            Ok(request("sendMessage", payload, Some(chat)))
        }
        Action::Reply {
            to,
            text,
            options: o,
        } => {
            let id = message_id(to)?;
            let chat = to.chat().map(id_of).transpose()?.unwrap_or_default();
            let payload =
                json!({"chatId": chat, "replyMessageId": id, "content": content(text, o)?});
            Ok(request("sendMessage", payload, Some(chat)))
        }
        Action::Edit {
            message,
            text,
            options: o,
        } => {
            let id = message_id(message)?;
            let payload = json!({"messageId": id, "content": content(text, o)?});
            let chat = message.chat().and_then(|c| id_of(c).ok());
            Ok(request("editMessage", payload, chat))
        }
        Action::Delete { message } => {
            let id = message_id(message)?;
            let chat = message.chat().and_then(|c| id_of(c).ok());
            Ok(request(
                "removeMessage",
                json!({"messageId": id, "forAll": true}),
                chat,
            ))
        }
        Action::Forward { message, to } => {
            let id = message_id(message)?;
            let to = id_of(to)?;
            Ok(request(
                "forwardMessage",
                json!({"messageId": id, "chatId": to}),
                Some(to),
            ))
        }
        Action::AnswerButton { query_id, text, .. } if options.answer_commands => {
            if query_id.is_empty() {
                return Err(encode("this button press carries no commandId to answer"));
            }
            let payload = match text {
                Some(t) => {
                    if t.is_empty() || t.len() > 255 || !t.is_ascii() {
                        return Err(encode("an answerCommand text is 1 to 255 ASCII characters"));
                    }
                    json!({"commandId": query_id, "answerType": "message", "message": {"text": t}})
                }
                None => json!({"commandId": query_id, "answerType": "complete"}),
            };
            Ok(request("answerCommand", payload, None))
        }
        Action::Upload {
            chat,
            file,
            kind,
            caption,
        } => Ok(TrueConfCall::Upload {
            chat_id: id_of(chat)?.to_owned(),
            file: file.clone(),
            kind: *kind,
            caption: caption.clone().filter(|c| !c.is_empty()),
        }),
        Action::Typing { chat } => {
            let chat = id_of(chat)?;
            Ok(request(
                "sendChatActivity",
                json!({"chatId": chat, "activityType": "typing"}),
                Some(chat),
            ))
        }
        Action::Kick { chat, user } => {
            let chat = id_of(chat)?;
            let user = id_of(user)?;
            Ok(request(
                "removeChatParticipant",
                json!({"chatId": chat, "userId": user, "clearHistory": false}),
                Some(chat),
            ))
        }
        Action::SetTitle { chat, title } => {
            let chat = id_of(chat)?;
            let n = title.chars().count();
            if n == 0 || n > MAX_TITLE_CHARS {
                return Err(encode(format!(
                    "a title has 1 to {MAX_TITLE_CHARS} characters (got {n})"
                )));
            }
            Ok(request(
                "editChatTitle",
                json!({"chatId": chat, "title": title}),
                Some(chat),
            ))
        }
        Action::Leave { chat } => {
            let chat = id_of(chat)?;
            let Some(bot) = options.bot_id.as_deref() else {
                return Err(ActionError::NotSupported {
                    platform: Platform::TrueConf,
                    action: "leave before the bot's id is known (it is learnt at auth)",
                });
            };
            Ok(request(
                "removeChatParticipant",
                json!({"chatId": chat, "userId": bot, "clearHistory": false}),
                Some(chat),
            ))
        }
        Action::Call {
            platform: Platform::TrueConf,
            method,
            args,
        } => {
            if method == "auth" || method.is_empty() {
                return Err(ActionError::NotSupported {
                    platform: Platform::TrueConf,
                    action: "calling `auth` (the session authorises itself)",
                });
            }
            let payload = match args {
                Value::Object(_) => args.clone(),
                Value::Null => Value::Object(Map::new()),
                _ => return Err(encode("TrueConf arguments are a JSON object")),
            };
            let chat_id = payload
                .get("chatId")
                .and_then(Value::as_str)
                .map(str::to_owned);
            Ok(TrueConfCall::Request {
                method: Cow::Owned(method.clone()),
                payload,
                chat_id,
            })
        }
        _ => Err(unsupported(action)),
    }
}

// ---- events ----

/// The shared chat type of a TrueConf `chatType`.
pub fn chat_type(code: i64) -> ChatType {
    match code {
        1 | 5 => ChatType::Private,
        2 => ChatType::Group,
        6 => ChatType::Channel,
        _ => ChatType::Unknown,
    }
}

pub(super) fn chat_key(id: &str) -> String {
    Platform::TrueConf.key(id)
}

pub(super) fn user(id: &str) -> User {
    User {
        key: Platform::TrueConf.key(id),
        name: String::new(),
        username: None,
        is_bot: false,
    }
}

/// telepot-style content type of an envelope's content.
fn content_type(content: &Content) -> &'static str {
    match content {
        Content::Text { .. } => "text",
        Content::Forward(_) => "forward",
        Content::Attachment { .. } => match content.attachment_kind() {
            Some(AttachmentKind::Photo) => "photo",
            Some(AttachmentKind::Video) => "video",
            Some(AttachmentKind::Sticker) => "sticker",
            _ => "document",
        },
        Content::Location { .. } => "location",
        Content::Survey { .. } => "survey",
        Content::Voice { .. } => "voice",
        Content::ParticipantAdded { .. } => "new_chat_member",
        Content::ParticipantRemoved { .. } => "left_chat_member",
        Content::TitleChanged { .. } => "new_chat_title",
        Content::AvatarChanged { .. } => "new_chat_photo",
        Content::HistoryCleared { .. } => "history_cleared",
        Content::RoleChanged { .. } => "role_changed",
        _ => "unknown",
    }
}

pub(super) fn base_event(id: String, kind: EventKind, platform_kind: &'static str) -> Event {
    Event {
        platform: Platform::TrueConf,
        id,
        seq: None,
        kind,
        platform_kind: Cow::Borrowed(platform_kind),
        chat: None,
        from: None,
        message: None,
        content_type: None,
        text: None,
        data: None,
        query_id: None,
        payload: Payload::Json(Box::new(Value::Null)),
    }
}

fn envelope_chat(env: &Envelope) -> Chat {
    Chat {
        key: chat_key(env.chat_id()),
        chat_type: chat_type(env.chat.chat_type.0),
        title: env.chat.chat_title.clone(),
    }
}

/// The shared event of a server event. `frame_id` is the id of the frame that carried it
/// (used in the event id of events that carry no id of their own); `raw` is the frame's
/// payload as received. Both are kept in the event's [`Payload::TrueConf`].
pub fn event_from_server(frame_id: u64, event: ServerEvent, raw: String) -> Event {
    let mut e = shared_event(frame_id, &event);
    e.payload = Payload::TrueConf(Box::new(TrueConfPayload { event, raw }));
    e
}

fn shared_event(frame_id: u64, event: &ServerEvent) -> Event {
    let fallback_id = || format!("{}#{frame_id}", event.method());
    match event {
        ServerEvent::Message(env) => message_event(env),
        ServerEvent::Command {
            command_id,
            source,
            payload,
        } => {
            let mut e = base_event(
                command_id.clone().unwrap_or_else(fallback_id),
                EventKind::ButtonPress,
                "command",
            );
            if let Some(msg) = source.message.as_deref() {
                let chat = envelope_chat(msg);
                e.message = Some(MessageKey::in_chat(chat.key.clone(), &msg.message_id));
                e.chat = Some(chat);
            }
            e.data = Some(
                payload
                    .custom_data
                    .clone()
                    .unwrap_or_else(|| payload.command.clone()),
            );
            e.query_id = command_id.clone();
            e
        }
        ServerEvent::MessageEdited {
            chat_id,
            message_id,
            timestamp,
            content,
        } => {
            let id = match message_id {
                Some(m) => format!("edit:{m}:{timestamp}"),
                None => fallback_id(),
            };
            let mut e = base_event(id, EventKind::EditedMessage, "editMessage");
            let key = chat_key(chat_id);
            e.message = message_id
                .as_ref()
                .map(|m| MessageKey::in_chat(key.clone(), m));
            e.chat = Some(Chat {
                key,
                chat_type: ChatType::Unknown,
                title: None,
            });
            e.text = Some(content.text.clone());
            e.content_type = Some(Cow::Borrowed("text"));
            e
        }
        ServerEvent::MessageRemoved {
            chat_id,
            message_id,
            removed_by,
        } => {
            let mut e = base_event(
                format!("remove:{message_id}"),
                EventKind::DeletedMessage,
                "removeMessage",
            );
            let key = chat_key(chat_id);
            e.message = Some(MessageKey::in_chat(key.clone(), message_id));
            e.chat = Some(Chat {
                key,
                chat_type: ChatType::Unknown,
                title: None,
            });
            e.from = Some(user(&removed_by.id));
            e
        }
        _ => other_event(event, fallback_id()),
    }
}

fn message_event(env: &Envelope) -> Event {
    let system = matches!(
        env.content,
        Content::ParticipantAdded { .. }
            | Content::ParticipantRemoved { .. }
            | Content::RoleChanged { .. }
    );
    let kind = match &env.content {
        Content::ParticipantAdded { .. } => EventKind::MemberJoined,
        Content::ParticipantRemoved { .. } => EventKind::MemberLeft,
        Content::RoleChanged { .. } => EventKind::MemberRoleChanged,
        _ => EventKind::Message,
    };
    let mut e = base_event(env.message_id.clone(), kind, "sendMessage");
    let chat = envelope_chat(env);
    e.message = Some(MessageKey::in_chat(chat.key.clone(), &env.message_id));
    e.chat = Some(chat);
    e.from = Some(user(&env.author.id));
    e.content_type = Some(Cow::Borrowed(content_type(&env.content)));
    e.text = match &env.content {
        Content::Forward(inner) => inner.text().map(str::to_owned),
        Content::ParticipantAdded { user_id, .. }
        | Content::ParticipantRemoved { user_id }
        | Content::RoleChanged { user_id, .. }
            if system =>
        {
            // The member concerned, as its key (the author is the server).
            Some(Platform::TrueConf.key(user_id))
        }
        c => c.as_text().map(str::to_owned),
    };
    e
}

fn other_event(event: &ServerEvent, fallback_id: String) -> Event {
    let (kind, platform_kind): (EventKind, &'static str) = match event {
        ServerEvent::ChatCreated { kind, .. } => (EventKind::ChatCreated, kind.method()),
        ServerEvent::ChatRemoved { .. } => (EventKind::ChatRemoved, "removeChat"),
        ServerEvent::ParticipantAdded { .. } => (EventKind::MemberJoined, "addChatParticipant"),
        ServerEvent::ParticipantRemoved { .. } => (EventKind::MemberLeft, "removeChatParticipant"),
        ServerEvent::RoleChanged { .. } => (EventKind::MemberRoleChanged, "changeParticipantRole"),
        ServerEvent::TitleChanged { .. } => (EventKind::Unknown, "editChatTitle"),
        ServerEvent::AvatarChanged { .. } => (EventKind::Unknown, "editChatAvatar"),
        ServerEvent::HistoryCleared { .. } => (EventKind::Unknown, "clearHistory"),
        ServerEvent::UploadLimits(_) => (EventKind::Unknown, "getFileUploadLimits"),
        ServerEvent::UploadProgress { .. } => (EventKind::UploadProgress, "uploadFileProgress"),
        _ => (EventKind::Unknown, "unknown"),
    };
    let mut e = base_event(fallback_id, kind, platform_kind);
    if let Some(chat) = event.chat_id() {
        let title = match event {
            ServerEvent::ChatCreated { chat, .. } => chat.title.clone(),
            ServerEvent::TitleChanged { title, .. } => Some(title.clone()),
            _ => None,
        };
        let chat_type = match event {
            ServerEvent::ChatCreated { chat, .. } => self::chat_type(chat.chat_type.0),
            _ => ChatType::Unknown,
        };
        e.chat = Some(Chat {
            key: chat_key(chat),
            chat_type,
            title,
        });
    }
    match event {
        ServerEvent::ParticipantAdded { user_id, .. }
        | ServerEvent::ParticipantRemoved { user_id, .. }
        | ServerEvent::RoleChanged { user_id, .. } => e.from = Some(user(user_id)),
        ServerEvent::UploadProgress { file_id, progress } => {
            e.data = Some(file_id.clone());
            e.text = Some(progress.to_string());
        }
        _ => {}
    }
    e
}

// ---- capabilities ----

const fn action(kind: ActionKind, supported: bool, note: &'static str) -> Capability {
    Capability {
        name: kind.as_str(),
        supported,
        note,
    }
}

const fn event(kind: EventKind, supported: bool, note: &'static str) -> Capability {
    Capability {
        name: kind.as_str(),
        supported,
        note,
    }
}

const ACTIONS: [Capability; 20] = [
    action(ActionKind::Send, true, "sendMessage"),
    action(ActionKind::Reply, true, "sendMessage with replyMessageId"),
    action(
        ActionKind::Edit,
        true,
        "editMessage (replaces the whole content, buttons included)",
    ),
    action(
        ActionKind::EditKeyboard,
        false,
        "editMessage replaces the text too: use Edit",
    ),
    action(ActionKind::Delete, true, "removeMessage for everyone"),
    action(ActionKind::React, false, "no reactions on TrueConf"),
    action(ActionKind::Forward, true, "forwardMessage"),
    action(
        ActionKind::AnswerButton,
        false,
        "answerCommand, only when enabled (TrueConf apps do not show answers yet)",
    ),
    action(
        ActionKind::AnswerInline,
        false,
        "no inline mode on TrueConf",
    ),
    action(
        ActionKind::Upload,
        true,
        "uploadFile + HTTP upload + sendFile (photos with a preview)",
    ),
    action(ActionKind::Typing, true, "sendChatActivity typing"),
    action(ActionKind::Pin, false, "no pinned messages on TrueConf"),
    action(ActionKind::Unpin, false, "no pinned messages on TrueConf"),
    action(ActionKind::Kick, true, "removeChatParticipant"),
    action(ActionKind::Ban, false, "no bans on TrueConf"),
    action(ActionKind::Unban, false, "no bans on TrueConf"),
    action(
        ActionKind::SetTitle,
        true,
        "editChatTitle (at most 255 characters)",
    ),
    action(
        ActionKind::SetDescription,
        false,
        "no chat descriptions on TrueConf",
    ),
    action(
        ActionKind::Leave,
        true,
        "removeChatParticipant of the bot itself",
    ),
    action(ActionKind::Call, true, "any WebSocket method by name"),
];

const EVENTS: [Capability; 14] = [
    event(
        EventKind::Message,
        true,
        "sendMessage events: text, forward, attachment, location, survey, voice",
    ),
    event(
        EventKind::EditedMessage,
        true,
        "editMessage (the message id is missing on some servers)",
    ),
    event(EventKind::DeletedMessage, true, "removeMessage"),
    event(
        EventKind::ButtonPress,
        true,
        "command (server 5.5.6 and later; data = customData, else the command)",
    ),
    event(EventKind::InlineQuery, false, "no inline mode on TrueConf"),
    event(
        EventKind::ChosenInlineResult,
        false,
        "no inline mode on TrueConf",
    ),
    event(
        EventKind::MemberJoined,
        true,
        "addChatParticipant, and system envelope 1 when enabled",
    ),
    event(
        EventKind::MemberLeft,
        true,
        "removeChatParticipant, and system envelope 2 when enabled",
    ),
    event(
        EventKind::MemberRoleChanged,
        true,
        "changeParticipantRole, and system envelope 110 when enabled",
    ),
    event(
        EventKind::ChatCreated,
        true,
        "createP2PChat, createGroupChat, createChannel, createFavoritesChat",
    ),
    event(EventKind::ChatRemoved, true, "removeChat"),
    event(EventKind::Reaction, false, "no reactions on TrueConf"),
    event(
        EventKind::UploadProgress,
        true,
        "uploadFileProgress of subscribed files (data = file id, text = bytes so far)",
    ),
    event(
        EventKind::Unknown,
        true,
        "title, avatar and history changes, upload limits, future events",
    ),
];

/// TrueConf's capability table.
pub const CAPABILITIES: Capabilities = Capabilities {
    platform: Platform::TrueConf,
    actions: &ACTIONS,
    events: &EVENTS,
};
