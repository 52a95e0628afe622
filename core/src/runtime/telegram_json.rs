//! Telegram updates kept as JSON, to shared [`Event`]s.
//!
//! [`event_from_json`] gives the same event as [`event_from_update`](super::telegram::event_from_update)
//! (kind, chat, sender, message, content type, text, data, query id) for every update that
//! fits the Bot API model, but reads only the fields the event names, and keeps the update as
//! its JSON text in [`Payload::TelegramJson`]. Nothing of the typed model is built, so a binary
//! that uses only this path does not contain the typed model's decoders (the npm package).
//! From bytes to event it is a little cheaper than the typed path (about 1.2x on the
//! benchmark corpus, `bench/RESULTS.md`): the update is scanned twice, once to split it and
//! once to read the event's fields.
//!
//! It is more tolerant than a typed parse: fields it does not read are not checked against the
//! model (a message whose `photo` is malformed is still a photo message here, while the typed
//! parse makes it an undecodable update). A payload without the fields the event needs (a
//! message without `chat`, a callback query without `from`, ...) gives an
//! [`EventKind::Unknown`] event with [`TelegramJson::decoded`] false, as the typed path gives
//! an `UpdateKind::Unknown`.

use serde::de::{Deserializer, Error as _, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use super::model::{Chat, ChatType, Event, EventKind, MessageKey, Payload, Platform, User};
use super::telegram::Parts;
use crate::telegram::glance::{content_type_of_fields, CONTENT_FIELDS_IN_ORDER};
use crate::telegram::json_update::JsonUpdate;

/// A Telegram update in an event's payload, as JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelegramJson {
    /// The update.
    pub update: JsonUpdate,
    /// Whether the payload had what its kind needs; false for an update of a known kind whose
    /// payload lacks the fields the event is read from (the event is then
    /// [`EventKind::Unknown`]), and for updates without a payload. Unknown kinds are decoded
    /// (as [`EventKind::Unknown`] events).
    pub decoded: bool,
}

/// Turns a Telegram update kept as JSON into a shared [`Event`] (see the
/// [module documentation](self)).
pub fn event_from_json(update: JsonUpdate) -> Event {
    let read = if update.kind.is_empty() {
        None
    } else {
        parts_of(&update.kind, update.payload())
    };
    let decoded = read.is_some();
    let parts = read.unwrap_or_else(|| Parts::new(EventKind::Unknown));
    let update_id = update.update_id;
    Event {
        platform: Platform::Telegram,
        id: itoa::Buffer::new().format(update_id).to_owned(),
        seq: Some(update_id),
        kind: parts.kind,
        platform_kind: update.kind.clone(),
        chat: parts.chat,
        from: parts.from,
        message: parts.message,
        content_type: parts.content_type,
        text: parts.text,
        data: parts.data,
        query_id: parts.query_id,
        payload: Payload::TelegramJson(Box::new(TelegramJson { update, decoded })),
    }
}

// The parts read from the JSON (the struct is the typed adapter's).
impl Parts {
    fn chat(mut self, chat: &LeanChat<'_>) -> Self {
        self.chat = Some(chat.to_chat());
        self
    }

    fn from(mut self, user: Option<&LeanUser<'_>>) -> Self {
        self.from = user.map(LeanUser::to_user);
        self
    }

    fn message_in_chat(mut self, id: i64) -> Self {
        self.message = Some(MessageKey::InChat {
            chat: self
                .chat
                .as_ref()
                .map(|c| c.key.clone())
                .unwrap_or_default(),
            id: itoa::Buffer::new().format(id).to_owned(),
        });
        self
    }
}

