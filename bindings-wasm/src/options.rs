//! The option bag of `new Bot(options)` in plain Rust: what JavaScript may pass, checked
//! strictly (unknown keys are refused, so a typo is an error instead of a silent default),
//! and turned into the runtime's configurations. Tested natively.

use crate::runtime_options::{
    conversation_config, dispatcher_config, flood_config, router_from, ConversationOptions,
    DispatchOptions, FloodOptions, RouterOptions,
};
use crate::session::ClientOptions;
use crate::simulator;
use botwire_core::runtime::bot::{AckMode, BotConfig};
use botwire_core::runtime::conversation::ConversationConfig;
use botwire_core::runtime::router::Router;
use botwire_core::runtime::trueconf_bot::TrueConfBotConfig;
use botwire_core::telegram::client::WebhookConfig;
use botwire_core::telegram::Intake;
use botwire_core::trueconf::session::{Credentials, KeepAlive, SessionConfig};
use serde::Deserialize;

/// The simulated Telegram bot's token (the in-package simulator accepts only this one).
pub const SIMULATOR_TOKEN: &str = "123456:TEST-TOKEN";

/// How long after the driver's handler timeout the runtime's own one fires.
pub const HANDLER_TIMEOUT_BACKSTOP_MS: u64 = 1_000;

/// `new Bot(options)`, without the JS-only parts (callbacks), which the JS layer removes.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BotOptions {
    /// `"telegram"` or `"trueconf"`.
    pub platform: String,
    /// Telegram: the bot token (optional with `simulator`).
    #[serde(default)]
    pub token: Option<String>,
    /// Telegram: the Bot API root.
    #[serde(default)]
    pub api_root: Option<String>,
    /// Telegram: `"polling"` (default), `"webhook"` or `"none"`.
    #[serde(default)]
    pub intake: Option<String>,
    /// Telegram: long-polling settings, as `TelegramClient` takes them.
    #[serde(default)]
    pub polling: Option<serde_json::Value>,
    /// Telegram: webhook settings, as `TelegramClient` takes them.
    #[serde(default)]
    pub webhook: Option<serde_json::Value>,
    /// Telegram: HTTP timeout of ordinary calls (ms).
    #[serde(default)]
    pub call_timeout_ms: Option<u64>,
    /// Route requests to the in-package simulator instead of the network (only in builds
    /// with the cargo feature `simulator`; others refuse it).
    #[serde(default)]
    pub simulator: bool,
    /// TrueConf: the server's host name or address.
    #[serde(default)]
    pub server: Option<String>,
    /// TrueConf: the port (443 with `https`, 4309 without, by default).
    #[serde(default)]
    pub port: Option<u16>,
    /// TrueConf: HTTPS/WSS (default true).
    #[serde(default)]
    pub https: Option<bool>,
    /// TrueConf: the bot's user name.
    #[serde(default)]
    pub username: Option<String>,
    /// TrueConf: its password.
    #[serde(default)]
    pub password: Option<String>,
    /// TrueConf: an OAuth application's `client_id` (three-step flow).
    #[serde(default)]
    pub client_id: Option<String>,
    /// TrueConf: a ready JWT instead of a user name and password.
    #[serde(default)]
    pub access_token: Option<String>,
    /// TrueConf: ping interval (ms); 0 or absent disables keep-alive (browsers cannot send
    /// WebSocket pings).
    #[serde(default)]
    pub keep_alive_ms: Option<u64>,
    /// TrueConf: replay messages that arrived while offline.
    #[serde(default)]
    pub receive_unread: Option<bool>,
    /// TrueConf: request timeout (ms).
    #[serde(default)]
    pub request_timeout_ms: Option<u64>,
    /// TrueConf: first reconnect delay (ms).
    #[serde(default)]
    pub reconnect_initial_ms: Option<u64>,
    /// TrueConf: largest reconnect delay (ms).
    #[serde(default)]
    pub reconnect_max_ms: Option<u64>,
    /// TrueConf: reconnect attempts before giving up (default: forever).
    #[serde(default)]
    pub max_reconnect_attempts: Option<u32>,
    /// TrueConf: send `answerCommand` for button answers.
    #[serde(default)]
    pub answer_commands: Option<bool>,
    /// The dispatcher.
    #[serde(default)]
    pub dispatch: Option<DispatchOptions>,
    /// Flood control of sends (Telegram).
    #[serde(default)]
    pub flood: Option<FloodOptions>,
    /// `"afterReceipt"` (default) or `"afterHandling"` (Telegram polling).
    #[serde(default)]
    pub ack: Option<String>,
    /// Attempts per action before its failure is reported.
    #[serde(default)]
    pub action_attempts: Option<u32>,
    /// Delay before repeating a failed action (ms), doubled per attempt.
    #[serde(default)]
    pub action_retry_delay_ms: Option<u64>,
    /// Conversations.
    #[serde(default)]
    pub conversation: Option<ConversationOptions>,
    /// How command routes read commands.
    #[serde(default)]
    pub router: Option<RouterOptions>,
    /// Seed of jitter and generated ids.
    #[serde(default)]
    pub seed: Option<u64>,
}

