//! Files: the multipart body of the HTTP upload, the upload-limit check, the request payloads
//! and answer parsers of the file methods, and the upload and download flows that
//! [`TrueConfSession`](super::session::TrueConfSession) drives.
//!
//! Upload: `uploadFile {fileSize, fileName}` → `{uploadTaskId}`; `POST
//! /bridge/api/client/v1/files` (multipart, header `Upload-Task-Id`, no other authorisation) →
//! `{temporalFileId}`; then `sendFile` (or `editChatAvatar` for an avatar).
//!
//! Download: `getFileInfo`; `readyState` 2 → `GET downloadUrl` (the URL carries its own
//! credential: no other authorisation, and its query never appears in errors); 1 → subscribe
//! to the upload's progress, wait until it reaches the size (bounded), unsubscribe and ask
//! again (bounded); 0 → the file is gone.
//!
//! ```
//! use botwire_core::trueconf::upload::{multipart_body, Part};
//!
//! let file = Part { file_name: "report \"q3\".pdf", content_type: "application/pdf", bytes: b"%PDF" };
//! let body = multipart_body(7, &file, None);
//! assert!(body.content_type.starts_with("multipart/form-data; boundary="));
//! let text = String::from_utf8_lossy(&body.body);
//! assert!(text.contains(r#"name="file"; filename="report _q3_.pdf""#));
//! ```

use super::error::{ErrorCode, TrueConfError};
use super::frame::{is_object_text, RawPayload};
use crate::io::{HttpErrorKind, HttpMethod, HttpRequest, SeededRng, Timestamp};
use serde::Deserialize;
use std::fmt;

/// Path of the HTTP upload.
pub const FILES_PATH: &str = "/bridge/api/client/v1/files";

/// Identifies one upload started with `upload_file` or `upload_avatar`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UploadId(pub u64);

/// Identifies one download started with `download`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DownloadId(pub u64);

impl fmt::Display for UploadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "upload #{}", self.0)
    }
}

impl fmt::Display for DownloadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "download #{}", self.0)
    }
}

/// A file to send into a chat.
#[derive(Clone, PartialEq, Eq)]
pub struct FileToSend {
    /// The destination chat.
    pub chat_id: String,
    /// The file name shown to users (quotes and line breaks are replaced before sending).
    pub file_name: String,
    /// MIME type of the `file` part (`sticker/webp` for a sticker).
    pub mime_type: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// An optional `preview` part: bytes and MIME type (a photo's thumbnail, a sticker's
    /// `image/webp` copy).
    pub preview: Option<(Vec<u8>, String)>,
    /// An optional caption: text and `parseMode` (`text`, `markdown`, `html`).
    pub caption: Option<(String, String)>,
    /// The message this one replies to.
    pub reply_message_id: Option<String>,
}

impl FileToSend {
    /// A document: no preview, caption or reply.
    pub fn new(
        chat_id: impl Into<String>,
        file_name: impl Into<String>,
        mime_type: impl Into<String>,
        bytes: Vec<u8>,
    ) -> Self {
        FileToSend {
            chat_id: chat_id.into(),
            file_name: file_name.into(),
            mime_type: mime_type.into(),
            bytes,
            preview: None,
            caption: None,
            reply_message_id: None,
        }
    }
}

impl fmt::Debug for FileToSend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileToSend")
            .field("chat_id", &self.chat_id)
            .field("file_name", &self.file_name)
            .field("mime_type", &self.mime_type)
            .field("bytes_len", &self.bytes.len())
            .field("preview_len", &self.preview.as_ref().map(|p| p.0.len()))
            .field("caption", &self.caption)
            .field("reply_message_id", &self.reply_message_id)
            .finish()
    }
}

/// How far an upload got.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UploadStage {
    /// `uploadFile` answered: the HTTP upload starts now.
    TaskCreated {
        /// `uploadTaskId`.
        task_id: String,
    },
    /// The HTTP upload was accepted.
    BytesSent {
        /// `temporalFileId`.
        temporal_file_id: String,
    },
    /// `sendFile` (or `editChatAvatar`) was written to the socket; its answer is awaited.
    Sent,
}

/// A finished upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadResult {
    /// The temporal file id the HTTP upload returned.
    pub temporal_file_id: String,
    /// The stored file's id (`sendFile` only).
    pub file_id: Option<String>,
    /// The new message's id (`sendFile` only).
    pub message_id: Option<String>,
    /// The id of the separate caption message, when a caption was sent.
    pub caption_message_id: Option<String>,
    /// The raw `sendFile`/`editChatAvatar` answer.
    pub raw: RawPayload,
}

