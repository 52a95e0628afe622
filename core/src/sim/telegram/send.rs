//! Methods that create messages: `sendMessage`, the media senders, `sendMediaGroup`,
//! `forwardMessage`, `copyMessage`, plus the checks they share (target chat, text limits,
//! keyboards, replies, flood control).

use serde_json::{json, Map, Value};

use super::api::ApiError;
use super::methods::Answer;
use super::request::{ChatRef, Params, Upload};
use super::world::{ChatKind, MediaKind, StoredMessage};
use super::{TelegramSim, TranscriptAction};
use crate::io::Timestamp;

/// Longest message text, in code points.
pub(crate) const MAX_TEXT: usize = 4096;
/// Longest media caption, in code points.
pub(crate) const MAX_CAPTION: usize = 1024;
/// Longest `callback_data`, in bytes.
const MAX_CALLBACK_DATA: usize = 64;
/// Largest upload.
const MAX_UPLOAD: usize = 50 * 1024 * 1024;
/// Largest photo upload.
const MAX_PHOTO_UPLOAD: usize = 10 * 1024 * 1024;

/// `Message` fields that describe the message rather than its content; they are not carried
/// over by `forwardMessage` and `copyMessage`.
const NOT_CONTENT: &[&str] = &[
    "message_id",
    "message_thread_id",
    "from",
    "sender_chat",
    "chat",
    "date",
    "edit_date",
    "reply_to_message",
    "external_reply",
    "quote",
    "forward_origin",
    "forward_from",
    "forward_from_chat",
    "forward_from_message_id",
    "forward_signature",
    "forward_sender_name",
    "forward_date",
    "is_automatic_forward",
    "is_topic_message",
    "has_protected_content",
    "media_group_id",
    "author_signature",
    "via_bot",
    "reply_markup",
];

/// Inline keyboard button fields that give a button its action.
const BUTTON_ACTIONS: &[&str] = &[
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
];

fn keyboard_error(detail: &str) -> ApiError {
    ApiError::bad_request(format!("can't parse inline keyboard button: {detail}"))
}

/// Checks a `reply_markup` value the way the Bot API parses it.
pub(crate) fn validate_markup(markup: &Value) -> Result<(), ApiError> {
    if let Some(rows) = markup.get("inline_keyboard") {
        let rows = rows.as_array().ok_or_else(|| {
            ApiError::bad_request("field \"inline_keyboard\" of the InlineKeyboardMarkup should be an Array of Arrays")
        })?;
        for row in rows {
            let buttons = row.as_array().ok_or_else(|| {
                ApiError::bad_request("field \"inline_keyboard\" of the InlineKeyboardMarkup should be an Array of Arrays")
            })?;
            for button in buttons {
                let button = button
                    .as_object()
                    .ok_or_else(|| keyboard_error("InlineKeyboardButton must be an Object"))?;
                if !button.get("text").is_some_and(Value::is_string) {
                    return Err(keyboard_error("Field \"text\" must be of type String"));
                }
                if !BUTTON_ACTIONS.iter().any(|k| button.contains_key(*k)) {
                    return Err(keyboard_error(
                        "Text buttons are unallowed in the inline keyboard",
                    ));
                }
                if let Some(data) = button.get("callback_data") {
                    let len = data.as_str().map(str::len).unwrap_or(0);
                    if !(1..=MAX_CALLBACK_DATA).contains(&len) {
                        return Err(ApiError::bad_request("BUTTON_DATA_INVALID"));
                    }
                }
                if let Some(url) = button.get("url") {
                    if url.as_str().is_none_or_blank() {
                        return Err(ApiError::bad_request("BUTTON_URL_INVALID"));
                    }
                }
            }
        }
        return Ok(());
    }
    if let Some(rows) = markup.get("keyboard") {
        let rows = rows.as_array().ok_or_else(|| {
            ApiError::bad_request(
                "field \"keyboard\" of the ReplyKeyboardMarkup should be an Array of Arrays",
            )
        })?;
        for row in rows {
            let buttons = row.as_array().ok_or_else(|| {
                ApiError::bad_request(
                    "field \"keyboard\" of the ReplyKeyboardMarkup should be an Array of Arrays",
                )
            })?;
            for button in buttons {
                let ok = button.is_string() || button.get("text").is_some_and(Value::is_string);
                if !ok {
                    return Err(ApiError::bad_request(
                        "can't parse keyboard button: KeyboardButton must be a String or an Object",
                    ));
                }
            }
        }
        return Ok(());
    }
    if markup.get("remove_keyboard").and_then(Value::as_bool) == Some(true)
        || markup.get("force_reply").and_then(Value::as_bool) == Some(true)
    {
        return Ok(());
    }
    Err(ApiError::bad_request(
        "can't parse reply keyboard markup JSON object",
    ))
}

