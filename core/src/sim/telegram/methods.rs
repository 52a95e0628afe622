//! Method dispatch and the methods that do not create messages: `getMe`, `logOut`, `close`,
//! edits, deletion, query answers, reactions, chat actions, `getChat`, `getFile` and the
//! command list.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::api::{self, ApiError};
use super::request::Params;
use super::send::{is_inline_keyboard, Formatted};
use super::updates::HeldPoll;
use super::world::{ChatKind, MediaKind};
use super::{TelegramSim, TranscriptAction};
use crate::io::Timestamp;

/// How long a callback query may be answered.
pub(crate) const CALLBACK_ANSWER_WINDOW_MS: u64 = 150_000;
/// How long an inline query may be answered.
pub(crate) const INLINE_ANSWER_WINDOW_MS: u64 = 30_000;
/// Largest file `getFile` hands out.
const MAX_DOWNLOAD: usize = 20 * 1024 * 1024;
/// How long the cloud API refuses a bot after `logOut`.
const LOGGED_OUT_MS: u64 = 600_000;

/// What a method produced.
#[derive(Debug)]
pub(crate) enum Answer {
    /// `{"ok":true,"result":value}`
    Value(Value),
    /// The same with a `description` (`setWebhook` says "Webhook was set").
    Described(Value, &'static str),
    /// A long poll to hold.
    Hold(HeldPoll),
}

/// Which part of a message an edit changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EditKind {
    Text,
    Caption,
    Markup,
}

impl EditKind {
    fn method(self) -> &'static str {
        match self {
            EditKind::Text => "editMessageText",
            EditKind::Caption => "editMessageCaption",
            EditKind::Markup => "editMessageReplyMarkup",
        }
    }
}

const CHAT_ACTIONS: &[&str] = &[
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
];

const NOT_MODIFIED: &str = "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";

impl TelegramSim {
    /// Runs a method; `method` is lower-case.
    pub(crate) fn dispatch(
        &mut self,
        now: Timestamp,
        key: u64,
        method: &str,
        p: &Params,
    ) -> Result<Answer, ApiError> {
        let value = match method {
            "getupdates" => return self.get_updates(now, key, p),
            "setwebhook" => return self.set_webhook(now, p),
            "deletewebhook" => return self.delete_webhook(p),
            "getwebhookinfo" => self.get_webhook_info(),
            "getme" => self.get_me(),
            "logout" => {
                self.logged_out_until = Some(now.saturating_add(LOGGED_OUT_MS));
                self.release_held(true);
                Value::Bool(true)
            }
            "close" => Value::Bool(true),
            "sendmessage" => return self.send_message(now, p),
            "sendphoto" => return self.send_media(now, p, MediaKind::Photo, "sendPhoto"),
            "senddocument" => return self.send_media(now, p, MediaKind::Document, "sendDocument"),
            "sendaudio" => return self.send_media(now, p, MediaKind::Audio, "sendAudio"),
            "sendvideo" => return self.send_media(now, p, MediaKind::Video, "sendVideo"),
            "sendvoice" => return self.send_media(now, p, MediaKind::Voice, "sendVoice"),
            "sendanimation" => {
                return self.send_media(now, p, MediaKind::Animation, "sendAnimation")
            }
            "sendsticker" => return self.send_media(now, p, MediaKind::Sticker, "sendSticker"),
            "sendmediagroup" => return self.send_media_group(now, p),
            "forwardmessage" => return self.forward_or_copy(now, p, false),
            "copymessage" => return self.forward_or_copy(now, p, true),
            "sendchataction" => self.send_chat_action(now, p)?,
            "editmessagetext" => return self.edit_message(now, p, EditKind::Text),
            "editmessagecaption" => return self.edit_message(now, p, EditKind::Caption),
            "editmessagereplymarkup" => return self.edit_message(now, p, EditKind::Markup),
            "deletemessage" => self.delete_message(now, p)?,
            "answercallbackquery" => self.answer_callback_query(now, p)?,
            "answerinlinequery" => self.answer_inline_query(now, p)?,
            "setmessagereaction" => self.set_message_reaction(now, p)?,
            "getchat" => self.get_chat(p)?,
            "getfile" => self.get_file(p)?,
            "setmycommands" => self.set_my_commands(p)?,
            "getmycommands" => {
                let key = commands_key(p)?;
                self.world.commands.get(&key).cloned().unwrap_or(json!([]))
            }
            "deletemycommands" => {
                let key = commands_key(p)?;
                self.world.commands.remove(&key);
                Value::Bool(true)
            }
            _ => return Err(ApiError::not_found()),
        };
        Ok(Answer::Value(value))
    }

