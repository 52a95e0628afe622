//! TrueConf objects: envelopes and their contents, chats, buttons, files, limits, open enums.
//!
//! Every type here both parses (ignoring unknown keys) and serialises to the wire form, so the
//! same definitions serve the client and the fake server. Every enumeration is open: a value
//! this version does not know is kept as received, never rejected.
//!
//! ```
//! use botwire_core::trueconf::types::{ChatType, Content, Envelope, ParseMode};
//!
//! let env: Envelope = serde_json::from_str(r#"{
//!     "chatId": "5e0c1a9b", "messageId": "m1", "timestamp": 1781234567890,
//!     "author": {"id": "alice@video.example.com", "type": 1},
//!     "type": 200, "content": {"text": "hi", "parseMode": "text"}, "isEdited": false
//! }"#).unwrap();
//! assert_eq!(env.chat_id(), "5e0c1a9b");
//! assert_eq!(env.chat.chat_type, ChatType::UNDEF); // an older server sent no `chat` object
//! assert!(matches!(&env.content, Content::Text { text, parse_mode: ParseMode::Text, .. } if text == "hi"));
//! ```

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::cell::Cell;
use std::fmt;

// ---------------------------------------------------------------------------------------------
// Open enumerations
// ---------------------------------------------------------------------------------------------

/// Declares an integer enumeration as a newtype over `i64` with named constants; any integer
/// parses, so values this version does not know are kept.
macro_rules! int_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $konst:ident = $n:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(pub i64);

        impl $name {
            $( $(#[$vmeta])* pub const $konst: $name = $name($n); )*

            /// Every documented value.
            pub const KNOWN: &'static [$name] = &[$($name::$konst),*];

            /// The documented name of the value, `None` for a value this version does not know.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $( $n => Some(stringify!($konst)), )*
                    _ => None,
                }
            }

            /// Whether this version knows the value.
            pub fn is_known(self) -> bool {
                self.name().is_some()
            }
        }

        impl From<i64> for $name {
            fn from(n: i64) -> Self {
                $name(n)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(name) => write!(f, "{} ({name})", self.0),
                    None => write!(f, "{}", self.0),
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_i64(self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_i64(IntVisitor).map($name)
            }
        }
    };
}

/// Reads any JSON integer that fits an `i64`.
struct IntVisitor;

impl Visitor<'_> for IntVisitor {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer")
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<i64, E> {
        Ok(n)
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<i64, E> {
        i64::try_from(n).map_err(|_| E::custom("integer out of range"))
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<i64, E> {
        // `2.0` is an integer written by a sloppy encoder; `2.5` is not.
        if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 {
            Ok(f as i64)
        } else {
            Err(E::invalid_value(de::Unexpected::Float(f), &self))
        }
    }
}

/// Declares a string enumeration with a catch-all `Other` and everything but `Deserialize`.
macro_rules! string_enum_base {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $value:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this version does not know, kept as received.
            Other(String),
        }

        impl $name {
            /// Every documented value.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),*];

            /// The wire value.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $value, )*
                    $name::Other(s) => s,
                }
            }

            /// Reads a wire value; unknown values become `Other`.
            pub fn parse(s: &str) -> Self {
                match s {
                    $( $value => $name::$variant, )*
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name::parse(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

/// Declares a string enumeration with a catch-all `Other`, read from JSON strings.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $value:literal, )*
        }
    ) => {
        string_enum_base! {
            $(#[$meta])*
            $name {
                $( $(#[$vmeta])* $variant => $value, )*
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_str(StrVisitor).map(|s| $name::parse(&s))
            }
        }
    };
}

/// Reads a JSON string.
struct StrVisitor;

impl Visitor<'_> for StrVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<String, E> {
        Ok(s.to_owned())
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<String, E> {
        Ok(s)
    }
}

int_enum! {
    /// A chat's type (`chatType`).
    ChatType {
        /// Undefined (also what an envelope without a `chat` object reports).
        UNDEF = 0,
        /// A personal chat between two users.
        P2P = 1,
        /// A group chat.
        GROUP = 2,
        /// A system chat.
        SYSTEM = 3,
        /// The account's favourites ("saved messages") chat.
        FAVORITES = 5,
        /// A channel.
        CHANNEL = 6,
    }
}

int_enum! {
    /// An envelope's type (`type`): system envelopes (1–110) and user messages (200–205).
    EnvelopeType {
        /// A participant was added (`{userId, role}`).
        ADD_PARTICIPANT = 1,
        /// A participant was removed (`{userId}`).
        REMOVE_PARTICIPANT = 2,
        /// The chat title changed (`{title}`).
        EDIT_CHAT_TITLE = 21,
        /// The chat avatar changed (`{avatarUrl}`).
        EDIT_CHAT_AVATAR = 22,
        /// The chat history was cleared (`{forAll}`).
        CLEAR_CHAT_HISTORY = 23,
        /// A participant's role changed (`{userId, role}`).
        PARTICIPANT_ROLE = 110,
        /// A text message.
        PLAIN_MESSAGE = 200,
        /// A forwarded message.
        FORWARDED_MESSAGE = 201,
        /// A file: photo, video, sticker or document.
        ATTACHMENT = 202,
        /// A location.
        LOCATION = 203,
        /// A survey link.
        SURVEY = 204,
        /// A voice message (server 5.5.6 and later).
        VOICE_MESSAGE = 205,
    }
}

impl EnvelopeType {
    /// Whether this is one of the documented system envelope types.
    pub fn is_system(self) -> bool {
        matches!(self.0, 1 | 2 | 21 | 22 | 23 | 110)
    }

    /// Whether this is one of the documented user message types.
    pub fn is_user_message(self) -> bool {
        (200..=205).contains(&self.0)
    }
}

int_enum! {
    /// Who wrote an envelope (`author.type`).
    AuthorType {
        /// The server itself (an id such as `trueconf.server`).
        SYSTEM = 0,
        /// A user or bot account.
        USER = 1,
    }
}

int_enum! {
    /// Whether a file can be downloaded (`readyState`).
    FileReadyState {
        /// The file is gone.
        NOT_AVAILABLE = 0,
        /// The sender is still uploading it.
        UPLOADING = 1,
        /// The file can be downloaded.
        READY = 2,
    }
}

string_enum! {
    /// How a text is formatted (`parseMode`). The default is `text`.
    #[derive(Default)]
    ParseMode {
        /// Shown verbatim.
        #[default]
        Text => "text",
        /// Markdown.
        Markdown => "markdown",
        /// HTML.
        Html => "html",
    }
}

string_enum_base! {
    /// A chat participant's role. Strings on the wire; the documentation's numbering 0–6 (in
    /// the order below) is accepted when parsing too.
    Role {
        /// `owner`
        Owner => "owner",
        /// `admin`
        Admin => "admin",
        /// `user`
        User => "user",
        /// `conf_owner`
        ConfOwner => "conf_owner",
        /// `conf_moderator`
        ConfModerator => "conf_moderator",
        /// `favorites_owner`
        FavoritesOwner => "favorites_owner",
        /// `writer`
        Writer => "writer",
    }
}

impl Role {
    /// The role of the documentation's numbering (`ChatParticipantRoleEnum`, 0–6); other
    /// numbers are kept as `Other` with their decimal text.
    pub fn from_number(n: i64) -> Role {
        usize::try_from(n)
            .ok()
            .and_then(|i| Role::KNOWN.get(i))
            .cloned()
            .unwrap_or_else(|| Role::Other(n.to_string()))
    }
}

impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct RoleVisitor;
        impl Visitor<'_> for RoleVisitor {
            type Value = Role;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a role name or number")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Role, E> {
                Ok(Role::parse(s))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Role, E> {
                Ok(Role::from_number(n))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Role, E> {
                Ok(i64::try_from(n)
                    .map(Role::from_number)
                    .unwrap_or_else(|_| Role::Other(n.to_string())))
            }
        }
        d.deserialize_any(RoleVisitor)
    }
}

