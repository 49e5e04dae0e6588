//! `Replace` and the translation of .NET regular expressions to the `regex` crate.
//!
//! .NET named groups `(?<name>...)` and `(?'name'...)` become `(?P<name>...)`; substitutions
//! `${name}` and `$1` keep their meaning, `$&` becomes `${0}` and `$$` stays a literal `$`.
//! Look-around and backreferences have no equivalent in `regex` and are reported as invalid.

use regex::Regex;

use crate::mapping::ast::{Expr, Span};
use crate::mapping::eval::{EvalErrorKind, Evaluator, R, fail};
use crate::mapping::value::Value;

/// Rewrites .NET-only group syntax to the `regex` crate's.
pub fn translate_pattern(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push(c);
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // A ']' right after '[' or '[^' is a literal member of the class.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push(']');
                    chars.next();
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            '(' if !in_class && chars.peek() == Some(&'?') => {
                out.push('(');
                out.push('?');
                chars.next();
                match chars.peek() {
                    Some('<') => {
                        chars.next();
                        match chars.peek() {
                            // (?<= and (?<! are look-behind: left as written (and rejected).
                            Some('=' | '!') => out.push('<'),
                            _ => out.push_str("P<"),
                        }
                    }
                    Some('\'') => {
                        chars.next();
                        out.push_str("P<");
                        for n in chars.by_ref() {
                            if n == '\'' {
                                out.push('>');
                                break;
                            }
                            out.push(n);
                        }
                    }
                    _ => {}
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// Why a .NET pattern does not compile: the last line of the regex crate's message (the rest
/// repeats the pattern with its own caret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct RegexError {
    pub reason: String,
}

/// Compiles a .NET pattern, or says why not.
pub fn compile_dotnet_regex(pattern: &str) -> Result<Regex, RegexError> {
    Regex::new(&translate_pattern(pattern)).map_err(|e| RegexError {
        reason: e
            .to_string()
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("invalid")
            .trim()
            .to_string(),
    })
}

/// Rewrites a .NET substitution string for `Regex::replace_all`.
pub fn translate_replacement(rep: &str) -> String {
    let mut out = String::with_capacity(rep.len() + 4);
    let mut chars = rep.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('$') => {
                chars.next();
                out.push_str("$$");
            }
            Some('&') => {
                chars.next();
                out.push_str("${0}");
            }
            Some('{') => {
                out.push('$');
            }
            Some(d) if d.is_ascii_digit() => {
                let mut digits = String::new();
                while let Some(d) = chars.next_if(char::is_ascii_digit) {
                    digits.push(d);
                }
                out.push_str(&format!("${{{digits}}}"));
            }
            // A '$' that starts nothing is literal in .NET.
            _ => out.push_str("$$"),
        }
    }
    out
}

fn regex_for(ev: &Evaluator, pattern: &str, span: Span) -> R<Regex> {
    if let Some(re) = ev.regexes.get(pattern) {
        return Ok(re.clone());
    }
    compile_dotnet_regex(pattern).or_else(|e| {
        fail(
            EvalErrorKind::BadRegex {
                function: "Replace",
                pattern: pattern.to_string(),
                message: e.reason,
            },
            span,
        )
    })
}

/// `Replace(source, oldValue, regexPattern, regexGroupName, replacementValue,
/// replacementAttributeName, template)`; which arguments are written selects the mode.
pub fn replace(ev: &mut Evaluator, args: &[Option<Expr>], span: Span) -> R<Value> {
    let has = |i| Evaluator::present(args, i);
    let source = ev.arg(args, 0)?;
    if has(2) {
        let pattern = ev.arg(args, 2)?.text_or_empty();
        let re = regex_for(ev, &pattern, span)?;
        if has(3) && has(5) {
            // Mode 5: keep a source that has a value, else extract the group from the other attribute.
            if !source.is_null_or_empty() {
                return Ok(source);
            }
            let group = ev.arg(args, 3)?.text_or_empty();
            let Some(other) = ev.arg(args, 5)?.text() else {
                return Ok(Value::Null);
            };
            return Ok(re
                .captures(&other)
                .and_then(|c| c.name(&group).map(|m| Value::Str(m.as_str().to_string())))
                .unwrap_or(Value::Null));
        }
        let replacement = ev.arg(args, 4)?.text_or_empty();
        if has(3) {
            // Mode 4: replace only what the named group matched.
            let group = ev.arg(args, 3)?.text_or_empty();
            return Ok(map_text(source, |s| {
                let mut out = String::with_capacity(s.len());
                let mut last = 0;
                for caps in re.captures_iter(s) {
                    if let Some(m) = caps.name(&group)
                        && m.start() >= last
                    {
                        out.push_str(&s[last..m.start()]);
                        out.push_str(&replacement);
                        last = m.end();
                    }
                }
                out.push_str(&s[last..]);
                out
            }));
        }
        // Mode 3: regex replace with substitutions.
        let rep = translate_replacement(&replacement);
        return Ok(map_text(source, |s| re.replace_all(s, rep.as_str()).into_owned()));
    }
    if has(1) {
        let old = ev.arg(args, 1)?.text_or_empty();
        if has(6) {
            // Mode 2: put the source into the template where oldValue stands.
            let template = ev.arg(args, 6)?.text_or_empty();
            let Some(src) = source.text() else {
                return Ok(Value::Null);
            };
            return Ok(Value::Str(if old.is_empty() {
                template
            } else {
                template.replace(&old, &src)
            }));
        }
        // Mode 1: literal replace.
        let new = ev.arg(args, 4)?.text_or_empty();
        return Ok(map_text(source, |s| {
            if old.is_empty() {
                s.to_string()
            } else {
                s.replace(&old, &new)
            }
        }));
    }
    Ok(source)
}

