//! The engine task: owns the [`Context`] (clients, store, profile), the profile lock and the
//! credentials, and runs the command loop: cycles on command and on schedule (backing off
//! while quarantined), the console's queries, pause, resume, reload, stop. What a cycle does
//! is in [`super::cycle`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, watch};

use super::cycle::{self, Context, Mode, Shown};
use super::event::{Answer, EngineState, ErrorKind, SyncEvent};
use super::handle::{Command, Options};
use super::op::Plan;
use super::safety::quarantine;
use super::{Credentials, StartError, queries};
use crate::config::{Profile, ResolvedProfile};
use crate::store::{ProfileLock, Store};
use crate::{graph, servicenow};

pub(super) struct Engine {
    cx: Context,
    credentials: Credentials,
    _lock: ProfileLock,
    scheduled: bool,
    state: watch::Sender<EngineState>,
    next_run: watch::Sender<Option<String>>,
    /// Scheduled cycles paused: set by the command's sender at once (`handle::send`), so it
    /// holds while a cycle runs.
    paused: Arc<AtomicBool>,
    next_plan_id: u64,
    /// The first plan number this engine gave: a lower one was made by an engine before it
    /// (the engine restarted since), which this one never applies.
    first_plan_id: u64,
    /// The last dry run's plan, which `ApplyPlan` may apply while it is not out of date.
    shown: Option<Shown>,
    /// Write-capable runs so far (real cycles, allow-deletes, provisions): a plan shown before
    /// the last of them is out of date.
    writes: u64,
    /// The plan `ApplyPlan` applied last.
    applied: Option<u64>,
    /// The next scheduled cycle as last published ([`SyncEvent::NextRun`]); `None` before the
    /// first.
    published: Option<Option<tokio::time::Instant>>,
}

/// The store's watermark holding the last plan number given: plan numbers go on from it, so
/// "plan 3" means one dry run's plan in the profile's life, whichever engine process made it.
const PLAN_ID: &str = "plan_id";

/// The first plan number this engine gives.
fn first_plan_id(store: &Store) -> u64 {
    let last = store
        .watermark(PLAN_ID)
        .ok()
        .flatten()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    last.saturating_add(1)
}

/// Marks in the store whether scheduled cycles are paused, for `nowsync status`.
fn mark_paused(store: &Store, paused: bool) {
    if let Err(e) = store.set_watermark(super::status::PAUSED_MARK, if paused { "true" } else { "false" }) {
        tracing::warn!(error = %e, "the pause could not be marked for nowsync status");
    }
}

/// Both clients of a profile, with its credentials.
fn clients(profile: &Profile, credentials: &Credentials) -> Result<(servicenow::Client, graph::Client), StartError> {
    let (Some(sn), Some(entra), Some(auth), Some(secret)) = (
        &profile.servicenow,
        &profile.entra,
        &credentials.servicenow,
        &credentials.graph_client_secret,
    ) else {
        return Err(StartError::NotConfigured(profile.name.clone()));
    };
    let options = servicenow::ClientOptions::for_profile(sn);
    let snow = servicenow::Client::new(sn.instance.clone(), auth.clone(), options)
        .map_err(|e| StartError::ServiceNow(Box::new(e)))?;
    let graph = graph::Client::new(entra, secret.clone(), graph::Options::default())
        .map_err(|e| StartError::Graph(Box::new(e)))?;
    Ok((snow, graph))
}

/// The profile's redaction keys, from the ServiceNow account's password (`sync::redact`).
fn redaction(credentials: &Credentials) -> Arc<crate::sync::redact::Redaction> {
    use crate::servicenow::Auth;
    let key = match &credentials.servicenow {
        Some(Auth::Basic { password, .. } | Auth::OAuth { password, .. }) => {
            crate::sync::redact::Redaction::from_secret(password)
        }
        None => crate::sync::redact::Redaction::random(),
    };
    Arc::new(key)
}

/// The channels an engine talks through.
pub(super) struct Channels {
    pub events: broadcast::Sender<SyncEvent>,
    pub state: watch::Sender<EngineState>,
    pub last_plan: watch::Sender<Option<Arc<Plan>>>,
    /// The last [`SyncEvent::NextRun`], for consumers subscribing later.
    pub next_run: watch::Sender<Option<String>>,
    pub stop: Arc<AtomicBool>,
    /// Scheduled cycles paused ([`Command::Pause`]).
    pub paused: Arc<AtomicBool>,
}

