//! Conversations: per-chat, per-user, per-message ... state with idle timeouts, persisted in
//! a [`Storage`] (telepot's `DelegatorBot`, without threads).
//!
//! A [`Seeder`] maps an [`Event`] to a conversation key (a *seed*), or to nothing when the
//! event does not belong to any conversation of this kind. [`Conversations`] keeps the set of
//! live conversations and their idle deadlines:
//!
//! * [`on_event`](Conversations::on_event) finds or starts the conversation of an event,
//!   re-arms its idle deadline to `now + idle_timeout` and hands back its saved state in a
//!   [`Turn`];
//! * [`save`](Conversations::save) stores the bot's state for a conversation,
//!   [`end`](Conversations::end) ends it and deletes its state;
//! * [`poll_timeout`](Conversations::poll_timeout) tells the host when to call
//!   [`handle_timeout`](Conversations::handle_timeout), which closes idle conversations and
//!   queues them for [`poll_expired`](Conversations::poll_expired) (the bot's `on_close`).
//!
//! The state lives in the storage only (the manager keeps a key and a deadline per
//! conversation in memory), together with the conversation's deadline, so
//! [`Conversations::restore`] rebuilds everything after a restart.
//!
//! ```
//! use botwire_core::runtime::conversation::{ConversationConfig, Conversations, Seeder};
//! use botwire_core::runtime::model::{Chat, ChatType, Event, EventKind, Payload, Platform};
//! use botwire_core::runtime::storage::MemoryStorage;
//!
//! fn message(chat: &str, text: &str) -> Event {
//!     Event {
//!         platform: Platform::Telegram,
//!         id: "1".into(),
//!         seq: None,
//!         kind: EventKind::Message,
//!         platform_kind: "message".into(),
//!         chat: Some(Chat { key: chat.into(), chat_type: ChatType::Private, title: None }),
//!         from: None,
//!         message: None,
//!         content_type: Some("text".into()),
//!         text: Some(text.into()),
//!         data: None,
//!         query_id: None,
//!         payload: Payload::Json(Box::new(serde_json::Value::Null)),
//!     }
//! }
//!
//! // One counter per chat, forgotten after 60 s without messages.
//! let config = ConversationConfig::new(Seeder::per_chat(), 60_000);
//! let mut convs = Conversations::new(MemoryStorage::new(), config);
//!
//! for (now, text) in [(0, "hi"), (1_000, "again")] {
//!     let turn = convs.on_event(now, &message("telegram:42", text)).unwrap().unwrap();
//!     assert_eq!(turn.key, "chat:telegram:42");
//!     let count: u32 = turn.state_json().unwrap().unwrap_or(0);
//!     convs.save_json(now, &turn.key, &(count + 1)).unwrap();
//! }
//! // The second message re-armed the deadline.
//! assert_eq!(convs.poll_timeout(), Some(61_000));
//! convs.handle_timeout(60_999).unwrap();
//! assert!(convs.poll_expired().is_none());
//! convs.handle_timeout(61_000).unwrap();
//! let closed = convs.poll_expired().unwrap();
//! assert_eq!(closed.key, "chat:telegram:42");
//! assert_eq!(closed.state_json::<u32>().unwrap(), Some(2));
//! assert!(convs.is_empty());
//! ```

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap, VecDeque};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::model::{ChatType, Event, EventKind, MessageKey, Platform};
use super::storage::{Storage, StorageError};
use crate::io::Timestamp;
use crate::telegram::identifiers::{origin_identifier, MessageRef};
use crate::telegram::types::UpdateKind;

/// An allow list and a deny list of keys (chat keys or user keys), telepot's `_in` and
/// `_except` seeder variants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyFilter {
    /// When set, only these keys pass.
    pub only: Option<BTreeSet<String>>,
    /// These keys never pass.
    pub except: BTreeSet<String>,
}

impl KeyFilter {
    /// Every key passes.
    pub fn any() -> Self {
        Self::default()
    }

    /// Only `keys` pass.
    pub fn only<I, K>(keys: I) -> Self
    where
        I: IntoIterator<Item = K>,
        K: Into<String>,
    {
        KeyFilter {
            only: Some(keys.into_iter().map(Into::into).collect()),
            except: BTreeSet::new(),
        }
    }

