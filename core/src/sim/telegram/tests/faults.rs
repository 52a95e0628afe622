//! Injected faults.

use serde_json::json;

use super::{Harness, ANA, BO};
use crate::sim::telegram::{Fault, FaultKind, SimReply};

#[test]
fn html_gateway_error_then_normal_service() {
    let mut h = Harness::new();
    h.sim
        .inject_fault(Fault::new(FaultKind::bad_gateway_html()));
    let key = h.start(0, "getMe", json!({}));
    let response = h.response(key);
    assert_eq!(response.status, 502);
    assert_eq!(response.header("content-type"), Some("text/html"));
    assert!(serde_json::from_slice::<serde_json::Value>(&response.body).is_err());
    assert!(String::from_utf8_lossy(&response.body).contains("502 Bad Gateway"));
    h.ok(0, "getMe", json!({}));
    assert_eq!(h.sim.counters().faults_applied, 1);
}

#[test]
fn json_server_errors_with_method_filter_and_count() {
    let mut h = Harness::new();
    h.sim.inject_fault(
        Fault::new(FaultKind::internal_error())
            .on_method("sendMessage")
            .times(2),
    );
    h.ok(0, "getMe", json!({}));
    h.started_chat(0, ANA);
    for _ in 0..2 {
        assert_eq!(
            h.call(0, "SENDMESSAGE", json!({"chat_id": ANA, "text": "x"})),
            (
                500,
                json!({"ok": false, "error_code": 500, "description": "Internal Server Error: restart"})
            )
        );
    }
    assert_eq!(h.sim.pending_faults().count(), 0);
    h.ok(0, "sendMessage", json!({"chat_id": ANA, "text": "x"}));
    assert!(h.sim.transcript().len() == 1);
}

#[test]
fn dropped_requests_are_not_executed_but_dropped_responses_are() {
    let mut h = Harness::unlimited();
    h.started_chat(0, ANA);
    h.sim.inject_fault(Fault::new(FaultKind::DropRequest));
    let key = h.start(
        0,
        "sendMessage",
        json!({"chat_id": ANA, "text": "lost request"}),
    );
    assert_eq!(h.take(key), Some(SimReply::Dropped));
    assert!(h.sim.transcript().is_empty());
    h.sim.inject_fault(Fault::new(FaultKind::DropResponse));
    let key = h.start(
        0,
        "sendMessage",
        json!({"chat_id": ANA, "text": "lost answer"}),
    );
    assert_eq!(h.take(key), Some(SimReply::Dropped));
    // The message was sent even though the bot never heard back: a retry would double it.
    assert_eq!(h.sim.transcript().len(), 1);
    assert_eq!(h.sim.transcript()[0].text.as_deref(), Some("lost answer"));
    assert_eq!(h.sim.counters().dropped, 2);
}

#[test]
fn forced_429_and_409_and_per_chat_403() {
    let mut h = Harness::unlimited();
    h.started_chat(0, ANA);
    h.started_chat(0, BO);
    h.sim.inject_fault(
        Fault::new(FaultKind::TooManyRequests { retry_after: 17 }).on_method("sendMessage"),
    );
    assert_eq!(
        h.call(0, "sendMessage", json!({"chat_id": ANA, "text": "x"})),
        (
            429,
            json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 17", "parameters": {"retry_after": 17}})
        )
    );
    assert_eq!(h.sim.counters().too_many_requests, 1);
    assert_eq!(h.sim.counters().rate_limited, 0);
    h.sim
        .inject_fault(Fault::new(FaultKind::conflict()).on_method("getUpdates"));
    let (status, description) = h.err(0, "getUpdates", json!({}));
    assert_eq!(status, 409);
    assert!(description.starts_with("Conflict: terminated by other getUpdates request"));
    h.sim.inject_fault(
        Fault::new(FaultKind::blocked_by_user())
            .in_chat(BO)
            .times(3),
    );
    h.ok(
        0,
        "sendMessage",
        json!({"chat_id": ANA, "text": "Ana is fine"}),
    );
    assert_eq!(
        h.err(0, "sendMessage", json!({"chat_id": BO, "text": "x"})),
        (403, "Forbidden: bot was blocked by the user".into())
    );
    assert_eq!(h.sim.pending_faults().next().unwrap().times, 2);
    h.sim.clear_faults();
    h.ok(0, "sendMessage", json!({"chat_id": BO, "text": "x"}));
    let custom = FaultKind::ApiError {
        status: 400,
        description: "Bad Request: group chat was upgraded to a supergroup chat".into(),
    };
    h.sim.inject_fault(Fault::new(custom));
    assert_eq!(
        h.err(0, "getMe", json!({})).1,
        "Bad Request: group chat was upgraded to a supergroup chat"
    );
}

#[test]
fn file_downloads_are_never_faulted() {
    let mut h = Harness::new();
    h.sim.inject_fault(Fault::new(FaultKind::DropRequest));
    let request = crate::io::HttpRequest {
        method: crate::io::HttpMethod::Get,
        url: format!("https://api.telegram.org/file/bot{}/x/y", super::TOKEN),
        headers: vec![],
        body: vec![],
        timeout_ms: None,
    };
    assert_eq!(h.call_raw(0, &request).0, 404);
    assert_eq!(h.sim.pending_faults().count(), 1);
}
