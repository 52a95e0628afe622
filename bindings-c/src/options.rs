//! The option bag of [`botwire_bot_new`](crate::bot::botwire_bot_new): JSON text with the
//! same keys and meanings as the npm package's `new Bot(options)`, so a C host and a
//! JavaScript host can share one configuration file. Unknown keys are refused (a typo is an
//! error, not a silent default).
//!
//! ```text
//! {"platform":"telegram","token":"123:ABC","apiRoot":"https://api.telegram.org",
//!  "intake":"polling","polling":{"timeoutSecs":30,"limit":100},"ack":"afterHandling",
//!  "flood":{"perChat":{"max":1,"windowMs":1000}},"dispatch":{"concurrency":8},
//!  "conversation":{"per":"chat","idleTimeoutMs":600000}}
//! {"platform":"trueconf","server":"tc.example.com","username":"bot","password":"...",
//!  "keepAliveMs":30000}
//! ```
//!
//! Differences from the npm package: `simulator` is not available (a C host brings its own
//! transport), and `keepAliveMs` keeps the core's default keep-alive when absent (a C host can
//! send WebSocket pings; browsers cannot).

use crate::runtime_options::{
    conversation_config, dispatcher_config, flood_config, router_from, ConversationOptions,
    DispatchOptions, FloodOptions, RouterOptions,
};
use botwire_core::runtime::bot::{AckMode, BotConfig};
use botwire_core::runtime::conversation::ConversationConfig;
use botwire_core::runtime::router::Router;
use botwire_core::runtime::trueconf_bot::TrueConfBotConfig;
use botwire_core::telegram::client::{PollingConfig, WebhookConfig};
use botwire_core::telegram::{ClientConfig, Intake};
use botwire_core::trueconf::session::{Credentials, KeepAlive, SessionConfig};
use serde::Deserialize;

