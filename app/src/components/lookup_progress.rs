//! The sources a lookup is asking, each card going from "Asking…" to how that source answered
//! while the others are still being asked. On the server each card waits for its own source
//! (the record page streams it as it comes); in the browser a card that is asked again (after a
//! basis is recorded) says "Asking…" until the record arrives. The record page hides the whole
//! list once the record (or a refusal) is shown, with its final per-source statuses.

use crate::ids;
use crate::lookup_progress::{EarlyAnswer, SourceAsked};
use leptos::prelude::*;

#[component]
pub fn SourcesBeingAsked(asked: Vec<SourceAsked>) -> impl IntoView {
    let cards = asked
        .into_iter()
        .map(|source| view! { <ProgressCard source /> })
        .collect_view();
    view! {
        <section
            data-testid=ids::LOOKUP_PROGRESS
            aria-labelledby="lookup-progress-heading"
            class="lookup-progress mt-6 rounded bg-white p-4 shadow"
        >
            <h2 id="lookup-progress-heading" class="font-semibold">"Asking each source"</h2>
            <p class="text-sm text-slate-700">
                "The record is shown when every source has answered or run out of time, so that an objection to sharing held at any of them is respected."
            </p>
            <ul class="mt-2 grid gap-2 sm:grid-cols-2 lg:grid-cols-4" aria-live="polite">
                {cards}
            </ul>
        </section>
    }
}

#[component]
fn ProgressCard(source: SourceAsked) -> impl IntoView {
    let id = source.id.clone();
    let answer = Resource::new(|| (), move |_| early_answer(id.clone()));
    let source_id = source.id.clone();
    let asking = move || view! { <AnswerLine source_id=source_id.clone() answer=None /> };
    let source_id = source.id.clone();
    view! {
        <li
            data-testid=ids::PROGRESS_CARD
            data-source-id=source.id.clone()
            class="rounded border-l-4 border-slate-400 px-3 py-2"
        >
            <p class="font-semibold">{source.name.clone()}</p>
            <p class="text-xs uppercase tracking-wide text-slate-700">
                {format!("{} · {}", source.kind.label(), source.organisation_code)}
            </p>
            <Suspense fallback=asking>
                {move || {
                    let source_id = source_id.clone();
                    Suspend::new(async move { view! { <AnswerLine source_id answer=answer.await /> } })
                }}
            </Suspense>
        </li>
    }
}

#[component]
fn AnswerLine(source_id: String, answer: Option<EarlyAnswer>) -> impl IntoView {
    let (wire, words) = match answer {
        Some(answer) => (answer.wire_name(), answer.label()),
        None => ("asking", "Asking…"),
    };
    let tone = match answer {
        Some(EarlyAnswer::NotAnswered) => "text-red-800",
        Some(_) => "text-green-800",
        None => "text-slate-700",
    };
    view! {
        <p data-testid=ids::PROGRESS_ANSWER data-source-id=source_id data-answer=wire class=format!("mt-1 text-sm font-semibold {tone}")>
            {words}
        </p>
    }
}

/// This source's early answer: on the server, from the lookup the page is running (see
/// [`crate::lookup_progress::LookupProgress`]); in the browser, still being asked.
#[cfg(feature = "ssr")]
fn early_answer(id: String) -> impl std::future::Future<Output = Option<EarlyAnswer>> + Send {
    let progress = use_context::<crate::lookup_progress::LookupProgress>();
    async move {
        match progress {
            Some(progress) => progress.answer_of(&id).await,
            None => None,
        }
    }
}

#[cfg(not(feature = "ssr"))]
fn early_answer(_id: String) -> impl std::future::Future<Output = Option<EarlyAnswer>> + Send {
    std::future::ready(None)
}
