//! The codec layer: request builders and response parsers as plain functions.
//!
//! ```
//! use botwire_core::telegram::{api::Api, methods::SendMessage};
//! let api = Api::new("123:ABC");
//! let req = api.request(&SendMessage::new(42, "hi")).unwrap();
//! assert_eq!(req.url, "https://api.telegram.org/bot123:ABC/sendMessage");
//! assert_eq!(req.body, br#"{"chat_id":42,"text":"hi"}"#);
//! let sent = botwire_core::telegram::api::parse::<SendMessage>(200,
//!     br#"{"ok":true,"result":{"message_id":7,"date":1,"chat":{"id":42,"type":"private"},"text":"hi"}}"#)
//!     .unwrap();
//! assert_eq!(sent.message_id, 7);
//! ```

use super::error::{classify, ApiError, ErrorDetails};
use super::support::{collect_uploads, Upload};
use crate::io::{HttpMethod, HttpRequest};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// The default Bot API root.
pub const DEFAULT_API_ROOT: &str = "https://api.telegram.org";

/// A Bot API method: its parameters serialize to the request, its result parses to `Output`.
pub trait Method: Serialize {
    /// The method name as spelled in the spec (`sendMessage`).
    const NAME: &'static str;
    /// Top-level parameters typed `InputFile` (sent as file parts when uploaded).
    const UPLOAD_FIELDS: &'static [&'static str];
    /// The typed result.
    type Output: DeserializeOwned;
}

/// Why a request could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The parameters could not be serialized.
    #[error("cannot serialize the parameters of {method}: {reason}")]
    Serialize {
        /// Method name.
        method: String,
        /// serde's message.
        reason: String,
    },
    /// JSON arguments given by name did not fit the method's parameters.
    #[error("invalid arguments for {method}: {reason}")]
    InvalidArguments {
        /// Method name.
        method: String,
        /// What did not fit.
        reason: String,
    },
    /// No method of that name.
    #[error("unknown method {0:?}")]
    UnknownMethod(String),
    /// Two uploads, or an upload and a parameter, share an `attach://` name.
    #[error("attach name {0:?} is used twice or collides with a parameter")]
    AttachNameCollision(String),
    /// `sendMediaGroup` mixes documents or audios with other kinds.
    #[error("invalid media group: {0}")]
    InvalidMediaGroup(String),
}

/// Where and as whom requests go: the API root (configurable for a local Bot API server or
/// a simulator) and the bot token.
#[derive(Clone, PartialEq, Eq)]
pub struct Api {
    api_root: String,
    token: String,
    test_environment: bool,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("api_root", &self.api_root)
            .field("token", &"<redacted>")
            .field("test_environment", &self.test_environment)
            .finish()
    }
}

impl Api {
    /// Requests to `https://api.telegram.org` with this token.
    pub fn new(token: impl Into<String>) -> Self {
        Api {
            api_root: DEFAULT_API_ROOT.to_owned(),
            token: token.into(),
            test_environment: false,
        }
    }

    /// Uses another API root (a local Bot API server, `botwire-sim`); a trailing `/` is
    /// ignored.
    pub fn with_api_root(mut self, root: impl Into<String>) -> Self {
        let mut root = root.into();
        while root.ends_with('/') {
            root.pop();
        }
        self.api_root = root;
        self
    }

    /// Uses Telegram's test environment (`/bot<token>/test/<method>`).
    pub fn with_test_environment(mut self, on: bool) -> Self {
        self.test_environment = on;
        self
    }

    /// The API root in use.
    pub fn api_root(&self) -> &str {
        &self.api_root
    }

    /// The URL of a method.
    pub fn method_url(&self, method: &str) -> String {
        if self.test_environment {
            format!("{}/bot{}/test/{method}", self.api_root, self.token)
        } else {
            format!("{}/bot{}/{method}", self.api_root, self.token)
        }
    }

    /// The download URL of a `file_path` returned by `getFile`.
    pub fn file_url(&self, file_path: &str) -> String {
        format!("{}/file/bot{}/{file_path}", self.api_root, self.token)
    }

    /// A `GET` request downloading a `file_path` returned by `getFile`.
    pub fn download_request(&self, file_path: &str) -> HttpRequest {
        HttpRequest {
            method: HttpMethod::Get,
            url: self.file_url(file_path),
            headers: Vec::new(),
            body: Vec::new(),
            timeout_ms: None,
        }
    }

