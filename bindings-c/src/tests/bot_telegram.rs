//! A Telegram bot driven through the C functions against the Telegram simulator, in pull
//! mode and in callback mode.

use super::support::*;
use crate::actions::*;
use crate::bot::*;
use crate::botwire_result;
use crate::routes::*;
use crate::types::*;
use serde_json::Value;
use std::ptr;

fn sent_texts(sim: &mut Sim) -> Vec<String> {
    sim.telegram_sim()
        .transcript()
        .iter()
        .filter(|e| e.method == "sendMessage")
        .filter_map(|e| e.text.clone())
        .collect()
}

fn on_command(bot: *mut botwire_bot, name: &str, recorder: &Recorder) {
    let (p, l) = s(name);
    // SAFETY: a live bot, a valid name; the recorder outlives the bot.
    let r = unsafe { botwire_bot_on_command(bot, p, l, Some(record_handler), recorder.userdata()) };
    assert_eq!(r, botwire_result::Ok, "{}", last_error());
}

#[test]
fn a_command_handler_replies_and_completes_in_pull_mode() {
    let mut host = PullHost::new(&telegram_options(""), Sim::telegram());
    let recorder = Recorder::new(Behaviour::ReplyAndComplete, &host.clock);
    on_command(host.bot, "start", &recorder);
    start(host.bot, 0);
    host.sim
        .telegram_sim()
        .user_sends_text(0, TG_USER, TG_USER, "/start a  b")
        .unwrap();
    host.run_until(|h| sent_texts(&mut h.sim).len() == 1);
    assert_eq!(sent_texts(&mut host.sim), ["got: /start a  b"]);

    let handled = recorder.handled.borrow();
    assert_eq!(handled.len(), 1);
    let h = &handled[0];
    assert_eq!(h.kind, botwire_event_kind::Message);
    assert_eq!(h.platform, botwire_platform::Telegram);
    assert_eq!(h.command.as_deref(), Some("start"));
    assert_eq!(h.args, ["a", "b"]);
    assert_eq!(h.rest.as_deref(), Some("a  b"));
    assert_eq!(h.chat_key.as_deref(), Some("telegram:1001"));
    assert_eq!(h.chat_id.as_deref(), Some("1001"));
    assert_eq!(h.user_id.as_deref(), Some("1001"));
    assert!(h.message_id.is_some());
    assert_eq!(h.callback_rest, None);
    let json: Value = serde_json::from_str(&h.json).unwrap();
    assert_eq!(json["platform"], "telegram");
    assert_eq!(json["kind"], "message");
    let raw: Value = serde_json::from_str(&h.raw).unwrap();
    assert!(raw["update_id"].is_i64());
    assert_eq!(raw["message"]["text"], "/start a  b");
    assert_eq!(
        *recorder.results.borrow(),
        [botwire_result::Ok, botwire_result::Ok]
    );

    // The reply's outcome comes out as a call-done output with the sent message.
    host.run_until(|h| h.seen.iter().any(|s| matches!(s, Seen::CallDone { .. })));
    let call_id = recorder.call_ids.borrow()[0];
    let done = host
        .take_seen()
        .into_iter()
        .find_map(|s| match s {
            Seen::CallDone { id, ok, json, .. } => Some((id, ok, json)),
            _ => None,
        })
        .unwrap();
    assert_eq!(done.0, call_id);
    assert!(done.1);
    let message: Value = serde_json::from_str(&done.2.unwrap()).unwrap();
    assert_eq!(message["text"], "got: /start a  b");
}

