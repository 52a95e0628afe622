//! What handlers do: actions and calls (whose outcomes arrive later, by call id), completing
//! dispatches, and conversations.
//!
//! Every action function writes a call id on success; the outcome arrives as a
//! `BOTWIRE_OUTPUT_KIND_CALL_DONE` output or through the `call_done` callback, with the
//! method's JSON result or a classified error. Sends pass through flood control (Telegram)
//! or per-chat ordering (TrueConf); a 429 is waited out and repeated, other failures are
//! retried up to the configured attempts and then reported.

use crate::bot::{bot_arg, write_scratch, BotState};
use crate::event::{botwire_event, event_arg};
use crate::types::{botwire_str, Text};
use crate::{botwire_result, bytes_arg, guard, optional_str_arg, out_arg, str_arg, Failure};
use botwire_core::runtime::dispatcher::DispatchId;
use botwire_core::runtime::model::{Action, FileKind, FileUpload, MessageKey, SendOptions};
use botwire_core::runtime::storage::StorageError;
use serde_json::Value;
use std::ffi::c_char;

/// A storage failure as a result code.
pub(crate) fn storage_failure(error: StorageError) -> Failure {
    Failure::new(botwire_result::StorageFailed, error.to_string())
}

/// How an uploaded file is shown. Numbers are fixed.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum botwire_file_kind {
    /// A general file.
    Document = 1,
    /// A picture.
    Photo = 2,
    /// A video.
    Video = 3,
    /// Music.
    Audio = 4,
    /// A voice note.
    Voice = 5,
}

fn file_kind(value: u32) -> Result<FileKind, Failure> {
    Ok(match value {
        1 => FileKind::Document,
        2 => FileKind::Photo,
        3 => FileKind::Video,
        4 => FileKind::Audio,
        5 => FileKind::Voice,
        _ => {
            return Err(Failure::new(
                botwire_result::InvalidParameter,
                format!("{value} is not a botwire_file_kind"),
            ))
        }
    })
}

fn json_arg<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, Failure> {
    serde_json::from_str(text)
        .map_err(|e| Failure::new(botwire_result::InvalidJson, format!("{what}: {e}")))
}

/// Send options from optional JSON text (`{"format":"Html","keyboard":[[{"text":"A",
/// "data":"a"}]],"silent":true,"no_link_preview":true}`).
fn send_options(text: Option<&str>) -> Result<SendOptions, Failure> {
    match text {
        None => Ok(SendOptions::default()),
        Some(t) if t.trim().is_empty() => Ok(SendOptions::default()),
        Some(t) => json_arg(t, "options_json"),
    }
}

/// Performs an action and writes its call id.
///
/// # Safety
/// `bot` is NULL or a live handle; `out_call_id` was checked non-NULL and is writable.
unsafe fn perform(
    bot: *mut crate::bot::botwire_bot,
    now: u64,
    action: Action,
    out_call_id: *mut u64,
) -> Result<botwire_result, Failure> {
    // SAFETY: passed on from the caller.
    let id = unsafe { bot_arg(bot) }?.input(now, |s| s.machine.act(now, &action))?;
    // SAFETY: checked non-NULL by the caller, writable by its guarantee.
    unsafe { *out_call_id = id.0 };
    Ok(botwire_result::Ok)
}

/// Performs an action given in the runtime's JSON form, covering everything the shared
/// model knows: `{"action":"send","chat":"telegram:42","text":"hi","options":{..}}`, and
/// `reply`, `edit`, `edit_keyboard`, `delete`, `react`, `forward`, `answer_button`,
/// `answer_inline`, `upload`, `typing`, `pin`, `unpin`, `kick`, `ban`, `unban`,
/// `set_title`, `set_description`, `leave`, `call`. Writes the call id.
///
/// # Errors
/// `BOTWIRE_RESULT_INVALID_JSON` (not an action), `BOTWIRE_RESULT_NOT_SUPPORTED` (the
/// platform cannot do it), `BOTWIRE_RESULT_INVALID_ARGUMENTS` (a bad key or arguments),
/// `BOTWIRE_RESULT_QUEUE_FULL`, `BOTWIRE_RESULT_NULL_PARAMETER`,
/// `BOTWIRE_RESULT_INVALID_UTF8`, `BOTWIRE_RESULT_REENTRANT_CALL`, `BOTWIRE_RESULT_PANIC`.
/// Nothing is sent on failure.
///
/// # Safety
/// `bot` is NULL or a live handle; `action_json` is NULL or valid for `action_len` bytes;
/// `out_call_id` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_act(
    bot: *mut crate::bot::botwire_bot,
    now: u64,
    action_json: *const c_char,
    action_len: usize,
    out_call_id: *mut u64,
) -> botwire_result {
    guard(|| {
        out_arg(out_call_id, "out_call_id")?;
        // SAFETY: the caller guarantees the pointer is NULL or valid for its length.
        let text = unsafe { str_arg(action_json, action_len, "action_json") }?;
        let action: Action = json_arg(text, "action_json")?;
        // SAFETY: passed on from the caller; `out_call_id` checked.
        unsafe { perform(bot, now, action, out_call_id) }
    })
}

