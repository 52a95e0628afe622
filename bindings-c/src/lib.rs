//! libbotwire: the C ABI of botwire.
//!
//! Two layers:
//!
//! - the bot (`botwire_bot`, module `bot` and its neighbours): a Telegram or TrueConf bot on
//!   the runtime (dispatcher, router, conversations, flood control), created from the npm
//!   package's JSON options and driven in pull mode (`botwire_bot_handle_*` inputs,
//!   `botwire_bot_poll_output` / `botwire_bot_poll_timeout`) or in callback mode (a
//!   versioned table of host functions the library calls itself: HTTP, WebSocket, timer,
//!   storage, handlers);
//! - the Telegram client (`botwire_telegram_client`), the codec-level pull interface whose
//!   outputs are JSON text (the shapes are described in the `json` module).
//!
//! Conventions (modelled on rustls-ffi):
//!
//! - every fallible function returns a [`botwire_result`]; out-parameters are written only when
//!   it is `BOTWIRE_RESULT_OK`;
//! - after a failure, [`botwire_last_error`] gives a message with the details, per thread;
//! - strings are UTF-8 with explicit lengths, never NUL-terminated on input; strings handed out
//!   are borrowed (their lifetime is documented per function) and also NUL-terminated;
//! - the library never hands out memory the caller must release with `free`;
//! - every function catches Rust panics and reports [`botwire_result::Panic`]; a client or
//!   bot that panicked refuses further use (but can still be freed).
//!
//! # Example
//!
//! An echo bot in callback mode (the host's HTTP client and timer are elided; see
//! `bindings-c/README.md` and the examples):
//!
//! ```c
//! static void echo(void *app, botwire_bot *bot, uint64_t dispatch, const botwire_event *ev) {
//!     botwire_str text;
//!     uint64_t call;
//!     if (botwire_event_text(ev, &text) == BOTWIRE_RESULT_OK) {
//!         botwire_bot_reply(bot, now_ms(), ev, text.ptr, text.len, NULL, 0, &call);
//!     }
//!     botwire_bot_complete(bot, now_ms(), dispatch);
//! }
//!
//! botwire_io_callbacks io = {BOTWIRE_IO_CALLBACKS_VERSION, app};
//! io.send_http = app_send_http;   /* answers with botwire_bot_handle_http_response */
//! io.set_timer = app_set_timer;   /* fires botwire_bot_handle_timeout */
//! botwire_bot *bot;
//! botwire_bot_new(options, options_len, &bot);
//! botwire_bot_set_callbacks(bot, &io);
//! botwire_bot_on_any(bot, echo, app);
//! botwire_bot_start(bot, now_ms());
//! ```
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]
// The exported names follow C conventions (`botwire_result`, not `BotwireResult`).
#![allow(non_camel_case_types)]

pub mod actions;
pub mod bot;
pub mod callbacks;
pub mod event;
mod json;
mod machine;
mod options;
pub mod output;
pub mod routes;
mod runtime_options;
pub mod types;

use botwire_core::io::{HttpErrorKind, RequestId};
use botwire_core::telegram::client::ContractError;
use botwire_core::telegram::{ClientConfig, EncodeError, TelegramClient};
use std::cell::RefCell;
use std::ffi::c_char;
use std::panic::{self, AssertUnwindSafe};

/// The system allocator, named: in a static or shared library, Rust's allocations otherwise go
/// through a default-allocator shim before they reach `malloc`, a call each.
#[global_allocator]
static ALLOCATOR: std::alloc::System = std::alloc::System;

/// Major version of the library the header describes (checked against the crate version by a
/// test; compare with [`botwire_version`] at run time).
pub const BOTWIRE_VERSION_MAJOR: u32 = 0;
/// Minor version of the library the header describes.
pub const BOTWIRE_VERSION_MINOR: u32 = 1;
/// Patch version of the library the header describes.
pub const BOTWIRE_VERSION_PATCH: u32 = 0;

