//! The HTTP side: password and OAuth token endpoints, the version probe, uploads authorised
//! by an upload task, and downloads authorised by the token in the URL.

use serde_json::{json, Map, Value};

use super::jwt::{self, TokenInfo};
use super::multipart;
use super::world::TemporalFile;
use super::TrueConfSim;
use crate::io::{constant_time_eq, HttpMethod, HttpRequest, HttpResponse, Timestamp};

const FILES_PATH: &str = "/bridge/api/client/v1/files";
const FILES_PREFIX: &str = "/bridge/api/client/v1/files/";
/// Paths this server knows, for 405 answers.
const KNOWN_PATHS: [&str; 9] = [
    "/bridge/api/client/v1/oauth/token",
    "/api/v4/oauth2/token",
    "/bridge/api/client/v1/auth/web_rest_api_token",
    "/bridge/api/client/v1/auth/token",
    "/api/v4/server",
    "/api/v4/endpoints/connects",
    FILES_PATH,
    "/websocket/chat_bot",
    "/websocket/chat_bot/",
];
/// Lifetime the OAuth steps announce for the web API token and the code, in seconds.
const WEB_TOKEN_LIFETIME_S: u64 = 3600;
const CODE_LIFETIME_S: u64 = 60;

fn json_answer(status: u16, body: Value) -> HttpResponse {
    HttpResponse::json(status, body.to_string())
}

fn oauth_error(status: u16, error: &str, description: &str) -> HttpResponse {
    json_answer(
        status,
        json!({"error": error, "error_description": description}),
    )
}

/// `(path, query)` of an absolute URL or an origin-form target.
fn split_url(url: &str) -> (&str, &str) {
    let rest = match url.find("://") {
        Some(i) => {
            let after = &url[i + 3..];
            match after.find(['/', '?']) {
                Some(j) => &after[j..],
                None => "",
            }
        }
        None => url,
    };
    let rest = rest.split('#').next().unwrap_or(rest);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    (if path.is_empty() { "/" } else { path }, query)
}

fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn json_body(request: &HttpRequest) -> Option<Map<String, Value>> {
    match serde_json::from_slice(&request.body) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

fn field<'a>(body: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    body.get(key).and_then(Value::as_str)
}

/// A MIME type from a file name, for parts sent without one.
fn guess_mime(name: &str) -> &'static str {
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match extension.as_deref() {
        Some("txt") => "text/plain",
        Some("json") => "application/json",
        Some("pdf") => "application/pdf",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("mp4") => "video/mp4",
        Some("ogg") => "audio/ogg",
        Some("m4a") => "audio/mp4",
        _ => "application/octet-stream",
    }
}

impl TrueConfSim {
    pub(crate) fn http(&mut self, now: Timestamp, request: &HttpRequest) -> HttpResponse {
        let (path, query) = split_url(&request.url);
        match (request.method, path) {
            (HttpMethod::Post, "/bridge/api/client/v1/oauth/token") => {
                self.password_token(now, request)
            }
            (HttpMethod::Post, "/api/v4/oauth2/token") => self.oauth_web_token(request),
            (HttpMethod::Post, "/bridge/api/client/v1/auth/web_rest_api_token") => {
                self.oauth_code(request)
            }
            (HttpMethod::Post, "/bridge/api/client/v1/auth/token") => {
                self.oauth_token(now, request)
            }
            (HttpMethod::Get, "/api/v4/server") => json_answer(
                200,
                json!({"product": {
                    "version": self.config.version,
                    "display_name": self.config.domain,
                    "name": "TrueConf Server",
                }}),
            ),
            (HttpMethod::Get, "/api/v4/endpoints/connects") => json_answer(
                200,
                json!({"connects": [format!("{}:4307", self.config.domain)]}),
            ),
            (HttpMethod::Post, FILES_PATH) => self.upload(request),
            (HttpMethod::Get, "/websocket/chat_bot" | "/websocket/chat_bot/") => {
                json_answer(400, json!({"error": "a WebSocket upgrade is expected"}))
            }
            (HttpMethod::Get, p) if p.starts_with(FILES_PREFIX) => {
                let id = &p[FILES_PREFIX.len()..];
                self.download(id, query_param(query, "token").unwrap_or(""))
            }
            (_, p) if KNOWN_PATHS.contains(&p) => {
                json_answer(405, json!({"error": "method not allowed"}))
            }
            _ => json_answer(404, json!({"error": "not found"})),
        }
    }

