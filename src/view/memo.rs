//! A small memo of values derived from a shared catalogue (the search index, a view's
//! selection), kept while the catalogue is alive: keyed by the `Arc`'s identity plus a text key,
//! holding only a `Weak` to the catalogue, so a replaced catalogue's entries are dropped at the
//! next lookup. Generic so that this module never imports the catalogue type.

use std::sync::{Arc, Mutex, Weak};

/// How many values are kept (catalogues × keys; the oldest goes first).
const SLOTS: usize = 16;

type Slot<K, V> = (Weak<K>, String, Arc<V>);

/// Values built once per live `Arc<K>`.
pub struct PerArc<K, V> {
    slots: Mutex<Vec<Slot<K, V>>>,
}

impl<K, V> Default for PerArc<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K, V> PerArc<K, V> {
    /// An empty memo (usable in a `static`).
    pub const fn new() -> Self {
        PerArc {
            slots: Mutex::new(Vec::new()),
        }
    }

    /// The value for `key`, built by `build` the first time. Builds outside the lock, so a
    /// slow build never blocks lookups for other catalogues; two racing builders both build
    /// and the first stored wins.
    pub fn get_or_build(&self, key: &Arc<K>, build: impl FnOnce(&K) -> V) -> Arc<V> {
        self.get_or_build_keyed(key, "", build)
    }

    /// As [`PerArc::get_or_build`], one value per `(catalogue, sub)`.
    pub fn get_or_build_keyed(
        &self,
        key: &Arc<K>,
        sub: &str,
        build: impl FnOnce(&K) -> V,
    ) -> Arc<V> {
        if let Some(v) = self.find(key, sub) {
            return v;
        }
        let built = Arc::new(build(key));
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.retain(|(w, _, _)| w.strong_count() > 0);
        if let Some((_, _, v)) = slots
            .iter()
            .find(|(w, s, _)| w.as_ptr() == Arc::as_ptr(key) && s == sub)
        {
            return v.clone();
        }
        if slots.len() >= SLOTS {
            slots.remove(0);
        }
        slots.push((Arc::downgrade(key), sub.to_string(), built.clone()));
        built
    }

    fn find(&self, key: &Arc<K>, sub: &str) -> Option<Arc<V>> {
        let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots
            .iter()
            .find(|(w, s, _)| w.as_ptr() == Arc::as_ptr(key) && s == sub && w.strong_count() > 0)
            .map(|(_, _, v)| v.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_once_per_live_key_and_dropped_with_it() {
        let memo: PerArc<String, usize> = PerArc::new();
        let a = Arc::new("abc".to_string());
        let mut builds = 0;
        for _ in 0..3 {
            let v = memo.get_or_build(&a, |s| {
                builds += 1;
                s.len()
            });
            assert_eq!(*v, 3);
        }
        assert_eq!(builds, 1);
        drop(a);
        let b = Arc::new("xy".to_string());
        assert_eq!(*memo.get_or_build(&b, |s| s.len()), 2);
        assert_eq!(memo.slots.lock().map(|s| s.len()).unwrap_or(0), 1);
        for i in 0..20 {
            let k = Arc::new(i.to_string());
            memo.get_or_build(&k, |s| s.len());
        }
        assert!(memo.slots.lock().map(|s| s.len()).unwrap_or(0) <= SLOTS);
        let c = Arc::new("key".to_string());
        assert_eq!(*memo.get_or_build_keyed(&c, "a", |_| 1), 1);
        assert_eq!(*memo.get_or_build_keyed(&c, "b", |_| 2), 2);
        assert_eq!(*memo.get_or_build_keyed(&c, "a", |_| 3), 1);
    }
}
