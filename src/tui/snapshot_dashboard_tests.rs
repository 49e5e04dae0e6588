//! The dashboard at the size of a real tenant (3,000 users): every text row fits 80 columns
//! or ends with "…" (the acceptance test found "To date" cut at 80 columns without one).

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::super::app::{App, Overlay};
use super::super::event::Event;
use super::super::screens::dashboard::Tally;
use super::{dashboard_app, fixtures, snap};
use crate::sync::{CycleKind, CycleStats, EngineState, SyncEvent, Totals};

/// The dashboard's text rows at 80×24: each fits, or says it was cut; returns them.
fn rows_fit_at_80(app: &App, rows: u16) -> Vec<String> {
    let mut term = match Terminal::new(TestBackend::new(80, 24)) {
        Ok(t) => t,
        Err(e) => match e {},
    };
    assert!(term.draw(|f| super::super::view::render(app, f)).is_ok());
    let buf = term.backend().buffer();
    (1..=rows)
        .map(|y| {
            let row: String = (0..80).map(|x| buf[(x, y)].symbol().to_owned()).collect();
            let last = buf[(79, y)].symbol();
            assert!(last == " " || last == "…", "row {y} is cut at 80 columns: {row:?}");
            row.trim_end().to_owned()
        })
        .collect()
}

/// The row labelled `label`: all of `counts` on it, or it ends with "…".
fn row_says(rows: &[String], label: &str, counts: &[&str]) {
    let Some(row) = rows.iter().find(|r| r.starts_with(label)) else {
        panic!("no {label} row: {rows:?}")
    };
    let whole = counts.iter().all(|c| row.contains(c));
    assert!(whole || row.ends_with('…'), "{label} left counts out silently: {row:?}");
}

/// Regression: "To date" (and the rows around it) cut at 80 columns without an ellipsis.
#[test]
fn dashboard_rows_fit_80_columns_with_3000_users() {
    let mut app = dashboard_app();
    app.handle(Event::Sync(SyncEvent::CycleStarted {
        cycle_id: 12,
        kind: CycleKind::Reconciliation,
        dry_run: false,
        totals: Totals {
            users: 3000,
            groups: 250,
            operations: 3250,
        },
    }));
    app.handle(Event::Sync(SyncEvent::Progress {
        cycle_id: 12,
        done: 1900,
        total: 3250,
    }));
    if let Some(r) = &mut app.dashboard.running {
        r.tally = Tally {
            created: 1234,
            updated: 567,
            disabled: 82,
            deleted: 3,
            skipped: 1000,
            failed: 17,
            ..Tally::default()
        };
    }
    let rows = rows_fit_at_80(&app, 8);
    row_says(&rows, "Counts", &["17", "1234", "567", "82", "3", "1000"]);
    snap("dashboard_3000_running", &app);
    app.handle(Event::Sync(SyncEvent::CycleFinished {
        cycle_id: 12,
        dry_run: false,
        stats: CycleStats {
            created: 1234,
            updated: 567,
            disabled: 82,
            deleted: 3,
            skipped: 1297,
            failed: 17,
            writes: 1886,
            duration_ms: 184_200,
            ..CycleStats::default()
        },
    }));
    app.handle(Event::Sync(SyncEvent::StateChanged(EngineState::Idle)));
    let mut history = fixtures::history();
    history.to_date = super::super::screens::dashboard::history::ToDate {
        cycles: 12,
        created: 3012,
        updated: 14_567,
        disabled: 182,
        deleted: 3,
        members_added: 0,
        members_removed: 0,
        writes: 17_764,
        failing: 17,
    };
    app.handle(Event::History(Ok(history)));
    let rows = rows_fit_at_80(&app, 6);
    row_says(
        &rows,
        "To date",
        &["12 cycles", "17", "3012", "14567", "182", "3", "17764"],
    );
    row_says(&rows, "Last", &["17", "1234", "567", "82", "3", "1297"]);
    snap("dashboard_3000_finished", &app);
}

/// Acceptance F22/N1: quarantined TooManyDeletes with 843 objects and 866 membership removals
/// held. The Status row says the quarantine and its one next attempt; the Held rows say what
/// is held and the way out; the Last row says the cycle's membership changes and what it
/// held; To date sums membership changes but never a held set.
#[test]
fn dashboard_quarantined_with_a_held_set() {
    let mut app = dashboard_app();
    app.handle(Event::Sync(SyncEvent::StateChanged(EngineState::Idle)));
    app.handle(Event::Sync(SyncEvent::NextRun {
        at: Some("2026-12-08T20:47:09Z".into()),
    }));
    app.handle(Event::Sync(SyncEvent::CycleFinished {
        cycle_id: 6,
        dry_run: false,
        stats: CycleStats {
            members_added: 4,
            members_removed: 2,
            skipped: 1935,
            failed: 53,
            staged_deletes: 843,
            duration_ms: 3500,
            ..CycleStats::default()
        },
    }));
    let mut history = fixtures::history();
    history.to_date.members_added = 1188;
    history.to_date.members_removed = 12;
    history.quarantine = Some(crate::store::QuarantineRow {
        reason: "TooManyDeletes".into(),
        since: "2026-12-07T20:46:18Z".into(),
        next_attempt: Some("2026-12-08T20:47:09Z".into()),
        series_count: 4,
        detail: String::new(),
    });
    history.held = crate::sync::HeldCounts {
        disable: 792,
        deactivate: 51,
        delete: 0,
        remove_member: 866,
    };
    app.handle(Event::History(Ok(history)));
    let rows = rows_fit_at_80(&app, 8);
    row_says(
        &rows,
        "Status",
        &["quarantined: TooManyDeletes", "next attempt Dec 08 20:47 UTC"],
    );
    row_says(
        &rows,
        "Held",
        &["792 disables", "51 deactivations", "866 membership removals"],
    );
    row_says(&rows, "Last", &["53", "+mem 4", "-mem 2", "held 843"]);
    snap("dashboard_quarantined_held", &app);
    // Acceptance F23: D asks first, naming the held set and the instance (default no).
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    app.handle(Event::Key(KeyEvent::new(KeyCode::Char('D'), KeyModifiers::NONE)));
    assert!(matches!(app.shared.overlay, Overlay::ConfirmAllowDeletes { .. }));
    snap("dashboard_allow_deletes_confirm", &app);
}

