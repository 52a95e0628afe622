//! The answerer: the latest inline query of a user wins (telepot's `Answerer`, corrected).
//!
//! Users type inline queries character by character, so queries arrive faster than answers
//! can be computed. Each [`Answerer::begin`] takes a fresh ticket and supersedes the user's
//! earlier one; [`Answerer::complete`] hands the answer out only if its ticket is still
//! current, checking and settling in one step, so a superseded answer is never sent.
//!
//! ```
//! use botwire_core::runtime::answerer::Answerer;
//! let mut a = Answerer::new();
//! let first = a.begin(42, "q1");
//! let second = a.begin(42, "q2");           // the user typed on
//! assert!(!a.is_current(&first));           // the first computation may stop early
//! assert_eq!(a.complete(&first, || "late"), None);
//! assert_eq!(a.complete(&second, || "answer"), Some("answer"));
//! ```

use std::collections::HashMap;
use std::hash::Hash;

/// One computation's claim to answer a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket<K> {
    /// Whose query (the user, for Telegram: `inline_query.from.id`).
    pub key: K,
    /// The query this computation answers (`inline_query.id`).
    pub query_id: String,
    generation: u64,
}

/// Tracks the current computation of every user.
#[derive(Debug, Clone)]
pub struct Answerer<K> {
    next_generation: u64,
    current: HashMap<K, u64>,
}

impl<K: Eq + Hash + Clone> Default for Answerer<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Eq + Hash + Clone> Answerer<K> {
    /// An answerer with no computation running.
    pub fn new() -> Self {
        Answerer {
            next_generation: 0,
            current: HashMap::new(),
        }
    }

    /// Starts answering `query_id` for `key`, superseding the key's earlier computation.
    pub fn begin(&mut self, key: K, query_id: impl Into<String>) -> Ticket<K> {
        self.next_generation += 1;
        self.current.insert(key.clone(), self.next_generation);
        Ticket {
            key,
            query_id: query_id.into(),
            generation: self.next_generation,
        }
    }

    /// Whether the ticket is still the latest of its key (a computation may poll this and
    /// give up early when it is not).
    pub fn is_current(&self, ticket: &Ticket<K>) -> bool {
        self.current.get(&ticket.key) == Some(&ticket.generation)
    }

    /// Finishes a computation: builds and returns the answer only when the ticket is still
    /// current (the key's entry is then removed); a superseded ticket gets `None` and its
    /// answer is never built.
    pub fn complete<A>(&mut self, ticket: &Ticket<K>, answer: impl FnOnce() -> A) -> Option<A> {
        if !self.is_current(ticket) {
            return None;
        }
        self.current.remove(&ticket.key);
        Some(answer())
    }

    /// A computation failed: forgets the key if the ticket is still current; emits nothing.
    pub fn fail(&mut self, ticket: &Ticket<K>) {
        if self.is_current(ticket) {
            self.current.remove(&ticket.key);
        }
    }

    /// How many keys have a computation running.
    pub fn running(&self) -> usize {
        self.current.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telegram::methods::AnswerInlineQuery;
    use crate::telegram::types::{
        InlineQueryResult, InlineQueryResultArticle, InputMessageContent, InputTextMessageContent,
    };

    #[test]
    fn keys_are_independent() {
        let mut a = Answerer::new();
        let ana = a.begin(1, "a1");
        let bo = a.begin(2, "b1");
        assert_eq!(a.running(), 2);
        assert_eq!(a.complete(&bo, || 2), Some(2));
        assert_eq!(a.complete(&ana, || 1), Some(1));
        assert_eq!(a.running(), 0);
    }

    #[test]
    fn a_ticket_answers_at_most_once() {
        let mut a = Answerer::new();
        let t = a.begin(1, "q");
        assert_eq!(a.complete(&t, || ()), Some(()));
        assert_eq!(a.complete(&t, || ()), None);
    }

    #[test]
    fn a_stale_failure_does_not_cancel_the_current_computation() {
        let mut a = Answerer::new();
        let old = a.begin(1, "q1");
        let new = a.begin(1, "q2");
        a.fail(&old);
        assert!(a.is_current(&new));
        a.fail(&new);
        assert_eq!(a.running(), 0);
        assert_eq!(a.complete(&new, || ()), None);
    }

    /// Completions interleaved with new queries: only answers to the latest query of a user
    /// are ever built, and each at most once.
    #[test]
    fn superseded_answers_are_never_built() {
        let mut rng = crate::io::SeededRng::new(9);
        let mut a = Answerer::new();
        let mut open: Vec<Ticket<u64>> = Vec::new();
        let mut latest: HashMap<u64, String> = HashMap::new();
        let mut answered: Vec<String> = Vec::new();
        for i in 0..5_000 {
            if rng.range(0, 2) > 0 || open.is_empty() {
                let user = rng.range(1, 5);
                let q = format!("q{i}");
                latest.insert(user, q.clone());
                open.push(a.begin(user, q));
            } else {
                let t = open.swap_remove(rng.range(0, open.len() as u64 - 1) as usize);
                let was_latest = latest.get(&t.key) == Some(&t.query_id);
                let built = a.complete(&t, || t.query_id.clone());
                assert_eq!(
                    built.is_some(),
                    was_latest && !answered.contains(&t.query_id)
                );
                answered.extend(built);
            }
        }
    }

    #[test]
    fn the_answer_is_an_answer_inline_query_request() {
        let mut a = Answerer::new();
        let t = a.begin(7_i64, "4382bfdwdsb323b2d9");
        let req = a
            .complete(&t, || {
                let article = InlineQueryResultArticle::new(
                    "1",
                    "Hello",
                    InputMessageContent::from(InputTextMessageContent::new("Hello")),
                );
                AnswerInlineQuery::new(t.query_id.clone(), vec![InlineQueryResult::from(article)])
                    .cache_time(0)
            })
            .unwrap();
        assert_eq!(
            serde_json::to_value(&req).unwrap(),
            serde_json::json!({"inline_query_id":"4382bfdwdsb323b2d9","results":[
                {"type":"article","id":"1","title":"Hello","input_message_content":{"message_text":"Hello"}}],
                "cache_time":0})
        );
    }
}
