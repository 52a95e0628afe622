//! Flood control: a sans-IO scheduler for outgoing sends that keeps a bot inside the
//! platform's sending limits.
//!
//! Sends are queued per chat with [`FloodControl::enqueue`] and handed out by
//! [`FloodControl::poll_ready`] when every budget allows them. Three budgets apply, each a
//! sliding window ([`Budget`]): one per chat, one per group (groups, supergroups and channels,
//! in addition to the chat budget) and one shared by all chats. The defaults are Telegram's
//! published limits: 1 message per second in a chat, 20 per minute in a group, 30 per second
//! overall.
//!
//! A window admits a send at time `t` when fewer than `max` earlier sends happened in
//! `(t - window_ms, t]`, exactly as the simulator in `sim::telegram` enforces it. A release
//! counts against the budgets at the moment it is handed out, because the host sends it right
//! away.
//!
//! Guarantees:
//!
//! - a chat's sends leave in the order they were enqueued, and a send answered with 429 goes
//!   back to the head of its chat's queue (with the default of one send in flight per chat,
//!   delivery order is kept even across 429s);
//! - chats are served earliest-eligible first, ties in round-robin order, so no chat starves;
//! - a `retry_after` pauses only its chat, unless it is scoped (or long enough to count as)
//!   global;
//! - queues are bounded and a full queue hands the item back;
//! - memory is bounded: each window keeps at most `max` timestamps and chats with nothing
//!   queued, nothing in flight and no window or pause still in effect are forgotten.
//!
//! The host loop: after enqueueing (or when the timer fires) call `poll_ready(now)` until it
//! returns `None`, send what it returned, then arm one timer at [`FloodControl::next_ready_at`].
//! Report each send's outcome with [`on_sent`](FloodControl::on_sent),
//! [`on_retry_after`](FloodControl::on_retry_after) or [`on_failed`](FloodControl::on_failed).
//!
//! ```
//! use botwire_core::runtime::flood::{ChatClass, FloodConfig, FloodControl};
//!
//! let mut flood = FloodControl::new(FloodConfig::default()).unwrap();
//! let first = flood.enqueue(0, 42, ChatClass::Private, "hello").unwrap();
//! let second = flood.enqueue(0, 42, ChatClass::Private, "again").unwrap();
//!
//! // The first send may leave at once; the second waits for its answer (one send in flight
//! // per chat) and for the chat's budget (1 per second).
//! assert_eq!(flood.poll_ready(0), Some((first, "hello")));
//! assert_eq!(flood.poll_ready(0), None);
//! flood.on_sent(10, first).unwrap();
//! assert_eq!(flood.next_ready_at(), Some(1_000));
//! assert_eq!(flood.poll_ready(1_000), Some((second, "again")));
//! ```

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

/// At most `max` sends in any window of `window_ms` milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Budget {
    /// How many sends the window admits (at least 1).
    pub max: u32,
    /// The window's length in milliseconds.
    pub window_ms: u64,
}

impl Budget {
    /// `max` sends per `window_ms` milliseconds.
    ///
    /// ```
    /// use botwire_core::runtime::flood::Budget;
    /// assert_eq!(Budget::new(30, 1_000).max, 30);
    /// ```
    pub const fn new(max: u32, window_ms: u64) -> Self {
        Budget { max, window_ms }
    }
}

/// What kind of chat a send goes to; it decides whether the group budget applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChatClass {
    /// A one-to-one chat: only the chat budget and the global budget apply.
    Private,
    /// A group or supergroup: the group budget applies too.
    Group,
    /// A channel: the group budget applies too.
    Channel,
}

impl ChatClass {
    /// Whether the per-group budget applies to this class.
    ///
    /// ```
    /// use botwire_core::runtime::flood::ChatClass;
    /// assert!(ChatClass::Channel.is_group_like());
    /// assert!(!ChatClass::Private.is_group_like());
    /// ```
    pub fn is_group_like(self) -> bool {
        !matches!(self, ChatClass::Private)
    }
}

/// Identifies a chat (for Telegram, the numeric `chat_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChatKey(pub i64);

impl From<i64> for ChatKey {
    fn from(id: i64) -> Self {
        ChatKey(id)
    }
}

impl fmt::Display for ChatKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Identifies one queued send. Ids grow with every enqueue, so within a chat they follow the
/// enqueue order; a send put back after a 429 keeps its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SendId(pub u64);

impl fmt::Display for SendId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// What a `retry_after` answer concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetryScope {
    /// Only the chat of the send (Telegram's usual case). A wait longer than
    /// [`FloodConfig::global_pause_above_secs`] is treated as [`RetryScope::Global`].
    Chat,
    /// Every chat: nothing is released until the wait is over.
    Global,
}

/// Which queue bound was hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueueLimit {
    /// The chat already has this many sends queued.
    PerChat(usize),
    /// All chats together already have this many sends queued.
    Total(usize),
}

impl fmt::Display for QueueLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueueLimit::PerChat(n) => write!(f, "{n} sends queued in the chat"),
            QueueLimit::Total(n) => write!(f, "{n} sends queued in all"),
        }
    }
}

/// Errors of [`FloodControl`]. Every variant that concerns an item hands it back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FloodError<T> {
    /// A queue bound was reached; the item was not queued and is handed back.
    #[error("send queue for chat {chat} is full ({limit})")]
    QueueFull {
        /// The chat the send was for.
        chat: ChatKey,
        /// The bound that was hit.
        limit: QueueLimit,
        /// The item, unchanged.
        item: T,
    },
    /// The id is not in flight: never released, already reported, or unknown.
    #[error("send {0} is not in flight (unknown or already reported)")]
    UnknownSend(SendId),
    /// [`FloodControl::on_retry_after`] for an id that is not in flight; the item is handed
    /// back and nothing was queued or paused.
    #[error("send {id} is not in flight (unknown or already reported); item handed back")]
    UnknownRetry {
        /// The id reported.
        id: SendId,
        /// The item, unchanged.
        item: T,
    },
    /// The configuration cannot work (a budget admitting nothing, a zero queue bound).
    #[error("invalid flood-control configuration: {0}")]
    InvalidConfig(&'static str),
}