/// The machine the options describe.
#[derive(Debug)]
pub enum MachineConfig {
    /// A Telegram bot.
    Telegram(Box<BotConfig>),
    /// A TrueConf bot.
    TrueConf(Box<TrueConfBotConfig>),
}

/// Everything `new Bot` builds from its options.
#[derive(Debug)]
pub struct Config {
    /// The runtime machine.
    pub machine: MachineConfig,
    /// Conversations.
    pub conversation: ConversationConfig,
    /// The router (empty), with the command options.
    pub router: Router<u32>,
    /// The handler timeout (ms), for the driver's own bookkeeping.
    pub handler_timeout_ms: Option<u64>,
    /// Requests go to the in-package simulator (never true in a build without one).
    pub simulator: bool,
    /// Telegram: how `handleUpdate` hands an update to the runtime — `None` when it cannot
    /// (polling, TrueConf), else the secret token its deliveries carry.
    pub update_intake: Option<Option<String>>,
    /// Telegram: whether HTTP webhook deliveries are accepted (`intake: "webhook"`).
    pub http_webhook: bool,
}

fn forbid(present: bool, name: &str, platform: &str) -> Result<(), String> {
    if present {
        Err(format!(
            "options.{name} does not apply to platform {platform:?}"
        ))
    } else {
        Ok(())
    }
}

