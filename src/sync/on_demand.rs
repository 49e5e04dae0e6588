//! Provision on demand (spec §2.8): the whole pipeline for one user, or one group with its
//! members, now and outside the cycle, also while the job is quarantined (an explicit admin
//! action). Reads the source and target as a cycle does, plans everything (so matching sees
//! the same claims and duplicates a cycle would), keeps the object's operations, and applies
//! them unless it is a dry run. The report carries Entra's steps: Import (the attributes
//! read), Scope (why in or out), Match (every candidate per matching attribute), Action (the
//! diff and the result). No deletion threshold: one object is never an accident.

use std::sync::Arc;

use serde::Serialize;
use tokio::sync::broadcast::error::TryRecvError;

use super::apply::{Applier, Halt};
use super::engine::Engine;
use super::error::CycleError;
use super::event::{ObjectResult, SyncEvent};
use super::plan::{self, Candidates, MissingReference, Rules, SourceObject};
use super::types::{CycleKind, ObjectType, Op, OpKind, Plan};
use super::{read, read_source};
use crate::config::MissingReferenceMode;

/// Which object to provision: a user by UPN or object id, or a group by name or object id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    User(String),
    Group(String),
}

/// One object's pipeline, step by step.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectReport {
    pub object_type: ObjectType,
    pub source_id: String,
    pub source_name: String,
    /// Import: the source attributes the mappings read (name → value as text).
    pub attributes: Vec<(String, Option<String>)>,
    pub in_scope: bool,
    /// Scope: why in or out.
    pub scope: String,
    /// Match: every candidate per matching attribute (empty when out of scope).
    pub candidates: Vec<Candidates>,
    /// The operations planned for it, with their Match step and diff.
    pub ops: Vec<Op>,
    /// Action results (empty for a dry run).
    pub results: Vec<ObjectResult>,
}

/// The report of one provision on demand.
#[derive(Debug, Clone, Serialize)]
pub struct OnDemand {
    pub dry_run: bool,
    /// The cycle id its log records carry (none for a dry run).
    pub cycle_id: Option<i64>,
    pub objects: Vec<ObjectReport>,
}

fn find<'a>(objects: &'a [SourceObject], key: &str) -> Option<&'a SourceObject> {
    objects
        .iter()
        .find(|o| o.id.eq_ignore_ascii_case(key))
        .or_else(|| objects.iter().find(|o| o.name.eq_ignore_ascii_case(key)))
}

