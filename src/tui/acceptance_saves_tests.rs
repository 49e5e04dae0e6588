//! Regressions from the second acceptance pass of issue 14 (accept-findings F2, F3, F12, F18):
//! saves that say what happened, keys that work where they are shown. State-machine tests,
//! keys and engine events in, state, effects and the screen as drawn out.

use std::path::PathBuf;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::{App, Overlay, Screen};
use super::effect::Effect;
use super::event::Event;
use super::screens::settings;
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

/// `a` on the scope screen, and the engine's answer to the preview it asks for.
fn switch_scope_previewed(app: &mut App) {
    let effects = key(app, KeyCode::Char('a'));
    let [Effect::Engine(Command::PreviewPlan { request, .. })] = effects.as_slice() else {
        panic!("a scope switch is previewed first: {effects:?}")
    };
    let request = *request;
    app.handle(Event::Sync(SyncEvent::Answer {
        request,
        answer: Answer::Preview(Arc::new(Plan::new(9, CycleKind::Incremental, Vec::new()))),
    }));
    assert!(matches!(app.shared.overlay, Overlay::Preview));
}

/// `y` on a shown preview of a settings save, and the runtime writing the file.
fn confirm_settings_save(app: &mut App) {
    let effects = key(app, KeyCode::Char('y'));
    let [Effect::SaveSettings { path, profile, edits }] = effects.as_slice() else {
        panic!("y saves: {effects:?}")
    };
    let text = edit::apply(CONFIG, path, profile, edits).unwrap();
    let profile = edit::check(&text, path, profile).unwrap();
    app.handle(Event::SettingsSaved(Ok(edit::Saved { text, profile })));
}

/// F2: a cancelled scope switch said "not saved (the edits stay: S saves them)" on the scope
/// screen although there were no edits, and the line stayed after the switch was saved.
#[test]
fn a_scope_switch_cancelled_then_saved_is_not_said_unsaved() {
    let mut app = app();
    key(&mut app, KeyCode::Char('6'));
    switch_scope_previewed(&mut app);
    key(&mut app, KeyCode::Char('n'));
    let screen = drawn(&app, 120);
    assert!(!screen.contains("the edits stay"), "no edits to stay: {screen}");
    assert!(screen.contains("Scope: assigned users and groups"), "{screen}");

    switch_scope_previewed(&mut app);
    confirm_settings_save(&mut app);
    key(&mut app, KeyCode::Char('n'));
    let screen = drawn(&app, 120);
    assert!(screen.contains("Scope: all users and groups"), "{screen}");
    assert!(!screen.contains("not saved"), "saved: {screen}");
    assert!(!screen.contains("unsaved"), "saved: {screen}");
}

/// F3: during a scope switch's preview the title read the proposed scope as if it were
/// saved.
#[test]
fn the_scope_title_shows_the_saved_scope_while_a_switch_waits_for_y() {
    let mut app = app();
    key(&mut app, KeyCode::Char('6'));
    switch_scope_previewed(&mut app);
    let screen = drawn(&app, 120);
    assert!(
        screen.contains("Scope: assigned users and groups (saved; switching to all waits for y"),
        "{screen}"
    );
}

/// F3: `S` with nothing edited offered "Save the mappings?" with the current rules' whole
/// plan as the change's effect.
#[test]
fn s_with_nothing_edited_says_nothing_to_save() {
    let mut app = app();
    key(&mut app, KeyCode::Char('6'));
    let effects = key(&mut app, KeyCode::Char('S'));
    assert!(effects.is_empty(), "{effects:?}");
    assert!(matches!(app.shared.overlay, Overlay::None), "{:?}", app.shared.overlay);
    assert!(app.pending.is_none());
    assert!(
        app.shared.status.starts_with("Nothing to save"),
        "{}",
        app.shared.status
    );
    assert!(drawn(&app, 120).contains("nothing to save"));
    key(&mut app, KeyCode::Char('5'));
    assert_eq!(app.shared.screen, Screen::Mappings);
    assert!(key(&mut app, KeyCode::Char('S')).is_empty());
    assert!(app.pending.is_none());
}

