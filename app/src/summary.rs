//! The record's summary, in the order an A&E clinician asks: allergies, current medicines,
//! active problems, alerts, end-of-life and care plans, the last A&E attendance and admission.
//! Each section knows whether it can be trusted to be complete: it says "none recorded" only
//! when every source that could hold such items answered, and otherwise names the sources
//! that could not be read. Pure: built from the record the server sent.

use crate::clinical_date::ClinicalDate;
use crate::model::{Category, PatientRecord, SourceReport, SourceStatus, TimelineEntry};
use std::collections::HashSet;

/// The summary's sections, in the order they are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionKind {
    Allergies,
    Medicines,
    Problems,
    Alerts,
    CarePlans,
    Attendances,
}

impl SectionKind {
    pub const ALL: [SectionKind; 6] = [
        Self::Allergies,
        Self::Medicines,
        Self::Problems,
        Self::Alerts,
        Self::CarePlans,
        Self::Attendances,
    ];

    pub fn heading(self) -> &'static str {
        match self {
            Self::Allergies => "Allergies and adverse reactions",
            Self::Medicines => "Current medicines",
            Self::Problems => "Active problems",
            Self::Alerts => "Alerts and flags",
            Self::CarePlans => "End of life and care plans",
            Self::Attendances => "Last A&E attendance and admission",
        }
    }

    /// The machine name, for test ids and anchors (`summary-allergies`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allergies => "allergies",
            Self::Medicines => "medicines",
            Self::Problems => "problems",
            Self::Alerts => "alerts",
            Self::CarePlans => "care-plans",
            Self::Attendances => "attendances",
        }
    }

    /// The timeline categories the section is drawn from: a source that could not supply
    /// one of them leaves the section incomplete.
    fn categories(self) -> &'static [Category] {
        match self {
            Self::Allergies => &[Category::Allergy],
            Self::Medicines => &[Category::Medication],
            Self::Problems => &[Category::Problem],
            Self::Alerts => &[Category::Alert],
            // End-of-life decisions are also recorded as alerts, problems or procedures.
            Self::CarePlans => &[
                Category::CarePlan,
                Category::Alert,
                Category::Problem,
                Category::Procedure,
            ],
            Self::Attendances => &[Category::Encounter],
        }
    }
}

/// One line of a section: an entry, with what the summary adds to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Line<'a> {
    pub entry: &'a TimelineEntry,
    /// A word before the title: "A&E attendance", "Admission" (last attendances only).
    pub label: Option<&'static str>,
    /// What makes this line need a second look, in words: "May have ended: course ended
    /// 03-Nov-2026", "Dated in the future", "Also issued 5 more times at this source".
    pub notes: Vec<String>,
    /// True for an end-of-life decision (a DNACPR, ReSPECT or end-of-life plan).
    pub end_of_life: bool,
}

/// What a section can say about completeness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    /// Every source that could hold such items answered in full.
    Complete,
    /// Some could not be read: one sentence each, naming the source.
    Incomplete(Vec<String>),
}

/// One section of the summary.
#[derive(Debug, Clone, PartialEq)]
pub struct Section<'a> {
    pub kind: SectionKind,
    pub lines: Vec<Line<'a>>,
    pub coverage: Coverage,
    /// Items of this section's kind not shown to the viewer (so "none recorded" would be
    /// untrue): for a summary-only role this is never broken down by kind.
    pub withheld: bool,
}

impl Section<'_> {
    /// The words when the section has no lines: never "none recorded" when a source that
    /// could hold such items could not be read, or when some are withheld.
    pub fn empty_text(&self) -> String {
        match (&self.coverage, self.withheld) {
            (Coverage::Incomplete(_), _) => {
                "Not known: not every source that could hold these could be read.".to_owned()
            }
            (Coverage::Complete, true) => "None shown to you.".to_owned(),
            (Coverage::Complete, false) => "None recorded.".to_owned(),
        }
    }
}

/// The status a source's "no known allergies" record is given (GP Connect's SNOMED CT
/// 716186003 and its kind): an assertion, not an allergy.
pub const NO_KNOWN_ALLERGIES: &str = "no known allergies";

