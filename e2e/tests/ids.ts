// Element hooks (data-testid values) shared with the app: keep in step with app/src/ids.rs
// (a Rust unit test checks every id there appears here).
export const ids = {
  lookupForm: 'lookup-form',
  nhsInput: 'nhs-number-input',
  lookupError: 'lookup-error',
  demoPatients: 'demo-patients',
  patientBanner: 'patient-banner',
  sourceStatus: 'source-status',
  noRecord: 'no-record',
  timeline: 'timeline',
  timelineRow: 'timeline-row',
  sourceFilter: 'source-filter',
  appRoot: 'app-root',
  recordWarnings: 'record-warnings',
  discrepancy: 'discrepancy',
  alsoRecordedAt: 'also-recorded-at',
  searchForm: 'search-form',
  patientMatches: 'patient-matches',
  patientMatch: 'patient-match',
  signInOptions: 'sign-in-options',
  signedOut: 'signed-out',
  roleChoices: 'role-choices',
  currentUser: 'current-user',
  signOut: 'sign-out',
  noAccess: 'no-access',
  limitedView: 'limited-view',
  activeRole: 'active-role',
} as const;

export const tid = (id: string) => `[data-testid="${id}"]`;