    /// Every key but `keys` passes.
    pub fn except<I, K>(keys: I) -> Self
    where
        I: IntoIterator<Item = K>,
        K: Into<String>,
    {
        KeyFilter {
            only: None,
            except: keys.into_iter().map(Into::into).collect(),
        }
    }

    /// Whether `key` passes.
    pub fn allows(&self, key: &str) -> bool {
        self.only.as_ref().map_or(true, |only| only.contains(key)) && !self.except.contains(key)
    }
}

/// Maps an event to the key of the conversation it belongs to (telepot's seeders).
///
/// Seeds are stable strings, safe to store: `"chat:<chat key>"`, `"user:<user key>"`,
/// `"app"`, `"message:<chat key>/<message id>"`, `"inline_message:<platform>:<inline id>"`,
/// `"invoice:<platform>:<invoice payload>"`. A seeder never fails: an event that lacks what
/// it needs has no seed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Seeder {
    /// One conversation per chat (`per_chat_id`, `per_chat_id_in`, `per_chat_id_except`):
    /// every event that carries a chat, seed `"chat:<chat key>"`.
    ///
    /// Unlike telepot, a button press under a chat message and member events count as events
    /// of their chat (telepot's `include_callback_query=True`, except that a press may also
    /// start a conversation).
    PerChat {
        /// Only chats of these types (`None`: all types).
        types: Option<Vec<ChatType>>,
        /// Only / except these chat keys.
        chats: KeyFilter,
    },
    /// One conversation per sender (`per_from_id`, `_in`, `_except`): seed
    /// `"user:<user key>"`. Events without a sender (channel posts) have none.
    PerFrom {
        /// Only events of these kinds (`None`: every event with a sender; telepot's default
        /// left out button presses, this one does not).
        kinds: Option<Vec<EventKind>>,
        /// Only / except these user keys.
        users: KeyFilter,
    },
    /// One conversation per sender of inline queries and chosen inline results only
    /// (`per_inline_from_id`, `_in`, `_except`): seed `"user:<user key>"`.
    PerInlineFrom {
        /// Only / except these user keys.
        users: KeyFilter,
    },
    /// One conversation for the whole bot (`per_application`): seed `"app"` for every event.
    PerApplication,
    /// One conversation per message (`per_message`): the seed is the key of the event's
    /// message ([`Event::message`], see [`message_seed`]). A new message starts its own
    /// conversation; its edits, and presses of buttons under it, map back to it. Replies are
    /// new messages and start their own.
    PerMessage {
        /// Only events of these kinds (`None`: every event that names a message).
        kinds: Option<Vec<EventKind>>,
    },
    /// One conversation per message carrying a keyboard (`per_callback_query_origin`): button
    /// presses are grouped by the message the button was under (a chat message or an inline
    /// one). The seed is [`message_seed`] of that message, so the bot can
    /// [`save`](Conversations::save) state for a keyboard it just sent, before any press.
    PerCallbackQueryOrigin {
        /// Accept presses under chat messages.
        chat: bool,
        /// Accept presses under inline messages.
        inline: bool,
    },
    /// One conversation per invoice (`per_invoice_payload`): Telegram shipping queries,
    /// pre-checkout queries and `successful_payment` messages, seed
    /// `"invoice:<platform>:<invoice payload>"`. Needs the Telegram payload
    /// ([`Event::telegram`]).
    PerInvoicePayload,
    /// The first seed any of these seeders gives (telepot's `chain`).
    FirstOf(Vec<Seeder>),
}

impl Seeder {
    /// One conversation per chat, any chat.
    pub fn per_chat() -> Self {
        Seeder::PerChat {
            types: None,
            chats: KeyFilter::any(),
        }
    }

    /// One conversation per chat, only for the chats `keys`.
    pub fn per_chat_in<I, K>(keys: I) -> Self
    where
        I: IntoIterator<Item = K>,
        K: Into<String>,
    {
        Seeder::PerChat {
            types: None,
            chats: KeyFilter::only(keys),
        }
    }

    /// One conversation per chat, for every chat but `keys`.
    pub fn per_chat_except<I, K>(keys: I) -> Self
    where
        I: IntoIterator<Item = K>,
        K: Into<String>,
    {
        Seeder::PerChat {
            types: None,
            chats: KeyFilter::except(keys),
        }
    }

