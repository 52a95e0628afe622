//! The npm package's hand-written TrueConf declarations (`bindings-wasm/types/trueconf.d.ts`)
//! against the Rust codec: `TrueConfMethods` has exactly the 34 methods and `TrueConfEvents`
//! exactly the 17 events, and for every reference exchange the keys botwire-core writes (a
//! request payload, a result, an event payload) are the keys the declarations give, with
//! every key the declarations require present.

use botwire_core::trueconf::events::{parse_event, CreatedChatKind, ServerEvent};
use botwire_core::trueconf::methods::*;
use botwire_core::trueconf::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

const DTS: &str = include_str!("../../bindings-wasm/types/trueconf.d.ts");
const EXCHANGES: &str = include_str!("fixtures/trueconf/exchanges.jsonl");
const EVENTS: &str = include_str!("fixtures/trueconf/events.jsonl");

// ---------------------------------------------------------------------------------------------
// A reader for the small subset of TypeScript the declarations use
// ---------------------------------------------------------------------------------------------

/// A declared key: its name, whether it is optional, and its type text.
#[derive(Debug, Clone)]
struct Key {
    optional: bool,
    ty: String,
}

/// The body lines of `export interface NAME ... { ... }` that are not comments, and the
/// interface's base (`extends X`).
fn interface(name: &str) -> Option<(Vec<&'static str>, Option<String>)> {
    let head = DTS
        .lines()
        .position(|l| l.starts_with(&format!("export interface {name} ")))?;
    let first = DTS.lines().nth(head).unwrap();
    let base = first
        .split_once(" extends ")
        .map(|(_, rest)| rest.trim_end_matches(" {").trim().to_owned());
    let mut body = Vec::new();
    for line in DTS.lines().skip(head + 1) {
        if line == "}" {
            return Some((body, base));
        }
        let t = line.trim_start();
        if t.starts_with("/**") || t.starts_with('*') {
            continue;
        }
        body.push(line);
    }
    panic!("interface {name} is not closed");
}

/// The keys of an interface (with those of its base), or of an object type alias that has no
/// keys (`Record<string, never>`).
fn keys(name: &str) -> BTreeMap<String, Key> {
    if DTS.contains(&format!("export type {name} = Record<string, never>;")) {
        return BTreeMap::new();
    }
    let (body, base) = interface(name).unwrap_or_else(|| panic!("no interface {name}"));
    let mut out = match base {
        Some(base) => keys(&base),
        None => BTreeMap::new(),
    };
    let mut depth = 0usize;
    for line in body {
        if depth == 0 {
            let t = line.trim_start();
            let (name, rest) = t.split_once(':').expect("a key line");
            let (name, optional) = match name.strip_suffix('?') {
                Some(n) => (n, true),
                None => (name, false),
            };
            assert!(
                name.chars().all(|c| c.is_ascii_alphanumeric()),
                "unexpected key line {t:?}"
            );
            let ty = rest.trim().trim_end_matches(';').to_owned();
            out.insert(name.to_owned(), Key { optional, ty });
        }
        depth += line.matches('{').count();
        depth -= line.matches('}').count();
    }
    out
}

/// `TrueConfMethods`: method name to (params type, result type).
fn methods() -> BTreeMap<String, (String, String)> {
    keys("TrueConfMethods")
        .into_iter()
        .map(|(name, key)| {
            let inner = key
                .ty
                .strip_prefix("{ params: ")
                .and_then(|s| s.strip_suffix(" }"))
                .unwrap_or_else(|| panic!("TrueConfMethods.{name}: {}", key.ty));
            let (params, result) = inner.split_once("; result: ").expect("params; result");
            (name, (params.to_owned(), result.to_owned()))
        })
        .collect()
}

/// Checks the keys of a JSON object against a declared type: no undeclared key, every
/// required key present. `Envelope` stands for its fields plus `type` and `content`.
fn check_object(what: &str, ty: &str, value: &Value) {
    let declared = match ty {
        "Envelope" => {
            let mut k = keys("EnvelopeFields");
            for name in ["type", "content"] {
                k.insert(
                    name.into(),
                    Key {
                        optional: false,
                        ty: String::new(),
                    },
                );
            }
            k
        }
        other => keys(other),
    };
    let obj = value
        .as_object()
        .unwrap_or_else(|| panic!("{what}: not an object: {value}"));
    for key in obj.keys() {
        assert!(
            declared.contains_key(key),
            "{what}: key {key:?} is not declared in {ty}"
        );
    }
    for (key, decl) in &declared {
        assert!(
            decl.optional || obj.contains_key(key),
            "{what}: {ty} requires {key:?}, which botwire-core does not write: {value}"
        );
    }
}

fn check_value(what: &str, ty: &str, value: &Value) {
    if let Some(item) = ty.strip_suffix("[]") {
        let items = value
            .as_array()
            .unwrap_or_else(|| panic!("{what}: not an array"));
        for (i, v) in items.iter().enumerate() {
            check_object(&format!("{what}[{i}]"), item, v);
        }
    } else {
        check_object(what, ty, value);
    }
}

// ---------------------------------------------------------------------------------------------
// The codec side
// ---------------------------------------------------------------------------------------------

/// A request payload as botwire-core writes it (read into the typed request, written back),
/// and the result of a response payload, written as the package hands it on.
type Probe = fn(&Value, &Value) -> (Value, Value);

fn probe<M>(request: &Value, response: &Value) -> (Value, Value)
where
    M: Method + DeserializeOwned,
    M::Response: Serialize,
{
    let typed: M = serde_json::from_value(request.clone())
        .unwrap_or_else(|e| panic!("{}: request does not parse: {e}", M::NAME));
    let result = parse_response::<M>(&response.to_string())
        .unwrap_or_else(|e| panic!("{}: response does not parse: {e}", M::NAME));
    (
        serde_json::to_value(&typed).unwrap(),
        serde_json::to_value(&result).unwrap(),
    )
}

