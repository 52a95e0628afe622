//! Test hooks: simulated users and administrators acting on the server, and readers of its
//! state. Hooks are not bound by rights (an administrator hook works in any chat), create
//! unknown users on first use (display name = login), and send their events at once (or when
//! the receiving connection's post-`auth` hold ends).

use serde::Serialize;
use serde_json::{json, Value};

use super::views::{attachment_content, chat_object, envelope, EnvelopeStyle};
use super::world::{
    new_message, Participant, CHAT_CHANNEL, CHAT_GROUP, CHAT_P2P, FILE_READY, FILE_UPLOADING,
    MSG_ATTACHMENT, MSG_LOCATION, MSG_TEXT, ROLES,
};
use super::{SimError, SimUser, TrueConfSim, MAX_TEXT_BYTES};
use crate::io::Timestamp;

/// What a hook created.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Injected {
    /// The chat concerned.
    pub chat_id: String,
    /// The message created or concerned.
    pub message_id: Option<String>,
    /// Ids of the events sent (or held) because of it, in order.
    pub event_ids: Vec<u64>,
    /// The `commandId` of a button press.
    pub command_id: Option<String>,
    /// The file sent.
    pub file_id: Option<String>,
}

/// A button press waiting for `answerCommand`.
#[derive(Debug, Clone)]
pub(crate) struct CommandInfo {
    pub chat_id: String,
    pub message_id: String,
    pub answered: bool,
}

impl TrueConfSim {
    /// Adds an account or replaces the one with the same login.
    pub fn add_user(&mut self, user: SimUser) {
        self.world.add_user(&self.config.domain, &user);
    }

    /// Mints a token for an account, as the token endpoint would (for clients built from a
    /// token).
    ///
    /// # Errors
    ///
    /// [`SimError::UnknownUser`] for an unknown account.
    pub fn mint_token(&mut self, now: Timestamp, user: &str) -> Result<String, SimError> {
        let now = self.clock(now);
        let id = self.full_id(user);
        if !self.world.users.contains_key(&id) {
            return Err(SimError::UnknownUser(id));
        }
        Ok(self.mint_token_for(now, &id))
    }

    /// Expires every token minted so far: the next `auth` with one answers 203, and every
    /// request on a socket authorised with one answers 203. New tokens work.
    pub fn expire_all_tokens(&mut self, now: Timestamp) {
        self.clock(now);
        for info in self.tokens.values_mut() {
            info.revoked = true;
        }
        for conn in self.conns.values_mut().filter(|c| c.user.is_some()) {
            conn.token_expired = true;
        }
    }

    /// The full id of a hook's actor, creating the account when it is unknown.
    fn actor(&mut self, user: &str) -> String {
        let id = self.full_id(user);
        if !self.world.users.contains_key(&id) {
            let login = id.split('@').next().unwrap_or(&id).to_owned();
            self.world
                .add_user(&self.config.domain, &SimUser::new(id.clone(), login));
        }
        id
    }

    /// The personal chat of a user with the bot, created (with its events) when missing.
    fn p2p_with_bot(&mut self, user: &str) -> (String, Vec<u64>) {
        let bot = self.bot_id();
        if let Some(chat) = self.world.p2p_chat(user, &bot) {
            return (chat.id.clone(), Vec::new());
        }
        let participants = vec![
            Participant {
                user: user.to_owned(),
                role: "user".into(),
            },
            Participant {
                user: bot,
                role: "user".into(),
            },
        ];
        self.op_create_chat(CHAT_P2P, None, participants, None)
    }

    /// The chat a user acts in: the given one (the user must be a member) or the personal
    /// chat with the bot.
    fn actor_chat(
        &mut self,
        user: &str,
        chat: Option<&str>,
    ) -> Result<(String, Vec<u64>), SimError> {
        match chat {
            None => Ok(self.p2p_with_bot(user)),
            Some(id) => match self.world.chats.get(id) {
                None => Err(SimError::UnknownChat(id.to_owned())),
                Some(c) if !c.is_member(user) => {
                    Err(SimError::Invalid(format!("{user} is not a member of {id}")))
                }
                Some(c) => Ok((c.id.clone(), Vec::new())),
            },
        }
    }

