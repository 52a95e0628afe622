//! Events handed to handlers (`botwire_event`) and their accessors.
//!
//! Every string accessor writes a [`botwire_str`] that lives as long as the event: until its
//! dispatch is completed or failed (and at least until the handler it was given to returns),
//! or until the bot is freed. Absent fields give `BOTWIRE_RESULT_EMPTY` and leave the
//! out-parameter untouched.

use crate::types::{botwire_event_kind, botwire_platform, botwire_str, write_text, Text};
use crate::{botwire_result, guard, out_arg, str_arg, Failure};
use botwire_core::runtime::conversation::Seeder;
use botwire_core::runtime::model::{split_key, Event, MessageKey};
use botwire_core::runtime::router::{Extracted, Match};
use std::cell::OnceCell;
use std::ffi::c_char;
use std::rc::Rc;
use std::sync::Arc;

/// An event of the runtime (opaque), with what the route that picked its handler extracted
/// from it (command, arguments, captures, callback data rest). Borrowed from the bot.
pub struct botwire_event {
    pub(crate) event: Arc<Event>,
    pub(crate) dispatch_id: u64,
    attempt: u32,
    /// The event's own strings, each copied (with its NUL) when first asked for.
    fields: [OnceCell<Option<Text>>; FIELD_COUNT],
    command: Option<Text>,
    command_rest: Option<Text>,
    command_args: Vec<Text>,
    callback_rest: Option<Text>,
    captures: Vec<Option<Text>>,
    named_captures: Vec<(String, Option<Text>)>,
    conversation_key: ConversationKey,
    json: OnceCell<Text>,
    raw: OnceCell<Text>,
}

fn platform_id(key: &str) -> Text {
    Text::new(split_key(key).map_or(key, |(_, id)| id))
}

/// An event's conversation key: made at dispatch when needed there, else seeded on first use.
pub(crate) struct ConversationKey {
    key: OnceCell<Option<Text>>,
    seeder: Rc<Seeder>,
}

impl ConversationKey {
    pub(crate) fn new(key: Option<String>, seeder: &Rc<Seeder>) -> Self {
        let cell = OnceCell::new();
        if let Some(key) = key {
            let _ = cell.set(Some(Text::from_string(key)));
        }
        ConversationKey {
            key: cell,
            seeder: Rc::clone(seeder),
        }
    }

    fn get(&self, event: &Event) -> Option<&Text> {
        self.key
            .get_or_init(|| self.seeder.seed(event).map(Text::from_string))
            .as_ref()
    }
}

/// The event's own strings, copied for C on first use.
#[derive(Clone, Copy)]
enum Field {
    Id,
    PlatformKind,
    ChatKey,
    ChatId,
    ChatType,
    UserKey,
    UserId,
    UserName,
    Username,
    MessageId,
    ContentType,
    Text,
    Data,
    QueryId,
}

const FIELD_COUNT: usize = Field::QueryId as usize + 1;

impl Field {
    fn read(self, event: &Event) -> Option<Text> {
        let opt = |v: Option<&str>| v.map(Text::new);
        match self {
            Field::Id => Some(Text::new(&event.id)),
            Field::PlatformKind => Some(Text::new(&event.platform_kind)),
            Field::ChatKey => event.chat.as_ref().map(|c| Text::new(&c.key)),
            Field::ChatId => event.chat.as_ref().map(|c| platform_id(&c.key)),
            Field::ChatType => event.chat.as_ref().map(|c| Text::new(c.chat_type.as_str())),
            Field::UserKey => event.from.as_ref().map(|u| Text::new(&u.key)),
            Field::UserId => event.from.as_ref().map(|u| platform_id(&u.key)),
            Field::UserName => event
                .from
                .as_ref()
                .filter(|u| !u.name.is_empty())
                .map(|u| Text::new(&u.name)),
            Field::Username => event.from.as_ref().and_then(|u| opt(u.username.as_deref())),
            Field::MessageId => event.message.as_ref().map(|m| match m {
                MessageKey::InChat { id, .. } => Text::new(id),
                MessageKey::Inline { inline_id, .. } => Text::new(inline_id),
            }),
            Field::ContentType => opt(event.content_type.as_deref()),
            Field::Text => opt(event.text.as_deref()),
            Field::Data => opt(event.data.as_deref()),
            Field::QueryId => opt(event.query_id.as_deref()),
        }
    }
}

