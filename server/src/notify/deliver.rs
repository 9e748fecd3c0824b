//! Delivering notifications: a pluggable [`Notifier`] (the FHIR one POSTs the `Communication`
//! to the recipient organisation's source) driven by a loop that takes what is due from the
//! outbox, marks each delivered, or schedules its next try with doubling backoff and jitter.

use super::outbox::{Notification, Outbox};
use crate::config::SourceConfig;
use crate::sources::FhirClient;
use futures::future::BoxFuture;
use std::sync::Arc;
use std::time::Duration;

/// Sends one notification; the error is kept on the outbox row for operations staff.
pub trait Notifier: Send + Sync + 'static {
    fn deliver<'a>(&'a self, notification: &'a Notification) -> BoxFuture<'a, Result<(), String>>;
}

/// POSTs to `<base_url>/Communication` of the source named in the notification, with that
/// source's authentication, as a conditional create on the notification's identifier (a
/// redelivery creates nothing new at a recipient that honours `If-None-Exist`).
pub struct FhirNotifier {
    sources: Vec<(String, url::Url, FhirClient)>,
}

impl FhirNotifier {
    pub fn new(sources: &[SourceConfig]) -> Result<Self, crate::sources::SourceError> {
        let sources = sources
            .iter()
            .map(|s| {
                let url = with_base_path(&s.base_url, "Communication")
                    .unwrap_or_else(|| s.base_url.clone());
                Ok((s.id.clone(), url, FhirClient::new(s)?))
            })
            .collect::<Result<_, crate::sources::SourceError>>()?;
        Ok(Self { sources })
    }
}

/// `base` + `/resource` whether or not `base` ends with a slash.
fn with_base_path(base: &url::Url, resource: &str) -> Option<url::Url> {
    let mut url = base.clone();
    url.path_segments_mut().ok()?.pop_if_empty().push(resource);
    Some(url)
}

impl Notifier for FhirNotifier {
    fn deliver<'a>(&'a self, notification: &'a Notification) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let (_, url, client) = self
                .sources
                .iter()
                .find(|(id, _, _)| *id == notification.source_id)
                .ok_or_else(|| format!("no source {:?} is configured", notification.source_id))?;
            let once = super::conditional_create(&notification.body);
            client
                .post_json(url, notification.body.as_bytes(), once.as_deref())
                .await
                .map_err(|e| format!("the source {e}"))
        })
    }
}

/// How the deliverer paces itself.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// How often to look for notifications due.
    pub every: Duration,
    /// The first retry's wait, doubled per attempt up to the second.
    pub retry: (Duration, Duration),
    /// How long a claimed notification is held for this instance before another may take it.
    pub lease: Duration,
}

/// Most notifications one pass delivers before looking at `stop` again.
const PER_PASS: usize = 50;

