//! The entry panel: a modal dialog opened from any timeline row (or summary line) that
//! fetches one entry with its full detail and shows every field read, where it came from,
//! its narrative (sanitised on the server), its notes as plain text, a recorded-in-error
//! badge, and a document's attachments. Keyboard and screen-reader operable: focus moves
//! into it on open, stays inside while it is open, Escape or Close closes it, and focus
//! returns to the element that opened it.
//!
//! Pages mount it once ([`EntryPanel`]) and call [`provide_entry_panel`]; anything rendered
//! below offers an [`OpenEntryButton`] when [`entry_panel_mounted`]. The panel and each button
//! are Leptos islands: the only parts of the record page hydrated in the browser.

use super::timeline::AttachmentItem;
use crate::api::get_entry;
use crate::detail::{EntryDetail, EntryRef};
use crate::ids;
use crate::model::TimelineEntry;
use crate::nhs_number::NhsNumber;
use leptos::prelude::*;

/// The id of the panel's heading (the dialog is labelled by it).
const HEADING_ID: &str = "entry-panel-heading";

/// Opens the entry panel on one entry. The panel ([`EntryPanel`]) and every button opening it
/// ([`OpenEntryButton`]) are separate Leptos islands, hydrated one by one, so they share the
/// one opener of the page (a browser-wide value) rather than a context.
#[derive(Debug, Clone, Copy)]
pub struct EntryOpener {
    current: RwSignal<Option<EntryRef>>,
}

impl EntryOpener {
    /// The page's opener. In the browser, one for the page; on the server (where nothing is
    /// ever opened), a fresh closed one for each caller, so no state outlives a request.
    pub fn of_page() -> Self {
        #[cfg(feature = "hydrate")]
        {
            thread_local! {
                static PAGE: ArcRwSignal<Option<EntryRef>> = ArcRwSignal::new(None);
            }
            Self {
                current: PAGE.with(|page| RwSignal::from(page.clone())),
            }
        }
        #[cfg(not(feature = "hydrate"))]
        {
            Self {
                current: RwSignal::new(None),
            }
        }
    }

    /// Opens the panel on `entry`, remembering the element that has focus (the row's button
    /// or summary line) to return focus to it when the panel closes.
    pub fn open(&self, entry: EntryRef) {
        focus::remember_opener();
        self.current.set(Some(entry));
    }

    /// Closes the panel and returns focus to the element that opened it.
    pub fn close(&self) {
        self.current.set(None);
        focus::return_to_opener();
    }

    /// The entry the panel is open on (tracked).
    pub fn current(&self) -> Option<EntryRef> {
        self.current.get()
    }
}

/// Marks that the page mounts the [`EntryPanel`], so what is rendered below it offers a button
/// opening each entry (call once, where the panel is mounted; rendering is on the server).
#[derive(Debug, Clone, Copy)]
struct PanelMounted;

/// Says to everything rendered below that the page mounts the entry panel.
pub fn provide_entry_panel() {
    provide_context(PanelMounted);
}

/// Whether the page mounts the entry panel (without one, rows are not openable).
pub fn entry_panel_mounted() -> bool {
    use_context::<PanelMounted>().is_some()
}

/// The title of a row or summary line as a button opening the entry panel on it: a Leptos
/// island, so only it (not the row around it) is hydrated in the browser.
#[island]
pub fn OpenEntryButton(
    at: EntryRef,
    /// The row's classes (rows and summary lines differ).
    class: String,
    /// The source marks the entry as recorded in error: struck through (`<s>`).
    struck: bool,
) -> impl IntoView {
    let opener = EntryOpener::of_page();
    let words = title_words(at.title.clone(), struck);
    view! {
        <button
            type="button"
            data-testid=ids::ENTRY_OPEN
            class=class
            on:click=move |_| opener.open(at.clone())
        >
            {words}
        </button>
    }
}

/// An entry's title, struck through (`<s>`: no longer accurate) when the source marks it as
/// recorded in error.
pub fn title_words(title: String, struck: bool) -> AnyView {
    match struck {
        true => view! { <s>{title}</s> }.into_any(),
        false => title.into_any(),
    }
}

/// What the panel holds for the entry it is open on.
#[derive(Debug, Clone, PartialEq)]
enum Loaded {
    Loading,
    Ready(Box<TimelineEntry>),
    Failed(String),
}

