//! Conversations: seeders, idle timeouts, persistence and storage failures.

use botwire_core::runtime::conversation::{
    message_seed, ConversationConfig, Conversations, KeyFilter, Seeder,
};
use botwire_core::runtime::model::{
    Chat, ChatType, Event, EventKind, MessageKey, Payload, Platform, User,
};
use botwire_core::runtime::storage::{MemoryStorage, Storage, StorageError};
use botwire_core::telegram::types::Update;

// ---------------------------------------------------------------------------------------
// Event builders

fn event(kind: EventKind) -> Event {
    Event {
        platform: Platform::Telegram,
        id: "1".into(),
        seq: Some(1),
        kind,
        platform_kind: "message".into(),
        chat: None,
        from: None,
        message: None,
        content_type: None,
        text: None,
        data: None,
        query_id: None,
        payload: Payload::Json(Box::new(serde_json::Value::Null)),
    }
}

fn chat(key: &str, chat_type: ChatType) -> Option<Chat> {
    Some(Chat {
        key: key.into(),
        chat_type,
        title: None,
    })
}

fn user(key: &str) -> Option<User> {
    Some(User {
        key: key.into(),
        name: "Ann".into(),
        username: None,
        is_bot: false,
    })
}

/// A text message `id` from `from` in the private or group chat `chat_key`.
fn message_in(chat_key: &str, chat_type: ChatType, from: &str, id: i64) -> Event {
    let mut e = event(EventKind::Message);
    e.chat = chat(chat_key, chat_type);
    e.from = user(from);
    e.message = Some(MessageKey::in_chat(chat_key, id));
    e.content_type = Some("text".into());
    e.text = Some("hello".into());
    e
}

fn text(chat_key: &str) -> Event {
    message_in(chat_key, ChatType::Private, "telegram:7", 1)
}

/// A press of a button under message `id` of `chat_key`.
fn press_in_chat(chat_key: &str, id: i64, from: &str) -> Event {
    let mut e = event(EventKind::ButtonPress);
    e.platform_kind = "callback_query".into();
    e.chat = chat(chat_key, ChatType::Group);
    e.from = user(from);
    e.message = Some(MessageKey::in_chat(chat_key, id));
    e.data = Some("yes".into());
    e.query_id = Some("q1".into());
    e
}

fn press_inline(inline_id: &str, from: &str) -> Event {
    let mut e = event(EventKind::ButtonPress);
    e.platform_kind = "callback_query".into();
    e.from = user(from);
    e.message = Some(MessageKey::Inline {
        platform: Platform::Telegram,
        inline_id: inline_id.into(),
    });
    e
}

fn inline_query(from: &str) -> Event {
    let mut e = event(EventKind::InlineQuery);
    e.platform_kind = "inline_query".into();
    e.from = user(from);
    e.text = Some("cats".into());
    e.query_id = Some("iq".into());
    e
}

fn chosen_result(from: &str) -> Event {
    let mut e = event(EventKind::ChosenInlineResult);
    e.platform_kind = "chosen_inline_result".into();
    e.from = user(from);
    e.data = Some("r1".into());
    e
}

/// A channel post: a chat, no sender.
fn channel_post(chat_key: &str) -> Event {
    let mut e = event(EventKind::Message);
    e.platform_kind = "channel_post".into();
    e.chat = chat(chat_key, ChatType::Channel);
    e.message = Some(MessageKey::in_chat(chat_key, 3));
    e
}

/// An event carrying a Telegram update parsed from JSON (the shared fields are left empty:
/// the Telegram-specific seeders must read the payload).
fn telegram(kind: EventKind, json: &str) -> Event {
    let update: Update = serde_json::from_str(json).expect("valid update");
    let mut e = event(kind);
    e.platform_kind = update.kind.name().to_owned().into();
    e.payload = Payload::Telegram(Box::new(update));
    e
}

const FROM: &str = r#"{"id":7,"is_bot":false,"first_name":"Ann"}"#;

fn shipping_query(payload: &str) -> Event {
    telegram(
        EventKind::Unknown,
        &format!(
            r#"{{"update_id":1,"shipping_query":{{"id":"sq","from":{FROM},"invoice_payload":"{payload}",
            "shipping_address":{{"country_code":"DE","state":"","city":"Berlin","street_line1":"Main 1",
            "street_line2":"","post_code":"10115"}}}}}}"#
        ),
    )
}

