//! The router: picks the handler of an [`Event`] from a list of routes.
//!
//! A [`Router<H>`] is generic over the handler payload `H`: Rust programs store closures in it,
//! the bindings store integer handler ids. It never calls anything itself; [`Router::route`]
//! returns a [`Match`] naming the handler, the hooks to run around it and the data extracted
//! from the event (command arguments, regex captures, the rest of a callback data prefix). The
//! host runs them.
//!
//! # Order
//!
//! - Routes are tried in registration order and the **first match wins**. A nested router
//!   ([`Router::nest`]) is tried at the position where it was attached: when its filter
//!   accepts the event, its own routes are tried in their order, and if one matches, the
//!   search ends there.
//! - The **catch-all** ([`Router::catch_all`]) is a fallback, not a positional route: it is
//!   tried after every other entry of its router, wherever it was registered. A nested
//!   router's catch-all therefore claims every event its filter accepts that none of its
//!   routes matched (the parent's later routes are not tried). Registering a second catch-all
//!   replaces the first. For a positional always-matching route use
//!   `router.route_when(Filter::always(), h)`.
//! - **Hooks** ([`Router::before`], [`Router::after`]) of every router on the way to the
//!   matched route are returned with the match: [`Match::before`] lists the outermost router's
//!   hooks first, then the next router's, down to the router owning the route;
//!   [`Match::after`] lists the innermost router's hooks first, out to the root. Within one
//!   router, hooks keep their registration order in both lists. Hooks come only with a
//!   match: an event nothing matched has no hooks to run.
//!
//! # Conditions
//!
//! A [`Route`] is a matcher (command, regex, callback data, or nothing) plus an optional
//! [`Filter`]; filters are plain predicates on the event (kinds, flavor, content type, chat
//! type, user and chat allow-lists, platform, text, custom closures) combined with
//! [`Filter::and`], [`Filter::or`] and [`Filter::not`] (or `&`, `|`, `!`).
//!
//! The **flavor** of an event is telepot's: see [`flavor_name`].
//!
//! # Commands
//!
//! Command routes look at [`Event::text`] (Telegram puts captions there too) of events whose
//! flavor is `chat` (messages, edits, channel posts; add `.when(Filter::kind(EventKind::Message))`
//! to leave edits out). The text is read like this, with the options of the router owning the
//! route (a nested router inherits every option it does not set itself):
//!
//! 1. It must start with one of the **prefixes** ([`Router::with_prefixes`], default `["/"]`);
//!    the first prefix of the list that the text starts with is taken, so list longer
//!    prefixes before their own prefixes.
//! 2. The **command word** runs from there to the first whitespace. If it contains `@`, what
//!    follows the first `@` is a bot username. When the router knows its bot's username
//!    ([`Router::with_bot_username`]), a different username (compared case-insensitively)
//!    means the command is **addressed to another bot**: no command route matches it, though
//!    other routes (a regex, the catch-all) still may, and [`Match::addressed_elsewhere`] tells
//!    the handler. When the router does not know its username, any username is accepted.
//! 3. The **name** is the word (without the username) up to the first separator. It is
//!    compared with the route's names exactly, or ignoring case with
//!    [`Router::with_ignore_case`].
//! 4. The **arguments** ([`CommandMatch`]): with the default [`ArgSeparator::Whitespace`],
//!    `rest` is the text after the command word with leading whitespace removed and `args` is
//!    `rest` split on whitespace (no empty pieces). With [`ArgSeparator::Text`] (say `"_"`, for
//!    `/cmd_arg`), `rest` is what follows the first separator after the name (the part of the
//!    word after it, then the remaining text; or, for a separator such as `" "` that starts
//!    the remaining text, what follows it), or, when no separator follows the name, the text
//!    after the word with leading whitespace removed; `args` is `rest` split on the
//!    separator like Python's `str.split(sep)` (empty pieces kept), and is empty when `rest`
//!    is empty and no separator followed the name.
//!
//! # Cost
//!
//! Routing an event that matches nothing does not allocate (custom filters aside; a regex
//! route keeps the scratch space of its first search for the next ones), and nothing is
//! compiled or lowercased at routing time: regexes are compiled and command names lowercased
//! when routes are added. Only a match allocates, for its hook lists and the extracted
//! strings. Commands, filters and callback data cost a few comparisons; a regex route costs a
//! search of the text (`regex_lite` has no literal prefilter, so an unanchored pattern scans
//! the whole text), which makes regex routes the expensive ones: anchor them with `^` when
//! you can, and put cheaper routes first.
//!
//! # Example
//!
//! ```
//! use botwire_core::runtime::model::{Chat, ChatType, Event, EventKind, Payload, Platform};
//! use botwire_core::runtime::router::{Extracted, Router};
//!
//! // A text message in a private chat, as the Telegram adapter would build it.
//! fn message(text: &str) -> Event {
//!     Event {
//!         platform: Platform::Telegram,
//!         id: "1".into(),
//!         seq: Some(1),
//!         kind: EventKind::Message,
//!         platform_kind: "message".into(),
//!         chat: Some(Chat { key: "telegram:42".into(), chat_type: ChatType::Private, title: None }),
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
//! #[derive(Debug, PartialEq)]
//! enum Handler { Start, Echo, Other }
//!
//! let mut router = Router::new().with_bot_username("my_bot");
//! router.command("start", Handler::Start);
//! router.regex(r"^echo (?P<what>.+)$", Handler::Echo)?;
//! router.catch_all(Handler::Other);
//!
//! let m = router.route(&message("/start@my_bot now please")).unwrap();
//! assert_eq!(m.handler, &Handler::Start);
//! let cmd = m.command().unwrap();
//! assert_eq!((cmd.name, cmd.rest.as_str()), ("start", "now please"));
//! assert_eq!(cmd.args, ["now", "please"]);
//!
//! let m = router.route(&message("echo hello")).unwrap();
//! assert_eq!(m.handler, &Handler::Echo);
//! assert_eq!(m.captures().unwrap().name("what"), Some("hello"));
//! assert_eq!(m.captures().unwrap().get(1), Some("hello"));
//!
//! // A command for another bot is not ours; it falls through to the catch-all.
//! let m = router.route(&message("/start@other_bot")).unwrap();
//! assert_eq!(m.handler, &Handler::Other);
//! assert!(m.addressed_elsewhere);
//! assert_eq!(m.extracted, Extracted::None);
//! # Ok::<(), botwire_core::runtime::router::RouterError>(())
//! ```

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::ops;
use std::sync::{Arc, Mutex, PoisonError};

