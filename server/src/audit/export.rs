//! Exports of audit events: CSV (cells that a spreadsheet would run as a formula are defused)
//! and a FHIR R4 `Bundle` of `AuditEvent`s in the manner of IHE Basic Audit Log Patterns
//! (BALP): patient reads as RESTful `read` with the patient as an entity, patient searches as
//! `search-type`, sign-in and sign-out as DICOM user authentication.

use super::event::rfc3339;
use super::{EventKind, Outcome, StoredEvent};
use serde_json::{json, Value};

const CSV_HEADER: [&str; 19] = [
    "seq",
    "time",
    "kind",
    "user_id",
    "user_name",
    "role",
    "organisation",
    "nhs_number",
    "basis",
    "reason",
    "outcome",
    "refusal",
    "detail",
    "sources",
    "categories",
    "withheld",
    "request_id",
    "client",
    "user_agent",
];

/// The events as CSV (RFC 4180), one row each, with a header row.
pub fn csv(events: &[StoredEvent]) -> String {
    let mut out = String::new();
    push_row(&mut out, CSV_HEADER.iter().map(|h| h.to_string()));
    for stored in events {
        let e = &stored.event;
        let cells = [
            stored.seq.to_string(),
            rfc3339(e.at_ms),
            e.kind.as_str().to_owned(),
            e.user_id.clone(),
            e.user_name.clone(),
            e.role.clone().unwrap_or_default(),
            e.organisation.clone().unwrap_or_default(),
            e.nhs_number.clone().unwrap_or_default(),
            e.basis.clone().unwrap_or_default(),
            e.reason.clone().unwrap_or_default(),
            e.outcome.as_str().to_owned(),
            e.refusal.map(|k| k.as_str().to_owned()).unwrap_or_default(),
            e.detail.clone().unwrap_or_default(),
            e.sources.join(" "),
            e.categories.join(" "),
            e.withheld.to_string(),
            e.request_id.clone(),
            e.client.clone(),
            e.user_agent.clone(),
        ];
        push_row(&mut out, cells.into_iter());
    }
    out
}

