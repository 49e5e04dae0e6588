//! One scoping clause and Entra's operators.

use std::fmt;

use regex::Regex;

use super::Value;

/// Entra's scoping operators. Names are accepted in any case, with spaces or underscores
/// (`NOT EQUALS`, `NOT_EQUALS`, `Greater_Than`, `REGEX_MATCH`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// `&`: the attribute's value occurs in the clause value.
    In,
    /// `!&`: the attribute's value does not occur in the clause value.
    NotIn,
    EndsWith,
    Equals,
    NotEquals,
    GreaterThan,
    GreaterThanOrEquals,
    /// `Includes`: the attribute's value contains the clause value.
    Includes,
    IsTrue,
    IsFalse,
    IsNull,
    IsNotNull,
    RegexMatch,
    NotRegexMatch,
}

impl Operator {
    pub const ALL: &'static [Operator] = &[
        Operator::In,
        Operator::NotIn,
        Operator::EndsWith,
        Operator::Equals,
        Operator::NotEquals,
        Operator::GreaterThan,
        Operator::GreaterThanOrEquals,
        Operator::Includes,
        Operator::IsTrue,
        Operator::IsFalse,
        Operator::IsNull,
        Operator::IsNotNull,
        Operator::RegexMatch,
        Operator::NotRegexMatch,
    ];

    /// Entra's spelling.
    pub fn name(self) -> &'static str {
        match self {
            Operator::In => "&",
            Operator::NotIn => "!&",
            Operator::EndsWith => "ENDS_WITH",
            Operator::Equals => "EQUALS",
            Operator::NotEquals => "NOT EQUALS",
            Operator::GreaterThan => "Greater_Than",
            Operator::GreaterThanOrEquals => "Greater_Than_OR_EQUALS",
            Operator::Includes => "Includes",
            Operator::IsTrue => "IS TRUE",
            Operator::IsFalse => "IS FALSE",
            Operator::IsNull => "IS NULL",
            Operator::IsNotNull => "IS NOT NULL",
            Operator::RegexMatch => "REGEX MATCH",
            Operator::NotRegexMatch => "NOT REGEX MATCH",
        }
    }

    pub fn parse(text: &str) -> Option<Operator> {
        let norm = |s: &str| s.trim().to_ascii_uppercase().replace('_', " ");
        let wanted = norm(text);
        Operator::ALL.iter().copied().find(|op| norm(op.name()) == wanted)
    }

    /// Whether the operator takes a value (`IS NULL` and the boolean tests do not).
    pub fn takes_value(self) -> bool {
        !matches!(
            self,
            Operator::IsTrue | Operator::IsFalse | Operator::IsNull | Operator::IsNotNull
        )
    }
}

/// Attributes Entra does not support in scoping filters because they are not single text
/// values (spec §4).
const UNSUPPORTED: &[&str] = &["appRoleAssignments", "manager", "members", "IsMemberOf"];

/// A compiled clause.
#[derive(Debug, Clone)]
pub struct Clause {
    pub attribute: String,
    pub operator: Operator,
    pub value: String,
    regex: Option<Regex>,
    integer: Option<i64>,
}

impl fmt::Display for Clause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.operator.takes_value() {
            write!(f, "{} {} \"{}\"", self.attribute, self.operator.name(), self.value)
        } else {
            write!(f, "{} {}", self.attribute, self.operator.name())
        }
    }
}

