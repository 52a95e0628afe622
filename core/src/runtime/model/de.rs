//! How [`Action`] and [`MessageKey`] are read.
//!
//! serde's derive reads an internally tagged enum (`Action`, tagged by `"action"`) and an
//! untagged one (`MessageKey`) by first copying the whole value into an intermediate tree, then
//! reading each variant from that tree: every action is read twice, and every type inside an
//! action gets a second reader, for the tree (in the WebAssembly module: about 100 KB of code).
//! Here each is read in one pass into a struct of all its possible fields, then the variant is
//! chosen from the tag (or, for a message key, from which fields are there). Field names and
//! shapes are the ones the derived `Serialize` writes, and unknown fields are ignored, as with
//! the derive.

use super::{Action, ActionKind, Button, FileKind, FileUpload, MessageKey, Platform, SendOptions};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;

/// Every field of every action.
#[derive(Deserialize)]
struct ActionFields {
    action: ActionKind,
    chat: Option<String>,
    text: Option<String>,
    options: Option<SendOptions>,
    to: Option<Destination>,
    message: Option<MessageKey>,
    keyboard: Option<Vec<Vec<Button>>>,
    emoji: Option<String>,
    query_id: Option<String>,
    #[serde(default)]
    alert: bool,
    #[serde(default, deserialize_with = "present")]
    results: Option<serde_json::Value>,
    cache_time: Option<u32>,
    file: Option<FileUpload>,
    kind: Option<FileKind>,
    caption: Option<String>,
    user: Option<String>,
    until: Option<i64>,
    title: Option<String>,
    description: Option<String>,
    platform: Option<Platform>,
    method: Option<String>,
    #[serde(default, deserialize_with = "present")]
    args: Option<serde_json::Value>,
}

/// A JSON value that is there, `null` included (an `Option` field alone reads `null` as absent).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(d).map(Some)
}

/// `to`: a message key for `reply`, a chat key for `forward`.
enum Destination {
    Chat(String),
    Message(MessageKey),
}

