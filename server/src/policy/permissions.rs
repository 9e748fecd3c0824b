//! The permission matrix: which portal role holds which permissions (safe defaults, overridable
//! in `[permissions]`), and which permission each timeline entry needs before a role sees it.

use app::auth::{Permission, Role};
use app::model::{Category, SourceKind, TimelineEntry};
use std::collections::{BTreeMap, BTreeSet};

/// Role → permissions. Built once from the defaults and the config's overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionMatrix {
    grants: BTreeMap<Role, BTreeSet<Permission>>,
}

/// Everything a clinician may open, subject to consent and sensitivity rules.
const CLINICAL: &[Permission] = &[
    Permission::FindPatient,
    Permission::Summary,
    Permission::Medications,
    Permission::Problems,
    Permission::Results,
    Permission::Encounters,
    Permission::Documents,
    Permission::MentalHealthDetail,
    Permission::SocialCareAssessments,
];

impl PermissionMatrix {
    /// The documented defaults (README "Roles"): clinicians see clinical records, call
    /// handlers a limited summary, audit officers the audit workspace, admins operations.
    pub fn defaults() -> Self {
        let grants = Role::ALL
            .into_iter()
            .map(|role| {
                let permissions: &[Permission] = match role {
                    Role::AeClinician | Role::UrgentCareClinician => CLINICAL,
                    Role::CallHandler => &[Permission::FindPatient, Permission::Summary],
                    Role::AuditOfficer => &[Permission::Audit],
                    Role::Admin => &[Permission::Operations],
                };
                (role, permissions.iter().copied().collect())
            })
            .collect();
        Self { grants }
    }

    /// The defaults with each role named in `overrides` given exactly the listed permissions.
    /// Unknown role or permission names are reported, each with the key to fix.
    pub fn with_overrides(overrides: &BTreeMap<String, Vec<String>>) -> Result<Self, Vec<String>> {
        let mut matrix = Self::defaults();
        let mut problems = Vec::new();
        for (role_name, names) in overrides {
            let Some(role) = Role::parse(role_name) else {
                problems.push(format!(
                    "permissions.{role_name}: unknown role (roles: {})",
                    Role::ALL.map(Role::as_str).join(", ")
                ));
                continue;
            };
            let mut granted = BTreeSet::new();
            for name in names {
                match Permission::parse(name) {
                    Some(p) => {
                        granted.insert(p);
                    }
                    None => problems.push(format!(
                        "permissions.{role_name}: unknown permission {name:?} (permissions: {})",
                        Permission::ALL.map(Permission::as_str).join(", ")
                    )),
                }
            }
            matrix.grants.insert(role, granted);
        }
        if problems.is_empty() {
            Ok(matrix)
        } else {
            Err(problems)
        }
    }

    pub fn allows(&self, role: Role, permission: Permission) -> bool {
        self.grants
            .get(&role)
            .is_some_and(|granted| granted.contains(&permission))
    }

    /// The role's permissions, in a stable order.
    pub fn permissions(&self, role: Role) -> Vec<Permission> {
        self.grants
            .get(&role)
            .map(|granted| granted.iter().copied().collect())
            .unwrap_or_default()
    }
}

/// The part of a record an entry belongs to: the permission a role needs to see it, before
/// the source-kind rule in [`shows`].
pub fn entry_part(entry: &TimelineEntry) -> Permission {
    match entry.category {
        Category::Allergy | Category::Alert | Category::CarePlan | Category::PatientDetails => {
            Permission::Summary
        }
        Category::Medication if is_current_medication(entry) => Permission::Summary,
        Category::Medication | Category::Immunisation => Permission::Medications,
        Category::Problem | Category::Procedure => Permission::Problems,
        Category::Observation | Category::Report => Permission::Results,
        Category::Encounter | Category::Episode => Permission::Encounters,
        Category::Document => Permission::Documents,
    }
}

/// A medicine the patient is taking now. No status means we cannot tell, so it is not counted
/// as current (the summary never shows a medicine that may have been stopped).
fn is_current_medication(entry: &TimelineEntry) -> bool {
    matches!(
        entry.status.as_deref(),
        Some("active" | "on-hold" | "intended")
    )
}

