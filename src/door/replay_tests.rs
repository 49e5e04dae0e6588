use super::*;
use crate::sync::op::{CycleKind, Plan};

fn plan(id: u64) -> Arc<Plan> {
    Arc::new(Plan::new(id, CycleKind::Incremental, Vec::new()))
}

fn started(cycle_id: i64, dry_run: bool, operations: u64) -> SyncEvent {
    SyncEvent::CycleStarted {
        cycle_id,
        kind: CycleKind::Initial,
        dry_run,
        totals: Totals {
            users: 3000,
            groups: 10,
            operations,
        },
    }
}

fn finished(cycle_id: i64, dry_run: bool) -> SyncEvent {
    SyncEvent::CycleFinished {
        cycle_id,
        dry_run,
        stats: Default::default(),
    }
}

fn wall(s: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

#[test]
fn an_applied_plan_replays_as_applied_with_the_time_it_was_made() {
    let t0 = Instant::now();
    let mut tracker = Tracker::default();
    // A dry run shows plan 7 at 12:00:05 …
    tracker.see_at(&started(4, true, 3), t0, wall("2026-12-07T12:00:00Z"));
    tracker.see_at(
        &SyncEvent::PlanReady {
            cycle_id: 4,
            plan: plan(7),
        },
        t0,
        wall("2026-12-07T12:00:05Z"),
    );
    tracker.see_at(&finished(4, true), t0, wall("2026-12-07T12:00:05Z"));
    let p = tracker.replay().plan.unwrap();
    assert_eq!(
        (p.plan.id, &p.state, p.made.as_str()),
        (7, &PlanState::Ready, "2026-12-07T12:00:05Z")
    );
    // … a console applies it at 12:03: cycle 4 runs it.
    tracker.see_at(&started(4, false, 3), t0, wall("2026-12-07T12:03:00Z"));
    tracker.see_at(
        &SyncEvent::PlanReady {
            cycle_id: 4,
            plan: plan(7),
        },
        t0,
        wall("2026-12-07T12:03:00Z"),
    );
    tracker.see_at(&finished(4, false), t0, wall("2026-12-07T12:04:00Z"));
    let replay = tracker.replay();
    let p = replay.plan.unwrap();
    assert_eq!(p.state, PlanState::Applied { cycle_id: 4 }, "never ready again");
    assert_eq!(p.made, "2026-12-07T12:00:05Z", "made when shown, not when attached");
    assert!(replay.running.is_none());
}

#[test]
fn a_refused_or_superseded_plan_replays_as_such() {
    let t0 = Instant::now();
    let now = wall("2026-12-07T12:00:00Z");
    let mut tracker = Tracker::default();
    tracker.see_at(&started(2, true, 0), t0, now);
    tracker.see_at(
        &SyncEvent::PlanReady {
            cycle_id: 2,
            plan: plan(3),
        },
        t0,
        now,
    );
    tracker.see_at(&finished(2, true), t0, now);
    tracker.see_at(
        &SyncEvent::PlanRefused {
            plan_id: 3,
            reason: "this plan is out of date: make a new dry run (plan 3: a cycle ran since it was made)".into(),
        },
        t0,
        now,
    );
    assert!(matches!(
        tracker.replay().plan.unwrap().state,
        PlanState::Refused { .. }
    ));

    let mut tracker = Tracker::default();
    tracker.see_at(&started(2, true, 0), t0, now);
    tracker.see_at(
        &SyncEvent::PlanReady {
            cycle_id: 2,
            plan: plan(3),
        },
        t0,
        now,
    );
    tracker.see_at(&finished(2, true), t0, now);
    // A scheduled cycle runs (its plan is 4): plan 4 is its, applied.
    tracker.see_at(&started(2, false, 0), t0, now);
    let superseded = tracker.replay().plan.unwrap();
    assert_eq!(superseded.plan.id, 3);
    assert!(matches!(superseded.state, PlanState::Superseded { .. }));
    tracker.see_at(
        &SyncEvent::PlanReady {
            cycle_id: 2,
            plan: plan(4),
        },
        t0,
        now,
    );
    let p = tracker.replay().plan.unwrap();
    assert_eq!((p.plan.id, p.state), (4, PlanState::Applied { cycle_id: 2 }));
}

#[test]
fn the_running_cycle_replays_its_phase_counts_clock_and_throughput() {
    let t0 = Instant::now();
    let now = wall("2026-12-07T12:00:00Z");
    let mut tracker = Tracker::default();
    tracker.see_at(
        &SyncEvent::CycleReading {
            cycle_id: 5,
            kind: CycleKind::Initial,
            dry_run: false,
        },
        t0,
        now,
    );
    let reading = tracker.replay_at(t0).running.unwrap();
    assert!(reading.reading && reading.cycle_id == 5 && reading.kind == CycleKind::Initial);

    tracker.see_at(&started(5, false, 3000), t0, now);
    for (second, done) in [(0u64, 20u64), (1, 60), (3, 150)] {
        tracker.see_at(
            &SyncEvent::Progress {
                cycle_id: 5,
                done,
                total: 3000,
            },
            t0 + Duration::from_millis(second * 1000 + 500),
            now,
        );
    }
    let r = tracker.replay_at(t0 + Duration::from_secs(5)).running.unwrap();
    assert!(!r.reading);
    assert_eq!((r.done, r.total, r.elapsed_ms), (150, 3000, 5000));
    assert_eq!(r.rates, [20, 40, 0, 90, 0], "objects done in each second");
    assert_eq!(r.totals.users, 3000);

    tracker.see_at(&finished(5, false), t0, now);
    assert!(tracker.replay().running.is_none());
}

#[test]
fn the_next_run_is_the_engines_last_word() {
    let mut tracker = Tracker::default();
    assert_eq!(tracker.replay().next_run, None);
    tracker.see(&SyncEvent::NextRun {
        at: Some("2026-12-07T12:40:00Z".into()),
    });
    let said = |at: Option<&str>| {
        Some(NextRun {
            at: at.map(str::to_owned),
        })
    };
    assert_eq!(tracker.replay().next_run, said(Some("2026-12-07T12:40:00Z")));
    tracker.see(&SyncEvent::NextRun { at: None });
    assert_eq!(tracker.replay().next_run, said(None));
    // "None scheduled" travels as such, not as "not said".
    let text = serde_json::to_string(&tracker.replay()).unwrap();
    assert_eq!(serde_json::from_str::<Replay>(&text).unwrap().next_run, said(None));
}

#[test]
fn an_object_with_two_failed_operations_is_one_failure() {
    use crate::sync::outcome::{Action, Status};
    let result = |action: Action, status: Status| ObjectResult {
        cycle_id: 3,
        change_id: format!("3-user-{action}"),
        time: chrono::DateTime::UNIX_EPOCH,
        object_type: ObjectType::User,
        source_id: "u1".into(),
        member_id: None,
        source_name: "a@x.com".into(),
        target_id: None,
        action,
        status,
        error_code: None,
        reason: String::new(),
        recommended_action: None,
        steps: Vec::new(),
        modified_properties: Vec::new(),
        duration_ms: 1,
    };
    let mut tally = Tally::default();
    tally.count(&result(Action::Create, Status::Failure));
    tally.count(&result(Action::Update, Status::Failure));
    assert_eq!(tally.failed, 1, "counts mean objects");
    // A console attaching mid-cycle goes on counting each object once.
    let mut attached: Tally = serde_json::from_value(serde_json::to_value(&tally).unwrap()).unwrap();
    attached.count(&result(Action::Update, Status::Failure));
    assert_eq!(attached.failed, 1);
}
