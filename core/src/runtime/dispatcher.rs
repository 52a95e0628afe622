//! The dispatcher: hands events to handlers with per-chat order, bounded concurrency,
//! duplicate suppression, retries and dead letters, and tracks what may be acknowledged.
//!
//! Sans-IO like everything else: the host takes [`Output::Dispatch`] items from
//! [`Dispatcher::poll_output`], runs its handler for each, and reports
//! [`complete`](Dispatcher::complete) or [`fail`](Dispatcher::fail) with the dispatch id.
//!
//! Guarantees:
//!
//! - **Per-chat FIFO.** Events of one chat (or, without a chat, of one user) are released one
//!   at a time, in arrival order: the next one only after the previous one completed or was
//!   dead-lettered. Events with neither a chat nor a user run unordered.
//! - **Bounded concurrency** across chats ([`DispatcherConfig::concurrency`]).
//! - **Duplicates dropped** by the platform's event id (a window of recent ids).
//! - **Retries, then a dead letter.** A failed (or timed-out) handler is retried after a delay
//!   up to [`DispatcherConfig::max_attempts`] attempts; then the event is reported as
//!   [`Output::DeadLetter`] and its chat moves on.
//! - **Acknowledgement.** [`Dispatcher::settled_through`] is the stream position below which
//!   every event is settled (handled or dead-lettered); a platform adapter acknowledges up to
//!   it when acknowledging after handling.
//! - **Nothing lost on restart.** [`Dispatcher::export`] lists the unsettled events (queued,
//!   in flight, waiting for a retry) and the settled positions above the watermark, so a
//!   restarted dispatcher repeats none of the settled ones and loses none of the others.
//! - **Bounded memory.** The queue holds at most [`DispatcherConfig::max_queued`] events; a full
//!   queue hands the event back ([`DispatchError::QueueFull`]).
//!
//! ```
//! use botwire_core::runtime::dispatcher::{Dispatcher, DispatcherConfig, Output};
//! # use botwire_core::runtime::model::*;
//! # fn event(id: i64, chat: &str) -> Event {
//! #     Event { platform: Platform::Telegram, id: id.to_string(), seq: Some(id),
//! #         kind: EventKind::Message, platform_kind: "message".into(),
//! #         chat: Some(Chat { key: chat.into(), chat_type: ChatType::Private, title: None }),
//! #         from: None, message: None, content_type: None, text: None, data: None,
//! #         query_id: None, payload: Payload::Json(Box::new(serde_json::Value::Null)) }
//! # }
//! let mut d = Dispatcher::new(DispatcherConfig::default());
//! d.submit(0, event(1, "telegram:7")).unwrap();
//! d.submit(0, event(2, "telegram:7")).unwrap();
//! // Only the first event of chat 7 is released; the second waits for it.
//! let Some(Output::Dispatch { id, event, .. }) = d.poll_output() else { panic!() };
//! assert_eq!(event.id, "1");
//! assert!(d.poll_output().is_none());
//! d.complete(5, id).unwrap();
//! let Some(Output::Dispatch { event, .. }) = d.poll_output() else { panic!() };
//! assert_eq!(event.id, "2");
//! assert_eq!(d.settled_through(), Some(2)); // update 1 may be acknowledged
//! ```

use super::model::Event;
use crate::io::Timestamp;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt;
use std::sync::Arc;

/// Dispatcher settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DispatcherConfig {
    /// How many handlers may run at once (across chats; at least 1).
    pub concurrency: usize,
    /// Attempts per event before it becomes a dead letter (at least 1).
    pub max_attempts: u32,
    /// Delay before the first retry (ms); doubles for each further retry.
    pub retry_delay_ms: u64,
    /// A handler that has not completed after this long (ms) counts as failed; `None` waits
    /// forever.
    pub handler_timeout_ms: Option<u64>,
    /// How many unsettled events may be held (queued, running or waiting for a retry).
    pub max_queued: usize,
    /// How many recent event ids are remembered to drop duplicates.
    pub dedup_window: usize,
}

impl Default for DispatcherConfig {
    fn default() -> Self {
        DispatcherConfig {
            concurrency: 32,
            max_attempts: 3,
            retry_delay_ms: 1_000,
            handler_timeout_ms: Some(60_000),
            max_queued: 10_000,
            dedup_window: 10_000,
        }
    }
}

/// Identifies one dispatch (one attempt at handling one event). Never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DispatchId(pub u64);

impl fmt::Display for DispatchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "dispatch #{}", self.0)
    }
}

