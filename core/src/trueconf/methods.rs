//! The 34 WebSocket methods: typed arguments (serialised as the request `payload`) and typed
//! results (parsed from the response `payload`).
//!
//! Each method is a struct built with `new(required...)` plus setters for optional fields; it
//! serialises to exactly the payload TrueConf's own client sends, and parses back (so a fake
//! server can read requests too). [`parse_response`] turns a response payload into the typed
//! result or a [`TrueConfError`].
//!
//! ```
//! use botwire_core::trueconf::methods::{parse_response, SendMessage};
//! use botwire_core::trueconf::types::ParseMode;
//! use botwire_core::trueconf::{ErrorCode, Method, TrueConfError};
//!
//! let m = SendMessage::new("5e0c1a9b", "Hi **there**").parse_mode(ParseMode::Markdown);
//! assert_eq!(SendMessage::NAME, "sendMessage");
//! assert_eq!(
//!     serde_json::to_string(&m).unwrap(),
//!     r#"{"chatId":"5e0c1a9b","replyMessageId":null,"content":{"text":"Hi **there**","parseMode":"markdown"}}"#
//! );
//! let sent = parse_response::<SendMessage>(r#"{"chatId":"5e0c1a9b","messageId":"m1","timestamp":5}"#).unwrap();
//! assert_eq!(sent.message_id, "m1");
//! let err = parse_response::<SendMessage>(r#"{"errorCode":304}"#).unwrap_err();
//! assert_eq!(err.code(), Some(ErrorCode::CHAT_NOT_FOUND));
//! ```

use super::error::{ErrorCode, TrueConfError};
use super::types::{
    check_buttons, lenient_bool, ActivityType, AnswerType, Button, Chat, Chats, CommandLevel,
    CommandStatus, CommandVisibility, Envelope, FileInfo, ParseMode, Participant, Role,
    SurveyContent, TextContent, UploadLimits, SURVEY_BUTTON_TEXT, SURVEY_DESCRIPTION_ANONYMOUS,
    SURVEY_DESCRIPTION_NAMED,
};
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// One TrueConf WebSocket method. The value is the request payload.
pub trait Method: Serialize {
    /// The wire name (`"sendMessage"`, `"getChatByID"`, ...).
    const NAME: &'static str;
    /// The parsed response payload.
    type Response: DeserializeOwned;
}

/// The wire names of all 34 methods, in the order of the reference.
pub const METHOD_NAMES: [&str; 34] = [
    "auth",
    "sendMessage",
    "editMessage",
    "forwardMessage",
    "removeMessage",
    "getMessageById",
    "getChatHistory",
    "sendChatActivity",
    "answerCommand",
    "sendSurvey",
    "editSurvey",
    "uploadFile",
    "sendFile",
    "getFileInfo",
    "getFileUploadLimits",
    "subscribeFileProgress",
    "unsubscribeFileProgress",
    "createP2PChat",
    "createGroupChat",
    "createChannel",
    "createFavoritesChat",
    "removeChat",
    "getChats",
    "getChatByID",
    "editChatTitle",
    "editChatAvatar",
    "clearHistory",
    "addChatParticipant",
    "removeChatParticipant",
    "changeParticipantRole",
    "getChatParticipants",
    "getChatParticipant",
    "hasChatParticipant",
    "getUserDisplayName",
];

/// Longest error text kept from a parse failure.
const MAX_ERROR_TEXT: usize = 160;

/// Parses a response payload (JSON text) of method `M`.
///
/// An object with a non-zero `errorCode` is the server's refusal; `errorCode: 0` or none is
/// success, and unknown keys are ignored.
///
/// # Errors
///
/// - [`TrueConfError::Server`] with the code and `errorDescription` for a non-zero
///   `errorCode`;
/// - [`TrueConfError::Malformed`] when the payload is not JSON or does not fit the response
///   type (a short message, never the payload itself).
pub fn parse_response<M: Method>(payload: &str) -> Result<M::Response, TrueConfError> {
    let value: Value =
        serde_json::from_str(payload).map_err(|e| malformed(M::NAME, &e.to_string()))?;
    if let Some(err) = server_error(&value) {
        return Err(err);
    }
    M::Response::deserialize(value).map_err(|e| malformed(M::NAME, &e.to_string()))
}

/// The error carried by a response payload: an object with a non-zero `errorCode` (a number,
/// or a decimal string).
pub fn server_error(payload: &Value) -> Option<TrueConfError> {
    let obj = payload.as_object()?;
    let code = match obj.get("errorCode")? {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .unwrap_or(i64::MAX),
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    if code == 0 {
        return None;
    }
    Some(TrueConfError::Server {
        code: ErrorCode(code),
        description: obj
            .get("errorDescription")
            .and_then(Value::as_str)
            .map(|d| truncate(d, MAX_ERROR_TEXT)),
    })
}

fn malformed(method: &str, reason: &str) -> TrueConfError {
    TrueConfError::Malformed(format!("{method}: {}", truncate(reason, MAX_ERROR_TEXT)))
}

fn truncate(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// Response types
// ---------------------------------------------------------------------------------------------

/// An empty response (`{}`, possibly `{"errorCode":0}`); any object is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Empty;

impl Serialize for Empty {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        s.serialize_map(Some(0))?.end()
    }
}

impl<'de> Deserialize<'de> for Empty {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct EmptyVisitor;
        impl<'de> Visitor<'de> for EmptyVisitor {
            type Value = Empty;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Empty, A::Error> {
                while map
                    .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(Empty)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Empty, E> {
                Ok(Empty)
            }
        }
        d.deserialize_any(EmptyVisitor)
    }
}

/// The `auth` result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthResponse {
    /// The bot's id, possibly with a `/resource` suffix.
    pub user_id: String,
    /// This connection's id.
    #[serde(default)]
    pub connection_id: String,
}

