//! The `server` binary: parses the command line, loads the configuration and runs the portal.
//! See README "Command line" for the interface operators rely on.

use clap::{Parser, Subcommand};

/// mimalloc, not glibc's allocator: a view allocates and frees much small JSON (figures in
/// docs/BENCHMARKS.md, "The ceiling of audited views").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use server::config::{Config, Mode};
use server::demo::Population;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "server",
    version,
    about = "Shared care record viewer: one read-only view of a patient's record from several FHIR R4 sources."
)]
struct Cli {
    /// Where the portal listens, HOST:PORT (overrides `portal.addr` in the config).
    #[arg(long, global = true)]
    addr: Option<SocketAddr>,
    /// Seconds without a request after which a session ends (overrides `identity.session_idle_s`).
    #[arg(long, global = true)]
    session_idle_s: Option<u64>,
    /// Configuration file (TOML). Required unless running `demo`, which defaults to the built-in demo config.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// How the application log is written: readable lines, or one JSON object a line for a
    /// log collector.
    #[arg(long, global = true, value_enum, default_value_t = server::logs::LogFormat::Text)]
    log_format: server::logs::LogFormat,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Demo mode: start the built-in synthetic FHIR sources on loopback, then the portal.
    Demo {
        /// How many synthetic patients the demo sources hold.
        #[arg(long, default_value_t = Population::DEFAULT_PATIENTS)]
        patients: usize,
        /// Seed of the synthetic data (same seed, same patients).
        #[arg(long, default_value_t = Population::DEFAULT_SEED)]
        seed: u64,
    },
    /// Prints a bearer token for a demo user from a running demo portal's identity provider,
    /// for the JSON API: `curl -H "Authorization: Bearer $(server demo-token ae.clinician)" ...`
    DemoToken {
        /// The demo user's login (listed when the demo starts).
        user: String,
        /// The running demo portal.
        #[arg(long, default_value = "http://127.0.0.1:3000")]
        portal: url::Url,
        /// For users with several roles: the `person_roleid` to select.
        #[arg(long)]
        role: Option<String>,
        /// Sign with the ES256 key instead of the RS256 one.
        #[arg(long)]
        es256: bool,
    },
    /// Audit trail tools.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
}

