//! Import and export of an Entra provisioning schema (the JSON of "Review your schema →
//! Download" and of Graph `GET .../synchronization/jobs/{id}/schema`), to and from the
//! mapping file. Both directions list what they could not carry over, so a round trip keeps
//! everything we understand and says what it dropped.
//!
//! Carried: object mappings for `User` and `Group` (enabled, `flowTypes` as target object
//! actions, `targetObjectName` when it names a ServiceNow table), attribute mappings
//! (`source` of type Attribute / Constant / Function, or none with a `defaultValue`;
//! `matchingPriority`; `flowType` Always / ObjectAddOnly), the group `members` mapping, and
//! scoping filter groups. Not carried (listed as dropped): `metadata`, `directories`
//! (attribute definitions), `flowBehavior` `FlowAlways`, the add-only flow types,
//! `inputFilterGroups`/`categoryFilterGroups`, and clauses with several values. Reference
//! targets live in `directories`, so import takes them from the default mapping of the same
//! target attribute; export cannot write them.

use serde_json::{Value as J, json};

use super::DEFAULT_MAPPINGS_TOML;
use super::raw::{RawActions, RawAttributeMapping, RawClause, RawMappingFile, RawObjectMapping, RawScopingFilter};
use crate::mapping::ast::ExprKind;
use crate::mapping::parser::parse;

/// A schema imported into the mapping file format.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub file: RawMappingFile,
    /// What the schema held that the mapping file cannot express, one line each.
    pub dropped: Vec<String>,
}

/// A mapping file exported as an Entra schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Exported {
    pub schema: J,
    pub dropped: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SchemaError {
    #[error("the schema is not valid JSON: {0}")]
    Json(String),
    #[error("the schema has no synchronizationRules[].objectMappings[] for User or Group")]
    NoObjectMappings,
}

const USER_NAME: &str = "Synchronize Microsoft Entra ID Users to ServiceNow";
const GROUP_NAME: &str = "Synchronize Microsoft Entra ID Groups to ServiceNow";

fn s<'a>(v: &'a J, key: &str) -> Option<&'a str> {
    v.get(key).and_then(J::as_str)
}

/// Converts an Entra schema document into a mapping file.
pub fn import_schema(text: &str) -> Result<Imported, SchemaError> {
    let doc: J = serde_json::from_str(text).map_err(|e| SchemaError::Json(e.to_string()))?;
    let defaults: RawMappingFile = toml::from_str(DEFAULT_MAPPINGS_TOML).unwrap_or_default();
    let mut dropped = Vec::new();
    let mut file = RawMappingFile::default();
    if doc
        .get("directories")
        .and_then(J::as_array)
        .is_some_and(|d| !d.is_empty())
    {
        dropped.push("directories: attribute definitions (types, referenced objects) are not imported".into());
    }
    let rules = doc
        .get("synchronizationRules")
        .and_then(J::as_array)
        .cloned()
        .unwrap_or_default();
    for (r, rule) in rules.iter().enumerate() {
        let mappings = rule
            .get("objectMappings")
            .and_then(J::as_array)
            .cloned()
            .unwrap_or_default();
        for (o, om) in mappings.iter().enumerate() {
            let here = format!("synchronizationRules[{r}].objectMappings[{o}]");
            let (slot, fallback, key) = match s(om, "sourceObjectName") {
                Some(n) if n.eq_ignore_ascii_case("User") => (&mut file.user, defaults.user.as_ref(), "user"),
                Some(n) if n.eq_ignore_ascii_case("Group") => (&mut file.group, defaults.group.as_ref(), "group"),
                other => {
                    dropped.push(format!(
                        "{here}: source object {other:?} (only User and Group are provisioned)"
                    ));
                    continue;
                }
            };
            if slot.is_some() {
                dropped.push(format!("{here}: a second {key} object mapping"));
                continue;
            }
            *slot = Some(object(om, &here, fallback, &mut dropped));
        }
    }
    if file.user.is_none() && file.group.is_none() {
        return Err(SchemaError::NoObjectMappings);
    }
    Ok(Imported { file, dropped })
}