impl BotOptions {
    /// Checks the options and builds the configurations.
    ///
    /// # Errors
    /// A message naming the first option that is missing, misplaced or out of range.
    pub fn into_config(self) -> Result<Config, String> {
        let mut dispatch = dispatcher_config(self.dispatch.unwrap_or_default())?;
        // The driver times handlers out itself (and reports it); the runtime's own timeout
        // stays as a backstop just behind it.
        let handler_timeout_ms = dispatch.handler_timeout_ms;
        dispatch.handler_timeout_ms =
            handler_timeout_ms.map(|ms| ms.saturating_add(HANDLER_TIMEOUT_BACKSTOP_MS));
        let conversation = conversation_config(self.conversation.unwrap_or_default())?;
        let router = router_from(self.router.unwrap_or_default())?;
        let simulator = self.simulator;
        if simulator && !simulator::AVAILABLE {
            return Err(simulator::MISSING.into());
        }
        let mut update_intake = None;
        let mut http_webhook = false;
        let machine = match self.platform.as_str() {
            "telegram" => {
                for (present, name) in [
                    (self.server.is_some(), "server"),
                    (self.port.is_some(), "port"),
                    (self.https.is_some(), "https"),
                    (self.username.is_some(), "username"),
                    (self.password.is_some(), "password"),
                    (self.client_id.is_some(), "clientId"),
                    (self.access_token.is_some(), "accessToken"),
                    (self.keep_alive_ms.is_some(), "keepAliveMs"),
                    (self.receive_unread.is_some(), "receiveUnread"),
                    (self.request_timeout_ms.is_some(), "requestTimeoutMs"),
                    (self.reconnect_initial_ms.is_some(), "reconnectInitialMs"),
                    (self.reconnect_max_ms.is_some(), "reconnectMaxMs"),
                    (
                        self.max_reconnect_attempts.is_some(),
                        "maxReconnectAttempts",
                    ),
                    (self.answer_commands.is_some(), "answerCommands"),
                ] {
                    forbid(present, name, "telegram")?;
                }
                let token = match (self.token, simulator) {
                    (Some(t), _) if !t.is_empty() => t,
                    (_, true) => SIMULATOR_TOKEN.to_owned(),
                    _ => return Err("options.token is required for Telegram".into()),
                };
                if simulator
                    && (self.api_root.is_some() || self.intake.as_deref() == Some("webhook"))
                {
                    return Err(
                        "options.simulator works with polling and without options.apiRoot".into(),
                    );
                }
                let intake = self.intake.clone();
                let mut client = ClientOptions {
                    token,
                    api_root: self.api_root,
                    intake: self.intake,
                    polling: self
                        .polling
                        .map(serde_json::from_value)
                        .transpose()
                        .map_err(|e| format!("options.polling: {e}"))?,
                    webhook: self
                        .webhook
                        .map(serde_json::from_value)
                        .transpose()
                        .map_err(|e| format!("options.webhook: {e}"))?,
                    seed: self.seed,
                    call_timeout_ms: self.call_timeout_ms,
                }
                .into_config()?;
                // `"none"`: no intake of its own, but `handleUpdate` still hands updates in,
                // through a webhook intake that refuses HTTP deliveries (see `http_webhook`).
                if intake.as_deref() == Some("none") {
                    client.intake = Intake::Webhook(WebhookConfig::default());
                }
                http_webhook = intake.as_deref() == Some("webhook");
                update_intake = match &client.intake {
                    Intake::Webhook(w) => Some(w.secret_token.clone()),
                    _ => None,
                };
                let mut config = BotConfig::polling("");
                config.client = client;
                config.dispatch = dispatch;
                config.flood = flood_config(self.flood.unwrap_or_default())?;
                config.ack = match self.ack.as_deref() {
                    None | Some("afterReceipt") => AckMode::AfterReceipt,
                    Some("afterHandling") => AckMode::AfterHandling,
                    Some(other) => {
                        return Err(format!(
                        "options.ack must be \"afterReceipt\" or \"afterHandling\", not {other:?}"
                    ))
                    }
                };
                if let Some(n) = self.action_attempts {
                    config.action_attempts = n.max(1);
                }
                if let Some(ms) = self.action_retry_delay_ms {
                    config.action_retry_delay_ms = ms;
                }
                MachineConfig::Telegram(Box::new(config))
            }
            "trueconf" => {
                for (present, name) in [
                    (self.token.is_some(), "token"),
                    (self.api_root.is_some(), "apiRoot"),
                    (self.intake.is_some(), "intake"),
                    (self.polling.is_some(), "polling"),
                    (self.webhook.is_some(), "webhook"),
                    (self.call_timeout_ms.is_some(), "callTimeoutMs"),
                    (self.flood.is_some(), "flood"),
                    (self.ack.is_some(), "ack"),
                ] {
                    forbid(present, name, "trueconf")?;
                }
                let mut session = if simulator {
                    for (present, name) in [
                        (self.server.is_some(), "server"),
                        (self.port.is_some(), "port"),
                        (self.https.is_some(), "https"),
                        (self.username.is_some(), "username"),
                        (self.password.is_some(), "password"),
                        (self.client_id.is_some(), "clientId"),
                        (self.access_token.is_some(), "accessToken"),
                    ] {
                        if present {
                            return Err(format!("options.{name} does not apply to the simulator"));
                        }
                    }
                    simulator::trueconf_session()?
                } else {
                    trueconf_session(
                        self.server,
                        self.port,
                        self.https,
                        (
                            self.username,
                            self.password,
                            self.client_id,
                            self.access_token,
                        ),
                    )?
                };
                session.keep_alive = match self.keep_alive_ms {
                    None | Some(0) => None,
                    Some(interval_ms) => Some(KeepAlive {
                        interval_ms,
                        ..KeepAlive::default()
                    }),
                };
                if let Some(v) = self.receive_unread {
                    session.receive_unread = v;
                }
                if let Some(ms) = self.request_timeout_ms {
                    session.request_timeout_ms = ms;
                }
                if let Some(ms) = self.reconnect_initial_ms {
                    session.reconnect_initial_ms = ms;
                }
                if let Some(ms) = self.reconnect_max_ms {
                    session.reconnect_max_ms = ms;
                }
                session.max_attempts = self.max_reconnect_attempts;
                if let Some(seed) = self.seed {
                    session.seed = seed;
                }
                let mut config = TrueConfBotConfig::new(session);
                config.dispatch = dispatch;
                if let Some(v) = self.answer_commands {
                    config.answer_commands = v;
                }
                if let Some(n) = self.action_attempts {
                    config.action_attempts = n.max(1);
                }
                if let Some(ms) = self.action_retry_delay_ms {
                    config.action_retry_delay_ms = ms;
                }
                MachineConfig::TrueConf(Box::new(config))
            }
            other => {
                return Err(format!(
                    "options.platform must be \"telegram\" or \"trueconf\", not {other:?}"
                ))
            }
        };
        Ok(Config {
            machine,
            conversation,
            router,
            handler_timeout_ms,
            simulator,
            update_intake,
            http_webhook,
        })
    }
}

