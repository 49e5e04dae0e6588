//! What an instance holds beyond the core seed: the system properties that identify it and
//! the Multi-Provider SSO identity providers.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::super::extended::Sso;
use super::super::store::Store;
use super::{Seeder, s};

/// A choice list: `(value, label)` pairs.
type Choices = &'static [(&'static str, &'static str)];

/// What an instance holds beyond the core seed: its identity and the plugins' data.
pub struct Extras<'a> {
    pub seed: u64,
    pub instance_id: &'a str,
    pub instance_name: &'a str,
    pub sso: Sso,
}

/// Seeds the tables of `extended` (after `seed`): their dictionary rows, the system properties
/// that identify the instance, and the Multi-Provider SSO identity providers of `extras.sso`.
pub fn extend(store: &mut Store, extras: &Extras) {
    let core: Vec<&str> = super::super::schema::tables().iter().map(|d| d.name).collect();
    let mut late: Vec<_> = store
        .defs()
        .into_iter()
        .chain(store.view_defs())
        .filter(|d| !core.contains(&d.name))
        .collect();
    // Parents first: a table that extends another late one comes after it.
    late.sort_by_key(|d| {
        (
            d.super_class.is_some_and(|p| !core.contains(&p) && p != "sys_user"),
            d.name,
        )
    });
    let mut sd = Seeder {
        store,
        rng: StdRng::seed_from_u64(extras.seed ^ 0x5eed_0002),
        tick: 50_000,
    };
    sd.dictionary(&late);
    let choice_fields: Vec<(&str, &str, Choices)> = sd
        .store
        .defs()
        .iter()
        .filter(|d| core.contains(&d.name))
        .flat_map(|d| {
            d.fields[..d.own]
                .iter()
                .map(|f| (d.name, f.name, f.choices))
                .collect::<Vec<_>>()
        })
        .filter(|(_, _, c)| !c.is_empty())
        .collect();
    for (table, element, choices) in choice_fields {
        for (i, (value, label)) in choices.iter().enumerate() {
            let values = [
                ("name", s(table)),
                ("element", s(element)),
                ("value", s(value)),
                ("label", s(label)),
                ("language", s("en")),
                ("sequence", (i * 10).to_string()),
            ];
            sd.insert("sys_choice", &values);
        }
    }
    sd.insert(
        "sys_properties",
        &property("instance_id", extras.instance_id, "string", "Instance ID"),
    );
    sd.insert(
        "sys_properties",
        &property("instance_name", extras.instance_name, "string", "Instance name"),
    );
    identity_providers(&mut sd, extras);
}

/// A `sys_properties` row.
fn property(name: &str, value: &str, kind: &str, description: &str) -> [(&'static str, String); 4] {
    [
        ("name", s(name)),
        ("value", s(value)),
        ("type", s(kind)),
        ("description", s(description)),
    ]
}

/// The Multi-Provider SSO property and identity providers of `extras.sso` (see `extended`).
fn identity_providers(sd: &mut Seeder, extras: &Extras) {
    let enabled = match extras.sso {
        Sso::Absent => return,
        Sso::Empty => "false",
        Sso::Matching | Sso::Mismatched => "true",
    };
    let description = "Enables (true) or disables (false) multi-provider SSO.";
    sd.insert(
        "sys_properties",
        &property(
            "glide.authenticate.multisso.enabled",
            enabled,
            "true | false",
            description,
        ),
    );
    let user_field = match extras.sso {
        Sso::Matching => "user_name",
        Sso::Mismatched => "email",
        Sso::Absent | Sso::Empty => return,
    };
    let tenant = crate::model::SysId::from_bytes(sd.rng.random()).to_string();
    let guid = format!(
        "{}-{}-{}-{}-{}",
        &tenant[..8],
        &tenant[8..12],
        &tenant[12..16],
        &tenant[16..20],
        &tenant[20..]
    );
    let instance = format!("https://{}.service-now.com", extras.instance_name);
    let idps = [
        (
            "Microsoft Entra ID",
            "true",
            user_field,
            format!("https://sts.windows.net/{guid}/"),
        ),
        ("Okta (retired)", "false", "email", s("http://www.okta.com/exk1retired")),
    ];
    for (name, active, field, idp) in idps {
        let values = [
            ("name", s(name)),
            ("active", s(active)),
            ("default", s(active)),
            ("user_field", s(field)),
            ("idp", idp),
            ("issuer", instance.clone()),
            ("audience", instance.clone()),
            (
                "nameid_policy",
                s("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"),
            ),
            ("service_url", format!("{instance}/navpage.do")),
            ("show_as_login_option", s("true")),
        ];
        sd.insert("saml2_update1_properties", &values);
    }
}
