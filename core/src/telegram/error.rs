//! Classification of Bot API answers that are not a success.
//!
//! Order (first match wins): a body that is not JSON is a transport failure; the structured
//! `parameters` (`retry_after`, `migrate_to_chat_id`) come next; then `error_code`; then the
//! description, for the sub-kinds of 400 and 403. telepot classified by description alone and
//! missed the structured fields and today's migration text.

use serde::Deserialize;

/// What the Bot API said, kept as received on every error.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ErrorDetails {
    /// `error_code` (0 when absent).
    pub error_code: i64,
    /// `description` (empty when absent).
    pub description: String,
    /// `parameters` as received, if any.
    pub parameters: Option<serde_json::Value>,
}

/// Why a 403 answer refused the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ForbiddenKind {
    /// `bot was blocked by the user`
    BotBlocked,
    /// `bot was kicked from the (super)group chat`
    BotKicked,
    /// `user is deactivated`
    UserDeactivated,
    /// `not enough rights ...`
    NotEnoughRights,
    /// `bot can't initiate conversation with a user`
    CantInitiateConversation,
    /// Another reason.
    Other,
}

/// What was wrong with a request answered with 400.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BadRequestKind {
    /// `chat not found`
    ChatNotFound,
    /// `message is not modified`
    MessageNotModified,
    /// `message to edit not found`
    MessageToEditNotFound,
    /// `message to delete not found` / `message can't be deleted`
    MessageToDeleteNotFound,
    /// `query is too old and response timeout expired or query ID is invalid`
    QueryTooOld,
    /// `not enough rights ...`
    NotEnoughRights,
    /// The group was upgraded to a supergroup (without `parameters`, not expected).
    MigratedToSupergroup,
    /// `message is too long`
    MessageTooLong,
    /// `message text is empty`
    MessageTextEmpty,
    /// `can't parse entities: ...`
    CantParseEntities,
    /// `file is too big`
    FileTooBig,
    /// Another reason.
    Other,
}

/// A failed Bot API call, classified.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// The answer was not JSON (a proxy's HTML page, an empty 502): the request may not have
    /// reached the Bot API.
    #[error("transport failure: HTTP {status} with a body that is not JSON")]
    Transport {
        /// HTTP status.
        status: u16,
        /// The first bytes of the body, lossily decoded, for diagnostics.
        body: String,
    },
    /// Flood control: repeat after `seconds`.
    #[error("too many requests: retry after {seconds} s")]
    RetryAfter {
        /// Seconds to wait before repeating.
        seconds: i64,
        /// The answer as received.
        details: ErrorDetails,
    },
    /// The group became a supergroup with id `chat_id`; repeat with it.
    #[error("group chat was upgraded to supergroup {chat_id}")]
    MigrateToChat {
        /// The supergroup's id.
        chat_id: i64,
        /// The answer as received.
        details: ErrorDetails,
    },
    /// 401: bad or revoked token.
    #[error("unauthorized: {}", .0.description)]
    Unauthorized(ErrorDetails),
    /// 404: unknown method or malformed token.
    #[error("not found: {}", .0.description)]
    NotFound(ErrorDetails),
    /// 409: another getUpdates or a webhook is active.
    #[error("conflict: {}", .0.description)]
    Conflict(ErrorDetails),
    /// 413: upload over the limit.
    #[error("request entity too large: {}", .0.description)]
    TooLarge(ErrorDetails),
    /// 5xx: the server failed; retry with backoff.
    #[error("server error {}: {}", .0.error_code, .0.description)]
    Server(ErrorDetails),
    /// 403 with its reason.
    #[error("forbidden ({kind:?}): {}", .details.description)]
    Forbidden {
        /// Why.
        kind: ForbiddenKind,
        /// The answer as received.
        details: ErrorDetails,
    },
    /// 400 with its reason.
    #[error("bad request ({kind:?}): {}", .details.description)]
    BadRequest {
        /// What was wrong.
        kind: BadRequestKind,
        /// The answer as received.
        details: ErrorDetails,
    },
    /// Any other error answer.
    #[error("API error {}: {}", .0.error_code, .0.description)]
    Api(ErrorDetails),
    /// JSON that is not a Bot API answer, or a result of the wrong shape.
    #[error("invalid response: {reason}")]
    InvalidResponse {
        /// What did not fit.
        reason: String,
    },
}

