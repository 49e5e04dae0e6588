//! Text functions: `Append`, `Join`, `Left`, `Mid`, `Word`, `PCase`, `StripSpaces`,
//! `ToLower`, `ToUpper`, `InStr`, `ConvertToBase64`, `ConvertToUTF8Hex`, `Split`,
//! `NormalizeDiacritics`.
//!
//! Positions and lengths count characters, not bytes. Case mapping is one character to one
//! character, as in .NET (`ToUpper("ß")` stays `ß`), with the Turkish/Azeri dotted and
//! dotless i when such a culture is given.

use base64::Engine;

use super::diacritics::normalize_diacritics;
use super::logic::int_arg;
use super::replace::map_text;
use crate::mapping::ast::{Expr, Span};
use crate::mapping::eval::{Evaluator, R};
use crate::mapping::func::Function;
use crate::mapping::value::Value;

pub fn call(ev: &mut Evaluator, f: Function, args: &[Option<Expr>], span: Span) -> R<Value> {
    use Function as F;
    Ok(match f {
        F::Append => {
            let source = ev.arg(args, 0)?;
            let suffix = ev.arg(args, 1)?.text_or_empty();
            map_text(source, |s| format!("{s}{suffix}"))
        }
        F::Join => join(ev, args)?,
        F::Left => {
            let s = ev.arg(args, 0)?.text_or_empty();
            let n = int_arg(ev, args, 1, f, span)?.unwrap_or(0);
            Value::Str(match n {
                0 => String::new(),
                n if n < 0 => s,
                n => s.chars().take(usize::try_from(n).unwrap_or(usize::MAX)).collect(),
            })
        }
        F::Mid => mid(ev, args, f, span)?,
        F::Word => word(ev, args, f, span)?,
        F::PCase => {
            let source = ev.arg(args, 0)?;
            let seps = ev.arg(args, 1)?.text();
            map_text(source, |s| proper_case(s, seps.as_deref()))
        }
        F::StripSpaces => map_text(ev.arg(args, 0)?, |s| s.replace(' ', "")),
        F::ToLower | F::ToUpper => {
            let source = ev.arg(args, 0)?;
            let culture = ev.arg(args, 1)?.text_or_empty().to_ascii_lowercase();
            let turkic = culture.starts_with("tr") || culture.starts_with("az");
            let upper = f == F::ToUpper;
            map_text(source, |s| s.chars().map(|c| change_case(c, upper, turkic)).collect())
        }
        F::InStr => in_str(ev, args, f, span)?,
        F::ConvertToBase64 => map_text(ev.arg(args, 0)?, |s| {
            // "Unicode" in .NET is UTF-16 little-endian.
            let bytes: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
            base64::engine::general_purpose::STANDARD.encode(bytes)
        }),
        F::ConvertToUtf8Hex => map_text(ev.arg(args, 0)?, |s| s.bytes().map(|b| format!("{b:02X}")).collect()),
        F::Split => split(ev, args)?,
        F::NormalizeDiacritics => map_text(ev.arg(args, 0)?, normalize_diacritics),
        _ => Value::Null,
    })
}

fn join(ev: &mut Evaluator, args: &[Option<Expr>]) -> R<Value> {
    let sep = ev.arg(args, 0)?.text_or_empty();
    let mut parts = Vec::new();
    let mut any = false;
    for i in 1..args.len() {
        let v = ev.arg(args, i)?;
        any |= !v.is_null();
        // Empty and NULL sources are skipped: Join(", ", "", [surname], [givenName]) is "Doe, John".
        parts.extend(v.texts().into_iter().filter(|t| !t.is_empty()));
    }
    Ok(if parts.is_empty() && !any {
        Value::Null
    } else {
        Value::Str(parts.join(&sep))
    })
}

fn mid(ev: &mut Evaluator, args: &[Option<Expr>], f: Function, span: Span) -> R<Value> {
    let Some(s) = ev.arg(args, 0)?.text() else {
        return Ok(Value::Null);
    };
    let start = int_arg(ev, args, 1, f, span)?.unwrap_or(1).max(1);
    let len = int_arg(ev, args, 2, f, span)?.unwrap_or(0).max(0);
    let skip = usize::try_from(start - 1).unwrap_or(usize::MAX);
    Ok(Value::Str(
        s.chars()
            .skip(skip)
            .take(usize::try_from(len).unwrap_or(usize::MAX))
            .collect(),
    ))
}

