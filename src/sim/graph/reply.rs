//! Building responses: Graph's error envelope, JSON and text bodies, and the headers every reply
//! carries (`request-id`, the echoed `client-request-id`, `x-ms-ags-diagnostic`).

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

/// What one request is about: its ids and the origin absolute links are built on.
pub(super) struct Ctx {
    pub request_id: String,
    pub client_request_id: String,
    /// `http://host:port`, from the `Host` header, so links point back at this simulator.
    pub origin: String,
    /// The request path with repeated slashes collapsed, e.g. `/v1.0/users`.
    pub path: String,
    pub headers: HeaderMap,
}

/// A reply before the per-request headers are added.
pub(super) struct Reply {
    pub status: StatusCode,
    pub body: Option<Value>,
    pub text: Option<(String, &'static str)>,
    pub headers: Vec<(HeaderName, String)>,
}

impl Reply {
    pub fn json(status: StatusCode, body: Value) -> Reply {
        Reply {
            status,
            body: Some(body),
            text: None,
            headers: Vec::new(),
        }
    }

    pub fn ok(body: Value) -> Reply {
        Self::json(StatusCode::OK, body)
    }

    pub fn empty(status: StatusCode) -> Reply {
        Reply {
            status,
            body: None,
            text: None,
            headers: Vec::new(),
        }
    }

    pub fn text(body: String) -> Reply {
        Reply {
            status: StatusCode::OK,
            body: None,
            text: Some((body, "text/plain")),
            headers: Vec::new(),
        }
    }

    /// Graph's error envelope; `innerError` is filled in by [`Reply::finish`].
    pub fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Reply {
        Self::json(status, json!({"error": {"code": code, "message": message.into()}}))
    }

    pub fn not_found(id: &str) -> Reply {
        Self::error(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            format!("Resource '{id}' does not exist or one of its queried reference-property objects are not present."),
        )
    }

    pub fn bad_request(message: impl Into<String>) -> Reply {
        Self::error(StatusCode::BAD_REQUEST, "Request_BadRequest", message)
    }

    pub fn header(mut self, name: HeaderName, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }

    pub fn finish(self, ctx: &Ctx) -> Response {
        let mut body = self.body;
        if let Some(err) = body
            .as_mut()
            .and_then(|b| b.get_mut("error"))
            .and_then(Value::as_object_mut)
        {
            let date = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string();
            err.entry("innerError").or_insert_with(
                || json!({"date": date, "request-id": ctx.request_id, "client-request-id": ctx.client_request_id}),
            );
        }
        let (bytes, content_type) = match (body, self.text) {
            (Some(v), _) => (v.to_string().into_bytes(), Some("application/json")),
            (None, Some((t, ct))) => (t.into_bytes(), Some(ct)),
            (None, None) => (Vec::new(), None),
        };
        let mut resp = Response::new(Body::from(bytes));
        *resp.status_mut() = self.status;
        let h = resp.headers_mut();
        let mut set = |name: &str, value: &str| {
            if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::from_str(value)) {
                h.insert(n, v);
            }
        };
        if let Some(ct) = content_type {
            set("content-type", ct);
        }
        set("request-id", &ctx.request_id);
        set("client-request-id", &ctx.client_request_id);
        set(
            "x-ms-ags-diagnostic",
            r#"{"ServerInfo":{"DataCenter":"Loopback","Slice":"E","Ring":"1","ScaleUnit":"000","RoleInstance":"SIM"}}"#,
        );
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                h.insert(name, v);
            }
        }
        resp
    }
}
