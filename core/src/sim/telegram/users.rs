//! Simulated users: what they do becomes updates for the bot.

use serde_json::{json, Map, Value};

use super::world::{
    random_numeric_id, random_token, ChatKind, InlineMessage, MediaKind, QueryState, SimChat,
    SimUser, StoredMessage,
};
use super::{SimError, TelegramSim};
use crate::io::Timestamp;

/// What a simulated action created.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Injected {
    /// The update's id; `None` when `allowed_updates` (or privacy mode) filtered it out.
    pub update_id: Option<i64>,
    /// The message the action created or changed, if any.
    pub message_id: Option<i64>,
    /// The callback or inline query id, for query actions.
    pub query_id: Option<String>,
    /// The inline message a chosen inline result created, if any.
    pub inline_message_id: Option<String>,
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn utf16_len(chars: &[char]) -> usize {
    chars.iter().map(|c| c.len_utf16()).sum()
}

/// The entities Telegram's clients and server detect in plain text: bot commands, mentions
/// and URLs, with offsets and lengths in UTF-16 code units.
pub(crate) fn detect_entities(text: &str) -> Vec<Value> {
    let chars: Vec<char> = text.chars().collect();
    let mut entities = Vec::new();
    let mut offset = 0usize;
    let mut i = 0usize;
    let mut after_space = true;
    while i < chars.len() {
        let c = chars[i];
        if after_space {
            let mut end = i;
            let mut kind = "";
            if c == '/' || c == '@' {
                let mut j = i + 1;
                while j < chars.len() && is_word(chars[j]) {
                    j += 1;
                }
                let name_len = j - i - 1;
                if c == '/' && (1..=64).contains(&name_len) {
                    kind = "bot_command";
                    end = j;
                    if chars.get(j) == Some(&'@') {
                        let mut k = j + 1;
                        while k < chars.len() && is_word(chars[k]) {
                            k += 1;
                        }
                        if k > j + 1 {
                            end = k;
                        }
                    }
                } else if c == '@' && (3..=32).contains(&name_len) {
                    kind = "mention";
                    end = j;
                }
            } else {
                let rest: String = chars[i..chars.len().min(i + 8)].iter().collect();
                if rest.starts_with("http://") || rest.starts_with("https://") {
                    let mut j = i;
                    while j < chars.len() && !chars[j].is_whitespace() {
                        j += 1;
                    }
                    kind = "url";
                    end = j;
                }
            }
            if !kind.is_empty() {
                let length = utf16_len(&chars[i..end]);
                entities.push(json!({ "offset": offset, "length": length, "type": kind }));
                offset += length;
                i = end;
                after_space = false;
                continue;
            }
        }
        offset += c.len_utf16();
        after_space = c.is_whitespace();
        i += 1;
    }
    entities
}

impl TelegramSim {
    /// Registers a user (and the private chat with them). Details of a known user are
    /// replaced. Users that act without being registered are created with a default name.
    pub fn add_user(&mut self, user: SimUser) {
        let id = user.id;
        self.world.ensure_user(&mut self.rng, user.clone());
        self.world.users.insert(id, user);
    }

    /// Registers a group, supergroup or channel. A known chat keeps its messages; its title
    /// and username are replaced.
    pub fn add_chat(&mut self, chat: SimChat) {
        let state = self.world.ensure_chat_state(
            &mut self.rng,
            chat.id,
            chat.kind,
            chat.title.clone(),
            chat.username.clone(),
        );
        state.title = chat.title;
        state.username = chat.username;
    }

    /// A registered user.
    pub fn user(&self, id: i64) -> Option<&SimUser> {
        self.world.users.get(&id)
    }

    fn ensure_actor(&mut self, user: i64) -> Result<(), SimError> {
        if user <= 0 {
            return Err(SimError::Invalid(format!(
                "user ids are positive, got {user}"
            )));
        }
        if !self.world.users.contains_key(&user) {
            self.world
                .ensure_user(&mut self.rng, SimUser::new(user, format!("User{user}")));
        }
        Ok(())
    }

