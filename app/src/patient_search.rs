//! Finding a patient who arrives without their NHS number: the demographic search staff type
//! (family name and date of birth, optionally given name, gender and postcode), checked before
//! any source is asked, and the candidates the sources return. A search cannot enumerate: names
//! are letters (any script) with spaces, hyphens, apostrophes and full stops only, so FHIR's
//! comma (OR) and wildcards never reach a source; the family name needs at least two letters and
//! must equal a candidate's (sources match it as "starts with"); a capped number of people are
//! listed, and those who have objected to sharing are counted, not shown.

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
    #[error("Enter the patient's whole family name (at least 2 letters).")]
    ShortFamilyName,
    #[error(
        "A name is at most 100 characters and has only letters, spaces, hyphens, apostrophes and \
         full stops (no digits, commas or wildcards)."
    )]
    BadName,
    #[error("Gender must be male, female, other or unknown.")]
    BadGender,
    #[error("That does not look like a UK postcode.")]
    BadPostcode,
    /// More people match than the portal lists at once (the cap is the number).
    #[error("Too many people match these details (at most {0} are listed): add the given name, gender or postcode.")]
    TooManyMatches(usize),
}

fn optional(value: &str) -> Option<&str> {
    Some(value.trim()).filter(|v| !v.is_empty())
}

/// A name as typed, spaces tidied: letters of any script (with combining accents), spaces,
/// hyphens, apostrophes (`'` and `’`) and full stops, and at least one letter. Everything a
/// FHIR string search could read as more than a name (`,` is OR; `*`, `%`, `?`, `$`, `|`,
/// `\`) is refused, as are digits and control or invisible characters.
fn name(value: &str) -> Result<String, SearchError> {
    let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
    let allowed = |c: char| {
        c.is_alphabetic()
            || ('\u{0300}'..='\u{036F}').contains(&c)
            || matches!(c, ' ' | '-' | '\'' | '’' | '.')
    };
    if value.chars().count() > 100
        || !value.chars().all(allowed)
        || !value.chars().any(char::is_alphabetic)
    {
        return Err(SearchError::BadName);
    }
    Ok(value)
}

/// A name as names are compared: Unicode lowercase, `’` read as `'`, spaces tidied.
fn folded(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
        .replace('’', "'")
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
        let family = name(family)?;
        if family.chars().filter(|c| c.is_alphabetic()).count() < 2 {
            return Err(SearchError::ShortFamilyName);
        }
        Ok(Self {
            family,
            birth_date: birth_date.to_owned(),
            given: optional(given).map(name).transpose()?,
            gender,
            postcode: optional(postcode).map(normalise_postcode).transpose()?,
        })
    }

    /// Whether a candidate's family name is the one searched for (sources match a prefix:
    /// "Li" would find "Lin" and "Lindsay"). Case and `’`/`'` do not matter.
    pub fn family_matches(&self, family: &str) -> bool {
        folded(family) == folded(&self.family)
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
    /// Matching people who are not listed, counted by reason (never who they are).
    #[serde(default)]
    pub not_shown: NotShown,
    pub sources: Vec<SourceReport>,
}

/// Matching people a search does not list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotShown {
    /// People who have asked for their record not to be shared (an active objection at a
    /// source that holds them).
    pub objected: usize,
    /// People held at a source that could not say whether they have objected (its consent
    /// records could not be read), so they are treated as if they may have.
    pub wishes_unknown: usize,
    /// People whose Patient record is labelled confidential beyond this viewer's role
    /// (v3 Confidentiality `V`, or `R` outside the restricted roles): not even their name is
    /// shown to this viewer.
    #[serde(default)]
    pub restricted: usize,
}

impl NotShown {
    pub fn total(&self) -> usize {
        self.objected + self.wishes_unknown + self.restricted
    }

