//! A certificate authority made on the spot (rcgen), for serving a simulator over HTTPS the way
//! a self-hosted instance or a TLS-inspecting proxy does: with a certificate no platform trusts.
//!
//! [`TestCa::new`] makes the CA; [`TestCa::server`] a server configuration for some host names,
//! signed by it (or expired, for the expired-certificate case); [`TestCa::pem`] is what a
//! profile's `ca_file` then names.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A certificate could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TlsSimError {
    #[error("cannot make a test certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    #[error("cannot set up TLS serving: {0}")]
    Tls(#[from] rustls::Error),
}

/// A CA for one test run.
pub struct TestCa {
    name: String,
    issuer: Issuer<'static, KeyPair>,
    pem: String,
}

impl TestCa {
    /// A CA whose subject is `CN=<common_name>`.
    pub fn new(common_name: &str) -> Result<TestCa, TlsSimError> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, common_name);
        let key = KeyPair::generate()?;
        let cert = params.self_signed(&key)?;
        Ok(TestCa {
            name: common_name.to_owned(),
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        })
    }

    /// The CA certificate in PEM form (what `ca_file` names).
    pub fn pem(&self) -> &str {
        &self.pem
    }

    pub fn common_name(&self) -> &str {
        &self.name
    }

    /// A server configuration presenting a certificate for `names`, signed by this CA; an
    /// `expired` one ended yesterday.
    pub fn server(&self, names: &[&str], expired: bool) -> Result<Arc<ServerConfig>, TlsSimError> {
        let mut params = CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())?;
        params
            .distinguished_name
            .push(DnType::CommonName, names.first().copied().unwrap_or("localhost"));
        if expired {
            let now = time::OffsetDateTime::now_utc();
            params.not_before = now - time::Duration::days(30);
            params.not_after = now - time::Duration::days(1);
        }
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer)?;
        let chain = vec![CertificateDer::from(cert.der().to_vec())];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
        Ok(Arc::new(config))
    }
}
