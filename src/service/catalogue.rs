//! The catalogue of one gateway: its data in a single-flight slot backed by the disk snapshot,
//! the catalogue built from it (memoised per change of its inputs), the copy last served (the
//! "before" of a diff), background refreshes and `models/changed`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use super::single_flight::{Entry, SingleFlight};
use super::{lock, CallContext, Service};
use crate::catalog::diff::diff;
use crate::catalog::fallback;
use crate::catalog::model::Source;
use crate::catalog::pipeline::{Catalogue, Inputs};
use crate::display::{redact_url, rfc3339};
use crate::gateway::{self, GatewayData};
use crate::modelsdev::index::DevIndex;
use crate::options::Options;
use crate::store::disk;

/// How eager a catalogue read is to go to the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Wait for a fresh list (`refresh: true`).
    Refresh,
    /// Serve anything cached at once; refresh in the background when older than the TTL.
    CacheFirst,
    /// Serve the cache while within the TTL, else wait for a fresh list.
    WithinTtl,
}

/// A catalogue answer with its origin.
pub struct CatalogView {
    /// The built catalogue (fallback models when `source` is `fallback`).
    pub catalogue: Arc<Catalogue>,
    /// Where it came from.
    pub source: Source,
    /// When the gateway data was fetched.
    pub fetched_at: Option<SystemTime>,
    /// Warnings for the caller.
    pub warnings: Vec<String>,
    /// The inputs it was built from (none for the fallback models): what a persisted view of
    /// it is keyed by.
    pub(super) built_from: Option<BuiltFrom>,
}

/// The inputs a served catalogue was built from.
#[derive(Clone)]
pub(super) struct BuiltFrom {
    pub(super) slot: Arc<CatalogSlot>,
    pub(super) data: Entry<GatewayData>,
    pub(super) dev: Option<Entry<DevIndex>>,
}

/// The key a built catalogue is memoised under: gateway data generation, models.dev
/// generation, and the options that shape the build.
type BuildKey = (u64, u64, String);

/// Everything cached for one (baseURL, key). `built`, `last_served`, `identity` and
/// `persisted` are std mutexes held only to read or replace a value, never across an `.await`
/// or file work.
#[derive(Default)]
pub struct CatalogSlot {
    data: Arc<SingleFlight<GatewayData>>,
    built: Mutex<Option<(BuildKey, Arc<Catalogue>)>>,
    last_served: Mutex<Option<Arc<Catalogue>>>,
    /// The identity (snapshot payload hash) of one generation of `data`, once known.
    pub(super) identity: Mutex<Option<(u64, String)>>,
    /// Views this process wrote, by file, with the (data, models.dev) generations they show.
    pub(super) persisted: Mutex<std::collections::HashMap<std::path::PathBuf, (u64, u64)>>,
}

impl CatalogSlot {
    /// Records the identity of a generation of the gateway data.
    pub(super) fn set_identity(&self, generation: u64, identity: String) {
        *lock(&self.identity) = Some((generation, identity));
    }

    /// Whether gateway data (live or from disk) is in memory.
    pub(super) fn has_data(&self) -> bool {
        self.data.current().is_some()
    }

    /// The identity of this gateway data: the one recorded for its generation (from the
    /// snapshot header, or by the snapshot write), else computed from the data as the snapshot
    /// write does, and recorded. File work: call it off the runtime.
    pub(super) fn identity_for(&self, data: &Entry<GatewayData>) -> Result<String, String> {
        let known = lock(&self.identity)
            .as_ref()
            .filter(|(g, _)| *g == data.generation)
            .map(|(_, id)| id.clone());
        if let Some(id) = known {
            return Ok(id);
        }
        let (_, id) = disk::encode_snapshot_data(&data.value)?;
        self.set_identity(data.generation, id.clone());
        Ok(id)
    }
}

pub(super) fn snapshot_path(ctx: &CallContext) -> std::path::PathBuf {
    disk::snapshot_path(
        &ctx.opts.cache_dir,
        &ctx.opts.base_url,
        &disk::key_hash(ctx.key.as_deref()),
    )
}

