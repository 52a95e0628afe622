//! Callback mode: the host's I/O, timer, handler and storage functions in one versioned
//! table, and the conversation storage backed by it.

use crate::bot::botwire_bot;
use crate::event::botwire_event;
use crate::output::botwire_call_result;
use crate::types::{
    botwire_http_request, botwire_output_kind, botwire_storage_status, botwire_str, Text,
    BOTWIRE_IO_CALLBACKS_VERSION,
};
use crate::{botwire_result, bytes_arg, guard, Failure};
use botwire_core::runtime::storage::{MemoryStorage, Storage, StorageError};
use std::ffi::{c_char, c_void};

/// Performs an HTTP request: `request` lives during the call only (copy what you need).
/// Answer `request_id` exactly once, now (reentrant calls are allowed) or later.
pub type botwire_send_http_fn = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        request_id: u64,
        request: *const botwire_http_request,
    ),
>;

/// Aborts request `request_id` if possible (it still needs its one answer).
pub type botwire_abort_http_fn =
    Option<unsafe extern "C" fn(userdata: *mut c_void, request_id: u64)>;

/// Opens a WebSocket to `url` (`url_len` bytes, NUL-terminated too) offering `protocol_count`
/// subprotocols; all of it lives during the call only. Report
/// `botwire_bot_handle_ws_opened` or `botwire_bot_handle_ws_closed` for `conn_id`.
pub type botwire_ws_open_fn = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        conn_id: u64,
        url: *const c_char,
        url_len: usize,
        protocols: *const botwire_str,
        protocol_count: usize,
    ),
>;

/// Sends a text frame (`text_len` bytes, during the call only) on `conn_id`.
pub type botwire_ws_send_fn = Option<
    unsafe extern "C" fn(userdata: *mut c_void, conn_id: u64, text: *const c_char, text_len: usize),
>;

/// Sends a ping on, or closes, `conn_id`.
pub type botwire_ws_conn_fn = Option<unsafe extern "C" fn(userdata: *mut c_void, conn_id: u64)>;

/// Arms the host's one timer at `at` (same clock as `now`), replacing the previous one; at
/// `BOTWIRE_NO_TIMER` no timer is needed. When it fires, call `botwire_bot_handle_timeout`.
pub type botwire_set_timer_fn = Option<unsafe extern "C" fn(userdata: *mut c_void, at: u64)>;

/// A handler: runs for the event of `dispatch_id`, issues actions, and completes the
/// dispatch (`botwire_bot_complete` or `botwire_bot_fail`), before returning or later.
/// `event` lives until the dispatch is completed or failed, and at least until the handler
/// returns. The handler may call any function of the library with `bot`.
pub type botwire_handler_fn = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        bot: *mut botwire_bot,
        dispatch_id: u64,
        event: *const botwire_event,
    ),
>;

/// The outcome of the action or call `call_id`; `result` lives during the call only.
pub type botwire_call_done_fn = Option<
    unsafe extern "C" fn(userdata: *mut c_void, call_id: u64, result: *const botwire_call_result),
>;

/// Something to log, a dead letter, or the graceful stop: `kind` is
/// `BOTWIRE_OUTPUT_KIND_NOTICE`, `_DEAD_LETTER` or `_STOPPED`; `json` (during the call only)
/// describes it.
pub type botwire_notice_fn = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        kind: botwire_output_kind,
        json: *const c_char,
        json_len: usize,
    ),
>;

/// A conversation ended by its idle timeout: its key and its last state as JSON (`null`
/// when none), both during the call only.
pub type botwire_conversation_expired_fn = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        key: *const c_char,
        key_len: usize,
        state_json: *const c_char,
        state_len: usize,
    ),
>;

