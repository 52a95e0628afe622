//! telepot's `Sender`, `Administrator` and `Editor`, built on [`Action`]s: each is bound to a
//! chat or a message and returns the action to perform; nothing here does I/O or checks keys
//! (the platform adapter does, when it translates the action).
//!
//! What the shared model has no action for becomes an [`Action::Call`] with the chat (and
//! message) filled in under Telegram's parameter names (`chat_id`, `message_id`,
//! `inline_message_id`): numeric ids as numbers, anything else as text.
//!
//! ```
//! use botwire_core::runtime::helpers::{Administrator, Editor, Sender};
//! use botwire_core::runtime::model::{Action, MessageKey};
//! use botwire_core::runtime::telegram::translate;
//! use botwire_core::telegram::Api;
//! use serde_json::json;
//!
//! let sender = Sender::new("telegram:42");
//! assert_eq!(
//!     sender.send_text("hi"),
//!     Action::Send { chat: "telegram:42".into(), text: "hi".into(), options: Default::default() }
//! );
//! let dice = sender.call("sendDice", json!({"emoji": "🎲"}));
//! assert_eq!(translate(&Api::new("1:T"), &dice).unwrap().method, "sendDice");
//!
//! let admin = Administrator::new("telegram:-1001");
//! assert_eq!(
//!     admin.kick("telegram:7"),
//!     Action::Kick { chat: "telegram:-1001".into(), user: "telegram:7".into() }
//! );
//!
//! let editor = Editor::new(MessageKey::in_chat("telegram:42", 5));
//! let call = translate(&Api::new("1:T"), &editor.edit_caption("new caption")).unwrap();
//! assert_eq!(call.method, "editMessageCaption");
//! let body: serde_json::Value = serde_json::from_slice(&call.request.body).unwrap();
//! assert_eq!(body, json!({"chat_id": 42, "message_id": 5, "caption": "new caption"}));
//! ```

use crate::runtime::model::{
    split_key, Action, Button, Event, FileKind, FileUpload, MessageKey, Platform, SendOptions,
};
use serde_json::{Map, Value};
use std::fmt;

/// A platform id as a JSON argument: a number when it reads as one, else text.
fn id_value(id: &str) -> Value {
    id.parse::<i64>()
        .map_or_else(|_| Value::String(id.to_owned()), Value::from)
}

/// The platform and JSON id of a key; a key naming no platform is taken whole as a Telegram
/// id (translation then reports it).
fn key_parts(key: &str) -> (Platform, Value) {
    match split_key(key) {
        Some((platform, id)) => (platform, id_value(id)),
        None => (Platform::Telegram, Value::String(key.to_owned())),
    }
}

/// An [`Action::Call`] with `fill` set in the arguments (over any value given there).
/// Arguments that are `null` start as an empty object; other non-objects are left as they
/// are (translation rejects them).
fn call(platform: Platform, method: &str, args: Value, fill: Vec<(&str, Value)>) -> Action {
    let args = match args {
        Value::Null => {
            let mut m = Map::new();
            for (k, v) in fill {
                m.insert(k.to_owned(), v);
            }
            Value::Object(m)
        }
        Value::Object(mut m) => {
            for (k, v) in fill {
                m.insert(k.to_owned(), v);
            }
            Value::Object(m)
        }
        other => other,
    };
    Action::Call {
        platform,
        method: method.to_owned(),
        args,
    }
}

// ---------------------------------------------------------------------------------------------
// Sender
// ---------------------------------------------------------------------------------------------

/// Sends to one chat (telepot's `Sender`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sender {
    chat: String,
}

impl Sender {
    /// A sender to the chat with key `chat`.
    pub fn new(chat: impl Into<String>) -> Self {
        Sender { chat: chat.into() }
    }

    /// A sender to the chat an event happened in (`None` when it has no chat, like an
    /// inline query).
    pub fn from_event(event: &Event) -> Option<Self> {
        event.chat_key().map(Sender::new)
    }

