//! The headless commands while an engine already serves the profile (a console's own engine,
//! `nowsync run`, the systemd unit): that engine holds the profile lock, so a second one
//! cannot start; `allow-deletes`, `sync --once [--dry-run] [--reconcile]` and `provision` go
//! through its door (`DATA_DIR/<profile>.sock`) as a console's keys do (acceptance N2, F25),
//! follow the events of what they asked for, and print and exit as the headless path does.
//!
//! Ctrl-C leaves (the default signal action): the cycle asked for is the engine's now and
//! goes on, as one a console started does when that console leaves.

use std::path::Path;

use super::Exit;
use super::sync::Follow;
use crate::door::client::{Client, ClientError};
use crate::door::proto::{EngineInfo, ServerFrame};
use crate::sync::{Command, CycleKind, Subject, SyncEvent};

/// What a headless command asks of the engine.
#[derive(Debug, Clone)]
pub enum Request {
    /// `allow-deletes` (and `restart --scope force-deletes`).
    AllowDeletes,
    /// `sync --once`.
    Cycle { dry_run: bool, reconcile: bool, json: bool },
    /// `provision`.
    Provision {
        subject: Subject,
        dry_run: bool,
        json: bool,
    },
}

impl Request {
    fn command(&self) -> Command {
        match self {
            Request::AllowDeletes => Command::AllowDeletes,
            Request::Cycle {
                reconcile: true,
                dry_run,
                ..
            } => Command::Reconcile { dry_run: *dry_run },
            Request::Cycle { dry_run: true, .. } => Command::DryRun,
            Request::Cycle { .. } => Command::RunNow,
            Request::Provision { subject, dry_run, .. } => Command::Provision {
                request: 1,
                subject: subject.clone(),
                dry_run: *dry_run,
            },
        }
    }

    /// How the engine's log names this client ("nowsync allow-deletes asked: …").
    fn client(&self) -> &'static str {
        match self {
            Request::AllowDeletes => "nowsync allow-deletes",
            Request::Cycle { .. } => "nowsync sync --once",
            Request::Provision { .. } => "nowsync provision",
        }
    }

    /// Whether a cycle that starts is the one this request asked for. Commands run one after
    /// the other, so the first such cycle after the engine took ours is ours (a scheduled
    /// cycle due at that very moment may come first; it is then the one followed).
    fn is_ours(&self, kind: CycleKind, dry_run: bool) -> bool {
        match self {
            Request::AllowDeletes => kind == CycleKind::AllowDeletes,
            Request::Cycle { dry_run: d, .. } => {
                dry_run == *d && !matches!(kind, CycleKind::AllowDeletes | CycleKind::OnDemand)
            }
            Request::Provision { .. } => false,
        }
    }
}

/// The engine serving `profile`'s door, when one answers.
pub fn served(data_dir: &Path, profile: &str) -> Option<EngineInfo> {
    crate::door::client::probe(&crate::door::socket_path(data_dir, profile))
}

/// Runs `request` through the door of `engine`, the engine serving `profile`.
pub async fn run(data_dir: &Path, profile: &str, engine: &EngineInfo, request: Request) -> Exit {
    if matches!(request, Request::AllowDeletes) {
        match super::ops::held_now(data_dir, profile) {
            Ok(None) => {
                println!("nothing is held by the deletion threshold");
                return Exit::Success;
            }
            Ok(Some(words)) => println!("applying what the deletion threshold held: {words}"),
            Err(exit) => return exit,
        }
    }
    super::out::eprint_line(&format!(
        "note: an engine already serves profile '{profile}' (pid {}, started by {}): this goes through it, as a console's keys do",
        engine.pid, engine.started_by
    ));
    let path = crate::door::socket_path(data_dir, profile);
    let (mut client, attached) = match Client::attach(&path, request.client()).await {
        Ok(c) => c,
        Err(e) => return lost(&e),
    };
    let id = match client.command(request.command()).await {
        Ok(id) => id,
        Err(e) => return lost(&e),
    };
    if let Some(r) = &attached.replay.running {
        eprintln!("note: cycle {} is running; this one starts after it ends", r.cycle_id);
    }
    match &request {
        Request::Provision { json, .. } => answer(&mut client, id, *json).await,
        Request::AllowDeletes => {
            let running = attached.replay.running.map(|r| r.cycle_id);
            match Follow::new(false, None) {
                Ok(mut f) => follow(&mut client, id, &request, running, &mut f).await,
                Err(exit) => exit,
            }
        }
        Request::Cycle { dry_run, json, .. } => {
            let running = attached.replay.running.map(|r| r.cycle_id);
            let exit = match Follow::new(*dry_run, json.then_some(data_dir)) {
                Ok(mut f) => follow(&mut client, id, &request, running, &mut f).await,
                Err(exit) => exit,
            };
            super::sync::with_quarantine(exit, data_dir, profile)
        }
    }
}