    fn existing_chat(&self, chat: &str) -> Result<(), SimError> {
        if self.world.chats.contains_key(chat) {
            Ok(())
        } else {
            Err(SimError::UnknownChat(chat.to_owned()))
        }
    }

    /// A user posts a message of any kind.
    #[allow(clippy::too_many_arguments)]
    fn user_posts(
        &mut self,
        now: Timestamp,
        user: &str,
        chat: Option<&str>,
        kind: i64,
        content: Value,
        reply_to: Option<&str>,
        file_id: Option<String>,
    ) -> Result<Injected, SimError> {
        let now = self.clock(now);
        let user = self.actor(user);
        let (chat_id, mut event_ids) = self.actor_chat(&user, chat)?;
        if let Some(reply) = reply_to {
            if !self
                .world
                .messages
                .get(reply)
                .is_some_and(|m| m.chat_id == chat_id)
            {
                return Err(SimError::UnknownMessage(reply.to_owned()));
            }
        }
        let id = self.uuid();
        let mut message = new_message(id, &chat_id, self.wall_ms(now), &user, kind, content);
        message.reply_to = reply_to.map(str::to_owned);
        let (id, _, events) = self.post_message(message, None);
        event_ids.extend(events);
        self.flush_staged(now);
        Ok(Injected {
            chat_id,
            message_id: Some(id),
            event_ids,
            command_id: None,
            file_id,
        })
    }

    /// A user writes a plain-text message, in `chat` or (when `None`) in the personal chat
    /// with the bot, which is created on first use (a `createP2PChat` event comes first).
    ///
    /// # Errors
    ///
    /// [`SimError::UnknownChat`], or [`SimError::Invalid`] when the user is not a member or
    /// the text is longer than 64 KiB.
    pub fn user_sends_text(
        &mut self,
        now: Timestamp,
        user: &str,
        chat: Option<&str>,
        text: &str,
    ) -> Result<Injected, SimError> {
        self.user_sends_formatted(now, user, chat, text, "text", None)
    }

    /// A user writes a message with a `parseMode` (`text`, `markdown`, `html`), optionally
    /// replying to a message of the same chat.
    ///
    /// # Errors
    ///
    /// As [`user_sends_text`](Self::user_sends_text), plus [`SimError::UnknownMessage`] for a
    /// reply target outside the chat.
    pub fn user_sends_formatted(
        &mut self,
        now: Timestamp,
        user: &str,
        chat: Option<&str>,
        text: &str,
        parse_mode: &str,
        reply_to: Option<&str>,
    ) -> Result<Injected, SimError> {
        if text.len() > MAX_TEXT_BYTES {
            return Err(SimError::Invalid("text longer than 64 KiB".into()));
        }
        let content = json!({"text": text, "parseMode": parse_mode});
        self.user_posts(now, user, chat, MSG_TEXT, content, reply_to, None)
    }

    /// A user sends a file. With `uploading`, the file stays in state 1 (UPLOADING) until
    /// [`upload_progress`](Self::upload_progress) reaches its size.
    ///
    /// # Errors
    ///
    /// As [`user_sends_text`](Self::user_sends_text).
    #[allow(clippy::too_many_arguments)]
    pub fn user_sends_file(
        &mut self,
        now: Timestamp,
        user: &str,
        chat: Option<&str>,
        name: &str,
        mime_type: &str,
        bytes: Vec<u8>,
        uploading: bool,
    ) -> Result<Injected, SimError> {
        let state = if uploading {
            FILE_UPLOADING
        } else {
            FILE_READY
        };
        let size = bytes.len() as u64;
        let file_id = self.store_file(name.into(), mime_type.into(), bytes, size, state);
        let content = self
            .world
            .files
            .get(&file_id)
            .map(attachment_content)
            .unwrap_or(Value::Null);
        self.user_posts(
            now,
            user,
            chat,
            MSG_ATTACHMENT,
            content,
            None,
            Some(file_id),
        )
    }

    /// A user shares a location.
    ///
    /// # Errors
    ///
    /// As [`user_sends_text`](Self::user_sends_text).
    pub fn user_sends_location(
        &mut self,
        now: Timestamp,
        user: &str,
        chat: Option<&str>,
        latitude: f64,
        longitude: f64,
        title: &str,
    ) -> Result<Injected, SimError> {
        let content = json!({"latitude": latitude, "longitude": longitude, "title": title});
        self.user_posts(now, user, chat, MSG_LOCATION, content, None, None)
    }

