//! A small `multipart/form-data` reader (RFC 7578), enough for Bot API uploads.
//!
//! It works on untrusted bytes: every malformed input is an error value, never a panic, and
//! no part of the body is copied more than once.

/// One part of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    /// The `name` of its `Content-Disposition`.
    pub name: String,
    /// The `filename` (or decoded `filename*`), present for file parts.
    pub filename: Option<String>,
    /// The part's own `Content-Type`, if it had one.
    pub content_type: Option<String>,
    /// The part's bytes.
    pub body: Vec<u8>,
}

/// Why a body could not be read as a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MultipartError {
    /// No `boundary` parameter in the content type.
    NoBoundary,
    /// The first delimiter line is missing.
    NoDelimiter,
    /// A part's header block is not terminated by an empty line.
    UnterminatedHeaders,
    /// A part has no `Content-Disposition: form-data; name=…`.
    NoName,
    /// The closing delimiter is missing.
    Unterminated,
}

/// The `boundary` parameter of a `multipart/form-data` content type.
pub(crate) fn boundary(content_type: &str) -> Option<String> {
    let (_, params) = content_type.split_once(';')?;
    header_params(params)
        .into_iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v)
        .filter(|b| !b.is_empty() && b.len() <= 200)
}

/// Splits a form body into its parts.
pub(crate) fn parse(body: &[u8], boundary: &str) -> Result<Vec<Part>, MultipartError> {
    if boundary.is_empty() {
        return Err(MultipartError::NoBoundary);
    }
    let mut delimiter = b"--".to_vec();
    delimiter.extend_from_slice(boundary.as_bytes());
    // The first delimiter may sit at the very start (no preceding line break).
    let first = find(body, &delimiter, 0).ok_or(MultipartError::NoDelimiter)?;
    if first != 0 && !body[..first].ends_with(b"\n") {
        return Err(MultipartError::NoDelimiter);
    }
    let mut pos = first + delimiter.len();
    let mut parts = Vec::new();
    loop {
        if body[pos..].starts_with(b"--") {
            return Ok(parts);
        }
        pos = skip_line_end(body, pos).ok_or(MultipartError::Unterminated)?;
        let (headers_end, body_start) =
            header_block_end(body, pos).ok_or(MultipartError::UnterminatedHeaders)?;
        let headers = String::from_utf8_lossy(&body[pos..headers_end]);
        let mut part = part_from_headers(&headers)?;
        // The part's body ends at the line break that precedes the next delimiter.
        let mut next = body_start;
        let end = loop {
            let at = find(body, &delimiter, next).ok_or(MultipartError::Unterminated)?;
            if at > body_start && body[at - 1] == b'\n' {
                break at;
            }
            if at == body_start {
                // An empty body directly followed by the delimiter would lack the line break.
                return Err(MultipartError::Unterminated);
            }
            next = at + 1;
        };
        let mut content_end = end - 1;
        if content_end > body_start && body[content_end - 1] == b'\r' {
            content_end -= 1;
        }
        part.body = body[body_start..content_end].to_vec();
        parts.push(part);
        pos = end + delimiter.len();
    }
}

fn part_from_headers(headers: &str) -> Result<Part, MultipartError> {
    let mut name = None;
    let mut filename = None;
    let mut filename_ext = None;
    let mut content_type = None;
    for line in headers.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let key = key.trim();
        if key.eq_ignore_ascii_case("content-disposition") {
            let (kind, params) = value.split_once(';').unwrap_or((value, ""));
            if !kind.trim().eq_ignore_ascii_case("form-data") {
                continue;
            }
            for (k, v) in header_params(params) {
                match k.to_ascii_lowercase().as_str() {
                    "name" => name = Some(v),
                    "filename" => filename = Some(v),
                    "filename*" => filename_ext = decode_ext_value(&v),
                    _ => {}
                }
            }
        } else if key.eq_ignore_ascii_case("content-type") {
            content_type = Some(value.trim().to_owned());
        }
    }
    Ok(Part {
        name: name.ok_or(MultipartError::NoName)?,
        filename: filename_ext.or(filename),
        content_type,
        body: Vec::new(),
    })
}

/// `key=value` pairs of a header's parameter list; values may be quoted with `\` escapes.
fn header_params(params: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = params.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ';' || c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            return out;
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ';' {
                break;
            }
            key.push(c);
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'=') {
            chars.next();
            while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
                chars.next();
            }
            if chars.peek() == Some(&'"') {
                chars.next();
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => {
                            if let Some(escaped) = chars.next() {
                                value.push(escaped);
                            }
                        }
                        other => value.push(other),
                    }
                }
                // Skip anything after the closing quote up to the next separator.
                while chars.peek().is_some_and(|c| *c != ';') {
                    chars.next();
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c == ';' {
                        break;
                    }
                    value.push(c);
                    chars.next();
                }
                value = value.trim_end().to_owned();
            }
        }
        out.push((key.trim().to_owned(), value));
    }
}

