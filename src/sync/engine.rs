//! The engine task: owns the clients, the store and the profile lock; runs cycles on command
//! and on schedule; answers the console's queries.
//!
//! A cycle: read source and target → `plan` → (dry run: stop here) → `apply` → statistics.
//! The kind is initial when nothing is linked yet, the mappings or scope changed since the last
//! cycle (their hash is stored), or a deltaLink is missing; incremental otherwise. An initial
//! cycle reads full delta rounds and the managed tables in bulk pages; an incremental one reads
//! the Graph changes since the stored deltaLinks and the app's assignments, and the target
//! rows of the touched objects only (`delta`). An expired delta token makes the cycle full,
//! reported (log, the cycle's kind, [`SyncEvent::FullCycle`]). The deltaLinks and the
//! assignments seen are stored only once the cycle's writes are done, so a crash replays them.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, watch};

use super::apply::Applier;
use super::delta::{changed_assignments, plan_failures};
use super::error::CycleError;
use super::event::{CycleStats, EngineState, SyncEvent, Totals};
use super::handle::{Command, Options};
use super::plan::{self, MissingReference, Prior, Rules};
use super::types::{CycleKind, ObjectType, OpKind, Plan};
use super::{Credentials, StartError, delta, queries, read, read_source};
use crate::config::{MissingReferenceMode, Profile};
use crate::mapping::model::MappingSet;
use crate::store::{ProfileLock, Store};
use crate::{graph, servicenow};

/// The assignments and the users' and groups' deltaLinks a cycle read.
type Commit = (Vec<(String, String)>, Option<String>, Option<String>);

pub(super) struct Engine {
    pub(super) profile: Profile,
    pub(super) credentials: Credentials,
    pub(super) mappings: MappingSet,
    mappings_text: String,
    pub(super) snow: servicenow::Client,
    pub(super) graph: graph::Client,
    pub(super) store: Store,
    _lock: ProfileLock,
    options: Options,
    pub(super) events: broadcast::Sender<SyncEvent>,
    state: watch::Sender<EngineState>,
    last_plan: watch::Sender<Option<Arc<Plan>>>,
    /// Set by Stop (and by the `run` command's signal handler through Stop).
    pub(super) stop: Arc<AtomicBool>,
    pub(super) paused: bool,
    next_plan_id: u64,
    /// The last dry run's plan, which `ApplyPlan` may apply.
    pub(super) shown: Option<Arc<Plan>>,
    /// What the deletion threshold held back in the shown plan (stored if it is applied).
    pub(super) shown_held: Option<super::guard::Tripped>,
}

/// The mapping set of a profile and its text (whose change makes the next cycle initial).
pub(super) fn load_mappings(profile: &Profile) -> Result<(MappingSet, String), StartError> {
    let text = match &profile.provisioning.mappings {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| StartError::Mapping(format!("cannot read {}: {e}", path.display())))?,
        None => crate::mapping::model::DEFAULT_MAPPINGS_TOML.to_owned(),
    };
    let set = crate::mapping::model::load_str(&text).map_err(|e| StartError::Mapping(e.to_string()))?;
    Ok((set, text))
}

pub(super) fn clients(
    profile: &Profile,
    credentials: &Credentials,
) -> Result<(servicenow::Client, graph::Client), StartError> {
    let (Some(sn), Some(entra)) = (&profile.servicenow, &profile.entra) else {
        return Err(StartError::NotConfigured(profile.name.clone()));
    };
    let options = servicenow::ClientOptions {
        max_in_flight: sn.max_in_flight,
        timeout: sn.timeout,
        page_size: sn.page_size,
        ..servicenow::ClientOptions::default()
    };
    let snow =
        servicenow::Client::new(sn.instance.clone(), credentials.servicenow.clone(), options).map_err(Box::new)?;
    let graph = graph::Client::new(
        entra,
        credentials.graph_client_secret.clone(),
        graph::Options::default(),
    )
    .map_err(Box::new)?;
    Ok((snow, graph))
}

