//! What a source says it can do (its CapabilityStatement, `[base]/metadata`), read once in the
//! background and kept for the process lifetime or `capability_ttl_s`, and the per-type fetch
//! plan chosen from it. A statement that cannot be read only means plain searches: it never
//! fails or delays a view.

use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a failed read of the CapabilityStatement is remembered before it is tried again
/// (at most; a shorter `capability_ttl_s` wins).
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(300);

/// The parts of a CapabilityStatement the fetch plan uses.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Capabilities {
    /// The server offers the `batch` interaction (`POST [base]` with a batch Bundle).
    pub batch: bool,
    /// Patient is searchable by `identifier` (the end of every chain we use).
    pub patient_identifier: bool,
    /// Per resource type, the reference search parameters declared: `patient`, `subject`.
    pub reference_params: HashMap<String, HashSet<String>>,
}

/// The chained parameters a type search uses: the patient by their NHS number.
pub const CHAIN_BY_PATIENT: &str = "patient.identifier";
pub const CHAIN_BY_SUBJECT: &str = "subject:Patient.identifier";

impl Capabilities {
    /// Reads a CapabilityStatement leniently: anything unreadable counts as not offered.
    pub fn parse(body: &[u8]) -> Option<Self> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Statement {
            resource_type: String,
            #[serde(default)]
            rest: Vec<Rest>,
        }
        #[derive(Deserialize)]
        struct Rest {
            #[serde(default)]
            mode: Option<String>,
            #[serde(default)]
            interaction: Vec<Code>,
            #[serde(default)]
            resource: Vec<Resource>,
        }
        #[derive(Deserialize)]
        struct Code {
            #[serde(default)]
            code: Option<String>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Resource {
            #[serde(rename = "type", default)]
            resource_type: Option<String>,
            #[serde(default)]
            search_param: Vec<Param>,
        }
        #[derive(Deserialize)]
        struct Param {
            #[serde(default)]
            name: Option<String>,
            #[serde(rename = "type", default)]
            param_type: Option<String>,
        }
        let statement: Statement = serde_json::from_slice(body).ok()?;
        if statement.resource_type != "CapabilityStatement" {
            return None;
        }
        let mut found = Self::default();
        for rest in statement
            .rest
            .iter()
            .filter(|r| r.mode.as_deref().is_none_or(|m| m == "server"))
        {
            found.batch |= rest
                .interaction
                .iter()
                .any(|i| i.code.as_deref() == Some("batch"));
            for resource in &rest.resource {
                let Some(name) = resource.resource_type.as_deref() else {
                    continue;
                };
                for param in &resource.search_param {
                    let Some(param_name) = param.name.as_deref() else {
                        continue;
                    };
                    if name == "Patient"
                        && param_name == "identifier"
                        && param.param_type.as_deref().is_none_or(|t| t == "token")
                    {
                        found.patient_identifier = true;
                    }
                    if matches!(param_name, "patient" | "subject")
                        && param.param_type.as_deref().is_none_or(|t| t == "reference")
                    {
                        found
                            .reference_params
                            .entry(name.to_owned())
                            .or_default()
                            .insert(param_name.to_owned());
                    }
                }
            }
        }
        Some(found)
    }

    /// The chained parameter this type can be searched by, if the statement declares one.
    pub fn chain_for(&self, resource_type: &str) -> Option<&'static str> {
        if !self.patient_identifier {
            return None;
        }
        let params = self.reference_params.get(resource_type)?;
        if params.contains("patient") {
            Some(CHAIN_BY_PATIENT)
        } else if params.contains("subject") {
            Some(CHAIN_BY_SUBJECT)
        } else {
            None
        }
    }
}

/// One source's CapabilityStatement as last read, shared by all its views.
#[derive(Debug)]
pub struct CapabilityCache {
    ttl: Option<Duration>,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    known: Option<(Instant, Arc<Capabilities>)>,
    failed_until: Option<Instant>,
    in_flight: bool,
    /// Types whose chained search this source was seen to ignore or answer sloppily: searched
    /// by patient id until the statement is read again.
    distrusted: HashSet<String>,
}

/// What a view may use now, and whether it should start a (background) read.
#[derive(Debug)]
pub struct Current {
    pub capabilities: Option<Arc<Capabilities>>,
    pub read_now: bool,
}

impl CapabilityCache {
    pub fn new(ttl: Option<Duration>) -> Self {
        Self {
            ttl,
            state: Mutex::new(State::default()),
        }
    }

    /// The statement to plan with (a stale one while it is read again), and whether this
    /// caller should read it: only one read is in flight at a time, and a failed one is not
    /// retried for a while.
    pub fn current(&self, now: Instant) -> Current {
        let mut state = self.lock();
        let fresh = state
            .known
            .as_ref()
            .is_some_and(|(at, _)| self.ttl.is_none_or(|ttl| now.duration_since(*at) < ttl));
        let capabilities = state.known.as_ref().map(|(_, c)| c.clone());
        let waiting = state.failed_until.is_some_and(|until| now < until);
        let read_now = !fresh && !state.in_flight && !waiting;
        if read_now {
            state.in_flight = true;
        }
        Current {
            capabilities,
            read_now,
        }
    }

