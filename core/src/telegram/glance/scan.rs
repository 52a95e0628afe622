//! A validating JSON scanner over the bytes of one update.
//!
//! The scanner never builds a value. It hands out object keys and strings as byte ranges of the
//! input ([`RawStr`]), integers as `i64`, and skips every other value in one iterative pass that
//! checks the full JSON grammar: string escapes (surrogate pairs included), control characters,
//! number syntax and range, literals, bracket balance, and the nesting depth, which is bounded
//! by an explicit counter instead of the call stack. The input is already known to be UTF-8
//! (the caller checks it once with [`std::str::from_utf8`]), so every range between two ASCII
//! delimiters is a valid `&str` and can be borrowed.

use std::borrow::Cow;
use std::fmt;

/// How many arrays and objects may be open at once, the update object included. serde_json
/// fails on the 128th nested container, so a document serde_json accepts is never rejected for
/// its depth here, and one it rejects for its depth is rejected here too.
pub(super) const MAX_DEPTH: usize = 127;

/// Why and where [`glance`](super::glance) found the bytes not to be JSON of the expected shape.
///
/// ```
/// use botwire_core::telegram::glance::{glance, GlanceError, JsonErrorKind};
///
/// match glance(br#"{"update_id":1,"poll":{"id":"p\q"}}"#) {
///     Err(GlanceError::Json(e)) => {
///         assert_eq!(e.kind(), JsonErrorKind::InvalidEscape);
///         assert_eq!(e.offset(), 30);
///         assert_eq!(e.to_string(), "invalid escape sequence in a string at byte 30");
///     }
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    offset: usize,
    kind: JsonErrorKind,
}

impl JsonError {
    pub(super) fn new(offset: usize, kind: JsonErrorKind) -> Self {
        JsonError { offset, kind }
    }

    /// The byte offset in the input at which the problem was found: the offending byte, the
    /// start of the escape sequence, number or value, or the input length when it ends early.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// What is wrong.
    pub fn kind(&self) -> JsonErrorKind {
        self.kind
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.kind, self.offset)
    }
}

impl std::error::Error for JsonError {}

/// The kinds of [`JsonError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum JsonErrorKind {
    /// The input ends inside a value: a truncated update.
    UnexpectedEnd,
    /// A byte that cannot start a JSON value, or a misspelt `true`, `false` or `null`.
    ExpectedValue,
    /// Something other than a string where an object key must be.
    ExpectedKey,
    /// No `:` after an object key.
    ExpectedColon,
    /// Neither `,` nor the matching closing bracket after a value in an object or array.
    ExpectedCommaOrClose,
    /// Something other than whitespace after the update object.
    TrailingCharacters,
    /// An unescaped control character (U+0000 to U+001F) inside a string.
    ControlCharacter,
    /// A backslash followed by something other than `"`, `\`, `/`, `b`, `f`, `n`, `r`, `t` or
    /// `u`.
    InvalidEscape,
    /// `\u` not followed by four hexadecimal digits.
    InvalidUnicodeEscape,
    /// A `\u` escape of a UTF-16 surrogate that is not half of a high-low pair.
    LoneSurrogate,
    /// A malformed number, such as `01`, `1.`, `-` or `1e`.
    InvalidNumber,
    /// A number too large in magnitude for an `f64`, such as `1e400`; serde_json rejects those
    /// too, even where they would only be skipped.
    NumberOutOfRange,
    /// More than 127 arrays and objects open at once (serde_json's recursion limit).
    RecursionLimitExceeded,
    /// The JSON is well formed, but a value the glance reads has the wrong type: not an object
    /// where one is needed, not a string, or not an integer in the `i64` range (a float such as
    /// `1.0` or `1e3`, and `-0`, which serde_json reads as a float, are not integers).
    WrongType {
        /// The field, as a dotted path such as `"chat.id"`, or `"update"` for the whole input.
        field: &'static str,
        /// What the field must be, such as `"an integer in the i64 range"`.
        expected: &'static str,
    },
}