string_enum! {
    /// A chat activity indicator (`activityType` of `sendChatActivity`).
    ActivityType {
        /// `typing`
        Typing => "typing",
        /// `choosing_sticker`
        ChoosingSticker => "choosing_sticker",
        /// `uploading_file`
        UploadingFile => "uploading_file",
    }
}

string_enum! {
    /// What a button does (`type`).
    ButtonType {
        /// Sends a command event to the bot.
        Command => "command",
        /// Opens a URL.
        Url => "url",
        /// Sends (or drafts) a text message from the user.
        Message => "message",
        /// Copies text to the clipboard.
        Copy => "copy",
        /// Shares something (fields undocumented).
        Share => "share",
    }
}

string_enum! {
    /// A button's look (`style`).
    ButtonStyle {
        /// `default` (never sent: it is the default).
        Default => "default",
        /// `primary`
        Primary => "primary",
        /// `danger`
        Danger => "danger",
        /// `success`
        Success => "success",
    }
}

string_enum! {
    /// How a command was answered (`answerType` of `answerCommand`).
    AnswerType {
        /// `complete`
        Complete => "complete",
        /// `timeout`
        Timeout => "timeout",
        /// `cancel`
        Cancel => "cancel",
        /// `message`
        Message => "message",
    }
}

string_enum! {
    /// The status shown with a command answer (`message.status` of `answerCommand`).
    CommandStatus {
        /// `unknown`
        Unknown => "unknown",
        /// `pending`
        Pending => "pending",
        /// `running`
        Running => "running",
        /// `ok`
        Ok => "ok",
        /// `failed`
        Failed => "failed",
        /// `canceled`
        Canceled => "canceled",
        /// `timeout`
        Timeout => "timeout",
    }
}

string_enum! {
    /// How a command answer is shown (`message.visibility` of `answerCommand`).
    CommandVisibility {
        /// `default`
        Default => "default",
        /// `toast`
        Toast => "toast",
        /// `sticky`
        Sticky => "sticky",
        /// `alert`
        Alert => "alert",
    }
}

string_enum! {
    /// The severity of a command answer (`message.level` of `answerCommand`).
    CommandLevel {
        /// `info`
        Info => "info",
        /// `warning`
        Warning => "warning",
        /// `error`
        Error => "error",
        /// `critical`
        Critical => "critical",
    }
}

string_enum! {
    /// How an extension list restricts uploads (`extensions.mode`).
    ExtensionMode {
        /// Only the listed extensions may be uploaded.
        Allow => "allow",
        /// The listed extensions may not be uploaded.
        Block => "block",
    }
}

/// The survey `description` placeholder for a named survey.
pub const SURVEY_DESCRIPTION_NAMED: &str = "{{Survey}}";
/// The survey `description` placeholder for an anonymous survey.
pub const SURVEY_DESCRIPTION_ANONYMOUS: &str = "{{Anonymous survey}}";
/// The survey `buttonText` placeholder.
pub const SURVEY_BUTTON_TEXT: &str = "{{Go to survey}}";

// ---------------------------------------------------------------------------------------------
// Lenient field readers
// ---------------------------------------------------------------------------------------------

/// Reads a flag sent as a bool, as `"true"`/`"false"` (any case), as 0/1, or as `null`
/// (false).
pub(crate) fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    struct BoolVisitor;
    impl Visitor<'_> for BoolVisitor {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a bool, \"true\" or \"false\"")
        }
        fn visit_bool<E: de::Error>(self, b: bool) -> Result<bool, E> {
            Ok(b)
        }
        fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<bool, E> {
            let s = s.trim();
            if s.eq_ignore_ascii_case("true") || s == "1" {
                Ok(true)
            } else if s.eq_ignore_ascii_case("false") || s == "0" || s.is_empty() {
                Ok(false)
            } else {
                Err(E::invalid_value(de::Unexpected::Str(s), &self))
            }
        }
        fn visit_u64<E: de::Error>(self, n: u64) -> Result<bool, E> {
            match n {
                0 => Ok(false),
                1 => Ok(true),
                _ => Err(E::invalid_value(de::Unexpected::Unsigned(n), &self)),
            }
        }
        fn visit_i64<E: de::Error>(self, n: i64) -> Result<bool, E> {
            match n {
                0 => Ok(false),
                1 => Ok(true),
                _ => Err(E::invalid_value(de::Unexpected::Signed(n), &self)),
            }
        }
    }
    d.deserialize_any(BoolVisitor)
}

/// Reads an optional integer sent as a number or as a decimal string.
fn lenient_opt_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    struct OptIntVisitor;
    impl<'de> Visitor<'de> for OptIntVisitor {
        type Value = Option<i64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an integer or null")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Option<i64>, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Option<i64>, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Option<i64>, D2::Error> {
            d.deserialize_any(self)
        }
        fn visit_i64<E: de::Error>(self, n: i64) -> Result<Option<i64>, E> {
            Ok(Some(n))
        }
        fn visit_u64<E: de::Error>(self, n: u64) -> Result<Option<i64>, E> {
            IntVisitor.visit_u64(n).map(Some)
        }
        fn visit_f64<E: de::Error>(self, f: f64) -> Result<Option<i64>, E> {
            IntVisitor.visit_f64(f).map(Some)
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<Option<i64>, E> {
            s.trim()
                .parse()
                .map(Some)
                .map_err(|_| E::invalid_value(de::Unexpected::Str(s), &self))
        }
    }
    d.deserialize_any(OptIntVisitor)
}

// ---------------------------------------------------------------------------------------------
// Small records
// ---------------------------------------------------------------------------------------------

/// The chat an envelope belongs to (`chat`: `{chatId, chatTitle, chatType}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatRef {
    /// The chat id.
    pub chat_id: String,
    /// The chat's title; always sent, `null` when the chat has none.
    #[serde(default)]
    pub chat_title: Option<String>,
    /// The chat's type ([`ChatType::UNDEF`] when the server did not say).
    #[serde(default)]
    pub chat_type: ChatType,
}

