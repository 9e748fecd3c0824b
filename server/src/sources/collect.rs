//! Reading search pages into a source record: every page of a search (following `next` links
//! to the end or the page cap), each resource decoded on its own, sorted into timeline entries
//! and consent directives, with unreadable ones counted.

use super::client::FhirClient;
use super::SourceError;
use crate::fhir::consent::ConsentDirective;
use crate::fhir::{read, resource_type, Bundle, Read, ResourceType};
use app::model::TimelineEntry;
use std::collections::HashSet;
use url::Url;

/// What some searches of one source gathered.
#[derive(Debug, Default)]
pub struct Collected {
    pub entries: Vec<TimelineEntry>,
    pub consents: Vec<ConsentDirective>,
    /// Resources that could not be read (malformed, no id, unreadable date).
    pub skipped: usize,
    /// Of those, the ones that were (or may have been) Consent resources: an objection the
    /// portal could not read is still possibly an objection.
    pub unreadable_consents: usize,
    /// Of those, the ones whose type could be read, by type (the rest could be anything).
    pub unreadable_types: std::collections::BTreeMap<&'static str, usize>,
    /// The entries taken so far: a resource a server repeats across pages counts once.
    seen: HashSet<(ResourceType, String)>,
    /// For a chained search: each entry's patient references (parallel to `entries`), checked
    /// by [`Collected::not_about`] once the Patient search has answered.
    subjects: Option<Vec<Vec<String>>>,
    /// A chained search the source did not apply (its `self` link leaves the chain out, or it
    /// sent an OperationOutcome): nothing it sent can be trusted to be this patient's.
    pub chain_ignored: bool,
}

impl Collected {
    /// After a chained search: how many of the resources read are not about one of the
    /// Patients `is_ours` accepts (another patient's, or about no readable patient at all).
    /// Consent directives count too.
    pub fn not_about(&self, is_ours: &dyn Fn(&str) -> bool) -> usize {
        let about_ours =
            |refs: &[String]| !refs.is_empty() && refs.iter().all(|r| is_ours(r.as_str()));
        let entries = self.subjects.as_ref().map_or(0, |subjects| {
            subjects.iter().filter(|r| !about_ours(r)).count()
        });
        let consents = self
            .consents
            .iter()
            .filter(|c| !c.patient.as_deref().is_some_and(is_ours))
            .count();
        entries + consents
    }

    /// Takes one page's matches: those whose type `wanted` accepts; others are not ours.
    /// Medications bundled on the page (`_include`d) name the medicines that point at them.
    fn read_page(
        &mut self,
        bundle: &Bundle,
        source_id: &str,
        wanted: &(dyn Fn(&str) -> bool + Sync),
    ) {
        let bundled = bundle.bundled();
        for raw in bundle.matches() {
            let json = raw.get();
            let Some(name) = resource_type(json) else {
                self.skipped += 1;
                if may_be_consent(json) {
                    self.unreadable_consents += 1;
                }
                continue;
            };
            if !wanted(name) {
                continue;
            }
            let Some(resource_type) = ResourceType::from_name(name) else {
                continue;
            };
            if resource_type == ResourceType::Consent {
                match ConsentDirective::parse(json) {
                    Ok(consent) => self.consents.push(consent),
                    Err(_) => {
                        self.skipped += 1;
                        self.unreadable_consents += 1;
                    }
                }
                continue;
            }
            match read(resource_type, json, source_id, &bundled) {
                Ok(Read::Entry(entry)) => {
                    if self.seen.insert((resource_type, entry.resource_id.clone())) {
                        self.entries.push(*entry);
                        if let Some(subjects) = &mut self.subjects {
                            subjects.push(patient_references(json));
                        }
                    }
                }
                Ok(Read::NotClinical) => {}
                Err(_) => {
                    self.skipped += 1;
                    *self
                        .unreadable_types
                        .entry(resource_type.name())
                        .or_default() += 1;
                }
            }
        }
    }
}

