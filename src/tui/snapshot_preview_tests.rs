//! The settings screen's save preview (issue 14: a dry run of the changed rules before the
//! save): while its box is open the key line shows the box's keys, not the settings screen's,
//! and the status line stops saying "planning" once the answer is in the box.

use crossterm::event::KeyCode;

use super::{dashboard_app, key, snap};
use crate::sync::{Answer, Command, SyncEvent};
use crate::tui::app::{App, Overlay, Screen};
use crate::tui::effect::Effect;
use crate::tui::event::Event;

/// The settings screen with the scope switched to all and S pressed: the preview asked.
fn scope_switch_previewed() -> (App, u64) {
    let mut app = dashboard_app();
    let text = "[profiles.demo.servicenow]\ninstance = \"dev1\"\nusername = \"admin\"\n";
    let config = crate::config::Config::parse(text, std::path::Path::new("c.toml")).unwrap();
    let profile = config.profile("demo").unwrap();
    app.settings.rows = crate::tui::screens::settings::rows(profile);
    key(&mut app, KeyCode::Char('t'));
    assert_eq!(app.shared.screen, Screen::Settings);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Right);
    let effects = app.handle(Event::Key(KeyCode::Char('S').into()));
    let [Effect::Engine(Command::PreviewPlan { request, .. })] = effects.as_slice() else {
        panic!("a scope switch is previewed first: {effects:?}")
    };
    assert!(matches!(app.shared.overlay, Overlay::Preview));
    (app, *request)
}

#[test]
fn the_preview_box_has_its_own_keys_and_status() {
    let (mut app, request) = scope_switch_previewed();
    assert_eq!(
        crate::tui::chrome::keys(&app),
        vec![("n/Esc", "cancel")],
        "while it plans, only cancel works"
    );
    assert!(app.shared.status.contains("planning"), "{}", app.shared.status);
    snap("settings_preview_planning", &app);

    app.handle(Event::Sync(SyncEvent::Answer {
        request,
        answer: Answer::Preview(super::fixtures::plan()),
    }));
    assert_eq!(crate::tui::chrome::keys(&app), vec![("y", "save"), ("n/Esc", "cancel")]);
    assert!(
        !app.shared.status.contains("planning") && app.shared.status.contains("y saves"),
        "the answer replaces the planning status: {}",
        app.shared.status
    );
    snap("settings_preview", &app);

    key(&mut app, KeyCode::Esc);
    assert!(matches!(app.shared.overlay, Overlay::None));
    assert!(
        crate::tui::chrome::keys(&app).contains(&("S", "save")),
        "the settings screen's keys again"
    );
}

/// A failed dry run is an answer too: the status says so instead of "planning".
#[test]
fn a_failed_preview_replaces_the_planning_status() {
    let (mut app, request) = scope_switch_previewed();
    app.handle(Event::Sync(SyncEvent::Answer {
        request,
        answer: Answer::Failed(crate::sync::AnswerError {
            kind: crate::sync::ErrorKind::Connection,
            message: "Graph did not answer".into(),
        }),
    }));
    assert!(!app.shared.status.contains("planning"), "{}", app.shared.status);
    assert_eq!(crate::tui::chrome::keys(&app), vec![("y", "save"), ("n/Esc", "cancel")]);
}

/// Regression (acceptance pass): "✓ saving…" showed under the open preview, before anything
/// was saved. Behind the preview the editor says nothing of saving; after `y` it does.
#[test]
fn saving_is_said_after_the_confirm_not_behind_the_preview() {
    let (mut app, request) = scope_switch_previewed();
    app.handle(Event::Sync(SyncEvent::Answer {
        request,
        answer: Answer::Preview(super::fixtures::plan()),
    }));
    let message = |app: &App| app.settings.editor.as_ref().and_then(|e| e.message.clone());
    assert_eq!(message(&app), None, "nothing is being saved behind the preview");
    let effects = app.handle(Event::Key(KeyCode::Char('y').into()));
    assert!(
        matches!(effects.as_slice(), [Effect::SaveSettings { .. }]),
        "{effects:?}"
    );
    assert_eq!(message(&app), Some(Ok("saving…".to_owned())));
}

/// Regression (acceptance pass at 80×24): a number field's error pushed the `secrets.store`
/// row off the screen. With the error shown every row is on screen.
#[test]
fn a_number_fields_error_leaves_every_row_on_screen_at_80x24() {
    let mut app = dashboard_app();
    let text = "[profiles.demo.servicenow]\ninstance = \"dev1\"\nusername = \"admin\"\n";
    let config = crate::config::Config::parse(text, std::path::Path::new("c.toml")).unwrap();
    let profile = config.profile("demo").unwrap();
    app.settings.rows = crate::tui::screens::settings::rows(profile);
    key(&mut app, KeyCode::Char('t'));
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char('e'));
    key(&mut app, KeyCode::Char('x'));
    let effects = app.handle(Event::Key(KeyCode::Enter.into()));
    assert!(effects.is_empty(), "{effects:?}");
    let message = app.settings.editor.as_ref().and_then(|e| e.message.clone());
    assert!(
        matches!(&message, Some(Err(m)) if m.contains("takes a whole number")),
        "{message:?}"
    );
    let mut term = match ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)) {
        Ok(t) => t,
        Err(e) => match e {},
    };
    assert!(term.draw(|f| crate::tui::view::render(&app, f)).is_ok());
    let screen: String = term.backend().buffer().content().iter().map(|c| c.symbol()).collect();
    for row in [
        "Log retention (days)",
        "Delete action (groups)",
        "takes a whole number",
        "provisioning.mappings",
        "servicenow.page_size",
        "secrets.store",
        "servicenow.auth",
    ] {
        assert!(screen.contains(row), "{row} is off screen");
    }
    snap("settings_number_error", &app);
}
