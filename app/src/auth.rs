//! Who is looking: portal roles, the permissions a role may hold, and the signed-in viewer the
//! server hands to pages. Decisions are made on the server; the browser only uses these to hide
//! what the server already refuses.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A portal role. Staff may hold several and pick one active role after signing in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Emergency department clinician.
    AeClinician,
    /// Out-of-hours or NHS 111 clinician.
    UrgentCareClinician,
    /// NHS 111 non-clinical call handler: a limited summary only.
    CallHandler,
    /// Privacy officer: the audit workspace, no clinical data.
    AuditOfficer,
    /// Operations: portal health and configuration, no clinical data.
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Self::AeClinician,
        Self::UrgentCareClinician,
        Self::CallHandler,
        Self::AuditOfficer,
        Self::Admin,
    ];

    /// The role's name in configuration, claims and audit (`ae-clinician`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AeClinician => "ae-clinician",
            Self::UrgentCareClinician => "urgent-care-clinician",
            Self::CallHandler => "call-handler",
            Self::AuditOfficer => "audit-officer",
            Self::Admin => "admin",
        }
    }

    /// The role as staff see it.
    pub fn label(self) -> &'static str {
        match self {
            Self::AeClinician => "A&E clinician",
            Self::UrgentCareClinician => "Urgent care clinician",
            Self::CallHandler => "Call handler",
            Self::AuditOfficer => "Audit officer",
            Self::Admin => "Administrator",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something a role may be allowed to do or see. The record parts are checked per timeline
/// entry on the server; see `server::policy` for the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Permission {
    /// Look a patient up by NHS number or demographics.
    FindPatient,
    /// Allergies, current medications, alerts and flags, end-of-life preferences, care plans
    /// and their contacts.
    Summary,
    /// All medications, including past ones, and immunisations.
    Medications,
    /// Problems, diagnoses and procedures.
    Problems,
    /// Observations, test results and reports.
    Results,
    /// Encounters, admissions and episodes of care.
    Encounters,
    /// Clinical documents and letters.
    Documents,
    /// More than the summary from a mental-health source.
    MentalHealthDetail,
    /// More than the summary from a social-care source.
    SocialCareAssessments,
    /// The audit workspace.
    Audit,
    /// Operational pages: source health and configuration.
    Operations,
}

impl Permission {
    pub const ALL: [Permission; 11] = [
        Self::FindPatient,
        Self::Summary,
        Self::Medications,
        Self::Problems,
        Self::Results,
        Self::Encounters,
        Self::Documents,
        Self::MentalHealthDetail,
        Self::SocialCareAssessments,
        Self::Audit,
        Self::Operations,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::FindPatient => "find-patient",
            Self::Summary => "summary",
            Self::Medications => "medications",
            Self::Problems => "problems",
            Self::Results => "results",
            Self::Encounters => "encounters",
            Self::Documents => "documents",
            Self::MentalHealthDetail => "mental-health-detail",
            Self::SocialCareAssessments => "social-care-assessments",
            Self::Audit => "audit",
            Self::Operations => "operations",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// The signed-in member of staff with their active role, as pages see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    /// Stable user id from the identity provider (e.g. the CIS2 UUID).
    pub user_id: String,
    pub name: String,
    pub role: Role,
    /// ODS code of the organisation the active role is held at, when the provider says.
    pub organisation: Option<String>,
    /// Other roles this person may switch to.
    pub other_roles: usize,
    /// What the active role allows (decided on the server).
    pub permissions: Vec<Permission>,
    /// Echoed in forms that change state (sign-out, role choice).
    pub csrf_token: String,
}

impl Viewer {
    pub fn may(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }

    /// True when the role sees only the limited summary of a record.
    pub fn summary_only(&self) -> bool {
        self.may(Permission::Summary)
            && ![
                Permission::Medications,
                Permission::Problems,
                Permission::Results,
                Permission::Encounters,
                Permission::Documents,
            ]
            .iter()
            .any(|p| self.may(*p))
    }
}

/// A role a signed-in person may choose, with where it is held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleChoice {
    pub role: Role,
    pub organisation: Option<String>,
}

/// A browser session as pages see it: who, the active role if chosen, the roles to choose from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedIn {
    pub name: String,
    pub viewer: Option<Viewer>,
    pub choices: Vec<RoleChoice>,
    /// Echoed in the sign-out and role forms.
    pub csrf_token: String,
}

/// An identity provider staff may sign in with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInOption {
    pub id: String,
    pub name: String,
}

/// Percent-encodes a query-string value (for `next=` links).
pub fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
        }
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.as_str()), Some(p));
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(json, format!("\"{}\"", p.as_str()));
        }
        assert_eq!(Role::parse("superuser"), None);
        assert_eq!(Permission::parse("everything"), None);
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(
            encode_query_value("/record?nhs=943 476&x=1"),
            "/record%3Fnhs%3D943%20476%26x%3D1"
        );
        assert_eq!(encode_query_value("/"), "/");
    }

    #[test]
    fn summary_only_means_no_clinical_detail() {
        let mut viewer = Viewer {
            user_id: "u".into(),
            name: "n".into(),
            role: Role::CallHandler,
            organisation: None,
            other_roles: 0,
            permissions: vec![Permission::FindPatient, Permission::Summary],
            csrf_token: String::new(),
        };
        assert!(viewer.summary_only());
        viewer.permissions.push(Permission::Results);
        assert!(!viewer.summary_only());
        viewer.permissions.clear();
        assert!(!viewer.summary_only());
    }
}

/// Where a request came from, for the audit trail: never shown to other users.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestInfo {
    /// Random id given to this request by the portal (also in its logs).
    pub request_id: String,
    /// The client's address as the portal's listener saw it.
    pub client: String,
    pub user_agent: String,
}

/// Who is asking, in which role, on what legitimate basis and from where: resolved by the
/// server's access layer for every request with an active role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub viewer: Viewer,
    pub basis: crate::consent::BasisSource,
    pub request: RequestInfo,
}
