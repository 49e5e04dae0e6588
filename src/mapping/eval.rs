//! The evaluator: walks a parsed tree against a [`Context`] that supplies the attributes,
//! the clock for `Now`, the seed for `Guid`/`RandomString` and the uniqueness check for
//! `SelectUniqueValue`, so evaluation is deterministic and does no I/O.
//!
//! Recursion follows the tree, whose depth the parser bounds.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use rand::SeedableRng;
use rand::rngs::StdRng;
use regex::Regex;

use super::ast::{Expr, ExprKind, Span};
use super::func::Function;
use super::functions;
use super::value::Value;

/// Where attribute values come from. Names are looked up as written in the expression.
pub trait Attributes {
    /// The value of `name`, [`Value::Null`] when absent.
    fn get(&self, name: &str) -> Value;
}

/// Exact name first, then ignoring ASCII case (Entra's attribute names are case-insensitive).
fn lookup<'a>(mut entries: impl Iterator<Item = (&'a String, &'a Value)>, name: &str) -> Value {
    let mut fallback = None;
    for (k, v) in entries.by_ref() {
        if k == name {
            return v.clone();
        }
        if fallback.is_none() && k.eq_ignore_ascii_case(name) {
            fallback = Some(v.clone());
        }
    }
    fallback.unwrap_or(Value::Null)
}

impl Attributes for BTreeMap<String, Value> {
    fn get(&self, name: &str) -> Value {
        match BTreeMap::get(self, name) {
            Some(v) => v.clone(),
            None => lookup(self.iter(), name),
        }
    }
}

impl Attributes for HashMap<String, Value> {
    fn get(&self, name: &str) -> Value {
        match HashMap::get(self, name) {
            Some(v) => v.clone(),
            None => lookup(self.iter(), name),
        }
    }
}

/// Everything an evaluation may read besides the expression itself.
pub struct Context<'a> {
    pub attributes: &'a dyn Attributes,
    /// What `Now()` returns.
    pub now: DateTime<Utc>,
    /// Seeds `Guid()` and `RandomString()`; the same seed gives the same values. Fresh (drawn
    /// from the OS) unless the caller fixes it: the engine derives one per object and
    /// attribute from the cycle's own seed, so no two objects share a value.
    pub seed: u64,
    /// Whether a `SelectUniqueValue` candidate is already used in the target.
    pub is_taken: &'a dyn Fn(&str) -> bool,
    /// Entra's documented IIF limitation: a condition naming an attribute that is null or
    /// empty fails. On by default, to give Entra's result; off, such attributes read as "".
    pub entra_iif_limitation: bool,
}

impl<'a> Context<'a> {
    /// A context with Entra's defaults: nothing is taken, a fresh random seed.
    pub fn new(attributes: &'a dyn Attributes, now: DateTime<Utc>) -> Self {
        Context {
            attributes,
            now,
            seed: rand::random(),
            is_taken: &|_| false,
            entra_iif_limitation: true,
        }
    }
}

/// What a mapping produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Flow {
    /// This value flows to the target attribute (NULL flows nothing, as in Entra).
    Value(Value),
    /// `IgnoreFlowIfNullOrEmpty` (or `IgnoreAttributeFlow`) dropped the attribute from the flow.
    Dropped,
}

/// The result of one evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub flow: Flow,
    /// `Redact` was applied: the value goes only into the request that writes it; every
    /// record, diff, screen and output shows `***` instead.
    pub redacted: bool,
}

