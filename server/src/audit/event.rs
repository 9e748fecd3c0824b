//! What one audit event records: who (user, role, organisation), what (kind, outcome, the
//! patient's NHS number, the legitimate basis), where from (request id, client, user agent) and
//! which sources and categories a view touched. Never clinical content.

use app::audit_terms::RefusalKind;
use app::auth::{Caller, RequestInfo, Viewer};
use serde::{Deserialize, Serialize};

/// The kinds of event, as stored (`kebab-case`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    SignIn,
    SignOut,
    RoleChosen,
    /// A demographic search (no NHS number yet).
    PatientSearch,
    BasisRecorded,
    /// A record opened with the patient's permission (or another non-emergency basis).
    RecordView,
    /// A record opened on an emergency basis: queued for the privacy officers' review.
    EmergencyAccess,
    /// One item of a record asked for by id.
    EntryView,
    /// A page of a record's timeline, filtered or further back than the first page.
    TimelineSearch,
    /// A document's attachment opened (its content sent to the viewer).
    DocumentView,
    /// Anything refused: no basis, a basis not allowed, dissent, a withheld item.
    Denied,
    Export,
    AuditSearch,
    /// A privacy officer's review of an emergency access (`refers_to` names it).
    Review,
    /// Events older than the retention period deleted; `refers_to` is the last one deleted
    /// (the checkpoint) and `detail` carries its hash.
    Purge,
}

impl EventKind {
    pub const ALL: [EventKind; 15] = [
        Self::SignIn,
        Self::SignOut,
        Self::RoleChosen,
        Self::PatientSearch,
        Self::BasisRecorded,
        Self::RecordView,
        Self::EmergencyAccess,
        Self::EntryView,
        Self::TimelineSearch,
        Self::DocumentView,
        Self::Denied,
        Self::Export,
        Self::AuditSearch,
        Self::Review,
        Self::Purge,
    ];

    /// The stored name (`record-view`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignIn => "sign-in",
            Self::SignOut => "sign-out",
            Self::RoleChosen => "role-chosen",
            Self::PatientSearch => "patient-search",
            Self::BasisRecorded => "basis-recorded",
            Self::RecordView => "record-view",
            Self::EmergencyAccess => "emergency-access",
            Self::EntryView => "entry-view",
            Self::TimelineSearch => "timeline-search",
            Self::DocumentView => "document-view",
            Self::Denied => "denied",
            Self::Export => "export",
            Self::AuditSearch => "audit-search",
            Self::Review => "review",
            Self::Purge => "purge",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Success,
    /// Refused by policy (the reason is in `detail`).
    Refused,
    /// Failed for another reason (e.g. every source failed).
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Refused => "refused",
            Self::Failed => "failed",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        [Self::Success, Self::Refused, Self::Failed]
            .into_iter()
            .find(|o| o.as_str() == name)
    }
}

/// One audit event. Field order is the canonical order the chain hashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// UTC, milliseconds since the Unix epoch.
    pub at_ms: i64,
    pub kind: EventKind,
    pub user_id: String,
    pub user_name: String,
    pub role: Option<String>,
    pub organisation: Option<String>,
    pub nhs_number: Option<String>,
    pub basis: Option<String>,
    pub reason: Option<String>,
    pub outcome: Outcome,
    /// Why it was refused, a review note, or what was searched for (never clinical content).
    pub detail: Option<String>,
    /// Sources whose data the event touched.
    pub sources: Vec<String>,
    /// Categories of the record returned.
    pub categories: Vec<String>,
    /// Items withheld from the view.
    pub withheld: u32,
    /// The event this one is about (a review names the emergency access it reviews).
    pub refers_to: Option<i64>,
    pub request_id: String,
    pub client: String,
    pub user_agent: String,
    /// A record view by a user whose surname the patient shares (for the privacy officers'
    /// report). Left out of the canonical form when false, so events written before it
    /// existed keep their hashes.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub same_surname: bool,
    /// Which rule refused it (the outcome is then `refused`). Left out of the canonical form
    /// when absent, so events written before it existed keep their hashes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<RefusalKind>,
}