/// What a call's catalogue slot is keyed by: the base URL and the key's hash.
fn slot_key(ctx: &CallContext) -> (String, String) {
    (
        ctx.opts.base_url.clone(),
        disk::key_hash(ctx.key.as_deref()),
    )
}

/// The slot's key as one string, for file names.
pub(super) fn slot_name(ctx: &CallContext) -> String {
    let (base, key) = slot_key(ctx);
    format!("{base}\n{key}")
}

impl Service {
    pub(super) fn catalog_slot(&self, ctx: &CallContext) -> Arc<CatalogSlot> {
        lock(&self.catalogs)
            .entry(slot_key(ctx))
            .or_default()
            .clone()
    }

    /// Loads the disk snapshot into the slot when it is empty (file work off the runtime).
    async fn warm_from_disk(
        &self,
        slot: &CatalogSlot,
        ctx: &CallContext,
        warnings: &mut Vec<String>,
    ) {
        if slot.data.current().is_some() {
            return;
        }
        let path = snapshot_path(ctx);
        let base = ctx.opts.base_url.clone();
        let read = tokio::task::spawn_blocking(move || disk::read_snapshot(&path, &base)).await;
        match read {
            Ok(Ok(Some(snap))) => {
                let installed = slot.data.offer_from_disk(
                    snap.data,
                    SystemTime::UNIX_EPOCH + Duration::from_millis(snap.fetched_at_ms),
                );
                if let (true, Some(identity), Some(entry)) =
                    (installed, snap.identity, slot.data.current())
                {
                    if entry.from_disk {
                        slot.set_identity(entry.generation, identity);
                    }
                }
            }
            Ok(Ok(None)) => {}
            Ok(Err(w)) => warnings.push(w),
            Err(e) => warnings.push(format!("snapshot read failed: {e}")),
        }
    }

    /// One gateway fetch shared by every concurrent caller; on success the snapshot is written
    /// (after answering, atomically) and combos that failed to load keep their last good copy.
    async fn load_gateway(
        &self,
        slot: &CatalogSlot,
        ctx: &CallContext,
    ) -> Result<Entry<GatewayData>, crate::error::ServiceError> {
        let loaded_here = std::sync::atomic::AtomicBool::new(false);
        // Unchanged gateway data (a 304 or the same body, the same combos and extras) keeps its
        // generation: the catalogue built from it is reused, nothing is matched or built again.
        let same = |a: &GatewayData, b: &GatewayData| {
            let unchanged =
                Arc::ptr_eq(&a.models, &b.models) && a.combos == b.combos && a.extras == b.extras;
            if unchanged {
                tracing::debug!("gateway data unchanged: catalogue reused");
            }
            unchanged
        };
        let entry = slot
            .data
            .load_keeping(
                |previous| {
                    let flag = &loaded_here;
                    async move {
                        let origin = ctx.opts.origin();
                        let known = previous.as_ref().map(|p| &*p.value);
                        let (data, (extras, extra_warnings)) = tokio::join!(
                            gateway::fetch_all(&self.http, &ctx.opts, ctx.key.as_deref(), known),
                            crate::management::fetch::catalog_extras(
                                &self.http,
                                Service::management_target(ctx, &origin)
                            ),
                        );
                        let mut data = data?;
                        data.warnings.extend(extra_warnings);
                        data.extras = (!extras.is_empty()).then_some(extras);
                        if data.combos.is_none() {
                            if let Some(prev) =
                                previous.as_ref().filter(|p| p.value.combos.is_some())
                            {
                                data.combos = prev.value.combos.clone();
                                data.combos_endpoint = prev.value.combos_endpoint.clone();
                                data.warnings
                                    .push("using the last good combo definitions".into());
                            }
                        }
                        flag.store(true, std::sync::atomic::Ordering::Relaxed);
                        Ok((data, SystemTime::now()))
                    }
                },
                same,
            )
            .await?;
        if loaded_here.load(std::sync::atomic::Ordering::Relaxed) {
            // Written after answering; atomic, so a reader never sees half of it.
            let (path, base, at, data, generation) = (
                snapshot_path(ctx),
                ctx.opts.base_url.clone(),
                entry.fetched_at,
                entry.value.clone(),
                entry.generation,
            );
            let slot = self.catalog_slot(ctx);
            self.write_in_background(
                move || match disk::write_snapshot(&path, &base, at, &data) {
                    Ok(identity) => slot.set_identity(generation, identity),
                    Err(w) => tracing::warn!("disk snapshot not written: {w}"),
                },
            );
        }
        Ok(entry)
    }

