//! Merging what several sources hold about one patient, without hiding disagreement: the same
//! medicine, allergy or problem coded identically at two sources is shown once with both
//! provenances (and flagged when they differ in a way that matters), and differing names, birth
//! dates or genders for one NHS number become warnings. Pure functions; no I/O.

use app::model::{Category, Code, Demographics, RecordWarning, TimelineEntry, WarningKind};
use std::collections::HashMap;

/// Categories where the same coded item at two sources is one clinical fact.
fn merges(category: Category) -> bool {
    matches!(
        category,
        Category::Medication | Category::Allergy | Category::Problem
    )
}

/// The code that identifies an item across sources: its SNOMED CT coding, else its first.
fn identity(entry: &TimelineEntry) -> Option<&Code> {
    entry
        .codes
        .iter()
        .find(|c| c.system == "http://snomed.info/sct")
        .or_else(|| entry.codes.first())
}

/// Whether a status means the item is still current (active medicine, active allergy or
/// problem); `None` when the source gave no status.
fn is_current(status: Option<&str>) -> Option<bool> {
    Some(matches!(
        status?,
        "active" | "on-hold" | "intended" | "recurrence" | "relapse" | "draft"
    ))
}

/// Merges cross-source duplicates in `entries` (each source's newest record of an item is merged
/// with the other sources' newest; older records of it stay as their own rows). `name_of` names a
/// source for discrepancy messages.
pub fn merge_duplicates(
    entries: Vec<TimelineEntry>,
    name_of: &dyn Fn(&str) -> String,
) -> Vec<TimelineEntry> {
    // For each (category, code): the index of each source's newest entry.
    let mut newest: HashMap<(Category, &Code), HashMap<&str, usize>> = HashMap::new();
    for (i, entry) in entries.iter().enumerate() {
        // An item recorded in error is never merged: it must not lend a real record its
        // provenance, nor take one's place.
        let mergeable = merges(entry.category) && !entry.entered_in_error;
        let Some(code) = identity(entry).filter(|_| mergeable) else {
            continue;
        };
        let per_source = newest.entry((entry.category, code)).or_default();
        let slot = per_source.entry(entry.source_id.as_str()).or_insert(i);
        if entries[i].date > entries[*slot].date {
            *slot = i;
        }
    }
    // Groups of indices to merge, the newest first (it leads the merged row).
    let mut groups: Vec<Vec<usize>> = newest
        .into_values()
        .filter(|per_source| per_source.len() > 1)
        .map(|per_source| {
            let mut group: Vec<usize> = per_source.into_values().collect();
            group.sort_by(|a, b| entries[*b].date.cmp(&entries[*a].date).then(a.cmp(b)));
            group
        })
        .collect();
    groups.sort();

    let mut slots: Vec<Option<TimelineEntry>> = entries.into_iter().map(Some).collect();
    for group in groups {
        let others: Vec<TimelineEntry> =
            group[1..].iter().filter_map(|i| slots[*i].take()).collect();
        if let Some(lead) = slots[group[0]].as_mut() {
            lead.discrepancy = discrepancy(lead, &others, name_of);
            lead.also_recorded_at = others.iter().map(TimelineEntry::provenance).collect();
        }
    }
    slots.into_iter().flatten().collect()
}

/// What differs between the records of one item in a way a clinician must see.
fn discrepancy(
    lead: &TimelineEntry,
    others: &[TimelineEntry],
    name_of: &dyn Fn(&str) -> String,
) -> Option<String> {
    let all = || std::iter::once(lead).chain(others);
    let describe = |e: &TimelineEntry, what: &str| {
        let when = e
            .date
            .as_ref()
            .map(|d| format!(" ({})", d.display()))
            .unwrap_or_default();
        format!("{what} at {}{when}", name_of(&e.source_id))
    };
    let mut differences = Vec::new();
    let current: Vec<_> = all()
        .filter(|e| is_current(e.status.as_deref()) == Some(true))
        .collect();
    let ended: Vec<_> = all()
        .filter(|e| is_current(e.status.as_deref()) == Some(false))
        .collect();
    if !current.is_empty() && !ended.is_empty() {
        let parts: Vec<String> = ended
            .iter()
            .map(|e| describe(e, e.status.as_deref().unwrap_or("ended")))
            .chain(current.iter().map(|e| describe(e, "still active")))
            .collect();
        differences.push(parts.join("; "));
    }
    if lead.category == Category::Medication {
        let doses: Vec<&TimelineEntry> = all().filter(|e| e.detail.is_some()).collect();
        if doses.windows(2).any(|w| w[0].detail != w[1].detail) {
            let parts: Vec<String> = doses
                .iter()
                .map(|e| {
                    format!(
                        "{} at {}",
                        e.detail.as_deref().unwrap_or_default(),
                        name_of(&e.source_id)
                    )
                })
                .collect();
            differences.push(format!("Doses differ: {}", parts.join("; ")));
        }
    }
    (!differences.is_empty()).then(|| differences.join(". "))
}