impl AuditEvent {
    /// An event of `kind` by `caller`, now, succeeded; fill in the rest with the builders.
    pub fn by(caller: &Caller, kind: EventKind) -> Self {
        Self::by_viewer(&caller.viewer, &caller.request, kind)
    }

    /// An event by a viewer acting in a role.
    pub fn by_viewer(viewer: &Viewer, request: &RequestInfo, kind: EventKind) -> Self {
        let mut event = Self::by_user(&viewer.user_id, &viewer.name, request, kind);
        event.role = Some(viewer.role.as_str().to_owned());
        event.organisation = viewer.organisation.clone();
        event
    }

    /// An event by someone who has no active role (yet).
    pub fn by_user(user_id: &str, user_name: &str, request: &RequestInfo, kind: EventKind) -> Self {
        Self {
            at_ms: now_ms(),
            kind,
            user_id: user_id.to_owned(),
            user_name: user_name.to_owned(),
            role: None,
            organisation: None,
            nhs_number: None,
            basis: None,
            reason: None,
            outcome: Outcome::Success,
            detail: None,
            sources: Vec::new(),
            categories: Vec::new(),
            withheld: 0,
            refers_to: None,
            request_id: request.request_id.clone(),
            client: request.client.clone(),
            user_agent: request.user_agent.clone(),
            same_surname: false,
            refusal: None,
        }
    }

    pub fn patient(mut self, nhs: app::nhs_number::NhsNumber) -> Self {
        self.nhs_number = Some(nhs.as_digits());
        self
    }

    pub fn basis(mut self, basis: &app::consent::Basis) -> Self {
        self.basis = Some(basis.code.clone());
        self.reason = (!basis.reason.is_empty()).then(|| basis.reason.clone());
        self
    }

    /// The basis an API caller stated with this request, if it stated a valid one.
    pub fn stated_basis(self, caller: &Caller) -> Self {
        match &caller.basis {
            app::consent::BasisSource::Stated(Ok(Some(basis))) => self.basis(basis),
            _ => self,
        }
    }

    /// Refused by the rule `kind` names, in the words `why` gives.
    pub fn refused(mut self, kind: RefusalKind, why: impl Into<String>) -> Self {
        self.outcome = Outcome::Refused;
        self.refusal = Some(kind);
        self.detail = Some(why.into());
        self
    }

    /// Ended by `error`, the error the caller is answered with: refused, with its kind and
    /// its words, when a rule refused it; failed otherwise (nothing found, a source down).
    pub fn refused_with(self, error: &app::api::LookupError) -> Self {
        match error.refusal_kind() {
            Some(kind) => self.refused(kind, error.to_string()),
            None => self.failed(error.to_string()),
        }
    }

