//! A GP Connect source's settings (`[sources.gp_connect]`): who the portal is on Spine, which
//! provider it asks and how (directly or through the Spine Secure Proxy), and which parts of
//! the structured record it asks for.

use serde::Deserialize;
use url::Url;

/// `[sources.gp_connect]`, required for a source with `api = "gp-connect"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpConnectConfig {
    /// The portal's Spine Accredited System ID (`Ssp-From`).
    pub consumer_asid: String,
    /// The GP system's ASID for this practice (`Ssp-To`), from the Spine Directory Service.
    pub provider_asid: String,
    /// The Spine Secure Proxy's base URL. When set, the request goes to
    /// `<ssp_url>/<the source's base_url>/Patient/$gpc.getstructuredrecord`, as the SSP
    /// expects; when absent, straight to the provider (a test or a local arrangement).
    #[serde(default)]
    pub ssp_url: Option<Url>,
    /// The JWT's `iss`: the portal's own Spine endpoint URL.
    pub issuer: Url,
    /// The organisation asking, as the JWT's `requesting_organization`, when the signed-in
    /// user's role names none: the portal's host organisation's ODS code and name.
    pub organisation_code: String,
    pub organisation_name: String,
    /// The JWT's `requesting_device`: this portal's identifier (its system is
    /// `<issuer>Id/device-identifier`).
    #[serde(default = "default_device_id")]
    pub device_id: String,
    /// Medication and medical devices issued or authorised in the last this-many months
    /// (`medicationSearchFromDate`); 0 (the default) asks for all. With problems or
    /// consultations GP Connect allows only 12, with `consultations = 3` (its pre-defined
    /// search 1); a clinical-safety rule of the specification.
    #[serde(default)]
    pub medication_months: u32,
    /// The most recent this-many consultations (`includeNumberOfMostRecent`); 0 leaves
    /// consultations out.
    #[serde(default = "default_consultations")]
    pub consultations: u32,
    /// Uncategorised data, investigations and referrals of the last this-many months (their
    /// search periods); 0 (the default) asks for all. As `medication_months`, not allowed
    /// with problems or consultations.
    #[serde(default)]
    pub history_months: u32,
    /// Clinical areas asked for; default all of [`AREAS`].
    #[serde(default = "default_areas")]
    pub areas: Vec<String>,
}

/// The clinical areas the structured record offers, as configured in `areas`.
pub const AREAS: [&str; 8] = [
    "allergies",
    "medication",
    "problems",
    "consultations",
    "immunisations",
    "uncategorised",
    "investigations",
    "referrals",
];

fn default_device_id() -> String {
    "shared-care-record-viewer".to_owned()
}
fn default_consultations() -> u32 {
    3
}
fn default_areas() -> Vec<String> {
    AREAS.iter().map(|a| (*a).to_owned()).collect()
}

impl GpConnectConfig {
    /// Whether `area` (one of [`AREAS`]) is asked for.
    pub fn asks_for(&self, area: &str) -> bool {
        self.areas.iter().any(|a| a == area)
    }

    /// GP Connect's "pre-defined search 1" (the last 3 consultations, the last year's
    /// medication, allergies and problems): the one search the specification allows a
    /// medication look-back in together with consultations and problems.
    fn is_predefined_search_1(&self) -> bool {
        self.medication_months == 12 && self.consultations == 3 && self.history_months == 0
    }

    /// What is wrong with this table, one message per problem, each naming its key.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (key, asid) in [
            ("gp_connect.consumer_asid", &self.consumer_asid),
            ("gp_connect.provider_asid", &self.provider_asid),
        ] {
            if asid.is_empty() || asid.len() > 12 || !asid.chars().all(|c| c.is_ascii_digit()) {
                problems.push(format!("{key} must be an ASID: 1 to 12 digits"));
            }
        }
        if !is_ods_code(&self.organisation_code) {
            problems.push(
                "gp_connect.organisation_code must be an ODS code (letters and digits, at most 12)"
                    .to_owned(),
            );
        }
        if self.organisation_name.trim().is_empty() {
            problems.push("gp_connect.organisation_name must not be empty".to_owned());
        }
        if self.device_id.trim().is_empty() {
            problems.push("gp_connect.device_id must not be empty".to_owned());
        }
        if self.medication_months > 1200 || self.history_months > 1200 {
            problems.push(
                "gp_connect.medication_months and history_months must be at most 1200".to_owned(),
            );
        }
        let with_consultations_or_problems =
            self.asks_for("problems") || self.asks_for("consultations");
        if with_consultations_or_problems && self.history_months > 0 {
            problems.push(
                "gp_connect.history_months must be 0 while areas include problems or consultations: GP Connect does not permit those search periods with them".to_owned(),
            );
        }
        if with_consultations_or_problems
            && self.medication_months > 0
            && !self.is_predefined_search_1()
        {
            problems.push(
                "gp_connect.medication_months must be 0 (or 12, with consultations = 3: GP Connect's predefined search 1) while areas include problems or consultations".to_owned(),
            );
        }
        if self.consultations > 100 {
            problems.push("gp_connect.consultations must be at most 100".to_owned());
        }
        if self.areas.is_empty() {
            problems.push("gp_connect.areas must name at least one clinical area".to_owned());
        }
        for area in &self.areas {
            if !AREAS.contains(&area.as_str()) {
                problems.push(format!(
                    "gp_connect.areas entry {area:?} is not one of {}",
                    AREAS.join(", ")
                ));
            }
        }
        if let Some(ssp) = &self.ssp_url {
            if ssp.cannot_be_a_base() || !matches!(ssp.scheme(), "http" | "https") {
                problems.push("gp_connect.ssp_url must be an http(s) base URL".to_owned());
            }
        }
        problems
    }
}

