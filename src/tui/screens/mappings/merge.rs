//! A mappings save over a file another console saved meanwhile (acceptance N12): the save writes
//! only this console's own edits over the file as it is now, a three-way merge by mapping target.
//! `base` is the file as this screen last read or saved it, `ours` the working copy, `theirs`
//! the file on disk now. A part only one side changed takes that side's; a part both changed
//! alike is taken once; a part both changed differently is a conflict, named, and the save is
//! refused so that the admin decides (the next `S` writes this console's version of it).
//!
//! The parts: each attribute mapping by its target, each object's scoping filters as one, each
//! object's other keys (table, actions, enabled) as one, and the app-level flag.

use crate::mapping::model::raw::{RawAttributeMapping, RawMappingFile, RawObjectMapping};

/// The merged file, and the parts both sides changed differently (there `ours` was taken).
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    pub file: RawMappingFile,
    /// What both changed, in the admin's words: "the mapping of user city", "the group
    /// scoping filters".
    pub conflicts: Vec<String>,
}

/// Picks a part's value: the side that changed it, or `ours` (with `conflict` set) when both
/// changed it differently.
fn pick<T: PartialEq + Clone>(base: &T, ours: &T, theirs: &T, conflict: &mut bool) -> T {
    if ours == base || ours == theirs {
        theirs.clone()
    } else {
        *conflict |= theirs != base;
        ours.clone()
    }
}

/// Merges `ours` into `theirs` over their common `base`.
pub fn merge(base: &RawMappingFile, ours: &RawMappingFile, theirs: &RawMappingFile) -> Merged {
    let mut conflicts = Vec::new();
    let mut c = false;
    let skip = pick(
        &base.skip_out_of_scope_deletions,
        &ours.skip_out_of_scope_deletions,
        &theirs.skip_out_of_scope_deletions,
        &mut c,
    );
    if c {
        conflicts.push("skip_out_of_scope_deletions".to_owned());
    }
    let user = object("user", &base.user, &ours.user, &theirs.user, &mut conflicts);
    let group = object("group", &base.group, &ours.group, &theirs.group, &mut conflicts);
    Merged {
        file: RawMappingFile {
            skip_out_of_scope_deletions: skip,
            user,
            group,
        },
        conflicts,
    }
}

fn object(
    word: &str,
    base: &Option<RawObjectMapping>,
    ours: &Option<RawObjectMapping>,
    theirs: &Option<RawObjectMapping>,
    conflicts: &mut Vec<String>,
) -> Option<RawObjectMapping> {
    let (Some(b), Some(o), Some(t)) = (base, ours, theirs) else {
        // An object type added or dropped whole: taken as a part of its own.
        let mut c = false;
        let taken = pick(base, ours, theirs, &mut c);
        if c {
            conflicts.push(format!("the {word} mappings"));
        }
        return taken;
    };
    let head = |m: &RawObjectMapping| RawObjectMapping {
        attributes: Vec::new(),
        scoping_filters: Vec::new(),
        ..m.clone()
    };
    let mut c = false;
    let mut merged = pick(&head(b), &head(o), &head(t), &mut c);
    if c {
        conflicts.push(format!("the {word} object's table, actions or enabled flag"));
    }
    let mut c = false;
    merged.scoping_filters = pick(&b.scoping_filters, &o.scoping_filters, &t.scoping_filters, &mut c);
    if c {
        conflicts.push(format!("the {word} scoping filters"));
    }
    merged.attributes = attributes(word, &b.attributes, &o.attributes, &t.attributes, conflicts);
    Some(merged)
}

/// The attribute mappings by target, in `theirs`' order with those only `ours` has after.
fn attributes(
    word: &str,
    base: &[RawAttributeMapping],
    ours: &[RawAttributeMapping],
    theirs: &[RawAttributeMapping],
    conflicts: &mut Vec<String>,
) -> Vec<RawAttributeMapping> {
    let find = |list: &[RawAttributeMapping], target: &str| list.iter().find(|a| a.target == target).cloned();
    let mut targets: Vec<&str> = theirs.iter().map(|a| a.target.as_str()).collect();
    for a in ours.iter().chain(base) {
        if !targets.contains(&a.target.as_str()) {
            targets.push(&a.target);
        }
    }
    let mut merged = Vec::new();
    for target in targets {
        let mut c = false;
        let taken = pick(&find(base, target), &find(ours, target), &find(theirs, target), &mut c);
        if c {
            conflicts.push(format!("the mapping of {word} {target}"));
        }
        merged.extend(taken);
    }
    merged
}

#[cfg(test)]
#[path = "merge_tests.rs"]
mod tests;
