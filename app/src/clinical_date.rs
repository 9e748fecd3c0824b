//! Clinical dates as FHIR sends them: `2019`, `2019-03`, `2019-03-04` or a full date-time,
//! kept with their precision, ordered on one time line, and shown the NHS way (`04-Mar-2019`).

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// How much of a date the source recorded. A year-only onset must not be shown as 1 January.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DatePrecision {
    Year,
    Month,
    Day,
    Time,
}

/// A parsed FHIR `date`, `dateTime` or `instant`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClinicalDate {
    /// The value exactly as the source sent it.
    pub value: String,
    pub precision: DatePrecision,
    /// Seconds since 1970-01-01T00:00:00Z of the start of the period the value covers
    /// (local midnight is read as UTC for dates without a time). Used only for ordering.
    pub sort_key: i64,
}

/// Why a string is not a FHIR date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a FHIR date or dateTime: {0:?}")]
pub struct DateParseError(pub String);

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl ClinicalDate {
    /// Parses `YYYY`, `YYYY-MM`, `YYYY-MM-DD` or `YYYY-MM-DDThh:mm[:ss[.fff]](Z|±hh:mm)`.
    pub fn parse(value: &str) -> Result<Self, DateParseError> {
        let err = || DateParseError(value.to_owned());
        let (date_part, time_part) = match value.split_once('T') {
            Some((d, t)) => (d, Some(t)),
            None => (value, None),
        };
        let mut fields = date_part.split('-');
        let year = number(fields.next(), 4, 1, 9999).ok_or_else(err)?;
        let month = fields
            .next()
            .map(|m| number(Some(m), 2, 1, 12).ok_or_else(err))
            .transpose()?;
        let day = fields
            .next()
            .map(|d| number(Some(d), 2, 1, 31).ok_or_else(err))
            .transpose()?;
        if fields.next().is_some() {
            return Err(err());
        }
        if let (Some(m), Some(d)) = (month, day) {
            if d > days_in_month(year, m) {
                return Err(err());
            }
        }
        let days = days_from_civil(year, month.unwrap_or(1), day.unwrap_or(1));
        let (precision, seconds) = match (month, day, time_part) {
            (None, None, None) => (DatePrecision::Year, 0),
            (Some(_), None, None) => (DatePrecision::Month, 0),
            (Some(_), Some(_), None) => (DatePrecision::Day, 0),
            (Some(_), Some(_), Some(t)) => {
                (DatePrecision::Time, time_seconds_utc(t).ok_or_else(err)?)
            }
            _ => return Err(err()),
        };
        Ok(Self {
            value: value.to_owned(),
            precision,
            sort_key: days * 86_400 + seconds,
        })
    }

    /// NHS display form: `04-Mar-2019 14:05`, `04-Mar-2019`, `Mar-2019` or `2019`. A time
    /// with a zone is shown in UK time (GMT or BST as on that day; [`ClinicalDate::zone`]
    /// names it); a time sent without a zone (R4 requires one) is shown as written.
    pub fn display(&self) -> String {
        let v = &self.value;
        let year = &v[..4];
        let month = || {
            v.get(5..7)
                .and_then(|m| m.parse::<usize>().ok())
                .map(|m| MONTHS[m - 1])
        };
        let day = || v.get(8..10).unwrap_or("");
        match self.precision {
            DatePrecision::Year => year.to_owned(),
            DatePrecision::Month => format!("{}-{year}", month().unwrap_or("")),
            DatePrecision::Day => format!("{}-{}-{year}", day(), month().unwrap_or("")),
            DatePrecision::Time if self.zone().is_some() => {
                let local = UkTime::at(self.sort_key);
                format!(
                    "{:02}-{}-{} {:02}:{:02}",
                    local.day,
                    MONTHS[(local.month - 1) as usize],
                    local.year,
                    local.hour,
                    local.minute
                )
            }
            DatePrecision::Time => format!(
                "{}-{}-{year} {}",
                day(),
                month().unwrap_or(""),
                v.get(11..16).unwrap_or("")
            ),
        }
    }

    /// [`ClinicalDate::display`] with the zone named after a time: `04-Jul-2019 14:05 BST`,
    /// `04-Mar-2019 14:05 GMT`, or `04-Mar-2019 14:05 (zone not stated)`.
    pub fn display_zoned(&self) -> String {
        match (self.precision, self.zone()) {
            (DatePrecision::Time, Some(zone)) => format!("{} {}", self.display(), zone.label()),
            (DatePrecision::Time, None) => format!("{} (zone not stated)", self.display()),
            _ => self.display(),
        }
    }

    /// The UK time zone in force at this instant, for a time sent with a zone; `None` for
    /// dates without a time and times without a zone.
    pub fn zone(&self) -> Option<UkZone> {
        let time = self.value.split_once('T')?.1;
        let zoned = time.ends_with('Z') || time.contains(['+', '-']);
        zoned.then(|| UkTime::at(self.sort_key).zone)
    }

    /// The UK calendar days the value covers, as day numbers since 1970-01-01, first and
    /// last: one day for a date or a time, the whole month or year for a partial date.
    pub fn days(&self) -> (i64, i64) {
        let first = match (self.precision, self.zone()) {
            (DatePrecision::Time, Some(_)) => {
                let local = UkTime::at(self.sort_key);
                days_from_civil(local.year, local.month, local.day)
            }
            _ => self.sort_key.div_euclid(86_400),
        };
        let (year, month, _) = civil_from_days(first);
        let last = match self.precision {
            DatePrecision::Year => days_from_civil(year, 12, 31),
            DatePrecision::Month => days_from_civil(year, month, days_in_month(year, month)),
            DatePrecision::Day | DatePrecision::Time => first,
        };
        (first, last)
    }

    /// The UK calendar day the value falls on, as the timeline groups it (`04-Mar-2019`);
    /// a partial date is its own group (`Mar-2019`, `2019`).
    pub fn day_label(&self) -> String {
        match self.precision {
            DatePrecision::Year | DatePrecision::Month => self.display(),
            DatePrecision::Day | DatePrecision::Time => day_label(self.days().0),
        }
    }

    /// The UK clock time only (`10:02`), for "fetched 10:02" on today's view; the full
    /// display when there is no zoned time.
    pub fn clock(&self) -> String {
        match (self.precision, self.zone()) {
            (DatePrecision::Time, Some(_)) => {
                let local = UkTime::at(self.sort_key);
                format!("{:02}:{:02}", local.hour, local.minute)
            }
            _ => self.display(),
        }
    }
}

