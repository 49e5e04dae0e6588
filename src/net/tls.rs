//! Whom the clients trust, in one place: the platform's root certificates plus the CAs of the
//! profile's `ca_file` (PEM; self-hosted instances, TLS-inspecting proxies). The same rustls
//! configuration serves reqwest and test connection's TLS step, which also looks at the
//! certificate it was shown and explains a failure ([`Failure::explain`]).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// The TLS trust could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read ca_file '{}': {source}: give the path of a PEM file with the CA certificate(s)", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "ca_file '{}' holds no PEM certificate (-----BEGIN CERTIFICATE-----): give the CA certificate(s) in PEM form", path.display()
    )]
    Empty { path: PathBuf },
    #[error("ca_file '{}': {detail}: give the CA certificate(s) in PEM form", path.display())]
    Bad { path: PathBuf, detail: String },
    #[error("cannot set up TLS: {0}")]
    Setup(#[from] rustls::Error),
}

/// The certificates of a `ca_file`.
pub fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_owned(),
        source,
    })?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Bad {
            path: path.to_owned(),
            detail: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsError::Empty { path: path.to_owned() });
    }
    Ok(certs)
}

/// The roots one client trusts.
#[derive(Clone)]
pub struct Trust {
    roots: Arc<RootCertStore>,
    /// The `ca_file` and its certificates, when the profile names one.
    extra: Option<(PathBuf, Arc<RootCertStore>)>,
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

impl Trust {
    /// The platform's roots (as reqwest would load them), plus `ca_file`'s certificates.
    pub fn load(ca_file: Option<&Path>) -> Result<Trust, TlsError> {
        let mut roots = RootCertStore::empty();
        // A platform store that cannot be read in part still gives the rest (as reqwest does).
        let native = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(native.certs);
        let extra = match ca_file {
            Some(path) => {
                let mut store = RootCertStore::empty();
                for cert in read_ca_file(path)? {
                    store.add(cert.clone()).map_err(|e| TlsError::Bad {
                        path: path.to_owned(),
                        detail: e.to_string(),
                    })?;
                    roots.add(cert).map_err(|e| TlsError::Bad {
                        path: path.to_owned(),
                        detail: e.to_string(),
                    })?;
                }
                Some((path.to_owned(), Arc::new(store)))
            }
            None => None,
        };
        Ok(Trust {
            roots: Arc::new(roots),
            extra,
        })
    }

    pub fn ca_file(&self) -> Option<&Path> {
        self.extra.as_ref().map(|(p, _)| p.as_path())
    }

    fn verifier(roots: &Arc<RootCertStore>) -> Result<Arc<WebPkiServerVerifier>, TlsError> {
        WebPkiServerVerifier::builder_with_provider(roots.clone(), provider())
            .build()
            .map_err(|e| TlsError::Setup(rustls::Error::General(e.to_string())))
    }

    /// The client configuration for reqwest (ALPN as reqwest sets it: h2, then http/1.1).
    pub fn client_config(&self) -> Result<ClientConfig, TlsError> {
        let mut config = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?
            .with_webpki_verifier(Self::verifier(&self.roots)?)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(config)
    }

    /// A handshake over `stream` that records what the server showed; `Ok` when it is trusted.
    pub async fn inspect<S>(&self, stream: S, host: &str) -> Result<Peer, Failure>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        let recorder = Arc::new(Recorder {
            inner: Self::verifier(&self.roots).map_err(|e| Failure::other(e.to_string()))?,
            chain: Mutex::new(Vec::new()),
            error: Mutex::new(None),
        });
        let mut config = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| Failure::other(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(recorder.clone())
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let name = ServerName::try_from(host.to_owned()).map_err(|e| Failure::other(e.to_string()))?;
        let shaken = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name.clone(), stream)
            .await;
        let chain = recorder.chain.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let rejected = recorder.error.lock().unwrap_or_else(|e| e.into_inner()).take();
        let shown = super::cert::describe(&chain);
        match (shaken, rejected) {
            (Ok(_), None) => Ok(Peer {
                by_ca_file: self.trusted_by_ca_file(&chain, &name),
                shown,
            }),
            (_, Some(rustls::Error::InvalidCertificate(problem))) => Err(Failure {
                problem: Some(problem),
                shown,
                detail: String::new(),
            }),
            (Err(e), other) => Err(Failure::other(other.map_or_else(|| e.to_string(), |o| o.to_string()))),
            (Ok(_), Some(e)) => Err(Failure::other(e.to_string())),
        }
    }

    fn trusted_by_ca_file(&self, chain: &[CertificateDer<'static>], name: &ServerName<'_>) -> bool {
        let (Some((_, store)), Some((leaf, rest))) = (&self.extra, chain.split_first()) else {
            return false;
        };
        Self::verifier(store).is_ok_and(|v| v.verify_server_cert(leaf, rest, name, &[], UnixTime::now()).is_ok())
    }
}

/// A trusted server certificate.
#[derive(Debug, Clone)]
pub struct Peer {
    pub shown: super::cert::Shown,
    /// Trusted through the profile's `ca_file` (else through the platform's roots).
    pub by_ca_file: bool,
}

/// An untrusted (or failed) handshake.
#[derive(Debug, Clone)]
pub struct Failure {
    /// What was wrong with the certificate, when that was the problem.
    pub problem: Option<CertificateError>,
    pub shown: super::cert::Shown,
    pub detail: String,
}

impl Failure {
    fn other(detail: String) -> Failure {
        Failure {
            problem: None,
            shown: super::cert::Shown::default(),
            detail,
        }
    }
}

/// Records the chain the server showed and the verdict of the real verifier.
#[derive(Debug)]
struct Recorder {
    inner: Arc<WebPkiServerVerifier>,
    chain: Mutex<Vec<CertificateDer<'static>>>,
    error: Mutex<Option<rustls::Error>>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let mut chain = vec![end_entity.clone().into_owned()];
        chain.extend(intermediates.iter().map(|c| c.clone().into_owned()));
        *self.chain.lock().unwrap_or_else(|e| e.into_inner()) = chain;
        let verdict = self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now);
        if let Err(e) = &verdict {
            *self.error.lock().unwrap_or_else(|e| e.into_inner()) = Some(e.clone());
        }
        verdict
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// The certificate problem behind a transport error, if one is in its chain of sources
/// (reqwest → hyper → io::Error → rustls::Error).
pub fn certificate_problem(e: &(dyn std::error::Error + 'static)) -> Option<CertificateError> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(rustls::Error::InvalidCertificate(p)) = err.downcast_ref::<rustls::Error>() {
            return Some(p.clone());
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && let Some(rustls::Error::InvalidCertificate(p)) = inner.downcast_ref::<rustls::Error>()
        {
            return Some(p.clone());
        }
        cur = err.source();
    }
    None
}

#[cfg(test)]
#[path = "tls_tests.rs"]
mod tests;