impl fmt::Display for JsonErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            JsonErrorKind::UnexpectedEnd => "unexpected end of input",
            JsonErrorKind::ExpectedValue => "expected a JSON value",
            JsonErrorKind::ExpectedKey => "expected a string key",
            JsonErrorKind::ExpectedColon => "expected `:` after an object key",
            JsonErrorKind::ExpectedCommaOrClose => "expected `,` or a closing bracket",
            JsonErrorKind::TrailingCharacters => "trailing characters after the update",
            JsonErrorKind::ControlCharacter => "unescaped control character in a string",
            JsonErrorKind::InvalidEscape => "invalid escape sequence in a string",
            JsonErrorKind::InvalidUnicodeEscape => "invalid \\u escape in a string",
            JsonErrorKind::LoneSurrogate => "unpaired UTF-16 surrogate in a \\u escape",
            JsonErrorKind::InvalidNumber => "invalid number",
            JsonErrorKind::NumberOutOfRange => "number out of the range of f64",
            JsonErrorKind::RecursionLimitExceeded => "arrays and objects nested too deeply",
            JsonErrorKind::WrongType { field, expected } => {
                return write!(f, "`{field}` is not {expected}");
            }
        };
        f.write_str(text)
    }
}

/// A string as scanned: the byte range between its quotes, and whether it contains escapes.
#[derive(Debug, Clone, Copy)]
pub(super) struct RawStr {
    start: usize,
    end: usize,
    escaped: bool,
}

/// Decoded keys longer than this cannot be any field the glance looks for.
const KEY_BUFFER: usize = 64;

