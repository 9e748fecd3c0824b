//! The audit officer's reports, computed from record-access events: per UK local day, per
//! user, out of hours (outside the working day on weekdays, and all weekend), users with many
//! emergency accesses, same-surname accesses, and one patient's access report. Pure functions
//! over events; the workspace fetches the events and audits the report.

use super::event::{rfc3339, EventKind, Outcome};
use super::{PeriodEvent, StoredEvent};
use crate::uk_time;
use app::audit::AuditRow;
use app::reports::{
    AccessReport, DayCount, PatientAccessReport, PatientViewer, RefusalCount, SurnameAccess,
    UserCount,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset, Weekday};

/// Kinds that open a record (the accesses the reports count).
pub const ACCESS_KINDS: [EventKind; 2] = [EventKind::RecordView, EventKind::EmergencyAccess];

/// Kinds a patient access report lists (a search names the patient only when it showed them
/// as a candidate).
pub const PATIENT_KINDS: [EventKind; 8] = [
    EventKind::RecordView,
    EventKind::EmergencyAccess,
    EventKind::EntryView,
    EventKind::TimelineSearch,
    EventKind::DocumentView,
    EventKind::Denied,
    EventKind::BasisRecorded,
    EventKind::PatientSearch,
];

/// Users shown in the per-user chart.
const TOP_USERS: usize = 25;

/// The working day on weekdays, UK local time (`08:00-18:30`); anything else is out of hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkingHours {
    pub start: Time,
    pub end: Time,
}

impl WorkingHours {
    /// Reads `HH:MM-HH:MM` (start before end).
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || format!("{text:?} is not a working day like 08:00-18:30");
        let format = time::macros::format_description!("[hour]:[minute]");
        let (start, end) = text.split_once('-').ok_or_else(bad)?;
        let start = Time::parse(start.trim(), &format).map_err(|_| bad())?;
        let end = Time::parse(end.trim(), &format).map_err(|_| bad())?;
        if start >= end {
            return Err(bad());
        }
        Ok(Self { start, end })
    }

    /// True outside the working day or at a weekend, at UK local time.
    pub fn out_of_hours(&self, at_ms: i64) -> bool {
        let local = uk_local(at_ms);
        matches!(local.weekday(), Weekday::Saturday | Weekday::Sunday)
            || local.time() < self.start
            || local.time() >= self.end
    }

    /// The working day as minutes of the day: (start, end).
    pub fn minutes(&self) -> (i64, i64) {
        let minute = |t: Time| i64::from(t.hour()) * 60 + i64::from(t.minute());
        (minute(self.start), minute(self.end))
    }

    pub fn describe(&self) -> String {
        let hm = |t: Time| format!("{:02}:{:02}", t.hour(), t.minute());
        format!(
            "weekdays before {} or from {}, and weekends (UK time; bank holidays are not \
             known to the portal)",
            hm(self.start),
            hm(self.end)
        )
    }
}

