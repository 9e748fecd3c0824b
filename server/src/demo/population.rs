//! The synthetic population: who the patients are, which sources know them, and their NHS
//! numbers. Nothing is stored per patient: everything derives from (seed, index), so a
//! population of hundreds of thousands costs no memory and looks up in O(1).

use super::calendar;
use super::catalogue::{FAMILY_NAMES, FEMALE_GIVEN, MALE_GIVEN, POSTCODES};
use super::rng::Rng;
use app::model::{DemoPatient, SourceKind};
use app::nhs_number::NhsNumber;

/// Slots in the `999 nnn nnn` range; each patient takes one of two adjacent slots.
const MAX_PATIENTS: usize = 500_000;

/// The showcase patients, by index (see [`Population::showcase`]).
const ALL_FOUR: usize = 0;
const ALL_FOUR_LONG_HISTORY: usize = 1;
const GP_AND_SOCIAL_CARE: usize = 2;
const GP_AND_ACUTE: usize = 3;
const FAILING_MENTAL_HEALTH: usize = 4;
const SHOWCASE: usize = 5;

pub struct Population {
    count: usize,
    seed: u64,
}

/// One synthetic person.
pub struct Person {
    pub index: usize,
    pub nhs: NhsNumber,
    pub family: &'static str,
    pub given: &'static str,
    pub female: bool,
    pub birth_day: i64,
    pub postcode: &'static str,
}

impl Population {
    pub const DEFAULT_PATIENTS: usize = 24;
    pub const DEFAULT_SEED: u64 = 20_260_630;

    /// `patients` is capped at 500,000 (the size of the test range this generator uses).
    pub fn new(patients: usize, seed: u64) -> Self {
        Self {
            count: patients.clamp(1, MAX_PATIENTS),
            seed,
        }
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn nhs_numbers(&self) -> impl Iterator<Item = NhsNumber> + '_ {
        (0..self.count).map(nhs_number_of)
    }

    /// The patient holding this NHS number, if any.
    pub fn index_of(&self, nhs: NhsNumber) -> Option<usize> {
        let digits = nhs.as_digits();
        let slot: usize = digits.strip_prefix("999")?[..6].parse().ok()?;
        let index = slot / 2;
        (index < self.count && nhs_number_of(index) == nhs).then_some(index)
    }

    pub fn person(&self, index: usize) -> Person {
        let mut rng = Rng::new(&[self.seed, index as u64, 0x5EED]);
        let female = rng.chance(50);
        let given = if female {
            rng.pick(FEMALE_GIVEN)
        } else {
            rng.pick(MALE_GIVEN)
        };
        Person {
            index,
            nhs: nhs_number_of(index),
            family: rng.pick(FAMILY_NAMES),
            given,
            female,
            birth_day: calendar::ANCHOR_DAY - rng.between(18 * 365, 95 * 365),
            postcode: rng.pick(POSTCODES),
        }
    }

    /// Which kinds of source know this patient (empty for anyone outside the population).
    pub fn known_at(&self, nhs: NhsNumber) -> Vec<SourceKind> {
        self.index_of(nhs)
            .map(|i| self.kinds_knowing(i))
            .unwrap_or_default()
    }

    pub(super) fn kinds_knowing(&self, index: usize) -> Vec<SourceKind> {
        use SourceKind::*;
        match index {
            ALL_FOUR | ALL_FOUR_LONG_HISTORY | FAILING_MENTAL_HEALTH => {
                return SourceKind::ALL.to_vec()
            }
            GP_AND_SOCIAL_CARE => return vec![Gp, SocialCare],
            GP_AND_ACUTE => return vec![Gp, Acute],
            _ => {}
        }
        let mut rng = Rng::new(&[self.seed, index as u64, 0xC0DE]);
        let odds = [(Gp, 95), (Acute, 70), (MentalHealth, 35), (SocialCare, 35)];
        let known: Vec<SourceKind> = odds
            .iter()
            .filter(|(_, p)| rng.chance(*p))
            .map(|(k, _)| *k)
            .collect();
        if known.is_empty() {
            vec![Gp]
        } else {
            known
        }
    }

    /// The source that answers HTTP 500 for this patient, if any (one showcase patient).
    pub fn failing_source(&self, nhs: NhsNumber) -> Option<SourceKind> {
        (self.index_of(nhs)? == FAILING_MENTAL_HEALTH).then_some(SourceKind::MentalHealth)
    }