/// What a source says of its Patient records that may mean the patient's data is elsewhere:
/// marked inactive, merged into or from another record, or linked to one held elsewhere.
fn record_links(records: &[Demographics]) -> Option<String> {
    let mut said = Vec::new();
    if records.iter().any(|d| d.active == Some(false)) {
        said.push("its patient record is marked inactive (no longer in use)".to_owned());
    }
    for link in records.iter().flat_map(|d| &d.links) {
        said.push(match link.kind.as_str() {
            "replaced-by" => format!(
                "its patient record has been merged into another ({}); entries filed under that record may not be shown",
                link.other
            ),
            "replaces" => format!("its patient record replaces an older one ({})", link.other),
            "refer" => format!("it refers to the patient's record held at {}", link.other),
            _ => format!("it links the patient to another record ({})", link.other),
        });
    }
    (!said.is_empty()).then(|| format!("{}.", said.join("; ")))
}

/// Reads one comparable field of a patient's demographics.
type DemographicField = fn(&Demographics) -> Option<String>;

/// Warnings when the sources' Patient records disagree about who this is, or one source holds
/// two records for the NHS number. `patients` lists each source's Patients in source order.
pub fn demographic_warnings(
    patients: &[(String, Vec<Demographics>)],
    name_of: &dyn Fn(&str) -> String,
) -> Vec<RecordWarning> {
    let mut warnings = Vec::new();
    for (source_id, records) in patients.iter().filter(|(_, r)| r.len() > 1) {
        warnings.push(RecordWarning {
            kind: WarningKind::DuplicateRecords,
            message: format!(
                "{} holds {} patient records with this NHS number; entries from all of them are shown.",
                name_of(source_id),
                records.len()
            ),
            source_ids: vec![source_id.clone()],
        });
    }
    for (source_id, records) in patients {
        if let Some(message) = record_links(records) {
            warnings.push(RecordWarning {
                kind: WarningKind::PatientRecordLinked,
                message: format!("{}: {message}", name_of(source_id)),
                source_ids: vec![source_id.clone()],
            });
        }
    }
    let all: Vec<&Demographics> = patients.iter().flat_map(|(_, r)| r).collect();
    let fields: [(&str, DemographicField); 4] = [
        ("family names", |d| {
            d.family.as_ref().map(|f| f.trim().to_uppercase())
        }),
        ("given names", |d| {
            d.given.first().map(|g| g.trim().to_uppercase())
        }),
        ("dates of birth", |d| {
            d.birth_date.as_ref().map(|b| b.display())
        }),
        ("genders", |d| d.gender.clone()),
    ];
    for (field, read) in fields {
        let mut values: Vec<(String, Vec<String>)> = Vec::new();
        for d in &all {
            let Some(value) = read(d) else { continue };
            match values.iter_mut().find(|(v, _)| *v == value) {
                Some((_, sources)) if sources.contains(&d.source_id) => {}
                Some((_, sources)) => sources.push(d.source_id.clone()),
                None => values.push((value, vec![d.source_id.clone()])),
            }
        }
        if values.len() < 2 {
            continue;
        }
        let said: Vec<String> = values
            .iter()
            .map(|(value, sources)| {
                let names: Vec<String> = sources.iter().map(|s| name_of(s)).collect();
                format!("{value} ({})", names.join(", "))
            })
            .collect();
        let source_ids: Vec<String> = values.into_iter().flat_map(|(_, s)| s).collect();
        warnings.push(RecordWarning {
            kind: WarningKind::DemographicsDiffer,
            message: format!("Sources give different {field}: {}.", said.join(" vs ")),
            source_ids,
        });
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::clinical_date::ClinicalDate;

    const SNOMED: &str = "http://snomed.info/sct";

    fn entry(
        source: &str,
        id: &str,
        category: Category,
        code: &str,
        date: &str,
        status: &str,
    ) -> TimelineEntry {
        TimelineEntry {
            date: Some(ClinicalDate::parse(date).unwrap()),
            category,
            title: format!("item {code}"),
            detail: None,
            status: Some(status.to_owned()),
            source_id: source.into(),
            resource_type: "MedicationRequest".into(),
            resource_id: id.into(),
            codes: vec![Code::new(SNOMED, code)],
            security: vec![],
            also_recorded_at: vec![],
            discrepancy: None,
            measurement: None,
            attachments: Vec::new(),
            until: None,
            setting: None,
            reason_codes: Vec::new(),
            reason_refs: Vec::new(),
            entered_in_error: false,
            full_detail: None,
        }
    }

    fn name(id: &str) -> String {
        format!("<{id}>")
    }

    fn ids(entries: &[TimelineEntry]) -> Vec<&str> {
        entries.iter().map(|e| e.resource_id.as_str()).collect()
    }

    #[test]
    fn the_same_coded_item_at_two_sources_is_shown_once_with_both_provenances() {
        let merged = merge_duplicates(
            vec![
                entry(
                    "gp",
                    "g1",
                    Category::Allergy,
                    "91936005",
                    "2010-01-01",
                    "active",
                ),
                entry(
                    "acute",
                    "a1",
                    Category::Allergy,
                    "91936005",
                    "2024-03-01",
                    "active",
                ),
                entry(
                    "acute",
                    "a2",
                    Category::Problem,
                    "91936005",
                    "2024-03-01",
                    "active",
                ),
            ],
            &name,
        );
        assert_eq!(
            ids(&merged),
            ["a1", "a2"],
            "the newer record leads; other categories stay apart"
        );
        assert_eq!(merged[0].also_recorded_at.len(), 1);
        assert_eq!(merged[0].also_recorded_at[0].source_id, "gp");
        assert_eq!(merged[0].also_recorded_at[0].resource_id, "g1");
        assert_eq!(merged[0].discrepancy, None, "same status: nothing to flag");
    }

    #[test]
    fn an_item_recorded_in_error_never_merges_with_a_real_one() {
        let mut retracted = entry(
            "acute",
            "a1",
            Category::Allergy,
            "91936005",
            "2024-03-01",
            "entered-in-error",
        );
        retracted.entered_in_error = true;
        let real = entry(
            "gp",
            "g1",
            Category::Allergy,
            "91936005",
            "2010-01-01",
            "active",
        );
        let merged = merge_duplicates(vec![retracted, real], &name);
        assert_eq!(ids(&merged), ["a1", "g1"], "both stay, apart");
        assert!(merged.iter().all(|e| e.also_recorded_at.is_empty()));
        assert!(merged.iter().all(|e| e.discrepancy.is_none()));
        // Nor does a retracted record stand in for its source's real one.
        let mut newer_retracted = entry(
            "gp",
            "g2",
            Category::Allergy,
            "91936005",
            "2025-01-01",
            "entered-in-error",
        );
        newer_retracted.entered_in_error = true;
        let hospital = entry(
            "acute",
            "a3",
            Category::Allergy,
            "91936005",
            "2024-03-01",
            "active",
        );
        let real = entry(
            "gp",
            "g1",
            Category::Allergy,
            "91936005",
            "2010-01-01",
            "active",
        );
        let merged = merge_duplicates(vec![newer_retracted, hospital, real], &name);
        assert_eq!(ids(&merged), ["g2", "a3"]);
        assert_eq!(merged[1].also_recorded_at[0].resource_id, "g1");
        assert!(merged[0].also_recorded_at.is_empty());
    }

    #[test]
    fn a_medicine_stopped_at_discharge_but_active_at_the_gp_is_flagged() {
        let mut stopped = entry(
            "acute",
            "a1",
            Category::Medication,
            "318420003",
            "2025-03-02",
            "stopped",
        );
        stopped.detail = Some("5 mg once daily".into());
        let mut repeat = entry(
            "gp",
            "g1",
            Category::Medication,
            "318420003",
            "2024-11-20",
            "active",
        );
        repeat.detail = Some("10 mg once daily".into());
        let merged = merge_duplicates(vec![repeat, stopped], &name);
        assert_eq!(ids(&merged), ["a1"]);
        let flag = merged[0].discrepancy.as_deref().unwrap();
        assert!(flag.contains("stopped at <acute> (02-Mar-2025)"), "{flag}");
        assert!(
            flag.contains("still active at <gp> (20-Nov-2024)"),
            "{flag}"
        );
        assert!(
            flag.contains("Doses differ: 5 mg once daily at <acute>; 10 mg once daily at <gp>"),
            "{flag}"
        );
    }

    #[test]
    fn only_each_sources_newest_record_merges_and_nothing_is_lost() {
        let merged = merge_duplicates(
            vec![
                entry(
                    "gp",
                    "g-old",
                    Category::Medication,
                    "1",
                    "2020-01-01",
                    "active",
                ),
                entry(
                    "gp",
                    "g-new",
                    Category::Medication,
                    "1",
                    "2024-01-01",
                    "active",
                ),
                entry(
                    "acute",
                    "a1",
                    Category::Medication,
                    "1",
                    "2023-01-01",
                    "active",
                ),
                entry(
                    "gp",
                    "g-other",
                    Category::Medication,
                    "2",
                    "2024-01-01",
                    "active",
                ),
            ],
            &name,
        );
        assert_eq!(ids(&merged), ["g-old", "g-new", "g-other"]);
        assert_eq!(merged[1].also_recorded_at[0].resource_id, "a1");
        let shown = merged.len()
            + merged
                .iter()
                .map(|e| e.also_recorded_at.len())
                .sum::<usize>();
        assert_eq!(shown, 4, "every record is a row or a provenance");
    }

    #[test]
    fn uncoded_and_non_clinical_items_never_merge() {
        let mut a = entry(
            "gp",
            "g1",
            Category::Medication,
            "1",
            "2024-01-01",
            "active",
        );
        let mut b = entry(
            "acute",
            "a1",
            Category::Medication,
            "1",
            "2024-01-01",
            "active",
        );
        a.codes.clear();
        b.codes.clear();
        let enc_a = entry(
            "gp",
            "e1",
            Category::Encounter,
            "5",
            "2024-01-01",
            "finished",
        );
        let enc_b = entry(
            "acute",
            "e2",
            Category::Encounter,
            "5",
            "2024-01-01",
            "finished",
        );
        let merged = merge_duplicates(vec![a, b, enc_a, enc_b], &name);
        assert_eq!(merged.len(), 4);
    }

    fn person(source: &str, family: &str, born: &str, gender: &str) -> Demographics {
        Demographics {
            family: Some(family.into()),
            given: vec!["Jane".into()],
            birth_date: Some(ClinicalDate::parse(born).unwrap()),
            gender: Some(gender.into()),
            source_id: source.into(),
            ..Default::default()
        }
    }

    #[test]
    fn inactive_and_merged_patient_records_are_warned_of() {
        let link = |kind: &str, other: &str| app::model::PatientLink {
            kind: kind.into(),
            other: other.into(),
        };
        // (source's records, warning says)
        let table = [
            (vec![person("gp", "Smith", "1945-07-14", "female")], None),
            (
                vec![Demographics {
                    active: Some(true),
                    ..person("gp", "Smith", "1945-07-14", "female")
                }],
                None,
            ),
            (
                vec![Demographics {
                    active: Some(false),
                    ..person("gp", "Smith", "1945-07-14", "female")
                }],
                Some("marked inactive"),
            ),
            (
                vec![Demographics {
                    links: vec![link("replaced-by", "Patient/p2")],
                    ..person("gp", "Smith", "1945-07-14", "female")
                }],
                Some("merged into another (Patient/p2)"),
            ),
            (
                vec![Demographics {
                    links: vec![link("seealso", "Record at St Elsewhere")],
                    ..person("gp", "Smith", "1945-07-14", "female")
                }],
                Some("another record (Record at St Elsewhere)"),
            ),
        ];
        for (records, says) in table {
            let warnings = demographic_warnings(&[("gp".to_owned(), records)], &name);
            let linked: Vec<&RecordWarning> = warnings
                .iter()
                .filter(|w| w.kind == WarningKind::PatientRecordLinked)
                .collect();
            match says {
                None => assert!(linked.is_empty(), "{warnings:?}"),
                Some(words) => {
                    assert_eq!(linked.len(), 1, "{warnings:?}");
                    assert!(linked[0].message.contains(words), "{}", linked[0].message);
                    assert_eq!(linked[0].source_ids, ["gp"]);
                }
            }
        }
    }

    #[test]
    fn disagreements_about_who_the_patient_is_are_warnings() {
        let agree = [
            (
                "gp".to_owned(),
                vec![person("gp", "Smith", "1945-07-14", "female")],
            ),
            (
                "acute".to_owned(),
                vec![person("acute", "SMITH ", "1945-07-14", "female")],
            ),
        ];
        assert!(
            demographic_warnings(&agree, &name).is_empty(),
            "case and spacing are not conflicts"
        );

        let differ = [
            (
                "gp".to_owned(),
                vec![person("gp", "Smith", "1945-07-14", "female")],
            ),
            (
                "acute".to_owned(),
                vec![person("acute", "Smith", "1945-07-15", "female")],
            ),
            (
                "mh".to_owned(),
                vec![
                    person("mh", "Smith", "1945-07-14", "female"),
                    person("mh", "Smith", "1945-07-14", "female"),
                ],
            ),
        ];
        let warnings = demographic_warnings(&differ, &name);
        let kinds: Vec<_> = warnings.iter().map(|w| w.kind).collect();
        assert_eq!(
            kinds,
            [
                WarningKind::DuplicateRecords,
                WarningKind::DemographicsDiffer
            ]
        );
        assert!(warnings[0]
            .message
            .starts_with("<mh> holds 2 patient records"));
        assert_eq!(
            warnings[1].message,
            "Sources give different dates of birth: 14-Jul-1945 (<gp>, <mh>) vs 15-Jul-1945 (<acute>)."
        );
        assert_eq!(warnings[1].source_ids, ["gp", "mh", "acute"]);
    }
}
