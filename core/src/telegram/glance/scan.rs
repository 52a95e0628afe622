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

/// A syntax error as the scanner reports it: small enough that the scanner's results travel
/// in registers. It becomes a [`JsonError`] at the module boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Fail {
    offset: usize,
    kind: Syntax,
}

/// The syntax errors of [`JsonErrorKind`], without the payload of `WrongType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Syntax {
    UnexpectedEnd,
    ExpectedValue,
    ExpectedKey,
    ExpectedColon,
    ExpectedCommaOrClose,
    TrailingCharacters,
    ControlCharacter,
    InvalidEscape,
    InvalidUnicodeEscape,
    LoneSurrogate,
    InvalidNumber,
    NumberOutOfRange,
    RecursionLimitExceeded,
}

fn fail(offset: usize, kind: Syntax) -> Fail {
    Fail { offset, kind }
}

impl From<Fail> for JsonError {
    fn from(fail: Fail) -> Self {
        let kind = match fail.kind {
            Syntax::UnexpectedEnd => JsonErrorKind::UnexpectedEnd,
            Syntax::ExpectedValue => JsonErrorKind::ExpectedValue,
            Syntax::ExpectedKey => JsonErrorKind::ExpectedKey,
            Syntax::ExpectedColon => JsonErrorKind::ExpectedColon,
            Syntax::ExpectedCommaOrClose => JsonErrorKind::ExpectedCommaOrClose,
            Syntax::TrailingCharacters => JsonErrorKind::TrailingCharacters,
            Syntax::ControlCharacter => JsonErrorKind::ControlCharacter,
            Syntax::InvalidEscape => JsonErrorKind::InvalidEscape,
            Syntax::InvalidUnicodeEscape => JsonErrorKind::InvalidUnicodeEscape,
            Syntax::LoneSurrogate => JsonErrorKind::LoneSurrogate,
            Syntax::InvalidNumber => JsonErrorKind::InvalidNumber,
            Syntax::NumberOutOfRange => JsonErrorKind::NumberOutOfRange,
            Syntax::RecursionLimitExceeded => JsonErrorKind::RecursionLimitExceeded,
        };
        JsonError::new(fail.offset, kind)
    }
}

/// A string as scanned: the byte range between its quotes, and whether it contains escapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RawStr {
    start: usize,
    end: usize,
    escaped: bool,
}

/// Decoded keys longer than this cannot be any field the glance looks for.
const KEY_BUFFER: usize = 64;

