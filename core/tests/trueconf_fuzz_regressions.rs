//! Hostile inputs for the TrueConf layer, replayed through the code paths of the fuzz targets in
//! `core/fuzz` (`trueconf_frame`, `trueconf_session_sequence`): the frame codec, the event
//! parser, the token and probe parsers, and a connected session. Crashers those targets find
//! are added here as byte strings.
//!
//! The inputs are the classic ones: deep nesting, numbers beyond every integer type, ids at
//! `u64::MAX`, negative and fractional ids, lone surrogates, and invalid UTF-8 (which the
//! caller replaces before the text reaches the core, as a WebSocket text frame is UTF-8 by
//! contract). Each must give the documented error, never a panic.

use base64::Engine as _;
use botwire_core::io::{ConnId, HttpErrorKind, RequestId};
use botwire_core::trueconf::auth::{jwt_expiry, parse_server_info, parse_vsstatus, JwtError};
use botwire_core::trueconf::events::{parse_event, ServerEvent};
use botwire_core::trueconf::frame::{self, encode_ack, Frame, FrameError, DEFAULT_MAX_FRAME_BYTES};
use botwire_core::trueconf::session::{
    ContractError, Credentials, Output, SessionConfig, SessionEvent, TrueConfSession,
};
use botwire_core::trueconf::TrueConfError;

const MAX: usize = DEFAULT_MAX_FRAME_BYTES;

/// A request frame whose payload is nested `depth` arrays deep (closed when `closed`).
fn deep_array_frame(id: u64, depth: usize, closed: bool) -> String {
    let close = if closed {
        "]".repeat(depth) + "}"
    } else {
        String::new()
    };
    format!(
        r#"{{"type":1,"id":{id},"method":"sendMessage","payload":{}{close}"#,
        "[".repeat(depth)
    )
}

/// A request frame whose payload is nested `depth` objects deep.
fn deep_object_frame(id: u64, depth: usize) -> String {
    format!(
        r#"{{"type":1,"id":{id},"method":"editChatTitle","payload":{}1{}}}"#,
        r#"{"a":"#.repeat(depth),
        "}".repeat(depth)
    )
}

/// What the caller does with the bytes of a text frame before handing them to the core.
fn as_text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn ack_id(text: &str) -> Option<u64> {
    match frame::parse(text, MAX) {
        Ok(Frame::Request { id, .. }) => Some(id),
        Ok(Frame::Response { .. }) => None,
        Err(e) => e.request_id(),
    }
}

#[test]
fn deep_nesting_is_read_or_refused_without_exhausting_the_stack() {
    // A balanced payload a hundred thousand levels deep: the codec only skips over it (no
    // recursion), so the frame is read and acknowledged; typing it stops at serde_json's
    // recursion limit and keeps it raw.
    let text = deep_array_frame(9, 100_000, true);
    let Ok(Frame::Request {
        id: 9,
        method,
        payload,
    }) = frame::parse(&text, MAX)
    else {
        panic!("a deep but balanced frame was not read");
    };
    assert!(matches!(
        parse_event(&method, payload),
        ServerEvent::Unknown { .. }
    ));
    let text = deep_object_frame(10, 50_000);
    let Ok(Frame::Request { payload, .. }) = frame::parse(&text, MAX) else {
        panic!("a deep but balanced frame was not read");
    };
    assert!(matches!(
        parse_event("editChatTitle", payload),
        ServerEvent::Unknown { .. }
    ));

    // Truncated deep nesting keeps the header for the acknowledgement.
    let e = frame::parse(&deep_array_frame(11, 100_000, false), MAX).unwrap_err();
    assert!(matches!(e, FrameError::NotJson { .. }));
    assert_eq!(e.request_id(), Some(11));

    // Deep nesting in an unknown member is skipped over as well: this frame only lacks its
    // method, and its id is still acknowledged.
    let text = format!(
        r#"{{"type":1,"id":12,"x":{}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert_eq!(
        frame::parse(&text, MAX),
        Err(FrameError::InvalidMethod { id: 12 })
    );

    // Deep nesting that is not an object at all.
    let e = frame::parse(&"[".repeat(1_000_000), MAX).unwrap_err();
    assert!(matches!(
        e,
        FrameError::NotJson {
            request_id: None,
            ..
        }
    ));
}