/// The outcome of a call. The numbers are part of the ABI: they are never reused or changed.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum botwire_result {
    /// Success; out-parameters were written.
    Ok = 0,
    /// Nothing to hand out: no output is waiting, or no timer needs arming. Not an error;
    /// out-parameters were not written.
    Empty = 1,
    /// A required pointer was NULL.
    NullParameter = 2,
    /// A string was not valid UTF-8.
    InvalidUtf8 = 3,
    /// A parameter had a value outside its range (for example an unknown error kind).
    InvalidParameter = 4,
    /// A Rust panic was caught; a client that panicked refuses further use.
    Panic = 5,
    /// No Bot API method has that name.
    UnknownMethod = 6,
    /// The JSON arguments do not fit the method's parameters.
    InvalidArguments = 7,
    /// The request could not be encoded for another reason (see the last error).
    EncodeFailed = 8,
    /// The request id was never issued by this client or was already answered.
    UnknownRequest = 9,
    /// The WebSocket connection id was never issued, was reported closed, or was replaced.
    UnknownConnection = 10,
    /// The dispatch id was never issued, or its dispatch was already completed, failed or
    /// timed out.
    UnknownDispatch = 11,
    /// The bot's options are invalid (the last error names the option).
    InvalidOptions = 12,
    /// A JSON argument is not valid JSON or does not have the expected shape.
    InvalidJson = 13,
    /// The platform (or this bot's configuration) cannot do this.
    NotSupported = 14,
    /// A queue is full (flood control's send queue, the dispatch queue); try again later.
    QueueFull = 15,
    /// The call was made from a callback that runs while the bot is in use (a storage
    /// callback calling into its bot).
    ReentrantCall = 16,
    /// The conversation storage failed (the host's storage callback reported a failure, or a
    /// stored record is corrupt).
    StorageFailed = 17,
    /// The call does not fit the bot's state (for example a TrueConf session that stopped
    /// for good, restoring conversations while some are live).
    WrongState = 18,
    /// A regular expression does not compile.
    InvalidPattern = 19,
}

/// Why an HTTP request failed without an answer, for
/// [`botwire_telegram_client_handle_http_error`].
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum botwire_http_error_kind {
    /// No answer within the request's `timeout_ms`.
    Timeout = 1,
    /// The connection could not be established (DNS, refused, TLS).
    Connect = 2,
    /// The connection broke while the request or answer was in transit.
    Io = 3,
    /// The host aborted the request (for example after an `abort` output).
    Aborted = 4,
    /// Anything else.
    Other = 5,
}

impl botwire_http_error_kind {
    fn from_u32(value: u32) -> Option<HttpErrorKind> {
        Some(match value {
            1 => HttpErrorKind::Timeout,
            2 => HttpErrorKind::Connect,
            3 => HttpErrorKind::Io,
            4 => HttpErrorKind::Aborted,
            5 => HttpErrorKind::Other,
            _ => return None,
        })
    }
}

/// A Telegram Bot API client (opaque). Create it with [`botwire_telegram_client_new`],
/// release it with [`botwire_telegram_client_free`]. A client is not thread-safe: use it
/// from one thread at a time.
pub struct botwire_telegram_client {
    client: TelegramClient,
    /// The JSON text of the last output handed out, NUL-terminated.
    output: Vec<u8>,
    /// Set when a call panicked: the client's state may be inconsistent.
    poisoned: bool,
}

// ---- failures and the per-thread last error ----

struct Failure {
    code: botwire_result,
    message: String,
}

impl Failure {
    fn new(code: botwire_result, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
        }
    }

    fn null(what: &str) -> Self {
        Failure::new(botwire_result::NullParameter, format!("{what} is NULL"))
    }
}

impl From<EncodeError> for Failure {
    fn from(error: EncodeError) -> Self {
        let code = match error {
            EncodeError::UnknownMethod(_) => botwire_result::UnknownMethod,
            EncodeError::InvalidArguments { .. } => botwire_result::InvalidArguments,
            _ => botwire_result::EncodeFailed,
        };
        Failure::new(code, error.to_string())
    }
}

impl From<ContractError> for Failure {
    fn from(error: ContractError) -> Self {
        Failure::new(botwire_result::UnknownRequest, error.to_string())
    }
}

thread_local! {
    /// The message of the last failed call on this thread, NUL-terminated.
    /// Empty when there is none (read as an empty string).
    static LAST_ERROR: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

fn set_last_error(message: &str) {
    LAST_ERROR.with(|slot| {
        let mut buffer = slot.borrow_mut();
        buffer.clear();
        // An interior NUL would cut the C view of the message short; it cannot come from
        // our own messages, but echoed input could carry one.
        buffer.extend(message.bytes().map(|b| if b == 0 { b'?' } else { b }));
        buffer.push(0);
    });
}

/// Empties the last error message (every successful export ends with it, so it is kept cheap).
fn clear_last_error() {
    LAST_ERROR.with(|slot| {
        slot.borrow_mut().clear();
    });
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        format!("panic: {s}")
    } else if let Some(s) = payload.downcast_ref::<String>() {
        format!("panic: {s}")
    } else {
        "panic".to_owned()
    }
}

