//! The frame codec of the TrueConf WebSocket: one JSON object per text message.
//!
//! | frame | shape |
//! |---|---|
//! | request (either side) | `{"type":1,"id":n,"method":"…","payload":{…}}` |
//! | response | `{"type":2,"id":n,"payload":…}` |
//! | acknowledgement of a server request | `{"type":2,"id":n}` |
//!
//! Parsing borrows the payload as raw JSON text ([`RawValue`]) so that it is validated once and
//! handed on without being re-parsed or copied. No input makes these functions panic.
//!
//! ```
//! use botwire_core::trueconf::frame::{encode_ack, encode_request, parse, Frame, DEFAULT_MAX_FRAME_BYTES};
//!
//! let text = r#"{"type":1,"id":20417,"method":"removeChat","payload":{"chatId":"9a8b"}}"#;
//! match parse(text, DEFAULT_MAX_FRAME_BYTES).unwrap() {
//!     Frame::Request { id, method, payload } => {
//!         assert_eq!((id, method.as_str(), payload), (20417, "removeChat", r#"{"chatId":"9a8b"}"#));
//!         assert_eq!(encode_ack(id), r#"{"type":2,"id":20417}"#);
//!     }
//!     other => panic!("{other:?}"),
//! }
//! assert_eq!(
//!     encode_request(3, "getFileUploadLimits", ""),
//!     r#"{"type":1,"id":3,"method":"getFileUploadLimits","payload":{}}"#
//! );
//! ```

use super::error::{ErrorCode, TrueConfError};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::fmt;

/// The default largest frame accepted: 16 MiB (history and chat lists can be several MiB).
pub const DEFAULT_MAX_FRAME_BYTES: usize = 16 << 20;

/// `type` of a request frame.
pub const TYPE_REQUEST: u64 = 1;
/// `type` of a response frame.
pub const TYPE_RESPONSE: u64 = 2;

/// One parsed frame. Payloads are the raw JSON text as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame<'a> {
    /// `type` 1: a request. From the server this is an event, to be acknowledged with
    /// [`encode_ack`] before anything else is done with it.
    Request {
        /// The sender's id (to echo in the acknowledgement).
        id: u64,
        /// The `method`.
        method: String,
        /// The `payload` JSON text; `null` when the frame has none.
        payload: &'a str,
    },
    /// `type` 2: the response to one of our requests.
    Response {
        /// The id of the request it answers.
        id: u64,
        /// The `payload` JSON text, `None` when absent (an acknowledgement).
        payload: Option<&'a str>,
    },
}

/// The JSON text of a successful response payload, owned, to be parsed into the method's
/// response type with [`RawPayload::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RawPayload(pub String);

impl RawPayload {
    /// The JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Parses the payload into `T` (for a typed call, `M::Response`).
    ///
    /// # Errors
    /// [`TrueConfError::Malformed`] when the payload does not fit `T`.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, TrueConfError> {
        serde_json::from_str(&self.0).map_err(|e| TrueConfError::Malformed(short_reason(&e)))
    }
}

impl fmt::Display for RawPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a text frame could not be read. Every variant is small: it never carries the frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// Longer than the configured limit.
    #[error("frame of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// The frame's length in bytes.
        len: usize,
        /// The limit.
        max: usize,
        /// The id of a `type:1` frame whose header could be read: acknowledge it anyway.
        request_id: Option<u64>,
    },
    /// Not valid JSON (for example truncated).
    #[error("frame is not valid JSON: {reason}")]
    NotJson {
        /// The parser's message (position and kind, no content).
        reason: String,
        /// The id of a `type:1` frame whose header was read before the error.
        request_id: Option<u64>,
    },
    /// Valid JSON, but not an object.
    #[error("frame is not a JSON object")]
    NotObject,
    /// No `type`.
    #[error("frame has no type")]
    MissingType,
    /// A `type` other than 1 or 2.
    #[error("frame has an invalid type: {0}")]
    InvalidType(String),
    /// No `id`.
    #[error("frame has no id")]
    MissingId,
    /// An `id` that is not an unsigned integer.
    #[error("frame has an invalid id: {0}")]
    InvalidId(String),
    /// A request without a string `method`.
    #[error("request frame {id} has no valid method")]
    InvalidMethod {
        /// Its id (acknowledge it anyway).
        id: u64,
    },
}