/// A cursor over UTF-8 JSON text.
pub(super) struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Scanner {
            text,
            bytes: text.as_bytes(),
            pos: 0,
        }
    }

    /// The byte offset of the cursor.
    pub(super) fn pos(&self) -> usize {
        self.pos
    }

    fn error(&self, kind: JsonErrorKind) -> JsonError {
        JsonError::new(self.pos, kind)
    }

    /// Skips whitespace and returns the next byte without consuming it.
    #[inline]
    pub(super) fn peek_token(&mut self) -> Result<u8, JsonError> {
        while let Some(&b) = self.bytes.get(self.pos) {
            if !matches!(b, b' ' | b'\n' | b'\t' | b'\r') {
                return Ok(b);
            }
            self.pos += 1;
        }
        Err(self.error(JsonErrorKind::UnexpectedEnd))
    }

    /// Checks that nothing but whitespace follows the cursor.
    pub(super) fn finish(&mut self) -> Result<(), JsonError> {
        match self.peek_token() {
            Ok(_) => Err(self.error(JsonErrorKind::TrailingCharacters)),
            Err(_) => Ok(()),
        }
    }

    /// Walks the object at the cursor, which is `depth` levels deep (the update object is at
    /// depth 1). For each key, `field` is called with the cursor on the value (after the colon);
    /// it must consume the value, with the readers of this scanner or with
    /// [`Scanner::skip_value`] at `depth`.
    #[inline]
    pub(super) fn object(
        &mut self,
        depth: usize,
        mut field: impl FnMut(&mut Self, RawStr) -> Result<(), JsonError>,
    ) -> Result<(), JsonError> {
        if self.bytes.get(self.pos) != Some(&b'{') {
            return Err(self.error(JsonErrorKind::ExpectedValue));
        }
        if depth > MAX_DEPTH {
            return Err(self.error(JsonErrorKind::RecursionLimitExceeded));
        }
        self.pos += 1;
        if self.peek_token()? == b'}' {
            self.pos += 1;
            return Ok(());
        }
        loop {
            let key = self.key()?;
            field(self, key)?;
            match self.peek_token()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.error(JsonErrorKind::ExpectedCommaOrClose)),
            }
        }
    }

    /// Reads `"key":`, leaving the cursor after the colon.
    #[inline]
    fn key(&mut self) -> Result<RawStr, JsonError> {
        if self.peek_token()? != b'"' {
            return Err(self.error(JsonErrorKind::ExpectedKey));
        }
        let key = self.string()?;
        if self.peek_token()? != b':' {
            return Err(self.error(JsonErrorKind::ExpectedColon));
        }
        self.pos += 1;
        Ok(key)
    }

    /// Skips one value of any type, checking it, when `depth` arrays and objects enclose it.
    ///
    /// Iterative: the kinds of the containers opened so far are kept as bits of a `u128`, one
    /// per level, which [`MAX_DEPTH`] keeps in range.
    pub(super) fn skip_value(&mut self, depth: usize) -> Result<(), JsonError> {
        // Bit `i` is set when the `i`-th container opened by this call is an object.
        let mut objects: u128 = 0;
        let mut open: usize = 0;
        'value: loop {
            match self.peek_token()? {
                b'"' => {
                    self.string()?;
                }
                b'-' | b'0'..=b'9' => {
                    self.number()?;
                }
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                bracket @ (b'{' | b'[') => {
                    if depth + open >= MAX_DEPTH {
                        return Err(self.error(JsonErrorKind::RecursionLimitExceeded));
                    }
                    self.pos += 1;
                    let is_object = bracket == b'{';
                    let close = if is_object { b'}' } else { b']' };
                    if self.peek_token()? == close {
                        self.pos += 1;
                    } else {
                        // `open` < MAX_DEPTH <= 127 here, so the shift is in range.
                        objects = (objects & !(1u128 << open)) | (u128::from(is_object) << open);
                        open += 1;
                        if is_object {
                            self.key()?;
                        }
                        continue 'value;
                    }
                }
                _ => return Err(self.error(JsonErrorKind::ExpectedValue)),
            }
            // A value is complete: close the containers it completes, then go on with the next.
            loop {
                let Some(level) = open.checked_sub(1) else {
                    return Ok(());
                };
                let in_object = (objects >> level) & 1 == 1;
                match self.peek_token()? {
                    b',' => {
                        self.pos += 1;
                        if in_object {
                            self.key()?;
                        }
                        continue 'value;
                    }
                    b'}' if in_object => {
                        self.pos += 1;
                        open = level;
                    }
                    b']' if !in_object => {
                        self.pos += 1;
                        open = level;
                    }
                    _ => return Err(self.error(JsonErrorKind::ExpectedCommaOrClose)),
                }
            }
        }
    }

    fn literal(&mut self, word: &'static [u8]) -> Result<(), JsonError> {
        for (k, expected) in word.iter().enumerate() {
            match self.bytes.get(self.pos + k) {
                Some(b) if b == expected => {}
                Some(_) => {
                    return Err(JsonError::new(self.pos, JsonErrorKind::ExpectedValue));
                }
                None => {
                    return Err(JsonError::new(self.pos + k, JsonErrorKind::UnexpectedEnd));
                }
            }
        }
        self.pos += word.len();
        Ok(())
    }

    /// Scans the string whose opening quote is at the cursor, checking it, and leaves the
    /// cursor after the closing quote.
    #[inline]
    pub(super) fn string(&mut self) -> Result<RawStr, JsonError> {
        let bytes = self.bytes;
        let start = self.pos + 1;
        let mut i = start;
        let mut escaped = false;
        loop {
            // Eight bytes at a time until one of them is a quote, a backslash or a control
            // character.
            while let Some(chunk) = bytes.get(i..).and_then(<[u8]>::first_chunk::<8>) {
                let special = special_bytes(u64::from_le_bytes(*chunk));
                if special != 0 {
                    i += (special.trailing_zeros() / 8) as usize;
                    break;
                }
                i += 8;
            }
            match bytes.get(i) {
                Some(b'"') => {
                    self.pos = i + 1;
                    return Ok(RawStr {
                        start,
                        end: i,
                        escaped,
                    });
                }
                Some(b'\\') => {
                    escaped = true;
                    i += escape_at(bytes, i)?.1;
                }
                Some(&b) if b < 0x20 => {
                    return Err(JsonError::new(i, JsonErrorKind::ControlCharacter));
                }
                Some(_) => i += 1,
                None => return Err(JsonError::new(i, JsonErrorKind::UnexpectedEnd)),
            }
        }
    }

    /// The text of a scanned string: borrowed from the input when it has no escapes, decoded
    /// into an owned string otherwise.
    pub(super) fn decode(&self, raw: RawStr) -> Result<Cow<'a, str>, JsonError> {
        if !raw.escaped {
            return self.slice(raw.start, raw.end).map(Cow::Borrowed);
        }
        let mut out = String::with_capacity(raw.end - raw.start);
        let mut i = raw.start;
        while let Some(k) = self
            .bytes
            .get(i..raw.end)
            .and_then(|rest| rest.iter().position(|&b| b == b'\\'))
        {
            out.push_str(self.slice(i, i + k)?);
            let (c, len) = escape_at(self.bytes, i + k)?;
            out.push(c);
            i += k + len;
        }
        out.push_str(self.slice(i, raw.end)?);
        Ok(Cow::Owned(out))
    }

    fn slice(&self, start: usize, end: usize) -> Result<&'a str, JsonError> {
        // Both ends sit next to ASCII delimiters of a checked string, so this always succeeds.
        self.text
            .get(start..end)
            .ok_or(JsonError::new(start, JsonErrorKind::ExpectedValue))
    }

    /// Calls `f` with the decoded bytes of a scanned key, without allocating: a key with
    /// escapes is decoded into a stack buffer. A decoded key longer than the buffer is longer
    /// than every name the glance looks for, so `f` then gets the raw bytes, whose backslash
    /// matches no name either.
    #[inline]
    pub(super) fn with_key<R>(&self, raw: RawStr, f: impl FnOnce(&[u8]) -> R) -> R {
        let bytes = self.bytes.get(raw.start..raw.end).unwrap_or_default();
        if !raw.escaped {
            return f(bytes);
        }
        let mut buffer = [0u8; KEY_BUFFER];
        match decode_into(self.bytes, raw, &mut buffer) {
            Some(len) => f(buffer.get(..len).unwrap_or_default()),
            None => f(bytes),
        }
    }

    /// Scans the number at the cursor, checking its syntax and that it fits an `f64` as
    /// serde_json requires. Returns its value when it is an integer in the `i64` range written
    /// without fraction or exponent, except `-0`, which serde_json reads as a float.
    #[inline]
    pub(super) fn number(&mut self) -> Result<Option<i64>, JsonError> {
        let bytes = self.bytes;
        let start = self.pos;
        let negative = bytes.get(start) == Some(&b'-');
        let int_start = start + usize::from(negative);
        let mut i = int_start;
        let mut magnitude: u64 = 0;
        match bytes.get(i) {
            Some(b'0') => i += 1,
            Some(&first @ b'1'..=b'9') => {
                magnitude = u64::from(first - b'0');
                i += 1;
                while let Some(&digit @ b'0'..=b'9') = bytes.get(i) {
                    magnitude = magnitude
                        .wrapping_mul(10)
                        .wrapping_add(u64::from(digit - b'0'));
                    i += 1;
                }
            }
            Some(_) => return Err(JsonError::new(i, JsonErrorKind::InvalidNumber)),
            None => return Err(JsonError::new(i, JsonErrorKind::UnexpectedEnd)),
        }
        let int_digits = i - int_start;
        let mut integer = true;
        // Below 10^308 a number cannot overflow an f64, so only long or exponent forms are
        // checked, with the standard library's correctly rounded parser.
        let mut check_range = int_digits > 308;
        if bytes.get(i) == Some(&b'.') {
            integer = false;
            i = digits(bytes, i + 1)?;
        }
        if let Some(b'e' | b'E') = bytes.get(i) {
            integer = false;
            check_range = true;
            i += 1;
            if let Some(b'+' | b'-') = bytes.get(i) {
                i += 1;
            }
            i = digits(bytes, i)?;
        }
        self.pos = i;
        if check_range {
            let finite = self
                .text
                .get(start..i)
                .and_then(|s| s.parse::<f64>().ok())
                .is_some_and(f64::is_finite);
            if !finite {
                return Err(JsonError::new(start, JsonErrorKind::NumberOutOfRange));
            }
        }
        // 19 digits without a leading zero never overflow the u64 accumulator.
        if !integer || int_digits > 19 {
            return Ok(None);
        }
        Ok(if !negative {
            i64::try_from(magnitude).ok()
        } else if magnitude == 0 {
            None
        } else if magnitude == 1 << 63 {
            Some(i64::MIN)
        } else {
            i64::try_from(magnitude).ok().map(|m| -m)
        })
    }
}

