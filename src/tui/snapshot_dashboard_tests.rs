//! The dashboard at the size of a real tenant (3,000 users): every text row fits 80 columns
//! or ends with "…" (the acceptance test found "To date" cut at 80 columns without one).

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::super::app::App;
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