/// Calls any method of the bot's platform by name, with its parameters as a JSON object
/// (`args_json` may be NULL for none): every Telegram Bot API method (`"sendMessage"`,
/// `"getChatMember"`, ...) and every TrueConf Chatbot Connector method (`"sendMessage"`,
/// `"getChatByID"`, ...; not `auth`). The outcome carries the method's JSON result. Writes
/// the call id.
///
/// # Errors
/// `BOTWIRE_RESULT_INVALID_JSON` (arguments not JSON), `BOTWIRE_RESULT_INVALID_ARGUMENTS`
/// (unknown Telegram method, arguments that do not fit), `BOTWIRE_RESULT_NOT_SUPPORTED`,
/// `BOTWIRE_RESULT_QUEUE_FULL`, `BOTWIRE_RESULT_NULL_PARAMETER`,
/// `BOTWIRE_RESULT_INVALID_UTF8`, `BOTWIRE_RESULT_REENTRANT_CALL`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `bot` is NULL or a live handle; `method` and `args_json` are NULL or valid for their
/// lengths; `out_call_id` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_call(
    bot: *mut crate::bot::botwire_bot,
    now: u64,
    method: *const c_char,
    method_len: usize,
    args_json: *const c_char,
    args_len: usize,
    out_call_id: *mut u64,
) -> botwire_result {
    guard(|| {
        out_arg(out_call_id, "out_call_id")?;
        // SAFETY: the caller guarantees the pointers are NULL or valid for their lengths.
        let method = unsafe { str_arg(method, method_len, "method") }?;
        // SAFETY: as above.
        let args = unsafe { optional_str_arg(args_json, args_len, "args_json") }?;
        let args: Value = match args {
            Some(a) if !a.trim().is_empty() => json_arg(a, "args_json")?,
            _ => Value::Null,
        };
        // SAFETY: passed on from the caller.
        let platform = unsafe { bot_arg(bot) }?.with_state(|s| Ok(s.machine.platform()))?;
        let action = Action::Call {
            platform,
            method: method.to_owned(),
            args,
        };
        // SAFETY: passed on from the caller; `out_call_id` checked.
        unsafe { perform(bot, now, action, out_call_id) }
    })
}

/// Sends a text message to the chat with key `chat_key` (`"telegram:42"`,
/// `botwire_event_chat_key`), with optional send options as JSON (`options_json` NULL for
/// none): `{"format":"Html"|"MarkdownV2"|"Markdown"|"Plain","keyboard":[[{"text":"Yes",
/// "data":"yes"},{"text":"Site","url":"https://..."}]],"silent":true,
/// "no_link_preview":true}`. Writes the call id.
///
/// # Errors
/// As [`botwire_bot_act`].
///
/// # Safety
/// `bot` is NULL or a live handle; the strings are NULL or valid for their lengths;
/// `out_call_id` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_send_text(
    bot: *mut crate::bot::botwire_bot,
    now: u64,
    chat_key: *const c_char,
    chat_key_len: usize,
    text: *const c_char,
    text_len: usize,
    options_json: *const c_char,
    options_len: usize,
    out_call_id: *mut u64,
) -> botwire_result {
    guard(|| {
        out_arg(out_call_id, "out_call_id")?;
        // SAFETY: the caller guarantees the pointers are NULL or valid for their lengths.
        let (chat, text, options) = unsafe {
            (
                str_arg(chat_key, chat_key_len, "chat_key")?,
                str_arg(text, text_len, "text")?,
                optional_str_arg(options_json, options_len, "options_json")?,
            )
        };
        let action = Action::Send {
            chat: chat.to_owned(),
            text: text.to_owned(),
            options: send_options(options)?,
        };
        // SAFETY: passed on from the caller; `out_call_id` checked.
        unsafe { perform(bot, now, action, out_call_id) }
    })
}