fn pre_checkout_query(payload: &str) -> Event {
    telegram(
        EventKind::Unknown,
        &format!(
            r#"{{"update_id":2,"pre_checkout_query":{{"id":"pq","from":{FROM},"currency":"EUR",
            "total_amount":500,"invoice_payload":"{payload}"}}}}"#
        ),
    )
}

fn successful_payment(payload: &str) -> Event {
    telegram(
        EventKind::Message,
        &format!(
            r#"{{"update_id":3,"message":{{"message_id":9,"date":1700000000,"chat":{{"id":7,"type":"private"}},
            "from":{FROM},"successful_payment":{{"currency":"EUR","total_amount":500,
            "invoice_payload":"{payload}","telegram_payment_charge_id":"t","provider_payment_charge_id":"p"}}}}}}"#
        ),
    )
}

fn telegram_text_message() -> Event {
    telegram(
        EventKind::Message,
        &format!(
            r#"{{"update_id":4,"message":{{"message_id":9,"date":1700000000,"chat":{{"id":7,"type":"private"}},
            "from":{FROM},"text":"hi"}}}}"#
        ),
    )
}

// ---------------------------------------------------------------------------------------
// Seeders

#[test]
fn per_chat_seeds_every_event_of_a_chat() {
    let s = Seeder::per_chat();
    assert_eq!(
        s.seed(&text("telegram:42")).as_deref(),
        Some("chat:telegram:42")
    );
    assert_eq!(
        s.seed(&press_in_chat("telegram:-100", 5, "telegram:7"))
            .as_deref(),
        Some("chat:telegram:-100")
    );
    assert_eq!(
        s.seed(&channel_post("telegram:-1009")).as_deref(),
        Some("chat:telegram:-1009")
    );
    // No chat: no seed.
    assert_eq!(s.seed(&inline_query("telegram:7")), None);
    assert_eq!(s.seed(&press_inline("AAA", "telegram:7")), None);
    assert_eq!(s.seed(&shipping_query("order-1")), None);
}

#[test]
fn per_chat_filters_chat_types() {
    let s = Seeder::per_chat().with_chat_types([ChatType::Group, ChatType::Supergroup]);
    let private = message_in("telegram:7", ChatType::Private, "telegram:7", 1);
    let group = message_in("telegram:-5", ChatType::Group, "telegram:7", 1);
    let supergroup = message_in("telegram:-1005", ChatType::Supergroup, "telegram:7", 1);
    assert_eq!(s.seed(&private), None);
    assert_eq!(s.seed(&group).as_deref(), Some("chat:telegram:-5"));
    assert_eq!(s.seed(&supergroup).as_deref(), Some("chat:telegram:-1005"));
    assert_eq!(s.seed(&channel_post("telegram:-1009")), None);
    // with_chat_types leaves other seeders alone.
    assert_eq!(
        Seeder::per_application().with_chat_types([ChatType::Group]),
        Seeder::PerApplication
    );
}

#[test]
fn per_chat_in_and_except_filter_chat_keys() {
    let only = Seeder::per_chat_in(["telegram:1", "telegram:2"]);
    assert_eq!(
        only.seed(&text("telegram:1")).as_deref(),
        Some("chat:telegram:1")
    );
    assert_eq!(only.seed(&text("telegram:3")), None);

    let except = Seeder::per_chat_except(["telegram:1"]);
    assert_eq!(except.seed(&text("telegram:1")), None);
    assert_eq!(
        except.seed(&text("telegram:3")).as_deref(),
        Some("chat:telegram:3")
    );

    // Both lists and a type filter at once: the deny list wins, the type must match.
    let both = Seeder::PerChat {
        types: Some(vec![ChatType::Private]),
        chats: KeyFilter {
            only: Some(["telegram:1".to_owned(), "telegram:2".to_owned()].into()),
            except: ["telegram:2".to_owned()].into(),
        },
    };
    assert_eq!(
        both.seed(&text("telegram:1")).as_deref(),
        Some("chat:telegram:1")
    );
    assert_eq!(both.seed(&text("telegram:2")), None);
    assert_eq!(
        both.seed(&message_in("telegram:1", ChatType::Group, "telegram:7", 1)),
        None
    );
}

