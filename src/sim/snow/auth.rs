//! Who is calling: HTTP Basic against the seeded credentials, Bearer tokens issued by
//! `/oauth_token.do` (password, client_credentials and refresh_token grants; client
//! credentials in the body or as HTTP Basic, as pysnow sends them), and the 401 shapes of
//! spec §1.7 / §3.2. An inactive or locked-out user cannot authenticate.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::Rng;
use rand::distr::Alphanumeric;
use serde_json::json;

use super::reply::Reply;
use super::store::Store;
use super::values::bool_str;

/// The OAuth application registered in the seed (`/sim/accounts` lists it).
pub const OAUTH_CLIENT_ID: &str = "9f3c1b2a7d6e4f5a8b0c1d2e3f4a5b6c";
pub const OAUTH_CLIENT_SECRET: &str = "sim-oauth-secret-7Qp2";
/// `expires_in` of issued access tokens, in seconds, as an instance answers.
pub const TOKEN_LIFETIME: u64 = 1799;

/// The authenticated caller.
#[derive(Clone, Debug)]
pub struct Principal {
    pub sys_id: String,
    pub user_name: String,
    pub admin: bool,
}

struct Token {
    user_name: String,
    expires: Instant,
}

#[derive(Default)]
pub struct Auth {
    passwords: Mutex<HashMap<String, String>>,
    access: Mutex<HashMap<String, Token>>,
    refresh: Mutex<HashMap<String, String>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn random_token() -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(86)
        .map(char::from)
        .collect()
}

/// `Basic base64(user:password)` → (user, password).
pub fn basic(header: &str) -> Option<(String, String)> {
    let encoded = header
        .strip_prefix("Basic ")
        .or_else(|| header.strip_prefix("basic "))?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (u, p) = decoded.split_once(':')?;
    Some((u.to_owned(), p.to_owned()))
}

/// Whether the `Authorization` header carries a Bearer token.
pub fn is_bearer(header: Option<&str>) -> bool {
    header.is_some_and(|h| h.get(..7).is_some_and(|p| p.eq_ignore_ascii_case("bearer ")))
}

/// The 401 of an instance whose REST API access policy does not accept Basic authentication
/// (Washington DC and later; spec §13 #9): the challenge names Bearer only.
pub fn basic_refused() -> Reply {
    Reply::error(
        401,
        "User is not authenticated",
        Some("Required to provide Auth information"),
    )
    .header("WWW-Authenticate", "BEARER realm=\"Service-now\"")
}

fn oauth_denied() -> Reply {
    Reply::json(
        401,
        &json!({"error_description": "access_denied", "error": "server_error"}),
    )
}

impl Auth {
    pub fn set_password(&self, user_name: &str, password: &str) {
        lock(&self.passwords).insert(user_name.to_lowercase(), password.to_owned());
    }

    fn password_ok(&self, user: &str, password: &str) -> bool {
        lock(&self.passwords)
            .get(&user.to_lowercase())
            .is_some_and(|p| p == password)
    }

    /// Makes every issued access token expired (tests of the refresh path).
    pub fn expire_tokens(&self) {
        let past = Instant::now()
            .checked_sub(Duration::from_secs(1))
            .unwrap_or_else(Instant::now);
        for t in lock(&self.access).values_mut() {
            t.expires = past;
        }
    }

    /// The caller of a request from its `Authorization` header, or the 401 reply.
    pub fn authenticate(&self, store: &Store, authorization: Option<&str>) -> Result<Principal, Reply> {
        let header = authorization.ok_or_else(Reply::unauthenticated)?;
        let user_name = if let Some(token) = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
        {
            let access = lock(&self.access);
            match access.get(token.trim()) {
                Some(t) if t.expires > Instant::now() => t.user_name.clone(),
                _ => return Err(Reply::unauthenticated()),
            }
        } else {
            let (u, p) = basic(header).ok_or_else(Reply::unauthenticated)?;
            if !self.password_ok(&u, &p) {
                return Err(Reply::unauthenticated());
            }
            u
        };
        principal(store, &user_name).ok_or_else(Reply::unauthenticated)
    }

    /// `POST /oauth_token.do` with a form body.
    pub fn token(&self, store: &Store, authorization: Option<&str>, body: &[u8]) -> Reply {
        let form: HashMap<String, String> = url::form_urlencoded::parse(body).into_owned().collect();
        let (client_id, secret) = match authorization.and_then(basic) {
            Some(pair) => pair,
            None => (
                form.get("client_id").cloned().unwrap_or_default(),
                form.get("client_secret").cloned().unwrap_or_default(),
            ),
        };
        if client_id != OAUTH_CLIENT_ID || secret != OAUTH_CLIENT_SECRET {
            return oauth_denied();
        }
        let field = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
        let (user_name, with_refresh) = match field("grant_type") {
            "password" if self.password_ok(field("username"), field("password")) => {
                (field("username").to_owned(), true)
            }
            "client_credentials" => (principal_name(store, "admin"), false),
            "refresh_token" => match lock(&self.refresh).get(field("refresh_token")) {
                Some(u) => (u.clone(), true),
                None => return oauth_denied(),
            },
            _ => return oauth_denied(),
        };
        if principal(store, &user_name).is_none() {
            return oauth_denied();
        }
        let access = random_token();
        let expires = Instant::now() + Duration::from_secs(TOKEN_LIFETIME);
        lock(&self.access).insert(
            access.clone(),
            Token {
                user_name: user_name.clone(),
                expires,
            },
        );
        let mut body = json!({"access_token": access, "scope": "useraccount", "token_type": "Bearer", "expires_in": TOKEN_LIFETIME});
        if with_refresh {
            let refresh = random_token();
            lock(&self.refresh).insert(refresh.clone(), user_name);
            body["refresh_token"] = json!(refresh);
        }
        Reply::json(200, &body)
    }
}

/// The OAuth application user for client_credentials: the seeded admin (first admin row).
fn principal_name(store: &Store, role: &str) -> String {
    let Some(t) = store.table("sys_user") else {
        return String::new();
    };
    let (Some(roles), Some(name)) = (t.def.pos("roles"), t.def.pos("user_name")) else {
        return String::new();
    };
    t.rows
        .values()
        .find(|r| r[roles].split(',').any(|x| x == role))
        .map(|r| r[name].clone())
        .unwrap_or_default()
}

/// Looks the user up; `None` when absent, inactive or locked out.
pub fn principal(store: &Store, user_name: &str) -> Option<Principal> {
    let t = store.table("sys_user")?;
    let def = &t.def;
    let (name_pos, roles, active, locked) = (
        def.pos("user_name")?,
        def.pos("roles")?,
        def.pos("active")?,
        def.pos("locked_out")?,
    );
    let id = t.lookup(name_pos, user_name)?.first().map(|s| (*s).to_owned())?;
    let row = t.get(&id)?;
    if bool_str(&row[active]) != "true" || bool_str(&row[locked]) == "true" {
        return None;
    }
    let admin = row[roles].split(',').any(|r| r.trim() == "admin");
    Some(Principal {
        sys_id: id,
        user_name: row[name_pos].clone(),
        admin,
    })
}