trait BlankStr {
    fn is_none_or_blank(&self) -> bool;
}

impl BlankStr for Option<&str> {
    fn is_none_or_blank(&self) -> bool {
        match self {
            Some(s) => s.trim().is_empty(),
            None => true,
        }
    }
}

/// Whether a markup is an inline keyboard (the only kind a `Message` carries).
pub(crate) fn is_inline_keyboard(markup: &Value) -> bool {
    markup.get("inline_keyboard").is_some()
}

/// The text and entities of a formatted parameter after `parse_mode` or explicit entities.
pub(crate) struct Formatted {
    pub text: String,
    pub entities: Option<Value>,
}

impl TelegramSim {
    /// The chat a `chat_id`-like parameter names, if the simulator knows it.
    pub(crate) fn resolve_chat(&self, p: &Params, name: &str) -> Result<i64, ApiError> {
        let chat = match p.chat_opt(name)? {
            None if name == "chat_id" => return Err(ApiError::bad_request("chat_id is empty")),
            None => return Err(ApiError::missing(name)),
            Some(chat) => chat,
        };
        let id = match chat {
            ChatRef::Id(id) => id,
            ChatRef::Username(name) => self
                .world
                .chat_by_username(&name)
                .ok_or_else(ApiError::chat_not_found)?,
        };
        if self.world.chats.contains_key(&id) {
            Ok(id)
        } else {
            Err(ApiError::chat_not_found())
        }
    }

    /// The chat of `chat_id`, checked for being writable by the bot.
    pub(crate) fn writable_chat(&self, p: &Params) -> Result<i64, ApiError> {
        let id = self.resolve_chat(p, "chat_id")?;
        let chat = &self.world.chats[&id];
        match chat.kind {
            ChatKind::Private if chat.blocked => {
                Err(ApiError::forbidden("bot was blocked by the user"))
            }
            ChatKind::Private if !chat.started => Err(ApiError::forbidden(
                "bot can't initiate conversation with a user",
            )),
            ChatKind::Group if chat.bot_kicked => {
                Err(ApiError::forbidden("bot was kicked from the group chat"))
            }
            ChatKind::Supergroup if chat.bot_kicked => Err(ApiError::forbidden(
                "bot was kicked from the supergroup chat",
            )),
            ChatKind::Channel if chat.bot_kicked => Err(ApiError::forbidden(
                "bot is not a member of the channel chat",
            )),
            _ => Ok(id),
        }
    }

    /// A text parameter with `parse_mode` or explicit entities applied. `None` when absent.
    pub(crate) fn formatted(
        &self,
        p: &Params,
        field: &str,
        entities_field: &str,
    ) -> Result<Option<Formatted>, ApiError> {
        let Some(raw) = p.str_opt(field)? else {
            return Ok(None);
        };
        if let Some(entities) = p.json_opt(entities_field)? {
            let valid = entities.as_array().is_some_and(|list| {
                list.iter().all(|e| {
                    e.get("type").is_some_and(Value::is_string)
                        && e.get("offset").and_then(Value::as_u64).is_some()
                        && e.get("length").and_then(Value::as_u64).is_some()
                })
            });
            if !valid {
                return Err(ApiError::bad_request(format!(
                    "can't parse entities: field \"{entities_field}\" must be an Array of MessageEntity"
                )));
            }
            let entities = (!entities.as_array().is_some_and(Vec::is_empty)).then_some(entities);
            return Ok(Some(Formatted {
                text: raw,
                entities,
            }));
        }
        let mode = p.str_opt("parse_mode")?.filter(|m| !m.is_empty());
        if let Some(mode) = mode {
            if !["html", "markdownv2", "markdown"].contains(&mode.to_ascii_lowercase().as_str()) {
                return Err(ApiError::bad_request(format!(
                    "unsupported parse_mode \"{mode}\""
                )));
            }
            if let Some(parser) = self.config.markup_parser {
                let (text, entities) = parser(&raw, &mode)
                    .map_err(|err| ApiError::bad_request(format!("can't parse entities: {err}")))?;
                let entities = (!entities.is_empty()).then_some(Value::Array(entities));
                return Ok(Some(Formatted { text, entities }));
            }
        }
        Ok(Some(Formatted {
            text: raw,
            entities: None,
        }))
    }

