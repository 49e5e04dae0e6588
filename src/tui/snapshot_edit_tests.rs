//! Snapshots and key-sequence tests of the mappings screen's editing: the form (and its
//! refusal with every problem's path), the import field, saving (which creates `mappings.toml`
//! next to the configuration file and names it there) and leaving with unsaved edits.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::super::app::{App, Overlay, Screen};
use super::super::effect::Effect;
use super::super::event::Event;
use super::{dashboard_app, key, snap};
use crate::config::edit;

const CONFIG: &str = "# mine\n[profiles.demo.servicenow]\ninstance = \"dev1\"\nusername = \"admin\"\n";

fn app() -> App {
    let mut app = dashboard_app();
    let config = crate::config::Config::parse(CONFIG, std::path::Path::new("/etc/nowsync/config.toml")).unwrap();
    let profile = config.profile("demo").unwrap();
    app.settings.rows = super::super::screens::settings::rows(profile);
    app.settings.editor = Some(super::super::screens::settings::Settings::new(
        profile,
        PathBuf::from("/etc/nowsync/config.toml"),
        CONFIG.to_owned(),
    ));
    key(&mut app, KeyCode::Char('m'));
    app
}

/// A save of rules waits for the preview of the changed rules (issue 14): the engine answers
/// with a plan and `y` confirms; the save's effects come out.
fn previewed(app: &mut App, effects: Vec<Effect>) -> Vec<Effect> {
    let [Effect::Engine(crate::sync::Command::PreviewPlan { request, .. })] = effects.as_slice() else {
        panic!("no preview: {effects:?}")
    };
    assert!(matches!(app.shared.overlay, Overlay::Preview));
    let plan = super::fixtures::plan();
    app.handle(Event::Sync(crate::sync::SyncEvent::Answer {
        request: *request,
        answer: crate::sync::Answer::Preview(plan),
    }));
    app.handle(Event::Key(KeyEvent::new(KeyCode::Char('y'), KeyModifiers::NONE)))
}

