//! The record page: looks up the NHS number in the query string and shows the banner, each
//! source's answer and the merged timeline, or what must happen first (a legitimate basis),
//! or a clear reason why there is nothing to show (dissent, an invalid number, a refusal).
//! While the sources are asked, each source's card streams in as it answers; the record
//! itself comes only when every source has answered or run out of time.

use crate::api::{get_record, get_sources_asked, LookupError, RecordBasis};
use crate::components::{
    provide_entry_panel, BasisBanner, BasisForm, ConsentUnknownPage, DissentPage, EntryPanel,
    LookupForm, PatientBanner, RecordSummary, RecordWarnings, SourceStatusList, SourcesBeingAsked,
    Timeline, WithheldList,
};
use crate::ids;
use crate::model::PatientRecord;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn RecordPage() -> impl IntoView {
    let query = use_query_map();
    let typed = move || query.read().get("nhs").unwrap_or_default();
    let refresh_untracked =
        move || query.with_untracked(|q| q.get("refresh").is_some_and(|r| r == "true"));
    let basis = ServerAction::<RecordBasis>::new();
    // On the server, each source's card is told when its source answers (streamed as it
    // comes); the record waits for every source (see `crate::lookup_progress`).
    #[cfg(feature = "ssr")]
    provide_context(crate::lookup_progress::LookupProgress::default());
    // A number that is not one is refused (and audited) once, by the record's own call.
    let asked = Resource::new(typed, |nhs| async move {
        match crate::nhs_number::NhsNumber::parse(&nhs) {
            Ok(_) => get_sources_asked(nhs).await,
            Err(problem) => Err(LookupError::InvalidNhsNumber(problem)),
        }
    });
    // Keyed on the NHS number alone: the timeline's filters change the address too, and fetch
    // only their own page (a refresh is a full load of the page).
    let record = Resource::new(typed, move |nhs| get_record(nhs, refresh_untracked()));
    // Once a basis is recorded (the server now finds it in the session), the page is loaded
    // again so the server streams the lookup. On the clinicians' pages (Leptos islands: this
    // page is not hydrated) the form is a plain post, and the server function's redirect back
    // to the page does it; this effect is for the office bundle, which hydrates every page.
    Effect::new(move |_| {
        if matches!(basis.value().get(), Some(Ok(()))) {
            reload();
        }
    });

    view! {
        <div class="rounded bg-white p-4 shadow"><LookupForm value=Signal::derive(typed) /></div>
        // Hidden (style/main.css) once the record or a refusal is shown below.
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                asked.await.ok().map(|asked| view! { <SourcesBeingAsked asked /> })
            })}
        </Suspense>
        <Suspense fallback=|| view! { <p class="mt-6 text-slate-700" role="status">"Asking the sources…"</p> }>
            {move || Suspend::new(async move {
                let view = match record.await {
                    Ok(record) if record.found() => view! { <Found record /> }.into_any(),
                    Ok(record) => view! { <NotFound record /> }.into_any(),
                    Err(LookupError::BasisRequired(prompt)) => {
                        view! { <BasisForm nhs_number=typed() prompt action=basis /> }.into_any()
                    }
                    Err(LookupError::Dissent(notice)) => {
                        view! { <DissentPage nhs_number=typed() notice=*notice action=basis /> }.into_any()
                    }
                    Err(LookupError::ConsentUnknown(notice)) => {
                        view! { <ConsentUnknownPage nhs_number=typed() notice=*notice action=basis /> }.into_any()
                    }
                    Err(error) => view! { <LookupFailed error typed=typed() /> }.into_any(),
                };
                view! { <div data-testid=ids::LOOKUP_DONE>{view}</div> }
            })}
        </Suspense>
    }
}