/// An ODS code as Spine writes them: letters and digits, at most 12.
fn is_ods_code(code: &str) -> bool {
    !code.is_empty() && code.len() <= 12 && code.chars().all(|c| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid table with `line` (`key = value`) replacing or adding its key.
    fn config(line: &str) -> Result<GpConnectConfig, toml::de::Error> {
        let key = line.split(" = ").next().unwrap_or_default();
        let base = [
            "consumer_asid = \"200000000115\"",
            "provider_asid = \"200000000116\"",
            "issuer = \"https://portal.example.nhs.uk/\"",
            "organisation_code = \"RX1\"",
            "organisation_name = \"Northgate Hospitals\"",
        ];
        let mut lines: Vec<&str> = base
            .into_iter()
            .filter(|l| key.is_empty() || !l.starts_with(&format!("{key} =")))
            .collect();
        lines.push(line);
        toml::from_str(&lines.join("\n"))
    }

    #[test]
    fn a_minimal_table_asks_for_every_area_and_is_valid() {
        let config = config("").unwrap();
        assert!(config.problems().is_empty(), "{:?}", config.problems());
        assert!(AREAS.iter().all(|a| config.asks_for(a)));
        assert_eq!((config.medication_months, config.consultations), (0, 3));
    }

    #[test]
    fn each_bad_value_is_named_by_its_key() {
        let table = [
            ("consumer_asid = \"12ab\"", "gp_connect.consumer_asid"),
            ("provider_asid = \"\"", "gp_connect.provider_asid"),
            (
                "provider_asid = \"1234567890123\"",
                "gp_connect.provider_asid",
            ),
            (
                "organisation_code = \"R X1\"",
                "gp_connect.organisation_code",
            ),
            ("organisation_name = \" \"", "gp_connect.organisation_name"),
            ("device_id = \"\"", "gp_connect.device_id"),
            ("consultations = 101", "gp_connect.consultations"),
            ("medication_months = 5000", "gp_connect.medication_months"),
            ("areas = []", "gp_connect.areas"),
            ("areas = [\"allergies\", \"letters\"]", "\"letters\""),
            (
                "ssp_url = \"mailto:proxy@example.org\"",
                "gp_connect.ssp_url",
            ),
            // Not permitted with problems or consultations (every area is asked by default).
            (
                "history_months = 6",
                "must be 0 while areas include problems",
            ),
        ];
        for (line, named) in table {
            let problems = config(line).unwrap().problems();
            assert!(
                problems.iter().any(|p| p.contains(named)),
                "{line}: {problems:?}"
            );
        }
    }

    #[test]
    fn the_predefined_search_is_the_one_look_back_allowed_with_problems() {
        let config = |lines: &str| -> GpConnectConfig {
            toml::from_str(&format!(
                "consumer_asid = \"1\"\nprovider_asid = \"2\"\nissuer = \"https://p.example/\"\n\
                 organisation_code = \"RX1\"\norganisation_name = \"N\"\n{lines}"
            ))
            .unwrap()
        };
        assert!(config("medication_months = 12").problems().is_empty());
        assert!(!config("medication_months = 12\nconsultations = 5")
            .problems()
            .is_empty());
        let without = "areas = [\"allergies\", \"medication\", \"immunisations\"]";
        assert!(config(&format!(
            "medication_months = 6\nhistory_months = 24\n{without}"
        ))
        .problems()
        .is_empty());
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(config("ssp = \"https://proxy.example/\"").is_err());
    }
}
