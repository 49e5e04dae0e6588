//! The mappings screen's save (also the scope screen's and the settings screen's rows of the
//! mapping file): the working copy checked and handed to the runtime with the file as this
//! screen last read it, so that only this screen's edits are written over another console's
//! save since (acceptance N12: a whole copy written over it reverted that save silently).

use super::{Doc, Draft, check, mapping_path, merge};
use crate::config::edit::{self, Edit};
use crate::tui::app::Shared;
use crate::tui::effect::{ConfigEdit, Effect, SaveMappings};
use crate::tui::error::MappingsNotSaved;
use crate::tui::event::MappingsWritten;
use crate::tui::screens::settings::Settings;

/// Checks the working copy and asks the runtime to write it (and to name it in the
/// configuration file when the profile names no mapping file yet), then reload the engine.
pub fn save(doc: &mut Doc, settings: Option<&Settings>) -> Vec<Effect> {
    let draft = &mut doc.draft;
    let text = match check(&draft.file) {
        Ok((_, text)) => text,
        Err(problems) => {
            draft.note = Some("not saved: the mappings do not load".to_owned());
            draft.problems = problems;
            return Vec::new();
        }
    };
    let Some(settings) = settings else {
        draft.note = Some("not saved: finish the setup wizard (w) first".to_owned());
        return Vec::new();
    };
    let mut profile = match edit::check(&settings.text, &settings.config_path, &settings.profile) {
        Ok(p) => p,
        Err(e) => {
            draft.note = Some(format!("not saved: the configuration file does not load: {e}"));
            return Vec::new();
        }
    };
    let path = mapping_path(&settings.config_path, profile.provisioning.mappings.as_deref());
    let config = profile.provisioning.mappings.is_none().then(|| ConfigEdit {
        path: settings.config_path.clone(),
        profile: settings.profile.clone(),
        edits: vec![Edit::set("provisioning", "mappings", path.display().to_string())],
    });
    // The engine reads the path as given: hand it the resolved one.
    profile.provisioning.mappings = Some(path.clone());
    draft.note = Some("saving…".to_owned());
    vec![Effect::SaveMappings(Box::new(SaveMappings {
        path,
        text,
        base: draft.saved().clone(),
        ours: draft.file.clone(),
        config,
        profile: Box::new(profile),
    }))]
}

/// The runtime wrote the mapping file (and the configuration file, whose new text comes with
/// it when it changed), or could not.
pub fn saved(
    doc: &mut Doc,
    result: Result<MappingsWritten, MappingsNotSaved>,
    settings: &mut crate::tui::screens::settings::State,
    shared: &mut Shared,
) {
    match result {
        Ok(written) => {
            let draft = &mut doc.draft;
            let note = if written.merged {
                // The screen shows the file as written: the other console's changes with these.
                let loaded = crate::mapping::model::load_str(&written.text).map_err(Into::into);
                let groups = doc.groups;
                *doc = Doc::from_text(loaded, written.text.clone());
                doc.groups = groups;
                shared.status =
                    "mappings saved over another console's save (its changes kept); the engine reloaded them"
                        .to_owned();
                "saved: the file had changed since this screen read it (another console saved it); only your edits were written over it, its changes are kept and shown here"
            } else {
                draft.mark_saved();
                doc.saved_text = doc.source_text.clone();
                shared.status = "mappings saved; the engine reloaded them".to_owned();
                "saved; the engine reloaded the mappings"
            };
            doc.draft.problems.clear();
            doc.draft.note = Some(note.to_owned());
            settings.rows_changed = false;
            if let (Some(text), Some(s)) = (written.config, &mut settings.editor) {
                s.text = text;
                if let Ok(p) = edit::check(&s.text, &s.config_path, &s.profile) {
                    s.base.mappings = p.provisioning.mappings.clone();
                    settings.rows = crate::tui::screens::settings::rows(&p);
                }
            }
        }
        Err(e) => {
            shared.status = format!("the mappings were not saved: {e}");
            let what = match &e {
                MappingsNotSaved::Conflict { theirs, .. } | MappingsNotSaved::Unmergeable { theirs, .. } => {
                    doc.rebase(theirs);
                    "S writes your version over it, Esc drops your edits and shows the file as saved"
                }
                MappingsNotSaved::Edit(_) => "S tries again",
            };
            doc.draft.note = Some(format!("not saved: {e}: {what}"));
        }
    }
}

impl Doc {
    /// A save refused because another console saved the file meanwhile: the file as it is now
    /// becomes what this screen read, and the working copy keeps this screen's edits over it
    /// (where both changed a mapping, this screen's), so the next `S` writes exactly them and
    /// Esc goes back to the other console's save.
    fn rebase(&mut self, theirs: &str) {
        let now = Draft::from_text(theirs);
        if !now.problems.is_empty() {
            return;
        }
        let merged = merge::merge(self.draft.saved(), &self.draft.file, &now.file).file;
        let loaded = check(&merged).ok();
        self.draft.rebase(now.file, loaded.is_some().then_some(merged));
        self.take(loaded);
        self.saved_text = theirs.to_owned();
    }
}

#[cfg(test)]
#[path = "save_tests.rs"]
mod tests;
