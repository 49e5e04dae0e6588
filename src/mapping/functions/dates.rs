//! Date functions: `CDate`, `DateAdd`, `DateDiff`, `DateFromNum`, `NumFromDate`,
//! `FormatDateTime`. Dates are UTC; `DateAdd`/`DateDiff` follow VB.NET's intervals
//! (`yyyy q m y d w ww h n s`), where `DateDiff` counts calendar boundaries for years,
//! quarters, months and Sunday-started weeks, and whole elapsed units for the rest.
//!
//! An empty string where a date is expected is no date (NULL), not an error: sparse HR data
//! should not fail a whole object. `FormatDateTime`'s `dateTimeStyles` argument is accepted
//! and ignored: Entra's default (RoundtripKind, AllowLeadingWhite, AllowTrailingWhite) applies.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDateTime, TimeZone, Utc};

use super::logic::int_arg;
use crate::mapping::ast::{Expr, Span};
use crate::mapping::datefmt::{self, Kind};
use crate::mapping::eval::{EvalErrorKind, Evaluator, R, fail};
use crate::mapping::func::Function;
use crate::mapping::value::Value;

/// Formats CDate accepts, tried in order (ISO 8601 forms with an optional offset, then the
/// US forms Entra itself prints).
const CDATE_FORMATS: &[&str] = &[
    "yyyy-MM-ddTHH:mm:ss.FFFFFFFK",
    "yyyy-MM-ddTHH:mm:ssK",
    "yyyy-MM-ddTHH:mmK",
    "yyyy-MM-dd HH:mm:ss.FFFFFFFK",
    "yyyy-MM-dd HH:mm:ssK",
    "yyyy-MM-dd HH:mmK",
    "yyyy-MM-ddK",
    "yyyyMMddHHmmss.FFFFFFFK",
    "M/d/yyyy h:mm:ss tt",
    "M/d/yyyy h:mm tt",
    "M/d/yyyy H:mm:ss",
    "M/d/yyyy H:mm",
    "M/d/yyyy",
];

/// Parses a date string as `CDate` does: the UTC instant it names (no offset means UTC).
pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    CDATE_FORMATS
        .iter()
        .find_map(|f| datefmt::parse(s, f))
        .and_then(|(dt, off)| to_utc(dt, off))
}

/// The UTC instant of a written time and offset; `None` past the representable range.
fn to_utc(dt: NaiveDateTime, off: Option<chrono::FixedOffset>) -> Option<DateTime<Utc>> {
    let shift = Duration::seconds(i64::from(off.map_or(0, |o| o.local_minus_utc())));
    dt.checked_sub_signed(shift).map(|t| Utc.from_utc_datetime(&t))
}

/// 100-ns ticks from 1601-01-01 (Windows FILETIME, AD's `accountExpires`) to the Unix epoch.
const FILETIME_UNIX_EPOCH: i64 = 116_444_736_000_000_000;

fn date_arg(ev: &mut Evaluator, args: &[Option<Expr>], i: usize, f: Function, span: Span) -> R<Option<DateTime<Utc>>> {
    match ev.arg(args, i)? {
        Value::Null => Ok(None),
        Value::Date(d) => Ok(Some(d)),
        // An empty date attribute is no date (sparse HR data), not an error.
        Value::Str(s) if s.trim().is_empty() => Ok(None),
        other => {
            let text = other.text_or_empty();
            match parse_date(&text) {
                Some(d) => Ok(Some(d)),
                None => fail(
                    EvalErrorKind::InvalidDate {
                        function: f.name(),
                        value: text,
                    },
                    span,
                ),
            }
        }
    }
}

fn interval(ev: &mut Evaluator, args: &[Option<Expr>], f: Function, span: Span) -> R<String> {
    let i = ev.arg(args, 0)?.text_or_empty().to_ascii_lowercase();
    if ["yyyy", "q", "m", "y", "d", "w", "ww", "h", "n", "s"].contains(&i.as_str()) {
        Ok(i)
    } else {
        let message = format!("unknown interval \"{i}\": use yyyy, q, m, y, d, w, ww, h, n or s");
        fail(
            EvalErrorKind::InvalidArgument {
                function: f.name(),
                message,
            },
            span,
        )
    }
}

