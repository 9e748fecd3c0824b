//! The one decision function: may this viewer, with this legitimate basis, open this patient's
//! record (given the patient's consent state), and may they see this item (given its
//! security labels, codes, source kind and category)? Pure; every view and API route asks it,
//! after the cache. Each refusal and withholding carries its reason.

use super::permissions::shows;
use crate::fhir::consent::{ConsentDirective, ProvisionType};
use app::auth::{Permission, Role, Viewer};
use app::consent::{check_text, Basis, BasisOption, TextProblem, EMERGENCY, PERMISSION_GIVEN};
use app::model::{Code, SourceKind, TimelineEntry};
use serde::Deserialize;
use std::time::Duration;

#[cfg(test)]
use crate::fhir::labels::CONFIDENTIALITY;

/// One legitimate basis staff may give, and who may give it (`[[consent.bases]]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasisRule {
    /// The code staff and API callers give (`permission-given`, `emergency`, ...).
    pub code: String,
    /// How the prompt names it.
    pub label: String,
    /// What choosing it means, in a sentence.
    #[serde(default)]
    pub hint: String,
    pub roles: Vec<Role>,
    /// Minimum length of the written reason; 0 when none is needed.
    #[serde(default)]
    pub reason_min_chars: usize,
    /// Whether this basis opens the record of a patient who has dissented.
    #[serde(default)]
    pub overrides_dissent: bool,
}

impl BasisRule {
    /// The rule as the prompt offers it.
    pub fn option(&self) -> BasisOption {
        BasisOption {
            code: self.code.clone(),
            label: self.label.clone(),
            hint: self.hint.clone(),
            reason_min_chars: self.reason_min_chars,
        }
    }
}

/// A named list of sensitive codes (e.g. sexual health), withheld unless the basis allows
/// (`[[consent.sensitive]]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensitiveList {
    pub name: String,
    pub system: String,
    pub codes: Vec<String>,
}

/// The configurable parts of the consent policy (`[consent]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsentPolicy {
    pub bases: Vec<BasisRule>,
    /// How long a recorded basis lasts for one patient within a session, in seconds.
    pub basis_lifetime_s: u64,
    /// Longest written reason accepted, in characters (every basis).
    pub max_reason_chars: usize,
    /// Roles that see items labelled restricted (`R`). Very restricted (`V`) is never shown
    /// in the shared view: only the holding organisation can show it.
    pub restricted_roles: Vec<Role>,
    pub sensitive: Vec<SensitiveList>,
    /// Bases under which sensitive-coded items are shown (default: none).
    pub sensitive_bases: Vec<String>,
}

impl Default for ConsentPolicy {
    /// Clinicians may give either basis; call handlers only `permission-given`; an emergency
    /// needs a 20-character reason and may open a dissenting patient's record. A basis lasts
    /// an hour. No sensitive code lists: each deployment loads its own (README).
    fn default() -> Self {
        let clinicians = vec![Role::AeClinician, Role::UrgentCareClinician];
        Self {
            bases: vec![
                BasisRule {
                    code: PERMISSION_GIVEN.to_owned(),
                    label: "The patient has given permission".to_owned(),
                    hint: "You asked the patient (or their representative) at the point of care and they agreed to their record being viewed.".to_owned(),
                    roles: vec![
                        Role::AeClinician,
                        Role::UrgentCareClinician,
                        Role::CallHandler,
                    ],
                    reason_min_chars: 0,
                    overrides_dissent: false,
                },
                BasisRule {
                    code: EMERGENCY.to_owned(),
                    label: "Emergency: the patient cannot give permission".to_owned(),
                    hint: "For example unconscious or lacking capacity, and viewing is in their vital interest. Give your reason: every emergency access is reviewed by the privacy officer.".to_owned(),
                    roles: clinicians.clone(),
                    reason_min_chars: 20,
                    overrides_dissent: true,
                },
            ],
            basis_lifetime_s: 3600,
            max_reason_chars: 500,
            restricted_roles: clinicians,
            sensitive: Vec::new(),
            sensitive_bases: Vec::new(),
        }
    }
}

impl ConsentPolicy {
    /// How long a recorded basis lasts.
    pub fn basis_lifetime(&self) -> Duration {
        Duration::from_secs(self.basis_lifetime_s)
    }

    /// The bases `role` may give, as the prompt offers them.
    pub fn options_for(&self, role: Role) -> Vec<BasisOption> {
        self.bases
            .iter()
            .filter(|r| r.roles.contains(&role))
            .map(BasisRule::option)
            .collect()
    }

