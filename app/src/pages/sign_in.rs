//! The sign-in page: one button per trusted identity provider. Signing in itself happens on
//! the server (`/auth/login` → provider → `/auth/callback`).

use crate::api::sign_in_options;
use crate::auth::SignInOption;
use crate::ids;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_else(|| "/".to_owned());
    let signed_out = move || query.read().get("signed_out").is_some();
    let options = Resource::new(|| (), |_| sign_in_options());
    view! {
        <h1 class="text-2xl font-semibold">"Sign in"</h1>
        <Show when=signed_out>
            <p data-testid=ids::SIGNED_OUT role="status" class="mt-3 rounded border-l-4 border-green-700 bg-green-50 p-3">
                "You have signed out."
            </p>
        </Show>
        <p class="mt-2 text-slate-700">
            "Sign in with your organisation's account (NHS smartcard or Care Identity Service). Every record you open is audited."
        </p>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let options = options.await.unwrap_or_default();
                view! { <Providers options next=next() /> }
            })}
        </Suspense>
    }
}

#[component]
fn Providers(options: Vec<SignInOption>, next: String) -> impl IntoView {
    let next = crate::auth::encode_query_value(&next);
    view! {
        <ul data-testid=ids::SIGN_IN_OPTIONS class="mt-4 space-y-2">
            {options
                .into_iter()
                .map(|o| {
                    let href = format!("/auth/login?issuer={}&next={next}", o.id);
                    view! {
                        <li>
                            <a
                                class="inline-block rounded bg-[#005eb8] px-4 py-2 font-semibold text-white hover:bg-[#004b93]"
                                href=href
                                rel="external"
                            >
                                {format!("Sign in with {}", o.name)}
                            </a>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}