    /// Loads the gateway data, waiting at most `deadline` when one is given: the load then runs
    /// on in the background, and what it brings lands in the slot and the snapshot and reaches
    /// the client as `models/changed`. `None` when the deadline passed first.
    async fn load_within(
        self: &Arc<Self>,
        slot: Arc<CatalogSlot>,
        ctx: &CallContext,
        deadline: Option<Duration>,
    ) -> Option<Result<Entry<GatewayData>, crate::error::ServiceError>> {
        let Some(deadline) = deadline else {
            return Some(self.load_gateway(&slot, ctx).await);
        };
        let detached = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (tx, mut rx) = tokio::sync::oneshot::channel();
        let (this, task_ctx, task_detached) = (self.clone(), ctx.clone(), detached.clone());
        self.background.spawn(async move {
            let result = this.load_gateway(&slot, &task_ctx).await;
            if task_detached.load(std::sync::atomic::Ordering::SeqCst) {
                match &result {
                    Ok(_) => this.rebuild_and_notify(&task_ctx.opts),
                    Err(e) => tracing::info!("start-up refresh failed: {e}"),
                }
            }
            let _ = tx.send(result);
        });
        match tokio::time::timeout(deadline, &mut rx).await {
            Ok(Ok(result)) => Some(result),
            Ok(Err(_)) => Some(Err(crate::error::ServiceError::Internal(
                "the start-up refresh stopped".into(),
            ))),
            Err(_) => {
                detached.store(true, std::sync::atomic::Ordering::SeqCst);
                // It may have finished just now, before it saw the flag.
                rx.try_recv().ok()
            }
        }
    }

    fn spawn_gateway_refresh(self: &Arc<Self>, slot: Arc<CatalogSlot>, ctx: CallContext) {
        let Some(guard) = slot.data.begin_refresh() else {
            return;
        };
        let this = self.clone();
        self.background.spawn(async move {
            let _guard = guard;
            match this.load_gateway(&slot, &ctx).await {
                Ok(_) => this.rebuild_and_notify(&ctx.opts),
                Err(e) => tracing::info!("background refresh failed: {e}"),
            }
        });
    }

    /// After a background load: rebuild every cached catalogue for this base URL and notify
    /// the client when one changed.
    pub(super) fn rebuild_and_notify(self: &Arc<Self>, opts: &Options) {
        let slots: Vec<(String, Arc<CatalogSlot>)> = lock(&self.catalogs)
            .iter()
            .filter(|((base, _), _)| base == &opts.base_url)
            .map(|((base, _), slot)| (base.clone(), slot.clone()))
            .collect();
        for (base, slot) in slots {
            let Some(data) = slot.data.current() else {
                continue;
            };
            let dev = self.dev_now(opts);
            let catalogue = self.build(&slot, &data, dev.as_ref(), opts);
            let previous = lock(&slot.last_served).replace(catalogue.clone());
            if let Some(prev) = previous {
                let d = diff(&prev, &catalogue);
                if !d.is_empty() {
                    self.notify(
                        "models/changed",
                        serde_json::json!({
                            "baseURL": redact_url(&base),
                            "source": if data.from_disk { "snapshot" } else { "live" },
                            "fetchedAt": rfc3339(data.fetched_at),
                            "diff": d,
                        }),
                    );
                }
            }
        }
    }

