//! Choosing the active role after signing in, for staff who hold several. The choice is a
//! plain form posted to the server (`/auth/role`), which checks it belongs to the session.

use crate::api::whoami;
use crate::auth::SignedIn;
use crate::ids;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn ChooseRolePage() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_else(|| "/".to_owned());
    let who = Resource::new(|| (), |_| whoami());
    view! {
        <h1 class="text-2xl font-semibold">"Choose your role"</h1>
        <p class="mt-2 text-slate-700">
            "You hold more than one role. What you can see depends on the role you act in, and it is recorded with everything you open."
        </p>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match who.await {
                    Ok(Some(signed_in)) => view! { <Choices signed_in next=next() /> }.into_any(),
                    _ => view! { <p class="mt-4"><a class="underline" href="/signin">"Sign in first."</a></p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Choices(signed_in: SignedIn, next: String) -> impl IntoView {
    let csrf = signed_in.csrf_token.clone();
    view! {
        <form method="post" action="/auth/role" data-testid=ids::ROLE_CHOICES class="mt-4 space-y-2">
            <input type="hidden" name="csrf" value=csrf />
            <input type="hidden" name="next" value=next />
            {signed_in
                .choices
                .into_iter()
                .enumerate()
                .map(|(i, choice)| {
                    let at = choice
                        .organisation
                        .map(|o| format!(" at {o}"))
                        .unwrap_or_default();
                    view! {
                        <button
                            type="submit"
                            name="role"
                            value=i.to_string()
                            data-role=choice.role.as_str()
                            class="block w-full rounded border border-slate-300 bg-white px-4 py-3 text-left font-semibold hover:bg-slate-50"
                        >
                            {format!("{}{at}", choice.role.label())}
                        </button>
                    }
                })
                .collect_view()}
        </form>
    }
}