/// Replies to the message of `event` (in its chat) with a text, with optional send options
/// as in [`botwire_bot_send_text`]. Writes the call id.
///
/// # Errors
/// `BOTWIRE_RESULT_INVALID_PARAMETER` (the event concerns no message), else as
/// [`botwire_bot_act`].
///
/// # Safety
/// `bot` is NULL or a live handle; `event` is NULL or a live event; the strings are NULL or
/// valid for their lengths; `out_call_id` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_reply(
    bot: *mut crate::bot::botwire_bot,
    now: u64,
    event: *const botwire_event,
    text: *const c_char,
    text_len: usize,
    options_json: *const c_char,
    options_len: usize,
    out_call_id: *mut u64,
) -> botwire_result {
    guard(|| {
        out_arg(out_call_id, "out_call_id")?;
        // SAFETY: the caller guarantees a live event or NULL.
        let event = unsafe { event_arg(event) }?;
        // SAFETY: the caller guarantees the pointers are NULL or valid for their lengths.
        let (text, options) = unsafe {
            (
                str_arg(text, text_len, "text")?,
                optional_str_arg(options_json, options_len, "options_json")?,
            )
        };
        let to = event.event.message.clone().ok_or_else(|| {
            Failure::new(
                botwire_result::InvalidParameter,
                "the event concerns no message to reply to",
            )
        })?;
        let action = Action::Reply {
            to,
            text: text.to_owned(),
            options: send_options(options)?,
        };
        // SAFETY: passed on from the caller; `out_call_id` checked.
        unsafe { perform(bot, now, action, out_call_id) }
    })
}

/// Replaces the text of message `message_id` in the chat `chat_key`, with optional send
/// options (its keyboard replaces the old one). Writes the call id.
///
/// # Errors
/// As [`botwire_bot_act`].
///
/// # Safety
/// As [`botwire_bot_send_text`].
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_edit_text(
    bot: *mut crate::bot::botwire_bot,
    now: u64,
    chat_key: *const c_char,
    chat_key_len: usize,
    message_id: *const c_char,
    message_id_len: usize,
    text: *const c_char,
    text_len: usize,
    options_json: *const c_char,
    options_len: usize,
    out_call_id: *mut u64,
) -> botwire_result {
    guard(|| {
        out_arg(out_call_id, "out_call_id")?;
        // SAFETY: the caller guarantees the pointers are NULL or valid for their lengths.
        let (chat, message, text, options) = unsafe {
            (
                str_arg(chat_key, chat_key_len, "chat_key")?,
                str_arg(message_id, message_id_len, "message_id")?,
                str_arg(text, text_len, "text")?,
                optional_str_arg(options_json, options_len, "options_json")?,
            )
        };
        let action = Action::Edit {
            message: MessageKey::in_chat(chat, message),
            text: text.to_owned(),
            options: send_options(options)?,
        };
        // SAFETY: passed on from the caller; `out_call_id` checked.
        unsafe { perform(bot, now, action, out_call_id) }
    })
}

/// Deletes message `message_id` in the chat `chat_key`. Writes the call id.
///
/// # Errors
/// As [`botwire_bot_act`].
///
/// # Safety
/// As [`botwire_bot_send_text`].
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_delete_message(
    bot: *mut crate::bot::botwire_bot,
    now: u64,
    chat_key: *const c_char,
    chat_key_len: usize,
    message_id: *const c_char,
    message_id_len: usize,
    out_call_id: *mut u64,
) -> botwire_result {
    guard(|| {
        out_arg(out_call_id, "out_call_id")?;
        // SAFETY: the caller guarantees the pointers are NULL or valid for their lengths.
        let (chat, message) = unsafe {
            (
                str_arg(chat_key, chat_key_len, "chat_key")?,
                str_arg(message_id, message_id_len, "message_id")?,
            )
        };
        let action = Action::Delete {
            message: MessageKey::in_chat(chat, message),
        };
        // SAFETY: passed on from the caller; `out_call_id` checked.
        unsafe { perform(bot, now, action, out_call_id) }
    })
}