fn integer(s: &str) -> Option<i64> {
    let s = s.trim();
    // Entra: "both must be integers [0,1,2,...]".
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Why a clause (or a filter) does not compile; the message says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClauseError {
    #[error("a scoping filter needs at least one clause")]
    NoClauses,
    #[error("the attribute is empty")]
    EmptyAttribute,
    #[error("Entra's scoping filters do not support the attribute {0}")]
    Unsupported(&'static str),
    #[error("unknown operator \"{operator}\": use one of {known}")]
    UnknownOperator { operator: String, known: String },
    /// `reason` is the last line of the regex crate's message (the rest repeats the pattern).
    #[error("invalid regular expression \"{value}\": {reason}")]
    Regex { value: String, reason: String },
    #[error("{operator} compares integers only; \"{value}\" is not one")]
    NotAnInteger { operator: &'static str, value: String },
    #[error("{0} needs a value")]
    NeedsValue(&'static str),
}

impl Clause {
    /// Checks and compiles one clause.
    pub fn compile(attribute: &str, operator: &str, value: &str) -> Result<Clause, ClauseError> {
        let attribute = attribute.trim();
        if attribute.is_empty() {
            return Err(ClauseError::EmptyAttribute);
        }
        if let Some(bad) = UNSUPPORTED.iter().find(|u| u.eq_ignore_ascii_case(attribute)) {
            return Err(ClauseError::Unsupported(bad));
        }
        let op = Operator::parse(operator).ok_or_else(|| ClauseError::UnknownOperator {
            operator: operator.to_owned(),
            known: Operator::ALL.iter().map(|o| o.name()).collect::<Vec<_>>().join(", "),
        })?;
        let mut clause = Clause {
            attribute: attribute.to_string(),
            operator: op,
            value: value.to_string(),
            regex: None,
            integer: None,
        };
        match op {
            Operator::RegexMatch | Operator::NotRegexMatch => {
                // The whole value must match: the reference's `([1-9][0-9])` stands for 10-99.
                let re = Regex::new(&format!("^(?:{value})$")).map_err(|e| ClauseError::Regex {
                    value: value.to_owned(),
                    reason: e
                        .to_string()
                        .lines()
                        .rev()
                        .find(|l| !l.trim().is_empty())
                        .unwrap_or("")
                        .trim()
                        .to_string(),
                })?;
                clause.regex = Some(re);
            }
            Operator::GreaterThan | Operator::GreaterThanOrEquals => {
                clause.integer = Some(integer(value).ok_or_else(|| ClauseError::NotAnInteger {
                    operator: op.name(),
                    value: value.to_owned(),
                })?);
            }
            _ if op.takes_value() && value.is_empty() => {
                return Err(ClauseError::NeedsValue(op.name()));
            }
            _ => {}
        }
        Ok(clause)
    }

    /// Evaluates the clause on the attribute's value.
    pub fn matches(&self, v: &Value) -> bool {
        let text = match v {
            // Entra: multi-valued attributes are not supported in scoping filters.
            Value::Multi(_) => return false,
            Value::Null => "",
            Value::Text(t) => t.as_str(),
        };
        match self.operator {
            Operator::IsNull => return text.is_empty(),
            Operator::IsNotNull => return !text.is_empty(),
            // Entra: clauses on a null or empty value are false, NOT EQUALS and NOT REGEX MATCH included.
            _ if text.is_empty() => return false,
            _ => {}
        }
        let value = self.value.as_str();
        match self.operator {
            Operator::In => value.contains(text),
            Operator::NotIn => !value.contains(text),
            Operator::EndsWith => text.ends_with(value),
            Operator::Equals => text == value,
            Operator::NotEquals => text != value,
            Operator::Includes => text.contains(value),
            Operator::GreaterThan | Operator::GreaterThanOrEquals => match (integer(text), self.integer) {
                (Some(a), Some(b)) => {
                    if self.operator == Operator::GreaterThan {
                        a > b
                    } else {
                        a >= b
                    }
                }
                _ => false,
            },
            Operator::IsTrue => text.eq_ignore_ascii_case("true"),
            Operator::IsFalse => text.eq_ignore_ascii_case("false"),
            Operator::RegexMatch => self.regex.as_ref().is_some_and(|r| r.is_match(text)),
            Operator::NotRegexMatch => self.regex.as_ref().is_some_and(|r| !r.is_match(text)),
            Operator::IsNull | Operator::IsNotNull => false,
        }
    }
}