impl AuthResponse {
    /// The bot's own TrueConf id: `user_id` up to the first `/`.
    pub fn bot_id(&self) -> &str {
        self.user_id.split('/').next().unwrap_or(&self.user_id)
    }
}

/// A new message (`sendMessage`, `forwardMessage`, `sendSurvey`): `{chatId, messageId, timestamp}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SentMessage {
    /// The chat.
    pub chat_id: String,
    /// The new message's id.
    pub message_id: String,
    /// Unix time in milliseconds.
    #[serde(default)]
    pub timestamp: i64,
}

/// An edited message (`editMessage`, `editSurvey`): `{messageId, timestamp}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EditedMessage {
    /// The message's id.
    pub message_id: String,
    /// Unix time in milliseconds.
    #[serde(default)]
    pub timestamp: i64,
}

/// The `getChatHistory` result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatHistory {
    /// How many messages came back.
    #[serde(default)]
    pub count: u64,
    /// The chat.
    #[serde(default)]
    pub chat_id: String,
    /// User and system envelopes; the order is not documented (sort by `timestamp`).
    #[serde(default)]
    pub messages: Vec<Envelope>,
}

/// The `sendChatActivity` result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatActivity {
    /// The chat.
    #[serde(default)]
    pub chat_id: String,
    /// The activity.
    pub activity_type: ActivityType,
    /// How often to repeat the indicator while the activity lasts, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

/// The `uploadFile` result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadTask {
    /// Sent as the `Upload-Task-Id` header of the HTTP upload.
    pub upload_task_id: String,
}

/// The `sendFile` result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SentFile {
    /// The chat.
    pub chat_id: String,
    /// The file message's id.
    pub message_id: String,
    /// Unix time in milliseconds.
    #[serde(default)]
    pub timestamp: i64,
    /// The stored file's id.
    #[serde(default)]
    pub file_id: Option<String>,
    /// The id of the separate caption message, when a caption was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption_message_id: Option<String>,
}

/// A `{result: bool}` response (`subscribeFileProgress`, `unsubscribeFileProgress`,
/// `hasChatParticipant`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoolResult {
    /// The answer.
    #[serde(deserialize_with = "lenient_bool")]
    pub result: bool,
}

/// A `{chatId}` response (the four `create…` methods).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedChat {
    /// The chat's id.
    pub chat_id: String,
}

/// The `editChatTitle` result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatTitleEdited {
    /// The chat.
    pub chat_id: String,
    /// Unix time in milliseconds.
    #[serde(default)]
    pub timestamp: i64,
}

/// The `getChatParticipants` result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatParticipants {
    /// One page of participants.
    #[serde(default)]
    pub participants: Vec<Participant>,
}

/// The `getUserDisplayName` result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserDisplayName {
    /// The user's display name.
    pub display_name: String,
}

// ---------------------------------------------------------------------------------------------
// Helpers shared by the methods
// ---------------------------------------------------------------------------------------------

/// Serialises an absent `replyMessageId` as `null`, like TrueConf's own client.
fn always_null<S: Serializer>(v: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    v.serialize(s)
}

fn check_text_content(content: &TextContent) -> Result<(), TrueConfError> {
    match &content.buttons {
        Some(rows) => check_buttons(rows).map_err(TrueConfError::InvalidArgument),
        None => Ok(()),
    }
}

