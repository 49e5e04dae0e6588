//! The headless commands while an engine serves the profile (acceptance N2, F25): that
//! engine holds the profile lock, so `allow-deletes`, `sync --once [--dry-run]` and
//! `provision` go through its door as a console's keys do, with the headless output and
//! exit codes (they exited 2, "already run by another nowsync", and nothing could release a
//! held set while a console was open).

use nowsync::config::edit::{Edit, edit_profile};

use super::held::{provisioned_all, switch_to_assigned_is_held};
use super::socket::{socket_of, spawn_run};
use super::{Env, setup};
use crate::support::text;

/// Scheduled cycles off (the other keys kept), so the engine `run` starts only serves its
/// door and does what the commands ask.
fn provisioning_off(env: &Env) {
    edit_profile(
        &env.ws.config(),
        "default",
        &[Edit::set("provisioning", "enabled", false)],
    )
    .unwrap();
}

/// Runs `args`; its exit code, stdout and stderr.
async fn run(env: &Env, args: &[&str]) -> (Option<i32>, String, String) {
    let out = env.nowsync(args).await;
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

#[tokio::test]
async fn allow_deletes_goes_through_the_running_engines_door_and_applies_the_held_set() {
    let (env, before) = provisioned_all().await;
    let staged = switch_to_assigned_is_held(&env, &before).await;
    provisioning_off(&env);
    let mut engine = spawn_run(&env);
    socket_of(&env).await;
    let pid = engine.id().unwrap();

    let (code, stdout, stderr) = run(&env, &["allow-deletes"]).await;
    assert_eq!(code, Some(0), "{stdout} {stderr}");
    assert!(staged > 0);
    assert!(
        stdout.contains("applying what the deletion threshold held: "),
        "says what it applies, as without an engine: {stdout}"
    );
    assert!(
        stderr.contains(&format!("pid {pid}")),
        "names the engine it went through: {stderr}"
    );
    // What it applied, then that the quarantine ended (it said so before applying anything).
    let summary = stdout.find("(allow-deletes)");
    let ended = stdout.find("quarantine ended: nothing is held by the deletion threshold any more");
    assert!(summary.is_some(), "the cycle's summary: {stdout}");
    assert!(ended > summary, "the end said after the summary: {stdout}");

    // ServiceNow: the held disables and membership removals were applied.
    let after = env.state().await;
    let disabled = before
        .users
        .iter()
        .filter(|(name, active)| *active == "true" && after.users.get(*name).is_some_and(|a| a == "false"))
        .count();
    assert!(disabled > 0, "no held user was disabled");
    assert!(
        after.members.len() < before.members.len(),
        "no held membership was removed"
    );
    let st = env.status().await;
    assert!(st["quarantine"].is_null(), "{st}");
    assert_eq!(st["staged_deletions"].as_array().unwrap().len(), 0, "{st}");
    assert!(engine.try_wait().unwrap().is_none(), "the engine goes on serving");

    // Nothing staged any more: said, exit 0, nothing asked of the engine.
    let (code, stdout, _) = run(&env, &["allow-deletes"]).await;
    assert_eq!(code, Some(0));
    assert!(stdout.contains("nothing is held by the deletion threshold"), "{stdout}");
}

#[tokio::test]
async fn sync_once_and_provision_go_through_the_running_engines_door() {
    let env = setup(200, 20, 20, 0).await;
    let (code, doc) = env.sync(&[]).await;
    assert!(code <= 1, "{doc}");
    provisioning_off(&env);
    let _engine = spawn_run(&env);
    socket_of(&env).await;

    // A dry run through the door: the plan, nothing written.
    let upn = "door.user@fabrikam.example";
    let id = env.new_assigned_user(upn, serde_json::json!({})).await;
    env.reset_stats().await;
    let (code, dry) = env.sync(&["--dry-run"]).await;
    assert!(code <= 1, "{dry}");
    assert_eq!(dry["dry_run"], true, "{dry}");
    assert_eq!(dry["counts"]["create"], 1, "{dry}");
    assert_eq!(env.writes().await, 0, "a dry run writes nothing");

    // One real cycle through the door: the new user is created.
    let (code, doc) = env.sync(&[]).await;
    assert!(code <= 1, "{doc}");
    assert_eq!(doc["dry_run"], false, "{doc}");
    assert_eq!(doc["stats"]["created"], 1, "{doc}");
    assert!(env.link_of(&id).await.is_some(), "the user was provisioned");

    // Provision on demand through the door: the report, as without an engine.
    let (code, stdout, stderr) = run(&env, &["provision", "--user", upn]).await;
    assert_eq!(code, Some(0), "{stdout} {stderr}");
    assert!(stdout.contains(&format!("user {upn}")), "{stdout}");
    assert!(stdout.contains("  Action  skip"), "in sync now: {stdout}");
    let (code, _, stderr) = run(&env, &["provision", "--user", "nobody@fabrikam.example"]).await;
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("nobody@fabrikam.example"), "{stderr}");
}
