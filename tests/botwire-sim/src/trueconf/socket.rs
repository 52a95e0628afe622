//! The bot WebSocket: the upgrade handshake on hyper, then one task per socket that feeds
//! text frames to the simulator and writes what it sends back. Pings are answered by the
//! WebSocket layer.

use std::sync::Arc;
use std::time::Duration;

use botwire_core::sim::trueconf::{SimConn, SimWsOut, MAX_FRAME_BYTES};
use futures_util::{SinkExt, StreamExt};
use hyper::body::Incoming;
use hyper::header::{
    HeaderValue, CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_PROTOCOL,
    SEC_WEBSOCKET_VERSION, UPGRADE,
};
use hyper::upgrade::OnUpgrade;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::Shared;
use crate::http::{self, Body};

/// Largest frame accepted from a client (history requests are small, but stay generous).
const MAX_INCOMING: usize = 16 * 1024 * 1024;
/// How long a closing socket waits for the client's close frame.
const CLOSE_WAIT: Duration = Duration::from_secs(1);

fn header_has_token(req: &Request<Incoming>, name: hyper::header::HeaderName, token: &str) -> bool {
    req.headers().get_all(name).iter().any(|v| {
        v.to_str()
            .map(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
            .unwrap_or(false)
    })
}

/// Whether the request asks for a WebSocket upgrade.
pub(crate) fn is_upgrade(req: &Request<Incoming>) -> bool {
    req.method() == Method::GET
        && header_has_token(req, CONNECTION, "upgrade")
        && header_has_token(req, UPGRADE, "websocket")
}

/// Answers an upgrade request: 101 and a socket task, or the simulator's refusal.
pub(crate) fn upgrade(shared: &Arc<Shared>, mut req: Request<Incoming>) -> Response<Body> {
    let key = req.headers().get(SEC_WEBSOCKET_KEY).cloned();
    let version_ok = req
        .headers()
        .get(SEC_WEBSOCKET_VERSION)
        .is_some_and(|v| v.as_bytes() == b"13");
    let Some(key) = key.filter(|_| version_ok) else {
        let mut response = http::json_response(400, &json!({"error": "bad WebSocket handshake"}));
        response
            .headers_mut()
            .insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
        return response;
    };
    let offered: Vec<String> = req
        .headers()
        .get_all(SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    let offered: Vec<&str> = offered.iter().map(String::as_str).collect();
    let target = req
        .uri()
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
    let (sender, receiver) = mpsc::unbounded_channel();
    let accepted = shared.with_sim(|state, now| {
        let accepted = state.sim.ws_open(now, &target, &offered);
        if let Ok(accept) = &accepted {
            state.sockets.insert(accept.conn, sender);
        }
        accepted
    });
    let accept = match accepted {
        Ok(accept) => accept,
        Err(refusal) => return http::from_sim(refusal),
    };
    let on_upgrade = hyper::upgrade::on(&mut req);
    tokio::spawn(run(shared.clone(), accept.conn, on_upgrade, receiver));
    let mut response = Response::new(Body::default());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(value) = HeaderValue::from_str(&derive_accept_key(key.as_bytes())) {
        headers.insert(SEC_WEBSOCKET_ACCEPT, value);
    }
    if let Some(protocol) = accept.protocol.and_then(|p| HeaderValue::from_str(&p).ok()) {
        headers.insert(SEC_WEBSOCKET_PROTOCOL, protocol);
    }
    response
}

/// One socket: frames in go to the simulator, its outputs go out, until either side closes.
async fn run(
    shared: Arc<Shared>,
    conn: SimConn,
    on_upgrade: OnUpgrade,
    mut outputs: mpsc::UnboundedReceiver<SimWsOut>,
) {
    let Ok(upgraded) = on_upgrade.await else {
        forget(&shared, conn);
        return;
    };
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_INCOMING))
        .max_frame_size(Some(MAX_INCOMING));
    let mut ws =
        WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config)).await;
    loop {
        tokio::select! {
            incoming = ws.next() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    shared.with_sim(|state, now| {
                        // The socket is open on the simulator's side until it says otherwise.
                        let _ = state.sim.ws_receive(now, conn, text.as_str());
                    });
                }
                Some(Ok(Message::Binary(bytes))) => {
                    // The protocol uses text frames only; the simulator counts this as garbage.
                    let text = String::from_utf8_lossy(&bytes).into_owned();
                    shared.with_sim(|state, now| {
                        let _ = state.sim.ws_receive(now, conn, &text);
                    });
                }
                // The pong is queued by the WebSocket layer; make sure it leaves now.
                Some(Ok(Message::Ping(_))) => {
                    if ws.flush().await.is_err() {
                        break;
                    }
                }
                Some(Ok(Message::Pong(_) | Message::Frame(_))) => {}
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
            },
            output = outputs.recv() => match output {
                Some(SimWsOut::Text(text)) => {
                    if text.len() >= MAX_FRAME_BYTES {
                        // The simulator never does this; refuse rather than break the client.
                        close(&mut ws, CloseCode::Size).await;
                        break;
                    }
                    if ws.send(Message::text(text)).await.is_err() {
                        break;
                    }
                }
                Some(SimWsOut::Close) | None => {
                    close(&mut ws, CloseCode::Normal).await;
                    break;
                }
            },
        }
    }
    forget(&shared, conn);
}

/// Sends a close frame and waits briefly for the client's answer.
async fn close<S>(ws: &mut WebSocketStream<S>, code: CloseCode)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let frame = CloseFrame {
        code,
        reason: "".into(),
    };
    if ws.close(Some(frame)).await.is_ok() {
        let _ = tokio::time::timeout(CLOSE_WAIT, async {
            while let Some(Ok(_)) = ws.next().await {}
        })
        .await;
    }
}

/// The socket is gone: the simulator forgets it (a no-op if it closed it itself).
fn forget(shared: &Shared, conn: SimConn) {
    shared.with_sim(|state, now| {
        state.sockets.remove(&conn);
        state.sim.ws_closed(now, conn);
    });
}
