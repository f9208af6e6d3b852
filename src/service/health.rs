//! The service's live-health state (issue 15): one single-flight slot per gateway and
//! credentials holding the last management-API reading, reused for `healthTtl`; which of them
//! a `models/health` watcher polls; and the credentials of a management request.
//!
//! Locking: `slots` and `watching` are std mutexes held only to look up, insert or remove;
//! each slot follows [`super::single_flight`]'s rules.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde_json::Value;

use super::single_flight::SingleFlight;
use super::{lock, CallContext, Service};
use crate::display::rfc3339;
use crate::health::cache::{reading_key, HealthReading};
use crate::management::client::MgmtAuth;
use crate::management::fetch::{health_inputs, HealthInputs, Target};
use crate::store::disk::key_hash;

/// Health readings by [`reading_key`], and the keys a watcher polls.
#[derive(Default)]
pub struct HealthSlots {
    slots: Mutex<HashMap<String, Arc<SingleFlight<HealthReading>>>>,
    watching: Mutex<HashSet<String>>,
}

impl Service {
    /// Where and how to ask the management API for this call: the management token alone
    /// when there is one, else no credentials and then the API key.
    pub fn management_target<'a>(ctx: &'a CallContext, origin: &'a str) -> Target<'a> {
        Target {
            origin,
            auth: MgmtAuth {
                token: ctx.management_token.as_deref(),
                api_key: ctx.key.as_deref(),
            },
            timeout: ctx.opts.request_timeout,
        }
    }

    /// The cache key of this call's health reading (origin and credential hashes).
    pub fn health_key(ctx: &CallContext) -> String {
        reading_key(
            &ctx.opts.origin(),
            &key_hash(ctx.management_token.as_deref()),
            &key_hash(ctx.key.as_deref()),
        )
    }

    fn health_slot(&self, key: &str) -> Arc<SingleFlight<HealthReading>> {
        lock(&self.health.slots)
            .entry(key.to_string())
            .or_default()
            .clone()
    }

    /// The health reading for a call: the current one when younger than `healthTtl`, else
    /// one read of the management API shared by concurrent callers. Returns whether it was
    /// cached. Never fails: unreadable endpoints are warnings inside the reading.
    pub async fn health_reading(&self, ctx: &CallContext) -> (Arc<HealthReading>, bool) {
        if let Some(r) = self.peek_health(ctx) {
            return (r, true);
        }
        let slot = self.health_slot(&Self::health_key(ctx));
        let origin = ctx.opts.origin();
        let loaded = slot
            .load(|_previous| async {
                let inputs = if ctx.opts.offline {
                    HealthInputs::default()
                } else {
                    health_inputs(&self.http, Self::management_target(ctx, &origin)).await
                };
                let now = SystemTime::now();
                Ok((HealthReading::new(inputs, now, rfc3339(now)), now))
            })
            .await;
        match loaded {
            Ok(e) => (e.value, false),
            // The fetch above never fails; keep a value anyway.
            Err(e) => {
                let now = SystemTime::now();
                let inputs = HealthInputs {
                    warnings: vec![e.to_string()],
                    ..HealthInputs::default()
                };
                (
                    Arc::new(HealthReading::new(inputs, now, rfc3339(now))),
                    false,
                )
            }
        }
    }

    /// A reading younger than `healthTtl`, without waiting (for hot calls).
    pub fn peek_health(&self, ctx: &CallContext) -> Option<Arc<HealthReading>> {
        let slot = {
            let slots = lock(&self.health.slots);
            // No reading was ever taken (most sessions): skip the key's two hashes.
            if slots.is_empty() {
                return None;
            }
            slots.get(&Self::health_key(ctx)).cloned()?
        };
        slot.current()
            .filter(|e| e.loaded.elapsed() < ctx.opts.health_ttl)
            .map(|e| e.value)
    }

    /// Forgets every health reading.
    pub fn clear_health(&self) {
        lock(&self.health.slots).clear();
    }

    /// Whether a host listens for notifications (a connection, not a one-shot call).
    pub fn host_listens(&self) -> bool {
        self.notifier.connected() && !self.is_shut_down()
    }

    /// Sends a notification to the host.
    pub fn notify_host(&self, method: &str, params: Value) {
        self.notify(method, params);
    }

    /// Marks `key` as watched; false when a watcher already runs for it.
    pub fn start_health_watch(&self, key: &str) -> bool {
        lock(&self.health.watching).insert(key.to_string())
    }

    /// Unmarks `key` (its watcher ended).
    pub fn stop_health_watch(&self, key: &str) {
        lock(&self.health.watching).remove(key);
    }

    /// Runs `work` in the background, tracked like the catalogue refreshes (stopped at exit).
    pub fn spawn_background(&self, work: impl std::future::Future<Output = ()> + Send + 'static) {
        self.background.spawn(work);
    }
}