fn object(om: &J, here: &str, fallback: Option<&RawObjectMapping>, dropped: &mut Vec<String>) -> RawObjectMapping {
    let flow = s(om, "flowTypes").unwrap_or("Add, Update, Delete");
    let has = |w: &str| flow.split(',').any(|f| f.trim().eq_ignore_ascii_case(w));
    if om.get("metadata").and_then(J::as_array).is_some_and(|m| !m.is_empty()) {
        dropped.push(format!("{here}.metadata"));
    }
    let target_table = s(om, "targetObjectName")
        .filter(|t| t.contains('_'))
        .map(str::to_string)
        .or_else(|| fallback.and_then(|f| f.target_table.clone()));
    let mut out = RawObjectMapping {
        enabled: Some(om.get("enabled").and_then(J::as_bool).unwrap_or(true)),
        target_table,
        actions: Some(RawActions {
            create: Some(has("Add")),
            update: Some(has("Update")),
            delete: Some(has("Delete")),
        }),
        ..RawObjectMapping::default()
    };
    let attrs = om
        .get("attributeMappings")
        .and_then(J::as_array)
        .cloned()
        .unwrap_or_default();
    for (i, am) in attrs.iter().enumerate() {
        let at = format!("{here}.attributeMappings[{i}]");
        let target = s(am, "targetAttributeName").unwrap_or("").to_string();
        if target.eq_ignore_ascii_case("members") {
            out.members_table = fallback
                .and_then(|f| f.members_table.clone())
                .or(Some("sys_user_grmember".into()));
            continue;
        }
        out.attributes
            .push(import_attribute(am, &at, target, fallback, dropped));
    }
    if let Some(scope) = om.get("scope").filter(|v| !v.is_null()) {
        out.scoping_filters = import_scope(scope, here, dropped);
    }
    out
}

/// One attribute mapping of a schema document; what it cannot carry goes to `dropped`.
fn import_attribute(
    am: &J,
    at: &str,
    target: String,
    fallback: Option<&RawObjectMapping>,
    dropped: &mut Vec<String>,
) -> RawAttributeMapping {
    let mut a = RawAttributeMapping {
        target: target.clone(),
        ..RawAttributeMapping::default()
    };
    match am.get("source").filter(|v| !v.is_null()) {
        None => a.none = true,
        Some(src) => {
            let expr = s(src, "expression").unwrap_or("");
            match s(src, "type") {
                Some("Attribute") => {
                    a.source =
                        Some(s(src, "name").map_or_else(|| expr.trim_matches(['[', ']']).to_string(), str::to_string))
                }
                Some("Constant") => {
                    a.constant = Some(match parse(expr).map(|e| e.kind) {
                        Ok(ExprKind::Str(v)) => v,
                        _ => s(src, "name").unwrap_or(expr).to_string(),
                    })
                }
                _ => a.expression = Some(expr.to_string()),
            }
        }
    }
    a.default = s(am, "defaultValue").map(str::to_string);
    a.matching = am
        .get("matchingPriority")
        .and_then(J::as_u64)
        .filter(|p| *p > 0)
        .and_then(|p| u32::try_from(p).ok());
    match s(am, "flowType").unwrap_or("Always") {
        "Always" => {}
        "ObjectAddOnly" => a.apply = Some("on_create".into()),
        other => dropped.push(format!("{at} ({target}): flowType {other} (imported as Always)")),
    }
    if s(am, "flowBehavior").is_some_and(|b| b != "FlowWhenChanged") {
        dropped.push(format!(
            "{at} ({target}): flowBehavior {}",
            s(am, "flowBehavior").unwrap_or("")
        ));
    }
    if let Some(d) = fallback.and_then(|f| f.attributes.iter().find(|d| d.target.eq_ignore_ascii_case(&target))) {
        a.target_type = d.target_type.clone();
        a.reference = d.reference.clone();
    }
    a
}

/// The scoping filters of an object mapping's `scope`.
fn import_scope(scope: &J, here: &str, dropped: &mut Vec<String>) -> Vec<RawScopingFilter> {
    let mut filters = Vec::new();
    for extra in ["inputFilterGroups", "categoryFilterGroups"] {
        if scope.get(extra).and_then(J::as_array).is_some_and(|g| !g.is_empty()) {
            dropped.push(format!("{here}.scope.{extra}"));
        }
    }
    for (g, group) in scope
        .get("groups")
        .and_then(J::as_array)
        .cloned()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let mut filter = RawScopingFilter {
            name: s(group, "name").unwrap_or("").to_string(),
            clauses: Vec::new(),
        };
        for (c, clause) in group
            .get("clauses")
            .and_then(J::as_array)
            .cloned()
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let values: Vec<&str> = clause
                .pointer("/targetOperand/values")
                .and_then(J::as_array)
                .map(|v| v.iter().filter_map(J::as_str).collect())
                .unwrap_or_default();
            if values.len() > 1 {
                dropped.push(format!("{here}.scope.groups[{g}].clauses[{c}]: values after the first"));
            }
            filter.clauses.push(RawClause {
                attribute: s(clause, "sourceOperandName").unwrap_or("").to_string(),
                operator: s(clause, "operatorName").unwrap_or("").to_string(),
                value: values.first().map(|v| v.to_string()).unwrap_or_default(),
            });
        }
        filters.push(filter);
    }
    filters
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

