//! Every write of a configuration or mapping file goes through here, on `toml_edit`: the file
//! is read again from disk, only the keys the caller owns change, and comments, order, layout
//! and every other key stay byte for byte.
//!
//! Terms: an [`Edit`] is one key of one table of a profile (`[profiles.P.servicenow]`
//! `instance`), set or removed, or a whole table dropped. A key set to the value it already
//! has is left as written (its quoting, its comment); a changed value keeps the comment around
//! it. A mapping file belongs wholly to the mappings screen: [`write_mappings`] merges the new
//! file into the one on disk, so the parts that did not change keep their comments.
//!
//! Invariants: a configuration file is written only when the result resolves (`Config::parse`)
//! and the profile is in it; files are written 0600 (`write_private_file`).

use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, Table, TableLike, Value};

use super::{Config, ConfigError, DirError, Profile, write_private_file};
use crate::secrets::StoreChoice;

/// A value an [`Edit`] sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditValue {
    Str(String),
    Int(i64),
    Bool(bool),
    Ints(Vec<i64>),
}

impl From<&str> for EditValue {
    fn from(s: &str) -> Self {
        EditValue::Str(s.to_owned())
    }
}

impl From<String> for EditValue {
    fn from(s: String) -> Self {
        EditValue::Str(s)
    }
}

impl From<bool> for EditValue {
    fn from(b: bool) -> Self {
        EditValue::Bool(b)
    }
}

impl EditValue {
    fn to_value(&self) -> Value {
        match self {
            EditValue::Str(s) => Value::from(s.as_str()),
            EditValue::Int(n) => Value::from(*n),
            EditValue::Bool(b) => Value::from(*b),
            EditValue::Ints(v) => Value::Array(v.iter().copied().collect()),
        }
    }
}

/// One change to one table of a profile (`table` is `servicenow`, `entra`, `provisioning`,
/// `notification` or `secrets`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    Set {
        table: &'static str,
        key: &'static str,
        value: EditValue,
    },
    Remove {
        table: &'static str,
        key: &'static str,
    },
    /// The whole table goes (the wizard with no notification email).
    DropTable {
        table: &'static str,
    },
}

impl Edit {
    pub fn set(table: &'static str, key: &'static str, value: impl Into<EditValue>) -> Self {
        Edit::Set {
            table,
            key,
            value: value.into(),
        }
    }

    pub fn remove(table: &'static str, key: &'static str) -> Self {
        Edit::Remove { table, key }
    }
}

/// A configuration or mapping file could not be edited; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not valid TOML, so it was not changed: fix it by hand first: {source}")]
    Syntax {
        path: PathBuf,
        #[source]
        source: toml_edit::TomlError,
    },
    #[error("{path}: `{key}` is not a table, so it was not changed: make it a [table] by hand")]
    NotATable { path: PathBuf, key: String },
    /// The edited text does not resolve (the callers say "not saved").
    #[error("{source}")]
    Invalid {
        #[source]
        source: Box<ConfigError>,
    },
    #[error("{path} was not written: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: DirError,
    },
}

/// The file as written, and its profile resolved.
#[derive(Debug, Clone)]
pub struct Saved {
    pub text: String,
    pub profile: Profile,
}

/// The text of `path`, or nothing when there is no file yet.
fn read(path: &Path) -> Result<String, EditError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(source) => Err(EditError::Read {
            path: path.to_owned(),
            source,
        }),
    }
}

