//! Chat and participant methods, and the chat operations they share with the test hooks.
//! Methods check the caller's rights; operations (`op_*`) just do the change, store the
//! system envelope and notify the members.

use serde_json::{json, Value};

use super::events::Audience;
use super::methods::{Answer, Call, Fail};
use super::views::chat_object;
use super::world::{
    new_message, Participant, CHAT_CHANNEL, CHAT_FAVORITES, CHAT_GROUP, CHAT_P2P,
    MSG_ADD_PARTICIPANT, MSG_CLEAR_HISTORY, MSG_EDIT_AVATAR, MSG_EDIT_TITLE,
    MSG_REMOVE_PARTICIPANT, MSG_ROLE, ROLES, SERVER_AUTHOR,
};
use super::{SimConn, TrueConfSim, MAX_FRAME_BYTES};
use crate::io::Timestamp;

/// Longest group or channel title the server accepts.
const MAX_TITLE_CHARS: usize = 256;

/// A role given as a string or as the docs' number (0–6).
fn parse_role(value: Option<&Value>) -> Result<&'static str, Fail> {
    match value {
        Some(Value::String(name)) => ROLES
            .iter()
            .find(|r| **r == name.as_str())
            .copied()
            .ok_or(Fail::NO_ROLE),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|i| ROLES.get(usize::try_from(i).ok()?))
            .copied()
            .ok_or(Fail::NO_ROLE),
        _ => Err(Fail::PAYLOAD),
    }
}

fn event_method(kind: i64) -> &'static str {
    match kind {
        CHAT_P2P => "createP2PChat",
        CHAT_CHANNEL => "createChannel",
        CHAT_FAVORITES => "createFavoritesChat",
        _ => "createGroupChat",
    }
}

impl TrueConfSim {
    // ---- operations -------------------------------------------------------------------

    /// Creates a chat and sends the matching `create…` event to its members (except
    /// `origin`). Returns the chat id and the event ids.
    pub(crate) fn op_create_chat(
        &mut self,
        kind: i64,
        title: Option<String>,
        participants: Vec<Participant>,
        origin: Option<SimConn>,
    ) -> (String, Vec<u64>) {
        let id = self.hex(40);
        let members: Vec<String> = participants.iter().map(|p| p.user.clone()).collect();
        self.world.add_chat(id.clone(), kind, title, participants);
        let events = self.notify(
            &members,
            origin,
            Audience::All,
            event_method(kind),
            None,
            |world, viewer| match world.chats.get(&id) {
                Some(chat) => chat_object(world, chat, viewer, true),
                None => Value::Null,
            },
        );
        (id, events)
    }

    /// Stores a system envelope (author `trueconf.server`) in a chat.
    pub(crate) fn system_message(
        &mut self,
        now: Timestamp,
        chat_id: &str,
        kind: i64,
        content: Value,
        origin: Option<SimConn>,
    ) -> Vec<u64> {
        let id = self.uuid();
        let message = new_message(id, chat_id, self.wall_ms(now), SERVER_AUTHOR, kind, content);
        self.post_message(message, origin).2
    }