/// Storage callbacks return a `botwire_storage_status` number; any other number counts as
/// `BOTWIRE_STORAGE_STATUS_FAILED`.
///
/// Reads the value under `key` (during the call only): set it with
/// `botwire_storage_value_set(value, ...)` and return `BOTWIRE_STORAGE_STATUS_OK`, or return
/// `_NOT_FOUND` or `_FAILED`.
pub type botwire_storage_get_fn = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        key: *const c_char,
        key_len: usize,
        value: *mut botwire_storage_value,
    ) -> u32,
>;

/// Stores `value` under `key` (both during the call only), replacing any previous value.
pub type botwire_storage_put_fn = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        key: *const c_char,
        key_len: usize,
        value: *const u8,
        value_len: usize,
    ) -> u32,
>;

/// Removes `key` (removing a missing key succeeds).
pub type botwire_storage_delete_fn =
    Option<unsafe extern "C" fn(userdata: *mut c_void, key: *const c_char, key_len: usize) -> u32>;

/// Lists every key starting with `prefix`: add each with `botwire_storage_keys_add(keys,
/// ...)`. Only needed by `botwire_bot_conversations_restore`.
pub type botwire_storage_keys_fn = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        prefix: *const c_char,
        prefix_len: usize,
        keys: *mut botwire_storage_keys,
    ) -> u32,
>;

/// The host's functions (callback mode). Every field except `version` and `userdata` may be
/// NULL: an output whose callback is NULL stays in the pull queue of
/// `botwire_bot_poll_output` (with the exceptions noted per field), so a host can mix modes.
///
/// Set `version` to `BOTWIRE_IO_CALLBACKS_VERSION`; later versions of the library only add
/// fields at the end and keep reading tables of older versions. `userdata` is passed first to
/// every callback. After every input or command the library hands the outputs to these
/// callbacks itself, before the call returns.
///
/// Callbacks may call back into the library (complete a dispatch, act, answer a request at
/// once), except the storage callbacks, which run while the bot's state is in use: a call
/// with the same bot from a storage callback fails with `BOTWIRE_RESULT_REENTRANT_CALL`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct botwire_io_callbacks {
    /// `BOTWIRE_IO_CALLBACKS_VERSION`.
    pub version: u32,
    /// Passed to every callback.
    pub userdata: *mut c_void,
    /// HTTP requests (`BOTWIRE_OUTPUT_KIND_HTTP_REQUEST`).
    pub send_http: botwire_send_http_fn,
    /// Aborts (`BOTWIRE_OUTPUT_KIND_HTTP_ABORT`).
    pub abort_http: botwire_abort_http_fn,
    /// WebSocket opens (TrueConf).
    pub ws_open: botwire_ws_open_fn,
    /// WebSocket frames to send.
    pub ws_send: botwire_ws_send_fn,
    /// WebSocket pings; when NULL while `ws_open` is set, a ping counts as answered at once
    /// (for WebSocket libraries that keep connections alive themselves).
    pub ws_ping: botwire_ws_conn_fn,
    /// WebSocket closes.
    pub ws_close: botwire_ws_conn_fn,
    /// The timer (no pull-queue equivalent: without it, use `botwire_bot_poll_timeout`).
    pub set_timer: botwire_set_timer_fn,
    /// Events no route matched, with the bot as first argument after `userdata`. When NULL,
    /// such events go to the pull queue as `BOTWIRE_OUTPUT_KIND_DISPATCH` outputs and must be
    /// completed from there: per-chat order holds every later event of the chat back until
    /// they are. A host that never polls sets this (or a `botwire_bot_on_any` route) and
    /// completes what it does not handle.
    pub dispatch: botwire_handler_fn,
    /// Outcomes of actions and calls.
    pub call_done: botwire_call_done_fn,
    /// Notices, dead letters and the stop.
    pub notice: botwire_notice_fn,
    /// Conversations closed by their idle timeout.
    pub conversation_expired: botwire_conversation_expired_fn,
    /// Storage of conversations: read. The four storage fields are used together, when
    /// `storage_get`, `storage_put` and `storage_delete` are all set (`storage_keys` is
    /// optional); otherwise conversations stay in memory.
    pub storage_get: botwire_storage_get_fn,
    /// Storage: write.
    pub storage_put: botwire_storage_put_fn,
    /// Storage: delete.
    pub storage_delete: botwire_storage_delete_fn,
    /// Storage: list keys by prefix.
    pub storage_keys: botwire_storage_keys_fn,
}

