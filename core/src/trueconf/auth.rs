//! Token acquisition, the WebSocket `auth` exchange and the server-version probe, as pure
//! request builders and response parsers.
//!
//! - Password grant: [`password_token_request`] → [`parse_token`].
//! - OAuth application (server ≥ 5.5.3), three steps: [`oauth_app_token_request`] →
//!   [`parse_web_api_token`], [`web_rest_api_token_request`] → [`parse_authorization_code`],
//!   [`authorization_code_request`] → [`parse_token`].
//! - The token's expiry comes from its JWT payload: [`jwt_expiry`] (the lifetime fields of the
//!   token answers are not reliable).
//! - Probe: [`server_info_request`] → [`parse_server_info`]; when that answers an error status,
//!   [`connects_request`] → [`parse_connects_port`] and [`vsstatus_request`] →
//!   [`parse_vsstatus`].
//!
//! ```
//! use botwire_core::trueconf::auth::{base_url, parse_token, password_token_request, jwt_expiry};
//!
//! let request = password_token_request(&base_url(true, "video.example.com", 443), "helpdesk_bot", "s3cret");
//! assert_eq!(request.url, "https://video.example.com:443/bridge/api/client/v1/oauth/token");
//! let body = br#"{"access_token":"eyJhbGciOiJub25lIn0.eyJleHAiOjE4MTIwMDAwMDB9.","token_type":"JWT"}"#;
//! let token = parse_token(201, body).unwrap();
//! assert_eq!(jwt_expiry(&token), Ok(1_812_000_000));
//! ```

use super::error::TrueConfError;
use super::frame::{is_object_text, response_result};
use crate::io::{HttpMethod, HttpRequest};
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use serde::Deserialize;
use std::cmp::Ordering;
use std::fmt;

/// Path of the password grant.
pub const PASSWORD_TOKEN_PATH: &str = "/bridge/api/client/v1/oauth/token";
/// Path of OAuth-application step 1 (web API token).
pub const OAUTH_APP_TOKEN_PATH: &str = "/api/v4/oauth2/token";
/// Path of OAuth-application step 2 (authorization code).
pub const WEB_REST_API_TOKEN_PATH: &str = "/bridge/api/client/v1/auth/web_rest_api_token";
/// Path of OAuth-application step 3 (the JWT).
pub const AUTHORIZATION_CODE_TOKEN_PATH: &str = "/bridge/api/client/v1/auth/token";
/// Path of the server information (version probe).
pub const SERVER_INFO_PATH: &str = "/api/v4/server";
/// Path of the probe's first fallback.
pub const CONNECTS_PATH: &str = "/api/v4/endpoints/connects";
/// Path of the probe's status page.
pub const VSSTATUS_PATH: &str = "/vsstatus";
/// Path of the bot WebSocket.
pub const WEBSOCKET_PATH: &str = "/websocket/chat_bot";
/// Port of the status page when `/api/v4/endpoints/connects` names none.
pub const DEFAULT_CONNECTS_PORT: u16 = 4307;

/// `scheme://host:port` of the HTTP endpoints. IPv6 literals are bracketed.
pub fn base_url(https: bool, host: &str, port: u16) -> String {
    let scheme = if https { "https" } else { "http" };
    format!("{scheme}://{}:{port}", bracket_host(host))
}

/// The WebSocket URL: `ws(s)://host:port/websocket/chat_bot`, with a trailing slash when asked
/// (the documented form; the reference client sends none).
pub fn ws_url(https: bool, host: &str, port: u16, trailing_slash: bool) -> String {
    let scheme = if https { "wss" } else { "ws" };
    let slash = if trailing_slash { "/" } else { "" };
    format!(
        "{scheme}://{}:{port}{WEBSOCKET_PATH}{slash}",
        bracket_host(host)
    )
}

fn bracket_host(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_owned()
    }
}

fn json_post(url: String, body: serde_json::Value) -> HttpRequest {
    HttpRequest {
        method: HttpMethod::Post,
        url,
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("Accept".into(), "application/json".into()),
        ],
        body: body.to_string().into_bytes(),
        timeout_ms: None,
    }
}

fn get(url: String) -> HttpRequest {
    HttpRequest {
        method: HttpMethod::Get,
        url,
        headers: vec![],
        body: vec![],
        timeout_ms: None,
    }
}

