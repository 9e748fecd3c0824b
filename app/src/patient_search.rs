//! Finding a patient who arrives without their NHS number: the demographic search staff type
//! (family name and date of birth, optionally given name, gender and postcode), checked before
//! any source is asked, and the candidates the sources return.

use crate::clinical_date::{ClinicalDate, DatePrecision};
use crate::model::{Demographics, SourceReport};
use crate::nhs_number::NhsNumber;
use serde::{Deserialize, Serialize};

/// A checked demographic search: only a [`PatientSearch::parse`] can make one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientSearch {
    pub family: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    pub given: Option<String>,
    /// FHIR administrative gender: `male`, `female`, `other` or `unknown`.
    pub gender: Option<String>,
    /// Upper case, single space before the inward code (`LS1 4AP`).
    pub postcode: Option<String>,
}

/// Why a search was not sent. Messages are written for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum SearchError {
    #[error("Enter the patient's family name.")]
    NoFamilyName,
    #[error("Enter the patient's full date of birth (day, month and year).")]
    NoBirthDate,
    #[error("The date of birth is not a real date in the past.")]
    BadBirthDate,
    #[error("A name is at most 100 characters and contains no digits.")]
    BadName,
    #[error("Gender must be male, female, other or unknown.")]
    BadGender,
    #[error("That does not look like a UK postcode.")]
    BadPostcode,
}

fn optional(value: &str) -> Option<&str> {
    Some(value.trim()).filter(|v| !v.is_empty())
}

fn name(value: &str) -> Result<String, SearchError> {
    let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
    if value.chars().count() > 100 || value.chars().any(|c| c.is_ascii_digit() || c.is_control()) {
        return Err(SearchError::BadName);
    }
    Ok(value)
}

impl PatientSearch {
    /// Checks what was typed; `today` (`YYYY-MM-DD`) bounds the date of birth.
    pub fn parse(
        family: &str,
        birth_date: &str,
        given: &str,
        gender: &str,
        postcode: &str,
        today: &str,
    ) -> Result<Self, SearchError> {
        let family = optional(family).ok_or(SearchError::NoFamilyName)?;
        let birth_date = optional(birth_date).ok_or(SearchError::NoBirthDate)?;
        let date = ClinicalDate::parse(birth_date).map_err(|_| SearchError::BadBirthDate)?;
        if date.precision != DatePrecision::Day {
            return Err(SearchError::NoBirthDate);
        }
        if birth_date > today || birth_date < "1880-01-01" {
            return Err(SearchError::BadBirthDate);
        }
        let gender = optional(gender)
            .map(|g| g.to_ascii_lowercase())
            .map(|g| match g.as_str() {
                "male" | "female" | "other" | "unknown" => Ok(g),
                _ => Err(SearchError::BadGender),
            })
            .transpose()?;
        Ok(Self {
            family: name(family)?,
            birth_date: birth_date.to_owned(),
            given: optional(given).map(name).transpose()?,
            gender,
            postcode: optional(postcode).map(normalise_postcode).transpose()?,
        })
    }
}

/// `ls14ap` → `LS1 4AP`: outward code of 2-4 characters, inward code of a digit and two letters.
fn normalise_postcode(value: &str) -> Result<String, SearchError> {
    let compact: String = value
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let valid_length = (5..=7).contains(&compact.len());
    if !valid_length || !compact.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(SearchError::BadPostcode);
    }
    let (outward, inward) = compact.split_at(compact.len() - 3);
    let inward_ok = inward.starts_with(|c: char| c.is_ascii_digit())
        && inward[1..].chars().all(|c| c.is_ascii_alphabetic());
    if !inward_ok || !outward.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err(SearchError::BadPostcode);
    }
    Ok(format!("{outward} {inward}"))
}

/// One person the sources hold who matches the search. Records at several sources carrying the
/// same NHS number are one candidate; where they disagree, `warnings` says how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientMatch {
    /// `None` when the source holds no NHS number for them (trace them on PDS first).
    pub nhs_number: Option<NhsNumber>,
    /// As the first source listed in `found_at` records them.
    pub demographics: Demographics,
    /// Ids of the sources that returned this candidate.
    pub found_at: Vec<String>,
    pub warnings: Vec<String>,
}

/// Everything a demographic search found, with each source's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResults {
    pub matches: Vec<PatientMatch>,
    pub sources: Vec<SourceReport>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: &str = "2026-11-22";

    #[test]
    fn accepts_and_tidies_a_full_search() {
        let s = PatientSearch::parse(
            "  O'Brien ",
            "1945-07-14",
            "Siobhán  Mary",
            "Female",
            "ls14ap",
            TODAY,
        )
        .unwrap();
        assert_eq!(s.family, "O'Brien");
        assert_eq!(s.given.as_deref(), Some("Siobhán Mary"));
        assert_eq!(s.gender.as_deref(), Some("female"));
        assert_eq!(s.postcode.as_deref(), Some("LS1 4AP"));
        let minimal = PatientSearch::parse("Smith", "2001-02-03", "", " ", "", TODAY).unwrap();
        assert_eq!(
            (minimal.given, minimal.gender, minimal.postcode),
            (None, None, None)
        );
    }

    #[test]
    fn refuses_what_cannot_be_searched() {
        let cases = [
            (("", "1945-07-14", "", "", ""), SearchError::NoFamilyName),
            (("Smith", "", "", "", ""), SearchError::NoBirthDate),
            (("Smith", "1945-07", "", "", ""), SearchError::NoBirthDate),
            (
                ("Smith", "14/07/1945", "", "", ""),
                SearchError::BadBirthDate,
            ),
            (
                ("Smith", "1945-02-30", "", "", ""),
                SearchError::BadBirthDate,
            ),
            (
                ("Smith", "2027-01-01", "", "", ""),
                SearchError::BadBirthDate,
            ),
            (
                ("Smith", "1870-01-01", "", "", ""),
                SearchError::BadBirthDate,
            ),
            (("Sm1th", "1945-07-14", "", "", ""), SearchError::BadName),
            (("Smith", "1945-07-14", "", "f", ""), SearchError::BadGender),
            (
                ("Smith", "1945-07-14", "", "", "12345"),
                SearchError::BadPostcode,
            ),
            (
                ("Smith", "1945-07-14", "", "", "LS1 4A"),
                SearchError::BadPostcode,
            ),
            (
                ("Smith", "1945-07-14", "", "", "LS1-4AP"),
                SearchError::BadPostcode,
            ),
        ];
        for ((family, born, given, gender, postcode), expected) in cases {
            assert_eq!(
                PatientSearch::parse(family, born, given, gender, postcode, TODAY),
                Err(expected.clone()),
                "{family} {born} {gender} {postcode}"
            );
        }
        let long = "a".repeat(101);
        assert_eq!(
            PatientSearch::parse(&long, "1945-07-14", "", "", "", TODAY),
            Err(SearchError::BadName)
        );
    }
}
