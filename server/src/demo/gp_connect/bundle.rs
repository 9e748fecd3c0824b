//! The response Bundle for one request: the resources of the clinical areas asked for (with
//! their part parameters applied and every referenced resource), the primary and secondary
//! Lists, warnings, an OperationOutcome for what the practice does not return, shuffled.

use super::checks::Asked;
use super::records::{meta, reference, snomed, Record};
use crate::demo::data::calendar::{date_time, ANCHOR_DAY};
use crate::demo::data::catalogue::SNOMED;
use crate::demo::data::rng::Rng;
use serde_json::{json, Value};
use std::collections::BTreeSet;

const SECONDARY: &str = "https://fhir.hl7.org.uk/STU3/CodeSystem/GPConnect-SecondaryListValues-1";
const WARNING_CODE: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-ListWarningCode-1";
const CONFIDENTIAL: &str = "Items excluded due to confidentiality and/or patient preferences.";

/// Clinical areas this practice has switched off (the spec's configuration of supported
/// clinical areas): asked for, they are answered with a warning in the OperationOutcome.
pub const DISABLED: [&str; 1] = ["includeDiaryEntries"];

/// The Bundle answering `asked` from `record`; `trace_id` becomes its id, `seed` orders it.
pub fn bundle(record: &Record, asked: &Asked, trace_id: &str, seed: &[u64]) -> Value {
    let mut b = Assembly {
        record,
        picked: BTreeSet::new(),
        lists: Vec::new(),
    };
    b.picked.extend(record.always.iter().cloned());
    let mut primary_problems: Vec<String> = Vec::new();

    if let Some(resolved) = asked.allergies {
        let active = record.allergies.clone();
        b.primary(
            "886921000000105",
            "Allergies and adverse reactions",
            &active,
            None,
        );
        if resolved {
            let mut list = b.list("1103671000000101", "Ended allergies", &[]);
            let ended = &record.ended_allergies;
            if ended.is_empty() {
                empty(&mut list);
            } else {
                list["contained"] = json!(ended);
                list["entry"] = ended.iter().map(|a| json!({ "item": { "reference": format!("#{}", a["id"].as_str().unwrap_or_default()) } })).collect();
            }
            b.lists.push(list);
        }
    }
    if let Some(medication) = asked.medication {
        let statements: Vec<String> = record
            .medicines
            .iter()
            .filter(|m| {
                medication.from.is_none_or(|from| match (m.repeat, m.end) {
                    (_, Some(end)) => end >= from,
                    (true, None) => true,
                    (false, None) => m.start >= from,
                })
            })
            .inspect(|m| {
                if medication.issues {
                    b.picked.extend(m.orders.iter().cloned());
                }
            })
            .map(|m| m.statement.clone())
            .collect();
        b.primary(
            "933361000000108",
            "Medications and medical devices",
            &statements,
            None,
        );
    }
    let mut consultation_items: Vec<String> = Vec::new();
    if let Some(asked_consultations) = asked.consultations {
        let mut chosen: Vec<_> = record
            .consultations
            .iter()
            .filter(|c| {
                asked_consultations
                    .period
                    .start
                    .is_none_or(|s| c.start >= s)
            })
            .filter(|c| asked_consultations.period.end.is_none_or(|e| c.end <= e))
            .collect();
        chosen.sort_by_key(|c| std::cmp::Reverse(c.start));
        if let Some(n) = asked_consultations.most_recent {
            chosen.truncate(n);
        }
        let encounters: Vec<String> = chosen.iter().map(|c| c.encounter.clone()).collect();
        b.primary(
            "1149501000000101",
            "List of consultations",
            &encounters,
            None,
        );
        for c in chosen {
            b.lists.extend(c.lists.iter().cloned());
            consultation_items.extend(c.items.iter().cloned());
        }
        b.picked.extend(consultation_items.iter().cloned());
    }
    if let Some(status) = asked.problems {
        primary_problems = record
            .problems
            .iter()
            .filter(|(_, active)| status.is_none_or(|s| s == *active))
            .map(|(key, _)| key.clone())
            .collect();
        b.primary("717711000000103", "Problems", &primary_problems, None);
    }
    if let Some(immunisations) = asked.immunisations {
        let given: Vec<String> = record
            .immunisations
            .iter()
            .filter(|(_, not_given, _)| immunisations.not_given || !not_given)
            .map(|(key, ..)| key.clone())
            .collect();
        b.primary("1102181000000102", "Immunisations", &given, None);
    }
    if let Some(period) = asked.uncategorised {
        let items: Vec<String> = record
            .uncategorised
            .iter()
            .filter(|(_, covered)| period.holds(*covered))
            .map(|(key, _)| key.clone())
            .collect();
        let warning = record
            .uncategorised_withheld
            .then_some("confidential-items");
        b.primary("826501000000100", "Uncategorised data", &items, warning);
    }
    if let Some(period) = asked.investigations {
        let reports: Vec<String> = record
            .investigations
            .iter()
            .filter(|(_, day)| period.holds((*day, *day)))
            .map(|(key, _)| key.clone())
            .collect();
        b.primary(
            "887191000000108",
            "Investigations and results",
            &reports,
            None,
        );
    }
    if let Some(period) = asked.referrals {
        let referrals: Vec<String> = record
            .referrals
            .iter()
            .filter(|(_, day)| period.holds((*day, *day)))
            .map(|(key, _)| key.clone())
            .collect();
        b.primary("792931000000107", "Outbound referral", &referrals, None);
    }

    // What the picked resources reference comes with them (Medication, plans, problems...).
    b.close();
    // Secondary lists: items of the consultations, items related to the problems, and the
    // problems that came along without being on the primary Problems list.
    if asked.consultations.is_some() {
        b.secondary(
            "consultations",
            "contained in consultations",
            &consultation_items,
        );
    }
    if asked.problems.is_some() {
        let related: Vec<String> = primary_problems
            .iter()
            .filter_map(|p| record.resources.get(p))
            .flat_map(|c| c["extension"].as_array().cloned().unwrap_or_default())
            .filter(|e| {
                e["url"]
                    .as_str()
                    .is_some_and(|u| u.ends_with("RelatedClinicalContent-1"))
            })
            .filter_map(|e| e["valueReference"]["reference"].as_str().map(str::to_owned))
            .collect();
        b.secondary("problems", "related to problems", &related);
    }
    let linked: Vec<String> = b
        .picked
        .iter()
        .filter(|k| k.starts_with("Condition/") && !primary_problems.contains(k))
        .cloned()
        .collect();
    if !linked.is_empty() {
        let mut list = b.list_coded(
            SECONDARY,
            "problems-linked-problems-not-relating-to-the-primary-query",
            "Problems - linked problems not relating to the primary query",
            &linked,
        );
        list["title"] = json!("Problems - linked problems not relating to the primary query");
        b.lists.push(list);
    }

    let mut issues: Vec<Value> = Vec::new();
    let mut warn = |text: String, diagnostics: &str| {
        issues.push(json!({ "severity": "warning", "code": "not-supported",
            "details": { "coding": [{ "system": "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1",
                "code": "NOT_IMPLEMENTED", "display": "Not implemented" }], "text": text },
            "diagnostics": diagnostics }));
    };
    if asked.diary_entries {
        for area in DISABLED {
            warn(format!("{area} has been disabled"), area);
        }
    }
    if asked.consultations.is_some() {
        for area in &record.disabled_areas_linked {
            warn(format!("{area} has been disabled"), area);
        }
    }
    for name in &asked.unrecognised {
        warn(format!("{name} is an unrecognised parameter"), name);
    }

    let mut resources: Vec<Value> = b
        .picked
        .iter()
        .filter_map(|k| record.resources.get(k).cloned())
        .chain(b.lists)
        .collect();
    if !issues.is_empty() {
        resources.push(json!({ "resourceType": "OperationOutcome", "id": format!("{trace_id}-warnings"),
            "meta": { "profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-OperationOutcome-1"] },
            "issue": issues }));
    }
    let count = resources.len();
    let shuffled = Rng::new(seed).sample(&(0..count).collect::<Vec<_>>(), count);
    let mut slots: Vec<Option<Value>> = resources.into_iter().map(Some).collect();
    let entry: Vec<Value> = shuffled
        .into_iter()
        .filter_map(|i| slots.get_mut(i).and_then(Option::take))
        .map(|resource| json!({ "resource": resource }))
        .collect();
    json!({ "resourceType": "Bundle", "id": trace_id,
        "meta": { "profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-StructuredRecord-Bundle-1"] },
        "type": "collection", "entry": entry })
}