impl Engine {
    pub(super) fn open(
        profile: &ResolvedProfile,
        credentials: Credentials,
        options: &Options,
        channels: Channels,
    ) -> Result<Engine, StartError> {
        std::fs::create_dir_all(&options.data_dir).map_err(|source| StartError::DataDir {
            path: options.data_dir.clone(),
            source,
        })?;
        let (snow, graph) = clients(profile, &credentials)?;
        let lock = ProfileLock::acquire(&options.data_dir, &profile.name)?;
        let store = Store::open(&options.data_dir, &profile.name)?;
        let next_plan_id = first_plan_id(&store);
        // A new engine's cycles are not paused, whatever one before it left marked.
        mark_paused(&store, false);
        let cx = Context {
            profile: profile.clone(),
            snow,
            graph,
            store,
            data_dir: options.data_dir.clone(),
            events: channels.events,
            last_plan: channels.last_plan,
            stop: channels.stop,
            identity: tokio::sync::OnceCell::new(),
            bound: tokio::sync::OnceCell::new(),
            redaction: redaction(&credentials),
            clock: options.clock.clone(),
        };
        Ok(Engine {
            cx,
            credentials,
            _lock: lock,
            scheduled: options.scheduled,
            state: channels.state,
            next_run: channels.next_run,
            paused: channels.paused,
            next_plan_id,
            first_plan_id: next_plan_id,
            shown: None,
            writes: 0,
            applied: None,
            published: None,
        })
    }

    fn take_plan_id(&mut self) -> u64 {
        let id = self.next_plan_id;
        self.next_plan_id += 1;
        if let Err(e) = self.cx.store.set_watermark(PLAN_ID, &id.to_string()) {
            // Numbers stay unique in this process; the next engine might give this one again.
            tracing::warn!(error = %e, "the last plan number could not be saved");
        }
        id
    }

    /// Publishes when the schedule runs the next cycle, when that changed (by more than the
    /// clock's jitter).
    fn publish_next(&mut self, at: Option<tokio::time::Instant>) {
        let same = match (self.published, at) {
            (Some(None), None) => true,
            (Some(Some(was)), Some(now)) => {
                let apart = if was > now { was - now } else { now - was };
                apart < Duration::from_secs(1)
            }
            _ => false,
        };
        if same {
            return;
        }
        self.published = Some(at);
        let at = at.map(|at| {
            let wait = at.saturating_duration_since(tokio::time::Instant::now());
            let wall = chrono::Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
            wall.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        });
        let _ = self.next_run.send(at.clone());
        self.cx.emit(SyncEvent::NextRun { at });
    }

    fn set_state(&self, s: EngineState) {
        let _ = self.state.send(s);
        self.cx.emit(SyncEvent::StateChanged(s));
    }

    fn paused(&self) -> bool {
        self.paused.load(Ordering::SeqCst)
    }

    /// Back to idle (or paused) after a cycle or a provision.
    fn settle(&self) {
        self.set_state(if self.paused() {
            EngineState::Paused
        } else {
            EngineState::Idle
        });
    }

    fn error(&self, cycle_id: Option<i64>, kind: ErrorKind, message: String) {
        self.cx.emit(SyncEvent::Error {
            cycle_id,
            kind,
            message,
        });
    }

    /// The next command, or the schedule's turn (a scheduled cycle, backed off while
    /// quarantined: 1 h, 6 h, 12 h, then daily).
    /// Each time, the next scheduled cycle is published ([`SyncEvent::NextRun`]) when it
    /// changed, so a console shows the engine's schedule, not a guess of its own.
    async fn next_command(
        &mut self,
        commands: &mut mpsc::UnboundedReceiver<Command>,
        next: &mut tokio::time::Instant,
    ) -> Option<Command> {
        let profile = &self.cx.profile;
        if !(self.scheduled && profile.provisioning.enabled && !self.paused()) {
            self.publish_next(None);
            return commands.recv().await;
        }
        let interval = Duration::from_secs(u64::from(profile.provisioning.interval_minutes.max(1)) * 60);
        let until = match quarantine::until(&self.cx) {
            Some(t) => {
                let wait = (t - chrono::Utc::now()).to_std().unwrap_or_default();
                (*next).max(tokio::time::Instant::now() + wait)
            }
            None => *next,
        };
        self.publish_next(Some(until));
        tokio::select! {
            c = commands.recv() => c,
            () = tokio::time::sleep_until(until) => {
                *next = tokio::time::Instant::now() + interval;
                // The schedule counts from this cycle's start: say so while it runs.
                self.publish_next(Some(*next));
                Some(Command::RunNow)
            }
        }
    }

