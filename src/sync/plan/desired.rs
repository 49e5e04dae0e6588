//! The values one source object should have in ServiceNow: mappings evaluated, references
//! resolved, booleans normalised, lengths checked. Pure.

use std::collections::{HashMap, HashSet};

use crate::mapping::model::{Apply, MappingSource, ObjectMapping, Reference, TargetType};
use crate::mapping::{Context, Flow};

use super::super::op::{Failure, ObjectType};
use super::super::outcome::FailureCode;
use super::input::{MissingReference, Rules, SourceObject, Target, normalise_bool};

/// The fields to hold, in mapping order, and what must wait for this cycle's creates.
#[derive(Debug, Default)]
pub struct Desired {
    pub fields: Vec<(String, String)>,
    /// (attribute, source id) of references to users without a sys_id yet.
    pub deferred: Vec<(String, String)>,
    pub warnings: Vec<String>,
}

pub fn failure(code: FailureCode, reason: String, action: &str) -> Failure {
    Failure {
        code,
        reason,
        recommended_action: action.into(),
    }
}

/// Evaluates `mapping` for `object`. `creating` selects the create-only mappings and defaults;
/// `links` resolves provisioned references (user source id → sys_id); `pending` holds users
/// that will be created in this cycle.
pub fn desired(
    object: &SourceObject,
    mapping: &ObjectMapping,
    creating: bool,
    target: &Target,
    links: &HashMap<(ObjectType, String), String>,
    pending: &HashSet<String>,
    rules: &Rules,
) -> Result<Desired, Failure> {
    let table = mapping.target_table.as_str();
    let ctx = Context::new(&object.attrs, rules.now);
    let mut out = Desired::default();
    for m in &mapping.attributes {
        if m.apply == Apply::OnCreate && !creating {
            continue;
        }
        let evaluated = m.evaluate(&ctx).map_err(|e| {
            failure(
                FailureCode::AttributeMappingEvaluationFailed,
                format!("the mapping of '{}' failed: {e}", m.target),
                "fix the mapping's expression, or the source attribute it reads",
            )
        })?;
        let (text, null) = match evaluated.flow {
            Flow::Value(v) => {
                let t = v.text();
                let null = t.is_none();
                (t, null)
            }
            Flow::Dropped => (None, false),
        };
        let text = match (text, &m.source) {
            (Some(t), _) => Some(t),
            // Defaults apply on create only (Entra's "default value if null").
            (None, _) if creating => m.default_value.clone(),
            _ => None,
        };
        // Null source values are not sent (Entra's behaviour), unless the mapping opts in to
        // clearing the target on update: `""` is ServiceNow's empty. A dropped flow is a choice
        // not to write, so it clears nothing.
        let Some(mut text) = text else {
            if m.clear_when_null && null && !creating {
                out.fields.push((m.target.clone(), String::new()));
            }
            continue;
        };
        if matches!(m.source, MappingSource::None) && !creating {
            continue;
        }
        match &m.target_type {
            TargetType::Reference(Reference::Lookup {
                table: ref_table,
                field,
            }) => {
                if text.is_empty() {
                    continue;
                }
                match target.lookups.get(ref_table).and_then(|l| l.get(&text.to_lowercase())) {
                    Some(sys_id) => text = sys_id.clone(),
                    None => {
                        let reason = format!(
                            "{} '{}': {ref_table} has no row whose {field} is '{text}'",
                            m.target, text
                        );
                        match rules.missing_reference {
                            MissingReference::Fail => {
                                return Err(failure(
                                    FailureCode::InvalidLookupReference,
                                    reason,
                                    &format!(
                                        "create the {ref_table} row '{text}' in ServiceNow, or correct the value in Entra"
                                    ),
                                ));
                            }
                            MissingReference::Warn => {
                                out.warnings.push(reason);
                                continue;
                            }
                            // The value stands for the row created ahead of this object (see
                            // `plan::reference_creations`); apply swaps in its sys_id. It is a
                            // name, not the reference's sys_id, so no length check applies.
                            MissingReference::Create => {
                                out.fields.push((m.target.clone(), text));
                                continue;
                            }
                        }
                    }
                }
            }
            TargetType::Reference(Reference::Provisioned { .. }) => {
                if text.is_empty() {
                    continue;
                }
                match links.get(&(ObjectType::User, text.clone())) {
                    Some(sys_id) => text = sys_id.clone(),
                    None if pending.contains(&text) => {
                        out.deferred.push((m.target.clone(), text));
                        continue;
                    }
                    // Not provisioned (out of scope): set once it comes into scope.
                    None => continue,
                }
            }
            _ => {}
        }
        let is_bool =
            m.target_type == TargetType::Boolean || target.booleans.contains(&(table.to_owned(), m.target.clone()));
        if is_bool {
            text = normalise_bool(&text).to_owned();
        }
        if let Some(max) = target.max_lengths.get(&(table.to_owned(), m.target.clone()))
            && text.chars().count() > *max as usize
        {
            return Err(failure(
                FailureCode::AttributeValueTooLong,
                format!(
                    "{}: the value '{}' has {} characters; {table}.{} holds at most {max}",
                    m.target,
                    text,
                    text.chars().count(),
                    m.target
                ),
                "shorten the value with an expression (e.g. Left), or raise the field's max length in ServiceNow",
            ));
        }
        out.fields.push((m.target.clone(), text));
    }
    Ok(out)
}