impl Engine {
    pub(super) fn open(
        profile: &Profile,
        credentials: Credentials,
        options: &Options,
        events: broadcast::Sender<SyncEvent>,
        state: watch::Sender<EngineState>,
        last_plan: watch::Sender<Option<Arc<Plan>>>,
        stop: Arc<AtomicBool>,
    ) -> Result<Engine, StartError> {
        std::fs::create_dir_all(&options.data_dir)
            .map_err(|e| StartError::Store(format!("{}: {e}", options.data_dir.display())))?;
        let lock =
            ProfileLock::acquire(&options.data_dir, &profile.name).map_err(|e| StartError::Locked(e.to_string()))?;
        let store = Store::open(&options.data_dir, &profile.name).map_err(|e| StartError::Store(e.to_string()))?;
        let (mappings, mappings_text) = load_mappings(profile)?;
        let (snow, graph) = clients(profile, &credentials)?;
        Ok(Engine {
            profile: profile.clone(),
            credentials,
            mappings,
            mappings_text,
            snow,
            graph,
            store,
            _lock: lock,
            options: options.clone(),
            events,
            state,
            last_plan,
            stop,
            paused: false,
            next_plan_id: 1,
            shown: None,
            shown_held: None,
        })
    }

    pub(super) fn store(&self) -> &Store {
        &self.store
    }

    pub(super) fn events_sender(&self) -> &broadcast::Sender<SyncEvent> {
        &self.events
    }

    pub(super) fn options(&self) -> &Options {
        &self.options
    }

    pub(super) fn take_plan_id(&mut self) -> u64 {
        let id = self.next_plan_id;
        self.next_plan_id += 1;
        id
    }

    pub(super) fn emit(&self, e: SyncEvent) {
        let _ = self.events.send(e);
    }

    /// Says `message` to the log file and, as [`SyncEvent::Log`], to the engine's consumers:
    /// for what no other event carries.
    pub(super) fn log(&self, level: super::LogLevel, message: String) {
        match level {
            super::LogLevel::Info => tracing::info!("{message}"),
            super::LogLevel::Warn => tracing::warn!("{message}"),
            super::LogLevel::Error => tracing::error!("{message}"),
        }
        self.emit(SyncEvent::Log { level, message });
    }

    pub(super) fn set_state(&self, s: EngineState) {
        let _ = self.state.send(s);
        self.emit(SyncEvent::StateChanged(s));
    }