/// The password grant (`POST /bridge/api/client/v1/oauth/token`), answered by
/// [`parse_token`].
pub fn password_token_request(base: &str, username: &str, password: &str) -> HttpRequest {
    json_post(
        format!("{base}{PASSWORD_TOKEN_PATH}"),
        serde_json::json!({
            "client_id": "chat_bot",
            "grant_type": "password",
            "username": username,
            "password": password,
        }),
    )
}

/// OAuth-application step 1 (`POST /api/v4/oauth2/token`) with the application's
/// `client_id`, answered by [`parse_web_api_token`].
pub fn oauth_app_token_request(
    base: &str,
    client_id: &str,
    username: &str,
    password: &str,
) -> HttpRequest {
    json_post(
        format!("{base}{OAUTH_APP_TOKEN_PATH}"),
        serde_json::json!({
            "client_id": client_id,
            "grant_type": "password",
            "username": username,
            "password": password,
        }),
    )
}

/// OAuth-application step 2: exchanges the web API token for an authorization code. Here
/// `client_id` is the bot's user name. Answered by [`parse_authorization_code`].
pub fn web_rest_api_token_request(base: &str, username: &str, web_token: &str) -> HttpRequest {
    json_post(
        format!("{base}{WEB_REST_API_TOKEN_PATH}"),
        serde_json::json!({"client_id": username, "token": web_token}),
    )
}

/// OAuth-application step 3: exchanges the code for the JWT. Answered by [`parse_token`].
pub fn authorization_code_request(base: &str, code: &str) -> HttpRequest {
    json_post(
        format!("{base}{AUTHORIZATION_CODE_TOKEN_PATH}"),
        serde_json::json!({
            "client_id": "user",
            "grant_type": "authorization_code",
            "code": code,
        }),
    )
}

/// Reads `access_token` from the answer of the password grant or of OAuth step 3.
///
/// # Errors
/// [`TrueConfError::Http`] with the OAuth error for a non-2xx status (see [`oauth_error`]);
/// [`TrueConfError::Malformed`] for a 2xx answer without a non-empty `access_token`.
pub fn parse_token(status: u16, body: &[u8]) -> Result<String, TrueConfError> {
    string_field(status, body, "access_token")
}

/// Reads the web API token (`access_token`) of OAuth step 1.
///
/// # Errors
/// As [`parse_token`].
pub fn parse_web_api_token(status: u16, body: &[u8]) -> Result<String, TrueConfError> {
    string_field(status, body, "access_token")
}

/// Reads `authorization_code` of OAuth step 2.
///
/// # Errors
/// As [`parse_token`].
pub fn parse_authorization_code(status: u16, body: &[u8]) -> Result<String, TrueConfError> {
    string_field(status, body, "authorization_code")
}

fn string_field(status: u16, body: &[u8], field: &str) -> Result<String, TrueConfError> {
    if !(200..300).contains(&status) {
        return Err(oauth_error(status, body));
    }
    let value: serde_json::Value = crate::json_bytes::from_bytes(body)
        .map_err(|_| TrueConfError::Malformed(format!("the answer with {field} is not JSON")))?;
    match value.get(field) {
        Some(serde_json::Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        _ => Err(TrueConfError::Malformed(format!(
            "the answer has no {field}"
        ))),
    }
}

/// Maps a failed token answer to [`TrueConfError::Http`]: the message is the OAuth `error`
/// (`invalid_grant`, `auth_method_disabled`, …) followed by `error_description`, or for the
/// web API's error object its first `reason` (e.g. `invalidScope`) and `message`, or else a
/// short excerpt of the body.
pub fn oauth_error(status: u16, body: &[u8]) -> TrueConfError {
    TrueConfError::Http {
        status,
        message: oauth_error_message(body),
    }
}

fn oauth_error_message(body: &[u8]) -> String {
    let value: Option<serde_json::Value> = crate::json_bytes::from_bytes(body).ok();
    let text = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).map(str::to_owned);
    if let Some(v) = &value {
        match v.get("error") {
            Some(serde_json::Value::String(error)) => {
                return match text(v.get("error_description")) {
                    Some(d) if !d.is_empty() => clip(&format!("{error}: {d}"), 300),
                    _ => clip(error, 300),
                };
            }
            Some(obj @ serde_json::Value::Object(_)) => {
                let reason = obj
                    .get("errors")
                    .and_then(|e| e.get(0))
                    .and_then(|e| text(e.get("reason")));
                let message = text(obj.get("message"));
                let joined = match (reason, message) {
                    (Some(r), Some(m)) => format!("{r}: {m}"),
                    (Some(r), None) => r,
                    (None, Some(m)) => m,
                    (None, None) => obj.to_string(),
                };
                return clip(&joined, 300);
            }
            _ => {}
        }
    }
    clip(&String::from_utf8_lossy(body), 200)
}

