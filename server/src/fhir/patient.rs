//! Reads a FHIR `Patient` into the banner's demographics, with its confidentiality labels
//! (the policy withholds a restricted Patient's details as it does a restricted item).

use app::clinical_date::ClinicalDate;
use app::model::Demographics;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Patient {
    pub resource_type: String,
    pub id: Option<String>,
    pub meta: Option<super::resource::Meta>,
    pub identifier: Vec<Identifier>,
    pub name: Vec<HumanName>,
    pub gender: Option<String>,
    pub birth_date: Option<String>,
    pub address: Vec<Address>,
    pub active: Option<bool>,
    pub link: Vec<Link>,
}

/// `Patient.link`: another Patient record for the same person, and how they relate.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Link {
    pub other: Option<super::datatypes::Reference>,
    /// `replaced-by`, `replaces`, `refer` or `seealso`.
    #[serde(rename = "type")]
    pub type_: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Address {
    #[serde(rename = "use")]
    pub use_: Option<String>,
    pub postal_code: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Identifier {
    pub system: Option<String>,
    pub value: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct HumanName {
    #[serde(rename = "use")]
    pub use_: Option<String>,
    pub family: Option<String>,
    pub given: Vec<String>,
    pub prefix: Vec<String>,
}

impl Patient {
    pub fn parse(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// True when the resource carries this NHS number (compared digit for digit, spaces ignored).
    pub fn has_nhs_number(&self, digits: &str) -> bool {
        self.identifier.iter().any(|i| {
            i.system.as_deref() == Some(app::nhs_number::NHS_NUMBER_SYSTEM)
                && i.value
                    .as_deref()
                    .is_some_and(|v| v.chars().filter(|c| !c.is_whitespace()).eq(digits.chars()))
        })
    }

    /// The valid NHS number the resource carries, if any.
    pub fn nhs_number(&self) -> Option<app::nhs_number::NhsNumber> {
        self.identifier
            .iter()
            .filter(|i| i.system.as_deref() == Some(app::nhs_number::NHS_NUMBER_SYSTEM))
            .find_map(|i| app::nhs_number::NhsNumber::parse(i.value.as_deref()?).ok())
    }

    /// The official name if there is one, else the first; an unreadable birth date is left out.
    pub fn demographics(&self, source_id: &str) -> Demographics {
        let name = self
            .name
            .iter()
            .find(|n| n.use_.as_deref() == Some("official"))
            .or_else(|| self.name.first());
        Demographics {
            family: name.and_then(|n| n.family.clone()),
            given: name.map(|n| n.given.clone()).unwrap_or_default(),
            prefix: name.and_then(|n| n.prefix.first().cloned()),
            birth_date: self
                .birth_date
                .as_deref()
                .and_then(|d| ClinicalDate::parse(d).ok()),
            gender: self.gender.clone(),
            postcode: self
                .address
                .iter()
                .find(|a| a.use_.as_deref() == Some("home"))
                .or_else(|| self.address.first())
                .and_then(|a| a.postal_code.clone()),
            source_id: source_id.to_owned(),
            security: self
                .meta
                .as_ref()
                .map(super::resource::Meta::labels)
                .unwrap_or_default(),
            active: self.active,
            links: self
                .link
                .iter()
                .filter_map(|l| {
                    let other = l.other.as_ref()?;
                    Some(app::model::PatientLink {
                        kind: l.type_.clone().unwrap_or_else(|| "seealso".to_owned()),
                        other: other.display.clone().or(other.reference.clone())?,
                    })
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefers_the_official_name() {
        let p = Patient::parse(
            r#"{"resourceType":"Patient","id":"p1","gender":"female","birthDate":"1945-07-14",
                "name":[{"use":"nickname","given":["Peggy"]},{"use":"official","family":"O'Brien","given":["Siobhán"],"prefix":["Mrs"]}]}"#,
        )
        .unwrap();
        let d = p.demographics("gp");
        assert_eq!(d.display_name(), "O'BRIEN, Siobhán (Mrs)");
        assert_eq!(d.birth_date.unwrap().display(), "14-Jul-1945");
        assert_eq!(d.gender.as_deref(), Some("female"));
        assert_eq!(d.postcode, None);
    }

    #[test]
    fn reads_the_nhs_number_and_home_postcode() {
        let p = Patient::parse(
            r#"{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"999 000 0019"},
                {"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],
                "address":[{"use":"work","postalCode":"EX2 5DW"},{"use":"home","postalCode":"LS1 4AP"}]}"#,
        )
        .unwrap();
        assert_eq!(
            p.nhs_number().map(|n| n.as_digits()).as_deref(),
            Some("9434765919"),
            "invalid numbers are passed over"
        );
        assert_eq!(p.demographics("gp").postcode.as_deref(), Some("LS1 4AP"));
    }

    #[test]
    fn matches_only_its_own_nhs_number() {
        let p = Patient::parse(
            r#"{"resourceType":"Patient","identifier":[{"system":"urn:local","value":"9990000018"},
                {"system":"https://fhir.nhs.uk/Id/nhs-number","value":"999 000 0026"}]}"#,
        )
        .unwrap();
        assert!(p.has_nhs_number("9990000026"));
        assert!(
            !p.has_nhs_number("9990000018"),
            "a local identifier with the same digits is not an NHS number"
        );
    }

    #[test]
    fn confidentiality_labels_are_kept_in_one_spelling() {
        use super::super::labels::CONFIDENTIALITY;
        use app::model::Code;
        // (meta, labels)
        let table = [
            (r#"{}"#, vec![]),
            (
                r#"{"security":[{"system":"http://hl7.org/fhir/v3/Confidentiality","code":"V"}]}"#,
                vec![Code::new(CONFIDENTIALITY, "V")],
            ),
            (
                r#"{"tag":[{"system":"urn:oid:2.16.840.1.113883.5.25","code":"R"}]}"#,
                vec![Code::new(CONFIDENTIALITY, "R")],
            ),
            (
                r#"{"security":[{"code":"V"}]}"#,
                vec![Code::new(CONFIDENTIALITY, "V")],
            ),
        ];
        for (meta, expected) in table {
            let json = format!(
                r#"{{"resourceType":"Patient","id":"p1","meta":{meta},"address":[{{"postalCode":"LS1 4AP"}}]}}"#
            );
            let d = Patient::parse(&json).unwrap().demographics("gp");
            assert_eq!(d.security, expected, "{meta}");
        }
    }

    #[test]
    fn inactive_and_linked_records_are_kept() {
        let d = Patient::parse(
            r#"{"resourceType":"Patient","id":"p1","active":false,
                "link":[{"other":{"reference":"Patient/p2"},"type":"replaced-by"},
                        {"other":{"reference":"https://elsewhere.example/Patient/9","display":"Record at St Elsewhere"},"type":"seealso"},
                        {"type":"refer"}]}"#,
        )
        .unwrap()
        .demographics("gp");
        assert_eq!(d.active, Some(false));
        let links: Vec<(&str, &str)> = d
            .links
            .iter()
            .map(|l| (l.kind.as_str(), l.other.as_str()))
            .collect();
        assert_eq!(
            links,
            [
                ("replaced-by", "Patient/p2"),
                ("seealso", "Record at St Elsewhere")
            ],
            "a link naming no record is no link"
        );
    }

    #[test]
    fn missing_parts_stay_missing() {
        let d = Patient::parse(r#"{"resourceType":"Patient","id":"p1","birthDate":"not a date"}"#)
            .unwrap()
            .demographics("gp");
        assert_eq!(d.display_name(), "Not Known");
        assert_eq!(d.birth_date, None);
    }
}