#[test]
fn per_from_seeds_the_sender() {
    let s = Seeder::per_from();
    assert_eq!(
        s.seed(&text("telegram:42")).as_deref(),
        Some("user:telegram:7")
    );
    assert_eq!(
        s.seed(&press_in_chat("telegram:-100", 5, "telegram:8"))
            .as_deref(),
        Some("user:telegram:8")
    );
    assert_eq!(
        s.seed(&inline_query("telegram:9")).as_deref(),
        Some("user:telegram:9")
    );
    // A channel post has no sender.
    assert_eq!(s.seed(&channel_post("telegram:-1009")), None);

    let messages_only = Seeder::PerFrom {
        kinds: Some(vec![EventKind::Message]),
        users: KeyFilter::except(["telegram:666"]),
    };
    assert_eq!(
        messages_only.seed(&text("telegram:42")).as_deref(),
        Some("user:telegram:7")
    );
    assert_eq!(
        messages_only.seed(&press_in_chat("telegram:-100", 5, "telegram:8")),
        None
    );
    assert_eq!(
        messages_only.seed(&message_in(
            "telegram:1",
            ChatType::Private,
            "telegram:666",
            1
        )),
        None
    );
    let only = Seeder::PerFrom {
        kinds: None,
        users: KeyFilter::only(["telegram:8"]),
    };
    assert_eq!(only.seed(&text("telegram:42")), None);
    assert!(only.seed(&inline_query("telegram:8")).is_some());
}

#[test]
fn per_inline_from_takes_only_inline_queries_and_chosen_results() {
    let s = Seeder::per_inline_from();
    assert_eq!(
        s.seed(&inline_query("telegram:7")).as_deref(),
        Some("user:telegram:7")
    );
    assert_eq!(
        s.seed(&chosen_result("telegram:7")).as_deref(),
        Some("user:telegram:7")
    );
    assert_eq!(s.seed(&text("telegram:7")), None);
    assert_eq!(s.seed(&press_inline("AAA", "telegram:7")), None);

    let except = Seeder::PerInlineFrom {
        users: KeyFilter::except(["telegram:7"]),
    };
    assert_eq!(except.seed(&inline_query("telegram:7")), None);
    assert!(except.seed(&inline_query("telegram:8")).is_some());
}

#[test]
fn per_application_seeds_everything_alike() {
    let s = Seeder::per_application();
    for e in [
        text("telegram:1"),
        inline_query("telegram:7"),
        event(EventKind::Unknown),
        shipping_query("x"),
    ] {
        assert_eq!(s.seed(&e).as_deref(), Some("app"));
    }
}

#[test]
fn per_message_maps_edits_and_presses_back_to_the_message() {
    let s = Seeder::per_message();
    let first = message_in("telegram:42", ChatType::Private, "telegram:7", 10);
    let second = message_in("telegram:42", ChatType::Private, "telegram:7", 11);
    assert_eq!(s.seed(&first).as_deref(), Some("message:telegram:42/10"));
    assert_ne!(s.seed(&first), s.seed(&second));

    let mut edit = first.clone();
    edit.kind = EventKind::EditedMessage;
    assert_eq!(s.seed(&edit), s.seed(&first));
    // The bot answered message 10 with its message 12 carrying a keyboard.
    let press = press_in_chat("telegram:42", 12, "telegram:7");
    assert_eq!(s.seed(&press).as_deref(), Some("message:telegram:42/12"));
    assert_eq!(
        s.seed(&press),
        Some(message_seed(&MessageKey::in_chat("telegram:42", 12)))
    );
    // No message, no seed.
    assert_eq!(s.seed(&inline_query("telegram:7")), None);

    let new_only = Seeder::PerMessage {
        kinds: Some(vec![EventKind::Message]),
    };
    assert!(new_only.seed(&first).is_some());
    assert_eq!(new_only.seed(&edit), None);
    assert_eq!(new_only.seed(&press), None);
}

#[test]
fn per_callback_query_origin_groups_presses_by_keyboard_message() {
    let s = Seeder::per_callback_query_origin();
    let a = press_in_chat("telegram:-100", 5, "telegram:7");
    let b = press_in_chat("telegram:-100", 5, "telegram:8");
    let other = press_in_chat("telegram:-100", 6, "telegram:7");
    assert_eq!(s.seed(&a).as_deref(), Some("message:telegram:-100/5"));
    assert_eq!(s.seed(&a), s.seed(&b), "two users, same keyboard");
    assert_ne!(s.seed(&a), s.seed(&other));
    assert_eq!(
        s.seed(&press_inline("AAA", "telegram:7")).as_deref(),
        Some("inline_message:telegram:AAA")
    );
    // Not a press.
    assert_eq!(s.seed(&text("telegram:-100")), None);
    assert_eq!(s.seed(&chosen_result("telegram:7")), None);

    let chat_only = Seeder::PerCallbackQueryOrigin {
        chat: true,
        inline: false,
    };
    assert!(chat_only.seed(&a).is_some());
    assert_eq!(chat_only.seed(&press_inline("AAA", "telegram:7")), None);
    let inline_only = Seeder::PerCallbackQueryOrigin {
        chat: false,
        inline: true,
    };
    assert_eq!(inline_only.seed(&a), None);
}

