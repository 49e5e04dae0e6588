//! Attribute mappings: Entra's expression language and the mapping model.
//!
//! The language ("Reference for writing expressions for attribute mappings", spec §3) is
//! VBA-flavoured: function calls, `[attribute]` references, `"string"` constants with `\"`
//! and `\\` escapes, integers and VB hex `&HF`, omitted arguments (`Replace([x], "a", , ,
//! "b", , )`) and comparisons inside `IIF`/`CBool` conditions.
//!
//! Pipeline: [`parse`] (text to an [`Expr`] tree with byte [`Span`]s; unknown functions and
//! argument counts fail here) → [`Expression::compile`] (checks attributes against a
//! [`Catalogue`], precompiles regexes) → [`Expression::evaluate`] in a [`Context`] that
//! supplies attributes, the clock, a random seed and a uniqueness check. [`print`] gives
//! the canonical text of a tree. Every load-time error has a span and renders with a caret
//! ([`ExprError::render`]).
//!
//! Invariants: NULL (absent) and `""` are different values; evaluation never panics and does
//! no I/O; nesting depth and length are bounded by the parser.

mod ast;
mod attrs;
pub mod catalogue;
mod cli;
mod compile;
mod datefmt;
mod error;
mod eval;
mod func;
mod functions;
mod lexer;
pub mod model;
mod parser;
mod printer;
#[cfg(test)]
mod proptests;
mod value;

pub use ast::{CmpOp, Expr, ExprKind, Span};
pub use attrs::{Attrs, intern};
pub use cli::{EvalCliError, eval_attrs_at, eval_cli, eval_cli_at};
pub use compile::{Catalogue, Expression};
pub use error::{ExprError, ExprErrorKind, render_caret};
pub use eval::{Attributes, Context, EvalError, EvalErrorKind, Flow, Output};
pub use func::Function;
pub use parser::{MAX_DEPTH, MAX_LEN, parse};
pub use printer::print;
pub use value::{Value, format_entra_date};