    /// The message text of `sendMessage`/`editMessageText`, checked for length.
    pub(crate) fn message_text(&self, p: &Params) -> Result<Formatted, ApiError> {
        let text = self
            .formatted(p, "text", "entities")?
            .filter(|f| !f.text.trim().is_empty())
            .ok_or_else(|| ApiError::bad_request("message text is empty"))?;
        if text.text.chars().count() > MAX_TEXT {
            return Err(ApiError::bad_request("message is too long"));
        }
        Ok(text)
    }

    /// An optional caption, checked for length.
    pub(crate) fn caption(&self, p: &Params) -> Result<Option<Formatted>, ApiError> {
        let caption = self
            .formatted(p, "caption", "caption_entities")?
            .filter(|f| !f.text.is_empty());
        if caption
            .as_ref()
            .is_some_and(|c| c.text.chars().count() > MAX_CAPTION)
        {
            return Err(ApiError::bad_request("message caption is too long"));
        }
        Ok(caption)
    }

    /// The validated `reply_markup`, if given.
    pub(crate) fn reply_markup(&self, p: &Params) -> Result<Option<Value>, ApiError> {
        match p.json_opt("reply_markup") {
            Ok(Some(markup)) => {
                validate_markup(&markup)?;
                Ok(Some(markup))
            }
            Ok(None) => Ok(None),
            Err(_) => Err(ApiError::bad_request(
                "can't parse reply keyboard markup JSON object",
            )),
        }
    }

    /// The message a send replies to (`reply_parameters` or the older
    /// `reply_to_message_id`), as the `reply_to_message` to embed.
    fn reply_target(&self, chat: i64, p: &Params) -> Result<Option<Value>, ApiError> {
        let (message_id, reply_chat, lenient) = match p.json_opt("reply_parameters")? {
            Some(params) => {
                let id = params
                    .get("message_id")
                    .and_then(Value::as_i64)
                    .ok_or_else(|| {
                        ApiError::bad_request("can't parse reply parameters JSON object")
                    })?;
                let reply_chat = params
                    .get("chat_id")
                    .and_then(Value::as_i64)
                    .unwrap_or(chat);
                let lenient = params
                    .get("allow_sending_without_reply")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                (id, reply_chat, lenient)
            }
            None => match p.i64_opt("reply_to_message_id")? {
                Some(id) => (id, chat, p.flag("allow_sending_without_reply")?),
                None => return Ok(None),
            },
        };
        match self.world.messages.get(&(reply_chat, message_id)) {
            Some(message) => {
                let mut json = message.json.clone();
                if let Some(map) = json.as_object_mut() {
                    map.remove("reply_to_message");
                }
                Ok(Some(json))
            }
            None if lenient => Ok(None),
            None => Err(ApiError::bad_request("message to be replied not found")),
        }
    }

    /// Flood control for one more message to `chat`.
    pub(crate) fn check_flood(&mut self, now: Timestamp, chat: i64) -> Result<(), ApiError> {
        let is_group = self.world.chats[&chat].kind.is_group_like();
        let limits = self.config.rate_limits;
        self.limiter
            .check_send(&limits, now, chat, is_group)
            .map_err(|retry_after| {
                self.counters.rate_limited += 1;
                ApiError::too_many_requests(retry_after)
            })
    }