impl ChatRef {
    /// A chat reference.
    pub fn new(
        chat_id: impl Into<String>,
        chat_title: Option<String>,
        chat_type: ChatType,
    ) -> Self {
        ChatRef {
            chat_id: chat_id.into(),
            chat_title,
            chat_type,
        }
    }
}

/// Who wrote an envelope, or who added or removed someone (`{id, type}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    /// The TrueConf id (`user@server`, or `trueconf.server` for the system).
    pub id: String,
    /// System or user.
    #[serde(rename = "type")]
    pub kind: AuthorType,
}

impl Author {
    /// A user author.
    pub fn user(id: impl Into<String>) -> Self {
        Author {
            id: id.into(),
            kind: AuthorType::USER,
        }
    }

    /// A system author.
    pub fn system(id: impl Into<String>) -> Self {
        Author {
            id: id.into(),
            kind: AuthorType::SYSTEM,
        }
    }
}

/// An envelope's opaque ordering record (`box`: `{id, position}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageBox {
    /// A per-chat increasing number.
    pub id: i64,
    /// An opaque position string.
    #[serde(default)]
    pub position: String,
}

/// A chat participant (`{userId, role}`; `getChatParticipant` adds the author `type`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Participant {
    /// The participant's TrueConf id.
    pub user_id: String,
    /// The participant's role.
    pub role: Role,
    /// System or user, when the server says (`getChatParticipant`).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<AuthorType>,
}

impl Participant {
    /// A participant without an author type.
    pub fn new(user_id: impl Into<String>, role: Role) -> Self {
        Participant {
            user_id: user_id.into(),
            role,
            kind: None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Buttons
// ---------------------------------------------------------------------------------------------

/// Most rows of buttons on one message.
pub const MAX_BUTTON_ROWS: usize = 8;
/// Most buttons in one row.
pub const MAX_BUTTONS_PER_ROW: usize = 8;
/// Most buttons on one message.
pub const MAX_BUTTONS: usize = 64;

/// An inline button (server 5.5.6 and later), sent in `content.buttons` of plain-text messages.
///
/// Serialises only the keys that are set and not at their default value.
///
/// ```
/// use botwire_core::trueconf::types::{Button, ButtonStyle};
/// let b = Button::command("Done", "/done").custom_data("inv:88").style(ButtonStyle::Success);
/// assert_eq!(
///     serde_json::to_string(&b).unwrap(),
///     r#"{"label":"Done","type":"command","command":"/done","customData":"inv:88","style":"success"}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Button {
    /// The caption (1–32 characters; may be omitted for `url` buttons).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// What the button does.
    #[serde(rename = "type")]
    pub kind: ButtonType,
    /// `command`: the command (1–255 ASCII characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// `command`: data returned in the `command` event (1–4096 ASCII characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<String>,
    /// `command`: the TrueConf id the command is addressed to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// `command`: not yet supported by TrueConf apps; kept when received, no setter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_reply: Option<bool>,
    /// `url`: the address (8–8095 ASCII characters; http, https, mailto or trueconf).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `message`: the text the user's app sends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `message`: put the text into the input field instead of sending it.
    #[serde(
        default,
        skip_serializing_if = "is_false",
        deserialize_with = "lenient_bool"
    )]
    pub draft: bool,
    /// `copy`: the text copied to the clipboard (1–4095 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// An id returned as `commandSource.buttonId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The look; `default` is never sent.
    #[serde(default, skip_serializing_if = "is_default_style")]
    pub style: Option<ButtonStyle>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_default_style(style: &Option<ButtonStyle>) -> bool {
    matches!(style, None | Some(ButtonStyle::Default))
}

impl Button {
    fn bare(kind: ButtonType, label: Option<String>) -> Self {
        Button {
            label,
            kind,
            command: None,
            custom_data: None,
            to: None,
            wait_reply: None,
            url: None,
            message: None,
            draft: false,
            data: None,
            id: None,
            style: None,
        }
    }

    /// A button that sends `command` to the bot as a `command` event.
    pub fn command(label: impl Into<String>, command: impl Into<String>) -> Self {
        Button {
            command: Some(command.into()),
            ..Button::bare(ButtonType::Command, Some(label.into()))
        }
    }

    /// A button that opens `url`.
    pub fn url(label: impl Into<String>, url: impl Into<String>) -> Self {
        Button {
            url: Some(url.into()),
            ..Button::bare(ButtonType::Url, Some(label.into()))
        }
    }

    /// A button that makes the user's app send `message`.
    pub fn message(label: impl Into<String>, message: impl Into<String>) -> Self {
        Button {
            message: Some(message.into()),
            ..Button::bare(ButtonType::Message, Some(label.into()))
        }
    }

    /// A button that copies `data` to the clipboard.
    pub fn copy(label: impl Into<String>, data: impl Into<String>) -> Self {
        Button {
            data: Some(data.into()),
            ..Button::bare(ButtonType::Copy, Some(label.into()))
        }
    }

    /// Sets `customData` (command buttons).
    pub fn custom_data(mut self, data: impl Into<String>) -> Self {
        self.custom_data = Some(data.into());
        self
    }

    /// Sets `style`.
    pub fn style(mut self, style: ButtonStyle) -> Self {
        self.style = Some(style);
        self
    }

    /// Sets `id`, returned as `commandSource.buttonId`.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Sets `to` (command buttons): the full TrueConf id the command is addressed to.
    pub fn to(mut self, user_id: impl Into<String>) -> Self {
        self.to = Some(user_id.into());
        self
    }

    /// Sets `draft` (message buttons).
    pub fn draft(mut self, draft: bool) -> Self {
        self.draft = draft;
        self
    }

    /// Checks the documented per-button limits (label, command, custom data, URL, copy data).
    ///
    /// # Errors
    ///
    /// A short description of the first violated limit.
    pub fn check(&self) -> Result<(), String> {
        fn len_in(
            field: &str,
            value: &str,
            lo: usize,
            hi: usize,
            ascii: bool,
        ) -> Result<(), String> {
            let n = value.chars().count();
            if n < lo || n > hi {
                return Err(format!(
                    "button {field} must be {lo}–{hi} characters, got {n}"
                ));
            }
            if ascii && !value.is_ascii() {
                return Err(format!("button {field} must be ASCII"));
            }
            Ok(())
        }
        fn required<'a>(field: &str, value: &'a Option<String>) -> Result<&'a str, String> {
            value
                .as_deref()
                .ok_or_else(|| format!("button {field} is required"))
        }
        match (&self.label, &self.kind) {
            (Some(label), _) => len_in("label", label, 1, 32, false)?,
            (None, ButtonType::Url) => {}
            (None, _) => return Err("button label is required".to_owned()),
        }
        match self.kind {
            ButtonType::Command => {
                len_in("command", required("command", &self.command)?, 1, 255, true)?;
                if let Some(data) = &self.custom_data {
                    len_in("customData", data, 1, 4096, true)?;
                }
            }
            ButtonType::Url => {
                let url = required("url", &self.url)?;
                len_in("url", url, 8, 8095, true)?;
                let scheme = url.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
                if !matches!(
                    scheme.as_deref(),
                    Some("http" | "https" | "mailto" | "trueconf")
                ) {
                    return Err("button url scheme must be http, https, mailto or trueconf".into());
                }
            }
            ButtonType::Message => {
                let message = required("message", &self.message)?;
                if message.is_empty() {
                    return Err("button message must not be empty".to_owned());
                }
            }
            ButtonType::Copy => len_in("data", required("data", &self.data)?, 1, 4095, false)?,
            _ => {}
        }
        Ok(())
    }
}