/// Whether a role holding `permissions` sees `entry` from a source of `kind`: it needs the
/// entry's part, and beyond the summary a mental-health or social-care source also needs
/// mental-health detail or social-care assessments.
pub fn shows(permissions: &[Permission], kind: SourceKind, entry: &TimelineEntry) -> bool {
    let part = entry_part(entry);
    let source_rule = match (kind, part) {
        (_, Permission::Summary) => None,
        (SourceKind::MentalHealth, _) => Some(Permission::MentalHealthDetail),
        (SourceKind::SocialCare, _) => Some(Permission::SocialCareAssessments),
        _ => None,
    };
    permissions.contains(&part) && source_rule.is_none_or(|p| permissions.contains(&p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(category: Category, status: Option<&str>) -> TimelineEntry {
        TimelineEntry {
            date: None,
            category,
            title: "t".into(),
            detail: None,
            status: status.map(str::to_owned),
            source_id: "s".into(),
            resource_type: "X".into(),
            resource_id: "1".into(),
            codes: vec![],
            security: vec![],
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

    #[test]
    fn default_matrix() {
        use Permission::*;
        use Role::*;
        let m = PermissionMatrix::defaults();
        // (role, permission, allowed)
        let table = [
            (AeClinician, FindPatient, true),
            (AeClinician, Documents, true),
            (AeClinician, MentalHealthDetail, true),
            (AeClinician, Audit, false),
            (AeClinician, Operations, false),
            (UrgentCareClinician, Results, true),
            (UrgentCareClinician, SocialCareAssessments, true),
            (UrgentCareClinician, Audit, false),
            (CallHandler, FindPatient, true),
            (CallHandler, Summary, true),
            (CallHandler, Medications, false),
            (CallHandler, Documents, false),
            (CallHandler, MentalHealthDetail, false),
            (CallHandler, SocialCareAssessments, false),
            (CallHandler, Audit, false),
            (AuditOfficer, Audit, true),
            (AuditOfficer, FindPatient, false),
            (AuditOfficer, Summary, false),
            (Admin, Operations, true),
            (Admin, FindPatient, false),
            (Admin, Summary, false),
            (Admin, Audit, false),
        ];
        for (role, permission, allowed) in table {
            assert_eq!(m.allows(role, permission), allowed, "{role} {permission:?}");
        }
    }

    #[test]
    fn overrides_replace_a_roles_list_and_unknown_names_are_reported() {
        let overrides = BTreeMap::from([(
            "call-handler".to_owned(),
            vec![
                "find-patient".to_owned(),
                "summary".to_owned(),
                "results".to_owned(),
            ],
        )]);
        let m = PermissionMatrix::with_overrides(&overrides).unwrap();
        assert!(m.allows(Role::CallHandler, Permission::Results));
        assert!(
            m.allows(Role::AeClinician, Permission::Documents),
            "others keep defaults"
        );

        let bad = BTreeMap::from([
            ("superuser".to_owned(), vec![]),
            ("admin".to_owned(), vec!["everything".to_owned()]),
        ]);
        let problems = PermissionMatrix::with_overrides(&bad).unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems
            .iter()
            .any(|p| p.contains("permissions.superuser: unknown role")));
        assert!(problems
            .iter()
            .any(|p| p.contains("unknown permission \"everything\"")));
    }

    #[test]
    fn what_a_call_handler_and_a_clinician_see() {
        use Category::*;
        use SourceKind::*;
        let handler = PermissionMatrix::defaults().permissions(Role::CallHandler);
        let clinician = PermissionMatrix::defaults().permissions(Role::AeClinician);
        // (source kind, category, status, call handler sees, clinician sees)
        let table = [
            (Gp, Allergy, None, true, true),
            (Gp, Alert, None, true, true),
            (SocialCare, CarePlan, Some("active"), true, true),
            (MentalHealth, CarePlan, Some("active"), true, true),
            (Gp, Medication, Some("active"), true, true),
            (Gp, Medication, Some("stopped"), false, true),
            (Gp, Medication, None, false, true),
            (Gp, Immunisation, None, false, true),
            (Gp, Problem, Some("active"), false, true),
            (Acute, Observation, None, false, true),
            (Acute, Report, None, false, true),
            (Acute, Encounter, None, false, true),
            (Acute, Document, None, false, true),
            (MentalHealth, Encounter, None, false, true),
            (SocialCare, Document, None, false, true),
        ];
        for (kind, category, status, handler_sees, clinician_sees) in table {
            let e = entry(category, status);
            assert_eq!(
                shows(&handler, kind, &e),
                handler_sees,
                "{kind:?} {category:?} {status:?}"
            );
            assert_eq!(
                shows(&clinician, kind, &e),
                clinician_sees,
                "{kind:?} {category:?}"
            );
        }
    }

    #[test]
    fn mental_health_and_social_care_detail_need_their_own_permission() {
        let without_mh: Vec<Permission> = CLINICAL
            .iter()
            .copied()
            .filter(|p| *p != Permission::MentalHealthDetail)
            .collect();
        let encounter = entry(Category::Encounter, None);
        assert!(!shows(&without_mh, SourceKind::MentalHealth, &encounter));
        assert!(shows(&without_mh, SourceKind::Acute, &encounter));
        assert!(shows(&without_mh, SourceKind::SocialCare, &encounter));
        assert!(shows(
            &without_mh,
            SourceKind::MentalHealth,
            &entry(Category::Allergy, None)
        ));
        // Nothing at all for roles without record permissions.
        for role in [Role::AuditOfficer, Role::Admin] {
            let p = PermissionMatrix::defaults().permissions(role);
            for category in [Category::Allergy, Category::Medication, Category::Document] {
                assert!(!shows(&p, SourceKind::Gp, &entry(category, Some("active"))));
            }
        }
    }
}