impl botwire_io_callbacks {
    /// Checks the version.
    pub(crate) fn checked(table: &botwire_io_callbacks) -> Result<Self, Failure> {
        if table.version != BOTWIRE_IO_CALLBACKS_VERSION {
            return Err(Failure::new(
                botwire_result::InvalidParameter,
                format!(
                    "botwire_io_callbacks.version is {}, this library reads version {}",
                    table.version, BOTWIRE_IO_CALLBACKS_VERSION
                ),
            ));
        }
        Ok(*table)
    }

    /// The storage functions, when the table has the required ones.
    pub(crate) fn storage(&self) -> Option<HostStorage> {
        self.storage_get?;
        self.storage_put?;
        self.storage_delete?;
        Some(HostStorage {
            userdata: self.userdata,
            get: self.storage_get,
            put: self.storage_put,
            delete: self.storage_delete,
            keys: self.storage_keys,
        })
    }
}

/// Where `storage_get` puts the value it read (opaque; valid during that call only).
pub struct botwire_storage_value {
    value: Option<Vec<u8>>,
}

/// Where `storage_keys` puts the keys it lists (opaque; valid during that call only).
pub struct botwire_storage_keys {
    keys: Vec<String>,
    invalid: bool,
}

/// Sets the value `storage_get` read: `len` bytes at `ptr` (NULL allowed when `len` is 0),
/// copied. Setting it again replaces it.
///
/// # Errors
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `value` is NULL or the pointer `storage_get` received, during that call; `ptr` is NULL or
/// valid for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn botwire_storage_value_set(
    value: *mut botwire_storage_value,
    ptr: *const u8,
    len: usize,
) -> botwire_result {
    guard(|| {
        // SAFETY: the caller passes the live sink of the current storage_get call, or NULL.
        let sink = unsafe { value.as_mut() }.ok_or_else(|| Failure::null("value"))?;
        // SAFETY: the caller guarantees `ptr` is NULL or valid for `len` bytes.
        let bytes = unsafe { bytes_arg(ptr, len, "ptr") }?;
        sink.value = Some(bytes.to_vec());
        Ok(botwire_result::Ok)
    })
}

/// Adds one key (UTF-8, copied) to the list `storage_keys` makes.
///
/// # Errors
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_INVALID_UTF8` (the listing then fails),
/// `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `keys` is NULL or the pointer `storage_keys` received, during that call; `key` is NULL or
/// valid for `key_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn botwire_storage_keys_add(
    keys: *mut botwire_storage_keys,
    key: *const c_char,
    key_len: usize,
) -> botwire_result {
    guard(|| {
        // SAFETY: the caller passes the live sink of the current storage_keys call, or NULL.
        let sink = unsafe { keys.as_mut() }.ok_or_else(|| Failure::null("keys"))?;
        // SAFETY: the caller guarantees `key` is NULL or valid for `key_len` bytes.
        match unsafe { crate::str_arg(key, key_len, "key") } {
            Ok(key) => {
                sink.keys.push(key.to_owned());
                Ok(botwire_result::Ok)
            }
            Err(failure) => {
                sink.invalid = true;
                Err(failure)
            }
        }
    })
}

/// Storage backed by the host's callbacks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HostStorage {
    userdata: *mut c_void,
    get: botwire_storage_get_fn,
    put: botwire_storage_put_fn,
    delete: botwire_storage_delete_fn,
    keys: botwire_storage_keys_fn,
}

fn status_error(what: &str, key: &str, status: u32) -> StorageError {
    StorageError::backend(format!("{what} of {key:?} failed (status {status})"))
}

const STATUS_OK: u32 = botwire_storage_status::Ok as u32;
const STATUS_NOT_FOUND: u32 = botwire_storage_status::NotFound as u32;