fn push_row(out: &mut String, cells: impl Iterator<Item = String>) {
    let cells: Vec<String> = cells.map(|c| cell(&c)).collect();
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

/// Signs that make a spreadsheet read a cell as a formula, in their ASCII, full-width and
/// small forms.
const FORMULA_SIGNS: [char; 12] = [
    '=', '+', '-', '@', '\u{FF1D}', '\u{FF0B}', '\u{FF0D}', '\u{FF20}', '\u{FE66}', '\u{FE62}',
    '\u{FE63}', '\u{FE6B}',
];

/// One CSV cell: quoted when needed, and made inert when it starts with a formula sign (after
/// any white space: spreadsheets skip it), a tab or a CR (free text such as a user agent or a
/// reason must not become a spreadsheet formula).
fn cell(value: &str) -> String {
    let first = value.trim_start().chars().next();
    let value =
        if value.starts_with(['\t', '\r']) || first.is_some_and(|c| FORMULA_SIGNS.contains(&c)) {
            format!("'{value}")
        } else {
            value.to_owned()
        };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// The events as a FHIR R4 `Bundle` (type `collection`) of `AuditEvent`s.
pub fn fhir_bundle(events: &[StoredEvent]) -> Value {
    json!({
        "resourceType": "Bundle",
        "type": "collection",
        "total": events.len(),
        "entry": events.iter().map(|e| json!({ "resource": audit_event(e) })).collect::<Vec<_>>()
    })
}

const AUDIT_TYPE: &str = "http://terminology.hl7.org/CodeSystem/audit-event-type";
const RESTFUL: &str = "http://hl7.org/fhir/restful-interaction";
const DICOM: &str = "http://dicom.nema.org/resources/ontology/DCM";
const ACT_REASON: &str = "http://terminology.hl7.org/CodeSystem/v3-ActReason";

fn audit_event(stored: &StoredEvent) -> Value {
    let e = &stored.event;
    let (kind, subtype, action) = match e.kind {
        EventKind::RecordView
        | EventKind::EmergencyAccess
        | EventKind::EntryView
        | EventKind::DocumentView => (
            json!({ "system": AUDIT_TYPE, "code": "rest", "display": "Restful Operation" }),
            Some(json!({ "system": RESTFUL, "code": "read" })),
            "R",
        ),
        EventKind::PatientSearch | EventKind::TimelineSearch => (
            json!({ "system": AUDIT_TYPE, "code": "rest", "display": "Restful Operation" }),
            Some(json!({ "system": RESTFUL, "code": "search-type" })),
            "E",
        ),
        EventKind::SignIn | EventKind::SignOut => (
            json!({ "system": DICOM, "code": "110114", "display": "User Authentication" }),
            Some(if e.kind == EventKind::SignIn {
                json!({ "system": DICOM, "code": "110122", "display": "Login" })
            } else {
                json!({ "system": DICOM, "code": "110123", "display": "Logout" })
            }),
            "E",
        ),
        _ => (
            json!({ "system": AUDIT_TYPE, "code": "rest", "display": "Restful Operation" }),
            None,
            "E",
        ),
    };
    let outcome = match e.outcome {
        Outcome::Success => "0",
        Outcome::Refused => "4",
        Outcome::Failed => "8",
    };
    let purpose = e.basis.as_deref().map(|b| {
        let code = if b == app::consent::EMERGENCY {
            "ETREAT"
        } else {
            "TREAT"
        };
        json!([{ "coding": [{ "system": ACT_REASON, "code": code }], "text": b }])
    });
    let mut agent = json!({
        "type": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP" }] },
        "who": { "identifier": { "value": e.user_id }, "display": e.user_name },
        "requestor": true,
        "network": { "address": e.client, "type": "2" }
    });
    if let Some(role) = &e.role {
        agent["role"] = json!([{ "text": role }]);
    }
    if let Some(purpose) = &purpose {
        agent["purposeOfUse"] = purpose.clone();
    }
    let mut entities = Vec::new();
    if let Some(nhs) = &e.nhs_number {
        entities.push(json!({
            "what": { "identifier": { "system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs } },
            "type": { "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "1", "display": "Person" },
            "role": { "system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "1", "display": "Patient" }
        }));
    }
    entities.push(json!({
        "what": { "identifier": { "value": e.request_id } },
        "type": { "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "2", "display": "System Object" },
        "description": format!("portal request; audit event {} ({})", stored.seq, e.kind.as_str())
    }));
    let mut event = json!({
        "resourceType": "AuditEvent",
        "id": format!("audit-{}", stored.seq),
        "type": kind,
        "action": action,
        "recorded": rfc3339(e.at_ms),
        "outcome": outcome,
        "agent": [agent],
        "source": { "observer": { "display": "Shared care record viewer" },
                    "type": [{ "system": "http://terminology.hl7.org/CodeSystem/security-source-type", "code": "4", "display": "Application Server" }] },
        "entity": entities
    });
    if let Some(subtype) = subtype {
        event["subtype"] = json!([subtype]);
    }
    // The rule that refused, by its label, then the refusal's own words.
    let described = match (e.refusal, &e.detail) {
        (Some(kind), Some(detail)) => Some(format!("{}: {detail}", kind.label())),
        (Some(kind), None) => Some(kind.label().to_owned()),
        (None, detail) => detail.clone(),
    };
    if let Some(described) = described {
        event["outcomeDesc"] = json!(described);
    }
    if let Some(purpose) = purpose {
        event["purposeOfEvent"] = purpose;
    }
    event
}

#[cfg(test)]
mod tests {
    use super::super::chain;
    use super::super::AuditEvent;
    use super::*;
    use app::auth::RequestInfo;

    fn stored(kind: EventKind, f: impl FnOnce(&mut AuditEvent)) -> StoredEvent {
        let mut event = AuditEvent::by_user("u1", "Dr A", &RequestInfo::default(), kind);
        f(&mut event);
        chain::chain(0, chain::GENESIS, &[event]).remove(0)
    }

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        // (value, cell)
        let table = [
            ("plain", "plain"),
            ("a,b", "\"a,b\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\""),
            ("+1", "'+1"),
            ("-2", "'-2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("line\nbreak", "\"line\nbreak\""),
            (" =1+1", "' =1+1"),
            ("\t=1+1", "'\t=1+1"),
            ("\u{3000}=1+1", "'\u{3000}=1+1"),
            ("\n=1+1", "\"'\n=1+1\""),
            ("\u{FF1D}HYPERLINK(1)", "'\u{FF1D}HYPERLINK(1)"),
            ("\u{FF0B}1", "'\u{FF0B}1"),
            ("\u{FF0D}1", "'\u{FF0D}1"),
            ("\u{FF20}SUM(A1)", "'\u{FF20}SUM(A1)"),
            ("  \u{FF1D}cmd", "'  \u{FF1D}cmd"),
            ("a = b", "a = b"),
            ("1-2", "1-2"),
        ];
        for (value, expected) in table {
            assert_eq!(cell(value), expected, "{value}");
        }
        let rows = csv(&[stored(EventKind::RecordView, |e| {
            e.user_agent = "=cmd".into()
        })]);
        let lines: Vec<&str> = rows.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("seq,time,kind,"));
        assert!(lines[1].ends_with(",'=cmd"), "{}", lines[1]);
    }

    #[test]
    fn patient_reads_and_searches_follow_balp() {
        let read = stored(EventKind::EmergencyAccess, |e| {
            e.nhs_number = Some("9434765919".into());
            e.basis = Some("emergency".into());
        });
        let bundle = fhir_bundle(&[
            read,
            stored(EventKind::PatientSearch, |_| {}),
            stored(EventKind::Denied, |e| {
                e.outcome = Outcome::Refused;
                e.refusal = Some(app::audit_terms::RefusalKind::Dissent);
                e.detail = Some("The patient has asked for their record not to be shared.".into());
            }),
        ]);
        assert_eq!(bundle["total"], 3);
        let read = &bundle["entry"][0]["resource"];
        assert_eq!(read["action"], "R");
        assert_eq!(read["subtype"][0]["code"], "read");
        assert_eq!(
            read["entity"][0]["what"]["identifier"]["value"],
            "9434765919"
        );
        assert_eq!(read["purposeOfEvent"][0]["coding"][0]["code"], "ETREAT");
        let search = &bundle["entry"][1]["resource"];
        assert_eq!(search["subtype"][0]["code"], "search-type");
        assert_eq!(search["action"], "E");
        let refused = &bundle["entry"][2]["resource"];
        assert_eq!(refused["outcome"], "4");
        assert_eq!(
            refused["outcomeDesc"],
            "Patient dissent: The patient has asked for their record not to be shared."
        );
        let rows = csv(&[stored(EventKind::Denied, |e| {
            e.outcome = Outcome::Refused;
            e.refusal = Some(app::audit_terms::RefusalKind::RateLimited);
        })]);
        assert!(rows.contains(",refused,rate-limited,"), "{rows}");
        assert!(rows.starts_with("seq,time,kind,") && rows.contains(",outcome,refusal,detail,"));
    }
}
