//! What only GP Connect says about an entry, added after the R4 reader has read it: a
//! problem's significance, problem-list membership and what it was escalated from; an
//! allergy's end, and "no known allergies"; a consultation's topics and headings; a test
//! report named by its tests, with its request and filing comments; a free-text comment.

use super::bundle::{text, Index};
use super::lists::{Consultation, Lists};
use super::{add_detail, add_field, date_words, extension, sub_extension};
use app::detail::Note;
use app::model::TimelineEntry;
use serde_json::Value;

/// SNOMED CT "No known allergy" (`716186003`) and its children the spec's negation guidance
/// covers (drug, food, environmental, insect, latex).
const NO_KNOWN_ALLERGY: [&str; 6] = [
    "716186003",
    "409137002",
    "429625007",
    "428607008",
    "428197003",
    "716184000",
];

/// The status shown for a "no known allergies" record: it is a statement that none are known,
/// never an allergy and never "nothing recorded".
pub const NO_KNOWN_ALLERGIES_STATUS: &str = app::summary::NO_KNOWN_ALLERGIES;

/// `Comment note`: a free-text entry, or a filing comment on a test.
pub(super) const COMMENT_NOTE: &str = "37331000000100";

/// `Diagnostic studies report`: the fixed code of every GP Connect test report.
const DIAGNOSTIC_STUDIES_REPORT: &str = "721981007";

/// A problem (`Condition`): its significance (`Major problem`/`Minor problem` first in the
/// detail, and a field), whether it is on the problem list, and what it was escalated from.
pub(super) fn problem(entry: &mut TimelineEntry, stu3: &Value, index: &Index, lists: &Lists) {
    if let Some(significance) = significance(stu3) {
        let words = format!("{significance} problem");
        let detail = match entry.detail.take() {
            Some(rest) => format!("{words}; {rest}"),
            None => words,
        };
        entry.detail = Some(detail);
        add_field(entry, "Significance", &significance);
    }
    if let (Some(members), Some(key)) = (&lists.problem_list, key_of(entry)) {
        let on = match members.contains(&key) {
            true => "yes",
            false => "no (sent as linked to other items)",
        };
        add_field(entry, "On the problem list", on);
    }
    let actual = extension(stu3, "ActualProblem")
        .and_then(|e| e.pointer("/valueReference/reference"))
        .and_then(Value::as_str)
        .and_then(|r| index.key_of(r));
    if let Some(actual) = actual {
        let kind = actual.split('/').next().unwrap_or_default();
        add_field(entry, "Recorded as", &kind_words(kind));
    }
}

/// `Major` or `Minor` (`valueCode`, also read when sent as a coding or a list of them).
fn significance(stu3: &Value) -> Option<String> {
    let value = extension(stu3, "ProblemSignificance")?.get("valueCode")?;
    let code = match value {
        Value::String(s) => s.as_str(),
        Value::Array(list) => list.first().and_then(|c| text(c, "code"))?,
        other => text(other, "code")?,
    };
    Some(match code.to_lowercase().as_str() {
        "major" => "Major".to_owned(),
        "minor" => "Minor".to_owned(),
        _ => code.to_owned(),
    })
}

/// A resource type in words, for what a problem was recorded as.
fn kind_words(kind: &str) -> String {
    match kind {
        "Observation" => "an observation",
        "MedicationRequest" | "MedicationStatement" => "a medication",
        "AllergyIntolerance" => "an allergy",
        "Immunization" => "an immunisation",
        "ReferralRequest" => "a referral",
        "DocumentReference" => "a document",
        "DiagnosticReport" => "a test report",
        "ProcedureRequest" => "a diary entry",
        other => other,
    }
    .to_owned()
}

