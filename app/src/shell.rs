//! The HTML document and the top-level app: header, routes and the hydration marker.

use crate::ids;
use crate::pages::{LookupPage, NotFound, RecordPage, SearchPage};
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
                        <Route path=path!("/search") view=SearchPage />
                    </Routes>
                </main>
            </div>
        </Router>
    }
}

#[component]
fn Header() -> impl IntoView {
    view! {
        <header class="bg-[#005eb8] text-white">
            <div class="mx-auto flex max-w-6xl items-center justify-between px-4 py-3">
                <A href="/" attr:class="text-lg font-semibold hover:underline">
                    "Shared care record"
                </A>
                <span class="text-sm opacity-90">"Read-only view for urgent and emergency care"</span>
            </div>
        </header>
    }
}
