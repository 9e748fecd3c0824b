//! Whose record it is, judged before any basis: the sources' answers about an NHS number (their
//! Patient details only) become the [`IdentityCheck`] the basis prompt shows, unless the
//! person's details may not be shown before a basis, as the demographic search decides it (an
//! objection to sharing, wishes a source could not say, labels beyond the viewer's role).

use crate::merge;
use crate::record::{wishes, Wishes};
use crate::sources::Candidate;
use app::identity::{IdentityAnswer, IdentityCheck, IdentitySource};
use app::model::{Demographics, SourceReport};

/// The check, and what the audit event says of it (which reason kept details back is for the
/// audit trail only, never the page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub check: IdentityCheck,
    pub audit_detail: &'static str,
    /// The sources whose Patient details were read (for the audit event).
    pub read_at: Vec<String>,
}

/// Judges each source's answer (`Err`: why it could not be asked) on `today` (`YYYY-MM-DD`);
/// `withheld` says whether a Patient's labels are beyond the viewer's role.
pub fn check(
    answers: Vec<(SourceReport, Result<Vec<Candidate>, String>)>,
    today: &str,
    withheld: &dyn Fn(&Demographics) -> bool,
) -> Checked {
    let names: Vec<(String, String)> = answers
        .iter()
        .map(|(r, _)| (r.id.clone(), r.name.clone()))
        .collect();
    let name_of = |id: &str| {
        names
            .iter()
            .find(|(i, _)| i == id)
            .map_or_else(|| id.to_owned(), |(_, n)| n.clone())
    };
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut sources = Vec::with_capacity(answers.len());
    for (report, answer) in answers {
        let answer = match answer {
            Ok(found) if found.is_empty() => IdentityAnswer::NotHeld,
            Ok(found) => {
                let details = found.iter().map(|c| c.demographics.clone()).collect();
                candidates.extend(found);
                IdentityAnswer::Holds(details)
            }
            Err(why) => IdentityAnswer::Failed(why),
        };
        sources.push(IdentitySource {
            source_id: report.id,
            name: report.name,
            organisation_code: report.organisation_code,
            answer,
        });
    }
    let read_at: Vec<String> = sources
        .iter()
        .filter(|s| matches!(s.answer, IdentityAnswer::Holds(_)))
        .map(|s| s.source_id.clone())
        .collect();
    if candidates.is_empty() {
        return Checked {
            check: IdentityCheck::NotHeld { sources },
            audit_detail:
                "identity checked before a basis: no source that answered holds the number",
            read_at,
        };
    }
    let not_shown = |audit_detail| Checked {
        check: IdentityCheck::NotShown,
        audit_detail,
        read_at: read_at.clone(),
    };
    match wishes(&candidates, today) {
        Some(Wishes::Objected) => {
            return not_shown(
                "identity not shown before a basis: the patient has objected to sharing",
            )
        }
        Some(Wishes::Unknown) => {
            return not_shown(
                "identity not shown before a basis: a source could not say whether the patient objected",
            )
        }
        None => {}
    }
    if candidates.iter().any(|c| withheld(&c.demographics)) {
        return not_shown(
            "identity not shown before a basis: the patient's record is confidential beyond the role",
        );
    }
    let per_source: Vec<(String, Vec<Demographics>)> = sources
        .iter()
        .filter_map(|s| match &s.answer {
            IdentityAnswer::Holds(found) => Some((s.source_id.clone(), found.clone())),
            _ => None,
        })
        .collect();
    let warnings = merge::demographic_warnings(&per_source, &name_of)
        .into_iter()
        .map(|w| w.message)
        .collect();
    Checked {
        check: IdentityCheck::Shown {
            sources,
            warnings,
            today: today.to_owned(),
        },
        audit_detail: "identity shown before a basis",
        read_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::consent::ConsentDirective;
    use app::clinical_date::ClinicalDate;
    use app::model::{Code, SourceKind, SourceStatus};
    use app::nhs_number::NhsNumber;

    const TODAY: &str = "2026-03-14";
    const DENY: &str =
        r#"{"resourceType":"Consent","id":"k","status":"active","provision":{"type":"deny"}}"#;
    const ENDED: &str = r#"{"resourceType":"Consent","id":"k","status":"active","provision":{"type":"deny","period":{"end":"2020-01-01"}}}"#;

    fn report(id: &str) -> SourceReport {
        SourceReport {
            id: id.into(),
            name: format!("<{id}>"),
            organisation_code: "X1".into(),
            kind: SourceKind::Gp,
            status: SourceStatus::Ok,
            latency_ms: 0,
            entry_count: 0,
            skipped_count: 0,
            message: None,
            fetched_at: None,
            from_cache: false,
            problems: Vec::new(),
        }
    }

    fn person(at: &str, born: &str, consents: Option<&[&str]>, label: Option<&str>) -> Candidate {
        Candidate {
            nhs: Some(NhsNumber::parse("9990000018").unwrap()),
            demographics: Demographics {
                family: Some("Smith".into()),
                given: vec!["Jane".into()],
                birth_date: Some(ClinicalDate::parse(born).unwrap()),
                source_id: at.into(),
                security: label
                    .map(|code| vec![Code::new(crate::fhir::labels::CONFIDENTIALITY, code)])
                    .unwrap_or_default(),
                ..Default::default()
            },
            consents: consents.map(|list| {
                list.iter()
                    .map(|json| ConsentDirective::parse(json).unwrap())
                    .collect()
            }),
        }
    }

    /// What the page is told, in short.
    fn outcome(check: &IdentityCheck) -> &'static str {
        match check {
            IdentityCheck::NotChecked => "not checked",
            IdentityCheck::Shown { .. } => "shown",
            IdentityCheck::NotHeld { .. } => "not held",
            IdentityCheck::NotShown => "not shown",
        }
    }

    #[test]
    fn details_are_shown_only_when_the_search_would_list_the_person() {
        type Answers = Vec<(SourceReport, Result<Vec<Candidate>, String>)>;
        let ok = |id: &str, found: Vec<Candidate>| (report(id), Ok(found));
        let v_only = |d: &Demographics| d.security.iter().any(|c| c.code == "V");
        // (answers, outcome, warnings, failed sources, audit detail says)
        let table: Vec<(Answers, &str, usize, usize, &str)> = vec![
            (
                vec![
                    ok("gp", vec![person("gp", "1947-03-14", Some(&[]), None)]),
                    ok("acute", vec![]),
                ],
                "shown",
                0,
                0,
                "identity shown",
            ),
            // Sources disagree about the birth date: shown, with the warning.
            (
                vec![
                    ok("gp", vec![person("gp", "1947-03-14", Some(&[]), None)]),
                    ok(
                        "acute",
                        vec![person("acute", "1947-03-15", Some(&[]), None)],
                    ),
                ],
                "shown",
                1,
                0,
                "identity shown",
            ),
            // Two records at one source: the duplicate warning.
            (
                vec![ok(
                    "gp",
                    vec![
                        person("gp", "1947-03-14", Some(&[]), None),
                        person("gp", "1947-03-14", Some(&[]), None),
                    ],
                )],
                "shown",
                1,
                0,
                "identity shown",
            ),
            // A failed source is named, never read as "not held".
            (
                vec![
                    ok("gp", vec![person("gp", "1947-03-14", Some(&[]), None)]),
                    (report("mh"), Err("did not answer in time".into())),
                ],
                "shown",
                0,
                1,
                "identity shown",
            ),
            (
                vec![ok("gp", vec![]), ok("acute", vec![])],
                "not held",
                0,
                0,
                "no source that answered",
            ),
            (
                vec![ok("gp", vec![]), (report("acute"), Err("failed".into()))],
                "not held",
                0,
                1,
                "no source that answered",
            ),
            // Refused: an objection at any source holding them...
            (
                vec![
                    ok("gp", vec![person("gp", "1947-03-14", Some(&[DENY]), None)]),
                    ok(
                        "acute",
                        vec![person("acute", "1947-03-14", Some(&[]), None)],
                    ),
                ],
                "not shown",
                0,
                0,
                "objected",
            ),
            // ...but not one that has ended.
            (
                vec![ok(
                    "gp",
                    vec![person("gp", "1947-03-14", Some(&[ENDED]), None)],
                )],
                "shown",
                0,
                0,
                "identity shown",
            ),
            // Refused: a source could not say whether they objected.
            (
                vec![
                    ok("gp", vec![person("gp", "1947-03-14", None, None)]),
                    ok(
                        "acute",
                        vec![person("acute", "1947-03-14", Some(&[]), None)],
                    ),
                ],
                "not shown",
                0,
                0,
                "could not say",
            ),
            // Refused: a label at any source beyond the role.
            (
                vec![
                    ok("gp", vec![person("gp", "1947-03-14", Some(&[]), None)]),
                    ok(
                        "acute",
                        vec![person("acute", "1947-03-14", Some(&[]), Some("V"))],
                    ),
                ],
                "not shown",
                0,
                0,
                "confidential",
            ),
            // A label the role may see does not hide them.
            (
                vec![ok(
                    "gp",
                    vec![person("gp", "1947-03-14", Some(&[]), Some("R"))],
                )],
                "shown",
                0,
                0,
                "identity shown",
            ),
        ];
        for (answers, expected, warnings, failed, says) in table {
            let checked = check(answers, TODAY, &v_only);
            assert_eq!(outcome(&checked.check), expected, "{checked:?}");
            assert!(checked.audit_detail.contains(says), "{checked:?}");
            assert_eq!(checked.check.failed().len(), failed, "{checked:?}");
            match &checked.check {
                IdentityCheck::Shown {
                    warnings: w, today, ..
                } => {
                    assert_eq!(w.len(), warnings, "{w:?}");
                    assert_eq!(today, TODAY);
                    assert_eq!(
                        checked.check.details().and_then(|d| d.family.as_deref()),
                        Some("Smith")
                    );
                }
                IdentityCheck::NotShown => {
                    assert!(checked.check.details().is_none());
                    assert_eq!(checked.check.failed().len(), 0, "nothing said of sources");
                }
                _ => {}
            }
        }
    }
}
