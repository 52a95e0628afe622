//! Untrusted TrueConf bytes (a WebSocket text frame, an event or response payload, a token, the
//! answer of the version probe) must never make a parser panic, whatever they contain.
//!
//! Besides "never panics", it checks cheap invariants: a request frame re-encodes (and its
//! acknowledgement re-parses) with the same id; the id to acknowledge does not depend on the
//! size limit and agrees with an independent reading of the JSON; a typed event names its own
//! method and survives its wire form, and the reader of events kept as JSON gives the same
//! shared event as the typed one; the expiry of a JWT is the payload's numeric `exp`; a
//! probed version prints and re-parses to itself.
#![no_main]

use botwire_core::runtime::model::Payload;
use botwire_core::runtime::trueconf::event_from_server;
use botwire_core::runtime::trueconf_json::event_from_json;
use botwire_core::trueconf::auth::{
    jwt_expiry, parse_auth_response, parse_connects_port, parse_server_info, parse_token,
    parse_vsstatus, JwtError, ServerVersion,
};
use botwire_core::trueconf::events::{parse_event, ServerEvent};
use botwire_core::trueconf::frame::{
    self, encode_ack, encode_request, response_result, Frame, FrameError, DEFAULT_MAX_FRAME_BYTES,
};
use botwire_core::trueconf::methods::{
    parse_response, GetChatHistory, GetChatParticipants, GetChats, GetFileInfo, GetMessageById,
    Method, SendMessage,
};
use botwire_core::trueconf::upload::{
    parse_file_state, parse_progress, parse_send_file, parse_temporal_file_id, parse_upload_task,
};
use botwire_core::trueconf::TrueConfError;
use libfuzzer_sys::fuzz_target;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;
use std::fmt;

/// The 17 documented events, the documentation's alias of the progress event, and one unknown.
const EVENTS: &[&str] = &[
    "sendMessage",
    "editMessage",
    "removeMessage",
    "createP2PChat",
    "createGroupChat",
    "createChannel",
    "createFavoritesChat",
    "removeChat",
    "addChatParticipant",
    "removeChatParticipant",
    "changeParticipantRole",
    "editChatTitle",
    "editChatAvatar",
    "clearHistory",
    "getFileUploadLimits",
    "uploadFileProgress",
    "command",
    "uploadingProgress",
    "somethingNew",
];

/// The top-level members of a JSON object in order, duplicates kept: an independent reading
/// of a frame (`Value` would silently keep the last of two equal keys).
struct Members(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MembersVisitor;
        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = Members;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut members = Vec::new();
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    members.push(entry);
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(MembersVisitor)
    }
}

impl Members {
    /// The value of `key` when it occurs exactly once.
    fn unique(&self, key: &str) -> Option<&Value> {
        let mut found = self.0.iter().filter(|(k, _)| k == key);
        match (found.next(), found.next()) {
            (Some((_, v)), None) => Some(v),
            _ => None,
        }
    }

    fn has_duplicates(&self) -> bool {
        let mut keys: Vec<&str> = self.0.iter().map(|(k, _)| k.as_str()).collect();
        keys.sort_unstable();
        keys.windows(2).any(|w| w[0] == w[1])
    }
}

/// The id the protocol asks to acknowledge, as the parser reports it.
fn ack_id(parsed: &Result<Frame<'_>, FrameError>) -> Option<u64> {
    match parsed {
        Ok(Frame::Request { id, .. }) => Some(*id),
        Ok(Frame::Response { .. }) => None,
        Err(e) => e.request_id(),
    }
}

