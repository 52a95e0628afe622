//! A host written against the C functions only (as a C program would be), serving a bot from
//! the core's simulators on a virtual clock, in pull mode or in callback mode.

use crate::bot::*;
use crate::callbacks::*;
use crate::event::*;
use crate::output::*;
use crate::types::*;
use crate::{botwire_http_error_kind, botwire_last_error, botwire_result};
use botwire_core::io::{HttpMethod, HttpRequest};
use botwire_core::sim::telegram::{SimConfig, SimReply, TelegramSim};
use botwire_core::sim::trueconf::{SimConfig as TcConfig, SimConn, SimWsOut, TrueConfSim};
use serde_json::Value;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::c_void;
use std::ptr;

/// The Telegram simulator's private chat with its default user.
pub const TG_USER: i64 = 1001;

pub fn s(text: &str) -> (*const std::ffi::c_char, usize) {
    (text.as_ptr().cast(), text.len())
}

pub fn last_error() -> String {
    let mut text = ptr::null();
    let mut len = 0;
    // SAFETY: writable out-parameters.
    let result = unsafe { botwire_last_error(&mut text, &mut len) };
    assert_eq!(result, botwire_result::Ok);
    // SAFETY: the library wrote a pointer to `len` bytes.
    String::from_utf8(unsafe { std::slice::from_raw_parts(text.cast::<u8>(), len) }.to_vec())
        .unwrap()
}

/// Reads a borrowed string.
pub fn read(view: botwire_str) -> String {
    if view.ptr.is_null() {
        assert_eq!(view.len, 0);
        return String::new();
    }
    // SAFETY: the library hands out `len` valid bytes followed by a NUL.
    let bytes = unsafe { std::slice::from_raw_parts(view.ptr.cast::<u8>(), view.len + 1) };
    assert_eq!(bytes[view.len], 0, "strings handed out are NUL-terminated");
    String::from_utf8(bytes[..view.len].to_vec()).unwrap()
}

/// A string accessor of an event: `None` for `BOTWIRE_RESULT_EMPTY`.
pub fn field(
    event: *const botwire_event,
    accessor: unsafe extern "C" fn(*const botwire_event, *mut botwire_str) -> botwire_result,
) -> Option<String> {
    let mut out = botwire_str {
        ptr: ptr::null(),
        len: 0,
    };
    // SAFETY: a live event and a writable out-parameter.
    match unsafe { accessor(event, &mut out) } {
        botwire_result::Ok => Some(read(out)),
        botwire_result::Empty => None,
        other => panic!("accessor failed: {other:?} {}", last_error()),
    }
}

pub fn new_bot(options: &str) -> *mut botwire_bot {
    let mut bot = ptr::null_mut();
    let (p, l) = s(options);
    // SAFETY: valid strings and a writable out-parameter.
    let result = unsafe { botwire_bot_new(p, l, &mut bot) };
    assert_eq!(result, botwire_result::Ok, "{}", last_error());
    assert!(!bot.is_null());
    bot
}

pub fn start(bot: *mut botwire_bot, now: u64) {
    // SAFETY: a live bot.
    let r = unsafe { botwire_bot_start(bot, now) };
    assert_eq!(r, botwire_result::Ok, "{}", last_error());
}

pub fn telegram_options(extra: &str) -> String {
    let token = SimConfig::default().token;
    format!(r#"{{"platform":"telegram","token":"{token}","apiRoot":"http://sim.invalid"{extra}}}"#)
}

pub fn trueconf_options(extra: &str) -> String {
    let sim = TcConfig::default();
    format!(
        r#"{{"platform":"trueconf","server":"127.0.0.1","port":4309,"https":false,
            "username":"{}","password":"{}"{extra}}}"#,
        sim.bot.login,
        sim.bot.password.unwrap_or_default()
    )
}

/// An HTTP request read back from its C form.
pub fn request_from(view: &botwire_http_request) -> HttpRequest {
    let headers = if view.header_count == 0 {
        Vec::new()
    } else {
        // SAFETY: the library hands out `header_count` headers.
        unsafe { std::slice::from_raw_parts(view.headers, view.header_count) }
            .iter()
            .map(|h| (read(h.name), read(h.value)))
            .collect()
    };
    let body = if view.body_len == 0 {
        Vec::new()
    } else {
        // SAFETY: the library hands out `body_len` bytes.
        unsafe { std::slice::from_raw_parts(view.body, view.body_len) }.to_vec()
    };
    HttpRequest {
        method: if read(view.method) == "GET" {
            HttpMethod::Get
        } else {
            HttpMethod::Post
        },
        url: read(view.url),
        headers,
        body,
        timeout_ms: (view.timeout_ms > 0).then_some(view.timeout_ms),
    }
}

/// The path of a `ws://host:port/path` URL.
fn ws_path(url: &str) -> String {
    url.split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_owned()))
        .unwrap_or_else(|| "/".to_owned())
}

/// The simulated platform on the other side.
pub enum Sim {
    Telegram(Box<TelegramSim>),
    TrueConf {
        sim: Box<TrueConfSim>,
        to_sim: HashMap<u64, SimConn>,
        from_sim: HashMap<u64, u64>,
    },
}

