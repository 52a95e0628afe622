//! Router registration: each route names a C handler (function and userdata). Routes are
//! tried in registration order and the first match wins; the catch-all is tried last. An
//! event no route matches goes to the `dispatch` callback, or else out of
//! `botwire_bot_poll_output` as a `BOTWIRE_OUTPUT_KIND_DISPATCH` output.

use crate::bot::{bot_arg, Handler};
use crate::callbacks::botwire_handler_fn;
use crate::types::botwire_event_kind;
use crate::{botwire_result, guard, optional_str_arg, str_arg, Failure};
use botwire_core::runtime::model::EventKind;
use botwire_core::runtime::router::{Filter, Route};
use std::ffi::{c_char, c_void};

/// Adds a route (or with `None`, the catch-all) for a handler.
///
/// # Safety
/// `bot` is NULL or a live handle.
unsafe fn add_route(
    bot: *mut crate::bot::botwire_bot,
    route: Option<Route>,
    handler: botwire_handler_fn,
    userdata: *mut c_void,
) -> Result<botwire_result, Failure> {
    let function = handler.ok_or_else(|| Failure::null("handler"))?;
    // SAFETY: passed on from the caller.
    unsafe { bot_arg(bot) }?.with_state(|s| {
        let index = u32::try_from(s.handlers.len())
            .map_err(|_| Failure::new(botwire_result::InvalidParameter, "too many routes"))?;
        s.handlers.push(Handler { function, userdata });
        match route {
            Some(route) => s.router.add(route, index),
            None => s.router.catch_all(index),
        };
        Ok(botwire_result::Ok)
    })
}

fn pattern_error(error: impl std::fmt::Display) -> Failure {
    Failure::new(botwire_result::InvalidPattern, error.to_string())
}

/// Routes the command `name` (`/name`, `/name@bot args`, without the slash here) of new
/// messages to `handler`, which gets `userdata` first. The handler can read the command and
/// its arguments from the event (`botwire_event_command_*`).
///
/// # Errors
/// `BOTWIRE_RESULT_INVALID_PARAMETER` (an empty name or one with whitespace),
/// `BOTWIRE_RESULT_NULL_PARAMETER` (bot, name or handler), `BOTWIRE_RESULT_INVALID_UTF8`,
/// `BOTWIRE_RESULT_REENTRANT_CALL`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `bot` is NULL or a live handle; `name` is NULL or valid for `name_len` bytes; `handler`
/// stays callable with `userdata` until the bot is freed.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_on_command(
    bot: *mut crate::bot::botwire_bot,
    name: *const c_char,
    name_len: usize,
    handler: botwire_handler_fn,
    userdata: *mut c_void,
) -> botwire_result {
    guard(|| {
        // SAFETY: the caller guarantees the pointer is NULL or valid for its length.
        let name = unsafe { str_arg(name, name_len, "name") }?;
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(Failure::new(
                botwire_result::InvalidParameter,
                "a command name is a non-empty word",
            ));
        }
        let route = Route::command(name).when(Filter::kind(EventKind::Message));
        // SAFETY: passed on from the caller.
        unsafe { add_route(bot, Some(route), handler, userdata) }
    })
}

/// Routes events of `kind` (a `botwire_event_kind` value) to `handler`; with a content type
/// (`"photo"`, `"document"`, ...; NULL for any), only messages of that type.
///
/// # Errors
/// `BOTWIRE_RESULT_INVALID_PARAMETER` (unknown kind), `BOTWIRE_RESULT_NULL_PARAMETER`,
/// `BOTWIRE_RESULT_INVALID_UTF8`, `BOTWIRE_RESULT_REENTRANT_CALL`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// As [`botwire_bot_on_command`]; `content_type` is NULL or valid for `content_type_len`
/// bytes.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_on(
    bot: *mut crate::bot::botwire_bot,
    kind: u32,
    content_type: *const c_char,
    content_type_len: usize,
    handler: botwire_handler_fn,
    userdata: *mut c_void,
) -> botwire_result {
    guard(|| {
        let kind = botwire_event_kind::to_core(kind)?;
        // SAFETY: the caller guarantees the pointer is NULL or valid for its length.
        let content_type =
            unsafe { optional_str_arg(content_type, content_type_len, "content_type") }?;
        let route = Route::on(kind);
        let route = match content_type {
            Some(t) => route.when(Filter::content_type(t)),
            None => route,
        };
        // SAFETY: passed on from the caller.
        unsafe { add_route(bot, Some(route), handler, userdata) }
    })
}

