//! `nowsync status [--json]`, `nowsync allow-deletes` and `nowsync restart --scope S`: the
//! operations commands (issue 8).
//!
//! `status` and the store-only restart scopes read and write the state database without an
//! engine; the restart scopes take the profile lock first, so they refuse while an engine
//! runs. `allow-deletes` (and `restart --scope force-deletes`, its Entra name) runs through
//! `sync::Handle` like a cycle. Exit code 4 when the job is (still) quarantined.

use std::path::Path;

use serde_json::Value;

use super::Exit;
use crate::config::{Profile, ResolvedProfile};
use crate::model::text::sanitize_for_terminal;
use crate::store::{ProfileLock, ResetScope, Store};
use crate::sync::{self, Command, Credentials, Handle};

/// `restart --scope` values (Entra's `resetScope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scope {
    /// Forget the delta links: the next cycle is initial
    Watermark,
    /// Forget the recorded failures: nothing waits for its retry time
    Escrows,
    /// Lift the quarantine now
    Quarantine,
    /// All of the above, the staged deletions and the links: matching runs again
    Full,
    /// Apply the staged deletions (same as `allow-deletes`)
    ForceDeletes,
}

/// `status`.
pub fn status(data_dir: &Path, profile: &Profile, json: bool) -> Exit {
    let s = match sync::status(data_dir, profile) {
        Ok(s) => s,
        Err(e) => {
            super::report_error(&e);
            return Exit::Usage;
        }
    };
    if json {
        println!("{}", serde_json::to_value(&s).unwrap_or(Value::Null));
    } else {
        println!("profile      {}", s.profile);
        println!(
            "provisioning {} ({})",
            if s.enabled { "enabled" } else { "disabled" },
            s.state
        );
        match &s.quarantine {
            Some(q) => println!(
                "quarantine   {} since {}; next attempt {}; {}",
                q.reason,
                q.since,
                q.next_attempt.as_deref().unwrap_or("-"),
                sanitize_for_terminal(&q.detail)
            ),
            None => println!("quarantine   no"),
        }
        match &s.last_cycle {
            Some(c) => println!(
                "last cycle   {} ({}) {} → {}: {}",
                c.id,
                c.kind,
                c.started,
                c.finished.as_deref().unwrap_or("-"),
                c.stats
            ),
            None => println!("last cycle   none yet"),
        }
        println!("to date      {} cycles: {}", s.cycles, s.to_date);
        println!("linked       {} users, {} groups", s.linked_users, s.linked_groups);
        println!(
            "staged       {} deletions (nowsync allow-deletes applies them)",
            s.staged_deletions.len()
        );
        for d in &s.staged_deletions {
            println!(
                "  {} {} {}",
                d.action,
                d.object_type,
                sanitize_for_terminal(&d.source_name)
            );
        }
        println!("escrows      {} (nowsync logs --escrow)", s.escrows);
    }
    if s.quarantine.is_some() {
        Exit::Stopped
    } else {
        Exit::Success
    }
}

/// The store-only restart scopes.
pub fn restart(data_dir: &Path, profile: &str, scope: Scope) -> Exit {
    let reset = match scope {
        Scope::Watermark => ResetScope::Watermark,
        Scope::Escrows => ResetScope::Escrows,
        Scope::Quarantine => ResetScope::Quarantine,
        Scope::Full => ResetScope::Full,
        Scope::ForceDeletes => return Exit::Usage,
    };
    let _lock = match ProfileLock::acquire(data_dir, profile) {
        Ok(l) => l,
        Err(e) => {
            super::report_error(&e);
            return Exit::Usage;
        }
    };
    let result = Store::open(data_dir, profile).and_then(|s| s.reset(reset));
    if let Err(e) = result {
        super::report_error(&e);
        return Exit::Usage;
    }
    if matches!(reset, ResetScope::Quarantine | ResetScope::Full) {
        // The next quarantine mails again, even for the same reason.
        let state = crate::notify::StateFile::in_data_dir(data_dir);
        if let Ok(mut d) = state.load() {
            d.clear(profile);
            let _ = state.save(&d);
        }
    }
    let what = match reset {
        ResetScope::Watermark => "watermarks cleared: the next cycle is initial",
        ResetScope::Escrows => "escrows cleared: failed objects are retried next cycle",
        ResetScope::Quarantine => "quarantine lifted: the next scheduled cycle runs on the normal interval",
        ResetScope::Full => {
            "state cleared (links, watermarks, escrows, quarantine, staged deletions): the next cycle matches again"
        }
    };
    println!("{what}");
    Exit::Success
}

/// `allow-deletes`: applies exactly the staged set through the engine.
pub async fn allow_deletes(profile: &ResolvedProfile, credentials: Credentials, data_dir: &Path) -> Exit {
    let staged = Store::open(data_dir, &profile.name)
        .and_then(|s| s.staged())
        .map(|v| v.len())
        .unwrap_or(0);
    if staged == 0 {
        println!("no deletions are staged");
        return Exit::Success;
    }
    let handle = match Handle::start(profile, credentials, sync::Options::new(data_dir)) {
        Ok(h) => h,
        Err(e) => {
            super::report_error(&e);
            return Exit::Usage;
        }
    };
    let mut rx = handle.subscribe();
    println!("applying {staged} staged deletions");
    handle.send(Command::AllowDeletes);
    let exit = super::sync::follow(&mut rx, false, false).await;
    handle.shutdown().await;
    exit
}
