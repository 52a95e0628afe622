//! Message methods: `sendMessage`, `editMessage`, `forwardMessage`, `removeMessage`,
//! `getMessageById`, `getChatHistory`, `sendChatActivity`, `answerCommand`, `sendSurvey`,
//! `editSurvey`; and posting a message into a chat, shared with the test hooks.

use serde_json::{json, Map, Value};

use super::events::Audience;
use super::methods::{Answer, Call, Fail};
use super::transcript::{TranscriptAction, TranscriptEntry};
use super::views::{envelope, forwarded_content, EnvelopeStyle};
use super::world::{new_message, Message, MSG_FORWARD, MSG_SURVEY, MSG_TEXT};
use super::{SimConn, TrueConfSim, MAX_FRAME_BYTES, MAX_TEXT_BYTES};

const PARSE_MODES: [&str; 3] = ["text", "markdown", "html"];
const ACTIVITIES: [&str; 3] = ["typing", "choosing_sticker", "uploading_file"];
const ANSWER_TYPES: [&str; 4] = ["complete", "timeout", "cancel", "message"];
/// Button limits: rows, buttons per row, buttons in all.
const MAX_ROWS: usize = 8;
const MAX_PER_ROW: usize = 8;
const MAX_BUTTONS: usize = 64;
/// How often clients are told to repeat an activity indicator, in ms.
const ACTIVITY_RETRY_MS: u64 = 4500;

/// Validates `{text, parseMode, buttons?}` and returns the content to store.
pub(crate) fn text_content(content: &Map<String, Value>) -> Result<Value, Fail> {
    let text = content
        .get("text")
        .and_then(Value::as_str)
        .ok_or(Fail::PAYLOAD)?;
    if text.len() > MAX_TEXT_BYTES {
        return Err(Fail::PAYLOAD);
    }
    let parse_mode = match content.get("parseMode") {
        None | Some(Value::Null) => "text",
        Some(Value::String(mode)) if PARSE_MODES.contains(&mode.as_str()) => mode,
        Some(_) => return Err(Fail::PAYLOAD),
    };
    let mut stored = json!({"text": text, "parseMode": parse_mode});
    match content.get("buttons") {
        None | Some(Value::Null) => {}
        Some(buttons) => {
            check_buttons(buttons)?;
            stored["buttons"] = buttons.clone();
        }
    }
    Ok(stored)
}

fn check_buttons(buttons: &Value) -> Result<(), Fail> {
    let rows = buttons.as_array().ok_or(Fail::PAYLOAD)?;
    let mut total = 0;
    if rows.len() > MAX_ROWS {
        return Err(Fail::PAYLOAD);
    }
    for row in rows {
        let row = row.as_array().ok_or(Fail::PAYLOAD)?;
        if row.len() > MAX_PER_ROW {
            return Err(Fail::PAYLOAD);
        }
        for button in row {
            let kind = button.get("type").and_then(Value::as_str);
            if kind.is_none() {
                return Err(Fail::PAYLOAD);
            }
            total += 1;
        }
    }
    if total > MAX_BUTTONS {
        return Err(Fail::PAYLOAD);
    }
    Ok(())
}

impl TrueConfSim {
    /// Stores a message and sends `sendMessage` events to the members' connections (system
    /// envelopes only where asked for), except `origin`. Returns the message id, its
    /// timestamp and the event ids.
    pub(crate) fn post_message(
        &mut self,
        message: Message,
        origin: Option<SimConn>,
    ) -> (String, u64, Vec<u64>) {
        let (id, timestamp, system) = (message.id.clone(), message.timestamp, message.is_system());
        let members = match self.world.chats.get(&message.chat_id) {
            Some(chat) => chat.member_ids(),
            None => return (id, timestamp, Vec::new()),
        };
        self.world.append(message);
        let events = self.notify(
            &members,
            origin,
            Self::audience_of(system),
            "sendMessage",
            Some(&id),
            |world, viewer| match world.messages.get(&id) {
                Some(m) => envelope(world, m, viewer, EnvelopeStyle::EVENT),
                None => Value::Null,
            },
        );
        (id, timestamp, events)
    }