fn add_months(d: DateTime<Utc>, n: i64) -> Option<DateTime<Utc>> {
    let m = Months::new(u32::try_from(n.unsigned_abs()).ok()?);
    if n >= 0 {
        d.checked_add_months(m)
    } else {
        d.checked_sub_months(m)
    }
}

pub fn call(ev: &mut Evaluator, f: Function, args: &[Option<Expr>], span: Span) -> R<Value> {
    use Function as F;
    match f {
        F::CDate => Ok(date_arg(ev, args, 0, f, span)?.map_or(Value::Null, Value::Date)),
        F::DateAdd => date_add(ev, args, f, span),
        F::DateDiff => date_diff(ev, args, f, span),
        F::DateFromNum => date_from_num(ev, args, f, span),
        F::NumFromDate => {
            let Some(d) = date_arg(ev, args, 0, f, span)? else {
                return Ok(Value::Null);
            };
            let ticks = d
                .timestamp()
                .checked_mul(10_000_000)
                .and_then(|t| t.checked_add(i64::from(d.timestamp_subsec_nanos() / 100)))
                .and_then(|t| t.checked_add(FILETIME_UNIX_EPOCH));
            ticks.map(Value::Number).map_or_else(|| fail(out_of_range(f), span), Ok)
        }
        F::FormatDateTime => format_date_time(ev, args, f, span),
        _ => Ok(Value::Null),
    }
}

fn date_add(ev: &mut Evaluator, args: &[Option<Expr>], f: Function, span: Span) -> R<Value> {
    let unit = interval(ev, args, f, span)?;
    let (Some(n), Some(d)) = (int_arg(ev, args, 1, f, span)?, date_arg(ev, args, 2, f, span)?) else {
        return Ok(Value::Null);
    };
    let secs = |k: i64| {
        n.checked_mul(k)
            .and_then(Duration::try_seconds)
            .and_then(|x| d.checked_add_signed(x))
    };
    let r = match unit.as_str() {
        "yyyy" => n.checked_mul(12).and_then(|m| add_months(d, m)),
        "q" => n.checked_mul(3).and_then(|m| add_months(d, m)),
        "m" => add_months(d, n),
        "y" | "d" | "w" => secs(86_400),
        "ww" => secs(7 * 86_400),
        "h" => secs(3_600),
        "n" => secs(60),
        _ => secs(1),
    };
    r.map(Value::Date).map_or_else(|| fail(out_of_range(f), span), Ok)
}

fn date_diff(ev: &mut Evaluator, args: &[Option<Expr>], f: Function, span: Span) -> R<Value> {
    let unit = interval(ev, args, f, span)?;
    let (Some(a), Some(b)) = (date_arg(ev, args, 1, f, span)?, date_arg(ev, args, 2, f, span)?) else {
        return Ok(Value::Null);
    };
    let months = |d: &DateTime<Utc>| i64::from(d.year()) * 12 + i64::from(d.month0());
    let span_ = b - a;
    let sunday = |d: &DateTime<Utc>| d.date_naive() - Duration::days(i64::from(d.weekday().num_days_from_sunday()));
    Ok(Value::Number(match unit.as_str() {
        "yyyy" => i64::from(b.year() - a.year()),
        "q" => months(&b) / 3 - months(&a) / 3,
        "m" => months(&b) - months(&a),
        "y" | "d" => span_.num_days(),
        "w" => span_.num_days() / 7,
        "ww" => (sunday(&b) - sunday(&a)).num_days() / 7,
        "h" => span_.num_hours(),
        "n" => span_.num_minutes(),
        _ => span_.num_seconds(),
    }))
}

fn date_from_num(ev: &mut Evaluator, args: &[Option<Expr>], f: Function, span: Span) -> R<Value> {
    let Some(ticks) = int_arg(ev, args, 0, f, span)? else {
        return Ok(Value::Null);
    };
    let Some(since_unix) = ticks.checked_sub(FILETIME_UNIX_EPOCH) else {
        return fail(out_of_range(f), span);
    };
    let secs = since_unix.div_euclid(10_000_000);
    let nanos = u32::try_from(since_unix.rem_euclid(10_000_000) * 100).unwrap_or(0);
    Utc.timestamp_opt(secs, nanos)
        .single()
        .map(Value::Date)
        .map_or_else(|| fail(out_of_range(f), span), Ok)
}

