//! The demographic search form, for patients who arrive without their NHS number. A plain GET
//! form like the NHS number box, so it works before the wasm bundle has loaded.

use crate::api::SearchForm;
use crate::ids;
use leptos::prelude::*;
use leptos_router::components::Form;

const INPUT: &str = "mt-1 rounded border-2 border-slate-700 px-3 py-2 focus:outline-none focus:ring-4 focus:ring-yellow-400";

#[component]
pub fn PatientSearchForm(
    /// What was searched for last, to show in the boxes.
    #[prop(optional)]
    value: SearchForm,
) -> impl IntoView {
    let field = |id: &'static str,
                 label: &'static str,
                 kind: &'static str,
                 value: String,
                 required: bool| {
        view! {
            <div class="flex flex-col">
                <label for=id class="text-sm font-medium">{label}</label>
                <input id=id name=id type=kind value=value required=required autocomplete="off" class=INPUT />
            </div>
        }
    };
    view! {
        <Form method="GET" action="/search" attr:data-testid=ids::SEARCH_FORM attr:class="flex flex-wrap items-end gap-3">
            {field("family", "Family name", "text", value.family, true)}
            {field("birthdate", "Date of birth", "date", value.birth_date, true)}
            {field("given", "Given name (optional)", "text", value.given, false)}
            <div class="flex flex-col">
                <label for="gender" class="text-sm font-medium">"Gender (optional)"</label>
                <select id="gender" name="gender" class=INPUT>
                    {["", "female", "male", "other", "unknown"]
                        .into_iter()
                        .map(|g| {
                            let label = if g.is_empty() { "Any" } else { g };
                            view! { <option value=g selected=value.gender == g>{label}</option> }
                        })
                        .collect_view()}
                </select>
            </div>
            {field("postcode", "Postcode (optional)", "text", value.postcode, false)}
            <button
                type="submit"
                class="rounded bg-green-700 px-4 py-2 font-semibold text-white hover:bg-green-800 focus:outline-none focus:ring-4 focus:ring-yellow-400"
            >
                "Search"
            </button>
        </Form>
    }
}
