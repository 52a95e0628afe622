//! The TrueConf server simulator ([`TrueConfSim`]) over real loopback HTTP and WebSocket,
//! with a JSON control API under `/_sim/trueconf/` (see `README.md` beside this crate).
//!
//! One port serves everything, as TrueConf's Bridge does: the token and OAuth endpoints, the
//! version probe, uploads and downloads, and the bot WebSocket at `/websocket/chat_bot` (with
//! or without the trailing slash). The simulator's virtual clock is the real time since
//! [`serve`] started, and its wall clock is the machine's, so JWT `exp` values are real.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! println!("listening on http://{}", listener.local_addr()?);
//! botwire_sim::trueconf::serve(listener, botwire_sim::trueconf::ServerConfig::default()).await
//! # }
//! ```

mod control;
mod socket;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use botwire_core::io::{HttpMethod, HttpRequest, Timestamp};
use botwire_core::sim::trueconf::{SimConfig, SimConn, SimWsOut, TrueConfSim};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch, Notify};

use crate::http::{self, Body};

/// Largest HTTP body accepted (the default upload limit is 100 MiB, plus multipart framing).
const MAX_BODY: usize = 101 * 1024 * 1024;

/// How the TrueConf server runs.
#[derive(Debug, Clone, Default)]
pub struct ServerConfig {
    /// The simulator's configuration. `base_url` and `unix_ms` are replaced when serving
    /// starts (the listener's address, the machine's clock).
    pub sim: SimConfig,
}

/// Serves the TrueConf simulator on `listener` until accepting fails. Each connection runs
/// on its own task; must be called inside a Tokio runtime.
///
/// # Errors
///
/// The error of `accept` (or of reading the listener's address).
pub async fn serve(listener: TcpListener, config: ServerConfig) -> std::io::Result<()> {
    let address = listener.local_addr()?;
    let mut sim = config.sim;
    sim.base_url = format!("http://{address}");
    sim.unix_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0);
    let shared = Arc::new(Shared::new(sim));
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
            // Errors here are client disconnects.
            let _ = http1::Builder::new()
                .timer(TokioTimer::new())
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades()
                .await;
        });
    }
}

/// State shared by every connection.
pub(crate) struct Shared {
    state: Mutex<State>,
    /// Wakes the timer task when the next event may have changed.
    timer: Notify,
    /// Bumped after every change (control waits watch it).
    changes: watch::Sender<u64>,
    started: Instant,
}

/// The simulator and the sockets its outputs go to.
pub(crate) struct State {
    pub sim: TrueConfSim,
    sockets: HashMap<SimConn, mpsc::UnboundedSender<SimWsOut>>,
}

impl State {
    /// Hands every pending output to its socket task.
    fn pump(&mut self) {
        while let Some((conn, out)) = self.sim.poll_ws() {
            let close = out == SimWsOut::Close;
            if let Some(socket) = self.sockets.get(&conn) {
                // A socket task that ended meanwhile has nothing left to send.
                let _ = socket.send(out);
            }
            if close {
                self.sockets.remove(&conn);
            }
        }
    }
}

impl Shared {
    fn new(sim: SimConfig) -> Self {
        Shared {
            state: Mutex::new(State {
                sim: TrueConfSim::new(sim),
                sockets: HashMap::new(),
            }),
            timer: Notify::new(),
            changes: watch::channel(0).0,
            started: Instant::now(),
        }
    }

    /// Virtual time: milliseconds since the server started.
    fn now(&self) -> Timestamp {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the simulator at the current virtual time, then routes its outputs,
    /// re-arms the timer and tells watchers that something changed.
    pub(crate) fn with_sim<R>(&self, f: impl FnOnce(&mut State, Timestamp) -> R) -> R {
        let result = {
            let mut state = self.lock();
            let now = self.now();
            let result = f(&mut state, now);
            state.pump();
            result
        };
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

/// Sleeps until the simulator's next event, fires it, repeats.
async fn timer_loop(shared: Arc<Shared>) {
    loop {
        let woken = shared.timer.notified();
        let next = shared.lock().sim.next_event();
        let deadline = next.and_then(|at| shared.started.checked_add(Duration::from_millis(at)));
        match deadline {
            Some(deadline) => {
                tokio::select! {
                    _ = tokio::time::sleep_until(deadline.into()) => {
                        shared.with_sim(|state, now| state.sim.handle_timeout(now));
                    }
                    _ = woken => {}
                }
            }
            None => woken.await,
        }
    }
}

async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Body>, std::io::Error> {
    let path = req.uri().path();
    if path == "/_sim/trueconf" || path.starts_with("/_sim/trueconf/") {
        return Ok(control::handle(&shared, req).await);
    }
    if socket::is_upgrade(&req) {
        return Ok(socket::upgrade(&shared, req));
    }
    if path == "/" || path == "/health" {
        return Ok(http::text_response(
            200,
            "botwire-sim: TrueConf server simulator\n",
        ));
    }
    Ok(server_http(&shared, req).await)
}

/// Hands a plain HTTP request to the simulator.
async fn server_http(shared: &Shared, req: Request<Incoming>) -> Response<Body> {
    let method = match *req.method() {
        Method::GET | Method::HEAD => HttpMethod::Get,
        _ => HttpMethod::Post,
    };
    let target = req
        .uri()
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
    let headers = http::header_pairs(req.headers());
    let body = match http::read_body(req.into_body(), MAX_BODY).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let request = HttpRequest {
        method,
        url: target,
        headers,
        body,
        timeout_ms: None,
    };
    let answer = shared.with_sim(|state, now| state.sim.handle_http(now, &request));
    http::from_sim(answer)
}