    /// The chat's key.
    pub fn chat(&self) -> &str {
        &self.chat
    }

    /// Sends a plain text.
    pub fn send_text(&self, text: impl Into<String>) -> Action {
        self.send(text, SendOptions::default())
    }

    /// Sends a text with options (format, keyboard, silent, link preview).
    pub fn send(&self, text: impl Into<String>, options: SendOptions) -> Action {
        Action::Send {
            chat: self.chat.clone(),
            text: text.into(),
            options,
        }
    }

    /// Replies to message `message_id` of this chat with a plain text.
    pub fn reply(&self, message_id: impl fmt::Display, text: impl Into<String>) -> Action {
        self.reply_with(message_id, text, SendOptions::default())
    }

    /// Replies to message `message_id` of this chat with options.
    pub fn reply_with(
        &self,
        message_id: impl fmt::Display,
        text: impl Into<String>,
        options: SendOptions,
    ) -> Action {
        Action::Reply {
            to: MessageKey::in_chat(self.chat.clone(), message_id),
            text: text.into(),
            options,
        }
    }

    /// Forwards `message` (of any chat) to this chat.
    pub fn forward(&self, message: MessageKey) -> Action {
        Action::Forward {
            message,
            to: self.chat.clone(),
        }
    }

    /// Uploads a file shown as `kind`.
    pub fn upload(&self, file: FileUpload, kind: FileKind, caption: Option<&str>) -> Action {
        Action::Upload {
            chat: self.chat.clone(),
            file,
            kind,
            caption: caption.map(str::to_owned),
        }
    }

    /// Uploads a general file (`sendDocument`).
    pub fn send_document(&self, file: FileUpload, caption: Option<&str>) -> Action {
        self.upload(file, FileKind::Document, caption)
    }

    /// Uploads a picture (`sendPhoto`).
    pub fn send_photo(&self, file: FileUpload, caption: Option<&str>) -> Action {
        self.upload(file, FileKind::Photo, caption)
    }

    /// Uploads a video (`sendVideo`).
    pub fn send_video(&self, file: FileUpload, caption: Option<&str>) -> Action {
        self.upload(file, FileKind::Video, caption)
    }

    /// Uploads music (`sendAudio`).
    pub fn send_audio(&self, file: FileUpload, caption: Option<&str>) -> Action {
        self.upload(file, FileKind::Audio, caption)
    }

    /// Uploads a voice note (`sendVoice`).
    pub fn send_voice(&self, file: FileUpload, caption: Option<&str>) -> Action {
        self.upload(file, FileKind::Voice, caption)
    }

    /// Shows "typing…".
    pub fn typing(&self) -> Action {
        Action::Typing {
            chat: self.chat.clone(),
        }
    }

    /// Any other method that sends to a chat (`sendLocation`, `sendDice`, `sendPoll`,
    /// `copyMessage`, ...), with `chat_id` set to this chat.
    pub fn call(&self, method: &str, args: Value) -> Action {
        let (platform, chat) = key_parts(&self.chat);
        call(platform, method, args, vec![("chat_id", chat)])
    }
}

// ---------------------------------------------------------------------------------------------
// Administrator
// ---------------------------------------------------------------------------------------------

/// Administers one chat (telepot's `Administrator`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Administrator {
    chat: String,
}

impl Administrator {
    /// An administrator of the chat with key `chat`.
    pub fn new(chat: impl Into<String>) -> Self {
        Administrator { chat: chat.into() }
    }

    /// An administrator of the chat an event happened in.
    pub fn from_event(event: &Event) -> Option<Self> {
        event.chat_key().map(Administrator::new)
    }

    /// The chat's key.
    pub fn chat(&self) -> &str {
        &self.chat
    }

