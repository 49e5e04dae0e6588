//! Snapshots of every screen at 80×24 and 120×40 (ratatui `TestBackend`), built from fixed
//! state: the wizard's steps (`snapshot_wizard_tests.rs`), the dashboard idle and mid-cycle,
//! the plan with a diff open, the provisioning logs and a record's troubleshooting, the
//! full-screen log, the overlays, and the too-small screen. Times are filtered out.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::app::{App, Overlay, Screen};
use super::event::Event;
use super::screens::wizard::{StoreStatus, Wizard};
use super::theme::Theme;
use crate::sync::{
    Action, CycleKind, CycleStats, EngineState, FailureCode, ObjectResult, ObjectType, SyncEvent, Totals,
};

#[path = "snapshot_dashboard_tests.rs"]
mod dashboard;
#[path = "snapshot_edit_tests.rs"]
mod edit;
#[path = "snapshot_fixtures.rs"]
mod fixtures;
#[path = "snapshot_preview_tests.rs"]
mod preview;
#[path = "snapshot_sso_tests.rs"]
mod sso;
#[path = "snapshot_wizard_tests.rs"]
mod wizard;

use fixtures::{plan, prefill, record, step};

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

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

fn dashboard_app() -> App {
    let mut app = App::new("demo", Theme::monochrome(), true);
    app.shared.screen = Screen::Dashboard;
    app.handle(Event::EngineStarted(Ok(())));
    app.shared.status.clear();
    let text = "[profiles.demo.servicenow]\ninstance = \"dev1\"\nusername = \"admin\"\n";
    let config = crate::config::Config::parse(text, std::path::Path::new("c.toml")).unwrap();
    let profile = config.profile("demo").unwrap();
    app.settings.editor = Some(super::screens::settings::Settings::new(
        profile,
        PathBuf::from("c.toml"),
        text.to_owned(),
    ));
    let events = vec![
        SyncEvent::StateChanged(EngineState::Running),
        // The engine's schedule, as it publishes it.
        SyncEvent::NextRun {
            at: Some("2026-12-07T12:40:00Z".into()),
        },
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
                cycle_id: 3,
                change_id: "3-user-h".into(),
                time: chrono::DateTime::UNIX_EPOCH,
                object_type: ObjectType::User,
                source_id: "id-megan".into(),
                member_id: None,
                source_name: "megan.bowen@contoso.com".into(),
                target_id: None,
                action: Action::Create,
                status: crate::sync::outcome::Status::Failure,
                error_code: Some(FailureCode::InvalidLookupReference),
                reason: "department 'Quantum Research' has no row in cmn_department".into(),
                recommended_action: None,
                steps: Vec::new(),
                modified_properties: Vec::new(),
                duration_ms: 0,
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

/// Cycle 3 finishes with failures, then the store's history of several cycles and the last
/// one's failures arrive: what the dashboard's charts draw.
fn finish_a_cycle_with_failures(app: &mut App) {
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
    // The store's history of several cycles and the last one's failures: the charts.
    app.handle(Event::History(Ok(fixtures::history())));
    let mut failures = vec![
        record(
            "failure",
            "create",
            "megan.bowen@contoso.com",
            Some("InvalidLookupReference"),
            "x",
        ),
        record(
            "failure",
            "update",
            "pradeep.gupta@contoso.com",
            Some("DuplicateTargetEntries"),
            "y",
        ),
        record(
            "failure",
            "create",
            "lee.gu@contoso.com",
            Some("InvalidLookupReference"),
            "z",
        ),
    ];
    for r in &mut failures {
        r.cycle_id = 8;
    }
    app.handle(Event::Records(Ok(failures)));
}

/// A dry run (plan 9) is made and its plan is ready to apply.
fn dry_run_ready(app: &mut App) {
    for event in [
        SyncEvent::CycleStarted {
            cycle_id: 9,
            kind: CycleKind::Incremental,
            dry_run: true,
            totals: Totals::default(),
        },
        SyncEvent::PlanReady {
            cycle_id: 9,
            plan: fixtures::dry_run_plan(),
        },
        SyncEvent::CycleFinished {
            cycle_id: 9,
            dry_run: true,
            stats: CycleStats::default(),
        },
    ] {
        app.handle(Event::Sync(event));
    }
}

#[test]
fn a_dry_runs_plan_past_its_validity_is_shown_expired() {
    let mut app = dashboard_app();
    dry_run_ready(&mut app);
    key(&mut app, KeyCode::Char('a'));
    let until = app.plan.plan.as_ref().and_then(|p| p.basis.valid_until);
    let until = until.unwrap_or_default();
    assert!(!app.plan.expire_by(until), "valid until its last second");
    assert!(app.plan.expire_by(until + chrono::Duration::seconds(1)));
    key(&mut app, KeyCode::Char('A'));
    assert_eq!(app.shared.status, "Plan 3 expired at 12:18 UTC: d makes a new dry run.");
    app.shared.status.clear();
    snap("plan_expired", &app);
}

/// The provisioning log's records the records screen and its troubleshooting view show.
fn records_to_troubleshoot() -> Vec<crate::store::LogRecord> {
    vec![
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
    ]
}

#[test]
fn dashboard_plan_records_and_log() {
    let mut app = dashboard_app();
    snap("dashboard_running", &app);
    finish_a_cycle_with_failures(&mut app);
    snap("dashboard_finished", &app);
    // A dry run's plan is ready to apply (the real cycle's was applied).
    dry_run_ready(&mut app);
    key(&mut app, KeyCode::Char('a'));
    // The list with its time; a long status message wraps instead of being cut (issue 14).
    let status = std::mem::take(&mut app.shared.status);
    app.shared.status = "Plan 12 refused: out of date (the configuration, mappings or scope changed since it was made); d makes a new dry run, then A applies it once it is shown.".to_owned();
    snap("plan_list", &app);
    app.shared.status = status;
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    snap("plan_diff", &app);
    key(&mut app, KeyCode::Char('A'));
    snap("plan_apply_confirm", &app);
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('e'));
    app.handle(Event::Records(Ok(records_to_troubleshoot())));
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
    assert!(matches!(app.shared.overlay, Overlay::Help));
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
}

#[test]
fn settings_screen() {
    let mut app = dashboard_app();
    key(&mut app, KeyCode::Char('t'));
    app.settings.editor = None;
    snap("settings_unsaved", &app);
    let text = "[profiles.demo.servicenow]\ninstance = \"dev1\"\nusername = \"admin\"\n";
    let config = crate::config::Config::parse(text, std::path::Path::new("c.toml")).unwrap();
    let profile = config.profile("demo").unwrap();
    app.settings.rows = super::screens::settings::rows(profile);
    app.settings.editor = Some(super::screens::settings::Settings::new(
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
        matches!(app.shared.overlay, Overlay::ConfirmLeave),
        "leaving with unsaved edits asks first"
    );
    key(&mut app, KeyCode::Char('y'));
    assert_eq!(app.shared.screen, Screen::Dashboard);
    assert!(app.settings.editor.as_ref().is_some_and(|s| !s.dirty() && s.enabled));
}

#[test]
fn too_small() {
    let mut app = app_with_wizard(true);
    let mut term = match Terminal::new(TestBackend::new(60, 15)) {
        Ok(t) => t,
        Err(e) => match e {},
    };
    assert!(term.draw(|f| super::view::render(&app, f)).is_ok());
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!("too_small_60x15", term.backend()));
    // With unsaved edits the notice says what Ctrl-C drops.
    key(&mut app, KeyCode::Char('x'));
    assert!(term.draw(|f| super::view::render(&app, f)).is_ok());
    settings.bind(|| insta::assert_snapshot!("too_small_unsaved_60x15", term.backend()));
}