use regex_lite::{CaptureLocations, Regex};

use crate::runtime::model::{ChatType, Event, EventKind, Platform};
use crate::telegram::glance::CHAT_KINDS;

// ---------------------------------------------------------------------------------------------
// Flavor
// ---------------------------------------------------------------------------------------------

/// The flavor of an event in telepot's vocabulary, without allocating.
///
/// - Telegram events: the flavor of their `Update` field ([`Event::platform_kind`]), exactly
///   as [`flavor_of_kind`](crate::telegram::glance::flavor_of_kind) spells it: `"chat"` for
///   messages, edits, channel posts and business messages; `"callback_query"`,
///   `"inline_query"`, `"chosen_inline_result"`, `"shipping_query"`,
///   `"pre_checkout_query"`; any other field is its own flavor (`"my_chat_member"`,
///   `"poll_answer"`, ...).
/// - Other platforms: from [`Event::kind`]: [`EventKind::Message`] and
///   [`EventKind::EditedMessage`] are `"chat"`, [`EventKind::ButtonPress`] is
///   `"callback_query"`, [`EventKind::InlineQuery`] is `"inline_query"`,
///   [`EventKind::ChosenInlineResult`] is `"chosen_inline_result"`; every other kind is its
///   own name ([`EventKind::as_str`], e.g. `"member_joined"`).
pub fn flavor_name(event: &Event) -> &str {
    if event.platform == Platform::Telegram {
        // Equal to `flavor_of_kind(kind).as_str()`: the named flavors other than `chat` are
        // spelled like their Update field, and every other field is its own flavor.
        let kind = &*event.platform_kind;
        if CHAT_KINDS.contains(&kind) {
            "chat"
        } else {
            kind
        }
    } else {
        match event.kind {
            EventKind::Message | EventKind::EditedMessage => "chat",
            EventKind::ButtonPress => "callback_query",
            other => other.as_str(),
        }
    }
}

/// An event with what every condition needs computed once.
struct View<'e> {
    event: &'e Event,
    flavor: &'e str,
}

impl<'e> View<'e> {
    fn new(event: &'e Event) -> Self {
        View {
            event,
            flavor: flavor_name(event),
        }
    }

    fn is_chat(&self) -> bool {
        self.flavor == "chat"
    }

    fn is_callback(&self) -> bool {
        self.flavor == "callback_query"
    }

    fn text(&self) -> Option<&'e str> {
        self.event.text.as_deref()
    }

    fn callback_data(&self) -> Option<&'e str> {
        if self.is_callback() {
            self.event.data.as_deref()
        } else {
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Why a route could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RouterError {
    /// The pattern is not a valid regular expression.
    #[error("invalid regular expression `{pattern}`: {message}")]
    InvalidRegex {
        /// The pattern.
        pattern: String,
        /// What is wrong with it.
        message: String,
    },
}

// ---------------------------------------------------------------------------------------------
// Filters
// ---------------------------------------------------------------------------------------------

/// A predicate on an event, for [`Route::when`], [`Router::route_when`] and
/// [`Router::nest`].
///
/// Filters combine with [`and`](Filter::and), [`or`](Filter::or) and [`not`](Filter::not), or
/// with the operators `&`, `|` and `!`:
///
/// ```
/// use botwire_core::runtime::model::{ChatType, EventKind};
/// use botwire_core::runtime::router::Filter;
///
/// let admin_in_groups = Filter::users(["telegram:1", "telegram:2"])
///     & !Filter::chat_type(ChatType::Private)
///     & (Filter::kind(EventKind::Message) | Filter::kind(EventKind::EditedMessage));
/// # let _ = admin_in_groups;
/// ```
#[derive(Clone, Debug)]
pub struct Filter(FilterKind);

#[derive(Clone, Debug)]
enum FilterKind {
    Always,
    Kinds(Vec<EventKind>),
    Platforms(Vec<Platform>),
    Flavors(Vec<Box<str>>),
    ContentTypes(Vec<Box<str>>),
    ChatTypes(Vec<ChatType>),
    Users(HashSet<Box<str>>),
    Chats(HashSet<Box<str>>),
    Text(Box<str>),
    CallbackData(Box<str>),
    CallbackPrefix(Box<str>),
    Custom(CustomFn),
    All(Vec<Filter>),
    Any(Vec<Filter>),
    Not(Box<Filter>),
}

/// A user predicate; `Arc` so that filters stay cheap to clone.
#[derive(Clone)]
struct CustomFn(Arc<dyn Fn(&Event) -> bool + Send + Sync>);

impl fmt::Debug for CustomFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<custom>")
    }
}

fn boxed_strs<I>(items: I) -> Vec<Box<str>>
where
    I: IntoIterator,
    I::Item: Into<String>,
{
    items
        .into_iter()
        .map(|s| s.into().into_boxed_str())
        .collect()
}

impl Filter {
    /// Accepts every event.
    pub fn always() -> Filter {
        Filter(FilterKind::Always)
    }

    /// Events of this kind.
    pub fn kind(kind: EventKind) -> Filter {
        Filter(FilterKind::Kinds(vec![kind]))
    }

    /// Events of any of these kinds.
    pub fn kinds(kinds: impl IntoIterator<Item = EventKind>) -> Filter {
        Filter(FilterKind::Kinds(kinds.into_iter().collect()))
    }

    /// Events from this platform.
    pub fn platform(platform: Platform) -> Filter {
        Filter(FilterKind::Platforms(vec![platform]))
    }

    /// Events from any of these platforms.
    pub fn platforms(platforms: impl IntoIterator<Item = Platform>) -> Filter {
        Filter(FilterKind::Platforms(platforms.into_iter().collect()))
    }

    /// Events of this flavor (`"chat"`, `"callback_query"`, ...; see [`flavor_name`]).
    pub fn flavor(flavor: impl Into<String>) -> Filter {
        Filter(FilterKind::Flavors(boxed_strs([flavor])))
    }

