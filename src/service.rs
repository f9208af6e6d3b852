//! The session state behind every method: options, the API key, and the caches. Loads are
//! single-flight (concurrent callers share one gateway request), failures never replace good
//! data, memory is backed by the disk snapshot, and the built catalogue is memoised per change
//! of its inputs.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

use crate::catalog::fallback;
use crate::catalog::matcher::Matcher;
use crate::catalog::model::{Model, Source};
use crate::catalog::pipeline::{Catalogue, Inputs};
use crate::error::ServiceError;
use crate::gateway::{self, http::Http, GatewayData};
use crate::modelsdev::{self, index::DevIndex};
use crate::options::Options;
use crate::rpc::server::Outbox;
use crate::store::{credentials, disk};

/// Where the key of a call came from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub enum KeySource {
    /// The call's `apiKey` param.
    Param,
    /// Set earlier in this session by `auth.connect`.
    Session,
    /// OpenCode's credentials file (or `OPENCODE_AUTH_CONTENT`).
    AuthFile,
    /// The `OMNIROUTE_API_KEY` environment variable.
    Env,
    /// No key: requests carry no `Authorization` header.
    None,
}

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

/// The options, key and warnings in force for one call.
#[derive(Clone)]
pub struct CallContext {
    /// Validated options.
    pub opts: Arc<Options>,
    /// The key, if any.
    pub key: Option<String>,
    /// Where the key came from.
    pub key_source: KeySource,
    /// Warnings so far (invalid options, unreadable credentials).
    pub warnings: Vec<String>,
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
}

static GENERATION: AtomicU64 = AtomicU64::new(1);

fn next_generation() -> u64 {
    GENERATION.fetch_add(1, Ordering::Relaxed)
}

/// Gateway data held in memory.
#[derive(Clone)]
struct Loaded {
    data: Arc<GatewayData>,
    fetched_at: SystemTime,
    /// When this copy became current in this process (monotonic).
    loaded: Instant,
    from_disk: bool,
    generation: u64,
}

/// The last failed load, shared with callers that waited on it.
#[derive(Clone)]
struct Failure {
    at: Instant,
    error: ServiceError,
}

#[derive(Default)]
struct CatalogState {
    load: tokio::sync::Mutex<()>,
    data: Mutex<Option<Loaded>>,
    failure: Mutex<Option<Failure>>,
    built: Mutex<Option<Built>>,
    /// The catalogue last handed to a caller, to diff against.
    last_served: Mutex<Option<Arc<Catalogue>>>,
    refreshing: AtomicBool,
}

#[derive(Clone)]
struct Built {
    key: (u64, u64, String),
    catalogue: Arc<Catalogue>,
}

#[derive(Clone)]
struct DevLoaded {
    index: Arc<DevIndex>,
    fetched_at: SystemTime,
    /// When this copy became current in this process (monotonic).
    loaded: Instant,
    generation: u64,
}

#[derive(Default)]
struct DevState {
    load: tokio::sync::Mutex<()>,
    data: Mutex<Option<DevLoaded>>,
    failure: Mutex<Option<Failure>>,
    refreshing: AtomicBool,
}

fn write_cache_file(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    crate::store::atomic::write_atomic(path, bytes, false)
}

/// A matcher and the alias table it was built from.
type MatcherFor = (BTreeMap<String, String>, Arc<Matcher>);

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Session state and caches; one per process.
pub struct Service {
    http: Http,
    session_options: Mutex<Value>,
    session_key: Mutex<Option<String>>,
    shut_down: AtomicBool,
    outbox: Mutex<Option<Outbox>>,
    catalogs: Mutex<HashMap<(String, String), Arc<CatalogState>>>,
    devs: Mutex<HashMap<String, Arc<DevState>>>,
    /// The matcher for the last alias table seen (aliases rarely change within a session).
    matcher: Mutex<Option<MatcherFor>>,
    background: Mutex<Vec<tokio::task::AbortHandle>>,
}

impl Default for Service {
    fn default() -> Self {
        Service::new()
    }
}

impl Service {
    /// A fresh service with default options.
    pub fn new() -> Service {
        Service {
            http: Http::new(),
            session_options: Mutex::new(Value::Object(Default::default())),
            session_key: Mutex::new(None),
            shut_down: AtomicBool::new(false),
            outbox: Mutex::new(None),
            catalogs: Mutex::default(),
            devs: Mutex::default(),
            matcher: Mutex::default(),
            background: Mutex::default(),
        }
    }

