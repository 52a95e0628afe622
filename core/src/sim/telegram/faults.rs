//! Injected faults: answers the simulator gives instead of (or after) doing the real work.

use super::api::{self, ApiError};
use crate::io::HttpResponse;

/// What an injected fault does to a matching request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultKind {
    /// A gateway error page that is not JSON (for example 502 with an HTML body), as a proxy
    /// in front of the Bot API sends it. The request is not executed.
    HtmlError {
        /// The HTTP status (502, 503, 504, …).
        status: u16,
    },
    /// A JSON API error with this status and description (for example 500
    /// `Internal Server Error: restart`, or a 403). The request is not executed.
    ApiError {
        /// The HTTP status, also used as `error_code`.
        status: u16,
        /// The `description` field.
        description: String,
    },
    /// 429 `Too Many Requests: retry after N` with `parameters.retry_after` = N. The request
    /// is not executed.
    TooManyRequests {
        /// Seconds the client is told to wait.
        retry_after: u64,
    },
    /// The request is lost before it reaches the API: nothing is executed and the answer is
    /// [`SimReply::Dropped`](super::SimReply::Dropped).
    DropRequest,
    /// The request is executed but its answer is lost ([`SimReply::Dropped`](super::SimReply::Dropped)),
    /// the case that makes naive retries send a message twice.
    DropResponse,
}

impl FaultKind {
    /// 500 `Internal Server Error: restart`.
    pub fn internal_error() -> Self {
        FaultKind::ApiError {
            status: 500,
            description: "Internal Server Error: restart".into(),
        }
    }

    /// 502 with an HTML body.
    pub fn bad_gateway_html() -> Self {
        FaultKind::HtmlError { status: 502 }
    }

    /// 403 `Forbidden: bot was blocked by the user`.
    pub fn blocked_by_user() -> Self {
        FaultKind::ApiError {
            status: 403,
            description: "Forbidden: bot was blocked by the user".into(),
        }
    }

    /// 409 `Conflict: terminated by other getUpdates request; …`.
    pub fn conflict() -> Self {
        FaultKind::ApiError {
            status: 409,
            description: format!("Conflict: {}", api::CONFLICT_OTHER_POLL),
        }
    }

    /// The answer a fault gives instead of executing the request, or `None` for the two
    /// dropping kinds.
    pub(crate) fn response(&self) -> Option<HttpResponse> {
        match self {
            FaultKind::HtmlError { status } => Some(api::html_error_response(*status)),
            FaultKind::ApiError {
                status,
                description,
            } => Some(ApiError::new(*status, description.clone()).response()),
            FaultKind::TooManyRequests { retry_after } => {
                Some(ApiError::too_many_requests(*retry_after).response())
            }
            FaultKind::DropRequest | FaultKind::DropResponse => None,
        }
    }
}

/// A fault waiting in the simulator's queue. It applies to the next `times` requests that
/// match its filters, then disappears. Faults are tried in the order they were injected; a
/// request takes at most one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// What happens.
    pub kind: FaultKind,
    /// Only requests for this method (compared case-insensitively); `None` matches every
    /// method call (file downloads are never affected).
    pub method: Option<String>,
    /// Only requests whose `chat_id` parameter is this number.
    pub chat_id: Option<i64>,
    /// How many requests it still applies to.
    pub times: u32,
}

impl Fault {
    /// A fault for the next matching request, with no filter.
    pub fn new(kind: FaultKind) -> Self {
        Fault {
            kind,
            method: None,
            chat_id: None,
            times: 1,
        }
    }

    /// Restricts the fault to one method.
    pub fn on_method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into());
        self
    }

    /// Restricts the fault to requests addressed to one chat.
    pub fn in_chat(mut self, chat_id: i64) -> Self {
        self.chat_id = Some(chat_id);
        self
    }

    /// Applies the fault to `n` requests instead of one.
    pub fn times(mut self, n: u32) -> Self {
        self.times = n;
        self
    }

    pub(crate) fn matches(&self, method: &str, chat_id: Option<i64>) -> bool {
        let method_ok = match &self.method {
            Some(wanted) => wanted.eq_ignore_ascii_case(method),
            None => true,
        };
        let chat_ok = match self.chat_id {
            Some(wanted) => chat_id == Some(wanted),
            None => true,
        };
        self.times > 0 && method_ok && chat_ok
    }
}
