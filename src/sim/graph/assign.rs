//! App-role assignment writes: `POST`/`DELETE /servicePrincipals/{id}/appRoleAssignedTo`.
//! They advance no version: assignment changes are in no delta, as in real Graph (spec §7.3).

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::Sim;
use super::reply::Reply;
use super::write::{body_object, done, required};
use crate::sim::tenant::PrincipalType;

pub(super) fn assign(sim: &Sim, sp_id: &str, body: &[u8]) -> Reply {
    done((|| {
        let m = body_object(body)?;
        required(&m, &["principalId", "resourceId", "appRoleId"])?;
        let field = |k: &str| m.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
        let (principal, resource, role) = (field("principalId"), field("resourceId"), field("appRoleId"));
        let mut store = sim.store();
        let sp = store
            .service_principal(sp_id)
            .cloned()
            .ok_or_else(|| Reply::not_found(sp_id))?;
        if resource != sp_id {
            return Err(Reply::bad_request(
                "resourceId must be the service principal in the URL.",
            ));
        }
        let kind = store.kind_of(&principal).ok_or_else(|| Reply::not_found(&principal))?;
        let exists = store.assignments.iter().any(|a| {
            a.get("principalId").and_then(Value::as_str) == Some(principal.as_str())
                && a.get("resourceId").and_then(Value::as_str) == Some(sp_id)
                && a.get("appRoleId").and_then(Value::as_str) == Some(role.as_str())
        });
        if exists {
            return Err(Reply::bad_request(
                "Permission being assigned already exists on the object",
            ));
        }
        let name = match kind {
            PrincipalType::User => store.users.get(&principal).map(|r| r.props.clone()),
            PrincipalType::Group => store.groups.get(&principal).map(|r| r.props.clone()),
            PrincipalType::ServicePrincipal => store.service_principal(&principal).cloned(),
        };
        let name = name.and_then(|p| p.get("displayName").cloned()).unwrap_or(Value::Null);
        // Graph writes seven fractional digits (spec §7.2).
        let t = chrono::Utc::now();
        let created = format!(
            "{}.{:07}Z",
            t.format("%Y-%m-%dT%H:%M:%S"),
            t.timestamp_subsec_nanos() / 100
        );
        let a = json!({"id": crate::sim::tenant::random_opaque_id(), "deletedDateTime": null, "appRoleId": role,
            "createdDateTime": created, "principalDisplayName": name, "principalId": principal,
            "principalType": kind.as_str(), "resourceDisplayName": sp.get("displayName"), "resourceId": sp_id});
        store.assignments.push(a.as_object().cloned().unwrap_or_default());
        Ok(Reply::json(StatusCode::CREATED, a))
    })())
}

pub(super) fn unassign(sim: &Sim, sp_id: &str, assignment: &str) -> Reply {
    let mut store = sim.store();
    let before = store.assignments.len();
    store.assignments.retain(|a| {
        !(a.get("id").and_then(Value::as_str) == Some(assignment)
            && a.get("resourceId").and_then(Value::as_str) == Some(sp_id))
    });
    if store.assignments.len() == before {
        return Reply::not_found(assignment);
    }
    Reply::empty(StatusCode::NO_CONTENT)
}