    /// Appends a transcript entry with the common fields filled in.
    pub(crate) fn record(
        &mut self,
        call: &Call<'_>,
        method: &str,
        action: TranscriptAction,
        fill: impl FnOnce(&mut TranscriptEntry),
    ) {
        let mut entry = TranscriptEntry {
            seq: self.transcript.len() as u64,
            at: call.now,
            conn: call.conn,
            author: call.user.to_owned(),
            action,
            method: method.to_owned(),
            chat_id: None,
            message_id: None,
            text: None,
            parse_mode: None,
            buttons: None,
            reply_to: None,
            file: None,
            payload: Value::Object(call.payload.clone()),
        };
        fill(&mut entry);
        self.transcript.push(entry);
    }

    /// The reply target named by `replyMessageId`, which must be in the chat (306).
    pub(crate) fn reply_target(
        &self,
        call: &Call<'_>,
        chat_id: &str,
    ) -> Result<Option<String>, Fail> {
        match call.opt_str("replyMessageId")? {
            None => Ok(None),
            Some(id) => match self.world.messages.get(id) {
                Some(m) if m.chat_id == chat_id && m.visible_to(call.user) => {
                    Ok(Some(id.to_owned()))
                }
                _ => Err(Fail::NO_MESSAGE),
            },
        }
    }

    /// A message the caller can see in a chat it belongs to (306 otherwise).
    fn visible_message(&self, call: &Call<'_>, id: &str) -> Result<&Message, Fail> {
        let message = self.world.messages.get(id).ok_or(Fail::NO_MESSAGE)?;
        let member = self
            .world
            .chats
            .get(&message.chat_id)
            .is_some_and(|c| c.is_member(call.user));
        if member && message.visible_to(call.user) {
            Ok(message)
        } else {
            Err(Fail::NO_MESSAGE)
        }
    }

    /// The chat of `chatId` if the caller may post in it (304, 305, 303).
    fn postable_chat(&self, call: &Call<'_>) -> Result<String, Fail> {
        let chat = self.member_chat(call)?;
        if chat.can_post(call.user) {
            Ok(chat.id.clone())
        } else {
            Err(Fail::RIGHTS)
        }
    }

    pub(crate) fn m_send_message(&mut self, call: &Call<'_>) -> Answer {
        let chat_id = self.postable_chat(call)?;
        let reply_to = self.reply_target(call, &chat_id)?;
        let content = text_content(call.object("content")?)?;
        let id = self.uuid();
        let mut message = new_message(
            id,
            &chat_id,
            self.wall_ms(call.now),
            call.user,
            MSG_TEXT,
            content.clone(),
        );
        message.reply_to = reply_to.clone();
        let (id, timestamp, _) = self.post_message(message, Some(call.conn));
        self.record(call, "sendMessage", TranscriptAction::Sent, |e| {
            e.chat_id = Some(chat_id.clone());
            e.message_id = Some(id.clone());
            e.text = content["text"].as_str().map(str::to_owned);
            e.parse_mode = content["parseMode"].as_str().map(str::to_owned);
            e.buttons = content.get("buttons").cloned();
            e.reply_to = reply_to;
        });
        Ok(json!({"chatId": chat_id, "messageId": id, "timestamp": timestamp}))
    }

    pub(crate) fn m_edit_message(&mut self, call: &Call<'_>) -> Answer {
        let id = call.str("messageId")?;
        let message = self.visible_message(call, id)?;
        if message.author != call.user || message.kind != MSG_TEXT {
            return Err(Fail::RIGHTS);
        }
        let content = text_content(call.object("content")?)?;
        let timestamp = self.wall_ms(call.now);
        let chat_id = message.chat_id.clone();
        if let Some(message) = self.world.messages.get_mut(id) {
            message.content = content.clone();
            message.is_edited = true;
        }
        let members = self.member_ids(&chat_id);
        let event = json!({
            "chatId": chat_id,
            "messageId": id,
            "timestamp": timestamp,
            "content": {"text": content["text"], "parseMode": content["parseMode"]},
        });
        self.notify(
            &members,
            Some(call.conn),
            Audience::All,
            "editMessage",
            None,
            |_, _| event.clone(),
        );
        self.record(call, "editMessage", TranscriptAction::Edited, |e| {
            e.chat_id = Some(chat_id);
            e.message_id = Some(id.to_owned());
            e.text = content["text"].as_str().map(str::to_owned);
            e.parse_mode = content["parseMode"].as_str().map(str::to_owned);
            e.buttons = content.get("buttons").cloned();
        });
        Ok(json!({"messageId": id, "timestamp": timestamp}))
    }