    fn count_send(&mut self, now: Timestamp, chat: i64) {
        let is_group = self.world.chats[&chat].kind.is_group_like();
        let limits = self.config.rate_limits;
        self.limiter.record_send(&limits, now, chat, is_group);
    }

    /// Creates a message of the bot in `chat` and stores it.
    fn post_bot_message(
        &mut self,
        now: Timestamp,
        chat: i64,
        content: Map<String, Value>,
        markup: Option<&Value>,
        reply_to: Option<Value>,
    ) -> Value {
        let message_id = self.world.next_message_id(chat);
        let state = &self.world.chats[&chat];
        let chat_json = self.world.chat_json(state);
        let mut message = Map::new();
        message.insert("message_id".into(), json!(message_id));
        if state.kind == ChatKind::Channel {
            message.insert("sender_chat".into(), chat_json.clone());
        } else {
            message.insert("from".into(), self.bot_user_json());
        }
        message.insert("chat".into(), chat_json);
        message.insert("date".into(), json!(self.unix(now)));
        message.extend(content);
        if let Some(reply) = reply_to {
            message.insert("reply_to_message".into(), reply);
        }
        if let Some(markup) = markup.filter(|m| is_inline_keyboard(m)) {
            message.insert("reply_markup".into(), markup.clone());
        }
        let json = Value::Object(message);
        self.world.messages.insert(
            (chat, message_id),
            StoredMessage {
                json: json.clone(),
                from_bot: true,
                sender: None,
            },
        );
        json
    }

