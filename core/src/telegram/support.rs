//! Hand-written types the generated code builds on: chat ids, files to send, string
//! enumerations with a catch-all, and the `Message`-or-`true` result of editing methods.

use super::generated::types::Message;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

/// Declares a string enumeration whose unknown values are kept in `Other` (Telegram adds
/// values between versions; an unknown one must never fail a parse).
macro_rules! string_enum {
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
            /// Every known value.
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

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl serde::de::Visitor<'_> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                        f.write_str("a string")
                    }
                    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<$name, E> {
                        Ok($name::parse(s))
                    }
                }
                d.deserialize_str(V)
            }
        }
    };
}
pub(crate) use string_enum;

/// Reads a tagged union from a map. When the first key is the tag (the Bot API writes it
/// first), `fast` gets the tag and the rest of the map, so the member is read in one pass
/// with nothing buffered; otherwise the whole object is buffered and `slow` decides.
pub(crate) fn visit_tagged<'de, A, T>(
    mut map: A,
    tag_field: &'static str,
    fast: impl FnOnce(&str, MapAccessDeserializer<A>) -> Result<T, A::Error>,
    slow: impl FnOnce(serde_json::Value) -> Result<T, serde_json::Error>,
) -> Result<T, A::Error>
where
    A: MapAccess<'de>,
{
    let mut buffered = serde_json::Map::new();
    if let Some(first) = map.next_key::<String>()? {
        let value: serde_json::Value = map.next_value()?;
        match value {
            serde_json::Value::String(tag) if first == tag_field => {
                return fast(&tag, MapAccessDeserializer::new(map));
            }
            value => {
                buffered.insert(first, value);
            }
        }
        while let Some((k, v)) = map.next_entry::<String, serde_json::Value>()? {
            buffered.insert(k, v);
        }
    }
    slow(serde_json::Value::Object(buffered)).map_err(de::Error::custom)
}

/// The rest of a map whose tag is unknown, as a JSON object with the tag put back.
pub(crate) fn rest_as_unknown<'de, A: MapAccess<'de>>(
    tag_field: &str,
    tag: &str,
    rest: MapAccessDeserializer<A>,
) -> Result<serde_json::Value, A::Error> {
    let mut obj = serde_json::Map::<String, serde_json::Value>::deserialize(rest)?;
    obj.insert(
        tag_field.to_owned(),
        serde_json::Value::String(tag.to_owned()),
    );
    Ok(serde_json::Value::Object(obj))
}

/// True when `v` is an object holding every key in `keys`.
pub(crate) fn has_keys(v: &serde_json::Value, keys: &[&str]) -> bool {
    keys.iter().all(|k| v.get(*k).is_some())
}

/// A chat: its numeric id, or `@username` of a public channel or supergroup.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ChatId {
    /// Numeric id (up to 52 significant bits).
    Id(i64),
    /// `@channelusername`.
    Username(String),
}

impl From<i64> for ChatId {
    fn from(id: i64) -> Self {
        ChatId::Id(id)
    }
}

impl From<&str> for ChatId {
    fn from(s: &str) -> Self {
        ChatId::Username(s.to_owned())
    }
}

impl From<String> for ChatId {
    fn from(s: String) -> Self {
        ChatId::Username(s)
    }
}

impl fmt::Display for ChatId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChatId::Id(id) => write!(f, "{id}"),
            ChatId::Username(u) => f.write_str(u),
        }
    }
}

impl Serialize for ChatId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ChatId::Id(id) => s.serialize_i64(*id),
            ChatId::Username(u) => s.serialize_str(u),
        }
    }
}

