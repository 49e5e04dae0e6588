//! Request routing. Graph's path quirks are handled here rather than with a route table: a
//! doubled slash after the version (msgraph-sdk sends `/v1.0//users`, spec §11.3), the four
//! spellings of `delta`, casts such as `graph.user`, and the `servicePrincipals(appId='…')`
//! alternate key. Query option names arrive as `$select` or `%24select` (decoded here).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, Method, StatusCode, Uri};
use axum::response::Response;

use super::reply::{Ctx, Reply};
use super::{Sim, assign, auth, control, deleted, delta, read, write};

/// Decoded query options, keyed by lower-cased name (`$select`, `$top`, …).
pub(super) type Query = HashMap<String, String>;

pub(super) fn new_id() -> String {
    crate::sim::tenant::random_guid()
}

pub(super) async fn handle(
    State(sim): State<Sim>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let client_request_id = headers
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(new_id);
    let host = headers.get("host").and_then(|v| v.to_str().ok()).unwrap_or("127.0.0.1");
    let ctx = Ctx {
        request_id: new_id(),
        client_request_id,
        origin: format!("http://{host}"),
        path: collapse(uri.path()),
        headers: headers.clone(),
    };
    let segments: Vec<String> = uri
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let query: Query = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.to_lowercase(), v.into_owned()))
        .collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let reply = match segs.as_slice() {
        ["sim", rest @ ..] => control::handle(&sim, &method, rest, &body),
        [_, "oauth2", "v2.0", "token"] if method == Method::POST => auth::token(&sim, segs[0], &headers, &body),
        [_, "v2.0", ".well-known", "openid-configuration"] => auth::openid(&sim, &ctx, segs[0]),
        ["v1.0", rest @ ..] => graph(&sim, &ctx, &method, rest, &query, &body),
        _ => Reply::error(StatusCode::NOT_FOUND, "UnknownError", "No route matches the request."),
    };
    reply.finish(&ctx)
}

/// Graph tolerates `//` after the version (msgraph-sdk sends it by default, spec §11.3).
fn collapse(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    out
}

pub(super) fn is_delta(seg: &str) -> bool {
    matches!(
        seg,
        "delta" | "delta()" | "microsoft.graph.delta" | "microsoft.graph.delta()"
    )
}

/// `servicePrincipals(appId='…')` → the app id.
fn alternate_key(seg: &str) -> Option<&str> {
    seg.strip_prefix("servicePrincipals(appId='")?.strip_suffix("')")
}

/// The application permissions any one of which allows a read (403 when the fault set denies
/// them all). Groups and their members are readable with `GroupMember.Read.All` (the least
/// privilege) as with `Group.Read.All` (specs/graph.md §5, [S9][S10]).
fn permissions(rest: &[&str]) -> &'static [&'static str] {
    match rest.first().copied() {
        Some("users" | "directory") => &["User.Read.All"],
        Some("groups") => &["GroupMember.Read.All", "Group.Read.All"],
        Some("organization") => &["Organization.Read.All"],
        Some(s) if s.starts_with("servicePrincipals") => &["Application.Read.All"],
        _ => &[],
    }
}

fn graph(sim: &Sim, ctx: &Ctx, method: &Method, rest: &[&str], q: &Query, body: &[u8]) -> Reply {
    let endpoint = endpoint_name(rest);
    sim.stats_mut().count(method.as_str(), &endpoint);
    control::count_toward_expiry(sim);
    if let Some(reply) = control::injected_fault(sim, &endpoint) {
        return reply;
    }
    deleted::purge_expired(sim, sim.inner.options.deleted_retention);
    if let Err(reply) = auth::check_bearer(sim, &ctx.headers) {
        sim.stats_mut().unauthorized_401 += 1;
        return reply;
    }
    let accepted = permissions(rest);
    if *method == Method::GET
        && !accepted.is_empty()
        && accepted.iter().all(|p| sim.faults().deny.iter().any(|d| d == p))
    {
        sim.stats_mut().forbidden_403 += 1;
        return Reply::error(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        );
    }
    let reply = dispatch(sim, ctx, method, rest, q, body);
    if *method == Method::GET && reply.status.is_success() {
        return reply.header(
            HeaderName::from_static("x-ms-resource-unit"),
            resource_units(rest, q).to_string(),
        );
    }
    reply
}

/// Identity throttling's cost of a read (spec §9.2): base cost by endpoint, `$select` −1,
/// `$expand` +1, `$top` under 20 −1, at least 1.
fn resource_units(rest: &[&str], q: &Query) -> i32 {
    let base = match rest {
        ["users"] => 2,
        ["groups", _, "members", ..] => 3,
        ["groups", _, "transitiveMembers", ..] => 5,
        _ => 1,
    };
    let top_small = q
        .get("$top")
        .and_then(|t| t.parse::<u32>().ok())
        .is_some_and(|t| t < 20);
    let cost =
        base - i32::from(q.contains_key("$select")) + i32::from(q.contains_key("$expand")) - i32::from(top_small);
    cost.max(1)
}