    /// Events of any of these flavors.
    pub fn flavors<I>(flavors: I) -> Filter
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        Filter(FilterKind::Flavors(boxed_strs(flavors)))
    }

    /// Messages of this content type, in telepot's vocabulary (`"text"`, `"photo"`, ...;
    /// [`Event::content_type`]).
    pub fn content_type(content_type: impl Into<String>) -> Filter {
        Filter(FilterKind::ContentTypes(boxed_strs([content_type])))
    }

    /// Messages of any of these content types.
    pub fn content_types<I>(content_types: I) -> Filter
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        Filter(FilterKind::ContentTypes(boxed_strs(content_types)))
    }

    /// Events in a chat of this type (events without a chat are rejected).
    pub fn chat_type(chat_type: ChatType) -> Filter {
        Filter(FilterKind::ChatTypes(vec![chat_type]))
    }

    /// Events in a chat of any of these types (events without a chat are rejected).
    pub fn chat_types(chat_types: impl IntoIterator<Item = ChatType>) -> Filter {
        Filter(FilterKind::ChatTypes(chat_types.into_iter().collect()))
    }

    /// Events caused by one of these users, given by key (`"telegram:123"`; events without a
    /// sender are rejected).
    pub fn users<I>(keys: I) -> Filter
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        Filter(FilterKind::Users(boxed_strs(keys).into_iter().collect()))
    }

    /// Events in one of these chats, given by key (events without a chat are rejected).
    pub fn chats<I>(keys: I) -> Filter
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        Filter(FilterKind::Chats(boxed_strs(keys).into_iter().collect()))
    }

    /// Events whose [`Event::text`] is exactly `text` (a message's text or caption, an inline
    /// query's text; case and whitespace matter).
    pub fn text(text: impl Into<String>) -> Filter {
        Filter(FilterKind::Text(text.into().into_boxed_str()))
    }

    /// Button presses (flavor `callback_query`) whose data is exactly `data`.
    pub fn callback_data(data: impl Into<String>) -> Filter {
        Filter(FilterKind::CallbackData(data.into().into_boxed_str()))
    }

    /// Button presses (flavor `callback_query`) whose data starts with `prefix`.
    pub fn callback_prefix(prefix: impl Into<String>) -> Filter {
        Filter(FilterKind::CallbackPrefix(prefix.into().into_boxed_str()))
    }

    /// Events for which `predicate` returns true.
    pub fn custom(predicate: impl Fn(&Event) -> bool + Send + Sync + 'static) -> Filter {
        Filter(FilterKind::Custom(CustomFn(Arc::new(predicate))))
    }

    /// Events every filter accepts (all events when there are none).
    pub fn all(filters: impl IntoIterator<Item = Filter>) -> Filter {
        Filter(FilterKind::All(filters.into_iter().collect()))
    }

    /// Events some filter accepts (no event when there are none).
    pub fn any(filters: impl IntoIterator<Item = Filter>) -> Filter {
        Filter(FilterKind::Any(filters.into_iter().collect()))
    }

    /// Events `filter` rejects (also `!filter`).
    #[allow(clippy::should_implement_trait)] // `!filter` works too
    pub fn not(filter: Filter) -> Filter {
        match filter.0 {
            FilterKind::Not(inner) => *inner,
            other => Filter(FilterKind::Not(Box::new(Filter(other)))),
        }
    }

    /// Events both filters accept (also `self & other`); `other` is only tested when `self`
    /// accepts.
    pub fn and(self, other: Filter) -> Filter {
        match self.0 {
            FilterKind::Always => other,
            FilterKind::All(mut list) => {
                list.push(other);
                Filter(FilterKind::All(list))
            }
            kind => Filter(FilterKind::All(vec![Filter(kind), other])),
        }
    }

    /// Events either filter accepts (also `self | other`); `other` is only tested when `self`
    /// rejects.
    pub fn or(self, other: Filter) -> Filter {
        match self.0 {
            FilterKind::Any(mut list) => {
                list.push(other);
                Filter(FilterKind::Any(list))
            }
            kind => Filter(FilterKind::Any(vec![Filter(kind), other])),
        }
    }

    /// Whether the filter accepts `event`.
    pub fn matches(&self, event: &Event) -> bool {
        self.test(&View::new(event))
    }

    fn test(&self, v: &View<'_>) -> bool {
        let e = v.event;
        match &self.0 {
            FilterKind::Always => true,
            FilterKind::Kinds(kinds) => kinds.contains(&e.kind),
            FilterKind::Platforms(platforms) => platforms.contains(&e.platform),
            FilterKind::Flavors(flavors) => flavors.iter().any(|f| &**f == v.flavor),
            FilterKind::ContentTypes(types) => e
                .content_type
                .as_deref()
                .is_some_and(|ct| types.iter().any(|t| &**t == ct)),
            FilterKind::ChatTypes(types) => e
                .chat
                .as_ref()
                .is_some_and(|c| types.contains(&c.chat_type)),
            FilterKind::Users(keys) => e.user_key().is_some_and(|k| keys.contains(k)),
            FilterKind::Chats(keys) => e.chat_key().is_some_and(|k| keys.contains(k)),
            FilterKind::Text(text) => v.text() == Some(&**text),
            FilterKind::CallbackData(data) => v.callback_data() == Some(&**data),
            FilterKind::CallbackPrefix(prefix) => {
                v.callback_data().is_some_and(|d| d.starts_with(&**prefix))
            }
            FilterKind::Custom(f) => (f.0)(e),
            FilterKind::All(list) => list.iter().all(|f| f.test(v)),
            FilterKind::Any(list) => list.iter().any(|f| f.test(v)),
            FilterKind::Not(inner) => !inner.test(v),
        }
    }
}

impl ops::BitAnd for Filter {
    type Output = Filter;

    fn bitand(self, rhs: Filter) -> Filter {
        self.and(rhs)
    }
}

impl ops::BitOr for Filter {
    type Output = Filter;

    fn bitor(self, rhs: Filter) -> Filter {
        self.or(rhs)
    }
}

impl ops::Not for Filter {
    type Output = Filter;

    fn not(self) -> Filter {
        Filter::not(self)
    }
}

// ---------------------------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------------------------