macro_rules! method {
    ($ty:ident, $name:literal, $resp:ty) => {
        impl Method for $ty {
            const NAME: &'static str = $name;
            type Response = $resp;
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Session
// ---------------------------------------------------------------------------------------------

/// `auth`: authorises the socket with the JWT; must be the first request on every socket.
/// Its `Debug` output hides the token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Auth {
    /// The JWT.
    pub token: String,
    /// `"JWT"`.
    pub token_type: String,
    /// Replay unread messages right after `auth`.
    #[serde(default)]
    pub receive_unread: bool,
    /// Deliver system envelopes as `sendMessage` events too.
    #[serde(default)]
    pub receive_system_message_envelopes: bool,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("token", &"<redacted>")
            .field("token_type", &self.token_type)
            .field("receive_unread", &self.receive_unread)
            .field(
                "receive_system_message_envelopes",
                &self.receive_system_message_envelopes,
            )
            .finish()
    }
}

impl Auth {
    /// Authorises with a JWT; no unread replay, no system envelopes.
    pub fn new(token: impl Into<String>) -> Self {
        Auth {
            token: token.into(),
            token_type: "JWT".to_owned(),
            receive_unread: false,
            receive_system_message_envelopes: false,
        }
    }

    /// Sets `receiveUnread`.
    pub fn receive_unread(mut self, on: bool) -> Self {
        self.receive_unread = on;
        self
    }

    /// Sets `receiveSystemMessageEnvelopes`.
    pub fn receive_system_message_envelopes(mut self, on: bool) -> Self {
        self.receive_system_message_envelopes = on;
        self
    }
}
method!(Auth, "auth", AuthResponse);

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

/// `sendMessage`: sends a text (with optional buttons), optionally as a reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendMessage {
    /// The chat.
    pub chat_id: String,
    /// The message replied to; sent as `null` when absent.
    #[serde(default, serialize_with = "always_null")]
    pub reply_message_id: Option<String>,
    /// The text.
    pub content: TextContent,
}

impl SendMessage {
    /// A plain text (`parseMode` `text`) to a chat.
    pub fn new(chat_id: impl Into<String>, text: impl Into<String>) -> Self {
        SendMessage {
            chat_id: chat_id.into(),
            reply_message_id: None,
            content: TextContent::new(text, ParseMode::Text),
        }
    }

    /// Sets `parseMode`.
    pub fn parse_mode(mut self, parse_mode: ParseMode) -> Self {
        self.content.parse_mode = parse_mode;
        self
    }

    /// Sets the rows of buttons.
    pub fn buttons(mut self, rows: Vec<Vec<Button>>) -> Self {
        self.content.buttons = Some(rows);
        self
    }

    /// Sends the message as a reply to `message_id`.
    pub fn reply_to(mut self, message_id: impl Into<String>) -> Self {
        self.reply_message_id = Some(message_id.into());
        self
    }

    /// Checks the documented button limits.
    ///
    /// # Errors
    ///
    /// [`TrueConfError::InvalidArgument`] naming the first violated limit.
    pub fn validate(&self) -> Result<(), TrueConfError> {
        check_text_content(&self.content)
    }
}
method!(SendMessage, "sendMessage", SentMessage);

/// `editMessage`: replaces the whole content of one of the bot's text messages (buttons not
/// repeated disappear).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EditMessage {
    /// The message.
    pub message_id: String,
    /// The new content.
    pub content: TextContent,
}

impl EditMessage {
    /// A new plain text (`parseMode` `text`) for a message.
    pub fn new(message_id: impl Into<String>, text: impl Into<String>) -> Self {
        EditMessage {
            message_id: message_id.into(),
            content: TextContent::new(text, ParseMode::Text),
        }
    }

    /// Sets `parseMode`.
    pub fn parse_mode(mut self, parse_mode: ParseMode) -> Self {
        self.content.parse_mode = parse_mode;
        self
    }

    /// Sets the rows of buttons.
    pub fn buttons(mut self, rows: Vec<Vec<Button>>) -> Self {
        self.content.buttons = Some(rows);
        self
    }

    /// Checks the documented button limits.
    ///
    /// # Errors
    ///
    /// [`TrueConfError::InvalidArgument`] naming the first violated limit.
    pub fn validate(&self) -> Result<(), TrueConfError> {
        check_text_content(&self.content)
    }
}
method!(EditMessage, "editMessage", EditedMessage);

/// `forwardMessage`: forwards a message into a chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForwardMessage {
    /// The message to forward.
    pub message_id: String,
    /// The destination chat.
    pub chat_id: String,
}

impl ForwardMessage {
    /// Forwards `message_id` into `chat_id`.
    pub fn new(message_id: impl Into<String>, chat_id: impl Into<String>) -> Self {
        ForwardMessage {
            message_id: message_id.into(),
            chat_id: chat_id.into(),
        }
    }
}
method!(ForwardMessage, "forwardMessage", SentMessage);

/// `removeMessage`: deletes a message for everyone or only for the bot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoveMessage {
    /// The message.
    pub message_id: String,
    /// `true`: for everyone; `false`: only for the bot.
    #[serde(deserialize_with = "lenient_bool")]
    pub for_all: bool,
}

impl RemoveMessage {
    /// Deletes `message_id`, for everyone when `for_all`.
    pub fn new(message_id: impl Into<String>, for_all: bool) -> Self {
        RemoveMessage {
            message_id: message_id.into(),
            for_all,
        }
    }
}
method!(RemoveMessage, "removeMessage", Empty);

/// `getMessageById`: one message as an envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetMessageById {
    /// The message.
    pub message_id: String,
}

impl GetMessageById {
    /// Fetches `message_id`.
    pub fn new(message_id: impl Into<String>) -> Self {
        GetMessageById {
            message_id: message_id.into(),
        }
    }
}
method!(GetMessageById, "getMessageById", Envelope);

/// `getChatHistory`: a page of a chat's messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetChatHistory {
    /// The chat.
    pub chat_id: String,
    /// How many messages (at least 1).
    pub count: u32,
    /// Page from this message; never sent as `null` (the server answers 399).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_message_id: Option<String>,
}

