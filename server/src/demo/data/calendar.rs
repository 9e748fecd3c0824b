//! Dates for synthetic data: days before a fixed anchor date (never the wall clock), written
//! as FHIR dates and date-times.

/// Every synthetic date lies before this day (days since 1970-01-01 of 2026-06-30).
pub const ANCHOR_DAY: i64 = 20_634;

/// `YYYY-MM-DD` of a day number (days since 1970-01-01).
pub fn date(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DDThh:mm:00+00:00`.
pub fn date_time(day: i64, minute_of_day: i64) -> String {
    format!(
        "{}T{:02}:{:02}:00+00:00",
        date(day),
        minute_of_day / 60,
        minute_of_day % 60
    )
}

/// `YYYY-MM` (a partial date, as some records carry).
pub fn year_month(day: i64) -> String {
    date(day)[..7].to_owned()
}

/// `YYYY` (a partial date).
pub fn year(day: i64) -> String {
    date(day)[..4].to_owned()
}

/// Howard Hinnant's inverse of days-from-civil.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_known_days() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(ANCHOR_DAY), "2026-06-30");
        assert_eq!(date(-1), "1969-12-31");
        assert_eq!(date(11_016), "2000-02-29");
        assert_eq!(date_time(ANCHOR_DAY, 615), "2026-06-30T10:15:00+00:00");
        assert_eq!(year_month(ANCHOR_DAY), "2026-06");
    }

    #[test]
    fn round_trips_through_the_portal_parser() {
        for day in (-30_000..30_000).step_by(97) {
            let parsed = app::clinical_date::ClinicalDate::parse(&date(day)).unwrap();
            assert_eq!(parsed.sort_key, day * 86_400);
        }
    }
}
