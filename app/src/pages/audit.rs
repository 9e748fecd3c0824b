//! The audit officer's workspace: the emergency accesses waiting for review (each marked
//! reviewed with a note) and those already reviewed (by period, with reviewer, note and
//! time); a search of the trail (by patient, user, organisation, role, basis, kind, outcome,
//! refusal and UK dates; newest first, a page at a time, each event's detail); and a check of
//! the audit trail's hash chain.

use crate::audit::{
    audit_search_choices, emergency_reviews, reviewed_emergency_accesses, search_audit, AuditQuery,
    AuditRow, ChainCheck, ReviewEmergencyAccess, ReviewedAccess, VerifyAuditChain,
};
use crate::audit_terms::{label, Choice, SearchChoices, EVENT_KINDS, OUTCOMES};
use crate::ids;
use crate::reports::ReportQuery;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AuditPage() -> impl IntoView {
    let params = use_query_map();
    let showing_reviewed = move || params.read().get("reviews").as_deref() == Some("done");
    let tab = move |reviewed: bool| {
        move || {
            if showing_reviewed() == reviewed {
                "border-b-4 border-[#005eb8] px-1 pb-1 font-semibold text-slate-900"
            } else {
                "px-1 pb-1 font-semibold text-[#005eb8] underline"
            }
        }
    };
    let current = move |reviewed: bool| move || (showing_reviewed() == reviewed).then_some("page");
    view! {
        <h1 class="text-2xl font-semibold">"Audit workspace"</h1>
        <nav class="mt-2 flex flex-wrap gap-4">
            <a class="font-semibold text-[#005eb8] underline" href="/audit/reports">"Access reports"</a>
            <a class="font-semibold text-[#005eb8] underline" href="/audit/patient">"Patient access report"</a>
        </nav>
        <section class="mt-4 rounded bg-white p-4 shadow">
            <h2 class="text-xl font-semibold">"Emergency accesses"</h2>
            <nav aria-label="Emergency accesses" class="mt-2 flex gap-4 border-b border-slate-300">
                <a href="/audit" class=tab(false) aria-current=current(false)>"Waiting for review"</a>
                <a href="/audit?reviews=done" class=tab(true) aria-current=current(true)>"Reviewed"</a>
            </nav>
            {move || if showing_reviewed() {
                view! { <ReviewHistoryPanel /> }.into_any()
            } else {
                view! { <ReviewQueue /> }.into_any()
            }}
        </section>
        <SearchPanel />
        <ChainCheckPanel />
    }
}

