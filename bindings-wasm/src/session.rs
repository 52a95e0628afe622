//! The JavaScript-facing logic in plain Rust: option bags, time and id conversion, JSON in and
//! out. The `#[wasm_bindgen]` layer in `lib.rs` only converts between these types and JS
//! values, so everything here is tested natively.

use botwire_core::io::HttpErrorKind;
use botwire_core::telegram::client::{PollingConfig, WebhookConfig};
use botwire_core::telegram::{ClientConfig, Intake};
use serde::Deserialize;
use serde_json::Value;
// The client layer (`Session`, `buildRequest`, `parseResponse`), with the cargo feature
// `client` (and in tests).
#[cfg(any(feature = "client", test))]
use {
    crate::json::{event_to_json_untyped, output_to_json_with, request_to_json},
    botwire_core::io::{RequestId, Timestamp},
    botwire_core::telegram::api::{parse_raw, Api, DEFAULT_API_ROOT},
    botwire_core::telegram::client::Json,
    botwire_core::telegram::TelegramClient,
    serde_json::json,
};

/// The largest integer a JS number holds exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// The option bag of `new TelegramClient(options)`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientOptions {
    /// The bot token.
    pub token: String,
    /// The Bot API root; `https://api.telegram.org` by default.
    #[serde(default)]
    pub api_root: Option<String>,
    /// `"none"` (calls only), `"polling"` (the default) or `"webhook"`.
    #[serde(default)]
    pub intake: Option<String>,
    /// Long-polling settings.
    #[serde(default)]
    pub polling: Option<PollingOptions>,
    /// Webhook settings.
    #[serde(default)]
    pub webhook: Option<WebhookOptions>,
    /// Seed of the retry jitter.
    #[serde(default)]
    pub seed: Option<u64>,
    /// HTTP timeout of ordinary calls, in ms.
    #[serde(default)]
    pub call_timeout_ms: Option<u64>,
}

/// `options.polling`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PollingOptions {
    timeout_secs: Option<u32>,
    limit: Option<u32>,
    allowed_updates: Option<Vec<String>>,
    backoff_initial_ms: Option<u64>,
    backoff_max_ms: Option<u64>,
}

/// `options.webhook`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookOptions {
    secret_token: Option<String>,
    max_body_bytes: Option<usize>,
}

impl ClientOptions {
    /// The client configuration these options describe.
    ///
    /// # Errors
    /// A message naming the option that does not fit.
    pub fn into_config(self) -> Result<ClientConfig, String> {
        let mut config = ClientConfig::new(self.token);
        if let Some(root) = self.api_root {
            config = config.with_api_root(root);
        }
        config.intake = match self.intake.as_deref().unwrap_or("polling") {
            "none" => Intake::None,
            "polling" => {
                let given = self.polling.unwrap_or_default();
                let defaults = PollingConfig::default();
                Intake::Polling(PollingConfig {
                    timeout_secs: given.timeout_secs.unwrap_or(defaults.timeout_secs),
                    limit: given.limit.unwrap_or(defaults.limit),
                    allowed_updates: given.allowed_updates.or(defaults.allowed_updates),
                    backoff_initial_ms: given
                        .backoff_initial_ms
                        .unwrap_or(defaults.backoff_initial_ms),
                    backoff_max_ms: given.backoff_max_ms.unwrap_or(defaults.backoff_max_ms),
                    ..defaults
                })
            }
            "webhook" => {
                let given = self.webhook.unwrap_or_default();
                let defaults = WebhookConfig::default();
                Intake::Webhook(WebhookConfig {
                    secret_token: given.secret_token.or(defaults.secret_token),
                    max_body_bytes: given.max_body_bytes.unwrap_or(defaults.max_body_bytes),
                    ..defaults
                })
            }
            other => {
                return Err(format!(
                    "options.intake must be \"none\", \"polling\" or \"webhook\", not {other:?}"
                ))
            }
        };
        if let Some(seed) = self.seed {
            config.seed = seed;
        }
        if let Some(ms) = self.call_timeout_ms {
            config.call_timeout_ms = ms;
        }
        Ok(config)
    }
}

/// A JS number used as a time or an id: a non-negative integer a JS number holds exactly.
pub fn whole_number(value: f64, what: &str) -> Result<u64, String> {
    if value.is_finite() && value >= 0.0 && value.fract() == 0.0 && value <= MAX_SAFE_INTEGER {
        // In range and integral: the conversion is exact.
        Ok(value as u64)
    } else {
        Err(format!(
            "{what} must be a non-negative integer, not {value}"
        ))
    }
}

/// A transport failure named by the caller.
pub fn http_error_kind(name: &str) -> Result<HttpErrorKind, String> {
    Ok(match name {
        "timeout" => HttpErrorKind::Timeout,
        "connect" => HttpErrorKind::Connect,
        "io" => HttpErrorKind::Io,
        "aborted" => HttpErrorKind::Aborted,
        "other" => HttpErrorKind::Other,
        _ => {
            return Err(format!(
                "error kind must be \"timeout\", \"connect\", \"io\", \"aborted\" or \"other\", \
                 not {name:?}"
            ))
        }
    })
}