/// A cursor over UTF-8 JSON text.
///
/// The scanning itself is done by free functions over the bytes and an index, which the
/// compiler keeps in registers; the methods move the cursor with them.
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

    fn fail(&self, kind: Syntax) -> Fail {
        fail(self.pos, kind)
    }

    /// Skips whitespace and returns the next byte without consuming it.
    #[inline]
    pub(super) fn peek_token(&mut self) -> Result<u8, Fail> {
        self.pos = whitespace_end(self.bytes, self.pos);
        match self.bytes.get(self.pos) {
            Some(&b) => Ok(b),
            None => Err(self.fail(Syntax::UnexpectedEnd)),
        }
    }

    /// Checks that nothing but whitespace follows the cursor.
    pub(super) fn finish(&mut self) -> Result<(), Fail> {
        match self.peek_token() {
            Ok(_) => Err(self.fail(Syntax::TrailingCharacters)),
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
        mut field: impl FnMut(&mut Self, RawStr) -> Result<(), Fail>,
    ) -> Result<(), Fail> {
        if self.bytes.get(self.pos) != Some(&b'{') {
            return Err(self.fail(Syntax::ExpectedValue));
        }
        if depth > MAX_DEPTH {
            return Err(self.fail(Syntax::RecursionLimitExceeded));
        }
        self.pos += 1;
        if self.peek_token()? == b'}' {
            self.pos += 1;
            return Ok(());
        }
        loop {
            let (key, after) = key(self.bytes, self.pos)?;
            self.pos = after;
            field(self, key)?;
            match self.peek_token()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.fail(Syntax::ExpectedCommaOrClose)),
            }
        }
    }

    /// Skips one value of any type, checking it, when `depth` arrays and objects enclose it:
    /// a string here, anything else with [`Scanner::skip_value`].
    #[inline(always)]
    pub(super) fn skip(&mut self, depth: usize) -> Result<(), Fail> {
        if self.bytes.get(self.pos) == Some(&b'"') {
            self.pos = string_end(self.bytes, self.pos)?.0;
            return Ok(());
        }
        self.skip_value(depth)
    }

    /// Skips one value of any type, checking it, when `depth` arrays and objects enclose it.
    pub(super) fn skip_value(&mut self, depth: usize) -> Result<(), Fail> {
        self.pos = skip_value(self.text, self.pos, depth)?;
        Ok(())
    }

    /// Scans the string whose opening quote is at the cursor, checking it, and leaves the
    /// cursor after the closing quote.
    pub(super) fn string(&mut self) -> Result<RawStr, Fail> {
        let start = self.pos + 1;
        let (end, escaped) = string_end(self.bytes, self.pos)?;
        self.pos = end;
        Ok(RawStr {
            start,
            end: end - 1,
            escaped,
        })
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
    pub(super) fn number(&mut self) -> Result<Option<i64>, Fail> {
        let start = self.pos;
        let negative = self.bytes.get(start) == Some(&b'-');
        let digits_start = start + usize::from(negative);
        let (end, integer) = number_end(self.text, start)?;
        self.pos = end;
        if !integer {
            return Ok(None);
        }
        // An integer: at most 19 digits, without a leading zero, fit the u64 accumulator.
        let digits = self.bytes.get(digits_start..end).unwrap_or_default();
        if digits.len() > 19 {
            return Ok(None);
        }
        let mut magnitude: u64 = 0;
        let mut rest = digits;
        while let Some((chunk, tail)) = rest.split_first_chunk::<8>() {
            magnitude = magnitude
                .wrapping_mul(100_000_000)
                .wrapping_add(eight_digits(*chunk));
            rest = tail;
        }
        while let Some((&[high, low], tail)) = rest.split_first_chunk::<2>() {
            let pair = u64::from(high & 0x0F) * 10 + u64::from(low & 0x0F);
            magnitude = magnitude.wrapping_mul(100).wrapping_add(pair);
            rest = tail;
        }
        if let Some(&digit) = rest.first() {
            magnitude = magnitude
                .wrapping_mul(10)
                .wrapping_add(u64::from(digit & 0x0F));
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

/// The index of the first byte at or after `i` that is not JSON whitespace.
#[inline(always)]
fn whitespace_end(bytes: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\t' | b'\r') = bytes.get(i) {
        i += 1;
    }
    i
}

/// Reads `"key":` at `bytes[i..]` (after whitespace): the key, and the index after the colon.
#[inline]
fn key(bytes: &[u8], i: usize) -> Result<(RawStr, usize), Fail> {
    let i = if bytes.get(i) == Some(&b'"') {
        i
    } else {
        whitespace_end(bytes, i)
    };
    match bytes.get(i) {
        Some(b'"') => {}
        Some(_) => return Err(fail(i, Syntax::ExpectedKey)),
        None => return Err(fail(i, Syntax::UnexpectedEnd)),
    }
    // Keys are short and come in the same order from update to update: a plain byte loop,
    // whose exit the branch predictor learns, finds their end sooner than a computed position.
    let mut j = i + 1;
    while let Some(&b) = bytes.get(j) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            break;
        }
        j += 1;
    }
    let (end, escaped) = if bytes.get(j) == Some(&b'"') {
        (j + 1, false)
    } else {
        string_end(bytes, i)?
    };
    let key = RawStr {
        start: i + 1,
        end: end - 1,
        escaped,
    };
    // Compact JSON has the colon right after the key.
    if bytes.get(end) == Some(&b':') {
        return Ok((key, end + 1));
    }
    let colon = whitespace_end(bytes, end);
    match bytes.get(colon) {
        Some(b':') => Ok((key, colon + 1)),
        Some(_) => Err(fail(colon, Syntax::ExpectedColon)),
        None => Err(fail(colon, Syntax::UnexpectedEnd)),
    }
}