impl Storage for HostStorage {
    fn get(&mut self, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let key_text = Text::new(key);
        let Some(get) = self.get else {
            return Err(StorageError::backend("no storage_get callback"));
        };
        let mut sink = botwire_storage_value { value: None };
        // SAFETY: the host registered this function for exactly this call shape; the key and
        // the sink outlive the call.
        let status = unsafe {
            get(
                self.userdata,
                key_text.view().ptr,
                key_text.view().len,
                &mut sink,
            )
        };
        match status {
            STATUS_OK => Ok(Some(sink.value.unwrap_or_default())),
            STATUS_NOT_FOUND => Ok(None),
            other => Err(status_error("get", key, other)),
        }
    }

    fn put(&mut self, key: &str, value: &[u8]) -> Result<(), StorageError> {
        let key_text = Text::new(key);
        let Some(put) = self.put else {
            return Err(StorageError::backend("no storage_put callback"));
        };
        // SAFETY: as in `get`; the value outlives the call.
        let status = unsafe {
            put(
                self.userdata,
                key_text.view().ptr,
                key_text.view().len,
                value.as_ptr(),
                value.len(),
            )
        };
        match status {
            STATUS_OK => Ok(()),
            other => Err(status_error("put", key, other)),
        }
    }

    fn delete(&mut self, key: &str) -> Result<(), StorageError> {
        let key_text = Text::new(key);
        let Some(delete) = self.delete else {
            return Err(StorageError::backend("no storage_delete callback"));
        };
        // SAFETY: as in `get`.
        let status = unsafe { delete(self.userdata, key_text.view().ptr, key_text.view().len) };
        match status {
            STATUS_OK | STATUS_NOT_FOUND => Ok(()),
            other => Err(status_error("delete", key, other)),
        }
    }

    fn keys_with_prefix(&mut self, prefix: &str) -> Result<Vec<String>, StorageError> {
        let Some(keys) = self.keys else {
            return Err(StorageError::backend(
                "listing keys needs the storage_keys callback",
            ));
        };
        let prefix_text = Text::new(prefix);
        let mut sink = botwire_storage_keys {
            keys: Vec::new(),
            invalid: false,
        };
        // SAFETY: as in `get`; the prefix and the sink outlive the call.
        let status = unsafe {
            keys(
                self.userdata,
                prefix_text.view().ptr,
                prefix_text.view().len,
                &mut sink,
            )
        };
        if sink.invalid {
            return Err(StorageError::backend(
                "storage_keys added a key that is not UTF-8",
            ));
        }
        match status {
            STATUS_OK => Ok(sink
                .keys
                .into_iter()
                .filter(|k| k.starts_with(prefix))
                .collect()),
            other => Err(status_error("listing", prefix, other)),
        }
    }
}

/// The conversations' storage: in memory, or the host's.
#[derive(Debug)]
pub(crate) enum BotStorage {
    Memory(MemoryStorage),
    Host(HostStorage),
}

impl Storage for BotStorage {
    fn get(&mut self, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        match self {
            BotStorage::Memory(s) => s.get(key),
            BotStorage::Host(s) => s.get(key),
        }
    }
    fn put(&mut self, key: &str, value: &[u8]) -> Result<(), StorageError> {
        match self {
            BotStorage::Memory(s) => s.put(key, value),
            BotStorage::Host(s) => s.put(key, value),
        }
    }
    fn delete(&mut self, key: &str) -> Result<(), StorageError> {
        match self {
            BotStorage::Memory(s) => s.delete(key),
            BotStorage::Host(s) => s.delete(key),
        }
    }
    fn keys_with_prefix(&mut self, prefix: &str) -> Result<Vec<String>, StorageError> {
        match self {
            BotStorage::Memory(s) => s.keys_with_prefix(prefix),
            BotStorage::Host(s) => s.keys_with_prefix(prefix),
        }
    }
}
