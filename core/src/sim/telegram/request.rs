//! Decoding an incoming request: where it goes (method call or file download) and its
//! parameters, from any of the four encodings the Bot API accepts.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::api::ApiError;
use super::multipart;
use crate::io::HttpRequest;

/// Where a request is addressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// `…/bot<token>/<method>`
    Method { token: String, method: String },
    /// `…/file/bot<token>/<file_path>`
    File { token: String, path: String },
}

/// Splits an absolute (or path-only) URL into its path and query string.
pub(crate) fn split_url(url: &str) -> (&str, &str) {
    let after_scheme = match url.find("://") {
        Some(i) => &url[i + 3..],
        None => url,
    };
    let path_and_query = match after_scheme.find('/') {
        Some(i) if url.contains("://") => &after_scheme[i..],
        Some(_) => after_scheme,
        None => "",
    };
    let without_fragment = path_and_query.split('#').next().unwrap_or("");
    match without_fragment.split_once('?') {
        Some((path, query)) => (path, query),
        None => (without_fragment, ""),
    }
}

/// Finds the `bot<token>` segment of a path, after any base path: `…/bot<token>/<method>`
/// or `…/file/bot<token>/<file path>`.
pub(crate) fn route(path: &str) -> Option<Route> {
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(&percent_decode(s, false)).into_owned())
        .collect();
    let token_of = |segment: &str| {
        segment
            .strip_prefix("bot")
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    for (i, window) in segments.windows(3).enumerate() {
        if window[0] == "file" {
            if let Some(token) = token_of(&window[1]) {
                return Some(Route::File {
                    token,
                    path: segments[i + 2..].join("/"),
                });
            }
        }
    }
    match segments.as_slice() {
        [.., bot, method] => Some(Route::Method {
            token: token_of(bot)?,
            method: method.clone(),
        }),
        _ => None,
    }
}

/// Decodes `%XX` escapes (and `+` as a space in form encoding). Invalid escapes are kept as
/// they are, like most servers do.
pub(crate) fn percent_decode(input: &str, plus_as_space: bool) -> Vec<u8> {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_as_space => out.push(b' '),
            other => out.push(other),
        }
        i += 1;
    }
    out
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// A file part of a multipart request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Upload {
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// A chat given as a numeric id or as `@username`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ChatRef {
    Id(i64),
    Username(String),
}

/// The parameters of one call, merged from the query string and the body. Values from
/// form-like encodings are strings; JSON bodies keep their types. Accessors convert the way
/// the Bot API server does (a number may come as a string, an object as JSON text).
#[derive(Debug, Clone, Default)]
pub(crate) struct Params {
    values: BTreeMap<String, Value>,
    files: BTreeMap<String, Upload>,
    not_utf8: BTreeSet<String>,
}

const NOT_UTF8: &str = "strings must be encoded in UTF-8";