fn check_frame(text: &str, small_limit: usize) {
    let parsed = frame::parse(text, DEFAULT_MAX_FRAME_BYTES);
    match &parsed {
        Ok(Frame::Request {
            id,
            method,
            payload,
        }) => {
            assert_eq!(
                frame::parse(&encode_ack(*id), DEFAULT_MAX_FRAME_BYTES),
                Ok(Frame::Response {
                    id: *id,
                    payload: None
                })
            );
            let again = encode_request(*id, method, payload);
            assert_eq!(
                frame::parse(&again, DEFAULT_MAX_FRAME_BYTES),
                Ok(Frame::Request {
                    id: *id,
                    method: method.clone(),
                    payload
                }),
                "a request frame does not survive re-encoding"
            );
            let _ = parse_event(method, payload);
        }
        Ok(Frame::Response { payload, .. }) => {
            if let Some(payload) = payload {
                if let Ok(result) = response_result(payload) {
                    assert_eq!(result, *payload);
                }
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }

    // The acknowledgement id does not depend on the size limit.
    let limited = frame::parse(text, small_limit);
    if text.len() > small_limit {
        assert!(matches!(limited, Err(FrameError::TooLarge { .. })));
        assert_eq!(
            ack_id(&limited),
            ack_id(&parsed),
            "the ack id depends on the limit"
        );
    } else {
        assert_eq!(limited, parsed);
    }

    // An independent reading: a well-formed object with one `type` 1 and one unsigned `id`
    // must be acknowledged with that id; one with `type` 2 is a response to that id.
    if !text.trim_start().starts_with('{') {
        assert_eq!(ack_id(&parsed), None);
        assert!(parsed.is_err());
        return;
    }
    let Ok(members) = serde_json::from_str::<Members>(text) else {
        return;
    };
    if members.has_duplicates() {
        return;
    }
    let kind = members.unique("type").and_then(Value::as_u64);
    let id = members.unique("id").and_then(Value::as_u64);
    match (kind, id) {
        (Some(1), Some(id)) => {
            assert_eq!(
                ack_id(&parsed),
                Some(id),
                "a readable request id is not acked"
            );
            let method = members.unique("method").and_then(Value::as_str);
            match (&parsed, method) {
                (Ok(Frame::Request { method: m, .. }), Some(method)) => assert_eq!(m, method),
                (Err(FrameError::InvalidMethod { .. }), None) => {}
                other => panic!("request frame read as {other:?}"),
            }
        }
        (Some(2), Some(id)) => match &parsed {
            Ok(Frame::Response { id: got, payload }) => {
                assert_eq!(*got, id);
                let expected = members.unique("payload");
                let got: Option<Value> = payload.and_then(|p| serde_json::from_str(p).ok());
                if let (Some(expected), Some(got)) = (expected, &got) {
                    assert_eq!(expected, got);
                }
            }
            other => panic!("response frame read as {other:?}"),
        },
        _ => {
            assert_eq!(
                ack_id(&parsed),
                None,
                "acked a frame without a readable request id"
            );
            // A request or response without an unsigned id is refused.
            if kind.is_some_and(|k| k == 1 || k == 2) {
                assert!(
                    parsed.is_err(),
                    "a frame without an unsigned id was accepted"
                );
            }
        }
    }
}

fn check_event(method: &str, payload: &str) {
    let event = parse_event(method, payload);
    let _ = event.chat_id();
    let wire = event.payload_json();
    // The reader of events kept as JSON agrees with the typed path.
    let mut typed = event_from_server(7, event.clone(), payload.to_owned());
    let mut lean = event_from_json(7, method.to_owned(), payload.to_owned());
    assert_eq!(
        lean.payload.trueconf_json().map(|p| p.decoded),
        Some(!matches!(event, ServerEvent::Unknown { .. }))
    );
    typed.payload = Payload::Json(Box::new(Value::Null));
    lean.payload = Payload::Json(Box::new(Value::Null));
    assert_eq!(lean, typed, "{method}: the two readers disagree");
    match &event {
        ServerEvent::Unknown {
            method: m,
            payload: p,
        } => {
            assert_eq!(m, method);
            assert_eq!(p, payload);
            assert_eq!(wire, payload);
        }
        typed => {
            let expected = if method == "uploadingProgress" {
                "uploadFileProgress"
            } else {
                method
            };
            assert_eq!(typed.method(), expected);
            // What a fake server pushes from this event reads back as the same event.
            assert_eq!(
                &parse_event(typed.method(), &wire),
                typed,
                "{method} does not survive its wire form"
            );
        }
    }
}

fn check_response<M: Method>(payload: &str) {
    if let Err(TrueConfError::Server { .. }) = parse_response::<M>(payload) {
        let value: Value = serde_json::from_str(payload).expect("a server error from non-JSON");
        assert!(value.get("errorCode").is_some(), "{}", M::NAME);
    }
}

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
        }
    }
    out
}

