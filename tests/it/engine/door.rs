//! `sync::Handle` in process (the console's door): events and answers, the profile lock
//! refusing a second engine, and `run` stopping cleanly on SIGTERM.

use std::time::Duration;

use nowsync::sync::{self, Answer, Command, Handle, SyncEvent};

use super::super::support::{BIN, text};
use super::{next_event, setup};

#[tokio::test]
async fn the_handle_plans_answers_and_holds_the_profile_lock() {
    let env = setup(200, 20, 20, 0).await;
    let profile = env.profile();
    let handle = env.start(&profile);
    let mut rx = handle.subscribe();

    handle.send(Command::DryRun);
    let plan = match next_event(&mut rx, |e| matches!(e, SyncEvent::PlanReady { .. })).await {
        SyncEvent::PlanReady { plan, .. } => plan,
        _ => unreachable!(),
    };
    assert!(plan.counts.create > 0);
    next_event(&mut rx, |e| matches!(e, SyncEvent::CycleFinished { dry_run: true, .. })).await;
    assert_eq!(env.writes().await, 0);

    let upn = env.world.graph.sim.tenant().users[0].user_principal_name.clone();
    handle.send(Command::SearchUsers {
        request: 7,
        text: upn[..upn.find('@').unwrap()].to_owned(),
        limit: 5,
    });
    match next_event(&mut rx, |e| matches!(e, SyncEvent::Answer { request: 7, .. })).await {
        SyncEvent::Answer {
            answer: Answer::Users(users),
            ..
        } => assert!(users.iter().any(|(_, u, _)| *u == upn), "{users:?}"),
        other => panic!("{other:?}"),
    }

    // The picked user's source attributes, as the mappings see them (the console's editor).
    let user = env
        .world
        .graph
        .sim
        .tenant()
        .users
        .iter()
        .find(|u| u.given_name.is_some() && u.department.is_some())
        .cloned()
        .unwrap();
    handle.send(Command::SourceAttributes {
        request: 8,
        user_id: user.id.clone(),
    });
    match next_event(&mut rx, |e| matches!(e, SyncEvent::Answer { request: 8, .. })).await {
        SyncEvent::Answer {
            answer: Answer::SourceAttributes { attributes },
            ..
        } => {
            let text = |name: &str| attributes.get(name).and_then(|v| v.text());
            assert_eq!(
                text("userPrincipalName"),
                Some(user.user_principal_name.clone()),
                "{attributes:?}"
            );
            assert_eq!(text("givenName"), user.given_name.clone(), "{attributes:?}");
            assert_eq!(text("department"), user.department.clone(), "{attributes:?}");
        }
        other => panic!("{other:?}"),
    }
    handle.send(Command::SourceAttributes {
        request: 9,
        user_id: "no-such-user".into(),
    });
    match next_event(&mut rx, |e| matches!(e, SyncEvent::Answer { request: 9, .. })).await {
        SyncEvent::Answer {
            answer: Answer::Failed(e),
            ..
        } => assert_eq!(e.kind, nowsync::sync::ErrorKind::Connection, "Graph's answer: {e}"),
        other => panic!("{other:?}"),
    }

    // A second engine of the profile is refused, naming the running one.
    let out = env.nowsync(&["sync", "--once"]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("already run by another nowsync") && err.contains(&format!("pid={}", std::process::id())),
        "{err}"
    );
    assert!(Handle::start(&profile, env.credentials(), sync::Options::new(env.ws.data_dir())).is_err());

    // Applying the plan that was shown does exactly that plan.
    handle.send(Command::ApplyPlan { plan_id: plan.id });
    let stats = match next_event(&mut rx, |e| {
        matches!(e, SyncEvent::CycleFinished { dry_run: false, .. })
    })
    .await
    {
        SyncEvent::CycleFinished { stats, .. } => stats,
        _ => unreachable!(),
    };
    assert_eq!(stats.created, plan.counts.create);
    // Status through the door: running (this engine holds the lock), the cycle's statistics.
    let status = handle.status().unwrap();
    assert_eq!(status.state, "running");
    assert!(status.quarantine.is_none());
    assert_eq!(status.last_cycle.unwrap().stats["created"], plan.counts.create);
    handle.shutdown().await;

    // Lock released: the CLI runs now, and finds nothing to do.
    env.reset_stats().await;
    let (_, doc) = env.sync(&[]).await;
    assert_eq!(env.writes().await, 0, "{doc}");
}

#[tokio::test]
async fn run_cycles_until_sigterm_and_stops_cleanly() {
    let env = setup(300, 20, 20, 2).await;
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.arg("--config")
        .arg(env.ws.config())
        .arg("--data-dir")
        .arg(env.ws.data_dir())
        .arg("run")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in &env.env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().unwrap();
    let pid = child.id().unwrap().to_string();
    while env.writes().await < 20 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // SIGTERM mid-cycle: the writes in flight finish, no new one starts, the process ends.
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{:?} {}",
        out.status,
        text(&out.stderr)
    );
    assert!(text(&out.stderr).contains("stopping"), "{}", text(&out.stderr));
    let partial = env.writes().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(env.writes().await, partial, "nothing written after the process ended");
    // The next cycle completes the work without duplicates (`state` checks).
    env.sync(&[]).await;
    env.state().await;
    // The lock went with the process: nothing holds the profile now.
    assert_eq!(nowsync::store::ProfileLock::holder(&env.ws.data_dir(), "default"), None);
}

