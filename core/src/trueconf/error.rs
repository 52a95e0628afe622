//! TrueConf error codes (`payload.errorCode`) and the errors of the TrueConf layer.

use crate::io::HttpErrorKind;
use std::fmt;

/// A TrueConf `errorCode`. Open: unknown codes are kept as numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ErrorCode(pub i64);

macro_rules! codes {
    ($($name:ident = $n:expr, $text:expr;)*) => {
        impl ErrorCode {
            $(
                #[doc = $text]
                pub const $name: ErrorCode = ErrorCode($n);
            )*

            /// The documented meaning, `None` for a code this version does not know.
            pub fn description(self) -> Option<&'static str> {
                match self.0 {
                    $($n => Some($text),)*
                    _ => None,
                }
            }
        }
    };
}

codes! {
    DUPLICATE_ID = 2, "duplicate request id";
    CONNECTION_ERROR = 100, "connection error";
    CONNECTION_TIMEOUT = 101, "connection timeout";
    TLS_ERROR = 102, "TLS/SSL error";
    UNSUPPORTED_PROTOCOL = 103, "unsupported protocol";
    ROUTE_NOT_FOUND = 104, "route not found";
    NOT_AUTHORIZED = 200, "not authorised";
    INVALID_CREDENTIALS = 201, "invalid credentials";
    USER_DISABLED = 202, "user disabled";
    CREDENTIALS_EXPIRED = 203, "credentials expired";
    UNSUPPORTED_CREDENTIALS = 204, "unsupported credentials";
    INTERNAL_SERVER_ERROR = 300, "internal server error";
    OPERATION_TIMEOUT = 301, "operation timeout";
    ACCESS_DENIED = 302, "access denied";
    NOT_ENOUGH_RIGHTS = 303, "not enough rights";
    CHAT_NOT_FOUND = 304, "chat not found";
    NOT_A_PARTICIPANT = 305, "user is not a chat participant";
    MESSAGE_NOT_FOUND = 306, "message not found";
    UNKNOWN_MESSAGE = 307, "unknown message";
    FILE_NOT_FOUND_LEGACY = 308, "file not found";
    ALREADY_IN_CHAT = 309, "user already in chat";
    FILE_UPLOAD_FAILED = 310, "file upload failed";
    FILE_NOT_READY_LEGACY = 311, "file not ready";
    ROLE_NOT_FOUND = 312, "role not found";
    WRONG_PAYLOAD = 399, "wrong payload format";
    UNKNOWN_FILE_ERROR = 400, "unknown file error";
    NOT_ENOUGH_SPACE = 401, "not enough space";
    BAD_FILE_NAME = 402, "bad file name";
    FILE_UPLOAD_FORBIDDEN = 403, "file upload forbidden";
    FILE_NOT_FOUND = 404, "file not found";
    FILE_NOT_READY = 405, "file not ready";
    MAX_FILE_SIZE_EXCEEDED = 406, "maximum file size exceeded";
    UPLOAD_TASK_NOT_FOUND = 407, "upload task not found";
    INVALID_FILE = 408, "invalid file";
}

impl ErrorCode {
    /// An `auth` failure after which retrying with the same credentials cannot help
    /// (201 invalid credentials, 202 user disabled, 204 unsupported credentials).
    pub fn is_permanent_auth_failure(self) -> bool {
        matches!(self.0, 201 | 202 | 204)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.description() {
            Some(text) => write!(f, "{} ({text})", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

/// What went wrong with one TrueConf request, token request or upload.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TrueConfError {
    /// The server answered with a non-zero `errorCode`.
    #[error("TrueConf error {code}{}", .description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Server {
        /// The code.
        code: ErrorCode,
        /// `errorDescription`, when the server sent one.
        description: Option<String>,
    },
    /// No response within the request's timeout.
    #[error("no response within {0} ms")]
    Timeout(u64),
    /// The socket closed before the response arrived; the request may or may not have run.
    #[error("the connection closed before the response arrived")]
    Disconnected,
    /// The response (or an HTTP body) could not be parsed as the expected type.
    #[error("malformed response: {0}")]
    Malformed(String),
    /// An HTTP exchange (token, probe, upload, download) ended with an error status.
    #[error("HTTP status {status}: {message}")]
    Http {
        /// The status code.
        status: u16,
        /// The OAuth `error`/`error_description` or a summary of the body.
        message: String,
    },
    /// An HTTP exchange failed without a response.
    #[error("transport failure: {0:?}")]
    Transport(HttpErrorKind),
    /// The arguments were refused before anything was sent (limits, missing fields).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The session is stopped (or stopped for good after a permanent auth failure).
    #[error("the session is stopped")]
    Stopped,
}

impl TrueConfError {
    /// The server's error code, if the server answered with one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            TrueConfError::Server { code, .. } => Some(*code),
            _ => None,
        }
    }
}