/// Runs the body of an export: catches panics, turns failures into a result code plus the last
/// error message, and empties the last error message on success.
fn guard(body: impl FnOnce() -> Result<botwire_result, Failure>) -> botwire_result {
    match panic::catch_unwind(AssertUnwindSafe(body)) {
        // Also empties a message left by a failing call made from a callback during this one.
        Ok(Ok(code)) => {
            clear_last_error();
            code
        }
        Ok(Err(failure)) => {
            set_last_error(&failure.message);
            failure.code
        }
        Err(payload) => {
            set_last_error(&panic_message(payload.as_ref()));
            botwire_result::Panic
        }
    }
}

/// Runs a client operation, catching a panic inside it to poison the client.
fn with_client<T>(
    client: &mut botwire_telegram_client,
    operation: impl FnOnce(&mut botwire_telegram_client) -> Result<T, Failure>,
) -> Result<T, Failure> {
    if client.poisoned {
        return Err(Failure::new(
            botwire_result::Panic,
            "the client is unusable after an earlier panic",
        ));
    }
    match panic::catch_unwind(AssertUnwindSafe(|| operation(client))) {
        Ok(result) => result,
        Err(payload) => {
            client.poisoned = true;
            Err(Failure::new(
                botwire_result::Panic,
                panic_message(payload.as_ref()),
            ))
        }
    }
}

// ---- reading parameters ----

/// Borrows `len` bytes at `ptr`; NULL is accepted when `len` is 0.
///
/// # Safety
/// `ptr` is NULL or points to `len` readable bytes that stay unchanged during the call.
unsafe fn bytes_arg<'a>(ptr: *const u8, len: usize, what: &str) -> Result<&'a [u8], Failure> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(Failure::null(what))
        };
    }
    // SAFETY: not NULL, and the caller guarantees `len` readable bytes for the call's duration.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Borrows a required UTF-8 string; NULL is refused.
///
/// # Safety
/// As [`bytes_arg`].
unsafe fn str_arg<'a>(ptr: *const c_char, len: usize, what: &str) -> Result<&'a str, Failure> {
    if ptr.is_null() {
        return Err(Failure::null(what));
    }
    // SAFETY: the caller's guarantee is passed on unchanged.
    let bytes = unsafe { bytes_arg(ptr.cast::<u8>(), len, what) }?;
    match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => Ok(text),
        // The fast check says only that the bytes are not UTF-8; std says where.
        Err(_) => Err(match std::str::from_utf8(bytes) {
            Err(e) => Failure::new(botwire_result::InvalidUtf8, format!("{what}: {e}")),
            Ok(_) => Failure::new(botwire_result::InvalidUtf8, format!("{what}: not UTF-8")),
        }),
    }
}

/// Borrows an optional UTF-8 string; NULL gives `None`.
///
/// # Safety
/// As [`bytes_arg`].
unsafe fn optional_str_arg<'a>(
    ptr: *const c_char,
    len: usize,
    what: &str,
) -> Result<Option<&'a str>, Failure> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: the caller's guarantee is passed on unchanged.
    unsafe { str_arg(ptr, len, what) }.map(Some)
}

/// Borrows the client behind a handle.
///
/// # Safety
/// `client` is NULL or a live handle from [`botwire_telegram_client_new`] not used elsewhere
/// during the call.
unsafe fn client_arg<'a>(
    client: *mut botwire_telegram_client,
) -> Result<&'a mut botwire_telegram_client, Failure> {
    // SAFETY: the caller guarantees a live, unaliased handle or NULL, which as_mut checks.
    unsafe { client.as_mut() }.ok_or_else(|| Failure::null("client"))
}

/// Checks that an out-parameter can be written before any work is done.
fn out_arg<T>(ptr: *mut T, what: &str) -> Result<(), Failure> {
    if ptr.is_null() {
        Err(Failure::null(what))
    } else {
        Ok(())
    }
}

// ---- library-wide functions ----

