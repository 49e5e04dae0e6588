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
use super::out::{self, Lines};
use crate::config::{Profile, ResolvedProfile};
use crate::model::words::count;
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

/// `status`: a readable summary, or one JSON document with `--json`. Reads only; a profile
/// without state says "no cycle yet". Exit 4 while quarantined.
pub fn status(data_dir: &Path, profile: &Profile, json: bool) -> Exit {
    let s = match sync::status(data_dir, profile) {
        Ok(s) => s,
        Err(e) => return super::fail(&e),
    };
    if !s.has_state {
        eprintln!("{}", super::logs::no_state(data_dir, &s.profile));
    }
    // Whether an engine serves its door (issue 15): who, and where to attach.
    let path = crate::door::socket_path(data_dir, &s.profile);
    let served = crate::door::client::probe(&path);
    if json {
        let mut doc = serde_json::to_value(&s).unwrap_or_default();
        if let Some(map) = doc.as_object_mut() {
            map.insert(
                "socket".to_owned(),
                serde_json::json!({ "path": path.display().to_string(), "engine": served }),
            );
        }
        out::json(&doc);
    } else {
        let mut lines = status_lines(&s);
        lines.push(format!(
            "{:<14}{}",
            "socket",
            match &served {
                Some(e) => format!(
                    "{} (served by pid {}, since {}, started by {}; `nowsync attach` attaches)",
                    path.display(),
                    e.pid,
                    super::logs::short_time(&e.since),
                    e.started_by
                ),
                None => format!("{} (no engine serves it)", path.display()),
            }
        ));
        lines.print();
    }
    if s.quarantine.is_some() {
        Exit::Stopped
    } else {
        Exit::Success
    }
}

/// The summary's lines: one fact per line, a label column, counts in words.
fn status_lines(s: &sync::Status) -> Lines {
    let mut l = Lines::new();
    l.push(field("profile", s.profile.clone()));
    l.push(field(
        "provisioning",
        if s.enabled {
            "on (provisioning.enabled = true: `nowsync run` runs cycles on the interval)".to_owned()
        } else {
            "off (provisioning.enabled = false: no scheduled cycles; `nowsync sync --once` runs one)".to_owned()
        },
    ));
    l.push(field(
        "engine",
        match (&s.engine, s.paused) {
            (Some(holder), true) => {
                format!("running ({holder}), paused: no scheduled cycle runs until resumed (p in the console)")
            }
            (Some(holder), false) => format!("running ({holder})"),
            (None, _) => "not running".to_owned(),
        },
    ));
    l.push(field("quarantine", quarantine_text(s)));
    push_cycles(&mut l, s);
    l.push(field("reconcile", reconcile_text(&s.reconciliation)));
    l.push(field(
        "linked",
        format!(
            "{}, {}",
            count(s.linked_users, "user", "users"),
            count(s.linked_groups, "group", "groups")
        ),
    ));
    push_staged(&mut l, s);
    l.push(field(
        "escrows",
        if s.escrows == 0 {
            "none".to_owned()
        } else {
            format!(
                "{} retried on a schedule (nowsync logs --escrow)",
                count(s.escrows, "object", "objects")
            )
        },
    ));
    l
}

/// One summary line: the label in its column, then the text.
fn field(label: &str, text: String) -> String {
    format!("{label:<14}{text}")
}

fn quarantine_text(s: &sync::Status) -> String {
    let Some(q) = &s.quarantine else {
        return "none".to_owned();
    };
    // The way out depends on the reason: lifting a TooManyDeletes quarantine alone only holds
    // the same changes again at the next cycle.
    let way_out = if q.reason == "TooManyDeletes" {
        "`nowsync allow-deletes` (or D in the console) applies the held changes, also while a console runs; or fix the rules (scope, filters) and run a cycle"
    } else {
        "nowsync restart --scope quarantine lifts it"
    };
    format!(
        "{} since {}; next attempt {}; {} ({way_out})",
        q.reason,
        super::logs::short_time(&q.since),
        q.next_attempt
            .as_deref()
            .map_or("-".to_owned(), super::logs::short_time),
        q.detail
    )
}

/// The last cycle with its statistics, and the statistics of every cycle to date.
fn push_cycles(l: &mut Lines, s: &sync::Status) {
    match &s.last_cycle {
        Some(c) => {
            let error = c.error.as_deref();
            l.push(field(
                "last cycle",
                format!(
                    "{} ({}){}, started {}, {}",
                    c.id,
                    c.kind,
                    match (error, c.stopped) {
                        (Some(_), _) => " failed".to_owned(),
                        (None, Some(s)) => format!(" {s}"),
                        (None, None) => String::new(),
                    },
                    super::logs::short_time(&c.started),
                    c.finished.as_deref().map_or("not finished".to_owned(), |f| format!(
                        "finished {}",
                        super::logs::short_time(f)
                    ))
                ),
            ));
            // A cycle that failed as a whole or was stopped while reading did nothing: its
            // error, or nothing, rather than a row of zeros.
            if let Some(e) = error {
                l.push(field(
                    "",
                    format!("failed: {}", crate::model::text::sanitize_for_terminal(e)),
                ));
            } else if c.stopped.is_none_or(|s| s.phase != sync::StopPhase::Reading) {
                l.push(field("", stats_text(&c.stats, "failed")));
            }
        }
        None => l.push(field("last cycle", "no cycle yet".to_owned())),
    }
    // A provision on demand is one object's run, not a cycle: said apart.
    if let Some(c) = &s.last_on_demand {
        l.push(field(
            "last on-demand",
            format!(
                "{} (nowsync provision), {}: {}",
                c.id,
                super::logs::short_time(&c.started),
                stats_text(&c.stats, "failed")
            ),
        ));
    }
    if s.cycles > 0 {
        l.push(field(
            "to date",
            // Failures to date are the objects failing now, each once (`sync::Status::to_date`).
            format!(
                "{} ({})",
                stats_text(&s.to_date, "failing now"),
                count(s.cycles, "cycle", "cycles")
            ),
        ));
    }
}