    pub(super) async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let interval = Duration::from_secs(u64::from(self.profile.provisioning.interval_minutes.max(1)) * 60);
        let mut next = tokio::time::Instant::now();
        loop {
            let scheduled = self.options.scheduled && self.profile.provisioning.enabled && !self.paused;
            // In quarantine, scheduled cycles back off (1 h, 6 h, 12 h, then daily).
            let until = match self.quarantine_until() {
                Some(t) => {
                    let wait = (t - chrono::Utc::now()).to_std().unwrap_or_default();
                    next.max(tokio::time::Instant::now() + wait)
                }
                None => next,
            };
            let command = if scheduled {
                tokio::select! {
                    c = commands.recv() => c,
                    () = tokio::time::sleep_until(until) => {
                        next = tokio::time::Instant::now() + interval;
                        Some(Command::RunNow)
                    }
                }
            } else {
                commands.recv().await
            };
            let Some(command) = command else { break };
            match command {
                Command::Stop => break,
                Command::RunNow => self.cycle(false, None).await,
                Command::AllowDeletes => self.allow_deletes().await,
                Command::Provision {
                    request,
                    subject,
                    dry_run,
                } => {
                    self.set_state(EngineState::Running);
                    let answer = match self.provision(&subject, dry_run).await {
                        Ok(report) => super::Answer::Provisioned(Box::new(report)),
                        Err(e) => super::Answer::Failed(e.to_string()),
                    };
                    self.emit(SyncEvent::Answer { request, answer });
                    self.set_state(if self.paused {
                        EngineState::Paused
                    } else {
                        EngineState::Idle
                    });
                }
                Command::DryRun => self.cycle(true, None).await,
                Command::ApplyPlan { plan_id } => match self.shown.take() {
                    Some(p) if p.id == plan_id => self.cycle(false, Some(p)).await,
                    _ => self.emit(SyncEvent::Error {
                        cycle_id: None,
                        kind: super::ErrorKind::Other,
                        message: format!("plan {plan_id} is no longer the last one shown: run a dry run again"),
                    }),
                },
                Command::Pause => {
                    self.paused = true;
                    self.set_state(EngineState::Paused);
                }
                Command::Resume => {
                    self.paused = false;
                    self.set_state(EngineState::Idle);
                }
                Command::Reload(profile) => self.reload(*profile),
                other => queries::answer(&self, other).await,
            }
            if self.stop.load(Ordering::SeqCst) {
                break;
            }
        }
        let _ = self.last_plan.send(None);
        self.set_state(EngineState::Stopped);
    }

    fn reload(&mut self, profile: Profile) {
        match load_mappings(&profile).and_then(|m| clients(&profile, &self.credentials).map(|c| (m, c))) {
            Ok(((set, text), (snow, graph))) => {
                self.mappings = set;
                self.mappings_text = text;
                self.snow = snow;
                self.graph = graph;
                self.profile = profile;
            }
            Err(e) => self.emit(SyncEvent::Error {
                cycle_id: None,
                kind: super::ErrorKind::Config,
                message: e.to_string(),
            }),
        }
    }

    pub(super) fn prior(&self) -> Result<Prior, CycleError> {
        let mut prior = Prior::default();
        for ot in [ObjectType::User, ObjectType::Group] {
            for l in self.store.links(ot.as_str())? {
                prior.links.insert((ot, l.source_id), l.sys_id);
            }
        }
        // An escrow whose retry time has come is left out, so the plan retries it.
        let now = chrono::Utc::now();
        let due: std::collections::HashSet<(String, String)> = self
            .store
            .escrows()?
            .into_iter()
            .filter(|e| {
                e.next_attempt
                    .as_deref()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .is_some_and(|t| t.to_utc() <= now)
            })
            .map(|e| (e.object_type, e.source_id))
            .collect();
        for (t, id, f) in self.store.failures()? {
            let ot = if t == "group" {
                ObjectType::Group
            } else {
                ObjectType::User
            };
            if !f.transient && !due.contains(&(t.clone(), id.clone())) {
                prior.permanent_failures.insert((ot, id), (f.hash, f.code));
            }
        }
        Ok(prior)
    }

    async fn cycle(&mut self, dry_run: bool, shown: Option<Arc<Plan>>) {
        self.set_state(EngineState::Running);
        let result = self.cycle_inner(dry_run, shown).await;
        if let Err((cycle_id, e)) = result {
            tracing::warn!(error = %e, "cycle failed");
            // Rejected credentials stop every cycle alike: quarantine (and back off) as
            // Entra does for invalid credentials, rather than retrying on the interval.
            if let (false, CycleError::ServiceNow(se)) = (dry_run, &e)
                && matches!(se.status(), Some(401 | 403))
            {
                let code = if se.status() == Some(401) {
                    "ServiceNowUnauthorized"
                } else {
                    "ServiceNowForbidden"
                };
                let verdict = super::guard::Verdict {
                    tripped: None,
                    halted: Some((code.to_owned(), e.to_string())),
                };
                self.judge(cycle_id, &CycleStats::default(), verdict).await;
            }
            self.emit(SyncEvent::Error {
                cycle_id,
                kind: e.kind(),
                message: e.to_string(),
            });
        }
        self.set_state(if self.paused {
            EngineState::Paused
        } else {
            EngineState::Idle
        });
    }

    async fn cycle_inner(&mut self, dry_run: bool, shown: Option<Arc<Plan>>) -> Result<(), (Option<i64>, CycleError)> {
        // What, changed, makes the next cycle initial: mappings, scope, and the options that
        // change the plan of objects no delta would touch.
        let p = &self.profile.provisioning;
        let options = format!(
            "{:?} {} {:?} {}",
            p.scope, p.match_active_only, p.missing_reference, p.flatten_nested_groups
        );
        let rules_hash = plan::hash_of(&[&self.mappings_text, &options]);
        let prior = self.prior().map_err(|e| (None, e))?;
        // Incremental needs links, the rules the links were made under, and both deltaLinks.
        let mark = |name: &str| self.store.watermark(name).ok().flatten();
        let stored = match (mark("users_delta"), mark("groups_delta")) {
            (Some(u), Some(g)) if !prior.links.is_empty() && mark("rules").as_deref() == Some(&rules_hash) => {
                Some((u, g))
            }
            _ => None,
        };
        let kind_text = |initial: bool| if initial { "initial" } else { "incremental" };
        let cycle_id = self
            .store
            .begin_cycle(kind_text(stored.is_none()), dry_run)
            .map_err(|e| (None, e.into()))?;
        let at = |e: CycleError| (Some(cycle_id), e);
        if !dry_run {
            // Any real cycle makes a plan shown before it stale.
            self.shown = None;
            if shown.is_none() {
                self.shown_held = None;
            }
        }
        let mut kind = if stored.is_some() {
            CycleKind::Incremental
        } else {
            CycleKind::Initial
        };
        // What the cycle read and commits once its writes are done: assignments, deltaLinks.
        let mut commit: Option<Commit> = None;
        let mut tripped = None;
        let (plan, totals) = match shown {
            Some(p) => {
                if let Some((limit, held)) = self.shown_held.take() {
                    self.persist_staged(&held, cycle_id).map_err(at)?;
                    tripped = Some((limit, held));
                }
                let totals = Totals {
                    operations: p.ops.len() as u64,
                    ..Totals::default()
                };
                (p, totals)
            }
            None => {
                let links = stored.as_ref().map(|(u, g)| (u.as_str(), g.as_str()));
                let read = read_source::source(
                    &self.graph,
                    &self.store,
                    &self.mappings,
                    self.profile.provisioning.scope,
                    self.profile.provisioning.flatten_nested_groups,
                    links,
                )
                .await
                .map_err(at)?;
                if let Some(reason) = &read.reset {
                    // Never silently: the log, the cycle's record and an event say why.
                    let message =
                        format!("the stored delta token is no longer valid ({reason}): this cycle reads everything");
                    tracing::warn!(cycle_id, "{message}");
                    let _ = self.store.set_cycle_kind(cycle_id, kind_text(true));
                    self.emit(SyncEvent::FullCycle {
                        cycle_id,
                        reason: message,
                    });
                }
                let now = chrono::Utc::now();
                let read_source::SourceRead {
                    source,
                    users_link,
                    groups_link,
                    full,
                    touched_users,
                    mut touched_groups,
                    assignments,
                    parents,
                    ..
                } = read;
                // A change inside a nested group changes the flattened members of its parents.
                let inner: Vec<String> = touched_groups.iter().cloned().collect();
                for g in inner {
                    touched_groups.extend(parents.get(&g).into_iter().flatten().cloned());
                }
                // Objects that failed in the plan (a missing reference, a duplicate, a value too
                // long) are in no retry queue: an incremental cycle plans them again each time,
                // so they recover once the data they lacked exists.
                let mut failed_before: Vec<(String, String)> = Vec::new();
                let (source, target) = if full {
                    kind = CycleKind::Initial;
                    (source, read::target(&self.snow, &self.mappings).await.map_err(at)?)
                } else {
                    let (mut users, mut groups) = changed_assignments(&self.store, &assignments).map_err(at)?;
                    // The retry queue: a transient failure is retried next cycle, a permanent one
                    // as soon as what it lacked may have changed (plan skips it while its hash
                    // is unchanged).
                    failed_before = self.store.assignments_seen().map_err(|e| at(e.into()))?;
                    failed_before.retain(|(k, _)| k.starts_with("eu:") || k.starts_with("eg:"));
                    for (k, _) in &failed_before {
                        match k.split_once(':') {
                            Some(("eu", id)) => users.push(id.to_owned()),
                            Some(("eg", id)) => groups.push(id.to_owned()),
                            _ => {}
                        }
                    }
                    for (t, id, _) in self.store.failures().map_err(|e| at(e.into()))? {
                        match t.as_str() {
                            "user" => users.push(id),
                            "group" => groups.push(id),
                            _ => {}
                        }
                    }
                    delta::touched(
                        &self.snow,
                        &self.mappings,
                        source,
                        touched_users.into_iter().chain(users).collect(),
                        touched_groups.into_iter().chain(groups).collect(),
                        &prior,
                        now,
                    )
                    .await
                    .map_err(at)?
                };
                let rules = Rules {
                    mappings: self.mappings.clone(),
                    now,
                    match_active_only: self.profile.provisioning.match_active_only,
                    missing_reference: match self.profile.provisioning.missing_reference {
                        MissingReferenceMode::Fail => MissingReference::Fail,
                        MissingReferenceMode::Warn => MissingReference::Warn,
                        MissingReferenceMode::Create => MissingReference::Create,
                    },
                };
                let id = self.take_plan_id();
                let users = source.users.iter().filter(|u| u.in_scope).count() as u64;
                let groups = source.groups.iter().filter(|g| g.in_scope).count() as u64;
                let p = Arc::new(plan::plan(id, kind, source, &target, &prior, &rules));
                let mut seen = assignments;
                seen.extend(plan_failures(&p, failed_before));
                commit = Some((seen, users_link, groups_link));
                drop(target);
                let (p, held) = self
                    .hold_deletions(p, cycle_id, prior.links.len(), !dry_run)
                    .map_err(at)?;
                if dry_run {
                    self.shown_held = held;
                } else {
                    tripped = held;
                }
                let totals = Totals {
                    users,
                    groups,
                    operations: p.ops.len() as u64,
                };
                (p, totals)
            }
        };
        let _ = self.last_plan.send(Some(plan.clone()));
        self.emit(SyncEvent::CycleStarted {
            cycle_id,
            kind,
            dry_run,
            totals,
        });
        self.emit(SyncEvent::PlanReady {
            cycle_id,
            plan: plan.clone(),
        });
        let mut verdict = super::guard::Verdict::default();
        let stats = if dry_run {
            self.shown = Some(plan.clone());
            CycleStats {
                created: plan.counts.create,
                updated: plan.counts.update + plan.counts.set_reference,
                disabled: plan.counts.disable,
                deleted: plan.counts.delete,
                members_added: plan.counts.add_member,
                members_removed: plan.counts.remove_member,
                skipped: plan.counts.skip,
                failed: plan.counts.error,
                staged_deletes: plan.counts.staged_delete,
                ..CycleStats::default()
            }
        } else {
            let mut links: HashMap<(ObjectType, String), String> = prior.links.clone();
            // Matched rows are known before apply; creates add theirs as they complete.
            for op in &plan.ops {
                if let (Some(id), ObjectType::User | ObjectType::Group) = (&op.target_id, op.object_type)
                    && !matches!(op.kind, OpKind::SetReference { .. } | OpKind::Error(_))
                {
                    links.insert((op.object_type, op.source_id.clone()), id.clone());
                }
            }
            let mut applier = Applier {
                client: &self.snow,
                store: &self.store,
                events: &self.events,
                mappings: &self.mappings,
                cycle_id,
                stop: &self.stop,
                stored: prior.links.clone(),
                links,
                halt: super::apply::Halt::default(),
                refs: Default::default(),
            };
            let mut stats = applier.apply(&plan).await.map_err(|e| at(e.into()))?;
            stats.staged_deletes = plan.counts.staged_delete;
            let halted = super::guard::halted(&applier.halt);
            self.schedule_escrows().map_err(at)?;
            verdict = super::guard::Verdict {
                tripped: tripped.take(),
                halted,
            };
            if !self.stop.load(Ordering::SeqCst) {
                // Only now, with the cycle's writes done: a crash before this replays the same
                // changes from the old watermarks.
                let (assignments, users_link, groups_link) = commit.take().unwrap_or_default();
                if let (Some(u), Some(g)) = (&users_link, &groups_link) {
                    let marks = [("rules", rules_hash.as_str()), ("users_delta", u), ("groups_delta", g)];
                    self.store
                        .commit_watermarks(&assignments, &marks)
                        .map_err(|e| at(e.into()))?;
                } else {
                    // A shown plan applied: no read this cycle, so the old watermarks stay and
                    // the next cycle replays the changes since them.
                    self.store
                        .set_watermark("rules", &rules_hash)
                        .map_err(|e| at(e.into()))?;
                }
                self.store.settle_intents().map_err(|e| at(e.into()))?;
            }
            let _ = self.store.prune_log(self.profile.provisioning.log_retention_days);
            stats
        };
        let stats_json = serde_json::to_string(&stats).unwrap_or_default();
        self.store
            .finish_cycle(cycle_id, &stats_json)
            .map_err(|e| at(e.into()))?;
        if !dry_run && !self.stop.load(Ordering::SeqCst) {
            self.judge(Some(cycle_id), &stats, verdict).await;
        }
        self.emit(SyncEvent::CycleFinished {
            cycle_id,
            dry_run,
            stats,
        });
        Ok(())
    }
}