/// The panel, mounted once per page (a Leptos island); shown while the opener has an entry.
#[island]
pub fn EntryPanel(nhs: NhsNumber) -> impl IntoView {
    let opener = EntryOpener::of_page();
    let loaded = RwSignal::new(Loaded::Loading);
    // Only the latest request's answer is shown (a quick close and reopen on another entry).
    let latest = StoredValue::new(0u64);
    Effect::new(move |_| {
        let Some(at) = opener.current() else {
            return;
        };
        loaded.set(Loaded::Loading);
        let request = latest.get_value() + 1;
        latest.set_value(request);
        leptos::task::spawn_local(async move {
            let answer = get_entry(
                nhs.as_digits(),
                at.source_id,
                at.resource_type,
                at.resource_id,
            )
            .await;
            if latest.get_value() != request {
                return;
            }
            loaded.set(match answer {
                Ok(entry) => Loaded::Ready(Box::new(entry)),
                Err(error) => Loaded::Failed(error.to_string()),
            });
        });
    });

    let heading = NodeRef::<leptos::html::H2>::new();
    let first = NodeRef::<leptos::html::Button>::new();
    let last = NodeRef::<leptos::html::Button>::new();
    // Focus moves to the heading once the dialog is shown.
    Effect::new(move |_| {
        if opener.current().is_some() {
            if let Some(h) = heading.get() {
                let _ = h.focus();
            }
        }
    });
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "Escape" => {
            ev.prevent_default();
            opener.close();
        }
        "Tab" => {
            let active = document().active_element();
            let is = |node: Option<leptos::web_sys::HtmlElement>| {
                node.zip(active.clone())
                    .is_some_and(|(n, a)| AsRef::<leptos::web_sys::Element>::as_ref(&n) == &a)
            };
            let heading = heading.get().map(Into::into);
            let first_el = first.get().map(Into::into);
            let last_el = last.get().map(Into::into);
            if ev.shift_key() && (is(heading) || is(first_el.clone())) {
                ev.prevent_default();
                if let Some(l) = last.get() {
                    let _ = l.focus();
                }
            } else if !ev.shift_key() && is(last_el) {
                ev.prevent_default();
                if let Some(f) = first.get() {
                    let _ = f.focus();
                }
            }
        }
        _ => {}
    };

    view! {
        <Show when=move || opener.current().is_some()>
            <div class="fixed inset-0 z-40 bg-slate-900/50" on:click=move |_| opener.close()></div>
            <div
                role="dialog"
                aria-modal="true"
                aria-labelledby=HEADING_ID
                data-testid=ids::ENTRY_PANEL
                class="fixed inset-y-0 right-0 z-50 flex w-full max-w-2xl flex-col overflow-y-auto bg-white p-5 shadow-xl"
                on:keydown=on_keydown
            >
                <div class="flex items-start justify-between gap-3 border-b border-slate-200 pb-3">
                    <h2 id=HEADING_ID node_ref=heading tabindex="-1" class="text-xl font-semibold">
                        {move || opener.current().map(|e| e.title).unwrap_or_default()}
                    </h2>
                    <button
                        type="button"
                        node_ref=first
                        data-testid=ids::ENTRY_PANEL_CLOSE
                        class="rounded border-2 border-[#005eb8] px-3 py-1 font-semibold text-[#005eb8] hover:bg-blue-50"
                        on:click=move |_| opener.close()
                    >
                        "Close"
                    </button>
                </div>
                <div class="mt-3 flex-1">
                    {move || match loaded.get() {
                        Loaded::Loading => view! {
                            <p role="status" class="text-slate-700">"Loading…"</p>
                        }.into_any(),
                        Loaded::Failed(why) => view! {
                            <p data-testid=ids::ENTRY_PANEL_ERROR role="alert" class="rounded border-l-4 border-red-700 bg-red-50 p-3">
                                {format!("This entry could not be shown. {why}")}
                            </p>
                        }.into_any(),
                        Loaded::Ready(entry) => view! { <EntryBody entry=*entry nhs /> }.into_any(),
                    }}
                </div>
                <div class="mt-4 border-t border-slate-200 pt-3">
                    <button
                        type="button"
                        node_ref=last
                        class="rounded border-2 border-[#005eb8] px-3 py-1 font-semibold text-[#005eb8] hover:bg-blue-50"
                        on:click=move |_| opener.close()
                    >
                        "Close"
                    </button>
                </div>
            </div>
        </Show>
    }
    .into_any()
}

