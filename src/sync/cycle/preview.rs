//! A candidate profile planned without writing (`Command::PreviewPlan`): what a change of
//! scope, scoping filters, matching attributes or deprovisioning options would do, shown by
//! the console before it saves the change (issue 14). A full read of both sides under the
//! candidate's rules, then the pure plan; nothing is stored but the source cache, which a full
//! read rebuilds consistently (as the scope preview's does).

use super::{Context, begin};
use crate::config::ResolvedProfile;
use crate::sync::error::CycleError;
use crate::sync::op::{Basis, CycleKind, Plan};
use crate::sync::plan::{self, Rules};
use crate::sync::safety::hold_past_threshold;
use crate::sync::{source, target};

/// The plan `candidate` would make now: plan id 0, which `ApplyPlan` never applies.
pub(crate) async fn preview(cx: &Context, candidate: &ResolvedProfile) -> Result<Plan, CycleError> {
    let prior = begin::prior(&cx.store)?;
    let read = source::read(&cx.graph, &cx.store, candidate, None, &cx.redaction).await?;
    let target = target::read(&cx.snow, &candidate.mappings).await?;
    let mut rules = Rules::new(candidate.mappings.clone(), &candidate.provisioning, chrono::Utc::now());
    rules.redaction = cx.redaction.clone();
    let plan = plan::plan(0, CycleKind::Initial, read.source, &target, &prior, &rules);
    // As a cycle under the candidate would: the deletion threshold holds what exceeds it, so
    // the preview says the change would be held (and the job quarantined), not done.
    let mut plan = match hold_past_threshold(&plan, prior.links.len(), &candidate.provisioning) {
        Some((_, staged, _)) => staged,
        None => plan,
    };
    plan.basis = Basis {
        profile: candidate.plan_hash.clone(),
        cycle_id: 0,
        ..Basis::default()
    };
    Ok(plan)
}
