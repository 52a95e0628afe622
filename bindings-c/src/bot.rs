//! The bot (`botwire_bot`): a Telegram or TrueConf bot on the runtime, its router and
//! conversations, and the two ways to drive it.
//!
//! Internals: all state sits in one `RefCell`, and no borrow of it is held while a host
//! callback runs, so callbacks may call back into the library. Outputs are drained in one
//! loop per bot, guarded by a flag: an input arriving from inside a callback is handled at
//! once, and the outputs it causes are picked up by the loop already running.

use crate::callbacks::{botwire_io_callbacks, BotStorage};
use crate::event::{botwire_event, ConversationKey};
use crate::json::trueconf_error_info;
use crate::machine::Machine;
use crate::options::{config_from_json, MachineConfig};
use crate::output::{botwire_call_result, botwire_output, HttpParts};
use crate::types::{
    botwire_header, botwire_output_kind, botwire_platform, botwire_str, Text, BOTWIRE_NO_TIMER,
};
use crate::{
    botwire_http_error_kind, botwire_result, bytes_arg, guard, optional_str_arg, out_arg,
    panic_message, str_arg, Failure,
};
use botwire_core::io::{ConnId, HttpRequest, RequestId, Timestamp};
use botwire_core::runtime::bot::{BotOutput, TelegramBot};
use botwire_core::runtime::conversation::{Conversations, Seeder};
use botwire_core::runtime::router::Router;
use botwire_core::runtime::storage::MemoryStorage;
use botwire_core::runtime::trueconf_bot::TrueConfBot;
use botwire_core::telegram::client;
use botwire_core::trueconf::session::SessionEvent;
use serde_json::{json, Value};
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::ffi::{c_char, c_void};
use std::hash::{BuildHasherDefault, Hasher};
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;

/// A handler registered with a route.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Handler {
    pub(crate) function:
        unsafe extern "C" fn(*mut c_void, *mut botwire_bot, u64, *const botwire_event),
    pub(crate) userdata: *mut c_void,
}

/// A bot (opaque): a Telegram or TrueConf bot on the runtime, with its router and its
/// conversations. Create it with [`botwire_bot_new`], release it with [`botwire_bot_free`].
/// A bot is not thread-safe: use it from one thread at a time (callbacks run on the thread
/// that made the call).
pub struct botwire_bot {
    pub(crate) state: RefCell<BotState>,
    /// Set while the output loop runs.
    draining: Cell<bool>,
    /// Set when a call panicked: the state may be inconsistent.
    poisoned: Cell<bool>,
}

/// A hasher for the bot's own sequential ids (not chosen by anybody outside, so no need for
/// SipHash's protection): one multiplication.
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A map keyed by the bot's ids.
pub(crate) type IdMap<V> = HashMap<u64, V, BuildHasherDefault<IdHasher>>;

pub(crate) struct BotState {
    pub(crate) machine: Machine,
    pub(crate) router: Router<u32>,
    pub(crate) handlers: Vec<Handler>,
    pub(crate) conversations: Conversations<BotStorage>,
    /// The conversations' seeder, shared with the events (they seed their key on demand).
    seeder: Rc<Seeder>,
    callbacks: Option<botwire_io_callbacks>,
    /// Outputs waiting for `botwire_bot_poll_output`.
    pull: VecDeque<botwire_output>,
    /// The output handed out by the last poll (kept alive until the next poll). Its box is
    /// reused by the next poll that has an output.
    current: Option<Box<botwire_output>>,
    /// Events of dispatches not settled yet, by dispatch id.
    pub(crate) events: IdMap<Rc<botwire_event>>,
    /// The text handed out last by a function that returns a string of the bot.
    pub(crate) scratch: Option<Text>,
    /// The deadline last given to `set_timer`.
    armed: Option<u64>,
    /// The latest `now` seen.
    pub(crate) now: Timestamp,
    /// Telegram: whether HTTP webhook deliveries are accepted.
    http_webhook: bool,
    /// Telegram: the secret token updates handed in directly carry, when the intake takes
    /// them.
    update_intake: Option<Option<String>>,
    started: bool,
}

/// One thing to hand to a host callback, taken out of the state first.
enum Delivery {
    Http(
        crate::callbacks::botwire_send_http_fn,
        *mut c_void,
        u64,
        HttpRequest,
    ),
    Id(unsafe extern "C" fn(*mut c_void, u64), *mut c_void, u64),
    WsOpen(
        crate::callbacks::botwire_ws_open_fn,
        *mut c_void,
        u64,
        String,
        Vec<String>,
    ),
    WsSend(
        crate::callbacks::botwire_ws_send_fn,
        *mut c_void,
        u64,
        String,
    ),
    Handler(Handler, Rc<botwire_event>),
    CallDone(
        crate::callbacks::botwire_call_done_fn,
        *mut c_void,
        u64,
        botwire_call_result,
    ),
    Notice(
        crate::callbacks::botwire_notice_fn,
        *mut c_void,
        botwire_output_kind,
        Text,
    ),
    Expired(
        crate::callbacks::botwire_conversation_expired_fn,
        *mut c_void,
        Text,
        Text,
    ),
}

impl BotState {
    pub(crate) fn tick(&mut self, now: Timestamp) {
        self.now = self.now.max(now);
    }

    /// The next delivery for a callback; outputs without a callback go to the pull queue on
    /// the way. `None` when the machine has nothing left.
    fn next_delivery(&mut self) -> Option<Delivery> {
        loop {
            if let Some(expired) = self.conversations.poll_expired() {
                let state = expired
                    .state
                    .as_deref()
                    .and_then(|s| std::str::from_utf8(s).ok())
                    .unwrap_or("null");
                let state = Text::new(state);
                match self
                    .callbacks
                    .and_then(|c| Some((c.conversation_expired?, c.userdata)))
                {
                    Some((f, ud)) => {
                        return Some(Delivery::Expired(
                            Some(f),
                            ud,
                            Text::new(&expired.key),
                            state,
                        ))
                    }
                    None => self
                        .pull
                        .push_back(botwire_output::expired(&expired.key, state)),
                }
                continue;
            }
            let out = self.machine.poll_output()?;
            if let Some(delivery) = self.route_output(out) {
                return Some(delivery);
            }
        }
    }

