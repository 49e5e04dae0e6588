//! Snapshots of the SSO readiness panel (issue 13) at 80×24 and 120×40: a matching setup, a
//! mismatched one (with a hostile name among the users who would not sign in), and an instance
//! without a readable identity provider while the admin types the field.

use crossterm::event::KeyCode;

use super::{dashboard_app, key, snap};
use crate::sync::sso::{IdentityProvider, Locked, Providers, SsoReport};
use crate::sync::{Answer, SyncEvent};
use crate::tui::app::{App, Overlay};
use crate::tui::event::Event;

fn providers(field: &str) -> Providers {
    Providers::Read {
        providers: vec![
            IdentityProvider {
                name: "Microsoft Entra ID".into(),
                active: true,
                default: true,
                user_field: field.into(),
            },
            IdentityProvider {
                name: "Okta (retired)".into(),
                active: false,
                default: false,
                user_field: "email".into(),
            },
        ],
    }
}

fn matching() -> SsoReport {
    SsoReport {
        providers: providers("user_name"),
        field: Some("user_name".into()),
        field_from: "the User Field of the active identity provider 'Microsoft Entra ID'".into(),
        nameid_attribute: "userPrincipalName".into(),
        mapping: "user_name is written from userPrincipalName".into(),
        mapping_ok: true,
        provisioned: 2400,
        would_sign_in: 2400,
        locked_out: Vec::new(),
        locked_out_count: 0,
        guests_locked_out: 0,
        fix: None,
    }
}

fn mismatched() -> SsoReport {
    let locked = |name: &str, upn: &str, mail: Option<&str>| Locked {
        name: name.into(),
        nameid: Some(upn.into()),
        field_value: mail.map(Into::into),
    };
    SsoReport {
        providers: providers("email"),
        field: Some("email".into()),
        field_from: "the User Field of the active identity provider 'Microsoft Entra ID'".into(),
        nameid_attribute: "userPrincipalName".into(),
        mapping: "email is written from mail".into(),
        mapping_ok: false,
        provisioned: 2400,
        would_sign_in: 2212,
        locked_out: vec![
            locked("adele.vance@contoso.com", "adele.vance@contoso.com", Some("adele@contoso.com")),
            locked("evil\u{1b}]0;pwned\u{7}@contoso.com", "evil\u{1b}]0;pwned\u{7}@contoso.com", None),
            locked("megan.bowen@contoso.com", "megan.bowen@contoso.com", Some("mbowen@contoso.com")),
        ],
        locked_out_count: 188,
        guests_locked_out: 0,
        fix: Some("map email from [userPrincipalName] (the attribute SSO sends as NameID) in the user mappings, or set the identity provider's User Field to the sys_user field that holds it; then run a cycle".into()),
    }
}

fn unreadable() -> SsoReport {
    SsoReport {
        providers: Providers::Unreadable {
            reason: "the Multi-Provider SSO identity providers cannot be read (GET sso_properties: 400 Invalid table)"
                .into(),
        },
        field: None,
        field_from: "unknown".into(),
        nameid_attribute: "userPrincipalName".into(),
        mapping: String::new(),
        mapping_ok: false,
        provisioned: 0,
        would_sign_in: 0,
        locked_out: Vec::new(),
        locked_out_count: 0,
        guests_locked_out: 0,
        fix: Some("no active Multi-Provider SSO identity provider could be read: give the sys_user field SSO matches on with --field (the identity provider's User Field, user_name by default)".into()),
    }
}

/// The dashboard with the panel open and `report` as the engine's answer.
fn panel(report: SsoReport) -> App {
    let mut app = dashboard_app();
    key(&mut app, KeyCode::Char('o'));
    assert!(matches!(app.shared.overlay, Overlay::Sso));
    let request = app.sso.pending.unwrap_or_default();
    app.handle(Event::Sync(SyncEvent::Answer {
        request,
        answer: Answer::Sso(Box::new(report)),
    }));
    app.shared.status.clear();
    app
}

#[test]
fn sso_panel() {
    let mut app = dashboard_app();
    key(&mut app, KeyCode::Char('o'));
    app.shared.status.clear();
    snap("sso_checking", &app);
    snap("sso_matching", &panel(matching()));
    snap("sso_mismatched", &panel(mismatched()));
    let mut app = panel(unreadable());
    key(&mut app, KeyCode::Char('f'));
    for c in "email".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    snap("sso_unreadable_typing_the_field", &app);
}
