//! The synthetic population: who the patients are, which sources know them, and their NHS
//! numbers. Nothing is stored per patient: everything derives from (seed, index), so a
//! population of 900,000 costs no memory and an NHS number looks up in O(1).

mod acute;
pub(super) mod calendar;
pub(super) mod catalogue;
mod gp;
pub mod gp_connect;
pub(super) mod ids;
pub(super) mod letters;
mod mental_health;
pub(super) mod narratives;
mod nhs;
pub(super) mod records;
pub(super) mod rng;
mod showcase;
mod social_care;
pub(super) mod vitals;

use app::model::{DemoPatient, SourceKind};
use app::nhs_number::NhsNumber;
use catalogue::{
    FAMILY_NAMES, FEMALE_GIVEN, FEMALE_PREFIXES, MALE_GIVEN, MALE_PREFIXES, POSTCODES,
};
pub use gp_connect::GpConnectPatient;
use rng::Rng;

/// The showcase patients, by index (see [`Population::showcase`]).
const ALL_FOUR: usize = 0;
const LONG_HISTORY: usize = 1;
const GP_AND_SOCIAL_CARE: usize = 2;
const GP_AND_ACUTE: usize = 3;
const FAILING_MENTAL_HEALTH: usize = 4;
const GP_ONLY: usize = 5;
const NOT_AT_GP: usize = 6;
const RECORDED_TWICE: usize = 7;
const MANY_OBSERVATIONS: usize = 8;
const RESTRICTED: usize = 9;
const BIRTH_DATE_DIFFERS: usize = 10;
const TWO_RECORDS_AT_HOSPITAL: usize = 11;
const DISSENTED: usize = 12;
const CHILD_PROTECTION: usize = 13;
const CONSENT_UNREADABLE: usize = 14;
const LETTERS: usize = 15;
const VITALS: usize = 16;
const NARRATIVES: usize = 17;
const GP_FAILS: usize = 18;
const SLOW_MENTAL_HEALTH: usize = 19;

/// Showcase patients whose records carry a tricky case of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Showcase {
    /// The same allergy, problem and medicine at the GP and the hospital.
    RecordedTwice,
    /// Thousands of observations at the GP.
    ManyObservations,
    /// Items labelled restricted and very restricted, and a sensitive one unlabelled.
    Restricted,
    /// An active objection to sharing, recorded at the GP.
    Dissented,
    /// A child on a protection plan, flagged by social care.
    ChildProtection,
    /// End-of-life decisions at the GP: a ReSPECT form and an end-of-life care plan.
    EndOfLife,
    /// Hospital letters: HTML with script-injection probes, a PDF, a text note, a type the
    /// portal does not show and a copy held elsewhere.
    Letters,
    /// An emergency admission with observations every four hours (vital signs and NEWS2),
    /// and the GP's HbA1c and eGFR history: trends.
    Vitals,
    /// Narratives and a note carrying script-injection probes, and an allergy recorded in
    /// error.
    Narratives,
}

/// Deterministic synthetic patients: the same `(patients, seed)` always gives the same people and
/// byte-identical FHIR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Population {
    count: usize,
    seed: u64,
    /// Glucose readings the many-observations showcase patient's GP holds.
    readings: i64,
}

/// One synthetic person's demographics (the same at every source that knows them).
pub struct Person {
    pub index: usize,
    pub nhs: NhsNumber,
    pub family: &'static str,
    pub given: &'static str,
    pub prefix: &'static str,
    pub female: bool,
    /// Days since 1970-01-01.
    pub birth_day: i64,
    pub postcode: &'static str,
}

impl Population {
    pub const DEFAULT_PATIENTS: usize = 28;
    pub const DEFAULT_SEED: u64 = 20_260_630;
    /// The most patients a population holds: as many as the `999` test range numbers this way.
    pub const MAX_PATIENTS: usize = nhs::CAPACITY;

    /// `patients` is clamped to `1..=MAX_PATIENTS` (900,000).
    pub fn new(patients: usize, seed: u64) -> Self {
        Self {
            count: patients.clamp(1, Self::MAX_PATIENTS),
            seed,
            readings: showcase::MANY_OBSERVATIONS,
        }
    }