impl GetChatHistory {
    /// The latest `count` messages of a chat.
    pub fn new(chat_id: impl Into<String>, count: u32) -> Self {
        GetChatHistory {
            chat_id: chat_id.into(),
            count,
            from_message_id: None,
        }
    }

    /// Sets `fromMessageId`.
    pub fn from_message_id(mut self, message_id: impl Into<String>) -> Self {
        self.from_message_id = Some(message_id.into());
        self
    }
}
method!(GetChatHistory, "getChatHistory", ChatHistory);

/// `sendChatActivity`: shows an activity indicator ("typing…").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendChatActivity {
    /// The chat.
    pub chat_id: String,
    /// The activity.
    pub activity_type: ActivityType,
}

impl SendChatActivity {
    /// Shows `activity_type` in `chat_id`.
    pub fn new(chat_id: impl Into<String>, activity_type: ActivityType) -> Self {
        SendChatActivity {
            chat_id: chat_id.into(),
            activity_type,
        }
    }
}
method!(SendChatActivity, "sendChatActivity", ChatActivity);

/// The `message` of an `answerCommand`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandMessage {
    /// 1–255 ASCII characters.
    pub text: String,
    /// The status shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<CommandStatus>,
    /// How the answer is shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<CommandVisibility>,
    /// The severity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<CommandLevel>,
}

/// `answerCommand`: answers a `command` event. TrueConf apps do not show answers yet; offer it
/// only behind an explicit opt-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnswerCommand {
    /// The event's `commandId`.
    pub command_id: String,
    /// How the command ended.
    pub answer_type: AnswerType,
    /// The answer text and its presentation.
    pub message: CommandMessage,
}

impl AnswerCommand {
    /// Answers `command_id` with a text.
    pub fn new(
        command_id: impl Into<String>,
        answer_type: AnswerType,
        text: impl Into<String>,
    ) -> Self {
        AnswerCommand {
            command_id: command_id.into(),
            answer_type,
            message: CommandMessage {
                text: text.into(),
                status: None,
                visibility: None,
                level: None,
            },
        }
    }

    /// Sets `message.status`.
    pub fn status(mut self, status: CommandStatus) -> Self {
        self.message.status = Some(status);
        self
    }

    /// Sets `message.visibility`.
    pub fn visibility(mut self, visibility: CommandVisibility) -> Self {
        self.message.visibility = Some(visibility);
        self
    }

    /// Sets `message.level`.
    pub fn level(mut self, level: CommandLevel) -> Self {
        self.message.level = Some(level);
        self
    }

    /// Checks the documented text limit (1–255 ASCII characters).
    ///
    /// # Errors
    ///
    /// [`TrueConfError::InvalidArgument`] when the text is empty, too long or not ASCII.
    pub fn validate(&self) -> Result<(), TrueConfError> {
        let text = &self.message.text;
        if text.is_empty() || text.len() > 255 || !text.is_ascii() {
            return Err(TrueConfError::InvalidArgument(
                "answerCommand text must be 1–255 ASCII characters".to_owned(),
            ));
        }
        Ok(())
    }
}
method!(AnswerCommand, "answerCommand", Empty);

// ---------------------------------------------------------------------------------------------
// Surveys
// ---------------------------------------------------------------------------------------------

/// The survey tool's address on a server: `{server_base}/webtools/survey`, where
/// `server_base` is e.g. `https://video.example.com` (a trailing `/` is ignored).
pub fn survey_url(server_base: &str) -> String {
    format!("{}/webtools/survey", server_base.trim_end_matches('/'))
}

/// The HTML fallback (`alt`) of a survey: 📊 and a link to
/// `{server_base}/webtools/survey?id=<path>&error=autologin_not_supported` whose text is the
/// HTML-escaped title. The path is percent-encoded.
///
/// ```
/// use botwire_core::trueconf::methods::survey_alt;
/// assert_eq!(
///     survey_alt("https://video.example.com", "c0ffee12", "Fish & <chips>"),
///     "📊 <a href='https://video.example.com/webtools/survey?id=c0ffee12&error=autologin_not_supported'>Fish &amp; &lt;chips&gt;</a>"
/// );
/// ```
pub fn survey_alt(server_base: &str, path: &str, title: &str) -> String {
    format!(
        "📊 <a href='{}?id={}&error=autologin_not_supported'>{}</a>",
        survey_url(server_base),
        percent_encode(path),
        escape_html(title)
    )
}

/// A survey secret: the SHA-1 (40 lowercase hex digits) of the title's UTF-8 bytes followed by
/// `random` — bytes the caller draws from its own seeded source (the core draws none).
pub fn survey_secret(title: &str, random: &[u8]) -> String {
    let mut input = Vec::with_capacity(title.len() + random.len());
    input.extend_from_slice(title.as_bytes());
    input.extend_from_slice(random);
    sha1(&input).iter().map(|b| format!("{b:02x}")).collect()
}

