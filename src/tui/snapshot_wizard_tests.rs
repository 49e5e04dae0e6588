//! Snapshots of the setup wizard's steps at 80×24 and 120×40: each step with the demo's
//! values, the test step's results, a store that cannot be used (no keyring, SSH), secrets
//! from the environment, an invalid instance and the quit question.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::super::app::App;
use super::super::event::{Event, Side};
use super::super::screens::wizard::{Prefill, Step, StoreStatus, Wizard};
use super::super::theme::Theme;
use super::{app_with_wizard, key, snap, step};
use crate::model::check::Outcome;

#[test]
fn wizard_steps() {
    let mut app = app_with_wizard(true);
    snap("wizard_1_instance_demo", &app);
    key(&mut app, KeyCode::Enter);
    snap("wizard_2_credentials", &app);
    key(&mut app, KeyCode::PageDown);
    snap("wizard_3_entra", &app);
    key(&mut app, KeyCode::PageDown);
    app.handle(Event::TestDone {
        side: Side::ServiceNow,
        steps: vec![
            step("dns", "The instance's host name resolves", Outcome::Pass, 1, "", None),
            step(
                "instance",
                "The host answers as a ServiceNow instance",
                Outcome::Pass,
                25,
                "",
                None,
            ),
            step(
                "credentials",
                "The instance accepts the credentials",
                Outcome::Pass,
                6,
                "",
                None,
            ),
            step(
                "admin_role",
                "The account has the admin role",
                Outcome::Fail,
                3,
                "user 'admin' lacks the admin role: grant it in User Administration > Users",
                Some("NotAdmin"),
            ),
        ],
    });
    app.handle(Event::TestDone {
        side: Side::Entra,
        steps: vec![
            step(
                "authority",
                "The Entra authority answers for the tenant",
                Outcome::Pass,
                22,
                "",
                None,
            ),
            step(
                "token",
                "A token is issued to the app (client credentials)",
                Outcome::Fail,
                31,
                "AADSTS7000215: invalid client secret: create a new secret and enter its value",
                Some("AADSTS7000215"),
            ),
            step(
                "service_principal",
                "The enterprise app's service principal is found",
                Outcome::Skipped,
                0,
                "",
                None,
            ),
        ],
    });
    snap("wizard_4_test", &app);
    key(&mut app, KeyCode::PageDown);
    snap("wizard_5_notification", &app);
    key(&mut app, KeyCode::PageDown);
    snap("wizard_6_review", &app);
}

#[test]
fn wizard_without_a_keyring() {
    let mut app = App::new("default", Theme::monochrome(), false);
    let wizard = Wizard::new(
        "default",
        PathBuf::from("/home/admin/.config/nowsync/config.toml"),
        String::new(),
        Prefill::default(),
        false,
    );
    let _ = app.open_wizard(wizard);
    app.handle(Event::StoreProbed(StoreStatus::Unavailable(
        "the Secret Service is not reachable: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set), the usual case over SSH".into(),
    )));
    key(&mut app, KeyCode::PageDown);
    snap("wizard_2_no_keyring", &app);
    // Over SSH without a session bus a new profile's store is the kernel keyring, said why.
    let mut ssh = App::new("default", Theme::monochrome(), false);
    let wizard = Wizard::new(
        "default",
        PathBuf::from("/home/admin/.config/nowsync/config.toml"),
        String::new(),
        Prefill {
            no_session_bus: true,
            ..Prefill::default()
        },
        false,
    );
    let effects = ssh.open_wizard(wizard);
    assert!(
        matches!(
            effects.as_slice(),
            [super::super::effect::Effect::ProbeStore(
                crate::secrets::StoreChoice::Store(crate::secrets::StoreKind::Keyutils)
            )]
        ),
        "{effects:?}"
    );
    ssh.handle(Event::StoreProbed(StoreStatus::Ready(
        crate::secrets::StoreKind::Keyutils,
    )));
    key(&mut ssh, KeyCode::PageDown);
    snap("wizard_2_ssh_keyutils", &ssh);
    app.handle(Event::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)));
    key(&mut app, KeyCode::PageUp);
    for c in "dev 35214".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    snap("wizard_1_invalid_instance_quit_confirm", &app);
}

/// The optional endpoints left empty: each shows the chosen cloud's default, dim, and the line
/// under the fields says what an empty one means.
#[test]
fn wizard_entra_default_endpoints() {
    let mut app = App::new("default", Theme::monochrome(), false);
    let wizard = Wizard::new(
        "default",
        PathBuf::from("/home/admin/.config/nowsync/config.toml"),
        String::new(),
        Prefill {
            authority_url: None,
            graph_url: None,
            cloud: Some(crate::config::Cloud::UsGov),
            ..super::fixtures::prefill()
        },
        false,
    );
    let _ = app.open_wizard(wizard);
    key(&mut app, KeyCode::PageDown);
    key(&mut app, KeyCode::PageDown);
    for _ in 0..5 {
        key(&mut app, KeyCode::Tab);
    }
    snap("wizard_3_entra_default_endpoints", &app);
}

#[test]
fn steps_are_all_snapshotted() {
    // Keeps the list above honest when a step is added.
    assert_eq!(Step::ALL.len(), 6);
}
