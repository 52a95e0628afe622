//! The in-package simulators behind `new Bot({ simulator: true })`: requests go to an
//! in-memory Telegram Bot API or TrueConf server (`botwire_core::sim`) instead of the network.
//!
//! They are compiled in only with the cargo feature `simulator`, which the published package
//! leaves off (the simulators were a quarter of its module): `bindings-wasm/build.sh` builds the
//! shipped module into `pkg/` and a second one with the feature into `pkg-sim/`, which the web
//! demo and the simulator tests load. Without the feature [`Sim`] has no values, so the driver's
//! simulator paths compile to nothing, and `simulator: true` is refused as an invalid option
//! ([`MISSING`]).

#[cfg(feature = "simulator")]
pub use with_simulator::{trueconf_session, Sim};
#[cfg(not(feature = "simulator"))]
pub use without_simulator::{trueconf_session, Sim};

/// Whether this build contains the simulators.
pub const AVAILABLE: bool = cfg!(feature = "simulator");

/// Why `simulator: true` fails in a build without the simulators.
pub const MISSING: &str = "options.simulator: this build of botwire has no simulator \
     (the published package leaves it out; bindings-wasm/build.sh builds one with it into \
     pkg-sim/, which the web demo loads)";

#[cfg(feature = "simulator")]
mod with_simulator {
    use crate::machine::Machine;
    use botwire_core::io::{ConnId, HttpErrorKind, RequestId, Timestamp};
    use botwire_core::runtime::bot::BotOutput;
    use botwire_core::runtime::router::Router;
    use botwire_core::sim::telegram::{SimConfig, SimReply, TelegramSim};
    use botwire_core::sim::trueconf::{
        SimConfig as TrueConfSimConfig, SimConn, SimWsOut, TrueConfSim,
    };
    use botwire_core::sim::trueconf_harness::{sim_session_config, SIM_HOST, SIM_PORT};
    use botwire_core::trueconf::session::SessionConfig;
    use serde_json::{json, Value};
    use std::collections::HashMap;

    /// The simulated user of the Telegram simulator.
    const SIM_USER: i64 = 1001;

    /// The simulated user of the TrueConf simulator.
    const SIM_TRUECONF_USER: &str = "alice";

    /// The session configuration of a TrueConf bot on the simulator (its address and the
    /// simulated bot's credentials).
    ///
    /// # Errors
    /// None in this build (the signature is shared with the build without simulators).
    pub fn trueconf_session() -> Result<SessionConfig, String> {
        Ok(sim_session_config(&TrueConfSimConfig::default()))
    }

    /// The simulator requests go to instead of the network.
    pub enum Sim {
        Telegram(Box<TelegramSim>),
        TrueConf(Box<TrueConfSimHost>),
    }

    /// The TrueConf simulator and the sockets between it and the machine.
    pub struct TrueConfSimHost {
        sim: TrueConfSim,
        to_sim: HashMap<u64, SimConn>,
        from_sim: HashMap<u64, ConnId>,
    }

    fn telegram_user(user: Option<String>) -> Result<i64, String> {
        match user {
            Some(u) => u.parse().map_err(|_| format!("user {u:?} is not a number")),
            None => Ok(SIM_USER),
        }
    }

    impl Sim {
        /// The simulator of `machine`'s platform; a Telegram one tells `router` the
        /// simulated bot's username (for commands addressed to it).
        ///
        /// # Errors
        /// None in this build (the signature is shared with the build without simulators).
        pub fn new(machine: &Machine, router: &mut Router<u32>) -> Result<Sim, String> {
            Ok(match machine {
                Machine::Telegram(_) => {
                    let sim = TelegramSim::new(SimConfig::default());
                    router.set_bot_username(Some(&sim.config().bot.username));
                    Sim::Telegram(Box::new(sim))
                }
                Machine::TrueConf(_) => {
                    let mut sim = TrueConfSim::new(TrueConfSimConfig::default());
                    sim.set_base_url(format!("http://{SIM_HOST}:{SIM_PORT}"));
                    Sim::TrueConf(Box::new(TrueConfSimHost {
                        sim,
                        to_sim: HashMap::new(),
                        from_sim: HashMap::new(),
                    }))
                }
            })
        }

        pub fn next_event(&self) -> Option<Timestamp> {
            match self {
                Sim::Telegram(sim) => sim.next_event(),
                Sim::TrueConf(host) => host.sim.next_event(),
            }
        }

        pub fn advance(&mut self, now: Timestamp) {
            match self {
                Sim::Telegram(sim) => sim.advance(now),
                Sim::TrueConf(host) => host.sim.handle_timeout(now),
            }
        }

