//! The session: options set by `initialize`, the key set by `auth.connect`, whether `shutdown`
//! was called — and how one call's options and key are resolved from them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::env::Env;
use crate::options::Options;
use crate::store::credentials::Credentials;

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

/// The options, key and warnings in force for one call.
#[derive(Clone)]
pub struct CallContext {
    /// Validated options.
    pub opts: Arc<Options>,
    /// The key, if any.
    pub key: Option<String>,
    /// Where the key came from.
    pub key_source: KeySource,
    /// The management token (`/api/*` only), if any.
    pub management_token: Option<String>,
    /// Where the management token came from.
    pub token_source: KeySource,
    /// Warnings so far (invalid options, unreadable credentials).
    pub warnings: Vec<String>,
    /// A host's start-up call (`startup: true`): with something good cached, the gateway is
    /// waited for at most `startupWaitMs`.
    pub startup: bool,
}

/// Session state. Each field is its own std mutex, held only to read or replace the value.
#[derive(Default)]
pub struct Session {
    options: Mutex<Value>,
    key: Mutex<Option<String>>,
    token: Mutex<Option<String>>,
    shut_down: AtomicBool,
}

fn lock<V>(m: &Mutex<V>) -> std::sync::MutexGuard<'_, V> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Session {
    /// Replaces the session options (from `initialize`); returns the warnings.
    pub fn set_options(&self, options: Value, env: &Env) -> Vec<String> {
        let (_, warnings) = Options::parse(&[&options], env);
        *lock(&self.options) = options;
        warnings
    }

    /// Sets (or forgets) the key for the rest of the session.
    pub fn set_key(&self, key: Option<String>) {
        *lock(&self.key) = key;
    }

    /// Sets (or forgets) the management token for the rest of the session.
    pub fn set_token(&self, token: Option<String>) {
        *lock(&self.token) = token;
    }

    /// Marks the session as shut down.
    pub fn shut_down(&self) {
        self.shut_down.store(true, Ordering::SeqCst);
    }

    /// Whether `shutdown` was called.
    pub fn is_shut_down(&self) -> bool {
        self.shut_down.load(Ordering::SeqCst)
    }

    /// The context of one call from its `options` and `apiKey` params, layered over the
    /// session's options and key.
    pub fn context(
        &self,
        env: &Env,
        credentials: &Credentials,
        call_options: Option<&Value>,
        api_key: Option<&str>,
    ) -> CallContext {
        let session = lock(&self.options).clone();
        let empty = Value::Object(Default::default());
        let (opts, mut warnings) = Options::parse(&[&session, call_options.unwrap_or(&empty)], env);
        let mut stored = Stored {
            credentials,
            read: None,
        };
        let (key, key_source) = self.resolve_key(env, &mut stored, api_key, &mut warnings);
        let (management_token, token_source) =
            self.resolve_token(env, &mut stored, &opts, &mut warnings);
        CallContext {
            opts: Arc::new(opts),
            key,
            key_source,
            management_token,
            token_source,
            warnings,
            startup: false,
        }
    }

    /// Token order: `managementToken` option > session (`auth.connect`) > credentials file >
    /// `OMNIROUTE_MANAGEMENT_API_KEY`.
    fn resolve_token(
        &self,
        env: &Env,
        stored: &mut Stored<'_>,
        opts: &Options,
        warnings: &mut Vec<String>,
    ) -> (Option<String>, KeySource) {
        if let Some(t) = &opts.management_token {
            return (Some(t.expose().to_string()), KeySource::Param);
        }
        if let Some(t) = lock(&self.token).clone() {
            return (Some(t), KeySource::Session);
        }
        match stored.get() {
            Ok((_, Some(t))) => return (Some(t.clone()), KeySource::AuthFile),
            Ok(_) => {}
            Err(w) => {
                if !warnings.contains(w) {
                    warnings.push(w.clone());
                }
            }
        }
        match &env.management_token {
            Some(t) => (Some(t.clone()), KeySource::Env),
            None => (None, KeySource::None),
        }
    }

    /// Key order: param > session > credentials file > `OMNIROUTE_API_KEY`.
    fn resolve_key(
        &self,
        env: &Env,
        stored: &mut Stored<'_>,
        param: Option<&str>,
        warnings: &mut Vec<String>,
    ) -> (Option<String>, KeySource) {
        if let Some(k) = param.map(str::trim).filter(|k| !k.is_empty()) {
            return (Some(k.to_string()), KeySource::Param);
        }
        if let Some(k) = lock(&self.key).clone() {
            return (Some(k), KeySource::Session);
        }
        match stored.get() {
            Ok((Some(k), _)) => return (Some(k.clone()), KeySource::AuthFile),
            Ok(_) => {}
            Err(w) => {
                if !warnings.contains(w) {
                    warnings.push(w.clone());
                }
            }
        }
        match &env.api_key {
            Some(k) => (Some(k.clone()), KeySource::Env),
            None => (None, KeySource::None),
        }
    }
}

/// OpenCode's credentials file, read at most once per call (key and management token come from
/// the same file). A small read with no lock: cheap enough to stay on the runtime.
struct Stored<'a> {
    credentials: &'a Credentials,
    read: Option<StoredPair>,
}

/// The stored key and management token, or why the file could not be read.
type StoredPair = Result<(Option<String>, Option<String>), String>;

impl Stored<'_> {
    fn get(&mut self) -> &StoredPair {
        let credentials = self.credentials;
        self.read
            .get_or_insert_with(|| credentials.read_both().map_err(|e| e.to_string()))
    }
}
