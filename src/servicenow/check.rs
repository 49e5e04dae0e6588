//! The ServiceNow side of `nowsync test-connection`: a fixed sequence of steps, each telling
//! the admin what was checked and, on failure, what to do.
//!
//! Steps, in order: `dns`, `tcp`, `tls`, `instance`, `credentials`, `admin_role`, `table_access`.
//! The first failure stops the run; later steps are reported as skipped. Every failure here is
//! a connection, credential or permission failure (`connection_failure`, exit code 3).
//!
//! The write check of `table_access` creates a clearly named temporary group, user and
//! membership, and deletes whatever it created, even when a later write fails.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::client::Client;
use super::error::{Context, Error};
use super::list::ListParams;
use super::query::{Cond, Query};
use super::response;
use super::{Auth, ClientOptions, Instance};
use crate::model::SysId;
use crate::model::check::{Outcome, Step};
use crate::net::probe::Probe;

const STEPS: [(&str, &str); 7] = [
    ("dns", "The instance's host name resolves"),
    ("tcp", "A TCP connection to the instance opens"),
    ("tls", "The TLS handshake succeeds"),
    ("instance", "The host answers as a ServiceNow instance"),
    ("credentials", "The instance accepts the credentials"),
    ("admin_role", "The account has the admin role"),
    ("table_access", "The account can read and write the provisioning tables"),
];

/// Entra's wording for an instance it cannot talk to (tutorial, ServiceNowInstanceInvalid).
const INVALID: &str = "ServiceNowInstanceInvalid";
const ENTRA_ADVICE: &str = "Your ServiceNow instance name appears to be invalid: give the name of a valid ServiceNow instance (the part before .service-now.com) or its full URL";
const SOAP_ADVICE: &str = "if this is your instance, set \"Require basic authentication for incoming SCHEMA requests\" (System Security > High security settings) and \"Require basic authorization for incoming SOAP requests\" (System Properties > Web Services) to No, as Entra's troubleshooting advises";

/// The tables provisioning reads.
const READ_TABLES: [&str; 6] = [
    "sys_user",
    "sys_user_group",
    "sys_user_grmember",
    "cmn_department",
    "cmn_location",
    "core_company",
];

/// Error codes of the credentials step the console's wizard words its own remedy for.
pub const CREDENTIALS_INVALID: &str = "ServiceNowCredentialsInvalid";
pub const BASIC_REFUSED: &str = "ServiceNowBasicAuthRefused";
pub const OAUTH_FAILED: &str = "ServiceNowOAuthFailed";

/// A failed step: what to tell the admin, and the error code.
struct Fail {
    message: String,
    code: &'static str,
}

fn fail(code: &'static str, message: impl Into<String>) -> Fail {
    Fail {
        message: message.into(),
        code,
    }
}

enum Done {
    Pass(String),
    Skip(String),
}

/// The ServiceNow side of `nowsync test-connection`: runs the steps in order and stops at the
/// first failure; steps after it are returned with [`Outcome::Skipped`] and the message
/// "not run: an earlier step failed".
pub async fn test_connection(instance: &Instance, auth: &Auth, options: &ClientOptions) -> Vec<Step> {
    let target = url::Url::parse(&instance.base_url());
    let Ok(target) = target else {
        return Vec::new();
    };
    let mut run = Run {
        instance,
        auth,
        options,
        probe: Probe::new(&options.transport, &target),
        client: None,
    };
    let mut steps = Vec::with_capacity(STEPS.len());
    let mut failed = false;
    for (id, title) in STEPS {
        let started = Instant::now();
        let (outcome, message, error_code) = if failed {
            (Outcome::Skipped, "not run: an earlier step failed".to_owned(), None)
        } else {
            match run.step(id).await {
                Ok(Done::Pass(m)) => (Outcome::Pass, m, None),
                Ok(Done::Skip(m)) => (Outcome::Skipped, m, None),
                Err(f) => {
                    failed = true;
                    (Outcome::Fail, f.message, Some(f.code.to_owned()))
                }
            }
        };
        let connection_failure = outcome == Outcome::Fail;
        let duration = started.elapsed();
        steps.push(Step {
            id,
            title: title.to_owned(),
            outcome,
            duration,
            message,
            error_code,
            connection_failure,
        });
    }
    steps
}

struct Run<'a> {
    instance: &'a Instance,
    auth: &'a Auth,
    options: &'a ClientOptions,
    /// The network steps, through the proxy and with the trust the client uses.
    probe: Probe<'a>,
    client: Option<Client>,
}

