//! The patient banner: name, date of birth, gender and NHS number, in NHS display form.

use crate::ids;
use crate::model::PatientRecord;
use leptos::prelude::*;

#[component]
pub fn PatientBanner(record: PatientRecord) -> impl IntoView {
    let demographics = record.demographics.clone().unwrap_or_default();
    let name = demographics.display_name();
    let born = demographics
        .birth_date
        .as_ref()
        .map(|d| d.display())
        .unwrap_or_else(|| "Not Known".to_owned());
    let gender = demographics
        .gender
        .clone()
        .map(capitalise)
        .unwrap_or_else(|| "Not Known".to_owned());
    view! {
        <section data-testid=ids::PATIENT_BANNER class="rounded-t bg-slate-800 px-4 py-3 text-white">
            <h1 class="text-xl font-bold">{name}</h1>
            <dl class="mt-1 flex flex-wrap gap-x-6 gap-y-1 text-sm">
                <div class="flex gap-1"><dt class="opacity-75">"Born"</dt><dd class="font-semibold">{born}</dd></div>
                <div class="flex gap-1"><dt class="opacity-75">"Gender"</dt><dd class="font-semibold">{gender}</dd></div>
                <div class="flex gap-1">
                    <dt class="opacity-75">"NHS No."</dt>
                    <dd class="font-mono font-semibold">{record.nhs_number.formatted()}</dd>
                </div>
            </dl>
        </section>
    }
}

fn capitalise(word: String) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => word,
    }
}
