//! Two consoles saving the same mapping file (acceptance N12): each save writes only its own
//! edits over the other's.

use super::*;
use crate::mapping::model::DEFAULT_MAPPINGS_TOML;
use crate::mapping::model::raw::RawScopingFilter;

/// A console's screen: the file as read, and its working copy with `target`'s mapping made an
/// expression.
fn edited(read: &str, target: &str, expression: &str) -> (RawMappingFile, RawMappingFile, String) {
    let base = Draft::from_text(read).file;
    let mut ours = base.clone();
    let user = ours.user.as_mut().unwrap();
    let a = user.attributes.iter_mut().find(|a| a.target == target).unwrap();
    a.source = None;
    a.expression = Some(expression.to_owned());
    let (_, text) = check(&ours).unwrap();
    (base, ours, text)
}

fn mapping(path: &Path, target: &str) -> (Option<String>, Option<String>) {
    let file = Draft::from_text(&std::fs::read_to_string(path).unwrap()).file;
    let a = file
        .user
        .unwrap()
        .attributes
        .into_iter()
        .find(|a| a.target == target)
        .unwrap();
    (a.source, a.expression)
}

#[test]
fn a_save_over_another_consoles_save_keeps_its_change() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mappings.toml");
    std::fs::write(&path, DEFAULT_MAPPINGS_TOML).unwrap();
    // Both consoles read the file; A edits city, B edits state and saves first.
    let (a_base, a_ours, a_text) = edited(DEFAULT_MAPPINGS_TOML, "city", "Left([city], 30)");
    let (b_base, b_ours, b_text) = edited(DEFAULT_MAPPINGS_TOML, "state", "Left([state], 30)");
    let b = write(&path, &b_base, &b_ours, &b_text).unwrap();
    assert!(!b.merged);
    let a = write(&path, &a_base, &a_ours, &a_text).unwrap();
    assert!(a.merged, "A's save was written over B's: it says so");
    assert_eq!(mapping(&path, "city"), (None, Some("Left([city], 30)".to_owned())));
    assert_eq!(
        mapping(&path, "state"),
        (None, Some("Left([state], 30)".to_owned())),
        "B's saved change was reverted by A's save"
    );
    assert_eq!(
        Draft::from_text(&std::fs::read_to_string(&path).unwrap()).file,
        Draft::from_text(&a.text).file,
        "the screen is told what the file holds now"
    );
}

#[test]
fn both_consoles_changing_one_mapping_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mappings.toml");
    std::fs::write(&path, DEFAULT_MAPPINGS_TOML).unwrap();
    let (a_base, a_ours, a_text) = edited(DEFAULT_MAPPINGS_TOML, "city", "Left([city], 30)");
    let (b_base, b_ours, b_text) = edited(DEFAULT_MAPPINGS_TOML, "city", "Left([city], 20)");
    write(&path, &b_base, &b_ours, &b_text).unwrap();
    let before = std::fs::read_to_string(&path).unwrap();
    let refused = write(&path, &a_base, &a_ours, &a_text).unwrap_err();
    assert_eq!(
        refused.to_string(),
        "the mapping file changed since this screen read it (another console saved it), and it changed the mapping of user city too"
    );
    assert!(matches!(&refused, MappingsNotSaved::Conflict { theirs, .. } if *theirs == before));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before, "nothing written");
}

#[test]
fn a_scoping_filter_saved_from_the_scope_screen_keeps_another_consoles_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mappings.toml");
    std::fs::write(&path, DEFAULT_MAPPINGS_TOML).unwrap();
    let (b_base, b_ours, b_text) = edited(DEFAULT_MAPPINGS_TOML, "state", "Left([state], 30)");
    let a_base = Draft::from_text(DEFAULT_MAPPINGS_TOML).file;
    let mut a_ours = a_base.clone();
    let filter: RawScopingFilter = toml::from_str(
        "name = \"IT\"\nclauses = [{ attribute = \"department\", operator = \"EQUALS\", value = \"IT\" }]",
    )
    .unwrap();
    a_ours.user.as_mut().unwrap().scoping_filters.push(filter.clone());
    let (_, a_text) = check(&a_ours).unwrap();
    write(&path, &b_base, &b_ours, &b_text).unwrap();
    write(&path, &a_base, &a_ours, &a_text).unwrap();
    let file = Draft::from_text(&std::fs::read_to_string(&path).unwrap()).file;
    assert_eq!(file.user.as_ref().unwrap().scoping_filters, vec![filter]);
    assert_eq!(mapping(&path, "state"), (None, Some("Left([state], 30)".to_owned())));
}
