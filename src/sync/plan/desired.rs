//! The values one source object should have in ServiceNow: mappings evaluated, references
//! resolved, booleans normalised, lengths checked. Pure.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use crate::mapping::model::{Apply, AttributeMapping, MappingSource, ObjectMapping, Reference, TargetType};
use crate::mapping::{Context, EvalErrorKind, Flow};

use super::super::op::{Failure, ObjectType};
use super::super::outcome::FailureCode;
use super::input::{MissingReference, Row, Rules, SourceObject, Target, normalise_bool};

/// The fields to hold, in mapping order, and what must wait for this cycle's creates.
#[derive(Debug, Default)]
pub struct Desired {
    pub fields: Vec<(String, String)>,
    /// The fields whose mapping redacts its value (`Redact()`).
    pub redacted: HashSet<String>,
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

/// What an object's values are resolved against, besides the object itself.
pub struct Known<'a> {
    pub target: &'a Target,
    /// Provisioned references: user source id → sys_id.
    pub links: Linked<'a>,
    /// Users that will be created in this cycle.
    pub pending: &'a HashSet<String>,
    pub rules: &'a Rules,
    /// (table, field, lower-cased value) chosen by `SelectUniqueValue` for an earlier object
    /// of this cycle: no second object gets it.
    pub claimed: &'a RefCell<HashSet<(String, String, String)>>,
}

/// Evaluates `mapping` for `object`. `own` is the row it matched (`None`: it is created, so
/// the create-only mappings and defaults apply).
pub fn desired(
    object: &SourceObject,
    mapping: &ObjectMapping,
    own: Option<&Row>,
    known: &Known,
) -> Result<Desired, Failure> {
    let creating = own.is_none();
    let rules = known.rules;
    let table = mapping.target_table.as_str();
    // The field being evaluated, for SelectUniqueValue's question "is it taken?".
    let field = RefCell::new(String::new());
    let is_taken = |v: &str| {
        let field = field.borrow();
        let lower = v.to_lowercase();
        known
            .claimed
            .borrow()
            .contains(&(table.to_owned(), field.clone(), lower))
            || known
                .target
                .taken
                .is_taken(table, &field, v, own.map(|r| r.sys_id.as_str()))
    };
    let mut ctx = Context::new(&object.attrs, rules.now);
    ctx.is_taken = &is_taken;
    let refs = Refs {
        target: known.target,
        links: known.links,
        pending: known.pending,
        rules,
    };
    let mut out = Desired::default();
    for m in &mapping.attributes {
        if m.apply == Apply::OnCreate && !creating {
            continue;
        }
        ctx.seed = rules.seed_for(&object.id, &m.target);
        if m.redacts() {
            out.redacted.insert(m.target.clone());
        }
        field.replace(m.target.clone());
        let Some(text) = value(m, &ctx, creating, &mut out)? else {
            continue;
        };
        if m.selects_unique() {
            known
                .claimed
                .borrow_mut()
                .insert((table.to_owned(), m.target.clone(), text.to_lowercase()));
        }
        match refs.resolve(m, text)? {
            Part::Field(text) => out
                .fields
                .push((m.target.clone(), checked(m, text, known.target, table)?)),
            Part::Raw(text) => out.fields.push((m.target.clone(), text)),
            Part::Deferred(source_id) => out.deferred.push((m.target.clone(), source_id)),
            Part::Warning(w) => out.warnings.push(w),
            Part::Nothing => {}
        }
    }
    Ok(out)
}

/// The text one attribute mapping yields, or `None` when nothing is written for it.
fn value(m: &AttributeMapping, ctx: &Context, creating: bool, out: &mut Desired) -> Result<Option<String>, Failure> {
    let evaluated = m.evaluate(ctx).map_err(|e| {
        let action = match e.kind {
            EvalErrorKind::NoUniqueValue => {
                "add a rule to the SelectUniqueValue, or free one of its values in ServiceNow; the object is \
                 tried again in the next cycle"
            }
            _ => "fix the mapping's expression, or the source attribute it reads",
        };
        // An evaluation error may quote a value; a redacting mapping's values are never shown.
        let reason = match e.kind {
            EvalErrorKind::NoUniqueValue => format!("the mapping of '{}' failed: {e}", m.target),
            _ if m.redacts() => format!(
                "the mapping of '{}' failed (its details are not shown: the mapping uses Redact)",
                m.target
            ),
            _ => format!("the mapping of '{}' failed: {e}", m.target),
        };
        failure(FailureCode::AttributeMappingEvaluationFailed, reason, action)
    })?;
    let (text, null) = match evaluated.flow {
        Flow::Value(v) => {
            let t = v.text();
            let null = t.is_none();
            (t, null)
        }
        Flow::Dropped => (None, false),
    };
    let text = match text {
        Some(t) => Some(t),
        // Defaults apply on create only (Entra's "default value if null").
        None if creating => m.default_value.clone(),
        None => None,
    };
    // Null source values are not sent (Entra's behaviour), unless the mapping opts in to
    // clearing the target on update: `""` is ServiceNow's empty. A dropped flow is a choice
    // not to write, so it clears nothing.
    let Some(text) = text else {
        if m.clear_when_null && null && !creating {
            out.fields.push((m.target.clone(), String::new()));
        }
        return Ok(None);
    };
    if matches!(m.source, MappingSource::None) && !creating {
        return Ok(None);
    }
    Ok(Some(text))
}