/// What waits for review, newest first, each with its own note and button.
#[component]
fn ReviewQueue() -> impl IntoView {
    // Counts reviews made on this page, so the queue is read again after each.
    let reviewed = RwSignal::new(0u32);
    let queue = Resource::new(move || reviewed.get(), |_| emergency_reviews());
    view! {
        <p class="mt-2 text-sm text-slate-700">
            "Records opened on an emergency basis, newest first. Read the reason, follow up where needed, then mark each reviewed with a note; the review is itself audited."
        </p>
        <Suspense fallback=|| view! { <p role="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match queue.await {
                    Ok(rows) if rows.is_empty() => view! {
                        <p data-testid=ids::REVIEW_QUEUE class="mt-3 text-slate-700">"Nothing waiting for review."</p>
                    }.into_any(),
                    Ok(rows) => view! {
                        <ul data-testid=ids::REVIEW_QUEUE class="mt-3 divide-y divide-slate-200">
                            {rows.into_iter().map(|row| view! { <ReviewItem row reviewed /> }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <p role="alert" class="mt-3">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Emergency accesses already reviewed in a period (UK dates, the last 30 days by default):
/// who opened the record and why, who reviewed it, when, and their note.
#[component]
fn ReviewHistoryPanel() -> impl IntoView {
    let params = use_query_map();
    let field = move |name: &str| params.read().get(name).unwrap_or_default();
    let period = move || ReportQuery {
        from: field("reviewed_from"),
        to: field("reviewed_to"),
    };
    let history = Resource::new(period, reviewed_emergency_accesses);
    view! {
        <form method="get" action="/audit" class="mt-3 flex flex-wrap items-end gap-2">
            <input type="hidden" name="reviews" value="done" />
            <div class="text-sm">
                <label for="reviewed-from">"Reviewed from (UK date)"</label>
                <input id="reviewed-from" type="date" name="reviewed_from" value=move || field("reviewed_from") class="mt-1 block rounded border border-slate-400 px-2 py-1" />
            </div>
            <div class="text-sm">
                <label for="reviewed-to">"Reviewed to (UK date)"</label>
                <input id="reviewed-to" type="date" name="reviewed_to" value=move || field("reviewed_to") class="mt-1 block rounded border border-slate-400 px-2 py-1" />
            </div>
            <button type="submit" class="rounded bg-[#005eb8] px-3 py-1 font-semibold text-white">"Show reviews"</button>
        </form>
        <Suspense fallback=|| view! { <p role="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match history.await {
                    Ok(history) => {
                        let heading = format!(
                            "{} reviewed from {} to {}, newest review first.",
                            match history.reviews.len() { 1 => "1 emergency access".to_owned(), n => format!("{n} emergency accesses") },
                            history.from,
                            history.to
                        );
                        view! {
                            <p class="mt-3 text-sm text-slate-700">{heading}</p>
                            {history.more.then(|| view! {
                                <p role="status" class="mt-1 text-sm">"More reviews in this period than one page shows: choose a shorter period."</p>
                            })}
                            <ul data-testid=ids::REVIEW_HISTORY class="mt-2 divide-y divide-slate-200">
                                {history.reviews.into_iter().map(|r| view! { <ReviewedItem reviewed=r /> }).collect_view()}
                            </ul>
                        }.into_any()
                    }
                    Err(e) => view! { <p role="alert" class="mt-3">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ReviewedItem(reviewed: ReviewedAccess) -> impl IntoView {
    let access = &reviewed.access;
    let opened = format!(
        "Opened {} by {} ({}{}) · NHS number {}",
        access.at_local,
        access.user_name,
        access.user_id,
        access
            .organisation
            .as_deref()
            .map(|o| format!(", {o}"))
            .unwrap_or_default(),
        access.nhs_number.clone().unwrap_or_default()
    );
    let by = format!(
        "Reviewed {} by {} ({}):",
        reviewed.reviewed_at_local, reviewed.reviewer_name, reviewed.reviewer_id
    );
    view! {
        <li data-testid=ids::REVIEWED_ITEM data-seq=access.seq.to_string() class="py-3 text-sm">
            <p class="font-semibold">{opened}</p>
            <p class="mt-1">"Reason given: " <q>{access.reason.clone().unwrap_or_default()}</q></p>
            <p class="mt-1">{by}" "<q>{reviewed.note.clone()}</q></p>
        </li>
    }
}

/// The free-text fields, each matched exactly.
const TEXT_FIELDS: [(&str, &str); 3] = [
    ("nhs_number", "NHS number"),
    ("user", "User id"),
    ("organisation", "Organisation (ODS code)"),
];

/// Every filter the address can carry, by its parameter and label, in the order the summary
/// of active filters names them.
const FILTERS: [(&str, &str); 10] = [
    ("nhs_number", "NHS number"),
    ("user", "User id"),
    ("organisation", "Organisation"),
    ("role", "Role"),
    ("basis", "Basis"),
    ("kind", "Event kind"),
    ("outcome", "Outcome"),
    ("refusal", "Refusal"),
    ("from", "From"),
    ("to", "To"),
];

/// The search form (a GET form: the query is in the address, so a search can be shared with
/// a colleague who has the same role), the active filters, and one page of results.
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
        refusal: field("refusal"),
        kind: field("kind"),
        from: field("from"),
        to: field("to"),
        before: field("before").parse().ok(),
        limit: None,
    };
    let choices = Resource::new(|| (), |_| audit_search_choices());
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
    view! {
        <section class="mt-4 rounded bg-white p-4 shadow">
            <h2 class="text-xl font-semibold">"Search the audit trail"</h2>
            <Suspense fallback=|| view! { <p role="status">"Loading the search…"</p> }>
                {move || {
                    // Drawn again whenever the address changes, so the fields and the
                    // summary always show the filters in force.
                    params.track();
                    Suspend::new(async move {
                    let choices = choices.await.unwrap_or_default();
                    view! { <SearchForm choices=choices.clone() field /> <ActiveFilters choices field /> }
                })}}
            </Suspense>
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
                                <p class="mt-3 text-sm text-slate-700">{format!("{} events on this page, newest first. Times are UK time; the full UTC time is in each event.", found.rows.len())}</p>
                                <ul data-testid=ids::AUDIT_RESULTS class="mt-2 divide-y divide-slate-200">
                                    {found.rows.into_iter().map(|row| view! { <EventRow row /> }).collect_view()}
                                </ul>
                                {older.map(|href| view! { <a class="mt-2 inline-block font-semibold text-[#005eb8] underline" href=href>"Older events"</a> })}
                                <p class="mt-2 flex flex-wrap gap-4 text-sm">
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

/// The search's fields: exact text for identifiers, pick-lists with people's words for the
/// rest, date pickers for the period (UK dates).
#[component]
fn SearchForm(
    choices: SearchChoices,
    field: impl Fn(&str) -> String + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let text_inputs = TEXT_FIELDS
        .iter()
        .map(|(name, label)| {
            let id = format!("audit-{name}");
            let for_id = id.clone();
            view! {
                <div class="text-sm">
                    <label for=for_id>{*label}</label>
                    <input id=id name=*name value=field(name) class="mt-1 block w-full rounded border border-slate-400 px-2 py-1" />
                </div>
            }
        })
        .collect_view();
    let lists = [
        ("role", "Role", choices.roles),
        ("basis", "Basis", choices.bases),
        ("kind", "Event kind", choices.kinds),
        ("outcome", "Outcome", choices.outcomes),
        ("refusal", "Refusal reason", choices.refusals),
    ];
    let pick_lists = lists
        .into_iter()
        .map(|(name, label, options)| {
            let id = format!("audit-{name}");
            let for_id = id.clone();
            let current = field(name);
            view! {
                <div class="text-sm">
                    <label for=for_id>{label}</label>
                    <select id=id name=name class="mt-1 block w-full rounded border border-slate-400 bg-white px-2 py-1">
                        <option value="" selected=current.is_empty()>"Any"</option>
                        {options.into_iter().map(|c| {
                            let selected = c.value == current;
                            view! { <option value=c.value selected=selected>{c.label}</option> }
                        }).collect_view()}
                    </select>
                </div>
            }
        })
        .collect_view();
    let dates = [("from", "From (UK date)"), ("to", "To (UK date)")]
        .into_iter()
        .map(|(name, label)| {
            let id = format!("audit-{name}");
            let for_id = id.clone();
            view! {
                <div class="text-sm">
                    <label for=for_id>{label}</label>
                    <input id=id type="date" name=name value=field(name) class="mt-1 block w-full rounded border border-slate-400 px-2 py-1" />
                </div>
            }
        })
        .collect_view();
    view! {
        <form method="get" action="/audit" data-testid=ids::AUDIT_SEARCH class="mt-2 grid gap-2 sm:grid-cols-2 lg:grid-cols-3">
            <input type="hidden" name="search" value="1" />
            {text_inputs}
            {pick_lists}
            {dates}
            <div class="flex items-end"><button type="submit" class="rounded bg-[#005eb8] px-3 py-1 font-semibold text-white">"Search"</button></div>
        </form>
    }
}

/// The filters in force, each in people's words with a link that removes it, and one that
/// clears them all.
#[component]
fn ActiveFilters(
    choices: SearchChoices,
    field: impl Fn(&str) -> String + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let words = |list: &[Choice], value: &str| {
        list.iter()
            .find(|c| c.value == value)
            .map_or_else(|| value.to_owned(), |c| c.label.clone())
    };
    let active: Vec<(&str, String)> = FILTERS
        .iter()
        .filter_map(|(name, label)| {
            let value = field(name);
            if value.trim().is_empty() {
                return None;
            }
            let shown = match *name {
                "role" => words(&choices.roles, &value),
                "basis" => words(&choices.bases, &value),
                "kind" => words(&choices.kinds, &value),
                "outcome" => words(&choices.outcomes, &value),
                "refusal" => words(&choices.refusals, &value),
                _ => value,
            };
            Some((*name, format!("{label}: {shown}")))
        })
        .collect();
    if active.is_empty() {
        return ().into_any();
    }
    let without = move |removed: &str| {
        let kept: Vec<String> = FILTERS
            .iter()
            .map(|(name, _)| *name)
            .filter(|name| *name != removed)
            .filter_map(|name| {
                let value = field(name);
                (!value.trim().is_empty())
                    .then(|| format!("{name}={}", crate::auth::encode_query_value(&value)))
            })
            .collect();
        format!("/audit?search=1&{}", kept.join("&"))
    };
    view! {
        <div data-testid=ids::AUDIT_FILTERS class="mt-3 flex flex-wrap items-center gap-2 text-sm">
            <span class="font-semibold">"Searching for:"</span>
            {active.into_iter().map(|(name, text)| {
                let remove = format!("Remove {text}");
                view! {
                    <a href=without(name) class="rounded-full border border-slate-400 px-2 py-0.5 text-slate-900 no-underline hover:bg-slate-100" aria-label=remove>
                        {text}" ×"
                    </a>
                }
            }).collect_view()}
            <a href="/audit?search=1" class="font-semibold text-[#005eb8] underline">"Clear all"</a>
        </div>
    }
    .into_any()
}

/// One event: a line to scan (UK time, what, who by name with their id and organisation, the
/// outcome with the rule that refused), the whole event when opened.
#[component]
fn EventRow(row: AuditRow) -> impl IntoView {
    let role = row.role.as_deref().map(|code| {
        crate::auth::Role::parse(code).map_or(code.to_owned(), |r| r.label().to_owned())
    });
    let who = format!(
        "{} ({}{}{})",
        row.user_name,
        row.user_id,
        row.organisation
            .as_deref()
            .map(|o| format!(", {o}"))
            .unwrap_or_default(),
        role.as_deref()
            .map(|r| format!(", {r}"))
            .unwrap_or_default(),
    );
    let outcome = match row.refusal {
        Some(kind) => format!("Refused: {}", kind.label()),
        None => label(&OUTCOMES, &row.outcome).to_owned(),
    };
    let refused = row.outcome == "refused";
    let summary = format!(
        "{} · {} · {who}{}",
        row.at_local,
        label(&EVENT_KINDS, &row.kind),
        row.nhs_number
            .clone()
            .map(|n| format!(" · NHS number {n}"))
            .unwrap_or_default()
    );
    let detail = [
        ("Event", row.seq.to_string()),
        ("Time (UTC)", row.at.clone()),
        ("Kind", row.kind.clone()),
        ("Outcome", row.outcome.clone()),
        (
            "Refusal",
            row.refusal
                .map(|k| k.as_str().to_owned())
                .unwrap_or_default(),
        ),
        ("User id", row.user_id.clone()),
        ("Organisation", row.organisation.clone().unwrap_or_default()),
        ("Basis", row.basis.clone().unwrap_or_default()),
        ("Reason", row.reason.clone().unwrap_or_default()),
        ("Detail", row.detail.clone().unwrap_or_default()),
        ("Sources", row.sources.join(", ")),
    ];
    view! {
        <li data-testid=ids::AUDIT_ROW data-kind=row.kind.clone() data-refusal=row.refusal.map(|k| k.as_str()) class="py-2 text-sm">
            <details>
                <summary class="cursor-pointer break-words">
                    {summary}" · "
                    <span class=if refused { "font-semibold text-[#d5281b]" } else { "" }>{outcome}</span>
                </summary>
                <dl class="mt-1 grid grid-cols-1 gap-x-3 sm:grid-cols-[10rem_1fr]">
                    {detail.into_iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| view! { <dt class="text-slate-600">{k}</dt><dd class="break-words">{v}</dd> }).collect_view()}
                </dl>
            </details>
        </li>
    }
}

/// One access waiting for review: who, whose record, why; a note and "Mark reviewed", with
/// what is wrong with the note shown beside it.
#[component]
fn ReviewItem(row: AuditRow, reviewed: RwSignal<u32>) -> impl IntoView {
    let action = ServerAction::<ReviewEmergencyAccess>::new();
    Effect::new(move |_| {
        if matches!(action.value().get(), Some(Ok(()))) {
            reviewed.update(|n| *n += 1);
        }
    });
    let problem = move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    let who = format!(
        "{} ({}{})",
        row.user_name,
        row.user_id,
        row.organisation
            .clone()
            .map(|o| format!(", {o}"))
            .unwrap_or_default()
    );
    let patient = row.nhs_number.clone().unwrap_or_default();
    let note_id = format!("note-{}", row.seq);
    let problem_id = format!("note-problem-{}", row.seq);
    let described_by = {
        let problem_id = problem_id.clone();
        move || problem().map(|_| problem_id.clone())
    };
    view! {
        <li data-testid=ids::REVIEW_ITEM data-seq=row.seq.to_string() class="py-3">
            <p class="font-semibold">{format!("{} · {who}", row.at_local)}</p>
            <p class="text-sm">{format!("NHS number {patient} · sources: {}", row.sources.join(", "))}</p>
            <p class="mt-1 text-sm">"Reason given: " <q>{row.reason.clone().unwrap_or_default()}</q></p>
            <ActionForm action attr:class="mt-2 flex flex-wrap items-end gap-2">
                <input type="hidden" name="seq" value=row.seq.to_string() />
                <div class="text-sm">
                    <label for=note_id.clone()>"Review note"</label>
                    <input id=note_id name="note" aria-required="true" aria-invalid=move || problem().is_some().then_some("true") aria-describedby=described_by class="mt-1 block w-72 max-w-full rounded border border-slate-400 px-2 py-1" />
                </div>
                <button type="submit" class="rounded bg-[#005eb8] px-3 py-1 font-semibold text-white">"Mark reviewed"</button>
            </ActionForm>
            {move || problem().map(|p| view! {
                <p id=problem_id.clone() role="alert" class="mt-1 text-sm font-semibold text-[#d5281b]">{p}</p>
            })}
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
