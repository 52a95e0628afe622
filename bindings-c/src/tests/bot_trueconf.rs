//! A TrueConf bot driven through the C functions against the TrueConf simulator (HTTP
//! login, WebSocket session), in pull mode and in callback mode.

use super::support::*;
use crate::actions::*;
use crate::bot::*;
use crate::botwire_result;
use crate::routes::*;
use crate::types::*;
use serde_json::Value;

fn bot_texts(sim: &mut Sim) -> Vec<String> {
    let bot = TcConfigLogin::login();
    sim.trueconf_sim()
        .transcript()
        .iter()
        .filter(|e| e.method == "sendMessage" && e.author.starts_with(&bot))
        .filter_map(|e| e.text.clone())
        .collect()
}

struct TcConfigLogin;

impl TcConfigLogin {
    fn login() -> String {
        botwire_core::sim::trueconf::SimConfig::default().bot.login
    }
}

fn connected(notices: &[Seen]) -> bool {
    notices.iter().any(|n| match n {
        Seen::Notice { json, .. } => json.contains("\"connected\""),
        _ => false,
    })
}

#[test]
fn a_trueconf_bot_answers_in_pull_mode() {
    let mut host = PullHost::new(&trueconf_options(""), Sim::trueconf());
    let recorder = Recorder::new(Behaviour::ReplyAndComplete, &host.clock);
    // SAFETY: a live bot; the recorder outlives it.
    let r = unsafe {
        botwire_bot_on(
            host.bot,
            botwire_event_kind::Message as u32,
            std::ptr::null(),
            0,
            Some(record_handler),
            recorder.userdata(),
        )
    };
    assert_eq!(r, botwire_result::Ok);
    let mut platform = botwire_platform::Other;
    // SAFETY: a live bot and writable out-parameters.
    unsafe {
        assert_eq!(
            botwire_bot_platform(host.bot, &mut platform),
            botwire_result::Ok
        );
        assert_eq!(botwire_bot_start(host.bot, 0), botwire_result::Ok);
    }
    assert_eq!(platform, botwire_platform::Trueconf);
    host.run_until(|h| connected(&h.seen));
    host.sim
        .trueconf_sim()
        .user_sends_text(host.now, "alice", None, "hello")
        .unwrap();
    host.run_until(|h| bot_texts(&mut h.sim).len() == 1);
    assert_eq!(bot_texts(&mut host.sim), ["got: hello"]);
    let handled = recorder.handled.borrow()[0].clone();
    assert_eq!(handled.platform, botwire_platform::Trueconf);
    assert_eq!(handled.kind, botwire_event_kind::Message);
    assert!(handled
        .chat_key
        .as_deref()
        .unwrap()
        .starts_with("trueconf:"));
    assert!(handled
        .user_key
        .as_deref()
        .unwrap()
        .starts_with("trueconf:alice"));
    let raw: Value = serde_json::from_str(&handled.raw).unwrap();
    assert_eq!(raw["method"], "sendMessage");
    host.run_until(|h| {
        h.seen
            .iter()
            .any(|s| matches!(s, Seen::CallDone { ok: true, .. }))
    });

    // Connection ids are checked, never trusted.
    let frame = r#"{"method":"x"}"#;
    // SAFETY: a live bot and a valid frame.
    unsafe {
        assert_eq!(
            botwire_bot_handle_ws_frame(
                host.bot,
                host.now,
                999,
                frame.as_ptr().cast(),
                frame.len()
            ),
            botwire_result::UnknownConnection
        );
        assert_eq!(
            botwire_bot_handle_ws_opened(host.bot, host.now, 999),
            botwire_result::UnknownConnection
        );
        assert_eq!(
            botwire_bot_handle_ws_pong(host.bot, host.now, 999),
            botwire_result::UnknownConnection
        );
        assert_eq!(
            botwire_bot_handle_ws_closed(host.bot, host.now, 999),
            botwire_result::UnknownConnection
        );
        let mut status = 0;
        let mut body = botwire_str {
            ptr: std::ptr::null(),
            len: 0,
        };
        assert_eq!(
            botwire_bot_handle_webhook(
                host.bot,
                host.now,
                std::ptr::null(),
                0,
                std::ptr::null(),
                0,
                &mut status,
                &mut body
            ),
            botwire_result::NotSupported
        );
        assert_eq!(status, 0);
    }
    // The session carries on.
    host.sim
        .trueconf_sim()
        .user_sends_text(host.now, "alice", None, "again")
        .unwrap();
    host.run_until(|h| bot_texts(&mut h.sim).len() == 2);
}

