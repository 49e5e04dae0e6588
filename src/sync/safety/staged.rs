//! The deletion threshold at run time: a planned cycle's disables and deletes held back when
//! they exceed it, the held ops (the staged set) stored with their exact op, and
//! `allow-deletes` applying exactly that set and ending a quarantine whose only reason was the
//! threshold.

use std::collections::HashSet;
use std::sync::Arc;

use serde::Deserialize;

use super::{Tripped, quarantine, rules};
use crate::notify::Reason;
use crate::store::StagedRow;
use crate::sync::cycle::Context;
use crate::sync::error::CycleError;
use crate::sync::event::LogLevel;
use crate::sync::op::{Change, CycleKind, Held, ObjectType, Op, OpKind, Plan, Step, held_words};

/// Holds back every disable and delete when the plan's deletions exceed the threshold, and the
/// membership removals that follow from them (`rules::stage`). A real
/// cycle stores the held ops (`persist`) so `allow-deletes` applies exactly them; a dry run
/// shows the same staged plan and stores nothing (applying that shown plan stores them then,
/// through [`persist`]).
pub(crate) fn hold(
    cx: &Context,
    plan: Arc<Plan>,
    cycle_id: i64,
    linked: usize,
    persist_held: bool,
) -> Result<(Arc<Plan>, Option<Tripped>), CycleError> {
    let Some((limit, staged, held)) = rules::hold_past_threshold(&plan, linked, &cx.profile.provisioning) else {
        return Ok((plan, None));
    };
    if persist_held {
        persist(cx, &held, cycle_id)?;
    }
    Ok((Arc::new(staged), Some((limit, held))))
}

/// Stores the staged set (replacing an older one).
pub(crate) fn persist(cx: &Context, held: &[Op], cycle_id: i64) -> Result<(), CycleError> {
    let rows = held
        .iter()
        .map(|op| {
            Ok(StagedRow {
                object_type: op.object_type,
                source_id: staged_key(op),
                source_name: op.source_name.to_string(),
                sys_id: op.target_id.clone().unwrap_or_default(),
                action: op.kind.action().to_string(),
                cycle_id,
                op: serde_json::to_string(op).map_err(|source| CycleError::StagedUnreadable {
                    object_type: op.object_type,
                    source_id: op.source_id.to_string(),
                    source,
                })?,
            })
        })
        .collect::<Result<Vec<_>, CycleError>>()?;
    cx.store.set_staged(&rows)?;
    said(cx)?;
    cx.log(
        LogLevel::Warn,
        format!(
            "deletion threshold exceeded: held {} (nowsync allow-deletes applies them)",
            held_text(held)
        ),
    );
    Ok(())
}

/// The staged row's key: the object's id; a membership's is `group id/user id` (a group has
/// many).
pub(crate) fn staged_key(op: &Op) -> String {
    match (&op.member_id, op.object_type) {
        (Some(user), ObjectType::Membership) => format!("{}/{}", op.source_id, user),
        _ => op.source_id.to_string(),
    }
}

/// What the held ops are, in words: `1,715 disables, 91 deactivations, 2,090 membership
/// removals`.
pub(crate) fn held_text(held: &[Op]) -> String {
    let mut c = [0u64; 4];
    for op in held {
        c[Held::of(op) as usize] += 1;
    }
    held_words(c[0], c[1], c[2], c[3]).unwrap_or_else(|| "nothing".to_owned())
}

/// A held op as the staged set stores it (the JSON of its [`Op`]): only disables, deletes and
/// the membership removals that follow from them are ever held.
#[derive(Deserialize)]
struct HeldOp {
    object_type: ObjectType,
    source_id: String,
    source_name: String,
    target_id: Option<String>,
    member_id: Option<String>,
    kind: HeldKind,
    steps: Vec<Step>,
    hash: String,
}

#[derive(Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
enum HeldKind {
    Disable { diff: Vec<Change> },
    Delete,
    RemoveMember,
}

impl From<HeldOp> for Op {
    fn from(h: HeldOp) -> Op {
        Op {
            object_type: h.object_type,
            source_id: h.source_id.into(),
            source_name: h.source_name.into(),
            target_id: h.target_id,
            member_id: h.member_id.map(Into::into),
            kind: match h.kind {
                // A redacted change was stored as `***` and its digest: it has no value to
                // write, so the held disable writes the rest (the next cycle that sees the
                // object plans the redacted attribute again).
                HeldKind::Disable { mut diff } => {
                    diff.retain(|c| !c.redacted);
                    OpKind::Disable { diff }
                }
                HeldKind::Delete => OpKind::Delete,
                HeldKind::RemoveMember => OpKind::RemoveMember,
            },
            steps: h.steps.into(),
            hash: h.hash.into(),
        }
    }
}