/// Skips the value at `text[i..]` (after whitespace), checking it, when `depth` arrays and
/// objects enclose it; returns the index after it.
///
/// Iterative: the kinds of the containers opened so far are kept as bits of a `u128`, one per
/// level, which [`MAX_DEPTH`] keeps in range.
fn skip_value(text: &str, mut i: usize, depth: usize) -> Result<usize, Fail> {
    let bytes = text.as_bytes();
    // Bit `k` is set when the `k`-th container opened by this call is an object.
    let mut objects: u128 = 0;
    let mut open: usize = 0;
    let mut in_object = false;
    'value: loop {
        match bytes.get(i) {
            Some(b'"') => i = string_end(bytes, i)?.0,
            Some(b'-' | b'0'..=b'9') => i = number_end(text, i)?.0,
            Some(b't') => i = literal(bytes, i, b"true")?,
            Some(b'f') => i = literal(bytes, i, b"false")?,
            Some(b'n') => i = literal(bytes, i, b"null")?,
            Some(&bracket @ (b'{' | b'[')) => {
                if depth + open >= MAX_DEPTH {
                    return Err(fail(i, Syntax::RecursionLimitExceeded));
                }
                let is_object = bracket == b'{';
                let close = if is_object { b'}' } else { b']' };
                i += 1;
                if bytes.get(i) != Some(&close) {
                    i = whitespace_end(bytes, i);
                }
                if bytes.get(i) == Some(&close) {
                    i += 1;
                } else {
                    // `open` < MAX_DEPTH <= 127 here, so the shift is in range.
                    if is_object {
                        objects |= 1 << open;
                        i = key(bytes, i)?.1;
                    } else {
                        objects &= !(1 << open);
                    }
                    open += 1;
                    in_object = is_object;
                    continue 'value;
                }
            }
            // Whitespace is rare in updates: skip it only when it is there.
            Some(b' ' | b'\n' | b'\t' | b'\r') => {
                i = whitespace_end(bytes, i);
                continue 'value;
            }
            Some(_) => return Err(fail(i, Syntax::ExpectedValue)),
            None => return Err(fail(i, Syntax::UnexpectedEnd)),
        }
        // A value is complete: close the containers it completes, then go on with the next.
        loop {
            if open == 0 {
                return Ok(i);
            }
            match bytes.get(i) {
                Some(b',') => {
                    i += 1;
                    if in_object {
                        i = key(bytes, i)?.1;
                    }
                    continue 'value;
                }
                Some(b'}') if in_object => {}
                Some(b']') if !in_object => {}
                Some(b' ' | b'\n' | b'\t' | b'\r') => {
                    i = whitespace_end(bytes, i);
                    continue;
                }
                Some(_) => return Err(fail(i, Syntax::ExpectedCommaOrClose)),
                None => return Err(fail(i, Syntax::UnexpectedEnd)),
            }
            i += 1;
            open -= 1;
            in_object = open > 0 && (objects >> (open - 1)) & 1 == 1;
        }
    }
}

/// Checks the literal `word` at `bytes[i..]`, returning the index after it.
#[inline(always)]
fn literal(bytes: &[u8], i: usize, word: &'static [u8]) -> Result<usize, Fail> {
    let end = i + word.len();
    if bytes.get(i..end) == Some(word) {
        return Ok(end);
    }
    // Where it goes wrong: a truncated literal ends the input early.
    let matching = bytes
        .get(i..)
        .unwrap_or_default()
        .iter()
        .zip(word)
        .take_while(|(b, w)| b == w)
        .count();
    if i + matching == bytes.len() {
        Err(fail(bytes.len(), Syntax::UnexpectedEnd))
    } else {
        Err(fail(i, Syntax::ExpectedValue))
    }
}

/// Scans the string whose opening quote is at `bytes[i]`, checking it: the index after the
/// closing quote, and whether the string has escapes.
#[inline]
fn string_end(bytes: &[u8], i: usize) -> Result<(usize, bool), Fail> {
    let mut i = i + 1;
    let mut escaped = false;
    loop {
        // Find the next quote, backslash or control character sixteen bytes at a time, as
        // two independent eight-byte words, so that the end of a short string (most keys, and
        // most gaps between escapes) is found with a short chain of dependent instructions.
        while let Some(chunk) = bytes.get(i..).and_then(<[u8]>::first_chunk::<16>) {
            let (low, high) = words(chunk);
            match first_flagged(special_bytes(low), special_bytes(high)) {
                Some(offset) => {
                    i += offset;
                    break;
                }
                None => i += 16,
            }
        }
        match bytes.get(i) {
            Some(b'"') => return Ok((i + 1, escaped)),
            Some(b'\\') => {
                escaped = true;
                // Non-ASCII text comes as runs of `\uXXXX`: stay here while they last.
                loop {
                    i += match unicode_escape_len(bytes, i) {
                        0 => escape_len(bytes, i)?,
                        len => len,
                    };
                    if bytes.get(i) != Some(&b'\\') {
                        break;
                    }
                }
            }
            Some(&b) if b < 0x20 => return Err(fail(i, Syntax::ControlCharacter)),
            Some(_) => i += 1,
            None => return Err(fail(i, Syntax::UnexpectedEnd)),
        }
    }
}

