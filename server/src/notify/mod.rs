//! Child protection notification, as the national child protection information sharing
//! service (CP-IS) does it: an active child-protection flag on a record viewed in an
//! unscheduled-care role is shown at the top of the record, and a notification for the
//! organisation responsible for the child's plan is written to a durable [`outbox`] and
//! delivered by a pluggable notifier ([`deliver`]: a FHIR `Communication` POSTed to that
//! organisation's source), retried until delivered; operations staff see delivery in
//! [`status`].

pub mod deliver;
pub mod outbox;
pub mod status;

use app::auth::{Caller, Role};
use app::model::{Category, ChildProtectionFlag, PatientRecord};
use serde::Deserialize;
use serde_json::json;
use std::path::PathBuf;

/// A code that marks a `Flag` as a child-protection flag.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagCode {
    pub system: String,
    pub code: String,
    /// How the banner names it ("Child protection plan").
    pub label: String,
}

/// `[child_protection]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChildProtectionConfig {
    /// Flag codes that mean the child is on a protection plan, looked after, or unborn and on
    /// a pre-birth plan. No defaults: each deployment lists the codes its sources use.
    pub flags: Vec<FlagCode>,
    /// Roles in unscheduled care whose views notify (default: A&E and urgent-care clinicians,
    /// call handlers).
    pub notify_roles: Vec<Role>,
    /// The outbox's SQLite file (with `[audit] store = "postgres"` the outbox is in that
    /// database instead, shared by every instance).
    pub outbox_path: PathBuf,
    /// First retry after this many seconds; doubling up to `retry_max_s`.
    pub retry_initial_s: u64,
    pub retry_max_s: u64,
    /// How often the deliverer looks for notifications due, in milliseconds.
    pub deliver_every_ms: u64,
    /// How long an instance holds a notification it is delivering before another instance
    /// may take it, in seconds: longer than any one delivery takes (the recipient source's
    /// timeouts and retries), or a slow delivery could be sent twice.
    pub claim_lease_s: u64,
}

impl Default for ChildProtectionConfig {
    fn default() -> Self {
        Self {
            flags: Vec::new(),
            notify_roles: vec![
                Role::AeClinician,
                Role::UrgentCareClinician,
                Role::CallHandler,
            ],
            outbox_path: PathBuf::from("data/outbox.sqlite"),
            retry_initial_s: 5,
            retry_max_s: 600,
            deliver_every_ms: 1_000,
            claim_lease_s: 300,
        }
    }
}

impl ChildProtectionConfig {
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (i, flag) in self.flags.iter().enumerate() {
            if flag.system.trim().is_empty()
                || flag.code.trim().is_empty()
                || flag.label.trim().is_empty()
            {
                problems.push(format!(
                    "child_protection.flags[{i}]: needs a system, a code and a label"
                ));
            }
        }
        if self.retry_initial_s == 0 || self.retry_max_s < self.retry_initial_s {
            problems.push(
                "child_protection: retry_initial_s must be at least 1 and no more than retry_max_s"
                    .to_owned(),
            );
        }
        if !(50..=60_000).contains(&self.deliver_every_ms) {
            problems
                .push("child_protection.deliver_every_ms must be between 50 and 60000".to_owned());
        }
        if !(1..=86_400).contains(&self.claim_lease_s) {
            problems.push("child_protection.claim_lease_s must be between 1 and 86400".to_owned());
        }
        problems
    }

    /// The active child-protection flags among the entries the viewer may see (so the banner
    /// never reveals a flag the viewer is not shown), with whom to contact.
    pub fn flags_in(&self, record: &PatientRecord) -> Vec<ChildProtectionFlag> {
        let mut found: Vec<ChildProtectionFlag> = Vec::new();
        for entry in &record.entries {
            let active = entry.status.as_deref().is_none_or(|s| s == "active");
            if entry.category != Category::Alert || !active {
                continue;
            }
            let Some(flag) = self.flags.iter().find(|f| {
                entry
                    .codes
                    .iter()
                    .any(|c| c.system == f.system && c.code == f.code)
            }) else {
                continue;
            };
            let source = record.sources.iter().find(|s| s.id == entry.source_id);
            found.push(ChildProtectionFlag {
                label: flag.label.clone(),
                source_id: entry.source_id.clone(),
                organisation: source.map_or_else(|| entry.source_id.clone(), |s| s.name.clone()),
                organisation_code: source
                    .map(|s| s.organisation_code.clone())
                    .unwrap_or_default(),
                since: entry.date.clone(),
            });
        }
        found
    }

    /// Whether a view by this role notifies.
    pub fn notifies(&self, role: Role) -> bool {
        self.notify_roles.contains(&role)
    }
}

