//! Evaluates parsed encoded queries against the store: field paths with dot-walking through
//! references, case-insensitive value matching, ordering and offset paging.
//!
//! Conditions on unknown fields are dropped at compile time (spec §1.4), which can widen a
//! match to every row, exactly as on an instance. Which rows a query must look at (index
//! buckets, a `sys_id` range) and paging are in `scan`.

use std::cmp::Ordering;

use super::query::{Cond, Op, Query};
use super::schema::Kind;
use super::store::{Row, Store};

/// A resolved field path: (table, column position) per hop; all hops but the last are references.
#[derive(Clone, Debug)]
pub struct Path {
    hops: Vec<(&'static str, usize)>,
    pub kind: Kind,
    pub reference: Option<&'static str>,
}

impl Path {
    pub fn is_direct(&self) -> bool {
        self.hops.len() == 1
    }

    pub fn first_pos(&self) -> usize {
        self.hops[0].1
    }

    /// The value at the end of the path, `""` when a hop points at no row.
    pub fn value<'a>(&self, store: &'a Store, row: &'a Row) -> &'a str {
        let mut row = row;
        for (i, (table, pos)) in self.hops.iter().enumerate() {
            let v = row[*pos].as_str();
            if i + 1 == self.hops.len() {
                return v;
            }
            let next = store
                .table(table)
                .and_then(|t| t.def.fields[*pos].reference)
                .and_then(|r| store.table(r));
            match next.and_then(|t| t.get(v)) {
                Some(r) => row = r,
                None => return "",
            }
        }
        ""
    }
}

/// Resolves `a.b.c` from `table`; `None` when any segment is unknown or walks a non-reference.
pub fn resolve(store: &Store, table: &str, field: &str) -> Option<Path> {
    let mut hops = Vec::new();
    let mut current = store.table(table)?;
    let segments: Vec<&str> = field.split('.').collect();
    for (i, seg) in segments.iter().enumerate() {
        let pos = current.def.pos(seg)?;
        let def = &current.def.fields[pos];
        hops.push((current.def.name, pos));
        if i + 1 == segments.len() {
            return Some(Path {
                hops,
                kind: def.kind,
                reference: def.reference,
            });
        }
        current = store.table(def.reference?)?;
    }
    None
}

#[derive(Debug)]
pub struct Compiled {
    path: Path,
    op: Op,
    value: String,
    list: Vec<String>,
    /// `list` as a set, for `IN` / `NOT IN` on kinds compared by lower-cased text.
    set: Option<std::collections::HashSet<String>>,
    other: Option<Path>,
}

/// Who is asking, for `javascript:gs.getUserID()` and friends.
pub struct Caller<'a> {
    pub sys_id: &'a str,
    pub user_name: &'a str,
}

pub fn compile_cond(store: &Store, table: &str, cond: &Cond, caller: &Caller) -> Option<Compiled> {
    let path = resolve(store, table, &cond.field)?;
    let mut value = cond.value.clone();
    if value.starts_with("javascript:") {
        if value.contains("gs.getUserID()") {
            value = caller.sys_id.to_owned();
        } else if value.contains("gs.getUserName()") {
            value = caller.user_name.to_owned();
        }
    }
    let other = match cond.op {
        Op::SameAs | Op::NSameAs => Some(resolve(store, table, &cond.value)?),
        _ => None,
    };
    // Off references a name-value filter is plain equality, which the indexes can serve.
    let op = if cond.op == Op::EqOrDisplay && path.reference.is_none() {
        Op::Eq
    } else {
        cond.op
    };
    let norm = |v: &str| normalise(path.kind, v);
    let list: Vec<String> = value.split(',').map(norm).collect();
    let textual = !matches!(path.kind, Kind::Bool | Kind::UserRoles);
    let set = (textual && matches!(op, Op::In | Op::NotIn)).then(|| list.iter().cloned().collect());
    Some(Compiled {
        value: norm(&value),
        path,
        op,
        list,
        set,
        other,
    })
}

fn normalise(kind: Kind, v: &str) -> String {
    if kind == Kind::Bool {
        super::values::bool_str(v).to_owned()
    } else {
        v.to_lowercase()
    }
}

/// A query compiled against one table: OR of groups of AND of OR-lists.
#[derive(Debug, Default)]
pub struct Filter {
    groups: Vec<Vec<Vec<Compiled>>>,
    /// ANDed to every group (name-value pairs, silent ACLs).
    pub extra: Vec<Compiled>,
    order: Vec<(Path, bool)>,
}