/// The library version, for example `"0.1.0"`: a static NUL-terminated string.
#[no_mangle]
pub extern "C" fn botwire_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// A static NUL-terminated English description of a result code (also for codes this
/// version does not know).
#[no_mangle]
pub extern "C" fn botwire_result_message(code: u32) -> *const c_char {
    let message: &'static str = match code {
        0 => "success\0",
        1 => "nothing to hand out\0",
        2 => "a required pointer was NULL\0",
        3 => "a string was not valid UTF-8\0",
        4 => "a parameter was out of range\0",
        5 => "a panic was caught inside the library\0",
        6 => "unknown Bot API method\0",
        7 => "the arguments do not fit the method's parameters\0",
        8 => "the request could not be encoded\0",
        9 => "unknown or already answered request id\0",
        10 => "unknown or closed connection id\0",
        11 => "unknown or already settled dispatch id\0",
        12 => "invalid bot options\0",
        13 => "invalid JSON argument\0",
        14 => "not supported by the platform or the bot's configuration\0",
        15 => "queue full\0",
        16 => "reentrant call while the bot is in use\0",
        17 => "the storage failed\0",
        18 => "not possible in the bot's current state\0",
        19 => "invalid regular expression\0",
        _ => "unknown result code\0",
    };
    message.as_ptr().cast()
}

/// The details of the last failed call on the calling thread (an empty string when the last
/// call succeeded).
///
/// Writes a pointer to UTF-8 text (also NUL-terminated) and its length in bytes, without the
/// NUL. The text is owned by the library and stays valid until the next call to a `botwire_`
/// function on the same thread, other than `botwire_last_error`, `botwire_result_message`
/// and `botwire_version`.
///
/// Returns `BOTWIRE_RESULT_NULL_PARAMETER` when an out-parameter is NULL.
///
/// # Safety
/// `out_ptr` and `out_len` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_last_error(
    out_ptr: *mut *const c_char,
    out_len: *mut usize,
) -> botwire_result {
    if out_ptr.is_null() || out_len.is_null() {
        return botwire_result::NullParameter;
    }
    LAST_ERROR.with(|slot| {
        let buffer = slot.borrow();
        // No message: an empty, NUL-terminated string.
        let text: &[u8] = if buffer.is_empty() { b"\0" } else { &buffer };
        // SAFETY: both pointers were checked non-NULL and the caller guarantees they are
        // writable. The buffer lives in this thread's storage and changes only on the next
        // failing or succeeding call on this thread, as documented.
        unsafe {
            *out_ptr = text.as_ptr().cast();
            *out_len = text.len() - 1;
        }
    });
    botwire_result::Ok
}

// ---- the Telegram client ----

/// Creates a Telegram client with long-polling intake (which begins at
/// [`botwire_telegram_client_start`]; a client that only makes calls never starts it).
///
/// `token` is the bot token (`<bot id>:<secret>`); `api_root` is the Bot API root, for example
/// `https://api.telegram.org` (the default, used when `api_root` is NULL) or a local
/// `botwire-sim`. Both are UTF-8, not NUL-terminated, and copied.
///
/// On success writes the new handle to `*out`; release it with
/// [`botwire_telegram_client_free`].
///
/// # Errors
/// `BOTWIRE_RESULT_NULL_PARAMETER` (token or out NULL), `BOTWIRE_RESULT_INVALID_UTF8`.
///
/// # Safety
/// Each pointer is NULL or valid for its length; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_telegram_client_new(
    token_ptr: *const c_char,
    token_len: usize,
    api_root_ptr: *const c_char,
    api_root_len: usize,
    out: *mut *mut botwire_telegram_client,
) -> botwire_result {
    guard(|| {
        out_arg(out, "out")?;
        // SAFETY: the caller guarantees the pointers are NULL or valid for their lengths.
        let token = unsafe { str_arg(token_ptr, token_len, "token") }?;
        // SAFETY: as above.
        let api_root = unsafe { optional_str_arg(api_root_ptr, api_root_len, "api_root") }?;
        let mut config = ClientConfig::polling(token);
        if let Some(root) = api_root {
            config = config.with_api_root(root);
        }
        let handle = Box::new(botwire_telegram_client {
            client: TelegramClient::new(config),
            output: Vec::new(),
            poisoned: false,
        });
        // SAFETY: `out` was checked non-NULL and the caller guarantees it is writable.
        unsafe { *out = Box::into_raw(handle) };
        Ok(botwire_result::Ok)
    })
}

/// Releases a client and everything it handed out. NULL is accepted and ignored.
///
/// # Safety
/// `client` is NULL or a handle from [`botwire_telegram_client_new`] not yet freed; it must
/// not be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn botwire_telegram_client_free(client: *mut botwire_telegram_client) {
    if client.is_null() {
        return;
    }
    // Dropping runs only our own destructors; a panic there must still not cross the ABI.
    let _ = panic::catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the caller hands back ownership of a live handle made by Box::into_raw.
        drop(unsafe { Box::from_raw(client) });
    }));
}

