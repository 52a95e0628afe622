//! The simulated world: accounts, chats with their participants and messages, stored files,
//! upload tasks and temporal files. Plain data; JSON views are built in `views.rs`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::SimUser;
use crate::io::Timestamp;

/// Chat types of the wire (`chatType`).
pub(crate) const CHAT_P2P: i64 = 1;
pub(crate) const CHAT_GROUP: i64 = 2;
pub(crate) const CHAT_FAVORITES: i64 = 5;
pub(crate) const CHAT_CHANNEL: i64 = 6;

/// Envelope types of the wire.
pub(crate) const MSG_ADD_PARTICIPANT: i64 = 1;
pub(crate) const MSG_REMOVE_PARTICIPANT: i64 = 2;
pub(crate) const MSG_EDIT_TITLE: i64 = 21;
pub(crate) const MSG_EDIT_AVATAR: i64 = 22;
pub(crate) const MSG_CLEAR_HISTORY: i64 = 23;
pub(crate) const MSG_ROLE: i64 = 110;
pub(crate) const MSG_TEXT: i64 = 200;
pub(crate) const MSG_FORWARD: i64 = 201;
pub(crate) const MSG_ATTACHMENT: i64 = 202;
pub(crate) const MSG_LOCATION: i64 = 203;
pub(crate) const MSG_SURVEY: i64 = 204;

/// Participant roles, in the order of the docs' numeric enum.
pub(crate) const ROLES: [&str; 7] = [
    "owner",
    "admin",
    "user",
    "conf_owner",
    "conf_moderator",
    "favorites_owner",
    "writer",
];

/// The author id of system envelopes.
pub(crate) const SERVER_AUTHOR: &str = "trueconf.server";

/// File ready states.
pub(crate) const FILE_UPLOADING: u8 = 1;
pub(crate) const FILE_READY: u8 = 2;