/// What a simulator asks of the bot after serving it.
pub enum Answer {
    Http(u64, u16, Vec<u8>),
    HttpError(u64, u32),
    WsOpened(u64),
    WsClosed(u64),
    WsFrame(u64, String),
}

impl Sim {
    pub fn telegram() -> Self {
        Sim::Telegram(Box::new(TelegramSim::new(SimConfig::default())))
    }

    pub fn trueconf() -> Self {
        let mut sim = TrueConfSim::new(TcConfig::default());
        sim.set_base_url("http://127.0.0.1:4309");
        Sim::TrueConf {
            sim: Box::new(sim),
            to_sim: HashMap::new(),
            from_sim: HashMap::new(),
        }
    }

    pub fn telegram_sim(&mut self) -> &mut TelegramSim {
        match self {
            Sim::Telegram(sim) => sim,
            Sim::TrueConf { .. } => panic!("not Telegram"),
        }
    }

    pub fn trueconf_sim(&mut self) -> &mut TrueConfSim {
        match self {
            Sim::TrueConf { sim, .. } => sim,
            Sim::Telegram(_) => panic!("not TrueConf"),
        }
    }

    pub fn http(&mut self, now: u64, id: u64, request: &HttpRequest) -> Vec<Answer> {
        match self {
            Sim::Telegram(sim) => {
                sim.handle_request(now, id, request).expect("fresh key");
                Vec::new()
            }
            Sim::TrueConf { sim, .. } => {
                let answer = sim.handle_http(now, request);
                vec![Answer::Http(id, answer.status, answer.body)]
            }
        }
    }

    pub fn abort(&mut self, id: u64) -> Vec<Answer> {
        if let Sim::Telegram(sim) = self {
            sim.cancel_request(id);
        }
        vec![Answer::HttpError(
            id,
            botwire_http_error_kind::Aborted as u32,
        )]
    }

    pub fn ws_open(&mut self, now: u64, conn: u64, url: &str, protocols: &[String]) -> Answer {
        let Sim::TrueConf {
            sim,
            to_sim,
            from_sim,
        } = self
        else {
            panic!("Telegram has no WebSocket")
        };
        let offered: Vec<&str> = protocols.iter().map(String::as_str).collect();
        match sim.ws_open(now, &ws_path(url), &offered) {
            Ok(accepted) => {
                to_sim.insert(conn, accepted.conn);
                from_sim.insert(accepted.conn.0, conn);
                Answer::WsOpened(conn)
            }
            Err(_) => Answer::WsClosed(conn),
        }
    }

    pub fn ws_send(&mut self, now: u64, conn: u64, text: &str) {
        if let Sim::TrueConf { sim, to_sim, .. } = self {
            if let Some(&c) = to_sim.get(&conn) {
                let _ = sim.ws_receive(now, c, text);
            }
        }
    }

    pub fn ws_close(&mut self, now: u64, conn: u64) {
        if let Sim::TrueConf {
            sim,
            to_sim,
            from_sim,
        } = self
        {
            if let Some(c) = to_sim.remove(&conn) {
                from_sim.remove(&c.0);
                sim.ws_closed(now, c);
            }
        }
    }

    /// Answers the simulator has ready (held polls released, frames pushed).
    pub fn pending(&mut self) -> Vec<Answer> {
        let mut answers = Vec::new();
        match self {
            Sim::Telegram(sim) => {
                while let Some((key, reply)) = sim.poll_response() {
                    answers.push(match reply {
                        SimReply::Response(r) => Answer::Http(key, r.status, r.body),
                        SimReply::Dropped => {
                            Answer::HttpError(key, botwire_http_error_kind::Io as u32)
                        }
                    });
                }
            }
            Sim::TrueConf {
                sim,
                to_sim,
                from_sim,
            } => {
                while let Some((c, out)) = sim.poll_ws() {
                    let Some(&conn) = from_sim.get(&c.0) else {
                        continue;
                    };
                    answers.push(match out {
                        SimWsOut::Text(text) => Answer::WsFrame(conn, text),
                        SimWsOut::Close => {
                            from_sim.remove(&c.0);
                            to_sim.remove(&conn);
                            Answer::WsClosed(conn)
                        }
                    });
                }
            }
        }
        answers
    }

    pub fn next_event(&self) -> Option<u64> {
        match self {
            Sim::Telegram(sim) => sim.next_event(),
            Sim::TrueConf { sim, .. } => sim.next_event(),
        }
    }

    pub fn advance(&mut self, now: u64) {
        match self {
            Sim::Telegram(sim) => sim.advance(now),
            Sim::TrueConf { sim, .. } => sim.handle_timeout(now),
        }
    }
}

/// Hands an answer to the bot (as a host does when its I/O completes).
pub fn feed(bot: *mut botwire_bot, now: u64, answer: Answer) {
    // SAFETY: a live bot and valid buffers.
    let result = unsafe {
        match &answer {
            Answer::Http(id, status, body) => {
                botwire_bot_handle_http_response(bot, now, *id, *status, body.as_ptr(), body.len())
            }
            Answer::HttpError(id, kind) => botwire_bot_handle_http_error(bot, now, *id, *kind),
            Answer::WsOpened(conn) => botwire_bot_handle_ws_opened(bot, now, *conn),
            Answer::WsClosed(conn) => botwire_bot_handle_ws_closed(bot, now, *conn),
            Answer::WsFrame(conn, text) => {
                botwire_bot_handle_ws_frame(bot, now, *conn, text.as_ptr().cast(), text.len())
            }
        }
    };
    assert_eq!(result, botwire_result::Ok, "{}", last_error());
}

