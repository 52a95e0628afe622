//! Untrusted HTTP answers from the Bot API (or anything pretending to be it) must parse to a
//! result or a classified error, never a panic.
#![no_main]

use botwire_core::telegram::api::{find_method, parse_raw};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first two bytes choose the HTTP status, the rest is the body.
    let (status, body) = match data {
        [hi, lo, body @ ..] => (u16::from_be_bytes([*hi, *lo]), body),
        _ => (200, data),
    };
    let _ = parse_raw(status, body);
    let send_message = find_method("sendMessage").expect("sendMessage is in the method table");
    if let Ok(result) = send_message.parse_response(status, body) {
        // The method parser hands back the result text as received: it must be JSON.
        assert!(serde_json::from_str::<serde_json::Value>(result).is_ok());
    }
});
