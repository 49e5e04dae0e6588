//! The settings screen's rows that live in the mapping file, not the configuration file: skip
//! out-of-scope deletions (app-level) and the delete target object action of users and groups.
//! A toggle changes the mappings' working copy, unsaved, like the editor's other fields: it
//! can be toggled back (the working copy is then the file as saved again), and S saves it
//! (through the preview of what the changed rules would do, `app/pending.rs`). Saving at once
//! started that preview on every toggle, which took the next keys and could not be undone.
//! A toggle is refused while the mappings have unsaved edits made elsewhere.

use crossterm::event::{KeyCode, KeyEvent};

use super::{MAPPING_FIELDS, Settings};
use crate::config::{DeprovisionGroups, DeprovisionUsers, Provisioning};
use crate::mapping::model::raw::RawMappingFile;
use crate::tui::app::Shared;
use crate::tui::screens::mappings::{Doc, Draft};

/// The mapping-file row `key` toggles, if it toggles one.
pub fn key(editor: &Settings, key: KeyEvent) -> Option<usize> {
    let focus = editor.focus;
    (focus >= MAPPING_FIELDS
        && matches!(
            key.code,
            KeyCode::Left | KeyCode::Right | KeyCode::Char(' ') | KeyCode::Enter
        ))
    .then_some(focus)
}

/// Toggles mapping-file row `field` in the working copy; returns whether the rows now differ
/// from the file as saved (`rows_changed`: whether the working copy's edits are the rows').
pub fn toggle(doc: &mut Doc, field: usize, rows_changed: bool, shared: &mut Shared) -> bool {
    if doc.draft.dirty() && !rows_changed {
        shared.status = "the mappings have unsaved edits: save (m, then S) or drop them first".to_owned();
        return false;
    }
    let mut candidate = doc.draft.file.clone();
    let what = match field - MAPPING_FIELDS {
        0 => {
            candidate.skip_out_of_scope_deletions = !candidate.skip_out_of_scope_deletions;
            "skip out-of-scope deletions"
        }
        n => {
            let object = if n == 1 {
                &mut candidate.user
            } else {
                &mut candidate.group
            };
            let actions = object
                .get_or_insert_with(Default::default)
                .actions
                .get_or_insert_with(Default::default);
            actions.delete = Some(!actions.delete.unwrap_or(true));
            "the delete action"
        }
    };
    let loaded = doc.draft.apply(candidate, &format!("changed {what}"));
    if loaded.is_none() {
        return rows_changed;
    }
    doc.take(loaded);
    let saved = Draft::from_text(&doc.saved_text).file;
    if rows(&doc.draft.file) == rows(&saved) {
        // Toggled back: the working copy is the file as saved again, nothing to save.
        back_to_saved(doc);
        shared.status = format!("{what}: back as saved");
        return false;
    }
    shared.status = format!("{what} changed, not saved: S saves it");
    true
}

/// The mappings' working copy as the file was last read or saved.
pub(super) fn back_to_saved(doc: &mut Doc) {
    let text = doc.saved_text.clone();
    let set = crate::mapping::model::load_str(&text).map_err(Into::into);
    *doc = Doc {
        groups: doc.groups,
        ..Doc::from_text(set, text)
    };
}

/// What the mapping-file rows say, as compared with the file as saved.
fn rows(file: &RawMappingFile) -> (bool, bool, bool) {
    (
        file.skip_out_of_scope_deletions,
        delete_on(&file.user),
        delete_on(&file.group),
    )
}

/// The values of the mapping-file rows, in field order. The Delete action says what it does
/// with the configuration's deprovisioning (`sync::plan::deprovision`): an object purged in
/// Entra is deleted only when the action is on *and* `deprovision_users` /
/// `deprovision_groups = "delete"`; otherwise it is disabled (users) or deactivated (groups),
/// as are objects that leave scope or are disabled, whatever the action says. So each state
/// names what it does, and "on" under a configuration that never deletes says it waits for it
/// (both states used to read "purged → disabled", which told the admin nothing).
pub fn values(doc: &Doc, provisioning: &Provisioning) -> [String; 3] {
    let file = &doc.draft.file;
    [
        format!("◀ {} ▶", if file.skip_out_of_scope_deletions { "yes" } else { "no" }),
        delete_label(delete_on(&file.user), deletes_users(provisioning)),
        delete_label(delete_on(&file.group), deletes_groups(provisioning)),
    ]
}

