//! The words of a plan, of an object's result and of a cycle's summary, as `sync --once` prints
//! them (raw values, sanitised when printed through `out::Lines`).

use super::super::out::Lines;
use crate::sync::{self, CycleStats, ObjectResult, OpKind, Plan, SkipReason};

/// One planned op as lines of raw values (sanitised when printed, `out::Lines`).
fn op_lines(op: &sync::Op) -> Lines {
    let mut lines = Lines::new();
    let changes = match &op.kind {
        OpKind::Create { fields } => fields,
        OpKind::Update { diff } | OpKind::Disable { diff } => diff,
        _ => &Vec::new(),
    };
    let mut head = format!(
        "{:<13} {:<10} {}",
        op.kind.action(),
        op.object_type.as_str(),
        op.source_name
    );
    if let Some(t) = &op.target_id {
        head.push_str(&format!(" [{t}]"));
    }
    match &op.kind {
        OpKind::Skip { reason } => head.push_str(&format!(" ({reason})")),
        // The step names the user it refers to (`plan::names`), not its Entra object id.
        OpKind::SetReference { .. } => {
            if let Some(step) = op.steps.iter().find(|s| s.name == "Action") {
                head.push_str(&format!(": {}", step.detail));
            }
        }
        _ => {}
    }
    lines.push(head);
    for c in changes {
        lines.push(format!(
            "    {}: {} -> {}",
            c.attribute,
            c.old_text().unwrap_or("(empty)"),
            c.new_words().as_deref().unwrap_or("(empty)")
        ));
    }
    match &op.kind {
        OpKind::Error(f) => {
            lines.push(format!("    {}: {}", f.code, f.reason));
            lines.push(format!("    fix: {}", f.recommended_action));
        }
        OpKind::CreateReference(r) => {
            lines.push(format!("    {}.{}: (none) -> {}", r.table, r.field, r.value));
        }
        _ => {}
    }
    lines
}

fn in_sync(op: &sync::Op) -> bool {
    matches!(
        &op.kind,
        OpKind::Skip {
            reason: SkipReason::InSync
        }
    )
}

pub(super) fn print_plan(plan: &Plan) {
    let c = &plan.counts;
    let mut lines = Lines::new();
    lines.push(format!(
        // A reference set on its own is an update, as its rows say ("update user X: manager → …").
        "plan {} ({}): create {}, update {}, disable {}, delete {}, add member {}, remove member {}, skip {}, error {}; writes {}",
        plan.id,
        plan.kind.as_str(),
        c.create,
        c.update + c.set_reference,
        c.disable,
        c.delete,
        c.add_member,
        c.remove_member,
        c.skip,
        c.error,
        c.writes()
    ) + &held(c));
    for op in plan.ops().filter(|o| !in_sync(o)) {
        lines.extend(op_lines(&op));
    }
    lines.print();
}

pub(super) fn result_line(r: &ObjectResult) -> String {
    let mut line = format!(
        "{:<8} {:<13} {:<10} {}",
        r.status,
        r.action,
        r.object_type.as_str(),
        r.source_name
    );
    if let Some(code) = &r.error_code {
        line.push_str(&format!(" {code}: {}", r.reason));
    }
    line
}

/// The line a dry run earns where a cycle would print its [`summary`]: the plan's number and
/// what it would do, never a cycle number (issue 14: a dry run is not a cycle; the next real
/// cycle takes the number).
pub(super) fn dry_run_summary(plan: &Plan) -> String {
    let c = &plan.counts;
    format!(
        "dry run (plan {}, {}): would create {}, update {}, disable {}, delete {}, add member {}, remove member {}; skip {}, error {}; {} writes, none made",
        plan.id,
        plan.kind.as_str(),
        c.create,
        c.update + c.set_reference,
        c.disable,
        c.delete,
        c.add_member,
        c.remove_member,
        c.skip,
        c.error,
        c.writes()
    ) + &held(c)
}

/// What the deletion threshold holds in a plan, for its header (issue 14: the header said
/// "disable 0, delete 0" beside 1,709 held ops): empty when it holds nothing.
fn held(c: &crate::sync::Counts) -> String {
    c.held_words().map_or_else(String::new, |words| {
        format!("; held by the deletion threshold: {words} (applied, the cycle is quarantined TooManyDeletes until nowsync allow-deletes)")
    })
}

pub(super) fn summary(cycle_id: i64, kind: Option<crate::sync::CycleKind>, s: &CycleStats) -> String {
    let kind = kind.map(|k| format!(" ({})", k.as_str())).unwrap_or_default();
    let stopped = match s.stopped {
        // Stopped before it planned: nothing was done, no row of zeros.
        Some(st) if st.phase == crate::sync::StopPhase::Reading => {
            return format!("cycle {cycle_id}{kind} {st}: nothing was written; the next cycle reads again");
        }
        Some(st) => format!(" {st} (the next cycle plans the rest)"),
        None => String::new(),
    };
    format!(
        "cycle {cycle_id}{kind}{stopped}: created {}, updated {}, disabled {}, deleted {}, members added {}, removed {}, skipped {}, failed {}, held by the deletion threshold {}; {} writes in {:.1} s",
        s.created,
        s.updated,
        s.disabled,
        s.deleted,
        s.members_added,
        s.members_removed,
        s.skipped,
        s.failed,
        s.staged_deletes,
        s.writes,
        s.duration_ms as f64 / 1000.0
    )
}

#[cfg(test)]
mod tests {
    use crate::sync::{CycleKind, CycleStats, Plan};

    #[test]
    fn a_dry_run_prints_its_plan_number_and_no_cycle_number() {
        let plan = Plan::new(7, CycleKind::Incremental, Vec::new());
        let line = super::dry_run_summary(&plan);
        assert!(
            line.starts_with("dry run (plan 7, incremental): would create 0,"),
            "{line}"
        );
        assert!(!line.contains("cycle"), "{line}");
        let cycle = super::summary(3, Some(CycleKind::Incremental), &CycleStats::default());
        assert!(cycle.starts_with("cycle 3 (incremental): created 0,"), "{cycle}");
    }

    /// Issue 14: a plan's header counts what the threshold holds, by what it is.
    #[test]
    fn a_plans_header_says_what_the_threshold_holds() {
        use crate::sync::op::{Held, Op, OpKind};
        let held = |held, object_type| Op {
            object_type,
            source_id: "id".into(),
            source_name: "n".into(),
            target_id: None,
            member_id: None,
            kind: OpKind::StagedDelete { held },
            steps: std::borrow::Cow::Borrowed(&[]),
            hash: Default::default(),
        };
        use crate::sync::ObjectType::{Group, Membership, User};
        let plan = Plan::new(
            7,
            CycleKind::Initial,
            vec![
                held(Held::Disable, User),
                held(Held::Disable, User),
                held(Held::Deactivate, Group),
                held(Held::RemoveMember, Membership),
            ],
        );
        let line = super::dry_run_summary(&plan);
        assert!(
            line.ends_with("; held by the deletion threshold: 2 disables, 1 deactivation, 1 membership removal (applied, the cycle is quarantined TooManyDeletes until nowsync allow-deletes)"),
            "{line}"
        );
        let plan = Plan::new(8, CycleKind::Initial, Vec::new());
        assert!(!super::dry_run_summary(&plan).contains("held"));
    }
}
