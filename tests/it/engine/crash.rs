//! Killed with SIGKILL at 50 points — 25 in the initial cycle, 25 in an incremental one — and
//! restarted each time, the engine converges to the state of an uninterrupted run: no
//! duplicate users, groups or memberships, nothing lost. Each kill is checked to have landed
//! mid-cycle, with writes going on: the simulator's write counter moved since the process
//! started, and the process had not finished. `#[ignore]`d (a couple of minutes): `.ci/run`
//! runs it by name.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use super::super::support::BIN;
use super::{Env, setup};

const KILLS_PER_CYCLE: u64 = 25;

/// Many new assigned users, each a member of one of the first assigned groups: an
/// incremental cycle with enough writes for its kills.
async fn change(env: &Env) {
    let scope = env.graph.assigned_scope().await.unwrap();
    let mut groups: Vec<&String> = scope.groups.keys().collect();
    groups.sort();
    for n in 0..200 {
        let id = env
            .new_assigned_user(&format!("crash.new.{n}@nowsync.test"), json!({}))
            .await;
        let group = groups[n % groups.len().min(4)];
        let body = json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}")});
        env.graph_write(Method::POST, &format!("/groups/{group}/members/$ref"), body)
            .await;
    }
}

/// One `sync --once`, killed once the simulator counted `writes` more writes. Returns
/// (writes counted when the kill was sent, whether the process was still running then).
pub(super) async fn kill_after(env: &Env, writes: u64) -> (u64, bool) {
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.arg("--config")
        .arg(env.ws.config())
        .arg("--data-dir")
        .arg(env.ws.data_dir())
        .args(["sync", "--once"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    for (k, v) in &env.env {
        cmd.env(k, v);
    }
    let before = env.writes().await;
    let mut child = cmd.spawn().unwrap();
    while env.writes().await < before + writes && child.try_wait().unwrap().is_none() {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let running = child.try_wait().unwrap().is_none();
    child.start_kill().unwrap();
    let _ = child.wait().await;
    (env.writes().await - before, running)
}

/// `KILLS_PER_CYCLE` kills of one cycle, then a run to the end. Each run resumes what the one
/// before left, so a kill after an even share of the cycle's `total` writes (the uninterrupted
/// run's count, less the ~3 writes still in flight when a kill lands) moves a little further on
/// each time: the kills spread over the write phases (users, groups, memberships, managers),
/// mid-request included. The margin of five shares keeps the last kills inside the cycle.
async fn kills(env: &Env, cycle: &str, total: u64, landed: &mut Vec<(String, u64, u64)>) {
    let share = (total / (KILLS_PER_CYCLE + 5)).saturating_sub(3).max(1);
    for i in 0..KILLS_PER_CYCLE {
        let target = share + i % 2;
        let (moved, running) = kill_after(env, target).await;
        assert!(
            running && moved >= target,
            "{cycle} kill {i}: landed after the cycle ended ({moved} writes of {target})"
        );
        landed.push((cycle.to_owned(), i, moved));
        // `state` panics on any duplicate row.
        env.state().await;
    }
    let (_, done) = env.sync(&[]).await;
    assert!(done["stats"].is_object(), "{done}");
}

#[tokio::test]
#[ignore = "minutes: run by name from .ci/run"]
async fn sigkill_at_fifty_points_over_initial_and_incremental_cycles_converges() {
    // The reference: uninterrupted runs on the same world (same seed and sizes).
    let reference = setup(400, 30, 60, 3).await;
    let start = reference.writes().await;
    reference.sync(&[]).await;
    let initial_writes = reference.writes().await - start;
    change(&reference).await;
    let start = reference.writes().await;
    let (_, r) = reference.sync(&[]).await;
    let incremental_writes = reference.writes().await - start;
    assert_eq!(r["kind"], "incremental");
    let expected = reference.state().await;

    let env = setup(400, 30, 60, 3).await;
    let mut landed = Vec::new();
    kills(&env, "initial", initial_writes, &mut landed).await;
    change(&env).await;
    kills(&env, "incremental", incremental_writes, &mut landed).await;
    assert_eq!(env.state().await, expected);
    // And it stays there.
    env.reset_stats().await;
    let (_, quiet) = env.sync(&[]).await;
    assert_eq!(quiet["kind"], "incremental");
    assert_eq!(env.writes().await, 0, "{quiet}");
    let moved: Vec<String> = landed.iter().map(|(c, i, m)| format!("{c}#{i}:{m}")).collect();
    println!(
        "50 SIGKILLs (400 users, 30 groups, 60 pre-existing rows, 3 ms latency; uninterrupted: {initial_writes} initial, {incremental_writes} incremental writes), writes seen between start and kill: {}",
        moved.join(" ")
    );
}