/// A finished download.
#[derive(Clone, PartialEq, Eq)]
pub struct Downloaded {
    /// The `getFileInfo` answer the download used (name, size, MIME type, previews).
    pub info: RawPayload,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

impl fmt::Debug for Downloaded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The info carries the download URL with its credential.
        f.debug_struct("Downloaded")
            .field("bytes_len", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

/// One part of a multipart body.
#[derive(Debug, Clone, Copy)]
pub struct Part<'a> {
    /// `filename` of the part (sanitised by [`multipart_body`]).
    pub file_name: &'a str,
    /// The part's `Content-Type`.
    pub content_type: &'a str,
    /// The bytes.
    pub bytes: &'a [u8],
}

/// A built multipart body.
#[derive(Clone, PartialEq, Eq)]
pub struct Multipart {
    /// The request's `Content-Type` header value, with the boundary.
    pub content_type: String,
    /// The boundary.
    pub boundary: String,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl fmt::Debug for Multipart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Multipart")
            .field("content_type", &self.content_type)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Makes a file name safe inside a quoted `filename="…"`: quotes, backslashes, slashes and
/// control characters (CR, LF, …) become `_`; an empty name becomes `file`.
pub fn sanitize_file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| match c {
            '"' | '\\' | '/' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    if cleaned.trim().is_empty() {
        "file".to_owned()
    } else {
        cleaned
    }
}

/// A header value without line breaks or other control characters.
fn sanitize_header_value(value: &str) -> String {
    let cleaned: String = value.chars().filter(|c| !c.is_control()).collect();
    if cleaned.trim().is_empty() {
        "application/octet-stream".to_owned()
    } else {
        cleaned
    }
}

/// Builds the `multipart/form-data` body of the HTTP upload: part `file` and, when given,
/// part `preview`. The boundary is drawn from `seed` (redrawn, deterministically, while it
/// occurs in the content), so the same inputs always give the same bytes.
pub fn multipart_body(seed: u64, file: &Part<'_>, preview: Option<&Part<'_>>) -> Multipart {
    let mut rng = SeededRng::new(seed);
    let boundary = loop {
        let candidate = format!("botwire-{:016x}{:016x}", rng.next_u64(), rng.next_u64());
        let clash = |bytes: &[u8]| {
            bytes
                .windows(candidate.len())
                // The first byte is checked alone: most windows fail there.
                .any(|w| w[0] == b'b' && w == candidate.as_bytes())
        };
        if !clash(file.bytes) && !preview.is_some_and(|p| clash(p.bytes)) {
            break candidate;
        }
    };
    let size = file.bytes.len() + preview.map_or(0, |p| p.bytes.len()) + 512;
    let mut body = Vec::with_capacity(size);
    let mut add = |name: &str, part: &Part<'_>| {
        body.extend_from_slice(b"--");
        body.extend_from_slice(boundary.as_bytes());
        body.extend_from_slice(b"\r\nContent-Disposition: form-data; name=\"");
        body.extend_from_slice(name.as_bytes());
        body.extend_from_slice(b"\"; filename=\"");
        body.extend_from_slice(sanitize_file_name(part.file_name).as_bytes());
        body.extend_from_slice(b"\"\r\nContent-Type: ");
        body.extend_from_slice(sanitize_header_value(part.content_type).as_bytes());
        body.extend_from_slice(b"\r\n\r\n");
        body.extend_from_slice(part.bytes);
        body.extend_from_slice(b"\r\n");
    };
    add("file", file);
    if let Some(p) = preview {
        add("preview", p);
    }
    body.extend_from_slice(b"--");
    body.extend_from_slice(boundary.as_bytes());
    body.extend_from_slice(b"--\r\n");
    Multipart {
        content_type: format!("multipart/form-data; boundary={boundary}"),
        boundary,
        body,
    }
}

/// The HTTP upload request, authorised only by the task id.
pub fn file_upload_request(base: &str, task_id: &str, body: Multipart) -> HttpRequest {
    HttpRequest {
        method: HttpMethod::Post,
        url: format!("{base}{FILES_PATH}"),
        headers: vec![
            ("Upload-Task-Id".into(), sanitize_header_value(task_id)),
            ("Content-Type".into(), body.content_type),
        ],
        body: body.body,
        timeout_ms: None,
    }
}

/// Checks a file against the server's upload limits (the `getFileUploadLimits` object:
/// `maxSize` in bytes or null, `extensions` null or `{mode: "allow"|"block", list}`, compared
/// case-insensitively without the dot).
///
/// # Errors
/// [`TrueConfError::InvalidArgument`] when the size or the extension is not allowed.
pub fn check_limits(
    limits: &serde_json::Value,
    file_name: &str,
    size: u64,
) -> Result<(), TrueConfError> {
    if let Some(max) = limits.get("maxSize").and_then(|m| {
        m.as_u64()
            .or_else(|| m.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
    }) {
        if size > max {
            return Err(TrueConfError::InvalidArgument(format!(
                "the file has {size} bytes, the server accepts at most {max}"
            )));
        }
    }
    let Some(extensions) = limits.get("extensions").filter(|e| e.is_object()) else {
        return Ok(());
    };
    let extension = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let listed = extensions
        .get("list")
        .and_then(|l| l.as_array())
        .map(|list| {
            list.iter()
                .filter_map(|e| e.as_str())
                .any(|e| e.trim_start_matches('.').eq_ignore_ascii_case(&extension))
        })
        .unwrap_or(false);
    let mode = extensions
        .get("mode")
        .and_then(|m| m.as_str())
        .unwrap_or("");
    let refused = match mode {
        m if m.eq_ignore_ascii_case("block") => listed,
        m if m.eq_ignore_ascii_case("allow") => !listed,
        _ => false,
    };
    if refused {
        return Err(TrueConfError::InvalidArgument(format!(
            "the server does not accept files with the extension {extension:?}"
        )));
    }
    Ok(())
}

/// `uploadFile` payload.
pub fn upload_file_payload(file_size: u64, file_name: &str) -> String {
    serde_json::json!({"fileSize": file_size, "fileName": file_name}).to_string()
}

/// `sendFile` payload (`replyMessageId` and `caption` only when given).
pub fn send_file_payload(
    chat_id: &str,
    temporal_file_id: &str,
    caption: Option<(&str, &str)>,
    reply_message_id: Option<&str>,
) -> String {
    let mut content = serde_json::Map::new();
    content.insert("temporalFileId".into(), temporal_file_id.into());
    if let Some((text, mode)) = caption {
        content.insert(
            "caption".into(),
            serde_json::json!({"text": text, "parseMode": mode}),
        );
    }
    let mut payload = serde_json::Map::new();
    payload.insert("chatId".into(), chat_id.into());
    if let Some(r) = reply_message_id {
        payload.insert("replyMessageId".into(), r.into());
    }
    payload.insert("content".into(), content.into());
    serde_json::Value::Object(payload).to_string()
}

/// `editChatAvatar` payload.
pub fn edit_chat_avatar_payload(chat_id: &str, temporal_file_id: &str) -> String {
    serde_json::json!({"chatId": chat_id, "temporalFileId": temporal_file_id}).to_string()
}

/// Payload of `getFileInfo`, `subscribeFileProgress` and `unsubscribeFileProgress`.
pub fn file_id_payload(file_id: &str) -> String {
    serde_json::json!({ "fileId": file_id }).to_string()
}

fn required_string(payload: &str, field: &str) -> Result<String, TrueConfError> {
    let value: serde_json::Value = serde_json::from_str(payload)
        .map_err(|_| TrueConfError::Malformed(format!("the answer with {field} is not JSON")))?;
    match value.get(field) {
        Some(serde_json::Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        _ => Err(TrueConfError::Malformed(format!(
            "the answer has no {field}"
        ))),
    }
}

fn optional_string(value: &serde_json::Value, field: &str) -> Option<String> {
    value.get(field).and_then(|v| v.as_str()).map(str::to_owned)
}

/// Reads `uploadTaskId` from an `uploadFile` answer (already classified by
/// [`response_result`](super::frame::response_result)).
///
/// # Errors
/// [`TrueConfError::Malformed`] when it is missing.
pub fn parse_upload_task(payload: &str) -> Result<String, TrueConfError> {
    required_string(payload, "uploadTaskId")
}

/// Reads `temporalFileId` from the HTTP upload's answer.
///
/// # Errors
/// [`TrueConfError::Http`] for a non-2xx status, [`TrueConfError::Malformed`] for a body
/// without `temporalFileId`.
pub fn parse_temporal_file_id(status: u16, body: &[u8]) -> Result<String, TrueConfError> {
    if !(200..300).contains(&status) {
        return Err(TrueConfError::Http {
            status,
            message: format!(
                "file upload refused: {}",
                super::auth::clip(&String::from_utf8_lossy(body), 200)
            ),
        });
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| TrueConfError::Malformed("the upload answer is not UTF-8".into()))?;
    required_string(text, "temporalFileId")
}

/// Reads a `sendFile` (or `editChatAvatar`) answer.
///
/// # Errors
/// [`TrueConfError::Malformed`] when it is not an object.
pub fn parse_send_file(
    payload: &str,
    temporal_file_id: &str,
) -> Result<UploadResult, TrueConfError> {
    let value: serde_json::Value = serde_json::from_str(payload)
        .map_err(|_| TrueConfError::Malformed("the sendFile answer is not JSON".into()))?;
    if !value.is_object() {
        return Err(TrueConfError::Malformed(
            "the sendFile answer is not an object".into(),
        ));
    }
    Ok(UploadResult {
        temporal_file_id: temporal_file_id.to_owned(),
        file_id: optional_string(&value, "fileId"),
        message_id: optional_string(&value, "messageId"),
        caption_message_id: optional_string(&value, "captionMessageId"),
        raw: RawPayload(payload.to_owned()),
    })
}

/// The parts of a `getFileInfo` answer the download needs.
#[derive(Clone, PartialEq, Eq)]
pub struct FileState {
    /// 0 not available, 1 uploading, 2 ready.
    pub ready_state: i64,
    /// Size in bytes, when given.
    pub size: Option<u64>,
    /// The absolute download URL (with its credential), when ready.
    pub download_url: Option<String>,
}

impl fmt::Debug for FileState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileState")
            .field("ready_state", &self.ready_state)
            .field("size", &self.size)
            .field(
                "download_url",
                &self.download_url.as_ref().map(|u| redact_query(u)),
            )
            .finish()
    }
}

/// Reads a `getFileInfo` answer.
///
/// # Errors
/// [`TrueConfError::Malformed`] when `readyState` is missing or not an integer.
pub fn parse_file_state(payload: &str) -> Result<FileState, TrueConfError> {
    #[derive(Deserialize)]
    struct Info {
        #[serde(rename = "readyState")]
        ready_state: Option<serde_json::Value>,
        size: Option<serde_json::Value>,
        #[serde(rename = "downloadUrl")]
        download_url: Option<serde_json::Value>,
    }
    if !is_object_text(payload) {
        return Err(TrueConfError::Malformed(
            "the file info is not an object".into(),
        ));
    }
    let info: Info = serde_json::from_str(payload)
        .map_err(|_| TrueConfError::Malformed("the file info is not an object".into()))?;
    let ready_state = info
        .ready_state
        .and_then(|r| r.as_i64())
        .ok_or_else(|| TrueConfError::Malformed("the file info has no readyState".into()))?;
    Ok(FileState {
        ready_state,
        size: info.size.and_then(|s| s.as_u64()),
        download_url: info
            .download_url
            .and_then(|u| u.as_str().map(str::to_owned))
            .filter(|u| !u.is_empty()),
    })
}

/// `GET downloadUrl`, with no authorisation beyond the URL's own.
pub fn download_request(url: &str) -> HttpRequest {
    HttpRequest {
        method: HttpMethod::Get,
        url: url.to_owned(),
        headers: vec![],
        body: vec![],
        timeout_ms: None,
    }
}

/// A URL without its query and fragment, for messages.
pub fn redact_query(url: &str) -> String {
    match url.find(['?', '#']) {
        Some(i) => format!("{}?<redacted>", &url[..i]),
        None => url.to_owned(),
    }
}

/// Reads an `uploadFileProgress` event: `(fileId, progress)`.
pub fn parse_progress(payload: &str) -> Option<(String, u64)> {
    #[derive(Deserialize)]
    struct Progress {
        #[serde(rename = "fileId")]
        file_id: String,
        progress: serde_json::Value,
    }
    if !is_object_text(payload) {
        return None;
    }
    let p: Progress = serde_json::from_str(payload).ok()?;
    let progress = p
        .progress
        .as_u64()
        .or_else(|| p.progress.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))?;
    Some((p.file_id, progress))
}

