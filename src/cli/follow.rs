//! `nowsync logs --follow`: records as they are written, for a terminal (a table whose columns
//! have fixed widths, so rows printed later still line up) or a log shipper (`--format json`:
//! one JSON object per line; `csv`: a header, then rows). Polls the state database opened
//! read-only; started before the first cycle, it waits for the database to appear. Ends when
//! interrupted or when stdout is closed.

use std::path::Path;
use std::time::Duration;

use super::Exit;
use super::logs::{Format, LOG_TABLE, LogsArgs, log_cells, no_state};
use super::out::{self, FixedColumns};
use crate::model::text_json::to_safe_json;
use crate::store::{LOG_COLUMNS, Store, csv_field};

/// How often the database is read for new records.
const POLL: Duration = Duration::from_millis(250);

/// The follow table's column widths (the last, the reason, is not cut).
const WIDTHS: [usize; 8] = [20, 5, 10, 36, 13, 8, 30, 0];

pub fn follow(data_dir: &Path, profile: &str, args: &LogsArgs) -> Exit {
    let store = match wait_for_state(data_dir, profile) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let columns = FixedColumns::new(&LOG_TABLE, &WIDTHS);
    let header = match args.format {
        Format::Table => Some(columns.header()),
        Format::Csv => Some(format!("{}\n", LOG_COLUMNS.join(","))),
        Format::Json => None,
    };
    if let Some(h) = header
        && !out::print_raw(&h)
    {
        return Exit::Success;
    }
    let mut filter = args.filter();
    loop {
        let records = match store.log_with_ids(&filter) {
            Ok(r) => r,
            Err(e) if e.is_transient() => Vec::new(),
            Err(e) => return super::fail(&e),
        };
        let mut text = String::new();
        for (id, r) in &records {
            filter.after_id = Some(*id);
            match args.format {
                Format::Table => text.push_str(&columns.line(&log_cells(r))),
                Format::Json => {
                    text.push_str(&to_safe_json(r).unwrap_or_default());
                    text.push('\n');
                }
                Format::Csv => {
                    let value = serde_json::to_value(r).unwrap_or_default();
                    let cells: Vec<String> = LOG_COLUMNS.iter().map(|c| csv_field(&value[*c])).collect();
                    text.push_str(&cells.join(","));
                    text.push('\n');
                }
            }
        }
        // A closed pipe (the shipper or `head` went away) ends the follow.
        if !text.is_empty() && !out::print_raw(&text) {
            return Exit::Success;
        }
        std::thread::sleep(POLL);
    }
}

/// The state database, once there is one (a follow may start before the first cycle).
fn wait_for_state(data_dir: &Path, profile: &str) -> Result<Store, Exit> {
    let mut told = false;
    loop {
        match Store::open_read_only(data_dir, profile) {
            Ok(Some(store)) => return Ok(store),
            Ok(None) => {
                if !told {
                    eprintln!("{}; waiting for the first cycle", no_state(data_dir, profile));
                    told = true;
                }
                std::thread::sleep(POLL);
            }
            Err(e) if e.is_transient() => std::thread::sleep(POLL),
            Err(e) => return Err(super::fail(&e)),
        }
    }
}