/// Delivers what is due every `pace.every` until `stop` says so (or its sender is gone). The
/// notification in hand is finished first, so none is left sent but not marked delivered; no
/// other is started after the stop.
pub async fn run(
    outbox: Arc<Outbox>,
    notifier: Arc<dyn Notifier>,
    pace: Pace,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let every = pace.every;
    while !*stop.borrow() {
        if let Err(error) = deliver_due(&outbox, &*notifier, pace, &stop).await {
            tracing::error!(%error, "notification outbox unreadable; will try again");
        }
        match outbox.backlog().await {
            Ok(waiting) => crate::metrics::notification_backlog(waiting),
            Err(error) => tracing::warn!(%error, "the notification backlog could not be counted"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            changed = stop.changed() => if changed.is_err() { break },
        }
    }
    tracing::info!("notification delivery stopped");
}

/// One pass: each notification due now (up to [`PER_PASS`]) is claimed and tried once, until
/// `stop` says so.
pub async fn deliver_due(
    outbox: &Outbox,
    notifier: &dyn Notifier,
    pace: Pace,
    stop: &tokio::sync::watch::Receiver<bool>,
) -> Result<usize, super::outbox::OutboxError> {
    let (initial, max) = pace.retry;
    let now = crate::clock::now_ms();
    let mut tried = 0;
    while tried < PER_PASS && !*stop.borrow() {
        let Some(notification) = outbox.claim(now, pace.lease).await? else {
            break;
        };
        tried += 1;
        let notification = &notification;
        match notifier.deliver(notification).await {
            Ok(()) => {
                outbox
                    .delivered(notification.id, crate::clock::now_ms())
                    .await?
            }
            Err(why) => {
                let wait = backoff(notification.attempts + 1, initial, max);
                tracing::warn!(id = notification.id, attempts = notification.attempts + 1, %why, "notification not delivered; will retry");
                outbox
                    .failed(notification.id, &why, now + wait.as_millis() as i64)
                    .await?;
            }
        }
    }
    Ok(tried)
}

/// `initial` doubled per attempt, capped at `max`, with up to a quarter more at random.
fn backoff(attempt: u32, initial: Duration, max: Duration) -> Duration {
    use rand::Rng;
    let base = initial
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
        .min(max);
    base + base.mul_f64(rand::thread_rng().gen_range(0.0..0.25))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let (initial, max) = (Duration::from_secs(5), Duration::from_secs(60));
        // (attempt, lowest, highest)
        let table = [
            (1, 5.0, 6.25),
            (2, 10.0, 12.5),
            (3, 20.0, 25.0),
            (5, 60.0, 75.0),
            (40, 60.0, 75.0),
        ];
        for (attempt, low, high) in table {
            let got = backoff(attempt, initial, max).as_secs_f64();
            assert!((low..=high).contains(&got), "attempt {attempt}: {got}");
        }
    }

    /// Told to stop while delivering, the deliverer finishes the notification in hand (sent
    /// and marked delivered) and then stops, without starting another pass.
    #[tokio::test]
    async fn a_stop_lets_the_delivery_in_hand_finish() {
        struct Slow(tokio::sync::Notify, std::sync::atomic::AtomicUsize);
        impl Notifier for Slow {
            fn deliver<'a>(&'a self, _: &'a Notification) -> BoxFuture<'a, Result<(), String>> {
                Box::pin(async move {
                    self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    self.0.notify_one();
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    Ok(())
                })
            }
        }
        let dir = std::env::temp_dir().join(format!("scrv-deliver-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let outbox = Arc::new(Outbox::open(&dir.join("outbox.sqlite")).await.unwrap());
        let now = crate::clock::now_ms();
        outbox
            .enqueue("k1", "gp", "GP (Y1)", "{}", now)
            .await
            .unwrap();
        let notifier = Arc::new(Slow(tokio::sync::Notify::new(), Default::default()));
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let pace = Pace {
            every: Duration::from_millis(20),
            retry: (Duration::from_secs(1), Duration::from_secs(2)),
            lease: Duration::from_secs(60),
        };
        let deliverer = tokio::spawn(run(outbox.clone(), notifier.clone(), pace, stopped));
        notifier.0.notified().await;
        stop.send(true).unwrap();
        // Enqueued after the stop: a pass would send it, so none may start.
        outbox
            .enqueue("k2", "gp", "GP (Y1)", "{}", now)
            .await
            .unwrap();
        tokio::time::timeout(Duration::from_secs(5), deliverer)
            .await
            .expect("the deliverer stops")
            .unwrap();
        let recent = outbox.recent(10).await.unwrap();
        let delivered = recent.iter().filter(|n| n.delivered_ms.is_some()).count();
        assert_eq!(delivered, 1, "{recent:?}");
        assert_eq!(notifier.1.load(std::sync::atomic::Ordering::SeqCst), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_communication_url_follows_the_base() {
        for base in ["http://h/fhir", "http://h/fhir/"] {
            let url = with_base_path(&url::Url::parse(base).unwrap(), "Communication").unwrap();
            assert_eq!(url.as_str(), "http://h/fhir/Communication");
        }
    }
}
