//! Loading a mapping file: parse the TOML, then check and compile everything, collecting
//! every problem (with its key path) instead of stopping at the first.

use std::collections::BTreeMap;
use std::fmt;

use super::raw::{RawAttributeMapping, RawMappingFile, RawObjectMapping};
use super::{
    Apply, AttributeMapping, DEFAULT_MAPPINGS_TOML, MappingSet, MappingSource, ObjectMapping, ObjectType, Reference,
    TargetActions, TargetType,
};
use crate::mapping::ast::ExprKind;
use crate::mapping::catalogue::{group_catalogue, user_catalogue};
use crate::mapping::compile::{Catalogue, Expression};
use crate::mapping::func::Function;

/// One problem in a mapping file: where (`user.attributes[3].expression`) and what.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

/// Every problem found in a mapping file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct MappingFileError {
    pub problems: Vec<Problem>,
}

impl fmt::Display for MappingFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(f, "{n} problem{} in the mappings:", if n == 1 { "" } else { "s" })?;
        for p in &self.problems {
            write!(f, "\n{}: {}", p.path, p.message.replace('\n', "\n    "))?;
        }
        Ok(())
    }
}

/// The built-in ServiceNow mappings.
pub fn defaults() -> Result<MappingSet, MappingFileError> {
    load_str(DEFAULT_MAPPINGS_TOML)
}

/// The text of a mapping file (what `mapping import` writes).
pub fn to_toml(file: &RawMappingFile) -> Result<String, toml::ser::Error> {
    toml::to_string(file)
}

/// Parses and checks a mapping file. An object type the file leaves out gets the default
/// mapping for it.
pub fn load_str(text: &str) -> Result<MappingSet, MappingFileError> {
    let raw: RawMappingFile = toml::from_str(text).map_err(|e| MappingFileError {
        problems: vec![Problem {
            path: "(file)".into(),
            message: e.to_string().trim_end().to_string(),
        }],
    })?;
    let mut problems = Vec::new();
    let fallback = || {
        toml::from_str::<RawMappingFile>(DEFAULT_MAPPINGS_TOML)
            .ok()
            .unwrap_or_default()
    };
    let user_raw = raw.user.clone().or_else(|| fallback().user).unwrap_or_default();
    let group_raw = raw.group.clone().or_else(|| fallback().group).unwrap_or_default();
    let user = object(ObjectType::User, "user", &user_raw, &user_catalogue(), &mut problems);
    let group = object(
        ObjectType::Group,
        "group",
        &group_raw,
        &group_catalogue(),
        &mut problems,
    );
    if problems.is_empty() {
        Ok(MappingSet {
            skip_out_of_scope_deletions: raw.skip_out_of_scope_deletions,
            user,
            group,
        })
    } else {
        Err(MappingFileError { problems })
    }
}

fn object(
    object_type: ObjectType,
    key: &str,
    raw: &RawObjectMapping,
    catalogue: &Catalogue,
    problems: &mut Vec<Problem>,
) -> ObjectMapping {
    let default_table = match object_type {
        ObjectType::User => "sys_user",
        ObjectType::Group => "sys_user_group",
    };
    let enabled = raw.enabled.unwrap_or(true);
    let mut attributes = Vec::new();
    let mut targets: BTreeMap<String, usize> = BTreeMap::new();
    let mut precedences: BTreeMap<u32, String> = BTreeMap::new();
    for (i, a) in raw.attributes.iter().enumerate() {
        let path = format!("{key}.attributes[{i}] ({})", a.target);
        let mut problem = |message: String| {
            problems.push(Problem {
                path: path.clone(),
                message,
            })
        };
        if a.target.trim().is_empty() {
            problem("target is empty: name the ServiceNow column".into());
        }
        if let Some(prev) = targets.insert(a.target.to_ascii_lowercase(), i) {
            problem(format!(
                "target \"{}\" is already mapped by {key}.attributes[{prev}]",
                a.target
            ));
        }
        if let Some(p) = a.matching {
            if p == 0 {
                problem("matching precedence starts at 1 (leave it out for a non-matching attribute)".into());
            } else if let Some(other) = precedences.insert(p, a.target.clone()) {
                problem(format!("matching precedence {p} is also given to \"{other}\""));
            }
        }
        if let Some(m) = attribute(a, catalogue, &mut problem) {
            attributes.push(m);
        }
    }
    if enabled && precedences.is_empty() {
        problems.push(Problem {
            path: format!("{key}.attributes"),
            message: "no matching attribute: give one mapping `matching = 1`".into(),
        });
    }
    let actions = raw.actions.clone().unwrap_or_default();
    ObjectMapping {
        object_type,
        enabled,
        target_table: raw.target_table.clone().unwrap_or_else(|| default_table.into()),
        actions: TargetActions {
            create: actions.create.unwrap_or(true),
            update: actions.update.unwrap_or(true),
            delete: actions.delete.unwrap_or(true),
        },
        members_table: raw.members_table.clone(),
        attributes,
        scoping_filters: raw.scoping_filters.clone(),
    }
}