    /// Restricts a [`PerChat`](Seeder::PerChat) seeder to chats of `types`; any other
    /// seeder is returned unchanged.
    pub fn with_chat_types(self, types: impl IntoIterator<Item = ChatType>) -> Self {
        match self {
            Seeder::PerChat { chats, .. } => Seeder::PerChat {
                types: Some(types.into_iter().collect()),
                chats,
            },
            other => other,
        }
    }

    /// One conversation per sender, for every event with a sender.
    pub fn per_from() -> Self {
        Seeder::PerFrom {
            kinds: None,
            users: KeyFilter::any(),
        }
    }

    /// One conversation per sender of inline queries and chosen inline results.
    pub fn per_inline_from() -> Self {
        Seeder::PerInlineFrom {
            users: KeyFilter::any(),
        }
    }

    /// One conversation for the whole bot.
    pub fn per_application() -> Self {
        Seeder::PerApplication
    }

    /// One conversation per message.
    pub fn per_message() -> Self {
        Seeder::PerMessage { kinds: None }
    }

    /// One conversation per message carrying pressed buttons, chat and inline messages.
    pub fn per_callback_query_origin() -> Self {
        Seeder::PerCallbackQueryOrigin {
            chat: true,
            inline: true,
        }
    }

    /// One conversation per invoice payload.
    pub fn per_invoice_payload() -> Self {
        Seeder::PerInvoicePayload
    }

    /// The conversation key of `event`, `None` when the event belongs to no conversation of
    /// this kind.
    pub fn seed(&self, event: &Event) -> Option<String> {
        match self {
            Seeder::PerChat { types, chats } => {
                let chat = event.chat.as_ref()?;
                let type_ok = types.as_ref().map_or(true, |t| t.contains(&chat.chat_type));
                (type_ok && chats.allows(&chat.key)).then(|| format!("chat:{}", chat.key))
            }
            Seeder::PerFrom { kinds, users } => {
                if !kinds.as_ref().map_or(true, |k| k.contains(&event.kind)) {
                    return None;
                }
                let user = event.user_key()?;
                users.allows(user).then(|| format!("user:{user}"))
            }
            Seeder::PerInlineFrom { users } => {
                if !matches!(
                    event.kind,
                    EventKind::InlineQuery | EventKind::ChosenInlineResult
                ) {
                    return None;
                }
                let user = event.user_key()?;
                users.allows(user).then(|| format!("user:{user}"))
            }
            Seeder::PerApplication => Some("app".to_owned()),
            Seeder::PerMessage { kinds } => {
                if !kinds.as_ref().map_or(true, |k| k.contains(&event.kind)) {
                    return None;
                }
                event.message.as_ref().map(message_seed)
            }
            Seeder::PerCallbackQueryOrigin { chat, inline } => {
                let origin = callback_origin(event)?;
                let allowed = match origin {
                    MessageKey::InChat { .. } => *chat,
                    MessageKey::Inline { .. } => *inline,
                };
                allowed.then(|| message_seed(&origin))
            }
            Seeder::PerInvoicePayload => {
                let update = event.telegram()?;
                let payload = match &update.kind {
                    UpdateKind::ShippingQuery(q) => &q.invoice_payload,
                    UpdateKind::PreCheckoutQuery(q) => &q.invoice_payload,
                    _ => {
                        &update
                            .message()?
                            .successful_payment
                            .as_ref()?
                            .invoice_payload
                    }
                };
                Some(format!("invoice:{}:{payload}", event.platform))
            }
            Seeder::FirstOf(seeders) => seeders.iter().find_map(|s| s.seed(event)),
        }
    }
}

/// The seed of a message: `"message:<chat key>/<message id>"` for a chat message,
/// `"inline_message:<platform>:<inline message id>"` for an inline one. Used by
/// [`Seeder::PerMessage`] and [`Seeder::PerCallbackQueryOrigin`].
///
/// ```
/// use botwire_core::runtime::conversation::message_seed;
/// use botwire_core::runtime::model::MessageKey;
/// assert_eq!(message_seed(&MessageKey::in_chat("telegram:42", 7)), "message:telegram:42/7");
/// ```
pub fn message_seed(message: &MessageKey) -> String {
    match message {
        MessageKey::InChat { chat, id } => format!("message:{chat}/{id}"),
        MessageKey::Inline {
            platform,
            inline_id,
        } => format!("inline_message:{platform}:{inline_id}"),
    }
}