impl SurveyContent {
    /// The content `sendSurvey` sends for survey campaign `path` on the server at
    /// `server_base` (e.g. `https://video.example.com`): url, `appVersion` 1, the localised
    /// placeholders, the secret (see [`survey_secret`]) and the HTML fallback.
    pub fn for_campaign(
        server_base: &str,
        path: impl Into<String>,
        title: impl Into<String>,
        anonymous: bool,
        random: &[u8],
    ) -> Self {
        let path = path.into();
        let title = title.into();
        SurveyContent {
            url: survey_url(server_base),
            app_version: Some(1),
            description: Some(survey_description(anonymous).to_owned()),
            button_text: Some(SURVEY_BUTTON_TEXT.to_owned()),
            secret: Some(survey_secret(&title, random)),
            alt: Some(survey_alt(server_base, &path, &title)),
            path: Some(path),
            title,
        }
    }
}

fn survey_description(anonymous: bool) -> &'static str {
    if anonymous {
        SURVEY_DESCRIPTION_ANONYMOUS
    } else {
        SURVEY_DESCRIPTION_NAMED
    }
}

/// `sendSurvey`: posts a link to a survey campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendSurvey {
    /// The chat.
    pub chat_id: String,
    /// The message replied to; sent as `null` when absent.
    #[serde(default, serialize_with = "always_null")]
    pub reply_message_id: Option<String>,
    /// The survey (see [`SurveyContent::for_campaign`]).
    pub content: SurveyContent,
}

impl SendSurvey {
    /// Posts `content` into `chat_id`.
    pub fn new(chat_id: impl Into<String>, content: SurveyContent) -> Self {
        SendSurvey {
            chat_id: chat_id.into(),
            reply_message_id: None,
            content,
        }
    }

    /// Sends the survey as a reply to `message_id`.
    pub fn reply_to(mut self, message_id: impl Into<String>) -> Self {
        self.reply_message_id = Some(message_id.into());
        self
    }
}
method!(SendSurvey, "sendSurvey", SentMessage);

/// The content of `editSurvey` (no `url`, `appVersion` or `secret`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EditSurveyContent {
    /// The survey campaign id.
    pub path: String,
    /// The title.
    pub title: String,
    /// [`SURVEY_DESCRIPTION_NAMED`] or [`SURVEY_DESCRIPTION_ANONYMOUS`].
    pub description: String,
    /// [`SURVEY_BUTTON_TEXT`].
    pub button_text: String,
    /// The HTML fallback (see [`survey_alt`]).
    pub alt: String,
}

impl EditSurveyContent {
    /// The edited content for campaign `path` on the server at `server_base`.
    pub fn for_campaign(
        server_base: &str,
        path: impl Into<String>,
        title: impl Into<String>,
        anonymous: bool,
    ) -> Self {
        let path = path.into();
        let title = title.into();
        EditSurveyContent {
            alt: survey_alt(server_base, &path, &title),
            description: survey_description(anonymous).to_owned(),
            button_text: SURVEY_BUTTON_TEXT.to_owned(),
            path,
            title,
        }
    }
}

/// `editSurvey`: changes a survey message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EditSurvey {
    /// The survey message.
    pub message_id: String,
    /// The new content.
    pub content: EditSurveyContent,
}

impl EditSurvey {
    /// Replaces the content of survey message `message_id`.
    pub fn new(message_id: impl Into<String>, content: EditSurveyContent) -> Self {
        EditSurvey {
            message_id: message_id.into(),
            content,
        }
    }
}
method!(EditSurvey, "editSurvey", EditedMessage);

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

/// `uploadFile`: step 1 of an upload; announces the exact size of the file part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadFile {
    /// The exact byte count of the `file` part of the HTTP upload.
    pub file_size: u64,
    /// The file name (required since server 5.5.3; older requests may lack it).
    #[serde(default)]
    pub file_name: String,
}

impl UploadFile {
    /// Announces a file.
    pub fn new(file_size: u64, file_name: impl Into<String>) -> Self {
        UploadFile {
            file_size,
            file_name: file_name.into(),
        }
    }
}
method!(UploadFile, "uploadFile", UploadTask);

/// A file caption: a text delivered as a separate message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Caption {
    /// The text.
    pub text: String,
    /// Its formatting.
    #[serde(default)]
    pub parse_mode: ParseMode,
}

/// The content of `sendFile`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileContent {
    /// The id the HTTP upload returned.
    pub temporal_file_id: String,
    /// An optional caption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<Caption>,
}

/// `sendFile`: step 3 of sending a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendFile {
    /// The chat.
    pub chat_id: String,
    /// The message replied to; omitted when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_message_id: Option<String>,
    /// The uploaded file and its caption.
    pub content: FileContent,
}

impl SendFile {
    /// Sends the uploaded file `temporal_file_id` into `chat_id`.
    pub fn new(chat_id: impl Into<String>, temporal_file_id: impl Into<String>) -> Self {
        SendFile {
            chat_id: chat_id.into(),
            reply_message_id: None,
            content: FileContent {
                temporal_file_id: temporal_file_id.into(),
                caption: None,
            },
        }
    }

