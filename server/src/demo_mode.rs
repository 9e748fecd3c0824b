//! Demo mode: starts the built-in synthetic FHIR source (or, for a `gp-connect` source, the
//! synthetic GP Connect provider) for every configured source whose base URL has port 0,
//! points the configuration at it, and lists demo patients to try.

use crate::config::{Config, SourceApi};
use crate::demo::gp_connect::{DemoGpConnect, ProviderSettings};
use crate::demo::{DemoSource, Faults, Population};
use std::sync::Arc;

/// The running demo sources; they stop when this is dropped or [`DemoSources::stop`] is called.
pub struct DemoSources {
    pub sources: Vec<DemoSource>,
    /// The GP Connect providers, one per `gp-connect` source, in configured order.
    pub gp_connect: Vec<DemoGpConnect>,
    pub population: Arc<Population>,
}

impl DemoSources {
    pub fn stop(&self) {
        self.sources.iter().for_each(DemoSource::stop);
        self.gp_connect.iter().for_each(DemoGpConnect::stop);
    }

    /// The running demo source of this kind.
    pub fn get(&self, kind: app::model::SourceKind) -> Option<&DemoSource> {
        self.sources.iter().find(|s| s.kind == kind)
    }
}

impl Drop for DemoSources {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts demo sources on free loopback ports for `config`'s port-0 sources and rewrites their
/// base URLs. `faults` gives each started source its injected faults (tests only).
pub async fn start(
    config: &mut Config,
    population: Arc<Population>,
    mut faults: impl FnMut(&crate::config::SourceConfig) -> Faults,
) -> std::io::Result<DemoSources> {
    let mut sources = Vec::new();
    let mut gp_connect = Vec::new();
    for source in config.sources.iter_mut().filter(|s| s.wants_demo_source()) {
        let host = source.base_url.host_str().unwrap_or("127.0.0.1").to_owned();
        let listener = tokio::net::TcpListener::bind((host.as_str(), 0)).await?;
        let base_url = match (source.api, &source.gp_connect) {
            (SourceApi::GpConnect, Some(settings)) => {
                let provider = ProviderSettings {
                    provider_asid: settings.provider_asid.clone(),
                    provider_ods: source.organisation_code.clone(),
                    faults: faults(source),
                };
                let demo = DemoGpConnect::start(listener, population.clone(), provider).await?;
                let base_url = demo.base_url.clone();
                gp_connect.push(demo);
                base_url
            }
            _ => {
                let demo =
                    DemoSource::start(source.kind, listener, population.clone(), faults(source))
                        .await?;
                let base_url = demo.base_url.clone();
                sources.push(demo);
                base_url
            }
        };
        source.base_url = base_url
            .parse()
            .map_err(|e| std::io::Error::other(format!("demo source URL {base_url}: {e}")))?;
    }
    config.demo_patients = population.showcase();
    Ok(DemoSources {
        sources,
        gp_connect,
        population,
    })
}

/// The built-in demo configuration's text with its port-0 sources pointed at `sources`, in
/// order (as [`start`] leaves them): for tests and benchmarks that run the `server` binary
/// against demo sources they run themselves.
pub fn demo_toml_with_sources(sources: &[crate::config::SourceConfig]) -> String {
    const PORT_0: &str = "base_url = \"http://127.0.0.1:0/";
    let mut text = crate::config::DEMO_TOML.to_owned();
    for source in sources {
        let Some(start) = text.find(PORT_0) else {
            break;
        };
        let end = text[start + PORT_0.len()..]
            .find('"')
            .map_or(text.len(), |i| start + PORT_0.len() + i + 1);
        text.replace_range(start..end, &format!("base_url = \"{}\"", source.base_url));
    }
    text
}

/// Starts the demo identity provider for the issuer configured with port 0, pointing it at
/// `<public_url>/demo-idp`. `None` when no issuer asks for it. Config validation has already
/// refused it outside demo mode and in front of sources off loopback.
pub fn start_idp(
    config: &mut Config,
    public_url: &url::Url,
) -> Result<Option<Arc<crate::demo::idp::DemoIdp>>, crate::demo::idp::DemoIdpError> {
    let Some(issuer) = config
        .identity
        .issuers
        .iter_mut()
        .find(|i| i.wants_demo_idp())
    else {
        return Ok(None);
    };
    let base = public_url.as_str().trim_end_matches('/');
    issuer.issuer = format!("{base}{}", crate::demo::idp::PATH);
    let idp = crate::demo::idp::DemoIdp::new(
        issuer.issuer.clone(),
        issuer.client_id.clone(),
        format!("{base}/auth/callback"),
    )?;
    tracing::warn!("DEMO IDENTITY PROVIDER ENABLED: anyone can sign in as any synthetic user");
    Ok(Some(Arc::new(idp)))
}
