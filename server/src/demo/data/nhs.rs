//! NHS numbers for synthetic patients, in the `999` test range that is never issued: patient `i`
//! gets a valid number and the number maps back to `i` in O(1), so nothing is stored per patient.
//!
//! The range `999 bbbbb d c` is read as 100,000 blocks (`bbbbb`) of ten candidates (`d`). The
//! last of the first nine digits has weight 2 in the Modulus 11 sum, so the ten candidates of a
//! block have ten different sums mod 11 and at most one of them lacks a check digit. Every block
//! therefore holds nine or ten valid numbers; patients take the first nine of each block.

use app::nhs_number::NhsNumber;

/// Valid numbers used per block (every block has at least this many).
const PER_BLOCK: usize = 9;
const BLOCKS: usize = 100_000;

/// How many patients the test range can number this way (the range holds about 909,000 valid
/// numbers in all).
pub const CAPACITY: usize = BLOCKS * PER_BLOCK;

/// The valid numbers of one block, in ascending order.
fn block(block: usize) -> impl Iterator<Item = NhsNumber> {
    let mut nine = [9u8, 9, 9, 0, 0, 0, 0, 0, 0];
    let mut rest = block;
    for digit in nine[3..8].iter_mut().rev() {
        // `rest % 10` is below 10, so it fits in a u8.
        *digit = (rest % 10) as u8;
        rest /= 10;
    }
    (0..10u8).filter_map(move |last| {
        nine[8] = last;
        NhsNumber::from_first_nine(nine)
    })
}

/// The NHS number of patient `index`, or `None` when `index >= CAPACITY`.
pub fn number_of(index: usize) -> Option<NhsNumber> {
    if index >= CAPACITY {
        return None;
    }
    block(index / PER_BLOCK).nth(index % PER_BLOCK)
}

/// The patient index an NHS number belongs to, if it is one this scheme hands out.
pub fn index_of(nhs: NhsNumber) -> Option<usize> {
    let digits = nhs.as_digits();
    let block_number: usize = digits.strip_prefix("999")?.get(..5)?.parse().ok()?;
    let rank = block(block_number).position(|n| n == nhs)?;
    (rank < PER_BLOCK).then_some(block_number * PER_BLOCK + rank)
}

/// A valid test-range number that no population ever holds: the tenth valid number of the
/// first block that has ten (block 8, `999 000 0891`).
pub fn never_assigned() -> NhsNumber {
    (0..BLOCKS)
        .find_map(|b| block(b).nth(PER_BLOCK))
        .expect("one block in eleven has ten valid numbers, so block 8 does")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_map_to_valid_999_numbers_and_back() {
        // Every index near both ends and a stride through the middle (the whole range takes
        // seconds in a debug build). Mapping back to the index proves the numbers are distinct.
        let indices = (0..20_000)
            .chain((20_000..CAPACITY - 20_000).step_by(17))
            .chain(CAPACITY - 20_000..CAPACITY);
        let mut previous = String::new();
        for index in indices {
            let nhs = number_of(index).unwrap();
            let digits = nhs.as_digits();
            assert!(digits.starts_with("999"), "{digits}");
            assert_eq!(NhsNumber::parse(&digits), Ok(nhs), "passes Modulus 11");
            assert_eq!(index_of(nhs), Some(index));
            assert!(previous < digits, "ascending with the index");
            previous = digits;
        }
        assert_eq!(number_of(CAPACITY), None);
    }

    #[test]
    fn the_first_patient_has_the_well_known_test_number() {
        assert_eq!(number_of(0).unwrap().formatted(), "999 000 0018");
    }

    #[test]
    fn numbers_outside_the_scheme_have_no_index() {
        assert_eq!(index_of(NhsNumber::parse("9434765919").unwrap()), None);
        let unassigned = never_assigned();
        assert_eq!(unassigned.formatted(), "999 000 0891");
        assert_eq!(index_of(unassigned), None);
    }
}