#[test]
fn per_callback_query_origin_falls_back_to_the_telegram_payload() {
    let s = Seeder::per_callback_query_origin();
    let in_chat = telegram(
        EventKind::ButtonPress,
        &format!(
            r#"{{"update_id":5,"callback_query":{{"id":"cq","from":{FROM},"chat_instance":"ci","data":"x",
            "message":{{"message_id":8,"date":1700000000,"chat":{{"id":-100,"type":"supergroup","title":"G"}}}}}}}}"#
        ),
    );
    assert_eq!(s.seed(&in_chat).as_deref(), Some("message:telegram:-100/8"));
    let inline = telegram(
        EventKind::ButtonPress,
        &format!(
            r#"{{"update_id":6,"callback_query":{{"id":"cq","from":{FROM},"chat_instance":"ci",
            "inline_message_id":"BBB"}}}}"#
        ),
    );
    assert_eq!(
        s.seed(&inline).as_deref(),
        Some("inline_message:telegram:BBB")
    );
    let neither = telegram(
        EventKind::ButtonPress,
        &format!(
            r#"{{"update_id":7,"callback_query":{{"id":"cq","from":{FROM},"chat_instance":"ci","game_short_name":"g"}}}}"#
        ),
    );
    assert_eq!(s.seed(&neither), None);
}

#[test]
fn per_invoice_payload_reads_the_telegram_payment_updates() {
    let s = Seeder::per_invoice_payload();
    let expected = Some("invoice:telegram:order-1".to_owned());
    assert_eq!(s.seed(&shipping_query("order-1")), expected);
    assert_eq!(s.seed(&pre_checkout_query("order-1")), expected);
    assert_eq!(s.seed(&successful_payment("order-1")), expected);
    assert_ne!(s.seed(&pre_checkout_query("order-2")), expected);
    // Wrong kinds: a plain message, a non-Telegram payload, a button press.
    assert_eq!(s.seed(&telegram_text_message()), None);
    let mut json = text("telegram:7");
    json.data = Some("order-1".into());
    assert_eq!(s.seed(&json), None);
    assert_eq!(s.seed(&press_in_chat("telegram:7", 1, "telegram:7")), None);
}

#[test]
fn first_of_takes_the_first_seed() {
    let s = Seeder::FirstOf(vec![
        Seeder::per_callback_query_origin(),
        Seeder::per_inline_from(),
    ]);
    assert_eq!(
        s.seed(&press_in_chat("telegram:1", 2, "telegram:7"))
            .as_deref(),
        Some("message:telegram:1/2")
    );
    assert_eq!(
        s.seed(&inline_query("telegram:7")).as_deref(),
        Some("user:telegram:7")
    );
    assert_eq!(s.seed(&text("telegram:1")), None);
}

// ---------------------------------------------------------------------------------------
// The manager

fn manager(timeout: u64) -> Conversations<MemoryStorage> {
    Conversations::new(
        MemoryStorage::new(),
        ConversationConfig::new(Seeder::per_chat(), timeout),
    )
}

#[test]
fn events_without_seed_are_ignored() {
    let mut c = manager(1000);
    assert_eq!(c.on_event(0, &inline_query("telegram:7")).unwrap(), None);
    assert!(c.is_empty());
    assert!(c.storage().is_empty());
    assert_eq!(c.poll_timeout(), None);
}