    /// Makes sure `user` can write in `chat`, creating an unknown group on the fly.
    fn ensure_membership(&mut self, user: i64, chat: i64) -> Result<ChatKind, SimError> {
        self.ensure_actor(user)?;
        if chat > 0 && chat != user {
            return Err(SimError::UnknownChat(chat));
        }
        if !self.world.chats.contains_key(&chat) {
            let kind = ChatKind::guess_from_id(chat);
            let title = format!("Group {chat}");
            self.world
                .ensure_chat_state(&mut self.rng, chat, kind, title, None);
        }
        let state = self
            .world
            .chats
            .get_mut(&chat)
            .ok_or(SimError::UnknownChat(chat))?;
        if state.kind == ChatKind::Channel {
            return Err(SimError::Invalid(
                "users do not write in channels; use channel_posts_text".into(),
            ));
        }
        state.members.insert(user);
        Ok(state.kind)
    }

    fn user_json(&self, user: i64) -> Value {
        self.world
            .users
            .get(&user)
            .map(SimUser::to_json)
            .unwrap_or(Value::Null)
    }

    fn chat_json_of(&self, chat: i64) -> Value {
        self.world
            .chats
            .get(&chat)
            .map(|c| self.world.chat_json(c))
            .unwrap_or(Value::Null)
    }

    /// A new message of `user` in `chat` with the given content, stored and delivered.
    fn post_user_message(
        &mut self,
        now: Timestamp,
        user: i64,
        chat: i64,
        content: Map<String, Value>,
    ) -> Result<Injected, SimError> {
        let kind = self.ensure_membership(user, chat)?;
        if kind == ChatKind::Private {
            if let Some(state) = self.world.chats.get_mut(&chat) {
                state.started = true;
            }
        }
        let message_id = self.world.next_message_id(chat);
        let mut message = Map::new();
        message.insert("message_id".into(), json!(message_id));
        message.insert("from".into(), self.user_json(user));
        message.insert("chat".into(), self.chat_json_of(chat));
        message.insert("date".into(), json!(self.unix(now)));
        message.extend(content);
        let json = Value::Object(message);
        let visible =
            kind == ChatKind::Private || !self.config.privacy_mode || self.addressed_to_bot(&json);
        self.world.messages.insert(
            (chat, message_id),
            StoredMessage {
                json: json.clone(),
                from_bot: false,
                sender: Some(user),
            },
        );
        let update_id = if visible {
            self.push_update(now, "message", json)
        } else {
            None
        };
        Ok(Injected {
            update_id,
            message_id: Some(message_id),
            ..Injected::default()
        })
    }

    /// Privacy mode: whether a group message is a command, mentions the bot or replies to it.
    fn addressed_to_bot(&self, message: &Value) -> bool {
        let text = message.get("text").and_then(Value::as_str).unwrap_or("");
        let mention = format!("@{}", self.config.bot.username);
        let replies_to_bot = message
            .get("reply_to_message")
            .and_then(|m| m.get("from"))
            .and_then(|f| f.get("id"))
            .and_then(Value::as_i64)
            == Some(self.config.bot.id);
        text.starts_with('/') || text.contains(&mention) || replies_to_bot
    }

    /// Content fields of a text message, with detected entities.
    fn text_content(text: &str) -> Map<String, Value> {
        let mut content = Map::new();
        content.insert("text".into(), json!(text));
        let entities = detect_entities(text);
        if !entities.is_empty() {
            content.insert("entities".into(), Value::Array(entities));
        }
        content
    }

    /// `user` writes `text` in `chat` (their own id for the private chat with the bot, a
    /// negative id for a group; unknown groups are created). Commands get a `bot_command`
    /// entity, mentions and URLs their entities, all with UTF-16 offsets.
    ///
    /// # Errors
    ///
    /// [`SimError::UnknownChat`] for another user's private chat, [`SimError::Invalid`] for a
    /// channel or a non-positive user id.
    pub fn user_sends_text(
        &mut self,
        now: Timestamp,
        user: i64,
        chat: i64,
        text: &str,
    ) -> Result<Injected, SimError> {
        let now = self.clock(now);
        self.post_user_message(now, user, chat, Self::text_content(text))
    }

