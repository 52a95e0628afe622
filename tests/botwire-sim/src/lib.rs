//! `botwire-sim`: serves botwire-core's in-memory Telegram Bot API
//! ([`TelegramSim`]) over real HTTP on loopback, so bots and test programs in any language
//! can talk to it, plus a small JSON control API under `/control/` to play the users, inject
//! faults and read what the bot did (see `README.md` beside this crate). The [`trueconf`]
//! module does the same for botwire-core's TrueConf server simulator, WebSocket included.
//!
//! The simulator's virtual clock is the real time elapsed since [`serve`] started, in
//! milliseconds. A timer task wakes held long polls and webhook redeliveries at the
//! simulator's [`next_event`](TelegramSim::next_event).
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! println!("listening on http://{}", listener.local_addr()?);
//! botwire_sim::serve(listener, botwire_sim::ServerConfig::default()).await
//! # }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod control;
mod http;
pub mod trueconf;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use botwire_core::io::{HttpMethod, HttpRequest, Timestamp};
use botwire_core::sim::telegram::{SimConfig, SimReply, TelegramSim, WebhookDelivery};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch, Notify};

pub use http::Body;

/// Largest request body accepted (uploads are limited to 50 MB by the Bot API).
const MAX_BODY: usize = 60 * 1024 * 1024;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The simulator's configuration (token, bot identity, rate limits, seed).
    pub sim: SimConfig,
    /// How long one webhook delivery may take before it counts as failed.
    pub webhook_timeout: Duration,
}

impl ServerConfig {
    /// A server around the given simulator configuration.
    pub fn new(sim: SimConfig) -> Self {
        ServerConfig {
            sim,
            webhook_timeout: Duration::from_secs(10),
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig::new(SimConfig::default())
    }
}

/// Serves the simulator on `listener` until accepting fails. Each connection is handled on
/// its own task; must be called inside a Tokio runtime.
///
/// # Errors
///
/// The error of `accept` when the listener fails.
pub async fn serve(listener: TcpListener, config: ServerConfig) -> std::io::Result<()> {
    let shared = Arc::new(Shared::new(config));
    let timer = tokio::spawn(timer_loop(shared.clone()));
    let result = accept_loop(&listener, &shared).await;
    timer.abort();
    result
}

async fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) -> std::io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| handle(shared.clone(), req));
            // Errors here are client disconnects and simulated lost answers.
            let _ = http1::Builder::new()
                .timer(TokioTimer::new())
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades()
                .await;
        });
    }
}

/// State shared by all connections.
pub(crate) struct Shared {
    state: Mutex<State>,
    /// Wakes the timer task when the next event may have changed.
    timer: Notify,
    /// Bumped after every change of the simulator (transcript waits watch it).
    changes: watch::Sender<u64>,
    started: Instant,
    webhook_timeout: Duration,
}

/// The simulator and the requests waiting for its answers.
pub(crate) struct State {
    pub sim: TelegramSim,
    waiters: HashMap<u64, oneshot::Sender<SimReply>>,
    next_key: u64,
}

impl State {
    /// Routes answers to their requests and collects due webhook deliveries.
    fn pump(&mut self) -> Vec<WebhookDelivery> {
        while let Some((key, reply)) = self.sim.poll_response() {
            if let Some(waiter) = self.waiters.remove(&key) {
                // The request may have been abandoned meanwhile; nothing to do then.
                let _ = waiter.send(reply);
            }
        }
        let mut deliveries = Vec::new();
        while let Some(delivery) = self.sim.poll_webhook_delivery() {
            deliveries.push(delivery);
        }
        deliveries
    }
}

impl Shared {
    fn new(config: ServerConfig) -> Self {
        Shared {
            state: Mutex::new(State {
                sim: TelegramSim::new(config.sim),
                waiters: HashMap::new(),
                next_key: 0,
            }),
            timer: Notify::new(),
            changes: watch::channel(0).0,
            started: Instant::now(),
            webhook_timeout: config.webhook_timeout,
        }
    }