/// A day number since 1970-01-01 in NHS display form (`04-Mar-2019`).
pub fn day_label(days: i64) -> String {
    let (year, month, day) = civil_from_days(days);
    format!("{day:02}-{}-{year}", MONTHS[(month - 1) as usize])
}

/// The UK's civil time zones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UkZone {
    /// Greenwich Mean Time (UTC+0), winter.
    Gmt,
    /// British Summer Time (UTC+1).
    Bst,
}

impl UkZone {
    pub fn label(self) -> &'static str {
        match self {
            Self::Gmt => "GMT",
            Self::Bst => "BST",
        }
    }
}

/// A UTC instant on the UK's clock. BST runs from 01:00 UTC on the last Sunday of March to
/// 01:00 UTC on the last Sunday of October (the rule since 1996, in law in the Summer Time
/// Order 2002); earlier years had other dates, so times before 1996 may be an hour out.
/// Written here rather than taken from a time-zone crate: this one rule is all the portal
/// needs, and a zone database would add hundreds of kilobytes to the browser bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UkTime {
    pub year: i64,
    pub month: i64,
    pub day: i64,
    pub hour: i64,
    pub minute: i64,
    pub zone: UkZone,
}

impl UkTime {
    /// The UK clock at `utc` seconds since 1970-01-01T00:00:00Z.
    pub fn at(utc: i64) -> Self {
        let (year, ..) = civil_from_days(utc.div_euclid(86_400));
        let starts = last_sunday(year, 3) * 86_400 + 3_600;
        let ends = last_sunday(year, 10) * 86_400 + 3_600;
        let zone = if (starts..ends).contains(&utc) {
            UkZone::Bst
        } else {
            UkZone::Gmt
        };
        let local = utc + if zone == UkZone::Bst { 3_600 } else { 0 };
        let (year, month, day) = civil_from_days(local.div_euclid(86_400));
        let seconds = local.rem_euclid(86_400);
        Self {
            year,
            month,
            day,
            hour: seconds / 3_600,
            minute: seconds % 3_600 / 60,
            zone,
        }
    }
}