impl botwire_event {
    pub(crate) fn new(
        event: Arc<Event>,
        dispatch_id: u64,
        attempt: u32,
        matched: Option<&Match<'_, u32>>,
        conversation_key: ConversationKey,
    ) -> Self {
        let opt = |v: Option<&str>| v.map(Text::new);
        let (mut command, mut command_rest, mut command_args) = (None, None, Vec::new());
        let (mut callback_rest, mut captures, mut named_captures) = (None, Vec::new(), Vec::new());
        if let Some(m) = matched {
            match &m.extracted {
                Extracted::Command(c) => {
                    command = Some(Text::new(c.name));
                    command_rest = Some(Text::new(&c.rest));
                    command_args = c.args.iter().map(|a| Text::new(a)).collect();
                }
                Extracted::Captures(c) => {
                    captures = c.groups.iter().map(|g| opt(g.as_deref())).collect();
                    named_captures = c
                        .named()
                        .map(|(name, value)| (name.to_owned(), opt(value)))
                        .collect();
                }
                Extracted::CallbackData { rest } => callback_rest = Some(Text::new(rest)),
                _ => {}
            }
        }
        botwire_event {
            dispatch_id,
            attempt,
            fields: Default::default(),
            command,
            command_rest,
            command_args,
            callback_rest,
            captures,
            named_captures,
            conversation_key,
            json: OnceCell::new(),
            raw: OnceCell::new(),
            event,
        }
    }
}

impl botwire_event {
    /// One of the event's own strings, copied on first use; it lives as long as the event.
    fn field(&self, field: Field) -> Option<&Text> {
        self.fields[field as usize]
            .get_or_init(|| field.read(&self.event))
            .as_ref()
    }
}

/// Borrows the event behind a pointer.
///
/// # Safety
/// `event` is NULL or a live event handed out by the library.
pub(crate) unsafe fn event_arg<'a>(
    event: *const botwire_event,
) -> Result<&'a botwire_event, Failure> {
    // SAFETY: the caller guarantees a live event or NULL, which as_ref checks.
    unsafe { event.as_ref() }.ok_or_else(|| Failure::null("event"))
}

/// Runs a string accessor.
///
/// # Safety
/// `event` is NULL or live; `out` is NULL or writable.
unsafe fn string_field(
    event: *const botwire_event,
    out: *mut botwire_str,
    field: impl FnOnce(&botwire_event) -> Option<&Text>,
) -> botwire_result {
    guard(|| {
        // SAFETY: passed on from the caller.
        let event = unsafe { event_arg(event) }?;
        out_arg(out, "out")?;
        // SAFETY: `out` was checked non-NULL; the caller guarantees it is writable. The text
        // lives in the event, as documented.
        Ok(unsafe { write_text(out, field(event)) })
    })
}

/// The kind of the event.
///
/// # Errors
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `event` is NULL or a live event; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_event_get_kind(
    event: *const botwire_event,
    out: *mut botwire_event_kind,
) -> botwire_result {
    guard(|| {
        // SAFETY: passed on from the caller.
        let event = unsafe { event_arg(event) }?;
        out_arg(out, "out")?;
        // SAFETY: checked non-NULL, writable by the caller's guarantee.
        unsafe { *out = botwire_event_kind::from_core(event.event.kind) };
        Ok(botwire_result::Ok)
    })
}

/// The platform the event came from.
///
/// # Errors
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `event` is NULL or a live event; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_event_platform(
    event: *const botwire_event,
    out: *mut botwire_platform,
) -> botwire_result {
    guard(|| {
        // SAFETY: passed on from the caller.
        let event = unsafe { event_arg(event) }?;
        out_arg(out, "out")?;
        // SAFETY: checked non-NULL, writable by the caller's guarantee.
        unsafe { *out = event.event.platform.into() };
        Ok(botwire_result::Ok)
    })
}

