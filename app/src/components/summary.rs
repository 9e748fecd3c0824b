//! The summary above the timeline: one section per question an A&E clinician asks first, each
//! saying "none recorded" only when it is known, and otherwise which sources could not be read;
//! then the latest vital signs and NEWS2.

use crate::components::{entry_panel_mounted, LatestVitals, OpenEntryButton};
use crate::detail::EntryRef;
use crate::ids;
use crate::model::{PatientRecord, SourceReport, TimelineEntry};
use crate::summary::{Coverage, Line, Section, SectionKind, Summary};
use leptos::prelude::*;

#[component]
pub fn RecordSummary(record: PatientRecord) -> impl IntoView {
    let summary = Summary::of(&record);
    let sections = summary
        .sections
        .iter()
        .map(|section| section_view(section, &record.sources))
        .collect_view();
    view! {
        <section data-testid=ids::SUMMARY aria-labelledby="summary-heading" class="mt-4">
            <h2 id="summary-heading" class="sr-only">"Summary"</h2>
            <div class="grid gap-3 md:grid-cols-2">{sections}</div>
            // The latest vital signs and NEWS2, each linking to its trend (nothing when none).
            <LatestVitals entries=record.entries.clone() nhs=record.nhs_number sources=record.sources.clone() />
        </section>
    }
}

fn section_view(section: &Section, sources: &[SourceReport]) -> impl IntoView {
    let kind = section.kind;
    let heading_id = format!("summary-{}", kind.as_str());
    let labelled_by = heading_id.clone();
    // Allergies lead, across the full width: the first question at the point of care.
    let wide = if kind == SectionKind::Allergies {
        "md:col-span-2"
    } else {
        ""
    };
    let unread = match &section.coverage {
        Coverage::Complete => None,
        Coverage::Incomplete(sentences) => {
            let items = sentences
                .iter()
                .map(|s| view! { <li>{s.clone()}</li> })
                .collect_view();
            Some(view! {
                <ul data-testid=ids::SUMMARY_UNREAD class="mt-2 list-disc rounded border-l-4 border-amber-600 bg-amber-50 py-1 pl-6 pr-2 text-sm text-amber-950">
                    {items}
                </ul>
            })
        }
    };
    let body = if section.lines.is_empty() {
        view! { <p data-testid=ids::SUMMARY_EMPTY class="mt-1 text-sm text-slate-700">{section.empty_text()}</p> }
            .into_any()
    } else {
        let lines = section
            .lines
            .iter()
            .map(|line| line_view(line, sources))
            .collect_view();
        view! { <ul class="mt-1 divide-y divide-slate-200">{lines}</ul> }.into_any()
    };
    view! {
        <section
            data-testid=ids::SUMMARY_SECTION
            data-section=kind.as_str()
            aria-labelledby=labelled_by
            class=format!("rounded bg-white p-3 shadow {wide}")
        >
            <h3 id=heading_id class="text-base font-bold text-slate-900">{kind.heading()}</h3>
            {body}
            {unread}
        </section>
    }
}

fn line_view(line: &Line, sources: &[SourceReport]) -> impl IntoView {
    let entry = line.entry;
    let restricted = is_restricted(entry);
    let notes = line
        .notes
        .iter()
        .map(|n| view! { <p class="text-sm font-semibold text-amber-900">{n.clone()}</p> })
        .collect_view();
    view! {
        <li data-testid=ids::SUMMARY_LINE data-resource-type=entry.resource_type.clone() class="py-2">
            <p>
                {line.label.map(|l| view! { <span class="mr-1 font-semibold text-slate-700">{format!("{l}:")}</span> })}
                {title_view(entry)}
                {entry.detail.clone().map(|d| view! { <span class="text-slate-800">" — " {d}</span> })}
                {line.end_of_life.then(|| view! {
                    <span class="ml-2 rounded bg-[#330072] px-1.5 text-xs font-semibold text-white">"End of life decision"</span>
                })}
                {restricted.then(|| view! {
                    <span data-testid=ids::RESTRICTED_BADGE class="ml-2 rounded border border-[#d5281b] px-1.5 text-xs font-semibold text-[#d5281b]">"Restricted"</span>
                })}
            </p>
            {notes}
            <p class="text-xs text-slate-700">{provenance_text(entry, sources)}</p>
            {entry.discrepancy.clone().map(|d| view! {
                <p data-testid=ids::DISCREPANCY class="mt-1 rounded border-l-4 border-amber-600 bg-amber-50 px-2 py-1 text-sm text-amber-950">{d}</p>
            })}
        </li>
    }
}

/// The line's title: a button opening the entry's full detail (keyboard and screen-reader
/// operable; the panel returns focus here when it closes).
fn title_view(entry: &TimelineEntry) -> impl IntoView {
    match entry_panel_mounted() {
        true => view! {
            <OpenEntryButton
                at=EntryRef::of(entry)
                class="text-left font-semibold text-[#005eb8] underline hover:text-[#003087]".to_owned()
                struck=false
            />
        }
        .into_any(),
        false => view! { <span class="font-semibold">{entry.title.clone()}</span> }.into_any(),
    }
}

/// "GP Practice: active, 12-Nov-2026 · Acute Hospital: stopped, 02-Nov-2026": each source
/// holding the item, with its own status and date.
fn provenance_text(entry: &TimelineEntry, sources: &[SourceReport]) -> String {
    std::iter::once(entry.provenance())
        .chain(entry.also_recorded_at.iter().cloned())
        .map(|p| {
            let name = sources
                .iter()
                .find(|s| s.id == p.source_id)
                .map_or_else(|| p.source_id.clone(), |s| s.name.clone());
            let facts: Vec<String> = [p.status.clone(), p.date.as_ref().map(|d| d.display())]
                .into_iter()
                .flatten()
                .collect();
            if facts.is_empty() {
                name
            } else {
                format!("{name}: {}", facts.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// True when the source labelled the item restricted or very restricted (shown only to
/// those allowed to see it, and marked so they know to take care).
pub fn is_restricted(entry: &TimelineEntry) -> bool {
    entry
        .security
        .iter()
        .any(|c| matches!(c.code.as_str(), "R" | "V"))
}
