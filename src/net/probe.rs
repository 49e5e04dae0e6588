//! The network steps of test connection (name, TCP, TLS), told the way they really go: through
//! the proxy that would carry the requests, with the trust the client would use.
//!
//! Through a proxy the service's name is the proxy's to resolve (many networks resolve outside
//! names only there), so the DNS step resolves the proxy instead and says so; the TCP step
//! connects to the proxy; the TLS step opens a `CONNECT` tunnel and shakes hands with the
//! service through it. Each step answers a message for the admin: `Ok` what was done, `Err` a
//! [`ProbeError`] whose text says what failed and what to do.

use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use url::Url;

use super::http::Transport;
use super::proxy::Choice;
use super::tls::TlsError;

/// Why a step of test connection's network path failed; the text is the admin's message.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("the host name '{host}' has no address")]
    NoAddress { host: String },
    #[error("the host name '{host}' does not resolve ({source})")]
    Unresolved {
        host: String,
        #[source]
        source: std::io::Error,
    },
    #[error("resolving '{host}' took longer than {timeout:?}: check the DNS settings")]
    ResolveTimeout { host: String, timeout: Duration },
    /// `via`: the proxy that would carry the requests, said as ` through the proxy …`.
    #[error("no address to connect to{via}")]
    NothingToConnect { via: String },
    /// `what`: `"the proxy "` when the connection is to the proxy, else empty.
    #[error("nothing is listening on {what}{addr} (connection refused)")]
    Refused { what: &'static str, addr: SocketAddr },
    #[error("cannot connect to {what}{addr}: {source}")]
    Connect {
        what: &'static str,
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("no answer from {what}{addr} within {timeout:?}")]
    ConnectTimeout {
        what: &'static str,
        addr: SocketAddr,
        timeout: Duration,
    },
    /// The profile's `ca_file` could not be made into a trust.
    #[error(transparent)]
    Trust(#[from] TlsError),
    /// The handshake failed or was not trusted: `explained` is `cert::Failure::explain`'s
    /// account for the profile section, with the proxy and the roots tried.
    #[error("{explained} (tried{via}, trusting {tried})")]
    Untrusted {
        explained: String,
        via: String,
        tried: String,
    },
    #[error("no TLS handshake with {host} within {timeout:?}{via}")]
    HandshakeTimeout {
        host: String,
        timeout: Duration,
        via: String,
    },
    #[error("the proxy {proxy} is an https:// proxy: this check opens tunnels through http:// proxies only")]
    HttpsProxy { proxy: String },
    #[error("the proxy {proxy} closed the connection: {source}")]
    ProxyClosed {
        proxy: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    ProxyRead(std::io::Error),
    #[error("the proxy {proxy} did not answer CONNECT {target}")]
    ProxySilent { proxy: String, target: String },
    #[error(
        "the proxy {proxy} wants credentials (407 Proxy Authentication Required): give them in HTTPS_PROXY (http://user:password@host:port)"
    )]
    ProxyAuth { proxy: String },
    #[error("the proxy {proxy} refused CONNECT {target}: '{status_line}'")]
    ProxyRefused {
        proxy: String,
        target: String,
        status_line: String,
    },
}

/// One service's network path, probed step by step.
pub struct Probe<'a> {
    transport: &'a Transport,
    target: Url,
    proxy: Option<Choice>,
    /// Where the TCP step connects: the service, or its proxy.
    addrs: Vec<SocketAddr>,
    connected: Option<SocketAddr>,
}

