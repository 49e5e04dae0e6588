//! Snapshots of every screen at 80×24 and 120×40 (ratatui `TestBackend`), built from fixed
//! state: the wizard's steps, the dashboard idle and mid-cycle, the plan with a diff open, the
//! provisioning logs and a record's troubleshooting, the full-screen log, the overlays, and the
//! too-small screen. Times are filtered out.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;

use super::app::{App, Overlay, Screen};
use super::event::{Event, Side};
use super::theme::Theme;
use super::wizard::{Prefill, Step, StoreStatus, Wizard};
use crate::model::check::{Outcome, Step as CheckStep};
use crate::store::LogRecord;
use crate::sync::{
    Change, CycleKind, CycleStats, EngineState, Failure, ObjectResult, ObjectType, Op, OpKind, Plan, SyncEvent, Totals,
};

#[path = "snapshot_edit_tests.rs"]
mod edit;

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

fn prefill() -> Prefill {
    Prefill {
        instance: "http://127.0.0.1:41001".into(),
        username: "admin".into(),
        password: "hunter2hunter2".into(),
        tenant_id: "4e9d34e8-247e-4f86-87c2-e0e96aa8fbbe".into(),
        client_id: "8ae26805-a6df-4099-a484-32460f8bbccd".into(),
        client_secret: "a-client-secret".into(),
        service_principal_id: "e634874b-d8c5-48af-a8a1-6823e38d9d80".into(),
        email: "idm-team@example.com".into(),
        authority_url: Some("http://127.0.0.1:41002".into()),
        graph_url: Some("http://127.0.0.1:41002/v1.0".into()),
        ..Prefill::default()
    }
}

fn app_with_wizard(demo: bool) -> App {
    let mut app = App::new("demo", Theme::monochrome(), demo);
    let wizard = Wizard::new(
        "demo",
        PathBuf::from("/tmp/nowsync-demo/config.toml"),
        String::new(),
        prefill(),
        demo,
    );
    let _ = app.open_wizard(wizard);
    app.handle(Event::StoreProbed(StoreStatus::Ready(
        crate::secrets::StoreKind::Memory,
    )));
    app
}

fn key(app: &mut App, code: KeyCode) {
    app.handle(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn snap(name: &str, app: &App) {
    for (w, h) in SIZES {
        let mut term = match Terminal::new(TestBackend::new(w, h)) {
            Ok(t) => t,
            Err(e) => match e {},
        };
        let drawn = term.draw(|f| super::view::render(app, f));
        assert!(drawn.is_ok());
        let mut settings = insta::Settings::clone_current();
        settings.add_filter(r"\d\d:\d\d:\d\d", "[time]");
        // A time cut by an overlay's edge (the help popup over the log).
        settings.add_filter(r#"(?m)^"\d\d:\d\d?"#, "\"[t]");
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| insta::assert_snapshot!(format!("{name}_{w}x{h}"), term.backend()));
    }
}

fn step(id: &'static str, title: &str, outcome: Outcome, ms: u64, message: &str, code: Option<&str>) -> CheckStep {
    CheckStep {
        id,
        title: title.into(),
        outcome,
        duration: Duration::from_millis(ms),
        message: message.into(),
        error_code: code.map(str::to_owned),
        connection_failure: outcome == Outcome::Fail,
    }
}

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
    app.handle(Event::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)));
    key(&mut app, KeyCode::PageUp);
    for c in "dev 35214".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    snap("wizard_1_invalid_instance_quit_confirm", &app);
}

fn op(kind: OpKind, name: &str) -> Op {
    Op {
        object_type: ObjectType::User,
        source_id: format!("id-{name}"),
        source_name: name.into(),
        target_id: None,
        member_id: None,
        kind,
        steps: Vec::new(),
        hash: String::new(),
    }
}

fn change(a: &str, old: Option<&str>, new: &str) -> Change {
    Change {
        attribute: a.into(),
        old: old.map(str::to_owned),
        new: Some(new.into()),
    }
}

fn plan() -> Arc<Plan> {
    Arc::new(Plan::new(
        3,
        CycleKind::Initial,
        vec![
            op(
                OpKind::Create {
                    fields: vec![
                        change("user_name", None, "adele.vance@contoso.com"),
                        change("email", None, "adele.vance@contoso.com"),
                    ],
                },
                "adele.vance@contoso.com",
            ),
            op(
                OpKind::Update {
                    diff: vec![change("title", Some("Engineer"), "Senior engineer")],
                },
                "alex.wilber@contoso.com",
            ),
            op(
                OpKind::Disable {
                    diff: vec![change("active", Some("true"), "false")],
                },
                "old.user@contoso.com",
            ),
            op(
                OpKind::Error(Failure {
                    code: "InvalidLookupReference".into(),
                    reason: "department 'Quantum Research' has no row in cmn_department".into(),
                    recommended_action: "create it or map the value".into(),
                }),
                "megan.bowen@contoso.com",
            ),
            op(
                OpKind::Skip {
                    reason: "in sync".into(),
                },
                "nestor.wilke@contoso.com",
            ),
        ],
    ))
}

