//! Stable element hooks (`data-testid` values) shared by the components and the browser tests
//! in `e2e/` (mirrored in `e2e/tests/ids.ts`; a unit test keeps the two in step).

pub const LOOKUP_FORM: &str = "lookup-form";
pub const NHS_INPUT: &str = "nhs-number-input";
pub const LOOKUP_ERROR: &str = "lookup-error";
pub const DEMO_PATIENTS: &str = "demo-patients";
pub const PATIENT_BANNER: &str = "patient-banner";
pub const GP_PRACTICE: &str = "gp-practice";
pub const USUAL_GP: &str = "usual-gp";
pub const SOURCE_STATUS: &str = "source-status";
pub const NO_RECORD: &str = "no-record";
pub const TIMELINE: &str = "timeline";
pub const TIMELINE_ROW: &str = "timeline-row";
pub const SOURCE_FILTER: &str = "source-filter";
pub const APP_ROOT: &str = "app-root";
pub const RECORD_WARNINGS: &str = "record-warnings";
pub const DISCREPANCY: &str = "discrepancy";
pub const ALSO_RECORDED_AT: &str = "also-recorded-at";
pub const SEARCH_FORM: &str = "search-form";
pub const PATIENT_MATCHES: &str = "patient-matches";
pub const PATIENT_MATCH: &str = "patient-match";
pub const NOT_SHOWN: &str = "patients-not-shown";
pub const SIGN_IN_OPTIONS: &str = "sign-in-options";
pub const SIGNED_OUT: &str = "signed-out";
pub const ROLE_CHOICES: &str = "role-choices";
pub const CURRENT_USER: &str = "current-user";
pub const SIGN_OUT: &str = "sign-out";
pub const NO_ACCESS: &str = "no-access";
pub const LIMITED_VIEW: &str = "limited-view";
pub const ACTIVE_ROLE: &str = "active-role";
pub const BASIS_PROMPT: &str = "basis-prompt";
pub const BASIS_REFUSED: &str = "basis-refused";
pub const BASIS_BANNER: &str = "basis-banner";
pub const DISSENT: &str = "dissent";
pub const CONSENT_UNKNOWN: &str = "consent-unknown";
pub const WITHHELD: &str = "withheld";
pub const WITHHELD_ROW: &str = "withheld-row";
pub const REVIEW_QUEUE: &str = "review-queue";
pub const REVIEW_ITEM: &str = "review-item";
pub const REVIEW_HISTORY: &str = "review-history";
pub const REVIEWED_ITEM: &str = "reviewed-item";
pub const CHAIN_CHECK: &str = "chain-check";
pub const NOTIFICATIONS: &str = "notifications";
pub const CHILD_PROTECTION: &str = "child-protection";
pub const AUDIT_SEARCH: &str = "audit-search";
pub const AUDIT_RESULTS: &str = "audit-results";
pub const AUDIT_ROW: &str = "audit-row";
pub const AUDIT_EXPORT: &str = "audit-export";
pub const AUDIT_FILTERS: &str = "audit-filters";
pub const REFUSALS: &str = "refusals";
pub const ACCESS_REPORT: &str = "access-report";
pub const PER_DAY_CHART: &str = "per-day-chart";
pub const PER_USER_CHART: &str = "per-user-chart";
pub const EMERGENCY_USERS: &str = "emergency-users";
pub const SAME_SURNAME: &str = "same-surname";
pub const PATIENT_ACCESS: &str = "patient-access";
pub const PATIENT_VIEWER: &str = "patient-viewer";
pub const ATTACHMENTS: &str = "attachments";
pub const DOCUMENT_LINK: &str = "document-link";
pub const SUMMARY: &str = "summary";
pub const SUMMARY_SECTION: &str = "summary-section";
pub const SUMMARY_LINE: &str = "summary-line";
pub const SUMMARY_EMPTY: &str = "summary-empty";
pub const SUMMARY_UNREAD: &str = "summary-unread";
pub const RESTRICTED_BADGE: &str = "restricted-badge";
pub const BANNER_BADGES: &str = "banner-badges";
pub const TIMES_NOTE: &str = "times-note";
pub const ENTRY_FLAG: &str = "entry-flag";
pub const SOURCE_PROBLEM: &str = "source-problem";
pub const SKIP_LINK: &str = "skip-link";
pub const RECORD_HEADING: &str = "record-heading";

pub const IDENTITY: &str = "identity-check";
pub const IDENTITY_NOT_HELD: &str = "identity-not-held";
pub const IDENTITY_NOT_SHOWN: &str = "identity-not-shown";
pub const IDENTITY_WARNINGS: &str = "identity-warnings";
pub const IDENTITY_SOURCES: &str = "identity-sources";

pub const TREND_PAGE: &str = "trend-page";
pub const TREND_LINK: &str = "trend-link";
pub const TREND_CHART: &str = "trend-chart";
pub const TREND_SVG: &str = "trend-svg";
pub const TREND_RANGE: &str = "trend-range";
pub const TREND_POINT: &str = "trend-point";
pub const TREND_TABLE: &str = "trend-table";
pub const TREND_ROW: &str = "trend-row";
pub const TREND_UNITS_NOTE: &str = "trend-units-note";
pub const TREND_SERIES: &str = "trend-series";
pub const TREND_INCOMPLETE: &str = "trend-incomplete";
pub const LATEST_VITALS: &str = "latest-vitals";
pub const LATEST_VITAL: &str = "latest-vital";