    pub(crate) fn m_forward_message(&mut self, call: &Call<'_>) -> Answer {
        let original_id = call.str("messageId")?;
        let original = self.visible_message(call, original_id)?;
        let content = forwarded_content(&self.world, original, call.user);
        let chat_id = self.postable_chat(call)?;
        let id = self.uuid();
        let message = new_message(
            id,
            &chat_id,
            self.wall_ms(call.now),
            call.user,
            MSG_FORWARD,
            content.clone(),
        );
        let (id, timestamp, _) = self.post_message(message, Some(call.conn));
        self.record(call, "forwardMessage", TranscriptAction::Forwarded, |e| {
            e.chat_id = Some(chat_id.clone());
            e.message_id = Some(id.clone());
            e.text = content["content"]["text"].as_str().map(str::to_owned);
            e.reply_to = None;
        });
        Ok(json!({"chatId": chat_id, "messageId": id, "timestamp": timestamp}))
    }

    pub(crate) fn m_remove_message(&mut self, call: &Call<'_>) -> Answer {
        let id = call.str("messageId")?;
        let for_all = call.bool_or("forAll", false)?;
        let message = self.visible_message(call, id)?;
        let chat_id = message.chat_id.clone();
        if for_all {
            let allowed = message.author == call.user
                || self
                    .world
                    .chats
                    .get(&chat_id)
                    .is_some_and(|c| c.can_manage(call.user));
            if !allowed {
                return Err(Fail::RIGHTS);
            }
            self.remove_message_for_all(id, call.user, Some(call.conn));
        } else if let Some(message) = self.world.messages.get_mut(id) {
            message.hidden_for.insert(call.user.to_owned());
        }
        self.record(call, "removeMessage", TranscriptAction::Removed, |e| {
            e.chat_id = Some(chat_id);
            e.message_id = Some(id.to_owned());
        });
        Ok(json!({}))
    }

    /// Deletes a message for everyone and tells the members (`removeMessage`).
    pub(crate) fn remove_message_for_all(
        &mut self,
        id: &str,
        by: &str,
        origin: Option<SimConn>,
    ) -> Vec<u64> {
        let Some(message) = self.world.delete_message(id) else {
            return Vec::new();
        };
        let members = self.member_ids(&message.chat_id);
        let event = json!({
            "chatId": message.chat_id,
            "messageId": id,
            "removedBy": {"id": by, "type": 1},
        });
        self.notify(
            &members,
            origin,
            Audience::All,
            "removeMessage",
            None,
            |_, _| event.clone(),
        )
    }

    pub(crate) fn m_get_message_by_id(&mut self, call: &Call<'_>) -> Answer {
        let message = self.visible_message(call, call.str("messageId")?)?;
        Ok(envelope(
            &self.world,
            message,
            call.user,
            EnvelopeStyle::LOOKUP,
        ))
    }

    pub(crate) fn m_get_chat_history(&mut self, call: &Call<'_>) -> Answer {
        let chat = self.member_chat(call)?;
        let count = call.u64_or("count", 0)?;
        if count == 0 {
            return Err(Fail::PAYLOAD);
        }
        let from = call.opt_str_not_null("fromMessageId")?;
        let visible = self.world.visible_messages(chat, call.user);
        let end = match from {
            None => visible.len(),
            Some(from) => visible
                .iter()
                .position(|m| m.id == from)
                .ok_or(Fail::NO_MESSAGE)?,
        };
        // Newest first until `count` or the frame budget is reached, then oldest first.
        let budget = MAX_FRAME_BYTES - 4096;
        let mut used = 0;
        let mut messages = Vec::new();
        for message in visible[..end].iter().rev() {
            if messages.len() as u64 >= count {
                break;
            }
            let rendered = envelope(&self.world, message, call.user, EnvelopeStyle::EVENT);
            used += rendered.to_string().len() + 1;
            if used > budget {
                break;
            }
            messages.push(rendered);
        }
        messages.reverse();
        Ok(json!({"count": messages.len(), "chatId": chat.id, "messages": messages}))
    }

    pub(crate) fn m_send_chat_activity(&mut self, call: &Call<'_>) -> Answer {
        let chat_id = self.member_chat(call)?.id.clone();
        let activity = call.str("activityType")?;
        if !ACTIVITIES.contains(&activity) {
            return Err(Fail::PAYLOAD);
        }
        self.record(call, "sendChatActivity", TranscriptAction::Activity, |e| {
            e.chat_id = Some(chat_id.clone());
            e.text = Some(activity.to_owned());
        });
        Ok(json!({"chatId": chat_id, "activityType": activity, "retryAfter": ACTIVITY_RETRY_MS}))
    }

