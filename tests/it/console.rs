//! End to end: the real binary in tmux. Starts `nowsync demo`, walks the wizard with
//! send-keys, checks the dashboard, runs a cycle, opens a failed record's troubleshooting,
//! switches screens from the logs screens, makes a plan, switches the scope (previewed) and
//! sees the plan refused as out of date, saves the wizard again and checks the file keeps the
//! scope, scrolls the help at 80×24, quits, and checks that the terminal was restored. Each
//! step asserts on capture-pane text. How the demo ends (signals, a closed terminal):
//! `console_exit.rs`.
//!
//! Needs tmux (DESIGN.md "Testing": a fresh machine of ours has it; `.ci/run` installs it).

use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::BIN;

/// A tmux server of its own (its own socket), killed on drop.
pub(crate) struct Tmux {
    socket: String,
}

impl Tmux {
    pub(crate) fn start(command: &str, env: &[(&str, &str)]) -> Tmux {
        let socket = format!("nowsync-e2e-{}-{}", std::process::id(), rand_suffix());
        let tmux = Tmux { socket };
        let mut args = vec![
            "new-session".to_owned(),
            "-d".to_owned(),
            "-s".to_owned(),
            "e2e".to_owned(),
            "-x".to_owned(),
            "100".to_owned(),
            "-y".to_owned(),
            "30".to_owned(),
        ];
        for (k, v) in env {
            args.push("-e".to_owned());
            args.push(format!("{k}={v}"));
        }
        args.push(command.to_owned());
        let status = tmux.cmd(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(
            status.status.success(),
            "tmux new-session: {}",
            String::from_utf8_lossy(&status.stderr)
        );
        tmux
    }

    pub(crate) fn cmd(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs (install it: apt-get install tmux)")
    }

    pub(crate) fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.cmd(&["send-keys", "-t", "e2e", k]);
            // Separate keys so a lone Esc is not read as the start of an Alt sequence.
            std::thread::sleep(Duration::from_millis(120));
        }
    }

    pub(crate) fn capture(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "e2e"]).stdout).into_owned()
    }

    /// The pane with its styling as escape sequences (`capture-pane -e`): what the console
    /// left on the terminal, SGR included.
    pub(crate) fn capture_escaped(&self) -> String {
        let out = self.cmd(&["capture-pane", "-p", "-e", "-t", "e2e"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub(crate) fn display(&self, format: &str) -> String {
        String::from_utf8_lossy(&self.cmd(&["display-message", "-p", "-t", "e2e", format]).stdout)
            .trim()
            .to_owned()
    }

    /// Waits until the pane shows every one of `texts`; panics with the pane otherwise.
    pub(crate) fn wait_for(&self, step: &str, texts: &[&str], timeout: Duration) -> String {
        let start = Instant::now();
        loop {
            let pane = self.capture();
            if texts.iter().all(|t| pane.contains(t)) {
                return pane;
            }
            if start.elapsed() > timeout {
                panic!("step '{step}': waited {timeout:?} for {texts:?}; the pane shows:\n{pane}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

/// `nowsync ARGS` on `env`'s profile, with its secrets, in a 120×40 window; once it ends the
/// pane says `NOWSYNC-EXIT=<code>`.
pub(crate) fn on_profile(env: &crate::engine::Env, args: &str) -> Tmux {
    let command = format!(
        "'{BIN}' --config '{}' --data-dir '{}' {args}; echo NOWSYNC-EXIT=$?; sleep 600",
        env.ws.config().display(),
        env.ws.data_dir().display()
    );
    let vars: Vec<(&str, &str)> = env.env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let tmux = Tmux::start(&command, &vars);
    tmux.cmd(&["resize-window", "-t", "e2e", "-x", "120", "-y", "40"]);
    tmux
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(Instant::now())
}

/// Walks the demo's wizard from the instance step to the saved profile's dashboard.
pub(crate) fn walk_wizard(tmux: &Tmux) {
    let long = Duration::from_secs(30);
    tmux.wait_for(
        "the demo opens on the wizard's instance step",
        &[
            "Step 1 of 6 · ServiceNow instance",
            "Demo: this is the setup wizard's ServiceNow instance",
            "✓ URL http://127.0.0.1:",
        ],
        long,
    );
    assert_eq!(
        tmux.display("#{alternate_on}"),
        "1",
        "the console runs on the alternate screen"
    );
    tmux.keys(&["Enter"]);
    tmux.wait_for(
        "credentials",
        &["Step 2 of 6", "Secrets are kept in memory for this demo"],
        long,
    );
    // User name, password, secret store, sign-in (Basic: no OAuth fields).
    tmux.keys(&["Enter", "Enter", "Enter", "Enter"]);
    tmux.wait_for(
        "entra",
        &["Step 3 of 6 · Entra app", "Client secret", "◀ global ▶"],
        long,
    );
    // Tenant, client id, secret, cloud, service principal, authority and Graph URLs.
    tmux.keys(&["Enter", "Enter", "Enter", "Enter", "Enter", "Enter", "Enter"]);
    tmux.wait_for("test step", &["Step 4 of 6 · Test connection"], long);
    tmux.keys(&["Enter"]);
    let pane = tmux.wait_for("test connection passes", &["ServiceNow: PASS", "Entra: PASS"], long);
    assert!(pane.contains("The account has the admin role"), "{pane}");
    tmux.keys(&["Enter"]);
    tmux.wait_for(
        "notification",
        &["Step 5 of 6 · Notification email", "idm-team@example.com"],
        long,
    );
    tmux.keys(&["Enter"]);
    tmux.wait_for(
        "review",
        &["Step 6 of 6 · Review and save", "passed", "Enter saves."],
        long,
    );
    tmux.keys(&["Enter"]);
    tmux.wait_for(
        "saved; provisioning stays off and a dry run is offered",
        &["Dashboard", "Provisioning is off", "Make a dry run now"],
        long,
    );
    tmux.keys(&["y"]);
    tmux.wait_for(
        "the offered dry run made a plan",
        &["plan 1 ready", "nothing written"],
        long,
    );
}

/// Quits with q and checks that the terminal is back as it was.
fn quit_and_check_restored(tmux: &Tmux) {
    tmux.keys(&["q"]);
    let pane = tmux.wait_for("quit", &["NOWSYNC-EXIT=0"], Duration::from_secs(30));
    assert!(!pane.contains("Dashboard"), "the console's screen is gone: {pane}");
    assert_eq!(tmux.display("#{alternate_on}"), "0", "the alternate screen was left");
    assert_eq!(tmux.display("#{cursor_flag}"), "1", "the cursor is visible again");
}

#[test]
fn demo_walks_from_the_wizard_to_a_cycle_and_a_troubleshooting_view() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let command = format!("{BIN} demo; echo NOWSYNC-EXIT=$?; sleep 600");
    let data = data.display().to_string();
    let tmux = Tmux::start(&command, &[("NOWSYNC_DATA_DIR", &data)]);
    let long = Duration::from_secs(30);
    walk_wizard(&tmux);
    tmux.keys(&["F1"]);
    tmux.wait_for("help", &["Help · Dashboard", "dry run"], long);
    tmux.keys(&["Escape"]);
    tmux.wait_for("help closed", &["To date"], long);

    tmux.keys(&["r"]);
    let pane = tmux.wait_for(
        "a cycle finishes",
        // "Log ·" waited for too: a capture may catch a frame half drawn.
        &["To date    1 cycle ·", " finished: ", "engine: Idle", "Log ·"],
        Duration::from_secs(120),
    );
    assert!(pane.contains("cycle"), "the log pane shows the cycle: {pane}");

    tmux.keys(&["e"]);
    tmux.wait_for(
        "provisioning logs",
        &["records ·", "failure records", "newest first"],
        long,
    );
    tmux.keys(&["s"]);
    tmux.wait_for("failures only", &["status: failure"], long);
    tmux.keys(&["Enter"]);
    let pane = tmux.wait_for(
        "troubleshooting",
        &["Steps", "Modified properties", "Troubleshooting", "Fix:"],
        long,
    );
    assert!(pane.contains("failure"), "{pane}");
    tmux.keys(&["Escape"]);
    tmux.wait_for("back to the list", &["status: failure"], long);
    switch_from_the_logs_screen(&tmux);
    refuse_a_plan_made_before_a_scope_change(&tmux);
    resave_the_wizard_after_a_scope_change(&tmux);
    scroll_the_help_at_80x24(&tmux);
    quit_and_check_restored(&tmux);
}

/// From the provisioning logs and the log screen, the number keys and Tab switch screens.
fn switch_from_the_logs_screen(tmux: &Tmux) {
    let long = Duration::from_secs(30);
    tmux.keys(&["4"]);
    tmux.wait_for("records → log screen", &["[4 Log]", "Log ·"], long);
    tmux.keys(&["Tab"]);
    tmux.wait_for("log → mappings with Tab", &["[5 Mappings]"], long);
    tmux.keys(&["3"]);
    tmux.wait_for("mappings → records", &["[3 Records]", "records ·"], long);
    tmux.keys(&["1"]);
    tmux.wait_for("records → dashboard", &["[1 Dashboard]", "To date"], long);
}

/// A dry run's plan, then the scope switched to all (previewed, confirmed): `A` on the plan
/// refuses it as out of date.
fn refuse_a_plan_made_before_a_scope_change(tmux: &Tmux) {
    let long = Duration::from_secs(60);
    tmux.keys(&["d"]);
    tmux.wait_for("a dry run's plan", &["Dry run: plan", "ready", "nothing written"], long);
    tmux.keys(&["6"]);
    tmux.wait_for("scope screen", &["[6 Scope]", "Scope: assigned users and groups"], long);
    tmux.keys(&["a"]);
    tmux.wait_for(
        "what switching the scope does, before it is saved",
        &["What this change does", "Switch the scope to all", "This will disable"],
        long,
    );
    tmux.keys(&["y"]);
    tmux.wait_for(
        "saved; a dry run offered",
        &["Saved; the engine uses it", "Make a dry run of the new"],
        long,
    );
    tmux.keys(&["n"]);
    tmux.wait_for(
        "the counts follow the scope",
        &["Scope: all users and groups", "Users in scope: 300"],
        long,
    );
    tmux.keys(&["2"]);
    tmux.wait_for(
        "the plan is out of date",
        &["[2 Plan]", "out of date (the scope (assigned → all) changed"],
        long,
    );
    tmux.keys(&["A"]);
    let pane = tmux.wait_for(
        "applying it is refused",
        &["is out of date (the scope (assigned → all) changed since it was made)"],
        long,
    );
    assert!(!pane.contains("Apply plan"), "no apply confirmation: {pane}");
}

/// The wizard saved again after the scope screen switched to all keeps `scope = "all"` and
/// provisioning off in the file.
fn resave_the_wizard_after_a_scope_change(tmux: &Tmux) {
    let long = Duration::from_secs(30);
    tmux.keys(&["8"]);
    tmux.wait_for("the wizard reopened", &["[8 Setup]", "Step "], long);
    tmux.keys(&["PageDown", "PageDown", "PageDown", "PageDown", "PageDown"]);
    let pane = tmux.wait_for("review", &["Step 6 of 6 · Review and save", "Enter saves."], long);
    let path = pane
        .lines()
        .find_map(|l| l.split("Profile file").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no profile file on the review step: {pane}"))
        .to_owned();
    tmux.keys(&["Enter"]);
    tmux.wait_for(
        "saved again; the engine starts again and offers a dry run",
        &["[1 Dashboard]", "Make a dry run now"],
        long,
    );
    tmux.keys(&["n"]);
    tmux.wait_for("the engine runs again", &["Engine started"], long);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("scope = \"all\""), "the scope stays: {text}");
    assert!(text.contains("enabled = false"), "provisioning stays off: {text}");
}

/// At 80×24 the dashboard's help is longer than the screen: it scrolls to its end.
fn scroll_the_help_at_80x24(tmux: &Tmux) {
    let long = Duration::from_secs(30);
    tmux.cmd(&["resize-window", "-t", "e2e", "-x", "80", "-y", "24"]);
    tmux.wait_for("80 columns", &["[1 Dash]"], long);
    tmux.keys(&["F1"]);
    let top = tmux.wait_for("help at the top", &["Help · Dashboard · rows 1–"], long);
    assert!(!top.contains("quit from anywhere"), "the end is below: {top}");
    tmux.keys(&["PageDown"]);
    tmux.wait_for("help scrolled", &["rows 11–"], long);
    tmux.keys(&["End"]);
    tmux.wait_for("help at its end", &["quit from anywhere"], long);
    tmux.keys(&["Escape"]);
    tmux.wait_for("help closed", &["To date"], long);
}
