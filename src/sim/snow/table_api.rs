//! Table API reads and dispatch (spec §1.1–§1.6): routes, list with encoded query or
//! name-value filters, paging headers, read by sys_id, and the legacy aggregate
//! `/api/now/stats/{table}` that pysnow's `.count` uses. Writes live in `writes`.
//!
//! List-only parameters are ignored on writes (pysnow sends them everywhere); an empty
//! parameter is the same as an absent one; booleans are case-insensitive.

use serde_json::{Value, json};

use super::acl::Reader;
use super::auth::Principal;
use super::eval::{Caller, Filter, compile_cond};
use super::query::{self, Cond, Op};
use super::render::{self, DisplayValue, Opts};
use super::reply::Reply;
use super::store::{Row, Store};
use super::values::param_true;
use super::{State, writes};

/// Default and ceiling of `sysparm_limit`.
pub const DEFAULT_LIMIT: usize = 10_000;

/// Where a request path leads.
#[derive(Debug, PartialEq, Eq)]
pub enum Route<'a> {
    /// `version` is `Some("v1")`/`Some("v2")` or `None` for the unversioned path.
    Table {
        version: Option<&'a str>,
        table: &'a str,
        id: Option<&'a str>,
    },
    Stats {
        table: &'a str,
    },
    Batch,
    Unknown,
}

pub fn route(path: &str) -> Route<'_> {
    let segs: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    match segs.as_slice() {
        ["api", "now", "table", table, rest @ ..] if rest.len() <= 1 => Route::Table {
            version: None,
            table,
            id: rest.first().copied(),
        },
        ["api", "now", v @ ("v1" | "v2"), "table", table, rest @ ..] if rest.len() <= 1 => Route::Table {
            version: Some(v),
            table,
            id: rest.first().copied(),
        },
        ["api", "now", "stats", table] | ["api", "now", "v1", "stats", table] => Route::Stats { table },
        ["api", "now", "v1", "batch"] | ["api", "now", "batch"] => Route::Batch,
        _ => Route::Unknown,
    }
}

/// One Table API call, from HTTP or from a batch item.
pub struct Call<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub host: &'a str,
    pub body: &'a [u8],
    pub caller: &'a Principal,
    /// `X-no-response-body: true`: keep the status, send no body.
    pub no_response_body: bool,
}

/// Decoded query parameters in order, `+` as space.
pub struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn parse(query: &str) -> Params {
        Params(url::form_urlencoded::parse(query.as_bytes()).into_owned().collect())
    }

    /// The first non-empty value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    pub fn flag(&self, name: &str) -> bool {
        param_true(self.get(name))
    }

    fn usize(&self, name: &str) -> Option<usize> {
        self.get(name).and_then(|v| v.trim().parse().ok())
    }
}

pub fn link_base(host: &str, version: Option<&str>) -> String {
    match version {
        Some(v) => format!("http://{host}/api/now/{v}/"),
        None => format!("http://{host}/api/now/"),
    }
}

pub fn render_opts(params: &Params, host: &str, version: Option<&str>) -> Opts {
    Opts {
        display: DisplayValue::parse(params.get("sysparm_display_value")),
        exclude_link: params.flag("sysparm_exclude_reference_link"),
        link_base: link_base(host, version),
    }
}

/// Handles a Table API or stats call that has been authenticated and admitted.
pub fn handle(state: &State, call: &Call) -> Reply {
    match route(call.path) {
        Route::Table { version, table, id } => {
            if state.read_store().table(table).is_none() {
                return Reply::error(400, &format!("Invalid table {table}"), None);
            }
            let method = call.method.to_ascii_uppercase();
            match (method.as_str(), id) {
                ("GET" | "HEAD", None) => list(state, call, version, table, method == "HEAD"),
                ("GET" | "HEAD", Some(id)) => get_one(state, call, version, table, id, method == "HEAD"),
                ("POST", None) => writes::create(state, call, version, table),
                ("PUT" | "PATCH", Some(id)) => writes::update(state, call, version, table, id),
                ("DELETE", Some(id)) => writes::delete(state, call, table, id),
                _ => Reply::error(405, "Method not Supported", Some("Requested method is not supported")),
            }
        }
        Route::Stats { table } => stats(state, call, table),
        _ => Reply::bad_uri(),
    }
}

