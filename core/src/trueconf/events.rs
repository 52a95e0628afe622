//! The server-pushed events (`type:1` frames from the server).
//!
//! [`parse_event`] types the 17 documented events and never fails: an unknown `method`, a
//! payload that is not an object, or one that does not parse comes back as
//! [`ServerEvent::Unknown`]. (Every event frame must be acknowledged regardless; that is the
//! session's business.) [`ServerEvent::payload_json`] writes an event back in wire form, for
//! fake servers.
//!
//! ```
//! use botwire_core::trueconf::events::{parse_event, ServerEvent};
//! let ev = parse_event("removeChat", r#"{"chatId":"9a8b"}"#);
//! assert_eq!(ev, ServerEvent::ChatRemoved { chat_id: "9a8b".into() });
//! assert_eq!(ev.chat_id(), Some("9a8b"));
//! assert!(matches!(parse_event("somethingNew", "{}"), ServerEvent::Unknown { .. }));
//! ```

use super::types::{lenient_bool, Author, Chat, Envelope, Role, TextContent, UploadLimits};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Which `create…` event announced a chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CreatedChatKind {
    /// `createP2PChat`: a personal chat with the bot.
    P2P,
    /// `createGroupChat`: the bot was put into a new group chat.
    Group,
    /// `createChannel`: the bot was put into a new channel.
    Channel,
    /// `createFavoritesChat`: the bot's favourites chat.
    Favorites,
}

impl CreatedChatKind {
    /// The event's wire method.
    pub fn method(self) -> &'static str {
        match self {
            CreatedChatKind::P2P => "createP2PChat",
            CreatedChatKind::Group => "createGroupChat",
            CreatedChatKind::Channel => "createChannel",
            CreatedChatKind::Favorites => "createFavoritesChat",
        }
    }

    fn from_method(method: &str) -> Option<Self> {
        Some(match method {
            "createP2PChat" => CreatedChatKind::P2P,
            "createGroupChat" => CreatedChatKind::Group,
            "createChannel" => CreatedChatKind::Channel,
            "createFavoritesChat" => CreatedChatKind::Favorites,
            _ => return None,
        })
    }
}

/// Where a pressed command button sits (`commandSource`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommandSource {
    /// `"inlineKeyboard"`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The message carrying the button.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Box<Envelope>>,
    /// The button's `id`, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub button_id: Option<String>,
    /// The button's `waitReply`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_reply: Option<bool>,
}

/// What a pressed command button carries (`commandPayload`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommandPayload {
    /// `"userCommand"`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The button's `command`.
    pub command: String,
    /// The button's `customData`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<String>,
}