/// An event that could not be handled.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    /// The event.
    pub event: Arc<Event>,
    /// How many attempts were made.
    pub attempts: u32,
    /// The last failure's reason.
    pub reason: String,
}

/// What the host must do or know.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Output {
    /// Run the handler for `event`, then report [`Dispatcher::complete`] or
    /// [`Dispatcher::fail`] with `id`.
    Dispatch {
        /// The id to report.
        id: DispatchId,
        /// The event.
        event: Arc<Event>,
        /// 1 for the first attempt, 2 for the first retry, ...
        attempt: u32,
    },
    /// The event failed every attempt; its chat has moved on.
    DeadLetter(DeadLetter),
    /// A duplicate of an event already received was dropped.
    Duplicate {
        /// Its id.
        event_id: String,
    },
}

/// A refused input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DispatchError {
    /// The id is unknown, or its dispatch was already completed, failed or timed out.
    #[error("{0} is unknown or already settled")]
    Unknown(DispatchId),
    /// The queue is full; the event is handed back.
    #[error("the dispatch queue is full ({limit} events)")]
    QueueFull {
        /// The configured limit.
        limit: usize,
        /// The refused event.
        event: Box<Event>,
    },
}

impl DispatchError {
    /// The refused event, when the error hands one back.
    pub fn into_event(self) -> Option<Event> {
        match self {
            DispatchError::QueueFull { event, .. } => Some(*event),
            DispatchError::Unknown(_) => None,
        }
    }
}

/// What a restarted dispatcher needs: the unsettled events in arrival order and the
/// stream positions settled above the acknowledgement watermark.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Exported {
    /// Events not yet settled (queued, running, waiting for a retry), in arrival order.
    pub pending: Vec<Arc<Event>>,
    /// Positions (`seq`) already settled but above [`Dispatcher::settled_through`].
    pub settled_above: Vec<i64>,
}

/// A fast multiplicative hasher for the dispatcher's internal tables, whose keys are ids it
/// allocates itself and ids or chat keys assigned by the platform (not chosen by senders).
#[derive(Debug, Default, Clone, Copy)]
struct FastHasher(u64);

impl std::hash::Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }
}

type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FastHasher>>;
type FastSet<K> = HashSet<K, std::hash::BuildHasherDefault<FastHasher>>;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum DedupKey {
    Seq(i64),
    Id(String),
}

fn dedup_key(e: &Event) -> DedupKey {
    match e.seq {
        Some(s) => DedupKey::Seq(s),
        None => DedupKey::Id(e.id.clone()),
    }
}

/// One queued event and its arrival number (for export order).
#[derive(Debug)]
struct Queued {
    arrival: u64,
    event: Arc<Event>,
}

#[derive(Debug, Default)]
struct Lane {
    key: u64,
    queue: VecDeque<Queued>,
    /// The head is running or waiting for a retry.
    busy: bool,
}

#[derive(Debug)]
struct Running {
    arrival: u64,
    event: Arc<Event>,
    lane: Option<usize>,
    attempt: u32,
    deadline: Option<Timestamp>,
}

#[derive(Debug)]
struct Waiting {
    arrival: u64,
    event: Arc<Event>,
    lane: Option<usize>,
    attempt: u32,
}

/// Counters, for monitoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DispatchStats {
    /// Events accepted.
    pub accepted: u64,
    /// Events completed by a handler.
    pub completed: u64,
    /// Failed attempts (including timeouts).
    pub failures: u64,
    /// Events dead-lettered.
    pub dead_letters: u64,
    /// Duplicates dropped.
    pub duplicates: u64,
}

/// The dispatcher. See the module docs.
#[derive(Debug)]
pub struct Dispatcher {
    config: DispatcherConfig,
    lanes: Vec<Lane>,
    /// Lanes by a hash of their chat (or user) key. Two keys with the same hash share a lane:
    /// their events are then serialised together, which costs concurrency, never order.
    lane_index: FastMap<u64, usize>,
    free_lanes: Vec<usize>,
    /// Lanes with a releasable head, and lane-less events (`None` lane: see `loose`).
    runnable: VecDeque<usize>,
    loose: VecDeque<Queued>,
    running: FastMap<DispatchId, Running>,
    deadlines: BTreeSet<(Timestamp, DispatchId)>,
    // Values boxed: maps whose keys and values have the same layout share one copy of the
    // B-tree code in the WebAssembly module (bindings-wasm/SIZE.md).
    retries: BTreeMap<(Timestamp, u64), Box<Waiting>>,
    out: VecDeque<Output>,
    seen: FastSet<DedupKey>,
    seen_order: VecDeque<DedupKey>,
    unsettled: BTreeSet<i64>,
    settled_above: BTreeSet<i64>,
    max_seq: Option<i64>,
    held: usize,
    next_id: u64,
    next_arrival: u64,
    stats: DispatchStats,
    /// Retries whose delay is over, waiting for a free slot (they go first).
    due: VecDeque<Waiting>,
    /// The latest time the host passed in.
    now_hint: Timestamp,
    /// Whether an event below the watermark may be a late arrival (see `with_late_arrivals`).
    late_arrivals: bool,
}

