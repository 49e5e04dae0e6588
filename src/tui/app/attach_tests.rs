use super::*;
use crate::door::backlog::Line;
use crate::door::proto::EngineInfo;
use crate::sync::LogLevel;
use crate::tui::event::Event;
use crate::tui::theme::Theme;

fn attached(started_by: &str) -> Attached {
    Attached {
        engine: EngineInfo {
            profile: "default".into(),
            pid: 4242,
            since: "2026-01-02T05:10:00Z".into(),
            started_by: started_by.into(),
            socket: "/d/default.sock".into(),
        },
        state: EngineState::Running,
        backlog: vec![Line {
            time: "2026-12-07T05:11:02.123Z".into(),
            level: LogLevel::Info,
            text: "cycle 1 finished: created 3".into(),
        }],
        replay: Default::default(),
    }
}

#[test]
fn attached_the_header_names_the_engine_and_quitting_leaves_it() {
    let mut app = App::new("default", Theme::monochrome(), false);
    let effects = app.handle(Event::Attached(Box::new(attached("systemd"))));
    assert!(matches!(effects.as_slice(), [Effect::LoadHistory, Effect::LoadRecords]));
    let header = app.dashboard.engine.clone().unwrap();
    assert!(
        header == "attached to the running engine (pid 4242, since 2026-01-02 05:10 UTC, started by systemd)",
        "{header}"
    );
    assert_eq!(app.log.len(), 1, "the backlog is in the log pane");
    // A cycle runs in the engine: leaving the console does not stop it, so no question.
    app.dashboard.running = Some(Default::default());
    assert_eq!(app.quit_warning(), None);
    let effects = app.update(Action::AskQuit);
    assert!(app.quit && matches!(effects.as_slice(), [Effect::Quit]));
    assert!(!app.keep_in_background);
}

#[test]
fn an_own_engine_asks_on_quit_whether_it_goes_on_in_the_background() {
    let mut app = App::new("default", Theme::monochrome(), false);
    app.handle(Event::EngineStarted(Ok(())));
    assert_eq!(app.dashboard.engine.as_deref(), Some("in this console"));
    app.update(Action::AskQuit);
    assert!(matches!(app.shared.overlay, Overlay::KeepInBackground) && !app.quit);
    app.update(Action::CloseOverlay);
    assert!(!app.quit, "Esc stays");
    app.update(Action::AskQuit);
    app.update(Action::QuitKeeping);
    assert!(app.quit && app.keep_in_background);

    let mut app = App::new("default", Theme::monochrome(), false);
    app.handle(Event::EngineStarted(Ok(())));
    app.update(Action::AskQuit);
    app.update(Action::Quit);
    assert!(app.quit && !app.keep_in_background, "n stops it");

    // A signal (SIGHUP: the SSH connection dropped) does not ask.
    let mut app = App::new("default", Theme::monochrome(), false);
    app.handle(Event::EngineStarted(Ok(())));
    app.handle(Event::Signal("SIGHUP"));
    assert!(app.quit && !app.keep_in_background);

    // The demo's engine is never kept.
    let mut app = App::new("demo", Theme::monochrome(), true);
    app.handle(Event::EngineStarted(Ok(())));
    app.update(Action::AskQuit);
    assert!(app.quit);
}

use std::sync::Arc;

use crate::door::replay::{LastPlan, PlanState, Replay, Running as ReplayRunning, Tally};
use crate::sync::{CycleKind, CycleStats, Plan, SyncEvent, Totals};
use crate::tui::screens::dashboard::history::{History, Point};
use crate::tui::screens::plan::Status;

fn attached_with(replay: Replay) -> App {
    let mut app = App::new("default", Theme::monochrome(), false);
    let mut a = attached("nowsync run");
    a.state = EngineState::Idle;
    a.replay = replay;
    app.handle(Event::Attached(Box::new(a)));
    app
}

fn last_plan(state: PlanState) -> LastPlan {
    LastPlan {
        plan: Arc::new(Plan::new(7, CycleKind::Initial, Vec::new())),
        cycle_id: 4,
        state,
        made: "2026-12-07T12:00:05Z".into(),
    }
}

fn key(app: &mut App, c: char) -> Vec<Effect> {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    app.handle(Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)))
}