fn attribute(
    a: &RawAttributeMapping,
    catalogue: &Catalogue,
    problem: &mut dyn FnMut(String),
) -> Option<AttributeMapping> {
    let given = [a.source.is_some(), a.constant.is_some(), a.expression.is_some(), a.none]
        .iter()
        .filter(|b| **b)
        .count();
    if given != 1 {
        problem("give exactly one of `source` (an attribute), `constant`, `expression` or `none = true`".into());
        return None;
    }
    let source = mapping_source(a, catalogue, problem)?;
    let apply = apply_of(a, problem);
    let target_type = target_type_of(a, problem);
    // Only a value read from the source can be null; a matching attribute is never cleared
    // (an object without it cannot be matched).
    if a.clear_when_null && (a.constant.is_some() || a.none) {
        problem("clear_when_null needs a `source` or an `expression`: a constant or none is never null".into());
    }
    if a.clear_when_null && a.matching.is_some() {
        problem("clear_when_null cannot be used on a matching attribute".into());
    }
    Some(AttributeMapping {
        target: a.target.clone(),
        source,
        default_value: a.default.clone(),
        apply,
        matching: a.matching,
        target_type,
        clear_when_null: a.clear_when_null,
    })
}

/// Where the value comes from: an attribute, a constant, an expression (compiled) or none.
/// `None` when an expression does not compile (its problem reported).
fn mapping_source(
    a: &RawAttributeMapping,
    catalogue: &Catalogue,
    problem: &mut dyn FnMut(String),
) -> Option<MappingSource> {
    let compile = |text: &str, problem: &mut dyn FnMut(String)| match Expression::compile(text, catalogue) {
        Ok(e) => Some(e),
        Err(e) => {
            problem(e.render(text));
            None
        }
    };
    Some(if let Some(attr) = &a.source {
        let attr = attr.trim().trim_start_matches('[').trim_end_matches(']').to_string();
        let expression = compile(&format!("[{attr}]"), problem)?;
        MappingSource::Direct {
            attribute: attr,
            expression,
        }
    } else if let Some(c) = &a.constant {
        MappingSource::Constant(c.clone())
    } else if let Some(text) = &a.expression {
        let e = compile(text, problem)?;
        check_expression_use(a, &e, problem);
        MappingSource::Expression(e)
    } else {
        MappingSource::None
    })
}

/// The functions an attribute's role forbids in its expression.
fn check_expression_use(a: &RawAttributeMapping, e: &Expression, problem: &mut dyn FnMut(String)) {
    if a.matching.is_some()
        && matches!(
            e.tree().kind,
            ExprKind::Call {
                function: Function::SelectUniqueValue,
                ..
            }
        )
    {
        problem("SelectUniqueValue cannot be used on a matching attribute".into());
    }
    // A matching value is shown in the Match step and sent in lookups; a reference's value
    // names the row it points at: neither can be hidden.
    if e.uses(Function::Redact) && a.matching.is_some() {
        problem(
            "Redact cannot be used on a matching attribute: its value is looked up and shown in the Match step".into(),
        );
    }
    if e.uses(Function::Redact)
        && a.target_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("reference"))
    {
        problem("Redact cannot be used on a reference: the referenced row is named by its value".into());
    }
    if a.matching.is_some() && (e.uses(Function::Guid) || e.uses(Function::RandomString)) {
        problem("Guid() and RandomString() cannot be used on a matching attribute: a new value never matches".into());
    }
}

fn apply_of(a: &RawAttributeMapping, problem: &mut dyn FnMut(String)) -> Apply {
    match a.apply.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("always") => Apply::Always,
        Some("on_create") => Apply::OnCreate,
        Some(other) => {
            problem(format!("apply = \"{other}\": use \"always\" or \"on_create\""));
            Apply::Always
        }
    }
}

/// The target field's type; a reference with its table and how its row is found.
fn target_type_of(a: &RawAttributeMapping, problem: &mut dyn FnMut(String)) -> TargetType {
    match (
        a.target_type.as_deref().map(str::to_ascii_lowercase).as_deref(),
        &a.reference,
    ) {
        (Some("reference"), Some(r)) => match (r.provisioned, &r.field) {
            (true, None) => TargetType::Reference(Reference::Provisioned { table: r.table.clone() }),
            (false, Some(field)) => TargetType::Reference(Reference::Lookup {
                table: r.table.clone(),
                field: field.clone(),
            }),
            _ => {
                problem(
                    "reference: give `field` (a lookup such as cmn_department.name) or `provisioned = true`".into(),
                );
                TargetType::String
            }
        },
        (Some("reference"), None) => {
            problem("type = \"reference\" needs `reference = { table = ..., field = ... }`".into());
            TargetType::String
        }
        (_, Some(_)) => {
            problem("`reference` is only for type = \"reference\"".into());
            TargetType::String
        }
        (None | Some("string"), None) => TargetType::String,
        (Some("boolean"), None) => TargetType::Boolean,
        (Some("integer"), None) => TargetType::Integer,
        (Some("datetime"), None) => TargetType::DateTime,
        (Some("binary"), None) => TargetType::Binary,
        (Some(other), None) => {
            problem(format!(
                "type = \"{other}\": use string, boolean, integer, datetime, binary or reference"
            ));
            TargetType::String
        }
    }
}
