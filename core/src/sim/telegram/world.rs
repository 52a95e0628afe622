//! The simulated world: users, chats, the messages in them, uploaded files and the bot's
//! settings. Everything is kept as Bot API JSON so answers are built by cloning.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use crate::io::{SeededRng, Timestamp};

/// The type of a chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChatKind {
    /// A one-to-one chat between the bot and a user; its id is the user's id.
    Private,
    /// A basic group (negative id).
    Group,
    /// A supergroup (id below −10¹²).
    Supergroup,
    /// A channel; the bot receives its posts as `channel_post`.
    Channel,
}

impl ChatKind {
    /// The `Chat.type` string.
    pub fn as_str(self) -> &'static str {
        match self {
            ChatKind::Private => "private",
            ChatKind::Group => "group",
            ChatKind::Supergroup => "supergroup",
            ChatKind::Channel => "channel",
        }
    }

    /// Whether the per-group sending limit applies.
    pub fn is_group_like(self) -> bool {
        !matches!(self, ChatKind::Private)
    }

    /// The kind a chat id of unknown chat implies: supergroups and channels have ids below
    /// −10¹², basic groups small negative ids, users positive ids.
    pub fn guess_from_id(id: i64) -> ChatKind {
        if id > 0 {
            ChatKind::Private
        } else if id <= -1_000_000_000_000 {
            ChatKind::Supergroup
        } else {
            ChatKind::Group
        }
    }
}

/// A simulated Telegram user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimUser {
    /// The user id (positive).
    pub id: i64,
    /// First name.
    pub first_name: String,
    /// Optional last name.
    pub last_name: Option<String>,
    /// Optional username, without `@`.
    pub username: Option<String>,
    /// Optional IETF language tag.
    pub language_code: Option<String>,
}

impl SimUser {
    /// A user with only an id and a first name.
    pub fn new(id: i64, first_name: impl Into<String>) -> Self {
        SimUser {
            id,
            first_name: first_name.into(),
            last_name: None,
            username: None,
            language_code: None,
        }
    }

    /// Sets the username (without `@`).
    pub fn with_username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// Sets the language code.
    pub fn with_language(mut self, code: impl Into<String>) -> Self {
        self.language_code = Some(code.into());
        self
    }

    /// The user as a Bot API `User` object.
    pub fn to_json(&self) -> Value {
        let mut user = json!({
            "id": self.id,
            "is_bot": false,
            "first_name": self.first_name,
        });
        if let Some(v) = &self.last_name {
            user["last_name"] = json!(v);
        }
        if let Some(v) = &self.username {
            user["username"] = json!(v);
        }
        if let Some(v) = &self.language_code {
            user["language_code"] = json!(v);
        }
        user
    }
}

/// A group, supergroup or channel to register with the simulator (private chats exist for
/// every user).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimChat {
    /// Chat id (negative).
    pub id: i64,
    /// Group, supergroup or channel.
    pub kind: ChatKind,
    /// Title.
    pub title: String,
    /// Public username without `@`, if any (makes `@username` usable as `chat_id`).
    pub username: Option<String>,
}

impl SimChat {
    /// A basic group.
    pub fn group(id: i64, title: impl Into<String>) -> Self {
        Self::with_kind(id, ChatKind::Group, title)
    }

    /// A supergroup.
    pub fn supergroup(id: i64, title: impl Into<String>) -> Self {
        Self::with_kind(id, ChatKind::Supergroup, title)
    }

    /// A channel.
    pub fn channel(id: i64, title: impl Into<String>) -> Self {
        Self::with_kind(id, ChatKind::Channel, title)
    }

    /// Sets the public username.
    pub fn with_username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    fn with_kind(id: i64, kind: ChatKind, title: impl Into<String>) -> Self {
        SimChat {
            id,
            kind,
            title: title.into(),
            username: None,
        }
    }
}