struct Assembly<'a> {
    record: &'a Record,
    picked: BTreeSet<String>,
    lists: Vec<Value>,
}

impl Assembly<'_> {
    fn list(&self, code: &str, title: &str, items: &[String]) -> Value {
        self.list_coded(SNOMED, code, title, items)
    }

    fn list_coded(&self, system: &str, code: &str, title: &str, items: &[String]) -> Value {
        let mut coding = snomed(code, title);
        coding["coding"][0]["system"] = json!(system);
        json!({ "resourceType": "List", "meta": meta("CareConnect-GPC-List-1"),
            "extension": [{ "url": "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-ClinicalSetting-1",
                "valueCodeableConcept": snomed("1060971000000108", "General practice service") }],
            "status": "current", "mode": "snapshot", "title": title, "code": coding,
            "subject": reference(&self.record.patient), "date": date_time(ANCHOR_DAY, 600),
            "orderedBy": { "coding": [{ "system": "http://hl7.org/fhir/list-order", "code": "event-date", "display": "Sorted by Event Date" }] },
            "entry": items.iter().map(|i| json!({ "item": reference(i) })).collect::<Vec<_>>() })
    }

    /// A primary list of `items` (picked too); empty, it says why; `warning` a warning code.
    fn primary(&mut self, code: &str, title: &str, items: &[String], warning: Option<&str>) {
        let mut list = self.list(code, title, items);
        if items.is_empty() {
            empty(&mut list);
        }
        if let Some(warning) = warning {
            if let Some(extension) = list["extension"].as_array_mut() {
                extension.push(json!({ "url": WARNING_CODE, "valueCode": warning }));
            }
            let note = match list["note"][0]["text"].as_str() {
                Some(text) => format!("{text} {CONFIDENTIAL}"),
                None => CONFIDENTIAL.to_owned(),
            };
            list["note"] = json!([{ "text": note }]);
        }
        self.picked.extend(items.iter().cloned());
        self.lists.push(list);
    }

    /// Secondary lists for `items` grouped by clinical area (only areas with items).
    fn secondary(&mut self, prefix: &str, suffix: &str, items: &[String]) {
        const AREAS: [(&str, &str); 7] = [
            ("AllergyIntolerance", "allergies"),
            ("MedicationStatement", "medications"),
            ("MedicationRequest", "medications"),
            ("Immunization", "immunisations"),
            ("Observation", "uncategorised-data"),
            ("DiagnosticReport", "investigations"),
            ("Encounter", "consultations"),
        ];
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for item in items {
            let kind = item.split('/').next().unwrap_or_default();
            let area = match (kind, prefix) {
                ("Condition", "consultations") => "problems".to_owned(),
                ("ReferralRequest", "consultations") => "outbound-referrals".to_owned(),
                ("ReferralRequest", _) => "outbound-referrals".to_owned(),
                _ => match AREAS.iter().find(|(k, _)| *k == kind) {
                    Some((_, a)) => (*a).to_owned(),
                    None => continue,
                },
            };
            let code = if area == "outbound-referrals" && prefix == "consultations" {
                "consultations-outbound-referrals-in-consultations".to_owned()
            } else {
                format!("{prefix}-{area}-{}", suffix.replace(' ', "-"))
            };
            match groups.iter_mut().find(|(c, _)| *c == code) {
                Some((_, members)) => members.push(item.clone()),
                None => groups.push((code, vec![item.clone()])),
            }
        }
        for (code, members) in groups {
            let words = code
                .replacen('-', " - ", 1)
                .replace('-', " ")
                .replace("   ", " - ");
            let title = capitalise(&words);
            let list = self.list_coded(SECONDARY, &code, &title, &members);
            self.picked.extend(members);
            self.lists.push(list);
        }
    }

    /// Adds every resource the picked ones reference, until nothing new is referenced.
    fn close(&mut self) {
        let mut pending: Vec<String> = self.picked.iter().cloned().collect();
        pending.extend(self.lists.iter().flat_map(references));
        while let Some(key) = pending.pop() {
            let Some(resource) = self.record.resources.get(&key) else {
                continue;
            };
            self.picked.insert(key);
            for r in references(resource) {
                if !self.picked.contains(&r) {
                    pending.push(r);
                }
            }
        }
    }
}

fn capitalise(words: &str) -> String {
    let mut chars = words.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// An empty list's reason and note, as the spec words them.
fn empty(list: &mut Value) {
    list["emptyReason"] = json!({ "coding": [{ "system": "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-ListEmptyReasonCode-1",
        "code": "no-content-recorded", "display": "No Content Recorded" }] });
    list["note"] = json!([{ "text": "Information not available." }]);
}

/// Every `reference` (`Type/id`) anywhere in a resource.
pub fn references(resource: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(resource, &mut out);
    out
}

fn walk(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("reference", Value::String(r)) => out.push(r.clone()),
                    _ => walk(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
        _ => {}
    }
}
