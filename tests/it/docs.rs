//! The documentation commands and `--help` texts (issue 14, "The headless commands, for
//! people"): shell completions and the man page generated from the same definitions as
//! `--help`, `sim --help`, and `demo` refusing the flags it would not use.

use std::process::Command;

use crate::support::{BIN, Workspace, text};

fn nowsync(args: &[&str]) -> std::process::Output {
    let ws = Workspace::new();
    Command::new(BIN)
        .env("NOWSYNC_DATA_DIR", ws.data_dir())
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn completions_for_bash_zsh_and_fish_name_the_commands_and_flags() {
    for shell in ["bash", "zsh", "fish"] {
        let out = nowsync(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        for word in ["test-connection", "allow-deletes", "profile", "dry-run"] {
            assert!(script.contains(word), "{shell} completions lack {word}:\n{script}");
        }
    }
    let bash = text(&nowsync(&["completions", "bash"]).stdout);
    assert!(
        bash.contains("complete -F _nowsync"),
        "a bash completion function: {bash}"
    );
    let unknown = nowsync(&["completions", "tcsh"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown.stderr).contains("bash"), "the shells are named");
}

#[test]
fn the_man_page_is_roff_with_the_commands_of_help() {
    let out = nowsync(&["man"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let page = text(&out.stdout);
    assert!(page.contains(".TH nowsync 1"), "{page}");
    let help = text(&nowsync(&["--help"]).stdout);
    // Every command of `--help` is in the page (roff escapes the hyphen).
    for command in ["test-connection", "allow-deletes", "provision", "sim", "completions"] {
        assert!(help.contains(command), "--help lists {command}");
        assert!(
            page.contains(&command.replace('-', "\\-")),
            "the man page lacks {command}"
        );
    }
    assert!(
        page.contains("NOWSYNC_DATA_DIR"),
        "the environment variable is documented"
    );
    // One page (acceptance F6): every subcommand's options, and no page it does not write.
    for option in ["\\-\\-since", "\\-\\-follow", "\\-\\-dry\\-run", "\\-\\-user"] {
        assert!(page.contains(option), "the man page lacks {option}");
    }
    assert!(page.contains(".SS \"nowsync logs\""), "{page}");
    assert!(!page.contains("(1)"), "names no other page");
}

#[test]
fn sim_help_says_it_runs_both_simulators_and_lists_every_flag() {
    let out = nowsync(&["sim", "--help"]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    assert!(
        help.contains("both simulators, ServiceNow and Microsoft Graph"),
        "{help}"
    );
    for flag in [
        "--snow-addr",
        "--graph-addr",
        "--users",
        "--groups",
        "--snow-users",
        "--seed",
        "--latency-ms",
        "--semaphore",
        "--queue",
        "--fault-rate",
        "--rate-limit-per-hour",
        "--hibernate",
        "--reject-too-long",
        "--require-oauth",
        "--tls-ca",
        "--sso",
        "--mariadb",
    ] {
        assert!(help.contains(flag), "sim --help lacks {flag}");
    }
}

#[test]
fn demo_refuses_config_profile_and_data_dir_with_a_message() {
    let ws = Workspace::new();
    let data = ws.data_dir().display().to_string();
    for args in [
        vec!["demo", "--profile", "prod"],
        vec!["--config", "/nonexistent/nowsync.toml", "demo"],
        vec!["--data-dir", data.as_str(), "demo"],
    ] {
        let out = Command::new(BIN).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = text(&out.stderr);
        assert!(
            err.contains("`nowsync demo` runs on a temporary configuration") && err.contains("drop it"),
            "{args:?}: {err}"
        );
        let flag = args.iter().find(|a| a.starts_with("--")).unwrap();
        assert!(err.contains(flag), "names {flag}: {err}");
    }
    assert!(!ws.data_dir().exists(), "nothing was created");
}