    /// A user edits one of their text messages (`editMessage` event).
    ///
    /// # Errors
    ///
    /// [`SimError::UnknownMessage`], or [`SimError::Invalid`] when the message is not the
    /// user's own text message.
    pub fn user_edits_message(
        &mut self,
        now: Timestamp,
        user: &str,
        message_id: &str,
        text: &str,
    ) -> Result<Injected, SimError> {
        let now = self.clock(now);
        let user = self.actor(user);
        let message = self
            .world
            .messages
            .get(message_id)
            .ok_or_else(|| SimError::UnknownMessage(message_id.to_owned()))?;
        if message.author != user || message.kind != MSG_TEXT || text.len() > MAX_TEXT_BYTES {
            return Err(SimError::Invalid(
                "only short own text messages can be edited".into(),
            ));
        }
        let chat_id = message.chat_id.clone();
        let parse_mode = message.content["parseMode"].clone();
        let content = json!({"text": text, "parseMode": parse_mode});
        if let Some(message) = self.world.messages.get_mut(message_id) {
            message.content = content.clone();
            message.is_edited = true;
        }
        let event = json!({
            "chatId": chat_id,
            "messageId": message_id,
            "timestamp": self.wall_ms(now),
            "content": content,
        });
        let members = self.member_ids(&chat_id);
        let event_ids = self.notify(
            &members,
            None,
            super::events::Audience::All,
            "editMessage",
            None,
            |_, _| event.clone(),
        );
        self.flush_staged(now);
        Ok(Injected {
            chat_id,
            message_id: Some(message_id.to_owned()),
            event_ids,
            ..Injected::default()
        })
    }

    /// A user deletes a message for everyone (`removeMessage` event).
    ///
    /// # Errors
    ///
    /// [`SimError::UnknownMessage`].
    pub fn user_removes_message(
        &mut self,
        now: Timestamp,
        user: &str,
        message_id: &str,
    ) -> Result<Injected, SimError> {
        let now = self.clock(now);
        let user = self.actor(user);
        let chat_id = self
            .world
            .messages
            .get(message_id)
            .map(|m| m.chat_id.clone())
            .ok_or_else(|| SimError::UnknownMessage(message_id.to_owned()))?;
        let event_ids = self.remove_message_for_all(message_id, &user, None);
        self.flush_staged(now);
        Ok(Injected {
            chat_id,
            message_id: Some(message_id.to_owned()),
            event_ids,
            ..Injected::default()
        })
    }

    /// A user presses a button of a message. `selector` is the button's `id`, `command` or
    /// `label`. A `command` button sends a `command` event to the button's `to` user or the
    /// message's author; a `message` button makes the user send its text.
    ///
    /// # Errors
    ///
    /// [`SimError::UnknownMessage`], [`SimError::NoSuchButton`], or [`SimError::Invalid`]
    /// for button types that send nothing.
    pub fn user_presses_button(
        &mut self,
        now: Timestamp,
        user: &str,
        message_id: &str,
        selector: &str,
    ) -> Result<Injected, SimError> {
        let now = self.clock(now);
        let user = self.actor(user);
        let message = self
            .world
            .messages
            .get(message_id)
            .ok_or_else(|| SimError::UnknownMessage(message_id.to_owned()))?;
        let button = message.content["buttons"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_array)
            .flatten()
            .find(|b| {
                ["id", "command", "label"]
                    .iter()
                    .any(|k| b.get(*k).and_then(Value::as_str) == Some(selector))
            })
            .cloned()
            .ok_or_else(|| SimError::NoSuchButton(selector.to_owned()))?;
        let chat_id = message.chat_id.clone();
        let author = message.author.clone();
        match button.get("type").and_then(Value::as_str) {
            Some("message") => {
                let text = button["message"].as_str().unwrap_or_default().to_owned();
                self.user_sends_text(now, &user, Some(&chat_id), &text)
            }
            Some("command") => {
                let target = match button.get("to").and_then(Value::as_str) {
                    Some(to) => self.full_id(to),
                    None => author,
                };
                let command_id = format!("cmd-{}", self.hex(8));
                let mut source = json!({"type": "inlineKeyboard"});
                if let Some(id) = button.get("id") {
                    source["buttonId"] = id.clone();
                }
                let mut payload = json!({"type": "userCommand", "command": button["command"]});
                if let Some(data) = button.get("customData") {
                    payload["customData"] = data.clone();
                }
                let targets = vec![target];
                let message_id_owned = message_id.to_owned();
                let event_ids = self.notify(
                    &targets,
                    None,
                    super::events::Audience::All,
                    "command",
                    None,
                    |world, viewer| {
                        let mut source = source.clone();
                        if let Some(m) = world.messages.get(&message_id_owned) {
                            source["message"] = envelope(world, m, viewer, EnvelopeStyle::EVENT);
                        }
                        json!({
                            "commandId": command_id,
                            "commandSource": source,
                            "commandPayload": payload,
                        })
                    },
                );
                self.commands.insert(
                    command_id.clone(),
                    CommandInfo {
                        chat_id: chat_id.clone(),
                        message_id: message_id.to_owned(),
                        answered: false,
                    },
                );
                self.flush_staged(now);
                Ok(Injected {
                    chat_id,
                    message_id: Some(message_id.to_owned()),
                    event_ids,
                    command_id: Some(command_id),
                    file_id: None,
                })
            }
            other => Err(SimError::Invalid(format!(
                "a {} button sends nothing to the server",
                other.unwrap_or("typeless")
            ))),
        }
    }

