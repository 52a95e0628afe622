//! Differential test: [`glance`] against a reference glance computed from `serde_json::Value`,
//! over realistic updates and many mutations of them.
//!
//! For every input, either serde_json rejects it (then the glance must fail as JSON or UTF-8
//! error too), or the reference computes the outcome the module documentation promises from the
//! parsed `Value`, and the glance must give exactly that outcome.

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

use super::*;

/// A few dozen realistic updates from `bench/telegram_corpus.py`, plus hand-written ones for
/// the kinds and shapes the generator does not produce (shipping and pre-checkout queries,
/// game callbacks, animations, venues, escapes in read fields, unknown kinds).
const FIXTURE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/telegram_updates_sample.jsonl"
));

// ---------------------------------------------------------------------------------------------
// Outcomes and the reference
// ---------------------------------------------------------------------------------------------

/// What a glance comes to, comparable between the glance and the reference.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Glance(Glance<'static>),
    Json,
    Utf8,
    MissingUpdateId,
    NoPayload(i64),
    MissingField {
        update_id: i64,
        kind: String,
        field: &'static str,
    },
}

fn outcome(result: Result<Glance<'_>, GlanceError>) -> Outcome {
    match result {
        Ok(g) => Outcome::Glance(g.into_owned()),
        Err(GlanceError::Json(_)) => Outcome::Json,
        Err(GlanceError::Utf8(_)) => Outcome::Utf8,
        Err(GlanceError::MissingUpdateId) => Outcome::MissingUpdateId,
        Err(GlanceError::NoPayload { update_id }) => Outcome::NoPayload(update_id),
        Err(GlanceError::MissingField {
            update_id,
            kind,
            field,
        }) => Outcome::MissingField {
            update_id,
            kind,
            field,
        },
    }
}

/// The top-level object's members in document order, repeated keys kept (a `Value` object
/// keeps only the last of them, and not the order).
struct Members(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MembersVisitor;
        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = Members;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry::<String, Value>()? {
                    members.push(member);
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(MembersVisitor)
    }
}

fn is_integer(v: &Value) -> bool {
    v.as_i64().is_some()
}

/// Whether `object[name]` is present with a value `ok` refuses (last occurrence, as `Value`
/// keeps it).
fn bad(object: &Map<String, Value>, name: &str, ok: fn(&Value) -> bool) -> bool {
    object.get(name).is_some_and(|v| !ok(v))
}

/// The string fields of each query flavor, in the order the glance checks them (the first,
/// then `from.id`, then the others); `data` is the only optional one, and may be `null`.
fn query_fields(flavor: &Flavor) -> &'static [&'static str] {
    match flavor {
        Flavor::CallbackQuery => &["id", "data"],
        Flavor::InlineQuery => &["id", "query", "offset"],
        Flavor::ChosenInlineResult => &["result_id", "query"],
        Flavor::ShippingQuery => &["id", "invoice_payload"],
        Flavor::PreCheckoutQuery => &["id", "invoice_payload", "currency"],
        _ => &[],
    }
}