/// A condition for a handler: a matcher (command, regex, callback data or nothing) and an
/// optional [`Filter`] that must accept the event too (it is tested first).
///
/// ```
/// use botwire_core::runtime::model::ChatType;
/// use botwire_core::runtime::router::{Filter, Route, Router};
///
/// let mut router = Router::new();
/// router.add(
///     Route::command("ban").when(Filter::chat_types([ChatType::Group, ChatType::Supergroup])),
///     "ban in groups",
/// );
/// ```
#[derive(Clone, Debug)]
pub struct Route {
    matcher: Matcher,
    filter: Option<Filter>,
}

#[derive(Clone, Debug)]
enum Matcher {
    /// Only the filter decides.
    Any,
    /// A command with one of these names.
    Command(Vec<CommandName>),
    /// A regex search in the text or the callback data.
    Regex(Box<RegexMatcher>),
    /// Callback data, exactly or by prefix.
    CallbackData { value: Box<str>, prefix: bool },
    /// The host's own test of the text or the callback data.
    Test(Box<HostTest>),
}

/// A test of a text by the host, for [`Route::test`]: its captures when it matches.
pub type TextTest = dyn Fn(&str) -> Option<TextMatch> + Send + Sync;

#[derive(Clone)]
struct HostTest {
    test: Arc<TextTest>,
    /// Test the callback data instead of the text.
    on_data: bool,
}

impl fmt::Debug for HostTest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostTest")
            .field("on_data", &self.on_data)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug)]
struct CommandName {
    name: Box<str>,
    lower: Box<str>,
}

struct RegexMatcher {
    regex: Regex,
    /// The name of every group (`None` for unnamed ones), by index.
    names: Box<[Option<Box<str>>]>,
    /// Search the callback data instead of the text.
    on_data: bool,
    /// Capture slots to reuse, so that a search allocates nothing when it finds nothing and a
    /// match is searched for once. Holds at most one set per concurrent search.
    slots: Mutex<Vec<CaptureLocations>>,
}

impl Clone for RegexMatcher {
    fn clone(&self) -> Self {
        RegexMatcher {
            regex: self.regex.clone(),
            names: self.names.clone(),
            on_data: self.on_data,
            slots: Mutex::new(Vec::new()),
        }
    }
}

impl fmt::Debug for RegexMatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegexMatcher")
            .field("regex", &self.regex.as_str())
            .field("on_data", &self.on_data)
            .finish()
    }
}

impl RegexMatcher {
    fn new(pattern: &str, on_data: bool) -> Result<Self, RouterError> {
        let regex = Regex::new(pattern).map_err(|e| RouterError::InvalidRegex {
            pattern: pattern.to_owned(),
            message: e.to_string(),
        })?;
        let names = regex
            .capture_names()
            .map(|n| n.map(Box::from))
            .collect::<Vec<_>>()
            .into_boxed_slice();
        Ok(RegexMatcher {
            regex,
            names,
            on_data,
            slots: Mutex::new(Vec::new()),
        })
    }

    fn captures(&self, haystack: &str) -> Option<Captures<'_>> {
        let pool = || self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        let mut slots = pool()
            .pop()
            .unwrap_or_else(|| self.regex.capture_locations());
        let captures = self
            .regex
            .captures_read(&mut slots, haystack)
            .map(|_| Captures {
                groups: (0..self.names.len())
                    .map(|i| slots.get(i).map(|(s, e)| haystack[s..e].to_owned()))
                    .collect(),
                names: &self.names,
            });
        pool().push(slots);
        captures
    }
}

impl Route {
    fn with(matcher: Matcher) -> Route {
        Route {
            matcher,
            filter: None,
        }
    }

    /// Every event (narrow it with [`when`](Route::when)).
    pub fn catch_all() -> Route {
        Route::with(Matcher::Any)
    }

    /// The command `name` (without its prefix: `"start"` for `/start`). See the
    /// [module documentation](self#commands) for how commands are read.
    pub fn command(name: impl Into<String>) -> Route {
        Route::commands([name])
    }