/// Seconds to wait after a 429 that names no delay.
pub const DEFAULT_RETRY_AFTER_SECONDS: i64 = 3;

impl ApiError {
    /// Whether repeating the same request later may succeed (transport failures, 5xx, flood
    /// control).
    pub fn is_retryable(&self) -> bool {
        match self {
            ApiError::Transport { status, .. } => *status >= 500 || *status == 429 || *status == 0,
            ApiError::RetryAfter { .. } | ApiError::Server(_) => true,
            _ => false,
        }
    }

    /// The details of the answer, when the Bot API gave one.
    pub fn details(&self) -> Option<&ErrorDetails> {
        match self {
            ApiError::RetryAfter { details, .. }
            | ApiError::MigrateToChat { details, .. }
            | ApiError::Forbidden { details, .. }
            | ApiError::BadRequest { details, .. }
            | ApiError::Unauthorized(details)
            | ApiError::NotFound(details)
            | ApiError::Conflict(details)
            | ApiError::TooLarge(details)
            | ApiError::Server(details)
            | ApiError::Api(details) => Some(details),
            ApiError::Transport { .. } | ApiError::InvalidResponse { .. } => None,
        }
    }

    /// A stable machine-readable name of the kind (used by the bindings).
    pub fn kind_name(&self) -> &'static str {
        match self {
            ApiError::Transport { .. } => "transport",
            ApiError::RetryAfter { .. } => "retry_after",
            ApiError::MigrateToChat { .. } => "migrate_to_chat",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::TooLarge(_) => "too_large",
            ApiError::Server(_) => "server",
            ApiError::Forbidden { .. } => "forbidden",
            ApiError::BadRequest { .. } => "bad_request",
            ApiError::Api(_) => "api",
            ApiError::InvalidResponse { .. } => "invalid_response",
        }
    }

    /// The name of telepot's exception class for this error, for users porting telepot code.
    pub fn telepot_class(&self) -> &'static str {
        match self {
            ApiError::Unauthorized(_) => "UnauthorizedError",
            ApiError::RetryAfter { .. } => "TooManyRequestsError",
            ApiError::MigrateToChat { .. } => "MigratedToSupergroupChatError",
            ApiError::Forbidden { kind, .. } => match kind {
                ForbiddenKind::BotBlocked => "BotWasBlockedError",
                ForbiddenKind::BotKicked => "BotWasKickedError",
                ForbiddenKind::NotEnoughRights => "NotEnoughRightsError",
                _ => "TelegramError",
            },
            ApiError::BadRequest { kind, .. } => match kind {
                BadRequestKind::NotEnoughRights => "NotEnoughRightsError",
                BadRequestKind::MigratedToSupergroup => "MigratedToSupergroupChatError",
                _ => "TelegramError",
            },
            _ => "TelegramError",
        }
    }
}

#[derive(Deserialize)]
struct Parameters {
    retry_after: Option<i64>,
    migrate_to_chat_id: Option<i64>,
}

fn contains_ci(haystack: &str, needle: &str) -> bool {
    haystack.to_ascii_lowercase().contains(needle)
}

