//! Word lists and code lists the synthetic records draw from. SNOMED CT and LOINC codes are
//! real concepts; medicine codes are dm+d-style (VMP) identifiers and are illustrative only.

pub const SNOMED: &str = "http://snomed.info/sct";
pub const LOINC: &str = "http://loinc.org";
pub const UCUM: &str = "http://unitsofmeasure.org";

pub const FAMILY_NAMES: &[&str] = &[
    "Smith",
    "Jones",
    "Williams",
    "Taylor",
    "Brown",
    "Davies",
    "Evans",
    "Wilson",
    "Thomas",
    "Johnson",
    "Roberts",
    "Patel",
    "Khan",
    "O'Brien",
    "Nowak",
    "Okafor",
    "Nguyen",
    "Müller",
    "Ní Bhriain",
    "Kowalczyk",
    "MacLeod",
    "Ahmed",
    "Hughes",
    "Green",
];
pub const FEMALE_GIVEN: &[&str] = &[
    "Margaret",
    "Siobhán",
    "Zoë",
    "Aisha",
    "Emily",
    "Priya",
    "Chloé",
    "Joan",
    "Agnieszka",
    "Grace",
    "Amara",
    "Eilidh",
];
pub const MALE_GIVEN: &[&str] = &[
    "Łukasz", "John", "Mohammed", "Oliver", "Arjun", "Seán", "David", "Chinedu", "Thomas", "Björn",
    "Rhys", "George",
];
pub const FEMALE_PREFIXES: &[&str] = &["Mrs", "Ms", "Miss", "Dr"];
pub const MALE_PREFIXES: &[&str] = &["Mr", "Mr", "Mr", "Dr"];
pub const POSTCODES: &[&str] = &[
    "LS1 4AP", "BS8 1TH", "M13 9PL", "NE1 7RU", "EX2 5DW", "TA1 2PX", "SW1A 2AA",
];
/// The town of each postcode in [`POSTCODES`] (same order).
pub const TOWNS: &[&str] = &[
    "Leeds",
    "Bristol",
    "Manchester",
    "Newcastle upon Tyne",
    "Exeter",
    "Taunton",
    "London",
];
/// Streets for synthetic home addresses.
pub const STREETS: &[&str] = &[
    "Mill Lane",
    "Church Street",
    "Station Road",
    "Victoria Terrace",
    "Orchard Close",
    "High Street",
    "Park View",
];
/// The demo GP source's practice (as `server/config/demo.toml` names it): every synthetic
/// patient is registered there except those at the GP Connect practice (`gp_connect.rs`).
pub const GP_PRACTICE: (&str, &str) = ("Y12345", "Riverside Medical Practice");