    /// The shared HTTP client.
    pub fn http(&self) -> &Http {
        &self.http
    }

    // ----- lifecycle -------------------------------------------------------------------

    /// Where notifications go (set by the server loop).
    pub fn set_outbox(&self, outbox: Outbox) {
        *lock(&self.outbox) = Some(outbox);
    }

    /// Drops the outbox so the writer can finish.
    pub fn clear_outbox(&self) {
        *lock(&self.outbox) = None;
    }

    /// Marks the session as shut down.
    pub fn shut_down(&self) {
        self.shut_down.store(true, Ordering::SeqCst);
    }

    /// Whether `shutdown` was called.
    pub fn is_shut_down(&self) -> bool {
        self.shut_down.load(Ordering::SeqCst)
    }

    /// Remembers a background task so exit can stop it; forgets finished ones.
    fn track(&self, handle: tokio::task::AbortHandle) {
        let mut tasks = lock(&self.background);
        tasks.retain(|h| !h.is_finished());
        tasks.push(handle);
    }

    /// Stops background refreshes (at exit).
    pub fn shutdown_background(&self) {
        for h in lock(&self.background).drain(..) {
            h.abort();
        }
    }

    fn notify(&self, method: &str, params: Value) {
        if let Some(o) = lock(&self.outbox).as_ref() {
            o.notify(method, params);
        }
    }

    // ----- options and key -------------------------------------------------------------

    /// Replaces the session options (from `initialize`); returns the warnings.
    pub fn set_session_options(&self, options: Value) -> Vec<String> {
        let (_, warnings) = Options::parse(&[&options]);
        *lock(&self.session_options) = options;
        warnings
    }

    /// Sets the key for the rest of the session.
    pub fn set_session_key(&self, key: Option<String>) {
        *lock(&self.session_key) = key;
    }

    /// Builds the context of one call from its `options` and `apiKey` params.
    pub fn context(&self, call_options: Option<&Value>, api_key: Option<&str>) -> CallContext {
        let session = lock(&self.session_options).clone();
        let empty = Value::Object(Default::default());
        let (opts, mut warnings) = Options::parse(&[&session, call_options.unwrap_or(&empty)]);
        let (key, key_source) = self.resolve_key(api_key, &mut warnings);
        CallContext {
            opts: Arc::new(opts),
            key,
            key_source,
            warnings,
        }
    }

    /// Key order: param > session > credentials file > `OMNIROUTE_API_KEY`.
    pub fn resolve_key(
        &self,
        param: Option<&str>,
        warnings: &mut Vec<String>,
    ) -> (Option<String>, KeySource) {
        if let Some(k) = param.map(str::trim).filter(|k| !k.is_empty()) {
            return (Some(k.to_string()), KeySource::Param);
        }
        if let Some(k) = lock(&self.session_key).clone() {
            return (Some(k), KeySource::Session);
        }
        match credentials::read_key() {
            Ok(Some(k)) => return (Some(k), KeySource::AuthFile),
            Ok(None) => {}
            Err(e) => warnings.push(e.to_string()),
        }
        match std::env::var("OMNIROUTE_API_KEY") {
            Ok(k) if !k.trim().is_empty() => (Some(k.trim().to_string()), KeySource::Env),
            _ => (None, KeySource::None),
        }
    }

    fn matcher(&self, aliases: &BTreeMap<String, String>) -> Arc<Matcher> {
        let mut slot = lock(&self.matcher);
        if let Some((a, m)) = slot.as_ref() {
            if a == aliases {
                return m.clone();
            }
        }
        let m = Arc::new(Matcher::new(aliases));
        *slot = Some((aliases.clone(), m.clone()));
        m
    }

    // ----- the catalogue ---------------------------------------------------------------

    fn catalog_state(&self, ctx: &CallContext) -> Arc<CatalogState> {
        let k = (
            ctx.opts.base_url.clone(),
            disk::key_hash(ctx.key.as_deref()),
        );
        lock(&self.catalogs).entry(k).or_default().clone()
    }

    fn snapshot_path(ctx: &CallContext) -> std::path::PathBuf {
        disk::snapshot_path(
            &ctx.opts.cache_dir,
            &ctx.opts.base_url,
            &disk::key_hash(ctx.key.as_deref()),
        )
    }

