//! Regressions from the acceptance test of issue 14 (the console used as an admin would, in
//! tmux at 120×40, 80×24 and 60×15): state-machine tests, keys and engine events in, state and
//! effects out.

use std::path::PathBuf;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::{App, Overlay, Screen};
use super::effect::Effect;
use super::event::Event;
use super::screens::settings::{self, MAPPING_FIELDS};
use super::theme::Theme;
use crate::config::{Config, edit};
use crate::sync::{Answer, Command, CycleKind, EngineState, Plan, SyncEvent};

const CONFIG: &str = "[profiles.demo.servicenow]\ninstance = \"dev1\"\nusername = \"admin\"\n";
const PATH: &str = "/etc/nowsync/config.toml";

/// A saved profile, its engine idle, on the dashboard.
fn app() -> App {
    let mut app = App::new("demo", Theme::monochrome(), false);
    let config = Config::parse(CONFIG, std::path::Path::new(PATH)).unwrap();
    app.settings = settings::State::of(config.profile("demo").unwrap(), PathBuf::from(PATH), CONFIG.to_owned());
    app.handle(Event::EngineStarted(Ok(())));
    app.handle(Event::Sync(SyncEvent::StateChanged(EngineState::Idle)));
    app.shared.status.clear();
    app
}

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.handle(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn ctrl_c(app: &mut App) -> Vec<Effect> {
    app.handle(Event::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)))
}

/// The Delete action (users) row's value as drawn.
fn delete_action(app: &App) -> String {
    let e = app.settings.editor.as_ref().unwrap();
    settings::values(&app.mappings.doc, &e.base)[1].clone()
}

/// Regression: toggling the Delete action started a save whose preview took the next keys,
/// and the toggle could not be toggled back.
#[test]
fn the_delete_action_toggles_back_and_forth_and_saves_only_after_its_preview() {
    let mut app = app();
    key(&mut app, KeyCode::Char('7'));
    for _ in 0..=MAPPING_FIELDS {
        key(&mut app, KeyCode::Down);
    }
    let before = delete_action(&app);
    assert!(key(&mut app, KeyCode::Char(' ')).is_empty(), "a toggle saves nothing");
    assert!(matches!(app.shared.overlay, Overlay::None));
    let off = delete_action(&app);
    assert_ne!(off, before);
    assert!(app.settings.dirty());
    // The next keys act on the screen: down, up, and the toggle back.
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Up);
    assert_eq!(app.settings.editor.as_ref().unwrap().focus, MAPPING_FIELDS + 1);
    assert!(key(&mut app, KeyCode::Right).is_empty());
    assert_eq!(delete_action(&app), before, "toggled back");
    assert!(
        !app.settings.dirty() && !app.mappings.doc.draft.dirty(),
        "back as saved"
    );
    assert!(app.quit_warning().is_none());

    // Off again, and S: what it does is shown first; Esc cancels and the edit stays.
    key(&mut app, KeyCode::Left);
    let effects = key(&mut app, KeyCode::Char('S'));
    let [Effect::Engine(Command::PreviewPlan { request, profile })] = effects.as_slice() else {
        panic!("a change of the Delete action is previewed first: {effects:?}")
    };
    assert!(!profile.mappings.user.actions.delete);
    let request = *request;
    assert!(matches!(app.shared.overlay, Overlay::Preview));
    key(&mut app, KeyCode::Esc);
    assert!(matches!(app.shared.overlay, Overlay::None));
    assert!(app.shared.status.contains("not saved"), "{}", app.shared.status);
    assert_eq!(delete_action(&app), off, "the edit stays, unsaved");
    assert!(app.settings.dirty());
    // A late answer to the cancelled preview changes nothing.
    let plan = Arc::new(Plan::new(1, CycleKind::Incremental, Vec::new()));
    app.handle(Event::Sync(SyncEvent::Answer {
        request,
        answer: Answer::Preview(plan.clone()),
    }));
    assert!(matches!(app.shared.overlay, Overlay::None));

    // S again, the preview answered, y: the mapping file is saved.
    let effects = key(&mut app, KeyCode::Char('S'));
    let [Effect::Engine(Command::PreviewPlan { request, .. })] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    app.handle(Event::Sync(SyncEvent::Answer {
        request: *request,
        answer: Answer::Preview(plan),
    }));
    let effects = key(&mut app, KeyCode::Char('y'));
    let [Effect::SaveMappings(save)] = effects.as_slice() else {
        panic!("y saves: {effects:?}")
    };
    assert!(save.text.contains("delete = false"), "{}", save.text);
    let config = save
        .config
        .clone()
        .map(|c| edit::apply(CONFIG, &c.path, &c.profile, &c.edits).unwrap());
    app.handle(Event::MappingsSaved(Ok(crate::tui::event::MappingsWritten {
        text: save.text.clone(),
        merged: false,
        config,
    })));
    assert!(!app.settings.dirty());
    assert_eq!(delete_action(&app), off);
    assert_eq!(app.shared.screen, Screen::Settings);
}

/// Leaving the settings screen and dropping its edits drops a toggled row too.
#[test]
fn dropping_the_settings_edits_drops_a_toggled_row() {
    let mut app = app();
    key(&mut app, KeyCode::Char('7'));
    for _ in 0..MAPPING_FIELDS {
        key(&mut app, KeyCode::Down);
    }
    key(&mut app, KeyCode::Char(' '));
    assert!(app.mappings.doc.draft.file.skip_out_of_scope_deletions);
    key(&mut app, KeyCode::Esc);
    assert!(matches!(app.shared.overlay, Overlay::ConfirmLeave));
    key(&mut app, KeyCode::Char('y'));
    assert_eq!(app.shared.screen, Screen::Dashboard);
    assert!(!app.mappings.doc.draft.file.skip_out_of_scope_deletions);
    assert!(!app.settings.dirty() && !app.mappings.doc.draft.dirty());
}

