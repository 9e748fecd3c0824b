//! Whose record it is, shown before any basis is asked: each source's Patient details for the
//! NHS number (never clinical data), the sources that could not be asked, and the patient's
//! age the NHS CUI way ([`age_text`]). The server builds an [`IdentityCheck`] and carries it in
//! the basis prompt; the policy decides on the server whether details may be shown at all.

use crate::clinical_date::{ClinicalDate, DatePrecision};
use crate::model::Demographics;
use serde::{Deserialize, Serialize};

/// What the sources' Patient resources say about whose record this is, before a basis.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "outcome")]
pub enum IdentityCheck {
    /// Nothing was checked (a server that predates the check, or a machine client).
    #[default]
    NotChecked,
    /// At least one source holds the number: its details, each source's answer, and
    /// warnings where sources disagree about who this is.
    Shown {
        sources: Vec<IdentitySource>,
        warnings: Vec<String>,
        /// The server's date (`YYYY-MM-DD`) the age is worked out on, so the page shows the
        /// same age wherever it is rendered.
        today: String,
    },
    /// No source that answered holds the number. `sources` says what each source answered;
    /// a failed one may still hold it.
    NotHeld { sources: Vec<IdentitySource> },
    /// The details are not shown before a basis (an objection to sharing, wishes that could
    /// not be checked, or a record marked confidential beyond the viewer's role: which, is
    /// not said).
    NotShown,
}

/// One source's answer about the NHS number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentitySource {
    pub source_id: String,
    /// The organisation's name.
    pub name: String,
    pub organisation_code: String,
    pub answer: IdentityAnswer,
}

/// What one source said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdentityAnswer {
    /// The source holds the number: its Patient records' details (normally one).
    Holds(Vec<Demographics>),
    /// The source answered and does not hold the number.
    NotHeld,
    /// The source could not be asked; why, in words for staff (no patient data).
    Failed(String),
}

impl IdentitySource {
    /// "Riverside Medical Practice (Y12345)".
    pub fn label(&self) -> String {
        if self.organisation_code.is_empty() {
            self.name.clone()
        } else {
            format!("{} ({})", self.name, self.organisation_code)
        }
    }
}

impl IdentityCheck {
    /// The details shown first: the first source's first Patient that holds the number.
    pub fn details(&self) -> Option<&Demographics> {
        match self {
            Self::Shown { sources, .. } => sources.iter().find_map(|s| match &s.answer {
                IdentityAnswer::Holds(found) => found.first(),
                _ => None,
            }),
            _ => None,
        }
    }