    /// `user` answers a message of `chat` with `text`.
    ///
    /// # Errors
    ///
    /// As [`user_sends_text`](Self::user_sends_text), and [`SimError::MessageNotFound`] if the
    /// message does not exist.
    pub fn user_replies_text(
        &mut self,
        now: Timestamp,
        user: i64,
        chat: i64,
        reply_to_message_id: i64,
        text: &str,
    ) -> Result<Injected, SimError> {
        let now = self.clock(now);
        let mut original = self
            .world
            .messages
            .get(&(chat, reply_to_message_id))
            .map(|m| m.json.clone())
            .ok_or(SimError::MessageNotFound {
                chat_id: chat,
                message_id: reply_to_message_id,
            })?;
        if let Some(map) = original.as_object_mut() {
            map.remove("reply_to_message");
        }
        let mut content = Self::text_content(text);
        content.insert("reply_to_message".into(), original);
        self.post_user_message(now, user, chat, content)
    }

    /// `user` sends a message with arbitrary content fields (for example `location`,
    /// `contact`, `dice`) merged into the `Message` object.
    ///
    /// # Errors
    ///
    /// As [`user_sends_text`](Self::user_sends_text).
    pub fn user_sends(
        &mut self,
        now: Timestamp,
        user: i64,
        chat: i64,
        content: Map<String, Value>,
    ) -> Result<Injected, SimError> {
        let now = self.clock(now);
        self.post_user_message(now, user, chat, content)
    }

    /// `user` sends a document; the bot can fetch its bytes with `getFile` and a download.
    ///
    /// # Errors
    ///
    /// As [`user_sends_text`](Self::user_sends_text).
    pub fn user_sends_document(
        &mut self,
        now: Timestamp,
        user: i64,
        chat: i64,
        file_name: &str,
        bytes: Vec<u8>,
        caption: Option<&str>,
    ) -> Result<Injected, SimError> {
        self.user_sends_file(
            now,
            user,
            chat,
            MediaKind::Document,
            Some(file_name),
            bytes,
            caption,
        )
    }

    /// `user` sends a photo (PNG and GIF sizes are read from the bytes).
    ///
    /// # Errors
    ///
    /// As [`user_sends_text`](Self::user_sends_text).
    pub fn user_sends_photo(
        &mut self,
        now: Timestamp,
        user: i64,
        chat: i64,
        bytes: Vec<u8>,
        caption: Option<&str>,
    ) -> Result<Injected, SimError> {
        self.user_sends_file(now, user, chat, MediaKind::Photo, None, bytes, caption)
    }

    #[allow(clippy::too_many_arguments)]
    fn user_sends_file(
        &mut self,
        now: Timestamp,
        user: i64,
        chat: i64,
        kind: MediaKind,
        file_name: Option<&str>,
        bytes: Vec<u8>,
        caption: Option<&str>,
    ) -> Result<Injected, SimError> {
        let now = self.clock(now);
        self.ensure_membership(user, chat)?;
        let file_id = self.world.store_file(
            &mut self.rng,
            kind,
            bytes,
            file_name.map(str::to_owned),
            None,
        );
        let mut content = self.world.media_fields(&file_id, kind, &Map::new());
        if let Some(caption) = caption.filter(|c| !c.is_empty()) {
            content.insert("caption".into(), json!(caption));
        }
        self.post_user_message(now, user, chat, content)
    }

    /// `user` edits one of their messages to `text` (an `edited_message` update).
    ///
    /// # Errors
    ///
    /// [`SimError::MessageNotFound`] if the message does not exist or is not the user's.
    pub fn user_edits_message(
        &mut self,
        now: Timestamp,
        user: i64,
        chat: i64,
        message_id: i64,
        text: &str,
    ) -> Result<Injected, SimError> {
        let now = self.clock(now);
        let edit_date = self.unix(now);
        let stored = self
            .world
            .messages
            .get_mut(&(chat, message_id))
            .filter(|m| m.sender == Some(user))
            .ok_or(SimError::MessageNotFound {
                chat_id: chat,
                message_id,
            })?;
        if let Some(map) = stored.json.as_object_mut() {
            map.remove("entities");
            map.extend(Self::text_content(text));
            map.insert("edit_date".into(), json!(edit_date));
        }
        let json = stored.json.clone();
        let update_id = self.push_update(now, "edited_message", json);
        Ok(Injected {
            update_id,
            message_id: Some(message_id),
            ..Injected::default()
        })
    }