impl<'a> Probe<'a> {
    pub fn new(transport: &'a Transport, target: &Url) -> Probe<'a> {
        Probe {
            transport,
            target: target.clone(),
            proxy: transport.proxy_for(target),
            addrs: Vec::new(),
            connected: None,
        }
    }

    fn host(&self) -> String {
        self.target
            .host_str()
            .unwrap_or_default()
            .trim_matches(['[', ']'])
            .to_owned()
    }

    fn port(&self) -> u16 {
        self.target.port_or_known_default().unwrap_or(443)
    }

    fn via(&self) -> String {
        match &self.proxy {
            Some(p) => format!(" through the proxy {} (from {})", p.shown(), p.source),
            None => String::new(),
        }
    }

    /// The name step: the service's name, or the proxy's when one carries the requests.
    pub async fn dns(&mut self, timeout: Duration) -> Result<String, ProbeError> {
        let (host, port) = match &self.proxy {
            Some(p) => (
                p.url.host_str().unwrap_or_default().to_owned(),
                p.url.port_or_known_default().unwrap_or(3128),
            ),
            None => (self.host(), self.port()),
        };
        let looked = tokio::time::timeout(timeout, self.transport.resolver.lookup(&host, port)).await;
        let addrs = match looked {
            Ok(Ok(a)) if !a.is_empty() => a,
            Ok(Ok(_)) => return Err(ProbeError::NoAddress { host }),
            Ok(Err(source)) => return Err(ProbeError::Unresolved { host, source }),
            Err(_) => return Err(ProbeError::ResolveTimeout { host, timeout }),
        };
        let first = addrs[0].ip();
        self.addrs = addrs;
        Ok(match &self.proxy {
            Some(p) => format!(
                "not resolved here: requests go through the proxy {} (from {}), which resolves '{}'; the proxy's host resolves to {first}",
                p.shown(),
                p.source,
                self.host()
            ),
            None => format!("'{host}' resolves to {first}"),
        })
    }

    /// The TCP step: a connection to the service, or to its proxy.
    pub async fn tcp(&mut self, timeout: Duration) -> Result<String, ProbeError> {
        let what = if self.proxy.is_some() { "the proxy " } else { "" };
        let mut last = ProbeError::NothingToConnect { via: self.via() };
        for addr in self.addrs.clone() {
            match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
                Ok(Ok(_)) => {
                    self.connected = Some(addr);
                    return Ok(format!("connected to {what}{addr}{}", self.via_source()));
                }
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    last = ProbeError::Refused { what, addr };
                }
                Ok(Err(source)) => last = ProbeError::Connect { what, addr, source },
                Err(_) => last = ProbeError::ConnectTimeout { what, addr, timeout },
            }
        }
        Err(last)
    }

    fn via_source(&self) -> String {
        match &self.proxy {
            Some(p) => format!(" (from {}), which carries the requests to {}", p.source, self.host()),
            None => String::new(),
        }
    }

    /// The TLS step: a handshake with the service (through the proxy's tunnel), trusted as the
    /// client trusts; a failure is explained for the profile section `section`.
    pub async fn tls(&self, timeout: Duration, section: &str) -> Result<String, ProbeError> {
        let trust = self.transport.trust()?;
        let Some(addr) = self.connected.or_else(|| self.addrs.first().copied()) else {
            return Err(ProbeError::NothingToConnect { via: String::new() });
        };
        let host = self.host();
        let shake = async {
            let mut stream =
                TcpStream::connect(addr)
                    .await
                    .map_err(|source| ProbeError::Connect { what: "", addr, source })?;
            if let Some(p) = &self.proxy {
                tunnel(&mut stream, p, &host, self.port()).await?;
            }
            trust.inspect(stream, &host).await.map_err(|f| {
                let tried = match trust.ca_file() {
                    Some(p) => format!("the platform's roots and ca_file '{}'", p.display()),
                    None => "the platform's roots (no ca_file)".to_owned(),
                };
                ProbeError::Untrusted {
                    explained: f.explain(&host, section, trust.ca_file()),
                    via: self.via(),
                    tried,
                }
            })
        };
        let peer = tokio::time::timeout(timeout, shake)
            .await
            .map_err(|_| ProbeError::HandshakeTimeout {
                host: host.clone(),
                timeout,
                via: self.via(),
            })??;
        let by = match (peer.by_ca_file, trust.ca_file()) {
            (true, Some(p)) => format!("ca_file '{}'", p.display()),
            _ => "this machine's root certificates".to_owned(),
        };
        let ca = match (peer.by_ca_file, trust.ca_file()) {
            (false, Some(p)) => format!(" (ca_file '{}' is trusted too)", p.display()),
            _ => String::new(),
        };
        Ok(format!(
            "TLS handshake with {host}{} succeeded: certificate for {}, issued by '{}', trusted through {by}{ca}",
            self.via(),
            if peer.shown.names.is_empty() {
                peer.shown.subject.clone()
            } else {
                peer.shown.names.join(", ")
            },
            peer.shown.issuer
        ))
    }
}

/// Opens a `CONNECT host:port` tunnel through an http:// proxy on `stream`.
async fn tunnel(stream: &mut TcpStream, proxy: &Choice, host: &str, port: u16) -> Result<(), ProbeError> {
    if proxy.url.scheme() != "http" {
        return Err(ProbeError::HttpsProxy { proxy: proxy.shown() });
    }
    let target = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let mut head = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
    if !proxy.url.username().is_empty() {
        let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
        let pair = format!(
            "{}:{}",
            decode(proxy.url.username()),
            decode(proxy.url.password().unwrap_or(""))
        );
        head.push_str(&format!(
            "Proxy-Authorization: Basic {}\r\n",
            base64::engine::general_purpose::STANDARD.encode(pair)
        ));
    }
    head.push_str("\r\n");
    let shown = proxy.shown();
    stream
        .write_all(head.as_bytes())
        .await
        .map_err(|source| ProbeError::ProxyClosed {
            proxy: shown.clone(),
            source,
        })?;
    let mut answer = Vec::new();
    let mut byte = [0u8; 1];
    // Byte by byte up to the blank line: what follows belongs to the tunnel.
    while !answer.ends_with(b"\r\n\r\n") {
        if answer.len() > 8192 || stream.read(&mut byte).await.map_err(ProbeError::ProxyRead)? == 0 {
            return Err(ProbeError::ProxySilent { proxy: shown, target });
        }
        answer.push(byte[0]);
    }
    let status_line = String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    match status_line.split_whitespace().nth(1) {
        Some("200") => Ok(()),
        Some("407") => Err(ProbeError::ProxyAuth { proxy: shown }),
        _ => Err(ProbeError::ProxyRefused {
            proxy: shown,
            target,
            status_line,
        }),
    }
}