#[test]
fn attaching_shows_an_applied_plan_as_applied_made_when_the_engine_made_it() {
    let mut app = attached_with(Replay {
        plan: Some(last_plan(PlanState::Applied { cycle_id: 4 })),
        ..Replay::default()
    });
    assert_eq!(app.plan.status, Status::Applied { cycle_id: 4 });
    assert!(!app.plan.ready(), "an applied plan is never offered as ready");
    assert_eq!(app.plan.made, "12:00:05", "made when the engine made it, not at attach");
    app.shared.screen = crate::tui::app::Screen::Plan;
    key(&mut app, 'A');
    assert!(matches!(app.shared.overlay, Overlay::None));
    assert!(
        app.shared.status.contains("was applied in cycle 4"),
        "{}",
        app.shared.status
    );

    let app = attached_with(Replay {
        plan: Some(last_plan(PlanState::Refused {
            reason: "this plan is out of date: make a new dry run (plan 7: a cycle ran since it was made)".into(),
        })),
        ..Replay::default()
    });
    assert_eq!(
        app.plan.status,
        Status::OutOfDate("a cycle ran since it was made".into())
    );
    let app = attached_with(Replay {
        plan: Some(last_plan(PlanState::Superseded {
            why: "a cycle ran since it was made".into(),
        })),
        ..Replay::default()
    });
    assert!(!app.plan.ready());
    let app = attached_with(Replay {
        plan: Some(last_plan(PlanState::Ready)),
        ..Replay::default()
    });
    assert!(app.plan.ready(), "a current dry run's plan is offered");
}

#[test]
fn attaching_mid_cycle_shows_the_engines_counts_clock_and_throughput() {
    let app = attached_with(Replay {
        running: Some(ReplayRunning {
            cycle_id: 5,
            kind: CycleKind::Initial,
            dry_run: false,
            reading: false,
            totals: Totals {
                users: 3000,
                groups: 10,
                operations: 3000,
            },
            done: 150,
            total: 3000,
            tally: Tally {
                created: 140,
                failed: 10,
                ..Tally::default()
            },
            elapsed_ms: 5000,
            rates: vec![20, 40, 0, 90, 0],
        }),
        ..Replay::default()
    });
    let r = app.dashboard.running.clone().unwrap();
    assert_eq!((r.cycle_id, r.done, r.total), (5, 150, 3000));
    assert_eq!(
        r.elapsed,
        std::time::Duration::from_secs(5),
        "rate 30/s and ETA as the engine's console"
    );
    assert_eq!((r.tally.created, r.tally.failed), (140, 10));
    assert_eq!(r.rates, [20, 40, 0, 90, 0]);
    assert!(!r.reading);
}

#[test]
fn attaching_during_the_reads_shows_the_cycle_reading() {
    let app = attached_with(Replay {
        running: Some(ReplayRunning {
            cycle_id: 2,
            kind: CycleKind::Reconciliation,
            dry_run: false,
            reading: true,
            totals: Totals::default(),
            done: 0,
            total: 0,
            tally: Tally::default(),
            elapsed_ms: 0,
            rates: Vec::new(),
        }),
        ..Replay::default()
    });
    let r = app.dashboard.running.clone().unwrap();
    assert!(r.reading && r.cycle_id == 2 && r.kind == Some(CycleKind::Reconciliation));
    // And live: the engine's event says the same.
    let mut app = attached_with(Replay::default());
    app.handle(Event::Sync(SyncEvent::CycleReading {
        cycle_id: 3,
        kind: CycleKind::Incremental,
        dry_run: false,
    }));
    assert!(
        app.dashboard
            .running
            .as_ref()
            .is_some_and(|r| r.reading && r.cycle_id == 3)
    );
}

fn point(cycle_id: i64) -> Point {
    Point {
        cycle_id,
        kind: CycleKind::Initial,
        started: "2026-12-07T12:00:00Z".into(),
        created: 2990,
        updated: 0,
        disabled: 0,
        deleted: 0,
        members_added: 0,
        members_removed: 0,
        skipped: 0,
        staged: 0,
        failed: 10,
        duration_ms: 93_000,
        stopped: None,
        error: None,
    }
}

#[test]
fn the_last_row_is_the_last_real_cycle_from_the_store_never_a_dry_run() {
    let mut app = attached_with(Replay::default());
    app.handle(Event::History(Ok(History {
        points: vec![point(1), point(2)],
        ..History::default()
    })));
    let last = app.dashboard.last.clone().unwrap();
    assert_eq!(
        (last.cycle_id, last.kind, last.stats.created),
        (2, Some(CycleKind::Initial), 2990)
    );
    // A dry run finishing is not a cycle: the Last row stays cycle 2.
    app.handle(Event::Sync(SyncEvent::CycleFinished {
        cycle_id: 3,
        dry_run: true,
        stats: CycleStats::default(),
    }));
    assert_eq!(app.dashboard.last.as_ref().map(|l| l.cycle_id), Some(2));
    // A real cycle seen finishing wins over an older history.
    app.handle(Event::Sync(SyncEvent::CycleFinished {
        cycle_id: 3,
        dry_run: false,
        stats: CycleStats::default(),
    }));
    app.handle(Event::History(Ok(History {
        points: vec![point(2)],
        ..History::default()
    })));
    assert_eq!(app.dashboard.last.as_ref().map(|l| l.cycle_id), Some(3));
}

