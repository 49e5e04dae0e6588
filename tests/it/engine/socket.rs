//! The engine's door on its Unix socket (issue 15), against `nowsync run`: served while
//! provisioning is off, SIGHUP reloads, unknown messages get an error, a client leaving
//! mid-command leaves the engine healthy, two clients see each other's actions, the backlog.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use nowsync::door::proto::ServerFrame;
use nowsync::door::{Client, socket_path};
use nowsync::sync::{Command, Plan, SyncEvent};

use super::super::support::text;
use super::{Env, setup};

pub(crate) fn spawn_run(env: &Env) -> tokio::process::Child {
    let mut cmd = tokio::process::Command::new(super::super::support::BIN);
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
    cmd.env_remove("INVOCATION_ID").env("JOURNAL_STREAM", "1:1");
    cmd.spawn().unwrap()
}

pub(crate) fn set_enabled(env: &Env, enabled: bool) {
    set_provisioning(env, &format!("enabled = {enabled}\n"));
}

/// Replaces the profile's `[provisioning]` table (written last) with `keys`.
pub(crate) fn set_provisioning(env: &Env, keys: &str) {
    let config = std::fs::read_to_string(env.ws.config()).unwrap();
    let base = config
        .split("\n[profiles.default.provisioning]")
        .next()
        .unwrap()
        .to_owned();
    env.ws
        .write_config(&format!("{base}\n[profiles.default.provisioning]\n{keys}"));
}

/// The socket once `run` serves it.
pub(crate) async fn socket_of(env: &Env) -> PathBuf {
    let path = socket_path(&env.ws.data_dir(), "default");
    tokio::time::timeout(Duration::from_secs(60), async {
        while nowsync::door::client::probe(&path).is_none() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("run serves its socket");
    path
}

pub(crate) async fn next_matching(
    client: &mut Client,
    what: &str,
    mut f: impl FnMut(&ServerFrame) -> bool,
) -> ServerFrame {
    match tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let frame = client.next().await.unwrap();
            if f(&frame) {
                return frame;
            }
        }
    })
    .await
    {
        Ok(frame) => frame,
        Err(_) => panic!("waited 60 s for {what}"),
    }
}

/// The plan of the next `PlanReady` an attached client receives (`what` names it if it never
/// comes).
pub(crate) async fn plan_ready(client: &mut Client, what: &str) -> Arc<Plan> {
    let frame = next_matching(client, what, |f| {
        matches!(
            f,
            ServerFrame::Event {
                event: SyncEvent::PlanReady { .. }
            }
        )
    })
    .await;
    let ServerFrame::Event {
        event: SyncEvent::PlanReady { plan, .. },
    } = frame
    else {
        unreachable!()
    };
    plan
}

pub(crate) fn finished(dry: bool) -> impl Fn(&ServerFrame) -> bool {
    move |f| matches!(f, ServerFrame::Event { event: SyncEvent::CycleFinished { dry_run, .. } } if *dry_run == dry)
}

fn logged(text: &'static str) -> impl Fn(&ServerFrame) -> bool {
    move |f| matches!(f, ServerFrame::Event { event: SyncEvent::Log { message, .. } } if message.contains(text))
}

