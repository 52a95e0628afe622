//! Reading the headline fields of an update with the [`Scanner`].
//!
//! Every field the glance reads goes into a [`Slot`], which records a value of the wrong type
//! instead of failing at once: a later duplicate of the key replaces it (the last occurrence
//! wins, as in `serde_json::Value`). Wrong types are reported only once the whole input has
//! been checked, and before missing fields.

use std::borrow::Cow;

use super::scan::{JsonError, JsonErrorKind, Scanner};
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
enum Slot<T> {
    Absent,
    Found(T),
    WrongType(usize),
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Slot::Absent
    }
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
#[inline]
fn read_i64(s: &mut Scanner<'_>, depth: usize) -> Result<Slot<i64>, JsonError> {
    let first = s.peek_token()?;
    let at = s.pos();
    if let b'-' | b'0'..=b'9' = first {
        return Ok(s.number()?.map_or(Slot::WrongType(at), Slot::Found));
    }
    s.skip_value(depth)?;
    Ok(Slot::WrongType(at))
}

/// Reads a string value at `depth`, or skips a value of another type.
#[inline]
fn read_str<'a>(s: &mut Scanner<'a>, depth: usize) -> Result<Slot<Cow<'a, str>>, JsonError> {
    let first = s.peek_token()?;
    let at = s.pos();
    if first == b'"' {
        let raw = s.string()?;
        return s.decode(raw).map(Slot::Found);
    }
    s.skip_value(depth)?;
    Ok(Slot::WrongType(at))
}

/// Reads a string or `null` (as `None`) at `depth`, or skips a value of another type.
fn read_str_or_null<'a>(
    s: &mut Scanner<'a>,
    depth: usize,
) -> Result<Slot<Option<Cow<'a, str>>>, JsonError> {
    let first = s.peek_token()?;
    let at = s.pos();
    match first {
        b'"' => {
            let raw = s.string()?;
            s.decode(raw).map(|text| Slot::Found(Some(text)))
        }
        b'n' => {
            s.skip_value(depth)?;
            Ok(Slot::Found(None))
        }
        _ => {
            s.skip_value(depth)?;
            Ok(Slot::WrongType(at))
        }
    }
}

/// Reads an object at `depth` with `read`, which gets the object's own depth, or skips a value
/// of another type.
#[inline]
fn read_object<'a, T>(
    s: &mut Scanner<'a>,
    depth: usize,
    read: impl FnOnce(&mut Scanner<'a>, usize) -> Result<T, JsonError>,
) -> Result<Slot<T>, JsonError> {
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
    let mut slot = key_hash(key);
    // The table is less than half full, so an empty slot always ends the probe.
    for _ in 0..TABLE_SIZE {
        let entry = MESSAGE_KEY_TABLE[slot % TABLE_SIZE];
        let Some(index) = usize::from(entry).checked_sub(1) else {
            return MessageKey::Other;
        };
        if let Some((name, meaning)) = MESSAGE_KEYS.get(index) {
            if name.as_bytes() == key {
                return *meaning;
            }
        }
        slot += 1;
    }
    MessageKey::Other
}

// ---------------------------------------------------------------------------------------------
// Payload heads
// ---------------------------------------------------------------------------------------------

/// `Chat` reduced to `id` and `type`.
#[derive(Default)]
struct ChatHead<'a> {
    id: Slot<i64>,
    kind: Slot<Cow<'a, str>>,
}

/// `Message` reduced to what the chat glance needs; the content type is the highest-priority
/// content field among all keys.
struct MessageHead<'a> {
    message_id: Slot<i64>,
    date: Slot<i64>,
    chat: Slot<ChatHead<'a>>,
    content_type: ContentType,
}

/// The fields of the five query payloads; each shape reads only its own.
#[derive(Default)]
struct QueryHead<'a> {
    id: Slot<Cow<'a, str>>,
    /// `from`, reduced to its `id`.
    from: Slot<Slot<i64>>,
    data: Slot<Option<Cow<'a, str>>>,
    query: Slot<Cow<'a, str>>,
    offset: Slot<Cow<'a, str>>,
    result_id: Slot<Cow<'a, str>>,
    invoice_payload: Slot<Cow<'a, str>>,
    currency: Slot<Cow<'a, str>>,
    total_amount: Slot<i64>,
}

#[derive(Clone, Copy)]
enum QueryField {
    Id,
    From,
    Data,
    Query,
    Offset,
    ResultId,
    InvoicePayload,
    Currency,
    TotalAmount,
    Other,
}

