//! Matching (Entra's, spec §2.4): a stored link first; else the matching attributes in
//! precedence order, one at a time, compared case-insensitively.
//!
//! Never a candidate, whatever matches it (DESIGN.md "Configuration", issue 12): the
//! integration account and rows of tables that extend the target table (an object whose value
//! finds one fails with [`FailureCode::MatchesIntegrationAccount`] / `MatchesOtherClass`);
//! a row linked to another object, or claimed by another object earlier in this cycle (two
//! Entra users sharing a mail never share a row). An object that would be created on a value
//! whose lookup could not run this cycle fails with `MatchingValueNotSearchable`: it may exist.

use std::collections::{HashMap, HashSet};

use super::super::op::{Failure, ObjectType};
use super::super::outcome::FailureCode;
use super::desired::failure;
use super::input::{Prior, Protected, Row, Rules, SourceObject, Target};
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
    ot: ObjectType,
    mapping: &'a ObjectMapping,
    matching: Vec<&'a AttributeMapping>,
    /// Every row with the value, active or not (protected rows are found whatever the rule).
    by_value: Vec<HashMap<String, Vec<&'a Row>>>,
    by_id: &'a HashMap<&'a str, &'a Row>,
    target: &'a Target,
    match_active_only: bool,
    /// sys_id → the source id of the object linked to it.
    owners: HashMap<&'a str, &'a str>,
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
    target: &'a Target,
    by_id: &'a HashMap<&'a str, &'a Row>,
    prior: &'a Prior,
    rules: &Rules,
) -> Vec<Matched<'a>> {
    let rows = match ot {
        ObjectType::Group => &target.groups,
        _ => &target.users,
    };
    let matching = mapping.matching();
    let by_value = matching
        .iter()
        .map(|m| {
            let mut idx: HashMap<String, Vec<&Row>> = HashMap::new();
            for row in rows {
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
    let owners = prior
        .links
        .iter()
        .filter(|((t, _), _)| *t == ot)
        .map(|((_, src), sys)| (sys.as_str(), src.as_str()))
        .collect();
    let mut index = Index {
        ot,
        mapping,
        matching,
        by_value,
        by_id,
        target,
        match_active_only: rules.match_active_only,
        owners,
        first_key_count,
        claimed: HashSet::new(),
    };
    // Linked objects claim their rows first, so no unlinked object can take one, whatever
    // the order.
    index.claimed = objects
        .iter()
        .filter_map(|o| prior.links.get(&(ot, o.id.clone())))
        .filter_map(|sys| by_id.get(sys.as_str()).map(|r| r.sys_id.as_str()))
        .collect();
    objects
        .iter()
        .zip(&all_keys)
        .map(|(o, k)| index.match_one(o, k, prior))
        .collect()
}

impl<'a> Index<'a> {
    /// A stored link first (its row gone: InvalidAnchor, re-matched); else the matching
    /// attributes in precedence order.
    fn match_one(&mut self, o: &SourceObject, keys: &[Option<String>], prior: &Prior) -> Matched<'a> {
        let ot = self.ot;
        let mut prefix = String::new();
        if let Some(sys_id) = prior.links.get(&(ot, o.id.clone())) {
            match self.by_id.get(sys_id.as_str()) {
                Some(row) => {
                    if let Some(p) = self.target.protected(row, &self.mapping.target_table) {
                        return Matched::Fail(protected_failure(&p, row, &format!("the link to {sys_id}")));
                    }
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
        self.by_keys(o, keys, &prefix)
    }

    /// One attribute at a time: no candidate → the next attribute (create after the last),
    /// one → that row, more → DuplicateTargetEntries. A protected row among the rows with the
    /// value fails the object.
    fn by_keys(&mut self, o: &SourceObject, keys: &[Option<String>], prefix: &str) -> Matched<'a> {
        for (i, key) in keys.iter().enumerate() {
            let Some(v) = key else { continue };
            let target = &self.matching[i].target;
            let rows = self.by_value[i].get(v).map(Vec::as_slice).unwrap_or_default();
            if let Some((row, p)) = rows
                .iter()
                .find_map(|r| Some((*r, self.target.protected(r, &self.mapping.target_table)?)))
            {
                return Matched::Fail(protected_failure(&p, row, &format!("{target} '{v}'")));
            }
            let candidates: Vec<&'a Row> = rows
                .iter()
                .copied()
                .filter(|r| !self.match_active_only || r.active())
                .filter(|r| self.owners.get(r.sys_id.as_str()).is_none_or(|owner| *owner == o.id))
                .filter(|r| !self.claimed.contains(r.sys_id.as_str()))
                .collect();
            match candidates.as_slice() {
                [] => continue,
                [row] => {
                    self.claimed.insert(&row.sys_id);
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
        let unsearched: Vec<String> = keys
            .iter()
            .zip(&self.matching)
            .filter_map(|(k, m)| Some((m.target.clone(), k.clone()?)))
            .filter(|key| self.target.not_looked_up.contains(key))
            .map(|(field, value)| format!("{field} '{value}'"))
            .collect();
        if !unsearched.is_empty() {
            return Matched::Fail(failure(
                FailureCode::MatchingValueNotSearchable,
                format!(
                    "{prefix}{} could not be looked up in ServiceNow, so a row may already have it: not created",
                    unsearched.join(", ")
                ),
                "change the value in Entra (an encoded query cannot search it), or run `nowsync restart --scope watermark` so the next cycle reads the whole table",
            ));
        }
        Matched::Create {
            how: format!("{prefix}no row matches: create"),
        }
    }
}

/// The failure of an object whose link or matching value (`by`) points at a protected row.
fn protected_failure(p: &Protected, row: &Row, by: &str) -> Failure {
    match p {
        Protected::IntegrationAccount => failure(
            FailureCode::MatchesIntegrationAccount,
            format!(
                "{by} points at {}, the integration account nowsync signs in as: it is never matched, written or disabled",
                row.sys_id
            ),
            "give this Entra object another value for its matching attributes (e.g. its mail), or sign nowsync in with a dedicated integration account",
        ),
        Protected::OtherClass(class) => failure(
            FailureCode::MatchesOtherClass,
            format!(
                "{by} points at {}, a row of {class} (a table that extends the user table): it is never matched or written",
                row.sys_id
            ),
            "change the matching value in Entra or in ServiceNow so that it no longer equals this record's, or scope the object out",
        ),
    }
}
