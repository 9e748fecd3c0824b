//! The merged timeline, newest first, with a filter by source organisation, and a marker row
//! for each group of withheld items (undated: a withheld item's date is not shown either). A
//! document's row links to each attachment the portal can show (opened through the portal) and
//! says which it cannot. The filter runs in the browser, so it only responds once the wasm
//! bundle has hydrated the page. Each row's title is a button that opens the entry panel
//! ([`super::detail_panel`]) when the page provides one; an entry recorded in error carries a
//! badge and a struck-through title, never looking ordinary.

use super::detail_panel::use_entry_opener;
use crate::consent::WithheldItems;
use crate::detail::EntryRef;
use crate::document::{document_path, AttachmentInfo};
use crate::ids;
use crate::model::{SourceReport, TimelineEntry};
use crate::nhs_number::NhsNumber;
use leptos::prelude::*;
use std::sync::Arc;

#[component]
pub fn Timeline(
    entries: Vec<TimelineEntry>,
    sources: Vec<SourceReport>,
    #[prop(optional)] withheld: Vec<WithheldItems>,
    /// The patient, for links to their documents (none: documents are listed without links).
    #[prop(optional)]
    nhs: Option<NhsNumber>,
    /// When the record was looked up (UTC seconds): entries dated later are flagged.
    #[prop(optional)]
    now: Option<i64>,
) -> impl IntoView {
    let entries = Arc::new(entries);
    let withheld = Arc::new(withheld);
    let sources = Arc::new(sources);
    let selected = RwSignal::new(None::<String>);

    let chips = {
        let entries = entries.clone();
        let answered = sources.iter().filter(|s| s.status.has_data()).cloned();
        let all = std::iter::once((None, "All sources".to_owned(), entries.len()));
        let each = answered.map(|s| {
            let count = entries.iter().filter(|e| e.recorded_at(&s.id)).count();
            (Some(s.id), s.name, count)
        });
        all.chain(each)
            .map(|(id, name, count)| view! { <FilterChip id name count selected /> })
            .collect_view()
    };

    let rows = move || {
        let choice = selected.get();
        let markers = withheld
            .iter()
            .filter(|w| choice.as_ref().is_none_or(|id| *id == w.source_id))
            .map(|w| view! { <WithheldRow items=w.clone() sources=sources.clone() /> })
            .collect_view();
        let rows = entries
            .iter()
            .filter(|e| choice.as_ref().is_none_or(|id| e.recorded_at(id)))
            .map(|e| view! { <TimelineRow entry=e.clone() sources=sources.clone() nhs now /> })
            .collect_view();
        (markers, rows)
    };

    view! {
        <section class="mt-6">
            <div class="flex flex-wrap items-center gap-2" role="group" aria-label="Filter by source">
                {chips}
            </div>
            <table data-testid=ids::TIMELINE class="mt-3 w-full border-collapse bg-white text-left text-sm shadow">
                <thead class="bg-slate-200">
                    <tr>
                        <th scope="col" class="px-3 py-2">"Date"</th>
                        <th scope="col" class="px-3 py-2">"Type"</th>
                        <th scope="col" class="px-3 py-2">"Description"</th>
                        <th scope="col" class="px-3 py-2">"Source"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-200">{rows}</tbody>
            </table>
        </section>
    }
}

#[component]
fn FilterChip(
    id: Option<String>,
    name: String,
    count: usize,
    selected: RwSignal<Option<String>>,
) -> impl IntoView {
    let wire_id = id.clone().unwrap_or_else(|| "all".to_owned());
    let is_active = {
        let id = id.clone();
        move || selected.with(|s| *s == id)
    };
    let class = {
        let is_active = is_active.clone();
        move || {
            if is_active() {
                "rounded-full border-2 border-[#005eb8] bg-[#005eb8] px-3 py-1 text-sm font-semibold text-white"
            } else {
                "rounded-full border-2 border-[#005eb8] bg-white px-3 py-1 text-sm font-semibold text-[#005eb8] hover:bg-blue-50"
            }
        }
    };
    view! {
        <button
            type="button"
            data-testid=ids::SOURCE_FILTER
            data-source-id=wire_id
            aria-pressed=move || is_active().to_string()
            class=class
            on:click=move |_| selected.set(id.clone())
        >
            {format!("{name} ({count})")}
        </button>
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
    let words = {
        let title = entry.title.clone();
        move || match in_error {
            true => view! { <s>{title.clone()}</s> }.into_any(),
            false => title.clone().into_any(),
        }
    };
    let title = match use_entry_opener() {
        Some(opener) => {
            let at = EntryRef::of(&entry);
            view! {
                <button
                    type="button"
                    data-testid=ids::ENTRY_OPEN
                    class="text-left font-medium text-[#005eb8] underline hover:text-[#003087]"
                    on:click=move |_| opener.open(at.clone())
                >
                    {words()}
                </button>
            }
            .into_any()
        }
        None => view! { <span class="font-medium">{words()}</span> }.into_any(),
    };
    view! {
        <tr
            data-testid=ids::TIMELINE_ROW
            data-source-id=entry.source_id.clone()
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