/// The whole summary.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary<'a> {
    pub sections: Vec<Section<'a>>,
}

impl<'a> Summary<'a> {
    /// Builds the summary of `record`. `now` is the lookup time (the record's
    /// `retrieved_at`): entries dated after it are flagged, courses ended before it are
    /// "may have ended".
    pub fn of(record: &'a PatientRecord) -> Self {
        let now = ClinicalDate::parse(&record.retrieved_at).ok();
        let sections = SectionKind::ALL
            .into_iter()
            .map(|kind| Section {
                kind,
                lines: lines(kind, &record.entries, now.as_ref()),
                coverage: coverage(kind, &record.sources),
                withheld: withheld(kind, record),
            })
            .collect();
        Self { sections }
    }

    pub fn section(&self, kind: SectionKind) -> &Section<'a> {
        let index = SectionKind::ALL.iter().position(|k| *k == kind);
        &self.sections[index.unwrap_or(0)]
    }

    /// The allergy badge beside the banner: a count, "none recorded", "no known allergies"
    /// (a source recorded that the patient has none), or unknown with the sources that could
    /// not be read. A "no known allergies" record is never counted as an allergy, and never
    /// outweighs an allergy recorded elsewhere or a source that could not be read.
    pub fn allergy_badge(&self) -> AllergyBadge {
        let allergies = self.section(SectionKind::Allergies);
        let (none_known, recorded): (Vec<&Line>, Vec<&Line>) = allergies
            .lines
            .iter()
            .partition(|l| l.entry.status.as_deref() == Some(NO_KNOWN_ALLERGIES));
        match (&allergies.coverage, recorded.len()) {
            (_, n) if n > 0 => AllergyBadge::Recorded(n),
            (Coverage::Incomplete(_), _) => AllergyBadge::Unknown(unread_names(allergies)),
            (Coverage::Complete, _) if allergies.withheld => AllergyBadge::NoneShown,
            (Coverage::Complete, _) if !none_known.is_empty() => AllergyBadge::NoKnownAllergies,
            (Coverage::Complete, _) => AllergyBadge::NoneRecorded,
        }
    }

    /// The end-of-life decisions among the care-plan lines (for the banner badge).
    pub fn end_of_life(&self) -> Vec<&Line<'a>> {
        self.section(SectionKind::CarePlans)
            .lines
            .iter()
            .filter(|l| l.end_of_life)
            .collect()
    }
}

/// The allergy badge's states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllergyBadge {
    Recorded(usize),
    NoneRecorded,
    /// None recorded, and a source recorded that the patient has no known allergies.
    NoKnownAllergies,
    /// None shown, but some are withheld from this viewer.
    NoneShown,
    /// None shown, and these sources could not be read.
    Unknown(Vec<String>),
}

impl AllergyBadge {
    pub fn text(&self) -> String {
        match self {
            Self::Recorded(1) => "1 allergy".to_owned(),
            Self::Recorded(n) => format!("{n} allergies"),
            Self::NoneRecorded => "Allergies: none recorded".to_owned(),
            Self::NoKnownAllergies => "No known allergies (recorded)".to_owned(),
            Self::NoneShown => "Allergies: none shown to you".to_owned(),
            Self::Unknown(names) => {
                format!("Allergies unknown: {} not read", names.join(", "))
            }
        }
    }
}

/// The names of the sources a section's coverage sentences are about.
fn unread_names(section: &Section) -> Vec<String> {
    match &section.coverage {
        Coverage::Complete => Vec::new(),
        Coverage::Incomplete(sentences) => sentences
            .iter()
            .filter_map(|s| s.split(" could").next().map(str::to_owned))
            .collect(),
    }
}