/// The outcome the module documentation promises, computed from `serde_json`'s own parse;
/// `None` when serde_json rejects the bytes.
fn reference(bytes: &[u8]) -> Option<Outcome> {
    let value: Value = serde_json::from_slice(bytes).ok()?;
    if !value.is_object() {
        return Some(Outcome::Json);
    }
    let Members(members) = serde_json::from_slice(bytes).expect("serde_json accepted it once");
    // The last `update_id` wins; the first other member is the payload.
    let update_id = members
        .iter()
        .rev()
        .find(|(k, _)| k == "update_id")
        .map(|(_, v)| v);
    let payload = members.iter().find(|(k, _)| k != "update_id");
    let flavor = payload.map(|(k, _)| flavor_of_kind(k));

    // Wrong types first.
    let mut wrong = update_id.is_some_and(|v| !is_integer(v));
    if let (Some((_, payload)), Some(flavor)) = (payload, &flavor) {
        let is_query = !query_fields(flavor).is_empty();
        if *flavor == Flavor::Chat || is_query {
            match payload.as_object() {
                None => wrong = true,
                Some(m) if *flavor == Flavor::Chat => {
                    wrong |= bad(m, "message_id", is_integer)
                        || bad(m, "date", is_integer)
                        || bad(m, "chat", Value::is_object);
                    if let Some(chat) = m.get("chat").and_then(Value::as_object) {
                        wrong |= bad(chat, "id", is_integer) || bad(chat, "type", Value::is_string);
                    }
                }
                Some(q) => {
                    for name in query_fields(flavor) {
                        wrong |= if *name == "data" {
                            bad(q, name, |v| v.is_string() || v.is_null())
                        } else {
                            bad(q, name, Value::is_string)
                        };
                    }
                    wrong |= bad(q, "from", Value::is_object);
                    if let Some(from) = q.get("from").and_then(Value::as_object) {
                        wrong |= bad(from, "id", is_integer);
                    }
                    if *flavor == Flavor::PreCheckoutQuery {
                        wrong |= bad(q, "total_amount", is_integer);
                    }
                }
            }
        }
    }
    if wrong {
        return Some(Outcome::Json);
    }

    // Then missing fields.
    let Some(update_id) = update_id.and_then(Value::as_i64) else {
        return Some(Outcome::MissingUpdateId);
    };
    let (Some((kind, payload)), Some(flavor)) = (payload, flavor) else {
        return Some(Outcome::NoPayload(update_id));
    };
    let missing = |field: &'static str| {
        Some(Outcome::MissingField {
            update_id,
            kind: kind.clone(),
            field,
        })
    };
    let text = |s: &str| Cow::Owned(s.to_owned());
    let headline = match (&flavor, payload.as_object()) {
        (Flavor::Chat, Some(m)) => {
            let Some(message_id) = m.get("message_id").and_then(Value::as_i64) else {
                return missing("message_id");
            };
            let Some(chat) = m.get("chat").and_then(Value::as_object) else {
                return missing("chat");
            };
            let Some(chat_id) = chat.get("id").and_then(Value::as_i64) else {
                return missing("chat.id");
            };
            let Some(chat_type) = chat.get("type").and_then(Value::as_str) else {
                return missing("chat.type");
            };
            let Some(date) = m.get("date").and_then(Value::as_i64) else {
                return missing("date");
            };
            Headline::Chat {
                content_type: content_type_of_fields(|f| m.contains_key(f)),
                chat_type: text(chat_type),
                chat_id,
                date,
                message_id,
            }
        }
        (_, Some(q)) if !query_fields(&flavor).is_empty() => {
            let names = query_fields(&flavor);
            let string = |name: &str| q.get(name).and_then(Value::as_str).map(text);
            let mut strings = Vec::new();
            for (i, name) in names.iter().enumerate() {
                if i == 1 && q.get("from").and_then(|f| f.get("id")).is_none() {
                    return missing("from.id");
                }
                match string(name) {
                    Some(s) => strings.push(Some(s)),
                    None if *name == "data" => strings.push(None),
                    None => return missing(name),
                }
            }
            if names.len() == 1 && q.get("from").and_then(|f| f.get("id")).is_none() {
                return missing("from.id");
            }
            let from_id = q["from"]["id"].as_i64().expect("checked above");
            let mut strings = strings.into_iter();
            let mut next = || strings.next().flatten();
            match flavor {
                Flavor::CallbackQuery => Headline::CallbackQuery {
                    id: next().expect("required"),
                    from_id,
                    data: next(),
                },
                Flavor::InlineQuery => Headline::InlineQuery {
                    id: next().expect("required"),
                    from_id,
                    query: next().expect("required"),
                    offset: next().expect("required"),
                },
                Flavor::ChosenInlineResult => Headline::ChosenInlineResult {
                    result_id: next().expect("required"),
                    from_id,
                    query: next().expect("required"),
                },
                Flavor::ShippingQuery => Headline::ShippingQuery {
                    id: next().expect("required"),
                    from_id,
                    invoice_payload: next().expect("required"),
                },
                Flavor::PreCheckoutQuery => {
                    let id = next().expect("required");
                    let invoice_payload = next().expect("required");
                    let currency = next().expect("required");
                    let Some(total_amount) = q.get("total_amount").and_then(Value::as_i64) else {
                        return missing("total_amount");
                    };
                    Headline::PreCheckoutQuery {
                        id,
                        from_id,
                        invoice_payload,
                        currency,
                        total_amount,
                    }
                }
                _ => unreachable!("only query flavors have query fields"),
            }
        }
        _ => Headline::Other,
    };
    Some(Outcome::Glance(Glance {
        update_id,
        kind: Cow::Owned(kind.clone()),
        flavor,
        headline,
    }))
}