/// `text` with `edits` made to the tables of `profile` (pure; `path` names the file in
/// messages).
pub fn apply(text: &str, path: &Path, profile: &str, edits: &[Edit]) -> Result<String, EditError> {
    let mut doc: DocumentMut = text.parse().map_err(|source| EditError::Syntax {
        path: path.to_owned(),
        source,
    })?;
    for edit in edits {
        let table = match edit {
            Edit::Set { table, .. } | Edit::Remove { table, .. } | Edit::DropTable { table } => *table,
        };
        let not_a_table = |key: String| EditError::NotATable {
            path: path.to_owned(),
            key,
        };
        let Some(owner) = profile_table(&mut doc, profile, !matches!(edit, Edit::Set { .. })) else {
            if matches!(edit, Edit::Set { .. }) {
                return Err(not_a_table(format!("profiles.{profile}")));
            }
            continue;
        };
        match edit {
            Edit::DropTable { .. } => {
                owner.remove(table);
            }
            Edit::Remove { key, .. } => {
                if let Some(t) = owner.get_mut(table).and_then(Item::as_table_like_mut) {
                    t.remove(key);
                }
            }
            Edit::Set { key, value, .. } => {
                let entry = owner.entry(table).or_insert(Item::Table(Table::new()));
                let t = entry
                    .as_table_like_mut()
                    .ok_or_else(|| not_a_table(format!("profiles.{profile}.{table}")))?;
                set_value(t, key, value.to_value());
            }
        }
    }
    Ok(doc.to_string())
}

/// `profiles.P` as a table, created (implicit, so no header of its own is written) when
/// `existing_only` is false; `None` when it is not a table, or absent and not to be made.
fn profile_table<'d>(doc: &'d mut DocumentMut, profile: &str, existing_only: bool) -> Option<&'d mut dyn TableLike> {
    let mut implicit = Table::new();
    implicit.set_implicit(true);
    let root = doc.as_table_mut();
    if existing_only && !root.contains_key("profiles") {
        return None;
    }
    let profiles = root.entry("profiles").or_insert(Item::Table(implicit.clone()));
    let profiles = profiles.as_table_like_mut()?;
    if existing_only && !profiles.contains_key(profile) {
        return None;
    }
    profiles
        .entry(profile)
        .or_insert(Item::Table(implicit))
        .as_table_like_mut()
}

/// Sets `key` to `value` in `table`: left alone when it already has that value, its comment
/// and spacing kept when it changes.
fn set_value(table: &mut dyn TableLike, key: &str, mut value: Value) {
    match table.get_mut(key) {
        Some(Item::Value(old)) if same(old, &value) => {}
        Some(Item::Value(old)) => {
            *value.decor_mut() = old.decor().clone();
            *old = value;
        }
        _ => {
            table.insert(key, Item::Value(value));
        }
    }
}

/// Whether two values are the same data, whatever their quoting or layout.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.value() == y.value(),
        (Value::Integer(x), Value::Integer(y)) => x.value() == y.value(),
        (Value::Float(x), Value::Float(y)) => x.value() == y.value(),
        (Value::Boolean(x), Value::Boolean(y)) => x.value() == y.value(),
        (Value::Datetime(x), Value::Datetime(y)) => x.value() == y.value(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y.iter()).all(|(a, b)| same(a, b)),
        (Value::InlineTable(x), Value::InlineTable(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => false,
    }
}

/// Edits the tables of `profile` in the configuration file at `path` (created when there is
/// none): read again from disk, changed by `edits`, checked to load, written 0600.
pub fn edit_profile(path: &Path, profile: &str, edits: &[Edit]) -> Result<Saved, EditError> {
    let text = apply(&read(path)?, path, profile, edits)?;
    let profile = check(&text, path, profile)?;
    write_private_file(path, text.as_bytes()).map_err(|source| EditError::Write {
        path: path.to_owned(),
        source,
    })?;
    Ok(Saved { text, profile })
}

/// The profile `text` resolves to, or why it does not.
pub fn check(text: &str, path: &Path, profile: &str) -> Result<Profile, EditError> {
    let invalid = |e: ConfigError| EditError::Invalid { source: Box::new(e) };
    let config = Config::parse(text, path).map_err(invalid)?;
    config.profile(profile).cloned().map_err(invalid)
}