    /// The sources that could not be asked, in configured order.
    pub fn failed(&self) -> Vec<&IdentitySource> {
        match self {
            Self::Shown { sources, .. } | Self::NotHeld { sources } => sources
                .iter()
                .filter(|s| matches!(s.answer, IdentityAnswer::Failed(_)))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// False only when every source answered and none holds the number: then no basis is
    /// asked, since there is no record to open.
    pub fn asks_basis(&self) -> bool {
        !matches!(self, Self::NotHeld { .. }) || !self.failed().is_empty()
    }
}

/// The patient's age the NHS CUI way (Patient Banner guidance), worked out on `today`
/// (`YYYY-MM-DD`): `79y` from 18 years; `5y 2m` from 2 years; `13m 20d` from 1 year;
/// `12w 3d` from 4 weeks; `15d` under 4 weeks. The CUI's hours and minutes (under 2 days)
/// need a time of birth, which `Patient.birthDate` does not carry, so days are shown
/// (`0d` on the day of birth). An anniversary falling on a day the month lacks (29 February,
/// 31 April) is reached on the 1st of the next month, as UK law counts a birthday. `None`
/// when the birth date has no day, or either date cannot be read, or birth is after today.
pub fn age_text(birth: &ClinicalDate, today_yyyy_mm_dd: &str) -> Option<String> {
    if birth.precision < DatePrecision::Day {
        return None;
    }
    let born = ymd(birth.value.get(..10)?)?;
    let today = ymd(today_yyyy_mm_dd.get(..10)?)?;
    if today < born {
        return None;
    }
    let months = whole_months(born, today);
    let years = months / 12;
    let age = if years >= 18 {
        format!("{years}y")
    } else if years >= 2 {
        format!("{years}y {}m", months % 12)
    } else if years >= 1 {
        let days = days(today) - days(anniversary(born, months));
        format!("{months}m {days}d")
    } else {
        let days = days(today) - days(born);
        if days >= 28 {
            format!("{}w {}d", days / 7, days % 7)
        } else {
            format!("{days}d")
        }
    };
    Some(age)
}

/// A calendar date as (year, month, day).
type Ymd = (i64, i64, i64);

fn ymd(text: &str) -> Option<Ymd> {
    let date = ClinicalDate::parse(text).ok()?;
    if date.precision != DatePrecision::Day {
        return None;
    }
    let field = |range: std::ops::Range<usize>| text.get(range)?.parse::<i64>().ok();
    Some((field(0..4)?, field(5..7)?, field(8..10)?))
}

/// Whole calendar months from `born` to `today` (a month is complete on the day of the month
/// the person was born on, or the 1st of the next month when the month lacks that day).
fn whole_months(born: Ymd, today: Ymd) -> i64 {
    let mut months = (today.0 - born.0) * 12 + (today.1 - born.1);
    if today.2 < born.2 {
        months -= 1;
    }
    months
}

/// The date `months` after `born`: the same day of the month, or the 1st of the next month
/// when the month lacks it.
fn anniversary(born: Ymd, months: i64) -> Ymd {
    let index = born.0 * 12 + (born.1 - 1) + months;
    let (year, month) = (index.div_euclid(12), index.rem_euclid(12) + 1);
    if born.2 <= days_in_month(year, month) {
        (year, month, born.2)
    } else if month == 12 {
        (year + 1, 1, 1)
    } else {
        (year, month + 1, 1)
    }
}

fn days_in_month(year: i64, month: i64) -> i64 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (the date's own sort key, which counts midnight UTC).
fn days((y, m, d): Ymd) -> i64 {
    ClinicalDate::parse(&format!("{y:04}-{m:02}-{d:02}"))
        .map(|date| date.sort_key.div_euclid(86_400))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn age(born: &str, today: &str) -> Option<String> {
        age_text(&ClinicalDate::parse(born).unwrap(), today)
    }

    #[test]
    fn ages_follow_the_cui_bands() {
        // (born, today, age)
        let table = [
            ("1947-03-14", "2026-03-13", Some("78y")),
            ("1947-03-14", "2026-03-14", Some("79y")),
            ("1947-03-14", "2026-03-15", Some("79y")),
            ("2008-05-20", "2026-05-19", Some("17y 11m")),
            ("2008-05-20", "2026-05-20", Some("18y")),
            ("2021-01-10", "2026-03-09", Some("5y 1m")),
            ("2021-01-10", "2026-03-10", Some("5y 2m")),
            ("2024-03-14", "2026-03-13", Some("23m 27d")),
            ("2024-03-14", "2026-03-14", Some("2y 0m")),
            ("2025-03-14", "2026-03-14", Some("12m 0d")),
            ("2025-01-05", "2026-03-25", Some("14m 20d")),
            ("2025-03-15", "2026-03-14", Some("52w 0d")),
            ("2026-02-01", "2026-03-01", Some("4w 0d")),
            ("2026-02-02", "2026-03-01", Some("27d")),
            ("2026-02-03", "2026-03-01", Some("26d")),
            ("2026-03-14", "2026-03-14", Some("0d")),
            ("2026-03-13", "2026-03-14", Some("1d")),
            // Birthday tomorrow: not yet a year older.
            ("1990-03-15", "2026-03-14", Some("35y")),
            // Born on 29 February: a year older on 1 March in other years, on the 29th in leap years.
            ("2000-02-29", "2023-02-28", Some("22y")),
            ("2000-02-29", "2023-03-01", Some("23y")),
            ("2000-02-29", "2024-02-28", Some("23y")),
            ("2000-02-29", "2024-02-29", Some("24y")),
            ("2024-02-29", "2025-02-28", Some("52w 1d")),
            ("2024-02-29", "2025-03-01", Some("12m 0d")),
            // Born on the 31st: the month is complete on the 1st after a shorter month.
            ("2025-01-31", "2026-04-30", Some("14m 30d")),
            ("2025-01-31", "2026-05-01", Some("15m 0d")),
            // A time of birth is read by its date.
            ("1947-03-14T08:30:00Z", "2026-03-14", Some("79y")),
            // No day, not yet born, unreadable today.
            ("1947-03", "2026-03-14", None),
            ("1947", "2026-03-14", None),
            ("2026-03-15", "2026-03-14", None),
            ("1947-03-14", "14/03/2026", None),
            ("1947-03-14", "", None),
        ];
        for (born, today, expected) in table {
            assert_eq!(
                age(born, today).as_deref(),
                expected,
                "born {born}, today {today}"
            );
        }
    }

    #[test]
    fn an_old_prompt_without_the_check_still_parses() {
        let old = r#"{"options":[],"lasts_minutes":30}"#;
        let prompt: crate::consent::BasisPrompt = serde_json::from_str(old).unwrap();
        assert_eq!(prompt.identity, IdentityCheck::NotChecked);
        let old_details = r#"{"family":"Smith","given":[],"prefix":null,"birth_date":null,"gender":null,"source_id":"gp"}"#;
        let d: Demographics = serde_json::from_str(old_details).unwrap();
        assert!(d.address.is_empty() && d.gp_practice.is_none());
    }

    #[test]
    fn a_basis_is_asked_unless_every_source_answered_and_none_holds_the_number() {
        let source = |answer: IdentityAnswer| IdentitySource {
            source_id: "gp".into(),
            name: "Riverside Medical Practice".into(),
            organisation_code: "Y12345".into(),
            answer,
        };
        let held = IdentityCheck::Shown {
            sources: vec![
                source(IdentityAnswer::NotHeld),
                source(IdentityAnswer::Holds(vec![Demographics {
                    family: Some("Smith".into()),
                    ..Default::default()
                }])),
            ],
            warnings: vec![],
            today: "2026-03-14".into(),
        };
        assert_eq!(
            held.details().and_then(|d| d.family.as_deref()),
            Some("Smith")
        );
        // (check, asks a basis, failed sources)
        let table = [
            (held.clone(), true, 0),
            (
                IdentityCheck::NotHeld {
                    sources: vec![source(IdentityAnswer::NotHeld)],
                },
                false,
                0,
            ),
            (
                IdentityCheck::NotHeld {
                    sources: vec![
                        source(IdentityAnswer::NotHeld),
                        source(IdentityAnswer::Failed("it timed out".into())),
                    ],
                },
                true,
                1,
            ),
            (IdentityCheck::NotShown, true, 0),
            (IdentityCheck::NotChecked, true, 0),
        ];
        for (check, asks, failed) in table {
            assert_eq!(check.asks_basis(), asks, "{check:?}");
            assert_eq!(check.failed().len(), failed, "{check:?}");
        }
        assert_eq!(
            source(IdentityAnswer::NotHeld).label(),
            "Riverside Medical Practice (Y12345)"
        );
    }
}