/// Decodes an RFC 5987 value such as `UTF-8''na%C3%AFve.txt`.
fn decode_ext_value(value: &str) -> Option<String> {
    let mut pieces = value.splitn(3, '\'');
    let charset = pieces.next()?;
    let _language = pieces.next()?;
    let encoded = pieces.next()?;
    if !charset.eq_ignore_ascii_case("utf-8") {
        return None;
    }
    let bytes = super::request::percent_decode(encoded, false);
    String::from_utf8(bytes).ok()
}

/// Position after the line break at `pos` (CRLF or a bare LF), allowing trailing spaces that
/// some writers leave after a delimiter.
fn skip_line_end(body: &[u8], mut pos: usize) -> Option<usize> {
    while body.get(pos).is_some_and(|b| *b == b' ' || *b == b'\t') {
        pos += 1;
    }
    match (body.get(pos), body.get(pos + 1)) {
        (Some(b'\r'), Some(b'\n')) => Some(pos + 2),
        (Some(b'\n'), _) => Some(pos + 1),
        _ => None,
    }
}

/// End of the header block starting at `pos` and the start of the part's body.
fn header_block_end(body: &[u8], pos: usize) -> Option<(usize, usize)> {
    // A part without headers starts directly with the empty line.
    if let Some(start) = skip_line_end(body, pos)
        .filter(|_| body[pos..].starts_with(b"\r\n") || body[pos..].starts_with(b"\n"))
    {
        return Some((pos, start));
    }
    let mut from = pos;
    loop {
        let lf = find(body, b"\n", from)?;
        let after = lf + 1;
        match (body.get(after), body.get(after + 1)) {
            (Some(b'\r'), Some(b'\n')) => return Some((lf, after + 2)),
            (Some(b'\n'), _) => return Some((lf, after + 1)),
            (None, _) => return None,
            _ => from = after,
        }
    }
}

/// First occurrence of `needle` in `hay` at or after `from`.
pub(crate) fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let first = *needle.first()?;
    let mut start = from;
    while start + needle.len() <= hay.len() {
        let offset = hay[start..=hay.len() - needle.len()]
            .iter()
            .position(|b| *b == first)?;
        let at = start + offset;
        if hay[at..at + needle.len()] == *needle {
            return Some(at);
        }
        start = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_text_and_file_parts() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n42\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a \\\"b\\\".png\"\r\n\
Content-Type: image/png\r\n\r\n\x89PNG\r\n\x00\xff\r\n--XyZ--\r\n";
        let parts = parse(body, "XyZ").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "chat_id");
        assert_eq!(parts[0].body, b"42");
        assert_eq!(parts[1].filename.as_deref(), Some("a \"b\".png"));
        assert_eq!(parts[1].content_type.as_deref(), Some("image/png"));
        assert_eq!(parts[1].body, b"\x89PNG\r\n\x00\xff");
    }

    #[test]
    fn accepts_bare_line_feeds_and_preamble() {
        let body = b"preamble\n--b\nContent-Disposition: form-data; name=x\n\nv\n--b--";
        let parts = parse(body, "b").unwrap();
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].name, "x");
        assert_eq!(parts[0].body, b"v");
    }

    #[test]
    fn decodes_extended_file_names() {
        let body = b"--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"; \
filename*=UTF-8''na%C3%AFve.txt\r\n\r\n1\r\n--b--\r\n";
        let parts = parse(body, "b").unwrap();
        assert_eq!(parts[0].filename.as_deref(), Some("na\u{ef}ve.txt"));
    }

    #[test]
    fn finds_the_boundary_parameter() {
        assert_eq!(
            boundary("multipart/form-data; charset=utf-8; boundary=\"a b\"").as_deref(),
            Some("a b")
        );
        assert_eq!(boundary("multipart/form-data").as_deref(), None);
        assert_eq!(boundary("multipart/form-data; boundary=").as_deref(), None);
    }

    #[test]
    fn malformed_bodies_are_errors() {
        assert_eq!(parse(b"", "b"), Err(MultipartError::NoDelimiter));
        assert_eq!(parse(b"--b", "b"), Err(MultipartError::Unterminated));
        assert_eq!(
            parse(b"--b\r\nContent-Disposition: form-data; name=a", "b"),
            Err(MultipartError::UnterminatedHeaders)
        );
        assert_eq!(
            parse(b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--", "b"),
            Err(MultipartError::NoName)
        );
        assert_eq!(
            parse(
                b"--b\r\nContent-Disposition: form-data; name=a\r\n\r\nno end",
                "b"
            ),
            Err(MultipartError::Unterminated)
        );
        assert_eq!(parse(b"x--b--", "b"), Err(MultipartError::NoDelimiter));
        // Every prefix of a valid body is handled without panicking.
        let body = b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--b--\r\n";
        for n in 0..body.len() {
            let _ = parse(&body[..n], "b");
        }
    }
}