/// The staged set as a plan (exactly the held ops), or `None` when nothing is staged. A row
/// that cannot be read back stops it with that row's id: nothing is applied, nothing cleared.
pub(crate) fn staged_plan(cx: &Context, plan_id: u64) -> Result<Option<Arc<Plan>>, CycleError> {
    let ops = held_ops(&cx.store.staged()?)?;
    if ops.is_empty() {
        return Ok(None);
    }
    Ok(Some(Arc::new(Plan::new(plan_id, CycleKind::AllowDeletes, ops))))
}

/// Every staged row's op, or the first row that does not read back as a disable or a delete.
fn held_ops(rows: &[StagedRow]) -> Result<Vec<Op>, CycleError> {
    rows.iter()
        .map(|r| {
            serde_json::from_str::<HeldOp>(&r.op)
                .map(Op::from)
                .map_err(|source| CycleError::StagedUnreadable {
                    object_type: r.object_type,
                    source_id: r.source_id.clone(),
                    source,
                })
        })
        .collect()
}

/// After `allow-deletes` applied the staged set: forget it, and end a quarantine whose only
/// reason was the threshold.
pub(crate) fn applied(cx: &Context, cycle_id: i64) -> Result<(), CycleError> {
    cx.store.clear_staged()?;
    said(cx)?;
    if cx
        .store
        .quarantine()?
        .is_some_and(|q| q.reason == Reason::TooManyDeletes.as_str())
    {
        quarantine::end(cx, Some(cycle_id))?;
    }
    Ok(())
}

/// The staged set's keys (object type, [`staged_key`]): what the deletion threshold holds now.
pub(crate) fn held_keys(cx: &Context) -> Result<HashSet<(ObjectType, String)>, CycleError> {
    Ok(cx
        .store
        .staged()?
        .into_iter()
        .map(|r| (r.object_type, r.source_id))
        .collect())
}

/// Whether the staged set (`held`, [`held_keys`]) holds anything of the object `source_id` of
/// type `object_type`: its disable or deactivation, or one of its membership removals.
pub(crate) fn holds(held: &HashSet<(ObjectType, String)>, object_type: ObjectType, source_id: &str) -> bool {
    held.iter().any(|(t, key)| match t {
        ObjectType::Membership => {
            let (group, user) = key.split_once('/').unwrap_or((key.as_str(), ""));
            (object_type == ObjectType::Group && group == source_id)
                || (object_type == ObjectType::User && user == source_id)
        }
        t => *t == object_type && key == source_id,
    })
}

/// After a provision on demand (acceptance N4): the held ops it applied with success leave
/// the staged set — the admin applied that object's held changes together, its disable or
/// deactivation with its membership removals —, what else is held stays held, and a
/// TooManyDeletes quarantine ends once nothing is. The count still held when any was taken,
/// and whether the quarantine ended.
pub(crate) fn provisioned(
    cx: &Context,
    held: &HashSet<(ObjectType, String)>,
    results: &[crate::sync::event::ObjectResult],
    cycle_id: i64,
) -> Result<Option<(usize, bool)>, CycleError> {
    // A set: each staged key once, so the count left below is exact.
    let done: HashSet<(ObjectType, String)> = results
        .iter()
        .filter(|r| r.status == crate::sync::outcome::Status::Success)
        .map(|r| match (&r.member_id, r.object_type) {
            (Some(user), ObjectType::Membership) => (r.object_type, format!("{}/{user}", r.source_id)),
            _ => (r.object_type, r.source_id.clone()),
        })
        .filter(|key| held.contains(key))
        .collect();
    if done.is_empty() {
        return Ok(None);
    }
    let done: Vec<(ObjectType, String)> = done.into_iter().collect();
    cx.store.drop_staged(&done)?;
    // Read again for its counts by kind, which every console's Held row shows (N15).
    let held = said(cx)?;
    let left = held.total() as usize;
    cx.log(
        LogLevel::Info,
        format!(
            "provision on demand applied {} of the held changes; {} stay held",
            done.len(),
            crate::model::words::thousands(left as u64)
        ),
    );
    let ends = left == 0
        && cx
            .store
            .quarantine()?
            .is_some_and(|q| q.reason == Reason::TooManyDeletes.as_str());
    if ends {
        quarantine::end(cx, Some(cycle_id))?;
    } else {
        quarantine::held_changed(cx, held)?;
    }
    Ok(Some((left, ends)))
}

