//! GP Connect's `List`s and `OperationOutcome` read for what they say about the record: what
//! the provider did not share (warning codes, clinical areas "not supported by the provider
//! system" or disabled), which problems are on the problem list, each consultation's topics
//! and headings, and the ended allergies the "Ended allergies" list contains. Lists are never
//! entries: an empty list with an `emptyReason` says only that nothing was recorded there.

use super::bundle::{text, unshared_area, Index};
use super::extension;
use app::model::{NotSharedReason, SourceProblem};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

const PROBLEMS: &str = "717711000000103";
const ENDED_ALLERGIES: &str = "1103671000000101";
const CONSULTATION: &str = "325851000000107";

/// What the lists say.
#[derive(Debug, Default)]
pub(super) struct Lists {
    pub warnings: Vec<SourceProblem>,
    /// The Conditions on the primary Problems list; `None` when no Problems list was sent.
    pub problem_list: Option<HashSet<String>>,
    /// Each consultation's structure, by its Encounter's `Type/id`.
    pub consultations: HashMap<String, Consultation>,
    /// Allergies contained in the "Ended allergies" list: resolved, whatever they say.
    pub ended_allergies: Vec<Value>,
    /// Allergies contained in any other list (read as they say).
    pub contained_allergies: Vec<Value>,
}

/// One consultation as its lists structure it.
#[derive(Debug, Default, Clone)]
pub(super) struct Consultation {
    pub title: Option<String>,
    pub topics: Vec<Topic>,
}

#[derive(Debug, Default, Clone)]
pub(super) struct Topic {
    pub title: Option<String>,
    /// Each heading's title and item count; empty for a flat topic.
    pub headings: Vec<(String, usize)>,
    /// Items directly in the topic (a flat topic).
    pub items: usize,
    /// The problems the topic is linked to (`Condition/id`).
    pub problems: Vec<String>,
}

impl Lists {
    pub fn of(index: &Index) -> Self {
        let mut lists = Lists::default();
        for list in index.of_kind("List") {
            lists.read_list(index, &list.resource);
        }
        for outcome in index.of_kind("OperationOutcome") {
            for area in not_supported_parameters(&outcome.resource) {
                lists.warn(area_of_words(&area), NotSharedReason::NotSupported);
            }
        }
        for item in &index.items {
            for words in unshared_words(&item.resource) {
                lists.warn(area_of_words(&words), NotSharedReason::NotSupported);
            }
        }
        lists
    }

    fn read_list(&mut self, index: &Index, list: &Value) {
        let code = list_code(list);
        let area = code.as_deref().and_then(area_of_list);
        for reason in warning_codes(list) {
            self.warn(area, reason);
        }
        let ended = code.as_deref() == Some(ENDED_ALLERGIES)
            || [code.as_deref(), text(list, "title")]
                .into_iter()
                .flatten()
                .any(names_ended_allergies);
        for contained in array(list, "contained") {
            if text(contained, "resourceType") == Some("AllergyIntolerance") {
                match ended {
                    true => self.ended_allergies.push(contained.clone()),
                    false => self.contained_allergies.push(contained.clone()),
                }
            }
        }
        match code.as_deref() {
            Some(PROBLEMS) => {
                let members = self.problem_list.get_or_insert_with(HashSet::new);
                members.extend(entry_keys(index, list));
            }
            Some(CONSULTATION) => {
                let encounter = list
                    .pointer("/encounter/reference")
                    .and_then(Value::as_str)
                    .and_then(|r| index.key_of(r));
                if let Some(encounter) = encounter {
                    self.consultations
                        .insert(encounter, consultation(index, list));
                }
            }
            _ => {}
        }
    }

    /// Adds a warning once.
    fn warn(&mut self, area: Option<&'static str>, reason: NotSharedReason) {
        let problem = SourceProblem::NotShared {
            resource_type: area.map(str::to_owned),
            reason,
        };
        if !self.warnings.contains(&problem) {
            self.warnings.push(problem);
        }
    }
}

/// True for the words of a list of ended allergies ("Ended allergies", "Resolved
/// Allergies", `problems-allergies-that-have-been-ended-related-to-problems`).
fn names_ended_allergies(words: &str) -> bool {
    let w = words.to_lowercase();
    w.contains("allerg") && (w.contains("ended") || w.contains("resolved"))
}

fn array<'a>(value: &'a Value, name: &str) -> impl Iterator<Item = &'a Value> {
    value
        .get(name)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// The list's SNOMED CT (or secondary-list) code.
fn list_code(list: &Value) -> Option<String> {
    array(list.get("code")?, "coding").find_map(|c| text(c, "code").map(str::to_owned))
}

/// The `Type/id`s a list's entries name.
fn entry_keys<'a>(index: &'a Index, list: &'a Value) -> impl Iterator<Item = String> + 'a {
    array(list, "entry")
        .filter_map(|e| e.pointer("/item/reference")?.as_str())
        .filter_map(|r| index.key_of(r))
}

