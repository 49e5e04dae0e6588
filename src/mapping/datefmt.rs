//! .NET custom date and time format strings, for parsing and formatting, with the invariant
//! culture: `yyyy yy y MMMM MMM MM M dddd ddd dd d HH H hh h mm m ss s f… F… tt t zzz zz z K`,
//! `'literal'`, `"literal"`, `\c`, `%c`, and the standard one-letter formats `d D g G o O s
//! t T u`. Anything else is a literal character, as in .NET.
//!
//! Times without an offset are taken as UTC: Entra's servers run in UTC, so .NET's "local"
//! and UTC coincide there.

use chrono::{Datelike, FixedOffset, NaiveDate, NaiveDateTime, Timelike};

#[derive(Debug, Clone, PartialEq)]
enum Item {
    Lit(String),
    Field(char, usize),
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

fn standard(fmt: &str) -> &str {
    match fmt {
        "d" => "MM/dd/yyyy",
        "D" => "dddd, dd MMMM yyyy",
        "g" => "MM/dd/yyyy HH:mm",
        "G" => "MM/dd/yyyy HH:mm:ss",
        "o" | "O" => "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
        "s" => "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
        "t" => "HH:mm",
        "T" => "HH:mm:ss",
        "u" => "yyyy'-'MM'-'dd HH':'mm':'ss'Z'",
        other => other,
    }
}

fn items(fmt: &str) -> Vec<Item> {
    let fmt = standard(fmt);
    let chars: Vec<char> = fmt.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let lit = |out: &mut Vec<Item>, s: String| match out.last_mut() {
        Some(Item::Lit(prev)) => prev.push_str(&s),
        _ => out.push(Item::Lit(s)),
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            'y' | 'M' | 'd' | 'h' | 'H' | 'm' | 's' | 'f' | 'F' | 't' | 'z' | 'K' => {
                let mut n = 1;
                while i + n < chars.len() && chars[i + n] == c {
                    n += 1;
                }
                out.push(Item::Field(c, n));
                i += n;
            }
            '\'' | '"' => {
                let mut s = String::new();
                i += 1;
                while i < chars.len() && chars[i] != c {
                    if chars[i] == '\\' && i + 1 < chars.len() {
                        i += 1;
                    }
                    s.push(chars[i]);
                    i += 1;
                }
                i += 1;
                lit(&mut out, s);
            }
            '\\' => {
                if let Some(&n) = chars.get(i + 1) {
                    lit(&mut out, n.to_string());
                }
                i += 2;
            }
            '%' => i += 1,
            other => {
                lit(&mut out, other.to_string());
                i += 1;
            }
        }
    }
    out
}

/// How a parsed time says where it is: `K` prints nothing, `Z` or an offset accordingly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Unspecified,
    Utc,
    /// Converted from an explicit offset to the server's local time (UTC).
    Local,
}

/// Formats `dt` with a .NET format string.
pub fn format(dt: &NaiveDateTime, kind: Kind, fmt: &str) -> String {
    let mut out = String::new();
    for item in items(fmt) {
        match item {
            Item::Lit(s) => out.push_str(&s),
            Item::Field(c, n) => out.push_str(&field(dt, kind, c, n)),
        }
    }
    out
}

