//! `nowsync links`: the links between Entra objects and ServiceNow rows, read from the state
//! database opened read-only, as an aligned table, JSON or CSV.

use std::path::Path;

use serde_json::Value;

use super::Exit;
use super::logs::{Format, open, print_rows, short_time};
use super::out::Table;
use crate::model::ObjectType;

/// `--type` values of `links`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LinkType {
    User,
    Group,
}

/// `links` filters.
#[derive(Debug, Clone, clap::Args)]
pub struct LinksArgs {
    /// Only links of this object type
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    pub object_type: Option<LinkType>,
    /// Part of the source id, name or sys_id (case-insensitive)
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

pub fn links(data_dir: &Path, profile: &str, args: &LinksArgs) -> Exit {
    let store = match open(data_dir, profile) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let mut all = Vec::new();
    for (kind, object_type) in [(LinkType::User, ObjectType::User), (LinkType::Group, ObjectType::Group)] {
        if args.object_type.is_some_and(|t| t != kind) {
            continue;
        }
        match store.links(object_type) {
            Ok(l) => all.extend(l),
            Err(e) => return super::fail(&e),
        }
    }
    let needle = args.search.as_ref().map(|s| s.to_lowercase());
    all.retain(|l| {
        needle.as_ref().is_none_or(|n| {
            [&l.source_id, &l.source_name, &l.sys_id]
                .iter()
                .any(|v| v.to_lowercase().contains(n.as_str()))
        })
    });
    let rows: Vec<Value> = all.iter().filter_map(|l| serde_json::to_value(l).ok()).collect();
    let mut table = Table::new(&["type", "name", "sys_id", "updated", "source id"]);
    for l in &all {
        table.row(vec![
            l.object_type.to_string(),
            l.source_name.clone(),
            l.sys_id.clone(),
            short_time(&l.updated),
            l.source_id.clone(),
        ]);
    }
    print_rows(
        &rows,
        &["object_type", "source_id", "source_name", "sys_id", "updated"],
        table,
        args.format,
    )
}
