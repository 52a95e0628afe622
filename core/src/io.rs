//! The vocabulary of the run-loop contract: what the core asks the host to do (HTTP requests,
//! WebSocket frames) and what the host reports back.
//!
//! Nothing here performs I/O. Requests are plain data that own their bytes; responses are
//! borrowed by the `handle_*` inputs of each client.

use std::fmt;

/// Host-supplied monotonic time in milliseconds. The origin is the host's choice; only
/// differences matter to the core.
pub type Timestamp = u64;

/// Identifies one HTTP request the core asked the host to perform. The host answers each id
/// exactly once, with `handle_http_response` or `handle_http_error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// Identifies one WebSocket connection the core asked the host to open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "request #{}", self.0)
    }
}

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "connection #{}", self.0)
    }
}

/// HTTP method of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    /// `GET`
    Get,
    /// `POST`
    Post,
}

impl HttpMethod {
    /// The method as it appears on the request line.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
        }
    }
}

/// An HTTP request for the host to perform. It owns its data.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// `GET` or `POST`.
    pub method: HttpMethod,
    /// Absolute URL. For Telegram it contains the bot token: never log it as is (see
    /// [`HttpRequest::redacted_url`]).
    pub url: String,
    /// Header name/value pairs, in order.
    pub headers: Vec<(String, String)>,
    /// The body bytes (empty for `GET`).
    pub body: Vec<u8>,
    /// How long the host should wait for the whole answer before reporting
    /// [`HttpErrorKind::Timeout`]. `None` leaves it to the host.
    pub timeout_ms: Option<u64>,
}

impl HttpRequest {
    /// The value of the first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The URL for logs: every `/bot<token>` path segment becomes `/bot<redacted>` and the
    /// query, which can carry a credential (TrueConf download URLs), becomes `?<redacted>`.
    pub fn redacted_url(&self) -> String {
        let url = redact_bot_token(&self.url);
        match url.find('?') {
            Some(i) => format!("{}?<redacted>", &url[..i]),
            None => url,
        }
    }
}

impl fmt::Debug for HttpRequest {
    // The URL carries the token: Debug output must never show it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.redacted_url())
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

/// An HTTP response as the host received it (owned form, used by simulators and tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Header name/value pairs.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A JSON response with the given status.
    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Self {
        HttpResponse {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.into(),
        }
    }

    /// The value of the first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

/// Why an HTTP request failed without a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HttpErrorKind {
    /// No answer within the request's timeout.
    Timeout,
    /// The connection could not be established (DNS, refused, TLS).
    Connect,
    /// The connection broke while the request or answer was in transit.
    Io,
    /// The host aborted the request (for example because the core asked it to).
    Aborted,
    /// Anything else.
    Other,
}

/// One WebSocket message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsFrame {
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(Vec<u8>),
}

/// Case-insensitive header lookup shared by requests, responses and webhook inputs.
pub fn find_header<'a, N: AsRef<str>, V: AsRef<str>>(
    headers: &'a [(N, V)],
    name: &str,
) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.as_ref().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_ref())
}

/// Replaces the token in every `/bot<token>/` segment of a URL.
pub fn redact_bot_token(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    let mut rest = url;
    while let Some(pos) = rest.find("/bot") {
        out.push_str(&rest[..pos + 4]);
        let after = &rest[pos + 4..];
        let end = after.find('/').unwrap_or(after.len());
        if end > 0 {
            out.push_str("<redacted>");
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Hands out request ids in increasing order; an id is never reused by one client.
#[derive(Debug, Clone, Default)]
pub struct IdAllocator {
    next: u64,
}

impl IdAllocator {
    /// The next fresh id.
    pub fn next_request(&mut self) -> RequestId {
        self.next += 1;
        RequestId(self.next)
    }

    /// The next fresh connection id (shares the counter with requests).
    pub fn next_conn(&mut self) -> ConnId {
        self.next += 1;
        ConnId(self.next)
    }
}

/// A small deterministic pseudo-random generator (SplitMix64) seeded from the configuration,
/// so jitter is reproducible and the core draws no hidden randomness.
#[derive(Debug, Clone)]
pub struct SeededRng(u64);

impl SeededRng {
    /// A generator with the given seed.
    pub fn new(seed: u64) -> Self {
        SeededRng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value uniformly drawn from `lo..=hi` (returns `lo` when `hi <= lo`).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.next_u64() % (hi - lo + 1)
    }
}

/// Compares two byte strings in time that depends only on their lengths, never on where they
/// first differ. Different lengths compare unequal.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_urls_hide_queries() {
        let request = HttpRequest {
            method: HttpMethod::Get,
            url: "http://h:4309/files/abc?token=Zx81kq".into(),
            headers: vec![],
            body: vec![],
            timeout_ms: None,
        };
        assert_eq!(request.redacted_url(), "http://h:4309/files/abc?<redacted>");
        assert!(!format!("{request:?}").contains("Zx81kq"));
    }

    #[test]
    fn redacts_tokens_in_urls() {
        assert_eq!(
            redact_bot_token("https://api.telegram.org/bot123:ABC/getMe"),
            "https://api.telegram.org/bot<redacted>/getMe"
        );
        assert_eq!(
            redact_bot_token("https://h/file/bot1:x/photos/a.jpg"),
            "https://h/file/bot<redacted>/photos/a.jpg"
        );
        assert_eq!(redact_bot_token("http://h/other"), "http://h/other");
    }

    #[test]
    fn debug_of_request_hides_the_token() {
        let r = HttpRequest {
            method: HttpMethod::Post,
            url: "https://api.telegram.org/bot42:SECRET/sendMessage".into(),
            headers: vec![],
            body: vec![],
            timeout_ms: None,
        };
        assert!(!format!("{r:?}").contains("SECRET"));
    }

    #[test]
    fn constant_time_eq_compares_bytes() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn rng_is_deterministic_and_in_range() {
        let mut a = SeededRng::new(7);
        let mut b = SeededRng::new(7);
        for _ in 0..100 {
            let x = a.range(10, 20);
            assert_eq!(x, b.range(10, 20));
            assert!((10..=20).contains(&x));
        }
    }
}