    /// Loads the disk snapshot into memory when memory is empty (file work off the runtime).
    async fn warm_from_disk(
        &self,
        st: &CatalogState,
        ctx: &CallContext,
        warnings: &mut Vec<String>,
    ) {
        if lock(&st.data).is_some() {
            return;
        }
        let path = Self::snapshot_path(ctx);
        let base = ctx.opts.base_url.clone();
        let read = tokio::task::spawn_blocking(move || disk::read_snapshot(&path, &base)).await;
        match read {
            Ok(Ok(Some(snap))) => {
                let mut slot = lock(&st.data);
                if slot.is_none() {
                    *slot = Some(Loaded {
                        data: Arc::new(snap.data),
                        fetched_at: SystemTime::UNIX_EPOCH
                            + Duration::from_millis(snap.fetched_at_ms),
                        loaded: Instant::now(),
                        from_disk: true,
                        generation: next_generation(),
                    });
                }
            }
            Ok(Ok(None)) => {}
            Ok(Err(w)) => warnings.push(w),
            Err(e) => warnings.push(format!("snapshot read failed: {e}")),
        }
    }

    /// The models.dev state for these options (None when enrichment is off).
    fn dev_state(&self, opts: &Options) -> Option<Arc<DevState>> {
        opts.models_dev.enabled.then(|| {
            lock(&self.devs)
                .entry(opts.models_dev.url.clone())
                .or_default()
                .clone()
        })
    }

    /// Loads the models.dev disk copy into memory when memory is empty (parsed off the runtime).
    async fn dev_from_disk(&self, st: &DevState, opts: &Options, warnings: &mut Vec<String>) {
        if lock(&st.data).is_some() {
            return;
        }
        let path = disk::models_dev_path(&opts.cache_dir, &opts.models_dev.url);
        let parsed = tokio::task::spawn_blocking(move || {
            let (bytes, mtime) = disk::read_models_dev(&path)?;
            Some((
                DevIndex::parse(&bytes).map_err(|e| {
                    format!(
                        "ignored the corrupt models.dev copy {} ({e})",
                        path.display()
                    )
                }),
                mtime,
            ))
        })
        .await
        .ok()
        .flatten();
        match parsed {
            Some((Ok(index), mtime)) => {
                let mut slot = lock(&st.data);
                if slot.is_none() {
                    *slot = Some(DevLoaded {
                        index: Arc::new(index),
                        fetched_at: mtime,
                        loaded: Instant::now(),
                        generation: next_generation(),
                    });
                }
            }
            Some((Err(w), _)) => warnings.push(w),
            None => {}
        }
    }

    /// One gateway fetch shared by every concurrent caller; stores the result on success.
    async fn load_gateway(
        &self,
        st: &CatalogState,
        ctx: &CallContext,
    ) -> Result<Loaded, ServiceError> {
        let asked = Instant::now();
        let _guard = st.load.lock().await;
        // Someone else finished a load while we waited: share its outcome.
        if let Some(l) = lock(&st.data).as_ref() {
            if !l.from_disk && l.loaded >= asked {
                return Ok(l.clone());
            }
        }
        if let Some(f) = lock(&st.failure).as_ref() {
            if f.at >= asked {
                return Err(f.error.clone());
            }
        }
        let result = gateway::fetch_all(&self.http, &ctx.opts, ctx.key.as_deref()).await;
        match result {
            Ok(mut data) => {
                if data.combos.is_none() {
                    // Stale-on-error for combos: keep the last good definitions.
                    if let Some(prev) = lock(&st.data).as_ref() {
                        if let Some(c) = &prev.data.combos {
                            data.combos = Some(c.clone());
                            data.combos_endpoint = prev.data.combos_endpoint.clone();
                            data.warnings
                                .push("using the last good combo definitions".into());
                        }
                    }
                }
                let loaded = Loaded {
                    data: Arc::new(data),
                    fetched_at: SystemTime::now(),
                    loaded: Instant::now(),
                    from_disk: false,
                    generation: next_generation(),
                };
                let (path, base, at, data) = (
                    Self::snapshot_path(ctx),
                    ctx.opts.base_url.clone(),
                    loaded.fetched_at,
                    loaded.data.clone(),
                );
                // Written after answering; atomic, so a reader never sees half of it.
                tokio::task::spawn_blocking(move || {
                    if let Err(w) = disk::write_snapshot(&path, &base, at, &data) {
                        tracing::warn!("disk snapshot not written: {w}");
                    }
                });
                *lock(&st.data) = Some(loaded.clone());
                *lock(&st.failure) = None;
                Ok(loaded)
            }
            Err(e) => {
                *lock(&st.failure) = Some(Failure {
                    at: Instant::now(),
                    error: e.clone(),
                });
                Err(e)
            }
        }
    }