/// At most `max` bytes, control characters replaced, for messages.
pub(crate) fn clip(s: &str, max: usize) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if out.len() > max {
        let mut end = max;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
        out.push('…');
    }
    out
}

/// Whether a failed token request cannot succeed by retrying: a 4xx answer (bad credentials,
/// password login disabled, unknown OAuth application, no scope), except 408 and 429.
pub fn is_permanent_token_failure(error: &TrueConfError) -> bool {
    matches!(error, TrueConfError::Http { status, .. }
        if (400..500).contains(status) && *status != 408 && *status != 429)
}

/// Why the expiry of a token could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwtError {
    /// Not three dot-separated segments.
    #[error("the token is not three dot-separated segments")]
    Shape,
    /// The payload segment is not base64url.
    #[error("the token payload is not base64url")]
    Base64,
    /// The payload is not a JSON object.
    #[error("the token payload is not a JSON object")]
    Json,
    /// No numeric `exp`.
    #[error("the token payload has no numeric exp")]
    NoExp,
}

const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// The `exp` claim of a JWT (Unix time in seconds). The signature is not checked.
///
/// # Errors
/// [`JwtError`] when the token is not a JWT with a numeric `exp`.
pub fn jwt_expiry(token: &str) -> Result<i64, JwtError> {
    let mut parts = token.split('.');
    let (Some(_header), Some(payload), Some(_sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Shape);
    };
    if payload.is_empty() {
        return Err(JwtError::Shape);
    }
    let bytes = BASE64URL.decode(payload).map_err(|_| JwtError::Base64)?;
    #[derive(Deserialize)]
    struct Claims {
        exp: Option<serde_json::Value>,
    }
    if !is_object_text(&bytes) {
        return Err(JwtError::Json);
    }
    let claims: Claims = crate::json_bytes::from_bytes(&bytes).map_err(|_| JwtError::Json)?;
    match claims.exp {
        Some(serde_json::Value::Number(n)) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite() && f.abs() < 1e15)
                    .map(|f| f as i64)
            })
            .ok_or(JwtError::NoExp),
        _ => Err(JwtError::NoExp),
    }
}

/// The `payload` of the WebSocket `auth` request (3.4), as JSON text.
pub fn auth_payload(token: &str, receive_unread: bool, receive_system_envelopes: bool) -> String {
    serde_json::json!({
        "token": token,
        "tokenType": "JWT",
        "receiveUnread": receive_unread,
        "receiveSystemMessageEnvelopes": receive_system_envelopes,
    })
    .to_string()
}

/// A successful `auth` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorized {
    /// `userId` as sent, possibly with a `/resource` suffix.
    pub user_id: String,
    /// `connectionId`.
    pub connection_id: String,
}

impl Authorized {
    /// The bot's own TrueConf id: `userId` before the first `/`.
    pub fn bot_id(&self) -> &str {
        bot_id(&self.user_id)
    }
}

/// A user id without its `/resource` suffix.
pub fn bot_id(user_id: &str) -> &str {
    user_id.split('/').next().unwrap_or(user_id)
}