/// An output of the pull mode that is not I/O, as the test sees it.
#[derive(Debug, Clone)]
pub enum Seen {
    Dispatch {
        id: u64,
        event: *const botwire_event,
    },
    CallDone {
        id: u64,
        ok: bool,
        json: Option<String>,
        error: Option<String>,
    },
    Notice {
        kind: botwire_output_kind,
        json: String,
    },
    Expired {
        key: String,
        state: String,
    },
}

pub fn call_done_of(result: *const botwire_call_result) -> Seen {
    let (mut id, mut ok) = (0, false);
    let mut out = botwire_str {
        ptr: ptr::null(),
        len: 0,
    };
    // SAFETY: a live result and writable out-parameters.
    unsafe {
        assert_eq!(
            botwire_call_result_status(result, &mut id, &mut ok),
            botwire_result::Ok
        );
        let json =
            (botwire_call_result_json(result, &mut out) == botwire_result::Ok).then(|| read(out));
        let error = (botwire_call_result_error_json(result, &mut out) == botwire_result::Ok)
            .then(|| read(out));
        assert_eq!(ok, json.is_some());
        assert_eq!(ok, error.is_none());
        Seen::CallDone {
            id,
            ok,
            json,
            error,
        }
    }
}

/// A host in pull mode: drains `botwire_bot_poll_output`, serves I/O from the simulator.
pub struct PullHost {
    pub bot: *mut botwire_bot,
    pub sim: Sim,
    pub now: u64,
    /// `now` for handlers.
    pub clock: Box<Cell<u64>>,
    pub seen: Vec<Seen>,
}

impl PullHost {
    pub fn new(options: &str, sim: Sim) -> Self {
        PullHost {
            bot: new_bot(options),
            sim,
            now: 0,
            clock: Box::new(Cell::new(0)),
            seen: Vec::new(),
        }
    }

    /// Takes one output; `None` when drained.
    fn poll_one(&mut self) -> Option<Vec<Answer>> {
        let mut output = ptr::null();
        // SAFETY: a live bot, a writable out-parameter.
        match unsafe { botwire_bot_poll_output(self.bot, &mut output) } {
            botwire_result::Empty => return None,
            botwire_result::Ok => {}
            other => panic!("poll_output: {other:?} {}", last_error()),
        }
        let mut kind = botwire_output_kind::Notice;
        let mut id = 0;
        let mut text = botwire_str {
            ptr: ptr::null(),
            len: 0,
        };
        // SAFETY: a live output and writable out-parameters.
        unsafe {
            assert_eq!(
                botwire_output_get_kind(output, &mut kind),
                botwire_result::Ok
            );
            let has_id = botwire_output_id(output, &mut id) == botwire_result::Ok;
            let now = self.now;
            Some(match kind {
                botwire_output_kind::HttpRequest => {
                    assert!(has_id);
                    let mut view = std::mem::zeroed::<botwire_http_request>();
                    assert_eq!(
                        botwire_output_http_request(output, &mut view),
                        botwire_result::Ok
                    );
                    self.sim.http(now, id, &request_from(&view))
                }
                botwire_output_kind::HttpAbort => self.sim.abort(id),
                botwire_output_kind::WsOpen => {
                    assert_eq!(botwire_output_ws_url(output, &mut text), botwire_result::Ok);
                    let url = read(text);
                    let mut count = 0;
                    botwire_output_ws_protocol_count(output, &mut count);
                    let protocols = (0..count)
                        .map(|i| {
                            assert_eq!(
                                botwire_output_ws_protocol(output, i, &mut text),
                                botwire_result::Ok
                            );
                            read(text)
                        })
                        .collect::<Vec<_>>();
                    vec![self.sim.ws_open(now, id, &url, &protocols)]
                }
                botwire_output_kind::WsSend => {
                    assert_eq!(botwire_output_text(output, &mut text), botwire_result::Ok);
                    self.sim.ws_send(now, id, &read(text));
                    Vec::new()
                }
                botwire_output_kind::WsPing => {
                    let pong = botwire_bot_handle_ws_pong(self.bot, now, id);
                    assert_eq!(pong, botwire_result::Ok, "{}", last_error());
                    Vec::new()
                }
                botwire_output_kind::WsClose => {
                    self.sim.ws_close(now, id);
                    Vec::new()
                }
                botwire_output_kind::Dispatch => {
                    let mut event = ptr::null();
                    assert_eq!(botwire_output_event(output, &mut event), botwire_result::Ok);
                    self.seen.push(Seen::Dispatch { id, event });
                    Vec::new()
                }
                botwire_output_kind::CallDone => {
                    let mut result = ptr::null();
                    assert_eq!(
                        botwire_output_call_result(output, &mut result),
                        botwire_result::Ok
                    );
                    self.seen.push(call_done_of(result));
                    Vec::new()
                }
                botwire_output_kind::ConversationExpired => {
                    assert_eq!(botwire_output_text(output, &mut text), botwire_result::Ok);
                    let key = read(text);
                    assert_eq!(botwire_output_json(output, &mut text), botwire_result::Ok);
                    self.seen.push(Seen::Expired {
                        key,
                        state: read(text),
                    });
                    Vec::new()
                }
                kind => {
                    assert_eq!(botwire_output_json(output, &mut text), botwire_result::Ok);
                    self.seen.push(Seen::Notice {
                        kind,
                        json: read(text),
                    });
                    Vec::new()
                }
            })
        }
    }

