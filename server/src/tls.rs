//! The optional HTTPS listener (rustls with the ring provider): loads the PEM certificate chain
//! and key with messages that name the file. [`crate::serve`] runs each handshake in its
//! connection's own task, so a slow or silent client delays no one else.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// `[portal.tls]`: serve HTTPS directly.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM certificate chain, leaf first.
    pub cert_path: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key_path: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read TLS file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0} holds no PEM certificate")]
    NoCertificate(PathBuf),
    #[error("{0} holds no PEM private key")]
    NoKey(PathBuf),
    #[error("the TLS certificate and key cannot be used together: {0}")]
    Config(#[from] rustls::Error),
}

/// A handshake that takes longer than this is dropped.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Reads and checks the certificate chain and key.
pub fn load_server_config(cfg: &TlsConfig) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let certs_pem = read(&cfg.cert_path)?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&certs_pem)
        .filter_map(Result::ok)
        .collect();
    if certs.is_empty() {
        return Err(TlsError::NoCertificate(cfg.cert_path.clone()));
    }
    let key_pem = read(&cfg.key_path)?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|_| TlsError::NoKey(cfg.key_path.clone()))?;
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(certs, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Files {
        dir: PathBuf,
    }

    impl Drop for Files {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    /// A self-signed certificate for 127.0.0.1, generated now.
    fn certificate() -> (Files, TlsConfig, Vec<u8>) {
        let generated = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
        let dir = std::env::temp_dir().join(format!("scr-tls-{:032x}", rand::random::<u128>()));
        std::fs::create_dir_all(&dir).unwrap();
        let cert_pem = generated.cert.pem();
        std::fs::write(dir.join("cert.pem"), &cert_pem).unwrap();
        std::fs::write(dir.join("key.pem"), generated.key_pair.serialize_pem()).unwrap();
        let config = TlsConfig {
            cert_path: dir.join("cert.pem"),
            key_path: dir.join("key.pem"),
        };
        (Files { dir }, config, cert_pem.into_bytes())
    }

    #[tokio::test]
    async fn serves_https_and_a_silent_client_blocks_no_one() {
        use tokio::net::{TcpListener, TcpStream};
        let (_files, config, cert_pem) = certificate();
        let server_config = load_server_config(&config).unwrap();
        let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = tcp.local_addr().unwrap();
        let router = axum::Router::new().route("/", axum::routing::get(|| async { "over tls" }));
        let limits = crate::serve::ConnectionLimits::of(&crate::config::PortalConfig::default());
        tokio::spawn(crate::serve::serve(
            tcp,
            Some(server_config),
            router,
            limits,
            std::future::pending(),
        ));

        // Opens TCP and never says hello.
        let _silent = TcpStream::connect(addr).await.unwrap();

        let client = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&cert_pem).unwrap())
            .build()
            .unwrap();
        let body = tokio::time::timeout(
            Duration::from_secs(5),
            client.get(format!("https://{addr}/")).send(),
        )
        .await
        .expect("answered while another client stalls")
        .unwrap()
        .text()
        .await
        .unwrap();
        assert_eq!(body, "over tls");
    }

    #[test]
    fn bad_files_are_named() {
        let (files, good, _) = certificate();
        let empty = files.dir.join("empty.pem");
        std::fs::write(&empty, "nothing here").unwrap();
        let missing = files.dir.join("missing.pem");
        let cases = [
            (
                TlsConfig {
                    cert_path: missing.clone(),
                    key_path: good.key_path.clone(),
                },
                format!("cannot read TLS file {}", missing.display()),
            ),
            (
                TlsConfig {
                    cert_path: empty.clone(),
                    key_path: good.key_path.clone(),
                },
                format!("{} holds no PEM certificate", empty.display()),
            ),
            (
                TlsConfig {
                    cert_path: good.cert_path.clone(),
                    key_path: empty.clone(),
                },
                format!("{} holds no PEM private key", empty.display()),
            ),
            (
                // A key file holding only the certificate.
                TlsConfig {
                    cert_path: good.cert_path.clone(),
                    key_path: good.cert_path.clone(),
                },
                format!("{} holds no PEM private key", good.cert_path.display()),
            ),
        ];
        for (config, expected) in cases {
            let error = load_server_config(&config).unwrap_err().to_string();
            assert!(
                error.starts_with(&expected),
                "{error} should start with {expected}"
            );
        }
    }
}
