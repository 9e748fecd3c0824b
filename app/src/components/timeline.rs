//! The merged timeline, newest first, a page at a time and grouped by day, with its filters
//! (by source, kind, date range and words; see [`super::timeline_filters`]) and a marker row
//! for each group of withheld items (undated: a withheld item's date is not shown either).
//! The record brings the first page; another page or filter is another load of the record
//! page, its address saying which, which the server renders with that page (`get_timeline`),
//! so the page never holds more than [`PAGE_SIZE`] entries. The timeline is rendered on the
//! server only (the clinicians' pages are Leptos islands): no hydration state carries it. A document's row links to each attachment
//! the portal can show (opened through the portal) and says which it cannot. Each row's title
//! is a button that opens the entry panel ([`super::detail_panel`]) when the page provides
//! one; an entry recorded in error carries a badge and a struck-through title.

use super::detail_panel::{entry_panel_mounted, title_words, OpenEntryButton};
use super::timeline_filters::{
    at_timeline, ActiveFilters, FilterForm, MatchCount, Pager, SourceChips, TIMELINE_ANCHOR,
};
use crate::api::get_timeline;
use crate::consent::WithheldItems;
use crate::detail::EntryRef;
use crate::document::{document_path, AttachmentInfo};
use crate::ids;
use crate::model::{SourceReport, TimelineEntry};
use crate::nhs_number::NhsNumber;
use crate::timeline_query::{by_day, TimelinePage, TimelineQuery, PAGE_SIZE};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use std::sync::Arc;

#[component]
pub fn Timeline(
    /// The first page of the whole record, as the record brought it.
    first: TimelinePage,
    sources: Vec<SourceReport>,
    #[prop(optional)] withheld: Vec<WithheldItems>,
    /// The patient, for the filters' addresses and links to their documents.
    nhs: NhsNumber,
    /// When the record was looked up (UTC seconds): entries dated later are flagged.
    #[prop(optional)]
    now: Option<i64>,
) -> impl IntoView {
    let params = use_query_map();
    let digits = nhs.as_digits();
    // Keyed on the query the timeline's own parameters make (the resource compares it): a
    // change to them fetches a page, nothing else.
    let page = Resource::new(
        move || params.with(|p| TimelineQuery::from_params(|name| p.get(name))),
        move |asked| {
            let digits = digits.clone();
            async move {
                let query =
                    asked.map_err(|e| format!("The timeline's filters could not be read: {e}."))?;
                if query == TimelineQuery::default() {
                    // The record brought this page.
                    return Ok(None);
                }
                get_timeline(digits, query.to_query_string())
                    .await
                    .map(Some)
                    .map_err(|e| e.to_string())
            }
        },
    );
    let sources = Arc::new(sources);
    let withheld = Arc::new(withheld);
    let show = move |shown: TimelinePage| {
        view! {
            <TimelinePageView page=shown sources=sources.clone() withheld=withheld.clone() nhs now />
        }
    };
    view! {
        <section id=TIMELINE_ANCHOR tabindex="-1" class="mt-3 focus:outline-none" aria-label="Timeline">
            <Transition fallback=|| view! { <p class="mt-3 text-slate-700" role="status">"Loading the timeline…"</p> }>
                {move || {
                    let first = first.clone();
                    let show = show.clone();
                    Suspend::new(async move {
                        match page.await {
                            Ok(None) => show(first).into_any(),
                            Ok(Some(shown)) => show(shown).into_any(),
                            Err(error) => view! { <TimelineError error nhs /> }.into_any(),
                        }
                    })
                }}
            </Transition>
        </section>
    }
}

