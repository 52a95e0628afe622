//! Reading the headline fields of an update with the [`Scanner`].
//!
//! Every field the glance reads goes into a [`Slot`], which records a value of the wrong type
//! instead of failing at once: a later duplicate of the key replaces it (the last occurrence
//! wins, as in `serde_json::Value`). Wrong types are reported only once the whole input has
//! been checked, and before missing fields.

use std::borrow::Cow;

use super::scan::{decode, Fail, JsonError, JsonErrorKind, RawStr, Scanner};
use super::{
    flavor_of_shape, shape_of_kind, ContentType, Glance, GlanceError, Headline, Shape, CHAT_KINDS,
    CONTENT_FIELDS_IN_ORDER, CONTENT_TYPES_IN_ORDER,
};

const INTEGER: &str = "an integer in the i64 range";
const STRING: &str = "a string";
const STRING_OR_NULL: &str = "a string or null";
const OBJECT: &str = "an object";

/// One field as read: absent, present with a usable value, or present with a value of the
/// wrong type (the byte offset of that value).
#[derive(Default)]
enum Slot<T> {
    #[default]
    Absent,
    Found(T),
    WrongType(usize),
}

impl<T> Slot<T> {
    fn check(&self, field: &'static str, expected: &'static str) -> Result<(), JsonError> {
        match self {
            Slot::WrongType(offset) => Err(JsonError::new(
                *offset,
                JsonErrorKind::WrongType { field, expected },
            )),
            Slot::Absent | Slot::Found(_) => Ok(()),
        }
    }

    fn found(self) -> Option<T> {
        match self {
            Slot::Found(value) => Some(value),
            Slot::Absent | Slot::WrongType(_) => None,
        }
    }

    fn as_found(&self) -> Option<&T> {
        match self {
            Slot::Found(value) => Some(value),
            Slot::Absent | Slot::WrongType(_) => None,
        }
    }
}

/// Reads an integer value at `depth`, or skips a value of another type.
fn read_i64(s: &mut Scanner<'_>, depth: usize) -> Result<Slot<i64>, Fail> {
    let first = s.peek_token()?;
    let at = s.pos();
    if let b'-' | b'0'..=b'9' = first {
        return Ok(s.number()?.map_or(Slot::WrongType(at), Slot::Found));
    }
    s.skip_value(depth)?;
    Ok(Slot::WrongType(at))
}

/// Reads a string value at `depth` (decoded only once the whole update has been checked), or
/// `null` when `null_allowed`, as `None`; or skips a value of another type.
fn read_str(
    s: &mut Scanner<'_>,
    depth: usize,
    null_allowed: bool,
) -> Result<Slot<Option<RawStr>>, Fail> {
    let first = s.peek_token()?;
    let at = s.pos();
    if first == b'"' {
        return s.string().map(|raw| Slot::Found(Some(raw)));
    }
    s.skip_value(depth)?;
    Ok(if first == b'n' && null_allowed {
        Slot::Found(None)
    } else {
        Slot::WrongType(at)
    })
}

/// Reads an object at `depth` with `read`, which gets the object's own depth, or skips a value
/// of another type.
#[inline]
fn read_object<'a, T>(
    s: &mut Scanner<'a>,
    depth: usize,
    read: impl FnOnce(&mut Scanner<'a>, usize) -> Result<T, Fail>,
) -> Result<Slot<T>, Fail> {
    let first = s.peek_token()?;
    let at = s.pos();
    if first == b'{' {
        return read(s, depth + 1).map(Slot::Found);
    }
    s.skip_value(depth)?;
    Ok(Slot::WrongType(at))
}

// ---------------------------------------------------------------------------------------------
// Message keys
// ---------------------------------------------------------------------------------------------

/// What a key of a `Message` object means to the glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MessageKey {
    MessageId,
    Date,
    Chat,
    Content(ContentType),
    Other,
}

/// The `Message` keys the glance reads: three headline fields and the content fields.
const MESSAGE_KEY_COUNT: usize = 3 + CONTENT_FIELDS_IN_ORDER.len();

static MESSAGE_KEYS: [(&str, MessageKey); MESSAGE_KEY_COUNT] = message_keys();