    /// Moves outputs and answers across until nothing moves.
    pub fn pump(&mut self) {
        for _ in 0..10_000 {
            let mut moved = false;
            while let Some(answers) = self.poll_one() {
                moved = true;
                for a in answers {
                    feed(self.bot, self.now, a);
                }
            }
            for a in self.sim.pending() {
                moved = true;
                feed(self.bot, self.now, a);
            }
            if !moved {
                return;
            }
        }
        panic!("livelock");
    }

    /// Advances the virtual clock to the next deadline (bot or simulator) and pumps; false
    /// when there is none.
    pub fn step(&mut self) -> bool {
        self.pump();
        let mut at = 0;
        // SAFETY: a live bot and a writable out-parameter.
        let bot_at = match unsafe { botwire_bot_poll_timeout(self.bot, &mut at) } {
            botwire_result::Ok => Some(at),
            _ => None,
        };
        let Some(next) = [bot_at, self.sim.next_event()].into_iter().flatten().min() else {
            return false;
        };
        self.now = self.now.max(next);
        self.clock.set(self.now);
        self.sim.advance(self.now);
        // SAFETY: a live bot.
        let r = unsafe { botwire_bot_handle_timeout(self.bot, self.now) };
        assert_eq!(r, botwire_result::Ok, "{}", last_error());
        self.pump();
        true
    }

    /// Steps until `done` holds (bounded).
    pub fn run_until(&mut self, mut done: impl FnMut(&mut PullHost) -> bool) {
        self.pump();
        for _ in 0..500 {
            if done(self) {
                return;
            }
            if !self.step() {
                assert!(
                    done(self),
                    "nothing left to do and the condition does not hold"
                );
                return;
            }
        }
        panic!("condition not reached in 500 steps");
    }

    pub fn take_seen(&mut self) -> Vec<Seen> {
        std::mem::take(&mut self.seen)
    }
}

impl Drop for PullHost {
    fn drop(&mut self) {
        // SAFETY: the bot is live and not used afterwards.
        unsafe { botwire_bot_free(self.bot) };
    }
}

// ---- callback mode ----

/// A host in callback mode. Boxed: its address is the callbacks' userdata.
pub struct CallbackHost {
    pub bot: Cell<*mut botwire_bot>,
    pub sim: RefCell<Sim>,
    pub now: Cell<u64>,
    pub timer: Cell<u64>,
    pub calls: RefCell<Vec<Seen>>,
    pub notices: RefCell<Vec<Seen>>,
    pub storage: RefCell<HashMap<String, Vec<u8>>>,
    /// Results of a call into the bot made from inside a storage callback.
    pub reentrant_from_storage: RefCell<Vec<botwire_result>>,
    /// Whether send_http answers at once from inside the callback (the reentrant path).
    pub answer_inline: Cell<bool>,
    pub pings: Cell<u32>,
    /// Makes storage writes fail.
    pub fail_puts: Cell<bool>,
    /// Texts of the events the `dispatch` callback completed.
    pub dispatched: RefCell<Vec<Option<String>>>,
}

impl CallbackHost {
    pub fn new(options: &str, sim: Sim, with_storage: bool) -> Box<Self> {
        let host = Box::new(CallbackHost {
            bot: Cell::new(new_bot(options)),
            sim: RefCell::new(sim),
            now: Cell::new(0),
            timer: Cell::new(BOTWIRE_NO_TIMER),
            calls: RefCell::new(Vec::new()),
            notices: RefCell::new(Vec::new()),
            storage: RefCell::new(HashMap::new()),
            reentrant_from_storage: RefCell::new(Vec::new()),
            answer_inline: Cell::new(true),
            pings: Cell::new(0),
            fail_puts: Cell::new(false),
            dispatched: RefCell::new(Vec::new()),
        });
        let mut table = callbacks_table(&host);
        if !with_storage {
            table.storage_get = None;
            table.storage_put = None;
            table.storage_delete = None;
            table.storage_keys = None;
        }
        // SAFETY: a live bot and a table of functions matching the signatures; the host
        // outlives the bot (dropped after it).
        let r = unsafe { botwire_bot_set_callbacks(host.bot.get(), &table) };
        assert_eq!(r, botwire_result::Ok, "{}", last_error());
        host
    }

    pub fn bot(&self) -> *mut botwire_bot {
        self.bot.get()
    }

