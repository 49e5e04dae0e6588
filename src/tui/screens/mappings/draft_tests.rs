//! State-machine tests of the mapping editor: keys in, working copy out.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn typed(d: &mut Draft, text: &str) {
    for c in text.chars() {
        d.form_key(false, key(KeyCode::Char(c)));
    }
}

fn clear(d: &mut Draft) {
    for _ in 0..80 {
        d.form_key(false, key(KeyCode::Backspace));
    }
}

fn users(d: &Draft) -> &[RawAttributeMapping] {
    d.object(false).map_or(&[][..], |o| o.attributes.as_slice())
}

#[test]
fn a_file_that_leaves_an_object_out_gets_the_defaults() {
    let d = Draft::from_text("skip_out_of_scope_deletions = true\n");
    assert!(d.file.skip_out_of_scope_deletions);
    assert!(!users(&d).is_empty() && d.object(true).is_some());
    assert!(!d.dirty());
}

#[test]
fn the_form_edits_a_mapping_and_refuses_what_does_not_load() {
    let mut d = Draft::from_text(DEFAULT_MAPPINGS_TOML);
    let row = users(&d).iter().position(|a| a.target == "title").unwrap();
    d.open_form(false, Some(row));
    // Kind → Constant, value "Staff".
    d.form_key(false, key(KeyCode::Right));
    assert_eq!(d.form.as_ref().unwrap().kind, Kind::Constant);
    d.form_key(false, key(KeyCode::Down));
    clear(&mut d);
    typed(&mut d, "Staff");
    let loaded = d.form_key(false, key(KeyCode::Enter));
    assert!(loaded.is_some(), "{:?}", d.form.as_ref().map(|f| &f.problems));
    assert!(d.form.is_none() && d.dirty());
    assert_eq!(users(&d)[row].constant.as_deref(), Some("Staff"));
    assert_eq!(users(&d)[row].source, None);

    // An expression that does not parse: the form stays, with the problem and its path.
    d.open_form(false, Some(row));
    d.form_key(false, key(KeyCode::Right));
    d.form_key(false, key(KeyCode::Down));
    clear(&mut d);
    typed(&mut d, "Left([department], ");
    assert!(d.form_key(false, key(KeyCode::Enter)).is_none());
    let problems = &d.form.as_ref().unwrap().problems;
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with(&format!("user.attributes[{row}]"))),
        "{problems:?}"
    );
    assert_eq!(users(&d)[row].constant.as_deref(), Some("Staff"), "unchanged");
    d.form_key(false, key(KeyCode::Esc));
    assert!(d.form.is_none());
}

#[test]
fn add_delete_and_matching_precedence() {
    let mut d = Draft::from_text(DEFAULT_MAPPINGS_TOML);
    let n = users(&d).len();
    d.open_form(false, None);
    d.form_key(false, key(KeyCode::Down));
    typed(&mut d, "mailNickname");
    d.form_key(false, key(KeyCode::Down));
    typed(&mut d, "u_nickname");
    // Apply: only during creation.
    d.form_key(false, key(KeyCode::Down));
    d.form_key(false, key(KeyCode::Down));
    d.form_key(false, key(KeyCode::Char(' ')));
    // Matching: not a number is refused before the file is checked.
    d.form_key(false, key(KeyCode::Down));
    typed(&mut d, "x");
    assert!(d.form_key(false, key(KeyCode::Enter)).is_none());
    assert_eq!(
        d.form.as_ref().unwrap().problems,
        ["matching: expected a whole number from 1 (got \"x\")"]
    );
    d.form_key(false, key(KeyCode::Backspace));
    typed(&mut d, "0");
    assert!(d.form_key(false, key(KeyCode::Enter)).is_none());
    assert_eq!(
        d.form.as_ref().unwrap().problems,
        ["matching: expected a whole number from 1 (got \"0\")"]
    );
    d.form_key(false, key(KeyCode::Backspace));
    typed(&mut d, "9");
    let loaded = d.form_key(false, key(KeyCode::Enter));
    assert!(loaded.is_some(), "{:?}", d.form.as_ref().map(|f| &f.problems));
    let added = &users(&d)[n];
    assert_eq!(
        (added.source.as_deref(), added.target.as_str(), added.apply.as_deref()),
        (Some("mailNickname"), "u_nickname", Some("on_create"))
    );

    // The new matching attribute moves to first place, one step at a time.
    let before = users(&d).iter().filter(|a| a.matching.is_some()).count();
    while d.reorder(false, n, true).is_some() {}
    assert_eq!(users(&d)[n].matching, Some(1));
    let mut ranks: Vec<u32> = users(&d).iter().filter_map(|a| a.matching).collect();
    ranks.sort();
    assert_eq!(ranks, (1..=before as u32).collect::<Vec<_>>(), "renumbered 1..n");

    assert!(d.delete(false, n).is_some());
    assert_eq!(users(&d).len(), n);
}

#[test]
fn restore_and_import() {
    let mut d = Draft::from_text(DEFAULT_MAPPINGS_TOML);
    assert!(d.delete(false, 0).is_some());
    assert!(d.restore_defaults().is_some());
    assert_eq!(d.file, filled(default_file()));
    d.open_import();
    for c in "/tmp/schema.json".chars() {
        d.import_key(key(KeyCode::Char(c)));
    }
    assert!(d.in_text_field());
    assert_eq!(
        d.import_key(key(KeyCode::Enter)),
        Outcome::Import("/tmp/schema.json".into())
    );
    assert!(d.import.is_none());
    let missing = crate::tui::error::FileError::Read {
        path: "schema.json".into(),
        source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
    };
    assert!(d.imported(Err(missing)).is_none());
    assert!(d.note.as_deref().is_some_and(|n| n.contains("no such file")));
    let export = crate::mapping::model::export_schema(&default_file());
    let imported = crate::mapping::model::import_schema(&export.schema.to_string()).unwrap();
    assert!(d.imported(Ok(imported)).is_some(), "{:?}", d.problems);
}