const fn message_keys() -> [(&'static str, MessageKey); MESSAGE_KEY_COUNT] {
    let mut keys = [("", MessageKey::Other); MESSAGE_KEY_COUNT];
    keys[0] = ("message_id", MessageKey::MessageId);
    keys[1] = ("date", MessageKey::Date);
    keys[2] = ("chat", MessageKey::Chat);
    let mut i = 0;
    while i < CONTENT_FIELDS_IN_ORDER.len() {
        keys[3 + i] = (
            CONTENT_FIELDS_IN_ORDER[i],
            MessageKey::Content(CONTENT_TYPES_IN_ORDER[i]),
        );
        i += 1;
    }
    keys
}

/// Slots of the open-addressing table of [`MESSAGE_KEYS`]; a power of two.
const TABLE_SIZE: usize = 256;

/// Hashes a key by its length and three of its bytes: cheap, and it spreads the 79 names well
/// enough that lookups rarely probe more than once.
const fn key_hash(key: &[u8]) -> usize {
    let len = key.len();
    if len == 0 {
        return 0;
    }
    let mixed = (len as u32)
        | (key[0] as u32) << 8
        | (key[len / 2] as u32) << 16
        | (key[len - 1] as u32) << 24;
    (mixed.wrapping_mul(0x9E37_79B1) >> 24) as usize
}

/// Index plus one into [`MESSAGE_KEYS`] for each slot, zero for an empty slot (linear probing).
static MESSAGE_KEY_TABLE: [u8; TABLE_SIZE] = message_key_table();

const fn message_key_table() -> [u8; TABLE_SIZE] {
    let mut table = [0u8; TABLE_SIZE];
    let mut i = 0;
    while i < MESSAGE_KEY_COUNT {
        let mut slot = key_hash(MESSAGE_KEYS[i].0.as_bytes()) % TABLE_SIZE;
        while table[slot] != 0 {
            slot = (slot + 1) % TABLE_SIZE;
        }
        table[slot] = (i + 1) as u8;
        i += 1;
    }
    table
}

/// Classifies a key of a `Message` object.
#[inline]
fn message_key(key: &[u8]) -> MessageKey {
    let home = key_hash(key);
    // The table is less than half full, so an empty slot always ends the probe.
    for probe in 0..TABLE_SIZE {
        let entry = MESSAGE_KEY_TABLE[(home + probe) % TABLE_SIZE];
        let Some(index) = usize::from(entry).checked_sub(1) else {
            return MessageKey::Other;
        };
        if let Some((name, meaning)) = MESSAGE_KEYS.get(index) {
            // Length and first byte first: the full comparison is a call.
            let name = name.as_bytes();
            if name.len() == key.len() && name.first() == key.first() && name == key {
                return *meaning;
            }
        }
    }
    MessageKey::Other
}

// ---------------------------------------------------------------------------------------------
// Payload heads
// ---------------------------------------------------------------------------------------------

// The heads keep strings as ranges of the input and are decoded at the end: they stay small,
// and moving them around costs little.

/// `Chat` reduced to `id` and `type`.
#[derive(Default)]
struct ChatHead {
    id: Slot<i64>,
    kind: Slot<Option<RawStr>>,
}

/// `Message` reduced to what the chat glance needs; the content type is the highest-priority
/// content field among all keys.
struct MessageHead {
    message_id: Slot<i64>,
    date: Slot<i64>,
    chat: Slot<ChatHead>,
    content_type: ContentType,
}

/// The string fields of each query shape, in the order of [`QueryHead::strings`]: the first
/// is checked before `from.id`, the others after it.
fn query_strings(shape: Shape) -> &'static [&'static str] {
    match shape {
        Shape::CallbackQuery => &["id", "data"],
        Shape::InlineQuery => &["id", "query", "offset"],
        Shape::ChosenInlineResult => &["result_id", "query"],
        Shape::ShippingQuery => &["id", "invoice_payload"],
        Shape::PreCheckoutQuery => &["id", "invoice_payload", "currency"],
        Shape::Chat | Shape::Other => &[],
    }
}

/// The only optional field of the query heads, which may also be `null`.
const OPTIONAL_FIELD: (Shape, &str) = (Shape::CallbackQuery, "data");