fn format_date_time(ev: &mut Evaluator, args: &[Option<Expr>], f: Function, span: Span) -> R<Value> {
    let source = ev.arg(args, 0)?;
    let input_format = ev.arg(args, 2)?.text_or_empty();
    let output_format = ev.arg(args, 3)?.text_or_empty();
    let (dt, kind) = match source {
        Value::Null => return Ok(Value::Null),
        Value::Str(s) if s.trim().is_empty() => return Ok(Value::Null),
        Value::Date(d) => (d.naive_utc(), Kind::Utc),
        other => {
            let text = other.text_or_empty();
            match datefmt::parse(&text, &input_format) {
                // With RoundtripKind .NET converts a time with an offset to local time, UTC on Entra's servers.
                Some((dt, Some(off))) => match to_utc(dt, Some(off)) {
                    Some(utc) => (utc.naive_utc(), Kind::Local),
                    None => return fail(out_of_range(f), span),
                },
                Some((dt, None)) => (dt, Kind::Unspecified),
                None => {
                    let value = format!("{text}\" does not match the format \"{input_format}");
                    return fail(
                        EvalErrorKind::InvalidDate {
                            function: f.name(),
                            value,
                        },
                        span,
                    );
                }
            }
        }
    };
    Ok(Value::Str(datefmt::format(&dt, kind, &output_format)))
}