    /// Any of these commands; [`CommandMatch::name`] tells which.
    pub fn commands<I>(names: I) -> Route
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        let names = names
            .into_iter()
            .map(|n| {
                let name = n.into();
                CommandName {
                    lower: name.to_lowercase().into_boxed_str(),
                    name: name.into_boxed_str(),
                }
            })
            .collect();
        Route::with(Matcher::Command(names))
    }

    /// Events whose [`Event::text`] contains a match of `pattern` (an unanchored search; use
    /// `^` and `$` to anchor it), of any flavor. The captures are passed on in
    /// [`Extracted::Captures`].
    ///
    /// # Errors
    ///
    /// [`RouterError::InvalidRegex`] when the pattern does not compile.
    pub fn regex(pattern: &str) -> Result<Route, RouterError> {
        Ok(Route::with(Matcher::Regex(Box::new(RegexMatcher::new(
            pattern, false,
        )?))))
    }

    /// Button presses (flavor `callback_query`) whose data contains a match of `pattern`.
    ///
    /// # Errors
    ///
    /// [`RouterError::InvalidRegex`] when the pattern does not compile.
    pub fn callback_regex(pattern: &str) -> Result<Route, RouterError> {
        Ok(Route::with(Matcher::Regex(Box::new(RegexMatcher::new(
            pattern, true,
        )?))))
    }

    /// Events whose [`Event::text`] passes `test`, the host's own matcher (the npm package
    /// uses JavaScript's `RegExp`, so that a pattern means what it means in JavaScript); its
    /// captures are passed on in [`Extracted::Tested`]. `test` runs whenever the route is tried.
    pub fn test(test: impl Fn(&str) -> Option<TextMatch> + Send + Sync + 'static) -> Route {
        Route::with(Matcher::Test(Box::new(HostTest {
            test: Arc::new(test),
            on_data: false,
        })))
    }

    /// Button presses (flavor `callback_query`) whose data passes `test` (as
    /// [`test`](Route::test)).
    pub fn callback_test(
        test: impl Fn(&str) -> Option<TextMatch> + Send + Sync + 'static,
    ) -> Route {
        Route::with(Matcher::Test(Box::new(HostTest {
            test: Arc::new(test),
            on_data: true,
        })))
    }

    /// Button presses (flavor `callback_query`) whose data is exactly `data`
    /// ([`Extracted::CallbackData`] carries an empty rest).
    pub fn callback_data(data: impl Into<String>) -> Route {
        Route::with(Matcher::CallbackData {
            value: data.into().into_boxed_str(),
            prefix: false,
        })
    }

    /// Button presses (flavor `callback_query`) whose data starts with `prefix`
    /// ([`Extracted::CallbackData`] carries the data after the prefix).
    pub fn callback_prefix(prefix: impl Into<String>) -> Route {
        Route::with(Matcher::CallbackData {
            value: prefix.into().into_boxed_str(),
            prefix: true,
        })
    }

    /// Events whose text is exactly `text` ([`Filter::text`]).
    pub fn text(text: impl Into<String>) -> Route {
        Route::catch_all().when(Filter::text(text))
    }

    /// Messages of this content type ([`Filter::content_type`]).
    pub fn content_type(content_type: impl Into<String>) -> Route {
        Route::catch_all().when(Filter::content_type(content_type))
    }

    /// Events of this flavor ([`Filter::flavor`]).
    pub fn flavor(flavor: impl Into<String>) -> Route {
        Route::catch_all().when(Filter::flavor(flavor))
    }

    /// Events of this kind ([`Filter::kind`]).
    pub fn on(kind: EventKind) -> Route {
        Route::catch_all().when(Filter::kind(kind))
    }

    /// Adds a condition: the route then also needs `filter` to accept the event.
    pub fn when(mut self, filter: Filter) -> Route {
        self.filter = Some(match self.filter.take() {
            Some(existing) => existing.and(filter),
            None => filter,
        });
        self
    }

    fn check<'r, 'e>(
        &'r self,
        v: &View<'e>,
        opts: &Options<'r>,
        parsed: &mut Option<Option<Parsed<'e>>>,
    ) -> Option<Extracted<'r>> {
        if let Some(filter) = &self.filter {
            if !filter.test(v) {
                return None;
            }
        }
        match &self.matcher {
            Matcher::Any => Some(Extracted::None),
            Matcher::Command(names) => {
                if !v.is_chat() {
                    return None;
                }
                let p = parsed
                    .get_or_insert_with(|| v.text().and_then(|t| Parsed::read(t, opts)))
                    .as_ref()?;
                if p.addressed_elsewhere(opts) {
                    return None;
                }
                let name = names.iter().find(|n| {
                    if opts.ignore_case {
                        eq_lowercase(&n.lower, p.name)
                    } else {
                        *n.name == *p.name
                    }
                })?;
                Some(Extracted::Command(p.command_match(&name.name, opts)))
            }
            Matcher::Regex(m) => {
                let hay = if m.on_data {
                    v.callback_data()?
                } else {
                    v.text()?
                };
                m.captures(hay).map(Extracted::Captures)
            }
            Matcher::Test(t) => {
                let hay = if t.on_data {
                    v.callback_data()?
                } else {
                    v.text()?
                };
                (t.test)(hay).map(Extracted::Tested)
            }
            Matcher::CallbackData { value, prefix } => {
                let data = v.callback_data()?;
                let rest = if *prefix {
                    data.strip_prefix(&**value)?
                } else if data == &**value {
                    ""
                } else {
                    return None;
                };
                Some(Extracted::CallbackData {
                    rest: rest.to_owned(),
                })
            }
        }
    }
}

impl From<Filter> for Route {
    /// A route that only the filter decides.
    fn from(filter: Filter) -> Route {
        Route::catch_all().when(filter)
    }
}

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

/// How command arguments are separated.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ArgSeparator {
    /// Runs of whitespace; no empty arguments.
    #[default]
    Whitespace,
    /// This exact string (`"_"` for `/cmd_arg`, `","`, ...); empty arguments are kept. An
    /// empty string means [`ArgSeparator::Whitespace`].
    Text(String),
}

impl From<&str> for ArgSeparator {
    fn from(sep: &str) -> Self {
        if sep.is_empty() {
            ArgSeparator::Whitespace
        } else {
            ArgSeparator::Text(sep.to_owned())
        }
    }
}

impl From<String> for ArgSeparator {
    fn from(sep: String) -> Self {
        if sep.is_empty() {
            ArgSeparator::Whitespace
        } else {
            ArgSeparator::Text(sep)
        }
    }
}

impl From<char> for ArgSeparator {
    fn from(sep: char) -> Self {
        ArgSeparator::Text(sep.to_string())
    }
}

static DEFAULT_PREFIXES: [Cow<'static, str>; 1] = [Cow::Borrowed("/")];
static DEFAULT_SEPARATOR: ArgSeparator = ArgSeparator::Whitespace;

/// The command options in force for one router (its own, or inherited).
#[derive(Clone, Copy)]
struct Options<'r> {
    prefixes: &'r [Cow<'static, str>],
    separator: &'r ArgSeparator,
    ignore_case: bool,
    /// Lowercase, without `@`.
    bot: Option<&'r str>,
}

/// A command read from a text, borrowing from it.
#[derive(Clone, Copy)]
struct Parsed<'e> {
    prefix: &'e str,
    name: &'e str,
    username: Option<&'e str>,
    /// With a text separator found inside the command word: the word after it.
    word_rest: Option<&'e str>,
    /// The text after the command word (empty, or starting with whitespace).
    tail: &'e str,
}

