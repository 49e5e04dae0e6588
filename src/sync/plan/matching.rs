//! Matching (Entra's, spec §2.4): a stored link first; else the matching attributes in
//! precedence order, one at a time, compared case-insensitively.

use std::collections::{HashMap, HashSet};

use super::super::op::{Failure, ObjectType};
use super::super::outcome::FailureCode;
use super::desired::failure;
use super::input::{Prior, Row, Rules, SourceObject};
use crate::mapping::model::{AttributeMapping, ObjectMapping};
use crate::mapping::{Context, Flow};

/// How one object matched.
pub(super) enum Matched<'a> {
    Row { row: &'a Row, how: String },
    Create { how: String },
    Fail(Failure),
}

/// Matching values of an object, per matching attribute (lower-cased; `None` when empty).
pub(super) fn keys(object: &SourceObject, mapping: &ObjectMapping, rules: &Rules) -> Vec<Option<String>> {
    let ctx = Context::new(&object.attrs, rules.now);
    mapping
        .matching()
        .iter()
        .map(|m| match m.evaluate(&ctx) {
            Ok(out) => match out.flow {
                Flow::Value(v) => v.text().filter(|t| !t.is_empty()).map(|t| t.to_lowercase()),
                Flow::Dropped => None,
            },
            Err(_) => None,
        })
        .collect()
}

/// The rows by each matching attribute's value (lower-cased), and what the objects claim.
struct Index<'a> {
    matching: Vec<&'a AttributeMapping>,
    by_value: Vec<HashMap<String, Vec<&'a Row>>>,
    by_id: &'a HashMap<&'a str, &'a Row>,
    /// DuplicateSourceEntries: how many unlinked objects would be matched (and created) by
    /// each (matching attribute, value).
    first_key_count: HashMap<(usize, String), u32>,
    claimed: HashSet<&'a str>,
}

/// Every in-scope object of one type matched against the rows, in order.
pub(super) fn match_all<'a>(
    ot: ObjectType,
    objects: &[&SourceObject],
    mapping: &'a ObjectMapping,
    rows: &'a [Row],
    by_id: &'a HashMap<&'a str, &'a Row>,
    prior: &Prior,
    rules: &Rules,
) -> Vec<Matched<'a>> {
    let matching = mapping.matching();
    let by_value = matching
        .iter()
        .map(|m| {
            let mut idx: HashMap<String, Vec<&Row>> = HashMap::new();
            for row in rows.iter().filter(|r| !rules.match_active_only || r.active()) {
                if let Some(v) = row.get(&m.target) {
                    idx.entry(v.to_lowercase()).or_default().push(row);
                }
            }
            idx
        })
        .collect();
    let all_keys: Vec<Vec<Option<String>>> = objects.iter().map(|o| keys(o, mapping, rules)).collect();
    let mut first_key_count: HashMap<(usize, String), u32> = HashMap::new();
    for (o, k) in objects.iter().zip(&all_keys) {
        if prior.links.contains_key(&(ot, o.id.clone())) {
            continue;
        }
        if let Some((i, Some(v))) = k.iter().enumerate().find(|(_, v)| v.is_some()) {
            *first_key_count.entry((i, v.clone())).or_default() += 1;
        }
    }
    let mut index = Index {
        matching,
        by_value,
        by_id,
        first_key_count,
        claimed: HashSet::new(),
    };
    objects
        .iter()
        .zip(&all_keys)
        .map(|(o, k)| index.match_one(ot, o, k, prior))
        .collect()
}

impl<'a> Index<'a> {
    /// A stored link first (its row gone: InvalidAnchor, re-matched); else the matching
    /// attributes in precedence order.
    fn match_one(&mut self, ot: ObjectType, o: &SourceObject, keys: &[Option<String>], prior: &Prior) -> Matched<'a> {
        let mut prefix = String::new();
        if let Some(sys_id) = prior.links.get(&(ot, o.id.clone())) {
            match self.by_id.get(sys_id.as_str()) {
                Some(row) => {
                    self.claimed.insert(&row.sys_id);
                    return Matched::Row {
                        row,
                        how: format!("linked to {sys_id}"),
                    };
                }
                // InvalidAnchor: re-match now rather than wait for a restart (beyond Entra).
                None => prefix = format!("InvalidAnchor: the linked row {sys_id} is gone; re-matched. "),
            }
        } else if let Some((i, Some(v))) = keys.iter().enumerate().find(|(_, v)| v.is_some())
            && self.first_key_count.get(&(i, v.clone())).copied().unwrap_or(0) > 1
        {
            return Matched::Fail(failure(
                FailureCode::DuplicateSourceEntries,
                format!(
                    "another {} in scope has the same {} '{v}'",
                    ot.as_str(),
                    self.matching[i].target
                ),
                "make the matching attribute unique in Entra, or scope one of them out",
            ));
        }
        if keys.iter().all(Option::is_none) {
            let names: Vec<&str> = self.matching.iter().map(|m| m.target.as_str()).collect();
            return Matched::Fail(failure(
                FailureCode::EntryJoiningPropertyValueIsMissing,
                format!("{prefix}no value for any matching attribute ({})", names.join(", ")),
                "fill the source attribute of a matching attribute in Entra, or change the matching attributes",
            ));
        }
        self.by_keys(keys, &prefix)
    }

    /// One attribute at a time: 0 rows → the next attribute (create after the last), 1 →
    /// that row (unless another object claimed it), more → DuplicateTargetEntries.
    fn by_keys(&mut self, keys: &[Option<String>], prefix: &str) -> Matched<'a> {
        for (i, key) in keys.iter().enumerate() {
            let Some(v) = key else { continue };
            let target = &self.matching[i].target;
            let candidates = self.by_value[i].get(v).map(Vec::as_slice).unwrap_or_default();
            match candidates {
                [] => continue,
                [row] => {
                    if !self.claimed.insert(&row.sys_id) {
                        return Matched::Fail(failure(
                            FailureCode::DuplicateSourceEntries,
                            format!("{prefix}the row matched by {target} '{v}' is already matched by another object"),
                            "make the matching attribute unique in Entra",
                        ));
                    }
                    return Matched::Row {
                        row,
                        how: format!("{prefix}matched on {target} = '{v}' ({})", row.sys_id),
                    };
                }
                many => {
                    let ids: Vec<&str> = many.iter().map(|r| r.sys_id.as_str()).collect();
                    return Matched::Fail(failure(
                        FailureCode::DuplicateTargetEntries,
                        format!("{prefix}{} rows have {target} '{v}': {}", many.len(), ids.join(", ")),
                        "remove or change the duplicate rows in ServiceNow so that one remains",
                    ));
                }
            }
        }
        Matched::Create {
            how: format!("{prefix}no row matches: create"),
        }
    }
}
