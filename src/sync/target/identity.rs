//! What the instance says about itself and about the account nowsync signs in as, read once
//! per engine (the first cycle) and kept in the cycle context.
//!
//! - The integration account's `sys_id` (the `sys_user` row whose `user_name` is the
//!   configured username): never a match candidate, never written or deprovisioned (issue 12:
//!   an Entra user carrying the admin's email once took over the admin's row, and every call
//!   after got 401).
//! - The `instance_id` system property (admin-only; `None` when it cannot be read), which the
//!   state database is bound to (`safety::binding`): a URL can be re-pointed at another
//!   instance, the id cannot.

use crate::servicenow::{self, Cond, ListParams, Query};
use crate::sync::error::CycleError;

/// The instance's identity and the integration account's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The integration account's sys_id.
    pub integration_account: String,
    /// The `instance_id` system property, when readable.
    pub instance_id: Option<String>,
}

/// Reads the identity of the instance `client` talks to, signed in as `username`.
pub async fn read(client: &servicenow::Client, username: &str) -> Result<Identity, CycleError> {
    let params = ListParams::new(Query::new().and(Cond::eq("user_name", username)))
        .fields(&["sys_id", "user_name"])
        .limit(10);
    let page = client.list("sys_user", &params).await?;
    let matching: Vec<String> = page
        .records
        .iter()
        .filter(|r| r.value("user_name").is_some_and(|n| n.eq_ignore_ascii_case(username)))
        .filter_map(|r| r.sys_id().map(|s| s.to_string()))
        .collect();
    let [integration_account] = matching.as_slice() else {
        return Err(CycleError::IntegrationAccount {
            username: username.to_owned(),
            instance: client.instance().to_string(),
            found: matching.len(),
        });
    };
    Ok(Identity {
        integration_account: integration_account.clone(),
        instance_id: instance_id(client).await,
    })
}

/// The `instance_id` system property; `None` when the account cannot read it (it is
/// admin-only) or the instance has none.
async fn instance_id(client: &servicenow::Client) -> Option<String> {
    let params = ListParams::new(Query::new().and(Cond::eq("name", "instance_id")))
        .fields(&["name", "value"])
        .limit(1);
    match client.list("sys_properties", &params).await {
        Ok(page) => page
            .records
            .first()
            .and_then(|r| r.value("value"))
            .filter(|v| !v.is_empty()),
        Err(e) => {
            tracing::info!(error = %e, "the instance_id system property is not readable: the state is bound to the URL only");
            None
        }
    }
}
