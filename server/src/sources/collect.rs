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
}

impl Collected {
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

/// Reads `url` and every `next` page after it, up to `max_pages`. Returns what was read and
/// whether the page cap cut it short (reported to staff, never silent).
pub async fn read_all_pages(
    client: &FhirClient,
    mut url: Url,
    max_pages: u32,
    source_id: &str,
    wanted: &(dyn Fn(&str) -> bool + Sync),
) -> Result<(Collected, bool), SourceError> {
    let mut collected = Collected::default();
    for page in 1.. {
        let bundle = client.get_bundle(&url).await?;
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