impl Run<'_> {
    async fn step(&mut self, id: &str) -> Result<Done, Fail> {
        match id {
            "dns" => self.dns().await,
            "tcp" => self.tcp().await,
            "tls" => self.tls().await,
            "instance" => self.answers_as_servicenow().await,
            "credentials" => self.credentials().await,
            "admin_role" => self.admin_role().await,
            _ => self.table_access().await,
        }
    }

    fn short_timeout(&self) -> Duration {
        self.options.timeout.min(Duration::from_secs(15))
    }

    async fn dns(&mut self) -> Result<Done, Fail> {
        let timeout = self.short_timeout();
        match self.probe.dns(timeout).await {
            Ok(m) => Ok(Done::Pass(m)),
            Err(m) => Err(fail(
                INVALID,
                format!("{m}: check the spelling of the instance. {ENTRA_ADVICE}"),
            )),
        }
    }

    async fn tcp(&mut self) -> Result<Done, Fail> {
        let timeout = self.short_timeout();
        self.probe.tcp(timeout).await.map(Done::Pass).map_err(|m| {
            fail(
                INVALID,
                format!("{m}: check the URL and port, and that no firewall or proxy blocks it. {ENTRA_ADVICE}"),
            )
        })
    }

    fn client(&mut self) -> Result<Client, Fail> {
        if let Some(c) = &self.client {
            return Ok(c.clone());
        }
        let c = Client::new(self.instance.clone(), self.auth.clone(), self.options.clone())
            .map_err(|e| fail("ServiceNowClientSetup", e.to_string()))?;
        self.client = Some(c.clone());
        Ok(c)
    }

    async fn tls(&mut self) -> Result<Done, Fail> {
        if !self.instance.is_https() {
            return Ok(Done::Skip(
                "plain http://: there is no TLS to check (use https:// for a real instance)".into(),
            ));
        }
        let timeout = self.short_timeout();
        match self.probe.tls(timeout, "servicenow").await {
            Ok(m) => Ok(Done::Pass(m)),
            Err(m) => Err(fail("ServiceNowTlsFailed", m.to_string())),
        }
    }

    /// An unauthenticated Table API GET: a ServiceNow instance answers JSON, `{"result":…}` or a
    /// 401 `{"error":…}`; anything else is not (or not yet) a usable instance.
    async fn answers_as_servicenow(&mut self) -> Result<Done, Fail> {
        let client = self.client()?;
        let url = self
            .instance
            .url("/api/now/v2/table/sys_user?sysparm_limit=1&sysparm_fields=sys_id");
        let ctx = Context::new(self.instance.to_string(), "GET", Some("sys_user"));
        let sent = client
            .inner
            .http
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await;
        let resp = sent.map_err(|e| {
            fail(
                INVALID,
                response::from_reqwest(ctx.clone(), &e, self.options.timeout).to_string(),
            )
        })?;
        let status = resp.status().as_u16();
        let ct = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body = resp
            .bytes()
            .await
            .map_err(|e| fail(INVALID, format!("the answer was cut off: {e}")))?;
        let text = String::from_utf8_lossy(&body);
        if response::is_hibernation(&text) {
            let m = format!(
                "{} is a developer instance that is hibernating: wake it by signing in at developer.servicenow.com, then try again",
                self.instance
            );
            return Err(fail("ServiceNowInstanceHibernating", m));
        }
        let json: Option<Value> = serde_json::from_slice(&body).ok();
        let is_sn = json
            .as_ref()
            .is_some_and(|v| v.get("result").is_some() || v.get("error").is_some());
        if is_sn {
            return Ok(Done::Pass(format!(
                "{} answers the Table API (HTTP {status})",
                self.instance
            )));
        }
        let what: String = text
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(120)
            .collect();
        let m = format!(
            "{} answered HTTP {status} ({}) '{what}' instead of the Table API's JSON. {ENTRA_ADVICE}; {SOAP_ADVICE}",
            self.instance,
            if ct.is_empty() { "no content type" } else { &ct },
        );
        Err(fail(INVALID, m))
    }

    async fn credentials(&mut self) -> Result<Done, Fail> {
        let client = self.client()?;
        let user = self.auth.username().to_owned();
        let params = ListParams::default().fields(&["sys_id"]).limit(1);
        match client.list("sys_user", &params).await {
            Ok(_) => Ok(Done::Pass(format!("signed in as '{user}'"))),
            Err(Error::Forbidden { .. }) => Ok(Done::Pass(format!(
                "signed in as '{user}' (reading sys_user is denied: see the table access step)"
            ))),
            Err(Error::Unauthorized { .. }) => Err(fail(
                CREDENTIALS_INVALID,
                format!(
                    "the instance does not accept the user name '{user}' with this password (401): check both; the account must be active and not locked out; set the password again with `nowsync secrets set servicenow-password`"
                ),
            )),
            Err(Error::BasicRefused { .. }) => Err(fail(
                BASIC_REFUSED,
                format!(
                    "this instance's API access policy does not accept Basic authentication (it answered 401 with WWW-Authenticate: Bearer), so the password of '{user}' was not even checked: use OAuth: register nowsync in System OAuth > Application Registry (\"Create an OAuth API endpoint for external clients\"), then set auth = \"oauth\" and oauth_client_id under [servicenow] and store the client secret with `nowsync secrets set servicenow-oauth-client-secret`"
                ),
            )),
            Err(e @ Error::OAuth { .. }) => Err(fail(OAUTH_FAILED, e.to_string())),
            Err(e @ Error::Hibernating { .. }) => Err(fail("ServiceNowInstanceHibernating", e.to_string())),
            Err(e) => Err(fail(INVALID, e.to_string())),
        }
    }

    /// Spec §3.3 option 1: a `sys_user_has_role` row for the account and the `admin` role.
    async fn admin_role(&mut self) -> Result<Done, Fail> {
        let client = self.client()?;
        let user = self.auth.username().to_owned();
        let query = Query::new()
            .and(Cond::eq("user.user_name", &user))
            .and(Cond::eq("role.name", "admin"))
            .and(Cond::eq("state", "active"));
        let params = ListParams::new(query).fields(&["sys_id"]).limit(1);
        match client.list("sys_user_has_role", &params).await {
            Ok(page) if !page.records.is_empty() => Ok(Done::Pass(format!("'{user}' has the admin role"))),
            Ok(_) => Err(fail(
                "ServiceNowAdminRoleMissing",
                format!(
                    "the account '{user}' does not have the admin role (Entra's ServiceNow provisioning requires admin), or cannot read sys_user_has_role: grant it the admin role (User Administration > Users > {user} > Roles > Edit), or use an admin account"
                ),
            )),
            Err(e) => Err(fail(
                "ServiceNowAdminRoleMissing",
                format!("cannot check the roles of '{user}': {e}"),
            )),
        }
    }

    async fn table_access(&mut self) -> Result<Done, Fail> {
        let client = self.client()?;
        let denied = |op: &str, table: &str, e: Error| {
            let why = match &e {
                Error::Forbidden { message, .. } => format!("denied (403: {message})"),
                other => other.to_string(),
            };
            fail(
                "ServiceNowTableAccessDenied",
                format!("{op} {table}: {why}; give the account the admin role, or roles and ACLs that allow it"),
            )
        };
        for table in READ_TABLES {
            let params = ListParams::default().fields(&["sys_id"]).limit(1);
            client
                .list(table, &params)
                .await
                .map_err(|e| denied("reading", table, e))?;
        }
        let mut created: Vec<(&'static str, SysId)> = Vec::new();
        let result = write_probe(&client, &mut created).await;
        // Clean up whatever was created, newest first, even when a write failed.
        let mut leftovers = Vec::new();
        for (table, id) in created.iter().rev() {
            if let Err(e) = client.delete(table, id).await {
                leftovers.push(format!("{table}/{id} ({e})"));
            }
        }
        result.map_err(|(op, table, e)| denied(op, table, e))?;
        if !leftovers.is_empty() {
            let m = format!(
                "could not delete the temporary test records {}: delete them by hand",
                leftovers.join(", ")
            );
            return Err(fail("ServiceNowTableAccessDenied", m));
        }
        Ok(Done::Pass(format!(
            "read {}; created and deleted a test group, user and membership",
            READ_TABLES.join(", ")
        )))
    }
}

