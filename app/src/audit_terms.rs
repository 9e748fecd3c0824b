//! The audit trail's vocabulary as people read it: each event kind, outcome and kind of
//! refusal by its stored code and its label, shared by the server (which writes the codes)
//! and the workspace (which offers them as pick-lists and shows the labels).

use serde::{Deserialize, Serialize};

/// Why a request was refused, as the audit trail names it: one distinct, filterable outcome
/// per rule that can refuse, the words of the refusal itself kept in the event's detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RefusalKind {
    /// A sign-in whose identity could not be proven (a token refused, a sign-in not started
    /// here, the identity provider's refusal).
    SignInRefused,
    /// The caller's role lacks the permission (or, at sign-in, the user has no portal role).
    Role,
    /// A record asked for over the API without a legitimate basis.
    NoBasis,
    /// A basis the role may not give, or a reason too short or unusable.
    BasisRefused,
    /// The patient has dissented and the basis does not override it.
    Dissent,
    /// The patient's wishes could not be checked, so nothing was shown (fail closed).
    ConsentUnknown,
    /// One item asked for by id that the caller may not see.
    Withheld,
    /// Too many requests or sign-in attempts in the period.
    RateLimited,
    /// Something typed as an NHS number that is not one.
    InvalidNhsNumber,
    /// A privacy officer's review of an emergency access they made themselves.
    OwnReview,
    /// Any other request that could not be accepted (a cross-site form, a malformed search).
    InvalidRequest,
}

impl RefusalKind {
    pub const ALL: [RefusalKind; 11] = [
        Self::SignInRefused,
        Self::Role,
        Self::NoBasis,
        Self::BasisRefused,
        Self::Dissent,
        Self::ConsentUnknown,
        Self::Withheld,
        Self::RateLimited,
        Self::InvalidNhsNumber,
        Self::OwnReview,
        Self::InvalidRequest,
    ];

    /// The stored code (`basis-refused`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignInRefused => "sign-in-refused",
            Self::Role => "role",
            Self::NoBasis => "no-basis",
            Self::BasisRefused => "basis-refused",
            Self::Dissent => "dissent",
            Self::ConsentUnknown => "consent-unknown",
            Self::Withheld => "withheld",
            Self::RateLimited => "rate-limited",
            Self::InvalidNhsNumber => "invalid-nhs-number",
            Self::OwnReview => "own-review",
            Self::InvalidRequest => "invalid-request",
        }
    }

    /// How a privacy officer reads it.
    pub fn label(self) -> &'static str {
        match self {
            Self::SignInRefused => "Sign-in refused",
            Self::Role => "Role not permitted",
            Self::NoBasis => "No basis given",
            Self::BasisRefused => "Basis refused",
            Self::Dissent => "Patient dissent",
            Self::ConsentUnknown => "Consent could not be checked",
            Self::Withheld => "Item withheld",
            Self::RateLimited => "Rate limited",
            Self::InvalidNhsNumber => "Invalid NHS number",
            Self::OwnReview => "Review of own access",
            Self::InvalidRequest => "Request not accepted",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == code)
    }
}

/// Every event kind's stored code and label, in the order the pick-list offers them (the
/// server checks that this list and its own kinds agree).
pub const EVENT_KINDS: [(&str, &str); 15] = [
    ("record-view", "Record opened"),
    ("emergency-access", "Emergency access"),
    ("entry-view", "Entry opened"),
    ("timeline-search", "Timeline searched"),
    ("document-view", "Document opened"),
    ("patient-search", "Patient search"),
    ("basis-recorded", "Basis recorded"),
    ("denied", "Refused request"),
    ("sign-in", "Signed in"),
    ("sign-out", "Signed out"),
    ("role-chosen", "Role chosen"),
    ("export", "Export"),
    ("audit-search", "Audit search"),
    ("review", "Emergency access reviewed"),
    ("purge", "Retention purge"),
];

/// Every outcome's stored code and label.
pub const OUTCOMES: [(&str, &str); 3] = [
    ("success", "Succeeded"),
    ("refused", "Refused"),
    ("failed", "Failed"),
];

/// The label for `code` in `terms`, or the code itself when it has none (an event written by
/// a newer version of the portal stays readable).
pub fn label<'a>(terms: &[(&'a str, &'a str)], code: &'a str) -> &'a str {
    terms
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, label)| label)
}

/// One option of a pick-list: the value sent and the words shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

impl Choice {
    pub fn new(value: &str, label: &str) -> Self {
        Self {
            value: value.to_owned(),
            label: label.to_owned(),
        }
    }
}

/// What the workspace's search offers to pick from: the portal's roles, the configured
/// bases, the event kinds, the outcomes and the kinds of refusal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchChoices {
    pub roles: Vec<Choice>,
    pub bases: Vec<Choice>,
    pub kinds: Vec<Choice>,
    pub outcomes: Vec<Choice>,
    pub refusals: Vec<Choice>,
}

impl SearchChoices {
    /// Everything but the bases, which the server's consent policy configures.
    pub fn with_bases(bases: Vec<Choice>) -> Self {
        let terms = |list: &[(&str, &str)]| list.iter().map(|(v, l)| Choice::new(v, l)).collect();
        Self {
            roles: crate::auth::Role::ALL
                .iter()
                .map(|r| Choice::new(r.as_str(), r.label()))
                .collect(),
            bases,
            kinds: terms(&EVENT_KINDS),
            outcomes: terms(&OUTCOMES),
            refusals: RefusalKind::ALL
                .iter()
                .map(|k| Choice::new(k.as_str(), k.label()))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_kind_round_trips_through_its_code_and_serde_agrees() {
        for kind in RefusalKind::ALL {
            assert_eq!(RefusalKind::parse(kind.as_str()), Some(kind));
            assert_eq!(
                serde_json::to_string(&kind).unwrap(),
                format!("\"{}\"", kind.as_str())
            );
        }
        assert_eq!(RefusalKind::parse("refused"), None);
    }

    #[test]
    fn labels_fall_back_to_the_code_and_are_distinct() {
        assert_eq!(label(&EVENT_KINDS, "record-view"), "Record opened");
        assert_eq!(label(&EVENT_KINDS, "from-the-future"), "from-the-future");
        let mut labels: Vec<&str> = RefusalKind::ALL.iter().map(|k| k.label()).collect();
        labels.extend(EVENT_KINDS.iter().map(|(_, l)| *l));
        let count = labels.len();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), count, "two terms share a label");
    }
}