impl Params {
    /// Reads the query string and the body of a request.
    pub fn from_request(req: &HttpRequest, query: &str) -> Result<Params, ApiError> {
        let mut params = Params::default();
        params.add_form(query.as_bytes())?;
        if req.body.is_empty() {
            return Ok(params);
        }
        let content_type = req.header("content-type").unwrap_or("").trim();
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "application/json" => params.add_json(&req.body)?,
            "application/x-www-form-urlencoded" => params.add_form(&req.body)?,
            "multipart/form-data" => params.add_multipart(&req.body, content_type)?,
            // Without a usable content type, guess from the first byte like lenient servers do.
            _ if req.body.first() == Some(&b'{') => params.add_json(&req.body)?,
            _ => params.add_form(&req.body)?,
        }
        Ok(params)
    }

    fn add_json(&mut self, body: &[u8]) -> Result<(), ApiError> {
        let parsed: Value = serde_json::from_slice(body)
            .map_err(|_| ApiError::bad_request("can't parse JSON encoded request parameters"))?;
        let Value::Object(map) = parsed else {
            return Err(ApiError::bad_request(
                "can't parse JSON encoded request parameters",
            ));
        };
        for (key, value) in map {
            self.values.insert(key, value);
        }
        Ok(())
    }

    fn add_form(&mut self, body: &[u8]) -> Result<(), ApiError> {
        for pair in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
            let (key, value) = match pair.iter().position(|b| *b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &b""[..]),
            };
            let decode = |raw: &[u8]| -> Result<String, ApiError> {
                let text = std::str::from_utf8(raw).map_err(|_| ApiError::bad_request(NOT_UTF8))?;
                String::from_utf8(percent_decode(text, true))
                    .map_err(|_| ApiError::bad_request(NOT_UTF8))
            };
            let key = decode(key)?;
            let value = decode(value)?;
            self.values.insert(key, Value::String(value));
        }
        Ok(())
    }

    fn add_multipart(&mut self, body: &[u8], content_type: &str) -> Result<(), ApiError> {
        let bad = || ApiError::bad_request("can't parse multipart/form-data request body");
        let boundary = multipart::boundary(content_type).ok_or_else(bad)?;
        let parts = multipart::parse(body, &boundary).map_err(|_| bad())?;
        for part in parts {
            if part.filename.is_none() {
                match String::from_utf8(part.body) {
                    Ok(text) => {
                        self.values.insert(part.name, Value::String(text));
                    }
                    Err(err) => {
                        // Bytes without a file name: usable as an upload, not as text.
                        self.not_utf8.insert(part.name.clone());
                        self.files.insert(
                            part.name,
                            Upload {
                                filename: None,
                                content_type: part.content_type,
                                bytes: err.into_bytes(),
                            },
                        );
                    }
                }
            } else {
                self.files.insert(
                    part.name,
                    Upload {
                        filename: part.filename,
                        content_type: part.content_type,
                        bytes: part.body,
                    },
                );
            }
        }
        Ok(())
    }

    /// The raw value, absent when missing or `null`.
    fn raw(&self, name: &str) -> Option<&Value> {
        self.values.get(name).filter(|v| !v.is_null())
    }

    /// The raw JSON value of a parameter (strings for form encodings).
    pub fn value(&self, name: &str) -> Option<&Value> {
        self.raw(name)
    }

    /// Whether a parameter (value or file) was given.
    pub fn has(&self, name: &str) -> bool {
        self.raw(name).is_some() || self.files.contains_key(name)
    }

    /// The file part called `name`.
    pub fn upload(&self, name: &str) -> Option<&Upload> {
        self.files.get(name)
    }

    /// A string parameter; numbers and booleans are turned into their text, objects and
    /// arrays into compact JSON.
    pub fn str_opt(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.raw(name) {
            None if self.not_utf8.contains(name) => Err(ApiError::bad_request(NOT_UTF8)),
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Ok(Some(other.to_string())),
        }
    }

    /// An integer parameter, given as a JSON number or as decimal text.
    pub fn i64_opt(&self, name: &str) -> Result<Option<i64>, ApiError> {
        let wrong =
            || ApiError::bad_request(format!("invalid parameter \"{name}\": Integer expected"));
        match self.raw(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(wrong),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => s.trim().parse::<i64>().map(Some).map_err(|_| wrong()),
            Some(_) => Err(wrong()),
        }
    }

    /// A required integer parameter.
    pub fn i64_req(&self, name: &str) -> Result<i64, ApiError> {
        self.i64_opt(name)?.ok_or_else(|| ApiError::missing(name))
    }

    /// A boolean parameter (`true`/`false`, `1`/`0`); absent means `false`.
    pub fn flag(&self, name: &str) -> Result<bool, ApiError> {
        let wrong =
            || ApiError::bad_request(format!("invalid parameter \"{name}\": Boolean expected"));
        match self.raw(name) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(0) => Ok(false),
                Some(1) => Ok(true),
                _ => Err(wrong()),
            },
            Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" => Ok(true),
                "false" | "0" | "" => Ok(false),
                _ => Err(wrong()),
            },
            Some(_) => Err(wrong()),
        }
    }

    /// An object or array parameter, given as JSON or as JSON text.
    pub fn json_opt(&self, name: &str) -> Result<Option<Value>, ApiError> {
        let wrong = || ApiError::bad_request(format!("can't parse {name} JSON object"));
        match self.raw(name) {
            None if self.not_utf8.contains(name) => Err(ApiError::bad_request(NOT_UTF8)),
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
                Ok(v @ (Value::Object(_) | Value::Array(_))) => Ok(Some(v)),
                _ => Err(wrong()),
            },
            Some(v @ (Value::Object(_) | Value::Array(_))) => Ok(Some(v.clone())),
            Some(_) => Err(wrong()),
        }
    }

    /// A chat reference (`chat_id`, `from_chat_id`); absent gives `None`.
    pub fn chat_opt(&self, name: &str) -> Result<Option<ChatRef>, ApiError> {
        match self.raw(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(|id| Some(ChatRef::Id(id)))
                .ok_or_else(ApiError::chat_not_found),
            Some(Value::String(s)) => {
                let s = s.trim();
                if s.is_empty() {
                    Ok(None)
                } else if let Some(name) = s.strip_prefix('@') {
                    Ok(Some(ChatRef::Username(name.to_owned())))
                } else {
                    s.parse::<i64>()
                        .map(|id| Some(ChatRef::Id(id)))
                        .map_err(|_| ApiError::chat_not_found())
                }
            }
            Some(_) => Err(ApiError::chat_not_found()),
        }
    }

    /// The numeric chat id, when one was given as a number (used to match faults by chat).
    pub fn chat_id_hint(&self) -> Option<i64> {
        match self.chat_opt("chat_id") {
            Ok(Some(ChatRef::Id(id))) => Some(id),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::HttpMethod;

    fn request(content_type: &str, body: &[u8]) -> HttpRequest {
        HttpRequest {
            method: HttpMethod::Post,
            url: "http://x/botT/m".into(),
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.to_vec(),
            timeout_ms: None,
        }
    }

    #[test]
    fn routes_methods_and_files_behind_any_base() {
        assert_eq!(
            route(split_url("https://api.telegram.org/bot1:A/getMe").0),
            Some(Route::Method {
                token: "1:A".into(),
                method: "getMe".into()
            })
        );
        assert_eq!(
            route(split_url("http://127.0.0.1:9/prefix/bot1%3AA/sendMessage?x=1").0),
            Some(Route::Method {
                token: "1:A".into(),
                method: "sendMessage".into()
            })
        );
        assert_eq!(
            route(split_url("http://h/file/bot1:A/photos/file_1.jpg").0),
            Some(Route::File {
                token: "1:A".into(),
                path: "photos/file_1.jpg".into()
            })
        );
        assert!(route(split_url("/bot1:A/getMe").0).is_some());
        assert_eq!(route(split_url("http://h/bot1:A").0), None);
        assert_eq!(route(split_url("http://h/bot1:A/test/getMe").0), None);
        assert_eq!(route(split_url("http://h/").0), None);
        assert_eq!(
            route(split_url("http://h/bottle/bot1:A/getMe").0),
            Some(Route::Method {
                token: "1:A".into(),
                method: "getMe".into()
            })
        );
        assert_eq!(route(split_url("http://h/file/bot1:A").0), None);
        assert_eq!(split_url("http://h/p?q=1#f"), ("/p", "q=1"));
        assert_eq!(split_url("http://h"), ("", ""));
    }

    #[test]
    fn percent_decoding_keeps_invalid_escapes() {
        assert_eq!(percent_decode("a%20b+c", true), b"a b c");
        assert_eq!(percent_decode("a+c%", false), b"a+c%");
        assert_eq!(percent_decode("%zz%4", false), b"%zz%4");
        assert_eq!(percent_decode("%41%4a", false), b"AJ");
    }

    #[test]
    fn reads_each_encoding() {
        let json = Params::from_request(
            &request(
                "application/json; charset=utf-8",
                br#"{"chat_id":5,"x":null}"#,
            ),
            "limit=3",
        )
        .unwrap();
        assert_eq!(json.i64_opt("chat_id").unwrap(), Some(5));
        assert_eq!(json.i64_opt("limit").unwrap(), Some(3));
        assert!(!json.has("x"));

        let form = Params::from_request(
            &request(
                "application/x-www-form-urlencoded",
                b"text=a+%C3%A9&flag=true",
            ),
            "",
        )
        .unwrap();
        assert_eq!(form.str_opt("text").unwrap().as_deref(), Some("a \u{e9}"));
        assert!(form.flag("flag").unwrap());

        let multi = Params::from_request(
            &request(
                "multipart/form-data; boundary=q",
                b"--q\r\nContent-Disposition: form-data; name=\"reply_markup\"\r\n\r\n{\"inline_keyboard\":[]}\r\n--q\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"a.txt\"\r\n\r\nhello\r\n--q--\r\n",
            ),
            "",
        )
        .unwrap();
        assert!(multi.json_opt("reply_markup").unwrap().unwrap().is_object());
        assert_eq!(multi.upload("doc").unwrap().bytes, b"hello");
    }

    #[test]
    fn conversions_report_wrong_types() {
        let p = Params::from_request(
            &request(
                "application/json",
                br#"{"a":"x","b":1e40,"c":[1],"d":"@chan","e":"12","f":18446744073709551615,"g":"{"}"#,
            ),
            "",
        )
        .unwrap();
        assert!(p.i64_opt("a").is_err());
        assert!(p.i64_opt("b").is_err());
        assert!(p.i64_opt("c").is_err());
        assert!(p.i64_opt("f").is_err());
        assert!(p.flag("a").is_err());
        assert_eq!(p.str_opt("c").unwrap().as_deref(), Some("[1]"));
        assert_eq!(
            p.chat_opt("d").unwrap(),
            Some(ChatRef::Username("chan".into()))
        );
        assert_eq!(p.chat_opt("e").unwrap(), Some(ChatRef::Id(12)));
        assert!(p.chat_opt("a").is_err());
        assert!(p.chat_opt("f").is_err());
        assert!(p.json_opt("g").is_err());
        assert!(p.json_opt("e").is_err());
    }

    #[test]
    fn invalid_bodies_are_bad_requests() {
        for (ct, body) in [
            ("application/json", &b"{"[..]),
            ("application/json", b"[1,2]"),
            ("application/json", b"\xff\xfe"),
            ("application/x-www-form-urlencoded", b"a=%FF"),
            ("application/x-www-form-urlencoded", b"a=\xff"),
            ("multipart/form-data", b"--x--"),
            ("multipart/form-data; boundary=x", b"garbage"),
        ] {
            let err = Params::from_request(&request(ct, body), "").unwrap_err();
            assert_eq!(err.code, 400, "{ct}");
        }
    }
}
