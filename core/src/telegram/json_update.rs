//! Updates kept as the JSON text they arrived in.
//!
//! A [`JsonUpdate`] is an `Update` whose `update_id` and kind (the field carrying the payload)
//! have been read, and whose payload is left as text: nothing of the Bot API's typed model is
//! built. It is what a host that hands updates on as JSON anyway (the npm package gives
//! JavaScript the update's JSON) needs, without the typed model's code in the binary.
//!
//! The rules are those of the typed [`Update`](super::types::Update): the payload is the first
//! field other than `update_id`, later fields are checked as JSON and ignored, a repeated
//! `update_id` keeps its last value, and an update without a payload has the empty kind.
//!
//! ```
//! use botwire_core::telegram::json_update::JsonUpdate;
//!
//! let update = JsonUpdate::parse(r#"{"update_id":7,"message":{"message_id":1}}"#)?;
//! assert_eq!(update.update_id, 7);
//! assert_eq!(update.kind, "message");
//! assert_eq!(update.payload(), r#"{"message_id":1}"#);
//! # Ok::<(), botwire_core::telegram::json_update::JsonUpdateError>(())
//! ```

use serde::de::{Deserializer, Error as _, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use super::types::UPDATE_KINDS;

/// One update: its id and kind read, the rest kept as JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonUpdate {
    /// `Update.update_id`.
    pub update_id: i64,
    /// The field that carries the payload (`"message"`, `"callback_query"`, ...), as it was
    /// written, known to this version or not; empty when the update has no payload.
    pub kind: Cow<'static, str>,
    json: Box<str>,
    payload: Option<Range<usize>>,
}

/// Why a text is not an update.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JsonUpdateError {
    /// The text is not a JSON object, or has no integer `update_id`.
    #[error("not an update: {0}")]
    Invalid(String),
}

impl JsonUpdate {
    /// Reads an update from its JSON text (one `getUpdates` element or a webhook body).
    ///
    /// # Errors
    ///
    /// [`JsonUpdateError::Invalid`] when `json` is not one JSON object with an integer
    /// `update_id`.
    pub fn parse(json: &str) -> Result<JsonUpdate, JsonUpdateError> {
        let head: Head<'_> =
            serde_json::from_str(json).map_err(|e| JsonUpdateError::Invalid(e.to_string()))?;
        let payload = head.payload.map(|p| {
            // The payload borrows from `json`: its offset is where it starts in the text.
            let start = p.get().as_ptr() as usize - json.as_ptr() as usize;
            start..start + p.get().len()
        });
        Ok(JsonUpdate {
            update_id: head.update_id,
            kind: known_kind(head.kind),
            json: json.into(),
            payload,
        })
    }

    /// The whole update as it arrived.
    pub fn json(&self) -> &str {
        &self.json
    }

    /// The payload's JSON text (`"null"` when the update has none).
    pub fn payload(&self) -> &str {
        match &self.payload {
            Some(range) => &self.json[range.clone()],
            None => "null",
        }
    }

    /// Whether the kind is one this version of the Bot API knows.
    pub fn is_known_kind(&self) -> bool {
        matches!(self.kind, Cow::Borrowed(_))
    }

    /// The whole update's text, given up.
    pub fn into_json(self) -> String {
        self.json.into()
    }
}

/// The kind as a static string when the spec knows it (no allocation for the usual kinds).
fn known_kind(kind: Cow<'_, str>) -> Cow<'static, str> {
    match UPDATE_KINDS.iter().find(|k| **k == kind) {
        Some(k) => Cow::Borrowed(k),
        None => Cow::Owned(kind.into_owned()),
    }
}

/// The top level of an update: id, kind, payload left unparsed.
struct Head<'a> {
    update_id: i64,
    kind: Cow<'a, str>,
    payload: Option<&'a RawValue>,
}

impl<'de> serde::Deserialize<'de> for Head<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct HeadVisitor;
        impl<'de> Visitor<'de> for HeadVisitor {
            type Value = Head<'de>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an Update object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Head<'de>, A::Error> {
                let mut update_id = None;
                let mut kind: Option<Cow<'de, str>> = None;
                let mut payload = None;
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    if key == "update_id" {
                        update_id = Some(map.next_value::<i64>()?);
                    } else if kind.is_some() {
                        map.next_value::<IgnoredAny>()?;
                    } else {
                        payload = Some(map.next_value::<&'de RawValue>()?);
                        kind = Some(key);
                    }
                }
                Ok(Head {
                    update_id: update_id.ok_or_else(|| A::Error::missing_field("update_id"))?,
                    kind: kind.unwrap_or(Cow::Borrowed("")),
                    payload,
                })
            }
        }
        d.deserialize_map(HeadVisitor)
    }
}

/// Splits a successful `getUpdates` answer's `result` into its elements' texts.
///
/// # Errors
///
/// A message when `result` is not an array.
pub fn split_array(result: &str) -> Result<Vec<&str>, String> {
    let elements: Vec<&RawValue> = serde_json::from_str(result)
        .map_err(|e| format!("getUpdates result is not an array: {e}"))?;
    Ok(elements.into_iter().map(RawValue::get).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_id_kind_and_payload() {
        let u = JsonUpdate::parse(r#" {"update_id": 5, "callback_query" : {"id":"q"} } "#).unwrap();
        assert_eq!((u.update_id, &*u.kind), (5, "callback_query"));
        assert_eq!(u.payload(), r#"{"id":"q"}"#);
        assert!(u.is_known_kind());
        assert_eq!(
            u.json(),
            r#" {"update_id": 5, "callback_query" : {"id":"q"} } "#
        );
    }

    #[test]
    fn the_first_field_other_than_the_id_is_the_payload_and_the_last_id_wins() {
        let u = JsonUpdate::parse(
            r#"{"update_id":1,"poll":{"id":"p"},"message":{"message_id":2},"update_id":3}"#,
        )
        .unwrap();
        assert_eq!(
            (u.update_id, &*u.kind, u.payload()),
            (3, "poll", r#"{"id":"p"}"#)
        );
    }

    #[test]
    fn unknown_kinds_and_missing_payloads_are_kept() {
        let u = JsonUpdate::parse(r#"{"future_thing":[1,2],"update_id":9}"#).unwrap();
        assert_eq!((&*u.kind, u.payload()), ("future_thing", "[1,2]"));
        assert!(!u.is_known_kind());
        let u = JsonUpdate::parse(r#"{"update_id":9}"#).unwrap();
        assert_eq!((&*u.kind, u.payload()), ("", "null"));
    }

    #[test]
    fn texts_that_are_not_updates_are_errors() {
        for bad in [
            "",
            "[]",
            "{}",
            r#"{"update_id":"1","message":{}}"#,
            r#"{"update_id":1.5}"#,
            r#"{"update_id":1,"message":{"a":}}"#,
            r#"{"update_id":1,"message":{},"other":[}"#,
            r#"{"update_id":1} x"#,
        ] {
            assert!(JsonUpdate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn escaped_keys_are_read() {
        let u = JsonUpdate::parse(r#"{"update\u005fid":4,"m\u0065ssage":{}}"#).unwrap();
        assert_eq!((u.update_id, &*u.kind), (4, "message"));
        assert!(u.is_known_kind());
    }

    #[test]
    fn arrays_split_into_elements() {
        assert_eq!(
            split_array(r#"[ {"a":1} , 2 ]"#).unwrap(),
            vec![r#"{"a":1}"#, "2"]
        );
        assert!(split_array(r#"{"a":1}"#).is_err());
    }
}