    /// Adds a caption.
    pub fn caption(mut self, text: impl Into<String>, parse_mode: ParseMode) -> Self {
        self.content.caption = Some(Caption {
            text: text.into(),
            parse_mode,
        });
        self
    }

    /// Sends the file as a reply to `message_id`.
    pub fn reply_to(mut self, message_id: impl Into<String>) -> Self {
        self.reply_message_id = Some(message_id.into());
        self
    }
}
method!(SendFile, "sendFile", SentFile);

/// `getFileInfo`: a file's name, size, state and download URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetFileInfo {
    /// The file.
    pub file_id: String,
}

impl GetFileInfo {
    /// Describes `file_id`.
    pub fn new(file_id: impl Into<String>) -> Self {
        GetFileInfo {
            file_id: file_id.into(),
        }
    }
}
method!(GetFileInfo, "getFileInfo", FileInfo);

/// `getFileUploadLimits` (server 5.5.3 and later): the current upload limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GetFileUploadLimits {}

impl GetFileUploadLimits {
    /// The request (an empty payload).
    pub fn new() -> Self {
        GetFileUploadLimits {}
    }
}
method!(GetFileUploadLimits, "getFileUploadLimits", UploadLimits);

/// `subscribeFileProgress`: `uploadFileProgress` events for a file still being uploaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscribeFileProgress {
    /// The file.
    pub file_id: String,
}

impl SubscribeFileProgress {
    /// Subscribes to `file_id`.
    pub fn new(file_id: impl Into<String>) -> Self {
        SubscribeFileProgress {
            file_id: file_id.into(),
        }
    }
}
method!(SubscribeFileProgress, "subscribeFileProgress", BoolResult);

/// `unsubscribeFileProgress`: stops the progress events of a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnsubscribeFileProgress {
    /// The file.
    pub file_id: String,
}

impl UnsubscribeFileProgress {
    /// Unsubscribes from `file_id`.
    pub fn new(file_id: impl Into<String>) -> Self {
        UnsubscribeFileProgress {
            file_id: file_id.into(),
        }
    }
}
method!(
    UnsubscribeFileProgress,
    "unsubscribeFileProgress",
    BoolResult
);

// ---------------------------------------------------------------------------------------------
// Chats
// ---------------------------------------------------------------------------------------------

/// `createP2PChat`: the personal chat with a user (existing or new).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateP2PChat {
    /// The user's full TrueConf id.
    pub user_id: String,
}

impl CreateP2PChat {
    /// The chat with `user_id`.
    pub fn new(user_id: impl Into<String>) -> Self {
        CreateP2PChat {
            user_id: user_id.into(),
        }
    }
}
method!(CreateP2PChat, "createP2PChat", CreatedChat);

/// `createGroupChat`: a new group chat. Sends `title` (the documentation's `name` is accepted
/// when parsing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateGroupChat {
    /// The title (keep it within 255 characters).
    #[serde(alias = "name")]
    pub title: String,
}

impl CreateGroupChat {
    /// A group chat called `title`.
    pub fn new(title: impl Into<String>) -> Self {
        CreateGroupChat {
            title: title.into(),
        }
    }
}
method!(CreateGroupChat, "createGroupChat", CreatedChat);

/// `createChannel`: a new channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateChannel {
    /// The title (keep it within 255 characters).
    #[serde(alias = "name")]
    pub title: String,
}

impl CreateChannel {
    /// A channel called `title`.
    pub fn new(title: impl Into<String>) -> Self {
        CreateChannel {
            title: title.into(),
        }
    }
}
method!(CreateChannel, "createChannel", CreatedChat);

/// `createFavoritesChat` (server 5.5.2 and later): the bot's favourites chat, created if
/// needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CreateFavoritesChat {}

impl CreateFavoritesChat {
    /// The request (an empty payload).
    pub fn new() -> Self {
        CreateFavoritesChat {}
    }
}
method!(CreateFavoritesChat, "createFavoritesChat", CreatedChat);

/// `removeChat`: deletes a chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoveChat {
    /// The chat.
    pub chat_id: String,
}

impl RemoveChat {
    /// Deletes `chat_id`.
    pub fn new(chat_id: impl Into<String>) -> Self {
        RemoveChat {
            chat_id: chat_id.into(),
        }
    }
}
method!(RemoveChat, "removeChat", Empty);

/// `getChats`: a page of the bot's chats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetChats {
    /// Chats per page.
    pub count: u32,
    /// The page, from 1.
    pub page: u32,
}

impl GetChats {
    /// Page `page` (from 1) of `count` chats.
    pub fn new(count: u32, page: u32) -> Self {
        GetChats { count, page }
    }
}
method!(GetChats, "getChats", Chats);

/// `getChatByID` (note the capital `ID` on the wire): one chat.
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetChatByID {
    /// The chat.
    pub chat_id: String,
}

impl GetChatByID {
    /// Describes `chat_id`.
    pub fn new(chat_id: impl Into<String>) -> Self {
        GetChatByID {
            chat_id: chat_id.into(),
        }
    }
}
method!(GetChatByID, "getChatByID", Chat);