/// An allergy: when and why it ended (an ended allergy reads `resolved` whatever else it
/// says, so it is never shown as current); "no known allergies" gets its own status and
/// says what it means.
pub(super) fn allergy(entry: &mut TimelineEntry, stu3: &Value, ended: bool) {
    let end = extension(stu3, "AllergyIntoleranceEnd");
    let end_date = end
        .and_then(|e| sub_extension(e, "endDate"))
        .and_then(|e| text(e, "valueDateTime"));
    let end_reason = end
        .and_then(|e| sub_extension(e, "endReason").or_else(|| sub_extension(e, "reasonEnded")))
        .and_then(|e| text(e, "valueString"));
    if (ended || end_date.is_some()) && !entry.entered_in_error {
        entry.status = Some("resolved".to_owned());
    }
    if let Some(date) = end_date {
        add_detail(entry, &format!("Ended {}", date_words(date)));
        add_field(entry, "Ended", &date_words(date));
    }
    if let Some(reason) = end_reason {
        add_field(entry, "Ended because", reason);
    }
    let none_known = entry.codes.iter().any(|c| {
        c.system == "http://snomed.info/sct" && NO_KNOWN_ALLERGY.contains(&c.code.as_str())
    });
    if none_known && !entry.entered_in_error && entry.status.as_deref() != Some("resolved") {
        entry.status = Some(NO_KNOWN_ALLERGIES_STATUS.to_owned());
        let meaning = "Recorded that the patient has no known allergies: not an allergy";
        entry.detail = Some(meaning.to_owned());
        add_field(entry, "Meaning", meaning);
    }
}

/// An encounter: its consultation's title and each topic with its headings, as a summary in
/// the detail and a field per topic. Item titles are never repeated here (an item withheld
/// from the viewer must not show through its consultation); the problems a topic is linked
/// to become the encounter's reason references, so that a withheld problem withholds it.
pub(super) fn encounter(entry: &mut TimelineEntry, consultation: &Consultation) {
    if let Some(title) = &consultation.title {
        add_field(entry, "Consultation", title);
    }
    let mut topic_titles = Vec::new();
    for (n, topic) in consultation.topics.iter().enumerate() {
        let title = topic.title.clone().unwrap_or_else(|| "Untitled".to_owned());
        let contents = match topic.headings.is_empty() {
            true => items(topic.items),
            false => {
                let headings: Vec<String> = topic
                    .headings
                    .iter()
                    .map(|(h, count)| format!("{h} ({})", items(*count)))
                    .collect();
                headings.join(", ")
            }
        };
        add_field(entry, format!("Topic {}: {title}", n + 1), &contents);
        topic_titles.push(title);
        for problem in &topic.problems {
            if !entry.reason_refs.contains(problem) {
                entry.reason_refs.push(problem.clone());
            }
        }
    }
    if !topic_titles.is_empty() {
        add_detail(entry, &format!("Topics: {}", topic_titles.join(", ")));
    }
}

fn items(n: usize) -> String {
    match n {
        1 => "1 item".to_owned(),
        n => format!("{n} items"),
    }
}

/// True for an observation that is a filing comment on a test (a `Comment note` the spec
/// places on the report, a test group or a test result): folded into what it comments on.
pub(super) fn is_filing_comment(stu3: &Value) -> bool {
    has_code(stu3, COMMENT_NOTE)
        && stu3
            .get("related")
            .and_then(Value::as_array)
            .is_some_and(|r| r.iter().any(|x| text(x, "type") == Some("derived-from")))
}

fn has_code(resource: &Value, code: &str) -> bool {
    resource
        .pointer("/code/coding")
        .and_then(Value::as_array)
        .is_some_and(|c| c.iter().any(|x| text(x, "code") == Some(code)))
}

/// An observation: a free-text `Comment note` shows its text as its detail; a test group
/// says how many results it holds.
pub(super) fn observation(entry: &mut TimelineEntry, stu3: &Value) {
    if entry.detail.is_none() && has_code(stu3, COMMENT_NOTE) {
        entry.detail = text(stu3, "comment").map(str::to_owned);
    }
    let members = stu3
        .get("related")
        .and_then(Value::as_array)
        .map_or(0, |r| {
            r.iter()
                .filter(|x| text(x, "type") == Some("has-member"))
                .count()
        });
    if members > 0 && entry.detail.is_none() {
        let words = match members {
            1 => "1 result".to_owned(),
            n => format!("{n} results"),
        };
        entry.detail = Some(words);
    }
}