#[test]
fn idle_timeout_fires_exactly_at_the_deadline() {
    let mut c = manager(500);
    let turn = c.on_event(1000, &text("telegram:1")).unwrap().unwrap();
    assert!(turn.new);
    assert_eq!(turn.state, None);
    assert_eq!(turn.deadline, Some(1500));
    c.save(1000, &turn.key, b"s1").unwrap();
    assert_eq!(c.poll_timeout(), Some(1500));

    assert_eq!(c.handle_timeout(1499).unwrap(), 0);
    assert!(c.poll_expired().is_none());
    assert!(c.is_live("chat:telegram:1"));

    assert_eq!(c.handle_timeout(1500).unwrap(), 1);
    let expired = c.poll_expired().unwrap();
    assert_eq!(expired.key, "chat:telegram:1");
    assert_eq!(expired.state.as_deref(), Some(&b"s1"[..]));
    assert_eq!(expired.deadline, 1500);
    assert!(c.poll_expired().is_none());
    assert!(!c.is_live("chat:telegram:1"));
    assert!(c.storage().is_empty(), "the state is deleted");
    assert_eq!(c.poll_timeout(), None);
    // A spurious call is a no-op.
    assert_eq!(c.handle_timeout(10_000).unwrap(), 0);

    // The next message starts a new conversation.
    let turn = c.on_event(2000, &text("telegram:1")).unwrap().unwrap();
    assert!(turn.new);
    assert_eq!(turn.state, None);
}

#[test]
fn a_refresh_postpones_expiry_and_the_stale_timer_is_ignored() {
    let mut c = manager(500);
    c.on_event(0, &text("telegram:1")).unwrap();
    c.on_event(100, &text("telegram:2")).unwrap();
    let turn = c.on_event(300, &text("telegram:1")).unwrap().unwrap();
    assert!(!turn.new);
    assert_eq!(turn.deadline, Some(800));
    assert_eq!(c.deadline("chat:telegram:1"), Some(800));

    // 500 was chat 1's first deadline: stale, nothing expires.
    assert_eq!(
        c.poll_timeout(),
        Some(600),
        "the earliest live deadline is chat 2's"
    );
    assert_eq!(c.handle_timeout(599).unwrap(), 0);
    assert!(c.is_live("chat:telegram:1"));

    assert_eq!(c.handle_timeout(600).unwrap(), 1);
    assert_eq!(c.poll_expired().unwrap().key, "chat:telegram:2");
    assert_eq!(c.poll_timeout(), Some(800));
    assert_eq!(c.handle_timeout(799).unwrap(), 0);
    assert_eq!(c.handle_timeout(800).unwrap(), 1);
    assert_eq!(c.poll_expired().unwrap().key, "chat:telegram:1");
    assert!(c.poll_expired().is_none(), "expired exactly once");
    assert_eq!(c.handle_timeout(10_000).unwrap(), 0);
}

#[test]
fn save_refreshes_the_deadline_too() {
    let mut c = manager(500);
    let turn = c.on_event(0, &text("telegram:1")).unwrap().unwrap();
    c.save(200, &turn.key, b"x").unwrap();
    assert_eq!(c.deadline(&turn.key), Some(700));
    assert_eq!(c.handle_timeout(500).unwrap(), 0);
    assert_eq!(c.handle_timeout(700).unwrap(), 1);
}

#[test]
fn expiries_come_out_in_deadline_order() {
    let mut c = manager(1000);
    for (i, chat) in ["telegram:3", "telegram:1", "telegram:2"]
        .iter()
        .enumerate()
    {
        c.on_event(i as u64 * 10, &text(chat)).unwrap();
    }
    assert_eq!(c.handle_timeout(5000).unwrap(), 3);
    let order: Vec<_> = std::iter::from_fn(|| c.poll_expired())
        .map(|e| (e.key, e.deadline))
        .collect();
    assert_eq!(
        order,
        [
            ("chat:telegram:3".to_owned(), 1000),
            ("chat:telegram:1".to_owned(), 1010),
            ("chat:telegram:2".to_owned(), 1020)
        ]
    );
}

#[test]
fn end_deletes_the_state_and_cancels_the_timer() {
    let mut c = manager(500);
    let turn = c.on_event(0, &text("telegram:1")).unwrap().unwrap();
    c.save(0, &turn.key, b"state").unwrap();
    c.on_event(0, &text("telegram:2")).unwrap();

    assert!(c.end(&turn.key).unwrap());
    assert!(!c.is_live(&turn.key));
    assert_eq!(c.load(&turn.key).unwrap(), None);
    assert_eq!(c.storage().len(), 1, "only chat 2 is stored");
    assert!(!c.end(&turn.key).unwrap(), "ending twice");
    assert!(!c.end("chat:nobody").unwrap());

    assert_eq!(c.handle_timeout(500).unwrap(), 1);
    assert_eq!(c.poll_expired().unwrap().key, "chat:telegram:2");
    assert!(c.poll_expired().is_none(), "no expiry for the ended one");

    let again = c.on_event(600, &text("telegram:1")).unwrap().unwrap();
    assert!(again.new);
    assert_eq!(again.state, None);
}

