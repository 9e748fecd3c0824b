//! Synthetic FHIR for benchmarks: a large searchset Bundle drawn from the demo population, and
//! the JSON size of what the sources hold about a patient (to compare cache memory against).

use super::data::records;
use super::Population;
use app::model::SourceKind;
use app::nhs_number::NhsNumber;
use serde_json::{json, Value};

/// A searchset Bundle of at least `resources` clinical resources from successive patients of
/// `population`, as JSON bytes, with the exact resource count.
pub fn bundle(population: &Population, resources: usize) -> (Vec<u8>, usize) {
    let mut entry: Vec<Value> = Vec::with_capacity(resources);
    'patients: for index in 0..population.len() {
        for kind in SourceKind::ALL {
            if !population.knows(index, kind) {
                continue;
            }
            for r in records::clinical(population, index, kind) {
                entry.push(json!({ "resource": r, "search": { "mode": "match" } }));
                if entry.len() >= resources {
                    break 'patients;
                }
            }
        }
    }
    let count = entry.len();
    let bundle =
        json!({ "resourceType": "Bundle", "type": "searchset", "total": count, "entry": entry });
    (bundle.to_string().into_bytes(), count)
}

/// Bytes of FHIR JSON every source holding the patient would send about them (Patient and
/// clinical resources, without Bundle wrappers).
pub fn json_bytes(population: &Population, nhs: NhsNumber) -> usize {
    let Some(index) = population.index_of(nhs) else {
        return 0;
    };
    SourceKind::ALL
        .into_iter()
        .filter(|kind| population.knows(index, *kind))
        .flat_map(|kind| {
            records::patients(population, index, kind)
                .into_iter()
                .chain(records::clinical(population, index, kind))
        })
        .map(|r| r.to_string().len())
        .sum()
}