fn check_jwt(text: &str, claims: &[u8]) {
    if let Ok(exp) = jwt_expiry(text) {
        assert_eq!(text.split('.').count(), 3);
        let _ = exp;
    }
    // The claims as the payload of an unsigned token: `exp` is read as the JSON says.
    let token = format!("eyJhbGciOiJub25lIn0.{}.", base64url(claims));
    let got = jwt_expiry(&token);
    let Ok(members) = serde_json::from_slice::<Members>(claims) else {
        if serde_json::from_slice::<Value>(claims).is_ok() {
            assert_eq!(got, Err(JwtError::Json), "claims that are not an object");
        }
        return;
    };
    if members.has_duplicates() {
        return;
    }
    let expected = match members.unique("exp") {
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite() && f.abs() < 1e15)
                    .map(|f| f as i64)
            })
            .ok_or(JwtError::NoExp),
        _ => Err(JwtError::NoExp),
    };
    assert_eq!(got, expected);
}

fn check_http(status: u16, body: &[u8]) {
    let ok = (200..300).contains(&status);
    match parse_server_info(status, body) {
        Ok(info) => {
            assert!(ok);
            let printed = info.version.to_string();
            assert_eq!(ServerVersion::parse(&printed), Some(info.version));
        }
        Err(e) => assert_eq!(ok, !matches!(e, TrueConfError::Http { .. })),
    }
    match parse_vsstatus(status, body) {
        Ok(version) => {
            assert!(ok);
            assert!(String::from_utf8_lossy(body).contains("TrueConf Server "));
            assert_eq!(ServerVersion::parse(&version.to_string()), Some(version));
        }
        Err(e) => assert_eq!(ok, !matches!(e, TrueConfError::Http { .. })),
    }
    let _ = parse_connects_port(status, body);
    if let Ok(token) = parse_token(status, body) {
        assert!(ok && !token.is_empty());
    }
    let _ = parse_temporal_file_id(status, body);
}

fuzz_target!(|data: &[u8]| {
    // The first two bytes choose an HTTP status and a small frame limit; all bytes are the
    // input (so that the same bytes are also seen whole).
    let status = match data {
        [a, b, ..] => u16::from_be_bytes([*a, *b]) % 600,
        _ => 200,
    };
    let small_limit = data.first().map_or(0, |b| usize::from(*b)) % (data.len() + 1);
    // Invalid UTF-8 is replaced by the caller (a WebSocket text frame is UTF-8 by contract);
    // valid input is the same text either way.
    let text = String::from_utf8_lossy(data);

    check_frame(&text, small_limit);
    for method in EVENTS {
        check_event(method, &text);
    }
    check_response::<SendMessage>(&text);
    check_response::<GetChats>(&text);
    check_response::<GetChatHistory>(&text);
    check_response::<GetFileInfo>(&text);
    check_response::<GetMessageById>(&text);
    check_response::<GetChatParticipants>(&text);
    let _ = response_result(&text);
    let _ = parse_auth_response(&text);
    let _ = parse_file_state(&text);
    let _ = parse_progress(&text);
    let _ = parse_upload_task(&text);
    let _ = parse_send_file(&text, "tmp");
    check_jwt(&text, data);
    check_http(200, data);
    check_http(status, data);
});
