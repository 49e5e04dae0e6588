//! The three-way merge of a mappings save, part by part.

use super::*;
use crate::mapping::model::DEFAULT_MAPPINGS_TOML;
use crate::tui::screens::mappings::Draft;

fn base() -> RawMappingFile {
    Draft::from_text(DEFAULT_MAPPINGS_TOML).file
}

fn set(file: &mut RawMappingFile, target: &str, source: &str) {
    let a = file
        .user
        .as_mut()
        .unwrap()
        .attributes
        .iter_mut()
        .find(|a| a.target == target)
        .unwrap();
    a.source = Some(source.to_owned());
}

#[test]
fn each_side_keeps_what_only_it_changed_added_or_deleted() {
    let base = base();
    let mut ours = base.clone();
    set(&mut ours, "city", "l");
    ours.group.as_mut().unwrap().attributes.pop();
    let mut theirs = base.clone();
    set(&mut theirs, "state", "st");
    let mut added = theirs.user.as_ref().unwrap().attributes[0].clone();
    added.target = "u_extra".to_owned();
    added.matching = None;
    theirs.user.as_mut().unwrap().attributes.push(added);
    let merged = merge(&base, &ours, &theirs);
    assert!(merged.conflicts.is_empty());
    let mut expected = theirs.clone();
    set(&mut expected, "city", "l");
    expected.group.as_mut().unwrap().attributes.pop();
    assert_eq!(merged.file, expected);
}

#[test]
fn the_same_change_on_both_sides_is_no_conflict_and_a_different_one_is() {
    let base = base();
    let mut ours = base.clone();
    set(&mut ours, "city", "l");
    let merged = merge(&base, &ours, &ours);
    assert!(merged.conflicts.is_empty());
    let mut theirs = base.clone();
    set(&mut theirs, "city", "m");
    theirs.skip_out_of_scope_deletions = true;
    ours.skip_out_of_scope_deletions = false;
    let merged = merge(&base, &ours, &theirs);
    assert_eq!(merged.conflicts, vec!["the mapping of user city".to_owned()]);
    assert!(merged.file.skip_out_of_scope_deletions, "theirs alone changed it");
}