#[test]
fn the_next_run_is_the_one_the_engine_published() {
    let mut app = attached_with(Replay {
        next_run: Some(crate::door::replay::NextRun {
            at: Some("2026-12-07T12:40:00Z".into()),
        }),
        ..Replay::default()
    });
    assert_eq!(app.dashboard.next_run(true, 30), "Dec 07 12:40 UTC (every 30 min)");
    // A cycle finishing does not move it: the engine's schedule counts from its start.
    app.handle(Event::Sync(SyncEvent::CycleFinished {
        cycle_id: 1,
        dry_run: false,
        stats: CycleStats::default(),
    }));
    assert_eq!(app.dashboard.next_run(true, 30), "Dec 07 12:40 UTC (every 30 min)");
    app.handle(Event::Sync(SyncEvent::NextRun {
        at: Some("2026-12-07T13:10:00Z".into()),
    }));
    assert_eq!(app.dashboard.next_run(true, 30), "Dec 07 13:10 UTC (every 30 min)");
    app.handle(Event::Sync(SyncEvent::NextRun { at: None }));
    assert!(app.dashboard.next_run(true, 30).starts_with("none"));
    // The engine went away: nothing is scheduled, whatever it said last.
    app.handle(Event::Sync(SyncEvent::NextRun {
        at: Some("2026-12-07T13:10:00Z".into()),
    }));
    app.handle(Event::Detached("closed".into()));
    assert_eq!(app.dashboard.next_run(true, 30), "none: the engine is stopped");
}

#[test]
fn x_on_an_attached_console_asks_then_stops_the_engine() {
    let mut app = attached_with(Replay::default());
    assert!(app.shared.status.contains("x stops it"));
    key(&mut app, 'x');
    assert!(matches!(&app.shared.overlay, Overlay::Ask { text, .. } if text.contains("Stop the engine")));
    let effects = key(&mut app, 'y');
    assert!(
        matches!(effects.as_slice(), [Effect::Engine(crate::sync::Command::Stop)]),
        "{effects:?}"
    );
}

#[test]
fn an_apply_question_closes_when_its_plan_is_applied_by_another_console() {
    let mut app = attached_with(Replay {
        plan: Some(last_plan(PlanState::Ready)),
        ..Replay::default()
    });
    app.shared.screen = crate::tui::app::Screen::Plan;
    key(&mut app, 'A');
    assert!(matches!(app.shared.overlay, Overlay::ConfirmApply { plan_id: 7, .. }));
    // Another console applied it: cycle 4 runs plan 7.
    app.handle(Event::Sync(SyncEvent::CycleStarted {
        cycle_id: 4,
        kind: CycleKind::Initial,
        dry_run: false,
        totals: Totals::default(),
    }));
    app.handle(Event::Sync(SyncEvent::PlanReady {
        cycle_id: 4,
        plan: Arc::new(Plan::new(7, CycleKind::Initial, Vec::new())),
    }));
    assert!(matches!(app.shared.overlay, Overlay::None), "the question closed");
    assert!(
        app.shared
            .status
            .contains("Plan 7 is no longer offered (it was applied in cycle 4)"),
        "{}",
        app.shared.status
    );
    assert_eq!(app.plan.status, Status::Applied { cycle_id: 4 });

    // Refused meanwhile: the same.
    let mut app = attached_with(Replay {
        plan: Some(last_plan(PlanState::Ready)),
        ..Replay::default()
    });
    app.shared.screen = crate::tui::app::Screen::Plan;
    key(&mut app, 'A');
    app.handle(Event::Sync(SyncEvent::PlanRefused {
        plan_id: 7,
        reason: "this plan is out of date: make a new dry run (plan 7: the configuration, mappings or scope changed since it was made)".into(),
    }));
    assert!(matches!(app.shared.overlay, Overlay::None));
}

#[test]
fn another_consoles_answer_and_an_answer_nobody_waits_for_say_nothing() {
    let mut app = App::new("default", Theme::monochrome(), false);
    app.handle(Event::EngineStarted(Ok(())));
    app.shared.status = "before".to_owned();
    let scope = || crate::sync::Answer::ScopePreview {
        users_in: 3,
        users_out: 1,
        groups_in: 1,
        samples_in: Vec::new(),
        samples_out: Vec::new(),
    };
    // The engine is this console's: a second console's scope question is answered to all.
    app.handle(Event::Sync(crate::sync::SyncEvent::Answer {
        request: (1 << 60) + 1,
        answer: scope(),
    }));
    app.handle(Event::Sync(crate::sync::SyncEvent::Answer {
        request: (1 << 60) + 2,
        answer: crate::sync::Answer::Failed(crate::sync::AnswerError::not_served("no")),
    }));
    // This console's own, for a question no screen waits for any more.
    app.handle(Event::Sync(crate::sync::SyncEvent::Answer {
        request: 77,
        answer: scope(),
    }));
    assert_eq!(app.shared.status, "before", "no answer of another's, no request id");
}
