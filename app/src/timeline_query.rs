//! The timeline's filters and pages: which entries match what staff asked for (source,
//! category, date range, words), a page at a time, newest first, with the counts the filter
//! controls show. Pure and shared: the server pages the record with it, the page builds the
//! query from its address (`/record?nhs=…&source=gp&q=glucose&page=3`) and back.

use crate::clinical_date::ClinicalDate;
use crate::model::{Category, PatientRecord, TimelineEntry};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Entries on one page of the timeline: with day headings, a few hundred rows at most.
pub const PAGE_SIZE: usize = 100;

/// What staff asked the timeline for. The default is the whole record's first page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineQuery {
    /// Only entries recorded at this source (including where it also holds a merged item).
    pub source: Option<String>,
    pub category: Option<Category>,
    /// First and last UK calendar day, inclusive (day numbers since 1970-01-01). An entry
    /// matches when any day it covers is in range; undated entries do not match a range.
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// Words that must all appear (any case) in the entry's title, detail, status, value,
    /// kind or codes.
    pub text: String,
    /// 1-based; a page past the last shows the last.
    pub page: usize,
}

impl Default for TimelineQuery {
    fn default() -> Self {
        Self {
            source: None,
            category: None,
            from: None,
            to: None,
            text: String::new(),
            page: 1,
        }
    }
}

/// Why the timeline's address could not be read as a query.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("“{0}” is not a kind of entry the timeline shows")]
    Category(String),
    #[error("the {0} date “{1}” is not a date (use YYYY-MM-DD)")]
    Date(&'static str, String),
    #[error("the “to” date is before the “from” date")]
    Backwards,
    #[error("“{0}” is not a page number")]
    Page(String),
    #[error("the search words are too long (at most {MAX_TEXT} characters)")]
    TooLong,
}

/// The longest search text accepted.
pub const MAX_TEXT: usize = 200;

impl TimelineQuery {
    /// Reads the query from the address parameters (`get` returns a parameter's value).
    /// Empty parameters are absent filters; anything present must make sense.
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> Result<Self, QueryError> {
        let present = |name: &str| {
            get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let category = match present("category") {
            None => None,
            Some(name) => Some(category_named(&name).ok_or(QueryError::Category(name))?),
        };
        let day = |name: &'static str| -> Result<Option<i64>, QueryError> {
            match present(name) {
                None => Ok(None),
                Some(value) => parse_day(&value)
                    .map(Some)
                    .ok_or(QueryError::Date(name, value)),
            }
        };
        let (from, to) = (day("from")?, day("to")?);
        if let (Some(from), Some(to)) = (from, to) {
            if to < from {
                return Err(QueryError::Backwards);
            }
        }
        let text = present("q").unwrap_or_default();
        if text.chars().count() > MAX_TEXT {
            return Err(QueryError::TooLong);
        }
        let page = match present("page") {
            None => 1,
            Some(p) => p
                .parse::<usize>()
                .ok()
                .filter(|p| *p >= 1)
                .ok_or(QueryError::Page(p))?,
        };
        Ok(Self {
            source: present("source"),
            category,
            from,
            to,
            text,
            page,
        })
    }

    /// The address parameters that give this query back (none for the default).
    pub fn to_params(&self) -> Vec<(&'static str, String)> {
        let mut params = Vec::new();
        if let Some(source) = &self.source {
            params.push(("source", source.clone()));
        }
        if let Some(category) = self.category {
            params.push(("category", category.as_str().to_owned()));
        }
        if let Some(from) = self.from {
            params.push(("from", iso_day(from)));
        }
        if let Some(to) = self.to {
            params.push(("to", iso_day(to)));
        }
        if !self.text.is_empty() {
            params.push(("q", self.text.clone()));
        }
        if self.page > 1 {
            params.push(("page", self.page.to_string()));
        }
        params
    }

    /// Reads the query from the timeline's part of an address's query string
    /// (`source=gp&q=glucose&page=2`), as [`TimelineQuery::from_params`] reads parameters.
    pub fn from_query_string(query: &str) -> Result<Self, QueryError> {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        Self::from_params(|name| {
            pairs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        })
    }

    /// The query string that gives this query back (empty for the default).
    pub fn to_query_string(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(self.to_params())
            .finish()
    }

    /// The record page's address for this patient with this query.
    pub fn href(&self, nhs_digits: &str) -> String {
        match self.to_query_string() {
            query if query.is_empty() => format!("/record?nhs={nhs_digits}"),
            query => format!("/record?nhs={nhs_digits}&{query}"),
        }
    }

    /// True when some filter narrows the timeline (the page number is not a filter).
    pub fn is_filtered(&self) -> bool {
        self.source.is_some()
            || self.category.is_some()
            || self.from.is_some()
            || self.to.is_some()
            || !self.text.is_empty()
    }

    /// The same filters on another page.
    pub fn on_page(&self, page: usize) -> Self {
        Self {
            page,
            ..self.clone()
        }
    }

    fn matches(&self, entry: &TimelineEntry, words: &[String]) -> bool {
        self.source.as_ref().is_none_or(|s| entry.recorded_at(s))
            && self.category.is_none_or(|c| entry.category == c)
            && self.in_range(entry.date.as_ref())
            && (words.is_empty() || has_words(entry, words))
    }

    fn in_range(&self, date: Option<&ClinicalDate>) -> bool {
        if self.from.is_none() && self.to.is_none() {
            return true;
        }
        let Some((first, last)) = date.map(ClinicalDate::days) else {
            return false;
        };
        self.from.is_none_or(|from| last >= from) && self.to.is_none_or(|to| first <= to)
    }
}

