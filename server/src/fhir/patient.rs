//! Reads a FHIR `Patient` into the banner's demographics, with its confidentiality labels
//! (the policy withholds a restricted Patient's details as it does a restricted item), its
//! current home address and its registered GP practice.

use super::datatypes::Period;
use app::clinical_date::ClinicalDate;
use app::model::{Demographics, GpPractice};
use serde::Deserialize;

/// The identifier system of an organisation's ODS code.
pub const ODS_ORGANISATION_CODE: &str = "https://fhir.nhs.uk/Id/ods-organization-code";

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
    pub general_practitioner: Vec<PatientReference>,
    pub managing_organization: Option<PatientReference>,
    /// Resources contained in the Patient (an Organization its references point at by `#id`).
    pub contained: Vec<serde_json::Value>,
}

/// A `Reference` as `Patient.generalPractitioner` and `managingOrganization` carry it: a
/// literal reference, a logical one (an identifier), a type, and words.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct PatientReference {
    pub reference: Option<String>,
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub identifier: Option<Identifier>,
    pub display: Option<String>,
}

/// An `Organization` a Patient's references may point at (contained, or `_include`d in the
/// search reply): its name and ODS code.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Organization {
    pub resource_type: String,
    pub id: Option<String>,
    pub name: Option<String>,
    pub identifier: Vec<Identifier>,
    /// Where the search reply had it (`fullUrl`), to resolve absolute references.
    #[serde(skip)]
    pub full_url: Option<String>,
}

impl Organization {
    fn ods_code(&self) -> Option<String> {
        ods(&self.identifier)
    }
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
    pub text: Option<String>,
    pub line: Vec<String>,
    pub city: Option<String>,
    pub district: Option<String>,
    pub postal_code: Option<String>,
    pub period: Option<Period>,
}

impl Address {
    /// Whether the address is in use on `today` (`YYYY-MM-DD`): not `old`, its period not
    /// ended and not yet to start.
    fn current(&self, today: &str) -> bool {
        let period = self.period.as_ref();
        let ended = period
            .and_then(|p| p.end.as_deref())
            .is_some_and(|end| end.get(..10).unwrap_or(end) < today);
        let not_started = period
            .and_then(|p| p.start.as_deref())
            .is_some_and(|start| start.get(..10).unwrap_or(start) > today);
        self.use_.as_deref() != Some("old") && !ended && !not_started
    }

    /// Display lines: the parts (lines, city, district, postcode), else the text split at its
    /// line breaks (or commas). Blank parts are left out.
    fn lines(&self) -> Vec<String> {
        let parts: Vec<String> = self
            .line
            .iter()
            .map(String::as_str)
            .chain(self.city.as_deref())
            .chain(self.district.as_deref())
            .chain(self.postal_code.as_deref())
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        // Only a postcode is not the address: the text, when given, says more.
        let only_postcode = self.line.is_empty() && self.city.is_none() && self.district.is_none();
        match self
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            Some(text) if parts.is_empty() || only_postcode => {
                let separator = if text.contains('\n') { '\n' } else { ',' };
                text.split(separator)
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned)
                    .collect()
            }
            _ => parts,
        }
    }
}

