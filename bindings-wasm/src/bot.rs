//! `WasmBot`, the engine under the JavaScript `Bot` class: the runtime machine, the router,
//! the conversations, and the I/O driver that serves them from the host's event loop.
//!
//! The driver follows the sans-IO contract with the host's primitives: after every input it
//! drains the machine's outputs and keeps one `setTimeout` armed no later than the earliest
//! deadline (no polling; the timer is set again only when the deadline comes earlier or it
//! fired; while nothing waits it is cleared, or in Node unref'd). `Http` outputs become
//! `fetch` calls (gloo-net) with an `AbortController`, so the long poll is aborted at `stop`;
//! `WsOpen` opens a gloo-net WebSocket; `Dispatch` routes the event with the runtime's router
//! and calls the JavaScript dispatcher, whose Promise is awaited (at most the handler
//! timeout) before `complete` or `fail`. With the simulator (`simulator: true`, only in
//! builds with the cargo feature `simulator`, see `simulator.rs`), requests go to an
//! in-memory Telegram Bot API or TrueConf server instead of the network.
//!
//! Browsers cannot send WebSocket pings, so the TrueConf keep-alive is off unless asked for;
//! when it is on, a ping is answered at once (the socket's own close event still reports a
//! dead connection).
//!
//! JavaScript is never called while the engine's state is borrowed: outputs are collected
//! first and acted on afterwards, so a callback may call back into the bot.

use crate::json::trueconf_error_info;
use crate::machine::{act_error_info, action_failure_info, match_info, Machine};
use crate::options::{config_from_json, MachineConfig};
use crate::simulator::Sim;
use botwire_core::io::{ConnId, HttpErrorKind, HttpRequest, RequestId, Timestamp};
use botwire_core::runtime::bot::{BotOutput, TelegramBot};
use botwire_core::runtime::conversation::Conversations;
use botwire_core::runtime::dispatcher::DispatchId;
use botwire_core::runtime::model::{
    Action, Event, EventKind, FileKind, FileUpload, MessageKey, Payload, SendOptions,
};
use botwire_core::runtime::router::{Filter, Route, Router, TextMatch};
use botwire_core::runtime::storage::MemoryStorage;
use botwire_core::runtime::trueconf_bot::TrueConfBot;
use botwire_core::telegram::client;
use botwire_core::trueconf::session::SessionEvent;
use futures::channel::mpsc;
use futures::future::{select, Either};
use futures::{SinkExt, StreamExt};
use js_sys::{Function, Promise};
use serde_json::{json, Value};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::{Rc, Weak};
use std::sync::Arc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
    #[wasm_bindgen(js_namespace = Date, js_name = now)]
    fn date_now() -> f64;
}

#[wasm_bindgen]
extern "C" {
    /// A Node timer (`Timeout`), which can stop and start again keeping the process alive.
    type NodeTimeout;
    #[wasm_bindgen(method, catch, js_name = ref)]
    fn keep_alive(this: &NodeTimeout) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = unref)]
    fn let_go(this: &NodeTimeout) -> Result<JsValue, JsValue>;
}

// The callbacks called on every event and every request, with typed arguments: numbers and
// strings cross as they are, with no JavaScript value made for each of them.
#[wasm_bindgen]
extern "C" {
    /// `dispatch` of [`Callbacks`].
    type DispatchFn;
    #[wasm_bindgen(method, catch, js_name = call)]
    #[allow(clippy::too_many_arguments)]
    fn call(
        this: &DispatchFn,
        this_arg: &JsValue,
        id: f64,
        event: &str,
        payload: Option<&str>,
        handler: Option<u32>,
        attempt: u32,
        conversation_key: Option<&str>,
        match_kind: u32,
        match_text: Option<&str>,
        payload_kept: bool,
    ) -> Result<JsValue, JsValue>;

    /// `done` of [`Callbacks`].
    type DoneFn;
    #[wasm_bindgen(method, catch, js_name = call)]
    fn call(
        this: &DoneFn,
        this_arg: &JsValue,
        id: f64,
        ok: bool,
        text: &str,
    ) -> Result<JsValue, JsValue>;

    /// `settled` of [`Callbacks`].
    type SettledFn;
    #[wasm_bindgen(method, catch, js_name = call)]
    fn call(
        this: &SettledFn,
        this_arg: &JsValue,
        event_id: &str,
        error: Option<&str>,
    ) -> Result<JsValue, JsValue>;

    /// `send` of the transport of [`Callbacks`].
    type SendFn;
    #[wasm_bindgen(method, catch, js_name = call)]
    #[allow(clippy::too_many_arguments)]
    fn call(
        this: &SendFn,
        this_arg: &JsValue,
        id: f64,
        method: &str,
        url: &str,
        headers: &str,
        timeout_ms: Option<f64>,
        body: &[u8],
    ) -> Result<JsValue, JsValue>;
}

/// The longest delay `setTimeout` takes (a longer one fires at once).
const MAX_TIMER_MS: u64 = 0x7fff_ffff;

fn to_js(value: &Value) -> JsValue {
    js_sys::JSON::parse(&value.to_string()).unwrap_or(JsValue::NULL)
}

fn js_error(message: impl AsRef<str>) -> JsValue {
    js_sys::Error::new(message.as_ref()).into()
}

/// The resolve and reject functions of a Promise handed to JavaScript.
struct Pending {
    resolve: Function,
    reject: Function,
}

impl Pending {
    /// A new Promise and its functions.
    fn new() -> (Promise, Pending) {
        let mut slot = None;
        let promise = Promise::new(&mut |resolve, reject| slot = Some((resolve, reject)));
        // The executor runs synchronously inside `new Promise`.
        let (resolve, reject) =
            slot.unwrap_or_else(|| (Function::new_no_args(""), Function::new_no_args("")));
        (promise, Pending { resolve, reject })
    }

    fn resolve(&self, value: &JsValue) {
        let _ = self.resolve.call1(&JsValue::UNDEFINED, value);
    }

    fn reject(&self, value: &JsValue) {
        let _ = self.reject.call1(&JsValue::UNDEFINED, value);
    }
}

