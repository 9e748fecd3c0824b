//! FHIR `Bundle` (searchset) parsing. Entries are kept as raw JSON so each resource is decoded on
//! its own: a bad entry costs that entry, not the page.

use super::resource::{resource_type, Bundled, Medication};
use serde::Deserialize;
use serde_json::value::RawValue;

/// A page of search results.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    pub resource_type: String,
    #[serde(default)]
    pub total: Option<u64>,
    #[serde(default)]
    pub link: Vec<BundleLink>,
    #[serde(default)]
    pub entry: Vec<BundleEntry>,
}

#[derive(Debug, Deserialize)]
pub struct BundleLink {
    pub relation: String,
    pub url: String,
}

#[derive(Debug, Deserialize)]
pub struct BundleEntry {
    #[serde(default, rename = "fullUrl")]
    pub full_url: Option<String>,
    #[serde(default)]
    pub resource: Option<Box<RawValue>>,
    #[serde(default)]
    pub search: Option<EntrySearch>,
}

#[derive(Debug, Deserialize)]
pub struct EntrySearch {
    #[serde(default)]
    pub mode: Option<String>,
}

/// Why a reply is not a usable search page.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BundleError {
    #[error("reply is not valid JSON: {0}")]
    Json(String),
    #[error("reply is a FHIR {0}, not a Bundle")]
    NotABundle(String),
}

impl Bundle {
    /// Parses a search reply; anything but a `Bundle` is an error.
    pub fn parse(body: &[u8]) -> Result<Self, BundleError> {
        let bundle: Bundle =
            serde_json::from_slice(body).map_err(|e| BundleError::Json(e.to_string()))?;
        if bundle.resource_type != "Bundle" {
            return Err(BundleError::NotABundle(bundle.resource_type));
        }
        Ok(bundle)
    }

    /// The `next` page link, if the server says there is more.
    pub fn next_link(&self) -> Option<&str> {
        self.link
            .iter()
            .find(|l| l.relation == "next")
            .map(|l| l.url.as_str())
    }

    /// The `Medication`s on the page (matched or `_include`d), for the medicines that name
    /// them by reference. An unreadable one is left out: the medicine then shows its
    /// reference's own words.
    pub fn bundled(&self) -> Bundled {
        let mut bundled = Bundled::default();
        for entry in &self.entry {
            let Some(raw) = entry.resource.as_deref() else {
                continue;
            };
            if resource_type(raw.get()) != Some("Medication") {
                continue;
            }
            if let Ok(medication) = serde_json::from_str::<Medication>(raw.get()) {
                bundled.add_medication(entry.full_url.as_deref(), medication);
            }
        }
        bundled
    }

    /// Entries that matched the search (not `_include`d extras or outcome messages).
    pub fn matches(&self) -> impl Iterator<Item = &RawValue> {
        self.entry
            .iter()
            .filter(|e| {
                e.search
                    .as_ref()
                    .and_then(|s| s.mode.as_deref())
                    .is_none_or(|m| m == "match")
            })
            .filter_map(|e| e.resource.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_entries_links_and_total() {
        let body = br#"{"resourceType":"Bundle","type":"searchset","total":3,
            "link":[{"relation":"self","url":"http://x/fhir/Condition?patient=1"},
                    {"relation":"next","url":"http://x/fhir/Condition?patient=1&_offset=2"}],
            "entry":[{"resource":{"resourceType":"Condition","id":"a"},"search":{"mode":"match"}},
                     {"resource":{"resourceType":"Condition","id":"b"}},
                     {"resource":{"resourceType":"Patient","id":"p"},"search":{"mode":"include"}},
                     {"fullUrl":"urn:uuid:no-resource"}]}"#;
        let bundle = Bundle::parse(body).unwrap();
        assert_eq!(bundle.total, Some(3));
        assert_eq!(
            bundle.next_link(),
            Some("http://x/fhir/Condition?patient=1&_offset=2")
        );
        let ids: Vec<String> = bundle
            .matches()
            .map(|r| {
                serde_json::from_str::<serde_json::Value>(r.get()).unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(ids, ["a", "b"]);
    }

    #[test]
    fn empty_bundle_has_no_entries_or_next() {
        let bundle =
            Bundle::parse(br#"{"resourceType":"Bundle","type":"searchset","total":0}"#).unwrap();
        assert_eq!(bundle.matches().count(), 0);
        assert_eq!(bundle.next_link(), None);
    }

    #[test]
    fn refuses_what_is_not_a_bundle() {
        assert!(matches!(
            Bundle::parse(b"<html>502 Bad Gateway</html>"),
            Err(BundleError::Json(_))
        ));
        assert!(matches!(
            Bundle::parse(br#"{"resourceType":"Bundle","entry":[{"resource":"#),
            Err(BundleError::Json(_))
        ));
        assert_eq!(
            Bundle::parse(br#"{"resourceType":"OperationOutcome","issue":[]}"#).unwrap_err(),
            BundleError::NotABundle("OperationOutcome".into())
        );
    }

    #[test]
    fn a_malformed_entry_does_not_fail_the_page() {
        // The second resource has a string where an object belongs; the bundle still parses
        // because entries stay raw until normalised one by one.
        let body = br#"{"resourceType":"Bundle","entry":[
            {"resource":{"resourceType":"Condition","id":"a"}},
            {"resource":{"resourceType":"Condition","id":"b","code":"not-an-object"}}]}"#;
        assert_eq!(Bundle::parse(body).unwrap().matches().count(), 2);
    }
}