/// Checks a button matrix against the documented limits: at most [`MAX_BUTTON_ROWS`] rows,
/// [`MAX_BUTTONS_PER_ROW`] per row and [`MAX_BUTTONS`] in all, and every button's own limits.
///
/// # Errors
///
/// A short description of the first violated limit.
pub fn check_buttons(rows: &[Vec<Button>]) -> Result<(), String> {
    if rows.len() > MAX_BUTTON_ROWS {
        return Err(format!(
            "at most {MAX_BUTTON_ROWS} rows of buttons, got {}",
            rows.len()
        ));
    }
    let mut total = 0;
    for (i, row) in rows.iter().enumerate() {
        if row.len() > MAX_BUTTONS_PER_ROW {
            return Err(format!(
                "at most {MAX_BUTTONS_PER_ROW} buttons per row, row {i} has {}",
                row.len()
            ));
        }
        total += row.len();
        for button in row {
            button.check()?;
        }
    }
    if total > MAX_BUTTONS {
        return Err(format!("at most {MAX_BUTTONS} buttons, got {total}"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Contents
// ---------------------------------------------------------------------------------------------

/// A text content `{text, parseMode, buttons?}`: what `sendMessage` and `editMessage` send and
/// what the `editMessage` event carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TextContent {
    /// The text.
    pub text: String,
    /// Its formatting.
    #[serde(default)]
    pub parse_mode: ParseMode,
    /// Rows of buttons (server 5.5.6 and later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buttons: Option<Vec<Vec<Button>>>,
}

impl TextContent {
    /// A text with the given formatting and no buttons.
    pub fn new(text: impl Into<String>, parse_mode: ParseMode) -> Self {
        TextContent {
            text: text.into(),
            parse_mode,
            buttons: None,
        }
    }
}

impl From<TextContent> for Content {
    fn from(t: TextContent) -> Self {
        Content::Text {
            text: t.text,
            parse_mode: t.parse_mode,
            buttons: t.buttons,
        }
    }
}

/// A survey content (envelope type 204, and what `sendSurvey` sends).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SurveyContent {
    /// `https://<server>/webtools/survey`.
    pub url: String,
    /// The survey title.
    pub title: String,
    /// `1` when sent by a bot.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_opt_int"
    )]
    pub app_version: Option<i64>,
    /// The survey campaign id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// [`SURVEY_DESCRIPTION_NAMED`] or [`SURVEY_DESCRIPTION_ANONYMOUS`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// [`SURVEY_BUTTON_TEXT`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub button_text: Option<String>,
    /// 40 hex characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// HTML fallback for clients without survey support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt: Option<String>,
}

/// What kind of file an attachment is, told apart by its MIME type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttachmentKind {
    /// `image/*`
    Photo,
    /// `video/*`
    Video,
    /// `sticker/*`
    Sticker,
    /// Anything else (or no MIME type).
    Document,
}

impl AttachmentKind {
    /// Classifies a MIME type (case-insensitively).
    pub fn from_mime_type(mime_type: Option<&str>) -> Self {
        let major = mime_type
            .and_then(|m| m.split_once('/'))
            .map(|(major, _)| major.trim().to_ascii_lowercase());
        match major.as_deref() {
            Some("image") => AttachmentKind::Photo,
            Some("video") => AttachmentKind::Video,
            Some("sticker") => AttachmentKind::Sticker,
            _ => AttachmentKind::Document,
        }
    }
}