/// Reads one search reply as a page of a source's answer is read, taking every type the
/// portal reads (the property tests and the fuzz target drive the reader through this).
pub fn read_reply(body: &[u8], source_id: &str) -> Result<Collected, crate::fhir::BundleError> {
    let bundle = Bundle::parse(body)?;
    let mut collected = Collected::default();
    let every_type = |name: &str| ResourceType::from_name(name).is_some();
    collected.read_page(&bundle, source_id, &every_type);
    Ok(collected)
}

/// Whether an unreadable resource says it is a Consent, or says nothing we can read about its
/// type (so it may be one).
fn may_be_consent(json: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct TypeOnly {
        #[serde(rename = "resourceType")]
        resource_type: String,
    }
    serde_json::from_str::<TypeOnly>(json).map_or(true, |t| t.resource_type == "Consent")
}

/// The patient references a resource makes (`patient` and `subject`), as written.
fn patient_references(json: &str) -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct Reference {
        reference: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct About {
        patient: Option<Reference>,
        subject: Option<Reference>,
    }
    let Ok(about) = serde_json::from_str::<About>(json) else {
        return Vec::new();
    };
    [about.patient, about.subject]
        .into_iter()
        .flatten()
        .map(|r| r.reference.unwrap_or_default())
        .collect()
}

/// Reads `url` and every `next` page after it, up to `max_pages`. Returns what was read and
/// whether the page cap cut it short (reported to staff, never silent). With `chain` (the
/// chained parameter `url` searches by), each page is checked for the source having applied
/// it, and each entry's patient references are kept for [`Collected::not_about`].
pub async fn read_all_pages(
    client: &FhirClient,
    url: Url,
    max_pages: u32,
    source_id: &str,
    wanted: &(dyn Fn(&str) -> bool + Sync),
    chain: Option<&str>,
) -> Result<(Collected, bool), SourceError> {
    let first = client.get_bundle(&url).await?;
    read_pages_from(client, url, first, max_pages, source_id, wanted, chain).await
}

