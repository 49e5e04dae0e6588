//! .NET custom date and time format strings, for parsing and formatting, with the invariant
//! culture: `yyyy yy y MMMM MMM MM M dddd ddd dd d HH H hh h mm m ss s f… F… tt t zzz zz z K`,
//! `'literal'`, `"literal"`, `\c`, `%c`, and the standard one-letter formats `d D g G o O s
//! t T u`. Anything else is a literal character, as in .NET.
//!
//! Times without an offset are taken as UTC: Entra's servers run in UTC, so .NET's "local"
//! and UTC coincide there.

mod parse;

pub use parse::parse;

use chrono::{Datelike, NaiveDateTime, Timelike};

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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{FixedOffset, NaiveDate};

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