/// Why each source that could hold this section's items did not supply them in full: a
/// failure (nothing read), an earlier copy (may be out of date), or a problem with one of the
/// section's resource types. Sources that do not know the patient answered.
fn coverage(kind: SectionKind, sources: &[SourceReport]) -> Coverage {
    let mut sentences = Vec::new();
    for source in sources {
        match source.status {
            SourceStatus::Ok | SourceStatus::NotFound => {}
            SourceStatus::TimedOut | SourceStatus::Error | SourceStatus::CircuitOpen => {
                sentences.push(format!("{} could not be read.", source.name))
            }
            SourceStatus::Withheld => sentences.push(format!(
                "{} could not share its record: the patient asked for it not to be shared.",
                source.name
            )),
            SourceStatus::Unavailable => sentences.push(format!(
                "{} could not return this patient's record, though it may hold one.",
                source.name
            )),
            SourceStatus::Stale => {
                let when = source
                    .fetched_at
                    .as_deref()
                    .and_then(|at| ClinicalDate::parse(at).ok())
                    .map(|at| format!(" from {}", at.display_zoned()))
                    .unwrap_or_default();
                sentences.push(format!(
                    "{} could not be read now; its earlier copy{when} is shown and may be out of date.",
                    source.name
                ));
            }
            SourceStatus::Partial => sentences.extend(
                source
                    .problems
                    .iter()
                    .filter(|p| kind.categories().iter().any(|c| p.may_hold(*c)))
                    .map(|p| p.sentence(&source.name)),
            ),
        }
    }
    if sentences.is_empty() {
        Coverage::Complete
    } else {
        Coverage::Incomplete(sentences)
    }
}

/// True when items this section could show are withheld from the viewer. For a role limited
/// to the summary any withheld item counts (what was withheld is not broken down).
fn withheld(kind: SectionKind, record: &PatientRecord) -> bool {
    record.hidden_for_role > 0
        || record
            .withheld
            .iter()
            .any(|w| record.summary_only || kind.categories().contains(&w.category))
}

fn lines<'a>(
    kind: SectionKind,
    entries: &'a [TimelineEntry],
    now: Option<&ClinicalDate>,
) -> Vec<Line<'a>> {
    let of = |category: Category| {
        entries
            .iter()
            .filter(move |e| e.category == category && !set_aside(e))
    };
    let mut lines: Vec<Line<'a>> = match kind {
        SectionKind::Allergies => of(Category::Allergy)
            .filter(|e| !status_is(e, &["inactive", "resolved", "refuted"]))
            .map(plain)
            .collect(),
        SectionKind::Medicines => current_medicines(of(Category::Medication), now),
        SectionKind::Problems => of(Category::Problem)
            .filter(|e| status_is(e, &["active", "recurrence", "relapse"]))
            .map(plain)
            .collect(),
        SectionKind::Alerts => of(Category::Alert)
            .filter(|e| status_is(e, &["active"]) && !is_end_of_life(e))
            .map(plain)
            .collect(),
        SectionKind::CarePlans => entries
            .iter()
            .filter(|e| !set_aside(e))
            .filter(|e| {
                let plan = e.category == Category::CarePlan
                    && status_is(e, &["active", "on-hold", "draft"]);
                let decision = is_end_of_life(e)
                    && !status_is(
                        e,
                        &["inactive", "resolved", "revoked", "completed", "refuted"],
                    );
                plan || decision
            })
            .map(|e| Line {
                end_of_life: is_end_of_life(e),
                ..plain(e)
            })
            .collect(),
        SectionKind::Attendances => last_attendances(of(Category::Encounter)),
    };
    for line in &mut lines {
        if let (Some(date), Some(now)) = (&line.entry.date, now) {
            if date.sort_key > now.sort_key {
                line.notes.push(format!(
                    "Dated in the future ({}): check with the source",
                    date.display()
                ));
            }
        }
    }
    lines
}

/// The entries the summary can be built from (its sections' kinds, end-of-life decisions of
/// any kind, the last attendance and admission), so that the summary of these is the summary
/// of the whole record: what the record page is sent instead of every entry.
pub fn inputs(entries: &[TimelineEntry]) -> Vec<TimelineEntry> {
    const SUMMARISED: [Category; 5] = [
        Category::Allergy,
        Category::Medication,
        Category::Problem,
        Category::Alert,
        Category::CarePlan,
    ];
    let encounters = entries
        .iter()
        .filter(|e| e.category == Category::Encounter && !set_aside(e));
    let attendances: Vec<&TimelineEntry> = last_attendances(encounters)
        .into_iter()
        .map(|line| line.entry)
        .collect();
    entries
        .iter()
        .filter(|e| {
            SUMMARISED.contains(&e.category)
                || is_end_of_life(e)
                || attendances.iter().any(|a| std::ptr::eq(*a, *e))
        })
        .cloned()
        .collect()
}

