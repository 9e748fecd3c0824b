//! The audit officer's reports: accesses per day (in and out of hours) and per user, users with
//! many emergency accesses, users who opened records of patients sharing their surname
//! (`/audit/reports`), and the patient access report for a subject access request
//! (`/audit/patient`). Each is a GET form, so a report's address can be shared. Times are
//! shown as the server wrote them on the UK clock (`*_local`, to the second, as everywhere in
//! the workspace), the UTC instant in the cell's title: one format, from one zone database.

use crate::audit_terms::{label, EVENT_KINDS, OUTCOMES};
use crate::components::{Bar, BarChart};
use crate::ids;
use crate::reports::{
    load_access_report, load_patient_access, AccessReport, PatientAccessReport, ReportQuery,
    UserCount,
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

const INPUT: &str = "mt-1 block w-full rounded border border-slate-400 px-2 py-1";
const BUTTON: &str = "mt-2 rounded bg-[#005eb8] px-3 py-1 font-semibold text-white";
const TABLE: &str = "mt-2 block w-full max-w-full overflow-x-auto text-left text-sm [&_td]:py-0.5 [&_td]:pr-3 [&_th]:pr-3";

#[component]
pub fn ReportsPage() -> impl IntoView {
    let params = use_query_map();
    let field = move |name: &str| params.read().get(name).unwrap_or_default();
    let query = move || ReportQuery {
        from: field("from"),
        to: field("to"),
    };
    let report = Resource::new(query, load_access_report);
    view! {
        <p><a class="text-[#005eb8] underline" href="/audit">"Audit workspace"</a></p>
        <h1 class="mt-2 text-2xl font-semibold">"Access reports"</h1>
        <form method="get" action="/audit/reports" class="mt-3 grid max-w-xl gap-2 md:grid-cols-3">
            <label class="text-sm" for="report-from">"From (UK date)"
                <input id="report-from" type="date" name="from" value=field("from") class=INPUT />
            </label>
            <label class="text-sm" for="report-to">"To (UK date)"
                <input id="report-to" type="date" name="to" value=field("to") class=INPUT />
            </label>
            <div><button type="submit" class=BUTTON>"Show report"</button></div>
        </form>
        <Suspense fallback=|| view! { <p role="status">"Counting…"</p> }>
            {move || Suspend::new(async move {
                match report.await {
                    Ok(report) => view! { <AccessReportView report /> }.into_any(),
                    Err(e) => view! {
                        <p role="alert" class="mt-3 border-l-4 border-[#d5281b] bg-red-50 px-3 py-2">{e.to_string()}</p>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AccessReportView(report: AccessReport) -> impl IntoView {
    let days: Vec<Bar> = report
        .per_day
        .iter()
        .map(|d| Bar {
            label: d.day.clone(),
            parts: vec![d.in_hours, d.out_of_hours],
        })
        .collect();
    let users: Vec<Bar> = report
        .per_user
        .iter()
        .map(|u| Bar {
            label: format!("{} ({})", u.user_name, u.user_id),
            parts: vec![u.accesses - u.emergency, u.emergency],
        })
        .collect();
    let busiest: Vec<_> = report
        .per_day
        .iter()
        .filter(|d| d.in_hours + d.out_of_hours > 0)
        .cloned()
        .collect();
    view! {
        <section data-testid=ids::ACCESS_REPORT class="mt-4 rounded bg-white p-4 shadow">
            <h2 class="text-xl font-semibold">{format!("{} to {}", report.from, report.to)}</h2>
            <p class="mt-1">
                <strong>{report.accesses}</strong>" records opened: "
                <strong>{report.out_of_hours}</strong>" out of hours, "
                <strong>{report.emergency}</strong>" on the emergency basis."
            </p>
            <p class="text-sm text-slate-700">{format!("Out of hours: {}.", report.working_hours)}</p>
            {report.truncated.then(|| view! {
                <p role="alert" class="mt-2 border-l-4 border-[#ffb81c] bg-yellow-50 px-3 py-2">
                    "This period holds more accesses than one report reads: choose a shorter period."
                </p>
            })}
            <BarChart bars=days legend=vec!["In hours", "Out of hours"]
                title="Records opened per day".to_owned() test_id=ids::PER_DAY_CHART />
            <details class="mt-1 text-sm"><summary>"Per day, as a table"</summary>
                <table class=TABLE>
                    <thead><tr><th>"Day"</th><th>"In hours"</th><th>"Out of hours"</th><th>"Emergency"</th></tr></thead>
                    <tbody>{busiest.into_iter().map(|d| view! {
                        <tr><td>{d.day}</td><td>{d.in_hours}</td><td>{d.out_of_hours}</td><td>{d.emergency}</td></tr>
                    }).collect_view()}</tbody>
                </table>
            </details>
            <BarChart bars=users legend=vec!["With permission or other basis", "Emergency"] horizontal=true
                title="Records opened per user (most first)".to_owned() test_id=ids::PER_USER_CHART />
            <UserTable users=report.per_user.clone() />
        </section>
        <section data-testid=ids::REFUSALS class="mt-4 rounded bg-white p-4 shadow">
            <h2 class="text-xl font-semibold">"Refused requests by reason"</h2>
            {if report.refusals.is_empty() {
                view! { <p class="mt-2 text-slate-700">"None in this period."</p> }.into_any()
            } else {
                view! {
                    <div class="overflow-x-auto"><table class=TABLE>
                        <thead><tr><th>"Reason"</th><th>"Requests"</th><th></th></tr></thead>
                        <tbody>{report.refusals.into_iter().map(|r| {
                            let link = format!("/audit?search=1&outcome=refused&refusal={}&from={}&to={}", r.refusal, report.from, report.to);
                            view! {
                                <tr data-refusal=r.refusal.clone()>
                                    <td>{r.label}</td><td>{r.count}</td>
                                    <td><a class="text-[#005eb8] underline" href=link>"Show them"</a></td>
                                </tr>
                            }
                        }).collect_view()}</tbody>
                    </table></div>
                }.into_any()
            }}
        </section>
        <section data-testid=ids::EMERGENCY_USERS class="mt-4 rounded bg-white p-4 shadow">
            <h2 class="text-xl font-semibold">
                {format!("Users with {} or more emergency accesses", report.emergency_threshold)}
            </h2>
            {if report.emergency_users.is_empty() {
                view! { <p class="mt-2 text-slate-700">"None in this period."</p> }.into_any()
            } else {
                view! { <UserTable users=report.emergency_users /> }.into_any()
            }}
        </section>
        <section data-testid=ids::SAME_SURNAME class="mt-4 rounded bg-white p-4 shadow">
            <h2 class="text-xl font-semibold">"Users who opened records of patients sharing their surname"</h2>
            <p class="mt-1 text-sm text-slate-700">"Often innocent (a common surname), sometimes a family member's record: check the basis given."</p>
            {if report.same_surname.is_empty() {
                view! { <p class="mt-2 text-slate-700">"None in this period."</p> }.into_any()
            } else {
                view! {
                    <table class=TABLE>
                        <thead><tr><th>"User"</th><th>"NHS number"</th><th>"Times"</th><th>"Last (UK time)"</th><th></th></tr></thead>
                        <tbody>{report.same_surname.into_iter().map(|s| {
                            let link = format!("/audit/patient?nhs={}", s.nhs_number);
                            view! {
                                <tr>
                                    <td>{format!("{} ({})", s.user_name, s.user_id)}</td>
                                    <td>{s.nhs_number}</td><td>{s.accesses}</td><td title=s.last>{s.last_local}</td>
                                    <td><a class="text-[#005eb8] underline" href=link>"Who else viewed"</a></td>
                                </tr>
                            }
                        }).collect_view()}</tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn UserTable(users: Vec<UserCount>) -> impl IntoView {
    view! {
        <table class=TABLE>
            <thead><tr>
                <th>"User"</th><th>"Organisation"</th><th>"Opened"</th><th>"Emergency"</th>
                <th>"Out of hours"</th><th>"Patients"</th>
            </tr></thead>
            <tbody>{users.into_iter().map(|u| {
                let link = format!("/audit?search=1&user={}", crate::auth::encode_query_value(&u.user_id));
                view! {
                    <tr>
                        <td><a class="text-[#005eb8] underline" href=link>{format!("{} ({})", u.user_name, u.user_id)}</a></td>
                        <td>{u.organisation.unwrap_or_default()}</td><td>{u.accesses}</td>
                        <td>{u.emergency}</td><td>{u.out_of_hours}</td><td>{u.patients}</td>
                    </tr>
                }
            }).collect_view()}</tbody>
        </table>
    }
}

#[component]
pub fn PatientAccessPage() -> impl IntoView {
    let params = use_query_map();
    let nhs = move || params.read().get("nhs").unwrap_or_default();
    let report = Resource::new(nhs, |nhs| async move {
        if nhs.trim().is_empty() {
            None
        } else {
            Some(load_patient_access(nhs).await)
        }
    });
    view! {
        <p><a class="text-[#005eb8] underline" href="/audit">"Audit workspace"</a></p>
        <h1 class="mt-2 text-2xl font-semibold">"Patient access report"</h1>
        <p class="mt-1 text-sm text-slate-700">"Everyone who opened, or tried to open, a patient's record: for a subject access request or a patient's complaint."</p>
        <form method="get" action="/audit/patient" class="mt-3 flex max-w-md items-end gap-2">
            <label class="text-sm" for="patient-nhs">"NHS number"
                <input id="patient-nhs" name="nhs" value=nhs inputmode="numeric" class=INPUT />
            </label>
            <button type="submit" class=BUTTON>"Show report"</button>
        </form>
        <Suspense fallback=|| view! { <p role="status">"Gathering…"</p> }>
            {move || Suspend::new(async move {
                match report.await {
                    None => ().into_any(),
                    Some(Ok(report)) => view! { <PatientReportView report /> }.into_any(),
                    Some(Err(e)) => view! {
                        <p role="alert" class="mt-3 border-l-4 border-[#d5281b] bg-red-50 px-3 py-2">{e.to_string()}</p>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn PatientReportView(report: PatientAccessReport) -> impl IntoView {
    let export = format!(
        "/api/v1/audit/events?nhs_number={}&format=csv",
        report.nhs_number
    );
    view! {
        <section data-testid=ids::PATIENT_ACCESS class="mt-4 rounded bg-white p-4 shadow">
            <h2 class="text-xl font-semibold">{format!("NHS number {}", report.nhs_number)}</h2>
            <p class="text-sm text-slate-700">
                {format!("Generated {}. ", report.generated_local)}
                {report.kept_since_local.map(|since| format!("Events purged under the retention policy before {since} are not included."))}
            </p>
            {report.truncated.then(|| view! {
                <p role="alert" class="mt-2 border-l-4 border-[#ffb81c] bg-yellow-50 px-3 py-2">"More events than one report reads: export them all as CSV."</p>
            })}
            <p class="mt-2"><a class="text-[#005eb8] underline" rel="external" download="" href=export>"Download every event for this patient (CSV)"</a></p>
            <h3 class="mt-3 font-semibold">{match report.viewers.len() {
                1 => "1 person".to_owned(),
                n => format!("{n} people"),
            }}</h3>
            <table class=TABLE>
                <thead><tr>
                    <th>"Person"</th><th>"Roles"</th><th>"Organisations"</th><th>"Views"</th>
                    <th>"Emergency"</th><th>"Refused"</th><th>"Bases"</th><th>"First (UK time)"</th><th>"Last (UK time)"</th>
                </tr></thead>
                <tbody>{report.viewers.into_iter().map(|v| view! {
                    <tr data-testid=ids::PATIENT_VIEWER>
                        <td>{format!("{} ({})", v.user_name, v.user_id)}</td>
                        <td>{v.roles.join(", ")}</td><td>{v.organisations.join(", ")}</td>
                        <td>{v.views}</td><td>{v.emergency}</td>
                        <td>{if v.refusals.is_empty() { v.refused.to_string() } else { format!("{} ({})", v.refused, v.refusals.join(", ")) }}</td>
                        <td>{v.bases.join(", ")}</td>
                        <td title=v.first>{v.first_local}</td><td title=v.last>{v.last_local}</td>
                    </tr>
                }).collect_view()}</tbody>
            </table>
            <h3 class="mt-3 font-semibold">{format!("{} events, newest first", report.events.len())}</h3>
            <table class=TABLE>
                <thead><tr><th>"When (UK time)"</th><th>"What"</th><th>"Who"</th><th>"Basis"</th><th>"Outcome"</th><th>"Sources"</th></tr></thead>
                <tbody>{report.events.into_iter().map(|e| {
                    let outcome = match e.refusal {
                        Some(kind) => format!("Refused: {}", kind.label()),
                        None => label(&OUTCOMES, &e.outcome).to_owned(),
                    };
                    let who = format!(
                        "{} ({}{})",
                        e.user_name,
                        e.user_id,
                        e.organisation.as_deref().map(|o| format!(", {o}")).unwrap_or_default()
                    );
                    view! {
                        <tr data-kind=e.kind.clone()>
                            <td title=e.at.clone()>{e.at_local}</td><td>{label(&EVENT_KINDS, &e.kind).to_owned()}</td><td>{who}</td>
                            <td>{e.basis.unwrap_or_default()}</td><td title=e.detail.unwrap_or_default()>{outcome}</td><td>{e.sources.join(", ")}</td>
                        </tr>
                    }
                }).collect_view()}</tbody>
            </table>
        </section>
    }
}