/// Regression: at 60×15 `q` opened a quit question that was not drawn and then took keys.
#[test]
fn no_key_but_ctrl_c_acts_behind_the_too_small_screen() {
    let mut app = app();
    key(&mut app, KeyCode::Char('7'));
    key(&mut app, KeyCode::Char(' '));
    assert!(app.settings.dirty(), "unsaved edits: quitting asks");
    app.handle(Event::Resize(60, 15));
    for code in [
        KeyCode::Char('q'),
        KeyCode::Esc,
        KeyCode::Char('y'),
        KeyCode::Char('1'),
        KeyCode::F(1),
    ] {
        assert!(key(&mut app, code).is_empty(), "{code:?}");
        assert!(
            matches!(app.shared.overlay, Overlay::None),
            "{code:?}: {:?}",
            app.shared.overlay
        );
    }
    assert_eq!(app.shared.screen, Screen::Settings);
    assert!(!app.quit);
    // Ctrl-C quits at once, without a question nobody can see.
    let effects = ctrl_c(&mut app);
    assert!(app.quit && matches!(effects.as_slice(), [Effect::Quit]), "{effects:?}");
}

/// The screen as drawn at `width`×40, one string.
fn drawn(app: &App, width: u16) -> String {
    let mut term = match ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, 40)) {
        Ok(t) => t,
        Err(e) => match e {},
    };
    assert!(term.draw(|f| super::view::render(app, f)).is_ok());
    let buffer = term.backend().buffer();
    buffer.content().iter().map(|c| c.symbol()).collect()
}

/// Regression (acceptance pass): with the Delete action toggled off, its explanation read
/// "unsaved: Enter saves" (now S). It says what off does; "unsaved" only while an edit is unsaved.
#[test]
fn the_delete_actions_off_says_what_off_does_and_unsaved_only_when_it_is() {
    let mut app = app();
    key(&mut app, KeyCode::Char('7'));
    for _ in 0..=MAPPING_FIELDS {
        key(&mut app, KeyCode::Down);
    }
    let screen = drawn(&app, 120);
    assert!(screen.contains("On: users purged in Entra are disabled until deprovision_users = \"delete\"."));
    assert!(!screen.contains("unsaved"), "{screen}");
    key(&mut app, KeyCode::Char(' '));
    let screen = drawn(&app, 120);
    assert!(
        screen.contains("Off: users purged in Entra or leaving scope are disabled, never deleted. · unsaved: S saves"),
        "{screen}"
    );
    key(&mut app, KeyCode::Char(' '));
    assert!(!drawn(&app, 120).contains("unsaved"), "toggled back: nothing unsaved");
}

/// F11: after a save, an edit taken back to the saved value (25 → 251 → 25) counted as
/// unsaved, and leaving asked "unsaved edits"; the saved field also kept the keys.
#[test]
fn a_field_changed_back_to_its_saved_value_is_no_unsaved_edit() {
    let mut app = app();
    key(&mut app, KeyCode::Char('7'));
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::End);
    key(&mut app, KeyCode::Backspace);
    key(&mut app, KeyCode::Backspace);
    key(&mut app, KeyCode::Char('2'));
    key(&mut app, KeyCode::Char('5'));
    let effects = key(&mut app, KeyCode::Enter);
    let [Effect::SaveSettings { path, profile, edits }] = effects.as_slice() else {
        panic!("Enter saves the interval: {effects:?}")
    };
    let text = edit::apply(CONFIG, path, profile, edits).unwrap();
    let profile = edit::check(&text, path, profile).unwrap();
    app.handle(Event::SettingsSaved(Ok(edit::Saved { text, profile })));
    assert!(
        !app.settings.in_text_field(),
        "after the save the field leaves edit mode"
    );
    assert!(!app.settings.dirty());
    // 251, then back to 25: the value saved, so nothing is unsaved.
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::End);
    key(&mut app, KeyCode::Char('1'));
    assert!(app.settings.dirty(), "251 is an edit");
    key(&mut app, KeyCode::Backspace);
    assert!(!app.settings.dirty(), "25 again is the saved value");
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Esc);
    assert!(matches!(app.shared.overlay, Overlay::None), "{:?}", app.shared.overlay);
    assert_eq!(app.shared.screen, Screen::Dashboard);
}

/// F29: a scope filter clause added and then deleted left the mappings "unsaved", and `1`
/// asked "The mappings have unsaved edits".
#[test]
fn a_scope_clause_added_then_deleted_is_no_unsaved_edit() {
    let mut app = app();
    key(&mut app, KeyCode::Char('6'));
    key(&mut app, KeyCode::Char('f'));
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char('I'));
    key(&mut app, KeyCode::Char('T'));
    key(&mut app, KeyCode::Enter);
    assert!(app.mappings.doc.draft.dirty(), "a clause added is an edit");
    key(&mut app, KeyCode::Char('D'));
    assert!(!app.mappings.doc.draft.dirty(), "deleted again: the file as saved");
    key(&mut app, KeyCode::Char('1'));
    assert!(matches!(app.shared.overlay, Overlay::None), "{:?}", app.shared.overlay);
    assert_eq!(app.shared.screen, Screen::Dashboard);
}
