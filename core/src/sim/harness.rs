//! A host that connects a [`TelegramClient`] to a [`TelegramSim`] on a virtual clock: it
//! performs the client's requests against the simulator, reports answers back, loses the
//! answers the simulator drops (reporting a timeout when the request's timeout elapses), and
//! steps time to `min(client.poll_timeout(), sim.next_event(), next transport timeout)`.
//!
//! Used by the tests, the examples and the bindings' tests; it is also a worked example of
//! the run-loop contract.
//!
//! ```
//! use botwire_core::sim::harness::TelegramHarness;
//! use botwire_core::sim::telegram::SimConfig;
//! use botwire_core::telegram::client::Event;
//!
//! let mut h = TelegramHarness::polling(SimConfig::default());
//! h.sim.user_sends_text(h.now, 1001, 1001, "/start").unwrap();
//! h.client.start(h.now);
//! let update = h.run_until_event(50, |e| matches!(e, Event::Update(_))).unwrap();
//! assert_eq!(update.as_update().unwrap().message().unwrap().text.as_deref(), Some("/start"));
//! ```

use super::telegram::{SimConfig, SimReply, TelegramSim};
use crate::io::{HttpErrorKind, HttpRequest, RequestId, Timestamp};
use crate::runtime::bot::{BotConfig, BotOutput, TelegramBot};
use crate::telegram::client::{ClientConfig, Event, Json, Output, TelegramClient, UpdateForm};
use std::collections::{BTreeMap, HashMap, VecDeque};

/// One output of a state machine, as the harness sees it.
#[derive(Debug)]
pub enum Step<E> {
    /// Perform a request.
    Http(RequestId, HttpRequest),
    /// Abort a request.
    Abort(RequestId),
    /// Anything else, queued for the test.
    Other(E),
}

/// A sans-IO state machine speaking HTTP that the harness can drive.
pub trait HttpMachine {
    /// Its non-HTTP outputs.
    type Event;
    /// The next output.
    fn next_step(&mut self) -> Option<Step<Self::Event>>;
    /// Reports an answer (the harness only reports issued ids).
    fn on_response(&mut self, now: Timestamp, id: RequestId, status: u16, body: &[u8]);
    /// Reports a transport failure.
    fn on_error(&mut self, now: Timestamp, id: RequestId, kind: HttpErrorKind);
    /// Lets time pass.
    fn on_timeout(&mut self, now: Timestamp);
    /// When to call `on_timeout` next.
    fn next_timeout(&self) -> Option<Timestamp>;
}

impl<F: UpdateForm> HttpMachine for TelegramClient<F> {
    type Event = Event;
    fn next_step(&mut self) -> Option<Step<Event>> {
        Some(match self.poll_output()? {
            Output::Http { id, request } => Step::Http(id, request),
            Output::Abort { id } => Step::Abort(id),
            Output::Event(e) => Step::Other(e),
        })
    }
    fn on_response(&mut self, now: Timestamp, id: RequestId, status: u16, body: &[u8]) {
        self.handle_http_response(now, id, status, body)
            .expect("the harness answers issued ids once");
    }
    fn on_error(&mut self, now: Timestamp, id: RequestId, kind: HttpErrorKind) {
        self.handle_http_error(now, id, kind)
            .expect("the harness answers issued ids once");
    }
    fn on_timeout(&mut self, now: Timestamp) {
        self.handle_timeout(now);
    }
    fn next_timeout(&self) -> Option<Timestamp> {
        self.poll_timeout()
    }
}

impl<F: UpdateForm> HttpMachine for TelegramBot<F> {
    type Event = BotOutput;
    fn next_step(&mut self) -> Option<Step<BotOutput>> {
        Some(match self.poll_output()? {
            BotOutput::Http { id, request } => Step::Http(id, request),
            BotOutput::Abort { id } => Step::Abort(id),
            other => Step::Other(other),
        })
    }
    fn on_response(&mut self, now: Timestamp, id: RequestId, status: u16, body: &[u8]) {
        self.handle_http_response(now, id, status, body)
            .expect("the harness answers issued ids once");
    }
    fn on_error(&mut self, now: Timestamp, id: RequestId, kind: HttpErrorKind) {
        self.handle_http_error(now, id, kind)
            .expect("the harness answers issued ids once");
    }
    fn on_timeout(&mut self, now: Timestamp) {
        self.handle_timeout(now);
    }
    fn next_timeout(&self) -> Option<Timestamp> {
        self.poll_timeout()
    }
}

/// The harness with a bare [`TelegramClient`].
pub type TelegramHarness = Harness<TelegramClient>;

/// The harness with a [`TelegramBot`] (dispatcher, flood control) in place of the client.
pub type BotHarness = Harness<TelegramBot>;

/// The API root the harness gives the client (the simulator ignores the host).
pub const SIM_API_ROOT: &str = "http://sim.invalid";

/// Transport timeout used for dropped answers whose request names none (ms).
const DEFAULT_TRANSPORT_TIMEOUT_MS: u64 = 60_000;

/// A state machine and the simulator on one virtual clock.
#[derive(Debug)]
pub struct Harness<M: HttpMachine> {
    /// The machine under test (a client or a bot).
    pub client: M,
    /// The simulated Bot API.
    pub sim: TelegramSim,
    /// Virtual time (ms).
    pub now: Timestamp,
    events: VecDeque<M::Event>,
    /// Requests whose answers were lost, reported as timeouts at the given time.
    lost: BTreeMap<Timestamp, Vec<RequestId>>,
    /// Requests sent and not yet answered, with their transport timeout (ms).
    in_flight: HashMap<RequestId, u64>,
}