impl<'de> Deserialize<'de> for Destination {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Destination;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a chat key or a message key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Destination, E> {
                Ok(Destination::Chat(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Destination, E> {
                Ok(Destination::Chat(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Destination, A::Error> {
                MessageKey::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(Destination::Message)
            }
        }
        d.deserialize_any(V)
    }
}

fn need<T, E: de::Error>(value: Option<T>, field: &'static str) -> Result<T, E> {
    value.ok_or_else(|| E::missing_field(field))
}

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let f = ActionFields::deserialize(d)?;
        let to_message = |to: Option<Destination>| match need(to, "to")? {
            Destination::Message(key) => Ok(key),
            Destination::Chat(_) => Err(de::Error::custom(
                "`to` of a reply is a message key ({chat, id} or {platform, inline_id})",
            )),
        };
        Ok(match f.action {
            ActionKind::Send => Action::Send {
                chat: need(f.chat, "chat")?,
                text: need(f.text, "text")?,
                options: f.options.unwrap_or_default(),
            },
            ActionKind::Reply => Action::Reply {
                to: to_message(f.to)?,
                text: need(f.text, "text")?,
                options: f.options.unwrap_or_default(),
            },
            ActionKind::Edit => Action::Edit {
                message: need(f.message, "message")?,
                text: need(f.text, "text")?,
                options: f.options.unwrap_or_default(),
            },
            ActionKind::EditKeyboard => Action::EditKeyboard {
                message: need(f.message, "message")?,
                keyboard: f.keyboard,
            },
            ActionKind::Delete => Action::Delete {
                message: need(f.message, "message")?,
            },
            ActionKind::React => Action::React {
                message: need(f.message, "message")?,
                emoji: f.emoji,
            },
            ActionKind::Forward => Action::Forward {
                message: need(f.message, "message")?,
                to: match need(f.to, "to")? {
                    Destination::Chat(chat) => chat,
                    Destination::Message(_) => {
                        return Err(de::Error::custom("`to` of a forward is a chat key"))
                    }
                },
            },
            ActionKind::AnswerButton => Action::AnswerButton {
                query_id: need(f.query_id, "query_id")?,
                text: f.text,
                alert: f.alert,
            },
            ActionKind::AnswerInline => Action::AnswerInline {
                query_id: need(f.query_id, "query_id")?,
                results: need(f.results, "results")?,
                cache_time: f.cache_time,
            },
            ActionKind::Upload => Action::Upload {
                chat: need(f.chat, "chat")?,
                file: need(f.file, "file")?,
                kind: need(f.kind, "kind")?,
                caption: f.caption,
            },
            ActionKind::Typing => Action::Typing {
                chat: need(f.chat, "chat")?,
            },
            ActionKind::Pin => Action::Pin {
                message: need(f.message, "message")?,
            },
            ActionKind::Unpin => Action::Unpin {
                message: need(f.message, "message")?,
            },
            ActionKind::Kick => Action::Kick {
                chat: need(f.chat, "chat")?,
                user: need(f.user, "user")?,
            },
            ActionKind::Ban => Action::Ban {
                chat: need(f.chat, "chat")?,
                user: need(f.user, "user")?,
                until: f.until,
            },
            ActionKind::Unban => Action::Unban {
                chat: need(f.chat, "chat")?,
                user: need(f.user, "user")?,
            },
            ActionKind::SetTitle => Action::SetTitle {
                chat: need(f.chat, "chat")?,
                title: need(f.title, "title")?,
            },
            ActionKind::SetDescription => Action::SetDescription {
                chat: need(f.chat, "chat")?,
                description: need(f.description, "description")?,
            },
            ActionKind::Leave => Action::Leave {
                chat: need(f.chat, "chat")?,
            },
            ActionKind::Call => Action::Call {
                platform: need(f.platform, "platform")?,
                method: need(f.method, "method")?,
                args: need(f.args, "args")?,
            },
        })
    }
}

impl<'de> Deserialize<'de> for MessageKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct KeyFields {
            chat: Option<String>,
            id: Option<String>,
            platform: Option<Platform>,
            inline_id: Option<String>,
        }
        match KeyFields::deserialize(d)? {
            KeyFields {
                chat: Some(chat),
                id: Some(id),
                ..
            } => Ok(MessageKey::InChat { chat, id }),
            KeyFields {
                platform: Some(platform),
                inline_id: Some(inline_id),
                ..
            } => Ok(MessageKey::Inline {
                platform,
                inline_id,
            }),
            _ => Err(de::Error::custom(
                "a message key is {chat, id} or {platform, inline_id}",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::model::TextFormat;

    fn read(text: &str) -> Result<Action, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    #[test]
    fn every_kind_reads_back_what_serialize_writes() {
        let key = MessageKey::InChat {
            chat: "telegram:5".into(),
            id: "9".into(),
        };
        let inline = MessageKey::Inline {
            platform: Platform::Telegram,
            inline_id: "abc".into(),
        };
        let options = SendOptions {
            format: Some(TextFormat::Html),
            keyboard: Some(vec![vec![Button::data("a", "b")]]),
            silent: true,
            no_link_preview: false,
        };
        let actions = vec![
            Action::Send {
                chat: "telegram:5".into(),
                text: "hi".into(),
                options: options.clone(),
            },
            Action::Reply {
                to: inline.clone(),
                text: "re".into(),
                options: SendOptions::default(),
            },
            Action::Edit {
                message: key.clone(),
                text: "e".into(),
                options,
            },
            Action::EditKeyboard {
                message: key.clone(),
                keyboard: None,
            },
            Action::Delete {
                message: key.clone(),
            },
            Action::React {
                message: key.clone(),
                emoji: Some("👍".into()),
            },
            Action::Forward {
                message: key.clone(),
                to: "telegram:6".into(),
            },
            Action::AnswerButton {
                query_id: "q".into(),
                text: None,
                alert: true,
            },
            Action::AnswerInline {
                query_id: "q".into(),
                results: serde_json::json!([]),
                cache_time: Some(3),
            },
            Action::Upload {
                chat: "telegram:5".into(),
                file: FileUpload {
                    name: "a.txt".into(),
                    mime: None,
                    bytes: vec![1, 2, 255],
                },
                kind: FileKind::Photo,
                caption: Some("c".into()),
            },
            Action::Typing {
                chat: "telegram:5".into(),
            },
            Action::Pin {
                message: key.clone(),
            },
            Action::Unpin { message: key },
            Action::Kick {
                chat: "c".into(),
                user: "u".into(),
            },
            Action::Ban {
                chat: "c".into(),
                user: "u".into(),
                until: Some(10),
            },
            Action::Unban {
                chat: "c".into(),
                user: "u".into(),
            },
            Action::SetTitle {
                chat: "c".into(),
                title: "t".into(),
            },
            Action::SetDescription {
                chat: "c".into(),
                description: "d".into(),
            },
            Action::Leave { chat: "c".into() },
            Action::Call {
                platform: Platform::TrueConf,
                method: "getChats".into(),
                args: serde_json::Value::Null,
            },
        ];
        let kinds: std::collections::HashSet<_> = actions.iter().map(Action::kind).collect();
        assert_eq!(
            kinds.len(),
            ActionKind::ALL.len(),
            "one action of every kind"
        );
        for action in actions {
            let text = serde_json::to_string(&action).unwrap();
            assert_eq!(read(&text).unwrap(), action, "{text}");
            let value = serde_json::to_value(&action).unwrap();
            assert_eq!(serde_json::from_value::<Action>(value).unwrap(), action);
        }
    }

    #[test]
    fn defaults_unknown_fields_and_field_order_as_the_derive() {
        let a = read(r#"{"text":"x","extra":[1,{"a":2}],"chat":"c","action":"send"}"#).unwrap();
        assert_eq!(
            a,
            Action::Send {
                chat: "c".into(),
                text: "x".into(),
                options: SendOptions::default()
            }
        );
        let a = read(r#"{"action":"answer_button","query_id":"q"}"#).unwrap();
        assert_eq!(
            a,
            Action::AnswerButton {
                query_id: "q".into(),
                text: None,
                alert: false
            }
        );
    }

    #[test]
    fn bad_actions_say_what_is_wrong() {
        let e = read(r#"{"action":"send","chat":"c"}"#).unwrap_err();
        assert!(e.contains("missing field `text`"), "{e}");
        let e = read(r#"{"action":"fly","chat":"c"}"#).unwrap_err();
        assert!(e.contains("unknown variant `fly`"), "{e}");
        let e = read(r#"{"chat":"c","text":"x"}"#).unwrap_err();
        assert!(e.contains("missing field `action`"), "{e}");
        let e = read(r#"{"action":"reply","to":"telegram:1","text":"x"}"#).unwrap_err();
        assert!(e.contains("message key"), "{e}");
        let e = read(
            r#"{"action":"forward","message":{"chat":"a","id":"1"},"to":{"chat":"a","id":"1"}}"#,
        )
        .unwrap_err();
        assert!(e.contains("chat key"), "{e}");
        let e = read(r#"{"action":"delete","message":{"chat":"a"}}"#).unwrap_err();
        assert!(e.contains("{chat, id} or {platform, inline_id}"), "{e}");
        let e = read(r#"{"action":"answer_inline","query_id":"q"}"#).unwrap_err();
        assert!(e.contains("missing field `results`"), "{e}");
        let e = read(r#"{"action":"send","chat":5,"text":"x"}"#).unwrap_err();
        assert!(e.contains("invalid type"), "{e}");
        assert!(read("[]").is_err());
        assert!(read("").is_err());
    }
}