    /// Mints and remembers a token for an account.
    pub(crate) fn mint_token_for(&mut self, now: Timestamp, user: &str) -> String {
        let issued_s = self.wall_ms(now) / 1000;
        let exp_s = issued_s.saturating_add(self.config.token_lifetime_s);
        let jti = self.hex(16);
        let subject = user.split('@').next().unwrap_or(user);
        let token = jwt::mint(subject, &self.config.domain, issued_s, exp_s, &jti);
        self.tokens.insert(
            token.clone(),
            TokenInfo {
                user: user.to_owned(),
                exp_s,
                revoked: false,
            },
        );
        token
    }

    fn token_answer(&mut self, now: Timestamp, status: u16, user: &str) -> HttpResponse {
        let token = self.mint_token_for(now, user);
        json_answer(
            status,
            json!({
                "access_token": token,
                "token_type": "JWT",
                "expires_in": self.config.token_lifetime_s,
            }),
        )
    }

    /// The account for a login and password, if they match an enabled account.
    fn check_password(&self, username: &str, password: &str) -> Option<String> {
        let user = self.world.user_by_login(username)?;
        let expected = user.password.as_deref()?;
        (!user.disabled && constant_time_eq(expected.as_bytes(), password.as_bytes()))
            .then(|| user.id.clone())
    }

    /// `POST /bridge/api/client/v1/oauth/token` (password grant).
    fn password_token(&mut self, now: Timestamp, request: &HttpRequest) -> HttpResponse {
        let Some(body) = json_body(request) else {
            return oauth_error(400, "invalid_request", "The body must be a JSON object");
        };
        if field(&body, "client_id") != Some("chat_bot") {
            return oauth_error(400, "invalid_client", "Unknown client");
        }
        if field(&body, "grant_type") != Some("password") {
            return oauth_error(400, "unsupported_grant_type", "Unsupported grant type");
        }
        let (Some(username), Some(password)) = (field(&body, "username"), field(&body, "password"))
        else {
            return oauth_error(400, "invalid_request", "username and password are required");
        };
        if self.config.password_login_disabled {
            return json_answer(403, json!({"error": "auth_method_disabled"}));
        }
        match self.check_password(username, password) {
            Some(user) => self.token_answer(now, 201, &user),
            None => oauth_error(401, "invalid_grant", "Invalid username or password"),
        }
    }

    /// OAuth step 1, `POST /api/v4/oauth2/token`: a web API token.
    fn oauth_web_token(&mut self, request: &HttpRequest) -> HttpResponse {
        let Some(body) = json_body(request) else {
            return oauth_error(400, "invalid_request", "The body must be a JSON object");
        };
        let known_client = match (&self.config.oauth_client_id, field(&body, "client_id")) {
            (Some(expected), Some(given)) => {
                constant_time_eq(expected.as_bytes(), given.as_bytes())
            }
            _ => false,
        };
        if !known_client {
            return oauth_error(401, "invalid_client", "Unknown client");
        }
        if field(&body, "grant_type") != Some("password") {
            return oauth_error(400, "unsupported_grant_type", "Unsupported grant type");
        }
        let user = match (field(&body, "username"), field(&body, "password")) {
            (Some(username), Some(password)) => self.check_password(username, password),
            _ => None,
        };
        let Some(user) = user else {
            return oauth_error(401, "invalid_grant", "Invalid username or password");
        };
        if self.config.oauth_scope_missing {
            let trace = self.hex(16);
            return json_answer(
                400,
                json!({"error": {
                    "code": 400,
                    "message": "Bad Request",
                    "trace_id": trace,
                    "errors": [{"reason": "invalidScope", "location": "scope"}],
                }}),
            );
        }
        let token = self.hex(40);
        self.web_tokens.insert(token.clone(), user);
        json_answer(
            200,
            json!({
                "access_token": token,
                "token_type": "bearer",
                "expires_in": WEB_TOKEN_LIFETIME_S,
                "scope": "version:read",
            }),
        )
    }

    /// OAuth step 2, `POST /bridge/api/client/v1/auth/web_rest_api_token`: an authorisation
    /// code for the web API token (`client_id` is the user name here).
    fn oauth_code(&mut self, request: &HttpRequest) -> HttpResponse {
        let Some(body) = json_body(request) else {
            return oauth_error(400, "invalid_request", "The body must be a JSON object");
        };
        let user = field(&body, "token")
            .and_then(|t| self.web_tokens.get(t))
            .cloned();
        let name_matches = match (&user, field(&body, "client_id")) {
            (Some(user), Some(name)) => self
                .world
                .user_by_login(name)
                .is_some_and(|u| &u.id == user),
            _ => false,
        };
        let Some(user) = user.filter(|_| name_matches) else {
            return oauth_error(401, "invalid_grant", "Unknown token or user");
        };
        let code = self.hex(32);
        self.auth_codes.insert(code.clone(), user);
        json_answer(
            200,
            json!({"authorization_code": code, "expires_in": CODE_LIFETIME_S}),
        )
    }