/// The entry's detail: the recorded-in-error warning first, then what it is, its fields, its
/// source, its narrative, its notes and a document's attachments.
#[component]
fn EntryBody(entry: TimelineEntry, nhs: NhsNumber) -> impl IntoView {
    let detail: EntryDetail = entry.full_detail.as_deref().cloned().unwrap_or_default();
    let date = entry
        .date
        .as_ref()
        .map(|d| d.display())
        .unwrap_or_else(|| "Date not recorded".to_owned());
    let summary = match &entry.status {
        Some(status) => format!("{} · {date} · {status}", entry.category.label()),
        None => format!("{} · {date}", entry.category.label()),
    };
    let in_error = entry.entered_in_error.then(|| {
        view! {
            <div data-testid=ids::ENTERED_IN_ERROR class="mb-3 rounded border-l-8 border-[#d5281b] bg-red-50 px-3 py-2">
                <p class="font-bold text-[#d5281b]">"Entered in error"</p>
                <p class="text-sm">"The source marks this entry as recorded in error. It is not a clinical fact about the patient."</p>
            </div>
        }
    });
    let fields = detail
        .fields
        .iter()
        .map(|f| {
            view! {
                <div class="grid grid-cols-3 gap-2 py-1">
                    <dt class="font-semibold text-slate-700">{f.label.clone()}</dt>
                    <dd class="col-span-2 whitespace-pre-wrap">{f.value.clone()}</dd>
                </div>
            }
        })
        .collect_view();
    let provenance = detail.provenance.clone();
    let source = provenance.as_ref().map_or_else(
        || entry.source_id.clone(),
        |p| format!("{} ({})", p.source_name, p.organisation_code),
    );
    let fetched = provenance
        .and_then(|p| p.fetched_at)
        .map(|at| match crate::clinical_date::ClinicalDate::parse(&at) {
            Ok(date) => format!("{} (UTC)", date.display()),
            Err(_) => at,
        })
        .unwrap_or_else(|| "Not Known".to_owned());
    let narrative = detail.narrative_html.clone().map(|html| {
        view! {
            <section data-testid=ids::ENTRY_NARRATIVE class="mt-4">
                <h3 class="text-lg font-semibold">"Narrative from the source"</h3>
                // Sanitised on the server by the portal's one HTML policy.
                <div class="mt-1 rounded border border-slate-200 p-3" inner_html=html></div>
            </section>
        }
    });
    let notes = (!detail.notes.is_empty()).then(|| {
        let items = detail
            .notes
            .iter()
            .map(|n| {
                let by = [
                    n.author.clone(),
                    n.time.as_ref().map(|t| t.display()),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
                view! {
                    <li class="rounded border border-slate-200 p-2">
                        <p class="whitespace-pre-wrap">{n.text.clone()}</p>
                        {(!by.is_empty()).then(|| view! { <p class="mt-1 text-xs text-slate-600">{by}</p> })}
                    </li>
                }
            })
            .collect_view();
        view! {
            <section class="mt-4">
                <h3 class="text-lg font-semibold">"Notes"</h3>
                <ul data-testid=ids::ENTRY_NOTES class="mt-1 space-y-2">{items}</ul>
            </section>
        }
    });
    let attachments = (!entry.attachments.is_empty()).then(|| {
        let items = entry
            .attachments
            .iter()
            .map(|a| view! { <AttachmentItem attachment=a.clone() entry=entry.clone() nhs=Some(nhs) /> })
            .collect_view();
        view! {
            <section class="mt-4">
                <h3 class="text-lg font-semibold">"Document"</h3>
                <ul data-testid=ids::ATTACHMENTS class="mt-1 space-y-1">{items}</ul>
            </section>
        }
    });
    view! {
        {in_error}
        <p class="text-slate-700">{summary}</p>
        <section class="mt-3">
            <h3 class="text-lg font-semibold">"Recorded details"</h3>
            {if detail.fields.is_empty() {
                view! { <p class="text-slate-700">"The source recorded no further details."</p> }.into_any()
            } else {
                view! { <dl data-testid=ids::ENTRY_FIELDS class="mt-1 divide-y divide-slate-100">{fields}</dl> }.into_any()
            }}
        </section>
        <section class="mt-4">
            <h3 class="text-lg font-semibold">"Where this came from"</h3>
            <dl data-testid=ids::ENTRY_PROVENANCE class="mt-1">
                <div class="grid grid-cols-3 gap-2 py-1">
                    <dt class="font-semibold text-slate-700">"Source"</dt>
                    <dd class="col-span-2">{source}</dd>
                </div>
                <div class="grid grid-cols-3 gap-2 py-1">
                    <dt class="font-semibold text-slate-700">"Record"</dt>
                    <dd class="col-span-2 font-mono">{format!("{}/{}", entry.resource_type, entry.resource_id)}</dd>
                </div>
                <div class="grid grid-cols-3 gap-2 py-1">
                    <dt class="font-semibold text-slate-700">"Fetched"</dt>
                    <dd class="col-span-2">{fetched}</dd>
                </div>
            </dl>
        </section>
        {narrative}
        {notes}
        {attachments}
    }
}

/// Where focus returns when the panel closes: the element focused when it opened. Only the
/// browser has focus; on the server these do nothing.
mod focus {
    #[cfg(feature = "hydrate")]
    thread_local! {
        static OPENER: std::cell::RefCell<Option<leptos::web_sys::HtmlElement>> =
            const { std::cell::RefCell::new(None) };
    }

    /// Remembers the focused element (the one opening the panel).
    pub(super) fn remember_opener() {
        #[cfg(feature = "hydrate")]
        {
            use leptos::wasm_bindgen::JsCast;
            let active = leptos::prelude::document()
                .active_element()
                .and_then(|e| e.dyn_into::<leptos::web_sys::HtmlElement>().ok());
            OPENER.with(|o| *o.borrow_mut() = active);
        }
    }

    /// Returns focus to the remembered element, if it is still on the page.
    pub(super) fn return_to_opener() {
        #[cfg(feature = "hydrate")]
        OPENER.with(|o| {
            if let Some(element) = o.borrow_mut().take() {
                if element.is_connected() {
                    let _ = element.focus();
                }
            }
        });
    }
}
