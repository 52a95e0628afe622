//! The record of everything the bot did, for tests to inspect.

use serde::Serialize;
use serde_json::Value;

use crate::io::Timestamp;

/// What a transcript entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TranscriptAction {
    /// A new message (`send*`, `forwardMessage`, `copyMessage`).
    Sent,
    /// A message was edited (`editMessage*`).
    Edited,
    /// A message was deleted.
    Deleted,
    /// A callback or inline query was answered.
    Answered,
    /// A reaction was set on a message.
    Reacted,
    /// A chat action (typing, …) was shown.
    ChatAction,
}

/// One thing the bot did, in the order the simulator executed it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TranscriptEntry {
    /// Position in the transcript, from 0.
    pub seq: u64,
    /// Virtual time of the call.
    pub at: Timestamp,
    /// What happened.
    pub action: TranscriptAction,
    /// The Bot API method, as spelled in the spec (`sendMessage`).
    pub method: String,
    /// The chat concerned, if any.
    pub chat_id: Option<i64>,
    /// The message concerned, if any.
    pub message_id: Option<i64>,
    /// The inline message concerned, for inline edits.
    pub inline_message_id: Option<String>,
    /// The text, caption or answer text.
    pub text: Option<String>,
    /// The `reply_markup` the bot passed (any keyboard kind), if any.
    pub reply_markup: Option<Value>,
    /// The full result: the `Message` for sends and edits, the call's parameters otherwise.
    pub payload: Value,
}