fn query_field(shape: Shape, key: &[u8]) -> QueryField {
    use Shape::{CallbackQuery, ChosenInlineResult, InlineQuery, PreCheckoutQuery, ShippingQuery};
    match (key, shape) {
        (b"from", _) => QueryField::From,
        (b"id", CallbackQuery | InlineQuery | ShippingQuery | PreCheckoutQuery) => QueryField::Id,
        (b"data", CallbackQuery) => QueryField::Data,
        (b"query", InlineQuery | ChosenInlineResult) => QueryField::Query,
        (b"offset", InlineQuery) => QueryField::Offset,
        (b"result_id", ChosenInlineResult) => QueryField::ResultId,
        (b"invoice_payload", ShippingQuery | PreCheckoutQuery) => QueryField::InvoicePayload,
        (b"currency", PreCheckoutQuery) => QueryField::Currency,
        (b"total_amount", PreCheckoutQuery) => QueryField::TotalAmount,
        _ => QueryField::Other,
    }
}

fn read_chat<'a>(s: &mut Scanner<'a>, depth: usize) -> Result<ChatHead<'a>, JsonError> {
    let mut chat = ChatHead::default();
    s.object(depth, |s, key| {
        match s.with_key(key, |k| (k == b"id", k == b"type")) {
            (true, _) => chat.id = read_i64(s, depth)?,
            (_, true) => chat.kind = read_str(s, depth)?,
            _ => s.skip_value(depth)?,
        }
        Ok(())
    })?;
    Ok(chat)
}

fn read_message<'a>(s: &mut Scanner<'a>, depth: usize) -> Result<MessageHead<'a>, JsonError> {
    let mut head = MessageHead {
        message_id: Slot::Absent,
        date: Slot::Absent,
        chat: Slot::Absent,
        content_type: ContentType::Unknown,
    };
    s.object(depth, |s, key| {
        match s.with_key(key, message_key) {
            MessageKey::MessageId => head.message_id = read_i64(s, depth)?,
            MessageKey::Date => head.date = read_i64(s, depth)?,
            MessageKey::Chat => head.chat = read_object(s, depth, read_chat)?,
            MessageKey::Content(content_type) => {
                head.content_type = head.content_type.min(content_type);
                s.skip_value(depth)?;
            }
            MessageKey::Other => s.skip_value(depth)?,
        }
        Ok(())
    })?;
    Ok(head)
}

fn read_user_id(s: &mut Scanner<'_>, depth: usize) -> Result<Slot<i64>, JsonError> {
    let mut id = Slot::Absent;
    s.object(depth, |s, key| {
        if s.with_key(key, |k| k == b"id") {
            id = read_i64(s, depth)?;
        } else {
            s.skip_value(depth)?;
        }
        Ok(())
    })?;
    Ok(id)
}

fn read_query<'a>(
    s: &mut Scanner<'a>,
    depth: usize,
    shape: Shape,
) -> Result<QueryHead<'a>, JsonError> {
    let mut head = QueryHead::default();
    s.object(depth, |s, key| {
        match s.with_key(key, |k| query_field(shape, k)) {
            QueryField::Id => head.id = read_str(s, depth)?,
            QueryField::From => head.from = read_object(s, depth, read_user_id)?,
            QueryField::Data => head.data = read_str_or_null(s, depth)?,
            QueryField::Query => head.query = read_str(s, depth)?,
            QueryField::Offset => head.offset = read_str(s, depth)?,
            QueryField::ResultId => head.result_id = read_str(s, depth)?,
            QueryField::InvoicePayload => head.invoice_payload = read_str(s, depth)?,
            QueryField::Currency => head.currency = read_str(s, depth)?,
            QueryField::TotalAmount => head.total_amount = read_i64(s, depth)?,
            QueryField::Other => s.skip_value(depth)?,
        }
        Ok(())
    })?;
    Ok(head)
}

// ---------------------------------------------------------------------------------------------
// The update
// ---------------------------------------------------------------------------------------------

/// The payload as read, before required fields are checked.
enum Payload<'a> {
    None,
    Message(Slot<MessageHead<'a>>),
    Query(Slot<QueryHead<'a>>),
    Other,
}

/// An update as read, before types and required fields are checked.
pub(super) struct RawUpdate<'a> {
    update_id: Slot<i64>,
    kind: Option<(Cow<'a, str>, Shape)>,
    payload: Payload<'a>,
}

/// Reads an update from its JSON text, checking the whole text.
pub(super) fn read_update(text: &str) -> Result<RawUpdate<'_>, JsonError> {
    let mut s = Scanner::new(text);
    let mut raw = RawUpdate {
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
            s.skip_value(1)?;
        } else {
            let kind = s.decode(key)?;
            let shape = shape_of_kind(&kind);
            raw.payload = match shape {
                Shape::Other => {
                    s.skip_value(1)?;
                    Payload::Other
                }
                Shape::Chat => Payload::Message(read_object(s, 1, read_message)?),
                _ => Payload::Query(read_object(s, 1, |s, depth| read_query(s, depth, shape))?),
            };
            raw.kind = Some((kind, shape));
        }
        Ok(())
    })?;
    s.finish()?;
    Ok(raw)
}

/// The name of a payload field whose shape is not [`Shape::Other`], as a static string.
fn static_kind(kind: &str) -> &'static str {
    CHAT_KINDS
        .iter()
        .chain(&[
            "callback_query",
            "inline_query",
            "chosen_inline_result",
            "shipping_query",
            "pre_checkout_query",
        ])
        .find(|name| **name == kind)
        .copied()
        .unwrap_or("payload")
}