/// Tells every consumer what the staged set holds now (`SyncEvent::Held`); returns it.
pub(crate) fn said(cx: &Context) -> Result<crate::sync::HeldCounts, CycleError> {
    let rows: Vec<crate::sync::StagedOp> = cx.store.staged()?.into_iter().map(Into::into).collect();
    let held = crate::sync::HeldCounts::of(&rows);
    cx.emit(crate::sync::SyncEvent::Held { held });
    Ok(held)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::outcome::Status;

    #[test]
    fn a_held_op_reads_back_as_the_op_it_was() {
        let op = Op {
            object_type: ObjectType::User,
            source_id: "u1".into(),
            source_name: "a@x".into(),
            target_id: Some("0123456789abcdef0123456789abcdef".into()),
            member_id: None,
            kind: OpKind::Disable {
                diff: vec![Change::new("active", Some("true".into()), Some("false".into()))],
            },
            steps: vec![Step {
                name: "Scope".into(),
                status: Status::Success,
                detail: "out of scope".into(),
            }]
            .into(),
            hash: "h".into(),
        };
        for op in [
            op.clone(),
            Op {
                kind: OpKind::Delete,
                ..op
            },
        ] {
            let held: HeldOp = serde_json::from_str(&serde_json::to_string(&op).unwrap()).unwrap();
            assert_eq!(Op::from(held), op);
        }
    }

    /// Issue 17, defect 4: a staged row that does not read back stops `allow-deletes` naming
    /// it; before, it was skipped and the whole set cleared after the others were applied.
    #[test]
    fn an_unreadable_staged_row_stops_with_its_id() {
        let op = Op {
            object_type: ObjectType::User,
            source_id: "u1".into(),
            source_name: "a@x".into(),
            target_id: Some("0123456789abcdef0123456789abcdef".into()),
            member_id: None,
            kind: OpKind::Delete,
            steps: Vec::new().into(),
            hash: "h".into(),
        };
        let row = |source_id: &str, op: String| StagedRow {
            object_type: ObjectType::User,
            source_id: source_id.into(),
            source_name: "n".into(),
            sys_id: "s".into(),
            action: "delete".into(),
            cycle_id: 1,
            op,
        };
        let good = row("u1", serde_json::to_string(&op).unwrap());
        assert_eq!(
            held_ops(std::slice::from_ref(&good)).unwrap(),
            std::slice::from_ref(&op)
        );
        for bad in ["", "{}", "{\"action\":\"create\"}", "not json"] {
            let e = held_ops(&[good.clone(), row("u2-broken", bad.into())]).unwrap_err();
            let text = e.to_string();
            assert!(text.contains("u2-broken") && text.contains("nothing"), "{text}");
            assert_eq!(e.kind(), crate::sync::ErrorKind::Store);
        }
    }

    #[test]
    fn a_held_redacted_change_is_stored_as_its_digest_and_never_written_back() {
        let key = crate::sync::redact::Redaction::random();
        let secret = Change::new("u_code", Some("old-secret".into()), Some("new-secret".into())).redact(&key);
        let active = Change::new("active", Some("true".into()), Some("false".into()));
        let op = Op {
            object_type: ObjectType::User,
            source_id: "u1".into(),
            source_name: "a@x".into(),
            target_id: Some("0123456789abcdef0123456789abcdef".into()),
            member_id: None,
            kind: OpKind::Disable {
                diff: vec![active.clone(), secret],
            },
            steps: Vec::new().into(),
            hash: "h".into(),
        };
        let stored = serde_json::to_string(&op).unwrap();
        assert!(!stored.contains("secret"), "{stored}");
        assert!(stored.contains(&key.digest("u_code", "new-secret")), "{stored}");
        let held: HeldOp = serde_json::from_str(&stored).unwrap();
        assert_eq!(Op::from(held).kind, OpKind::Disable { diff: vec![active] });
    }
}