    /// How much history a patient has: the long-history showcase patient has several times more.
    pub(super) fn history_scale(&self, index: usize) -> usize {
        if index == ALL_FOUR_LONG_HISTORY {
            4
        } else {
            1
        }
    }

    /// Patients worth trying, for the demo search page and the start-up banner.
    pub fn showcase(&self) -> Vec<DemoPatient> {
        let labelled = [
            (ALL_FOUR, "known at all four sources"),
            (
                ALL_FOUR_LONG_HISTORY,
                "known at all four sources, long history",
            ),
            (GP_AND_SOCIAL_CARE, "known at the GP and social care only"),
            (GP_AND_ACUTE, "known at the GP and the hospital only"),
            (
                FAILING_MENTAL_HEALTH,
                "mental-health source fails for this patient (HTTP 500)",
            ),
        ];
        let mut list: Vec<DemoPatient> = labelled
            .iter()
            .filter(|(i, _)| *i < self.count)
            .map(|(i, label)| DemoPatient {
                nhs_number: nhs_number_of(*i),
                label: (*label).to_owned(),
            })
            .collect();
        if self.count < MAX_PATIENTS {
            list.push(DemoPatient {
                nhs_number: nhs_number_of(self.count.max(SHOWCASE)),
                label: "not known at any source".to_owned(),
            });
        }
        list
    }
}

/// `999` + six digits + check digit. Patient `i` takes slot `2i`, or `2i + 1` when `2i` has no
/// valid check digit (two adjacent slots never both lack one: their weighted sums differ by 2).
fn nhs_number_of(index: usize) -> NhsNumber {
    let slot = |n: usize| {
        let mut nine = [9u8, 9, 9, 0, 0, 0, 0, 0, 0];
        for (i, c) in format!("{n:06}").bytes().enumerate() {
            nine[3 + i] = c - b'0';
        }
        NhsNumber::from_first_nine(nine)
    };
    slot(2 * index)
        .or_else(|| slot(2 * index + 1))
        .expect("one of two adjacent slots always has a valid check digit")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nhs_numbers_are_valid_test_numbers_and_map_back() {
        let population = Population::new(MAX_PATIENTS, 1);
        for index in (0..MAX_PATIENTS).step_by(7).chain([MAX_PATIENTS - 1]) {
            let nhs = nhs_number_of(index);
            assert!(nhs.as_digits().starts_with("999"));
            assert_eq!(NhsNumber::parse(&nhs.as_digits()), Ok(nhs));
            assert_eq!(population.index_of(nhs), Some(index));
        }
    }

    #[test]
    fn numbers_outside_the_population_are_unknown() {
        let population = Population::new(10, 1);
        assert_eq!(population.index_of(nhs_number_of(10)), None);
        assert_eq!(
            population.index_of(NhsNumber::parse("9434765919").unwrap()),
            None
        );
        assert!(population.known_at(nhs_number_of(10)).is_empty());
    }

    #[test]
    fn presence_varies_and_everyone_is_known_somewhere() {
        let population = Population::new(200, Population::DEFAULT_SEED);
        let presence: Vec<Vec<SourceKind>> =
            (0..200).map(|i| population.kinds_knowing(i)).collect();
        assert!(presence.iter().all(|k| !k.is_empty()));
        assert!(presence.iter().any(|k| k.len() == 4));
        assert!(presence.iter().any(|k| k.len() < 4));
        for kind in SourceKind::ALL {
            assert!(
                presence.iter().any(|k| !k.contains(&kind)),
                "someone is unknown at {kind:?}"
            );
        }
    }

    #[test]
    fn showcase_labels_match_the_data() {
        let population = Population::new(Population::DEFAULT_PATIENTS, Population::DEFAULT_SEED);
        let showcase = population.showcase();
        assert_eq!(showcase.len(), 6);
        for p in &showcase {
            let known = population.known_at(p.nhs_number);
            match p.label.as_str() {
                l if l.starts_with("known at all four") => assert_eq!(known.len(), 4),
                l if l.starts_with("mental-health source fails") => {
                    assert_eq!(
                        population.failing_source(p.nhs_number),
                        Some(SourceKind::MentalHealth)
                    )
                }
                "not known at any source" => assert!(known.is_empty()),
                _ => assert_eq!(known.len(), 2, "{}", p.label),
            }
        }
    }

    #[test]
    fn people_are_deterministic() {
        let a = Population::new(50, 9).person(17);
        let b = Population::new(50, 9).person(17);
        assert_eq!(
            (a.family, a.given, a.birth_day, a.nhs),
            (b.family, b.given, b.birth_day, b.nhs)
        );
    }
}