    /// A post appears in a channel (a `channel_post` update, without `from`). Unknown chats
    /// are created as channels.
    ///
    /// # Errors
    ///
    /// [`SimError::Invalid`] if `chat` is known and is not a channel.
    pub fn channel_posts_text(
        &mut self,
        now: Timestamp,
        chat: i64,
        text: &str,
    ) -> Result<Injected, SimError> {
        let now = self.clock(now);
        if chat >= 0 {
            return Err(SimError::UnknownChat(chat));
        }
        let title = format!("Channel {chat}");
        let state =
            self.world
                .ensure_chat_state(&mut self.rng, chat, ChatKind::Channel, title, None);
        if state.kind != ChatKind::Channel {
            return Err(SimError::Invalid(format!("chat {chat} is not a channel")));
        }
        let message_id = self.world.next_message_id(chat);
        let chat_json = self.chat_json_of(chat);
        let mut message = Map::new();
        message.insert("message_id".into(), json!(message_id));
        message.insert("sender_chat".into(), chat_json.clone());
        message.insert("chat".into(), chat_json);
        message.insert("date".into(), json!(self.unix(now)));
        message.extend(Self::text_content(text));
        let json = Value::Object(message);
        self.world.messages.insert(
            (chat, message_id),
            StoredMessage {
                json: json.clone(),
                from_bot: false,
                sender: None,
            },
        );
        let update_id = self.push_update(now, "channel_post", json);
        Ok(Injected {
            update_id,
            message_id: Some(message_id),
            ..Injected::default()
        })
    }

    /// `user` presses the inline button with callback data `data` on a message the bot sent
    /// (a `callback_query` update with `chat_instance`). The bot has 150 s of virtual time to
    /// answer it.
    ///
    /// # Errors
    ///
    /// [`SimError::MessageNotFound`] if the bot sent no such message,
    /// [`SimError::NoSuchButton`] if it has no button with that data.
    pub fn user_presses_button(
        &mut self,
        now: Timestamp,
        user: i64,
        chat: i64,
        message_id: i64,
        data: &str,
    ) -> Result<Injected, SimError> {
        let now = self.clock(now);
        self.ensure_actor(user)?;
        let message = self
            .world
            .messages
            .get(&(chat, message_id))
            .filter(|m| m.from_bot)
            .map(|m| m.json.clone())
            .ok_or(SimError::MessageNotFound {
                chat_id: chat,
                message_id,
            })?;
        if !has_callback_button(message.get("reply_markup"), data) {
            return Err(SimError::NoSuchButton(data.to_owned()));
        }
        let chat_instance = self.world.chats[&chat].chat_instance.clone();
        let id = random_numeric_id(&mut self.rng);
        let query = json!({
            "id": id,
            "from": self.user_json(user),
            "message": message,
            "chat_instance": chat_instance,
            "data": data,
        });
        self.register_callback(now, user, &id, data);
        let update_id = self.push_update(now, "callback_query", query);
        Ok(Injected {
            update_id,
            message_id: Some(message_id),
            query_id: Some(id),
            ..Injected::default()
        })
    }

