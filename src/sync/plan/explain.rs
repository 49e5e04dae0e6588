//! Explanations for provision on demand (pure): every candidate row per matching attribute,
//! in precedence order, as Entra's on-demand "Match" step lists them.

use serde::Serialize;

use super::super::op::ObjectType;
use super::input::{Rules, SourceObject, Target};
use super::matching::keys;

/// The rows one matching attribute finds for an object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Candidates {
    /// The ServiceNow field compared (e.g. `user_name`).
    pub attribute: String,
    /// The object's value for it (lower-cased, as compared), `None` when it has none.
    pub value: Option<String>,
    /// Each row with that value: (sys_id, active).
    pub rows: Vec<(String, bool)>,
}

/// Candidates per matching attribute, in precedence order.
pub fn candidates(ot: ObjectType, object: &SourceObject, target: &Target, rules: &Rules) -> Vec<Candidates> {
    let (mapping, rows) = match ot {
        ObjectType::Group => (&rules.mappings.group, &target.groups),
        _ => (&rules.mappings.user, &target.users),
    };
    let values = keys(object, mapping, rules);
    mapping
        .matching()
        .iter()
        .zip(values)
        .map(|(m, value)| Candidates {
            attribute: m.target.clone(),
            rows: value
                .as_deref()
                .map(|v| {
                    rows.iter()
                        .filter(|r| r.get(&m.target).is_some_and(|x| x.to_lowercase() == v))
                        .map(|r| (r.sys_id.clone(), r.active()))
                        .collect()
                })
                .unwrap_or_default(),
            value,
        })
        .collect()
}
