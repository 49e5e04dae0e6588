//! The screen after a save refused because another console saved the same mapping meanwhile.

use super::*;
use crate::mapping::model::DEFAULT_MAPPINGS_TOML;
use crate::mapping::model::raw::RawMappingFile;

fn with(file: &RawMappingFile, target: &str, expression: &str) -> RawMappingFile {
    let mut file = file.clone();
    let a = file
        .user
        .as_mut()
        .unwrap()
        .attributes
        .iter_mut()
        .find(|a| a.target == target)
        .unwrap();
    a.source = None;
    a.expression = Some(expression.to_owned());
    file
}

#[test]
fn a_refused_save_keeps_the_edits_over_the_other_save_and_the_next_s_writes_only_them() {
    let mut doc = Doc::from_text(
        crate::mapping::model::load_str(DEFAULT_MAPPINGS_TOML).map_err(Into::into),
        DEFAULT_MAPPINGS_TOML.to_owned(),
    );
    let base = doc.draft.file.clone();
    doc.draft.file = with(&with(&base, "city", "Left([city], 30)"), "zip", "Left([postalCode], 5)");
    // The other console saved city otherwise, and state.
    let theirs = with(&with(&base, "city", "Left([city], 20)"), "state", "Left([state], 30)");
    let theirs_text = check(&theirs).unwrap().1;
    let mut settings = crate::tui::screens::settings::State::default();
    let mut shared = Shared::default();
    let refused = MappingsNotSaved::Conflict {
        conflicts: vec!["the mapping of user city".to_owned()],
        theirs: theirs_text.clone(),
    };
    saved(&mut doc, Err(refused), &mut settings, &mut shared);
    assert_eq!(
        doc.draft.note.as_deref(),
        Some(
            "not saved: the mapping file changed since this screen read it (another console saved it), and it changed the mapping of user city too: S writes your version over it, Esc drops your edits and shows the file as saved"
        )
    );
    // The working copy: their state, this screen's city and zip; what it read: their file.
    let expected = with(
        &with(&theirs, "city", "Left([city], 30)"),
        "zip",
        "Left([postalCode], 5)",
    );
    assert_eq!(doc.draft.file, expected);
    assert_eq!(doc.draft.saved(), &theirs);
    assert_eq!(doc.saved_text, theirs_text, "Esc goes back to the other console's save");
    assert!(doc.draft.dirty());
}