fn field(dt: &NaiveDateTime, kind: Kind, c: char, n: usize) -> String {
    let pad = |v: u32, w: usize| format!("{v:0w$}");
    let h12 = match dt.hour() % 12 {
        0 => 12,
        h => h,
    };
    match (c, n) {
        ('y', 1) => (dt.year() % 100).to_string(),
        ('y', 2) => format!("{:02}", dt.year().rem_euclid(100)),
        ('y', n) => format!("{:0n$}", dt.year()),
        ('M', 1 | 2) => pad(dt.month(), n),
        ('M', 3) => MONTHS[dt.month0() as usize][..3].to_string(),
        ('M', _) => MONTHS[dt.month0() as usize].to_string(),
        ('d', 1 | 2) => pad(dt.day(), n),
        ('d', 3) => DAYS[dt.weekday().num_days_from_sunday() as usize][..3].to_string(),
        ('d', _) => DAYS[dt.weekday().num_days_from_sunday() as usize].to_string(),
        ('h', n) => pad(h12, n.min(2)),
        ('H', n) => pad(dt.hour(), n.min(2)),
        ('m', n) => pad(dt.minute(), n.min(2)),
        ('s', n) => pad(dt.second(), n.min(2)),
        ('f' | 'F', n) => {
            let n = n.min(7);
            let digits = format!("{:07}", dt.nanosecond().min(999_999_999) / 100);
            let s = &digits[..n];
            if c == 'F' {
                s.trim_end_matches('0').to_string()
            } else {
                s.to_string()
            }
        }
        ('t', 1) => if dt.hour() < 12 { "A" } else { "P" }.to_string(),
        ('t', _) => if dt.hour() < 12 { "AM" } else { "PM" }.to_string(),
        ('z', 1) => "+0".into(),
        ('z', 2) => "+00".into(),
        ('z', _) => "+00:00".into(),
        ('K', _) => match kind {
            Kind::Unspecified => String::new(),
            Kind::Utc => "Z".into(),
            Kind::Local => "+00:00".into(),
        },
        _ => String::new(),
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_opt(h, mi, s)
            .unwrap()
    }

    #[test]
    fn formats() {
        let t = dt(2009, 6, 15, 13, 5, 7);
        let cases = [
            ("M/d/yyyy h:mm:ss tt", Kind::Utc, "6/15/2009 1:05:07 PM"),
            ("yyyy-MM-dd", Kind::Utc, "2009-06-15"),
            (
                "yy MMM MMMM ddd dddd HH H hh",
                Kind::Utc,
                "09 Jun June Mon Monday 13 13 01",
            ),
            ("'at' HH\\h mm \"min\"", Kind::Utc, "at 13h 05 min"),
            ("yyyyMMddHHmmss.fff zzz K", Kind::Utc, "20090615130507.000 +00:00 Z"),
            ("HH:mm:ssK", Kind::Unspecified, "13:05:07"),
            ("s", Kind::Utc, "2009-06-15T13:05:07"),
            ("d", Kind::Utc, "06/15/2009"),
        ];
        for (fmt, kind, want) in cases {
            assert_eq!(format(&t, kind, fmt), want, "{fmt}");
        }
    }

    #[test]
    fn parses() {
        let off = |h: i32| FixedOffset::east_opt(h * 3600);
        let cases = [
            (
                "20150123105347.1Z",
                "yyyyMMddHHmmss.fZ",
                Some((dt(2015, 1, 23, 10, 53, 47) + chrono::Duration::milliseconds(100), None)),
            ),
            (
                "2020-12-31-08:00",
                "yyyy-MM-ddzzz",
                Some((dt(2020, 12, 31, 0, 0, 0), off(-8))),
            ),
            (
                " 3/6/2012 9:05:00 pm ",
                "M/d/yyyy h:mm:ss tt",
                Some((dt(2012, 3, 6, 21, 5, 0), None)),
            ),
            (
                "12/31/2020 12:00:00 AM",
                "MM/dd/yyyy hh:mm:ss tt",
                Some((dt(2020, 12, 31, 0, 0, 0), None)),
            ),
            ("15 June 09", "dd MMMM yy", Some((dt(2009, 6, 15, 0, 0, 0), None))),
            ("2021-08-24", "yyyy-MM-ddK", Some((dt(2021, 8, 24, 0, 0, 0), None))),
            ("2021-02-30", "yyyy-MM-dd", None),
            ("2021-08-24x", "yyyy-MM-dd", None),
            ("13/1/2020", "M/d/yyyy", None),
        ];
        for (input, fmt, want) in cases {
            assert_eq!(parse(input, fmt), want, "{input} / {fmt}");
        }
    }
}