/// Starts intake: the next output is the first `getUpdates` request. Idempotent.
///
/// # Errors
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `client` is NULL or a live handle not used elsewhere during the call.
#[no_mangle]
pub unsafe extern "C" fn botwire_telegram_client_start(
    client: *mut botwire_telegram_client,
    now: u64,
) -> botwire_result {
    guard(|| {
        // SAFETY: the caller guarantees a live handle or NULL.
        let handle = unsafe { client_arg(client) }?;
        with_client(handle, |h| {
            h.client.start(now);
            Ok(botwire_result::Ok)
        })
    })
}

/// Stops intake gracefully: an in-flight poll gets an `abort` output, then one confirming
/// request settles the offset, then a `stopped` event follows.
///
/// # Errors
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `client` is NULL or a live handle not used elsewhere during the call.
#[no_mangle]
pub unsafe extern "C" fn botwire_telegram_client_stop(
    client: *mut botwire_telegram_client,
    now: u64,
) -> botwire_result {
    guard(|| {
        // SAFETY: the caller guarantees a live handle or NULL.
        let handle = unsafe { client_arg(client) }?;
        with_client(handle, |h| {
            h.client.stop(now);
            Ok(botwire_result::Ok)
        })
    })
}

/// Issues a Bot API call named at run time, with its parameters as a JSON object
/// (`args_ptr` may be NULL for no parameters). On success writes the request id to
/// `*out_id`; the request itself comes out of [`botwire_telegram_client_poll_output`], and
/// its answer later as a `response` event with that id.
///
/// # Errors
/// `BOTWIRE_RESULT_UNKNOWN_METHOD`, `BOTWIRE_RESULT_INVALID_ARGUMENTS`,
/// `BOTWIRE_RESULT_ENCODE_FAILED` (nothing is issued then), `BOTWIRE_RESULT_NULL_PARAMETER`,
/// `BOTWIRE_RESULT_INVALID_UTF8`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `client` is NULL or a live handle not used elsewhere during the call; each string pointer
/// is NULL or valid for its length; `out_id` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_telegram_client_call(
    client: *mut botwire_telegram_client,
    now: u64,
    method_ptr: *const c_char,
    method_len: usize,
    args_ptr: *const c_char,
    args_len: usize,
    out_id: *mut u64,
) -> botwire_result {
    guard(|| {
        // SAFETY: the caller guarantees a live handle or NULL.
        let handle = unsafe { client_arg(client) }?;
        out_arg(out_id, "out_id")?;
        // SAFETY: the caller guarantees the pointers are NULL or valid for their lengths.
        let method = unsafe { str_arg(method_ptr, method_len, "method") }?;
        // SAFETY: as above.
        let args = unsafe { optional_str_arg(args_ptr, args_len, "args") }?.unwrap_or("{}");
        let id = with_client(handle, |h| Ok(h.client.call_json(now, method, args)?))?;
        // SAFETY: `out_id` was checked non-NULL and the caller guarantees it is writable.
        unsafe { *out_id = id.0 };
        Ok(botwire_result::Ok)
    })
}

/// Reports the answer to request `id`: its HTTP status and body (`body_ptr` may be NULL when
/// `body_len` is 0). The body is read during the call only.
///
/// # Errors
/// `BOTWIRE_RESULT_UNKNOWN_REQUEST` for an id never issued or already answered (nothing
/// changes then), `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `client` is NULL or a live handle not used elsewhere during the call; `body_ptr` is NULL or
/// valid for `body_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn botwire_telegram_client_handle_http_response(
    client: *mut botwire_telegram_client,
    now: u64,
    id: u64,
    status: u16,
    body_ptr: *const u8,
    body_len: usize,
) -> botwire_result {
    guard(|| {
        // SAFETY: the caller guarantees a live handle or NULL.
        let handle = unsafe { client_arg(client) }?;
        // SAFETY: the caller guarantees `body_ptr` is NULL or valid for `body_len` bytes.
        let body = unsafe { bytes_arg(body_ptr, body_len, "body") }?;
        with_client(handle, |h| {
            h.client
                .handle_http_response(now, RequestId(id), status, body)?;
            Ok(botwire_result::Ok)
        })
    })
}

