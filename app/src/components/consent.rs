//! What the consent policy asks and answers, on the record page: the legitimate-basis prompt,
//! the dissent notice (with the emergency route where policy offers it), the banner saying what
//! basis the record was opened on, and the markers for withheld items.

use crate::api::{LookupError, RecordBasis};
use crate::components::identity::IdentityPanel;
use crate::consent::{
    Basis, BasisOption, BasisPrompt, ConsentUnknownNotice, DissentNotice, WithheldItems,
};
use crate::identity::IdentityCheck;
use crate::ids;
use crate::model::SourceReport;
use leptos::prelude::*;

/// Shows whose record it is (the identity check), then asks why the user is opening it: one
/// form per basis their role may give. A number no source holds asks nothing.
#[component]
pub fn BasisForm(
    nhs_number: String,
    prompt: BasisPrompt,
    action: ServerAction<RecordBasis>,
) -> impl IntoView {
    let lasts = prompt.lasts_minutes;
    let checked = prompt.identity != IdentityCheck::NotChecked;
    let asks = prompt.identity.asks_basis();
    let options = prompt
        .options
        .into_iter()
        .map(|option| view! { <BasisChoice option nhs_number=nhs_number.clone() action /> })
        .collect_view();
    let heading = if checked {
        view! { <h2 class="text-xl font-semibold">"Why are you opening this record?"</h2> }
            .into_any()
    } else {
        view! { <h1 class="text-xl font-semibold">"Why are you opening this record?"</h1> }
            .into_any()
    };
    view! {
        <IdentityPanel identity=prompt.identity nhs_number=nhs_number.clone() />
        {asks.then(|| view! {
            <section data-testid=ids::BASIS_PROMPT class="mt-6 rounded bg-white p-4 shadow">
                {heading}
                <p class="mt-1 text-sm text-slate-700">
                    {format!("Your answer is recorded in the audit trail and lasts {lasts} minutes for this patient. The record is not opened until you answer.")}
                </p>
                <RefusalMessage action />
                <div class="mt-4 grid gap-4 md:grid-cols-2">{options}</div>
            </section>
        })}
    }
}

/// The patient has dissented: says where it is recorded and whom to contact, and offers the
/// emergency route only when policy gives it to this role.
#[component]
pub fn DissentPage(
    nhs_number: String,
    notice: DissentNotice,
    action: ServerAction<RecordBasis>,
) -> impl IntoView {
    let contact = if notice.organisation_code.is_empty() {
        notice.recorded_by.clone()
    } else {
        format!("{} ({})", notice.recorded_by, notice.organisation_code)
    };
    view! {
        <section data-testid=ids::DISSENT role="alert" class="mt-6 rounded border-l-4 border-[#d5281b] bg-white p-4 shadow">
            <h1 class="text-xl font-semibold">"This patient has asked for their record not to be shared"</h1>
            <p class="mt-2">
                {format!("Their objection is recorded by {contact}. No data from the shared record is shown. The patient can change their choice with that organisation; for questions about it, contact them.")}
            </p>
            <EmergencyRoute emergency=notice.emergency nhs_number action />
        </section>
    }
}

/// The patient's wishes could not be checked (a source that can hold an objection did not
/// answer about consent): says which and why, and offers only the route that may override an
/// objection. Never shown as "no objection".
#[component]
pub fn ConsentUnknownPage(
    nhs_number: String,
    notice: ConsentUnknownNotice,
    action: ServerAction<RecordBasis>,
) -> impl IntoView {
    let unread = notice
        .unread
        .iter()
        .map(|u| view! { <li>{u.describe()}</li> })
        .collect_view();
    view! {
        <section data-testid=ids::CONSENT_UNKNOWN role="alert" class="mt-6 rounded border-l-4 border-[#d5281b] bg-white p-4 shadow">
            <h1 class="text-xl font-semibold">"The patient's wishes about sharing could not be checked"</h1>
            <p class="mt-2">"These organisations can hold the patient's objection to sharing, but their answer could not be read:"</p>
            <ul class="mt-1 list-disc pl-6">{unread}</ul>
            <p class="mt-2">"The patient may have objected, so no data from the shared record is shown on this basis. Try again in a few minutes, or ask the patient."</p>
            <EmergencyRoute emergency=notice.emergency nhs_number action />
        </section>
    }
}

