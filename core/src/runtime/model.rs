//! The platform-neutral model: one [`Event`] type for what arrives, one [`Action`] type for
//! what a bot does, stable string keys for chats, users and messages, and a machine-readable
//! capability table per platform.
//!
//! Keys are strings of the form `<platform>:<platform id>` (`"telegram:-1001234"`); they are
//! stable across restarts and safe to store. The platform's own payload stays reachable through
//! [`Event::payload`].

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;

mod de;

/// A chat platform botwire speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// Telegram Bot API.
    Telegram,
    /// TrueConf Chatbot Connector.
    TrueConf,
    /// GetStream Chat.
    Stream,
    /// Teamwire.
    Teamwire,
}

impl Platform {
    /// The platform's name, also the prefix of its keys: `"telegram"`, `"trueconf"`,
    /// `"stream"`, `"teamwire"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Platform::Telegram => "telegram",
            Platform::TrueConf => "trueconf",
            Platform::Stream => "stream",
            Platform::Teamwire => "teamwire",
        }
    }

    /// Every platform.
    pub const ALL: [Platform; 4] = [
        Platform::Telegram,
        Platform::TrueConf,
        Platform::Stream,
        Platform::Teamwire,
    ];

    /// The platform named `name` (as [`as_str`](Self::as_str) spells it).
    pub fn from_name(name: &str) -> Option<Platform> {
        Platform::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// The key `"<platform>:<id>"`.
    pub fn key(self, id: impl fmt::Display) -> String {
        format!("{}:{id}", self.as_str())
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Splits a key into its platform and platform id.
///
/// ```
/// use botwire_core::runtime::model::{split_key, Platform};
/// assert_eq!(split_key("telegram:-100"), Some((Platform::Telegram, "-100")));
/// assert_eq!(split_key("nowhere:1"), None);
/// ```
pub fn split_key(key: &str) -> Option<(Platform, &str)> {
    let (p, id) = key.split_once(':')?;
    Some((Platform::from_name(p)?, id))
}

/// What an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// A new message (in a chat, a group or a channel).
    Message,
    /// A message was edited.
    EditedMessage,
    /// Messages were deleted.
    DeletedMessage,
    /// A button was pressed (Telegram callback query).
    ButtonPress,
    /// An inline query.
    InlineQuery,
    /// The user chose an inline result.
    ChosenInlineResult,
    /// Someone joined a chat (or the bot was added).
    MemberJoined,
    /// Someone left a chat (or the bot was removed).
    MemberLeft,
    /// A member's role or rights changed.
    MemberRoleChanged,
    /// A chat was created.
    ChatCreated,
    /// A chat was removed.
    ChatRemoved,
    /// A reaction was set or removed.
    Reaction,
    /// Progress of a file upload.
    UploadProgress,
    /// Anything else; the payload has it.
    Unknown,
}

impl EventKind {
    /// The kind in snake case (`"message"`, `"button_press"`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            EventKind::Message => "message",
            EventKind::EditedMessage => "edited_message",
            EventKind::DeletedMessage => "deleted_message",
            EventKind::ButtonPress => "button_press",
            EventKind::InlineQuery => "inline_query",
            EventKind::ChosenInlineResult => "chosen_inline_result",
            EventKind::MemberJoined => "member_joined",
            EventKind::MemberLeft => "member_left",
            EventKind::MemberRoleChanged => "member_role_changed",
            EventKind::ChatCreated => "chat_created",
            EventKind::ChatRemoved => "chat_removed",
            EventKind::Reaction => "reaction",
            EventKind::UploadProgress => "upload_progress",
            EventKind::Unknown => "unknown",
        }
    }

    /// Every kind.
    pub const ALL: [EventKind; 14] = [
        EventKind::Message,
        EventKind::EditedMessage,
        EventKind::DeletedMessage,
        EventKind::ButtonPress,
        EventKind::InlineQuery,
        EventKind::ChosenInlineResult,
        EventKind::MemberJoined,
        EventKind::MemberLeft,
        EventKind::MemberRoleChanged,
        EventKind::ChatCreated,
        EventKind::ChatRemoved,
        EventKind::Reaction,
        EventKind::UploadProgress,
        EventKind::Unknown,
    ];

    /// The kind named `name`.
    pub fn from_name(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// What kind of chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatType {
    /// One-to-one.
    Private,
    /// A group.
    Group,
    /// A large group (Telegram supergroup).
    Supergroup,
    /// A broadcast channel.
    Channel,
    /// The platform did not say.
    Unknown,
}