fn word(ev: &mut Evaluator, args: &[Option<Expr>], f: Function, span: Span) -> R<Value> {
    let s = ev.arg(args, 0)?.text_or_empty();
    let n = int_arg(ev, args, 1, f, span)?.unwrap_or(0);
    let delims: Vec<char> = ev.arg(args, 2)?.text_or_empty().chars().collect();
    let word = if n < 1 {
        None
    } else {
        let idx = usize::try_from(n - 1).unwrap_or(usize::MAX);
        s.split(|c| delims.contains(&c)).filter(|w| !w.is_empty()).nth(idx)
    };
    Ok(Value::Str(word.unwrap_or("").to_string()))
}

fn in_str(ev: &mut Evaluator, args: &[Option<Expr>], f: Function, span: Span) -> R<Value> {
    let Some(hay) = ev.arg(args, 0)?.text() else {
        return Ok(Value::Null);
    };
    let needle = ev.arg(args, 1)?.text_or_empty();
    let start = int_arg(ev, args, 2, f, span)?.unwrap_or(1).max(1);
    let compare = ev.arg(args, 3)?.text_or_empty();
    let text_compare = compare.eq_ignore_ascii_case("vbTextCompare") || compare == "1";
    let fold = |s: &str| -> Vec<char> {
        if text_compare {
            s.chars().map(|c| change_case(c, false, false)).collect()
        } else {
            s.chars().collect()
        }
    };
    let (hay, needle) = (fold(&hay), fold(&needle));
    let from = usize::try_from(start - 1).unwrap_or(usize::MAX);
    let found = (from..=hay.len().saturating_sub(needle.len()))
        .find(|&i| hay.len() >= needle.len() && hay[i..i + needle.len()] == needle[..]);
    Ok(Value::Number(found.map_or(0, |i| i as i64 + 1)))
}

fn split(ev: &mut Evaluator, args: &[Option<Expr>]) -> R<Value> {
    let Some(s) = ev.arg(args, 0)?.text() else {
        return Ok(Value::Null);
    };
    let delim = ev.arg(args, 1)?.text_or_empty();
    Ok(if delim.is_empty() {
        Value::Multi(vec![s])
    } else {
        Value::Multi(s.split(delim.as_str()).map(str::to_string).collect())
    })
}

/// One-to-one case mapping of `c` (a mapping to several characters keeps `c`).
pub fn change_case(c: char, upper: bool, turkic: bool) -> char {
    if turkic {
        match (c, upper) {
            ('i', true) => return 'İ',
            ('ı', true) => return 'I',
            ('I', false) => return 'ı',
            ('İ', false) => return 'i',
            _ => {}
        }
    }
    let mut mapped = if upper {
        c.to_uppercase().collect::<Vec<_>>()
    } else {
        c.to_lowercase().collect::<Vec<_>>()
    };
    if mapped.len() == 1 {
        mapped.pop().unwrap_or(c)
    } else {
        c
    }
}

fn is_combining_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

/// .NET `ToTitleCase` word separators: everything but letters, digits, combining marks and
/// the apostrophe inside a word (`O'Neil`).
fn default_separator(c: char) -> bool {
    !(c.is_alphanumeric() || is_combining_mark(c) || c == '\'' || c == '\u{2019}')
}