#[test]
fn state_round_trips_through_the_storage() {
    let mut c = manager(10_000);
    let first = c.on_event(0, &text("telegram:1")).unwrap().unwrap();
    assert!(first.new);
    c.save(0, &first.key, &[0, 1, 2, 255]).unwrap();

    let second = c.on_event(10, &text("telegram:1")).unwrap().unwrap();
    assert!(!second.new);
    assert_eq!(second.state.as_deref(), Some(&[0, 1, 2, 255][..]));

    // An empty state is a state, not "nothing saved".
    c.save(20, &first.key, b"").unwrap();
    let third = c.on_event(30, &text("telegram:1")).unwrap().unwrap();
    assert_eq!(third.state.as_deref(), Some(&b""[..]));

    // A live conversation that never saved has no state, but is not new.
    c.on_event(0, &text("telegram:2")).unwrap();
    let t = c.on_event(40, &text("telegram:2")).unwrap().unwrap();
    assert!(!t.new);
    assert_eq!(t.state, None);

    // JSON helpers.
    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Form {
        step: u8,
        name: Option<String>,
    }
    let form = Form {
        step: 2,
        name: Some("Ann".into()),
    };
    c.save_json(50, &first.key, &form).unwrap();
    let t = c.on_event(60, &text("telegram:1")).unwrap().unwrap();
    assert_eq!(t.state_json::<Form>().unwrap(), Some(form));
    assert!(matches!(
        t.state_json::<Vec<u32>>(),
        Err(StorageError::Codec(_))
    ));
    // load does not re-arm.
    assert_eq!(c.deadline(&first.key), Some(10_060));
    assert_eq!(c.load_json::<Form>(&first.key).unwrap().unwrap().step, 2);
    assert_eq!(c.deadline(&first.key), Some(10_060));
}

#[test]
fn save_starts_a_conversation_the_bot_opens_itself() {
    let mut c = Conversations::new(
        MemoryStorage::new(),
        ConversationConfig::new(Seeder::per_callback_query_origin(), 1000),
    );
    // The bot sent a keyboard as message 5 of chat -100 and remembers what it asked.
    let key = message_seed(&MessageKey::in_chat("telegram:-100", 5));
    c.save(0, &key, b"question").unwrap();
    assert!(c.is_live(&key));
    let turn = c
        .on_event(100, &press_in_chat("telegram:-100", 5, "telegram:7"))
        .unwrap()
        .unwrap();
    assert!(!turn.new);
    assert_eq!(turn.state.as_deref(), Some(&b"question"[..]));
}

#[test]
fn without_idle_timeout_nothing_expires() {
    let mut c = Conversations::new(
        MemoryStorage::new(),
        ConversationConfig::new(Seeder::per_chat(), 5).without_idle_timeout(),
    );
    let turn = c.on_event(0, &text("telegram:1")).unwrap().unwrap();
    assert_eq!(turn.deadline, None);
    assert_eq!(c.poll_timeout(), None);
    assert_eq!(c.handle_timeout(u64::MAX).unwrap(), 0);
    assert!(c.is_live(&turn.key));
}

#[test]
fn a_restart_restores_states_and_deadlines() {
    let config = ConversationConfig::new(Seeder::per_chat(), 1000);
    let mut storage = MemoryStorage::new();
    {
        let mut c = Conversations::new(&mut storage, config.clone());
        let a = c.on_event(0, &text("telegram:1")).unwrap().unwrap();
        c.save(500, &a.key, b"a-state").unwrap(); // deadline 1500
        let b = c.on_event(2000, &text("telegram:2")).unwrap().unwrap();
        c.save(2000, &b.key, b"b-state").unwrap(); // deadline 3000
        c.on_event(2100, &text("telegram:3")).unwrap(); // no state, deadline 3100
        let d = c.on_event(2100, &text("telegram:4")).unwrap().unwrap();
        c.end(&d.key).unwrap();
        assert_eq!(c.len(), 3);
    } // the manager is dropped: the bot stops.

    // Back up at 2500: chat 1 expired while the bot was down.
    let mut c = Conversations::restore(2500, &mut storage, config).unwrap();
    assert_eq!(c.len(), 3);
    assert!(!c.is_live("chat:telegram:4"));
    assert_eq!(c.deadline("chat:telegram:1"), Some(1500));
    assert_eq!(c.deadline("chat:telegram:2"), Some(3000));
    assert_eq!(c.deadline("chat:telegram:3"), Some(3100));
    assert_eq!(
        c.load("chat:telegram:2").unwrap().as_deref(),
        Some(&b"b-state"[..])
    );
    let mut keys: Vec<_> = c.keys().collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["chat:telegram:1", "chat:telegram:2", "chat:telegram:3"]
    );

    // The overdue one expires at the first handle_timeout, with its state.
    assert_eq!(c.poll_timeout(), Some(1500));
    assert_eq!(c.handle_timeout(2500).unwrap(), 1);
    let expired = c.poll_expired().unwrap();
    assert_eq!(expired.key, "chat:telegram:1");
    assert_eq!(expired.state.as_deref(), Some(&b"a-state"[..]));

    // The others continue where they were.
    let t = c.on_event(2600, &text("telegram:2")).unwrap().unwrap();
    assert!(!t.new);
    assert_eq!(t.state.as_deref(), Some(&b"b-state"[..]));
    let t = c.on_event(2600, &text("telegram:3")).unwrap().unwrap();
    assert!(!t.new);
    assert_eq!(t.state, None);
    assert_eq!(
        c.handle_timeout(3500).unwrap(),
        0,
        "both were re-armed to 3600"
    );
    assert_eq!(c.handle_timeout(3600).unwrap(), 2);
    assert!(storage.is_empty());
}

