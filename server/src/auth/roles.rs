//! From a verified token's claims to the portal roles its holder may take: national RBAC
//! entries (`nhsid_nrbac_roles`, only the `selected_roleid` one when the provider selected a
//! role) through the configured mapping, plus portal role names in the configurable claim
//! (not when a role is selected). Role codes are read strictly (`S…:G…:R…` or `R…`).

use super::config::IdentityConfig;
use super::verify::Claims;
use app::auth::Role;

/// One role a person may act in, and where it is held.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RoleGrant {
    pub role: Role,
    /// ODS code of the organisation the role is held at, when the provider says.
    pub organisation: Option<String>,
}

/// Every portal role the claims grant, without duplicates, in a stable order.
pub fn grants(claims: &Claims, config: &IdentityConfig) -> Vec<RoleGrant> {
    let mut grants: Vec<RoleGrant> = Vec::new();
    let entries = claims.nhsid_nrbac_roles.iter().filter(|entry| {
        claims
            .selected_roleid
            .as_ref()
            .is_none_or(|selected| entry.person_roleid.as_ref() == Some(selected))
    });
    for entry in entries {
        let Some(code) = access_role(&entry.role_code) else {
            continue;
        };
        for mapping in &config.rbac_roles {
            let at_org = mapping.organisations.is_empty()
                || entry
                    .org_code
                    .as_ref()
                    .is_some_and(|org| mapping.organisations.contains(org));
            if mapping.code == code && at_org {
                grants.push(RoleGrant {
                    role: mapping.role,
                    organisation: entry.org_code.clone(),
                });
            }
        }
    }
    // A provider-selected role is the one role of this session or token: nothing is added.
    let named = match claims.other.get(&config.role_claim) {
        _ if claims.selected_roleid.is_some() => Vec::new(),
        Some(serde_json::Value::String(one)) => vec![one.as_str()],
        Some(serde_json::Value::Array(many)) => many.iter().filter_map(|v| v.as_str()).collect(),
        _ => Vec::new(),
    };
    grants.extend(
        named
            .into_iter()
            .filter_map(Role::parse)
            .map(|role| RoleGrant {
                role,
                organisation: None,
            }),
    );
    let mut unique: Vec<RoleGrant> = Vec::with_capacity(grants.len());
    for grant in grants {
        if !unique.contains(&grant) {
            unique.push(grant);
        }
    }
    unique
}