impl<'a> RawUpdate<'a> {
    /// The first value of the wrong type, in the order the fields are checked.
    fn check_types(&self) -> Result<(), JsonError> {
        self.update_id.check("update_id", INTEGER)?;
        let kind = || self.kind.as_ref().map_or("payload", |(k, _)| static_kind(k));
        match &self.payload {
            Payload::Message(message) => {
                if let Slot::WrongType(_) = message {
                    message.check(kind(), OBJECT)?;
                }
                if let Some(m) = message.as_found() {
                    m.message_id.check("message_id", INTEGER)?;
                    m.chat.check("chat", OBJECT)?;
                    if let Some(chat) = m.chat.as_found() {
                        chat.id.check("chat.id", INTEGER)?;
                        chat.kind.check("chat.type", STRING)?;
                    }
                    m.date.check("date", INTEGER)?;
                }
            }
            Payload::Query(query) => {
                if let Slot::WrongType(_) = query {
                    query.check(kind(), OBJECT)?;
                }
                if let Some(q) = query.as_found() {
                    q.id.check("id", STRING)?;
                    q.from.check("from", OBJECT)?;
                    if let Some(from) = q.from.as_found() {
                        from.check("from.id", INTEGER)?;
                    }
                    q.data.check("data", STRING_OR_NULL)?;
                    q.query.check("query", STRING)?;
                    q.offset.check("offset", STRING)?;
                    q.result_id.check("result_id", STRING)?;
                    q.invoice_payload.check("invoice_payload", STRING)?;
                    q.currency.check("currency", STRING)?;
                    q.total_amount.check("total_amount", INTEGER)?;
                }
            }
            Payload::None | Payload::Other => {}
        }
        Ok(())
    }

    /// Checks types, then required fields, and builds the glance.
    pub(super) fn into_glance(self) -> Result<Glance<'a>, GlanceError> {
        self.check_types()?;
        let update_id = self.update_id.found().ok_or(GlanceError::MissingUpdateId)?;
        let Some((kind, shape)) = self.kind else {
            return Err(GlanceError::NoPayload { update_id });
        };
        let missing = |field: &'static str| GlanceError::MissingField {
            update_id,
            kind: kind.to_string(),
            field,
        };
        let headline = match self.payload {
            Payload::Message(message) => {
                let message = message.found().ok_or_else(|| missing("message_id"))?;
                let message_id = message.message_id.found().ok_or_else(|| missing("message_id"))?;
                let chat = message.chat.found().ok_or_else(|| missing("chat"))?;
                let chat_id = chat.id.found().ok_or_else(|| missing("chat.id"))?;
                let chat_type = chat.kind.found().ok_or_else(|| missing("chat.type"))?;
                let date = message.date.found().ok_or_else(|| missing("date"))?;
                Headline::Chat {
                    content_type: message.content_type,
                    chat_type,
                    chat_id,
                    date,
                    message_id,
                }
            }
            Payload::Query(query) => {
                let q = query.found().ok_or_else(|| missing("id"))?;
                let need = |slot: Slot<Cow<'a, str>>, field| slot.found().ok_or_else(|| missing(field));
                let from = q.from.found().and_then(Slot::found);
                let from_id = || from.ok_or_else(|| missing("from.id"));
                match shape {
                    Shape::CallbackQuery => Headline::CallbackQuery {
                        id: need(q.id, "id")?,
                        from_id: from_id()?,
                        data: q.data.found().flatten(),
                    },
                    Shape::InlineQuery => Headline::InlineQuery {
                        id: need(q.id, "id")?,
                        from_id: from_id()?,
                        query: need(q.query, "query")?,
                        offset: need(q.offset, "offset")?,
                    },
                    Shape::ChosenInlineResult => Headline::ChosenInlineResult {
                        result_id: need(q.result_id, "result_id")?,
                        from_id: from_id()?,
                        query: need(q.query, "query")?,
                    },
                    Shape::ShippingQuery => Headline::ShippingQuery {
                        id: need(q.id, "id")?,
                        from_id: from_id()?,
                        invoice_payload: need(q.invoice_payload, "invoice_payload")?,
                    },
                    Shape::PreCheckoutQuery => Headline::PreCheckoutQuery {
                        id: need(q.id, "id")?,
                        from_id: from_id()?,
                        invoice_payload: need(q.invoice_payload, "invoice_payload")?,
                        currency: need(q.currency, "currency")?,
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
        for other in ["", "from", "caption", "entities", "reply_markup", "message_idx", "dat"] {
            assert_eq!(message_key(other.as_bytes()), MessageKey::Other, "{other}");
        }
        assert_eq!(message_key(b"text"), MessageKey::Content(ContentType::Text));
        assert_eq!(message_key(b"chat"), MessageKey::Chat);
    }
}
