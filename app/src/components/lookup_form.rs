//! The NHS number search form. A plain GET form, never handled by the client-side router: each
//! lookup is a page the server streams, each source's card answering as its source does (a
//! client-side navigation would wait for the whole record). The bundle comes from the cache.

use crate::ids;
use leptos::prelude::*;

#[component]
pub fn LookupForm(
    /// What to show in the box, e.g. the number just looked up.
    #[prop(into, optional)]
    value: Signal<String>,
) -> impl IntoView {
    view! {
        <form method="get" action="/record" data-testid=ids::LOOKUP_FORM class="flex flex-wrap items-end gap-3">
            <div class="flex flex-col">
                <label for="nhs" class="text-sm font-medium">"NHS number"</label>
                <input
                    id="nhs"
                    name="nhs"
                    data-testid=ids::NHS_INPUT
                    type="text"
                    inputmode="numeric"
                    autocomplete="off"
                    placeholder="e.g. 943 476 5919"
                    aria-keyshortcuts="/"
                    title="Press / from anywhere on the page to come back here"
                    value=move || value.get()
                    class="mt-1 w-56 rounded border-2 border-slate-700 px-3 py-2 font-mono text-lg focus:outline-none focus:ring-4 focus:ring-yellow-400"
                />
            </div>
            <button
                type="submit"
                class="rounded bg-green-700 px-4 py-2 font-semibold text-white hover:bg-green-800 focus:outline-none focus:ring-4 focus:ring-yellow-400"
            >
                "Look up"
            </button>
        </form>
    }
}