    /// The models.dev index for these options, per the freshness wanted.
    async fn dev_index(
        self: &Arc<Self>,
        opts: &Options,
        mode: Freshness,
        warnings: &mut Vec<String>,
    ) -> Option<DevLoaded> {
        let md = &opts.models_dev;
        let st = self.dev_state(opts)?;
        self.dev_from_disk(&st, opts, warnings).await;
        let current = lock(&st.data).clone();
        let fresh = current.as_ref().is_some_and(|c| {
            SystemTime::now()
                .duration_since(c.fetched_at)
                .map_or(true, |age| age < md.cache_ttl)
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
            self.spawn_dev_refresh(st.clone(), opts.clone());
            if current.is_none() {
                warnings.push("models.dev is being downloaded; enriched metadata follows in a models/changed notification".into());
            }
            return current;
        }
        match self.load_dev(&st, opts).await {
            Ok(l) => Some(l),
            Err(e) => {
                warnings.push(match &current {
                    Some(_) => {
                        format!("models.dev refresh failed ({e}); using the last downloaded copy")
                    }
                    None => format!(
                        "models.dev unavailable ({e}); metadata comes from the gateway only"
                    ),
                });
                current
            }
        }
    }

    async fn load_dev(&self, st: &DevState, opts: &Options) -> Result<DevLoaded, String> {
        let asked = Instant::now();
        let _guard = st.load.lock().await;
        if let Some(l) = lock(&st.data).as_ref() {
            if l.loaded >= asked {
                return Ok(l.clone());
            }
        }
        if let Some(f) = lock(&st.failure).as_ref() {
            if f.at >= asked {
                return Err(f.error.to_string());
            }
        }
        let md = &opts.models_dev;
        match modelsdev::download(&self.http, &md.url, md.timeout).await {
            Ok(bytes) => {
                let path = disk::models_dev_path(&opts.cache_dir, &md.url);
                // Parse off the runtime (it overlaps the gateway's parse on another core), and
                // keep the copy on disk after answering.
                let index = tokio::task::spawn_blocking(move || {
                    let index = DevIndex::parse(&bytes);
                    if index.is_ok() {
                        tokio::task::spawn_blocking(move || {
                            if let Err(e) = write_cache_file(&path, &bytes) {
                                tracing::warn!(
                                    "models.dev copy not written to {}: {e}",
                                    path.display()
                                );
                            }
                        });
                    }
                    index
                })
                .await
                .map_err(|e| format!("models.dev parse failed: {e}"))?
                .map_err(|e| format!("invalid catalogue: {e}"))?;
                let loaded = DevLoaded {
                    index: Arc::new(index),
                    fetched_at: SystemTime::now(),
                    loaded: Instant::now(),
                    generation: next_generation(),
                };
                *lock(&st.data) = Some(loaded.clone());
                *lock(&st.failure) = None;
                Ok(loaded)
            }
            Err(e) => {
                let error = ServiceError::BadGatewayResponse {
                    url: md.url.clone(),
                    reason: e.clone(),
                };
                *lock(&st.failure) = Some(Failure {
                    at: Instant::now(),
                    error,
                });
                Err(e)
            }
        }
    }

    fn spawn_dev_refresh(self: &Arc<Self>, st: Arc<DevState>, opts: Options) {
        if st.refreshing.swap(true, Ordering::SeqCst) {
            return;
        }
        let this = self.clone();
        let handle = tokio::spawn(async move {
            let result = this.load_dev(&st, &opts).await;
            st.refreshing.store(false, Ordering::SeqCst);
            if result.is_ok() {
                this.rebuild_and_notify(&opts);
            }
        });
        self.track(handle.abort_handle());
    }

    /// After a background load: rebuild every cached catalogue for this base URL and notify
    /// the client when one changed.
    fn rebuild_and_notify(self: &Arc<Self>, opts: &Options) {
        let states: Vec<(String, Arc<CatalogState>)> = lock(&self.catalogs)
            .iter()
            .filter(|((base, _), _)| base == &opts.base_url)
            .map(|((base, _), st)| (base.clone(), st.clone()))
            .collect();
        for (base, st) in states {
            let Some(loaded) = lock(&st.data).clone() else {
                continue;
            };
            let dev = self.dev_now(opts);
            let catalogue = self.build(&st, &loaded, dev.as_ref(), opts);
            let previous = lock(&st.last_served).replace(catalogue.clone());
            if let Some(prev) = previous {
                let d = diff(&prev, &catalogue);
                if !d.is_empty() {
                    self.notify(
                        "models/changed",
                        serde_json::json!({
                            "baseURL": base,
                            "source": if loaded.from_disk { "snapshot" } else { "live" },
                            "fetchedAt": rfc3339(loaded.fetched_at),
                            "diff": d,
                        }),
                    );
                }
            }
        }
    }

    /// The models.dev index already in memory, without any I/O.
    fn dev_now(&self, opts: &Options) -> Option<DevLoaded> {
        let st = self.dev_state(opts)?;
        let loaded = lock(&st.data).clone();
        loaded
    }

    fn spawn_gateway_refresh(self: &Arc<Self>, st: Arc<CatalogState>, ctx: CallContext) {
        if st.refreshing.swap(true, Ordering::SeqCst) {
            return;
        }
        let this = self.clone();
        let handle = tokio::spawn(async move {
            let result = this.load_gateway(&st, &ctx).await;
            st.refreshing.store(false, Ordering::SeqCst);
            match result {
                Ok(_) => this.rebuild_and_notify(&ctx.opts),
                Err(e) => tracing::info!("background refresh failed: {e}"),
            }
        });
        self.track(handle.abort_handle());
    }

    /// Builds (or reuses) the catalogue for the given gateway data and models.dev copy.
    fn build(
        &self,
        st: &CatalogState,
        loaded: &Loaded,
        dev: Option<&DevLoaded>,
        opts: &Options,
    ) -> Arc<Catalogue> {
        let fingerprint = format!(
            "{:?}|{}",
            opts.models_dev.provider_aliases, opts.overrides_fingerprint
        );
        let key = (
            loaded.generation,
            dev.map_or(0, |d| d.generation),
            fingerprint,
        );
        if let Some(b) = lock(&st.built).as_ref() {
            if b.key == key {
                return b.catalogue.clone();
            }
        }
        let matcher = self.matcher(&opts.models_dev.provider_aliases);
        let catalogue = Arc::new(Catalogue::build(Inputs {
            gateway: &loaded.data.models,
            combos: loaded.data.combos.as_deref(),
            dev: dev.map(|d| d.index.clone()),
            matcher,
            overrides: &opts.overrides,
        }));
        *lock(&st.built) = Some(Built {
            key,
            catalogue: catalogue.clone(),
        });
        catalogue
    }

    /// The catalogue for a call, per the freshness wanted. Never fails: with nothing at all it
    /// answers the fallback models, saying why.
    pub async fn catalogue(self: &Arc<Self>, ctx: &CallContext, mode: Freshness) -> CatalogView {
        let mut warnings = ctx.warnings.clone();
        let st = self.catalog_state(ctx);
        // A cold process reads the snapshot and the models.dev copy at once, on two cores.
        let mut dev_warnings = Vec::new();
        match self.dev_state(&ctx.opts) {
            Some(dev) => {
                tokio::join!(
                    self.warm_from_disk(&st, ctx, &mut warnings),
                    self.dev_from_disk(&dev, &ctx.opts, &mut dev_warnings)
                );
            }
            None => self.warm_from_disk(&st, ctx, &mut warnings).await,
        }
        warnings.append(&mut dev_warnings);
        let current = lock(&st.data).clone();
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
        let dev_mode = if fetch {
            Freshness::WithinTtl
        } else {
            Freshness::CacheFirst
        };

        let (loaded, source) = if fetch {
            let (result, dev) = tokio::join!(self.load_gateway(&st, ctx), async {
                let mut w = Vec::new();
                let d = self.dev_index(&ctx.opts, dev_mode, &mut w).await;
                (d, w)
            });
            let (dev, dev_warnings) = dev;
            warnings.extend(dev_warnings);
            match result {
                Ok(l) => {
                    warnings.extend(l.data.warnings.iter().cloned());
                    let c = self.build(&st, &l, dev.as_ref(), &ctx.opts);
                    return self.served(&st, c, Source::Live, Some(l.fetched_at), warnings);
                }
                Err(e) => {
                    warnings.push(e.to_string());
                    match current {
                        Some(c) => {
                            let source = if c.from_disk {
                                Source::Snapshot
                            } else {
                                Source::Stale
                            };
                            warnings.push("serving the last good model list".into());
                            (c, source)
                        }
                        None => return self.fallback(warnings, ctx),
                    }
                }
            }
        } else {
            match current {
                Some(c) => {
                    let source = if c.from_disk {
                        Source::Snapshot
                    } else if fresh {
                        Source::Cache
                    } else {
                        Source::Stale
                    };
                    if !fresh && !ctx.opts.offline {
                        self.spawn_gateway_refresh(st.clone(), ctx.clone());
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
        let c = self.build(&st, &loaded, dev.as_ref(), &ctx.opts);
        self.served(&st, c, source, Some(loaded.fetched_at), warnings)
    }

    fn served(
        &self,
        st: &CatalogState,
        catalogue: Arc<Catalogue>,
        source: Source,
        fetched_at: Option<SystemTime>,
        mut warnings: Vec<String>,
    ) -> CatalogView {
        warnings.extend(catalogue.warnings.iter().cloned());
        *lock(&st.last_served) = Some(catalogue.clone());
        CatalogView {
            catalogue,
            source,
            fetched_at,
            warnings,
        }
    }

    fn fallback(&self, mut warnings: Vec<String>, ctx: &CallContext) -> CatalogView {
        let mut models = fallback::fallback_models();
        warnings.push(format!(
            "no model list from {} and nothing cached: serving the {} built-in fallback models",
            ctx.opts.base_url,
            models.len()
        ));
        crate::catalog::overrides::apply(&mut models, &ctx.opts.overrides);
        let matcher = self.matcher(&ctx.opts.models_dev.provider_aliases);
        CatalogView {
            catalogue: Arc::new(Catalogue::from_models(models, matcher)),
            source: Source::Fallback,
            fetched_at: None,
            warnings,
        }
    }

    /// What this context would see without touching the network: the catalogue last served,
    /// else one built from memory or the disk snapshot (the "before" of a refresh diff).
    pub async fn peek(&self, ctx: &CallContext) -> Option<Arc<Catalogue>> {
        let st = self.catalog_state(ctx);
        if let Some(c) = lock(&st.last_served).clone() {
            return Some(c);
        }
        let mut warnings = Vec::new();
        self.warm_from_disk(&st, ctx, &mut warnings).await;
        let loaded = lock(&st.data).clone()?;
        let dev = self.dev_now(&ctx.opts);
        Some(self.build(&st, &loaded, dev.as_ref(), &ctx.opts))
    }

    /// Forces the next models.dev read to download again.
    pub async fn refresh_models_dev(self: &Arc<Self>, opts: &Options, warnings: &mut Vec<String>) {
        if opts.offline {
            return;
        }
        let Some(st) = self.dev_state(opts) else {
            return;
        };
        if let Err(e) = self.load_dev(&st, opts).await {
            warnings.push(format!(
                "models.dev refresh failed ({e}); using the last downloaded copy"
            ));
        }
    }

    /// Clears caches in memory and on disk; returns the scopes cleared and files removed.
    pub fn clear_cache(&self, ctx: &CallContext, models: bool, models_dev: bool) -> usize {
        let mut files = 0;
        if models {
            lock(&self.catalogs).clear();
            files += disk::remove_files(&ctx.opts.cache_dir, "catalog-");
        }
        if models_dev {
            lock(&self.devs).clear();
            files += disk::remove_files(&ctx.opts.cache_dir, "modelsdev-");
        }
        files
    }
}

/// Added, removed and changed model ids between two catalogues.
#[derive(
    Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct Diff {
    /// Ids new in the second catalogue.
    pub added: Vec<String>,
    /// Ids gone from the second catalogue.
    pub removed: Vec<String>,
    /// Ids whose metadata changed.
    pub changed: Vec<String>,
}

impl Diff {
    /// True when nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// Compares two catalogues by id.
pub fn diff(old: &Catalogue, new: &Catalogue) -> Diff {
    let mut d = Diff::default();
    for m in &new.models {
        match old.get(&m.id) {
            None => d.added.push(m.id.clone()),
            Some(o) if !same(o, m) => d.changed.push(m.id.clone()),
            Some(_) => {}
        }
    }
    for m in &old.models {
        if new.get(&m.id).is_none() {
            d.removed.push(m.id.clone());
        }
    }
    d
}

fn same(a: &Model, b: &Model) -> bool {
    a == b
}

/// RFC 3339 text of a time, in UTC with milliseconds.
pub fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}