#[test]
fn restore_clamps_deadlines_and_respects_namespaces() {
    let mut storage = MemoryStorage::new();
    let chats = ConversationConfig::new(Seeder::per_chat(), 1000).with_namespace("chats/");
    let users = ConversationConfig::new(Seeder::per_from(), 1000).with_namespace("users/");
    {
        let mut c = Conversations::new(&mut storage, chats.clone());
        c.on_event(1_000_000, &text("telegram:1")).unwrap(); // deadline 1_001_000
    }
    {
        let mut u = Conversations::new(&mut storage, users.clone());
        u.on_event(0, &text("telegram:1")).unwrap();
        assert_eq!(u.len(), 1);
    }
    assert_eq!(storage.len(), 2);
    // The clock went back to 0 (say, a monotonic clock after a reboot): the deadline is
    // brought back to now + idle_timeout.
    let c = Conversations::restore(0, &mut storage, chats).unwrap();
    assert_eq!(c.len(), 1);
    assert!(c.is_live("chat:telegram:1"));
    assert_eq!(c.deadline("chat:telegram:1"), Some(1000));
    drop(c);
    let u = Conversations::restore(0, &mut storage, users).unwrap();
    assert_eq!(u.keys().collect::<Vec<_>>(), ["user:telegram:7"]);
}

#[test]
fn a_corrupt_record_is_a_typed_error() {
    let mut storage = MemoryStorage::new();
    storage.put("conv/chat:telegram:1", b"\x07garbage").unwrap();
    let config = ConversationConfig::new(Seeder::per_chat(), 1000);
    match Conversations::restore(0, &mut storage, config) {
        Err(StorageError::Corrupt { key, .. }) => assert_eq!(key, "conv/chat:telegram:1"),
        other => panic!("expected a corrupt record, got {other:?}"),
    }
    assert_eq!(storage.len(), 1, "nothing deleted");
}

// ---------------------------------------------------------------------------------------
// A storage that fails on demand

#[derive(Debug, Default)]
struct Flaky {
    inner: MemoryStorage,
    fail_get: bool,
    fail_put: bool,
    fail_delete: bool,
    fail_keys: bool,
}

impl Flaky {
    fn heal(&mut self) {
        self.fail_get = false;
        self.fail_put = false;
        self.fail_delete = false;
        self.fail_keys = false;
    }
}

impl Storage for Flaky {
    fn get(&mut self, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        if self.fail_get {
            return Err(StorageError::backend("get refused"));
        }
        self.inner.get(key)
    }
    fn put(&mut self, key: &str, value: &[u8]) -> Result<(), StorageError> {
        if self.fail_put {
            return Err(StorageError::backend("disk full"));
        }
        self.inner.put(key, value)
    }
    fn delete(&mut self, key: &str) -> Result<(), StorageError> {
        if self.fail_delete {
            return Err(StorageError::backend("delete refused"));
        }
        self.inner.delete(key)
    }
    fn keys_with_prefix(&mut self, prefix: &str) -> Result<Vec<String>, StorageError> {
        if self.fail_keys {
            return Err(StorageError::backend("scan refused"));
        }
        self.inner.keys_with_prefix(prefix)
    }
}

