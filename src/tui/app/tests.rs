//! State-machine tests of the console (issue 14): keys and engine events in, state and
//! effects out. Plans bound to what made them, changes that disable previewed before saving;
//! moving between screens and the keys of each in `screens_tests.rs`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{Action, App, Overlay, Screen};
use crate::config::{Config, ScopeMode, edit};
use crate::sync::op::Basis;
use crate::sync::{
    Answer, Command, CycleKind, CycleStats, EngineState, ObjectType, Op, OpKind, Plan, SyncEvent, Totals,
};
use crate::tui::effect::Effect;
use crate::tui::event::Event;
use crate::tui::screens::plan::Status;
use crate::tui::screens::settings;
use crate::tui::theme::Theme;

const CONFIG: &str = "# mine\n[profiles.demo.servicenow]\ninstance = \"dev1\"\nusername = \"admin\"\n";
const PATH: &str = "/etc/nowsync/config.toml";

/// A saved profile (provisioning on by default), its engine idle, on the dashboard.
fn app() -> App {
    let mut app = App::new("demo", Theme::monochrome(), false);
    let config = Config::parse(CONFIG, Path::new(PATH)).unwrap();
    let profile = config.profile("demo").unwrap();
    app.settings = settings::State::of(profile, PathBuf::from(PATH), CONFIG.to_owned());
    app.handle(Event::EngineStarted(Ok(())));
    app.handle(Event::Sync(SyncEvent::StateChanged(EngineState::Idle)));
    app.shared.status.clear();
    app
}

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.handle(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

/// The plan hash of the rules as saved now.
fn rules_now(app: &App) -> String {
    let s = app.settings.editor.as_ref().unwrap();
    let profile = edit::check(&s.text, &s.config_path, &s.profile).unwrap();
    profile.resolve_with(&app.mappings.doc.saved_text).unwrap().plan_hash
}

fn disable(name: &str) -> Op {
    Op {
        object_type: ObjectType::User,
        source_id: format!("id-{name}").into(),
        source_name: name.into(),
        target_id: Some(format!("sys-{name}")),
        member_id: None,
        kind: OpKind::Disable { diff: Vec::new() },
        steps: Vec::new().into(),
        hash: Default::default(),
    }
}

fn plan(id: u64, profile: &str, cycle_id: i64) -> Arc<Plan> {
    let mut plan = Plan::new(id, CycleKind::Incremental, vec![disable("a"), disable("b")]);
    plan.basis = Basis {
        profile: profile.to_owned(),
        cycle_id,
        ..Basis::default()
    };
    Arc::new(plan)
}

fn cycle(app: &mut App, cycle_id: i64, dry_run: bool, plan: Arc<Plan>) {
    let events = [
        SyncEvent::StateChanged(EngineState::Running),
        SyncEvent::CycleStarted {
            cycle_id,
            kind: CycleKind::Incremental,
            dry_run,
            totals: Totals::default(),
        },
        SyncEvent::PlanReady { plan, cycle_id },
        SyncEvent::CycleFinished {
            cycle_id,
            dry_run,
            stats: CycleStats::default(),
        },
        SyncEvent::StateChanged(EngineState::Idle),
    ];
    for e in events {
        app.handle(Event::Sync(e));
    }
}

/// `a` on the scope screen: previewed by a dry run of the changed rules, then confirmed and
/// saved as the runtime would; the dry run offered afterwards is declined.
fn switch_scope_and_confirm(app: &mut App) {
    key(app, KeyCode::Char('6'));
    assert_eq!(app.shared.screen, Screen::Scope);
    let effects = key(app, KeyCode::Char('a'));
    let [Effect::Engine(Command::PreviewPlan { request, profile })] = effects.as_slice() else {
        panic!("a scope switch is previewed first, not saved: {effects:?}")
    };
    assert_eq!(profile.provisioning.scope, ScopeMode::All);
    let request = *request;
    assert!(matches!(app.shared.overlay, Overlay::Preview));
    assert!(
        key(app, KeyCode::Char('y')).is_empty(),
        "no save before the preview is shown"
    );
    app.handle(Event::Sync(SyncEvent::Answer {
        request,
        answer: Answer::Preview(plan(9, "candidate", 0)),
    }));
    let effects = key(app, KeyCode::Char('y'));
    let [Effect::SaveSettings { path, profile, edits }] = effects.as_slice() else {
        panic!("y saves: {effects:?}")
    };
    let text = edit::apply(CONFIG, path, profile, edits).unwrap();
    let profile = edit::check(&text, path, profile).unwrap();
    app.handle(Event::SettingsSaved(Ok(edit::Saved { text, profile })));
    assert!(
        matches!(&app.shared.overlay, Overlay::Ask { yes, .. } if matches!(**yes, Action::Engine(Command::DryRun))),
        "after a save a dry run is offered: {:?}",
        app.shared.overlay
    );
    key(app, KeyCode::Char('n'));
}

#[test]
fn a_plan_made_before_a_scope_change_is_out_of_date_and_never_applied() {
    let mut app = app();
    let hash = rules_now(&app);
    cycle(&mut app, 1, true, plan(1, &hash, 1));
    key(&mut app, KeyCode::Char('2'));
    assert_eq!(app.shared.screen, Screen::Plan);
    assert!(app.plan.ready());
    key(&mut app, KeyCode::Char('A'));
    assert!(matches!(app.shared.overlay, Overlay::ConfirmApply { plan_id: 1, .. }));
    key(&mut app, KeyCode::Esc);

    switch_scope_and_confirm(&mut app);
    let now = rules_now(&app);
    assert_ne!(now, hash);
    key(&mut app, KeyCode::Char('2'));
    assert!(matches!(app.plan.status, Status::OutOfDate(_)), "{:?}", app.plan.status);
    // The engine's reload then names the change in the saving console too (acceptance N5).
    app.handle(Event::Sync(SyncEvent::Reloaded {
        changed: vec!["the scope (assigned → all)".to_owned()],
        plan_hash: now,
    }));
    assert_eq!(
        app.plan.status,
        Status::OutOfDate("the scope (assigned → all) changed since it was made".to_owned())
    );
    let effects = key(&mut app, KeyCode::Char('A'));
    assert!(effects.is_empty() && matches!(app.shared.overlay, Overlay::None));
    assert!(
        app.shared.status.contains("out of date") && app.shared.status.contains("d makes a new dry run"),
        "{}",
        app.shared.status
    );
    // The engine's refusal of plan 1, asked for by another console attached: the plan says
    // the engine's why; the status line is not this console's to take (status_tests.rs).
    let said = app.shared.status.clone();
    let reason = "this plan is out of date: make a new dry run (plan 1: a cycle ran since it was made)";
    app.handle(Event::Sync(SyncEvent::PlanRefused {
        plan_id: 1,
        reason: reason.to_owned(),
    }));
    assert_eq!(app.shared.status, said);
    assert_eq!(
        app.plan.status,
        Status::OutOfDate("a cycle ran since it was made".to_owned())
    );
    // A new dry run under the rules now is ready again.
    let hash = rules_now(&app);
    cycle(&mut app, 2, true, plan(2, &hash, 2));
    assert!(app.plan.ready());
}

#[test]
fn an_applied_plan_is_shown_as_applied_and_a_cycle_outdates_a_dry_run() {
    let mut app = app();
    let hash = rules_now(&app);
    cycle(&mut app, 1, true, plan(1, &hash, 1));
    key(&mut app, KeyCode::Char('2'));
    key(&mut app, KeyCode::Char('A'));
    let effects = key(&mut app, KeyCode::Char('y'));
    assert!(
        matches!(effects.as_slice(), [Effect::Engine(Command::ApplyPlan { plan_id: 1 })]),
        "{effects:?}"
    );
    assert_eq!(app.plan.status, Status::Applying);
    cycle(&mut app, 2, false, plan(1, &hash, 1));
    assert_eq!(app.plan.status, Status::Applied { cycle_id: 2 });
    key(&mut app, KeyCode::Char('A'));
    assert!(matches!(app.shared.overlay, Overlay::None));
    assert!(
        app.shared.status.contains("was applied in cycle 2"),
        "{}",
        app.shared.status
    );

    // A dry run's plan, then a real cycle (r): the plan is out of date.
    cycle(&mut app, 3, true, plan(2, &hash, 3));
    assert!(app.plan.ready());
    app.handle(Event::Sync(SyncEvent::CycleStarted {
        cycle_id: 4,
        kind: CycleKind::Incremental,
        dry_run: false,
        totals: Totals::default(),
    }));
    assert!(matches!(&app.plan.status, Status::OutOfDate(why) if why.contains("a cycle ran")));
}

#[test]
fn a_scope_switch_declined_after_its_preview_saves_nothing() {
    let mut app = app();
    key(&mut app, KeyCode::Char('6'));
    let effects = key(&mut app, KeyCode::Char('a'));
    let [Effect::Engine(Command::PreviewPlan { request, .. })] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let request = *request;
    app.handle(Event::Sync(SyncEvent::Answer {
        request,
        answer: Answer::Preview(plan(9, "candidate", 0)),
    }));
    let Some(pending) = &app.pending else {
        panic!("no pending save")
    };
    let Some(Ok(previewed)) = &pending.result else {
        panic!("no preview")
    };
    let said = super::pending::effect_text(previewed, None);
    assert_eq!(
        said[0],
        "This will disable 2 users and remove 0 memberships; 0 deletes."
    );
    assert!(key(&mut app, KeyCode::Char('n')).is_empty(), "n saves nothing");
    assert!(matches!(app.shared.overlay, Overlay::None));
    assert_eq!(app.settings.scope_word(), "assigned", "the scope goes back");
    assert!(!app.settings.dirty());
    assert!(app.shared.status.contains("not saved"), "{}", app.shared.status);
}

#[path = "screens_tests.rs"]
mod screens;

#[path = "status_tests.rs"]
mod status;

#[path = "reload_tests.rs"]
mod reload;
