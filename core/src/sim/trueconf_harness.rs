//! A host that connects a TrueConf state machine (a bare [`TrueConfSession`] or a
//! [`TrueConfBot`]) to a [`TrueConfSim`] on a virtual clock: HTTP requests are answered by the
//! simulator at once, WebSocket connections are opened on it, frames cross in both
//! directions, pings are answered (unless the test turns pongs off), and time steps to
//! `min(machine.poll_timeout(), sim.next_event())`.
//!
//! ```
//! use botwire_core::sim::trueconf::SimConfig;
//! use botwire_core::sim::trueconf_harness::TrueConfHarness;
//! use botwire_core::trueconf::events::ServerEvent;
//! use botwire_core::trueconf::session::SessionEvent;
//!
//! let mut h = TrueConfHarness::session(SimConfig::default());
//! h.machine.start(h.now).unwrap();
//! h.run_until_event(100, |e| matches!(e, SessionEvent::Connected { .. })).unwrap();
//! h.sim.user_sends_text(h.now, "alice", None, "hello").unwrap();
//! let e = h
//!     .run_until_event(100, |e| {
//!         matches!(e, SessionEvent::Server { event, .. } if matches!(**event, ServerEvent::Message(_)))
//!     })
//!     .unwrap();
//! let SessionEvent::Server { event, .. } = e else { unreachable!() };
//! let ServerEvent::Message(m) = *event else { unreachable!() };
//! assert_eq!(m.text(), Some("hello"));
//! ```

use super::trueconf::{SimConfig, SimConn, SimWsOut, TrueConfSim};
use crate::io::{ConnId, HttpErrorKind, HttpRequest, RequestId, Timestamp};
use crate::runtime::bot::BotOutput;
use crate::runtime::trueconf_bot::{TrueConfBot, TrueConfBotConfig};
use crate::trueconf::session::{
    Credentials, EventForm, Json, Output, SessionConfig, SessionEvent, TrueConfSession,
};
use std::collections::{HashMap, VecDeque};

/// One output of a TrueConf state machine, as the harness sees it.
#[derive(Debug)]
pub enum WsStep<E> {
    /// Perform an HTTP request.
    Http(RequestId, HttpRequest),
    /// Open a socket.
    Open(ConnId, String, Vec<String>),
    /// Send a text frame.
    Send(ConnId, String),
    /// Send a ping.
    Ping(ConnId),
    /// Close a socket.
    Close(ConnId),
    /// Anything else, queued for the test.
    Other(E),
}

/// A sans-IO state machine speaking HTTP and WebSocket that the harness can drive.
pub trait WsMachine {
    /// Its other outputs.
    type Event;
    /// The next output.
    fn next_step(&mut self) -> Option<WsStep<Self::Event>>;
    /// Reports an HTTP answer.
    fn on_http_response(&mut self, now: Timestamp, id: RequestId, status: u16, body: &[u8]);
    /// Reports an HTTP failure.
    fn on_http_error(&mut self, now: Timestamp, id: RequestId, kind: HttpErrorKind);
    /// Reports an opened socket.
    fn on_ws_opened(&mut self, now: Timestamp, conn: ConnId);
    /// Reports a received frame.
    fn on_ws_frame(&mut self, now: Timestamp, conn: ConnId, text: &str);
    /// Reports a pong.
    fn on_ws_pong(&mut self, now: Timestamp, conn: ConnId);
    /// Reports a closed socket.
    fn on_ws_closed(&mut self, now: Timestamp, conn: ConnId);
    /// Lets time pass.
    fn on_timeout(&mut self, now: Timestamp);
    /// When to call `on_timeout` next.
    fn next_timeout(&self) -> Option<Timestamp>;
}