    /// Records a read's outcome (`None`: it failed or was unreadable).
    pub fn store(&self, read: Option<Capabilities>, now: Instant) {
        let mut state = self.lock();
        state.in_flight = false;
        state.distrusted.clear();
        match read {
            Some(capabilities) => {
                state.known = Some((now, Arc::new(capabilities)));
                state.failed_until = None;
            }
            None => {
                state.known = None;
                let wait = self
                    .ttl
                    .map_or(RETRY_AFTER_FAILURE, |t| t.min(RETRY_AFTER_FAILURE));
                state.failed_until = Some(now + wait);
            }
        }
    }

    /// Stops chaining this type at this source (it ignored the chain or sent others' data).
    pub fn distrust(&self, resource_type: &str) {
        self.lock().distrusted.insert(resource_type.to_owned());
    }

    pub fn is_distrusted(&self, resource_type: &str) -> bool {
        self.lock().distrusted.contains(resource_type)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Plain values: a panic elsewhere cannot leave them half-written.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATEMENT: &str = r#"{"resourceType":"CapabilityStatement","status":"active",
        "rest":[{"mode":"server","interaction":[{"code":"transaction"},{"code":"batch"}],
        "resource":[
          {"type":"Patient","searchParam":[{"name":"identifier","type":"token"}]},
          {"type":"Condition","searchParam":[{"name":"patient","type":"reference"},{"name":"subject","type":"reference"}]},
          {"type":"Observation","searchParam":[{"name":"subject","type":"reference"}]},
          {"type":"Flag","searchParam":[{"name":"patient","type":"string"}]},
          {"type":"Procedure"}
        ]},
        {"mode":"client","interaction":[{"code":"batch"}]}]}"#;

    #[test]
    fn a_statement_gives_batch_and_the_chain_per_type() {
        let caps = Capabilities::parse(STATEMENT.as_bytes()).unwrap();
        assert!(caps.batch);
        // (type, chain)
        let table = [
            ("Condition", Some(CHAIN_BY_PATIENT)),
            ("Observation", Some(CHAIN_BY_SUBJECT)),
            ("Flag", None),
            ("Procedure", None),
            ("Consent", None),
        ];
        for (t, chain) in table {
            assert_eq!(caps.chain_for(t), chain, "{t}");
        }
        let no_identifier = STATEMENT.replace(r#""name":"identifier""#, r#""name":"name""#);
        let caps = Capabilities::parse(no_identifier.as_bytes()).unwrap();
        assert_eq!(
            caps.chain_for("Condition"),
            None,
            "no chain without Patient?identifier"
        );
    }

    #[test]
    fn unreadable_statements_are_none_and_client_batch_does_not_count() {
        for body in [
            "",
            "<html>",
            r#"{"resourceType":"OperationOutcome"}"#,
            r#"{"resourceType":"CapabilityStatement","rest":"x"}"#,
        ] {
            assert_eq!(Capabilities::parse(body.as_bytes()), None, "{body}");
        }
        let client_only = r#"{"resourceType":"CapabilityStatement","rest":[{"mode":"client","interaction":[{"code":"batch"}]}]}"#;
        assert!(!Capabilities::parse(client_only.as_bytes()).unwrap().batch);
    }

    #[test]
    fn the_cache_reads_once_keeps_for_its_ttl_and_waits_after_a_failure() {
        let t0 = Instant::now();
        let cache = CapabilityCache::new(Some(Duration::from_secs(600)));
        let first = cache.current(t0);
        assert!(first.read_now && first.capabilities.is_none());
        assert!(!cache.current(t0).read_now, "one read in flight");
        cache.store(Some(Capabilities::default()), t0);
        let now = cache.current(t0 + Duration::from_secs(599));
        assert!(!now.read_now && now.capabilities.is_some());
        cache.distrust("Condition");
        assert!(cache.is_distrusted("Condition"));
        let stale = cache.current(t0 + Duration::from_secs(600));
        assert!(
            stale.read_now && stale.capabilities.is_some(),
            "stale is used while read again"
        );
        cache.store(None, t0 + Duration::from_secs(601));
        assert!(!cache.is_distrusted("Condition"), "a new read forgets");
        let failed = cache.current(t0 + Duration::from_secs(700));
        assert!(!failed.read_now && failed.capabilities.is_none());
        assert!(cache.current(t0 + Duration::from_secs(901)).read_now);

        let forever = CapabilityCache::new(None);
        assert!(forever.current(t0).read_now);
        forever.store(Some(Capabilities::default()), t0);
        assert!(
            !forever
                .current(t0 + Duration::from_secs(86_400 * 365))
                .read_now
        );
    }
}
