//! `SelectUniqueValue` against the instance. Entra's reference: the rules are tried in order
//! and "the first candidate not already present in the target wins"; when every candidate
//! exists the object is escrowed (`NoUniqueValue`).
//!
//! Before the plan, every candidate of every in-scope object the plan will evaluate is looked
//! up in ServiceNow: after a full read the rows are all in memory already (no request); after
//! an incremental one the candidates are queried in bulk (`fieldINa,b,…`, chunked; a value
//! with `,` by equality, since an `IN` list cannot carry it, spec §13 #4; a value with `^`
//! cannot be queried at all and is treated as taken). The plan then chooses among them, also
//! never giving two objects of the cycle the same value. No mapping with `SelectUniqueValue`:
//! no work and no request.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::rows_where;
use crate::mapping::Context;
use crate::mapping::model::{AttributeMapping, MappingSet};
use crate::servicenow::{self, Cond, Query};
use crate::sync::error::CycleError;
use crate::sync::plan::{Row, Source, SourceObject, Taken, Target, seed_for};

/// Every candidate `m` offers for `o`, in order, as the plan will evaluate them (same clock,
/// same seed, so a `RandomString` candidate is the one the plan sees).
pub fn candidates(m: &AttributeMapping, o: &SourceObject, now: DateTime<Utc>, seed: u64) -> Vec<String> {
    let asked = RefCell::new(Vec::new());
    // Every candidate reads as taken, so SelectUniqueValue asks about each in turn.
    let record = |v: &str| {
        asked.borrow_mut().push(v.to_owned());
        true
    };
    let mut ctx = Context::new(&o.attrs, now);
    ctx.seed = seed_for(seed, &o.id, &m.target);
    ctx.is_taken = &record;
    // The evaluation ends in NoUniqueValue (or an error the plan reports): only the
    // candidates matter here.
    let _ = m.evaluate(&ctx);
    asked.into_inner()
}

/// What the candidates of this cycle's objects already hold in ServiceNow. `full`: `target`
/// holds every row of the managed tables.
pub async fn taken(
    client: &servicenow::Client,
    mappings: &MappingSet,
    source: &Source,
    target: &Target,
    full: bool,
    now: DateTime<Utc>,
    seed: u64,
) -> Result<Taken, CycleError> {
    let mut out = Taken::default();
    let kinds = [
        (&mappings.user, &source.users, &target.users),
        (&mappings.group, &source.groups, &target.groups),
    ];
    for (mapping, objects, rows) in kinds {
        if !mapping.enabled {
            continue;
        }
        let table = mapping.target_table.as_str();
        for m in mapping.attributes.iter().filter(|m| m.selects_unique()) {
            let wanted: HashSet<String> = objects
                .iter()
                .filter(|o| o.in_scope)
                .flat_map(|o| candidates(m, o, now, seed))
                .map(|v| v.to_lowercase())
                .collect();
            if wanted.is_empty() {
                continue;
            }
            let held = if full {
                index(rows, &m.target, &wanted)
            } else {
                lookup(client, table, &m.target, &wanted, &mut out).await?
            };
            out.values.insert((table.to_owned(), m.target.clone()), held);
        }
    }
    Ok(out)
}

/// The rows' values of `field` among `wanted` (lower-cased) → their sys_ids.
fn index(rows: &[Row], field: &str, wanted: &HashSet<String>) -> HashMap<String, String> {
    let mut held = HashMap::new();
    for r in rows {
        if let Some(v) = r.get(field).map(str::to_lowercase)
            && wanted.contains(&v)
        {
            held.entry(v).or_insert_with(|| r.sys_id.clone());
        }
    }
    held
}

/// Queries `table` for the rows whose `field` is one of `wanted`.
async fn lookup(
    client: &servicenow::Client,
    table: &str,
    field: &str,
    wanted: &HashSet<String>,
    out: &mut Taken,
) -> Result<HashMap<String, String>, CycleError> {
    let encodes = |c: Cond| Query::new().and(c).encode().is_ok();
    let mut listed: Vec<&str> = Vec::new();
    let mut conds: Vec<Cond> = Vec::new();
    for v in wanted {
        if encodes(Cond::is_in(field, [v.as_str()])) {
            listed.push(v);
        } else if encodes(Cond::eq(field, v.as_str())) {
            conds.push(Cond::eq(field, v.as_str()));
        } else {
            out.unchecked.insert((table.to_owned(), field.to_owned(), v.clone()));
        }
    }
    listed.sort_unstable();
    conds.extend(Cond::in_chunks(
        field,
        listed,
        super::room(client, table, &[field.to_owned()]),
    ));
    let mut rows = Vec::new();
    for cond in conds {
        rows_where(client, table, &[field.to_owned()], Query::new().and(cond), &mut rows).await?;
    }
    Ok(index(&rows, field, wanted))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::mapping::Value;
    use crate::mapping::model::load_str;

    #[test]
    fn candidates_are_every_rule_in_order() {
        let set = load_str(
            "[user]\n[[user.attributes]]\ntarget = \"user_name\"\nsource = \"userPrincipalName\"\nmatching = 1\n\
             [[user.attributes]]\ntarget = \"email\"\napply = \"on_create\"\n\
             expression = 'SelectUniqueValue(Join(\"@\", [mailNickname], \"x.com\"), Join(\"\", [mailNickname], \"2@x.com\"), \"\")'\n",
        )
        .unwrap();
        let m = &set.user.attributes[1];
        assert!(m.selects_unique() && !set.user.attributes[0].selects_unique());
        let o = SourceObject {
            id: "u1".into(),
            attrs: BTreeMap::from([("mailNickname".to_owned(), Value::Str("ada".into()))]).into(),
            ..SourceObject::default()
        };
        assert_eq!(candidates(m, &o, Utc::now(), 1), ["ada@x.com", "ada2@x.com"]);
    }
}