    /// Sends the same event payload to the members of a chat (plus `extra` users).
    fn tell_members(
        &mut self,
        chat_id: &str,
        extra: Option<&str>,
        origin: Option<SimConn>,
        method: &str,
        payload: Value,
    ) -> Vec<u64> {
        let mut members = self.member_ids(chat_id);
        members.extend(extra.map(str::to_owned));
        self.notify(&members, origin, Audience::All, method, None, |_, _| {
            payload.clone()
        })
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn op_add_participant(
        &mut self,
        now: Timestamp,
        by: &str,
        chat_id: &str,
        user: &str,
        role: &str,
        display_history: bool,
        origin: Option<SimConn>,
    ) -> Vec<u64> {
        let Some(chat) = self.world.chats.get_mut(chat_id) else {
            return Vec::new();
        };
        chat.participants.push(Participant {
            user: user.to_owned(),
            role: role.to_owned(),
        });
        if !display_history {
            let earlier = chat.messages.clone();
            for id in earlier {
                if let Some(m) = self.world.messages.get_mut(&id) {
                    m.hidden_for.insert(user.to_owned());
                }
            }
        }
        let content = json!({"userId": user, "role": role});
        let mut events = self.system_message(now, chat_id, MSG_ADD_PARTICIPANT, content, origin);
        let payload = json!({
            "timestamp": self.wall_ms(now),
            "chatId": chat_id,
            "userId": user,
            "addedBy": {"id": by, "type": 1},
        });
        events.extend(self.tell_members(chat_id, None, origin, "addChatParticipant", payload));
        events
    }

    pub(crate) fn op_remove_participant(
        &mut self,
        now: Timestamp,
        by: &str,
        chat_id: &str,
        user: &str,
        origin: Option<SimConn>,
    ) -> Vec<u64> {
        let mut events = self.system_message(
            now,
            chat_id,
            MSG_REMOVE_PARTICIPANT,
            json!({"userId": user}),
            origin,
        );
        if let Some(chat) = self.world.chats.get_mut(chat_id) {
            chat.participants.retain(|p| p.user != user);
        }
        let payload = json!({
            "timestamp": self.wall_ms(now),
            "chatId": chat_id,
            "userId": user,
            "removedBy": {"id": by, "type": 1},
        });
        events.extend(self.tell_members(
            chat_id,
            Some(user),
            origin,
            "removeChatParticipant",
            payload,
        ));
        events
    }

    pub(crate) fn op_change_role(
        &mut self,
        now: Timestamp,
        chat_id: &str,
        user: &str,
        role: &str,
        origin: Option<SimConn>,
    ) -> Vec<u64> {
        if let Some(p) = self
            .world
            .chats
            .get_mut(chat_id)
            .and_then(|c| c.participants.iter_mut().find(|p| p.user == user))
        {
            p.role = role.to_owned();
        }
        let content = json!({"userId": user, "role": role});
        let mut events = self.system_message(now, chat_id, MSG_ROLE, content, origin);
        let payload = json!({
            "timestamp": self.wall_ms(now),
            "chatId": chat_id,
            "userId": user,
            "role": role,
        });
        events.extend(self.tell_members(chat_id, None, origin, "changeParticipantRole", payload));
        events
    }

    pub(crate) fn op_edit_title(
        &mut self,
        now: Timestamp,
        chat_id: &str,
        title: &str,
        origin: Option<SimConn>,
    ) -> Vec<u64> {
        if let Some(chat) = self.world.chats.get_mut(chat_id) {
            chat.title = Some(title.to_owned());
        }
        let content = json!({"title": title});
        let mut events = self.system_message(now, chat_id, MSG_EDIT_TITLE, content, origin);
        let payload = json!({"chatId": chat_id, "title": title});
        events.extend(self.tell_members(chat_id, None, origin, "editChatTitle", payload));
        events
    }

    pub(crate) fn op_edit_avatar(
        &mut self,
        now: Timestamp,
        chat_id: &str,
        avatar_url: &str,
        origin: Option<SimConn>,
    ) -> Vec<u64> {
        if let Some(chat) = self.world.chats.get_mut(chat_id) {
            chat.avatar_url = Some(avatar_url.to_owned());
        }
        let content = json!({"avatarUrl": avatar_url});
        let mut events = self.system_message(now, chat_id, MSG_EDIT_AVATAR, content, origin);
        let payload = json!({"chatId": chat_id, "avatarUrl": avatar_url});
        events.extend(self.tell_members(chat_id, None, origin, "editChatAvatar", payload));
        events
    }

    /// Clears a chat for everyone (`for_all`) or hides its messages from `by` only.
    pub(crate) fn op_clear_history(
        &mut self,
        now: Timestamp,
        by: &str,
        chat_id: &str,
        for_all: bool,
        origin: Option<SimConn>,
    ) -> Vec<u64> {
        let ids = self
            .world
            .chats
            .get(chat_id)
            .map(|c| c.messages.clone())
            .unwrap_or_default();
        let payload = json!({"chatId": chat_id, "forAll": for_all});
        if !for_all {
            for id in ids {
                if let Some(m) = self.world.messages.get_mut(&id) {
                    m.hidden_for.insert(by.to_owned());
                }
            }
            let own = vec![by.to_owned()];
            return self.notify(&own, origin, Audience::All, "clearHistory", None, |_, _| {
                payload.clone()
            });
        }
        for id in ids {
            self.world.delete_message(&id);
        }
        let content = json!({"forAll": true});
        let mut events = self.system_message(now, chat_id, MSG_CLEAR_HISTORY, content, origin);
        events.extend(self.tell_members(chat_id, None, origin, "clearHistory", payload));
        events
    }

    pub(crate) fn op_remove_chat(&mut self, chat_id: &str, origin: Option<SimConn>) -> Vec<u64> {
        let Some(members) = self.world.remove_chat(chat_id) else {
            return Vec::new();
        };
        let payload = json!({"chatId": chat_id});
        self.notify(
            &members,
            origin,
            Audience::All,
            "removeChat",
            None,
            |_, _| payload.clone(),
        )
    }

    // ---- methods ----------------------------------------------------------------------

    /// A known user's full id from `userId` (302 for an unknown user).
    fn known_user(&self, call: &Call<'_>) -> Result<String, Fail> {
        let id = self.full_id(call.str("userId")?);
        if self.world.users.contains_key(&id) {
            Ok(id)
        } else {
            Err(Fail::ACCESS_DENIED)
        }
    }

    /// The chat of `chatId` if the caller manages it (owner or admin of a group or channel).
    fn managed_chat(&self, call: &Call<'_>) -> Result<String, Fail> {
        let chat = self.member_chat(call)?;
        if matches!(chat.kind, CHAT_GROUP | CHAT_CHANNEL) && chat.can_manage(call.user) {
            Ok(chat.id.clone())
        } else {
            Err(Fail::RIGHTS)
        }
    }

    pub(crate) fn m_create_p2p_chat(&mut self, call: &Call<'_>) -> Answer {
        let other = self.known_user(call)?;
        if other == call.user {
            return Err(Fail::PAYLOAD);
        }
        if let Some(chat) = self.world.p2p_chat(call.user, &other) {
            return Ok(json!({"chatId": chat.id}));
        }
        let participants = vec![
            Participant {
                user: call.user.to_owned(),
                role: "user".into(),
            },
            Participant {
                user: other,
                role: "user".into(),
            },
        ];
        let (id, _) = self.op_create_chat(CHAT_P2P, None, participants, Some(call.conn));
        Ok(json!({"chatId": id}))
    }

    pub(crate) fn m_create_titled_chat(&mut self, call: &Call<'_>, kind: i64) -> Answer {
        let title = match call.opt_str("title")? {
            Some(title) => title,
            None => call.str("name")?,
        };
        if title.trim().is_empty() || title.chars().count() > MAX_TITLE_CHARS {
            return Err(Fail::PAYLOAD);
        }
        let participants = vec![Participant {
            user: call.user.to_owned(),
            role: "owner".into(),
        }];
        let (id, _) =
            self.op_create_chat(kind, Some(title.to_owned()), participants, Some(call.conn));
        Ok(json!({"chatId": id}))
    }

    pub(crate) fn m_create_favorites_chat(&mut self, call: &Call<'_>) -> Answer {
        if let Some(chat) = self.world.favorites_chat(call.user) {
            return Ok(json!({"chatId": chat.id}));
        }
        let participants = vec![Participant {
            user: call.user.to_owned(),
            role: "favorites_owner".into(),
        }];
        let (id, _) = self.op_create_chat(CHAT_FAVORITES, None, participants, Some(call.conn));
        Ok(json!({"chatId": id}))
    }

    pub(crate) fn m_remove_chat(&mut self, call: &Call<'_>) -> Answer {
        let chat = self.member_chat(call)?;
        let allowed = match chat.kind {
            CHAT_GROUP | CHAT_CHANNEL => chat.role_of(call.user) == Some("owner"),
            _ => true,
        };
        if !allowed {
            return Err(Fail::RIGHTS);
        }
        let id = chat.id.clone();
        self.op_remove_chat(&id, Some(call.conn));
        Ok(json!({}))
    }

    pub(crate) fn m_get_chats(&mut self, call: &Call<'_>) -> Answer {
        let count = call.u64_or("count", 10)?;
        let page = call.u64_or("page", 1)?;
        if count == 0 || page == 0 {
            return Err(Fail::PAYLOAD);
        }
        let mut chats: Vec<_> = self
            .world
            .chats
            .values()
            .filter(|c| c.is_member(call.user))
            .collect();
        // Most recently active first, newer chats first on ties.
        chats.sort_by_key(|c| std::cmp::Reverse((self.world.last_activity(c), c.created)));
        let skip = usize::try_from((page - 1).saturating_mul(count)).unwrap_or(usize::MAX);
        let take = usize::try_from(count).unwrap_or(usize::MAX);
        let budget = MAX_FRAME_BYTES - 4096;
        let mut used = 0;
        let mut out = Vec::new();
        for chat in chats.into_iter().skip(skip).take(take) {
            let rendered = chat_object(&self.world, chat, call.user, true);
            used += rendered.to_string().len() + 1;
            if used > budget {
                break;
            }
            out.push(rendered);
        }
        Ok(Value::Array(out))
    }

    pub(crate) fn m_get_chat_by_id(&mut self, call: &Call<'_>) -> Answer {
        let chat = self.member_chat(call)?;
        Ok(chat_object(&self.world, chat, call.user, true))
    }

    pub(crate) fn m_edit_chat_title(&mut self, call: &Call<'_>) -> Answer {
        let chat_id = self.managed_chat(call)?;
        let title = call.str("title")?;
        if title.trim().is_empty() || title.chars().count() > MAX_TITLE_CHARS {
            return Err(Fail::PAYLOAD);
        }
        self.op_edit_title(call.now, &chat_id, title, Some(call.conn));
        Ok(json!({"chatId": chat_id, "timestamp": self.wall_ms(call.now)}))
    }

    pub(crate) fn m_edit_chat_avatar(&mut self, call: &Call<'_>) -> Answer {
        let chat_id = self.managed_chat(call)?;
        let temporal = call.str("temporalFileId")?;
        let file_id = self.store_temporal(temporal).ok_or(Fail::NO_FILE)?;
        let url = self
            .world
            .files
            .get(&file_id)
            .map(|f| super::views::download_url(f, &self.config.base_url))
            .ok_or(Fail::INTERNAL)?;
        self.op_edit_avatar(call.now, &chat_id, &url, Some(call.conn));
        Ok(json!({}))
    }

    pub(crate) fn m_clear_history(&mut self, call: &Call<'_>) -> Answer {
        let chat = self.member_chat(call)?;
        let for_all = call.bool_or("forAll", false)?;
        if for_all && matches!(chat.kind, CHAT_GROUP | CHAT_CHANNEL) && !chat.can_manage(call.user)
        {
            return Err(Fail::RIGHTS);
        }
        let id = chat.id.clone();
        self.op_clear_history(call.now, call.user, &id, for_all, Some(call.conn));
        Ok(json!({}))
    }

    pub(crate) fn m_add_chat_participant(&mut self, call: &Call<'_>) -> Answer {
        let chat_id = self.managed_chat(call)?;
        let user = self.known_user(call)?;
        let display_history = call.bool_or("displayHistory", true)?;
        if self
            .world
            .chats
            .get(&chat_id)
            .is_some_and(|c| c.is_member(&user))
        {
            return Err(Fail::ALREADY_MEMBER);
        }
        let by = call.user.to_owned();
        self.op_add_participant(
            call.now,
            &by,
            &chat_id,
            &user,
            "user",
            display_history,
            Some(call.conn),
        );
        Ok(json!({}))
    }

    pub(crate) fn m_remove_chat_participant(&mut self, call: &Call<'_>) -> Answer {
        let chat = self.member_chat(call)?;
        let user = self.full_id(call.str("userId")?);
        if !chat.is_member(&user) {
            return Err(Fail::NOT_MEMBER);
        }
        let leaving = user == call.user && chat.kind != CHAT_P2P;
        let manages = matches!(chat.kind, CHAT_GROUP | CHAT_CHANNEL) && chat.can_manage(call.user);
        let removes_owner = chat.role_of(&user) == Some("owner") && user != call.user;
        if !(leaving || manages) || removes_owner {
            return Err(Fail::RIGHTS);
        }
        let id = chat.id.clone();
        let by = call.user.to_owned();
        self.op_remove_participant(call.now, &by, &id, &user, Some(call.conn));
        Ok(json!({}))
    }

    pub(crate) fn m_change_participant_role(&mut self, call: &Call<'_>) -> Answer {
        let chat = self.member_chat(call)?;
        let role = parse_role(call.payload.get("role"))?;
        let user = self.full_id(call.str("userId")?);
        if !matches!(chat.kind, CHAT_GROUP | CHAT_CHANNEL)
            || chat.role_of(call.user) != Some("owner")
        {
            return Err(Fail::RIGHTS);
        }
        if !chat.is_member(&user) {
            return Err(Fail::NOT_MEMBER);
        }
        let id = chat.id.clone();
        self.op_change_role(call.now, &id, &user, role, Some(call.conn));
        Ok(json!({}))
    }

    pub(crate) fn m_get_chat_participants(&mut self, call: &Call<'_>) -> Answer {
        let chat = self.member_chat(call)?;
        let size = call.u64_or("pageSize", 50)?;
        let number = call.u64_or("pageNumber", 1)?;
        if size == 0 || number == 0 {
            return Err(Fail::PAYLOAD);
        }
        let skip = usize::try_from((number - 1).saturating_mul(size)).unwrap_or(usize::MAX);
        let take = usize::try_from(size).unwrap_or(usize::MAX);
        let participants: Vec<Value> = chat
            .participants
            .iter()
            .skip(skip)
            .take(take)
            .map(|p| json!({"userId": p.user, "role": p.role}))
            .collect();
        Ok(json!({ "participants": participants }))
    }

    pub(crate) fn m_get_chat_participant(&mut self, call: &Call<'_>) -> Answer {
        let chat = self.member_chat(call)?;
        let user = self.full_id(call.str("userId")?);
        let role = chat.role_of(&user).ok_or(Fail::NOT_MEMBER)?;
        Ok(json!({"userId": user, "role": role, "type": 1}))
    }

    pub(crate) fn m_has_chat_participant(&mut self, call: &Call<'_>) -> Answer {
        let chat = self.member_chat(call)?;
        let user = self.full_id(call.str("userId")?);
        Ok(json!({ "result": chat.is_member(&user) }))
    }

    pub(crate) fn m_get_user_display_name(&mut self, call: &Call<'_>) -> Answer {
        let user = self.known_user(call)?;
        Ok(json!({ "displayName": self.world.display_name(&user) }))
    }
}