/// What the focused Delete action row does now, in a sentence that starts with its state;
/// `None` on the other rows. Off never deletes: an object purged in Entra, like one leaving
/// scope, is disabled (users) or deactivated (groups).
pub fn explain(editor: &Settings, doc: &Doc) -> Option<String> {
    let p = &editor.base;
    let file = &doc.draft.file;
    let (on, deletes, key, noun, otherwise) = match editor.focus.checked_sub(MAPPING_FIELDS)? {
        1 => (
            delete_on(&file.user),
            deletes_users(p),
            "deprovision_users",
            "users",
            "disabled",
        ),
        2 => (
            delete_on(&file.group),
            deletes_groups(p),
            "deprovision_groups",
            "groups",
            "deactivated",
        ),
        _ => return None,
    };
    Some(match (on, deletes) {
        (true, true) => format!("On: {noun} purged in Entra are deleted ({key} = \"delete\")."),
        (true, false) => format!("On: {noun} purged in Entra are {otherwise} until {key} = \"delete\"."),
        (false, _) => format!("Off: {noun} purged in Entra or leaving scope are {otherwise}, never deleted."),
    })
}

fn delete_on(o: &Option<crate::mapping::model::raw::RawObjectMapping>) -> bool {
    o.as_ref()
        .and_then(|o| o.actions.as_ref())
        .and_then(|a| a.delete)
        .unwrap_or(true)
}

fn deletes_users(p: &Provisioning) -> bool {
    p.deprovision_users == DeprovisionUsers::Delete
}

fn deletes_groups(p: &Provisioning) -> bool {
    p.deprovision_groups == DeprovisionGroups::Delete
}

/// The Delete action's value: what on and off each do under the configuration.
fn delete_label(on: bool, deletes: bool) -> String {
    match (on, deletes) {
        (true, true) => "◀ on: purged in Entra → deleted ▶",
        (true, false) => "◀ on: deletes if config says delete ▶",
        (false, _) => "◀ off: never deleted ▶",
    }
    .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::model::DEFAULT_MAPPINGS_TOML;

    fn doc() -> Doc {
        let text = DEFAULT_MAPPINGS_TOML.to_owned();
        Doc::from_text(crate::mapping::model::load_str(&text).map_err(Into::into), text)
    }

    fn user_delete(doc: &mut Doc, on: bool) {
        let user = doc.draft.file.user.get_or_insert_with(Default::default);
        user.actions.get_or_insert_with(Default::default).delete = Some(on);
    }

    /// Regression: with `deprovision_users = "disable"` both states read "purged → disabled".
    #[test]
    fn each_delete_action_state_says_what_it_does() {
        let mut doc = doc();
        let disable = Provisioning::default();
        assert_eq!(disable.deprovision_users, DeprovisionUsers::Disable);
        let on = values(&doc, &disable)[1].clone();
        user_delete(&mut doc, false);
        let off = values(&doc, &disable)[1].clone();
        assert_ne!(on, off, "the two states read the same");
        assert_eq!(on, "◀ on: deletes if config says delete ▶");
        assert_eq!(off, "◀ off: never deleted ▶");
        let deletes = Provisioning {
            deprovision_users: DeprovisionUsers::Delete,
            ..Provisioning::default()
        };
        assert_eq!(values(&doc, &deletes)[1], "◀ off: never deleted ▶");
        user_delete(&mut doc, true);
        assert_eq!(values(&doc, &deletes)[1], "◀ on: purged in Entra → deleted ▶");
    }
}
