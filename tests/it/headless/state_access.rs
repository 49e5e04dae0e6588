//! `logs`, `links` and `status` only read: they never create or migrate a state database,
//! work on a read-only data dir, and say "no state yet" when there is none. A cycle and the
//! readers started at the same moment on a fresh data dir all succeed (issue 17, defect 3).

use super::super::engine::setup;
use super::super::support::text;
use super::run_in;

/// 20 trials: `sync --once` and `status`, `logs`, `links` started together on a fresh data
/// dir. Before migrations ran in one `BEGIN IMMEDIATE` transaction and the readers opened the
/// database read-only, most trials failed with "table ... already exists" or "database is
/// locked".
#[tokio::test]
async fn a_cycle_and_the_readers_started_together_on_a_fresh_data_dir_all_succeed() {
    let env = setup(40, 8, 0, 0).await;
    for trial in 0..20 {
        let dir = env.ws.dir.path().join(format!("trial-{trial}"));
        let runs: [&[&str]; 6] = [
            &["sync", "--once"],
            &["status"],
            &["logs"],
            &["links"],
            &["logs", "--format", "json"],
            &["status", "--json"],
        ];
        let outs = futures_util::future::join_all(runs.iter().map(|a| run_in(&env, &dir, a))).await;
        for (args, out) in runs.iter().zip(&outs) {
            let code = out.status.code();
            let ok = if args[0] == "sync" {
                matches!(code, Some(0 | 1))
            } else {
                code == Some(0)
            };
            assert!(
                ok,
                "trial {trial}: {args:?} exited {code:?}\nstdout {}\nstderr {}",
                text(&out.stdout),
                text(&out.stderr)
            );
        }
    }
}

/// With no state database, the readers say so on stderr, exit 0, and create nothing: not the
/// database, not the data dir, not its log dir.
#[tokio::test]
async fn the_readers_on_a_new_profile_say_no_state_yet_and_create_nothing() {
    let env = setup(20, 4, 0, 0).await;
    let dir = env.ws.dir.path().join("never-made");
    for args in [
        &["logs"][..],
        &["links"],
        &["status"],
        &["status", "--json"],
        &["logs", "--escrow"],
    ] {
        let out = run_in(&env, &dir, args).await;
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("no state yet"),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(!dir.exists(), "{args:?} created {}", dir.display());
    }
    let out = run_in(&env, &dir, &["status"]).await;
    assert!(text(&out.stdout).contains("no cycle yet"), "{}", text(&out.stdout));
}

/// A data dir the reader may not write to (owned by another account, mode 0500, files 0400):
/// `logs`, `links` and `status` read it and change nothing in it. As root (CI), the readers
/// run as `nobody` through `setpriv`, since root writes anywhere.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn the_readers_work_on_a_read_only_data_dir() {
    use std::os::unix::fs::PermissionsExt;
    let env = setup(40, 8, 0, 0).await;
    let dir = env.ws.dir.path().join("ro");
    let out = run_in(&env, &dir, &["sync", "--once"]).await;
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", text(&out.stderr));
    let expected = run_in(&env, &dir, &["links", "--format", "json"]).await;
    let root =
        String::from_utf8_lossy(&std::process::Command::new("id").arg("-u").output().unwrap().stdout).trim() == "0";
    // Everyone may reach the config file (it holds no secret: they come from the environment).
    std::fs::set_permissions(env.ws.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(env.ws.config(), std::fs::Permissions::from_mode(0o644)).unwrap();
    if root {
        let chown = std::process::Command::new("chown")
            .arg("-R")
            .arg("65534:65534")
            .arg(&dir)
            .status()
            .unwrap();
        assert!(chown.success());
    }
    let chmod = std::process::Command::new("chmod")
        .arg("-R")
        .arg("a-w")
        .arg(&dir)
        .status()
        .unwrap();
    assert!(chmod.success());
    let before = snapshot(&dir);
    for args in [
        &["logs"][..],
        &["logs", "--format", "csv"],
        &["links"],
        &["status"],
        &["status", "--json"],
    ] {
        let out = run_as_reader(&env, &dir, args, root).await;
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out.stderr));
        assert!(!out.stdout.is_empty(), "{args:?} printed nothing");
        assert!(!text(&out.stderr).contains("no state yet"), "{}", text(&out.stderr));
    }
    let links = run_as_reader(&env, &dir, &["links", "--format", "json"], root).await;
    assert_eq!(text(&links.stdout), text(&expected.stdout));
    assert_eq!(snapshot(&dir), before, "a reader changed the read-only data dir");
    // Let the temp dir be removed.
    let _ = std::process::Command::new("chmod")
        .arg("-R")
        .arg("u+w")
        .arg(&dir)
        .status();
}

/// Every file under `dir` with its size and modification time.
fn snapshot(dir: &std::path::Path) -> Vec<(std::path::PathBuf, u64, std::time::SystemTime)> {
    let mut files: Vec<_> = super::super::support::files_under(dir)
        .into_iter()
        .map(|p| {
            let m = std::fs::metadata(&p).unwrap();
            (p, m.len(), m.modified().unwrap())
        })
        .collect();
    files.sort();
    files
}

/// Runs a reader as the data dir's owner would not: as `nobody` when the test runs as root.
async fn run_as_reader(
    env: &super::super::engine::Env,
    dir: &std::path::Path,
    args: &[&str],
    root: bool,
) -> std::process::Output {
    if !root {
        return run_in(env, dir, args).await;
    }
    let mut cmd = tokio::process::Command::new("setpriv");
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(super::super::support::BIN)
        .arg("--config")
        .arg(env.ws.config())
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .stdin(std::process::Stdio::null())
        .env_remove("NOWSYNC_DATA_DIR");
    for (k, v) in &env.env {
        cmd.env(k, v);
    }
    cmd.output().await.unwrap()
}