/// The id of the dispatch the event was handed out with (the one to complete), and the
/// attempt (1 for the first; a failed handler is retried with a new dispatch id).
///
/// # Errors
/// `BOTWIRE_RESULT_NULL_PARAMETER` (any pointer), `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `event` is NULL or a live event; `out_dispatch_id` and `out_attempt` are NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_event_dispatch(
    event: *const botwire_event,
    out_dispatch_id: *mut u64,
    out_attempt: *mut u32,
) -> botwire_result {
    guard(|| {
        // SAFETY: passed on from the caller.
        let event = unsafe { event_arg(event) }?;
        out_arg(out_dispatch_id, "out_dispatch_id")?;
        out_arg(out_attempt, "out_attempt")?;
        // SAFETY: both checked non-NULL, writable by the caller's guarantee.
        unsafe {
            *out_dispatch_id = event.dispatch_id;
            *out_attempt = event.attempt;
        }
        Ok(botwire_result::Ok)
    })
}

/// The platform's unique id of the event (Telegram: the `update_id`).
///
/// # Errors
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `event` is NULL or a live event; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_event_id(
    event: *const botwire_event,
    out: *mut botwire_str,
) -> botwire_result {
    // SAFETY: the caller's guarantees are passed on.
    unsafe { string_field(event, out, |e| e.field(Field::Id)) }
}

/// The platform's name of the event's kind (Telegram: the update field, such as
/// `"channel_post"`; TrueConf: the server method).
///
/// # Errors
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `event` is NULL or a live event; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_event_platform_kind(
    event: *const botwire_event,
    out: *mut botwire_str,
) -> botwire_result {
    // SAFETY: the caller's guarantees are passed on.
    unsafe { string_field(event, out, |e| e.field(Field::PlatformKind)) }
}

