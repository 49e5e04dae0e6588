//! The mapping file read again: after another console's save (the engine's reload) the
//! mappings and scope screens show the file as saved, unless they hold edits of their own.

use super::{Doc, Draft, State};

impl State {
    /// Shown again: a note of what was done earlier goes (acceptance F19: "saved; the engine
    /// reloaded the mappings" stayed for minutes); the problems of a refused change stay.
    pub fn entered(&mut self) {
        if self.doc.draft.problems.is_empty() {
            self.doc.draft.note = None;
        }
    }

    /// The mapping file as saved now (another console may have saved it): unedited, the
    /// screens show it; with edits (or an editor open) they stay, and the screen says the file
    /// changed underneath them. Returns whether the rules shown changed.
    pub fn read_again(&mut self, text: String) -> bool {
        let unchanged = text == self.doc.saved_text
            || toml::from_str::<crate::mapping::model::raw::RawMappingFile>(&text)
                .is_ok_and(|_| Draft::from_text(&text).file == *self.doc.draft.saved());
        if unchanged {
            return false;
        }
        if self.doc.draft.dirty() || self.editor.is_some() || self.doc.draft.is_open() {
            self.doc.draft.note = Some(
                "the mapping file changed since this screen read it (another console saved it): S writes only your edits over it, keeping its changes"
                    .to_owned(),
            );
            return false;
        }
        let set = crate::mapping::model::load_str(&text).map_err(Into::into);
        self.doc = Doc {
            groups: self.doc.groups,
            ..Doc::from_text(set, text)
        };
        self.doc.draft.note = Some("read again: another console saved the mapping file".to_owned());
        self.selected = self.selected.min(self.doc.rows().saturating_sub(1));
        true
    }
}
