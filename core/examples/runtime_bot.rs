//! The runtime's example bot, unchanged on two platforms: `/start` greets, `/count` counts per
//! chat in a conversation that ends with a goodbye after a minute of silence, a `/menu` shows
//! buttons whose presses are echoed, anything else is echoed as a reply. The bot only sees the
//! shared model (`Event` in, `Action`s out); the host loop only sees `BotOutput`s.
//!
//! It runs against the embedded simulators on a virtual clock (no token, no network):
//!
//! ```sh
//! cargo run -p botwire-core --example runtime_bot              # both platforms
//! cargo run -p botwire-core --example runtime_bot -- trueconf  # one of them
//! ```

use botwire_core::runtime::bot::{BotConfig, BotOutput, TelegramBot};
use botwire_core::runtime::conversation::{ConversationConfig, Conversations, Seeder};
use botwire_core::runtime::dispatcher::DispatchId;
use botwire_core::runtime::helpers::Sender;
use botwire_core::runtime::model::{Action, Button, Event, EventKind, SendOptions};
use botwire_core::runtime::router::Router;
use botwire_core::runtime::storage::MemoryStorage;
use botwire_core::runtime::trueconf_bot::TrueConfBot;
use botwire_core::sim::harness::{Harness, HttpMachine};
use botwire_core::sim::telegram::SimConfig as TelegramSimConfig;
use botwire_core::sim::trueconf::SimConfig as TrueConfSimConfig;
use botwire_core::sim::trueconf_harness::{TrueConfHarness, WsMachine};
use botwire_core::trueconf::session::SessionEvent;

#[derive(Clone, Copy)]
enum Handler {
    Start,
    Count,
    Menu,
    Echo,
}

/// The bot: a router, a conversation per chat, and handlers that return actions.
pub struct ExampleBot {
    router: Router<Handler>,
    counting: Conversations<MemoryStorage>,
}

impl ExampleBot {
    /// The bot, answering commands addressed to `username` (or to nobody in particular).
    pub fn new(username: &str) -> Self {
        let mut router = Router::new().with_bot_username(username);
        router
            .command("start", Handler::Start)
            .command("count", Handler::Count)
            .command("menu", Handler::Menu);
        router.catch_all(Handler::Echo);
        ExampleBot {
            router,
            counting: Conversations::new(
                MemoryStorage::new(),
                ConversationConfig::new(Seeder::per_chat(), 60_000),
            ),
        }
    }

    /// What the bot does about one event.
    pub fn handle(&mut self, now: u64, e: &Event) -> Vec<Action> {
        let Some(chat) = e.chat_key().map(Sender::new) else {
            return Vec::new();
        };
        if e.kind == EventKind::ButtonPress {
            let picked = e.data.as_deref().unwrap_or("?");
            return vec![chat.send_text(format!("You picked {picked}"))];
        }
        if e.kind != EventKind::Message {
            return Vec::new();
        }
        let Some(m) = self.router.route(e) else {
            return Vec::new();
        };
        match *m.handler {
            Handler::Start => vec![chat.send_text("Hello! Send /count.")],
            Handler::Count => {
                let Ok(Some(turn)) = self.counting.on_event(now, e) else {
                    return Vec::new();
                };
                let n = turn.state_json::<u32>().ok().flatten().unwrap_or(0) + 1;
                let _ = self.counting.save_json(now, &turn.key, &n);
                vec![chat.send_text(format!("count: {n}"))]
            }
            Handler::Menu => vec![Action::Send {
                chat: e.chat_key().unwrap_or_default().to_owned(),
                text: "Pick a colour".into(),
                options: SendOptions {
                    keyboard: Some(vec![vec![
                        Button::data("Red", "red"),
                        Button::data("Green", "green"),
                    ]]),
                    ..SendOptions::default()
                },
            }],
            Handler::Echo => match (&e.message, &e.text) {
                (Some(to), Some(text)) => vec![Action::Reply {
                    to: to.clone(),
                    text: text.clone(),
                    options: SendOptions::default(),
                }],
                _ => Vec::new(),
            },
        }
    }