impl ChatType {
    /// The type in snake case.
    pub const fn as_str(self) -> &'static str {
        match self {
            ChatType::Private => "private",
            ChatType::Group => "group",
            ChatType::Supergroup => "supergroup",
            ChatType::Channel => "channel",
            ChatType::Unknown => "unknown",
        }
    }

    /// Whether several people can write there (group, supergroup, channel).
    pub const fn is_group_like(self) -> bool {
        matches!(
            self,
            ChatType::Group | ChatType::Supergroup | ChatType::Channel
        )
    }
}

/// A chat an event happened in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Chat {
    /// Stable key, `"<platform>:<id>"`.
    pub key: String,
    /// Its type.
    #[serde(rename = "type")]
    pub chat_type: ChatType,
    /// Its title, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// A user.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct User {
    /// Stable key, `"<platform>:<id>"`.
    pub key: String,
    /// A display name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The user's handle (Telegram username), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Whether it is a bot.
    #[serde(default)]
    pub is_bot: bool,
}

/// A message someone can reply to, edit or delete.
///
/// Written untagged (`{chat, id}` or `{platform, inline_id}`) and read back by which fields are
/// there.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum MessageKey {
    /// A message in a chat.
    InChat {
        /// The chat's key.
        chat: String,
        /// The message's id in that chat.
        id: String,
    },
    /// A message sent through inline mode (Telegram's `inline_message_id`).
    Inline {
        /// The platform.
        platform: Platform,
        /// The inline message id.
        inline_id: String,
    },
}

impl MessageKey {
    /// A message in a chat.
    pub fn in_chat(chat: impl Into<String>, id: impl fmt::Display) -> Self {
        MessageKey::InChat {
            chat: chat.into(),
            id: id.to_string(),
        }
    }

    /// The chat's key, for a message in a chat.
    pub fn chat(&self) -> Option<&str> {
        match self {
            MessageKey::InChat { chat, .. } => Some(chat),
            MessageKey::Inline { .. } => None,
        }
    }

    /// The platform the message lives on (`None` for a chat key that names no platform).
    pub fn platform(&self) -> Option<Platform> {
        match self {
            MessageKey::InChat { chat, .. } => split_key(chat).map(|(p, _)| p),
            MessageKey::Inline { platform, .. } => Some(*platform),
        }
    }
}

/// The platform's own payload of an event.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Payload {
    /// A Telegram update, typed.
    Telegram(Box<crate::telegram::types::Update>),
    /// A Telegram update kept as JSON text (see [`super::telegram_json`]).
    TelegramJson(Box<super::telegram_json::TelegramJson>),
    /// A TrueConf server event, typed.
    TrueConf(Box<TrueConfPayload>),
    /// A TrueConf server event kept as JSON text (see [`super::trueconf_json`]).
    TrueConfJson(Box<super::trueconf_json::TrueConfJson>),
    /// Any other platform's event as JSON.
    Json(Box<serde_json::Value>),
}

/// A TrueConf server event as the runtime keeps it: typed, and as received.
#[derive(Debug, Clone, PartialEq)]
pub struct TrueConfPayload {
    /// The typed event.
    pub event: crate::trueconf::events::ServerEvent,
    /// The frame's payload as received (JSON text).
    pub raw: String,
}

impl TrueConfPayload {
    /// `{"method": …, "payload": …}`, the form stored in exported states.
    pub fn to_json(&self) -> serde_json::Value {
        let payload = serde_json::from_str(&self.raw).unwrap_or(serde_json::Value::Null);
        serde_json::json!({"method": self.event.method(), "payload": payload})
    }
}

