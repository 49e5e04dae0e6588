//! The result of a diagnostic step (test connection): shared by the ServiceNow and Entra sides
//! and rendered by the CLI and the console.

use std::time::Duration;

/// How one step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
    /// Not run because an earlier step failed, or it does not apply (TLS on http://).
    Skipped,
}

/// One step of a connection test, with what the admin should do when it fails.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Step {
    /// Stable machine name, e.g. `dns`, `tcp`, `tls`, `instance`, `credentials`, `admin_role`.
    pub id: &'static str,
    /// What was checked, for people: "The host answers as a ServiceNow instance".
    pub title: String,
    pub outcome: Outcome,
    #[serde(serialize_with = "millis")]
    pub duration: Duration,
    /// What was seen, and on failure what to do.
    pub message: String,
    /// Entra's error code where one applies (`ServiceNowInstanceInvalid`), else ours.
    pub error_code: Option<String>,
    /// True when the failure is about reaching or authenticating (exit code 3).
    pub connection_failure: bool,
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

impl Step {
    pub fn passed(&self) -> bool {
        self.outcome == Outcome::Pass
    }
}