    fn notice(&mut self, kind: botwire_output_kind, info: Value) -> Option<Delivery> {
        let text = Text::from(info.to_string());
        match self.callbacks.and_then(|c| Some((c.notice?, c.userdata))) {
            Some((f, ud)) => Some(Delivery::Notice(Some(f), ud, kind, text)),
            None => {
                self.pull.push_back(botwire_output::described(kind, text));
                None
            }
        }
    }

    fn route_output(&mut self, out: BotOutput) -> Option<Delivery> {
        let callbacks = self.callbacks;
        let ud = callbacks.map_or(std::ptr::null_mut(), |c| c.userdata);
        match out {
            BotOutput::Http { id, request } => match callbacks.and_then(|c| c.send_http) {
                Some(f) => return Some(Delivery::Http(Some(f), ud, id.0, request)),
                None => self.pull.push_back(botwire_output::http(id.0, request)),
            },
            BotOutput::Abort { id } => match callbacks.and_then(|c| c.abort_http) {
                Some(f) => return Some(Delivery::Id(f, ud, id.0)),
                None => self.pull.push_back(botwire_output::with_id(
                    botwire_output_kind::HttpAbort,
                    id.0,
                )),
            },
            BotOutput::WsOpen {
                conn,
                url,
                protocols,
            } => match callbacks.and_then(|c| c.ws_open) {
                Some(f) => return Some(Delivery::WsOpen(Some(f), ud, conn.0, url, protocols)),
                None => self
                    .pull
                    .push_back(botwire_output::ws_open(conn.0, &url, &protocols)),
            },
            BotOutput::WsSend { conn, text } => match callbacks.and_then(|c| c.ws_send) {
                Some(f) => return Some(Delivery::WsSend(Some(f), ud, conn.0, text)),
                None => self.pull.push_back(botwire_output::ws_send(conn.0, &text)),
            },
            BotOutput::WsPing { conn } => match callbacks.map(|c| (c.ws_ping, c.ws_open)) {
                Some((Some(f), _)) => return Some(Delivery::Id(f, ud, conn.0)),
                // The host's WebSocket keeps the connection alive itself.
                Some((None, Some(_))) => {
                    let now = self.now;
                    let _ = self.machine.ws_pong(now, conn);
                }
                _ => self
                    .pull
                    .push_back(botwire_output::with_id(botwire_output_kind::WsPing, conn.0)),
            },
            BotOutput::WsClose { conn } => match callbacks.and_then(|c| c.ws_close) {
                Some(f) => return Some(Delivery::Id(f, ud, conn.0)),
                None => self.pull.push_back(botwire_output::with_id(
                    botwire_output_kind::WsClose,
                    conn.0,
                )),
            },
            BotOutput::Dispatch { id, event, attempt } => {
                let now = self.now;
                let matched = self.router.route(&event);
                let handler = matched.as_ref().map(|m| *m.handler);
                // The conversation key is made here only when a conversation could be
                // refreshed; otherwise the event seeds it when it is asked for.
                let key = if self.conversations.is_empty() {
                    None
                } else {
                    self.conversations.seed(&event)
                };
                if let Some(key) = &key {
                    // An event of a live conversation keeps it alive. A storage failure here
                    // only costs the refresh: the handler still runs, and its own
                    // conversation calls report the failure.
                    if self.conversations.is_live(key) {
                        let _ = self.conversations.on_key(now, key);
                    }
                }
                let entry = Rc::new(botwire_event::new(
                    event,
                    id.0,
                    attempt,
                    matched.as_ref(),
                    ConversationKey::new(key, &self.seeder),
                ));
                drop(matched);
                self.events.insert(id.0, entry.clone());
                let handler = handler
                    .and_then(|h| self.handlers.get(h as usize).copied())
                    .or_else(|| {
                        callbacks.and_then(|c| {
                            Some(Handler {
                                function: c.dispatch?,
                                userdata: c.userdata,
                            })
                        })
                    });
                match handler {
                    Some(h) => return Some(Delivery::Handler(h, entry)),
                    None => self.pull.push_back(botwire_output::dispatch(entry)),
                }
            }
            BotOutput::ActionDone { id, result } => {
                let result = botwire_call_result::new(id.0, result);
                match callbacks.and_then(|c| c.call_done) {
                    Some(f) => return Some(Delivery::CallDone(Some(f), ud, id.0, result)),
                    None => self.pull.push_back(botwire_output::call_done(result)),
                }
            }
            BotOutput::DeadLetter(dead) => {
                self.events.retain(|_, e| e.event.id != dead.event.id);
                return self.notice(
                    botwire_output_kind::DeadLetter,
                    json!({
                        "kind": "dead_letter",
                        "message": format!(
                            "event {} failed {} times: {}",
                            dead.event.id, dead.attempts, dead.reason
                        ),
                        "attempts": dead.attempts,
                        "reason": dead.reason,
                        "event": dead.event.to_json(),
                    }),
                );
            }
            BotOutput::Notice(notice) => {
                return self.notice(botwire_output_kind::Notice, telegram_notice(&notice))
            }
            BotOutput::TrueConf(event) => {
                if let Some(info) = session_notice(&event) {
                    return self.notice(botwire_output_kind::Notice, info);
                }
            }
            BotOutput::Stopped { offset } => {
                return self.notice(
                    botwire_output_kind::Stopped,
                    json!({"kind": "stopped", "offset": offset}),
                )
            }
            other => {
                return self.notice(
                    botwire_output_kind::Notice,
                    json!({"kind": "other", "message": format!("{other:?}")}),
                )
            }
        }
        None
    }

    /// Makes the next queued output the current one (reusing the current one's box) and
    /// returns it; with none queued, releases the current one.
    fn advance(&mut self) -> Option<*const botwire_output> {
        let Some(next) = self.pull.pop_front() else {
            self.current = None;
            return None;
        };
        let slot = match &mut self.current {
            Some(slot) => {
                **slot = next;
                slot
            }
            None => self.current.insert(Box::new(next)),
        };
        Some(&**slot)
    }