    /// Builds the HTTP request of a method call: `application/json` when nothing is
    /// uploaded, `multipart/form-data` otherwise.
    ///
    /// # Errors
    /// [`EncodeError`] when the parameters cannot be encoded (an attach name used twice, a
    /// media group mixing kinds that cannot be mixed).
    pub fn request<M: Method>(&self, method: &M) -> Result<HttpRequest, EncodeError> {
        // Only the serialisation is per method; the rest is one function for all of them.
        let (json, uploads) = collect_uploads(|| serde_json::to_vec(method));
        self.request_of(M::NAME, M::UPLOAD_FIELDS, json, uploads)
    }

    /// The request of method `name` from its parameters serialised as JSON.
    fn request_of(
        &self,
        name: &'static str,
        upload_fields: &[&str],
        json: Result<Vec<u8>, serde_json::Error>,
        uploads: Vec<Upload>,
    ) -> Result<HttpRequest, EncodeError> {
        let (body, content_type) = encode_body(name, upload_fields, json, uploads)?;
        Ok(self.post(name, body, content_type))
    }

    /// The POST of method `name` with an encoded body.
    fn post(&self, name: &str, body: Vec<u8>, content_type: String) -> HttpRequest {
        HttpRequest {
            method: HttpMethod::Post,
            url: self.method_url(name),
            headers: vec![("Content-Type".to_owned(), content_type)],
            body,
            timeout_ms: None,
        }
    }
}

/// Encodes parameters serialised as JSON, and the uploads met, as (body, content type).
fn encode_body(
    name: &str,
    upload_fields: &[&str],
    json: Result<Vec<u8>, serde_json::Error>,
    uploads: Vec<Upload>,
) -> Result<(Vec<u8>, String), EncodeError> {
    let ser_err = |e: serde_json::Error| EncodeError::Serialize {
        method: name.to_owned(),
        reason: e.to_string(),
    };
    let json = json.map_err(ser_err)?;
    if name == "sendMediaGroup" {
        check_media_group(&json)?;
    }
    if uploads.is_empty() {
        return Ok((json, "application/json".to_owned()));
    }
    // Nested objects keep their serialized text (and field order) verbatim.
    let params: std::collections::BTreeMap<String, &RawValue> =
        crate::json_bytes::from_bytes(&json).map_err(ser_err)?;
    multipart(upload_fields, params, uploads)
}

fn check_media_group(json: &[u8]) -> Result<(), EncodeError> {
    #[derive(Deserialize)]
    struct Group {
        media: Vec<Item>,
    }
    #[derive(Deserialize)]
    struct Item {
        #[serde(rename = "type")]
        kind: String,
    }
    let Ok(group) = crate::json_bytes::from_bytes::<Group>(json) else {
        return Ok(());
    };
    if !(2..=10).contains(&group.media.len()) {
        return Err(EncodeError::InvalidMediaGroup(format!(
            "{} items; a media group has 2 to 10",
            group.media.len()
        )));
    }
    for only in ["document", "audio"] {
        let n = group.media.iter().filter(|i| i.kind == only).count();
        if n > 0 && n != group.media.len() {
            return Err(EncodeError::InvalidMediaGroup(format!(
                "{only} items can only be grouped with other {only} items"
            )));
        }
    }
    Ok(())
}

