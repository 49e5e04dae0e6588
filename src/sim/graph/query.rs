//! Query options shared by list endpoints: `$select` projection with Graph's default property
//! sets, `$top` bounds, `$filter`, advanced-query detection, and paging with an opaque
//! `$skiptoken` inside an absolute nextLink on the simulator's own origin (spec §2.2–2.4).

use axum::http::StatusCode;
use base64::Engine;
use serde_json::{Map, Value, json};

use super::filter::{self, Filter};
use super::reply::{Ctx, Reply};
use super::route::Query;

/// Returned for users when there is no `$select` (spec §3.2).
pub(super) const USER_DEFAULT: &[&str] = &[
    "businessPhones",
    "displayName",
    "givenName",
    "id",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
];

/// Every user property the simulator knows; `$select` of anything else is a 400.
pub(super) const USER_KNOWN: &[&str] = &[
    "businessPhones",
    "displayName",
    "givenName",
    "id",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "accountEnabled",
    "city",
    "companyName",
    "country",
    "createdDateTime",
    "creationType",
    "deletedDateTime",
    "department",
    "employeeHireDate",
    "employeeId",
    "employeeType",
    "employeeOrgData",
    "externalUserState",
    "faxNumber",
    "identities",
    "mailNickname",
    "onPremisesExtensionAttributes",
    "onPremisesImmutableId",
    "onPremisesSamAccountName",
    "onPremisesSyncEnabled",
    "onPremisesUserPrincipalName",
    "otherMails",
    "postalCode",
    "proxyAddresses",
    "securityIdentifier",
    "state",
    "streetAddress",
    "usageLocation",
    "userType",
    "manager",
];

/// Properties Graph never returns in a collection: `$select` of them on a list is a 501.
pub(super) const USER_NEVER_IN_LISTS: &[&str] = &[
    "aboutMe",
    "birthday",
    "hireDate",
    "interests",
    "mySite",
    "pastProjects",
    "preferredName",
    "responsibilities",
    "schools",
    "skills",
    "mailboxSettings",
];

pub(super) const GROUP_DEFAULT: &[&str] = &[
    "id",
    "deletedDateTime",
    "classification",
    "createdDateTime",
    "description",
    "displayName",
    "expirationDateTime",
    "groupTypes",
    "isAssignableToRole",
    "mail",
    "mailEnabled",
    "mailNickname",
    "membershipRule",
    "membershipRuleProcessingState",
    "onPremisesLastSyncDateTime",
    "onPremisesSecurityIdentifier",
    "onPremisesSyncEnabled",
    "preferredDataLocation",
    "preferredLanguage",
    "proxyAddresses",
    "renewedDateTime",
    "resourceBehaviorOptions",
    "resourceProvisioningOptions",
    "securityEnabled",
    "theme",
    "visibility",
    "onPremisesProvisioningErrors",
];

pub(super) const GROUP_KNOWN_EXTRA: &[&str] = &["members", "onPremisesSamAccountName", "owners"];

pub(super) const ASSIGNMENT_FIELDS: &[&str] = &[
    "id",
    "deletedDateTime",
    "appRoleId",
    "createdDateTime",
    "principalDisplayName",
    "principalId",
    "principalType",
    "resourceDisplayName",
    "resourceId",
];

const ARRAYS: &[&str] = &[
    "businessPhones",
    "otherMails",
    "proxyAddresses",
    "identities",
    "groupTypes",
    "resourceBehaviorOptions",
    "resourceProvisioningOptions",
    "onPremisesProvisioningErrors",
];

/// `$select` split into names, checked against `known`.
/// `users/delta` refuses some properties in `$select` (spec §14 #2; microsoft-graph-docs
/// issues 4746, 14141: `birthday`, `skills`, `aboutMe`; graph-explorer-v4 #3189:
/// `signInActivity`): 400 `BadRequest` naming them.
pub(super) fn delta_select_refusal(q: &Query) -> Option<Reply> {
    let raw = q.get("$select")?;
    let refused: Vec<&str> = raw
        .split(',')
        .map(str::trim)
        .filter(|n| USER_NEVER_IN_LISTS.contains(n) || *n == "signInActivity")
        .collect();
    (!refused.is_empty()).then(|| {
        Reply::error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            format!(
                "Invalid request for delta query: for this entity set, $expand/$select is not supported for the following properties: {}",
                refused.join(",")
            ),
        )
    })
}

pub(super) fn select(q: &Query, known: &[&str], extra: &[&str], entity: &str) -> Result<Option<Vec<String>>, Reply> {
    let Some(raw) = q.get("$select") else {
        return Ok(None);
    };
    let mut names = Vec::new();
    for name in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if USER_NEVER_IN_LISTS.contains(&name) {
            return Err(Reply::error(
                StatusCode::NOT_IMPLEMENTED,
                "NotImplemented",
                "This operation target is not yet supported.",
            ));
        }
        if !known.contains(&name) && !extra.contains(&name) && !name.starts_with("extension_") {
            return Err(Reply::bad_request(format!(
                "Could not find a property named '{name}' on type 'microsoft.graph.{entity}'."
            )));
        }
        names.push(name.to_owned());
    }
    Ok(Some(names))
}

