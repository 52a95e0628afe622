//! The Bot API response envelope: `{"ok":true,"result":…}` and the error shapes Telegram uses.

use serde_json::{json, Value};

use crate::io::HttpResponse;

/// Second half of the 409 sent to a long poll that another `getUpdates` replaced.
pub(crate) const CONFLICT_OTHER_POLL: &str =
    "terminated by other getUpdates request; make sure that only one bot instance is running";
/// Second half of the 409 sent to `getUpdates` while a webhook is set.
pub(crate) const CONFLICT_WEBHOOK_ACTIVE: &str =
    "can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first";
/// Second half of the 409 sent to a long poll that `setWebhook` ended.
pub(crate) const CONFLICT_SET_WEBHOOK: &str = "terminated by setWebhook request";
/// What Telegram says about an unknown, answered or expired callback or inline query.
pub(crate) const QUERY_TOO_OLD: &str =
    "query is too old and response timeout expired or query ID is invalid";

/// A failed Bot API call: the status mirrors `error_code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub code: u16,
    pub description: String,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: u16, description: impl Into<String>) -> Self {
        ApiError {
            code,
            description: description.into(),
            retry_after: None,
        }
    }

    pub fn bad_request(detail: impl AsRef<str>) -> Self {
        Self::new(400, format!("Bad Request: {}", detail.as_ref()))
    }

    pub fn missing(name: &str) -> Self {
        Self::bad_request(format!("parameter \"{name}\" is required"))
    }

    pub fn unauthorized() -> Self {
        Self::new(401, "Unauthorized")
    }

    pub fn forbidden(detail: impl AsRef<str>) -> Self {
        Self::new(403, format!("Forbidden: {}", detail.as_ref()))
    }

    pub fn not_found() -> Self {
        Self::new(404, "Not Found")
    }

    pub fn conflict(detail: impl AsRef<str>) -> Self {
        Self::new(409, format!("Conflict: {}", detail.as_ref()))
    }

    pub fn too_large() -> Self {
        Self::new(413, "Request Entity Too Large")
    }

    pub fn too_many_requests(retry_after: u64) -> Self {
        ApiError {
            code: 429,
            description: format!("Too Many Requests: retry after {retry_after}"),
            retry_after: Some(retry_after),
        }
    }

    pub fn chat_not_found() -> Self {
        Self::bad_request("chat not found")
    }

    /// The JSON answer for this error.
    pub fn response(&self) -> HttpResponse {
        let mut body = json!({
            "ok": false,
            "error_code": self.code,
            "description": self.description,
        });
        if let Some(seconds) = self.retry_after {
            body["parameters"] = json!({ "retry_after": seconds });
        }
        HttpResponse::json(self.code, body.to_string())
    }
}

/// The JSON answer of a successful call.
pub(crate) fn ok_response(result: Value, description: Option<&str>) -> HttpResponse {
    let mut body = json!({ "ok": true, "result": result });
    if let Some(text) = description {
        body["description"] = Value::String(text.to_owned());
    }
    HttpResponse::json(200, body.to_string())
}

/// A non-JSON gateway error page, as a proxy in front of the Bot API would send it.
pub(crate) fn html_error_response(status: u16) -> HttpResponse {
    let reason = reason_phrase(status);
    let body = format!(
        "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n\
         <center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n\
         </body>\r\n</html>\r\n"
    );
    HttpResponse {
        status,
        headers: vec![("Content-Type".into(), "text/html".into())],
        body: body.into_bytes(),
    }
}

/// The standard reason phrase of common statuses (used in gateway pages and webhook errors).
pub(crate) fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        413 => "Request Entity Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}