    /// Goodbyes for the conversations that went idle.
    pub fn on_timer(&mut self, now: u64) -> Vec<Action> {
        let _ = self.counting.handle_timeout(now);
        let mut actions = Vec::new();
        while let Some(expired) = self.counting.poll_expired() {
            let chat = expired.key.trim_start_matches("chat:").to_owned();
            actions.push(Sender::new(chat).send_text("Bye!"));
        }
        actions
    }
}

/// What the example needs from a platform: a bot on a simulator, a simulated user and what
/// the bot said.
pub trait Platform {
    /// The bot's user name (for `/cmd@name`).
    fn bot_username(&self) -> String;
    /// Starts the bot.
    fn start(&mut self);
    /// The simulated user writes `text` to the bot.
    fn user_says(&mut self, text: &str);
    /// The simulated user presses the button with data `data` under the bot's last keyboard.
    fn user_presses(&mut self, data: &str);
    /// The bot's outputs that reached the host loop.
    fn take_outputs(&mut self) -> Vec<BotOutput>;
    /// Performs an action.
    fn act(&mut self, action: &Action);
    /// Reports a handler finished.
    fn complete(&mut self, id: DispatchId);
    /// Moves virtual time to the next timer; false when nothing is scheduled.
    fn step(&mut self) -> bool;
    /// Virtual time (ms).
    fn now(&self) -> u64;
    /// What the bot said, in order.
    fn said(&self) -> Vec<String>;
}

const USER_ID: i64 = 1001;

impl Platform for Harness<TelegramBot> {
    fn bot_username(&self) -> String {
        self.sim.config().bot.username.clone()
    }
    fn start(&mut self) {
        self.client.start(self.now);
    }
    fn user_says(&mut self, text: &str) {
        self.sim
            .user_sends_text(self.now, USER_ID, USER_ID, text)
            .expect("simulated user");
    }
    fn user_presses(&mut self, data: &str) {
        let menu = self
            .sim
            .transcript()
            .iter()
            .rev()
            .find(|e| e.reply_markup.is_some())
            .and_then(|e| e.message_id)
            .expect("the bot sent a keyboard");
        self.sim
            .user_presses_button(self.now, USER_ID, USER_ID, menu, data)
            .expect("simulated press");
    }
    fn take_outputs(&mut self) -> Vec<BotOutput> {
        self.take_events()
    }
    fn act(&mut self, action: &Action) {
        self.client.act(self.now, action).expect("valid action");
    }
    fn complete(&mut self, id: DispatchId) {
        self.client.complete(self.now, id).expect("issued id");
    }
    fn step(&mut self) -> bool {
        Harness::step(self)
    }
    fn now(&self) -> u64 {
        self.now
    }
    fn said(&self) -> Vec<String> {
        self.sim
            .transcript()
            .iter()
            .filter(|t| t.method.starts_with("send"))
            .filter_map(|t| t.text.clone())
            .collect()
    }
}

impl Platform for TrueConfHarness<TrueConfBot> {
    fn bot_username(&self) -> String {
        self.sim.config().bot.login.clone()
    }
    fn start(&mut self) {
        self.machine.start(self.now).expect("the session starts");
        // Messages sent while the bot is offline wait on the server (the bot may ask for them
        // with `receive_unread`); the script starts once the bot is online.
        self.run_until_event(200, |o| {
            matches!(o, BotOutput::TrueConf(SessionEvent::Connected { .. }))
        })
        .expect("the bot connects");
    }
    fn user_says(&mut self, text: &str) {
        self.sim
            .user_sends_text(self.now, "alice", None, text)
            .expect("simulated user");
    }
    fn user_presses(&mut self, data: &str) {
        let menu = self
            .sim
            .transcript()
            .iter()
            .rev()
            .find(|e| e.buttons.is_some())
            .and_then(|e| e.message_id.clone())
            .expect("the bot sent buttons");
        self.sim
            .user_presses_button(self.now, "alice", &menu, data)
            .expect("simulated press");
    }
    fn take_outputs(&mut self) -> Vec<BotOutput> {
        self.take_events()
    }
    fn act(&mut self, action: &Action) {
        self.machine.act(self.now, action).expect("valid action");
    }
    fn complete(&mut self, id: DispatchId) {
        self.machine.complete(self.now, id).expect("issued id");
    }
    fn step(&mut self) -> bool {
        TrueConfHarness::step(self)
    }
    fn now(&self) -> u64 {
        self.now
    }
    fn said(&self) -> Vec<String> {
        self.sim
            .transcript()
            .iter()
            .filter(|t| t.method == "sendMessage")
            .filter_map(|t| t.text.clone())
            .collect()
    }
}