type CredentialOptions = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn trueconf_session(
    server: Option<String>,
    port: Option<u16>,
    https: Option<bool>,
    (username, password, client_id, access_token): CredentialOptions,
) -> Result<SessionConfig, String> {
    let server = server
        .filter(|s| !s.is_empty())
        .ok_or("options.server is required for TrueConf")?;
    if server.contains("://") || server.contains('/') {
        return Err(format!(
            "options.server is a host name or address, not {server:?} \
             (use options.https and options.port)"
        ));
    }
    let https = https.unwrap_or(true);
    let port = port.unwrap_or(if https { 443 } else { 4309 });
    let credentials = match (access_token, username, password) {
        (Some(token), None, None) => Credentials::Token(token),
        (None, Some(username), Some(password)) => match client_id {
            Some(client_id) => Credentials::OAuthApp {
                client_id,
                username,
                password,
            },
            None => Credentials::Password { username, password },
        },
        _ => {
            return Err("TrueConf needs options.username and options.password, \
                        or options.accessToken alone"
                .into())
        }
    };
    Ok(SessionConfig::new(server, port, https, credentials))
}

/// Options from their JSON text (the form the tests use).
///
/// # Errors
/// As [`BotOptions::into_config`], and for JSON that does not fit.
pub fn config_from_json(json: &str) -> Result<Config, String> {
    let options: BotOptions =
        serde_json::from_str(json).map_err(|e| format!("invalid options: {e}"))?;
    options.into_config()
}

#[cfg(test)]
mod tests {
    use super::*;
    use botwire_core::runtime::flood::Budget;

    fn bot_dispatch_timeout(config: &Config) -> Option<u64> {
        match &config.machine {
            MachineConfig::Telegram(b) => b.dispatch.handler_timeout_ms,
            MachineConfig::TrueConf(b) => b.dispatch.handler_timeout_ms,
        }
    }