/// The ODS code among these identifiers, if any.
fn ods(identifiers: &[Identifier]) -> Option<String> {
    identifiers
        .iter()
        .find(|i| i.system.as_deref() == Some(ODS_ORGANISATION_CODE))
        .and_then(|i| i.value.as_deref())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Words that are not blank.
fn words(text: Option<&String>) -> Option<String> {
    text.map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

#[derive(Debug, Default, Clone, Deserialize)]
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

    /// The details as they are today, with Organizations the search reply `_include`d.
    pub fn demographics(&self, source_id: &str) -> Demographics {
        let today = crate::clock::now_rfc3339();
        self.demographics_on(source_id, today.get(..10).unwrap_or_default(), &[])
    }

    /// The details as they are today, resolving references to the Organizations the search
    /// reply `_include`d.
    pub fn demographics_with(&self, source_id: &str, included: &[Organization]) -> Demographics {
        let today = crate::clock::now_rfc3339();
        self.demographics_on(source_id, today.get(..10).unwrap_or_default(), included)
    }

    /// The current home address on `today` (`YYYY-MM-DD`): `use` home first, then an address
    /// with no use, then a temporary one; never an old, ended, work or billing address.
    pub fn home_address(&self, today: &str) -> Vec<String> {
        let rank = |a: &Address| match a.use_.as_deref() {
            Some("home") => Some(0),
            None => Some(1),
            Some("temp") => Some(2),
            _ => None,
        };
        self.address
            .iter()
            .filter(|a| a.current(today))
            .filter_map(|a| Some((rank(a)?, a.lines())))
            .filter(|(_, lines)| !lines.is_empty())
            .min_by_key(|(rank, _)| *rank)
            .map(|(_, lines)| lines)
            .unwrap_or_default()
    }

    /// The registered GP practice: the first `generalPractitioner` that is an Organization
    /// (its display and ODS code, or those of the contained or included Organization it
    /// points at), else the first naming a Practitioner or PractitionerRole (its display
    /// only), else `managingOrganization` read the same way.
    pub fn gp_practice(&self, included: &[Organization]) -> Option<GpPractice> {
        let organisations = self.general_practitioner.iter().filter_map(|r| {
            let (kind, found) = self.resolve(r, included);
            (kind.as_deref() == Some("Organization")).then(|| practice(r, found))
        });
        let others = self.general_practitioner.iter().filter_map(|r| {
            let (kind, _) = self.resolve(r, included);
            (kind.as_deref() != Some("Organization")).then(|| GpPractice {
                name: words(r.display.as_ref()),
                ods_code: None,
                usual_gp: None,
            })
        });
        let managing = self.managing_organization.iter().map(|r| {
            let (_, found) = self.resolve(r, included);
            practice(r, found)
        });
        organisations
            .chain(others)
            .chain(managing)
            .find(|p| p.name.is_some() || p.ods_code.is_some())
    }

    /// What a reference points at: its type (stated, read from the reference, or the
    /// resolved resource's; a logical reference by ODS code is an Organization) and the
    /// contained or included Organization, when it is one.
    fn resolve(
        &self,
        r: &PatientReference,
        included: &[Organization],
    ) -> (Option<String>, Option<Organization>) {
        let reference = r.reference.as_deref().map(str::trim).unwrap_or_default();
        let found = if let Some(local) = reference.strip_prefix('#') {
            self.contained
                .iter()
                .filter_map(|c| serde_json::from_value::<Organization>(c.clone()).ok())
                .find(|o| o.resource_type == "Organization" && o.id.as_deref() == Some(local))
        } else if !reference.is_empty() {
            included
                .iter()
                .find(|o| {
                    o.full_url.as_deref() == Some(reference)
                        || o.id.as_deref().is_some_and(|id| {
                            reference == format!("Organization/{id}")
                                || reference.ends_with(&format!("/Organization/{id}"))
                        })
                })
                .cloned()
        } else {
            None
        };
        let from_reference = reference
            .rsplit('/')
            .nth(1)
            .filter(|t| t.chars().next().is_some_and(char::is_uppercase))
            .map(str::to_owned);
        let by_ods = r
            .identifier
            .as_ref()
            .is_some_and(|i| i.system.as_deref() == Some(ODS_ORGANISATION_CODE));
        let kind = r
            .type_
            .clone()
            .or(from_reference)
            .or_else(|| found.as_ref().map(|o| o.resource_type.clone()))
            .or_else(|| by_ods.then(|| "Organization".to_owned()));
        (kind, found)
    }

    /// The official name if there is one, else the first; an unreadable birth date is left out.
    pub fn demographics_on(
        &self,
        source_id: &str,
        today: &str,
        included: &[Organization],
    ) -> Demographics {
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
            address: self.home_address(today),
            gp_practice: self.gp_practice(included),
        }
    }
}

