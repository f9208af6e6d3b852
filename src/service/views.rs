//! Instant warm start: a new process answers a host's cache-first view (`models.list` /
//! `opencode.provider` with `refresh: false`) from a persisted view when the gateway data, the
//! models.dev copy, the options and the binary are exactly those it was built from, without
//! reading the snapshot, parsing models.dev, matching or serializing. The catalogue is then
//! warmed behind the answer (so `models/changed` diffs and later calls work as usual), and the
//! background refresh runs as after any snapshot answer.
//!
//! Views are written after answering, from the catalogue that answered, once per (file, data
//! generation, models.dev generation). Identities come from the file headers (`store::disk`),
//! so checking them costs two reads of a few hundred bytes.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::value::RawValue;
use serde_json::Value;

use super::catalogue::{age, slot_name, snapshot_path, BuiltFrom};
use super::{lock, CallContext, CatalogView, Freshness, Service};
use crate::options::Options;
use crate::store::{disk, views};

/// How long after a view answer the catalogue is warmed: long enough for the answer to be
/// written (a few ms for 6 MB), so that parsing and building never compete with it for a core.
/// A call arriving sooner warms the catalogue itself.
const WARM_AFTER: Duration = Duration::from_millis(30);

/// A view answered from disk.
pub struct DiskView {
    /// The view's JSON text.
    pub body: Box<RawValue>,
    /// What was stored beside it (the api layer's counts and warnings).
    pub meta: Value,
    /// When the snapshot's data was fetched (the answer's source is `snapshot`).
    pub fetched_at: SystemTime,
    /// The call's own warnings (invalid options, unreadable credentials).
    pub warnings: Vec<String>,
}

/// The models.dev identity a view of these options is built with: `off` when enrichment is
/// off, else the copy's body hash (`None` when it is not known).
fn dev_identity_on_disk(opts: &Options) -> Option<String> {
    if !opts.models_dev.enabled {
        return Some("off".into());
    }
    let path = disk::models_dev_path(&opts.cache_dir, &opts.models_dev.url);
    disk::read_models_dev_header(&path)?.validators.body_hash
}

impl Service {
    /// What a view built from this gateway data and models.dev copy under these options is
    /// keyed by (the one place that assembles it, for reading and for writing).
    fn view_inputs(
        &self,
        opts: &Options,
        gateway: String,
        models_dev: String,
    ) -> views::ViewInputs {
        views::ViewInputs {
            gateway,
            models_dev,
            options: opts.view_fingerprint(),
            binary: self.env.binary.clone(),
        }
    }

    /// The persisted view of `kind` for this call, when this process has nothing in memory
    /// for its gateway yet and the disk holds a view built from exactly the inputs on disk
    /// now (a snapshot younger than `snapshotMaxAge`). On a hit the catalogue is warmed in the
    /// background, as a cache-first call would have done.
    pub async fn view_from_disk(
        self: &Arc<Self>,
        ctx: &CallContext,
        kind: &str,
    ) -> Option<DiskView> {
        let slot = self.catalog_slot(ctx);
        if slot.has_data() {
            return None;
        }
        let opts = ctx.opts.clone();
        let (name, max_age) = (slot_name(ctx), ctx.opts.snapshot_max_age);
        let snapshot = snapshot_path(ctx);
        let this = self.clone();
        let kind_owned = kind.to_string();
        let found = tokio::task::spawn_blocking(move || {
            let header = disk::read_snapshot_header(&snapshot, &opts.base_url)?;
            let fetched_at = SystemTime::UNIX_EPOCH + Duration::from_millis(header.fetched_at_ms);
            if age(fetched_at) > max_age {
                return None;
            }
            let inputs = this.view_inputs(&opts, header.identity, dev_identity_on_disk(&opts)?);
            let path = views::view_path(&opts.cache_dir, &name, &kind_owned, &inputs.options);
            let stored = views::read_view(&path, &inputs)?;
            Some((stored, fetched_at))
        })
        .await
        .ok()
        .flatten();
        let Some((stored, fetched_at)) = found else {
            tracing::debug!("no persisted {kind} view for these inputs: building it");
            return None;
        };
        tracing::debug!("answered from the persisted {kind} view; warming the catalogue behind it");
        let (this, warm) = (self.clone(), ctx.clone());
        self.background.spawn(async move {
            tokio::time::sleep(WARM_AFTER).await;
            this.catalogue(&warm, Freshness::CacheFirst).await;
        });
        Some(DiskView {
            body: stored.body,
            meta: stored.meta,
            fetched_at,
            warnings: ctx.warnings.clone(),
        })
    }

    /// Keeps `body`, the serialized view of `kind` that answered this call, for the next new
    /// process (written in the background, at most once per inputs). `meta` goes beside it.
    pub fn persist_view(
        self: &Arc<Self>,
        ctx: &CallContext,
        view: &CatalogView,
        kind: &str,
        body: &Arc<RawValue>,
        meta: Value,
    ) {
        let Some(BuiltFrom { slot, data, dev }) = view.built_from.clone() else {
            return;
        };
        let models_dev = if !ctx.opts.models_dev.enabled {
            "off".to_string()
        } else {
            // Built without its models.dev copy (download pending or failed): not the view a
            // new process would build from the disk, so it is not kept.
            match dev
                .as_ref()
                .and_then(|d| d.value.validators().body_hash.clone())
            {
                Some(h) => h,
                None => return,
            }
        };
        let opts = ctx.opts.clone();
        let path = views::view_path(
            &opts.cache_dir,
            &slot_name(ctx),
            kind,
            &opts.view_fingerprint(),
        );
        let generations = (data.generation, dev.as_ref().map_or(0, |d| d.generation));
        {
            let mut done = lock(&slot.persisted);
            if done.get(&path) == Some(&generations) {
                return;
            }
            done.insert(path.clone(), generations);
        }
        let epoch = self.clear_epoch.load(Ordering::SeqCst);
        let (this, body) = (self.clone(), body.clone());
        self.write_in_background(move || {
            let written = slot.identity_for(&data).and_then(|gateway| {
                let inputs = this.view_inputs(&opts, gateway, models_dev);
                // cache.clear since this view was served: it is not written back.
                if this.clear_epoch.load(Ordering::SeqCst) != epoch {
                    return Ok(());
                }
                views::write_view(&path, &inputs, &body, &meta).map_err(|e| e.to_string())
            });
            if let Err(e) = written {
                tracing::debug!("persisted view not written: {e}");
            }
        });
    }
}
