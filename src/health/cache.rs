//! One health reading of the management API and what is derived from it. The service keeps
//! one reading per gateway and credentials in a single-flight slot, reused for `healthTtl`;
//! the derived per-model map is memoised per catalogue, so a cached `models.health` is a lookup.

use std::sync::{Arc, Mutex, Weak};
use std::time::SystemTime;

use super::derive::HealthMap;
use crate::catalog::pipeline::Catalogue;
use crate::management::fetch::HealthInputs;

/// One reading of the management API and what was derived from it.
pub struct HealthReading {
    /// What the gateway said.
    pub inputs: HealthInputs,
    /// When it was asked.
    pub fetched_at: SystemTime,
    /// `fetched_at` as RFC 3339.
    pub checked_at: String,
    derived: Mutex<Option<(Weak<Catalogue>, Arc<HealthMap>)>>,
}

impl HealthReading {
    /// Wraps fresh inputs.
    pub fn new(inputs: HealthInputs, fetched_at: SystemTime, checked_at: String) -> HealthReading {
        HealthReading {
            inputs,
            fetched_at,
            checked_at,
            derived: Mutex::new(None),
        }
    }

    /// The health map for `catalogue`, derived once per (reading, catalogue).
    pub fn for_catalogue(
        &self,
        catalogue: &Arc<Catalogue>,
        derive: impl FnOnce(&HealthInputs) -> HealthMap,
    ) -> Arc<HealthMap> {
        let mut slot = self.derived.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((cat, map)) = slot.as_ref() {
            if Weak::ptr_eq(cat, &Arc::downgrade(catalogue)) {
                return map.clone();
            }
        }
        let map = Arc::new(derive(&self.inputs));
        *slot = Some((Arc::downgrade(catalogue), map.clone()));
        map
    }
}

/// The cache key of a reading: gateway origin and hashes of both credentials (never them).
pub fn reading_key(origin: &str, token_hash: &str, key_hash: &str) -> String {
    format!("{origin}|{token_hash}|{key_hash}")
}
