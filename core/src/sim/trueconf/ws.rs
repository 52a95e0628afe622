//! The bot WebSocket: connections, the request pipeline (authorisation, duplicate ids,
//! faults, delays), `auth`, and the timers that release delayed answers and held events.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::{json, Map, Value};

use super::events::{Audience, Staged};
use super::faults::FaultKind;
use super::methods::Fail;
use super::views::{envelope, EnvelopeStyle};
use super::{SimConn, SimError, SimWsOut, TrueConfSim, WsAccept, MAX_FRAME_BYTES};
use crate::io::{HttpResponse, Timestamp};

/// The subprotocol the server speaks.
const SUBPROTOCOL: &str = "json.v1";

/// One open WebSocket.
#[derive(Debug, Clone)]
pub(crate) struct Conn {
    pub path: String,
    pub protocol: Option<String>,
    pub opened_at: Timestamp,
    /// The account, once `auth` succeeded.
    pub user: Option<String>,
    pub resource: Option<String>,
    pub connection_id: Option<String>,
    pub authorized_at: Option<Timestamp>,
    /// Tokens were expired by a test hook: every call answers 203.
    pub token_expired: bool,
    pub receive_system: bool,
    /// Events wait until the client's next frame or this time (set by `auth`).
    pub hold_until: Option<Timestamp>,
    pub held: Vec<Staged>,
    /// Request ids whose (delayed) answers are not sent yet.
    pub in_flight: BTreeSet<u64>,
}

/// A delayed answer.
#[derive(Debug, Clone)]
pub(crate) struct Scheduled {
    pub conn: SimConn,
    pub request_id: u64,
    pub frame: String,
}

/// A connection as tests see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnInfo {
    /// The connection.
    pub conn: SimConn,
    /// The upgrade path.
    pub path: String,
    /// The subprotocol agreed on.
    pub protocol: Option<String>,
    /// The account, once authorised.
    pub user: Option<String>,
    /// The `connectionId` handed out by `auth`.
    pub connection_id: Option<String>,
    /// When the upgrade happened.
    pub opened_at: Timestamp,
    /// When `auth` succeeded.
    pub authorized_at: Option<Timestamp>,
    /// Events waiting for the end of the post-`auth` hold.
    pub held_events: usize,
    /// Requests whose delayed answers are pending.
    pub in_flight: usize,
}

fn http_error(status: u16, error: &str) -> HttpResponse {
    HttpResponse::json(status, json!({ "error": error }).to_string())
}

impl TrueConfSim {
    /// Accepts a WebSocket upgrade on `path` (`/websocket/chat_bot`, with or without the
    /// trailing slash; a query string is ignored). `offered_protocols` are the values of
    /// `Sec-WebSocket-Protocol` (comma-separated lists are split).
    ///
    /// # Errors
    ///
    /// The HTTP answer to give instead of upgrading: 404 for another path, 503 when
    /// [`SimConfig::max_connections`](super::SimConfig::max_connections) sockets are open.
    pub fn ws_open(
        &mut self,
        now: Timestamp,
        path: &str,
        offered_protocols: &[&str],
    ) -> Result<WsAccept, HttpResponse> {
        let now = self.clock(now);
        let path = path.split(['?', '#']).next().unwrap_or(path);
        if path != "/websocket/chat_bot" && path != "/websocket/chat_bot/" {
            return Err(http_error(404, "not found"));
        }
        if self.conns.len() >= self.config.max_connections {
            return Err(http_error(503, "too many connections"));
        }
        let protocol = offered_protocols
            .iter()
            .flat_map(|p| p.split(','))
            .map(str::trim)
            .find(|p| *p == SUBPROTOCOL)
            .map(str::to_owned);
        self.next_conn += 1;
        let conn = SimConn(self.next_conn);
        self.conns.insert(
            conn,
            Conn {
                path: path.to_owned(),
                protocol: protocol.clone(),
                opened_at: now,
                user: None,
                resource: None,
                connection_id: None,
                authorized_at: None,
                token_expired: false,
                receive_system: false,
                hold_until: None,
                held: Vec::new(),
                in_flight: BTreeSet::new(),
            },
        );
        self.counters.ws_opened += 1;
        Ok(WsAccept { conn, protocol })
    }

