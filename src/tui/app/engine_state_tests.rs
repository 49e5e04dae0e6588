//! The engine's real state, as the console shows it and acts on it: a pause taken while a
//! cycle runs, and a console whose engine has gone.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::App;
use crate::sync::{Command, CycleKind, CycleStats, EngineState, SyncEvent, Totals};
use crate::tui::effect::Effect;
use crate::tui::event::Event;
use crate::tui::theme::Theme;

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.handle(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn sync(app: &mut App, event: SyncEvent) {
    app.handle(Event::Sync(event));
}

/// The console's own engine, in the middle of a real cycle.
fn cycling() -> App {
    let mut app = App::new("demo", Theme::monochrome(), false);
    app.handle(Event::EngineStarted(Ok(())));
    // The store read that starting asked for (`Effect::LoadHistory`): no quarantine.
    app.handle(Event::History(Ok(
        crate::tui::screens::dashboard::history::History::default(),
    )));
    sync(&mut app, SyncEvent::StateChanged(EngineState::Running));
    sync(
        &mut app,
        SyncEvent::CycleStarted {
            cycle_id: 3,
            kind: CycleKind::Incremental,
            dry_run: false,
            totals: Totals::default(),
        },
    );
    app
}

fn pressed_p(app: &mut App) -> Option<Command> {
    key(app, KeyCode::Char('p')).into_iter().find_map(|e| match e {
        Effect::Engine(c) => Some(c),
        _ => None,
    })
}

#[test]
fn p_during_a_running_cycle_pauses_then_resumes_as_the_engine_confirms() {
    let mut app = cycling();
    assert!(matches!(pressed_p(&mut app), Some(Command::Pause)));
    // The engine took it at once: its confirmation, while the cycle still runs.
    sync(&mut app, SyncEvent::Paused { paused: true });
    assert!(app.dashboard.paused());
    assert_eq!(
        app.dashboard.status(),
        "running · paused: scheduled cycles wait; p resumes"
    );
    assert!(crate::tui::chrome::keys(&app).contains(&("p", "resume")));
    // So p again resumes.
    assert!(matches!(pressed_p(&mut app), Some(Command::Resume)));
    sync(&mut app, SyncEvent::Paused { paused: false });
    assert!(!app.dashboard.paused());
    assert!(crate::tui::chrome::keys(&app).contains(&("p", "pause")));
    assert!(matches!(pressed_p(&mut app), Some(Command::Pause)));
    sync(&mut app, SyncEvent::Paused { paused: true });
    // The cycle ends; the engine settles paused: the row says paused, not off.
    sync(
        &mut app,
        SyncEvent::CycleFinished {
            cycle_id: 3,
            dry_run: false,
            stats: CycleStats::default(),
        },
    );
    sync(&mut app, SyncEvent::StateChanged(EngineState::Paused));
    assert_eq!(
        app.dashboard.status(),
        "enabled · paused: scheduled cycles wait; p resumes"
    );
    assert_eq!(app.dashboard.next_run(true, 30), "none while paused (p resumes)");
    assert!(matches!(pressed_p(&mut app), Some(Command::Resume)));
    sync(&mut app, SyncEvent::Paused { paused: false });
    sync(&mut app, SyncEvent::StateChanged(EngineState::Idle));
    assert_eq!(app.dashboard.status(), "on (idle)");
}

#[test]
fn a_console_attaching_to_a_paused_engine_mid_cycle_shows_it_paused() {
    let mut app = App::new("default", Theme::monochrome(), false);
    app.handle(attached(
        EngineState::Running,
        crate::door::replay::Replay {
            paused: true,
            ..Default::default()
        },
    ));
    assert!(app.dashboard.paused());
    assert!(matches!(pressed_p(&mut app), Some(Command::Resume)));
}

/// Attached to an engine whose last dry run made plan 20, ready.
fn attached_with_a_ready_plan() -> App {
    use crate::door::replay::{LastPlan, PlanState, Replay};
    let mut app = App::new("default", Theme::monochrome(), false);
    app.handle(attached(
        EngineState::Idle,
        Replay {
            plan: Some(LastPlan {
                plan: std::sync::Arc::new(crate::sync::Plan::new(20, CycleKind::Initial, Vec::new())),
                cycle_id: 4,
                state: PlanState::Ready,
                made: "2026-12-07T05:11:00Z".into(),
            }),
            ..Replay::default()
        },
    ));
    app
}

/// Attached to `nowsync run` (pid 4242) in `state`, with `replay`.
fn attached(state: EngineState, replay: crate::door::replay::Replay) -> Event {
    Event::Attached(Box::new(crate::door::Attached {
        engine: crate::door::proto::EngineInfo {
            profile: "default".into(),
            pid: 4242,
            since: "2026-01-02T05:10:00Z".into(),
            started_by: "nowsync run".into(),
            socket: "/d/default.sock".into(),
        },
        state,
        backlog: Vec::new(),
        replay,
    }))
}

const GONE: &str =
    "Plan 20: its engine has gone; c attaches to the one serving the profile now, then d makes a new dry run.";

#[test]
fn a_plan_whose_engine_has_gone_is_not_offered_and_apply_is_refused_at_once() {
    use crate::tui::screens::plan::Status;
    let mut app = attached_with_a_ready_plan();
    assert_eq!(app.plan.status, Status::Ready);
    app.handle(Event::Detached("closed".into()));
    assert_eq!(app.plan.status, Status::EngineGone);
    // a opens the plan, A refuses at once: no question, nothing sent, nothing being applied.
    key(&mut app, KeyCode::Char('a'));
    let effects = key(&mut app, KeyCode::Char('A'));
    assert!(effects.is_empty(), "{effects:?}");
    assert!(matches!(app.shared.overlay, super::Overlay::None));
    assert_eq!(app.shared.status, GONE);
    let effects = key(&mut app, KeyCode::Char('y'));
    assert!(!effects.iter().any(|e| matches!(e, Effect::Engine(_))), "{effects:?}");
    assert_eq!(app.plan.status, Status::EngineGone);
    // An apply asked for anyway (a question answered late) is refused the same way.
    let effects = app.update(super::Action::Apply(20));
    assert!(effects.is_empty() && app.plan.status == Status::EngineGone);
    assert_eq!(app.shared.status, GONE);
    // Other engine commands too.
    let effects = app.update(super::Action::Engine(Command::DryRun));
    assert!(effects.is_empty());
    assert!(app.shared.status.contains("has gone"), "{}", app.shared.status);
}

#[test]
fn the_engine_going_clears_an_open_apply_question_and_a_plan_being_applied() {
    use crate::tui::screens::plan::Status;
    let mut app = attached_with_a_ready_plan();
    key(&mut app, KeyCode::Char('a'));
    key(&mut app, KeyCode::Char('A'));
    assert!(matches!(app.shared.overlay, super::Overlay::ConfirmApply { .. }));
    app.handle(Event::Detached("closed".into()));
    assert!(matches!(app.shared.overlay, super::Overlay::None));
    assert_eq!(app.plan.status, Status::EngineGone);

    let mut app = attached_with_a_ready_plan();
    app.update(super::Action::Apply(20));
    assert_eq!(app.plan.status, Status::Applying);
    app.handle(Event::Detached("closed".into()));
    assert_eq!(app.plan.status, Status::EngineGone);
}
