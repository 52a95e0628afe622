//! The router: commands, regexes, callback data, filters, nesting, hooks and order.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use botwire_core::runtime::model::{
    Chat, ChatType, Event, EventKind, MessageKey, Payload, Platform, User,
};
use botwire_core::runtime::router::{
    flavor_name, ArgSeparator, Extracted, Filter, Match, Route, Router, RouterError, TextMatch,
};

// ---------------------------------------------------------------------------------------------
// Allocation counting (per thread, so parallel tests do not disturb each other)
// ---------------------------------------------------------------------------------------------

struct CountingAlloc;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count_one() {
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every call is forwarded unchanged to the system allocator.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        System.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

fn allocations_during<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let start = ALLOCATIONS.with(Cell::get);
    let out = f();
    (ALLOCATIONS.with(Cell::get) - start, out)
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

const ALICE: &str = "telegram:10";
const BOB: &str = "telegram:20";

/// A Telegram text message from Alice in her private chat.
fn msg(text: &str) -> Event {
    Event {
        platform: Platform::Telegram,
        id: "1".into(),
        seq: Some(1),
        kind: EventKind::Message,
        platform_kind: "message".into(),
        chat: Some(Chat {
            key: ALICE.into(),
            chat_type: ChatType::Private,
            title: None,
        }),
        from: Some(User {
            key: ALICE.into(),
            name: "Alice".into(),
            username: Some("alice".into()),
            is_bot: false,
        }),
        message: Some(MessageKey::in_chat(ALICE, 7)),
        content_type: Some("text".into()),
        text: Some(text.into()),
        data: None,
        query_id: None,
        payload: Payload::Json(Box::new(serde_json::Value::Null)),
    }
}

fn from(mut e: Event, user: &str) -> Event {
    e.from.as_mut().unwrap().key = user.into();
    e
}

fn in_chat(mut e: Event, key: &str, chat_type: ChatType) -> Event {
    e.chat = Some(Chat {
        key: key.into(),
        chat_type,
        title: Some("A group".into()),
    });
    e
}

fn group_msg(text: &str) -> Event {
    in_chat(msg(text), "telegram:-100", ChatType::Supergroup)
}

/// A photo, with or without a caption.
fn photo(caption: Option<&str>) -> Event {
    let mut e = msg("");
    e.content_type = Some("photo".into());
    e.text = caption.map(Into::into);
    e
}

/// A Telegram button press with callback data.
fn callback(data: &str) -> Event {
    let mut e = msg("");
    e.kind = EventKind::ButtonPress;
    e.platform_kind = "callback_query".into();
    e.content_type = None;
    e.text = None;
    e.data = Some(data.into());
    e.query_id = Some("q1".into());
    e
}

fn inline_query(text: &str) -> Event {
    let mut e = msg(text);
    e.kind = EventKind::InlineQuery;
    e.platform_kind = "inline_query".into();
    e.chat = None;
    e.message = None;
    e.content_type = None;
    e.query_id = Some("q2".into());
    e
}

fn handler<H: Copy>(m: Option<Match<'_, H>>) -> Option<H> {
    m.map(|m| *m.handler)
}

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

#[test]
fn command_with_args() {
    let mut r = Router::new();
    r.command("echo", "echo").command("start", "start");

    let e = msg("/echo hello  big\tworld ");
    let m = r.route(&e).expect("echo matches");
    assert_eq!(*m.handler, "echo");
    let c = m.command().expect("a command match");
    assert_eq!(c.name, "echo");
    assert_eq!(c.prefix, "/");
    assert_eq!(c.username, None);
    assert_eq!(c.args, ["hello", "big", "world"]);
    assert_eq!(c.rest, "hello  big\tworld ");
    assert!(!m.addressed_elsewhere);

    let m = r.route(&msg("/start")).unwrap();
    assert_eq!(*m.handler, "start");
    assert!(m.command().unwrap().args.is_empty());
    assert_eq!(m.command().unwrap().rest, "");

    // A multi-line message: the newline ends the command word.
    let m = r.route(&msg("/echo\nline two")).unwrap();
    assert_eq!(m.command().unwrap().args, ["line", "two"]);

    // Not the same command, not at offset 0, no prefix.
    assert_eq!(handler(r.route(&msg("/echoes hi"))), None);
    assert_eq!(handler(r.route(&msg("say /echo hi"))), None);
    assert_eq!(handler(r.route(&msg("echo hi"))), None);
    assert_eq!(handler(r.route(&msg("/"))), None);
}

#[test]
fn several_names_in_one_route() {
    let mut r = Router::new();
    r.commands(["help", "h"], 1);
    assert_eq!(r.route(&msg("/h")).unwrap().command().unwrap().name, "h");
    assert_eq!(
        r.route(&msg("/help me")).unwrap().command().unwrap().name,
        "help"
    );
    assert!(r.route(&msg("/he")).is_none());
}

#[test]
fn command_separator_underscore() {
    let mut r = Router::new().with_separator("_");
    r.command("cmd", 1).command("other", 2);

    let m = r.route(&msg("/cmd_arg1_arg2")).unwrap();
    let c = m.command().unwrap();
    assert_eq!(c.name, "cmd");
    assert_eq!(c.args, ["arg1", "arg2"]);
    assert_eq!(c.rest, "arg1_arg2");

    // Python's str.split: empty pieces are kept.
    let m = r.route(&msg("/cmd__x_")).unwrap();
    assert_eq!(m.command().unwrap().args, ["", "x", ""]);

    // No separator: no arguments.
    let m = r.route(&msg("/cmd")).unwrap();
    assert!(m.command().unwrap().args.is_empty());

    // Whitespace still ends the command word; the rest is split on "_".
    let m = r.route(&msg("/cmd a_b")).unwrap();
    assert_eq!(m.command().unwrap().args, ["a", "b"]);

    // The bot username sits at the end of the command word.
    let r2 = {
        let mut r2 = Router::new()
            .with_separator(ArgSeparator::Text("_".into()))
            .with_bot_username("my_bot");
        r2.command("cmd", 1);
        r2
    };
    let m = r2.route(&msg("/cmd_a_b@my_bot c")).unwrap();
    let c = m.command().unwrap();
    assert_eq!(c.args, ["a", "b c"]);
    assert_eq!(c.username.as_deref(), Some("my_bot"));
    assert!(r2.route(&msg("/cmd_a@someone_else")).is_none());

    // The separator is not part of the name.
    assert_eq!(handler(r.route(&msg("/cmdx_1"))), None);
}

#[test]
fn command_separator_comma() {
    let mut r = Router::new().with_separator(',');
    r.command("add", 1);
    let m = r.route(&msg("/add 1,2,,3")).unwrap();
    assert_eq!(m.command().unwrap().args, ["1", "2", "", "3"]);
    let m = r.route(&msg("/add,4")).unwrap();
    assert_eq!(m.command().unwrap().args, ["4"]);

    // An empty separator means whitespace.
    let mut r = Router::new().with_separator(ArgSeparator::Text(String::new()));
    r.command("add", 1);
    let m = r.route(&msg("/add 1  2")).unwrap();
    assert_eq!(m.command().unwrap().args, ["1", "2"]);
    let mut r = Router::new().with_separator("");
    r.command("add", 1);
    assert_eq!(
        r.route(&msg("/add 1  2")).unwrap().command().unwrap().args,
        ["1", "2"]
    );
}

#[test]
fn command_prefixes() {
    let mut r = Router::new().with_prefixes(["!", "/"]);
    r.command("ping", 1);

    let m = r.route(&msg("!ping")).unwrap();
    assert_eq!(m.command().unwrap().prefix, "!");
    let m = r.route(&msg("/ping")).unwrap();
    assert_eq!(m.command().unwrap().prefix, "/");
    assert!(r.route(&msg(".ping")).is_none());
    assert!(r.route(&msg("ping")).is_none());

    // A longer prefix listed first wins over its own prefix.
    let mut r = Router::new().with_prefixes(["//", "/"]);
    r.command("x", 1).command("/x", 2);
    assert_eq!(handler(r.route(&msg("//x"))), Some(1));
    assert_eq!(handler(r.route(&msg("/x"))), Some(1));

    // Without prefixes, no command matches.
    let mut r = Router::new().with_prefixes(Vec::<String>::new());
    r.command("ping", 1);
    assert!(r.route(&msg("/ping")).is_none());

    // An empty prefix allows bare commands.
    let mut r = Router::new().with_prefixes([""]);
    r.command("ping", 1);
    assert_eq!(
        r.route(&msg("ping now")).unwrap().command().unwrap().args,
        ["now"]
    );
}

#[test]
fn command_addressed_to_this_bot() {
    let mut r = Router::new().with_bot_username("@This_Bot");
    r.command("start", "start");

    for text in ["/start@this_bot", "/start@THIS_BOT go", "/start"] {
        let m = r
            .route(&msg(text))
            .unwrap_or_else(|| panic!("{text} matches"));
        assert_eq!(*m.handler, "start");
        assert!(!m.addressed_elsewhere);
    }
    let m = r.route(&msg("/start@this_bot go")).unwrap();
    assert_eq!(m.command().unwrap().username.as_deref(), Some("this_bot"));
    assert_eq!(m.command().unwrap().args, ["go"]);
}

#[test]
fn command_addressed_to_another_bot() {
    let mut r = Router::new().with_bot_username("this_bot");
    r.command("start", "start");
    assert!(r.route(&msg("/start@other_bot")).is_none());
    assert!(r.route(&msg("/start@this_bot_2")).is_none());

    // It may still reach the catch-all, which is told.
    r.catch_all("fallback");
    let m = r.route(&msg("/start@other_bot")).unwrap();
    assert_eq!(*m.handler, "fallback");
    assert!(m.addressed_elsewhere);
    assert_eq!(m.extracted, Extracted::None);

    // A plain message reaching the catch-all is not addressed elsewhere.
    let m = r.route(&msg("hello")).unwrap();
    assert_eq!(*m.handler, "fallback");
    assert!(!m.addressed_elsewhere);

    // A regex can still see it.
    let mut r = Router::new().with_bot_username("this_bot");
    r.command("start", 1).regex("^/start", 2).unwrap();
    let m = r.route(&msg("/start@other_bot")).unwrap();
    assert_eq!(*m.handler, 2);
    assert!(m.addressed_elsewhere);
}

#[test]
fn command_with_username_and_no_username_configured() {
    let mut r = Router::new();
    r.command("start", 1);
    let m = r.route(&msg("/start@any_bot x")).unwrap();
    assert_eq!(*m.handler, 1);
    assert!(!m.addressed_elsewhere);
    assert_eq!(m.command().unwrap().username.as_deref(), Some("any_bot"));
    assert_eq!(m.command().unwrap().args, ["x"]);

    // Learning the username later changes the outcome.
    r.set_bot_username(Some("mine_bot"));
    assert!(r.route(&msg("/start@any_bot")).is_none());
    assert!(r.route(&msg("/start@Mine_Bot")).is_some());
    r.set_bot_username(None);
    assert!(r.route(&msg("/start@any_bot")).is_some());
}

#[test]
fn command_case() {
    let mut r = Router::new();
    r.command("start", 1);
    assert!(r.route(&msg("/Start")).is_none());
    assert!(r.route(&msg("/start")).is_some());

    let mut r = Router::new().with_ignore_case(true);
    r.command("Start", 1);
    for text in ["/start", "/START", "/sTaRt x"] {
        let m = r
            .route(&msg(text))
            .unwrap_or_else(|| panic!("{text} matches"));
        // The name as the route spells it.
        assert_eq!(m.command().unwrap().name, "Start");
    }
    assert!(r.route(&msg("/stort")).is_none());

    let mut r = Router::new().with_ignore_case(true);
    r.command("привет", 1);
    assert!(r.route(&msg("/ПРИВЕТ")).is_some());
}

#[test]
fn commands_only_in_chat_flavored_events() {
    let mut r = Router::new();
    r.command("start", 1);
    assert!(r.route(&inline_query("/start")).is_none());
    let mut edited = msg("/start");
    edited.kind = EventKind::EditedMessage;
    edited.platform_kind = "edited_message".into();
    assert!(r.route(&edited).is_some());
    // Captions count.
    assert!(r.route(&photo(Some("/start now"))).is_some());

    // A route can leave edits out.
    let mut r = Router::new();
    r.add(
        Route::command("start").when(Filter::kind(EventKind::Message)),
        1,
    );
    assert!(r.route(&edited).is_none());
    assert!(r.route(&msg("/start")).is_some());
}

// ---------------------------------------------------------------------------------------------
// Regex
// ---------------------------------------------------------------------------------------------

#[test]
fn regex_captures_are_passed_on() {
    let mut r = Router::new();
    r.regex(r"^/?echo (.+)$", "echo").unwrap();
    r.regex(r"(?P<num>\d+)(?:-(?P<to>\d+))?", "range").unwrap();

    let m = r.route(&msg("/echo hi there")).unwrap();
    assert_eq!(*m.handler, "echo");
    let c = m.captures().unwrap();
    assert_eq!(c.get(0), Some("/echo hi there"));
    assert_eq!(c.get(1), Some("hi there"));
    assert_eq!(c.get(2), None);
    assert_eq!(
        c.groups,
        [
            Some("/echo hi there".to_string()),
            Some("hi there".to_string())
        ]
    );
    assert_eq!(c.named().count(), 0);

    // Unanchored search; a group that did not take part is None.
    let m = r.route(&msg("pages 12 please")).unwrap();
    assert_eq!(*m.handler, "range");
    let c = m.captures().unwrap();
    assert_eq!(c.name("num"), Some("12"));
    assert_eq!(c.name("to"), None);
    assert_eq!(c.name("nope"), None);
    assert_eq!(c.groups, [Some("12".into()), Some("12".into()), None]);

    let m = r.route(&msg("3-5")).unwrap();
    let c = m.captures().unwrap();
    assert_eq!(
        c.named().collect::<Vec<_>>(),
        [("num", Some("3")), ("to", Some("5"))]
    );

    // Scratch space is reused between searches: a group absent now but present in the
    // previous match is still None.
    let m = r.route(&msg("pages 12 please")).unwrap();
    assert_eq!(m.captures().unwrap().name("to"), None);

    assert!(r.route(&msg("nothing here")).is_none());
    // Regexes see inline query text too.
    assert!(r.route(&inline_query("echo x")).is_some());
}

#[test]
fn invalid_regex_is_an_error() {
    let mut r = Router::new();
    let err = r.regex("(unclosed", 1).unwrap_err();
    match &err {
        RouterError::InvalidRegex { pattern, message } => {
            assert_eq!(pattern, "(unclosed");
            assert!(!message.is_empty());
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains("(unclosed"));
    assert!(Route::regex("[z-a]").is_err());
    assert!(Route::callback_regex("*").is_err());
    // Nothing was added.
    assert!(r.route(&msg("(unclosed")).is_none());
}

// ---------------------------------------------------------------------------------------------
// Callback data, text, content type, flavor, kind
// ---------------------------------------------------------------------------------------------

#[test]
fn callback_data_exact_and_prefix() {
    let mut r = Router::new();
    r.callback_data("pick", "exact")
        .callback_prefix("pick:", "prefix")
        .callback_regex(r"^page:(\d+)$", "page")
        .unwrap();

    let m = r.route(&callback("pick")).unwrap();
    assert_eq!(*m.handler, "exact");
    assert_eq!(m.callback_rest(), Some(""));

    let m = r.route(&callback("pick:2")).unwrap();
    assert_eq!(*m.handler, "prefix");
    assert_eq!(m.callback_rest(), Some("2"));
    assert_eq!(m.extracted, Extracted::CallbackData { rest: "2".into() });

    let m = r.route(&callback("page:7")).unwrap();
    assert_eq!(*m.handler, "page");
    assert_eq!(m.captures().unwrap().get(1), Some("7"));

    assert!(r.route(&callback("pic")).is_none());
    assert!(r.route(&callback("picking")).is_none());
    // Only button presses: a message with the same text, or data on another flavor, is not.
    assert!(r.route(&msg("pick")).is_none());
    let mut chosen = inline_query("x");
    chosen.kind = EventKind::ChosenInlineResult;
    chosen.platform_kind = "chosen_inline_result".into();
    chosen.data = Some("pick".into());
    assert!(r.route(&chosen).is_none());
}

#[test]
fn text_route_is_exact() {
    let mut r = Router::new();
    r.text("hello", 1);
    assert_eq!(handler(r.route(&msg("hello"))), Some(1));
    assert!(r.route(&msg("Hello")).is_none());
    assert!(r.route(&msg("hello!")).is_none());
    assert!(r.route(&msg(" hello")).is_none());
    assert_eq!(r.route(&msg("hello")).unwrap().extracted, Extracted::None);
}

#[test]
fn content_type_route() {
    let mut r = Router::new();
    r.content_type("photo", "photo")
        .content_type("text", "text");
    assert_eq!(handler(r.route(&photo(None))), Some("photo"));
    assert_eq!(handler(r.route(&photo(Some("caption")))), Some("photo"));
    assert_eq!(handler(r.route(&msg("hi"))), Some("text"));
    assert!(r.route(&callback("x")).is_none());
}

#[test]
fn flavor_route_and_names() {
    let mut r = Router::new();
    r.flavor("callback_query", "cb")
        .flavor("inline_query", "iq")
        .flavor("chat", "chat");
    assert_eq!(handler(r.route(&callback("x"))), Some("cb"));
    assert_eq!(handler(r.route(&inline_query("x"))), Some("iq"));
    assert_eq!(handler(r.route(&msg("x"))), Some("chat"));

    let mut post = msg("x");
    post.platform_kind = "channel_post".into();
    assert_eq!(flavor_name(&post), "chat");
    let mut poll = msg("x");
    poll.kind = EventKind::Unknown;
    poll.platform_kind = "poll_answer".into();
    assert_eq!(flavor_name(&poll), "poll_answer");
    assert!(r.route(&poll).is_none());

    // Other platforms: from the event kind.
    let mut press = callback("x");
    press.platform = Platform::Stream;
    press.platform_kind = "message.action".into();
    assert_eq!(flavor_name(&press), "callback_query");
    assert_eq!(handler(r.route(&press)), Some("cb"));
    let mut edit = msg("x");
    edit.platform = Platform::TrueConf;
    edit.kind = EventKind::EditedMessage;
    edit.platform_kind = "editMessage".into();
    assert_eq!(flavor_name(&edit), "chat");
    let mut joined = msg("x");
    joined.platform = Platform::Teamwire;
    joined.kind = EventKind::MemberJoined;
    joined.platform_kind = "member.added".into();
    assert_eq!(flavor_name(&joined), "member_joined");
}

#[test]
fn kind_route() {
    let mut r = Router::new();
    r.on(EventKind::ButtonPress, 1).on(EventKind::Message, 2);
    assert_eq!(handler(r.route(&callback("x"))), Some(1));
    assert_eq!(handler(r.route(&msg("x"))), Some(2));
    assert!(r.route(&inline_query("x")).is_none());
}

// ---------------------------------------------------------------------------------------------
// Order
// ---------------------------------------------------------------------------------------------

#[test]
fn first_match_wins() {
    let mut r = Router::new();
    r.regex("^/start", "regex").unwrap();
    r.command("start", "command");
    r.on(EventKind::Message, "any message");
    assert_eq!(handler(r.route(&msg("/start"))), Some("regex"));
    assert_eq!(handler(r.route(&msg("/help"))), Some("any message"));

    let mut r = Router::new();
    r.command("start", "command");
    r.regex("^/start", "regex").unwrap();
    assert_eq!(handler(r.route(&msg("/start"))), Some("command"));
}

#[test]
fn catch_all_is_a_fallback() {
    let mut r = Router::new();
    r.catch_all("first fallback");
    r.command("start", "start");
    // Registered first, tried last.
    assert_eq!(handler(r.route(&msg("/start"))), Some("start"));
    assert_eq!(handler(r.route(&msg("/other"))), Some("first fallback"));
    assert_eq!(handler(r.route(&callback("x"))), Some("first fallback"));
    // A second one replaces it.
    r.catch_all("second fallback");
    assert_eq!(handler(r.route(&msg("/other"))), Some("second fallback"));

    // A positional always-route, by contrast, shadows what follows.
    let mut r = Router::new();
    r.route_when(Filter::always(), "always");
    r.command("start", "start");
    assert_eq!(handler(r.route(&msg("/start"))), Some("always"));

    // No catch-all: nothing.
    let mut r = Router::new();
    r.command("start", "start");
    assert!(r.route(&msg("/other")).is_none());
}

// ---------------------------------------------------------------------------------------------
// Filters
// ---------------------------------------------------------------------------------------------

#[test]
fn filter_chat_type() {
    let mut r = Router::new();
    r.add(
        Route::command("ban").when(Filter::chat_types([ChatType::Group, ChatType::Supergroup])),
        "ban",
    );
    r.add(
        Route::command("ban").when(Filter::chat_type(ChatType::Private)),
        "private ban",
    );
    assert_eq!(handler(r.route(&group_msg("/ban"))), Some("ban"));
    assert_eq!(handler(r.route(&msg("/ban"))), Some("private ban"));
    let channel = in_chat(msg("/ban"), "telegram:-200", ChatType::Channel);
    assert!(r.route(&channel).is_none());
    let mut no_chat = msg("/ban");
    no_chat.chat = None;
    assert!(r.route(&no_chat).is_none());
}

#[test]
fn filter_users_and_chats() {
    let admins = Filter::users([ALICE]);
    let mut r = Router::new();
    r.add(Route::command("admin").when(admins.clone()), 1);
    r.route_when(Filter::chats(["telegram:-100"]), 2);
    assert_eq!(handler(r.route(&msg("/admin"))), Some(1));
    assert!(r.route(&from(msg("/admin"), BOB)).is_none());
    assert_eq!(handler(r.route(&from(group_msg("/admin"), BOB))), Some(2));
    let mut anonymous = msg("/admin");
    anonymous.from = None;
    assert!(r.route(&anonymous).is_none());

    assert!(admins.matches(&msg("x")));
    assert!(!admins.matches(&from(msg("x"), BOB)));
}

#[test]
fn filter_combinators() {
    let private = Filter::chat_type(ChatType::Private);
    let alice = Filter::users([ALICE]);

    let not_private = !private.clone();
    assert!(!not_private.matches(&msg("x")));
    assert!(not_private.matches(&group_msg("x")));
    assert!(Filter::not(not_private.clone()).matches(&msg("x")));

    let either = private.clone() | Filter::users([BOB]);
    assert!(either.matches(&msg("x")));
    assert!(either.matches(&from(group_msg("x"), BOB)));
    assert!(!either.matches(&group_msg("x")));

    let both = alice.clone().and(Filter::not(private.clone()));
    assert!(both.matches(&group_msg("x")));
    assert!(!both.matches(&msg("x")));
    assert!(!both.matches(&from(group_msg("x"), BOB)));

    let chained = Filter::kind(EventKind::Message).or(Filter::kind(EventKind::ButtonPress));
    assert!(chained.matches(&callback("x")));
    assert!(!chained.matches(&inline_query("x")));

    assert!(Filter::all([]).matches(&msg("x")));
    assert!(!Filter::any([]).matches(&msg("x")));
    assert!(Filter::all([private.clone(), alice.clone()]).matches(&msg("x")));
    assert!(!Filter::all([private.clone(), !alice.clone()]).matches(&msg("x")));
    assert!(Filter::any([!private, alice]).matches(&msg("x")));

    assert!(Filter::platform(Platform::Telegram).matches(&msg("x")));
    assert!(!Filter::platforms([Platform::Stream, Platform::Teamwire]).matches(&msg("x")));
    assert!(Filter::kinds([EventKind::InlineQuery, EventKind::Message]).matches(&msg("x")));
    assert!(Filter::flavors(["inline_query", "callback_query"]).matches(&callback("x")));
    assert!(Filter::content_types(["photo", "video"]).matches(&photo(None)));
    assert!(!Filter::content_types(["photo", "video"]).matches(&msg("x")));
    assert!(Filter::text("x").matches(&msg("x")));
    assert!(Filter::callback_data("x").matches(&callback("x")));
    assert!(Filter::callback_prefix("ab").matches(&callback("abc")));
    assert!(!Filter::callback_prefix("ab").matches(&msg("abc")));
}

#[test]
fn filter_custom() {
    let long_text = Filter::custom(|e: &Event| e.text.as_deref().is_some_and(|t| t.len() > 5));
    let mut r = Router::new();
    r.route_when(long_text & Filter::kind(EventKind::Message), "long");
    r.catch_all("short");
    assert_eq!(handler(r.route(&msg("a long text"))), Some("long"));
    assert_eq!(handler(r.route(&msg("tiny"))), Some("short"));
    assert_eq!(handler(r.route(&photo(None))), Some("short"));
}

// ---------------------------------------------------------------------------------------------
// Nesting and hooks
// ---------------------------------------------------------------------------------------------

#[test]
fn nested_routers_with_filters() {
    let mut admin = Router::new();
    admin
        .command("ban", "admin ban")
        .command("stats", "admin stats");

    let mut groups = Router::new();
    groups.command("stats", "group stats");
    groups.catch_all("group fallback");

    let mut r = Router::new();
    r.command("start", "start");
    r.nest(Filter::users([ALICE]), admin);
    r.nest(Filter::chat_type(ChatType::Supergroup), groups);
    r.command("stats", "stats");
    r.command("ban", "no ban for you");

    // Alice reaches the admin router, at its position.
    assert_eq!(handler(r.route(&msg("/ban"))), Some("admin ban"));
    assert_eq!(handler(r.route(&group_msg("/stats"))), Some("admin stats"));
    // Routes before the nest still come first.
    assert_eq!(handler(r.route(&msg("/start"))), Some("start"));
    // Bob falls through to the next nest (in a supergroup) or to the parent's later routes.
    assert_eq!(
        handler(r.route(&from(group_msg("/stats"), BOB))),
        Some("group stats")
    );
    assert_eq!(handler(r.route(&from(msg("/stats"), BOB))), Some("stats"));
    assert_eq!(
        handler(r.route(&from(msg("/ban"), BOB))),
        Some("no ban for you")
    );
    // A nested catch-all claims every event its filter accepts.
    assert_eq!(
        handler(r.route(&from(group_msg("/ban"), BOB))),
        Some("group fallback")
    );
    assert_eq!(
        handler(r.route(&from(group_msg("hi"), BOB))),
        Some("group fallback")
    );
    // Nothing for Bob's private chatter.
    assert!(r.route(&from(msg("hi"), BOB)).is_none());
}

#[test]
fn nested_routers_inherit_command_options() {
    let mut sub = Router::new();
    sub.command("ping", "sub ping");
    let mut sub_own = Router::new().with_prefixes(["#"]);
    sub_own.command("tag", "sub tag");

    let mut r = Router::new()
        .with_prefixes(["!"])
        .with_ignore_case(true)
        .with_bot_username("my_bot");
    r.nest(Filter::always(), sub);
    r.nest(Filter::always(), sub_own);

    let m = r.route(&msg("!PING@my_bot")).unwrap();
    assert_eq!(*m.handler, "sub ping");
    assert!(r.route(&msg("/ping")).is_none());
    assert!(r.route(&msg("!ping@other_bot")).is_none());
    assert_eq!(handler(r.route(&msg("#TAG"))), Some("sub tag"));
    assert!(r.route(&msg("!tag")).is_none());
}

#[test]
fn hook_order_with_nesting() {
    let mut inner = Router::new();
    inner.before("inner before");
    inner.after("inner after 1").after("inner after 2");
    inner.command("deep", "deep");

    let mut middle = Router::new();
    middle.before("middle before").after("middle after");
    middle.nest(Filter::always(), inner);
    middle.command("mid", "mid");

    let mut root = Router::new();
    root.before("root before 1").before("root before 2");
    root.after("root after");
    root.command("top", "top");
    root.nest(Filter::kind(EventKind::Message), middle);
    root.catch_all("fallback");

    let m = root.route(&msg("/deep")).unwrap();
    assert_eq!(*m.handler, "deep");
    assert_eq!(
        m.before,
        [
            &"root before 1",
            &"root before 2",
            &"middle before",
            &"inner before"
        ]
    );
    assert_eq!(
        m.after,
        [
            &"inner after 1",
            &"inner after 2",
            &"middle after",
            &"root after"
        ]
    );

    let m = root.route(&msg("/mid")).unwrap();
    assert_eq!(
        m.before,
        [&"root before 1", &"root before 2", &"middle before"]
    );
    assert_eq!(m.after, [&"middle after", &"root after"]);

    let m = root.route(&msg("/top")).unwrap();
    assert_eq!(m.before, [&"root before 1", &"root before 2"]);
    assert_eq!(m.after, [&"root after"]);

    // The catch-all is the root's: root hooks only.
    let m = root.route(&callback("x")).unwrap();
    assert_eq!(*m.handler, "fallback");
    assert_eq!(m.before, [&"root before 1", &"root before 2"]);
    assert_eq!(m.after, [&"root after"]);
}

// ---------------------------------------------------------------------------------------------
// Events without text, allocation, handler types
// ---------------------------------------------------------------------------------------------

#[test]
fn events_without_text() {
    let mut r = Router::new();
    r.command("start", 1);
    r.regex(".*", 2).unwrap();
    r.text("", 3);
    r.callback_prefix("", 4);
    assert!(r.route(&photo(None)).is_none());
    let mut service = msg("");
    service.text = None;
    service.content_type = Some("new_chat_members".into());
    assert!(r.route(&service).is_none());

    r.catch_all(5);
    let m = r.route(&photo(None)).unwrap();
    assert_eq!(*m.handler, 5);
    assert!(!m.addressed_elsewhere);
}

#[test]
fn routing_a_non_matching_event_does_not_allocate() {
    let mut sub = Router::new();
    sub.command("sub", 0);
    let mut r = Router::new().with_bot_username("my_bot");
    r.commands(["start", "help"], 1)
        .command("stats", 2)
        .regex(r"^echo (?P<x>.+)$", 3)
        .unwrap()
        .callback_prefix("pick:", 4)
        .text("hello", 5)
        .content_type("photo", 6)
        .flavor("inline_query", 7)
        .route_when(
            Filter::users([BOB]) & !Filter::chat_type(ChatType::Private),
            8,
        )
        .nest(Filter::chat_type(ChatType::Private), sub);

    let events = [
        msg("/other and more"),
        msg("/start@other_bot"),
        msg("just chatting"),
        callback("nope"),
        group_msg("/Start"),
    ];
    // Warm up the regex's cache pool, then measure.
    for e in &events {
        assert!(r.route(e).is_none());
    }
    let (allocs, misses) =
        allocations_during(|| events.iter().filter(|e| r.route(e).is_none()).count());
    assert_eq!(misses, events.len());
    assert_eq!(allocs, 0, "routing non-matching events allocated");

    // A matching event does allocate (it carries the arguments); the counter works.
    let (allocs, m) = allocations_during(|| r.route(&msg("/start a b")).map(|m| m.extracted));
    assert!(m.is_some());
    assert!(allocs > 0);
}

type Reply = Box<dyn Fn(&Event, &Extracted<'_>) -> String + Send + Sync>;

#[test]
fn closures_as_handlers() {
    let mut r: Router<Reply> = Router::new();
    r.command(
        "echo",
        Box::new(|_, x| match x {
            Extracted::Command(c) => c.rest.clone(),
            _ => unreachable!(),
        }),
    );
    r.catch_all(Box::new(|e, _| {
        format!("? {}", e.text.as_deref().unwrap_or(""))
    }));
    r.before(Box::new(|_, _| "before".into()));

    let e = msg("/echo hi there");
    let m = r.route(&e).unwrap();
    assert_eq!((m.handler)(&e, &m.extracted), "hi there");
    assert_eq!((m.before[0])(&e, &m.extracted), "before");
    let e = msg("what");
    let m = r.route(&e).unwrap();
    assert_eq!((m.handler)(&e, &m.extracted), "? what");

    fn is_send_sync<T: Send + Sync>(_: &T) {}
    is_send_sync(&r);
}

#[test]
fn routing_from_several_threads() {
    let mut r = Router::new();
    r.regex(r"^n(\d+)$", "n").unwrap();
    r.command("start", "start");
    std::thread::scope(|scope| {
        for t in 0..4 {
            let r = &r;
            scope.spawn(move || {
                for i in 0..200 {
                    let text = format!("n{}", t * 1000 + i);
                    let m = r.route(&msg(&text)).unwrap();
                    assert_eq!(m.captures().unwrap().get(1), Some(&text[1..]));
                    assert!(r.route(&msg("x")).is_none());
                }
            });
        }
    });
}

#[test]
fn host_tests_decide_text_and_callback_routes_and_carry_their_captures() {
    let mut r: Router<&str> = Router::new();
    // A host's own matcher (the npm package runs a JavaScript RegExp here).
    r.add(
        Route::test(|text| {
            let word = text.strip_prefix("say ")?;
            Some(TextMatch {
                groups: vec![Some(text.to_owned()), Some(word.to_owned())],
                named: vec![("word".to_owned(), Some(word.to_owned()))],
            })
        }),
        "say",
    );
    r.add(
        Route::callback_test(|data| (data == "yes").then(TextMatch::default)),
        "yes",
    );
    let m = r.route(&msg("say hi")).unwrap();
    assert_eq!(*m.handler, "say");
    assert_eq!(
        m.extracted,
        Extracted::Tested(TextMatch {
            groups: vec![Some("say hi".into()), Some("hi".into())],
            named: vec![("word".into(), Some("hi".into()))],
        })
    );
    assert!(r.route(&msg("shout hi")).is_none());
    // A text test is not tried on callback data, nor a data test on texts.
    assert!(r.route(&callback("say hi")).is_none());
    assert!(r.route(&msg("yes")).is_none());
    assert_eq!(*r.route(&callback("yes")).unwrap().handler, "yes");
}
