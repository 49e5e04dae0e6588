//! [`Handle`]: the engine's door (DESIGN.md). Commands go in through a channel, events come
//! out through a broadcast; the engine itself runs on its own tokio task and owns the store,
//! the clients and the profile lock.
//!
//! The console must not await in `update()`: [`Handle::send`] never blocks (the command
//! channel is unbounded; commands are rare and small) and query commands are answered by
//! [`SyncEvent::Answer`] carrying the command's `request` id.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;

use super::engine::{Channels, Engine};
use super::event::{EngineState, SyncEvent};
use super::op::Plan;
use super::{Credentials, StartError};
use crate::config::ResolvedProfile;

/// What the console (or a headless command) asks of the engine. The engine's socket (`door`)
/// carries it as it is (tagged by `command`), except what holds a resolved profile: over the
/// socket a `reload` frame asks the serving side to re-read the configuration file, and a
/// preview of unsaved rules is not served.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    /// Run one real cycle now, whatever the schedule and `enabled` say (a reconciliation when
    /// one is due: `reconcile_hours`).
    RunNow,
    /// A cycle now that reads both sides whole and corrects drift (a reconciliation), whatever
    /// `reconcile_hours` says; an initial cycle when one is needed. `dry_run`: planned only, as
    /// [`Command::DryRun`].
    Reconcile { dry_run: bool },
    /// Plan a cycle without writing; the plan arrives as [`SyncEvent::PlanReady`].
    DryRun,
    /// Apply the plan a dry run showed (by its id), exactly; refused when the engine has
    /// planned another since (then dry-run again).
    ApplyPlan { plan_id: u64 },
    /// Apply exactly the deletions the threshold staged (`nowsync allow-deletes`), as a cycle
    /// of its own; a quarantine whose only reason was the threshold ends.
    AllowDeletes,
    /// Provision on demand: the pipeline for one user (or a group with its members) now,
    /// also while quarantined; `Answer::Provisioned` carries each step.
    Provision {
        request: u64,
        subject: super::Subject,
        dry_run: bool,
    },
    /// Stop scheduled cycles; a running cycle goes on to its end (`Stop` ends it). Taken at
    /// once, also while a cycle runs, and confirmed to every consumer by
    /// [`SyncEvent::Paused`].
    Pause,
    /// Scheduled cycles again; confirmed by [`SyncEvent::Paused`] as `Pause` is.
    Resume,
    /// Finish the object in flight and end the engine task.
    Stop,
    /// Use the profile as saved (mappings, scope, interval, connection settings) from the next
    /// cycle, resolved by `config` ([`crate::config::Profile::resolve`]). A change of mappings
    /// or scope makes that cycle initial.
    #[serde(skip)]
    Reload(Box<ResolvedProfile>),
    /// Test connection of both sides; answered by `Answer::Connection`.
    TestConnection { request: u64 },
    /// Source users whose UPN, display name or mail contains `text` (case-insensitive), at
    /// most `limit`; answered by `Answer::Users`.
    SearchUsers { request: u64, text: String, limit: usize },
    /// The user mapping evaluated for one source user (by object id); `Answer::Evaluated`.
    EvaluateUser { request: u64, user_id: String },
    /// One source user's attributes (by object id) as the mappings see them, for the console's
    /// expression editor; `Answer::SourceAttributes`.
    SourceAttributes { request: u64, user_id: String },
    /// Scope counts and samples without planning; `Answer::ScopePreview`.
    PreviewScope { request: u64, samples: usize },
    /// Plan `profile` (a candidate: edits not saved yet) without writing anything, to show
    /// what the change would do; answered by `Answer::Preview` (plan id 0, never applied).
    #[serde(skip)]
    PreviewPlan {
        request: u64,
        profile: Box<ResolvedProfile>,
    },
    /// SSO readiness (`sync::sso::check`): the field SSO matches on (`field`, when the admin
    /// gave it; else the instance's identity provider's), the mappings, and the provisioned
    /// users against the NameID attribute `nameid`; `Answer::Sso`.
    SsoCheck {
        request: u64,
        field: Option<String>,
        nameid: String,
    },
    /// Create a missing reference row (e.g. a `cmn_department` named `value`); `Answer::Created`.
    CreateReference {
        request: u64,
        table: String,
        field: String,
        value: String,
    },
}

