//! Tables beside the core ones, and views over other tables' rows.
//!
//! - `sys_choice`: the choice lists of choice fields (`sys_user.country`, `.preferred_language`).
//! - `sys_properties`: system properties; `instance_id` (the instance's own sys_id-style id,
//!   which scripts read with `gs.getProperty('instance_id')`) and `instance_name` identify the
//!   instance a client talks to. Admin-only, as on an instance (others read no rows).
//! - Tables that extend `sys_user` (spec §13 #5): `customer_contact` (CSM contacts, spec CONTACT)
//!   and `csm_consumer_user` (the user record of a CSM consumer; `csm_consumer` itself is a
//!   separate, non-extendable table whose `user` field points at one — ServiceNow's
//!   `ConsumerImpl` reference qualifier is `sys_class_nameINcsm_consumer_user`). Their rows live
//!   in `sys_user` with `sys_class_name` naming the class, so a `sys_user` read returns them,
//!   and `user_name` is unique across the hierarchy; a read of the extending table returns only
//!   its own class.
//! - Multi-Provider SSO (plugin `com.snc.integration.sso.multi.installer`; ServiceNowDocs
//!   `platform-security/authentication/r_InstalledWithMultiProviderSSO.md`): identity providers
//!   in `sso_properties` (name, active, default, `user_field` — the `sys_user` field the SAML
//!   NameID is matched against, `email` by default per `t_MatchUserTableFieldToNameIDToken.md`),
//!   SAML ones in `saml2_update1_properties`, which extends it (`idp`, `issuer`, `audience`,
//!   `nameid_policy`, `auto_provision`, …; field names as a public Entra→ServiceNow SSO setup
//!   script writes them). Present only when the plugin is installed (`Options::sso`); without
//!   it both tables are unknown (400 `Invalid table`).
//!
//! Seeded after the core data (see `seed`), so a seed keeps giving the same sys_ids.

use std::sync::Arc;

use super::schema::{BASE_TABLE, Field, Kind, TableDef, b, build, f, mandatory, system_fields, user_fields};

/// Which Multi-Provider SSO setup an instance has (`Options::sso`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sso {
    /// The plugin is not installed: its tables are unknown (400 `Invalid table`).
    #[default]
    Absent,
    /// Installed and off (`glide.authenticate.multisso.enabled=false`), no identity provider.
    Empty,
    /// An active default Entra identity provider matching the NameID (a UPN) on `user_name`,
    /// and an inactive one on `email`.
    Matching,
    /// As `Matching`, but the active provider matches on `email`.
    Mismatched,
}

/// A table whose rows are stored in another table (`storage`): the rows of some classes
/// (`classes`, `None` for all), shown with the view's own fields.
pub struct View {
    pub def: Arc<TableDef>,
    pub storage: &'static str,
    pub classes: Option<&'static [&'static str]>,
}

/// The classes that extend `sys_user` here, with their labels.
pub const USER_CLASSES: &[(&str, &str)] = &[("customer_contact", "Contact"), ("csm_consumer_user", "Consumer User")];

fn properties() -> TableDef {
    use Kind::*;
    let own = vec![
        mandatory(f("name", "Name", Str, 100)),
        f("value", "Value", Str, 4000),
        f("type", "Type", Str, 40),
        f("description", "Description", Str, 512),
        f("suffix", "Suffix", Str, 100),
        b("is_private", "Private", "false"),
        b("ignore_cache", "Ignore cache", "false"),
        f("read_roles", "Read roles", Str, 255),
        f("write_roles", "Write roles", Str, 255),
    ];
    build(
        "sys_properties",
        "System Property",
        Some(BASE_TABLE),
        &["name"],
        own,
        system_fields(),
    )
}

fn choices() -> TableDef {
    use Kind::*;
    let own = vec![
        f("name", "Table", Str, 80),
        f("element", "Element", Str, 80),
        f("value", "Value", Str, 40),
        f("label", "Label", Str, 100),
        f("language", "Language", Str, 40),
        f("sequence", "Sequence", Int, 40),
        b("inactive", "Inactive", "false"),
    ];
    build(
        "sys_choice",
        "Choices",
        Some(BASE_TABLE),
        &["name", "element"],
        own,
        system_fields(),
    )
}

fn sso_own() -> Vec<Field> {
    use Kind::*;
    vec![
        mandatory(f("name", "Name", Str, 100)),
        b("active", "Active", "false"),
        b("default", "Default", "false"),
        // ServiceNow's own page says "By default, the integration uses the email field"
        // (t_MatchUserTableFieldToNameIDToken.md, Australia); servicenow.md §13 #11 says
        // `user_name`, citing no page for it. The simulator follows the vendor's page.
        Field {
            default: "email",
            ..f("user_field", "User Field", Str, 40)
        },
        b("show_as_login_option", "Show as Login option", "true"),
    ]
}

fn saml2_own() -> Vec<Field> {
    use Kind::*;
    vec![
        f("idp", "Identity Provider", Str, 1000),
        f("issuer", "Entity ID / Issuer", Str, 1000),
        f("audience", "Audience URI", Str, 1000),
        Field {
            default: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
            ..f("nameid_policy", "NameID Policy", Str, 255)
        },
        f("idp_authnrequest_url", "Identity Provider's AuthnRequest", Str, 1000),
        f("idp_logout_url", "Identity Provider's SingleLogoutRequest", Str, 1000),
        f("service_url", "ServiceNow Homepage", Str, 1000),
        b("auto_provision", "Auto Provisioning User", "false"),
        b("auto_update_user", "Update User Record Upon Each Login", "false"),
        f("sso_script", "Single Sign-On Script", Str, 32),
    ]
}

/// Physical tables added beside the core ones.
pub fn tables(sso: bool) -> Vec<TableDef> {
    let mut out = vec![properties(), choices()];
    if sso {
        let mut inherited = sso_own();
        inherited.extend(system_fields());
        out.push(build(
            "saml2_update1_properties",
            "SAML 2 Update 1 Properties",
            Some("sso_properties"),
            &["name"],
            saml2_own(),
            inherited,
        ));
    }
    out
}

/// Views over other tables' rows.
pub fn views(sso: bool) -> Vec<View> {
    let mut out: Vec<View> = USER_CLASSES
        .iter()
        .map(|(name, label)| {
            let mut inherited = user_fields();
            inherited.extend(system_fields());
            let def = build(name, label, Some("sys_user"), &[], Vec::new(), inherited);
            let classes: &'static [&'static str] = match *name {
                "customer_contact" => &["customer_contact"],
                _ => &["csm_consumer_user"],
            };
            View {
                def: Arc::new(def),
                storage: "sys_user",
                classes: Some(classes),
            }
        })
        .collect();
    if sso {
        let def = build(
            "sso_properties",
            "SSO Properties",
            Some(BASE_TABLE),
            &["name"],
            sso_own(),
            system_fields(),
        );
        out.push(View {
            def: Arc::new(def),
            storage: "saml2_update1_properties",
            classes: None,
        });
    }
    out
}