    /// One text frame from a client. Anything that is not a JSON object with a usable `type`
    /// and `id` is counted as garbage and ignored.
    ///
    /// # Errors
    ///
    /// [`SimError::UnknownConnection`] if the connection is not open (the frame is ignored).
    pub fn ws_receive(
        &mut self,
        now: Timestamp,
        conn: SimConn,
        text: &str,
    ) -> Result<(), SimError> {
        let now = self.clock(now);
        let on_hold = match self.conns.get(&conn) {
            Some(c) => c.hold_until.is_some(),
            None => return Err(SimError::UnknownConnection(conn)),
        };
        self.counters.frames_received += 1;
        let frame = match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(frame)) => Some(frame),
            _ => None,
        };
        let kind = frame
            .as_ref()
            .and_then(|f| f.get("type"))
            .and_then(Value::as_u64);
        let id = frame
            .as_ref()
            .and_then(|f| f.get("id"))
            .and_then(Value::as_u64);
        match (frame, kind, id) {
            (Some(frame), Some(1), Some(id)) => self.request(now, conn, id, &frame),
            (_, Some(2), Some(id)) => self.acknowledge(now, conn, id),
            _ => self.counters.garbage_frames += 1,
        }
        // The client's next frame after `auth` shows it has read the answer.
        if on_hold {
            self.release_hold(now, conn);
        }
        self.flush_staged(now);
        Ok(())
    }

    /// The host saw the socket close. Unknown connections are ignored.
    pub fn ws_closed(&mut self, now: Timestamp, conn: SimConn) {
        self.clock(now);
        self.forget_conn(conn);
    }

    /// The next frame to send or socket to close.
    pub fn poll_ws(&mut self) -> Option<(SimConn, SimWsOut)> {
        self.outbox.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) has work: a delayed answer or the end of
    /// a post-`auth` hold. `None` when nothing is scheduled.
    pub fn next_event(&self) -> Option<Timestamp> {
        let answer = self.scheduled.keys().next().map(|(at, _)| *at);
        let hold = self.conns.values().filter_map(|c| c.hold_until).min();
        match (answer, hold) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Moves virtual time to `now`: sends delayed answers that are due and ends holds that
    /// expired. Calling it early is harmless.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        let now = self.clock(now);
        while let Some(entry) = self.scheduled.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let scheduled = entry.remove();
            if let Some(conn) = self.conns.get_mut(&scheduled.conn) {
                conn.in_flight.remove(&scheduled.request_id);
                self.outbox
                    .push_back((scheduled.conn, SimWsOut::Text(scheduled.frame)));
            }
        }
        let due: Vec<SimConn> = self
            .conns
            .iter()
            .filter(|(_, c)| c.hold_until.is_some_and(|t| t <= now))
            .map(|(id, _)| *id)
            .collect();
        for conn in due {
            self.release_hold(now, conn);
        }
        self.flush_staged(now);
    }

    /// The open connections.
    pub fn connections(&self) -> Vec<ConnInfo> {
        self.conns
            .iter()
            .map(|(id, c)| ConnInfo {
                conn: *id,
                path: c.path.clone(),
                protocol: c.protocol.clone(),
                user: c.user.clone(),
                connection_id: c.connection_id.clone(),
                opened_at: c.opened_at,
                authorized_at: c.authorized_at,
                held_events: c.held.len(),
                in_flight: c.in_flight.len(),
            })
            .collect()
    }

    /// Closes a socket from the server side: a [`SimWsOut::Close`] comes out and the
    /// connection is forgotten at once.
    pub(crate) fn close_conn(&mut self, conn: SimConn) {
        if self.forget_conn(conn) {
            self.outbox.push_back((conn, SimWsOut::Close));
            self.counters.closed_by_sim += 1;
        }
    }

    fn forget_conn(&mut self, conn: SimConn) -> bool {
        self.subscriptions.retain(|(c, _)| *c != conn);
        self.conns.remove(&conn).is_some()
    }

    fn request(&mut self, now: Timestamp, conn: SimConn, id: u64, frame: &Map<String, Value>) {
        self.counters.requests += 1;
        let Some(method) = frame.get("method").and_then(Value::as_str) else {
            return self.respond(now, conn, id, Fail::PAYLOAD.json(), 0);
        };
        let empty = Map::new();
        let payload = match frame.get("payload") {
            None => &empty,
            Some(Value::Object(payload)) => payload,
            Some(_) => return self.respond(now, conn, id, Fail::PAYLOAD.json(), 0),
        };
        let Some(state) = self.conns.get(&conn) else {
            return;
        };
        if state.in_flight.contains(&id) {
            return self.respond(now, conn, id, Fail::DUPLICATE_ID.json(), 0);
        }
        let (user, token_expired) = (state.user.clone(), state.token_expired);
        if user.is_none() && method != "auth" {
            return self.respond(now, conn, id, Fail::NOT_AUTHORISED.json(), 0);
        }
        let mut delay = self.response_delay_ms;
        let mut close_after = false;
        if let Some(kind) = self.take_fault(method) {
            self.counters.faults_applied += 1;
            match kind {
                FaultKind::ErrorCode(code) => {
                    return self.respond(now, conn, id, json!({ "errorCode": code }), delay)
                }
                FaultKind::CloseSocket => return self.close_conn(conn),
                FaultKind::CloseSocketAfterExecuting => close_after = true,
                FaultKind::Delay(ms) => delay = delay.saturating_add(ms),
            }
        }
        let result = match (method, user) {
            ("auth", _) => self.auth(now, conn, payload, delay),
            (_, _) if token_expired => Err(Fail::EXPIRED),
            (_, Some(user)) => self.dispatch(now, conn, &user, method, payload),
            (_, None) => Err(Fail::NOT_AUTHORISED),
        };
        if close_after {
            return self.close_conn(conn);
        }
        let answer = result.unwrap_or_else(|fail| fail.json());
        self.respond(now, conn, id, answer, delay);
    }

    fn respond(&mut self, now: Timestamp, conn: SimConn, id: u64, payload: Value, delay: u64) {
        if payload
            .get("errorCode")
            .and_then(Value::as_i64)
            .is_some_and(|c| c != 0)
        {
            self.counters.error_responses += 1;
        }
        let mut frame = json!({"type": 2, "id": id, "payload": payload}).to_string();
        if frame.len() >= MAX_FRAME_BYTES {
            self.counters.oversized_frames += 1;
            frame = json!({"type": 2, "id": id, "payload": Fail::INTERNAL.json()}).to_string();
        }
        if delay == 0 {
            self.outbox.push_back((conn, SimWsOut::Text(frame)));
            return;
        }
        if let Some(state) = self.conns.get_mut(&conn) {
            state.in_flight.insert(id);
        }
        self.next_seq += 1;
        self.scheduled.insert(
            (now.saturating_add(delay), self.next_seq),
            Scheduled {
                conn,
                request_id: id,
                frame,
            },
        );
    }

    fn take_fault(&mut self, method: &str) -> Option<FaultKind> {
        let index = self.faults.iter().position(|f| f.matches(method))?;
        let fault = &mut self.faults[index];
        fault.times -= 1;
        let kind = fault.kind.clone();
        if fault.times == 0 {
            self.faults.remove(index);
        }
        Some(kind)
    }

    /// `auth {token, tokenType, receiveUnread, receiveSystemMessageEnvelopes}`.
    fn auth(
        &mut self,
        now: Timestamp,
        conn: SimConn,
        payload: &Map<String, Value>,
        answer_delay: u64,
    ) -> Result<Value, Fail> {
        let token = payload
            .get("token")
            .and_then(Value::as_str)
            .ok_or(Fail::PAYLOAD)?;
        match payload.get("tokenType") {
            None | Some(Value::Null) => {}
            Some(kind) if kind == "JWT" => {}
            Some(_) => return Err(Fail(204, "Unsupported credentials")),
        }
        let flag = |key: &str| payload.get(key).and_then(Value::as_bool).unwrap_or(false);
        let (receive_unread, receive_system) =
            (flag("receiveUnread"), flag("receiveSystemMessageEnvelopes"));
        if super::jwt::payload(token).is_none() {
            return Err(Fail(201, "Invalid credentials"));
        }
        let info = self
            .tokens
            .get(token)
            .ok_or(Fail(201, "Invalid credentials"))?;
        if info.revoked || info.exp_s.saturating_mul(1000) <= self.wall_ms(now) {
            return Err(Fail::EXPIRED);
        }
        let user = self
            .world
            .users
            .get(&info.user)
            .ok_or(Fail(201, "Invalid credentials"))?;
        if user.disabled {
            return Err(Fail(202, "User disabled"));
        }
        let user = user.id.clone();
        let resource = self.hex(8);
        let connection_id = self.uuid();
        let hold_until = now
            .saturating_add(answer_delay)
            .saturating_add(self.config.auth_hold_ms);
        let Some(state) = self.conns.get_mut(&conn) else {
            return Err(Fail::INTERNAL);
        };
        state.user = Some(user.clone());
        state.resource = Some(resource.clone());
        state.connection_id = Some(connection_id.clone());
        state.authorized_at = Some(now);
        state.token_expired = false;
        state.receive_system = receive_system;
        state.hold_until = Some(hold_until);
        // Servers announce the upload limits at connect.
        self.stage_event(conn, "getFileUploadLimits", self.limits.to_json(), None);
        if receive_unread {
            self.replay_unread(conn, &user, receive_system);
        }
        Ok(json!({
            "userId": format!("{user}/{resource}"),
            "connectionId": connection_id,
        }))
    }

    /// Stages `sendMessage` events for the messages the user has not read, oldest first.
    fn replay_unread(&mut self, conn: SimConn, user: &str, with_system: bool) {
        let mut unread: Vec<(u64, i64, String, Value)> = Vec::new();
        for chat in self.world.chats.values().filter(|c| c.is_member(user)) {
            for message in self.world.visible_messages(chat, user) {
                if message.author == user
                    || message.read_by.contains(user)
                    || (message.is_system() && !with_system)
                {
                    continue;
                }
                let payload = envelope(&self.world, message, user, EnvelopeStyle::EVENT);
                unread.push((
                    message.timestamp,
                    message.box_id,
                    message.id.clone(),
                    payload,
                ));
            }
        }
        unread.sort_by_key(|u| (u.0, u.1));
        for (_, _, id, payload) in unread {
            self.stage_event(conn, "sendMessage", payload, Some(id));
        }
    }

    /// The audience of an envelope: system envelopes only reach connections that asked.
    pub(crate) fn audience_of(system: bool) -> Audience {
        if system {
            Audience::SystemEnvelopes
        } else {
            Audience::All
        }
    }
}