/// Scans the number at `text[start..]`, checking its syntax and that it fits an `f64`: the
/// index after it, and whether it is written as an integer (no fraction, no exponent).
#[inline]
fn number_end(text: &str, start: usize) -> Result<(usize, bool), Fail> {
    let bytes = text.as_bytes();
    let int_start = start + usize::from(bytes.get(start) == Some(&b'-'));
    let mut i = int_start;
    match bytes.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = digit_run_end(bytes, i + 1),
        Some(_) => return Err(fail(i, Syntax::InvalidNumber)),
        None => return Err(fail(i, Syntax::UnexpectedEnd)),
    }
    // Below 10^308 a number cannot overflow an f64, so only long or exponent forms are
    // checked, with the standard library's correctly rounded parser.
    let mut check_range = i - int_start > 308;
    let mut integer = true;
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
    if check_range {
        check_f64_range(text, start, i)?;
    }
    Ok((i, integer))
}

/// Fails when the number `text[start..end]` overflows an `f64`, as serde_json does.
#[cold]
#[inline(never)]
fn check_f64_range(text: &str, start: usize, end: usize) -> Result<(), Fail> {
    let finite = text
        .get(start..end)
        .and_then(|s| s.parse::<f64>().ok())
        .is_some_and(f64::is_finite);
    if finite {
        Ok(())
    } else {
        Err(fail(start, Syntax::NumberOutOfRange))
    }
}

/// The text of a string scanned from `text`: borrowed when it has no escapes, decoded into an
/// owned string otherwise.
pub(super) fn decode(text: &str, raw: RawStr) -> Result<Cow<'_, str>, Fail> {
    // Both ends of every slice sit next to ASCII delimiters of a checked string, so slicing
    // always succeeds.
    let slice = |start: usize, end: usize| {
        text.get(start..end)
            .ok_or(fail(start, Syntax::ExpectedValue))
    };
    if !raw.escaped {
        return slice(raw.start, raw.end).map(Cow::Borrowed);
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(raw.end - raw.start);
    let mut i = raw.start;
    while let Some(k) = bytes
        .get(i..raw.end)
        .and_then(|rest| rest.iter().position(|&b| b == b'\\'))
    {
        out.push_str(slice(i, i + k)?);
        let (c, len) = escape_at(bytes, i + k)?;
        out.push(c);
        i += k + len;
    }
    out.push_str(slice(i, raw.end)?);
    Ok(Cow::Owned(out))
}

/// The value of eight ASCII digits, the first one the most significant.
#[inline(always)]
fn eight_digits(chunk: [u8; 8]) -> u64 {
    let mut v = u64::from_le_bytes(chunk) & 0x0F0F_0F0F_0F0F_0F0F;
    // Pairs of digits, then groups of four, then all eight, each step in place.
    v = (v.wrapping_mul(10) + (v >> 8)) & 0x00FF_00FF_00FF_00FF;
    v = (v.wrapping_mul(100) + (v >> 16)) & 0x0000_FFFF_0000_FFFF;
    (v.wrapping_mul(10_000) + (v >> 32)) & 0xFFFF_FFFF
}

/// Skips the run of at least one digit at `bytes[i]`, returning the index after it.
fn digits(bytes: &[u8], i: usize) -> Result<usize, Fail> {
    match bytes.get(i) {
        Some(b'0'..=b'9') => Ok(digit_run_end(bytes, i + 1)),
        Some(_) => Err(fail(i, Syntax::InvalidNumber)),
        None => Err(fail(i, Syntax::UnexpectedEnd)),
    }
}

/// The index after the run of ASCII digits starting at `bytes[i]` (possibly empty), found
/// sixteen bytes at a time.
#[inline(always)]
fn digit_run_end(bytes: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = bytes.get(i..).and_then(<[u8]>::first_chunk::<16>) {
        let (low, high) = words(chunk);
        match first_flagged(non_digits(low), non_digits(high)) {
            Some(offset) => return i + offset,
            None => i += 16,
        }
    }
    while let Some(b'0'..=b'9') = bytes.get(i) {
        i += 1;
    }
    i
}