/// A key whose save is previewed and confirmed.
fn key_saving(app: &mut App, code: KeyCode) -> Vec<Effect> {
    let effects = app.handle(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    previewed(app, effects)
}

/// After a confirmed save a dry run is offered: `n` declines it.
fn no_dry_run(app: &mut App) {
    assert!(
        matches!(&app.shared.overlay, Overlay::Ask { yes, .. }
            if matches!(**yes, super::super::app::Action::Engine(crate::sync::Command::DryRun))),
        "{:?}",
        app.shared.overlay
    );
    key(app, KeyCode::Char('n'));
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

fn clear(app: &mut App) {
    for _ in 0..60 {
        key(app, KeyCode::Backspace);
    }
}

#[test]
fn edit_save_and_leave() {
    let mut app = app();
    // Row 4 is `title` in the built-in mappings.
    for _ in 0..4 {
        key(&mut app, KeyCode::Down);
    }
    key(&mut app, KeyCode::Char('e'));
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Down);
    clear(&mut app);
    typed(&mut app, "Left([jobTitle], ");
    assert!(app.in_text_field(), "q is text in the form's fields");
    typed(&mut app, "q");
    key(&mut app, KeyCode::Enter);
    assert!(
        !app.quit && app.mappings.doc.draft.form.is_some(),
        "refused: it does not parse"
    );
    snap("mappings_form_problems", &app);
    clear(&mut app);
    typed(&mut app, "Left([jobTitle], 20)");
    snap("mappings_form", &app);
    key(&mut app, KeyCode::Enter);
    assert!(app.mappings.doc.draft.form.is_none() && app.mappings.doc.draft.dirty());
    assert!(app.quit_warning().is_some_and(|w| w.contains("mappings")));

    let effects = key_saving(&mut app, KeyCode::Char('S'));
    let [Effect::SaveMappings(save)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(save.path, PathBuf::from("/etc/nowsync/mappings.toml"));
    assert!(
        save.text.contains("expression = \"Left([jobTitle], 20)\""),
        "{}",
        save.text
    );
    let config = save.config.clone().unwrap();
    assert_eq!(config.path, PathBuf::from("/etc/nowsync/config.toml"));
    let config_text = edit::apply(CONFIG, &config.path, &config.profile, &config.edits).unwrap();
    assert!(config_text.starts_with("# mine\n"), "the rest of the file is kept");
    assert!(
        config_text.contains("mappings = \"/etc/nowsync/mappings.toml\""),
        "{config_text}"
    );
    assert_eq!(
        save.profile.provisioning.mappings,
        Some(PathBuf::from("/etc/nowsync/mappings.toml"))
    );
    app.handle(Event::MappingsSaved(Ok(crate::tui::event::MappingsWritten {
        text: save.text.clone(),
        merged: false,
        config: Some(config_text),
    })));
    no_dry_run(&mut app);
    assert!(!app.mappings.doc.draft.dirty());
    assert!(
        app.settings
            .editor
            .as_ref()
            .is_some_and(|s| s.base.mappings.is_some() && s.text.contains("mappings = ")),
        "a later settings save keeps the mapping file"
    );

    // A second save names the file the profile has now and leaves the configuration alone.
    key(&mut app, KeyCode::Char('D'));
    let effects = key_saving(&mut app, KeyCode::Char('S'));
    assert!(matches!(effects.as_slice(), [Effect::SaveMappings(s)] if s.config.is_none()));

    leave_with_unsaved_edits(&mut app);
}

/// Unsaved edits: Esc asks; n stays; y drops them and goes back to the saved file.
fn leave_with_unsaved_edits(app: &mut App) {
    key(app, KeyCode::Char('D'));
    key(app, KeyCode::Esc);
    assert!(matches!(app.shared.overlay, Overlay::Ask { .. }));
    snap("mappings_leave_confirm", app);
    key(app, KeyCode::Char('n'));
    assert!(matches!(
        (app.shared.screen, &app.shared.overlay),
        (Screen::Mappings, Overlay::None)
    ));
    key(app, KeyCode::Esc);
    key(app, KeyCode::Char('y'));
    assert_eq!(app.shared.screen, Screen::Dashboard);
    assert!(!app.mappings.doc.draft.dirty());
    assert!(
        app.mappings.doc.source_text.contains("Left([jobTitle], 20)"),
        "the saved edit stays"
    );
}

#[test]
fn restore_defaults_asks_and_import_reads_a_path() {
    let mut app = app();
    key(&mut app, KeyCode::Char('D'));
    let n = app.mappings.doc.rows();
    key(&mut app, KeyCode::Char('R'));
    assert!(matches!(app.shared.overlay, Overlay::Ask { .. }));
    key(&mut app, KeyCode::Char('y'));
    assert_eq!(app.mappings.doc.rows(), n + 1);
    key(&mut app, KeyCode::Char('i'));
    typed(&mut app, "/tmp/schema.json");
    snap("mappings_import", &app);
    let effects = app.handle(Event::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    assert!(matches!(effects.as_slice(), [Effect::ImportSchema(p)] if p == &PathBuf::from("/tmp/schema.json")));
    app.handle(Event::SchemaImported(Err(crate::tui::error::FileError::Read {
        path: PathBuf::from("/tmp/schema.json"),
        source: std::io::Error::new(std::io::ErrorKind::NotFound, "No such file"),
    })));
    assert!(
        app.mappings
            .doc
            .draft
            .note
            .as_deref()
            .is_some_and(|n| n.contains("No such file"))
    );
}

#[test]
fn scope_builder_adds_checks_and_saves_a_clause() {
    let mut app = app();
    key(&mut app, KeyCode::Esc);
    let effects = app.handle(Event::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::NONE)));
    assert_eq!(effects.len(), 1, "the counts are asked for");
    key(&mut app, KeyCode::Char('f'));
    // Attribute: department is the default pick; operator: EQUALS → REGEX MATCH.
    key(&mut app, KeyCode::Down);
    for _ in 0..12 {
        key(&mut app, KeyCode::Right);
        if app
            .scope
            .form
            .as_ref()
            .is_some_and(|f| f.operator().name() == "REGEX MATCH")
        {
            break;
        }
    }
    key(&mut app, KeyCode::Down);
    assert!(app.in_text_field());
    typed(&mut app, "(Sales");
    key(&mut app, KeyCode::Enter);
    let form = app.scope.form.as_ref().unwrap();
    assert!(!form.problems.is_empty(), "a bad regex is refused");
    key(&mut app, KeyCode::Backspace);
    key(&mut app, KeyCode::Home);
    key(&mut app, KeyCode::Delete);
    typed(&mut app, "^");
    key(&mut app, KeyCode::Enter);
    assert!(app.scope.form.is_none(), "{:?}", app.scope.form);
    let user = app.mappings.doc.draft.object(false).unwrap();
    assert_eq!(user.scoping_filters.len(), 1);
    assert_eq!(user.scoping_filters[0].clauses[0].value, "^Sale");
    key(&mut app, KeyCode::Char('n'));
    key(&mut app, KeyCode::Char('u'));
    snap("scope_builder", &app);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    typed(&mut app, "GB");
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.mappings.doc.draft.object(false).unwrap().scoping_filters[0]
            .clauses
            .len(),
        2
    );
    let effects = key_saving(&mut app, KeyCode::Char('S'));
    let [Effect::SaveMappings(save)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert!(save.text.contains("[[user.scoping_filters]]"), "{}", save.text);
    let effects = app.handle(Event::MappingsSaved(Ok(crate::tui::event::MappingsWritten {
        text: save.text.clone(),
        merged: false,
        config: None,
    })));
    no_dry_run(&mut app);
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::Engine(crate::sync::Command::PreviewScope { .. })]
        ),
        "the counts are asked for again"
    );
    key(&mut app, KeyCode::Char('D'));
    assert_eq!(
        app.mappings.doc.draft.object(false).unwrap().scoping_filters[0]
            .clauses
            .len(),
        1
    );
}