/// The selected (or default) properties of an object; unset ones as `null` (`[]` for
/// collections), as list and get responses do. `id` is always present.
pub(super) fn project(props: &Map<String, Value>, select: Option<&[String]>, defaults: &[&str]) -> Map<String, Value> {
    let mut out = Map::new();
    let names: Vec<&str> = match select {
        Some(s) => s.iter().map(String::as_str).collect(),
        None => defaults.to_vec(),
    };
    if !names.contains(&"id") {
        out.insert("id".to_owned(), props.get("id").cloned().unwrap_or(Value::Null));
    }
    for name in names {
        if matches!(name, "manager" | "members" | "owners") {
            continue;
        }
        let v = props.get(name).cloned();
        let v = v.unwrap_or(if ARRAYS.contains(&name) { json!([]) } else { Value::Null });
        out.insert(name.to_owned(), v);
    }
    out
}

/// True when the request carries the advanced-query parameters.
pub(super) fn advanced(ctx: &Ctx, q: &Query) -> bool {
    let eventual = ctx
        .headers
        .get("consistencylevel")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("eventual"));
    eventual && q.get("$count").is_some_and(|c| c.eq_ignore_ascii_case("true"))
}

pub(super) fn filter(ctx: &Ctx, q: &Query) -> Result<Option<Filter>, Reply> {
    if q.contains_key("$search") && !advanced(ctx, q) && ctx.headers.get("consistencylevel").is_none() {
        return Err(Reply::error(
            StatusCode::BAD_REQUEST,
            "Request_UnsupportedQuery",
            "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
        ));
    }
    let Some(raw) = q.get("$filter") else {
        return Ok(None);
    };
    let f = filter::parse(raw).map_err(|e| Reply::bad_request(format!("Invalid filter clause: {e}")))?;
    if f.is_advanced() && !advanced(ctx, q) {
        return Err(Reply::error(
            StatusCode::BAD_REQUEST,
            "Request_UnsupportedQuery",
            "Operator is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header.",
        ));
    }
    Ok(Some(f))
}

/// `$top`: default 100, 1..=999.
pub(super) fn top(q: &Query) -> Result<usize, Reply> {
    match q.get("$top") {
        None => Ok(100),
        Some(t) => match t.parse::<usize>() {
            Ok(n @ 1..=999) => Ok(n),
            _ => Err(Reply::bad_request(format!(
                "Invalid page size specified: '{t}'. Must be between 1 and 999 inclusive."
            ))),
        },
    }
}

pub(super) fn encode_token(value: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}

pub(super) fn decode_token(token: &str) -> Option<Value> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.trim_matches('\''))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// An absolute link on this simulator: `path` with the given query options.
pub(super) fn link(ctx: &Ctx, path: &str, options: &[(&str, &str)]) -> String {
    let mut url = format!("{}{path}", ctx.origin);
    for (i, (k, v)) in options.iter().enumerate() {
        let v: String = url::form_urlencoded::byte_serialize(v.as_bytes()).collect();
        url.push(if i == 0 { '?' } else { '&' });
        url.push_str(&format!("{k}={v}"));
    }
    url
}

/// One page of a list: items after the `$skiptoken` position, at most `top`, with an absolute
/// nextLink repeating the original options when more remain.
/// `project` runs only for the items on this page, so listing a large tenant page by page stays
/// linear in the page size plus a cheap skip.
pub(super) fn page<T>(
    ctx: &Ctx,
    q: &Query,
    context: String,
    top: usize,
    items: impl Iterator<Item = (u64, T)>,
    project: impl Fn(T) -> Map<String, Value>,
) -> Reply {
    let path = ctx.path.as_str();
    let after = q
        .get("$skiptoken")
        .and_then(|t| decode_token(t))
        .and_then(|v| v.get("after").and_then(Value::as_u64));
    let mut count = 0usize;
    let mut value = Vec::with_capacity(top.min(999));
    let mut last = None;
    let mut more = false;
    for (key, item) in items {
        count += 1;
        if after.is_some_and(|a| key <= a) {
            continue;
        }
        if value.len() == top {
            more = true;
            if !advanced(ctx, q) {
                break;
            }
            continue;
        }
        last = Some(key);
        value.push(Value::Object(project(item)));
    }
    let mut body = Map::new();
    body.insert("@odata.context".to_owned(), json!(context));
    if advanced(ctx, q) && after.is_none() {
        body.insert("@odata.count".to_owned(), json!(count));
    }
    if more && let Some(last) = last {
        let token = encode_token(&json!({"after": last}));
        let mut options: Vec<(&str, &str)> = q
            .iter()
            .filter(|(k, _)| *k != "$skiptoken")
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        options.sort();
        options.push(("$skiptoken", &token));
        body.insert("@odata.nextLink".to_owned(), json!(link(ctx, path, &options)));
    }
    body.insert("value".to_owned(), Value::Array(value));
    Reply::ok(Value::Object(body))
}

/// `…/$metadata#users` with a `(sel,ect)` suffix when `$select` was given.
pub(super) fn context(ctx: &Ctx, what: &str, select: Option<&[String]>) -> String {
    match select {
        Some(s) => format!("{}/v1.0/$metadata#{what}({})", ctx.origin, s.join(",")),
        None => format!("{}/v1.0/$metadata#{what}", ctx.origin),
    }
}