    /// The deadline to arm: the machine's and the conversations'.
    pub(crate) fn deadline(&self) -> Option<Timestamp> {
        [
            self.machine.poll_timeout(),
            self.conversations.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }
}

fn telegram_notice(notice: &client::Event) -> Value {
    match notice {
        client::Event::Fatal { error } => {
            let mut info = crate::json::api_error_to_json(error);
            info["method"] = "getUpdates".into();
            info["fatal"] = true.into();
            info
        }
        client::Event::Conflict { description } => json!({
            "kind": "conflict",
            "message": format!("polling stopped: {description}"),
            "description": description,
        }),
        other => crate::json::event_to_json(other),
    }
}

fn session_notice(event: &SessionEvent) -> Option<Value> {
    Some(match event {
        SessionEvent::Connected {
            user_id, bot_id, ..
        } => json!({"kind": "connected", "userId": user_id, "botId": bot_id}),
        SessionEvent::Stopped { error: Some(error) } => {
            let mut info = trueconf_error_info(error);
            info["fatal"] = true.into();
            info
        }
        SessionEvent::Disconnected { reason, .. } => {
            json!({"kind": "disconnected", "message": format!("{reason:?}")})
        }
        SessionEvent::Malformed { reason } => json!({"kind": "malformed", "message": reason}),
        SessionEvent::Notice { message } => json!({"kind": "notice", "message": message}),
        _ => return None,
    })
}

/// Calls a host callback with the data taken out of the state (no borrow held).
///
/// # Safety
/// The callbacks were registered by the host for exactly these call shapes; `bot` is the
/// live handle the call came in with.
unsafe fn deliver(bot: *mut botwire_bot, delivery: Delivery) {
    match delivery {
        Delivery::Http(Some(f), ud, id, request) => {
            let parts = HttpParts::new(request);
            let view = parts.view();
            // SAFETY: the host's function; the request view lives until it returns.
            unsafe { f(ud, id, &view) };
        }
        // SAFETY: the host's function.
        Delivery::Id(f, ud, id) => unsafe { f(ud, id) },
        Delivery::WsOpen(Some(f), ud, conn, url, protocols) => {
            let url = Text::new(&url);
            let protocols: Vec<Text> = protocols.iter().map(|p| Text::new(p)).collect();
            let views: Vec<botwire_str> = protocols.iter().map(Text::view).collect();
            let view = url.view();
            // SAFETY: the host's function; every pointer lives until it returns.
            unsafe { f(ud, conn, view.ptr, view.len, views.as_ptr(), views.len()) };
        }
        Delivery::WsSend(Some(f), ud, conn, text) => {
            let text = Text::new(&text);
            let view = text.view();
            // SAFETY: the host's function; the text lives until it returns.
            unsafe { f(ud, conn, view.ptr, view.len) };
        }
        Delivery::Handler(h, event) => {
            // SAFETY: the host's handler; the event is kept alive by `event` until it
            // returns, and by the bot until its dispatch settles.
            unsafe { (h.function)(h.userdata, bot, event.dispatch_id, Rc::as_ptr(&event)) };
        }
        // SAFETY: the host's function; the result lives until it returns.
        Delivery::CallDone(Some(f), ud, id, result) => unsafe { f(ud, id, &result) },
        Delivery::Notice(Some(f), ud, kind, json) => {
            let view = json.view();
            // SAFETY: the host's function; the text lives until it returns.
            unsafe { f(ud, kind, view.ptr, view.len) };
        }
        Delivery::Expired(Some(f), ud, key, state) => {
            let (k, s) = (key.view(), state.view());
            // SAFETY: the host's function; the texts live until it returns.
            unsafe { f(ud, k.ptr, k.len, s.ptr, s.len) };
        }
        // Deliveries are only made for callbacks that are set.
        _ => {}
    }
}

impl botwire_bot {
    /// Runs an input or a command: the operation on the state, then the output loop (also
    /// when the operation failed).
    pub(crate) fn input<T>(
        &self,
        now: Timestamp,
        operation: impl FnOnce(&mut BotState) -> Result<T, Failure>,
    ) -> Result<T, Failure> {
        // Pull mode without handlers: the outputs stay in the machine until
        // `botwire_bot_poll_output` asks for them (it drains the machine once the queue is
        // empty, so the order is kept), instead of being moved to the queue after every call.
        let mut deliver = true;
        let value = self.with_state(|s| {
            s.tick(now);
            deliver = s.callbacks.is_some() || !s.handlers.is_empty();
            operation(s)
        });
        // Also after a failure: an input that failed half-way (a conversation's storage
        // failing at a timeout) may still have made outputs, and the timer needs re-arming.
        let pumped = if deliver { self.pump() } else { Ok(()) };
        let value = value?;
        pumped?;
        Ok(value)
    }

    /// Borrows the state for an operation (never while a callback of this bot holds it).
    pub(crate) fn with_state<T>(
        &self,
        operation: impl FnOnce(&mut BotState) -> Result<T, Failure>,
    ) -> Result<T, Failure> {
        if self.poisoned.get() {
            return Err(Failure::new(
                botwire_result::Panic,
                "the bot is unusable after an earlier panic",
            ));
        }
        let mut state = self.state.try_borrow_mut().map_err(|_| {
            Failure::new(
                botwire_result::ReentrantCall,
                "the bot is in use by the call that ran this callback (a storage callback \
                 cannot call into its bot)",
            )
        })?;
        match panic::catch_unwind(AssertUnwindSafe(|| operation(&mut state))) {
            Ok(result) => result,
            Err(payload) => {
                self.poisoned.set(true);
                Err(Failure::new(
                    botwire_result::Panic,
                    panic_message(payload.as_ref()),
                ))
            }
        }
    }

