//! Property tests standing in for fuzzing `NhsNumber::parse` (cargo-fuzz needs nightly):
//! arbitrary text never panics and gets exactly the documented answer, whatever parses
//! round-trips, every single-digit error and adjacent transposition is refused, and spaces
//! (any whitespace) and hyphens anywhere are ignored. 256 cases per property by default; a
//! longer run: `PROPTEST_CASES=100000 cargo test --release -p app --test fuzz_nhs_number`.

use app::nhs_number::{NhsNumber, NhsNumberError};
use proptest::prelude::*;

/// 256 cases, or `PROPTEST_CASES` when set (`with_cases` alone would ignore it).
fn config() -> ProptestConfig {
    if std::env::var_os("PROPTEST_CASES").is_some() {
        ProptestConfig::default()
    } else {
        ProptestConfig::with_cases(256)
    }
}

/// Modulus 11 weights of the ten digits: 10 down to 2, then 1 for the check digit.
const WEIGHTS: [u32; 10] = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1];

/// The documented rule, written independently of the parser: whitespace and hyphens are
/// ignored, then exactly ten ASCII digits must remain whose weighted sum is a multiple of 11.
/// (The same as "check digit = 11 - sum mod 11, 11 means 0, 10 means invalid": a check digit
/// of 10 would need a tenth digit of 10, which no digit is.)
fn model(input: &str) -> Result<[u8; 10], NhsNumberError> {
    let kept: Vec<char> = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if kept.is_empty() {
        return Err(NhsNumberError::Empty);
    }
    if !kept.iter().all(char::is_ascii_digit) {
        return Err(NhsNumberError::NotDigits);
    }
    if kept.len() != 10 {
        return Err(NhsNumberError::WrongLength(kept.len()));
    }
    let mut digits = [0u8; 10];
    for (d, c) in digits.iter_mut().zip(&kept) {
        *d = *c as u8 - b'0';
    }
    let total: u32 = digits
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(*d) * w)
        .sum();
    if total.is_multiple_of(11) {
        Ok(digits)
    } else {
        Err(NhsNumberError::CheckDigit)
    }
}

fn digits_of(n: &NhsNumber) -> [u8; 10] {
    let mut digits = [0u8; 10];
    for (d, c) in digits.iter_mut().zip(n.as_digits().bytes()) {
        *d = c - b'0';
    }
    digits
}

fn text(digits: &[u8]) -> String {
    digits.iter().map(|d| char::from(b'0' + d)).collect()
}

/// Any text, and text made mostly of what an NHS number is typed with (digits, separators,
/// look-alikes such as full-width digits and dots), so near-misses are common.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9]{8,12}",
        "[0-9 \\-]{0,16}",
        "[0-9 \\-\t\n\u{a0}\u{2003}\u{3000}.xX+/\u{ff10}-\u{ff19}\u{0660}-\u{0669}]{0,20}",
    ]
}

/// A valid NHS number: nine random digits and their check digit. Nine digits with no check
/// digit (10) have their ninth digit moved on by one, which changes the weighted sum by 2 (or
/// -18) and so gives them one; no case is rejected, so long runs cannot run out of cases.
fn valid() -> impl Strategy<Value = NhsNumber> {
    proptest::array::uniform9(0u8..10).prop_map(|mut first_nine| {
        NhsNumber::from_first_nine(first_nine).unwrap_or_else(|| {
            first_nine[8] = (first_nine[8] + 1) % 10;
            NhsNumber::from_first_nine(first_nine).expect("a check digit after the change")
        })
    })
}

/// What may stand between (and around) the digits: spaces, other whitespace, hyphens.
fn separator() -> impl Strategy<Value = String> {
    "[ \t\n\r\u{a0}\u{2003}\u{3000}-]{0,3}"
}