    pub(crate) fn m_answer_command(&mut self, call: &Call<'_>) -> Answer {
        let command_id = call.str("commandId")?;
        let answer_type = call.str("answerType")?;
        if !ANSWER_TYPES.contains(&answer_type) {
            return Err(Fail::PAYLOAD);
        }
        let text = match call.payload.get("message") {
            None | Some(Value::Null) if answer_type != "message" => None,
            Some(Value::Object(message)) => {
                let text = message
                    .get("text")
                    .and_then(Value::as_str)
                    .ok_or(Fail::PAYLOAD)?;
                if text.is_empty() || text.len() > 255 || !text.is_ascii() {
                    return Err(Fail::PAYLOAD);
                }
                Some(text.to_owned())
            }
            _ => return Err(Fail::PAYLOAD),
        };
        let Some(command) = self.commands.get_mut(command_id) else {
            return Err(Fail(399, "Unknown command"));
        };
        command.answered = true;
        let chat_id = command.chat_id.clone();
        let message_id = command.message_id.clone();
        self.record(call, "answerCommand", TranscriptAction::Answered, |e| {
            e.chat_id = Some(chat_id);
            e.message_id = Some(message_id);
            e.text = text;
        });
        Ok(json!({}))
    }

    pub(crate) fn m_send_survey(&mut self, call: &Call<'_>) -> Answer {
        let chat_id = self.postable_chat(call)?;
        let reply_to = self.reply_target(call, &chat_id)?;
        let content = call.object("content")?;
        let (Some(_), Some(title)) = (
            content.get("url").and_then(Value::as_str),
            content.get("title").and_then(Value::as_str),
        ) else {
            return Err(Fail::PAYLOAD);
        };
        if Value::Object(content.clone()).to_string().len() > MAX_TEXT_BYTES {
            return Err(Fail::PAYLOAD);
        }
        let title = title.to_owned();
        let id = self.uuid();
        let mut message = new_message(
            id,
            &chat_id,
            self.wall_ms(call.now),
            call.user,
            MSG_SURVEY,
            Value::Object(content.clone()),
        );
        message.reply_to = reply_to.clone();
        let (id, timestamp, _) = self.post_message(message, Some(call.conn));
        self.record(call, "sendSurvey", TranscriptAction::Sent, |e| {
            e.chat_id = Some(chat_id.clone());
            e.message_id = Some(id.clone());
            e.text = Some(title);
            e.reply_to = reply_to;
        });
        Ok(json!({"chatId": chat_id, "messageId": id, "timestamp": timestamp}))
    }

    pub(crate) fn m_edit_survey(&mut self, call: &Call<'_>) -> Answer {
        let id = call.str("messageId")?;
        let message = self.visible_message(call, id)?;
        if message.kind != MSG_SURVEY || message.author != call.user {
            return Err(Fail::RIGHTS);
        }
        let chat_id = message.chat_id.clone();
        let changes = call.object("content")?;
        let title = changes
            .get("title")
            .and_then(Value::as_str)
            .ok_or(Fail::PAYLOAD)?
            .to_owned();
        if Value::Object(changes.clone()).to_string().len() > MAX_TEXT_BYTES {
            return Err(Fail::PAYLOAD);
        }
        if let Some(Value::Object(content)) = self.world.messages.get_mut(id).map(|m| {
            m.is_edited = true;
            &mut m.content
        }) {
            for key in ["path", "title", "description", "buttonText", "alt"] {
                if let Some(value) = changes.get(key) {
                    content.insert(key.to_owned(), value.clone());
                }
            }
        }
        self.record(call, "editSurvey", TranscriptAction::Edited, |e| {
            e.chat_id = Some(chat_id);
            e.message_id = Some(id.to_owned());
            e.text = Some(title);
        });
        Ok(json!({"messageId": id, "timestamp": self.wall_ms(call.now)}))
    }

    /// The ids of a chat's members (empty for an unknown chat).
    pub(crate) fn member_ids(&self, chat_id: &str) -> Vec<String> {
        self.world
            .chats
            .get(chat_id)
            .map(|c| c.member_ids())
            .unwrap_or_default()
    }
}
