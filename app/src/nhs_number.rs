//! The NHS number: parsing user input, the Modulus 11 check, and the 3-3-4 display form.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The FHIR identifier system for NHS numbers.
pub const NHS_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";

/// A ten-digit NHS number that has passed the Modulus 11 check.
///
/// The only way to make one is [`NhsNumber::parse`] (or `FromStr` / serde, which call it), so
/// holding an `NhsNumber` proves the check was done.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NhsNumber([u8; 10]);

/// Why a string is not a valid NHS number. Messages are written for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum NhsNumberError {
    #[error("Enter an NHS number.")]
    Empty,
    #[error("An NHS number contains only digits and spaces.")]
    NotDigits,
    #[error("An NHS number has 10 digits; this has {0}.")]
    WrongLength(usize),
    #[error("This is not a valid NHS number: its check digit does not match. Check it was typed correctly.")]
    CheckDigit,
}

impl NhsNumber {
    /// Parses what a person typed: spaces (and hyphens, as some letters print them) are ignored,
    /// then exactly ten digits must remain and pass the Modulus 11 check.
    pub fn parse(input: &str) -> Result<Self, NhsNumberError> {
        let compact: Vec<char> = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if compact.is_empty() {
            return Err(NhsNumberError::Empty);
        }
        if !compact.iter().all(|c| c.is_ascii_digit()) {
            return Err(NhsNumberError::NotDigits);
        }
        if compact.len() != 10 {
            return Err(NhsNumberError::WrongLength(compact.len()));
        }
        let mut digits = [0u8; 10];
        for (slot, c) in digits.iter_mut().zip(&compact) {
            *slot = *c as u8 - b'0';
        }
        match check_digit(&digits[..9]) {
            Some(check) if check == digits[9] => Ok(Self(digits)),
            _ => Err(NhsNumberError::CheckDigit),
        }
    }

    /// Builds a valid NHS number from its first nine digits by appending the check digit;
    /// `None` when those nine digits have no valid check digit (the Modulus 11 result is 10).
    pub fn from_first_nine(first_nine: [u8; 9]) -> Option<Self> {
        if first_nine.iter().any(|d| *d > 9) {
            return None;
        }
        let check = check_digit(&first_nine)?;
        let mut digits = [0u8; 10];
        digits[..9].copy_from_slice(&first_nine);
        digits[9] = check;
        Some(Self(digits))
    }

    /// The ten digits with no spaces, as sent to FHIR servers.
    pub fn as_digits(&self) -> String {
        self.0.iter().map(|d| char::from(b'0' + d)).collect()
    }

    /// The 3-3-4 display form used across NHS user interfaces, e.g. `943 476 5919`.
    pub fn formatted(&self) -> String {
        let digits = self.as_digits();
        format!("{} {} {}", &digits[..3], &digits[3..6], &digits[6..])
    }
}

/// Modulus 11: weights 10 down to 2 over the first nine digits; 11 becomes 0, 10 is invalid.
fn check_digit(first_nine: &[u8]) -> Option<u8> {
    let sum: u32 = first_nine
        .iter()
        .zip((2..=10u32).rev())
        .map(|(d, w)| u32::from(*d) * w)
        .sum();
    match 11 - (sum % 11) {
        11 => Some(0),
        10 => None,
        c => Some(c as u8),
    }
}

impl fmt::Display for NhsNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.formatted())
    }
}

/// Debug shows the number: it must never reach application logs, which log no patient identifiers.
impl fmt::Debug for NhsNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NhsNumber({})", self.as_digits())
    }
}

impl FromStr for NhsNumber {
    type Err = NhsNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for NhsNumber {
    type Error = NhsNumberError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<NhsNumber> for String {
    fn from(value: NhsNumber) -> Self {
        value.as_digits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_numbers_with_or_without_spaces() {
        for (input, digits) in [
            ("9434765919", "9434765919"),
            ("943 476 5919", "9434765919"),
            ("  943 476 5919 ", "9434765919"),
            ("943-476-5919", "9434765919"),
            ("9990000018", "9990000018"),
            ("999 000 0018", "9990000018"),
        ] {
            let n = NhsNumber::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(n.as_digits(), digits, "{input}");
        }
    }

    #[test]
    fn refuses_invalid_numbers_with_the_reason() {
        for (input, expected) in [
            ("", NhsNumberError::Empty),
            ("   ", NhsNumberError::Empty),
            ("987 654 4321", NhsNumberError::CheckDigit),
            ("9434765918", NhsNumberError::CheckDigit),
            ("9990000010", NhsNumberError::CheckDigit),
            ("9990000011", NhsNumberError::CheckDigit),
            ("943476591", NhsNumberError::WrongLength(9)),
            ("94347659190", NhsNumberError::WrongLength(11)),
            ("943476591X", NhsNumberError::NotDigits),
            ("943.476.5919", NhsNumberError::NotDigits),
            ("９４３４７６５９１９", NhsNumberError::NotDigits),
        ] {
            assert_eq!(NhsNumber::parse(input), Err(expected), "{input:?}");
        }
    }

    #[test]
    fn every_999_000_000x_fails_as_the_primer_says() {
        for last in 0..=9 {
            assert!(NhsNumber::parse(&format!("999000000{last}")).is_err());
        }
    }

    #[test]
    fn check_digit_of_ten_has_no_valid_number() {
        // 999 000 014: the weighted sum gives 11 - r = 10, so no tenth digit makes it valid.
        let first_nine = [9, 9, 9, 0, 0, 0, 0, 1, 4];
        assert_eq!(NhsNumber::from_first_nine(first_nine), None);
        for last in 0..=9 {
            assert!(NhsNumber::parse(&format!("999000014{last}")).is_err());
        }
    }

    #[test]
    fn from_first_nine_appends_the_check_digit() {
        let n = NhsNumber::from_first_nine([9, 4, 3, 4, 7, 6, 5, 9, 1]).unwrap();
        assert_eq!(n.as_digits(), "9434765919");
    }

    #[test]
    fn formats_three_three_four() {
        let n = NhsNumber::parse("9434765919").unwrap();
        assert_eq!(n.formatted(), "943 476 5919");
        assert_eq!(n.to_string(), "943 476 5919");
    }

    #[test]
    fn serde_round_trips_as_digits_and_validates() {
        let n = NhsNumber::parse("943 476 5919").unwrap();
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"9434765919\"");
        let back: NhsNumber = serde_json::from_str("\"9434765919\"").unwrap();
        assert_eq!(back, n);
        assert!(serde_json::from_str::<NhsNumber>("\"9876544321\"").is_err());
    }
}