/// The basis that may override the patient's (possible) objection, when policy gives it to
/// this role; otherwise says the role cannot.
#[component]
fn EmergencyRoute(
    emergency: Option<BasisOption>,
    nhs_number: String,
    action: ServerAction<RecordBasis>,
) -> impl IntoView {
    match emergency {
        Some(option) => view! {
            <div class="mt-4 border-t border-slate-200 pt-4">
                <p class="text-sm text-slate-700">"In an emergency, when the patient cannot be asked and viewing is in their vital interest, you may open the record. The patient's objection and your reason are recorded and reviewed."</p>
                <RefusalMessage action />
                <div class="mt-3 max-w-xl"><BasisChoice option nhs_number action /></div>
            </div>
        }.into_any(),
        None => view! {
            <p class="mt-3 text-sm text-slate-700">"Your role cannot override the patient's objection."</p>
        }.into_any(),
    }
}

/// One basis as a form of its own: a reason box when the basis needs one.
#[component]
fn BasisChoice(
    option: BasisOption,
    nhs_number: String,
    action: ServerAction<RecordBasis>,
) -> impl IntoView {
    let needs_reason = option.reason_min_chars > 0;
    let test_id = format!("basis-{}", option.code);
    let reason_id = format!("reason-{}", option.code);
    let hint = format!("At least {} characters.", option.reason_min_chars);
    let button = if option.code == crate::consent::EMERGENCY {
        "Open in an emergency"
    } else {
        "Open the record"
    };
    view! {
        <ActionForm action attr:data-testid=test_id attr:class="rounded border border-slate-300 p-3">
            <input type="hidden" name="nhs_number" value=nhs_number />
            <input type="hidden" name="code" value=option.code />
            <h2 class="font-semibold">{option.label}</h2>
            <p class="mt-1 text-sm text-slate-700">{option.hint}</p>
            {if needs_reason {
                view! {
                    <label class="mt-2 block text-sm font-semibold" for=reason_id.clone()>"Reason"</label>
                    <p class="text-xs text-slate-600">{hint}</p>
                    <textarea id=reason_id name="reason" rows="3" class="mt-1 w-full rounded border border-slate-400 p-2"></textarea>
                }.into_any()
            } else {
                view! { <input type="hidden" name="reason" value="" /> }.into_any()
            }}
            <button type="submit" class="mt-3 rounded bg-[#007f3b] px-4 py-2 font-semibold text-white">{button}</button>
        </ActionForm>
    }
}

/// The server's refusal of the last basis given (e.g. a reason too short), if any.
#[component]
fn RefusalMessage(action: ServerAction<RecordBasis>) -> impl IntoView {
    move || {
        action.value().get().and_then(Result::err).map(|error: LookupError| {
            view! {
                <p data-testid=ids::BASIS_REFUSED role="alert" class="mt-3 border-l-4 border-[#d5281b] bg-red-50 px-3 py-2 text-sm">
                    {error.to_string()}
                </p>
            }
        })
    }
}

/// What the record was opened on; an emergency access says it will be reviewed.
#[component]
pub fn BasisBanner(basis: Basis) -> impl IntoView {
    if basis.is_emergency() {
        view! {
            <p data-testid=ids::BASIS_BANNER class="border-l-4 border-[#d5281b] bg-red-50 px-4 py-2 text-sm">
                <strong>"Emergency access. "</strong>
                {format!("Your reason: “{}”. This access is recorded and will be reviewed.", basis.reason)}
            </p>
        }
        .into_any()
    } else {
        view! {
            <p data-testid=ids::BASIS_BANNER class="border-l-4 border-[#007f3b] bg-green-50 px-4 py-2 text-sm">
                "Opened with the patient's permission."
            </p>
        }
        .into_any()
    }
}

/// "3 items withheld", and where: each source, category and reason.
#[component]
pub fn WithheldList(withheld: Vec<WithheldItems>, sources: Vec<SourceReport>) -> impl IntoView {
    let total: usize = withheld.iter().map(|w| w.count).sum();
    let heading = match total {
        1 => "1 item withheld".to_owned(),
        n => format!("{n} items withheld"),
    };
    let rows = withheld
        .into_iter()
        .map(|w| {
            let source = sources
                .iter()
                .find(|s| s.id == w.source_id)
                .map_or_else(|| w.source_id.clone(), |s| s.name.clone());
            view! {
                <li>{format!("{} ({}, {source})", w.describe(), w.category.label())}</li>
            }
        })
        .collect_view();
    (total > 0).then(|| {
        view! {
            <section data-testid=ids::WITHHELD class="mt-3 rounded border-l-4 border-[#ffb81c] bg-amber-50 px-4 py-2 text-sm">
                <h2 class="font-semibold">{heading}</h2>
                <p>"These items exist but are not shown to you. Their holders can be asked through the usual routes."</p>
                <ul class="mt-1 list-disc pl-5">{rows}</ul>
            </section>
        }
    })
}