/// Every way a parsed number comes back: digits, 3-3-4, Display, FromStr, serde.
fn assert_round_trips(n: NhsNumber) {
    let digits = n.as_digits();
    assert!(digits.len() == 10 && digits.bytes().all(|b| b.is_ascii_digit()));
    let formatted = n.formatted();
    assert_eq!(
        formatted,
        format!("{} {} {}", &digits[..3], &digits[3..6], &digits[6..])
    );
    assert_eq!(NhsNumber::parse(&digits), Ok(n));
    assert_eq!(NhsNumber::parse(&formatted), Ok(n));
    assert_eq!(n.to_string().parse::<NhsNumber>(), Ok(n));
    let json = serde_json::to_string(&n).unwrap();
    assert_eq!(json, format!("\"{digits}\""));
    assert_eq!(serde_json::from_str::<NhsNumber>(&json).unwrap(), n);
}

/// Why every single-digit error is caught: changing digit i by d (1 ≤ |d| ≤ 9) changes the
/// weighted sum by w·d, and 11 is prime with every weight in 1..=10 and every such d below
/// it, so w·d is never a multiple of 11. Transposing neighbours i, i+1 changes it by
/// (w_i - w_{i+1})·(a - b) = a - b, likewise never a multiple of 11 unless a = b.
#[test]
fn modulus_11_detects_every_single_digit_error_and_adjacent_transposition() {
    for w in WEIGHTS {
        for d in 1..=9u32 {
            assert!(!(w * d).is_multiple_of(11), "weight {w}, change {d}");
        }
    }
    for pair in WEIGHTS.windows(2) {
        assert_eq!(pair[0] - pair[1], 1);
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_text_gets_the_documented_answer(input in any_text()) {
        let parsed = NhsNumber::parse(&input);
        prop_assert_eq!(parsed.clone().map(|n| digits_of(&n)), model(&input));
        if let Ok(n) = parsed {
            assert_round_trips(n);
        }
    }

    #[test]
    fn whatever_parses_round_trips(
        n in valid(),
        seps in proptest::collection::vec(separator(), 11),
    ) {
        let digits = n.as_digits();
        let mut typed = String::new();
        for (i, c) in digits.chars().enumerate() {
            typed.push_str(&seps[i]);
            typed.push(c);
        }
        typed.push_str(&seps[10]);
        // Separators anywhere, including none, leading, trailing and repeated, are ignored.
        prop_assert_eq!(NhsNumber::parse(&typed), Ok(n));
        assert_round_trips(n);
    }

    #[test]
    fn any_single_digit_change_is_refused(n in valid(), at in 0usize..10, by in 1u8..10) {
        let mut digits = digits_of(&n);
        digits[at] = (digits[at] + by) % 10;
        prop_assert_eq!(NhsNumber::parse(&text(&digits)), Err(NhsNumberError::CheckDigit));
    }

    #[test]
    fn any_adjacent_transposition_is_refused(n in valid(), at in 0usize..9) {
        let mut digits = digits_of(&n);
        if digits[at] == digits[at + 1] {
            return Ok(()); // the same number
        }
        digits.swap(at, at + 1);
        prop_assert_eq!(NhsNumber::parse(&text(&digits)), Err(NhsNumberError::CheckDigit));
    }

    #[test]
    fn any_other_character_is_refused(
        n in valid(),
        at in 0usize..=10,
        c in any::<char>().prop_filter("ignored or a digit", |c| {
            !c.is_whitespace() && *c != '-' && !c.is_ascii_digit()
        }),
    ) {
        let mut typed = n.as_digits();
        let byte = typed.char_indices().nth(at).map_or(typed.len(), |(i, _)| i);
        typed.insert(byte, c);
        prop_assert_eq!(NhsNumber::parse(&typed), Err(NhsNumberError::NotDigits));
    }

    #[test]
    fn nine_digits_have_one_check_digit_or_none(first_nine in proptest::array::uniform9(0u8..10)) {
        let passing: Vec<u8> = (0..10u8)
            .filter(|last| {
                let mut digits = [0u8; 10];
                digits[..9].copy_from_slice(&first_nine);
                digits[9] = *last;
                NhsNumber::parse(&text(&digits)).is_ok()
            })
            .collect();
        match NhsNumber::from_first_nine(first_nine) {
            Some(n) => prop_assert_eq!(passing, vec![digits_of(&n)[9]]),
            None => prop_assert!(passing.is_empty()),
        }
    }
}
