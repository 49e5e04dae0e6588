//! The configuration file as written: serde types with `deny_unknown_fields`, no validation.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    #[serde(default)]
    pub profiles: BTreeMap<String, RawProfile>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProfile {
    pub servicenow: Option<RawServiceNow>,
    pub entra: Option<RawEntra>,
    pub provisioning: Option<RawProvisioning>,
    pub notification: Option<RawNotification>,
    pub secrets: Option<RawSecrets>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServiceNow {
    pub instance: Option<String>,
    pub username: Option<String>,
    pub allow_insecure_http: Option<bool>,
    /// `basic` (default) or `oauth` (password grant through /oauth_token.do).
    pub auth: Option<String>,
    pub oauth_client_id: Option<String>,
    pub max_in_flight: Option<i64>,
    pub throttle_budget_minutes: Option<i64>,
    pub ca_file: Option<String>,
    pub proxy: Option<String>,
    pub page_size: Option<i64>,
    pub timeout_seconds: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEntra {
    pub tenant_id: Option<String>,
    pub client_id: Option<String>,
    pub service_principal_id: Option<String>,
    pub cloud: Option<String>,
    pub authority_url: Option<String>,
    pub graph_url: Option<String>,
    pub ca_file: Option<String>,
    pub proxy: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProvisioning {
    pub enabled: Option<bool>,
    pub scope: Option<String>,
    pub interval_minutes: Option<i64>,
    pub deletion_threshold: Option<i64>,
    pub deletion_threshold_percent: Option<i64>,
    pub mappings: Option<String>,
    pub match_active_only: Option<bool>,
    pub missing_reference: Option<String>,
    pub log_retention_days: Option<i64>,
    pub flatten_nested_groups: Option<bool>,
    pub escrow_retry_hours: Option<Vec<i64>>,
    pub escrow_days: Option<i64>,
    pub deprovision_users: Option<String>,
    pub deprovision_groups: Option<String>,
    pub reconcile_hours: Option<i64>,
    pub keep_in_background: Option<bool>,
    pub plan_valid_minutes: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNotification {
    pub email: Option<String>,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<i64>,
    pub smtp_tls: Option<String>,
    pub smtp_user: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSecrets {
    pub store: Option<String>,
}
