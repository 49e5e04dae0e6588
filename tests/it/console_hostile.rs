//! Issue 17, hostile data in the console: the corpus (`tests/hostile/corpus.json`: ANSI CSI and
//! OSC sequences, C0/C1 controls, bidi overrides) planted as display names, job titles,
//! departments and group names; the real binary's console attached to that profile in tmux
//! makes a dry run and runs a cycle; the dashboard, its log pane, the log screen, the
//! provisioning logs and the plan, captured with their styling (`capture-pane -e`), carry no
//! escape but the SGR tmux itself writes, no C0/C1 control and no bidi control, and show the
//! planted names in their sanitised form. tmux runs with `set-clipboard on`, so an OSC 52 that
//! got through would leave a paste buffer; the pane title would show an OSC 0/2.

use std::time::Duration;

use super::console::Tmux;
use super::engine::{options, setup_with};
use super::hostile::{corpus, plant};
use super::support::BIN;

/// What `capture-pane -e` may hold besides text: tmux's own SGR (`ESC [ params m`). Returns
/// the first thing that is not that, with what came before it.
fn leak(pane: &str) -> Option<String> {
    let mut chars = pane.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let bad = match c {
            '\u{1b}' => {
                let mut sgr = chars.next_if(|(_, c)| *c == '[').is_some();
                while sgr
                    && chars
                        .next_if(|(_, c)| c.is_ascii_digit() || *c == ';' || *c == ':')
                        .is_some()
                {}
                sgr = sgr && chars.next_if(|(_, c)| *c == 'm').is_some();
                !sgr
            }
            '\n' => false,
            c => nowsync::model::text::is_unsafe(c),
        };
        if bad {
            let from = pane[..at].char_indices().rev().nth(60).map_or(0, |(i, _)| i);
            return Some(format!("U+{:04X} at byte {at}, after {:?}", c as u32, &pane[from..at]));
        }
    }
    None
}

/// Captures the pane with `-e` and panics on a leak, naming the screen; returns its text.
fn assert_clean(tmux: &Tmux, screen: &str) -> String {
    let pane = tmux.capture_escaped();
    if let Some(what) = leak(&pane) {
        panic!("{screen}: raw {what}; the pane:\n{}", tmux.capture());
    }
    tmux.capture()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_shows_hostile_directory_text_sanitised() {
    let env = setup_with(options(4, 1, 2, 0)).await;
    let corpus = corpus();
    plant(&env, &corpus).await;
    let command = format!(
        "'{BIN}' --config '{}' --data-dir '{}'; echo NOWSYNC-EXIT=$?; sleep 600",
        env.ws.config().display(),
        env.ws.data_dir().display()
    );
    let vars = env.env.clone();
    tokio::task::spawn_blocking(move || {
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        drive(&command, &vars);
    })
    .await
    .unwrap();
}

/// The planted group names as the console must show them: each control made visible.
const SHOWN: [&str; 4] = [
    r"Ada \u{1b}[31mRed\u{1b}[0m Lovelace",
    r"\u{1b}]52;c;ZWNobyBwd25lZA==\u{7}Clipboard",
    r"C1 \u{9b}31m CSI \u{85} NEL \u{9d} OSC",
    r"Bidi \u{202e}gnp.exe\u{202c} and \u{2066}isolate\u{2069}",
];

fn drive(command: &str, vars: &[(&str, &str)]) {
    let long = Duration::from_secs(30);
    let tmux = Tmux::start(command, vars);
    tmux.cmd(&["set-option", "-s", "set-clipboard", "on"]);
    tmux.cmd(&["resize-window", "-t", "e2e", "-x", "160", "-y", "60"]);
    let title = tmux.display("#{pane_title}");
    // The profile's engine starts with the console and runs its first cycle.
    tmux.wait_for(
        "the first cycle",
        &["[1 Dashboard]", "cycle 1 finished", "engine: Idle"],
        long,
    );
    let dashboard = assert_clean(&tmux, "dashboard and its log pane");
    assert!(
        dashboard.contains(r"\u{"),
        "the log pane shows planted names: {dashboard}"
    );

    tmux.keys(&["4"]);
    tmux.wait_for("log screen", &["[4 Log]", "cycle 1 finished"], long);
    let log = assert_clean(&tmux, "log screen");
    for name in SHOWN {
        assert!(log.contains(name), "log screen shows {name}: {log}");
    }

    tmux.keys(&["3"]);
    tmux.wait_for("provisioning logs", &["[3 Records]", "records ·", "newest first"], long);
    let records = assert_clean(&tmux, "provisioning logs");
    for name in SHOWN {
        assert!(records.contains(name), "records show {name}: {records}");
    }
    // q=eq.4 carries the C1 string as its display name, title and department.
    tmux.keys(&["/", "=eq.4", "Enter", "Enter"]);
    tmux.wait_for("a record's details", &["Modified properties", "Troubleshooting"], long);
    let detail = assert_clean(&tmux, "a record's details");
    assert!(detail.contains(SHOWN[2]), "the record shows {}: {detail}", SHOWN[2]);
    tmux.keys(&["Escape"]);

    tmux.keys(&["d"]);
    tmux.wait_for("a dry run", &["Dry run: plan", "nothing written"], long);
    tmux.keys(&["2"]);
    tmux.wait_for("plan screen", &["[2 Plan]", "ACTION"], long);
    // The plan list must be clean whatever it holds. Which planted groups an incremental
    // plan holds depends on how the first cycle went, which varies with the machine's load
    // (seen in CI: none of them), so their sanitised names are checked where they always
    // are: the log, the records and the operation's details below.
    let plan = assert_clean(&tmux, "plan");
    assert!(
        plan.contains("q=eq.4@nowsync.test"),
        "the plan lists the planted user: {plan}"
    );
    tmux.keys(&["/", "=eq.4", "Enter", "Enter"]);
    tmux.wait_for("an operation's details", &["q=eq.4@nowsync.test", "department"], long);
    let op = assert_clean(&tmux, "an operation's details");
    assert!(op.contains(SHOWN[2]), "the operation shows {}: {op}", SHOWN[2]);

    // What tmux would have taken from a raw OSC: a paste buffer (OSC 52), a title (OSC 0/2).
    let buffers = tmux.cmd(&["list-buffers"]);
    assert!(
        buffers.stdout.is_empty(),
        "an OSC 52 reached tmux: {}",
        String::from_utf8_lossy(&buffers.stdout)
    );
    assert_eq!(tmux.display("#{pane_title}"), title, "an OSC set the pane's title");
}
