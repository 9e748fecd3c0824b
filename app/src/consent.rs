//! The legitimate basis staff give for opening a record, and the policy's answers in words for
//! the page: the basis prompt, the dissent notice, withheld-item markers. The decisions
//! themselves are made on the server (`server::policy::decide`).

use crate::model::Category;
use serde::{Deserialize, Serialize};

/// The patient agreed, at the point of care, to their record being viewed.
pub const PERMISSION_GIVEN: &str = "permission-given";
/// The patient cannot consent (e.g. unconscious) and viewing is in their vital interest; a
/// written reason is required and every such access is reviewed.
pub const EMERGENCY: &str = "emergency";

/// JSON API callers state their basis in this request header (a configured basis code)...
pub const BASIS_HEADER: &str = "legitimate-basis";
/// ...and the reason, when the basis needs one, in this one (UTF-8, percent-encoded).
pub const REASON_HEADER: &str = "legitimate-basis-reason";

/// Why this member of staff is opening this patient's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Basis {
    /// A configured basis code (`permission-given`, `emergency`, ...).
    pub code: String,
    /// Free text; mandatory (with a minimum length) for `emergency`.
    #[serde(default)]
    pub reason: String,
}

impl Basis {
    pub fn new(code: &str, reason: &str) -> Self {
        Self {
            code: code.trim().to_owned(),
            reason: reason.trim().to_owned(),
        }
    }

    pub fn is_emergency(&self) -> bool {
        self.code == EMERGENCY
    }
}

/// What is wrong with free text staff write (a basis reason, a review note).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TextProblem {
    /// Fewer visible characters than the minimum (spaces and invisible characters not counted).
    TooShort(usize),
    /// More characters than the maximum (every character counted).
    TooLong(usize),
    /// Not empty, but nothing in it would be seen (zero-width spaces and the like).
    Invisible,
    /// A control character other than a line break or tab (NUL, escape, ...).
    ControlCharacter,
    /// A bidirectional embedding, override or isolate (U+202A-U+202E, U+2066-U+2069), which
    /// makes text display in another order than it was written.
    DirectionalControl,
}

impl TextProblem {
    /// The problem in words, `what` naming the text ("reason", "review note").
    pub fn message(&self, what: &str) -> String {
        match self {
            Self::TooShort(min) => format!("give a {what} of at least {min} characters"),
            Self::TooLong(max) => format!("the {what} is too long: at most {max} characters"),
            Self::Invisible => format!("the {what} is blank apart from invisible characters"),
            Self::ControlCharacter => {
                format!("the {what} contains control characters: write plain text")
            }
            Self::DirectionalControl => format!(
                "the {what} contains characters that reorder text (bidirectional overrides or isolates): write plain text"
            ),
        }
    }
}

/// A bidirectional embedding, override or isolate character.
pub fn is_directional_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A character that takes up no visible space: zero-width spaces and joiners, direction
/// marks, the byte-order mark, soft hyphens, fillers, variation selectors and tags.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{2800}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E007F}'
            | '\u{E0100}'..='\u{E01EF}'
    )
}

/// The characters a reader sees: invisible ones left out, each run of white space counted
/// as one, none at either end.
pub fn visible_chars(text: &str) -> usize {
    let mut count = 0;
    let mut pending_space = false;
    for c in text.chars().filter(|c| !is_invisible(*c)) {
        if c.is_whitespace() {
            pending_space = count > 0;
        } else {
            count += usize::from(pending_space) + 1;
            pending_space = false;
        }
    }
    count
}

/// Checks free text staff write: at most `max` characters in all, at least `min` visible ones
/// (see [`visible_chars`]), not blank apart from invisible characters when not empty, and no
/// control characters (line breaks and tabs excepted) or bidirectional overrides.
pub fn check_text(text: &str, min: usize, max: usize) -> Result<(), TextProblem> {
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(TextProblem::ControlCharacter);
    }
    if text.chars().any(is_directional_control) {
        return Err(TextProblem::DirectionalControl);
    }
    if text.chars().count() > max {
        return Err(TextProblem::TooLong(max));
    }
    let visible = visible_chars(text);
    if visible < min {
        return Err(TextProblem::TooShort(min));
    }
    if visible == 0 && !text.trim().is_empty() {
        return Err(TextProblem::Invisible);
    }
    Ok(())
}

/// One basis the viewer's role may give, as the prompt offers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasisOption {
    pub code: String,
    pub label: String,
    /// What choosing it means, in a sentence.
    pub hint: String,
    /// Minimum length of the written reason; 0 when none is asked for.
    pub reason_min_chars: usize,
}

/// Asked before a record opens: the bases this role may give, and how long the answer lasts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasisPrompt {
    pub options: Vec<BasisOption>,
    /// How long a recorded basis lasts for this patient in this session, in minutes.
    pub lasts_minutes: u64,
    /// Whose record it is, from the sources' Patient resources, shown before the bases.
    #[serde(default)]
    pub identity: crate::identity::IdentityCheck,
}

/// The patient has asked for their record not to be shared: where that is recorded, whom to
/// contact, and the emergency route when policy offers one to this role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DissentNotice {
    /// The organisation holding the patient's objection.
    pub recorded_by: String,
    pub organisation_code: String,
    /// Offered only when the viewer's role may override dissent in an emergency.
    pub emergency: Option<BasisOption>,
}

