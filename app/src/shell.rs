//! The HTML document and the top-level app: header, routes and the hydration marker.

use crate::api::whoami;
use crate::auth::SignedIn;
use crate::ids;
use crate::pages::{
    AdminPage, AuditPage, ChooseRolePage, LookupPage, NotFound, PatientAccessPage, RecordPage,
    ReportsPage, SearchPage, SignInPage, TrendsPage,
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::path;

/// Where the page's stylesheet is served: the build's content-hashed name
/// (`/pkg/app.<hash>.css`, cached for a year), provided as context by the server when the built
/// site has one; otherwise the plain, revalidated `/pkg/app.css`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StylesheetHref(pub String);

impl Default for StylesheetHref {
    fn default() -> Self {
        Self("/pkg/app.css".to_owned())
    }
}

/// The browser bundle that hydrates a page. The clinicians' pages are Leptos islands, and
/// their bundle holds only the islands; the audit and admin pages are hydrated whole by the
/// office bundle, which holds the whole app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bundle {
    Clinical,
    Office,
}

impl Bundle {
    /// The addresses under these go to the office bundle.
    const OFFICE_ROOTS: [&'static str; 2] = ["/audit", "/admin"];

    /// The bundle for a request's address (path, with or without its query).
    pub fn for_address(address: &str) -> Self {
        let path = address.split(['?', '#']).next().unwrap_or_default();
        let office = Self::OFFICE_ROOTS.iter().any(|root| {
            path.strip_prefix(root)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        });
        if office {
            Self::Office
        } else {
            Self::Clinical
        }
    }

    /// The stem of the bundle's files under `/pkg` (`<stem>.<hash>.js`, `<stem>.<hash>.wasm`).
    pub fn stem(self) -> &'static str {
        match self {
            Self::Clinical => "app",
            Self::Office => "office",
        }
    }
}

/// The clinicians' bundle's two files (`/pkg/app.<hash>.js` and `/pkg/app.<hash>.wasm` when
/// built, cached for a year), provided as context by the server; otherwise the plain names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClinicalBundle {
    pub js: String,
    pub wasm: String,
}

impl Default for ClinicalBundle {
    fn default() -> Self {
        let stem = Bundle::Clinical.stem();
        Self {
            js: format!("/pkg/{stem}.js"),
            wasm: format!("/pkg/{stem}_bg.wasm"),
        }
    }
}

/// Leptos's options naming the office bundle's files, provided as context by the server. The
/// options the shell is given name the clinicians' bundle.
#[derive(Debug, Clone)]
pub struct OfficeBundle(pub LeptosOptions);

/// The document the server streams. The script and stylesheet links live here, in `<head>`,
/// which only the server renders, so their hashed names need not be known to the browser
/// bundle. The office pages are hydrated whole by the office bundle; the clinicians' pages
/// are Leptos islands: rendered on the server only, but for the few interactive parts marked
/// `#[island]`, which the clinicians' bundle hydrates ([`IslandScripts`]). `_clinical` names
/// the clinicians' bundle for Leptos; the islands script takes its names from
/// [`ClinicalBundle`] instead.
pub fn shell(_clinical: LeptosOptions) -> impl IntoView {
    let stylesheet = use_context::<StylesheetHref>().unwrap_or_default().0;
    let scripts = match office_options() {
        Some(office) => view! { <HydrationScripts options=office /> }.into_any(),
        None => view! { <IslandScripts /> }.into_any(),
    };
    view! {
        <!DOCTYPE html>
        <html lang="en-GB">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="robots" content="noindex, nofollow" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <link rel="stylesheet" id="leptos" href=stylesheet />
                {scripts}
                <MetaTags />
            </head>
            <body class="bg-slate-100 text-slate-900 antialiased">
                <App />
            </body>
        </html>
    }
}

/// The office bundle's options when the server provides them and this request's address is
/// an office page; `None` for the clinicians' pages.
fn office_options() -> Option<LeptosOptions> {
    #[cfg(feature = "ssr")]
    {
        let request = use_context::<http::request::Parts>();
        let path = request.as_ref().map(|r| r.uri.path()).unwrap_or_default();
        if Bundle::for_address(path) == Bundle::Office {
            return use_context::<OfficeBundle>().map(|OfficeBundle(office)| office);
        }
    }
    None
}

