//! The page for unknown paths.

use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <h1 class="text-2xl font-semibold">"Page not found"</h1>
        <p class="mt-2"><a class="text-[#005eb8] underline" href="/">"Look up a patient"</a></p>
    }
}
