//! The settings screen's rows that live in the mapping file, not the configuration file: skip
//! out-of-scope deletions (app-level) and the delete target object action of users and groups.
//! A toggle changes the mappings' working copy and saves it at once (like assigned/all on the
//! scope screen), so it is refused while the mappings have other unsaved edits.

use crossterm::event::{KeyCode, KeyEvent};

use super::app::{Action, App};
use super::effect::Effect;
use super::mapping_actions::MapAction;
use super::settings::MAPPING_FIELDS;

impl App {
    /// Whether `key` toggles a mapping-file row of the settings screen.
    pub fn settings_extra_key(&self, key: KeyEvent) -> Option<Action> {
        let focus = self.settings_edit.as_ref()?.focus;
        (focus >= MAPPING_FIELDS && matches!(key.code, KeyCode::Left | KeyCode::Right | KeyCode::Char(' ')))
            .then_some(Action::SettingsToggle(focus))
    }

    /// Toggles mapping-file row `field` and saves the mappings.
    pub fn settings_toggle(&mut self, field: usize) -> Vec<Effect> {
        let draft = &mut self.mappings.draft;
        if draft.dirty {
            self.status = "the mappings have unsaved edits: save (m, then S) or drop them first".to_owned();
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
        self.mappings.take(loaded);
        if !changed {
            return Vec::new();
        }
        self.status = format!("saving {what} to the mapping file");
        self.mapping_update(MapAction::Save)
    }
}

/// The values of the mapping-file rows, in field order.
pub fn values(app: &App) -> [String; 3] {
    let file = &app.mappings.draft.file;
    let delete = |o: &Option<crate::mapping::model::raw::RawObjectMapping>| {
        let on = o
            .as_ref()
            .and_then(|o| o.actions.as_ref())
            .and_then(|a| a.delete)
            .unwrap_or(true);
        if on {
            "◀ delete when purged in Entra ▶"
        } else {
            "◀ disable only ▶"
        }
        .to_owned()
    };
    [
        format!("◀ {} ▶", if file.skip_out_of_scope_deletions { "yes" } else { "no" }),
        delete(&file.user),
        delete(&file.group),
    ]
}