/// Builds a `multipart/form-data` body. Object and array parameters travel as compact JSON
/// text, strings as themselves. A top-level `InputFile` parameter that is an upload becomes
/// a file part under the parameter's own name; uploads inside structures keep their
/// `attach://` names.
fn multipart(
    upload_fields: &[&str],
    params: std::collections::BTreeMap<String, &RawValue>,
    uploads: Vec<Upload>,
) -> Result<(Vec<u8>, String), EncodeError> {
    let mut text_parts: Vec<(String, Vec<u8>)> = Vec::new();
    let mut file_parts: Vec<(String, Upload)> = Vec::new();
    let mut uploads: Vec<Option<Upload>> = uploads.into_iter().map(Some).collect();
    let mut take_upload = |name: &str| -> Option<Upload> {
        uploads
            .iter_mut()
            .find(|u| u.as_ref().and_then(|u| u.attach_name.as_deref()) == Some(name))
            .and_then(Option::take)
    };
    for (key, raw) in &params {
        if let Ok(s) = serde_json::from_str::<String>(raw.get()) {
            if upload_fields.contains(&key.as_str()) {
                if let Some(up) = s.strip_prefix("attach://").and_then(&mut take_upload) {
                    file_parts.push((key.clone(), up));
                    continue;
                }
            }
            text_parts.push((key.clone(), s.into_bytes()));
        } else {
            text_parts.push((key.clone(), raw.get().as_bytes().to_vec()));
        }
    }
    for up in uploads.into_iter().flatten() {
        let name = up.attach_name.clone().unwrap_or_default();
        if params.contains_key(&name) || file_parts.iter().any(|(n, _)| *n == name) {
            return Err(EncodeError::AttachNameCollision(name));
        }
        file_parts.push((name, up));
    }
    let boundary = choose_boundary(&text_parts, &file_parts);
    let mut body = Vec::new();
    for (name, value) in &text_parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        body.extend_from_slice(
            format!(
                "Content-Disposition: form-data; name=\"{}\"\r\n\r\n",
                quote(name)
            )
            .as_bytes(),
        );
        body.extend_from_slice(value);
        body.extend_from_slice(b"\r\n");
    }
    for (name, up) in &file_parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        body.extend_from_slice(
            format!(
                "Content-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
                quote(name),
                quote(&up.file_name),
                up.mime_type.as_deref().unwrap_or("application/octet-stream")
            )
            .as_bytes(),
        );
        body.extend_from_slice(&up.data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Ok((body, format!("multipart/form-data; boundary={boundary}")))
}

/// Escapes a header parameter value.
fn quote(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace(['\r', '\n'], " ")
}

/// A boundary that occurs in no part. Derived from the content (FNV-1a), so the same
/// request always encodes to the same bytes and no randomness is drawn.
fn choose_boundary(text: &[(String, Vec<u8>)], files: &[(String, Upload)]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for (n, v) in text {
        feed(n.as_bytes());
        feed(v);
    }
    for (n, u) in files {
        feed(n.as_bytes());
        feed(&u.data);
    }
    let contains = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    let mut salt = 0u64;
    loop {
        let b = format!("botwire-{:016x}{salt:x}", hash);
        let clash = text.iter().any(|(_, v)| contains(v, b.as_bytes()))
            || files.iter().any(|(_, u)| contains(&u.data, b.as_bytes()));
        if !clash {
            return b;
        }
        salt += 1;
    }
}

#[derive(Deserialize)]
struct Envelope<'a> {
    ok: bool,
    #[serde(borrow)]
    result: Option<&'a RawValue>,
    #[serde(default)]
    error_code: Option<i64>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parameters: Option<serde_json::Value>,
}

/// Reads the envelope and returns the raw `result` JSON of a success.
///
/// # Errors
/// The classified [`ApiError`] of a failure.
pub fn parse_raw(status: u16, body: &[u8]) -> Result<&RawValue, ApiError> {
    let envelope: Envelope<'_> = match crate::json_bytes::from_bytes(body) {
        Ok(e) => e,
        Err(e) => {
            // Not JSON at all: a transport failure. JSON of another shape: invalid.
            if crate::json_bytes::from_bytes::<serde::de::IgnoredAny>(body).is_err() {
                return Err(ApiError::Transport {
                    status,
                    body: String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
                });
            }
            return Err(ApiError::InvalidResponse {
                reason: format!("not a Bot API answer: {e}"),
            });
        }
    };
    if envelope.ok {
        return envelope.result.ok_or_else(|| ApiError::InvalidResponse {
            reason: "ok without result".into(),
        });
    }
    Err(classify(
        status,
        ErrorDetails {
            error_code: envelope.error_code.unwrap_or(0),
            description: envelope.description.unwrap_or_default(),
            parameters: envelope.parameters,
        },
    ))
}

/// Parses the answer of a method into its typed result.
///
/// # Errors
/// The classified [`ApiError`]; a success whose result has the wrong shape is
/// [`ApiError::InvalidResponse`].
pub fn parse<M: Method>(status: u16, body: &[u8]) -> Result<M::Output, ApiError> {
    parse_as::<M::Output>(status, body)
}

/// Parses the answer of a method into any deserializable result type.
///
/// # Errors
/// As [`parse`].
pub fn parse_as<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<T, ApiError> {
    let raw = parse_raw(status, body)?;
    serde_json::from_str(raw.get()).map_err(|e| ApiError::InvalidResponse {
        reason: format!("result does not fit: {e}"),
    })
}

/// Round-trips JSON text through a type (used by the generated introspection table).
pub type RoundTrip = fn(&str) -> Result<String, serde_json::Error>;