fn dashboard_app() -> App {
    let mut app = App::new("demo", Theme::monochrome(), true);
    app.screen = Screen::Dashboard;
    app.handle(Event::EngineStarted(Ok(())));
    app.status.clear();
    let text = "[profiles.demo.servicenow]\ninstance = \"dev1\"\nusername = \"admin\"\n";
    let config = crate::config::Config::parse(text, std::path::Path::new("c.toml")).unwrap();
    let profile = config.profile("demo").unwrap();
    app.settings_edit = Some(super::settings::Settings::new(
        profile,
        PathBuf::from("c.toml"),
        text.to_owned(),
    ));
    let events = vec![
        SyncEvent::StateChanged(EngineState::Running),
        SyncEvent::CycleStarted {
            cycle_id: 3,
            kind: CycleKind::Initial,
            dry_run: false,
            totals: Totals {
                users: 240,
                groups: 30,
                operations: 300,
            },
        },
        SyncEvent::PlanReady {
            cycle_id: 3,
            plan: plan(),
        },
        SyncEvent::Progress {
            cycle_id: 3,
            done: 120,
            total: 300,
        },
        SyncEvent::ObjectDone {
            cycle_id: 3,
            result: ObjectResult {
                object_type: ObjectType::User,
                source_id: "id-megan".into(),
                source_name: "megan.bowen@contoso.com".into(),
                target_id: None,
                action: "create".into(),
                status: "failure".into(),
                error_code: Some("InvalidLookupReference".into()),
                reason: "department 'Quantum Research' has no row in cmn_department".into(),
            },
        },
    ];
    for e in events {
        app.handle(Event::Sync(e));
    }
    for _ in 0..10 {
        app.handle(Event::Tick);
    }
    app
}

fn record(status: &str, action: &str, name: &str, code: Option<&str>, reason: &str) -> LogRecord {
    LogRecord {
        cycle_id: 3,
        change_id: "c".into(),
        time: "2026-11-28T21:00:00Z".into(),
        object_type: "user".into(),
        source_id: format!("id-{name}"),
        source_name: name.into(),
        target_id: None,
        action: action.into(),
        status: status.into(),
        error_code: code.map(str::to_owned),
        reason: reason.into(),
        recommended_action: None,
        steps: json!([{"name": "Import", "status": "success", "detail": "read from Entra"}, {"name": "Match", "status": "success", "detail": "no match on user_name or email"}]),
        modified_properties: json!({"user_name": "megan.bowen@contoso.com", "department": "Quantum Research"}),
        duration_ms: 12,
    }
}

#[test]
fn dashboard_plan_records_and_log() {
    let mut app = dashboard_app();
    snap("dashboard_running", &app);
    app.handle(Event::Sync(SyncEvent::CycleFinished {
        cycle_id: 3,
        dry_run: false,
        stats: CycleStats {
            created: 200,
            updated: 10,
            disabled: 1,
            skipped: 80,
            failed: 2,
            writes: 211,
            duration_ms: 4200,
            ..CycleStats::default()
        },
    }));
    app.handle(Event::Sync(SyncEvent::StateChanged(EngineState::Idle)));
    snap("dashboard_finished", &app);
    key(&mut app, KeyCode::Char('a'));
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    snap("plan_diff", &app);
    key(&mut app, KeyCode::Char('A'));
    snap("plan_apply_confirm", &app);
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('e'));
    app.handle(Event::Records(Ok(vec![
        record("success", "create", "adele.vance@contoso.com", None, ""),
        record(
            "failure",
            "create",
            "megan.bowen@contoso.com",
            Some("InvalidLookupReference"),
            "department 'Quantum Research' has no row in cmn_department",
        ),
        record(
            "failure",
            "update",
            "pradeep.gupta@contoso.com",
            Some("DuplicateTargetEntries"),
            "2 sys_user rows match email pradeep.gupta@contoso.com: 1a2b (active), 3c4d (inactive)",
        ),
    ])));
    snap("records", &app);
    key(&mut app, KeyCode::Char('s'));
    key(&mut app, KeyCode::Enter);
    snap("record_troubleshooting", &app);
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('L'));
    snap("log_full", &app);
    key(&mut app, KeyCode::Char('?'));
    snap("help_log", &app);
    assert!(matches!(app.overlay, Overlay::Help));
}

