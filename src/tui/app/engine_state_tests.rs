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
    let attached = crate::door::Attached {
        engine: crate::door::proto::EngineInfo {
            profile: "default".into(),
            pid: 4242,
            since: "2026-01-02T05:10:00Z".into(),
            started_by: "nowsync run".into(),
            socket: "/d/default.sock".into(),
        },
        state: EngineState::Running,
        backlog: Vec::new(),
        replay: crate::door::replay::Replay {
            paused: true,
            ..Default::default()
        },
    };
    app.handle(Event::Attached(Box::new(attached)));
    assert!(app.dashboard.paused());
    assert!(matches!(pressed_p(&mut app), Some(Command::Resume)));
}
