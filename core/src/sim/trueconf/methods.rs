//! Method dispatch and the reading of request payloads. The methods themselves live in
//! `messages.rs`, `chats.rs` and `files.rs`.

use serde_json::{json, Map, Value};

use super::{SimConn, TrueConfSim};
use crate::io::Timestamp;

/// An error answer: `errorCode` and `errorDescription`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fail(pub i64, pub &'static str);

impl Fail {
    pub const DUPLICATE_ID: Fail = Fail(2, "Duplicate request id");
    pub const NOT_AUTHORISED: Fail = Fail(200, "Not authorized");
    pub const EXPIRED: Fail = Fail(203, "Credentials expired");
    pub const INTERNAL: Fail = Fail(300, "Internal server error");
    pub const ACCESS_DENIED: Fail = Fail(302, "Access denied");
    pub const RIGHTS: Fail = Fail(303, "Not enough rights");
    pub const NO_CHAT: Fail = Fail(304, "Chat not found");
    pub const NOT_MEMBER: Fail = Fail(305, "User is not a chat participant");
    pub const NO_MESSAGE: Fail = Fail(306, "Message not found");
    pub const NO_FILE: Fail = Fail(308, "File not found");
    pub const ALREADY_MEMBER: Fail = Fail(309, "User already in chat");
    pub const NO_ROLE: Fail = Fail(312, "Role not found");
    pub const PAYLOAD: Fail = Fail(399, "Wrong payload format");
    pub const BAD_FILE_NAME: Fail = Fail(402, "Bad file name");
    pub const FORBIDDEN_FILE: Fail = Fail(403, "File upload forbidden");
    pub const TOO_LARGE: Fail = Fail(406, "Max file size exceeded");

    pub fn json(self) -> Value {
        json!({ "errorCode": self.0, "errorDescription": self.1 })
    }
}

pub(crate) type Answer = Result<Value, Fail>;

/// One request being executed.
pub(crate) struct Call<'a> {
    pub now: Timestamp,
    pub conn: SimConn,
    /// The caller's full id.
    pub user: &'a str,
    pub payload: &'a Map<String, Value>,
}

impl Call<'_> {
    /// A required string.
    pub fn str(&self, key: &str) -> Result<&str, Fail> {
        self.payload
            .get(key)
            .and_then(Value::as_str)
            .ok_or(Fail::PAYLOAD)
    }

    /// An optional string: absent or `null` is `None`, another type is an error.
    pub fn opt_str(&self, key: &str) -> Result<Option<&str>, Fail> {
        match self.payload.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(Fail::PAYLOAD),
        }
    }

    /// An optional string that may not be `null` (absent is `None`).
    pub fn opt_str_not_null(&self, key: &str) -> Result<Option<&str>, Fail> {
        match self.payload.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(Fail::PAYLOAD),
        }
    }

    /// A boolean with a default when absent or `null`.
    pub fn bool_or(&self, key: &str, default: bool) -> Result<bool, Fail> {
        match self.payload.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(Fail::PAYLOAD),
        }
    }

    /// A non-negative integer with a default when absent or `null`.
    pub fn u64_or(&self, key: &str, default: u64) -> Result<u64, Fail> {
        match self.payload.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(v) => v.as_u64().ok_or(Fail::PAYLOAD),
        }
    }

    /// An object.
    pub fn object(&self, key: &str) -> Result<&Map<String, Value>, Fail> {
        self.payload
            .get(key)
            .and_then(Value::as_object)
            .ok_or(Fail::PAYLOAD)
    }
}

impl TrueConfSim {
    /// Runs one method for an authorised caller. Unknown methods answer 399.
    pub(crate) fn dispatch(
        &mut self,
        now: Timestamp,
        conn: SimConn,
        user: &str,
        method: &str,
        payload: &Map<String, Value>,
    ) -> Answer {
        let call = Call {
            now,
            conn,
            user,
            payload,
        };
        match method {
            "sendMessage" => self.m_send_message(&call),
            "editMessage" => self.m_edit_message(&call),
            "forwardMessage" => self.m_forward_message(&call),
            "removeMessage" => self.m_remove_message(&call),
            "getMessageById" => self.m_get_message_by_id(&call),
            "getChatHistory" => self.m_get_chat_history(&call),
            "sendChatActivity" => self.m_send_chat_activity(&call),
            "answerCommand" => self.m_answer_command(&call),
            "sendSurvey" => self.m_send_survey(&call),
            "editSurvey" => self.m_edit_survey(&call),
            "uploadFile" => self.m_upload_file(&call),
            "sendFile" => self.m_send_file(&call),
            "getFileInfo" => self.m_get_file_info(&call),
            "getFileUploadLimits" => Ok(self.limits.to_json()),
            "subscribeFileProgress" => self.m_subscribe_file_progress(&call),
            "unsubscribeFileProgress" => self.m_unsubscribe_file_progress(&call),
            "createP2PChat" => self.m_create_p2p_chat(&call),
            "createGroupChat" => self.m_create_titled_chat(&call, super::world::CHAT_GROUP),
            "createChannel" => self.m_create_titled_chat(&call, super::world::CHAT_CHANNEL),
            "createFavoritesChat" => self.m_create_favorites_chat(&call),
            "removeChat" => self.m_remove_chat(&call),
            "getChats" => self.m_get_chats(&call),
            "getChatByID" => self.m_get_chat_by_id(&call),
            "editChatTitle" => self.m_edit_chat_title(&call),
            "editChatAvatar" => self.m_edit_chat_avatar(&call),
            "clearHistory" => self.m_clear_history(&call),
            "addChatParticipant" => self.m_add_chat_participant(&call),
            "removeChatParticipant" => self.m_remove_chat_participant(&call),
            "changeParticipantRole" => self.m_change_participant_role(&call),
            "getChatParticipants" => self.m_get_chat_participants(&call),
            "getChatParticipant" => self.m_get_chat_participant(&call),
            "hasChatParticipant" => self.m_has_chat_participant(&call),
            "getUserDisplayName" => self.m_get_user_display_name(&call),
            _ => Err(Fail(399, "Unknown method")),
        }
    }

    /// The chat of `chatId` if the caller is a member: 304 unknown, 305 not a member.
    pub(crate) fn member_chat(&self, call: &Call<'_>) -> Result<&super::world::Chat, Fail> {
        let chat_id = call.str("chatId")?;
        let chat = self.world.chats.get(chat_id).ok_or(Fail::NO_CHAT)?;
        if chat.is_member(call.user) {
            Ok(chat)
        } else {
            Err(Fail::NOT_MEMBER)
        }
    }
}

/// The 34 WebSocket methods the simulator serves, `auth` included.
pub const METHODS: [&str; 34] = [
    "auth",
    "sendMessage",
    "editMessage",
    "forwardMessage",
    "removeMessage",
    "getMessageById",
    "getChatHistory",
    "sendChatActivity",
    "answerCommand",
    "sendSurvey",
    "editSurvey",
    "uploadFile",
    "sendFile",
    "getFileInfo",
    "getFileUploadLimits",
    "subscribeFileProgress",
    "unsubscribeFileProgress",
    "createP2PChat",
    "createGroupChat",
    "createChannel",
    "createFavoritesChat",
    "removeChat",
    "getChats",
    "getChatByID",
    "editChatTitle",
    "editChatAvatar",
    "clearHistory",
    "addChatParticipant",
    "removeChatParticipant",
    "changeParticipantRole",
    "getChatParticipants",
    "getChatParticipant",
    "hasChatParticipant",
    "getUserDisplayName",
];