impl FrameError {
    /// The id of a `type:1` frame that must still be acknowledged although it could not be
    /// used: the protocol asks for an acknowledgement of every request frame with an id.
    pub fn request_id(&self) -> Option<u64> {
        match self {
            FrameError::TooLarge { request_id, .. } | FrameError::NotJson { request_id, .. } => {
                *request_id
            }
            FrameError::InvalidMethod { id } => Some(*id),
            _ => None,
        }
    }
}

/// Reads one text frame.
///
/// # Errors
/// [`FrameError`] for anything that is not a well-formed frame of at most `max_bytes` bytes.
/// [`FrameError::request_id`] tells whether it must still be acknowledged.
pub fn parse(text: &str, max_bytes: usize) -> Result<Frame<'_>, FrameError> {
    let first = text
        .bytes()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    if first != Some(b'{') {
        if text.len() > max_bytes {
            return Err(FrameError::TooLarge {
                len: text.len(),
                max: max_bytes,
                request_id: None,
            });
        }
        return Err(match serde_json::from_str::<IgnoredAny>(text) {
            Ok(_) => FrameError::NotObject,
            Err(e) => FrameError::NotJson {
                reason: short_reason(&e),
                request_id: None,
            },
        });
    }
    let mut fields = Fields::default();
    let mut de = serde_json::Deserializer::from_str(text);
    let read = FieldsSeed(&mut fields)
        .deserialize(&mut de)
        .and_then(|()| de.end());
    // The header is usable for an acknowledgement even when the rest is not.
    let request_id = fields.request_id();
    if text.len() > max_bytes {
        return Err(FrameError::TooLarge {
            len: text.len(),
            max: max_bytes,
            request_id,
        });
    }
    if let Err(e) = read {
        return Err(FrameError::NotJson {
            reason: short_reason(&e),
            request_id,
        });
    }
    let kind = match fields.kind {
        None => return Err(FrameError::MissingType),
        Some(raw) => match serde_json::from_str::<u64>(raw.get()) {
            Ok(k @ (TYPE_REQUEST | TYPE_RESPONSE)) => k,
            _ => return Err(FrameError::InvalidType(excerpt(raw.get()))),
        },
    };
    let id = match fields.id {
        None => return Err(FrameError::MissingId),
        Some(raw) => serde_json::from_str::<u64>(raw.get())
            .map_err(|_| FrameError::InvalidId(excerpt(raw.get())))?,
    };
    let payload = fields.payload.map(RawValue::get);
    if kind == TYPE_RESPONSE {
        return Ok(Frame::Response { id, payload });
    }
    let method = fields
        .method
        .and_then(|raw| serde_json::from_str::<String>(raw.get()).ok())
        .ok_or(FrameError::InvalidMethod { id })?;
    Ok(Frame::Request {
        id,
        method,
        payload: payload.unwrap_or("null"),
    })
}

/// Encodes a request frame. `payload` is JSON text (an object); an empty or blank string
/// sends `{}`, as the protocol wants a payload on every request.
pub fn encode_request(id: u64, method: &str, payload: &str) -> String {
    let payload = if payload.trim().is_empty() {
        "{}"
    } else {
        payload
    };
    let method = serde_json::to_string(method).unwrap_or_else(|_| "\"\"".to_owned());
    let mut out = String::with_capacity(payload.len() + method.len() + 40);
    out.push_str("{\"type\":1,\"id\":");
    out.push_str(itoa::Buffer::new().format(id));
    out.push_str(",\"method\":");
    out.push_str(&method);
    out.push_str(",\"payload\":");
    out.push_str(payload);
    out.push('}');
    out
}