/// A server event, parsed from its `method` and `payload`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// `sendMessage`: a new message (system envelopes only when the session asked for them).
    Message(Envelope),
    /// `editMessage`: a message was edited.
    MessageEdited {
        /// The chat.
        chat_id: String,
        /// The message; some servers omit it.
        message_id: Option<String>,
        /// Unix time in milliseconds.
        timestamp: i64,
        /// The new content.
        content: TextContent,
    },
    /// `removeMessage`: a message was deleted.
    MessageRemoved {
        /// The chat.
        chat_id: String,
        /// The message.
        message_id: String,
        /// Who deleted it.
        removed_by: Author,
    },
    /// `createP2PChat`, `createGroupChat`, `createChannel`, `createFavoritesChat`.
    ChatCreated {
        /// Which of the four events.
        kind: CreatedChatKind,
        /// The chat.
        chat: Chat,
    },
    /// `removeChat`: a chat was deleted.
    ChatRemoved {
        /// The chat.
        chat_id: String,
    },
    /// `addChatParticipant`: someone joined a chat.
    ParticipantAdded {
        /// Unix time in milliseconds.
        timestamp: i64,
        /// The chat.
        chat_id: String,
        /// Who joined.
        user_id: String,
        /// Who added them.
        added_by: Author,
    },
    /// `removeChatParticipant`: someone left or was removed.
    ParticipantRemoved {
        /// Unix time in milliseconds.
        timestamp: i64,
        /// The chat.
        chat_id: String,
        /// Who left.
        user_id: String,
        /// Who removed them.
        removed_by: Author,
    },
    /// `changeParticipantRole`: a role changed.
    RoleChanged {
        /// Unix time in milliseconds.
        timestamp: i64,
        /// The chat.
        chat_id: String,
        /// Whose role.
        user_id: String,
        /// The new role.
        role: Role,
    },
    /// `editChatTitle`: a chat was renamed.
    TitleChanged {
        /// The chat.
        chat_id: String,
        /// The new title.
        title: String,
    },
    /// `editChatAvatar`: a chat's avatar changed.
    AvatarChanged {
        /// The chat.
        chat_id: String,
        /// The new avatar's URL.
        avatar_url: Option<String>,
    },
    /// `clearHistory`: a chat's history was cleared.
    HistoryCleared {
        /// The chat.
        chat_id: String,
        /// For everyone, or only for the one who cleared it.
        for_all: bool,
    },
    /// `getFileUploadLimits`: the upload limits (at connect and when changed).
    UploadLimits(UploadLimits),
    /// `uploadFileProgress`: progress of a subscribed upload.
    UploadProgress {
        /// The file.
        file_id: String,
        /// Bytes uploaded so far.
        progress: u64,
    },
    /// `command`: a command button was pressed (server 5.5.6 and later).
    Command {
        /// The id to answer with; absent on some servers (then no answer is possible).
        command_id: Option<String>,
        /// Where the button sits.
        source: CommandSource,
        /// What the button carries.
        payload: CommandPayload,
    },
    /// A method this version does not know, or a payload that did not parse: kept raw.
    Unknown {
        /// The `method`.
        method: String,
        /// The payload as received (JSON text).
        payload: String,
    },
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EditedWire {
    chat_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message_id: Option<String>,
    timestamp: i64,
    content: TextContent,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RemovedMessageWire {
    chat_id: String,
    message_id: String,
    removed_by: Author,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChatIdWire {
    chat_id: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ParticipantAddedWire {
    timestamp: i64,
    chat_id: String,
    user_id: String,
    added_by: Author,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ParticipantRemovedWire {
    timestamp: i64,
    chat_id: String,
    user_id: String,
    removed_by: Author,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoleChangedWire {
    timestamp: i64,
    chat_id: String,
    user_id: String,
    role: Role,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TitleChangedWire {
    chat_id: String,
    title: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AvatarChangedWire {
    chat_id: String,
    #[serde(default)]
    avatar_url: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct HistoryClearedWire {
    chat_id: String,
    #[serde(default, deserialize_with = "lenient_bool")]
    for_all: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProgressWire {
    file_id: String,
    progress: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CommandWire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    command_id: Option<String>,
    command_source: CommandSource,
    command_payload: CommandPayload,
}

/// Parses an event. Never fails: what cannot be typed comes back as [`ServerEvent::Unknown`].
///
/// The documentation's name of the progress event, `uploadingProgress`, is accepted beside
/// the wire name `uploadFileProgress`.
pub fn parse_event(method: &str, payload: &str) -> ServerEvent {
    typed_event(method, payload).unwrap_or_else(|| ServerEvent::Unknown {
        method: method.to_owned(),
        payload: payload.to_owned(),
    })
}

fn typed_event(method: &str, payload: &str) -> Option<ServerEvent> {
    // serde_json's recursion limit keeps hostile nesting from exhausting the stack.
    let value: Value = serde_json::from_str(payload).ok()?;
    if !value.is_object() {
        return None;
    }
    fn read<T: DeserializeOwned>(value: Value) -> Option<T> {
        serde_json::from_value(value).ok()
    }
    if let Some(kind) = CreatedChatKind::from_method(method) {
        return read::<Chat>(value).map(|chat| ServerEvent::ChatCreated { kind, chat });
    }
    Some(match method {
        "sendMessage" => ServerEvent::Message(read(value)?),
        "editMessage" => {
            let w: EditedWire = read(value)?;
            ServerEvent::MessageEdited {
                chat_id: w.chat_id,
                message_id: w.message_id,
                timestamp: w.timestamp,
                content: w.content,
            }
        }
        "removeMessage" => {
            let w: RemovedMessageWire = read(value)?;
            ServerEvent::MessageRemoved {
                chat_id: w.chat_id,
                message_id: w.message_id,
                removed_by: w.removed_by,
            }
        }
        "removeChat" => {
            let w: ChatIdWire = read(value)?;
            ServerEvent::ChatRemoved { chat_id: w.chat_id }
        }
        "addChatParticipant" => {
            let w: ParticipantAddedWire = read(value)?;
            ServerEvent::ParticipantAdded {
                timestamp: w.timestamp,
                chat_id: w.chat_id,
                user_id: w.user_id,
                added_by: w.added_by,
            }
        }
        "removeChatParticipant" => {
            let w: ParticipantRemovedWire = read(value)?;
            ServerEvent::ParticipantRemoved {
                timestamp: w.timestamp,
                chat_id: w.chat_id,
                user_id: w.user_id,
                removed_by: w.removed_by,
            }
        }
        "changeParticipantRole" => {
            let w: RoleChangedWire = read(value)?;
            ServerEvent::RoleChanged {
                timestamp: w.timestamp,
                chat_id: w.chat_id,
                user_id: w.user_id,
                role: w.role,
            }
        }
        "editChatTitle" => {
            let w: TitleChangedWire = read(value)?;
            ServerEvent::TitleChanged {
                chat_id: w.chat_id,
                title: w.title,
            }
        }
        "editChatAvatar" => {
            let w: AvatarChangedWire = read(value)?;
            ServerEvent::AvatarChanged {
                chat_id: w.chat_id,
                avatar_url: w.avatar_url,
            }
        }
        "clearHistory" => {
            let w: HistoryClearedWire = read(value)?;
            ServerEvent::HistoryCleared {
                chat_id: w.chat_id,
                for_all: w.for_all,
            }
        }
        "getFileUploadLimits" => ServerEvent::UploadLimits(read(value)?),
        "uploadFileProgress" | "uploadingProgress" => {
            let w: ProgressWire = read(value)?;
            ServerEvent::UploadProgress {
                file_id: w.file_id,
                progress: w.progress,
            }
        }
        "command" => {
            let w: CommandWire = read(value)?;
            ServerEvent::Command {
                command_id: w.command_id,
                source: w.command_source,
                payload: w.command_payload,
            }
        }
        _ => return None,
    })
}

impl ServerEvent {
    /// The wire `method` of the event (`uploadFileProgress` for progress events).
    pub fn method(&self) -> &str {
        match self {
            ServerEvent::Message(_) => "sendMessage",
            ServerEvent::MessageEdited { .. } => "editMessage",
            ServerEvent::MessageRemoved { .. } => "removeMessage",
            ServerEvent::ChatCreated { kind, .. } => kind.method(),
            ServerEvent::ChatRemoved { .. } => "removeChat",
            ServerEvent::ParticipantAdded { .. } => "addChatParticipant",
            ServerEvent::ParticipantRemoved { .. } => "removeChatParticipant",
            ServerEvent::RoleChanged { .. } => "changeParticipantRole",
            ServerEvent::TitleChanged { .. } => "editChatTitle",
            ServerEvent::AvatarChanged { .. } => "editChatAvatar",
            ServerEvent::HistoryCleared { .. } => "clearHistory",
            ServerEvent::UploadLimits(_) => "getFileUploadLimits",
            ServerEvent::UploadProgress { .. } => "uploadFileProgress",
            ServerEvent::Command { .. } => "command",
            ServerEvent::Unknown { method, .. } => method,
        }
    }

    /// The chat the event concerns: for a command, the chat of the button's message; `None`
    /// for file events and unknown events.
    pub fn chat_id(&self) -> Option<&str> {
        match self {
            ServerEvent::Message(envelope) => Some(envelope.chat_id()),
            ServerEvent::MessageEdited { chat_id, .. }
            | ServerEvent::MessageRemoved { chat_id, .. }
            | ServerEvent::ChatRemoved { chat_id }
            | ServerEvent::ParticipantAdded { chat_id, .. }
            | ServerEvent::ParticipantRemoved { chat_id, .. }
            | ServerEvent::RoleChanged { chat_id, .. }
            | ServerEvent::TitleChanged { chat_id, .. }
            | ServerEvent::AvatarChanged { chat_id, .. }
            | ServerEvent::HistoryCleared { chat_id, .. } => Some(chat_id),
            ServerEvent::ChatCreated { chat, .. } => Some(&chat.chat_id),
            ServerEvent::Command { source, .. } => source.message.as_ref().map(|m| m.chat_id()),
            ServerEvent::UploadLimits(_)
            | ServerEvent::UploadProgress { .. }
            | ServerEvent::Unknown { .. } => None,
        }
    }

    /// The event's payload in wire form (JSON text), as a server would push it; an
    /// [`ServerEvent::Unknown`] gives back its payload unchanged.
    pub fn payload_json(&self) -> String {
        fn json<T: Serialize>(value: &T) -> String {
            // Every type here serialises to a JSON object with string keys, which cannot fail.
            serde_json::to_string(value).unwrap_or_else(|_| "{}".to_owned())
        }
        match self.clone() {
            ServerEvent::Message(envelope) => json(&envelope),
            ServerEvent::MessageEdited {
                chat_id,
                message_id,
                timestamp,
                content,
            } => json(&EditedWire {
                chat_id,
                message_id,
                timestamp,
                content,
            }),
            ServerEvent::MessageRemoved {
                chat_id,
                message_id,
                removed_by,
            } => json(&RemovedMessageWire {
                chat_id,
                message_id,
                removed_by,
            }),
            ServerEvent::ChatCreated { chat, .. } => json(&chat),
            ServerEvent::ChatRemoved { chat_id } => json(&ChatIdWire { chat_id }),
            ServerEvent::ParticipantAdded {
                timestamp,
                chat_id,
                user_id,
                added_by,
            } => json(&ParticipantAddedWire {
                timestamp,
                chat_id,
                user_id,
                added_by,
            }),
            ServerEvent::ParticipantRemoved {
                timestamp,
                chat_id,
                user_id,
                removed_by,
            } => json(&ParticipantRemovedWire {
                timestamp,
                chat_id,
                user_id,
                removed_by,
            }),
            ServerEvent::RoleChanged {
                timestamp,
                chat_id,
                user_id,
                role,
            } => json(&RoleChangedWire {
                timestamp,
                chat_id,
                user_id,
                role,
            }),
            ServerEvent::TitleChanged { chat_id, title } => {
                json(&TitleChangedWire { chat_id, title })
            }
            ServerEvent::AvatarChanged {
                chat_id,
                avatar_url,
            } => json(&AvatarChangedWire {
                chat_id,
                avatar_url,
            }),
            ServerEvent::HistoryCleared { chat_id, for_all } => {
                json(&HistoryClearedWire { chat_id, for_all })
            }
            ServerEvent::UploadLimits(limits) => json(&limits),
            ServerEvent::UploadProgress { file_id, progress } => {
                json(&ProgressWire { file_id, progress })
            }
            ServerEvent::Command {
                command_id,
                source,
                payload,
            } => json(&CommandWire {
                command_id,
                command_source: source,
                command_payload: payload,
            }),
            ServerEvent::Unknown { payload, .. } => payload,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_objects_and_garbage_are_unknown() {
        for payload in ["[]", "null", "3", "\"x\"", "{", ""] {
            assert!(matches!(
                parse_event("removeChat", payload),
                ServerEvent::Unknown { .. }
            ));
        }
    }

    #[test]
    fn progress_accepts_the_documented_name() {
        let ev = parse_event("uploadingProgress", r#"{"fileId":"f","progress":5}"#);
        assert_eq!(ev.method(), "uploadFileProgress");
    }

    #[test]
    fn payload_round_trip() {
        let ev = parse_event(
            "addChatParticipant",
            r#"{"timestamp":1,"chatId":"c","userId":"u","addedBy":{"id":"a","type":1}}"#,
        );
        assert_eq!(parse_event(ev.method(), &ev.payload_json()), ev);
    }
}