impl<'e> Parsed<'e> {
    fn read(text: &'e str, opts: &Options<'_>) -> Option<Parsed<'e>> {
        let prefix = opts.prefixes.iter().find(|p| text.starts_with(&***p))?;
        let (prefix, body) = text.split_at(prefix.len());
        let head_len = body.find(char::is_whitespace).unwrap_or(body.len());
        let (head, tail) = body.split_at(head_len);
        let (word, username) = match head.split_once('@') {
            Some((word, user)) => (word, Some(user)),
            None => (head, None),
        };
        let (name, word_rest) = match opts.separator {
            ArgSeparator::Text(sep) => match word.split_once(sep.as_str()) {
                Some((name, rest)) => (name, Some(rest)),
                None => (word, None),
            },
            ArgSeparator::Whitespace => (word, None),
        };
        Some(Parsed {
            prefix,
            name,
            username,
            word_rest,
            tail,
        })
    }

    fn addressed_elsewhere(&self, opts: &Options<'_>) -> bool {
        match (self.username, opts.bot) {
            (Some(user), Some(bot)) => !eq_lowercase(bot, user),
            _ => false,
        }
    }

    fn command_match<'r>(&self, name: &'r str, opts: &Options<'r>) -> CommandMatch<'r> {
        let prefix = opts
            .prefixes
            .iter()
            .find(|p| ***p == *self.prefix)
            .map_or("", |p| &**p);
        let (rest, args) = match opts.separator {
            ArgSeparator::Whitespace => {
                let rest = self.tail.trim_start();
                (
                    rest.to_owned(),
                    rest.split_whitespace().map(str::to_owned).collect(),
                )
            }
            ArgSeparator::Text(sep) => {
                let (rest, followed) = match self.word_rest {
                    Some(word_rest) => {
                        let mut rest = String::with_capacity(word_rest.len() + self.tail.len());
                        rest.push_str(word_rest);
                        rest.push_str(self.tail);
                        (rest, true)
                    }
                    None => match self.tail.strip_prefix(sep.as_str()) {
                        Some(rest) => (rest.to_owned(), true),
                        None => (self.tail.trim_start().to_owned(), false),
                    },
                };
                let args = if rest.is_empty() && !followed {
                    Vec::new()
                } else {
                    rest.split(sep.as_str()).map(str::to_owned).collect()
                };
                (rest, args)
            }
        };
        CommandMatch {
            name,
            prefix,
            username: self.username.map(str::to_owned),
            args,
            rest,
        }
    }
}

/// Whether `s` equals `lower` (already lowercase) ignoring case, without allocating.
fn eq_lowercase(lower: &str, s: &str) -> bool {
    if s.is_ascii() {
        s.eq_ignore_ascii_case(lower)
    } else {
        lower.chars().eq(s.chars().flat_map(char::to_lowercase))
    }
}

// ---------------------------------------------------------------------------------------------
// Matches
// ---------------------------------------------------------------------------------------------

/// A command a route matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandMatch<'r> {
    /// The command's name as the route spells it (even when it matched ignoring case).
    pub name: &'r str,
    /// The prefix it was written with (`"/"`).
    pub prefix: &'r str,
    /// The bot username written after `@`, if any.
    pub username: Option<String>,
    /// The arguments (see the [module documentation](self#commands)).
    pub args: Vec<String>,
    /// The raw text after the command and its separator.
    pub rest: String,
}

/// The groups a regex route captured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captures<'r> {
    /// Every group by index, group 0 being the whole match; `None` for a group that did not
    /// take part in the match.
    pub groups: Vec<Option<String>>,
    names: &'r [Option<Box<str>>],
}

impl<'r> Captures<'r> {
    /// Group `index` (0 is the whole match), if it took part in the match.
    pub fn get(&self, index: usize) -> Option<&str> {
        self.groups.get(index)?.as_deref()
    }

    /// The group named `name`, if the pattern has it and it took part in the match.
    pub fn name(&self, name: &str) -> Option<&str> {
        let index = self.names.iter().position(|n| n.as_deref() == Some(name))?;
        self.get(index)
    }

    /// The named groups in pattern order, with their values.
    pub fn named(&self) -> impl Iterator<Item = (&'r str, Option<&str>)> + '_ {
        let names: &'r [Option<Box<str>>] = self.names;
        names
            .iter()
            .zip(&self.groups)
            .filter_map(|(n, g)| Some((n.as_deref()?, g.as_deref())))
    }
}

/// What a route extracted from the event.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Extracted<'r> {
    /// Nothing (filter routes, text, content type, flavor, the catch-all).
    None,
    /// A command route matched.
    Command(CommandMatch<'r>),
    /// A regex route matched.
    Captures(Captures<'r>),
    /// A callback data route matched.
    CallbackData {
        /// The data after the route's prefix (empty for an exact match).
        rest: String,
    },
    /// A route of the host's own test ([`Route::test`]) matched.
    Tested(TextMatch),
}

/// What a host's test ([`Route::test`]) captured.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TextMatch {
    /// Every group by index, group 0 being the whole match; `None` for a group that did not
    /// take part in the match.
    pub groups: Vec<Option<String>>,
    /// The named groups, with their values.
    pub named: Vec<(String, Option<String>)>,
}

/// The result of [`Router::route`]: what to run, and what the route extracted.
#[derive(Debug)]
pub struct Match<'r, H> {
    /// The handler of the matched route.
    pub handler: &'r H,
    /// Hooks to run before the handler: the outermost router's first (see the
    /// [module documentation](self#order)).
    pub before: Vec<&'r H>,
    /// Hooks to run after the handler: the innermost router's first.
    pub after: Vec<&'r H>,
    /// What the route extracted.
    pub extracted: Extracted<'r>,
    /// The event is a command addressed to another bot (`/cmd@otherbot` when this router
    /// knows its username), which command routes ignored; a catch-all or a regex can still
    /// have matched it.
    pub addressed_elsewhere: bool,
}

impl<'r, H> Match<'r, H> {
    /// The command, when a command route matched.
    pub fn command(&self) -> Option<&CommandMatch<'r>> {
        match &self.extracted {
            Extracted::Command(c) => Some(c),
            _ => None,
        }
    }

    /// The captures, when a regex route matched.
    pub fn captures(&self) -> Option<&Captures<'r>> {
        match &self.extracted {
            Extracted::Captures(c) => Some(c),
            _ => None,
        }
    }

    /// The data after the prefix, when a callback data route matched.
    pub fn callback_rest(&self) -> Option<&str> {
        match &self.extracted {
            Extracted::CallbackData { rest } => Some(rest),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Router
// ---------------------------------------------------------------------------------------------

enum Entry<H> {
    Route(Route, H),
    Nest(Filter, Router<H>),
}

/// Routes and hooks, tried in registration order; see the [module documentation](self).
pub struct Router<H> {
    entries: Vec<Entry<H>>,
    fallback: Option<H>,
    before: Vec<H>,
    after: Vec<H>,
    prefixes: Option<Vec<Cow<'static, str>>>,
    separator: Option<ArgSeparator>,
    ignore_case: Option<bool>,
    /// Lowercase, without `@`.
    bot_username: Option<Box<str>>,
}

impl<H> Default for Router<H> {
    fn default() -> Self {
        Router::new()
    }
}

impl<H: fmt::Debug> fmt::Debug for Entry<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Entry::Route(route, handler) => f
                .debug_struct("Route")
                .field("route", route)
                .field("handler", handler)
                .finish(),
            Entry::Nest(filter, router) => f
                .debug_struct("Nest")
                .field("filter", filter)
                .field("router", router)
                .finish(),
        }
    }
}

