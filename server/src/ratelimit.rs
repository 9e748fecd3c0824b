//! Per-key rate limiting (token buckets): sign-in attempts per client address, patient lookups
//! per user. Memory stays bounded: buckets that have refilled are dropped.

use serde::Deserialize;
use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// `per_minute` requests on average, up to `burst` at once.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    pub per_minute: u32,
    pub burst: u32,
}

impl RateLimit {
    /// What is wrong with this limit, naming the config key.
    pub fn validate(&self, key_name: &str) -> Result<(), String> {
        if self.per_minute == 0 || self.burst == 0 {
            Err(format!(
                "{key_name}: per_minute and burst must both be at least 1"
            ))
        } else {
            Ok(())
        }
    }
}

/// How long until the next request would be allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many requests; try again in {} seconds", self.seconds())]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    /// Whole seconds, rounded up, at least 1.
    pub fn seconds(&self) -> u64 {
        self.0.as_secs_f64().ceil().max(1.0) as u64
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Keys with a bucket above this many trigger a sweep of refilled buckets.
const SWEEP_ABOVE: usize = 10_000;

pub struct RateLimiter<K> {
    limit: RateLimit,
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    pub fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key`, or says how long until one is available.
    pub fn check(&self, key: &K) -> Result<(), RetryAfter> {
        self.check_at(key, Instant::now())
    }

    fn per_second(&self) -> f64 {
        f64::from(self.limit.per_minute) / 60.0
    }

    fn check_at(&self, key: &K, now: Instant) -> Result<(), RetryAfter> {
        let burst = f64::from(self.limit.burst);
        let rate = self.per_second();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() > SWEEP_ABOVE {
            buckets.retain(|_, b| refilled(b, now, rate) < burst);
        }
        let bucket = buckets.entry(key.clone()).or_insert(Bucket {
            tokens: burst,
            updated: now,
        });
        bucket.tokens = refilled(bucket, now, rate).min(burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(RetryAfter(Duration::from_secs_f64(
                (1.0 - bucket.tokens) / rate,
            )))
        }
    }

    /// Keys currently tracked.
    pub fn tracked(&self) -> usize {
        self.buckets.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

/// The portal's limits on requests, one limiter each (`identity.sign_in_rate`,
/// `identity.lookup_rate`).
pub struct RateLimits {
    /// Sign-in attempts per client address.
    pub sign_in: RateLimiter<IpAddr>,
    /// Patient lookups and searches per signed-in user.
    pub lookup: RateLimiter<String>,
}

impl RateLimits {
    pub fn new(sign_in: RateLimit, lookup: RateLimit) -> Self {
        Self {
            sign_in: RateLimiter::new(sign_in),
            lookup: RateLimiter::new(lookup),
        }
    }
}

fn refilled(bucket: &Bucket, now: Instant, rate: f64) -> f64 {
    bucket.tokens + now.saturating_duration_since(bucket.updated).as_secs_f64() * rate
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(per_minute: u32, burst: u32) -> RateLimiter<&'static str> {
        RateLimiter::new(RateLimit { per_minute, burst })
    }

    #[test]
    fn burst_then_refusal_then_refill() {
        let l = limiter(60, 3); // one a second
        let t0 = Instant::now();
        // (seconds after start, allowed)
        let steps = [
            (0.0, true),
            (0.0, true),
            (0.0, true),
            (0.0, false),
            (0.5, false),
            (1.0, true),
            (1.0, false),
            (4.0, true),
            (4.0, true),
            (4.0, true),
            (4.0, false),
        ];
        for (i, (at, allowed)) in steps.into_iter().enumerate() {
            let now = t0 + Duration::from_secs_f64(at);
            assert_eq!(l.check_at(&"a", now).is_ok(), allowed, "step {i} at {at}s");
        }
    }

    #[test]
    fn retry_after_says_when_a_token_returns() {
        let l = limiter(6, 1); // one every 10 s
        let t0 = Instant::now();
        assert!(l.check_at(&"a", t0).is_ok());
        let retry = l.check_at(&"a", t0 + Duration::from_secs(4)).unwrap_err();
        assert_eq!(retry.seconds(), 6);
        assert_eq!(
            retry.to_string(),
            "too many requests; try again in 6 seconds"
        );
        assert!(l.check_at(&"a", t0 + Duration::from_secs(10)).is_ok());
    }

    #[test]
    fn keys_are_independent() {
        let l = limiter(1, 1);
        let t0 = Instant::now();
        assert!(l.check_at(&"a", t0).is_ok());
        assert!(l.check_at(&"a", t0).is_err());
        assert!(l.check_at(&"b", t0).is_ok());
    }

    #[test]
    fn refilled_buckets_are_swept() {
        let l: RateLimiter<usize> = RateLimiter::new(RateLimit {
            per_minute: 60,
            burst: 2,
        });
        let t0 = Instant::now();
        for key in 0..=SWEEP_ABOVE {
            assert!(l.check_at(&key, t0).is_ok());
        }
        assert_eq!(l.tracked(), SWEEP_ABOVE + 1);
        // A minute later every bucket is full again: the next check sweeps them all.
        assert!(l.check_at(&0, t0 + Duration::from_secs(60)).is_ok());
        assert_eq!(l.tracked(), 1);
    }

    #[test]
    fn zero_limits_are_refused() {
        let table = [((0, 1), false), ((1, 0), false), ((1, 1), true)];
        for ((per_minute, burst), ok) in table {
            let r = RateLimit { per_minute, burst }.validate("identity.lookup_rate");
            assert_eq!(r.is_ok(), ok);
            if let Err(message) = r {
                assert!(message.starts_with("identity.lookup_rate:"));
            }
        }
    }
}
