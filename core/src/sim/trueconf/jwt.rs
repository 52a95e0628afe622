//! Unsigned JWTs: what the server's token endpoints hand out. Clients read `exp` (seconds)
//! and never check the signature, so the simulator signs nothing and instead remembers every
//! token it minted.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};

/// What the simulator knows about a token it minted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenInfo {
    /// The account's full id.
    pub user: String,
    /// Expiry, Unix seconds.
    pub exp_s: u64,
    /// Expired early by a test hook.
    pub revoked: bool,
}

/// `header.payload.` with header `{"alg":"none","typ":"JWT"}` (no whitespace, empty
/// signature).
pub(crate) fn mint(subject: &str, issuer: &str, issued_s: u64, exp_s: u64, id: &str) -> String {
    let header = json!({"alg": "none", "typ": "JWT"});
    let payload = json!({
        "sub": subject,
        "iss": issuer,
        "iat": issued_s,
        "exp": exp_s,
        "jti": id,
    });
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string())
    )
}

/// The payload of a structurally valid JWT (three segments, JSON header and payload), or
/// `None`.
pub(crate) fn payload(token: &str) -> Option<Value> {
    let mut parts = token.split('.');
    let (header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let decode = |segment: &str| -> Option<Value> {
        let bytes = URL_SAFE_NO_PAD.decode(segment.trim_end_matches('=')).ok()?;
        let value: Value = serde_json::from_slice(&bytes).ok()?;
        value.is_object().then_some(value)
    };
    decode(header)?;
    decode(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_tokens_decode() {
        let token = mint("helpdesk_bot", "video.example.com", 10, 99, "abc");
        assert!(token.ends_with('.'));
        assert!(!token.contains(char::is_whitespace));
        assert_eq!(token.split('.').count(), 3);
        let payload = payload(&token).unwrap();
        assert_eq!(payload["exp"], 99);
        assert_eq!(payload["sub"], "helpdesk_bot");
    }

    #[test]
    fn garbage_is_not_a_token() {
        for bad in [
            "",
            ".",
            "..",
            "a.b.c",
            "a.b",
            "e30.e30.x.y",
            "%%.%%.",
            "W10.W10.",
        ] {
            assert_eq!(payload(bad), None, "{bad:?}");
        }
        assert!(payload("e30.e30.").is_some());
    }
}
