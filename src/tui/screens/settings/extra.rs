//! The settings screen's rows that live in the mapping file, not the configuration file: skip
//! out-of-scope deletions (app-level) and the delete target object action of users and groups.
//! A toggle changes the mappings' working copy and saves it at once (like assigned/all on the
//! scope screen), so it is refused while the mappings have other unsaved edits.

use crossterm::event::{KeyCode, KeyEvent};

use super::{MAPPING_FIELDS, Settings};
use crate::config::{DeprovisionGroups, DeprovisionUsers, Provisioning};
use crate::tui::app::Shared;
use crate::tui::effect::Effect;
use crate::tui::screens::mappings::{self, Doc};

/// The mapping-file row `key` toggles, if it toggles one.
pub fn key(editor: &Settings, key: KeyEvent) -> Option<usize> {
    let focus = editor.focus;
    (focus >= MAPPING_FIELDS && matches!(key.code, KeyCode::Left | KeyCode::Right | KeyCode::Char(' ')))
        .then_some(focus)
}

/// Toggles mapping-file row `field` and saves the mappings.
pub fn toggle(doc: &mut Doc, field: usize, editor: Option<&Settings>, shared: &mut Shared) -> Vec<Effect> {
    {
        let draft = &mut doc.draft;
        if draft.dirty {
            shared.status = "the mappings have unsaved edits: save (m, then S) or drop them first".to_owned();
            return Vec::new();
        }
        let mut candidate = draft.file.clone();
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
        let loaded = draft.apply(candidate, &format!("changed {what}"));
        let changed = loaded.is_some();
        doc.take(loaded);
        if !changed {
            return Vec::new();
        }
        shared.status = format!("saving {what} to the mapping file");
    }
    mappings::save(doc, editor)
}

/// The values of the mapping-file rows, in field order. The Delete action says what it does
/// with the configuration's deprovisioning (`sync::plan::deprovision`): an object purged in
/// Entra is deleted only when the action is on *and* `deprovision_users` /
/// `deprovision_groups = "delete"`; otherwise it is disabled (users) or deactivated (groups),
/// as are objects that leave scope or are disabled, whatever the action says.
pub fn values(doc: &Doc, provisioning: &Provisioning) -> [String; 3] {
    let file = &doc.draft.file;
    let delete = |o: &Option<crate::mapping::model::raw::RawObjectMapping>, deletes: bool, otherwise: &str| {
        let on = o
            .as_ref()
            .and_then(|o| o.actions.as_ref())
            .and_then(|a| a.delete)
            .unwrap_or(true);
        match (on, deletes) {
            (true, true) => "◀ on: purged in Entra → deleted ▶".to_owned(),
            (true, false) => format!("◀ on: purged → {otherwise} (config) ▶"),
            (false, _) => format!("◀ off: purged → {otherwise} ▶"),
        }
    };
    [
        format!("◀ {} ▶", if file.skip_out_of_scope_deletions { "yes" } else { "no" }),
        delete(
            &file.user,
            provisioning.deprovision_users == DeprovisionUsers::Delete,
            "disabled",
        ),
        delete(
            &file.group,
            provisioning.deprovision_groups == DeprovisionGroups::Delete,
            "deactivated",
        ),
    ]
}