/// The fields of a query payload: its strings (see [`query_strings`]), `from.id`, and the
/// `total_amount` of a pre-checkout query.
#[derive(Default)]
struct QueryHead {
    strings: [Slot<Option<RawStr>>; 3],
    /// `from`, reduced to its `id`.
    from: Slot<Slot<i64>>,
    total_amount: Slot<i64>,
}

/// What a key of a query payload means to the glance.
enum QueryField {
    String(usize),
    From,
    TotalAmount,
    Other,
}

fn query_field(shape: Shape, key: &[u8]) -> QueryField {
    if key == b"from" {
        return QueryField::From;
    }
    if shape == Shape::PreCheckoutQuery && key == b"total_amount" {
        return QueryField::TotalAmount;
    }
    match query_strings(shape)
        .iter()
        .position(|name| name.as_bytes() == key)
    {
        Some(index) => QueryField::String(index),
        None => QueryField::Other,
    }
}

fn read_chat(s: &mut Scanner<'_>, depth: usize) -> Result<ChatHead, Fail> {
    let mut chat = ChatHead::default();
    s.object(depth, |s, key| {
        match s.with_key(key, |k| (k == b"id", k == b"type")) {
            (true, _) => chat.id = read_i64(s, depth)?,
            (_, true) => chat.kind = read_str(s, depth, false)?,
            _ => s.skip(depth)?,
        }
        Ok(())
    })?;
    Ok(chat)
}

fn read_message(s: &mut Scanner<'_>, depth: usize) -> Result<MessageHead, Fail> {
    let mut head = MessageHead {
        message_id: Slot::Absent,
        date: Slot::Absent,
        chat: Slot::Absent,
        content_type: ContentType::Unknown,
    };
    s.object(depth, |s, key| {
        // Most keys are neither headline nor content: test for them first.
        let meaning = s.with_key(key, message_key);
        if meaning == MessageKey::Other {
            return s.skip(depth);
        }
        match meaning {
            MessageKey::MessageId => head.message_id = read_i64(s, depth)?,
            MessageKey::Date => head.date = read_i64(s, depth)?,
            MessageKey::Chat => head.chat = read_object(s, depth, read_chat)?,
            MessageKey::Content(content_type) => {
                head.content_type = head.content_type.min(content_type);
                s.skip(depth)?;
            }
            MessageKey::Other => s.skip(depth)?,
        }
        Ok(())
    })?;
    Ok(head)
}

fn read_user_id(s: &mut Scanner<'_>, depth: usize) -> Result<Slot<i64>, Fail> {
    let mut id = Slot::Absent;
    s.object(depth, |s, key| {
        if s.with_key(key, |k| k == b"id") {
            id = read_i64(s, depth)?;
        } else {
            s.skip(depth)?;
        }
        Ok(())
    })?;
    Ok(id)
}

fn read_query(s: &mut Scanner<'_>, depth: usize, shape: Shape) -> Result<QueryHead, Fail> {
    let mut head = QueryHead::default();
    s.object(depth, |s, key| {
        match s.with_key(key, |k| query_field(shape, k)) {
            QueryField::String(index) => {
                let null_allowed = (shape, query_strings(shape).get(index).copied())
                    == (OPTIONAL_FIELD.0, Some(OPTIONAL_FIELD.1));
                let value = read_str(s, depth, null_allowed)?;
                if let Some(slot) = head.strings.get_mut(index) {
                    *slot = value;
                }
            }
            QueryField::From => head.from = read_object(s, depth, read_user_id)?,
            QueryField::TotalAmount => head.total_amount = read_i64(s, depth)?,
            QueryField::Other => s.skip(depth)?,
        }
        Ok(())
    })?;
    Ok(head)
}

// ---------------------------------------------------------------------------------------------
// The update
// ---------------------------------------------------------------------------------------------

/// The payload as read, before required fields are checked.
enum Payload {
    None,
    Message(Slot<MessageHead>),
    Query(Slot<QueryHead>),
    Other,
}

/// An update as read, before types and required fields are checked.
pub(super) struct RawUpdate<'a> {
    text: &'a str,
    update_id: Slot<i64>,
    kind: Option<(RawStr, Shape)>,
    payload: Payload,
}

