//! Evaluates parsed encoded queries against the store: field paths with dot-walking through
//! references, case-insensitive value matching, ordering and offset paging.
//!
//! Conditions on unknown fields are dropped at compile time (spec §1.4), which can widen a
//! match to every row, exactly as on an instance. When a group has an equality on an indexed
//! field, only that index bucket is scanned.

use std::cmp::Ordering;

use super::query::{Cond, Op, Query};
use super::schema::Kind;
use super::store::{Row, Store, Table};

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
    let list = value.split(',').map(norm).collect();
    Some(Compiled {
        value: norm(&value),
        path,
        op,
        list,
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

    /// The smallest index bucket that every match must come from, if any.
    fn candidates<'a>(&self, table: &'a Table) -> Option<Vec<&'a str>> {
        if self.groups.len() > 1 {
            return None;
        }
        let mut best: Option<Vec<&'a str>> = None;
        let single = self
            .groups
            .first()
            .into_iter()
            .flatten()
            .filter(|ors| ors.len() == 1)
            .map(|ors| &ors[0]);
        for c in single.chain(self.extra.iter()) {
            if !matches!(c.op, Op::Eq) || !c.path.is_direct() {
                continue;
            }
            let pos = c.path.first_pos();
            let bucket = if table.def.fields[pos].name == "sys_id" {
                table
                    .rows
                    .get_key_value(&c.value)
                    .map(|(k, _)| vec![k.as_str()])
                    .unwrap_or_default()
            } else if table.is_indexed(pos) {
                table.lookup(pos, &c.value).unwrap_or_default()
            } else {
                continue;
            };
            if best.as_ref().is_none_or(|b| bucket.len() < b.len()) {
                best = Some(bucket);
            }
        }
        best
    }

    /// Total matches and the sys_ids of the page `[offset, offset + limit)`.
    pub fn select(&self, store: &Store, table: &Table, offset: usize, limit: usize) -> (usize, Vec<String>) {
        let rows: Box<dyn Iterator<Item = (&str, &Row)>> = match self.candidates(table) {
            Some(ids) => Box::new(
                ids.into_iter()
                    .filter_map(|id| table.rows.get_key_value(id))
                    .map(|(k, r)| (k.as_str(), r)),
            ),
            None => Box::new(table.rows.iter().map(|(k, r)| (k.as_str(), r))),
        };
        let sys_id_order = self
            .order
            .iter()
            .all(|(p, desc)| !desc && p.is_direct() && table.def.fields[p.first_pos()].name == "sys_id");
        if sys_id_order {
            let mut total = 0;
            let mut page = Vec::new();
            for (id, row) in rows {
                if self.matches(store, row) {
                    if total >= offset && page.len() < limit {
                        page.push(id.to_owned());
                    }
                    total += 1;
                }
            }
            return (total, page);
        }
        let mut hits: Vec<(&str, &Row)> = rows.filter(|(_, row)| self.matches(store, row)).collect();
        hits.sort_by(|a, b| {
            for (path, desc) in &self.order {
                let ord = compare(path.kind, path.value(store, a.1), path.value(store, b.1));
                let ord = if *desc { ord.reverse() } else { ord };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            Ordering::Equal
        });
        let total = hits.len();
        (
            total,
            hits.into_iter()
                .skip(offset)
                .take(limit)
                .map(|(id, _)| id.to_owned())
                .collect(),
        )
    }
}

fn compare(kind: Kind, a: &str, b: &str) -> Ordering {
    if kind == Kind::Int
        && let (Ok(x), Ok(y)) = (a.parse::<i64>(), b.parse::<i64>())
    {
        return x.cmp(&y);
    }
    a.to_lowercase().cmp(&b.to_lowercase())
}

fn eq(kind: Kind, stored: &str, want: &str) -> bool {
    match kind {
        Kind::UserRoles => stored.split(',').any(|r| r.trim().eq_ignore_ascii_case(want)),
        Kind::Bool => super::values::bool_str(stored) == want,
        _ => stored.to_lowercase() == want,
    }
}

fn test(store: &Store, row: &Row, c: &Compiled) -> bool {
    let raw = c.path.value(store, row);
    let v = raw.to_lowercase();
    let kind = c.path.kind;
    match c.op {
        Op::Eq => eq(kind, raw, &c.value),
        Op::Ne => !eq(kind, raw, &c.value),
        Op::EqOrDisplay => {
            eq(kind, raw, &c.value)
                || c.path
                    .reference
                    .is_some_and(|t| store.ref_display(t, raw).to_lowercase() == c.value)
        }
        Op::Like => v.contains(&c.value),
        Op::NotLike => !v.contains(&c.value),
        Op::StartsWith => v.starts_with(&c.value),
        Op::EndsWith => v.ends_with(&c.value),
        Op::In => c.list.iter().any(|x| eq(kind, raw, x)),
        Op::NotIn => !c.list.iter().any(|x| eq(kind, raw, x)),
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
            (v == other) == (c.op == Op::SameAs)
        }
    }
}

#[cfg(test)]
#[path = "eval_tests.rs"]
mod tests;
