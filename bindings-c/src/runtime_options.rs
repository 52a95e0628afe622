//! The runtime sections of the bot options (`dispatch`, `flood`, `conversation`, `router`), shared by
//! the C library and the npm package (which includes this file by path), so that both read
//! the same keys with the same checks and messages.

use botwire_core::runtime::conversation::{ConversationConfig, Seeder};
use botwire_core::runtime::dispatcher::DispatcherConfig;
use botwire_core::runtime::flood::{Budget, FloodConfig};
use botwire_core::runtime::router::Router;
use serde::Deserialize;

/// `options.dispatch`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DispatchOptions {
    concurrency: Option<usize>,
    max_attempts: Option<u32>,
    retry_delay_ms: Option<u64>,
    /// 0 waits forever.
    handler_timeout_ms: Option<u64>,
    max_queued: Option<usize>,
}

/// A send budget: `max` sends per `windowMs`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BudgetOptions {
    max: u32,
    window_ms: u64,
}

impl From<BudgetOptions> for Budget {
    fn from(b: BudgetOptions) -> Budget {
        Budget::new(b.max, b.window_ms)
    }
}

/// `options.flood`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FloodOptions {
    per_chat: Option<BudgetOptions>,
    per_group: Option<BudgetOptions>,
    global: Option<BudgetOptions>,
    max_queued_per_chat: Option<usize>,
    max_queued_total: Option<usize>,
}

/// `options.conversation` (its `onIdle` callback stays in JS).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConversationOptions {
    /// `"chat"` (default), `"user"`, `"message"` or `"app"`.
    per: Option<String>,
    /// Idle time after which a conversation ends (ms); 0 never.
    idle_timeout_ms: Option<u64>,
}

/// `options.router`: how command routes read commands.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RouterOptions {
    /// Command prefixes (default `["/"]`); an empty list turns command routes off.
    prefixes: Option<Vec<String>>,
    /// What separates command arguments (default: runs of whitespace).
    separator: Option<String>,
    /// Command names compared ignoring case (default: case matters).
    ignore_case: Option<bool>,
}

/// An empty router with the command options of `options.router`.
pub fn router_from<H>(given: RouterOptions) -> Result<Router<H>, String> {
    let mut router = Router::new();
    if let Some(prefixes) = given.prefixes {
        if prefixes.iter().any(String::is_empty) {
            return Err("options.router.prefixes cannot contain an empty prefix".into());
        }
        router = router.with_prefixes(prefixes);
    }
    if let Some(separator) = given.separator {
        router = router.with_separator(separator);
    }
    if let Some(ignore_case) = given.ignore_case {
        router = router.with_ignore_case(ignore_case);
    }
    Ok(router)
}

pub fn dispatcher_config(given: DispatchOptions) -> Result<DispatcherConfig, String> {
    let mut config = DispatcherConfig::default();
    if let Some(n) = given.concurrency {
        if n == 0 {
            return Err("options.dispatch.concurrency must be at least 1".into());
        }
        config.concurrency = n;
    }
    if let Some(n) = given.max_attempts {
        if n == 0 {
            return Err("options.dispatch.maxAttempts must be at least 1".into());
        }
        config.max_attempts = n;
    }
    if let Some(ms) = given.retry_delay_ms {
        config.retry_delay_ms = ms;
    }
    if let Some(ms) = given.handler_timeout_ms {
        config.handler_timeout_ms = (ms > 0).then_some(ms);
    }
    if let Some(n) = given.max_queued {
        if n == 0 {
            return Err("options.dispatch.maxQueued must be at least 1".into());
        }
        config.max_queued = n;
    }
    Ok(config)
}

pub fn flood_config(given: FloodOptions) -> Result<FloodConfig, String> {
    let mut config = FloodConfig::default();
    for (budget, slot, name) in [
        (given.per_chat, &mut config.per_chat, "perChat"),
        (given.per_group, &mut config.per_group, "perGroup"),
        (given.global, &mut config.global, "global"),
    ] {
        if let Some(b) = budget {
            if b.max == 0 || b.window_ms == 0 {
                return Err(format!(
                    "options.flood.{name} needs max and windowMs of at least 1"
                ));
            }
            *slot = b.into();
        }
    }
    if let Some(n) = given.max_queued_per_chat {
        config.max_queued_per_chat = n;
    }
    if let Some(n) = given.max_queued_total {
        config.max_queued_total = n;
    }
    Ok(config)
}

pub fn conversation_config(given: ConversationOptions) -> Result<ConversationConfig, String> {
    let seeder = match given.per.as_deref().unwrap_or("chat") {
        "chat" => Seeder::per_chat(),
        "user" => Seeder::per_from(),
        "message" => Seeder::per_message(),
        "app" => Seeder::per_application(),
        other => {
            return Err(format!(
                "options.conversation.per must be \"chat\", \"user\", \"message\" or \"app\", \
                 not {other:?}"
            ))
        }
    };
    let config = ConversationConfig::new(seeder, given.idle_timeout_ms.unwrap_or(0));
    Ok(match given.idle_timeout_ms {
        None | Some(0) => config.without_idle_timeout(),
        Some(_) => config,
    })
}
