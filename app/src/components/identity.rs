//! Whose record it is, on the basis prompt before any basis is asked: the patient's name, date
//! of birth with age, gender, NHS number, address and registered GP practice from the sources'
//! Patient resources, warnings where sources disagree, each source's answer (a failed source is
//! named, never read as "not held"), or why nothing is shown.

use crate::identity::{age_text, IdentityAnswer, IdentityCheck, IdentitySource};
use crate::ids;
use crate::model::Demographics;
use leptos::prelude::*;

/// The identity check as the prompt shows it; nothing for a prompt without one.
#[component]
pub fn IdentityPanel(identity: IdentityCheck, nhs_number: String) -> impl IntoView {
    let nhs = crate::nhs_number::NhsNumber::parse(&nhs_number)
        .map(|n| n.formatted())
        .unwrap_or(nhs_number);
    match identity {
        IdentityCheck::NotChecked => ().into_any(),
        IdentityCheck::NotShown => view! {
            <section data-testid=ids::IDENTITY_NOT_SHOWN class="mt-6 rounded border-l-4 border-[#005eb8] bg-white p-4 shadow">
                <h1 class="text-xl font-semibold">{format!("NHS number {nhs}")}</h1>
                <p class="mt-1">"This patient's details are not shown until you say why you are opening their record."</p>
            </section>
        }
        .into_any(),
        IdentityCheck::NotHeld { sources } => view! { <NotHeld nhs sources /> }.into_any(),
        IdentityCheck::Shown {
            sources,
            warnings,
            today,
        } => view! { <Shown nhs sources warnings today /> }.into_any(),
    }
}

#[component]
fn Shown(
    nhs: String,
    sources: Vec<IdentitySource>,
    warnings: Vec<String>,
    today: String,
) -> impl IntoView {
    let held_by = sources.iter().find_map(|s| match &s.answer {
        IdentityAnswer::Holds(found) => found.first().map(|d| (d.clone(), s.label())),
        _ => None,
    });
    let (details, held_by) = held_by.unwrap_or_default();
    let fields = fields(&details, &today);
    let warnings = (!warnings.is_empty()).then(|| {
        let items = warnings
            .into_iter()
            .map(|w| view! { <li>{w}</li> })
            .collect_view();
        view! {
            <div data-testid=ids::IDENTITY_WARNINGS role="alert" class="mt-3 border-l-4 border-amber-600 bg-amber-50 px-4 py-2">
                <h2 class="font-semibold text-amber-900">"The sources do not agree about who this is"</h2>
                <ul class="mt-1 list-disc pl-5 text-sm text-amber-900">{items}</ul>
            </div>
        }
    });
    view! {
        <section data-testid=ids::IDENTITY aria-labelledby="identity-heading" class="mt-6 rounded bg-white p-4 shadow">
            <h1 id="identity-heading" class="text-xl font-semibold">"Check this is your patient"</h1>
            <p class="mt-1 text-sm text-slate-700">
                {format!("Patient details as held by {held_by}. No clinical information has been read.")}
            </p>
            <dl class="mt-3 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1">
                <dt class="text-slate-700">"Name"</dt>
                <dd data-field="name" class="text-lg font-bold">{fields.name}</dd>
                <dt class="text-slate-700">"Born"</dt>
                <dd data-field="born" class="font-semibold">{fields.born}</dd>
                <dt class="text-slate-700">"Gender"</dt>
                <dd data-field="gender" class="font-semibold">{fields.gender}</dd>
                <dt class="text-slate-700">"NHS No."</dt>
                <dd data-field="nhs-number" class="font-mono font-semibold">{nhs}</dd>
                <dt class="text-slate-700">"Address"</dt>
                <dd data-field="address" class="font-semibold">{fields.address}</dd>
                <dt class="text-slate-700">"GP practice"</dt>
                <dd data-field="gp-practice" class="font-semibold">{fields.practice}</dd>
            </dl>
            {warnings}
            <SourceAnswers sources />
        </section>
    }
}