/// A practice from an Organization reference: its words and ODS code, else the resolved
/// Organization's.
fn practice(r: &PatientReference, found: Option<Organization>) -> GpPractice {
    let ods_code = r
        .identifier
        .as_ref()
        .and_then(|i| ods(std::slice::from_ref(i)))
        .or_else(|| found.as_ref().and_then(Organization::ods_code));
    GpPractice {
        name: words(r.display.as_ref()).or_else(|| found.and_then(|o| words(o.name.as_ref()))),
        ods_code,
        usual_gp: None,
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
    fn the_current_home_address_is_read_in_every_shape() {
        const TODAY: &str = "2026-03-14";
        // (Patient.address, display lines)
        let table: [(&str, &[&str]); 11] = [
            (r#"[]"#, &[]),
            (
                r#"[{"use":"home","line":["1 Mill Lane","Flat 2"],"city":"Leeds","district":"West Yorkshire","postalCode":"LS1 4AP"}]"#,
                &[
                    "1 Mill Lane",
                    "Flat 2",
                    "Leeds",
                    "West Yorkshire",
                    "LS1 4AP",
                ],
            ),
            // Text only, on lines or with commas.
            (
                r#"[{"text":"1 Mill Lane\nLeeds\nLS1 4AP"}]"#,
                &["1 Mill Lane", "Leeds", "LS1 4AP"],
            ),
            (
                r#"[{"use":"home","text":"1 Mill Lane, Leeds, LS1 4AP","postalCode":"LS1 4AP"}]"#,
                &["1 Mill Lane", "Leeds", "LS1 4AP"],
            ),
            // Parts win over text when both say the address.
            (
                r#"[{"text":"1 Mill Ln, Leeds","line":["1 Mill Lane"],"city":"Leeds"}]"#,
                &["1 Mill Lane", "Leeds"],
            ),
            // Home before no use before temporary; work, billing and old never.
            (
                r#"[{"use":"work","city":"Bristol"},{"use":"temp","city":"Exeter"},{"city":"Taunton"},{"use":"home","city":"Leeds"}]"#,
                &["Leeds"],
            ),
            (
                r#"[{"use":"temp","city":"Exeter"},{"city":"Taunton"}]"#,
                &["Taunton"],
            ),
            (
                r#"[{"use":"work","city":"Bristol"},{"use":"billing","city":"Bath"},{"use":"old","city":"York"}]"#,
                &[],
            ),
            // An ended home address gives way to the current one; one yet to start is not current.
            (
                r#"[{"use":"home","city":"York","period":{"end":"2025-12-31"}},{"use":"home","city":"Leeds","period":{"start":"2026-01-01"}}]"#,
                &["Leeds"],
            ),
            (
                r#"[{"use":"home","city":"York","period":{"start":"2020-01-01","end":"2026-03-14T23:00:00Z"}},{"use":"home","city":"Leeds","period":{"start":"2026-04-01"}}]"#,
                &["York"],
            ),
            // Blank parts are no address.
            (
                r#"[{"use":"home","line":[" "],"city":""},{"city":"Leeds"}]"#,
                &["Leeds"],
            ),
        ];
        for (address, expected) in table {
            let p = Patient::parse(&format!(
                r#"{{"resourceType":"Patient","id":"p1","address":{address}}}"#
            ))
            .unwrap();
            assert_eq!(p.home_address(TODAY), expected, "{address}");
            assert_eq!(
                p.demographics_on("gp", TODAY, &[]).address,
                expected,
                "{address}"
            );
        }
    }

    #[test]
    fn the_registered_practice_is_read_in_every_shape() {
        const ODS: &str = ODS_ORGANISATION_CODE;
        let included = [
            Organization {
                resource_type: "Organization".into(),
                id: Some("o1".into()),
                name: Some("Included Surgery".into()),
                identifier: vec![Identifier {
                    system: Some(ODS.into()),
                    value: Some("B81001".into()),
                }],
                full_url: Some("https://gp.example/fhir/Organization/o1".into()),
            },
            Organization {
                resource_type: "Organization".into(),
                id: Some("o2".into()),
                name: Some("Urn Surgery".into()),
                identifier: vec![],
                full_url: Some("urn:uuid:6f1c".into()),
            },
        ];
        let practice = |name: Option<&str>, code: Option<&str>| {
            Some(GpPractice {
                name: name.map(str::to_owned),
                ods_code: code.map(str::to_owned),
                usual_gp: None,
            })
        };
        // (Patient fields, practice)
        let table = [
            (String::new(), None),
            // A logical reference: display and ODS identifier.
            (
                format!(
                    r#""generalPractitioner":[{{"identifier":{{"system":"{ODS}","value":"Y12345"}},"display":"Riverside Medical Practice"}}]"#
                ),
                practice(Some("Riverside Medical Practice"), Some("Y12345")),
            ),
            // A contained Organization.
            (
                format!(
                    r##""contained":[{{"resourceType":"Organization","id":"gp","name":"Contained Surgery","identifier":[{{"system":"{ODS}","value":"C82001"}}]}}],
                       "generalPractitioner":[{{"reference":"#gp"}}]"##
                ),
                practice(Some("Contained Surgery"), Some("C82001")),
            ),
            // An included Organization, by relative, absolute and urn reference.
            (
                r#""generalPractitioner":[{"reference":"Organization/o1"}]"#.to_owned(),
                practice(Some("Included Surgery"), Some("B81001")),
            ),
            (
                r#""generalPractitioner":[{"reference":"https://gp.example/fhir/Organization/o1"}]"#
                    .to_owned(),
                practice(Some("Included Surgery"), Some("B81001")),
            ),
            (
                r#""generalPractitioner":[{"reference":"urn:uuid:6f1c","type":"Organization"}]"#
                    .to_owned(),
                practice(Some("Urn Surgery"), None),
            ),
            // The reference's own words win over the resolved resource's.
            (
                r#""generalPractitioner":[{"reference":"Organization/o1","display":"Dr Patel's Surgery"}]"#
                    .to_owned(),
                practice(Some("Dr Patel's Surgery"), Some("B81001")),
            ),
            // An Organization not on the page: its display only.
            (
                r#""generalPractitioner":[{"reference":"Organization/missing","display":"Far Surgery"}]"#
                    .to_owned(),
                practice(Some("Far Surgery"), None),
            ),
            // The practice comes before the GP, whatever the order.
            (
                format!(
                    r#""generalPractitioner":[{{"reference":"Practitioner/pr1","display":"Dr A Jones"}},
                        {{"type":"Organization","identifier":{{"system":"{ODS}","value":"Y12345"}},"display":"Riverside"}}]"#
                ),
                practice(Some("Riverside"), Some("Y12345")),
            ),
            // A GP or role only: its display, never an ODS code.
            (
                r#""generalPractitioner":[{"reference":"PractitionerRole/r1","display":"Dr A Jones, Riverside"}]"#
                    .to_owned(),
                practice(Some("Dr A Jones, Riverside"), None),
            ),
            (
                r#""generalPractitioner":[{"type":"Practitioner","identifier":{"system":"https://fhir.nhs.uk/Id/sds-user-id","value":"G123"},"display":"Dr B Khan"}]"#
                    .to_owned(),
                practice(Some("Dr B Khan"), None),
            ),
            // A local identifier system is not an ODS code.
            (
                r#""generalPractitioner":[{"type":"Organization","identifier":{"system":"urn:local","value":"7"},"display":"Local Surgery"}]"#
                    .to_owned(),
                practice(Some("Local Surgery"), None),
            ),
            // Nothing named: falls back to the managing organisation.
            (
                format!(
                    r#""generalPractitioner":[{{"reference":"Practitioner/pr1"}}],
                       "managingOrganization":{{"reference":"Organization/o9","identifier":{{"system":"{ODS}","value":"M85001"}},"display":"Managing Surgery"}}"#
                ),
                practice(Some("Managing Surgery"), Some("M85001")),
            ),
            (
                r#""managingOrganization":{"reference":"Organization/o1"}"#.to_owned(),
                practice(Some("Included Surgery"), Some("B81001")),
            ),
            (
                r#""generalPractitioner":[{"reference":"Organization/missing"}]"#.to_owned(),
                None,
            ),
        ];
        for (fields, expected) in table {
            let comma = if fields.is_empty() { "" } else { "," };
            let json = format!(r#"{{"resourceType":"Patient","id":"p1"{comma}{fields}}}"#);
            let p = Patient::parse(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
            assert_eq!(p.gp_practice(&included), expected, "{fields}");
        }
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
