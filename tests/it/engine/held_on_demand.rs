//! Provisioning one held object on demand (acceptance N4): a user the deletion threshold
//! holds, provisioned with `nowsync provision`, is disabled together with its held membership
//! removals, and exactly those leave the staged set; the rest stays held, and so does the
//! quarantine (it disabled the user and left the membership removal held, the counts unchanged).

use serde_json::Value;

use super::held::{provisioned_all, switch_to_assigned_is_held};
use crate::support::text;

/// A held user with held membership removals, from a dry run's plan: its UPN, its object id
/// and how many of its removals are held.
pub(crate) fn held_user_with_memberships(plan: &[Value]) -> (String, String, usize) {
    let held = |op: &&Value, t: &str| op["object_type"] == t && op["kind"]["action"] == "staged_delete";
    plan.iter()
        .filter(|op| held(op, "user"))
        .find_map(|user| {
            let id = user["source_id"].as_str()?;
            let upn = user["source_name"].as_str()?.to_owned();
            let removals = plan
                .iter()
                .filter(|op| held(op, "membership") && op["member_id"] == id)
                .count();
            (removals > 0).then(|| (upn, id.to_owned(), removals))
        })
        .expect("a held user with held membership removals")
}

#[tokio::test]
async fn provisioning_a_held_user_applies_its_held_removals_with_it_and_takes_them_out_of_the_held_set() {
    let (env, before) = provisioned_all().await;
    let staged = switch_to_assigned_is_held(&env, &before).await;
    let (_, dry) = env.sync(&["--dry-run"]).await;
    let (upn, _, removals) = held_user_with_memberships(dry["plan"].as_array().unwrap());
    let name = upn.to_lowercase();
    assert!(before.members.iter().any(|(_, u)| *u == name));

    let out = env.nowsync(&["provision", "--user", &upn]).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout} {}", text(&out.stderr));
    assert!(
        stdout.contains("Held    by the deletion threshold until now"),
        "{stdout}"
    );
    // Every op it applied is listed: the disable and each membership removal with it.
    let applied = stdout.lines().filter(|l| l.starts_with("  Result  success ")).count();
    let removed = stdout
        .lines()
        .filter(|l| l.starts_with("  Result  success remove_member"))
        .count();
    assert_eq!((applied, removed), (1 + removals, removals), "{stdout}");
    let left = staged - 1 - removals;
    assert!(
        stdout.contains(&format!("{left} stay held by the deletion threshold")),
        "{stdout}"
    );

    let after = env.state().await;
    assert_eq!(after.users.get(&name).map(String::as_str), Some("false"), "disabled");
    assert!(
        !after.members.iter().any(|(_, u)| *u == name),
        "its held membership removals were applied with it"
    );
    let mut rest = before.members.clone();
    rest.retain(|(_, u)| *u != name);
    assert_eq!(after.members, rest, "no other membership changed");
    let st = env.status().await;
    assert_eq!(
        st["staged_deletions"].as_array().unwrap().len(),
        left,
        "exactly its held ops left the staged set: {st}"
    );
    assert_eq!(
        st["quarantine"]["reason"], "TooManyDeletes",
        "the rest stays held: {st}"
    );
    // Acceptance N15: the quarantine's detail (status's quarantine line) says what is held
    // now, not the counts from before the provision.
    let n = |k: &str| st["held"][k].as_u64().unwrap_or(0);
    let words = nowsync::sync::op::held_words(n("disable"), n("deactivate"), n("delete"), n("remove_member"))
        .unwrap_or_default();
    let detail = st["quarantine"]["detail"].as_str().unwrap_or_default();
    assert!(
        detail.starts_with("held by the deletion threshold (3): ") && detail.ends_with(&words),
        "{detail} against {words}"
    );
}
