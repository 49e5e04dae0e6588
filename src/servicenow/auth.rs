//! Authentication: the `Authorization` header of every request (spec §3).
//!
//! Basic: `Basic base64(user:password)` on every request, computed once. OAuth password grant:
//! `POST /oauth_token.do` (form body, client id and secret in the body as the docs show), then
//! `Bearer <access_token>`; the token is refreshed with the refresh token a minute before it
//! expires (as the Ansible collection does), falling back to a new password grant; on a 401 the
//! client drops the token and tries once more ([`AuthState::invalidate`]).
//!
//! Invariant: header values are marked sensitive (never logged by reqwest/hyper); secrets stay
//! in [`Secret`] until the one place that sends them.

use std::time::Duration;

use base64::Engine;
use reqwest::header::HeaderValue;
use serde_json::Value;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::error::{Context, Error, SetupError};
use super::response;
use super::{Auth, Instance};
use crate::secrets::Secret;

/// Refresh this long before the token expires.
const REFRESH_AHEAD: Duration = Duration::from_secs(60);

pub(crate) enum AuthState {
    Basic(HeaderValue),
    OAuth { auth: Auth, token: Mutex<Option<Token>> },
}

pub(crate) struct Token {
    header: HeaderValue,
    refresh: Option<Secret>,
    expires_at: Instant,
}

/// A user name a Basic `Authorization` header cannot carry.
#[derive(Debug, thiserror::Error)]
#[error("the user name contains characters a header cannot carry: use the account's plain user name")]
pub struct BadUserName(#[source] reqwest::header::InvalidHeaderValue);

impl AuthState {
    pub(crate) fn new(auth: &Auth) -> Result<Self, BadUserName> {
        match auth {
            Auth::Basic { username, password } => Ok(AuthState::Basic(basic(username, password)?)),
            Auth::OAuth { .. } => Ok(AuthState::OAuth {
                auth: auth.clone(),
                token: Mutex::new(None),
            }),
        }
    }

    pub(crate) fn is_basic(&self) -> bool {
        matches!(self, AuthState::Basic(_))
    }

    pub(crate) fn is_oauth(&self) -> bool {
        matches!(self, AuthState::OAuth { .. })
    }

    /// The header for the next request, fetching or refreshing a token when needed.
    pub(crate) async fn header(
        &self,
        http: &reqwest::Client,
        instance: &Instance,
        timeout: Duration,
    ) -> Result<HeaderValue, Error> {
        let (auth, slot) = match self {
            AuthState::Basic(h) => return Ok(h.clone()),
            AuthState::OAuth { auth, token } => (auth, token),
        };
        // One refresh at a time: requests waiting here reuse the new token.
        let mut slot = slot.lock().await;
        if let Some(t) = slot.as_ref()
            && Instant::now() + REFRESH_AHEAD < t.expires_at
        {
            return Ok(t.header.clone());
        }
        let refreshed = match slot.as_ref().and_then(|t| t.refresh.clone()) {
            Some(r) => token_request(http, instance, auth, Some(&r), timeout).await.ok(),
            None => None,
        };
        let token = match refreshed {
            Some(t) => t,
            None => token_request(http, instance, auth, None, timeout).await?,
        };
        let header = token.header.clone();
        *slot = Some(token);
        Ok(header)
    }

    /// Forgets the token `used` after a 401, so the next [`AuthState::header`] gets a new one.
    pub(crate) async fn invalidate(&self, used: &HeaderValue) {
        if let AuthState::OAuth { token, .. } = self {
            let mut slot = token.lock().await;
            if slot.as_ref().is_some_and(|t| t.header == used) {
                // Keep the refresh token: a refresh grant is tried first.
                if let Some(t) = slot.as_mut() {
                    t.expires_at = Instant::now();
                }
            }
        }
    }
}

fn basic(username: &str, password: &Secret) -> Result<HeaderValue, BadUserName> {
    let raw = format!("{username}:{}", password.expose());
    let mut h = HeaderValue::from_str(&format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    ))
    .map_err(BadUserName)?;
    h.set_sensitive(true);
    Ok(h)
}

/// One token request: a password grant, or a refresh grant when `refresh` is given.
async fn token_request(
    http: &reqwest::Client,
    instance: &Instance,
    auth: &Auth,
    refresh: Option<&Secret>,
    timeout: Duration,
) -> Result<Token, Error> {
    let Auth::OAuth {
        client_id,
        client_secret,
        username,
        password,
    } = auth
    else {
        return Err(Error::Setup {
            instance: instance.to_string(),
            source: SetupError::NotOAuth,
        });
    };
    let ctx = Context::new(instance.to_string(), "POST", Some("oauth_token.do"));
    let mut form: Vec<(&str, &str)> = vec![("client_id", client_id), ("client_secret", client_secret.expose())];
    match refresh {
        Some(r) => form.extend([("grant_type", "refresh_token"), ("refresh_token", r.expose())]),
        None => form.extend([
            ("grant_type", "password"),
            ("username", username),
            ("password", password.expose()),
        ]),
    }
    let sent = http
        .post(instance.url("/oauth_token.do"))
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&form)
        .send()
        .await;
    let resp = sent.map_err(|e| response::from_reqwest(ctx.clone(), &e, timeout))?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp
        .bytes()
        .await
        .map_err(|e| response::from_reqwest(ctx.clone(), &e, timeout))?;
    token(ctx, status, &headers, &body)
}

/// The token in `/oauth_token.do`'s answer, or the error it says.
fn token(ctx: Context, status: u16, headers: &reqwest::header::HeaderMap, body: &[u8]) -> Result<Token, Error> {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    // OAuth failures come as {"error":"server_error","error_description":"access_denied"} with
    // 401 (spec §3.2, ISS-OAUTH), not as the Table API's error object.
    if let Some(Value::String(code)) = parsed.as_ref().and_then(|v| v.get("error")) {
        let desc = parsed
            .as_ref()
            .and_then(|v| v.get("error_description"))
            .and_then(Value::as_str)
            .unwrap_or("");
        return Err(Error::OAuth {
            ctx,
            status,
            message: format!("{code}: {desc}"),
        });
    }
    let now = super::transport::unix_now();
    let v = response::classify(ctx.clone(), status, headers, body, false, now)?.unwrap_or_default();
    let access = v.get("access_token").and_then(Value::as_str).filter(|s| !s.is_empty());
    let Some(access) = access else {
        return Err(Error::OAuth {
            ctx,
            status,
            message: "the answer has no access_token".into(),
        });
    };
    let expires_in = match v.get("expires_in") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    }
    .unwrap_or(1799);
    let mut header = HeaderValue::from_str(&format!("Bearer {access}")).map_err(|_| Error::OAuth {
        ctx: ctx.clone(),
        status,
        message: "the access token is not header-safe".into(),
    })?;
    header.set_sensitive(true);
    let refresh = v
        .get("refresh_token")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(Secret::new);
    Ok(Token {
        header,
        refresh,
        expires_at: Instant::now() + Duration::from_secs(expires_in),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_header_is_sensitive_and_correct() {
        let h = basic("admin", &Secret::new("pw")).unwrap();
        assert!(h.is_sensitive());
        assert_eq!(h.to_str().unwrap(), "Basic YWRtaW46cHc=");
    }
}