/// Encodes the acknowledgement of a server request: `{"type":2,"id":<id>}`.
pub fn encode_ack(id: u64) -> String {
    let mut out = String::with_capacity(32);
    out.push_str("{\"type\":2,\"id\":");
    out.push_str(itoa::Buffer::new().format(id));
    out.push('}');
    out
}

/// Classifies a response payload: an object with a non-zero `errorCode` is an error
/// ([`TrueConfError::Server`], with `errorDescription` when present); anything else (no
/// `errorCode`, `0`, `null`, or a payload that is not an object such as the bare array of
/// `getChats`) is the successful result, returned unchanged.
///
/// # Errors
/// [`TrueConfError::Server`] for an error payload; [`TrueConfError::Malformed`] when
/// `errorCode` is neither an integer nor `null`, or the payload is not JSON.
pub fn response_result(payload: &str) -> Result<&str, TrueConfError> {
    #[derive(Deserialize)]
    struct Status<'a> {
        #[serde(rename = "errorCode", borrow, default)]
        code: Option<&'a RawValue>,
        #[serde(rename = "errorDescription", default)]
        description: Option<serde_json::Value>,
    }
    if !is_object_text(payload) {
        return match serde_json::from_str::<IgnoredAny>(payload) {
            Ok(_) => Ok(payload),
            Err(e) => Err(TrueConfError::Malformed(short_reason(&e))),
        };
    }
    let status: Status<'_> =
        serde_json::from_str(payload).map_err(|e| TrueConfError::Malformed(short_reason(&e)))?;
    let code = match status.code.map(RawValue::get) {
        None | Some("null") => 0,
        Some(raw) => match serde_json::from_str::<serde_json::Value>(raw) {
            Ok(serde_json::Value::Number(n)) => match n.as_i64() {
                Some(c) => c,
                None => return Err(malformed_code(raw)),
            },
            // Tolerated: a code sent as a numeric string.
            Ok(serde_json::Value::String(s)) => match s.trim().parse::<i64>() {
                Ok(c) => c,
                Err(_) => return Err(malformed_code(raw)),
            },
            _ => return Err(malformed_code(raw)),
        },
    };
    if code == 0 {
        return Ok(payload);
    }
    let description = match status.description {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Null) | None => None,
        Some(other) => Some(other.to_string()),
    };
    Err(TrueConfError::Server {
        code: ErrorCode(code),
        description,
    })
}

/// Whether JSON text is (at least syntactically headed as) an object. Private structs are
/// parsed only from objects: serde's derived structs would also accept an array positionally.
pub(crate) fn is_object_text(text: impl AsRef<[u8]>) -> bool {
    text.as_ref()
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        == Some(&b'{')
}

fn malformed_code(raw: &str) -> TrueConfError {
    TrueConfError::Malformed(format!("errorCode is not an integer: {}", excerpt(raw)))
}

/// A serde error as a short message without content.
fn short_reason(e: &serde_json::Error) -> String {
    let mut s = e.to_string();
    truncate_utf8(&mut s, 200);
    s
}

/// At most 40 bytes of an offending value, for error messages.
fn excerpt(raw: &str) -> String {
    let mut s = raw.to_owned();
    truncate_utf8(&mut s, 40);
    s
}

fn truncate_utf8(s: &mut String, max: usize) {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    }
}

/// The top-level fields of a frame, filled in as they are read, so that the header of a frame
/// whose later part is broken is still known.
#[derive(Default)]
struct Fields<'a> {
    kind: Option<&'a RawValue>,
    id: Option<&'a RawValue>,
    method: Option<&'a RawValue>,
    payload: Option<&'a RawValue>,
}

impl Fields<'_> {
    fn request_id(&self) -> Option<u64> {
        let kind = serde_json::from_str::<u64>(self.kind?.get()).ok()?;
        if kind != TYPE_REQUEST {
            return None;
        }
        serde_json::from_str::<u64>(self.id?.get()).ok()
    }
}

struct FieldsSeed<'s, 'a>(&'s mut Fields<'a>);

