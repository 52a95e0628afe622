//! The bot runtime, platform-neutral and sans-IO like the rest of the core.
//!
//! - [`model`]: one [`Event`](model::Event) type for what arrives and one
//!   [`Action`](model::Action) type for what a bot does, with stable string keys and a
//!   capability table per platform.
//! - [`dispatcher`]: per-chat order, bounded concurrency, duplicates dropped, retries and dead
//!   letters, the acknowledgement watermark, exportable in-flight state.
//! - [`router`]: commands (`/cmd@bot`), regexes, callback data, flavors, content types,
//!   filters, nested routers and hooks.
//! - [`conversation`] and [`storage`]: telepot's delegates done right: seeders, idle timeouts,
//!   state kept through a storage interface, surviving restarts.
//! - [`answerer`]: the latest inline query of a user wins.
//! - [`flood`]: per-chat, per-group and global send budgets.
//! - [`helpers`]: telepot's `Sender`, `Administrator` and `Editor` on top of actions.
//! - [`telegram`]: the Telegram adapter (updates to events, actions to requests).
//! - [`bot`]: all of it wired to the Telegram client.
//! - [`trueconf`] and [`trueconf_bot`]: the TrueConf adapter and the same wiring on the
//!   TrueConf session, with the same outputs; [`trueconf_json`]: the same events from server
//!   events kept as JSON, without the typed event model.
//!
//! # An example bot
//!
//! `/start` greets, `/count` counts per chat in a conversation that ends after a minute of
//! silence, anything else is echoed. Sends go through flood control. The host loop here
//! runs against the simulator on a virtual clock; a real host performs the HTTP requests.
//!
//! ```
//! use botwire_core::runtime::bot::{BotConfig, BotOutput};
//! use botwire_core::runtime::conversation::{ConversationConfig, Conversations, Seeder};
//! use botwire_core::runtime::helpers::Sender;
//! use botwire_core::runtime::model::{Action, Event, SendOptions};
//! use botwire_core::runtime::router::Router;
//! use botwire_core::runtime::storage::MemoryStorage;
//! use botwire_core::sim::harness::BotHarness;
//! use botwire_core::sim::telegram::SimConfig;
//!
//! #[derive(Clone, Copy)]
//! enum Handler { Start, Count, Echo }
//!
//! let mut router = Router::new().with_bot_username("botwire_sim_bot");
//! router.command("start", Handler::Start).command("count", Handler::Count);
//! router.catch_all(Handler::Echo);
//! let mut counting = Conversations::new(
//!     MemoryStorage::new(),
//!     ConversationConfig::new(Seeder::per_chat(), 60_000),
//! );
//!
//! // The handlers: they return the actions to perform.
//! let mut handle = |now, h: Handler, e: &Event, convs: &mut Conversations<MemoryStorage>| {
//!     let chat = Sender::new(e.chat_key().unwrap());
//!     match h {
//!         Handler::Start => vec![chat.send_text("Hello! Send /count.")],
//!         Handler::Count => {
//!             let turn = convs.on_event(now, e).unwrap().unwrap();
//!             let n = turn.state_json::<u32>().unwrap().unwrap_or(0) + 1;
//!             convs.save_json(now, &turn.key, &n).unwrap();
//!             vec![chat.send_text(format!("count: {n}"))]
//!         }
//!         Handler::Echo => vec![Action::Reply {
//!             to: e.message.clone().unwrap(),
//!             text: e.text.clone().unwrap_or_default(),
//!             options: SendOptions::default(),
//!         }],
//!     }
//! };
//!
//! let sim = SimConfig::default();
//! let mut h = BotHarness::bot(sim.clone(), BotConfig::polling(sim.token));
//! for text in ["/start", "/count", "/count@botwire_sim_bot", "hi", "/count@other_bot"] {
//!     h.sim.user_sends_text(h.now, 1001, 1001, text).unwrap();
//! }
//! h.client.start(h.now);
//! for _ in 0..200 {
//!     for out in h.take_events() {
//!         if let BotOutput::Dispatch { id, event, .. } = out {
//!             if let Some(m) = router.route(&event) {
//!                 for action in handle(h.now, *m.handler, &event, &mut counting) {
//!                     h.client.act(h.now, &action).unwrap();
//!                 }
//!             }
//!             h.client.complete(h.now, id).unwrap();
//!         }
//!     }
//!     // Idle conversations end: say goodbye.
//!     counting.handle_timeout(h.now).unwrap();
//!     while let Some(expired) = counting.poll_expired() {
//!         let chat = expired.key.trim_start_matches("chat:").to_owned();
//!         h.client.act(h.now, &Sender::new(chat).send_text("Bye!")).unwrap();
//!     }
//!     if !h.step() { break; }
//! }
//! let said: Vec<_> = h.sim.transcript().iter().filter_map(|t| t.text.clone()).collect();
//! assert_eq!(said, ["Hello! Send /count.", "count: 1", "count: 2", "hi", "/count@other_bot", "Bye!"]);
//! ```

pub mod answerer;
pub mod bot;
pub mod conversation;
pub mod dispatcher;
pub mod flood;
pub mod helpers;
pub mod model;
pub mod router;
pub mod storage;
pub mod telegram;
pub mod telegram_json;
pub mod trueconf;
pub mod trueconf_bot;
pub mod trueconf_json;
