//! One generic single-flight cache slot, used for the gateway data and the models.dev index
//! alike: concurrent callers share one load, a load's failure is shared with the callers that
//! queued behind it (and only with them), a failure never replaces a good value, and a value
//! read from disk is only a stand-in until the first live load.
//!
//! Locking rules: `load` is an async mutex held across the fetch's `.await` (that is how callers
//! queue); `current` and `failure` are std mutexes held only for a clone or a swap, never across
//! an `.await`. `refreshing` is a flag, not a lock: at most one background refresh per slot.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Instant, SystemTime};

use crate::error::ServiceError;

/// A value in a slot, with where and when it came from.
pub struct Entry<T> {
    /// The value itself.
    pub value: Arc<T>,
    /// When the source produced it (for a disk copy: when it was fetched originally).
    pub fetched_at: SystemTime,
    /// When it became current in this process (monotonic): "is it fresh?" and "did a load
    /// finish after I asked?" are answered with it.
    pub loaded: Instant,
    /// Read from the disk cache rather than loaded live in this process.
    pub from_disk: bool,
    /// Process-wide unique number of this value, to key what is built from it.
    pub generation: u64,
}

impl<T> Clone for Entry<T> {
    fn clone(&self) -> Self {
        Entry {
            value: self.value.clone(),
            fetched_at: self.fetched_at,
            loaded: self.loaded,
            from_disk: self.from_disk,
            generation: self.generation,
        }
    }
}

static GENERATION: AtomicU64 = AtomicU64::new(1);

impl<T> Entry<T> {
    /// A new entry with a fresh generation.
    pub fn new(value: Arc<T>, fetched_at: SystemTime, from_disk: bool) -> Entry<T> {
        Entry {
            value,
            fetched_at,
            loaded: Instant::now(),
            from_disk,
            generation: GENERATION.fetch_add(1, Ordering::Relaxed),
        }
    }
}

/// A single-flight slot holding at most one value of type `T`.
pub struct SingleFlight<T> {
    load: tokio::sync::Mutex<()>,
    current: Mutex<Option<Entry<T>>>,
    failure: Mutex<Option<(Instant, ServiceError)>>,
    refreshing: AtomicBool,
}

impl<T> Default for SingleFlight<T> {
    fn default() -> Self {
        SingleFlight {
            load: tokio::sync::Mutex::new(()),
            current: Mutex::new(None),
            failure: Mutex::new(None),
            refreshing: AtomicBool::new(false),
        }
    }
}

fn lock<V>(m: &Mutex<V>) -> MutexGuard<'_, V> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Marks a background refresh as running; dropping it (however the task ends, aborts
/// included) lets the next one start.
pub struct RefreshGuard<T> {
    slot: Arc<SingleFlight<T>>,
}

impl<T> Drop for RefreshGuard<T> {
    fn drop(&mut self) {
        self.slot.refreshing.store(false, Ordering::SeqCst);
    }
}

impl<T> SingleFlight<T> {
    /// The current value, if any (no I/O, never waits).
    pub fn current(&self) -> Option<Entry<T>> {
        lock(&self.current).clone()
    }

    /// Installs a copy read from disk, unless something is already there; returns whether it
    /// was installed.
    pub fn offer_from_disk(&self, value: T, fetched_at: SystemTime) -> bool {
        let mut slot = lock(&self.current);
        if slot.is_some() {
            return false;
        }
        *slot = Some(Entry::new(Arc::new(value), fetched_at, true));
        true
    }

    /// Empties the slot (cache.clear).
    pub fn clear(&self) {
        *lock(&self.current) = None;
        *lock(&self.failure) = None;
    }

    /// Loads a new value with `fetch`, unless a load that finished after this call began (or
    /// failed after it began) can answer: then its outcome is shared. `fetch` receives the
    /// value current before the load (for stale-on-error merging) and runs at most once per
    /// queue of waiting callers.
    pub async fn load<F, Fut>(&self, fetch: F) -> Result<Entry<T>, ServiceError>
    where
        F: FnOnce(Option<Entry<T>>) -> Fut,
        Fut: Future<Output = Result<(T, SystemTime), ServiceError>>,
    {
        self.load_keeping(fetch, |_, _| false).await
    }