/// An envelope's `content`, decoded according to the envelope `type`.
///
/// A content of an unknown type, or one that does not fit its type, is kept raw in
/// [`Content::Unknown`]; decoding a content never fails.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Content {
    /// 200: a text.
    Text {
        /// The text.
        text: String,
        /// Its formatting.
        parse_mode: ParseMode,
        /// Rows of buttons.
        buttons: Option<Vec<Vec<Button>>>,
    },
    /// 201: the forwarded original (an envelope without `box`).
    Forward(Box<Envelope>),
    /// 202: a photo, video, sticker or document; see [`Content::attachment_kind`].
    Attachment {
        /// The file name.
        name: String,
        /// Its size in bytes.
        size: u64,
        /// The file id (for `getFileInfo`).
        file_id: Option<String>,
        /// Its MIME type.
        mime_type: Option<String>,
        /// Whether it can be downloaded yet.
        ready_state: Option<FileReadyState>,
    },
    /// 203: a location.
    Location {
        /// Latitude.
        latitude: f64,
        /// Longitude.
        longitude: f64,
        /// An address text.
        title: String,
    },
    /// 204: a survey link.
    Survey(SurveyContent),
    /// 205: a voice message.
    Voice {
        /// The file id.
        file_id: String,
        /// Its size in bytes.
        size: u64,
        /// Its MIME type (`voice/m4a`, `audio/ogg`, ...).
        mime_type: String,
        /// Its duration (apparently milliseconds).
        duration: Option<u64>,
    },
    /// 1: a participant was added.
    ParticipantAdded {
        /// Who.
        user_id: String,
        /// With which role.
        role: Role,
    },
    /// 2: a participant was removed.
    ParticipantRemoved {
        /// Who.
        user_id: String,
    },
    /// 21: the chat title changed.
    TitleChanged {
        /// The new title.
        title: String,
    },
    /// 22: the chat avatar changed.
    AvatarChanged {
        /// The new avatar's URL.
        avatar_url: Option<String>,
    },
    /// 23: the chat history was cleared.
    HistoryCleared {
        /// For everyone, or only for the one who cleared it.
        for_all: bool,
    },
    /// 110: a participant's role changed.
    RoleChanged {
        /// Who.
        user_id: String,
        /// The new role.
        role: Role,
    },
    /// An unknown envelope type, or a content that does not fit its type: kept raw.
    Unknown {
        /// The envelope type.
        kind: EnvelopeType,
        /// The content as received.
        raw: Value,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AttachmentWire {
    name: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    file_id: Option<String>,
    #[serde(default)]
    mime_type: Option<String>,
    #[serde(default)]
    ready_state: Option<FileReadyState>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LocationWire {
    latitude: f64,
    longitude: f64,
    #[serde(default)]
    title: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VoiceWire {
    file_id: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    mime_type: Option<String>,
    #[serde(default)]
    duration: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserRoleWire {
    user_id: String,
    role: Role,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserWire {
    user_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TitleWire {
    title: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AvatarWire {
    #[serde(default)]
    avatar_url: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClearWire {
    #[serde(default, deserialize_with = "lenient_bool")]
    for_all: bool,
}

impl Content {
    /// Decodes a content according to its envelope type. Never fails: an unknown type or a
    /// content that does not fit its type becomes [`Content::Unknown`].
    ///
    /// A forward of a forward arrives flattened (an inner envelope of type 201 whose content is
    /// the original's text), so for type 201 a text content is accepted as well.
    pub fn from_value(kind: EnvelopeType, value: Value) -> Content {
        fn read<T: serde::de::DeserializeOwned>(v: &Value) -> Option<T> {
            if !v.is_object() {
                return None;
            }
            T::deserialize(v).ok()
        }
        let text = |v: &Value| read::<TextContent>(v).map(Content::from);
        let decoded =
            match kind {
                EnvelopeType::PLAIN_MESSAGE => text(&value),
                EnvelopeType::FORWARDED_MESSAGE => {
                    if !nesting_room() {
                        None
                    } else if EnvelopeWire::<de::IgnoredAny, de::IgnoredAny>::deserialize(&value)
                        .is_ok_and(|probe| probe.has_chat())
                    {
                        // The probe checked every field that can fail an envelope, so the
                        // owned decode below (which moves nested forwards instead of copying
                        // them) succeeds.
                        return match Envelope::deserialize(value) {
                            Ok(envelope) => Content::Forward(Box::new(envelope)),
                            Err(_) => Content::Unknown {
                                kind,
                                raw: Value::Null,
                            },
                        };
                    } else {
                        text(&value)
                    }
                }
                EnvelopeType::ATTACHMENT => {
                    read::<AttachmentWire>(&value).map(|a| Content::Attachment {
                        name: a.name,
                        size: a.size,
                        file_id: a.file_id,
                        mime_type: a.mime_type,
                        ready_state: a.ready_state,
                    })
                }
                EnvelopeType::LOCATION => read::<LocationWire>(&value).map(|l| Content::Location {
                    latitude: l.latitude,
                    longitude: l.longitude,
                    title: l.title.unwrap_or_default(),
                }),
                EnvelopeType::SURVEY => read::<SurveyContent>(&value).map(Content::Survey),
                EnvelopeType::VOICE_MESSAGE => read::<VoiceWire>(&value).map(|v| Content::Voice {
                    file_id: v.file_id,
                    size: v.size,
                    mime_type: v.mime_type.unwrap_or_default(),
                    duration: v.duration,
                }),
                EnvelopeType::ADD_PARTICIPANT => {
                    read::<UserRoleWire>(&value).map(|p| Content::ParticipantAdded {
                        user_id: p.user_id,
                        role: p.role,
                    })
                }
                EnvelopeType::PARTICIPANT_ROLE => {
                    read::<UserRoleWire>(&value).map(|p| Content::RoleChanged {
                        user_id: p.user_id,
                        role: p.role,
                    })
                }
                EnvelopeType::REMOVE_PARTICIPANT => read::<UserWire>(&value)
                    .map(|p| Content::ParticipantRemoved { user_id: p.user_id }),
                EnvelopeType::EDIT_CHAT_TITLE => {
                    read::<TitleWire>(&value).map(|t| Content::TitleChanged { title: t.title })
                }
                EnvelopeType::EDIT_CHAT_AVATAR => {
                    read::<AvatarWire>(&value).map(|a| Content::AvatarChanged {
                        avatar_url: a.avatar_url,
                    })
                }
                EnvelopeType::CLEAR_CHAT_HISTORY => read::<ClearWire>(&value)
                    .map(|c| Content::HistoryCleared { for_all: c.for_all }),
                _ => None,
            };
        decoded.unwrap_or(Content::Unknown { kind, raw: value })
    }

    /// The envelope type this content belongs to.
    pub fn envelope_type(&self) -> EnvelopeType {
        match self {
            Content::Text { .. } => EnvelopeType::PLAIN_MESSAGE,
            Content::Forward(_) => EnvelopeType::FORWARDED_MESSAGE,
            Content::Attachment { .. } => EnvelopeType::ATTACHMENT,
            Content::Location { .. } => EnvelopeType::LOCATION,
            Content::Survey(_) => EnvelopeType::SURVEY,
            Content::Voice { .. } => EnvelopeType::VOICE_MESSAGE,
            Content::ParticipantAdded { .. } => EnvelopeType::ADD_PARTICIPANT,
            Content::ParticipantRemoved { .. } => EnvelopeType::REMOVE_PARTICIPANT,
            Content::TitleChanged { .. } => EnvelopeType::EDIT_CHAT_TITLE,
            Content::AvatarChanged { .. } => EnvelopeType::EDIT_CHAT_AVATAR,
            Content::HistoryCleared { .. } => EnvelopeType::CLEAR_CHAT_HISTORY,
            Content::RoleChanged { .. } => EnvelopeType::PARTICIPANT_ROLE,
            Content::Unknown { kind, .. } => *kind,
        }
    }

    /// A text content with the given formatting and no buttons.
    pub fn text(text: impl Into<String>, parse_mode: ParseMode) -> Content {
        Content::Text {
            text: text.into(),
            parse_mode,
            buttons: None,
        }
    }

    /// The text of a text content.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Content::Text { text, .. } => Some(text),
            _ => None,
        }
    }

    /// For an attachment: photo, video, sticker or document, by MIME type.
    pub fn attachment_kind(&self) -> Option<AttachmentKind> {
        match self {
            Content::Attachment { mime_type, .. } => {
                Some(AttachmentKind::from_mime_type(mime_type.as_deref()))
            }
            _ => None,
        }
    }
}

impl Serialize for Content {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Content::Text {
                text,
                parse_mode,
                buttons,
            } => {
                let mut m = s.serialize_map(None)?;
                m.serialize_entry("text", text)?;
                m.serialize_entry("parseMode", parse_mode)?;
                if let Some(buttons) = buttons {
                    m.serialize_entry("buttons", buttons)?;
                }
                m.end()
            }
            Content::Forward(envelope) => envelope.serialize(s),
            Content::Attachment {
                name,
                size,
                file_id,
                mime_type,
                ready_state,
            } => {
                let mut m = s.serialize_map(None)?;
                m.serialize_entry("name", name)?;
                m.serialize_entry("size", size)?;
                if let Some(file_id) = file_id {
                    m.serialize_entry("fileId", file_id)?;
                }
                if let Some(mime_type) = mime_type {
                    m.serialize_entry("mimeType", mime_type)?;
                }
                if let Some(ready_state) = ready_state {
                    m.serialize_entry("readyState", ready_state)?;
                }
                m.end()
            }
            Content::Location {
                latitude,
                longitude,
                title,
            } => {
                let mut m = s.serialize_map(Some(3))?;
                m.serialize_entry("latitude", latitude)?;
                m.serialize_entry("longitude", longitude)?;
                m.serialize_entry("title", title)?;
                m.end()
            }
            Content::Survey(survey) => survey.serialize(s),
            Content::Voice {
                file_id,
                size,
                mime_type,
                duration,
            } => {
                let mut m = s.serialize_map(None)?;
                m.serialize_entry("fileId", file_id)?;
                m.serialize_entry("size", size)?;
                m.serialize_entry("mimeType", mime_type)?;
                if let Some(duration) = duration {
                    m.serialize_entry("duration", duration)?;
                }
                m.end()
            }
            Content::ParticipantAdded { user_id, role }
            | Content::RoleChanged { user_id, role } => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("userId", user_id)?;
                m.serialize_entry("role", role)?;
                m.end()
            }
            Content::ParticipantRemoved { user_id } => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("userId", user_id)?;
                m.end()
            }
            Content::TitleChanged { title } => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("title", title)?;
                m.end()
            }
            Content::AvatarChanged { avatar_url } => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("avatarUrl", avatar_url)?;
                m.end()
            }
            Content::HistoryCleared { for_all } => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("forAll", for_all)?;
                m.end()
            }
            Content::Unknown { raw, .. } => raw.serialize(s),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Envelope
// ---------------------------------------------------------------------------------------------

/// A message (8.1): the payload of the `sendMessage` event, the `getMessageById` result, an
/// item of `getChatHistory`, a reply's expanded original, a forward's original, and
/// `commandSource.message`.
///
/// Parsing accepts the `chat` object (server 5.5.6 and later) or only a top-level `chatId`
/// (older servers; [`ChatRef::chat_title`] is then `None` and [`ChatRef::chat_type`]
/// [`ChatType::UNDEF`]). Serialising writes the wire form of current servers: both `chat` and
/// the top-level `chatId`.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// The chat the message belongs to.
    pub chat: ChatRef,
    /// The message id.
    pub message_id: String,
    /// Unix time in milliseconds.
    pub timestamp: i64,
    /// The author.
    pub author: Author,
    /// The ordering record (`box`); absent inside forwards and in some events.
    pub message_box: Option<MessageBox>,
    /// The envelope type (`type`). Usually [`Content::envelope_type`], except for flattened
    /// forwards of forwards (type 201 with a text content) and unknown contents.
    pub kind: EnvelopeType,
    /// The content, decoded by `kind`.
    pub content: Content,
    /// Whether the message was edited; absent on system envelopes.
    pub is_edited: Option<bool>,
    /// The message this one replies to.
    pub reply_message_id: Option<String>,
    /// That message, expanded one level (dropped when it does not parse).
    pub reply_message: Option<Box<Envelope>>,
}

impl Envelope {
    /// An envelope whose type follows from its content; `isEdited` is `false` for user
    /// messages and absent for system envelopes; no box, no reply.
    pub fn new(
        chat: ChatRef,
        message_id: impl Into<String>,
        timestamp: i64,
        author: Author,
        content: Content,
    ) -> Self {
        let kind = content.envelope_type();
        Envelope {
            chat,
            message_id: message_id.into(),
            timestamp,
            author,
            message_box: None,
            kind,
            is_edited: if kind.is_system() { None } else { Some(false) },
            content,
            reply_message_id: None,
            reply_message: None,
        }
    }

    /// Sets the `box` record.
    pub fn with_box(mut self, id: i64, position: impl Into<String>) -> Self {
        self.message_box = Some(MessageBox {
            id,
            position: position.into(),
        });
        self
    }

    /// The chat id: `chat.chatId`, or the top-level `chatId` when the server sent no `chat`.
    pub fn chat_id(&self) -> &str {
        &self.chat.chat_id
    }

    /// The text of a text message.
    pub fn text(&self) -> Option<&str> {
        self.content.as_text()
    }

    /// Whether the server wrote this envelope (a system envelope or a system author).
    pub fn is_system(&self) -> bool {
        self.kind.is_system() || self.author.kind == AuthorType::SYSTEM
    }
}

/// An envelope as read from the wire. `C` and `R` are the content and reply types: `Value`
/// for decoding, `IgnoredAny` for a cheap probe of the other fields.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EnvelopeWire<C, R> {
    #[serde(default)]
    chat: Option<ChatRef>,
    #[serde(default)]
    chat_id: Option<String>,
    message_id: String,
    timestamp: i64,
    author: Author,
    #[serde(rename = "box", default)]
    message_box: Option<MessageBox>,
    #[serde(rename = "type")]
    kind: EnvelopeType,
    content: C,
    #[serde(default, deserialize_with = "lenient_opt_bool")]
    is_edited: Option<bool>,
    #[serde(default)]
    reply_message_id: Option<String>,
    #[serde(default = "none")]
    reply_message: Option<R>,
}