/// F18: under the "Make a dry run of the new rules now?" question that opens after a save,
/// the footer listed the screen's keys, none of which worked.
#[test]
fn the_footer_lists_the_open_questions_keys() {
    let mut app = app();
    key(&mut app, KeyCode::Char('6'));
    switch_scope_previewed(&mut app);
    confirm_settings_save(&mut app);
    assert!(
        matches!(app.shared.overlay, Overlay::Ask { .. }),
        "{:?}",
        app.shared.overlay
    );
    assert_eq!(super::chrome::keys(&app), vec![("y", "yes"), ("n/Esc", "no")]);
    let screen = drawn(&app, 120);
    assert!(screen.contains("y yes · n/Esc no · F1 more"), "{screen}");
    key(&mut app, KeyCode::Char('n'));
    assert!(
        super::chrome::keys(&app).contains(&("S", "save")),
        "the screen's keys again"
    );
}

/// A profile with provisioning off, its engine idle, on the dashboard.
fn app_off() -> App {
    let text = format!("{CONFIG}[profiles.demo.provisioning]\nenabled = false\n");
    let mut app = App::new("demo", Theme::monochrome(), false);
    let config = Config::parse(&text, std::path::Path::new(PATH)).unwrap();
    app.settings = settings::State::of(config.profile("demo").unwrap(), PathBuf::from(PATH), text.clone());
    app.handle(Event::EngineStarted(Ok(())));
    app.handle(Event::Sync(SyncEvent::StateChanged(EngineState::Idle)));
    app.shared.overlay = Overlay::None;
    app.shared.status.clear();
    app
}

/// The settings save in `effects`, written as the runtime would; returns whether it turned
/// provisioning on.
fn save_settings(app: &mut App, effects: &[Effect]) -> bool {
    let [Effect::SaveSettings { path, profile, edits }] = effects else {
        panic!("a settings save: {effects:?}")
    };
    assert_eq!(edits.len(), 1, "only provisioning is written: {edits:?}");
    let text = app.settings.editor.as_ref().unwrap().text.clone();
    let text = edit::apply(&text, path, profile, edits).unwrap();
    let profile = edit::check(&text, path, profile).unwrap();
    let on = profile.provisioning.enabled;
    app.handle(Event::SettingsSaved(Ok(edit::Saved { text, profile })));
    on
}

/// F12: the dashboard said "t, Settings, turns it on" and the README "`t` on the Settings
/// screen", but `t` there did nothing.
#[test]
fn t_on_the_settings_screen_turns_provisioning_on_after_asking_and_off_at_once() {
    let mut app = app_off();
    assert!(drawn(&app, 120).contains("off: no cycle runs by itself · r runs one now · turn on: t, then t"));
    key(&mut app, KeyCode::Char('t'));
    assert_eq!(app.shared.screen, Screen::Settings);
    assert!(key(&mut app, KeyCode::Char('t')).is_empty(), "asks first");
    let Overlay::Ask { text, .. } = &app.shared.overlay else {
        panic!("{:?}", app.shared.overlay)
    };
    assert!(text.starts_with("Turn provisioning on? A cycle runs now"), "{text}");
    let effects = key(&mut app, KeyCode::Char('y'));
    assert!(save_settings(&mut app, &effects), "turned on");
    assert_eq!(app.settings.schedule().map(|(on, _)| on), Some(true));
    assert!(!app.settings.dirty());

    let effects = key(&mut app, KeyCode::Char('t'));
    assert!(!save_settings(&mut app, &effects), "turned off at once");
    assert_eq!(app.settings.schedule().map(|(on, _)| on), Some(false));
    assert!(matches!(app.shared.overlay, Overlay::None));
}