impl<'de> Deserialize<'de> for ChatId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ChatId;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an integer chat id or an @username")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ChatId, E> {
                Ok(ChatId::Id(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ChatId, E> {
                i64::try_from(v)
                    .map(ChatId::Id)
                    .map_err(|_| E::custom("chat id out of range"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ChatId, E> {
                // Numeric strings are ids (form and query encodings carry numbers as text).
                Ok(match v.parse::<i64>() {
                    Ok(id) => ChatId::Id(id),
                    Err(_) => ChatId::Username(v.to_owned()),
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// File bytes to upload, with the name the receiver sees.
#[derive(Clone, PartialEq, Eq)]
pub struct Upload {
    /// File name sent in the multipart part.
    pub file_name: String,
    /// MIME type of the part (`application/octet-stream` when absent).
    pub mime_type: Option<String>,
    /// The bytes, shared so that cloning a request does not copy them.
    pub data: Arc<[u8]>,
    /// The `attach://` name to use; generated (`file0`, `file1`, ...) when absent.
    pub attach_name: Option<String>,
}

impl fmt::Debug for Upload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upload")
            .field("file_name", &self.file_name)
            .field("mime_type", &self.mime_type)
            .field("len", &self.data.len())
            .field("attach_name", &self.attach_name)
            .finish()
    }
}

/// A file to send: one already on Telegram's servers, a URL Telegram fetches, or bytes to
/// upload (which makes the request `multipart/form-data`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputFile {
    /// A `file_id` of a file Telegram already has.
    FileId(String),
    /// An HTTP(S) URL for Telegram to fetch.
    Url(String),
    /// Bytes to upload.
    Upload(Upload),
}

impl InputFile {
    /// Bytes to upload under `file_name`.
    pub fn upload(file_name: impl Into<String>, data: impl Into<Vec<u8>>) -> Self {
        InputFile::Upload(Upload {
            file_name: file_name.into(),
            mime_type: None,
            data: Arc::from(data.into()),
            attach_name: None,
        })
    }

    /// Sets the MIME type of an upload (no effect on other kinds).
    pub fn with_mime_type(mut self, mime: impl Into<String>) -> Self {
        if let InputFile::Upload(u) = &mut self {
            u.mime_type = Some(mime.into());
        }
        self
    }

    /// Chooses the `attach://` name of an upload (no effect on other kinds).
    pub fn with_attach_name(mut self, name: impl Into<String>) -> Self {
        if let InputFile::Upload(u) = &mut self {
            u.attach_name = Some(name.into());
        }
        self
    }
}

impl From<&str> for InputFile {
    /// `http://` and `https://` strings are URLs; anything else is a `file_id`.
    fn from(s: &str) -> Self {
        InputFile::from(s.to_owned())
    }
}

impl From<String> for InputFile {
    fn from(s: String) -> Self {
        if s.starts_with("http://") || s.starts_with("https://") {
            InputFile::Url(s)
        } else {
            InputFile::FileId(s)
        }
    }
}

thread_local! {
    // Uploads met while serializing one request. The generated types serialize an upload
    // as `attach://<name>`; the request encoder collects the bytes here to put them into
    // multipart parts. A thread-local keeps the generated Serialize impls plain serde.
    static UPLOADS: RefCell<Option<Vec<Upload>>> = const { RefCell::new(None) };
}

/// Runs `f` (a serialization) and returns its result with the uploads it met, named.
pub(crate) fn collect_uploads<T>(f: impl FnOnce() -> T) -> (T, Vec<Upload>) {
    let previous = begin_uploads();
    let out = f();
    (out, end_uploads(previous))
}

// Not generic (nor inlined into the generic function above, which is instantiated for every
// method): one copy of the thread-local access in a binary.
#[inline(never)]
fn begin_uploads() -> Option<Vec<Upload>> {
    UPLOADS.with(|u| u.borrow_mut().replace(Vec::new()))
}

#[inline(never)]
fn end_uploads(previous: Option<Vec<Upload>>) -> Vec<Upload> {
    UPLOADS
        .with(|u| std::mem::replace(&mut *u.borrow_mut(), previous))
        .unwrap_or_default()
}

impl Serialize for InputFile {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            InputFile::FileId(v) | InputFile::Url(v) => s.serialize_str(v),
            InputFile::Upload(up) => {
                let name = UPLOADS.with(|cell| {
                    let mut cell = cell.borrow_mut();
                    match cell.as_mut() {
                        Some(list) => {
                            let name = up
                                .attach_name
                                .clone()
                                .unwrap_or_else(|| format!("file{}", list.len()));
                            let mut named = up.clone();
                            named.attach_name = Some(name.clone());
                            list.push(named);
                            name
                        }
                        None => up
                            .attach_name
                            .clone()
                            .unwrap_or_else(|| up.file_name.clone()),
                    }
                });
                s.serialize_str(&format!("attach://{name}"))
            }
        }
    }
}

impl<'de> Deserialize<'de> for InputFile {
    /// A string is a `file_id` or URL; an object `{"file_name", "data_base64", "mime_type"?,
    /// "attach_name"?}` is an upload (this is how JSON callers pass bytes).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = InputFile;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a file_id, a URL, or {\"file_name\", \"data_base64\"}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<InputFile, E> {
                Ok(InputFile::from(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<InputFile, A::Error> {
                let mut file_name = None;
                let mut data = None;
                let mut mime_type = None;
                let mut attach_name = None;
                while let Some(key) = m.next_key::<String>()? {
                    match key.as_str() {
                        "file_name" => file_name = Some(m.next_value::<String>()?),
                        "data_base64" => {
                            let text = m.next_value::<String>()?;
                            use base64::Engine as _;
                            let bytes = base64::engine::general_purpose::STANDARD
                                .decode(text.as_bytes())
                                .map_err(|e| de::Error::custom(format!("data_base64: {e}")))?;
                            data = Some(bytes);
                        }
                        "mime_type" => mime_type = m.next_value::<Option<String>>()?,
                        "attach_name" => attach_name = m.next_value::<Option<String>>()?,
                        _ => {
                            m.next_value::<de::IgnoredAny>()?;
                        }
                    }
                }
                let file_name = file_name.ok_or_else(|| de::Error::missing_field("file_name"))?;
                let data = data.ok_or_else(|| de::Error::missing_field("data_base64"))?;
                Ok(InputFile::Upload(Upload {
                    file_name,
                    mime_type,
                    data: Arc::from(data),
                    attach_name,
                }))
            }
        }
        d.deserialize_any(V)
    }
}

/// Result of the editing methods: the edited `Message` for chat messages, `true` for inline
/// messages.
#[derive(Debug, Clone, PartialEq)]
pub enum MessageOrTrue {
    /// A chat message was edited.
    Message(Box<Message>),
    /// An inline message was edited.
    True,
}

impl Serialize for MessageOrTrue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            MessageOrTrue::Message(m) => m.serialize(s),
            MessageOrTrue::True => s.serialize_bool(true),
        }
    }
}

impl<'de> Deserialize<'de> for MessageOrTrue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        match v {
            serde_json::Value::Bool(true) => Ok(MessageOrTrue::True),
            // Through `from_str`, the one reader the typed model is instantiated for.
            serde_json::Value::Object(_) => serde_json::from_str(&v.to_string())
                .map(|m| MessageOrTrue::Message(Box::new(m)))
                .map_err(de::Error::custom),
            _ => Err(de::Error::custom("expected a Message or true")),
        }
    }
}
