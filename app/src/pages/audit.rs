//! The audit officer's workspace: the queue of emergency accesses waiting for review (each
//! marked reviewed with a note) and a check of the audit trail's hash chain.

use crate::audit::{
    emergency_reviews, AuditRow, ChainCheck, ReviewEmergencyAccess, VerifyAuditChain,
};
use crate::ids;
use leptos::prelude::*;

#[component]
pub fn AuditPage() -> impl IntoView {
    let review = ServerAction::<ReviewEmergencyAccess>::new();
    let queue = Resource::new(move || review.version().get(), |_| emergency_reviews());
    view! {
        <h1 class="text-2xl font-semibold">"Audit workspace"</h1>
        <section class="mt-4 rounded bg-white p-4 shadow">
            <h2 class="text-xl font-semibold">"Emergency accesses to review"</h2>
            <p class="mt-1 text-sm text-slate-700">
                "Records opened on an emergency basis, newest first. Read the reason, follow up where needed, then mark each reviewed with a note; the review is itself audited."
            </p>
            {move || review.value().get().and_then(Result::err).map(|e| view! {
                <p role="alert" class="mt-2 border-l-4 border-[#d5281b] bg-red-50 px-3 py-2 text-sm">{e.to_string()}</p>
            })}
            <Suspense fallback=|| view! { <p role="status">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match queue.await {
                        Ok(rows) if rows.is_empty() => view! {
                            <p data-testid=ids::REVIEW_QUEUE class="mt-3 text-slate-700">"Nothing waiting for review."</p>
                        }.into_any(),
                        Ok(rows) => view! {
                            <ul data-testid=ids::REVIEW_QUEUE class="mt-3 divide-y divide-slate-200">
                                {rows.into_iter().map(|row| view! { <ReviewItem row action=review /> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <p role="alert" class="mt-3">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
        <ChainCheckPanel />
    }
}

#[component]
fn ReviewItem(row: AuditRow, action: ServerAction<ReviewEmergencyAccess>) -> impl IntoView {
    let who = format!(
        "{} ({}{})",
        row.user_name,
        row.role.clone().unwrap_or_default(),
        row.organisation
            .clone()
            .map(|o| format!(" at {o}"))
            .unwrap_or_default()
    );
    let patient = row.nhs_number.clone().unwrap_or_default();
    let note_id = format!("note-{}", row.seq);
    view! {
        <li data-testid=ids::REVIEW_ITEM data-seq=row.seq.to_string() class="py-3">
            <p class="font-semibold">{format!("{} · {who}", row.at)}</p>
            <p class="text-sm">{format!("NHS number {patient} · sources: {}", row.sources.join(", "))}</p>
            <p class="mt-1 text-sm">"Reason given: " <q>{row.reason.clone().unwrap_or_default()}</q></p>
            <ActionForm action attr:class="mt-2 flex flex-wrap items-end gap-2">
                <input type="hidden" name="seq" value=row.seq.to_string() />
                <label class="text-sm" for=note_id.clone()>"Review note"</label>
                <input id=note_id name="note" class="w-72 rounded border border-slate-400 px-2 py-1" />
                <button type="submit" class="rounded bg-[#005eb8] px-3 py-1 font-semibold text-white">"Mark reviewed"</button>
            </ActionForm>
        </li>
    }
}

#[component]
fn ChainCheckPanel() -> impl IntoView {
    let verify = ServerAction::<VerifyAuditChain>::new();
    let result = move || {
        verify.value().get().map(|r| match r {
            Ok(ChainCheck::Intact { events }) => {
                format!("Intact: {events} events, every link checked.")
            }
            Ok(ChainCheck::Broken { seq, reason }) => format!("Broken at event {seq}: {reason}."),
            Err(e) => e.to_string(),
        })
    };
    view! {
        <section class="mt-4 rounded bg-white p-4 shadow">
            <h2 class="text-xl font-semibold">"Tamper check"</h2>
            <p class="mt-1 text-sm text-slate-700">"Each event carries the hash of the one before it: editing or deleting any stored event breaks the chain from there on."</p>
            <ActionForm action=verify attr:class="mt-2">
                <button type="submit" class="rounded bg-[#005eb8] px-3 py-1 font-semibold text-white">"Check the audit chain"</button>
            </ActionForm>
            <p data-testid=ids::CHAIN_CHECK role="status" class="mt-2">{result}</p>
        </section>
    }
}
