//! Load-time errors of expressions (syntax, catalogue, limits) and the caret rendering that
//! shows the expression with a `^` under the offending character.

use super::ast::Span;

/// An error found while parsing or checking an expression, with where it is.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{kind}")]
pub struct ExprError {
    pub kind: ExprErrorKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExprErrorKind {
    #[error("the expression is {len} characters long; Entra's limit is {max}")]
    TooLong { len: usize, max: usize },
    #[error("the expression nests deeper than {max} levels")]
    TooDeep { max: usize },
    #[error("the string is not terminated: close it with \"")]
    UnterminatedString,
    #[error("the attribute name is not terminated: close it with ]")]
    UnterminatedAttribute,
    #[error("empty attribute name []")]
    EmptyAttribute,
    #[error("unexpected character '{0}'")]
    UnexpectedChar(char),
    #[error("typographic quote '{0}': write strings with straight double quotes \"...\"")]
    SmartQuote(char),
    #[error("expected {expected}, found {found}")]
    Unexpected { expected: &'static str, found: String },
    #[error("number {0} is out of range")]
    NumberOutOfRange(String),
    #[error("unknown function '{0}'")]
    UnknownFunction(String),
    #[error("unknown name '{0}': write attributes in square brackets ([{0}]) and text in double quotes")]
    UnknownToken(String),
    #[error("{function} takes {expected} arguments, found {found}")]
    WrongArgumentCount {
        function: &'static str,
        expected: String,
        found: usize,
    },
    #[error("unknown attribute [{0}]: it is not in the source attribute catalogue")]
    UnknownAttribute(String),
    #[error("SelectUniqueValue must be the outermost function of an expression")]
    NestedSelectUniqueValue,
    #[error("invalid regular expression \"{pattern}\": {message}")]
    BadRegex { pattern: String, message: String },
}

impl ExprError {
    pub fn new(kind: ExprErrorKind, span: Span) -> Self {
        ExprError { kind, span }
    }

    /// The message followed by the expression line and a caret under the offending
    /// character, e.g.
    ///
    /// ```text
    /// unknown function 'Appendx' (line 1, column 1)
    ///   Appendx([mail], "x")
    ///   ^
    /// ```
    pub fn render(&self, src: &str) -> String {
        render_caret(&self.to_string(), src, self.span.start)
    }
}

/// Renders `message`, then the line of `src` holding byte offset `at`, then a caret under it.
/// Offsets past the end point just after the last character; offsets inside a UTF-8
/// sequence are moved back to its start, so any offset is safe.
pub fn render_caret(message: &str, src: &str, at: usize) -> String {
    let mut at = at.min(src.len());
    while !src.is_char_boundary(at) {
        at -= 1;
    }
    let line_start = src[..at].rfind('\n').map_or(0, |i| i + 1);
    let line_end = src[at..].find('\n').map_or(src.len(), |i| at + i);
    let line_no = src[..line_start].matches('\n').count() + 1;
    // Tabs are shown as one space so the caret lines up whatever the terminal's tab width.
    let line: String = src[line_start..line_end]
        .chars()
        .map(|c| if c == '\t' { ' ' } else { c })
        .collect();
    let column = src[line_start..at].chars().count();
    format!(
        "{message} (line {line_no}, column {})\n  {}\n  {}^",
        column + 1,
        line.trim_end_matches('\r'),
        " ".repeat(column)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_under_the_offending_character() {
        let got = render_caret("boom", "Append([a], \"x)", 12);
        assert_eq!(got, "boom (line 1, column 13)\n  Append([a], \"x)\n              ^");
    }

    #[test]
    fn caret_on_a_later_line_and_past_the_end() {
        let got = render_caret("boom", "Join(\",\",\n  [a] ?)", 16);
        assert_eq!(got, "boom (line 2, column 7)\n    [a] ?)\n        ^");
        let end = render_caret("boom", "ab", 99);
        assert_eq!(end, "boom (line 1, column 3)\n  ab\n    ^");
    }

    #[test]
    fn caret_counts_characters_not_bytes() {
        let got = render_caret("boom", "\"Zoë\" ?", 7);
        assert_eq!(got, "boom (line 1, column 7)\n  \"Zoë\" ?\n        ^");
    }
}
