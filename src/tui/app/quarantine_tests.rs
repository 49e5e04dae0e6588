//! A console opened (or attached) on a profile already quarantined shows the quarantine, its
//! reason, what the deletion threshold holds and the real next attempt from the moment it
//! opens (acceptance N1: "on (idle) · next run <a time in the past>" until its own first
//! cycle), and says paused while scheduled cycles are paused (F27).

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::App;
use crate::store::QuarantineRow;
use crate::sync::{EngineState, HeldCounts, SyncEvent};
use crate::tui::effect::Effect;
use crate::tui::event::Event;
use crate::tui::screens::Screen;
use crate::tui::screens::dashboard::history::History;
use crate::tui::theme::Theme;

/// The store of a profile quarantined TooManyDeletes, holding 792 disables, 51 deactivations
/// and 866 membership removals, as the console reads it.
pub(super) fn quarantined_store() -> History {
    History {
        quarantine: Some(QuarantineRow {
            reason: "TooManyDeletes".into(),
            since: "2026-12-07T20:46:18Z".into(),
            next_attempt: Some("2026-12-08T20:47:09Z".into()),
            series_count: 4,
            detail: "held by the deletion threshold (300): 792 disables".into(),
        }),
        held: HeldCounts {
            disable: 792,
            deactivate: 51,
            delete: 0,
            remove_member: 866,
        },
        ..History::default()
    }
}

/// A console on profile `default` (provisioning on, every 40 minutes), on its dashboard.
pub(super) fn console() -> App {
    let mut app = App::new("default", Theme::monochrome(), false);
    app.shared.screen = Screen::Dashboard;
    let text = "[profiles.default.servicenow]\ninstance = \"dev1\"\nusername = \"admin\"\n\
                [profiles.default.provisioning]\nenabled = true\ninterval_minutes = 40\n";
    let config = crate::config::Config::parse(text, std::path::Path::new("c.toml")).unwrap();
    app.settings.editor = Some(crate::tui::screens::settings::Settings::new(
        config.profile("default").unwrap(),
        std::path::PathBuf::from("c.toml"),
        text.to_owned(),
    ));
    app
}

/// The dashboard's rows at `w`×`h`, trimmed.
pub(super) fn rows(app: &App, w: u16, h: u16) -> Vec<String> {
    let mut term = match Terminal::new(TestBackend::new(w, h)) {
        Ok(t) => t,
        Err(e) => match e {},
    };
    assert!(term.draw(|f| crate::tui::view::render(app, f)).is_ok());
    let buf = term.backend().buffer();
    (0..h)
        .map(|y| {
            let row: String = (0..w).map(|x| buf[(x, y)].symbol().to_owned()).collect();
            row.trim_end().to_owned()
        })
        .collect()
}

fn row<'a>(rows: &'a [String], label: &str) -> &'a str {
    rows.iter()
        .find(|r| r.starts_with(label))
        .map_or_else(|| panic!("no {label} row: {rows:#?}"), String::as_str)
}

/// What the dashboard must say of the quarantined store, at 120 columns.
fn shows_the_quarantine(app: &App) {
    let rows = rows(app, 120, 40);
    assert_eq!(
        row(&rows, "Status"),
        "Status     quarantined: TooManyDeletes · next attempt Dec 08 20:47 UTC"
    );
    assert_eq!(
        row(&rows, "Held"),
        "Held       by the deletion threshold: 792 disables, 51 deactivations, 866 membership removals"
    );
    assert!(
        rows.iter().any(|r| r
            == "           D applies them (after a confirm) · or nowsync allow-deletes in a shell · or fix the rules and run a cycle (r)"),
        "{rows:#?}"
    );
}

#[test]
fn a_console_whose_own_engine_opens_a_quarantined_profile_shows_the_quarantine_at_once() {
    let mut app = console();
    let effects = app.handle(Event::EngineStarted(Ok(())));
    assert!(effects.iter().any(|e| matches!(e, Effect::LoadHistory)), "{effects:?}");
    // The engine's first words: idle, and its next cycle (the quarantine's back-off, tomorrow).
    app.handle(Event::Sync(SyncEvent::StateChanged(EngineState::Idle)));
    app.handle(Event::Sync(SyncEvent::NextRun {
        at: Some("2026-12-08T20:47:09Z".into()),
    }));
    app.handle(Event::History(Ok(quarantined_store())));
    assert_eq!(app.dashboard.status(), "quarantined: TooManyDeletes");
    shows_the_quarantine(&app);
    // The engine's later events do not forget it.
    app.handle(Event::Sync(SyncEvent::StateChanged(EngineState::Idle)));
    shows_the_quarantine(&app);
}

#[test]
fn a_console_attaching_after_the_quarantine_began_shows_it_at_once() {
    let mut app = console();
    let effects = app.handle(Event::Attached(Box::new(crate::door::Attached {
        engine: crate::door::proto::EngineInfo {
            profile: "default".into(),
            pid: 4242,
            since: "2026-12-07T20:40:00Z".into(),
            started_by: "nowsync run".into(),
            socket: "/d/default.sock".into(),
        },
        state: EngineState::Idle,
        backlog: Vec::new(),
        replay: crate::door::replay::Replay {
            next_run: Some(crate::door::replay::NextRun {
                at: Some("2026-12-08T20:47:09Z".into()),
            }),
            ..Default::default()
        },
    })));
    assert!(effects.iter().any(|e| matches!(e, Effect::LoadHistory)), "{effects:?}");
    // Acceptance N16: until the store is read, the first frames say so, never "on (idle)".
    let shown = rows(&app, 120, 40);
    let status = row(&shown, "Status");
    assert!(status.starts_with("Status     reading the engine's state…"), "{status}");
    app.handle(Event::History(Ok(quarantined_store())));
    shows_the_quarantine(&app);
}