    /// Registers the callback table again, changed by `change`.
    pub fn change_table(&self, change: impl FnOnce(&mut botwire_io_callbacks)) {
        let mut table = callbacks_table(self);
        change(&mut table);
        // SAFETY: a live bot and a table of functions matching the signatures.
        let r = unsafe { botwire_bot_set_callbacks(self.bot(), &table) };
        assert_eq!(r, botwire_result::Ok, "{}", last_error());
    }

    /// Feeds the simulator's ready answers; false when there were none.
    pub fn deliver_pending(&self) -> bool {
        let answers = self.sim.borrow_mut().pending();
        let any = !answers.is_empty();
        for a in answers {
            feed(self.bot(), self.now.get(), a);
        }
        any
    }

    /// Advances to the next deadline (the armed timer or the simulator's); false when none.
    pub fn step(&self) -> bool {
        while self.deliver_pending() {}
        let armed = (self.timer.get() != BOTWIRE_NO_TIMER).then_some(self.timer.get());
        let sim_at = self.sim.borrow().next_event();
        let Some(next) = [armed, sim_at].into_iter().flatten().min() else {
            return false;
        };
        self.now.set(self.now.get().max(next));
        self.sim.borrow_mut().advance(self.now.get());
        if armed.is_some_and(|a| a <= self.now.get()) {
            // SAFETY: a live bot.
            let r = unsafe { botwire_bot_handle_timeout(self.bot(), self.now.get()) };
            assert_eq!(r, botwire_result::Ok, "{}", last_error());
        }
        while self.deliver_pending() {}
        true
    }

    pub fn run_until(&self, mut done: impl FnMut(&CallbackHost) -> bool) {
        while self.deliver_pending() {}
        for _ in 0..500 {
            if done(self) {
                return;
            }
            if !self.step() {
                assert!(
                    done(self),
                    "nothing left to do and the condition does not hold"
                );
                return;
            }
        }
        panic!("condition not reached in 500 steps");
    }
}

impl Drop for CallbackHost {
    fn drop(&mut self) {
        // SAFETY: the bot is live and not used afterwards.
        unsafe { botwire_bot_free(self.bot.get()) };
    }
}

/// The host behind a userdata pointer.
///
/// # Safety
/// `userdata` is the address of a live `CallbackHost`.
unsafe fn host<'a>(userdata: *mut c_void) -> &'a CallbackHost {
    // SAFETY: as the caller guarantees.
    unsafe { &*userdata.cast::<CallbackHost>() }
}

unsafe extern "C" fn cb_send_http(
    userdata: *mut c_void,
    request_id: u64,
    request: *const botwire_http_request,
) {
    // SAFETY: the library passes our host and a live request.
    let (h, request) = unsafe { (host(userdata), request_from(&*request)) };
    let now = h.now.get();
    let mut answers = h.sim.borrow_mut().http(now, request_id, &request);
    if h.answer_inline.get() {
        answers.extend(h.sim.borrow_mut().pending());
    }
    // Reentrant: answered from inside the callback (the sim's borrow is released first).
    for a in answers {
        feed(h.bot(), now, a);
    }
}

unsafe extern "C" fn cb_abort_http(userdata: *mut c_void, request_id: u64) {
    // SAFETY: the library passes our host.
    let h = unsafe { host(userdata) };
    let answers = h.sim.borrow_mut().abort(request_id);
    for a in answers {
        feed(h.bot(), h.now.get(), a);
    }
}

unsafe extern "C" fn cb_ws_open(
    userdata: *mut c_void,
    conn_id: u64,
    url: *const std::ffi::c_char,
    url_len: usize,
    protocols: *const botwire_str,
    protocol_count: usize,
) {
    // SAFETY: the library passes our host and live strings.
    let (h, url, protocols) = unsafe {
        (
            host(userdata),
            read(botwire_str {
                ptr: url,
                len: url_len,
            }),
            std::slice::from_raw_parts(protocols, protocol_count)
                .iter()
                .map(|p| read(*p))
                .collect::<Vec<_>>(),
        )
    };
    let answer = h
        .sim
        .borrow_mut()
        .ws_open(h.now.get(), conn_id, &url, &protocols);
    feed(h.bot(), h.now.get(), answer);
}

unsafe extern "C" fn cb_ws_send(
    userdata: *mut c_void,
    conn_id: u64,
    text: *const std::ffi::c_char,
    text_len: usize,
) {
    // SAFETY: the library passes our host and a live string.
    let (h, text) = unsafe {
        (
            host(userdata),
            read(botwire_str {
                ptr: text,
                len: text_len,
            }),
        )
    };
    h.sim.borrow_mut().ws_send(h.now.get(), conn_id, &text);
}

unsafe extern "C" fn cb_ws_ping(userdata: *mut c_void, conn_id: u64) {
    // SAFETY: the library passes our host.
    let h = unsafe { host(userdata) };
    h.pings.set(h.pings.get() + 1);
    // SAFETY: a live bot.
    let r = unsafe { botwire_bot_handle_ws_pong(h.bot(), h.now.get(), conn_id) };
    assert_eq!(r, botwire_result::Ok);
}

unsafe extern "C" fn cb_ws_close(userdata: *mut c_void, conn_id: u64) {
    // SAFETY: the library passes our host.
    let h = unsafe { host(userdata) };
    h.sim.borrow_mut().ws_close(h.now.get(), conn_id);
}