/// Applies `f` to a text value, or to each value of a multi-valued one; NULL stays NULL.
pub fn map_text(v: Value, f: impl Fn(&str) -> String) -> Value {
    match v {
        Value::Null => Value::Null,
        Value::Multi(vs) => Value::Multi(vs.iter().map(|s| f(s)).collect()),
        other => Value::Str(f(&other.text_or_empty())),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{Case, check, check_err};
    use super::*;

    #[test]
    fn documented_examples() {
        let cases: &[Case] = &[
            (
                r#"Replace([BusinessTitle],"Product Developer", , , "Software Engineer", , )"#,
                &[("BusinessTitle", "Product Developer")],
                "Software Engineer",
            ),
            (
                r#"Replace([UserID],"<username>", , , , , "<username>@contoso.com")"#,
                &[("UserID", "jsmith")],
                "jsmith@contoso.com",
            ),
            (
                r#"Replace([telephoneNumber], , "\\+(?<isdCode>\\d* )(?<phoneNumber>\\d{10})", , "${phoneNumber}", , )"#,
                &[("telephoneNumber", "+91 9998887777")],
                "9998887777",
            ),
            // Spec §3.4 #1: the documented output drops the '+', but the regex keeps it.
            (
                r#"Replace([mobile], , "[()\\s-]+", , "", , )"#,
                &[("mobile", "+1 (999) 888-7777")],
                "+19998887777",
            ),
            (
                r#"Replace([AddressLineData], ,"(?<streetNumber>^\\d*)","streetNumber", "888", , )"#,
                &[("AddressLineData", "545 Tremont Street")],
                "888 Tremont Street",
            ),
            (
                r#"Replace([userPrincipalName], , "(?<Suffix>@(.)*)", "Suffix", "", , )"#,
                &[("userPrincipalName", "jsmith@contoso.com")],
                "jsmith",
            ),
            (
                r#"Replace([telephoneNumber], , "\\+(?<isdCode>\\d* )(?<phoneNumber>\\d{10})", "phoneNumber" , , [mobile], )"#,
                &[("telephoneNumber", ""), ("mobile", "+91 8887779999")],
                "8887779999",
            ),
            (
                r#"Replace([telephoneNumber], , "\\+(?<isdCode>\\d* )(?<phoneNumber>\\d{10})", "phoneNumber" , , [mobile], )"#,
                &[("telephoneNumber", "+1 1"), ("mobile", "+91 8887779999")],
                "+1 1",
            ),
            (
                r#"Replace([mailNickname], , "[a-zA-Z_]*", , "", , )"#,
                &[("mailNickname", "john_doe72")],
                "72",
            ),
            (
                r#"Replace([mail], "@contoso.com", , ,"", ,)"#,
                &[("mail", "john.doe@contoso.com")],
                "john.doe",
            ),
            (r#"Replace([mail], "@contoso.com", , ,"", ,)"#, &[], "null"),
            (
                r#"Replace([x], , "(\\w+) (\\w+)", , "$2 $1 $$ $&", , )"#,
                &[("x", "ab cd")],
                "cd ab $ ab cd",
            ),
            // Spec §3.4 #2: the documented output was computed from another objectId.
            (
                r#"Join("", 1000, Replace(ConvertToUTF8Hex([objectId]), , "[a-zA-Z_]*", , "", , ))"#,
                &[("objectId", "00aa00aa-bb11-cc22-dd33-44ee44ee44ee")],
                "100030306161303061612626231312636332322646433332343465653434656534346565",
            ),
        ];
        for (expr, attrs, want) in cases {
            check(expr, attrs, want);
        }
    }

    #[test]
    fn dotnet_syntax_translation() {
        assert_eq!(
            translate_pattern(r"(?<a>x)(?'b'y)(?:z)[(?<]"),
            r"(?P<a>x)(?P<b>y)(?:z)[(?<]"
        );
        assert_eq!(translate_pattern(r"\(?<a>"), r"\(?<a>");
        assert_eq!(translate_replacement("${a}$1x$$$&$"), "${a}${1}x$$${0}$$");
        assert!(compile_dotnet_regex("(?<=a)b").is_err());
    }

    #[test]
    fn bad_regex_from_an_attribute_fails_at_evaluation() {
        check_err(
            "Replace([x], , [p], , \"\", , )",
            &[("x", "a"), ("p", "(")],
            "Replace: invalid regular expression",
        );
    }
}
