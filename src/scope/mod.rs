//! Scoping filters (spec §4): which source objects are in scope of provisioning.
//!
//! A *filter* is a list of *clauses* (attribute, operator, value) that are ANDed; an object
//! is in scope when all clauses of any one filter hold (filters are ORed). No filters means
//! everything is in scope. Entra's rules kept here: a clause on a null or empty value is
//! false (except `IS NULL` / `IS NOT NULL`); `Greater_Than` and `Greater_Than_OR_EQUALS`
//! compare integers only; `EQUALS`, `Includes` and the other text operators are
//! case-sensitive; regular expressions are compiled once, at load; multi-valued attributes
//! are not supported (a clause on one is false).
//!
//! Pure: no I/O. Filters arrive as plain strings (the mapping file keeps them as written),
//! so `scope` and `mapping` do not depend on each other.

mod clause;

pub use clause::{Clause, ClauseError, Operator};

/// An attribute value as scoping sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    /// Text; booleans as `True`/`False`, numbers in decimal.
    Text(String),
    /// A multi-valued attribute: scoping filters do not support these.
    Multi(Vec<String>),
}

/// A problem in a scoping filter, found at load.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("scoping filter \"{filter}\", clause {clause} ({attribute} {operator}): {problem}")]
pub struct ScopeError {
    pub filter: String,
    /// 1-based, as an admin counts them.
    pub clause: usize,
    pub attribute: String,
    pub operator: String,
    #[source]
    pub problem: ClauseError,
}

/// One scoping filter: its clauses are ANDed.
#[derive(Debug, Clone)]
pub struct Filter {
    pub name: String,
    pub clauses: Vec<Clause>,
}

/// The scoping filters of one object type: ORed.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub filters: Vec<Filter>,
}

/// One filter as written: a name and its clauses as (attribute, operator, value).
pub struct FilterSpec<'a> {
    pub name: &'a str,
    pub clauses: Vec<(&'a str, &'a str, &'a str)>,
}

impl Scope {
    /// Compiles every filter, reporting every bad clause.
    pub fn compile<'a>(filters: impl IntoIterator<Item = FilterSpec<'a>>) -> Result<Scope, Vec<ScopeError>> {
        let mut out = Vec::new();
        let mut errors = Vec::new();
        for spec in filters {
            let mut clauses = Vec::new();
            if spec.clauses.is_empty() {
                errors.push(ScopeError {
                    filter: spec.name.to_string(),
                    clause: 0,
                    attribute: String::new(),
                    operator: String::new(),
                    problem: ClauseError::NoClauses,
                });
            }
            for (i, (attribute, operator, value)) in spec.clauses.iter().enumerate() {
                match Clause::compile(attribute, operator, value) {
                    Ok(c) => clauses.push(c),
                    Err(problem) => errors.push(ScopeError {
                        filter: spec.name.to_string(),
                        clause: i + 1,
                        attribute: attribute.to_string(),
                        operator: operator.to_string(),
                        problem,
                    }),
                }
            }
            out.push(Filter {
                name: spec.name.to_string(),
                clauses,
            });
        }
        if errors.is_empty() {
            Ok(Scope { filters: out })
        } else {
            Err(errors)
        }
    }

    /// Whether the object whose attributes `get` reads is in scope.
    pub fn in_scope(&self, get: &dyn Fn(&str) -> Value) -> bool {
        self.filters.is_empty() || self.filters.iter().any(|f| f.matches(get))
    }

    /// Why: for each filter, its name and each clause's text and result.
    pub fn explain(&self, get: &dyn Fn(&str) -> Value) -> Vec<(String, Vec<(String, bool)>)> {
        self.filters
            .iter()
            .map(|f| {
                (
                    f.name.clone(),
                    f.clauses
                        .iter()
                        .map(|c| (c.to_string(), c.matches(&get(&c.attribute))))
                        .collect(),
                )
            })
            .collect()
    }
}

impl Filter {
    pub fn matches(&self, get: &dyn Fn(&str) -> Value) -> bool {
        self.clauses.iter().all(|c| c.matches(&get(&c.attribute)))
    }
}

#[cfg(test)]
mod tests;
