//! Acceptance F23: `D` applies what the deletion threshold holds, as `nowsync allow-deletes`
//! does. It asks first, naming the held set and the instance; only `y` sends the engine
//! `AllowDeletes` (the console's own engine or the one attached to: the same command); `n`
//! and Esc send nothing. With nothing held or no engine serving the profile it is refused
//! and not offered in the key line.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::quarantine_tests::{console, quarantined_store, rows};
use super::{App, Overlay};
use crate::sync::{Command, EngineState, HeldCounts, SyncEvent};
use crate::tui::effect::Effect;
use crate::tui::event::Event;
use crate::tui::screens::Screen;

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.handle(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

/// The console's own engine, idle, on a profile quarantined with a held set.
fn quarantined() -> App {
    let mut app = console();
    app.handle(Event::EngineStarted(Ok(())));
    app.handle(Event::Sync(SyncEvent::StateChanged(EngineState::Idle)));
    app.handle(Event::History(Ok(quarantined_store())));
    app
}

/// Whether any effect sends the engine `AllowDeletes`.
fn allows(effects: &[Effect]) -> bool {
    effects
        .iter()
        .any(|e| matches!(e, Effect::Engine(Command::AllowDeletes)))
}

fn key_line(app: &App) -> Vec<&'static str> {
    crate::tui::chrome::keys(app).into_iter().map(|(k, _)| k).collect()
}

const QUESTION: &str = "Apply the held set: 792 disables, 51 deactivations, 866 membership removals to https://dev1.service-now.com? This ends the TooManyDeletes quarantine.";

#[test]
fn d_asks_naming_the_held_set_and_the_instance_and_y_sends_allow_deletes() {
    let mut app = quarantined();
    assert_eq!(key_line(&app).first(), Some(&"D"), "the way out comes first");
    let effects = key(&mut app, KeyCode::Char('D'));
    assert!(effects.is_empty(), "nothing is sent before y: {effects:?}");
    let Overlay::ConfirmAllowDeletes { text, .. } = &app.shared.overlay else {
        panic!("no question: {:?}", app.shared.overlay);
    };
    assert!(text.starts_with(QUESTION), "{text}");
    // The box shows the question whole, at the smallest size too.
    let shown = rows(&app, 80, 24).join("\n");
    assert!(shown.contains("Apply the held set: 792 disables"), "{shown}");
    assert!(shown.contains("y: yes   n or Esc: no"), "{shown}");
    // Keys other than y do not confirm (No is the default).
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    assert!(matches!(app.shared.overlay, Overlay::ConfirmAllowDeletes { .. }));
    let effects = key(&mut app, KeyCode::Char('y'));
    assert!(allows(&effects), "{effects:?}");
    assert!(matches!(app.shared.overlay, Overlay::None));
    assert_eq!(app.shared.status, "applying the staged deletions");
}

#[test]
fn n_or_esc_on_the_question_sends_nothing() {
    for no in [KeyCode::Char('n'), KeyCode::Char('N'), KeyCode::Esc] {
        let mut app = quarantined();
        key(&mut app, KeyCode::Char('D'));
        let effects = key(&mut app, no);
        assert!(effects.is_empty(), "{no:?}: {effects:?}");
        assert!(matches!(app.shared.overlay, Overlay::None), "{no:?}");
        // The held set is still shown, and D still offered.
        assert_eq!(app.dashboard.held.total(), 792 + 51 + 866);
        assert_eq!(key_line(&app).first(), Some(&"D"));
    }
}

#[test]
fn d_works_from_the_plan_screen_and_an_attached_console_sends_the_same_command() {
    let mut app = quarantined();
    app.shared.screen = Screen::Plan;
    assert_eq!(key_line(&app).first(), Some(&"D"));
    key(&mut app, KeyCode::Char('D'));
    assert!(allows(&key(&mut app, KeyCode::Char('y'))));

    // Attached: the door carries the same `AllowDeletes` (`Effect::Engine` goes through it).
    let mut app = console();
    app.handle(Event::Attached(Box::new(crate::door::Attached {
        engine: crate::door::proto::EngineInfo {
            profile: "default".into(),
            pid: 4242,
            since: "2026-12-07T20:40:00Z".into(),
            started_by: "nowsync run".into(),
            socket: "/d/default.sock".into(),
        },
        state: EngineState::Idle,
        backlog: Vec::new(),
        replay: crate::door::replay::Replay::default(),
    })));
    app.handle(Event::History(Ok(quarantined_store())));
    key(&mut app, KeyCode::Char('D'));
    assert!(matches!(app.shared.overlay, Overlay::ConfirmAllowDeletes { .. }));
    assert!(allows(&key(&mut app, KeyCode::Char('y'))));

    // The engine attached to goes: D is refused, and neither offered nor named.
    app.handle(Event::Sync(SyncEvent::StateChanged(EngineState::Stopped)));
    assert!(app.engine_has_gone());
    assert!(!key_line(&app).contains(&"D"), "{:?}", key_line(&app));
    assert!(key(&mut app, KeyCode::Char('D')).is_empty());
    assert!(matches!(app.shared.overlay, Overlay::None));
    assert!(
        app.shared.status.starts_with("No engine serves this profile now"),
        "{}",
        app.shared.status
    );
    let shown = rows(&app, 120, 40);
    assert!(
        shown.iter().any(|r| r
            .trim_start()
            .starts_with("nowsync allow-deletes (in a shell) applies them")),
        "{shown:#?}"
    );
}

#[test]
fn with_nothing_held_or_no_engine_d_is_refused_and_not_offered() {
    // Nothing held.
    let mut app = console();
    app.handle(Event::EngineStarted(Ok(())));
    app.handle(Event::Sync(SyncEvent::StateChanged(EngineState::Idle)));
    assert!(!key_line(&app).contains(&"D"), "{:?}", key_line(&app));
    assert!(key(&mut app, KeyCode::Char('D')).is_empty());
    assert!(matches!(app.shared.overlay, Overlay::None));
    assert_eq!(
        app.shared.status,
        "Nothing is held by the deletion threshold: D has nothing to apply."
    );

    // Held, but no engine has started.
    let mut app = console();
    app.handle(Event::History(Ok(quarantined_store())));
    assert!(!key_line(&app).contains(&"D"), "{:?}", key_line(&app));
    assert!(key(&mut app, KeyCode::Char('D')).is_empty());
    assert!(matches!(app.shared.overlay, Overlay::None));
    assert!(
        app.shared.status.starts_with("No engine serves this profile:"),
        "{}",
        app.shared.status
    );
}

#[test]
fn a_held_set_that_changed_under_the_question_is_not_applied() {
    let mut app = quarantined();
    key(&mut app, KeyCode::Char('D'));
    // A cycle (or a provision on demand) changed the held set while the question was open.
    let mut store = quarantined_store();
    store.held = HeldCounts {
        disable: 791,
        ..store.held
    };
    app.handle(Event::History(Ok(store)));
    let effects = key(&mut app, KeyCode::Char('y'));
    assert!(!allows(&effects), "{effects:?}");
    assert!(
        app.shared.status.contains("The held set changed since the question"),
        "{}",
        app.shared.status
    );
    assert!(app.shared.status.contains("791 disables"), "{}", app.shared.status);
}