    /// Hands the outputs to the callbacks (and queues the others) until none is left, then
    /// arms the host's timer. Inside a running loop, it returns at once: the running loop
    /// picks up whatever the caller caused.
    pub(crate) fn pump(&self) -> Result<(), Failure> {
        // Handlers get the handle back; only shared references are ever made from it.
        let handle = std::ptr::from_ref(self).cast_mut();
        if self.draining.replace(true) {
            return Ok(());
        }
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| -> Result<(), Failure> {
            loop {
                let delivery = self.with_state(|s| Ok(s.next_delivery()))?;
                match delivery {
                    // SAFETY: the callbacks are the host's; `handle` is this live bot.
                    Some(d) => unsafe { deliver(handle, d) },
                    None => return Ok(()),
                }
            }
        }));
        self.draining.set(false);
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(failure)) => return Err(failure),
            Err(payload) => {
                self.poisoned.set(true);
                return Err(Failure::new(
                    botwire_result::Panic,
                    panic_message(payload.as_ref()),
                ));
            }
        }
        let timer = self.with_state(|s| {
            let Some((f, ud)) = s.callbacks.and_then(|c| Some((c.set_timer?, c.userdata))) else {
                return Ok(None);
            };
            let at = s.deadline().unwrap_or(BOTWIRE_NO_TIMER);
            if s.armed == Some(at) {
                return Ok(None);
            }
            s.armed = Some(at);
            Ok(Some((f, ud, at)))
        })?;
        if let Some((f, ud, at)) = timer {
            // SAFETY: the host's function.
            unsafe { f(ud, at) };
        }
        Ok(())
    }
}

// ---- handles and parameters ----

/// Borrows the bot behind a handle.
///
/// # Safety
/// `bot` is NULL or a live handle from [`botwire_bot_new`].
pub(crate) unsafe fn bot_arg<'a>(bot: *mut botwire_bot) -> Result<&'a botwire_bot, Failure> {
    // SAFETY: the caller guarantees a live handle or NULL, which as_ref checks. Only shared
    // references are made: the state is mutated through its RefCell.
    unsafe { bot.as_ref() }.ok_or_else(|| Failure::null("bot"))
}

/// Writes the bot's scratch text to `out`.
///
/// # Safety
/// `out` was checked non-NULL and is writable.
pub(crate) unsafe fn write_scratch(state: &mut BotState, out: *mut botwire_str, text: Text) {
    let text = state.scratch.insert(text);
    // SAFETY: as the caller guarantees; the text lives in the bot until the next call that
    // replaces it, as documented.
    unsafe { *out = text.view() };
}

// ---- lifecycle ----

/// Creates a bot from its options, JSON text with the npm package's option keys
/// (`{"platform":"telegram","token":"123:ABC"}`, `{"platform":"trueconf","server":"...",
/// "username":"...","password":"..."}`; see the library's documentation for every key:
/// apiRoot, intake, polling, webhook, callTimeoutMs, port, https, clientId, accessToken,
/// keepAliveMs, receiveUnread, requestTimeoutMs, reconnect settings, answerCommands,
/// dispatch, flood, ack, actionAttempts, actionRetryDelayMs, conversation, router, seed).
/// `router` sets how command routes read commands: `{"prefixes":["/","!"],"separator":"_",
/// "ignoreCase":true}` (defaults: `/`, runs of whitespace, case matters). Nothing
/// happens until [`botwire_bot_start`]. The bot starts in pull mode; see
/// [`botwire_bot_set_callbacks`].
///
/// On success writes the new handle to `*out`; release it with [`botwire_bot_free`].
///
/// # Errors
/// `BOTWIRE_RESULT_INVALID_OPTIONS` (the last error names the option at fault),
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_INVALID_UTF8`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `options_json` is NULL or valid for `options_len` bytes; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_new(
    options_json: *const c_char,
    options_len: usize,
    out: *mut *mut botwire_bot,
) -> botwire_result {
    guard(|| {
        out_arg(out, "out")?;
        // SAFETY: the caller guarantees the pointer is NULL or valid for its length.
        let options = unsafe { str_arg(options_json, options_len, "options_json") }?;
        let config = config_from_json(options)
            .map_err(|e| Failure::new(botwire_result::InvalidOptions, e))?;
        let machine = match config.machine {
            MachineConfig::Telegram(c) => {
                Machine::Telegram(Box::new(TelegramBot::new(*c).map_err(|e| {
                    Failure::new(botwire_result::InvalidOptions, e.to_string())
                })?))
            }
            MachineConfig::TrueConf(c) => Machine::TrueConf(Box::new(TrueConfBot::new(*c))),
        };
        let state = BotState {
            machine,
            router: config.router,
            handlers: Vec::new(),
            seeder: Rc::new(config.conversation.seeder.clone()),
            conversations: Conversations::new(
                BotStorage::Memory(MemoryStorage::new()),
                config.conversation,
            ),
            callbacks: None,
            pull: VecDeque::new(),
            current: None,
            events: IdMap::default(),
            scratch: None,
            armed: None,
            now: 0,
            http_webhook: config.http_webhook,
            update_intake: config.update_intake,
            started: false,
        };
        let handle = Box::new(botwire_bot {
            state: RefCell::new(state),
            draining: Cell::new(false),
            poisoned: Cell::new(false),
        });
        // SAFETY: `out` was checked non-NULL and the caller guarantees it is writable.
        unsafe { *out = Box::into_raw(handle) };
        Ok(botwire_result::Ok)
    })
}

/// Releases a bot and everything it handed out (outputs, events, strings). NULL is accepted
/// and ignored. Requests and sockets the host still has open are the host's to close; their
/// answers must not be reported any more.
///
/// Called from inside a callback of the same bot, it does nothing (the bot is still in use;
/// free it after the call that ran the callback returned).
///
/// # Safety
/// `bot` is NULL or a handle from [`botwire_bot_new`] not yet freed; it must not be used
/// afterwards.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_free(bot: *mut botwire_bot) {
    if bot.is_null() {
        return;
    }
    let _ = panic::catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the caller guarantees a live handle.
        let handle = unsafe { &*bot };
        if handle.draining.get() || handle.state.try_borrow_mut().is_err() {
            crate::set_last_error("botwire_bot_free was called from a callback of the bot");
            return;
        }
        // SAFETY: the caller hands back ownership of a handle made by Box::into_raw, and no
        // call of the library is using it (checked above).
        drop(unsafe { Box::from_raw(bot) });
    }));
}

/// Registers the host's callback table (callback mode), or with NULL, goes back to pull
/// mode. The table is copied. Outputs already queued for `botwire_bot_poll_output` stay
/// there; later outputs go to the callbacks the table sets. Conversations move between the
/// in-memory store and the host's (storage callbacks set or not) only while none is live:
/// set the table before [`botwire_bot_start`].
///
/// # Errors
/// `BOTWIRE_RESULT_INVALID_PARAMETER` (unknown `version`), `BOTWIRE_RESULT_WRONG_STATE`
/// (the store would change while conversations are live), `BOTWIRE_RESULT_NULL_PARAMETER`
/// (bot),
/// `BOTWIRE_RESULT_REENTRANT_CALL`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `bot` is NULL or a live handle; `callbacks` is NULL or points to a table whose functions
/// follow the documented signatures and stay callable, with `userdata`, until the bot is
/// freed or the table replaced.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_set_callbacks(
    bot: *mut botwire_bot,
    callbacks: *const botwire_io_callbacks,
) -> botwire_result {
    guard(|| {
        // SAFETY: the caller guarantees a readable table or NULL.
        let table = match unsafe { callbacks.as_ref() } {
            Some(t) => Some(botwire_io_callbacks::checked(t)?),
            None => None,
        };
        // SAFETY: passed on from the caller.
        unsafe { bot_arg(bot) }?.input(0, |s| {
            let storage = table.as_ref().and_then(botwire_io_callbacks::storage);
            let uses_host = matches!(s.conversations.storage(), BotStorage::Host(_));
            match storage {
                // The host's store stays the host's store (new functions or userdata).
                Some(host) if uses_host => {
                    *s.conversations.storage_mut() = BotStorage::Host(host);
                }
                None if !uses_host => {}
                _ => {
                    if !s.conversations.is_empty() {
                        return Err(Failure::new(
                            botwire_result::WrongState,
                            "conversations cannot move between the in-memory store and the \
                             host's store while one is live",
                        ));
                    }
                    *s.conversations.storage_mut() = match storage {
                        Some(host) => BotStorage::Host(host),
                        None => BotStorage::Memory(MemoryStorage::new()),
                    };
                }
            }
            s.callbacks = table;
            s.armed = None;
            Ok(())
        })?;
        Ok(botwire_result::Ok)
    })
}

/// The bot's platform.
///
/// # Errors
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_REENTRANT_CALL`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `bot` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_platform(
    bot: *mut botwire_bot,
    out: *mut botwire_platform,
) -> botwire_result {
    guard(|| {
        out_arg(out, "out")?;
        // SAFETY: passed on from the caller.
        let platform = unsafe { bot_arg(bot) }?.with_state(|s| Ok(s.machine.platform()))?;
        // SAFETY: checked non-NULL, writable by the caller's guarantee.
        unsafe { *out = platform.into() };
        Ok(botwire_result::Ok)
    })
}