    /// One plain sentence per reason, for the search page.
    pub fn sentences(&self) -> Vec<String> {
        let people = |n: usize| match n {
            1 => "1 matching person is".to_owned(),
            n => format!("{n} matching people are"),
        };
        let mut out = Vec::new();
        if self.objected > 0 {
            out.push(format!(
                "{} not listed because they have asked for their record not to be shared.",
                people(self.objected)
            ));
        }
        if self.wishes_unknown > 0 {
            out.push(format!(
                "{} not listed because a source holding them could not say whether they have \
                 objected to sharing their record.",
                people(self.wishes_unknown)
            ));
        }
        if self.restricted > 0 {
            out.push(format!(
                "{} not listed because their record is marked confidential beyond your role.",
                people(self.restricted)
            ));
        }
        out
    }
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
        for family in [
            "Ng",
            "D’Arcy",
            "St. John-Smith",
            "Ó Súilleabháin",
            "Müller",
            "Иванова",
            "李明",
            "José",
        ] {
            let s = PatientSearch::parse(family, "2001-02-03", "", "", "", TODAY);
            assert_eq!(s.map(|s| s.family), Ok(family.to_owned()), "{family}");
        }
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
            // Enumeration attempts: FHIR's comma is OR; wildcards and operators; one letter.
            (("a,b,c", "1945-07-14", "", "", ""), SearchError::BadName),
            (
                ("Smith,Jones", "1945-07-14", "", "", ""),
                SearchError::BadName,
            ),
            (("Smith|x", "1945-07-14", "", "", ""), SearchError::BadName),
            (("*", "1945-07-14", "", "", ""), SearchError::BadName),
            (("Sm*", "1945-07-14", "", "", ""), SearchError::BadName),
            (("Sm%", "1945-07-14", "", "", ""), SearchError::BadName),
            (("Sm?th", "1945-07-14", "", "", ""), SearchError::BadName),
            (("$Smith", "1945-07-14", "", "", ""), SearchError::BadName),
            (("Sm\\th", "1945-07-14", "", "", ""), SearchError::BadName),
            (
                ("Smi\u{0}th", "1945-07-14", "", "", ""),
                SearchError::BadName,
            ),
            (
                ("Smi\u{200B}th", "1945-07-14", "", "", ""),
                SearchError::BadName,
            ),
            (
                ("Smith\u{202E}", "1945-07-14", "", "", ""),
                SearchError::BadName,
            ),
            (("Smith٣", "1945-07-14", "", "", ""), SearchError::BadName),
            (("Smith", "1945-07-14", "J,K", "", ""), SearchError::BadName),
            (("Smith", "1945-07-14", "J*", "", ""), SearchError::BadName),
            (("Smith", "1945-07-14", "--", "", ""), SearchError::BadName),
            (
                ("a", "1945-07-14", "", "", ""),
                SearchError::ShortFamilyName,
            ),
            (
                ("é", "1945-07-14", "", "", ""),
                SearchError::ShortFamilyName,
            ),
            (
                ("O'", "1945-07-14", "", "", ""),
                SearchError::ShortFamilyName,
            ),
            (
                ("a. -", "1945-07-14", "", "", ""),
                SearchError::ShortFamilyName,
            ),
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
        let message = SearchError::BadName.to_string();
        assert!(
            message.contains("commas") && message.contains("wildcards"),
            "{message}"
        );
        let long = "a".repeat(101);
        assert_eq!(
            PatientSearch::parse(&long, "1945-07-14", "", "", "", TODAY),
            Err(SearchError::BadName)
        );
    }

    #[test]
    fn the_family_name_must_equal_not_start_the_candidates() {
        let search = PatientSearch::parse("o’brien", "1945-07-14", "", "", "", TODAY).unwrap();
        for (family, matches) in [
            ("O'Brien", true),
            ("O’BRIEN", true),
            ("  o'brien ", true),
            ("O'Briensson", false),
            ("O'Brie", false),
            ("OBrien", false),
            ("", false),
        ] {
            assert_eq!(search.family_matches(family), matches, "{family}");
        }
        let greek = PatientSearch::parse("ΟΔΥΣΣΕΥΣ", "1945-07-14", "", "", "", TODAY).unwrap();
        assert!(greek.family_matches("οδυσσευς"), "Unicode lowercase");
        let li = PatientSearch::parse("Li", "1945-07-14", "", "", "", TODAY).unwrap();
        assert!(li.family_matches("LI") && !li.family_matches("Lindsay"));
    }

    #[test]
    fn what_is_not_shown_is_said_plainly() {
        assert!(NotShown::default().sentences().is_empty());
        let one = NotShown {
            objected: 1,
            ..NotShown::default()
        };
        assert_eq!(
            one.sentences(),
            ["1 matching person is not listed because they have asked for their record not to be shared."]
        );
        let all = NotShown {
            objected: 2,
            wishes_unknown: 3,
            restricted: 1,
        };
        assert_eq!(all.total(), 6);
        let sentences = all.sentences();
        assert!(sentences[0].starts_with("2 matching people are not listed"));
        assert!(sentences[1].starts_with("3 matching people are not listed because a source"));
        assert!(sentences[2].starts_with("1 matching person is not listed because their record"));
    }
}
