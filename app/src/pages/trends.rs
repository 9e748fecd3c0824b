//! The trend page (`/record/trends?nhs=...&series=<key>`): one series of the patient's
//! readings as a chart with its figures, from the record loaded exactly as the record page
//! loads it (the same server function: the same checks, audit and cache), and links to the
//! patient's other series. A basis or a dissent is answered on the record page.

use crate::api::{get_record_in_full, LookupError};
use crate::components::{incomplete_sources, PatientBanner, TrendChart};
use crate::ids;
use crate::model::{Category, PatientRecord};
use crate::trends;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn TrendsPage() -> impl IntoView {
    let query = use_query_map();
    let nhs = move || query.read().get("nhs").unwrap_or_default();
    let key = move || query.read().get("series").unwrap_or_default();
    // The page is named, never the patient.
    let title = move || match trends::definition(&key()) {
        Some(def) => format!("Trend: {}", def.label),
        None => "Trend".to_owned(),
    };
    let record = Resource::new(nhs, get_record_in_full);
    view! {
        <Title text=title />
        <Suspense fallback=|| view! { <p class="mt-6 text-slate-700" role="status">"Asking the sources…"</p> }>
            {move || Suspend::new(async move {
                match record.await {
                    Ok(record) if record.found() => view! { <Trend record key=key() /> }.into_any(),
                    Ok(_) => view! {
                        <Notice heading="No record found" nhs=nhs()
                            detail="No source holds readings for this NHS number. The record page shows each source's answer." />
                    }.into_any(),
                    Err(LookupError::BasisRequired(_) | LookupError::Dissent(_) | LookupError::ConsentUnknown(_)) => view! {
                        <Notice heading="Open the record first" nhs=nhs()
                            detail="This record asks for something before it can be shown (why you are opening it, or the patient's wishes about sharing). Answer it on the record page, then come back to the trend." />
                    }.into_any(),
                    Err(error) => view! {
                        <section data-testid=ids::LOOKUP_ERROR role="alert" class="mt-6 rounded border-l-4 border-red-700 bg-red-50 p-4">
                            <h1 class="text-lg font-semibold text-red-800">"The trend could not be shown"</h1>
                            <p class="mt-1">{error.to_string()}</p>
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Why there is no chart, with the way back to the record page.
#[component]
fn Notice(heading: &'static str, detail: &'static str, nhs: String) -> impl IntoView {
    let href = format!("/record?nhs={}", nhs.trim());
    view! {
        <section data-testid=ids::TREND_PAGE class="mt-6 rounded bg-white p-4 shadow">
            <h1 class="text-xl font-semibold">{heading}</h1>
            <p class="mt-1">{detail}</p>
            <p class="mt-2"><a class="font-semibold text-[#005eb8] underline" href=href>"Go to the record page"</a></p>
        </section>
    }
}

#[component]
fn Trend(record: PatientRecord, key: String) -> impl IntoView {
    let nhs = record.nhs_number;
    let back = format!("/record?nhs={}", nhs.as_digits());
    let available = trends::available(&record.entries);
    let chosen = trends::series(&record.entries, &key);
    let heading = match &chosen {
        Some(s) => format!("Trend: {}", s.def.label),
        None => "Trend".to_owned(),
    };
    let missing = incomplete_sources(&record.sources);
    let withheld = record.summary_only
        || record
            .withheld
            .iter()
            .any(|w| w.category == Category::Observation);
    let body = match chosen {
        Some(series) if !series.points.is_empty() => {
            view! { <TrendChart series sources=record.sources.clone() /> }.into_any()
        }
        Some(series) => view! {
            <p class="mt-4 rounded bg-white p-4 shadow">
                {format!("No readings of {} are shown for this patient.", series.def.label.to_lowercase())}
            </p>
        }
        .into_any(),
        None => view! {
            <p class="mt-4 rounded bg-white p-4 shadow">"There is no trend by that name. Choose one below."</p>
        }
        .into_any(),
    };
    let links = available
        .into_iter()
        .map(|(def, count)| {
            let current = def.key == key;
            let readings = if count == 1 { "reading" } else { "readings" };
            view! {
                <li>
                    <a class="font-semibold text-[#005eb8] underline" href=trends::trend_href(nhs, def.key)
                        aria-current=current.then_some("page")>
                        {def.label}
                    </a>
                    {format!(" ({count} {readings})")}
                </li>
            }
        })
        .collect_view();
    view! {
        <div data-testid=ids::TREND_PAGE class="mt-6">
            <PatientBanner record=record.clone() />
            <p class="mt-3 print:hidden">
                <a class="font-semibold text-[#005eb8] underline" href=back>"Back to the record"</a>
            </p>
            <h1 class="mt-2 text-2xl font-semibold">{heading}</h1>
            {(!missing.is_empty()).then(|| view! {
                <p data-testid=ids::TREND_INCOMPLETE role="status" class="mt-2 border-l-4 border-amber-600 bg-amber-50 px-3 py-2 text-sm">
                    {format!("This series may be incomplete: {} could not be read in full.", missing.join(", "))}
                </p>
            })}
            {withheld.then(|| view! {
                <p class="mt-2 border-l-4 border-[#005eb8] bg-blue-50 px-3 py-2 text-sm">
                    "Some information is not shown for your role, so this series may be incomplete."
                </p>
            })}
            {body}
            <nav class="mt-6 rounded bg-white p-4 shadow print:hidden" aria-labelledby="other-trends">
                <h2 id="other-trends" class="text-lg font-semibold">"Trends for this patient"</h2>
                <ul data-testid=ids::TREND_SERIES class="mt-2 grid gap-1 sm:grid-cols-2">{links}</ul>
            </nav>
        </div>
    }
}