fn plain(entry: &TimelineEntry) -> Line<'_> {
    Line {
        entry,
        label: None,
        notes: Vec::new(),
        end_of_life: false,
    }
}

/// Recorded in error at the source: kept on the timeline, flagged, never summarised.
fn set_aside(entry: &TimelineEntry) -> bool {
    entry.entered_in_error || entry.status.as_deref() == Some("entered-in-error")
}

/// True when the entry's status starts with one of `words` (`active (unconfirmed)` is
/// active); an entry without a status counts as active (the source did not say otherwise).
fn status_is(entry: &TimelineEntry, words: &[&str]) -> bool {
    match entry.status.as_deref() {
        None => words.contains(&"active"),
        Some(status) => {
            let first = status.split([' ', '(']).next().unwrap_or(status);
            words.contains(&first)
        }
    }
}

/// An end-of-life decision or plan: DNACPR, ReSPECT, an advance care or end-of-life plan.
/// Matched on SNOMED CT codes where sources code them, and on the words staff write.
fn is_end_of_life(entry: &TimelineEntry) -> bool {
    const CODES: [&str; 6] = [
        "304253006",        // Not for resuscitation
        "450476008",        // Not for attempted cardiopulmonary resuscitation
        "736373009",        // End of life care plan
        "713673000",        // Advance care planning (procedure)
        "395043001",        // Palliative care plan (regime/therapy)
        "1108951000000109", // ReSPECT plan (UK extension)
    ];
    const WORDS: [&str; 7] = [
        "dnacpr",
        "dnar",
        "respect",
        "resuscitation",
        "end of life",
        "advance care plan",
        "palliative care plan",
    ];
    let title = entry.title.to_lowercase();
    entry.codes.iter().any(|c| CODES.contains(&c.code.as_str()))
        || WORDS.iter().any(|w| title.contains(w))
}

/// One line per medicine (duplicates across sources are already merged into one entry);
/// repeat issues of the same medicine at one source fold into the latest. Only medicines
/// some source holds as current; a course whose end has passed "may have ended".
fn current_medicines<'a>(
    medicines: impl Iterator<Item = &'a TimelineEntry>,
    now: Option<&ClinicalDate>,
) -> Vec<Line<'a>> {
    const CURRENT: [&str; 4] = ["active", "on-hold", "intended", "unknown"];
    let mut lines: Vec<Line<'a>> = Vec::new();
    let mut seen: Vec<(String, String)> = Vec::new();
    let mut repeats: Vec<usize> = Vec::new();
    for entry in medicines {
        let current_here = status_is(entry, &CURRENT);
        let current_elsewhere = entry.also_recorded_at.iter().any(|p| {
            p.status
                .as_deref()
                .is_none_or(|s| CURRENT.contains(&s.split([' ', '(']).next().unwrap_or(s)))
        });
        if !current_here && !current_elsewhere {
            continue;
        }
        let key = (entry.source_id.clone(), medicine_key(entry));
        if let Some(at) = seen.iter().position(|k| *k == key) {
            repeats[at] += 1;
            continue;
        }
        seen.push(key);
        repeats.push(0);
        let mut line = plain(entry);
        if let (Some(until), Some(now)) = (&entry.until, now) {
            if until.sort_key < now.sort_key {
                line.notes.push(format!(
                    "May have ended: the course ended {}",
                    until.display()
                ));
            }
        }
        lines.push(line);
    }
    for (line, more) in lines.iter_mut().zip(repeats) {
        match more {
            0 => {}
            1 => line.notes.push("1 earlier issue at this source".to_owned()),
            n => line
                .notes
                .push(format!("{n} earlier issues at this source")),
        }
    }
    lines
}