/// The `dispatch` callback: records the event's text and completes it at once.
pub unsafe extern "C" fn cb_dispatch(
    userdata: *mut c_void,
    bot: *mut botwire_bot,
    dispatch_id: u64,
    event: *const botwire_event,
) {
    // SAFETY: the library passes our host and its live bot.
    let h = unsafe { host(userdata) };
    assert_eq!(bot, h.bot());
    h.dispatched
        .borrow_mut()
        .push(field(event, botwire_event_text));
    // SAFETY: a live bot.
    let r = unsafe { crate::actions::botwire_bot_complete(bot, h.now.get(), dispatch_id) };
    assert_eq!(r, botwire_result::Ok);
}

unsafe extern "C" fn cb_set_timer(userdata: *mut c_void, at: u64) {
    // SAFETY: the library passes our host.
    unsafe { host(userdata) }.timer.set(at);
}

unsafe extern "C" fn cb_call_done(
    userdata: *mut c_void,
    call_id: u64,
    result: *const botwire_call_result,
) {
    // SAFETY: the library passes our host.
    let h = unsafe { host(userdata) };
    let seen = call_done_of(result);
    assert!(matches!(seen, Seen::CallDone { id, .. } if id == call_id));
    h.calls.borrow_mut().push(seen);
}

unsafe extern "C" fn cb_notice(
    userdata: *mut c_void,
    kind: botwire_output_kind,
    json: *const std::ffi::c_char,
    json_len: usize,
) {
    // SAFETY: the library passes our host and a live string.
    let (h, json) = unsafe {
        (
            host(userdata),
            read(botwire_str {
                ptr: json,
                len: json_len,
            }),
        )
    };
    serde_json::from_str::<Value>(&json).expect("notices are JSON");
    h.notices.borrow_mut().push(Seen::Notice { kind, json });
}

unsafe extern "C" fn cb_expired(
    userdata: *mut c_void,
    key: *const std::ffi::c_char,
    key_len: usize,
    state: *const std::ffi::c_char,
    state_len: usize,
) {
    // SAFETY: the library passes our host and live strings.
    let h = unsafe { host(userdata) };
    h.notices.borrow_mut().push(Seen::Expired {
        key: read(botwire_str {
            ptr: key,
            len: key_len,
        }),
        state: read(botwire_str {
            ptr: state,
            len: state_len,
        }),
    });
}

/// Tries a call into the bot from a storage callback: it must be refused, not panic.
fn try_reentry(h: &CallbackHost) {
    let mut at = 0;
    // SAFETY: a live bot and a writable out-parameter.
    let r = unsafe { botwire_bot_poll_timeout(h.bot(), &mut at) };
    h.reentrant_from_storage.borrow_mut().push(r);
}

unsafe extern "C" fn cb_storage_get(
    userdata: *mut c_void,
    key: *const std::ffi::c_char,
    key_len: usize,
    value: *mut botwire_storage_value,
) -> u32 {
    // SAFETY: the library passes our host and a live key.
    let (h, key) = unsafe {
        (
            host(userdata),
            read(botwire_str {
                ptr: key,
                len: key_len,
            }),
        )
    };
    try_reentry(h);
    match h.storage.borrow().get(&key) {
        Some(bytes) => {
            // SAFETY: the sink of this call and a valid buffer.
            let r = unsafe { botwire_storage_value_set(value, bytes.as_ptr(), bytes.len()) };
            assert_eq!(r, botwire_result::Ok);
            botwire_storage_status::Ok as u32
        }
        None => botwire_storage_status::NotFound as u32,
    }
}

unsafe extern "C" fn cb_storage_put(
    userdata: *mut c_void,
    key: *const std::ffi::c_char,
    key_len: usize,
    value: *const u8,
    value_len: usize,
) -> u32 {
    // SAFETY: the library passes our host and live buffers.
    let (h, key, value) = unsafe {
        (
            host(userdata),
            read(botwire_str {
                ptr: key,
                len: key_len,
            }),
            std::slice::from_raw_parts(value, value_len).to_vec(),
        )
    };
    if h.fail_puts.get() {
        return botwire_storage_status::Failed as u32;
    }
    h.storage.borrow_mut().insert(key, value);
    botwire_storage_status::Ok as u32
}

unsafe extern "C" fn cb_storage_delete(
    userdata: *mut c_void,
    key: *const std::ffi::c_char,
    key_len: usize,
) -> u32 {
    // SAFETY: the library passes our host and a live key.
    let (h, key) = unsafe {
        (
            host(userdata),
            read(botwire_str {
                ptr: key,
                len: key_len,
            }),
        )
    };
    h.storage.borrow_mut().remove(&key);
    botwire_storage_status::Ok as u32
}

unsafe extern "C" fn cb_storage_keys(
    userdata: *mut c_void,
    prefix: *const std::ffi::c_char,
    prefix_len: usize,
    keys: *mut botwire_storage_keys,
) -> u32 {
    // SAFETY: the library passes our host and a live prefix.
    let (h, prefix) = unsafe {
        (
            host(userdata),
            read(botwire_str {
                ptr: prefix,
                len: prefix_len,
            }),
        )
    };
    for key in h.storage.borrow().keys().filter(|k| k.starts_with(&prefix)) {
        // SAFETY: the sink of this call and a valid string.
        let r = unsafe { botwire_storage_keys_add(keys, key.as_ptr().cast(), key.len()) };
        assert_eq!(r, botwire_result::Ok);
    }
    botwire_storage_status::Ok as u32
}