    /// The basis that opens a dissenting patient's record for `role`, if any.
    pub fn dissent_override_for(&self, role: Role) -> Option<BasisOption> {
        self.bases
            .iter()
            .find(|r| r.overrides_dissent && r.roles.contains(&role))
            .map(BasisRule::option)
    }

    /// What is wrong with this policy, each naming its key.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.bases.is_empty() {
            problems.push(
                "consent.bases: at least one basis is needed, or no record can ever be opened"
                    .to_owned(),
            );
        }
        for (i, rule) in self.bases.iter().enumerate() {
            let at = format!("consent.bases[{i}]");
            let well_formed = !rule.code.is_empty()
                && rule
                    .code
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !well_formed {
                problems.push(format!(
                    "{at}: code must be lowercase letters, digits and hyphens"
                ));
            }
            if self.bases[..i].iter().any(|r| r.code == rule.code) {
                problems.push(format!(
                    "{at}: code {:?} is used by an earlier basis",
                    rule.code
                ));
            }
            if rule.label.trim().is_empty() {
                problems.push(format!("{at}: label must not be empty"));
            }
            if rule.overrides_dissent && rule.reason_min_chars < 10 {
                problems.push(format!(
                    "{at}: a basis that overrides dissent must ask for a reason of at least 10 characters (reason_min_chars)"
                ));
            }
        }
        let longest_min = self.bases.iter().map(|r| r.reason_min_chars).max();
        if !(longest_min.unwrap_or(0).max(1)..=4_000).contains(&self.max_reason_chars) {
            problems.push(
                "consent.max_reason_chars must be between every basis's reason_min_chars and 4000"
                    .to_owned(),
            );
        }
        if self.basis_lifetime_s == 0 || self.basis_lifetime_s > 12 * 3600 {
            problems.push("consent.basis_lifetime_s must be between 1 and 43200".to_owned());
        }
        for code in &self.sensitive_bases {
            if !self.bases.iter().any(|r| &r.code == code) {
                problems.push(format!(
                    "consent.sensitive_bases: {code:?} is not a configured basis"
                ));
            }
        }
        for (i, list) in self.sensitive.iter().enumerate() {
            if list.name.trim().is_empty() || list.system.trim().is_empty() || list.codes.is_empty()
            {
                problems.push(format!(
                    "consent.sensitive[{i}]: needs a name, a system and at least one code"
                ));
            }
        }
        problems
    }
}

/// The patient's wishes as the sources record them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsentState {
    NoObjection,
    /// An active directive refusing sharing, at `source_id`.
    Dissent {
        source_id: String,
    },
    /// No objection was read, but sources that can hold one did not answer about consent
    /// (they failed, or their consent records could not all be read): the patient may have
    /// objected. Consent unknown is not consent.
    Unknown {
        source_ids: Vec<String>,
    },
}

impl ConsentState {
    /// Dissent when any source holds an active `deny` directive for sharing that has not
    /// ended by `today` (`YYYY-MM-DD`).
    pub fn from_directives<'a>(
        directives: impl IntoIterator<Item = (&'a str, &'a ConsentDirective)>,
        today: &str,
    ) -> Self {
        directives
            .into_iter()
            .find(|(_, d)| {
                d.status == "active"
                    && d.provision == Some(ProvisionType::Deny)
                    && d.provision_end.as_deref().is_none_or(|end| end >= today)
            })
            .map(|(source_id, _)| ConsentState::Dissent {
                source_id: source_id.to_owned(),
            })
            .unwrap_or(ConsentState::NoObjection)
    }

    /// Counts the sources (`unread`) that can hold an objection but whose consent could not
    /// be read: a recorded objection still wins; otherwise no objection becomes unknown.
    pub fn unless_unread(self, unread: Vec<String>) -> Self {
        match self {
            ConsentState::NoObjection if !unread.is_empty() => {
                ConsentState::Unknown { source_ids: unread }
            }
            known => known,
        }
    }
}

