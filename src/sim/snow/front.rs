//! The request pipeline for everything outside `/sim/`: hibernation, `/oauth_token.do`, then for
//! `/api/...`: the fault for the request's phase (`faults`), authentication, the rate-limit rule,
//! a semaphore slot (latency is spent holding it), dispatch, the transaction quota (`quota`), and
//! the fault that needed the real answer (dropped after acting, truncated, cancelled).

use axum::extract::{Request, State as AxState};
use axum::http::HeaderMap;
use axum::response::Response;

use super::faults::{self, Phase};
use super::options::Options;
use super::reply::{self, Reply};
use super::table_api::{self, Call, Route};
use super::{Sim, auth, batch, quota};

/// Largest request body read (a batch may carry several records).
const MAX_BODY: usize = 16 * 1024 * 1024;
/// Longest request URL; an instance answers longer ones with an HTML 400 (spec §1.7, ISS-HDR).
pub const MAX_URL: usize = 8192;

fn too_large() -> Reply {
    let page = "<html><head><title>Error</title></head><body><h1>HTTP ERROR 400 Request header is too large</h1>\
<p>java.lang.IllegalArgumentException: Request header is too large</p></body></html>";
    Reply::raw(400, "text/html;charset=iso-8859-1", page.as_bytes().to_vec())
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

pub async fn handle(AxState(sim): AxState<Sim>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => return Reply::error(400, "Exception while reading request", Some("Body too large")).into_response(),
    };
    // REST: a POST may carry the real method in `X-http-method-override`.
    let method = match header(&parts.headers, "x-http-method-override") {
        Some(m) if parts.method == axum::http::Method::POST => m.to_ascii_uppercase(),
        _ => parts.method.as_str().to_owned(),
    };
    if parts.uri.to_string().len() > MAX_URL {
        return too_large().into_response();
    }
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().unwrap_or_default().to_owned();
    let host = header(&parts.headers, "host").unwrap_or("localhost").to_owned();
    let authorization = header(&parts.headers, "authorization").map(str::to_owned);
    let no_body = header(&parts.headers, "x-no-response-body").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let req = Incoming {
        method,
        path,
        query,
        host,
        authorization,
        no_body,
        body: body.to_vec(),
    };
    let head = req.method == "HEAD";
    let mut reply = pipeline(&sim, &req).await;
    if head {
        reply.body.clear();
    }
    reply.into_response()
}

struct Incoming {
    method: String,
    path: String,
    query: String,
    host: String,
    authorization: Option<String>,
    no_body: bool,
    body: Vec<u8>,
}

async fn pipeline(sim: &Sim, req: &Incoming) -> Reply {
    let state = &sim.state;
    let options = state.options();
    if let Some(answer) = outside_api(sim, &options, req) {
        return answer;
    }
    let route = table_api::route(&req.path);
    let phase = match &route {
        Route::Table { table, .. } => Phase::of(&req.method, table),
        Route::Batch => batch::phase(&req.body),
        Route::Stats { .. } | Route::Unknown => Phase::Read,
    };
    let fault = state.faults.take(phase, options.fault_rate, &options.fault_rates);
    if let Some(f) = &fault {
        state.stats.injected(f.name());
    }
    if let Some(answer) = fault.as_ref().and_then(faults::replace) {
        return answer;
    }
    // An API access policy that accepts OAuth only: Basic (or nothing) gets the Bearer challenge.
    if options.refuse_basic && !auth::is_bearer(req.authorization.as_deref()) {
        return auth::basic_refused();
    }
    let caller = match state
        .auth
        .authenticate(&state.read_store(), req.authorization.as_deref())
    {
        Ok(p) => p,
        Err(reply) => return reply,
    };
    if route == Route::Unknown {
        return Reply::bad_uri();
    }
    let rate_headers = match options.rate_limit_per_hour {
        Some(limit) => match state.limits.rate(&caller.user_name, limit) {
            Ok(h) => h,
            Err(reply) => return reply,
        },
        None => Vec::new(),
    };
    let Some(slot) = state.limits.admit(&state.stats).await else {
        let detail = "The maximum number of concurrent API transactions has been reached; retry later";
        return Reply::error(429, "Too Many Requests", Some(detail)).header("Retry-After", "1");
    };
    let call = Call {
        method: &req.method,
        path: &req.path,
        query: &req.query,
        host: &req.host,
        body: &req.body,
        caller: &caller,
        no_response_body: req.no_body,
    };
    let mut reply = match route {
        Route::Batch => {
            state.stats.batch();
            batch::run(state, &call, options.latency).await
        }
        Route::Table { table, .. } | Route::Stats { table } => {
            tokio::time::sleep(options.latency).await;
            state.stats.request(&req.method, table);
            table_api::handle(state, &call)
        }
        Route::Unknown => Reply::bad_uri(),
    };
    drop(slot);
    let list_read = matches!(route, Route::Table { id: None, .. }) && phase == Phase::Read;
    if let Some(max) = options.quota_max_rows.filter(|_| list_read) {
        reply = quota::cancel_over(reply, max);
    }
    if let Some(f) = &fault {
        reply = faults::after(f, reply);
        if reply.drop {
            return reply;
        }
    }
    reply.headers.extend(rate_headers);
    with_session_cookie(reply)
}

/// What is answered before the REST API's pipeline: a hibernating instance's page, the OAuth
/// token endpoint, and the HTML 404 of any path outside `/api/`.
fn outside_api(sim: &Sim, options: &Options, req: &Incoming) -> Option<Reply> {
    let state = &sim.state;
    if options.hibernating {
        return Some(reply::hibernation());
    }
    if req.path == "/oauth_token.do" {
        state.stats.oauth();
        if req.method != "POST" {
            return Some(Reply::error(405, "Method not Supported", None));
        }
        return Some(
            state
                .auth
                .token(&state.read_store(), req.authorization.as_deref(), &req.body),
        );
    }
    if !req.path.starts_with("/api/") {
        return Some(Reply::raw(
            404,
            "text/html;charset=UTF-8",
            b"<html><body><h1>Not Found</h1></body></html>".to_vec(),
        ));
    }
    None
}

fn with_session_cookie(reply: Reply) -> Reply {
    reply.header(
        "Set-Cookie",
        format!(
            "JSESSIONID={}; Path=/; HttpOnly",
            super::values::new_sys_id().to_uppercase()
        ),
    )
}
