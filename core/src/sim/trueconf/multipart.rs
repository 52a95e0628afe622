//! A small `multipart/form-data` reader for uploads. Input is untrusted: anything malformed
//! is `None`, never a panic.

/// One part of a multipart body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// The `boundary` parameter of a `multipart/form-data` content type.
pub(crate) fn boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params_of(params)
        .into_iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v)
        .filter(|b| !b.is_empty() && b.len() <= 200)
}

/// `key=value` pairs separated by `;`, values optionally quoted (quotes may hide `;`).
fn params_of(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ';']);
        if rest.is_empty() {
            return out;
        }
        let key_end = rest.find(['=', ';']).unwrap_or(rest.len());
        let key = rest[..key_end].trim().to_owned();
        rest = &rest[key_end..];
        let value = match rest.strip_prefix('=') {
            None => String::new(),
            Some(after) => {
                let after = after.trim_start();
                if let Some(quoted) = after.strip_prefix('"') {
                    let mut value = String::new();
                    let mut chars = quoted.char_indices();
                    let mut end = quoted.len();
                    while let Some((i, c)) = chars.next() {
                        match c {
                            '\\' => {
                                if let Some((_, escaped)) = chars.next() {
                                    value.push(escaped);
                                }
                            }
                            '"' => {
                                end = i + 1;
                                break;
                            }
                            c => value.push(c),
                        }
                    }
                    rest = &quoted[end.min(quoted.len())..];
                    value
                } else {
                    let end = after.find(';').unwrap_or(after.len());
                    let value = after[..end].trim().to_owned();
                    rest = &after[end..];
                    value
                }
            }
        };
        out.push((key, value));
    }
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > haystack.len() {
        return None;
    }
    haystack[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// `utf-8''percent%20encoded` (RFC 5987) to text.
fn extended_value(value: &str) -> Option<String> {
    let (charset, rest) = value.split_once('\'')?;
    let (_, encoded) = rest.split_once('\'')?;
    if !charset.eq_ignore_ascii_case("utf-8") {
        return None;
    }
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn part_headers(block: &[u8]) -> Option<(String, Option<String>, Option<String>)> {
    let text = String::from_utf8_lossy(block);
    let mut name = None;
    let mut filename = None;
    let mut filename_ext = None;
    let mut content_type = None;
    for line in text.split("\r\n") {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        if key.trim().eq_ignore_ascii_case("content-disposition") {
            let (_, params) = value.split_once(';').unwrap_or((value, ""));
            for (k, v) in params_of(params) {
                match k.to_ascii_lowercase().as_str() {
                    "name" => name = Some(v),
                    "filename" => filename = Some(v),
                    "filename*" => filename_ext = extended_value(&v),
                    _ => {}
                }
            }
        } else if key.trim().eq_ignore_ascii_case("content-type") {
            content_type = Some(value.trim().to_owned());
        }
    }
    Some((name?, filename_ext.or(filename), content_type))
}

/// The parts of a multipart body, or `None` if it is malformed.
pub(crate) fn parse(body: &[u8], boundary: &str) -> Option<Vec<Part>> {
    let delimiter = format!("--{boundary}").into_bytes();
    let separator = format!("\r\n--{boundary}").into_bytes();
    let mut at = find(body, &delimiter, 0)? + delimiter.len();
    let mut parts = Vec::new();
    loop {
        if body.get(at..at + 2) == Some(b"--") {
            return Some(parts);
        }
        // Transport padding, then the line break that ends the delimiter line.
        while matches!(body.get(at), Some(b' ' | b'\t')) {
            at += 1;
        }
        if body.get(at..at + 2) != Some(b"\r\n") {
            return None;
        }
        at += 2;
        // A part without headers starts with the blank line right away.
        let (headers, start) = if body.get(at..at + 2) == Some(b"\r\n") {
            (&body[at..at], at + 2)
        } else {
            let end = find(body, b"\r\n\r\n", at)?;
            (body.get(at..end)?, end + 4)
        };
        let (name, filename, content_type) = part_headers(headers)?;
        let end = find(body, &separator, start)?;
        parts.push(Part {
            name,
            filename,
            content_type,
            body: body.get(start..end)?.to_vec(),
        });
        at = end + separator.len();
        if parts.len() > 64 {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_boundary() {
        assert_eq!(
            boundary("multipart/form-data; boundary=----tcb").as_deref(),
            Some("----tcb")
        );
        assert_eq!(
            boundary("multipart/form-data; charset=utf-8; boundary=\"a;b\"").as_deref(),
            Some("a;b")
        );
        assert_eq!(boundary("application/json"), None);
        assert_eq!(boundary("multipart/form-data"), None);
    }

    #[test]
    fn parses_file_and_preview() {
        let body = b"--xx\r\nContent-Disposition: form-data; name=\"file\"; filename=\"n\xc3\xa4me.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--xx\r\nContent-Disposition: form-data; name=\"preview\"; filename*=utf-8''p%C3%A4.webp\r\n\r\n\x00\x01\r\n--xx--\r\n";
        let parts = parse(body, "xx").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "file");
        assert_eq!(parts[0].filename.as_deref(), Some("näme.txt"));
        assert_eq!(parts[0].content_type.as_deref(), Some("text/plain"));
        assert_eq!(parts[0].body, b"hello");
        assert_eq!(parts[1].filename.as_deref(), Some("pä.webp"));
        assert_eq!(parts[1].body, b"\x00\x01");
    }

    #[test]
    fn garbage_is_rejected_without_panicking() {
        let mut rng = crate::io::SeededRng::new(3);
        for len in 0..300 {
            let mut body: Vec<u8> = (0..len).map(|_| (rng.next_u64() % 256) as u8).collect();
            if len % 3 == 0 {
                body.splice(0..0, b"--xx\r\n".iter().copied());
            }
            let _ = parse(&body, "xx");
        }
        for text in [
            "--xx",
            "--xx\r\n",
            "--xx\r\n\r\n",
            "--xx\r\nA: b\r\n\r\nbody",
            "--xx--",
        ] {
            let _ = parse(text.as_bytes(), "xx");
        }
        assert_eq!(extended_value("utf-8''%"), None);
        assert_eq!(extended_value("utf-8''%4"), None);
    }
}