    /// Builds (or reuses) the catalogue for the given gateway data and models.dev copy.
    fn build(
        &self,
        slot: &CatalogSlot,
        data: &Entry<GatewayData>,
        dev: Option<&Entry<DevIndex>>,
        opts: &Options,
    ) -> Arc<Catalogue> {
        let fingerprint = format!(
            "{:?}|{}",
            opts.models_dev.provider_aliases, opts.overrides_fingerprint
        );
        let key = (
            data.generation,
            dev.map_or(0, |d| d.generation),
            fingerprint,
        );
        if let Some((k, c)) = lock(&slot.built).as_ref() {
            if *k == key {
                return c.clone();
            }
        }
        let matcher = self.matcher(&opts.models_dev.provider_aliases);
        let catalogue = Arc::new(Catalogue::build(Inputs {
            extras: data.value.extras.as_ref(),
            gateway: &data.value.models,
            combos: data.value.combos.as_deref(),
            dev: dev.map(|d| d.value.clone()),
            matcher,
            overrides: &opts.overrides,
        }));
        *lock(&slot.built) = Some((key, catalogue.clone()));
        catalogue
    }

    /// The catalogue for a call, per the freshness wanted. Never fails: with nothing at all it
    /// answers the fallback models, saying why.
    pub async fn catalogue(self: &Arc<Self>, ctx: &CallContext, mode: Freshness) -> CatalogView {
        let mut warnings = ctx.warnings.clone();
        let slot = self.catalog_slot(ctx);
        // A cold process reads the snapshot and the models.dev copy at once, on two cores.
        let mut dev_warnings = Vec::new();
        match self.dev_slot(&ctx.opts) {
            Some(dev) => {
                tokio::join!(
                    self.warm_from_disk(&slot, ctx, &mut warnings),
                    self.dev_from_disk(&dev, &ctx.opts, &mut dev_warnings)
                );
            }
            None => self.warm_from_disk(&slot, ctx, &mut warnings).await,
        }
        warnings.append(&mut dev_warnings);
        // A snapshot past `snapshotMaxAge` is not served unless the gateway cannot answer.
        let any_cached = slot.data.current();
        let max_age = ctx.opts.snapshot_max_age;
        let current = any_cached
            .clone()
            .filter(|c| !(c.from_disk && age(c.fetched_at) > max_age));
        let ttl = ctx.opts.model_cache_ttl;
        let fresh = current
            .as_ref()
            .is_some_and(|c| !c.from_disk && c.loaded.elapsed() < ttl);
        let fetch = !ctx.opts.offline
            && match mode {
                Freshness::Refresh => true,
                Freshness::CacheFirst => current.is_none(),
                Freshness::WithinTtl => !fresh,
            };
        // A start-up call with something good cached waits only `startupWaitMs` (models.dev
        // included); with nothing cached it waits like any other call.
        let startup_deadline = ctx.startup && current.is_some();
        let dev_mode = if fetch && !startup_deadline {
            Freshness::WithinTtl
        } else {
            Freshness::CacheFirst
        };

        let (data, source) = if fetch {
            // A start-up call with something good cached waits only `startupWaitMs`.
            let deadline = startup_deadline.then_some(ctx.opts.startup_wait);
            let (result, (dev, dev_warnings)) =
                tokio::join!(self.load_within(slot.clone(), ctx, deadline), async {
                    let mut w = Vec::new();
                    let d = self.dev_index(&ctx.opts, dev_mode, &mut w).await;
                    (d, w)
                });
            warnings.extend(dev_warnings);
            match result {
                Some(Ok(l)) => {
                    warnings.extend(l.value.warnings.iter().cloned());
                    let c = self.build(&slot, &l, dev.as_ref(), &ctx.opts);
                    return served(&slot, c, Source::Live, (l, dev), warnings);
                }
                None => {
                    // Only with a deadline, so `current` is there.
                    let Some(c) = current else {
                        return self.fallback(warnings, ctx);
                    };
                    warnings.push(format!(
                        "the gateway did not answer within {} ms (startupWaitMs): serving the list fetched {} ago; the fresh list follows in a models/changed notification",
                        ctx.opts.startup_wait.as_millis(),
                        ago(c.fetched_at)
                    ));
                    let source = cached_source(&c, fresh);
                    (c, source)
                }
                Some(Err(e)) => {
                    warnings.push(e.to_string());
                    match any_cached {
                        Some(c) => {
                            let source = cached_source(&c, false);
                            if c.from_disk && age(c.fetched_at) > max_age {
                                warnings.push(format!(
                                    "serving a snapshot fetched {} ago (older than snapshotMaxAge) because the gateway cannot answer",
                                    ago(c.fetched_at)
                                ));
                            } else {
                                warnings.push("serving the last good model list".into());
                            }
                            (c, source)
                        }
                        None => return self.fallback(warnings, ctx),
                    }
                }
            }
        } else {
            match current.or(if ctx.opts.offline { any_cached } else { None }) {
                Some(c) => {
                    let source = cached_source(&c, fresh);
                    if !fresh && !ctx.opts.offline {
                        self.spawn_gateway_refresh(slot.clone(), ctx.clone());
                    }
                    (c, source)
                }
                None => {
                    warnings.push("offline and nothing cached for this gateway".into());
                    return self.fallback(warnings, ctx);
                }
            }
        };
        let mut dev_warnings = Vec::new();
        let dev = self
            .dev_index(&ctx.opts, Freshness::CacheFirst, &mut dev_warnings)
            .await;
        warnings.extend(dev_warnings);
        let c = self.build(&slot, &data, dev.as_ref(), &ctx.opts);
        served(&slot, c, source, (data, dev), warnings)
    }