/// (SNOMED CT code, display) for long-term problems seen in primary care.
pub const GP_PROBLEMS: &[(&str, &str)] = &[
    ("44054006", "Type 2 diabetes mellitus"),
    ("38341003", "Hypertensive disorder"),
    ("195967001", "Asthma"),
    ("13645005", "Chronic obstructive pulmonary disease"),
    ("49436004", "Atrial fibrillation"),
    ("709044004", "Chronic kidney disease"),
    ("69896004", "Rheumatoid arthritis"),
    ("396275006", "Osteoarthritis"),
    ("84114007", "Heart failure"),
    ("230690007", "Cerebrovascular accident"),
];
pub const MENTAL_HEALTH_PROBLEMS: &[(&str, &str)] = &[
    ("35489007", "Depressive disorder"),
    ("197480006", "Anxiety disorder"),
    ("13746004", "Bipolar disorder"),
    ("47505003", "Post-traumatic stress disorder"),
    ("58214004", "Schizophrenia"),
];
pub const ALLERGIES: &[(&str, &str)] = &[
    ("91936005", "Allergy to penicillin"),
    ("300916003", "Latex allergy"),
    ("91935009", "Allergy to peanuts"),
    ("294505008", "Allergy to aspirin"),
    ("418689008", "Allergy to grass pollen"),
];
/// What the GP records of each allergy in `ALLERGIES` besides its code, as R4 types it:
/// (category code, criticality code, reaction manifestation (SNOMED CT code, display),
/// severity code).
pub const ALLERGY_DETAILS: &[(&str, &str, (&str, &str), &str)] = &[
    ("medication", "high", ("39579001", "Anaphylaxis"), "severe"),
    (
        "environment",
        "low",
        ("271807003", "Eruption of skin"),
        "mild",
    ),
    ("food", "high", ("39579001", "Anaphylaxis"), "severe"),
    ("medication", "low", ("418290006", "Itching"), "moderate"),
    (
        "environment",
        "low",
        ("61582004", "Allergic rhinitis"),
        "mild",
    ),
];
/// (dm+d-style VMP code, name, dose instruction).
pub const MEDICINES: &[(&str, &str, &str)] = &[
    (
        "39109411000001103",
        "Metformin 500mg tablets",
        "One tablet twice a day with meals",
    ),
    (
        "39113611000001102",
        "Amlodipine 5mg tablets",
        "One tablet once a day",
    ),
    (
        "39732311000001104",
        "Salbutamol 100micrograms/dose inhaler",
        "Two puffs when required",
    ),
    (
        "39695211000001102",
        "Atorvastatin 20mg tablets",
        "One tablet at night",
    ),
    (
        "39720311000001101",
        "Paracetamol 500mg tablets",
        "Two tablets up to four times a day",
    ),
    (
        "39107611000001102",
        "Ramipril 5mg capsules",
        "One capsule once a day",
    ),
    (
        "39099011000001109",
        "Apixaban 5mg tablets",
        "One tablet twice a day",
    ),
    (
        "39019411000001108",
        "Omeprazole 20mg gastro-resistant capsules",
        "One capsule each morning",
    ),
];
pub const MENTAL_HEALTH_MEDICINES: &[(&str, &str, &str)] = &[
    (
        "39866111000001108",
        "Sertraline 50mg tablets",
        "One tablet once a day",
    ),
    (
        "39688611000001107",
        "Mirtazapine 15mg tablets",
        "One tablet at night",
    ),
    (
        "39711911000001105",
        "Quetiapine 25mg tablets",
        "One tablet twice a day",
    ),
];
pub const PROCEDURES: &[(&str, &str)] = &[
    ("80146002", "Appendicectomy"),
    ("38102005", "Cholecystectomy"),
    ("52734007", "Total hip replacement"),
    ("609588000", "Total knee replacement"),
    ("73761001", "Colonoscopy"),
    ("232717009", "Coronary artery bypass graft"),
];
/// (LOINC code, display, UCUM unit, low, high, divisor): a value is `between(low, high) / divisor`.
pub const LAB_TESTS: &[(&str, &str, &str, i64, i64, i64)] = &[
    ("718-7", "Haemoglobin", "g/L", 95, 165, 1),
    ("14682-9", "Creatinine", "umol/L", 55, 180, 1),
    ("1988-5", "C reactive protein", "mg/L", 1, 120, 1),
    ("2951-2", "Sodium", "mmol/L", 128, 146, 1),
    ("2823-3", "Potassium", "mmol/L", 30, 60, 10),
];
pub const VACCINES: &[(&str, &str)] = &[
    ("1181000221105", "Influenza vaccine"),
    ("1119349007", "COVID-19 mRNA vaccine"),
    ("836398006", "Pneumococcal vaccine"),
];
pub const IMAGING: &[(&str, &str, &str)] = &[
    (
        "399208008",
        "Chest X-ray",
        "No acute cardiopulmonary abnormality.",
    ),
    ("303653007", "CT of head", "No intracranial haemorrhage."),
    (
        "241615005",
        "MRI of knee",
        "Degenerative change of the medial compartment.",
    ),
];
/// Alerts a social-care record raises.
pub const SOCIAL_CARE_FLAGS: &[&str] = &[
    "Lives alone; key safe in use",
    "Risk of falls",
    "Carer: daughter, lives nearby",
    "Lasting power of attorney (health and welfare) registered",
];
