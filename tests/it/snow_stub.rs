//! A scripted raw-HTTP stub on 127.0.0.1:0 for transport-shape tests of the ServiceNow client:
//! each connection reads one request and gets the next scripted reply (or is dropped), then is
//! closed. Records every request's head and body.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[derive(Clone)]
pub enum Reply {
    /// A full response: status, extra headers, body (Content-Length set from it).
    Http(u16, Vec<(String, String)>, String),
    /// Close the connection without answering.
    Drop,
    /// Headers promising `promised` bytes, then only the body given, then close.
    Truncated(String, usize),
    /// Wait, then answer.
    Slow(Duration, Box<Reply>),
}

pub fn json(status: u16, body: &str) -> Reply {
    Reply::Http(
        status,
        vec![("Content-Type".into(), "application/json;charset=UTF-8".into())],
        body.into(),
    )
}

pub fn with_headers(status: u16, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut h: Vec<(String, String)> = headers.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type")) {
        h.push(("Content-Type".into(), "application/json;charset=UTF-8".into()));
    }
    Reply::Http(status, h, body.into())
}

#[derive(Debug, Clone)]
pub struct Seen {
    /// Request line and headers.
    pub head: String,
    pub body: String,
}

impl Seen {
    pub fn request_line(&self) -> &str {
        self.head.lines().next().unwrap_or("")
    }
}

pub struct Stub {
    pub url: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    pub peak: Arc<Mutex<(usize, usize)>>,
}

impl Stub {
    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The highest number of connections served at once.
    pub fn peak(&self) -> usize {
        self.peak.lock().unwrap().1
    }
}

/// Starts the stub; `fallback` answers once the script is used up.
pub async fn start(script: Vec<Reply>, fallback: Reply) -> Stub {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let script = Arc::new(Mutex::new(VecDeque::from(script)));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let peak = Arc::new(Mutex::new((0usize, 0usize)));
    let (seen2, peak2) = (seen.clone(), peak.clone());
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let (script, seen, peak, fallback) = (script.clone(), seen2.clone(), peak2.clone(), fallback.clone());
            tokio::spawn(async move {
                let Some(req) = read_request(&mut sock).await else {
                    return;
                };
                let reply = script.lock().unwrap().pop_front().unwrap_or(fallback);
                seen.lock().unwrap().push(req);
                {
                    let mut p = peak.lock().unwrap();
                    p.0 += 1;
                    p.1 = p.1.max(p.0);
                }
                write_reply(&mut sock, reply).await;
                peak.lock().unwrap().0 -= 1;
            });
        }
    });
    Stub { url, seen, peak }
}

async fn read_request(sock: &mut tokio::net::TcpStream) -> Option<Seen> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let len = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
        })
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buf[head_end..]).to_string();
    Some(Seen { head, body })
}

fn write_reply(
    sock: &mut tokio::net::TcpStream,
    reply: Reply,
) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send + '_>> {
    Box::pin(async move {
        match reply {
            Reply::Drop => {}
            Reply::Slow(d, inner) => {
                tokio::time::sleep(d).await;
                write_reply(sock, *inner).await;
            }
            Reply::Http(status, headers, body) => {
                let mut out = format!(
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                    body.len()
                );
                for (k, v) in headers {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                out.push_str("\r\n");
                out.push_str(&body);
                let _ = sock.write_all(out.as_bytes()).await;
            }
            Reply::Truncated(body, promised) => {
                let out = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {promised}\r\nConnection: close\r\n\r\n{body}"
                );
                let _ = sock.write_all(out.as_bytes()).await;
            }
        }
        let _ = sock.shutdown().await;
    })
}
