//! `nowsync logs`: the provisioning log, read from the profile's state database opened
//! read-only (no engine needed; safe while one runs; never creates or migrates a database).
//!
//! `--format json` prints a JSON array of every matching record, oldest first; `csv` has the
//! same columns with nested values as JSON text; `table` (the default) is an aligned table
//! for people. Filter values are checked by clap against the words the log uses. `--follow`
//! prints records as they are written (`follow.rs`). Nothing matched: "no records" on stderr.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::Exit;
use super::out::{self, Table};
use crate::model::ObjectType;
use crate::store::{LOG_COLUMNS, LogFilter, LogRecord, Store, csv_table};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns with a header, for people
    Table,
    /// A JSON array of the records
    Json,
    /// A header row, then one row per record
    Csv,
}

/// `--status` values: the log's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusArg {
    Success,
    Failure,
    Skipped,
    Warning,
}

/// `--action` values: the log's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ActionArg {
    Create,
    Update,
    Disable,
    Delete,
    #[value(name = "StagedDelete", alias = "staged_delete", alias = "staged-delete")]
    StagedDelete,
    #[value(name = "add_member", alias = "add-member")]
    AddMember,
    #[value(name = "remove_member", alias = "remove-member")]
    RemoveMember,
    #[value(name = "create_reference", alias = "create-reference")]
    CreateReference,
    Skip,
    Error,
}

/// `--type` values of `logs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ObjectTypeArg {
    User,
    Group,
    Membership,
}

impl From<ObjectTypeArg> for ObjectType {
    fn from(t: ObjectTypeArg) -> ObjectType {
        match t {
            ObjectTypeArg::User => ObjectType::User,
            ObjectTypeArg::Group => ObjectType::Group,
            ObjectTypeArg::Membership => ObjectType::Membership,
        }
    }
}

/// `logs` filters.
#[derive(Debug, Clone, clap::Args)]
pub struct LogsArgs {
    /// Only this cycle
    #[arg(long, value_name = "ID")]
    pub cycle: Option<i64>,
    /// Only records with this status
    #[arg(long, value_enum, value_name = "STATUS")]
    pub status: Option<StatusArg>,
    /// Only records with this action
    #[arg(long, value_enum, value_name = "ACTION")]
    pub action: Option<ActionArg>,
    /// Only records of this object type
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    pub object_type: Option<ObjectTypeArg>,
    /// Part of a UPN, group name, object id or sys_id (case-insensitive)
    #[arg(long, value_name = "TEXT")]
    pub user: Option<String>,
    /// Records of the last 30m, 1h, 7d, 2w (s, m, h, d, w), or at or after an RFC 3339 time
    /// such as 2025-01-31T08:00:00Z
    #[arg(long, value_name = "WHEN", value_parser = parse_since)]
    pub since: Option<DateTime<Utc>>,
    /// The escrows instead: permanent failures retried on a schedule, with their next attempt
    #[arg(long, conflicts_with = "follow")]
    pub escrow: bool,
    /// Keep printing records as they are written (table or JSON lines), until interrupted
    #[arg(long, short = 'f')]
    pub follow: bool,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

impl LogsArgs {
    pub(super) fn filter(&self) -> LogFilter {
        LogFilter {
            cycle_id: self.cycle,
            status: self.status.map(|s| value_name(&s)),
            action: self.action.map(|a| value_name(&a)),
            user: self.user.clone(),
            since: self
                .since
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
            object_type: self.object_type.map(ObjectType::from),
            after_id: None,
        }
    }
}

/// The word clap shows for a value: the log's own spelling.
fn value_name(v: &impl clap::ValueEnum) -> String {
    v.to_possible_value()
        .map(|p| p.get_name().to_owned())
        .unwrap_or_default()
}

/// A `--since` value refused; `text` is the value as given, made safe for the terminal.
#[derive(Debug, thiserror::Error)]
pub enum SinceError {
    #[error(
        "'{text}' is neither a duration (such as 30m, 1h, 7d, 2w: a number and s, m, h, d or w) nor an RFC 3339 time (such as 2025-01-31T08:00:00Z)"
    )]
    Neither { text: String },
    #[error("'{text}' reaches back further than a date can")]
    TooFarBack { text: String },
}

