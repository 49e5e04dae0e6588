//! Acceptance N1 and F22, end to end with the real binary in tmux: a console opened on a
//! profile already quarantined TooManyDeletes — owning its engine, or attached to `nowsync run`
//! after the quarantine began — shows the quarantine, what the deletion threshold holds (the
//! counts `nowsync status --json` gives) and the way out from the moment it opens, not
//! "on (idle) · next run …" until its own first cycle. And acceptance F23: the attached
//! console's `D` applies the held set (after its question) through the engine's door: the
//! Held rows go, the quarantine ends and ServiceNow's active users drop by the held disables.

use std::time::{Duration, Instant};

use nowsync::config::edit::{Edit, edit_profile};
use nowsync::door::socket_path;
use serde_json::Value;

use crate::console::{Tmux, on_profile};

/// `status --json`'s held counts in the words the console says them.
fn held_words(held: &Value) -> String {
    let n = |k: &str| held[k].as_u64().unwrap_or(0);
    nowsync::sync::op::held_words(n("disable"), n("deactivate"), n("delete"), n("remove_member")).unwrap_or_default()
}

/// `n disable(s)` as the console words a count of held ops of `kind`.
fn held_word(held: &Value, kind: &str, one: &str, many: &str) -> Option<String> {
    let n = held[kind].as_u64().unwrap_or(0);
    (n > 0).then(|| format!("{n} {}", if n == 1 { one } else { many }))
}

/// Until the socket is served (`true`) or not (`false`), or panics after 60 s.
fn await_served(path: &std::path::Path, served: bool) {
    let start = Instant::now();
    while nowsync::door::client::probe(path).is_some() != served {
        assert!(start.elapsed() < Duration::from_secs(60), "waited 60 s for the socket");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// What a console on the quarantined profile must show from its first screen.
fn shows_the_quarantine(tmux: &Tmux, what: &str, held: &[String]) -> String {
    let mut want = vec![
        "quarantined: TooManyDeletes · next attempt",
        "by the deletion threshold:",
        "D applies them (after a confirm) · or nowsync allow-deletes in a shell",
    ];
    want.extend(held.iter().map(String::as_str));
    tmux.wait_for(what, &want, Duration::from_secs(60))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_console_opened_or_attached_on_a_quarantined_profile_shows_the_quarantine_and_the_held_set() {
    let (env, before) = crate::engine::held::provisioned_all().await;
    crate::engine::held::switch_to_assigned_is_held(&env, &before).await;
    edit_profile(
        &env.ws.config(),
        "default",
        &[Edit::set("provisioning", "keep_in_background", false)],
    )
    .unwrap();
    let st = env.status().await;
    let held: Vec<String> = [
        held_word(&st["held"], "disable", "disable", "disables"),
        held_word(&st["held"], "deactivate", "deactivation", "deactivations"),
        held_word(
            &st["held"],
            "remove_member",
            "membership removal",
            "membership removals",
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(!held.is_empty(), "{st}");
    // Each staged op says what it holds: a group's deactivation is no user's disable.
    for op in st["staged_deletions"].as_array().unwrap() {
        let want = match op["object_type"].as_str() {
            Some("user") => "disable",
            Some("group") => "deactivate",
            _ => "remove_member",
        };
        assert_eq!(op["held"], want, "{op}");
    }
    let path = socket_path(&env.ws.data_dir(), "default");

    // Owning its engine: the engine waits for the quarantine's next attempt, so no cycle of
    // this console's says the quarantine; the console must know it from the store.
    let own = on_profile(&env, "");
    let (p, h) = (path.clone(), held.clone());
    let pane = tokio::task::spawn_blocking(move || {
        let pane = shows_the_quarantine(&own, "the quarantine in the owning console", &h);
        own.cmd(&["kill-session", "-t", "e2e"]);
        await_served(&p, false);
        pane
    })
    .await
    .unwrap();
    assert!(pane.contains("in this console"), "{pane}");
    assert!(!pane.contains("on (idle)"), "{pane}");

    // Attached to `nowsync run`, started after the quarantine began.
    let mut run = crate::engine::socket::spawn_run(&env);
    crate::engine::socket::socket_of(&env).await;
    let attached = on_profile(&env, "attach");
    let h = held.clone();
    let (attached, pane) = tokio::task::spawn_blocking(move || {
        attached.wait_for(
            "attached",
            &["attached to the running engine (pid"],
            Duration::from_secs(60),
        );
        let pane = shows_the_quarantine(&attached, "the quarantine in the attached console", &h);
        (attached, pane)
    })
    .await
    .unwrap();
    assert!(!pane.contains("on (idle)"), "{pane}");

    // Acceptance N15: a held user provisioned on demand (through the engine's door) leaves
    // the held set; the open console's Held row follows at once.
    let (_, dry) = env.sync(&["--dry-run"]).await;
    let (upn, _, _) = crate::engine::held_on_demand::held_user_with_memberships(dry["plan"].as_array().unwrap());
    let out = env.nowsync(&["provision", "--user", &upn]).await;
    assert_eq!(out.status.code(), Some(0), "{}", crate::support::text(&out.stdout));
    let st = env.status().await;
    let words = held_words(&st["held"]);
    assert_ne!(
        words,
        held.join(", "),
        "the provision left the held set as it was: {st}"
    );
    let row = format!("by the deletion threshold: {words}");
    let attached = tokio::task::spawn_blocking(move || {
        attached.wait_for("the Held row after the provision", &[&row], Duration::from_secs(30));
        attached
    })
    .await
    .unwrap();
    let disabled = st["held"]["disable"].as_u64().unwrap_or(0) as usize;
    assert!(disabled > 0, "{st}");

    // D, then y: the engine attached to applies exactly the held set.
    let active = |s: &crate::engine::State| s.users.values().filter(|a| a.as_str() == "true").count();
    let before_d = env.state().await;
    let attached = tokio::task::spawn_blocking(move || {
        attached.keys(&["D"]);
        // The box wraps the question at its width; its exact words are the unit tests'.
        attached.wait_for(
            "the question naming the held set",
            &["Apply the held set:", "y: yes   n or Esc: no"],
            Duration::from_secs(30),
        );
        attached.keys(&["y"]);
        wait_gone(&attached, "by the deletion threshold:", Duration::from_secs(120));
        attached
    })
    .await
    .unwrap();
    let st = env.status().await;
    assert!(st["quarantine"].is_null(), "{st}");
    assert_eq!(st["staged_deletions"].as_array().map(Vec::len), Some(0), "{st}");
    let after = env.state().await;
    assert_eq!(
        active(&after),
        active(&before_d) - disabled,
        "active users drop by the held disables"
    );
    drop(attached);
    let _ = run.kill().await;
}

/// Until the pane, drawn whole (its Status row shown), no longer shows `text` in three
/// captures in a row (a half-drawn frame is no proof it went); panics after `timeout`.
fn wait_gone(tmux: &Tmux, text: &str, timeout: Duration) {
    let start = Instant::now();
    let mut clear = 0;
    while clear < 3 {
        let pane = tmux.capture();
        clear = if pane.contains("Status") && !pane.contains(text) {
            clear + 1
        } else {
            0
        };
        assert!(
            start.elapsed() < timeout,
            "waited {timeout:?} for '{text}' to go:\n{pane}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}