/// Starts intake (Telegram: polling begins, or webhook deliveries are accepted; TrueConf: the
/// session logs in and connects; `"connected"` arrives as a notice).
///
/// # Errors
/// `BOTWIRE_RESULT_WRONG_STATE` (a TrueConf session that stopped for good),
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_REENTRANT_CALL`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `bot` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_start(bot: *mut botwire_bot, now: u64) -> botwire_result {
    guard(|| {
        // SAFETY: passed on from the caller.
        unsafe { bot_arg(bot) }?.input(now, |s| {
            s.machine.start(now)?;
            s.started = true;
            Ok(())
        })?;
        Ok(botwire_result::Ok)
    })
}

/// Stops gracefully: intake stops, running handlers and their actions finish, the cursor is
/// confirmed, then a `BOTWIRE_OUTPUT_KIND_STOPPED` output (or `notice` callback) follows.
///
/// # Errors
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_REENTRANT_CALL`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `bot` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_stop(bot: *mut botwire_bot, now: u64) -> botwire_result {
    guard(|| {
        // SAFETY: passed on from the caller.
        unsafe { bot_arg(bot) }?.input(now, |s| {
            s.machine.stop(now);
            Ok(())
        })?;
        Ok(botwire_result::Ok)
    })
}

/// Whether the bot has stopped (after [`botwire_bot_stop`], once everything finished).
///
/// # Errors
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_REENTRANT_CALL`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `bot` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_is_stopped(
    bot: *mut botwire_bot,
    out: *mut bool,
) -> botwire_result {
    guard(|| {
        out_arg(out, "out")?;
        // SAFETY: passed on from the caller.
        let stopped = unsafe { bot_arg(bot) }?.with_state(|s| Ok(s.machine.is_stopped()))?;
        // SAFETY: checked non-NULL, writable by the caller's guarantee.
        unsafe { *out = stopped };
        Ok(botwire_result::Ok)
    })
}

/// Tells a TrueConf bot the wall clock (Unix milliseconds at `now`), to judge its token's
/// expiry. Does nothing for a Telegram bot.
///
/// # Errors
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_REENTRANT_CALL`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `bot` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_set_wall_clock(
    bot: *mut botwire_bot,
    now: u64,
    unix_ms: i64,
) -> botwire_result {
    guard(|| {
        // SAFETY: passed on from the caller.
        unsafe { bot_arg(bot) }?.input(now, |s| {
            if let Machine::TrueConf(b) = &mut s.machine {
                b.set_wall_clock(now, unix_ms);
            }
            Ok(())
        })?;
        Ok(botwire_result::Ok)
    })
}

// ---- inputs ----