/// Held ops `status` names one by one; the rest are counted (acceptance N13: 1,721 lines).
const HELD_SHOWN: usize = 10;

/// What the deletion threshold holds, counted by kind, then the first few (users and groups
/// before their memberships) and where to see them all.
fn push_staged(l: &mut Lines, s: &sync::Status) {
    let Some(words) = s.held.words() else {
        l.push(field("held", "nothing".to_owned()));
        return;
    };
    l.push(field(
        "held",
        format!("{words} by the deletion threshold (`nowsync allow-deletes` applies them)"),
    ));
    let mut shown: Vec<&sync::StagedOp> = s.staged_deletions.iter().collect();
    shown.sort_by_key(|d| d.held == sync::Held::RemoveMember);
    for d in shown.iter().take(HELD_SHOWN) {
        l.push(format!(
            "{:<14}{} {} {}",
            "", d.held, d.row.object_type, d.row.source_name
        ));
    }
    let more = shown.len().saturating_sub(HELD_SHOWN);
    if more > 0 {
        let cycles: std::collections::BTreeSet<i64> = s.staged_deletions.iter().map(|d| d.row.cycle_id).collect();
        let cycle = cycles.last().map_or(String::new(), |c| format!(" --cycle {c}"));
        l.push(format!(
            "{:<14}… and {more} more: `nowsync status --json` lists every one, `nowsync logs --action StagedDelete{cycle}` as the cycle held them",
            ""
        ));
    }
}

/// The last reconciliation and when the next is due, in words.
fn reconcile_text(r: &sync::Reconciliation) -> String {
    let last = r.last.as_deref().map_or("none recorded".to_owned(), |t| {
        format!("last {}", super::logs::short_time(t))
    });
    let next = match (&r.next_due, r.every_hours) {
        (_, 0) => "never by itself (reconcile_hours = 0; `nowsync sync --once --reconcile` runs one)".to_owned(),
        (Some(t), h) if !r.due => format!(
            "next due {} (every {h} h, reconcile_hours; the first cycle after it reads both sides whole)",
            super::logs::short_time(t)
        ),
        (_, h) => format!("due: the next cycle reads both sides whole (every {h} h, reconcile_hours)"),
    };
    format!("{last}; {next}")
}

/// A cycle's statistics in words: `created 3, updated 1, failed 0, …`; `failed` is the word
/// for the failures.
fn stats_text(stats: &Value, failed: &str) -> String {
    const WORDS: [(&str, &str); 9] = [
        ("created", "created"),
        ("updated", "updated"),
        ("disabled", "disabled"),
        ("deleted", "deleted"),
        ("members_added", "members added"),
        ("members_removed", "members removed"),
        ("skipped", "skipped"),
        ("failed", "failed"),
        ("staged_deletes", "staged"),
    ];
    // A count the statistics do not hold is not said (to date has no `skipped`).
    let mut parts: Vec<String> = WORDS
        .iter()
        .filter_map(|(key, word)| {
            let word = if *key == "failed" { failed } else { word };
            Some(format!("{word} {}", stats.get(*key)?.as_u64()?))
        })
        .collect();
    if let Some(writes) = stats.get("writes").and_then(Value::as_u64) {
        parts.push(count(writes, "write", "writes"));
    }
    parts.join(", ")
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
        Err(e) => return super::fail(&e),
    };
    let result = Store::open(data_dir, profile).and_then(|s| s.reset(reset));
    if let Err(e) = result {
        return super::fail(&e);
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
    let staged =
        match Store::open_read_only(data_dir, &profile.name).and_then(|s| s.map_or(Ok(Vec::new()), |s| s.staged())) {
            Ok(rows) => rows.into_iter().map(sync::StagedOp::from).collect::<Vec<_>>(),
            Err(e) => return super::fail(&e),
        };
    let Some(staged) = sync::HeldCounts::of(&staged).words() else {
        println!("nothing is held by the deletion threshold");
        return Exit::Success;
    };
    let handle = match Handle::start(profile, credentials, sync::Options::new(data_dir)) {
        Ok(h) => h,
        Err(e) => return super::fail(&e),
    };
    let mut rx = handle.subscribe();
    println!("applying what the deletion threshold held: {staged}");
    handle.send(Command::AllowDeletes);
    let exit = super::sync::follow(&mut rx, false).await;
    handle.shutdown().await;
    exit
}

/// What the deletion threshold holds, in words (read only: also while an engine runs);
/// `None` when nothing is held.
pub(super) fn held_now(data_dir: &Path, profile: &str) -> Result<Option<String>, Exit> {
    let staged = Store::open_read_only(data_dir, profile)
        .and_then(|s| s.map_or(Ok(Vec::new()), |s| s.staged()))
        .map_err(|e| super::fail(&e))?;
    let ops: Vec<sync::StagedOp> = staged.into_iter().map(sync::StagedOp::from).collect();
    Ok(sync::HeldCounts::of(&ops).words())
}

#[cfg(test)]
#[path = "ops_tests.rs"]
mod tests;
