//! `nowsync logs` and `nowsync links`: the provisioning log and the links, read from the
//! profile's state database (no engine needed; safe while one runs).
//!
//! `logs --format json` prints a JSON array of every matching record, oldest first; `csv` has
//! the same columns with nested values as JSON text; `table` is for people (sanitised).

use std::io::Write;
use std::path::Path;

use serde_json::Value;

use super::Exit;
use crate::model::text::sanitize_for_terminal;
use crate::store::{LOG_COLUMNS, LogFilter, Store, csv_field};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// `logs` filters.
#[derive(Debug, Clone, clap::Args)]
pub struct LogsArgs {
    /// Only this cycle
    #[arg(long, value_name = "ID")]
    pub cycle: Option<i64>,
    /// success | failure | skipped | warning
    #[arg(long, value_name = "S")]
    pub status: Option<String>,
    /// create | update | disable | delete | add_member | remove_member | skip | StagedDelete | …
    #[arg(long, value_name = "A")]
    pub action: Option<String>,
    /// Part of a UPN, group name, object id or sys_id
    #[arg(long, value_name = "TEXT")]
    pub user: Option<String>,
    /// Records at or after this time (RFC 3339, or a date YYYY-MM-DD)
    #[arg(long, value_name = "T")]
    pub since: Option<String>,
    /// The escrows instead: permanent failures retried on a schedule, with their next attempt
    #[arg(long)]
    pub escrow: bool,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

/// `links` filters.
#[derive(Debug, Clone, clap::Args)]
pub struct LinksArgs {
    /// user | group
    #[arg(long = "type", value_name = "TYPE")]
    pub object_type: Option<String>,
    /// Part of the source id, name or sys_id
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

fn open(data_dir: &Path, profile: &str) -> Result<Store, Exit> {
    Store::open(data_dir, profile).map_err(|e| {
        super::report_error(&e);
        Exit::Usage
    })
}

fn print_rows(rows: &[Value], columns: &[&str], format: Format) -> Exit {
    let mut out = std::io::stdout().lock();
    let result = match format {
        Format::Json => writeln!(out, "{}", Value::Array(rows.to_vec())),
        Format::Csv => {
            let mut r = writeln!(out, "{}", columns.join(","));
            for row in rows {
                let line: Vec<String> = columns.iter().map(|c| csv_field(&row[*c])).collect();
                r = r.and_then(|()| writeln!(out, "{}", line.join(",")));
            }
            r
        }
        Format::Table => {
            let mut r = Ok(());
            for row in rows {
                let line: Vec<String> = columns
                    .iter()
                    .map(|c| sanitize_for_terminal(&csv_field(&row[*c])))
                    .collect();
                r = r.and_then(|()| writeln!(out, "{}", line.join("  ")));
            }
            r
        }
    };
    // A closed pipe (`| head`) is not an error of ours.
    let _ = result;
    Exit::Success
}

pub fn logs(data_dir: &Path, profile: &str, args: &LogsArgs) -> Exit {
    let store = match open(data_dir, profile) {
        Ok(s) => s,
        Err(e) => return e,
    };
    if args.escrow {
        return escrows(&store, args.format);
    }
    let since = args.since.as_ref().map(|s| {
        if s.len() == 10 {
            format!("{s}T00:00:00.000Z")
        } else {
            chrono::DateTime::parse_from_rfc3339(s)
                .map(|d| {
                    d.with_timezone(&chrono::Utc)
                        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                })
                .unwrap_or_else(|_| s.clone())
        }
    });
    let filter = LogFilter {
        cycle_id: args.cycle,
        status: args.status.clone(),
        action: args.action.clone(),
        user: args.user.clone(),
        since,
    };
    let records = match store.log(&filter) {
        Ok(r) => r,
        Err(e) => {
            super::report_error(&e);
            return Exit::Usage;
        }
    };
    let rows: Vec<Value> = records.iter().filter_map(|r| serde_json::to_value(r).ok()).collect();
    let columns: &[&str] = match args.format {
        Format::Table => &[
            "time",
            "cycle_id",
            "object_type",
            "action",
            "status",
            "source_name",
            "error_code",
            "reason",
        ],
        _ => &LOG_COLUMNS,
    };
    print_rows(&rows, columns, args.format)
}

/// `logs --escrow`: each escrow with its code, attempts and next attempt.
fn escrows(store: &Store, format: Format) -> Exit {
    let rows: Vec<Value> = match store.escrows() {
        Ok(e) => e.iter().filter_map(|r| serde_json::to_value(r).ok()).collect(),
        Err(e) => {
            super::report_error(&e);
            return Exit::Usage;
        }
    };
    let columns: &[&str] = &[
        "object_type",
        "source_name",
        "source_id",
        "code",
        "attempts",
        "first_failed",
        "next_attempt",
    ];
    print_rows(&rows, columns, format)
}

pub fn links(data_dir: &Path, profile: &str, args: &LinksArgs) -> Exit {
    let store = match open(data_dir, profile) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let mut all = Vec::new();
    for t in ["user", "group"] {
        if args.object_type.as_deref().is_some_and(|o| !o.eq_ignore_ascii_case(t)) {
            continue;
        }
        match store.links(t) {
            Ok(l) => all.extend(l),
            Err(e) => {
                super::report_error(&e);
                return Exit::Usage;
            }
        }
    }
    let needle = args.search.as_ref().map(|s| s.to_lowercase());
    let rows: Vec<Value> = all
        .iter()
        .filter(|l| {
            needle.as_ref().is_none_or(|n| {
                [&l.source_id, &l.source_name, &l.sys_id]
                    .iter()
                    .any(|v| v.to_lowercase().contains(n.as_str()))
            })
        })
        .filter_map(|l| serde_json::to_value(l).ok())
        .collect();
    print_rows(
        &rows,
        &["object_type", "source_id", "source_name", "sys_id", "updated"],
        args.format,
    )
}
