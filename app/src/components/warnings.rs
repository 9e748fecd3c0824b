//! Warnings above a record that staff must read before trusting it: sources disagreeing about
//! who the patient is, or one source holding two records for one NHS number.

use crate::ids;
use crate::model::RecordWarning;
use leptos::prelude::*;

#[component]
pub fn RecordWarnings(warnings: Vec<RecordWarning>) -> impl IntoView {
    (!warnings.is_empty()).then(|| {
        view! {
            <section data-testid=ids::RECORD_WARNINGS role="alert" class="border-l-4 border-amber-600 bg-amber-50 px-4 py-3">
                <h2 class="font-semibold text-amber-900">"Check this is the right patient"</h2>
                <ul class="mt-1 list-disc pl-5 text-sm text-amber-900">
                    {warnings
                        .into_iter()
                        .map(|w| view! { <li data-warning-kind=format!("{:?}", w.kind)>{w.message}</li> })
                        .collect_view()}
                </ul>
            </section>
        }
    })
}