/// The list's warning codes (`confidential-items`, `data-in-transit`,
/// `data-awaiting-filing`) as the portal's reasons.
fn warning_codes(list: &Value) -> Vec<NotSharedReason> {
    array(list, "extension")
        .filter(|e| text(e, "url").is_some_and(|u| u.contains("ListWarningCode")))
        .filter_map(|e| {
            text(e, "valueCode")
                .or_else(|| e.pointer("/valueCoding/code")?.as_str())
                .or_else(|| e.pointer("/valueCodeableConcept/coding/0/code")?.as_str())
        })
        .filter_map(|code| match code {
            "confidential-items" => Some(NotSharedReason::Confidential),
            "data-in-transit" => Some(NotSharedReason::InTransit),
            "data-awaiting-filing" => Some(NotSharedReason::AwaitingFiling),
            _ => None,
        })
        .collect()
}

/// The clinical area (by its main type) of a primary list's code, or of a secondary list's
/// (`problems-medications-related-to-problems`: the items' area, not the problems').
fn area_of_list(code: &str) -> Option<&'static str> {
    Some(match code {
        "886921000000105" | ENDED_ALLERGIES => "AllergyIntolerance",
        "933361000000108" => "MedicationStatement",
        PROBLEMS => "Condition",
        "1149501000000101" => "Encounter",
        "1102181000000102" => "Immunization",
        "826501000000100" => "Observation",
        "887191000000108" => "DiagnosticReport",
        "792931000000107" => "ReferralRequest",
        "714311000000108" => "ProcedureRequest",
        other => {
            let items = other
                .strip_prefix("problems-")
                .or_else(|| other.strip_prefix("consultations-"))?;
            return area_of_words(items);
        }
    })
}

/// The clinical area named by a parameter (`includeAllergies`) or words ("Referral items").
pub(super) fn area_of_words(words: &str) -> Option<&'static str> {
    let w = words.to_lowercase();
    const AREAS: [(&str, &str); 12] = [
        ("allerg", "AllergyIntolerance"),
        ("medic", "MedicationStatement"),
        ("prescri", "MedicationStatement"),
        ("problem", "Condition"),
        ("consultation", "Encounter"),
        ("immuni", "Immunization"),
        ("uncategorised", "Observation"),
        ("investigation", "DiagnosticReport"),
        ("pathology", "DiagnosticReport"),
        ("referral", "ReferralRequest"),
        ("diary", "ProcedureRequest"),
        ("document", "DocumentReference"),
    ];
    AREAS
        .iter()
        .find(|(stem, _)| w.contains(stem))
        .map(|(_, area)| *area)
        .or_else(|| w.contains("test").then_some("DiagnosticReport"))
}

/// The parameters an OperationOutcome says are not supported (or disabled): each issue coded
/// `not-supported`, named by its `diagnostics`, else its details' text.
fn not_supported_parameters(outcome: &Value) -> Vec<String> {
    array(outcome, "issue")
        .filter(|i| text(i, "code") == Some("not-supported"))
        .filter_map(|i| {
            text(i, "diagnostics")
                .or_else(|| i.pointer("/details/text")?.as_str())
                .map(str::to_owned)
        })
        .collect()
}

/// Words anywhere in a resource that stand for an unshared area in place of a reference
/// (moved to `display` by the index).
fn unshared_words(value: &Value) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(map) => {
                if let Some(d) = map.get("display").and_then(Value::as_str) {
                    if let Some(area) = unshared_area(d) {
                        found.push(area.to_owned());
                    }
                }
                stack.extend(map.values());
            }
            Value::Array(list) => stack.extend(list.iter()),
            _ => {}
        }
    }
    found
}

/// A consultation's topics, each with its headings (or its own items) counted.
fn consultation(index: &Index, list: &Value) -> Consultation {
    let topics = entry_keys(index, list)
        .filter_map(|key| index.get(&key))
        .filter(|item| item.kind == "List")
        .map(|topic| {
            let resource = &topic.resource;
            let mut t = Topic {
                title: text(resource, "title").map(str::to_owned),
                problems: problems_of(index, resource),
                ..Topic::default()
            };
            for key in entry_keys(index, resource) {
                match index.get(&key).filter(|i| i.kind == "List") {
                    Some(heading) => t.headings.push((
                        text(&heading.resource, "title")
                            .unwrap_or("Untitled heading")
                            .to_owned(),
                        array(&heading.resource, "entry").count(),
                    )),
                    None => t.items += 1,
                }
            }
            t
        })
        .collect();
    Consultation {
        title: text(list, "title").map(str::to_owned),
        topics,
    }
}

/// The problems a topic is linked to (`relatedProblemHeader` extensions).
fn problems_of(index: &Index, topic: &Value) -> Vec<String> {
    array(topic, "extension")
        .filter(|e| text(e, "url").is_some_and(|u| u.contains("RelatedProblemHeader")))
        .filter_map(|e| {
            let target = super::sub_extension(e, "target")?;
            index.key_of(target.pointer("/valueReference/reference")?.as_str()?)
        })
        .chain(
            extension(topic, "RelatedProblemHeader")
                .and_then(|e| e.pointer("/valueReference/reference")?.as_str())
                .and_then(|r| index.key_of(r)),
        )
        .collect()
}
