//! The application log: human-readable lines by default, or one JSON object a line
//! (`--log-format json`) for a log collector, each event with its fields (the request id among
//! them) as JSON fields. Either way the level comes from `RUST_LOG` (default `info`). No NHS
//! number or clinical content is ever logged (the audit trail is the place for them).

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One readable line an event.
    #[default]
    Text,
    /// One JSON object a line: `timestamp`, `level`, `target`, `fields` (`message` and the
    /// event's own fields, such as `request_id`).
    Json,
}

/// Logs to standard output in `format` for the rest of the process.
pub fn init(format: LogFormat) {
    // Colours only for a person at a terminal, never into a file or a collector.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let subscriber = subscriber(format, std::io::stdout, filter(), ansi);
    if tracing::subscriber::set_global_default(subscriber).is_err() {
        eprintln!("the log was already set up; keeping it");
    }
}

/// The level filter from `RUST_LOG`, or `info`.
fn filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,tower_http=info".into())
}

/// A subscriber writing `format` lines to `writer`, in colour when `ansi`.
fn subscriber<W>(
    format: LogFormat,
    writer: W,
    filter: EnvFilter,
    ansi: bool,
) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(ansi);
    match format {
        LogFormat::Text => Box::new(builder.finish()),
        LogFormat::Json => Box::new(builder.json().flatten_event(false).finish()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn logged(format: LogFormat) -> String {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = subscriber(
            format,
            move || writer.clone(),
            EnvFilter::new("info"),
            false,
        );
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(request_id = "req-42", source = "gp", "a source timed out");
            tracing::debug!("below the level: not written");
        });
        let bytes = captured.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    /// In JSON, every line is one object with the level and the event's fields, the request
    /// id among them, for a collector to index; events below the level are not written.
    #[test]
    fn json_lines_carry_the_level_and_the_request_id() {
        let text = logged(LogFormat::Json);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1, "{text}");
        let line: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["fields"]["request_id"], "req-42");
        assert_eq!(line["fields"]["source"], "gp");
        assert_eq!(line["fields"]["message"], "a source timed out");
        assert!(line["timestamp"].is_string(), "{line}");
    }

    /// The default stays a readable line, not JSON.
    #[test]
    fn text_lines_are_readable() {
        let text = logged(LogFormat::Text);
        assert!(text.contains("WARN"), "{text}");
        assert!(text.contains("a source timed out"), "{text}");
        assert!(text.contains("request_id=\"req-42\""), "{text}");
        assert!(serde_json::from_str::<serde_json::Value>(text.trim()).is_err());
    }
}
