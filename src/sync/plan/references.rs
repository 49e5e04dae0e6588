//! `missing_reference = "create"`: the reference rows that objects of this plan name but that
//! ServiceNow lacks, as `CreateReference` ops applied before those objects. Pure: derived from
//! the planned ops (whose lookup fields then hold the value, not a sys_id) and the lookups.

use std::collections::{BTreeMap, HashSet};

use crate::mapping::model::{ObjectMapping, Reference, TargetType};

use super::super::op::{NewRow, ObjectType, Op, OpKind, Step};
use super::super::outcome::Status;
use super::input::{Rules, Target};
use crate::model::stable_hash;

/// A missing row and the objects that need it.
struct Needed {
    /// When first needed: the ops keep the objects' order.
    order: usize,
    object_type: ObjectType,
    field: String,
    /// As first spelt.
    value: String,
    needed_by: Vec<String>,
}

/// One op per missing (table, value), case-insensitively, in the order first needed.
pub fn reference_creations(ops: &[Op], target: &Target, rules: &Rules) -> Vec<Op> {
    // Keyed by (table, lower-cased value): ServiceNow's lookups are case-insensitive.
    let mut missing: BTreeMap<(String, String), Needed> = BTreeMap::new();
    let mut order = 0usize;
    for op in ops {
        let mapping: &ObjectMapping = match op.object_type {
            ObjectType::User => &rules.mappings.user,
            ObjectType::Group => &rules.mappings.group,
            ObjectType::Membership => continue,
        };
        let changes = match &op.kind {
            OpKind::Create { fields } => fields,
            OpKind::Update { diff } | OpKind::Disable { diff } => diff,
            _ => continue,
        };
        for change in changes {
            let Some(value) = change.new.as_deref().filter(|v| !v.is_empty()) else {
                continue;
            };
            let Some((table, field)) = lookup_of(mapping, &change.attribute) else {
                continue;
            };
            // A resolved value is one of the table's sys_ids; anything else names a missing row.
            let resolved = target
                .lookups
                .get(table)
                .is_some_and(|l| l.values().any(|sys_id| sys_id == value));
            if resolved {
                continue;
            }
            let entry = missing
                .entry((table.to_owned(), value.to_lowercase()))
                .or_insert_with(|| {
                    order += 1;
                    Needed {
                        order,
                        object_type: op.object_type,
                        field: field.to_owned(),
                        value: value.to_owned(),
                        needed_by: Vec::new(),
                    }
                });
            entry.needed_by.push(op.source_name.to_string());
        }
    }
    let mut rows: Vec<_> = missing.into_iter().collect();
    rows.sort_by_key(|(_, n)| n.order);
    rows.into_iter()
        .map(|((table, _), n)| {
            let Needed {
                object_type,
                field,
                value,
                needed_by,
                ..
            } = n;
            let detail = match needed_by.as_slice() {
                [one] => format!("missing_reference = create: needed by {one}"),
                [first, rest @ ..] => format!("missing_reference = create: needed by {first} and {} more", rest.len()),
                [] => "missing_reference = create".to_owned(),
            };
            Op {
                object_type,
                source_id: format!("{table}/{value}").into(),
                source_name: format!("{table} '{value}'").into(),
                target_id: None,
                member_id: None,
                hash: stable_hash(&[&table, &field, &value]).into(),
                kind: OpKind::CreateReference(Box::new(NewRow { table, field, value })),
                steps: vec![Step {
                    name: "Action".into(),
                    status: Status::Planned,
                    detail: detail.into(),
                }]
                .into(),
            }
        })
        .collect()
}

/// The (table, field) an attribute looks its value up in, if it is a lookup reference.
pub fn lookup_of<'m>(mapping: &'m ObjectMapping, attribute: &str) -> Option<(&'m str, &'m str)> {
    mapping
        .attributes
        .iter()
        .find(|m| m.target == attribute)
        .and_then(|m| match &m.target_type {
            TargetType::Reference(Reference::Lookup { table, field }) => Some((table.as_str(), field.as_str())),
            _ => None,
        })
}

/// The (table, lower-cased value) pairs a plan creates.
pub fn created<'o>(ops: impl IntoIterator<Item = &'o Op>) -> HashSet<(String, String)> {
    ops.into_iter()
        .filter_map(|op| match &op.kind {
            OpKind::CreateReference(r) => Some((r.table.clone(), r.value.to_lowercase())),
            _ => None,
        })
        .collect()
}