/// Parses `json` as `T` and serializes it back.
pub fn roundtrip<T: Serialize + DeserializeOwned>(json: &str) -> Result<String, serde_json::Error> {
    let value: T = serde_json::from_str(json)?;
    serde_json::to_string(&value)
}

/// A method described for callers that name it at run time (JS, C, tests).
#[derive(Clone, Copy)]
pub struct MethodInfo {
    /// The method name as spelled in the spec.
    pub name: &'static str,
    /// Top-level parameters typed `InputFile`.
    pub upload_fields: &'static [&'static str],
    build: fn(&Api, &str) -> Result<HttpRequest, EncodeError>,
    check: fn(&str) -> Result<(), serde_json::Error>,
}

impl std::fmt::Debug for MethodInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MethodInfo")
            .field("name", &self.name)
            .finish()
    }
}

fn build_from_json<M: Method + DeserializeOwned>(
    api: &Api,
    args: &str,
) -> Result<HttpRequest, EncodeError> {
    let args = if args.trim().is_empty() { "{}" } else { args };
    let method: M = serde_json::from_str(args).map_err(|e| EncodeError::InvalidArguments {
        method: M::NAME.to_owned(),
        reason: e.to_string(),
    })?;
    api.request(&method)
}

fn check_result<M: Method>(raw: &str) -> Result<(), serde_json::Error> {
    serde_json::from_str::<M::Output>(raw).map(|_| ())
}

impl MethodInfo {
    /// The description of method `M`.
    pub const fn of<M: Method + DeserializeOwned>() -> Self {
        MethodInfo {
            name: M::NAME,
            upload_fields: M::UPLOAD_FIELDS,
            build: build_from_json::<M>,
            check: check_result::<M>,
        }
    }

    /// Builds the request from JSON arguments (an object of the method's parameters).
    ///
    /// # Errors
    /// [`EncodeError::InvalidArguments`] when the JSON does not fit the parameters.
    pub fn build_request(&self, api: &Api, args_json: &str) -> Result<HttpRequest, EncodeError> {
        (self.build)(api, args_json)
    }

    /// Parses an answer, checks that the result has the method's result type, and returns
    /// the result's JSON text as received.
    ///
    /// # Errors
    /// The classified [`ApiError`].
    pub fn parse_response<'b>(&self, status: u16, body: &'b [u8]) -> Result<&'b str, ApiError> {
        let raw = parse_raw(status, body)?;
        (self.check)(raw.get()).map_err(|e| ApiError::InvalidResponse {
            reason: format!("result of {} does not fit: {e}", self.name),
        })?;
        Ok(raw.get())
    }
}

/// Finds a method by name (case-insensitive, as the server treats names).
pub fn find_method(name: &str) -> Option<&'static MethodInfo> {
    super::generated::methods::METHODS
        .iter()
        .find(|m| m.name.eq_ignore_ascii_case(name))
}

/// A method's name and file parameters, without its typed parameters and result: what
/// [`Api::request_json`] needs.
#[derive(Debug, Clone, Copy)]
pub struct MethodShape {
    /// The method name as spelled in the spec.
    pub name: &'static str,
    /// Top-level parameters typed `InputFile`.
    pub upload_fields: &'static [&'static str],
    /// The parameters the method requires.
    pub required: &'static [&'static str],
}

/// Finds a method's shape by name (case-insensitive, as the server treats names).
pub fn find_method_shape(name: &str) -> Option<&'static MethodShape> {
    super::generated::methods::METHOD_SHAPES
        .iter()
        .find(|m| m.name.eq_ignore_ascii_case(name))
}

impl Api {
    /// Builds the request of a method named at run time from JSON arguments, without the
    /// typed model: the arguments travel as given (`null` is no arguments), except that
    /// uploads — objects `{"file_name", "data_base64", "mime_type"?, "attach_name"?}` at any
    /// depth, as [`InputFile`](super::InputFile) reads them — make the request
    /// `multipart/form-data`, a top-level file parameter as a part of its own name, a nested
    /// one as an `attach://` reference. The server checks the arguments; here only the
    /// method name, the arguments' shape (an object with the required parameters, not
    /// `null`), the uploads and media groups are.
    ///
    /// # Errors
    /// [`EncodeError::UnknownMethod`], [`EncodeError::InvalidArguments`] (not an object, an
    /// upload that cannot be decoded), and the errors of multipart encoding.
    pub fn request_json(
        &self,
        method: &str,
        args: &serde_json::Value,
    ) -> Result<(&'static str, HttpRequest), EncodeError> {
        let shape = find_method_shape(method)
            .ok_or_else(|| EncodeError::UnknownMethod(method.to_owned()))?;
        let invalid = |reason: String| EncodeError::InvalidArguments {
            method: shape.name.to_owned(),
            reason,
        };
        let mut params = match args {
            serde_json::Value::Null => serde_json::Map::new(),
            serde_json::Value::Object(map) => map.clone(),
            other => return Err(invalid(format!("expected an object, found {other}"))),
        };
        if let Some(missing) = shape
            .required
            .iter()
            .find(|p| params.get(**p).map_or(true, serde_json::Value::is_null))
        {
            return Err(invalid(format!("missing field `{missing}`")));
        }
        let mut uploads = Vec::new();
        for value in params.values_mut() {
            take_uploads(value, &mut uploads, 0).map_err(invalid)?;
        }
        let request = self.request_params(shape.name, shape.upload_fields, &params, uploads)?;
        Ok((shape.name, request))
    }

