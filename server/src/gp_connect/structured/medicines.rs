//! GP Connect's medication record folded into one timeline entry per medicine: the
//! `MedicationStatement` (the medicine as the patient's record holds it) is the entry; its
//! authorisation (`MedicationRequest` with `intent` `plan`, found through `basedOn`) and the
//! issues made under it (`intent` `order`, `basedOn` the plan) add the prescription type,
//! the repeats allowed and issued, the expiry, why it was stopped, and the issues' count and
//! latest date. Plans and orders folded in are not entries and are not counted as skipped; a
//! plan or order no statement accounts for is read as an entry of its own (never lost).

use super::bundle::{text, Index};
use super::{add_detail, add_field, date_words, extension, sub_extension};
use app::model::TimelineEntry;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// What the authorisation and issues behind one statement say.
#[derive(Debug, Default, Clone)]
pub(super) struct Prescribing {
    /// `Acute`, `Repeat`, `Repeat dispensing`, `Delayed prescribing`.
    prescription_type: Option<String>,
    repeats_allowed: Option<u64>,
    repeats_issued: Option<u64>,
    expires: Option<String>,
    /// The plan's end, when the statement gives none.
    plan_end: Option<String>,
    stopped_on: Option<String>,
    stopped_because: Option<String>,
    /// Each issue's date (`authoredOn`), as sent.
    issues: Vec<String>,
}

/// The medicines folded together, by the statement's `Type/id`.
#[derive(Debug, Default)]
pub(super) struct Medicines {
    pub by_statement: HashMap<String, Prescribing>,
    /// The plans and orders folded into a statement: not entries of their own.
    pub folded: HashSet<String>,
}

impl Medicines {
    pub fn of(index: &Index) -> Self {
        let mut plans: HashMap<String, Prescribing> = HashMap::new();
        for plan in requests(index, "plan") {
            if let Some(key) = &plan.key {
                plans.insert(key.clone(), authorisation(&plan.resource));
            }
        }
        let mut orders_of: HashMap<String, Vec<(String, String)>> = HashMap::new();
        for order in requests(index, "order") {
            let (Some(key), Some(plan)) = (&order.key, based_on(index, &order.resource).next())
            else {
                continue;
            };
            let date = text(&order.resource, "authoredOn")
                .unwrap_or_default()
                .to_owned();
            orders_of.entry(plan).or_default().push((key.clone(), date));
        }
        let mut medicines = Medicines::default();
        for statement in index.of_kind("MedicationStatement") {
            let Some(key) = &statement.key else { continue };
            let Some(plan_key) =
                based_on(index, &statement.resource).find(|k| plans.contains_key(k))
            else {
                continue;
            };
            let mut prescribing = plans.get(&plan_key).cloned().unwrap_or_default();
            medicines.folded.insert(plan_key.clone());
            for (order, date) in orders_of.get(&plan_key).into_iter().flatten() {
                medicines.folded.insert(order.clone());
                if !date.is_empty() {
                    prescribing.issues.push(date.clone());
                }
            }
            medicines.by_statement.insert(key.clone(), prescribing);
        }
        medicines
    }
}

/// The `MedicationRequest`s of one intent.
fn requests<'a>(
    index: &'a Index,
    intent: &'a str,
) -> impl Iterator<Item = &'a super::bundle::Item> {
    index
        .of_kind("MedicationRequest")
        .filter(move |r| text(&r.resource, "intent") == Some(intent))
}

/// The `Type/id`s a resource's `basedOn` names.
fn based_on<'a>(index: &'a Index, resource: &'a Value) -> impl Iterator<Item = String> + 'a {
    resource
        .get("basedOn")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| index.key_of(r.get("reference")?.as_str()?))
}