    fn call_with(&self, method: &str, args: Value, mut fill: Vec<(&str, Value)>) -> Action {
        let (platform, chat) = key_parts(&self.chat);
        fill.insert(0, ("chat_id", chat));
        call(platform, method, args, fill)
    }

    /// Removes a member, who may come back.
    pub fn kick(&self, user: impl Into<String>) -> Action {
        Action::Kick {
            chat: self.chat.clone(),
            user: user.into(),
        }
    }

    /// Bans a member until unix time `until` (forever when `None`).
    pub fn ban(&self, user: impl Into<String>, until: Option<i64>) -> Action {
        Action::Ban {
            chat: self.chat.clone(),
            user: user.into(),
            until,
        }
    }

    /// Lifts a ban.
    pub fn unban(&self, user: impl Into<String>) -> Action {
        Action::Unban {
            chat: self.chat.clone(),
            user: user.into(),
        }
    }

    /// `restrictChatMember`: `permissions` is a `ChatPermissions` object.
    pub fn restrict(&self, user: &str, permissions: Value, until: Option<i64>) -> Action {
        let mut fill = vec![("user_id", key_parts(user).1), ("permissions", permissions)];
        if let Some(until) = until {
            fill.push(("until_date", until.into()));
        }
        self.call_with("restrictChatMember", Value::Null, fill)
    }

    /// `promoteChatMember`: `rights` is an object of its `can_*` flags
    /// (`{"can_pin_messages": true}`).
    pub fn promote(&self, user: &str, rights: Value) -> Action {
        self.call_with(
            "promoteChatMember",
            rights,
            vec![("user_id", key_parts(user).1)],
        )
    }

    /// `setChatPermissions`: `permissions` is a `ChatPermissions` object.
    pub fn set_permissions(&self, permissions: Value) -> Action {
        self.call_with(
            "setChatPermissions",
            Value::Null,
            vec![("permissions", permissions)],
        )
    }

    /// `exportChatInviteLink`.
    pub fn export_invite_link(&self) -> Action {
        self.call_with("exportChatInviteLink", Value::Null, Vec::new())
    }

    /// `setChatPhoto` with an uploaded picture.
    pub fn set_photo(&self, file: &FileUpload) -> Action {
        use base64::Engine as _;
        let mut photo = Map::new();
        photo.insert("file_name".into(), file.name.clone().into());
        photo.insert(
            "data_base64".into(),
            base64::engine::general_purpose::STANDARD
                .encode(&file.bytes)
                .into(),
        );
        if let Some(mime) = &file.mime {
            photo.insert("mime_type".into(), mime.clone().into());
        }
        self.call_with(
            "setChatPhoto",
            Value::Null,
            vec![("photo", Value::Object(photo))],
        )
    }

    /// `deleteChatPhoto`.
    pub fn delete_photo(&self) -> Action {
        self.call_with("deleteChatPhoto", Value::Null, Vec::new())
    }

    /// `getChat`.
    pub fn get_chat(&self) -> Action {
        self.call_with("getChat", Value::Null, Vec::new())
    }

    /// `getChatAdministrators`.
    pub fn get_administrators(&self) -> Action {
        self.call_with("getChatAdministrators", Value::Null, Vec::new())
    }

    /// `getChatMemberCount`.
    pub fn get_member_count(&self) -> Action {
        self.call_with("getChatMemberCount", Value::Null, Vec::new())
    }

    /// `getChatMember`.
    pub fn get_member(&self, user: &str) -> Action {
        self.call_with(
            "getChatMember",
            Value::Null,
            vec![("user_id", key_parts(user).1)],
        )
    }

    /// Changes the title.
    pub fn set_title(&self, title: impl Into<String>) -> Action {
        Action::SetTitle {
            chat: self.chat.clone(),
            title: title.into(),
        }
    }

    /// Changes the description.
    pub fn set_description(&self, description: impl Into<String>) -> Action {
        Action::SetDescription {
            chat: self.chat.clone(),
            description: description.into(),
        }
    }