impl Harness<TelegramBot> {
    /// A harness with a bot; the API root is pointed at the simulator.
    ///
    /// # Panics
    /// On an invalid flood-control configuration.
    pub fn bot(sim: SimConfig, config: BotConfig) -> Self {
        let bot =
            TelegramBot::new(config.with_api_root(SIM_API_ROOT)).expect("valid bot configuration");
        Harness::with_machine(sim, bot)
    }
}

impl Harness<TelegramBot<Json>> {
    /// A harness with a bot whose updates stay JSON ([`TelegramBot::new_json`]); the API root
    /// is pointed at the simulator.
    ///
    /// # Panics
    /// On an invalid flood-control configuration.
    pub fn json_bot(sim: SimConfig, config: BotConfig) -> Self {
        let bot = TelegramBot::new_json(config.with_api_root(SIM_API_ROOT))
            .expect("valid bot configuration");
        Harness::with_machine(sim, bot)
    }
}

impl<M: HttpMachine> Harness<M> {
    /// A harness around any machine (its API root must already point at the simulator).
    pub fn with_machine(sim: SimConfig, machine: M) -> Self {
        Harness {
            client: machine,
            sim: TelegramSim::new(sim),
            now: 0,
            events: VecDeque::new(),
            lost: BTreeMap::new(),
            in_flight: HashMap::new(),
        }
    }
}

impl Harness<TelegramClient> {
    /// A harness with a long-polling client (the simulator's token, default settings).
    pub fn polling(sim: SimConfig) -> Self {
        let token = sim.token.clone();
        Self::new(sim, ClientConfig::polling(token))
    }

    /// A harness with the given client settings; the API root is pointed at the simulator.
    pub fn new(sim: SimConfig, client: ClientConfig) -> Self {
        Harness::with_machine(sim, TelegramClient::new(client.with_api_root(SIM_API_ROOT)))
    }
}

impl<M: HttpMachine> Harness<M> {
    /// Replaces the client, as a restarted process would: the old client's requests are
    /// abandoned (their connections closed) and the new client starts with none in flight.
    pub fn replace_client(&mut self, client: M) {
        for id in self.in_flight.keys() {
            self.sim.cancel_request(id.0);
        }
        self.in_flight.clear();
        self.lost.clear();
        self.events.clear();
        self.client = client;
    }

    /// Moves every pending output and answer across until nothing moves. Returns whether
    /// anything happened.
    pub fn pump(&mut self) -> bool {
        let mut moved = false;
        loop {
            let mut progress = false;
            while let Some(out) = self.client.next_step() {
                progress = true;
                match out {
                    Step::Http(id, request) => {
                        let timeout = request.timeout_ms.unwrap_or(DEFAULT_TRANSPORT_TIMEOUT_MS);
                        self.in_flight.insert(id, timeout);
                        self.sim
                            .handle_request(self.now, id.0, &request)
                            .expect("request ids are fresh");
                    }
                    Step::Abort(id) => {
                        if self.in_flight.contains_key(&id) {
                            self.sim.cancel_request(id.0);
                            self.answered(id);
                            self.client.on_error(self.now, id, HttpErrorKind::Aborted);
                        }
                    }
                    Step::Other(e) => self.events.push_back(e),
                }
            }
            while let Some((key, reply)) = self.sim.poll_response() {
                progress = true;
                let id = RequestId(key);
                if !self.in_flight.contains_key(&id) {
                    // An answer to someone else's request (another client on the same
                    // simulator, or a client that was replaced): not ours to report.
                    continue;
                }
                match reply {
                    SimReply::Response(r) => {
                        self.answered(id);
                        self.client.on_response(self.now, id, r.status, &r.body);
                    }
                    SimReply::Dropped => {
                        // The host would notice when the request's timeout elapses.
                        let timeout = self
                            .in_flight
                            .get(&id)
                            .copied()
                            .unwrap_or(DEFAULT_TRANSPORT_TIMEOUT_MS);
                        let at = self.now + timeout;
                        self.lost.entry(at).or_default().push(id);
                    }
                }
            }
            if !progress {
                return moved;
            }
            moved = true;
        }
    }

    fn answered(&mut self, id: RequestId) {
        self.in_flight.remove(&id);
    }

    /// When something happens next on its own, if anything.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        [
            self.client.next_timeout(),
            self.sim.next_event(),
            self.lost.keys().next().copied(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Pumps, then advances the clock to the next deadline and fires it. Returns false when
    /// nothing is scheduled (the system is idle).
    pub fn step(&mut self) -> bool {
        self.pump();
        if !self.events.is_empty() {
            return true;
        }
        let Some(at) = self.next_deadline() else {
            return false;
        };
        self.now = self.now.max(at);
        self.fire_timers();
        self.pump();
        true
    }

    /// Advances the clock to `at` (firing everything due on the way).
    pub fn advance_to(&mut self, at: Timestamp) {
        loop {
            self.pump();
            match self.next_deadline() {
                Some(t) if t <= at => {
                    self.now = self.now.max(t);
                    self.fire_timers();
                }
                _ => break,
            }
        }
        self.now = self.now.max(at);
        self.fire_timers();
        self.pump();
    }

    fn fire_timers(&mut self) {
        let now = self.now;
        self.client.on_timeout(now);
        self.sim.advance(now);
        let due: Vec<Timestamp> = self.lost.range(..=now).map(|(t, _)| *t).collect();
        for t in due {
            for id in self.lost.remove(&t).unwrap_or_default() {
                self.answered(id);
                self.client.on_error(now, id, HttpErrorKind::Timeout);
            }
        }
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

    /// Steps until an event matching `pred` arrives (other events are discarded), within
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

    /// Events already received and not yet taken.
    pub fn take_events(&mut self) -> Vec<M::Event> {
        self.pump();
        self.events.drain(..).collect()
    }
}
