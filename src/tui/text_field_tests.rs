//! Every text field takes every printable character (issue 14, the acceptance test's defect:
//! d, r and 1 typed in the wizard's Instance field ran a dry run, a cycle and switched
//! screens). The console's own letters and digits act only when no text field has focus: each
//! field below is given all of printable ASCII, and must end up holding it, with the screen,
//! the overlay and the engine left alone.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::{App, Overlay, Screen};
use super::effect::Effect;
use super::event::Event;
use super::screens::settings;
use super::screens::wizard::{Prefill, Step, Wizard};
use super::theme::Theme;
use crate::config::Config;
use crate::sync::{Command, EngineState, SyncEvent};

const CONFIG: &str = "[profiles.demo.servicenow]\ninstance = \"dev1\"\nusername = \"admin\"\n";

/// What is typed: printable ASCII, letters, digits and every punctuation key.
fn printable() -> String {
    (' '..='~').collect()
}

/// A saved profile, its engine idle, on the dashboard.
fn saved_app() -> App {
    let mut app = App::new("demo", Theme::monochrome(), false);
    let path = PathBuf::from("/etc/nowsync/config.toml");
    let config = Config::parse(CONFIG, &path).unwrap();
    app.settings = settings::State::of(config.profile("demo").unwrap(), path.clone(), CONFIG.to_owned());
    app.wizard = Some(Wizard::new("demo", path, CONFIG.to_owned(), Prefill::default(), false));
    app.handle(Event::EngineStarted(Ok(())));
    app.handle(Event::Sync(SyncEvent::StateChanged(EngineState::Idle)));
    app.shared.status.clear();
    app
}

/// A new profile: the wizard shown, nothing saved.
fn new_app() -> App {
    let mut app = App::new("demo", Theme::monochrome(), false);
    let wizard = Wizard::new(
        "demo",
        PathBuf::from("/etc/nowsync/config.toml"),
        String::new(),
        Prefill::default(),
        false,
    );
    let _ = app.open_wizard(wizard);
    app
}

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    let modifiers = match code {
        KeyCode::Char(c) if c.is_ascii_uppercase() => KeyModifiers::SHIFT,
        _ => KeyModifiers::NONE,
    };
    app.handle(Event::Key(KeyEvent::new(code, modifiers)))
}

/// Types every printable character into the field that has focus, and checks that each went
/// there: `value` reads the field.
fn types_everything(app: &mut App, field: &str, value: impl Fn(&App) -> String) {
    assert!(app.in_text_field(), "{field}: not a text field");
    let screen = app.shared.screen;
    let overlay = format!("{:?}", app.shared.overlay);
    let before = value(app);
    let text = printable();
    for c in text.chars() {
        let effects = press(app, KeyCode::Char(c));
        let acted = effects.iter().any(|e| {
            matches!(
                e,
                Effect::Quit
                    | Effect::Engine(
                        Command::RunNow
                            | Command::DryRun
                            | Command::Pause
                            | Command::Resume
                            | Command::Stop
                            | Command::Reconcile { .. }
                    )
            )
        });
        assert!(!acted, "{field}: {c:?} acted: {effects:?}");
        assert_eq!(app.shared.screen, screen, "{field}: {c:?} switched screens");
        assert_eq!(
            format!("{:?}", app.shared.overlay),
            overlay,
            "{field}: {c:?} opened something"
        );
        assert!(app.in_text_field(), "{field}: {c:?} left the field");
    }
    assert_eq!(value(app), format!("{before}{text}"), "{field}");
}

fn wizard_value(app: &App) -> String {
    let w = app.wizard.as_ref().unwrap();
    w.field()
        .and_then(|f| w.inputs.get(f))
        .map(|i| i.value().to_owned())
        .unwrap_or_default()
}

#[test]
fn every_wizard_field_takes_every_printable_character() {
    let mut app = new_app();
    let mut seen = 0;
    for step in Step::ALL {
        let w = app.wizard.as_ref().unwrap();
        assert_eq!(w.step, step);
        for _ in 0..w.fields(step).len() {
            if app.in_text_field() {
                let name = format!("{step:?} {:?}", app.wizard.as_ref().unwrap().field());
                types_everything(&mut app, &name, wizard_value);
                seen += 1;
            }
            press(&mut app, KeyCode::Tab);
        }
        press(&mut app, KeyCode::PageDown);
    }
    // Instance; user name and password; tenant, client id, secret, object id, authority and
    // Graph URLs; email.
    assert_eq!(seen, 10);
}

#[test]
fn the_reopened_wizards_instance_field_takes_d_r_and_1() {
    let mut app = saved_app();
    press(&mut app, KeyCode::Char('w'));
    assert_eq!(app.shared.screen, Screen::Wizard);
    types_everything(&mut app, "reopened Instance", wizard_value);
    // Back on the step list the console's keys act again.
    press(&mut app, KeyCode::Esc);
    assert!(!app.in_text_field());
    let effects = press(&mut app, KeyCode::Char('d'));
    assert!(
        matches!(effects.as_slice(), [Effect::Engine(Command::DryRun)]),
        "{effects:?}"
    );
}