/// Reads the answer to `auth`.
///
/// # Errors
/// [`TrueConfError::Server`] for an error payload (201, 202, 203, 204, …);
/// [`TrueConfError::Malformed`] when `userId` or `connectionId` is missing.
pub fn parse_auth_response(payload: &str) -> Result<Authorized, TrueConfError> {
    let payload = response_result(payload)?;
    #[derive(Deserialize)]
    struct Answer {
        #[serde(rename = "userId")]
        user_id: Option<serde_json::Value>,
        #[serde(rename = "connectionId")]
        connection_id: Option<serde_json::Value>,
    }
    if !is_object_text(payload) {
        return Err(TrueConfError::Malformed(
            "the auth answer is not an object".into(),
        ));
    }
    let answer: Answer = serde_json::from_str(payload)
        .map_err(|_| TrueConfError::Malformed("the auth answer is not an object".into()))?;
    let user_id = match answer.user_id {
        Some(serde_json::Value::String(s)) if !s.is_empty() => s,
        _ => {
            return Err(TrueConfError::Malformed(
                "the auth answer has no userId".into(),
            ))
        }
    };
    // Some servers send a numeric connection id: keep its text.
    let connection_id = match answer.connection_id {
        Some(serde_json::Value::String(s)) => s,
        Some(serde_json::Value::Number(n)) => n.to_string(),
        _ => {
            return Err(TrueConfError::Malformed(
                "the auth answer has no connectionId".into(),
            ))
        }
    };
    Ok(Authorized {
        user_id,
        connection_id,
    })
}

/// A TrueConf Server version: `major.minor.patch[.build]`. Comparisons ignore the build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ServerVersion {
    /// Major.
    pub major: u32,
    /// Minor.
    pub minor: u32,
    /// Patch.
    pub patch: u32,
    /// Build number, when given.
    pub build: Option<u32>,
}

/// What botwire can use on a server version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VersionSupport {
    /// Before 5.5.0: no chat bots.
    Unavailable,
    /// 5.5.0 – 5.5.2: the first protocol generation.
    FirstGeneration,
    /// 5.5.3 – 5.5.5: no buttons, no `command` event, envelopes with only a top-level
    /// `chatId`.
    Degraded,
    /// 5.5.6 and later: everything botwire targets.
    Full,
}

impl ServerVersion {
    /// A version from its numbers.
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        ServerVersion {
            major,
            minor,
            patch,
            build: None,
        }
    }

    /// Parses `5.5.6` or `5.5.6.21140` (anything after the numbers, such as `-beta`, is
    /// ignored). `None` for fewer than three numbers.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let end = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(text.len());
        let mut numbers = text[..end].split('.').map(|p| p.parse::<u32>().ok());
        let major = numbers.next()??;
        let minor = numbers.next()??;
        let patch = numbers.next()??;
        let build = numbers.next().flatten();
        Some(ServerVersion {
            major,
            minor,
            patch,
            build,
        })
    }

    fn triple(&self) -> (u32, u32, u32) {
        (self.major, self.minor, self.patch)
    }

    /// Whether this version is at least `major.minor.patch`.
    pub fn at_least(&self, major: u32, minor: u32, patch: u32) -> bool {
        self.triple() >= (major, minor, patch)
    }

    /// What botwire can use on this version.
    pub fn support(&self) -> VersionSupport {
        if self.at_least(5, 5, 6) {
            VersionSupport::Full
        } else if self.at_least(5, 5, 3) {
            VersionSupport::Degraded
        } else if self.at_least(5, 5, 0) {
            VersionSupport::FirstGeneration
        } else {
            VersionSupport::Unavailable
        }
    }

    /// At least 5.5.6: the version botwire targets.
    pub fn is_fully_supported(&self) -> bool {
        self.support() == VersionSupport::Full
    }

    /// 5.5.3 – 5.5.5: works without buttons and commands.
    pub fn is_degraded(&self) -> bool {
        self.support() == VersionSupport::Degraded
    }

    /// Compares the numbers, ignoring the build.
    pub fn cmp_release(&self, other: &ServerVersion) -> Ordering {
        self.triple().cmp(&other.triple())
    }
}

impl fmt::Display for ServerVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if let Some(b) = self.build {
            write!(f, ".{b}")?;
        }
        Ok(())
    }
}

/// What the probe learned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInfo {
    /// The server version.
    pub version: ServerVersion,
    /// The server's domain (`product.display_name`), used to complete short user ids; `None`
    /// when the version came from the status page.
    pub domain: Option<String>,
}

/// `GET /api/v4/server`, answered by [`parse_server_info`].
pub fn server_info_request(base: &str) -> HttpRequest {
    get(format!("{base}{SERVER_INFO_PATH}"))
}