impl Payload {
    /// The Telegram update, if this is one.
    pub fn telegram(&self) -> Option<&crate::telegram::types::Update> {
        match self {
            Payload::Telegram(u) => Some(u),
            _ => None,
        }
    }

    /// The Telegram update kept as JSON, if this is one.
    pub fn telegram_json(&self) -> Option<&super::telegram_json::TelegramJson> {
        match self {
            Payload::TelegramJson(u) => Some(u),
            _ => None,
        }
    }

    /// The TrueConf event, if this is a typed one.
    pub fn trueconf(&self) -> Option<&TrueConfPayload> {
        match self {
            Payload::TrueConf(p) => Some(p),
            _ => None,
        }
    }

    /// The TrueConf event kept as JSON, if this is one.
    pub fn trueconf_json(&self) -> Option<&super::trueconf_json::TrueConfJson> {
        match self {
            Payload::TrueConfJson(p) => Some(p),
            _ => None,
        }
    }

    /// The payload as JSON (a TrueConf event as `{"method": …, "payload": …}`).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Payload::Telegram(u) => serde_json::to_value(u).unwrap_or(serde_json::Value::Null),
            other => other.to_json_untyped(),
        }
    }

    /// [`to_json`](Self::to_json), for programs that never hold a typed Telegram update
    /// ([`Payload::Telegram`]), which it writes as `null`. A program calling only this links
    /// none of the typed Bot API model's serialisers: the runtime's Telegram bot on JSON
    /// updates (`TelegramBot<Json>`) and its TrueConf bot use it, and so does the npm
    /// package's WebAssembly module.
    pub fn to_json_untyped(&self) -> serde_json::Value {
        match self {
            Payload::Telegram(_) => serde_json::Value::Null,
            Payload::TelegramJson(u) => {
                serde_json::from_str(u.update.json()).unwrap_or(serde_json::Value::Null)
            }
            Payload::TrueConf(p) => p.to_json(),
            Payload::TrueConfJson(p) => p.to_json(),
            Payload::Json(v) => (**v).clone(),
        }
    }
}

/// Something that happened on a platform, in the shared model.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Where it came from.
    pub platform: Platform,
    /// The platform's unique id of the event (Telegram: the `update_id`); duplicates are
    /// dropped by it.
    pub id: String,
    /// The position in the platform's stream when it has one (Telegram: the `update_id`);
    /// acknowledgement follows it.
    pub seq: Option<i64>,
    /// What it is about.
    pub kind: EventKind,
    /// The platform's name for its kind (Telegram: the `Update` field, such as
    /// `"channel_post"`).
    pub platform_kind: Cow<'static, str>,
    /// The chat, when there is one.
    pub chat: Option<Chat>,
    /// Who caused it, when known.
    pub from: Option<User>,
    /// The message it concerns (the new message, the edited one, the one whose button was
    /// pressed, ...).
    pub message: Option<MessageKey>,
    /// The message's content type in telepot's vocabulary (`"text"`, `"photo"`, ...).
    pub content_type: Option<Cow<'static, str>>,
    /// The message's text or caption, an inline query's text.
    pub text: Option<String>,
    /// Button data (Telegram callback data), the chosen inline result id, an invoice payload.
    pub data: Option<String>,
    /// The id to answer (callback query or inline query id).
    pub query_id: Option<String>,
    /// The platform's own payload.
    pub payload: Payload,
}

impl Event {
    /// The chat's key.
    pub fn chat_key(&self) -> Option<&str> {
        self.chat.as_ref().map(|c| c.key.as_str())
    }

    /// The sender's key.
    pub fn user_key(&self) -> Option<&str> {
        self.from.as_ref().map(|u| u.key.as_str())
    }

    /// The Telegram update, when the event came from Telegram.
    pub fn telegram(&self) -> Option<&crate::telegram::types::Update> {
        self.payload.telegram()
    }

    /// The typed TrueConf event, when the event came from TrueConf in the typed form (`None`
    /// for an event kept as JSON, [`Payload::TrueConfJson`]).
    pub fn trueconf(&self) -> Option<&crate::trueconf::events::ServerEvent> {
        self.payload.trueconf().map(|p| &p.event)
    }