fn none<T>() -> Option<T> {
    None
}

impl<C, R> EnvelopeWire<C, R> {
    fn has_chat(&self) -> bool {
        self.chat.is_some() || self.chat_id.is_some()
    }
}

/// Deepest nesting of envelopes inside each other (forwards, replies, last messages) that is
/// decoded, so that hostile input cannot exhaust the stack; real servers nest a few levels.
/// A deeper forward is kept as [`Content::Unknown`], a deeper reply is dropped.
pub const MAX_ENVELOPE_NESTING: u32 = 32;

thread_local! {
    static NESTING: Cell<u32> = const { Cell::new(0) };
}

/// Counts one level of envelope nesting while alive.
struct NestingGuard;

impl NestingGuard {
    fn enter<E: de::Error>() -> Result<NestingGuard, E> {
        NESTING.with(|n| {
            let depth = n.get();
            if depth >= MAX_ENVELOPE_NESTING {
                return Err(E::custom("envelopes nested too deeply"));
            }
            n.set(depth + 1);
            Ok(NestingGuard)
        })
    }
}

impl Drop for NestingGuard {
    fn drop(&mut self) {
        NESTING.with(|n| n.set(n.get().saturating_sub(1)));
    }
}

fn nesting_room() -> bool {
    NESTING.with(|n| n.get() < MAX_ENVELOPE_NESTING)
}

fn lenient_opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => lenient_bool(&v).map(Some).map_err(de::Error::custom),
    }
}