/// 0x01 in each of eight bytes.
const LOW_BITS: u64 = u64::from_le_bytes([0x01; 8]);
/// 0x80 in each of eight bytes.
const HIGH_BITS: u64 = u64::from_le_bytes([0x80; 8]);
/// 0xF0 in each of eight bytes.
const HIGH_NIBBLES: u64 = u64::from_le_bytes([0xF0; 8]);

/// The two little-endian words of a sixteen-byte chunk.
#[inline(always)]
fn words(chunk: &[u8; 16]) -> (u64, u64) {
    let (low, high) = chunk.split_at(8);
    let word = |half: &[u8]| {
        half.first_chunk::<8>()
            .map_or(0, |b| u64::from_le_bytes(*b))
    };
    (word(low), word(high))
}

/// The offset of the first flagged byte of a sixteen-byte chunk, given the masks of its two
/// words (a flagged byte has some bit set in its mask byte, and bytes below the first flagged
/// one have none), or `None`. Written to compile to a conditional move rather than a branch.
#[inline(always)]
fn first_flagged(low: u64, high: u64) -> Option<usize> {
    if low | high == 0 {
        return None;
    }
    let bits = if low != 0 {
        low.trailing_zeros()
    } else {
        64 + high.trailing_zeros()
    };
    Some((bits / 8) as usize)
}

/// A mask whose lowest set bit is in the first byte of `word` (little-endian) that is a quote,
/// a backslash or below 0x20, or zero when there is none.
///
/// `b ^ 0x02` is below 0x21 exactly when `b` is a quote (0x22) or below 0x20, so one
/// "less than" test covers both; a second finds the backslashes as zero bytes of
/// `word ^ 0x5C...`. Each test flags exactly the matching bytes, except that a borrow can also
/// flag bytes above a matching one, so the lowest set bit is always exact.
#[inline(always)]
fn special_bytes(word: u64) -> u64 {
    let shifted = word ^ (LOW_BITS * 0x02);
    let quote_or_control = shifted.wrapping_sub(LOW_BITS * 0x21) & !shifted;
    let backslash = word ^ (LOW_BITS * u64::from(b'\\'));
    let backslash = backslash.wrapping_sub(LOW_BITS) & !backslash;
    (quote_or_control | backslash) & HIGH_BITS
}

/// A mask whose lowest set bit is in the first byte of `word` (little-endian) that is not an
/// ASCII digit, or zero when there is none.
///
/// A byte is a digit when its high nibble is 3 and adding 6 keeps it so. A carry out of a byte
/// of 0xFA or more only disturbs bytes above that non-digit, so the lowest flagged byte is
/// exact.
#[inline(always)]
fn non_digits(word: u64) -> u64 {
    let high = LOW_BITS * 0x30;
    ((word & HIGH_NIBBLES) ^ high) | ((word.wrapping_add(LOW_BITS * 6) & HIGH_NIBBLES) ^ high)
}

/// The value of each byte as a hexadecimal digit, or 0xFF.
static HEX_DIGITS: [u8; 256] = hex_digits();

const fn hex_digits() -> [u8; 256] {
    let mut table = [0xFF; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = match b as u8 {
            digit @ b'0'..=b'9' => digit - b'0',
            letter @ b'a'..=b'f' => letter - b'a' + 10,
            letter @ b'A'..=b'F' => letter - b'A' + 10,
            _ => 0xFF,
        };
        b += 1;
    }
    table
}

/// The value of the hexadecimal digit `b`, or 0xFF.
#[inline(always)]
fn hex_digit(b: u8) -> u8 {
    HEX_DIGITS[usize::from(b)]
}