// The harness reports only what the machine asked for, so contract errors cannot happen;
// frames on a connection the machine already forgot are legitimately refused and ignored.
impl<F: EventForm> WsMachine for TrueConfSession<F> {
    type Event = SessionEvent;
    fn next_step(&mut self) -> Option<WsStep<SessionEvent>> {
        Some(match self.poll_output()? {
            Output::Http { id, request } => WsStep::Http(id, request),
            Output::WsOpen {
                conn,
                url,
                protocols,
            } => WsStep::Open(conn, url, protocols),
            Output::WsSend { conn, text } => WsStep::Send(conn, text),
            Output::WsPing { conn } => WsStep::Ping(conn),
            Output::WsClose { conn } => WsStep::Close(conn),
            Output::Event(e) => WsStep::Other(e),
        })
    }
    fn on_http_response(&mut self, now: Timestamp, id: RequestId, status: u16, body: &[u8]) {
        let _ = self.handle_http_response(now, id, status, body);
    }
    fn on_http_error(&mut self, now: Timestamp, id: RequestId, kind: HttpErrorKind) {
        let _ = self.handle_http_error(now, id, kind);
    }
    fn on_ws_opened(&mut self, now: Timestamp, conn: ConnId) {
        let _ = self.handle_ws_opened(now, conn);
    }
    fn on_ws_frame(&mut self, now: Timestamp, conn: ConnId, text: &str) {
        let _ = self.handle_ws_frame(now, conn, text);
    }
    fn on_ws_pong(&mut self, now: Timestamp, conn: ConnId) {
        let _ = self.handle_ws_pong(now, conn);
    }
    fn on_ws_closed(&mut self, now: Timestamp, conn: ConnId) {
        let _ = self.handle_ws_closed(now, conn);
    }
    fn on_timeout(&mut self, now: Timestamp) {
        self.handle_timeout(now);
    }
    fn next_timeout(&self) -> Option<Timestamp> {
        self.poll_timeout()
    }
}

impl<F: EventForm> WsMachine for TrueConfBot<F> {
    type Event = BotOutput;
    fn next_step(&mut self) -> Option<WsStep<BotOutput>> {
        Some(match self.poll_output()? {
            BotOutput::Http { id, request } => WsStep::Http(id, request),
            BotOutput::WsOpen {
                conn,
                url,
                protocols,
            } => WsStep::Open(conn, url, protocols),
            BotOutput::WsSend { conn, text } => WsStep::Send(conn, text),
            BotOutput::WsPing { conn } => WsStep::Ping(conn),
            BotOutput::WsClose { conn } => WsStep::Close(conn),
            other => WsStep::Other(other),
        })
    }
    fn on_http_response(&mut self, now: Timestamp, id: RequestId, status: u16, body: &[u8]) {
        let _ = self.handle_http_response(now, id, status, body);
    }
    fn on_http_error(&mut self, now: Timestamp, id: RequestId, kind: HttpErrorKind) {
        let _ = self.handle_http_error(now, id, kind);
    }
    fn on_ws_opened(&mut self, now: Timestamp, conn: ConnId) {
        let _ = self.handle_ws_opened(now, conn);
    }
    fn on_ws_frame(&mut self, now: Timestamp, conn: ConnId, text: &str) {
        let _ = self.handle_ws_frame(now, conn, text);
    }
    fn on_ws_pong(&mut self, now: Timestamp, conn: ConnId) {
        let _ = self.handle_ws_pong(now, conn);
    }
    fn on_ws_closed(&mut self, now: Timestamp, conn: ConnId) {
        let _ = self.handle_ws_closed(now, conn);
    }
    fn on_timeout(&mut self, now: Timestamp) {
        self.handle_timeout(now);
    }
    fn next_timeout(&self) -> Option<Timestamp> {
        self.poll_timeout()
    }
}

/// The host name the harness gives the machine (the simulator ignores it).
pub const SIM_HOST: &str = "127.0.0.1";
/// The port the harness gives the machine.
pub const SIM_PORT: u16 = 4309;

/// Session settings pointed at the simulator with its bot's password, without the version
/// probe's fallbacks mattering (the simulator answers the probe).
pub fn sim_session_config(sim: &SimConfig) -> SessionConfig {
    let password = sim.bot.password.clone().unwrap_or_default();
    let mut config = SessionConfig::new(
        SIM_HOST,
        SIM_PORT,
        false,
        Credentials::Password {
            username: sim.bot.login.clone(),
            password,
        },
    );
    config.seed = sim.seed;
    config
}

