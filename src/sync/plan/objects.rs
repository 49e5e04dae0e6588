//! Users and groups: match, diff and deprovision, one object type at a time.

use std::collections::{HashMap, HashSet};

use crate::model::stable_hash;

use crate::mapping::Context;
use crate::mapping::Flow;
use crate::mapping::model::ObjectMapping;

use super::super::op::{Change, Failure, ObjectType, Op, OpKind, Step};
use super::super::outcome::{FailureCode, SkipReason, Status};
use super::desired::{desired, failure};
use super::input::{Prior, Row, Rules, Source, SourceObject, Target, normalise_bool};

/// What the object pass leaves for memberships: sys_ids known now, and every source id that
/// will have a row once the plan is applied.
#[derive(Debug, Default)]
pub struct Planned {
    pub sys_ids: HashMap<String, String>,
    pub provisioned: HashSet<String>,
}

enum Matched<'a> {
    Row { row: &'a Row, how: String },
    Create { how: String },
    Fail(Failure),
}

fn step(name: &str, status: Status, detail: impl Into<String>) -> Step {
    Step {
        name: name.into(),
        status,
        detail: detail.into(),
    }
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

#[allow(clippy::too_many_arguments)]
pub fn plan_objects(
    ot: ObjectType,
    source: &mut Source,
    target: &Target,
    prior: &Prior,
    rules: &Rules,
    ops: &mut Vec<Op>,
    deferred: &mut Vec<Op>,
) -> Planned {
    let (mapping, objects, rows) = match ot {
        ObjectType::Group => (&rules.mappings.group, &mut source.groups, &target.groups),
        _ => (&rules.mappings.user, &mut source.users, &target.users),
    };
    let mut planned = Planned::default();
    if !mapping.enabled {
        return planned;
    }
    let by_id: HashMap<&str, &Row> = rows.iter().map(|r| (r.sys_id.as_str(), r)).collect();
    let matching = mapping.matching();
    let index: Vec<HashMap<String, Vec<&Row>>> = matching
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
    // Indices, not references: each object's attributes are freed once its op is built, so
    // memory holds the plan or the source, not both.
    let in_scope: Vec<usize> = (0..objects.len()).filter(|&i| objects[i].in_scope).collect();
    let all_keys: Vec<Vec<Option<String>>> = in_scope.iter().map(|&i| keys(&objects[i], mapping, rules)).collect();
    // DuplicateSourceEntries: the value an unlinked object would be matched and created by.
    let mut first_key_count: HashMap<(usize, &str), u32> = HashMap::new();
    for (&i, k) in in_scope.iter().zip(&all_keys) {
        let o = &objects[i];
        if prior.links.contains_key(&(ot, o.id.clone())) {
            continue;
        }
        if let Some((i, Some(v))) = k.iter().enumerate().find(|(_, v)| v.is_some()) {
            *first_key_count.entry((i, v.as_str())).or_default() += 1;
        }
    }
    let mut claimed: HashSet<&str> = HashSet::new();
    let mut results: Vec<Matched> = Vec::with_capacity(in_scope.len());
    for (&i, k) in in_scope.iter().zip(&all_keys) {
        let o = &objects[i];
        results.push(match_one(
            ot,
            o,
            k,
            &matching,
            &index,
            &by_id,
            prior,
            &first_key_count,
            &mut claimed,
        ));
    }
    // Links as they will be after this cycle's matches (for provisioned references).
    let mut links = prior.links.clone();
    let mut pending: HashSet<String> = HashSet::new();
    for (&i, m) in in_scope.iter().zip(&results) {
        let o = &objects[i];
        match m {
            Matched::Row { row, .. } => {
                links.insert((ot, o.id.clone()), row.sys_id.clone());
            }
            Matched::Create { .. } if o.enabled && mapping.actions.create => {
                pending.insert(o.id.clone());
            }
            _ => {}
        }
    }
    let table = mapping.target_table.as_str();
    for (&i, m) in in_scope.iter().zip(results) {
        let o = &objects[i];
        let import = step(
            "Import",
            Status::Success,
            format!("{} {} read from Entra", ot.as_str(), o.name),
        );
        let scope = step("Scope", Status::Success, o.scope_detail.clone());
        let mut op = Op {
            object_type: ot,
            source_id: o.id.clone(),
            source_name: o.name.clone(),
            target_id: None,
            member_id: None,
            kind: OpKind::Skip {
                reason: SkipReason::InSync,
            },
            steps: vec![import, scope],
            hash: String::new(),
        };
        match m {
            Matched::Fail(f) => {
                op.steps.push(step("Match", Status::Failure, f.reason.clone()));
                op.kind = OpKind::Error(f);
            }
            Matched::Create { how } => {
                op.steps.push(step("Match", Status::Success, how));
                if !o.enabled {
                    op.kind = OpKind::Skip {
                        reason: SkipReason::DisabledNotCreated,
                    };
                } else if !mapping.actions.create {
                    op.kind = OpKind::Skip {
                        reason: SkipReason::CreateOff,
                    };
                } else {
                    match desired(o, mapping, true, target, &links, &pending, rules) {
                        Err(f) => op.kind = OpKind::Error(f),
                        Ok(d) => {
                            planned.provisioned.insert(o.id.clone());
                            push_deferred(ot, o, &d.deferred, deferred);
                            warn(&mut op, &d.warnings);
                            let fields = d
                                .fields
                                .into_iter()
                                .map(|(attribute, new)| Change {
                                    attribute,
                                    old: None,
                                    new: Some(new),
                                })
                                .collect();
                            op.kind = OpKind::Create { fields };
                        }
                    }
                }
            }
            Matched::Row { row, how } => {
                op.steps.push(step("Match", Status::Success, how));
                op.target_id = Some(row.sys_id.clone());
                planned.sys_ids.insert(o.id.clone(), row.sys_id.clone());
                match desired(o, mapping, false, target, &links, &pending, rules) {
                    Err(f) => op.kind = OpKind::Error(f),
                    Ok(d) => {
                        planned.provisioned.insert(o.id.clone());
                        push_deferred(ot, o, &d.deferred, deferred);
                        warn(&mut op, &d.warnings);
                        op.kind = diff_kind(ot, row, d.fields, mapping.actions.update, target, table);
                    }
                }
            }
        }
        op.hash = op_hash(o, &op.kind);
        ops.push(op);
        objects[i].attrs = Default::default();
    }
    deprovision(ot, mapping, source, &by_id, prior, rules, ops);
    planned
}

#[allow(clippy::too_many_arguments)]
fn match_one<'a>(
    ot: ObjectType,
    o: &SourceObject,
    keys: &[Option<String>],
    matching: &[&crate::mapping::model::AttributeMapping],
    index: &[HashMap<String, Vec<&'a Row>>],
    by_id: &HashMap<&str, &'a Row>,
    prior: &Prior,
    first_key_count: &HashMap<(usize, &str), u32>,
    claimed: &mut HashSet<&'a str>,
) -> Matched<'a> {
    let mut prefix = String::new();
    if let Some(sys_id) = prior.links.get(&(ot, o.id.clone())) {
        match by_id.get(sys_id.as_str()) {
            Some(row) => {
                claimed.insert(&row.sys_id);
                return Matched::Row {
                    row,
                    how: format!("linked to {sys_id}"),
                };
            }
            // InvalidAnchor: re-match now rather than wait for a restart (beyond Entra).
            None => prefix = format!("InvalidAnchor: the linked row {sys_id} is gone; re-matched. "),
        }
    } else if let Some((i, Some(v))) = keys.iter().enumerate().find(|(_, v)| v.is_some())
        && first_key_count.get(&(i, v.as_str())).copied().unwrap_or(0) > 1
    {
        return Matched::Fail(failure(
            FailureCode::DuplicateSourceEntries,
            format!(
                "another {} in scope has the same {} '{v}'",
                ot.as_str(),
                matching[i].target
            ),
            "make the matching attribute unique in Entra, or scope one of them out",
        ));
    }
    if keys.iter().all(Option::is_none) {
        let names: Vec<&str> = matching.iter().map(|m| m.target.as_str()).collect();
        return Matched::Fail(failure(
            FailureCode::EntryJoiningPropertyValueIsMissing,
            format!("{prefix}no value for any matching attribute ({})", names.join(", ")),
            "fill the source attribute of a matching attribute in Entra, or change the matching attributes",
        ));
    }
    for (i, key) in keys.iter().enumerate() {
        let Some(v) = key else { continue };
        let candidates = index[i].get(v).map(Vec::as_slice).unwrap_or_default();
        match candidates {
            [] => continue,
            [row] => {
                if !claimed.insert(&row.sys_id) {
                    return Matched::Fail(failure(
                        FailureCode::DuplicateSourceEntries,
                        format!(
                            "{prefix}the row matched by {} '{v}' is already matched by another object",
                            matching[i].target
                        ),
                        "make the matching attribute unique in Entra",
                    ));
                }
                return Matched::Row {
                    row,
                    how: format!("{prefix}matched on {} = '{v}' ({})", matching[i].target, row.sys_id),
                };
            }
            many => {
                let ids: Vec<&str> = many.iter().map(|r| r.sys_id.as_str()).collect();
                return Matched::Fail(failure(
                    FailureCode::DuplicateTargetEntries,
                    format!(
                        "{prefix}{} rows have {} '{v}': {}",
                        many.len(),
                        matching[i].target,
                        ids.join(", ")
                    ),
                    "remove or change the duplicate rows in ServiceNow so that one remains",
                ));
            }
        }
    }
    Matched::Create {
        how: format!("{prefix}no row matches: create"),
    }
}