#[test]
fn a_trueconf_bot_in_callback_mode_calls_methods_by_name() {
    let host = CallbackHost::new(&trueconf_options(""), Sim::trueconf(), false);
    let caller = Recorder::new(Behaviour::Call, &host.now);
    // SAFETY: a live bot; the recorder outlives it.
    let mut caller = caller;
    caller.call = "getChatByID";
    *caller.call_args.borrow_mut() = r#"{"chatId":"$CHAT"}"#.to_owned();
    // SAFETY: a live bot; the recorder outlives it.
    let r = unsafe {
        botwire_bot_on(
            host.bot(),
            botwire_event_kind::Message as u32,
            std::ptr::null(),
            0,
            Some(record_handler),
            caller.userdata(),
        )
    };
    assert_eq!(r, botwire_result::Ok);
    start(host.bot(), 0);
    host.run_until(|h| connected(&h.notices.borrow()));
    host.sim
        .borrow_mut()
        .trueconf_sim()
        .user_sends_text(host.now.get(), "alice", None, "hi")
        .unwrap();
    host.run_until(|h| !h.calls.borrow().is_empty());
    let handled = caller.handled.borrow()[0].clone();
    assert_eq!(
        *caller.results.borrow(),
        [botwire_result::Ok, botwire_result::Ok]
    );
    let calls = host.calls.borrow();
    let Seen::CallDone { id, ok, json, .. } = &calls[0] else {
        unreachable!()
    };
    assert_eq!(*id, caller.call_ids.borrow()[0]);
    assert!(ok);
    let chat: Value = serde_json::from_str(json.as_deref().unwrap()).unwrap();
    assert!(
        chat.to_string()
            .contains(handled.chat_id.as_deref().unwrap()),
        "{chat}"
    );
    drop(calls);

    // A method the server refuses reports a classified error.
    let mut call = 0;
    let method = "getChatByID";
    let args = r#"{"chatId":"no-such-chat"}"#;
    // SAFETY: a live bot, valid strings, a writable out-parameter.
    let r = unsafe {
        botwire_bot_call(
            host.bot(),
            host.now.get(),
            method.as_ptr().cast(),
            method.len(),
            args.as_ptr().cast(),
            args.len(),
            &mut call,
        )
    };
    assert_eq!(r, botwire_result::Ok, "{}", last_error());
    host.run_until(|h| h.calls.borrow().len() == 2);
    let calls = host.calls.borrow();
    let Seen::CallDone { id, ok, error, .. } = &calls[1] else {
        unreachable!()
    };
    assert_eq!(*id, call);
    assert!(!ok);
    let error: Value = serde_json::from_str(error.as_deref().unwrap()).unwrap();
    assert_eq!(error["kind"], "trueconf", "{error}");
    assert!(error["error_code"].is_i64(), "{error}");
    drop(calls);

    // Answering buttons is off by default on TrueConf.
    let query = "q";
    // SAFETY: a live bot, valid strings, a writable out-parameter.
    let r = unsafe {
        botwire_bot_answer_callback(
            host.bot(),
            host.now.get(),
            query.as_ptr().cast(),
            query.len(),
            std::ptr::null(),
            0,
            false,
            &mut call,
        )
    };
    assert_eq!(r, botwire_result::NotSupported);

    // Stop: the session closes its socket, then the stop is reported.
    // SAFETY: a live bot.
    unsafe {
        assert_eq!(
            botwire_bot_stop(host.bot(), host.now.get()),
            botwire_result::Ok
        )
    };
    host.run_until(|h| {
        h.notices.borrow().iter().any(|n| {
            matches!(
                n,
                Seen::Notice {
                    kind: botwire_output_kind::Stopped,
                    ..
                }
            )
        })
    });
}

#[test]
fn keep_alive_pings_go_to_the_host() {
    let host = CallbackHost::new(
        &trueconf_options(r#","keepAliveMs":1000"#),
        Sim::trueconf(),
        false,
    );
    start(host.bot(), 0);
    host.run_until(|h| connected(&h.notices.borrow()));
    host.run_until(|h| h.pings.get() >= 2);
    // Still connected: no disconnect notice.
    assert!(!host
        .notices
        .borrow()
        .iter()
        .any(|n| matches!(n, Seen::Notice { json, .. } if json.contains("disconnected"))));
}

#[test]
fn pings_count_as_answered_when_the_host_has_no_ping_callback() {
    let host = CallbackHost::new(
        &trueconf_options(r#","keepAliveMs":1000"#),
        Sim::trueconf(),
        false,
    );
    host.change_table(|t| t.ws_ping = None);
    start(host.bot(), 0);
    host.run_until(|h| connected(&h.notices.borrow()));
    let connected_at = host.now.get();
    host.run_until(|h| h.now.get() > connected_at + 10_000);
    assert_eq!(host.pings.get(), 0);
    assert!(!host
        .notices
        .borrow()
        .iter()
        .any(|n| matches!(n, Seen::Notice { json, .. } if json.contains("disconnected"))));
}