/// The options, as JSON text gives them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct BotOptions {
    platform: String,
    token: Option<String>,
    api_root: Option<String>,
    intake: Option<String>,
    polling: Option<PollingOptions>,
    webhook: Option<WebhookOptions>,
    call_timeout_ms: Option<u64>,
    server: Option<String>,
    port: Option<u16>,
    https: Option<bool>,
    username: Option<String>,
    password: Option<String>,
    client_id: Option<String>,
    access_token: Option<String>,
    keep_alive_ms: Option<u64>,
    receive_unread: Option<bool>,
    request_timeout_ms: Option<u64>,
    reconnect_initial_ms: Option<u64>,
    reconnect_max_ms: Option<u64>,
    max_reconnect_attempts: Option<u32>,
    answer_commands: Option<bool>,
    dispatch: Option<DispatchOptions>,
    flood: Option<FloodOptions>,
    ack: Option<String>,
    action_attempts: Option<u32>,
    action_retry_delay_ms: Option<u64>,
    conversation: Option<ConversationOptions>,
    router: Option<RouterOptions>,
    seed: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PollingOptions {
    timeout_secs: Option<u32>,
    limit: Option<u32>,
    allowed_updates: Option<Vec<String>>,
    backoff_initial_ms: Option<u64>,
    backoff_max_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct WebhookOptions {
    secret_token: Option<String>,
    max_body_bytes: Option<usize>,
}

/// The runtime machine the options describe.
#[derive(Debug)]
pub enum MachineConfig {
    /// A Telegram bot.
    Telegram(Box<BotConfig>),
    /// A TrueConf bot.
    TrueConf(Box<TrueConfBotConfig>),
}

/// Everything a bot is built from.
#[derive(Debug)]
pub struct Config {
    /// The runtime machine.
    pub machine: MachineConfig,
    /// Conversations.
    pub conversation: ConversationConfig,
    /// The router (empty), with the command options.
    pub router: Router<u32>,
    /// Telegram: whether HTTP webhook deliveries are accepted (`intake: "webhook"`).
    pub http_webhook: bool,
    /// Telegram: the secret token updates handed in directly are delivered with, when the
    /// intake takes them (`"webhook"` or `"none"`); `None` when it cannot (polling,
    /// TrueConf).
    pub update_intake: Option<Option<String>>,
}

fn forbid(options: &[(bool, &str)], platform: &str) -> Result<(), String> {
    match options.iter().find(|(present, _)| *present) {
        Some((_, name)) => Err(format!(
            "options.{name} does not apply to platform {platform:?}"
        )),
        None => Ok(()),
    }
}

/// Checks the options (JSON text) and builds the configurations.
///
/// # Errors
/// A message naming the first option that is missing, misplaced or out of range.
pub fn config_from_json(json: &str) -> Result<Config, String> {
    let options: BotOptions =
        serde_json::from_str(json).map_err(|e| format!("invalid options: {e}"))?;
    let dispatch = dispatcher_config(options.dispatch.unwrap_or_default())?;
    let conversation = conversation_config(options.conversation.unwrap_or_default())?;
    let router = router_from(options.router.unwrap_or_default())?;
    let mut http_webhook = false;
    let mut update_intake = None;
    let machine = match options.platform.as_str() {
        "telegram" => {
            forbid(
                &[
                    (options.server.is_some(), "server"),
                    (options.port.is_some(), "port"),
                    (options.https.is_some(), "https"),
                    (options.username.is_some(), "username"),
                    (options.password.is_some(), "password"),
                    (options.client_id.is_some(), "clientId"),
                    (options.access_token.is_some(), "accessToken"),
                    (options.keep_alive_ms.is_some(), "keepAliveMs"),
                    (options.receive_unread.is_some(), "receiveUnread"),
                    (options.request_timeout_ms.is_some(), "requestTimeoutMs"),
                    (options.reconnect_initial_ms.is_some(), "reconnectInitialMs"),
                    (options.reconnect_max_ms.is_some(), "reconnectMaxMs"),
                    (
                        options.max_reconnect_attempts.is_some(),
                        "maxReconnectAttempts",
                    ),
                    (options.answer_commands.is_some(), "answerCommands"),
                ],
                "telegram",
            )?;
            let token = options
                .token
                .filter(|t| !t.is_empty())
                .ok_or("options.token is required for Telegram")?;
            let mut client = ClientConfig::new(token);
            if let Some(root) = options.api_root {
                client = client.with_api_root(root);
            }
            client.intake = match options.intake.as_deref().unwrap_or("polling") {
                "polling" => {
                    let given = options.polling.unwrap_or_default();
                    let defaults = PollingConfig::default();
                    Intake::Polling(PollingConfig {
                        timeout_secs: given.timeout_secs.unwrap_or(defaults.timeout_secs),
                        limit: given.limit.unwrap_or(defaults.limit),
                        allowed_updates: given.allowed_updates.or(defaults.allowed_updates),
                        backoff_initial_ms: given
                            .backoff_initial_ms
                            .unwrap_or(defaults.backoff_initial_ms),
                        backoff_max_ms: given.backoff_max_ms.unwrap_or(defaults.backoff_max_ms),
                        ..defaults
                    })
                }
                intake @ ("webhook" | "none") => {
                    let given = options.webhook.unwrap_or_default();
                    let defaults = WebhookConfig::default();
                    http_webhook = intake == "webhook";
                    // `"none"`: no intake of its own, but updates can still be handed in
                    // (`botwire_bot_handle_update`), through a webhook intake that refuses
                    // HTTP deliveries.
                    Intake::Webhook(WebhookConfig {
                        secret_token: given.secret_token.or(defaults.secret_token),
                        max_body_bytes: given.max_body_bytes.unwrap_or(defaults.max_body_bytes),
                        ..defaults
                    })
                }
                other => {
                    return Err(format!(
                        "options.intake must be \"polling\", \"webhook\" or \"none\", not \
                         {other:?}"
                    ))
                }
            };
            if let Intake::Webhook(w) = &client.intake {
                update_intake = Some(w.secret_token.clone());
            }
            if let Some(seed) = options.seed {
                client.seed = seed;
            }
            if let Some(ms) = options.call_timeout_ms {
                client.call_timeout_ms = ms;
            }
            let mut config = BotConfig::polling("");
            config.client = client;
            config.dispatch = dispatch;
            config.flood = flood_config(options.flood.unwrap_or_default())?;
            config.ack = match options.ack.as_deref() {
                None | Some("afterReceipt") => AckMode::AfterReceipt,
                Some("afterHandling") => AckMode::AfterHandling,
                Some(other) => {
                    return Err(format!(
                        "options.ack must be \"afterReceipt\" or \"afterHandling\", not \
                         {other:?}"
                    ))
                }
            };
            if let Some(n) = options.action_attempts {
                config.action_attempts = n.max(1);
            }
            if let Some(ms) = options.action_retry_delay_ms {
                config.action_retry_delay_ms = ms;
            }
            MachineConfig::Telegram(Box::new(config))
        }
        "trueconf" => {
            forbid(
                &[
                    (options.token.is_some(), "token"),
                    (options.api_root.is_some(), "apiRoot"),
                    (options.intake.is_some(), "intake"),
                    (options.polling.is_some(), "polling"),
                    (options.webhook.is_some(), "webhook"),
                    (options.call_timeout_ms.is_some(), "callTimeoutMs"),
                    (options.flood.is_some(), "flood"),
                    (options.ack.is_some(), "ack"),
                ],
                "trueconf",
            )?;
            let mut session = trueconf_session(
                options.server,
                options.port,
                options.https,
                options.username,
                options.password,
                options.client_id,
                options.access_token,
            )?;
            match options.keep_alive_ms {
                None => {}
                Some(0) => session.keep_alive = None,
                Some(interval_ms) => {
                    session.keep_alive = Some(KeepAlive {
                        interval_ms,
                        ..KeepAlive::default()
                    })
                }
            }
            if let Some(v) = options.receive_unread {
                session.receive_unread = v;
            }
            if let Some(ms) = options.request_timeout_ms {
                session.request_timeout_ms = ms;
            }
            if let Some(ms) = options.reconnect_initial_ms {
                session.reconnect_initial_ms = ms;
            }
            if let Some(ms) = options.reconnect_max_ms {
                session.reconnect_max_ms = ms;
            }
            session.max_attempts = options.max_reconnect_attempts;
            if let Some(seed) = options.seed {
                session.seed = seed;
            }
            let mut config = TrueConfBotConfig::new(session);
            config.dispatch = dispatch;
            if let Some(v) = options.answer_commands {
                config.answer_commands = v;
            }
            if let Some(n) = options.action_attempts {
                config.action_attempts = n.max(1);
            }
            if let Some(ms) = options.action_retry_delay_ms {
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
        http_webhook,
        update_intake,
    })
}

fn trueconf_session(
    server: Option<String>,
    port: Option<u16>,
    https: Option<bool>,
    username: Option<String>,
    password: Option<String>,
    client_id: Option<String>,
    access_token: Option<String>,
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
    let credentials = match (access_token, username, password, client_id) {
        (Some(token), None, None, None) => Credentials::Token(token),
        (None, Some(username), Some(password), Some(client_id)) => Credentials::OAuthApp {
            client_id,
            username,
            password,
        },
        (None, Some(username), Some(password), None) => {
            Credentials::Password { username, password }
        }
        _ => {
            return Err("TrueConf needs options.username and options.password (and \
                        optionally options.clientId), or options.accessToken alone"
                .into())
        }
    };
    Ok(SessionConfig::new(server, port, https, credentials))
}

#[cfg(test)]
mod tests {
    use super::*;
    use botwire_core::runtime::flood::Budget;

    #[test]
    fn telegram_options_are_read() {
        let config = config_from_json(
            r#"{"platform":"telegram","token":"1:A","apiRoot":"http://sim","ack":"afterHandling",
                "flood":{"perChat":{"max":5,"windowMs":1000}},"dispatch":{"maxAttempts":2},
                "conversation":{"idleTimeoutMs":60000}}"#,
        )
        .unwrap();
        let MachineConfig::Telegram(bot) = config.machine else {
            panic!("telegram")
        };
        assert_eq!(bot.ack, AckMode::AfterHandling);
        assert_eq!(bot.flood.per_chat, Budget::new(5, 1000));
        assert_eq!(bot.dispatch.max_attempts, 2);
        assert_eq!(bot.client.api_root, "http://sim");
        assert_eq!(config.conversation.idle_timeout, Some(60_000));
        assert_eq!(config.update_intake, None);
    }

    #[test]
    fn trueconf_options_are_read() {
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
    }

    #[test]
    fn mistakes_are_named() {
        let err = |json: &str| config_from_json(json).unwrap_err();
        assert!(err(r#"{"platform":"telegram"}"#).contains("token"));
        assert!(err(r#"{"platform":"telegram","token":"1:A","tokn":1}"#).contains("tokn"));
        assert!(err(r#"{"platform":"slack"}"#).contains("slack"));
        assert!(err(r#"{"platform":"telegram","token":"1:A","server":"x"}"#).contains("server"));
        assert!(err(r#"{"platform":"trueconf","server":"h"}"#).contains("password"));
        assert!(err(r#"{"platform":"telegram","token":"1:A","ack":"never"}"#).contains("never"));
        assert!(err(r#"{"platform":"telegram","token":"1:A","intake":"x"}"#).contains("intake"));
    }
}