#[test]
fn ids_beyond_u64_negative_or_fractional_are_invalid_and_not_acknowledged() {
    for id in [
        "18446744073709551616",
        "99999999999999999999999999999999",
        "1e400",
        "-1",
        "-0",
        "-9223372036854775808",
        "1.0",
        "1e2",
        "5.5",
        r#""7""#,
        "null",
        "true",
        "[1]",
    ] {
        for kind in [1, 2] {
            let text =
                format!(r#"{{"type":{kind},"id":{id},"method":"removeChat","payload":{{}}}}"#);
            let e = frame::parse(&text, MAX).unwrap_err();
            assert!(matches!(e, FrameError::InvalidId(_)), "{text}: {e:?}");
            assert_eq!(e.request_id(), None, "{text}");
        }
    }
    for kind in ["1e400", "1.0", "-1", "18446744073709551617", r#""1""#] {
        let text = format!(r#"{{"type":{kind},"id":1}}"#);
        assert!(matches!(
            frame::parse(&text, MAX),
            Err(FrameError::InvalidType(_))
        ));
    }
}

#[test]
fn ids_at_u64_max_are_read_and_acknowledged_with_the_same_id() {
    let text = format!(
        r#"{{"type":1,"id":{},"method":"removeChat","payload":{{"chatId":"c"}}}}"#,
        u64::MAX
    );
    assert!(matches!(
        frame::parse(&text, MAX),
        Ok(Frame::Request { id: u64::MAX, .. })
    ));
    assert_eq!(
        frame::parse(&encode_ack(u64::MAX), MAX),
        Ok(Frame::Response {
            id: u64::MAX,
            payload: None
        })
    );
    // A request id that is readable though its method is not.
    let text = format!(r#"{{"type":1,"id":{},"method":1e400}}"#, u64::MAX);
    assert_eq!(
        frame::parse(&text, MAX),
        Err(FrameError::InvalidMethod { id: u64::MAX })
    );
}

#[test]
fn huge_numbers_inside_payloads_pass_through_untyped() {
    let text =
        r#"{"type":2,"id":3,"payload":{"n":1e400,"m":-1e400,"k":123456789012345678901234567890}}"#;
    let Ok(Frame::Response {
        id: 3,
        payload: Some(payload),
    }) = frame::parse(text, MAX)
    else {
        panic!("not read");
    };
    assert_eq!(frame::response_result(payload), Ok(payload));
    assert!(matches!(
        frame::response_result(r#"{"errorCode":1e400}"#),
        Err(TrueConfError::Malformed(_))
    ));
    assert!(matches!(
        frame::response_result(r#"{"errorCode":99999999999999999999999}"#),
        Err(TrueConfError::Malformed(_))
    ));
    assert!(matches!(
        parse_event("uploadFileProgress", r#"{"fileId":"f","progress":1e400}"#),
        ServerEvent::Unknown { .. }
    ));
    assert!(matches!(
        parse_event(
            "clearHistory",
            r#"{"chatId":"c","forAll":18446744073709551616}"#
        ),
        ServerEvent::Unknown { .. }
    ));
}

#[test]
fn invalid_utf8_is_replaced_by_the_caller_and_the_frame_still_read() {
    let inputs: [&[u8]; 4] = [
        b"{\"type\":1,\"id\":3,\"method\":\"sendMessage\",\"payload\":{\"text\":\"\xff\xfe\"}}",
        b"{\"type\":1,\"id\":4,\"method\":\"remove\xc3Chat\",\"payload\":{}}",
        b"{\"type\":1,\"id\":5,\"method\":\"x\",\"payload\":{\"overlong\":\"\xc0\xaf\",\"surrogate\":\"\xed\xa0\x80\"}}",
        b"{\"type\":1,\"id\":6,\"method\":\"x\",\"payload\":{\"cut\":\"\xe2\x82",
    ];
    let expected = [Some(3), Some(4), Some(5), Some(6)];
    for (bytes, id) in inputs.iter().zip(expected) {
        let text = as_text(bytes);
        assert!(text.contains('\u{fffd}'));
        assert_eq!(ack_id(&text), id, "{text}");
    }
    // A byte-order mark is not JSON whitespace: the frame is not read, nothing to acknowledge.
    let text = "\u{feff}{\"type\":1,\"id\":7,\"method\":\"x\"}";
    assert!(matches!(
        frame::parse(text, MAX),
        Err(FrameError::NotJson {
            request_id: None,
            ..
        })
    ));
}

#[test]
fn lone_surrogate_escapes_are_refused_where_text_is_decoded() {
    // The method must be decoded: refused, but the id is still acknowledged.
    let text = r#"{"type":1,"id":8,"method":"\ud800","payload":{}}"#;
    assert_eq!(
        frame::parse(text, MAX),
        Err(FrameError::InvalidMethod { id: 8 })
    );
    // A payload is passed on raw; typing it fails and keeps it raw.
    let text = r#"{"type":1,"id":9,"method":"removeChat","payload":{"chatId":"\udc00"}}"#;
    let Ok(Frame::Request { payload, .. }) = frame::parse(text, MAX) else {
        panic!("not read");
    };
    assert_eq!(
        parse_event("removeChat", payload),
        ServerEvent::Unknown {
            method: "removeChat".into(),
            payload: payload.to_owned()
        }
    );
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn unsigned_jwt(claims: &str) -> String {
    format!("{}.{}.", b64(br#"{"alg":"none"}"#), b64(claims.as_bytes()))
}

#[test]
fn token_expiry_of_extreme_claims() {
    let cases: [(&str, Result<i64, JwtError>); 11] = [
        (r#"{"exp":1e400}"#, Err(JwtError::Json)),
        (r#"{"exp":9223372036854775808}"#, Err(JwtError::NoExp)),
        (r#"{"exp":18446744073709551615}"#, Err(JwtError::NoExp)),
        (r#"{"exp":-9223372036854775808}"#, Ok(i64::MIN)),
        (r#"{"exp":9223372036854775807}"#, Ok(i64::MAX)),
        (r#"{"exp":1e14}"#, Ok(100_000_000_000_000)),
        (r#"{"exp":1e15}"#, Err(JwtError::NoExp)),
        (r#"{"exp":"1800000000"}"#, Err(JwtError::NoExp)),
        (r#"{"exp":1,"exp":2}"#, Err(JwtError::Json)),
        (r#"[{"exp":1}]"#, Err(JwtError::Json)),
        (r#"{"exp":null}"#, Err(JwtError::NoExp)),
    ];
    for (claims, expected) in cases {
        assert_eq!(jwt_expiry(&unsigned_jwt(claims)), expected, "{claims}");
    }
    // Deep nesting: skipped in a claim that is not read, refused in `exp`.
    let deep = format!(r#"{{"x":{}{}}}"#, "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(jwt_expiry(&unsigned_jwt(&deep)), Err(JwtError::NoExp));
    let deep = format!(
        r#"{{"exp":{}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert_eq!(jwt_expiry(&unsigned_jwt(&deep)), Err(JwtError::Json));
    assert_eq!(jwt_expiry("a.b.c.d"), Err(JwtError::Shape));
    assert_eq!(jwt_expiry("a..c"), Err(JwtError::Shape));
    assert_eq!(jwt_expiry("a.*.c"), Err(JwtError::Base64));
    assert_eq!(jwt_expiry(&as_text(b"a.\xff\xfe.c")), Err(JwtError::Base64));
}

#[test]
fn probe_answers_with_extreme_versions() {
    let info = |v: &str| {
        parse_server_info(
            200,
            format!(r#"{{"product":{{"version":"{v}"}}}}"#).as_bytes(),
        )
    };
    assert!(matches!(
        info("4294967296.0.0"),
        Err(TrueConfError::Malformed(_))
    ));
    assert!(matches!(info(""), Err(TrueConfError::Malformed(_))));
    let v = info("5.5.6.99999999999").unwrap().version;
    assert_eq!((v.major, v.minor, v.patch, v.build), (5, 5, 6, None));
    let deep = format!(
        r#"{{"product":{}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(matches!(
        parse_server_info(200, deep.as_bytes()),
        Err(TrueConfError::Malformed(_))
    ));
    assert!(matches!(
        parse_server_info(200, b"\xff{"),
        Err(TrueConfError::Malformed(_))
    ));

    let page = "TrueConf Server ".repeat(10_000);
    assert!(matches!(
        parse_vsstatus(200, page.as_bytes()),
        Err(TrueConfError::Malformed(_))
    ));
    assert!(matches!(
        parse_vsstatus(200, b"TrueConf Server 4294967296.1.1"),
        Err(TrueConfError::Malformed(_))
    ));
    let v = parse_vsstatus(200, b"\xff\xfeTrueConf Server 5.5.3.100.\xc3 up").unwrap();
    assert_eq!((v.major, v.minor, v.patch, v.build), (5, 5, 3, Some(100)));
    assert!(matches!(
        parse_vsstatus(599, b"TrueConf Server 5.5.6"),
        Err(TrueConfError::Http { status: 599, .. })
    ));
}

/// A session past `auth`, its outputs drained.
fn connected_session() -> (TrueConfSession, ConnId) {
    let token = unsigned_jwt(r#"{"exp":4000000000}"#);
    let mut config = SessionConfig::new("tc.example", 443, true, Credentials::Token(token));
    config.probe_version = false;
    config.keep_alive = None;
    let mut session = TrueConfSession::new(config);
    session.start(0).unwrap();
    let Some(Output::WsOpen { conn, .. }) = session.poll_output() else {
        panic!("no socket");
    };
    session.handle_ws_opened(1, conn).unwrap();
    session
        .handle_ws_frame(
            2,
            conn,
            r#"{"type":2,"id":1,"payload":{"userId":"bot@tc.example/1","connectionId":"c"}}"#,
        )
        .unwrap();
    while session.poll_output().is_some() {}
    (session, conn)
}

/// Hands one frame to the session; returns the acknowledged ids and the events.
fn replay(
    session: &mut TrueConfSession,
    conn: ConnId,
    text: &str,
) -> (Vec<u64>, Vec<SessionEvent>) {
    session.handle_ws_frame(3, conn, text).unwrap();
    let mut acks = Vec::new();
    let mut events = Vec::new();
    for _ in 0..10_000 {
        match session.poll_output() {
            Some(Output::WsSend { conn: c, text }) => {
                assert_eq!(c, conn);
                match frame::parse(&text, MAX) {
                    Ok(Frame::Response { id, payload: None }) => acks.push(id),
                    other => panic!("unexpected frame {other:?}"),
                }
            }
            Some(Output::Event(e)) => events.push(e),
            Some(other) => panic!("unexpected output {other:?}"),
            None => return (acks, events),
        }
    }
    panic!("outputs never ran dry");
}

#[test]
fn a_connected_session_survives_every_hostile_frame_and_acks_exactly_the_readable_ids() {
    let (mut session, conn) = connected_session();
    let mut frames = vec![
        deep_array_frame(9, 100_000, true),
        deep_object_frame(10, 50_000),
        deep_array_frame(11, 100_000, false),
        format!(
            r#"{{"type":1,"id":12,"x":{}{}}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        ),
        "[".repeat(1_000_000),
        format!(
            r#"{{"type":1,"id":{},"method":"removeChat","payload":{{"chatId":"c"}}}}"#,
            u64::MAX
        ),
        format!(r#"{{"type":1,"id":{},"method":1e400}}"#, u64::MAX),
        format!(r#"{{"type":2,"id":{},"payload":{{}}}}"#, u64::MAX),
        r#"{"type":2,"id":3,"payload":{"n":1e400}}"#.to_owned(),
        r#"{"type":1,"id":8,"method":"\ud800","payload":{}}"#.to_owned(),
        r#"{"type":1,"id":15,"method":"uploadFileProgress","payload":{"fileId":"f","progress":-1e400}}"#
            .to_owned(),
        "\u{feff}{\"type\":1,\"id\":7,\"method\":\"x\"}".to_owned(),
        as_text(b"{\"type\":1,\"id\":13,\"method\":\"sendMessage\",\"payload\":{\"text\":\"\xff\"}}"),
        as_text(b"{\"type\":1,\"id\":14,\"method\":\"x\",\"payload\":{\"cut\":\"\xe2\x82"),
    ];
    for id in ["-1", "-0", "1.5", "1e400", "18446744073709551616", r#""7""#] {
        frames.push(format!(
            r#"{{"type":1,"id":{id},"method":"removeChat","payload":{{}}}}"#
        ));
    }
    for text in &frames {
        let (acks, events) = replay(&mut session, conn, text);
        let expected: Vec<u64> = ack_id(text).into_iter().collect();
        assert_eq!(acks, expected, "{}", &text[..text.len().min(80)]);
        assert_eq!(events.len(), 1, "{events:?}");
        match &events[0] {
            SessionEvent::Server { frame_id, .. } => assert_eq!(Some(*frame_id), ack_id(text)),
            SessionEvent::Malformed { reason } => assert!(reason.len() < 400),
            other => panic!("unexpected event {other:?}"),
        }
    }
    let expected_acks = [9, 10, 11, 12, u64::MAX, u64::MAX, 8, 15, 13, 14];
    let readable: Vec<u64> = frames.iter().filter_map(|t| ack_id(t)).collect();
    assert_eq!(readable, expected_acks);

    // Ids the session never issued are errors, and change nothing.
    assert_eq!(
        session.handle_http_response(4, RequestId(u64::MAX), 200, b"{}"),
        Err(ContractError::UnknownRequest(RequestId(u64::MAX)))
    );
    assert_eq!(
        session.handle_http_error(4, RequestId(0), HttpErrorKind::Io),
        Err(ContractError::UnknownRequest(RequestId(0)))
    );
    let never = ConnId(u64::MAX);
    assert_eq!(
        session.handle_ws_frame(4, never, r#"{"type":1,"id":1,"method":"x"}"#),
        Err(ContractError::UnknownConnection(never))
    );
    assert_eq!(
        session.handle_ws_pong(4, never),
        Err(ContractError::UnknownConnection(never))
    );
    assert_eq!(
        session.handle_ws_opened(4, never),
        Err(ContractError::UnknownConnection(never))
    );
    assert_eq!(
        session.handle_ws_closed(4, never),
        Err(ContractError::UnknownConnection(never))
    );
    assert_eq!(
        session.handle_ws_opened(4, conn),
        Err(ContractError::AlreadyOpen(conn))
    );
    assert!(session.poll_output().is_none());

    // Extreme clocks and tokens do not overflow anything.
    session.set_wall_clock(u64::MAX, i64::MIN);
    session.set_wall_clock(0, i64::MAX);
    session.handle_timeout(u64::MAX);
    while session.poll_output().is_some() {}
}