#[derive(Subcommand)]
enum AuditAction {
    /// Checks the audit trail's hash chain; exits 1 naming the first broken link.
    /// Reads the store in `--config` (or the demo config's store).
    Verify,
    /// Deletes events older than `audit.retention_days` now (the portal also does this every
    /// `audit.purge_every_h` hours), leaving a checkpoint the chain verifies from.
    Purge,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    server::logs::init(cli.log_format);
    match start(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn start(cli: Cli) -> Result<(), String> {
    if let Some(Command::DemoToken {
        user,
        portal,
        role,
        es256,
    }) = &cli.command
    {
        let token = demo_token(portal, user, role.as_deref(), *es256).await?;
        println!("{token}");
        return Ok(());
    }
    if let Some(Command::Audit { action }) = &cli.command {
        let config = match &cli.config {
            Some(path) => Config::load(path, Mode::Live),
            None => Config::demo(),
        }
        .map_err(|e| e.to_string())?;
        return match action {
            AuditAction::Verify => verify_audit(&config).await,
            AuditAction::Purge => purge_audit(&config).await,
        };
    }
    let demo = match &cli.command {
        Some(Command::Demo { patients, seed }) => Some((*patients, *seed)),
        _ => None,
    };
    let mut config = match (&cli.config, demo) {
        (Some(path), Some(_)) => Config::load(path, Mode::Demo),
        (Some(path), None) => Config::load(path, Mode::Live),
        (None, Some(_)) => Config::demo(),
        (None, None) => {
            return Err(
                "give --config FILE to run against real sources, or run `server demo`".into(),
            )
        }
    }
    .map_err(|e| e.to_string())?;
    if let Some(addr) = cli.addr {
        config.portal.addr = addr;
    }
    if let Some(idle) = cli.session_idle_s {
        if !(1..=config.identity.session_max_s).contains(&idle) {
            return Err(format!(
                "--session-idle-s must be between 1 and identity.session_max_s ({})",
                config.identity.session_max_s
            ));
        }
        config.identity.session_idle_s = idle;
    }

    let _demo_sources = match demo {
        Some((patients, seed)) => {
            if patients == 0 || patients > Population::MAX_PATIENTS {
                return Err(format!(
                    "--patients must be between 1 and {}",
                    Population::MAX_PATIENTS
                ));
            }
            let population = Arc::new(Population::new(patients, seed));
            let started = server::demo_mode::start(&mut config, population, |_| Default::default())
                .await
                .map_err(|e| format!("cannot start demo sources: {e}"))?;
            Some(started)
        }
        None => None,
    };

    let listener = tokio::net::TcpListener::bind(config.portal.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.portal.addr))?;
    let url = format!(
        "http://{}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    print_banner(&config, &url, demo.is_some());
    server::run(config, listener, shutdown_signal())
        .await
        .map_err(|e| e.to_string())
}

fn print_banner(config: &Config, url: &str, demo: bool) {
    println!();
    println!("  Shared care record viewer is up: {url}");
    if demo {
        println!("  DEMO MODE: synthetic data from built-in FHIR sources on loopback.");
        for s in &config.sources {
            println!("    {:<14} {:<48} {}", s.kind.as_str(), s.name, s.base_url);
        }
        println!("  Patients to try (NHS number):");
        for p in &config.demo_patients {
            println!("    {}  {}", p.nhs_number.formatted(), p.label);
        }
        println!();
        println!("  !! DEMO IDENTITY PROVIDER: anyone can sign in as any synthetic user below.");
        println!("  !! Never run it with real sources or real patient data (it refuses non-loopback sources).");
        println!("  Sign in at {url}/signin as (login - who):");
        for u in server::demo::idp::DEMO_USERS {
            println!("    {:<16} {} - {}", u.login, u.name, u.description);
        }
        println!("  Bearer token for the JSON API:  server demo-token <login> --portal {url}");
    }
    println!(
        "  JSON API: {url}/api/v1/patients/<nhs_number>/record   (OpenAPI: {url}/api/openapi.json)"
    );
    println!();
}

/// `server audit verify`: walks the chain and reports.
async fn verify_audit(config: &Config) -> Result<(), String> {
    let store = open_existing_store(config).await?;
    match server::audit::verify(&*store)
        .await
        .map_err(|e| e.to_string())?
    {
        Ok(checked) => {
            println!("audit chain verified: {checked} events, every link intact");
            Ok(())
        }
        Err(broken) => Err(broken.to_string()),
    }
}

/// `server audit purge`: one retention purge now.
async fn purge_audit(config: &Config) -> Result<(), String> {
    let days = config.audit.retention_days;
    if days == 0 {
        return Err("audit.retention_days is 0: events are kept for ever".into());
    }
    let store = open_existing_store(config).await?;
    let trail = server::audit::AuditTrail::start(store, 1);
    let request = app::auth::RequestInfo {
        request_id: "cli-purge".into(),
        client: "command line".into(),
        user_agent: "server audit purge".into(),
    };
    match server::audit::retention::purge_now(&trail, days, &request)
        .await
        .map_err(|e| e.to_string())?
    {
        Some(c) => println!(
            "purged events through {} (older than {days} days); checkpoint hash {}",
            c.seq, c.hash
        ),
        None => println!("no events older than {days} days"),
    }
    Ok(())
}

/// The configured audit store, refusing to create an empty SQLite file where none was.
async fn open_existing_store(
    config: &Config,
) -> Result<std::sync::Arc<dyn server::audit::AuditStore>, String> {
    let audit = &config.audit;
    if audit.store == server::audit::StoreKind::Sqlite && !audit.sqlite_path.exists() {
        return Err(format!("no audit store at {}", audit.sqlite_path.display()));
    }
    audit.open_store().await.map_err(|e| e.to_string())
}

/// Asks a running demo portal's identity provider for a token for `user`.
async fn demo_token(
    portal: &url::Url,
    user: &str,
    role: Option<&str>,
    es256: bool,
) -> Result<String, String> {
    let url = portal
        .join(&format!("{}/demo-token", server::demo::idp::PATH))
        .map_err(|e| e.to_string())?;
    let mut form = vec![("user", user.to_owned())];
    if let Some(role) = role {
        form.push(("role", role.to_owned()));
    }
    if es256 {
        form.push(("alg", "ES256".to_owned()));
    }
    let response = reqwest::Client::new()
        .post(url.clone())
        .form(&form)
        .send()
        .await
        .map_err(|e| {
            format!("cannot reach the demo portal at {portal} (is `server demo` running?): {e}")
        })?;
    let status = response.status();
    let body: serde_json::Value = response
        .json()
        .await
        .map_err(|e| format!("{url} did not answer with JSON (is it a demo portal?): {e}"))?;
    match body.get("access_token").and_then(|t| t.as_str()) {
        Some(token) if status.is_success() => Ok(token.to_owned()),
        _ => Err(format!(
            "{url} refused: {}",
            body.get("message")
                .and_then(|m| m.as_str())
                .unwrap_or("no token")
        )),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