    /// Virtual time: milliseconds since the server started.
    fn now(&self) -> Timestamp {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the simulator at the current virtual time, then hands out answers, starts
    /// webhook deliveries, re-arms the timer and tells watchers something changed.
    pub(crate) fn with_sim<R>(self: &Arc<Self>, f: impl FnOnce(&mut State, Timestamp) -> R) -> R {
        let (result, deliveries) = {
            let mut state = self.lock();
            let now = self.now();
            let result = f(&mut state, now);
            (result, state.pump())
        };
        for delivery in deliveries {
            tokio::spawn(deliver(self.clone(), delivery));
        }
        self.timer.notify_one();
        self.changes
            .send_modify(|version| *version = version.wrapping_add(1));
        result
    }

    /// A receiver that sees every later change.
    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }
}

/// Sleeps until the simulator's next event, advances it, repeats.
async fn timer_loop(shared: Arc<Shared>) {
    loop {
        let woken = shared.timer.notified();
        let next = shared.lock().sim.next_event();
        let deadline = next.and_then(|at| shared.started.checked_add(Duration::from_millis(at)));
        match deadline {
            Some(deadline) => {
                tokio::select! {
                    _ = tokio::time::sleep_until(deadline.into()) => {
                        shared.with_sim(|state, now| state.sim.advance(now));
                    }
                    _ = woken => {}
                }
            }
            None => woken.await,
        }
    }
}

/// Performs one webhook delivery and reports its outcome.
async fn deliver(shared: Arc<Shared>, delivery: WebhookDelivery) {
    let outcome = tokio::time::timeout(shared.webhook_timeout, http::post_webhook(&delivery)).await;
    shared.with_sim(|state, now| {
        // A delivery the simulator no longer tracks (webhook changed meanwhile) is ignored.
        let _ = match outcome {
            Ok(Ok(status)) => state.sim.webhook_result(now, delivery.update_id, status),
            Ok(Err(error)) => state.sim.webhook_error(now, delivery.update_id, &error),
            Err(_) => state
                .sim
                .webhook_error(now, delivery.update_id, "Read timeout expired"),
        };
    });
}

/// Forgets a request whose client went away before its answer (a held long poll).
struct CancelOnDrop {
    shared: Arc<Shared>,
    key: u64,
    armed: bool,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if self.armed {
            let mut state = self.shared.lock();
            state.waiters.remove(&self.key);
            state.sim.cancel_request(self.key);
            drop(state);
            self.shared.timer.notify_one();
        }
    }
}

async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Body>, std::io::Error> {
    let path = req.uri().path();
    if path == "/control" || path.starts_with("/control/") {
        return Ok(control::handle(&shared, req).await);
    }
    if path == "/" || path == "/health" {
        return Ok(http::text_response(
            200,
            "botwire-sim: Telegram Bot API simulator\n",
        ));
    }
    if req.method() == Method::OPTIONS {
        // A browser's preflight before a cross-origin Bot API call (JSON body).
        return Ok(http::preflight_response());
    }
    let mut response = bot_api(shared, req).await?;
    // Pages call the Bot API from their own origin, as they can call api.telegram.org.
    http::allow_any_origin(&mut response);
    Ok(response)
}

/// Hands a Bot API request to the simulator and waits for its answer.
async fn bot_api(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Body>, std::io::Error> {
    let method = match *req.method() {
        Method::GET | Method::HEAD => HttpMethod::Get,
        _ => HttpMethod::Post,
    };
    let url = req.uri().to_string();
    let headers = http::header_pairs(req.headers());
    let body = match http::read_body(req.into_body(), MAX_BODY).await {
        Ok(body) => body,
        Err(response) => return Ok(response),
    };
    let request = HttpRequest {
        method,
        url,
        headers,
        body,
        timeout_ms: None,
    };
    let (sender, receiver) = oneshot::channel();
    let key = shared.with_sim(|state, now| {
        state.next_key += 1;
        let key = state.next_key;
        state.waiters.insert(key, sender);
        // Keys are fresh, so the simulator cannot refuse them.
        let _ = state.sim.handle_request(now, key, &request);
        key
    });
    let mut guard = CancelOnDrop {
        shared: shared.clone(),
        key,
        armed: true,
    };
    let reply = receiver.await;
    guard.armed = false;
    match reply {
        Ok(SimReply::Response(response)) => Ok(http::from_sim(response)),
        // Closing the connection without an answer is how a lost answer looks to a client.
        Ok(SimReply::Dropped) => Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "simulated lost answer",
        )),
        Err(_) => Ok(http::json_response(
            503,
            &serde_json::json!({"ok": false, "error_code": 503, "description": "Service Unavailable"}),
        )),
    }
}
