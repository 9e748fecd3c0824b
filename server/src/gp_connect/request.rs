//! One `$gpc.getstructuredrecord` request as GP Connect defines it: the `Parameters` body
//! asking for the configured clinical areas, the Spine headers, and the consumer's unsigned
//! JWT naming the signed-in user, their organisation and this portal.

use super::config::GpConnectConfig;
use app::auth::Role;
use app::nhs_number::{NhsNumber, NHS_NUMBER_SYSTEM};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use url::Url;

/// The interaction this portal performs (`Ssp-InteractionID`).
pub const INTERACTION_ID: &str =
    "urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1";
/// The operation's path below the provider's service root.
pub const OPERATION: &str = "Patient/$gpc.getstructuredrecord";
/// How long a JWT is valid: GP Connect requires exactly five minutes.
const JWT_LIFETIME_S: i64 = 300;
const ODS_SYSTEM: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
const SDS_USER_SYSTEM: &str = "https://fhir.nhs.uk/Id/sds-user-id";
const SDS_ROLE_PROFILE_SYSTEM: &str = "https://fhir.nhs.uk/Id/sds-role-profile-id";

/// The signed-in user on whose behalf the GP system is asked (the JWT's practitioner and
/// organisation). GP Connect forbids a generic "system" user: without one, nothing is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requester {
    /// The identity provider's stable id for the user (CIS2: their UUID / SDS user id).
    pub user_id: String,
    pub name: String,
    pub role: Role,
    /// ODS code of the organisation the user's active role is held at, when known.
    pub organisation: Option<String>,
}

impl Requester {
    /// The user a signed-in viewer is.
    pub fn of(viewer: &app::auth::Viewer) -> Self {
        Self {
            user_id: viewer.user_id.clone(),
            name: viewer.name.clone(),
            role: viewer.role,
            organisation: viewer.organisation.clone(),
        }
    }
}

/// Who the patient is and nothing clinical: the NHS number alone (the answer holds the
/// Patient, their practice and usual GP).
pub fn who_they_are(nhs: NhsNumber) -> Value {
    json!({"resourceType": "Parameters", "parameter": [patient_nhs_number(nhs)]})
}

fn patient_nhs_number(nhs: NhsNumber) -> Value {
    json!({
        "name": "patientNHSNumber",
        "valueIdentifier": {"system": NHS_NUMBER_SYSTEM, "value": nhs.as_digits()},
    })
}

/// What is asked: the areas and their part parameters, from the configuration.
pub fn parameters(config: &GpConnectConfig, nhs: NhsNumber, today: time::Date) -> Value {
    let mut parameter = vec![patient_nhs_number(nhs)];
    let since = |months: u32| (months > 0).then(|| months_before(today, months));
    let period = |name: &str, months: u32| {
        since(months).map(|start| json!({"name": name, "valuePeriod": {"start": start}}))
    };
    let area = |name: &str, parts: Vec<Option<Value>>| {
        let parts: Vec<Value> = parts.into_iter().flatten().collect();
        if parts.is_empty() {
            json!({"name": name})
        } else {
            json!({"name": name, "part": parts})
        }
    };
    let boolean = |name: &str, value: bool| Some(json!({"name": name, "valueBoolean": value}));
    for asked in config.areas.iter().map(String::as_str) {
        let part = match asked {
            "allergies" => area(
                "includeAllergies",
                vec![boolean("includeResolvedAllergies", true)],
            ),
            "medication" => area(
                "includeMedication",
                vec![
                    boolean("includePrescriptionIssues", true),
                    since(config.medication_months)
                        .map(|d| json!({"name": "medicationSearchFromDate", "valueDate": d})),
                ],
            ),
            "problems" => area("includeProblems", Vec::new()),
            "consultations" if config.consultations > 0 => area(
                "includeConsultations",
                vec![Some(json!({
                    "name": "includeNumberOfMostRecent",
                    "valuePositiveInt": config.consultations,
                }))],
            ),
            "immunisations" => area("includeImmunisations", Vec::new()),
            "uncategorised" => area(
                "includeUncategorisedData",
                vec![period(
                    "uncategorisedDataSearchPeriod",
                    config.history_months,
                )],
            ),
            "investigations" => area(
                "includeInvestigations",
                vec![period("investigationSearchPeriod", config.history_months)],
            ),
            "referrals" => area(
                "includeReferrals",
                vec![period("referralSearchPeriod", config.history_months)],
            ),
            _ => continue,
        };
        parameter.push(part);
    }
    json!({"resourceType": "Parameters", "parameter": parameter})
}

