//! Compiling an expression for use: parse, then check it against the source attribute
//! catalogue and precompile its regular expressions, so every problem shows at load time.

use std::collections::{BTreeMap, HashMap};

use regex::Regex;

use super::ast::{Expr, ExprKind};
use super::error::{ExprError, ExprErrorKind, Hint};
use super::eval::{Context, EvalError, Output, evaluate};
use super::func::Function;
use super::functions::replace::compile_dotnet_regex;
use super::parser::parse;

/// Which attribute names an expression may reference.
#[derive(Debug, Clone, PartialEq)]
pub enum Catalogue {
    /// Any name (what `mapping eval` uses: it works on whatever attributes it is given).
    Any,
    /// Only these names, and names starting with one of the prefixes (directory extensions
    /// `extension_<appId>_<name>`), compared ignoring ASCII case.
    Names {
        /// Lower-case name to the name as the catalogue spells it.
        names: BTreeMap<String, String>,
        prefixes: Vec<String>,
    },
}

impl Catalogue {
    /// A catalogue of exactly `names`.
    pub fn of<'a>(names: impl IntoIterator<Item = &'a str>) -> Catalogue {
        let names = names
            .into_iter()
            .map(|n| (n.to_ascii_lowercase(), n.to_string()))
            .collect();
        Catalogue::Names {
            names,
            prefixes: Vec::new(),
        }
    }

    /// Also accepts every name starting with `prefix`.
    pub fn with_prefix(self, prefix: &str) -> Catalogue {
        match self {
            Catalogue::Any => Catalogue::Any,
            Catalogue::Names { names, mut prefixes } => {
                prefixes.push(prefix.to_ascii_lowercase());
                Catalogue::Names { names, prefixes }
            }
        }
    }

    pub fn contains(&self, name: &str) -> bool {
        match self {
            Catalogue::Any => true,
            Catalogue::Names { names, prefixes } => {
                let lower = name.to_ascii_lowercase();
                names.contains_key(&lower) || prefixes.iter().any(|p| lower.starts_with(p.as_str()))
            }
        }
    }

    /// The catalogue name closest to a misspelt one.
    fn hint(&self, name: &str) -> Hint {
        match self {
            Catalogue::Any => Hint(None),
            Catalogue::Names { names, .. } => Hint::closest(name, names.values().map(String::as_str)),
        }
    }
}

/// A parsed and checked expression, ready to evaluate any number of times.
#[derive(Debug, Clone)]
pub struct Expression {
    source: String,
    tree: Expr,
    regexes: HashMap<String, Regex>,
}

impl Expression {
    /// Parses `source` and checks it: known functions with the right argument counts,
    /// attributes in `catalogue`, `SelectUniqueValue` only at the top, regex literals valid.
    pub fn compile(source: &str, catalogue: &Catalogue) -> Result<Expression, ExprError> {
        let tree = parse(source)?;
        let mut regexes = HashMap::new();
        let mut problem = None;
        tree.walk(&mut |e| {
            if problem.is_some() {
                return;
            }
            match &e.kind {
                ExprKind::Attribute(name) if !catalogue.contains(name) => {
                    let kind = ExprErrorKind::UnknownAttribute(name.clone(), catalogue.hint(name));
                    problem = Some(ExprError::new(kind, e.span));
                }
                ExprKind::Call {
                    function: Function::SelectUniqueValue,
                    ..
                } if !std::ptr::eq(e, &tree) => {
                    problem = Some(ExprError::new(ExprErrorKind::NestedSelectUniqueValue, e.span));
                }
                ExprKind::Call {
                    function: Function::Replace,
                    args,
                } => {
                    if let Some(Some(Expr {
                        kind: ExprKind::Str(pattern),
                        span,
                    })) = args.get(2)
                    {
                        match compile_dotnet_regex(pattern) {
                            Ok(re) => {
                                regexes.insert(pattern.clone(), re);
                            }
                            Err(e) => {
                                let kind = ExprErrorKind::BadRegex {
                                    pattern: pattern.clone(),
                                    message: e.reason,
                                };
                                problem = Some(ExprError::new(kind, *span));
                            }
                        }
                    }
                }
                _ => {}
            }
        });
        match problem {
            Some(e) => Err(e),
            None => Ok(Expression {
                source: source.to_string(),
                tree,
                regexes,
            }),
        }
    }

    /// The text it was compiled from.
    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn tree(&self) -> &Expr {
        &self.tree
    }

    /// Names of the attributes it reads, each once, in order of first appearance.
    pub fn attributes(&self) -> Vec<&str> {
        let mut seen = Vec::new();
        for a in self.tree.attributes() {
            if !seen.contains(&a) {
                seen.push(a);
            }
        }
        seen
    }

    /// Whether `function` is called anywhere in it.
    pub fn uses(&self, function: Function) -> bool {
        let mut found = false;
        self.tree.walk(&mut |e| {
            found |= matches!(&e.kind, ExprKind::Call { function: f, .. } if *f == function);
        });
        found
    }

    /// Evaluates it in `ctx`.
    pub fn evaluate(&self, ctx: &Context<'_>) -> Result<Output, EvalError> {
        evaluate(&self.tree, ctx, &self.regexes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_time_checks() {
        let cat = Catalogue::of(["mail", "givenName"]);
        let cases: &[(&str, &str, usize)] = &[
            (
                "Append([mial], \"x\")",
                "unknown attribute [mial]: it is not in the source attribute catalogue; did you mean mail?",
                7,
            ),
            (
                "ToLower(SelectUniqueValue([mail], [givenName]))",
                "SelectUniqueValue must be the outermost",
                8,
            ),
            (
                "Replace([mail], , \"(?<a>x\", , \"\", , )",
                "invalid regular expression \"(?<a>x\"",
                18,
            ),
        ];
        for (src, msg, at) in cases {
            let e = Expression::compile(src, &cat).unwrap_err();
            assert!(e.to_string().starts_with(msg), "{src}: {e}");
            assert_eq!(e.span.start, *at, "{src}");
        }
        assert!(Expression::compile("Append([MAIL], \"x\")", &cat).is_ok());
        assert!(Expression::compile("SelectUniqueValue([mail], [givenName])", &cat).is_ok());
        assert!(Expression::compile("[anything]", &Catalogue::Any).is_ok());
    }

    #[test]
    fn attributes_are_listed_once() {
        let e = Expression::compile("Join(\" \", [a], [b], [a])", &Catalogue::Any).unwrap();
        assert_eq!(e.attributes(), ["a", "b"]);
    }
}