/// The event's parts, or `None` when the payload lacks what its kind needs.
fn parts_of(kind: &str, payload: &str) -> Option<Parts> {
    fn read<'a, T: Deserialize<'a>>(payload: &'a str) -> Option<T> {
        serde_json::from_str(payload).ok()
    }
    let parts = match kind {
        "message" | "channel_post" | "business_message" | "guest_message" => {
            let m: LeanMessage<'_> = read(payload)?;
            let kind = m.new_message_kind();
            m.parts(kind)
        }
        "edited_message" | "edited_channel_post" | "edited_business_message" => {
            read::<LeanMessage<'_>>(payload)?.parts(EventKind::EditedMessage)
        }
        "deleted_business_messages" => {
            let d: Deleted<'_> = read(payload)?;
            let p = Parts::new(EventKind::DeletedMessage).chat(&d.chat);
            match d.message_ids.first() {
                Some(id) => p.message_in_chat(*id),
                None => p,
            }
        }
        "callback_query" => {
            let q: Callback<'_> = read(payload)?;
            let mut p = Parts::new(EventKind::ButtonPress).from(Some(&q.from));
            if let Some(m) = &q.message {
                p = p.chat(&m.chat).message_in_chat(m.message_id);
            } else if let Some(id) = q.inline_message_id {
                p.message = Some(inline_key(id));
            }
            p.data = q.data;
            p.query_id = Some(q.id);
            p
        }
        "inline_query" => {
            let q: Inline<'_> = read(payload)?;
            let mut p = Parts::new(EventKind::InlineQuery).from(Some(&q.from));
            p.text = Some(q.query);
            p.query_id = Some(q.id);
            p
        }
        "chosen_inline_result" => {
            let r: Chosen<'_> = read(payload)?;
            let mut p = Parts::new(EventKind::ChosenInlineResult).from(Some(&r.from));
            p.message = r.inline_message_id.map(inline_key);
            p.text = Some(r.query);
            p.data = Some(r.result_id);
            p
        }
        "my_chat_member" | "chat_member" => {
            let u: MemberUpdate<'_> = read(payload)?;
            let kind = match (in_chat(&u.old_chat_member), in_chat(&u.new_chat_member)) {
                (Some(false), Some(true)) => EventKind::MemberJoined,
                (Some(true), Some(false)) => EventKind::MemberLeft,
                _ => EventKind::MemberRoleChanged,
            };
            Parts::new(kind).chat(&u.chat).from(Some(&u.from))
        }
        "message_reaction" => {
            let r: Reaction<'_> = read(payload)?;
            Parts::new(EventKind::Reaction)
                .chat(&r.chat)
                .from(r.user.as_ref())
                .message_in_chat(r.message_id)
        }
        "message_reaction_count" => {
            let r: Reaction<'_> = read(payload)?;
            Parts::new(EventKind::Reaction)
                .chat(&r.chat)
                .message_in_chat(r.message_id)
        }
        "chat_join_request" => {
            let r: JoinRequest<'_> = read(payload)?;
            let mut p = Parts::new(EventKind::Unknown)
                .chat(&r.chat)
                .from(Some(&r.from));
            p.query_id = r.query_id;
            p
        }
        "shipping_query" | "pre_checkout_query" => {
            let q: Payment<'_> = read(payload)?;
            let mut p = Parts::new(EventKind::Unknown).from(Some(&q.from));
            p.query_id = Some(q.id);
            p.data = Some(q.invoice_payload);
            p
        }
        "purchased_paid_media" => {
            let m: Purchased<'_> = read(payload)?;
            let mut p = Parts::new(EventKind::Unknown).from(Some(&m.from));
            p.data = Some(m.paid_media_payload);
            p
        }
        "poll_answer" => {
            let a: PollAnswer<'_> = read(payload)?;
            let mut p = Parts::new(EventKind::Unknown).from(a.user.as_ref());
            p.chat = a.voter_chat.as_ref().map(LeanChat::to_chat);
            p
        }
        "business_connection" | "managed_bot" => {
            let c: WithUser<'_> = read(payload)?;
            Parts::new(EventKind::Unknown).from(Some(&c.user))
        }
        "chat_boost" | "removed_chat_boost" => {
            let b: WithChat<'_> = read(payload)?;
            Parts::new(EventKind::Unknown).chat(&b.chat)
        }
        // Known kinds the event names nothing of (`poll`), and kinds this version does not
        // know: any JSON value.
        _ => {
            read::<IgnoredAny>(payload)?;
            Parts::new(EventKind::Unknown)
        }
    };
    Some(parts)
}

fn inline_key(id: String) -> MessageKey {
    MessageKey::Inline {
        platform: Platform::Telegram,
        inline_id: id,
    }
}

fn key(id: i64) -> String {
    let mut buf = itoa::Buffer::new();
    let digits = buf.format(id);
    let mut s = String::with_capacity(9 + digits.len());
    s.push_str("telegram:");
    s.push_str(digits);
    s
}

#[derive(Deserialize)]
struct LeanChat<'a> {
    id: i64,
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    title: Option<String>,
}

