//! Plain C types shared by the bot's functions: borrowed strings, HTTP requests as structs,
//! and the enumerations with fixed numbers.

use crate::{botwire_result, Failure};
use botwire_core::runtime::model::{EventKind, Platform};
use std::cell::OnceCell;
use std::ffi::c_char;

/// The version of `botwire_io_callbacks` this header describes; put it in the table's
/// `version` field.
pub const BOTWIRE_IO_CALLBACKS_VERSION: u32 = 1;

/// The `at` of `set_timer` when no timer needs arming (the largest 64-bit value).
pub const BOTWIRE_NO_TIMER: u64 = 0xFFFF_FFFF_FFFF_FFFF;

/// A borrowed UTF-8 string: `len` bytes at `ptr`. Strings the library hands out are also
/// followed by a NUL byte (not counted in `len`), but may contain NUL bytes themselves (text
/// a user wrote): the length is authoritative. How long `ptr` stays valid is stated by the
/// function that hands it out. An absent string is `{NULL, 0}` where a function says so.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct botwire_str {
    /// The first byte (NULL only for an absent string).
    pub ptr: *const c_char,
    /// The length in bytes, without the terminating NUL.
    pub len: usize,
}

/// An HTTP header: name and value.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct botwire_header {
    /// The header name.
    pub name: botwire_str,
    /// The header value.
    pub value: botwire_str,
}

/// An HTTP request the host is to perform, then answer with
/// `botwire_bot_handle_http_response` or `botwire_bot_handle_http_error` (exactly once, with
/// the request's id). Every pointer in it lives as long as the structure's source says: the
/// `send_http` call, or the output it was read from.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct botwire_http_request {
    /// `"GET"` or `"POST"`.
    pub method: botwire_str,
    /// The absolute URL. For Telegram it contains the bot token: do not log it as is.
    pub url: botwire_str,
    /// `header_count` headers, in order.
    pub headers: *const botwire_header,
    /// The number of headers.
    pub header_count: usize,
    /// The body (NULL when `body_len` is 0); binary for uploads.
    pub body: *const u8,
    /// The body's length in bytes.
    pub body_len: usize,
    /// How long to wait for the whole answer before reporting
    /// `BOTWIRE_HTTP_ERROR_KIND_TIMEOUT`, in ms; 0 when the request sets no limit.
    pub timeout_ms: u64,
}

/// The chat platform of a bot or an event. Numbers are fixed.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum botwire_platform {
    /// A platform this version of the header does not know.
    Other = 0,
    /// Telegram Bot API.
    Telegram = 1,
    /// TrueConf Chatbot Connector.
    Trueconf = 2,
}

impl From<Platform> for botwire_platform {
    fn from(platform: Platform) -> Self {
        match platform {
            Platform::Telegram => botwire_platform::Telegram,
            Platform::TrueConf => botwire_platform::Trueconf,
            _ => botwire_platform::Other,
        }
    }
}

/// What an event is about (the runtime's shared model). Numbers are fixed; kinds added later
/// get new numbers, and an event of a kind this header does not know reads as
/// `BOTWIRE_EVENT_KIND_UNKNOWN`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum botwire_event_kind {
    /// Anything else; the raw JSON has it.
    Unknown = 0,
    /// A new message (in a chat, a group or a channel).
    Message = 1,
    /// A message was edited.
    EditedMessage = 2,
    /// Messages were deleted.
    DeletedMessage = 3,
    /// A button was pressed (Telegram callback query, TrueConf button command).
    ButtonPress = 4,
    /// An inline query (Telegram).
    InlineQuery = 5,
    /// The user chose an inline result (Telegram).
    ChosenInlineResult = 6,
    /// Someone joined a chat (or the bot was added).
    MemberJoined = 7,
    /// Someone left a chat (or the bot was removed).
    MemberLeft = 8,
    /// A member's role or rights changed.
    MemberRoleChanged = 9,
    /// A chat was created.
    ChatCreated = 10,
    /// A chat was removed.
    ChatRemoved = 11,
    /// A reaction was set or removed.
    Reaction = 12,
    /// Progress of a file upload.
    UploadProgress = 13,
}

impl botwire_event_kind {
    const TABLE: [(botwire_event_kind, EventKind); 14] = [
        (botwire_event_kind::Unknown, EventKind::Unknown),
        (botwire_event_kind::Message, EventKind::Message),
        (botwire_event_kind::EditedMessage, EventKind::EditedMessage),
        (
            botwire_event_kind::DeletedMessage,
            EventKind::DeletedMessage,
        ),
        (botwire_event_kind::ButtonPress, EventKind::ButtonPress),
        (botwire_event_kind::InlineQuery, EventKind::InlineQuery),
        (
            botwire_event_kind::ChosenInlineResult,
            EventKind::ChosenInlineResult,
        ),
        (botwire_event_kind::MemberJoined, EventKind::MemberJoined),
        (botwire_event_kind::MemberLeft, EventKind::MemberLeft),
        (
            botwire_event_kind::MemberRoleChanged,
            EventKind::MemberRoleChanged,
        ),
        (botwire_event_kind::ChatCreated, EventKind::ChatCreated),
        (botwire_event_kind::ChatRemoved, EventKind::ChatRemoved),
        (botwire_event_kind::Reaction, EventKind::Reaction),
        (
            botwire_event_kind::UploadProgress,
            EventKind::UploadProgress,
        ),
    ];