fn dispatch(sim: &Sim, ctx: &Ctx, method: &Method, rest: &[&str], q: &Query, body: &[u8]) -> Reply {
    let m = method.clone();
    match (m, rest) {
        (Method::GET, ["users"]) => read::list_users(sim, ctx, q),
        (Method::GET, ["users", "$count"]) => read::count(sim, ctx, "users"),
        (Method::GET, ["users", d]) if is_delta(d) => delta::users(sim, ctx, q),
        (Method::GET, ["users", id]) => read::get_user(sim, q, id),
        (Method::GET, ["users", id, "manager"]) => read::manager(sim, q, id),
        (Method::GET, ["groups"]) => read::list_groups(sim, ctx, q),
        (Method::GET, ["groups", "$count"]) => read::count(sim, ctx, "groups"),
        (Method::GET, ["groups", d]) if is_delta(d) => delta::groups(sim, ctx, q),
        (Method::GET, ["groups", id]) => read::get_group(sim, q, id),
        (Method::GET, ["groups", id, rel @ ("members" | "transitiveMembers"), cast @ ..]) => {
            read::members(sim, ctx, q, id, *rel == "transitiveMembers", cast)
        }
        (Method::GET, ["organization"]) => read::organization(sim, ctx, None),
        (Method::GET, ["organization", id]) => read::organization(sim, ctx, Some(id)),
        (Method::GET, ["servicePrincipals"]) => read::list_service_principals(sim, ctx, q),
        (Method::GET, [sp]) if alternate_key(sp).is_some() => read::sp_by_app_id(sim, alternate_key(sp)),
        (Method::GET, ["servicePrincipals", id]) => read::get_service_principal(sim, id),
        (Method::GET, [sp, "appRoleAssignedTo"]) if alternate_key(sp).is_some() => {
            read::assigned_to(sim, ctx, q, &read::sp_id_by_app_id(sim, alternate_key(sp)))
        }
        (Method::GET, ["servicePrincipals", id, "appRoleAssignedTo"]) => read::assigned_to(sim, ctx, q, id),
        (Method::GET, ["directory", "deletedItems", cast]) if deleted::Kind::of_cast(cast).is_some() => {
            match deleted::Kind::of_cast(cast) {
                Some(kind) => deleted::list(sim, ctx, q, kind),
                None => Reply::not_found(cast),
            }
        }
        (Method::GET, ["directory", "deletedItems", id]) => deleted::item(sim, id),
        (Method::POST, ["users"]) => write::create_user(sim, ctx, body),
        (Method::PATCH, ["users", id]) => write::patch_user(sim, id, body),
        (Method::DELETE, ["users", id]) => write::delete_user(sim, id),
        (Method::PUT, ["users", id, "manager", "$ref"]) => write::set_manager(sim, id, body),
        (Method::DELETE, ["users", id, "manager", "$ref"]) => write::remove_manager(sim, id),
        (Method::POST, ["directory", "deletedItems", id, "restore"]) => deleted::restore(sim, id),
        (Method::DELETE, ["directory", "deletedItems", id]) => deleted::purge(sim, id),
        (Method::POST, ["groups"]) => write::create_group(sim, body),
        (Method::PATCH, ["groups", id]) => write::patch_group(sim, id, body),
        (Method::DELETE, ["groups", id]) => write::delete_group(sim, id),
        (Method::POST, ["groups", id, "members", "$ref"]) => write::add_member(sim, id, body),
        (Method::DELETE, ["groups", id, "members", member, "$ref"]) => write::remove_member(sim, id, member),
        (Method::POST, ["servicePrincipals", id, "appRoleAssignedTo"]) => assign::assign(sim, id, body),
        (Method::DELETE, ["servicePrincipals", id, "appRoleAssignedTo", a]) => assign::unassign(sim, id, a),
        _ => Reply::error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            format!("Resource not found for the segment '{}'.", rest.last().unwrap_or(&"")),
        ),
    }
}

/// A stable name for statistics: ids replaced by `{id}`, delta spellings unified.
fn endpoint_name(rest: &[&str]) -> String {
    let mut parts = Vec::with_capacity(rest.len());
    for (i, s) in rest.iter().enumerate() {
        let name = if i == 0 && alternate_key(s).is_some() {
            "servicePrincipals(appId)"
        } else if is_delta(s) {
            "delta"
        } else if i == 0
            || s.starts_with('$')
            || s.contains("graph.")
            || s.chars().all(|c| c.is_ascii_lowercase())
            || matches!(*s, "appRoleAssignedTo" | "transitiveMembers" | "deletedItems")
        {
            s
        } else {
            "{id}"
        };
        parts.push(name);
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_quirks() {
        assert_eq!(collapse("/v1.0//users///delta()"), "/v1.0/users/delta()");
        assert!(
            ["delta", "delta()", "microsoft.graph.delta", "microsoft.graph.delta()"]
                .iter()
                .all(|d| is_delta(d))
        );
        assert_eq!(alternate_key("servicePrincipals(appId='abc')"), Some("abc"));
        assert_eq!(
            endpoint_name(&["groups", "1f0c", "members", "microsoft.graph.user"]),
            "groups/{id}/members/microsoft.graph.user"
        );
        assert_eq!(endpoint_name(&["users", "delta()"]), "users/delta");
        let q: Query = [
            ("$select".to_owned(), "id".to_owned()),
            ("$top".to_owned(), "5".to_owned()),
        ]
        .into();
        assert_eq!(resource_units(&["users"], &q), 1);
        assert_eq!(resource_units(&["groups", "x", "transitiveMembers"], &Query::new()), 5);
    }
}