#[tokio::test]
async fn run_serves_its_door_idle_while_provisioning_is_off_and_reloads_on_sighup() {
    let env = setup(200, 20, 20, 0).await;
    set_enabled(&env, false);
    let mut child = spawn_run(&env);
    let path = socket_of(&env).await;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600, "the socket is the user's only");
    assert_eq!(mode(&env.ws.data_dir()), 0o700, "in a private data dir");

    let (mut client, attached) = Client::attach(&path, "test").await.unwrap();
    assert_eq!(attached.engine.pid, child.id().unwrap());
    assert_eq!(attached.engine.started_by, "nowsync run");
    assert_eq!(attached.engine.socket, path.display().to_string());
    assert_eq!(attached.state, nowsync::sync::EngineState::Idle);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(env.writes().await, 0, "provisioning is off: no cycle");
    assert!(child.try_wait().unwrap().is_none(), "run stays, idle and attachable");
    // `nowsync status` says an engine serves the socket, and which.
    let status = env.nowsync(&["status"]).await;
    let shown = text(&status.stdout);
    assert!(
        shown.contains(&format!("{} (served by pid {}", path.display(), attached.engine.pid))
            && shown.contains("started by nowsync run"),
        "{shown}"
    );
    let status = env.nowsync(&["status", "--json"]).await;
    let doc: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(doc["socket"]["engine"]["pid"], attached.engine.pid);

    // Provisioning turned on in the file, then `systemctl reload` (SIGHUP): cycles start.
    set_enabled(&env, true);
    let pid = child.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-HUP", &pid])
            .status()
            .unwrap()
            .success()
    );
    next_matching(&mut client, "the reload's line", logged("configuration reloaded")).await;
    next_matching(&mut client, "the first scheduled cycle", finished(false)).await;
    assert!(env.writes().await > 0);
    assert!(
        child.try_wait().unwrap().is_none(),
        "SIGHUP reloads, it does not end run"
    );
    env.state().await;

    // A client's `reload` frame: the engine re-reads the file itself, acknowledges, and the
    // log says who asked (the ack and the line may come in either order).
    let id = client.reload().await.unwrap();
    let (mut acked, mut said) = (false, false);
    while !(acked && said) {
        let frame = tokio::time::timeout(Duration::from_secs(30), client.next())
            .await
            .expect("the reload's ack and line")
            .unwrap();
        acked |= matches!(frame, ServerFrame::Ack { id: i } if i == id);
        said |= logged("asked: reload the configuration")(&frame);
    }

    // `stop` through the socket ends `run`, which removes its socket.
    let id = client.command(Command::Stop).await.unwrap();
    next_matching(
        &mut client,
        "the ack",
        |f| matches!(f, ServerFrame::Ack { id: i } if *i == id),
    )
    .await;
    let out = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    // 1: the cycle had object failures (the world's planted ones).
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{:?} {}",
        out.status,
        text(&out.stderr)
    );
    assert!(
        text(&out.stderr).contains("stopped through its socket"),
        "{}",
        text(&out.stderr)
    );
    assert!(!path.exists(), "the socket went with the engine");
    let status = env.nowsync(&["status"]).await;
    assert!(
        text(&status.stdout).contains("(no engine serves it)"),
        "{}",
        text(&status.stdout)
    );
}

