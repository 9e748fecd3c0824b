//! The demographic search page: the candidates every source holds for a name and date of birth,
//! each opened by its NHS number. Candidates the sources disagree about carry their warnings;
//! people not listed (they objected to sharing, or a source could not say) are counted.

use crate::api::{search_patients, LookupError, SearchForm};
use crate::components::{PatientSearchForm, SourceStatusList};
use crate::ids;
use crate::patient_search::{PatientMatch, SearchResults};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SearchPage() -> impl IntoView {
    let query = use_query_map();
    let form = move || {
        query.with(|q| SearchForm {
            family: q.get("family").unwrap_or_default(),
            birth_date: q.get("birthdate").unwrap_or_default(),
            given: q.get("given").unwrap_or_default(),
            gender: q.get("gender").unwrap_or_default(),
            postcode: q.get("postcode").unwrap_or_default(),
        })
    };
    let results = Resource::new(form, |f| {
        search_patients(f.family, f.birth_date, f.given, f.gender, f.postcode)
    });
    view! {
        <h1 class="text-2xl font-semibold">"Find a patient without their NHS number"</h1>
        <div class="mt-4 rounded bg-white p-4 shadow"><PatientSearchForm value=form() /></div>
        <Suspense fallback=|| view! { <p class="mt-6 text-slate-700" role="status">"Asking the sources…"</p> }>
            {move || Suspend::new(async move {
                match results.await {
                    Ok(results) => view! { <Matches results /> }.into_any(),
                    Err(error) => view! { <SearchFailed error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Matches(results: SearchResults) -> impl IntoView {
    let not_shown = results.not_shown.sentences();
    let heading = match results.matches.len() {
        0 if !not_shown.is_empty() => "No patient can be listed for these details".to_owned(),
        0 => "No patient matches these details at any source that answered".to_owned(),
        1 => "1 patient matches".to_owned(),
        n => format!("{n} patients match: check each against the person in front of you"),
    };
    let sources = results.sources.clone();
    view! {
        <section data-testid=ids::PATIENT_MATCHES class="mt-6 rounded bg-white p-4 shadow">
            <h2 class="text-lg font-semibold">{heading}</h2>
            {(!not_shown.is_empty()).then(|| view! {
                <div data-testid=ids::NOT_SHOWN class="mt-2 rounded border-l-4 border-slate-500 bg-slate-50 px-2 py-1 text-sm">
                    {not_shown.into_iter().map(|line| view! { <p>{line}</p> }).collect_view()}
                </div>
            })}
            <ul class="mt-3 divide-y divide-slate-200">
                {results.matches.into_iter().map(|m| view! { <MatchRow candidate=m sources=sources.clone() /> }).collect_view()}
            </ul>
            <h3 class="mt-4 text-sm font-semibold">"Each source's answer"</h3>
            <div class="mt-2"><SourceStatusList sources=results.sources /></div>
        </section>
    }
}

#[component]
fn MatchRow(candidate: PatientMatch, sources: Vec<crate::model::SourceReport>) -> impl IntoView {
    let d = &candidate.demographics;
    let born = d
        .birth_date
        .as_ref()
        .map(|b| b.display())
        .unwrap_or_else(|| "Not Known".into());
    let details = format!(
        "Born {born} · {} · {}",
        d.gender.clone().unwrap_or_else(|| "Not Known".into()),
        d.postcode
            .clone()
            .unwrap_or_else(|| "postcode Not Known".into())
    );
    let at: Vec<String> = candidate
        .found_at
        .iter()
        .map(|id| {
            sources
                .iter()
                .find(|s| &s.id == id)
                .map_or(id.clone(), |s| s.name.clone())
        })
        .collect();
    let open = match candidate.nhs_number {
        Some(nhs) => view! {
            <a class="font-mono font-semibold text-[#005eb8] underline" rel="external" href=format!("/record?nhs={}", nhs.as_digits())>
                {format!("Open record {}", nhs.formatted())}
            </a>
        }
        .into_any(),
        None => view! {
            <span class="text-sm text-red-800">"No NHS number recorded: trace the patient on PDS before opening a record"</span>
        }
        .into_any(),
    };
    view! {
        <li class="py-3" data-testid=ids::PATIENT_MATCH>
            <p class="font-semibold">{d.display_name()}</p>
            <p class="text-sm text-slate-700">{details}</p>
            <p class="text-xs text-slate-600">{format!("Held by {}", at.join(", "))}</p>
            {candidate.warnings.into_iter().map(|w| view! {
                <p class="mt-1 rounded border-l-4 border-amber-600 bg-amber-50 px-2 py-1 text-sm text-amber-900">{w}</p>
            }).collect_view()}
            <p class="mt-1">{open}</p>
        </li>
    }
}

#[component]
fn SearchFailed(error: LookupError) -> impl IntoView {
    view! {
        <section data-testid=ids::LOOKUP_ERROR role="alert" class="mt-6 rounded border-l-4 border-red-700 bg-red-50 p-4">
            <h2 class="text-lg font-semibold text-red-800">"The search was not sent"</h2>
            <p class="mt-1">{error.to_string()}</p>
        </section>
    }
}
