//! Killed with SIGKILL at many points of an initial cycle and restarted each time, the engine
//! converges to the state of an uninterrupted run: no duplicate users, groups or memberships.

use std::time::Duration;

use super::super::support::BIN;
use super::setup;

#[tokio::test]
async fn sigkill_at_twenty_points_then_restart_converges_without_duplicates() {
    // The reference: one uninterrupted run on the same world (same seed and sizes).
    let reference = setup(400, 30, 60, 3).await;
    reference.sync(&[]).await;
    let expected = reference.state().await;

    let env = setup(400, 30, 60, 3).await;
    for i in 0..20u64 {
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
        // Kill after a few more writes each time, so the kills land all over the write
        // phases (users, groups, memberships, managers), mid-request included.
        let after = before + 2 + (i % 4) * 3;
        while env.writes().await < after && child.try_wait().unwrap().is_none() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        child.start_kill().unwrap();
        let _ = child.wait().await;
        // `state` panics on any duplicate row.
        env.state().await;
    }
    let (_, last) = env.sync(&[]).await;
    assert!(last["stats"].is_object());
    assert_eq!(env.state().await, expected);
    // And it stays there.
    env.reset_stats().await;
    env.sync(&[]).await;
    assert_eq!(env.writes().await, 0);
}
