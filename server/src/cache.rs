//! A brief cache of what each source holds about each patient. Copies younger than the TTL are
//! reused; concurrent lookups of one patient at one source share a single upstream fetch; when
//! a source fails, its last good copy (up to `max_stale`) stands in, labelled with its age.
//! It holds source data only: every permission check runs after it, on every view. Hits,
//! misses, stand-ins and entries are counted in [`crate::metrics`].

use crate::metrics::CacheLookup;
use crate::sources::{SourceAnswer, SourceError};
use app::nhs_number::NhsNumber;
use moka::future::Cache;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A source's answer as fetched, shared by every view that uses it.
#[derive(Debug)]
pub struct Fetched {
    pub answer: SourceAnswer,
    pub at: Instant,
    /// When it was fetched, RFC 3339 UTC, for "retrieved at" labels.
    pub at_utc: String,
}

type Key = (Arc<str>, NhsNumber);

pub struct SourceCache {
    fresh: Cache<Key, Arc<Fetched>>,
    last_good: Cache<Key, Arc<Fetched>>,
    reuse: bool,
    keep_stale: bool,
}

/// Cache sizes and ages (`[cache]` in the config).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheConfig {
    /// How long a source's answer is reused, in seconds (0 turns reuse off).
    pub ttl_s: u64,
    /// How old a copy may be and still stand in for a failed source, in seconds (0: never).
    pub max_stale_s: u64,
    /// Memory budget, in approximate bytes of cached records.
    pub max_bytes: u64,
    /// One user's `refresh` of one patient skips the cache at most once in this many seconds;
    /// a refresh sooner is served from the cache (0: every refresh asks the sources).
    pub refresh_interval_s: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            ttl_s: 120,
            max_stale_s: 900,
            max_bytes: 256 * 1024 * 1024,
            refresh_interval_s: 30,
        }
    }
}

impl SourceCache {
    pub fn new(config: &CacheConfig) -> Self {
        let build = |ttl_s: u64| {
            Cache::builder()
                .max_capacity(config.max_bytes)
                .weigher(|_key: &Key, value: &Arc<Fetched>| value.answer.approx_bytes())
                .time_to_live(Duration::from_secs(ttl_s.max(1)))
                .support_invalidation_closures()
                .build()
        };
        Self {
            fresh: build(config.ttl_s),
            last_good: build(config.max_stale_s),
            reuse: config.ttl_s > 0,
            keep_stale: config.max_stale_s > 0,
        }
    }

    /// The source's answer for the patient: a fresh cached copy, or one fetched by `fetch`
    /// (shared with any concurrent caller). `refresh` skips the cached copy. `may_keep_stale`
    /// false keeps no last good copy of it (a source that sends `Cache-Control: no-store`,
    /// as GP Connect does, is kept only for the brief reuse).
    pub async fn get_or_fetch<F>(
        &self,
        source_id: &str,
        nhs: NhsNumber,
        refresh: bool,
        may_keep_stale: bool,
        fetch: F,
    ) -> Result<Arc<Fetched>, Arc<SourceError>>
    where
        F: Future<Output = Result<SourceAnswer, SourceError>>,
    {
        let key: Key = (Arc::from(source_id), nhs);
        if refresh || !self.reuse {
            self.fresh.invalidate(&key).await;
        }
        let asked = Instant::now();
        let mut fetched_here = false;
        let fetched = self
            .fresh
            .try_get_with(key.clone(), async {
                fetched_here = true;
                let fetched = Arc::new(Fetched {
                    answer: fetch.await?.shrunk(),
                    at: Instant::now(),
                    at_utc: crate::clock::now_rfc3339(),
                });
                // Only the view that fetched records the copy; views that joined it share it.
                if self.keep_stale && may_keep_stale && fetched.answer.consent_known() {
                    self.last_good.insert(key.clone(), fetched.clone()).await;
                }
                Ok(fetched)
            })
            .await;
        crate::metrics::cache_lookup(lookup_kind(fetched_here, &fetched, asked));
        self.count_entries();
        let fetched = fetched?;
        // An answer whose consent directives are incomplete serves the views that asked for it
        // and no later one: the next view asks the source again.
        if !fetched.answer.consent_known()
            && self
                .fresh
                .get(&key)
                .await
                .is_some_and(|cached| Arc::ptr_eq(&cached, &fetched))
        {
            self.fresh.invalidate(&key).await;
        }
        Ok(fetched)
    }

    /// The last good copy, for a source that just failed.
    pub async fn last_good(&self, source_id: &str, nhs: NhsNumber) -> Option<Arc<Fetched>> {
        let copy = self.last_good.get(&(Arc::from(source_id), nhs)).await;
        if copy.is_some() {
            crate::metrics::cache_stale_served();
        }
        copy
    }

    /// Tells the metrics how many copies are held (moka's count, approximate).
    fn count_entries(&self) {
        crate::metrics::cache_entries(self.fresh.entry_count(), self.last_good.entry_count());
    }

    /// Forgets every cached copy, and waits until they are released.
    pub async fn clear(&self) {
        for cache in [&self.fresh, &self.last_good] {
            cache.invalidate_all();
            cache.run_pending_tasks().await;
        }
        self.count_entries();
    }

    /// Forgets everything held about a patient (e.g. when their consent changes).
    pub fn purge_patient(&self, nhs: NhsNumber) {
        for cache in [&self.fresh, &self.last_good] {
            // Only fails if closures are unsupported, which `new` enables.
            let _ = cache.invalidate_entries_if(move |(_, key_nhs), _| *key_nhs == nhs);
        }
    }
}

/// How a lookup was answered: fetched for it (`fetched_here`), by a fetch another view had
/// under way (finished after this one asked), or by a copy already held.
fn lookup_kind<T>(
    fetched_here: bool,
    result: &Result<Arc<Fetched>, T>,
    asked: Instant,
) -> CacheLookup {
    match result {
        _ if fetched_here => CacheLookup::Miss,
        Ok(fetched) if fetched.at < asked => CacheLookup::Hit,
        _ => CacheLookup::Shared,
    }
}