impl Engine {
    pub(super) async fn provision(&mut self, subject: &Subject, dry_run: bool) -> Result<OnDemand, CycleError> {
        // A full read, as the console's scope preview does: it refreshes the source cache, and the
        // next incremental cycle replays the changes since its watermarks onto it.
        let source = read_source::source(
            &self.graph,
            &self.store,
            &self.mappings,
            self.profile.provisioning.scope,
            self.profile.provisioning.flatten_nested_groups,
            None,
        )
        .await?
        .source;
        let target = read::target(&self.snow, &self.mappings).await?;
        let mut prior = self.prior()?;
        // An explicit request retries a failure even when nothing about it changed.
        prior.permanent_failures.clear();
        let rules = Rules {
            mappings: self.mappings.clone(),
            now: chrono::Utc::now(),
            match_active_only: self.profile.provisioning.match_active_only,
            missing_reference: match self.profile.provisioning.missing_reference {
                MissingReferenceMode::Fail => MissingReference::Fail,
                MissingReferenceMode::Warn => MissingReference::Warn,
                MissingReferenceMode::Create => MissingReference::Create,
            },
        };
        let mut subjects: Vec<(ObjectType, &SourceObject)> = Vec::new();
        match subject {
            Subject::User(key) => {
                let u = find(&source.users, key)
                    .ok_or_else(|| CycleError::Config(format!("no user '{key}' in Entra (UPN or object id)")))?;
                subjects.push((ObjectType::User, u));
            }
            Subject::Group(key) => {
                let g = find(&source.groups, key)
                    .ok_or_else(|| CycleError::Config(format!("no group '{key}' in Entra (name or object id)")))?;
                subjects.push((ObjectType::Group, g));
                for m in &g.members {
                    if let Some(u) = source.users.iter().find(|u| &u.id == m) {
                        subjects.push((ObjectType::User, u));
                    }
                }
            }
        }
        // plan consumes its source (it frees attributes as it goes); the report still needs them.
        let full = plan::plan(0, CycleKind::Incremental, source.clone(), &target, &prior, &rules);
        let group_id = match subject {
            Subject::Group(_) => subjects.first().map(|(_, g)| g.id.clone()),
            Subject::User(_) => None,
        };
        let mine = |op: &Op| {
            subjects.iter().any(|(t, o)| {
                op.source_id == o.id && (op.object_type == *t || op.object_type == ObjectType::Membership)
            }) && (op.object_type != ObjectType::Membership || group_id.as_deref() == Some(op.source_id.as_str()))
        };
        let in_run: std::collections::HashSet<&str> = subjects.iter().map(|(_, o)| o.id.as_str()).collect();
        let ops: Vec<Op> = full
            .ops
            .iter()
            .filter(|op| mine(op))
            .cloned()
            .map(|mut op| {
                // A reference to a user this run does not provision and no link knows (a
                // manager out of this request) waits for the cycle that provisions it.
                if let OpKind::SetReference { attribute, source_id } = &op.kind
                    && !in_run.contains(source_id.as_str())
                    && !prior.links.contains_key(&(ObjectType::User, source_id.clone()))
                {
                    op.kind = OpKind::Skip {
                        reason: format!(
                            "{attribute}: {source_id} is not provisioned yet; set by the cycle that provisions it"
                        ),
                    };
                }
                op
            })
            .collect();
        let mut results: Vec<ObjectResult> = Vec::new();
        let mut cycle_id = None;
        if !dry_run && !ops.is_empty() {
            let id = self.store().begin_cycle("on-demand", false)?;
            cycle_id = Some(id);
            let mut rx = self.events_sender().subscribe();
            let p = Arc::new(Plan::new(self.take_plan_id(), CycleKind::Incremental, ops.clone()));
            let mut links = prior.links.clone();
            for op in &ops {
                if let (Some(t), ObjectType::User | ObjectType::Group) = (&op.target_id, op.object_type) {
                    links.insert((op.object_type, op.source_id.clone()), t.clone());
                }
            }
            let stop = std::sync::atomic::AtomicBool::new(false);
            let mut applier = Applier {
                client: &self.snow,
                store: self.store(),
                events: self.events_sender(),
                mappings: &self.mappings,
                cycle_id: id,
                stop: &stop,
                stored: prior.links.clone(),
                links,
                halt: Halt::default(),
                refs: Default::default(),
            };
            let stats = applier.apply(&p).await?;
            self.store()
                .finish_cycle(id, &serde_json::to_string(&stats).unwrap_or_default())?;
            loop {
                match rx.try_recv() {
                    Ok(SyncEvent::ObjectDone { result, .. }) => results.push(result),
                    Ok(_) | Err(TryRecvError::Lagged(_)) => {}
                    Err(_) => break,
                }
            }
        }
        let objects = subjects
            .iter()
            .map(|(t, o)| ObjectReport {
                object_type: *t,
                source_id: o.id.clone(),
                source_name: o.name.clone(),
                attributes: o.attrs.iter().map(|(k, v)| (k.clone(), v.text())).collect(),
                in_scope: o.in_scope,
                scope: o.scope_detail.clone(),
                candidates: if o.in_scope {
                    plan::candidates(*t, o, &target, &rules)
                } else {
                    Vec::new()
                },
                ops: ops
                    .iter()
                    .filter(|op| {
                        op.source_id == o.id && (op.object_type == *t || op.object_type == ObjectType::Membership)
                    })
                    .cloned()
                    .collect(),
                results: results
                    .iter()
                    .filter(|r| r.source_id == o.id && (r.object_type == *t || r.object_type == ObjectType::Membership))
                    .cloned()
                    .collect(),
            })
            .collect();
        Ok(OnDemand {
            dry_run,
            cycle_id,
            objects,
        })
    }
}