    /// A summary as JSON (the payload included under `"payload"`), for bindings and logs.
    pub fn to_json(&self) -> serde_json::Value {
        let mut m = self.head_json();
        m.insert("payload".into(), self.payload.to_json());
        serde_json::Value::Object(m)
    }

    /// [`to_json`](Self::to_json) with the payload written by
    /// [`Payload::to_json_untyped`] (a typed Telegram update becomes `null`).
    pub fn to_json_untyped(&self) -> serde_json::Value {
        let mut m = self.head_json();
        m.insert("payload".into(), self.payload.to_json_untyped());
        serde_json::Value::Object(m)
    }

    /// [`to_json`](Self::to_json) as JSON text; a payload kept as text (a Telegram update
    /// kept as JSON) is copied into it as it is, without being parsed.
    pub fn to_json_text(&self) -> String {
        let Some(payload) = self.payload_text() else {
            return self.to_json().to_string();
        };
        // The head is a non-empty object: its text ends with `}`.
        let mut text = self.head_json_text();
        text.pop();
        text.push_str(",\"payload\":");
        text.push_str(payload);
        text.push('}');
        text
    }

    /// Every field but the payload, as JSON text: with [`payload_text`](Self::payload_text),
    /// what [`to_json_text`](Self::to_json_text) holds, in two parts.
    pub fn head_json_text(&self) -> String {
        serde_json::to_string(&self.head()).unwrap_or_else(|_| "{}".into())
    }

    /// The payload as the JSON text it is kept as (a Telegram update kept as JSON); `None`
    /// for a payload kept in another form.
    pub fn payload_text(&self) -> Option<&str> {
        match &self.payload {
            Payload::TelegramJson(update) => Some(update.update.json()),
            _ => None,
        }
    }

    /// Every field but the payload, borrowed for serialising.
    fn head(&self) -> EventHead<'_> {
        EventHead {
            chat: &self.chat,
            content_type: &self.content_type,
            data: &self.data,
            from: &self.from,
            id: &self.id,
            kind: self.kind.as_str(),
            message: &self.message,
            platform: self.platform.as_str(),
            platform_kind: &self.platform_kind,
            query_id: &self.query_id,
            seq: self.seq,
            text: &self.text,
        }
    }

    /// Every field but the payload.
    fn head_json(&self) -> serde_json::Map<String, serde_json::Value> {
        match serde_json::to_value(self.head()) {
            Ok(serde_json::Value::Object(m)) => m,
            // The head's fields are plain data and always serialise to an object.
            _ => serde_json::Map::new(),
        }
    }
}

/// The fields of an [`Event`] but its payload, as [`Event::to_json`] writes them (names in
/// alphabetical order, absent values as `null`, `seq` left out when absent).
#[derive(Serialize)]
struct EventHead<'a> {
    chat: &'a Option<Chat>,
    content_type: &'a Option<Cow<'static, str>>,
    data: &'a Option<String>,
    from: &'a Option<User>,
    id: &'a str,
    kind: &'a str,
    message: &'a Option<MessageKey>,
    platform: &'a str,
    platform_kind: &'a str,
    query_id: &'a Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seq: Option<i64>,
    text: &'a Option<String>,
}

/// A button of an inline keyboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    /// The label.
    pub text: String,
    /// Data sent back when pressed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// A link opened when pressed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl Button {
    /// A button that sends `data` back.
    pub fn data(text: impl Into<String>, data: impl Into<String>) -> Self {
        Button {
            text: text.into(),
            data: Some(data.into()),
            url: None,
        }
    }

    /// A button that opens `url`.
    pub fn url(text: impl Into<String>, url: impl Into<String>) -> Self {
        Button {
            text: text.into(),
            data: None,
            url: Some(url.into()),
        }
    }
}

/// How a text is marked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TextFormat {
    /// Plain text.
    Plain,
    /// HTML (Telegram's subset).
    Html,
    /// MarkdownV2.
    MarkdownV2,
    /// Legacy Markdown.
    Markdown,
}

