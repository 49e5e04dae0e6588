//! Exit codes by kind (issue 17, defect 6): each code from a typed error, with what it says.
//! Code 4 (deletion threshold, quarantine) is judged in `engine::ops`.

use nowsync::store::{StagedRow, Store};

use super::super::engine::setup;
use super::super::support::text;
use super::run_in;

/// 1 for a cycle whose objects failed (the tenant's planted InvalidLookupReference), 0 for
/// the readers after it, 2 for provisioning an object Entra does not have.
#[tokio::test]
async fn object_failures_exit_1_readers_0_and_an_unknown_object_2() {
    let env = setup(200, 20, 0, 0).await;
    let dir = env.ws.data_dir();
    let out = run_in(&env, &dir, &["sync", "--once"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    for args in [&["logs"][..], &["links"], &["status"]] {
        let out = run_in(&env, &dir, args).await;
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out.stderr));
    }
    let out = run_in(&env, &dir, &["provision", "--user", "nobody@nowhere.example"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("nobody@nowhere.example"),
        "{}",
        text(&out.stderr)
    );
}

/// A profile locked by a running engine and a bad configuration are both 2, and their
/// messages tell them apart.
#[tokio::test]
async fn a_locked_profile_and_a_bad_configuration_exit_2_saying_which() {
    let env = setup(20, 4, 0, 0).await;
    let dir = env.ws.data_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let lock = nowsync::store::ProfileLock::acquire(&dir, "default").unwrap();
    let locked = run_in(&env, &dir, &["sync", "--once"]).await;
    drop(lock);
    assert_eq!(locked.status.code(), Some(2), "{}", text(&locked.stderr));
    assert!(
        text(&locked.stderr).contains("already run by another nowsync"),
        "{}",
        text(&locked.stderr)
    );
    let good = std::fs::read_to_string(env.ws.config()).unwrap();
    env.ws.write_config(&format!(
        "{good}\n[profiles.default.provisioning]\ninterval_minutes = \"soon\"\n"
    ));
    let bad = run_in(&env, &dir, &["sync", "--once"]).await;
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad.stderr));
    assert!(text(&bad.stderr).contains("interval_minutes"), "{}", text(&bad.stderr));
    assert!(!text(&bad.stderr).contains("already run"), "{}", text(&bad.stderr));
}

/// An instance that does not answer is a connection failure: 3.
#[tokio::test]
async fn an_instance_that_does_not_answer_exits_3() {
    let env = setup(20, 4, 0, 0).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let config = std::fs::read_to_string(env.ws.config()).unwrap();
    let snow = env.world.snow.url.trim_end_matches('/').to_owned();
    env.ws
        .write_config(&config.replace(&snow, &format!("http://127.0.0.1:{port}")));
    let out = run_in(&env, &env.ws.data_dir(), &["sync", "--once"]).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
}

/// Issue 17, defect 4: a staged deletion that cannot be read stops `allow-deletes` with its
/// id (2: the state needs a person) and nothing is cleared. Before, it was skipped, and the
/// staged set cleared once the others were applied.
#[tokio::test]
async fn an_unreadable_staged_deletion_stops_allow_deletes_and_is_kept() {
    let env = setup(20, 4, 0, 0).await;
    let dir = env.ws.data_dir();
    let row = StagedRow {
        object_type: nowsync::model::ObjectType::User,
        source_id: "broken-staged-id".into(),
        source_name: "someone@example.com".into(),
        sys_id: "0123456789abcdef0123456789abcdef".into(),
        action: "delete".into(),
        cycle_id: 1,
        op: "{\"action\":\"delete\"".into(),
    };
    Store::open(&dir, "default").unwrap().set_staged(&[row]).unwrap();
    let out = run_in(&env, &dir, &["allow-deletes"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("broken-staged-id"), "{}", text(&out.stderr));
    let staged = Store::open(&dir, "default").unwrap().staged().unwrap();
    assert_eq!(staged.len(), 1, "the staged set was cleared");
}