/// Runs the example bot on `platform` through a fixed script and returns what it said.
pub fn run(platform: &mut impl Platform) -> Vec<String> {
    run_logged(platform, &mut Vec::new())
}

/// [`run`], also writing the conversation (`"user: …"`, `"bot: …"`) to `log`.
pub fn run_logged(platform: &mut impl Platform, log: &mut Vec<String>) -> Vec<String> {
    let name = platform.bot_username();
    let mut bot = ExampleBot::new(&name);
    platform.start();
    let count_for_us = format!("/count@{name}");
    let script: Vec<(&str, &str)> = vec![
        ("say", "/start"),
        ("say", "/count"),
        ("say", &count_for_us),
        ("say", "hi"),
        ("say", "/count@other_bot"),
        ("say", "/menu"),
        ("press", "green"),
    ];
    for (what, arg) in script {
        let before = platform.said().len();
        match what {
            "say" => {
                log.push(format!("user: {arg}"));
                platform.user_says(arg)
            }
            _ => {
                log.push(format!("user presses [{arg}]"));
                platform.user_presses(arg)
            }
        }
        // Until the bot answered (bounded: the example always ends).
        for _ in 0..500 {
            drive(platform, &mut bot);
            if platform.said().len() > before {
                log.extend(
                    platform.said()[before..]
                        .iter()
                        .map(|t| format!("bot: {t}")),
                );
                break;
            }
            if !platform.step() {
                break;
            }
        }
    }
    // A minute of silence: the conversation says goodbye.
    log.push("(a minute of silence)".into());
    let before = platform.said().len();
    for _ in 0..2_000 {
        drive(platform, &mut bot);
        if platform.said().last().map(String::as_str) == Some("Bye!") || !platform.step() {
            break;
        }
    }
    log.extend(
        platform.said()[before..]
            .iter()
            .map(|t| format!("bot: {t}")),
    );
    platform.said()
}

/// One pass of the host loop: dispatch events to the bot, perform its actions, fire its
/// conversation timers.
fn drive(platform: &mut impl Platform, bot: &mut ExampleBot) {
    for out in platform.take_outputs() {
        if let BotOutput::Dispatch { id, event, .. } = out {
            for action in bot.handle(platform.now(), &event) {
                platform.act(&action);
            }
            platform.complete(id);
        }
    }
    for action in bot.on_timer(platform.now()) {
        platform.act(&action);
    }
}

/// The Telegram bot on its simulator.
pub fn telegram() -> Harness<TelegramBot> {
    let sim = TelegramSimConfig::default();
    Harness::bot(sim.clone(), BotConfig::polling(sim.token))
}

/// The TrueConf bot on its simulator.
pub fn trueconf() -> TrueConfHarness<TrueConfBot> {
    TrueConfHarness::bot(TrueConfSimConfig::default(), |_| {})
}

fn show(title: &str, log: &[String]) {
    println!("{title}");
    for line in log {
        println!("  {line}");
    }
    println!();
}

#[allow(dead_code)]
fn main() {
    let which = std::env::args().nth(1);
    let want = |p: &str| which.as_deref().map_or(true, |w| w == p);
    println!("botwire's example bot on the embedded simulators (virtual time, no network)\n");
    if want("telegram") {
        let mut log = Vec::new();
        run_logged(&mut telegram(), &mut log);
        show("Telegram Bot API:", &log);
    }
    if want("trueconf") {
        let mut log = Vec::new();
        run_logged(&mut trueconf(), &mut log);
        show("TrueConf Chatbot Connector:", &log);
    }
    // Keep the trait bounds visible to readers: both hosts are ordinary state machines.
    fn _bounds<A: HttpMachine, B: WsMachine>() {}
    _bounds::<TelegramBot, TrueConfBot>();
}