/// Whether `row`, stored for `table`, is one of its rows: a view shows only its classes.
pub fn in_view(store: &Store, table: &str, row: &Row) -> bool {
    let Some(classes) = store.view(table).and_then(|v| v.classes) else {
        return true;
    };
    let class = store.table(table).and_then(|t| t.def.pos("sys_class_name"));
    class.is_some_and(|p| classes.contains(&row[p].as_str()))
}

/// The fields a record of `table` shows by default: a view's own, when it has fewer than the
/// table that stores its rows.
pub fn default_fields(store: &Store, table: &str) -> Option<Vec<String>> {
    let view = store.view(table)?;
    let storage = store.table(table)?;
    (view.def.fields.len() < storage.def.fields.len())
        .then(|| view.def.fields.iter().map(|f| f.name.to_owned()).collect())
}

/// A view shows only its classes: a condition of the query, not an ACL (it is applied before
/// `sysparm_limit`, and counted).
fn view_filter(store: &Store, table: &str, caller: &Principal, filter: &mut Filter) {
    let who = Caller {
        sys_id: &caller.sys_id,
        user_name: &caller.user_name,
    };
    if let Some(classes) = store.view(table).and_then(|v| v.classes) {
        let cond = Cond {
            field: "sys_class_name".into(),
            op: Op::In,
            value: classes.join(","),
        };
        filter.extra.extend(compile_cond(store, table, &cond, &who));
    }
}

fn build_filter(store: &Store, table: &str, params: &Params, caller: &Principal) -> Filter {
    let who = Caller {
        sys_id: &caller.sys_id,
        user_name: &caller.user_name,
    };
    let parsed = query::parse(params.get("sysparm_query").unwrap_or_default());
    let mut filter = Filter::compile(store, table, &parsed, &who);
    for (k, v) in params.0.iter().filter(|(k, _)| !k.starts_with("sysparm_")) {
        let cond = Cond {
            field: k.clone(),
            op: Op::EqOrDisplay,
            value: v.clone(),
        };
        filter.extra.extend(compile_cond(store, table, &cond, &who));
    }
    view_filter(store, table, caller, &mut filter);
    filter
}

fn list(state: &State, call: &Call, version: Option<&str>, table: &str, head: bool) -> Reply {
    let params = Params::parse(call.query);
    super::writers::before_list(state, table, &params, call.caller);
    let store = state.read_store();
    let Some(t) = store.table(table) else {
        return Reply::bad_uri();
    };
    let limit = params
        .usize("sysparm_limit")
        .filter(|l| *l > 0)
        .unwrap_or(DEFAULT_LIMIT);
    let offset = params.usize("sysparm_offset").unwrap_or(0);
    let filter = build_filter(&store, table, &params, call.caller);
    let counted = !params.flag("sysparm_no_count");
    // The page and the count are taken before the silent ACLs (spec §1.2): rows the caller
    // may not read are then left out, so a page may be short or empty.
    let (total, ids) = if counted {
        let (total, ids) = filter.select(&store, t, offset, limit);
        (Some(total), ids)
    } else {
        (None, filter.page(&store, t, offset, limit))
    };
    let hidden = state.options().acl_hidden;
    let reader = Reader::new(&store, table, call.caller, &hidden);
    let shown: Vec<&Row> = ids
        .iter()
        .filter_map(|id| t.get(id))
        .filter(|r| reader.can_read(r))
        .collect();
    if shown.is_empty() && version == Some("v1") {
        let detail = "Records matching query not found. Check query parameter or offset parameter";
        return Reply::error(404, "No Record found", Some(detail));
    }
    let fields = render::parse_fields(params.get("sysparm_fields")).or_else(|| default_fields(&store, table));
    let opts = render_opts(&params, call.host, version);
    let rows: Vec<Value> = shown
        .into_iter()
        .map(|r| render::record(&store, t, r, fields.as_deref(), &opts))
        .collect();
    let mut reply = Reply::json(200, &json!({ "result": rows }));
    if head {
        reply.body.clear();
    }
    if let Some(total) = total {
        reply = reply.header("X-Total-Count", total.to_string());
    }
    if !params.flag("sysparm_suppress_pagination_header") {
        let base = format!("http://{}{}", call.host, call.path);
        if let Some(link) = render::link_header(&base, &params.0, offset, limit, total, ids.len()) {
            reply = reply.header("Link", link);
        }
    }
    reply
}