/// The patient's wishes about sharing could not be checked: sources that can hold an
/// objection did not answer about consent. Consent unknown is not consent, so the record opens
/// only on a basis that may override an objection (the emergency route, where policy offers it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentUnknownNotice {
    pub unread: Vec<UnreadConsent>,
    /// Offered only when the viewer's role may override dissent in an emergency.
    pub emergency: Option<BasisOption>,
}

/// One source whose answer about the patient's consent is missing, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnreadConsent {
    /// The organisation's name.
    pub source: String,
    pub organisation_code: String,
    /// Why, in words for staff (e.g. "it could not be reached").
    pub why: String,
}

impl UnreadConsent {
    /// "Riverside Medical Practice (Y12345): it could not be reached".
    pub fn describe(&self) -> String {
        if self.organisation_code.is_empty() {
            format!("{}: {}", self.source, self.why)
        } else {
            format!("{} ({}): {}", self.source, self.organisation_code, self.why)
        }
    }
}

/// Items of the record that were not shown, counted where they would have been.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithheldItems {
    pub category: Category,
    pub source_id: String,
    /// Why, in words for staff (e.g. "restricted at the source").
    pub reason: String,
    pub count: usize,
}

impl WithheldItems {
    /// "2 items withheld: restricted at the source".
    pub fn describe(&self) -> String {
        let items = if self.count == 1 { "item" } else { "items" };
        format!("{} {items} withheld: {}", self.count, self.reason)
    }
}

/// Names the browser session a request belongs to, so a basis recorded in it is found again.
/// Never serialised and never shown.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SessionKey(pub String);

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKey(..)")
    }
}

/// Where this request's legitimate basis comes from, as the server's access layer resolved it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BasisSource {
    /// A browser session: the basis recorded for the patient earlier in the session.
    Session(SessionKey),
    /// A machine client: the basis stated in this request's headers (`None`: none stated), or
    /// why the headers could not be read.
    Stated(Result<Option<Basis>, String>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn withheld_items_are_counted_in_words() {
        let mut w = WithheldItems {
            category: Category::Problem,
            source_id: "gp".into(),
            reason: "restricted at the source".into(),
            count: 1,
        };
        assert_eq!(w.describe(), "1 item withheld: restricted at the source");
        w.count = 3;
        assert_eq!(w.describe(), "3 items withheld: restricted at the source");
    }

    #[test]
    fn free_text_is_counted_as_seen_and_hostile_characters_are_refused() {
        use TextProblem::*;
        let zwsp = "\u{200B}".repeat(20);
        let padded = format!("Unconscious{}", "\u{200B}".repeat(30));
        // (text, min, max, result)
        let table: Vec<(String, usize, usize, Result<(), TextProblem>)> = vec![
            ("Unconscious, no one with them".into(), 20, 500, Ok(())),
            ("Fall at home,\r\n\tno one to ask".into(), 20, 500, Ok(())),
            ("Pacjent nieprzytomny, brak rodziny".into(), 20, 500, Ok(())),
            ("مريض فاقد الوعي ولا أحد معه".into(), 20, 500, Ok(())),
            ("".into(), 0, 500, Ok(())),
            ("x".repeat(500), 20, 500, Ok(())),
            ("x".repeat(501), 20, 500, Err(TooLong(500))),
            ("x".repeat(1_000_000), 20, 500, Err(TooLong(500))),
            // Twenty zero-width spaces are no reason at all.
            (zwsp.clone(), 20, 500, Err(TooShort(20))),
            (zwsp.clone(), 0, 500, Err(Invisible)),
            ("\u{FEFF}\u{2060}\u{00AD}".into(), 0, 500, Err(Invisible)),
            (padded, 20, 500, Err(TooShort(20))),
            // Spaces, however many, count once between words.
            (format!("a{}b", " ".repeat(30)), 20, 500, Err(TooShort(20))),
            (
                format!("a{}b", "\u{3000}".repeat(30)),
                20,
                500,
                Err(TooShort(20)),
            ),
            (
                "Unconscious\0 no one with them".into(),
                20,
                500,
                Err(ControlCharacter),
            ),
            ("\0".into(), 0, 500, Err(ControlCharacter)),
            (
                "Unconscious \u{1b}[2J no one with them".into(),
                20,
                500,
                Err(ControlCharacter),
            ),
            (
                "Unconscious \u{85} no one with them".into(),
                20,
                500,
                Err(ControlCharacter),
            ),
            (
                "Unconscious \u{7f} no one with them".into(),
                20,
                500,
                Err(ControlCharacter),
            ),
            (
                "Unconscious \u{202E}meht htiw eno on".into(),
                20,
                500,
                Err(DirectionalControl),
            ),
            (
                "Unconscious \u{2066}no one\u{2069} here".into(),
                20,
                500,
                Err(DirectionalControl),
            ),
            (
                "Unconscious \u{202A}no one\u{202C} here".into(),
                20,
                500,
                Err(DirectionalControl),
            ),
        ];
        for (text, min, max, expected) in table {
            assert_eq!(check_text(&text, min, max), expected, "{text:?}");
        }
        assert_eq!(visible_chars("  a \u{200B} b  "), 3);
        assert_eq!(
            TooShort(20).message("reason"),
            "give a reason of at least 20 characters"
        );
        assert!(DirectionalControl
            .message("review note")
            .contains("review note"));
    }

    #[test]
    fn session_keys_never_print() {
        let key = SessionKey("secret-token".into());
        assert!(!format!("{key:?}").contains("secret"));
    }
}