/// Reports the answer to HTTP request `request_id`: its status and body (`body` may be NULL
/// when `body_len` is 0; read during the call only). May be called from inside `send_http`.
///
/// # Errors
/// `BOTWIRE_RESULT_UNKNOWN_REQUEST` for an id never issued or already answered (nothing
/// changes then), `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_REENTRANT_CALL`,
/// `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `bot` is NULL or a live handle; `body` is NULL or valid for `body_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_handle_http_response(
    bot: *mut botwire_bot,
    now: u64,
    request_id: u64,
    status: u16,
    body: *const u8,
    body_len: usize,
) -> botwire_result {
    guard(|| {
        // SAFETY: the caller guarantees `body` is NULL or valid for `body_len` bytes.
        let body = unsafe { bytes_arg(body, body_len, "body") }?;
        // SAFETY: passed on from the caller.
        unsafe { bot_arg(bot) }?.input(now, |s| {
            s.machine
                .http_response(now, RequestId(request_id), status, body)
        })?;
        Ok(botwire_result::Ok)
    })
}

/// Reports that HTTP request `request_id` failed without an answer; `kind` is a
/// `botwire_http_error_kind` value.
///
/// # Errors
/// `BOTWIRE_RESULT_UNKNOWN_REQUEST`, `BOTWIRE_RESULT_INVALID_PARAMETER` (unknown kind),
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_REENTRANT_CALL`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `bot` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_handle_http_error(
    bot: *mut botwire_bot,
    now: u64,
    request_id: u64,
    kind: u32,
) -> botwire_result {
    guard(|| {
        let kind = botwire_http_error_kind::from_u32(kind).ok_or_else(|| {
            Failure::new(
                botwire_result::InvalidParameter,
                format!("{kind} is not a botwire_http_error_kind"),
            )
        })?;
        // SAFETY: passed on from the caller.
        unsafe { bot_arg(bot) }?.input(now, |s| {
            s.machine.http_error(now, RequestId(request_id), kind)
        })?;
        Ok(botwire_result::Ok)
    })
}

/// Reports that WebSocket `conn_id` opened.
///
/// # Errors
/// `BOTWIRE_RESULT_UNKNOWN_CONNECTION` (never asked for, closed, or not the current one),
/// `BOTWIRE_RESULT_NOT_SUPPORTED` (a Telegram bot), `BOTWIRE_RESULT_NULL_PARAMETER`,
/// `BOTWIRE_RESULT_REENTRANT_CALL`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `bot` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_handle_ws_opened(
    bot: *mut botwire_bot,
    now: u64,
    conn_id: u64,
) -> botwire_result {
    guard(|| {
        // SAFETY: passed on from the caller.
        unsafe { bot_arg(bot) }?.input(now, |s| s.machine.ws_opened(now, ConnId(conn_id)))?;
        Ok(botwire_result::Ok)
    })
}

/// Reports a text frame received on WebSocket `conn_id` (`text` read during the call only).
///
/// # Errors
/// `BOTWIRE_RESULT_UNKNOWN_CONNECTION`, `BOTWIRE_RESULT_NOT_SUPPORTED`,
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_INVALID_UTF8`,
/// `BOTWIRE_RESULT_REENTRANT_CALL`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `bot` is NULL or a live handle; `text` is NULL or valid for `text_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_handle_ws_frame(
    bot: *mut botwire_bot,
    now: u64,
    conn_id: u64,
    text: *const c_char,
    text_len: usize,
) -> botwire_result {
    guard(|| {
        // SAFETY: the caller guarantees `text` is NULL or valid for `text_len` bytes.
        let text = unsafe { str_arg(text, text_len, "text") }?;
        // SAFETY: passed on from the caller.
        unsafe { bot_arg(bot) }?.input(now, |s| s.machine.ws_frame(now, ConnId(conn_id), text))?;
        Ok(botwire_result::Ok)
    })
}

/// Reports a pong on WebSocket `conn_id` (the answer to a `ws_ping`).
///
/// # Errors
/// As [`botwire_bot_handle_ws_opened`].
///
/// # Safety
/// `bot` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_handle_ws_pong(
    bot: *mut botwire_bot,
    now: u64,
    conn_id: u64,
) -> botwire_result {
    guard(|| {
        // SAFETY: passed on from the caller.
        unsafe { bot_arg(bot) }?.input(now, |s| s.machine.ws_pong(now, ConnId(conn_id)))?;
        Ok(botwire_result::Ok)
    })
}

/// Reports that WebSocket `conn_id` closed or failed to open.
///
/// # Errors
/// As [`botwire_bot_handle_ws_opened`].
///
/// # Safety
/// `bot` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_handle_ws_closed(
    bot: *mut botwire_bot,
    now: u64,
    conn_id: u64,
) -> botwire_result {
    guard(|| {
        // SAFETY: passed on from the caller.
        unsafe { bot_arg(bot) }?.input(now, |s| s.machine.ws_closed(now, ConnId(conn_id)))?;
        Ok(botwire_result::Ok)
    })
}

/// Lets time pass: call it when the timer (from `set_timer` or
/// [`botwire_bot_poll_timeout`]) fires. Early or repeated calls do nothing. Conversations
/// whose idle timeout passed end here.
///
/// # Errors
/// `BOTWIRE_RESULT_STORAGE_FAILED` (ending a conversation failed; it is tried again at the
/// next timeout), `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_REENTRANT_CALL`,
/// `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `bot` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_handle_timeout(
    bot: *mut botwire_bot,
    now: u64,
) -> botwire_result {
    guard(|| {
        // SAFETY: passed on from the caller.
        unsafe { bot_arg(bot) }?.input(now, |s| {
            s.armed = None;
            s.machine.handle_timeout(now);
            s.conversations
                .handle_timeout(now)
                .map_err(crate::actions::storage_failure)?;
            Ok(())
        })?;
        Ok(botwire_result::Ok)
    })
}

