//! `nowsync mapping eval | check | import FILE | export FILE`.
//!
//! `eval` needs no configuration (DESIGN.md "CLI"). `check`, `import` and `export` work on the
//! profile's mapping file (`[profiles.P.provisioning] mappings`, relative to the configuration
//! file), or on the built-in ServiceNow mappings when the profile names none.

use std::path::{Path, PathBuf};

use clap::Subcommand;

use super::Exit;
use crate::config::{Config, ConfigError, Dirs, write_private_file};
use crate::mapping::model::{self, DEFAULT_MAPPINGS_TOML, MappingSet, raw::RawMappingFile};

#[derive(Debug, Subcommand)]
pub enum MappingCommand {
    /// Evaluate one expression on the given attributes and print the value
    Eval {
        /// The expression, e.g. 'Join(".", [givenName], [surname])'
        #[arg(long)]
        expr: String,
        /// A JSON object of attribute names to a string, number, boolean, null or array of strings
        #[arg(long, default_value = "{}")]
        attrs: String,
        /// Fix the clock of Now() (RFC 3339)
        #[arg(long)]
        now: Option<String>,
        /// A value SelectUniqueValue must treat as already used in the target (repeatable)
        #[arg(long = "taken", value_name = "V")]
        taken: Vec<String>,
    },
    /// Validate the profile's mappings and scoping filters, printing every problem at once
    Check,
    /// Convert an Entra provisioning schema (JSON) into a nowsync mapping file
    Import {
        /// The schema JSON, as Entra's "Review your schema" download gives it
        file: PathBuf,
        /// Where to write the mapping file [default: the profile's mappings file, else stdout]
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Write the profile's mappings as an Entra provisioning schema (JSON)
    Export {
        /// Where to write the schema JSON
        file: PathBuf,
    },
}

/// Runs one `mapping` command.
pub fn run(command: MappingCommand, dirs: &Dirs, profile: &str) -> Exit {
    match command {
        MappingCommand::Eval {
            expr,
            attrs,
            now,
            taken,
        } => match crate::mapping::eval_cli(&expr, &attrs, now.as_deref(), &taken) {
            Ok(value) => {
                println!("{value}");
                Exit::Success
            }
            Err(e) => {
                eprintln!("error: {e}");
                Exit::Usage
            }
        },
        MappingCommand::Check => check(dirs, profile),
        MappingCommand::Import { file, output } => import(dirs, profile, &file, output),
        MappingCommand::Export { file } => export(dirs, profile, &file),
    }
}

/// Where the profile's mapping file is: `Some(path)` when it names one.
fn mapping_path(dirs: &Dirs, profile: &str) -> Result<Option<PathBuf>, ConfigError> {
    let config = match Config::load(&dirs.config_file) {
        Ok(config) => config,
        // Without any configuration the built-in mappings are the profile's.
        Err(ConfigError::NotFound(_)) if dirs.config_is_default => return Ok(None),
        Err(e) => return Err(e),
    };
    let Some(path) = config.profile(profile)?.provisioning.mappings.clone() else {
        return Ok(None);
    };
    let base = dirs.config_file.parent().unwrap_or(Path::new("."));
    Ok(Some(base.join(path)))
}

/// The profile's mapping file text and a name for messages.
fn mapping_text(dirs: &Dirs, profile: &str) -> Result<(String, String), ConfigError> {
    match mapping_path(dirs, profile)? {
        None => Ok((
            DEFAULT_MAPPINGS_TOML.to_owned(),
            "the built-in ServiceNow mappings".to_owned(),
        )),
        Some(path) => std::fs::read_to_string(&path)
            .map(|text| (text, path.display().to_string()))
            .map_err(|source| ConfigError::MappingFile { path, source }),
    }
}

fn check(dirs: &Dirs, profile: &str) -> Exit {
    let (text, name) = match mapping_text(dirs, profile) {
        Ok(found) => found,
        Err(e) => {
            super::report_error(&e);
            return Exit::Usage;
        }
    };
    let mut problems: Vec<String> = Vec::new();
    let set = match model::load_str(&text) {
        Ok(set) => Some(set),
        Err(e) => {
            problems.extend(e.problems.iter().map(|p| format!("{}: {}", p.path, p.message)));
            None
        }
    };
    if let Some(set) = &set {
        problems.extend(scope_problems(set));
        // Warnings do not fail the check: the file works, but likely not as meant.
        for w in model::warnings(set) {
            eprintln!("warning: {}: {}", w.path, w.message);
        }
    }
    if problems.is_empty() {
        let set = set.as_ref();
        let count = |f: fn(&MappingSet) -> usize| set.map(f).unwrap_or_default();
        println!(
            "{name}: OK ({} user attributes, {} group attributes, {} scoping filters)",
            count(|s| s.user.attributes.len()),
            count(|s| s.group.attributes.len()),
            count(|s| s.user.scoping_filters.len() + s.group.scoping_filters.len()),
        );
        return Exit::Success;
    }
    eprintln!(
        "{name}: {} problem{}:",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    for p in problems {
        eprintln!("  {}", p.replace('\n', "\n    "));
    }
    Exit::Usage
}

/// The scoping filters of both object types, compiled; every bad clause with its key path.
fn scope_problems(set: &MappingSet) -> Vec<String> {
    let mut out = Vec::new();
    for (kind, mapping) in [("user", &set.user), ("group", &set.group)] {
        if let Err(errors) = crate::config::compile_scope(&mapping.scoping_filters) {
            out.extend(errors.iter().map(|e| format!("{kind}.scoping_filters: {e}")));
        }
    }
    out
}

fn import(dirs: &Dirs, profile: &str, file: &Path, output: Option<PathBuf>) -> Exit {
    let fail = |message: String| {
        eprintln!("error: {message}");
        Exit::Usage
    };
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) => return fail(format!("cannot read {}: {e}", file.display())),
    };
    let imported = match model::import_schema(&text) {
        Ok(imported) => imported,
        Err(e) => return fail(format!("{}: {e}", file.display())),
    };
    let toml = match model::to_toml(&imported.file) {
        Ok(toml) => toml,
        Err(e) => return fail(format!("cannot write the mapping file: {e}")),
    };
    // What we wrote must load: an import never produces a file that `check` rejects.
    if let Err(e) = model::load_str(&toml) {
        return fail(format!("the imported mappings do not check: {e}"));
    }
    for line in &imported.dropped {
        eprintln!("dropped: {line}");
    }
    let target = match output {
        Some(path) => Some(path),
        None => match mapping_path(dirs, profile) {
            Ok(path) => path,
            Err(e) => return fail(e.to_string()),
        },
    };
    match target {
        None => {
            print!("{toml}");
            Exit::Success
        }
        Some(path) => match crate::config::edit::write_mappings(&path, &toml) {
            Ok(()) => {
                eprintln!("wrote {}", path.display());
                Exit::Success
            }
            Err(e) => fail(e.to_string()),
        },
    }
}

fn export(dirs: &Dirs, profile: &str, file: &Path) -> Exit {
    let fail = |message: String| {
        eprintln!("error: {message}");
        Exit::Usage
    };
    let (text, name) = match mapping_text(dirs, profile) {
        Ok(found) => found,
        Err(e) => {
            super::report_error(&e);
            return Exit::Usage;
        }
    };
    if let Err(e) = model::load_str(&text) {
        return fail(format!("{name}: {e}"));
    }
    let raw: RawMappingFile = match toml::from_str(&text) {
        Ok(raw) => raw,
        Err(e) => return fail(format!("{name}: {e}")),
    };
    let exported = model::export_schema(&raw);
    let json = match serde_json::to_string_pretty(&exported.schema) {
        Ok(json) => json,
        Err(e) => return fail(e.to_string()),
    };
    if let Err(e) = write_private_file(file, json.as_bytes()) {
        return fail(e.to_string());
    }
    for line in &exported.dropped {
        eprintln!("dropped: {line}");
    }
    eprintln!("wrote {} from {name}", file.display());
    Exit::Success
}