#[test]
fn router_options_set_how_commands_are_read() {
    let options =
        telegram_options(r#","router":{"prefixes":["!"],"separator":",","ignoreCase":true}"#);
    let mut host = PullHost::new(&options, Sim::telegram());
    let recorder = Recorder::new(Behaviour::ReplyAndComplete, &host.clock);
    on_command(host.bot, "start", &recorder);
    start(host.bot, 0);
    for text in ["/start x", "!START a,,b"] {
        host.sim
            .telegram_sim()
            .user_sends_text(0, TG_USER, TG_USER, text)
            .unwrap();
    }
    host.run_until(|h| sent_texts(&mut h.sim).len() == 1);
    // `/start` is no command with the prefix `!`; `!START` is one, its case ignored.
    let handled = recorder.handled.borrow();
    assert_eq!(handled.len(), 1);
    assert_eq!(handled[0].command.as_deref(), Some("start"));
    assert_eq!(handled[0].args, ["a", "", "b"]);

    for (bad, says) in [
        (r#","router":{"prefixes":[""]}"#, "options.router.prefixes"),
        (r#","router":{"ignorecase":true}"#, "ignorecase"),
    ] {
        let options = telegram_options(bad);
        let (p, l) = s(&options);
        let mut bot = ptr::null_mut();
        // SAFETY: valid options text and out-parameter.
        let r = unsafe { botwire_bot_new(p, l, &mut bot) };
        assert_eq!(r, botwire_result::InvalidOptions);
        assert!(last_error().contains(says), "{}", last_error());
    }
}

#[test]
fn unrouted_events_come_out_and_ids_are_checked() {
    let mut host = PullHost::new(&telegram_options(""), Sim::telegram());
    start(host.bot, 0);
    host.sim
        .telegram_sim()
        .user_sends_text(0, TG_USER, TG_USER, "hello")
        .unwrap();
    host.run_until(|h| h.seen.iter().any(|s| matches!(s, Seen::Dispatch { .. })));
    let (id, event) = host
        .take_seen()
        .into_iter()
        .find_map(|s| match s {
            Seen::Dispatch { id, event } => Some((id, event)),
            _ => None,
        })
        .unwrap();
    let handled = describe(id, event);
    assert_eq!(handled.text.as_deref(), Some("hello"));
    assert_eq!(handled.command, None);
    assert_eq!(
        handled.conversation_key.as_deref(),
        Some("chat:telegram:1001")
    );

    // SAFETY: a live bot; the ids are checked, never trusted.
    unsafe {
        assert_eq!(botwire_bot_complete(host.bot, 1, id), botwire_result::Ok);
        assert_eq!(
            botwire_bot_complete(host.bot, 1, id),
            botwire_result::UnknownDispatch
        );
        assert!(last_error().contains("unknown"), "{}", last_error());
        assert_eq!(
            botwire_bot_fail(host.bot, 1, id, ptr::null(), 0),
            botwire_result::UnknownDispatch
        );
        assert_eq!(
            botwire_bot_complete(host.bot, 1, 987_654),
            botwire_result::UnknownDispatch
        );
        let body = b"{}";
        assert_eq!(
            botwire_bot_handle_http_response(host.bot, 1, 424_242, 200, body.as_ptr(), 2),
            botwire_result::UnknownRequest
        );
        assert_eq!(
            botwire_bot_handle_http_error(host.bot, 1, 424_242, 1),
            botwire_result::UnknownRequest
        );
        assert_eq!(
            botwire_bot_handle_http_error(host.bot, 1, 424_242, 77),
            botwire_result::InvalidParameter
        );
        assert_eq!(
            botwire_bot_handle_ws_opened(host.bot, 1, 1),
            botwire_result::NotSupported
        );
        let frame = "{}";
        assert_eq!(
            botwire_bot_handle_ws_frame(host.bot, 1, 1, frame.as_ptr().cast(), frame.len()),
            botwire_result::NotSupported
        );
    }
    // The bot still works after the refused calls.
    host.sim
        .telegram_sim()
        .user_sends_text(host.now, TG_USER, TG_USER, "again")
        .unwrap();
    host.run_until(|h| h.seen.iter().any(|s| matches!(s, Seen::Dispatch { .. })));
}

#[test]
fn generic_calls_report_results_and_classified_errors() {
    let mut host = PullHost::new(&telegram_options(r#","intake":"none""#), Sim::telegram());
    let mut ids = Vec::new();
    for (method, args, expected) in [
        ("getMe", "", botwire_result::Ok),
        (
            "sendMessage",
            r#"{"chat_id":999999,"text":"nobody"}"#,
            botwire_result::Ok,
        ),
        ("noSuchMethod", "{}", botwire_result::InvalidArguments),
        ("getMe", "{", botwire_result::InvalidJson),
        (
            "sendMessage",
            r#"{"text":"no chat"}"#,
            botwire_result::InvalidArguments,
        ),
    ] {
        let mut id = 0;
        let (m, ml) = s(method);
        // SAFETY: a live bot, valid strings, a writable out-parameter.
        let r = unsafe {
            botwire_bot_call(
                host.bot,
                0,
                m,
                ml,
                args.as_ptr().cast(),
                args.len(),
                &mut id,
            )
        };
        assert_eq!(r, expected, "{method} {args}: {}", last_error());
        if r == botwire_result::Ok {
            assert_ne!(id, 0);
            ids.push(id);
        } else {
            assert_eq!(id, 0, "out-parameters are written only on success");
        }
    }
    host.run_until(|h| {
        h.seen
            .iter()
            .filter(|s| matches!(s, Seen::CallDone { .. }))
            .count()
            == 2
    });
    let dones: Vec<Seen> = host.take_seen();
    let get_me = dones
        .iter()
        .find(|s| matches!(s, Seen::CallDone { id, .. } if *id == ids[0]))
        .unwrap();
    let Seen::CallDone { ok, json, .. } = get_me else {
        unreachable!()
    };
    assert!(ok);
    let me: Value = serde_json::from_str(json.as_deref().unwrap()).unwrap();
    assert_eq!(me["username"], "botwire_bot");
    let failed = dones
        .iter()
        .find(|s| matches!(s, Seen::CallDone { id, .. } if *id == ids[1]))
        .unwrap();
    let Seen::CallDone { ok, error, .. } = failed else {
        unreachable!()
    };
    assert!(!ok);
    let error: Value = serde_json::from_str(error.as_deref().unwrap()).unwrap();
    assert_eq!(error["error_code"], 400, "{error}");
    assert_eq!(error["kind"], "bad_request", "{error}");

    // An action in the runtime's JSON form; a key of another platform is refused.
    let mut id = 0;
    let good = r#"{"action":"typing","chat":"telegram:1001"}"#;
    let bad = r#"{"action":"send","chat":"trueconf:x","text":"a"}"#;
    // SAFETY: a live bot, valid strings, a writable out-parameter.
    unsafe {
        assert_eq!(
            botwire_bot_act(host.bot, 0, good.as_ptr().cast(), good.len(), &mut id),
            botwire_result::Ok
        );
        assert_eq!(
            botwire_bot_act(host.bot, 0, bad.as_ptr().cast(), bad.len(), &mut id),
            botwire_result::InvalidArguments
        );
        let not_action = r#"{"action":"dance"}"#;
        assert_eq!(
            botwire_bot_act(
                host.bot,
                0,
                not_action.as_ptr().cast(),
                not_action.len(),
                &mut id
            ),
            botwire_result::InvalidJson
        );
    }
}

#[test]
fn conversations_count_per_chat_and_expire() {
    let mut host = PullHost::new(
        &telegram_options(r#","conversation":{"per":"chat","idleTimeoutMs":60000}"#),
        Sim::telegram(),
    );
    let recorder = Recorder::new(Behaviour::Count, &host.clock);
    on_command(host.bot, "count", &recorder);
    start(host.bot, 0);
    for n in 1..=3 {
        host.sim
            .telegram_sim()
            .user_sends_text(host.now, TG_USER, TG_USER, "/count")
            .unwrap();
        host.run_until(|h| sent_texts(&mut h.sim).len() == n);
    }
    assert_eq!(
        sent_texts(&mut host.sim),
        ["count: 1", "count: 2", "count: 3"]
    );
    assert!(recorder
        .results
        .borrow()
        .iter()
        .all(|r| *r == botwire_result::Ok));

    // Get, set and leave from outside a handler too.
    let key = "chat:telegram:1001";
    let mut out = botwire_str {
        ptr: ptr::null(),
        len: 0,
    };
    // SAFETY: a live bot, valid strings, writable out-parameters.
    unsafe {
        assert_eq!(
            botwire_bot_conversation_get(host.bot, key.as_ptr().cast(), key.len(), &mut out),
            botwire_result::Ok
        );
        assert_eq!(read(out), "3");
        let not_json = "{oops";
        assert_eq!(
            botwire_bot_conversation_set(
                host.bot,
                host.now,
                key.as_ptr().cast(),
                key.len(),
                not_json.as_ptr().cast(),
                not_json.len()
            ),
            botwire_result::InvalidJson
        );
    }
    // Idle for a minute: the conversation ends with its last state.
    host.run_until(|h| h.seen.iter().any(|s| matches!(s, Seen::Expired { .. })));
    let expired = host
        .take_seen()
        .into_iter()
        .find_map(|s| match s {
            Seen::Expired { key, state } => Some((key, state)),
            _ => None,
        })
        .unwrap();
    assert_eq!(expired, (key.to_owned(), "3".to_owned()));
    let mut was_live = true;
    // SAFETY: as above.
    unsafe {
        assert_eq!(
            botwire_bot_conversation_get(host.bot, key.as_ptr().cast(), key.len(), &mut out),
            botwire_result::Empty
        );
        assert_eq!(
            botwire_bot_conversation_leave(host.bot, key.as_ptr().cast(), key.len(), &mut was_live),
            botwire_result::Ok
        );
    }
    assert!(!was_live);
}

#[test]
fn a_failing_handler_is_retried_then_dead_lettered() {
    let mut host = PullHost::new(
        &telegram_options(r#","dispatch":{"maxAttempts":2,"retryDelayMs":10}"#),
        Sim::telegram(),
    );
    let recorder = Recorder::new(Behaviour::Fail, &host.clock);
    // SAFETY: a live bot; the recorder outlives it.
    let r = unsafe { botwire_bot_on_any(host.bot, Some(record_handler), recorder.userdata()) };
    assert_eq!(r, botwire_result::Ok);
    start(host.bot, 0);
    host.sim
        .telegram_sim()
        .user_sends_text(0, TG_USER, TG_USER, "poison")
        .unwrap();
    host.run_until(|h| {
        h.seen.iter().any(|s| {
            matches!(
                s,
                Seen::Notice {
                    kind: botwire_output_kind::DeadLetter,
                    ..
                }
            )
        })
    });
    let handled = recorder.handled.borrow();
    assert_eq!(handled.len(), 2, "one retry");
    assert_ne!(handled[0].dispatch_id, handled[1].dispatch_id);
    let dead = host
        .take_seen()
        .into_iter()
        .find_map(|s| match s {
            Seen::Notice {
                kind: botwire_output_kind::DeadLetter,
                json,
            } => Some(json),
            _ => None,
        })
        .unwrap();
    let dead: Value = serde_json::from_str(&dead).unwrap();
    assert_eq!(dead["reason"], "boom");
    assert_eq!(dead["attempts"], 2);
}

#[test]
fn buttons_route_by_callback_data_prefix() {
    let mut host = PullHost::new(&telegram_options(""), Sim::telegram());
    let presses = Recorder::new(Behaviour::Defer, &host.clock);
    let (p, l) = s("pick:");
    // SAFETY: a live bot, a valid prefix; the recorder outlives the bot.
    let r = unsafe {
        botwire_bot_on_callback_data(
            host.bot,
            p,
            l,
            true,
            Some(record_handler),
            presses.userdata(),
        )
    };
    assert_eq!(r, botwire_result::Ok);
    start(host.bot, 0);
    // The user writes first (a bot cannot start a private chat); nothing routes it.
    host.sim
        .telegram_sim()
        .user_sends_text(0, TG_USER, TG_USER, "menu?")
        .unwrap();
    host.run_until(|h| h.seen.iter().any(|s| matches!(s, Seen::Dispatch { .. })));
    for seen in host.take_seen() {
        if let Seen::Dispatch { id, .. } = seen {
            // SAFETY: a live bot.
            let result = unsafe { botwire_bot_complete(host.bot, host.now, id) };
            assert_eq!(result, botwire_result::Ok);
        }
    }
    let mut id = 0;
    let chat = "telegram:1001";
    let text = "Choose";
    let options = r#"{"keyboard":[[{"text":"A","data":"pick:a"}]]}"#;
    // SAFETY: a live bot, valid strings, a writable out-parameter.
    let r = unsafe {
        botwire_bot_send_text(
            host.bot,
            0,
            chat.as_ptr().cast(),
            chat.len(),
            text.as_ptr().cast(),
            text.len(),
            options.as_ptr().cast(),
            options.len(),
            &mut id,
        )
    };
    assert_eq!(r, botwire_result::Ok, "{}", last_error());
    host.run_until(|h| sent_texts(&mut h.sim) == ["Choose"]);
    let message = host
        .sim
        .telegram_sim()
        .transcript()
        .iter()
        .find(|e| e.method == "sendMessage")
        .and_then(|e| e.message_id)
        .unwrap();
    host.sim
        .telegram_sim()
        .user_presses_button(host.now, TG_USER, TG_USER, message, "pick:a")
        .unwrap();
    host.run_until(|_| !presses.handled.borrow().is_empty());
    let press = presses.handled.borrow()[0].clone();
    assert_eq!(press.kind, botwire_event_kind::ButtonPress);
    assert_eq!(press.callback_rest.as_deref(), Some("a"));
    let query = press.query_id.clone().unwrap();
    // The deferred handler finishes later: answer the press, then complete.
    let note = "picked";
    // SAFETY: a live bot, valid strings; the event is alive until the dispatch completes.
    unsafe {
        assert_eq!(
            botwire_bot_answer_callback(
                host.bot,
                host.now,
                query.as_ptr().cast(),
                query.len(),
                note.as_ptr().cast(),
                note.len(),
                false,
                &mut id
            ),
            botwire_result::Ok
        );
        assert_eq!(
            field(press.event, crate::event::botwire_event_callback_data).as_deref(),
            Some("pick:a")
        );
        assert_eq!(
            botwire_bot_complete(host.bot, host.now, press.dispatch_id),
            botwire_result::Ok
        );
    }
    host.run_until(|h| {
        h.sim
            .telegram_sim()
            .transcript()
            .iter()
            .any(|e| e.method == "answerCallbackQuery")
    });
}

#[test]
fn callback_mode_runs_reentrant_handlers_and_host_storage() {
    let host = CallbackHost::new(
        &telegram_options(r#","conversation":{"idleTimeoutMs":60000}"#),
        Sim::telegram(),
        true,
    );
    let counter = Recorder::new(Behaviour::Count, &host.now);
    let twice = Recorder::new(Behaviour::CompleteTwice, &host.now);
    let echo = Recorder::new(Behaviour::ReplyAndComplete, &host.now);
    on_command(host.bot(), "count", &counter);
    on_command(host.bot(), "twice", &twice);
    let (p, l) = s(r"^echo (?<what>\w+)");
    // SAFETY: a live bot, a valid pattern; the recorder outlives the bot.
    let r = unsafe {
        botwire_bot_on_text(
            host.bot(),
            p,
            l,
            false,
            Some(record_handler),
            echo.userdata(),
        )
    };
    assert_eq!(r, botwire_result::Ok);
    start(host.bot(), 0);
    // Long polling armed a timer through set_timer (the poll's transport timeout or the
    // simulator's hold).
    let sim = |h: &CallbackHost, text: &str| {
        h.sim
            .borrow_mut()
            .telegram_sim()
            .user_sends_text(h.now.get(), TG_USER, TG_USER, text)
            .unwrap();
    };
    sim(&host, "/count");
    host.run_until(|h| sent_texts(&mut h.sim.borrow_mut()).len() == 1);
    sim(&host, "/count");
    host.run_until(|h| sent_texts(&mut h.sim.borrow_mut()).len() == 2);
    sim(&host, "echo hi");
    host.run_until(|h| sent_texts(&mut h.sim.borrow_mut()).len() == 3);
    sim(&host, "/twice");
    host.run_until(|_| !twice.handled.borrow().is_empty());
    assert_eq!(
        sent_texts(&mut host.sim.borrow_mut()),
        ["count: 1", "count: 2", "got: echo hi"]
    );
    assert_eq!(echo.handled.borrow()[0].capture.as_deref(), Some("hi"));
    assert_eq!(
        *twice.results.borrow(),
        [botwire_result::Ok, botwire_result::UnknownDispatch]
    );

    // The conversation state lives in the host's storage; storage callbacks cannot call
    // into their bot.
    let stored = host
        .storage
        .borrow()
        .get("conv/chat:telegram:1001")
        .cloned();
    let stored = stored.expect("stored through the callbacks");
    assert!(stored.ends_with(b"2"), "{stored:?}");
    let refused = host.reentrant_from_storage.borrow().clone();
    assert!(!refused.is_empty());
    assert!(refused.iter().all(|r| *r == botwire_result::ReentrantCall));
    // Every call's outcome arrived through call_done.
    host.run_until(|h| h.calls.borrow().len() == 3);
    assert!(host
        .calls
        .borrow()
        .iter()
        .all(|c| matches!(c, Seen::CallDone { ok: true, .. })));
    assert_ne!(host.timer.get(), BOTWIRE_NO_TIMER);

    // A restarted bot finds the conversation in the same storage.
    let restarted = CallbackHost::new(&telegram_options(""), Sim::telegram(), true);
    *restarted.storage.borrow_mut() = host.storage.borrow().clone();
    let mut count = 0;
    let key = "chat:telegram:1001";
    let mut out = botwire_str {
        ptr: ptr::null(),
        len: 0,
    };
    // SAFETY: a live bot and writable out-parameters.
    unsafe {
        assert_eq!(
            botwire_bot_conversations_restore(restarted.bot(), 10, &mut count),
            botwire_result::Ok,
            "{}",
            last_error()
        );
        assert_eq!(count, 1);
        assert_eq!(
            botwire_bot_conversation_get(restarted.bot(), key.as_ptr().cast(), key.len(), &mut out),
            botwire_result::Ok
        );
        assert_eq!(read(out), "2");
        assert_eq!(
            botwire_bot_conversations_restore(restarted.bot(), 10, &mut count),
            botwire_result::WrongState
        );
    }

    // Graceful stop: the stopped notice arrives through the notice callback.
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
    let mut stopped = false;
    // SAFETY: a live bot, a writable out-parameter.
    unsafe { botwire_bot_is_stopped(host.bot(), &mut stopped) };
    assert!(stopped);
}

#[test]
fn callback_mode_with_late_answers_and_a_deferred_handler() {
    let host = CallbackHost::new(
        &telegram_options(r#","dispatch":{"handlerTimeoutMs":0}"#),
        Sim::telegram(),
        false,
    );
    host.answer_inline.set(false);
    let deferred = Recorder::new(Behaviour::Defer, &host.now);
    // SAFETY: a live bot; the recorder outlives it.
    let r = unsafe { botwire_bot_on_any(host.bot(), Some(record_handler), deferred.userdata()) };
    assert_eq!(r, botwire_result::Ok);
    start(host.bot(), 0);
    for text in ["one", "two"] {
        host.sim
            .borrow_mut()
            .telegram_sim()
            .user_sends_text(host.now.get(), TG_USER, TG_USER, text)
            .unwrap();
    }
    host.run_until(|_| !deferred.handled.borrow().is_empty());
    // Per-chat order: "two" waits until "one" is completed.
    for _ in 0..3 {
        host.step();
    }
    assert_eq!(deferred.handled.borrow().len(), 1);
    let first = deferred.handled.borrow()[0].clone();
    assert_eq!(first.text.as_deref(), Some("one"));
    // SAFETY: a live bot.
    unsafe {
        assert_eq!(
            botwire_bot_complete(host.bot(), host.now.get(), first.dispatch_id),
            botwire_result::Ok
        )
    };
    host.run_until(|_| deferred.handled.borrow().len() == 2);
    assert_eq!(deferred.handled.borrow()[1].text.as_deref(), Some("two"));
}

#[test]
fn storage_failures_are_reported_and_change_nothing() {
    let host = CallbackHost::new(&telegram_options(""), Sim::telegram(), true);
    let key = "chat:telegram:1001";
    let (one, two) = ("1", "2");
    let set = |state: &str| {
        // SAFETY: a live bot and valid strings.
        unsafe {
            botwire_bot_conversation_set(
                host.bot(),
                0,
                key.as_ptr().cast(),
                key.len(),
                state.as_ptr().cast(),
                state.len(),
            )
        }
    };
    assert_eq!(set(one), botwire_result::Ok);
    host.fail_puts.set(true);
    assert_eq!(set(two), botwire_result::StorageFailed);
    assert!(last_error().contains("put"), "{}", last_error());
    host.fail_puts.set(false);
    let mut out = botwire_str {
        ptr: ptr::null(),
        len: 0,
    };
    // SAFETY: a live bot, a valid key, a writable out-parameter.
    let r = unsafe {
        botwire_bot_conversation_get(host.bot(), key.as_ptr().cast(), key.len(), &mut out)
    };
    assert_eq!(r, botwire_result::Ok);
    assert_eq!(read(out), "1");
    // Storage callbacks cannot be swapped while a conversation is live.
    let mut table = unsafe_zeroed_table();
    table.version = BOTWIRE_IO_CALLBACKS_VERSION;
    // SAFETY: a live bot and a readable table.
    let r = unsafe { botwire_bot_set_callbacks(host.bot(), &table) };
    assert_eq!(r, botwire_result::WrongState);
    // Registering the host's store again (say, with another function) is fine.
    host.change_table(|t| t.ws_ping = None);
}

fn unsafe_zeroed_table() -> crate::callbacks::botwire_io_callbacks {
    // SAFETY: every field of the table may be zero (NULL functions, NULL userdata).
    unsafe { std::mem::zeroed() }
}

unsafe extern "C" fn freeing_handler(
    userdata: *mut std::ffi::c_void,
    bot: *mut botwire_bot,
    dispatch_id: u64,
    _event: *const crate::event::botwire_event,
) {
    // Freeing the bot from its own handler is refused (it is in use), polling works.
    // SAFETY: the library passes its live bot.
    unsafe {
        botwire_bot_free(bot);
        let mut output = ptr::null();
        let polled = botwire_bot_poll_output(bot, &mut output);
        let completed = botwire_bot_complete(bot, 0, dispatch_id);
        let results = &*userdata.cast::<std::cell::RefCell<Vec<botwire_result>>>();
        *results.borrow_mut() = vec![polled, completed];
    }
}

#[test]
fn a_handler_cannot_free_its_bot() {
    let mut host = PullHost::new(&telegram_options(""), Sim::telegram());
    let results = std::cell::RefCell::new(Vec::new());
    // SAFETY: a live bot; `results` outlives it.
    let r = unsafe {
        botwire_bot_on_any(
            host.bot,
            Some(freeing_handler),
            ptr::from_ref(&results).cast_mut().cast(),
        )
    };
    assert_eq!(r, botwire_result::Ok);
    start(host.bot, 0);
    host.sim
        .telegram_sim()
        .user_sends_text(0, TG_USER, TG_USER, "hi")
        .unwrap();
    host.run_until(|_| results.borrow().len() == 2);
    let results = results.borrow();
    assert_eq!(results[1], botwire_result::Ok);
    assert!(matches!(
        results[0],
        botwire_result::Ok | botwire_result::Empty
    ));
}

#[test]
fn the_dispatch_callback_gets_what_no_route_matches() {
    let host = CallbackHost::new(&telegram_options(""), Sim::telegram(), false);
    host.change_table(|t| t.dispatch = Some(cb_dispatch));
    let echo = Recorder::new(Behaviour::ReplyAndComplete, &host.now);
    on_command(host.bot(), "echo", &echo);
    start(host.bot(), 0);
    for text in ["/echo x", "plain", "/other"] {
        host.sim
            .borrow_mut()
            .telegram_sim()
            .user_sends_text(host.now.get(), TG_USER, TG_USER, text)
            .unwrap();
    }
    host.run_until(|h| h.dispatched.borrow().len() == 2);
    assert_eq!(echo.handled.borrow().len(), 1);
    assert_eq!(
        *host.dispatched.borrow(),
        [Some("plain".to_owned()), Some("/other".to_owned())]
    );
    // Nothing was left for the pull queue.
    let mut output = ptr::null();
    // SAFETY: a live bot and a writable out-parameter.
    let r = unsafe { botwire_bot_poll_output(host.bot(), &mut output) };
    assert_eq!(r, botwire_result::Empty);
}