/// As [`read_all_pages`], the first page (from `url`) already in hand.
pub async fn read_pages_from(
    client: &FhirClient,
    mut url: Url,
    first: Bundle,
    max_pages: u32,
    source_id: &str,
    wanted: &(dyn Fn(&str) -> bool + Sync),
    chain: Option<&str>,
) -> Result<(Collected, bool), SourceError> {
    let mut collected = Collected {
        subjects: chain.map(|_| Vec::new()),
        ..Collected::default()
    };
    let mut bundle = first;
    for page in 1.. {
        if page > 1 {
            bundle = client.get_bundle(&url).await?;
        }
        if let Some(param) = chain {
            if !super::chained::applied(&bundle, param) {
                collected.chain_ignored = true;
                return Ok((collected, false));
            }
        }
        collected.read_page(&bundle, source_id, wanted);
        let Some(next) = bundle.next_link() else {
            break;
        };
        if page >= max_pages {
            return Ok((collected, true));
        }
        url = client.next_page_url(&url, next)?;
    }
    Ok((collected, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resource_repeated_across_pages_counts_once_and_includes_are_not_matches() {
        let page = |ids: &[&str]| {
            let entries: Vec<String> = ids
                .iter()
                .map(|id| {
                    format!(
                        r##"{{"resource":{{"resourceType":"MedicationRequest","id":"{id}","medicationReference":{{"reference":"Medication/m1"}}}},"search":{{"mode":"match"}}}}"##
                    )
                })
                .chain([r#"{"fullUrl":"http://x/fhir/Medication/m1","resource":{"resourceType":"Medication","id":"m1","code":{"text":"Ramipril 5mg capsules"}},"search":{"mode":"include"}}"#.to_owned()])
                .collect();
            Bundle::parse(
                format!(
                    r#"{{"resourceType":"Bundle","entry":[{}]}}"#,
                    entries.join(",")
                )
                .as_bytes(),
            )
            .unwrap()
        };
        let mut collected = Collected::default();
        let wanted = |t: &str| t == "MedicationRequest" || t == "Medication";
        collected.read_page(&page(&["r1", "r2"]), "gp", &wanted);
        collected.read_page(&page(&["r2", "r3"]), "gp", &wanted);
        let ids: Vec<_> = collected
            .entries
            .iter()
            .map(|e| (e.resource_id.as_str(), e.title.as_str()))
            .collect();
        assert_eq!(
            ids,
            [
                ("r1", "Ramipril 5mg capsules"),
                ("r2", "Ramipril 5mg capsules"),
                ("r3", "Ramipril 5mg capsules")
            ]
        );
        assert_eq!(collected.skipped, 0);
    }

    #[test]
    fn a_chained_page_counts_what_is_not_about_the_confirmed_patients() {
        let bundle = Bundle::parse(
            br#"{"resourceType":"Bundle","type":"searchset","entry":[
                {"resource":{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/p1"}}},
                {"resource":{"resourceType":"Condition","id":"c2","subject":{"reference":"Patient/other"}}},
                {"resource":{"resourceType":"Condition","id":"c3"}},
                {"resource":{"resourceType":"AllergyIntolerance","id":"a1","patient":{"reference":"Patient/p2/_history/4"}}},
                {"resource":{"resourceType":"AllergyIntolerance","id":"a2","patient":{"reference":"Patient/p1"},"subject":{"reference":"Patient/other"}}},
                {"resource":{"resourceType":"Consent","id":"k1","status":"active","provision":{"type":"deny"},"patient":{"reference":"Patient/p1"}}},
                {"resource":{"resourceType":"Consent","id":"k2","status":"active","provision":{"type":"deny"},"patient":{"reference":"Patient/other"}}}
            ]}"#,
        )
        .unwrap();
        let every = |t: &str| ResourceType::from_name(t).is_some();
        let ours = |r: &str| {
            let r = r.split_once("/_history/").map_or(r, |(r, _)| r);
            r == "Patient/p1" || r == "Patient/p2"
        };
        let mut chained = Collected {
            subjects: Some(Vec::new()),
            ..Collected::default()
        };
        chained.read_page(&bundle, "gp", &every);
        assert_eq!(chained.entries.len(), 5);
        assert_eq!(
            chained.not_about(&ours),
            4,
            "c2 (another patient), c3 (no patient), a2 (one reference not ours), k2"
        );
        let mut plain = Collected::default();
        plain.read_page(&bundle, "gp", &every);
        assert_eq!(
            plain.not_about(&ours),
            1,
            "a plain search keeps no references: only the Consent is checked"
        );
    }

    #[test]
    fn a_page_sorts_entries_consents_and_unreadable_items() {
        let bundle = Bundle::parse(
            br#"{"resourceType":"Bundle","type":"searchset","entry":[
                {"resource":{"resourceType":"Condition","id":"c1","code":{"text":"Asthma"}}},
                {"resource":{"resourceType":"Consent","id":"k1","status":"active","provision":{"type":"deny"}}},
                {"resource":{"resourceType":"Consent","id":"k2","status":"active","provision":{"type":"maybe"}}},
                {"resource":{"resourceType":"Consent","id":"k3","status":"active","category":"not a list"}},
                {"resource":{"resourceType":"Condition","code":{"text":"no id"}}},
                {"resource":{"resourceType":"Condition","id":"c2","code":"not an object"}},
                {"resource":{"resourceType":"Observation","id":"o1","code":{"text":"not wanted"}}},
                {"resource":{"resourceType":"Patient","id":"p1"}},
                {"resource":{"resourceType":"Condition","id":"c3"},"search":{"mode":"include"}}
            ]}"#,
        )
        .unwrap();
        let mut collected = Collected::default();
        let wanted = |t: &str| t == "Condition" || t == "Consent";
        collected.read_page(&bundle, "gp", &wanted);
        let ids: Vec<_> = collected
            .entries
            .iter()
            .map(|e| e.resource_id.as_str())
            .collect();
        assert_eq!(ids, ["c1"]);
        assert_eq!(collected.consents.len(), 1);
        assert_eq!(collected.consents[0].id, "k1");
        assert_eq!(
            collected.skipped, 4,
            "two bad consents, no id, malformed code"
        );
        assert_eq!(
            collected.unreadable_consents, 2,
            "k2 and k3 may be objections"
        );
    }
}