/// Options of a sent or edited message.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SendOptions {
    /// Markup of the text (plain when `None`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<TextFormat>,
    /// An inline keyboard, rows of buttons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyboard: Option<Vec<Vec<Button>>>,
    /// Send without a notification sound.
    #[serde(default)]
    pub silent: bool,
    /// Do not show a link preview.
    #[serde(default)]
    pub no_link_preview: bool,
}

/// A file to upload.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileUpload {
    /// The file name.
    pub name: String,
    /// The MIME type, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime: Option<String>,
    /// The bytes.
    pub bytes: Vec<u8>,
}

impl fmt::Debug for FileUpload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileUpload")
            .field("name", &self.name)
            .field("mime", &self.mime)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// How an uploaded file is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// A general file.
    Document,
    /// A picture.
    Photo,
    /// A video.
    Video,
    /// Music.
    Audio,
    /// A voice note.
    Voice,
}

/// Something a bot does, translated into a platform request by the platform's adapter.
///
/// In JSON, an object with the kind in `"action"` (`{"action": "send", "chat": …, "text": …}`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Action {
    /// Send a text message to a chat.
    Send {
        /// The chat's key.
        chat: String,
        /// The text.
        text: String,
        /// Options.
        #[serde(default)]
        options: SendOptions,
    },
    /// Reply to a message (in its chat).
    Reply {
        /// The message replied to.
        to: MessageKey,
        /// The text.
        text: String,
        /// Options.
        #[serde(default)]
        options: SendOptions,
    },
    /// Replace a message's text.
    Edit {
        /// The message.
        message: MessageKey,
        /// The new text.
        text: String,
        /// Options (the keyboard replaces the old one).
        #[serde(default)]
        options: SendOptions,
    },
    /// Replace only a message's keyboard (`None` removes it).
    EditKeyboard {
        /// The message.
        message: MessageKey,
        /// The new keyboard.
        keyboard: Option<Vec<Vec<Button>>>,
    },
    /// Delete a message.
    Delete {
        /// The message.
        message: MessageKey,
    },
    /// Set (or with `None`, remove) the bot's reaction to a message.
    React {
        /// The message.
        message: MessageKey,
        /// An emoji.
        emoji: Option<String>,
    },
    /// Forward a message to another chat.
    Forward {
        /// The message.
        message: MessageKey,
        /// The destination chat's key.
        to: String,
    },
    /// Answer a button press.
    AnswerButton {
        /// The query id ([`Event::query_id`]).
        query_id: String,
        /// A notification text.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
        /// Show the text as an alert.
        #[serde(default)]
        alert: bool,
    },
    /// Answer an inline query with results in the platform's JSON format.
    AnswerInline {
        /// The query id.
        query_id: String,
        /// The results (Telegram: an array of `InlineQueryResult`).
        results: serde_json::Value,
        /// Seconds the answer may be cached.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cache_time: Option<u32>,
    },
    /// Upload a file to a chat.
    Upload {
        /// The chat's key.
        chat: String,
        /// The file.
        file: FileUpload,
        /// How it is shown.
        kind: FileKind,
        /// A caption.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        caption: Option<String>,
    },
    /// Show "typing…" in a chat.
    Typing {
        /// The chat's key.
        chat: String,
    },
    /// Pin a message.
    Pin {
        /// The message.
        message: MessageKey,
    },
    /// Unpin a message.
    Unpin {
        /// The message.
        message: MessageKey,
    },
    /// Remove a member from a chat (they may come back).
    Kick {
        /// The chat's key.
        chat: String,
        /// The user's key.
        user: String,
    },
    /// Ban a member, until a unix time or forever.
    Ban {
        /// The chat's key.
        chat: String,
        /// The user's key.
        user: String,
        /// Unix time the ban ends.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<i64>,
    },
    /// Lift a ban.
    Unban {
        /// The chat's key.
        chat: String,
        /// The user's key.
        user: String,
    },
    /// Change a chat's title.
    SetTitle {
        /// The chat's key.
        chat: String,
        /// The title.
        title: String,
    },
    /// Change a chat's description.
    SetDescription {
        /// The chat's key.
        chat: String,
        /// The description.
        description: String,
    },
    /// Leave a chat.
    Leave {
        /// The chat's key.
        chat: String,
    },
    /// A platform method called by name with JSON arguments (anything the shared model does
    /// not cover).
    Call {
        /// The platform.
        platform: Platform,
        /// The method name.
        method: String,
        /// Its arguments.
        args: serde_json::Value,
    },
}

