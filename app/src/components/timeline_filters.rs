//! The timeline's controls: a chip per source, a form for words, kind and dates, the active
//! filters each with its own remove link, how many entries match, and the pages. Every
//! control is a link or a GET form on the record page's address, so each works from the
//! keyboard and with the browser's back button. The clinicians' pages are Leptos islands, so
//! each is a full page load, which the server renders with the new page of entries.

use crate::clinical_date::day_label;
use crate::ids;
use crate::model::SourceReport;
use crate::nhs_number::NhsNumber;
use crate::timeline_query::{iso_day, TimelinePage, TimelineQuery, TIMELINE_CATEGORIES};
use leptos::prelude::*;
use leptos_router::components::Form;

/// The id of the timeline's section. Every control's address ends `#timeline`, so the page it
/// loads opens at the timeline, and the timeline takes focus (`crate::shell::start_page`).
pub const TIMELINE_ANCHOR: &str = "timeline";

/// `address` opening at the timeline.
pub fn at_timeline(address: String) -> String {
    format!("{address}#{TIMELINE_ANCHOR}")
}

/// A chip per source that answered, each a link to the timeline filtered to it.
#[component]
pub fn SourceChips(
    page: TimelinePage,
    sources: Vec<SourceReport>,
    nhs: NhsNumber,
) -> impl IntoView {
    let query = page.query.on_page(1);
    let digits = nhs.as_digits();
    let all = (
        "all".to_owned(),
        "All sources".to_owned(),
        page.total,
        query.source.is_none(),
        TimelineQuery {
            source: None,
            ..query.clone()
        },
    );
    let each = sources.iter().filter(|s| s.status.has_data()).map(|s| {
        let count = page
            .sources
            .iter()
            .find(|(id, _)| *id == s.id)
            .map_or(0, |(_, n)| *n);
        let chosen = query.source.as_deref() == Some(s.id.as_str());
        let to = TimelineQuery {
            source: Some(s.id.clone()),
            ..query.clone()
        };
        (s.id.clone(), s.name.clone(), count, chosen, to)
    });
    let chips = std::iter::once(all)
        .chain(each)
        .map(|(id, name, count, chosen, to)| {
            let class = if chosen {
                "rounded-full border-2 border-[#005eb8] bg-[#005eb8] px-3 py-1 text-sm font-semibold text-white"
            } else {
                "rounded-full border-2 border-[#005eb8] bg-white px-3 py-1 text-sm font-semibold text-[#005eb8] hover:bg-blue-50"
            };
            view! {
                <a
                    data-testid=ids::SOURCE_FILTER
                    data-source-id=id
                    aria-current=chosen.then_some("true")
                    class=class
                    href=at_timeline(to.href(&digits))
                >
                    {format!("{name} ({})", thousands(count))}
                </a>
            }
        })
        .collect_view();
    view! {
        <nav class="flex flex-wrap items-center gap-2" aria-label="Filter by source">{chips}</nav>
    }
}

/// Words, kind of entry and date range, sent as the record page's address (the chosen
/// source rides along hidden, so applying the form keeps it). Each control's value is set as
/// a property too: after a filter is removed by its link, the box shows what is in force,
/// not what was typed before.
#[component]
pub fn FilterForm(page: TimelinePage, nhs: NhsNumber) -> impl IntoView {
    let query = page.query;
    let kinds = TIMELINE_CATEGORIES
        .into_iter()
        .filter_map(|c| {
            let count = page.categories.iter().find(|(k, _)| *k == c).map(|(_, n)| *n)?;
            let chosen = query.category == Some(c);
            Some(view! {
                <option value=c.as_str() selected=chosen prop:selected=chosen>{format!("{} ({})", c.label(), thousands(count))}</option>
            })
        })
        .collect_view();
    let field = "mt-1 block rounded border-2 border-slate-700 px-2 py-1 text-base";
    view! {
        <div role="search" aria-label="Search the timeline" class="mt-3 rounded bg-white p-3 shadow">
            <Form method="GET" action=at_timeline("/record".to_owned())>
                <div data-testid=ids::TIMELINE_FILTERS class="flex flex-wrap items-end gap-3">
                    <input type="hidden" name="nhs" value=nhs.as_digits() />
                    {query.source.clone().map(|s| view! { <input type="hidden" name="source" value=s /> })}
                    <label class="text-sm font-semibold">
                        "Words"
                        <input
                            type="search"
                            name="q"
                            data-testid=ids::TIMELINE_SEARCH
                            maxlength=crate::timeline_query::MAX_TEXT
                            value=query.text.clone()
                            prop:value=query.text.clone()
                            class=field
                        />
                    </label>
                    <label class="text-sm font-semibold">
                        "Kind of entry"
                        <select name="category" data-testid=ids::CATEGORY_FILTER class=field>
                            <option value="" selected=query.category.is_none() prop:selected=query.category.is_none()>"All kinds"</option>
                            {kinds}
                        </select>
                    </label>
                    <label class="text-sm font-semibold">
                        "From"
                        <input type="date" name="from" data-testid=ids::DATE_FROM class=field
                            value=query.from.map(iso_day).unwrap_or_default()
                            prop:value=query.from.map(iso_day).unwrap_or_default() />
                    </label>
                    <label class="text-sm font-semibold">
                        "To"
                        <input type="date" name="to" data-testid=ids::DATE_TO class=field
                            value=query.to.map(iso_day).unwrap_or_default()
                            prop:value=query.to.map(iso_day).unwrap_or_default() />
                    </label>
                    <button type="submit" class="rounded bg-[#007f3b] px-4 py-2 font-semibold text-white hover:bg-[#00662f]">
                        "Search the timeline"
                    </button>
                </div>
            </Form>
        </div>
    }
}

