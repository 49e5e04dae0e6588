//! Provision on demand: the four steps for a new user, a matched existing user, an
//! out-of-scope user and a user with a missing reference; `--dry-run` writes nothing.

use serde_json::Value;

use super::setup;
use crate::support::text;

fn user_ops(plan: &[Value], pred: impl Fn(&Value) -> bool) -> Option<&Value> {
    plan.iter().find(|op| op["object_type"] == "user" && pred(op))
}

fn match_detail(op: &Value) -> String {
    op["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["name"] == "Match"))
        .and_then(|s| s["detail"].as_str())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn provision_on_demand_prints_the_steps_and_a_dry_run_writes_nothing() {
    let env = setup(200, 20, 20, 0).await;
    let (_, dry) = env.sync(&["--dry-run"]).await;
    let plan = dry["plan"].as_array().unwrap().clone();
    let new_user = user_ops(&plan, |op| op["kind"]["action"] == "create").unwrap();
    let matched = user_ops(&plan, |op| match_detail(op).contains("matched on")).unwrap();
    let missing = user_ops(&plan, |op| {
        op["kind"]["action"] == "error" && op["kind"]["code"] == "InvalidLookupReference"
    })
    .unwrap();
    let scope = env.graph.assigned_scope().await.unwrap();
    let ids = scope.user_ids();
    let tenant = env.world.graph.sim.tenant().clone();
    let outside = tenant.users.iter().find(|u| !ids.contains(&u.id.as_str())).unwrap();

    // Dry run: every step, nothing written.
    let upn = new_user["source_name"].as_str().unwrap();
    env.reset_stats().await;
    let out = env.nowsync(&["provision", "--user", upn, "--dry-run"]).await;
    let shown = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{shown} {}", text(&out.stderr));
    for step in [
        "Import",
        "Scope   in scope",
        "Match   ",
        "no row matches: create",
        "Action  create",
        "dry run",
    ] {
        assert!(shown.contains(step), "{step} in {shown}");
    }
    assert_eq!(env.writes().await, 0, "a dry run writes nothing");
    // Acceptance F15: no UPN glued to the end of the object's own Action lines (the heading
    // names it), no "scope: scope:".
    assert!(
        !shown.lines().any(|l| l.starts_with("  Action") && l.ends_with(upn)),
        "{shown}"
    );
    assert!(!shown.contains("scope: scope:"), "{shown}");
    // The Import step names a manager by its UPN, not its Entra object id.
    let with_manager = tenant
        .users
        .iter()
        .filter(|u| ids.contains(&u.id.as_str()))
        .find_map(|u| {
            let manager = tenant.users.iter().find(|m| Some(&m.id) == u.manager_id.as_ref())?;
            Some((u.user_principal_name.clone(), manager.clone()))
        })
        .unwrap();
    let out = env
        .nowsync(&["provision", "--user", &with_manager.0, "--dry-run"])
        .await;
    let import = text(&out.stdout);
    assert!(
        import.contains(&format!("          manager: {}\n", with_manager.1.user_principal_name))
            && !import.contains(&with_manager.1.id),
        "{import}"
    );

    // For real: the user is created.
    let out = env.nowsync(&["provision", "--user", upn]).await;
    let shown = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{shown} {}", text(&out.stderr));
    assert!(shown.contains("Result  success create"), "{shown}");
    let rows = env.rows("sys_user", &["user_name"]).await;
    assert!(
        rows.iter()
            .any(|r| r["user_name"].as_str().unwrap_or_default().eq_ignore_ascii_case(upn))
    );

    // A pre-existing ServiceNow user: matched, with its candidate listed.
    let id = matched["source_id"].as_str().unwrap();
    let sys = matched["target_id"].as_str().unwrap();
    let out = env.nowsync(&["provision", "--user", id]).await;
    let shown = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{shown} {}", text(&out.stderr));
    assert!(
        shown.contains("matched on") && shown.contains(&format!("candidate(s): {sys}")),
        "{shown}"
    );
    let links = env.nowsync(&["links", "--format", "json"]).await;
    assert!(text(&links.stdout).contains(sys), "linked");

    // Out of scope: said why, nothing matched or written.
    env.reset_stats().await;
    let out = env
        .nowsync(&["provision", "--user", &outside.user_principal_name])
        .await;
    let shown = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{shown} {}", text(&out.stderr));
    assert!(shown.contains("out of scope: not assigned"), "{shown}");
    // Acceptance A5: the label is not said twice.
    assert!(!shown.contains("out of scope: out of scope"), "{shown}");
    assert!(
        shown.contains("not evaluated") && shown.contains("skip: nothing to do"),
        "{shown}"
    );
    assert_eq!(env.writes().await, 0);

    // A missing reference: the failure, its table and value, exit 1, nothing written.
    let out = env
        .nowsync(&["provision", "--user", missing["source_name"].as_str().unwrap()])
        .await;
    let shown = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{shown} {}", text(&out.stderr));
    assert!(
        shown.contains("InvalidLookupReference") && shown.contains("has no row whose name is"),
        "{shown}"
    );
    assert_eq!(env.writes().await, 0);

    // A group with its members, dry run: the group's steps, then each member's; no write.
    // Entra takes at most 5 members per request (its others leave the group in Entra first).
    let (gid, members) = scope.group_members.iter().find(|(_, m)| !m.is_empty()).unwrap();
    let members: Vec<&String> = members.iter().take(5).collect();
    for m in scope.group_members[gid].iter().skip(5) {
        let path = format!("/groups/{gid}/members/{m}/$ref");
        env.graph_write(reqwest::Method::DELETE, &path, Value::Null).await;
    }
    env.reset_stats().await;
    let out = env.nowsync(&["provision", "--group", gid, "--dry-run", "--json"]).await;
    assert!(out.status.code().is_some_and(|c| c <= 1), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let objects = report["objects"].as_array().unwrap();
    assert_eq!(objects[0]["object_type"], "group");
    assert_eq!(objects[0]["source_id"], gid.as_str());
    for m in members {
        assert!(objects.iter().any(|o| o["source_id"] == m.as_str()), "member {m}");
    }
    assert_eq!(env.writes().await, 0);

    // An unknown user is a usage error.
    let out = env.nowsync(&["provision", "--user", "nobody@nowhere.example"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}
