//! Warnings above a record that staff must read before trusting it: sources disagreeing about
//! who the patient is, one source holding two records for one NHS number, or the patient's
//! wishes about sharing unknown (the record opened on a basis that overrides an objection).

use crate::ids;
use crate::model::RecordWarning;
use leptos::prelude::*;

#[component]
pub fn RecordWarnings(warnings: Vec<RecordWarning>) -> impl IntoView {
    let heading = if warnings
        .iter()
        .any(|w| w.kind == crate::model::WarningKind::ConsentUnknown)
    {
        "Before you rely on this record"
    } else {
        "Check this is the right patient"
    };
    (!warnings.is_empty()).then(|| {
        view! {
            <section data-testid=ids::RECORD_WARNINGS role="alert" class="border-l-4 border-amber-600 bg-amber-50 px-4 py-3">
                <h2 class="font-semibold text-amber-900">{heading}</h2>
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
