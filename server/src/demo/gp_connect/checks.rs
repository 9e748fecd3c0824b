//! Validation of a `$gpc.getstructuredrecord` request as a GP Connect provider must do it:
//! the Spine headers, the consumer's unsigned JWT and the `Parameters` body, each failure
//! refused with its Spine error code and HTTP status.

use super::records::{ODS_SYSTEM, SDS_USER_SYSTEM};
use app::clinical_date::{ClinicalDate, DatePrecision};
use app::nhs_number::{NhsNumber, NHS_NUMBER_SYSTEM};
use axum::http::{header, HeaderMap, StatusCode};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

pub const INTERACTION_ID: &str =
    "urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1";
const JWT_LIFETIME_S: i64 = 300;

/// A refused request: HTTP status, Spine error code and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    pub code: &'static str,
    pub diagnostics: String,
}

impl Refusal {
    pub fn new(code: &'static str, diagnostics: impl Into<String>) -> Self {
        let status = match code {
            "INVALID_NHS_NUMBER" | "INVALID_IDENTIFIER_SYSTEM" | "BAD_REQUEST" => {
                StatusCode::BAD_REQUEST
            }
            "NO_PATIENT_CONSENT" | "ACCESS DENIED" => StatusCode::FORBIDDEN,
            "PATIENT_NOT_FOUND" | "NO_RECORD_FOUND" => StatusCode::NOT_FOUND,
            "INVALID_RESOURCE" | "INVALID_PARAMETER" => StatusCode::UNPROCESSABLE_ENTITY,
            "NOT_IMPLEMENTED" => StatusCode::NOT_IMPLEMENTED,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Self {
            status,
            code,
            diagnostics: diagnostics.into(),
        }
    }

    /// (FHIR issue type, Spine display) of the code, as the error handling guidance gives them.
    pub fn issue(&self) -> (&'static str, &'static str) {
        match self.code {
            "INVALID_NHS_NUMBER" => ("value", "Invalid NHS number"),
            "INVALID_IDENTIFIER_SYSTEM" => ("value", "Invalid identifier system"),
            "BAD_REQUEST" => ("invalid", "Bad request"),
            "NO_PATIENT_CONSENT" => (
                "forbidden",
                "Patient has not provided consent to share data",
            ),
            "ACCESS DENIED" => ("forbidden", "Access denied"),
            "PATIENT_NOT_FOUND" => ("not-found", "Patient not found"),
            "NO_RECORD_FOUND" => ("not-found", "No record found"),
            "INVALID_RESOURCE" => ("invalid", "Invalid validation of resource"),
            "INVALID_PARAMETER" => ("invalid", "Invalid parameter"),
            "NOT_IMPLEMENTED" => ("not-supported", "Not implemented"),
            _ => ("exception", "Internal server error"),
        }
    }
}

fn bad(diagnostics: impl Into<String>) -> Refusal {
    Refusal::new("BAD_REQUEST", diagnostics)
}

fn invalid_parameter(diagnostics: impl Into<String>) -> Refusal {
    Refusal::new("INVALID_PARAMETER", diagnostics)
}

fn invalid_resource(diagnostics: impl Into<String>) -> Refusal {
    Refusal::new("INVALID_RESOURCE", diagnostics)
}

/// A search period as day numbers (either end open).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Period {
    pub start: Option<i64>,
    pub end: Option<i64>,
}

impl Period {
    /// Whether an item whose date covers days `first..=last` falls in the period (a partial
    /// date is the interval it covers; overlapping counts).
    pub fn holds(&self, (first, last): (i64, i64)) -> bool {
        self.start.is_none_or(|s| last >= s) && self.end.is_none_or(|e| first <= e)
    }
}

