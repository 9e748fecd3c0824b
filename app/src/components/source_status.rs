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
        SourceStatus::TimedOut
        | SourceStatus::Error
        | SourceStatus::CircuitOpen
        | SourceStatus::Unavailable => "border-red-700 bg-red-50",
        SourceStatus::Stale | SourceStatus::Partial | SourceStatus::Withheld => {
            "border-amber-600 bg-amber-50"
        }
    };
    let summary = match source.status {
        status if status.has_data() => format!(
            "{} {}",
            entries_text(source.entry_count),
            timing_text(&source)
        ),
        _ => format!("no answer after {}", seconds_text(source.latency_ms)),
    };
    // A partial answer says each missing part in one sentence; a failure says why.
    let problems = if source.problems.is_empty() {
        source.message.clone().into_iter().collect::<Vec<_>>()
    } else {
        source
            .problems
            .iter()
            .map(|p| p.sentence(&source.name))
            .collect()
    };
    let problems = problems
        .into_iter()
        .map(|p| view! { <p data-testid=ids::SOURCE_PROBLEM class="mt-1 text-sm text-red-800">{p}</p> })
        .collect_view();
    view! {
        <li
            class=format!("rounded border-l-4 px-3 py-2 {tone}")
            data-source-id=source.id.clone()
            data-status=status_wire_name(source.status)
        >
            <p class="font-semibold">{source.name.clone()}</p>
            <p class="text-xs uppercase tracking-wide text-slate-700">
                {format!("{} · {}", source.kind.label(), source.organisation_code)}
            </p>
            <p class="mt-1 text-sm">
                <span class="font-semibold">{source.status.label()}</span>
                " · "
                {summary}
            </p>
            {problems}
        </li>
    }
}

fn entries_text(count: usize) -> String {
    match count {
        1 => "1 entry,".to_owned(),
        n => format!("{n} entries,"),
    }
}

/// "from the brief cache, fetched 10:02" for a cached answer (its own latency is not the
/// source's); "fetched now (1.2 s)" for one fetched for this lookup.
fn timing_text(source: &SourceReport) -> String {
    let fetched = source
        .fetched_at
        .as_deref()
        .and_then(|at| crate::clinical_date::ClinicalDate::parse(at).ok());
    match (source.from_cache, fetched) {
        (true, Some(at)) if source.status == SourceStatus::Stale => {
            format!("earlier copy fetched {}", at.display_zoned())
        }
        (true, Some(at)) => format!("from the brief cache, fetched {}", at.clock()),
        (true, None) => "from the brief cache".to_owned(),
        (false, _) => format!("fetched now ({})", seconds_text(source.latency_ms)),
    }
}

/// `850 ms` below a second, `1.2 s` above.
fn seconds_text(ms: u64) -> String {
    if ms < 1_000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1_000.0)
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
        SourceStatus::Withheld => "withheld",
        SourceStatus::Unavailable => "unavailable",
    }
}