/// The filters in force, each with a link that removes it, and one that removes them all:
/// a narrowed timeline never looks like the whole record.
#[component]
pub fn ActiveFilters(
    page: TimelinePage,
    sources: Vec<SourceReport>,
    nhs: NhsNumber,
) -> impl IntoView {
    let query = page.query.on_page(1);
    if !query.is_filtered() {
        return None;
    }
    let digits = nhs.as_digits();
    let mut active: Vec<(String, TimelineQuery)> = Vec::new();
    if let Some(source) = &query.source {
        let name = sources
            .iter()
            .find(|s| s.id == *source)
            .map_or_else(|| source.clone(), |s| s.name.clone());
        active.push((
            format!("Source: {name}"),
            TimelineQuery {
                source: None,
                ..query.clone()
            },
        ));
    }
    if let Some(category) = query.category {
        active.push((
            format!("Kind: {}", category.label()),
            TimelineQuery {
                category: None,
                ..query.clone()
            },
        ));
    }
    if let Some(from) = query.from {
        active.push((
            format!("From {}", day_label(from)),
            TimelineQuery {
                from: None,
                ..query.clone()
            },
        ));
    }
    if let Some(to) = query.to {
        active.push((
            format!("To {}", day_label(to)),
            TimelineQuery {
                to: None,
                ..query.clone()
            },
        ));
    }
    if !query.text.is_empty() {
        active.push((
            format!("Words: “{}”", query.text),
            TimelineQuery {
                text: String::new(),
                ..query.clone()
            },
        ));
    }
    let items = active
        .into_iter()
        .map(|(label, without)| {
            view! {
                <li class="flex items-center gap-1 rounded-full border border-[#005eb8] bg-blue-50 px-3 py-1 text-sm">
                    <span>{label.clone()}</span>
                    <a
                        href=at_timeline(without.href(&digits))
                            class="ml-1 font-bold text-[#005eb8] underline"
                        aria-label=format!("Remove filter {label}")
                    >
                        "×"
                    </a>
                </li>
            }
        })
        .collect_view();
    Some(view! {
        <div class="mt-3 flex flex-wrap items-center gap-2" data-testid=ids::ACTIVE_FILTERS>
            <span class="text-sm font-semibold">"Filters in force:"</span>
            <ul class="flex flex-wrap gap-2">{items}</ul>
            <a
                data-testid=ids::CLEAR_FILTERS
                class="text-sm font-semibold text-[#005eb8] underline"
                href=at_timeline(TimelineQuery::default().href(&digits))
            >
                "Clear all filters"
            </a>
        </div>
    })
}

/// "Showing 101–200 of 3,012 entries", or how many match the filters out of how many.
#[component]
pub fn MatchCount(page: TimelinePage) -> impl IntoView {
    let (first, last) = page.shown();
    let text = match (page.query.is_filtered(), page.matching) {
        (true, 0) => format!(
            "No entries match the filters ({} in the record).",
            thousands(page.total)
        ),
        (true, n) => format!(
            "{} of {} entries match the filters; showing {}–{}.",
            thousands(n),
            thousands(page.total),
            thousands(first),
            thousands(last)
        ),
        (false, 0) => "No entries to show.".to_owned(),
        (false, n) => format!(
            "Showing {}–{} of {} entries, newest first.",
            thousands(first),
            thousands(last),
            thousands(n)
        ),
    };
    view! { <p data-testid=ids::TIMELINE_COUNT role="status" class="mt-3 text-sm font-semibold">{text}</p> }
}

/// Newer and older pages, as links, and which page this is.
#[component]
pub fn Pager(page: TimelinePage, nhs: NhsNumber) -> impl IntoView {
    if page.pages <= 1 {
        return None;
    }
    let digits = nhs.as_digits();
    let at = page.query.page;
    let link = |to: usize, words: &'static str, rel: &'static str| {
        let href = at_timeline(page.query.on_page(to).href(&digits));
        view! {
            <a href=href rel=rel class="rounded border-2 border-[#005eb8] px-3 py-1 font-semibold text-[#005eb8] underline">
                {words}
            </a>
        }
    };
    Some(view! {
        <nav data-testid=ids::TIMELINE_PAGER aria-label="Timeline pages" class="mt-3 flex flex-wrap items-center gap-3 text-sm">
            {(at > 1).then(|| link(1, "Newest", "first"))}
            {(at > 1).then(|| link(at - 1, "Newer", "prev"))}
            <span aria-current="page">{format!("Page {} of {}", thousands(at), thousands(page.pages))}</span>
            {(at < page.pages).then(|| link(at + 1, "Older", "next"))}
            {(at < page.pages).then(|| link(page.pages, "Oldest", "last"))}
        </nav>
    })
}

/// `3012` as `3,012`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_are_separated() {
        for (n, text) in [
            (0, "0"),
            (999, "999"),
            (1_000, "1,000"),
            (3_012, "3,012"),
            (1_234_567, "1,234,567"),
        ] {
            assert_eq!(super::thousands(n), text);
        }
    }
}
