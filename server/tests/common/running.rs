//! Reaching a portal from outside, as its users do: the real `server` binary started on a
//! configuration, and bearer tokens from a running portal's demo identity provider. Shared by
//! the integration tests and the load benchmark (`benches/load.rs` includes this file).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// Starts `server demo` with the configuration `config`, written to `name` in `dir`, logging
/// at `log` (a `RUST_LOG` filter); returns it and the URL it printed. With `echo` its log goes
/// on to this process's stderr; without, it is read and dropped.
pub fn spawn_portal(
    config: &str,
    dir: &Path,
    name: &str,
    log: &str,
    echo: bool,
) -> (Child, String) {
    let path = dir.join(name);
    std::fs::write(&path, config).expect("config written");
    let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["demo", "--addr", "127.0.0.1:0", "--config"])
        .arg(&path)
        .env("RUST_LOG", log)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("server starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("the portal printed its URL before exiting")
            .expect("a line");
        if let Some(at) = line.find("is up: ") {
            break line[at + 7..].trim().to_owned();
        }
    };
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in lines {
            if let (true, Ok(line)) = (echo, line) {
                eprintln!("{line}");
            }
        }
    });
    (child, url)
}

/// The demo configuration `text` with its audit store and outbox moved into `dir`, and the
/// per-user lookup limit lifted (one user, or one address, drives the whole load).
pub fn stores_in(text: &str, dir: &Path) -> String {
    let config = text
        .replace(
            "[identity]\n",
            "[identity]\nlookup_rate = { per_minute = 10000000, burst = 1000000 }\n",
        )
        .replace(
            "sqlite_path = \"target/demo/audit.sqlite\"",
            &format!("sqlite_path = \"{}\"", dir.join("audit.sqlite").display()),
        )
        .replace(
            "target/demo/outbox.sqlite",
            &dir.join("outbox.sqlite").display().to_string(),
        );
    assert!(
        config.contains(&dir.join("outbox.sqlite").display().to_string()),
        "the demo configuration's store lines moved"
    );
    config
}

/// A bearer token from the demo identity provider of the portal at `url`, for the fields in
/// `form` (`user`, and `role` to select one of several).
pub async fn demo_token(url: &str, form: &[(&str, &str)]) -> String {
    let reply: serde_json::Value = reqwest::Client::new()
        .post(format!("{url}/demo-idp/demo-token"))
        .form(form)
        .send()
        .await
        .expect("demo identity provider answers")
        .json()
        .await
        .expect("token JSON");
    reply["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned()
}