/// `missing_reference = "warn"`: the object is provisioned without the attribute, and its log
/// record says so.
fn warn(op: &mut Op, warnings: &[String]) {
    for w in warnings {
        op.steps
            .push(step("Action", Status::Warning, format!("{w}: provisioned without it")));
    }
}

fn push_deferred(ot: ObjectType, o: &SourceObject, refs: &[(String, String)], deferred: &mut Vec<Op>) {
    for (attribute, source_id) in refs {
        let kind = OpKind::SetReference {
            attribute: attribute.clone(),
            source_id: source_id.clone(),
        };
        deferred.push(Op {
            object_type: ot,
            source_id: o.id.clone(),
            source_name: o.name.clone(),
            target_id: None,
            member_id: None,
            hash: stable_hash(&[&o.id, attribute, source_id]),
            steps: vec![step(
                "Action",
                Status::Planned,
                format!("{attribute} → the row created for {source_id}"),
            )],
            kind,
        });
    }
}

fn same(old: Option<&str>, new: &str, is_bool: bool) -> bool {
    match old {
        None => new.is_empty(),
        Some(old) if is_bool => normalise_bool(old) == normalise_bool(new),
        Some(old) => old == new,
    }
}

fn diff_kind(
    ot: ObjectType,
    row: &Row,
    fields: Vec<(String, String)>,
    update: bool,
    target: &Target,
    table: &str,
) -> OpKind {
    let mut diff = Vec::new();
    let mut disabling = false;
    let mut enabling = false;
    for (f, new) in fields {
        let is_bool = target.booleans.contains(&(table.to_owned(), f.clone())) || f == "active";
        if same(row.get(&f), &new, is_bool) {
            continue;
        }
        if f == "active" {
            disabling = new == "false";
            enabling = new == "true";
        }
        diff.push(Change {
            old: row.get(&f).map(str::to_owned),
            attribute: f,
            new: Some(new),
        });
    }
    // A group back in scope: no mapping sets its `active`, so set it back explicitly.
    if ot == ObjectType::Group && !row.active() && !diff.iter().any(|c| c.attribute == "active") {
        diff.push(Change {
            attribute: "active".into(),
            old: row.get("active").map(str::to_owned),
            new: Some("true".into()),
        });
    }
    // Re-enabling: ServiceNow locked the account when it was disabled; unlock it explicitly.
    if enabling && ot == ObjectType::User && row.get("locked_out").is_some_and(|v| normalise_bool(v) == "true") {
        diff.push(Change {
            attribute: "locked_out".into(),
            old: Some("true".into()),
            new: Some("false".into()),
        });
    }
    if diff.is_empty() {
        OpKind::Skip {
            reason: SkipReason::InSync,
        }
    } else if disabling {
        OpKind::Disable { diff }
    } else if !update {
        OpKind::Skip {
            reason: SkipReason::UpdateOff,
        }
    } else {
        OpKind::Update { diff }
    }
}

