//! Updates kept as JSON (`runtime::telegram_json`) against the typed path
//! (`runtime::telegram::event_from_update`): the same event for every update the typed model
//! accepts, over the sample updates and mutations of each of them.

use botwire_core::runtime::model::{Event, EventKind, Payload};
use botwire_core::runtime::telegram::event_from_update;
use botwire_core::runtime::telegram_json::event_from_json;
use botwire_core::telegram::json_update::JsonUpdate;
use botwire_core::telegram::types::{Update, UpdateKind};
use serde_json::{Map, Value};

const SAMPLE: &str = include_str!("fixtures/telegram_updates_sample.jsonl");

/// The event's fields, everything but the payload.
fn head(e: &Event) -> String {
    format!(
        "{:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
        e.platform,
        e.id,
        e.seq,
        e.kind,
        e.platform_kind,
        e.chat,
        e.from,
        e.message,
        e.content_type,
        e.text,
        e.data,
        e.query_id
    )
}

/// Checks one update text; whether the typed model accepted it.
fn check(text: &str) -> bool {
    let lean = JsonUpdate::parse(text).map(event_from_json);
    let typed = serde_json::from_str::<Update>(text);
    match (typed, lean) {
        (Ok(update), Ok(lean)) => {
            let unknown = matches!(update.kind, UpdateKind::Unknown { .. });
            let typed = event_from_update(Box::new(update));
            assert_eq!(head(&typed), head(&lean), "{text}");
            let Payload::TelegramJson(payload) = &lean.payload else {
                panic!("payload {:?}", lean.payload)
            };
            assert_eq!(payload.update.json(), text);
            // An update without a payload is the only typed `Unknown` that is not decoded.
            assert_eq!(
                payload.decoded,
                !(unknown && payload.update.kind.is_empty()),
                "{text}"
            );
            true
        }
        (Ok(update), Err(e)) => panic!("the typed model reads {update:?}, JSON intake fails: {e}"),
        (Err(_), Ok(lean)) => {
            // More tolerant than the typed model: either the event could be read, or it is an
            // undecoded unknown event; never a panic, and the id is kept.
            let Payload::TelegramJson(payload) = &lean.payload else {
                panic!("payload {:?}", lean.payload)
            };
            assert_eq!(lean.seq, Some(payload.update.update_id));
            if !payload.decoded {
                assert_eq!(lean.kind, EventKind::Unknown, "{text}");
                assert!(lean.chat.is_none() && lean.from.is_none(), "{text}");
            }
            false
        }
        (Err(_), Err(_)) => false,
    }
}

fn samples() -> Vec<Value> {
    SAMPLE
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("sample line is JSON"))
        .collect()
}

#[test]
fn every_sample_update_gives_the_typed_event() {
    let samples = samples();
    assert!(samples.len() >= 50);
    for sample in &samples {
        assert!(
            check(&sample.to_string()),
            "typed model refuses sample {sample}"
        );
    }
}

/// Mutations of an object: each field removed, set to null, set to a string, set to an
/// integer, and the same one level down.
fn mutations(object: &Map<String, Value>) -> Vec<Map<String, Value>> {
    let mut out = Vec::new();
    for key in object.keys() {
        let mut removed = object.clone();
        removed.remove(key);
        out.push(removed);
        for replacement in [
            Value::Null,
            Value::from("x"),
            Value::from(7),
            Value::from(false),
        ] {
            let mut changed = object.clone();
            changed.insert(key.clone(), replacement);
            out.push(changed);
        }
        if let Some(Value::Object(inner)) = object.get(key) {
            for m in mutations_shallow(inner) {
                let mut changed = object.clone();
                changed.insert(key.clone(), Value::Object(m));
                out.push(changed);
            }
        }
    }
    out
}

fn mutations_shallow(object: &Map<String, Value>) -> Vec<Map<String, Value>> {
    let mut out = Vec::new();
    for key in object.keys() {
        let mut removed = object.clone();
        removed.remove(key);
        out.push(removed);
        let mut nulled = object.clone();
        nulled.insert(key.clone(), Value::Null);
        out.push(nulled);
    }
    out
}

