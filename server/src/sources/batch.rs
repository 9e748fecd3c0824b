//! A FHIR `batch` of searches: the request Bundle (`POST [base]`, one GET entry per search)
//! and its `batch-response`, whose entries answer the searches in order, each a searchset
//! Bundle or a failure with its HTTP status.

use super::SourceError;
use crate::fhir::Bundle;
use serde::Deserialize;
use serde_json::value::RawValue;

/// The batch Bundle asking for each search (`<Type>?<query>`, relative to the base URL).
pub fn request(searches: &[String]) -> Vec<u8> {
    let entry: Vec<serde_json::Value> = searches
        .iter()
        .map(|url| serde_json::json!({ "request": { "method": "GET", "url": url } }))
        .collect();
    serde_json::json!({ "resourceType": "Bundle", "type": "batch", "entry": entry })
        .to_string()
        .into_bytes()
}

/// The answer to each of `asked` searches, in order: its first page, or why there is none.
/// A reply that is not a `batch-response` with one entry per search is an error as a whole.
pub fn replies(body: &[u8], asked: usize) -> Result<Vec<Result<Bundle, SourceError>>, SourceError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Reply {
        resource_type: String,
        #[serde(rename = "type", default)]
        bundle_type: Option<String>,
        #[serde(default)]
        entry: Vec<Entry>,
    }
    #[derive(Deserialize)]
    struct Entry {
        #[serde(default)]
        resource: Option<Box<RawValue>>,
        #[serde(default)]
        response: Option<Response>,
    }
    #[derive(Deserialize)]
    struct Response {
        #[serde(default)]
        status: Option<String>,
    }
    let reply: Reply = serde_json::from_slice(body)
        .map_err(|e| SourceError::BadBundle(crate::fhir::BundleError::Json(e.to_string())))?;
    if reply.resource_type != "Bundle" || reply.bundle_type.as_deref() != Some("batch-response") {
        return Err(SourceError::Unusable(
            "a batch reply that is not a batch-response",
        ));
    }
    if reply.entry.len() != asked {
        return Err(SourceError::Unusable(
            "a batch reply with a different number of answers than searches",
        ));
    }
    Ok(reply
        .entry
        .into_iter()
        .map(|entry| {
            // "200 OK", "200", "404 Not Found": the status code leads.
            let status = entry
                .response
                .and_then(|r| r.status)
                .and_then(|s| s.get(..3).and_then(|code| code.parse::<u16>().ok()))
                .ok_or(SourceError::Unusable("a batch answer without a status"))?;
            if !(200..300).contains(&status) {
                return Err(SourceError::Http(status));
            }
            let resource = entry
                .resource
                .ok_or(SourceError::Unusable("a batch answer without its Bundle"))?;
            Ok(Bundle::parse(resource.get().as_bytes())?)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_names_each_search_in_order() {
        let body = request(&[
            "Condition?patient.identifier=s%7C1".into(),
            "Flag?x=1".into(),
        ]);
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(value["type"], "batch");
        assert_eq!(value["entry"][0]["request"]["method"], "GET");
        assert_eq!(
            value["entry"][0]["request"]["url"],
            "Condition?patient.identifier=s%7C1"
        );
        assert_eq!(value["entry"][1]["request"]["url"], "Flag?x=1");
    }

    #[test]
    fn each_answer_is_its_page_or_its_failure() {
        let body = br#"{"resourceType":"Bundle","type":"batch-response","entry":[
            {"resource":{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Condition","id":"c1"}}]},"response":{"status":"200 OK"}},
            {"resource":{"resourceType":"OperationOutcome"},"response":{"status":"400 Bad Request"}},
            {"response":{"status":"200"}},
            {"resource":{"resourceType":"Bundle"},"response":{"status":"OK"}},
            {"resource":{"resourceType":"Patient"},"response":{"status":"200 OK"}},
            {"resource":{"resourceType":"Bundle","type":"searchset"},"response":{"status":"201"}}
        ]}"#;
        let answers = replies(body, 6).unwrap();
        assert_eq!(answers[0].as_ref().unwrap().matches().count(), 1);
        assert!(matches!(answers[1], Err(SourceError::Http(400))));
        assert!(matches!(answers[2], Err(SourceError::Unusable(_))));
        assert!(matches!(answers[3], Err(SourceError::Unusable(_))));
        assert!(matches!(answers[4], Err(SourceError::BadBundle(_))));
        assert!(answers[5].is_ok());
        for (bad, n) in [
            (
                &br#"{"resourceType":"Bundle","type":"batch-response","entry":[]}"#[..],
                1,
            ),
            (
                br#"{"resourceType":"Bundle","type":"searchset","entry":[]}"#,
                0,
            ),
            (br#"{"resourceType":"OperationOutcome"}"#, 0),
            (b"<html>", 0),
        ] {
            assert!(replies(bad, n).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