    fn fallback(&self, mut warnings: Vec<String>, ctx: &CallContext) -> CatalogView {
        let mut models = fallback::fallback_models();
        warnings.push(format!(
            "no model list from {} and nothing cached: serving the {} built-in fallback models",
            redact_url(&ctx.opts.base_url),
            models.len()
        ));
        crate::catalog::overrides::apply(&mut models, &ctx.opts.overrides);
        let matcher = self.matcher(&ctx.opts.models_dev.provider_aliases);
        CatalogView {
            catalogue: Arc::new(Catalogue::from_models(models, matcher)),
            source: Source::Fallback,
            fetched_at: None,
            warnings,
            built_from: None,
        }
    }

    /// What this context would see without touching the network: the catalogue last served,
    /// else one built from memory or the disk snapshot (the "before" of a refresh diff).
    pub async fn peek(&self, ctx: &CallContext) -> Option<Arc<Catalogue>> {
        let slot = self.catalog_slot(ctx);
        if let Some(c) = lock(&slot.last_served).clone() {
            return Some(c);
        }
        let mut warnings = Vec::new();
        self.warm_from_disk(&slot, ctx, &mut warnings).await;
        let data = slot.data.current()?;
        let dev = self.dev_now(&ctx.opts);
        Some(self.build(&slot, &data, dev.as_ref(), &ctx.opts))
    }
}

/// How long ago `t` was (zero when it is in the future).
pub(super) fn age(t: SystemTime) -> Duration {
    SystemTime::now().duration_since(t).unwrap_or_default()
}

/// `age(t)` for people, to the second.
fn ago(t: SystemTime) -> String {
    humantime::format_duration(Duration::from_secs(age(t).as_secs())).to_string()
}

/// The source of a cached list: the snapshot, a fresh copy, or a stale one.
fn cached_source(c: &Entry<GatewayData>, fresh: bool) -> Source {
    if c.from_disk {
        Source::Snapshot
    } else if fresh {
        Source::Cache
    } else {
        Source::Stale
    }
}

fn served(
    slot: &Arc<CatalogSlot>,
    catalogue: Arc<Catalogue>,
    source: Source,
    (data, dev): (Entry<GatewayData>, Option<Entry<DevIndex>>),
    mut warnings: Vec<String>,
) -> CatalogView {
    warnings.extend(catalogue.warnings.iter().cloned());
    *lock(&slot.last_served) = Some(catalogue.clone());
    CatalogView {
        catalogue,
        source,
        fetched_at: Some(data.fetched_at),
        warnings,
        built_from: Some(BuiltFrom {
            slot: slot.clone(),
            data,
            dev,
        }),
    }
}