/// What the consumer asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Asked {
    pub nhs: Option<NhsNumber>,
    /// `includeResolvedAllergies`.
    pub allergies: Option<bool>,
    pub medication: Option<Medication>,
    pub consultations: Option<Consultations>,
    /// `filterStatus` (`Some(None)`: every problem).
    pub problems: Option<Option<bool>>,
    pub immunisations: Option<Immunisations>,
    pub uncategorised: Option<Period>,
    pub investigations: Option<Period>,
    pub referrals: Option<Period>,
    pub diary_entries: bool,
    /// Parameters and part parameters this provider does not recognise (`name` or
    /// `parent.part`): answered with a warning, as forwards compatibility requires.
    pub unrecognised: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Medication {
    pub issues: bool,
    pub from: Option<i64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Consultations {
    pub period: Period,
    pub most_recent: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Immunisations {
    pub not_given: bool,
    pub status: bool,
}

/// The Spine headers: refused with `BAD_REQUEST` unless each is present and right.
pub fn headers(headers: &HeaderMap, provider_asid: &str) -> Result<(), Refusal> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let trace = get("Ssp-TraceID").ok_or_else(|| bad("Ssp-TraceID header is missing"))?;
    uuid::Uuid::parse_str(trace).map_err(|_| bad("Ssp-TraceID header is not a UUID"))?;
    let from = get("Ssp-From").ok_or_else(|| bad("Ssp-From header is missing"))?;
    if from.is_empty() || !from.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("Ssp-From header is not an ASID"));
    }
    match get("Ssp-To") {
        None => return Err(bad("Ssp-To header is missing")),
        Some(to) if to != provider_asid => {
            return Err(bad("Ssp-To header does not name this provider's ASID"))
        }
        Some(_) => {}
    }
    match get("Ssp-InteractionID") {
        None => return Err(bad("Ssp-InteractionID header is missing")),
        Some(id) if id != INTERACTION_ID => {
            return Err(bad("Ssp-InteractionID does not match the request"))
        }
        Some(_) => {}
    }
    let content_type = get(header::CONTENT_TYPE.as_str()).unwrap_or_default();
    let media = content_type.split(';').next().unwrap_or_default().trim();
    if !media.eq_ignore_ascii_case("application/fhir+json") {
        return Err(bad("Content-Type must be application/fhir+json"));
    }
    Ok(())
}