    /// Pins message `message_id` of this chat.
    pub fn pin(&self, message_id: impl fmt::Display) -> Action {
        Action::Pin {
            message: MessageKey::in_chat(self.chat.clone(), message_id),
        }
    }

    /// Unpins message `message_id` of this chat.
    pub fn unpin(&self, message_id: impl fmt::Display) -> Action {
        Action::Unpin {
            message: MessageKey::in_chat(self.chat.clone(), message_id),
        }
    }

    /// `unpinAllChatMessages`.
    pub fn unpin_all(&self) -> Action {
        self.call_with("unpinAllChatMessages", Value::Null, Vec::new())
    }

    /// Leaves the chat.
    pub fn leave(&self) -> Action {
        Action::Leave {
            chat: self.chat.clone(),
        }
    }

    /// Any other method acting on a chat, with `chat_id` set to this chat.
    pub fn call(&self, method: &str, args: Value) -> Action {
        self.call_with(method, args, Vec::new())
    }
}

// ---------------------------------------------------------------------------------------------
// Editor
// ---------------------------------------------------------------------------------------------

/// Edits one message, in a chat or sent inline (telepot's `Editor`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Editor {
    message: MessageKey,
}

impl Editor {
    /// An editor of `message`.
    pub fn new(message: MessageKey) -> Self {
        Editor { message }
    }

    /// An editor of the message an event concerns: the new or edited message, the message
    /// whose button was pressed, the inline message of a chosen result.
    pub fn from_event(event: &Event) -> Option<Self> {
        event.message.clone().map(Editor::new)
    }

    /// The message.
    pub fn message(&self) -> &MessageKey {
        &self.message
    }

    /// Replaces the text (an inline keyboard not given again is removed).
    pub fn edit_text(&self, text: impl Into<String>) -> Action {
        self.edit_text_with(text, SendOptions::default())
    }

    /// Replaces the text, with options.
    pub fn edit_text_with(&self, text: impl Into<String>, options: SendOptions) -> Action {
        Action::Edit {
            message: self.message.clone(),
            text: text.into(),
            options,
        }
    }

    /// Replaces the caption (`editMessageCaption`).
    pub fn edit_caption(&self, caption: impl Into<String>) -> Action {
        self.call(
            "editMessageCaption",
            serde_json::json!({ "caption": caption.into() }),
        )
    }

    /// Replaces the inline keyboard (`None` removes it).
    pub fn edit_keyboard(&self, keyboard: Option<Vec<Vec<Button>>>) -> Action {
        Action::EditKeyboard {
            message: self.message.clone(),
            keyboard,
        }
    }

    /// Deletes the message.
    pub fn delete(&self) -> Action {
        Action::Delete {
            message: self.message.clone(),
        }
    }

    /// Sets the bot's reaction.
    pub fn react(&self, emoji: impl Into<String>) -> Action {
        Action::React {
            message: self.message.clone(),
            emoji: Some(emoji.into()),
        }
    }

    /// Removes the bot's reaction.
    pub fn remove_reaction(&self) -> Action {
        Action::React {
            message: self.message.clone(),
            emoji: None,
        }
    }

    /// Any other method acting on a message (`editMessageLiveLocation`,
    /// `stopMessageLiveLocation`, `editMessageMedia`, ...), with `chat_id` and `message_id`
    /// set for a chat message, `inline_message_id` for an inline one.
    pub fn call(&self, method: &str, args: Value) -> Action {
        match &self.message {
            MessageKey::InChat { chat, id } => {
                let (platform, chat) = key_parts(chat);
                call(
                    platform,
                    method,
                    args,
                    vec![("chat_id", chat), ("message_id", id_value(id))],
                )
            }
            MessageKey::Inline {
                platform,
                inline_id,
            } => call(
                *platform,
                method,
                args,
                vec![("inline_message_id", Value::String(inline_id.clone()))],
            ),
        }
    }
}