/// `PCase`: the first character of each word upper case, the rest lower case. Entra lowers
/// the whole text first (`"PABLO GONSALVES (SECOND)"` gives `"Pablo Gonsalves (Second)"`,
/// where `ToTitleCase` alone would keep all-capital words).
pub fn proper_case(s: &str, separators: Option<&str>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut word_start = true;
    for c in s.chars() {
        let sep = match separators {
            Some(set) => set.contains(c),
            None => default_separator(c),
        };
        if sep {
            out.push(c);
            word_start = true;
        } else {
            out.push(change_case(c, word_start, false));
            word_start = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{Case, check};

    #[test]
    fn documented_examples_1() {
        let cases: &[Case] = &[
            (
                r#"Append([userPrincipalName], ".test")"#,
                &[("userPrincipalName", "John.Doe@contoso.com")],
                "John.Doe@contoso.com.test",
            ),
            (r#"Append([userPrincipalName], ".test")"#, &[], "null"),
            (
                r#"ConvertToBase64("Hello world!")"#,
                &[],
                "SABlAGwAbABvACAAdwBvAHIAbABkACEA",
            ),
            (r#"ConvertToUTF8Hex("Hello world!")"#, &[], "48656C6C6F20776F726C6421"),
            (r#"ConvertToUTF8Hex("é")"#, &[], "C3A9"),
            (r#"InStr("The quick brown fox","quick")"#, &[], "5"),
            (r#"InStr("repEated","e",3,vbBinaryCompare)"#, &[], "7"),
            (r#"InStr("repEated","e",3,vbTextCompare)"#, &[], "4"),
            (r#"InStr("abc","z")"#, &[], "0"),
            (r#"InStr("ab","abc")"#, &[], "0"),
            (r#"Left("John Doe", 3)"#, &[], "Joh"),
            (r#"Left("John Doe", 0)"#, &[], ""),
            (r#"Left("John Doe", -1)"#, &[], "John Doe"),
            (r#"Left("John", 30)"#, &[], "John"),
            (r#"Left([missing], 3)"#, &[], ""),
            (r#"Left("Zoë", 3)"#, &[], "Zoë"),
            (
                r#"Append(Mid([givenName], 1, 3), Mid([surname], 1, 5))"#,
                &[("givenName", "John"), ("surname", "Doe")],
                "JohDoe",
            ),
            (r#"Mid("abcdef", 3, 100)"#, &[], "cdef"),
            (r#"Mid("abcdef", 7, 2)"#, &[], ""),
            (
                r#"Join(", ", "", [surname], [givenName])"#,
                &[("givenName", "John"), ("surname", "Doe")],
                "Doe, John",
            ),
        ];
        for (expr, attrs, want) in cases {
            check(expr, attrs, want);
        }
    }

    #[test]
    fn documented_examples_2() {
        let cases: &[Case] = &[
            (r#"Join(" ", [a], [b])"#, &[], "null"),
            (r#"Join("", 1000, "x")"#, &[], "1000x"),
            (r#"Word("The quick brown fox",3," ")"#, &[], "brown"),
            (r#"Word("This,string!has&many separators",3,",!&#")"#, &[], "has"),
            (r#"Word("a b",3," ")"#, &[], ""),
            (r#"Word("a b",0," ")"#, &[], ""),
            (r#"Word([missing],1," ")"#, &[], ""),
            (
                "PCase([firstName])",
                &[("firstName", "PABLO GONSALVES (SECOND)")],
                "Pablo Gonsalves (Second)",
            ),
            (
                r#"PCase([lastName]," '-")"#,
                &[("lastName", "PINTO-DE'SILVA")],
                "Pinto-De'Silva",
            ),
            (
                r#"PCase(Join(" ",[firstName],[lastName]))"#,
                &[("firstName", "GREGORY"), ("lastName", "JAMES")],
                "Gregory James",
            ),
            (
                "PCase([n])",
                &[("n", "o'neil mary-jane_x ÉLODIE")],
                "O'neil Mary-Jane_X Élodie",
            ),
            (
                r#"ToLower(Join("@", NormalizeDiacritics(StripSpaces(Join(".",  [PreferredFirstName], [PreferredLastName]))), "contoso.com"))"#,
                &[("PreferredFirstName", "John"), ("PreferredLastName", "Smith")],
                "john.smith@contoso.com",
            ),
            (r#"ToUpper("straße")"#, &[], "STRAßE"),
            (r#"ToUpper("istanbul", "tr-TR")"#, &[], "İSTANBUL"),
            (r#"ToLower("ISTANBUL", "tr-TR")"#, &[], "ıstanbul"),
            (r#"StripSpaces(" a b  c ")"#, &[], "abc"),
            (
                r#"Split([extensionAttribute5], ",")"#,
                &[("extensionAttribute5", "PermissionSetOne, PermissionSetTwo")],
                r#"["PermissionSetOne"," PermissionSetTwo"]"#,
            ),
            (r#"Split([missing], ",")"#, &[], "null"),
            ("NormalizeDiacritics([givenName])", &[("givenName", "Zoë")], "Zoe"),
        ];
        for (expr, attrs, want) in cases {
            check(expr, attrs, want);
        }
    }

    #[test]
    fn very_long_strings() {
        let long = "ab ".repeat(50_000);
        let want = "ab".repeat(50_000);
        check("StripSpaces([x])", &[("x", &long)], &want);
        check("Left([x], 4)", &[("x", &long)], "ab a");
    }
}