/// Cancels its `setTimeout` when dropped, so a finished wait leaves no timer behind (in Node
/// a pending timer would keep the process alive).
struct TimerGuard(JsValue, #[allow(dead_code)] Closure<dyn FnMut()>);

impl Drop for TimerGuard {
    fn drop(&mut self) {
        clear_timeout(&self.0);
    }
}

/// A future that completes after `ms`, and the guard that cancels it.
fn sleep(ms: u64) -> (JsFuture, TimerGuard) {
    let mut slot = None;
    let promise = Promise::new(&mut |resolve, _| slot = Some(resolve));
    let resolve = slot.unwrap_or_else(|| Function::new_no_args(""));
    let closure = Closure::<dyn FnMut()>::new(move || {
        let _ = resolve.call0(&JsValue::UNDEFINED);
    });
    let handle = set_timeout(
        closure.as_ref().unchecked_ref(),
        ms.min(MAX_TIMER_MS) as f64,
    );
    (JsFuture::from(promise), TimerGuard(handle, closure))
}

thread_local! {
    /// JavaScript's text tests (`(test, text) => null | [groups, named]`), set once by the
    /// package: regex routes match with JavaScript's `RegExp`, as JavaScript users write them
    /// (and the module carries no regex engine).
    static TEXT_TESTER: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Sets the function that runs the package's text tests: `(test, text)` returns `null` when
/// test number `test` does not match `text`, else `[groups, named]` (`groups`: the match and
/// its groups, strings or `undefined`; `named`: `[name, value]` pairs).
#[wasm_bindgen(js_name = setTextTester)]
pub fn set_text_tester(tester: Function) {
    TEXT_TESTER.with(|t| *t.borrow_mut() = Some(tester));
}

/// The route test that runs JavaScript test `test`.
fn host_test(test: u32) -> impl Fn(&str) -> Option<TextMatch> + Send + Sync + 'static {
    move |text| {
        let found = TEXT_TESTER.with(|t| {
            let tester = t.borrow().clone()?;
            tester
                .call2(&JsValue::UNDEFINED, &test.into(), &JsValue::from_str(text))
                .ok()
        })?;
        if found.is_null() || found.is_undefined() {
            return None;
        }
        let parts = js_sys::Array::from(&found);
        let groups = js_sys::Array::from(&parts.get(0))
            .iter()
            .map(|g| g.as_string())
            .collect();
        let named = js_sys::Array::from(&parts.get(1))
            .iter()
            .filter_map(|pair| {
                let pair = js_sys::Array::from(&pair);
                Some((pair.get(0).as_string()?, pair.get(1).as_string()))
            })
            .collect();
        Some(TextMatch { groups, named })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RunState {
    Idle,
    Running,
    Stopping,
    Stopped,
}

#[derive(Default)]
struct Callbacks {
    /// `dispatch(id, eventJson, payloadText, handler, attempt, conversationKey, matchKind,
    /// matchText, payloadKept)`: runs the handler, which reports back with `complete(id)` or
    /// `fail(id, reason)`. The event is the JSON text of an array of its fields
    /// ([`head_array`]); its payload comes apart as JSON text, or, with `payloadKept`, is not
    /// sent at all: it is the text of the `handleUpdate` call under way, which JavaScript
    /// holds. `handler`
    /// is the matched route's handler (`undefined`: none); `matchKind` and `matchText` are what
    /// the route extracted (see `MatchDetail::parts`).
    dispatch: Option<Function>,
    error: Option<Function>,
    notice: Option<Function>,
    idle: Option<Function>,
    /// `done(actionId, ok, json)`: an action's result (JSON text) or error description.
    done: Option<Function>,
    /// `settled(eventId, errorJson)`: the `handleUpdate` of an event settled (`errorJson`
    /// undefined) or was refused.
    settled: Option<Function>,
    /// A JavaScript transport in place of `fetch`: `send(id, method, url, headers, timeoutMs,
    /// body)` (see `send_to_transport`) and `abort(id)`; answers come back through
    /// `httpResponse` / `httpError`.
    http: Option<(Function, Function)>,
}

struct Core {
    machine: Machine,
    sim: Option<Sim>,
    router: Router<u32>,
    conversations: Conversations<MemoryStorage>,
    handler_timeout_ms: Option<u64>,
    origin: f64,
    state: RunState,
    callbacks: Callbacks,
    /// Actions awaited by JavaScript, by action id, with the method for error reports.
    actions: HashMap<u64, Option<String>>,
    /// Events handed to JavaScript handlers, by dispatch id.
    running: HashMap<u64, Arc<Event>>,
    http: HashMap<u64, web_sys::AbortController>,
    sockets: HashMap<u64, mpsc::UnboundedSender<String>>,
    start_waiters: Vec<Pending>,
    stop_waiters: Vec<Pending>,
    /// Telegram: the secret token `handleUpdate` delivers with (`None`: it cannot).
    update_intake: Option<Option<String>>,
    /// Telegram: whether HTTP webhook deliveries are accepted.
    http_webhook: bool,
    /// Events `handleUpdate` waits for (JavaScript keeps the promises), by event id.
    update_waiters: HashSet<String>,
    /// The update `handleUpdate` (or a webhook delivery waited for) is handing in right now.
    fresh: Fresh,
    /// JavaScript has middleware (`bot.use`), which sees every event, routed or not.
    middleware: bool,
    /// The armed timer: its deadline, its handle, and whether it keeps the process alive (a
    /// Node timer is unref'd while nothing waits, see `arm_timer`).
    timer: Option<(Timestamp, JsValue, bool)>,
    timer_closure: Option<Closure<dyn FnMut()>>,
}

impl Core {
    fn now(&self) -> Timestamp {
        let elapsed = performance_now() - self.origin;
        if elapsed.is_finite() && elapsed > 0.0 {
            elapsed as Timestamp
        } else {
            0
        }
    }

    /// Takes the machine's outputs. With the simulator, requests are answered here, in a loop
    /// until neither side has anything left.
    fn drain(&mut self) -> Vec<BotOutput> {
        // Only the simulator needs the time here.
        let now = if self.sim.is_some() { self.now() } else { 0 };
        let mut outputs = Vec::new();
        loop {
            while let Some(out) = self.machine.poll_output() {
                let out = match &mut self.sim {
                    Some(sim) => sim.serve(&mut self.machine, now, out),
                    None => Some(out),
                };
                outputs.extend(out);
            }
            let answered = match &mut self.sim {
                Some(sim) => sim.answer(&mut self.machine, now),
                None => false,
            };
            if !answered {
                return outputs;
            }
        }
    }

    fn next_deadline(&self) -> Option<Timestamp> {
        let running = matches!(self.state, RunState::Running | RunState::Stopping);
        [
            self.machine.poll_timeout(),
            self.conversations.poll_timeout().filter(|_| running),
            self.sim.as_ref().and_then(|s| s.next_event()),
        ]
        .into_iter()
        .flatten()
        .min()
    }
}

type Shared = Rc<RefCell<Core>>;

/// Drains the machine and acts on its outputs until it has none, then arms the timer.
fn pump(core: &Shared) {
    // Bounded: every round acts on outputs the machine produced; a machine that produced
    // outputs forever would be a core bug, and the bound keeps the page responsive then.
    for _ in 0..10_000 {
        let outputs = core.borrow_mut().drain();
        if outputs.is_empty() {
            break;
        }
        for out in outputs {
            act_on(core, out);
        }
    }
    arm_timer(core);
}

fn arm_timer(core: &Shared) {
    let mut c = core.borrow_mut();
    let Some(at) = c.next_deadline() else {
        // Nothing waits. A Node timer stays, unref'd so that it keeps no process alive: the
        // next deadline probably comes soon and takes it back (cheaper than a new timer). Any
        // other timer is cleared.
        if let Some((_, handle, alive)) = &mut c.timer {
            if !*alive {
                return;
            }
            if handle.is_object() && handle.unchecked_ref::<NodeTimeout>().let_go().is_ok() {
                *alive = false;
                return;
            }
            clear_timeout(handle);
            c.timer = None;
        }
        return;
    };
    if let Some((armed, handle, alive)) = &mut c.timer {
        // A timer armed for this deadline or an earlier one stays: one that fires before the
        // deadline finds nothing due, and the pump after it arms the timer again. (Most inputs
        // move the deadline later; clearing and setting a timer for each would cost more.)
        if *armed <= at {
            if !*alive {
                // Only a Node timer is ever left unref'd.
                let _ = handle.unchecked_ref::<NodeTimeout>().keep_alive();
                *alive = true;
            }
            return;
        }
    }
    if let Some((_, handle, _)) = c.timer.take() {
        clear_timeout(&handle);
    }
    // One millisecond late rather than early: a timer that fires before the deadline does
    // nothing and must be armed again.
    let delay = at
        .saturating_sub(c.now())
        .saturating_add(1)
        .min(MAX_TIMER_MS);
    let handle = match &c.timer_closure {
        Some(closure) => set_timeout(closure.as_ref().unchecked_ref(), delay as f64),
        None => return,
    };
    c.timer = Some((at, handle, true));
}

/// The update being handed in right now, by `handleUpdate` or a webhook delivery waited for.
/// A handler that runs during that call may hand in another: the inner call saves this and
/// puts it back ([`HandIn`]).
#[derive(Default)]
struct Fresh {
    /// Its id (to tell its drop notice and its settling apart).
    update: Option<i64>,
    /// JavaScript keeps its text: the event made of it goes to JavaScript without its payload
    /// (which is that text).
    kept: bool,
    /// It was dropped (a repeat, or too old), or settled before the call returned.
    settled: bool,
}

/// A hand-in in progress: [`begin_wait`] starts it, [`WasmBot::wait_key`] ends it.
struct HandIn {
    update_id: i64,
    /// The update was waited for already (a repeated delivery of one still being handled).
    was_waiting: bool,
    /// The hand-in this one happens inside of, if any.
    outer: Fresh,
}

/// Starts waiting for accepted update `update_id`, handed in now: its settling during the
/// pump that follows is noticed. `kept`: JavaScript keeps the update's text (see
/// [`Fresh::kept`]).
fn begin_wait(c: &mut Core, update_id: i64, kept: bool) -> HandIn {
    let was_waiting = !c.update_waiters.insert(update_id.to_string());
    let fresh = Fresh {
        update: Some(update_id),
        kept,
        settled: false,
    };
    HandIn {
        update_id,
        was_waiting,
        outer: std::mem::replace(&mut c.fresh, fresh),
    }
}

fn on_timer(core: &Shared) {
    let (expired, idle) = {
        let mut c = core.borrow_mut();
        c.timer = None;
        let now = c.now();
        c.machine.handle_timeout(now);
        if let Some(sim) = &mut c.sim {
            sim.advance(now);
        }
        let mut expired = Vec::new();
        if matches!(c.state, RunState::Running | RunState::Stopping) {
            let _ = c.conversations.handle_timeout(now);
            while let Some(e) = c.conversations.poll_expired() {
                let state = e
                    .state_json::<Value>()
                    .ok()
                    .flatten()
                    .unwrap_or(Value::Null);
                expired.push((e.key, state));
            }
        }
        (expired, c.callbacks.idle.clone())
    };
    if let Some(idle) = idle {
        for (key, state) in expired {
            let _ = idle.call2(&JsValue::UNDEFINED, &key.into(), &to_js(&state));
        }
    }
    pump(core);
}

fn report_error(core: &Shared, info: &Value) {
    let callback = core.borrow().callbacks.error.clone();
    if let Some(f) = callback {
        let _ = f.call1(&JsValue::UNDEFINED, &to_js(info));
    }
}

fn report_notice(core: &Shared, info: &Value) {
    let callback = core.borrow().callbacks.notice.clone();
    if let Some(f) = callback {
        let _ = f.call1(&JsValue::UNDEFINED, &to_js(info));
    }
}

fn fail_start(core: &Shared, info: &Value) {
    let waiters = std::mem::take(&mut core.borrow_mut().start_waiters);
    let value = to_js(info);
    for w in waiters {
        w.reject(&value);
    }
}

fn act_on(core: &Shared, out: BotOutput) {
    match out {
        BotOutput::Http { id, request } => {
            let transport = core.borrow().callbacks.http.clone();
            match transport {
                Some((send, _)) => send_to_transport(core, &send, id, &request),
                None => start_http(core, id, request),
            }
        }
        BotOutput::Abort { id } => {
            let (controller, transport) = {
                let c = core.borrow();
                (c.http.get(&id.0).cloned(), c.callbacks.http.clone())
            };
            if let Some(controller) = controller {
                controller.abort();
            } else if let Some((_, abort)) = transport {
                let _ = abort.call1(&JsValue::UNDEFINED, &(id.0 as f64).into());
            }
        }
        BotOutput::WsOpen {
            conn,
            url,
            protocols,
        } => open_socket(core, conn, url, protocols),
        BotOutput::WsSend { conn, text } => {
            let sender = core.borrow().sockets.get(&conn.0).cloned();
            if let Some(sender) = sender {
                let _ = sender.unbounded_send(text);
            }
        }
        BotOutput::WsPing { conn } => {
            let mut c = core.borrow_mut();
            let now = c.now();
            let _ = c.machine.ws_pong(now, conn);
        }
        BotOutput::WsClose { conn } => {
            // Dropping the sender ends the socket's task, which closes the socket.
            core.borrow_mut().sockets.remove(&conn.0);
        }
        BotOutput::Dispatch { id, event, attempt } => dispatch(core, id, event, attempt),
        BotOutput::DeadLetter(dead) => {
            report_error(
                core,
                &json!({
                    "kind": "dead_letter",
                    "message": format!(
                        "event {} failed {} times: {}",
                        dead.event.id, dead.attempts, dead.reason
                    ),
                    "attempts": dead.attempts,
                    "reason": dead.reason,
                    "event": dead.event.to_json_untyped(),
                }),
            );
            settle_update(core, &dead.event.id);
        }
        BotOutput::ActionDone { id, result } => {
            let (method, done) = {
                let mut c = core.borrow_mut();
                (c.actions.remove(&id.0), c.callbacks.done.clone())
            };
            if let (Some(method), Some(done)) = (method, done) {
                let (ok, text) = match result {
                    Ok(json) => (true, json),
                    Err(failure) => (
                        false,
                        action_failure_info(&failure, method.as_deref()).to_string(),
                    ),
                };
                let done: &DoneFn = done.unchecked_ref();
                let _ = done.call(&JsValue::UNDEFINED, id.0 as f64, ok, &text);
            }
        }
        BotOutput::Notice(notice) => on_notice(core, notice),
        BotOutput::TrueConf(event) => on_session_event(core, event),
        BotOutput::Stopped { offset } => {
            let waiters = {
                let mut c = core.borrow_mut();
                c.state = RunState::Stopped;
                std::mem::take(&mut c.stop_waiters)
            };
            let value = to_js(&json!({ "offset": offset }));
            for w in waiters {
                w.resolve(&value);
            }
            let (updates, settled) = {
                let mut c = core.borrow_mut();
                (
                    std::mem::take(&mut c.update_waiters),
                    c.callbacks.settled.clone(),
                )
            };
            let stopped = json!({
                "kind": "stopped",
                "message": "the bot stopped before the update was handled",
            })
            .to_string();
            if let Some(settled) = settled {
                let settled: &SettledFn = settled.unchecked_ref();
                for id in updates {
                    let _ = settled.call(&JsValue::UNDEFINED, &id, Some(&stopped));
                }
            }
            fail_start(
                core,
                &json!({"kind": "stopped", "message": "the bot stopped before it started"}),
            );
        }
        other => report_notice(
            core,
            &json!({"kind": "other", "message": format!("{other:?}")}),
        ),
    }
}

fn on_notice(core: &Shared, notice: client::Event) {
    match &notice {
        client::Event::Dropped { update_id, .. }
            if core.borrow().fresh.update == Some(*update_id) =>
        {
            // The update being handed in is not handled: a repeat (handled already, or being
            // handled), or older than what the bot has moved past (below the offset, or an id
            // the reorderer gave up on). This call settles at once (`handle_update` tells
            // JavaScript), with the notice saying why.
            {
                let mut c = core.borrow_mut();
                c.fresh.update = None;
                c.fresh.settled = true;
            }
            report_notice(core, &crate::json::event_to_json_untyped(&notice));
        }
        client::Event::Fatal { error } => {
            let mut info = crate::json::api_error_to_json(error);
            info["method"] = "getUpdates".into();
            fail_start(core, &info);
            report_error(core, &info);
        }
        client::Event::Conflict { description } => report_error(
            core,
            &json!({
                "kind": "conflict",
                "message": format!("polling stopped: {description}"),
                "description": description,
                "method": "getUpdates",
            }),
        ),
        other => report_notice(core, &crate::json::event_to_json_untyped(other)),
    }
}

fn on_session_event(core: &Shared, event: SessionEvent) {
    match event {
        SessionEvent::Connected {
            user_id, bot_id, ..
        } => {
            let waiters = std::mem::take(&mut core.borrow_mut().start_waiters);
            let value = to_js(&json!({"userId": user_id, "botId": bot_id}));
            for w in waiters {
                w.resolve(&value);
            }
            report_notice(core, &json!({"kind": "connected", "userId": user_id}));
        }
        SessionEvent::Stopped { error: Some(error) } => {
            let info = trueconf_error_info(&error);
            fail_start(core, &info);
            report_error(core, &info);
        }
        SessionEvent::Disconnected { reason, .. } => report_notice(
            core,
            &json!({"kind": "disconnected", "message": format!("{reason:?}")}),
        ),
        SessionEvent::Malformed { reason } => {
            report_notice(core, &json!({"kind": "malformed", "message": reason}))
        }
        SessionEvent::Notice { message } => {
            report_notice(core, &json!({"kind": "notice", "message": message}))
        }
        _ => {}
    }
}

// ---- HTTP ----

/// Hands a request to the JavaScript transport: `send(id, method, url, headers, timeoutMs,
/// body)` with `headers` the JSON text of `[[name, value], ...]`, `timeoutMs` a number or
/// `undefined`, and `body` a `Uint8Array` that views the module's memory (valid only during
/// the call: the callback copies it); a transport that throws fails the request.
fn send_to_transport(core: &Shared, send: &Function, id: RequestId, request: &HttpRequest) {
    let headers = serde_json::to_string(&request.headers).unwrap_or_else(|_| "[]".into());
    let send: &SendFn = send.unchecked_ref();
    let sent = send.call(
        &JsValue::UNDEFINED,
        id.0 as f64,
        request.method.as_str(),
        &request.url,
        &headers,
        request.timeout_ms.map(|ms| ms as f64),
        &request.body,
    );
    if sent.is_err() {
        let mut c = core.borrow_mut();
        let now = c.now();
        let _ = c.machine.http_error(now, id, HttpErrorKind::Other);
    }
}

fn start_http(core: &Shared, id: RequestId, request: HttpRequest) {
    let Ok(controller) = web_sys::AbortController::new() else {
        let mut c = core.borrow_mut();
        let now = c.now();
        let _ = c.machine.http_error(now, id, HttpErrorKind::Other);
        return;
    };
    core.borrow_mut().http.insert(id.0, controller.clone());
    let weak = Rc::downgrade(core);
    spawn_local(async move {
        let result = perform_http(&request, &controller).await;
        let Some(core) = weak.upgrade() else {
            return;
        };
        {
            let mut c = core.borrow_mut();
            c.http.remove(&id.0);
            let now = c.now();
            let _ = match result {
                Ok((status, body)) => c.machine.http_response(now, id, status, &body),
                Err(kind) => c.machine.http_error(now, id, kind),
            };
        }
        pump(&core);
    });
}

async fn perform_http(
    request: &HttpRequest,
    controller: &web_sys::AbortController,
) -> Result<(u16, Vec<u8>), HttpErrorKind> {
    use gloo_net::http::{Method, RequestBuilder};
    let signal = controller.signal();
    let method =
        Method::from_bytes(request.method.as_str().as_bytes()).map_err(|_| HttpErrorKind::Other)?;
    let mut builder = RequestBuilder::new(&request.url)
        .method(method.clone())
        .abort_signal(Some(&signal));
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    let built = if request.body.is_empty() && (method == Method::GET || method == Method::HEAD) {
        builder.build()
    } else {
        builder.body(js_sys::Uint8Array::from(request.body.as_slice()))
    }
    .map_err(|_| HttpErrorKind::Other)?;
    let exchange = async {
        let response = built.send().await.map_err(|_| HttpErrorKind::Connect)?;
        let status = response.status();
        let body = response.binary().await.map_err(|_| HttpErrorKind::Io)?;
        Ok((status, body))
    };
    let outcome = match request.timeout_ms {
        Some(ms) => {
            let (timer, _guard) = sleep(ms);
            match select(Box::pin(exchange), timer).await {
                Either::Left((result, _)) => result,
                Either::Right(_) => {
                    controller.abort();
                    return Err(HttpErrorKind::Timeout);
                }
            }
        }
        None => exchange.await,
    };
    match outcome {
        Err(_) if signal.aborted() => Err(HttpErrorKind::Aborted),
        other => other,
    }
}

// ---- WebSocket ----

fn open_socket(core: &Shared, conn: ConnId, url: String, protocols: Vec<String>) {
    use gloo_net::websocket::futures::WebSocket;
    let opened = match protocols.first() {
        Some(protocol) => WebSocket::open_with_protocol(&url, protocol),
        None => WebSocket::open(&url),
    };
    let Ok(mut socket) = opened else {
        let mut c = core.borrow_mut();
        let now = c.now();
        let _ = c.machine.ws_closed(now, conn);
        return;
    };
    let (sender, mut commands) = mpsc::unbounded::<String>();
    core.borrow_mut().sockets.insert(conn.0, sender);
    let weak = Rc::downgrade(core);
    spawn_local(async move {
        use gloo_net::websocket::{Message, State};
        // `poll_ready` waits for the open (or failed) connection.
        let ready = futures::future::poll_fn(|cx| {
            futures::Sink::<Message>::poll_ready(std::pin::Pin::new(&mut socket), cx)
        })
        .await;
        let open = ready.is_ok() && matches!(socket.state(), State::Open);
        if !feed_socket(&weak, conn, |m, now| {
            if open {
                m.ws_opened(now, conn)
            } else {
                m.ws_closed(now, conn)
            }
        }) || !open
        {
            return;
        }
        loop {
            match select(socket.next(), commands.next()).await {
                Either::Left((Some(Ok(Message::Text(text))), _)) => {
                    if !feed_socket(&weak, conn, |m, now| m.ws_frame(now, conn, &text)) {
                        return;
                    }
                }
                Either::Left((Some(Ok(Message::Bytes(bytes))), _)) => {
                    let text = String::from_utf8_lossy(&bytes).into_owned();
                    if !feed_socket(&weak, conn, |m, now| m.ws_frame(now, conn, &text)) {
                        return;
                    }
                }
                // An error event; the close event follows.
                Either::Left((
                    Some(Err(gloo_net::websocket::WebSocketError::ConnectionError)),
                    _,
                )) => {}
                Either::Left((_, _)) => {
                    if let Some(core) = weak.upgrade() {
                        core.borrow_mut().sockets.remove(&conn.0);
                    }
                    feed_socket(&weak, conn, |m, now| m.ws_closed(now, conn));
                    return;
                }
                Either::Right((Some(text), _)) => {
                    let _ = socket.send(Message::Text(text)).await;
                }
                // The machine closed it: dropping the socket closes it.
                Either::Right((None, _)) => return,
            }
        }
    });
}

/// Gives the machine a socket input and pumps; false when the bot is gone.
fn feed_socket(
    weak: &Weak<RefCell<Core>>,
    _conn: ConnId,
    input: impl FnOnce(&mut Machine, Timestamp) -> Result<(), String>,
) -> bool {
    let Some(core) = weak.upgrade() else {
        return false;
    };
    {
        let mut c = core.borrow_mut();
        let now = c.now();
        let _ = input(&mut c.machine, now);
    }
    pump(&core);
    true
}

// ---- dispatch ----

fn dispatch(core: &Shared, id: DispatchId, event: Arc<Event>, attempt: u32) {
    let (callback, info, conversation_key, payload_kept) = {
        let mut c = core.borrow_mut();
        // The event of the update being handed in is made of the text JavaScript has (a
        // repeated id never gets this far, and retries come later).
        let payload_kept = c.fresh.kept
            && c.fresh.update.is_some()
            && c.fresh.update == event.seq
            && event.payload_text().is_some();
        let info = match_info(c.router.route(&event).as_ref());
        let key = c.conversations.seed(&event);
        if let Some(key) = &key {
            // An event of a live conversation keeps it alive.
            if c.conversations.is_live(key) {
                let now = c.now();
                let _ = c.conversations.on_key(now, key);
            }
        }
        // An event no route took goes to JavaScript only when middleware wants to see it.
        let callback = c
            .callbacks
            .dispatch
            .clone()
            .filter(|_| info.handler.is_some() || c.middleware);
        (callback, info, key, payload_kept)
    };
    if attempt == 1 {
        if let Some(info) = undecodable_info(&event) {
            report_error(core, &info);
        }
    }
    let Some(callback) = callback else {
        {
            let mut c = core.borrow_mut();
            let now = c.now();
            let _ = c.machine.complete(now, id);
        }
        settle_update(core, &event.id);
        return;
    };
    // The event goes across as a JSON array of its fields (`head_array`); its payload apart,
    // as JSON text JavaScript parses only when the handler reads it: a Telegram update as
    // the text it arrived in (none when JavaScript holds that text), anything else written
    // out.
    let text = head_array(&event);
    let written;
    let payload = match event.payload_text() {
        Some(kept) => Some(kept).filter(|_| !payload_kept),
        None => {
            written = event.payload.to_json_untyped().to_string();
            Some(written.as_str())
        }
    };
    core.borrow_mut().running.insert(id.0, event.clone());
    let (match_kind, match_text) = info.detail.parts();
    // The handler reports back through `complete` or `fail`; a callback that throws
    // synchronously fails the dispatch here.
    let callback: &DispatchFn = callback.unchecked_ref();
    if let Err(e) = callback.call(
        &JsValue::UNDEFINED,
        id.0 as f64,
        &text,
        payload,
        info.handler,
        attempt,
        conversation_key.as_deref(),
        match_kind,
        match_text,
        payload_kept,
    ) {
        finish_dispatch(core, id.0, Err(reason_of(&e)));
    }
}

/// An event's fields but its payload, as the text of a JSON array that `eventOf` in
/// `js/bot.js` turns into the object [`Event::to_json`] writes (without `payload`): `[platform,
/// id, seq, kind, platform_kind, chat, from, message, content_type, text, data, query_id]`,
/// where `chat` is `[key, type, title]`, `from` `[key, name, username, is_bot]`, `message`
/// `["c", chat, id]` or `["i", platform, inline_id]`, and absent values `null`. Positions
/// rather than names: shorter to write, and much quicker for JavaScript to parse, once per
/// dispatched event.
fn head_array(event: &Event) -> String {
    fn text(out: &mut Vec<u8>, s: &str) {
        // Writing a string into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    }
    fn opt(out: &mut Vec<u8>, s: Option<&str>) {
        match s {
            Some(s) => text(out, s),
            None => out.extend_from_slice(b"null"),
        }
    }
    let mut out = Vec::with_capacity(160 + event.text.as_ref().map_or(0, |t| t.len() * 2));
    out.push(b'[');
    text(&mut out, event.platform.as_str());
    out.push(b',');
    text(&mut out, &event.id);
    out.push(b',');
    match event.seq {
        Some(seq) => out.extend_from_slice(seq.to_string().as_bytes()),
        None => out.extend_from_slice(b"null"),
    }
    out.push(b',');
    text(&mut out, event.kind.as_str());
    out.push(b',');
    text(&mut out, &event.platform_kind);
    out.push(b',');
    match &event.chat {
        Some(chat) => {
            out.push(b'[');
            text(&mut out, &chat.key);
            out.push(b',');
            text(&mut out, chat.chat_type.as_str());
            out.push(b',');
            opt(&mut out, chat.title.as_deref());
            out.push(b']');
        }
        None => out.extend_from_slice(b"null"),
    }
    out.push(b',');
    match &event.from {
        Some(user) => {
            out.push(b'[');
            text(&mut out, &user.key);
            out.push(b',');
            text(&mut out, &user.name);
            out.push(b',');
            opt(&mut out, user.username.as_deref());
            out.extend_from_slice(if user.is_bot { b",true]" } else { b",false]" });
        }
        None => out.extend_from_slice(b"null"),
    }
    out.push(b',');
    match &event.message {
        Some(MessageKey::InChat { chat, id }) => {
            out.extend_from_slice(b"[\"c\",");
            text(&mut out, chat);
            out.push(b',');
            text(&mut out, id);
            out.push(b']');
        }
        Some(MessageKey::Inline {
            platform,
            inline_id,
        }) => {
            out.extend_from_slice(b"[\"i\",");
            text(&mut out, platform.as_str());
            out.push(b',');
            text(&mut out, inline_id);
            out.push(b']');
        }
        None => out.extend_from_slice(b"null"),
    }
    for field in [
        event.content_type.as_deref(),
        event.text.as_deref(),
        event.data.as_deref(),
        event.query_id.as_deref(),
    ] {
        out.push(b',');
        opt(&mut out, field);
    }
    out.push(b']');
    // Only UTF-8 went in.
    String::from_utf8(out).unwrap_or_default()
}

/// A handler finished (`Ok`) or failed: the runtime is told, and a completed event settles
/// its `handleUpdate`. Unknown ids (dispatches the runtime already timed out, or finished
/// twice) are errors for the caller, nothing changes then.
fn finish_dispatch(core: &Shared, id: u64, outcome: Result<(), String>) -> bool {
    let (known, completed, event) = {
        let mut c = core.borrow_mut();
        let Some(event) = c.running.remove(&id) else {
            return false;
        };
        let now = c.now();
        let completed = match outcome {
            Ok(()) => c.machine.complete(now, DispatchId(id)).is_ok(),
            Err(reason) => {
                let _ = c.machine.fail(now, DispatchId(id), reason);
                false
            }
        };
        (true, completed, event)
    };
    // A failure settles with its dead letter (or is retried).
    if completed {
        settle_update(core, &event.id);
    }
    pump(core);
    known
}

/// Settles the `handleUpdate` calls waiting for event `id`.
fn settle_update(core: &Shared, id: &str) {
    let settled = {
        let mut c = core.borrow_mut();
        if !c.update_waiters.remove(id) {
            return;
        }
        if c.fresh.update.is_some_and(|f| f.to_string() == id) {
            // Settled before `handleUpdate` returned: it tells JavaScript itself.
            c.fresh.settled = true;
            return;
        }
        c.callbacks.settled.clone()
    };
    if let Some(settled) = settled {
        let settled: &SettledFn = settled.unchecked_ref();
        let _ = settled.call(&JsValue::UNDEFINED, id, None);
    }
}

/// The error description of a Telegram update the package could not decode: its kind is
/// unknown to this version, or its payload does not fit the Bot API model (a field missing,
/// ...). It is still dispatched, as an `unknown` event.
fn undecodable_info(event: &Event) -> Option<Value> {
    let Payload::TelegramJson(update) = &event.payload else {
        return None;
    };
    let (decoded, known) = (update.decoded, update.update.is_known_kind());
    let kind = &*update.update.kind;
    let (reason, why) = if kind.is_empty() {
        ("empty", "it has no payload".to_owned())
    } else if !known {
        ("unknown_kind", format!("its kind {kind:?} is unknown"))
    } else if !decoded {
        (
            "invalid",
            format!("its {kind} does not fit the Bot API model"),
        )
    } else {
        return None;
    };
    Some(json!({
        "kind": "undecodable_update",
        "message": format!(
            "update {} could not be decoded: {why}; it is dispatched as an unknown event",
            update.update.update_id
        ),
        "updateId": update.update.update_id,
        "updateKind": kind,
        "reason": reason,
        "event": event.to_json_untyped(),
    }))
}

fn reason_of(error: &JsValue) -> String {
    if let Some(text) = error.as_string() {
        return text;
    }
    if let Some(e) = error.dyn_ref::<js_sys::Error>() {
        return String::from(e.message());
    }
    "the handler failed".to_owned()
}

// ---- the JavaScript class ----

/// The engine of a bot (used by the `Bot` class of the package; not meant to be used alone).
#[wasm_bindgen]
pub struct WasmBot {
    core: Shared,
}

impl WasmBot {
    fn with_core<T>(&self, f: impl FnOnce(&mut Core) -> T) -> T {
        f(&mut self.core.borrow_mut())
    }

    /// Performs an action; its id (the result comes through the `done` callback), or an
    /// error description (JSON text).
    fn perform(&self, action: &Action, method: Option<&str>) -> Result<f64, JsValue> {
        let id = {
            let mut c = self.core.borrow_mut();
            let now = c.now();
            match c.machine.act(now, action) {
                Ok(id) => {
                    c.actions.insert(id.0, method.map(str::to_owned));
                    id.0
                }
                Err(e) => return Err(act_error_info(&e, method).to_string().into()),
            }
        };
        pump(&self.core);
        Ok(id as f64)
    }

    fn sim_act(
        &self,
        f: impl FnOnce(&mut Sim, Timestamp) -> Result<Value, String>,
    ) -> Result<JsValue, JsValue> {
        let injected = self.with_core(|c| {
            let now = c.now();
            match &mut c.sim {
                Some(sim) => f(sim, now).map_err(js_error),
                None => Err(js_error("the bot has no simulator")),
            }
        })?;
        pump(&self.core);
        Ok(to_js(&injected))
    }

    fn route(&self, route: Result<Route, String>, handler: u32) -> Result<(), JsValue> {
        let route = route.map_err(js_error)?;
        self.with_core(|c| {
            c.router.add(route, handler);
        });
        Ok(())
    }
}

fn event_kind(name: &str) -> Result<EventKind, String> {
    EventKind::from_name(name).ok_or_else(|| format!("unknown event kind {name:?}"))
}

#[wasm_bindgen]
impl WasmBot {
    /// A bot from its options as JSON text (see `BotOptions`). Throws a message naming the
    /// option at fault.
    #[wasm_bindgen(constructor)]
    pub fn new(options_json: &str) -> Result<WasmBot, JsValue> {
        let config = config_from_json(options_json).map_err(js_error)?;
        let machine = match config.machine {
            MachineConfig::Telegram(c) => Machine::Telegram(Box::new(
                TelegramBot::new_json(*c).map_err(|e| js_error(e.to_string()))?,
            )),
            MachineConfig::TrueConf(c) => Machine::TrueConf(Box::new(TrueConfBot::new_json(*c))),
        };
        let mut router = config.router;
        let sim = if config.simulator {
            Some(Sim::new(&machine, &mut router).map_err(js_error)?)
        } else {
            None
        };
        let core = Rc::new(RefCell::new(Core {
            machine,
            sim,
            router,
            conversations: Conversations::new(MemoryStorage::new(), config.conversation),
            handler_timeout_ms: config.handler_timeout_ms,
            origin: performance_now(),
            state: RunState::Idle,
            callbacks: Callbacks::default(),
            actions: HashMap::new(),
            http: HashMap::new(),
            sockets: HashMap::new(),
            start_waiters: Vec::new(),
            stop_waiters: Vec::new(),
            update_intake: config.update_intake,
            http_webhook: config.http_webhook,
            update_waiters: HashSet::new(),
            fresh: Fresh::default(),
            middleware: false,
            running: HashMap::new(),
            timer: None,
            timer_closure: None,
        }));
        let weak = Rc::downgrade(&core);
        let closure = Closure::<dyn FnMut()>::new(move || {
            if let Some(core) = weak.upgrade() {
                on_timer(&core);
            }
        });
        core.borrow_mut().timer_closure = Some(closure);
        Ok(WasmBot { core })
    }

    /// `"telegram"` or `"trueconf"`.
    #[wasm_bindgen(getter)]
    pub fn platform(&self) -> String {
        self.with_core(|c| c.machine.platform().as_str().to_owned())
    }

    /// Sets the JavaScript side: `dispatch(id, eventJson, payloadText, handler, attempt,
    /// conversationKey, matchKind, matchText)` (the handler reports back with `complete(id)`
    /// or `fail(id, reason)`), `error(info)`, `notice(info)`, `idle(key, state)`,
    /// `done(actionId, ok, json)`, `settled(eventId, errorJson)`.
    #[wasm_bindgen(js_name = setCallbacks)]
    #[allow(clippy::too_many_arguments)]
    pub fn set_callbacks(
        &self,
        dispatch: Function,
        error: Function,
        notice: Function,
        idle: Function,
        done: Function,
        settled: Function,
    ) {
        self.with_core(|c| {
            let http = c.callbacks.http.take();
            c.callbacks = Callbacks {
                dispatch: Some(dispatch),
                error: Some(error),
                notice: Some(notice),
                idle: Some(idle),
                done: Some(done),
                settled: Some(settled),
                http,
            }
        });
    }

    /// The handler of dispatch `id` finished; false when the id is unknown (finished
    /// already, or timed out by the runtime).
    pub fn complete(&self, id: f64) -> bool {
        finish_dispatch(&self.core, id as u64, Ok(()))
    }

    /// The handler of dispatch `id` failed with `reason` (retried, then dead-lettered, as
    /// the options say); false when the id is unknown.
    pub fn fail(&self, id: f64, reason: &str) -> bool {
        finish_dispatch(&self.core, id as u64, Err(reason.to_owned()))
    }

    /// Uses a JavaScript transport instead of `fetch` (see `send_to_transport`).
    #[wasm_bindgen(js_name = setTransport)]
    pub fn set_transport(&self, send: Function, abort: Function) {
        self.with_core(|c| c.callbacks.http = Some((send, abort)));
    }

    /// The answer to request `id` of the JavaScript transport; false for an id that is not
    /// awaited (answered already, aborted).
    #[wasm_bindgen(js_name = httpResponse)]
    pub fn http_response(&self, id: f64, status: u16, body: &[u8]) -> bool {
        let known = {
            let mut c = self.core.borrow_mut();
            let now = c.now();
            c.machine
                .http_response(now, RequestId(id as u64), status, body)
                .is_ok()
        };
        pump(&self.core);
        known
    }

    /// Request `id` of the JavaScript transport failed without an answer (`kind`:
    /// `"timeout"`, `"connect"`, `"io"`, `"aborted"` or anything else); false for an id that
    /// is not awaited.
    #[wasm_bindgen(js_name = httpError)]
    pub fn http_error(&self, id: f64, kind: &str) -> bool {
        let kind = match kind {
            "timeout" => HttpErrorKind::Timeout,
            "connect" => HttpErrorKind::Connect,
            "io" => HttpErrorKind::Io,
            "aborted" => HttpErrorKind::Aborted,
            _ => HttpErrorKind::Other,
        };
        let known = {
            let mut c = self.core.borrow_mut();
            let now = c.now();
            c.machine
                .http_error(now, RequestId(id as u64), kind)
                .is_ok()
        };
        pump(&self.core);
        known
    }

    /// The handler timeout of the options, in milliseconds (`undefined`: none).
    #[wasm_bindgen(getter, js_name = handlerTimeoutMs)]
    pub fn handler_timeout_ms(&self) -> Option<f64> {
        self.with_core(|c| c.handler_timeout_ms.map(|ms| ms as f64))
    }

    /// The bot's username, for commands written `/cmd@username`.
    #[wasm_bindgen(js_name = setBotUsername)]
    pub fn set_bot_username(&self, username: Option<String>) {
        self.with_core(|c| c.router.set_bot_username(username.as_deref()));
    }

    /// Routes commands (`/name`) of new messages to `handler`.
    #[wasm_bindgen(js_name = routeCommand)]
    pub fn route_command(&self, names: Vec<String>, handler: u32) -> Result<(), JsValue> {
        if names.is_empty()
            || names
                .iter()
                .any(|n| n.is_empty() || n.contains(char::is_whitespace))
        {
            return Err(js_error("a command name is a non-empty word"));
        }
        self.route(
            Ok(Route::commands(names).when(Filter::kind(EventKind::Message))),
            handler,
        )
    }

    /// Routes events of a kind (and, if given, a content type) to `handler`.
    #[wasm_bindgen(js_name = routeOn)]
    pub fn route_on(
        &self,
        kind: &str,
        content_type: Option<String>,
        handler: u32,
    ) -> Result<(), JsValue> {
        let route = event_kind(kind).map(|k| {
            let route = Route::on(k);
            match content_type {
                Some(t) => route.when(Filter::content_type(t)),
                None => route,
            }
        });
        self.route(route, handler)
    }

    /// Routes button presses whose data is `data` (or starts with it, with `prefix`).
    #[wasm_bindgen(js_name = routeCallbackData)]
    pub fn route_callback_data(
        &self,
        data: String,
        prefix: bool,
        handler: u32,
    ) -> Result<(), JsValue> {
        let route = if prefix {
            Route::callback_prefix(data)
        } else {
            Route::callback_data(data)
        };
        self.route(Ok(route), handler)
    }

    /// Routes button presses whose data passes JavaScript test `test` (see
    /// [`set_text_tester`]).
    #[wasm_bindgen(js_name = routeCallbackTest)]
    pub fn route_callback_test(&self, test: u32, handler: u32) -> Result<(), JsValue> {
        self.route(Ok(Route::callback_test(host_test(test))), handler)
    }

    /// Routes new messages whose text is `text`.
    #[wasm_bindgen(js_name = routeText)]
    pub fn route_text(&self, text: &str, handler: u32) -> Result<(), JsValue> {
        let route = Route::text(text).when(Filter::kind(EventKind::Message));
        self.route(Ok(route), handler)
    }

    /// Routes new messages whose text passes JavaScript test `test`.
    #[wasm_bindgen(js_name = routeHears)]
    pub fn route_hears(&self, test: u32, handler: u32) -> Result<(), JsValue> {
        let route = Route::test(host_test(test)).when(Filter::kind(EventKind::Message));
        self.route(Ok(route), handler)
    }

    /// Routes inline queries (whose text passes JavaScript test `test`, if given).
    #[wasm_bindgen(js_name = routeInlineQuery)]
    pub fn route_inline_query(&self, test: Option<u32>, handler: u32) -> Result<(), JsValue> {
        let route = match test {
            Some(test) => Route::test(host_test(test)),
            None => Route::catch_all(),
        };
        self.route(
            Ok(route.when(Filter::kind(EventKind::InlineQuery))),
            handler,
        )
    }

    /// Says that JavaScript has middleware: then every event is dispatched to it, also one
    /// no route took (without middleware such an event completes at once, unseen).
    #[wasm_bindgen(js_name = setMiddleware)]
    pub fn set_middleware(&self) {
        self.with_core(|c| c.middleware = true);
    }

    /// The handler of events no route matched.
    #[wasm_bindgen(js_name = routeCatchAll)]
    pub fn route_catch_all(&self, handler: u32) {
        self.with_core(|c| {
            c.router.catch_all(handler);
        });
    }

    /// Starts intake. Telegram: resolves at once; TrueConf: once connected, rejecting with
    /// an error description when the session stops for good first.
    pub fn start(&self) -> Promise {
        let (promise, pending) = Pending::new();
        let result = {
            let mut c = self.core.borrow_mut();
            let now = c.now();
            c.state = RunState::Running;
            let result = c.machine.start(now);
            match (&result, &c.machine) {
                (Ok(()), Machine::TrueConf(_)) => c.start_waiters.push(pending),
                (Ok(()), _) => pending.resolve(&JsValue::UNDEFINED),
                (Err(e), _) => {
                    c.state = RunState::Stopped;
                    pending.reject(&to_js(&trueconf_error_info(e)));
                }
            }
            result
        };
        if result.is_ok() {
            pump(&self.core);
        }
        promise
    }

    /// Stops gracefully; resolves with `{ offset }` once the runtime reported it stopped
    /// (intake stopped, handlers and actions finished, the cursor confirmed).
    pub fn stop(&self) -> Promise {
        let (promise, pending) = Pending::new();
        let stop_now = {
            let mut c = self.core.borrow_mut();
            match c.state {
                RunState::Idle | RunState::Stopped => {
                    c.state = RunState::Stopped;
                    pending.resolve(&to_js(&json!({"offset": null})));
                    false
                }
                RunState::Running | RunState::Stopping => {
                    c.stop_waiters.push(pending);
                    c.state = RunState::Stopping;
                    let now = c.now();
                    c.machine.stop(now);
                    true
                }
            }
        };
        if stop_now {
            pump(&self.core);
        } else {
            arm_timer(&self.core);
        }
        promise
    }

    /// Performs an action given as JSON text (the runtime's `Action`); returns its id (the
    /// method's result comes through the `done` callback) or throws an error description
    /// (JSON text).
    pub fn act(&self, action_json: &str) -> Result<f64, JsValue> {
        match serde_json::from_str::<Action>(action_json) {
            Ok(action) => self.perform(&action, None),
            Err(e) => Err(
                json!({"kind": "invalid_call", "message": format!("invalid action: {e}")})
                    .to_string()
                    .into(),
            ),
        }
    }

    /// `act` of `{"action": "send", chat, text}` (a plain text, default options), without
    /// the JSON: what most handlers do (`ctx.reply(text)`).
    #[wasm_bindgen(js_name = sendText)]
    pub fn send_text(&self, chat: String, text: String) -> Result<f64, JsValue> {
        let options = SendOptions::default();
        self.perform(
            &Action::Send {
                chat,
                text,
                options,
            },
            None,
        )
    }

    /// `act` of `{"action": "answer_button", query_id, text, alert}`, without the JSON
    /// (`ctx.answer(text)`).
    #[wasm_bindgen(js_name = answerButton)]
    pub fn answer_button(
        &self,
        query_id: String,
        text: Option<String>,
        alert: bool,
    ) -> Result<f64, JsValue> {
        self.perform(
            &Action::AnswerButton {
                query_id,
                text,
                alert,
            },
            None,
        )
    }

    /// `act` of `{"action": "upload", …}` with the bytes as they are (in the JSON form they
    /// would be an array of numbers). `kind`: `"document"`, `"photo"`, `"video"`, `"audio"` or
    /// `"voice"`.
    #[wasm_bindgen(js_name = uploadFile)]
    pub fn upload_file(
        &self,
        chat: String,
        name: String,
        mime: Option<String>,
        bytes: Vec<u8>,
        kind: &str,
        caption: Option<String>,
    ) -> Result<f64, JsValue> {
        let kind = match kind {
            "document" => FileKind::Document,
            "photo" => FileKind::Photo,
            "video" => FileKind::Video,
            "audio" => FileKind::Audio,
            "voice" => FileKind::Voice,
            other => {
                return Err(json!({"kind": "invalid_call", "message": format!(
                    "unknown file kind {other:?}: \"document\", \"photo\", \"video\", \"audio\" or \"voice\"")})
                .to_string()
                .into())
            }
        };
        let file = FileUpload { name, mime, bytes };
        self.perform(
            &Action::Upload {
                chat,
                file,
                kind,
                caption,
            },
            None,
        )
    }

    /// Calls a platform method by name with arguments as JSON text; as `act`.
    pub fn call(&self, method: &str, args_json: &str) -> Result<f64, JsValue> {
        let args: Value = match serde_json::from_str(if args_json.is_empty() {
            "null"
        } else {
            args_json
        }) {
            Ok(v) => v,
            Err(e) => {
                return Err(json!({"kind": "invalid_call", "message": format!("arguments: {e}"), "method": method})
                    .to_string()
                    .into())
            }
        };
        let platform = self.with_core(|c| c.machine.platform());
        let action = Action::Call {
            platform,
            method: method.to_owned(),
            args,
        };
        self.perform(&action, Some(method))
    }

    /// Handles a Telegram webhook delivery: `headers` is JSON text (`[[name, value], ...]`);
    /// returns `{ status, body, key }` to answer with. With `wait`, `key` is the event id to
    /// wait for, as `handleUpdate` returns it (the `settled` callback names it once the
    /// update's handling settled), or `null` when there is nothing to wait for (refused, a
    /// repeated update, settled already).
    #[wasm_bindgen(js_name = handleWebhook)]
    pub fn handle_webhook(
        &self,
        headers_json: &str,
        body: &[u8],
        wait: bool,
    ) -> Result<JsValue, JsValue> {
        let headers: Value =
            serde_json::from_str(headers_json).map_err(|e| js_error(e.to_string()))?;
        let headers = crate::session::headers_from_json(&headers).map_err(js_error)?;
        let (reply, waiting) = {
            let mut c = self.core.borrow_mut();
            let c = &mut *c;
            let now = c.now();
            if matches!(c.machine, Machine::Telegram(_)) && !c.http_webhook {
                return Ok(to_js(&json!({
                    "status": 404,
                    "body": "webhook intake is not configured",
                    "key": null,
                })));
            }
            let bot = match &mut c.machine {
                Machine::Telegram(bot) => bot,
                Machine::TrueConf(_) => return Err(js_error("TrueConf has no webhooks")),
            };
            if wait {
                match bot.handle_webhook_update(now, &headers, body) {
                    (reply, Some(update_id)) if reply.status == 200 => {
                        (reply, Some(begin_wait(c, update_id, false)))
                    }
                    (reply, _) => (reply, None),
                }
            } else {
                (bot.handle_webhook(now, &headers, body), None)
            }
        };
        pump(&self.core);
        let key = waiting.and_then(|hand_in| self.wait_key(hand_in));
        Ok(to_js(&json!({
            "status": reply.status,
            "body": String::from_utf8_lossy(&reply.body),
            "key": key,
        })))
    }

    /// Ends `hand_in` after the pump that followed it: the event id to wait for, or `None`
    /// when the update settled already or repeats one still being handled (whose wait stays
    /// in place).
    fn wait_key(&self, hand_in: HandIn) -> Option<String> {
        let mut c = self.core.borrow_mut();
        let fresh = std::mem::replace(&mut c.fresh, hand_in.outer);
        let key = hand_in.update_id.to_string();
        if fresh.settled {
            if !hand_in.was_waiting {
                c.update_waiters.remove(&key);
            }
            None
        } else {
            Some(key)
        }
    }

    /// Hands in one Telegram update (JSON bytes) without HTTP. Returns the event id to
    /// wait for (the `settled` callback names it once its handling settled: handled, or
    /// dead-lettered), or `null` when it settled already (a repeated update); throws an error
    /// description (JSON text) when it is refused (not an update, the bot stops, the dispatch
    /// queue is full, wrong intake).
    ///
    /// `kept`: JavaScript holds the body as text during the call (the handler of this update,
    /// if it runs at once, gets no copy of it).
    #[wasm_bindgen(js_name = handleUpdate)]
    pub fn handle_update(&self, body: &[u8], kept: bool) -> Result<Option<String>, JsValue> {
        let refuse = |info: Value| -> JsValue { info.to_string().into() };
        let hand_in = {
            let mut c = self.core.borrow_mut();
            let c = &mut *c;
            let secret = match (&c.machine, &c.update_intake) {
                (Machine::Telegram(_), Some(secret)) => secret.clone(),
                (Machine::Telegram(_), None) => {
                    return Err(refuse(json!({"kind": "invalid_call",
                        "message": "handleUpdate needs intake \"webhook\" or \"none\" (not polling)"})))
                }
                (Machine::TrueConf(_), _) => {
                    return Err(refuse(json!({"kind": "invalid_call",
                        "message": "handleUpdate is for Telegram bots"})))
                }
            };
            if matches!(c.state, RunState::Stopping | RunState::Stopped) {
                return Err(refuse(
                    json!({"kind": "stopped", "message": "the bot has stopped"}),
                ));
            }
            let headers: Vec<(&str, &str)> = secret
                .as_deref()
                .map(|s| ("X-Telegram-Bot-Api-Secret-Token", s))
                .into_iter()
                .collect();
            let now = c.now();
            let Machine::Telegram(bot) = &mut c.machine else {
                return Ok(None);
            };
            let (reply, update_id) = bot.handle_webhook_update(now, &headers, body);
            match (reply.status, update_id) {
                (200, Some(update_id)) => begin_wait(c, update_id, kept),
                (503, _) if bot.is_stopped() || c.state != RunState::Running => {
                    return Err(refuse(
                        json!({"kind": "stopped", "message": "the bot is stopping"}),
                    ))
                }
                (503, _) => {
                    // Read the id only on this rare path (the bot did not read the body).
                    let update_id = std::str::from_utf8(body)
                        .ok()
                        .and_then(|t| {
                            botwire_core::telegram::json_update::JsonUpdate::parse(t).ok()
                        })
                        .map(|u| u.update_id);
                    return Err(refuse(json!({"kind": "queue_full", "updateId": update_id,
                    "message": match update_id {
                        Some(id) => format!("update {id} refused: the dispatch queue is full"),
                        None => "update refused: the dispatch queue is full".to_owned(),
                    }})));
                }
                (400, _) => {
                    return Err(refuse(json!({"kind": "undecodable_update",
                        "message": "not a Telegram update: no integer update_id in a JSON object"})))
                }
                (status, _) => {
                    return Err(refuse(
                        json!({"kind": "undecodable_update", "status": status,
                        "message": format!("update refused: {}",
                            String::from_utf8_lossy(&reply.body))}),
                    ))
                }
            }
        };
        pump(&self.core);
        Ok(self.wait_key(hand_in))
    }

    /// The stored state of conversation `key` (`undefined` when it has none).
    #[wasm_bindgen(js_name = conversationGet)]
    pub fn conversation_get(&self, key: &str) -> Result<JsValue, JsValue> {
        let state = self
            .with_core(|c| c.conversations.load_json::<Value>(key))
            .map_err(|e| js_error(e.to_string()))?;
        Ok(state.map(|s| to_js(&s)).unwrap_or(JsValue::UNDEFINED))
    }

    /// Stores the state of conversation `key` (JSON text), starting it if needed and
    /// re-arming its idle timeout.
    #[wasm_bindgen(js_name = conversationSet)]
    pub fn conversation_set(&self, key: &str, state_json: &str) -> Result<(), JsValue> {
        self.with_core(|c| {
            let now = c.now();
            c.conversations.save(now, key, state_json.as_bytes())
        })
        .map_err(|e| js_error(e.to_string()))?;
        arm_timer(&self.core);
        Ok(())
    }

    /// Ends conversation `key` (no idle callback); returns whether it was live.
    #[wasm_bindgen(js_name = conversationEnd)]
    pub fn conversation_end(&self, key: &str) -> Result<bool, JsValue> {
        let was = self
            .with_core(|c| c.conversations.end(key))
            .map_err(|e| js_error(e.to_string()))?;
        arm_timer(&self.core);
        Ok(was)
    }

    /// The state to store (JSON object): unsettled events and unconfirmed actions.
    #[wasm_bindgen(js_name = exportState)]
    pub fn export_state(&self) -> JsValue {
        let state = self.with_core(|c| c.machine.export_state(date_now() as i64));
        to_js(&state)
    }

    /// Restores a stored state (JSON text) before `start`; returns how many events return.
    #[wasm_bindgen(js_name = restoreState)]
    pub fn restore_state(&self, state_json: &str) -> Result<u32, JsValue> {
        let restored = self
            .with_core(|c| {
                let now = c.now();
                c.machine.restore_state(now, state_json, date_now() as i64)
            })
            .map_err(js_error)?;
        pump(&self.core);
        Ok(restored as u32)
    }

    /// Whether requests go to the in-package simulator.
    #[wasm_bindgen(getter, js_name = hasSimulator)]
    pub fn has_simulator(&self) -> bool {
        self.with_core(|c| c.sim.is_some())
    }

    /// Simulator: the user writes `text` (in their private chat unless `chat` is given).
    /// Users are numeric ids on Telegram (default 1001) and logins on TrueConf (default
    /// `alice`).
    #[wasm_bindgen(js_name = simUserSays)]
    pub fn sim_user_says(
        &self,
        text: &str,
        user: Option<String>,
        chat: Option<String>,
    ) -> Result<JsValue, JsValue> {
        self.sim_act(|sim, now| sim.user_says(now, text, user, chat))
    }

    /// Simulator: the user presses the button with `data` under the bot's latest message
    /// that has one (TrueConf: a button's id, command or label).
    #[wasm_bindgen(js_name = simPressButton)]
    pub fn sim_press_button(&self, data: &str, user: Option<String>) -> Result<JsValue, JsValue> {
        self.sim_act(|sim, now| sim.press_button(now, data, user))
    }

    /// Simulator (Telegram): the user types an inline query.
    #[wasm_bindgen(js_name = simInlineQuery)]
    pub fn sim_inline_query(&self, query: &str, user: Option<String>) -> Result<JsValue, JsValue> {
        self.sim_act(|sim, now| sim.inline_query(now, query, user))
    }

    /// Simulator: everything the bot did, in order (the platform simulator's transcript).
    #[wasm_bindgen(js_name = simTranscript)]
    pub fn sim_transcript(&self) -> Result<JsValue, JsValue> {
        self.with_core(|c| match &c.sim {
            Some(sim) => Ok(to_js(&sim.transcript())),
            None => Err(js_error("the bot has no simulator")),
        })
    }
}

impl Drop for WasmBot {
    fn drop(&mut self) {
        if let Ok(mut c) = self.core.try_borrow_mut() {
            if let Some((_, handle, _)) = c.timer.take() {
                clear_timeout(&handle);
            }
            for controller in c.http.values() {
                controller.abort();
            }
            c.sockets.clear();
        }
    }
}