    /// Whether a button press was answered with `answerCommand`.
    pub fn command_answered(&self, command_id: &str) -> Option<bool> {
        self.commands.get(command_id).map(|c| c.answered)
    }

    /// Progress of a file a user is still uploading: `uploadFileProgress` events go to the
    /// subscribed connections, and the file becomes ready when `progress` reaches its size.
    /// Returns the event ids.
    ///
    /// # Errors
    ///
    /// [`SimError::UnknownFile`].
    pub fn upload_progress(
        &mut self,
        now: Timestamp,
        file_id: &str,
        progress: u64,
    ) -> Result<Vec<u64>, SimError> {
        let now = self.clock(now);
        let file = self
            .world
            .files
            .get_mut(file_id)
            .ok_or_else(|| SimError::UnknownFile(file_id.to_owned()))?;
        file.progress = progress.min(file.size);
        let (progress, done) = (file.progress, file.progress >= file.size);
        if done {
            file.ready_state = FILE_READY;
            for message in self.world.messages.values_mut() {
                if message.kind == MSG_ATTACHMENT && message.content["fileId"] == file_id {
                    message.content["readyState"] = json!(FILE_READY);
                }
            }
        }
        let subscribers: Vec<_> = self
            .subscriptions
            .iter()
            .filter(|(_, f)| f == file_id)
            .map(|(c, _)| *c)
            .collect();
        let payload = json!({"fileId": file_id, "progress": progress});
        let ids = subscribers
            .into_iter()
            .map(|conn| self.stage_event(conn, "uploadFileProgress", payload.clone(), None))
            .collect();
        self.flush_staged(now);
        Ok(ids)
    }

    fn hook_creates(
        &mut self,
        now: Timestamp,
        kind: i64,
        owner: &str,
        title: &str,
        members: &[&str],
    ) -> Injected {
        let now = self.clock(now);
        let owner = self.actor(owner);
        let mut participants = vec![Participant {
            user: owner.clone(),
            role: "owner".into(),
        }];
        for member in members {
            let id = self.actor(member);
            if !participants.iter().any(|p| p.user == id) {
                participants.push(Participant {
                    user: id,
                    role: "user".into(),
                });
            }
        }
        let (chat_id, event_ids) =
            self.op_create_chat(kind, Some(title.to_owned()), participants, None);
        self.flush_staged(now);
        Injected {
            chat_id,
            event_ids,
            ..Injected::default()
        }
    }

    /// A user creates a group chat with members (role `user`; `owner` for the creator).
    /// Members get a `createGroupChat` event.
    pub fn create_group(
        &mut self,
        now: Timestamp,
        owner: &str,
        title: &str,
        members: &[&str],
    ) -> Injected {
        self.hook_creates(now, CHAT_GROUP, owner, title, members)
    }