impl<H: fmt::Debug> fmt::Debug for Router<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Router")
            .field("entries", &self.entries)
            .field("catch_all", &self.fallback)
            .field("before", &self.before)
            .field("after", &self.after)
            .field("prefixes", &self.prefixes)
            .field("separator", &self.separator)
            .field("ignore_case", &self.ignore_case)
            .field("bot_username", &self.bot_username)
            .finish()
    }
}

impl<H> Router<H> {
    /// An empty router with the default command options: prefix `/`, whitespace-separated
    /// arguments, case-sensitive names, no bot username.
    pub fn new() -> Self {
        Router {
            entries: Vec::new(),
            fallback: None,
            before: Vec::new(),
            after: Vec::new(),
            prefixes: None,
            separator: None,
            ignore_case: None,
            bot_username: None,
        }
    }

    /// Sets the bot's username (with or without `@`, any case), so that `/cmd@thisbot`
    /// matches command routes and `/cmd@otherbot` does not.
    pub fn with_bot_username(mut self, username: &str) -> Self {
        self.set_bot_username(Some(username));
        self
    }

    /// Sets or clears the bot's username, for a router built before the bot knew it (for
    /// example before `getMe` answered). A nested router without a username of its own uses
    /// its parent's.
    pub fn set_bot_username(&mut self, username: Option<&str>) {
        self.bot_username = username.map(|u| {
            let u = u.strip_prefix('@').unwrap_or(u);
            u.to_lowercase().into_boxed_str()
        });
    }

    /// Sets the command prefixes (default `["/"]`); the first one the text starts with is
    /// used. An empty list disables command routes.
    pub fn with_prefixes<I>(mut self, prefixes: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.prefixes = Some(prefixes.into_iter().map(|p| Cow::Owned(p.into())).collect());
        self
    }

    /// Sets how command arguments are separated (default [`ArgSeparator::Whitespace`]);
    /// accepts an [`ArgSeparator`], a `&str` or a `char`.
    pub fn with_separator(mut self, separator: impl Into<ArgSeparator>) -> Self {
        self.separator = Some(separator.into());
        self
    }

    /// Compares command names ignoring case (default: case matters). Only command names are
    /// concerned; text routes stay exact.
    pub fn with_ignore_case(mut self, ignore_case: bool) -> Self {
        self.ignore_case = Some(ignore_case);
        self
    }

    /// Adds a route.
    pub fn add(&mut self, route: Route, handler: H) -> &mut Self {
        self.entries.push(Entry::Route(route, handler));
        self
    }

    /// Adds a route that only `filter` decides (nothing is extracted).
    pub fn route_when(&mut self, filter: Filter, handler: H) -> &mut Self {
        self.add(Route::from(filter), handler)
    }

    /// Adds a command route ([`Route::command`]).
    pub fn command(&mut self, name: impl Into<String>, handler: H) -> &mut Self {
        self.add(Route::command(name), handler)
    }

