use super::*;
use crate::clinical_date::days_from_civil;
use crate::model::{Code, Measurement, Provenance};
use std::collections::HashMap;

fn entry(n: usize, date: Option<&str>, category: Category, title: &str) -> TimelineEntry {
    TimelineEntry {
        date: date.map(|d| ClinicalDate::parse(d).expect("a FHIR date")),
        resource_type: "Observation".to_owned(),
        resource_id: format!("e{n}"),
        ..TimelineEntry::example(category, title)
    }
}

/// `n` glucose readings, one a day going back from 2026-11-30, newest first.
fn readings(n: usize) -> Vec<TimelineEntry> {
    let last = days_from_civil(2026, 11, 30);
    (0..n)
        .map(|i| {
            let day = iso_day(last - i as i64);
            entry(
                i,
                Some(&format!("{day}T08:00:00Z")),
                Category::Observation,
                "Glucose",
            )
        })
        .collect()
}

fn query(params: &[(&str, &str)]) -> Result<TimelineQuery, QueryError> {
    let map: HashMap<&str, &str> = params.iter().copied().collect();
    TimelineQuery::from_params(|name| map.get(name).map(|v| (*v).to_owned()))
}

fn ids(page: &TimelinePage) -> Vec<&str> {
    page.entries
        .iter()
        .map(|e| e.resource_id.as_str())
        .collect()
}

#[test]
fn pages_hold_at_most_a_page_and_a_page_past_the_end_is_the_last() {
    let entries = readings(250);
    let first = select(&entries, &TimelineQuery::default());
    assert_eq!(
        (
            first.entries.len(),
            first.pages,
            first.matching,
            first.total
        ),
        (100, 3, 250, 250)
    );
    assert_eq!(first.shown(), (1, 100));
    assert_eq!(ids(&first)[0], "e0");
    let last = select(&entries, &TimelineQuery::default().on_page(3));
    assert_eq!((last.entries.len(), last.shown()), (50, (201, 250)));
    assert_eq!(ids(&last).last(), Some(&"e249"));
    let beyond = select(&entries, &TimelineQuery::default().on_page(99));
    assert_eq!((beyond.query.page, ids(&beyond)), (3, ids(&last)));
    let none = select(&[], &TimelineQuery::default());
    assert_eq!((none.pages, none.entries.len(), none.query.page), (1, 0, 1));
}

#[test]
fn a_source_filter_finds_items_merged_from_that_source_too() {
    let mut entries = readings(3);
    entries[1].source_id = "acute".to_owned();
    entries[2].also_recorded_at.push(Provenance {
        source_id: "acute".to_owned(),
        resource_type: "Observation".to_owned(),
        resource_id: "a9".to_owned(),
        date: None,
        status: None,
        detail: None,
    });
    let acute = select(&entries, &query(&[("source", "acute")]).unwrap());
    assert_eq!(ids(&acute), ["e1", "e2"]);
    assert_eq!(
        acute.sources,
        [("acute".to_owned(), 2), ("gp".to_owned(), 2)]
    );
}

