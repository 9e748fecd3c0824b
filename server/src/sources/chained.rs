//! Checks on a chained search's answer (`<Type>?patient.identifier=<system>|<nhs>`): whether
//! the source applied the chain at all (a server that ignores an unknown parameter returns
//! every resource of the type), and whether a reference names one of the Patients the Patient
//! search confirmed. Nothing from a chained search is shown until both hold.

use crate::fhir::{resource_type, Bundle};
use url::Url;

/// Whether the source applied the chained parameter `param` to this page: no OperationOutcome
/// came with it, and its `self` link (servers echo the parameters they used there) still
/// carries `param`. A page without a `self` link is taken as applied; its entries are still
/// each checked against the confirmed Patients.
pub fn applied(bundle: &Bundle, param: &str) -> bool {
    let outcome = bundle.entry.iter().any(|e| {
        e.search
            .as_ref()
            .and_then(|s| s.mode.as_deref())
            .is_some_and(|m| m == "outcome")
            || e.resource
                .as_deref()
                .and_then(|r| resource_type(r.get()))
                .is_some_and(|t| t == "OperationOutcome")
    });
    if outcome {
        return false;
    }
    let Some(link) = bundle.link.iter().find(|l| l.relation == "self") else {
        return true;
    };
    let Ok(url) = Url::parse("http://self.invalid/").and_then(|b| b.join(&link.url)) else {
        return false;
    };
    let wanted = canonical(param);
    url.query_pairs()
        .any(|(name, _)| canonical(&name) == wanted)
}

/// A chained parameter's name without its type modifier (`subject:Patient.identifier` and
/// `subject.identifier` name the same chain).
fn canonical(name: &str) -> String {
    name.replace(":Patient.", ".")
}

/// Whether `reference` names one of `ids`' Patients on this source (`Patient/<id>`, optionally
/// versioned, or absolute under `base`). A Patient on another server, a logical reference, or
/// anything else is not one of them.
pub fn names_one_of(reference: &str, ids: &[String], base: &Url) -> bool {
    let reference = reference
        .split_once("/_history/")
        .map_or(reference, |(r, _)| r);
    let base = format!("{}/", base.as_str().trim_end_matches('/'));
    let local = match reference.strip_prefix(&base) {
        Some(local) => local,
        None if reference.contains(':') => return false,
        None => reference,
    };
    local
        .strip_prefix("Patient/")
        .is_some_and(|id| ids.iter().any(|ours| ours == id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(self_link: Option<&str>, extra_entry: &str) -> Bundle {
        let link = self_link.map_or(String::new(), |u| {
            format!(r#""link":[{{"relation":"self","url":"{u}"}}],"#)
        });
        Bundle::parse(
            format!(
                r#"{{"resourceType":"Bundle","type":"searchset",{link}"entry":[
                {{"resource":{{"resourceType":"Condition","id":"c1"}}}}{extra_entry}]}}"#
            )
            .as_bytes(),
        )
        .unwrap()
    }

    #[test]
    fn a_chain_counts_as_applied_only_when_the_self_link_keeps_it_and_no_outcome_came() {
        let outcome = r#",{"resource":{"resourceType":"OperationOutcome","issue":[{"severity":"warning","code":"not-supported"}]},"search":{"mode":"outcome"}}"#;
        let outcome_untyped =
            r#",{"resource":{"resourceType":"Basic"},"search":{"mode":"outcome"}}"#;
        // (self link, extra entry, chain param, applied)
        let table = [
            (
                Some("http://x/fhir/Condition?patient.identifier=https%3A%2F%2Ffhir.nhs.uk%2FId%2Fnhs-number%7C9434765919&_count=100"),
                "",
                "patient.identifier",
                true,
            ),
            (
                Some("Condition?subject%3APatient.identifier=s%7C1"),
                "",
                "subject:Patient.identifier",
                true,
            ),
            (
                Some("http://x/fhir/Observation?subject.identifier=s%7C1"),
                "",
                "subject:Patient.identifier",
                true,
            ),
            // The server dropped the parameter it does not know: every Condition it holds.
            (
                Some("http://x/fhir/Condition?_count=100"),
                "",
                "patient.identifier",
                false,
            ),
            (
                Some("http://x/fhir/Condition?patient=123"),
                "",
                "patient.identifier",
                false,
            ),
            (None, "", "patient.identifier", true),
            (None, outcome, "patient.identifier", false),
            (None, outcome_untyped, "patient.identifier", false),
            (
                Some("http://x/fhir/Condition?patient.identifier=s%7C1"),
                outcome,
                "patient.identifier",
                false,
            ),
            (Some("http://[bad"), "", "patient.identifier", false),
        ];
        for (link, extra, param, expected) in table {
            assert_eq!(
                applied(&page(link, extra), param),
                expected,
                "{link:?} {extra} {param}"
            );
        }
    }

    #[test]
    fn only_references_to_the_confirmed_patients_on_this_source_count() {
        let base = Url::parse("https://fhir.example.org/R4/").unwrap();
        let ids = vec!["p1".to_owned(), "p-2.x".to_owned()];
        // (reference, ours)
        let table = [
            ("Patient/p1", true),
            ("Patient/p-2.x", true),
            ("Patient/p1/_history/3", true),
            ("https://fhir.example.org/R4/Patient/p1", true),
            ("https://fhir.example.org/R4/Patient/p1/_history/1", true),
            ("Patient/p2", false),
            ("Patient/p1x", false),
            ("Patient/", false),
            ("Group/p1", false),
            ("p1", false),
            ("", false),
            ("https://elsewhere.example.org/R4/Patient/p1", false),
            ("https://fhir.example.org/R5/Patient/p1", false),
            ("urn:uuid:p1", false),
            ("#p1", false),
        ];
        for (reference, ours) in table {
            assert_eq!(names_one_of(reference, &ids, &base), ours, "{reference}");
        }
    }
}