impl Filter {
    pub fn compile(store: &Store, table: &str, query: &Query, caller: &Caller) -> Filter {
        let groups = query
            .groups
            .iter()
            .map(|g| {
                g.iter()
                    .map(|ors| {
                        ors.iter()
                            .filter_map(|c| compile_cond(store, table, c, caller))
                            .collect::<Vec<_>>()
                    })
                    .filter(|ors| !ors.is_empty())
                    .collect()
            })
            .collect();
        let order = query
            .order
            .iter()
            .filter_map(|o| Some((resolve(store, table, &o.field)?, o.desc)))
            .collect();
        Filter {
            groups,
            extra: Vec::new(),
            order,
        }
    }

    pub fn matches(&self, store: &Store, row: &Row) -> bool {
        self.extra.iter().all(|c| test(store, row, c))
            && (self.groups.is_empty()
                || self
                    .groups
                    .iter()
                    .any(|g| g.iter().all(|ors| ors.iter().any(|c| test(store, row, c)))))
    }
}

fn compare(kind: Kind, a: &str, b: &str) -> Ordering {
    if kind == Kind::Int
        && let (Ok(x), Ok(y)) = (a.parse::<i64>(), b.parse::<i64>())
    {
        return x.cmp(&y);
    }
    if a.is_ascii() && b.is_ascii() {
        return a
            .bytes()
            .map(|c| c.to_ascii_lowercase())
            .cmp(b.bytes().map(|c| c.to_ascii_lowercase()));
    }
    a.to_lowercase().cmp(&b.to_lowercase())
}

/// `stored` equals `want` (already lower-cased) ignoring case; allocates only off ASCII.
fn eq_lower(stored: &str, want: &str) -> bool {
    if stored.is_ascii() {
        stored.len() == want.len()
            && stored
                .bytes()
                .zip(want.bytes())
                .all(|(a, b)| a.to_ascii_lowercase() == b)
    } else {
        stored.to_lowercase() == want
    }
}

fn eq(kind: Kind, stored: &str, want: &str) -> bool {
    match kind {
        Kind::UserRoles => stored.split(',').any(|r| r.trim().eq_ignore_ascii_case(want)),
        Kind::Bool => super::values::bool_str(stored) == want,
        _ => eq_lower(stored, want),
    }
}

fn test(store: &Store, row: &Row, c: &Compiled) -> bool {
    let raw = c.path.value(store, row);
    let lower = || raw.to_lowercase();
    let kind = c.path.kind;
    match c.op {
        Op::Eq => eq(kind, raw, &c.value),
        Op::Ne => !eq(kind, raw, &c.value),
        Op::EqOrDisplay => {
            eq(kind, raw, &c.value)
                || c.path
                    .reference
                    .is_some_and(|t| eq_lower(&store.ref_display(t, raw), &c.value))
        }
        Op::Like => lower().contains(&c.value),
        Op::NotLike => !lower().contains(&c.value),
        Op::StartsWith => lower().starts_with(&c.value),
        Op::EndsWith => lower().ends_with(&c.value),
        Op::In | Op::NotIn => {
            let hit = match &c.set {
                Some(set) => set.contains(&lower()),
                None => c.list.iter().any(|x| eq(kind, raw, x)),
            };
            hit == (c.op == Op::In)
        }
        Op::IsEmpty | Op::EmptyString => raw.is_empty(),
        Op::IsNotEmpty => !raw.is_empty(),
        Op::Anything => true,
        Op::Lt => compare(kind, raw, &c.value) == Ordering::Less,
        Op::Le => compare(kind, raw, &c.value) != Ordering::Greater,
        Op::Gt => compare(kind, raw, &c.value) == Ordering::Greater,
        Op::Ge => compare(kind, raw, &c.value) != Ordering::Less,
        Op::Between => match c.value.split_once('@') {
            Some((lo, hi)) => compare(kind, raw, lo) != Ordering::Less && compare(kind, raw, hi) != Ordering::Greater,
            None => false,
        },
        Op::SameAs | Op::NSameAs => {
            let other = c
                .other
                .as_ref()
                .map(|p| p.value(store, row).to_lowercase())
                .unwrap_or_default();
            (lower() == other) == (c.op == Op::SameAs)
        }
    }
}

#[path = "scan.rs"]
mod scan;

#[cfg(test)]
#[path = "eval_tests.rs"]
mod tests;