    #[test]
    fn handle_update_intakes() {
        let none =
            config_from_json(r#"{"platform":"telegram","token":"1:A","intake":"none"}"#).unwrap();
        assert_eq!(none.update_intake, Some(None));
        assert!(!none.http_webhook);
        let hook = config_from_json(
            r#"{"platform":"telegram","token":"1:A","intake":"webhook","webhook":{"secretToken":"s"}}"#,
        )
        .unwrap();
        assert_eq!(hook.update_intake, Some(Some("s".to_owned())));
        assert!(hook.http_webhook);
        let polling = config_from_json(r#"{"platform":"telegram","token":"1:A"}"#).unwrap();
        assert_eq!(polling.update_intake, None);
        assert!(!polling.http_webhook);
    }

    #[test]
    fn telegram_options() {
        let config = config_from_json(
            r#"{"platform":"telegram","token":"1:A","apiRoot":"http://sim",
                "dispatch":{"handlerTimeoutMs":500,"maxAttempts":2},"ack":"afterHandling",
                "flood":{"perChat":{"max":5,"windowMs":1000}},
                "conversation":{"idleTimeoutMs":60000}}"#,
        )
        .unwrap();
        assert_eq!(config.handler_timeout_ms, Some(500));
        assert_eq!(
            bot_dispatch_timeout(&config),
            Some(500 + HANDLER_TIMEOUT_BACKSTOP_MS)
        );
        let MachineConfig::Telegram(bot) = config.machine else {
            panic!("telegram")
        };
        assert_eq!(bot.ack, AckMode::AfterHandling);
        assert_eq!(bot.dispatch.max_attempts, 2);
        assert_eq!(bot.flood.per_chat, Budget::new(5, 1000));
        assert_eq!(config.conversation.idle_timeout, Some(60_000));
    }

    #[test]
    fn mistakes_are_named() {
        let err = |json: &str| config_from_json(json).unwrap_err();
        assert!(err(r#"{"platform":"telegram"}"#).contains("token"));
        assert!(err(r#"{"platform":"telegram","token":"1:A","tokn":1}"#).contains("tokn"));
        assert!(err(r#"{"platform":"slack"}"#).contains("slack"));
        assert!(err(r#"{"platform":"telegram","token":"1:A","server":"x"}"#).contains("server"));
        assert!(err(r#"{"platform":"trueconf","server":"h"}"#).contains("password"));
        assert!(err(
            r#"{"platform":"trueconf","server":"https://h","username":"u","password":"p"}"#
        )
        .contains("host name"));
        assert!(err(r#"{"platform":"telegram","token":"1:A","ack":"never"}"#).contains("never"));
        assert!(
            err(r#"{"platform":"telegram","token":"1:A","dispatch":{"concurrency":0}}"#)
                .contains("concurrency")
        );
        assert!(
            err(r#"{"platform":"telegram","token":"1:A","conversation":{"per":"x"}}"#)
                .contains("conversation.per")
        );
    }

    #[test]
    fn trueconf_options() {
        let config = config_from_json(
            r#"{"platform":"trueconf","server":"127.0.0.1","port":4309,"https":false,
                "username":"bot","password":"pw","keepAliveMs":0}"#,
        )
        .unwrap();
        let MachineConfig::TrueConf(bot) = config.machine else {
            panic!("trueconf")
        };
        assert_eq!(bot.session.port, 4309);
        assert!(!bot.session.https);
        assert_eq!(bot.session.keep_alive, None);
        assert!(config.conversation.idle_timeout.is_none());
    }

    #[cfg(not(feature = "simulator"))]
    #[test]
    fn simulator_is_refused_without_the_feature() {
        for platform in ["telegram", "trueconf"] {
            let err = config_from_json(&format!(r#"{{"platform":"{platform}","simulator":true}}"#))
                .unwrap_err();
            assert_eq!(err, simulator::MISSING);
        }
        // Asking for no simulator is fine.
        let config =
            config_from_json(r#"{"platform":"telegram","token":"1:A","simulator":false}"#).unwrap();
        assert!(!config.simulator);
    }

    #[cfg(feature = "simulator")]
    #[test]
    fn simulator_needs_no_token() {
        let config = config_from_json(r#"{"platform":"telegram","simulator":true}"#).unwrap();
        assert!(config.simulator);
        let MachineConfig::Telegram(bot) = config.machine else {
            panic!("telegram")
        };
        assert_eq!(bot.client.token, SIMULATOR_TOKEN);
        let config = config_from_json(r#"{"platform":"trueconf","simulator":true}"#).unwrap();
        let MachineConfig::TrueConf(bot) = config.machine else {
            panic!("trueconf")
        };
        assert!(!bot.session.https);
        let err = config_from_json(r#"{"platform":"trueconf","simulator":true,"server":"h"}"#)
            .unwrap_err();
        assert!(err.contains("server"), "{err}");
    }
}