impl Dispatcher {
    /// A dispatcher; limits below 1 are raised to 1.
    pub fn new(mut config: DispatcherConfig) -> Self {
        config.concurrency = config.concurrency.max(1);
        config.max_attempts = config.max_attempts.max(1);
        config.max_queued = config.max_queued.max(1);
        config.dedup_window = config.dedup_window.max(1);
        Dispatcher {
            config,
            lanes: Vec::new(),
            lane_index: FastMap::default(),
            free_lanes: Vec::new(),
            runnable: VecDeque::new(),
            loose: VecDeque::new(),
            running: FastMap::default(),
            deadlines: BTreeSet::new(),
            retries: BTreeMap::new(),
            out: VecDeque::new(),
            seen: FastSet::default(),
            seen_order: VecDeque::new(),
            unsettled: BTreeSet::new(),
            settled_above: BTreeSet::new(),
            max_seq: None,
            held: 0,
            next_id: 0,
            next_arrival: 0,
            stats: DispatchStats::default(),
            due: VecDeque::new(),
            now_hint: 0,
            late_arrivals: false,
        }
    }

    /// For events whose `seq` may arrive out of order (webhook deliveries overtake each
    /// other): one below the watermark whose id is not in the duplicate window is handled as
    /// a late arrival. By default such an event is taken for a redelivery of a stream read in
    /// order (polling), settled before, and dropped as a duplicate.
    pub fn with_late_arrivals(mut self) -> Self {
        self.late_arrivals = true;
        self
    }

    /// The settings.
    pub fn config(&self) -> &DispatcherConfig {
        &self.config
    }

    /// Counters.
    pub fn stats(&self) -> DispatchStats {
        self.stats
    }

    /// Unsettled events held (queued, running, waiting for a retry).
    pub fn held(&self) -> usize {
        self.held
    }

    /// How many more events [`submit`](Self::submit) accepts now.
    pub fn capacity(&self) -> usize {
        self.config.max_queued.saturating_sub(self.held)
    }

    /// Handlers running now.
    pub fn running(&self) -> usize {
        self.running.len()
    }

    /// Nothing held and nothing left to report.
    pub fn is_idle(&self) -> bool {
        self.held == 0 && self.out.is_empty()
    }

    /// Accepts an event. A duplicate (same platform id as a recent one) is dropped and
    /// reported as [`Output::Duplicate`]; that is not an error.
    ///
    /// # Errors
    /// [`DispatchError::QueueFull`] hands the event back when the queue is full.
    pub fn submit(&mut self, now: Timestamp, event: Event) -> Result<(), DispatchError> {
        self.tick(now);
        if self.held >= self.config.max_queued {
            return Err(DispatchError::QueueFull {
                limit: self.config.max_queued,
                event: Box::new(event),
            });
        }
        let key = dedup_key(&event);
        if self.seen.contains(&key) {
            self.stats.duplicates += 1;
            self.out.push_back(Output::Duplicate { event_id: event.id });
            return Ok(());
        }
        if let Some(seq) = event.seq {
            if !self.late_arrivals && self.settled_through().is_some_and(|w| seq < w) {
                // Below the watermark: settled before (the window may have forgotten it).
                self.stats.duplicates += 1;
                self.out.push_back(Output::Duplicate { event_id: event.id });
                return Ok(());
            }
            self.unsettled.insert(seq);
            self.max_seq = Some(self.max_seq.map_or(seq, |m| m.max(seq)));
        }
        self.remember(key);
        self.stats.accepted += 1;
        self.held += 1;
        let arrival = self.next_arrival;
        self.next_arrival += 1;
        let lane = event
            .chat_key()
            .or_else(|| event.user_key())
            .map(|k| self.lane_for(k));
        let queued = Queued {
            arrival,
            event: Arc::new(event),
        };
        match lane {
            None => self.loose.push_back(queued),
            Some(lane) => {
                let l = &mut self.lanes[lane];
                l.queue.push_back(queued);
                if !l.busy && l.queue.len() == 1 {
                    self.runnable.push_back(lane);
                }
            }
        }
        self.pump();
        Ok(())
    }

