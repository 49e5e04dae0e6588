//! Rows looked up by matching value, in bulk, for any value an encoded query can reach.
//!
//! An encoded-query `IN` list cannot carry a `,` inside a value, and no condition can carry a
//! `^` (it separates conditions) or a control character (servicenow.md §13 #4, §1.4). So:
//! plain values go in `IN` lists; a value with `,` gets an equality condition of its own
//! (`field=a,b`, OR-ed with others); a value with `^` or a newline is searched by its longest
//! run of plain text (`STARTSWITH` when the value starts with it, else `LIKE`) and the rows
//! are filtered exactly on our side. A value with no such run cannot be looked up: it is
//! reported, and the plan never creates an object on it (it might exist).
//!
//! Every returned row is kept only if one of the asked values equals its field's value
//! case-insensitively, as `plan` compares: the instance's own comparison (case- and
//! accent-insensitive) may return more.

use std::collections::{HashMap, HashSet};

use super::rows_where;
use crate::mapping::model::ObjectMapping;
use crate::mapping::{Context, Flow};
use crate::servicenow::{self, Cond, Query, encoded_len};
use crate::sync::error::CycleError;
use crate::sync::plan::Row;
use crate::sync::plan::SourceObject;

/// What a lookup found.
#[derive(Debug, Default)]
pub struct Found {
    pub rows: Vec<Row>,
    /// (field, lower-cased value) pairs no query could search.
    pub not_looked_up: HashSet<(String, String)>,
}

/// How one value is searched.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Search {
    /// In an `IN` list.
    Listed,
    /// By this condition, then filtered exactly.
    By(Cond),
    /// No query can reach it.
    Unsearchable,
}

fn encodes(cond: &Cond) -> bool {
    Query::new().and(cond.clone()).encode().is_ok()
}