/// Skips the run of at least one digit at `bytes[i]`, returning the index after it.
fn digits(bytes: &[u8], mut i: usize) -> Result<usize, JsonError> {
    match bytes.get(i) {
        Some(b'0'..=b'9') => {}
        Some(_) => return Err(JsonError::new(i, JsonErrorKind::InvalidNumber)),
        None => return Err(JsonError::new(i, JsonErrorKind::UnexpectedEnd)),
    }
    while let Some(b'0'..=b'9') = bytes.get(i) {
        i += 1;
    }
    Ok(i)
}

const LOW_BITS: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// A mask whose lowest set bit is the high bit of the first byte of `word` (little-endian) that
/// is a quote, a backslash or below 0x20, or zero when there is none.
///
/// Each term flags exactly the matching bytes, except that a borrow can also flag bytes above a
/// matching one, so the lowest set bit is always exact.
#[inline]
fn special_bytes(word: u64) -> u64 {
    let zero_byte = |v: u64| v.wrapping_sub(LOW_BITS) & !v & HIGH_BITS;
    let quote = zero_byte(word ^ (LOW_BITS * u64::from(b'"')));
    let backslash = zero_byte(word ^ (LOW_BITS * u64::from(b'\\')));
    let control = word.wrapping_sub(LOW_BITS * 0x20) & !word & HIGH_BITS;
    quote | backslash | control
}

