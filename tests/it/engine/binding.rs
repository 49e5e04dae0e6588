//! Issue 12, state bound to its instance and tenant, end to end: a profile re-pointed at
//! another ServiceNow instance or another Entra tenant is refused (exit 2, a message naming
//! both sides and the way out), with no write and no request to the old host; after
//! `restart --scope full` it runs against the new side.

use nowsync::sim::world;

use super::{Env, options, setup};
use crate::support::text;

/// Replaces every occurrence of `from` in the config file with `to`.
fn repoint(env: &Env, pairs: &[(String, String)]) {
    let path = env.ws.config();
    let mut config = std::fs::read_to_string(&path).unwrap();
    for (from, to) in pairs {
        assert!(config.contains(from.as_str()), "{from} in {config}");
        config = config.replace(from.as_str(), to);
    }
    std::fs::write(&path, config).unwrap();
}

fn field(line: &serde_json::Value, k: &str) -> String {
    line[k].as_str().unwrap().to_owned()
}

/// A second world whose tenant differs from `setup`'s (another seed).
async fn other_world() -> world::World {
    let mut o = options(100, 10, 20, 0);
    o.graph.seed = 6;
    world::spawn(o).await.unwrap()
}

#[tokio::test]
async fn a_profile_repointed_at_another_instance_is_refused_until_restarted_full() {
    let mut env = setup(150, 10, 20, 0).await;
    env.sync(&[]).await;
    let other = other_world().await;
    let (old, new) = (env.world.ready_line(), other.ready_line());
    repoint(&env, &[(field(&old, "servicenow_url"), field(&new, "servicenow_url"))]);
    for (k, v) in env.env.iter_mut() {
        if k == "NOWSYNC_SERVICENOW_PASSWORD" {
            *v = field(&new, "servicenow_password");
        }
    }
    env.reset_stats().await;
    let before = env.world.snow.sim.stats();
    let out = env.nowsync(&["sync", "--once"]).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for needle in [
        field(&old, "servicenow_url"),
        field(&new, "servicenow_url"),
        other.snow.sim.instance_id().to_owned(),
        "restart --scope full".to_owned(),
    ] {
        assert!(stderr.contains(&needle), "{needle} in {stderr}");
    }
    assert_eq!(env.world.snow.sim.stats(), before, "no request to the old instance");
    let new_requests = &other.snow.sim.stats()["requests"];
    for m in ["POST", "PUT", "PATCH", "DELETE"] {
        assert_eq!(new_requests[m], 0, "no write to the new instance: {new_requests}");
    }

    let out = env.nowsync(&["restart", "--scope", "full"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = env.nowsync(&["sync", "--once"]).await;
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", text(&out.stderr));
    assert!(other.snow.sim.stats()["requests"]["POST"].as_u64() > Some(0));
}

#[tokio::test]
async fn a_profile_repointed_at_another_tenant_is_refused_without_a_request_to_the_old_graph() {
    let mut env = setup(150, 10, 20, 0).await;
    env.sync(&[]).await;
    let other = other_world().await;
    let (old, new) = (env.world.ready_line(), other.ready_line());
    assert_ne!(field(&old, "tenant_id"), field(&new, "tenant_id"));
    let keys = [
        "graph_url",
        "authority_url",
        "tenant_id",
        "client_id",
        "service_principal_id",
    ];
    let pairs: Vec<(String, String)> = keys
        .iter()
        .map(|k| (format!("\"{}\"", field(&old, k)), format!("\"{}\"", field(&new, k))))
        .collect();
    repoint(&env, &pairs);
    for (k, v) in env.env.iter_mut() {
        if k == "NOWSYNC_GRAPH_CLIENT_SECRET" {
            *v = field(&new, "client_secret");
        }
    }
    let graph_before = env.world.graph.sim.stats().requests;
    env.reset_stats().await;
    let out = env.nowsync(&["sync", "--once"]).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for needle in [
        field(&old, "tenant_id"),
        field(&new, "tenant_id"),
        "restart --scope full".into(),
    ] {
        assert!(stderr.contains(&needle), "{needle} in {stderr}");
    }
    assert_eq!(
        env.world.graph.sim.stats().requests,
        graph_before,
        "no request to the old tenant's Graph (its delta links are never followed)"
    );
    assert_eq!(env.writes().await, 0, "nothing written to the instance");
    let status = env.status().await;
    assert!(status["quarantine"].is_null(), "{status}");
}
