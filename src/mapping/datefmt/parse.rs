//! Reading a date and time written in a .NET format string (the items of [`super`]), with the
//! invariant culture's month and day names.

use chrono::{FixedOffset, NaiveDate, NaiveDateTime};

use super::{DAYS, Item, MONTHS, items};

/// Parses `input` (surrounding white space allowed) with a .NET format string. The result is
/// the written time and, when the input had one, its offset.
pub fn parse(input: &str, fmt: &str) -> Option<(NaiveDateTime, Option<FixedOffset>)> {
    let mut s = input.trim();
    let (mut year, mut month, mut day) = (1i32, 1u32, 1u32);
    let (mut hour, mut minute, mut second, mut nanos) = (0u32, 0u32, 0u32, 0u32);
    let mut pm: Option<bool> = None;
    let mut offset = None;
    for item in items(fmt) {
        match item {
            Item::Lit(l) => s = strip_prefix_ci(s, &l)?,
            Item::Field(c, n) => match c {
                'y' => (year, s) = year_field(s, n)?,
                'M' if n >= 3 => {
                    let (i, rest) = name(s, &MONTHS, n == 3)?;
                    month = i as u32 + 1;
                    s = rest;
                }
                'd' if n >= 3 => s = name(s, &DAYS, n == 3)?.1,
                'M' | 'd' | 'h' | 'H' | 'm' | 's' => {
                    let (v, rest, _) = digits(s, if n == 1 { 1 } else { 2 }, 2)?;
                    let v = u32::try_from(v).ok()?;
                    match c {
                        'M' => month = v,
                        'd' => day = v,
                        'h' | 'H' => hour = v,
                        'm' => minute = v,
                        _ => second = v,
                    }
                    s = rest;
                }
                'f' | 'F' => (nanos, s) = fraction(s, c, n)?,
                't' => {
                    let (is_pm, rest) = am_pm(s, n)?;
                    pm = Some(is_pm);
                    s = rest;
                }
                'z' | 'K' => {
                    let (found, rest) = offset_field(s, c)?;
                    offset = found.or(offset);
                    s = rest;
                }
                _ => return None,
            },
        }
    }
    if !s.is_empty() {
        return None;
    }
    if let Some(pm) = pm {
        hour = to_24_hours(hour, pm)?;
    }
    let dt = NaiveDate::from_ymd_opt(year, month, day)?.and_hms_nano_opt(hour, minute, second, nanos)?;
    Some((dt, offset))
}

/// A year of `n` pattern letters; two-digit years pivot at 50 as .NET's calendar does.
fn year_field(s: &str, n: usize) -> Option<(i32, &str)> {
    let (min, max) = if n <= 2 { (1, 2) } else { (n.max(4), n.max(4)) };
    let (v, rest, len) = digits(s, min, max)?;
    let year = if n <= 2 && len <= 2 {
        if v < 50 { 2000 + v } else { 1900 + v }
    } else {
        v
    };
    Some((i32::try_from(year).ok()?, rest))
}

/// Fractions of a second: `f` requires its digits, `F` takes those present.
fn fraction(s: &str, c: char, n: usize) -> Option<(u32, &str)> {
    let n = n.min(7);
    let (v, rest, len) = match digits(s, if c == 'f' { n } else { 0 }, n) {
        Some(x) => x,
        None if c == 'F' => (0, s, 0),
        None => return None,
    };
    Some((u32::try_from(v).ok()? * 10u32.pow(9 - len as u32), rest))
}

/// `t` takes A or P, `tt` AM or PM (and a lone A or P, as .NET's parser does).
fn am_pm(s: &str, n: usize) -> Option<(bool, &str)> {
    let up = s.to_ascii_uppercase();
    let (is_pm, len) = if up.starts_with("AM") && n >= 2 {
        (false, 2)
    } else if up.starts_with("PM") && n >= 2 {
        (true, 2)
    } else if up.starts_with('A') {
        (false, 1)
    } else if up.starts_with('P') {
        (true, 1)
    } else {
        return None;
    };
    Some((is_pm, &s[len..]))
}

/// `z` requires an offset; `K` takes one when present (`None`: nothing read).
fn offset_field(s: &str, c: char) -> Option<(Option<FixedOffset>, &str)> {
    if c == 'K' && (s.is_empty() || !s.starts_with(['+', '-', 'Z', 'z'])) {
        return Some((None, s));
    }
    if let Some(rest) = s.strip_prefix(['Z', 'z']) {
        return Some((FixedOffset::east_opt(0), rest));
    }
    let (o, rest) = parse_offset(s)?;
    Some((Some(o), rest))
}

fn to_24_hours(hour: u32, pm: bool) -> Option<u32> {
    if hour > 12 {
        return None;
    }
    Some(match (pm, hour) {
        (false, 12) => 0,
        (true, h) if h < 12 => h + 12,
        (_, h) => h,
    })
}

fn strip_prefix_ci<'a>(s: &'a str, lit: &str) -> Option<&'a str> {
    if lit.trim().is_empty() && !lit.is_empty() {
        // White space in the format matches any run of white space.
        let rest = s.trim_start();
        return (rest.len() < s.len()).then_some(rest);
    }
    let head = s.get(..lit.len())?;
    head.eq_ignore_ascii_case(lit).then(|| &s[lit.len()..])
}

/// Reads between `min` and `max` ASCII digits: (value, rest, digits read).
fn digits(s: &str, min: usize, max: usize) -> Option<(i64, &str, usize)> {
    let len = s.bytes().take(max).take_while(u8::is_ascii_digit).count();
    if len < min || len == 0 {
        return None;
    }
    Some((s[..len].parse().ok()?, &s[len..], len))
}

fn name<'a>(s: &'a str, names: &[&str], abbreviated: bool) -> Option<(usize, &'a str)> {
    names.iter().enumerate().find_map(|(i, n)| {
        let n = if abbreviated { &n[..3] } else { n };
        strip_prefix_ci(s, n).map(|rest| (i, rest))
    })
}

/// `±h`, `±hh`, `±hh:mm` or `±hhmm`.
pub fn parse_offset(s: &str) -> Option<(FixedOffset, &str)> {
    let sign = match s.chars().next()? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    let (h, rest, _) = digits(&s[1..], 1, 2)?;
    let (m, rest) = match rest.strip_prefix(':') {
        Some(r) => {
            let (m, r, _) = digits(r, 2, 2)?;
            (m, r)
        }
        None => match digits(rest, 2, 2) {
            Some((m, r, _)) => (m, r),
            None => (0, rest),
        },
    };
    if h > 14 || m > 59 {
        return None;
    }
    Some((FixedOffset::east_opt(sign * (h as i32 * 3600 + m as i32 * 60))?, rest))
}