/// A test report: named by its tests (its own code is the fixed "Diagnostic studies
/// report"), with its results as reason references (a withheld result withholds the report
/// that names it) and its test request (`basedOn` ProcedureRequest) as fields.
pub(super) fn report(entry: &mut TimelineEntry, stu3: &Value, index: &Index) {
    let results: Vec<(String, &Value)> = stu3
        .get("result")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| {
            let key = index.key_of(r.get("reference")?.as_str()?)?;
            let item = index.get(&key)?;
            Some((key, &item.resource))
        })
        .filter(|(_, r)| !has_code(r, COMMENT_NOTE))
        .collect();
    let names: Vec<String> = results
        .iter()
        .filter_map(|(_, r)| concept_words(r.get("code")?))
        .collect();
    let generic = has_code(stu3, DIAGNOSTIC_STUDIES_REPORT) || stu3.get("code").is_none();
    if generic && !names.is_empty() {
        entry.title = names.join(", ");
    }
    for (key, _) in results {
        if !entry.reason_refs.contains(&key) {
            entry.reason_refs.push(key);
        }
    }
    for request in stu3
        .get("basedOn")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| index.get(r.get("reference")?.as_str()?))
        .filter(|i| i.kind == "ProcedureRequest")
    {
        if let Some(what) = request.resource.get("code").and_then(concept_words) {
            add_field(entry, "Tests requested", &what);
        }
        if let Some(who) = request
            .resource
            .pointer("/requester/agent/display")
            .or_else(|| request.resource.pointer("/requester/display"))
            .and_then(Value::as_str)
        {
            add_field(entry, "Requested by", who);
        }
    }
}

/// A filing comment as a note on the entry it comments on.
pub(super) fn filing_note(stu3: &Value) -> Option<Note> {
    let filed = text(stu3, "effectiveDateTime").map(date_words);
    let comment = text(stu3, "comment").map(str::to_owned);
    let text = match (filed, comment) {
        (Some(on), Some(c)) => format!("Filed {on}: {c}"),
        (Some(on), None) => format!("Filed {on}"),
        (None, Some(c)) => format!("Filing comment: {c}"),
        (None, None) => return None,
    };
    let time = text_time(stu3);
    Some(Note {
        text,
        author: stu3
            .pointer("/performer/0/display")
            .and_then(Value::as_str)
            .map(str::to_owned),
        time,
    })
}

fn text_time(stu3: &Value) -> Option<app::clinical_date::ClinicalDate> {
    let issued = text(stu3, "issued")?;
    app::clinical_date::ClinicalDate::parse(issued.trim()).ok()
}

/// What a filing comment comments on: the report listing it as a result, else the test
/// (group) its `derived-from` names.
pub(super) fn filing_targets(stu3: &Value, own: &str, index: &Index) -> Vec<String> {
    let reports = index
        .of_kind("DiagnosticReport")
        .filter(|r| {
            r.resource
                .get("result")
                .and_then(Value::as_array)
                .is_some_and(|l| {
                    l.iter().any(|x| {
                        x.get("reference")
                            .and_then(Value::as_str)
                            .and_then(|r| index.key_of(r))
                            .as_deref()
                            == Some(own)
                    })
                })
        })
        .filter_map(|r| r.key.clone());
    let related = stu3
        .get("related")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|x| text(x, "type") == Some("derived-from"))
        .filter_map(|x| index.key_of(x.pointer("/target/reference")?.as_str()?));
    reports.chain(related).collect()
}

/// A concept in words: its text, else its first coding's display.
pub(super) fn concept_words(concept: &Value) -> Option<String> {
    text(concept, "text")
        .filter(|t| !t.trim().is_empty())
        .or_else(|| {
            concept
                .get("coding")?
                .as_array()?
                .iter()
                .find_map(|c| text(c, "display").filter(|d| !d.trim().is_empty()))
        })
        .map(|t| t.trim().to_owned())
}

fn key_of(entry: &TimelineEntry) -> Option<String> {
    Some(format!("{}/{}", entry.resource_type, entry.resource_id))
}