    /// As [`SingleFlight::load`]; when `same(previous, new)` the previous value stays current
    /// under its generation (only its times move), so whatever was built from it is reused.
    pub async fn load_keeping<F, Fut>(
        &self,
        fetch: F,
        same: impl Fn(&T, &T) -> bool,
    ) -> Result<Entry<T>, ServiceError>
    where
        F: FnOnce(Option<Entry<T>>) -> Fut,
        Fut: Future<Output = Result<(T, SystemTime), ServiceError>>,
    {
        let asked = Instant::now();
        let _queue = self.load.lock().await;
        if let Some(e) = lock(&self.current).as_ref() {
            if !e.from_disk && e.loaded >= asked {
                return Ok(e.clone());
            }
        }
        if let Some((at, error)) = lock(&self.failure).as_ref() {
            if *at >= asked {
                return Err(error.clone());
            }
        }
        let previous = self.current();
        match fetch(previous.clone()).await {
            Ok((value, fetched_at)) => {
                let entry = match previous.filter(|p| same(&p.value, &value)) {
                    Some(p) => Entry {
                        fetched_at,
                        loaded: Instant::now(),
                        from_disk: false,
                        ..p
                    },
                    None => Entry::new(Arc::new(value), fetched_at, false),
                };
                *lock(&self.current) = Some(entry.clone());
                *lock(&self.failure) = None;
                Ok(entry)
            }
            Err(error) => {
                *lock(&self.failure) = Some((Instant::now(), error.clone()));
                Err(error)
            }
        }
    }

    /// Claims the slot's one background refresh; `None` while another is running.
    pub fn begin_refresh(self: &Arc<Self>) -> Option<RefreshGuard<T>> {
        if self.refreshing.swap(true, Ordering::SeqCst) {
            return None;
        }
        Some(RefreshGuard { slot: self.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    fn bad(n: usize) -> ServiceError {
        ServiceError::Internal(format!("failure {n}"))
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_load() {
        let slot: Arc<SingleFlight<usize>> = Arc::default();
        let calls = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let (slot, calls) = (slot.clone(), calls.clone());
            tasks.push(tokio::spawn(async move {
                slot.load(|_| async {
                    let n = calls.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    Ok((n, SystemTime::now()))
                })
                .await
            }));
        }
        let mut generations = std::collections::HashSet::new();
        for t in tasks {
            let e = t.await.expect("task").expect("load");
            generations.insert(e.generation);
        }
        // The first caller loads; everyone queued behind it shares that value.
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(generations.len(), 1);
    }

    #[tokio::test]
    async fn a_failure_is_shared_with_waiters_only_and_keeps_the_good_value() {
        let slot: Arc<SingleFlight<u32>> = Arc::default();
        slot.load(|_| async { Ok((7, SystemTime::now())) })
            .await
            .expect("first");
        let calls = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let (slot, calls) = (slot.clone(), calls.clone());
            tasks.push(tokio::spawn(async move {
                slot.load(|prev| async move {
                    assert_eq!(prev.map(|p| *p.value), Some(7));
                    let n = calls.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Err::<(u32, SystemTime), _>(bad(n))
                })
                .await
            }));
        }
        for t in tasks {
            let err = t.await.expect("task").err().expect("shared failure");
            assert_eq!(err.to_string(), "internal error: failure 0");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(slot.current().map(|e| *e.value), Some(7));
        // A caller that arrives after the failure tries again.
        let e = slot
            .load(|_| async { Ok((8, SystemTime::now())) })
            .await
            .expect("retry");
        assert_eq!(*e.value, 8);
    }

    #[tokio::test]
    async fn disk_copy_is_a_stand_in_until_a_live_load() {
        let slot: Arc<SingleFlight<&str>> = Arc::default();
        assert!(slot.offer_from_disk("disk", SystemTime::UNIX_EPOCH));
        assert!(!slot.offer_from_disk("other", SystemTime::UNIX_EPOCH));
        let current = slot.current().expect("disk copy");
        assert!(current.from_disk);
        // A load must not be answered by the disk copy, even though it is "newer" than the call.
        let e = slot
            .load(|_| async { Ok(("live", SystemTime::now())) })
            .await
            .expect("live");
        assert_eq!(*e.value, "live");
        assert!(!e.from_disk);
        assert!(!slot.offer_from_disk("late disk", SystemTime::UNIX_EPOCH));
        slot.clear();
        assert!(slot.current().is_none());
    }

    #[tokio::test]
    async fn an_unchanged_value_keeps_its_generation() {
        let slot: Arc<SingleFlight<u32>> = Arc::default();
        slot.offer_from_disk(5, SystemTime::UNIX_EPOCH);
        let disk = slot.current().expect("disk");
        let same = |a: &u32, b: &u32| a == b;
        let e = slot
            .load_keeping(|_| async { Ok((5, SystemTime::now())) }, same)
            .await
            .expect("load");
        assert_eq!(e.generation, disk.generation);
        assert!(!e.from_disk);
        assert!(e.fetched_at > disk.fetched_at);
        let e2 = slot
            .load_keeping(|_| async { Ok((6, SystemTime::now())) }, same)
            .await
            .expect("load");
        assert_ne!(e2.generation, disk.generation);
        assert_eq!(*e2.value, 6);
    }

    #[test]
    fn one_background_refresh_at_a_time() {
        let slot: Arc<SingleFlight<u8>> = Arc::default();
        let first = slot.begin_refresh().expect("first claim");
        assert!(slot.begin_refresh().is_none());
        drop(first);
        assert!(slot.begin_refresh().is_some());
    }
}