    /// A user creates a channel with members (readers with role `user`).
    pub fn create_channel(
        &mut self,
        now: Timestamp,
        owner: &str,
        title: &str,
        members: &[&str],
    ) -> Injected {
        self.hook_creates(now, CHAT_CHANNEL, owner, title, members)
    }

    fn admin_done(&mut self, now: Timestamp, chat_id: &str, event_ids: Vec<u64>) -> Injected {
        self.flush_staged(now);
        Injected {
            chat_id: chat_id.to_owned(),
            event_ids,
            ..Injected::default()
        }
    }

    /// An administrator adds a user to a chat (role `user`).
    ///
    /// # Errors
    ///
    /// [`SimError::UnknownChat`]; [`SimError::Invalid`] if the user is already a member.
    pub fn admin_adds_participant(
        &mut self,
        now: Timestamp,
        admin: &str,
        chat_id: &str,
        user: &str,
    ) -> Result<Injected, SimError> {
        let now = self.clock(now);
        self.existing_chat(chat_id)?;
        let (admin, user) = (self.actor(admin), self.actor(user));
        if self
            .world
            .chats
            .get(chat_id)
            .is_some_and(|c| c.is_member(&user))
        {
            return Err(SimError::Invalid(format!("{user} is already a member")));
        }
        let events = self.op_add_participant(now, &admin, chat_id, &user, "user", true, None);
        Ok(self.admin_done(now, chat_id, events))
    }

    /// An administrator removes a user from a chat.
    ///
    /// # Errors
    ///
    /// [`SimError::UnknownChat`]; [`SimError::Invalid`] if the user is not a member.
    pub fn admin_removes_participant(
        &mut self,
        now: Timestamp,
        admin: &str,
        chat_id: &str,
        user: &str,
    ) -> Result<Injected, SimError> {
        let now = self.clock(now);
        self.existing_chat(chat_id)?;
        let (admin, user) = (self.actor(admin), self.full_id(user));
        if !self
            .world
            .chats
            .get(chat_id)
            .is_some_and(|c| c.is_member(&user))
        {
            return Err(SimError::Invalid(format!("{user} is not a member")));
        }
        let events = self.op_remove_participant(now, &admin, chat_id, &user, None);
        Ok(self.admin_done(now, chat_id, events))
    }

    /// An administrator changes a member's role (one of the section 7 role strings).
    ///
    /// # Errors
    ///
    /// [`SimError::UnknownChat`]; [`SimError::Invalid`] for a non-member or unknown role.
    pub fn admin_changes_role(
        &mut self,
        now: Timestamp,
        chat_id: &str,
        user: &str,
        role: &str,
    ) -> Result<Injected, SimError> {
        let now = self.clock(now);
        self.existing_chat(chat_id)?;
        let user = self.full_id(user);
        if !ROLES.contains(&role) {
            return Err(SimError::Invalid(format!("unknown role {role:?}")));
        }
        if !self
            .world
            .chats
            .get(chat_id)
            .is_some_and(|c| c.is_member(&user))
        {
            return Err(SimError::Invalid(format!("{user} is not a member")));
        }
        let events = self.op_change_role(now, chat_id, &user, role, None);
        Ok(self.admin_done(now, chat_id, events))
    }

    /// An administrator renames a chat.
    ///
    /// # Errors
    ///
    /// [`SimError::UnknownChat`].
    pub fn admin_edits_title(
        &mut self,
        now: Timestamp,
        chat_id: &str,
        title: &str,
    ) -> Result<Injected, SimError> {
        let now = self.clock(now);
        self.existing_chat(chat_id)?;
        let events = self.op_edit_title(now, chat_id, title, None);
        Ok(self.admin_done(now, chat_id, events))
    }

    /// An administrator clears a chat's history for everyone (`for_all`) or for themselves.
    ///
    /// # Errors
    ///
    /// [`SimError::UnknownChat`].
    pub fn admin_clears_history(
        &mut self,
        now: Timestamp,
        admin: &str,
        chat_id: &str,
        for_all: bool,
    ) -> Result<Injected, SimError> {
        let now = self.clock(now);
        self.existing_chat(chat_id)?;
        let admin = self.actor(admin);
        let events = self.op_clear_history(now, &admin, chat_id, for_all, None);
        Ok(self.admin_done(now, chat_id, events))
    }