/// An error during evaluation, with the span of the call that failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{kind}")]
pub struct EvalError {
    pub kind: EvalErrorKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalErrorKind {
    #[error("{function}: expected a number, found \"{value}\"")]
    NotANumber { function: &'static str, value: String },
    #[error("{function}: \"{value}\" is not a date")]
    InvalidDate { function: &'static str, value: String },
    #[error("{function}: {message}")]
    InvalidArgument { function: &'static str, message: String },
    #[error(
        "IIF: the condition uses [{attribute}], which is null or empty, and Entra cannot evaluate such a condition; \
         test for empty values with Switch([{attribute}], [{attribute}], \"\", \"...\") instead"
    )]
    IifConditionOnEmpty { attribute: String },
    #[error("SelectUniqueValue: every candidate is empty or already used in the target (the object is escrowed)")]
    NoUniqueValue,
    #[error("IgnoreObjectFlow: the object is not provisioned")]
    ObjectFlowIgnored,
    #[error("{function}: invalid regular expression \"{pattern}\": {message}")]
    BadRegex {
        function: &'static str,
        pattern: String,
        message: String,
    },
}

/// Why evaluation stopped early.
pub(crate) enum Stop {
    Dropped,
    Error(EvalError),
}

impl From<EvalError> for Stop {
    fn from(e: EvalError) -> Self {
        Stop::Error(e)
    }
}

pub(crate) type R<T> = Result<T, Stop>;

pub(crate) fn fail<T>(kind: EvalErrorKind, span: Span) -> R<T> {
    Err(Stop::Error(EvalError { kind, span }))
}

/// Walks one tree; holds the per-evaluation state (random generator, redaction flag).
pub(crate) struct Evaluator<'c, 'a> {
    pub ctx: &'c Context<'a>,
    pub rng: StdRng,
    pub redacted: bool,
    pub regexes: &'c HashMap<String, Regex>,
}

/// Evaluates `expr` in `ctx`. `regexes` holds patterns compiled at load (others compile on use).
pub(crate) fn evaluate(expr: &Expr, ctx: &Context<'_>, regexes: &HashMap<String, Regex>) -> Result<Output, EvalError> {
    let mut ev = Evaluator {
        ctx,
        rng: StdRng::seed_from_u64(ctx.seed),
        redacted: false,
        regexes,
    };
    let flow = match ev.eval(expr) {
        Ok(v) => Flow::Value(v),
        Err(Stop::Dropped) => Flow::Dropped,
        Err(Stop::Error(e)) => return Err(e),
    };
    Ok(Output {
        flow,
        redacted: ev.redacted,
    })
}

impl Evaluator<'_, '_> {
    pub fn eval(&mut self, expr: &Expr) -> R<Value> {
        match &expr.kind {
            ExprKind::Attribute(name) => Ok(self.ctx.attributes.get(name)),
            ExprKind::Str(s) => Ok(Value::Str(s.clone())),
            ExprKind::Number(n) => Ok(Value::Number(*n)),
            ExprKind::Token(t) => match t.as_str() {
                "IgnoreAttributeFlow" => Err(Stop::Dropped),
                "IgnoreObjectFlow" => fail(EvalErrorKind::ObjectFlowIgnored, expr.span),
                other => Ok(Value::Str(other.to_string())),
            },
            ExprKind::Compare { op, lhs, rhs } => {
                let l = self.eval(lhs)?;
                let r = self.eval(rhs)?;
                Ok(Value::Bool(functions::logic::compare(*op, &l, &r)))
            }
            ExprKind::Call { function, args } => self.call(*function, args, expr.span),
        }
    }

    /// Evaluates argument slot `i`; an omitted or missing slot is NULL.
    pub fn arg(&mut self, args: &[Option<Expr>], i: usize) -> R<Value> {
        match args.get(i) {
            Some(Some(e)) => self.eval(e),
            _ => Ok(Value::Null),
        }
    }

    /// Whether slot `i` was written (as opposed to omitted).
    pub fn present(args: &[Option<Expr>], i: usize) -> bool {
        matches!(args.get(i), Some(Some(_)))
    }

    fn call(&mut self, f: Function, args: &[Option<Expr>], span: Span) -> R<Value> {
        use super::functions::{collections, dates, logic, random, replace, strings};
        use Function as F;
        match f {
            F::Iif => logic::iif(self, args, span),
            F::Switch => logic::switch(self, args),
            F::Coalesce => logic::coalesce(self, args),
            F::SelectUniqueValue => logic::select_unique_value(self, args, span),
            F::IgnoreFlowIfNullOrEmpty => {
                let v = self.arg(args, 0)?;
                if v.is_null_or_empty() {
                    Err(Stop::Dropped)
                } else {
                    Ok(v)
                }
            }
            F::Redact => {
                self.redacted = true;
                self.arg(args, 0)
            }
            F::IsNull => Ok(Value::Bool(self.arg(args, 0)?.is_null())),
            F::IsNullOrEmpty => Ok(Value::Bool(self.arg(args, 0)?.is_null_or_empty())),
            F::IsPresent => Ok(Value::Bool(!self.arg(args, 0)?.is_null_or_empty())),
            F::IsString => Ok(Value::Bool(matches!(
                self.arg(args, 0)?,
                Value::Str(_) | Value::Number(_) | Value::Bool(_) | Value::Date(_)
            ))),
            F::CBool => Ok(Value::Bool(self.arg(args, 0)?.truthy())),
            F::Not => Ok(Value::Bool(!self.arg(args, 0)?.truthy())),
            F::BitAnd => {
                let a = logic::int_arg(self, args, 0, f, span)?;
                let b = logic::int_arg(self, args, 1, f, span)?;
                Ok(match (a, b) {
                    (Some(a), Some(b)) => Value::Number(a & b),
                    _ => Value::Null,
                })
            }
            F::CStr => Ok(match self.arg(args, 0)? {
                Value::Multi(v) => Value::Multi(v),
                other => other.text().map_or(Value::Null, Value::Str),
            }),
            F::Now => Ok(Value::Date(self.ctx.now)),
            F::Guid => Ok(Value::Str(random::guid(&mut self.rng))),
            F::RandomString => random::random_string(self, args, span),
            F::Append | F::Join | F::Left | F::Mid | F::Word | F::PCase | F::StripSpaces | F::ToLower | F::ToUpper => {
                strings::call(self, f, args, span)
            }
            F::InStr | F::ConvertToBase64 | F::ConvertToUtf8Hex | F::Split | F::NormalizeDiacritics => {
                strings::call(self, f, args, span)
            }
            F::Count
            | F::Item
            | F::RemoveDuplicates
            | F::SingleAppRoleAssignment
            | F::AppRoleAssignmentsComplex
            | F::AssertiveAppRoleAssignmentsComplex => collections::call(self, f, args, span),
            F::CDate | F::DateAdd | F::DateDiff | F::DateFromNum | F::NumFromDate | F::FormatDateTime => {
                dates::call(self, f, args, span)
            }
            F::Replace => replace::replace(self, args, span),
        }
    }
}