/// Decodes the escape sequence whose backslash is at `bytes[i]`: the character, and the length
/// of the sequence (2, 6, or 12 for a surrogate pair).
fn escape_at(bytes: &[u8], i: usize) -> Result<(char, usize), JsonError> {
    let c = match bytes.get(i + 1) {
        Some(b'"') => '"',
        Some(b'\\') => '\\',
        Some(b'/') => '/',
        Some(b'b') => '\u{8}',
        Some(b'f') => '\u{c}',
        Some(b'n') => '\n',
        Some(b'r') => '\r',
        Some(b't') => '\t',
        Some(b'u') => return unicode_escape_at(bytes, i),
        Some(_) => return Err(JsonError::new(i, JsonErrorKind::InvalidEscape)),
        None => return Err(JsonError::new(i + 1, JsonErrorKind::UnexpectedEnd)),
    };
    Ok((c, 2))
}

fn unicode_escape_at(bytes: &[u8], i: usize) -> Result<(char, usize), JsonError> {
    let lone = JsonError::new(i, JsonErrorKind::LoneSurrogate);
    let first = hex4(bytes, i + 2)?;
    match first {
        0xD800..=0xDBFF => {
            match (bytes.get(i + 6), bytes.get(i + 7)) {
                (Some(b'\\'), Some(b'u')) => {}
                (None, _) => return Err(JsonError::new(i + 6, JsonErrorKind::UnexpectedEnd)),
                (Some(b'\\'), None) => {
                    return Err(JsonError::new(i + 7, JsonErrorKind::UnexpectedEnd));
                }
                _ => return Err(lone),
            }
            let second = hex4(bytes, i + 8)?;
            if !(0xDC00..=0xDFFF).contains(&second) {
                return Err(lone);
            }
            let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
            char::from_u32(code).map(|c| (c, 12)).ok_or(lone)
        }
        0xDC00..=0xDFFF => Err(lone),
        _ => char::from_u32(first).map(|c| (c, 6)).ok_or(lone),
    }
}

/// The four hexadecimal digits at `bytes[i..i + 4]`.
fn hex4(bytes: &[u8], i: usize) -> Result<u32, JsonError> {
    let mut value = 0;
    for at in i..i + 4 {
        let digit = match bytes.get(at) {
            Some(&b) => char::from(b).to_digit(16),
            None => return Err(JsonError::new(at, JsonErrorKind::UnexpectedEnd)),
        };
        match digit {
            Some(d) => value = (value << 4) | d,
            None => return Err(JsonError::new(at, JsonErrorKind::InvalidUnicodeEscape)),
        }
    }
    Ok(value)
}

/// Decodes a scanned string with escapes into `buffer`, returning its length, or `None` when
/// it does not fit.
fn decode_into(bytes: &[u8], raw: RawStr, buffer: &mut [u8]) -> Option<usize> {
    let mut len = 0;
    let mut i = raw.start;
    while i < raw.end {
        let b = *bytes.get(i)?;
        if b == b'\\' {
            let (c, escape_len) = escape_at(bytes, i).ok()?;
            let width = c.len_utf8();
            c.encode_utf8(buffer.get_mut(len..len + width)?);
            len += width;
            i += escape_len;
        } else {
            *buffer.get_mut(len)? = b;
            len += 1;
            i += 1;
        }
    }
    Some(len)
}
