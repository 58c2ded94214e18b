//! The TLS client configuration both clients use: rustls with the ring provider, the safe
//! protocol versions, ALPN `h2` then `http/1.1`, and the trust the caller asks for.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// Which servers' certificates the client accepts.
#[derive(Clone, Copy, Debug)]
pub enum Trust<'a> {
    /// Those the platform's trust store vouches for, and those of `extra_ca` (a PEM file of
    /// trust anchors: upstreams with private certificates).
    Roots {
        /// The extra PEM file, if any.
        extra_ca: Option<&'a Path>,
    },
    /// Any certificate, handshake signatures still checked (`--insecure`: a development server
    /// with a self-signed certificate).
    AnyCertificate,
}

/// Why no client configuration was built.
#[derive(Debug)]
#[non_exhaustive]
pub enum TlsConfigError {
    /// The extra trust anchors could not be read.
    ReadCa {
        /// The file.
        path: PathBuf,
        /// What reading it said.
        error: String,
    },
    /// The extra trust-anchor file holds no PEM certificate.
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// A certificate of the file is not a trust anchor rustls accepts.
    BadCertificate {
        /// The file.
        path: PathBuf,
        /// rustls's reason.
        error: rustls::Error,
    },
    /// The provider offers no safe protocol version.
    Protocol(rustls::Error),
}

impl fmt::Display for TlsConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsConfigError::ReadCa { path, error } => {
                write!(f, "{}: cannot read certificates: {error}", path.display())
            }
            TlsConfigError::NoCertificate { path } => write!(f, "{}: no PEM certificate in the file", path.display()),
            TlsConfigError::BadCertificate { path, error } => write!(f, "{}: {error}", path.display()),
            TlsConfigError::Protocol(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for TlsConfigError {}

/// A client configuration trusting what `trust` says, with ALPN `h2` then `http/1.1`. Loading
/// the platform's roots reads files (a tenth of a second or more): callers that may never speak
/// TLS build it on first use.
pub fn client_config(trust: Trust<'_>) -> Result<Arc<ClientConfig>, TlsConfigError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(TlsConfigError::Protocol)?;
    let mut config = match trust {
        Trust::AnyCertificate => {
            builder.dangerous().with_custom_certificate_verifier(Arc::new(AcceptAny(provider))).with_no_client_auth()
        }
        Trust::Roots { extra_ca } => builder.with_root_certificates(roots(extra_ca)?).with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The platform's roots and `extra_ca`'s certificates.
fn roots(extra_ca: Option<&Path>) -> Result<RootCertStore, TlsConfigError> {
    let mut roots = RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        // A broken system certificate must not keep a client from starting.
        let _ = roots.add(cert);
    }
    let Some(path) = extra_ca else { return Ok(roots) };
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|i| i.collect::<Result<Vec<_>, _>>())
        .map_err(|e| TlsConfigError::ReadCa { path: path.to_owned(), error: e.to_string() })?;
    if certs.is_empty() {
        return Err(TlsConfigError::NoCertificate { path: path.to_owned() });
    }
    for cert in certs {
        roots.add(cert).map_err(|error| TlsConfigError::BadCertificate { path: path.to_owned(), error })?;
    }
    Ok(roots)
}

/// Accepts every certificate (`--insecure`), still checking handshake signatures.
#[derive(Debug)]
struct AcceptAny(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str, contents: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("corsair-net-tls-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ca.pem");
        std::fs::write(&path, contents).unwrap();
        path
    }

    #[test]
    fn an_extra_ca_file_without_a_certificate_says_so() {
        let path = temp("empty", "not a certificate\n");
        let err = client_config(Trust::Roots { extra_ca: Some(&path) }).unwrap_err();
        assert_eq!(err.to_string(), format!("{}: no PEM certificate in the file", path.display()));
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn a_missing_extra_ca_file_names_the_file() {
        let path = std::env::temp_dir().join("corsair-net-no-such-dir/ca.pem");
        let err = client_config(Trust::Roots { extra_ca: Some(&path) }).unwrap_err();
        assert!(matches!(err, TlsConfigError::ReadCa { .. }), "{err:?}");
        assert!(err.to_string().starts_with(&format!("{}: cannot read certificates", path.display())), "{err}");
    }

    #[test]
    fn both_trusts_offer_h2_then_http11() {
        for trust in [Trust::Roots { extra_ca: None }, Trust::AnyCertificate] {
            let config = client_config(trust).unwrap();
            assert_eq!(config.alpn_protocols, [b"h2".to_vec(), b"http/1.1".to_vec()], "{trust:?}");
        }
    }
}