/// The kind of an [`Action`], the rows of the capability table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ActionKind {
    /// [`Action::Send`].
    Send,
    /// [`Action::Reply`].
    Reply,
    /// [`Action::Edit`].
    Edit,
    /// [`Action::EditKeyboard`].
    EditKeyboard,
    /// [`Action::Delete`].
    Delete,
    /// [`Action::React`].
    React,
    /// [`Action::Forward`].
    Forward,
    /// [`Action::AnswerButton`].
    AnswerButton,
    /// [`Action::AnswerInline`].
    AnswerInline,
    /// [`Action::Upload`].
    Upload,
    /// [`Action::Typing`].
    Typing,
    /// [`Action::Pin`].
    Pin,
    /// [`Action::Unpin`].
    Unpin,
    /// [`Action::Kick`].
    Kick,
    /// [`Action::Ban`].
    Ban,
    /// [`Action::Unban`].
    Unban,
    /// [`Action::SetTitle`].
    SetTitle,
    /// [`Action::SetDescription`].
    SetDescription,
    /// [`Action::Leave`].
    Leave,
    /// [`Action::Call`].
    Call,
}

impl ActionKind {
    /// Every action kind.
    pub const ALL: [ActionKind; 20] = [
        ActionKind::Send,
        ActionKind::Reply,
        ActionKind::Edit,
        ActionKind::EditKeyboard,
        ActionKind::Delete,
        ActionKind::React,
        ActionKind::Forward,
        ActionKind::AnswerButton,
        ActionKind::AnswerInline,
        ActionKind::Upload,
        ActionKind::Typing,
        ActionKind::Pin,
        ActionKind::Unpin,
        ActionKind::Kick,
        ActionKind::Ban,
        ActionKind::Unban,
        ActionKind::SetTitle,
        ActionKind::SetDescription,
        ActionKind::Leave,
        ActionKind::Call,
    ];

    /// The kind in snake case.
    pub const fn as_str(self) -> &'static str {
        match self {
            ActionKind::Send => "send",
            ActionKind::Reply => "reply",
            ActionKind::Edit => "edit",
            ActionKind::EditKeyboard => "edit_keyboard",
            ActionKind::Delete => "delete",
            ActionKind::React => "react",
            ActionKind::Forward => "forward",
            ActionKind::AnswerButton => "answer_button",
            ActionKind::AnswerInline => "answer_inline",
            ActionKind::Upload => "upload",
            ActionKind::Typing => "typing",
            ActionKind::Pin => "pin",
            ActionKind::Unpin => "unpin",
            ActionKind::Kick => "kick",
            ActionKind::Ban => "ban",
            ActionKind::Unban => "unban",
            ActionKind::SetTitle => "set_title",
            ActionKind::SetDescription => "set_description",
            ActionKind::Leave => "leave",
            ActionKind::Call => "call",
        }
    }
}