const PROBES: [(&str, Probe); 34] = [
    (Auth::NAME, probe::<Auth>),
    (SendMessage::NAME, probe::<SendMessage>),
    (EditMessage::NAME, probe::<EditMessage>),
    (ForwardMessage::NAME, probe::<ForwardMessage>),
    (RemoveMessage::NAME, probe::<RemoveMessage>),
    (GetMessageById::NAME, probe::<GetMessageById>),
    (GetChatHistory::NAME, probe::<GetChatHistory>),
    (SendChatActivity::NAME, probe::<SendChatActivity>),
    (AnswerCommand::NAME, probe::<AnswerCommand>),
    (SendSurvey::NAME, probe::<SendSurvey>),
    (EditSurvey::NAME, probe::<EditSurvey>),
    (UploadFile::NAME, probe::<UploadFile>),
    (SendFile::NAME, probe::<SendFile>),
    (GetFileInfo::NAME, probe::<GetFileInfo>),
    (GetFileUploadLimits::NAME, probe::<GetFileUploadLimits>),
    (SubscribeFileProgress::NAME, probe::<SubscribeFileProgress>),
    (
        UnsubscribeFileProgress::NAME,
        probe::<UnsubscribeFileProgress>,
    ),
    (CreateP2PChat::NAME, probe::<CreateP2PChat>),
    (CreateGroupChat::NAME, probe::<CreateGroupChat>),
    (CreateChannel::NAME, probe::<CreateChannel>),
    (CreateFavoritesChat::NAME, probe::<CreateFavoritesChat>),
    (RemoveChat::NAME, probe::<RemoveChat>),
    (GetChats::NAME, probe::<GetChats>),
    (GetChatByID::NAME, probe::<GetChatByID>),
    (EditChatTitle::NAME, probe::<EditChatTitle>),
    (EditChatAvatar::NAME, probe::<EditChatAvatar>),
    (ClearHistory::NAME, probe::<ClearHistory>),
    (AddChatParticipant::NAME, probe::<AddChatParticipant>),
    (RemoveChatParticipant::NAME, probe::<RemoveChatParticipant>),
    (ChangeParticipantRole::NAME, probe::<ChangeParticipantRole>),
    (GetChatParticipants::NAME, probe::<GetChatParticipants>),
    (GetChatParticipant::NAME, probe::<GetChatParticipant>),
    (HasChatParticipant::NAME, probe::<HasChatParticipant>),
    (GetUserDisplayName::NAME, probe::<GetUserDisplayName>),
];

fn frames(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("fixture line is JSON"))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[test]
fn every_method_is_declared() {
    let declared: BTreeSet<String> = methods().into_keys().collect();
    let expected: BTreeSet<String> = METHOD_NAMES.iter().map(|s| s.to_string()).collect();
    let missing: Vec<_> = expected.difference(&declared).collect();
    let unknown: Vec<_> = declared.difference(&expected).collect();
    assert!(
        missing.is_empty(),
        "TrueConfMethods lacks {missing:?} (trueconf.d.ts)"
    );
    assert!(
        unknown.is_empty(),
        "TrueConfMethods has methods the codec does not know: {unknown:?}"
    );
    let probed: Vec<&str> = PROBES.iter().map(|(n, _)| *n).collect();
    assert_eq!(probed, METHOD_NAMES, "this test's table of methods");
}

#[test]
fn every_event_is_declared() {
    let mut expected: BTreeSet<String> = frames(EVENTS)
        .iter()
        .map(|f| f["method"].as_str().expect("event method").to_owned())
        .collect();
    for kind in [
        CreatedChatKind::P2P,
        CreatedChatKind::Group,
        CreatedChatKind::Channel,
        CreatedChatKind::Favorites,
    ] {
        expected.insert(kind.method().to_owned());
    }
    assert_eq!(expected.len(), 17, "the 17 events: {expected:?}");
    let declared: BTreeSet<String> = keys("TrueConfEvents").into_keys().collect();
    assert_eq!(declared, expected, "TrueConfEvents (trueconf.d.ts)");
}

#[test]
fn requests_and_results_have_the_declared_keys() {
    let declared = methods();
    let probes: BTreeMap<&str, Probe> = PROBES.into_iter().collect();
    let frames = frames(EXCHANGES);
    let mut seen = BTreeSet::new();
    for request in frames.iter().filter(|f| f["type"] == 1) {
        let method = request["method"].as_str().expect("request method");
        let response = frames
            .iter()
            .find(|f| f["type"] == 2 && f["id"] == request["id"])
            .unwrap_or_else(|| panic!("no response to {method}"));
        if response["payload"].get("errorCode").and_then(Value::as_i64) > Some(0) {
            continue;
        }
        let (params_ty, result_ty) = &declared[method];
        let (params, result) = probes[method](&request["payload"], &response["payload"]);
        check_value(&format!("{method} params"), params_ty, &params);
        check_value(&format!("{method} result"), result_ty, &result);
        seen.insert(method);
    }
    assert_eq!(seen.len(), 34, "every method has a successful exchange");
}

#[test]
fn event_payloads_have_the_declared_keys() {
    let declared = keys("TrueConfEvents");
    for frame in frames(EVENTS) {
        let method = frame["method"].as_str().unwrap();
        let event = parse_event(method, &frame["payload"].to_string());
        assert!(
            !matches!(event, ServerEvent::Unknown { .. }),
            "{method} does not parse"
        );
        let payload: Value = serde_json::from_str(&event.payload_json()).unwrap();
        check_value(&format!("{method} event"), &declared[method].ty, &payload);
    }
}