// ---- flows driven by the session ----

/// What a flow asks the session to do next.
#[derive(Debug)]
pub(crate) enum Step<T> {
    /// Send this request on the socket on the flow's behalf.
    Call(&'static str, String),
    /// Perform this HTTP request on the flow's behalf.
    Http(HttpRequest),
    /// Tell the host how far the upload got.
    Stage(UploadStage),
    /// The flow is over.
    Done(Result<T, TrueConfError>),
}

/// Where an upload goes once its bytes are on the server.
#[derive(Debug, Clone)]
pub(crate) enum UploadTarget {
    Message {
        chat_id: String,
        caption: Option<(String, String)>,
        reply_message_id: Option<String>,
    },
    Avatar {
        chat_id: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UploadPhase {
    CreatingTask,
    Uploading,
    Sending,
    Done,
}

/// One upload: `uploadFile` → HTTP POST → `sendFile`/`editChatAvatar`.
#[derive(Debug)]
pub(crate) struct UploadFlow {
    base: String,
    seed: u64,
    target: UploadTarget,
    file_name: String,
    mime_type: String,
    bytes: Vec<u8>,
    preview: Option<(Vec<u8>, String)>,
    temporal_file_id: String,
    phase: UploadPhase,
}

impl UploadFlow {
    pub(crate) fn new(
        base: String,
        seed: u64,
        target: UploadTarget,
        file_name: &str,
        mime_type: String,
        bytes: Vec<u8>,
        preview: Option<(Vec<u8>, String)>,
    ) -> Self {
        UploadFlow {
            base,
            seed,
            target,
            file_name: sanitize_file_name(file_name),
            mime_type,
            bytes,
            preview,
            temporal_file_id: String::new(),
            phase: UploadPhase::CreatingTask,
        }
    }

    pub(crate) fn file_name(&self) -> &str {
        &self.file_name
    }

    pub(crate) fn size(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// Whether the task has not been created yet (the limits may still refuse it).
    pub(crate) fn is_creating_task(&self) -> bool {
        self.phase == UploadPhase::CreatingTask
    }

    pub(crate) fn start(&self) -> Step<UploadResult> {
        Step::Call(
            "uploadFile",
            upload_file_payload(self.size(), &self.file_name),
        )
    }

    pub(crate) fn on_call(
        &mut self,
        result: Result<&str, TrueConfError>,
    ) -> Vec<Step<UploadResult>> {
        let payload = match result {
            Ok(p) => p,
            Err(e) => return self.finish(Err(e)),
        };
        match self.phase {
            UploadPhase::CreatingTask => match parse_upload_task(payload) {
                Ok(task_id) => {
                    self.phase = UploadPhase::Uploading;
                    let bytes = std::mem::take(&mut self.bytes);
                    let preview = self.preview.take();
                    let preview_name = preview
                        .as_ref()
                        .map(|(_, mime)| preview_file_name(mime))
                        .unwrap_or_default();
                    let file = Part {
                        file_name: &self.file_name,
                        content_type: &self.mime_type,
                        bytes: &bytes,
                    };
                    let preview_part = preview.as_ref().map(|(b, mime)| Part {
                        file_name: &preview_name,
                        content_type: mime,
                        bytes: b,
                    });
                    let body = multipart_body(self.seed, &file, preview_part.as_ref());
                    let request = file_upload_request(&self.base, &task_id, body);
                    vec![
                        Step::Stage(UploadStage::TaskCreated { task_id }),
                        Step::Http(request),
                    ]
                }
                Err(e) => self.finish(Err(e)),
            },
            UploadPhase::Sending => {
                let result = parse_send_file(payload, &self.temporal_file_id);
                self.finish(result)
            }
            UploadPhase::Uploading | UploadPhase::Done => vec![],
        }
    }

    pub(crate) fn on_http(&mut self, status: u16, body: &[u8]) -> Vec<Step<UploadResult>> {
        if self.phase != UploadPhase::Uploading {
            return vec![];
        }
        match parse_temporal_file_id(status, body) {
            Ok(temporal_file_id) => {
                self.phase = UploadPhase::Sending;
                self.temporal_file_id = temporal_file_id.clone();
                let call = match &self.target {
                    UploadTarget::Message {
                        chat_id,
                        caption,
                        reply_message_id,
                    } => Step::Call(
                        "sendFile",
                        send_file_payload(
                            chat_id,
                            &temporal_file_id,
                            caption.as_ref().map(|(t, m)| (t.as_str(), m.as_str())),
                            reply_message_id.as_deref(),
                        ),
                    ),
                    UploadTarget::Avatar { chat_id } => Step::Call(
                        "editChatAvatar",
                        edit_chat_avatar_payload(chat_id, &temporal_file_id),
                    ),
                };
                vec![
                    Step::Stage(UploadStage::BytesSent { temporal_file_id }),
                    call,
                ]
            }
            Err(e) => self.finish(Err(e)),
        }
    }

    pub(crate) fn on_http_error(&mut self, kind: HttpErrorKind) -> Vec<Step<UploadResult>> {
        if self.phase != UploadPhase::Uploading {
            return vec![];
        }
        self.finish(Err(TrueConfError::Transport(kind)))
    }

    fn finish(&mut self, result: Result<UploadResult, TrueConfError>) -> Vec<Step<UploadResult>> {
        self.phase = UploadPhase::Done;
        self.bytes = Vec::new();
        self.preview = None;
        vec![Step::Done(result)]
    }
}

fn preview_file_name(mime: &str) -> String {
    let subtype = mime
        .split(';')
        .next()
        .and_then(|m| m.split('/').nth(1))
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric()));
    match subtype {
        Some(ext) => format!("preview.{ext}"),
        None => "preview".to_owned(),
    }
}

/// Timing of the wait for a file that is still being uploaded by its sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DownloadWait {
    /// How long to wait for `uploadFileProgress` to reach the size (ms).
    pub progress_timeout_ms: u64,
    /// Pause between two `getFileInfo` re-checks (ms).
    pub recheck_interval_ms: u64,
    /// How many re-checks may still find the file uploading before giving up.
    pub max_rechecks: u32,
}

impl Default for DownloadWait {
    fn default() -> Self {
        DownloadWait {
            progress_timeout_ms: 120_000,
            recheck_interval_ms: 1_000,
            max_rechecks: 10,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DownloadPhase {
    /// `getFileInfo` in flight.
    Info,
    /// `subscribeFileProgress` in flight.
    Subscribing,
    /// Waiting for the progress to reach the size.
    Waiting,
    /// `unsubscribeFileProgress` in flight.
    Unsubscribing,
    /// Waiting before the next `getFileInfo`.
    Pausing,
    /// `GET downloadUrl` in flight.
    Fetching,
    Done,
}

/// One download: `getFileInfo` → (progress wait →) `GET downloadUrl`.
#[derive(Debug)]
pub(crate) struct DownloadFlow {
    file_id: String,
    wait: DownloadWait,
    phase: DownloadPhase,
    /// Set once the progress subscription was tried: later "uploading" answers are re-checks.
    subscribed: bool,
    size: Option<u64>,
    progress_reached: bool,
    rechecks: u32,
    deadline: Option<Timestamp>,
    info: Option<String>,
}

impl DownloadFlow {
    pub(crate) fn new(file_id: String, wait: DownloadWait) -> Self {
        DownloadFlow {
            file_id,
            wait,
            phase: DownloadPhase::Info,
            subscribed: false,
            size: None,
            progress_reached: false,
            rechecks: 0,
            deadline: None,
            info: None,
        }
    }

    pub(crate) fn start(&self) -> Step<Downloaded> {
        Step::Call("getFileInfo", file_id_payload(&self.file_id))
    }

    /// When the flow wants [`on_timeout`](Self::on_timeout).
    pub(crate) fn deadline(&self) -> Option<Timestamp> {
        match self.phase {
            DownloadPhase::Waiting | DownloadPhase::Pausing => self.deadline,
            _ => None,
        }
    }

    pub(crate) fn on_call(
        &mut self,
        now: Timestamp,
        result: Result<&str, TrueConfError>,
    ) -> Vec<Step<Downloaded>> {
        match self.phase {
            DownloadPhase::Info => match result.and_then(|p| parse_file_state(p).map(|s| (p, s))) {
                Ok((payload, state)) => self.on_info(now, payload, state),
                Err(e) => self.finish(Err(e)),
            },
            DownloadPhase::Subscribing => {
                if result.is_err() {
                    // No progress events will come: fall back to re-checking.
                    return self.pause(now);
                }
                if self.progress_reached || self.deadline.is_some_and(|d| now >= d) {
                    return self.unsubscribe();
                }
                self.phase = DownloadPhase::Waiting;
                vec![]
            }
            DownloadPhase::Unsubscribing => {
                // Whatever the answer, look at the file again.
                self.phase = DownloadPhase::Info;
                vec![self.start()]
            }
            _ => vec![],
        }
    }

    fn on_info(
        &mut self,
        now: Timestamp,
        payload: &str,
        state: FileState,
    ) -> Vec<Step<Downloaded>> {
        match state.ready_state {
            2 => match state.download_url {
                Some(url) => {
                    self.phase = DownloadPhase::Fetching;
                    self.info = Some(payload.to_owned());
                    vec![Step::Http(download_request(&url))]
                }
                None => self.finish(Err(TrueConfError::Malformed(
                    "a ready file has no downloadUrl".into(),
                ))),
            },
            1 if !self.subscribed => {
                self.subscribed = true;
                self.size = state.size;
                self.phase = DownloadPhase::Subscribing;
                self.deadline = Some(now.saturating_add(self.wait.progress_timeout_ms));
                vec![Step::Call(
                    "subscribeFileProgress",
                    file_id_payload(&self.file_id),
                )]
            }
            1 => {
                self.rechecks += 1;
                if self.rechecks > self.wait.max_rechecks {
                    return self.finish(Err(TrueConfError::Server {
                        code: ErrorCode::FILE_NOT_READY,
                        description: Some("the file is still being uploaded by its sender".into()),
                    }));
                }
                self.pause(now)
            }
            0 => self.finish(Err(TrueConfError::Server {
                code: ErrorCode::FILE_NOT_FOUND,
                description: Some("the file is no longer available (readyState 0)".into()),
            })),
            other => self.finish(Err(TrueConfError::Malformed(format!(
                "unknown readyState {other}"
            )))),
        }
    }

    fn pause(&mut self, now: Timestamp) -> Vec<Step<Downloaded>> {
        self.phase = DownloadPhase::Pausing;
        self.deadline = Some(now.saturating_add(self.wait.recheck_interval_ms));
        vec![]
    }

    fn unsubscribe(&mut self) -> Vec<Step<Downloaded>> {
        self.phase = DownloadPhase::Unsubscribing;
        vec![Step::Call(
            "unsubscribeFileProgress",
            file_id_payload(&self.file_id),
        )]
    }

    /// An `uploadFileProgress` event.
    pub(crate) fn on_progress(&mut self, file_id: &str, progress: u64) -> Vec<Step<Downloaded>> {
        if file_id != self.file_id || self.size.is_some_and(|s| progress < s) {
            return vec![];
        }
        match self.phase {
            DownloadPhase::Subscribing => {
                self.progress_reached = true;
                vec![]
            }
            DownloadPhase::Waiting => self.unsubscribe(),
            _ => vec![],
        }
    }

    pub(crate) fn on_timeout(&mut self, now: Timestamp) -> Vec<Step<Downloaded>> {
        if self.deadline.map_or(true, |d| now < d) {
            return vec![];
        }
        match self.phase {
            DownloadPhase::Waiting => self.unsubscribe(),
            DownloadPhase::Pausing => {
                self.phase = DownloadPhase::Info;
                vec![self.start()]
            }
            _ => vec![],
        }
    }

    pub(crate) fn on_http(&mut self, status: u16, body: &[u8]) -> Vec<Step<Downloaded>> {
        if self.phase != DownloadPhase::Fetching {
            return vec![];
        }
        if !(200..300).contains(&status) {
            // The URL (and its credential) stays out of the error.
            return self.finish(Err(TrueConfError::Http {
                status,
                message: "file download failed".into(),
            }));
        }
        let info = RawPayload(self.info.take().unwrap_or_default());
        self.finish(Ok(Downloaded {
            info,
            bytes: body.to_vec(),
        }))
    }

    pub(crate) fn on_http_error(&mut self, kind: HttpErrorKind) -> Vec<Step<Downloaded>> {
        if self.phase != DownloadPhase::Fetching {
            return vec![];
        }
        self.finish(Err(TrueConfError::Transport(kind)))
    }

    fn finish(&mut self, result: Result<Downloaded, TrueConfError>) -> Vec<Step<Downloaded>> {
        self.phase = DownloadPhase::Done;
        self.deadline = None;
        vec![Step::Done(result)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_is_deterministic_and_well_formed() {
        let file = Part {
            file_name: "a\r\nb\".txt",
            content_type: "text/plain\r\nX-Evil: 1",
            bytes: b"hello",
        };
        let preview = Part {
            file_name: "preview.webp",
            content_type: "image/webp",
            bytes: b"RIFF",
        };
        let a = multipart_body(1, &file, Some(&preview));
        let b = multipart_body(1, &file, Some(&preview));
        assert_eq!(a.body, b.body);
        assert_ne!(a.boundary, multipart_body(2, &file, None).boundary);
        let text = String::from_utf8(a.body.clone()).unwrap();
        let expected = format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a__b_.txt\"\r\nContent-Type: text/plainX-Evil: 1\r\n\r\nhello\r\n--{b}\r\nContent-Disposition: form-data; name=\"preview\"; filename=\"preview.webp\"\r\nContent-Type: image/webp\r\n\r\nRIFF\r\n--{b}--\r\n",
            b = a.boundary
        );
        assert_eq!(text, expected);
        assert_eq!(
            a.content_type,
            format!("multipart/form-data; boundary={}", a.boundary)
        );
    }

    #[test]
    fn the_boundary_never_occurs_in_the_content() {
        let first = multipart_body(
            5,
            &Part {
                file_name: "x",
                content_type: "a/b",
                bytes: b"",
            },
            None,
        );
        let content = format!("..{}..", first.boundary);
        let second = multipart_body(
            5,
            &Part {
                file_name: "x",
                content_type: "a/b",
                bytes: content.as_bytes(),
            },
            None,
        );
        assert_ne!(first.boundary, second.boundary);
    }

    #[test]
    fn sanitises_names() {
        assert_eq!(sanitize_file_name(""), "file");
        assert_eq!(sanitize_file_name("Отчёт \"Q3\".pdf"), "Отчёт _Q3_.pdf");
        assert_eq!(sanitize_file_name("..\\x/y\u{0}"), ".._x_y_");
        assert_eq!(preview_file_name("image/webp"), "preview.webp");
        assert_eq!(preview_file_name("weird"), "preview");
    }

    #[test]
    fn limits() {
        let limits = serde_json::json!({"maxSize": 10, "extensions": {"mode": "block", "list": ["EXE", ".bat"]}});
        assert!(check_limits(&limits, "a.txt", 10).is_ok());
        assert!(matches!(
            check_limits(&limits, "a.txt", 11),
            Err(TrueConfError::InvalidArgument(_))
        ));
        assert!(check_limits(&limits, "run.exe", 1).is_err());
        assert!(check_limits(&limits, "run.BAT", 1).is_err());
        let allow =
            serde_json::json!({"maxSize": null, "extensions": {"mode": "allow", "list": ["png"]}});
        assert!(check_limits(&allow, "a.PNG", 1 << 40).is_ok());
        assert!(check_limits(&allow, "a.jpg", 1).is_err());
        assert!(check_limits(&allow, "noext", 1).is_err());
        let none = serde_json::json!({"maxSize": null, "extensions": null});
        assert!(check_limits(&none, "a.exe", u64::MAX).is_ok());
        assert!(check_limits(&serde_json::json!([1]), "a", 1).is_ok());
    }

    #[test]
    fn payloads_and_parsers() {
        assert_eq!(
            send_file_payload("c", "t", None, None),
            r#"{"chatId":"c","content":{"temporalFileId":"t"}}"#
        );
        let v: serde_json::Value = serde_json::from_str(&send_file_payload(
            "c",
            "t",
            Some(("hi", "text")),
            Some("m"),
        ))
        .unwrap();
        assert_eq!(v["content"]["caption"]["parseMode"], "text");
        assert_eq!(v["replyMessageId"], "m");
        assert_eq!(
            parse_temporal_file_id(200, br#"{"temporalFileId":"tmp"}"#),
            Ok("tmp".into())
        );
        assert!(matches!(
            parse_temporal_file_id(200, b"{}"),
            Err(TrueConfError::Malformed(_))
        ));
        assert!(matches!(
            parse_temporal_file_id(400, b"size mismatch"),
            Err(TrueConfError::Http { status: 400, .. })
        ));
        assert_eq!(
            parse_progress(r#"{"fileId":"f","progress":5}"#),
            Some(("f".into(), 5))
        );
        assert_eq!(parse_progress(r#"{"fileId":"f"}"#), None);
        assert_eq!(
            redact_query("https://h/files/1?token=abc"),
            "https://h/files/1?<redacted>"
        );
        let s =
            parse_file_state(r#"{"readyState":2,"size":3,"downloadUrl":"https://h/x?token=s"}"#)
                .unwrap();
        assert!(!format!("{s:?}").contains("token=s"));
        assert!(parse_file_state(r#"{"readyState":"2"}"#).is_err());
    }
}
