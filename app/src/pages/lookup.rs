//! The search page: an NHS number box and, in demo mode, synthetic patients to try.

use crate::api::{demo_patients, whoami};
use crate::auth::{Permission, Viewer};
use crate::components::{LookupForm, PatientSearchForm};
use crate::ids;
use crate::model::DemoPatient;
use leptos::prelude::*;

#[component]
pub fn LookupPage() -> impl IntoView {
    let who = Resource::new(|| (), |_| whoami());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let viewer = who.await.ok().flatten().and_then(|s| s.viewer);
                match viewer {
                    Some(v) if !v.may(Permission::FindPatient) => view! { <NoAccess viewer=v /> }.into_any(),
                    _ => view! { <Lookup /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// What a role without access to records sees instead of the lookup form.
#[component]
fn NoAccess(viewer: Viewer) -> impl IntoView {
    let operations = viewer.may(Permission::Operations);
    let audit = viewer.may(Permission::Audit);
    view! {
        <section data-testid=ids::NO_ACCESS class="rounded bg-white p-4 shadow">
            <h1 class="text-2xl font-semibold">{format!("Signed in as {}", viewer.role.label())}</h1>
            <p class="mt-2 text-slate-700">
                "Your role does not give access to patient records, so there is nothing to look up here."
            </p>
            <Show when=move || operations>
                <p class="mt-2"><a class="font-semibold text-[#005eb8] underline" href="/admin" rel="external">"Open the operations page"</a></p>
            </Show>
            <Show when=move || audit>
                <p class="mt-2"><a class="font-semibold text-[#005eb8] underline" href="/audit" rel="external">"Open the audit workspace"</a></p>
            </Show>
        </section>
    }
}

#[component]
fn Lookup() -> impl IntoView {
    let demo = Resource::new(|| (), |_| demo_patients());
    view! {
        <h1 class="text-2xl font-semibold">"Look up a patient"</h1>
        <p class="mt-1 text-slate-700">
            "Enter the patient's NHS number to see what their GP, hospital, mental health and social care records hold."
        </p>
        <div class="mt-4 rounded bg-white p-4 shadow"><LookupForm /></div>
        <details class="mt-4 rounded bg-white p-4 shadow">
            <summary class="cursor-pointer font-semibold text-[#005eb8]">"No NHS number? Search by name and date of birth"</summary>
            <div class="mt-3"><PatientSearchForm /></div>
        </details>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match demo.await {
                    Ok(patients) if !patients.is_empty() => view! { <DemoPatients patients /> }.into_any(),
                    _ => ().into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn DemoPatients(patients: Vec<DemoPatient>) -> impl IntoView {
    view! {
        <section data-testid=ids::DEMO_PATIENTS class="mt-6 rounded border-l-4 border-amber-500 bg-amber-50 p-4">
            <h2 class="font-semibold">"Demo mode: synthetic patients to try"</h2>
            <ul class="mt-2 space-y-1">
                {patients
                    .into_iter()
                    .map(|p| {
                        let href = format!("/record?nhs={}", p.nhs_number.as_digits());
                        view! {
                            <li>
                                // `rel="external"`: a full page load, which the server streams.
                                <a class="font-mono text-[#005eb8] underline" rel="external" href=href>{p.nhs_number.formatted()}</a>
                                " — "
                                {p.label}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}