/// One page of the timeline, and what the filter controls need to say about the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelinePage {
    /// The query as applied (its page within range).
    pub query: TimelineQuery,
    /// This page's entries, newest first.
    pub entries: Vec<TimelineEntry>,
    /// Entries matching the filters, on every page.
    pub matching: usize,
    /// Entries in the viewer's record, before any filter.
    pub total: usize,
    /// Pages of matching entries (at least 1).
    pub pages: usize,
    /// Entries recorded at each source (by id), in the whole record.
    pub sources: Vec<(String, usize)>,
    /// Entries of each category, in the whole record.
    pub categories: Vec<(Category, usize)>,
}

impl TimelinePage {
    /// The 1-based positions of this page's first and last entries among the matching ones.
    pub fn shown(&self) -> (usize, usize) {
        let first = (self.query.page - 1) * PAGE_SIZE;
        (first + 1, first + self.entries.len())
    }
}

/// The page of `entries` (already newest first) that `query` asks for.
pub fn select(entries: &[TimelineEntry], query: &TimelineQuery) -> TimelinePage {
    let words = words(&query.text);
    let matching: Vec<&TimelineEntry> = entries
        .iter()
        .filter(|e| query.matches(e, &words))
        .collect();
    let pages = matching.len().div_ceil(PAGE_SIZE).max(1);
    let page = query.page.clamp(1, pages);
    TimelinePage {
        query: query.on_page(page),
        entries: matching
            .iter()
            .skip((page - 1) * PAGE_SIZE)
            .take(PAGE_SIZE)
            .map(|e| (*e).clone())
            .collect(),
        matching: matching.len(),
        total: entries.len(),
        pages,
        sources: source_counts(entries),
        categories: category_counts(entries),
    }
}

/// The record as the record page is sent it: the summary's entries and the timeline's first
/// page, not every entry (the rest come a page at a time through the timeline's own
/// server function). The summary built from it is the summary of the whole record.
pub fn for_the_page(mut record: PatientRecord) -> PatientRecord {
    record.timeline = Some(select(&record.entries, &TimelineQuery::default()));
    record.entries = crate::summary::inputs(&record.entries);
    record
}

/// Consecutive entries of a page that fall on one day (or one partial date, or undated).
pub fn by_day(entries: &[TimelineEntry]) -> Vec<(String, &[TimelineEntry])> {
    let label = |e: &TimelineEntry| {
        e.date
            .as_ref()
            .map_or_else(|| "Date not recorded".to_owned(), ClinicalDate::day_label)
    };
    let mut groups: Vec<(String, &[TimelineEntry])> = Vec::new();
    let mut start = 0;
    for end in 1..=entries.len() {
        if end == entries.len() || label(&entries[end]) != label(&entries[start]) {
            groups.push((label(&entries[start]), &entries[start..end]));
            start = end;
        }
    }
    groups
}

/// A category by its machine name (`care-plan`), among those the timeline shows.
pub fn category_named(name: &str) -> Option<Category> {
    TIMELINE_CATEGORIES.into_iter().find(|c| c.as_str() == name)
}

/// The categories a timeline entry can have (patient details are never entries).
pub const TIMELINE_CATEGORIES: [Category; 12] = [
    Category::Allergy,
    Category::Medication,
    Category::Problem,
    Category::Alert,
    Category::CarePlan,
    Category::Encounter,
    Category::Episode,
    Category::Observation,
    Category::Report,
    Category::Procedure,
    Category::Immunisation,
    Category::Document,
];

/// A `YYYY-MM-DD` day as a day number since 1970-01-01.
pub fn parse_day(value: &str) -> Option<i64> {
    let date = ClinicalDate::parse(value).ok()?;
    let day = matches!(date.precision, crate::clinical_date::DatePrecision::Day);
    day.then(|| date.days().0)
}

/// A day number as `YYYY-MM-DD` (the form a date input takes).
pub fn iso_day(day: i64) -> String {
    let (y, m, d) = crate::clinical_date::civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

fn words(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_lowercase).collect()
}

/// True when every word appears somewhere staff would look for it in the entry.
fn has_words(entry: &TimelineEntry, words: &[String]) -> bool {
    let mut haystack = String::with_capacity(entry.title.len() + 64);
    let mut add = |text: &str| {
        haystack.push_str(&text.to_lowercase());
        haystack.push('\n');
    };
    add(&entry.title);
    add(entry.category.label());
    if let Some(detail) = &entry.detail {
        add(detail);
    }
    if let Some(status) = &entry.status {
        add(status);
    }
    if let Some(m) = &entry.measurement {
        add(&m.value);
        if let Some(unit) = &m.unit {
            add(unit);
        }
    }
    for code in &entry.codes {
        add(&code.code);
    }
    words.iter().all(|w| haystack.contains(w.as_str()))
}

fn source_counts(entries: &[TimelineEntry]) -> Vec<(String, usize)> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for entry in entries {
        *counts.entry(&entry.source_id).or_default() += 1;
        let mut others: Vec<&str> = entry
            .also_recorded_at
            .iter()
            .map(|p| p.source_id.as_str())
            .filter(|id| *id != entry.source_id)
            .collect();
        others.sort_unstable();
        others.dedup();
        for id in others {
            *counts.entry(id).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .map(|(id, n)| (id.to_owned(), n))
        .collect()
}

fn category_counts(entries: &[TimelineEntry]) -> Vec<(Category, usize)> {
    TIMELINE_CATEGORIES
        .into_iter()
        .map(|c| (c, entries.iter().filter(|e| e.category == c).count()))
        .filter(|(_, n)| *n > 0)
        .collect()
}

#[cfg(test)]
mod tests;