/// The JWT's header and claims, decoded (not validated): `None` if it is not three
/// base64url parts of JSON.
pub fn decode_jwt(headers: &HeaderMap) -> Option<(Value, Value, String)> {
    let token = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?
        .trim();
    let mut parts = token.split('.');
    let (head, claims, signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let json = |part: &str| -> Option<Value> {
        let bytes = URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?;
        serde_json::from_slice(&bytes).ok()
    };
    Some((json(head)?, json(claims)?, signature.to_owned()))
}

/// The consumer's JWT, checked as the audit and provenance guidance requires: unsigned,
/// five minutes' life, for this provider, direct care, patient read, and who asks.
pub fn jwt(headers: &HeaderMap, audience: &str, now: i64) -> Result<(), Refusal> {
    if headers.get(header::AUTHORIZATION).is_none() {
        return Err(bad("Authorization header is missing"));
    }
    let (head, claims, signature) = decode_jwt(headers)
        .ok_or_else(|| bad("Authorization is not a Bearer JWT of three base64url JSON parts"))?;
    if head["alg"] != "none" {
        return Err(bad("JWT alg must be none"));
    }
    if !signature.is_empty() {
        return Err(bad("JWT signature must be empty"));
    }
    let text = |name: &str| claims[name].as_str().filter(|s| !s.trim().is_empty());
    text("iss").ok_or_else(|| bad("JWT iss claim is missing"))?;
    let sub = text("sub").ok_or_else(|| bad("JWT sub claim is missing"))?;
    let aud = text("aud").ok_or_else(|| bad("Empty JWT aud claim"))?;
    if aud.trim_end_matches('/') != audience.trim_end_matches('/') {
        return Err(bad("JWT aud claim is not this provider's service root"));
    }
    let (Some(exp), Some(iat)) = (claims["exp"].as_i64(), claims["iat"].as_i64()) else {
        return Err(bad("JWT exp and iat claims must be whole seconds"));
    };
    if exp != iat + JWT_LIFETIME_S {
        return Err(bad("JWT exp claim must be iat + 300"));
    }
    if now >= exp {
        return Err(bad("JWT has expired"));
    }
    if text("reason_for_request") != Some("directcare") {
        return Err(bad("JWT reason_for_request claim must be directcare"));
    }
    let scopes = text("requested_scope").unwrap_or_default();
    let scopes: Vec<&str> = scopes.split_whitespace().collect();
    if !scopes.contains(&"patient/*.read")
        || scopes
            .iter()
            .any(|s| !matches!(*s, "patient/*.read" | "conf/N" | "conf/R"))
    {
        return Err(bad("JWT requested_scope claim must be patient/*.read"));
    }
    let device = &claims["requesting_device"];
    if device["resourceType"] != "Device"
        || !has_identifier(device, None)
        || !nonempty(&device["model"])
        || !nonempty(&device["version"])
    {
        return Err(bad(
            "JWT requesting_device claim must be a Device with identifier, model and version",
        ));
    }
    let organization = &claims["requesting_organization"];
    if organization["resourceType"] != "Organization"
        || !has_identifier(organization, Some(ODS_SYSTEM))
        || !nonempty(&organization["name"])
    {
        return Err(bad(
            "JWT requesting_organization claim must be an Organization with an ODS code and name",
        ));
    }
    let practitioner = &claims["requesting_practitioner"];
    let named = practitioner["name"].as_array().is_some_and(|names| {
        names.iter().any(|n| {
            nonempty(&n["family"])
                || n["given"]
                    .as_array()
                    .is_some_and(|g| g.iter().any(nonempty))
        })
    });
    if practitioner["resourceType"] != "Practitioner"
        || practitioner["id"].as_str() != Some(sub)
        || !has_identifier(practitioner, Some(SDS_USER_SYSTEM))
        || !named
    {
        return Err(bad("JWT requesting_practitioner claim must be a Practitioner with id = sub, an SDS user id and a name"));
    }
    Ok(())
}

fn nonempty(value: &Value) -> bool {
    value.as_str().is_some_and(|s| !s.trim().is_empty())
}

fn has_identifier(resource: &Value, system: Option<&str>) -> bool {
    resource["identifier"].as_array().is_some_and(|ids| {
        ids.iter().any(|i| {
            nonempty(&i["system"])
                && nonempty(&i["value"])
                && system.is_none_or(|s| i["system"] == s)
        })
    })
}

/// The parameter names this provider knows, with their part parameters.
const PARAMETERS: [(&str, &[&str]); 9] = [
    ("includeAllergies", &["includeResolvedAllergies"]),
    (
        "includeMedication",
        &["includePrescriptionIssues", "medicationSearchFromDate"],
    ),
    (
        "includeConsultations",
        &["consultationSearchPeriod", "includeNumberOfMostRecent"],
    ),
    ("includeProblems", &["filterStatus"]),
    (
        "includeImmunisations",
        &["includeNotGiven", "includeStatus"],
    ),
    (
        "includeUncategorisedData",
        &["uncategorisedDataSearchPeriod"],
    ),
    ("includeInvestigations", &["investigationSearchPeriod"]),
    ("includeReferrals", &["referralSearchPeriod"]),
    ("includeDiaryEntries", &["diaryEntriesSearchDate"]),
];

/// Part parameters that must not be sent with consultations or problems (the predefined
/// searches allow `medicationSearchFromDate` with them, so it is not refused).
const NOT_WITH_CONSULTATIONS: [&str; 6] = [
    "uncategorisedDataSearchPeriod",
    "filterStatus",
    "referralSearchPeriod",
    "diaryEntriesSearchDate",
    "includeNotGiven",
    "includeStatus",
];
const NOT_WITH_PROBLEMS: [&str; 5] = [
    "uncategorisedDataSearchPeriod",
    "referralSearchPeriod",
    "diaryEntriesSearchDate",
    "includeNotGiven",
    "includeStatus",
];

/// The `Parameters` body, read as the operation definition says; `today` is a day number.
pub fn parameters(body: &[u8], today: i64) -> Result<Asked, Refusal> {
    let resource: Value = serde_json::from_slice(body)
        .map_err(|_| invalid_resource("The Parameters resource could not be parsed"))?;
    if resource["resourceType"] != "Parameters" {
        return Err(invalid_resource("The body is not a Parameters resource"));
    }
    let list = resource["parameter"]
        .as_array()
        .ok_or_else(|| invalid_resource("Parameters.parameter is missing"))?;
    let mut asked = Asked::default();
    let mut seen: Vec<&str> = Vec::new();
    let mut parts_sent: Vec<&str> = Vec::new();
    for parameter in list {
        let name = parameter["name"]
            .as_str()
            .ok_or_else(|| invalid_resource("A parameter has no name"))?;
        if seen.contains(&name) {
            return Err(invalid_resource(format!("{name} is given more than once")));
        }
        seen.push(name);
        if name == "patientNHSNumber" {
            asked.nhs = Some(nhs_number(parameter)?);
            continue;
        }
        let Some((_, known_parts)) = PARAMETERS.iter().find(|(n, _)| *n == name) else {
            asked.unrecognised.push(name.to_owned());
            continue;
        };
        let mut parts: Vec<(&str, &Value)> = Vec::new();
        for part in parameter["part"].as_array().into_iter().flatten() {
            let part_name = part["name"]
                .as_str()
                .ok_or_else(|| invalid_resource(format!("A part of {name} has no name")))?;
            if parts.iter().any(|(n, _)| *n == part_name) {
                return Err(invalid_resource(format!(
                    "{name}.{part_name} is given more than once"
                )));
            }
            if known_parts.contains(&part_name) {
                parts.push((part_name, part));
                parts_sent.push(part_name);
            } else if PARAMETERS.iter().any(|(_, p)| p.contains(&part_name)) {
                return Err(invalid_parameter(format!(
                    "{part_name} may not be given as a part of {name}"
                )));
            } else {
                asked.unrecognised.push(format!("{name}.{part_name}"));
            }
        }
        let part = |n: &str| parts.iter().find(|(p, _)| *p == n).map(|(_, v)| *v);
        match name {
            "includeAllergies" => {
                let resolved = part("includeResolvedAllergies").ok_or_else(|| {
                    invalid_parameter(
                        "includeAllergies requires the includeResolvedAllergies part parameter",
                    )
                })?;
                asked.allergies = Some(boolean(resolved, "includeResolvedAllergies")?);
            }
            "includeMedication" => {
                let issues = part("includePrescriptionIssues")
                    .map(|p| boolean(p, "includePrescriptionIssues"))
                    .transpose()?
                    .unwrap_or(true);
                let from = part("medicationSearchFromDate")
                    .map(|p| whole_date(&p["valueDate"], "medicationSearchFromDate"))
                    .transpose()?;
                if from.is_some_and(|d| d > today) {
                    return Err(invalid_parameter(
                        "medicationSearchFromDate is after the current date",
                    ));
                }
                asked.medication = Some(Medication { issues, from });
            }
            "includeConsultations" => {
                let period = part("consultationSearchPeriod")
                    .map(|p| period(p, "consultationSearchPeriod", today))
                    .transpose()?;
                let most_recent = part("includeNumberOfMostRecent")
                    .map(|p| {
                        p["valuePositiveInt"]
                            .as_u64()
                            .filter(|n| *n >= 1)
                            .map(|n| n as usize)
                            .ok_or_else(|| {
                                invalid_parameter("includeNumberOfMostRecent must be a positiveInt")
                            })
                    })
                    .transpose()?;
                if period.is_some() && most_recent.is_some() {
                    return Err(invalid_resource("consultationSearchPeriod and includeNumberOfMostRecent may not both be given"));
                }
                asked.consultations = Some(Consultations {
                    period: period.unwrap_or_default(),
                    most_recent,
                });
            }
            "includeProblems" => {
                let status = part("filterStatus")
                    .map(|p| match p["valueCode"].as_str() {
                        Some("active") => Ok(true),
                        Some("inactive") => Ok(false),
                        _ => Err(invalid_parameter("filterStatus must be active or inactive")),
                    })
                    .transpose()?;
                asked.problems = Some(status);
            }
            "includeImmunisations" => {
                let not_given = part("includeNotGiven")
                    .map(|p| boolean(p, "includeNotGiven"))
                    .transpose()?;
                let status = part("includeStatus")
                    .map(|p| boolean(p, "includeStatus"))
                    .transpose()?;
                asked.immunisations = Some(Immunisations {
                    not_given: not_given.unwrap_or(false),
                    status: status.unwrap_or(true),
                });
            }
            "includeUncategorisedData" => {
                asked.uncategorised = Some(optional_period(
                    part("uncategorisedDataSearchPeriod"),
                    "uncategorisedDataSearchPeriod",
                    today,
                )?);
            }
            "includeInvestigations" => {
                asked.investigations = Some(optional_period(
                    part("investigationSearchPeriod"),
                    "investigationSearchPeriod",
                    today,
                )?);
            }
            "includeReferrals" => {
                asked.referrals = Some(optional_period(
                    part("referralSearchPeriod"),
                    "referralSearchPeriod",
                    today,
                )?);
            }
            _ => {
                if let Some(p) = part("diaryEntriesSearchDate") {
                    if whole_date(&p["valueDate"], "diaryEntriesSearchDate")? < today {
                        return Err(invalid_parameter(
                            "diaryEntriesSearchDate is before the current date",
                        ));
                    }
                }
                asked.diary_entries = true;
            }
        }
    }
    if asked.nhs.is_none() {
        return Err(invalid_parameter(
            "The patientNHSNumber parameter is missing",
        ));
    }
    let combination = |area: bool, forbidden: &[&str], what: &str| match parts_sent
        .iter()
        .find(|p| area && forbidden.contains(p))
    {
        Some(p) => Err(invalid_parameter(format!(
            "{p} may not be given when requesting {what}"
        ))),
        None => Ok(()),
    };
    combination(
        asked.consultations.is_some(),
        &NOT_WITH_CONSULTATIONS,
        "consultations",
    )?;
    combination(asked.problems.is_some(), &NOT_WITH_PROBLEMS, "problems")?;
    // `patientNHSNumber` is itself a recognised parameter: asked alone, the answer holds the
    // Patient, their practice and usual GP and no clinical area (the portal's identity check
    // before a basis asks so). The specification's "no recognised parameters" row is read as
    // a request naming nothing this provider knows, which the missing number already refuses.
    Ok(asked)
}

fn nhs_number(parameter: &Value) -> Result<NhsNumber, Refusal> {
    let identifier = &parameter["valueIdentifier"];
    if !identifier.is_object() {
        return Err(invalid_parameter("patientNHSNumber must be an Identifier"));
    }
    if identifier["system"] != NHS_NUMBER_SYSTEM {
        return Err(Refusal::new(
            "INVALID_IDENTIFIER_SYSTEM",
            "patientNHSNumber system must be https://fhir.nhs.uk/Id/nhs-number",
        ));
    }
    let value = identifier["value"].as_str().unwrap_or_default();
    if value.len() != 10 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Refusal::new(
            "INVALID_NHS_NUMBER",
            "patientNHSNumber must be ten digits",
        ));
    }
    NhsNumber::parse(value).map_err(|_| {
        Refusal::new(
            "INVALID_NHS_NUMBER",
            "patientNHSNumber fails the check digit test",
        )
    })
}