    pub(crate) fn from_core(kind: EventKind) -> Self {
        Self::TABLE
            .iter()
            .find(|(_, k)| *k == kind)
            .map_or(botwire_event_kind::Unknown, |(c, _)| *c)
    }

    pub(crate) fn to_core(value: u32) -> Result<EventKind, Failure> {
        Self::TABLE
            .iter()
            .find(|(c, _)| *c as u32 == value)
            .map(|(_, k)| *k)
            .ok_or_else(|| {
                Failure::new(
                    botwire_result::InvalidParameter,
                    format!("{value} is not a botwire_event_kind"),
                )
            })
    }
}

/// What an output of `botwire_bot_poll_output` is. Numbers are fixed.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum botwire_output_kind {
    /// Perform an HTTP request (`botwire_output_http_request`) and answer its id.
    HttpRequest = 1,
    /// Abort the HTTP request with this id if possible; it still needs its one answer
    /// (`BOTWIRE_HTTP_ERROR_KIND_ABORTED` when it was aborted).
    HttpAbort = 2,
    /// Open a WebSocket (`botwire_output_ws_url`, `botwire_output_ws_protocol`) and report
    /// `botwire_bot_handle_ws_opened` or `botwire_bot_handle_ws_closed` for its id.
    WsOpen = 3,
    /// Send a text frame (`botwire_output_text`) on a WebSocket.
    WsSend = 4,
    /// Send a WebSocket ping and report the pong with `botwire_bot_handle_ws_pong`.
    WsPing = 5,
    /// Close a WebSocket (no report needed).
    WsClose = 6,
    /// Run a handler for an event (`botwire_output_event`), then complete or fail its id.
    Dispatch = 7,
    /// The outcome of an action or call (`botwire_output_call_result`); the id is the call id.
    CallDone = 8,
    /// Something to log (`botwire_output_json`): intake paused, conflict, connected, ...
    Notice = 9,
    /// An event failed every attempt (`botwire_output_json`).
    DeadLetter = 10,
    /// The bot stopped gracefully (`botwire_output_json`: `{"kind":"stopped","offset":..}`).
    Stopped = 11,
    /// A conversation ended by its idle timeout (`botwire_output_text`: its key,
    /// `botwire_output_json`: its last state, `null` when none).
    ConversationExpired = 12,
}

/// What a storage callback reports. Numbers are fixed.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum botwire_storage_status {
    /// Done (for `storage_get`: the value was set with `botwire_storage_value_set`).
    Ok = 0,
    /// `storage_get` only: there is no value under the key.
    NotFound = 1,
    /// The backend failed; the stored data is as it was before the call.
    Failed = 2,
}

/// An owned string kept with a terminating NUL, handed out as a [`botwire_str`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Text(Vec<u8>);

impl Text {
    pub(crate) fn new(text: &str) -> Self {
        let mut bytes = Vec::with_capacity(text.len() + 1);
        bytes.extend_from_slice(text.as_bytes());
        bytes.push(0);
        Text(bytes)
    }

    /// Takes over `text`'s buffer (no copy unless it has no room for the NUL).
    pub(crate) fn from_string(text: String) -> Self {
        let mut bytes = text.into_bytes();
        bytes.reserve_exact(1);
        bytes.push(0);
        Text(bytes)
    }

    pub(crate) fn view(&self) -> botwire_str {
        botwire_str {
            ptr: self.0.as_ptr().cast(),
            len: self.0.len() - 1,
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        // Built from a &str plus one NUL.
        std::str::from_utf8(&self.0[..self.0.len() - 1]).unwrap_or_default()
    }
}

/// A string handed to C as a [`Text`] only when first asked for (then copied with its NUL):
/// most call results are never read in pull mode.
pub(crate) struct LazyText {
    raw: String,
    text: OnceCell<Text>,
}

impl LazyText {
    pub(crate) fn new(raw: String) -> Self {
        LazyText {
            raw,
            text: OnceCell::new(),
        }
    }

    pub(crate) fn text(&self) -> &Text {
        self.text.get_or_init(|| Text::new(&self.raw))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.raw
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Self {
        Text::new(text)
    }
}

impl From<String> for Text {
    fn from(text: String) -> Self {
        Text::new(&text)
    }
}

/// Writes a string out-parameter: `Ok` with the text, `Empty` (nothing written) without.
///
/// # Safety
/// `out` was checked non-NULL and is writable.
pub(crate) unsafe fn write_text(out: *mut botwire_str, text: Option<&Text>) -> botwire_result {
    match text {
        Some(text) => {
            // SAFETY: the caller guarantees `out` is non-NULL and writable.
            unsafe { *out = text.view() };
            botwire_result::Ok
        }
        None => botwire_result::Empty,
    }
}