    /// `user` presses a callback button on an inline message (one created by a chosen inline
    /// result).
    ///
    /// # Errors
    ///
    /// [`SimError::UnknownInline`] for an unknown inline message, [`SimError::NoSuchButton`]
    /// if it has no button with that data.
    pub fn user_presses_inline_button(
        &mut self,
        now: Timestamp,
        user: i64,
        inline_message_id: &str,
        data: &str,
    ) -> Result<Injected, SimError> {
        let now = self.clock(now);
        self.ensure_actor(user)?;
        let message = self
            .world
            .inline_messages
            .get(inline_message_id)
            .ok_or_else(|| SimError::UnknownInline(inline_message_id.to_owned()))?;
        if !has_callback_button(message.reply_markup.as_ref(), data) {
            return Err(SimError::NoSuchButton(data.to_owned()));
        }
        let chat_instance = message.chat_instance.clone();
        let id = random_numeric_id(&mut self.rng);
        let query = json!({
            "id": id,
            "from": self.user_json(user),
            "inline_message_id": inline_message_id,
            "chat_instance": chat_instance,
            "data": data,
        });
        self.register_callback(now, user, &id, data);
        let update_id = self.push_update(now, "callback_query", query);
        Ok(Injected {
            update_id,
            query_id: Some(id),
            inline_message_id: Some(inline_message_id.to_owned()),
            ..Injected::default()
        })
    }

    fn register_callback(&mut self, now: Timestamp, user: i64, id: &str, data: &str) {
        self.world.callback_queries.insert(
            id.to_owned(),
            QueryState {
                created: now,
                answered: false,
                user,
                query: data.to_owned(),
                results: Vec::new(),
            },
        );
    }

    /// `user` types `query` after the bot's username (an `inline_query` update). The bot has
    /// 30 s of virtual time to answer it.
    ///
    /// # Errors
    ///
    /// [`SimError::Invalid`] for a non-positive user id.
    pub fn user_inline_query(
        &mut self,
        now: Timestamp,
        user: i64,
        query: &str,
        offset: &str,
    ) -> Result<Injected, SimError> {
        let now = self.clock(now);
        self.ensure_actor(user)?;
        let id = random_numeric_id(&mut self.rng);
        let payload = json!({
            "id": id,
            "from": self.user_json(user),
            "query": query,
            "offset": offset,
            "chat_type": "sender",
        });
        self.world.inline_queries.insert(
            id.clone(),
            QueryState {
                created: now,
                answered: false,
                user,
                query: query.to_owned(),
                results: Vec::new(),
            },
        );
        let update_id = self.push_update(now, "inline_query", payload);
        Ok(Injected {
            update_id,
            query_id: Some(id),
            ..Injected::default()
        })
    }

    /// `user` picks result `result_id` of the bot's answer to an inline query (a
    /// `chosen_inline_result` update). A result with an inline keyboard creates an inline
    /// message the bot can edit and the user can press buttons on.
    ///
    /// # Errors
    ///
    /// [`SimError::UnknownInline`] if the query was not answered with that result.
    pub fn user_chooses_inline_result(
        &mut self,
        now: Timestamp,
        user: i64,
        query_id: &str,
        result_id: &str,
    ) -> Result<Injected, SimError> {
        let now = self.clock(now);
        self.ensure_actor(user)?;
        let unknown = || SimError::UnknownInline(query_id.to_owned());
        let state = self
            .world
            .inline_queries
            .get(query_id)
            .ok_or_else(unknown)?;
        let result = state
            .results
            .iter()
            .find(|r| r.get("id").and_then(Value::as_str) == Some(result_id))
            .cloned()
            .ok_or_else(unknown)?;
        let query_text = state.query.clone();
        let mut payload = json!({
            "result_id": result_id,
            "from": self.user_json(user),
            "query": query_text,
        });
        let mut inline_message_id = None;
        if let Some(markup) = result.get("reply_markup") {
            let id = random_token(&mut self.rng, 27);
            let content = result.get("input_message_content");
            let text = content
                .and_then(|c| c.get("message_text"))
                .and_then(Value::as_str)
                .map(str::to_owned);
            let caption = result
                .get("caption")
                .and_then(Value::as_str)
                .map(str::to_owned);
            let chat_instance = format!("-{}", self.rng.next_u64() >> 2);
            self.world.inline_messages.insert(
                id.clone(),
                InlineMessage {
                    text,
                    entities: None,
                    caption,
                    reply_markup: Some(markup.clone()),
                    chat_instance,
                },
            );
            payload["inline_message_id"] = json!(id);
            inline_message_id = Some(id);
        }
        let update_id = self.push_update(now, "chosen_inline_result", payload);
        Ok(Injected {
            update_id,
            inline_message_id,
            ..Injected::default()
        })
    }