fn callbacks_table(host: &CallbackHost) -> botwire_io_callbacks {
    botwire_io_callbacks {
        version: BOTWIRE_IO_CALLBACKS_VERSION,
        userdata: ptr::from_ref(host).cast_mut().cast(),
        send_http: Some(cb_send_http),
        abort_http: Some(cb_abort_http),
        ws_open: Some(cb_ws_open),
        ws_send: Some(cb_ws_send),
        ws_ping: Some(cb_ws_ping),
        ws_close: Some(cb_ws_close),
        set_timer: Some(cb_set_timer),
        dispatch: None,
        call_done: Some(cb_call_done),
        notice: Some(cb_notice),
        conversation_expired: Some(cb_expired),
        storage_get: Some(cb_storage_get),
        storage_put: Some(cb_storage_put),
        storage_delete: Some(cb_storage_delete),
        storage_keys: Some(cb_storage_keys),
    }
}

// ---- handlers ----

/// What a test handler does with its event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Reply with `"got: <text>"` and complete.
    ReplyAndComplete,
    /// Complete at once, twice (the second must be refused).
    CompleteTwice,
    /// Keep the dispatch open (the test completes it).
    Defer,
    /// Fail the dispatch.
    Fail,
    /// Count in the event's conversation and reply `"count: <n>"`, then complete.
    Count,
    /// Call a method of the platform named in `call` with `call_args` and complete.
    Call,
}

/// What a handler saw of one event.
#[derive(Debug, Clone)]
pub struct Handled {
    pub dispatch_id: u64,
    pub event: *const botwire_event,
    pub kind: botwire_event_kind,
    pub platform: botwire_platform,
    pub text: Option<String>,
    pub chat_key: Option<String>,
    pub chat_id: Option<String>,
    pub user_key: Option<String>,
    pub user_id: Option<String>,
    pub command: Option<String>,
    pub args: Vec<String>,
    pub rest: Option<String>,
    pub callback_rest: Option<String>,
    pub query_id: Option<String>,
    pub message_id: Option<String>,
    pub capture: Option<String>,
    pub conversation_key: Option<String>,
    pub json: String,
    pub raw: String,
}

/// A handler's userdata.
pub struct Recorder {
    pub behaviour: Behaviour,
    /// The host's clock.
    pub now: *const Cell<u64>,
    pub handled: RefCell<Vec<Handled>>,
    /// Results of the library calls the handler made.
    pub results: RefCell<Vec<botwire_result>>,
    pub call_ids: RefCell<Vec<u64>>,
    pub call: &'static str,
    pub call_args: RefCell<String>,
}

impl Recorder {
    pub fn new(behaviour: Behaviour, now: &Cell<u64>) -> Box<Recorder> {
        Box::new(Recorder {
            behaviour,
            now,
            handled: RefCell::new(Vec::new()),
            results: RefCell::new(Vec::new()),
            call_ids: RefCell::new(Vec::new()),
            call: "",
            call_args: RefCell::new(String::new()),
        })
    }

    pub fn userdata(&self) -> *mut c_void {
        ptr::from_ref(self).cast_mut().cast()
    }

    fn now(&self) -> u64 {
        // SAFETY: the clock outlives the recorder in every test.
        unsafe { (*self.now).get() }
    }
}

pub fn describe(dispatch_id: u64, event: *const botwire_event) -> Handled {
    let (mut kind, mut platform) = (botwire_event_kind::Unknown, botwire_platform::Other);
    let (mut did, mut attempt) = (0, 0);
    let mut count = 0;
    let mut out = botwire_str {
        ptr: ptr::null(),
        len: 0,
    };
    // SAFETY: a live event and writable out-parameters.
    unsafe {
        assert_eq!(botwire_event_get_kind(event, &mut kind), botwire_result::Ok);
        assert_eq!(
            botwire_event_platform(event, &mut platform),
            botwire_result::Ok
        );
        assert_eq!(
            botwire_event_dispatch(event, &mut did, &mut attempt),
            botwire_result::Ok
        );
        assert_eq!(did, dispatch_id);
        assert!(attempt >= 1);
        assert_eq!(
            botwire_event_command_arg_count(event, &mut count),
            botwire_result::Ok
        );
    }
    let args = (0..count)
        .map(|i| {
            // SAFETY: a live event, a writable out-parameter.
            let r = unsafe { botwire_event_command_arg(event, i, &mut out) };
            assert_eq!(r, botwire_result::Ok);
            read(out)
        })
        .collect();
    // SAFETY: a live event; index past the end.
    let past = unsafe { botwire_event_command_arg(event, count, &mut out) };
    assert_eq!(past, botwire_result::Empty);
    let named = {
        let name = "what";
        // SAFETY: a live event, a valid name, a writable out-parameter.
        match unsafe {
            botwire_event_named_capture(event, name.as_ptr().cast(), name.len(), &mut out)
        } {
            botwire_result::Ok => Some(read(out)),
            _ => None,
        }
    };
    let json = field(event, botwire_event_json).unwrap();
    let raw = field(event, botwire_event_raw_json).unwrap();
    serde_json::from_str::<Value>(&json).expect("event JSON");
    serde_json::from_str::<Value>(&raw).expect("raw JSON");
    assert!(field(event, botwire_event_id).is_some());
    assert!(field(event, botwire_event_platform_kind).is_some());
    Handled {
        dispatch_id,
        event,
        kind,
        platform,
        text: field(event, botwire_event_text),
        chat_key: field(event, botwire_event_chat_key),
        chat_id: field(event, botwire_event_chat_id),
        user_key: field(event, botwire_event_user_key),
        user_id: field(event, botwire_event_user_id),
        command: field(event, botwire_event_command),
        args,
        rest: field(event, botwire_event_command_rest),
        callback_rest: field(event, botwire_event_callback_rest),
        query_id: field(event, botwire_event_query_id),
        message_id: field(event, botwire_event_message_id),
        capture: named,
        conversation_key: field(event, botwire_event_conversation_key),
        json,
        raw,
    }
}