impl<'de> Deserialize<'de> for Envelope {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let _guard = NestingGuard::enter()?;
        let w = EnvelopeWire::<Value, Value>::deserialize(d)?;
        let chat = match (w.chat, w.chat_id) {
            (Some(chat), _) => chat,
            (None, Some(chat_id)) => ChatRef::new(chat_id, None, ChatType::UNDEF),
            (None, None) => return Err(de::Error::missing_field("chat")),
        };
        Ok(Envelope {
            chat,
            message_id: w.message_id,
            timestamp: w.timestamp,
            author: w.author,
            message_box: w.message_box,
            kind: w.kind,
            content: Content::from_value(w.kind, w.content),
            is_edited: w.is_edited,
            reply_message_id: w.reply_message_id,
            // A reply that does not parse is dropped rather than failing its envelope.
            reply_message: w
                .reply_message
                .and_then(|v| Envelope::deserialize(v).ok())
                .map(Box::new),
        })
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EnvelopeOut<'a> {
    chat: &'a ChatRef,
    chat_id: &'a str,
    message_id: &'a str,
    timestamp: i64,
    author: &'a Author,
    #[serde(rename = "box", skip_serializing_if = "Option::is_none")]
    message_box: Option<&'a MessageBox>,
    #[serde(rename = "type")]
    kind: EnvelopeType,
    content: &'a Content,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_edited: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_message_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_message: Option<&'a Envelope>,
}

impl Serialize for Envelope {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        EnvelopeOut {
            chat: &self.chat,
            chat_id: &self.chat.chat_id,
            message_id: &self.message_id,
            timestamp: self.timestamp,
            author: &self.author,
            message_box: self.message_box.as_ref(),
            kind: self.kind,
            content: &self.content,
            is_edited: self.is_edited,
            reply_message_id: self.reply_message_id.as_deref(),
            reply_message: self.reply_message.as_deref(),
        }
        .serialize(s)
    }
}

// ---------------------------------------------------------------------------------------------
// Chats
// ---------------------------------------------------------------------------------------------

/// A chat's last message (8.4): an envelope without `box`, `isEdited` and reply fields.
#[derive(Debug, Clone, PartialEq)]
pub struct LastMessage {
    /// The message id.
    pub message_id: String,
    /// Unix time in milliseconds.
    pub timestamp: i64,
    /// The author.
    pub author: Author,
    /// The envelope type.
    pub kind: EnvelopeType,
    /// The content, decoded by `kind`.
    pub content: Content,
    /// The chat (`{chatId, chatTitle, chatType}`).
    pub chat: Option<ChatRef>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LastMessageWire {
    message_id: String,
    timestamp: i64,
    author: Author,
    #[serde(rename = "type")]
    kind: EnvelopeType,
    content: Value,
    #[serde(default)]
    chat: Option<ChatRef>,
}

impl<'de> Deserialize<'de> for LastMessage {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let _guard = NestingGuard::enter()?;
        let w = LastMessageWire::deserialize(d)?;
        Ok(LastMessage {
            message_id: w.message_id,
            timestamp: w.timestamp,
            author: w.author,
            kind: w.kind,
            content: Content::from_value(w.kind, w.content),
            chat: w.chat,
        })
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LastMessageOut<'a> {
    message_id: &'a str,
    timestamp: i64,
    author: &'a Author,
    #[serde(rename = "type")]
    kind: EnvelopeType,
    content: &'a Content,
    #[serde(skip_serializing_if = "Option::is_none")]
    chat: Option<&'a ChatRef>,
}

impl Serialize for LastMessage {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        LastMessageOut {
            message_id: &self.message_id,
            timestamp: self.timestamp,
            author: &self.author,
            kind: self.kind,
            content: &self.content,
            chat: self.chat.as_ref(),
        }
        .serialize(s)
    }
}

/// A chat (8.3): the `getChatByID` result, an item of `getChats`, the payload of the
/// `create…` events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Chat {
    /// The chat id.
    pub chat_id: String,
    /// The title; `null` for the favourites chat.
    #[serde(default)]
    pub title: Option<String>,
    /// The chat's type.
    #[serde(default)]
    pub chat_type: ChatType,
    /// How many messages the bot has not read.
    #[serde(default)]
    pub unread_messages: u64,
    /// The avatar's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
    /// The last message; always serialised (as `null` when absent).
    #[serde(default)]
    pub last_message: Option<LastMessage>,
}

impl Chat {
    /// A chat without avatar, unread messages or last message.
    pub fn new(chat_id: impl Into<String>, title: Option<String>, chat_type: ChatType) -> Self {
        Chat {
            chat_id: chat_id.into(),
            title,
            chat_type,
            unread_messages: 0,
            avatar_url: None,
            last_message: None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

/// A file's thumbnail (an item of [`FileInfo::previews`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    /// The file name.
    #[serde(default)]
    pub name: String,
    /// The size in bytes.
    #[serde(default)]
    pub size: u64,
    /// The MIME type.
    #[serde(default)]
    pub mime_type: Option<String>,
    /// Where to download it (the URL carries its own credential).
    #[serde(default)]
    pub download_url: Option<String>,
}

/// The `getFileInfo` result (8.7). The file id arrives as `infoHash` (or `fileId`) and is
/// serialised as `infoHash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    /// The file name.
    pub name: String,
    /// The size in bytes.
    pub size: u64,
    /// The MIME type.
    pub mime_type: Option<String>,
    /// Whether it can be downloaded.
    pub ready_state: FileReadyState,
    /// The file id (`infoHash`).
    pub file_id: String,
    /// Where to download it; `None` unless ready. The URL carries its own credential: do not
    /// log it.
    pub download_url: Option<String>,
    /// Thumbnails.
    pub previews: Option<Vec<Preview>>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FileInfoWire {
    #[serde(default)]
    name: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    mime_type: Option<String>,
    ready_state: FileReadyState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    info_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    file_id: Option<String>,
    #[serde(default)]
    download_url: Option<String>,
    #[serde(default)]
    previews: Option<Vec<Preview>>,
}

impl<'de> Deserialize<'de> for FileInfo {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = FileInfoWire::deserialize(d)?;
        let file_id = w
            .info_hash
            .or(w.file_id)
            .ok_or_else(|| de::Error::missing_field("infoHash"))?;
        Ok(FileInfo {
            name: w.name,
            size: w.size,
            mime_type: w.mime_type,
            ready_state: w.ready_state,
            file_id,
            download_url: w.download_url,
            previews: w.previews,
        })
    }
}

impl Serialize for FileInfo {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        FileInfoWire {
            name: self.name.clone(),
            size: self.size,
            mime_type: self.mime_type.clone(),
            ready_state: self.ready_state,
            info_hash: Some(self.file_id.clone()),
            file_id: None,
            download_url: self.download_url.clone(),
            previews: self.previews.clone(),
        }
        .serialize(s)
    }
}

/// An extension restriction (`extensions`: `{mode, list}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionRule {
    /// Allow-list or block-list.
    pub mode: ExtensionMode,
    /// Extensions without the dot, compared case-insensitively.
    #[serde(default)]
    pub list: Vec<String>,
}

