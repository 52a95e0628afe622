//! The exports exercised from Rust the way a C caller uses them.

use super::*;
use serde_json::Value;
use std::ptr;

const ROOT: &str = "http://127.0.0.1:1";

fn new_client() -> *mut botwire_telegram_client {
    let token = "123:ABC";
    let mut client = ptr::null_mut();
    // SAFETY: valid strings and a writable out-parameter.
    let result = unsafe {
        botwire_telegram_client_new(
            token.as_ptr().cast(),
            token.len(),
            ROOT.as_ptr().cast(),
            ROOT.len(),
            &mut client,
        )
    };
    assert_eq!(result, botwire_result::Ok);
    assert!(!client.is_null());
    client
}

fn poll(client: *mut botwire_telegram_client) -> Option<Value> {
    let mut text = ptr::null();
    let mut len = 0;
    // SAFETY: a live client and writable out-parameters.
    match unsafe { botwire_telegram_client_poll_output(client, &mut text, &mut len) } {
        botwire_result::Ok => {
            // SAFETY: the library wrote a pointer to `len` bytes followed by a NUL.
            let bytes = unsafe { std::slice::from_raw_parts(text.cast::<u8>(), len + 1) };
            assert_eq!(bytes[len], 0, "output is NUL-terminated");
            Some(serde_json::from_slice(&bytes[..len]).expect("output is JSON"))
        }
        botwire_result::Empty => None,
        other => panic!("poll_output failed: {other:?}"),
    }
}