/// The connection failed or the engine went away before the command's end.
fn lost(e: &ClientError) -> Exit {
    match e {
        ClientError::Closed => super::sync::engine_gone(),
        e => {
            super::out::eprint_line(&format!(
                "error: {e}; `nowsync status` says whether an engine still runs"
            ));
            Exit::Usage
        }
    }
}

/// The next frame; `Err` with the exit code when the connection ended.
async fn next(client: &mut Client) -> Result<ServerFrame, Exit> {
    client.next().await.map_err(|e| lost(&e))
}

/// The engine refused command `id`: its words, exit 2 (the command does not apply now).
fn refused(message: &str) -> Exit {
    super::out::eprint_line(&format!("error: the engine refused: {message}"));
    Exit::Usage
}

/// The cycle a frame is about, and whether it starts one (its kind and whether a dry run).
fn cycle_of(event: &SyncEvent) -> (Option<i64>, Option<(CycleKind, bool)>) {
    match event {
        SyncEvent::CycleReading {
            cycle_id,
            kind,
            dry_run,
        }
        | SyncEvent::CycleStarted {
            cycle_id,
            kind,
            dry_run,
            ..
        } => (Some(*cycle_id), Some((*kind, *dry_run))),
        SyncEvent::FullCycle { cycle_id, .. }
        | SyncEvent::PlanReady { cycle_id, .. }
        | SyncEvent::Progress { cycle_id, .. }
        | SyncEvent::ObjectDone { cycle_id, .. }
        | SyncEvent::CycleFinished { cycle_id, .. } => (Some(*cycle_id), None),
        SyncEvent::Quarantine { cycle_id, .. } | SyncEvent::Error { cycle_id, .. } => (*cycle_id, None),
        _ => (None, None),
    }
}

/// Follows the cycle `request` started into `f`: events of another cycle (one running when we
/// came, or someone else's) are left out; returns the exit code `f` gives at its end.
async fn follow(client: &mut Client, id: u64, request: &Request, mut other: Option<i64>, f: &mut Follow) -> Exit {
    let mut acked = false;
    let mut ours: Option<i64> = None;
    loop {
        let event = match next(client).await {
            Ok(ServerFrame::Ack { id: a }) if a == id => {
                acked = true;
                continue;
            }
            Ok(ServerFrame::Error { id: Some(a), message }) if a == id => return refused(&message),
            Ok(ServerFrame::Event { event }) => event,
            Ok(_) => continue,
            Err(exit) => return exit,
        };
        let (cycle, starts) = cycle_of(&event);
        if ours.is_none() {
            match (cycle, starts) {
                (Some(c), Some((kind, dry_run))) if acked && other != Some(c) && request.is_ours(kind, dry_run) => {
                    ours = Some(c);
                }
                (Some(c), Some(_)) => {
                    other = Some(c);
                    continue;
                }
                // Ours failed before it had a cycle (nothing staged any more, the binding).
                (None, None) if acked && other.is_none() && matches!(event, SyncEvent::Error { .. }) => {}
                (Some(c), None) if other == Some(c) && ends(&event) => {
                    other = None;
                    continue;
                }
                _ => continue,
            }
        } else if cycle.is_some() && cycle != ours {
            continue;
        }
        if let Some(exit) = f.on(event) {
            return exit;
        }
    }
}

/// Whether the event ends its cycle.
fn ends(event: &SyncEvent) -> bool {
    matches!(event, SyncEvent::CycleFinished { .. } | SyncEvent::Error { .. })
}

/// Waits for the answer to provision request `id`, printed as the headless path prints it.
async fn answer(client: &mut Client, id: u64, json: bool) -> Exit {
    loop {
        match next(client).await {
            Ok(ServerFrame::Error { id: Some(a), message }) if a == id => return refused(&message),
            Ok(ServerFrame::Event {
                event: SyncEvent::Answer { request: 1, answer },
            }) => {
                if let Some(exit) = super::provision::answered(answer, json) {
                    return exit;
                }
            }
            Ok(_) => {}
            Err(exit) => return exit,
        }
    }
}