// ---------------------------------------------------------------------------------------------
// Checking one input
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Default)]
struct Tally {
    inputs: usize,
    rejected_by_serde: usize,
    ok: usize,
    json: usize,
    missing: usize,
}

fn show(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    if text.len() > 600 {
        format!(
            "{}...[{} bytes]...{}",
            &text[..text.floor_char_boundary_compat(300)],
            text.len(),
            &text[text.ceil_char_boundary_compat(text.len() - 200)..]
        )
    } else {
        text.into_owned()
    }
}

/// `str::floor_char_boundary` and `ceil_char_boundary` for the crate's minimum Rust version.
trait CharBoundary {
    fn floor_char_boundary_compat(&self, at: usize) -> usize;
    fn ceil_char_boundary_compat(&self, at: usize) -> usize;
}

impl CharBoundary for str {
    fn floor_char_boundary_compat(&self, at: usize) -> usize {
        (0..=at)
            .rev()
            .find(|i| self.is_char_boundary(*i))
            .unwrap_or(0)
    }
    fn ceil_char_boundary_compat(&self, at: usize) -> usize {
        (at..=self.len())
            .find(|i| self.is_char_boundary(*i))
            .unwrap_or(self.len())
    }
}

fn check(bytes: &[u8], tally: &mut Tally) {
    tally.inputs += 1;
    let got = catch_unwind(AssertUnwindSafe(|| outcome(glance(bytes))))
        .unwrap_or_else(|_| panic!("glance panicked on {}", show(bytes)));
    match reference(bytes) {
        None => {
            tally.rejected_by_serde += 1;
            assert!(
                matches!(got, Outcome::Json | Outcome::Utf8),
                "serde_json rejects this input but glance gives {got:?}:\n{}",
                show(bytes)
            );
        }
        Some(expected) => {
            match expected {
                Outcome::Glance(_) => tally.ok += 1,
                Outcome::Json => tally.json += 1,
                _ => tally.missing += 1,
            }
            assert_eq!(
                got,
                expected,
                "glance disagrees with the reference on\n{}",
                show(bytes)
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------------------------

/// A small, seeded, reproducible generator over the crate's seeded one.
struct TestRng(crate::io::SeededRng);

impl TestRng {
    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Replacement bytes for single-byte substitutions: structure, escapes, digits, whitespace,
/// control characters and bytes that are never UTF-8.
const BYTES: &[u8] = b"{}[]\":,\\/-+.0123456789eEtfnul \t\r\n\x00\x01\x1f\x7f\x80\xbf\xc3\xff";

/// Text to insert at random places, often inside strings: valid and invalid escapes, lone and
/// paired surrogates, raw control characters.
const ESCAPES: &[&str] = &[
    "\\n",
    "\\\"",
    "\\\\",
    "\\/",
    "\\b\\f\\r\\t",
    "\\u00e9",
    "\\u0000",
    "\\u001F",
    "\\uD83D\\uDE00",
    "\\ud83d\\ude0e",
    "\\ud800",
    "\\udc00",
    "\\ud800\\u0041",
    "\\ud800\\n",
    "\\udbff\\udfff",
    "\\u12",
    "\\u12g4",
    "\\x41",
    "\\",
    "\\u",
    "\u{1}",
    "\t",
    "\u{7f}",
    "é",
    "😀",
];

/// Numbers to put in place of the numbers of an update: integer limits, `-0`, floats where
/// integers are read, numbers too large for an `f64`, malformed numbers.
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "-1",
    "1.0",
    "1e3",
    "1E+2",
    "2.5e-3",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999",
    "1e308",
    "1e309",
    "1e400",
    "-1e400",
    "0e999999999999999999",
    "1e-400",
    "1.7976931348623157e308",
    "00",
    "01",
    "1.",
    ".5",
    "-",
    "+1",
    "1e",
    "0x10",
    "1_000",
    "123abc",
    "true",
    "null",
    "\"7\"",
    "[]",
    "{}",
];

/// Members to add at the start or end of a random object: repeats of the keys the glance
/// reads, with good and bad values, and extra payloads.
const MEMBERS: &[&str] = &[
    r#""update_id":"x""#,
    r#""update_id":5"#,
    r#""update_id":null"#,
    r#""update_id":-0"#,
    r#""message_id":77"#,
    r#""message_id":"77""#,
    r#""message_id":1.5"#,
    r#""date":null"#,
    r#""date":1700000000"#,
    r#""chat":{"id":5,"type":"group"}"#,
    r#""chat":{"id":5}"#,
    r#""chat":{"type":"channel"}"#,
    r#""chat":[]"#,
    r#""chat":null"#,
    r#""id":"dup""#,
    r#""id":12"#,
    r#""id":null"#,
    r#""type":"channel""#,
    r#""type":7"#,
    r#""from":{"id":9}"#,
    r#""from":{}"#,
    r#""from":null"#,
    r#""from":{"id":"9"}"#,
    r#""data":null"#,
    r#""data":"d2""#,
    r#""data":5"#,
    r#""query":"q""#,
    r#""offset":1"#,
    r#""result_id":"r""#,
    r#""invoice_payload":"p""#,
    r#""currency":"EUR""#,
    r#""total_amount":100"#,
    r#""total_amount":1e2"#,
    r#""text":"t""#,
    r#""animation":{}"#,
    r#""document":{}"#,
    r#""new_chat_member":{}"#,
    r#""location":{"latitude":1.5,"longitude":-2e-3}"#,
    r#""message":{"message_id":1}"#,
    r#""message":null"#,
    r#""poll":{}"#,
    r#""callback_query":{"id":"c","from":{"id":1}}"#,
    r#""update\u005fid":6"#,
    r#""ch\u0061t":{"id":6,"type":"private"}"#,
    r#""\u0074ext":"x""#,
];

/// Keys whose first letter is escaped in a mutation (`"chat"` becomes `"\u0063hat"`), so that
/// escaped keys must be decoded to be recognised.
const KEYS: &[&str] = &[
    "update_id",
    "message",
    "edited_message",
    "channel_post",
    "callback_query",
    "inline_query",
    "chosen_inline_result",
    "message_id",
    "date",
    "chat",
    "type",
    "id",
    "from",
    "data",
    "query",
    "offset",
    "result_id",
    "invoice_payload",
    "currency",
    "total_amount",
    "text",
    "photo",
    "sticker",
    "document",
    "animation",
];

fn splice(bytes: &[u8], at: usize, remove: usize, insert: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + insert.len());
    out.extend_from_slice(&bytes[..at]);
    out.extend_from_slice(insert);
    out.extend_from_slice(&bytes[(at + remove).min(bytes.len())..]);
    out
}

/// Positions where an object opens with a member (`{"`), and where one closes after a member.
fn object_edges(bytes: &[u8]) -> (Vec<usize>, Vec<usize>) {
    let opens = bytes
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w == b"{\"")
        .map(|(i, _)| i + 1)
        .collect();
    let closes = bytes
        .iter()
        .enumerate()
        .filter(|(i, b)| **b == b'}' && *i > 0 && bytes[i - 1] != b'{')
        .map(|(i, _)| i)
        .collect();
    (opens, closes)
}

/// Number tokens that are the value of a member or an array element: (start, length).
fn number_tokens(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut tokens = Vec::new();
    let mut i = 1;
    while i < bytes.len() {
        let starts = matches!(bytes[i - 1], b':' | b'[' | b',')
            && (bytes[i] == b'-' || bytes[i].is_ascii_digit());
        if starts {
            let len = bytes[i..]
                .iter()
                .take_while(|b| b.is_ascii_digit() || b"-+.eE".contains(b))
                .count();
            tokens.push((i, len));
            i += len;
        } else {
            i += 1;
        }
    }
    tokens
}

fn nested(open: &str, close: &str, depth: usize) -> String {
    format!("{}0{}", open.repeat(depth), close.repeat(depth))
}

/// All mutations of one update, fed to `each`.
fn mutations(line: &[u8], rng: &mut TestRng, mut each: impl FnMut(&[u8])) {
    each(line);
    // Truncation at every byte.
    for end in 0..line.len() {
        each(&line[..end]);
    }
    // Trailing bytes.
    for tail in [" ", "\n", "\t\r\n ", "x", "}", ",", "{}", "\u{0}"] {
        each(&[line, tail.as_bytes()].concat());
    }
    // Single-byte substitutions and deletions, and duplicated bytes.
    for _ in 0..60 {
        let at = rng.below(line.len());
        let b = if rng.below(4) == 0 {
            rng.next() as u8
        } else {
            *rng.pick(BYTES)
        };
        each(&splice(line, at, 1, &[b]));
    }
    for _ in 0..15 {
        let at = rng.below(line.len());
        each(&splice(line, at, 1, b""));
        each(&splice(line, at, 0, &line[at..at + 1]));
    }
    // Escapes, control characters and non-ASCII text at random places.
    for _ in 0..30 {
        let at = rng.below(line.len() + 1);
        each(&splice(line, at, 0, rng.pick(ESCAPES).as_bytes()));
    }
    // Whitespace between (and inside) tokens.
    for _ in 0..10 {
        let at = rng.below(line.len() + 1);
        each(&splice(
            line,
            at,
            0,
            rng.pick(&[" ", "\n", "\t", "\r", "  \n"]).as_bytes(),
        ));
    }
    // Escaped keys: every occurrence of the key at once, then only the first.
    let text = String::from_utf8_lossy(line).into_owned();
    for key in KEYS {
        let quoted = format!("\"{key}\":");
        if text.contains(&quoted) {
            let escaped = format!("\"\\u{:04x}{}\":", u32::from(key.as_bytes()[0]), &key[1..]);
            each(text.replace(&quoted, &escaped).as_bytes());
            each(text.replacen(&quoted, &escaped, 1).as_bytes());
        }
    }
    // Escaped string values that the glance reads or skips.
    for value in ["\"private\"", "\"group\"", "\"supergroup\"", "\"channel\""] {
        if text.contains(value) {
            each(
                text.replace(value, "\"priv\\u0061te\\ud83d\\ude00\"")
                    .as_bytes(),
            );
        }
    }
    // Numbers: every replacement for the first number (`update_id`), random ones for the rest.
    let numbers = number_tokens(line);
    for (k, &(at, len)) in numbers.iter().enumerate() {
        let replacements: Vec<&str> = if k == 0 {
            NUMBERS.to_vec()
        } else {
            (0..3).map(|_| *rng.pick(NUMBERS)).collect()
        };
        for number in replacements {
            each(&splice(line, at, len, number.as_bytes()));
        }
    }
    let huge = format!("1{}", "0".repeat(400));
    if let Some(&(at, len)) = numbers.get(rng.below(numbers.len())) {
        each(&splice(line, at, len, huge.as_bytes()));
        each(&splice(line, at, len, format!("-{huge}.5").as_bytes()));
    }
    // Repeated and extra members at the start and the end of random objects.
    let (opens, closes) = object_edges(line);
    for _ in 0..40 {
        let member = rng.pick(MEMBERS);
        if rng.below(2) == 0 {
            let at = *rng.pick(&opens);
            each(&splice(line, at, 0, format!("{member},").as_bytes()));
        } else {
            let at = *rng.pick(&closes);
            each(&splice(line, at, 0, format!(",{member}").as_bytes()));
        }
    }
    // Deep nesting: balanced around the limit, far beyond it, and unbalanced.
    for _ in 0..4 {
        let at = *rng.pick(&opens);
        for depth in [120, 124, 125, 126, 127, 128, 10_000] {
            let deep = if rng.below(2) == 0 {
                nested("[", "]", depth)
            } else {
                nested("{\"a\":", "}", depth)
            };
            each(&splice(line, at, 0, format!("\"deep\":{deep},").as_bytes()));
        }
        each(&splice(
            line,
            at,
            0,
            format!("\"deep\":{},", "[".repeat(10_000)).as_bytes(),
        ));
        each(&splice(line, at, 0, b"\"deep\":[[[]],"));
        each(&splice(line, at, 0, b"\"deep\":[[[]]]],"));
        each(&splice(line, at, 0, b"\"deep\":{]},"));
    }
}

/// Small inputs at the edges: not objects, empty objects, whitespace, nesting right at the
/// limit with the update object itself counted.
fn edge_cases() -> Vec<Vec<u8>> {
    let mut cases: Vec<Vec<u8>> = [
        "",
        " ",
        "{",
        "}",
        "[]",
        "null",
        "true",
        "1",
        "-0",
        "\"s\"",
        "{}",
        " {} ",
        "{}{}",
        "{} x",
        "[{}]",
        "{\"update_id\":1}",
        "{\"update_id\":1,}",
        "{\"update_id\" 1}",
        "{\"update_id\":1 \"poll\":{}}",
        "{,}",
        "{\"update_id\":1,\"poll\":{},}",
        "{\"poll\":{},\"update_id\":2}",
        "{\"update_id\":1,\"message\":{}}",
        "{\"update_id\":1,\"callback_query\":[]}",
        "{\"update_id\":1,\"message\":[1,2]}",
        "\u{feff}{\"update_id\":1,\"poll\":{}}",
        "{\"update_id\":1,\"poll\":{}}\u{0}",
        "\t{\r\"update_id\"\n:\t1 , \"poll\" : [ ] }\n",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    // The update object is the first level: 127 levels in all are allowed, 128 are not.
    for depth in 124..=129 {
        cases.push(
            format!(
                "{{\"update_id\":1,\"poll\":{}}}",
                nested("[", "]", depth - 1)
            )
            .into_bytes(),
        );
        cases.push(
            format!(
                "{{\"update_id\":1,\"message\":{{\"message_id\":1,\"date\":2,\"chat\":{{\"id\":3,\"type\":\"x\"}},\"e\":{}}}}}",
                nested("{\"a\":", "}", depth - 2)
            )
            .into_bytes(),
        );
    }
    cases
}

fn fixture_lines() -> Vec<&'static str> {
    FIXTURE.lines().filter(|l| !l.trim().is_empty()).collect()
}

#[test]
fn the_fixture_is_realistic_and_glances() {
    let lines = fixture_lines();
    assert!(lines.len() >= 40, "{} fixture lines", lines.len());
    let mut kinds = std::collections::BTreeSet::new();
    for line in &lines {
        let g = glance(line.as_bytes()).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert_eq!(
            Some(outcome(Ok(g.clone()))),
            reference(line.as_bytes()),
            "{line}"
        );
        kinds.insert(g.kind.into_owned());
    }
    for kind in [
        "message",
        "edited_message",
        "channel_post",
        "callback_query",
        "inline_query",
        "chosen_inline_result",
        "shipping_query",
        "pre_checkout_query",
        "my_chat_member",
        "poll",
    ] {
        assert!(kinds.contains(kind), "no {kind} in the fixture");
    }
}

#[test]
fn glance_agrees_with_serde_json_on_mutated_updates() {
    let mut tally = Tally::default();
    let mut rng = TestRng(crate::io::SeededRng::new(0x9E37_79B9_7F4A_7C15));
    for input in edge_cases() {
        check(&input, &mut tally);
    }
    for line in fixture_lines() {
        mutations(line.as_bytes(), &mut rng, |input| check(input, &mut tally));
    }
    // The mutations must exercise every branch of the comparison.
    println!("{tally:?}");
    assert!(tally.inputs > 50_000, "{tally:?}");
    assert!(tally.rejected_by_serde > 20_000, "{tally:?}");
    assert!(tally.ok > 3_000, "{tally:?}");
    assert!(tally.json > 500, "{tally:?}");
    assert!(tally.missing > 200, "{tally:?}");
}

#[test]
fn the_reference_checks_what_it_should() {
    // Sanity checks of the reference itself, on cases whose outcome is known.
    let g = |json: &str| reference(json.as_bytes());
    assert_eq!(g("{"), None);
    assert_eq!(g("[]"), Some(Outcome::Json));
    assert_eq!(
        g(r#"{"update_id":1,"poll":{},"message":null}"#),
        Some(Outcome::Glance(Glance {
            update_id: 1,
            kind: "poll".into(),
            flavor: Flavor::Other("poll".into()),
            headline: Headline::Other,
        }))
    );
    assert_eq!(
        g(r#"{"update_id":"1","update_id":2}"#),
        Some(Outcome::NoPayload(2))
    );
    assert_eq!(
        g(r#"{"update_id":1,"message":{"chat":5}}"#),
        Some(Outcome::Json)
    );
    assert_eq!(
        g(r#"{"update_id":1,"callback_query":{"id":"a","from":{"id":2},"data":null}}"#),
        Some(Outcome::Glance(Glance {
            update_id: 1,
            kind: "callback_query".into(),
            flavor: Flavor::CallbackQuery,
            headline: Headline::CallbackQuery {
                id: "a".into(),
                from_id: 2,
                data: None
            },
        }))
    );
    assert_eq!(
        g(r#"{"update_id":1,"inline_query":{"from":{"id":2}}}"#),
        Some(Outcome::MissingField {
            update_id: 1,
            kind: "inline_query".into(),
            field: "id"
        })
    );
    assert_eq!(
        g(r#"{"update_id":1,"inline_query":{"id":"i"}}"#),
        Some(Outcome::MissingField {
            update_id: 1,
            kind: "inline_query".into(),
            field: "from.id"
        })
    );
}