/// Reads `product.version` and `product.display_name`.
///
/// # Errors
/// [`TrueConfError::Http`] for a non-2xx status (the caller then tries the fallback);
/// [`TrueConfError::Malformed`] when the version cannot be read.
pub fn parse_server_info(status: u16, body: &[u8]) -> Result<ServerInfo, TrueConfError> {
    if !(200..300).contains(&status) {
        return Err(TrueConfError::Http {
            status,
            message: "server information unavailable".into(),
        });
    }
    #[derive(Deserialize)]
    struct Product {
        version: Option<serde_json::Value>,
        display_name: Option<serde_json::Value>,
    }
    #[derive(Deserialize)]
    struct Info {
        product: Option<Product>,
    }
    if !is_object_text(body) {
        return Err(TrueConfError::Malformed(
            "server information is not an object".into(),
        ));
    }
    let info: Info = crate::json_bytes::from_bytes(body)
        .map_err(|_| TrueConfError::Malformed("server information is not JSON".into()))?;
    let product = info
        .product
        .ok_or_else(|| TrueConfError::Malformed("server information has no product".into()))?;
    let version = match &product.version {
        Some(serde_json::Value::String(v)) => ServerVersion::parse(v),
        _ => None,
    }
    .ok_or_else(|| TrueConfError::Malformed("server information has no version".into()))?;
    let domain = match product.display_name {
        Some(serde_json::Value::String(d)) if !d.is_empty() => Some(d),
        _ => None,
    };
    Ok(ServerInfo { version, domain })
}

/// `GET /api/v4/endpoints/connects` (probe fallback), answered by [`parse_connects_port`].
pub fn connects_request(base: &str) -> HttpRequest {
    get(format!("{base}{CONNECTS_PATH}"))
}

/// The port of the first entry of `connects` ([`DEFAULT_CONNECTS_PORT`] when there is none).
///
/// # Errors
/// [`TrueConfError::Http`] for a non-2xx status, [`TrueConfError::Malformed`] for a body
/// that is not JSON.
pub fn parse_connects_port(status: u16, body: &[u8]) -> Result<u16, TrueConfError> {
    if !(200..300).contains(&status) {
        return Err(TrueConfError::Http {
            status,
            message: "endpoint list unavailable".into(),
        });
    }
    let value: serde_json::Value = crate::json_bytes::from_bytes(body)
        .map_err(|_| TrueConfError::Malformed("the endpoint list is not JSON".into()))?;
    let first = value
        .get("connects")
        .and_then(|c| c.get(0))
        .and_then(|c| c.as_str());
    let port = first.and_then(|entry| {
        // "host:port", "[v6]:port"; the port follows the last colon outside brackets.
        let after_bracket = entry.rfind(']').map_or(0, |i| i + 1);
        let tail = &entry[after_bracket..];
        tail.rfind(':')
            .and_then(|i| tail[i + 1..].parse::<u16>().ok())
    });
    Ok(port.unwrap_or(DEFAULT_CONNECTS_PORT))
}

/// `GET http://host:port/vsstatus` (plain HTTP, as served by the server's own port), answered
/// by [`parse_vsstatus`].
pub fn vsstatus_request(host: &str, port: u16) -> HttpRequest {
    get(format!("{}{VSSTATUS_PATH}", base_url(false, host, port)))
}