fn boolean(part: &Value, name: &str) -> Result<bool, Refusal> {
    part["valueBoolean"]
        .as_bool()
        .ok_or_else(|| invalid_parameter(format!("{name} must have a valueBoolean")))
}

/// A whole date (`YYYY-MM-DD`: no partial date, time or offset) as a day number.
fn whole_date(value: &Value, name: &str) -> Result<i64, Refusal> {
    let text = value
        .as_str()
        .ok_or_else(|| invalid_parameter(format!("{name} has no value")))?;
    match ClinicalDate::parse(text) {
        Ok(d) if d.precision == DatePrecision::Day && !text.contains('T') => Ok(d.days().0),
        _ => Err(invalid_parameter(format!(
            "{name} must be a whole date (YYYY-MM-DD)"
        ))),
    }
}

fn optional_period(part: Option<&Value>, name: &str, today: i64) -> Result<Period, Refusal> {
    part.map(|p| period(p, name, today))
        .transpose()
        .map(Option::unwrap_or_default)
}

fn period(part: &Value, name: &str, today: i64) -> Result<Period, Refusal> {
    let value = &part["valuePeriod"];
    if !value.is_object() || (value.get("start").is_none() && value.get("end").is_none()) {
        return Err(invalid_parameter(format!("{name} has no value")));
    }
    let bound = |key: &str| -> Result<Option<i64>, Refusal> {
        match value.get(key) {
            None => Ok(None),
            Some(v) => {
                let day = whole_date(v, &format!("{name}.{key}"))?;
                if day > today {
                    return Err(invalid_parameter(format!(
                        "{name}.{key} is after the current date"
                    )));
                }
                Ok(Some(day))
            }
        }
    };
    let period = Period {
        start: bound("start")?,
        end: bound("end")?,
    };
    if let (Some(s), Some(e)) = (period.start, period.end) {
        if s > e {
            return Err(invalid_parameter(format!("{name}.start is after its end")));
        }
    }
    Ok(period)
}
