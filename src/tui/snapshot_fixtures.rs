//! Fixed values the snapshot tests draw: the wizard's fields, test-connection steps, a plan,
//! provisioning-log records.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::model::check::{Outcome, Step as CheckStep};
use crate::store::LogRecord;
use crate::sync::{Change, CycleKind, Failure, FailureCode, ObjectType, Op, OpKind, Plan, SkipReason};
use crate::tui::screens::wizard::Prefill;

pub fn prefill() -> Prefill {
    Prefill {
        instance: "http://127.0.0.1:41001".into(),
        username: "admin".into(),
        password: "hunter2hunter2".into(),
        tenant_id: "4e9d34e8-247e-4f86-87c2-e0e96aa8fbbe".into(),
        client_id: "8ae26805-a6df-4099-a484-32460f8bbccd".into(),
        client_secret: "a-client-secret".into(),
        service_principal_id: "e634874b-d8c5-48af-a8a1-6823e38d9d80".into(),
        email: "idm-team@example.com".into(),
        authority_url: Some("http://127.0.0.1:41002".into()),
        graph_url: Some("http://127.0.0.1:41002/v1.0".into()),
        ..Prefill::default()
    }
}

pub fn step(id: &'static str, title: &str, outcome: Outcome, ms: u64, message: &str, code: Option<&str>) -> CheckStep {
    CheckStep {
        id,
        title: title.into(),
        outcome,
        duration: Duration::from_millis(ms),
        message: message.into(),
        error_code: code.map(str::to_owned),
        connection_failure: outcome == Outcome::Fail,
    }
}

pub fn op(kind: OpKind, name: &str) -> Op {
    Op {
        object_type: ObjectType::User,
        source_id: format!("id-{name}").into(),
        source_name: name.into(),
        target_id: None,
        member_id: None,
        kind,
        steps: Vec::new().into(),
        hash: Default::default(),
    }
}

pub fn change(a: &str, old: Option<&str>, new: &str) -> Change {
    Change::new(a, old.map(str::to_owned), Some(new.into()))
}

/// A dry run's plan: [`plan`] made at 12:03:05 UTC and valid until 12:18 UTC. Its date is far
/// ahead, so the console's once-a-second check (on the system clock) never expires it here.
pub fn dry_run_plan() -> Arc<Plan> {
    let mut plan = (*plan()).clone();
    let made = chrono::DateTime::parse_from_rfc3339("2999-01-01T12:03:05Z")
        .map(|t| t.to_utc())
        .ok();
    plan.basis.made = made;
    plan.basis.valid_until = made.map(|t| t + chrono::Duration::minutes(15));
    Arc::new(plan)
}

pub fn plan() -> Arc<Plan> {
    Arc::new(Plan::new(
        3,
        CycleKind::Initial,
        vec![
            op(
                OpKind::Create {
                    fields: vec![
                        change("user_name", None, "adele.vance@contoso.com"),
                        change("email", None, "adele.vance@contoso.com"),
                    ],
                },
                "adele.vance@contoso.com",
            ),
            op(
                OpKind::Update {
                    diff: vec![change("title", Some("Engineer"), "Senior engineer")],
                },
                "alex.wilber@contoso.com",
            ),
            op(
                OpKind::Disable {
                    diff: vec![change("active", Some("true"), "false")],
                },
                "old.user@contoso.com",
            ),
            op(
                OpKind::Error(Box::new(Failure {
                    code: FailureCode::InvalidLookupReference,
                    reason: "department 'Quantum Research' has no row in cmn_department".into(),
                    recommended_action: "create it or map the value".into(),
                })),
                "megan.bowen@contoso.com",
            ),
            op(
                OpKind::Skip {
                    reason: SkipReason::InSync,
                },
                "nestor.wilke@contoso.com",
            ),
        ],
    ))
}

pub fn record(status: &str, action: &str, name: &str, code: Option<&str>, reason: &str) -> LogRecord {
    LogRecord {
        cycle_id: 3,
        change_id: "c".into(),
        time: "2026-11-28T21:00:00Z".into(),
        object_type: crate::model::ObjectType::User,
        source_id: format!("id-{name}"),
        source_name: name.into(),
        target_id: None,
        action: action.into(),
        status: status.into(),
        error_code: code.map(str::to_owned),
        reason: reason.into(),
        recommended_action: None,
        steps: json!([{"name": "Import", "status": "success", "detail": "read from Entra"}, {"name": "Match", "status": "success", "detail": "no match on user_name or email"}]),
        modified_properties: json!({"user_name": "megan.bowen@contoso.com", "department": "Quantum Research"}),
        duration_ms: 12,
    }
}

/// Six real cycles: a big initial one, quiet incremental ones, a reconciliation, one that
/// disabled a few and one with failures.
pub fn history() -> crate::tui::screens::dashboard::history::History {
    use crate::tui::screens::dashboard::history::{History, Point, ToDate};
    let point = |cycle_id, created, updated, disabled, failed, duration_ms| Point {
        cycle_id,
        kind: match cycle_id {
            1 => CycleKind::Initial,
            5 => CycleKind::Reconciliation,
            _ => CycleKind::Incremental,
        },
        started: "2026-11-28T21:00:00Z".into(),
        created,
        updated,
        disabled,
        deleted: 0,
        members_added: 0,
        members_removed: 0,
        skipped: 0,
        staged: 0,
        failed,
        duration_ms,
        stopped: None,
        error: None,
    };
    History {
        points: vec![
            point(1, 240, 12, 0, 17, 9100),
            point(2, 3, 8, 0, 17, 1200),
            point(4, 0, 2, 5, 2, 800),
            point(5, 1, 40, 0, 0, 2400),
            point(7, 0, 0, 0, 0, 300),
            point(8, 2, 10, 1, 2, 4200),
        ],
        to_date: ToDate {
            cycles: 6,
            created: 246,
            updated: 72,
            disabled: 6,
            deleted: 0,
            members_added: 0,
            members_removed: 0,
            writes: 331,
            failing: 2,
        },
        reconciliation: crate::sync::Reconciliation {
            every_hours: 24,
            last: Some("2026-11-28T21:00:00Z".into()),
            next_due: Some("2026-11-29T21:00:00Z".into()),
            due: false,
        },
        quarantine: None,
        held: crate::sync::HeldCounts::default(),
    }
}