/// Finds `TrueConf Server X.Y.Z.B` in the status page.
///
/// # Errors
/// [`TrueConfError::Http`] for a non-2xx status, [`TrueConfError::Malformed`] when the page
/// names no version.
pub fn parse_vsstatus(status: u16, body: &[u8]) -> Result<ServerVersion, TrueConfError> {
    if !(200..300).contains(&status) {
        return Err(TrueConfError::Http {
            status,
            message: "status page unavailable".into(),
        });
    }
    let text = String::from_utf8_lossy(body);
    const MARK: &str = "TrueConf Server ";
    let mut rest: &str = &text;
    while let Some(at) = rest.find(MARK) {
        rest = &rest[at + MARK.len()..];
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if let Some(v) = ServerVersion::parse(rest[..end].trim_end_matches('.')) {
            return Ok(v);
        }
    }
    Err(TrueConfError::Malformed(
        "the status page names no version".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::SeededRng;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    }

    #[test]
    fn builds_the_token_requests() {
        let base = base_url(false, "127.0.0.1", 4309);
        let r = password_token_request(&base, "bot", "pw\"");
        assert_eq!(
            r.url,
            "http://127.0.0.1:4309/bridge/api/client/v1/oauth/token"
        );
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"client_id":"chat_bot","grant_type":"password","username":"bot","password":"pw\""})
        );
        let r = oauth_app_token_request(&base, "app-1", "bot", "pw");
        assert!(r.url.ends_with("/api/v4/oauth2/token"));
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["client_id"], "app-1");
        let r = web_rest_api_token_request(&base, "bot", "web");
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body, serde_json::json!({"client_id":"bot","token":"web"}));
        let r = authorization_code_request(&base, "c0de");
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"client_id":"user","grant_type":"authorization_code","code":"c0de"})
        );
        assert_eq!(base_url(true, "::1", 443), "https://[::1]:443");
        assert_eq!(
            ws_url(true, "h", 443, true),
            "wss://h:443/websocket/chat_bot/"
        );
        assert_eq!(
            ws_url(false, "h", 4309, false),
            "ws://h:4309/websocket/chat_bot"
        );
    }

    #[test]
    fn parses_token_answers_and_oauth_errors() {
        assert_eq!(parse_token(200, br#"{"access_token":"t"}"#), Ok("t".into()));
        assert!(matches!(
            parse_token(201, br#"{"access_token":""}"#),
            Err(TrueConfError::Malformed(_))
        ));
        assert!(matches!(
            parse_token(201, b"nope"),
            Err(TrueConfError::Malformed(_))
        ));
        let e = parse_token(
            401,
            br#"{"error":"invalid_grant","error_description":"bad password"}"#,
        )
        .unwrap_err();
        assert_eq!(
            e,
            TrueConfError::Http {
                status: 401,
                message: "invalid_grant: bad password".into()
            }
        );
        assert!(is_permanent_token_failure(&e));
        let e = parse_token(403, br#"{"error":"auth_method_disabled"}"#).unwrap_err();
        assert_eq!(
            e,
            TrueConfError::Http {
                status: 403,
                message: "auth_method_disabled".into()
            }
        );
        let e = parse_web_api_token(400, br#"{"error":{"code":400,"message":"Bad Request","trace_id":"x","errors":[{"reason":"invalidScope","location":"scope"}]}}"#).unwrap_err();
        assert_eq!(
            e,
            TrueConfError::Http {
                status: 400,
                message: "invalidScope: Bad Request".into()
            }
        );
        let e = parse_authorization_code(502, b"<html>\nBad gateway</html>").unwrap_err();
        assert!(!is_permanent_token_failure(&e));
        assert_eq!(
            parse_authorization_code(200, br#"{"authorization_code":"c","expires_in":1}"#),
            Ok("c".into())
        );
    }

    #[test]
    fn reads_jwt_expiry() {
        let t = format!(
            "{}.{}.sig",
            b64(r#"{"alg":"none"}"#),
            b64(r#"{"exp":1812000000}"#)
        );
        assert_eq!(jwt_expiry(&t), Ok(1_812_000_000));
        let padded = base64::engine::general_purpose::URL_SAFE.encode(r#"{"exp":55}"#);
        assert!(padded.ends_with("=="));
        assert_eq!(jwt_expiry(&format!("a.{padded}.")), Ok(55));
        let float = format!("a.{}.", b64(r#"{"exp":7.9}"#));
        assert_eq!(jwt_expiry(&float), Ok(7));
        assert_eq!(jwt_expiry("abc"), Err(JwtError::Shape));
        assert_eq!(jwt_expiry("a.b.c.d"), Err(JwtError::Shape));
        assert_eq!(jwt_expiry("a..c"), Err(JwtError::Shape));
        assert_eq!(jwt_expiry("a.!!!.c"), Err(JwtError::Base64));
        assert_eq!(
            jwt_expiry(&format!("a.{}.c", b64("[1]"))),
            Err(JwtError::Json)
        );
        assert_eq!(
            jwt_expiry(&format!("a.{}.c", b64(r#"{"exp":"soon"}"#))),
            Err(JwtError::NoExp)
        );
        let mut rng = SeededRng::new(3);
        for _ in 0..2000 {
            let len = rng.range(0, 40) as usize;
            let s: String = (0..len)
                .map(|_| b"aZ09-_.=+/{}\"e"[rng.range(0, 13) as usize] as char)
                .collect();
            let _ = jwt_expiry(&s);
        }
    }

    #[test]
    fn parses_auth_answers() {
        let a = parse_auth_response(r#"{"userId":"bot@h/7d0f","connectionId":"c-1"}"#).unwrap();
        assert_eq!(a.bot_id(), "bot@h");
        assert_eq!(a.connection_id, "c-1");
        assert_eq!(
            parse_auth_response(r#"{"errorCode":201}"#)
                .unwrap_err()
                .code()
                .map(|c| c.0),
            Some(201)
        );
        assert!(matches!(
            parse_auth_response(r#"{"connectionId":"c"}"#),
            Err(TrueConfError::Malformed(_))
        ));
        assert!(matches!(
            parse_auth_response(r#"{"userId":5,"connectionId":"c"}"#),
            Err(TrueConfError::Malformed(_))
        ));
        // An array must not be read positionally into the answer's fields.
        assert!(matches!(
            parse_auth_response(r#"["bot@h","c"]"#),
            Err(TrueConfError::Malformed(_))
        ));
        let p: serde_json::Value = serde_json::from_str(&auth_payload("t", true, false)).unwrap();
        assert_eq!(
            p,
            serde_json::json!({"token":"t","tokenType":"JWT","receiveUnread":true,"receiveSystemMessageEnvelopes":false})
        );
    }

    #[test]
    fn versions() {
        let v = ServerVersion::parse("5.5.6.21140").unwrap();
        assert_eq!(v.build, Some(21140));
        assert!(v.is_fully_supported());
        assert_eq!(v.to_string(), "5.5.6.21140");
        assert!(ServerVersion::parse("5.5.4").unwrap().is_degraded());
        assert_eq!(
            ServerVersion::parse("5.5.1").unwrap().support(),
            VersionSupport::FirstGeneration
        );
        assert_eq!(
            ServerVersion::parse("5.4.9").unwrap().support(),
            VersionSupport::Unavailable
        );
        assert!(ServerVersion::parse("5.10.0").unwrap().is_fully_supported());
        assert_eq!(ServerVersion::parse("5.5"), None);
        assert_eq!(ServerVersion::parse("x"), None);
        assert_eq!(
            ServerVersion::parse("5.5.6")
                .unwrap()
                .cmp_release(&ServerVersion::parse("5.5.6.1").unwrap()),
            Ordering::Equal
        );
    }

    #[test]
    fn probe_answers() {
        let info = parse_server_info(
            200,
            br#"{"product":{"version":"5.5.6.21140","display_name":"video.example.com"}}"#,
        )
        .unwrap();
        assert_eq!(info.domain.as_deref(), Some("video.example.com"));
        assert!(matches!(
            parse_server_info(404, b""),
            Err(TrueConfError::Http { status: 404, .. })
        ));
        assert!(matches!(
            parse_server_info(200, br#"{"other":1}"#),
            Err(TrueConfError::Malformed(_))
        ));
        assert!(matches!(
            parse_server_info(200, br#"{"product":{"version":5}}"#),
            Err(TrueConfError::Malformed(_))
        ));
        assert_eq!(
            parse_connects_port(200, br#"{"connects":["video.example.com:4310"]}"#),
            Ok(4310)
        );
        assert_eq!(
            parse_connects_port(200, br#"{"connects":["[::1]:4311","x:1"]}"#),
            Ok(4311)
        );
        assert_eq!(parse_connects_port(200, br#"{"connects":[]}"#), Ok(4307));
        assert_eq!(
            parse_connects_port(200, br#"{"connects":["[::1]"]}"#),
            Ok(4307)
        );
        assert!(parse_connects_port(200, b"<html>").is_err());
        assert_eq!(vsstatus_request("h", 4307).url, "http://h:4307/vsstatus");
        let v = parse_vsstatus(
            200,
            b"<html><title>TrueConf Server</title>Version: TrueConf Server 5.5.3.1200 running</html>",
        )
        .unwrap();
        assert_eq!(v.to_string(), "5.5.3.1200");
        assert!(parse_vsstatus(200, b"nothing here").is_err());
        assert!(parse_vsstatus(500, b"TrueConf Server 5.5.6.1").is_err());
    }
}