/// The message whose button was pressed: [`Event::message`] of a button press, else the
/// origin of the Telegram callback query in the payload.
fn callback_origin(event: &Event) -> Option<MessageKey> {
    let query = match event.telegram().map(|u| &u.kind) {
        Some(UpdateKind::CallbackQuery(q)) => Some(q),
        _ => None,
    };
    if event.kind != EventKind::ButtonPress && query.is_none() {
        return None;
    }
    if let Some(m) = &event.message {
        return Some(m.clone());
    }
    match origin_identifier(query?).ok()? {
        MessageRef::Chat {
            chat_id,
            message_id,
        } => Some(MessageKey::in_chat(
            Platform::Telegram.key(chat_id),
            message_id,
        )),
        MessageRef::Inline { inline_message_id } => Some(MessageKey::Inline {
            platform: Platform::Telegram,
            inline_id: inline_message_id,
        }),
    }
}

/// Configuration of a [`Conversations`] manager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationConfig {
    /// Maps events to conversation keys.
    pub seeder: Seeder,
    /// Milliseconds without events after which a conversation is closed (`None`: never).
    pub idle_timeout: Option<Timestamp>,
    /// Prefix of this manager's storage keys (default `"conv/"`). Managers sharing a storage
    /// need namespaces none of which is a prefix of another.
    pub namespace: String,
}

impl ConversationConfig {
    /// Conversations seeded by `seeder`, closed after `idle_timeout_ms` without events, in
    /// the namespace `"conv/"`.
    pub fn new(seeder: Seeder, idle_timeout_ms: Timestamp) -> Self {
        ConversationConfig {
            seeder,
            idle_timeout: Some(idle_timeout_ms),
            namespace: "conv/".to_owned(),
        }
    }

    /// Conversations never close by themselves.
    pub fn without_idle_timeout(mut self) -> Self {
        self.idle_timeout = None;
        self
    }

    /// Sets the storage namespace.
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }
}

/// An event's conversation, handed out by [`Conversations::on_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    /// The conversation key (the seed); pass it to [`Conversations::save`] and
    /// [`Conversations::end`].
    pub key: String,
    /// The state saved last, `None` when the conversation is new or nothing was saved yet.
    pub state: Option<Vec<u8>>,
    /// Whether this event started the conversation.
    pub new: bool,
    /// When the conversation closes if nothing else happens (`None`: never).
    pub deadline: Option<Timestamp>,
}

impl Turn {
    /// The state decoded from JSON (as [`Conversations::save_json`] stored it).
    ///
    /// # Errors
    /// [`StorageError::Codec`] when the state is not valid JSON for `T`.
    pub fn state_json<T: DeserializeOwned>(&self) -> Result<Option<T>, StorageError> {
        self.state.as_deref().map(from_json).transpose()
    }
}

/// A conversation closed by its idle timeout, handed out by
/// [`Conversations::poll_expired`]. Its state is no longer stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expired {
    /// The conversation key.
    pub key: String,
    /// Its last saved state.
    pub state: Option<Vec<u8>>,
    /// The deadline that passed.
    pub deadline: Timestamp,
}

impl Expired {
    /// The state decoded from JSON.
    ///
    /// # Errors
    /// [`StorageError::Codec`] when the state is not valid JSON for `T`.
    pub fn state_json<T: DeserializeOwned>(&self) -> Result<Option<T>, StorageError> {
        self.state.as_deref().map(from_json).transpose()
    }
}

fn from_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, StorageError> {
    crate::json_bytes::from_bytes(bytes).map_err(|e| StorageError::Codec(e.to_string()))
}

/// The deadline of a conversation without idle timeout.
const NO_DEADLINE: Timestamp = Timestamp::MAX;

/// Stored record: a tag byte, the deadline (u64 little endian), then the state.
const HEADER: usize = 9;
/// Tag of a record without state.
const TAG_EMPTY: u8 = 0;
/// Tag of a record with state.
const TAG_STATE: u8 = 1;

fn encode_record(deadline: Timestamp, state: Option<&[u8]>) -> Vec<u8> {
    let mut rec = Vec::with_capacity(HEADER + state.map_or(0, <[u8]>::len));
    rec.push(if state.is_some() {
        TAG_STATE
    } else {
        TAG_EMPTY
    });
    rec.extend_from_slice(&deadline.to_le_bytes());
    rec.extend_from_slice(state.unwrap_or_default());
    rec
}