/// A chat as the simulator keeps it.
#[derive(Debug, Clone)]
pub(crate) struct ChatState {
    pub id: i64,
    pub kind: ChatKind,
    pub title: String,
    pub username: Option<String>,
    pub next_message_id: i64,
    pub chat_instance: String,
    /// Private chats: the user blocked the bot.
    pub blocked: bool,
    /// Private chats: the user has written to the bot, so the bot may write back.
    pub started: bool,
    /// Groups: the bot was removed.
    pub bot_kicked: bool,
    pub members: BTreeSet<i64>,
}

/// A message in a chat.
#[derive(Debug, Clone)]
pub(crate) struct StoredMessage {
    pub json: Value,
    pub from_bot: bool,
    pub sender: Option<i64>,
}

/// A message the bot sent through an inline query result.
#[derive(Debug, Clone)]
pub(crate) struct InlineMessage {
    pub text: Option<String>,
    pub entities: Option<Value>,
    pub caption: Option<String>,
    pub reply_markup: Option<Value>,
    pub chat_instance: String,
}

/// A callback or inline query the bot may answer.
#[derive(Debug, Clone)]
pub(crate) struct QueryState {
    pub created: Timestamp,
    pub answered: bool,
    pub user: i64,
    pub query: String,
    /// Inline queries: the results of the answer, kept for `chosen_inline_result`.
    pub results: Vec<Value>,
}

/// The kinds of media the simulator stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MediaKind {
    Photo,
    Document,
    Audio,
    Video,
    Voice,
    Animation,
    Sticker,
}

impl MediaKind {
    /// The parameter and `Message` field name.
    pub fn field(self) -> &'static str {
        match self {
            MediaKind::Photo => "photo",
            MediaKind::Document => "document",
            MediaKind::Audio => "audio",
            MediaKind::Video => "video",
            MediaKind::Voice => "voice",
            MediaKind::Animation => "animation",
            MediaKind::Sticker => "sticker",
        }
    }

    pub fn from_media_type(kind: &str) -> Option<MediaKind> {
        Some(match kind {
            "photo" => MediaKind::Photo,
            "document" => MediaKind::Document,
            "audio" => MediaKind::Audio,
            "video" => MediaKind::Video,
            "animation" => MediaKind::Animation,
            _ => return None,
        })
    }

    /// Prefix of generated file ids (the real ones encode the type in their first bytes).
    fn id_prefix(self) -> &'static str {
        match self {
            MediaKind::Photo => "AgACAgIAAxk",
            MediaKind::Document => "BQACAgIAAxk",
            MediaKind::Audio => "CQACAgIAAxk",
            MediaKind::Video => "BAACAgIAAxk",
            MediaKind::Voice => "AwACAgIAAxk",
            MediaKind::Animation => "CgACAgIAAxk",
            MediaKind::Sticker => "CAACAgIAAxk",
        }
    }

    fn folder(self) -> &'static str {
        match self {
            MediaKind::Photo => "photos",
            MediaKind::Document => "documents",
            MediaKind::Audio => "music",
            MediaKind::Video => "videos",
            MediaKind::Voice => "voice",
            MediaKind::Animation => "animations",
            MediaKind::Sticker => "stickers",
        }
    }

    fn default_extension(self) -> &'static str {
        match self {
            MediaKind::Photo => "jpg",
            MediaKind::Document => "bin",
            MediaKind::Audio => "mp3",
            MediaKind::Video | MediaKind::Animation => "mp4",
            MediaKind::Voice => "oga",
            MediaKind::Sticker => "webp",
        }
    }

    fn default_mime(self) -> &'static str {
        match self {
            MediaKind::Photo => "image/jpeg",
            MediaKind::Document => "application/octet-stream",
            MediaKind::Audio => "audio/mpeg",
            MediaKind::Video | MediaKind::Animation => "video/mp4",
            MediaKind::Voice => "audio/ogg",
            MediaKind::Sticker => "image/webp",
        }
    }
}

/// A file known to the simulator.
#[derive(Debug, Clone)]
pub(crate) struct StoredFile {
    pub file_id: String,
    pub file_unique_id: String,
    pub bytes: Vec<u8>,
    pub file_name: Option<String>,
    pub mime_type: String,
    pub file_path: String,
    pub width: i64,
    pub height: i64,
}