/// What a command does, in the console's and the socket's log words.
pub fn describe(command: &Command) -> &'static str {
    match command {
        Command::RunNow => "running a cycle now",
        Command::Reconcile { dry_run: false } => "reconciling now: a cycle that reads both sides whole",
        Command::Reconcile { dry_run: true } => "dry run of a reconciliation: reading both sides whole",
        Command::DryRun => "dry run: planning without writing",
        Command::ApplyPlan { .. } => "applying the plan",
        Command::AllowDeletes => "applying the staged deletions",
        Command::Provision { .. } => "provisioning on demand",
        Command::Pause => "scheduled cycles paused",
        Command::Resume => "scheduled cycles resumed",
        Command::Stop => "stopping: the object in flight finishes first",
        Command::Reload(_) => "reloading the profile",
        Command::TestConnection { .. } => "testing the connection",
        Command::SearchUsers { .. } => "searching source users",
        Command::EvaluateUser { .. } => "evaluating the mapping for the user",
        Command::SourceAttributes { .. } => "reading the user's source attributes",
        Command::PreviewScope { .. } => "reading the source to count the scope",
        Command::PreviewPlan { .. } => "dry run of the changed rules: reading both sides",
        Command::CreateReference { .. } => "creating the missing reference row",
        Command::SsoCheck { .. } => "checking SSO readiness: reading the instance's identity providers and users",
    }
}

impl Command {
    /// The questions the engine's socket serves: each answered by an [`SyncEvent::Answer`]
    /// naming its `request` (provision on demand too: `nowsync provision` through a running
    /// engine). Test connection is not among them (its answer stays in-process).
    pub fn request_mut(&mut self) -> Option<&mut u64> {
        match self {
            Command::SearchUsers { request, .. }
            | Command::EvaluateUser { request, .. }
            | Command::SourceAttributes { request, .. }
            | Command::PreviewScope { request, .. }
            | Command::CreateReference { request, .. }
            | Command::SsoCheck { request, .. }
            | Command::Provision { request, .. } => Some(request),
            _ => None,
        }
    }

    /// Whether it is one of those questions.
    pub fn is_query(&self) -> bool {
        self.clone().request_mut().is_some()
    }
}

/// How the engine runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// The data dir: the profile's state database and lock live here.
    pub data_dir: PathBuf,
    /// Run cycles on the profile's interval while `enabled` (the `run` command, the console).
    pub scheduled: bool,
    /// Events kept for a slow consumer before it starts missing them.
    pub event_capacity: usize,
    /// The wall clock a dry run's plan is made and judged valid by (`Basis::valid_until`).
    pub clock: super::Clock,
}

impl Options {
    pub fn new(data_dir: impl Into<PathBuf>) -> Options {
        Options {
            data_dir: data_dir.into(),
            scheduled: false,
            event_capacity: 4096,
            clock: super::Clock::system(),
        }
    }
}

/// The running engine of one profile.
pub struct Handle {
    commands: mpsc::UnboundedSender<Command>,
    events: broadcast::Sender<SyncEvent>,
    state: watch::Receiver<EngineState>,
    last_plan: watch::Receiver<Option<Arc<Plan>>>,
    next_run: watch::Receiver<Option<String>>,
    task: JoinHandle<()>,
    stop: Arc<AtomicBool>,
    paused: Arc<AtomicBool>,
    /// For [`Handle::status`]: the profile as started and its data dir.
    profile: crate::config::Profile,
    data_dir: PathBuf,
}

impl Handle {
    /// Starts the engine task for `profile`: takes the profile lock (a second engine of the
    /// same profile is refused with [`StartError::Store`] naming the running one), opens the
    /// state database and builds the clients. Call inside a tokio runtime; `profile` comes from
    /// [`crate::config::Config::resolve`], `credentials` from [`super::read_credentials`]
    /// (blocking, before the runtime); both sides must be configured.
    pub fn start(profile: &ResolvedProfile, credentials: Credentials, options: Options) -> Result<Handle, StartError> {
        let (events, _) = broadcast::channel(options.event_capacity.max(16));
        let (commands, rx) = mpsc::unbounded_channel();
        let (state_tx, state) = watch::channel(EngineState::Idle);
        let (plan_tx, last_plan) = watch::channel(None);
        let (next_tx, next_run) = watch::channel(None);
        let stop = Arc::new(AtomicBool::new(false));
        let paused = Arc::new(AtomicBool::new(false));
        let channels = Channels {
            events: events.clone(),
            state: state_tx,
            last_plan: plan_tx,
            next_run: next_tx,
            stop: stop.clone(),
            paused: paused.clone(),
        };
        let engine = Engine::open(profile, credentials, &options, channels)?;
        let task = tokio::spawn(engine.run(rx));
        Ok(Handle {
            profile: (**profile).clone(),
            data_dir: options.data_dir.clone(),
            commands,
            events,
            state,
            last_plan,
            next_run,
            task,
            stop,
            paused,
        })
    }