/// Answers a button press (`botwire_event_query_id`), with an optional notification text
/// (NULL for none), shown as an alert with `alert`. Writes the call id.
///
/// # Errors
/// As [`botwire_bot_act`] (`BOTWIRE_RESULT_NOT_SUPPORTED` on TrueConf unless the option
/// `answerCommands` is set).
///
/// # Safety
/// As [`botwire_bot_send_text`].
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_answer_callback(
    bot: *mut crate::bot::botwire_bot,
    now: u64,
    query_id: *const c_char,
    query_id_len: usize,
    text: *const c_char,
    text_len: usize,
    alert: bool,
    out_call_id: *mut u64,
) -> botwire_result {
    guard(|| {
        out_arg(out_call_id, "out_call_id")?;
        // SAFETY: the caller guarantees the pointers are NULL or valid for their lengths.
        let (query_id, text) = unsafe {
            (
                str_arg(query_id, query_id_len, "query_id")?,
                optional_str_arg(text, text_len, "text")?,
            )
        };
        let action = Action::AnswerButton {
            query_id: query_id.to_owned(),
            text: text.map(str::to_owned),
            alert,
        };
        // SAFETY: passed on from the caller; `out_call_id` checked.
        unsafe { perform(bot, now, action, out_call_id) }
    })
}

/// Shows "typing…" in the chat `chat_key`. Writes the call id.
///
/// # Errors
/// As [`botwire_bot_act`].
///
/// # Safety
/// As [`botwire_bot_send_text`].
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_send_typing(
    bot: *mut crate::bot::botwire_bot,
    now: u64,
    chat_key: *const c_char,
    chat_key_len: usize,
    out_call_id: *mut u64,
) -> botwire_result {
    guard(|| {
        out_arg(out_call_id, "out_call_id")?;
        // SAFETY: the caller guarantees the pointer is NULL or valid for its length.
        let chat = unsafe { str_arg(chat_key, chat_key_len, "chat_key") }?;
        let action = Action::Typing {
            chat: chat.to_owned(),
        };
        // SAFETY: passed on from the caller; `out_call_id` checked.
        unsafe { perform(bot, now, action, out_call_id) }
    })
}

/// Uploads a file to the chat `chat_key`: its name, MIME type (NULL when unknown), bytes
/// (copied; NULL when `data_len` is 0), how it is shown (`kind`, a `botwire_file_kind`) and
/// an optional caption (NULL for none). Writes the call id.
///
/// # Errors
/// `BOTWIRE_RESULT_INVALID_PARAMETER` (unknown kind), else as [`botwire_bot_act`].
///
/// # Safety
/// As [`botwire_bot_send_text`]; `data` is NULL or valid for `data_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_send_file(
    bot: *mut crate::bot::botwire_bot,
    now: u64,
    chat_key: *const c_char,
    chat_key_len: usize,
    kind: u32,
    name: *const c_char,
    name_len: usize,
    mime: *const c_char,
    mime_len: usize,
    data: *const u8,
    data_len: usize,
    caption: *const c_char,
    caption_len: usize,
    out_call_id: *mut u64,
) -> botwire_result {
    guard(|| {
        out_arg(out_call_id, "out_call_id")?;
        let kind = file_kind(kind)?;
        // SAFETY: the caller guarantees the pointers are NULL or valid for their lengths.
        let (chat, name, mime, data, caption) = unsafe {
            (
                str_arg(chat_key, chat_key_len, "chat_key")?,
                str_arg(name, name_len, "name")?,
                optional_str_arg(mime, mime_len, "mime")?,
                bytes_arg(data, data_len, "data")?,
                optional_str_arg(caption, caption_len, "caption")?,
            )
        };
        let action = Action::Upload {
            chat: chat.to_owned(),
            file: FileUpload {
                name: name.to_owned(),
                mime: mime.map(str::to_owned),
                bytes: data.to_vec(),
            },
            kind,
            caption: caption.map(str::to_owned),
        };
        // SAFETY: passed on from the caller; `out_call_id` checked.
        unsafe { perform(bot, now, action, out_call_id) }
    })
}

// ---- completing dispatches ----

/// Removes the event of a dispatch being settled, whether or not the runtime still knew it.
fn settle(s: &mut BotState, id: u64) {
    s.events.remove(&id);
}

/// Reports that the handler of `dispatch_id` finished. The event of the dispatch is released
/// (at once, or when the handler that received it returns). The next event of the same chat
/// is dispatched only now (per-chat order).
///
/// # Errors
/// `BOTWIRE_RESULT_UNKNOWN_DISPATCH` for an id never issued, already completed or failed, or
/// timed out by the runtime; `BOTWIRE_RESULT_NULL_PARAMETER`,
/// `BOTWIRE_RESULT_REENTRANT_CALL`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `bot` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_complete(
    bot: *mut crate::bot::botwire_bot,
    now: u64,
    dispatch: u64,
) -> botwire_result {
    guard(|| {
        // SAFETY: passed on from the caller.
        unsafe { bot_arg(bot) }?.input(now, |s| {
            let result = s.machine.complete(now, DispatchId(dispatch));
            settle(s, dispatch);
            result
        })?;
        Ok(botwire_result::Ok)
    })
}

