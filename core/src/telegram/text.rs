//! Received text and entities as markup: the typed `MessageEntity` seen through
//! [`EntityRef`], and `parse_mode` support for the simulator.
//!
//! ```
//! use botwire_core::telegram::types::Message;
//! let m: Message = serde_json::from_str(r#"{"message_id":1,"date":1,"chat":{"id":1,"type":"private"},
//!     "text":"💡 Tip: use /start","entities":[{"type":"bold","offset":3,"length":4},
//!     {"type":"bot_command","offset":12,"length":6}]}"#).unwrap();
//! assert_eq!(m.text_as_html().unwrap(), "💡 <b>Tip:</b> use /start");
//! assert_eq!(m.text_as_markdown_v2().unwrap(), "💡 *Tip:* use /start");
//! ```

use super::entities::{parse_html, parse_markdown_v2, to_html, to_markdown_v2, Entity, EntityRef};
use super::types::{Message, MessageEntity};
use serde_json::{json, Value};

impl<'a> From<&'a MessageEntity> for EntityRef<'a> {
    fn from(e: &'a MessageEntity) -> Self {
        EntityRef {
            kind: e.kind.as_str(),
            offset: e.offset,
            length: e.length,
            url: e.url.as_deref(),
            user_id: e.user.as_ref().map(|u| u.id),
            language: e.language.as_deref(),
            custom_emoji_id: e.custom_emoji_id.as_deref(),
        }
    }
}

fn views(entities: &Option<Vec<MessageEntity>>) -> Vec<EntityRef<'_>> {
    entities.iter().flatten().map(EntityRef::from).collect()
}

impl Message {
    /// The text with its entities as HTML (for `parse_mode: HTML`), if the message has text.
    pub fn text_as_html(&self) -> Option<String> {
        Some(to_html(self.text.as_deref()?, &views(&self.entities)))
    }

    /// The text with its entities as MarkdownV2, if the message has text.
    pub fn text_as_markdown_v2(&self) -> Option<String> {
        Some(to_markdown_v2(
            self.text.as_deref()?,
            &views(&self.entities),
        ))
    }

    /// The caption with its entities as HTML, if the message has a caption.
    pub fn caption_as_html(&self) -> Option<String> {
        Some(to_html(
            self.caption.as_deref()?,
            &views(&self.caption_entities),
        ))
    }

    /// The caption with its entities as MarkdownV2, if the message has a caption.
    pub fn caption_as_markdown_v2(&self) -> Option<String> {
        Some(to_markdown_v2(
            self.caption.as_deref()?,
            &views(&self.caption_entities),
        ))
    }
}

fn entity_json(e: &Entity) -> Value {
    let mut v = json!({"type": e.kind, "offset": e.offset, "length": e.length});
    if let Some(url) = &e.url {
        v["url"] = json!(url);
    }
    if let Some(id) = e.user_id {
        v["user"] = json!({"id": id, "is_bot": false, "first_name": ""});
    }
    if let Some(lang) = &e.language {
        v["language"] = json!(lang);
    }
    if let Some(id) = &e.custom_emoji_id {
        v["custom_emoji_id"] = json!(id);
    }
    v
}

/// Applies a `parse_mode` the way the Bot API does: the final text and its entities as JSON,
/// or the description of the "can't parse entities" error. Legacy `Markdown` is passed
/// through unparsed. This is the simulator's default markup parser.
///
/// # Errors
/// The parse error's description, or `unsupported parse_mode` for another mode.
pub fn apply_parse_mode(text: &str, mode: &str) -> Result<(String, Vec<Value>), String> {
    let parsed = match mode.to_ascii_lowercase().as_str() {
        "html" => parse_html(text),
        "markdownv2" => parse_markdown_v2(text),
        "markdown" | "" => return Ok((text.to_owned(), Vec::new())),
        _ => return Err(format!("unsupported parse_mode {mode:?}")),
    };
    parsed
        .map(|(text, entities)| (text, entities.iter().map(entity_json).collect()))
        .map_err(|e| e.to_string())
}