    pub(super) async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        super::throttles::say(&self.cx.snow, &self.cx.events);
        let mut next = tokio::time::Instant::now();
        while let Some(command) = self.next_command(&mut commands, &mut next).await {
            if matches!(command, Command::Stop) {
                break;
            }
            self.handle(command).await;
            if self.cx.stopped() {
                break;
            }
        }
        let _ = self.cx.last_plan.send(None);
        self.set_state(EngineState::Stopped);
    }

    async fn handle(&mut self, command: Command) {
        match command {
            Command::RunNow => self.cycle(Mode::Real(false)).await,
            Command::Reconcile { dry_run: false } => self.cycle(Mode::Real(true)).await,
            Command::Reconcile { dry_run: true } => self.cycle(Mode::DryRun(true)).await,
            Command::DryRun => self.cycle(Mode::DryRun(false)).await,
            Command::ApplyPlan { plan_id } => self.apply_shown(plan_id).await,
            Command::AllowDeletes => {
                self.set_state(EngineState::Running);
                // Applying the staged set makes a plan shown before it out of date.
                self.writes += 1;
                if let Err((cycle_id, e)) = cycle::allow_deletes(&self.cx, Plan::UNNUMBERED).await {
                    self.error(cycle_id, e.kind(), e.to_string());
                }
                self.settle();
            }
            Command::Provision {
                request,
                subject,
                dry_run,
            } => {
                self.set_state(EngineState::Running);
                if !dry_run {
                    self.writes += 1;
                }
                let answer = match cycle::provision(&self.cx, &subject, dry_run, Plan::UNNUMBERED).await {
                    Ok(report) => Answer::Provisioned(Box::new(report)),
                    Err(e) => Answer::NotProvisioned(e.into()),
                };
                self.cx.emit(SyncEvent::Answer { request, answer });
                self.settle();
            }
            // The flag was set (and confirmed) when it was sent; the state follows the flag
            // as it is now (a pause and a resume sent during one cycle leave it resumed).
            Command::Pause | Command::Resume => {
                mark_paused(&self.cx.store, self.paused());
                self.settle();
            }
            Command::Reload(profile) => self.reload(*profile),
            // Handled by the loop.
            Command::Stop => {}
            query => queries::answer(&self.cx, &self.credentials, query).await,
        }
    }

    /// Applies the plan the last dry run showed, exactly, unless it is out of date: made under
    /// other rules (configuration, mappings, scope), before a write, or its validity ended
    /// (`plan_valid_minutes` after its reads); an applied plan is never applied again.
    async fn apply_shown(&mut self, plan_id: u64) {
        let why = match &self.shown {
            _ if self.applied == Some(plan_id) => Some("it was applied already".to_owned()),
            // Said first: a plan of the engine before this one is out of date for that reason,
            // whatever this engine showed since.
            _ if plan_id < self.first_plan_id => Some("the engine restarted since it was made".to_owned()),
            Some(s) if s.plan.id != plan_id => Some("a newer dry run was made since".to_owned()),
            Some(s) if s.plan.basis.profile != self.cx.profile.plan_hash => Some(super::event::changed_since(
                &self.cx.profile.plan_changes(&s.made_under),
            )),
            Some(s) if s.writes != self.writes => Some("a cycle ran since it was made".to_owned()),
            // Both sides go on changing by hand: a plan read long ago may write what they no
            // longer call for (review R5).
            Some(s) if s.plan.basis.expired(self.cx.clock.now()) => Some(s.plan.basis.expired_words()),
            Some(_) => None,
            None => Some("it is not the last dry run shown".to_owned()),
        };
        match (why, self.shown.take()) {
            (None, Some(shown)) => {
                self.applied = Some(plan_id);
                self.cycle(Mode::Shown(shown)).await;
            }
            (why, shown) => {
                self.shown = shown;
                let reason = format!(
                    "this plan is out of date: make a new dry run (plan {plan_id}: {})",
                    why.as_deref().unwrap_or("it is not the last dry run shown")
                );
                tracing::warn!("{reason}");
                self.cx.emit(SyncEvent::PlanRefused { plan_id, reason });
            }
        }
    }

    /// The profile as saved, from the next cycle: its mappings and scopes as resolved, and
    /// clients for its (possibly changed) connection settings. Every consumer is told what
    /// changed in what a plan is made from: a plan shown before is then out of date for all.
    fn reload(&mut self, profile: ResolvedProfile) {
        match clients(&profile, &self.credentials) {
            Ok((snow, graph)) => {
                let changed = profile.plan_changes(&self.cx.profile);
                let plan_hash = profile.plan_hash.clone();
                self.cx.snow = snow;
                super::throttles::say(&self.cx.snow, &self.cx.events);
                self.cx.graph = graph;
                self.cx.profile = profile;
                self.cx.identity = tokio::sync::OnceCell::new();
                self.cx.bound = tokio::sync::OnceCell::new();
                self.cx.emit(SyncEvent::Reloaded { changed, plan_hash });
            }
            Err(e) => self.error(None, ErrorKind::Config, e.to_string()),
        }
    }

    async fn cycle(&mut self, mode: Mode) {
        self.set_state(EngineState::Running);
        let dry_run = matches!(mode, Mode::DryRun(_));
        if !dry_run {
            // Any real cycle makes a plan shown before it out of date.
            self.writes += 1;
        }
        // Only a dry run's plan takes a number: a real cycle applies its own plan, and a shown
        // plan applied keeps the number it was shown with.
        let id = if dry_run { self.take_plan_id() } else { Plan::UNNUMBERED };
        match cycle::run(&self.cx, mode, id).await {
            Ok(Some(mut shown)) => {
                shown.writes = self.writes;
                self.shown = Some(shown);
            }
            Ok(None) => {}
            Err((cycle_id, e)) => {
                tracing::warn!(error = %e, "cycle failed");
                if !dry_run {
                    quarantine::cycle_failed(&self.cx, cycle_id, &e).await;
                }
                self.error(cycle_id, e.kind(), e.to_string());
            }
        }
        self.settle();
    }
}