/// `--since`: a duration back from now (`90s`, `30m`, `1h`, `7d`, `2w`) or an RFC 3339 time.
pub fn parse_since(text: &str) -> Result<DateTime<Utc>, SinceError> {
    parse_since_at(text, Utc::now())
}

fn parse_since_at(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, SinceError> {
    let shown = || crate::model::text::sanitize_for_terminal(text);
    let refuse = || SinceError::Neither { text: shown() };
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let unit_at = text.len().checked_sub(1).ok_or_else(refuse)?;
    let (number, unit) = text.split_at(unit_at);
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(refuse());
    }
    let n: i64 = number.parse().map_err(|_| refuse())?;
    let seconds = match unit {
        "s" => Some(n),
        "m" => n.checked_mul(60),
        "h" => n.checked_mul(3600),
        "d" => n.checked_mul(86_400),
        "w" => n.checked_mul(7 * 86_400),
        _ => return Err(refuse()),
    };
    seconds
        .and_then(chrono::TimeDelta::try_seconds)
        .and_then(|d| now.checked_sub_signed(d))
        .ok_or_else(|| SinceError::TooFarBack { text: shown() })
}

/// The profile's state, read-only; `Err(Exit::Success)` after saying on stderr that there is
/// none yet (DESIGN.md: `logs`, `links` and `status` never create a state database).
pub(super) fn open(data_dir: &Path, profile: &str) -> Result<Store, Exit> {
    match Store::open_read_only(data_dir, profile) {
        Ok(Some(store)) => Ok(store),
        Ok(None) => {
            eprintln!("{}", no_state(data_dir, profile));
            Err(Exit::Success)
        }
        Err(e) => Err(super::fail(&e)),
    }
}

/// What `logs`, `links` and `status` say when the profile has no state database yet.
pub fn no_state(data_dir: &Path, profile: &str) -> String {
    format!(
        "no state yet for profile '{profile}' in {}: no cycle has run (`nowsync sync --once` runs one)",
        data_dir.display()
    )
}

/// Prints rows of JSON objects in `format`; "no records" on stderr when there are none.
pub(super) fn print_rows(rows: &[Value], columns: &[&str], table: Table, format: Format) -> Exit {
    if rows.is_empty() {
        eprintln!("no records");
    }
    match format {
        Format::Json => out::json(rows),
        Format::Csv => {
            out::print_raw(&csv_table(columns, rows));
        }
        Format::Table if rows.is_empty() => {}
        Format::Table => table.print(),
    }
    Exit::Success
}

/// The log table's columns and one record's cells.
pub(super) const LOG_TABLE: [&str; 8] = ["time", "cycle", "type", "name", "action", "status", "code", "reason"];

pub(super) fn log_cells(r: &LogRecord) -> Vec<String> {
    vec![
        short_time(&r.time),
        r.cycle_id.to_string(),
        r.object_type.to_string(),
        r.source_name.clone(),
        r.action.clone(),
        r.status.clone(),
        r.error_code.clone().unwrap_or_default(),
        r.reason.clone(),
    ]
}

/// `2025-01-31T08:00:00.123Z` as `2025-01-31 08:00:00Z`.
pub(super) fn short_time(t: &str) -> String {
    match DateTime::parse_from_rfc3339(t) {
        Ok(d) => d.with_timezone(&Utc).format("%Y-%m-%d %H:%M:%SZ").to_string(),
        Err(_) => t.to_owned(),
    }
}

