//! Which rows a compiled query must look at, and paging.
//!
//! The rows come in `sys_id` order from the cheapest source that holds every match: the union
//! of index buckets of one AND term (an `=`, `IN` or `STARTSWITH` on an indexed field or on
//! `sys_id`, or an OR-list made only of such conditions), else the `sys_id` range a
//! `sys_id>X` / `sys_id>=X` term leaves (keyset paging), else the whole table. Every row taken
//! is still tested against the whole query. Ordered by `sys_id` (or not at all), a page is
//! streamed and, when no total is wanted, the scan stops once the page is full; any other
//! order sorts the matches first.

use std::cmp::Ordering;
use std::ops::Bound;

use super::{Compiled, Filter, compare};
use crate::sim::snow::query::Op;
use crate::sim::snow::store::{Row, Store, Table};

/// Where the candidate rows come from.
enum Source<'a> {
    All,
    /// Sorted, distinct sys_ids.
    Ids(Vec<&'a str>),
    /// sys_ids after a bound (`sys_id>X`).
    From(Bound<String>),
}

fn is_sys_id(table: &Table, c: &Compiled) -> bool {
    table
        .def
        .fields
        .get(c.path.first_pos())
        .is_some_and(|f| f.name == "sys_id")
}

/// The sys_ids a single condition can only match, from an index; `None` when it has none.
fn bucket<'a>(table: &'a Table, c: &Compiled) -> Option<Vec<&'a str>> {
    if !c.path.is_direct() {
        return None;
    }
    let pos = c.path.first_pos();
    let sys_id = is_sys_id(table, c);
    if !sys_id && !table.is_indexed(pos) {
        return None;
    }
    let exact = |v: &str| -> Vec<&'a str> {
        if sys_id {
            table
                .rows
                .get_key_value(v)
                .map(|(k, _)| vec![k.as_str()])
                .unwrap_or_default()
        } else {
            table.lookup(pos, v).unwrap_or_default()
        }
    };
    match c.op {
        Op::Eq => Some(exact(&c.value)),
        Op::In => Some(c.list.iter().flat_map(|v| exact(v)).collect()),
        Op::StartsWith if sys_id => Some(
            table
                .rows
                .range::<str, _>((Bound::Included(c.value.as_str()), Bound::Unbounded))
                .take_while(|(k, _)| k.starts_with(&c.value))
                .map(|(k, _)| k.as_str())
                .collect(),
        ),
        Op::StartsWith => table.prefix(pos, &c.value),
        _ => None,
    }
}

/// The rows an OR-list can only match: the union of its conditions' buckets, if each has one,
/// sorted and distinct.
fn union<'a>(table: &'a Table, ors: &[Compiled]) -> Option<Vec<&'a str>> {
    let mut out = Vec::new();
    for c in ors {
        out.extend(bucket(table, c)?);
    }
    out.sort_unstable();
    out.dedup();
    Some(out)
}

impl Filter {
    /// AND terms every match satisfies: the OR-lists of the only group, and the extras.
    fn terms(&self) -> Vec<&[Compiled]> {
        let mut terms: Vec<&[Compiled]> = match self.groups.as_slice() {
            [] => Vec::new(),
            [only] => only.iter().map(Vec::as_slice).collect(),
            _ => return Vec::new(),
        };
        terms.extend(self.extra.iter().map(std::slice::from_ref));
        terms
    }

    fn source<'a>(&self, table: &'a Table) -> Source<'a> {
        // With several ^NQ groups no AND term holds for every match (unless an extra does).
        let terms = if self.groups.len() > 1 {
            self.extra.iter().map(std::slice::from_ref).collect()
        } else {
            self.terms()
        };
        let lower = terms
            .iter()
            .filter_map(|ors| match ors {
                [c] if c.path.is_direct() && is_sys_id(table, c) => match c.op {
                    Op::Gt => Some(Bound::Excluded(c.value.clone())),
                    Op::Ge => Some(Bound::Included(c.value.clone())),
                    _ => None,
                },
                _ => None,
            })
            .max_by(|a, b| bound_key(a).cmp(&bound_key(b)));
        let best = terms.iter().filter_map(|ors| union(table, ors)).min_by_key(Vec::len);
        if let Some(mut ids) = best {
            // Keyset paging over an indexed query: only the ids after the bound.
            if let Some(bound) = &lower {
                let (key, excluded) = bound_key(bound);
                ids.retain(|id| *id > key || (!excluded && *id == key));
            }
            return Source::Ids(ids);
        }
        match lower {
            Some(bound) => Source::From(bound),
            None => Source::All,
        }
    }

    /// The index candidates, if the query has an indexed term (tests).
    #[cfg(test)]
    pub fn candidates<'a>(&self, table: &'a Table) -> Option<Vec<&'a str>> {
        match self.source(table) {
            Source::Ids(ids) => Some(ids),
            _ => None,
        }
    }

    /// Whether the query walks a `sys_id` range (tests).
    #[cfg(test)]
    pub fn is_keyset(&self, table: &Table) -> bool {
        matches!(self.source(table), Source::From(_))
    }

    fn rows<'a>(&self, table: &'a Table) -> Box<dyn Iterator<Item = (&'a str, &'a Row)> + 'a> {
        match self.source(table) {
            Source::All => Box::new(table.rows.iter().map(|(k, r)| (k.as_str(), r))),
            Source::Ids(ids) => Box::new(
                ids.into_iter()
                    .filter_map(|id| table.rows.get_key_value(id))
                    .map(|(k, r)| (k.as_str(), r)),
            ),
            Source::From(bound) => Box::new(
                table
                    .rows
                    .range::<String, _>((bound, Bound::Unbounded))
                    .map(|(k, r)| (k.as_str(), r)),
            ),
        }
    }

    fn ordered_by_sys_id(&self, table: &Table) -> bool {
        self.order.iter().all(|(p, desc)| {
            !desc && p.is_direct() && table.def.fields.get(p.first_pos()).is_some_and(|f| f.name == "sys_id")
        })
    }

    /// Total matches and the sys_ids of the page `[offset, offset + limit)`.
    pub fn select(&self, store: &Store, table: &Table, offset: usize, limit: usize) -> (usize, Vec<String>) {
        self.run(store, table, offset, limit, true)
    }

    /// The sys_ids of the page `[offset, offset + limit)`, without counting every match.
    pub fn page(&self, store: &Store, table: &Table, offset: usize, limit: usize) -> Vec<String> {
        self.run(store, table, offset, limit, false).1
    }

    fn run(&self, store: &Store, table: &Table, offset: usize, limit: usize, count: bool) -> (usize, Vec<String>) {
        let hits = self.rows(table).filter(|(_, row)| self.matches(store, row));
        if self.ordered_by_sys_id(table) {
            if !count {
                let page = hits.skip(offset).take(limit).map(|(id, _)| id.to_owned()).collect();
                return (0, page);
            }
            let mut total = 0;
            let mut page = Vec::new();
            for (id, _) in hits {
                if total >= offset && page.len() < limit {
                    page.push(id.to_owned());
                }
                total += 1;
            }
            return (total, page);
        }
        let mut hits: Vec<(&str, &Row)> = hits.collect();
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
        let page = hits
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|(id, _)| id.to_owned())
            .collect();
        (total, page)
    }
}

fn bound_key(b: &Bound<String>) -> (&str, bool) {
    match b {
        Bound::Included(s) => (s.as_str(), false),
        Bound::Excluded(s) => (s.as_str(), true),
        Bound::Unbounded => ("", false),
    }
}
