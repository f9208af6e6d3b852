//! A small memo of values derived from a shared catalogue (the search index), kept while the
//! catalogue is alive: keyed by the `Arc`'s identity, holding only a `Weak` to it, so a
//! replaced catalogue's entry is dropped at the next lookup. Generic so that this module never
//! imports the catalogue type.

use std::sync::{Arc, Mutex, Weak};

/// How many live catalogues keep their value (one per gateway and key in practice).
const SLOTS: usize = 8;

type Slot<K, V> = (Weak<K>, Arc<V>);

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
        if let Some(v) = self.find(key) {
            return v;
        }
        let built = Arc::new(build(key));
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.retain(|(w, _)| w.strong_count() > 0);
        if let Some((_, v)) = slots.iter().find(|(w, _)| w.as_ptr() == Arc::as_ptr(key)) {
            return v.clone();
        }
        if slots.len() >= SLOTS {
            slots.remove(0);
        }
        slots.push((Arc::downgrade(key), built.clone()));
        built
    }

    fn find(&self, key: &Arc<K>) -> Option<Arc<V>> {
        let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots
            .iter()
            .find(|(w, _)| w.as_ptr() == Arc::as_ptr(key) && w.strong_count() > 0)
            .map(|(_, v)| v.clone())
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
    }
}
