//! `nowsync secrets`: the binary without a session bus, env/file secrets, and (ignored, run by
//! `tests/keyring/run.sh`) round trips through the real kernel keyutils store and a real Secret
//! Service on a private bus.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use nowsync::secrets::{Env, Secret, SecretName, Secrets, Source, StoreChoice, StoreError, StoreKind};

const NAMES: [&str; 4] = [
    "servicenow-password",
    "graph-client-secret",
    "smtp-password",
    "servicenow-oauth-client-secret",
];

/// The binary with a clean environment for secrets: no `NOWSYNC_*` secret variables, files in
/// `dir`. Stdin is closed unless `stdin` is given.
fn nowsync(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nowsync"));
    cmd.arg("--config")
        .arg(dir.join("config.toml"))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("NOWSYNC_LOG");
    for name in NAMES {
        let var = format!("NOWSYNC_{}", name.replace('-', "_").to_ascii_uppercase());
        cmd.env_remove(&var).env_remove(format!("{var}_FILE"));
    }
    cmd
}

/// Runs `cmd` with `input` on stdin, failing the test if it takes longer than `limit`.
fn run(mut cmd: Command, input: Option<&str>, limit: Duration) -> Output {
    if input.is_some() {
        cmd.stdin(Stdio::piped());
    }
    let start = Instant::now();
    let mut child = cmd.spawn().unwrap();
    if let Some(input) = input {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("{cmd:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Fails if any of `values` appears in a command's output or in any file under `dir`
/// (logs and config included), except the files `allowed` that hold them on purpose.
pub fn assert_nowhere(values: &[&str], outputs: &[&Output], dir: &Path, allowed: &[&Path]) {
    for out in outputs {
        for value in values {
            assert!(!text(&out.stdout).contains(value), "{value:?} in stdout");
            assert!(!text(&out.stderr).contains(value), "{value:?} in stderr");
        }
    }
    let mut pending = vec![dir.to_path_buf()];
    let mut files = 0;
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            pending.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else if !allowed.contains(&path.as_path()) {
            files += 1;
            let bytes = std::fs::read(&path).unwrap();
            for value in values {
                assert!(!text(&bytes).contains(value), "{value:?} in {}", path.display());
            }
        }
    }
    assert!(files > 0, "nothing to search in {}", dir.display());
}

#[test]
fn status_without_session_bus_explains_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = dir.path().join("run");
    std::fs::create_dir(&runtime).unwrap();
    let mut cmd = nowsync(dir.path(), &["secrets", "status"]);
    cmd.env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("XDG_RUNTIME_DIR", &runtime);
    let out = run(cmd, None, Duration::from_secs(10));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", text(&out.stderr));
    for want in [
        "servicenow-password              unknown  secret-service",
        "graph-client-secret              unknown  secret-service",
        "smtp-password                    unknown  secret-service",
        "there is no session bus (DBUS_SESSION_BUS_ADDRESS is not set",
        "keyutils",
        "cleared on reboot",
        "gnome-keyring-daemon --unlock",
        "NOWSYNC_<NAME>_FILE",
    ] {
        assert!(stdout.contains(want), "missing {want:?} in:\n{stdout}");
    }
}

#[test]
fn env_store_reads_env_and_file_and_prints_no_value() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        "[profiles.ops.secrets]\nstore = \"env\"\n",
    )
    .unwrap();
    let file = dir.path().join("graph-secret");
    std::fs::write(&file, "file-value-42\n").unwrap();
    let mut cmd = nowsync(dir.path(), &["--profile", "ops", "secrets", "status"]);
    cmd.env("NOWSYNC_SERVICENOW_PASSWORD", "env-value-42")
        .env("NOWSYNC_GRAPH_CLIENT_SECRET_FILE", &file)
        .env("NOWSYNC_LOG", "trace");
    let out = run(cmd, None, Duration::from_secs(10));
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert_eq!(
        stdout,
        "profile 'ops', store: env\n\
         servicenow-password              set      env\n\
         graph-client-secret              set      file\n\
         smtp-password                    not set  env\n"
    );
    assert_nowhere(&["env-value-42", "file-value-42"], &[&out], dir.path(), &[&file]);

    // With store = "env" there is nothing to write to: refused, with the ways out.
    let out = run(
        nowsync(dir.path(), &["--profile", "ops", "secrets", "set", "smtp-password"]),
        Some("x\n"),
        Duration::from_secs(10),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("NOWSYNC_SMTP_PASSWORD_FILE"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn unknown_store_in_config_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        "[profiles.default.secrets]\nstore = \"vault\"\n",
    )
    .unwrap();
    let out = run(
        nowsync(dir.path(), &["secrets", "status"]),
        None,
        Duration::from_secs(10),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("profiles.default.secrets.store = 'vault'"));
}

/// A profile name no real entry has, so a run never meets a developer's own secrets.
fn throwaway_profile() -> String {
    format!("nowsync-it-{}", std::process::id())
}

