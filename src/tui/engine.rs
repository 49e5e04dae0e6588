//! The console's side of the engine's door: the commands it sends (mapped one to one onto
//! `sync::Command`) and the events it reads (`sync::SyncEvent`).

use crate::sync::Command;

pub use crate::sync::SyncEvent as EngineEvent;

/// A command for the engine, as the console's `update()` asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineCommand {
    RunNow,
    DryRun,
    ApplyPlan {
        plan_id: u64,
    },
    Pause,
    Resume,
    Stop,
    /// Source users whose UPN, name or mail contains `text`.
    SearchUsers {
        request: u64,
        text: String,
    },
    /// The user mapping evaluated for one source user.
    EvaluateUser {
        request: u64,
        user_id: String,
    },
    /// One source user's attributes as the mappings see them (the editor evaluates on them).
    SourceAttributes {
        request: u64,
        user_id: String,
    },
    /// Scope counts and samples.
    PreviewScope {
        request: u64,
    },
    /// Create a missing reference row (`table`.`field` = `value`).
    CreateReference {
        request: u64,
        table: String,
        field: String,
        value: String,
    },
}

impl EngineCommand {
    /// The engine's own command.
    pub fn to_sync(&self) -> Command {
        match self {
            EngineCommand::RunNow => Command::RunNow,
            EngineCommand::DryRun => Command::DryRun,
            EngineCommand::ApplyPlan { plan_id } => Command::ApplyPlan { plan_id: *plan_id },
            EngineCommand::Pause => Command::Pause,
            EngineCommand::Resume => Command::Resume,
            EngineCommand::Stop => Command::Stop,
            EngineCommand::SearchUsers { request, text } => Command::SearchUsers {
                request: *request,
                text: text.clone(),
                limit: 20,
            },
            EngineCommand::EvaluateUser { request, user_id } => Command::EvaluateUser {
                request: *request,
                user_id: user_id.clone(),
            },
            EngineCommand::SourceAttributes { request, user_id } => Command::SourceAttributes {
                request: *request,
                user_id: user_id.clone(),
            },
            EngineCommand::PreviewScope { request } => Command::PreviewScope {
                request: *request,
                samples: 8,
            },
            EngineCommand::CreateReference {
                request,
                table,
                field,
                value,
            } => Command::CreateReference {
                request: *request,
                table: table.clone(),
                field: field.clone(),
                value: value.clone(),
            },
        }
    }

    /// What the status line says when it is sent.
    pub fn describe(&self) -> &'static str {
        match self {
            EngineCommand::RunNow => "running a cycle now",
            EngineCommand::DryRun => "dry run: planning without writing",
            EngineCommand::ApplyPlan { .. } => "applying the plan",
            EngineCommand::Pause => "scheduled cycles paused",
            EngineCommand::Resume => "scheduled cycles resumed",
            EngineCommand::Stop => "stopping: the object in flight finishes first",
            EngineCommand::SearchUsers { .. } => "searching source users",
            EngineCommand::EvaluateUser { .. } => "evaluating the mapping for the user",
            EngineCommand::SourceAttributes { .. } => "reading the user's source attributes",
            EngineCommand::PreviewScope { .. } => "reading the source to count the scope",
            EngineCommand::CreateReference { .. } => "creating the missing reference row",
        }
    }
}