/// The length of the `\uXXXX` escape, or `\uXXXX\uXXXX` surrogate pair, that `bytes[i..]`
/// starts with, or 0 when it starts with something else (another escape, or an error): the
/// common escapes, checked without decoding them.
#[inline(always)]
fn unicode_escape_len(bytes: &[u8], i: usize) -> usize {
    let Some(&[_, u, a, b, c, d]) = bytes.get(i..).and_then(<[u8]>::first_chunk::<6>) else {
        return 0;
    };
    let (a, b, c, d) = (hex_digit(a), hex_digit(b), hex_digit(c), hex_digit(d));
    // Evaluated without short-circuits, to spare branches.
    if !((u == b'u') & ((a | b | c | d) & 0xF0 == 0)) {
        return 0;
    }
    // Surrogates are D800 to DFFF: a first digit of D and a second of 8 or more; the high
    // half of a pair has a second digit of 8 to B, the low half C to F.
    if (a != 0xD) | (b < 8) {
        return 6;
    }
    let Some(&[backslash, u, e, f, g, h]) = bytes.get(i + 6..).and_then(<[u8]>::first_chunk::<6>)
    else {
        return 0;
    };
    let (e, f, g, h) = (hex_digit(e), hex_digit(f), hex_digit(g), hex_digit(h));
    let pair = (b < 0xC)
        & (backslash == b'\\')
        & (u == b'u')
        & ((e | f | g | h) & 0xF0 == 0)
        & (e == 0xD)
        & (f >= 0xC);
    if pair {
        12
    } else {
        0
    }
}

/// The four hexadecimal digits at `bytes[i..i + 4]`, or `None`.
#[inline]
fn hex4(bytes: &[u8], i: usize) -> Option<u32> {
    let &[a, b, c, d] = bytes.get(i..)?.first_chunk::<4>()?;
    let (a, b, c, d) = (hex_digit(a), hex_digit(b), hex_digit(c), hex_digit(d));
    if (a | b | c | d) & 0xF0 != 0 {
        return None;
    }
    Some(u32::from(a) << 12 | u32::from(b) << 8 | u32::from(c) << 4 | u32::from(d))
}

/// Checks the escape sequence whose backslash is at `bytes[i]` and returns its length: the
/// fast path of [`escape_at`] for strings that are only skipped, where escapes are frequent
/// (Telegram escapes every non-ASCII character as `\uXXXX`).
#[inline(never)]
fn escape_len(bytes: &[u8], i: usize) -> Result<usize, Fail> {
    match bytes.get(i + 1) {
        Some(b'u') => {}
        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => return Ok(2),
        _ => return Err(escape_error(bytes, i)),
    }
    match hex4(bytes, i + 2) {
        Some(0..=0xD7FF | 0xE000..=0xFFFF) => Ok(6),
        Some(0xD800..=0xDBFF)
            if bytes.get(i + 6..i + 8) == Some(&b"\\u"[..])
                && matches!(hex4(bytes, i + 8), Some(0xDC00..=0xDFFF)) =>
        {
            Ok(12)
        }
        _ => Err(escape_error(bytes, i)),
    }
}

/// The error of an escape sequence that [`escape_len`] refused, as [`escape_at`] reports it.
#[cold]
fn escape_error(bytes: &[u8], i: usize) -> Fail {
    match escape_at(bytes, i) {
        Err(error) => error,
        Ok(_) => fail(i, Syntax::InvalidEscape),
    }
}

/// Decodes the escape sequence whose backslash is at `bytes[i]`: the character, and the length
/// of the sequence (2, 6, or 12 for a surrogate pair).
fn escape_at(bytes: &[u8], i: usize) -> Result<(char, usize), Fail> {
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
        Some(_) => return Err(fail(i, Syntax::InvalidEscape)),
        None => return Err(fail(i + 1, Syntax::UnexpectedEnd)),
    };
    Ok((c, 2))
}

fn unicode_escape_at(bytes: &[u8], i: usize) -> Result<(char, usize), Fail> {
    let lone = fail(i, Syntax::LoneSurrogate);
    let first = hex4_exact(bytes, i + 2)?;
    match first {
        0xD800..=0xDBFF => {
            match (bytes.get(i + 6), bytes.get(i + 7)) {
                (Some(b'\\'), Some(b'u')) => {}
                (None, _) => return Err(fail(i + 6, Syntax::UnexpectedEnd)),
                (Some(b'\\'), None) => return Err(fail(i + 7, Syntax::UnexpectedEnd)),
                _ => return Err(lone),
            }
            let second = hex4_exact(bytes, i + 8)?;
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

/// The four hexadecimal digits at `bytes[i..i + 4]`, or where they go wrong.
fn hex4_exact(bytes: &[u8], i: usize) -> Result<u32, Fail> {
    let mut value = 0;
    for at in i..i + 4 {
        let digit = match bytes.get(at) {
            Some(&b) => char::from(b).to_digit(16),
            None => return Err(fail(at, Syntax::UnexpectedEnd)),
        };
        match digit {
            Some(d) => value = (value << 4) | d,
            None => return Err(fail(at, Syntax::InvalidUnicodeEscape)),
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
