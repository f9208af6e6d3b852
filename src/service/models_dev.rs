//! The models.dev index: one single-flight slot per URL, backed by the last download on disk,
//! refreshed in the background when stale. A failure never stops a call: enrichment falls back
//! to the last copy, else to the gateway's own metadata, with a warning.

use std::sync::Arc;
use std::time::SystemTime;

use super::catalogue::Freshness;
use super::single_flight::{Entry, SingleFlight};
use super::{lock, Service};
use crate::error::ServiceError;
use crate::modelsdev::{self, index::DevIndex};
use crate::options::Options;
use crate::store::disk;

impl Service {
    /// The models.dev slot for these options (None when enrichment is off).
    pub(super) fn dev_slot(&self, opts: &Options) -> Option<Arc<SingleFlight<DevIndex>>> {
        opts.models_dev.enabled.then(|| {
            lock(&self.devs)
                .entry(opts.models_dev.url.clone())
                .or_default()
                .clone()
        })
    }

    /// The models.dev index already in memory, without any I/O.
    pub(super) fn dev_now(&self, opts: &Options) -> Option<Entry<DevIndex>> {
        self.dev_slot(opts)?.current()
    }

    /// Loads the disk copy into the slot when it is empty (parsed off the runtime).
    pub(super) async fn dev_from_disk(
        &self,
        slot: &SingleFlight<DevIndex>,
        opts: &Options,
        warnings: &mut Vec<String>,
    ) {
        if slot.current().is_some() {
            return;
        }
        let path = disk::models_dev_path(&opts.cache_dir, &opts.models_dev.url);
        let parsed = tokio::task::spawn_blocking(move || {
            let copy = disk::read_models_dev(&path)?;
            let index = DevIndex::parse(&copy.body).map_err(|e| {
                format!(
                    "ignored the corrupt models.dev copy {} ({e})",
                    path.display()
                )
            });
            // Its identity (the body's sha256) keys the persisted views; a copy written before
            // copies carried a header gets one now, once.
            let validators = copy.validators.clone().unwrap_or_else(|| {
                let v = crate::http::Validators {
                    body_hash: Some(crate::hash::sha256_hex(&copy.body)),
                    ..Default::default()
                };
                if index.is_ok() {
                    if let Err(e) = disk::write_models_dev(&path, &copy.body, copy.fetched_at, &v) {
                        tracing::debug!("models.dev copy not rewritten with a header: {e}");
                    }
                }
                v
            });
            Some((
                index.map(|mut i| {
                    i.set_validators(validators);
                    i
                }),
                copy.fetched_at,
            ))
        })
        .await
        .ok()
        .flatten();
        match parsed {
            Some((Ok(index), fetched_at)) => {
                slot.offer_from_disk(index, fetched_at);
            }
            Some((Err(w), _)) => warnings.push(w),
            None => {}
        }
    }

    /// The models.dev index for these options, per the freshness wanted.
    pub(super) async fn dev_index(
        self: &Arc<Self>,
        opts: &Options,
        mode: Freshness,
        warnings: &mut Vec<String>,
    ) -> Option<Entry<DevIndex>> {
        let slot = self.dev_slot(opts)?;
        self.dev_from_disk(&slot, opts, warnings).await;
        let current = slot.current();
        let fresh = current.as_ref().is_some_and(|c| {
            SystemTime::now()
                .duration_since(c.fetched_at)
                .map_or(true, |age| age < opts.models_dev.cache_ttl)
        });
        if fresh || opts.offline {
            if current.is_none() && opts.offline {
                warnings.push(
                    "offline: no models.dev copy on disk, metadata comes from the gateway only"
                        .into(),
                );
            }
            return current;
        }
        if mode == Freshness::CacheFirst {
            self.spawn_dev_refresh(slot.clone(), opts.clone());
            if current.is_none() {
                warnings.push("models.dev is being downloaded; enriched metadata follows in a models/changed notification".into());
            }
            return current;
        }
        match self.load_dev(&slot, opts).await {
            Ok(l) => Some(l),
            Err(e) => {
                warnings.push(unavailable_warning(&e, current.is_some()));
                current
            }
        }
    }