/// Reports that the handler of `dispatch_id` failed, with a reason (NULL for none): the
/// event is dispatched again after the retry delay (a new dispatch id), up to the configured
/// attempts, then reported as a dead letter.
///
/// # Errors
/// As [`botwire_bot_complete`], and `BOTWIRE_RESULT_INVALID_UTF8`.
///
/// # Safety
/// `bot` is NULL or a live handle; `reason` is NULL or valid for `reason_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_fail(
    bot: *mut crate::bot::botwire_bot,
    now: u64,
    dispatch: u64,
    reason: *const c_char,
    reason_len: usize,
) -> botwire_result {
    guard(|| {
        // SAFETY: the caller guarantees the pointer is NULL or valid for its length.
        let reason = unsafe { optional_str_arg(reason, reason_len, "reason") }?
            .unwrap_or("the handler failed");
        // SAFETY: passed on from the caller.
        unsafe { bot_arg(bot) }?.input(now, |s| {
            let result = s.machine.fail(now, DispatchId(dispatch), reason);
            settle(s, dispatch);
            result
        })?;
        Ok(botwire_result::Ok)
    })
}

// ---- conversations ----

/// Enters the conversation `key` (usually `botwire_event_conversation_key`): starts it if it
/// is not live and re-arms its idle timeout. Writes whether it was new.
///
/// # Errors
/// `BOTWIRE_RESULT_STORAGE_FAILED` (nothing changed), `BOTWIRE_RESULT_NULL_PARAMETER`,
/// `BOTWIRE_RESULT_INVALID_UTF8`, `BOTWIRE_RESULT_REENTRANT_CALL`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `bot` is NULL or a live handle; `key` is NULL or valid for `key_len` bytes; `out_new` is
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_conversation_enter(
    bot: *mut crate::bot::botwire_bot,
    now: u64,
    key: *const c_char,
    key_len: usize,
    out_new: *mut bool,
) -> botwire_result {
    guard(|| {
        out_arg(out_new, "out_new")?;
        // SAFETY: the caller guarantees the pointer is NULL or valid for its length.
        let key = unsafe { str_arg(key, key_len, "key") }?;
        // SAFETY: passed on from the caller.
        let turn = unsafe { bot_arg(bot) }?.input(now, |s| {
            s.conversations.on_key(now, key).map_err(storage_failure)
        })?;
        // SAFETY: checked non-NULL, writable by the caller's guarantee.
        unsafe { *out_new = turn.new };
        Ok(botwire_result::Ok)
    })
}

