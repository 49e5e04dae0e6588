use std::collections::HashMap;

use serde_json::json;

use super::*;
use crate::mapping::catalogue::source_attributes;
use crate::mapping::model::defaults;
use crate::sync::op::{ObjectType, OpKind};
use crate::sync::outcome::FailureCode;

fn rules() -> Rules {
    Rules {
        mappings: defaults().unwrap(),
        now: chrono::Utc::now(),
        match_active_only: false,
        missing_reference: MissingReference::Fail,
        deprovision_users: Default::default(),
        deprovision_groups: Default::default(),
        seed: 1,
        redaction: std::sync::Arc::new(crate::sync::redact::Redaction::random()),
    }
}

fn user(id: &str, upn: &str, extra: serde_json::Value) -> SourceObject {
    let mut obj = json!({"id": id, "userPrincipalName": upn, "accountEnabled": true, "givenName": "Ada"});
    if let (Some(o), Some(e)) = (obj.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    let enabled = obj["accountEnabled"].as_bool().unwrap_or(true);
    SourceObject {
        id: id.into(),
        name: upn.into(),
        attrs: source_attributes(&obj, !enabled, &[]).into(),
        in_scope: true,
        enabled,
        scope_detail: "assigned".into(),
        members: vec![],
    }
}

fn row(sys_id: &str, fields: &[(&str, &str)]) -> Row {
    Row {
        sys_id: sys_id.into(),
        fields: fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
    }
}

fn target(users: Vec<Row>) -> Target {
    let mut t = Target {
        users,
        ..Target::default()
    };
    t.lookups.insert(
        "cmn_department".into(),
        HashMap::from([("sales".into(), "dep1".into())]),
    );
    t.max_lengths.insert(("sys_user".into(), "user_name".into()), 40);
    t.booleans.insert(("sys_user".into(), "active".into()));
    t
}

fn plan_of(users: Vec<SourceObject>, t: &Target, prior: &Prior) -> crate::sync::Plan {
    let source = Source {
        users,
        ..Source::default()
    };
    plan(1, CycleKind::Initial, source, t, prior, &rules())
}

fn only(p: &crate::sync::Plan) -> OpKind {
    let ops = p.to_vec();
    assert_eq!(ops.len(), 1, "{ops:#?}");
    ops[0].kind.clone()
}

// Matching and the op of one object: precedence, duplicates, creates, skips, field failures.
mod matching;
// An object's life after it is linked: disable, re-enable, deprovisioning, memberships, the
// retry of a failure.
mod lifecycle;

// The opt-in options of the plan (missing_reference = "create", clear_when_null).
mod managers;
mod names;
mod options;

// Identity safety and deprovisioning defaults (issue 12).
mod identity;
// The mapping functions that depend on more than the object (random and unique values).
mod functions;
// What the plan holds, sized to what it plans (issue 16 §3).
mod sizes;