impl LeanChat<'_> {
    fn to_chat(&self) -> Chat {
        Chat {
            key: key(self.id),
            chat_type: match &*self.kind {
                "private" => ChatType::Private,
                "group" => ChatType::Group,
                "supergroup" => ChatType::Supergroup,
                "channel" => ChatType::Channel,
                _ => ChatType::Unknown,
            },
            title: self.title.clone(),
        }
    }
}

#[derive(Deserialize)]
struct LeanUser<'a> {
    id: i64,
    is_bot: bool,
    #[serde(borrow)]
    first_name: Cow<'a, str>,
    #[serde(borrow)]
    last_name: Option<Cow<'a, str>>,
    username: Option<String>,
}

impl LeanUser<'_> {
    fn to_user(&self) -> User {
        let mut name = String::with_capacity(
            self.first_name.len() + self.last_name.as_ref().map_or(0, |l| l.len() + 1),
        );
        name.push_str(&self.first_name);
        if let Some(last) = self.last_name.as_deref().filter(|l| !l.is_empty()) {
            if !name.is_empty() {
                name.push(' ');
            }
            name.push_str(last);
        }
        User {
            key: key(self.id),
            name,
            username: self.username.clone(),
            is_bot: self.is_bot,
        }
    }
}

/// The fields of a `Message` an event is read from, and which content fields it has.
struct LeanMessage<'a> {
    message_id: i64,
    chat: LeanChat<'a>,
    from: Option<LeanUser<'a>>,
    text: Option<String>,
    caption: Option<String>,
    /// Bit `i`: `CONTENT_FIELDS_IN_ORDER[i]` is present and not null.
    content: u128,
}

/// The bit of a content field in [`LeanMessage::content`].
fn content_bit(field: &str) -> Option<u128> {
    static BITS: OnceLock<HashMap<&'static str, u128>> = OnceLock::new();
    let bits = BITS.get_or_init(|| {
        // At most 128 fields (a test checks it).
        CONTENT_FIELDS_IN_ORDER
            .iter()
            .enumerate()
            .map(|(i, f)| (*f, 1u128 << i))
            .collect()
    });
    bits.get(field).copied()
}

impl LeanMessage<'_> {
    fn has(&self, field: &str) -> bool {
        content_bit(field).is_some_and(|bit| self.content & bit != 0)
    }

    fn new_message_kind(&self) -> EventKind {
        if self.has("new_chat_members") {
            EventKind::MemberJoined
        } else if self.has("left_chat_member") {
            EventKind::MemberLeft
        } else if self.has("group_chat_created")
            || self.has("supergroup_chat_created")
            || self.has("channel_chat_created")
        {
            EventKind::ChatCreated
        } else {
            EventKind::Message
        }
    }

    fn parts(self, kind: EventKind) -> Parts {
        let content_type = if self.text.is_some() {
            crate::telegram::glance::ContentType::Text
        } else {
            // `new_chat_member` is the older, singular field the typed model does not keep.
            content_type_of_fields(|f| f != "new_chat_member" && self.has(f))
        };
        let mut p = Parts::new(kind)
            .chat(&self.chat)
            .from(self.from.as_ref())
            .message_in_chat(self.message_id);
        p.content_type = Some(Cow::Borrowed(content_type.as_str()));
        p.text = self.text.or(self.caption);
        p
    }
}

impl<'de> Deserialize<'de> for LeanMessage<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MessageVisitor;
        impl<'de> Visitor<'de> for MessageVisitor {
            type Value = LeanMessage<'de>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a Message object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                fn once<T, E: serde::de::Error>(
                    slot: &mut Option<T>,
                    value: T,
                    name: &'static str,
                ) -> Result<(), E> {
                    if slot.replace(value).is_some() {
                        return Err(E::duplicate_field(name));
                    }
                    Ok(())
                }
                let mut message_id = None;
                let mut date = None;
                let mut chat = None;
                let mut from = None;
                let mut caption = None;
                let mut text: Option<Option<String>> = None;
                let mut content = 0u128;
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    match &*key {
                        "message_id" => {
                            once(&mut message_id, map.next_value::<i64>()?, "message_id")?
                        }
                        "date" => once(&mut date, map.next_value::<i64>()?, "date")?,
                        "chat" => once(&mut chat, map.next_value()?, "chat")?,
                        "from" => once(
                            &mut from,
                            map.next_value::<Option<LeanUser<'de>>>()?,
                            "from",
                        )?,
                        "caption" => {
                            once(&mut caption, map.next_value::<Option<String>>()?, "caption")?
                        }
                        "text" => {
                            let value = map.next_value::<Option<String>>()?;
                            if value.is_some() {
                                content |= content_bit("text").unwrap_or(0);
                            }
                            once(&mut text, value, "text")?;
                        }
                        other => match content_bit(other) {
                            Some(bit) => {
                                if content & bit != 0 {
                                    return Err(A::Error::custom(format_args!(
                                        "duplicate field `{other}`"
                                    )));
                                }
                                if map.next_value::<Option<IgnoredAny>>()?.is_some() {
                                    content |= bit;
                                }
                            }
                            None => {
                                map.next_value::<IgnoredAny>()?;
                            }
                        },
                    }
                }
                date.ok_or_else(|| A::Error::missing_field("date"))?;
                Ok(LeanMessage {
                    message_id: message_id.ok_or_else(|| A::Error::missing_field("message_id"))?,
                    chat: chat.ok_or_else(|| A::Error::missing_field("chat"))?,
                    from: from.flatten(),
                    text: text.flatten(),
                    caption: caption.flatten(),
                    content,
                })
            }
        }
        d.deserialize_map(MessageVisitor)
    }
}