/// The chat's key, `"<platform>:<id>"` (`"telegram:42"`): what actions take.
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` when the event has none (`*out` untouched),
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `event` is NULL or a live event; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_event_chat_key(
    event: *const botwire_event,
    out: *mut botwire_str,
) -> botwire_result {
    // SAFETY: the caller's guarantees are passed on.
    unsafe { string_field(event, out, |e| e.field(Field::ChatKey)) }
}
/// The chat's platform id (`"42"`, a TrueConf chat id).
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` when the event has none (`*out` untouched),
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `event` is NULL or a live event; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_event_chat_id(
    event: *const botwire_event,
    out: *mut botwire_str,
) -> botwire_result {
    // SAFETY: the caller's guarantees are passed on.
    unsafe { string_field(event, out, |e| e.field(Field::ChatId)) }
}
/// The chat's type: `"private"`, `"group"`, `"supergroup"`, `"channel"` or `"unknown"`.
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` when the event has none (`*out` untouched),
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `event` is NULL or a live event; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_event_chat_type(
    event: *const botwire_event,
    out: *mut botwire_str,
) -> botwire_result {
    // SAFETY: the caller's guarantees are passed on.
    unsafe { string_field(event, out, |e| e.field(Field::ChatType)) }
}
/// The sender's key, `"<platform>:<id>"`.
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` when the event has none (`*out` untouched),
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `event` is NULL or a live event; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_event_user_key(
    event: *const botwire_event,
    out: *mut botwire_str,
) -> botwire_result {
    // SAFETY: the caller's guarantees are passed on.
    unsafe { string_field(event, out, |e| e.field(Field::UserKey)) }
}
/// The sender's platform id (Telegram: the numeric user id; TrueConf: the TrueConf id).
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` when the event has none (`*out` untouched),
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `event` is NULL or a live event; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_event_user_id(
    event: *const botwire_event,
    out: *mut botwire_str,
) -> botwire_result {
    // SAFETY: the caller's guarantees are passed on.
    unsafe { string_field(event, out, |e| e.field(Field::UserId)) }
}
/// The sender's display name.
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` when the event has none (`*out` untouched),
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `event` is NULL or a live event; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_event_user_name(
    event: *const botwire_event,
    out: *mut botwire_str,
) -> botwire_result {
    // SAFETY: the caller's guarantees are passed on.
    unsafe { string_field(event, out, |e| e.field(Field::UserName)) }
}
/// The sender's handle (Telegram username, without `@`).
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` when the event has none (`*out` untouched),
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `event` is NULL or a live event; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_event_username(
    event: *const botwire_event,
    out: *mut botwire_str,
) -> botwire_result {
    // SAFETY: the caller's guarantees are passed on.
    unsafe { string_field(event, out, |e| e.field(Field::Username)) }
}
/// The id of the message the event concerns, in its chat (or the inline message id).
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` when the event has none (`*out` untouched),
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `event` is NULL or a live event; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_event_message_id(
    event: *const botwire_event,
    out: *mut botwire_str,
) -> botwire_result {
    // SAFETY: the caller's guarantees are passed on.
    unsafe { string_field(event, out, |e| e.field(Field::MessageId)) }
}
/// The message's content type (`"text"`, `"photo"`, ...).
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` when the event has none (`*out` untouched),
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `event` is NULL or a live event; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_event_content_type(
    event: *const botwire_event,
    out: *mut botwire_str,
) -> botwire_result {
    // SAFETY: the caller's guarantees are passed on.
    unsafe { string_field(event, out, |e| e.field(Field::ContentType)) }
}
/// The message's text or caption, or an inline query's text.
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` when the event has none (`*out` untouched),
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `event` is NULL or a live event; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_event_text(
    event: *const botwire_event,
    out: *mut botwire_str,
) -> botwire_result {
    // SAFETY: the caller's guarantees are passed on.
    unsafe { string_field(event, out, |e| e.field(Field::Text)) }
}
/// Button data (Telegram callback data), a chosen inline result id, an invoice payload.
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` when the event has none (`*out` untouched),
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `event` is NULL or a live event; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_event_callback_data(
    event: *const botwire_event,
    out: *mut botwire_str,
) -> botwire_result {
    // SAFETY: the caller's guarantees are passed on.
    unsafe { string_field(event, out, |e| e.field(Field::Data)) }
}
/// The id to answer (callback query or inline query id), for `botwire_bot_answer_callback`.
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` when the event has none (`*out` untouched),
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `event` is NULL or a live event; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_event_query_id(
    event: *const botwire_event,
    out: *mut botwire_str,
) -> botwire_result {
    // SAFETY: the caller's guarantees are passed on.
    unsafe { string_field(event, out, |e| e.field(Field::QueryId)) }
}
/// The command name a command route matched (`"start"` for `/start@bot a b`).
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` when the event has none (`*out` untouched),
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `event` is NULL or a live event; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_event_command(
    event: *const botwire_event,
    out: *mut botwire_str,
) -> botwire_result {
    // SAFETY: the caller's guarantees are passed on.
    unsafe { string_field(event, out, |e| e.command.as_ref()) }
}
/// The raw text after the command a command route matched (`"a b"`).
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` when the event has none (`*out` untouched),
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `event` is NULL or a live event; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_event_command_rest(
    event: *const botwire_event,
    out: *mut botwire_str,
) -> botwire_result {
    // SAFETY: the caller's guarantees are passed on.
    unsafe { string_field(event, out, |e| e.command_rest.as_ref()) }
}
/// The rest of the callback data after the prefix a callback-data route matched.
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` when the event has none (`*out` untouched),
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `event` is NULL or a live event; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_event_callback_rest(
    event: *const botwire_event,
    out: *mut botwire_str,
) -> botwire_result {
    // SAFETY: the caller's guarantees are passed on.
    unsafe { string_field(event, out, |e| e.callback_rest.as_ref()) }
}
/// The conversation key of the event under the bot's conversation settings (for the
/// `botwire_bot_conversation_*` functions); absent when the event belongs to none.
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` when the event has none (`*out` untouched),
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `event` is NULL or a live event; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_event_conversation_key(
    event: *const botwire_event,
    out: *mut botwire_str,
) -> botwire_result {
    // SAFETY: the caller's guarantees are passed on.
    unsafe { string_field(event, out, |e| e.conversation_key.get(&e.event)) }
}