        /// Serves an output of the machine, or hands it back when it is not for the
        /// simulator.
        pub fn serve(
            &mut self,
            machine: &mut Machine,
            now: Timestamp,
            out: BotOutput,
        ) -> Option<BotOutput> {
            match (self, out) {
                (Sim::Telegram(sim), BotOutput::Http { id, request }) => {
                    if sim.handle_request(now, id.0, &request).is_err() {
                        let _ = machine.http_error(now, id, HttpErrorKind::Other);
                    }
                }
                (Sim::Telegram(sim), BotOutput::Abort { id }) => {
                    sim.cancel_request(id.0);
                    let _ = machine.http_error(now, id, HttpErrorKind::Aborted);
                }
                (Sim::TrueConf(host), BotOutput::Http { id, request }) => {
                    let answer = host.sim.handle_http(now, &request);
                    let _ = machine.http_response(now, id, answer.status, &answer.body);
                }
                (Sim::TrueConf(_), BotOutput::Abort { id }) => {
                    let _ = machine.http_error(now, id, HttpErrorKind::Aborted);
                }
                (
                    Sim::TrueConf(host),
                    BotOutput::WsOpen {
                        conn,
                        url,
                        protocols,
                    },
                ) => {
                    // The path of `ws://host:port/path`.
                    let path = url
                        .split_once("://")
                        .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_owned()))
                        .unwrap_or_else(|| "/".to_owned());
                    let offered: Vec<&str> = protocols.iter().map(String::as_str).collect();
                    match host.sim.ws_open(now, &path, &offered) {
                        Ok(accepted) => {
                            host.to_sim.insert(conn.0, accepted.conn);
                            host.from_sim.insert(accepted.conn.0, conn);
                            let _ = machine.ws_opened(now, conn);
                        }
                        Err(_) => {
                            let _ = machine.ws_closed(now, conn);
                        }
                    }
                }
                (Sim::TrueConf(host), BotOutput::WsSend { conn, text }) => {
                    if let Some(&sim_conn) = host.to_sim.get(&conn.0) {
                        let _ = host.sim.ws_receive(now, sim_conn, &text);
                    }
                }
                (Sim::TrueConf(_), BotOutput::WsPing { conn }) => {
                    let _ = machine.ws_pong(now, conn);
                }
                (Sim::TrueConf(host), BotOutput::WsClose { conn }) => {
                    if let Some(sim_conn) = host.to_sim.remove(&conn.0) {
                        host.from_sim.remove(&sim_conn.0);
                        host.sim.ws_closed(now, sim_conn);
                    }
                }
                (_, out) => return Some(out),
            }
            None
        }

        /// Hands the simulator's answers to the machine; whether there were any.
        pub fn answer(&mut self, machine: &mut Machine, now: Timestamp) -> bool {
            let mut any = false;
            match self {
                Sim::Telegram(sim) => {
                    while let Some((key, reply)) = sim.poll_response() {
                        any = true;
                        let id = RequestId(key);
                        let _ = match reply {
                            SimReply::Response(r) => {
                                machine.http_response(now, id, r.status, &r.body)
                            }
                            SimReply::Dropped => machine.http_error(now, id, HttpErrorKind::Io),
                        };
                    }
                }
                Sim::TrueConf(host) => {
                    while let Some((sim_conn, out)) = host.sim.poll_ws() {
                        any = true;
                        let Some(&conn) = host.from_sim.get(&sim_conn.0) else {
                            continue;
                        };
                        let _ = match out {
                            SimWsOut::Text(text) => machine.ws_frame(now, conn, &text),
                            SimWsOut::Close => {
                                host.from_sim.remove(&sim_conn.0);
                                host.to_sim.remove(&conn.0);
                                machine.ws_closed(now, conn)
                            }
                        };
                    }
                }
            }
            any
        }

        /// The user writes `text` (in their private chat unless `chat` is given). Users are
        /// numeric ids on Telegram (default 1001) and logins on TrueConf (default `alice`).
        pub fn user_says(
            &mut self,
            now: Timestamp,
            text: &str,
            user: Option<String>,
            chat: Option<String>,
        ) -> Result<Value, String> {
            match self {
                Sim::Telegram(sim) => {
                    let user = telegram_user(user)?;
                    let chat = match chat {
                        Some(c) => c
                            .parse()
                            .map_err(|_| format!("chat {c:?} is not a number"))?,
                        None => user,
                    };
                    let done = sim
                        .user_sends_text(now, user, chat, text)
                        .map_err(|e| e.to_string())?;
                    Ok(json!({"updateId": done.update_id, "messageId": done.message_id}))
                }
                Sim::TrueConf(host) => {
                    let user = user.unwrap_or_else(|| SIM_TRUECONF_USER.to_owned());
                    let done = host
                        .sim
                        .user_sends_text(now, &user, chat.as_deref(), text)
                        .map_err(|e| e.to_string())?;
                    Ok(json!({"chatId": done.chat_id, "messageId": done.message_id}))
                }
            }
        }

        /// The user presses the button with `data` under the bot's latest message that has
        /// one (TrueConf: a button's id, command or label).
        pub fn press_button(
            &mut self,
            now: Timestamp,
            data: &str,
            user: Option<String>,
        ) -> Result<Value, String> {
            let wanted = Value::from(data).to_string();
            let has = move |markup: Option<&Value>| {
                markup.is_some_and(|m| m.to_string().contains(&wanted))
            };
            match self {
                Sim::Telegram(sim) => {
                    let user = telegram_user(user)?;
                    let message = sim
                        .transcript()
                        .iter()
                        .rev()
                        .filter(|e| e.chat_id == Some(user))
                        .find(|e| has(e.reply_markup.as_ref()))
                        .and_then(|e| e.message_id)
                        .ok_or_else(|| format!("no button with data {data:?}"))?;
                    let done = sim
                        .user_presses_button(now, user, user, message, data)
                        .map_err(|e| e.to_string())?;
                    Ok(json!({"updateId": done.update_id, "queryId": done.query_id}))
                }
                Sim::TrueConf(host) => {
                    let user = user.unwrap_or_else(|| SIM_TRUECONF_USER.to_owned());
                    let message = host
                        .sim
                        .transcript()
                        .iter()
                        .rev()
                        .find(|e| has(e.buttons.as_ref()))
                        .and_then(|e| e.message_id.clone())
                        .ok_or_else(|| format!("no button {data:?}"))?;
                    let done = host
                        .sim
                        .user_presses_button(now, &user, &message, data)
                        .map_err(|e| e.to_string())?;
                    Ok(json!({"chatId": done.chat_id, "messageId": done.message_id}))
                }
            }
        }

        /// (Telegram) The user types an inline query.
        pub fn inline_query(
            &mut self,
            now: Timestamp,
            query: &str,
            user: Option<String>,
        ) -> Result<Value, String> {
            match self {
                Sim::Telegram(sim) => {
                    let user = telegram_user(user)?;
                    let done = sim
                        .user_inline_query(now, user, query, "")
                        .map_err(|e| e.to_string())?;
                    Ok(json!({"updateId": done.update_id, "queryId": done.query_id}))
                }
                Sim::TrueConf(_) => Err("TrueConf has no inline queries".to_owned()),
            }
        }

        /// Everything the bot did, in order (the platform simulator's transcript).
        pub fn transcript(&self) -> Value {
            let entries = match self {
                Sim::Telegram(sim) => serde_json::to_value(sim.transcript()),
                Sim::TrueConf(host) => serde_json::to_value(host.sim.transcript()),
            };
            entries.unwrap_or(Value::Null)
        }
    }
}