    /// The same population with `readings` glucose readings at the many-observations
    /// showcase patient's GP instead of 3,000 (benchmarks measure records of other sizes).
    pub fn with_readings(self, readings: usize) -> Self {
        Self {
            readings: readings as i64,
            ..self
        }
    }

    /// Glucose readings the many-observations showcase patient's GP holds.
    pub fn readings(&self) -> i64 {
        self.readings
    }

    pub fn len(&self) -> usize {
        self.count
    }

    /// Always false: a population has at least one patient.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Every patient's NHS number, in index order.
    pub fn nhs_numbers(&self) -> impl Iterator<Item = NhsNumber> + '_ {
        (0..self.count).map(nhs_number_of)
    }

    /// The patient holding this NHS number, if it is in the population.
    pub fn index_of(&self, nhs: NhsNumber) -> Option<usize> {
        nhs::index_of(nhs).filter(|i| *i < self.count)
    }

    /// The demographics of patient `index` (which must be below [`Population::len`]).
    pub fn person(&self, index: usize) -> Person {
        let mut rng = Rng::new(&[self.seed, index as u64, 0x5EED]);
        let female = rng.chance(50);
        let (given, prefix) = if female {
            (rng.pick(FEMALE_GIVEN), rng.pick(FEMALE_PREFIXES))
        } else {
            (rng.pick(MALE_GIVEN), rng.pick(MALE_PREFIXES))
        };
        let prefix = match (index == CHILD_PROTECTION, female) {
            (true, true) => "Miss",
            (true, false) => "Master",
            (false, _) => prefix,
        };
        Person {
            index,
            nhs: nhs_number_of(index),
            family: rng.pick(FAMILY_NAMES),
            given,
            prefix,
            female,
            birth_day: calendar::ANCHOR_DAY
                - if index == CHILD_PROTECTION {
                    rng.between(2 * 365, 12 * 365)
                } else {
                    rng.between(18 * 365, 95 * 365)
                },
            postcode: rng.pick(POSTCODES),
        }
    }

    /// The patient as a `kind` source records them: the same everywhere, except that the
    /// hospital has one showcase patient's birth date a day out.
    pub fn person_at(&self, index: usize, kind: SourceKind) -> Person {
        let mut person = self.person(index);
        if index == BIRTH_DATE_DIFFERS && kind == SourceKind::Acute {
            person.birth_day += 1;
        }
        person
    }

    /// Whether patient `index`, as a `kind` source records them, has a family name starting
    /// with `family` (given in lower case) and was born on `birth_date` (`YYYY-MM-DD`): what a
    /// demographic search compares first, without building the Patient resource of every
    /// person it passes over (a 100,000-person scan that built each one took seconds).
    pub fn family_and_birth_date_match(
        &self,
        index: usize,
        kind: SourceKind,
        family: &str,
        birth_date: &str,
    ) -> bool {
        let person = self.person_at(index, kind);
        person.family.to_lowercase().starts_with(family)
            && calendar::date(person.birth_day) == birth_date
    }

    /// Whether a `kind` source holds a second patient record for patient `index` (one
    /// showcase patient, at the hospital).
    pub fn has_second_record(&self, index: usize, kind: SourceKind) -> bool {
        index == TWO_RECORDS_AT_HOSPITAL && kind == SourceKind::Acute && index < self.count
    }

    /// The tricky case patient `index`'s records carry, if any.
    pub fn showcase_case(&self, index: usize) -> Option<Showcase> {
        match index {
            RECORDED_TWICE => Some(Showcase::RecordedTwice),
            MANY_OBSERVATIONS => Some(Showcase::ManyObservations),
            RESTRICTED => Some(Showcase::Restricted),
            DISSENTED => Some(Showcase::Dissented),
            CHILD_PROTECTION => Some(Showcase::ChildProtection),
            LETTERS => Some(Showcase::Letters),
            LONG_HISTORY => Some(Showcase::EndOfLife),
            VITALS => Some(Showcase::Vitals),
            NARRATIVES => Some(Showcase::Narratives),
            _ => None,
        }
    }

    /// Which kinds of source know this patient (empty for anyone outside the population).
    pub fn known_at(&self, nhs: NhsNumber) -> Vec<SourceKind> {
        self.index_of(nhs)
            .map(|i| self.kinds_knowing(i))
            .unwrap_or_default()
    }

    /// Whether a `kind` FHIR R4 source knows patient `index`. A patient registered at the GP
    /// Connect practice has a GP record ([`Population::known_at`] says so) that the R4 GP
    /// source does not hold.
    pub fn knows(&self, index: usize, kind: SourceKind) -> bool {
        index < self.count
            && self.kinds_knowing(index).contains(&kind)
            && !(kind == SourceKind::Gp && self.registered_by_gp_connect(index))
    }

    /// The kinds of source that know patient `index`: fixed for the showcase patients, else
    /// drawn (GP 95%, acute 70%, mental health 35%, social care 35%), never none.
    fn kinds_knowing(&self, index: usize) -> Vec<SourceKind> {
        use SourceKind::*;
        match index {
            ALL_FOUR | LONG_HISTORY | FAILING_MENTAL_HEALTH | GP_FAILS | SLOW_MENTAL_HEALTH => {
                return SourceKind::ALL.to_vec()
            }
            GP_AND_SOCIAL_CARE | CHILD_PROTECTION => return vec![Gp, SocialCare],
            GP_AND_ACUTE => return vec![Gp, Acute],
            GP_ONLY | MANY_OBSERVATIONS => return vec![Gp],
            NOT_AT_GP => return vec![Acute, MentalHealth],
            RECORDED_TWICE
            | RESTRICTED
            | TWO_RECORDS_AT_HOSPITAL
            | DISSENTED
            | CONSENT_UNREADABLE
            | LETTERS
            | VITALS
            | NARRATIVES => return vec![Gp, Acute],
            BIRTH_DATE_DIFFERS => return vec![Gp, Acute, MentalHealth],
            gp_connect::FULL_RECORD => return vec![Gp, Acute, SocialCare],
            gp_connect::NO_KNOWN_ALLERGIES => return vec![Gp],
            gp_connect::DISSENTED | gp_connect::SENSITIVE => return vec![Gp, Acute],
            _ => {}
        }
        let mut rng = Rng::new(&[self.seed, index as u64, 0xC0DE]);
        let odds = [(Gp, 95), (Acute, 70), (MentalHealth, 35), (SocialCare, 35)];
        let known: Vec<SourceKind> = odds
            .into_iter()
            .filter(|(_, percent)| rng.chance(*percent))
            .map(|(kind, _)| kind)
            .collect();
        if known.is_empty() {
            vec![Gp]
        } else {
            known
        }
    }

    /// The source that answers HTTP 500 for this patient, if any (one showcase patient).
    pub fn failing_source(&self, nhs: NhsNumber) -> Option<SourceKind> {
        self.index_of(nhs).and_then(|i| self.failing_at(i))
    }

    /// The source that answers HTTP 500 for patient `index`, if any.
    pub fn failing_at(&self, index: usize) -> Option<SourceKind> {
        match index {
            _ if index >= self.count => None,
            FAILING_MENTAL_HEALTH => Some(SourceKind::MentalHealth),
            GP_FAILS => Some(SourceKind::Gp),
            _ => None,
        }
    }

    /// The source that takes its time to find this patient, and how long its Patient search
    /// takes (one showcase patient: the record page shows the other sources' answers while
    /// it is still being asked).
    pub fn slow_source(&self, nhs: NhsNumber) -> Option<(SourceKind, std::time::Duration)> {
        self.index_of(nhs)
            .filter(|i| *i == SLOW_MENTAL_HEALTH)
            .map(|_| {
                (
                    SourceKind::MentalHealth,
                    std::time::Duration::from_millis(2_500),
                )
            })
    }

    /// The NHS number of the showcase patient [`Population::slow_source`] names, if the
    /// population holds them.
    pub fn slow_patient(&self) -> Option<NhsNumber> {
        (SLOW_MENTAL_HEALTH < self.count).then(|| nhs_number_of(SLOW_MENTAL_HEALTH))
    }

    /// The source whose Consent search answers HTTP 500 for patient `index` while its other
    /// searches work (one showcase patient: the GP cannot say whether they objected).
    pub fn consent_unreadable_at(&self, index: usize) -> Option<SourceKind> {
        (index == CONSENT_UNREADABLE && index < self.count).then_some(SourceKind::Gp)
    }

    /// How much history a patient has: the long-history showcase patient has about twice as much.
    fn history_scale(&self, index: usize) -> i64 {
        if index == LONG_HISTORY {
            2
        } else {
            1
        }
    }

    /// Patients worth trying, for the demo search page and the start-up banner. Showcase
    /// patients beyond a small population's size are left out.
    pub fn showcase(&self) -> Vec<DemoPatient> {
        let labelled = [
            (ALL_FOUR, "known at all four sources"),
            (
                LONG_HISTORY,
                "known at all four sources, long history, end-of-life plan",
            ),
            (GP_AND_SOCIAL_CARE, "GP and social care only"),
            (GP_AND_ACUTE, "GP and acute hospital only"),
            (
                FAILING_MENTAL_HEALTH,
                "mental-health source fails for this patient (HTTP 500)",
            ),
            (GP_ONLY, "GP only"),
            (
                NOT_AT_GP,
                "acute hospital and mental health only (no GP record)",
            ),
            (
                RECORDED_TWICE,
                "same allergy, problem and medicine at GP and hospital; medicine stopped at discharge",
            ),
            (
                MANY_OBSERVATIONS,
                "3,000 glucose readings at the GP (many pages)",
            ),
            (
                RESTRICTED,
                "items labelled restricted and very restricted, and an unlabelled sensitive diagnosis",
            ),
            (
                BIRTH_DATE_DIFFERS,
                "hospital records a different date of birth",
            ),
            (
                TWO_RECORDS_AT_HOSPITAL,
                "two patient records with one NHS number at the hospital",
            ),
            (
                DISSENTED,
                "has objected to sharing their record (recorded at the GP)",
            ),
            (
                CHILD_PROTECTION,
                "child on a child protection plan (social care flag)",
            ),
            (
                CONSENT_UNREADABLE,
                "the GP cannot say whether they objected to sharing (its Consent search fails)",
            ),
            (
                LETTERS,
                "hospital letters: HTML with unsafe content, a PDF and a text note",
            ),
            (
                NARRATIVES,
                "narratives and notes with unsafe content, and an allergy recorded in error",
            ),
            (
                VITALS,
                "acute admission with observations every 4 hours (NEWS2, blood pressure), GP HbA1c and eGFR: trends",
            ),
            (
                GP_FAILS,
                "GP practice fails for this patient (HTTP 500): allergies unknown",
            ),
            (
                SLOW_MENTAL_HEALTH,
                "mental-health source takes 2.5 s to answer: each source shows as it answers",
            ),
        ];
        labelled
            .into_iter()
            .chain(gp_connect::LABELS)
            .filter(|(index, _)| *index < self.count)
            .map(|(index, label)| (nhs_number_of(index), label))
            .chain([(nhs::never_assigned(), "not known at any source")])
            .map(|(nhs_number, label)| DemoPatient {
                nhs_number,
                label: label.to_owned(),
            })
            .collect()
    }
}