/// The stored state of the conversation `key`, as the JSON text last set. The text lives
/// until the next call with this bot.
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` when it has none (`*out` untouched),
/// `BOTWIRE_RESULT_STORAGE_FAILED`, `BOTWIRE_RESULT_NULL_PARAMETER`,
/// `BOTWIRE_RESULT_INVALID_UTF8`, `BOTWIRE_RESULT_REENTRANT_CALL`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `bot` is NULL or a live handle; `key` is NULL or valid for `key_len` bytes; `out` is NULL
/// or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_conversation_get(
    bot: *mut crate::bot::botwire_bot,
    key: *const c_char,
    key_len: usize,
    out: *mut botwire_str,
) -> botwire_result {
    guard(|| {
        out_arg(out, "out")?;
        // SAFETY: the caller guarantees the pointer is NULL or valid for its length.
        let key = unsafe { str_arg(key, key_len, "key") }?;
        // SAFETY: passed on from the caller.
        unsafe { bot_arg(bot) }?.with_state(|s| {
            let state = s.conversations.load(key).map_err(storage_failure)?;
            let Some(state) = state else {
                return Ok(botwire_result::Empty);
            };
            let text = String::from_utf8(state).map_err(|_| {
                Failure::new(
                    botwire_result::StorageFailed,
                    format!("the stored state of {key:?} is not UTF-8"),
                )
            })?;
            // SAFETY: checked non-NULL, writable by the caller's guarantee.
            unsafe { write_scratch(s, out, Text::from(text)) };
            Ok(botwire_result::Ok)
        })
    })
}

/// Stores `state_json` (a JSON value) as the state of the conversation `key`, starting it if
/// needed and re-arming its idle timeout.
///
/// # Errors
/// `BOTWIRE_RESULT_INVALID_JSON`, `BOTWIRE_RESULT_STORAGE_FAILED` (the previous state is
/// kept), `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_INVALID_UTF8`,
/// `BOTWIRE_RESULT_REENTRANT_CALL`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `bot` is NULL or a live handle; `key` and `state_json` are NULL or valid for their
/// lengths.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_conversation_set(
    bot: *mut crate::bot::botwire_bot,
    now: u64,
    key: *const c_char,
    key_len: usize,
    state_json: *const c_char,
    state_len: usize,
) -> botwire_result {
    guard(|| {
        // SAFETY: the caller guarantees the pointers are NULL or valid for their lengths.
        let (key, state) = unsafe {
            (
                str_arg(key, key_len, "key")?,
                str_arg(state_json, state_len, "state_json")?,
            )
        };
        json_arg::<serde::de::IgnoredAny>(state, "state_json")?;
        // SAFETY: passed on from the caller.
        unsafe { bot_arg(bot) }?.input(now, |s| {
            s.conversations
                .save(now, key, state.as_bytes())
                .map_err(storage_failure)
        })?;
        Ok(botwire_result::Ok)
    })
}

/// Leaves (ends) the conversation `key` and deletes its state, without an expiry
/// notification. Writes whether it was live.
///
/// # Errors
/// `BOTWIRE_RESULT_STORAGE_FAILED` (it stays live), `BOTWIRE_RESULT_NULL_PARAMETER`,
/// `BOTWIRE_RESULT_INVALID_UTF8`, `BOTWIRE_RESULT_REENTRANT_CALL`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `bot` is NULL or a live handle; `key` is NULL or valid for `key_len` bytes;
/// `out_was_live` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_conversation_leave(
    bot: *mut crate::bot::botwire_bot,
    key: *const c_char,
    key_len: usize,
    out_was_live: *mut bool,
) -> botwire_result {
    guard(|| {
        out_arg(out_was_live, "out_was_live")?;
        // SAFETY: the caller guarantees the pointer is NULL or valid for its length.
        let key = unsafe { str_arg(key, key_len, "key") }?;
        // SAFETY: passed on from the caller.
        let was = unsafe { bot_arg(bot) }?
            .input(0, |s| s.conversations.end(key).map_err(storage_failure))?;
        // SAFETY: checked non-NULL, writable by the caller's guarantee.
        unsafe { *out_was_live = was };
        Ok(botwire_result::Ok)
    })
}

/// Rebuilds the live conversations from the host's storage after a restart (their states
/// and idle deadlines; those past their deadline end at the next timeout). Needs the
/// storage callbacks including `storage_keys`, and no live conversation. Writes how many
/// conversations were restored.
///
/// Idle deadlines are stored in the `now` clock: for them to survive a restart, pass a
/// clock that survives restarts (Unix milliseconds, say) as `now` everywhere.
///
/// # Errors
/// `BOTWIRE_RESULT_STORAGE_FAILED` (nothing changed), `BOTWIRE_RESULT_WRONG_STATE` (no host
/// storage, or conversations are live), `BOTWIRE_RESULT_NULL_PARAMETER`,
/// `BOTWIRE_RESULT_REENTRANT_CALL`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `bot` is NULL or a live handle; `out_count` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_conversations_restore(
    bot: *mut crate::bot::botwire_bot,
    now: u64,
    out_count: *mut usize,
) -> botwire_result {
    use crate::callbacks::BotStorage;
    use botwire_core::runtime::conversation::Conversations;
    guard(|| {
        out_arg(out_count, "out_count")?;
        // SAFETY: passed on from the caller.
        let count = unsafe { bot_arg(bot) }?.input(now, |s| {
            let BotStorage::Host(host) = s.conversations.storage() else {
                return Err(Failure::new(
                    botwire_result::WrongState,
                    "restoring conversations needs the storage callbacks",
                ));
            };
            if !s.conversations.is_empty() {
                return Err(Failure::new(
                    botwire_result::WrongState,
                    "conversations are live already",
                ));
            }
            let restored = Conversations::restore(
                now,
                BotStorage::Host(*host),
                s.conversations.config().clone(),
            )
            .map_err(storage_failure)?;
            s.conversations = restored;
            Ok(s.conversations.len())
        })?;
        // SAFETY: checked non-NULL, writable by the caller's guarantee.
        unsafe { *out_count = count };
        Ok(botwire_result::Ok)
    })
}