    /// Records a sent message in the transcript.
    fn record_sent(
        &mut self,
        now: Timestamp,
        method: &str,
        message: &Value,
        markup: Option<Value>,
    ) {
        let text = message
            .get("text")
            .or_else(|| message.get("caption"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        self.record(
            now,
            TranscriptAction::Sent,
            method,
            message["chat"]["id"].as_i64(),
            message["message_id"].as_i64(),
            text,
            markup,
            message.clone(),
        );
    }

    pub(crate) fn send_message(&mut self, now: Timestamp, p: &Params) -> Result<Answer, ApiError> {
        let chat = self.writable_chat(p)?;
        let text = self.message_text(p)?;
        let markup = self.reply_markup(p)?;
        let reply_to = self.reply_target(chat, p)?;
        self.check_flood(now, chat)?;
        self.count_send(now, chat);
        let mut content = Map::new();
        content.insert("text".into(), json!(text.text));
        if let Some(entities) = text.entities {
            content.insert("entities".into(), entities);
        }
        if let Some(options) = p.json_opt("link_preview_options")? {
            content.insert("link_preview_options".into(), options);
        }
        let message = self.post_bot_message(now, chat, content, markup.as_ref(), reply_to);
        self.record_sent(now, "sendMessage", &message, markup);
        Ok(Answer::Value(message))
    }

    /// Stores an uploaded file.
    fn store_upload(&mut self, upload: &Upload, kind: MediaKind) -> Result<String, ApiError> {
        if upload.bytes.is_empty() {
            return Err(ApiError::bad_request("file must be non-empty"));
        }
        let limit = if kind == MediaKind::Photo {
            MAX_PHOTO_UPLOAD
        } else {
            MAX_UPLOAD
        };
        if upload.bytes.len() > limit {
            return Err(ApiError::too_large());
        }
        Ok(self.world.store_file(
            &mut self.rng,
            kind,
            upload.bytes.clone(),
            upload.filename.clone(),
            upload.content_type.clone(),
        ))
    }

    /// A file given as a string: `attach://<part>`, an HTTP(S) URL or a known `file_id`.
    fn file_from_string(
        &mut self,
        p: &Params,
        value: &str,
        kind: MediaKind,
    ) -> Result<String, ApiError> {
        let wrong = || ApiError::bad_request("wrong file identifier/HTTP URL specified");
        if let Some(part) = value.strip_prefix("attach://") {
            let upload = p.upload(part).ok_or_else(wrong)?.clone();
            return self.store_upload(&upload, kind);
        }
        let lower = value.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            // The simulator fetches nothing: the file's bytes name the URL.
            let name = value
                .rsplit('/')
                .next()
                .filter(|n| !n.is_empty() && !n.contains('?'))
                .map(str::to_owned);
            let bytes = format!("simulated download of {value}").into_bytes();
            return Ok(self
                .world
                .store_file(&mut self.rng, kind, bytes, name, None));
        }
        if self.world.files.contains_key(value) {
            Ok(value.to_owned())
        } else {
            Err(wrong())
        }
    }

    /// The file of a media parameter, uploaded or referenced.
    fn input_file(&mut self, p: &Params, kind: MediaKind) -> Result<String, ApiError> {
        let field = kind.field();
        if let Some(upload) = p.upload(field) {
            let upload = upload.clone();
            return self.store_upload(&upload, kind);
        }
        match p.str_opt(field)?.filter(|v| !v.trim().is_empty()) {
            Some(value) => self.file_from_string(p, value.trim(), kind),
            None => Err(ApiError::bad_request(format!(
                "there is no {field} in the request"
            ))),
        }
    }

    /// Duration, size, title and performer parameters for a media object.
    fn media_extra(p: &Params) -> Result<Map<String, Value>, ApiError> {
        let mut extra = Map::new();
        for key in ["duration", "width", "height"] {
            if let Some(v) = p.i64_opt(key)? {
                extra.insert(key.into(), json!(v.max(0)));
            }
        }
        for key in ["performer", "title"] {
            if let Some(v) = p.str_opt(key)? {
                extra.insert(key.into(), json!(v));
            }
        }
        Ok(extra)
    }

    pub(crate) fn send_media(
        &mut self,
        now: Timestamp,
        p: &Params,
        kind: MediaKind,
        method: &str,
    ) -> Result<Answer, ApiError> {
        let chat = self.writable_chat(p)?;
        let caption = if kind == MediaKind::Sticker {
            None
        } else {
            self.caption(p)?
        };
        let markup = self.reply_markup(p)?;
        let reply_to = self.reply_target(chat, p)?;
        let extra = Self::media_extra(p)?;
        self.check_flood(now, chat)?;
        let file_id = self.input_file(p, kind)?;
        self.count_send(now, chat);
        let mut content = self.world.media_fields(&file_id, kind, &extra);
        if let Some(caption) = caption {
            content.insert("caption".into(), json!(caption.text));
            if let Some(entities) = caption.entities {
                content.insert("caption_entities".into(), entities);
            }
        }
        if p.flag("has_spoiler")? {
            content.insert("has_media_spoiler".into(), json!(true));
        }
        if let Some(emoji) = p.str_opt("emoji")?.filter(|_| kind == MediaKind::Sticker) {
            if let Some(sticker) = content.get_mut("sticker") {
                sticker["emoji"] = json!(emoji);
            }
        }
        let message = self.post_bot_message(now, chat, content, markup.as_ref(), reply_to);
        self.record_sent(now, method, &message, markup);
        Ok(Answer::Value(message))
    }

    pub(crate) fn send_media_group(
        &mut self,
        now: Timestamp,
        p: &Params,
    ) -> Result<Answer, ApiError> {
        let chat = self.writable_chat(p)?;
        let media = p
            .json_opt("media")?
            .ok_or_else(|| ApiError::missing("media"))?;
        let items = media
            .as_array()
            .ok_or_else(|| ApiError::bad_request("can't parse media JSON object"))?;
        if !(2..=10).contains(&items.len()) {
            return Err(ApiError::bad_request("media group must contain 2-10 items"));
        }
        let mut kinds = Vec::with_capacity(items.len());
        for item in items {
            let kind = item
                .get("type")
                .and_then(Value::as_str)
                .and_then(MediaKind::from_media_type)
                .filter(|k| *k != MediaKind::Animation)
                .ok_or_else(|| ApiError::bad_request("unsupported media type in a media group"))?;
            if item.get("media").and_then(Value::as_str).is_none_or_blank() {
                return Err(ApiError::bad_request("there is no media in the request"));
            }
            let caption = item.get("caption").and_then(Value::as_str).unwrap_or("");
            if caption.chars().count() > MAX_CAPTION {
                return Err(ApiError::bad_request("message caption is too long"));
            }
            kinds.push(kind);
        }
        for (single, name) in [
            (MediaKind::Document, "documents"),
            (MediaKind::Audio, "audio"),
        ] {
            if kinds.contains(&single) && kinds.iter().any(|k| *k != single) {
                return Err(ApiError::bad_request(format!(
                    "{name} can't be mixed with other media types"
                )));
            }
        }
        let reply_to = self.reply_target(chat, p)?;
        self.check_flood(now, chat)?;
        let mut files = Vec::with_capacity(items.len());
        for (item, kind) in items.iter().zip(&kinds) {
            let reference = item["media"].as_str().unwrap_or("").trim().to_owned();
            files.push(self.file_from_string(p, &reference, *kind)?);
        }
        self.count_send(now, chat);
        self.world.media_group_counter += 1;
        let group_id = format!(
            "{}",
            13_800_000_000_000_000u64 + self.world.media_group_counter
        );
        let mut messages = Vec::with_capacity(items.len());
        for ((item, kind), file_id) in items.iter().zip(&kinds).zip(&files) {
            let extra = item.as_object().cloned().unwrap_or_default();
            let mut content = self.world.media_fields(file_id, *kind, &extra);
            content.insert("media_group_id".into(), json!(group_id));
            if let Some(caption) = item
                .get("caption")
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty())
            {
                content.insert("caption".into(), json!(caption));
                if let Some(entities) = item.get("caption_entities").filter(|e| e.is_array()) {
                    content.insert("caption_entities".into(), entities.clone());
                }
            }
            let message = self.post_bot_message(now, chat, content, None, reply_to.clone());
            self.record_sent(now, "sendMediaGroup", &message, None);
            messages.push(message);
        }
        Ok(Answer::Value(Value::Array(messages)))
    }

