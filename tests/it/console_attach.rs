//! Survive an SSH drop (issue 15), end to end with the real binary in tmux: `nowsync run`
//! cycles against the simulators with latency; a console opened on the profile attaches to
//! it and shows the cycle moving; its tmux session is killed mid-cycle (SIGHUP, as a dropped
//! SSH connection); the cycle completes to the state of an uninterrupted one; a new console
//! attaches and shows the finished cycle in its history and the log backlog. And the
//! console's own engine: it serves its socket, ends with the console on SIGHUP unless the
//! profile keeps provisioning in the background, in which case it goes on.

use std::path::Path;
use std::time::{Duration, Instant};

use nowsync::door::proto::ServerFrame;
use nowsync::door::{Client, socket_path};
use nowsync::sync::{Command, SyncEvent};

use crate::console::on_profile;
use crate::engine::{Env, setup};

/// The pane's `done/total objects`, if it shows progress.
fn progress(pane: &str) -> Option<(u64, u64)> {
    let at = pane.find(" objects")?;
    let figures = pane[..at].rsplit(' ').next()?;
    let (done, total) = figures.split_once('/')?;
    Some((done.parse().ok()?, total.parse().ok()?))
}

/// The blocking probe, until `want` holds of what serves the socket (or panics after 60 s).
fn await_socket(path: &Path, what: &str, want: impl Fn(Option<&nowsync::door::proto::EngineInfo>) -> bool) {
    let start = Instant::now();
    loop {
        let info = nowsync::door::client::probe(path);
        if want(info.as_ref()) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "waited 60 s for {what}: {info:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Ends whatever engine serves the socket when the test ends, passed or not.
struct StopEngine(std::path::PathBuf);

impl Drop for StopEngine {
    fn drop(&mut self) {
        if let Some(info) = nowsync::door::client::probe(&self.0) {
            let _ = std::process::Command::new("kill").arg(info.pid.to_string()).status();
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ssh_drop_mid_cycle_leaves_the_engine_cycling_and_a_new_console_sees_it_finished() {
    // 40 ms per request in 4 slots: the initial cycle takes several seconds.
    let (users, groups, snow_users, latency) = (300, 30, 40, 40);
    let reference = setup(users, groups, snow_users, latency).await;
    reference.sync(&[]).await;
    let expected = reference.state().await;
    drop(reference);

    let env = setup(users, groups, snow_users, latency).await;
    let mut run = crate::engine::socket::spawn_run(&env);
    let path = crate::engine::socket::socket_of(&env).await;
    let _stop = StopEngine(path.clone());
    // A watcher of our own sees the cycle end whatever the consoles do.
    let (mut watcher, _) = Client::attach(&path, "watcher").await.unwrap();
    let (done_tx, mut done_rx) = tokio::sync::watch::channel(None);
    tokio::spawn(async move {
        while let Ok(frame) = watcher.next().await {
            if let ServerFrame::Event {
                event: SyncEvent::CycleFinished {
                    dry_run: false, stats, ..
                },
            } = frame
            {
                let _ = done_tx.send(Some(stats));
            }
        }
    });

    let first = on_profile(&env, "");
    let (before, moved) = tokio::task::spawn_blocking(move || {
        let long = Duration::from_secs(60);
        first.wait_for(
            "attached",
            &["attached to the running engine (pid", "started by hand"],
            long,
        );
        let pane = first.wait_for("progress", &["Progress", " objects"], long);
        let before = progress(&pane).expect("progress shown");
        let start = Instant::now();
        let moved = loop {
            let now = progress(&first.capture()).unwrap_or(before);
            if now.0 > before.0 || start.elapsed() > Duration::from_secs(20) {
                break now;
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        // The SSH connection drops: the console's terminal hangs up.
        first.cmd(&["kill-session", "-t", "e2e"]);
        (before, moved)
    })
    .await
    .unwrap();
    assert!(moved.0 > before.0, "the progress moves: {before:?} then {moved:?}");
    assert!(
        done_rx.borrow().is_none(),
        "the console left mid-cycle ({moved:?} of the objects done)"
    );

    let stats = tokio::time::timeout(Duration::from_secs(120), done_rx.wait_for(Option::is_some))
        .await
        .expect("the cycle completes after the console left")
        .unwrap()
        .clone()
        .unwrap();
    assert!(stats.created > 0, "{stats:?}");
    assert!(run.try_wait().unwrap().is_none(), "run goes on");
    assert_eq!(env.state().await, expected, "the same state as an uninterrupted cycle");

    let second = on_profile(&env, "attach");
    let pane = tokio::task::spawn_blocking(move || {
        let long = Duration::from_secs(60);
        second.wait_for(
            "a new console, attached, with the finished cycle",
            // "1 cycle" once the history is read ("To date" is drawn before, while it reads).
            &["attached to the running engine (pid", "cycle 1 finished", "1 cycle"],
            long,
        )
    })
    .await
    .unwrap();
    assert!(
        pane.contains("Last       cycle 1 (initial"),
        "the Last row is the finished cycle, from the store:\n{pane}"
    );

    let (mut client, _) = Client::attach(&path, "test").await.unwrap();
    client.command(Command::Stop).await.unwrap();
    let out = tokio::time::timeout(Duration::from_secs(30), run.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(out.code(), Some(0 | 1)), "{out:?}");
}

fn keep_in_background(env: &Env, keep: bool) {
    crate::engine::socket::set_provisioning(env, &format!("enabled = true\nkeep_in_background = {keep}\n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_consoles_engine_survives_sighup_only_when_kept_in_the_background() {
    let env = setup(100, 10, 10, 0).await;
    let path = socket_path(&env.ws.data_dir(), "default");
    let _stop = StopEngine(path.clone());

    // Kept in the background: the console starts `nowsync run` and attaches to it.
    keep_in_background(&env, true);
    let tmux = on_profile(&env, "");
    let p = path.clone();
    let engine = tokio::task::spawn_blocking(move || {
        tmux.wait_for(
            "attached to its background engine",
            &[
                "attached to the running engine (pid",
                "started in the background by a console)",
            ],
            Duration::from_secs(60),
        );
        let engine = nowsync::door::client::probe(&p).expect("the background engine serves");
        tmux.cmd(&["kill-session", "-t", "e2e"]);
        engine
    })
    .await
    .unwrap();
    assert_eq!(engine.started_by, "background");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = nowsync::door::client::probe(&path).expect("still served after the hang-up");
    assert_eq!(after.pid, engine.pid, "the same engine goes on");
    let (mut client, _) = Client::attach(&path, "test").await.unwrap();
    client.command(Command::Stop).await.unwrap();
    let p = path.clone();
    tokio::task::spawn_blocking(move || await_socket(&p, "the stopped engine's socket to go", |i| i.is_none()))
        .await
        .unwrap();

    // Not kept: the engine is the console's own, serves the socket, and ends with it.
    keep_in_background(&env, false);
    let tmux = on_profile(&env, "");
    let p = path.clone();
    tokio::task::spawn_blocking(move || {
        tmux.wait_for("its own engine", &["in this console"], Duration::from_secs(60));
        await_socket(&p, "the console's engine to serve", |i| {
            i.is_some_and(|i| i.started_by == "console")
        });
        tmux.cmd(&["kill-session", "-t", "e2e"]);
        await_socket(&p, "the console's engine to end with it", |i| i.is_none());
    })
    .await
    .unwrap();
}

/// The wizard saved again in a console whose engine is its own (another console attached):
/// the engine starts again in this console (not attached to through its own socket), its
/// socket is served again by this process, and quitting asks whether to keep it.
#[tokio::test(flavor = "multi_thread")]
async fn a_wizard_resave_keeps_the_consoles_own_engine_its_own() {
    let env = setup(100, 10, 10, 0).await;
    let path = socket_path(&env.ws.data_dir(), "default");
    let _stop = StopEngine(path.clone());
    keep_in_background(&env, false);
    let tmux = on_profile(&env, "");
    let p = path.clone();
    let (first, after, pane, asked) = tokio::task::spawn_blocking(move || {
        let long = Duration::from_secs(60);
        tmux.wait_for("its own engine", &["in this console", "Engine started"], long);
        await_socket(&p, "the console's engine to serve", |i| {
            i.is_some_and(|i| i.started_by == "console")
        });
        let first = nowsync::door::client::probe(&p).expect("served");
        tmux.keys(&["8"]);
        tmux.wait_for("the wizard reopened", &["[8 Setup]", "Step "], long);
        tmux.keys(&["PageDown", "PageDown", "PageDown", "PageDown", "PageDown"]);
        tmux.wait_for("review", &["Step 6 of 6 · Review and save", "Enter saves."], long);
        tmux.keys(&["Enter"]);
        // A save while the first cycle still runs asks first (acceptance F30): yes.
        std::thread::sleep(Duration::from_secs(1));
        if tmux.capture().contains("Save now?") {
            tmux.keys(&["y"]);
        }
        // The status says so only until the restarted engine's first cycle: the log says it.
        tmux.wait_for("saved again", &["[1 Dashboard]", "engine: Stopped"], long);
        std::thread::sleep(Duration::from_secs(2));
        let pane = tmux.wait_for("the engine started again", &["[1 Dashboard]", "Engine "], long);
        await_socket(&p, "the socket served again", |i| i.is_some());
        let after = nowsync::door::client::probe(&p).expect("served again");
        tmux.keys(&["q"]);
        let asked = tmux.wait_for("the keep question", &["Keep provisioning in the background?"], long);
        tmux.keys(&["n"]);
        await_socket(&p, "the console's engine to end with it", |i| i.is_none());
        (first, after, pane, asked)
    })
    .await
    .unwrap();
    assert!(pane.contains("in this console"), "still its own engine:\n{pane}");
    assert!(
        !pane.contains("attached to the running engine"),
        "not attached to itself:\n{pane}"
    );
    assert_eq!(
        (after.pid, after.started_by.as_str()),
        (first.pid, "console"),
        "{after:?}"
    );
    assert!(asked.contains("Keep provisioning"), "{asked}");
}

/// Acceptance pass (issue 14): console A owns the engine, console B is attached to it. A's
/// wizard re-save restarts A's engine: B says the engine has gone and `c` attaches it again
/// to the engine serving the profile now, without quitting; A no longer offers the plan of
/// its engine before the restart.
#[tokio::test(flavor = "multi_thread")]
async fn an_attached_console_attaches_again_after_the_owners_engine_restarts() {
    let env = setup(100, 10, 10, 0).await;
    let path = socket_path(&env.ws.data_dir(), "default");
    let _stop = StopEngine(path.clone());
    // Provisioning off: no cycle of its own runs to replace the plans the test reads.
    let config = std::fs::read_to_string(env.ws.config()).unwrap();
    let base = config
        .split("\n[profiles.default.provisioning]")
        .next()
        .unwrap()
        .to_owned();
    env.ws.write_config(&format!(
        "{base}\n[profiles.default.provisioning]\nenabled = false\nkeep_in_background = false\n"
    ));
    let a = on_profile(&env, "");
    let p = path.clone();
    let a = tokio::task::spawn_blocking(move || {
        a.wait_for(
            "A's own engine",
            &["in this console", "Engine started"],
            Duration::from_secs(60),
        );
        await_socket(&p, "A's engine to serve", |i| {
            i.is_some_and(|i| i.started_by == "console")
        });
        a.keys(&["d"]);
        a.wait_for(
            "A's dry run",
            &["ready (", "a opens it, A there applies it"],
            Duration::from_secs(60),
        );
        a
    })
    .await
    .unwrap();
    let b = on_profile(&env, "attach");
    let (a, b, gone, again, restarted) = tokio::task::spawn_blocking(move || {
        let long = Duration::from_secs(60);
        b.wait_for(
            "B attached, with A's plan",
            &["attached to the running engine (pid", "A there applies it"],
            long,
        );
        // A's wizard, saved again: A's engine restarts in A's process.
        a.keys(&["8"]);
        a.wait_for("the wizard reopened", &["[8 Setup]", "Step "], long);
        a.keys(&["PageDown", "PageDown", "PageDown", "PageDown", "PageDown"]);
        a.wait_for("review", &["Step 6 of 6 · Review and save", "Enter saves."], long);
        a.keys(&["Enter"]);
        a.wait_for("A's dry-run offer", &["Make a dry run now"], long);
        a.keys(&["n"]);
        let restarted = a.wait_for("A's engine again", &["[1 Dashboard]", "in this console"], long);
        let gone = b.wait_for(
            "B sees the engine gone",
            &["c attach again", "c attaches to the one serving"],
            long,
        );
        b.keys(&["c"]);
        let again = b.wait_for(
            "B attached again",
            &["attached to the running engine (pid", "no plan yet: d makes a dry run"],
            long,
        );
        (a, b, gone, again, restarted)
    })
    .await
    .unwrap();
    assert!(
        restarted.contains("out of date (the engine restarted since it was made)")
            && !restarted.contains("A there applies it"),
        "A offers no plan of its engine before:\n{restarted}"
    );
    assert!(gone.contains("gone (stopped or restarted)"), "{gone}");
    assert!(
        !again.contains("c attach again") && !again.contains("A there applies it"),
        "{again}"
    );
    // B's commands reach the new engine: its dry run shows in both consoles.
    let b = tokio::task::spawn_blocking(move || {
        b.keys(&["d"]);
        b.wait_for(
            "B's dry run",
            &["ready (", "a opens it, A there applies it"],
            Duration::from_secs(60),
        );
        a.wait_for(
            "A sees it",
            &["ready (", "a opens it, A there applies it"],
            Duration::from_secs(60),
        );
        a.keys(&["q"]);
        a.wait_for(
            "the keep question",
            &["Keep provisioning in the background?"],
            Duration::from_secs(60),
        );
        a.keys(&["n"]);
        b
    })
    .await
    .unwrap();
    drop(b);
}