/// Reads an update from its JSON text, checking the whole text.
pub(super) fn read_update(text: &str) -> Result<RawUpdate<'_>, JsonError> {
    let mut s = Scanner::new(text);
    let mut raw = RawUpdate {
        text,
        update_id: Slot::Absent,
        kind: None,
        payload: Payload::None,
    };
    if s.peek_token()? != b'{' {
        let at = s.pos();
        s.skip_value(0)?;
        s.finish()?;
        return Err(JsonError::new(
            at,
            JsonErrorKind::WrongType {
                field: "update",
                expected: OBJECT,
            },
        ));
    }
    s.object(1, |s, key| {
        if s.with_key(key, |k| k == b"update_id") {
            raw.update_id = read_i64(s, 1)?;
        } else if raw.kind.is_some() {
            s.skip(1)?;
        } else {
            let shape = s.with_key(key, |k| {
                std::str::from_utf8(k).map_or(Shape::Other, shape_of_kind)
            });
            raw.payload = match shape {
                Shape::Other => {
                    s.skip(1)?;
                    Payload::Other
                }
                Shape::Chat => Payload::Message(read_object(s, 1, read_message)?),
                _ => Payload::Query(read_object(s, 1, |s, depth| read_query(s, depth, shape))?),
            };
            raw.kind = Some((key, shape));
        }
        Ok(())
    })?;
    s.finish()?;
    Ok(raw)
}

/// The name of a payload field whose shape is not [`Shape::Other`], as a static string.
fn static_kind(kind: &[u8]) -> &'static str {
    CHAT_KINDS
        .iter()
        .chain(&[
            "callback_query",
            "inline_query",
            "chosen_inline_result",
            "shipping_query",
            "pre_checkout_query",
        ])
        .find(|name| name.as_bytes() == kind)
        .copied()
        .unwrap_or("payload")
}

impl<'a> RawUpdate<'a> {
    /// The first value of the wrong type, in the order the fields are checked.
    fn check_types(&self) -> Result<(), JsonError> {
        self.update_id.check("update_id", INTEGER)?;
        let payload_check = |at: &usize| {
            let kind = match self.kind {
                Some((key, _)) => Scanner::new(self.text).with_key(key, static_kind),
                None => "payload",
            };
            Err(JsonError::new(
                *at,
                JsonErrorKind::WrongType {
                    field: kind,
                    expected: OBJECT,
                },
            ))
        };
        match &self.payload {
            Payload::Message(Slot::WrongType(at)) | Payload::Query(Slot::WrongType(at)) => {
                payload_check(at)
            }
            Payload::Message(Slot::Found(m)) => {
                m.message_id.check("message_id", INTEGER)?;
                m.chat.check("chat", OBJECT)?;
                if let Some(chat) = m.chat.as_found() {
                    chat.id.check("chat.id", INTEGER)?;
                    chat.kind.check("chat.type", STRING)?;
                }
                m.date.check("date", INTEGER)
            }
            Payload::Query(Slot::Found(q)) => {
                let shape = self.kind.map_or(Shape::Other, |(_, shape)| shape);
                for (slot, name) in q.strings.iter().zip(query_strings(shape)) {
                    let optional = (shape, *name) == OPTIONAL_FIELD;
                    slot.check(name, if optional { STRING_OR_NULL } else { STRING })?;
                }
                q.from.check("from", OBJECT)?;
                if let Some(from) = q.from.as_found() {
                    from.check("from.id", INTEGER)?;
                }
                q.total_amount.check("total_amount", INTEGER)
            }
            Payload::Message(Slot::Absent)
            | Payload::Query(Slot::Absent)
            | Payload::None
            | Payload::Other => Ok(()),
        }
    }

