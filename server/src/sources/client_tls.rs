//! Mutual TLS to a source (`[sources.tls]`): the portal's client certificate and key (the
//! Spine Secure Proxy and many GP Connect endpoints ask for one), and the certificate
//! authorities that sign the source's own certificate when they are not public ones.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// `[sources.tls]`; read once, when the source's HTTP client is built at start-up.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceTls {
    /// PEM client certificate chain, leaf first.
    pub client_cert_path: PathBuf,
    /// PEM private key of the client certificate (PKCS#8, PKCS#1 or SEC1).
    pub client_key_path: PathBuf,
    /// PEM certificate authorities trusted for this source besides the public ones.
    #[serde(default)]
    pub ca_cert_path: Option<PathBuf>,
}

impl SourceTls {
    /// `builder` presenting the client certificate and trusting the extra authorities; each
    /// problem names its key and file.
    pub fn apply(&self, builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder, String> {
        let mut pem = read(&self.client_cert_path, "tls.client_cert_path")?;
        pem.push(b'\n');
        pem.extend(read(&self.client_key_path, "tls.client_key_path")?);
        let identity = reqwest::Identity::from_pem(&pem).map_err(|e| {
            format!("tls.client_cert_path and tls.client_key_path are not a PEM certificate and its private key ({e})")
        })?;
        let mut builder = builder.identity(identity);
        if let Some(path) = &self.ca_cert_path {
            let authorities =
                reqwest::Certificate::from_pem_bundle(&read(path, "tls.ca_cert_path")?).map_err(
                    |e| {
                        format!(
                            "tls.ca_cert_path {}: not PEM certificates ({e})",
                            path.display()
                        )
                    },
                )?;
            if authorities.is_empty() {
                return Err(format!(
                    "tls.ca_cert_path {} holds no certificate",
                    path.display()
                ));
            }
            for authority in authorities {
                builder = builder.add_root_certificate(authority);
            }
        }
        Ok(builder)
    }
}

fn read(path: &Path, key: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{key} {}: cannot be read ({e})", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory of this test's own.
    fn dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("source-tls-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// A self-signed certificate and its key, written to `dir`.
    fn written(dir: &Path) -> (PathBuf, PathBuf) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["portal.example".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let (cert_path, key_path) = (dir.join("client.pem"), dir.join("client.key"));
        std::fs::write(&cert_path, cert.pem()).unwrap();
        std::fs::write(&key_path, key.serialize_pem()).unwrap();
        (cert_path, key_path)
    }

    #[test]
    fn a_certificate_its_key_and_an_authority_build_a_client() {
        let dir = dir("good");
        let (cert, key) = written(&dir);
        let tls = SourceTls {
            client_cert_path: cert.clone(),
            client_key_path: key,
            ca_cert_path: Some(cert),
        };
        let builder = tls.apply(reqwest::Client::builder()).unwrap();
        assert!(builder.build().is_ok());
    }

    #[test]
    fn each_bad_file_is_named_by_its_key() {
        let dir = dir("bad");
        let (cert, key) = written(&dir);
        let missing = dir.join("missing.pem");
        let not_pem = dir.join("not.pem");
        std::fs::write(&not_pem, "hello").unwrap();
        let table = [
            (missing.clone(), key.clone(), None, "tls.client_cert_path"),
            (cert.clone(), missing.clone(), None, "tls.client_key_path"),
            (
                cert.clone(),
                cert.clone(),
                None,
                "not a PEM certificate and its private key",
            ),
            (cert.clone(), key.clone(), Some(missing), "tls.ca_cert_path"),
            (cert.clone(), key.clone(), Some(not_pem), "tls.ca_cert_path"),
        ];
        for (client_cert_path, client_key_path, ca_cert_path, named) in table {
            let tls = SourceTls {
                client_cert_path,
                client_key_path,
                ca_cert_path,
            };
            let error = tls.apply(reqwest::Client::builder()).err().unwrap();
            assert!(error.contains(named), "{named}: {error}");
        }
    }
}