/// Webhook headers given as an object (`{"name": "value"}`) or as `[name, value]` pairs.
pub fn headers_from_json(headers: &Value) -> Result<Vec<(String, String)>, String> {
    let pair = |name: &str, value: &Value| match value {
        Value::String(s) => Ok((name.to_owned(), s.clone())),
        other => Err(format!("header {name:?} must be a string, not {other}")),
    };
    match headers {
        Value::Null => Ok(Vec::new()),
        Value::Object(map) => map.iter().map(|(n, v)| pair(n, v)).collect(),
        Value::Array(items) => items
            .iter()
            .map(|item| match item.as_array().map(Vec::as_slice) {
                Some([Value::String(name), value]) => pair(name, value),
                _ => Err(format!("a header must be a [name, value] pair, not {item}")),
            })
            .collect(),
        other => Err(format!(
            "headers must be an object or [name, value] pairs, not {other}"
        )),
    }
}

/// The Telegram client with JS-shaped inputs and JSON outputs. Updates stay JSON text and
/// calls are built without the typed model (JavaScript gets JSON anyway; the module then
/// contains none of the typed model's code).
#[cfg(any(feature = "client", test))]
#[derive(Debug)]
pub struct Session {
    client: TelegramClient<Json>,
}

#[cfg(any(feature = "client", test))]
impl Session {
    /// A client from its option bag (as JSON text).
    pub fn new(options_json: &str) -> Result<Self, String> {
        let options: ClientOptions =
            serde_json::from_str(options_json).map_err(|e| format!("invalid options: {e}"))?;
        Ok(Session {
            client: TelegramClient::new_json(options.into_config()?),
        })
    }

    /// Starts intake.
    pub fn start(&mut self, now: Timestamp) {
        self.client.start(now);
    }

    /// Stops intake gracefully.
    pub fn stop(&mut self, now: Timestamp) {
        self.client.stop(now);
    }

    /// Issues a call; returns its id.
    pub fn call(&mut self, now: Timestamp, method: &str, args_json: &str) -> Result<u64, String> {
        self.client
            .call_json(now, method, args_json)
            .map(|id| id.0)
            .map_err(|e| e.to_string())
    }

    /// Reports the answer to request `id`.
    pub fn handle_http_response(
        &mut self,
        now: Timestamp,
        id: u64,
        status: u16,
        body: &[u8],
    ) -> Result<(), String> {
        self.client
            .handle_http_response(now, RequestId(id), status, body)
            .map_err(|e| e.to_string())
    }

    /// Reports that request `id` failed without an answer.
    pub fn handle_http_error(&mut self, now: Timestamp, id: u64, kind: &str) -> Result<(), String> {
        let kind = http_error_kind(kind)?;
        self.client
            .handle_http_error(now, RequestId(id), kind)
            .map_err(|e| e.to_string())
    }

    /// Lets time pass.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        self.client.handle_timeout(now);
    }

    /// Handles a webhook delivery; returns `{"status": .., "body": ".."}`.
    pub fn handle_webhook(
        &mut self,
        now: Timestamp,
        headers: &Value,
        body: &[u8],
    ) -> Result<Value, String> {
        let headers = headers_from_json(headers)?;
        let reply = self.client.handle_webhook(now, &headers, body);
        Ok(json!({
            "status": reply.status,
            "body": String::from_utf8_lossy(&reply.body),
        }))
    }

    /// The next output as JSON text.
    pub fn poll_output(&mut self) -> Option<String> {
        self.client
            .poll_output()
            .map(|output| output_to_json_with(&output, event_to_json_untyped).to_string())
    }

    /// When to call `handle_timeout` next.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.client.poll_timeout()
    }
}

/// `buildRequest`: the request of a method call, as the JSON object of an `http` output's
/// `request`.
#[cfg(any(feature = "client", test))]
pub fn build_request(
    token: &str,
    api_root: Option<&str>,
    method: &str,
    args_json: &str,
) -> Result<Value, String> {
    let api = Api::new(token).with_api_root(api_root.unwrap_or(DEFAULT_API_ROOT));
    let args: Value = if args_json.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(args_json)
            .map_err(|e| format!("invalid arguments for {method}: {e}"))?
    };
    api.request_json(method, &args)
        .map(|(_, request)| request_to_json(&request))
        .map_err(|e| e.to_string())
}