#[tokio::test]
async fn unknown_messages_get_an_error_and_the_connection_stays_usable() {
    let env = setup(100, 10, 10, 0).await;
    set_enabled(&env, false);
    let _child = spawn_run(&env);
    let path = socket_of(&env).await;
    let (mut client, _) = Client::attach(&path, "test").await.unwrap();
    for garbage in [
        br#"{"type":"launch_missiles"}"#.to_vec(),
        br#"{"type":"command","id":5,"command":{"command":"format_disk"}}"#.to_vec(),
        b"\xff\x00 not json".to_vec(),
    ] {
        client.send_raw(garbage).await.unwrap();
        match client.next().await.unwrap() {
            ServerFrame::Error { id: None, message } => {
                assert!(message.contains("not understood"), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }
    let id = client.command(Command::DryRun).await.unwrap();
    next_matching(
        &mut client,
        "the ack",
        |f| matches!(f, ServerFrame::Ack { id: i } if *i == id),
    )
    .await;
    next_matching(&mut client, "the dry run", finished(true)).await;

    // A client of another protocol version is told so and let go; so is one without a hello.
    let mut raw = nowsync::door::Client::attach(&path, "x").await.unwrap().0;
    raw.send_raw(br#"{"type":"hello","version":1,"client":"again"}"#.to_vec())
        .await
        .unwrap();
    assert!(
        matches!(next_matching(&mut raw, "an error", |f| matches!(f, ServerFrame::Error { .. })).await,
        ServerFrame::Error { message, .. } if message.contains("hello was said already"))
    );
    let stream = tokio::net::UnixStream::connect(&path).await.unwrap();
    let mut framed = tokio_util::codec::Framed::new(stream, tokio_util::codec::LengthDelimitedCodec::new());
    use futures_util::{SinkExt, StreamExt};
    framed
        .send(bytes::Bytes::from_static(
            br#"{"type":"hello","version":99,"client":"future"}"#,
        ))
        .await
        .unwrap();
    let reply: ServerFrame = serde_json::from_slice(&framed.next().await.unwrap().unwrap()).unwrap();
    match reply {
        ServerFrame::Error { message, .. } => assert!(message.contains("protocol version 99"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert!(framed.next().await.is_none(), "closed after a version mismatch");
    // The engine is unharmed.
    let id = client.command(Command::DryRun).await.unwrap();
    next_matching(
        &mut client,
        "the ack",
        |f| matches!(f, ServerFrame::Ack { id: i } if *i == id),
    )
    .await;
    next_matching(&mut client, "a second dry run", finished(true)).await;
}

#[tokio::test]
async fn two_clients_see_each_others_actions_and_one_leaving_mid_command_harms_nothing() {
    let env = setup(300, 20, 20, 1).await;
    set_enabled(&env, false);
    let _child = spawn_run(&env);
    let path = socket_of(&env).await;
    let (mut a, _) = Client::attach(&path, "console-a").await.unwrap();
    let (mut b, _) = Client::attach(&path, "console-b").await.unwrap();
    // A asks for a cycle and is gone at once (a dropped SSH connection).
    a.command(Command::RunNow).await.unwrap();
    drop(a);
    next_matching(&mut b, "A's action in the log", logged("console-a")).await;
    let frame = next_matching(&mut b, "the cycle's progress", |f| {
        matches!(
            f,
            ServerFrame::Event {
                event: SyncEvent::Progress { .. }
            }
        )
    })
    .await;
    assert!(matches!(frame, ServerFrame::Event { .. }));
    let done = next_matching(&mut b, "the cycle's end", finished(false)).await;
    let ServerFrame::Event {
        event: SyncEvent::CycleFinished { stats, .. },
    } = done
    else {
        unreachable!()
    };
    assert!(stats.created > 0 && stats.failed < stats.created, "{stats:?}");
    // The engine is healthy: B's command runs, and the final state is a full one.
    let id = b.command(Command::DryRun).await.unwrap();
    next_matching(
        &mut b,
        "B's ack",
        |f| matches!(f, ServerFrame::Ack { id: i } if *i == id),
    )
    .await;
    next_matching(&mut b, "B's dry run", finished(true)).await;
    env.state().await;

    // A console attaching now gets the backlog: both actions and the finished cycle.
    let (_c, attached) = Client::attach(&path, "console-c").await.unwrap();
    let lines: Vec<&str> = attached.backlog.iter().map(|l| l.text.as_str()).collect();
    for wanted in [
        "console-a",
        "asked: run now",
        "console-b",
        "asked: a dry run",
        // The console's pane's words (sync::line): "cycle 1 finished: 40 created, …".
        "finished: ",
        " created, ",
    ] {
        assert!(
            lines.iter().any(|l| l.contains(wanted)),
            "backlog lacks {wanted:?}: {lines:#?}"
        );
    }
    assert!(
        attached
            .backlog
            .iter()
            .filter(
                |l| l.level == nowsync::sync::LogLevel::Debug && l.text.ends_with(": success")
                    || l.text.contains(": success ")
            )
            .count() as u64
            >= stats.created,
        "each object acted on is a line"
    );
}

/// Under systemd (stderr is the stream `JOURNAL_STREAM` names) the log goes to stderr without
/// timestamps of our own, and no daily file is written; otherwise to the daily file.
#[tokio::test]
async fn under_systemd_the_log_goes_to_the_journal_stream_without_timestamps() {
    use std::os::unix::fs::MetadataExt;
    let env = setup(50, 5, 5, 0).await;
    set_enabled(&env, false);
    let stderr_path = env.ws.data_dir().with_file_name("journal-stream");
    let stderr = std::fs::File::create(&stderr_path).unwrap();
    let meta = stderr.metadata().unwrap();
    let mut cmd = tokio::process::Command::new(super::super::support::BIN);
    cmd.arg("--config")
        .arg(env.ws.config())
        .arg("--data-dir")
        .arg(env.ws.data_dir())
        .arg("run")
        .env("JOURNAL_STREAM", format!("{}:{}", meta.dev(), meta.ino()))
        .env("INVOCATION_ID", "0123456789abcdef0123456789abcdef")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(stderr)
        .kill_on_drop(true);
    for (k, v) in &env.env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let path = socket_of(&env).await;
    let (_client, attached) = Client::attach(&path, "test").await.unwrap();
    assert_eq!(attached.engine.started_by, "systemd");
    let pid = child.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .unwrap()
        .unwrap();
    let journal = std::fs::read_to_string(&stderr_path).unwrap();
    let line = journal
        .lines()
        .find(|l| l.contains("serving the engine's socket"))
        .unwrap_or_else(|| panic!("the log line is on stderr: {journal}"));
    assert!(line.trim_start().starts_with("INFO "), "no timestamp of ours: {line:?}");
    let logs = env.ws.data_dir().join("logs");
    assert!(
        !logs.exists() || std::fs::read_dir(&logs).unwrap().next().is_none(),
        "no daily file under systemd"
    );

    // The same run from a shell that inherited the variable: the daily file.
    let mut child = spawn_run(&env);
    socket_of(&env).await;
    let pid = child.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    child.wait().await.unwrap();
    let file = std::fs::read_dir(&logs).unwrap().next().unwrap().unwrap().path();
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.contains("serving the engine's socket"), "{text}");
}

/// `run --metrics`: Prometheus text scraped during a cycle and after it, every name `nowsync_`.
#[tokio::test]
async fn run_serves_prometheus_metrics_scraped_during_a_cycle() {
    use tokio::io::AsyncBufReadExt;
    let env = setup(300, 20, 20, 3).await;
    let mut cmd = tokio::process::Command::new(super::super::support::BIN);
    cmd.arg("--config")
        .arg(env.ws.config())
        .arg("--data-dir")
        .arg(env.ws.data_dir())
        .args(["run", "--metrics", "127.0.0.1:0"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in &env.env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut stderr = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let url = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = stderr.next_line().await.unwrap() {
            if let Some(url) = line.strip_prefix("metrics on ") {
                return url.to_owned();
            }
        }
        panic!("run ended before serving metrics");
    })
    .await
    .unwrap();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/metrics"),
        "{url}"
    );
    let scrape = || async {
        let response = reqwest::get(&url).await.unwrap();
        assert!(response.status().is_success());
        let text = response.text().await.unwrap();
        for line in text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
            assert!(line.starts_with("nowsync_"), "every metric is nowsync_: {line}");
        }
        text
    };
    let path = socket_of(&env).await;
    let (mut client, _) = Client::attach(&path, "test").await.unwrap();
    next_matching(&mut client, "an object done", |f| {
        matches!(
            f,
            ServerFrame::Event {
                event: SyncEvent::ObjectDone { .. }
            }
        )
    })
    .await;
    let during = scrape().await;
    assert!(during.contains("nowsync_objects_total{"), "{during}");
    assert!(
        !during.contains("nowsync_cycles_total{"),
        "the cycle is not over: {during}"
    );
    next_matching(&mut client, "the cycle's end", finished(false)).await;
    let after = scrape().await;
    assert!(
        after.contains(r#"nowsync_cycles_total{kind="initial",outcome="object_failures"} 1"#)
            || after.contains(r#"nowsync_cycles_total{kind="initial",outcome="success"} 1"#),
        "{after}"
    );
    assert!(
        after.contains("nowsync_failures_total{code=\""),
        "planted failures by code: {after}"
    );
    let value = |name: &str| -> f64 {
        after
            .lines()
            .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok()))
            .unwrap_or_else(|| panic!("{name} in {after}"))
    };
    assert!(value("nowsync_servicenow_writes_total ") > 0.0);
    assert!(value("nowsync_last_successful_cycle_timestamp_seconds ") > 1.7e9);
    assert!(value("nowsync_cycle_duration_seconds_count ") >= 1.0);
    assert_eq!(value("nowsync_quarantined "), 0.0);
    assert!(after.contains("nowsync_servicenow_throttled_total"), "{after}");
}

/// Issue 15 with issue 14's binding: a dry run's plan reaches an attached client whole (every
/// operation, its basis), the client applies it by id, and applying it again is refused as
/// out of date; a question is answered to the client that asked it only, under its own id.
#[tokio::test]
async fn a_plan_arrives_whole_is_applied_once_and_questions_answer_the_asker_only() {
    let env = setup(200, 20, 20, 0).await;
    set_enabled(&env, false);
    let _child = spawn_run(&env);
    let path = socket_of(&env).await;
    let (mut a, _) = Client::attach(&path, "console-a").await.unwrap();
    let (mut b, _) = Client::attach(&path, "console-b").await.unwrap();
    a.command(Command::DryRun).await.unwrap();
    let plan = plan_ready(&mut a, "the dry run's plan").await;
    assert!(plan.counts.create > 0, "{:?}", plan.counts);
    assert_eq!(
        nowsync::sync::Counts::of(plan.ops()),
        plan.counts,
        "every operation travelled"
    );
    assert!(!plan.basis.profile.is_empty(), "with what it was made from");
    assert_eq!(env.writes().await, 0, "a dry run writes nothing");

    // B asks a question with the same id A will use: each gets its own answer only.
    let search = |request| Command::SearchUsers {
        request,
        text: "@".into(),
        limit: 3,
    };
    b.command(search(1)).await.unwrap();
    let answer = next_matching(&mut b, "B's answer", |f| {
        matches!(
            f,
            ServerFrame::Event {
                event: SyncEvent::Answer { .. }
            }
        )
    })
    .await;
    let ServerFrame::Event {
        event:
            SyncEvent::Answer {
                request: 1,
                answer: nowsync::sync::Answer::Users(users),
            },
    } = answer
    else {
        panic!("{answer:?}")
    };
    assert_eq!(users.len(), 3);

    a.command(Command::ApplyPlan { plan_id: plan.id }).await.unwrap();
    let mut answers_to_a = 0;
    let done = next_matching(&mut a, "the applied plan's cycle", |f| {
        if matches!(
            f,
            ServerFrame::Event {
                event: SyncEvent::Answer { .. }
            }
        ) {
            answers_to_a += 1;
        }
        finished(false)(f)
    })
    .await;
    let ServerFrame::Event {
        event: SyncEvent::CycleFinished { stats, .. },
    } = done
    else {
        unreachable!()
    };
    assert_eq!(answers_to_a, 0, "B's answer is B's only");
    assert!(
        stats.created > 0 && stats.created <= plan.counts.create,
        "the shown plan's creates: {stats:?}"
    );
    let writes = env.writes().await;
    assert!(writes > 0);

    // The same plan again: out of date (applied already), refused, nothing written.
    a.command(Command::ApplyPlan { plan_id: plan.id }).await.unwrap();
    let refused = next_matching(&mut a, "the refusal", |f| {
        matches!(
            f,
            ServerFrame::Event {
                event: SyncEvent::PlanRefused { .. }
            }
        )
    })
    .await;
    assert!(
        matches!(refused, ServerFrame::Event { event: SyncEvent::PlanRefused { plan_id, .. } } if plan_id == plan.id)
    );
    assert_eq!(env.writes().await, writes, "a refused plan writes nothing");
}