impl<'de, 's> DeserializeSeed<'de> for FieldsSeed<'s, 'de> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, 's> Visitor<'de> for FieldsSeed<'s, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a frame object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Key>()? {
            let slot = match key {
                Key::Type => &mut self.0.kind,
                Key::Id => &mut self.0.id,
                Key::Method => &mut self.0.method,
                Key::Payload => &mut self.0.payload,
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            let value = map.next_value::<&'de RawValue>()?;
            if slot.is_some() {
                return Err(de::Error::custom("duplicate key"));
            }
            *slot = Some(value);
        }
        Ok(())
    }
}

enum Key {
    Type,
    Id,
    Method,
    Payload,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(match v {
                    "type" => Key::Type,
                    "id" => Key::Id,
                    "method" => Key::Method,
                    "payload" => Key::Payload,
                    _ => Key::Other,
                })
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::SeededRng;

    const MAX: usize = DEFAULT_MAX_FRAME_BYTES;

    #[test]
    fn parses_requests_and_responses() {
        let f = parse(r#"{"type":2,"id":7,"payload":{"errorCode":304}}"#, MAX).unwrap();
        assert_eq!(
            f,
            Frame::Response {
                id: 7,
                payload: Some(r#"{"errorCode":304}"#)
            }
        );
        let f = parse(r#" {"id":9,"type":2} "#, MAX).unwrap();
        assert_eq!(
            f,
            Frame::Response {
                id: 9,
                payload: None
            }
        );
        let f = parse(r#"{"type":1,"id":3,"method":"x\u0041","extra":[1]}"#, MAX).unwrap();
        assert_eq!(
            f,
            Frame::Request {
                id: 3,
                method: "xA".into(),
                payload: "null"
            }
        );
        let f = parse(r#"{"type":2,"id":33,"payload":[{"chatId":"a"}]}"#, MAX).unwrap();
        assert!(matches!(
            f,
            Frame::Response {
                payload: Some("[{\"chatId\":\"a\"}]"),
                ..
            }
        ));
    }

    #[test]
    fn classifies_bad_frames() {
        assert!(matches!(
            parse("", MAX),
            Err(FrameError::NotJson {
                request_id: None,
                ..
            })
        ));
        assert_eq!(parse("[1,2]", MAX), Err(FrameError::NotObject));
        assert_eq!(parse("42", MAX), Err(FrameError::NotObject));
        assert_eq!(parse(r#"{"id":1}"#, MAX), Err(FrameError::MissingType));
        assert_eq!(
            parse(r#"{"type":0,"id":1}"#, MAX),
            Err(FrameError::InvalidType("0".into()))
        );
        assert_eq!(
            parse(r#"{"type":"1","id":1}"#, MAX),
            Err(FrameError::InvalidType("\"1\"".into()))
        );
        assert_eq!(parse(r#"{"type":1}"#, MAX), Err(FrameError::MissingId));
        assert_eq!(
            parse(r#"{"type":2,"id":-1}"#, MAX),
            Err(FrameError::InvalidId("-1".into()))
        );
        assert_eq!(
            parse(r#"{"type":2,"id":1.5}"#, MAX),
            Err(FrameError::InvalidId("1.5".into()))
        );
        let e = parse(r#"{"type":1,"id":5,"method":7}"#, MAX).unwrap_err();
        assert_eq!(e, FrameError::InvalidMethod { id: 5 });
        assert_eq!(e.request_id(), Some(5));
    }

    #[test]
    fn a_truncated_request_keeps_its_id_for_the_acknowledgement() {
        let e = parse(
            r#"{"type":1,"id":77,"method":"sendMessage","payload":{"te"#,
            MAX,
        )
        .unwrap_err();
        assert_eq!(e.request_id(), Some(77));
        let e = parse(r#"{"type":2,"id":77,"payload":{"te"#, MAX).unwrap_err();
        assert_eq!(e.request_id(), None);
        let e = parse(r#"{"type":1,"id":78} trailing"#, MAX).unwrap_err();
        assert_eq!(e.request_id(), Some(78));
    }

    #[test]
    fn refuses_frames_over_the_limit() {
        let big = format!(
            r#"{{"type":1,"id":4,"method":"m","payload":"{}"}}"#,
            "x".repeat(100)
        );
        let e = parse(&big, 64).unwrap_err();
        assert!(matches!(
            e,
            FrameError::TooLarge {
                max: 64,
                request_id: Some(4),
                ..
            }
        ));
        assert!(parse(&big, 1000).is_ok());
        assert!(matches!(
            parse(&"[".repeat(100), 10),
            Err(FrameError::TooLarge {
                request_id: None,
                ..
            })
        ));
    }

    #[test]
    fn duplicate_keys_are_refused() {
        assert!(parse(r#"{"type":2,"id":1,"id":2}"#, MAX).is_err());
    }

    #[test]
    fn encodes_requests_and_acks() {
        assert_eq!(
            encode_request(1, "auth", r#"{"token":"t"}"#),
            r#"{"type":1,"id":1,"method":"auth","payload":{"token":"t"}}"#
        );
        assert_eq!(
            encode_request(2, "a\"b", " "),
            r#"{"type":1,"id":2,"method":"a\"b","payload":{}}"#
        );
        assert_eq!(
            encode_ack(u64::MAX),
            format!("{{\"type\":2,\"id\":{}}}", u64::MAX)
        );
        let text = encode_request(12, "getChats", r#"{"count":2}"#);
        assert!(matches!(
            parse(&text, MAX),
            Ok(Frame::Request { id: 12, .. })
        ));
    }

    #[test]
    fn response_results() {
        assert_eq!(response_result("{}"), Ok("{}"));
        assert_eq!(
            response_result(r#"{"errorCode":0,"a":1}"#),
            Ok(r#"{"errorCode":0,"a":1}"#)
        );
        assert!(response_result(r#"{"errorCode":null}"#).is_ok());
        assert_eq!(response_result("[1]"), Ok("[1]"));
        assert_eq!(
            response_result(r#"{"errorCode":304}"#),
            Err(TrueConfError::Server {
                code: ErrorCode::CHAT_NOT_FOUND,
                description: None
            })
        );
        assert_eq!(
            response_result(r#"{"errorCode":"203","errorDescription":"expired"}"#),
            Err(TrueConfError::Server {
                code: ErrorCode::CREDENTIALS_EXPIRED,
                description: Some("expired".into())
            })
        );
        assert!(matches!(
            response_result(r#"{"errorCode":true}"#),
            Err(TrueConfError::Malformed(_))
        ));
        assert!(matches!(
            response_result(r#"{"errorCode":1.5}"#),
            Err(TrueConfError::Malformed(_))
        ));
        assert!(matches!(
            response_result("{"),
            Err(TrueConfError::Malformed(_))
        ));
    }

    #[test]
    fn random_and_truncated_inputs_never_panic() {
        let samples = [
            r#"{"type":1,"id":20417,"method":"sendMessage","payload":{"chat":{"chatId":"5e"},"author":{"id":"a@b","type":1},"type":200,"content":{"text":"é","parseMode":"html"}}}"#,
            r#"{"type":2,"id":7,"payload":{"errorCode":304,"errorDescription":"x"}}"#,
            r#"{"type":2,"id":33,"payload":[{"chatId":"a","title":null}]}"#,
        ];
        let mut rng = SeededRng::new(11);
        for round in 0..3000 {
            let base = samples[round % samples.len()];
            let mut bytes = base.as_bytes().to_vec();
            let cut = rng.range(0, bytes.len() as u64) as usize;
            bytes.truncate(cut);
            for _ in 0..rng.range(0, 4) {
                if bytes.is_empty() {
                    break;
                }
                let at = rng.range(0, bytes.len() as u64 - 1) as usize;
                let alphabet = b"{}[]\":,0123456789-.etruanl \\x";
                bytes[at] = alphabet[rng.range(0, alphabet.len() as u64 - 1) as usize];
            }
            let text = String::from_utf8_lossy(&bytes);
            let _ = parse(&text, 256);
            let _ = response_result(&text);
        }
    }
}
