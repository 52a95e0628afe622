//! Injected faults: what the simulator does to chosen requests instead of (or besides)
//! answering them normally.

use serde::Serialize;

/// What an injected fault does to a matching request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FaultKind {
    /// Answer `{"errorCode": N}` without executing the request.
    ErrorCode(i64),
    /// Close the socket instead of answering; the request is not executed.
    CloseSocket,
    /// Execute the request, then close the socket instead of answering (the answer is lost).
    CloseSocketAfterExecuting,
    /// Execute the request and answer it this many milliseconds later.
    Delay(u64),
}

/// A fault waiting in the simulator's queue. It applies to the next `times` requests that
/// match, then disappears. Faults are tried in the order they were queued; a request takes at
/// most one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fault {
    /// What happens.
    pub kind: FaultKind,
    /// Only requests of this method (exact name, `auth` included); `None` matches every
    /// request.
    pub method: Option<String>,
    /// How many requests it still applies to.
    pub times: u32,
}

impl Fault {
    /// A fault for the next request of any method.
    pub fn new(kind: FaultKind) -> Self {
        Fault {
            kind,
            method: None,
            times: 1,
        }
    }

    /// Restricts the fault to one method.
    pub fn on_method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into());
        self
    }

    /// Applies the fault to `n` requests instead of one (at least one).
    pub fn times(mut self, n: u32) -> Self {
        self.times = n.max(1);
        self
    }

    pub(crate) fn matches(&self, method: &str) -> bool {
        self.times > 0 && self.method.as_deref().map_or(true, |m| m == method)
    }
}

impl super::TrueConfSim {
    /// Queues a fault for the next matching requests.
    pub fn inject_fault(&mut self, fault: Fault) {
        self.faults.push_back(fault);
    }

    /// The next request of `method` answers `{"errorCode": code}` without being executed.
    pub fn fail_next(&mut self, method: &str, code: i64) {
        self.inject_fault(Fault::new(FaultKind::ErrorCode(code)).on_method(method));
    }

    /// The next request of `method` is not answered: its socket is closed instead, as if the
    /// connection broke in the middle of the request.
    pub fn close_socket_on_next(&mut self, method: &str) {
        self.inject_fault(Fault::new(FaultKind::CloseSocket).on_method(method));
    }

    /// Removes every queued fault.
    pub fn clear_faults(&mut self) {
        self.faults.clear();
    }

    /// The faults still queued, in order.
    pub fn pending_faults(&self) -> impl Iterator<Item = &Fault> {
        self.faults.iter()
    }

    /// Delays every answer by `ms` milliseconds from now on (0: answer at once). Events are
    /// not delayed.
    pub fn set_response_delay(&mut self, ms: u64) {
        self.response_delay_ms = ms;
    }

    /// Closes one socket from the server side.
    ///
    /// # Errors
    ///
    /// [`SimError::UnknownConnection`](super::SimError::UnknownConnection) if it is not open.
    pub fn close_connection(
        &mut self,
        now: crate::io::Timestamp,
        conn: super::SimConn,
    ) -> Result<(), super::SimError> {
        self.clock(now);
        if !self.conns.contains_key(&conn) {
            return Err(super::SimError::UnknownConnection(conn));
        }
        self.close_conn(conn);
        Ok(())
    }

    /// Closes every socket from the server side; returns how many there were.
    pub fn close_all_connections(&mut self, now: crate::io::Timestamp) -> usize {
        self.clock(now);
        let conns: Vec<_> = self.conns.keys().copied().collect();
        for conn in &conns {
            self.close_conn(*conn);
        }
        conns.len()
    }
}
