//! Reordering of webhook deliveries by `update_id` (telepot's `OrderedWebhook`, corrected).
//!
//! Telegram delivers webhooks per chat in parallel, so ids arrive out of order. Early
//! arrivals are held while a missing id may still come, for at most `maxhold` measured from
//! when the first later update arrived. Deadlines are settled on every `feed` and `tick`, so
//! steady traffic never delays a flush (telepot only flushed when its queue went idle).
//!
//! ```
//! use botwire_core::telegram::ordered::{OrderedWebhook, OrderedConfig, Ordered};
//! let mut o: OrderedWebhook<&str> = OrderedWebhook::new(OrderedConfig { maxhold_ms: 3000, ..Default::default() });
//! o.feed(0, 100, "a");
//! o.feed(100, 102, "c"); // 101 is missing: 102 is held
//! assert_eq!(o.poll(), Some(Ordered::Deliver(100, "a")));
//! assert_eq!(o.poll(), None);
//! assert_eq!(o.next_deadline(), Some(3100));
//! o.tick(3100);          // 101 is given up, 102 flows
//! assert_eq!(o.poll(), Some(Ordered::GaveUp { from: 101, to: 101 }));
//! assert_eq!(o.poll(), Some(Ordered::Deliver(102, "c")));
//! ```

use crate::io::Timestamp;
use std::collections::{BTreeMap, VecDeque};

/// Settings of the reorderer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderedConfig {
    /// Longest wait for a missing id, from the arrival of the first later update (ms).
    pub maxhold_ms: u64,
    /// Most updates held at once; beyond it the lowest gaps are given up at once.
    pub max_held: usize,
    /// After this long without any input the state is cleared (ms); update ids may restart.
    pub reset_after_ms: u64,
}

impl Default for OrderedConfig {
    fn default() -> Self {
        OrderedConfig {
            maxhold_ms: 3_000,
            max_held: 10_000,
            reset_after_ms: 24 * 60 * 60 * 1000,
        }
    }
}

/// What the reorderer emits, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ordered<T> {
    /// Deliver this update now.
    Deliver(i64, T),
    /// Ids `from..=to` never came in time and were given up.
    GaveUp {
        /// First id given up.
        from: i64,
        /// Last id given up.
        to: i64,
    },
    /// An update with an id already delivered or given up, or a second copy of a held one.
    Dropped(i64),
}

/// A run of missing ids that share one deadline (they became missing together).
#[derive(Debug, Clone)]
struct Gap {
    from: i64,
    to: i64,
    deadline: Timestamp,
}

/// The reordering state machine, generic over the payload it carries.
#[derive(Debug, Clone)]
pub struct OrderedWebhook<T> {
    config: OrderedConfig,
    last: Option<i64>,
    highest: i64,
    // Values boxed: maps whose keys and values have the same layout share one copy of the
    // B-tree code in the WebAssembly module (bindings-wasm/SIZE.md).
    held: BTreeMap<i64, Box<T>>,
    gaps: VecDeque<Gap>,
    out: VecDeque<Ordered<T>>,
    last_input: Option<Timestamp>,
}

impl<T> OrderedWebhook<T> {
    /// An empty reorderer.
    pub fn new(config: OrderedConfig) -> Self {
        OrderedWebhook {
            config,
            last: None,
            highest: 0,
            held: BTreeMap::new(),
            gaps: VecDeque::new(),
            out: VecDeque::new(),
            last_input: None,
        }
    }

    /// The highest id delivered or given up.
    pub fn last(&self) -> Option<i64> {
        self.last
    }

    /// How many updates are held.
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// Feeds one update that arrived at `now`.
    pub fn feed(&mut self, now: Timestamp, update_id: i64, payload: T) {
        if let Some(prev) = self.last_input {
            if now.saturating_sub(prev) >= self.config.reset_after_ms {
                // No update can be redelivered after 24 h; ids may restart at random.
                self.last = None;
                self.held.clear();
                self.gaps.clear();
            }
        }
        self.last_input = Some(now);
        let Some(last) = self.last else {
            self.last = Some(update_id);
            self.highest = update_id;
            self.out.push_back(Ordered::Deliver(update_id, payload));
            return;
        };
        if update_id <= last || self.held.contains_key(&update_id) {
            self.out.push_back(Ordered::Dropped(update_id));
            return;
        }
        if update_id > self.highest {
            if update_id > self.highest + 1 {
                self.gaps.push_back(Gap {
                    from: self.highest + 1,
                    to: update_id - 1,
                    deadline: now.saturating_add(self.config.maxhold_ms),
                });
            }
            self.highest = update_id;
        }
        self.held.insert(update_id, Box::new(payload));
        self.settle(now);
    }