/// A TrueConf state machine and the simulator on one virtual clock.
#[derive(Debug)]
pub struct TrueConfHarness<M: WsMachine> {
    /// The machine under test.
    pub machine: M,
    /// The simulated server.
    pub sim: TrueConfSim,
    /// Virtual time (ms).
    pub now: Timestamp,
    /// Answer pings (default true); false lets a test play a dead peer.
    pub answer_pings: bool,
    events: VecDeque<M::Event>,
    to_sim: HashMap<ConnId, SimConn>,
    from_sim: HashMap<SimConn, ConnId>,
    /// Frames the machine sent, in order (for assertions).
    pub sent: Vec<(ConnId, String)>,
}

impl TrueConfHarness<TrueConfSession> {
    /// A harness with a session logging in with the simulator's bot account.
    pub fn session(sim: SimConfig) -> Self {
        let config = sim_session_config(&sim);
        Self::with_machine(sim, TrueConfSession::new(config))
    }
}

impl TrueConfHarness<TrueConfBot> {
    /// A harness with a bot logging in with the simulator's bot account.
    pub fn bot(sim: SimConfig, tweak: impl FnOnce(&mut TrueConfBotConfig)) -> Self {
        let mut config = TrueConfBotConfig::new(sim_session_config(&sim));
        tweak(&mut config);
        Self::with_machine(sim, TrueConfBot::new(config))
    }
}

impl TrueConfHarness<TrueConfBot<Json>> {
    /// A harness with a bot whose server events stay JSON text
    /// ([`TrueConfBot::new_json`]), logging in with the simulator's bot account.
    pub fn bot_json(sim: SimConfig, tweak: impl FnOnce(&mut TrueConfBotConfig)) -> Self {
        let mut config = TrueConfBotConfig::new(sim_session_config(&sim));
        tweak(&mut config);
        Self::with_machine(sim, TrueConfBot::new_json(config))
    }
}

impl<M: WsMachine> TrueConfHarness<M> {
    /// A harness around any machine pointed at [`SIM_HOST`]:[`SIM_PORT`] over plain HTTP.
    pub fn with_machine(sim: SimConfig, machine: M) -> Self {
        let mut sim = TrueConfSim::new(sim);
        sim.set_base_url(format!("http://{SIM_HOST}:{SIM_PORT}"));
        TrueConfHarness {
            machine,
            sim,
            now: 0,
            answer_pings: true,
            events: VecDeque::new(),
            to_sim: HashMap::new(),
            from_sim: HashMap::new(),
            sent: Vec::new(),
        }
    }

    /// Replaces the machine, as a restarted process would: its sockets are closed on the
    /// simulator's side.
    pub fn replace_machine(&mut self, machine: M) {
        for (_, sim_conn) in self.to_sim.drain() {
            self.sim.ws_closed(self.now, sim_conn);
        }
        self.from_sim.clear();
        self.events.clear();
        self.machine = machine;
    }

    /// Moves every pending output and frame across until nothing moves. Returns whether
    /// anything happened.
    pub fn pump(&mut self) -> bool {
        let mut moved = false;
        loop {
            let mut progress = false;
            while let Some(step) = self.machine.next_step() {
                progress = true;
                self.perform(step);
            }
            while let Some((sim_conn, out)) = self.sim.poll_ws() {
                progress = true;
                let Some(&conn) = self.from_sim.get(&sim_conn) else {
                    continue;
                };
                match out {
                    SimWsOut::Text(text) => self.machine.on_ws_frame(self.now, conn, &text),
                    SimWsOut::Close => {
                        self.forget(conn);
                        self.machine.on_ws_closed(self.now, conn);
                    }
                }
            }
            if !progress {
                return moved;
            }
            moved = true;
        }
    }