/// Routes button presses whose data equals `data`, or with `prefix`, starts with it (the
/// rest is `botwire_event_callback_rest`).
///
/// # Errors
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_INVALID_UTF8`,
/// `BOTWIRE_RESULT_REENTRANT_CALL`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// As [`botwire_bot_on_command`].
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_on_callback_data(
    bot: *mut crate::bot::botwire_bot,
    data: *const c_char,
    data_len: usize,
    prefix: bool,
    handler: botwire_handler_fn,
    userdata: *mut c_void,
) -> botwire_result {
    guard(|| {
        // SAFETY: the caller guarantees the pointer is NULL or valid for its length.
        let data = unsafe { str_arg(data, data_len, "data") }?;
        let route = if prefix {
            Route::callback_prefix(data)
        } else {
            Route::callback_data(data)
        };
        // SAFETY: passed on from the caller.
        unsafe { add_route(bot, Some(route), handler, userdata) }
    })
}

/// Routes button presses whose data matches the regular expression `pattern` (groups:
/// `botwire_event_capture`).
///
/// # Errors
/// `BOTWIRE_RESULT_INVALID_PATTERN`, `BOTWIRE_RESULT_NULL_PARAMETER`,
/// `BOTWIRE_RESULT_INVALID_UTF8`, `BOTWIRE_RESULT_REENTRANT_CALL`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// As [`botwire_bot_on_command`].
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_on_callback_regex(
    bot: *mut crate::bot::botwire_bot,
    pattern: *const c_char,
    pattern_len: usize,
    handler: botwire_handler_fn,
    userdata: *mut c_void,
) -> botwire_result {
    guard(|| {
        // SAFETY: the caller guarantees the pointer is NULL or valid for its length.
        let pattern = unsafe { str_arg(pattern, pattern_len, "pattern") }?;
        let route = Route::callback_regex(pattern).map_err(pattern_error)?;
        // SAFETY: passed on from the caller.
        unsafe { add_route(bot, Some(route), handler, userdata) }
    })
}

/// Routes new messages whose text matches the regular expression `pattern` (groups:
/// `botwire_event_capture`), or with `exact`, equals `pattern`.
///
/// # Errors
/// `BOTWIRE_RESULT_INVALID_PATTERN`, `BOTWIRE_RESULT_NULL_PARAMETER`,
/// `BOTWIRE_RESULT_INVALID_UTF8`, `BOTWIRE_RESULT_REENTRANT_CALL`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// As [`botwire_bot_on_command`].
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_on_text(
    bot: *mut crate::bot::botwire_bot,
    pattern: *const c_char,
    pattern_len: usize,
    exact: bool,
    handler: botwire_handler_fn,
    userdata: *mut c_void,
) -> botwire_result {
    guard(|| {
        // SAFETY: the caller guarantees the pointer is NULL or valid for its length.
        let pattern = unsafe { str_arg(pattern, pattern_len, "pattern") }?;
        let route = if exact {
            Route::text(pattern)
        } else {
            Route::regex(pattern).map_err(pattern_error)?
        };
        let route = route.when(Filter::kind(EventKind::Message));
        // SAFETY: passed on from the caller.
        unsafe { add_route(bot, Some(route), handler, userdata) }
    })
}

/// Routes inline queries (Telegram) whose text matches `pattern`, or all of them when
/// `pattern` is NULL.
///
/// # Errors
/// `BOTWIRE_RESULT_INVALID_PATTERN`, `BOTWIRE_RESULT_NULL_PARAMETER`,
/// `BOTWIRE_RESULT_INVALID_UTF8`, `BOTWIRE_RESULT_REENTRANT_CALL`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// As [`botwire_bot_on_command`].
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_on_inline_query(
    bot: *mut crate::bot::botwire_bot,
    pattern: *const c_char,
    pattern_len: usize,
    handler: botwire_handler_fn,
    userdata: *mut c_void,
) -> botwire_result {
    guard(|| {
        // SAFETY: the caller guarantees the pointer is NULL or valid for its length.
        let pattern = unsafe { optional_str_arg(pattern, pattern_len, "pattern") }?;
        let route = match pattern {
            Some(p) => Route::regex(p).map_err(pattern_error)?,
            None => Route::catch_all(),
        };
        let route = route.when(Filter::kind(EventKind::InlineQuery));
        // SAFETY: passed on from the caller.
        unsafe { add_route(bot, Some(route), handler, userdata) }
    })
}

/// Sets the handler of events no other route matched (the catch-all; a second call replaces
/// the first).
///
/// # Errors
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_REENTRANT_CALL`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// As [`botwire_bot_on_command`].
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_on_any(
    bot: *mut crate::bot::botwire_bot,
    handler: botwire_handler_fn,
    userdata: *mut c_void,
) -> botwire_result {
    // SAFETY: passed on from the caller.
    guard(|| unsafe { add_route(bot, None, handler, userdata) })
}
