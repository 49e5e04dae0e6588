//! Issue 14 (acceptance): a cycle that could not read Entra because Graph refused a read (403
//! `Authorization_RequestDenied`, an application permission not granted) is recorded as a
//! failed cycle with its error, which `status` (text and `--json`) shows, and the error names
//! the permission the failed call needs and says to grant it with admin consent.

use nowsync::sim::graph::Faults;

use super::setup;
use crate::support::text;

#[tokio::test]
async fn a_cycle_graph_refuses_is_recorded_failed_naming_the_permission_to_grant() {
    let env = setup(30, 4, 5, 0).await;
    let (code, _) = env.sync(&[]).await;
    assert!(matches!(code, 0 | 1));
    // Groups are readable with GroupMember.Read.All or Group.Read.All: both denied.
    for (deny, named) in [
        (vec!["Application.Read.All"], "Application.Read.All"),
        (vec!["User.Read.All"], "User.Read.All"),
        (vec!["GroupMember.Read.All", "Group.Read.All"], "GroupMember.Read.All"),
    ] {
        env.world.graph.sim.set_faults(Faults {
            deny: deny.iter().map(|d| (*d).to_owned()).collect(),
            ..Faults::default()
        });
        // A full read, so every call is made (an incremental one may skip the groups).
        let out = env.nowsync(&["sync", "--once", "--reconcile"]).await;
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{stderr}");
        for needle in [named, "admin consent"] {
            assert!(stderr.contains(needle), "{needle} in {stderr}");
        }
        let status = env.status().await;
        let last = &status["last_cycle"];
        assert_eq!(last["outcome"], "failed", "{status}");
        let error = last["error"].as_str().unwrap_or_default();
        assert!(error.contains(named) && error.contains("admin consent"), "{status}");
        assert!(last["finished"].is_string(), "{status}");
        let out = env.nowsync(&["status"]).await;
        let shown = text(&out.stdout);
        assert!(shown.contains("failed") && shown.contains(named), "{shown}");
    }
}

/// Acceptance N7: a cycle that fails before it processes any object (the instance
/// hibernating) has no record, but `logs --cycle N` says it failed, why and the way out, as
/// `status` does.
#[tokio::test]
async fn logs_of_a_cycle_that_failed_before_any_object_say_its_failure_and_the_way_out() {
    let env = setup(10, 2, 0, 0).await;
    let (code, _) = env.sync(&[]).await;
    assert!(matches!(code, 0 | 1));
    let url = format!("{}/sim/faults", env.world.snow.url);
    let body = serde_json::json!({"hibernating": true});
    reqwest::Client::new().post(url).json(&body).send().await.unwrap();
    let out = env.nowsync(&["sync", "--once"]).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let status = env.status().await;
    let last = &status["last_cycle"];
    assert_eq!(last["outcome"], "failed", "{status}");
    let error = last["error"].as_str().unwrap_or_default().to_owned();
    assert!(error.contains("hibernating"), "{error}");
    let id = last["id"].to_string();
    let out = env.nowsync(&["logs", "--cycle", &id]).await;
    let shown = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        shown.starts_with(&format!("cycle {id} (incremental) failed: {error}")),
        "{shown}"
    );
    let out = env.nowsync(&["logs", "--cycle", &id, "--format", "json"]).await;
    assert_eq!(text(&out.stdout).trim(), "[]", "the JSON stays the records");
    assert!(text(&out.stderr).contains(&format!("cycle {id} (incremental) failed: ")));
}