impl<T> FloodError<T> {
    /// The item the error hands back, if it carries one.
    ///
    /// ```
    /// use botwire_core::runtime::flood::{ChatClass, FloodConfig, FloodControl};
    ///
    /// let config = FloodConfig { max_queued_per_chat: 1, ..FloodConfig::default() };
    /// let mut flood = FloodControl::new(config).unwrap();
    /// flood.enqueue(0, 1, ChatClass::Private, "a").unwrap();
    /// let err = flood.enqueue(0, 1, ChatClass::Private, "b").unwrap_err();
    /// assert_eq!(err.into_item(), Some("b"));
    /// ```
    pub fn into_item(self) -> Option<T> {
        match self {
            FloodError::QueueFull { item, .. } | FloodError::UnknownRetry { item, .. } => {
                Some(item)
            }
            FloodError::UnknownSend(_) | FloodError::InvalidConfig(_) => None,
        }
    }
}

/// Budgets and bounds of a [`FloodControl`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FloodConfig {
    /// Per chat, any class. Default: 1 per 1,000 ms.
    pub per_chat: Budget,
    /// Per group or channel, in addition to `per_chat`. Default: 20 per 60,000 ms.
    pub per_group: Budget,
    /// Over all chats. Default: 30 per 1,000 ms.
    pub global: Budget,
    /// Most sends queued for one chat (in flight not counted). Default 1,000.
    pub max_queued_per_chat: usize,
    /// Most sends queued over all chats (in flight not counted). Default 100,000.
    pub max_queued_total: usize,
    /// Most sends of one chat released and not yet reported. Default 1, which keeps a chat's
    /// delivery order even when a send is answered with 429 (the next one waits for the
    /// answer); more allows pipelining, and then a 429 on one send can let a later one of the
    /// same chat arrive first.
    pub max_in_flight_per_chat: usize,
    /// A `retry_after` of more than this many seconds with [`RetryScope::Chat`] pauses every
    /// chat. Default 60: a chat's own limits (1 per second, 20 per minute in groups) never
    /// explain a longer wait, so a longer one is taken as a bot-wide flood wait. `u64::MAX`
    /// never escalates.
    pub global_pause_above_secs: u64,
}

impl Default for FloodConfig {
    fn default() -> Self {
        FloodConfig {
            per_chat: Budget::new(1, 1_000),
            per_group: Budget::new(20, 60_000),
            global: Budget::new(30, 1_000),
            max_queued_per_chat: 1_000,
            max_queued_total: 100_000,
            max_in_flight_per_chat: 1,
            global_pause_above_secs: 60,
        }
    }
}

/// A snapshot of a [`FloodControl`]'s state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FloodStats {
    /// Sends queued over all chats.
    pub queued: usize,
    /// Chats with at least one queued send.
    pub chats_with_queue: usize,
    /// Sends released and not yet reported.
    pub in_flight: usize,
    /// Chats paused by a `retry_after` at the time asked.
    pub paused_chats: usize,
    /// When a global pause ends, if one is in effect at the time asked.
    pub global_paused_until: Option<u64>,
    /// Chats the scheduler keeps state for (queued, in flight, or windows still in effect).
    pub tracked_chats: usize,
}

/// The send times still relevant to one window: at most `max` of them, oldest first.
#[derive(Debug, Clone, Default)]
struct Window(VecDeque<u64>);

impl Window {
    /// The earliest time at which one more send fits.
    fn free_at(&self, budget: Budget) -> u64 {
        let max = budget.max as usize;
        match self.0.front() {
            // Only the last `max` sends are kept: the window is full until the oldest of
            // them leaves it.
            Some(&oldest) if self.0.len() >= max => oldest.saturating_add(budget.window_ms),
            _ => 0,
        }
    }

    fn record(&mut self, now: u64, budget: Budget) {
        self.0.push_back(now);
        while self.0.len() > budget.max as usize {
            self.0.pop_front();
        }
    }

    /// When the recorded sends stop mattering.
    fn expires_at(&self, budget: Budget) -> u64 {
        self.0
            .back()
            .map_or(0, |&last| last.saturating_add(budget.window_ms))
    }
}

#[derive(Debug, Clone)]
struct ChatState<T> {
    class: ChatClass,
    /// Sorted by id, which is the enqueue order.
    queue: VecDeque<(SendId, T)>,
    chat_window: Window,
    group_window: Window,
    paused_until: u64,
    in_flight: usize,
    /// Its entry in `FloodControl::ready`, when it has one.
    ready_key: Option<(u64, u64)>,
    /// Its entry in `FloodControl::idle`, when it has one.
    idle_key: Option<u64>,
}

impl<T> ChatState<T> {
    fn new(class: ChatClass) -> Self {
        ChatState {
            class,
            queue: VecDeque::new(),
            chat_window: Window::default(),
            group_window: Window::default(),
            paused_until: 0,
            in_flight: 0,
            ready_key: None,
            idle_key: None,
        }
    }

    fn eligible_at(&self, config: &FloodConfig) -> u64 {
        let mut at = self
            .chat_window
            .free_at(config.per_chat)
            .max(self.paused_until);
        if self.class.is_group_like() {
            at = at.max(self.group_window.free_at(config.per_group));
        }
        at
    }

    fn expires_at(&self, config: &FloodConfig) -> u64 {
        self.chat_window
            .expires_at(config.per_chat)
            .max(self.group_window.expires_at(config.per_group))
            .max(self.paused_until)
    }
}

/// The flood-control scheduler. See the [module documentation](self).
///
/// `T` is the queued item (a platform request, a message builder, …); the scheduler never
/// looks inside it.
#[derive(Debug, Clone)]
pub struct FloodControl<T> {
    config: FloodConfig,
    /// The latest `now` seen; inputs never move it backwards.
    now: u64,
    // Values boxed: maps whose keys and values have the same layout share one copy of the
    // B-tree code in the WebAssembly module (bindings-wasm/SIZE.md).
    chats: BTreeMap<ChatKey, Box<ChatState<T>>>,
    /// Chats with a queued send and room in flight, by (eligible time, turn).
    ready: BTreeSet<(u64, u64, ChatKey)>,
    /// Chats with nothing queued or in flight, by the time their state stops mattering.
    idle: BTreeSet<(u64, ChatKey)>,
    in_flight: BTreeMap<SendId, ChatKey>,
    global: Window,
    global_paused_until: u64,
    queued: usize,
    next_id: u64,
    next_turn: u64,
}