/// Sets `[profiles.PROFILE.secrets] store = CHOICE` in the file at `path`, creating the file if
/// there is none. The result must read back as that choice, or nothing is written.
pub fn save_store_choice(path: &Path, profile: &str, choice: StoreChoice) -> Result<(), ConfigError> {
    let by_hand = |detail: String| ConfigError::Invalid {
        path: path.to_owned(),
        key: format!("profiles.{profile}.secrets.store"),
        value: format!("'{choice}'"),
        expected: format!(
            "could not save it ({detail}): add `[profiles.{profile}.secrets]` with `store = \"{choice}\"` by hand"
        ),
    };
    let edits = [Edit::set("secrets", "store", choice.as_str())];
    let text = read(path)
        .and_then(|text| apply(&text, path, profile, &edits))
        .map_err(|e| by_hand(e.to_string()))?;
    match check(&text, path, profile) {
        Ok(p) if p.secrets.store == choice => {}
        Ok(_) => return Err(by_hand("the edited file does not read back as that choice".to_owned())),
        Err(e) => return Err(by_hand(e.to_string())),
    }
    write_private_file(path, text.as_bytes()).map_err(|e| by_hand(e.to_string()))
}

/// Writes the mapping file `text` to `path`: merged into the file on disk, so that what did
/// not change keeps its comments and layout; 0600.
pub fn write_mappings(path: &Path, text: &str) -> Result<(), EditError> {
    let syntax = |source| EditError::Syntax {
        path: path.to_owned(),
        source,
    };
    let new: DocumentMut = text.parse().map_err(syntax)?;
    let old = read(path)?;
    // A file on disk that no longer parses is replaced whole: the new text was checked.
    let merged = match old.parse::<DocumentMut>() {
        Ok(mut doc) if !old.trim().is_empty() => {
            merge_table(doc.as_table_mut(), new.as_table());
            doc.to_string()
        }
        _ => text.to_owned(),
    };
    write_private_file(path, merged.as_bytes()).map_err(|source| EditError::Write {
        path: path.to_owned(),
        source,
    })
}

/// Makes `old` hold what `new` holds, keeping `old`'s decoration where keys survive.
fn merge_table(old: &mut dyn TableLike, new: &dyn TableLike) {
    let gone: Vec<String> = old
        .iter()
        .map(|(k, _)| k.to_owned())
        .filter(|k| !new.contains_key(k))
        .collect();
    for k in gone {
        old.remove(&k);
    }
    for (key, item) in new.iter() {
        match old.get_mut(key) {
            Some(slot) => merge_item(slot, item),
            None => {
                old.insert(key, unplaced(item.clone()));
            }
        }
    }
}

/// `item` without the positions it had in the new file, so that its tables are written
/// where they now belong in the old one (after what precedes them), not by the new file's order.
fn unplaced(mut item: Item) -> Item {
    fn table(t: &mut Table) {
        t.set_position(None);
        for (_, item) in t.iter_mut() {
            match item {
                Item::Table(t) => table(t),
                Item::ArrayOfTables(a) => a.iter_mut().for_each(table),
                _ => {}
            }
        }
    }
    match &mut item {
        Item::Table(t) => table(t),
        Item::ArrayOfTables(a) => a.iter_mut().for_each(table),
        _ => {}
    }
    item
}

fn merge_item(old: &mut Item, new: &Item) {
    match (&mut *old, new) {
        (Item::Table(o), Item::Table(n)) => merge_table(o, n),
        (Item::ArrayOfTables(o), Item::ArrayOfTables(n)) => {
            let n: Vec<&Table> = n.iter().collect();
            while o.len() > n.len() {
                o.remove(o.len() - 1);
            }
            for (i, table) in n.iter().enumerate() {
                match o.get_mut(i) {
                    Some(t) => merge_table(t, *table),
                    None => {
                        if let Item::Table(t) = unplaced(Item::Table((*table).clone())) {
                            o.push(t);
                        }
                    }
                }
            }
        }
        (Item::Value(Value::InlineTable(o)), Item::Value(Value::InlineTable(n))) => merge_table(o, n),
        // Written inline in the file on disk: it stays inline, where it is.
        (Item::Value(Value::InlineTable(o)), Item::Table(n)) => merge_table(o, &n.clone().into_inline_table()),
        (Item::Value(o), Item::Value(n)) if same(o, n) => {}
        (Item::Value(o), Item::Value(n)) => {
            let mut value = n.clone();
            *value.decor_mut() = o.decor().clone();
            *o = value;
        }
        // Placed where `old` was, not by its position in the new text.
        _ => *old = unplaced(new.clone()),
    }
}

#[cfg(test)]
#[path = "edit_tests.rs"]
mod tests;
