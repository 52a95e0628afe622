//! Flood control: sliding windows over virtual time, as Telegram publishes its sending limits.

use std::collections::{BTreeMap, VecDeque};

use crate::io::Timestamp;

/// At most `max` events in any window of `window_ms` milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// How many events the window admits.
    pub max: u32,
    /// The window's length in milliseconds.
    pub window_ms: u64,
}

/// The sending limits the simulator enforces on message-sending methods.
///
/// The defaults are Telegram's published ones: one message per second in a chat, 20 messages
/// per minute in a group (groups, supergroups and channels) and 30 messages per second overall.
/// A window admits a send at time `t` when fewer than `max` earlier sends happened in
/// `(t - window_ms, t]`; otherwise the answer is 429 with `retry_after` set to the whole
/// seconds, rounded up, until the send would be admitted by every window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Whether limits are enforced at all.
    pub enabled: bool,
    /// Per chat (any chat type).
    pub per_chat: Window,
    /// Per group, supergroup or channel, in addition to `per_chat`.
    pub per_group: Window,
    /// Over all chats.
    pub global: Window,
    /// `setWebhook` calls (Telegram answers faster calls with 429 and `retry_after` 1).
    pub set_webhook: Window,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            enabled: true,
            per_chat: Window {
                max: 1,
                window_ms: 1_000,
            },
            per_group: Window {
                max: 20,
                window_ms: 60_000,
            },
            global: Window {
                max: 30,
                window_ms: 1_000,
            },
            set_webhook: Window {
                max: 1,
                window_ms: 1_000,
            },
        }
    }
}

impl RateLimits {
    /// Limits switched off.
    pub fn disabled() -> Self {
        RateLimits {
            enabled: false,
            ..RateLimits::default()
        }
    }
}

/// The send times still inside one window, oldest first.
#[derive(Debug, Clone, Default)]
struct History(VecDeque<Timestamp>);

impl History {
    /// Milliseconds from `now` until one more event fits in `window` (0 when it fits now).
    fn wait(&mut self, now: Timestamp, window: Window) -> u64 {
        while self
            .0
            .front()
            .is_some_and(|t| t.saturating_add(window.window_ms) <= now)
        {
            self.0.pop_front();
        }
        let max = window.max as usize;
        if max == 0 {
            return window.window_ms.max(1);
        }
        if self.0.len() < max {
            return 0;
        }
        // The event that must leave the window before a new one fits.
        let blocking = self.0[self.0.len() - max];
        blocking
            .saturating_add(window.window_ms)
            .saturating_sub(now)
    }

    fn record(&mut self, now: Timestamp) {
        self.0.push_back(now);
    }
}

/// The limiter's state.
#[derive(Debug, Clone, Default)]
pub(crate) struct RateLimiter {
    per_chat: BTreeMap<i64, History>,
    per_group: BTreeMap<i64, History>,
    global: History,
    set_webhook: History,
}

/// Whole seconds, rounded up, of a wait in milliseconds; at least one.
fn seconds(wait_ms: u64) -> u64 {
    wait_ms.div_ceil(1000).max(1)
}

impl RateLimiter {
    /// `Err(retry_after)` when a message to `chat` at `now` would exceed a limit.
    pub fn check_send(
        &mut self,
        limits: &RateLimits,
        now: Timestamp,
        chat: i64,
        is_group: bool,
    ) -> Result<(), u64> {
        if !limits.enabled {
            return Ok(());
        }
        let mut wait = self
            .per_chat
            .entry(chat)
            .or_default()
            .wait(now, limits.per_chat);
        if is_group {
            wait = wait.max(
                self.per_group
                    .entry(chat)
                    .or_default()
                    .wait(now, limits.per_group),
            );
        }
        wait = wait.max(self.global.wait(now, limits.global));
        if wait == 0 {
            Ok(())
        } else {
            Err(seconds(wait))
        }
    }

    /// Counts a message to `chat` at `now`.
    pub fn record_send(&mut self, limits: &RateLimits, now: Timestamp, chat: i64, is_group: bool) {
        if !limits.enabled {
            return;
        }
        self.per_chat.entry(chat).or_default().record(now);
        if is_group {
            self.per_group.entry(chat).or_default().record(now);
        }
        self.global.record(now);
    }

    /// Checks and counts a `setWebhook` call.
    pub fn set_webhook(&mut self, limits: &RateLimits, now: Timestamp) -> Result<(), u64> {
        if !limits.enabled {
            return Ok(());
        }
        match self.set_webhook.wait(now, limits.set_webhook) {
            0 => {
                self.set_webhook.record(now);
                Ok(())
            }
            wait => Err(seconds(wait)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_window_waits_for_the_blocking_event() {
        let w = Window {
            max: 3,
            window_ms: 1000,
        };
        let mut h = History::default();
        for t in [0, 100, 200] {
            assert_eq!(h.wait(t, w), 0);
            h.record(t);
        }
        assert_eq!(h.wait(300, w), 700);
        assert_eq!(h.wait(999, w), 1);
        assert_eq!(h.wait(1000, w), 0);
        h.record(1000);
        assert_eq!(h.wait(1000, w), 100);
        assert_eq!(seconds(1), 1);
        assert_eq!(seconds(1000), 1);
        assert_eq!(seconds(1001), 2);
        assert_eq!(seconds(0), 1);
    }
}