/// What the policy decided, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// The item exists but is not shown; the view shows a marker in its place.
    Withhold(Withheld),
    /// The record (or item) is not opened at all.
    Deny(Refusal),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Withheld {
    #[error("not shown to your role")]
    NotForRole,
    #[error("restricted at the source")]
    Restricted,
    #[error("very restricted: only the holding organisation can show it")]
    VeryRestricted,
    /// Coded on a sensitive list. Which list is never said (its name would tell the
    /// diagnosis): not on the page, not in the API, not in the audit trail.
    #[error("sensitive information: not shown in the shared record")]
    Sensitive,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("your role cannot open patient records")]
    RoleCannotView,
    #[error("record why you are opening this record first")]
    NoBasis,
    #[error("your role cannot open a record on the basis {0:?}")]
    BasisNotAllowed(String),
    #[error("give a reason of at least {0} characters")]
    ReasonTooShort(usize),
    /// Too long, invisible, or with control or text-reordering characters.
    #[error("{}", .0.message("reason"))]
    ReasonRefused(TextProblem),
    #[error("the patient has asked for their record not to be shared")]
    Dissent,
    #[error("the patient's wishes about sharing could not be checked")]
    ConsentUnknown,
}

/// The decision for opening the record (`item` is `None`) or for one item of it.
pub fn decide(
    policy: &ConsentPolicy,
    viewer: &Viewer,
    basis: Option<&Basis>,
    consent: &ConsentState,
    item: Option<(SourceKind, &TimelineEntry)>,
) -> Decision {
    if !viewer.may(Permission::FindPatient) {
        return Decision::Deny(Refusal::RoleCannotView);
    }
    let Some(basis) = basis else {
        return Decision::Deny(Refusal::NoBasis);
    };
    let Some(rule) = policy
        .bases
        .iter()
        .find(|r| r.code == basis.code && r.roles.contains(&viewer.role))
    else {
        return Decision::Deny(Refusal::BasisNotAllowed(basis.code.clone()));
    };
    match check_text(
        &basis.reason,
        rule.reason_min_chars,
        policy.max_reason_chars,
    ) {
        Ok(()) => {}
        Err(TextProblem::TooShort(min)) => return Decision::Deny(Refusal::ReasonTooShort(min)),
        Err(other) => return Decision::Deny(Refusal::ReasonRefused(other)),
    }
    match consent {
        ConsentState::NoObjection => {}
        _ if rule.overrides_dissent => {}
        ConsentState::Dissent { .. } => return Decision::Deny(Refusal::Dissent),
        ConsentState::Unknown { .. } => return Decision::Deny(Refusal::ConsentUnknown),
    }
    let Some((kind, entry)) = item else {
        return Decision::Allow;
    };
    if !shows(&viewer.permissions, kind, entry) {
        return Decision::Withhold(Withheld::NotForRole);
    }
    if let Some(why) = labels_withhold(policy, viewer, &entry.security) {
        return Decision::Withhold(why);
    }
    if sensitive_list(policy, &entry.codes).is_some()
        && !policy.sensitive_bases.contains(&basis.code)
    {
        return Decision::Withhold(Withheld::Sensitive);
    }
    Decision::Allow
}

/// What an item's or a Patient's confidentiality labels alone withhold from this viewer:
/// `V` from everyone, `R` from roles outside `restricted_roles`.
pub fn labels_withhold(
    policy: &ConsentPolicy,
    viewer: &Viewer,
    security: &[Code],
) -> Option<Withheld> {
    if has_label(security, "V") {
        Some(Withheld::VeryRestricted)
    } else if has_label(security, "R") && !policy.restricted_roles.contains(&viewer.role) {
        Some(Withheld::Restricted)
    } else {
        None
    }
}

/// A v3 Confidentiality label under any spelling of its system, or with none (fail closed:
/// the reader keeps one spelling, this check does not rely on it).
fn has_label(security: &[Code], code: &str) -> bool {
    security.iter().any(|c| {
        (c.system.trim().is_empty() || crate::fhir::labels::is_confidentiality_system(&c.system))
            && c.code.trim().eq_ignore_ascii_case(code)
    })
}