#[component]
fn Found(record: PatientRecord) -> impl IntoView {
    let summary_only = record.summary_only;
    // A role limited to the summary is told only that something is not shown: which sources
    // or kinds of item would say which services the patient used.
    let withheld = if summary_only {
        Vec::new()
    } else {
        record.withheld.clone()
    };
    let any_withheld = record.hidden_for_role > 0 || !record.withheld.is_empty();
    let now = crate::clinical_date::ClinicalDate::parse(&record.retrieved_at)
        .ok()
        .map(|d| d.sort_key);
    // The record page's record brings the timeline's first page (see `for_the_page`).
    let timeline = record
        .timeline
        .clone()
        .unwrap_or_else(|| crate::timeline_query::select(&record.entries, &Default::default()));
    // Any row (or summary line) below opens the one entry panel.
    provide_entry_panel();
    let nhs = record.nhs_number;
    view! {
        <EntryPanel nhs />
        <div class="mt-6">
            <ChildProtectionBanner flags=record.child_protection.clone() />
            <PatientBanner record=record.clone() />
            {record.basis.clone().map(|basis| view! { <BasisBanner basis /> })}
            <Show when=move || summary_only>
                <p data-testid=ids::LIMITED_VIEW class="border-l-4 border-[#005eb8] bg-blue-50 px-4 py-2 text-sm">
                    "Limited summary for your role: allergies, current medications, alerts and care plans. Other parts of the record are not shown."
                    {any_withheld.then_some(" Some information is not shown for your role.")}
                </p>
            </Show>
            <RecordWarnings warnings=record.warnings.clone() />
            <div class="rounded-b bg-white p-4 shadow">
                <h2 class="sr-only">"Sources"</h2>
                <SourceStatusList sources=record.sources.clone() />
                <p class="mt-2 flex flex-wrap items-center gap-3 text-xs text-slate-700">
                    <span data-testid=ids::TIMES_NOTE>{looked_up(&record.retrieved_at)}</span>
                    <a
                        rel="external"
                        class="font-semibold text-[#005eb8] underline print:hidden"
                        href=format!("/record?nhs={}&refresh=true", record.nhs_number.as_digits())
                    >
                        "Refresh from the sources"
                    </a>
                </p>
            </div>
            <RecordSummary record=record.clone() />
            <WithheldList withheld=withheld.clone() sources=record.sources.clone() />
            <h2 class="mt-8 text-lg font-bold print:hidden">"Full record, newest first"</h2>
            <div class="print:hidden">
                <Timeline first=timeline sources=record.sources withheld nhs=record.nhs_number now=now.unwrap_or(i64::MAX) />
            </div>
        </div>
    }
}

/// Active child-protection flags, first on the page, with whom to contact.
#[component]
fn ChildProtectionBanner(flags: Vec<crate::model::ChildProtectionFlag>) -> impl IntoView {
    (!flags.is_empty()).then(|| {
        let lines = flags
            .into_iter()
            .map(|f| {
                let since = f.since.map(|d| format!(" since {}", d.display())).unwrap_or_default();
                view! {
                    <p>
                        <strong>{f.label}</strong>
                        {format!("{since}: held by {} ({}). Contact them about this child.", f.organisation, f.organisation_code)}
                    </p>
                }
            })
            .collect_view();
        view! {
            <section data-testid=ids::CHILD_PROTECTION role="alert" class="mb-3 rounded border-l-8 border-[#d5281b] bg-red-50 px-4 py-3">
                <h2 class="text-lg font-bold text-[#d5281b]">"Child protection"</h2>
                {lines}
                <p class="mt-1 text-sm">"Viewing this record in urgent or emergency care notifies the responsible organisation."</p>
            </section>
        }
    })
}

#[component]
fn NotFound(record: PatientRecord) -> impl IntoView {
    let failed = record
        .sources
        .iter()
        .filter(|s| s.status.is_failure())
        .count();
    view! {
        <section data-testid=ids::NO_RECORD class="mt-6 rounded bg-white p-4 shadow">
            <h1 class="text-xl font-semibold">{format!("No record found for NHS number {}", record.nhs_number)}</h1>
            <p class="mt-1 text-slate-700">
                {if failed > 0 {
                    format!("{failed} source(s) could not be asked, so a record may still exist there. Each source's answer:")
                } else {
                    "No source holds a record for this NHS number. Each source's answer:".to_owned()
                }}
            </p>
            <div class="mt-3"><SourceStatusList sources=record.sources /></div>
        </section>
    }
}

#[component]
fn LookupFailed(error: LookupError, typed: String) -> impl IntoView {
    let (heading, detail) = match &error {
        LookupError::InvalidNhsNumber(_) if typed.trim().is_empty() => (
            "Enter an NHS number".to_owned(),
            "No source was asked.".to_owned(),
        ),
        LookupError::InvalidNhsNumber(reason) => (
            format!("“{}” is not a valid NHS number", typed.trim()),
            format!("{reason} No source was asked."),
        ),
        other => (
            "The record could not be retrieved".to_owned(),
            other.to_string(),
        ),
    };
    view! {
        <section data-testid=ids::LOOKUP_ERROR role="alert" class="mt-6 rounded border-l-4 border-red-700 bg-red-50 p-4">
            <h1 class="text-lg font-semibold text-red-800">{heading}</h1>
            <p class="mt-1">{detail}</p>
        </section>
    }
}

/// Loads the page again from the server.
fn reload() {
    #[cfg(feature = "hydrate")]
    if let Err(error) = window().location().reload() {
        leptos::logging::warn!("the page could not be reloaded: {error:?}");
    }
}

/// "Looked up 01-Dec-2026 10:02. Times are UK time (GMT)." when this view was assembled
/// (each source says when its data was fetched), and the zone every clinical time is shown in.
fn looked_up(rfc3339: &str) -> String {
    match crate::clinical_date::ClinicalDate::parse(rfc3339) {
        Ok(date) => {
            let zone = date.zone().map_or("UK time", |z| z.label());
            format!(
                "Looked up {}. Times are UK time ({zone} now; each as on its own day).",
                date.display()
            )
        }
        Err(_) => format!("Retrieved {rfc3339}"),
    }
}