/// `editChatTitle` (server 5.5.3 and later): renames a chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EditChatTitle {
    /// The chat.
    pub chat_id: String,
    /// The new title (keep it within 255 characters).
    pub title: String,
}

impl EditChatTitle {
    /// Renames `chat_id` to `title`.
    pub fn new(chat_id: impl Into<String>, title: impl Into<String>) -> Self {
        EditChatTitle {
            chat_id: chat_id.into(),
            title: title.into(),
        }
    }
}
method!(EditChatTitle, "editChatTitle", ChatTitleEdited);

/// `editChatAvatar` (server 5.5.3 and later): sets an uploaded image as the chat's avatar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EditChatAvatar {
    /// The chat.
    pub chat_id: String,
    /// The id the HTTP upload returned.
    pub temporal_file_id: String,
}

impl EditChatAvatar {
    /// Sets the uploaded `temporal_file_id` as the avatar of `chat_id`.
    pub fn new(chat_id: impl Into<String>, temporal_file_id: impl Into<String>) -> Self {
        EditChatAvatar {
            chat_id: chat_id.into(),
            temporal_file_id: temporal_file_id.into(),
        }
    }
}
method!(EditChatAvatar, "editChatAvatar", Empty);

/// `clearHistory` (server 5.5.3 and later): clears a chat's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClearHistory {
    /// The chat.
    pub chat_id: String,
    /// For everyone, or only for the bot.
    #[serde(deserialize_with = "lenient_bool")]
    pub for_all: bool,
}

impl ClearHistory {
    /// Clears `chat_id`, for everyone when `for_all`.
    pub fn new(chat_id: impl Into<String>, for_all: bool) -> Self {
        ClearHistory {
            chat_id: chat_id.into(),
            for_all,
        }
    }
}
method!(ClearHistory, "clearHistory", Empty);

// ---------------------------------------------------------------------------------------------
// Participants and users
// ---------------------------------------------------------------------------------------------

/// `addChatParticipant`: adds a user to a chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddChatParticipant {
    /// The chat.
    pub chat_id: String,
    /// The user's full TrueConf id.
    pub user_id: String,
    /// Whether the new member sees earlier messages (server 5.5.2 and later).
    #[serde(default, deserialize_with = "lenient_bool")]
    pub display_history: bool,
}

impl AddChatParticipant {
    /// Adds `user_id` to `chat_id`, showing them the history when `display_history`.
    pub fn new(
        chat_id: impl Into<String>,
        user_id: impl Into<String>,
        display_history: bool,
    ) -> Self {
        AddChatParticipant {
            chat_id: chat_id.into(),
            user_id: user_id.into(),
            display_history,
        }
    }
}
method!(AddChatParticipant, "addChatParticipant", Empty);

/// `removeChatParticipant`: removes a user from a chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoveChatParticipant {
    /// The chat.
    pub chat_id: String,
    /// The user's full TrueConf id.
    pub user_id: String,
    /// Whether to delete the user's messages too.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub clear_history: bool,
}

impl RemoveChatParticipant {
    /// Removes `user_id` from `chat_id`, deleting their messages when `clear_history`.
    pub fn new(
        chat_id: impl Into<String>,
        user_id: impl Into<String>,
        clear_history: bool,
    ) -> Self {
        RemoveChatParticipant {
            chat_id: chat_id.into(),
            user_id: user_id.into(),
            clear_history,
        }
    }
}
method!(RemoveChatParticipant, "removeChatParticipant", Empty);

/// `changeParticipantRole` (server 5.5.2 and later): sets a participant's role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeParticipantRole {
    /// The chat.
    pub chat_id: String,
    /// The user's full TrueConf id.
    pub user_id: String,
    /// The new role (sent as a string).
    pub role: Role,
}

impl ChangeParticipantRole {
    /// Gives `user_id` the role `role` in `chat_id`.
    pub fn new(chat_id: impl Into<String>, user_id: impl Into<String>, role: Role) -> Self {
        ChangeParticipantRole {
            chat_id: chat_id.into(),
            user_id: user_id.into(),
            role,
        }
    }
}
method!(ChangeParticipantRole, "changeParticipantRole", Empty);

/// `getChatParticipants`: a page of a chat's participants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetChatParticipants {
    /// The chat.
    pub chat_id: String,
    /// Participants per page.
    pub page_size: u32,
    /// The page, from 1.
    pub page_number: u32,
}

impl GetChatParticipants {
    /// Page `page_number` (from 1) of `page_size` participants of `chat_id`.
    pub fn new(chat_id: impl Into<String>, page_size: u32, page_number: u32) -> Self {
        GetChatParticipants {
            chat_id: chat_id.into(),
            page_size,
            page_number,
        }
    }
}
method!(GetChatParticipants, "getChatParticipants", ChatParticipants);

/// `getChatParticipant`: one participant; error 305 when the user is not a member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetChatParticipant {
    /// The chat.
    pub chat_id: String,
    /// The user's full TrueConf id.
    pub user_id: String,
}