#[component]
fn NotHeld(nhs: String, sources: Vec<IdentitySource>) -> impl IntoView {
    let failed = sources
        .iter()
        .filter(|s| matches!(s.answer, IdentityAnswer::Failed(_)))
        .count();
    let said = match failed {
        0 => "No source holds a record for this NHS number, so there is no record to open. Check the number with the patient or their documents.".to_owned(),
        n if n == sources.len() => "No source could be asked, so a record may still exist. Try again in a few minutes.".to_owned(),
        1 => "The sources that answered do not hold this NHS number. 1 source could not be asked, so a record may still exist there.".to_owned(),
        n => format!("The sources that answered do not hold this NHS number. {n} sources could not be asked, so a record may still exist there."),
    };
    view! {
        <section data-testid=ids::IDENTITY_NOT_HELD aria-labelledby="identity-heading" class="mt-6 rounded bg-white p-4 shadow">
            <h1 id="identity-heading" class="text-xl font-semibold">{format!("No record found for NHS number {nhs}")}</h1>
            <p class="mt-1 text-slate-700">{said}</p>
            <SourceAnswers sources />
        </section>
    }
}

/// Each source's answer: holds a record, not known there, or could not be asked (and why).
#[component]
fn SourceAnswers(sources: Vec<IdentitySource>) -> impl IntoView {
    let items = sources
        .into_iter()
        .map(|s| {
            let (answer, said) = match &s.answer {
                IdentityAnswer::Holds(_) => ("holds", "holds a record".to_owned()),
                IdentityAnswer::NotHeld => ("not-held", "not known there".to_owned()),
                IdentityAnswer::Failed(why) => ("failed", format!("could not be asked ({why})")),
            };
            view! {
                <li data-source-id=s.source_id.clone() data-answer=answer>
                    {format!("{}: {said}", s.label())}
                </li>
            }
        })
        .collect_view();
    view! {
        <div data-testid=ids::IDENTITY_SOURCES class="mt-3">
            <h2 class="text-sm font-semibold">"Each source's answer"</h2>
            <ul class="mt-1 list-disc pl-5 text-sm text-slate-700">{items}</ul>
        </div>
    }
}

/// The details in NHS display form; unknown parts read "Not Known".
struct Fields {
    name: String,
    born: String,
    gender: String,
    address: String,
    practice: String,
}

fn fields(d: &Demographics, today: &str) -> Fields {
    const NOT_KNOWN: &str = "Not Known";
    let born = d.birth_date.as_ref().map_or_else(
        || NOT_KNOWN.to_owned(),
        |b| match age_text(b, today) {
            Some(age) => format!("{} ({age})", b.display()),
            None => b.display(),
        },
    );
    let gender = match d.gender.as_deref() {
        Some("female") => "Female",
        Some("male") => "Male",
        Some("other") => "Other",
        _ => NOT_KNOWN,
    };
    let address = if d.address.is_empty() {
        NOT_KNOWN.to_owned()
    } else {
        d.address.join(", ")
    };
    Fields {
        name: d.display_name(),
        born,
        gender: gender.to_owned(),
        address,
        practice: d
            .gp_practice
            .as_ref()
            .map_or_else(|| NOT_KNOWN.to_owned(), |p| p.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clinical_date::ClinicalDate;
    use crate::model::GpPractice;

    #[test]
    fn details_read_the_nhs_way() {
        let d = Demographics {
            family: Some("Smith".into()),
            given: vec!["Jane".into()],
            prefix: Some("Mrs".into()),
            birth_date: Some(ClinicalDate::parse("1947-03-14").unwrap()),
            gender: Some("female".into()),
            address: vec!["1 Mill Lane".into(), "Leeds".into(), "LS1 4AP".into()],
            gp_practice: Some(GpPractice {
                name: Some("Riverside Medical Practice".into()),
                ods_code: Some("Y12345".into()),
                usual_gp: None,
            }),
            ..Default::default()
        };
        let f = fields(&d, "2026-03-14");
        assert_eq!(f.name, "SMITH, Jane (Mrs)");
        assert_eq!(f.born, "14-Mar-1947 (79y)");
        assert_eq!(f.gender, "Female");
        assert_eq!(f.address, "1 Mill Lane, Leeds, LS1 4AP");
        assert_eq!(f.practice, "Riverside Medical Practice (Y12345)");
        let unknown = fields(
            &Demographics {
                birth_date: Some(ClinicalDate::parse("1947").unwrap()),
                gender: Some("unknown".into()),
                ..Default::default()
            },
            "2026-03-14",
        );
        assert_eq!(
            (
                unknown.name.as_str(),
                unknown.born.as_str(),
                unknown.gender.as_str(),
                unknown.address.as_str(),
                unknown.practice.as_str()
            ),
            ("Not Known", "1947", "Not Known", "Not Known", "Not Known")
        );
    }
}
