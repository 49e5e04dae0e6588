//! A transport-neutral response (status, headers, body) shared by the HTTP front and batch
//! items, the ServiceNow error body of spec §1.7, and the headers every instance response has.

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Response, StatusCode};
use serde_json::{Value, json};

pub const JSON: &str = "application/json;charset=UTF-8";

/// Marker in a response's extensions: close the connection without sending anything.
#[derive(Clone, Copy, Debug)]
pub struct DropConnection;

#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub drop: bool,
}

impl Reply {
    pub fn json(status: u16, value: &Value) -> Reply {
        Reply::raw(status, JSON, serde_json::to_vec(value).unwrap_or_default())
    }

    pub fn raw(status: u16, content_type: &str, body: Vec<u8>) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body,
            drop: false,
        }
    }

    pub fn empty(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            drop: false,
        }
    }

    pub fn dropped() -> Reply {
        Reply {
            drop: true,
            ..Reply::empty(500)
        }
    }

    /// `{"error":{"message","detail"},"status":"failure"}`; `detail` `None` is JSON null.
    pub fn error(status: u16, message: &str, detail: Option<&str>) -> Reply {
        Reply::json(
            status,
            &json!({"error": {"message": message, "detail": detail}, "status": "failure"}),
        )
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    pub fn not_found() -> Reply {
        Reply::error(
            404,
            "No Record found",
            Some("Record doesn't exist or ACL restricts the record retrieval"),
        )
    }

    pub fn bad_uri() -> Reply {
        Reply::error(400, "Requested URI does not represent any resource", None)
    }

    pub fn unauthenticated() -> Reply {
        Reply::error(
            401,
            "User is not authenticated",
            Some("Required to provide Auth information"),
        )
        .header("WWW-Authenticate", "Basic realm=\"Service-now\"")
    }

    #[cfg(test)]
    pub fn content_type(&self) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| v.as_str())
    }

    pub fn into_response(self) -> Response<Body> {
        let mut resp = Response::new(Body::from(self.body));
        *resp.status_mut() = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let headers = resp.headers_mut();
        let common = [
            ("x-content-type-options", "nosniff"),
            ("pragma", "no-store,no-cache"),
            ("cache-control", "no-cache,no-store,must-revalidate,max-age=-1"),
            ("expires", "0"),
            ("strict-transport-security", "max-age=63072000; includeSubDomains"),
            ("server-timing", "sem_wait;dur=0, sesh_wait;dur=0"),
        ];
        for (k, v) in common {
            headers.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
        for (k, v) in self.headers {
            if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::try_from(v)) {
                headers.append(k, v);
            }
        }
        if self.drop {
            resp.extensions_mut().insert(DropConnection);
        }
        resp
    }
}

/// The page a hibernating developer instance serves on every route (spec §7).
pub fn hibernation() -> Reply {
    let page = "<!DOCTYPE html><html><head><title>Hibernating Instance</title></head><body>\
<div class=\"instance-hibernating-page\"><h1>Your instance is hibernating</h1>\
<p>Your instance is hibernating to save resources while you are away.</p>\
<p class=\"information\">Sign in to the site to wake your instance</p>\
<button onclick=\"location.href='https://developer.servicenow.com/dev.do#!/home?wu=true'\">Sign in to developer.servicenow.com</button>\
</div></body></html>";
    Reply::raw(200, "text/html;charset=UTF-8", page.as_bytes().to_vec())
}
