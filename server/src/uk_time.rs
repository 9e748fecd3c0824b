//! UK local time for people: an instant as the UK clock showed it, with its zone
//! (`3 Dec 2026 14:03:27 GMT`), and a UK calendar date as the instants it starts and ends
//! (a day in BST starts at 23:00 UTC the evening before).

use std::sync::LazyLock;

/// Europe/London from the zone database built into the binary; UTC if it were ever missing.
static LONDON: LazyLock<jiff::tz::TimeZone> = LazyLock::new(|| {
    jiff::tz::db()
        .get("Europe/London")
        .unwrap_or(jiff::tz::TimeZone::UTC)
});

/// `ms` (since the Unix epoch) on the UK clock, to the second, with the zone's abbreviation.
pub fn local(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|at| {
            at.to_zoned(LONDON.clone())
                .strftime("%-d %b %Y %H:%M:%S %Z")
                .to_string()
        })
        .unwrap_or_default()
}

/// How far the UK clock was ahead of UTC at `ms`, in seconds (0 in GMT, 3,600 in BST).
pub fn offset_seconds(ms: i64) -> i32 {
    jiff::Timestamp::from_millisecond(ms).map_or(0, |at| LONDON.to_offset(at).seconds())
}

/// The UK clock's offsets from UTC over `from_ms..=to_ms`, in milliseconds: `(until_ms,
/// offset_ms)` pairs, each offset holding before `until_ms` (from the previous pair's), the
/// last holding to the end. Found hour by hour: UK clock changes fall on the hour (01:00 UTC).
pub fn offsets(from_ms: i64, to_ms: i64) -> Vec<(i64, i64)> {
    const HOUR_MS: i64 = 3_600_000;
    let offset_ms = |ms: i64| i64::from(offset_seconds(ms)) * 1_000;
    let mut current = offset_ms(from_ms);
    let mut segments = Vec::new();
    let mut at = from_ms - from_ms.rem_euclid(HOUR_MS) + HOUR_MS;
    while at <= to_ms {
        let offset = offset_ms(at);
        if offset != current {
            segments.push((at, current));
            current = offset;
        }
        at += HOUR_MS;
    }
    segments.push((i64::MAX, current));
    segments
}

/// The first millisecond of UK calendar day `date` (`YYYY-MM-DD`), or `None` for a text that
/// is not a date.
pub fn day_start_ms(date: &str) -> Option<i64> {
    let day: jiff::civil::Date = date.parse().ok()?;
    start_of(day)
}

/// The last millisecond of UK calendar day `date` (`YYYY-MM-DD`).
pub fn day_end_ms(date: &str) -> Option<i64> {
    let day: jiff::civil::Date = date.parse().ok()?;
    Some(start_of(day.tomorrow().ok()?)? - 1)
}

fn start_of(day: jiff::civil::Date) -> Option<i64> {
    let start = day.to_zoned(LONDON.clone()).ok()?;
    Some(start.timestamp().as_millisecond())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(rfc3339: &str) -> i64 {
        rfc3339.parse::<jiff::Timestamp>().unwrap().as_millisecond()
    }

    #[test]
    fn instants_show_on_the_uk_clock_with_their_zone() {
        // (instant, as the UK clock showed it)
        let table = [
            ("2026-12-03T14:03:27.900Z", "3 Dec 2026 14:03:27 GMT"),
            ("2026-07-01T13:03:27Z", "1 Jul 2026 14:03:27 BST"),
            // Clocks go forward at 01:00 UTC on the last Sunday of March...
            ("2026-03-29T00:59:59Z", "29 Mar 2026 00:59:59 GMT"),
            ("2026-03-29T01:00:00Z", "29 Mar 2026 02:00:00 BST"),
            // ...and back at 01:00 UTC on the last Sunday of October.
            ("2026-10-25T00:59:59Z", "25 Oct 2026 01:59:59 BST"),
            ("2026-10-25T01:00:00Z", "25 Oct 2026 01:00:00 GMT"),
        ];
        for (instant, shown) in table {
            assert_eq!(local(ms(instant)), shown, "{instant}");
            let summer = shown.ends_with("BST");
            assert_eq!(offset_seconds(ms(instant)), if summer { 3_600 } else { 0 });
        }
    }

    #[test]
    fn a_period_is_split_where_the_clocks_change() {
        let hour = 3_600_000;
        // Summer, then autumn's change at 01:00 UTC on 25 October 2026, then winter.
        let (from, to) = (ms("2026-10-01T00:00:00Z"), ms("2026-11-01T00:00:00Z"));
        assert_eq!(
            offsets(from, to),
            [(ms("2026-10-25T01:00:00Z"), hour), (i64::MAX, 0)]
        );
        // No change in December; both changes in a year.
        assert_eq!(
            offsets(ms("2026-12-01T00:00:00Z"), ms("2026-12-31T00:00:00Z")),
            [(i64::MAX, 0)]
        );
        let year = offsets(ms("2026-01-01T00:00:00Z"), ms("2026-12-31T00:00:00Z"));
        assert_eq!(
            year,
            [
                (ms("2026-03-29T01:00:00Z"), 0),
                (ms("2026-10-25T01:00:00Z"), hour),
                (i64::MAX, 0)
            ]
        );
    }

    #[test]
    fn a_uk_date_runs_from_uk_midnight_to_uk_midnight() {
        // (date, first instant, last instant)
        let table = [
            (
                "2026-12-03",
                "2026-12-03T00:00:00Z",
                "2026-12-03T23:59:59.999Z",
            ),
            (
                "2026-07-01",
                "2026-06-30T23:00:00Z",
                "2026-07-01T22:59:59.999Z",
            ),
            // The day clocks go forward has 23 hours; the day they go back, 25.
            (
                "2026-03-29",
                "2026-03-29T00:00:00Z",
                "2026-03-29T22:59:59.999Z",
            ),
            (
                "2026-10-25",
                "2026-10-24T23:00:00Z",
                "2026-10-25T23:59:59.999Z",
            ),
        ];
        for (date, first, last) in table {
            assert_eq!(day_start_ms(date), Some(ms(first)), "{date}");
            assert_eq!(day_end_ms(date), Some(ms(last)), "{date}");
        }
        for bad in ["", "2026-13-01", "2026-02-30", "03/12/2026", "yesterday"] {
            assert_eq!(day_start_ms(bad), None, "{bad:?}");
            assert_eq!(day_end_ms(bad), None, "{bad:?}");
        }
    }
}