/// What an authorisation (`intent` `plan`) says.
fn authorisation(plan: &Value) -> Prescribing {
    let prescription_type = extension(plan, "PrescriptionType")
        .and_then(|e| e.get("valueCodeableConcept"))
        .and_then(|c| c.pointer("/coding/0"))
        .and_then(|c| {
            text(c, "display")
                .or_else(|| text(c, "code"))
                .map(prescription_words)
        });
    let repeat = extension(plan, "MedicationRepeatInformation");
    let count = |name: &str| {
        repeat
            .and_then(|e| sub_extension(e, name))
            .and_then(|e| {
                e.get("valuePositiveInt")
                    .or_else(|| e.get("valueUnsignedInt"))
            })
            .and_then(Value::as_u64)
    };
    let expires = repeat
        .and_then(|e| sub_extension(e, "authorisationExpiryDate"))
        .and_then(|e| text(e, "valueDateTime"))
        .map(str::to_owned);
    let stopped = extension(plan, "MedicationStatusReason");
    let stopped_on = stopped
        .and_then(|e| sub_extension(e, "statusChangeDate").or_else(|| sub_extension(e, "date")))
        .and_then(|e| text(e, "valueDateTime"))
        .map(str::to_owned);
    let stopped_because = stopped
        .and_then(|e| sub_extension(e, "statusReason").or_else(|| sub_extension(e, "reason")))
        .and_then(|e| {
            text(e, "valueString").map(str::to_owned).or_else(|| {
                let concept = e.get("valueCodeableConcept")?;
                text(concept, "text")
                    .or_else(|| concept.pointer("/coding/0/display")?.as_str())
                    .map(str::to_owned)
            })
        });
    Prescribing {
        prescription_type,
        repeats_allowed: count("numberOfRepeatPrescriptionsAllowed"),
        repeats_issued: count("numberOfRepeatPrescriptionsIssued"),
        expires,
        plan_end: plan
            .pointer("/dispenseRequest/validityPeriod/end")
            .and_then(Value::as_str)
            .map(str::to_owned),
        stopped_on,
        stopped_because,
        issues: Vec::new(),
    }
}

/// A prescription type code in words (`repeat-dispensing` → `Repeat dispensing`).
fn prescription_words(code: &str) -> String {
    let words = code.replace('-', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => words,
    }
}

/// Adds what the authorisation and issues say to the statement's entry: fields for the panel
/// and `Repeat; last issued 11-Sep-2016 (3 issues)` in its detail. The last issue date is
/// the statement's own `lastIssueDate` extension when sent, else the latest issue's date.
pub(super) fn add_prescribing(entry: &mut TimelineEntry, statement: &Value, p: &Prescribing) {
    let last_issue = extension(statement, "LastIssueDate")
        .and_then(|e| text(e, "valueDateTime"))
        .map(str::to_owned)
        .or_else(|| latest(&p.issues));
    let issued_count = (!p.issues.is_empty()).then_some(p.issues.len());
    let agency = extension(statement, "PrescribingAgency")
        .and_then(|e| e.pointer("/valueCodeableConcept/coding/0/display"))
        .and_then(Value::as_str);
    let mut summary: Vec<String> = p.prescription_type.iter().cloned().collect();
    if let Some(last) = &last_issue {
        let count = match issued_count {
            Some(1) => " (1 issue)".to_owned(),
            Some(n) => format!(" ({n} issues)"),
            None => String::new(),
        };
        summary.push(format!("last issued {}{count}", date_words(last)));
    }
    if let Some(on) = &p.stopped_on {
        summary.push(format!("stopped {}", date_words(on)));
    }
    if !summary.is_empty() {
        add_detail(entry, &summary.join("; "));
    }
    let fields = [
        ("Prescription type", p.prescription_type.clone()),
        ("Prescribed at", agency.map(str::to_owned)),
        ("Last issued", last_issue.as_deref().map(date_words)),
        ("Issues in this record", issued_count.map(|n| n.to_string())),
        (
            "Issue dates",
            (!p.issues.is_empty()).then(|| issue_dates(&p.issues)),
        ),
        ("Repeats allowed", p.repeats_allowed.map(|n| n.to_string())),
        ("Repeats issued", p.repeats_issued.map(|n| n.to_string())),
        (
            "Authorisation expires",
            p.expires.as_deref().map(date_words),
        ),
        ("Stopped", p.stopped_on.as_deref().map(date_words)),
        ("Stopped because", p.stopped_because.clone()),
    ];
    for (label, value) in fields {
        if let Some(value) = value {
            add_field(entry, label, &value);
        }
    }
    if entry.until.is_none() {
        entry.until = p
            .plan_end
            .as_deref()
            .and_then(|end| app::clinical_date::ClinicalDate::parse(end.trim()).ok());
    }
}

/// The latest of some FHIR dates (compared as instants where they can be read).
fn latest(dates: &[String]) -> Option<String> {
    dates
        .iter()
        .filter_map(|d| {
            let parsed = app::clinical_date::ClinicalDate::parse(d.trim()).ok()?;
            Some((parsed.sort_key, d))
        })
        .max_by_key(|(key, _)| *key)
        .map(|(_, d)| d.clone())
}

/// The issue dates, oldest first, the NHS way.
fn issue_dates(dates: &[String]) -> String {
    let mut parsed: Vec<app::clinical_date::ClinicalDate> = dates
        .iter()
        .filter_map(|d| app::clinical_date::ClinicalDate::parse(d.trim()).ok())
        .collect();
    parsed.sort_by_key(|d| d.sort_key);
    let words: Vec<String> = parsed.iter().map(|d| d.display()).collect();
    words.join(", ")
}