/// Handles a Telegram webhook delivery (intake `"webhook"`): the request's headers
/// (`header_count` of them; NULL when 0) and body, read during the call only. Writes the
/// HTTP status to answer with, and its body (empty for 200), which lives until the next call
/// with this bot. A delivery is refused with 503 while the dispatch queue is full or the bot
/// stops (Telegram delivers it again), 401 with a wrong secret token, 404 when the bot's
/// intake is not `"webhook"`.
///
/// # Errors
/// `BOTWIRE_RESULT_NOT_SUPPORTED` (a TrueConf bot), `BOTWIRE_RESULT_NULL_PARAMETER`,
/// `BOTWIRE_RESULT_INVALID_UTF8` (a header), `BOTWIRE_RESULT_REENTRANT_CALL`,
/// `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `bot` is NULL or a live handle; `headers` is NULL or points to `header_count` headers
/// whose strings are valid for their lengths; `body` is NULL or valid for `body_len` bytes;
/// `out_status` and `out_body` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_handle_webhook(
    bot: *mut botwire_bot,
    now: u64,
    headers: *const botwire_header,
    header_count: usize,
    body: *const u8,
    body_len: usize,
    out_status: *mut u16,
    out_body: *mut botwire_str,
) -> botwire_result {
    guard(|| {
        out_arg(out_status, "out_status")?;
        out_arg(out_body, "out_body")?;
        // SAFETY: the caller guarantees `headers` is NULL or points to `header_count` items.
        let headers = unsafe { headers_arg(headers, header_count) }?;
        // SAFETY: the caller guarantees `body` is NULL or valid for `body_len` bytes.
        let body = unsafe { bytes_arg(body, body_len, "body") }?;
        // SAFETY: passed on from the caller.
        unsafe { bot_arg(bot) }?.input(now, |s| {
            let reply = match &mut s.machine {
                Machine::TrueConf(_) => {
                    return Err(Failure::new(
                        botwire_result::NotSupported,
                        "TrueConf has no webhooks",
                    ))
                }
                Machine::Telegram(_) if !s.http_webhook => {
                    botwire_core::telegram::client::WebhookReply {
                        status: 404,
                        body: b"webhook intake is not configured".to_vec(),
                    }
                }
                Machine::Telegram(b) => b.handle_webhook(now, &headers, body),
            };
            // SAFETY: both checked non-NULL, writable by the caller's guarantee.
            unsafe {
                *out_status = reply.status;
                write_scratch(
                    s,
                    out_body,
                    Text::from(String::from_utf8_lossy(&reply.body).into_owned()),
                );
            }
            Ok(())
        })?;
        Ok(botwire_result::Ok)
    })
}

/// Hands in one Telegram update (its JSON, read during the call only) received by the host
/// some other way, for a bot with intake `"none"` or `"webhook"`. It is dispatched like any
/// other; a repeated `update_id` is dropped (a `dropped` notice).
///
/// # Errors
/// `BOTWIRE_RESULT_INVALID_JSON` (not an update), `BOTWIRE_RESULT_QUEUE_FULL` (the dispatch
/// queue is full: hand it in again later), `BOTWIRE_RESULT_WRONG_STATE` (polling intake, or
/// the bot stops), `BOTWIRE_RESULT_NOT_SUPPORTED` (a TrueConf bot),
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_INVALID_UTF8`,
/// `BOTWIRE_RESULT_REENTRANT_CALL`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `bot` is NULL or a live handle; `update_json` is NULL or valid for `update_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_handle_update(
    bot: *mut botwire_bot,
    now: u64,
    update_json: *const c_char,
    update_len: usize,
) -> botwire_result {
    guard(|| {
        // SAFETY: the caller guarantees the pointer is NULL or valid for its length.
        let update = unsafe { str_arg(update_json, update_len, "update_json") }?;
        let parsed: Value = serde_json::from_str(update).map_err(|e| {
            Failure::new(
                botwire_result::InvalidJson,
                format!("not a Telegram update: {e}"),
            )
        })?;
        if parsed.get("update_id").and_then(Value::as_i64).is_none() {
            return Err(Failure::new(
                botwire_result::InvalidJson,
                "not a Telegram update: no integer update_id",
            ));
        }
        // SAFETY: passed on from the caller.
        unsafe { bot_arg(bot) }?.input(now, |s| {
            let secret = match (&s.machine, &s.update_intake) {
                (Machine::Telegram(_), Some(secret)) => secret.clone(),
                (Machine::Telegram(_), None) => {
                    return Err(Failure::new(
                        botwire_result::WrongState,
                        "updates are handed in with intake \"none\" or \"webhook\", not \
                             polling",
                    ))
                }
                (Machine::TrueConf(_), _) => {
                    return Err(Failure::new(
                        botwire_result::NotSupported,
                        "botwire_bot_handle_update is for Telegram bots",
                    ))
                }
            };
            let headers: Vec<(&str, &str)> = secret
                .as_deref()
                .map(|t| ("X-Telegram-Bot-Api-Secret-Token", t))
                .into_iter()
                .collect();
            let Machine::Telegram(b) = &mut s.machine else {
                return Ok(());
            };
            let stopping = b.is_stopped();
            let reply = b.handle_webhook(now, &headers, update.as_bytes());
            match reply.status {
                200 => Ok(()),
                503 if stopping || !s.started => Err(Failure::new(
                    botwire_result::WrongState,
                    "the bot is not running",
                )),
                503 => Err(Failure::new(
                    botwire_result::QueueFull,
                    "the dispatch queue is full (or the bot stops)",
                )),
                status => Err(Failure::new(
                    botwire_result::InvalidJson,
                    format!(
                        "update refused ({status}): {}",
                        String::from_utf8_lossy(&reply.body)
                    ),
                )),
            }
        })?;
        Ok(botwire_result::Ok)
    })
}

/// Reads webhook headers.
///
/// # Safety
/// `headers` is NULL or points to `count` headers whose strings are valid for their lengths.
unsafe fn headers_arg(
    headers: *const botwire_header,
    count: usize,
) -> Result<Vec<(String, String)>, Failure> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if headers.is_null() {
        return Err(Failure::null("headers"));
    }
    // SAFETY: non-NULL, and the caller guarantees `count` readable items.
    let items = unsafe { std::slice::from_raw_parts(headers, count) };
    items
        .iter()
        .map(|h| {
            // SAFETY: the caller guarantees each string is valid for its length.
            let name = unsafe { str_arg(h.name.ptr, h.name.len, "header name") }?;
            // SAFETY: as above.
            let value = unsafe { str_arg(h.value.ptr, h.value.len, "header value") }?;
            Ok((name.to_owned(), value.to_owned()))
        })
        .collect()
}