/// Reports that request `id` failed without an answer; `kind` is a
/// `botwire_http_error_kind` value.
///
/// # Errors
/// `BOTWIRE_RESULT_UNKNOWN_REQUEST`, `BOTWIRE_RESULT_INVALID_PARAMETER` (unknown kind),
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `client` is NULL or a live handle not used elsewhere during the call.
#[no_mangle]
pub unsafe extern "C" fn botwire_telegram_client_handle_http_error(
    client: *mut botwire_telegram_client,
    now: u64,
    id: u64,
    kind: u32,
) -> botwire_result {
    guard(|| {
        // SAFETY: the caller guarantees a live handle or NULL.
        let handle = unsafe { client_arg(client) }?;
        let kind = botwire_http_error_kind::from_u32(kind).ok_or_else(|| {
            Failure::new(
                botwire_result::InvalidParameter,
                format!("{kind} is not a botwire_http_error_kind"),
            )
        })?;
        with_client(handle, |h| {
            h.client.handle_http_error(now, RequestId(id), kind)?;
            Ok(botwire_result::Ok)
        })
    })
}

/// Lets time pass: call it when the timer armed from
/// [`botwire_telegram_client_poll_timeout`] fires. Early calls do nothing.
///
/// # Errors
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `client` is NULL or a live handle not used elsewhere during the call.
#[no_mangle]
pub unsafe extern "C" fn botwire_telegram_client_handle_timeout(
    client: *mut botwire_telegram_client,
    now: u64,
) -> botwire_result {
    guard(|| {
        // SAFETY: the caller guarantees a live handle or NULL.
        let handle = unsafe { client_arg(client) }?;
        with_client(handle, |h| {
            h.client.handle_timeout(now);
            Ok(botwire_result::Ok)
        })
    })
}

/// Takes the next output, as a JSON object (UTF-8, also NUL-terminated; the length excludes
/// the NUL): `{"type":"http","id":..,"request":{..}}`, `{"type":"abort","id":..}` or
/// `{"type":"event","event":{"kind":..}}`. Call it after every input until it returns
/// `BOTWIRE_RESULT_EMPTY`.
///
/// The text is owned by the client and stays valid until the next call that takes this
/// client.
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` when no output is waiting (out-parameters untouched),
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `client` is NULL or a live handle not used elsewhere during the call; `out_json_ptr` and
/// `out_json_len` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_telegram_client_poll_output(
    client: *mut botwire_telegram_client,
    out_json_ptr: *mut *const c_char,
    out_json_len: *mut usize,
) -> botwire_result {
    guard(|| {
        // SAFETY: the caller guarantees a live handle or NULL.
        let handle = unsafe { client_arg(client) }?;
        out_arg(out_json_ptr, "out_json_ptr")?;
        out_arg(out_json_len, "out_json_len")?;
        with_client(handle, |h| {
            let Some(output) = h.client.poll_output() else {
                return Ok(botwire_result::Empty);
            };
            h.output.clear();
            serde_json::to_writer(&mut h.output, &json::output_to_json(&output))
                .map_err(|e| Failure::new(botwire_result::Panic, e.to_string()))?;
            let len = h.output.len();
            h.output.push(0);
            // SAFETY: both pointers were checked non-NULL and the caller guarantees they are
            // writable. The buffer belongs to the client and is only replaced by a later call
            // that takes the client, as documented.
            unsafe {
                *out_json_ptr = h.output.as_ptr().cast();
                *out_json_len = len;
            }
            Ok(botwire_result::Ok)
        })
    })
}

/// When to call [`botwire_telegram_client_handle_timeout`] next, in the same clock as `now`.
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` when no timer needs arming (`out_at` untouched),
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `client` is NULL or a live handle not used elsewhere during the call; `out_at` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_telegram_client_poll_timeout(
    client: *mut botwire_telegram_client,
    out_at: *mut u64,
) -> botwire_result {
    guard(|| {
        // SAFETY: the caller guarantees a live handle or NULL.
        let handle = unsafe { client_arg(client) }?;
        out_arg(out_at, "out_at")?;
        let at = with_client(handle, |h| Ok(h.client.poll_timeout()))?;
        match at {
            Some(at) => {
                // SAFETY: `out_at` was checked non-NULL and the caller guarantees it is
                // writable.
                unsafe { *out_at = at };
                Ok(botwire_result::Ok)
            }
            None => Ok(botwire_result::Empty),
        }
    })
}

#[cfg(test)]
mod tests;
