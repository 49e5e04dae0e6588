//! The console's side of the engine's door: the commands it sends and the events it reads.
//! Until the engine lands these are the console's own names; they map one to one onto
//! `sync::Command` and `sync::SyncEvent`.

/// A command for the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineCommand {
    RunNow,
    DryRun,
    ApplyPlan { plan_id: u64 },
    Pause,
    Resume,
    Stop,
}

/// An event from the engine.
#[derive(Debug, Clone)]
pub enum EngineEvent {}
