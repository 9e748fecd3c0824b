//! Dates for synthetic data: days before a fixed anchor date (never the wall clock), written
//! as FHIR dates and date-times.

/// Every synthetic date lies before this day (days since 1970-01-01 of 2026-06-30).
pub const ANCHOR_DAY: i64 = 20_634;

/// `YYYY-MM-DD` of a day number (days since 1970-01-01).
pub fn date(day: i64) -> String {
    let (y, m, d) = app::clinical_date::civil_from_days(day);
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