fn out_of_range(f: Function) -> EvalErrorKind {
    EvalErrorKind::InvalidArgument {
        function: f.name(),
        message: "date out of range".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{Case, check, check_err};

    #[test]
    fn documented_examples_1() {
        let hire: &[(&str, &str)] = &[("StatusHireDate", "2012-03-16-07:00")];
        let cases: &[Case] = &[
            (
                "CDate([StatusHireDate])",
                &[("StatusHireDate", "2020-03-16-07:00")],
                "3/16/2020 7:00:00 AM",
            ),
            (r#"CDate("2021-06-30+08:00")"#, &[], "6/29/2021 4:00:00 PM"),
            (r#"CDate("2009-06-15T01:45:30-07:00")"#, &[], "6/15/2009 8:45:30 AM"),
            (r#"CDate("2009-06-15T01:45:30.5Z")"#, &[], "6/15/2009 1:45:30 AM"),
            (r#"CDate("8/25/2021 5:41:18 PM")"#, &[], "8/25/2021 5:41:18 PM"),
            ("CDate([missing])", &[], "null"),
            (
                r#"DateAdd("d", 7, CDate([StatusHireDate]))"#,
                hire,
                "3/23/2012 7:00:00 AM",
            ),
            (
                r#"DateAdd("d", -10, CDate([StatusHireDate]))"#,
                hire,
                "3/6/2012 7:00:00 AM",
            ),
            (
                r#"DateAdd("ww", 2, CDate([StatusHireDate]))"#,
                hire,
                "3/30/2012 7:00:00 AM",
            ),
            (
                r#"DateAdd("m", 10, CDate([StatusHireDate]))"#,
                hire,
                "1/16/2013 7:00:00 AM",
            ),
            (
                r#"DateAdd("yyyy", 2, CDate([StatusHireDate]))"#,
                hire,
                "3/16/2014 7:00:00 AM",
            ),
            (r#"DateAdd("m", 1, CDate("2021-01-31"))"#, &[], "2/28/2021 12:00:00 AM"),
            (r#"DateAdd("h", 5, CDate("2021-01-31"))"#, &[], "1/31/2021 5:00:00 AM"),
            (r#"DateAdd("n", -1, CDate("2021-01-31"))"#, &[], "1/30/2021 11:59:00 PM"),
            (
                r#"DateDiff("d", CDate("2021-08-18+08:00"), CDate("2021-08-31+08:00"))"#,
                &[],
                "13",
            ),
            (r#"DateDiff("d", Now(), CDate([StatusHireDate]))"#, hire, "-3449"),
            (r#"DateDiff("ww", Now(), CDate([StatusHireDate]))"#, hire, "-493"),
        ];
        for (expr, attrs, want) in cases {
            check(expr, attrs, want);
        }
    }

    #[test]
    fn documented_examples_2() {
        let hire: &[(&str, &str)] = &[("StatusHireDate", "2012-03-16-07:00")];
        let cases: &[Case] = &[
            (r#"DateDiff("m", Now(), CDate([StatusHireDate]))"#, hire, "-113"),
            (r#"DateDiff("yyyy", Now(), CDate([StatusHireDate]))"#, hire, "-9"),
            (r#"DateDiff("d", "2021-08-31+08:00", "2021-08-31+08:00")"#, &[], "0"),
            (r#"DateDiff("h", "2021-08-24", "2021-08-25")"#, &[], "24"),
            (r#"DateDiff("n", "2021-08-24", "2021-08-25")"#, &[], "1440"),
            (r#"DateDiff("s", "2021-08-24", "2021-08-25")"#, &[], "86400"),
            (
                r#"Switch([Active], , "1", IIF(DateDiff("d", Now(), CDate([StatusHireDate])) > 5, "False", "True"), "0", "False")"#,
                &[("Active", "1"), ("StatusHireDate", "2021-08-28")],
                "True",
            ),
            (
                r#"Switch([Active], , "1", IIF(DateDiff("d", Now(), CDate([StatusHireDate])) > 5, "False", "True"), "0", "False")"#,
                &[("Active", "1"), ("StatusHireDate", "2021-09-28")],
                "False",
            ),
            ("DateFromNum(129699324000000000)", &[], "1/1/2012 11:00:00 PM"),
            (
                "DateFromNum([lastLogonTimestamp])",
                &[("lastLogonTimestamp", "129699324000000000")],
                "1/1/2012 11:00:00 PM",
            ),
            ("NumFromDate(\"2012-01-01T23:00:00Z\")", &[], "129699324000000000"),
            (
                r#"NumFromDate(Join("", FormatDateTime([ContractEndDate], ,"yyyy-MM-ddzzz", "yyyy-MM-dd"), " 23:59:59-08:00"))"#,
                &[("ContractEndDate", "2020-12-31-08:00")],
                "132539615990000000",
            ),
            (
                r#"NumFromDate(Join("",FormatDateTime([endDate], ,"M/d/yyyy hh:mm:ss tt","yyyy-MM-dd")," 23:59:59-08:00"))"#,
                &[("endDate", "12/31/2020 08:00:00 AM")],
                "132539615990000000",
            ),
            (
                r#"FormatDateTime([extensionAttribute1], , "yyyyMMddHHmmss.fZ", "yyyy-MM-dd")"#,
                &[("extensionAttribute1", "20150123105347.1Z")],
                "2015-01-23",
            ),
            (
                r#"FormatDateTime(Now(), , "", "yyyy-MM-ddTHH:mm:ssK")"#,
                &[],
                "2021-08-25T17:41:18Z",
            ),
            (r#"FormatDateTime([x], , "yyyy-MM-dd", "dd.MM.yy")"#, &[], "null"),
            ("Now()", &[], "8/25/2021 5:41:18 PM"),
        ];
        for (expr, attrs, want) in cases {
            check(expr, attrs, want);
        }
    }

    #[test]
    fn bad_dates_are_errors() {
        check_err(r#"CDate("not a date")"#, &[], "CDate: \"not a date\" is not a date");
        check_err(r#"DateAdd("x", 1, Now())"#, &[], "DateAdd: unknown interval \"x\"");
        check_err(
            r#"FormatDateTime("2020", , "yyyy-MM-dd", "yyyy")"#,
            &[],
            "FormatDateTime: \"2020\" does not match",
        );
        check_err(r#"DateAdd("yyyy", 9999999, Now())"#, &[], "DateAdd: date out of range");
        check_err(
            r#"DateAdd("d", "x", Now())"#,
            &[],
            "DateAdd: expected a number, found \"x\"",
        );
    }
}