/// One page with its controls.
#[component]
fn TimelinePageView(
    page: TimelinePage,
    sources: Arc<Vec<SourceReport>>,
    withheld: Arc<Vec<WithheldItems>>,
    nhs: NhsNumber,
    now: Option<i64>,
) -> impl IntoView {
    let query = page.query.clone();
    // Withheld items are undated: their markers head the first page, by source and kind.
    let markers =
        (query.page == 1 && query.from.is_none() && query.to.is_none() && query.text.is_empty())
            .then(|| {
                withheld
                    .iter()
                    .filter(|w| query.source.as_ref().is_none_or(|id| *id == w.source_id))
                    .filter(|w| query.category.is_none_or(|c| c == w.category))
                    .map(|w| view! { <WithheldRow items=w.clone() sources=sources.clone() /> })
                    .collect_view()
            });
    let days = by_day(&page.entries)
        .into_iter()
        .map(|(label, entries)| {
            let day = entries
                .first()
                .and_then(|e| e.date.as_ref())
                .map(|d| crate::timeline_query::iso_day(d.days().0));
            let rows = entries
                .iter()
                .map(|e| view! { <TimelineRow entry=e.clone() sources=sources.clone() nhs=Some(nhs) now /> })
                .collect_view();
            view! {
                <tbody data-testid=ids::TIMELINE_DAY data-day=day class="divide-y divide-slate-200">
                    <tr class="bg-slate-100">
                        <th colspan="4" scope="colgroup" class="px-3 py-1 text-left text-sm font-bold">{label}</th>
                    </tr>
                    {rows}
                </tbody>
            }
        })
        .collect_view();
    view! {
        <SourceChips page=page.clone() sources=(*sources).clone() nhs />
        <FilterForm page=page.clone() nhs />
        <ActiveFilters page=page.clone() sources=(*sources).clone() nhs />
        <MatchCount page=page.clone() />
        <table data-testid=ids::TIMELINE class="mt-3 w-full border-collapse bg-white text-left text-sm shadow">
            <caption class="sr-only">{format!("Timeline entries, newest first, at most {PAGE_SIZE} a page, grouped by day")}</caption>
            <thead class="bg-slate-200">
                <tr>
                    <th scope="col" class="px-3 py-2">"Date"</th>
                    <th scope="col" class="px-3 py-2">"Type"</th>
                    <th scope="col" class="px-3 py-2">"Description"</th>
                    <th scope="col" class="px-3 py-2">"Source"</th>
                </tr>
            </thead>
            <tbody class="divide-y divide-slate-200">{markers}</tbody>
            {days}
        </table>
        <Pager page nhs />
    }
}

/// Filters the server could not read: said plainly, with the way back to the whole timeline
/// (never an empty table that could read as "nothing recorded").
#[component]
fn TimelineError(error: String, nhs: NhsNumber) -> impl IntoView {
    view! {
        <div data-testid=ids::TIMELINE_ERROR role="alert" class="mt-3 rounded border-l-4 border-red-700 bg-red-50 p-3">
            <p>{error}</p>
            <a class="font-semibold text-[#005eb8] underline" href=at_timeline(TimelineQuery::default().href(&nhs.as_digits()))>
                "Show the whole timeline"
            </a>
        </div>
    }
}