fn spawn_run(env: &super::Env) -> tokio::process::Child {
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.arg("--config")
        .arg(env.ws.config())
        .arg("--data-dir")
        .arg(env.ws.data_dir())
        .arg("run")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in &env.env {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

// The PID-file lock let two processes that found the same stale lock both take it over: two
// engines racing for one profile now get one OS lock between them, whatever the file says.
#[tokio::test]
async fn two_engines_racing_for_one_profile_get_one_lock() {
    let env = setup(50, 5, 5, 0).await;
    std::fs::create_dir_all(env.ws.data_dir()).unwrap();
    // What a crashed owner leaves: a lock file naming a process that is gone.
    std::fs::write(env.ws.data_dir().join("default.lock"), "pid=4194999 started=x\n").unwrap();
    let (mut a, mut b) = (spawn_run(&env), spawn_run(&env));
    let pids = [a.id().unwrap(), b.id().unwrap()];
    let mut stderr = [a.stderr.take().unwrap(), b.stderr.take().unwrap()];
    // `run` holds its lock until SIGTERM: the loser ends on its own, refused.
    let (loser, status, winner) = tokio::time::timeout(Duration::from_secs(60), async {
        tokio::select! {
            r = a.wait() => (0, r.unwrap(), b),
            r = b.wait() => (1, r.unwrap(), a),
        }
    })
    .await
    .unwrap();
    let mut refused = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut stderr[loser], &mut refused)
        .await
        .unwrap();
    assert_eq!(status.code(), Some(2), "the loser is refused: {refused}");
    let winner_pid = winner.id().unwrap();
    assert_eq!(winner_pid, pids[1 - loser]);
    assert!(
        refused.contains("already run by another nowsync") && refused.contains(&format!("pid={winner_pid} ")),
        "{refused}"
    );
    let holder = nowsync::store::ProfileLock::holder(&env.ws.data_dir(), "default").unwrap();
    assert!(holder.starts_with(&format!("pid={winner_pid} ")), "{holder}");
    // Its signal handler is in place once its cycle writes.
    while env.writes().await == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &winner_pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = tokio::time::timeout(Duration::from_secs(30), winner.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{:?}", out.status);
    assert_eq!(nowsync::store::ProfileLock::holder(&env.ws.data_dir(), "default"), None);
}

#[tokio::test]
async fn a_deletion_threshold_hold_is_said_as_a_log_event() {
    // The console's log pane has no other way to hear of it (no tracing layer feeds it).
    let env = setup(200, 20, 20, 0).await;
    super::ops::append_config(&env, "\n[profiles.default.provisioning]\ndeletion_threshold = 3\n");
    let (code, _) = env.sync(&[]).await;
    assert!(code <= 1, "{code}");
    let sp = env.graph.service_principal_id().to_owned();
    for (_, _, _, assignment) in super::ops::direct_users(&env).await.iter().take(5) {
        env.graph_write(
            reqwest::Method::DELETE,
            &format!("/servicePrincipals/{sp}/appRoleAssignedTo/{assignment}"),
            serde_json::Value::Null,
        )
        .await;
    }
    let profile = env.profile();
    let handle = env.start(&profile);
    let mut rx = handle.subscribe();
    handle.send(Command::RunNow);
    match next_event(&mut rx, |e| matches!(e, SyncEvent::Log { .. })).await {
        SyncEvent::Log { level, message } => {
            assert_eq!(level, sync::LogLevel::Warn);
            assert!(
                message.contains("deletion threshold exceeded: held 5 disables "),
                "{message}"
            );
        }
        _ => unreachable!(),
    }
    handle.shutdown().await;
}

/// The door dropped while its engine's handle lives (a console restarting its engine after a
/// wizard re-save): an attached client's connection ends at once, so its console says the
/// engine has gone instead of reading "attached" with nothing coming (acceptance pass).
#[tokio::test]
async fn a_dropped_door_ends_its_clients_connections() {
    let env = setup(50, 4, 0, 0).await;
    let profile = super::plans::scope(&env, "all");
    let handle = env.start(&profile);
    let door = nowsync::door::Door::serve(handle.port(), &env.ws.data_dir(), &profile.name, "test", None).unwrap();
    let (mut client, _) = nowsync::door::Client::attach(door.path(), "console-b").await.unwrap();
    drop(door);
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Err(e) = client.next().await {
                return e;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the connection was still open 10 s after its door was dropped"));
    assert!(matches!(ended, nowsync::door::ClientError::Closed), "{ended:?}");
    handle.shutdown().await;
}
