//! Confidentiality labels (HL7 v3 Confidentiality: `U`, `L`, `M`, `N`, `R`, `V`) as sources
//! really send them: under any of the code system's names (R4, DSTU2/STU3, its OID), in
//! `meta.security` or `meta.tag`, read into one spelling so the policy checks one. Where a label
//! cannot be read it fails closed: a bare `R` or `V` in `meta.security` counts, and a
//! Confidentiality coding with an unknown code counts as very restricted.

use super::datatypes::Coding;
use app::model::Code;

/// The one spelling the portal keeps: the R4 canonical URL of v3 Confidentiality.
pub const CONFIDENTIALITY: &str = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";

/// The names v3 Confidentiality has gone by, compared without scheme, `urn:oid:`, case,
/// version or trailing slash.
const SYSTEM_NAMES: [&str; 7] = [
    "terminology.hl7.org/codesystem/v3-confidentiality",
    "hl7.org/fhir/v3/confidentiality",
    "hl7.org/fhir/codesystem/v3-confidentiality",
    "hl7.org/fhir/valueset/v3-confidentiality",
    "hl7.org/fhir/valueset/v3-confidentialityclassification",
    "terminology.hl7.org/valueset/v3-confidentialityclassification",
    "2.16.840.1.113883.5.25",
];

/// The codes of v3 Confidentiality.
const CODES: [&str; 6] = ["U", "L", "M", "N", "R", "V"];

/// True when `system` names v3 Confidentiality, however spelt.
pub fn is_confidentiality_system(system: &str) -> bool {
    let lower = system.trim().to_ascii_lowercase();
    let unversioned = lower.split('|').next().unwrap_or_default();
    let bare = ["urn:oid:", "oid:", "https://", "http://"]
        .iter()
        .find_map(|prefix| unversioned.strip_prefix(prefix))
        .unwrap_or(unversioned);
    SYSTEM_NAMES.contains(&bare.trim_end_matches('/'))
}

/// A Confidentiality code in its one spelling (`r` → `R`); an unknown or missing code in that
/// system is read as `V` (fail closed).
fn canonical_code(code: Option<&str>) -> &'static str {
    let code = code.unwrap_or_default().trim().to_ascii_uppercase();
    CODES.iter().find(|c| **c == code).copied().unwrap_or("V")
}

