//! A circuit breaker per source: after repeated failed lookups the source is not asked at all
//! for a cool-down period, so a dead source costs views nothing; then one trial lookup decides
//! whether it is back.

use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Breaker {
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

impl Breaker {
    /// `threshold` 0 disables the breaker.
    pub fn new(threshold: u32, cooldown: Duration) -> Self {
        Self {
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
                *state = State::HalfOpen { since: now };
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
        *self.lock() = State::Closed { failures: 0 };
    }

    pub fn record_failure(&self, now: Instant) {
        if self.threshold == 0 {
            return;
        }
        let mut state = self.lock();
        *state = match *state {
            State::Closed { failures } if failures + 1 < self.threshold => State::Closed {
                failures: failures + 1,
            },
            _ => State::Open {
                until: now + self.cooldown,
            },
        };
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
        let b = Breaker::new(3, Duration::from_secs(30));
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
        let b = Breaker::new(2, Duration::from_secs(30));
        let t0 = Instant::now();
        b.record_failure(t0);
        b.record_success();
        b.record_failure(t0);
        assert_eq!(b.permit(t0), Permit::Ask);
    }

    #[test]
    fn threshold_zero_never_opens() {
        let b = Breaker::new(0, Duration::from_secs(30));
        let t0 = Instant::now();
        (0..100).for_each(|_| b.record_failure(t0));
        assert_eq!(b.permit(t0), Permit::Ask);
    }
}