impl GetChatParticipant {
    /// Describes `user_id` in `chat_id`.
    pub fn new(chat_id: impl Into<String>, user_id: impl Into<String>) -> Self {
        GetChatParticipant {
            chat_id: chat_id.into(),
            user_id: user_id.into(),
        }
    }
}
method!(GetChatParticipant, "getChatParticipant", Participant);

/// `hasChatParticipant` (deprecated; prefer [`GetChatParticipant`]): whether a user is a
/// member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HasChatParticipant {
    /// The chat.
    pub chat_id: String,
    /// The user's full TrueConf id.
    pub user_id: String,
}

impl HasChatParticipant {
    /// Whether `user_id` is a member of `chat_id`.
    pub fn new(chat_id: impl Into<String>, user_id: impl Into<String>) -> Self {
        HasChatParticipant {
            chat_id: chat_id.into(),
            user_id: user_id.into(),
        }
    }
}
method!(HasChatParticipant, "hasChatParticipant", BoolResult);

/// `getUserDisplayName`: a user's display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetUserDisplayName {
    /// The user's full TrueConf id.
    pub user_id: String,
}

impl GetUserDisplayName {
    /// The display name of `user_id`.
    pub fn new(user_id: impl Into<String>) -> Self {
        GetUserDisplayName {
            user_id: user_id.into(),
        }
    }
}
method!(GetUserDisplayName, "getUserDisplayName", UserDisplayName);

// ---------------------------------------------------------------------------------------------
// Text helpers
// ---------------------------------------------------------------------------------------------

/// Escapes `&`, `<`, `>`, `"` and `'` for HTML text and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A reply with a quote, HTML form (send with [`ParseMode::Html`]):
/// `<quote class="reply">QUOTED</quote><br><br>ANSWER`. The quoted text is escaped; the answer
/// is HTML as given.
///
/// ```
/// use botwire_core::trueconf::methods::quote_reply_html;
/// assert_eq!(quote_reply_html("a<b", "yes"), r#"<quote class="reply">a&lt;b</quote><br><br>yes"#);
/// ```
pub fn quote_reply_html(quoted: &str, answer: &str) -> String {
    format!(
        "<quote class=\"reply\">{}</quote><br><br>{answer}",
        escape_html(quoted)
    )
}

/// A reply with a quote, Markdown form (send with [`ParseMode::Markdown`]): every quoted line
/// prefixed with `>`, a blank line, then the answer.
///
/// ```
/// use botwire_core::trueconf::methods::quote_reply_markdown;
/// assert_eq!(quote_reply_markdown("one\ntwo", "ok"), ">one\n>two\n\nok");
/// ```
pub fn quote_reply_markdown(quoted: &str, answer: &str) -> String {
    let mut out = String::with_capacity(quoted.len() + answer.len() + 8);
    for line in quoted.lines() {
        out.push('>');
        out.push_str(line);
        out.push('\n');
    }
    if quoted.is_empty() {
        out.push_str(">\n");
    }
    out.push('\n');
    out.push_str(answer);
    out
}

/// Percent-encodes everything but the RFC 3986 unreserved characters.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// SHA-1 of `data` (RustCrypto's `sha1`). Used only to shape survey secrets like TrueConf's
/// client does, not for security.
fn sha1(data: &[u8]) -> [u8; 20] {
    use sha1::Digest as _;
    sha1::Sha1::digest(data).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn sha1_known_answers() {
        assert_eq!(hex(&sha1(b"")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(
            hex(&sha1(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            hex(&sha1(
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            )),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
        assert_eq!(
            hex(&sha1(&[b'a'; 1000])),
            "291e9a6c66994949b57ba5e650361e98fc36b1ba"
        );
        assert_eq!(
            survey_secret("ab", b"c"),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
    }

    #[test]
    fn server_errors() {
        let e = parse_response::<RemoveChat>(r#"{"errorCode":303,"errorDescription":"no"}"#);
        assert_eq!(
            e,
            Err(TrueConfError::Server {
                code: ErrorCode(303),
                description: Some("no".into())
            })
        );
        assert_eq!(
            parse_response::<RemoveChat>(r#"{"errorCode":0}"#),
            Ok(Empty)
        );
        assert_eq!(
            parse_response::<RemoveChat>(r#"{"errorCode":"305"}"#)
                .unwrap_err()
                .code(),
            Some(ErrorCode(305))
        );
    }

    #[test]
    fn malformed_messages_are_short() {
        let long = "x".repeat(10_000);
        let payload = format!(r#"{{"chatId":"{long}","messageId":5}}"#);
        match parse_response::<SendMessage>(&payload) {
            Err(TrueConfError::Malformed(m)) => assert!(m.chars().count() < 200, "{m}"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn auth_debug_hides_the_token() {
        let dbg = format!("{:?}", Auth::new("eyJsecret"));
        assert!(!dbg.contains("eyJsecret"));
    }

    #[test]
    fn percent_encoding() {
        assert_eq!(percent_encode("a b'&/é"), "a%20b%27%26%2F%C3%A9");
    }
}