    /// `user` joins a group: a service message with `new_chat_members` and a `chat_member`
    /// update (the latter only when `allowed_updates` asks for it).
    ///
    /// # Errors
    ///
    /// As [`user_sends_text`](Self::user_sends_text).
    pub fn user_joins_chat(
        &mut self,
        now: Timestamp,
        user: i64,
        chat: i64,
    ) -> Result<Injected, SimError> {
        let now = self.clock(now);
        if chat > 0 {
            return Err(SimError::UnknownChat(chat));
        }
        self.ensure_membership(user, chat)?;
        let member = self.user_json(user);
        self.member_update(now, user, chat, &member, "left", "member", "chat_member");
        let mut content = Map::new();
        content.insert("new_chat_members".into(), json!([member]));
        content.insert("new_chat_member".into(), member.clone());
        content.insert("new_chat_participant".into(), member);
        self.post_user_message(now, user, chat, content)
    }

    /// `user` leaves a group: a service message with `left_chat_member` and a `chat_member`
    /// update.
    ///
    /// # Errors
    ///
    /// As [`user_sends_text`](Self::user_sends_text).
    pub fn user_leaves_chat(
        &mut self,
        now: Timestamp,
        user: i64,
        chat: i64,
    ) -> Result<Injected, SimError> {
        let now = self.clock(now);
        if chat > 0 {
            return Err(SimError::UnknownChat(chat));
        }
        self.ensure_membership(user, chat)?;
        let member = self.user_json(user);
        self.member_update(now, user, chat, &member, "member", "left", "chat_member");
        let mut content = Map::new();
        content.insert("left_chat_member".into(), member.clone());
        content.insert("left_chat_participant".into(), member);
        let injected = self.post_user_message(now, user, chat, content);
        if let Some(state) = self.world.chats.get_mut(&chat) {
            state.members.remove(&user);
        }
        injected
    }

    /// `user` blocks the bot: a `my_chat_member` update, and from now on sends to that user
    /// answer 403 `Forbidden: bot was blocked by the user`.
    ///
    /// # Errors
    ///
    /// [`SimError::Invalid`] for a non-positive user id.
    pub fn user_blocks_bot(&mut self, now: Timestamp, user: i64) -> Result<Injected, SimError> {
        self.set_blocked(now, user, true)
    }

    /// `user` unblocks (restarts) the bot.
    ///
    /// # Errors
    ///
    /// [`SimError::Invalid`] for a non-positive user id.
    pub fn user_unblocks_bot(&mut self, now: Timestamp, user: i64) -> Result<Injected, SimError> {
        self.set_blocked(now, user, false)
    }

    fn set_blocked(
        &mut self,
        now: Timestamp,
        user: i64,
        blocked: bool,
    ) -> Result<Injected, SimError> {
        let now = self.clock(now);
        self.ensure_actor(user)?;
        if let Some(state) = self.world.chats.get_mut(&user) {
            state.blocked = blocked;
            if !blocked {
                state.started = true;
            }
        }
        let bot = self.bot_user_json();
        let (old, new) = if blocked {
            ("member", "kicked")
        } else {
            ("kicked", "member")
        };
        let update_id = self.member_update(now, user, user, &bot, old, new, "my_chat_member");
        Ok(Injected {
            update_id,
            ..Injected::default()
        })
    }

    /// `user` removes the bot from a group (a `my_chat_member` update); later sends there
    /// answer 403.
    ///
    /// # Errors
    ///
    /// [`SimError::UnknownChat`] for an unknown chat.
    pub fn bot_removed_from_chat(
        &mut self,
        now: Timestamp,
        user: i64,
        chat: i64,
    ) -> Result<Injected, SimError> {
        let now = self.clock(now);
        self.ensure_actor(user)?;
        let state = self
            .world
            .chats
            .get_mut(&chat)
            .filter(|c| c.kind != ChatKind::Private)
            .ok_or(SimError::UnknownChat(chat))?;
        state.bot_kicked = true;
        let bot = self.bot_user_json();
        let update_id =
            self.member_update(now, user, chat, &bot, "member", "left", "my_chat_member");
        Ok(Injected {
            update_id,
            ..Injected::default()
        })
    }

