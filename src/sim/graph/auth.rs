//! The authority: the client-credentials token endpoint with Entra's error bodies (spec §1.4),
//! the OpenID metadata document, and bearer-token checks on Graph requests.

use std::time::Instant;

use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use serde_json::json;

use super::reply::{Ctx, Reply};
use super::{Sim, lock};

/// Graph resource scopes of every cloud; any of them is accepted (the token is for this sim).
const GRAPH_SCOPES: &[&str] = &[
    "https://graph.microsoft.com/.default",
    "https://graph.microsoft.us/.default",
    "https://dod-graph.microsoft.us/.default",
    "https://microsoftgraph.chinacloudapi.cn/.default",
];

fn known_tenant(sim: &Sim, tenant: &str) -> bool {
    let t = sim.tenant();
    tenant.eq_ignore_ascii_case(&t.tenant_id)
        || tenant.eq_ignore_ascii_case(&t.domain)
        || tenant.eq_ignore_ascii_case(&t.initial_domain)
}

/// Entra's token error body: `AADSTS<n>: …` plus trace and correlation ids.
fn aad_error(status: StatusCode, error: &str, code: u32, text: &str) -> Reply {
    let now = chrono::Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string();
    let (trace, corr) = (super::route::new_id(), super::route::new_id());
    Reply::json(
        status,
        json!({
            "error": error,
            "error_description": format!("AADSTS{code}: {text}\r\nTrace ID: {trace}\r\nCorrelation ID: {corr}\r\nTimestamp: {now}"),
            "error_codes": [code],
            "timestamp": now,
            "trace_id": trace,
            "correlation_id": corr,
            "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
        }),
    )
}

/// `POST /{tenant}/oauth2/v2.0/token`.
pub(super) fn token(sim: &Sim, tenant: &str, headers: &HeaderMap, body: &[u8]) -> Reply {
    sim.stats_mut().token += 1;
    let form: Form = url::form_urlencoded::parse(body).into_owned().collect();
    let checked = check_request(sim, tenant, &form).and_then(|()| check_client(sim, tenant, &form, headers));
    match checked {
        Ok(()) => issue(sim),
        Err(refused) => refused,
    }
}

type Form = std::collections::HashMap<String, String>;

fn field<'a>(form: &'a Form, k: &str) -> Option<&'a str> {
    form.get(k).map(String::as_str).filter(|v| !v.is_empty())
}

/// The tenant and the grant type.
fn check_request(sim: &Sim, tenant: &str, form: &Form) -> Result<(), Reply> {
    let field = |k: &str| field(form, k);
    if !known_tenant(sim, tenant) {
        return Err(aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_tenant",
            90002,
            &format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
            ),
        ));
    }
    if field("grant_type") != Some("client_credentials") {
        return Err(aad_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type.",
        ));
    }
    Ok(())
}

/// The client's id, the scope, then its credential: a secret (in the body, or as HTTP Basic credentials,
/// RFC 6749 §2.3.1) or a client assertion.
fn check_client(sim: &Sim, tenant: &str, form: &Form, headers: &HeaderMap) -> Result<(), Reply> {
    let field = |k: &str| field(form, k);
    let basic = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.split_once(':').map(|(a, b)| (a.to_owned(), b.to_owned())));
    let client_id = field("client_id")
        .map(str::to_owned)
        .or_else(|| basic.as_ref().map(|b| b.0.clone()));
    let secret = field("client_secret")
        .map(str::to_owned)
        .or_else(|| basic.as_ref().map(|b| b.1.clone()));
    let t = sim.tenant();
    let Some(client_id) = client_id else {
        return Err(aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_id'.",
        ));
    };
    if !client_id.eq_ignore_ascii_case(&t.client_id) {
        return Err(aad_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."
            ),
        ));
    }
    check_scope(form)?;
    let assertion = field("client_assertion").is_some()
        && field("client_assertion_type") == Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    match secret {
        _ if assertion => {}
        None => {
            return Err(aad_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            ));
        }
        Some(s) if s != t.client_secret => {
            return Err(aad_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000215,
                &format!(
                    "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{}'.",
                    t.client_id
                ),
            ));
        }
        Some(_) if sim.faults().secret_expired => {
            return Err(aad_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000222,
                &format!(
                    "The provided client secret keys for app '{}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.",
                    t.client_id
                ),
            ));
        }
        Some(_) => {}
    }
    Ok(())
}

