//! Each source's answer to this lookup: answered, not known there, or failed (and why).

use crate::ids;
use crate::model::{SourceReport, SourceStatus};
use leptos::prelude::*;

#[component]
pub fn SourceStatusList(sources: Vec<SourceReport>) -> impl IntoView {
    view! {
        <ul data-testid=ids::SOURCE_STATUS class="grid gap-2 sm:grid-cols-2 lg:grid-cols-4">
            {sources.into_iter().map(|s| view! { <SourceCard source=s /> }).collect_view()}
        </ul>
    }
}

#[component]
fn SourceCard(source: SourceReport) -> impl IntoView {
    let tone = match source.status {
        SourceStatus::Ok => "border-green-700 bg-green-50",
        SourceStatus::NotFound => "border-slate-400 bg-white",
        SourceStatus::TimedOut | SourceStatus::Error | SourceStatus::CircuitOpen => {
            "border-red-700 bg-red-50"
        }
        SourceStatus::Stale | SourceStatus::Partial => "border-amber-600 bg-amber-50",
    };
    let summary = match source.status {
        status if status.has_data() => {
            format!("{} entries · {} ms", source.entry_count, source.latency_ms)
        }
        _ => format!("{} ms", source.latency_ms),
    };
    view! {
        <li
            class=format!("rounded border-l-4 px-3 py-2 {tone}")
            data-source-id=source.id.clone()
            data-status=status_wire_name(source.status)
        >
            <p class="font-semibold">{source.name.clone()}</p>
            <p class="text-xs uppercase tracking-wide text-slate-600">
                {format!("{} · {}", source.kind.label(), source.organisation_code)}
            </p>
            <p class="mt-1 text-sm">
                <span class="font-semibold">{source.status.label()}</span>
                " · "
                {summary}
            </p>
            {source.message.clone().map(|m| view! { <p class="mt-1 text-sm text-red-800">{m}</p> })}
            {retrieved(source.fetched_at.as_deref()).map(|r| view! { <p class="mt-1 text-xs text-slate-600">{r}</p> })}
            {(source.skipped_count > 0).then(|| view! {
                <p class="mt-1 text-sm text-amber-800">{format!("{} unreadable items skipped", source.skipped_count)}</p>
            })}
        </li>
    }
}

fn status_wire_name(status: SourceStatus) -> &'static str {
    match status {
        SourceStatus::Ok => "ok",
        SourceStatus::NotFound => "not-found",
        SourceStatus::TimedOut => "timed-out",
        SourceStatus::Error => "error",
        SourceStatus::Stale => "stale",
        SourceStatus::CircuitOpen => "circuit-open",
        SourceStatus::Partial => "partial",
    }
}

/// "Retrieved 22-Nov-2026 10:19 (UTC)" for the data shown from this source.
fn retrieved(fetched_at: Option<&str>) -> Option<String> {
    let date = crate::clinical_date::ClinicalDate::parse(fetched_at?).ok()?;
    Some(format!("Retrieved {} (UTC)", date.display()))
}