/// The clinicians' pages' script: renders the rest of the page without hydration markers (so
/// only islands are hydrated), preloads the clinicians' bundle, and, once the whole document
/// has arrived (the record streams in by source), hydrates every island on the page in
/// document order and marks the app root `data-hydrated="true"` (`islands.js`). Waiting for
/// the whole document matters: an island streamed in after the islands were hydrated would
/// never be.
#[component]
fn IslandScripts() -> impl IntoView {
    if let Some(context) = Owner::current_shared_context() {
        context.set_is_hydrating(false);
    }
    let ClinicalBundle { js, wasm } = use_context::<ClinicalBundle>().unwrap_or_default();
    let nonce = leptos::nonce::use_nonce();
    let script = format!(
        "{}({js:?}, {wasm:?}, {:?});",
        include_str!("islands.js"),
        ids::APP_ROOT
    );
    view! {
        <link rel="modulepreload" href=js.clone() crossorigin="" />
        <link rel="preload" href=wasm r#as="fetch" r#type="application/wasm" crossorigin="" />
        <script type="module" nonce=nonce>{script}</script>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser, so this flips once the wasm bundle has hydrated the page.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    nhs_number_shortcut();

    view! {
        // Page titles name the page, never the patient (titles show in tabs and histories).
        <Title formatter=|page: String| format!("{page} – Shared care record") />
        <Router>
            <div data-testid=ids::APP_ROOT data-hydrated=move || hydrated.get().to_string()>
                <a
                    href="#main"
                    data-testid=ids::SKIP_LINK
                    class="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:bg-[#ffeb3b] focus:px-3 focus:py-2 focus:font-semibold focus:text-slate-950"
                >
                    "Skip to main content"
                </a>
                <Header />
                <main id="main" tabindex="-1" class="mx-auto max-w-6xl px-4 py-6 focus:outline-none">
                    <Routes fallback=NotFound>
                        <Route path=path!("/") view=|| view! { <Title text="Find a patient" /> <LookupPage /> } />
                        <Route path=path!("/record") view=|| view! { <Title text="Patient record" /> <RecordPage /> } />
                        <Route path=path!("/record/trends") view=TrendsPage />
                        <Route path=path!("/search") view=|| view! { <Title text="Search by details" /> <SearchPage /> } />
                        <Route path=path!("/signin") view=|| view! { <Title text="Sign in" /> <SignInPage /> } />
                        <Route path=path!("/choose-role") view=|| view! { <Title text="Choose your role" /> <ChooseRolePage /> } />
                        <Route path=path!("/audit") view=|| view! { <Title text="Audit review" /> <AuditPage /> } />
                        <Route path=path!("/audit/reports") view=|| view! { <Title text="Access reports" /> <ReportsPage /> } />
                        <Route path=path!("/audit/patient") view=|| view! { <Title text="Patient access report" /> <PatientAccessPage /> } />
                        <Route path=path!("/admin") view=|| view! { <Title text="Operations" /> <AdminPage /> } />
                    </Routes>
                </main>
            </div>
        </Router>
    }
}

/// What the clinicians' bundle does for the whole page before it hydrates the islands (their
/// pages are not hydrated whole, so the effects of [`App`] and the banner do not run there):
/// the "/" shortcut, and focus where the page is about. A record page takes focus on its
/// heading, so keyboard and screen-reader users start at whose record it is; a record page
/// loaded by a timeline control (its address ends `#timeline`) on the timeline, so a filter or
/// page keeps the clinician at the entries they asked for.
#[cfg(feature = "islands")]
pub fn start_page() {
    use leptos::wasm_bindgen::JsCast;
    nhs_number_shortcut();
    let by_id = |id: &str| {
        document()
            .get_element_by_id(id)
            .and_then(|e| e.dyn_into::<leptos::web_sys::HtmlElement>().ok())
    };
    let fragment = window().location().hash().unwrap_or_default();
    let asked = fragment
        .strip_prefix('#')
        .filter(|id| !id.is_empty())
        .and_then(by_id);
    if let Some(target) = asked.or_else(|| by_id(crate::components::RECORD_HEADING_ID)) {
        let _ = target.focus();
    }
}

/// "/" anywhere outside a text box moves focus to the NHS number box (the search-box
/// convention), so a clinician can start the next lookup without the mouse. Browser only.
fn nhs_number_shortcut() {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        use leptos::web_sys::{Element, HtmlElement};
        let handle = window_event_listener(leptos::ev::keydown, |event| {
            if event.key() != "/" || event.ctrl_key() || event.meta_key() || event.alt_key() {
                return;
            }
            let typing = event
                .target()
                .and_then(|t| t.dyn_into::<Element>().ok())
                .is_some_and(|e| {
                    matches!(e.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                        || e.has_attribute("contenteditable")
                });
            let input = document()
                .get_element_by_id("nhs")
                .and_then(|e| e.dyn_into::<HtmlElement>().ok());
            if let (false, Some(input)) = (typing, input) {
                event.prevent_default();
                let _ = input.focus();
            }
        });
        on_cleanup(move || handle.remove());
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

#[cfg(test)]
mod tests {
    use super::Bundle;

    #[test]
    fn audit_and_admin_addresses_go_to_the_office_bundle_and_nothing_else_does() {
        let table = [
            ("/audit", Bundle::Office),
            ("/audit?reviews=done", Bundle::Office),
            ("/audit/reports?from=2026-11-01", Bundle::Office),
            ("/audit/patient#top", Bundle::Office),
            ("/admin", Bundle::Office),
            ("/admin/", Bundle::Office),
            ("/", Bundle::Clinical),
            ("/record?nhs=9434765919", Bundle::Clinical),
            ("/record/trends", Bundle::Clinical),
            ("/auditor", Bundle::Clinical),
            ("/administer", Bundle::Clinical),
            ("/search?audit=1", Bundle::Clinical),
            ("", Bundle::Clinical),
        ];
        for (address, bundle) in table {
            assert_eq!(Bundle::for_address(address), bundle, "{address}");
        }
        assert_eq!(Bundle::Clinical.stem(), "app");
        assert_eq!(Bundle::Office.stem(), "office");
    }
}
