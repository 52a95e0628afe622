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
use crate::io::{HttpErrorKind, RequestId, Timestamp};
use crate::telegram::client::{ClientConfig, Event, Output, TelegramClient};
use std::collections::{BTreeMap, HashMap, VecDeque};

/// The API root the harness gives the client (the simulator ignores the host).
pub const SIM_API_ROOT: &str = "http://sim.invalid";

/// Transport timeout used for dropped answers whose request names none (ms).
const DEFAULT_TRANSPORT_TIMEOUT_MS: u64 = 60_000;

/// Client and simulator on one virtual clock.
#[derive(Debug)]
pub struct TelegramHarness {
    /// The client under test.
    pub client: TelegramClient,
    /// The simulated Bot API.
    pub sim: TelegramSim,
    /// Virtual time (ms).
    pub now: Timestamp,
    events: VecDeque<Event>,
    /// Requests whose answers were lost, reported as timeouts at the given time.
    lost: BTreeMap<Timestamp, Vec<RequestId>>,
    /// Requests sent and not yet answered, with their transport timeout (ms).
    in_flight: HashMap<RequestId, u64>,
}

impl TelegramHarness {
    /// A harness with a long-polling client (the simulator's token, default settings).
    pub fn polling(sim: SimConfig) -> Self {
        let token = sim.token.clone();
        Self::new(sim, ClientConfig::polling(token))
    }

    /// A harness with the given client settings; the API root is pointed at the simulator.
    pub fn new(sim: SimConfig, client: ClientConfig) -> Self {
        TelegramHarness {
            client: TelegramClient::new(client.with_api_root(SIM_API_ROOT)),
            sim: TelegramSim::new(sim),
            now: 0,
            events: VecDeque::new(),
            lost: BTreeMap::new(),
            in_flight: HashMap::new(),
        }
    }

    /// Replaces the client, as a restarted process would: the old client's requests are
    /// abandoned (their connections closed) and the new client starts with none in flight.
    pub fn replace_client(&mut self, client: TelegramClient) {
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
            while let Some(out) = self.client.poll_output() {
                progress = true;
                match out {
                    Output::Http { id, request } => {
                        let timeout = request.timeout_ms.unwrap_or(DEFAULT_TRANSPORT_TIMEOUT_MS);
                        self.in_flight.insert(id, timeout);
                        self.sim
                            .handle_request(self.now, id.0, &request)
                            .expect("request ids are fresh");
                    }
                    Output::Abort { id } => {
                        if self.in_flight.contains_key(&id) {
                            self.sim.cancel_request(id.0);
                            self.answered(id);
                            self.client
                                .handle_http_error(self.now, id, HttpErrorKind::Aborted)
                                .expect("aborted id is pending");
                        }
                    }
                    Output::Event(e) => self.events.push_back(e),
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
                        self.client
                            .handle_http_response(self.now, id, r.status, &r.body)
                            .expect("the simulator answers issued ids once");
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
            self.client.poll_timeout(),
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
        self.client.handle_timeout(now);
        self.sim.advance(now);
        let due: Vec<Timestamp> = self.lost.range(..=now).map(|(t, _)| *t).collect();
        for t in due {
            for id in self.lost.remove(&t).unwrap_or_default() {
                self.answered(id);
                self.client
                    .handle_http_error(now, id, HttpErrorKind::Timeout)
                    .expect("lost id is pending");
            }
        }
    }

    /// The next event, stepping time as needed, within `max_steps` steps.
    pub fn next_event(&mut self, max_steps: usize) -> Option<Event> {
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
        mut pred: impl FnMut(&Event) -> bool,
    ) -> Option<Event> {
        for _ in 0..max_steps {
            let e = self.next_event(1)?;
            if pred(&e) {
                return Some(e);
            }
        }
        None
    }

    /// Events already received and not yet taken.
    pub fn take_events(&mut self) -> Vec<Event> {
        self.pump();
        self.events.drain(..).collect()
    }
}
