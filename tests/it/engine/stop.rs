//! A cycle the admin stops (`Command::Stop`: the console's `x`, SIGTERM on `run`) is recorded
//! as stopped — in its row, its `CycleFinished`, `status` — with where it was: while applying,
//! how many of its plan's operations were done; while reading, nothing planned. The next
//! cycle plans what was left undone.

use nowsync::sync::{self, Command, StopPhase, SyncEvent};

use super::plans::scope;
use super::{next_event, setup};
use crate::support::text;

/// Runs one cycle in-process and stops the engine once `at` is seen; the cycle's end.
async fn stopped_cycle(env: &super::Env, at: impl Fn(&SyncEvent) -> bool) -> (i64, sync::CycleStats) {
    let profile = scope(env, "all");
    let handle = env.start(&profile);
    let mut rx = handle.subscribe();
    handle.send(Command::RunNow);
    next_event(&mut rx, at).await;
    handle.shutdown().await;
    match next_event(&mut rx, |e| matches!(e, SyncEvent::CycleFinished { .. })).await {
        SyncEvent::CycleFinished {
            cycle_id,
            dry_run: false,
            stats,
        } => (cycle_id, stats),
        e => panic!("{e:?}"),
    }
}

#[tokio::test]
async fn a_cycle_stopped_while_applying_is_recorded_as_stopped_and_the_next_plans_the_rest() {
    let env = setup(200, 6, 0, 15).await;
    let (cycle_id, stats) = stopped_cycle(&env, |e| matches!(e, SyncEvent::Progress { done: 20.., .. })).await;
    assert_eq!(cycle_id, 1);
    let at = stats.stopped.unwrap_or_else(|| panic!("not stopped: {stats:?}"));
    assert_eq!(at.phase, StopPhase::Applying);
    assert!(at.done >= 20 && at.done < at.total, "{at:?}");
    assert_eq!(stats.outcome(), "stopped");

    let status = env.status().await;
    assert_eq!(status["last_cycle"]["id"], 1, "{status}");
    assert_eq!(status["last_cycle"]["outcome"], "stopped", "{status}");
    assert_eq!(status["last_cycle"]["stopped"]["phase"], "applying", "{status}");
    assert_eq!(status["last_cycle"]["stopped"]["done"], at.done, "{status}");
    assert_eq!(status["last_cycle"]["stopped"]["total"], at.total, "{status}");
    let out = env.nowsync(&["status"]).await;
    let said = text(&out.stdout);
    assert!(
        said.contains(&format!("1 (initial) stopped after {} of", at.done)),
        "{said}"
    );

    // Nothing of the stopped cycle's reads was kept: the next cycle plans what was left, and
    // after it nothing is left to write.
    let (code, doc) = env.sync(&[]).await;
    // 1: some of the simulated tenant's objects fail every cycle (unknown departments).
    assert!(code <= 1, "{code}: {}", doc["stats"]);
    assert!(doc["stats"]["writes"].as_u64().unwrap() > 0, "{}", doc["stats"]);
    assert!(doc["stats"].get("stopped").is_none(), "{}", doc["stats"]);
    let (code, doc) = env.sync(&[]).await;
    // 1: some of the simulated tenant's objects fail every cycle (unknown departments).
    assert!(code <= 1, "{code}: {}", doc["stats"]);
    assert_eq!(doc["stats"]["writes"], 0, "{}", doc["stats"]);
    let status = env.status().await;
    assert_ne!(status["last_cycle"]["outcome"], "stopped", "{status}");
    assert_eq!(status["to_date"].get("stopped"), None, "{status}");
}

#[tokio::test]
async fn a_cycle_stopped_while_reading_is_recorded_as_stopped_not_as_an_empty_cycle() {
    let env = setup(60, 4, 0, 40).await;
    let (code, doc) = env.sync(&[]).await;
    // 1: some of the simulated tenant's objects fail every cycle (unknown departments).
    assert!(code <= 1, "{code}: {}", doc["stats"]);
    let (cycle_id, stats) = stopped_cycle(&env, |e| matches!(e, SyncEvent::CycleReading { .. })).await;
    assert_eq!(cycle_id, 2);
    let at = stats.stopped.unwrap_or_else(|| panic!("not stopped: {stats:?}"));
    assert_eq!(at.phase, StopPhase::Reading, "{stats:?}");
    assert_eq!(stats.writes, 0);

    let status = env.status().await;
    assert_eq!(status["last_cycle"]["id"], 2, "{status}");
    assert_eq!(status["last_cycle"]["outcome"], "stopped", "{status}");
    assert_eq!(status["last_cycle"]["stopped"]["phase"], "reading", "{status}");
    let out = env.nowsync(&["status"]).await;
    let said = text(&out.stdout);
    // Initial: the in-process engine's scope ("all") is not the one cycle 1 ran under.
    assert!(said.contains("2 (initial) stopped while reading"), "{said}");
    assert!(!said.contains("created 0, updated 0"), "{said}");

    // The next cycle reads again and runs to its end.
    let (code, doc) = env.sync(&[]).await;
    assert!(code <= 1, "{code}: {}", doc["stats"]);
    assert_eq!(doc["cycle_id"], 3, "{}", doc["stats"]);
    assert_ne!(env.status().await["last_cycle"]["outcome"], "stopped");
}