/// Parses the number after "retry after" in a description.
fn retry_after_in(description: &str) -> Option<i64> {
    let lower = description.to_ascii_lowercase();
    let pos = lower.find("retry after")?;
    let digits: String = lower[pos + "retry after".len()..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

fn forbidden_kind(d: &str) -> ForbiddenKind {
    if contains_ci(d, "bot was blocked") {
        ForbiddenKind::BotBlocked
    } else if contains_ci(d, "bot was kicked") {
        ForbiddenKind::BotKicked
    } else if contains_ci(d, "user is deactivated") {
        ForbiddenKind::UserDeactivated
    } else if contains_ci(d, "not enough rights") {
        ForbiddenKind::NotEnoughRights
    } else if contains_ci(d, "can't initiate conversation") {
        ForbiddenKind::CantInitiateConversation
    } else {
        ForbiddenKind::Other
    }
}

fn bad_request_kind(d: &str) -> BadRequestKind {
    let l = d.to_ascii_lowercase();
    let has = |s: &str| l.contains(s);
    if has("upgraded to a supergroup")
        || has("migrated to a supergroup")
        || has("is migrated to supergroup")
    {
        BadRequestKind::MigratedToSupergroup
    } else if has("message is not modified") {
        BadRequestKind::MessageNotModified
    } else if has("message to edit not found") {
        BadRequestKind::MessageToEditNotFound
    } else if has("message to delete not found") || has("message can't be deleted") {
        BadRequestKind::MessageToDeleteNotFound
    } else if has("chat not found") {
        BadRequestKind::ChatNotFound
    } else if has("query is too old") {
        BadRequestKind::QueryTooOld
    } else if has("not enough rights") {
        BadRequestKind::NotEnoughRights
    } else if has("message is too long") {
        BadRequestKind::MessageTooLong
    } else if has("message text is empty") {
        BadRequestKind::MessageTextEmpty
    } else if has("can't parse entities") {
        BadRequestKind::CantParseEntities
    } else if has("file is too big") {
        BadRequestKind::FileTooBig
    } else {
        BadRequestKind::Other
    }
}

/// Classifies an error answer (`ok: false`) whose envelope was read.
pub(crate) fn classify(status: u16, details: ErrorDetails) -> ApiError {
    let params: Option<Parameters> = details
        .parameters
        .as_ref()
        .and_then(|p| Parameters::deserialize(p).ok());
    if let Some(p) = &params {
        if let Some(seconds) = p.retry_after {
            return ApiError::RetryAfter {
                seconds: seconds.max(0),
                details,
            };
        }
        if let Some(chat_id) = p.migrate_to_chat_id {
            return ApiError::MigrateToChat { chat_id, details };
        }
    }
    let code = if details.error_code != 0 {
        details.error_code
    } else {
        i64::from(status)
    };
    match code {
        401 => ApiError::Unauthorized(details),
        404 => ApiError::NotFound(details),
        409 => ApiError::Conflict(details),
        413 => ApiError::TooLarge(details),
        429 => ApiError::RetryAfter {
            seconds: retry_after_in(&details.description).unwrap_or(DEFAULT_RETRY_AFTER_SECONDS),
            details,
        },
        500..=599 => ApiError::Server(details),
        403 => ApiError::Forbidden {
            kind: forbidden_kind(&details.description),
            details,
        },
        400 => ApiError::BadRequest {
            kind: bad_request_kind(&details.description),
            details,
        },
        _ => ApiError::Api(details),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(code: i64, desc: &str, params: Option<serde_json::Value>) -> ErrorDetails {
        ErrorDetails {
            error_code: code,
            description: desc.into(),
            parameters: params,
        }
    }

    #[test]
    fn structured_parameters_win_over_description() {
        let e = classify(
            400,
            d(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                Some(serde_json::json!({"migrate_to_chat_id": -1001987654321i64})),
            ),
        );
        assert!(matches!(
            e,
            ApiError::MigrateToChat {
                chat_id: -1001987654321,
                ..
            }
        ));
        let e = classify(
            429,
            d(
                429,
                "Too Many Requests: retry after 17",
                Some(serde_json::json!({"retry_after": 17})),
            ),
        );
        assert!(matches!(e, ApiError::RetryAfter { seconds: 17, .. }));
    }

    #[test]
    fn retry_after_falls_back_to_the_description_then_a_default() {
        let e = classify(429, d(429, "Too Many Requests: retry after 5", None));
        assert!(matches!(e, ApiError::RetryAfter { seconds: 5, .. }));
        let e = classify(429, d(429, "Too Many Requests", None));
        assert!(matches!(
            e,
            ApiError::RetryAfter {
                seconds: DEFAULT_RETRY_AFTER_SECONDS,
                ..
            }
        ));
    }

    #[test]
    fn forbidden_and_bad_request_sub_kinds() {
        let cases = [
            (
                "Forbidden: bot was blocked by the user",
                ForbiddenKind::BotBlocked,
            ),
            (
                "Forbidden: bot was kicked from the supergroup chat",
                ForbiddenKind::BotKicked,
            ),
            (
                "Forbidden: user is deactivated",
                ForbiddenKind::UserDeactivated,
            ),
            (
                "Forbidden: not enough rights to send photos",
                ForbiddenKind::NotEnoughRights,
            ),
            (
                "Forbidden: bot can't initiate conversation with a user",
                ForbiddenKind::CantInitiateConversation,
            ),
            ("Forbidden: something new", ForbiddenKind::Other),
        ];
        for (desc, kind) in cases {
            let e = classify(403, d(403, desc, None));
            assert_eq!(
                e,
                ApiError::Forbidden {
                    kind,
                    details: d(403, desc, None)
                },
                "{desc}"
            );
        }
        let cases = [
            ("Bad Request: chat not found", BadRequestKind::ChatNotFound),
            ("Bad Request: message is not modified: specified new message content and reply markup are exactly the same", BadRequestKind::MessageNotModified),
            ("Bad Request: message to edit not found", BadRequestKind::MessageToEditNotFound),
            ("Bad Request: query is too old and response timeout expired or query ID is invalid", BadRequestKind::QueryTooOld),
            ("Bad Request: not enough rights to send text messages to the chat", BadRequestKind::NotEnoughRights),
            ("Bad Request: group chat was upgraded to a supergroup chat", BadRequestKind::MigratedToSupergroup),
            ("Bad Request: message is too long", BadRequestKind::MessageTooLong),
            ("Bad Request: can't parse entities: Can't find end of the entity", BadRequestKind::CantParseEntities),
            ("Bad Request: wrong something", BadRequestKind::Other),
        ];
        for (desc, kind) in cases {
            let e = classify(400, d(400, desc, None));
            assert!(
                matches!(e, ApiError::BadRequest { kind: k, .. } if k == kind),
                "{desc}"
            );
        }
    }

    #[test]
    fn codes_map_to_kinds() {
        assert!(matches!(
            classify(401, d(401, "Unauthorized", None)),
            ApiError::Unauthorized(_)
        ));
        assert!(matches!(
            classify(404, d(404, "Not Found", None)),
            ApiError::NotFound(_)
        ));
        assert!(matches!(
            classify(
                409,
                d(
                    409,
                    "Conflict: terminated by other getUpdates request",
                    None
                )
            ),
            ApiError::Conflict(_)
        ));
        assert!(matches!(
            classify(413, d(413, "Request Entity Too Large", None)),
            ApiError::TooLarge(_)
        ));
        let e = classify(502, d(502, "Bad Gateway", None));
        assert!(matches!(e, ApiError::Server(_)) && e.is_retryable());
        assert!(matches!(
            classify(418, d(418, "I'm a teapot", None)),
            ApiError::Api(_)
        ));
        // error_code missing: the HTTP status decides.
        assert!(matches!(
            classify(401, d(0, "", None)),
            ApiError::Unauthorized(_)
        ));
    }

    #[test]
    fn telepot_names() {
        let e = classify(403, d(403, "Forbidden: bot was blocked by the user", None));
        assert_eq!(e.telepot_class(), "BotWasBlockedError");
        assert_eq!(e.kind_name(), "forbidden");
    }
}
