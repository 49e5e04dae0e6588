//! The engine took a saved configuration — this console's save or another's (acceptance F4,
//! F20, F26): a plan made under other rules is out of date in every console at once, naming
//! what changed, and no console offers to apply it; the settings and scope screens show the
//! file as saved, and the scope's counts are read again.

use std::path::Path;

use crossterm::event::KeyCode;

use super::{CONFIG, PATH, app, cycle, key, plan, rules_now};
use crate::config::Config;
use crate::mapping::model::DEFAULT_MAPPINGS_TOML;
use crate::sync::{Command, SyncEvent};
use crate::tui::app::{Overlay, Screen};
use crate::tui::effect::Effect;
use crate::tui::event::{ConfigNow, Event};
use crate::tui::screens::plan::Status;

/// The runtime's read of the configuration file `text` and the mapping file `mappings`.
fn read(profile: &crate::config::Profile, text: &str, mappings: &str) -> Event {
    Event::ConfigRead(Ok(Box::new(ConfigNow {
        profile: profile.clone(),
        text: text.to_owned(),
        mappings: Ok(mappings.to_owned()),
    })))
}

fn reloaded(changed: &str) -> Event {
    Event::Sync(SyncEvent::Reloaded {
        changed: vec![changed.to_owned()],
        plan_hash: "the rules saved by another console".to_owned(),
    })
}

#[test]
fn another_consoles_save_makes_a_ready_plan_out_of_date_here_naming_what_changed() {
    let mut app = app();
    let hash = rules_now(&app);
    cycle(&mut app, 1, true, plan(1, &hash, 1));
    key(&mut app, KeyCode::Char('2'));
    key(&mut app, KeyCode::Char('A'));
    assert!(matches!(app.shared.overlay, Overlay::ConfirmApply { plan_id: 1, .. }));

    // Another console saved the scope; the engine took it: the question closes, the plan is
    // out of date, and the file is read again.
    let effects = app.handle(reloaded("the scope (assigned → all)"));
    assert!(matches!(effects.as_slice(), [Effect::ReadConfig]), "{effects:?}");
    let why = "the scope (assigned → all) changed since it was made";
    assert_eq!(app.plan.status, Status::OutOfDate(why.to_owned()));
    assert!(matches!(app.shared.overlay, Overlay::None));
    assert!(app.shared.status.contains(why), "{}", app.shared.status);
    // `A` offers nothing to confirm.
    key(&mut app, KeyCode::Char('A'));
    assert!(matches!(app.shared.overlay, Overlay::None));
    assert!(app.shared.status.contains("out of date"), "{}", app.shared.status);

    // A reload that leaves what plans are made from as it was outdates nothing.
    cycle(&mut app, 2, true, plan(2, &hash, 2));
    app.handle(Event::Sync(SyncEvent::Reloaded {
        changed: Vec::new(),
        plan_hash: hash,
    }));
    assert!(app.plan.ready());
}

#[test]
fn the_settings_and_scope_screens_follow_the_file_another_console_saved() {
    let mut app = app();
    assert_eq!(app.settings.scope_word(), "assigned");
    let saved = format!("{CONFIG}[profiles.demo.provisioning]\nscope = \"all\"\n");
    let profile = Config::parse(&saved, Path::new(PATH))
        .unwrap()
        .profile("demo")
        .unwrap()
        .clone();
    // On the scope screen: its counts (of the old scope) are read again.
    let effects = key(&mut app, KeyCode::Char('6'));
    assert!(matches!(
        effects.as_slice(),
        [Effect::Engine(Command::PreviewScope { .. })]
    ));
    let effects = app.handle(read(&profile, &saved, DEFAULT_MAPPINGS_TOML));
    assert_eq!(app.settings.scope_word(), "all", "the scope as saved");
    assert!(
        matches!(effects.as_slice(), [Effect::Engine(Command::PreviewScope { .. })]),
        "{effects:?}"
    );
    // This console's own save, read again: nothing to do.
    assert!(app.handle(read(&profile, &saved, DEFAULT_MAPPINGS_TOML)).is_empty());
}

#[test]
fn an_engine_started_again_reads_the_scope_counts_again() {
    let mut app = app();
    key(&mut app, KeyCode::Char('6'));
    assert_eq!(app.shared.screen, Screen::Scope);
    app.scope.preview = Some(Ok(Default::default()));
    // A wizard re-save restarted the engine, maybe under another scope (F26).
    let effects = app.handle(Event::EngineStarted(Ok(())));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Engine(Command::PreviewScope { .. }))),
        "{effects:?}"
    );
}

/// Acceptance F19/F20: the mappings screen stayed as it was after another console saved the
/// mapping file. Unedited, the mappings and scope screens show the file as saved and the
/// scope's counts are read again; with edits of its own, the screen keeps them and says the
/// file changed underneath.
#[test]
fn the_mappings_and_scope_screens_follow_the_mapping_file_another_console_saved() {
    let mut app = app();
    let profile = Config::parse(CONFIG, Path::new(PATH))
        .unwrap()
        .profile("demo")
        .unwrap()
        .clone();
    let filtered = format!(
        "{DEFAULT_MAPPINGS_TOML}\n[[user.scoping_filters]]\nname = \"IT\"\n[[user.scoping_filters.clauses]]\nattribute = \"department\"\noperator = \"EQUALS\"\nvalue = \"IT\"\n"
    );
    crate::mapping::model::load_str(&filtered).expect("the other console's mapping file loads");
    key(&mut app, KeyCode::Char('6'));
    let effects = app.handle(read(&profile, CONFIG, &filtered));
    let filters = |app: &crate::tui::app::App| {
        app.mappings
            .doc
            .draft
            .file
            .user
            .as_ref()
            .map_or(0, |u| u.scoping_filters.len())
    };
    assert_eq!(filters(&app), 1, "the filter another console saved is shown");
    assert!(!app.mappings.doc.draft.dirty(), "and is no edit of this console");
    assert!(
        matches!(effects.as_slice(), [Effect::Engine(Command::PreviewScope { .. })]),
        "the counts are read again: {effects:?}"
    );
    // Read again unchanged: nothing to do.
    assert!(app.handle(read(&profile, CONFIG, &filtered)).is_empty());

    // With an edit here (the filter's clause deleted), another save keeps the edit and says so.
    key(&mut app, KeyCode::Char('D'));
    assert!(app.mappings.doc.draft.dirty());
    assert!(app.handle(read(&profile, CONFIG, DEFAULT_MAPPINGS_TOML)).is_empty());
    assert_eq!(filters(&app), 0, "the edit stays");
    let note = app.mappings.doc.draft.note.clone().unwrap_or_default();
    assert!(
        note.contains("the mapping file changed since this screen read it"),
        "{note}"
    );
}

/// Acceptance F19: "saved; the engine reloaded the mappings" stayed under the mappings list
/// minutes later; a note goes when the screen is shown again.
#[test]
fn a_mappings_note_goes_when_the_screen_is_shown_again() {
    let mut app = app();
    key(&mut app, KeyCode::Char('5'));
    app.mappings.doc.draft.note = Some("saved; the engine reloaded the mappings".to_owned());
    key(&mut app, KeyCode::Char('1'));
    key(&mut app, KeyCode::Char('5'));
    assert_eq!(app.mappings.doc.draft.note, None);
}
