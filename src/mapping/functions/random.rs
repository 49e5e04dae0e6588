//! `Guid` and `RandomString`, drawing from the evaluation's seeded generator so that tests
//! (and dry runs) are reproducible.

use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::logic::int_arg;
use crate::mapping::ast::{Expr, Span};
use crate::mapping::eval::{EvalErrorKind, Evaluator, R, fail};
use crate::mapping::func::Function;
use crate::mapping::value::Value;

/// A version-4 GUID, lower case with hyphens.
pub fn guid(rng: &mut StdRng) -> String {
    let mut b: [u8; 16] = rng.random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

const DIGITS: &str = "0123456789";
const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
/// Windows password-complexity special characters (the set Entra's reference links to).
const SPECIAL: &str = "~!@#$%^&*_-+=`|\\(){}[]:;\"'<>,.?/";
const MAX_LENGTH: i64 = 256;

/// `RandomString(length, minNumbers, minSpecial, minCapital, minLower[, charactersToAvoid])`.
pub fn random_string(ev: &mut Evaluator, args: &[Option<Expr>], span: Span) -> R<Value> {
    let f = Function::RandomString;
    let mut n = [0i64; 5];
    for (i, slot) in n.iter_mut().enumerate() {
        *slot = int_arg(ev, args, i, f, span)?.unwrap_or(0);
    }
    let avoid: Vec<char> = ev.arg(args, 5)?.text_or_empty().chars().collect();
    let [length, min_num, min_special, min_cap, min_lower] = n;
    let invalid = |message: String| {
        fail(
            EvalErrorKind::InvalidArgument {
                function: f.name(),
                message,
            },
            span,
        )
    };
    if n.iter().any(|&x| x < 0) {
        return invalid("lengths and minimums cannot be negative".into());
    }
    if length > MAX_LENGTH {
        return invalid(format!("length {length} is over the maximum of {MAX_LENGTH}"));
    }
    let minimums = min_num
        .saturating_add(min_special)
        .saturating_add(min_cap)
        .saturating_add(min_lower);
    if minimums > length {
        return invalid(format!(
            "length {length} is less than the sum of the minimums ({minimums})"
        ));
    }
    let pool = |set: &str| -> Vec<char> { set.chars().filter(|c| !avoid.contains(c)).collect() };
    let sets = [
        (pool(DIGITS), min_num),
        (pool(SPECIAL), min_special),
        (pool(UPPER), min_cap),
        (pool(LOWER), min_lower),
    ];
    let mut out: Vec<char> = Vec::new();
    for (set, min) in &sets {
        if *min > 0 && set.is_empty() {
            return invalid("charactersToAvoid excludes every character of a required kind".into());
        }
        for _ in 0..*min {
            out.push(set[ev.rng.random_range(0..set.len())]);
        }
    }
    let all: Vec<char> = sets.iter().flat_map(|(s, _)| s.iter().copied()).collect();
    if all.is_empty() && length > 0 {
        return invalid("charactersToAvoid excludes every character".into());
    }
    while (out.len() as i64) < length {
        out.push(all[ev.rng.random_range(0..all.len())]);
    }
    out.shuffle(&mut ev.rng);
    Ok(Value::Str(out.into_iter().collect()))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{check_err, run};

    #[test]
    fn guid_shape_and_determinism() {
        let a = run("Guid()", &[], &[]).unwrap();
        assert_eq!(a, run("Guid()", &[], &[]).unwrap());
        assert_eq!(a.len(), 36);
        assert!(
            a.chars()
                .all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
            "{a}"
        );
        assert_eq!(a.as_bytes()[14], b'4');
        let two = run("Join(\"\", Guid(), Guid())", &[], &[]).unwrap();
        assert_ne!(two[..36], two[36..]);
    }

    #[test]
    fn random_string_meets_its_minimums() {
        let s = run("RandomString(6,3,0,0,3)", &[], &[]).unwrap();
        assert_eq!(s.chars().count(), 6);
        assert!(s.chars().filter(char::is_ascii_digit).count() >= 3, "{s}");
        let s = run("RandomString(10,2,2,2,1,\"?,\")", &[], &[]).unwrap();
        assert_eq!(s.chars().count(), 10);
        assert!(!s.contains('?') && !s.contains(','), "{s}");
        assert!(s.chars().filter(char::is_ascii_uppercase).count() >= 2, "{s}");
        assert!(s.chars().filter(|c| !c.is_ascii_alphanumeric()).count() >= 2, "{s}");
        let redacted = run("Redact(RandomString(6,3,0,0,3))", &[], &[]).unwrap();
        assert_eq!(redacted.chars().count(), 6);
        check_err("RandomString(300,0,0,0,0)", &[], "RandomString: length 300 is over");
        check_err("RandomString(3,2,2,0,0)", &[], "RandomString: length 3 is less than");
        check_err(
            "RandomString(3,1,0,0,0,\"0123456789\")",
            &[],
            "RandomString: charactersToAvoid",
        );
    }
}