impl<T> FloodControl<T> {
    /// A scheduler with nothing queued.
    ///
    /// # Errors
    ///
    /// [`FloodError::InvalidConfig`] when a budget has `max` 0 (it would admit nothing) or a
    /// queue or in-flight bound is 0.
    ///
    /// ```
    /// use botwire_core::runtime::flood::{Budget, FloodConfig, FloodControl, FloodError};
    ///
    /// let ok = FloodControl::<String>::new(FloodConfig::default());
    /// assert!(ok.is_ok());
    /// let bad = FloodConfig { global: Budget::new(0, 1_000), ..FloodConfig::default() };
    /// assert!(matches!(FloodControl::<String>::new(bad), Err(FloodError::InvalidConfig(_))));
    /// ```
    pub fn new(config: FloodConfig) -> Result<Self, FloodError<T>> {
        if config.per_chat.max == 0 || config.per_group.max == 0 || config.global.max == 0 {
            return Err(FloodError::InvalidConfig(
                "a budget with max 0 admits nothing",
            ));
        }
        if config.max_queued_per_chat == 0 || config.max_queued_total == 0 {
            return Err(FloodError::InvalidConfig("queue bounds must be at least 1"));
        }
        if config.max_in_flight_per_chat == 0 {
            return Err(FloodError::InvalidConfig(
                "max_in_flight_per_chat must be at least 1",
            ));
        }
        Ok(FloodControl {
            config,
            now: 0,
            chats: BTreeMap::new(),
            ready: BTreeSet::new(),
            idle: BTreeSet::new(),
            in_flight: BTreeMap::new(),
            global: Window::default(),
            global_paused_until: 0,
            queued: 0,
            next_id: 0,
            next_turn: 0,
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &FloodConfig {
        &self.config
    }

    /// Queues `item` for `chat` behind the chat's earlier sends.
    ///
    /// `class` decides whether the group budget applies; the latest class given for a chat
    /// wins.
    ///
    /// # Errors
    ///
    /// [`FloodError::QueueFull`] when the chat's or the total queue bound is reached; the item
    /// is handed back and nothing changes.
    ///
    /// ```
    /// use botwire_core::runtime::flood::{ChatClass, FloodConfig, FloodControl};
    ///
    /// let mut flood = FloodControl::new(FloodConfig::default()).unwrap();
    /// let id = flood.enqueue(0, -100_123, ChatClass::Group, "hi all").unwrap();
    /// assert_eq!(flood.poll_ready(0), Some((id, "hi all")));
    /// ```
    pub fn enqueue(
        &mut self,
        now: u64,
        chat: impl Into<ChatKey>,
        class: ChatClass,
        item: T,
    ) -> Result<SendId, FloodError<T>> {
        let chat = chat.into();
        let now = self.clock(now);
        self.forget_idle(now);
        let in_chat = self.chats.get(&chat).map_or(0, |c| c.queue.len());
        if in_chat >= self.config.max_queued_per_chat {
            let limit = QueueLimit::PerChat(self.config.max_queued_per_chat);
            return Err(FloodError::QueueFull { chat, limit, item });
        }
        if self.queued >= self.config.max_queued_total {
            let limit = QueueLimit::Total(self.config.max_queued_total);
            return Err(FloodError::QueueFull { chat, limit, item });
        }
        let id = SendId(self.next_id);
        self.next_id += 1;
        let state = self
            .chats
            .entry(chat)
            .or_insert_with(|| Box::new(ChatState::new(class)));
        state.class = class;
        state.queue.push_back((id, item));
        self.queued += 1;
        self.reschedule(chat);
        Ok(id)
    }

    /// The next send the budgets allow at `now`, if any. The release counts against every
    /// budget at once (the host is expected to send it right away) and the send is in flight
    /// until reported with [`on_sent`](Self::on_sent), [`on_retry_after`](Self::on_retry_after)
    /// or [`on_failed`](Self::on_failed). Call it until it returns `None`.
    ///
    /// Chats are served earliest-eligible first; chats eligible at the same time take turns.
    ///
    /// ```
    /// use botwire_core::runtime::flood::{ChatClass, FloodConfig, FloodControl};
    ///
    /// let mut flood = FloodControl::new(FloodConfig::default()).unwrap();
    /// let a = flood.enqueue(0, 1, ChatClass::Private, 'a').unwrap();
    /// let b = flood.enqueue(0, 2, ChatClass::Private, 'b').unwrap();
    /// assert_eq!(flood.poll_ready(0), Some((a, 'a')));
    /// assert_eq!(flood.poll_ready(0), Some((b, 'b')));
    /// assert_eq!(flood.poll_ready(0), None);
    /// ```
    pub fn poll_ready(&mut self, now: u64) -> Option<(SendId, T)> {
        let now = self.clock(now);
        self.forget_idle(now);
        if self.global_gate() > now {
            return None;
        }
        let &(eligible_at, turn, chat) = self.ready.first()?;
        if eligible_at > now {
            return None;
        }
        self.ready.remove(&(eligible_at, turn, chat));
        let config = self.config;
        let state = self.chats.get_mut(&chat)?;
        state.ready_key = None;
        let (id, item) = state.queue.pop_front()?;
        state.chat_window.record(now, config.per_chat);
        if state.class.is_group_like() {
            state.group_window.record(now, config.per_group);
        }
        state.in_flight += 1;
        self.global.record(now, config.global);
        self.queued = self.queued.saturating_sub(1);
        self.in_flight.insert(id, chat);
        self.reschedule(chat);
        Some((id, item))
    }

    /// The earliest time at which a queued send becomes eligible, for the host's timer; `None`
    /// when nothing queued can leave (empty queues, or every chat waiting for answers to its
    /// sends in flight). A time at or before the last `now` means "poll now".
    ///
    /// ```
    /// use botwire_core::runtime::flood::{ChatClass, FloodConfig, FloodControl};
    ///
    /// let mut flood = FloodControl::new(FloodConfig::default()).unwrap();
    /// assert_eq!(flood.next_ready_at(), None);
    /// flood.enqueue(5, 1, ChatClass::Private, ()).unwrap();
    /// assert_eq!(flood.next_ready_at(), Some(0));
    /// ```
    pub fn next_ready_at(&self) -> Option<u64> {
        let &(eligible_at, _, _) = self.ready.first()?;
        Some(eligible_at.max(self.global_gate()))
    }

    /// Reports that send `id` was delivered.
    ///
    /// # Errors
    ///
    /// [`FloodError::UnknownSend`] when `id` is not in flight (never released, or already
    /// reported); nothing changes then.
    ///
    /// ```
    /// use botwire_core::runtime::flood::{ChatClass, FloodConfig, FloodControl, FloodError};
    ///
    /// let mut flood = FloodControl::new(FloodConfig::default()).unwrap();
    /// flood.enqueue(0, 1, ChatClass::Private, ()).unwrap();
    /// let (id, ()) = flood.poll_ready(0).unwrap();
    /// assert!(flood.on_sent(1, id).is_ok());
    /// assert!(matches!(flood.on_sent(2, id), Err(FloodError::UnknownSend(_))));
    /// ```
    pub fn on_sent(&mut self, now: u64, id: SendId) -> Result<(), FloodError<T>> {
        self.settle(now, id)
    }

    /// Reports that send `id` failed for a reason other than a rate limit. The item stays the
    /// caller's and nothing is re-queued; the release still counts against the budgets.
    ///
    /// # Errors
    ///
    /// [`FloodError::UnknownSend`] when `id` is not in flight; nothing changes then.
    ///
    /// ```
    /// use botwire_core::runtime::flood::{ChatClass, FloodConfig, FloodControl};
    ///
    /// let mut flood = FloodControl::new(FloodConfig::default()).unwrap();
    /// flood.enqueue(0, 1, ChatClass::Private, ()).unwrap();
    /// let (id, ()) = flood.poll_ready(0).unwrap();
    /// flood.on_failed(1, id).unwrap();
    /// assert_eq!(flood.stats(1).in_flight, 0);
    /// ```
    pub fn on_failed(&mut self, now: u64, id: SendId) -> Result<(), FloodError<T>> {
        self.settle(now, id)
    }

    /// Reports that send `id` was answered "retry after `retry_after_secs` seconds" (HTTP 429).
    ///
    /// The item goes back into its chat's queue ahead of every later send of that chat (at
    /// the head, with one send in flight per chat) and keeps its id. With
    /// [`RetryScope::Chat`] only that chat is paused, until `now + retry_after_secs` seconds;
    /// a wait longer than [`FloodConfig::global_pause_above_secs`], or
    /// [`RetryScope::Global`], pauses every chat instead. The chat is never released before
    /// the wait is over. A re-queued item may exceed the queue bounds: it was admitted before.
    ///
    /// # Errors
    ///
    /// [`FloodError::UnknownRetry`] when `id` is not in flight; the item is handed back and
    /// nothing changes.
    ///
    /// ```
    /// use botwire_core::runtime::flood::{ChatClass, FloodConfig, FloodControl, RetryScope};
    ///
    /// let mut flood = FloodControl::new(FloodConfig::default()).unwrap();
    /// flood.enqueue(0, 1, ChatClass::Private, "a").unwrap();
    /// flood.enqueue(0, 2, ChatClass::Private, "b").unwrap();
    /// let (id, item) = flood.poll_ready(0).unwrap();
    /// flood.on_retry_after(0, id, item, 3, RetryScope::Chat).unwrap();
    /// // Chat 2 carries on; chat 1 waits 3 s and then resends "a" with the same id.
    /// assert_eq!(flood.poll_ready(0).map(|(_, i)| i), Some("b"));
    /// assert_eq!(flood.next_ready_at(), Some(3_000));
    /// assert_eq!(flood.poll_ready(3_000), Some((id, "a")));
    /// ```
    pub fn on_retry_after(
        &mut self,
        now: u64,
        id: SendId,
        item: T,
        retry_after_secs: u64,
        scope: RetryScope,
    ) -> Result<(), FloodError<T>> {
        let now = self.clock(now);
        let Some(chat) = self.in_flight.remove(&id) else {
            return Err(FloodError::UnknownRetry { id, item });
        };
        let until = now.saturating_add(retry_after_secs.saturating_mul(1_000));
        let global =
            scope == RetryScope::Global || retry_after_secs > self.config.global_pause_above_secs;
        // A chat with a send in flight is never forgotten, but rebuild it rather than panic.
        let state = self
            .chats
            .entry(chat)
            .or_insert_with(|| Box::new(ChatState::new(ChatClass::Private)));
        state.in_flight = state.in_flight.saturating_sub(1);
        let at = state.queue.partition_point(|(queued, _)| *queued < id);
        state.queue.insert(at, (id, item));
        self.queued += 1;
        if global {
            self.global_paused_until = self.global_paused_until.max(until);
        } else {
            state.paused_until = state.paused_until.max(until);
        }
        self.reschedule(chat);
        self.forget_idle(now);
        Ok(())
    }

    /// The queued sends (not those in flight), in enqueue order, with their chats: what a
    /// restarted process must queue again.
    pub fn queued_items(&self) -> Vec<(ChatKey, SendId, &T)> {
        let mut v: Vec<(ChatKey, SendId, &T)> = self
            .chats
            .iter()
            .flat_map(|(k, c)| c.queue.iter().map(move |(id, item)| (*k, *id, item)))
            .collect();
        v.sort_by_key(|(_, id, _)| *id);
        v
    }

    /// A snapshot of queue lengths, sends in flight and pauses as of `now`.
    ///
    /// ```
    /// use botwire_core::runtime::flood::{ChatClass, FloodConfig, FloodControl};
    ///
    /// let mut flood = FloodControl::new(FloodConfig::default()).unwrap();
    /// flood.enqueue(0, 1, ChatClass::Private, ()).unwrap();
    /// flood.enqueue(0, 1, ChatClass::Private, ()).unwrap();
    /// let stats = flood.stats(0);
    /// assert_eq!((stats.queued, stats.chats_with_queue, stats.paused_chats), (2, 1, 0));
    /// ```
    pub fn stats(&self, now: u64) -> FloodStats {
        let now = now.max(self.now);
        FloodStats {
            queued: self.queued,
            chats_with_queue: self.chats.values().filter(|c| !c.queue.is_empty()).count(),
            in_flight: self.in_flight.len(),
            paused_chats: self.chats.values().filter(|c| c.paused_until > now).count(),
            global_paused_until: (self.global_paused_until > now)
                .then_some(self.global_paused_until),
            tracked_chats: self.chats.len(),
        }
    }

    /// How many sends are queued for `chat` (in flight not counted).
    ///
    /// ```
    /// use botwire_core::runtime::flood::{ChatClass, FloodConfig, FloodControl};
    ///
    /// let mut flood = FloodControl::new(FloodConfig::default()).unwrap();
    /// flood.enqueue(0, 7, ChatClass::Channel, ()).unwrap();
    /// assert_eq!(flood.queued_in(7), 1);
    /// assert_eq!(flood.queued_in(8), 0);
    /// ```
    pub fn queued_in(&self, chat: impl Into<ChatKey>) -> usize {
        self.chats.get(&chat.into()).map_or(0, |c| c.queue.len())
    }

    /// Until when `chat` is paused by a `retry_after`, if it is paused at `now` (a global
    /// pause is reported by [`stats`](Self::stats), not here).
    ///
    /// ```
    /// use botwire_core::runtime::flood::{ChatClass, FloodConfig, FloodControl};
    ///
    /// let flood = FloodControl::<()>::new(FloodConfig::default()).unwrap();
    /// assert_eq!(flood.chat_paused_until(0, 1), None);
    /// ```
    pub fn chat_paused_until(&self, now: u64, chat: impl Into<ChatKey>) -> Option<u64> {
        let now = now.max(self.now);
        self.chats
            .get(&chat.into())
            .map(|c| c.paused_until)
            .filter(|&until| until > now)
    }

    fn clock(&mut self, now: u64) -> u64 {
        self.now = self.now.max(now);
        self.now
    }

    /// The earliest time the global budget and a global pause allow any send.
    fn global_gate(&self) -> u64 {
        self.global
            .free_at(self.config.global)
            .max(self.global_paused_until)
    }

    fn settle(&mut self, now: u64, id: SendId) -> Result<(), FloodError<T>> {
        let now = self.clock(now);
        let chat = self
            .in_flight
            .remove(&id)
            .ok_or(FloodError::UnknownSend(id))?;
        if let Some(state) = self.chats.get_mut(&chat) {
            state.in_flight = state.in_flight.saturating_sub(1);
        }
        self.reschedule(chat);
        self.forget_idle(now);
        Ok(())
    }

    /// Puts `chat` where it belongs after its state changed: in `ready` when it has a queued
    /// send and room in flight, in `idle` when it has nothing going on.
    fn reschedule(&mut self, chat: ChatKey) {
        let config = self.config;
        let Some(state) = self.chats.get_mut(&chat) else {
            return;
        };
        if let Some(expiry) = state.idle_key.take() {
            self.idle.remove(&(expiry, chat));
        }
        let can_send = !state.queue.is_empty() && state.in_flight < config.max_in_flight_per_chat;
        let eligible_at = state.eligible_at(&config);
        match state.ready_key {
            Some((at, _)) if can_send && at == eligible_at => {}
            Some((at, turn)) => {
                self.ready.remove(&(at, turn, chat));
                state.ready_key = None;
            }
            None => {}
        }
        if can_send && state.ready_key.is_none() {
            let turn = self.next_turn;
            self.next_turn += 1;
            state.ready_key = Some((eligible_at, turn));
            self.ready.insert((eligible_at, turn, chat));
        }
        if state.queue.is_empty() && state.in_flight == 0 {
            let expiry = state.expires_at(&config);
            state.idle_key = Some(expiry);
            self.idle.insert((expiry, chat));
        }
    }

    /// Drops chats whose state no longer matters at `now`.
    fn forget_idle(&mut self, now: u64) {
        while let Some(&(expiry, chat)) = self.idle.first() {
            if expiry > now {
                break;
            }
            self.idle.remove(&(expiry, chat));
            let forget = self
                .chats
                .get(&chat)
                .is_some_and(|c| c.idle_key == Some(expiry));
            if forget {
                self.chats.remove(&chat);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flood<T: std::fmt::Debug>() -> FloodControl<T> {
        FloodControl::new(FloodConfig::default()).expect("default config is valid")
    }

    /// Releases everything allowed at `now`.
    fn drain<T>(f: &mut FloodControl<T>, now: u64) -> Vec<(SendId, T)> {
        std::iter::from_fn(|| f.poll_ready(now)).collect()
    }

    #[test]
    fn window_admits_exactly_at_the_boundary() {
        let b = Budget::new(3, 1_000);
        let mut w = Window::default();
        assert_eq!(w.free_at(b), 0);
        for t in [0, 100, 200] {
            w.record(t, b);
        }
        // Sends at 0, 100, 200: the window (t - 1000, t] holds 3 of them until t = 1000.
        assert_eq!(w.free_at(b), 1_000);
        w.record(1_000, b);
        assert_eq!(w.0.len(), 3, "at most max timestamps are kept");
        assert_eq!(w.free_at(b), 1_100);
        assert_eq!(w.expires_at(b), 2_000);
    }

    #[test]
    fn per_chat_budget_boundary() {
        let mut f = flood();
        let a = f.enqueue(0, 1, ChatClass::Private, 'a').unwrap();
        let b = f.enqueue(0, 1, ChatClass::Private, 'b').unwrap();
        assert_eq!(f.poll_ready(0), Some((a, 'a')));
        f.on_sent(0, a).unwrap();
        assert_eq!(f.next_ready_at(), Some(1_000));
        assert_eq!(f.poll_ready(999), None);
        assert_eq!(f.poll_ready(1_000), Some((b, 'b')));
    }

    #[test]
    fn group_budget_boundary() {
        let config = FloodConfig {
            per_chat: Budget::new(1, 1_000),
            per_group: Budget::new(3, 10_000),
            ..FloodConfig::default()
        };
        let mut f = FloodControl::new(config).unwrap();
        for i in 0..5 {
            f.enqueue(0, -5, ChatClass::Group, i).unwrap();
        }
        let mut times = Vec::new();
        let mut now = 0;
        while let Some(at) = f.next_ready_at() {
            now = now.max(at);
            let (id, _) = f.poll_ready(now).expect("exactly eligible");
            f.on_sent(now, id).unwrap();
            times.push(now);
        }
        // 3 per 10 s, and 1 per second within that: 0, 1, 2, then 10 (0 left the window), 11.
        assert_eq!(times, vec![0, 1_000, 2_000, 10_000, 11_000]);
        // A private chat with the same budgets is not held by the group window.
        let mut f = FloodControl::new(config).unwrap();
        for i in 0..4 {
            f.enqueue(0, 5, ChatClass::Private, i).unwrap();
        }
        let (id, _) = f.poll_ready(0).unwrap();
        f.on_sent(0, id).unwrap();
        for t in [1_000, 2_000, 3_000] {
            assert_eq!(f.next_ready_at(), Some(t));
            let (id, _) = f.poll_ready(t).unwrap();
            f.on_sent(t, id).unwrap();
        }
    }

    #[test]
    fn global_budget_is_shared_and_exact() {
        let config = FloodConfig {
            global: Budget::new(2, 500),
            ..FloodConfig::default()
        };
        let mut f = FloodControl::new(config).unwrap();
        for chat in 1..=5 {
            f.enqueue(0, chat, ChatClass::Private, chat).unwrap();
        }
        let first: Vec<_> = drain(&mut f, 0).into_iter().map(|(_, c)| c).collect();
        assert_eq!(first, vec![1, 2]);
        assert_eq!(f.next_ready_at(), Some(500));
        assert!(f.poll_ready(499).is_none());
        let second: Vec<_> = drain(&mut f, 500).into_iter().map(|(_, c)| c).collect();
        assert_eq!(second, vec![3, 4]);
    }

    #[test]
    fn per_chat_order_holds_under_interleaving() {
        let mut f = flood();
        let mut expected: BTreeMap<i64, Vec<u32>> = BTreeMap::new();
        for i in 0..60u32 {
            let chat = i64::from(i % 7 * 3 % 5) + 1;
            f.enqueue(u64::from(i) * 50, chat, ChatClass::Group, (chat, i))
                .unwrap();
            expected.entry(chat).or_default().push(i);
        }
        let mut got: BTreeMap<i64, Vec<u32>> = BTreeMap::new();
        let mut now = 3_000;
        for _ in 0..1_000 {
            while let Some((id, (chat, i))) = f.poll_ready(now) {
                got.entry(chat).or_default().push(i);
                f.on_sent(now, id).unwrap();
            }
            match f.next_ready_at() {
                Some(at) => now = now.max(at),
                None => break,
            }
        }
        assert_eq!(got, expected);
    }

    #[test]
    fn chats_take_turns() {
        // Chat 1 has a long backlog enqueued first; others come later and still get their
        // turn as soon as they are eligible.
        let config = FloodConfig {
            global: Budget::new(1, 1_000),
            per_chat: Budget::new(5, 1_000),
            ..FloodConfig::default()
        };
        let mut f = FloodControl::new(config).unwrap();
        for i in 0..10 {
            f.enqueue(0, 1, ChatClass::Private, (1, i)).unwrap();
        }
        f.enqueue(0, 2, ChatClass::Private, (2, 0)).unwrap();
        f.enqueue(0, 3, ChatClass::Private, (3, 0)).unwrap();
        let mut order = Vec::new();
        let mut now = 0;
        while let Some(at) = f.next_ready_at() {
            now = now.max(at);
            let (id, item) = f.poll_ready(now).unwrap();
            f.on_sent(now, id).unwrap();
            order.push(item.0);
        }
        assert_eq!(&order[..3], &[1, 2, 3]);
        assert_eq!(order.len(), 12);
    }

    #[test]
    fn retry_after_requeues_at_head_and_pauses_only_that_chat() {
        let mut f = flood();
        let a1 = f.enqueue(0, 1, ChatClass::Private, "a1").unwrap();
        f.enqueue(0, 1, ChatClass::Private, "a2").unwrap();
        f.enqueue(0, 2, ChatClass::Private, "b1").unwrap();
        f.enqueue(0, 2, ChatClass::Private, "b2").unwrap();
        let (id, item) = f.poll_ready(0).unwrap();
        assert_eq!((id, item), (a1, "a1"));
        let (b1, _) = f.poll_ready(0).unwrap();
        f.on_retry_after(100, a1, item, 3, RetryScope::Chat)
            .unwrap();
        f.on_sent(100, b1).unwrap();
        assert_eq!(f.queued_in(1), 2);
        assert_eq!(f.chat_paused_until(100, 1), Some(3_100));
        assert_eq!(f.stats(100).paused_chats, 1);
        // Chat 2 goes on at its own pace; chat 1 waits for exactly 3 s.
        assert_eq!(f.next_ready_at(), Some(1_000));
        assert_eq!(f.poll_ready(1_000).map(|(_, i)| i), Some("b2"));
        assert_eq!(f.next_ready_at(), Some(3_100));
        assert!(f.poll_ready(3_099).is_none());
        assert_eq!(f.poll_ready(3_100), Some((a1, "a1")));
        assert!(f.poll_ready(3_100).is_none(), "one in flight per chat");
        f.on_sent(3_100, a1).unwrap();
        assert_eq!(f.next_ready_at(), Some(4_100));
        assert_eq!(f.poll_ready(4_100).map(|(_, i)| i), Some("a2"));
    }

    #[test]
    fn retries_of_several_in_flight_keep_order() {
        let config = FloodConfig {
            per_chat: Budget::new(5, 1_000),
            max_in_flight_per_chat: 3,
            ..FloodConfig::default()
        };
        let mut f = FloodControl::new(config).unwrap();
        for i in 0..4 {
            f.enqueue(0, 1, ChatClass::Private, i).unwrap();
        }
        let out = drain(&mut f, 0);
        assert_eq!(out.len(), 3);
        // Answers arrive out of order.
        for (id, item) in out.into_iter().rev() {
            f.on_retry_after(10, id, item, 1, RetryScope::Chat).unwrap();
        }
        let items: Vec<i32> = drain(&mut f, 1_010).into_iter().map(|(_, i)| i).collect();
        assert_eq!(items, vec![0, 1, 2]);
    }

    #[test]
    fn global_pause_stops_everything() {
        let mut f = flood();
        f.enqueue(0, 1, ChatClass::Private, 1).unwrap();
        f.enqueue(0, 2, ChatClass::Private, 2).unwrap();
        let (id, item) = f.poll_ready(0).unwrap();
        f.on_retry_after(0, id, item, 5, RetryScope::Global)
            .unwrap();
        assert!(f.poll_ready(0).is_none());
        assert_eq!(f.stats(0).global_paused_until, Some(5_000));
        assert_eq!(f.next_ready_at(), Some(5_000));
        assert_eq!(drain(&mut f, 5_000).len(), 2);
        // A chat-scoped wait longer than the threshold escalates.
        let mut f = flood();
        f.enqueue(0, 1, ChatClass::Private, 1).unwrap();
        f.enqueue(0, 2, ChatClass::Private, 2).unwrap();
        let (id, item) = f.poll_ready(0).unwrap();
        f.on_retry_after(0, id, item, 61, RetryScope::Chat).unwrap();
        assert_eq!(f.next_ready_at(), Some(61_000));
        assert_eq!(f.stats(0).paused_chats, 0);
        // At the threshold itself it stays per chat.
        let mut f = flood();
        f.enqueue(0, 1, ChatClass::Private, 1).unwrap();
        f.enqueue(0, 2, ChatClass::Private, 2).unwrap();
        let (id, item) = f.poll_ready(0).unwrap();
        f.on_retry_after(0, id, item, 60, RetryScope::Chat).unwrap();
        assert_eq!(f.poll_ready(0).map(|(_, i)| i), Some(2));
    }

    #[test]
    fn queue_full_gives_the_item_back() {
        let config = FloodConfig {
            max_queued_per_chat: 2,
            max_queued_total: 3,
            ..FloodConfig::default()
        };
        let mut f = FloodControl::new(config).unwrap();
        f.enqueue(0, 1, ChatClass::Private, "a").unwrap();
        f.enqueue(0, 1, ChatClass::Private, "b").unwrap();
        match f.enqueue(0, 1, ChatClass::Private, "c") {
            Err(FloodError::QueueFull { chat, limit, item }) => {
                assert_eq!(
                    (chat, limit, item),
                    (ChatKey(1), QueueLimit::PerChat(2), "c")
                );
            }
            other => panic!("unexpected {other:?}"),
        }
        f.enqueue(0, 2, ChatClass::Private, "d").unwrap();
        let err = f.enqueue(0, 3, ChatClass::Private, "e").unwrap_err();
        assert!(matches!(
            err,
            FloodError::QueueFull {
                limit: QueueLimit::Total(3),
                ..
            }
        ));
        assert_eq!(err.into_item(), Some("e"));
        assert_eq!(f.stats(0).queued, 3);
        // Releasing makes room again.
        let (id, _) = f.poll_ready(0).unwrap();
        assert!(f.enqueue(0, 3, ChatClass::Private, "e").is_ok());
        f.on_sent(0, id).unwrap();
    }

    #[test]
    fn unknown_and_repeated_ids_are_errors() {
        let mut f = flood();
        assert_eq!(
            f.on_sent(0, SendId(9)),
            Err(FloodError::UnknownSend(SendId(9)))
        );
        assert_eq!(
            f.on_failed(0, SendId(9)),
            Err(FloodError::UnknownSend(SendId(9)))
        );
        assert_eq!(
            f.on_retry_after(0, SendId(9), "x", 1, RetryScope::Chat),
            Err(FloodError::UnknownRetry {
                id: SendId(9),
                item: "x"
            })
        );
        let queued = f.enqueue(0, 1, ChatClass::Private, "q").unwrap();
        let waiting = f.enqueue(0, 1, ChatClass::Private, "w").unwrap();
        // Queued but not released yet is not in flight either.
        assert!(f.on_sent(0, waiting).is_err());
        let (id, _) = f.poll_ready(0).unwrap();
        assert_eq!(id, queued);
        f.on_failed(1, id).unwrap();
        assert!(f.on_sent(1, id).is_err());
        assert!(f.on_retry_after(1, id, "q", 1, RetryScope::Chat).is_err());
        assert_eq!(f.stats(1).queued, 1);
    }

    #[test]
    fn invalid_configs_are_refused() {
        for config in [
            FloodConfig {
                per_chat: Budget::new(0, 1),
                ..FloodConfig::default()
            },
            FloodConfig {
                max_queued_total: 0,
                ..FloodConfig::default()
            },
            FloodConfig {
                max_in_flight_per_chat: 0,
                ..FloodConfig::default()
            },
        ] {
            assert!(matches!(
                FloodControl::<()>::new(config),
                Err(FloodError::InvalidConfig(_))
            ));
        }
    }

    #[test]
    fn idle_chats_are_forgotten_and_time_never_goes_back() {
        let mut f = flood();
        for chat in 0..100 {
            f.enqueue(0, chat, ChatClass::Group, ()).unwrap();
        }
        let mut now = 0;
        while let Some(at) = f.next_ready_at() {
            now = now.max(at);
            while let Some((id, ())) = f.poll_ready(now) {
                f.on_sent(now, id).unwrap();
            }
        }
        assert_eq!(
            f.stats(now).tracked_chats,
            100,
            "group windows still matter"
        );
        f.poll_ready(now + 60_000);
        assert_eq!(f.stats(now + 60_000).tracked_chats, 0);
        // An earlier `now` is read as the latest one seen.
        let id = f.enqueue(5, 1, ChatClass::Private, ()).unwrap();
        assert_eq!(f.poll_ready(0), Some((id, ())));
        f.on_sent(0, id).unwrap();
        assert_eq!(f.stats(0).tracked_chats, 1);
    }

    #[test]
    fn extreme_values_do_not_panic() {
        let config = FloodConfig {
            per_chat: Budget::new(u32::MAX, u64::MAX),
            per_group: Budget::new(1, u64::MAX),
            global: Budget::new(1, 0),
            ..FloodConfig::default()
        };
        let mut f = FloodControl::new(config).unwrap();
        f.enqueue(u64::MAX, i64::MIN, ChatClass::Group, ()).unwrap();
        f.enqueue(u64::MAX, i64::MIN, ChatClass::Group, ()).unwrap();
        let (id, ()) = f.poll_ready(u64::MAX).unwrap();
        f.on_retry_after(u64::MAX, id, (), u64::MAX, RetryScope::Chat)
            .unwrap();
        assert_eq!(f.next_ready_at(), Some(u64::MAX));
        let _ = f.poll_ready(u64::MAX);
        let _ = f.stats(u64::MAX);
    }

    /// A tiny deterministic generator for the property test.
    struct TestRng(crate::io::SeededRng);

    impl TestRng {
        fn next(&mut self) -> u64 {
            self.0.next_u64()
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n.max(1)
        }
    }

    struct Release {
        at: u64,
        chat: i64,
        group: bool,
    }

    /// Fewer than `max` earlier releases in `(t - window, t]` for every release at `t`.
    fn check_window(releases: &[&Release], budget: Budget) {
        for (i, r) in releases.iter().enumerate() {
            let earlier = releases[..i]
                .iter()
                .filter(|e| e.at + budget.window_ms > r.at)
                .count();
            assert!(
                earlier < budget.max as usize,
                "release at {} exceeds {budget:?}",
                r.at
            );
        }
    }

    #[test]
    fn random_sequences_respect_every_window_and_order() {
        let mut total_releases = 0;
        let mut total_retries = 0;
        for seed in 1..=40u64 {
            let mut rng = TestRng(crate::io::SeededRng::new(
                seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            ));
            let config = FloodConfig {
                per_chat: Budget::new(1 + rng.below(3) as u32, 1 + rng.below(2_000)),
                per_group: Budget::new(1 + rng.below(5) as u32, 1 + rng.below(10_000)),
                global: Budget::new(1 + rng.below(6) as u32, 1 + rng.below(1_500)),
                max_queued_per_chat: 1 + rng.below(20) as usize,
                max_queued_total: 1 + rng.below(60) as usize,
                max_in_flight_per_chat: 1,
                global_pause_above_secs: 4,
            };
            let mut f = FloodControl::new(config).unwrap();
            let class_of = |chat: i64| match chat % 3 {
                0 => ChatClass::Private,
                1 => ChatClass::Group,
                _ => ChatClass::Channel,
            };
            let mut now = 0u64;
            let mut releases: Vec<Release> = Vec::new();
            let mut in_flight: Vec<(SendId, (i64, u64))> = Vec::new();
            // Per chat: the sequence numbers enqueued, and the last one released.
            let mut next_seq: BTreeMap<i64, u64> = BTreeMap::new();
            let mut last_released: BTreeMap<i64, u64> = BTreeMap::new();
            let mut retried: BTreeMap<i64, u64> = BTreeMap::new();
            let mut pauses: Vec<(Option<i64>, u64)> = Vec::new();
            let mut delivered: BTreeMap<i64, Vec<u64>> = BTreeMap::new();
            for _ in 0..400 {
                match rng.below(10) {
                    0..=3 => {
                        let chat = rng.below(6) as i64;
                        let seq = *next_seq.get(&chat).unwrap_or(&0);
                        if f.enqueue(now, chat, class_of(chat), (chat, seq)).is_ok() {
                            next_seq.insert(chat, seq + 1);
                        }
                    }
                    4..=6 if !in_flight.is_empty() => {
                        let i = rng.below(in_flight.len() as u64) as usize;
                        let (id, (chat, seq)) = in_flight.swap_remove(i);
                        match rng.below(6) {
                            0 => {
                                let secs = rng.below(6);
                                let scope = if rng.below(4) == 0 {
                                    RetryScope::Global
                                } else {
                                    RetryScope::Chat
                                };
                                f.on_retry_after(now, id, (chat, seq), secs, scope).unwrap();
                                let global = scope == RetryScope::Global || secs > 4;
                                let who = (!global).then_some(chat);
                                pauses.push((who, now + secs * 1_000));
                                retried.insert(chat, seq);
                                total_retries += 1;
                            }
                            1 => {
                                // Failed: the item is dropped by the caller; order of the
                                // rest still holds.
                                f.on_failed(now, id).unwrap();
                                delivered.entry(chat).or_default().push(seq);
                            }
                            _ => {
                                f.on_sent(now, id).unwrap();
                                delivered.entry(chat).or_default().push(seq);
                            }
                        }
                    }
                    _ => {
                        // Either wait for the next deadline or jump ahead a little.
                        let before = now;
                        now = match (rng.below(2), f.next_ready_at()) {
                            (0, Some(at)) => now.max(at),
                            _ => now + rng.below(1_500),
                        };
                        if let Some(at) = f.next_ready_at() {
                            if at > before {
                                // Exactness: nothing leaves before the announced time.
                                let mut probe = f.clone();
                                assert!(probe.poll_ready(at - 1).is_none());
                                if at <= now {
                                    assert!(probe.poll_ready(at).is_some());
                                }
                            }
                        }
                        while let Some((id, (chat, seq))) = f.poll_ready(now) {
                            for &(who, until) in &pauses {
                                if who.is_none() || who == Some(chat) {
                                    assert!(now >= until, "released during a pause");
                                }
                            }
                            if let Some(again) = retried.remove(&chat) {
                                assert_eq!(seq, again, "a retried send goes first in {chat}");
                            } else if let Some(&last) = last_released.get(&chat) {
                                assert!(seq > last, "order broken in {chat}");
                            }
                            last_released.insert(chat, seq);
                            releases.push(Release {
                                at: now,
                                chat,
                                group: class_of(chat).is_group_like(),
                            });
                            in_flight.push((id, (chat, seq)));
                        }
                    }
                }
                let stats = f.stats(now);
                // A re-queued send may overflow the bound, but only by what was in flight
                // (one send per chat).
                assert!(stats.queued + in_flight.len() <= config.max_queued_total + 6);
                assert_eq!(stats.in_flight, in_flight.len());
            }
            total_releases += releases.len();
            let all: Vec<&Release> = releases.iter().collect();
            check_window(&all, config.global);
            for chat in 0..6 {
                let mine: Vec<&Release> = releases.iter().filter(|r| r.chat == chat).collect();
                check_window(&mine, config.per_chat);
                if class_of(chat).is_group_like() {
                    let groups: Vec<&Release> = mine.iter().copied().filter(|r| r.group).collect();
                    check_window(&groups, config.per_group);
                }
                let done = delivered.get(&chat).cloned().unwrap_or_default();
                let mut sorted = done.clone();
                sorted.sort_unstable();
                assert_eq!(done, sorted, "chat {chat} delivered out of order");
            }
        }
        // The sequences exercise the scheduler for real.
        assert!(total_releases > 2_000, "{total_releases} releases");
        assert!(total_retries > 100, "{total_retries} retries");
    }
}