pub fn logs(data_dir: &Path, profile: &str, args: &LogsArgs) -> Exit {
    if args.follow {
        return super::follow::follow(data_dir, profile, args);
    }
    let store = match open(data_dir, profile) {
        Ok(s) => s,
        Err(e) => return e,
    };
    if args.escrow {
        return escrows(&store, args.format);
    }
    let records = match store.log(&args.filter()) {
        Ok(r) => r,
        Err(e) => return super::fail(&e),
    };
    // A cycle that failed as a whole has few records or none (acceptance N7: `logs --cycle 14`
    // printed nothing for a cycle `status` said failed): its failure and the way out first,
    // on stdout in the table, on stderr beside a JSON or CSV document.
    if let Some(said) = args.cycle.and_then(|id| cycle_failure(&store, id)) {
        match args.format {
            Format::Table => println!("{said}"),
            Format::Json | Format::Csv => eprintln!("{said}"),
        }
    }
    // Only what the format prints, each record freed as it is converted: at 600,000 records
    // (an initial cycle at 100,000 users) building both forms took 7.4 GB.
    if args.format == Format::Table {
        if records.is_empty() {
            eprintln!("no records");
            return Exit::Success;
        }
        let mut table = Table::new(&LOG_TABLE);
        for r in records {
            table.row(log_cells(&r));
        }
        table.print();
        return Exit::Success;
    }
    let rows: Vec<Value> = records
        .into_iter()
        .filter_map(|r| serde_json::to_value(&r).ok())
        .collect();
    print_rows(&rows, &LOG_COLUMNS, Table::new(&LOG_TABLE), args.format)
}

/// `cycle 14 (incremental) failed: <error with its way out>`, for a cycle whose row says it
/// failed as a whole; `None` for any other (or no such cycle).
fn cycle_failure(store: &Store, id: i64) -> Option<String> {
    let row = store.cycle(id).ok().flatten()?;
    let stats: crate::sync::CycleStats = serde_json::from_str(row.stats.as_deref()?).ok()?;
    let error = stats.error?;
    Some(format!(
        "cycle {id} ({}) failed: {}",
        row.kind,
        crate::model::text::sanitize_for_terminal(&error)
    ))
}

/// `logs --escrow`: each escrow with its code, attempts and next attempt.
fn escrows(store: &Store, format: Format) -> Exit {
    let escrows = match store.escrows() {
        Ok(e) => e,
        Err(e) => return super::fail(&e),
    };
    let rows: Vec<Value> = escrows.iter().filter_map(|r| serde_json::to_value(r).ok()).collect();
    let mut table = Table::new(&[
        "type",
        "name",
        "code",
        "attempts",
        "first failed",
        "next attempt",
        "source id",
    ]);
    for e in &escrows {
        table.row(vec![
            e.object_type.to_string(),
            e.source_name.clone(),
            e.code.clone(),
            e.attempts.to_string(),
            e.first_failed.as_deref().map(short_time).unwrap_or_default(),
            e.next_attempt.as_deref().map(short_time).unwrap_or_default(),
            e.source_id.clone(),
        ]);
    }
    let columns = [
        "object_type",
        "source_name",
        "source_id",
        "code",
        "attempts",
        "first_failed",
        "next_attempt",
    ];
    print_rows(&rows, &columns, table, format)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_a_duration_or_an_rfc3339_time_and_refuses_anything_else() {
        let now = DateTime::parse_from_rfc3339("2025-01-31T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let at = |s: &str| parse_since_at(s, now).map(|t| t.to_rfc3339());
        assert_eq!(at("1h").unwrap(), "2025-01-31T11:00:00+00:00");
        assert_eq!(at("7d").unwrap(), "2025-01-24T12:00:00+00:00");
        assert_eq!(at("30m").unwrap(), "2025-01-31T11:30:00+00:00");
        assert_eq!(at("2w").unwrap(), "2025-01-17T12:00:00+00:00");
        assert_eq!(at("2025-01-30T08:00:00+01:00").unwrap(), "2025-01-30T07:00:00+00:00");
        for bad in [
            "",
            "h",
            "1",
            "1y",
            "-1h",
            "1.5h",
            "yesterday",
            "2025-01-30",
            "99999999999999999999d",
            "1h\u{1b}[2J",
        ] {
            let e = at(bad).unwrap_err().to_string();
            assert!(e.contains("duration") || e.contains("further"), "{bad:?}: {e}");
            assert!(!e.contains('\u{1b}'), "{e:?}");
        }
    }
}
