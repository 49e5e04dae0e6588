//! The status line follows the engine (issue 14: "Status and footer messages expire or are
//! replaced; none stays for minutes"). Regressions from the acceptance pass: "applying the
//! plan" stayed after the plan showed applied, "Dry run: plan 2 ready" after plan 3 was
//! applied, and a refusal another console asked for showed in every console.

use crossterm::event::KeyCode;

use super::{app, cycle, key, plan, rules_now};
use crate::sync::{Command, CycleStats, StopPhase, Stopped, SyncEvent};
use crate::tui::app::Overlay;
use crate::tui::effect::Effect;
use crate::tui::event::Event;
use crate::tui::screens::plan::Status;

const REFUSED: &str = "this plan is out of date: make a new dry run (plan 1: a cycle ran since it was made)";

/// A dry run's plan 1, then `2 A y` applies it.
fn apply_plan_1(app: &mut crate::tui::app::App) {
    let hash = rules_now(app);
    cycle(app, 1, true, plan(1, &hash, 1));
    key(app, KeyCode::Char('2'));
    key(app, KeyCode::Char('A'));
    let effects = key(app, KeyCode::Char('y'));
    assert!(
        matches!(effects.as_slice(), [Effect::Engine(Command::ApplyPlan { plan_id: 1 })]),
        "{effects:?}"
    );
    assert_eq!(app.shared.status, "applying the plan");
}

#[test]
fn applying_the_plan_is_replaced_by_how_its_cycle_ended() {
    let mut app = app();
    apply_plan_1(&mut app);
    let hash = rules_now(&app);
    cycle(&mut app, 2, false, plan(1, &hash, 1));
    assert_eq!(app.plan.status, Status::Applied { cycle_id: 2 });
    assert!(
        app.shared.status.starts_with("Plan 1: cycle 2 finished: 0 created"),
        "{}",
        app.shared.status
    );

    // Stopped while applying: said as stopped, not finished.
    let mut app = super::app();
    apply_plan_1(&mut app);
    let events = [
        SyncEvent::CycleStarted {
            cycle_id: 2,
            kind: crate::sync::CycleKind::Incremental,
            dry_run: false,
            totals: crate::sync::Totals::default(),
        },
        SyncEvent::PlanReady {
            plan: plan(1, &hash, 1),
            cycle_id: 2,
        },
        SyncEvent::CycleFinished {
            cycle_id: 2,
            dry_run: false,
            stats: CycleStats {
                stopped: Some(Stopped {
                    phase: StopPhase::Applying,
                    done: 1,
                    total: 2,
                }),
                ..CycleStats::default()
            },
        },
    ];
    for e in events {
        app.handle(Event::Sync(e));
    }
    assert!(
        app.shared
            .status
            .starts_with("Plan 1: cycle 2 stopped after 1 of 2 operations"),
        "{}",
        app.shared.status
    );
}

#[test]
fn a_dry_runs_plan_ready_goes_once_a_later_cycle_applied_another_plan() {
    let mut app = app();
    let hash = rules_now(&app);
    cycle(&mut app, 1, true, plan(2, &hash, 1));
    assert!(app.shared.status.contains("plan 2 ready"), "{}", app.shared.status);
    // A scheduled cycle (not asked for here) makes and applies plan 3.
    cycle(&mut app, 2, false, plan(3, &hash, 1));
    assert!(!app.shared.status.contains("ready"), "{}", app.shared.status);
    // A dry run asked for that fails says how.
    key(&mut app, KeyCode::Char('d'));
    assert_eq!(app.shared.status, "dry run: planning without writing");
    app.handle(Event::Sync(SyncEvent::Error {
        cycle_id: Some(3),
        kind: crate::sync::ErrorKind::Connection,
        message: "the instance did not answer".to_owned(),
    }));
    assert!(
        app.shared.status.contains("the instance did not answer"),
        "{}",
        app.shared.status
    );
}

#[test]
fn a_refusal_is_said_in_the_console_that_asked_not_in_every_attached_one() {
    let refused = || {
        Event::Sync(SyncEvent::PlanRefused {
            plan_id: 1,
            reason: REFUSED.to_owned(),
        })
    };
    let mut asker = app();
    apply_plan_1(&mut asker);
    // Another console showing the same plan, on the dashboard.
    let mut other = app();
    let hash = rules_now(&other);
    cycle(&mut other, 1, true, plan(1, &hash, 1));
    // A third with the apply question open for that plan.
    let mut asking = app();
    cycle(&mut asking, 1, true, plan(1, &hash, 1));
    key(&mut asking, KeyCode::Char('2'));
    key(&mut asking, KeyCode::Char('A'));
    assert!(matches!(
        asking.shared.overlay,
        Overlay::ConfirmApply { plan_id: 1, .. }
    ));

    for app in [&mut asker, &mut other, &mut asking] {
        app.handle(refused());
        assert!(matches!(app.plan.status, Status::OutOfDate(_)), "{:?}", app.plan.status);
    }
    assert_eq!(
        asker.shared.status,
        "Plan 1 refused: out of date (a cycle ran since it was made); d makes a new dry run."
    );
    assert!(other.shared.status.is_empty(), "{}", other.shared.status);
    assert!(matches!(asking.shared.overlay, Overlay::None));
    assert!(
        asking.shared.status.contains("Plan 1 is no longer offered"),
        "{}",
        asking.shared.status
    );
}