    fn get_me(&self) -> Value {
        let mut me = self.bot_user_json();
        me["can_join_groups"] = json!(true);
        me["can_read_all_group_messages"] = json!(!self.config.privacy_mode);
        me["supports_inline_queries"] = json!(true);
        me["can_connect_to_business"] = json!(false);
        me["has_main_web_app"] = json!(false);
        me
    }

    fn send_chat_action(&mut self, now: Timestamp, p: &Params) -> Result<Value, ApiError> {
        let chat = self.writable_chat(p)?;
        let action = p.str_opt("action")?.unwrap_or_default();
        if !CHAT_ACTIONS.contains(&action.as_str()) {
            return Err(ApiError::bad_request("wrong parameter action in request"));
        }
        self.record(
            now,
            TranscriptAction::ChatAction,
            "sendChatAction",
            Some(chat),
            None,
            Some(action.clone()),
            None,
            json!({ "chat_id": chat, "action": action }),
        );
        Ok(Value::Bool(true))
    }

    fn edit_message(
        &mut self,
        now: Timestamp,
        p: &Params,
        kind: EditKind,
    ) -> Result<Answer, ApiError> {
        let inline_id = p.str_opt("inline_message_id")?.filter(|s| !s.is_empty());
        let target = match &inline_id {
            Some(_) => None,
            None => {
                if !p.has("chat_id") && !p.has("message_id") {
                    return Err(ApiError::bad_request("message identifier is not specified"));
                }
                let chat = self.resolve_chat(p, "chat_id")?;
                Some((chat, p.i64_req("message_id")?))
            }
        };
        let new_text: Option<Formatted> = match kind {
            EditKind::Text => Some(self.message_text(p)?),
            EditKind::Caption => self.caption(p)?,
            EditKind::Markup => None,
        };
        let markup = self.reply_markup(p)?;
        if markup.as_ref().is_some_and(|m| !is_inline_keyboard(m)) {
            return Err(ApiError::bad_request("inline keyboard expected"));
        }
        let (text_key, entities_key) = match kind {
            EditKind::Caption => ("caption", "caption_entities"),
            _ => ("text", "entities"),
        };
        if let Some(inline_id) = inline_id {
            let message = self
                .world
                .inline_messages
                .get_mut(&inline_id)
                .ok_or_else(|| ApiError::bad_request("MESSAGE_ID_INVALID"))?;
            let mut changed = message.reply_markup != markup;
            match kind {
                EditKind::Text => {
                    let text = new_text.as_ref().map(|f| f.text.clone());
                    let entities = new_text.as_ref().and_then(|f| f.entities.clone());
                    changed |= message.text != text || message.entities != entities;
                    message.text = text;
                    message.entities = entities;
                }
                EditKind::Caption => {
                    let caption = new_text.as_ref().map(|f| f.text.clone());
                    changed |= message.caption != caption;
                    message.caption = caption;
                }
                EditKind::Markup => {}
            }
            if !changed {
                return Err(ApiError::bad_request(NOT_MODIFIED));
            }
            message.reply_markup = markup.clone();
            let payload = json!({
                "inline_message_id": inline_id,
                text_key: new_text.as_ref().map(|f| f.text.clone()),
                "reply_markup": markup,
            });
            self.record(
                now,
                TranscriptAction::Edited,
                kind.method(),
                None,
                None,
                new_text.map(|f| f.text),
                markup,
                payload,
            );
            if let Some(entry) = self.transcript.last_mut() {
                entry.inline_message_id = Some(inline_id);
            }
            return Ok(Answer::Value(Value::Bool(true)));
        }
        let Some((chat, message_id)) = target else {
            return Err(ApiError::bad_request("message identifier is not specified"));
        };
        let stored = self
            .world
            .messages
            .get(&(chat, message_id))
            .ok_or_else(|| ApiError::bad_request("message to edit not found"))?;
        if !stored.from_bot {
            return Err(ApiError::bad_request("message can't be edited"));
        }
        let before = stored.json.clone();
        let mut after = before.clone();
        let Some(fields) = after.as_object_mut() else {
            return Err(ApiError::bad_request("message to edit not found"));
        };
        let has_text = fields.contains_key("text");
        match kind {
            EditKind::Text if !has_text => {
                return Err(ApiError::bad_request(
                    "there is no text in the message to edit",
                ))
            }
            EditKind::Caption if has_text => {
                return Err(ApiError::bad_request(
                    "there is no caption in the message to edit",
                ))
            }
            _ => {}
        }
        if kind != EditKind::Markup {
            match &new_text {
                Some(formatted) => {
                    fields.insert(text_key.into(), json!(formatted.text));
                    match &formatted.entities {
                        Some(entities) => fields.insert(entities_key.into(), entities.clone()),
                        None => fields.remove(entities_key),
                    };
                }
                None => {
                    fields.remove(text_key);
                    fields.remove(entities_key);
                }
            }
        }
        match &markup {
            Some(markup) => fields.insert("reply_markup".into(), markup.clone()),
            None => fields.remove("reply_markup"),
        };
        fields.remove("edit_date");
        let mut unedited = before.clone();
        if let Some(map) = unedited.as_object_mut() {
            map.remove("edit_date");
        }
        if unedited == after {
            return Err(ApiError::bad_request(NOT_MODIFIED));
        }
        after["edit_date"] = json!(self.unix(now));
        if let Some(stored) = self.world.messages.get_mut(&(chat, message_id)) {
            stored.json = after.clone();
        }
        let text = after
            .get(text_key)
            .and_then(Value::as_str)
            .map(str::to_owned);
        self.record(
            now,
            TranscriptAction::Edited,
            kind.method(),
            Some(chat),
            Some(message_id),
            text,
            markup,
            after.clone(),
        );
        Ok(Answer::Value(after))
    }

