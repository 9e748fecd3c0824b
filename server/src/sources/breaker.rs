//! A circuit breaker per source: after repeated failed lookups the source is not asked at all
//! for a cool-down period, so a dead source costs views nothing; then one trial lookup decides
//! whether it is back. Its state is a gauge per source ([`crate::metrics::circuit`]).

use crate::metrics::Circuit;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Breaker {
    /// The source's configured id (the gauge's label).
    source: Arc<str>,
    threshold: u32,
    cooldown: Duration,
    state: Mutex<State>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Asking normally; this many lookups in a row have failed.
    Closed { failures: u32 },
    /// Not asking until this instant.
    Open { until: Instant },
    /// One trial lookup is in flight (since then); if it never reports back, another trial is
    /// allowed after a further cool-down.
    HalfOpen { since: Instant },
}

/// Whether a lookup may ask the source now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permit {
    Ask,
    Refuse,
}

impl State {
    fn circuit(self) -> Circuit {
        match self {
            Self::Closed { .. } => Circuit::Closed,
            Self::HalfOpen { .. } => Circuit::HalfOpen,
            Self::Open { .. } => Circuit::Open,
        }
    }
}

impl Breaker {
    /// The breaker of source `source`; `threshold` 0 disables it.
    pub fn new(source: &str, threshold: u32, cooldown: Duration) -> Self {
        let source: Arc<str> = Arc::from(source);
        crate::metrics::circuit(&source, Circuit::Closed);
        Self {
            source,
            threshold,
            cooldown,
            state: Mutex::new(State::Closed { failures: 0 }),
        }
    }

    pub fn permit(&self, now: Instant) -> Permit {
        let mut state = self.lock();
        match *state {
            State::Closed { .. } => Permit::Ask,
            State::Open { until } if now >= until => {
                self.set(&mut state, State::HalfOpen { since: now });
                Permit::Ask
            }
            State::HalfOpen { since } if now >= since + self.cooldown => {
                *state = State::HalfOpen { since: now };
                Permit::Ask
            }
            State::Open { .. } | State::HalfOpen { .. } => Permit::Refuse,
        }
    }

    pub fn record_success(&self) {
        self.set(&mut self.lock(), State::Closed { failures: 0 });
    }

    pub fn record_failure(&self, now: Instant) {
        if self.threshold == 0 {
            return;
        }
        let mut state = self.lock();
        let next = match *state {
            State::Closed { failures } if failures + 1 < self.threshold => State::Closed {
                failures: failures + 1,
            },
            _ => State::Open {
                until: now + self.cooldown,
            },
        };
        self.set(&mut state, next);
    }

    /// Moves to `next`, telling the gauge when the circuit changes.
    fn set(&self, state: &mut State, next: State) {
        if state.circuit() != next.circuit() {
            crate::metrics::circuit(&self.source, next.circuit());
        }
        *state = next;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is a plain value: a panic elsewhere cannot leave it half-written.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_the_threshold_and_half_opens_after_the_cooldown() {
        let b = Breaker::new("gp", 3, Duration::from_secs(30));
        let t0 = Instant::now();
        for _ in 0..2 {
            b.record_failure(t0);
            assert_eq!(b.permit(t0), Permit::Ask);
        }
        b.record_failure(t0);
        assert_eq!(b.permit(t0), Permit::Refuse, "open after 3 failures");
        assert_eq!(b.permit(t0 + Duration::from_secs(29)), Permit::Refuse);
        assert_eq!(
            b.permit(t0 + Duration::from_secs(30)),
            Permit::Ask,
            "one trial"
        );
        assert_eq!(
            b.permit(t0 + Duration::from_secs(30)),
            Permit::Refuse,
            "only one trial at a time"
        );
        assert_eq!(
            b.permit(t0 + Duration::from_secs(60)),
            Permit::Ask,
            "a lost trial is replaced"
        );
        b.record_failure(t0 + Duration::from_secs(31));
        assert_eq!(
            b.permit(t0 + Duration::from_secs(32)),
            Permit::Refuse,
            "failed trial reopens"
        );
        assert_eq!(b.permit(t0 + Duration::from_secs(61)), Permit::Ask);
        assert_eq!(b.permit(t0 + Duration::from_secs(62)), Permit::Refuse);
        b.record_success();
        assert_eq!(
            b.permit(t0 + Duration::from_secs(62)),
            Permit::Ask,
            "closed again"
        );
    }

    #[test]
    fn a_success_resets_the_count() {
        let b = Breaker::new("gp", 2, Duration::from_secs(30));
        let t0 = Instant::now();
        b.record_failure(t0);
        b.record_success();
        b.record_failure(t0);
        assert_eq!(b.permit(t0), Permit::Ask);
    }

    /// The gauge follows the circuit: open after the threshold, half-open for the trial,
    /// closed again after a success.
    #[test]
    fn the_gauge_follows_the_circuit() {
        let gauge =
            |value: u8| format!("scr_source_circuit_state{{source=\"breaker-gauge\"}} {value}\n");
        let rendered = || crate::metrics::handle().render();
        let b = Breaker::new("breaker-gauge", 1, Duration::from_secs(30));
        assert!(rendered().contains(&gauge(0)), "{}", rendered());
        let t0 = Instant::now();
        b.record_failure(t0);
        assert!(rendered().contains(&gauge(2)), "{}", rendered());
        assert_eq!(b.permit(t0 + Duration::from_secs(30)), Permit::Ask);
        assert!(rendered().contains(&gauge(1)), "{}", rendered());
        b.record_success();
        assert!(rendered().contains(&gauge(0)), "{}", rendered());
    }

    #[test]
    fn threshold_zero_never_opens() {
        let b = Breaker::new("gp", 0, Duration::from_secs(30));
        let t0 = Instant::now();
        (0..100).for_each(|_| b.record_failure(t0));
        assert_eq!(b.permit(t0), Permit::Ask);
    }
}
