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
    fn session_keys_never_print() {
        let key = SessionKey("secret-token".into());
        assert!(!format!("{key:?}").contains("secret"));
    }
}