    /// Adds a route for several commands ([`Route::commands`]).
    pub fn commands<I>(&mut self, names: I, handler: H) -> &mut Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.add(Route::commands(names), handler)
    }

    /// Adds a regex route on the text ([`Route::regex`]).
    ///
    /// # Errors
    ///
    /// [`RouterError::InvalidRegex`] when the pattern does not compile (nothing is added).
    pub fn regex(&mut self, pattern: &str, handler: H) -> Result<&mut Self, RouterError> {
        Ok(self.add(Route::regex(pattern)?, handler))
    }

    /// Adds a regex route on callback data ([`Route::callback_regex`]).
    ///
    /// # Errors
    ///
    /// [`RouterError::InvalidRegex`] when the pattern does not compile (nothing is added).
    pub fn callback_regex(&mut self, pattern: &str, handler: H) -> Result<&mut Self, RouterError> {
        Ok(self.add(Route::callback_regex(pattern)?, handler))
    }

    /// Adds a route for button presses whose data is exactly `data`
    /// ([`Route::callback_data`]; for a prefix use [`callback_prefix`](Router::callback_prefix)).
    pub fn callback_data(&mut self, data: impl Into<String>, handler: H) -> &mut Self {
        self.add(Route::callback_data(data), handler)
    }

    /// Adds a route for button presses whose data starts with `prefix`
    /// ([`Route::callback_prefix`]).
    pub fn callback_prefix(&mut self, prefix: impl Into<String>, handler: H) -> &mut Self {
        self.add(Route::callback_prefix(prefix), handler)
    }

    /// Adds a route for events whose text is exactly `text` ([`Route::text`]).
    pub fn text(&mut self, text: impl Into<String>, handler: H) -> &mut Self {
        self.add(Route::text(text), handler)
    }

    /// Adds a route for messages of a content type ([`Route::content_type`]).
    pub fn content_type(&mut self, content_type: impl Into<String>, handler: H) -> &mut Self {
        self.add(Route::content_type(content_type), handler)
    }

    /// Adds a route for events of a flavor ([`Route::flavor`]).
    pub fn flavor(&mut self, flavor: impl Into<String>, handler: H) -> &mut Self {
        self.add(Route::flavor(flavor), handler)
    }

    /// Adds a route for events of a kind ([`Route::on`]).
    pub fn on(&mut self, kind: EventKind, handler: H) -> &mut Self {
        self.add(Route::on(kind), handler)
    }

    /// Sets the fallback handler, tried after every other entry of this router (see the
    /// [module documentation](self#order)); replaces an earlier one.
    pub fn catch_all(&mut self, handler: H) -> &mut Self {
        self.fallback = Some(handler);
        self
    }

    /// Attaches a sub-router at this position: when `filter` accepts an event, the
    /// sub-router's routes are tried (and its catch-all, if it has one). Its hooks wrap its
    /// own handlers, inside this router's hooks. It inherits the command options and bot
    /// username it does not set itself.
    pub fn nest(&mut self, filter: Filter, router: Router<H>) -> &mut Self {
        self.entries.push(Entry::Nest(filter, router));
        self
    }

    /// Adds a hook to run before any handler of this router (nested ones included).
    pub fn before(&mut self, hook: H) -> &mut Self {
        self.before.push(hook);
        self
    }

    /// Adds a hook to run after any handler of this router (nested ones included).
    pub fn after(&mut self, hook: H) -> &mut Self {
        self.after.push(hook);
        self
    }

    /// Finds the first route that matches `event` (see the [module documentation](self)).
    ///
    /// `None` when nothing matched and there is no catch-all on the way.
    pub fn route(&self, event: &Event) -> Option<Match<'_, H>> {
        self.find(&View::new(event), None)
    }

    fn options<'r>(&'r self, parent: Option<&Options<'r>>) -> Options<'r> {
        Options {
            prefixes: match (&self.prefixes, parent) {
                (Some(own), _) => own,
                (None, Some(p)) => p.prefixes,
                (None, None) => &DEFAULT_PREFIXES,
            },
            separator: match (&self.separator, parent) {
                (Some(ArgSeparator::Text(sep)), _) if sep.is_empty() => &DEFAULT_SEPARATOR,
                (Some(own), _) => own,
                (None, Some(p)) => p.separator,
                (None, None) => &DEFAULT_SEPARATOR,
            },
            ignore_case: self
                .ignore_case
                .or(parent.map(|p| p.ignore_case))
                .unwrap_or(false),
            bot: self.bot_username.as_deref().or(parent.and_then(|p| p.bot)),
        }
    }

    fn find<'r>(&'r self, v: &View<'_>, parent: Option<&Options<'r>>) -> Option<Match<'r, H>> {
        let opts = self.options(parent);
        // The command read from the text, once per router (its options may differ).
        let mut parsed = None;
        let mut found = None;
        for entry in &self.entries {
            match entry {
                Entry::Route(route, handler) => {
                    if let Some(extracted) = route.check(v, &opts, &mut parsed) {
                        found = Some(self.leaf(handler, extracted, v, &opts, parsed));
                        break;
                    }
                }
                Entry::Nest(filter, sub) => {
                    if filter.test(v) {
                        if let Some(inner) = sub.find(v, Some(&opts)) {
                            found = Some(inner);
                            break;
                        }
                    }
                }
            }
        }
        let mut found = match found {
            Some(found) => found,
            None => {
                let handler = self.fallback.as_ref()?;
                self.leaf(handler, Extracted::None, v, &opts, parsed)
            }
        };
        found.before.splice(0..0, self.before.iter());
        found.after.extend(self.after.iter());
        Some(found)
    }

    fn leaf<'r>(
        &'r self,
        handler: &'r H,
        extracted: Extracted<'r>,
        v: &View<'_>,
        opts: &Options<'r>,
        parsed: Option<Option<Parsed<'_>>>,
    ) -> Match<'r, H> {
        let parsed = parsed.unwrap_or_else(|| {
            if v.is_chat() {
                v.text().and_then(|t| Parsed::read(t, opts))
            } else {
                None
            }
        });
        Match {
            handler,
            extracted,
            before: Vec::new(),
            after: Vec::new(),
            addressed_elsewhere: parsed.is_some_and(|p| p.addressed_elsewhere(opts)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telegram::glance::flavor_of_kind;

    #[test]
    fn flavor_name_agrees_with_flavor_of_kind() {
        let kinds = [
            "message",
            "edited_message",
            "channel_post",
            "edited_channel_post",
            "business_message",
            "edited_business_message",
            "guest_message",
            "callback_query",
            "inline_query",
            "chosen_inline_result",
            "shipping_query",
            "pre_checkout_query",
            "poll_answer",
            "my_chat_member",
            "something_new",
        ];
        for kind in kinds {
            let event = Event {
                platform: Platform::Telegram,
                id: "1".into(),
                seq: None,
                kind: EventKind::Unknown,
                platform_kind: kind.into(),
                chat: None,
                from: None,
                message: None,
                content_type: None,
                text: None,
                data: None,
                query_id: None,
                payload: crate::runtime::model::Payload::Json(Box::new(serde_json::Value::Null)),
            };
            assert_eq!(flavor_name(&event), flavor_of_kind(kind).as_str(), "{kind}");
        }
    }

    #[test]
    fn eq_lowercase_folds_ascii_and_unicode() {
        assert!(eq_lowercase("start", "START"));
        assert!(eq_lowercase("start", "Start"));
        assert!(!eq_lowercase("start", "star"));
        assert!(!eq_lowercase("start", "starts"));
        assert!(eq_lowercase("привет", "ПРИВЕТ"));
        assert!(!eq_lowercase("привет", "ПРИВЕД"));
    }

    fn opts<'a>(prefixes: &'a [Cow<'static, str>], sep: &'a ArgSeparator) -> Options<'a> {
        Options {
            prefixes,
            separator: sep,
            ignore_case: false,
            bot: Some("my_bot"),
        }
    }

    #[test]
    fn reads_commands() {
        let ws = ArgSeparator::Whitespace;
        let o = opts(&DEFAULT_PREFIXES, &ws);
        let p = Parsed::read("/start@My_Bot  a b", &o).unwrap();
        assert_eq!(
            (p.prefix, p.name, p.username),
            ("/", "start", Some("My_Bot"))
        );
        assert!(!p.addressed_elsewhere(&o));
        let m = p.command_match("start", &o);
        assert_eq!(m.args, ["a", "b"]);
        assert_eq!(m.rest, "a b");
        assert!(Parsed::read("/x@other", &o)
            .unwrap()
            .addressed_elsewhere(&o));
        assert!(Parsed::read("start", &o).is_none());

        let us = ArgSeparator::from("_");
        let o = opts(&DEFAULT_PREFIXES, &us);
        let p = Parsed::read("/cmd_a_b@my_bot c", &o).unwrap();
        assert_eq!((p.name, p.word_rest), ("cmd", Some("a_b")));
        let m = p.command_match("cmd", &o);
        assert_eq!(m.rest, "a_b c");
        assert_eq!(m.args, ["a", "b c"]);
        let m = Parsed::read("/cmd_", &o).unwrap().command_match("cmd", &o);
        assert_eq!(m.args, [""]);
        let m = Parsed::read("/cmd", &o).unwrap().command_match("cmd", &o);
        assert!(m.args.is_empty());
    }
}