#[component]
fn TimelineRow(
    entry: TimelineEntry,
    sources: Arc<Vec<SourceReport>>,
    nhs: Option<NhsNumber>,
    now: Option<i64>,
) -> impl IntoView {
    let date = entry
        .date
        .as_ref()
        .map(|d| d.display())
        .unwrap_or_else(|| "Date not recorded".to_owned());
    let also = entry
        .also_recorded_at
        .iter()
        .map(|p| {
            let when = p
                .date
                .as_ref()
                .map(|d| format!(" ({})", d.display()))
                .unwrap_or_default();
            let status = p
                .status
                .as_ref()
                .map(|s| format!(", {s}"))
                .unwrap_or_default();
            format!("{}{when}{status}", source_name(&sources, &p.source_id))
        })
        .collect::<Vec<_>>();
    let source_name = source_name(&sources, &entry.source_id);
    let future = matches!((&entry.date, now), (Some(date), Some(now)) if date.sort_key > now);
    let attachments = (!entry.attachments.is_empty()).then(|| {
        let items = entry
            .attachments
            .iter()
            .map(|a| view! { <AttachmentItem attachment=a.clone() entry=entry.clone() nhs /> })
            .collect_view();
        view! { <ul data-testid=ids::ATTACHMENTS class="mt-1 space-y-1">{items}</ul> }
    });
    let in_error = entry.entered_in_error;
    // Recorded in error: struck through (`<s>`: no longer accurate), beside a badge.
    let title = match entry_panel_mounted() {
        true => view! {
            <OpenEntryButton
                at=EntryRef::of(&entry)
                class="text-left font-medium text-[#005eb8] underline hover:text-[#003087]".to_owned()
                struck=in_error
            />
        }
        .into_any(),
        false => view! { <span class="font-medium">{title_words(entry.title.clone(), in_error)}</span> }.into_any(),
    };
    view! {
        <tr
            data-testid=ids::TIMELINE_ROW
            data-source-id=entry.source_id.clone()
            data-entry=format!("{}/{}/{}", entry.source_id, entry.resource_type, entry.resource_id)
            data-category=format!("{:?}", entry.category)
            data-entered-in-error=in_error.then_some("true")
            class=in_error.then_some("bg-red-50")
        >
            <td class="whitespace-nowrap px-3 py-2 align-top font-mono">{date}</td>
            <td class="px-3 py-2 align-top">{entry.category.label()}</td>
            <td class="px-3 py-2 align-top">
                {in_error.then(|| view! {
                    <span data-testid=ids::ENTERED_IN_ERROR class="mr-2 rounded border border-[#d5281b] bg-white px-1 text-xs font-bold uppercase text-[#d5281b]">
                        "Entered in error"
                    </span>
                })}
                {title}
                {entry.detail.clone().map(|d| view! { <span class="text-slate-700">" — " {d}</span> })}
                {entry.status.clone().map(|s| view! {
                    <span class="ml-2 rounded bg-slate-100 px-1 text-xs text-slate-700">{s}</span>
                })}
                {crate::components::is_restricted(&entry).then(|| view! {
                    <span data-testid=ids::RESTRICTED_BADGE class="ml-2 rounded border border-[#d5281b] px-1 text-xs font-semibold text-[#d5281b]">"Restricted"</span>
                })}
                {future.then(|| view! {
                    <span data-testid=ids::ENTRY_FLAG data-flag="future" class="ml-2 rounded bg-[#ffb81c] px-1 text-xs font-semibold text-slate-950">"Dated in the future"</span>
                })}
                {nhs.zip(crate::trends::series_key(&entry)).map(|(nhs, key)| view! {
                    <a data-testid=ids::TREND_LINK class="ml-2 text-xs font-semibold text-[#005eb8] underline" href=crate::trends::trend_href(nhs, key)>
                        "Trend"<span class="sr-only">{format!(" of {}", entry.title)}</span>
                    </a>
                })}
                {entry.discrepancy.clone().map(|d| view! {
                    <p data-testid=ids::DISCREPANCY class="mt-1 rounded border-l-4 border-amber-600 bg-amber-50 px-2 py-1 text-amber-900">
                        <span class="font-semibold">"Sources differ: "</span>{d}
                    </p>
                })}
                {attachments}
            </td>
            <td class="px-3 py-2 align-top">
                {source_name}
                {(!also.is_empty()).then(|| view! {
                    <p data-testid=ids::ALSO_RECORDED_AT class="text-xs text-slate-600">"Also recorded at " {also.join("; ")}</p>
                })}
            </td>
        </tr>
    }
}

/// One attachment: a link that opens it through the portal, or why it cannot be shown here.
#[component]
pub fn AttachmentItem(
    attachment: AttachmentInfo,
    entry: TimelineEntry,
    nhs: Option<NhsNumber>,
) -> impl IntoView {
    let label = attachment.label();
    match nhs.filter(|_| attachment.viewable) {
        Some(nhs) => {
            let href = document_path(nhs, &entry.source_id, &entry.resource_id, attachment.index);
            view! {
                <li>
                    // A server page, not a route of this app: `rel="external"` makes the
                    // client-side router leave it to the browser.
                    <a data-testid=ids::DOCUMENT_LINK rel="external" class="font-semibold text-[#005eb8] underline" href=href>
                        {format!("Open {label}")}
                    </a>
                </li>
            }
            .into_any()
        }
        None => view! {
            <li class="text-slate-700">{format!("{label}: cannot be shown here; ask the organisation that holds it")}</li>
        }
        .into_any(),
    }
}

#[component]
fn WithheldRow(items: WithheldItems, sources: Arc<Vec<SourceReport>>) -> impl IntoView {
    view! {
        <tr data-testid=ids::WITHHELD_ROW data-source-id=items.source_id.clone() class="bg-amber-50">
            <td class="whitespace-nowrap px-3 py-2 align-top text-slate-700">"Not shown"</td>
            <td class="px-3 py-2 align-top">{items.category.label()}</td>
            <td class="px-3 py-2 align-top font-medium">{items.describe()}</td>
            <td class="px-3 py-2 align-top">{source_name(&sources, &items.source_id)}</td>
        </tr>
    }
}

fn source_name(sources: &[SourceReport], id: &str) -> String {
    sources
        .iter()
        .find(|s| s.id == id)
        .map(|s| s.name.clone())
        .unwrap_or_else(|| id.to_owned())
}
