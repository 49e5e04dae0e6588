//! What a client attaching to `nowsync run` gets after the backlog (issue 15, as an admin
//! attaching a console found it): the last plan as it stands (an applied plan never offered
//! as ready again) and when it was made; the running cycle in every phase, reads included,
//! with its progress and clock; the engine's own next scheduled run. Plan numbers go on over
//! engine processes, and a stop asked for ends `run` with 0.

use std::time::{Duration, Instant};

use nowsync::door::Client;
use nowsync::door::replay::{NextRun, PlanState, Replay};
use nowsync::sync::{Command, CycleKind};

use super::setup;
use super::socket::{finished, next_matching, plan_ready, set_enabled, socket_of, spawn_run};

/// Attaches again and again (every 50 ms, at most 60 s) until the replay satisfies `want`.
async fn attach_until(path: &std::path::Path, what: &str, mut want: impl FnMut(&Replay) -> bool) -> Replay {
    let start = Instant::now();
    loop {
        let (_, attached) = Client::attach(path, "test").await.unwrap();
        if want(&attached.replay) {
            return attached.replay;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "waited 60 s for {what}: {:?}",
            attached.replay.running
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_client_attaching_later_gets_the_plan_as_it_stands_and_plan_numbers_go_on() {
    let env = setup(200, 20, 20, 0).await;
    set_enabled(&env, false);
    let mut run = spawn_run(&env);
    let path = socket_of(&env).await;
    let (mut a, first) = Client::attach(&path, "console-a").await.unwrap();
    assert!(first.replay.plan.is_none() && first.replay.running.is_none());
    assert_eq!(
        first.replay.next_run,
        Some(NextRun { at: None }),
        "provisioning off: no cycle runs by itself"
    );

    a.command(Command::DryRun).await.unwrap();
    next_matching(&mut a, "the dry run's end", finished(true)).await;
    let shown = attach_until(&path, "the dry run's plan", |r| r.plan.is_some())
        .await
        .plan
        .unwrap();
    assert_eq!(shown.state, PlanState::Ready, "a current dry run's plan is offered");
    assert!(
        chrono::DateTime::parse_from_rfc3339(&shown.made).is_ok(),
        "{}",
        shown.made
    );
    let id = shown.plan.id;

    // Applied (by console A) a little later: a console attaching now sees it applied, made
    // when it was shown.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    a.command(Command::ApplyPlan { plan_id: id }).await.unwrap();
    next_matching(&mut a, "the applied plan's cycle", finished(false)).await;
    // The door's tracker reads the engine's events on its own subscription: it may not have
    // seen the cycle's end when client A has, so the replay is awaited with no cycle running.
    let replay = attach_until(&path, "the plan applied and its cycle ended", |r| {
        r.running.is_none()
            && r.plan
                .as_ref()
                .is_some_and(|p| matches!(p.state, PlanState::Applied { .. }))
    })
    .await;
    let applied = replay.plan.unwrap();
    assert_eq!(applied.plan.id, id);
    assert_eq!(
        applied.made, shown.made,
        "made when the engine made it, not when attached"
    );

    // Stopped through the socket: a clean stop, exit 0.
    a.command(Command::Stop).await.unwrap();
    let out = tokio::time::timeout(Duration::from_secs(30), run.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(out.code(), Some(0), "{out:?}");

    // A new engine process goes on numbering plans: plan `id` means one plan.
    let _run = spawn_run(&env);
    let path = socket_of(&env).await;
    let (mut b, _) = Client::attach(&path, "console-b").await.unwrap();
    b.command(Command::DryRun).await.unwrap();
    let plan = plan_ready(&mut b, "the new engine's plan").await;
    assert!(plan.id > id, "plan {} after plan {id}", plan.id);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_attaching_mid_cycle_gets_its_phase_progress_clock_and_the_next_run() {
    // 40 ms per request: the initial cycle and a reconciliation take seconds.
    let env = setup(300, 30, 40, 40).await;
    let _run = spawn_run(&env);
    let path = socket_of(&env).await;
    let replay = attach_until(&path, "the cycle mid-apply", |r| {
        r.running
            .as_ref()
            .is_some_and(|c| !c.reading && c.done > 0 && c.done < c.total)
    })
    .await;
    let c = replay.running.unwrap();
    assert!(
        c.elapsed_ms > 0 && !c.rates.is_empty(),
        "the clock behind rate and ETA: {c:?}"
    );
    let t = &c.tally;
    assert!(
        t.created + t.updated + t.skipped + t.failed > 0,
        "the counts so far: {c:?}"
    );
    let Some(NextRun { at: Some(next) }) = replay.next_run else {
        panic!("the engine's next run: {:?}", replay.next_run)
    };
    let next = chrono::DateTime::parse_from_rfc3339(&next).unwrap();
    assert!(next > chrono::Utc::now(), "the next run is ahead: {next}");

    // Reconciliation asked over the socket (the console's R): attached during its reads, the
    // cycle shows, reading.
    let (mut a, _) = Client::attach(&path, "console").await.unwrap();
    next_matching(&mut a, "the first cycle's end", finished(false)).await;
    a.command(Command::Reconcile { dry_run: false }).await.unwrap();
    let reading = attach_until(&path, "the reconciliation reading", |r| {
        r.running.as_ref().is_some_and(|c| c.reading)
    })
    .await;
    let c = reading.running.unwrap();
    assert_eq!(c.kind, CycleKind::Reconciliation);
    assert!(!c.dry_run && c.cycle_id >= 2, "{c:?}");
}