/// A `/.default` scope of Graph in some cloud.
fn check_scope(form: &Form) -> Result<(), Reply> {
    match field(form, "scope") {
        None => {
            return Err(aad_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'scope'.",
            ));
        }
        Some(s) if !s.ends_with("/.default") => {
            return Err(aad_error(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                1002012,
                &format!(
                    "The provided value for scope {s} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
                ),
            ));
        }
        Some(s) if !GRAPH_SCOPES.contains(&s) => {
            return Err(aad_error(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                70011,
                &format!(
                    "The provided value for the input parameter 'scope' is not valid. The scope {s} is not valid."
                ),
            ));
        }
        Some(_) => {}
    }
    Ok(())
}

fn issue(sim: &Sim) -> Reply {
    let lifetime = sim.faults().token_lifetime_secs.map(std::time::Duration::from_secs);
    let lifetime = lifetime.unwrap_or(sim.inner.options.token_lifetime);
    let token = access_token(sim, lifetime);
    lock(&sim.inner.tokens).insert(token.clone(), Instant::now() + lifetime);
    let secs = lifetime.as_secs();
    Reply::ok(json!({"token_type": "Bearer", "expires_in": secs, "ext_expires_in": secs, "access_token": token}))
        .header(axum::http::header::CACHE_CONTROL, "no-store, no-cache")
}

/// An app-only access token for Graph, shaped as Entra's v1 tokens are: a JWT whose claims name
/// the tenant (`tid`), the client app (`appid`) and its service principal (`oid`, `sub`), so a
/// client can tell which tenant and principal its state belongs to. The signature is random:
/// only this simulator checks its tokens, by lookup.
fn access_token(sim: &Sim, lifetime: std::time::Duration) -> String {
    let b64 = |v: &serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let t = sim.tenant();
    let now = chrono::Utc::now().timestamp();
    let issuer = format!("https://sts.windows.net/{}/", t.tenant_id);
    let header = json!({"typ": "JWT", "alg": "RS256", "kid": "sim-signing-key"});
    let claims = json!({
        "aud": "https://graph.microsoft.com", "iss": issuer, "idp": issuer,
        "iat": now, "nbf": now, "exp": now + lifetime.as_secs() as i64,
        "appid": t.client_id, "appidacr": "1", "idtyp": "app",
        "oid": t.client_service_principal_id, "sub": t.client_service_principal_id,
        "tid": t.tenant_id, "ver": "1.0",
        "roles": granted(sim),
        "uti": crate::sim::tenant::random_opaque_id(),
    });
    let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(crate::sim::tenant::random_guid());
    format!("{}.{}.{signature}", b64(&header), b64(&claims))
}

/// The app's application permissions: those a provisioning app is told to grant, less the
/// fault set's denials.
fn granted(sim: &Sim) -> Vec<&'static str> {
    const GRANTED: [&str; 4] = [
        "User.Read.All",
        "GroupMember.Read.All",
        "Group.Read.All",
        "Application.Read.All",
    ];
    let faults = sim.faults();
    GRANTED
        .into_iter()
        .filter(|p| !faults.deny.iter().any(|d| d == p))
        .collect()
}

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`.
pub(super) fn openid(sim: &Sim, ctx: &Ctx, tenant: &str) -> Reply {
    if !known_tenant(sim, tenant) {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_tenant",
            90002,
            &format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
            ),
        );
    }
    let base = format!("{}/{}", ctx.origin, sim.tenant_id());
    Reply::ok(json!({
        "token_endpoint": format!("{base}/oauth2/v2.0/token"),
        "issuer": format!("{base}/v2.0"),
        "authorization_endpoint": format!("{base}/oauth2/v2.0/authorize"),
        "jwks_uri": format!("{}/{}/discovery/v2.0/keys", ctx.origin, sim.tenant_id()),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "tenant_region_scope": "WW",
    }))
}

/// Checks `Authorization: Bearer …` against issued, unexpired tokens (401
/// `InvalidAuthenticationToken` otherwise, with Graph's messages).
pub(super) fn check_bearer(sim: &Sim, headers: &HeaderMap) -> Result<(), Reply> {
    let deny = |m: &str| Err(Reply::error(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken", m));
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .unwrap_or("");
    if token.is_empty() {
        return deny("Access token is empty.");
    }
    match lock(&sim.inner.tokens).get(token) {
        None => deny("Access token validation failure. Invalid audience."),
        Some(exp) if *exp <= Instant::now() => deny("Access token has expired or is not yet valid."),
        Some(_) => Ok(()),
    }
}