/// The same interface without simulators: [`Sim`] has no values, so every method is
/// unreachable and compiles to nothing.
#[cfg(not(feature = "simulator"))]
mod without_simulator {
    use super::MISSING;
    use crate::machine::Machine;
    use botwire_core::io::Timestamp;
    use botwire_core::runtime::bot::BotOutput;
    use botwire_core::runtime::router::Router;
    use botwire_core::trueconf::session::SessionConfig;
    use serde_json::Value;

    /// The session configuration of a TrueConf bot on the simulator: none in this build.
    ///
    /// # Errors
    /// Always: this build has no simulator.
    pub fn trueconf_session() -> Result<SessionConfig, String> {
        Err(MISSING.to_owned())
    }

    /// No simulator: this build has none.
    pub enum Sim {}

    impl Sim {
        /// No simulator: this build has none.
        ///
        /// # Errors
        /// Always: this build has no simulator.
        pub fn new(_machine: &Machine, _router: &mut Router<u32>) -> Result<Sim, String> {
            Err(MISSING.to_owned())
        }

        pub fn next_event(&self) -> Option<Timestamp> {
            match *self {}
        }

        pub fn advance(&mut self, _now: Timestamp) {
            match *self {}
        }

        pub fn serve(
            &mut self,
            _machine: &mut Machine,
            _now: Timestamp,
            _out: BotOutput,
        ) -> Option<BotOutput> {
            match *self {}
        }

        pub fn answer(&mut self, _machine: &mut Machine, _now: Timestamp) -> bool {
            match *self {}
        }

        pub fn user_says(
            &mut self,
            _now: Timestamp,
            _text: &str,
            _user: Option<String>,
            _chat: Option<String>,
        ) -> Result<Value, String> {
            match *self {}
        }

        pub fn press_button(
            &mut self,
            _now: Timestamp,
            _data: &str,
            _user: Option<String>,
        ) -> Result<Value, String> {
            match *self {}
        }

        pub fn inline_query(
            &mut self,
            _now: Timestamp,
            _query: &str,
            _user: Option<String>,
        ) -> Result<Value, String> {
            match *self {}
        }

        pub fn transcript(&self) -> Value {
            match *self {}
        }
    }
}