/// UK civil time at `at_ms` (GMT or BST, from the zone database: [`crate::uk_time`]).
pub fn uk_local(at_ms: i64) -> PrimitiveDateTime {
    let utc = OffsetDateTime::from_unix_timestamp_nanos(i128::from(at_ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let offset = UtcOffset::from_whole_seconds(crate::uk_time::offset_seconds(at_ms))
        .unwrap_or(UtcOffset::UTC);
    let local = utc.to_offset(offset);
    PrimitiveDateTime::new(local.date(), local.time())
}

/// The UK local date of `at_ms`.
pub fn uk_date(at_ms: i64) -> Date {
    uk_local(at_ms).date()
}

/// What the access report needs beyond the events.
pub struct ReportSpec {
    pub from: Date,
    pub to: Date,
    pub hours: WorkingHours,
    pub emergency_threshold: u32,
    pub truncated: bool,
}

/// Counts accesses one event at a time, so a report over a long period never holds the
/// period's events in memory at once.
pub struct AccessTally {
    hours: WorkingHours,
    days: BTreeMap<Date, DayCount>,
    users: HashMap<String, (UserCount, BTreeSet<String>)>,
    surnames: BTreeMap<(String, String), SurnameAccess>,
    /// Refused requests by stored kind ("" for one written before kinds were named).
    refusals: BTreeMap<String, u32>,
    total: u64,
    out_of_hours: u64,
    emergency: u64,
}

impl AccessTally {
    /// An empty tally with a zero for every day of the period.
    pub fn new(spec: &ReportSpec) -> Self {
        let days = empty_days(spec);
        Self {
            hours: spec.hours,
            days,
            users: HashMap::new(),
            surnames: BTreeMap::new(),
            refusals: BTreeMap::new(),
            total: 0,
            out_of_hours: 0,
            emergency: 0,
        }
    }

    /// Counts `e` if it is a successful record access, or a refusal, on a day of the period.
    pub fn add(&mut self, e: &PeriodEvent) {
        if e.outcome == Outcome::Refused.as_str() {
            if self.days.contains_key(&uk_date(e.at_ms)) {
                let kind = e.refusal.clone().unwrap_or_default();
                *self.refusals.entry(kind).or_default() += 1;
            }
            return;
        }
        let access = ACCESS_KINDS.iter().any(|k| k.as_str() == e.kind);
        if !access || e.outcome != Outcome::Success.as_str() {
            return;
        }
        let Some(day) = self.days.get_mut(&uk_date(e.at_ms)) else {
            return;
        };
        let late = self.hours.out_of_hours(e.at_ms);
        let urgent = e.kind == EventKind::EmergencyAccess.as_str();
        if late {
            day.out_of_hours += 1;
        } else {
            day.in_hours += 1;
        }
        day.emergency += u32::from(urgent);
        self.total += 1;
        self.out_of_hours += u64::from(late);
        self.emergency += u64::from(urgent);
        let (user, patients) = self.users.entry(e.user_id.clone()).or_insert_with(|| {
            (
                UserCount {
                    user_id: e.user_id.clone(),
                    user_name: e.user_name.clone(),
                    organisation: e.organisation.clone(),
                    accesses: 0,
                    emergency: 0,
                    out_of_hours: 0,
                    patients: 0,
                },
                BTreeSet::new(),
            )
        });
        user.accesses += 1;
        user.emergency += u32::from(urgent);
        user.out_of_hours += u32::from(late);
        let Some(nhs) = &e.nhs_number else {
            return;
        };
        patients.insert(nhs.clone());
        if e.same_surname {
            let seen = self
                .surnames
                .entry((e.user_id.clone(), nhs.clone()))
                .or_insert_with(|| SurnameAccess {
                    user_id: e.user_id.clone(),
                    user_name: e.user_name.clone(),
                    nhs_number: nhs.clone(),
                    accesses: 0,
                    last: String::new(),
                    last_local: String::new(),
                });
            seen.accesses += 1;
            let at = rfc3339(e.at_ms);
            if at > seen.last {
                seen.last = at;
                seen.last_local = uk_time::local(e.at_ms);
            }
        }
    }

    pub fn finish(self, spec: &ReportSpec) -> AccessReport {
        let per_user: Vec<UserCount> = self
            .users
            .into_values()
            .map(|(mut user, patients)| {
                user.patients = patients.len() as u32;
                user
            })
            .collect();
        let totals = (self.total, self.out_of_hours, self.emergency);
        let surnames = self.surnames.into_values().collect();
        assemble(spec, self.days, per_user, surnames, self.refusals, totals)
    }
}

/// The access report from the counts the database made ([`super::counts`]): the same report
/// [`AccessTally`] makes from the events themselves (a store test holds them to that).
pub fn from_counts(spec: &ReportSpec, counts: super::counts::AccessCounts) -> AccessReport {
    /// Julian day number of 1970-01-01.
    const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;
    let mut days = empty_days(spec);
    let (mut total, mut late, mut urgent) = (0u64, 0u64, 0u64);
    let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
    for row in counts.days {
        let date = i32::try_from(UNIX_EPOCH_JULIAN_DAY + row.day)
            .ok()
            .and_then(|julian| Date::from_julian_day(julian).ok());
        let Some(day) = date.and_then(|date| days.get_mut(&date)) else {
            continue;
        };
        day.out_of_hours = count(row.out_of_hours);
        day.in_hours = count(row.accesses - row.out_of_hours);
        day.emergency = count(row.emergency);
        total += u64::from(count(row.accesses));
        late += u64::from(day.out_of_hours);
        urgent += u64::from(day.emergency);
    }
    let per_user = counts
        .users
        .into_iter()
        .map(|u| UserCount {
            user_id: u.user_id,
            user_name: u.user_name,
            organisation: u.organisation,
            accesses: count(u.accesses),
            emergency: count(u.emergency),
            out_of_hours: count(u.out_of_hours),
            patients: count(u.patients),
        })
        .collect();
    let mut surnames: Vec<SurnameAccess> = counts
        .surnames
        .into_iter()
        .map(|s| SurnameAccess {
            user_id: s.user_id,
            user_name: s.user_name,
            nhs_number: s.nhs_number,
            accesses: count(s.accesses),
            last: rfc3339(s.last_ms),
            last_local: uk_time::local(s.last_ms),
        })
        .collect();
    surnames.sort_by(|a, b| (&a.user_id, &a.nhs_number).cmp(&(&b.user_id, &b.nhs_number)));
    let refusals = counts
        .refusals
        .into_iter()
        .map(|r| (r.refusal, count(r.count)))
        .collect();
    assemble(
        spec,
        days,
        per_user,
        surnames,
        refusals,
        (total, late, urgent),
    )
}

/// A zero for every day of the period.
fn empty_days(spec: &ReportSpec) -> BTreeMap<Date, DayCount> {
    let mut days = BTreeMap::new();
    let mut day = spec.from;
    while day <= spec.to {
        days.insert(
            day,
            DayCount {
                day: day.to_string(),
                in_hours: 0,
                out_of_hours: 0,
                emergency: 0,
            },
        );
        match day.next_day() {
            Some(next) => day = next,
            None => break,
        }
    }
    days
}

/// The report from its counted parts: users ranked, the emergency users picked out,
/// refusals named. `totals` are (accesses, out of hours, emergency).
fn assemble(
    spec: &ReportSpec,
    days: BTreeMap<Date, DayCount>,
    mut per_user: Vec<UserCount>,
    same_surname: Vec<SurnameAccess>,
    refusals: BTreeMap<String, u32>,
    totals: (u64, u64, u64),
) -> AccessReport {
    per_user.sort_by(|a, b| b.accesses.cmp(&a.accesses).then(a.user_id.cmp(&b.user_id)));
    let mut emergency_users: Vec<UserCount> = per_user
        .iter()
        .filter(|u| u.emergency >= spec.emergency_threshold)
        .cloned()
        .collect();
    emergency_users.sort_by(|a, b| {
        b.emergency
            .cmp(&a.emergency)
            .then(a.user_id.cmp(&b.user_id))
    });
    per_user.truncate(TOP_USERS);
    let mut refusals: Vec<RefusalCount> = refusals
        .into_iter()
        .map(|(refusal, count)| RefusalCount {
            label: refusal_label(&refusal).to_owned(),
            refusal,
            count,
        })
        .collect();
    refusals.sort_by(|a, b| b.count.cmp(&a.count).then(a.refusal.cmp(&b.refusal)));
    let (accesses, out_of_hours, emergency) = totals;
    AccessReport {
        from: spec.from.to_string(),
        to: spec.to.to_string(),
        working_hours: spec.hours.describe(),
        accesses,
        out_of_hours,
        emergency,
        per_day: days.into_values().collect(),
        per_user,
        emergency_users,
        emergency_threshold: spec.emergency_threshold,
        same_surname,
        refusals,
        truncated: spec.truncated,
    }
}

/// A stored kind of refusal in people's words.
fn refusal_label(code: &str) -> &str {
    match app::audit_terms::RefusalKind::parse(code) {
        Some(kind) => kind.label(),
        None if code.is_empty() => "Not named (written before refusals were named)",
        None => code,
    }
}

/// One patient's access report from their events (newest first); `kept_since_ms` is when
/// events were last purged, if ever.
pub fn patient_report(
    nhs_number: &str,
    events: &[StoredEvent],
    kept_since_ms: Option<i64>,
    truncated: bool,
    row: impl Fn(&StoredEvent) -> AuditRow,
) -> PatientAccessReport {
    let mut viewers: Vec<PatientViewer> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    // Oldest first, so `first` and `last` fall out in order.
    for stored in events.iter().rev() {
        let e = &stored.event;
        let at = rfc3339(e.at_ms);
        let at_local = uk_time::local(e.at_ms);
        let i = *index.entry(&e.user_id).or_insert_with(|| {
            viewers.push(PatientViewer {
                user_id: e.user_id.clone(),
                user_name: e.user_name.clone(),
                roles: Vec::new(),
                organisations: Vec::new(),
                first: at.clone(),
                last: at.clone(),
                first_local: at_local.clone(),
                last_local: at_local.clone(),
                views: 0,
                emergency: 0,
                refused: 0,
                refusals: Vec::new(),
                bases: Vec::new(),
            });
            viewers.len() - 1
        });
        let viewer = &mut viewers[i];
        viewer.last = at;
        viewer.last_local = at_local;
        let add = |list: &mut Vec<String>, value: &Option<String>| {
            if let Some(v) = value {
                if !list.contains(v) {
                    list.push(v.clone());
                }
            }
        };
        add(&mut viewer.roles, &e.role);
        add(&mut viewer.organisations, &e.organisation);
        add(&mut viewer.bases, &e.basis);
        if let Some(kind) = e.refusal {
            let label = kind.label().to_owned();
            if !viewer.refusals.contains(&label) {
                viewer.refusals.push(label);
            }
        }
        match (e.kind, e.outcome) {
            (_, Outcome::Refused) => viewer.refused += 1,
            (EventKind::EmergencyAccess, _) => viewer.emergency += 1,
            (
                EventKind::RecordView
                | EventKind::EntryView
                | EventKind::TimelineSearch
                | EventKind::DocumentView,
                _,
            ) => viewer.views += 1,
            _ => {}
        }
    }
    viewers.sort_by(|a, b| b.last.cmp(&a.last));
    let now_ms = super::event::now_ms();
    PatientAccessReport {
        nhs_number: nhs_number.to_owned(),
        generated: rfc3339(now_ms),
        generated_local: uk_time::local(now_ms),
        kept_since: kept_since_ms.map(rfc3339),
        kept_since_local: kept_since_ms.map(uk_time::local),
        viewers,
        events: events.iter().map(row).collect(),
        truncated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::AuditEvent;
    use app::auth::RequestInfo;

    fn ms(text: &str) -> i64 {
        let at =
            OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).unwrap();
        (at.unix_timestamp_nanos() / 1_000_000) as i64
    }

    /// The access report over `events` (record accesses in the period, any order).
    fn access_report(events: &[StoredEvent], spec: &ReportSpec) -> AccessReport {
        let mut tally = AccessTally::new(spec);
        for stored in events {
            tally.add(&PeriodEvent::from(stored));
        }
        tally.finish(spec)
    }

    #[test]
    fn uk_time_follows_british_summer_time() {
        // (UTC instant, UK local time)
        let table = [
            ("2026-03-29T00:59:59Z", "2026-03-29 0:59:59.0"),
            ("2026-03-29T01:00:00Z", "2026-03-29 2:00:00.0"),
            ("2026-07-01T12:00:00Z", "2026-07-01 13:00:00.0"),
            ("2026-10-25T00:59:59Z", "2026-10-25 1:59:59.0"),
            ("2026-10-25T01:00:00Z", "2026-10-25 1:00:00.0"),
            ("2026-12-31T23:30:00Z", "2026-12-31 23:30:00.0"),
            ("2027-03-28T01:00:00Z", "2027-03-28 2:00:00.0"),
        ];
        for (utc, local) in table {
            assert_eq!(uk_local(ms(utc)).to_string(), local, "{utc}");
        }
    }

    #[test]
    fn out_of_hours_is_outside_the_working_day_or_at_a_weekend() {
        let hours = WorkingHours::parse("08:00-18:30").unwrap();
        // (UTC instant, out of hours): 2026-11-30 is a Monday (GMT), 2026-07-01 a Wednesday (BST).
        let table = [
            ("2026-11-30T07:59:59Z", true),
            ("2026-11-30T08:00:00Z", false),
            ("2026-11-30T18:29:59Z", false),
            ("2026-11-30T18:30:00Z", true),
            ("2026-07-01T07:30:00Z", false),
            ("2026-07-01T17:30:00Z", true),
            ("2026-11-28T12:00:00Z", true),
            ("2026-11-29T12:00:00Z", true),
        ];
        for (utc, late) in table {
            assert_eq!(hours.out_of_hours(ms(utc)), late, "{utc}");
        }
        for bad in ["", "8-6", "18:30-08:00", "08:00-08:00", "25:00-26:00"] {
            assert!(WorkingHours::parse(bad).is_err(), "{bad}");
        }
    }

    fn access(seq: i64, at: &str, user: &str, kind: EventKind, nhs: &str) -> StoredEvent {
        let mut event =
            AuditEvent::by_user(user, &format!("Dr {user}"), &RequestInfo::default(), kind);
        event.at_ms = ms(at);
        event.nhs_number = Some(nhs.to_owned());
        StoredEvent {
            seq,
            event,
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn the_access_report_counts_days_users_emergencies_and_same_surnames() {
        let mut events = vec![
            access(1, "2026-11-30T09:00:00Z", "a", EventKind::RecordView, "1"),
            access(
                2,
                "2026-11-30T22:00:00Z",
                "a",
                EventKind::EmergencyAccess,
                "2",
            ),
            access(
                3,
                "2026-12-01T10:00:00Z",
                "b",
                EventKind::EmergencyAccess,
                "3",
            ),
            access(
                4,
                "2026-12-01T11:00:00Z",
                "b",
                EventKind::EmergencyAccess,
                "3",
            ),
            access(5, "2026-12-01T12:00:00Z", "b", EventKind::RecordView, "4"),
            // Not accesses: refused, and a search.
            access(6, "2026-12-01T12:00:00Z", "c", EventKind::RecordView, "5"),
            access(
                7,
                "2026-12-01T12:00:00Z",
                "c",
                EventKind::PatientSearch,
                "5",
            ),
        ];
        events[5].event.outcome = Outcome::Refused;
        events[4].event.same_surname = true;
        let spec = ReportSpec {
            from: Date::from_calendar_date(2026, time::Month::November, 29).unwrap(),
            to: Date::from_calendar_date(2026, time::Month::December, 1).unwrap(),
            hours: WorkingHours::parse("08:00-18:30").unwrap(),
            emergency_threshold: 2,
            truncated: false,
        };
        let report = access_report(&events, &spec);
        assert_eq!(
            (report.accesses, report.out_of_hours, report.emergency),
            (5, 1, 3)
        );
        let days: Vec<(&str, u32, u32, u32)> = report
            .per_day
            .iter()
            .map(|d| (d.day.as_str(), d.in_hours, d.out_of_hours, d.emergency))
            .collect();
        assert_eq!(
            days,
            [
                ("2026-11-29", 0, 0, 0),
                ("2026-11-30", 1, 1, 1),
                ("2026-12-01", 3, 0, 2)
            ]
        );
        let users: Vec<(&str, u32, u32, u32)> = report
            .per_user
            .iter()
            .map(|u| (u.user_id.as_str(), u.accesses, u.emergency, u.patients))
            .collect();
        assert_eq!(users, [("b", 3, 2, 2), ("a", 2, 1, 2)]);
        let heavy: Vec<&str> = report
            .emergency_users
            .iter()
            .map(|u| u.user_id.as_str())
            .collect();
        assert_eq!(heavy, ["b"]);
        assert_eq!(report.same_surname.len(), 1);
        assert_eq!(report.same_surname[0].nhs_number, "4");
        assert_eq!(report.same_surname[0].last, "2026-12-01T12:00:00Z");
        assert_eq!(report.same_surname[0].last_local, "1 Dec 2026 12:00:00 GMT");
    }

    #[test]
    fn the_patient_report_groups_events_by_viewer() {
        let mut events = vec![
            access(4, "2026-12-01T12:00:00Z", "b", EventKind::Denied, "9"),
            access(
                3,
                "2026-12-01T11:00:00Z",
                "b",
                EventKind::EmergencyAccess,
                "9",
            ),
            access(2, "2026-11-30T10:00:00Z", "a", EventKind::RecordView, "9"),
            access(1, "2026-11-30T09:00:00Z", "a", EventKind::RecordView, "9"),
        ];
        events[0].event.outcome = Outcome::Refused;
        events[1].event.basis = Some("emergency".into());
        let report = patient_report("9", &events, None, false, crate::audit::workspace::row);
        let viewers: Vec<(&str, u32, u32, u32, &str, &str)> = report
            .viewers
            .iter()
            .map(|v| {
                (
                    v.user_id.as_str(),
                    v.views,
                    v.emergency,
                    v.refused,
                    v.first.as_str(),
                    v.last.as_str(),
                )
            })
            .collect();
        assert_eq!(
            viewers,
            [
                ("b", 0, 1, 1, "2026-12-01T11:00:00Z", "2026-12-01T12:00:00Z"),
                ("a", 2, 0, 0, "2026-11-30T09:00:00Z", "2026-11-30T10:00:00Z"),
            ]
        );
        assert_eq!(report.viewers[0].bases, ["emergency"]);
        let a = &report.viewers[1];
        assert_eq!(
            (a.first_local.as_str(), a.last_local.as_str()),
            ("30 Nov 2026 09:00:00 GMT", "30 Nov 2026 10:00:00 GMT")
        );
        assert_eq!(report.events.len(), 4);
    }
}
