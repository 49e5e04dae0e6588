//! `nowsync sso check [--field F] [--nameid-attribute A] [--json]`: whether provisioned users
//! can sign in with SAML SSO (`sync::sso`). Exit 0 ready, 1 some users (or the mapping) would
//! be locked out, 2 the field SSO matches on is unknown (give it with --field), 3 connection.

use std::path::Path;

use super::Exit;
use super::out::{self, Lines};
use crate::config::ResolvedProfile;
use crate::store::Store;
use crate::sync::Credentials;
use crate::sync::sso::{self, Providers, SsoReport};

/// `sso` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum SsoCommand {
    /// Whether the mappings write the field SSO matches on from the NameID's attribute, and how
    /// many provisioned users would sign in
    Check(CheckArgs),
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The sys_user field SSO matches the NameID on (default: the active identity provider's
    /// User Field, read from the instance)
    #[arg(long, value_name = "FIELD")]
    pub field: Option<String>,
    /// The Entra attribute the SAML NameID carries
    #[arg(long, value_name = "ATTRIBUTE", default_value = "userPrincipalName")]
    pub nameid_attribute: String,
    #[arg(long)]
    pub json: bool,
}

pub async fn check(profile: &ResolvedProfile, credentials: Credentials, data_dir: &Path, args: &CheckArgs) -> Exit {
    let (Some(sn), Some(auth)) = (&profile.servicenow, credentials.servicenow) else {
        eprintln!("error: the profile has no [servicenow] section: run the setup wizard (nowsync) first");
        return Exit::Usage;
    };
    let options = crate::servicenow::ClientOptions::for_profile(sn);
    let snow = match crate::servicenow::Client::new(sn.instance.clone(), auth, options) {
        Ok(c) => c,
        Err(e) => return super::fail(&e),
    };
    let store = Store::open_read_only(data_dir, &profile.name).ok().flatten();
    let mapping = &profile.mappings.user;
    let report = match sso::check(
        &snow,
        store.as_ref(),
        mapping,
        args.field.as_deref(),
        &args.nameid_attribute,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return super::fail(&e),
    };
    if args.json {
        out::json(&report);
    } else {
        render(&report).print();
    }
    match (&report.field, report.fix.is_some()) {
        (None, _) => Exit::Usage,
        (_, true) => Exit::ObjectFailures,
        (_, false) => Exit::Success,
    }
}

fn render(r: &SsoReport) -> Lines {
    let mut l = Lines::new();
    match &r.providers {
        Providers::Unreadable { reason } => l.push(format!("Identity providers: none readable: {reason}")),
        Providers::Read { providers } if providers.is_empty() => {
            l.push("Identity providers: Multi-Provider SSO has no identity provider")
        }
        Providers::Read { providers } => {
            l.push("Identity providers:");
            for p in providers {
                l.push(format!(
                    "  {}{}{}: matches on {}",
                    p.name,
                    if p.active { " (active)" } else { " (inactive)" },
                    if p.default { " (default)" } else { "" },
                    p.user_field
                ));
            }
        }
    }
    match &r.field {
        Some(f) => l.push(format!(
            "SSO matches the NameID ([{}]) on sys_user.{f} ({})",
            r.nameid_attribute, r.field_from
        )),
        None => l.push("SSO field: unknown"),
    }
    if !r.mapping.is_empty() {
        l.push(format!(
            "Mapping: {} {}",
            r.mapping,
            if r.mapping_ok { "✓" } else { "✗" }
        ));
    }
    if r.field.is_some() {
        l.push(format!(
            "Provisioned users: {} of {} would sign in",
            r.would_sign_in, r.provisioned
        ));
        for u in &r.locked_out {
            l.push(format!(
                "  ✗ {}: NameID '{}', sys_user holds '{}'",
                u.name,
                u.nameid.as_deref().unwrap_or("(unknown)"),
                u.field_value.as_deref().unwrap_or("(empty)")
            ));
        }
        if r.locked_out_count > r.locked_out.len() {
            l.push(format!("  … and {} more", r.locked_out_count - r.locked_out.len()));
        }
    }
    match &r.fix {
        Some(fix) => l.push(format!("Fix: {fix}")),
        None => l.push("Ready: provisioned users can sign in with SSO"),
    }
    l
}