/// Issue 14 (acceptance F21 display part): a dry run whose plan the deletion threshold holds
/// part of. The header counts no held op as a delete and says what is held; the action
/// filter `held` lists the held ops; the apply question names them and the quarantine.
#[test]
fn a_plan_with_held_ops_says_them_filters_them_and_the_apply_question_names_them() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use crate::sync::ObjectType;
    use crate::sync::op::{Held, OpKind};
    let held = |held, object_type, name: &str| {
        let mut op = fixtures::op(OpKind::StagedDelete { held }, name);
        op.object_type = object_type;
        op
    };
    let mut ops = fixtures::plan()
        .ops()
        .map(std::borrow::Cow::into_owned)
        .collect::<Vec<_>>();
    ops.extend([
        held(Held::Disable, ObjectType::User, "lee.gu@contoso.com"),
        held(Held::Disable, ObjectType::User, "lynne.robbins@contoso.com"),
        held(Held::Deactivate, ObjectType::Group, "Audit Team"),
        held(
            Held::RemoveMember,
            ObjectType::Membership,
            "Audit Team / lee.gu@contoso.com",
        ),
        held(
            Held::RemoveMember,
            ObjectType::Membership,
            "Sales / lynne.robbins@contoso.com",
        ),
    ]);
    let plan = std::sync::Arc::new(crate::sync::Plan::new(14, CycleKind::Incremental, ops));
    let mut app = dashboard_app();
    for event in [
        SyncEvent::CycleStarted {
            cycle_id: 9,
            kind: CycleKind::Incremental,
            dry_run: true,
            totals: Totals::default(),
        },
        SyncEvent::PlanReady { cycle_id: 9, plan },
        SyncEvent::CycleFinished {
            cycle_id: 9,
            dry_run: true,
            stats: CycleStats::default(),
        },
    ] {
        app.handle(Event::Sync(event));
    }
    let key = |app: &mut App, code| app.handle(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    key(&mut app, KeyCode::Char('a'));
    snap("plan_held", &app);
    // f to the action "held": only the five held ops.
    while super::super::screens::plan::FILTERS[app.plan.view.filter] != "held" {
        key(&mut app, KeyCode::Char('f'));
    }
    assert_eq!(app.plan.visible().len(), 5);
    snap("plan_held_filter", &app);
    key(&mut app, KeyCode::Char('A'));
    let Overlay::ConfirmApply { summary, .. } = &app.shared.overlay else {
        panic!("no apply question: {:?}", app.shared.overlay)
    };
    assert!(
        summary.ends_with(
            "Held by the deletion threshold, not applied: 2 disables, 1 deactivation, 2 membership removals. Applying quarantines the job (TooManyDeletes) until D (or nowsync allow-deletes in a shell) applies them."
        ),
        "{summary}"
    );
    snap("plan_held_apply_confirm", &app);
}

/// Acceptance N7: a cycle that failed before it processed any object (the instance
/// hibernating) is the Last row, with its failure and the way out, not the cycle before it.
#[test]
fn a_cycle_that_failed_before_any_object_is_the_last_row_with_its_reason() {
    let mut app = dashboard_app();
    app.handle(Event::Sync(SyncEvent::CycleFinished {
        cycle_id: 12,
        dry_run: false,
        stats: CycleStats {
            created: 3,
            duration_ms: 2100,
            ..CycleStats::default()
        },
    }));
    app.handle(Event::Sync(SyncEvent::CycleReading {
        cycle_id: 13,
        kind: CycleKind::Incremental,
        dry_run: false,
    }));
    app.handle(Event::Sync(SyncEvent::Error {
        cycle_id: Some(13),
        kind: crate::sync::ErrorKind::Connection,
        message: "ServiceNow: the developer instance is hibernating: wake it by signing in".into(),
    }));
    let rows = rows_fit_at_80(&app, 6);
    let Some(last) = rows.iter().find(|r| r.starts_with("Last")) else {
        panic!("no Last row: {rows:?}")
    };
    // At 80 columns the reason is cut (marked); the Status row and `nowsync logs --cycle 13`
    // say it whole.
    assert!(
        last.contains("cycle 13 (incremental, 0.0 s): failed: ServiceNow: the developer ins") && last.ends_with('…'),
        "{last}"
    );
}
