//! Writing the mappings screen's save (acceptance N12): the file is read again at the moment of
//! writing, and when another console saved it since this screen read it, only this console's
//! own edits are written over it (`mappings::merge`); edits of the same mapping on both sides
//! are refused, naming it.

use std::path::Path;

use crate::config::edit::{EditError, write_mappings};
use crate::mapping::model::raw::RawMappingFile;
use crate::tui::error::MappingsNotSaved;
use crate::tui::event::MappingsWritten;
use crate::tui::screens::mappings::{Draft, check, merge};

/// Writes `ours` (whose text is `text`) to `path`, merged into the file as it is now when that
/// is no longer `base`, the file as the screen last read it.
pub(super) fn write(
    path: &Path,
    base: &RawMappingFile,
    ours: &RawMappingFile,
    text: &str,
) -> Result<MappingsWritten, MappingsNotSaved> {
    let now = match std::fs::read_to_string(path) {
        Ok(now) => Some(now),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(MappingsNotSaved::Edit(EditError::Read {
                path: path.to_owned(),
                source,
            }));
        }
    };
    // None yet, or one that no longer parses (a hand edit gone wrong): written whole, as the
    // working copy was checked.
    let theirs = now.as_deref().map(Draft::from_text).filter(|d| d.problems.is_empty());
    let Some(theirs) = theirs.filter(|d| d.file != *base) else {
        write_mappings(path, text)?;
        return Ok(MappingsWritten {
            text: text.to_owned(),
            merged: false,
            config: None,
        });
    };
    let merged = merge::merge(base, ours, &theirs.file);
    let now = now.unwrap_or_default();
    if !merged.conflicts.is_empty() {
        return Err(MappingsNotSaved::Conflict {
            conflicts: merged.conflicts,
            theirs: now,
        });
    }
    let (_, text) = check(&merged.file).map_err(|problems| MappingsNotSaved::Unmergeable {
        problems,
        theirs: now.clone(),
    })?;
    write_mappings(path, &text)?;
    Ok(MappingsWritten {
        text,
        merged: true,
        config: None,
    })
}

#[cfg(test)]
#[path = "mappings_save_tests.rs"]
mod tests;