/// Set, read back (also with `check`, an independent client of the store), status, delete,
/// through the library and then through the binary.
fn round_trip(kind: StoreKind, check: impl Fn(&str) -> Option<String>) {
    let profile = throwaway_profile();
    let secrets = Secrets::new(&profile, StoreChoice::Store(kind))
        .with_env(Env::from_pairs([]))
        .with_interactive(false);
    let name = SecretName::ServiceNowPassword;
    let account = name.account(&profile);
    let store = secrets.store().unwrap().unwrap();
    assert_eq!(store.kind(), kind);
    assert_eq!(secrets.set(name, &Secret::new("s3cret-one")).unwrap(), kind);
    assert_eq!(secrets.set(name, &Secret::new("s3cret-two")).unwrap(), kind);
    let (value, source) = secrets.lookup(name).unwrap().unwrap();
    assert_eq!((value.expose(), source), ("s3cret-two", Source::Store(kind)));
    assert_eq!(
        check(&account).as_deref(),
        Some("s3cret-two"),
        "the store's own tool disagrees"
    );
    let report = secrets.status(&[name, SecretName::SmtpPassword]).to_string();
    assert!(
        report.contains(&format!("servicenow-password              set      {kind}")),
        "{report}"
    );
    assert!(
        report.contains(&format!("smtp-password                    not set  {kind}")),
        "{report}"
    );
    assert!(secrets.delete(name).unwrap());
    assert_eq!(check(&account), None);

    let dir = tempfile::tempdir().unwrap();
    let p = ["--profile", profile.as_str(), "secrets"];
    let limit = Duration::from_secs(30);
    let set = [&p[..], &["set", "graph-client-secret", "--store", kind.as_str()]].concat();
    let mut cmd = nowsync(dir.path(), &set);
    cmd.env("NOWSYNC_LOG", "trace");
    let out = run(cmd, Some("cli-s3cret\n"), limit);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        check(&SecretName::GraphClientSecret.account(&profile)).as_deref(),
        Some("cli-s3cret")
    );
    let config = std::fs::read_to_string(dir.path().join("config.toml")).unwrap();
    assert!(config.contains(&format!("store = \"{kind}\"")), "{config}");
    let out = run(nowsync(dir.path(), &[&p[..], &["status"]].concat()), None, limit);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!("graph-client-secret              set      {kind}")),
        "{stdout}"
    );
    assert_nowhere(&["cli-s3cret", "s3cret-two"], &[&out], dir.path(), &[]);
    let out = run(
        nowsync(dir.path(), &[&p[..], &["delete", "graph-client-secret"]].concat()),
        None,
        limit,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(check(&SecretName::GraphClientSecret.account(&profile)), None);
}

/// Runs a tool and gives its stdout when it succeeds.
fn tool(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().unwrap_or_else(|e| {
        panic!("{program} is needed for this test ({e}): run tests/keyring/run.sh, which installs it")
    });
    out.status.success().then(|| text(&out.stdout))
}

/// Needs its own session keyring: run under `keyctl session -` (tests/keyring/run.sh does).
#[test]
#[ignore = "touches the kernel keyring: run by tests/keyring/run.sh"]
fn keyring_real_keyutils() {
    round_trip(StoreKind::Keyutils, |account| {
        // The description the keyutils store gives an entry: keyring:USER@SERVICE.
        let id = tool(
            "keyctl",
            &["search", "@s", "user", &format!("keyring:{account}@nowsync")],
        )?;
        tool("keyctl", &["pipe", id.trim()])
    });
}

/// Refuses to run unless tests/keyring/run.sh started the bus: never a developer's keyring.
fn assert_private_bus() {
    let bus = std::env::var("DBUS_SESSION_BUS_ADDRESS").unwrap_or_default();
    let private = std::env::var("NOWSYNC_TEST_PRIVATE_BUS").unwrap_or_default();
    assert!(
        !bus.is_empty() && bus == private,
        "not on the private bus of tests/keyring/run.sh (DBUS_SESSION_BUS_ADDRESS={bus:?}): refusing to touch this keyring"
    );
}

/// Needs a private session bus with an unlocked gnome-keyring (tests/keyring/run.sh).
#[test]
#[ignore = "needs a private D-Bus with gnome-keyring: run by tests/keyring/run.sh"]
fn keyring_real_secret_service() {
    assert_private_bus();
    round_trip(StoreKind::SecretService, |account| {
        tool("secret-tool", &["lookup", "service", "nowsync", "username", account])
    });
}

/// A private bus whose gnome-keyring was never unlocked: storing would need an unlock prompt
/// nobody can answer. It must fail within the store timeout, not hang.
#[test]
#[ignore = "needs a private D-Bus with a locked gnome-keyring: run by tests/keyring/run.sh"]
fn keyring_real_secret_service_locked_does_not_hang() {
    assert_private_bus();
    let secrets = Secrets::new(&throwaway_profile(), StoreChoice::Store(StoreKind::SecretService))
        .with_env(Env::from_pairs([]))
        .with_interactive(false);
    let start = Instant::now();
    let result = secrets.set(SecretName::SmtpPassword, &Secret::new("x"));
    let limit = nowsync::secrets::STORE_TIMEOUT * 2 + Duration::from_secs(2);
    assert!(start.elapsed() < limit, "took {:?}", start.elapsed());
    match result {
        Err(nowsync::secrets::SecretError::Store(
            StoreError::Timeout { .. } | StoreError::Denied { .. } | StoreError::SecretServiceUnreachable(_),
        )) => {}
        other => panic!("expected a store error, got {other:?}"),
    }
}