/// Acceptance N16, the other way: a profile with no quarantine says "on (idle)" once the
/// store says so, and a store that cannot be read leaves the engine's own word.
#[test]
fn the_state_is_said_once_the_store_is_read_or_could_not_be() {
    let mut app = console();
    app.handle(Event::EngineStarted(Ok(())));
    app.handle(Event::Sync(SyncEvent::StateChanged(EngineState::Idle)));
    assert_eq!(app.dashboard.status(), "reading the engine's state…");
    app.handle(Event::History(Ok(History::default())));
    assert_eq!(app.dashboard.status(), "on (idle)");

    let mut app = console();
    app.handle(Event::EngineStarted(Ok(())));
    app.handle(Event::Sync(SyncEvent::StateChanged(EngineState::Idle)));
    app.handle(Event::History(Err(crate::store::StoreError::Schema {
        path: "default.state.db".into(),
        found: 99,
        expected: 1,
    }
    .into())));
    assert_eq!(app.dashboard.status(), "on (idle)");
}

/// Acceptance N15: a provision on demand (or allow-deletes, or a cycle) changed the held set:
/// the engine says the counts now, and the Held row and D's question follow.
#[test]
fn the_held_row_follows_the_held_set_as_the_engine_says_it() {
    let mut app = console();
    app.handle(Event::EngineStarted(Ok(())));
    app.handle(Event::Sync(SyncEvent::StateChanged(EngineState::Idle)));
    app.handle(Event::History(Ok(quarantined_store())));
    let held = HeldCounts {
        disable: 791,
        deactivate: 51,
        delete: 0,
        remove_member: 862,
    };
    app.handle(Event::Sync(SyncEvent::Held { held }));
    let shown = rows(&app, 120, 40);
    assert_eq!(
        row(&shown, "Held"),
        "Held       by the deletion threshold: 791 disables, 51 deactivations, 862 membership removals"
    );
    app.handle(Event::Key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char('D'),
        crossterm::event::KeyModifiers::NONE,
    )));
    let super::Overlay::ConfirmAllowDeletes { text, .. } = &app.shared.overlay else {
        panic!("no question: {:?}", app.shared.overlay);
    };
    assert!(
        text.starts_with("Apply the held set: 791 disables, 51 deactivations, 862 membership removals"),
        "{text}"
    );
}

#[test]
fn the_quarantine_ending_clears_the_held_rows_and_paused_is_said() {
    let mut app = console();
    app.handle(Event::EngineStarted(Ok(())));
    app.handle(Event::Sync(SyncEvent::StateChanged(EngineState::Idle)));
    app.handle(Event::History(Ok(quarantined_store())));
    // Paused: the row says so, and no next attempt (none is due by itself).
    app.handle(Event::Sync(SyncEvent::Paused { paused: true }));
    app.handle(Event::Sync(SyncEvent::StateChanged(EngineState::Paused)));
    let shown = rows(&app, 120, 40);
    assert_eq!(
        row(&shown, "Status"),
        "Status     quarantined: TooManyDeletes · paused: scheduled cycles wait; p resumes"
    );
    // allow-deletes applied the held set: the quarantine ends, nothing is held.
    app.handle(Event::Sync(SyncEvent::Quarantine {
        cycle_id: Some(9),
        reason: None,
        next_attempt: None,
    }));
    assert_eq!(app.dashboard.held, HeldCounts::default());
    let shown = rows(&app, 120, 40);
    assert!(!shown.iter().any(|r| r.starts_with("Held")), "{shown:#?}");
    assert_eq!(
        row(&shown, "Status"),
        "Status     enabled · paused: scheduled cycles wait; p resumes"
    );
}

/// Acceptance F29/F2: a scope or filter change's preview is the plan a cycle would make, the
/// deletion threshold applied: it says when the threshold would hold the change, and when a
/// change (a switch back) ends a TooManyDeletes quarantine.
#[test]
fn a_changes_preview_says_the_threshold_would_hold_it_or_that_it_ends_the_quarantine() {
    use crate::sync::op::{Held, Op, OpKind};
    use crate::sync::{CycleKind, ObjectType, Plan};
    let op = |kind, object_type| Op {
        object_type,
        source_id: "id".into(),
        source_name: "n".into(),
        target_id: None,
        member_id: None,
        kind,
        steps: std::borrow::Cow::Borrowed(&[]),
        hash: Default::default(),
    };
    let held = Plan::new(
        0,
        CycleKind::Initial,
        vec![
            op(OpKind::StagedDelete { held: Held::Disable }, ObjectType::User),
            op(OpKind::StagedDelete { held: Held::Deactivate }, ObjectType::Group),
            op(
                OpKind::StagedDelete {
                    held: Held::RemoveMember,
                },
                ObjectType::Membership,
            ),
        ],
    );
    let said = super::pending::effect_text(&held, None);
    assert_eq!(
        said[0],
        "The deletion threshold would hold it: 1 disable, 1 deactivation, 1 membership removal — none written; the next cycle is quarantined (TooManyDeletes) until D (or nowsync allow-deletes in a shell) applies them."
    );
    // Held ops are no deletes.
    assert_eq!(
        said[1],
        "This will disable 0 users and remove 0 memberships; 0 deletes."
    );
    let back = Plan::new(0, CycleKind::Initial, Vec::new());
    let said = super::pending::effect_text(&back, Some("792 disables"));
    assert_eq!(
        said[0],
        "This ends the TooManyDeletes quarantine: the next cycle drops the held set (792 disables) and does only what is shown here."
    );
    assert_eq!(super::pending::effect_text(&back, None).len(), 2);
}