    /// An administrator deletes a chat (`removeChat` event to its former members).
    ///
    /// # Errors
    ///
    /// [`SimError::UnknownChat`].
    pub fn admin_removes_chat(
        &mut self,
        now: Timestamp,
        chat_id: &str,
    ) -> Result<Injected, SimError> {
        let now = self.clock(now);
        self.existing_chat(chat_id)?;
        let events = self.op_remove_chat(chat_id, None);
        Ok(self.admin_done(now, chat_id, events))
    }

    /// Sends an arbitrary event (any `method`, any payload) to every authorised connection of
    /// `user` (the bot when `None`). Returns the event ids.
    pub fn push_raw_event(
        &mut self,
        now: Timestamp,
        user: Option<&str>,
        method: &str,
        payload: Value,
    ) -> Vec<u64> {
        let now = self.clock(now);
        let user = match user {
            Some(user) => self.full_id(user),
            None => self.bot_id(),
        };
        let ids = self
            .conns_of(&user)
            .into_iter()
            .map(|conn| self.stage_event(conn, method, payload.clone(), None))
            .collect();
        self.flush_staged(now);
        ids
    }

    /// Changes the upload limits and announces them (`getFileUploadLimits` event) on every
    /// authorised connection. Returns the event ids.
    pub fn set_upload_limits(&mut self, now: Timestamp, limits: super::UploadLimits) -> Vec<u64> {
        let now = self.clock(now);
        self.limits = limits;
        let payload = self.limits.to_json();
        let conns: Vec<_> = self
            .conns
            .iter()
            .filter(|(_, c)| c.user.is_some())
            .map(|(id, _)| *id)
            .collect();
        let ids = conns
            .into_iter()
            .map(|conn| self.stage_event(conn, "getFileUploadLimits", payload.clone(), None))
            .collect();
        self.flush_staged(now);
        ids
    }

    // ---- readers ----------------------------------------------------------------------

    /// Everything WebSocket clients sent, edited, removed or answered, in order.
    pub fn transcript(&self) -> &[super::TranscriptEntry] {
        &self.transcript
    }

    /// The personal chat of a user with the bot, if it exists.
    pub fn p2p_chat_id(&self, user: &str) -> Option<String> {
        let user = self.full_id(user);
        self.world
            .p2p_chat(&user, &self.bot_id())
            .map(|c| c.id.clone())
    }

    /// Ids of all chats, oldest first.
    pub fn chat_ids(&self) -> Vec<String> {
        let mut chats: Vec<_> = self.world.chats.values().collect();
        chats.sort_by_key(|c| c.created);
        chats.into_iter().map(|c| c.id.clone()).collect()
    }

    /// A chat object as `viewer` (the bot when `None`) sees it, with its `participants`.
    pub fn chat_json(&self, chat_id: &str, viewer: Option<&str>) -> Option<Value> {
        let chat = self.world.chats.get(chat_id)?;
        let viewer = viewer.map_or_else(|| self.bot_id(), |v| self.full_id(v));
        let mut out = chat_object(&self.world, chat, &viewer, true);
        out["participants"] = chat
            .participants
            .iter()
            .map(|p| json!({"userId": p.user, "role": p.role}))
            .collect();
        Some(out)
    }

    /// A message as the `getMessageById` answer shows it to the bot.
    pub fn message_json(&self, message_id: &str) -> Option<Value> {
        let message = self.world.messages.get(message_id)?;
        Some(envelope(
            &self.world,
            message,
            &self.bot_id(),
            EnvelopeStyle::LOOKUP,
        ))
    }

    /// Every message of a chat (including those hidden from someone), oldest first.
    pub fn history(&self, chat_id: &str) -> Vec<Value> {
        let bot = self.bot_id();
        let Some(chat) = self.world.chats.get(chat_id) else {
            return Vec::new();
        };
        chat.messages
            .iter()
            .filter_map(|id| self.world.messages.get(id))
            .map(|m| envelope(&self.world, m, &bot, EnvelopeStyle::EVENT))
            .collect()
    }

    /// The bytes of a stored file.
    pub fn file_bytes(&self, file_id: &str) -> Option<&[u8]> {
        self.world.files.get(file_id).map(|f| f.bytes.as_slice())
    }
}
