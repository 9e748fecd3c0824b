//! The stand-in for the audit and admin pages in the clinicians' bundle, which leaves them out.

use leptos::prelude::*;

/// Reached only by navigating inside the clinicians' bundle to an audit or admin address
/// (links to them are `rel="external"`, so this is the back-stop): the address is loaded from
/// the server, which sends it with the office bundle. The router renders the new route before
/// it updates the location bar, so the address comes from the route, not the bar. Never
/// during hydration: the server renders those addresses with the office bundle, so a
/// clinicians' bundle hydrating one would mean a build without the office bundle, and loading
/// the page again would loop.
#[component]
pub fn OfficePage() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    {
        let hydrating = Owner::current_shared_context().is_some_and(|c| c.during_hydration());
        if !hydrating {
            let route = leptos_router::hooks::use_location();
            let address = format!(
                "{}{}{}",
                route.pathname.get_untracked(),
                route.search.get_untracked(),
                route.hash.get_untracked()
            );
            let _ = window().location().assign(&address);
        }
    }
    view! { <p role="status">"Opening…"</p> }
}