impl Action {
    /// This action's kind.
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Send { .. } => ActionKind::Send,
            Action::Reply { .. } => ActionKind::Reply,
            Action::Edit { .. } => ActionKind::Edit,
            Action::EditKeyboard { .. } => ActionKind::EditKeyboard,
            Action::Delete { .. } => ActionKind::Delete,
            Action::React { .. } => ActionKind::React,
            Action::Forward { .. } => ActionKind::Forward,
            Action::AnswerButton { .. } => ActionKind::AnswerButton,
            Action::AnswerInline { .. } => ActionKind::AnswerInline,
            Action::Upload { .. } => ActionKind::Upload,
            Action::Typing { .. } => ActionKind::Typing,
            Action::Pin { .. } => ActionKind::Pin,
            Action::Unpin { .. } => ActionKind::Unpin,
            Action::Kick { .. } => ActionKind::Kick,
            Action::Ban { .. } => ActionKind::Ban,
            Action::Unban { .. } => ActionKind::Unban,
            Action::SetTitle { .. } => ActionKind::SetTitle,
            Action::SetDescription { .. } => ActionKind::SetDescription,
            Action::Leave { .. } => ActionKind::Leave,
            Action::Call { .. } => ActionKind::Call,
        }
    }

    /// The chat a send-like action goes to (flood control queues by it).
    pub fn target_chat(&self) -> Option<&str> {
        match self {
            Action::Send { chat, .. }
            | Action::Upload { chat, .. }
            | Action::Typing { chat }
            | Action::Kick { chat, .. }
            | Action::Ban { chat, .. }
            | Action::Unban { chat, .. }
            | Action::SetTitle { chat, .. }
            | Action::SetDescription { chat, .. }
            | Action::Leave { chat } => Some(chat),
            Action::Forward { to, .. } => Some(to),
            Action::Reply { to: m, .. }
            | Action::Edit { message: m, .. }
            | Action::EditKeyboard { message: m, .. }
            | Action::Delete { message: m }
            | Action::React { message: m, .. }
            | Action::Pin { message: m }
            | Action::Unpin { message: m } => m.chat(),
            Action::AnswerButton { .. } | Action::AnswerInline { .. } | Action::Call { .. } => None,
        }
    }

    /// Whether the action posts a new message (these count against flood-control budgets).
    pub fn is_send(&self) -> bool {
        matches!(
            self,
            Action::Send { .. }
                | Action::Reply { .. }
                | Action::Forward { .. }
                | Action::Upload { .. }
        )
    }
}

/// Why an action could not be turned into a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ActionError {
    /// The platform cannot do this (see its capability table).
    #[error("{platform} cannot do `{action}`")]
    NotSupported {
        /// The platform.
        platform: Platform,
        /// The action.
        action: &'static str,
    },
    /// A key does not belong to this platform or cannot be read.
    #[error("`{key}` is not a {platform} key")]
    BadKey {
        /// The platform.
        platform: Platform,
        /// The key.
        key: String,
    },
    /// The arguments cannot be encoded.
    #[error("cannot encode the request: {0}")]
    Encode(String),
}

/// Whether a platform supports something, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Capability {
    /// The action or event kind.
    pub name: &'static str,
    /// Supported.
    pub supported: bool,
    /// The platform's method or event, or why not.
    pub note: &'static str,
}

/// A platform's capability table: which actions it can perform and which events it delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    /// The platform.
    pub platform: Platform,
    /// One row per [`ActionKind`].
    pub actions: &'static [Capability],
    /// One row per [`EventKind`].
    pub events: &'static [Capability],
}

impl Capabilities {
    /// Whether the platform can perform `kind`.
    pub fn supports(&self, kind: ActionKind) -> bool {
        self.actions
            .iter()
            .any(|c| c.name == kind.as_str() && c.supported)
    }

    /// Whether the platform delivers events of `kind`.
    pub fn delivers(&self, kind: EventKind) -> bool {
        self.events
            .iter()
            .any(|c| c.name == kind.as_str() && c.supported)
    }

    /// The table as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The capability table of a platform, or `None` while its adapter does not exist yet.
///
/// ```
/// use botwire_core::runtime::model::{capabilities, ActionKind, Platform};
/// let telegram = capabilities(Platform::Telegram).unwrap();
/// assert!(telegram.supports(ActionKind::Send));
/// assert!(telegram.to_json().starts_with("{\"platform\":\"telegram\""));
/// ```
pub fn capabilities(platform: Platform) -> Option<Capabilities> {
    match platform {
        Platform::Telegram => Some(super::telegram::CAPABILITIES),
        Platform::TrueConf => Some(super::trueconf::CAPABILITIES),
        Platform::Stream | Platform::Teamwire => None,
    }
}
