//! SSO readiness (issue 13, `nowsync sso check`): whether the users nowsync provisions can
//! sign in with SAML SSO from Entra. ServiceNow's Multi-Provider SSO matches the assertion's
//! NameID (by default the user's UPN) against one `sys_user` field, the identity provider's
//! "User Field" (specs/servicenow.md §13 #11: identity providers in `saml2_update1_properties`,
//! which extends `sso_properties`; KB0748551). A mapping that writes that field from another
//! attribute locks every user out.
//!
//! The check reads the identity providers (none readable: the plugin is absent, or no record),
//! the user mappings, and for each provisioned user (the store's links) the field's value in
//! ServiceNow against the NameID source attribute in the source cache.

use serde::{Deserialize, Serialize};

use crate::mapping::model::{MappingSource, ObjectMapping};
use crate::model::ObjectType;
use crate::servicenow::{self, Cond, ListParams, Query};
use crate::store::Store;

/// The `sys_user` field an identity provider matches on when its record leaves it empty.
pub const DEFAULT_USER_FIELD: &str = "user_name";
/// How many users who would not sign in are named.
const SAMPLE: usize = 5;

/// One identity provider record.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct IdentityProvider {
    pub name: String,
    pub active: bool,
    pub default: bool,
    pub user_field: String,
}

/// What the instance says about its Multi-Provider SSO.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Providers {
    /// The plugin's tables are unknown (400 Invalid table) or unreadable (403): the reason.
    Unreadable {
        reason: String,
    },
    Read {
        providers: Vec<IdentityProvider>,
    },
}

/// A provisioned user who would not sign in.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Locked {
    pub name: String,
    /// What the NameID carries (the source attribute's value), if known.
    pub nameid: Option<String>,
    /// What the matched field holds in ServiceNow.
    pub field_value: Option<String>,
}

/// The report.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SsoReport {
    pub providers: Providers,
    /// The field SSO matches on (`None`: unknown, give it with `--field`).
    pub field: Option<String>,
    /// Where the field came from: the active identity provider, or the command line.
    pub field_from: String,
    pub nameid_attribute: String,
    /// How the user mappings write the field ("from userPrincipalName", "not written", …).
    pub mapping: String,
    /// The mappings write the field from the NameID attribute.
    pub mapping_ok: bool,
    pub provisioned: usize,
    pub would_sign_in: usize,
    pub locked_out: Vec<Locked>,
    pub locked_out_count: usize,
    /// Of those, B2B guests: SSO sends their `#EXT#` UPN, provisioning writes it rewritten.
    pub guests_locked_out: usize,
    /// What to do, when something is wrong.
    pub fix: Option<String>,
}

/// Reads the identity providers; an absent plugin or a refusal is [`Providers::Unreadable`].
pub async fn providers(snow: &servicenow::Client) -> Result<Providers, servicenow::Error> {
    let params = ListParams::new(Query::new().order_by("name")).fields(&["name", "active", "default", "user_field"]);
    let page = match snow.list("sso_properties", &params).await {
        Ok(page) => page,
        // An instance without the plugin does not know the table: 400 `Invalid table
        // sso_properties` (specs/servicenow.md §"Concrete messages", unknown table).
        Err(servicenow::Error::BadRequest { message, .. }) if is_invalid_table(&message) => {
            return Ok(Providers::Unreadable {
                reason: "Multi-Provider SSO is not installed on this instance (table sso_properties does not exist): there are no identity providers to read the matched field from".to_owned(),
            });
        }
        Err(e) if matches!(e.status(), Some(400 | 403 | 404)) => {
            return Ok(Providers::Unreadable {
                reason: format!("the Multi-Provider SSO identity providers cannot be read ({e})"),
            });
        }
        Err(e) => return Err(e),
    };
    let providers = page
        .records
        .iter()
        .map(|r| IdentityProvider {
            name: r.value("name").unwrap_or_default(),
            active: r.bool("active").unwrap_or(false),
            default: r.bool("default").unwrap_or(false),
            user_field: r
                .value("user_field")
                .filter(|f| !f.is_empty())
                .unwrap_or_else(|| DEFAULT_USER_FIELD.to_owned()),
        })
        .collect();
    Ok(Providers::Read { providers })
}

/// ServiceNow's answer for a table the instance does not have (`Invalid table <name>`).
fn is_invalid_table(message: &str) -> bool {
    message.trim_start().to_ascii_lowercase().starts_with("invalid table")
}

/// The field the active identity provider (the default one first) matches on.
pub fn matched_field(providers: &Providers) -> Option<&IdentityProvider> {
    let Providers::Read { providers } = providers else {
        return None;
    };
    let active = || providers.iter().filter(|p| p.active);
    active().find(|p| p.default).or_else(|| active().next())
}

