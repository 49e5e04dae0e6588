//! What a failed test step tells the admin to do, in the wizard's terms. The checks
//! (`servicenow::check`, `graph::check`) word their remedies for the headless commands —
//! `nowsync secrets set ...`, keys of the configuration file — which mean nothing in the wizard,
//! where the fix is a field on an earlier step (acceptance pass: the advice for a wrong
//! password named CLI commands). Failures whose remedy is not a wizard field keep the check's
//! words.

use super::{Step, Wizard};
use crate::graph::TokenError;
use crate::graph::check::UNREACHABLE_ADVICE;
use crate::model::check::{Outcome, Step as CheckStep};
use crate::servicenow::check::{BASIC_REFUSED, CREDENTIALS_INVALID, OAUTH_FAILED};

/// Where a wizard field is: "step 2 (ServiceNow admin)".
fn back_to(step: Step) -> String {
    format!("step {} ({})", step.index() + 1, step.title())
}

impl Wizard {
    /// The message the test step shows for `step`: the check's, with its remedy said as what to
    /// do here when the remedy is a field of the wizard.
    pub fn advice(&self, step: &CheckStep) -> String {
        if step.outcome != Outcome::Fail {
            return step.message.clone();
        }
        let code = step.error_code.as_deref().unwrap_or_default();
        let user = self.inputs.username.value().trim();
        let admin = back_to(Step::Credentials);
        let entra = back_to(Step::Entra);
        match code {
            CREDENTIALS_INVALID => format!(
                "the instance does not accept the user name '{user}' with this password (401). PgUp to {admin} and type both again (the password is case-sensitive). In ServiceNow, User Administration > Users > {user}: Active must be checked, Locked out and Password needs reset unchecked. \"Web service access only\" is fine. Then t here tests again."
            ),
            BASIC_REFUSED => format!(
                "this instance's API access policy refuses Basic authentication (401 with WWW-Authenticate: Bearer), so the password of '{user}' was not checked: press o to sign in with OAuth ({admin} then shows what to create in System OAuth > Application Registry)."
            ),
            OAUTH_FAILED => format!(
                "{}. PgUp to {admin}: check the OAuth client id and secret (System OAuth > Application Registry > the entry) and the user name and password; then t here tests again.",
                step.message.trim_end_matches('.')
            ),
            "AuthorityUnreachable" => replace_tail(
                &step.message,
                UNREACHABLE_ADVICE,
                &format!("check Authority URL on {entra} (empty: the cloud's default), DNS and any proxy"),
            ),
            _ => match aadsts(code) {
                Some(n) => replace_tail(
                    &step.message,
                    &TokenError::advice_for(Some(n)),
                    &entra_advice(n, &entra),
                ),
                None => step.message.clone(),
            },
        }
    }
}

/// `message` with its ending `cli` remedy replaced by `wizard` (unchanged if it ends otherwise).
fn replace_tail(message: &str, cli: &str, wizard: &str) -> String {
    match message.strip_suffix(cli) {
        Some(head) => format!("{head}{wizard}"),
        None => message.to_owned(),
    }
}

fn aadsts(code: &str) -> Option<u32> {
    code.strip_prefix("AADSTS")?.parse().ok()
}

/// The remedy for an AADSTS code, as the Entra step's fields.
fn entra_advice(code: u32, entra: &str) -> String {
    match code {
        7000215 => format!(
            "the client secret is wrong: PgUp to {entra} and type the secret's Value (not its Secret ID) from the app registration's Certificates & secrets in Client secret"
        ),
        7000222 => format!(
            "the client secret has expired: create a new one in the app registration's Certificates & secrets and type its Value in Client secret on {entra}"
        ),
        90002 => format!(
            "the tenant was not found: check Tenant id on {entra}, and that Cloud names the cloud the tenant lives in"
        ),
        700016 => format!(
            "no application with this client id exists in the tenant: check Client (app) id on {entra}, and that the app is registered in this tenant and cloud"
        ),
        1002012 | 70011 => format!("the scope was refused: check Cloud on {entra}"),
        7000218 | 7000216 => format!("no client secret was sent: type it in Client secret on {entra}"),
        other => TokenError::advice_for(Some(other)),
    }
}