#[derive(Debug, Clone)]
pub(crate) struct User {
    pub id: String,
    pub login: String,
    pub display_name: String,
    pub password: Option<String>,
    pub disabled: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Participant {
    pub user: String,
    pub role: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Chat {
    pub id: String,
    pub kind: i64,
    pub title: Option<String>,
    pub avatar_url: Option<String>,
    pub participants: Vec<Participant>,
    /// Message ids in box order.
    pub messages: Vec<String>,
    pub next_box: i64,
    /// Creation order, to break ties when sorting chats.
    pub created: u64,
}

impl Chat {
    pub fn role_of(&self, user: &str) -> Option<&str> {
        self.participants
            .iter()
            .find(|p| p.user == user)
            .map(|p| p.role.as_str())
    }

    pub fn is_member(&self, user: &str) -> bool {
        self.role_of(user).is_some()
    }

    /// Owners and admins manage a group or channel.
    pub fn can_manage(&self, user: &str) -> bool {
        matches!(self.role_of(user), Some("owner" | "admin"))
    }

    /// Whether the user may post: every member, except readers of a channel.
    pub fn can_post(&self, user: &str) -> bool {
        match self.role_of(user) {
            None => false,
            Some(role) if self.kind == CHAT_CHANNEL => {
                matches!(role, "owner" | "admin" | "writer")
            }
            Some(_) => true,
        }
    }

    pub fn member_ids(&self) -> Vec<String> {
        self.participants.iter().map(|p| p.user.clone()).collect()
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Message {
    pub id: String,
    pub chat_id: String,
    pub box_id: i64,
    /// Unix milliseconds.
    pub timestamp: u64,
    pub author: String,
    /// 0 system, 1 user.
    pub author_type: u8,
    pub kind: i64,
    pub content: Value,
    pub is_edited: bool,
    pub reply_to: Option<String>,
    /// Users who removed it for themselves only (or cleared their own history).
    pub hidden_for: BTreeSet<String>,
    /// Users who acknowledged its event.
    pub read_by: BTreeSet<String>,
}

impl Message {
    pub fn is_system(&self) -> bool {
        self.author_type == 0
    }

    pub fn visible_to(&self, user: &str) -> bool {
        !self.hidden_for.contains(user)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct StoredFile {
    pub id: String,
    pub name: String,
    pub mime: String,
    pub bytes: Vec<u8>,
    /// Announced size (equal to `bytes.len()` once ready).
    pub size: u64,
    pub ready_state: u8,
    /// Bytes uploaded so far, while uploading.
    pub progress: u64,
    pub download_token: String,
    pub preview: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct UploadTask {
    pub size: u64,
    pub name: String,
}

#[derive(Debug, Clone)]
pub(crate) struct TemporalFile {
    pub name: String,
    pub mime: String,
    pub bytes: Vec<u8>,
    /// `(name, mime, bytes)` of the `preview` part.
    pub preview: Option<(String, String, Vec<u8>)>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct World {
    pub users: BTreeMap<String, User>,
    pub chats: BTreeMap<String, Chat>,
    pub chats_created: u64,
    pub messages: BTreeMap<String, Message>,
    pub files: BTreeMap<String, StoredFile>,
    pub upload_tasks: BTreeMap<String, UploadTask>,
    pub temporal: BTreeMap<String, TemporalFile>,
}

impl World {
    pub fn add_user(&mut self, domain: &str, user: &SimUser) {
        let login = user
            .login
            .split('@')
            .next()
            .unwrap_or(&user.login)
            .to_owned();
        let id = if user.login.contains('@') {
            user.login.clone()
        } else {
            format!("{login}@{domain}")
        };
        self.users.insert(
            id.clone(),
            User {
                id,
                login,
                display_name: user.display_name.clone(),
                password: user.password.clone(),
                disabled: user.disabled,
            },
        );
    }

    /// The user logging in with this name (login or full id).
    pub fn user_by_login(&self, name: &str) -> Option<&User> {
        self.users
            .values()
            .find(|u| u.login == name || u.id == name)
    }

    pub fn display_name(&self, user: &str) -> String {
        self.users
            .get(user)
            .map(|u| u.display_name.clone())
            .unwrap_or_else(|| user.split('@').next().unwrap_or(user).to_owned())
    }

    /// Creates a chat and returns its id (the caller picks the id).
    pub fn add_chat(
        &mut self,
        id: String,
        kind: i64,
        title: Option<String>,
        participants: Vec<Participant>,
    ) -> String {
        self.chats_created += 1;
        self.chats.insert(
            id.clone(),
            Chat {
                id: id.clone(),
                kind,
                title,
                avatar_url: None,
                participants,
                messages: Vec::new(),
                next_box: 1,
                created: self.chats_created,
            },
        );
        id
    }

    /// The personal chat of two users, if any.
    pub fn p2p_chat(&self, a: &str, b: &str) -> Option<&Chat> {
        self.chats
            .values()
            .find(|c| c.kind == CHAT_P2P && c.is_member(a) && c.is_member(b))
    }

    pub fn favorites_chat(&self, user: &str) -> Option<&Chat> {
        self.chats
            .values()
            .find(|c| c.kind == CHAT_FAVORITES && c.is_member(user))
    }

    /// Stores a message at the end of its chat and returns its box id. The chat must exist.
    pub fn append(&mut self, mut message: Message) -> Option<i64> {
        let chat = self.chats.get_mut(&message.chat_id)?;
        message.box_id = chat.next_box;
        chat.next_box += 1;
        chat.messages.push(message.id.clone());
        let box_id = message.box_id;
        self.messages.insert(message.id.clone(), message);
        Some(box_id)
    }

    /// Deletes a message for everyone.
    pub fn delete_message(&mut self, id: &str) -> Option<Message> {
        let message = self.messages.remove(id)?;
        if let Some(chat) = self.chats.get_mut(&message.chat_id) {
            chat.messages.retain(|m| m != id);
        }
        Some(message)
    }

    /// The messages of a chat a user sees, in box order.
    pub fn visible_messages(&self, chat: &Chat, viewer: &str) -> Vec<&Message> {
        chat.messages
            .iter()
            .filter_map(|id| self.messages.get(id))
            .filter(|m| m.visible_to(viewer))
            .collect()
    }

    /// Messages of the chat the user has not read (by other users; system envelopes do not
    /// count).
    pub fn unread_count(&self, chat: &Chat, viewer: &str) -> usize {
        self.visible_messages(chat, viewer)
            .into_iter()
            .filter(|m| !m.is_system() && m.author != viewer && !m.read_by.contains(viewer))
            .count()
    }

    /// When the chat last changed (its last message), for ordering chat lists.
    pub fn last_activity(&self, chat: &Chat) -> u64 {
        chat.messages
            .last()
            .and_then(|id| self.messages.get(id))
            .map(|m| m.timestamp)
            .unwrap_or(0)
    }

    /// Removes a chat and its messages; returns its former members.
    pub fn remove_chat(&mut self, id: &str) -> Option<Vec<String>> {
        let chat = self.chats.remove(id)?;
        for message in &chat.messages {
            self.messages.remove(message);
        }
        Some(chat.member_ids())
    }
}

/// A message not yet stored (box id filled in by [`World::append`]).
pub(crate) fn new_message(
    id: String,
    chat_id: &str,
    timestamp: Timestamp,
    author: &str,
    kind: i64,
    content: Value,
) -> Message {
    Message {
        id,
        chat_id: chat_id.to_owned(),
        box_id: 0,
        timestamp,
        author: author.to_owned(),
        author_type: if author == SERVER_AUTHOR { 0 } else { 1 },
        kind,
        content,
        is_edited: false,
        reply_to: None,
        hidden_for: BTreeSet::new(),
        read_by: BTreeSet::new(),
    }
}
