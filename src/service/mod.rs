//! The state behind every method: the session, the caches, background work. One per process.
//!
//! # State and its locking rules
//! - `session`: options, key and the shutdown flag, each behind its own std mutex held only to
//!   read or replace it ([`session::Session`]).
//! - `catalogs`: one [`catalogue::CatalogSlot`] per (baseURL, key hash); `devs`: one models.dev
//!   slot per URL. The maps are std mutexes held only to look up or insert a slot (an `Arc`),
//!   never across an `.await`; each slot follows [`single_flight`]'s rules.
//! - `matcher`: the matcher for the last alias table, a std mutex held to compare and replace.
//! - `clear_epoch`: an atomic counter bumped by `cache.clear`; a persisted view is written only
//!   if no clear happened since the answer it keeps ([`views`]).
//! - `background`: handles of background refreshes; they end when their load ends, when the
//!   host closes stdin (bounded wait, see [`Service::finish_background`]) or at `exit`.
//!
//! Nothing here reads the process environment: [`Env`] is read once by `main` and handed in,
//! with the [`Notifier`] that reaches the client.

pub mod background;
pub mod catalogue;
pub mod health;
pub mod models_dev;
pub mod session;
pub mod single_flight;
pub mod views;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;

pub use background::Notifier;
pub use catalogue::{CatalogView, Freshness};
pub use session::{CallContext, KeySource};

use crate::catalog::matcher::Matcher;
use crate::env::Env;
use crate::http::Http;
use crate::modelsdev::index::DevIndex;
use crate::store::credentials::Credentials;
use crate::store::disk;
use background::Background;
use catalogue::CatalogSlot;
use session::Session;
use single_flight::SingleFlight;

/// How long background work may take at end of input before the host is told it runs on
/// (`service/finishing`).
const QUICK_WORK: Duration = Duration::from_millis(50);

/// A matcher and the alias table it was built from.
type MatcherFor = (BTreeMap<String, String>, Arc<Matcher>);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Session state and caches.
pub struct Service {
    env: Env,
    http: Http,
    credentials: Credentials,
    notifier: Notifier,
    session: Session,
    catalogs: Mutex<HashMap<(String, String), Arc<CatalogSlot>>>,
    devs: Mutex<HashMap<String, Arc<SingleFlight<DevIndex>>>>,
    matcher: Mutex<Option<MatcherFor>>,
    background: Background,
    health: health::HealthSlots,
    /// Bumped by `cache.clear`: a view served before it is not written after it.
    clear_epoch: std::sync::atomic::AtomicU64,
}

impl Service {
    /// A service for this environment, telling its client about changes through `notifier`.
    pub fn new(env: Env, notifier: Notifier) -> Service {
        let credentials = Credentials::new(env.auth_file.clone(), env.auth_content.clone());
        Service {
            http: Http::new(),
            credentials,
            env,
            notifier,
            session: Session::default(),
            catalogs: Mutex::default(),
            devs: Mutex::default(),
            matcher: Mutex::default(),
            background: Background::default(),
            health: health::HealthSlots::default(),
            clear_epoch: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// The shared HTTP client.
    pub fn http(&self) -> &Http {
        &self.http
    }

    /// The environment read at start.
    pub fn env(&self) -> &Env {
        &self.env
    }

    /// OpenCode's credentials file (blocking I/O: call its writers off the runtime).
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    // ----- session -----------------------------------------------------------------------

    /// Replaces the session options (from `initialize`); returns the warnings.
    pub fn set_session_options(&self, options: Value) -> Vec<String> {
        self.session.set_options(options, &self.env)
    }

    /// Sets the key for the rest of the session.
    pub fn set_session_key(&self, key: Option<String>) {
        self.session.set_key(key);
    }

    /// Sets the management token for the rest of the session.
    pub fn set_session_token(&self, token: Option<String>) {
        self.session.set_token(token);
    }

    /// Marks the session as shut down.
    pub fn shut_down(&self) {
        self.session.shut_down();
    }

    /// Whether `shutdown` was called.
    pub fn is_shut_down(&self) -> bool {
        self.session.is_shut_down()
    }

    /// Builds the context of one call from its `options` and `apiKey` params.
    pub fn context(&self, call_options: Option<&Value>, api_key: Option<&str>) -> CallContext {
        self.session
            .context(&self.env, &self.credentials, call_options, api_key)
    }

    // ----- background --------------------------------------------------------------------

    /// Lets running background refreshes finish for up to `limit` (so what they bring lands
    /// in the snapshot for the next start), then stops the rest. When work is still running
    /// after [`QUICK_WORK`], the host is told (`service/finishing`): it need not wait for the
    /// exit, which comes on its own within `withinMs`.
    pub async fn finish_background(&self, limit: Duration) {
        // Quick work (cache and view writes) is simply waited for; only longer work is
        // announced, so a one-shot script sees no extra line in the common case.
        if !self.background.settle(QUICK_WORK).await {
            self.notify(
                "service/finishing",
                serde_json::json!({
                    "tasks": self.background.running(),
                    "withinMs": limit.as_millis() as u64,
                }),
            );
        }
        let (finished, stopped) = self.background.finish(limit).await;
        if finished + stopped > 0 {
            tracing::info!(
                "background refreshes at end of input: {finished} finished, {stopped} stopped"
            );
        }
    }

    /// Runs file work (a cache write) on the blocking pool, tracked like a background refresh:
    /// at end of input the process waits for it, so a write started is a write finished.
    fn write_in_background(&self, work: impl FnOnce() + Send + 'static) {
        self.background.spawn(async move {
            if let Err(e) = tokio::task::spawn_blocking(work).await {
                tracing::warn!("a cache write stopped: {e}");
            }
        });
    }

    /// Stops background refreshes at once (exit).
    pub fn stop_background(&self) {
        self.background.stop();
    }

    fn notify(&self, method: &str, params: Value) {
        self.notifier.notify(method, params);
    }

    // ----- shared pieces -----------------------------------------------------------------

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

    /// Clears caches in memory and on disk; returns how many files were removed.
    pub fn clear_cache(&self, ctx: &CallContext, models: bool, models_dev: bool) -> usize {
        let mut files = 0;
        if models || models_dev {
            // Views are built from both.
            self.clear_epoch
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            files += disk::remove_files(&ctx.opts.cache_dir, crate::store::views::VIEW_PREFIX);
        }
        if models {
            lock(&self.catalogs).clear();
            // Health readings are memory only and derived per catalogue: they go with it.
            self.clear_health();
            files += disk::remove_files(&ctx.opts.cache_dir, "catalog-");
        }
        if models_dev {
            lock(&self.devs).clear();
            files += disk::remove_files(&ctx.opts.cache_dir, "modelsdev-");
        }
        files
    }
}