    /// Sends a command; never blocks. `false` when the engine has ended.
    pub fn send(&self, command: Command) -> bool {
        self.port().send(command)
    }

    /// Another way in to this engine, for its socket (`door`): the same commands and events.
    pub fn port(&self) -> Port {
        Port {
            commands: self.commands.clone(),
            events: self.events.clone(),
            state: self.state.clone(),
            next_run: self.next_run.clone(),
            stop: self.stop.clone(),
            paused: self.paused.clone(),
        }
    }

    /// A new receiver of every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<SyncEvent> {
        self.events.subscribe()
    }

    /// The engine's state now.
    pub fn state(&self) -> EngineState {
        *self.state.borrow()
    }

    /// When the schedule runs the next cycle (RFC 3339), as last published with
    /// [`SyncEvent::NextRun`]: for a consumer subscribing after it was said.
    pub fn next_run(&self) -> Option<String> {
        self.next_run.borrow().clone()
    }

    /// Whether scheduled cycles are paused, as last confirmed with [`SyncEvent::Paused`].
    pub fn paused(&self) -> bool {
        self.paused.load(Ordering::SeqCst)
    }

    /// The last plan computed (dry run or real cycle).
    pub fn last_plan(&self) -> Option<Arc<Plan>> {
        self.last_plan.borrow().clone()
    }

    /// The profile's provisioning status (quarantine, statistics, staged deletions, escrows),
    /// read from the state database: cheap, never waits for a running cycle.
    pub fn status(&self) -> Result<super::Status, crate::store::StoreError> {
        super::status(&self.data_dir, &self.profile)
    }

    /// Asks the engine to stop and waits for its task to end (the object in flight finishes).
    pub async fn shutdown(self) {
        self.send(Command::Stop);
        let _ = self.task.await;
    }
}

fn send(port: &Port, command: Command) -> bool {
    if port.commands.is_closed() {
        return false;
    }
    match command {
        // The engine reads commands between cycles; the flag reaches a running cycle,
        // which finishes its writes in flight and starts no more.
        Command::Stop => port.stop.store(true, Ordering::SeqCst),
        // The schedule reads the flag, so the pause is the engine's at once, also while a
        // cycle runs (its command waits for the cycle's end): every consumer is told now.
        Command::Pause | Command::Resume => {
            let paused = matches!(command, Command::Pause);
            port.paused.store(paused, Ordering::SeqCst);
            let _ = port.events.send(SyncEvent::Paused { paused });
        }
        _ => {}
    }
    port.commands.send(command).is_ok()
}

/// A cloneable way in to a running engine ([`Handle::port`]): what the engine's socket
/// (`door`) serves to each attached client. Commands from every port go through the one
/// channel, so the engine runs them one after the other.
#[derive(Clone)]
pub struct Port {
    commands: mpsc::UnboundedSender<Command>,
    events: broadcast::Sender<SyncEvent>,
    state: watch::Receiver<EngineState>,
    next_run: watch::Receiver<Option<String>>,
    stop: Arc<AtomicBool>,
    paused: Arc<AtomicBool>,
}

impl Port {
    /// As [`Handle::send`].
    pub fn send(&self, command: Command) -> bool {
        send(self, command)
    }

    /// As [`Handle::paused`].
    pub fn paused(&self) -> bool {
        self.paused.load(Ordering::SeqCst)
    }

    /// As [`Handle::subscribe`].
    pub fn subscribe(&self) -> broadcast::Receiver<SyncEvent> {
        self.events.subscribe()
    }

    /// As [`Handle::state`].
    pub fn state(&self) -> EngineState {
        *self.state.borrow()
    }

    /// As [`Handle::next_run`].
    pub fn next_run(&self) -> Option<String> {
        self.next_run.borrow().clone()
    }

    /// Resolves once the engine task has ended.
    pub async fn stopped(&self) {
        let mut state = self.state.clone();
        let _ = state.wait_for(|s| *s == EngineState::Stopped).await;
    }

    /// A line every consumer sees (a client's action, a reload): [`SyncEvent::Log`].
    pub fn log(&self, level: super::LogLevel, message: String) {
        let _ = self.events.send(SyncEvent::Log { level, message });
    }
}
