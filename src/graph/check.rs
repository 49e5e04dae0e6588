//! The Entra half of test connection: authority, token, service principal, then one small read
//! of users, groups and the service principal's `appRoleAssignedTo`. Steps run in order and stop
//! at the first failure; the rest are reported as skipped.

use std::time::{Duration, Instant};

use super::{Client, Error, Options};
use crate::config::Entra;
use crate::model::check::{Outcome, Step};
use crate::net::retry::Policy;
use crate::secrets::Secret;

/// What to do when the authority cannot be reached and no certificate is at fault (the
/// console's wizard says it in its own terms, recognising this text).
pub const UNREACHABLE_ADVICE: &str = "check authority_url, DNS and any proxy";

const SKIPPED: &str = "not run: an earlier step failed";

type Outcome2 = Result<String, (String, Option<String>)>;

/// Runs the Entra steps against the configured tenant.
pub async fn test_connection(settings: &Entra, secret: &Secret) -> Vec<Step> {
    let options = Options {
        // A connection test answers in seconds: one retry, and throttling waited out for 10 s.
        retry: Policy {
            max_attempts: 2,
            throttle_budget: Duration::from_secs(10),
            ..Options::default().retry
        },
        timeout: Some(Duration::from_secs(30)),
        low_priority: false,
        ..Options::default()
    };
    let plan: [(&'static str, &str); 6] = [
        ("authority", "The Entra authority answers for the tenant"),
        ("token", "A token is issued to the app (client credentials)"),
        ("service_principal", "The enterprise app's service principal is found"),
        ("read_users", "Users can be read (User.Read.All)"),
        ("read_groups", "Groups can be read (GroupMember.Read.All)"),
        (
            "read_app_role_assignments",
            "The enterprise app's assignments can be read (Application.Read.All)",
        ),
    ];
    let mut steps = Vec::with_capacity(plan.len());
    let client = match Client::new(settings, secret.clone(), options) {
        Ok(c) => c,
        Err(e) => {
            steps.push(step(
                plan[0].0,
                plan[0].1,
                Duration::ZERO,
                Err((e.to_string(), Some("InvalidConfiguration".into()))),
            ));
            skip_rest(&mut steps, &plan);
            return steps;
        }
    };
    let sp = settings.service_principal_id.clone();
    for (i, (id, title)) in plan.iter().enumerate() {
        let started = Instant::now();
        let result = match i {
            0 => authority(&client, settings).await,
            1 => token(&client).await,
            2 => service_principal(&client, &sp, settings).await,
            3 => read(&client, "/users?$select=id&$top=1", "User.Read.All", settings).await,
            4 => {
                read(
                    &client,
                    "/groups?$select=id&$top=1",
                    // The least permission that reads groups and their members (specs/graph.md).
                    "GroupMember.Read.All (or Group.Read.All)",
                    settings,
                )
                .await
            }
            _ => {
                let path = format!(
                    "/servicePrincipals/{}/appRoleAssignedTo?$top=1",
                    crate::net::encode::segment(&sp)
                );
                read(&client, &path, "Application.Read.All", settings).await
            }
        };
        let failed = result.is_err();
        steps.push(step(id, title, started.elapsed(), result));
        if failed {
            skip_rest(&mut steps, &plan);
            break;
        }
    }
    steps
}

fn step(id: &'static str, title: &str, duration: Duration, result: Outcome2) -> Step {
    let (outcome, message, error_code) = match result {
        Ok(m) => (Outcome::Pass, m, None),
        Err((m, code)) => (Outcome::Fail, m, code),
    };
    Step {
        id,
        title: title.to_owned(),
        outcome,
        duration,
        message,
        error_code,
        connection_failure: outcome == Outcome::Fail,
    }
}

fn skip_rest(steps: &mut Vec<Step>, plan: &[(&'static str, &str)]) {
    for (id, title) in plan.iter().skip(steps.len()) {
        steps.push(Step {
            id,
            title: (*title).to_owned(),
            outcome: Outcome::Skipped,
            duration: Duration::ZERO,
            message: SKIPPED.to_owned(),
            error_code: None,
            connection_failure: false,
        });
    }
}

async fn authority(client: &Client, settings: &Entra) -> Outcome2 {
    let url = client.endpoints().openid_url(&settings.tenant_id);
    // The same trust and proxy as the client's own requests (`net::http`).
    let transport = crate::net::http::Transport::new(settings.network.ca_file.clone(), settings.network.proxy.clone());
    let via = url::Url::parse(&url)
        .ok()
        .and_then(|u| transport.proxy_for(&u))
        .map(|p| format!(" through the proxy {} (from {})", p.shown(), p.source))
        .unwrap_or_default();
    let http = transport
        .client_builder()
        .map_err(|e| (format!("[entra] {e}"), Some("InvalidConfiguration".to_owned())))?
        .timeout(Duration::from_secs(30))
        .build();
    let http = http.map_err(|e| (format!("cannot build the HTTP client: {e}"), None))?;
    let resp = http.get(&url).send().await.map_err(|e| {
        let advice = match crate::net::tls::certificate_problem(&e) {
            Some(rustls::CertificateError::UnknownIssuer) => {
                "the authority's certificate is not issued by a CA this machine trusts: if a TLS-inspecting proxy issued it, name that CA's certificate (PEM) with ca_file under [entra]"
            }
            Some(_) => "the authority's certificate was refused: check this machine's clock and any TLS-inspecting proxy",
            None => UNREACHABLE_ADVICE,
        };
        (
            format!(
                "cannot reach the authority {}{via}: {e}; {advice}",
                client.endpoints().authority
            ),
            Some("AuthorityUnreachable".to_owned()),
        )
    })?;
    let status = resp.status().as_u16();
    let body = resp.bytes().await.unwrap_or_default();
    if status == 200 {
        return Ok(format!(
            "{} answers for tenant {}",
            client.endpoints().authority,
            settings.tenant_id
        ));
    }
    let e = super::TokenError::from_body(status, &body);
    let code = e.code.map(|c| format!("AADSTS{c}"));
    Err((
        format!("the authority answered {status}: {} — {}", e.description, e.advice()),
        code,
    ))
}

async fn token(client: &Client) -> Outcome2 {
    match client.sign_in().await {
        Ok(()) => Ok(format!("token issued for {}", client.endpoints().scope)),
        Err(Error::Token(t)) => {
            let code = t.code.map(|c| format!("AADSTS{c}"));
            Err((format!("{}: {}", t.description, t.advice()), code))
        }
        Err(e) => Err(other(e)),
    }
}

fn other(e: Error) -> (String, Option<String>) {
    let code = match &e {
        Error::Graph(g) if !g.code.is_empty() => Some(g.code.clone()),
        Error::Network { .. } => Some("GraphUnreachable".to_owned()),
        _ => None,
    };
    (e.to_string(), code)
}

fn denied(e: &Error, permission: &str, settings: &Entra) -> Option<(String, Option<String>)> {
    let g = e.graph().filter(|g| g.is_permission_denied())?;
    Some((
        format!(
            "Graph refused ({}): grant the application permission {permission} (Microsoft Graph, type \
             Application) to app {} and grant admin consent{}",
            if g.code.is_empty() { "403" } else { &g.code },
            settings.client_id,
            g.request_id
                .as_ref()
                .map(|r| format!(" (request-id {r})"))
                .unwrap_or_default()
        ),
        Some(if g.code.is_empty() {
            "Authorization_RequestDenied".to_owned()
        } else {
            g.code.clone()
        }),
    ))
}

async fn service_principal(client: &Client, id: &str, settings: &Entra) -> Outcome2 {
    let e = match client.service_principal().await {
        Ok(sp) => {
            return Ok(format!(
                "'{}' (appId {}, assignment required: {})",
                sp.display_name.unwrap_or_default(),
                sp.app_id,
                sp.app_role_assignment_required
                    .map(|b| b.to_string())
                    .unwrap_or_else(|| "unknown".into())
            ));
        }
        Err(e) => e,
    };
    if let Some(d) = denied(&e, "Application.Read.All", settings) {
        return Err(d);
    }
    match e {
        Error::Graph(g) if g.status == 404 => Err((
            format!(
                "no service principal with object id {id} in the tenant: set service_principal_id to the Object ID \
                 shown under Enterprise applications → (the app) → Properties{}",
                g.request_id
                    .as_ref()
                    .map(|r| format!(" (request-id {r})"))
                    .unwrap_or_default()
            ),
            Some("Request_ResourceNotFound".to_owned()),
        )),
        e => Err(other(e)),
    }
}

async fn read(client: &Client, path: &str, permission: &str, settings: &Entra) -> Outcome2 {
    let r: Result<serde_json::Value, Error> = client.get_json(&client.url(path)).await;
    match r {
        Ok(v) => {
            let n = v.get("value").and_then(|v| v.as_array()).map(Vec::len).unwrap_or(0);
            Ok(format!(
                "read {} with {permission} ({n} item{} on the first page)",
                path.split('?').next().unwrap_or(path),
                if n == 1 { "" } else { "s" }
            ))
        }
        Err(e) => Err(denied(&e, permission, settings).unwrap_or_else(|| other(e))),
    }
}