fn export_attribute(key: &str, a: &RawAttributeMapping, dropped: &mut Vec<String>) -> J {
    let src = if let Some(attr) = &a.source {
        json!({"expression": format!("[{attr}]"), "name": attr, "parameters": [], "type": "Attribute"})
    } else if let Some(c) = &a.constant {
        json!({"expression": quote(c), "name": c, "parameters": [], "type": "Constant"})
    } else if let Some(e) = &a.expression {
        let fname = match parse(e).map(|t| t.kind) {
            Ok(ExprKind::Call { function, .. }) => function.name().to_string(),
            _ => String::new(),
        };
        json!({"expression": e, "name": fname, "parameters": [], "type": "Function"})
    } else {
        J::Null
    };
    if a.reference.is_some() {
        dropped.push(format!(
            "{key} {}: reference target (set in the schema's directories, not exported)",
            a.target
        ));
    }
    json!({
        "defaultValue": a.default,
        "exportMissingReferences": false,
        "flowBehavior": "FlowWhenChanged",
        "flowType": if a.apply.as_deref() == Some("on_create") { "ObjectAddOnly" } else { "Always" },
        "matchingPriority": a.matching.unwrap_or(0),
        "source": src,
        "targetAttributeName": a.target,
    })
}

fn export_scope(filters: &[RawScopingFilter]) -> J {
    let groups: Vec<J> = filters
        .iter()
        .map(|f| {
            let clauses: Vec<J> = f
                .clauses
                .iter()
                .map(|c| json!({"operatorName": c.operator, "sourceOperandName": c.attribute, "targetOperand": {"values": [c.value]}}))
                .collect();
            json!({"name": f.name, "clauses": clauses})
        })
        .collect();
    if groups.is_empty() {
        J::Null
    } else {
        json!({"groups": groups, "inputFilterGroups": [], "categoryFilterGroups": []})
    }
}

/// Converts a mapping file into an Entra schema document (one synchronization rule).
pub fn export_schema(file: &RawMappingFile) -> Exported {
    let mut dropped = Vec::new();
    if file.skip_out_of_scope_deletions {
        dropped.push(
            "skip_out_of_scope_deletions: an app setting (secret SkipOutOfScopeDeletions), not part of the schema"
                .into(),
        );
    }
    let mut mappings = Vec::new();
    for (key, source, name, om) in [
        ("user", "User", USER_NAME, &file.user),
        ("group", "Group", GROUP_NAME, &file.group),
    ] {
        let Some(om) = om else { continue };
        let actions = om.actions.clone().unwrap_or_default();
        let flow: Vec<&str> = [
            (actions.create, "Add"),
            (actions.update, "Update"),
            (actions.delete, "Delete"),
        ]
        .iter()
        .filter(|(on, _)| on.unwrap_or(true))
        .map(|(_, n)| *n)
        .collect();
        let mut attrs: Vec<J> = om
            .attributes
            .iter()
            .map(|a| export_attribute(key, a, &mut dropped))
            .collect();
        if om.members_table.is_some() {
            attrs.push(json!({
                "defaultValue": null, "exportMissingReferences": false, "flowBehavior": "FlowWhenChanged",
                "flowType": "Always", "matchingPriority": 0, "targetAttributeName": "members",
                "source": {"expression": "[members]", "name": "members", "parameters": [], "type": "Attribute"},
            }));
        }
        let scope = export_scope(&om.scoping_filters);
        mappings.push(json!({
            "attributeMappings": attrs,
            "enabled": om.enabled.unwrap_or(true),
            "flowTypes": flow.join(", "),
            "metadata": [],
            "name": name,
            "scope": scope,
            "sourceObjectName": source,
            "targetObjectName": om.target_table.clone().unwrap_or_else(|| if key == "user" { "sys_user".into() } else { "sys_user_group".into() }),
        }));
    }
    let schema = json!({
        "directories": [],
        "synchronizationRules": [{
            "name": "USER_OUTBOUND_USER",
            "sourceDirectoryName": "Azure Active Directory",
            "targetDirectoryName": "ServiceNow",
            "objectMappings": mappings,
        }],
    });
    Exported { schema, dropped }
}