    fn perform(&mut self, step: WsStep<M::Event>) {
        let now = self.now;
        match step {
            WsStep::Http(id, request) => {
                let r = self.sim.handle_http(now, &request);
                self.machine.on_http_response(now, id, r.status, &r.body);
            }
            WsStep::Open(conn, url, protocols) => {
                let path = url
                    .split_once("://")
                    .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
                    .unwrap_or("/");
                let offered: Vec<&str> = protocols.iter().map(String::as_str).collect();
                match self.sim.ws_open(now, path, &offered) {
                    Ok(accept) => {
                        self.to_sim.insert(conn, accept.conn);
                        self.from_sim.insert(accept.conn, conn);
                        self.machine.on_ws_opened(now, conn);
                    }
                    Err(_) => self.machine.on_ws_closed(now, conn),
                }
            }
            WsStep::Send(conn, text) => {
                if let Some(&sim_conn) = self.to_sim.get(&conn) {
                    let _ = self.sim.ws_receive(now, sim_conn, &text);
                }
                self.sent.push((conn, text));
            }
            WsStep::Ping(conn) => {
                if self.answer_pings && self.to_sim.contains_key(&conn) {
                    self.machine.on_ws_pong(now, conn);
                }
            }
            WsStep::Close(conn) => {
                if let Some(sim_conn) = self.forget(conn) {
                    self.sim.ws_closed(now, sim_conn);
                }
            }
            WsStep::Other(e) => self.events.push_back(e),
        }
    }

    fn forget(&mut self, conn: ConnId) -> Option<SimConn> {
        let sim_conn = self.to_sim.remove(&conn)?;
        self.from_sim.remove(&sim_conn);
        Some(sim_conn)
    }

    /// Open sockets, as the machine's ids.
    pub fn open_connections(&self) -> Vec<ConnId> {
        let mut v: Vec<ConnId> = self.to_sim.keys().copied().collect();
        v.sort();
        v
    }

    /// The network drops every socket without a closing handshake: the simulator forgets
    /// them and the machine is told they closed.
    pub fn drop_connections(&mut self) {
        let conns: Vec<ConnId> = self.to_sim.keys().copied().collect();
        for conn in conns {
            if let Some(sim_conn) = self.forget(conn) {
                self.sim.ws_closed(self.now, sim_conn);
            }
            self.machine.on_ws_closed(self.now, conn);
        }
        self.pump();
    }

    /// When something happens next on its own, if anything.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        [self.machine.next_timeout(), self.sim.next_event()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Pumps, then advances the clock to the next deadline and fires it. Returns false when
    /// nothing is scheduled.
    pub fn step(&mut self) -> bool {
        self.pump();
        if !self.events.is_empty() {
            return true;
        }
        let Some(at) = self.next_deadline() else {
            return false;
        };
        self.now = self.now.max(at);
        self.fire();
        self.pump();
        true
    }

    /// Advances the clock to `at`, firing everything due on the way.
    pub fn advance_to(&mut self, at: Timestamp) {
        loop {
            self.pump();
            match self.next_deadline() {
                Some(t) if t <= at => {
                    self.now = self.now.max(t);
                    self.fire();
                }
                _ => break,
            }
        }
        self.now = self.now.max(at);
        self.fire();
        self.pump();
    }

    fn fire(&mut self) {
        self.machine.on_timeout(self.now);
        self.sim.handle_timeout(self.now);
    }

    /// The next event, stepping time as needed, within `max_steps` steps.
    pub fn next_event(&mut self, max_steps: usize) -> Option<M::Event> {
        for _ in 0..max_steps {
            self.pump();
            if let Some(e) = self.events.pop_front() {
                return Some(e);
            }
            if !self.step() {
                return self.events.pop_front();
            }
        }
        self.events.pop_front()
    }

    /// Steps until an event matching `pred` arrives (others are discarded), within
    /// `max_steps` steps.
    pub fn run_until_event(
        &mut self,
        max_steps: usize,
        mut pred: impl FnMut(&M::Event) -> bool,
    ) -> Option<M::Event> {
        for _ in 0..max_steps {
            let e = self.next_event(1)?;
            if pred(&e) {
                return Some(e);
            }
        }
        None
    }

    /// Events received and not yet taken.
    pub fn take_events(&mut self) -> Vec<M::Event> {
        self.pump();
        self.events.drain(..).collect()
    }
}