// ---- pull mode ----

/// Takes the next output (pull mode, and outputs whose callback is not set). Writes a
/// pointer to it; it lives until the next `botwire_bot_poll_output` with this bot, or until
/// the bot is freed. Call it after every input or command until it returns
/// `BOTWIRE_RESULT_EMPTY`, then arm one timer at [`botwire_bot_poll_timeout`].
///
/// Handlers of matching routes (and the `dispatch` callback) are run by the library itself,
/// during the input that caused the dispatch; only dispatches nothing handles come out here.
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` when no output is waiting (`*out` untouched; the previous output
/// is released), `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_REENTRANT_CALL`,
/// `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `bot` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_poll_output(
    bot: *mut botwire_bot,
    out: *mut *const botwire_output,
) -> botwire_result {
    guard(|| {
        out_arg(out, "out")?;
        // SAFETY: passed on from the caller.
        let handle = unsafe { bot_arg(bot) }?;
        // Outputs may still be inside the machine (calls in pull mode leave them there); they
        // come after the queued ones, so the machine is only drained once the queue is empty.
        let mut next = handle.with_state(|s| Ok(s.advance()))?;
        if next.is_none() {
            handle.pump()?;
            next = handle.with_state(|s| Ok(s.advance()))?;
        }
        Ok(match next {
            Some(output) => {
                // SAFETY: checked non-NULL, writable by the caller's guarantee. The output
                // stays in the bot until the next poll, as documented.
                unsafe { *out = output };
                botwire_result::Ok
            }
            None => botwire_result::Empty,
        })
    })
}

/// When to call [`botwire_bot_handle_timeout`] next, in the same clock as `now` (possibly in
/// the past: call it at once then).
///
/// # Errors
/// `BOTWIRE_RESULT_EMPTY` when no timer needs arming (`*out_at` untouched),
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_REENTRANT_CALL`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `bot` is NULL or a live handle; `out_at` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_poll_timeout(
    bot: *mut botwire_bot,
    out_at: *mut u64,
) -> botwire_result {
    guard(|| {
        out_arg(out_at, "out_at")?;
        // SAFETY: passed on from the caller.
        let at = unsafe { bot_arg(bot) }?.with_state(|s| Ok(s.deadline()))?;
        Ok(match at {
            Some(at) => {
                // SAFETY: checked non-NULL, writable by the caller's guarantee.
                unsafe { *out_at = at };
                botwire_result::Ok
            }
            None => botwire_result::Empty,
        })
    })
}

// ---- state ----

/// The state to store for a restart, as JSON (Telegram: the intake cursor, unsettled updates
/// and unconfirmed actions; TrueConf: unsettled events and unconfirmed actions), stamped with
/// the host's wall clock (`wall_unix_ms`, Unix milliseconds). The text lives until the next
/// call with this bot. Conversations are in their storage, not in this state.
///
/// # Errors
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_REENTRANT_CALL`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `bot` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_export_state(
    bot: *mut botwire_bot,
    wall_unix_ms: i64,
    out: *mut botwire_str,
) -> botwire_result {
    guard(|| {
        out_arg(out, "out")?;
        // SAFETY: passed on from the caller.
        unsafe { bot_arg(bot) }?.with_state(|s| {
            let state = s.machine.export_state(wall_unix_ms).to_string();
            // SAFETY: checked non-NULL, writable by the caller's guarantee.
            unsafe { write_scratch(s, out, Text::from(state)) };
            Ok(botwire_result::Ok)
        })
    })
}

/// Restores a state from [`botwire_bot_export_state`] before [`botwire_bot_start`]: its
/// unsettled events are dispatched again and its unconfirmed actions performed again (their
/// outcomes arrive with new call ids). Writes how many events were restored.
///
/// # Errors
/// `BOTWIRE_RESULT_INVALID_JSON` (not a state of this platform),
/// `BOTWIRE_RESULT_NULL_PARAMETER`, `BOTWIRE_RESULT_INVALID_UTF8`,
/// `BOTWIRE_RESULT_REENTRANT_CALL`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `bot` is NULL or a live handle; `state_json` is NULL or valid for `state_len` bytes;
/// `out_restored` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_restore_state(
    bot: *mut botwire_bot,
    now: u64,
    state_json: *const c_char,
    state_len: usize,
    wall_unix_ms: i64,
    out_restored: *mut usize,
) -> botwire_result {
    guard(|| {
        out_arg(out_restored, "out_restored")?;
        // SAFETY: the caller guarantees the pointer is NULL or valid for its length.
        let state = unsafe { str_arg(state_json, state_len, "state_json") }?;
        // SAFETY: passed on from the caller.
        let restored = unsafe { bot_arg(bot) }?
            .input(now, |s| s.machine.restore_state(now, state, wall_unix_ms))?;
        // SAFETY: checked non-NULL, writable by the caller's guarantee.
        unsafe { *out_restored = restored };
        Ok(botwire_result::Ok)
    })
}

/// Sets the bot's username (without `@`), so commands written `/cmd@otherbot` are not taken
/// as this bot's; NULL forgets it (any username is then accepted).
///
/// # Errors
/// `BOTWIRE_RESULT_NULL_PARAMETER` (bot), `BOTWIRE_RESULT_INVALID_UTF8`,
/// `BOTWIRE_RESULT_REENTRANT_CALL`, `BOTWIRE_RESULT_PANIC`.
///
/// # Safety
/// `bot` is NULL or a live handle; `username` is NULL or valid for `username_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn botwire_bot_set_username(
    bot: *mut botwire_bot,
    username: *const c_char,
    username_len: usize,
) -> botwire_result {
    guard(|| {
        // SAFETY: the caller guarantees the pointer is NULL or valid for its length.
        let username = unsafe { optional_str_arg(username, username_len, "username") }?;
        // SAFETY: passed on from the caller.
        unsafe { bot_arg(bot) }?.with_state(|s| {
            s.router.set_bot_username(username);
            Ok(botwire_result::Ok)
        })
    })
}
