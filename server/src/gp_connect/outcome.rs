//! What a GP Connect provider's refusal means: the Spine error code in its `OperationOutcome`
//! (`Spine-ErrorOrWarningCode-1`), read into the portal's terms. A patient's dissent and a
//! record the practice cannot return are answers, never "nothing recorded"; anything else is
//! the source failing, as for any other source.

use crate::sources::{SourceError, Withholding};
use serde::Deserialize;

/// The code system (or, as older providers send, value set) of Spine's error codes.
const SPINE_CODES: &str = "Spine-ErrorOrWarningCode-1";

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Outcome {
    resource_type: String,
    issue: Vec<Issue>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Issue {
    details: Option<Concept>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Concept {
    coding: Vec<Coding>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Coding {
    system: Option<String>,
    code: Option<String>,
}

/// The Spine error code an `OperationOutcome` body carries, if it is one and says.
pub fn spine_code(body: &[u8]) -> Option<String> {
    let outcome: Outcome = serde_json::from_slice(body).ok()?;
    if outcome.resource_type != "OperationOutcome" {
        return None;
    }
    outcome
        .issue
        .into_iter()
        .flat_map(|i| i.details.unwrap_or_default().coding)
        .find(|c| {
            c.system
                .as_deref()
                .is_some_and(|s| s.ends_with(SPINE_CODES))
        })
        .and_then(|c| c.code)
        .filter(|c| {
            c.len() <= 64
                && c.chars()
                    .all(|c| c.is_ascii_uppercase() || c == '_' || c == ' ')
        })
}

/// The error a refused request (any status but 200) stands for.
pub fn refusal(status: u16, body: &[u8]) -> SourceError {
    let code = spine_code(body);
    match (status, code.as_deref()) {
        (_, Some("NO_PATIENT_CONSENT")) => SourceError::Withheld(Withholding::Dissent),
        (_, Some("PATIENT_NOT_FOUND")) => SourceError::Withheld(Withholding::Unavailable),
        // Transient (the Spine Secure Proxy's 502/504 are retried before this) or unexplained.
        (500..=599, _) | (_, None) => SourceError::Http(status),
        (_, Some(code)) => SourceError::Refused {
            status,
            code: code.to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// An OperationOutcome as GP Connect's error handling guidance shapes them.
    fn outcome(system: &str, code: &str) -> Vec<u8> {
        json!({
            "resourceType": "OperationOutcome",
            "meta": {"profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-OperationOutcome-1"]},
            "issue": [{
                "severity": "error",
                "code": "invalid",
                "details": {"coding": [{"system": system, "code": code, "display": code}]},
                "diagnostics": "free text a provider writes"
            }]
        })
        .to_string()
        .into_bytes()
    }

    const CODE_SYSTEM: &str = "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1";
    const VALUE_SET: &str = "https://fhir.nhs.uk/STU3/ValueSet/Spine-ErrorOrWarningCode-1";

    #[test]
    fn each_spine_code_is_read_as_the_portal_treats_it() {
        let table: [(u16, Vec<u8>, &str); 12] = [
            (
                403,
                outcome(CODE_SYSTEM, "NO_PATIENT_CONSENT"),
                "withheld: dissent",
            ),
            (
                403,
                outcome(VALUE_SET, "NO_PATIENT_CONSENT"),
                "withheld: dissent",
            ),
            (
                404,
                outcome(CODE_SYSTEM, "PATIENT_NOT_FOUND"),
                "withheld: unavailable",
            ),
            (
                400,
                outcome(CODE_SYSTEM, "INVALID_NHS_NUMBER"),
                "refused INVALID_NHS_NUMBER",
            ),
            (
                400,
                outcome(CODE_SYSTEM, "BAD_REQUEST"),
                "refused BAD_REQUEST",
            ),
            (
                422,
                outcome(CODE_SYSTEM, "INVALID_RESOURCE"),
                "refused INVALID_RESOURCE",
            ),
            (
                422,
                outcome(CODE_SYSTEM, "INVALID_PARAMETER"),
                "refused INVALID_PARAMETER",
            ),
            (
                403,
                outcome(CODE_SYSTEM, "ACCESS DENIED"),
                "refused ACCESS DENIED",
            ),
            (
                500,
                outcome(CODE_SYSTEM, "INTERNAL_SERVER_ERROR"),
                "http 500",
            ),
            // A code from another system is not a Spine code.
            (
                403,
                outcome("https://example.org/codes", "NO_PATIENT_CONSENT"),
                "http 403",
            ),
            (404, b"<html>Not found</html>".to_vec(), "http 404"),
            // A code that is not a code (a provider's free text in the code slot).
            (
                400,
                outcome(CODE_SYSTEM, "<script>alert(1)</script>"),
                "http 400",
            ),
        ];
        for (status, body, want) in table {
            let got = match refusal(status, &body) {
                SourceError::Withheld(Withholding::Dissent) => "withheld: dissent".to_owned(),
                SourceError::Withheld(Withholding::Unavailable) => {
                    "withheld: unavailable".to_owned()
                }
                SourceError::Refused { code, .. } => format!("refused {code}"),
                SourceError::Http(status) => format!("http {status}"),
                other => format!("{other:?}"),
            };
            assert_eq!(got, want, "{status} {}", String::from_utf8_lossy(&body));
        }
    }

    #[test]
    fn dissent_and_unavailability_are_answers_not_faults() {
        for body in [
            outcome(CODE_SYSTEM, "NO_PATIENT_CONSENT"),
            outcome(CODE_SYSTEM, "PATIENT_NOT_FOUND"),
        ] {
            assert!(refusal(403, &body).is_an_answer());
        }
        assert!(!refusal(422, &outcome(CODE_SYSTEM, "INVALID_PARAMETER")).is_an_answer());
    }
}