#[test]
fn settings_rows_in_the_mapping_file_toggle_then_save_with_s() {
    let mut app = app();
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('t'));
    for _ in 0..super::super::screens::settings::MAPPING_FIELDS {
        key(&mut app, KeyCode::Down);
    }
    assert!(!app.in_text_field());
    // A toggle is an unsaved edit: nothing is saved or previewed until S.
    let toggled = app.handle(Event::Key(KeyEvent::new(KeyCode::Char(' '), KeyModifiers::NONE)));
    assert!(toggled.is_empty(), "{toggled:?}");
    assert!(app.settings.dirty());
    let effects = key_saving(&mut app, KeyCode::Char('S'));
    let [Effect::SaveMappings(save)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert!(
        save.text.contains("skip_out_of_scope_deletions = true"),
        "{}",
        save.text
    );
    let config = save
        .config
        .clone()
        .map(|c| edit::apply(CONFIG, &c.path, &c.profile, &c.edits).unwrap());
    app.handle(Event::MappingsSaved(Ok(crate::tui::event::MappingsWritten {
        text: save.text.clone(),
        merged: false,
        config,
    })));
    no_dry_run(&mut app);
    assert!(!app.settings.dirty());
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char(' '));
    let effects = key_saving(&mut app, KeyCode::Char('S'));
    let [Effect::SaveMappings(save)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert!(
        save.config.is_none() && save.text.contains("delete = false"),
        "{}",
        save.text
    );
    app.handle(Event::MappingsSaved(Ok(crate::tui::event::MappingsWritten {
        text: save.text.clone(),
        merged: false,
        config: None,
    })));
    no_dry_run(&mut app);
    snap("settings_mapping_rows", &app);
}

#[test]
fn assigned_or_all_saves_the_settings_and_an_import_lists_its_drops() {
    let mut app = app();
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('s'));
    let effects = key_saving(&mut app, KeyCode::Char('a'));
    let [Effect::SaveSettings { path, profile, edits }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let text = edit::apply(CONFIG, path, profile, edits).unwrap();
    assert_eq!(
        text,
        format!("{CONFIG}\n[profiles.demo.provisioning]\nscope = \"all\"\n"),
        "only the scope is written"
    );
    let profile = edit::check(&text, path, profile).unwrap();
    assert_eq!(profile.provisioning.scope, crate::config::ScopeMode::All);
    let effects = app.handle(Event::SettingsSaved(Ok(edit::Saved { text, profile })));
    no_dry_run(&mut app);
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::Engine(crate::sync::Command::PreviewScope { .. })]
        ),
        "the counts follow"
    );

    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('m'));
    let schema = crate::mapping::model::export_schema(&app.mappings.doc.draft.file)
        .schema
        .to_string();
    let mut imported = crate::mapping::model::import_schema(&schema).unwrap();
    imported.dropped = vec!["user: attribute mapping to 'x' (no such column)".into()];
    app.handle(Event::SchemaImported(Ok(imported)));
    // The schema exported from the saved mappings, imported back: the same file, no edit.
    assert!(!app.mappings.doc.draft.dirty());
    assert_eq!(app.mappings.doc.draft.problems.len(), 1, "what was dropped is shown");
    assert!(
        app.mappings
            .doc
            .draft
            .note
            .as_deref()
            .is_some_and(|n| n.contains("dropped"))
    );
}

#[test]
fn a_missing_reference_is_created_after_a_confirmation() {
    let mut app = dashboard_app();
    key(&mut app, KeyCode::Char('e'));
    app.handle(Event::Records(Ok(vec![super::fixtures::record(
        "failure",
        "create",
        "linda.taylor@contoso.com",
        Some("InvalidLookupReference"),
        "location 'Remote': cmn_location has no row whose name is 'Remote'",
    )])));
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('c'));
    assert!(
        matches!(&app.shared.overlay, Overlay::ConfirmCreate { table, field, value }
            if table == "cmn_location" && field == "name" && value == "Remote"),
        "{:?}",
        app.shared.overlay
    );
    snap("record_create_reference_confirm", &app);
    let effects = app.handle(Event::Key(KeyEvent::new(KeyCode::Char('y'), KeyModifiers::NONE)));
    assert!(
        matches!(effects.as_slice(), [Effect::Engine(crate::sync::Command::CreateReference { table, .. })] if table == "cmn_location"),
        "{effects:?}"
    );
    assert!(matches!(app.shared.overlay, Overlay::None));
    let effects = app.handle(Event::Key(KeyEvent::new(KeyCode::Char('J'), KeyModifiers::NONE)));
    assert!(matches!(effects.as_slice(), [Effect::Export { csv: false, records }] if records.len() == 1));
}