    pub fn failed(mut self, why: impl Into<String>) -> Self {
        self.outcome = Outcome::Failed;
        self.detail = Some(why.into());
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// The event as it may be stored, whatever a caller or an attacker put in it: every
    /// control character but line breaks and tabs, and every bidirectional override or
    /// isolate, written out as `\u{..}` (PostgreSQL refuses NUL outright, and the rest could
    /// disguise what an audit officer reads), and each text cut to a bound with a note of
    /// what was cut ([`MAX_FREE_TEXT_CHARS`] for free text, [`MAX_NAME_CHARS`] for names and
    /// identifiers, which are indexed). Applied once, where events are chained, so the hash
    /// covers exactly what is stored.
    pub fn storable(&self) -> Self {
        let name = |text: &String| storable_text(text, MAX_NAME_CHARS);
        let free = |text: &String| storable_text(text, MAX_FREE_TEXT_CHARS);
        Self {
            user_id: name(&self.user_id),
            user_name: name(&self.user_name),
            role: self.role.as_ref().map(name),
            organisation: self.organisation.as_ref().map(name),
            nhs_number: self.nhs_number.as_ref().map(name),
            basis: self.basis.as_ref().map(name),
            reason: self.reason.as_ref().map(free),
            detail: self.detail.as_ref().map(free),
            sources: self.sources.iter().map(name).collect(),
            categories: self.categories.iter().map(name).collect(),
            request_id: name(&self.request_id),
            client: name(&self.client),
            user_agent: free(&self.user_agent),
            ..self.clone()
        }
    }

    /// The form the chain hashes: this event's fields in their declared order, as JSON.
    pub fn canonical(&self) -> String {
        // Serialising plain strings, integers and vectors cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Longest free text stored in one field (a reason, a detail, a user agent), in characters.
/// Configured limits on what staff write stay below it.
pub const MAX_FREE_TEXT_CHARS: usize = 4_096;
/// Longest name or identifier stored in one field (indexed columns), in characters.
pub const MAX_NAME_CHARS: usize = 256;

/// `text` with hostile characters written out, cut to at most `max` characters (written
/// out ones counted as written) and a note of how many were left out (see
/// [`AuditEvent::storable`]). Unchanged in the usual case.
fn storable_text(text: &str, max: usize) -> String {
    let hostile = |c: char| {
        (c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
            || app::consent::is_directional_control(c)
    };
    let mut out = String::with_capacity(text.len().min(max * 4));
    let mut written = 0;
    for (i, c) in text.char_indices() {
        let escaped = hostile(c).then(|| c.escape_unicode().to_string());
        let width = escaped.as_ref().map_or(1, |e| e.len());
        if written + width > max {
            let rest = text[i..].chars().count();
            out.push_str(&format!(" [{rest} more characters not stored]"));
            break;
        }
        match escaped {
            Some(escaped) => out.push_str(&escaped),
            None => out.push(c),
        }
        written += width;
    }
    out
}

pub use crate::clock::{now_ms, rfc3339};

/// True when the patient's family name is one of the user's names other than the first
/// (so "Dr Sam O'Brien" shares with O'BRIEN, and "Ana Smith-Jones" with Jones): letters only,
/// case and accents ignored. Compared when the record is opened; only the answer is audited.
pub fn shares_surname(user_name: &str, patient_family: &str) -> bool {
    fn letters(word: &str) -> String {
        word.chars()
            .filter(|c| c.is_alphabetic())
            .flat_map(char::to_lowercase)
            .map(|c| match c {
                'à'..='å' => 'a',
                'è'..='ë' => 'e',
                'ì'..='ï' => 'i',
                'ò'..='ö' | 'ø' => 'o',
                'ù'..='ü' => 'u',
                'ç' => 'c',
                'ñ' => 'n',
                other => other,
            })
            .collect()
    }
    let parts = |name: &str| -> Vec<String> {
        name.split(|c: char| c.is_whitespace() || c == '-')
            .map(letters)
            .filter(|w| w.len() > 1)
            .collect()
    };
    let family = parts(patient_family);
    let user = parts(user_name);
    // The first word is a title or a given name; any later one may be a surname.
    user.iter().skip(1).any(|u| family.iter().any(|f| f == u))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_outcomes_round_trip_their_names() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        for outcome in [Outcome::Success, Outcome::Refused, Outcome::Failed] {
            assert_eq!(Outcome::parse(outcome.as_str()), Some(outcome));
        }
        assert_eq!(EventKind::parse("record-viewed"), None);
    }

    #[test]
    fn surnames_are_compared_by_letters_after_the_first_name() {
        // (user, patient family name, shares)
        let table = [
            ("Dr Sam O'Brien", "O'BRIEN", true),
            ("Sam Obrien", "O'Brien", true),
            ("Ana Smith-Jones", "Jones", true),
            ("Ana Smith-Jones", "Jones-Whyte", true),
            ("José Núñez", "NUNEZ", true),
            ("Dr A Khan", "Khan", true),
            ("Khan Ali", "Khan", false),
            ("Dr Amira Khan", "Khanna", false),
            ("Dr Amira Khan", "", false),
            ("Jo", "Jo", false),
        ];
        for (user, family, shares) in table {
            assert_eq!(shares_surname(user, family), shares, "{user} / {family}");
        }
    }

    #[test]
    fn an_event_written_before_same_surname_existed_keeps_its_canonical_form() {
        let request = RequestInfo::default();
        let mut event = AuditEvent::by_user("u1", "Dr A", &request, EventKind::RecordView);
        assert!(!event.canonical().contains("same_surname"));
        event.same_surname = true;
        assert!(event.canonical().ends_with(",\"same_surname\":true}"));
    }

    #[test]
    fn a_refusal_kind_is_hashed_when_present_and_absent_from_older_events() {
        let request = RequestInfo::default();
        let plain = AuditEvent::by_user("u1", "Dr A", &request, EventKind::Denied);
        assert!(!plain.canonical().contains("refusal"));
        let refused = plain
            .clone()
            .refused(RefusalKind::Dissent, "the patient dissented");
        assert!(refused.canonical().ends_with(",\"refusal\":\"dissent\"}"));
        assert_eq!(refused.outcome, Outcome::Refused);
        let read: AuditEvent = serde_json::from_str(&plain.canonical()).unwrap();
        assert_eq!(read.refusal, None);
    }

    #[test]
    fn the_workspace_has_a_label_for_every_kind_and_outcome_and_no_others() {
        let codes = |terms: &[(&str, &str)]| {
            let mut codes: Vec<String> = terms.iter().map(|(c, _)| c.to_string()).collect();
            codes.sort();
            codes
        };
        let mut kinds: Vec<String> = EventKind::ALL.iter().map(|k| k.as_str().into()).collect();
        kinds.sort();
        assert_eq!(codes(&app::audit_terms::EVENT_KINDS), kinds);
        let mut outcomes: Vec<String> = [Outcome::Success, Outcome::Refused, Outcome::Failed]
            .iter()
            .map(|o| o.as_str().into())
            .collect();
        outcomes.sort();
        assert_eq!(codes(&app::audit_terms::OUTCOMES), outcomes);
    }

    #[test]
    fn stored_text_has_hostile_characters_written_out_and_is_bounded() {
        // (text, bound, stored)
        let table: Vec<(String, usize, String)> = vec![
            ("plain".into(), 10, "plain".into()),
            (
                "Zoë Ó Súilleabháin".into(),
                100,
                "Zoë Ó Súilleabháin".into(),
            ),
            ("a\0b".into(), 10, "a\\u{0}b".into()),
            (
                "line\nbreak\tand\r".into(),
                100,
                "line\nbreak\tand\r".into(),
            ),
            ("\u{1b}[2J".into(), 10, "\\u{1b}[2J".into()),
            ("\u{85}\u{7f}".into(), 20, "\\u{85}\\u{7f}".into()),
            ("ab\u{202e}cd".into(), 20, "ab\\u{202e}cd".into()),
            (
                "abcdef".into(),
                4,
                "abcd [2 more characters not stored]".into(),
            ),
            (
                "\0\0\0".into(),
                12,
                "\\u{0}\\u{0} [1 more characters not stored]".into(),
            ),
        ];
        for (text, max, stored) in table {
            assert_eq!(storable_text(&text, max), stored, "{text:?}");
        }
        let request = RequestInfo::default();
        let mut event = AuditEvent::by_user("u1\0", "Dr A", &request, EventKind::Denied);
        event.reason = Some("x".repeat(1_000_000));
        event.user_agent = "y".repeat(1_000_000);
        event.detail = Some("entry Observation/\0".into());
        let stored = event.storable();
        assert_eq!(stored.user_id, "u1\\u{0}");
        assert_eq!(stored.detail.as_deref(), Some("entry Observation/\\u{0}"));
        assert!(stored.reason.as_ref().unwrap().len() < MAX_FREE_TEXT_CHARS + 100);
        assert!(stored.user_agent.len() < MAX_FREE_TEXT_CHARS + 100);
        // A clean event is stored as it is.
        let clean = AuditEvent::by_user("u1", "Dr A", &request, EventKind::SignIn);
        assert_eq!(clean.storable(), clean);
    }

    #[test]
    fn the_canonical_form_changes_with_any_field() {
        let request = RequestInfo::default();
        let event = AuditEvent::by_user("u1", "Dr A", &request, EventKind::SignIn);
        let mut other = event.clone();
        other.user_agent = "x".into();
        assert_ne!(event.canonical(), other.canonical());
        assert_eq!(event.canonical(), event.clone().canonical());
    }
}
