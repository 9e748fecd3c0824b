//! Reading search pages into a source record: every page of a search (following `next` links
//! to the end or the page cap), each resource decoded on its own, sorted into timeline entries
//! and consent directives, with unreadable ones counted.

use super::client::FhirClient;
use super::SourceError;
use crate::fhir::consent::ConsentDirective;
use crate::fhir::{normalise, Bundle, Resource};
use app::model::TimelineEntry;
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
}

impl Collected {
    /// Takes one page's matches: those whose type `wanted` accepts; others are not ours.
    fn read_page(
        &mut self,
        bundle: &Bundle,
        source_id: &str,
        wanted: &(dyn Fn(&str) -> bool + Sync),
    ) {
        for raw in bundle.matches() {
            let resource = match Resource::parse(raw.get()) {
                Ok(resource) => resource,
                Err(_) => {
                    self.skipped += 1;
                    if may_be_consent(raw.get()) {
                        self.unreadable_consents += 1;
                    }
                    continue;
                }
            };
            if !wanted(&resource.resource_type) {
                continue;
            }
            if resource.resource_type == "Consent" {
                match ConsentDirective::parse(raw.get()) {
                    Ok(consent) => self.consents.push(consent),
                    Err(_) => {
                        self.skipped += 1;
                        self.unreadable_consents += 1;
                    }
                }
                continue;
            }
            match normalise(&resource, source_id) {
                Ok(Some(mut entry)) => {
                    if entry.resource_type == "DocumentReference" {
                        entry.attachments = crate::fhir::document::attachments(raw.get());
                    }
                    self.entries.push(entry)
                }
                Ok(None) => {}
                Err(_) => self.skipped += 1,
            }
        }
    }
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