/// The NHS number of a patient of some population.
fn nhs_number_of(index: usize) -> NhsNumber {
    nhs::number_of(index).expect("a population never holds more than nhs::CAPACITY patients")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cheap test agrees with the Patient resources a source sends, for every person and
    /// kind of source (the showcase patients among them, one with a different birth date at
    /// the hospital): a demographic search that uses it first loses no match.
    #[test]
    fn the_cheap_demographic_test_agrees_with_the_patient_resources() {
        let population = Population::new(600, 1);
        let kinds = [
            SourceKind::Gp,
            SourceKind::Acute,
            SourceKind::MentalHealth,
            SourceKind::SocialCare,
        ];
        // For each person and kind of source in turn: (family in lower case, birth date) of
        // every Patient resource the source sends.
        let sent: Vec<Vec<(String, String)>> = (0..population.len())
            .flat_map(|index| kinds.map(|kind| (index, kind)))
            .map(|(index, kind)| {
                records::patients(&population, index, kind)
                    .into_iter()
                    .map(|p| {
                        let family = p["name"][0]["family"].as_str().unwrap().to_lowercase();
                        (family, p["birthDate"].as_str().unwrap().to_owned())
                    })
                    .collect()
            })
            .collect();
        let mut matched = 0;
        for (family, born) in sent.iter().step_by(37).map(|resources| &resources[0]) {
            let two: String = family.chars().take(2).collect();
            for prefix in [&family[..], &two[..], "zz"] {
                for (at, resources) in sent.iter().enumerate() {
                    let (index, kind) = (at / kinds.len(), kinds[at % kinds.len()]);
                    let by_resource = resources
                        .iter()
                        .any(|(f, b)| f.starts_with(prefix) && b == born);
                    let cheap = population.family_and_birth_date_match(index, kind, prefix, born);
                    assert_eq!(cheap, by_resource, "{index} {kind:?} {prefix} {born}");
                    matched += usize::from(cheap);
                }
            }
        }
        assert!(
            matched >= 2 * 4,
            "each asked person matched by name and by its first letters"
        );
    }

    #[test]
    fn nhs_numbers_are_valid_test_numbers_and_map_back() {
        let population = Population::new(5_000, 1);
        for (index, nhs) in population.nhs_numbers().enumerate() {
            assert!(nhs.as_digits().starts_with("999"));
            assert_eq!(NhsNumber::parse(&nhs.formatted()), Ok(nhs));
            assert_eq!(population.index_of(nhs), Some(index));
        }
    }

    #[test]
    fn numbers_outside_the_population_are_unknown() {
        let population = Population::new(10, 1);
        for outside in [
            nhs_number_of(10),
            nhs::never_assigned(),
            NhsNumber::parse("9434765919").unwrap(),
        ] {
            assert_eq!(population.index_of(outside), None);
            assert!(population.known_at(outside).is_empty());
            assert_eq!(population.failing_source(outside), None);
        }
    }

    #[test]
    fn a_million_patients_are_clamped_to_the_range_and_still_cheap() {
        let population = Population::new(1_000_000, 3);
        assert_eq!(population.len(), Population::MAX_PATIENTS);
        // The count, the seed and the many-readings patient's readings: nothing per patient.
        assert_eq!(std::mem::size_of::<Population>(), 24);
        let last = population.len() - 1;
        let nhs = population.person(last).nhs;
        assert_eq!(population.index_of(nhs), Some(last));
        assert!(!population.known_at(nhs).is_empty());
        assert_eq!(Population::new(0, 3).len(), 1);
    }

    #[test]
    fn presence_varies_and_everyone_is_known_somewhere() {
        let population = Population::new(1_000, Population::DEFAULT_SEED);
        let presence: Vec<Vec<SourceKind>> =
            (0..1_000).map(|i| population.kinds_knowing(i)).collect();
        assert!(presence.iter().all(|k| !k.is_empty()));
        for kind in SourceKind::ALL {
            let share = presence.iter().filter(|k| k.contains(&kind)).count();
            let expected = match kind {
                SourceKind::Gp => 950,
                SourceKind::Acute => 700,
                SourceKind::MentalHealth | SourceKind::SocialCare => 350,
            };
            assert!(share.abs_diff(expected) < 60, "{kind:?}: {share}");
        }
        // The default population's showcase alone has patients missing from each source.
        let default = Population::new(Population::DEFAULT_PATIENTS, Population::DEFAULT_SEED);
        for kind in SourceKind::ALL {
            assert!(default
                .nhs_numbers()
                .any(|n| !default.known_at(n).contains(&kind)));
        }
    }

    #[test]
    fn showcase_labels_match_the_data() {
        let population = Population::new(Population::DEFAULT_PATIENTS, Population::DEFAULT_SEED);
        let showcase = population.showcase();
        assert_eq!(showcase.len(), 25);
        for p in &showcase {
            let known = population.known_at(p.nhs_number);
            let failing = population.failing_source(p.nhs_number);
            match p.label.as_str() {
                l if l.starts_with("known at all four") => {
                    assert_eq!(known, SourceKind::ALL.to_vec());
                    assert_eq!(failing, None);
                }
                "GP and social care only" => {
                    assert_eq!(known, [SourceKind::Gp, SourceKind::SocialCare])
                }
                "GP and acute hospital only" => {
                    assert_eq!(known, [SourceKind::Gp, SourceKind::Acute])
                }
                "GP only" => assert_eq!(known, [SourceKind::Gp]),
                l if l.starts_with("acute hospital and mental health only") => {
                    assert_eq!(known, [SourceKind::Acute, SourceKind::MentalHealth])
                }
                l if l.starts_with("mental-health source fails") => {
                    assert_eq!(known, SourceKind::ALL.to_vec());
                    assert_eq!(failing, Some(SourceKind::MentalHealth));
                }
                l if l.starts_with("GP practice fails") => {
                    assert_eq!(known, SourceKind::ALL.to_vec());
                    assert_eq!(failing, Some(SourceKind::Gp));
                }
                l if l.starts_with("same allergy") => {
                    assert_eq!(known, [SourceKind::Gp, SourceKind::Acute])
                }
                l if l.starts_with("3,000 glucose") => assert_eq!(known, [SourceKind::Gp]),
                l if l.starts_with("items labelled") => {
                    assert_eq!(known, [SourceKind::Gp, SourceKind::Acute])
                }
                l if l.starts_with("hospital records a different") => {
                    let index = population.index_of(p.nhs_number).unwrap();
                    let gp = population.person_at(index, SourceKind::Gp).birth_day;
                    assert_eq!(
                        population.person_at(index, SourceKind::Acute).birth_day,
                        gp + 1
                    );
                    assert!(known.contains(&SourceKind::Acute));
                }
                l if l.starts_with("has objected to sharing") => {
                    assert_eq!(known, [SourceKind::Gp, SourceKind::Acute]);
                    let index = population.index_of(p.nhs_number).unwrap();
                    let consents: Vec<_> = records::clinical(&population, index, SourceKind::Gp)
                        .into_iter()
                        .filter(|r| r["resourceType"] == "Consent")
                        .collect();
                    assert_eq!(consents.len(), 1);
                    assert_eq!(consents[0]["provision"]["type"], "deny");
                }
                l if l.starts_with("child on a child protection plan") => {
                    assert_eq!(known, [SourceKind::Gp, SourceKind::SocialCare]);
                    let index = population.index_of(p.nhs_number).unwrap();
                    let flags = records::clinical(&population, index, SourceKind::SocialCare)
                        .into_iter()
                        .filter(|r| r["code"]["coding"][0]["code"] == "CPP")
                        .count();
                    assert_eq!(flags, 1);
                    let age_days = calendar::ANCHOR_DAY - population.person(index).birth_day;
                    assert!(age_days < 18 * 365, "a child");
                }
                l if l.starts_with("two patient records") => {
                    let index = population.index_of(p.nhs_number).unwrap();
                    assert!(population.has_second_record(index, SourceKind::Acute));
                    assert!(!population.has_second_record(index, SourceKind::Gp));
                }
                l if l.starts_with("the GP cannot say") => {
                    assert_eq!(known, [SourceKind::Gp, SourceKind::Acute]);
                    let index = population.index_of(p.nhs_number).unwrap();
                    assert_eq!(
                        population.consent_unreadable_at(index),
                        Some(SourceKind::Gp)
                    );
                    assert_eq!(failing, None);
                }
                l if l.starts_with("hospital letters") => {
                    assert_eq!(known, [SourceKind::Gp, SourceKind::Acute]);
                    let index = population.index_of(p.nhs_number).unwrap();
                    let letters = records::clinical(&population, index, SourceKind::Acute)
                        .into_iter()
                        .filter(|r| r["description"] == "Respiratory clinic letter")
                        .count();
                    assert_eq!(letters, 1);
                }
                l if l.starts_with("acute admission with observations") => {
                    assert_eq!(known, [SourceKind::Gp, SourceKind::Acute]);
                    let index = population.index_of(p.nhs_number).unwrap();
                    let news2 = records::clinical(&population, index, SourceKind::Acute)
                        .into_iter()
                        .filter(|r| r["code"]["coding"][0]["code"] == vitals::NEWS2_TOTAL)
                        .count();
                    assert_eq!(news2, vitals::ROUNDS as usize);
                }
                l if l.starts_with("narratives and notes") => {
                    assert_eq!(known, [SourceKind::Gp, SourceKind::Acute]);
                    let index = population.index_of(p.nhs_number).unwrap();
                    let gp = records::clinical(&population, index, SourceKind::Gp);
                    let in_error = gp
                        .iter()
                        .filter(|r| {
                            r["verificationStatus"]["coding"][0]["code"] == "entered-in-error"
                        })
                        .count();
                    assert_eq!(in_error, 1);
                    let probed = |r: &serde_json::Value| {
                        r["text"]["div"]
                            .as_str()
                            .is_some_and(|d| d.contains("window.__xss=1"))
                    };
                    assert_eq!(gp.iter().filter(|r| probed(r)).count(), 1);
                    let acute = records::clinical(&population, index, SourceKind::Acute);
                    assert_eq!(acute.iter().filter(|r| probed(r)).count(), 1);
                }
                l if l.starts_with("mental-health source takes") => {
                    assert_eq!(known, SourceKind::ALL.to_vec());
                    assert_eq!(population.slow_patient(), Some(p.nhs_number));
                    let (kind, delay) = population.slow_source(p.nhs_number).unwrap();
                    assert_eq!(kind, SourceKind::MentalHealth);
                    assert!(delay >= std::time::Duration::from_secs(1));
                }
                l if l.starts_with("GP Connect practice:") => {
                    let index = population.index_of(p.nhs_number).unwrap();
                    let status = population.gp_connect_patient(index).unwrap();
                    assert!(!population.knows(index, SourceKind::Gp), "not at the R4 GP");
                    let expected: &[SourceKind] = match status {
                        GpConnectPatient::FullRecord => {
                            &[SourceKind::Gp, SourceKind::Acute, SourceKind::SocialCare]
                        }
                        GpConnectPatient::NoKnownAllergies => &[SourceKind::Gp],
                        GpConnectPatient::Dissented | GpConnectPatient::Sensitive => {
                            &[SourceKind::Gp, SourceKind::Acute]
                        }
                    };
                    assert_eq!(known, expected);
                    assert_eq!(failing, None);
                }
                "not known at any source" => {
                    assert!(known.is_empty());
                    assert!(p.nhs_number.as_digits().starts_with("999"));
                }
                other => panic!("unexpected label {other}"),
            }
        }
        let failing: Vec<_> = population
            .nhs_numbers()
            .filter(|n| population.failing_source(*n).is_some())
            .collect();
        assert_eq!(
            failing.len(),
            2,
            "two patients have a failing source (mental health, GP)"
        );
    }

    #[test]
    fn a_tiny_population_lists_only_the_patients_it_has() {
        let showcase = Population::new(2, 1).showcase();
        let labels: Vec<&str> = showcase.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "known at all four sources",
                "known at all four sources, long history, end-of-life plan",
                "not known at any source"
            ]
        );
    }

    #[test]
    fn people_are_deterministic_and_vary() {
        let a = Population::new(50, 9).person(17);
        let b = Population::new(50, 9).person(17);
        let c = Population::new(50, 10).person(17);
        let key = |p: &Person| (p.family, p.given, p.prefix, p.birth_day, p.postcode);
        assert_eq!(key(&a), key(&b));
        assert_ne!(key(&a), key(&c));
        assert_eq!(a.nhs, c.nhs, "the seed does not change NHS numbers");
    }
}