/// Days since 1970-01-01 of the last Sunday of `month` in `year`.
fn last_sunday(year: i64, month: i64) -> i64 {
    let last = days_from_civil(year, month, days_in_month(year, month));
    // 1970-01-01 was a Thursday: weekday 0 = Sunday is (days + 4) mod 7.
    last - (last + 4).rem_euclid(7)
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Newest first puts the later start first; at the same start the more precise value wins,
/// so "14:05 on 4 March" sorts above a bare "March".
impl Ord for ClinicalDate {
    fn cmp(&self, other: &Self) -> Ordering {
        self.sort_key
            .cmp(&other.sort_key)
            .then(self.precision.cmp(&other.precision))
            .then_with(|| self.value.cmp(&other.value))
    }
}

impl PartialOrd for ClinicalDate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn number(field: Option<&str>, width: usize, min: i64, max: i64) -> Option<i64> {
    let field = field?;
    if field.len() != width || !field.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = field.parse().ok()?;
    (min..=max).contains(&n).then_some(n)
}

/// Seconds into the UTC day (may be negative or past a day: the offset is simply applied).
fn time_seconds_utc(t: &str) -> Option<i64> {
    let (clock, offset) = if let Some(clock) = t.strip_suffix('Z') {
        (clock, 0)
    } else if let Some(split) = t.rfind(['+', '-']) {
        let (clock, zone) = t.split_at(split);
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let (h, m) = zone[1..].split_once(':')?;
        (
            clock,
            sign * (number(Some(h), 2, 0, 14)? * 3600 + number(Some(m), 2, 0, 59)? * 60),
        )
    } else {
        // R4 requires a zone with a time; some sources omit it. Read it as UTC rather than lose it.
        (t, 0)
    };
    let clock = clock.split('.').next()?;
    let mut parts = clock.split(':');
    let h = number(parts.next(), 2, 0, 23)?;
    let m = number(parts.next(), 2, 0, 59)?;
    let s = match parts.next() {
        Some(s) => number(Some(s), 2, 0, 60)?,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    Some(h * 3600 + m * 60 + s - offset)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_uk_calendar_days_and_partial_dates_cover_their_span() {
        let day = |v: &str| ClinicalDate::parse(v).expect("a FHIR date");
        // 23:30 UTC in July is 00:30 BST the next day; in January it is the same day.
        assert_eq!(day("2026-07-01T23:30:00Z").day_label(), "02-Jul-2026");
        assert_eq!(day("2026-01-01T23:30:00Z").day_label(), "01-Jan-2026");
        assert_eq!(day("2026-07-01T23:30:00+01:00").day_label(), "01-Jul-2026");
        assert_eq!(day("2019-03-04").day_label(), "04-Mar-2019");
        assert_eq!(day("2019-03").day_label(), "Mar-2019");
        let (first, last) = day("2019-03").days();
        assert_eq!(
            (last - first + 1, day_label(first)),
            (31, "01-Mar-2019".to_owned())
        );
        let (first, last) = day("2024").days();
        assert_eq!(
            (last - first + 1, day_label(last)),
            (366, "31-Dec-2024".to_owned())
        );
        assert_eq!(day("2019-03-04").days(), day("2019-03-04T10:00:00Z").days());
    }

    #[test]
    fn parses_every_precision() {
        for (input, precision, display) in [
            ("2019", DatePrecision::Year, "2019"),
            ("2019-03", DatePrecision::Month, "Mar-2019"),
            ("2019-03-04", DatePrecision::Day, "04-Mar-2019"),
            (
                "2019-03-04T14:05:00Z",
                DatePrecision::Time,
                "04-Mar-2019 14:05",
            ),
            (
                "2019-03-04T14:05:00.123+01:00",
                DatePrecision::Time,
                "04-Mar-2019 13:05",
            ),
            (
                "2019-12-31T23:59-05:00",
                DatePrecision::Time,
                "01-Jan-2020 04:59",
            ),
            ("2024-02-29", DatePrecision::Day, "29-Feb-2024"),
            (
                "2019-03-04T10:00:00",
                DatePrecision::Time,
                "04-Mar-2019 10:00",
            ),
        ] {
            let d = ClinicalDate::parse(input).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(d.precision, precision, "{input}");
            assert_eq!(d.display(), display, "{input}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_date() {
        for input in [
            "",
            "19",
            "2019-3",
            "2019-13",
            "2019-02-30",
            "2023-02-29",
            "2019-03-04T",
            "2019-03-04T25:00:00Z",
            "2019-03-04T10:00:00+1",
            "03/04/2019",
            "2019-03-04-01",
            "abcd",
            "2019T10:00:00Z",
        ] {
            assert!(
                ClinicalDate::parse(input).is_err(),
                "{input:?} should be refused"
            );
        }
    }

    #[test]
    fn sort_key_is_utc_seconds() {
        assert_eq!(ClinicalDate::parse("1970-01-01").unwrap().sort_key, 0);
        assert_eq!(
            ClinicalDate::parse("1970-01-02T00:00:00Z")
                .unwrap()
                .sort_key,
            86_400
        );
        assert_eq!(
            ClinicalDate::parse("2000-03-01").unwrap().sort_key,
            951_868_800
        );
        assert_eq!(ClinicalDate::parse("1969-12-31").unwrap().sort_key, -86_400);
    }

    #[test]
    fn offsets_are_applied_when_ordering() {
        let london = ClinicalDate::parse("2020-06-01T10:00:00+01:00").unwrap();
        let utc = ClinicalDate::parse("2020-06-01T09:30:00Z").unwrap();
        assert!(utc > london, "09:30Z is later than 10:00+01:00 (09:00Z)");
    }

    #[test]
    fn partial_dates_sort_at_the_start_of_their_period_and_below_precise_ones() {
        let mut dates: Vec<ClinicalDate> = [
            "2019",
            "2019-03-04T14:05:00Z",
            "2019-03",
            "2018-12-31",
            "2019-03-04",
        ]
        .iter()
        .map(|v| ClinicalDate::parse(v).unwrap())
        .collect();
        dates.sort_by(|a, b| b.cmp(a));
        let order: Vec<&str> = dates.iter().map(|d| d.value.as_str()).collect();
        assert_eq!(
            order,
            [
                "2019-03-04T14:05:00Z",
                "2019-03-04",
                "2019-03",
                "2019",
                "2018-12-31"
            ]
        );
    }

    /// UK clock changes, from the rule and checked against published dates: BST began
    /// 31-Mar-2024 01:00 UTC and ended 27-Oct-2024 01:00 UTC; in 2026 29-Mar and 25-Oct.
    #[test]
    fn times_are_shown_on_the_uk_clock_with_their_zone() {
        for (input, shown) in [
            ("2024-03-31T00:59:59Z", "31-Mar-2024 00:59 GMT"),
            ("2024-03-31T01:00:00Z", "31-Mar-2024 02:00 BST"),
            ("2024-10-27T00:59:00Z", "27-Oct-2024 01:59 BST"),
            ("2024-10-27T01:00:00Z", "27-Oct-2024 01:00 GMT"),
            ("2026-03-29T01:30:00Z", "29-Mar-2026 02:30 BST"),
            ("2026-10-25T00:30:00Z", "25-Oct-2026 01:30 BST"),
            ("2026-10-25T01:30:00Z", "25-Oct-2026 01:30 GMT"),
            ("2026-07-01T23:30:00Z", "02-Jul-2026 00:30 BST"),
            ("2026-07-01T12:00:00+02:00", "01-Jul-2026 11:00 BST"),
            ("2026-12-01T10:02:00+00:00", "01-Dec-2026 10:02 GMT"),
            ("2026-12-01T10:02:00", "01-Dec-2026 10:02 (zone not stated)"),
            ("2026-07-01", "01-Jul-2026"),
        ] {
            let date = ClinicalDate::parse(input).unwrap();
            assert_eq!(date.display_zoned(), shown, "{input}");
        }
        let fetched = ClinicalDate::parse("2026-06-01T09:02:00Z").unwrap();
        assert_eq!(fetched.clock(), "10:02");
    }

    #[test]
    fn civil_days_round_trip() {
        for days in [-800_000, -1, 0, 59, 365, 10_956, 11_016, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
    }
}