#[test]
fn mutated_updates_give_the_typed_event_whenever_the_typed_model_reads_them() {
    let (mut agreed, mut tolerated) = (0, 0);
    for sample in samples() {
        let Value::Object(update) = sample else {
            panic!("sample is not an object")
        };
        let kind = update.keys().find(|k| *k != "update_id").cloned();
        let Some(kind) = kind else { continue };
        let Some(Value::Object(payload)) = update.get(&kind) else {
            continue;
        };
        for mutated in mutations(payload) {
            let mut u = update.clone();
            u.insert(kind.clone(), Value::Object(mutated));
            if check(&Value::Object(u).to_string()) {
                agreed += 1;
            } else {
                tolerated += 1;
            }
        }
    }
    // Both outcomes occur: many mutations still fit the model, many do not.
    assert!(agreed > 1000, "{agreed} agreed");
    assert!(tolerated > 1000, "{tolerated} tolerated");
}

#[test]
fn payloads_missing_what_the_event_needs_are_unknown_undecoded_events() {
    for text in [
        r#"{"update_id":1,"message":{"message_id":1,"date":1}}"#,
        r#"{"update_id":1,"message":null}"#,
        r#"{"update_id":1,"callback_query":{"id":"q","chat_instance":"c"}}"#,
        r#"{"update_id":1,"inline_query":{"id":"q","from":{"id":1,"first_name":"A"},"query":""}}"#,
        r#"{"update_id":1}"#,
    ] {
        let event = event_from_json(JsonUpdate::parse(text).unwrap());
        assert_eq!(event.kind, EventKind::Unknown, "{text}");
        let Payload::TelegramJson(p) = &event.payload else {
            panic!()
        };
        assert!(!p.decoded, "{text}");
    }
    // A kind this version does not know is decoded, as an unknown event.
    let event = event_from_json(JsonUpdate::parse(r#"{"update_id":2,"future":{"x":1}}"#).unwrap());
    assert_eq!(
        (event.kind, &*event.platform_kind),
        (EventKind::Unknown, "future")
    );
    assert!(event.payload.telegram_json().unwrap().decoded);
}

#[test]
fn duplicate_message_fields_are_refused_as_by_the_typed_model() {
    for text in [
        r#"{"update_id":1,"message":{"message_id":1,"message_id":2,"date":1,"chat":{"id":1,"type":"private"}}}"#,
        r#"{"update_id":1,"message":{"message_id":1,"date":1,"chat":{"id":1,"type":"private"},"photo":[],"photo":[]}}"#,
    ] {
        assert!(serde_json::from_str::<Update>(text).is_err());
        let event = event_from_json(JsonUpdate::parse(text).unwrap());
        assert!(!event.payload.telegram_json().unwrap().decoded, "{text}");
    }
}

#[test]
fn the_payload_converts_to_the_update_as_json() {
    let text = r#"{"update_id":3,"message":{"message_id":1,"date":1,"chat":{"id":1,"type":"private"},"text":"hi"}}"#;
    let event = event_from_json(JsonUpdate::parse(text).unwrap());
    assert_eq!(
        event.payload.to_json(),
        serde_json::from_str::<Value>(text).unwrap()
    );
    // The event's JSON text carries the update as it arrived, and reads as `to_json`.
    let spliced = event.to_json_text();
    assert!(
        spliced.ends_with(&format!(",\"payload\":{text}}}")),
        "{spliced}"
    );
    assert_eq!(
        serde_json::from_str::<Value>(&spliced).unwrap(),
        event.to_json()
    );
    assert_eq!(event.text.as_deref(), Some("hi"));
    // The same in two parts: the head, and the update as it arrived.
    assert_eq!(event.payload_text(), Some(text));
    let mut joined = serde_json::from_str::<Value>(&event.head_json_text()).unwrap();
    assert!(joined.get("payload").is_none());
    joined["payload"] = serde_json::from_str(text).unwrap();
    assert_eq!(joined, event.to_json());
}