/// `parseResponse`: `{"ok":true,"result":..}` or `{"ok":false,"error":{..}}`, the same
/// shapes as a `response` event. The envelope is read and errors classified; the result is
/// handed on as the server sent it (`method` names the call in error messages only).
#[cfg(any(feature = "client", test))]
pub fn parse_response(_method: &str, status: u16, body: &[u8]) -> Value {
    let parsed = parse_raw(status, body).map(|raw| raw.get());
    match parsed {
        Ok(text) => json!({
            "ok": true,
            "result": serde_json::from_str::<Value>(text).unwrap_or(Value::Null),
        }),
        Err(error) => json!({ "ok": false, "error": crate::json::api_error_to_json(&error) }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(session: &mut Session) -> Value {
        serde_json::from_str(&session.poll_output().expect("an output")).unwrap()
    }

    #[test]
    fn options_are_camel_case_and_checked() {
        let session = Session::new(
            r#"{"token":"1:A","apiRoot":"http://sim","intake":"webhook",
                "webhook":{"secretToken":"s"},"seed":7,"callTimeoutMs":5}"#,
        );
        assert!(session.is_ok());
        let typo = Session::new(r#"{"token":"1:A","apiroot":"x"}"#).unwrap_err();
        assert!(typo.contains("apiroot"), "{typo}");
        let intake = Session::new(r#"{"token":"1:A","intake":"push"}"#).unwrap_err();
        assert!(intake.contains("push"), "{intake}");
        assert!(Session::new(r#"{"apiRoot":"x"}"#).is_err());
    }

    #[test]
    fn polling_call_and_answer_round_trip() {
        let mut session =
            Session::new(r#"{"token":"1:A","apiRoot":"http://sim/","polling":{"timeoutSecs":5}}"#)
                .unwrap();
        session.start(0);
        let poll = output(&mut session);
        assert_eq!(poll["type"], "http");
        assert_eq!(poll["request"]["url"], "http://sim/bot1:A/getUpdates");
        assert_eq!(poll["request"]["timeout_ms"], 15_000);

        let id = session
            .call(1, "sendMessage", r#"{"chat_id":1,"text":"x"}"#)
            .unwrap();
        assert_eq!(output(&mut session)["id"], id);
        session
            .handle_http_response(
                2,
                id,
                400,
                br#"{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}"#,
            )
            .unwrap();
        let event = output(&mut session);
        assert_eq!(event["event"]["error"]["kind"], "bad_request");
        assert!(session.handle_http_response(3, id, 200, b"{}").is_err());
        assert!(session.handle_http_error(3, id, "bogus").is_err());
        assert!(session.call(4, "nope", "{}").is_err());
    }

    #[test]
    fn webhook_headers_in_both_shapes() {
        let mut session =
            Session::new(r#"{"token":"1:A","intake":"webhook","webhook":{"secretToken":"s3"}}"#)
                .unwrap();
        let update = br#"{"update_id":1,"message":{"message_id":1,"date":1,"chat":{"id":1,"type":"private"},"text":"a"}}"#;
        let refused = session
            .handle_webhook(0, &json!({"X-Telegram-Bot-Api-Secret-Token": "no"}), update)
            .unwrap();
        assert_eq!(refused["status"], 401);
        let accepted = session
            .handle_webhook(
                0,
                &json!([["x-telegram-bot-api-secret-token", "s3"]]),
                update,
            )
            .unwrap();
        assert_eq!(accepted["status"], 200);
        let delivered = output(&mut session);
        assert_eq!(delivered["event"]["kind"], "update");
        assert_eq!(delivered["event"]["update"]["message"]["text"], "a");
        assert!(session.handle_webhook(0, &json!([1, 2]), update).is_err());
    }

    #[test]
    fn codec_functions() {
        let request = build_request("1:A", None, "getMe", "").unwrap();
        assert_eq!(request["url"], "https://api.telegram.org/bot1:A/getMe");
        assert!(build_request("1:A", None, "getMee", "").is_err());
        let ok = parse_response(
            "getMe",
            200,
            br#"{"ok":true,"result":{"id":1,"is_bot":true,"first_name":"B"}}"#,
        );
        assert_eq!(ok["result"]["first_name"], "B");
        // Results are handed on as sent (no typed model in the package).
        let unchecked = parse_response("getMe", 200, br#"{"ok":true,"result":5}"#);
        assert_eq!(unchecked["result"], 5);
        let refused = parse_response(
            "getMe",
            200,
            br#"{"ok":false,"error_code":401,"description":"Unauthorized"}"#,
        );
        assert_eq!(refused["ok"], false);
        assert_eq!(refused["error"]["error_code"], 401);
        let unknown = parse_response("someFutureMethod", 200, br#"{"ok":true,"result":5}"#);
        assert_eq!(unknown["result"], 5);
    }

    #[test]
    fn numbers_from_js() {
        assert_eq!(whole_number(12.0, "now"), Ok(12));
        assert!(whole_number(-1.0, "now").is_err());
        assert!(whole_number(1.5, "now").is_err());
        assert!(whole_number(f64::NAN, "now").is_err());
        assert!(whole_number(1e300, "now").is_err());
    }
}