    /// One download shared by every concurrent caller; parsed off the runtime, and the copy
    /// kept on disk after answering.
    async fn load_dev(
        &self,
        slot: &SingleFlight<DevIndex>,
        opts: &Options,
    ) -> Result<Entry<DevIndex>, ServiceError> {
        let md = &opts.models_dev;
        // An unchanged download (304 or the same bytes) keeps the index and its generation.
        let same = |a: &DevIndex, b: &DevIndex| {
            let unchanged = a.validators().same_body(b.validators());
            if unchanged {
                tracing::debug!("models.dev unchanged: index and catalogue reused");
            }
            unchanged
        };
        slot.load_keeping(
            |previous| async move {
                let unavailable = |reason: String| ServiceError::ModelsDevUnavailable {
                    url: md.url.clone(),
                    reason,
                };
                let known = previous.as_ref().map(|p| p.value.validators().clone());
                let (bytes, validators) =
                    match modelsdev::download(&self.http, &md.url, md.timeout, known.as_ref())
                        .await
                        .map_err(unavailable)?
                    {
                        modelsdev::Download::Body(b, v) => (b, v),
                        modelsdev::Download::Unchanged(v) => {
                            // Same body: an index carrying the same hash; `same` keeps the old one.
                            let mut marker = DevIndex::default();
                            marker.set_validators(v);
                            return Ok((marker, SystemTime::now()));
                        }
                    };
                let path = disk::models_dev_path(&opts.cache_dir, &md.url);
                // Parsed off the runtime: it overlaps the gateway's parse on another core.
                let (index, bytes) = tokio::task::spawn_blocking(move || {
                    DevIndex::parse(&bytes).map(|index| (index, bytes))
                })
                .await
                .map_err(|e| unavailable(format!("parse failed: {e}")))?
                .map_err(|e| unavailable(format!("invalid catalogue: {e}")))?;
                // The copy is kept after answering, with its validators (its identity).
                let kept = validators.clone();
                self.write_in_background(move || {
                    let now = SystemTime::now();
                    if let Err(e) = disk::write_models_dev(&path, &bytes, now, &kept) {
                        tracing::warn!("models.dev copy not written to {}: {e}", path.display());
                    }
                });
                let mut index = index;
                index.set_validators(validators);
                Ok((index, SystemTime::now()))
            },
            same,
        )
        .await
    }

    fn spawn_dev_refresh(self: &Arc<Self>, slot: Arc<SingleFlight<DevIndex>>, opts: Options) {
        let Some(guard) = slot.begin_refresh() else {
            return;
        };
        let this = self.clone();
        self.background.spawn(async move {
            let _guard = guard;
            if this.load_dev(&slot, &opts).await.is_ok() {
                this.rebuild_and_notify(&opts);
            }
        });
    }

    /// Forces the next models.dev read to download again (`models.refresh`).
    pub async fn refresh_models_dev(self: &Arc<Self>, opts: &Options, warnings: &mut Vec<String>) {
        if opts.offline {
            return;
        }
        let Some(slot) = self.dev_slot(opts) else {
            return;
        };
        if let Err(e) = self.load_dev(&slot, opts).await {
            warnings.push(unavailable_warning(&e, true));
        }
    }
}

/// The warning for a failed models.dev load, saying what the catalogue uses instead.
fn unavailable_warning(e: &ServiceError, have_copy: bool) -> String {
    let reason = match e {
        ServiceError::ModelsDevUnavailable { reason, .. } => reason.clone(),
        other => other.to_string(),
    };
    if have_copy {
        format!("models.dev refresh failed ({reason}); using the last downloaded copy")
    } else {
        format!("models.dev unavailable ({reason}); metadata comes from the gateway only")
    }
}
