//! The audit officer's reports: accesses per day and per user, out-of-hours accesses, users
//! with many emergency accesses, users who opened records of patients sharing their surname,
//! and the patient access report that answers a subject access request. Computed on the
//! server from the audit trail (itself audited); refused to every role but audit officers.

use crate::api::LookupError;
use crate::audit::AuditRow;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The period a report covers: local (UK) dates, inclusive; empty means the last 30 days.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReportQuery {
    pub from: String,
    pub to: String,
}

/// Record accesses on one local day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCount {
    /// `YYYY-MM-DD`, UK local date.
    pub day: String,
    pub in_hours: u32,
    pub out_of_hours: u32,
    /// Of those, opened on the emergency basis.
    pub emergency: u32,
}

/// One user's record accesses in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserCount {
    pub user_id: String,
    pub user_name: String,
    pub organisation: Option<String>,
    pub accesses: u32,
    pub emergency: u32,
    pub out_of_hours: u32,
    /// Different patients opened.
    pub patients: u32,
}

/// A user who opened the record of a patient sharing their surname.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurnameAccess {
    pub user_id: String,
    pub user_name: String,
    pub nhs_number: String,
    pub accesses: u32,
    /// RFC 3339, UTC.
    pub last: String,
    /// `last` on the UK clock, as the server shows every time (`3 Dec 2026 14:03:27 GMT`).
    pub last_local: String,
}

/// How many requests one rule refused in a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusalCount {
    /// The stored kind (`dissent`); empty for refusals written before kinds were named.
    pub refusal: String,
    /// In people's words.
    pub label: String,
    pub count: u32,
}

/// Who opened which records, when, in a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessReport {
    pub from: String,
    pub to: String,
    /// What counts as out of hours, in words.
    pub working_hours: String,
    pub accesses: u64,
    pub out_of_hours: u64,
    pub emergency: u64,
    /// Every day of the period, oldest first.
    pub per_day: Vec<DayCount>,
    /// Users by accesses, most first (at most 25).
    pub per_user: Vec<UserCount>,
    /// Users with at least `emergency_threshold` emergency accesses, most first.
    pub emergency_users: Vec<UserCount>,
    pub emergency_threshold: u32,
    pub same_surname: Vec<SurnameAccess>,
    /// Refused requests in the period by the rule that refused them, most first.
    pub refusals: Vec<RefusalCount>,
    /// True when the period held more accesses than one report reads.
    pub truncated: bool,
}

/// One person who opened (or tried to open) a patient's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientViewer {
    pub user_id: String,
    pub user_name: String,
    pub roles: Vec<String>,
    pub organisations: Vec<String>,
    /// RFC 3339, UTC.
    pub first: String,
    pub last: String,
    /// `first` and `last` on the UK clock (`3 Dec 2026 14:03:27 GMT`).
    pub first_local: String,
    pub last_local: String,
    pub views: u32,
    pub emergency: u32,
    pub refused: u32,
    /// The rules that refused them, in people's words.
    pub refusals: Vec<String>,
    /// Legitimate bases given.
    pub bases: Vec<String>,
}

/// Everyone who looked at one NHS number's record, for a subject access request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientAccessReport {
    pub nhs_number: String,
    /// RFC 3339, UTC.
    pub generated: String,
    /// `generated` on the UK clock (`3 Dec 2026 14:03:27 GMT`).
    pub generated_local: String,
    /// The oldest event still kept (events before it have been purged), if any were.
    pub kept_since: Option<String>,
    /// `kept_since` on the UK clock.
    pub kept_since_local: Option<String>,
    pub viewers: Vec<PatientViewer>,
    /// Every access event, newest first.
    pub events: Vec<AuditRow>,
    pub truncated: bool,
}

/// Accesses per day and per user, out of hours, emergency and same-surname accesses.
#[server(prefix = "/sfn", endpoint = "audit-report")]
pub async fn load_access_report(query: ReportQuery) -> Result<AccessReport, LookupError> {
    use crate::{api::current_caller, audit::audit_service};
    let report = async {
        audit_service()?
            .access_report(&current_caller()?, query)
            .await
    };
    crate::api::with_status(report.await)
}

/// Who viewed this NHS number's record (subject access request).
#[server(prefix = "/sfn", endpoint = "audit-patient")]
pub async fn load_patient_access(nhs_number: String) -> Result<PatientAccessReport, LookupError> {
    use crate::{api::current_caller, audit::audit_service};
    let report = async {
        audit_service()?
            .patient_access(&current_caller()?, nhs_number)
            .await
    };
    crate::api::with_status(report.await)
}