/// The test handler.
pub unsafe extern "C" fn record_handler(
    userdata: *mut c_void,
    bot: *mut botwire_bot,
    dispatch_id: u64,
    event: *const botwire_event,
) {
    // SAFETY: the userdata is a live Recorder.
    let r = unsafe { &*userdata.cast::<Recorder>() };
    let handled = describe(dispatch_id, event);
    let now = r.now();
    let mut results = Vec::new();
    let mut call_id = 0;
    // SAFETY: a live bot (the library passes its own), valid strings, writable locals.
    unsafe {
        match r.behaviour {
            Behaviour::ReplyAndComplete => {
                let text = format!("got: {}", handled.text.clone().unwrap_or_default());
                results.push(crate::actions::botwire_bot_reply(
                    bot,
                    now,
                    event,
                    text.as_ptr().cast(),
                    text.len(),
                    ptr::null(),
                    0,
                    &mut call_id,
                ));
                r.call_ids.borrow_mut().push(call_id);
                results.push(crate::actions::botwire_bot_complete(bot, now, dispatch_id));
            }
            Behaviour::CompleteTwice => {
                results.push(crate::actions::botwire_bot_complete(bot, now, dispatch_id));
                results.push(crate::actions::botwire_bot_complete(bot, now, dispatch_id));
                // The event stays readable until the handler returns.
                assert_eq!(field(event, botwire_event_text), handled.text);
            }
            Behaviour::Defer => {}
            Behaviour::Fail => {
                let reason = "boom";
                results.push(crate::actions::botwire_bot_fail(
                    bot,
                    now,
                    dispatch_id,
                    reason.as_ptr().cast(),
                    reason.len(),
                ));
            }
            Behaviour::Count => {
                let key = handled
                    .conversation_key
                    .clone()
                    .expect("a conversation key");
                let mut out = botwire_str {
                    ptr: ptr::null(),
                    len: 0,
                };
                let mut new = false;
                results.push(crate::actions::botwire_bot_conversation_enter(
                    bot,
                    now,
                    key.as_ptr().cast(),
                    key.len(),
                    &mut new,
                ));
                let n: u64 = match crate::actions::botwire_bot_conversation_get(
                    bot,
                    key.as_ptr().cast(),
                    key.len(),
                    &mut out,
                ) {
                    botwire_result::Ok => read(out).parse().unwrap(),
                    botwire_result::Empty => {
                        assert!(new, "a conversation without state is new");
                        0
                    }
                    other => panic!("conversation_get: {other:?} {}", last_error()),
                };
                let state = (n + 1).to_string();
                results.push(crate::actions::botwire_bot_conversation_set(
                    bot,
                    now,
                    key.as_ptr().cast(),
                    key.len(),
                    state.as_ptr().cast(),
                    state.len(),
                ));
                let text = format!("count: {}", n + 1);
                let chat = handled.chat_key.clone().unwrap();
                results.push(crate::actions::botwire_bot_send_text(
                    bot,
                    now,
                    chat.as_ptr().cast(),
                    chat.len(),
                    text.as_ptr().cast(),
                    text.len(),
                    ptr::null(),
                    0,
                    &mut call_id,
                ));
                results.push(crate::actions::botwire_bot_complete(bot, now, dispatch_id));
            }
            Behaviour::Call => {
                let args = r
                    .call_args
                    .borrow()
                    .replace("$CHAT", handled.chat_id.as_deref().unwrap_or_default());
                results.push(crate::actions::botwire_bot_call(
                    bot,
                    now,
                    r.call.as_ptr().cast(),
                    r.call.len(),
                    args.as_ptr().cast(),
                    args.len(),
                    &mut call_id,
                ));
                r.call_ids.borrow_mut().push(call_id);
                results.push(crate::actions::botwire_bot_complete(bot, now, dispatch_id));
            }
        }
    }
    r.results.borrow_mut().extend(results);
    r.handled.borrow_mut().push(handled);
}