#[test]
fn every_settings_field_takes_every_printable_character() {
    let mut app = saved_app();
    press(&mut app, KeyCode::Char('7'));
    let mut seen = 0;
    for _ in 0..settings::FIELDS.len() {
        // Browsing: Enter edits the field shown.
        if app.settings.editor.as_ref().is_some_and(|e| e.text_field()) {
            press(&mut app, KeyCode::Enter);
        }
        if app.in_text_field() {
            let focus = app.settings.editor.as_ref().unwrap().focus;
            types_everything(&mut app, settings::FIELDS[focus], move |app| {
                let e = app.settings.editor.as_ref().unwrap();
                let input = match focus {
                    2 => &e.interval,
                    3 => &e.threshold,
                    4 => &e.percent,
                    5 => &e.ceiling,
                    6 => &e.email,
                    _ => &e.retention,
                };
                input.value().to_owned()
            });
            seen += 1;
        }
        press(&mut app, KeyCode::Down);
    }
    assert_eq!(seen, 6);
}

#[test]
fn the_expression_editor_form_and_import_take_every_printable_character() {
    let mut app = saved_app();
    press(&mut app, KeyCode::Char('5'));
    press(&mut app, KeyCode::Enter);
    let expression = |app: &App| app.mappings.editor.as_ref().unwrap().expr.value().to_owned();
    types_everything(&mut app, "expression", expression);
    press(&mut app, KeyCode::Tab);
    let search = |app: &App| app.mappings.editor.as_ref().unwrap().search.value().to_owned();
    types_everything(&mut app, "expression editor's user search", search);
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('y'));
    assert!(app.mappings.editor.is_none());

    press(&mut app, KeyCode::Char('e'));
    for focus in 0..super::screens::mappings::FORM_FIELDS.len() {
        if app.in_text_field() {
            types_everything(&mut app, super::screens::mappings::FORM_FIELDS[focus], move |app| {
                let f = app.mappings.doc.draft.form.as_ref().unwrap();
                let input = match focus {
                    1 => &f.source,
                    2 => &f.target,
                    3 => &f.default,
                    _ => &f.matching,
                };
                input.value().to_owned()
            });
        }
        press(&mut app, KeyCode::Tab);
    }
    press(&mut app, KeyCode::Esc);

    press(&mut app, KeyCode::Char('i'));
    let import = |app: &App| app.mappings.doc.draft.import.as_ref().unwrap().value().to_owned();
    types_everything(&mut app, "schema import path", import);
}

#[test]
fn the_filter_builders_value_takes_every_printable_character() {
    let mut app = saved_app();
    press(&mut app, KeyCode::Char('6'));
    press(&mut app, KeyCode::Char('f'));
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Tab);
    let value = |app: &App| app.scope.form.as_ref().unwrap().value.value().to_owned();
    types_everything(&mut app, "scoping clause value", value);
}

#[test]
fn the_log_filter_and_the_list_searches_take_every_printable_character() {
    let mut app = saved_app();
    press(&mut app, KeyCode::Char('4'));
    press(&mut app, KeyCode::Char('/'));
    let filter = |app: &App| app.log_screen.filter.as_ref().unwrap().value().to_owned();
    types_everything(&mut app, "log filter", filter);
    press(&mut app, KeyCode::Esc);

    press(&mut app, KeyCode::Char('3'));
    app.records.loaded(Ok(Vec::new()));
    press(&mut app, KeyCode::Char('/'));
    types_everything(&mut app, "provisioning log search", |app: &App| {
        app.records.view.text.clone()
    });
    press(&mut app, KeyCode::Enter);

    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Char('/'));
    types_everything(&mut app, "plan search", |app: &App| app.plan.view.text.clone());
}

#[test]
fn the_sso_panels_field_takes_every_printable_character() {
    let mut app = saved_app();
    press(&mut app, KeyCode::Char('o'));
    assert!(matches!(app.shared.overlay, Overlay::Sso));
    press(&mut app, KeyCode::Char('f'));
    types_everything(&mut app, "SSO field", |app: &App| app.sso.field.value().to_owned());
}

/// Regression: a wizard left from its step list (Esc, Esc) came back there on `w`, where the
/// Instance field shows but d, r and 1 ran a dry run, a cycle and switched screens.
#[test]
fn a_wizard_left_from_its_step_list_reopens_in_its_field() {
    let mut app = saved_app();
    press(&mut app, KeyCode::Char('w'));
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.shared.screen, Screen::Dashboard);
    press(&mut app, KeyCode::Char('w'));
    assert_eq!(app.shared.screen, Screen::Wizard);
    types_everything(&mut app, "Instance, reopened after leaving", wizard_value);
}
