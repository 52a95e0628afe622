//! Misuse of the bot's functions: NULL pointers, invalid UTF-8, bad options, unknown
//! values. Every one is a result code with a message, never a crash, and out-parameters are
//! left alone.

use super::support::*;
use crate::actions::*;
use crate::bot::*;
use crate::botwire_result;
use crate::callbacks::*;
use crate::event::*;
use crate::output::*;
use crate::routes::*;
use crate::types::*;
use std::ptr;

const BAD: &[u8] = b"\xff\xfe";

#[test]
fn bot_creation_is_checked() {
    let mut bot = ptr::null_mut();
    // SAFETY: every pointer is NULL or valid for its length.
    unsafe {
        assert_eq!(
            botwire_bot_new(ptr::null(), 5, &mut bot),
            botwire_result::NullParameter
        );
        assert_eq!(
            botwire_bot_new(BAD.as_ptr().cast(), BAD.len(), &mut bot),
            botwire_result::InvalidUtf8
        );
        let (p, l) = s(r#"{"platform":"telegram","tokn":"x"}"#);
        assert_eq!(
            botwire_bot_new(p, l, &mut bot),
            botwire_result::InvalidOptions
        );
        assert!(last_error().contains("tokn"), "{}", last_error());
        let (p, l) = s(r#"{"platform":"telegram","token":"1:A"}"#);
        assert_eq!(
            botwire_bot_new(p, l, ptr::null_mut()),
            botwire_result::NullParameter
        );
        let (p, l) = s(
            r#"{"platform":"telegram","token":"1:A","flood":{"perChat":{"max":0,"windowMs":1}}}"#,
        );
        assert_eq!(
            botwire_bot_new(p, l, &mut bot),
            botwire_result::InvalidOptions
        );
    }
    assert!(bot.is_null(), "out-parameters are written only on success");
    // SAFETY: NULL is accepted.
    unsafe { botwire_bot_free(ptr::null_mut()) };
}

#[test]
fn null_handles_and_out_parameters_are_refused() {
    let bot = new_bot(&telegram_options(""));
    let mut id = 7;
    let mut at = 7;
    let mut output = ptr::null();
    let (chat, chat_len) = s("telegram:1");
    let (text, text_len) = s("hi");
    // SAFETY: every pointer is NULL, a live handle or valid for its length.
    unsafe {
        assert_eq!(
            botwire_bot_start(ptr::null_mut(), 0),
            botwire_result::NullParameter
        );
        assert_eq!(
            botwire_bot_stop(ptr::null_mut(), 0),
            botwire_result::NullParameter
        );
        assert_eq!(
            botwire_bot_poll_output(ptr::null_mut(), &mut output),
            botwire_result::NullParameter
        );
        assert_eq!(
            botwire_bot_poll_output(bot, ptr::null_mut()),
            botwire_result::NullParameter
        );
        assert_eq!(
            botwire_bot_poll_timeout(bot, ptr::null_mut()),
            botwire_result::NullParameter
        );
        assert_eq!(
            botwire_bot_poll_timeout(bot, &mut at),
            botwire_result::Empty
        );
        assert_eq!(at, 7);
        assert_eq!(
            botwire_bot_handle_http_response(bot, 0, 1, 200, ptr::null(), 5),
            botwire_result::NullParameter
        );
        assert_eq!(
            botwire_bot_send_text(
                bot,
                0,
                chat,
                chat_len,
                text,
                text_len,
                ptr::null(),
                0,
                ptr::null_mut()
            ),
            botwire_result::NullParameter
        );
        assert_eq!(
            botwire_bot_send_text(
                bot,
                0,
                ptr::null(),
                3,
                text,
                text_len,
                ptr::null(),
                0,
                &mut id
            ),
            botwire_result::NullParameter
        );
        assert_eq!(
            botwire_bot_send_text(
                bot,
                0,
                chat,
                chat_len,
                BAD.as_ptr().cast(),
                BAD.len(),
                ptr::null(),
                0,
                &mut id
            ),
            botwire_result::InvalidUtf8
        );
        let (o, ol) = s("{not json");
        assert_eq!(
            botwire_bot_send_text(bot, 0, chat, chat_len, text, text_len, o, ol, &mut id),
            botwire_result::InvalidJson
        );
        assert_eq!(id, 7, "out-parameters are written only on success");
        assert_eq!(
            botwire_bot_reply(bot, 0, ptr::null(), text, text_len, ptr::null(), 0, &mut id),
            botwire_result::NullParameter
        );
        assert_eq!(
            botwire_bot_call(bot, 0, ptr::null(), 0, ptr::null(), 0, &mut id),
            botwire_result::NullParameter
        );
        assert_eq!(
            botwire_bot_act(bot, 0, BAD.as_ptr().cast(), BAD.len(), &mut id),
            botwire_result::InvalidUtf8
        );
        assert_eq!(
            botwire_bot_send_file(
                bot,
                0,
                chat,
                chat_len,
                42,
                text,
                text_len,
                ptr::null(),
                0,
                ptr::null(),
                0,
                ptr::null(),
                0,
                &mut id
            ),
            botwire_result::InvalidParameter
        );
        assert_eq!(
            botwire_bot_complete(ptr::null_mut(), 0, 1),
            botwire_result::NullParameter
        );
        assert_eq!(
            botwire_bot_fail(bot, 0, 1, BAD.as_ptr().cast(), BAD.len()),
            botwire_result::InvalidUtf8
        );
        let mut out = botwire_str {
            ptr: ptr::null(),
            len: 0,
        };
        assert_eq!(
            botwire_bot_conversation_get(bot, ptr::null(), 1, &mut out),
            botwire_result::NullParameter
        );
        assert_eq!(
            botwire_bot_export_state(bot, 0, ptr::null_mut()),
            botwire_result::NullParameter
        );
        assert_eq!(
            botwire_bot_export_state(bot, 0, &mut out),
            botwire_result::Ok
        );
        assert!(read(out).contains("cursor"));
        let mut restored = 0;
        let (st, stl) = s("[1,2]");
        assert_eq!(
            botwire_bot_restore_state(bot, 0, st, stl, 0, &mut restored),
            botwire_result::InvalidJson
        );
        let mut count = 0;
        assert_eq!(
            botwire_bot_conversations_restore(bot, 0, &mut count),
            botwire_result::WrongState,
            "no host storage"
        );
        let mut status = 0;
        let headers = [botwire_header {
            name: botwire_str {
                ptr: BAD.as_ptr().cast(),
                len: BAD.len(),
            },
            value: botwire_str {
                ptr: text,
                len: text_len,
            },
        }];
        assert_eq!(
            botwire_bot_handle_webhook(
                bot,
                0,
                headers.as_ptr(),
                1,
                ptr::null(),
                0,
                &mut status,
                &mut out
            ),
            botwire_result::InvalidUtf8
        );
        assert_eq!(
            botwire_bot_handle_webhook(
                bot,
                0,
                ptr::null(),
                1,
                ptr::null(),
                0,
                &mut status,
                &mut out
            ),
            botwire_result::NullParameter
        );
        // A polling bot takes no webhook deliveries and no handed-in updates.
        assert_eq!(
            botwire_bot_handle_webhook(
                bot,
                0,
                ptr::null(),
                0,
                ptr::null(),
                0,
                &mut status,
                &mut out
            ),
            botwire_result::Ok
        );
        assert_eq!(status, 404);
        let (u, ul) = s(r#"{"update_id":1}"#);
        assert_eq!(
            botwire_bot_handle_update(bot, 0, u, ul),
            botwire_result::WrongState
        );
        botwire_bot_free(bot);
    }
}

#[test]
fn routes_are_checked() {
    let bot = new_bot(&telegram_options(""));
    let (p, l) = s("start");
    // SAFETY: every pointer is NULL, a live handle or valid for its length.
    unsafe {
        assert_eq!(
            botwire_bot_on_command(bot, p, l, None, ptr::null_mut()),
            botwire_result::NullParameter
        );
        assert_eq!(
            botwire_bot_on_command(bot, ptr::null(), 1, Some(record_handler), ptr::null_mut()),
            botwire_result::NullParameter
        );
        let (two, two_len) = s("two words");
        assert_eq!(
            botwire_bot_on_command(bot, two, two_len, Some(record_handler), ptr::null_mut()),
            botwire_result::InvalidParameter
        );
        let (re, re_len) = s("(unclosed");
        assert_eq!(
            botwire_bot_on_text(
                bot,
                re,
                re_len,
                false,
                Some(record_handler),
                ptr::null_mut()
            ),
            botwire_result::InvalidPattern
        );
        assert_eq!(
            botwire_bot_on_callback_regex(bot, re, re_len, Some(record_handler), ptr::null_mut()),
            botwire_result::InvalidPattern
        );
        assert_eq!(
            botwire_bot_on_inline_query(bot, re, re_len, Some(record_handler), ptr::null_mut()),
            botwire_result::InvalidPattern
        );
        assert_eq!(
            botwire_bot_on(
                bot,
                99,
                ptr::null(),
                0,
                Some(record_handler),
                ptr::null_mut()
            ),
            botwire_result::InvalidParameter
        );
        assert_eq!(
            botwire_bot_on(
                bot,
                botwire_event_kind::ButtonPress as u32,
                BAD.as_ptr().cast(),
                BAD.len(),
                Some(record_handler),
                ptr::null_mut()
            ),
            botwire_result::InvalidUtf8
        );
        assert_eq!(
            botwire_bot_on(
                bot,
                botwire_event_kind::Message as u32,
                ptr::null(),
                0,
                Some(record_handler),
                ptr::null_mut()
            ),
            botwire_result::Ok
        );
        assert_eq!(
            botwire_bot_set_username(bot, BAD.as_ptr().cast(), BAD.len()),
            botwire_result::InvalidUtf8
        );
        assert_eq!(
            botwire_bot_set_username(bot, ptr::null(), 0),
            botwire_result::Ok
        );
        botwire_bot_free(bot);
    }
}

#[test]
fn accessors_refuse_null() {
    let mut out = botwire_str {
        ptr: ptr::null(),
        len: 0,
    };
    let mut kind = botwire_output_kind::Notice;
    let mut id = 0;
    let mut ok = false;
    let mut request = botwire_http_request {
        method: out,
        url: out,
        headers: ptr::null(),
        header_count: 0,
        body: ptr::null(),
        body_len: 0,
        timeout_ms: 0,
    };
    // SAFETY: NULL handles are refused, never dereferenced.
    unsafe {
        assert_eq!(
            botwire_event_text(ptr::null(), &mut out),
            botwire_result::NullParameter
        );
        assert_eq!(
            botwire_event_json(ptr::null(), &mut out),
            botwire_result::NullParameter
        );
        assert_eq!(
            botwire_event_named_capture(ptr::null(), ptr::null(), 0, &mut out),
            botwire_result::NullParameter
        );
        assert_eq!(
            botwire_output_get_kind(ptr::null(), &mut kind),
            botwire_result::NullParameter
        );
        assert_eq!(
            botwire_output_id(ptr::null(), &mut id),
            botwire_result::NullParameter
        );
        assert_eq!(
            botwire_output_http_request(ptr::null(), &mut request),
            botwire_result::NullParameter
        );
        assert_eq!(
            botwire_output_json(ptr::null(), &mut out),
            botwire_result::NullParameter
        );
        assert_eq!(
            botwire_call_result_status(ptr::null(), &mut id, &mut ok),
            botwire_result::NullParameter
        );
        assert_eq!(
            botwire_call_result_json(ptr::null(), &mut out),
            botwire_result::NullParameter
        );
        assert_eq!(
            botwire_storage_value_set(ptr::null_mut(), ptr::null(), 0),
            botwire_result::NullParameter
        );
        assert_eq!(
            botwire_storage_keys_add(ptr::null_mut(), ptr::null(), 0),
            botwire_result::NullParameter
        );
    }
}

#[test]
fn pull_outputs_have_accessors_for_their_kind_only() {
    let bot = new_bot(&telegram_options(""));
    let mut output = ptr::null();
    // SAFETY: a live bot and writable out-parameters; the output lives until the next poll.
    unsafe {
        assert_eq!(botwire_bot_start(bot, 0), botwire_result::Ok);
        assert_eq!(
            botwire_bot_poll_output(bot, &mut output),
            botwire_result::Ok
        );
        let mut kind = botwire_output_kind::Notice;
        assert_eq!(
            botwire_output_get_kind(output, &mut kind),
            botwire_result::Ok
        );
        assert_eq!(kind, botwire_output_kind::HttpRequest);
        let mut request = std::mem::zeroed::<botwire_http_request>();
        assert_eq!(
            botwire_output_http_request(output, &mut request),
            botwire_result::Ok
        );
        let request = request_from(&request);
        assert!(request.url.ends_with("/getUpdates"), "{}", request.url);
        assert!(request.timeout_ms.is_some());
        let mut out = botwire_str {
            ptr: ptr::null(),
            len: 0,
        };
        assert_eq!(botwire_output_text(output, &mut out), botwire_result::Empty);
        assert_eq!(
            botwire_output_ws_url(output, &mut out),
            botwire_result::Empty
        );
        let mut event = ptr::null();
        assert_eq!(
            botwire_output_event(output, &mut event),
            botwire_result::Empty
        );
        let mut result = ptr::null();
        assert_eq!(
            botwire_output_call_result(output, &mut result),
            botwire_result::Empty
        );
        assert_eq!(botwire_output_json(output, &mut out), botwire_result::Ok);
        let json: serde_json::Value = serde_json::from_str(&read(out)).unwrap();
        assert_eq!(json["type"], "http");
        assert_eq!(
            botwire_bot_poll_output(bot, &mut output),
            botwire_result::Empty
        );
        // The poll's transport timeout is the host's (request.timeout_ms): no timer yet.
        let mut at = 0;
        assert_eq!(
            botwire_bot_poll_timeout(bot, &mut at),
            botwire_result::Empty
        );
        botwire_bot_free(bot);
    }
}

#[test]
fn callback_tables_are_versioned() {
    let bot = new_bot(&telegram_options(""));
    // SAFETY: a zeroed table is a valid value (every function NULL).
    let mut table: botwire_io_callbacks = unsafe { std::mem::zeroed() };
    table.version = 99;
    // SAFETY: a live bot and a readable table.
    unsafe {
        assert_eq!(
            botwire_bot_set_callbacks(bot, &table),
            botwire_result::InvalidParameter
        );
        assert!(last_error().contains("version"), "{}", last_error());
        table.version = BOTWIRE_IO_CALLBACKS_VERSION;
        assert_eq!(botwire_bot_set_callbacks(bot, &table), botwire_result::Ok);
        assert_eq!(
            botwire_bot_set_callbacks(bot, ptr::null()),
            botwire_result::Ok
        );
        assert_eq!(
            botwire_bot_set_callbacks(ptr::null_mut(), &table),
            botwire_result::NullParameter
        );
        botwire_bot_free(bot);
    }
}

#[test]
fn a_trueconf_bot_refuses_telegram_only_inputs() {
    let bot = new_bot(&trueconf_options(""));
    let (u, ul) = s(r#"{"update_id":1}"#);
    // SAFETY: a live bot and valid strings.
    unsafe {
        assert_eq!(
            botwire_bot_handle_update(bot, 0, u, ul),
            botwire_result::NotSupported
        );
        let (n, nl) = s("not json");
        assert_eq!(
            botwire_bot_handle_update(bot, 0, n, nl),
            botwire_result::InvalidJson
        );
        botwire_bot_free(bot);
    }
}

#[test]
fn a_panic_inside_the_bot_is_caught_and_poisons_it() {
    let bot = new_bot(&telegram_options(""));
    // SAFETY: a live bot.
    let handle = unsafe { bot_arg(bot) }.ok().unwrap();
    let result = crate::guard(|| {
        handle.with_state(|_| -> Result<botwire_result, crate::Failure> { panic!("boom") })
    });
    assert_eq!(result, botwire_result::Panic);
    assert_eq!(last_error(), "panic: boom");
    let mut at = 0;
    // SAFETY: a live (poisoned) bot; it can still be freed.
    unsafe {
        assert_eq!(botwire_bot_start(bot, 0), botwire_result::Panic);
        assert_eq!(
            botwire_bot_poll_timeout(bot, &mut at),
            botwire_result::Panic
        );
        botwire_bot_free(bot);
    }
}