/// Everything the simulated Telegram knows.
#[derive(Debug, Clone, Default)]
pub(crate) struct World {
    pub users: BTreeMap<i64, SimUser>,
    pub chats: BTreeMap<i64, ChatState>,
    pub messages: BTreeMap<(i64, i64), StoredMessage>,
    pub inline_messages: BTreeMap<String, InlineMessage>,
    pub callback_queries: BTreeMap<String, QueryState>,
    pub inline_queries: BTreeMap<String, QueryState>,
    pub files: BTreeMap<String, StoredFile>,
    pub file_paths: BTreeMap<String, String>,
    pub commands: BTreeMap<String, Value>,
    pub file_counter: u64,
    pub media_group_counter: u64,
}

const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// `len` characters of the URL-safe base64 alphabet drawn from the seeded generator.
pub(crate) fn random_token(rng: &mut SeededRng, len: usize) -> String {
    (0..len)
        .map(|_| ID_ALPHABET[(rng.next_u64() % ID_ALPHABET.len() as u64) as usize] as char)
        .collect()
}

/// A decimal id string like the ones Telegram uses for callback and inline queries.
pub(crate) fn random_numeric_id(rng: &mut SeededRng) -> String {
    (rng.next_u64() >> 1).to_string()
}

impl World {
    /// Registers a user (and the private chat with them) unless already known.
    pub fn ensure_user(&mut self, rng: &mut SeededRng, user: SimUser) {
        let id = user.id;
        self.users.entry(id).or_insert(user);
        let title = String::new();
        self.ensure_chat_state(rng, id, ChatKind::Private, title, None);
    }

    /// Registers a chat unless already known.
    pub fn ensure_chat_state(
        &mut self,
        rng: &mut SeededRng,
        id: i64,
        kind: ChatKind,
        title: String,
        username: Option<String>,
    ) -> &mut ChatState {
        self.chats.entry(id).or_insert_with(|| ChatState {
            id,
            kind,
            title,
            username,
            next_message_id: 1,
            chat_instance: format!("-{}", rng.next_u64() >> 2),
            blocked: false,
            started: false,
            bot_kicked: false,
            members: BTreeSet::new(),
        })
    }

    /// The chat as a Bot API `Chat` object.
    pub fn chat_json(&self, chat: &ChatState) -> Value {
        let mut out = json!({ "id": chat.id });
        if chat.kind == ChatKind::Private {
            if let Some(user) = self.users.get(&chat.id) {
                out["first_name"] = json!(user.first_name);
                if let Some(v) = &user.last_name {
                    out["last_name"] = json!(v);
                }
                if let Some(v) = &user.username {
                    out["username"] = json!(v);
                }
            }
        } else {
            out["title"] = json!(chat.title);
            if let Some(v) = &chat.username {
                out["username"] = json!(v);
            }
        }
        out["type"] = json!(chat.kind.as_str());
        out
    }

    /// Finds a chat by `@username`.
    pub fn chat_by_username(&self, name: &str) -> Option<i64> {
        let matches =
            |u: &Option<String>| u.as_deref().is_some_and(|u| u.eq_ignore_ascii_case(name));
        self.chats
            .values()
            .find(|c| {
                if c.kind == ChatKind::Private {
                    self.users.get(&c.id).is_some_and(|u| matches(&u.username))
                } else {
                    matches(&c.username)
                }
            })
            .map(|c| c.id)
    }

    /// Takes the next message id of a chat.
    pub fn next_message_id(&mut self, chat: i64) -> i64 {
        match self.chats.get_mut(&chat) {
            Some(state) => {
                let id = state.next_message_id;
                state.next_message_id += 1;
                id
            }
            None => 0,
        }
    }