pub const ENTRY_OPEN: &str = "entry-open";
pub const ENTRY_PANEL: &str = "entry-panel";
pub const ENTRY_PANEL_CLOSE: &str = "entry-panel-close";
pub const ENTRY_PANEL_ERROR: &str = "entry-panel-error";
pub const ENTRY_FIELDS: &str = "entry-fields";
pub const ENTRY_PROVENANCE: &str = "entry-provenance";
pub const ENTRY_NARRATIVE: &str = "entry-narrative";
pub const ENTRY_NOTES: &str = "entry-notes";
pub const ENTERED_IN_ERROR: &str = "entered-in-error";
pub const LOOKUP_PROGRESS: &str = "lookup-progress";
pub const PROGRESS_CARD: &str = "progress-card";
pub const PROGRESS_ANSWER: &str = "progress-answer";
pub const LOOKUP_DONE: &str = "lookup-done";
pub const TIMELINE_FILTERS: &str = "timeline-filters";
pub const TIMELINE_SEARCH: &str = "timeline-search";
pub const CATEGORY_FILTER: &str = "category-filter";
pub const DATE_FROM: &str = "date-from";
pub const DATE_TO: &str = "date-to";
pub const ACTIVE_FILTERS: &str = "active-filters";
pub const CLEAR_FILTERS: &str = "clear-filters";
pub const TIMELINE_COUNT: &str = "timeline-count";
pub const TIMELINE_PAGER: &str = "timeline-pager";
pub const TIMELINE_DAY: &str = "timeline-day";
pub const TIMELINE_ERROR: &str = "timeline-error";

/// Every id above, for the consistency test.
pub const ALL: [&str; 111] = [
    LOOKUP_FORM,
    NHS_INPUT,
    LOOKUP_ERROR,
    DEMO_PATIENTS,
    PATIENT_BANNER,
    GP_PRACTICE,
    USUAL_GP,
    SOURCE_STATUS,
    NO_RECORD,
    TIMELINE,
    TIMELINE_ROW,
    SOURCE_FILTER,
    APP_ROOT,
    RECORD_WARNINGS,
    DISCREPANCY,
    ALSO_RECORDED_AT,
    SEARCH_FORM,
    PATIENT_MATCHES,
    PATIENT_MATCH,
    NOT_SHOWN,
    SIGN_IN_OPTIONS,
    SIGNED_OUT,
    ROLE_CHOICES,
    CURRENT_USER,
    SIGN_OUT,
    NO_ACCESS,
    LIMITED_VIEW,
    ACTIVE_ROLE,
    BASIS_PROMPT,
    BASIS_REFUSED,
    BASIS_BANNER,
    DISSENT,
    CONSENT_UNKNOWN,
    WITHHELD,
    WITHHELD_ROW,
    REVIEW_QUEUE,
    REVIEW_ITEM,
    REVIEW_HISTORY,
    REVIEWED_ITEM,
    CHAIN_CHECK,
    NOTIFICATIONS,
    CHILD_PROTECTION,
    AUDIT_SEARCH,
    AUDIT_RESULTS,
    AUDIT_ROW,
    AUDIT_EXPORT,
    AUDIT_FILTERS,
    REFUSALS,
    ACCESS_REPORT,
    PER_DAY_CHART,
    PER_USER_CHART,
    EMERGENCY_USERS,
    SAME_SURNAME,
    PATIENT_ACCESS,
    PATIENT_VIEWER,
    ATTACHMENTS,
    DOCUMENT_LINK,
    SUMMARY,
    SUMMARY_SECTION,
    SUMMARY_LINE,
    SUMMARY_EMPTY,
    SUMMARY_UNREAD,
    RESTRICTED_BADGE,
    BANNER_BADGES,
    TIMES_NOTE,
    ENTRY_FLAG,
    SOURCE_PROBLEM,
    SKIP_LINK,
    RECORD_HEADING,
    IDENTITY,
    IDENTITY_NOT_HELD,
    IDENTITY_NOT_SHOWN,
    IDENTITY_WARNINGS,
    IDENTITY_SOURCES,
    TREND_PAGE,
    TREND_LINK,
    TREND_CHART,
    TREND_SVG,
    TREND_RANGE,
    TREND_POINT,
    TREND_TABLE,
    TREND_ROW,
    TREND_UNITS_NOTE,
    TREND_SERIES,
    TREND_INCOMPLETE,
    LATEST_VITALS,
    LATEST_VITAL,
    ENTRY_OPEN,
    ENTRY_PANEL,
    ENTRY_PANEL_CLOSE,
    ENTRY_PANEL_ERROR,
    ENTRY_FIELDS,
    ENTRY_PROVENANCE,
    ENTRY_NARRATIVE,
    ENTRY_NOTES,
    ENTERED_IN_ERROR,
    LOOKUP_PROGRESS,
    PROGRESS_CARD,
    PROGRESS_ANSWER,
    LOOKUP_DONE,
    TIMELINE_FILTERS,
    TIMELINE_SEARCH,
    CATEGORY_FILTER,
    DATE_FROM,
    DATE_TO,
    ACTIVE_FILTERS,
    CLEAR_FILTERS,
    TIMELINE_COUNT,
    TIMELINE_PAGER,
    TIMELINE_DAY,
    TIMELINE_ERROR,
];

#[cfg(test)]
mod tests {
    #[test]
    fn browser_tests_use_the_same_ids() {
        let ts = include_str!("../../e2e/tests/ids.ts");
        for id in super::ALL {
            assert!(
                ts.contains(&format!("'{id}'")),
                "e2e/tests/ids.ts lacks '{id}'"
            );
        }
    }
}