/// The access role (`R…`) of a national RBAC role code, written exactly `S<n>:G<n>:R<n>` or
/// `R<n>`; anything else (extra segments, letters, blanks) holds no role.
fn access_role(role_code: &str) -> Option<&str> {
    let segment = |s: &str, prefix: char| {
        s.strip_prefix(prefix)
            .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
    };
    let parts: Vec<&str> = role_code.split(':').collect();
    match parts.as_slice() {
        [r] if segment(r, 'R') => Some(r),
        [s, g, r] if segment(s, 'S') && segment(g, 'G') && segment(r, 'R') => Some(r),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::config::RbacRoleMapping;

    fn config() -> IdentityConfig {
        IdentityConfig {
            rbac_roles: vec![
                RbacRoleMapping {
                    code: "R8000".into(),
                    role: Role::AeClinician,
                    organisations: vec!["RX1".into()],
                },
                RbacRoleMapping {
                    code: "R8000".into(),
                    role: Role::UrgentCareClinician,
                    organisations: vec!["Y0111".into()],
                },
                RbacRoleMapping {
                    code: "R8008".into(),
                    role: Role::CallHandler,
                    organisations: vec![],
                },
                RbacRoleMapping {
                    code: "R0001".into(),
                    role: Role::AuditOfficer,
                    organisations: vec![],
                },
            ],
            ..Default::default()
        }
    }

    fn claims(json: serde_json::Value) -> Claims {
        let mut base = serde_json::json!({"iss": "https://idp", "sub": "u1"});
        base.as_object_mut()
            .unwrap()
            .extend(json.as_object().unwrap().clone());
        serde_json::from_value(base).unwrap()
    }

    fn roles(json: serde_json::Value) -> Vec<(Role, Option<String>)> {
        grants(&claims(json), &config())
            .into_iter()
            .map(|g| (g.role, g.organisation))
            .collect()
    }

    #[test]
    fn claims_to_roles() {
        use serde_json::json;
        let rx1 = Some("RX1".to_owned());
        let ooh = Some("Y0111".to_owned());
        let table = [
            // (claims, expected roles)
            (json!({}), vec![]),
            (
                json!({"nhsid_nrbac_roles": [{"person_roleid": "1", "org_code": "RX1", "role_code": "S8000:G8000:R8000"}]}),
                vec![(Role::AeClinician, rx1.clone())],
            ),
            // The same RBAC code at another organisation maps by the organisation.
            (
                json!({"nhsid_nrbac_roles": [{"person_roleid": "2", "org_code": "Y0111", "role_code": "S8000:G8000:R8000"}]}),
                vec![(Role::UrgentCareClinician, ooh.clone())],
            ),
            // An unmapped organisation grants nothing.
            (
                json!({"nhsid_nrbac_roles": [{"org_code": "ZZZ", "role_code": "S8000:G8000:R8000"}]}),
                vec![],
            ),
            // Unknown codes grant nothing.
            (
                json!({"nhsid_nrbac_roles": [{"org_code": "RX1", "role_code": "S1:G1:R9999"}]}),
                vec![],
            ),
            // Two entries, no selection: both roles, to choose from.
            (
                json!({"nhsid_nrbac_roles": [
                    {"person_roleid": "1", "org_code": "RX1", "role_code": "S8000:G8000:R8000"},
                    {"person_roleid": "2", "org_code": "Y0111", "role_code": "S8000:G8000:R8000"}]}),
                vec![
                    (Role::AeClinician, rx1.clone()),
                    (Role::UrgentCareClinician, ooh.clone()),
                ],
            ),
            // A selected role: only that entry counts.
            (
                json!({"selected_roleid": "2", "nhsid_nrbac_roles": [
                    {"person_roleid": "1", "org_code": "RX1", "role_code": "S8000:G8000:R8000"},
                    {"person_roleid": "2", "org_code": "Y0111", "role_code": "S8000:G8000:R8000"}]}),
                vec![(Role::UrgentCareClinician, ooh.clone())],
            ),
            // A selection matching no entry: nothing (deny).
            (
                json!({"selected_roleid": "9", "nhsid_nrbac_roles": [
                    {"person_roleid": "1", "org_code": "RX1", "role_code": "S8000:G8000:R8000"}]}),
                vec![],
            ),
            // The portal role claim, as a list or one string; unknown names ignored.
            (
                json!({"portal_roles": ["admin", "root"]}),
                vec![(Role::Admin, None)],
            ),
            (
                json!({"portal_roles": "audit-officer"}),
                vec![(Role::AuditOfficer, None)],
            ),
            (json!({"portal_roles": 7}), vec![]),
            // Duplicates collapse.
            (
                json!({"portal_roles": ["admin", "admin"], "nhsid_nrbac_roles": [
                    {"org_code": "A1", "role_code": "R0001"}, {"org_code": "A1", "role_code": "R0001"}]}),
                vec![
                    (Role::AuditOfficer, Some("A1".to_owned())),
                    (Role::Admin, None),
                ],
            ),
        ];
        for (json, expected) in table {
            assert_eq!(roles(json.clone()), expected, "{json}");
        }
    }

    #[test]
    fn a_selected_role_is_the_only_role_and_role_codes_parse_strictly() {
        use serde_json::json;
        let rx1 = Some("RX1".to_owned());
        let table = [
            // With a selected role the portal role claim adds nothing.
            (
                json!({"selected_roleid": "1", "portal_roles": ["admin"], "nhsid_nrbac_roles": [
                    {"person_roleid": "1", "org_code": "RX1", "role_code": "S8000:G8000:R8000"}]}),
                vec![(Role::AeClinician, rx1.clone())],
            ),
            (
                json!({"selected_roleid": "9", "portal_roles": ["admin"], "nhsid_nrbac_roles": [
                    {"person_roleid": "1", "org_code": "RX1", "role_code": "S8000:G8000:R8000"}]}),
                vec![],
            ),
            (
                json!({"selected_roleid": "1", "portal_roles": "audit-officer"}),
                vec![],
            ),
            // Only `S<n>:G<n>:R<n>` or `R<n>` name a role.
            (
                json!({"nhsid_nrbac_roles": [{"org_code": "RX1", "role_code": "R8000"}]}),
                vec![(Role::AeClinician, rx1.clone())],
            ),
            (
                json!({"nhsid_nrbac_roles": [{"org_code": "RX1", "role_code": "S8000:G8001:R8008:R8000"}]}),
                vec![],
            ),
            (
                json!({"nhsid_nrbac_roles": [{"org_code": "RX1", "role_code": "R8008:R8000"}]}),
                vec![],
            ),
            (
                json!({"nhsid_nrbac_roles": [{"org_code": "RX1", "role_code": "S8000:G8000:R8000 "}]}),
                vec![],
            ),
            (
                json!({"nhsid_nrbac_roles": [{"org_code": "RX1", "role_code": "S8000:G8000:"}]}),
                vec![],
            ),
            (
                json!({"nhsid_nrbac_roles": [{"org_code": "RX1", "role_code": "X8000:G8000:R8000"}]}),
                vec![],
            ),
            (
                json!({"nhsid_nrbac_roles": [{"org_code": "RX1", "role_code": ":R8000"}]}),
                vec![],
            ),
        ];
        for (json, expected) in table {
            assert_eq!(roles(json.clone()), expected, "{json}");
        }
    }
}
