//! Referrals (`ReferralRequest`) and diary entries (`ProcedureRequest`): requests for future
//! care, which the portal has no R4 reader for. Each is read as a `CarePlan` (its identity,
//! date, status, security labels, narrative and notes: [`super::convert`]) and then named and
//! described here from the STU3 resource, keeping its own type and id (`ReferralRequest/x`)
//! and its codes (so sensitive-code rules judge it as any item). Both sit in the care-plan
//! category; a test request a report is `basedOn` is folded into the report instead
//! ([`super::enrich::report`]).

use super::bundle::text;
use super::enrich::concept_words;
use super::{add_detail, add_field, date_words};
use crate::fhir::datatypes::{codes, CodeableConcept};
use app::model::TimelineEntry;
use serde_json::Value;

/// A referral: titled by its main code (`reasonCode`), with who referred, to whom, priority
/// and specialty.
pub(super) fn referral(entry: &mut TimelineEntry, stu3: &Value) {
    entry.resource_type = "ReferralRequest".to_owned();
    drop_plan_fields(entry);
    let reasons = concepts(stu3, "reasonCode");
    entry.title = reasons
        .iter()
        .find_map(crate::fhir::datatypes::concept_text)
        .or_else(|| text(stu3, "description").map(str::to_owned))
        .map_or_else(|| "Referral".to_owned(), |t| t.trim().to_owned());
    entry.codes = reasons.iter().flat_map(|c| codes(&c.coding)).collect();
    let recipients = displays(stu3.get("recipient"));
    let priority = text(stu3, "priority").map(str::to_owned);
    let mut summary = vec!["Referral".to_owned()];
    if let Some(to) = &recipients {
        summary.push(format!("to {to}"));
    }
    if let Some(p) = &priority {
        summary.push(format!("priority {p}"));
    }
    entry.detail = None;
    add_detail(entry, &summary.join(", "));
    let fields = [
        ("Referred on", text(stu3, "authoredOn").map(date_words)),
        ("Priority", priority),
        (
            "Referred by",
            stu3.pointer("/requester/agent/display")
                .and_then(Value::as_str)
                .map(str::to_owned),
        ),
        ("Referred to", recipients),
        ("Specialty", stu3.get("specialty").and_then(concept_words)),
        ("Service requested", concept_list(stu3, "serviceRequested")),
        ("Description", text(stu3, "description").map(str::to_owned)),
    ];
    for (label, value) in fields {
        if let Some(value) = value {
            add_field(entry, label, &value);
        }
    }
}

/// A diary entry: titled by what is planned (`code`), with when it is due and why.
pub(super) fn diary_entry(entry: &mut TimelineEntry, stu3: &Value) {
    entry.resource_type = "ProcedureRequest".to_owned();
    drop_plan_fields(entry);
    let code = stu3
        .get("code")
        .and_then(|c| serde_json::from_value::<CodeableConcept>(c.clone()).ok());
    if let Some(code) = &code {
        entry.codes = codes(&code.coding);
    }
    entry.title = code
        .as_ref()
        .and_then(crate::fhir::datatypes::concept_text)
        .unwrap_or_else(|| "Diary entry".to_owned());
    entry.reason_codes = concepts(stu3, "reasonCode")
        .iter()
        .flat_map(|c| codes(&c.coding))
        .collect();
    let due = text(stu3, "occurrenceDateTime")
        .map(date_words)
        .or_else(|| period_words(stu3.get("occurrencePeriod")?));
    entry.detail = None;
    add_detail(
        entry,
        &match &due {
            Some(when) => format!("Diary entry, due {when}"),
            None => "Diary entry".to_owned(),
        },
    );
    let fields = [
        ("Due", due),
        ("Entered", text(stu3, "authoredOn").map(date_words)),
        (
            "Entered by",
            stu3.pointer("/requester/agent/display")
                .and_then(Value::as_str)
                .map(str::to_owned),
        ),
        ("Reason", concept_list(stu3, "reasonCode")),
    ];
    for (label, value) in fields {
        if let Some(value) = value {
            add_field(entry, label, &value);
        }
    }
}

/// The `CarePlan` reader's own words for the request's dates and intent: replaced here by the
/// request's (`Referred on`, `Due`, `Entered`).
fn drop_plan_fields(entry: &mut TimelineEntry) {
    if let Some(detail) = entry.full_detail.as_mut() {
        detail
            .fields
            .retain(|f| !matches!(&*f.label, "Intent" | "Created" | "Period"));
    }
}

fn concepts(stu3: &Value, name: &str) -> Vec<CodeableConcept> {
    stu3.get(name)
        .and_then(|v| serde_json::from_value::<Vec<CodeableConcept>>(v.clone()).ok())
        .unwrap_or_default()
}

fn concept_list(stu3: &Value, name: &str) -> Option<String> {
    let words: Vec<String> = stu3
        .get(name)?
        .as_array()?
        .iter()
        .filter_map(concept_words)
        .collect();
    (!words.is_empty()).then(|| words.join(", "))
}

/// The displays of a list of references.
fn displays(list: Option<&Value>) -> Option<String> {
    let words: Vec<&str> = list?
        .as_array()?
        .iter()
        .filter_map(|r| text(r, "display"))
        .filter(|d| !d.trim().is_empty())
        .collect();
    (!words.is_empty()).then(|| words.join(", "))
}

fn period_words(period: &Value) -> Option<String> {
    match (text(period, "start"), text(period, "end")) {
        (Some(s), Some(e)) => Some(format!("{} to {}", date_words(s), date_words(e))),
        (Some(s), None) => Some(format!("from {}", date_words(s))),
        (None, Some(e)) => Some(format!("by {}", date_words(e))),
        (None, None) => None,
    }
}
