//! The audit officer's workspace: search the trail (by patient, user, organisation, role,
//! basis, outcome, kind and time; newest first, a page at a time, each event's detail), the
//! queue of emergency accesses waiting for review (each marked reviewed with a note) and a
//! check of the audit trail's hash chain.

use crate::audit::{
    emergency_reviews, search_audit, AuditQuery, AuditRow, ChainCheck, ReviewEmergencyAccess,
    VerifyAuditChain,
};
use crate::ids;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AuditPage() -> impl IntoView {
    let review = ServerAction::<ReviewEmergencyAccess>::new();
    let queue = Resource::new(move || review.version().get(), |_| emergency_reviews());
    view! {
        <h1 class="text-2xl font-semibold">"Audit workspace"</h1>
        <nav class="mt-2 flex gap-4">
            <a class="font-semibold text-[#005eb8] underline" href="/audit/reports">"Access reports"</a>
            <a class="font-semibold text-[#005eb8] underline" href="/audit/patient">"Patient access report"</a>
        </nav>
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
        <SearchPanel />
        <ChainCheckPanel />
    }
}

const SEARCH_FIELDS: [(&str, &str); 8] = [
    ("nhs_number", "NHS number"),
    ("user", "User id"),
    ("organisation", "Organisation (ODS)"),
    ("role", "Role"),
    ("basis", "Basis"),
    ("outcome", "Outcome"),
    ("kind", "Event kind"),
    ("from", "From (YYYY-MM-DD)"),
];

/// The search form (a GET form: the query is in the address, so a search can be shared with
/// a colleague who has the same role) and one page of results.
#[component]
fn SearchPanel() -> impl IntoView {
    let params = use_query_map();
    let field = move |name: &str| params.read().get(name).unwrap_or_default();
    let searched = move || params.read().get("search").is_some();
    let query = move || AuditQuery {
        user: field("user"),
        nhs_number: field("nhs_number"),
        organisation: field("organisation"),
        role: field("role"),
        basis: field("basis"),
        outcome: field("outcome"),
        kind: field("kind"),
        from: field("from"),
        to: field("to"),
        before: field("before").parse().ok(),
        limit: None,
    };
    let results = Resource::new(
        move || (searched(), query()),
        |(searched, query)| async move {
            if searched {
                Some(search_audit(query).await)
            } else {
                None
            }
        },
    );
    // The same filters, as a download of every matching event (not just this page).
    let export_link = move |format: &str| {
        let mut query: Vec<String> = params
            .read()
            .clone()
            .into_iter()
            .filter(|(k, _)| *k != "before" && *k != "search")
            .map(|(k, v)| format!("{k}={}", crate::auth::encode_query_value(&v)))
            .collect();
        query.push(format!("format={format}"));
        format!("/api/v1/audit/events?{}", query.join("&"))
    };
    let inputs = SEARCH_FIELDS
        .iter()
        .chain([("to", "To (YYYY-MM-DD)")].iter())
        .map(|(name, label)| {
            let id = format!("audit-{name}");
            let for_id = id.clone();
            let value = field(name);
            view! {
                <label class="text-sm" for=for_id>{*label}
                    <input id=id name=*name value=value class="mt-1 block w-full rounded border border-slate-400 px-2 py-1" />
                </label>
            }
        })
        .collect_view();
    view! {
        <section class="mt-4 rounded bg-white p-4 shadow">
            <h2 class="text-xl font-semibold">"Search the audit trail"</h2>
            <form method="get" action="/audit" data-testid=ids::AUDIT_SEARCH class="mt-2 grid gap-2 md:grid-cols-3">
                <input type="hidden" name="search" value="1" />
                {inputs}
                <div class="flex items-end"><button type="submit" class="rounded bg-[#005eb8] px-3 py-1 font-semibold text-white">"Search"</button></div>
            </form>
            <Suspense fallback=|| view! { <p role="status">"Searching…"</p> }>
                {move || Suspend::new(async move {
                    match results.await {
                        None => ().into_any(),
                        Some(Err(e)) => view! { <p role="alert" class="mt-3">{e.to_string()}</p> }.into_any(),
                        Some(Ok(found)) => {
                            let older = found.older.map(|before| {
                                let mut pairs: Vec<(String, String)> = params.read().clone().into_iter()
                                    .filter(|(k, _)| *k != "before")
                                    .map(|(k, v)| (k.to_string(), v.to_string()))
                                    .collect();
                                pairs.push(("before".into(), before.to_string()));
                                let query: Vec<String> = pairs.iter()
                                    .map(|(k, v)| format!("{k}={}", crate::auth::encode_query_value(v)))
                                    .collect();
                                format!("/audit?{}", query.join("&"))
                            });
                            view! {
                                <p class="mt-3 text-sm text-slate-700">{format!("{} events on this page, newest first.", found.rows.len())}</p>
                                <ul data-testid=ids::AUDIT_RESULTS class="mt-2 divide-y divide-slate-200">
                                    {found.rows.into_iter().map(|row| view! { <EventRow row /> }).collect_view()}
                                </ul>
                                {older.map(|href| view! { <a class="mt-2 inline-block font-semibold text-[#005eb8] underline" href=href>"Older events"</a> })}
                                <p class="mt-2 flex gap-4 text-sm">
                                    <a data-testid=ids::AUDIT_EXPORT rel="external" download="audit-events.csv" class="font-semibold text-[#005eb8] underline" href=export_link("csv")>"Download all matching as CSV"</a>
                                    <a rel="external" download="audit-events.json" class="font-semibold text-[#005eb8] underline" href=export_link("fhir")>"as FHIR AuditEvents"</a>
                                </p>
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

/// One event: a line to scan, the whole event when opened.
#[component]
fn EventRow(row: AuditRow) -> impl IntoView {
    let summary = format!(
        "{} · {} · {} ({}) · {}{}",
        row.at,
        row.kind,
        row.user_name,
        row.role.clone().unwrap_or_default(),
        row.outcome,
        row.nhs_number
            .clone()
            .map(|n| format!(" · NHS number {n}"))
            .unwrap_or_default()
    );
    let detail = [
        ("Event", row.seq.to_string()),
        ("User id", row.user_id.clone()),
        ("Organisation", row.organisation.clone().unwrap_or_default()),
        ("Basis", row.basis.clone().unwrap_or_default()),
        ("Reason", row.reason.clone().unwrap_or_default()),
        ("Detail", row.detail.clone().unwrap_or_default()),
        ("Sources", row.sources.join(", ")),
    ];
    view! {
        <li data-testid=ids::AUDIT_ROW data-kind=row.kind.clone() class="py-2 text-sm">
            <details>
                <summary class="cursor-pointer">{summary}</summary>
                <dl class="mt-1 grid grid-cols-[10rem_1fr] gap-x-3">
                    {detail.into_iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| view! { <dt class="text-slate-600">{k}</dt><dd>{v}</dd> }).collect_view()}
                </dl>
            </details>
        </li>
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
