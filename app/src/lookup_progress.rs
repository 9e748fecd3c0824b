//! Each source's answer as it arrives, so the record page can show which sources have answered
//! while the slowest is still being asked. What travels here is only whether and how a source
//! answered ([`EarlyAnswer`]): no entry, no count, nothing clinical. The record itself is built
//! and shown only once every source has answered or run out of time, so an objection held at a
//! slow source still stops the view (docs/SAFETY.md, H25).

use crate::model::{SourceKind, SourceReport, SourceStatus};
use serde::{Deserialize, Serialize};

/// A source this lookup asks, as the page names it before it answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceAsked {
    pub id: String,
    pub name: String,
    pub organisation_code: String,
    pub kind: SourceKind,
}

/// How one source answered, before the record is judged: whether it holds the patient, not
/// what it holds. A role limited to the summary is never told that a source has no record
/// (see [`EarlyAnswer::for_role`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EarlyAnswer {
    /// The source answered (and holds a record for the patient, unless the role may not know).
    Answered,
    /// The source answered that it holds no record for this NHS number.
    NoRecord,
    /// The source could not be asked, or did not answer in time; the record will say how its
    /// part is covered (an earlier copy, or nothing).
    NotAnswered,
}

impl EarlyAnswer {
    /// The early answer for a source's report, as a viewer may be told it: a role limited to
    /// the summary sees "answered" for a source with no record, as its record view does.
    pub fn for_role(report: &SourceReport, summary_only: bool) -> Self {
        match report.status {
            SourceStatus::NotFound if summary_only => Self::Answered,
            SourceStatus::NotFound => Self::NoRecord,
            SourceStatus::Ok | SourceStatus::Partial => Self::Answered,
            SourceStatus::Stale
            | SourceStatus::TimedOut
            | SourceStatus::Error
            | SourceStatus::CircuitOpen
            | SourceStatus::Withheld
            | SourceStatus::Unavailable => Self::NotAnswered,
        }
    }

    /// The words on the source's card.
    pub fn label(self) -> &'static str {
        match self {
            Self::Answered => "Answered",
            Self::NoRecord => "No record here",
            Self::NotAnswered => "Did not answer",
        }
    }

    /// The value of the card's `data-answer` attribute.
    pub fn wire_name(self) -> &'static str {
        match self {
            Self::Answered => "answered",
            Self::NoRecord => "no-record",
            Self::NotAnswered => "not-answered",
        }
    }
}

#[cfg(feature = "ssr")]
pub use server::LookupProgress;

#[cfg(feature = "ssr")]
mod server {
    use super::EarlyAnswer;
    use std::collections::HashMap;
    use std::sync::Arc;
    use std::time::Duration;
    use tokio::sync::watch;

    /// The longest a page waits for one source's early answer before showing it as still
    /// being asked (a lookup that never reports must not hold the page open).
    const LONGEST_WAIT: Duration = Duration::from_secs(120);

    #[derive(Debug, Default)]
    struct State {
        answers: HashMap<String, EarlyAnswer>,
        finished: bool,
    }

    /// One page's lookup, shared between the record's server call (which reports each
    /// source's answer) and the page's source cards (which wait for theirs). Request-scoped:
    /// the record page puts one into context while it renders on the server.
    #[derive(Debug, Clone)]
    pub struct LookupProgress {
        state: Arc<watch::Sender<State>>,
    }

    impl Default for LookupProgress {
        fn default() -> Self {
            Self {
                state: Arc::new(watch::Sender::new(State::default())),
            }
        }
    }

    /// Marks the lookup finished when dropped (every way out of a lookup, including an error
    /// or a cancelled request, releases the cards still waiting).
    #[must_use]
    pub struct FinishOnDrop(LookupProgress);

    impl Drop for FinishOnDrop {
        fn drop(&mut self) {
            self.0.finish();
        }
    }

    impl LookupProgress {
        /// Source `id` has answered.
        pub fn answered(&self, id: &str, answer: EarlyAnswer) {
            self.state.send_modify(|s| {
                s.answers.insert(id.to_owned(), answer);
            });
        }

        /// No more answers will come.
        pub fn finish(&self) {
            self.state.send_modify(|s| s.finished = true);
        }

        /// A guard that calls [`LookupProgress::finish`] when dropped.
        pub fn finish_on_drop(&self) -> FinishOnDrop {
            FinishOnDrop(self.clone())
        }

        /// Source `id`'s early answer once it has one; `None` when the lookup ended without
        /// one (it was refused, or the source was not asked) or took too long.
        pub async fn answer_of(&self, id: &str) -> Option<EarlyAnswer> {
            let mut changes = self.state.subscribe();
            let wait = changes.wait_for(|s| s.finished || s.answers.contains_key(id));
            let answer = match tokio::time::timeout(LONGEST_WAIT, wait).await {
                Ok(Ok(state)) => state.answers.get(id).copied(),
                _ => None,
            };
            answer
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[tokio::test]
        async fn a_card_waits_for_its_own_source_and_is_released_when_the_lookup_ends() {
            let progress = LookupProgress::default();
            let gp = tokio::spawn({
                let progress = progress.clone();
                async move { progress.answer_of("gp").await }
            });
            let never = tokio::spawn({
                let progress = progress.clone();
                async move { progress.answer_of("unasked").await }
            });
            progress.answered("acute", EarlyAnswer::NoRecord);
            tokio::task::yield_now().await;
            assert!(
                !gp.is_finished(),
                "another source's answer is not this one's"
            );
            progress.answered("gp", EarlyAnswer::Answered);
            assert_eq!(gp.await.ok().flatten(), Some(EarlyAnswer::Answered));
            assert!(!never.is_finished());
            drop(progress.finish_on_drop());
            assert_eq!(never.await.ok().flatten(), None);
        }

        #[tokio::test]
        async fn an_answer_given_before_the_card_asks_is_not_lost() {
            let progress = LookupProgress::default();
            progress.answered("gp", EarlyAnswer::NotAnswered);
            progress.finish();
            assert_eq!(
                progress.answer_of("gp").await,
                Some(EarlyAnswer::NotAnswered)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(status: SourceStatus) -> SourceReport {
        SourceReport {
            id: "gp".into(),
            name: "GP".into(),
            organisation_code: "A1".into(),
            kind: SourceKind::Gp,
            status,
            latency_ms: 0,
            entry_count: 3,
            skipped_count: 0,
            message: None,
            fetched_at: None,
            from_cache: false,
            problems: Vec::new(),
        }
    }

    #[test]
    fn each_status_gives_the_early_answer_each_role_may_see() {
        use EarlyAnswer::*;
        let table = [
            (SourceStatus::Ok, false, Answered),
            (SourceStatus::Ok, true, Answered),
            (SourceStatus::Partial, false, Answered),
            (SourceStatus::NotFound, false, NoRecord),
            // A role limited to the summary is not told which services hold no record.
            (SourceStatus::NotFound, true, Answered),
            (SourceStatus::Stale, false, NotAnswered),
            (SourceStatus::TimedOut, false, NotAnswered),
            (SourceStatus::TimedOut, true, NotAnswered),
            (SourceStatus::Error, false, NotAnswered),
            (SourceStatus::CircuitOpen, true, NotAnswered),
        ];
        for (status, summary_only, want) in table {
            assert_eq!(
                EarlyAnswer::for_role(&report(status), summary_only),
                want,
                "{status:?}, summary only {summary_only}"
            );
        }
    }
}