    /// Lets time pass: gives up gaps whose deadline is reached. Spurious calls are no-ops.
    pub fn tick(&mut self, now: Timestamp) {
        self.settle(now);
    }

    /// When the next gap expires, if anything is held.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        let last = self.last?;
        if self.held.is_empty() {
            return None;
        }
        self.gap_containing(last + 1).map(|g| g.deadline)
    }

    /// The next emitted item.
    pub fn poll(&mut self) -> Option<Ordered<T>> {
        self.out.pop_front()
    }

    fn gap_containing(&self, id: i64) -> Option<&Gap> {
        self.gaps.iter().find(|g| g.from <= id && id <= g.to)
    }

    fn settle(&mut self, now: Timestamp) {
        loop {
            let Some(last) = self.last else { return };
            let next = last + 1;
            if let Some(payload) = self.held.remove(&next) {
                self.last = Some(next);
                self.out.push_back(Ordered::Deliver(next, *payload));
                continue;
            }
            let Some(first_held) = self.held.keys().next().copied() else {
                self.gaps.clear();
                return;
            };
            let over_cap = self.held.len() > self.config.max_held;
            let expired = self
                .gap_containing(next)
                .map(|g| g.deadline <= now)
                .unwrap_or(true);
            if !(over_cap || expired) {
                return;
            }
            // Give up the whole missing run up to the next held id, or up to the end of this
            // gap when the run continues into a younger gap.
            let run_end = if over_cap {
                first_held - 1
            } else {
                self.gap_containing(next)
                    .map(|g| g.to.min(first_held - 1))
                    .unwrap_or(first_held - 1)
            };
            self.last = Some(run_end);
            self.out.push_back(Ordered::GaveUp {
                from: next,
                to: run_end,
            });
            while self.gaps.front().is_some_and(|g| g.to <= run_end) {
                self.gaps.pop_front();
            }
            if let Some(g) = self.gaps.front_mut() {
                g.from = g.from.max(run_end + 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(o: &mut OrderedWebhook<()>) -> Vec<Ordered<()>> {
        std::iter::from_fn(|| o.poll()).collect()
    }

    fn delivered(items: &[Ordered<()>]) -> Vec<i64> {
        items
            .iter()
            .filter_map(|i| match i {
                Ordered::Deliver(id, _) => Some(*id),
                _ => None,
            })
            .collect()
    }

    /// The worked example of the protocol notes, with maxhold 3 s.
    #[test]
    fn worked_example() {
        let mut o = OrderedWebhook::new(OrderedConfig::default());
        o.feed(0, 100, ());
        assert_eq!(delivered(&drain(&mut o)), vec![100]);
        o.feed(100, 103, ());
        assert!(drain(&mut o).is_empty());
        assert_eq!(o.next_deadline(), Some(3100));
        o.feed(200, 101, ());
        assert_eq!(delivered(&drain(&mut o)), vec![101]);
        o.feed(2000, 105, ());
        assert!(drain(&mut o).is_empty());
        o.feed(3000, 106, ());
        assert!(drain(&mut o).is_empty());
        assert_eq!(o.next_deadline(), Some(3100));
        o.tick(3100);
        let items = drain(&mut o);
        assert_eq!(items[0], Ordered::GaveUp { from: 102, to: 102 });
        assert_eq!(delivered(&items), vec![103]);
        assert_eq!(o.next_deadline(), Some(5000));
        o.feed(4000, 102, ());
        assert_eq!(drain(&mut o), vec![Ordered::Dropped(102)]);
        o.tick(4999);
        assert!(drain(&mut o).is_empty());
        o.tick(5000);
        let items = drain(&mut o);
        assert_eq!(items[0], Ordered::GaveUp { from: 104, to: 104 });
        assert_eq!(delivered(&items), vec![105, 106]);
        assert_eq!(o.next_deadline(), None);
    }

    /// Steady traffic that never fills a gap still flushes on time (telepot's defect).
    #[test]
    fn flushes_under_steady_traffic() {
        let mut o = OrderedWebhook::new(OrderedConfig::default());
        o.feed(0, 1, ());
        drain(&mut o);
        // id 2 never comes; 3, 4, 5, ... arrive every 100 ms.
        let mut flushed_at = None;
        for (i, id) in (3..100).enumerate() {
            let now = i as u64 * 100;
            o.feed(now, id, ());
            if delivered(&drain(&mut o)).contains(&3) {
                flushed_at = Some(now);
                break;
            }
        }
        // The gap opened at t=0 (arrival of 3) and must be given up by t=3000.
        assert_eq!(flushed_at, Some(3000));
    }

    #[test]
    fn duplicates_of_held_updates_are_dropped() {
        let mut o = OrderedWebhook::new(OrderedConfig::default());
        o.feed(0, 10, ());
        o.feed(1, 12, ());
        o.feed(2, 12, ());
        let items = drain(&mut o);
        assert!(items.contains(&Ordered::Dropped(12)));
        assert_eq!(o.held(), 1);
    }

    #[test]
    fn cap_on_held_updates_gives_up_lowest_gaps() {
        let mut o = OrderedWebhook::new(OrderedConfig {
            max_held: 3,
            ..Default::default()
        });
        o.feed(0, 1, ());
        for id in [3, 5, 7, 9] {
            o.feed(1, id, ());
        }
        let items = drain(&mut o);
        assert!(items.contains(&Ordered::GaveUp { from: 2, to: 2 }));
        assert_eq!(delivered(&items), vec![1, 3]);
        assert_eq!(o.held(), 3);
    }

    #[test]
    fn huge_id_jumps_cost_nothing() {
        let mut o = OrderedWebhook::new(OrderedConfig::default());
        o.feed(0, 1, ());
        o.feed(0, 1_000_000_000, ());
        o.tick(3_000);
        let items = drain(&mut o);
        assert!(items.contains(&Ordered::GaveUp {
            from: 2,
            to: 999_999_999
        }));
        assert_eq!(delivered(&items), vec![1, 1_000_000_000]);
    }

    #[test]
    fn resets_after_a_day_of_silence() {
        let mut o = OrderedWebhook::new(OrderedConfig::default());
        o.feed(0, 500, ());
        drain(&mut o);
        let day = 24 * 60 * 60 * 1000;
        o.feed(day, 7, ()); // ids restarted lower
        assert_eq!(delivered(&drain(&mut o)), vec![7]);
    }

    /// Property: for shuffled arrivals with duplicates and losses, every id is delivered or
    /// given up exactly once, in increasing order, and nothing waits past its deadline.
    #[test]
    fn random_arrivals_keep_the_invariants() {
        let mut rng = crate::io::SeededRng::new(42);
        for round in 0..300 {
            let maxhold = 1 + rng.range(0, 5_000);
            let mut o = OrderedWebhook::new(OrderedConfig {
                maxhold_ms: maxhold,
                max_held: 1 + rng.range(0, 40) as usize,
                ..Default::default()
            });
            let n = 1 + rng.range(0, 60) as i64;
            // Arrival times: roughly increasing with jitter; some ids lost, some doubled.
            let mut arrivals: Vec<(u64, i64)> = Vec::new();
            for id in 1..=n {
                if rng.range(0, 9) == 0 && id > 1 {
                    continue;
                }
                let t = id as u64 * 50 + rng.range(0, 4_000);
                arrivals.push((t, id));
                if rng.range(0, 9) == 0 {
                    arrivals.push((t + rng.range(0, 3_000), id));
                }
            }
            arrivals.sort();
            let mut covered: Vec<i64> = Vec::new();
            let mut clock = 0;
            let settle = |o: &mut OrderedWebhook<()>, covered: &mut Vec<i64>| {
                while let Some(item) = o.poll() {
                    match item {
                        Ordered::Deliver(id, ()) => covered.push(id),
                        Ordered::GaveUp { from, to } => covered.extend(from..=to),
                        Ordered::Dropped(_) => {}
                    }
                }
            };
            for (t, id) in arrivals {
                // Fire the timer the host would have armed, if it falls before this arrival.
                while let Some(d) = o.next_deadline() {
                    if d > t {
                        break;
                    }
                    assert!(d >= clock, "round {round}: deadline in the past");
                    clock = d;
                    o.tick(d);
                    settle(&mut o, &mut covered);
                }
                clock = clock.max(t);
                o.feed(clock, id, ());
                settle(&mut o, &mut covered);
            }
            while let Some(d) = o.next_deadline() {
                o.tick(d);
                settle(&mut o, &mut covered);
            }
            assert_eq!(o.held(), 0, "round {round}");
            let first = covered[0];
            let expected: Vec<i64> = (first..first + covered.len() as i64).collect();
            assert_eq!(
                covered, expected,
                "round {round}: not each id once, in order"
            );
        }
    }

    #[test]
    fn gaps_opened_later_keep_their_own_deadline() {
        let mut o = OrderedWebhook::new(OrderedConfig::default());
        o.feed(0, 1, ());
        o.feed(0, 3, ()); // 2 missing, deadline 3000
        o.feed(1000, 6, ()); // 4, 5 missing, deadline 4000
        o.tick(3000);
        let items = drain(&mut o);
        assert_eq!(delivered(&items), vec![1, 3]);
        assert_eq!(o.next_deadline(), Some(4000));
        o.feed(3500, 4, ());
        assert_eq!(delivered(&drain(&mut o)), vec![4]);
        o.tick(4000);
        assert_eq!(delivered(&drain(&mut o)), vec![6]);
    }
}