fn last_error() -> String {
    let mut text = ptr::null();
    let mut len = 0;
    // SAFETY: writable out-parameters.
    let result = unsafe { botwire_last_error(&mut text, &mut len) };
    assert_eq!(result, botwire_result::Ok);
    // SAFETY: the library wrote a pointer to `len` bytes.
    let bytes = unsafe { std::slice::from_raw_parts(text.cast::<u8>(), len) };
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn call(client: *mut botwire_telegram_client, method: &str, args: &str) -> (botwire_result, u64) {
    let mut id = 0;
    // SAFETY: a live client, valid strings and a writable out-parameter.
    let result = unsafe {
        botwire_telegram_client_call(
            client,
            0,
            method.as_ptr().cast(),
            method.len(),
            args.as_ptr().cast(),
            args.len(),
            &mut id,
        )
    };
    (result, id)
}

#[test]
fn version_macros_match_the_crate() {
    assert_eq!(
        BOTWIRE_VERSION_MAJOR.to_string(),
        env!("CARGO_PKG_VERSION_MAJOR")
    );
    assert_eq!(
        BOTWIRE_VERSION_MINOR.to_string(),
        env!("CARGO_PKG_VERSION_MINOR")
    );
    assert_eq!(
        BOTWIRE_VERSION_PATCH.to_string(),
        env!("CARGO_PKG_VERSION_PATCH")
    );
    // SAFETY: botwire_version returns a static NUL-terminated string.
    let version = unsafe { std::ffi::CStr::from_ptr(botwire_version()) };
    assert_eq!(version.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
}

#[test]
fn every_result_has_a_message() {
    for code in 0..=19u32 {
        // SAFETY: botwire_result_message returns a static NUL-terminated string.
        let message = unsafe { std::ffi::CStr::from_ptr(botwire_result_message(code)) };
        assert_ne!(
            message.to_str().unwrap(),
            "unknown result code",
            "code {code}"
        );
    }
    // SAFETY: as above.
    let unknown = unsafe { std::ffi::CStr::from_ptr(botwire_result_message(4242)) };
    assert_eq!(unknown.to_str().unwrap(), "unknown result code");
}

#[test]
fn a_call_goes_out_and_its_answer_comes_back() {
    let client = new_client();
    let (result, id) = call(client, "sendMessage", r#"{"chat_id":42,"text":"hi"}"#);
    assert_eq!(result, botwire_result::Ok);

    let request = poll(client).expect("the request");
    assert_eq!(request["type"], "http");
    assert_eq!(request["id"], id);
    assert_eq!(
        request["request"]["url"],
        format!("{ROOT}/bot123:ABC/sendMessage")
    );
    assert_eq!(request["request"]["body"], r#"{"chat_id":42,"text":"hi"}"#);
    assert_eq!(request["request"]["body_encoding"], "utf8");
    assert!(poll(client).is_none());

    let body = br#"{"ok":true,"result":{"message_id":7,"date":1,"chat":{"id":42,"type":"private"},"text":"hi"}}"#;
    // SAFETY: a live client and a valid body.
    let result = unsafe {
        botwire_telegram_client_handle_http_response(client, 5, id, 200, body.as_ptr(), body.len())
    };
    assert_eq!(result, botwire_result::Ok);
    let response = poll(client).expect("the response event");
    assert_eq!(response["event"]["kind"], "response");
    assert_eq!(response["event"]["ok"], true);
    assert_eq!(response["event"]["result"]["message_id"], 7);

    // The same id again is a contract error, reported, not a crash.
    // SAFETY: as above.
    let again = unsafe {
        botwire_telegram_client_handle_http_response(client, 6, id, 200, body.as_ptr(), body.len())
    };
    assert_eq!(again, botwire_result::UnknownRequest);
    assert!(last_error().contains("unknown"), "{}", last_error());

    // SAFETY: the client is live and not used afterwards.
    unsafe { botwire_telegram_client_free(client) };
}

#[test]
fn api_errors_and_transport_failures_are_events() {
    let client = new_client();
    let (_, id) = call(client, "getMe", "");
    let (_, other) = call(client, "getMe", "{}");
    while poll(client).is_some() {}

    let body = br#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 5","parameters":{"retry_after":5}}"#;
    // SAFETY: a live client and a valid body.
    let result = unsafe {
        botwire_telegram_client_handle_http_response(client, 1, id, 429, body.as_ptr(), body.len())
    };
    assert_eq!(result, botwire_result::Ok);
    let event = poll(client).unwrap();
    assert_eq!(event["event"]["ok"], false);
    assert_eq!(event["event"]["error"]["kind"], "retry_after");
    assert_eq!(event["event"]["error"]["retry_after"], 5);

    // SAFETY: a live client.
    let result = unsafe {
        botwire_telegram_client_handle_http_error(
            client,
            2,
            other,
            botwire_http_error_kind::Connect as u32,
        )
    };
    assert_eq!(result, botwire_result::Ok);
    let event = poll(client).unwrap();
    assert_eq!(event["event"]["kind"], "call_failed");
    assert_eq!(event["event"]["error"], "connect");

    // SAFETY: a live client; 99 is no error kind.
    let result = unsafe { botwire_telegram_client_handle_http_error(client, 3, other, 99) };
    assert_eq!(result, botwire_result::InvalidParameter);

    // SAFETY: the client is live and not used afterwards.
    unsafe { botwire_telegram_client_free(client) };
}

#[test]
fn polling_starts_and_arms_a_timer_after_a_failure() {
    let client = new_client();
    let mut at = 0;
    // SAFETY: a live client and writable out-parameters.
    unsafe {
        assert_eq!(
            botwire_telegram_client_poll_timeout(client, &mut at),
            botwire_result::Empty
        );
        assert_eq!(botwire_telegram_client_start(client, 0), botwire_result::Ok);
    }
    let poll_request = poll(client).unwrap();
    assert!(poll_request["request"]["url"]
        .as_str()
        .unwrap()
        .ends_with("/getUpdates"));
    let id = poll_request["id"].as_u64().unwrap();
    // SAFETY: a live client and writable out-parameters.
    unsafe {
        assert_eq!(
            botwire_telegram_client_handle_http_error(
                client,
                100,
                id,
                botwire_http_error_kind::Timeout as u32
            ),
            botwire_result::Ok
        );
        assert_eq!(poll(client).unwrap()["event"]["kind"], "polling_paused");
        assert_eq!(
            botwire_telegram_client_poll_timeout(client, &mut at),
            botwire_result::Ok
        );
        assert!(at > 100);
        assert_eq!(
            botwire_telegram_client_handle_timeout(client, at),
            botwire_result::Ok
        );
    }
    assert_eq!(poll(client).unwrap()["type"], "http");
    // SAFETY: the client is live and not used afterwards.
    unsafe { botwire_telegram_client_free(client) };
}

#[test]
fn bad_parameters_are_refused_with_a_message() {
    let mut client = ptr::null_mut();
    // SAFETY: NULL token, writable out-parameter.
    let result =
        unsafe { botwire_telegram_client_new(ptr::null(), 0, ptr::null(), 0, &mut client) };
    assert_eq!(result, botwire_result::NullParameter);
    assert!(
        client.is_null(),
        "out-parameters are written only on success"
    );
    assert_eq!(last_error(), "token is NULL");

    let bad = b"\xff\xfe";
    // SAFETY: a valid two-byte buffer.
    let result =
        unsafe { botwire_telegram_client_new(bad.as_ptr().cast(), 2, ptr::null(), 0, &mut client) };
    assert_eq!(result, botwire_result::InvalidUtf8);

    let client = new_client();
    assert_eq!(last_error(), "", "a success clears the last error");
    let (result, _) = call(client, "sendMesage", "{}");
    assert_eq!(result, botwire_result::UnknownMethod);
    let (result, _) = call(client, "sendMessage", r#"{"text":"no chat"}"#);
    assert_eq!(result, botwire_result::InvalidArguments);
    assert!(last_error().contains("chat_id"), "{}", last_error());
    assert!(
        poll(client).is_none(),
        "nothing is issued for a refused call"
    );

    // SAFETY: NULL handles are refused or ignored, never dereferenced.
    unsafe {
        assert_eq!(
            botwire_telegram_client_start(ptr::null_mut(), 0),
            botwire_result::NullParameter
        );
        assert_eq!(
            botwire_telegram_client_poll_output(client, ptr::null_mut(), ptr::null_mut()),
            botwire_result::NullParameter
        );
        assert_eq!(
            botwire_telegram_client_handle_http_response(client, 0, 1, 200, ptr::null(), 3),
            botwire_result::NullParameter
        );
        botwire_telegram_client_free(ptr::null_mut());
        botwire_telegram_client_free(client);
    }
}

#[test]
fn a_panic_is_caught_and_poisons_the_client() {
    let client = new_client();
    // SAFETY: a live client.
    let handle = unsafe { client_arg(client) }.ok().unwrap();
    let result = guard(|| {
        with_client(handle, |_| -> Result<botwire_result, Failure> {
            panic!("boom")
        })
    });
    assert_eq!(result, botwire_result::Panic);
    assert_eq!(last_error(), "panic: boom");
    // SAFETY: a live (poisoned) client.
    let result = unsafe { botwire_telegram_client_start(client, 0) };
    assert_eq!(result, botwire_result::Panic);
    // SAFETY: the client is live and not used afterwards.
    unsafe { botwire_telegram_client_free(client) };
}

mod support;

mod bot_abuse;
mod bot_intake;
mod bot_telegram;
mod bot_trueconf;