    /// Reports that the handler of `id` finished.
    ///
    /// # Errors
    /// [`DispatchError::Unknown`] for an id never issued or already settled (nothing changes).
    pub fn complete(&mut self, now: Timestamp, id: DispatchId) -> Result<(), DispatchError> {
        self.tick(now);
        let run = self.take_running(id)?;
        self.stats.completed += 1;
        self.settle(run.lane, &run.event);
        self.pump();
        Ok(())
    }

    /// Reports that the handler of `id` failed; the event is retried or dead-lettered.
    ///
    /// # Errors
    /// [`DispatchError::Unknown`] for an id never issued or already settled (nothing changes).
    pub fn fail(
        &mut self,
        now: Timestamp,
        id: DispatchId,
        reason: impl Into<String>,
    ) -> Result<(), DispatchError> {
        self.tick(now);
        let run = self.take_running(id)?;
        self.on_failure(now, run, reason.into());
        self.pump();
        Ok(())
    }

    /// Lets time pass: handlers past their timeout fail, due retries are released.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        self.tick(now);
        while let Some(&(at, id)) = self.deadlines.first() {
            if at > now {
                break;
            }
            self.deadlines.pop_first();
            if let Some(run) = self.running.remove(&id) {
                self.on_failure(now, run, "handler timed out".to_owned());
            }
        }
        while let Some((&(at, _), _)) = self.retries.first_key_value() {
            if at > now {
                break;
            }
            let Some((_, w)) = self.retries.pop_first() else {
                break;
            };
            self.due.push_back(*w);
        }
        self.pump();
    }

    /// When to call [`handle_timeout`](Self::handle_timeout) next.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        if !self.due.is_empty() && self.running.len() < self.config.concurrency {
            return Some(self.now_hint);
        }
        let d = self.deadlines.first().map(|(t, _)| *t);
        let r = self.retries.first_key_value().map(|((t, _), _)| *t);
        match (d, r) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The next output.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// The acknowledgement watermark: every event with `seq` below the returned position is
    /// settled. `None` before the first event with a `seq`.
    pub fn settled_through(&self) -> Option<i64> {
        match self.unsettled.first() {
            Some(&s) => Some(s),
            None => self.max_seq.map(|m| m.saturating_add(1)),
        }
    }

    /// What a restarted dispatcher needs (see [`Exported`]).
    pub fn export(&self) -> Exported {
        let mut pending: Vec<(u64, Arc<Event>)> = Vec::with_capacity(self.held);
        for r in self.running.values() {
            pending.push((r.arrival, r.event.clone()));
        }
        for w in self.retries.values().map(|w| &**w).chain(self.due.iter()) {
            pending.push((w.arrival, w.event.clone()));
        }
        for l in &self.lanes {
            for q in &l.queue {
                // A busy lane's head is running or waiting: it is counted above.
                pending.push((q.arrival, q.event.clone()));
            }
        }
        for q in &self.loose {
            pending.push((q.arrival, q.event.clone()));
        }
        pending.sort_by_key(|(a, _)| *a);
        pending.dedup_by_key(|(a, _)| *a);
        Exported {
            pending: pending.into_iter().map(|(_, e)| e).collect(),
            settled_above: self.settled_above.iter().copied().collect(),
        }
    }

    /// Marks stream positions as already settled (from [`Exported::settled_above`] of a
    /// previous run) so their redeliveries are dropped as duplicates.
    pub fn mark_settled(&mut self, seqs: &[i64]) {
        for &s in seqs {
            if self.unsettled.contains(&s) {
                continue;
            }
            self.remember(DedupKey::Seq(s));
            self.max_seq = Some(self.max_seq.map_or(s, |m| m.max(s)));
            self.settled_above.insert(s);
        }
        self.prune_settled();
    }

    // ---- internals ----

    fn lane_for(&mut self, key: &str) -> usize {
        // Chat keys are assigned by the platform, not chosen by senders: a fast hash will do.
        let mut hasher = FastHasher::default();
        std::hash::Hash::hash(key, &mut hasher);
        let hash = std::hash::Hasher::finish(&hasher);
        if let Some(&i) = self.lane_index.get(&hash) {
            return i;
        }
        let i = match self.free_lanes.pop() {
            Some(i) => {
                self.lanes[i].key = hash;
                i
            }
            None => {
                self.lanes.push(Lane {
                    key: hash,
                    ..Lane::default()
                });
                self.lanes.len() - 1
            }
        };
        self.lane_index.insert(hash, i);
        i
    }

    fn remember(&mut self, key: DedupKey) {
        if self.seen.insert(key.clone()) {
            self.seen_order.push_back(key);
            while self.seen_order.len() > self.config.dedup_window {
                if let Some(old) = self.seen_order.pop_front() {
                    self.seen.remove(&old);
                }
            }
        }
    }

    fn take_running(&mut self, id: DispatchId) -> Result<Running, DispatchError> {
        let run = self.running.remove(&id).ok_or(DispatchError::Unknown(id))?;
        if let Some(d) = run.deadline {
            self.deadlines.remove(&(d, id));
        }
        Ok(run)
    }

    fn on_failure(&mut self, now: Timestamp, run: Running, reason: String) {
        self.stats.failures += 1;
        if run.attempt >= self.config.max_attempts {
            self.stats.dead_letters += 1;
            self.out.push_back(Output::DeadLetter(DeadLetter {
                event: run.event.clone(),
                attempts: run.attempt,
                reason,
            }));
            self.settle(run.lane, &run.event);
            return;
        }
        let shift = (run.attempt - 1).min(20);
        let delay = self.config.retry_delay_ms.saturating_mul(1 << shift);
        let seq = self.next_arrival;
        self.next_arrival += 1;
        self.retries.insert(
            (now.saturating_add(delay), seq),
            Box::new(Waiting {
                arrival: run.arrival,
                event: run.event,
                lane: run.lane,
                attempt: run.attempt + 1,
            }),
        );
    }

    /// An event is done with (handled or dead-lettered): free its lane, move the watermark.
    fn settle(&mut self, lane: Option<usize>, event: &Event) {
        self.held -= 1;
        if let Some(seq) = event.seq {
            self.unsettled.remove(&seq);
            // Only positions above the new watermark need remembering.
            if self.unsettled.first().is_some_and(|&w| seq > w) {
                self.settled_above.insert(seq);
            }
            self.prune_settled();
        }
        if let Some(i) = lane {
            let l = &mut self.lanes[i];
            l.queue.pop_front();
            l.busy = false;
            if l.queue.is_empty() {
                let key = l.key;
                self.lane_index.remove(&key);
                self.free_lanes.push(i);
            } else {
                self.runnable.push_back(i);
            }
        }
    }

    fn prune_settled(&mut self) {
        match self.unsettled.first() {
            Some(&w) => {
                while let Some(&s) = self.settled_above.first() {
                    if s >= w {
                        break;
                    }
                    self.settled_above.pop_first();
                }
            }
            None => self.settled_above.clear(),
        }
    }

    fn tick(&mut self, now: Timestamp) {
        self.now_hint = self.now_hint.max(now);
    }

    fn pump(&mut self) {
        let now = self.now_hint;
        while self.running.len() < self.config.concurrency {
            if let Some(w) = self.due.pop_front() {
                self.start(now, w.arrival, w.event, w.lane, w.attempt);
            } else if let Some(lane) = self.runnable.pop_front() {
                let l = &mut self.lanes[lane];
                if l.busy {
                    continue;
                }
                let Some(head) = l.queue.front() else {
                    continue;
                };
                l.busy = true;
                let (arrival, event) = (head.arrival, head.event.clone());
                self.start(now, arrival, event, Some(lane), 1);
            } else if let Some(q) = self.loose.pop_front() {
                self.start(now, q.arrival, q.event, None, 1);
            } else {
                break;
            }
        }
    }

    fn start(
        &mut self,
        now: Timestamp,
        arrival: u64,
        event: Arc<Event>,
        lane: Option<usize>,
        attempt: u32,
    ) {
        self.next_id += 1;
        let id = DispatchId(self.next_id);
        let deadline = self
            .config
            .handler_timeout_ms
            .map(|t| now.saturating_add(t));
        if let Some(d) = deadline {
            self.deadlines.insert((d, id));
        }
        self.out.push_back(Output::Dispatch {
            id,
            event: event.clone(),
            attempt,
        });
        self.running.insert(
            id,
            Running {
                arrival,
                event,
                lane,
                attempt,
                deadline,
            },
        );
    }
}