#[derive(Deserialize)]
struct Deleted<'a> {
    #[serde(borrow)]
    chat: LeanChat<'a>,
    message_ids: Vec<i64>,
}

/// The chat and id of a message a button was under (accessible or not).
#[derive(Deserialize)]
struct Origin<'a> {
    message_id: i64,
    #[serde(borrow)]
    chat: LeanChat<'a>,
}

#[derive(Deserialize)]
struct Callback<'a> {
    id: String,
    // Required by the Bot API model; checked, not read.
    #[allow(dead_code)]
    chat_instance: IgnoredAny,
    #[serde(borrow)]
    from: LeanUser<'a>,
    #[serde(borrow)]
    message: Option<Origin<'a>>,
    inline_message_id: Option<String>,
    data: Option<String>,
}

#[derive(Deserialize)]
struct Inline<'a> {
    id: String,
    // Required by the Bot API model; checked, not read.
    #[allow(dead_code)]
    offset: IgnoredAny,
    #[serde(borrow)]
    from: LeanUser<'a>,
    query: String,
}

#[derive(Deserialize)]
struct Chosen<'a> {
    result_id: String,
    #[serde(borrow)]
    from: LeanUser<'a>,
    inline_message_id: Option<String>,
    query: String,
}

/// Whether a `ChatMember` is in the chat (`None` for a status this version does not know).
/// Read from a value, as the typed model keeps members of unknown or incomplete shape.
fn in_chat(member: &serde_json::Value) -> Option<bool> {
    match member.get("status")?.as_str()? {
        "creator" | "administrator" | "member" => Some(true),
        "left" | "kicked" => Some(false),
        "restricted" => member.get("is_member")?.as_bool(),
        _ => None,
    }
}

#[derive(Deserialize)]
struct MemberUpdate<'a> {
    #[serde(borrow)]
    chat: LeanChat<'a>,
    #[serde(borrow)]
    from: LeanUser<'a>,
    old_chat_member: serde_json::Value,
    new_chat_member: serde_json::Value,
}

#[derive(Deserialize)]
struct Reaction<'a> {
    #[serde(borrow)]
    chat: LeanChat<'a>,
    message_id: i64,
    #[serde(borrow)]
    user: Option<LeanUser<'a>>,
}

#[derive(Deserialize)]
struct JoinRequest<'a> {
    #[serde(borrow)]
    chat: LeanChat<'a>,
    #[serde(borrow)]
    from: LeanUser<'a>,
    query_id: Option<String>,
}

#[derive(Deserialize)]
struct Payment<'a> {
    id: String,
    #[serde(borrow)]
    from: LeanUser<'a>,
    invoice_payload: String,
}

#[derive(Deserialize)]
struct Purchased<'a> {
    #[serde(borrow)]
    from: LeanUser<'a>,
    paid_media_payload: String,
}

#[derive(Deserialize)]
struct PollAnswer<'a> {
    #[serde(borrow)]
    user: Option<LeanUser<'a>>,
    #[serde(borrow)]
    voter_chat: Option<LeanChat<'a>>,
}

#[derive(Deserialize)]
struct WithUser<'a> {
    #[serde(borrow)]
    user: LeanUser<'a>,
}

#[derive(Deserialize)]
struct WithChat<'a> {
    #[serde(borrow)]
    chat: LeanChat<'a>,
}
