//! Issue 17, a full disk: the data dir on a small tmpfs (mounting needs root: `#[ignore]`d,
//! run by name from `.ci/run`, which runs as root), filled up so the state database runs out
//! of space during the initial cycle. The cycle stops with a clear error (the full disk named,
//! not a panic); once space returns, the next cycle ends at the state of a run that never
//! lacked it.

use std::process::Command;

use super::super::support::text;
use super::setup;

/// A tmpfs mounted on a directory for the test's life.
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(dir: &std::path::Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(dir).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0700"), "tmpfs"])
            .arg(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "mounting a tmpfs needs root (.ci/run runs as root): {}",
            text(&out.stderr)
        );
        Tmpfs(dir.to_owned())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Bytes free on the file system of `dir`, from `df`.
fn free_bytes(dir: &std::path::Path) -> u64 {
    let out = Command::new("df")
        .args(["--output=avail", "-B1"])
        .arg(dir)
        .output()
        .unwrap();
    text(&out.stdout)
        .lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .unwrap()
}

#[tokio::test]
#[ignore = "mounts a tmpfs (root): run by name from .ci/run"]
async fn a_full_disk_stops_the_cycle_clearly_and_the_next_one_ends_at_the_fault_free_state() {
    let reference = setup(300, 20, 30, 0).await;
    reference.sync(&[]).await;
    let expected = reference.state().await;

    let env = setup(300, 20, 30, 0).await;
    let data = env.ws.data_dir();
    let _mount = Tmpfs::mount(&data, "16m");
    // A dry run creates the state database; then only a little room is left, so the real
    // cycle runs out of it mid-way, with writes already sent.
    let (_, dry) = env.sync(&["--dry-run"]).await;
    assert!(dry["plan"].is_array(), "{dry}");
    let filler = data.join("filler");
    // The WAL takes a few pages per write (intent, link, log record): 1 MB is spent mid-cycle.
    let room = 1024 * 1024;
    let fill = free_bytes(&data).saturating_sub(room);
    std::fs::write(&filler, vec![0u8; usize::try_from(fill).unwrap()]).unwrap();

    let out = env.nowsync(&["sync", "--once"]).await;
    let stderr = text(&out.stderr);
    let code = out.status.code();
    assert!(
        matches!(code, Some(c) if (1..=4).contains(&c)),
        "a typed failure, not a crash: {code:?} {stderr}"
    );
    assert!(
        stderr.contains("full") || stderr.contains("No space left"),
        "the full disk is named: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let written = env.writes().await;
    assert!(written > 0, "the disk filled while writes were being sent: {stderr}");

    std::fs::remove_file(&filler).unwrap();
    let (_, next) = env.sync(&[]).await;
    assert!(next["stats"].is_object(), "{next}");
    assert_eq!(env.state().await, expected, "the fault-free state after space returned");
    env.reset_stats().await;
    env.sync(&[]).await;
    assert_eq!(env.writes().await, 0, "quiet after");
    println!(
        "disk full (300 users, 20 groups, 30 pre-existing rows; 1 MB left on a tmpfs): exit {code:?} after {written} writes, stderr: {}",
        stderr.trim()
    );
}