/// What makes two medicine entries the same medicine: their first code, else their title.
fn medicine_key(entry: &TimelineEntry) -> String {
    match entry.codes.first() {
        Some(code) => format!("{}|{}", code.system, code.code),
        None => entry.title.trim().to_lowercase(),
    }
}

/// The latest A&E attendance and the latest admission (entries come newest first).
fn last_attendances<'a>(encounters: impl Iterator<Item = &'a TimelineEntry>) -> Vec<Line<'a>> {
    let mut taken: HashSet<&'static str> = HashSet::new();
    let mut lines = Vec::new();
    for entry in encounters {
        let label = match entry.setting.as_deref() {
            Some("EMER") => "A&E attendance",
            Some("IMP" | "ACUTE" | "NONAC") => "Admission",
            _ => continue,
        };
        if taken.insert(label) {
            lines.push(Line {
                label: Some(label),
                ..plain(entry)
            });
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::WithheldItems;
    use crate::model::{Code, Provenance, SourceKind, SourceProblem};
    use crate::nhs_number::NhsNumber;

    fn source(id: &str, status: SourceStatus) -> SourceReport {
        SourceReport {
            id: id.to_owned(),
            name: format!("{id} source"),
            organisation_code: "X1".to_owned(),
            kind: SourceKind::Gp,
            status,
            latency_ms: 1,
            entry_count: 0,
            skipped_count: 0,
            message: None,
            fetched_at: Some("2026-12-01T09:40:00Z".to_owned()),
            from_cache: false,
            problems: Vec::new(),
        }
    }

    fn entry(category: Category, title: &str, status: Option<&str>) -> TimelineEntry {
        TimelineEntry {
            date: ClinicalDate::parse("2026-11-01").ok(),
            status: status.map(str::to_owned),
            ..TimelineEntry::example(category, title)
        }
    }

    fn record(sources: Vec<SourceReport>, entries: Vec<TimelineEntry>) -> PatientRecord {
        PatientRecord {
            nhs_number: NhsNumber::parse("9990000018").unwrap(),
            demographics: None,
            sources,
            entries,
            warnings: Vec::new(),
            retrieved_at: "2026-12-01T10:02:00Z".to_owned(),
            summary_only: false,
            withheld: Vec::new(),
            hidden_for_role: 0,
            basis: None,
            child_protection: Vec::new(),
            timeline: None,
        }
    }

    fn titles<'a>(summary: &'a Summary, kind: SectionKind) -> Vec<&'a str> {
        summary
            .section(kind)
            .lines
            .iter()
            .map(|l| l.entry.title.as_str())
            .collect()
    }

    /// The record page is sent only the summary's inputs: the summary built from them must be
    /// the summary of the whole record, whatever else the record holds.
    #[test]
    fn the_summary_of_its_inputs_is_the_summary_of_the_whole_record() {
        let dated = |mut e: TimelineEntry, day: &str| {
            e.date = ClinicalDate::parse(day).ok();
            e
        };
        let visit = |title: &str, setting: &str, day: &str| TimelineEntry {
            setting: Some(setting.to_owned()),
            ..dated(entry(Category::Encounter, title, Some("finished")), day)
        };
        let mut entries = vec![
            entry(Category::Allergy, "Penicillin", None),
            entry(Category::Allergy, "Latex", Some("resolved")),
            entry(Category::Medication, "Ramipril", Some("active")),
            entry(Category::Medication, "Ramipril", Some("active")),
            entry(Category::Problem, "Asthma", Some("active")),
            entry(Category::Alert, "Violent patient marker", Some("active")),
            entry(Category::CarePlan, "Asthma plan", Some("active")),
            entry(Category::Procedure, "DNACPR discussion", Some("completed")),
            entry(Category::Procedure, "Appendicectomy", Some("completed")),
            entry(Category::Procedure, "Not for resuscitation decision", None),
            visit("A&E attendance, fall", "EMER", "2026-10-02"),
            visit("Outpatient clinic", "AMB", "2026-09-20"),
            visit("Admission, pneumonia", "IMP", "2026-08-01"),
            visit("A&E attendance, asthma", "EMER", "2026-06-01"),
            visit("Admission, fracture", "ACUTE", "2025-01-01"),
            TimelineEntry {
                entered_in_error: true,
                ..visit("A&E attendance in error", "EMER", "2026-11-30")
            },
        ];
        for n in 0..500 {
            entries.push(entry(
                Category::Observation,
                &format!("Glucose {n}"),
                Some("final"),
            ));
            entries.push(entry(Category::Immunisation, &format!("Vaccine {n}"), None));
        }
        let full = record(vec![source("gp", SourceStatus::Ok)], entries);
        let paged = crate::timeline_query::for_the_page(full.clone());
        assert_eq!(Summary::of(&paged), Summary::of(&full));
        assert!(
            paged.entries.len() <= 13,
            "{} entries sent",
            paged.entries.len()
        );
        assert!(!Summary::of(&full)
            .section(SectionKind::Attendances)
            .lines
            .is_empty());
        assert_eq!(paged.timeline.map(|t| t.total), Some(full.entries.len()));
    }

    /// "None recorded" only when every source that could hold the section answered; a
    /// failed, stale or partly failed source makes it "not known", naming the source.
    #[test]
    fn absence_is_claimed_only_when_every_source_answered() {
        let partial = |problem: SourceProblem| SourceReport {
            problems: vec![problem],
            ..source("acute", SourceStatus::Partial)
        };
        let not_supplied = |t: &str| SourceProblem::NotSupplied {
            resource_type: t.to_owned(),
        };
        let cases: Vec<(&str, Vec<SourceReport>, Option<&str>)> = vec![
            ("all answered", vec![source("gp", SourceStatus::Ok)], None),
            (
                "not known at one source is an answer",
                vec![source("gp", SourceStatus::Ok), source("mh", SourceStatus::NotFound)],
                None,
            ),
            ("timed out", vec![source("gp", SourceStatus::TimedOut)], Some("gp source could not be read.")),
            ("error", vec![source("gp", SourceStatus::Error)], Some("gp source could not be read.")),
            ("circuit open", vec![source("gp", SourceStatus::CircuitOpen)], Some("gp source could not be read.")),
            ("stale copy", vec![source("gp", SourceStatus::Stale)], Some("gp source could not be read now; its earlier copy from 01-Dec-2026 09:40 GMT is shown and may be out of date.")),
            ("allergy search failed", vec![partial(not_supplied("AllergyIntolerance"))], Some("acute source could not supply allergies.")),
            ("everything failed", vec![partial(not_supplied("$everything"))], Some("acute source could not supply $everything records.")),
            ("unreadable allergy", vec![partial(SourceProblem::Unreadable { resource_type: Some("AllergyIntolerance".into()), count: 2 })], Some("2 of acute source's allergies could not be read.")),
            ("unreadable item of unknown type", vec![partial(SourceProblem::Unreadable { resource_type: None, count: 1 })], Some("1 item from acute source could not be read.")),
            ("only observations failed", vec![partial(not_supplied("Observation"))], None),
            ("truncated observations", vec![partial(SourceProblem::Truncated { resource_type: "Observation".into() })], None),
        ];
        for (case, sources, unread) in cases {
            let record = record(sources, Vec::new());
            let summary = Summary::of(&record);
            let allergies = summary.section(SectionKind::Allergies);
            match unread {
                None => {
                    assert_eq!(allergies.coverage, Coverage::Complete, "{case}");
                    assert_eq!(allergies.empty_text(), "None recorded.", "{case}");
                    assert_eq!(
                        summary.allergy_badge(),
                        AllergyBadge::NoneRecorded,
                        "{case}"
                    );
                }
                Some(sentence) => {
                    assert_eq!(
                        allergies.coverage,
                        Coverage::Incomplete(vec![sentence.to_owned()]),
                        "{case}"
                    );
                    assert!(allergies.empty_text().starts_with("Not known"), "{case}");
                    assert!(
                        matches!(summary.allergy_badge(), AllergyBadge::Unknown(_)),
                        "{case}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_failed_gp_makes_the_allergy_badge_unknown_naming_it() {
        let record = record(
            vec![
                source("gp", SourceStatus::Error),
                source("acute", SourceStatus::Ok),
            ],
            Vec::new(),
        );
        let badge = Summary::of(&record).allergy_badge();
        assert_eq!(badge.text(), "Allergies unknown: gp source not read");
    }

    #[test]
    fn no_known_allergies_is_said_only_when_nothing_outweighs_it() {
        let nka = || {
            entry(
                Category::Allergy,
                "No known allergy",
                Some(NO_KNOWN_ALLERGIES),
            )
        };
        let ok = |id| source(id, SourceStatus::Ok);
        // (sources, entries, badge)
        let table = [
            (vec![ok("gp")], vec![nka()], "No known allergies (recorded)"),
            // An allergy recorded anywhere is counted; the assertion never is.
            (
                vec![ok("gp"), ok("acute")],
                vec![
                    nka(),
                    entry(Category::Allergy, "Penicillin", Some("active")),
                ],
                "1 allergy",
            ),
            // A source that could not be read, withheld at the patient's request, or unable
            // to return its record leaves allergies unknown.
            (
                vec![ok("gp"), source("acute", SourceStatus::Error)],
                vec![nka()],
                "Allergies unknown: acute source not read",
            ),
            (
                vec![ok("gp"), source("gpc", SourceStatus::Withheld)],
                vec![nka()],
                "Allergies unknown: gpc source not read",
            ),
            (
                vec![source("gpc", SourceStatus::Unavailable)],
                Vec::new(),
                "Allergies unknown: gpc source not read",
            ),
            (vec![ok("gp")], Vec::new(), "Allergies: none recorded"),
        ];
        for (sources, entries, badge) in table {
            let record = record(sources, entries);
            assert_eq!(Summary::of(&record).allergy_badge().text(), badge);
        }
    }

    #[test]
    fn allergies_found_are_counted_even_when_a_source_failed() {
        let record = record(
            vec![source("gp", SourceStatus::Error)],
            vec![entry(Category::Allergy, "Penicillin", Some("active"))],
        );
        let summary = Summary::of(&record);
        assert_eq!(summary.allergy_badge().text(), "1 allergy");
        assert!(matches!(
            summary.section(SectionKind::Allergies).coverage,
            Coverage::Incomplete(_)
        ));
    }

    #[test]
    fn withheld_items_never_read_as_none_recorded() {
        let mut record = record(vec![source("gp", SourceStatus::Ok)], Vec::new());
        record.withheld = vec![WithheldItems {
            source_id: "gp".into(),
            category: Category::Problem,
            reason: "restricted".into(),
            count: 1,
        }];
        let summary = Summary::of(&record);
        assert_eq!(
            summary.section(SectionKind::Problems).empty_text(),
            "None shown to you."
        );
        assert_eq!(
            summary.section(SectionKind::Allergies).empty_text(),
            "None recorded."
        );
        record.summary_only = true;
        record.withheld.clear();
        record.hidden_for_role = 1;
        let summary = Summary::of(&record);
        assert_eq!(
            summary.section(SectionKind::Allergies).empty_text(),
            "None shown to you."
        );
    }

    #[test]
    fn sections_take_only_what_is_current() {
        let mut ended = entry(Category::Medication, "Amoxicillin", Some("active"));
        ended.until = ClinicalDate::parse("2026-11-08").ok();
        let mut future = entry(Category::Problem, "Planned hip replacement", Some("active"));
        future.date = ClinicalDate::parse("2027-02-01").ok();
        let mut stopped_here_active_there =
            entry(Category::Medication, "Ramipril", Some("stopped"));
        stopped_here_active_there.also_recorded_at = vec![Provenance {
            source_id: "acute".into(),
            resource_type: "MedicationRequest".into(),
            resource_id: "r".into(),
            date: None,
            status: Some("active".into()),
            detail: None,
        }];
        let record = record(
            vec![source("gp", SourceStatus::Ok)],
            vec![
                entry(Category::Allergy, "Penicillin", Some("active")),
                entry(Category::Allergy, "Latex", Some("resolved")),
                entry(Category::Allergy, "Peanut", Some("entered-in-error")),
                entry(Category::Allergy, "Cat dander", Some("refuted")),
                entry(Category::Medication, "Metformin", Some("active")),
                entry(Category::Medication, "Simvastatin", Some("stopped")),
                ended,
                stopped_here_active_there,
                entry(Category::Problem, "COPD", Some("active (unconfirmed)")),
                entry(Category::Problem, "Asthma", Some("resolved")),
                future,
                entry(Category::Alert, "Violent patient marker", Some("active")),
                entry(Category::Alert, "Old alert", Some("inactive")),
                entry(Category::Alert, "DNACPR in place", Some("active")),
                entry(Category::CarePlan, "Diabetes care plan", Some("active")),
                entry(Category::CarePlan, "Old plan", Some("completed")),
            ],
        );
        let summary = Summary::of(&record);
        assert_eq!(titles(&summary, SectionKind::Allergies), ["Penicillin"]);
        assert_eq!(
            titles(&summary, SectionKind::Medicines),
            ["Metformin", "Amoxicillin", "Ramipril"]
        );
        let amoxicillin = &summary.section(SectionKind::Medicines).lines[1];
        assert_eq!(
            amoxicillin.notes,
            ["May have ended: the course ended 08-Nov-2026"]
        );
        assert_eq!(
            titles(&summary, SectionKind::Problems),
            ["COPD", "Planned hip replacement"]
        );
        let planned = &summary.section(SectionKind::Problems).lines[1];
        assert_eq!(
            planned.notes,
            ["Dated in the future (01-Feb-2027): check with the source"]
        );
        assert_eq!(
            titles(&summary, SectionKind::Alerts),
            ["Violent patient marker"]
        );
        assert_eq!(
            titles(&summary, SectionKind::CarePlans),
            ["DNACPR in place", "Diabetes care plan"]
        );
        assert_eq!(summary.end_of_life().len(), 1);
    }

    #[test]
    fn repeat_issues_fold_into_one_line_per_medicine_and_source() {
        let coded = |title: &str, source: &str| {
            let mut e = entry(Category::Medication, title, Some("active"));
            e.codes = vec![Code::new("http://snomed.info/sct", "325278007")];
            e.source_id = source.to_owned();
            e
        };
        let record = record(
            vec![source("gp", SourceStatus::Ok)],
            vec![
                coded("Metformin 500mg tablets", "gp"),
                coded("Metformin 500mg tablets", "gp"),
                coded("Metformin 500 mg tablet", "gp"),
                coded("Metformin 500mg tablets", "acute"),
            ],
        );
        let summary = Summary::of(&record);
        let lines = &summary.section(SectionKind::Medicines).lines;
        assert_eq!(lines.len(), 2, "one line per medicine per source");
        assert_eq!(lines[0].notes, ["2 earlier issues at this source"]);
        assert!(lines[1].notes.is_empty());
    }

    #[test]
    fn the_last_attendance_and_admission_are_the_newest_of_each() {
        let encounter = |title: &str, setting: &str| {
            let mut e = entry(Category::Encounter, title, Some("finished"));
            e.setting = Some(setting.to_owned());
            e
        };
        let record = record(
            vec![source("gp", SourceStatus::Ok)],
            vec![
                encounter("Clinic", "AMB"),
                encounter("Chest pain", "EMER"),
                encounter("Ward stay", "IMP"),
                encounter("Fall", "EMER"),
                encounter("Older stay", "ACUTE"),
            ],
        );
        let summary = Summary::of(&record);
        let lines = &summary.section(SectionKind::Attendances).lines;
        let shown: Vec<(&str, Option<&str>)> = lines
            .iter()
            .map(|l| (l.entry.title.as_str(), l.label))
            .collect();
        assert_eq!(
            shown,
            [
                ("Chest pain", Some("A&E attendance")),
                ("Ward stay", Some("Admission"))
            ]
        );
    }
}
