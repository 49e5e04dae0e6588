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
    #[error("unknown function '{0}'{1}")]
    UnknownFunction(String, Hint),
    #[error("unknown name '{0}': write attributes in square brackets ([{0}]) and text in double quotes")]
    UnknownToken(String),
    #[error("{function} takes {expected} arguments, found {found}")]
    WrongArgumentCount {
        function: &'static str,
        expected: String,
        found: usize,
    },
    #[error("unknown attribute [{0}]: it is not in the source attribute catalogue{1}")]
    UnknownAttribute(String, Hint),
    #[error("SelectUniqueValue must be the outermost function of an expression")]
    NestedSelectUniqueValue,
    #[error("invalid regular expression \"{pattern}\": {message}")]
    BadRegex { pattern: String, message: String },
}

/// A "did you mean" suggestion; prints nothing when there is none.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Hint(pub Option<String>);

impl std::fmt::Display for Hint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(s) => write!(f, "; did you mean {s}?"),
            None => Ok(()),
        }
    }
}

impl Hint {
    /// The candidate closest to `name` (ignoring case), if it is close enough to be a typo.
    pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Hint {
        let lower = name.to_lowercase();
        let limit = (lower.chars().count() / 3).max(1);
        let best = candidates
            .into_iter()
            .map(|c| (edit_distance(&lower, &c.to_lowercase()), c))
            .filter(|(d, _)| *d <= limit)
            .min_by_key(|(d, _)| *d);
        Hint(best.map(|(_, c)| c.to_string()))
    }
}

/// Edit distance where swapping two neighbours counts as one edit (optimal string alignment).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
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
    fn hints_for_typos() {
        let names = ["Append", "Join", "ToLower"];
        assert_eq!(Hint::closest("Appendx", names).to_string(), "; did you mean Append?");
        assert_eq!(Hint::closest("tolowr", names).to_string(), "; did you mean ToLower?");
        assert_eq!(Hint::closest("Frobnicate", names).to_string(), "");
    }

    #[test]
    fn caret_counts_characters_not_bytes() {
        let got = render_caret("boom", "\"Zoë\" ?", 7);
        assert_eq!(got, "boom (line 1, column 7)\n  \"Zoë\" ?\n        ^");
    }
}
