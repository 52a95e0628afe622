//! Message references and flavors on typed updates (telepot's `message_identifier`,
//! `origin_identifier` and `flavor`).
//!
//! ```
//! use botwire_core::telegram::identifiers::MessageRef;
//! use botwire_core::telegram::methods::EditMessageText;
//! let r = MessageRef::Chat { chat_id: 42, message_id: 7 };
//! let edit = r.edit_text("new text");
//! assert_eq!(serde_json::to_string(&edit).unwrap(), r#"{"chat_id":42,"message_id":7,"text":"new text"}"#);
//! ```

use super::glance::{flavor_of_kind, Flavor};
use super::methods::{
    DeleteMessage, EditMessageCaption, EditMessageReplyMarkup, EditMessageText, GetGameHighScores,
    SetGameScore, StopMessageLiveLocation,
};
use super::types::{
    CallbackQuery, ChosenInlineResult, InlineKeyboardMarkup, MaybeInaccessibleMessage, Message,
    Update, UpdateKind,
};
use super::ChatId;

/// A reference to a message that can be edited: in a chat, or sent inline.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MessageRef {
    /// A message in a chat.
    Chat {
        /// The chat's id.
        chat_id: i64,
        /// The message's id in that chat.
        message_id: i64,
    },
    /// A message sent via the bot in inline mode.
    Inline {
        /// Its `inline_message_id`.
        inline_message_id: String,
    },
}

/// Why no reference could be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentifierError {
    /// The object has neither a chat message nor an `inline_message_id` (a chosen inline
    /// result only has one when the result carried an inline keyboard).
    #[error("no chat message and no inline_message_id")]
    NoReference,
    /// `deleteMessage` accepts only chat messages.
    #[error("inline messages cannot be deleted")]
    InlineNotDeletable,
}

impl From<&str> for MessageRef {
    /// A bare string is an `inline_message_id` (as telepot allowed).
    fn from(s: &str) -> Self {
        MessageRef::Inline {
            inline_message_id: s.to_owned(),
        }
    }
}

/// `message_identifier` of a chat message.
pub fn message_identifier(msg: &Message) -> MessageRef {
    MessageRef::Chat {
        chat_id: msg.chat.id,
        message_id: msg.message_id,
    }
}

/// `message_identifier` of a chosen inline result.
///
/// # Errors
/// [`IdentifierError::NoReference`] when the result has no `inline_message_id`.
pub fn chosen_result_identifier(r: &ChosenInlineResult) -> Result<MessageRef, IdentifierError> {
    r.inline_message_id
        .as_ref()
        .map(|id| MessageRef::Inline {
            inline_message_id: id.clone(),
        })
        .ok_or(IdentifierError::NoReference)
}

/// `origin_identifier` of a callback query: the message its button was under (accessible
/// or not), else its `inline_message_id`.
///
/// # Errors
/// [`IdentifierError::NoReference`] when the query has neither.
pub fn origin_identifier(q: &CallbackQuery) -> Result<MessageRef, IdentifierError> {
    if let Some(m) = &q.message {
        match m.as_ref() {
            MaybeInaccessibleMessage::Message(msg) => return Ok(message_identifier(msg)),
            MaybeInaccessibleMessage::InaccessibleMessage(msg) => {
                return Ok(MessageRef::Chat {
                    chat_id: msg.chat.id,
                    message_id: msg.message_id,
                })
            }
            _ => {}
        }
    }
    q.inline_message_id
        .as_ref()
        .map(|id| MessageRef::Inline {
            inline_message_id: id.clone(),
        })
        .ok_or(IdentifierError::NoReference)
}

/// Fills the message reference of an editing method: `chat_id` + `message_id` for a chat
/// message (`chat` converts the id to the method's `chat_id` type), `inline_message_id` for
/// an inline one.
macro_rules! fill_ref {
    ($req:expr, $r:expr, $chat:expr) => {{
        let mut req = $req;
        match $r {
            MessageRef::Chat {
                chat_id,
                message_id,
            } => {
                req.chat_id = Some($chat(*chat_id));
                req.message_id = Some(*message_id);
            }
            MessageRef::Inline { inline_message_id } => {
                req.inline_message_id = Some(inline_message_id.clone());
            }
        }
        req
    }};
}

impl MessageRef {
    /// `editMessageText` for this message.
    pub fn edit_text(&self, text: impl Into<String>) -> EditMessageText {
        fill_ref!(EditMessageText::new().text(text), self, ChatId::Id)
    }

    /// `editMessageCaption` for this message.
    pub fn edit_caption(&self) -> EditMessageCaption {
        fill_ref!(EditMessageCaption::new(), self, ChatId::Id)
    }

    /// `editMessageReplyMarkup` for this message.
    pub fn edit_reply_markup(
        &self,
        markup: Option<InlineKeyboardMarkup>,
    ) -> EditMessageReplyMarkup {
        let mut req = fill_ref!(EditMessageReplyMarkup::new(), self, ChatId::Id);
        req.reply_markup = markup;
        req
    }

    /// `stopMessageLiveLocation` for this message.
    pub fn stop_live_location(&self) -> StopMessageLiveLocation {
        fill_ref!(StopMessageLiveLocation::new(), self, ChatId::Id)
    }

    /// `setGameScore` for this message.
    pub fn set_game_score(&self, user_id: i64, score: i64) -> SetGameScore {
        fill_ref!(
            SetGameScore::new(user_id, score),
            self,
            std::convert::identity
        )
    }