/// The number of arguments of the command a command route matched (0 for other routes).
///
/// # Errors
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `event` is NULL or a live event; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_event_command_arg_count(
    event: *const botwire_event,
    out: *mut usize,
) -> botwire_result {
    guard(|| {
        // SAFETY: passed on from the caller.
        let event = unsafe { event_arg(event) }?;
        out_arg(out, "out")?;
        // SAFETY: checked non-NULL, writable by the caller's guarantee.
        unsafe { *out = event.command_args.len() };
        Ok(botwire_result::Ok)
    })
}

/// Command argument `index` (from 0).
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` when there is no such argument, `BOTWIRE_RESULT_NULL_PARAMETER`,
/// `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `event` is NULL or a live event; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_event_command_arg(
    event: *const botwire_event,
    index: usize,
    out: *mut botwire_str,
) -> botwire_result {
    // SAFETY: the caller's guarantees are passed on.
    unsafe { string_field(event, out, |e| e.command_args.get(index)) }
}

/// Group `index` of the pattern a text or callback regex route matched (0: the whole match).
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` when there is no such group or it did not take part,
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `event` is NULL or a live event; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_event_capture(
    event: *const botwire_event,
    index: usize,
    out: *mut botwire_str,
) -> botwire_result {
    // SAFETY: the caller's guarantees are passed on.
    unsafe {
        string_field(event, out, |e| {
            e.captures.get(index).and_then(Option::as_ref)
        })
    }
}

/// The group named `name` (`name_len` bytes of UTF-8) of the pattern a regex route matched.
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` when there is no such group or it did not take part,
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_INVALID_UTF8`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `event` is NULL or a live event; `name` is NULL or valid for `name_len` bytes; `out` is
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_event_named_capture(
    event: *const botwire_event,
    name: *const c_char,
    name_len: usize,
    out: *mut botwire_str,
) -> botwire_result {
    guard(|| {
        // SAFETY: passed on from the caller.
        let e = unsafe { event_arg(event) }?;
        out_arg(out, "out")?;
        // SAFETY: the caller guarantees `name` is NULL or valid for `name_len` bytes.
        let name = unsafe { str_arg(name, name_len, "name") }?;
        let text = e
            .named_captures
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, value)| value.as_ref());
        // SAFETY: checked non-NULL, writable by the caller's guarantee.
        Ok(unsafe { write_text(out, text) })
    })
}

/// The event as a JSON object: `{"platform","id","seq","kind","platform_kind","chat",
/// "from","message","content_type","text","data","query_id","payload"}`, the same summary the
/// npm package hands its handlers; `payload` is the platform's own update or event.
///
/// # Errors
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `event` is NULL or a live event; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_event_json(
    event: *const botwire_event,
    out: *mut botwire_str,
) -> botwire_result {
    // SAFETY: the caller's guarantees are passed on.
    unsafe {
        string_field(event, out, |e| {
            Some(
                e.json
                    .get_or_init(|| Text::from(e.event.to_json().to_string())),
            )
        })
    }
}

/// The platform's own payload as JSON: the Telegram `Update` as the Bot API sent it, or the
/// TrueConf event as `{"method": ..., "payload": ...}`.
///
/// # Errors
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `event` is NULL or a live event; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_event_raw_json(
    event: *const botwire_event,
    out: *mut botwire_str,
) -> botwire_result {
    // SAFETY: the caller's guarantees are passed on.
    unsafe {
        string_field(event, out, |e| {
            Some(
                e.raw
                    .get_or_init(|| Text::from(e.event.payload.to_json().to_string())),
            )
        })
    }
}