/// How `value` of `field` can be searched.
fn search(field: &str, value: &str) -> Search {
    if encodes(&Cond::is_in(field, [value])) {
        return Search::Listed;
    }
    let eq = Cond::eq(field, value);
    if encodes(&eq) {
        return Search::By(eq);
    }
    // The longest run free of what a condition cannot carry.
    let bad = |c: char| c == '^' || c.is_control() || c == '\u{2028}' || c == '\u{2029}';
    let longest = value.split(bad).fold("", |best, r| {
        if r.chars().count() > best.chars().count() {
            r
        } else {
            best
        }
    });
    if longest.trim().is_empty() {
        return Search::Unsearchable;
    }
    let run = longest;
    let candidates = [
        value.starts_with(run).then(|| Cond::starts_with(field, run)),
        Some(Cond::like(field, run)),
        // A run starting `javascript:` is refused as such (the instance would run it): search
        // from its second character.
        run.char_indices().nth(1).map(|(i, _)| Cond::like(field, &run[i..])),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(encodes)
        .map_or(Search::Unsearchable, Search::By)
}

/// The conditions that find every searchable value of `wanted` (field → lower-cased values),
/// OR-ed into queries of at most `room` bytes as sent (`servicenow::Client::query_room`), and
/// the values none can reach.
fn queries(wanted: &HashMap<String, Vec<String>>, room: usize) -> (Vec<Query>, HashSet<(String, String)>) {
    let mut conds: Vec<Cond> = Vec::new();
    let mut unsearchable = HashSet::new();
    let mut fields: Vec<&String> = wanted.keys().collect();
    fields.sort();
    for field in fields {
        let mut listed: Vec<&str> = Vec::new();
        let mut values: Vec<&String> = wanted[field].iter().collect();
        values.sort();
        values.dedup();
        for value in values {
            match search(field, value) {
                Search::Listed => listed.push(value),
                Search::By(cond) => conds.push(cond),
                Search::Unsearchable => {
                    unsearchable.insert((field.clone(), value.clone()));
                }
            }
        }
        if !listed.is_empty() {
            conds.extend(Cond::in_chunks(field, listed, room));
        }
    }
    let mut out: Vec<Query> = Vec::new();
    let mut current: Option<(Query, usize)> = None;
    for cond in conds {
        let len = Query::new()
            .and(cond.clone())
            .encode()
            .map_or(room, |t| encoded_len(&t));
        // `^OR` joins them: `%5EOR`, five bytes.
        current = match current {
            Some((q, used)) if used + 5 + len <= room => Some((q.or(cond), used + 5 + len)),
            Some((q, _)) => {
                out.push(q);
                Some((Query::new().and(cond), len))
            }
            None => Some((Query::new().and(cond), len)),
        };
    }
    out.extend(current.map(|(q, _)| q));
    (out, unsearchable)
}

/// Matching values of an object, per matching attribute (lower-cased, as `plan` compares).
pub fn match_values(
    o: &SourceObject,
    mapping: &ObjectMapping,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<(String, String)> {
    let ctx = Context::new(&o.attrs, now);
    mapping
        .matching()
        .iter()
        .filter_map(|m| match m.evaluate(&ctx) {
            Ok(out) => match out.flow {
                Flow::Value(v) => v
                    .text()
                    .filter(|t| !t.is_empty())
                    .map(|t| (m.target.clone(), t.to_lowercase())),
                Flow::Dropped => None,
            },
            Err(_) => None,
        })
        .collect()
}

/// The rows of `table` whose field equals one of `wanted` (field → lower-cased values),
/// case-insensitively, read with `fields`; each row once.
pub async fn by_values(
    client: &servicenow::Client,
    table: &str,
    fields: &[String],
    wanted: &HashMap<String, Vec<String>>,
) -> Result<Found, CycleError> {
    let mut fields = fields.to_vec();
    fields.extend(wanted.keys().cloned());
    let (queries, not_looked_up) = queries(wanted, super::room(client, table, &fields));
    let mut rows = Vec::new();
    for q in queries {
        rows_where(client, table, &fields, q, &mut rows).await?;
    }
    let sets: HashMap<&str, HashSet<&str>> = wanted
        .iter()
        .map(|(f, vs)| (f.as_str(), vs.iter().map(String::as_str).collect()))
        .collect();
    let mut seen = HashSet::new();
    rows.retain(|r| {
        let wanted = sets
            .iter()
            .any(|(f, vs)| r.get(f).is_some_and(|v| vs.contains(v.to_lowercase().as_str())));
        wanted && seen.insert(r.sys_id.clone())
    });
    Ok(Found { rows, not_looked_up })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(q: &Query) -> String {
        q.encode().unwrap()
    }

    #[test]
    fn each_value_is_searched_the_way_a_query_can_carry_it() {
        assert_eq!(search("user_name", "ada@x.com"), Search::Listed);
        assert_eq!(search("email", "a,b@x.com"), Search::By(Cond::eq("email", "a,b@x.com")));
        assert_eq!(
            search("user_name", "ada^lovelace"),
            Search::By(Cond::like("user_name", "lovelace"))
        );
        assert_eq!(
            search("user_name", "adalove^x"),
            Search::By(Cond::starts_with("user_name", "adalove"))
        );
        assert_eq!(
            search("user_name", "line one\nline two!"),
            Search::By(Cond::like("user_name", "line two!"))
        );
        assert_eq!(
            search("user_name", "javascript:gs.x()^y"),
            Search::By(Cond::like("user_name", "avascript:gs.x()"))
        );
        assert_eq!(search("user_name", "^^\n^"), Search::Unsearchable);
    }

    #[test]
    fn values_are_or_ed_into_chunks_and_unsearchable_ones_reported() {
        let wanted = HashMap::from([
            (
                "user_name".to_owned(),
                vec!["a".to_owned(), "b^c".to_owned(), "^".to_owned()],
            ),
            ("email".to_owned(), vec!["x,y@z".to_owned(), "p@q".to_owned()]),
        ]);
        let (qs, none) = queries(&wanted, 1600);
        let texts: Vec<String> = qs.iter().map(text).collect();
        assert_eq!(
            texts,
            ["email=x,y@z^ORemailINp@q^ORuser_nameSTARTSWITHb^ORuser_nameINa"],
            "{texts:?}"
        );
        assert_eq!(none, HashSet::from([("user_name".to_owned(), "^".to_owned())]));
        let many: Vec<String> = (0..400).map(|i| format!("user{i:04}@example.com")).collect();
        let (qs, _) = queries(&HashMap::from([("user_name".to_owned(), many)]), 1600);
        assert!(
            qs.len() > 1 && qs.iter().all(|q| encoded_len(&text(q)) <= 1600),
            "{}",
            qs.len()
        );
    }
}
