//! Server-pushed events: fan-out to connections, the short hold after `auth`, and the log of
//! which events were acknowledged.
//!
//! Events are staged while a request or hook runs and sent when it ends, so a client always
//! gets the answer to its request before the events the request caused.

use serde::Serialize;
use serde_json::{json, Value};

use super::world::World;
use super::{SimConn, SimWsOut, TrueConfSim, MAX_FRAME_BYTES};
use crate::io::Timestamp;

/// One event the simulator sent, and whether its connection acknowledged it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PushedEvent {
    /// The frame id, unique across the simulator.
    pub id: u64,
    /// The connection it was sent on.
    pub conn: SimConn,
    /// The account of that connection.
    pub user: String,
    /// The event's `method`.
    pub method: String,
    /// When it was sent.
    pub at: Timestamp,
    /// The message it carries (`sendMessage` events).
    pub message_id: Option<String>,
    /// When `{"type":2,"id":…}` arrived for it.
    pub acked_at: Option<Timestamp>,
}

/// An event waiting for the end of the current input (or for its connection's hold).
#[derive(Debug, Clone)]
pub(crate) struct Staged {
    pub id: u64,
    pub conn: SimConn,
    pub method: String,
    pub payload: Value,
    pub message_id: Option<String>,
}

/// Who receives an event, besides being a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Audience {
    /// Every authorised connection of the users.
    All,
    /// Only connections that asked for system envelopes.
    SystemEnvelopes,
}

impl TrueConfSim {
    /// Every event sent so far, in order.
    pub fn pushed_events(&self) -> &[PushedEvent] {
        &self.events
    }

    /// Sent events still waiting for their acknowledgement.
    pub fn unacked_events(&self) -> Vec<&PushedEvent> {
        self.events
            .iter()
            .filter(|e| e.acked_at.is_none())
            .collect()
    }

    /// Ids of the events that were acknowledged, in the order they were sent.
    pub fn acked_event_ids(&self) -> Vec<u64> {
        self.events
            .iter()
            .filter(|e| e.acked_at.is_some())
            .map(|e| e.id)
            .collect()
    }

    /// Whether the event with this id was sent and acknowledged.
    pub fn is_acked(&self, event_id: u64) -> bool {
        self.event_index
            .get(&event_id)
            .and_then(|&i| self.events.get(i))
            .is_some_and(|e| e.acked_at.is_some())
    }

    /// Authorised connections of an account, oldest first.
    pub(crate) fn conns_of(&self, user: &str) -> Vec<SimConn> {
        self.conns
            .iter()
            .filter(|(_, c)| c.user.as_deref() == Some(user))
            .map(|(id, _)| *id)
            .collect()
    }

    /// Stages one event for one connection and returns its id.
    pub(crate) fn stage_event(
        &mut self,
        conn: SimConn,
        method: &str,
        payload: Value,
        message_id: Option<String>,
    ) -> u64 {
        let id = self.next_event_id;
        self.next_event_id += 1;
        self.staged.push(Staged {
            id,
            conn,
            method: method.to_owned(),
            payload,
            message_id,
        });
        id
    }

    /// Stages an event for every authorised connection of `users` except `origin`, with a
    /// payload built for each user's view. Returns the event ids.
    pub(crate) fn notify(
        &mut self,
        users: &[String],
        origin: Option<SimConn>,
        audience: Audience,
        method: &str,
        message_id: Option<&str>,
        build: impl Fn(&World, &str) -> Value,
    ) -> Vec<u64> {
        let mut seen: Vec<&String> = Vec::new();
        let mut targets = Vec::new();
        for user in users {
            if seen.contains(&user) {
                continue;
            }
            seen.push(user);
            for conn in self.conns_of(user) {
                let wanted = match audience {
                    Audience::All => true,
                    Audience::SystemEnvelopes => {
                        self.conns.get(&conn).is_some_and(|c| c.receive_system)
                    }
                };
                if Some(conn) != origin && wanted {
                    targets.push((conn, build(&self.world, user)));
                }
            }
        }
        targets
            .into_iter()
            .map(|(conn, payload)| {
                self.stage_event(conn, method, payload, message_id.map(str::to_owned))
            })
            .collect()
    }

    /// Sends the staged events, or keeps them with their connection while it is on hold.
    pub(crate) fn flush_staged(&mut self, now: Timestamp) {
        for event in std::mem::take(&mut self.staged) {
            match self.conns.get_mut(&event.conn) {
                None => {}
                Some(conn) if conn.hold_until.is_some() => conn.held.push(event),
                Some(_) => self.emit_event(now, event),
            }
        }
    }

    /// Ends a connection's hold and sends what it kept.
    pub(crate) fn release_hold(&mut self, now: Timestamp, conn: SimConn) {
        let held = match self.conns.get_mut(&conn) {
            Some(c) if c.hold_until.is_some() => {
                c.hold_until = None;
                std::mem::take(&mut c.held)
            }
            _ => return,
        };
        for event in held {
            self.emit_event(now, event);
        }
    }

    fn emit_event(&mut self, now: Timestamp, event: Staged) {
        let Some(user) = self.conns.get(&event.conn).and_then(|c| c.user.clone()) else {
            return;
        };
        let frame = json!({
            "type": 1,
            "id": event.id,
            "method": event.method,
            "payload": event.payload,
        })
        .to_string();
        if frame.len() >= MAX_FRAME_BYTES {
            self.counters.oversized_frames += 1;
            return;
        }
        self.outbox.push_back((event.conn, SimWsOut::Text(frame)));
        self.counters.events_pushed += 1;
        self.event_index.insert(event.id, self.events.len());
        self.events.push(PushedEvent {
            id: event.id,
            conn: event.conn,
            user,
            method: event.method,
            at: now,
            message_id: event.message_id,
            acked_at: None,
        });
    }

    /// An acknowledgement `{"type":2,"id":id}` from a connection.
    pub(crate) fn acknowledge(&mut self, now: Timestamp, conn: SimConn, id: u64) {
        let event = self
            .event_index
            .get(&id)
            .and_then(|&i| self.events.get_mut(i))
            .filter(|e| e.conn == conn && e.acked_at.is_none());
        let Some(event) = event else {
            self.counters.stray_acks += 1;
            return;
        };
        event.acked_at = Some(now);
        self.counters.acks += 1;
        // Acknowledging a message event marks the message as read.
        let (user, message) = (event.user.clone(), event.message_id.clone());
        if let Some(message) = message.and_then(|m| self.world.messages.get_mut(&m)) {
            message.read_by.insert(user);
        }
    }
}