    fn delete_message(&mut self, now: Timestamp, p: &Params) -> Result<Value, ApiError> {
        let chat = self.resolve_chat(p, "chat_id")?;
        let message_id = p.i64_req("message_id")?;
        let removed = self
            .world
            .messages
            .remove(&(chat, message_id))
            .ok_or_else(|| ApiError::bad_request("message to delete not found"))?;
        self.record(
            now,
            TranscriptAction::Deleted,
            "deleteMessage",
            Some(chat),
            Some(message_id),
            None,
            None,
            removed.json,
        );
        Ok(Value::Bool(true))
    }

    fn answer_callback_query(&mut self, now: Timestamp, p: &Params) -> Result<Value, ApiError> {
        let id = p
            .str_opt("callback_query_id")?
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ApiError::missing("callback_query_id"))?;
        let text = p.str_opt("text")?;
        if text.as_ref().is_some_and(|t| t.chars().count() > 200) {
            return Err(ApiError::bad_request("MESSAGE_TOO_LONG"));
        }
        let show_alert = p.flag("show_alert")?;
        let url = p.str_opt("url")?;
        let cache_time = p.i64_opt("cache_time")?.unwrap_or(0);
        let query = self
            .world
            .callback_queries
            .get_mut(&id)
            .filter(|q| !q.answered && now < q.created.saturating_add(CALLBACK_ANSWER_WINDOW_MS))
            .ok_or_else(|| ApiError::bad_request(api::QUERY_TOO_OLD))?;
        query.answered = true;
        let user = query.user;
        self.record(
            now,
            TranscriptAction::Answered,
            "answerCallbackQuery",
            Some(user),
            None,
            text.clone(),
            None,
            json!({
                "callback_query_id": id,
                "text": text,
                "show_alert": show_alert,
                "url": url,
                "cache_time": cache_time,
            }),
        );
        Ok(Value::Bool(true))
    }

    fn answer_inline_query(&mut self, now: Timestamp, p: &Params) -> Result<Value, ApiError> {
        let id = p
            .str_opt("inline_query_id")?
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ApiError::missing("inline_query_id"))?;
        let results = p
            .json_opt("results")?
            .ok_or_else(|| ApiError::missing("results"))?;
        let list = results
            .as_array()
            .ok_or_else(|| ApiError::bad_request("can't parse results JSON object"))?;
        if list.len() > 50 {
            return Err(ApiError::bad_request("RESULTS_TOO_MUCH"));
        }
        let mut ids = BTreeSet::new();
        for result in list {
            if !result.get("type").is_some_and(Value::is_string) {
                return Err(ApiError::bad_request(
                    "can't parse InlineQueryResult: Field \"type\" must be of type String",
                ));
            }
            let result_id = result.get("id").and_then(Value::as_str).unwrap_or("");
            if !(1..=64).contains(&result_id.len()) {
                return Err(ApiError::bad_request("RESULT_ID_INVALID"));
            }
            if !ids.insert(result_id) {
                return Err(ApiError::bad_request("RESULT_ID_DUPLICATE"));
            }
            if let Some(markup) = result.get("reply_markup") {
                super::send::validate_markup(markup)?;
            }
        }
        let query = self
            .world
            .inline_queries
            .get_mut(&id)
            .filter(|q| !q.answered && now < q.created.saturating_add(INLINE_ANSWER_WINDOW_MS))
            .ok_or_else(|| ApiError::bad_request(api::QUERY_TOO_OLD))?;
        query.answered = true;
        query.results = list.clone();
        let user = query.user;
        let mut payload = json!({ "inline_query_id": id, "results": results });
        for key in ["cache_time", "is_personal", "next_offset", "button"] {
            if let Some(value) = p.value(key) {
                payload[key] = value.clone();
            }
        }
        self.record(
            now,
            TranscriptAction::Answered,
            "answerInlineQuery",
            Some(user),
            None,
            None,
            None,
            payload,
        );
        Ok(Value::Bool(true))
    }

    fn set_message_reaction(&mut self, now: Timestamp, p: &Params) -> Result<Value, ApiError> {
        let chat = self.resolve_chat(p, "chat_id")?;
        let message_id = p.i64_req("message_id")?;
        if !self.world.messages.contains_key(&(chat, message_id)) {
            return Err(ApiError::bad_request("message to react not found"));
        }
        let reaction = p.json_opt("reaction")?.unwrap_or(json!([]));
        let valid = reaction.as_array().is_some_and(|list| {
            list.iter()
                .all(|r| match r.get("type").and_then(Value::as_str) {
                    Some("emoji") => r.get("emoji").is_some_and(Value::is_string),
                    Some("custom_emoji") => r.get("custom_emoji_id").is_some_and(Value::is_string),
                    Some("paid") => true,
                    _ => false,
                })
        });
        if !valid {
            return Err(ApiError::bad_request("REACTION_INVALID"));
        }
        let is_big = p.flag("is_big")?;
        let emoji = reaction
            .get(0)
            .and_then(|r| r.get("emoji"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        self.record(
            now,
            TranscriptAction::Reacted,
            "setMessageReaction",
            Some(chat),
            Some(message_id),
            emoji,
            None,
            json!({ "chat_id": chat, "message_id": message_id, "reaction": reaction, "is_big": is_big }),
        );
        Ok(Value::Bool(true))
    }

    fn get_chat(&self, p: &Params) -> Result<Value, ApiError> {
        let chat = self.resolve_chat(p, "chat_id")?;
        let state = &self.world.chats[&chat];
        let mut info = self.world.chat_json(state);
        info["accent_color_id"] = json!(chat.rem_euclid(7));
        info["max_reaction_count"] = json!(11);
        if state.kind != ChatKind::Private {
            info["permissions"] = json!({
                "can_send_messages": true,
                "can_send_photos": true,
                "can_send_documents": true,
                "can_invite_users": true,
            });
        }
        Ok(info)
    }

    fn get_file(&self, p: &Params) -> Result<Value, ApiError> {
        let id = p
            .str_opt("file_id")?
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ApiError::missing("file_id"))?;
        let file = self
            .world
            .files
            .get(&id)
            .ok_or_else(|| ApiError::bad_request("invalid file_id"))?;
        if file.bytes.len() > MAX_DOWNLOAD {
            return Err(ApiError::bad_request("file is too big"));
        }
        Ok(json!({
            "file_id": file.file_id,
            "file_unique_id": file.file_unique_id,
            "file_size": file.bytes.len(),
            "file_path": file.file_path,
        }))
    }

    fn set_my_commands(&mut self, p: &Params) -> Result<Value, ApiError> {
        let key = commands_key(p)?;
        let commands = p
            .json_opt("commands")?
            .ok_or_else(|| ApiError::missing("commands"))?;
        let list = commands
            .as_array()
            .ok_or_else(|| ApiError::bad_request("can't parse commands JSON object"))?;
        if list.len() > 100 {
            return Err(ApiError::bad_request("too many commands specified"));
        }
        let mut normalized = Vec::with_capacity(list.len());
        for item in list {
            let command = item.get("command").and_then(Value::as_str).unwrap_or("");
            let description = item
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("");
            let command_ok = (1..=32).contains(&command.len())
                && command
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !command_ok {
                return Err(ApiError::bad_request("BOT_COMMAND_INVALID"));
            }
            if !(1..=256).contains(&description.chars().count()) {
                return Err(ApiError::bad_request(
                    "command description is empty or too long",
                ));
            }
            normalized.push(json!({ "command": command, "description": description }));
        }
        if normalized.is_empty() {
            self.world.commands.remove(&key);
        } else {
            self.world.commands.insert(key, Value::Array(normalized));
        }
        Ok(Value::Bool(true))
    }
}

/// Commands are stored per scope and language.
fn commands_key(p: &Params) -> Result<String, ApiError> {
    let scope = p
        .json_opt("scope")
        .map_err(|_| ApiError::bad_request("can't parse BotCommandScope JSON object"))?
        .unwrap_or(json!({ "type": "default" }));
    if !scope.get("type").is_some_and(Value::is_string) {
        return Err(ApiError::bad_request(
            "can't parse BotCommandScope JSON object",
        ));
    }
    let language = p.str_opt("language_code")?.unwrap_or_default();
    Ok(format!("{scope}|{language}"))
}
