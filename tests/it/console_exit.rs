//! End to end in tmux: however the demo ends — SIGHUP, SIGTERM, Ctrl-C, its terminal closed
//! (a dropped SSH connection), before or after the wizard was saved again — the terminal is
//! restored and the demo's temporary data dir is removed.
//!
//! Needs tmux (DESIGN.md "Testing": a fresh machine of ours has it; `.ci/run` installs it).

use std::process::Command;
use std::time::{Duration, Instant};

use crate::console::{Tmux, walk_wizard};
use crate::support::BIN;

/// Starts `nowsync demo` in tmux with its own TMPDIR, sends `signal` to it once the wizard
/// shows, and checks that the terminal is restored and the demo's temporary data dir is gone.
fn demo_ends_cleanly_on(signal: &str) {
    demo_ends_cleanly_after(signal, |_| {});
}

/// As `demo_ends_cleanly_on`, with `before` done in the console before the signal.
fn demo_ends_cleanly_after(signal: &str, before: impl FnOnce(&Tmux)) {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let demo_tmp = tmp.path().join("tmp");
    std::fs::create_dir(&demo_tmp).unwrap();
    let pid_file = tmp.path().join("pid");
    let command = format!(
        "{BIN} demo & echo $! > '{}'; wait $!; echo NOWSYNC-EXIT=$?; sleep 600",
        pid_file.display()
    );
    let data = data.display().to_string();
    let tmpdir = demo_tmp.display().to_string();
    // Without colours (NO_COLOR) the console must still start, draw and restore.
    let tmux = Tmux::start(
        &command,
        &[("NOWSYNC_DATA_DIR", &data), ("NO_COLOR", "1"), ("TMPDIR", &tmpdir)],
    );
    tmux.wait_for("wizard", &["Step 1 of 6"], Duration::from_secs(30));
    before(&tmux);
    // The shell wrote the console's pid; `sh -c kill` needs no procps on the machine.
    let pid = std::fs::read_to_string(&pid_file).unwrap().trim().to_owned();
    assert!(
        pid.chars().all(|c| c.is_ascii_digit()) && !pid.is_empty(),
        "pid file: {pid:?}"
    );
    let demo_dir = demo_tmp.join(format!("nowsync-demo-{pid}"));
    assert!(
        demo_dir.is_dir(),
        "the demo's data dir is in TMPDIR: {}",
        demo_dir.display()
    );
    let killed = Command::new("sh")
        .args(["-c", &format!("kill -{signal} {pid}")])
        .status()
        .unwrap();
    assert!(killed.success());
    tmux.wait_for(
        &format!("restored after SIG{signal}"),
        &["NOWSYNC-EXIT=0"],
        Duration::from_secs(30),
    );
    assert_eq!(tmux.display("#{alternate_on}"), "0");
    assert!(
        !demo_dir.exists(),
        "SIG{signal} left the demo's temporary data dir {}",
        demo_dir.display()
    );
}

#[test]
fn sighup_restores_the_terminal_and_removes_the_demo_dir() {
    demo_ends_cleanly_on("HUP");
}

/// The wizard saved, then saved again (the engine started twice): SIGHUP still restores the
/// terminal and removes the demo's data dir.
#[test]
fn sighup_after_a_resave_removes_the_demo_dir() {
    demo_ends_cleanly_after("HUP", |tmux| {
        walk_wizard(tmux);
        resave(tmux);
    });
}

/// The wizard reopened from the dashboard and saved again, the engine started again.
fn resave(tmux: &Tmux) {
    let long = Duration::from_secs(30);
    tmux.keys(&["8"]);
    tmux.wait_for("the wizard reopened", &["[8 Setup]", "Step "], long);
    tmux.keys(&["PageDown", "PageDown", "PageDown", "PageDown", "PageDown"]);
    tmux.wait_for("review", &["Step 6 of 6 · Review and save", "Enter saves."], long);
    tmux.keys(&["Enter"]);
    tmux.wait_for("saved again", &["Make a dry run now"], long);
    tmux.keys(&["n"]);
    tmux.wait_for("the engine runs again", &["Engine started"], long);
}

#[test]
fn sigterm_and_ctrl_c_remove_the_demo_dir() {
    demo_ends_cleanly_on("TERM");
    demo_ends_cleanly_on("INT");
}

/// A dropped SSH connection: the terminal goes away (the kernel's SIGHUP, writes fail); the
/// demo's temporary data dir is removed all the same.
#[test]
fn a_closed_terminal_removes_the_demo_dir() {
    a_closed_terminal_removes_the_demo_dir_after(|_| {});
}

/// `tmux kill-session` of a demo whose wizard was saved and saved again.
#[test]
fn a_closed_terminal_after_a_resave_removes_the_demo_dir() {
    a_closed_terminal_removes_the_demo_dir_after(|tmux| {
        walk_wizard(tmux);
        resave(tmux);
    });
}

fn a_closed_terminal_removes_the_demo_dir_after(before: impl FnOnce(&Tmux)) {
    let tmp = tempfile::tempdir().unwrap();
    let tmpdir = tmp.path().display().to_string();
    let tmux = Tmux::start(&format!("{BIN} demo"), &[("TMPDIR", &tmpdir), ("NO_COLOR", "1")]);
    tmux.wait_for("wizard", &["Step 1 of 6"], Duration::from_secs(30));
    before(&tmux);
    let demo_dirs = || {
        std::fs::read_dir(tmp.path())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with("nowsync-demo-"))
            .count()
    };
    assert_eq!(demo_dirs(), 1, "the demo's data dir is in TMPDIR");
    drop(tmux);
    let start = Instant::now();
    while demo_dirs() > 0 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the demo's data dir is left after its terminal closed: {:?}",
            left(tmp.path())
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Every path under `dir`, for a failure's message.
fn left(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path.clone());
            }
            found.push(path);
        }
    }
    found
}
