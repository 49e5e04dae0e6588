//! The mapping file as written (TOML): serde types with `deny_unknown_fields`, no validation.
//! `load` turns them into the checked model.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawMappingFile {
    /// App-level: leave objects that fall out of scope alone instead of disabling them.
    #[serde(default, skip_serializing_if = "is_false")]
    pub skip_out_of_scope_deletions: bool,
    pub user: Option<RawObjectMapping>,
    pub group: Option<RawObjectMapping>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawObjectMapping {
    pub enabled: Option<bool>,
    /// The ServiceNow table written (`sys_user`, `sys_user_group`).
    pub target_table: Option<String>,
    /// Target object actions; each defaults to true.
    pub actions: Option<RawActions>,
    /// Group memberships: the table that holds them (`sys_user_grmember`).
    pub members_table: Option<String>,
    #[serde(default)]
    pub attributes: Vec<RawAttributeMapping>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scoping_filters: Vec<RawScopingFilter>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawActions {
    pub create: Option<bool>,
    pub update: Option<bool>,
    pub delete: Option<bool>,
}

/// One attribute mapping: exactly one of `source` (Direct), `constant`, `expression`, or
/// `none = true` says where the value comes from.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawAttributeMapping {
    pub target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constant: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub none: bool,
    /// Default value if null; applied on create only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// `always` (default) or `on_create` ("Only during object creation").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apply: Option<String>,
    /// Matching precedence (1 = tried first); absent = not a matching attribute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matching: Option<u32>,
    /// `string` (default), `boolean`, `integer`, `datetime`, `binary` or `reference`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub target_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<RawReference>,
    /// Clear the target (send `""`) when the source value is null; off by default (Entra never
    /// sends nulls).
    #[serde(default, skip_serializing_if = "is_false")]
    pub clear_when_null: bool,
}

/// What a reference target resolves against: a lookup (`table` + `field`, e.g.
/// `cmn_department` + `name`) or, with `provisioned = true`, the user this tool provisioned
/// for the source object the value names (the manager).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawReference {
    pub table: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub provisioned: bool,
}

/// A scoping filter: its clauses are ANDed; several filters are ORed (module `scope`).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawScopingFilter {
    pub name: String,
    #[serde(default)]
    pub clauses: Vec<RawClause>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawClause {
    pub attribute: String,
    /// Entra's operator name: `EQUALS`, `NOT EQUALS`, `REGEX MATCH`, `IS NULL`, `&`, ...
    pub operator: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value: String,
}