fn get_one(state: &State, call: &Call, version: Option<&str>, table: &str, id: &str, head: bool) -> Reply {
    let params = Params::parse(call.query);
    let store = state.read_store();
    let Some(t) = store.table(table) else {
        return Reply::bad_uri();
    };
    let hidden = state.options().acl_hidden;
    let reader = Reader::new(&store, table, call.caller, &hidden);
    match t.get(id).filter(|row| reader.can_read(row)) {
        Some(row) => {
            let fields = render::parse_fields(params.get("sysparm_fields")).or_else(|| default_fields(&store, table));
            let opts = render_opts(&params, call.host, version);
            let mut reply = Reply::json(
                200,
                &json!({"result": render::record(&store, t, row, fields.as_deref(), &opts)}),
            );
            if head {
                reply.body.clear();
            }
            reply
        }
        None => Reply::not_found(),
    }
}

/// `GET /api/now/stats/{table}?sysparm_count=true[&sysparm_query=…]`.
fn stats(state: &State, call: &Call, table: &str) -> Reply {
    let params = Params::parse(call.query);
    let store = state.read_store();
    let Some(t) = store.table(table) else {
        return Reply::error(400, &format!("Invalid table {table}"), None);
    };
    let filter = build_filter(&store, table, &params, call.caller);
    // The aggregate counts what the caller may read.
    let hidden = state.options().acl_hidden;
    let reader = Reader::new(&store, table, call.caller, &hidden);
    let (_, ids) = filter.select(&store, t, 0, usize::MAX);
    let total = ids
        .iter()
        .filter_map(|id| t.get(id))
        .filter(|r| reader.can_read(r))
        .count();
    Reply::json(200, &json!({"result": {"stats": {"count": total.to_string()}}}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let cases = [
            (
                "/api/now/table/sys_user",
                Route::Table {
                    version: None,
                    table: "sys_user",
                    id: None,
                },
            ),
            (
                "/api/now/v1/table/sys_user/abc",
                Route::Table {
                    version: Some("v1"),
                    table: "sys_user",
                    id: Some("abc"),
                },
            ),
            (
                "/api/now/v2/table/sys_user/",
                Route::Table {
                    version: Some("v2"),
                    table: "sys_user",
                    id: None,
                },
            ),
            ("/api/now/v1/batch", Route::Batch),
            ("/api/now/stats/sys_user", Route::Stats { table: "sys_user" }),
            ("/api/now/v3/table/sys_user", Route::Unknown),
            ("/api/now/table/sys_user/a/b", Route::Unknown),
            ("/api/x", Route::Unknown),
        ];
        for (path, want) in cases {
            assert_eq!(route(path), want, "{path}");
        }
    }

    #[test]
    fn params_decode_plus_and_treat_empty_as_unset() {
        let p = Params::parse("sysparm_query=nameNOT+LIKEx%5Ea%3D1&sysparm_fields=&sysparm_no_count=TRUE");
        assert_eq!(p.get("sysparm_query"), Some("nameNOT LIKEx^a=1"));
        assert_eq!(p.get("sysparm_fields"), None);
        assert!(p.flag("sysparm_no_count"));
    }
}