/// The deadline and whether a state follows the header.
fn decode_header(storage_key: &str, rec: &[u8]) -> Result<(Timestamp, bool), StorageError> {
    let corrupt = |reason: &str| StorageError::Corrupt {
        key: storage_key.to_owned(),
        reason: reason.to_owned(),
    };
    if rec.len() < HEADER {
        return Err(corrupt("shorter than the record header"));
    }
    let mut deadline = [0u8; 8];
    deadline.copy_from_slice(&rec[1..HEADER]);
    let deadline = Timestamp::from_le_bytes(deadline);
    match rec[0] {
        TAG_EMPTY if rec.len() == HEADER => Ok((deadline, false)),
        TAG_EMPTY => Err(corrupt("bytes after a record without state")),
        TAG_STATE => Ok((deadline, true)),
        _ => Err(corrupt("unknown record tag")),
    }
}

/// The state of a stored record.
fn decode_state(storage_key: &str, mut rec: Vec<u8>) -> Result<Option<Vec<u8>>, StorageError> {
    let (_, has_state) = decode_header(storage_key, &rec)?;
    Ok(has_state.then(|| {
        rec.drain(..HEADER);
        rec
    }))
}

/// The live conversations of one seeder, their idle deadlines and their stored state.
///
/// Memory: per live conversation the manager keeps its key once (shared by the lookup table
/// and the timer queue) and a deadline; the state stays in the storage. Re-arming a deadline
/// leaves the old timer entry in the queue, where it is recognized as stale (its deadline is
/// not the conversation's) and dropped; the queue is rebuilt when stale entries reach half
/// the live ones, and the tables shrink when most conversations have closed.
///
/// Storage: each conversation is one record under `namespace + key`: a tag byte, the deadline
/// and the state. Every event rewrites it (the deadline moves). For deadlines to make sense
/// after a restart, `now` must come from a clock that survives restarts (Unix milliseconds,
/// say), not a per-process monotonic clock.
///
/// Errors: when the storage fails, the call returns the error and changes nothing, in memory
/// or (as far as the storage keeps its per-key atomicity) in storage.
#[derive(Debug)]
pub struct Conversations<S: Storage> {
    storage: S,
    config: ConversationConfig,
    /// Live conversations: key → deadline ([`NO_DEADLINE`] without idle timeout).
    live: HashMap<Arc<str>, Timestamp>,
    /// Timer entries, earliest first; possibly stale.
    timers: BinaryHeap<Reverse<(Timestamp, Arc<str>)>>,
    /// Expired conversations not yet handed out.
    expired: VecDeque<Expired>,
}

impl<S: Storage> Conversations<S> {
    /// A manager with no live conversation. Records a previous run left in the namespace
    /// are not read (use [`restore`](Self::restore) for that); a conversation started again
    /// overwrites its old record.
    pub fn new(storage: S, config: ConversationConfig) -> Self {
        Conversations {
            storage,
            config,
            live: HashMap::new(),
            timers: BinaryHeap::new(),
            expired: VecDeque::new(),
        }
    }

