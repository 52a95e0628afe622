//! HTTP plumbing: bodies, responses, and the minimal client that delivers webhooks.

use std::net::IpAddr;

use botwire_core::io::HttpResponse;
use botwire_core::sim::telegram::WebhookDelivery;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderMap, HeaderValue, CONTENT_TYPE, HOST};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;

/// The body type of every response the server sends.
pub type Body = Full<Bytes>;

/// A response with a JSON body.
pub(crate) fn json_response(status: u16, body: &Value) -> Response<Body> {
    build(status, "application/json", body.to_string().into_bytes())
}

/// A response with a plain-text body.
pub(crate) fn text_response(status: u16, body: &str) -> Response<Body> {
    build(
        status,
        "text/plain; charset=utf-8",
        body.as_bytes().to_vec(),
    )
}

fn build(status: u16, content_type: &'static str, body: Vec<u8>) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// The answer to a CORS preflight of a Bot API call: any origin, the methods and headers a
/// Bot API client sends.
pub(crate) fn preflight_response() -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::NO_CONTENT;
    let headers = response.headers_mut();
    headers.insert(
        "access-control-allow-methods",
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    headers.insert(
        "access-control-allow-headers",
        HeaderValue::from_static("content-type"),
    );
    headers.insert("access-control-max-age", HeaderValue::from_static("600"));
    allow_any_origin(&mut response);
    response
}

/// Lets pages of any origin read `response`.
pub(crate) fn allow_any_origin(response: &mut Response<Body>) {
    response
        .headers_mut()
        .insert("access-control-allow-origin", HeaderValue::from_static("*"));
}

/// The simulator's answer as a hyper response.
pub(crate) fn from_sim(answer: HttpResponse) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(answer.body)));
    *response.status_mut() =
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in answer.headers {
        // Hyper computes the length itself.
        if name.eq_ignore_ascii_case("content-length") {
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            hyper::header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

/// Request headers as name/value pairs (values that are not text are read lossily).
pub(crate) fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// Reads a whole body, refusing more than `limit` bytes with the Bot API's 413 answer.
pub(crate) async fn read_body(body: Incoming, limit: usize) -> Result<Vec<u8>, Response<Body>> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes().to_vec()),
        Err(_) => Err(json_response(
            413,
            &serde_json::json!({"ok": false, "error_code": 413, "description": "Request Entity Too Large"}),
        )),
    }
}

/// Splits `http://host[:port]/path` into connect address, `Host` header value and path.
/// Only loopback hosts are accepted: the simulator never sends traffic off this machine.
fn webhook_target(url: &str) -> Result<(String, u16, String, String), String> {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("https://") {
        return Err("SSL error: the simulator delivers webhooks over plain HTTP only".into());
    }
    let rest = url
        .get(7..)
        .filter(|_| lower.starts_with("http://"))
        .ok_or_else(|| "unsupported URL scheme".to_owned())?;
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) if rest.as_bytes()[i] == b'/' => (&rest[..i], rest[i..].to_owned()),
        Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
        None => (rest, "/".to_owned()),
    };
    // Credentials in the URL are not forwarded.
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .ok_or_else(|| "bad webhook host".to_owned())?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(p) => p
            .parse::<u16>()
            .map_err(|_| "bad webhook port".to_owned())?,
        None => 80,
    };
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if !loopback {
        return Err(format!(
            "the simulator only delivers to loopback addresses, not {host}"
        ));
    }
    Ok((host.to_owned(), port, authority.to_owned(), path))
}

/// POSTs one delivery and returns the webhook's status, or a description of the failure in
/// the words `getWebhookInfo.last_error_message` uses.
pub(crate) async fn post_webhook(delivery: &WebhookDelivery) -> Result<u16, String> {
    let (host, port, authority, path) = webhook_target(&delivery.url)?;
    let stream = TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| format!("Connection refused: {e}"))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("Connection error: {e}"))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let mut request = Request::post(path)
        .header(HOST, authority)
        .header(CONTENT_TYPE, "application/json");
    if let Some(secret) = &delivery.secret_token {
        request = request.header("X-Telegram-Bot-Api-Secret-Token", secret);
    }
    let request = request
        .body(Full::new(Bytes::from(delivery.body.clone())))
        .map_err(|e| format!("bad webhook request: {e}"))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("Connection error: {e}"))?;
    Ok(response.status().as_u16())
}

#[cfg(test)]
mod tests {
    use super::webhook_target;

    #[test]
    fn only_loopback_webhooks_are_delivered() {
        assert_eq!(
            webhook_target("http://127.0.0.1:8443/hook?x=1").unwrap(),
            (
                "127.0.0.1".into(),
                8443,
                "127.0.0.1:8443".into(),
                "/hook?x=1".into()
            )
        );
        assert_eq!(
            webhook_target("http://user:pw@localhost?q").unwrap(),
            ("localhost".into(), 80, "localhost".into(), "/?q".into())
        );
        assert_eq!(webhook_target("http://[::1]:9/").unwrap().0, "::1");
        assert!(webhook_target("http://example.org/hook").is_err());
        assert!(webhook_target("http://10.0.0.1/hook").is_err());
        assert!(webhook_target("https://127.0.0.1/hook").is_err());
        assert!(webhook_target("ftp://127.0.0.1/").is_err());
        assert!(webhook_target("http://127.0.0.1:99999/").is_err());
        assert!(webhook_target("http://[::1/").is_err());
    }
}
