//! The syntax tree of an expression. Every node carries its [`Span`] (byte offsets into the
//! source text) so errors found after parsing can still point at the offending character.

use super::func::Function;

/// A byte range `start..end` in the expression text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
}

/// Comparison operators, documented for `IIF` conditions and also used inside `CBool`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// One node of an expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// `[attributeName]`
    Attribute(String),
    /// `"text"` with `\"` and `\\` unescaped.
    Str(String),
    /// A decimal integer (`-10`) or VB hex literal (`&HF7`); both keep only their value.
    Number(i64),
    /// A bare enum token such as `vbTextCompare` or `IgnoreAttributeFlow`.
    Token(String),
    /// A function call; `None` is an omitted argument (`Replace([x], "a", , , "b", , )`).
    Call {
        function: Function,
        args: Vec<Option<Expr>>,
    },
    /// `lhs op rhs`; not associative, so neither side is itself a comparison.
    Compare { op: CmpOp, lhs: Box<Expr>, rhs: Box<Expr> },
}

impl Expr {
    /// Structural equality that ignores spans: printing and re-parsing keeps the tree but
    /// not the byte offsets.
    pub fn same_tree(&self, other: &Expr) -> bool {
        match (&self.kind, &other.kind) {
            (ExprKind::Attribute(a), ExprKind::Attribute(b)) => a == b,
            (ExprKind::Str(a), ExprKind::Str(b)) => a == b,
            (ExprKind::Number(a), ExprKind::Number(b)) => a == b,
            (ExprKind::Token(a), ExprKind::Token(b)) => a == b,
            (ExprKind::Call { function: f, args: a }, ExprKind::Call { function: g, args: b }) => {
                f == g
                    && a.len() == b.len()
                    && a.iter().zip(b).all(|(x, y)| match (x, y) {
                        (None, None) => true,
                        (Some(x), Some(y)) => x.same_tree(y),
                        _ => false,
                    })
            }
            (
                ExprKind::Compare {
                    op: o1,
                    lhs: l1,
                    rhs: r1,
                },
                ExprKind::Compare {
                    op: o2,
                    lhs: l2,
                    rhs: r2,
                },
            ) => o1 == o2 && l1.same_tree(l2) && r1.same_tree(r2),
            _ => false,
        }
    }

    /// Calls `f` on this node and every node below it (depth-first, pre-order).
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        f(self);
        match &self.kind {
            ExprKind::Call { args, .. } => {
                for arg in args.iter().flatten() {
                    arg.walk(f);
                }
            }
            ExprKind::Compare { lhs, rhs, .. } => {
                lhs.walk(f);
                rhs.walk(f);
            }
            _ => {}
        }
    }

    /// Names of every attribute referenced in this subtree, in order of appearance.
    pub fn attributes(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.walk(&mut |e| {
            if let ExprKind::Attribute(name) = &e.kind {
                out.push(name.as_str());
            }
        });
        out
    }
}