fn flaky_manager() -> Conversations<Flaky> {
    Conversations::new(
        Flaky::default(),
        ConversationConfig::new(Seeder::per_chat(), 1000),
    )
}

#[test]
fn a_failing_storage_yields_errors_and_loses_nothing() {
    let mut c = flaky_manager();
    let turn = c.on_event(0, &text("telegram:1")).unwrap().unwrap();
    c.save(0, &turn.key, b"kept").unwrap();
    let snapshot = c.storage().inner.clone();

    // A new conversation cannot be stored: error, not live.
    c.storage_mut().fail_put = true;
    let err = c.on_event(100, &text("telegram:2")).unwrap_err();
    assert_eq!(err, StorageError::Backend("disk full".into()));
    assert!(!c.is_live("chat:telegram:2"));
    // Saving fails: the old state stays, the deadline is not moved.
    assert!(matches!(
        c.save(100, &turn.key, b"lost?"),
        Err(StorageError::Backend(_))
    ));
    // An event of a live conversation fails on the write: the deadline is not moved.
    assert!(c.on_event(100, &text("telegram:1")).is_err());
    assert_eq!(c.deadline(&turn.key), Some(1000));
    assert_eq!(c.storage().inner, snapshot);

    // Reading fails.
    c.storage_mut().heal();
    c.storage_mut().fail_get = true;
    assert!(c.on_event(200, &text("telegram:1")).is_err());
    assert!(c.load(&turn.key).is_err());
    assert_eq!(c.deadline(&turn.key), Some(1000));

    // Deleting fails: end keeps the conversation.
    c.storage_mut().heal();
    c.storage_mut().fail_delete = true;
    assert!(c.end(&turn.key).is_err());
    assert!(c.is_live(&turn.key));
    assert_eq!(c.storage().inner, snapshot);

    c.storage_mut().heal();
    let t = c.on_event(300, &text("telegram:1")).unwrap().unwrap();
    assert!(!t.new);
    assert_eq!(t.state.as_deref(), Some(&b"kept"[..]));
}

#[test]
fn a_failing_storage_delays_expiry_without_losing_it() {
    let mut c = flaky_manager();
    let turn = c.on_event(0, &text("telegram:1")).unwrap().unwrap();
    c.save(0, &turn.key, b"kept").unwrap();

    c.storage_mut().fail_get = true;
    assert!(c.handle_timeout(1000).is_err());
    assert!(c.is_live(&turn.key));
    assert!(c.poll_expired().is_none());
    assert_eq!(c.poll_timeout(), Some(1000), "still due");

    c.storage_mut().heal();
    c.storage_mut().fail_delete = true;
    assert!(c.handle_timeout(1000).is_err());
    assert!(c.is_live(&turn.key));
    assert!(c.poll_expired().is_none());

    c.storage_mut().heal();
    assert_eq!(c.handle_timeout(1000).unwrap(), 1);
    let expired = c.poll_expired().unwrap();
    assert_eq!(expired.state.as_deref(), Some(&b"kept"[..]));
    assert!(c.storage().inner.is_empty());
}

#[test]
fn a_failing_storage_fails_restore() {
    let mut c = flaky_manager();
    c.on_event(0, &text("telegram:1")).unwrap();
    let mut storage = c.into_storage();
    let config = ConversationConfig::new(Seeder::per_chat(), 1000);

    storage.fail_keys = true;
    let err = Conversations::restore(0, &mut storage, config.clone()).unwrap_err();
    assert_eq!(err, StorageError::Backend("scan refused".into()));
    storage.heal();
    storage.fail_get = true;
    assert!(Conversations::restore(0, &mut storage, config.clone()).is_err());
    storage.heal();
    let c = Conversations::restore(0, &mut storage, config).unwrap();
    assert!(c.is_live("chat:telegram:1"));
}

#[test]
fn managers_are_send_and_usable_behind_a_trait_object() {
    fn assert_send<T: Send>(_: &T) {}
    let mut c = Conversations::new(
        Box::new(MemoryStorage::new()) as Box<dyn Storage + Send>,
        ConversationConfig::new(Seeder::per_application(), 10),
    );
    assert_send(&c);
    let t = c.on_event(0, &inline_query("telegram:7")).unwrap().unwrap();
    assert_eq!(t.key, "app");
    c.save(0, "app", b"1").unwrap();
    assert_eq!(
        c.storage_mut().get("conv/app").unwrap().map(|v| v.len()),
        Some(10)
    );
}