    /// OAuth step 3, `POST /bridge/api/client/v1/auth/token`: the bot token for a code
    /// (each code works once).
    fn oauth_token(&mut self, now: Timestamp, request: &HttpRequest) -> HttpResponse {
        let Some(body) = json_body(request) else {
            return oauth_error(400, "invalid_request", "The body must be a JSON object");
        };
        if field(&body, "client_id") != Some("user") {
            return oauth_error(401, "invalid_client", "Unknown client");
        }
        if field(&body, "grant_type") != Some("authorization_code") {
            return oauth_error(400, "unsupported_grant_type", "Unsupported grant type");
        }
        let user = field(&body, "code").and_then(|c| self.auth_codes.remove(c));
        match user {
            Some(user) => self.token_answer(now, 200, &user),
            None => oauth_error(401, "invalid_grant", "Unknown or used code"),
        }
    }

    /// `POST /bridge/api/client/v1/files` with `Upload-Task-Id`: step 2 of an upload.
    fn upload(&mut self, request: &HttpRequest) -> HttpResponse {
        let bad = |message: &str| json_answer(400, json!({ "error": message }));
        let Some(task_id) = request.header("Upload-Task-Id").map(str::trim) else {
            return bad("the Upload-Task-Id header is required");
        };
        let Some(task) = self.world.upload_tasks.get(task_id) else {
            return json_answer(404, json!({"error": "upload task not found"}));
        };
        let Some(boundary) = request.header("Content-Type").and_then(multipart::boundary) else {
            return bad("multipart/form-data with a boundary is expected");
        };
        let Some(parts) = multipart::parse(&request.body, &boundary) else {
            return bad("malformed multipart body");
        };
        let Some(file) = parts.iter().find(|p| p.name == "file") else {
            return bad("the file part is missing");
        };
        if file.body.len() as u64 != task.size {
            return bad("the file part does not have the announced fileSize");
        }
        let preview = parts.iter().find(|p| p.name == "preview");
        let mime = file
            .content_type
            .clone()
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| guess_mime(&task.name).to_owned());
        if mime.eq_ignore_ascii_case("sticker/webp") && preview.is_none() {
            return bad("a sticker needs a preview part");
        }
        let temporal = TemporalFile {
            name: task.name.clone(),
            mime,
            bytes: file.body.clone(),
            preview: preview.map(|p| {
                let name = p.filename.clone().unwrap_or_else(|| "preview".into());
                let mime = p
                    .content_type
                    .clone()
                    .unwrap_or_else(|| guess_mime(&name).to_owned());
                (name, mime, p.body.clone())
            }),
        };
        self.world.upload_tasks.remove(task_id);
        let id = format!("tmpf-{}", self.hex(12));
        self.world.temporal.insert(id.clone(), temporal);
        json_answer(200, json!({ "temporalFileId": id }))
    }

    /// `GET /bridge/api/client/v1/files/<fileId>?token=…`.
    fn download(&self, id: &str, token: &str) -> HttpResponse {
        let Some(file) = self.world.files.get(id) else {
            return json_answer(404, json!({"error": "file not found"}));
        };
        if !constant_time_eq(file.download_token.as_bytes(), token.as_bytes()) {
            return json_answer(403, json!({"error": "forbidden"}));
        }
        if file.ready_state != super::world::FILE_READY {
            return json_answer(409, json!({"error": "file not ready"}));
        }
        HttpResponse {
            status: 200,
            headers: vec![
                ("Content-Type".into(), file.mime.clone()),
                ("Content-Length".into(), file.bytes.len().to_string()),
            ],
            body: file.bytes.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_path_and_query() {
        assert_eq!(split_url("http://h:1/a/b?x=1#f"), ("/a/b", "x=1"));
        assert_eq!(split_url("/a?"), ("/a", ""));
        assert_eq!(split_url("http://h:1"), ("/", ""));
        assert_eq!(split_url("http://h:1?q"), ("/", "q"));
        assert_eq!(query_param("a=1&token=xy", "token"), Some("xy"));
    }
}
