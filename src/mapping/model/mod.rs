//! The mapping model: per object type (User → `sys_user`, Group → `sys_user_group`) a list
//! of attribute mappings (Direct, Constant, Expression or None) with target attribute,
//! default value if null (create only), apply Always or Only during creation, matching
//! precedence and target type (Reference with its lookup); target object actions; and
//! `SkipOutOfScopeDeletions`.
//!
//! Scoping filters are kept as written ([`raw::RawScopingFilter`]): `scope` compiles them, so
//! `mapping` and `scope` stay independent of each other (DESIGN.md dependency rules).

mod load;
pub mod raw;
mod schema;
mod warnings;

pub use load::{MappingFileError, Problem, defaults, load_str, to_toml};
pub use schema::{Exported, Imported, SchemaError, export_schema, import_schema};
pub use warnings::warnings;

use super::compile::Expression;
use super::eval::{Context, EvalError, Flow, Output};
use super::value::Value;

/// The default ServiceNow mappings (`assets/servicenow-mappings.toml`).
pub const DEFAULT_MAPPINGS_TOML: &str = include_str!("../../../assets/servicenow-mappings.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectType {
    User,
    Group,
}

/// Every mapping of a profile.
#[derive(Debug, Clone)]
pub struct MappingSet {
    pub skip_out_of_scope_deletions: bool,
    pub user: ObjectMapping,
    pub group: ObjectMapping,
}

/// Target object actions (Entra's Create / Update / Delete check boxes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetActions {
    pub create: bool,
    pub update: bool,
    pub delete: bool,
}

#[derive(Debug, Clone)]
pub struct ObjectMapping {
    pub object_type: ObjectType,
    pub enabled: bool,
    pub target_table: String,
    pub actions: TargetActions,
    /// The membership table for groups (`sys_user_grmember`); `None` for users.
    pub members_table: Option<String>,
    pub attributes: Vec<AttributeMapping>,
    pub scoping_filters: Vec<raw::RawScopingFilter>,
}

impl ObjectMapping {
    /// Matching attributes, lowest precedence number (tried first) first.
    pub fn matching(&self) -> Vec<&AttributeMapping> {
        let mut m: Vec<&AttributeMapping> = self.attributes.iter().filter(|a| a.matching.is_some()).collect();
        m.sort_by_key(|a| a.matching);
        m
    }

    pub fn attribute(&self, target: &str) -> Option<&AttributeMapping> {
        self.attributes.iter().find(|a| a.target.eq_ignore_ascii_case(target))
    }
}

/// Where a target attribute's value comes from.
#[derive(Debug, Clone)]
pub enum MappingSource {
    /// One source attribute as is (kept compiled as `[attribute]`).
    Direct {
        attribute: String,
        expression: Expression,
    },
    Constant(String),
    Expression(Expression),
    /// The target is left alone, except that an empty target gets the default value.
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Apply {
    Always,
    /// "Only during object creation" (Graph `ObjectAddOnly`).
    OnCreate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    /// Resolved by looking `field` up in `table` (`cmn_department.name`); never created.
    Lookup { table: String, field: String },
    /// The value is a source object id; it resolves to the sys_id this tool linked it to.
    Provisioned { table: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetType {
    String,
    Boolean,
    Integer,
    DateTime,
    Binary,
    Reference(Reference),
}

#[derive(Debug, Clone)]
pub struct AttributeMapping {
    pub target: String,
    pub source: MappingSource,
    pub default_value: Option<String>,
    pub apply: Apply,
    /// Matching precedence: 1 is tried first; `None` when not a matching attribute.
    pub matching: Option<u32>,
    pub target_type: TargetType,
    /// On update, a null source value clears the target instead of leaving it alone.
    pub clear_when_null: bool,
}

impl AttributeMapping {
    /// Evaluates the mapping for one source object. `None` mappings flow nothing
    /// ([`Flow::Dropped`]); the caller applies `default_value` on create.
    pub fn evaluate(&self, ctx: &Context<'_>) -> Result<Output, EvalError> {
        match &self.source {
            MappingSource::Direct { expression, .. } | MappingSource::Expression(expression) => {
                expression.evaluate(ctx)
            }
            MappingSource::Constant(c) => Ok(Output {
                flow: Flow::Value(Value::Str(c.clone())),
                redacted: false,
            }),
            MappingSource::None => Ok(Output {
                flow: Flow::Dropped,
                redacted: false,
            }),
        }
    }

    /// Whether it chooses among candidates with `SelectUniqueValue` (which the engine looks up
    /// in the target before the plan).
    pub fn selects_unique(&self) -> bool {
        matches!(&self.source, MappingSource::Expression(e) if e.uses(crate::mapping::Function::SelectUniqueValue))
    }

    /// Whether its value is redacted: the expression calls `Redact` (anywhere in it, so a
    /// value from any branch is treated alike).
    pub fn redacts(&self) -> bool {
        matches!(&self.source, MappingSource::Expression(e) if e.uses(crate::mapping::Function::Redact))
    }

    /// The text of the source as the mapping file writes it.
    pub fn source_text(&self) -> String {
        match &self.source {
            MappingSource::Direct { attribute, .. } => attribute.clone(),
            MappingSource::Constant(c) => format!("\"{c}\""),
            MappingSource::Expression(e) => e.source().to_string(),
            MappingSource::None => "(none)".into(),
        }
    }
}

#[cfg(test)]
mod tests;