type ProbeError = (&'static str, &'static str, Error);

/// Creates a temporary group, user and membership, recording each in `created`.
async fn write_probe(client: &Client, created: &mut Vec<(&'static str, SysId)>) -> Result<(), ProbeError> {
    let tag: String = SysId::from_bytes(rand::random()).as_str()[..8].to_owned();
    let mut create = async |table: &'static str, fields: Value| -> Result<SysId, ProbeError> {
        let Value::Object(fields) = fields else {
            return Err(("creating", table, missing_id(client, table)));
        };
        let rec = client
            .create(table, &fields)
            .await
            .map_err(|e| ("creating", table, e))?;
        let id = rec
            .sys_id()
            .ok_or_else(|| ("creating", table, missing_id(client, table)))?;
        created.push((table, id.clone()));
        Ok(id)
    };
    let description = "Temporary record of nowsync test-connection; it deletes it at once. Safe to delete.";
    let group = create(
        "sys_user_group",
        json!({"name": format!("nowsync connection test {tag}"), "description": description, "active": "false"}),
    )
    .await?;
    let user = create(
        "sys_user",
        json!({"user_name": format!("nowsync.test.{tag}"), "first_name": "nowsync", "last_name": "connection test", "active": "false"}),
    )
    .await?;
    create(
        "sys_user_grmember",
        json!({"user": user.as_str(), "group": group.as_str()}),
    )
    .await?;
    Ok(())
}

fn missing_id(client: &Client, table: &str) -> Error {
    Error::Decode {
        ctx: client.ctx("POST", Some(table)),
        detail: "the created record has no sys_id".into(),
    }
}