    /// `forwardMessage` (`copy` false) and `copyMessage` (`copy` true).
    pub(crate) fn forward_or_copy(
        &mut self,
        now: Timestamp,
        p: &Params,
        copy: bool,
    ) -> Result<Answer, ApiError> {
        let chat = self.writable_chat(p)?;
        let from_chat = self.resolve_chat(p, "from_chat_id")?;
        let message_id = p.i64_req("message_id")?;
        let what = if copy { "copy" } else { "forward" };
        let source = self
            .world
            .messages
            .get(&(from_chat, message_id))
            .cloned()
            .ok_or_else(|| ApiError::bad_request(format!("message to {what} not found")))?;
        let markup = if copy { self.reply_markup(p)? } else { None };
        let caption = if copy { self.caption(p)? } else { None };
        let reply_to = if copy {
            self.reply_target(chat, p)?
        } else {
            None
        };
        self.check_flood(now, chat)?;
        self.count_send(now, chat);
        let mut content: Map<String, Value> = source
            .json
            .as_object()
            .map(|m| {
                m.iter()
                    .filter(|(k, _)| !NOT_CONTENT.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        if copy {
            if let Some(caption) = caption.filter(|_| !content.contains_key("text")) {
                content.insert("caption".into(), json!(caption.text));
                content.remove("caption_entities");
                if let Some(entities) = caption.entities {
                    content.insert("caption_entities".into(), entities);
                }
            }
        } else {
            let source_chat = &self.world.chats[&from_chat];
            let original_date = source.json["date"].clone();
            let origin = if source_chat.kind == ChatKind::Channel {
                json!({
                    "type": "channel",
                    "chat": self.world.chat_json(source_chat),
                    "message_id": message_id,
                    "date": original_date,
                })
            } else {
                let sender = if source.from_bot {
                    self.bot_user_json()
                } else {
                    source.json.get("from").cloned().unwrap_or(Value::Null)
                };
                json!({ "type": "user", "sender_user": sender, "date": original_date })
            };
            content.insert("forward_origin".into(), origin);
        }
        let message = self.post_bot_message(now, chat, content, markup.as_ref(), reply_to);
        let method = if copy {
            "copyMessage"
        } else {
            "forwardMessage"
        };
        self.record_sent(now, method, &message, markup);
        if copy {
            Ok(Answer::Value(
                json!({ "message_id": message["message_id"] }),
            ))
        } else {
            Ok(Answer::Value(message))
        }
    }
}