    /// `getGameHighScores` for this message.
    pub fn get_game_high_scores(&self, user_id: i64) -> GetGameHighScores {
        fill_ref!(
            GetGameHighScores::new(user_id),
            self,
            std::convert::identity
        )
    }

    /// `deleteMessage` for this message.
    ///
    /// # Errors
    /// [`IdentifierError::InlineNotDeletable`] for inline messages.
    pub fn delete(&self) -> Result<DeleteMessage, IdentifierError> {
        match self {
            MessageRef::Chat {
                chat_id,
                message_id,
            } => Ok(DeleteMessage::new(*chat_id, *message_id)),
            MessageRef::Inline { .. } => Err(IdentifierError::InlineNotDeletable),
        }
    }
}

impl Update {
    /// The flavor, from the update field (never guessed from the payload's keys).
    pub fn flavor(&self) -> Flavor {
        flavor_of_kind(self.kind.name())
    }

    /// The chat message of a `chat`-flavored update (messages, edits, channel posts,
    /// business and guest messages).
    pub fn message(&self) -> Option<&Message> {
        match &self.kind {
            UpdateKind::Message(m)
            | UpdateKind::EditedMessage(m)
            | UpdateKind::ChannelPost(m)
            | UpdateKind::EditedChannelPost(m)
            | UpdateKind::BusinessMessage(m)
            | UpdateKind::EditedBusinessMessage(m)
            | UpdateKind::GuestMessage(m) => Some(m),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(json: &str) -> Update {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn origin_of_callback_queries() {
        let u = update(
            r#"{"update_id":1,"callback_query":{"id":"q","from":{"id":5,"is_bot":false,"first_name":"A"},
            "message":{"message_id":16,"chat":{"id":70,"type":"private"},"date":1780000050,"text":"Pick"},
            "chat_instance":"-55","data":"pick:2"}}"#,
        );
        let UpdateKind::CallbackQuery(q) = &u.kind else {
            panic!()
        };
        assert_eq!(
            origin_identifier(q).unwrap(),
            MessageRef::Chat {
                chat_id: 70,
                message_id: 16
            }
        );
        assert_eq!(u.flavor(), Flavor::CallbackQuery);

        // An inaccessible message (date 0) still identifies its origin.
        let u = update(
            r#"{"update_id":2,"callback_query":{"id":"q","from":{"id":5,"is_bot":false,"first_name":"A"},
            "message":{"message_id":3,"chat":{"id":71,"type":"private"},"date":0},
            "chat_instance":"-55","data":"x"}}"#,
        );
        let UpdateKind::CallbackQuery(q) = &u.kind else {
            panic!()
        };
        assert!(matches!(
            q.message.as_deref(),
            Some(MaybeInaccessibleMessage::InaccessibleMessage(_))
        ));
        assert_eq!(
            origin_identifier(q).unwrap(),
            MessageRef::Chat {
                chat_id: 71,
                message_id: 3
            }
        );

        let u = update(
            r#"{"update_id":3,"callback_query":{"id":"q","from":{"id":5,"is_bot":false,"first_name":"A"},
            "inline_message_id":"AAQ","chat_instance":"-55","game_short_name":"g"}}"#,
        );
        let UpdateKind::CallbackQuery(q) = &u.kind else {
            panic!()
        };
        assert_eq!(origin_identifier(q).unwrap(), MessageRef::from("AAQ"));
    }

    #[test]
    fn chosen_result_needs_an_inline_message_id() {
        let u = update(
            r#"{"update_id":4,"chosen_inline_result":{"result_id":"r","from":{"id":5,"is_bot":false,"first_name":"A"},"query":"q"}}"#,
        );
        let UpdateKind::ChosenInlineResult(r) = &u.kind else {
            panic!()
        };
        assert_eq!(
            chosen_result_identifier(r),
            Err(IdentifierError::NoReference)
        );
    }

    #[test]
    fn references_fill_editing_methods() {
        let inline = MessageRef::from("AAQ");
        let req = inline.edit_text("x");
        assert_eq!(req.inline_message_id.as_deref(), Some("AAQ"));
        assert!(req.chat_id.is_none());
        assert_eq!(inline.delete(), Err(IdentifierError::InlineNotDeletable));
        let chat = MessageRef::Chat {
            chat_id: -100,
            message_id: 9,
        };
        assert_eq!(
            serde_json::to_value(chat.set_game_score(5, 10)).unwrap(),
            serde_json::json!({"user_id":5,"score":10,"chat_id":-100,"message_id":9})
        );
        assert_eq!(
            serde_json::to_value(chat.delete().unwrap()).unwrap(),
            serde_json::json!({"chat_id":-100,"message_id":9})
        );
    }

    #[test]
    fn flavors_come_from_the_update_field() {
        let u = update(
            r#"{"update_id":5,"edited_channel_post":{"message_id":1,"chat":{"id":-100,"type":"channel"},"date":5,"text":"x"}}"#,
        );
        assert_eq!(u.flavor(), Flavor::Chat);
        assert_eq!(u.kind.name(), "edited_channel_post");
        assert!(u.message().is_some());
        let u = update(r#"{"update_id":6,"brand_new_kind":{"a":1}}"#);
        assert_eq!(u.kind.name(), "brand_new_kind");
        assert!(matches!(u.flavor(), Flavor::Other(_)));
    }
}