/// The system of every notification's business identifier: the value is a `urn:uuid:`.
pub const IDENTIFIER_SYSTEM: &str = "urn:ietf:rfc:3986";

/// The notification for one view: a FHIR R4 `Communication` to the responsible organisation
/// saying the child's record was viewed in unscheduled care, when, and by which organisation
/// and role. No clinical content. It carries an identifier of its own (a random `urn:uuid:`),
/// made once and kept in the outbox with the rest of it, so that every delivery attempt sends
/// the same one and the recipient can tell a redelivery from a new notification
/// ([`conditional_create`]).
pub fn communication(
    caller: &Caller,
    record: &PatientRecord,
    flag: &ChildProtectionFlag,
    sent: &str,
) -> serde_json::Value {
    let viewer = &caller.viewer;
    let at = viewer
        .organisation
        .clone()
        .unwrap_or_else(|| "unknown organisation".to_owned());
    json!({
        "resourceType": "Communication",
        "identifier": [{
            "system": IDENTIFIER_SYSTEM,
            "value": format!("urn:uuid:{}", uuid::Uuid::new_v4()) }],
        "status": "completed",
        "category": [{ "text": "Child protection: record viewed in unscheduled care" }],
        "subject": { "identifier": {
            "system": "https://fhir.nhs.uk/Id/nhs-number",
            "value": record.nhs_number.as_digits() } },
        "sent": sent,
        "recipient": [{ "identifier": {
            "system": "https://fhir.nhs.uk/Id/ods-organization-code",
            "value": flag.organisation_code } }],
        "sender": { "identifier": {
            "system": "https://fhir.nhs.uk/Id/ods-organization-code",
            "value": at } },
        "payload": [{ "contentString": format!(
            "{} (flag: {}) viewed in unscheduled care by a {} at {at} on {sent}.",
            record.nhs_number.formatted(), flag.label, viewer.role.label()) }]
    })
}

/// The `If-None-Exist` search that makes delivering `body` (a stored notification) a FHIR
/// conditional create: the recipient creates it only if it holds no Communication with its
/// identifier, so a delivery repeated after a crash between the recipient accepting it and
/// the outbox marking it delivered is harmless. `None` for a notification without one (written
/// before identifiers were added): it is delivered as a plain create.
pub fn conditional_create(body: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Identified {
        #[serde(default)]
        identifier: Vec<Identifier>,
    }
    #[derive(Deserialize)]
    struct Identifier {
        system: Option<String>,
        value: Option<String>,
    }
    let identified: Identified = serde_json::from_str(body).ok()?;
    let first = identified.identifier.into_iter().next()?;
    let value = first.value.filter(|v| is_search_safe(v))?;
    match first.system {
        Some(system) if is_search_safe(&system) => Some(format!("identifier={system}|{value}")),
        _ => None,
    }
}

/// Whether `text` can stand in a search parameter's value as it is: no separators, escapes or
/// whitespace that would change the search's meaning.
fn is_search_safe(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '|' | ',' | '$' | '\\' | '&' | '=' | '%'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_notification_has_its_own_identifier_and_a_conditional_create_for_it() {
        let body = |id: &str| {
            json!({ "resourceType": "Communication",
                "identifier": [{ "system": IDENTIFIER_SYSTEM, "value": id }] })
            .to_string()
        };
        let id = format!("urn:uuid:{}", uuid::Uuid::new_v4());
        assert_eq!(
            conditional_create(&body(&id)).as_deref(),
            Some(format!("identifier=urn:ietf:rfc:3986|{id}").as_str())
        );
        // (stored body, why it is delivered as a plain create)
        let plain = [
            (
                r#"{"resourceType":"Communication"}"#,
                "written before identifiers",
            ),
            (r#"{"identifier":[]}"#, "an empty list"),
            (
                r#"{"identifier":[{"system":"urn:ietf:rfc:3986"}]}"#,
                "no value",
            ),
            (r#"{"identifier":[{"value":"urn:uuid:1"}]}"#, "no system"),
            ("not json", "unreadable"),
        ];
        for (stored, why) in plain {
            assert_eq!(conditional_create(stored), None, "{why}");
        }
        // A value that would change the search is never sent as one.
        for value in ["a|b", "a,b", "a&_id=1", "a b", "a%7C", "a\\,b", ""] {
            assert_eq!(conditional_create(&body(value)), None, "{value:?}");
        }
    }
}