    /// Checks types, then required fields, decodes the strings and builds the glance.
    pub(super) fn into_glance(self) -> Result<Glance<'a>, GlanceError> {
        self.check_types()?;
        let text = self.text;
        let decode = |raw: RawStr| decode(text, raw).map_err(JsonError::from);
        let update_id = self.update_id.found().ok_or(GlanceError::MissingUpdateId)?;
        let Some((kind, shape)) = self.kind else {
            return Err(GlanceError::NoPayload { update_id });
        };
        let kind = decode(kind)?;
        let missing = |field: &'static str| GlanceError::MissingField {
            update_id,
            kind: kind.to_string(),
            field,
        };
        let headline = match self.payload {
            Payload::Message(message) => {
                let message = message.found().ok_or_else(|| missing("message_id"))?;
                let message_id = message
                    .message_id
                    .found()
                    .ok_or_else(|| missing("message_id"))?;
                let chat = message.chat.found().ok_or_else(|| missing("chat"))?;
                let chat_id = chat.id.found().ok_or_else(|| missing("chat.id"))?;
                let chat_type = chat
                    .kind
                    .found()
                    .flatten()
                    .ok_or_else(|| missing("chat.type"))?;
                let date = message.date.found().ok_or_else(|| missing("date"))?;
                Headline::Chat {
                    content_type: message.content_type,
                    chat_type: decode(chat_type)?,
                    chat_id,
                    date,
                    message_id,
                }
            }
            Payload::Query(query) => {
                let names = query_strings(shape);
                let q = query
                    .found()
                    .ok_or_else(|| missing(names.first().copied().unwrap_or("id")))?;
                let [first, second, third] = q.strings;
                let mut present = [
                    first.found().flatten(),
                    second.found().flatten(),
                    third.found().flatten(),
                ];
                // Required strings, in check order: the first, `from.id`, then the others.
                let mut need = |index: usize| {
                    let Some(&name) = names.get(index) else {
                        return Ok(None);
                    };
                    let optional = (shape, name) == OPTIONAL_FIELD;
                    match present.get_mut(index).and_then(Option::take) {
                        Some(raw) => decode(raw).map(Some).map_err(GlanceError::from),
                        None if optional => Ok(None),
                        None => Err(missing(name)),
                    }
                };
                let first = need(0)?;
                let from_id = q
                    .from
                    .found()
                    .and_then(Slot::found)
                    .ok_or_else(|| missing("from.id"))?;
                let second = need(1)?;
                let third = need(2)?;
                let required = |value: Option<Cow<'a, str>>| value.unwrap_or_default();
                match shape {
                    Shape::CallbackQuery => Headline::CallbackQuery {
                        id: required(first),
                        from_id,
                        data: second,
                    },
                    Shape::InlineQuery => Headline::InlineQuery {
                        id: required(first),
                        from_id,
                        query: required(second),
                        offset: required(third),
                    },
                    Shape::ChosenInlineResult => Headline::ChosenInlineResult {
                        result_id: required(first),
                        from_id,
                        query: required(second),
                    },
                    Shape::ShippingQuery => Headline::ShippingQuery {
                        id: required(first),
                        from_id,
                        invoice_payload: required(second),
                    },
                    Shape::PreCheckoutQuery => Headline::PreCheckoutQuery {
                        id: required(first),
                        from_id,
                        invoice_payload: required(second),
                        currency: required(third),
                        total_amount: q
                            .total_amount
                            .found()
                            .ok_or_else(|| missing("total_amount"))?,
                    },
                    Shape::Chat | Shape::Other => Headline::Other,
                }
            }
            Payload::Other | Payload::None => Headline::Other,
        };
        let flavor = flavor_of_shape(shape, &kind);
        Ok(Glance {
            update_id,
            kind,
            flavor,
            headline,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_key_is_found_with_short_probes() {
        let mut longest = 0;
        for (name, meaning) in &MESSAGE_KEYS {
            assert_eq!(message_key(name.as_bytes()), *meaning, "{name}");
            let home = key_hash(name.as_bytes()) % TABLE_SIZE;
            let at = (0..TABLE_SIZE)
                .find(|k| {
                    let entry = usize::from(MESSAGE_KEY_TABLE[(home + k) % TABLE_SIZE]);
                    entry > 0 && MESSAGE_KEYS[entry - 1].0 == *name
                })
                .expect("in the table");
            longest = longest.max(at);
        }
        assert!(longest <= 3, "a key is {longest} slots from its hash");
        for other in [
            "",
            "from",
            "caption",
            "entities",
            "reply_markup",
            "message_idx",
            "dat",
        ] {
            assert_eq!(message_key(other.as_bytes()), MessageKey::Other, "{other}");
        }
        assert_eq!(message_key(b"text"), MessageKey::Content(ContentType::Text));
        assert_eq!(message_key(b"chat"), MessageKey::Chat);
    }
}
