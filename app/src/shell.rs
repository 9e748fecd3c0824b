//! The HTML document and the top-level app: header, routes and the hydration marker.

use crate::api::whoami;
use crate::auth::SignedIn;
use crate::ids;
use crate::pages::{
    AdminPage, AuditPage, ChooseRolePage, LookupPage, NotFound, PatientAccessPage, RecordPage,
    ReportsPage, SearchPage, SignInPage, TrendsPage,
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::path;

/// The document the server streams; the browser bundle hydrates `<body>`.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en-GB">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="robots" content="noindex, nofollow" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body class="bg-slate-100 text-slate-900 antialiased">
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser, so this flips once the wasm bundle has hydrated the page.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    view! {
        <Stylesheet id="leptos" href="/pkg/app.css" />
        <Title text="Shared care record" />
        <Router>
            <div data-testid=ids::APP_ROOT data-hydrated=move || hydrated.get().to_string()>
                <Header />
                <main class="mx-auto max-w-6xl px-4 py-6">
                    <Routes fallback=NotFound>
                        <Route path=path!("/") view=LookupPage />
                        <Route path=path!("/record") view=RecordPage />
                        <Route path=path!("/record/trends") view=TrendsPage />
                        <Route path=path!("/search") view=SearchPage />
                        <Route path=path!("/signin") view=SignInPage />
                        <Route path=path!("/choose-role") view=ChooseRolePage />
                        <Route path=path!("/audit") view=AuditPage />
                        <Route path=path!("/audit/reports") view=ReportsPage />
                        <Route path=path!("/audit/patient") view=PatientAccessPage />
                        <Route path=path!("/admin") view=AdminPage />
                    </Routes>
                </main>
            </div>
        </Router>
    }
}

#[component]
fn Header() -> impl IntoView {
    let who = Resource::new(|| (), |_| whoami());
    view! {
        <header class="bg-[#005eb8] text-white">
            <div class="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-2 px-4 py-3">
                <A href="/" attr:class="text-lg font-semibold hover:underline">
                    "Shared care record"
                </A>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        match who.await {
                            Ok(Some(signed_in)) => view! { <CurrentUser signed_in /> }.into_any(),
                            _ => view! {
                                <span class="text-sm opacity-90">"Read-only view for urgent and emergency care"</span>
                            }.into_any(),
                        }
                    })}
                </Suspense>
            </div>
        </header>
    }
}

/// Who is signed in, in which role and where; change role; sign out.
#[component]
fn CurrentUser(signed_in: SignedIn) -> impl IntoView {
    let acting = match &signed_in.viewer {
        Some(v) => {
            let at = v
                .organisation
                .as_ref()
                .map(|o| format!(" at {o}"))
                .unwrap_or_default();
            format!("{}{at}", v.role.label())
        }
        None => "No role chosen".to_owned(),
    };
    let several = signed_in.choices.len() > 1;
    view! {
        <div data-testid=ids::CURRENT_USER class="flex flex-wrap items-center gap-3 text-sm">
            <span>
                <span class="font-semibold">{signed_in.name.clone()}</span>
                " · "
                <span data-testid=ids::ACTIVE_ROLE>{acting}</span>
            </span>
            <Show when=move || several>
                <a class="underline" href="/choose-role">"Change role"</a>
            </Show>
            <form method="post" action="/auth/signout" data-testid=ids::SIGN_OUT>
                <input type="hidden" name="csrf" value=signed_in.csrf_token.clone() />
                <button type="submit" class="rounded border border-white px-2 py-1 hover:bg-white hover:text-[#005eb8]">
                    "Sign out"
                </button>
            </form>
        </div>
    }
}