    /// `user` adds the bot to a group (a `my_chat_member` update and a service message).
    ///
    /// # Errors
    ///
    /// As [`user_sends_text`](Self::user_sends_text).
    pub fn bot_added_to_chat(
        &mut self,
        now: Timestamp,
        user: i64,
        chat: i64,
    ) -> Result<Injected, SimError> {
        let now = self.clock(now);
        if chat > 0 {
            return Err(SimError::UnknownChat(chat));
        }
        self.ensure_membership(user, chat)?;
        if let Some(state) = self.world.chats.get_mut(&chat) {
            state.bot_kicked = false;
        }
        let bot = self.bot_user_json();
        self.member_update(now, user, chat, &bot, "left", "member", "my_chat_member");
        let mut content = Map::new();
        content.insert("new_chat_members".into(), json!([bot]));
        content.insert("new_chat_member".into(), bot.clone());
        content.insert("new_chat_participant".into(), bot);
        self.post_user_message(now, user, chat, content)
    }

    /// A `chat_member`/`my_chat_member` update.
    #[allow(clippy::too_many_arguments)]
    fn member_update(
        &mut self,
        now: Timestamp,
        actor: i64,
        chat: i64,
        member: &Value,
        old_status: &str,
        new_status: &str,
        kind: &str,
    ) -> Option<i64> {
        let mut new_member = json!({ "user": member, "status": new_status });
        if new_status == "kicked" {
            new_member["until_date"] = json!(0);
        }
        let payload = json!({
            "chat": self.chat_json_of(chat),
            "from": self.user_json(actor),
            "date": self.unix(now),
            "old_chat_member": { "user": member, "status": old_status },
            "new_chat_member": new_member,
        });
        self.push_update(now, kind, payload)
    }

    /// `user` reacts to a message with an emoji (a `message_reaction` update, which the bot
    /// only receives when it lists it in `allowed_updates`).
    ///
    /// # Errors
    ///
    /// [`SimError::MessageNotFound`] if the message does not exist.
    pub fn user_reacts(
        &mut self,
        now: Timestamp,
        user: i64,
        chat: i64,
        message_id: i64,
        emoji: &str,
    ) -> Result<Injected, SimError> {
        let now = self.clock(now);
        self.ensure_actor(user)?;
        if !self.world.messages.contains_key(&(chat, message_id)) {
            return Err(SimError::MessageNotFound {
                chat_id: chat,
                message_id,
            });
        }
        let payload = json!({
            "chat": self.chat_json_of(chat),
            "message_id": message_id,
            "user": self.user_json(user),
            "date": self.unix(now),
            "old_reaction": [],
            "new_reaction": [{ "type": "emoji", "emoji": emoji }],
        });
        let update_id = self.push_update(now, "message_reaction", payload);
        Ok(Injected {
            update_id,
            message_id: Some(message_id),
            ..Injected::default()
        })
    }
}

/// Whether an inline keyboard has a button with this callback data.
fn has_callback_button(markup: Option<&Value>, data: &str) -> bool {
    markup
        .and_then(|m| m.get("inline_keyboard"))
        .and_then(Value::as_array)
        .is_some_and(|rows| {
            rows.iter()
                .filter_map(Value::as_array)
                .flatten()
                .any(|button| button.get("callback_data").and_then(Value::as_str) == Some(data))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_use_utf16_offsets() {
        let entities = detect_entities("\u{1F4A1} Tip: use /start");
        assert_eq!(
            entities,
            vec![json!({"offset": 12, "length": 6, "type": "bot_command"})]
        );
        let entities = detect_entities("/help@botwire_bot now, @someone https://x.org/a b");
        assert_eq!(
            entities[0],
            json!({"offset": 0, "length": 17, "type": "bot_command"})
        );
        assert_eq!(
            entities[1],
            json!({"offset": 23, "length": 8, "type": "mention"})
        );
        assert_eq!(
            entities[2],
            json!({"offset": 32, "length": 15, "type": "url"})
        );
        assert!(detect_entities("a/b @x / @").is_empty());
    }
}