#[test]
fn a_date_range_matches_any_day_an_entry_covers_and_never_an_undated_one() {
    let entries = vec![
        entry(
            0,
            Some("2026-03-04T23:30:00Z"),
            Category::Problem,
            "late evening, GMT",
        ),
        entry(
            1,
            Some("2026-07-04T23:30:00Z"),
            Category::Problem,
            "05-Jul in BST",
        ),
        entry(2, Some("2019-03"), Category::Problem, "month only"),
        entry(3, Some("2018"), Category::Problem, "year only"),
        entry(4, None, Category::Problem, "undated"),
    ];
    let found = |from: &str, to: &str| {
        let page = select(&entries, &query(&[("from", from), ("to", to)]).unwrap());
        page.entries
            .iter()
            .map(|e| e.title.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(found("2026-03-04", "2026-03-04"), ["late evening, GMT"]);
    assert_eq!(found("2026-07-05", "2026-07-05"), ["05-Jul in BST"]);
    assert!(found("2026-07-04", "2026-07-04").is_empty());
    assert_eq!(found("2019-03-31", "2019-04-02"), ["month only"]);
    assert_eq!(found("2018-06-01", "2018-06-01"), ["year only"]);
    assert_eq!(
        found("2000-01-01", ""),
        [
            "late evening, GMT",
            "05-Jul in BST",
            "month only",
            "year only"
        ]
    );
    assert_eq!(found("", "2018-12-31"), ["year only"]);
}

#[test]
fn every_word_must_appear_in_any_case_in_what_staff_read() {
    let mut entries = vec![
        entry(0, None, Category::Allergy, "Penicillin"),
        entry(1, None, Category::Observation, "Blood pressure"),
        entry(2, None, Category::Medication, "Amoxicillin 500mg capsules"),
    ];
    entries[0].detail = Some("Reaction: anaphylaxis".to_owned());
    entries[1].measurement = Some(Box::new(Measurement {
        value: "182/111".to_owned(),
        unit: Some("mmHg".to_owned()),
        ..Measurement::default()
    }));
    entries[2]
        .codes
        .push(Code::new("http://snomed.info/sct", "27658006"));
    entries[2].status = Some("on-hold".to_owned());
    for (text, expected) in [
        ("ANAPHYLAXIS", vec!["e0"]),
        ("penicillin anaphylaxis", vec!["e0"]),
        ("penicillin wheeze", vec![]),
        ("mmhg 182", vec!["e1"]),
        ("27658006", vec!["e2"]),
        ("on-hold", vec!["e2"]),
        ("allergy", vec!["e0"]),
        ("cillin", vec!["e0", "e2"]),
        ("   ", vec!["e0", "e1", "e2"]),
    ] {
        let page = select(&entries, &query(&[("q", text)]).unwrap());
        assert_eq!(ids(&page), expected, "searching {text:?}");
    }
}

#[test]
fn filters_combine_and_counts_describe_the_whole_record() {
    let mut entries = readings(120);
    entries.push(entry(500, Some("2020-01-01"), Category::Allergy, "Latex"));
    let page = select(
        &entries,
        &query(&[("category", "allergy"), ("q", "latex")]).unwrap(),
    );
    assert_eq!(
        (ids(&page), page.matching, page.total),
        (vec!["e500"], 1, 121)
    );
    assert_eq!(
        page.categories,
        [(Category::Allergy, 1), (Category::Observation, 120)]
    );
    let none = select(
        &entries,
        &query(&[("category", "allergy"), ("q", "glucose")]).unwrap(),
    );
    assert_eq!((none.matching, none.pages), (0, 1));
}

#[test]
fn addresses_that_make_no_sense_are_refused_with_the_reason() {
    for (params, error) in [
        (
            vec![("category", "patient-details")],
            QueryError::Category("patient-details".into()),
        ),
        (
            vec![("category", "<script>")],
            QueryError::Category("<script>".into()),
        ),
        (
            vec![("from", "2026-13-01")],
            QueryError::Date("from", "2026-13-01".into()),
        ),
        (
            vec![("to", "2026-02")],
            QueryError::Date("to", "2026-02".into()),
        ),
        (
            vec![("to", "yesterday")],
            QueryError::Date("to", "yesterday".into()),
        ),
        (
            vec![("from", "2026-02-02"), ("to", "2026-02-01")],
            QueryError::Backwards,
        ),
        (vec![("page", "0")], QueryError::Page("0".into())),
        (vec![("page", "-1")], QueryError::Page("-1".into())),
        (vec![("page", "two")], QueryError::Page("two".into())),
    ] {
        assert_eq!(query(&params), Err(error), "{params:?}");
    }
    let long = "x".repeat(MAX_TEXT + 1);
    assert_eq!(query(&[("q", &long)]), Err(QueryError::TooLong));
    assert_eq!(
        query(&[("q", ""), ("source", " "), ("page", "")]),
        Ok(TimelineQuery::default())
    );
}

#[test]
fn a_query_survives_the_round_trip_through_its_address() {
    let asked = TimelineQuery {
        source: Some("mental health & care".to_owned()),
        category: Some(Category::CarePlan),
        from: Some(days_from_civil(2019, 3, 4)),
        to: Some(days_from_civil(2026, 11, 30)),
        text: "DNACPR 50% \"plan\" ?&=".to_owned(),
        page: 4,
    };
    let href = asked.href("9990000018");
    assert!(href.starts_with("/record?nhs=9990000018&source=mental+health+%26+care&category=care-plan&from=2019-03-04&to=2026-11-30&q="), "{href}");
    let query_string = href.split_once('?').map(|(_, q)| q).unwrap_or_default();
    let pairs: HashMap<String, String> = form_urlencoded::parse(query_string.as_bytes())
        .into_owned()
        .collect();
    let read = TimelineQuery::from_params(|name| pairs.get(name).cloned());
    assert_eq!(read, Ok(asked));
    assert_eq!(
        TimelineQuery::default().href("9990000018"),
        "/record?nhs=9990000018"
    );
    assert!(!TimelineQuery::default().on_page(2).is_filtered());
}

#[test]
fn a_page_is_grouped_by_uk_day_with_partial_and_missing_dates_apart() {
    let entries = vec![
        entry(0, Some("2026-07-04T23:30:00Z"), Category::Observation, "a"),
        entry(
            1,
            Some("2026-07-05T07:00:00+01:00"),
            Category::Observation,
            "b",
        ),
        entry(2, Some("2026-07-04T12:00:00Z"), Category::Observation, "c"),
        entry(3, Some("2026-07"), Category::Problem, "d"),
        entry(4, None, Category::Problem, "e"),
        entry(5, None, Category::Problem, "f"),
    ];
    let groups: Vec<(String, usize)> = by_day(&entries)
        .into_iter()
        .map(|(label, rows)| (label, rows.len()))
        .collect();
    assert_eq!(
        groups,
        [
            ("05-Jul-2026".to_owned(), 2),
            ("04-Jul-2026".to_owned(), 1),
            ("Jul-2026".to_owned(), 1),
            ("Date not recorded".to_owned(), 2)
        ]
    );
    assert!(by_day(&[]).is_empty());
}