/// How `mapping` writes `field`, and whether from `nameid` alone.
pub fn mapping_of(mapping: &ObjectMapping, field: &str, nameid: &str) -> (String, bool) {
    let Some(a) = mapping.attributes.iter().find(|a| a.target.eq_ignore_ascii_case(field)) else {
        return (format!("no user mapping writes {field}"), false);
    };
    match &a.source {
        MappingSource::Direct { expression, .. } => {
            let read = expression.attributes();
            let ok = read.len() == 1 && read[0].eq_ignore_ascii_case(nameid);
            (format!("{field} is written from {}", read.join(", ")), ok)
        }
        MappingSource::Expression(_) => (
            format!("{field} is written by the expression {}", a.source_text()),
            false,
        ),
        MappingSource::Constant(v) => (format!("{field} is the constant '{v}'"), false),
        MappingSource::None => (format!("{field} has no source"), false),
    }
}

/// The whole check. `field`: given on the command line (wins over the instance's).
pub async fn check(
    snow: &servicenow::Client,
    store: Option<&Store>,
    mapping: &ObjectMapping,
    field: Option<&str>,
    nameid: &str,
) -> Result<SsoReport, servicenow::Error> {
    let providers = providers(snow).await?;
    let (field, field_from) = match (field, matched_field(&providers)) {
        (Some(f), _) => (Some(f.to_owned()), "given, not read from the instance".to_owned()),
        (None, Some(p)) => (
            Some(p.user_field.clone()),
            format!("the User Field of the active identity provider '{}'", p.name),
        ),
        (None, None) => (None, "unknown".to_owned()),
    };
    let mut report = SsoReport {
        providers,
        field: field.clone(),
        field_from,
        nameid_attribute: nameid.to_owned(),
        mapping: String::new(),
        mapping_ok: false,
        provisioned: 0,
        would_sign_in: 0,
        locked_out: Vec::new(),
        locked_out_count: 0,
        guests_locked_out: 0,
        fix: None,
    };
    let Some(field) = field else {
        report.fix = Some(
            "no active Multi-Provider SSO identity provider could be read: give the sys_user field SSO matches on with --field (the identity provider's User Field, user_name by default)".into(),
        );
        return Ok(report);
    };
    let (how, ok) = mapping_of(mapping, &field, nameid);
    report.mapping = how;
    report.mapping_ok = ok;
    if let Some(store) = store {
        users(snow, store, &field, nameid, &mut report).await?;
    }
    let others = report.locked_out_count - report.guests_locked_out;
    let mut fixes = Vec::new();
    if !ok || others > 0 {
        fixes.push(format!(
            "map {field} from [{nameid}] (the attribute SSO sends as NameID) in the user mappings, or set the identity provider's User Field to the sys_user field that holds it; then run a cycle"
        ));
    }
    if report.guests_locked_out > 0 {
        // specs/entra-provisioning.md §2.3: a guest's UPN is rewritten to alias@theirdomain
        // when userPrincipalName is a source attribute; originalUserPrincipalName is the raw one.
        fixes.push(format!(
            "{} B2B guest(s): SSO sends their '#EXT#' UPN while provisioning writes it rewritten to alias@theirdomain; map {field} from [originalUserPrincipalName] for guests, or send guests a NameID that holds the rewritten UPN",
            report.guests_locked_out
        ));
    }
    if !fixes.is_empty() {
        report.fix = Some(fixes.join("; "));
    }
    Ok(report)
}

/// Each provisioned user: the field's value in ServiceNow against the NameID source value.
async fn users(
    snow: &servicenow::Client,
    store: &Store,
    field: &str,
    nameid: &str,
    report: &mut SsoReport,
) -> Result<(), servicenow::Error> {
    let links = store.links(ObjectType::User).unwrap_or_default();
    report.provisioned = links.len();
    let mut held = std::collections::HashMap::new();
    for chunk in links.chunks(100) {
        let ids: Vec<&str> = chunk.iter().map(|l| l.sys_id.as_str()).collect();
        let params = ListParams::new(Query::new().and(Cond::is_in("sys_id", ids))).fields(&["sys_id", field]);
        let page = snow.list("sys_user", &params).await?;
        for r in page.records {
            if let Some(id) = r.value("sys_id") {
                held.insert(id, r.value(field));
            }
        }
    }
    for l in &links {
        let source: Option<String> = store
            .cached(ObjectType::User, &l.source_id)
            .ok()
            .flatten()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| {
                v.as_object().and_then(|o| {
                    o.iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(nameid))
                        .and_then(|(_, v)| v.as_str().map(str::to_owned))
                })
            });
        let value = held.get(&l.sys_id).cloned().flatten();
        let signs_in = matches!((&source, &value), (Some(s), Some(v)) if s.eq_ignore_ascii_case(v));
        if signs_in {
            report.would_sign_in += 1;
        } else {
            report.locked_out_count += 1;
            if source.as_deref().is_some_and(|s| s.contains("#EXT#")) {
                report.guests_locked_out += 1;
            }
            if report.locked_out.len() < SAMPLE {
                report.locked_out.push(Locked {
                    name: l.source_name.clone(),
                    nameid: source,
                    field_value: value,
                });
            }
        }
    }
    Ok(())
}