/// What one attribute contributes once its references are resolved.
enum Part {
    /// A value to hold, checked for booleans and length.
    Field(String),
    /// A value to hold as is.
    Raw(String),
    /// A reference to a user created in this cycle: set once it exists.
    Deferred(String),
    /// `missing_reference = "warn"`: left out, with this warning.
    Warning(String),
    Nothing,
}

/// The links after this cycle's matches: the stored ones under this cycle's matches, read
/// through both rather than a copy of every stored link per object type (issue 16 §3).
#[derive(Clone, Copy)]
pub struct Linked<'a> {
    pub stored: &'a HashMap<(ObjectType, String), String>,
    pub matched: &'a HashMap<(ObjectType, String), String>,
}

impl Linked<'_> {
    pub fn get(&self, key: &(ObjectType, String)) -> Option<&String> {
        self.matched.get(key).or_else(|| self.stored.get(key))
    }
}

/// What references resolve through.
struct Refs<'a> {
    target: &'a Target,
    links: Linked<'a>,
    pending: &'a HashSet<String>,
    rules: &'a Rules,
}

impl Refs<'_> {
    fn resolve(&self, m: &AttributeMapping, text: String) -> Result<Part, Failure> {
        match &m.target_type {
            TargetType::Reference(_) if text.is_empty() => Ok(Part::Nothing),
            TargetType::Reference(Reference::Lookup { table, field }) => self.lookup(m, table, field, text),
            TargetType::Reference(Reference::Provisioned { .. }) => {
                Ok(match self.links.get(&(ObjectType::User, text.clone())) {
                    Some(sys_id) => Part::Field(sys_id.clone()),
                    None if self.pending.contains(&text) => Part::Deferred(text),
                    // Not provisioned (out of scope): set once it comes into scope.
                    None => Part::Nothing,
                })
            }
            _ => Ok(Part::Field(text)),
        }
    }

    /// A lookup reference: the row whose `field` is `text` (case-insensitively) — as the
    /// instance stores it, cut to the field's length: a row created for a longer value holds
    /// it cut (servicenow.md §5), so a later cycle finds it rather than create it again.
    fn lookup(&self, m: &AttributeMapping, table: &str, field: &str, text: String) -> Result<Part, Failure> {
        let key = match self.target.max_lengths.get(&(table.to_owned(), field.to_owned())) {
            Some(max) => text.chars().take(*max as usize).collect::<String>(),
            None => text.clone(),
        }
        .to_lowercase();
        if let Some(sys_id) = self.target.lookups.get(table).and_then(|l| l.get(&key)) {
            return Ok(Part::Field(sys_id.clone()));
        }
        let reason = format!("{} '{}': {table} has no row whose {field} is '{text}'", m.target, text);
        match self.rules.missing_reference {
            MissingReference::Fail => Err(failure(
                FailureCode::InvalidLookupReference,
                reason,
                &format!("create the {table} row '{text}' in ServiceNow, or correct the value in Entra"),
            )),
            MissingReference::Warn => Ok(Part::Warning(reason)),
            // The value stands for the row created ahead of this object (see
            // `plan::reference_creations`); apply swaps in its sys_id. It is a name, not the
            // reference's sys_id, so no length check applies.
            MissingReference::Create => Ok(Part::Raw(text)),
        }
    }
}

/// The value as the field holds it: booleans normalised; longer than the field's max length
/// fails the object. `active` is a boolean whatever the dictionary read says (review R12: the
/// default mapping gives "1"/"0", and a disable must be one even where the dictionary could not
/// be read or types the column otherwise; servicenow.md §5.1 types it boolean).
fn checked(m: &AttributeMapping, mut text: String, target: &Target, table: &str) -> Result<String, Failure> {
    let is_bool = m.target_type == TargetType::Boolean
        || m.target == "active"
        || target.booleans.contains(&(table.to_owned(), m.target.clone()));
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
                if m.redacts() {
                    crate::sync::redact::MASK
                } else {
                    text.as_str()
                },
                text.chars().count(),
                m.target
            ),
            "shorten the value with an expression (e.g. Left), or raise the field's max length in ServiceNow",
        ));
    }
    Ok(text)
}