impl ExtensionRule {
    /// Whether a file of this name may be uploaded. With an allow-list, a name without an
    /// extension is refused; with a block-list it passes; an unknown mode restricts nothing.
    pub fn allows(&self, file_name: &str) -> bool {
        let ext = extension_of(file_name);
        let listed = |ext: &str| {
            let ext = ext.to_lowercase();
            self.list
                .iter()
                .any(|item| item.trim().trim_start_matches('.').to_lowercase() == ext)
        };
        match (&self.mode, ext) {
            (ExtensionMode::Allow, Some(ext)) => listed(ext),
            (ExtensionMode::Allow, None) => false,
            (ExtensionMode::Block, Some(ext)) => !listed(ext),
            _ => true,
        }
    }
}

/// The extension of a file name (after the last dot of the last path segment), if any.
fn extension_of(file_name: &str) -> Option<&str> {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    base.rsplit_once('.')
        .map(|(_, ext)| ext)
        .filter(|ext| !ext.is_empty())
}

/// The server's upload limits (8.8): the `getFileUploadLimits` result and event. Both keys are
/// always serialised, `null` meaning "no limit".
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadLimits {
    /// Largest file in bytes; `None`: unlimited.
    #[serde(default)]
    pub max_size: Option<u64>,
    /// Extension restriction; `None`: none.
    #[serde(default)]
    pub extensions: Option<ExtensionRule>,
}

impl UploadLimits {
    /// Checks a file against the limits before uploading it.
    ///
    /// ```
    /// use botwire_core::trueconf::types::UploadLimits;
    /// let limits: UploadLimits = serde_json::from_str(
    ///     r#"{"maxSize":100,"extensions":{"mode":"block","list":["exe"]}}"#).unwrap();
    /// assert!(limits.check("notes.txt", 100).is_ok());
    /// assert!(limits.check("SETUP.EXE", 10).is_err());
    /// assert!(limits.check("notes.txt", 101).is_err());
    /// ```
    ///
    /// # Errors
    ///
    /// A short reason when the size exceeds `maxSize` or the extension is not allowed.
    pub fn check(&self, file_name: &str, size: u64) -> Result<(), String> {
        if let Some(max) = self.max_size {
            if size > max {
                return Err(format!(
                    "the file has {size} bytes, the server accepts at most {max}"
                ));
            }
        }
        if let Some(rule) = &self.extensions {
            if !rule.allows(file_name) {
                return Err(match extension_of(file_name) {
                    Some(ext) => format!("the server does not accept .{ext} files"),
                    None => "the server accepts only files with an allowed extension".to_owned(),
                });
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Sequences of chats
// ---------------------------------------------------------------------------------------------

/// The `getChats` result: a bare array of chats, also accepted as `{"chats": [...]}`;
/// serialised as a bare array.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Chats(pub Vec<Chat>);

impl Serialize for Chats {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Chats {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ChatsVisitor;
        impl<'de> Visitor<'de> for ChatsVisitor {
            type Value = Chats;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of chats or {\"chats\": [...]}")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Chats, A::Error> {
                let mut chats = Vec::new();
                while let Some(chat) = seq.next_element()? {
                    chats.push(chat);
                }
                Ok(Chats(chats))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Chats, A::Error> {
                let mut chats = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key == "chats" && chats.is_none() {
                        chats = Some(map.next_value::<Vec<Chat>>()?);
                    } else {
                        map.next_value::<de::IgnoredAny>()?;
                    }
                }
                chats
                    .map(Chats)
                    .ok_or_else(|| de::Error::missing_field("chats"))
            }
        }
        d.deserialize_any(ChatsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_enums_keep_unknown_values() {
        let t: ChatType = serde_json::from_str("4").unwrap();
        assert_eq!(t, ChatType(4));
        assert!(!t.is_known());
        assert_eq!(serde_json::to_string(&t).unwrap(), "4");
        assert_eq!(ChatType::P2P.name(), Some("P2P"));
        let p: ParseMode = serde_json::from_str("\"bbcode\"").unwrap();
        assert_eq!(p, ParseMode::Other("bbcode".into()));
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"bbcode\"");
    }

    #[test]
    fn roles_accept_numbers() {
        let roles: Vec<Role> = serde_json::from_str(r#"[0, 1, 6, 9, "writer", "boss"]"#).unwrap();
        assert_eq!(
            roles,
            vec![
                Role::Owner,
                Role::Admin,
                Role::Writer,
                Role::Other("9".into()),
                Role::Writer,
                Role::Other("boss".into())
            ]
        );
        assert_eq!(
            serde_json::to_string(&Role::ConfModerator).unwrap(),
            "\"conf_moderator\""
        );
    }

    #[test]
    fn extension_rules() {
        let allow = ExtensionRule {
            mode: ExtensionMode::Allow,
            list: vec!["PDF".into(), ".png".into()],
        };
        assert!(allow.allows("a.pdf"));
        assert!(allow.allows("dir/b.PNG"));
        assert!(!allow.allows("c.exe"));
        assert!(!allow.allows("README"));
        let block = ExtensionRule {
            mode: ExtensionMode::Block,
            list: vec!["exe".into()],
        };
        assert!(block.allows("README"));
        assert!(block.allows("x.exe.txt"));
        assert!(!block.allows("x.txt.Exe"));
        let other = ExtensionRule {
            mode: ExtensionMode::Other("maybe".into()),
            list: vec!["exe".into()],
        };
        assert!(other.allows("x.exe"));
    }

    #[test]
    fn attachment_kinds() {
        use AttachmentKind::*;
        assert_eq!(AttachmentKind::from_mime_type(Some("image/png")), Photo);
        assert_eq!(AttachmentKind::from_mime_type(Some("Video/mp4")), Video);
        assert_eq!(
            AttachmentKind::from_mime_type(Some("sticker/webp")),
            Sticker
        );
        assert_eq!(
            AttachmentKind::from_mime_type(Some("application/pdf")),
            Document
        );
        assert_eq!(AttachmentKind::from_mime_type(Some("image")), Document);
        assert_eq!(AttachmentKind::from_mime_type(None), Document);
    }

    #[test]
    fn button_checks() {
        assert!(Button::command("Go", "/go").check().is_ok());
        assert!(Button::command("", "/go").check().is_err());
        assert!(Button::command("Go", "/gö").check().is_err());
        assert!(Button::url("Site", "ftp://example.com/x").check().is_err());
        assert!(Button::url("Site", "https://example.com").check().is_ok());
        assert!(Button::copy("Copy", "").check().is_err());
        let row: Vec<Button> = (0..8)
            .map(|i| Button::command("b", format!("/{i}")))
            .collect();
        assert!(check_buttons(&vec![row.clone(); 8]).is_ok());
        assert!(check_buttons(&vec![row.clone(); 9]).is_err());
        let mut wide = row;
        wide.push(Button::command("b", "/x"));
        assert!(check_buttons(&[wide]).is_err());
    }
}
