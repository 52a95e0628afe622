//! The record of what WebSocket clients (the bot) did, for tests to assert on.

use serde::Serialize;
use serde_json::Value;

use super::SimConn;
use crate::io::Timestamp;

/// What a transcript entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TranscriptAction {
    /// A new text message or survey (`sendMessage`, `sendSurvey`).
    Sent,
    /// A file message (`sendFile`); the caption, if any, is the entry's text.
    File,
    /// A forward (`forwardMessage`).
    Forwarded,
    /// An edit (`editMessage`, `editSurvey`).
    Edited,
    /// A removal (`removeMessage`).
    Removed,
    /// A chat activity indicator (`sendChatActivity`).
    Activity,
    /// An answer to a button press (`answerCommand`).
    Answered,
}

/// The file of a [`TranscriptAction::File`] entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TranscriptFile {
    /// The stored file's id.
    pub file_id: String,
    /// Its name.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its MIME type.
    pub mime_type: String,
}

/// One thing a client did, in the order the simulator executed it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TranscriptEntry {
    /// Position in the transcript, from 0.
    pub seq: u64,
    /// Virtual time of the call.
    pub at: Timestamp,
    /// The connection the request came on.
    pub conn: SimConn,
    /// The account that made it.
    pub author: String,
    /// What happened.
    pub action: TranscriptAction,
    /// The WebSocket method.
    pub method: String,
    /// The chat concerned, if any.
    pub chat_id: Option<String>,
    /// The message created or concerned, if any.
    pub message_id: Option<String>,
    /// The text, caption, survey title or answer text.
    pub text: Option<String>,
    /// The `parseMode` sent with the text.
    pub parse_mode: Option<String>,
    /// The `buttons` matrix sent with a text message.
    pub buttons: Option<Value>,
    /// The message replied to.
    pub reply_to: Option<String>,
    /// The file sent.
    pub file: Option<TranscriptFile>,
    /// The request's payload as received.
    pub payload: Value,
}
