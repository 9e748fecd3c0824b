//! The patient banner on every patient page: name, date of birth with age, gender and NHS
//! number in NHS display form, the registered GP practice, the address behind a toggle, and
//! beside them the badges a clinician must not miss (allergies, child protection, end-of-life
//! decisions, an objection overridden in an emergency).

use crate::ids;
use crate::model::{PatientRecord, WarningKind};
use crate::summary::{AllergyBadge, Summary};
use leptos::prelude::*;

/// The id of the record's heading, which takes focus when the record loads.
pub const RECORD_HEADING_ID: &str = "record-heading";

#[component]
pub fn PatientBanner(record: PatientRecord) -> impl IntoView {
    let demographics = record.demographics.clone().unwrap_or_default();
    let name = demographics.display_name();
    let today = record.retrieved_at.get(..10).unwrap_or_default();
    let born = match &demographics.birth_date {
        Some(birth) => match crate::identity::age_text(birth, today) {
            Some(age) => format!("{} ({age})", birth.display()),
            None => birth.display(),
        },
        None => "Not Known".to_owned(),
    };
    let practice = demographics
        .gp_practice
        .as_ref()
        .map(|p| p.display())
        .unwrap_or_else(|| "Not Known".to_owned());
    let usual_gp = demographics
        .gp_practice
        .as_ref()
        .and_then(|p| p.usual_gp.clone());
    let address = demographics.address.clone();
    let gender = demographics
        .gender
        .clone()
        .map(capitalise)
        .unwrap_or_else(|| "Not Known".to_owned());
    let badges = badges(&record);
    // The record heading takes focus when the record loads, so keyboard and screen-reader
    // users start at whose record it is (browser only: effects do not run on the server).
    let heading = NodeRef::<leptos::html::H1>::new();
    Effect::new(move |_| {
        if let Some(heading) = heading.get() {
            let _ = heading.focus();
        }
    });
    view! {
        <section data-testid=ids::PATIENT_BANNER aria-label="Patient" class="rounded-t bg-slate-800 px-4 py-3 text-white">
            <h1 node_ref=heading id=RECORD_HEADING_ID data-testid=ids::RECORD_HEADING tabindex="-1" class="text-xl font-bold focus:outline-none">{name}</h1>
            <dl class="mt-1 flex flex-wrap gap-x-6 gap-y-1 text-sm">
                <div class="flex gap-1"><dt class="opacity-80">"Born"</dt><dd class="font-semibold">{born}</dd></div>
                <div class="flex gap-1"><dt class="opacity-80">"Gender"</dt><dd class="font-semibold">{gender}</dd></div>
                <div class="flex gap-1">
                    <dt class="opacity-80">"NHS No."</dt>
                    <dd class="font-mono font-semibold">{record.nhs_number.formatted()}</dd>
                </div>
                <div class="flex gap-1"><dt class="opacity-80">"GP practice"</dt><dd data-testid=ids::GP_PRACTICE class="font-semibold">{practice}</dd></div>
                {usual_gp.map(|gp| view! {
                    <div class="flex gap-1"><dt class="opacity-80">"Usual GP"</dt><dd data-testid=ids::USUAL_GP class="font-semibold">{gp}</dd></div>
                })}
            </dl>
            // The address is behind a toggle: needed to confirm identity, not on every glance.
            <details class="mt-1 text-sm">
                <summary class="cursor-pointer underline-offset-2 hover:underline">"Address"</summary>
                <p class="mt-1">
                    {if address.is_empty() { "Not Known".to_owned() } else { address.join(", ") }}
                </p>
            </details>
            <ul data-testid=ids::BANNER_BADGES aria-label="Alerts about this patient" class="mt-2 flex flex-wrap gap-2 text-sm">
                {badges}
            </ul>
        </section>
    }
}

/// The badges, most urgent first.
fn badges(record: &PatientRecord) -> impl IntoView {
    let summary = Summary::of(record);
    let allergy = summary.allergy_badge();
    let allergy_tone = match allergy {
        AllergyBadge::Recorded(_) => "bg-[#d5281b] text-white",
        AllergyBadge::Unknown(_) | AllergyBadge::NoneShown => "bg-[#ffb81c] text-slate-950",
        AllergyBadge::NoneRecorded | AllergyBadge::NoKnownAllergies => "bg-white text-slate-900",
    };
    let mut badges = vec![(
        "allergies",
        allergy.text(),
        allergy_tone,
        Some("#summary-allergies"),
    )];
    if !record.child_protection.is_empty() {
        let text = "Child protection plan".to_owned();
        badges.push(("child-protection", text, "bg-[#d5281b] text-white", None));
    }
    let end_of_life = summary.end_of_life();
    if !end_of_life.is_empty() {
        let text = match end_of_life.as_slice() {
            [one] => one.entry.title.clone(),
            many => format!("{} end-of-life decisions", many.len()),
        };
        badges.push((
            "end-of-life",
            text,
            "bg-[#330072] text-white",
            Some("#summary-care-plans"),
        ));
    }
    let objected = record.warnings.iter().any(|w| {
        matches!(
            w.kind,
            WarningKind::PatientObjected | WarningKind::ConsentUnknown
        )
    });
    if objected {
        let text = "Objected to sharing (or may have): emergency access".to_owned();
        badges.push(("objected", text, "bg-[#ffb81c] text-slate-950", None));
    }
    badges
        .into_iter()
        .map(|(kind, text, tone, href)| {
            let class = format!("rounded px-2 py-0.5 font-semibold {tone}");
            match href {
                Some(href) => view! {
                    <li data-badge=kind><a href=href class=format!("{class} underline-offset-2 hover:underline")>{text}</a></li>
                }
                .into_any(),
                None => view! { <li data-badge=kind><span class=class>{text}</span></li> }.into_any(),
            }
        })
        .collect_view()
}

fn capitalise(word: String) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => word,
    }
}