fn sensitive_list<'a>(policy: &'a ConsentPolicy, codes: &[Code]) -> Option<&'a SensitiveList> {
    policy.sensitive.iter().find(|list| {
        codes
            .iter()
            .any(|c| c.system == list.system && list.codes.contains(&c.code))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PermissionMatrix;
    use app::model::Category;

    const SNOMED: &str = "http://snomed.info/sct";
    /// A synthetic "sexual health" code list for the tests.
    const SEXUAL_HEALTH_CODE: &str = "999000011000001104";

    fn policy() -> ConsentPolicy {
        ConsentPolicy {
            sensitive: vec![SensitiveList {
                name: "sexual health".into(),
                system: SNOMED.into(),
                codes: vec![SEXUAL_HEALTH_CODE.into()],
            }],
            ..ConsentPolicy::default()
        }
    }

    fn viewer(role: Role) -> Viewer {
        Viewer {
            user_id: "u".into(),
            name: "n".into(),
            role,
            organisation: None,
            other_roles: 0,
            permissions: PermissionMatrix::defaults().permissions(role),
            csrf_token: String::new(),
        }
    }

    fn item(category: Category, label: Option<&str>, code: Option<&str>) -> TimelineEntry {
        TimelineEntry {
            date: None,
            category,
            title: "t".into(),
            detail: None,
            status: Some("active".into()),
            source_id: "s".into(),
            resource_type: "X".into(),
            resource_id: "1".into(),
            codes: code.map(|c| Code::new(SNOMED, c)).into_iter().collect(),
            security: label
                .map(|l| Code::new(CONFIDENTIALITY, l))
                .into_iter()
                .collect(),
            also_recorded_at: vec![],
            discrepancy: None,
            measurement: None,
            attachments: Vec::new(),
            until: None,
            setting: None,
            reason_codes: Vec::new(),
            reason_refs: Vec::new(),
            entered_in_error: false,
            full_detail: None,
        }
    }

    const REASON: &str = "Unconscious on arrival, no family present";

    #[test]
    fn opening_a_record() {
        use Refusal::*;
        use Role::*;
        let none = ConsentState::NoObjection;
        let dissent = ConsentState::Dissent {
            source_id: "gp".into(),
        };
        let unknown = ConsentState::Unknown {
            source_ids: vec!["gp".into()],
        };
        let given = Some(Basis::new(PERMISSION_GIVEN, ""));
        let emergency = Some(Basis::new(EMERGENCY, REASON));
        let short = Some(Basis::new(EMERGENCY, "unconscious"));
        let blank = Some(Basis::new(EMERGENCY, "                         "));
        let made_up = Some(Basis::new("curiosity", "just looking at it for fun"));
        // (role, basis, consent state, decision)
        let table: Vec<(Role, Option<Basis>, &ConsentState, Decision)> = vec![
            (AeClinician, given.clone(), &none, Decision::Allow),
            (AeClinician, emergency.clone(), &none, Decision::Allow),
            (AeClinician, None, &none, Decision::Deny(NoBasis)),
            (
                AeClinician,
                short.clone(),
                &none,
                Decision::Deny(ReasonTooShort(20)),
            ),
            (
                AeClinician,
                blank.clone(),
                &none,
                Decision::Deny(ReasonTooShort(20)),
            ),
            (
                AeClinician,
                made_up.clone(),
                &none,
                Decision::Deny(BasisNotAllowed("curiosity".into())),
            ),
            (
                AeClinician,
                given.clone(),
                &dissent,
                Decision::Deny(Dissent),
            ),
            (AeClinician, emergency.clone(), &dissent, Decision::Allow),
            (
                AeClinician,
                short.clone(),
                &dissent,
                Decision::Deny(ReasonTooShort(20)),
            ),
            (UrgentCareClinician, given.clone(), &none, Decision::Allow),
            (
                UrgentCareClinician,
                emergency.clone(),
                &none,
                Decision::Allow,
            ),
            (UrgentCareClinician, None, &dissent, Decision::Deny(NoBasis)),
            (
                UrgentCareClinician,
                given.clone(),
                &dissent,
                Decision::Deny(Dissent),
            ),
            (
                UrgentCareClinician,
                emergency.clone(),
                &dissent,
                Decision::Allow,
            ),
            (CallHandler, given.clone(), &none, Decision::Allow),
            (
                CallHandler,
                emergency.clone(),
                &none,
                Decision::Deny(BasisNotAllowed(EMERGENCY.into())),
            ),
            (CallHandler, None, &none, Decision::Deny(NoBasis)),
            (
                CallHandler,
                given.clone(),
                &dissent,
                Decision::Deny(Dissent),
            ),
            (
                CallHandler,
                emergency.clone(),
                &dissent,
                Decision::Deny(BasisNotAllowed(EMERGENCY.into())),
            ),
            (
                AuditOfficer,
                given.clone(),
                &none,
                Decision::Deny(RoleCannotView),
            ),
            (
                AuditOfficer,
                emergency.clone(),
                &dissent,
                Decision::Deny(RoleCannotView),
            ),
            (Admin, given.clone(), &none, Decision::Deny(RoleCannotView)),
            (Admin, None, &none, Decision::Deny(RoleCannotView)),
            // Consent unknown (a source that can hold an objection did not say): only a basis
            // that may override dissent opens the record.
            (
                AeClinician,
                given.clone(),
                &unknown,
                Decision::Deny(ConsentUnknown),
            ),
            (AeClinician, emergency.clone(), &unknown, Decision::Allow),
            (
                AeClinician,
                short.clone(),
                &unknown,
                Decision::Deny(ReasonTooShort(20)),
            ),
            (
                UrgentCareClinician,
                given.clone(),
                &unknown,
                Decision::Deny(ConsentUnknown),
            ),
            (
                UrgentCareClinician,
                emergency.clone(),
                &unknown,
                Decision::Allow,
            ),
            (
                CallHandler,
                given.clone(),
                &unknown,
                Decision::Deny(ConsentUnknown),
            ),
            (
                CallHandler,
                emergency.clone(),
                &unknown,
                Decision::Deny(BasisNotAllowed(EMERGENCY.into())),
            ),
            (CallHandler, None, &unknown, Decision::Deny(NoBasis)),
            (
                AuditOfficer,
                emergency.clone(),
                &unknown,
                Decision::Deny(RoleCannotView),
            ),
        ];
        for (role, basis, consent, expected) in table {
            let got = decide(&policy(), &viewer(role), basis.as_ref(), consent, None);
            assert_eq!(got, expected, "{role} {basis:?} {consent:?}");
        }
    }

    #[test]
    fn items_by_role_label_code_and_source() {
        use Category::*;
        use Role::*;
        use SourceKind::*;
        use Withheld::*;
        let none = ConsentState::NoObjection;
        let given = Basis::new(PERMISSION_GIVEN, "");
        let emergency = Basis::new(EMERGENCY, REASON);
        let allow = Decision::Allow;
        let w = Decision::Withhold;
        // (role, basis, source kind, category, label, code, decision)
        let table = [
            (AeClinician, &given, Gp, Problem, None, None, allow.clone()),
            (
                AeClinician,
                &given,
                Gp,
                Problem,
                Some("N"),
                None,
                allow.clone(),
            ),
            (
                AeClinician,
                &given,
                Gp,
                Problem,
                Some("R"),
                None,
                allow.clone(),
            ),
            (
                AeClinician,
                &emergency,
                Acute,
                Document,
                Some("R"),
                None,
                allow.clone(),
            ),
            (
                AeClinician,
                &given,
                Gp,
                Problem,
                Some("V"),
                None,
                w(VeryRestricted),
            ),
            (
                AeClinician,
                &emergency,
                Gp,
                Problem,
                Some("V"),
                None,
                w(VeryRestricted),
            ),
            (
                AeClinician,
                &given,
                Gp,
                Problem,
                None,
                Some(SEXUAL_HEALTH_CODE),
                w(Sensitive),
            ),
            (
                AeClinician,
                &emergency,
                Gp,
                Problem,
                None,
                Some(SEXUAL_HEALTH_CODE),
                w(Sensitive),
            ),
            (
                AeClinician,
                &given,
                Gp,
                Problem,
                None,
                Some("38341003"),
                allow.clone(),
            ),
            (
                AeClinician,
                &given,
                MentalHealth,
                Encounter,
                None,
                None,
                allow.clone(),
            ),
            (
                AeClinician,
                &given,
                SocialCare,
                Document,
                None,
                None,
                allow.clone(),
            ),
            (
                UrgentCareClinician,
                &given,
                MentalHealth,
                Document,
                Some("R"),
                None,
                allow.clone(),
            ),
            (
                UrgentCareClinician,
                &given,
                Acute,
                Observation,
                Some("V"),
                None,
                w(VeryRestricted),
            ),
            (CallHandler, &given, Gp, Allergy, None, None, allow.clone()),
            (
                CallHandler,
                &given,
                Gp,
                Medication,
                None,
                None,
                allow.clone(),
            ),
            (
                CallHandler,
                &given,
                Gp,
                Allergy,
                Some("R"),
                None,
                w(Restricted),
            ),
            (
                CallHandler,
                &given,
                Gp,
                Allergy,
                Some("V"),
                None,
                w(VeryRestricted),
            ),
            (
                CallHandler,
                &given,
                Gp,
                Alert,
                None,
                Some(SEXUAL_HEALTH_CODE),
                w(Sensitive),
            ),
            (CallHandler, &given, Gp, Problem, None, None, w(NotForRole)),
            (
                CallHandler,
                &given,
                Acute,
                Document,
                None,
                None,
                w(NotForRole),
            ),
            (
                CallHandler,
                &given,
                MentalHealth,
                Encounter,
                None,
                None,
                w(NotForRole),
            ),
            (
                CallHandler,
                &given,
                SocialCare,
                CarePlan,
                None,
                None,
                allow.clone(),
            ),
            (
                CallHandler,
                &given,
                MentalHealth,
                Allergy,
                None,
                None,
                allow.clone(),
            ),
        ];
        for (role, basis, kind, category, label, code, expected) in table {
            let entry = item(category, label, code);
            let got = decide(
                &policy(),
                &viewer(role),
                Some(basis),
                &none,
                Some((kind, &entry)),
            );
            assert_eq!(
                got, expected,
                "{role} {} {kind:?} {category:?} {label:?} {code:?}",
                basis.code
            );
        }
    }

    #[test]
    fn items_of_a_dissenting_patient_opened_in_an_emergency() {
        let dissent = ConsentState::Dissent {
            source_id: "gp".into(),
        };
        let emergency = Basis::new(EMERGENCY, REASON);
        let given = Basis::new(PERMISSION_GIVEN, "");
        // (role, basis, kind, category, label, decision): the override opens the record,
        // never the items the role or labels withhold.
        let table = [
            (
                Role::AeClinician,
                &emergency,
                SourceKind::Gp,
                Category::Problem,
                None,
                Decision::Allow,
            ),
            (
                Role::AeClinician,
                &emergency,
                SourceKind::SocialCare,
                Category::Document,
                Some("R"),
                Decision::Allow,
            ),
            (
                Role::AeClinician,
                &emergency,
                SourceKind::Gp,
                Category::Document,
                Some("V"),
                Decision::Withhold(Withheld::VeryRestricted),
            ),
            (
                Role::AeClinician,
                &given,
                SourceKind::Gp,
                Category::Problem,
                None,
                Decision::Deny(Refusal::Dissent),
            ),
            (
                Role::CallHandler,
                &given,
                SourceKind::Gp,
                Category::Allergy,
                None,
                Decision::Deny(Refusal::Dissent),
            ),
        ];
        for (role, basis, kind, category, label, expected) in table {
            let entry = item(category, label, None);
            let got = decide(
                &policy(),
                &viewer(role),
                Some(basis),
                &dissent,
                Some((kind, &entry)),
            );
            assert_eq!(
                got, expected,
                "{role} {} {kind:?} {category:?} {label:?}",
                basis.code
            );
        }
    }

    #[test]
    fn the_prompt_offers_each_role_its_bases() {
        let p = ConsentPolicy::default();
        let codes =
            |role| -> Vec<String> { p.options_for(role).into_iter().map(|o| o.code).collect() };
        assert_eq!(codes(Role::AeClinician), [PERMISSION_GIVEN, EMERGENCY]);
        assert_eq!(
            codes(Role::UrgentCareClinician),
            [PERMISSION_GIVEN, EMERGENCY]
        );
        assert_eq!(codes(Role::CallHandler), [PERMISSION_GIVEN]);
        assert!(codes(Role::AuditOfficer).is_empty());
        assert_eq!(
            p.dissent_override_for(Role::AeClinician).map(|o| o.code),
            Some(EMERGENCY.to_owned())
        );
        assert_eq!(p.dissent_override_for(Role::CallHandler), None);
    }

    #[test]
    fn bad_policies_are_refused_naming_the_key() {
        let with = |change: fn(&mut ConsentPolicy)| {
            let mut p = ConsentPolicy::default();
            change(&mut p);
            p.problems().join("; ")
        };
        assert_eq!(with(|_| {}), "");
        // (change, words the problem must contain)
        type Change = fn(&mut ConsentPolicy);
        let table: [(Change, &str); 7] = [
            (|p| p.bases.clear(), "consent.bases: at least one basis"),
            (
                |p| p.bases[0].code = "Permission Given".into(),
                "consent.bases[0]: code must be",
            ),
            (
                |p| p.bases[1].code = PERMISSION_GIVEN.into(),
                "consent.bases[1]: code \"permission-given\" is used",
            ),
            (|p| p.bases[0].label = " ".into(), "consent.bases[0]: label"),
            (
                |p| p.bases[1].reason_min_chars = 0,
                "consent.bases[1]: a basis that overrides dissent",
            ),
            (|p| p.basis_lifetime_s = 0, "consent.basis_lifetime_s"),
            (
                |p| p.sensitive_bases = vec!["curiosity".into()],
                "consent.sensitive_bases: \"curiosity\"",
            ),
        ];
        for (change, expected) in table {
            let problems = with(change);
            assert!(
                problems.contains(expected),
                "{expected:?} not in {problems:?}"
            );
        }
    }

    #[test]
    fn reasons_are_bounded_and_must_be_visible_plain_text() {
        let v = viewer(Role::AeClinician);
        let none = ConsentState::NoObjection;
        let refused = |problem| Decision::Deny(Refusal::ReasonRefused(problem));
        // (basis code, reason, decision)
        let table = [
            (EMERGENCY, REASON.to_owned(), Decision::Allow),
            (EMERGENCY, "x".repeat(500), Decision::Allow),
            (
                EMERGENCY,
                "x".repeat(501),
                refused(TextProblem::TooLong(500)),
            ),
            (
                EMERGENCY,
                "\u{200B}".repeat(20),
                Decision::Deny(Refusal::ReasonTooShort(20)),
            ),
            (
                EMERGENCY,
                format!("{REASON}\0"),
                refused(TextProblem::ControlCharacter),
            ),
            (
                EMERGENCY,
                format!("{REASON}\u{202E}"),
                refused(TextProblem::DirectionalControl),
            ),
            (
                PERMISSION_GIVEN,
                "\0".to_owned(),
                refused(TextProblem::ControlCharacter),
            ),
            (
                PERMISSION_GIVEN,
                "\u{200B}".to_owned(),
                refused(TextProblem::Invisible),
            ),
        ];
        for (code, reason, expected) in table {
            let basis = Basis::new(code, &reason);
            let decided = decide(&ConsentPolicy::default(), &v, Some(&basis), &none, None);
            let start: String = reason.chars().take(40).collect();
            assert_eq!(decided, expected, "{code} {start:?}");
        }
        let p = ConsentPolicy {
            max_reason_chars: 10,
            ..ConsentPolicy::default()
        };
        assert!(p.problems().join("; ").contains("consent.max_reason_chars"));
    }

    #[test]
    fn every_spelling_of_a_confidentiality_label_withholds() {
        use Withheld::*;
        let given = Basis::new(PERMISSION_GIVEN, "");
        let none = ConsentState::NoObjection;
        // (system, code, clinician's decision, call handler's decision). Labels as the FHIR
        // reader keeps them and as they might reach the policy another way: both withhold.
        let table = [
            (
                CONFIDENTIALITY,
                "V",
                Some(VeryRestricted),
                Some(VeryRestricted),
            ),
            (
                "http://hl7.org/fhir/v3/Confidentiality",
                "V",
                Some(VeryRestricted),
                Some(VeryRestricted),
            ),
            (
                "urn:oid:2.16.840.1.113883.5.25",
                "V",
                Some(VeryRestricted),
                Some(VeryRestricted),
            ),
            (
                "URN:OID:2.16.840.1.113883.5.25",
                "v",
                Some(VeryRestricted),
                Some(VeryRestricted),
            ),
            ("", "V", Some(VeryRestricted), Some(VeryRestricted)),
            (
                "http://hl7.org/fhir/v3/Confidentiality",
                "R",
                None,
                Some(Restricted),
            ),
            (
                "urn:oid:2.16.840.1.113883.5.25",
                "R",
                None,
                Some(Restricted),
            ),
            ("", "R", None, Some(Restricted)),
            (CONFIDENTIALITY, "N", None, None),
            // Another system's V is not a confidentiality label.
            (
                "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                "V",
                None,
                None,
            ),
        ];
        for (system, code, clinician, handler) in table {
            let mut entry = item(Category::Allergy, None, None);
            entry.security = vec![Code::new(system, code)];
            for (role, expected) in [(Role::AeClinician, clinician), (Role::CallHandler, handler)] {
                let got = decide(
                    &policy(),
                    &viewer(role),
                    Some(&given),
                    &none,
                    Some((SourceKind::Gp, &entry)),
                );
                let expected = expected.map_or(Decision::Allow, Decision::Withhold);
                assert_eq!(got, expected, "{role} {system:?} {code:?}");
                assert_eq!(
                    labels_withhold(&policy(), &viewer(role), &entry.security),
                    match expected {
                        Decision::Withhold(why) => Some(why),
                        _ => None,
                    },
                    "a Patient labelled so: {role} {system:?} {code:?}"
                );
            }
        }
    }

    #[test]
    fn no_reason_names_a_sensitive_list() {
        let p = policy();
        let reasons = [
            Withheld::NotForRole,
            Withheld::Restricted,
            Withheld::VeryRestricted,
            Withheld::Sensitive,
        ]
        .map(|w| w.to_string());
        for list in &p.sensitive {
            for reason in &reasons {
                assert!(!reason.contains(&list.name), "{reason:?}");
            }
        }
        let entry = item(Category::Problem, None, Some(SEXUAL_HEALTH_CODE));
        let got = decide(
            &p,
            &viewer(Role::AeClinician),
            Some(&Basis::new(PERMISSION_GIVEN, "")),
            &ConsentState::NoObjection,
            Some((SourceKind::Gp, &entry)),
        );
        assert_eq!(
            got,
            Decision::Withhold(Withheld::Sensitive),
            "withheld, saying only that it is sensitive"
        );
        assert!(!format!("{got:?}").contains("sexual"), "{got:?}");
    }

    #[test]
    fn a_basis_can_be_configured_to_show_sensitive_items() {
        let mut p = policy();
        p.sensitive_bases.push(EMERGENCY.into());
        let entry = item(Category::Problem, None, Some(SEXUAL_HEALTH_CODE));
        let none = ConsentState::NoObjection;
        let emergency = Basis::new(EMERGENCY, REASON);
        let given = Basis::new(PERMISSION_GIVEN, "");
        let v = viewer(Role::AeClinician);
        assert_eq!(
            decide(
                &p,
                &v,
                Some(&emergency),
                &none,
                Some((SourceKind::Gp, &entry))
            ),
            Decision::Allow
        );
        assert!(matches!(
            decide(&p, &v, Some(&given), &none, Some((SourceKind::Gp, &entry))),
            Decision::Withhold(Withheld::Sensitive)
        ));
    }

    #[test]
    fn dissent_comes_from_active_unexpired_deny_directives() {
        let directive =
            |status: &str, provision: Option<ProvisionType>, end: Option<&str>| ConsentDirective {
                id: "c".into(),
                status: status.into(),
                scope: vec![],
                category: vec![],
                policy_rule: vec![],
                provision,
                provision_end: end.map(str::to_owned),
                date_time: None,
                patient: None,
            };
        let today = "2026-11-22";
        let dissent = || ConsentState::Dissent {
            source_id: "gp".into(),
        };
        // (directive, state)
        let table = [
            (
                directive("active", Some(ProvisionType::Deny), None),
                dissent(),
            ),
            (
                directive("active", Some(ProvisionType::Deny), Some("2030-01-01")),
                dissent(),
            ),
            (
                directive("active", Some(ProvisionType::Deny), Some("2026-11-22")),
                dissent(),
            ),
            (
                directive("active", Some(ProvisionType::Deny), Some("2026-11-21")),
                ConsentState::NoObjection,
            ),
            (
                directive("inactive", Some(ProvisionType::Deny), None),
                ConsentState::NoObjection,
            ),
            (
                directive("entered-in-error", Some(ProvisionType::Deny), None),
                ConsentState::NoObjection,
            ),
            (
                directive("active", Some(ProvisionType::Permit), None),
                ConsentState::NoObjection,
            ),
            (directive("active", None, None), ConsentState::NoObjection),
        ];
        for (d, expected) in table {
            assert_eq!(
                ConsentState::from_directives([("gp", &d)], today),
                expected,
                "{d:?}"
            );
        }
        assert_eq!(
            ConsentState::from_directives([], today),
            ConsentState::NoObjection
        );
    }

    #[test]
    fn unread_consent_makes_no_objection_unknown_but_never_hides_an_objection() {
        let unknown = |ids: &[&str]| ConsentState::Unknown {
            source_ids: ids.iter().map(|s| s.to_string()).collect(),
        };
        let dissent = ConsentState::Dissent {
            source_id: "acute".into(),
        };
        // (state read, sources whose consent is unread, result)
        let table = [
            (ConsentState::NoObjection, vec![], ConsentState::NoObjection),
            (ConsentState::NoObjection, vec!["gp"], unknown(&["gp"])),
            (
                ConsentState::NoObjection,
                vec!["gp", "mental-health"],
                unknown(&["gp", "mental-health"]),
            ),
            (dissent.clone(), vec!["gp"], dissent.clone()),
            (dissent.clone(), vec![], dissent.clone()),
        ];
        for (state, unread, expected) in table {
            let unread: Vec<String> = unread.iter().map(|s| s.to_string()).collect();
            assert_eq!(
                state.clone().unless_unread(unread.clone()),
                expected,
                "{state:?} {unread:?}"
            );
        }
    }
}