    /// Stores a new file and returns its id.
    pub fn store_file(
        &mut self,
        rng: &mut SeededRng,
        kind: MediaKind,
        bytes: Vec<u8>,
        file_name: Option<String>,
        mime_type: Option<String>,
    ) -> String {
        self.file_counter += 1;
        let file_id = format!("{}{}", kind.id_prefix(), random_token(rng, 60));
        let file_unique_id = format!("AQAD{}", random_token(rng, 12));
        let extension = file_name
            .as_deref()
            .and_then(|n| n.rsplit_once('.'))
            .map(|(_, ext)| ext)
            .filter(|ext| {
                !ext.is_empty() && ext.len() <= 8 && ext.bytes().all(|b| b.is_ascii_alphanumeric())
            })
            .unwrap_or(kind.default_extension())
            .to_ascii_lowercase();
        let file_path = format!("{}/file_{}.{}", kind.folder(), self.file_counter, extension);
        let (width, height) = image_size(&bytes).unwrap_or(match kind {
            MediaKind::Photo => (800, 600),
            MediaKind::Sticker => (512, 512),
            MediaKind::Video | MediaKind::Animation => (640, 360),
            _ => (0, 0),
        });
        let mime_type = mime_type
            .filter(|m| !m.is_empty() && m != "application/octet-stream")
            .unwrap_or_else(|| kind.default_mime().to_owned());
        self.file_paths.insert(file_path.clone(), file_id.clone());
        self.files.insert(
            file_id.clone(),
            StoredFile {
                file_id: file_id.clone(),
                file_unique_id,
                bytes,
                file_name,
                mime_type,
                file_path,
                width,
                height,
            },
        );
        file_id
    }

    /// The `Message` fields describing a file (for example `photo` or `audio` plus
    /// `document` for animations). `extra` carries duration, title and performer parameters.
    pub fn media_fields(
        &self,
        file_id: &str,
        kind: MediaKind,
        extra: &Map<String, Value>,
    ) -> Map<String, Value> {
        let mut fields = Map::new();
        let Some(file) = self.files.get(file_id) else {
            return fields;
        };
        let mut object = json!({
            "file_id": file.file_id,
            "file_unique_id": file.file_unique_id,
        });
        let size = file.bytes.len() as u64;
        let duration = extra.get("duration").cloned().unwrap_or(json!(0));
        match kind {
            MediaKind::Photo => {
                object["width"] = json!(file.width);
                object["height"] = json!(file.height);
                object["file_size"] = json!(size);
                fields.insert("photo".into(), json!([object]));
                return fields;
            }
            MediaKind::Sticker => {
                object["type"] = json!("regular");
                object["width"] = json!(file.width);
                object["height"] = json!(file.height);
                object["is_animated"] = json!(false);
                object["is_video"] = json!(false);
                object["file_size"] = json!(size);
            }
            MediaKind::Video | MediaKind::Animation => {
                object["width"] = json!(extra.get("width").cloned().unwrap_or(json!(file.width)));
                object["height"] =
                    json!(extra.get("height").cloned().unwrap_or(json!(file.height)));
                object["duration"] = duration;
            }
            MediaKind::Audio => {
                object["duration"] = duration;
                for key in ["performer", "title"] {
                    if let Some(v) = extra.get(key) {
                        object[key] = v.clone();
                    }
                }
            }
            MediaKind::Voice => object["duration"] = duration,
            MediaKind::Document => {}
        }
        if kind != MediaKind::Sticker {
            if let Some(name) = &file.file_name {
                if kind != MediaKind::Voice {
                    object["file_name"] = json!(name);
                }
            }
            object["mime_type"] = json!(file.mime_type);
            object["file_size"] = json!(size);
        }
        if kind == MediaKind::Animation {
            // Telegram sends an animation's `document` too, for old clients.
            fields.insert("document".into(), object.clone());
        }
        fields.insert(kind.field().into(), object);
        fields
    }
}

/// Width and height of a PNG or GIF image, read from its header.
fn image_size(bytes: &[u8]) -> Option<(i64, i64)> {
    if bytes.len() >= 24 && bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        let w = u32::from_be_bytes(bytes[16..20].try_into().ok()?);
        let h = u32::from_be_bytes(bytes[20..24].try_into().ok()?);
        return Some((i64::from(w), i64::from(h)));
    }
    if bytes.len() >= 10 && (bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a")) {
        let w = u16::from_le_bytes([bytes[6], bytes[7]]);
        let h = u16::from_le_bytes([bytes[8], bytes[9]]);
        return Some((i64::from(w), i64::from(h)));
    }
    None
}