fn op_hash(o: &SourceObject, kind: &OpKind) -> String {
    let text = serde_json::to_string(kind).unwrap_or_default();
    stable_hash(&[&o.id, &text])
}

/// Linked objects that left scope, were disabled, soft-deleted or purged.
fn deprovision(
    ot: ObjectType,
    mapping: &ObjectMapping,
    source: &Source,
    by_id: &HashMap<&str, &Row>,
    prior: &Prior,
    rules: &Rules,
    ops: &mut Vec<Op>,
) {
    let objects = if ot == ObjectType::Group {
        &source.groups
    } else {
        &source.users
    };
    let present: HashMap<&str, &SourceObject> = objects.iter().map(|o| (o.id.as_str(), o)).collect();
    let mut linked: Vec<(&String, &String)> = prior
        .links
        .iter()
        .filter(|((t, _), _)| *t == ot)
        .map(|((_, id), sys)| (id, sys))
        .collect();
    linked.sort();
    for (id, sys_id) in linked {
        let object = present.get(id.as_str());
        if object.is_some_and(|o| o.in_scope) {
            continue;
        }
        let Some(row) = by_id.get(sys_id.as_str()) else {
            continue;
        };
        let purged = object.is_none() && !source.soft_deleted.contains(id);
        let name = object.map_or_else(
            || row.get("user_name").or(row.get("name")).unwrap_or(id).to_owned(),
            |o| o.name.clone(),
        );
        let why = if purged {
            "deleted permanently in Entra".to_owned()
        } else if object.is_none() {
            "soft-deleted in Entra".to_owned()
        } else {
            object.map(|o| o.scope_detail.clone()).unwrap_or_default()
        };
        let kind = if purged && mapping.actions.delete {
            OpKind::Delete
        } else if (rules.mappings.skip_out_of_scope_deletions && !purged) || !row.active() {
            // SkipOutOfScopeDeletions, or already disabled: nothing to send, nothing to log.
            continue;
        } else {
            OpKind::Disable {
                diff: vec![Change {
                    attribute: "active".into(),
                    old: Some("true".into()),
                    new: Some("false".into()),
                }],
            }
        };
        ops.push(Op {
            object_type: ot,
            source_id: id.clone(),
            source_name: name,
            target_id: Some(sys_id.clone()),
            member_id: None,
            hash: stable_hash(&[id, kind.action().as_str()]),
            steps: vec![
                step("Scope", Status::Success, why),
                step("Match", Status::Success, format!("linked to {sys_id}")),
            ],
            kind,
        });
    }
}