/// The date `months` months before `today` (the day clamped to the shorter month), as a
/// whole date: GP Connect refuses partial dates and times in search parameters.
fn months_before(today: time::Date, months: u32) -> String {
    let total =
        i64::from(today.year()) * 12 + i64::from(u8::from(today.month())) - 1 - i64::from(months);
    let (year, month0) = (total.div_euclid(12), total.rem_euclid(12));
    let month = time::Month::try_from((month0 + 1) as u8).unwrap_or(time::Month::January);
    let year = year as i32;
    let day = today.day().min(month.length(year));
    time::Date::from_calendar_date(year, month, day)
        .map(|d| d.to_string())
        .unwrap_or_else(|_| today.to_string())
}

/// The consumer's JWT: unsigned (`alg: none`, an empty signature after the last dot), valid
/// for five minutes from `now` (Unix seconds), for `audience` (the provider's service root).
pub fn jwt(config: &GpConnectConfig, requester: &Requester, audience: &Url, now: i64) -> String {
    let header = json!({"alg": "none", "typ": "JWT"});
    let issuer = config.issuer.as_str();
    let (family, given) = split_name(&requester.name);
    let organisation = match &requester.organisation {
        Some(code) => json!({
            "resourceType": "Organization",
            "identifier": [{"system": ODS_SYSTEM, "value": code}],
            "name": code,
        }),
        None => json!({
            "resourceType": "Organization",
            "identifier": [{"system": ODS_SYSTEM, "value": config.organisation_code}],
            "name": config.organisation_name,
        }),
    };
    let claims = json!({
        "iss": issuer,
        "sub": requester.user_id,
        "aud": audience.as_str().trim_end_matches('/'),
        "exp": now + JWT_LIFETIME_S,
        "iat": now,
        "reason_for_request": "directcare",
        "requested_scope": "patient/*.read",
        "requesting_device": {
            "resourceType": "Device",
            "identifier": [{"system": format!("{issuer}Id/device-identifier"), "value": config.device_id}],
            "model": "Shared care record viewer",
            "version": env!("CARGO_PKG_VERSION"),
        },
        "requesting_organization": organisation,
        "requesting_practitioner": {
            "resourceType": "Practitioner",
            "id": requester.user_id,
            "identifier": [
                {"system": SDS_USER_SYSTEM, "value": requester.user_id},
                // The role profile id is not carried through the portal's session yet:
                // `UNK`, as GP Connect allows for a user without one.
                {"system": SDS_ROLE_PROFILE_SYSTEM, "value": "UNK"},
                {"system": format!("{issuer}Id/portal-role"), "value": requester.role.as_str()},
            ],
            "name": [{"family": family, "given": given}],
        },
    });
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

/// A display name as FHIR's family and given names: the last word is the family name
/// (a single word is both, so neither is empty).
fn split_name(name: &str) -> (String, Vec<String>) {
    let words: Vec<&str> = name.split_whitespace().collect();
    match words.split_last() {
        Some((family, [])) => ((*family).to_owned(), vec![(*family).to_owned()]),
        Some((family, given)) => (
            (*family).to_owned(),
            given.iter().map(|g| (*g).to_owned()).collect(),
        ),
        None => ("UNK".to_owned(), vec!["UNK".to_owned()]),
    }
}

/// Where the request goes: the provider's operation URL, behind the SSP when one is set
/// (`<ssp>/<provider URL>`, the provider URL unescaped, as the SSP expects).
pub fn operation_url(base_url: &Url, ssp_url: Option<&Url>) -> Result<Url, url::ParseError> {
    let provider = format!("{}/{OPERATION}", base_url.as_str().trim_end_matches('/'));
    match ssp_url {
        None => Url::parse(&provider),
        Some(ssp) => Url::parse(&format!(
            "{}/{provider}",
            ssp.as_str().trim_end_matches('/')
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn config(areas: &[&str], medication_months: u32, history_months: u32) -> GpConnectConfig {
        let areas: Vec<String> = areas.iter().map(|a| format!("{a:?}")).collect();
        toml::from_str(&format!(
            "consumer_asid = \"200000000115\"\nprovider_asid = \"200000000116\"\n\
             issuer = \"https://portal.example.nhs.uk/\"\norganisation_code = \"RX1\"\n\
             organisation_name = \"Northgate Hospitals\"\nareas = [{}]\n\
             medication_months = {medication_months}\nhistory_months = {history_months}\n",
            areas.join(", ")
        ))
        .unwrap()
    }

    fn nhs() -> NhsNumber {
        NhsNumber::parse("9434765919").unwrap()
    }

    fn named<'a>(parameters: &'a Value, name: &str) -> Option<&'a Value> {
        parameters["parameter"]
            .as_array()?
            .iter()
            .find(|p| p["name"] == name)
    }

    #[test]
    fn every_area_is_asked_with_the_parts_the_specification_defines() {
        let body = parameters(
            &config(&super::super::config::AREAS, 0, 0),
            nhs(),
            date!(2026 - 12 - 03),
        );
        assert_eq!(body["resourceType"], "Parameters");
        let number = named(&body, "patientNHSNumber").unwrap();
        assert_eq!(number["valueIdentifier"]["system"], NHS_NUMBER_SYSTEM);
        assert_eq!(number["valueIdentifier"]["value"], "9434765919");
        // (parameter, its parts as name = value)
        let table: [(&str, &[(&str, Value)]); 8] = [
            (
                "includeAllergies",
                &[("includeResolvedAllergies", json!(true))],
            ),
            (
                "includeMedication",
                &[("includePrescriptionIssues", json!(true))],
            ),
            ("includeProblems", &[]),
            (
                "includeConsultations",
                &[("includeNumberOfMostRecent", json!(3))],
            ),
            ("includeImmunisations", &[]),
            ("includeUncategorisedData", &[]),
            ("includeInvestigations", &[]),
            ("includeReferrals", &[]),
        ];
        for (name, parts) in table {
            let p = named(&body, name).unwrap_or_else(|| panic!("{name} missing"));
            let got: Vec<(String, Value)> = p["part"]
                .as_array()
                .map(|parts| {
                    parts
                        .iter()
                        .map(|part| {
                            let value = part
                                .as_object()
                                .and_then(|o| o.iter().find(|(k, _)| k.starts_with("value")))
                                .map(|(_, v)| v.clone())
                                .unwrap_or(Value::Null);
                            (part["name"].as_str().unwrap_or_default().to_owned(), value)
                        })
                        .collect()
                })
                .unwrap_or_default();
            let want: Vec<(String, Value)> = parts
                .iter()
                .map(|(n, v)| ((*n).to_owned(), v.clone()))
                .collect();
            assert_eq!(got, want, "{name}");
        }
        assert_eq!(body["parameter"].as_array().unwrap().len(), 9);
    }

    #[test]
    fn look_backs_are_whole_dates_clamped_to_the_month() {
        let body = parameters(
            &config(&["medication", "referrals"], 3, 12),
            nhs(),
            date!(2026 - 05 - 31),
        );
        let medication = named(&body, "includeMedication").unwrap();
        assert_eq!(medication["part"][1]["valueDate"], "2026-02-28");
        let referrals = named(&body, "includeReferrals").unwrap();
        assert_eq!(referrals["part"][0]["valuePeriod"]["start"], "2025-05-31");
        assert!(named(&body, "includeProblems").is_none());
        assert_eq!(months_before(date!(2026 - 01 - 15), 1), "2025-12-15");
        assert_eq!(months_before(date!(2024 - 03 - 30), 13), "2023-02-28");
    }

    #[test]
    fn the_jwt_is_unsigned_and_names_the_user_their_organisation_and_the_portal() {
        let config = config(&["allergies"], 0, 0);
        let requester = Requester {
            user_id: "555254240100".into(),
            name: "Dr Amelia Clarke".into(),
            role: Role::AeClinician,
            organisation: Some("RX1".into()),
        };
        let audience = Url::parse("https://provider.example/B82617/STU3/1/gpconnect/").unwrap();
        let token = jwt(&config, &requester, &audience, 1_700_000_000);
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[2], "", "an empty signature after the last dot");
        let decode = |part: &str| -> Value {
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
        };
        assert_eq!(decode(parts[0]), json!({"alg": "none", "typ": "JWT"}));
        let claims = decode(parts[1]);
        assert_eq!(claims["iss"], "https://portal.example.nhs.uk/");
        assert_eq!(claims["sub"], "555254240100");
        assert_eq!(
            claims["aud"],
            "https://provider.example/B82617/STU3/1/gpconnect"
        );
        assert_eq!(claims["iat"], 1_700_000_000);
        assert_eq!(claims["exp"], 1_700_000_300);
        assert_eq!(claims["reason_for_request"], "directcare");
        assert_eq!(claims["requested_scope"], "patient/*.read");
        assert_eq!(claims["requesting_device"]["resourceType"], "Device");
        assert!(claims["requesting_device"]["model"].is_string());
        assert!(claims["requesting_device"]["version"].is_string());
        let organisation = &claims["requesting_organization"];
        assert_eq!(organisation["identifier"][0]["system"], ODS_SYSTEM);
        assert_eq!(organisation["identifier"][0]["value"], "RX1");
        let practitioner = &claims["requesting_practitioner"];
        assert_eq!(practitioner["id"], claims["sub"]);
        assert_eq!(practitioner["identifier"][0]["system"], SDS_USER_SYSTEM);
        assert_eq!(
            practitioner["identifier"][1]["system"],
            SDS_ROLE_PROFILE_SYSTEM
        );
        assert_eq!(practitioner["identifier"][2]["value"], "ae-clinician");
        assert_eq!(
            practitioner["name"][0],
            json!({"family": "Clarke", "given": ["Dr", "Amelia"]})
        );
    }

    #[test]
    fn without_a_role_organisation_the_portal_organisation_asks() {
        let config = config(&["allergies"], 0, 0);
        let requester = Requester {
            user_id: "u1".into(),
            name: "Sam".into(),
            role: Role::UrgentCareClinician,
            organisation: None,
        };
        let audience = Url::parse("https://provider.example/fhir").unwrap();
        let token = jwt(&config, &requester, &audience, 0);
        let claims: Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(token.split('.').nth(1).unwrap())
                .unwrap(),
        )
        .unwrap();
        let organisation = &claims["requesting_organization"];
        assert_eq!(organisation["identifier"][0]["value"], "RX1");
        assert_eq!(organisation["name"], "Northgate Hospitals");
        assert_eq!(
            claims["requesting_practitioner"]["name"][0],
            json!({"family": "Sam", "given": ["Sam"]})
        );
    }

    #[test]
    fn the_ssp_prefixes_the_whole_provider_url() {
        let base = Url::parse("https://provider.example/B82617/STU3/1/gpconnect/fhir/").unwrap();
        let direct = operation_url(&base, None).unwrap();
        assert_eq!(
            direct.as_str(),
            "https://provider.example/B82617/STU3/1/gpconnect/fhir/Patient/$gpc.getstructuredrecord"
        );
        let ssp = Url::parse("https://proxy.spine.example/").unwrap();
        let proxied = operation_url(&base, Some(&ssp)).unwrap();
        assert_eq!(
            proxied.as_str(),
            "https://proxy.spine.example/https://provider.example/B82617/STU3/1/gpconnect/fhir/Patient/$gpc.getstructuredrecord"
        );
    }
}
