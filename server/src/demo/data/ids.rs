//! Source-local ids: each organisation numbers its patients its own way, so the same person has
//! four unrelated-looking ids. Ids map back to the patient index without any stored table.

use app::model::SourceKind;

/// The source-local id of a patient (`gp-000007`, `RX1-a3c1f0e2`, `MH-0000007`,
/// `LAS-000007`).
pub fn patient_id(kind: SourceKind, index: usize) -> String {
    match kind {
        SourceKind::Gp => format!("gp-{index:06}"),
        SourceKind::Acute => format!("RX1-{:08x}", scramble(index)),
        SourceKind::MentalHealth => format!("MH-{index:07}"),
        SourceKind::SocialCare => format!("LAS-{index:06}"),
    }
}

/// The patient index behind a source-local patient id (only the exact form [`patient_id`] makes).
pub fn index_from_patient_id(kind: SourceKind, id: &str) -> Option<usize> {
    let (prefix, radix) = match kind {
        SourceKind::Gp => ("gp-", 10),
        SourceKind::Acute => ("RX1-", 16),
        SourceKind::MentalHealth => ("MH-", 10),
        SourceKind::SocialCare => ("LAS-", 10),
    };
    let number = u32::from_str_radix(id.strip_prefix(prefix)?, radix).ok()?;
    let index = match kind {
        SourceKind::Acute => unscramble(number),
        _ => usize::try_from(number).ok()?,
    };
    (patient_id(kind, index) == id).then_some(index)
}

/// The id of a second patient record a source holds for the same person (see
/// `Population::has_second_record`): the usual id with an `X` suffix.
pub fn second_record_id(kind: SourceKind, index: usize) -> String {
    format!("{}X", patient_id(kind, index))
}

/// Which patient, and which of their records, a source-local patient id names: `(index,
/// second_record)`.
pub fn parse_patient_id(kind: SourceKind, id: &str) -> Option<(usize, bool)> {
    match id.strip_suffix('X') {
        Some(first) => index_from_patient_id(kind, first).map(|i| (i, true)),
        None => index_from_patient_id(kind, id).map(|i| (i, false)),
    }
}

#[cfg(test)]
/// The patient index behind a resource id (`<patient id>-<type>-<n>`).
pub fn index_from_resource_id(kind: SourceKind, id: &str) -> Option<usize> {
    let mut parts = id.rsplitn(3, '-');
    let (_n, _type, patient) = (parts.next()?, parts.next()?, parts.next()?);
    parse_patient_id(kind, patient).map(|(index, _)| index)
}

/// Multiplication by an odd constant is a bijection on u32, so acute ids look random yet map
/// back exactly.
const SCRAMBLE: u32 = 0x2545_F491;
const UNSCRAMBLE: u32 = inverse(SCRAMBLE);
const MASK: u32 = 0x5A5A_A5A5;

fn scramble(index: usize) -> u32 {
    // Indices stay below 900,000 (see `nhs::CAPACITY`), so the truncation never happens.
    (index as u32 ^ MASK).wrapping_mul(SCRAMBLE)
}

fn unscramble(id: u32) -> usize {
    (id.wrapping_mul(UNSCRAMBLE) ^ MASK) as usize
}

/// The multiplicative inverse of an odd number mod 2^32 (Newton's iteration doubles the
/// correct bits each step: 3, 6, 12, 24, 48).
const fn inverse(odd: u32) -> u32 {
    let mut x = odd;
    let mut step = 0;
    while step < 4 {
        x = x.wrapping_mul(2u32.wrapping_sub(odd.wrapping_mul(x)));
        step += 1;
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patient_ids_map_back_to_the_index() {
        for kind in SourceKind::ALL {
            for index in [0, 1, 7, 1234, 899_999] {
                assert_eq!(
                    index_from_patient_id(kind, &patient_id(kind, index)),
                    Some(index)
                );
            }
        }
        assert_eq!(index_from_patient_id(SourceKind::Gp, "RX1-00000001"), None);
        assert_eq!(
            index_from_patient_id(SourceKind::Gp, "gp-7"),
            None,
            "only the exact form"
        );
        assert_eq!(index_from_patient_id(SourceKind::Gp, "gp-+00007"), None);
        assert_eq!(
            index_from_resource_id(SourceKind::Gp, "gp-000007-condition-3"),
            Some(7)
        );
        assert_eq!(index_from_resource_id(SourceKind::Gp, "gp-000007"), None);
        assert_eq!(
            parse_patient_id(SourceKind::Gp, &second_record_id(SourceKind::Gp, 7)),
            Some((7, true))
        );
        assert_eq!(
            parse_patient_id(SourceKind::Gp, "gp-000007"),
            Some((7, false))
        );
        assert_eq!(
            index_from_resource_id(SourceKind::Gp, "gp-000007X-encounter-0"),
            Some(7)
        );
    }
}