/// The resource's security labels: every `meta.security` coding (Confidentiality ones in the
/// one spelling, a system-less `R` or `V` read as Confidentiality, others kept as sent when
/// they name a system and code), plus Confidentiality labels sent in `meta.tag`.
pub fn security_labels(security: &[Coding], tag: &[Coding]) -> Vec<Code> {
    let mut labels: Vec<Code> = Vec::new();
    let confidentiality =
        |c: &Coding| Code::new(CONFIDENTIALITY, canonical_code(c.code.as_deref()));
    for c in security {
        let system = c.system.as_deref().map(str::trim).unwrap_or_default();
        let code = c.code.as_deref().map(str::trim).unwrap_or_default();
        let bare_label =
            system.is_empty() && matches!(code.to_ascii_uppercase().as_str(), "R" | "V");
        let label = if is_confidentiality_system(system) || bare_label {
            Some(confidentiality(c))
        } else if !system.is_empty() && !code.is_empty() {
            Some(Code::new(system, code))
        } else {
            None
        };
        labels.extend(label);
    }
    labels.extend(
        tag.iter()
            .filter(|c| c.system.as_deref().is_some_and(is_confidentiality_system))
            .map(confidentiality),
    );
    let mut unique = Vec::with_capacity(labels.len());
    for label in labels {
        if !unique.contains(&label) {
            unique.push(label);
        }
    }
    unique
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coding(system: Option<&str>, code: Option<&str>) -> Coding {
        Coding {
            system: system.map(str::to_owned),
            code: code.map(str::to_owned),
            display: None,
        }
    }

    #[test]
    fn every_spelling_of_the_system_is_recognised() {
        // (system, recognised)
        let table = [
            (
                "http://terminology.hl7.org/CodeSystem/v3-Confidentiality",
                true,
            ),
            (
                "https://terminology.hl7.org/CodeSystem/v3-Confidentiality",
                true,
            ),
            (
                "http://terminology.hl7.org/CodeSystem/v3-Confidentiality/",
                true,
            ),
            (
                "http://terminology.hl7.org/CodeSystem/v3-Confidentiality|2.0.0",
                true,
            ),
            ("http://hl7.org/fhir/v3/Confidentiality", true),
            ("http://hl7.org/fhir/v3/confidentiality", true),
            ("http://hl7.org/fhir/CodeSystem/v3-Confidentiality", true),
            (
                "http://hl7.org/fhir/ValueSet/v3-ConfidentialityClassification",
                true,
            ),
            ("urn:oid:2.16.840.1.113883.5.25", true),
            ("URN:OID:2.16.840.1.113883.5.25", true),
            (" urn:oid:2.16.840.1.113883.5.25 ", true),
            ("2.16.840.1.113883.5.25", true),
            ("oid:2.16.840.1.113883.5.25", true),
            // Not Confidentiality: other security systems, a longer OID, look-alikes.
            ("http://terminology.hl7.org/CodeSystem/v3-ActCode", false),
            ("urn:oid:2.16.840.1.113883.5.251", false),
            ("urn:oid:2.16.840.1.113883.5.2", false),
            ("http://example.org/v3-Confidentiality", false),
            ("", false),
        ];
        for (system, expected) in table {
            assert_eq!(is_confidentiality_system(system), expected, "{system:?}");
        }
    }

    #[test]
    fn labels_are_read_into_one_spelling() {
        let v = || Code::new(CONFIDENTIALITY, "V");
        let r = || Code::new(CONFIDENTIALITY, "R");
        let other = || Code::new("http://terminology.hl7.org/CodeSystem/v3-ActCode", "ETH");
        // (meta.security, meta.tag, labels)
        let table: Vec<(Vec<Coding>, Vec<Coding>, Vec<Code>)> = vec![
            (vec![], vec![], vec![]),
            (
                vec![coding(Some(CONFIDENTIALITY), Some("V"))],
                vec![],
                vec![v()],
            ),
            (
                vec![coding(
                    Some("http://hl7.org/fhir/v3/Confidentiality"),
                    Some("V"),
                )],
                vec![],
                vec![v()],
            ),
            (
                vec![coding(Some("urn:oid:2.16.840.1.113883.5.25"), Some("R"))],
                vec![],
                vec![r()],
            ),
            (
                vec![coding(Some(CONFIDENTIALITY), Some(" r "))],
                vec![],
                vec![r()],
            ),
            (
                vec![coding(Some(CONFIDENTIALITY), Some("N"))],
                vec![],
                vec![Code::new(CONFIDENTIALITY, "N")],
            ),
            // Fail closed: a bare R or V, an unknown or missing Confidentiality code.
            (vec![coding(None, Some("V"))], vec![], vec![v()]),
            (vec![coding(Some(""), Some("v"))], vec![], vec![v()]),
            (vec![coding(None, Some("R"))], vec![], vec![r()]),
            (
                vec![coding(Some(CONFIDENTIALITY), Some("X"))],
                vec![],
                vec![v()],
            ),
            (vec![coding(Some(CONFIDENTIALITY), None)], vec![], vec![v()]),
            // Labels sent as tags count; other tags do not.
            (
                vec![],
                vec![coding(
                    Some("http://hl7.org/fhir/v3/Confidentiality"),
                    Some("V"),
                )],
                vec![v()],
            ),
            (vec![], vec![coding(None, Some("V"))], vec![]),
            (
                vec![],
                vec![coding(Some("https://example.org/workflow"), Some("V"))],
                vec![],
            ),
            // Other security labels are kept as sent; codings without system or code dropped.
            (
                vec![
                    coding(
                        Some("http://terminology.hl7.org/CodeSystem/v3-ActCode"),
                        Some("ETH"),
                    ),
                    coding(None, Some("no-system")),
                    coding(Some("http://example.org"), None),
                ],
                vec![],
                vec![other()],
            ),
            // One label however many times it is sent.
            (
                vec![
                    coding(Some(CONFIDENTIALITY), Some("V")),
                    coding(Some("urn:oid:2.16.840.1.113883.5.25"), Some("V")),
                ],
                vec![coding(Some(CONFIDENTIALITY), Some("V"))],
                vec![v()],
            ),
        ];
        for (security, tag, expected) in table {
            assert_eq!(
                security_labels(&security, &tag),
                expected,
                "{security:?} {tag:?}"
            );
        }
    }
}
