//! A dry run's plan is valid for a bounded time after its reads (review R5, issue 14 item 2):
//! applied later, either side may have changed by hand, so `ApplyPlan` refuses it ("expired")
//! and writes nothing. The engine's clock is injected (`Options::clock`): the test moves it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use nowsync::sync::{self, Clock, Command, Handle, Plan, SyncEvent};

use super::plans::scope;
use super::{Env, next_event as next_matching, setup};

/// A clock at the system's time plus the minutes in the returned counter.
fn movable() -> (Clock, Arc<AtomicI64>) {
    let minutes = Arc::new(AtomicI64::new(0));
    let m = minutes.clone();
    let clock = Clock::new(move || chrono::Utc::now() + chrono::Duration::minutes(m.load(Ordering::SeqCst)));
    (clock, minutes)
}

pub(super) async fn engine(env: &Env, clock: Clock) -> (Handle, tokio::sync::broadcast::Receiver<SyncEvent>) {
    let all = scope(env, "all");
    let mut options = sync::Options::new(env.ws.data_dir());
    options.clock = clock;
    let handle = Handle::start(&all, env.credentials(), options).unwrap();
    let rx = handle.subscribe();
    (handle, rx)
}

pub(super) async fn dry_run(handle: &Handle, rx: &mut tokio::sync::broadcast::Receiver<SyncEvent>) -> Arc<Plan> {
    handle.send(Command::DryRun);
    let plan = match next_matching(rx, |e| matches!(e, SyncEvent::PlanReady { .. })).await {
        SyncEvent::PlanReady { plan, .. } => plan,
        _ => unreachable!(),
    };
    next_matching(rx, |e| matches!(e, SyncEvent::CycleFinished { dry_run: true, .. })).await;
    plan
}

#[tokio::test]
async fn a_plan_applied_after_its_validity_is_refused_and_writes_nothing() {
    let env = setup(200, 20, 20, 0).await;
    let (clock, minutes) = movable();
    let (handle, mut rx) = engine(&env, clock).await;
    let before = env.state().await;

    let plan = dry_run(&handle, &mut rx).await;
    assert!(plan.counts.writes() > 0, "{:?}", plan.counts);
    let (Some(made), Some(until)) = (plan.basis.made, plan.basis.valid_until) else {
        panic!(
            "a dry run's plan says when it was made and until when it is valid: {:?}",
            plan.basis
        );
    };
    assert_eq!(
        until - made,
        chrono::Duration::minutes(15),
        "plan_valid_minutes' default"
    );

    // Sixteen minutes on, nothing in nowsync changed, but the plan is too old to apply.
    minutes.store(16, Ordering::SeqCst);
    env.reset_stats().await;
    handle.send(Command::ApplyPlan { plan_id: plan.id });
    let reason = match next_matching(&mut rx, |e| {
        matches!(e, SyncEvent::PlanRefused { .. } | SyncEvent::CycleStarted { .. })
    })
    .await
    {
        SyncEvent::PlanRefused { reason, .. } => reason,
        other => panic!("the expired plan was applied: {other:?}"),
    };
    let expected = format!(
        "this plan is out of date: make a new dry run (plan {}: it expired at {} UTC, 15 minutes after its reads)",
        plan.id,
        until.format("%H:%M")
    );
    assert_eq!(reason, expected);
    assert_eq!(env.writes().await, 0, "nothing is written");
    assert_eq!(env.state().await, before);

    // A new dry run at the clock's time is valid again, and applied within its validity.
    let plan = dry_run(&handle, &mut rx).await;
    minutes.store(16 + 14, Ordering::SeqCst);
    handle.send(Command::ApplyPlan { plan_id: plan.id });
    match next_matching(&mut rx, |e| {
        matches!(
            e,
            SyncEvent::PlanRefused { .. } | SyncEvent::CycleFinished { dry_run: false, .. }
        )
    })
    .await
    {
        SyncEvent::CycleFinished { .. } => {}
        other => panic!("a plan within its validity is applied: {other:?}"),
    }
    assert!(env.writes().await > 0);
    handle.shutdown().await;
}