    /// A manager with the conversations stored in the namespace of `config` (by an earlier
    /// manager, before a restart), their state and their deadlines. A deadline later than
    /// `now + idle_timeout` is brought back to that (a clock that moved back must not keep
    /// a conversation forever). Conversations whose deadline passed while the bot was down
    /// expire at the first [`handle_timeout`](Self::handle_timeout).
    ///
    /// # Errors
    /// [`StorageError`] when the storage fails or a record is corrupt.
    pub fn restore(
        now: Timestamp,
        mut storage: S,
        config: ConversationConfig,
    ) -> Result<Self, StorageError> {
        let keys = storage.keys_with_prefix(&config.namespace)?;
        let latest = deadline_after(now, config.idle_timeout);
        let mut live = HashMap::with_capacity(keys.len());
        let mut timers = Vec::with_capacity(keys.len());
        for storage_key in keys {
            let Some(key) = storage_key.strip_prefix(config.namespace.as_str()) else {
                continue;
            };
            // A record deleted between the listing and now is simply gone.
            let Some(rec) = storage.get(&storage_key)? else {
                continue;
            };
            let (deadline, _) = decode_header(&storage_key, &rec)?;
            let deadline = deadline.min(latest);
            let key: Arc<str> = Arc::from(key);
            if deadline != NO_DEADLINE {
                timers.push(Reverse((deadline, key.clone())));
            }
            live.insert(key, deadline);
        }
        Ok(Conversations {
            storage,
            config,
            live,
            timers: BinaryHeap::from(timers),
            expired: VecDeque::new(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ConversationConfig {
        &self.config
    }

    /// The storage.
    pub fn storage(&self) -> &S {
        &self.storage
    }

    /// The storage, mutably (changing this manager's records behind its back is allowed but
    /// not noticed until the conversation's next event).
    pub fn storage_mut(&mut self) -> &mut S {
        &mut self.storage
    }

    /// Gives the storage back, dropping the manager.
    pub fn into_storage(self) -> S {
        self.storage
    }

    /// The conversation key of `event` under this manager's seeder.
    pub fn seed(&self, event: &Event) -> Option<String> {
        self.config.seeder.seed(event)
    }

    /// The number of live conversations.
    pub fn len(&self) -> usize {
        self.live.len()
    }

    /// Whether no conversation is live.
    pub fn is_empty(&self) -> bool {
        self.live.is_empty()
    }

    /// Whether the conversation `key` is live.
    pub fn is_live(&self, key: &str) -> bool {
        self.live.contains_key(key)
    }

    /// The idle deadline of the live conversation `key` (`None` when it is not live or has
    /// no idle timeout).
    pub fn deadline(&self, key: &str) -> Option<Timestamp> {
        self.live.get(key).copied().filter(|&d| d != NO_DEADLINE)
    }

    /// The keys of the live conversations, in no particular order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.live.keys().map(|k| &**k)
    }

    /// Routes an event: `None` when the seeder gives it no conversation, else the
    /// conversation's [`Turn`] (see [`on_key`](Self::on_key)).
    ///
    /// # Errors
    /// [`StorageError`] when the storage fails or the record is corrupt; nothing changes.
    pub fn on_event(
        &mut self,
        now: Timestamp,
        event: &Event,
    ) -> Result<Option<Turn>, StorageError> {
        match self.seed(event) {
            Some(key) => self.on_key(now, &key).map(Some),
            None => Ok(None),
        }
    }

    /// An event for the conversation `key` (a seed computed by the host, for custom
    /// seeders): starts the conversation if it is not live, re-arms its deadline to
    /// `now + idle_timeout` and loads its state.
    ///
    /// # Errors
    /// [`StorageError`] when the storage fails or the record is corrupt; nothing changes
    /// ([`end`](Self::end) discards a corrupt record).
    pub fn on_key(&mut self, now: Timestamp, key: &str) -> Result<Turn, StorageError> {
        let deadline = deadline_after(now, self.config.idle_timeout);
        let storage_key = self.storage_key(key);
        let existing = if self.live.contains_key(key) {
            self.storage.get(&storage_key)?
        } else {
            None
        };
        let (state, new) = match existing {
            Some(mut rec) => {
                let (_, has_state) = decode_header(&storage_key, &rec)?;
                rec[1..HEADER].copy_from_slice(&deadline.to_le_bytes());
                self.storage.put(&storage_key, &rec)?;
                rec.drain(..HEADER);
                (has_state.then_some(rec), false)
            }
            // Not live, or its record vanished from the storage: a new conversation.
            None => {
                self.storage
                    .put(&storage_key, &encode_record(deadline, None))?;
                (None, true)
            }
        };
        self.arm(key, deadline);
        Ok(Turn {
            key: key.to_owned(),
            state,
            new,
            deadline: (deadline != NO_DEADLINE).then_some(deadline),
        })
    }

    /// The stored state of the conversation `key`, without re-arming its deadline.
    ///
    /// # Errors
    /// [`StorageError`] when the storage fails or the record is corrupt.
    pub fn load(&mut self, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let storage_key = self.storage_key(key);
        match self.storage.get(&storage_key)? {
            Some(rec) => decode_state(&storage_key, rec),
            None => Ok(None),
        }
    }

    /// The stored state of `key` decoded from JSON.
    ///
    /// # Errors
    /// As [`load`](Self::load), and [`StorageError::Codec`] when it is not JSON for `T`.
    pub fn load_json<T: DeserializeOwned>(&mut self, key: &str) -> Result<Option<T>, StorageError> {
        self.load(key)?.as_deref().map(from_json).transpose()
    }

    /// Stores `state` for the conversation `key` and re-arms its deadline to
    /// `now + idle_timeout`. A conversation that is not live (it ended or expired meanwhile,
    /// or the bot starts one itself) is started.
    ///
    /// # Errors
    /// [`StorageError`] when the storage fails; the previous state is kept.
    pub fn save(&mut self, now: Timestamp, key: &str, state: &[u8]) -> Result<(), StorageError> {
        let deadline = deadline_after(now, self.config.idle_timeout);
        let storage_key = self.storage_key(key);
        self.storage
            .put(&storage_key, &encode_record(deadline, Some(state)))?;
        self.arm(key, deadline);
        Ok(())
    }

    /// Stores `state` as JSON (see [`save`](Self::save)).
    ///
    /// # Errors
    /// [`StorageError::Codec`] when `state` cannot be serialized, else as [`save`](Self::save).
    pub fn save_json<T: Serialize + ?Sized>(
        &mut self,
        now: Timestamp,
        key: &str,
        state: &T,
    ) -> Result<(), StorageError> {
        let bytes = serde_json::to_vec(state).map_err(|e| StorageError::Codec(e.to_string()))?;
        self.save(now, key, &bytes)
    }

    /// Ends the conversation `key` and deletes its state. Returns whether it was live. No
    /// [`Expired`] is queued for it.
    ///
    /// # Errors
    /// [`StorageError`] when the storage fails; the conversation stays live.
    pub fn end(&mut self, key: &str) -> Result<bool, StorageError> {
        self.storage.delete(&self.storage_key(key))?;
        let was_live = self.live.remove(key).is_some();
        self.prune();
        self.shrink_if_sparse();
        Ok(was_live)
    }

    /// When [`handle_timeout`](Self::handle_timeout) should be called next: the earliest
    /// idle deadline (possibly in the past), `None` when no conversation can expire.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.timers.peek().map(|Reverse((d, _))| *d)
    }

    /// Closes every conversation whose deadline is `<= now`: its state is loaded and
    /// deleted from the storage and queued for [`poll_expired`](Self::poll_expired).
    /// Returns how many were closed. A spurious call is a no-op.
    ///
    /// # Errors
    /// [`StorageError`] when the storage fails; the conversation at hand stays live (and
    /// due), those closed before it stay queued.
    pub fn handle_timeout(&mut self, now: Timestamp) -> Result<usize, StorageError> {
        let mut closed = 0;
        while let Some(Reverse((deadline, _))) = self.timers.peek() {
            if *deadline > now {
                break;
            }
            let Some(Reverse((deadline, key))) = self.timers.pop() else {
                break;
            };
            if self.live.get(&key) != Some(&deadline) {
                continue; // stale: re-armed or ended since
            }
            let storage_key = self.storage_key(&key);
            let state = match self.take_record(&storage_key) {
                Ok(state) => state,
                Err(e) => {
                    self.timers.push(Reverse((deadline, key)));
                    return Err(e);
                }
            };
            self.live.remove(&key);
            self.expired.push_back(Expired {
                key: key.to_string(),
                state,
                deadline,
            });
            closed += 1;
        }
        self.prune();
        if closed > 0 {
            self.shrink_if_sparse();
        }
        Ok(closed)
    }

    /// The next conversation closed by its idle timeout, for the bot's close handler.
    pub fn poll_expired(&mut self) -> Option<Expired> {
        self.expired.pop_front()
    }

    fn storage_key(&self, key: &str) -> String {
        let mut s = String::with_capacity(self.config.namespace.len() + key.len());
        s.push_str(&self.config.namespace);
        s.push_str(key);
        s
    }

    /// Reads and deletes a record (nothing is deleted when reading fails).
    fn take_record(&mut self, storage_key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let state = match self.storage.get(storage_key)? {
            Some(rec) => decode_state(storage_key, rec)?,
            None => None,
        };
        self.storage.delete(storage_key)?;
        Ok(state)
    }

    /// Records `deadline` for `key` (making it live) and queues a timer entry for it.
    fn arm(&mut self, key: &str, deadline: Timestamp) {
        let key: Arc<str> = match self.live.get_key_value(key) {
            Some((k, _)) => k.clone(),
            None => Arc::from(key),
        };
        let old = self.live.insert(key.clone(), deadline);
        if deadline != NO_DEADLINE && old != Some(deadline) {
            self.timers.push(Reverse((deadline, key)));
            if self.timers.len() > self.live.len() + self.live.len() / 2 + 64 {
                self.rebuild_timers();
            }
        }
        self.prune();
    }

    /// Rebuilds the timer queue from the live conversations, without stale entries or
    /// capacity slack.
    fn rebuild_timers(&mut self) {
        let mut timers = Vec::with_capacity(self.live.len());
        timers.extend(
            self.live
                .iter()
                .filter(|(_, &d)| d != NO_DEADLINE)
                .map(|(k, &d)| Reverse((d, k.clone()))),
        );
        timers.shrink_to_fit();
        self.timers = BinaryHeap::from(timers);
    }

    /// Gives memory back after many conversations closed.
    fn shrink_if_sparse(&mut self) {
        if self.live.capacity() > 4 * self.live.len() + 1024 {
            self.live.shrink_to_fit();
        }
        if self.timers.capacity() > 4 * self.timers.len() + 1024 {
            self.timers.shrink_to_fit();
        }
    }

    /// Drops stale entries from the top of the timer queue, so that
    /// [`poll_timeout`](Self::poll_timeout) is exact.
    fn prune(&mut self) {
        while let Some(Reverse((deadline, key))) = self.timers.peek() {
            if self.live.get(key) == Some(deadline) {
                break;
            }
            self.timers.pop();
        }
    }
}

fn deadline_after(now: Timestamp, idle_timeout: Option<Timestamp>) -> Timestamp {
    // A deadline that saturates at the sentinel would never fire; one below it is
    // indistinguishable in practice.
    idle_timeout.map_or(NO_DEADLINE, |t| now.saturating_add(t).min(NO_DEADLINE - 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::storage::MemoryStorage;

    #[test]
    fn records_round_trip() {
        let rec = encode_record(42, Some(b"abc"));
        assert_eq!(decode_header("k", &rec).unwrap(), (42, true));
        assert_eq!(decode_state("k", rec).unwrap().unwrap(), b"abc");
        let rec = encode_record(7, None);
        assert_eq!(rec.len(), HEADER);
        assert_eq!(decode_state("k", rec).unwrap(), None);
        let rec = encode_record(7, Some(b""));
        assert_eq!(decode_state("k", rec).unwrap().unwrap(), b"");
        assert!(matches!(
            decode_header("k", &[1, 2, 3]),
            Err(StorageError::Corrupt { .. })
        ));
        assert!(decode_header("k", &[9; HEADER]).is_err());
        assert!(decode_header("k", &[TAG_EMPTY; HEADER + 1]).is_err());
    }

    #[test]
    fn stale_timer_entries_are_compacted() {
        let config = ConversationConfig::new(Seeder::per_application(), 10);
        let mut c = Conversations::new(MemoryStorage::new(), config);
        c.on_key(0, "a").unwrap();
        // "a" stays at the top of the queue, so "b"'s stale entries pile up below it.
        for now in 0..10_000 {
            c.on_key(now, "b").unwrap();
        }
        assert!(
            c.timers.len() <= c.live.len() * 3 / 2 + 65,
            "{}",
            c.timers.len()
        );
        assert_eq!(c.poll_timeout(), Some(10));
        assert_eq!(c.handle_timeout(10_009).unwrap(), 2);
        assert!(c.timers.is_empty());
    }

    #[test]
    fn tables_shrink_after_mass_expiry() {
        let config = ConversationConfig::new(Seeder::per_chat(), 10);
        let mut c = Conversations::new(MemoryStorage::new(), config);
        for i in 0..5000 {
            c.on_key(i, &format!("k{i}")).unwrap();
        }
        let big = c.live.capacity();
        assert!(big >= 5000);
        assert_eq!(c.handle_timeout(4990).unwrap(), 4981);
        assert_eq!(c.len(), 19);
        assert!(c.live.capacity() < big / 4, "{}", c.live.capacity());
        assert!(
            c.timers.capacity() <= 1024 + 4 * 19,
            "{}",
            c.timers.capacity()
        );
        assert_eq!(c.poll_timeout(), Some(4991));
    }

    #[test]
    fn deadline_saturates_below_the_sentinel() {
        assert_eq!(deadline_after(Timestamp::MAX - 1, Some(5)), NO_DEADLINE - 1);
        assert_eq!(deadline_after(3, None), NO_DEADLINE);
    }
}