    /// The request of method `name` from its parameters as a JSON object and the uploads
    /// they refer to (by `attach://` names): what [`Api::request_json`] builds once the
    /// arguments are checked, and what actions kept as JSON build directly. A top-level
    /// parameter of `upload_fields` referring to an upload becomes a file part of its own
    /// name.
    pub(crate) fn request_params(
        &self,
        name: &'static str,
        upload_fields: &[&str],
        params: &serde_json::Map<String, serde_json::Value>,
        uploads: Vec<Upload>,
    ) -> Result<HttpRequest, EncodeError> {
        let invalid = |e: serde_json::Error| EncodeError::InvalidArguments {
            method: name.to_owned(),
            reason: e.to_string(),
        };
        let json = serde_json::to_vec(params).map_err(invalid)?;
        if name == "sendMediaGroup" {
            check_media_group(&json)?;
        }
        let (body, content_type) = if uploads.is_empty() {
            (json, "application/json".to_owned())
        } else {
            let texts: Vec<(String, Box<RawValue>)> = params
                .iter()
                .map(|(k, v)| Ok((k.clone(), serde_json::value::to_raw_value(v)?)))
                .collect::<Result<_, serde_json::Error>>()
                .map_err(invalid)?;
            let refs = texts.iter().map(|(k, v)| (k.clone(), &**v)).collect();
            multipart(upload_fields, refs, uploads)?
        };
        Ok(self.post(name, body, content_type))
    }
}

/// Replaces the uploads in `value` by `attach://` references and collects them. Uploads sit
/// at most a few levels down (a media group's items, a paid media's `media`), so the walk
/// stops at a depth no valid call reaches.
fn take_uploads(
    value: &mut serde_json::Value,
    uploads: &mut Vec<Upload>,
    depth: usize,
) -> Result<(), String> {
    use base64::Engine as _;
    const MAX_DEPTH: usize = 8;
    match value {
        serde_json::Value::Object(map) if map.contains_key("data_base64") => {
            let text = |key: &str| map.get(key).and_then(serde_json::Value::as_str);
            let file_name = text("file_name").ok_or("an upload needs a file_name string")?;
            let data = base64::engine::general_purpose::STANDARD
                .decode(text("data_base64").ok_or("data_base64 must be a string")?)
                .map_err(|e| format!("data_base64: {e}"))?;
            let name = text("attach_name")
                .map(str::to_owned)
                .unwrap_or_else(|| format!("file{}", uploads.len()));
            uploads.push(Upload {
                file_name: file_name.to_owned(),
                mime_type: text("mime_type").map(str::to_owned),
                data: data.into(),
                attach_name: Some(name.clone()),
            });
            *value = serde_json::Value::String(format!("attach://{name}"));
        }
        serde_json::Value::Object(map) if depth < MAX_DEPTH => {
            for v in map.values_mut() {
                take_uploads(v, uploads, depth + 1)?;
            }
        }
        serde_json::Value::Array(items) if depth < MAX_DEPTH => {
            for v in items {
                take_uploads(v, uploads, depth + 1)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Builds a request for a method named at run time from JSON arguments.
///
/// # Errors
/// [`EncodeError::UnknownMethod`] or the errors of [`MethodInfo::build_request`].
pub fn request_by_name(
    api: &Api,
    method: &str,
    args_json: &str,
) -> Result<HttpRequest, EncodeError> {
    find_method(method)
        .ok_or_else(|| EncodeError::UnknownMethod(method.to_owned()))?
        .build_request(api, args_json)
}
