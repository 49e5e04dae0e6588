//! Stage 4, plan: the pure [`crate::sync::plan::plan`] over what the reads found, under the
//! profile's [`Rules`], and what the cycle will store once its writes are done.

use std::sync::Arc;

use super::read_target::Read;
use super::{Context, Planned};
use crate::sync::event::Totals;
use crate::sync::op::{ObjectType, OpKind, Plan};
use crate::sync::plan::{self, Prior, Rules};

/// What the reads saw, stored with the watermarks once the cycle's writes are done.
pub(crate) struct Seen {
    /// The assignments (`u:`/`g:`) and the objects this plan failed (`eu:`/`eg:`).
    pub assignments: Vec<(String, String)>,
    pub users_link: Option<String>,
    pub groups_link: Option<String>,
}

pub(super) fn plan(cx: &Context, id: u64, read: Read, prior: &Prior) -> Planned {
    let rules = Rules::new(cx.profile.mappings.clone(), &cx.profile.provisioning, read.now);
    let users = read.source.users.iter().filter(|u| u.in_scope).count() as u64;
    let groups = read.source.groups.iter().filter(|g| g.in_scope).count() as u64;
    let plan = Arc::new(plan::plan(id, read.kind, read.source, &read.target, prior, &rules));
    let mut assignments = read.assignments;
    assignments.extend(plan_failures(&plan, read.failed_before));
    Planned {
        totals: Totals {
            users,
            groups,
            operations: plan.ops.len() as u64,
        },
        plan,
        seen: Some(Seen {
            assignments,
            users_link: read.users_link,
            groups_link: read.groups_link,
        }),
    }
}

/// The objects failed in the plan after this cycle: those failed before and not planned now,
/// and this plan's failures (`eu:<id>`/`eg:<id>` → error code).
fn plan_failures(plan: &Plan, before: Vec<(String, String)>) -> Vec<(String, String)> {
    let key = |ot: ObjectType, id: &str| match ot {
        ObjectType::User => Some(format!("eu:{id}")),
        ObjectType::Group => Some(format!("eg:{id}")),
        ObjectType::Membership => None,
    };
    let planned: std::collections::HashSet<String> = plan
        .ops
        .iter()
        .filter_map(|op| key(op.object_type, &op.source_id))
        .collect();
    let mut out: Vec<(String, String)> = before.into_iter().filter(|(k, _)| !planned.contains(k)).collect();
    for op in &plan.ops {
        if let (OpKind::Error(f), Some(k)) = (&op.kind, key(op.object_type, &op.source_id)) {
            out.push((k, f.code.clone()));
        }
    }
    out
}