#[test]
fn mappings_scope_and_settings() {
    let mut app = dashboard_app();
    key(&mut app, KeyCode::Char('m'));
    snap("mappings_users", &app);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Tab);
    let effects = app.handle(Event::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    let [super::effect::Effect::Engine(crate::sync::Command::SearchUsers { request, .. })] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let effects = app.handle(Event::Sync(SyncEvent::Answer {
        request: *request,
        answer: crate::sync::Answer::Users(vec![(
            "id-adele".into(),
            "adele.vance@contoso.com".into(),
            Some("Adele Vance".into()),
        )]),
    }));
    let [
        _,
        super::effect::Effect::Engine(crate::sync::Command::SourceAttributes { request, .. }),
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    // The editor evaluates `[mail]` on the attributes the engine read (foreign text sanitised).
    let attributes = [
        ("mail", "adele.vance@contoso.com\u{1b}[2J"),
        ("givenName", "Adele"),
        ("department", "Retail"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), crate::mapping::Value::Str(v.to_owned())))
    .collect();
    app.handle(Event::Sync(SyncEvent::Answer {
        request: *request,
        answer: crate::sync::Answer::SourceAttributes { attributes },
    }));
    snap("mappings_editor", &app);
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('g'));
    snap("mappings_groups", &app);
    key(&mut app, KeyCode::Esc);
    let effects = app.handle(Event::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::NONE)));
    let [super::effect::Effect::Engine(crate::sync::Command::PreviewScope { request, .. })] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    app.handle(Event::Sync(SyncEvent::Answer {
        request: *request,
        answer: crate::sync::Answer::ScopePreview {
            users_in: 120,
            users_out: 180,
            groups_in: 5,
            samples_in: vec!["adele.vance@contoso.com".into()],
            samples_out: vec!["nestor.wilke@contoso.com (out of scope: not assigned to the app)".into()],
        },
    }));
    snap("scope", &app);
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('t'));
    app.settings_edit = None;
    snap("settings_unsaved", &app);
    let text = "[profiles.demo.servicenow]\ninstance = \"dev1\"\nusername = \"admin\"\n";
    let config = crate::config::Config::parse(text, std::path::Path::new("c.toml")).unwrap();
    let profile = config.profile("demo").unwrap();
    app.settings = super::settings::rows(profile);
    app.settings_edit = Some(super::settings::Settings::new(
        profile,
        PathBuf::from("c.toml"),
        text.to_owned(),
    ));
    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    snap("settings_editor", &app);
    key(&mut app, KeyCode::Esc);
    assert!(
        matches!(app.overlay, Overlay::ConfirmLeave),
        "leaving with unsaved edits asks first"
    );
    key(&mut app, KeyCode::Char('y'));
    assert_eq!(app.screen, Screen::Dashboard);
    assert!(app.settings_edit.as_ref().is_some_and(|s| !s.dirty && s.enabled));
}

#[test]
fn too_small() {
    let app = app_with_wizard(true);
    let mut term = match Terminal::new(TestBackend::new(60, 15)) {
        Ok(t) => t,
        Err(e) => match e {},
    };
    assert!(term.draw(|f| super::view::render(&app, f)).is_ok());
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!("too_small_60x15", term.backend()));
}

#[test]
fn steps_are_all_snapshotted() {
    // Keeps the list above honest when a step is added.
    assert_eq!(Step::ALL.len(), 6);
}

#[test]
fn a_missing_reference_is_created_after_a_confirmation() {
    let mut app = dashboard_app();
    key(&mut app, KeyCode::Char('e'));
    app.handle(Event::Records(Ok(vec![record(
        "failure",
        "create",
        "linda.taylor@contoso.com",
        Some("InvalidLookupReference"),
        "location 'Remote': cmn_location has no row whose name is 'Remote'",
    )])));
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('c'));
    assert!(
        matches!(&app.overlay, Overlay::ConfirmCreate { table, field, value }
            if table == "cmn_location" && field == "name" && value == "Remote"),
        "{:?}",
        app.overlay
    );
    snap("record_create_reference_confirm", &app);
    let effects = app.handle(Event::Key(KeyEvent::new(KeyCode::Char('y'), KeyModifiers::NONE)));
    assert!(
        matches!(effects.as_slice(), [super::effect::Effect::Engine(crate::sync::Command::CreateReference { table, .. })] if table == "cmn_location"),
        "{effects:?}"
    );
    assert!(matches!(app.overlay, Overlay::None));
    let effects = app.handle(Event::Key(KeyEvent::new(KeyCode::Char('J'), KeyModifiers::NONE)));
    assert!(
        matches!(effects.as_slice(), [super::effect::Effect::Export { csv: false, records }] if records.len() == 1)
    );
}
