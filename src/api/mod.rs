//! The public method surface. Each namespace has its own module with its params/result types;
//! this module registers them into one jsonrpsee `RpcModule` and records, for every method, the
//! schemas of the very types the handler uses — the source of `rpc.discover` and `schema/`.

pub mod auth;
pub mod cache;
pub mod capabilities;
pub mod combos;
pub mod discover;
pub mod health;
pub mod lifecycle;
pub mod models;
pub mod opencode;
pub mod usage;

use std::future::Future;
use std::sync::Arc;

use jsonrpsee::types::ErrorObjectOwned;
use jsonrpsee::RpcModule;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{json, Value};

use crate::error::ServiceError;
use crate::rpc::dispatch::ResultSlot;
use crate::service::Service;

/// A type's name with its schema as a `$ref` (into a shared generator) and as a root document.
pub type TypeSchemas = (String, fn(&mut SchemaGenerator) -> Schema, fn() -> Schema);

/// Schemas of one method, from its Rust types.
pub struct MethodSpec {
    /// Wire name (`models.list`).
    pub name: &'static str,
    /// One line for humans.
    pub summary: &'static str,
    /// Params type name and its schema generator.
    pub params: TypeSchemas,
    /// Result type name and its schema generator.
    pub result: TypeSchemas,
}

/// The registered module plus the method specs.
pub struct Api {
    /// Dispatch table.
    pub module: RpcModule<Arc<Service>>,
    /// One spec per method, in registration order.
    pub specs: Vec<MethodSpec>,
}

/// Params of methods that take none (extra fields are rejected).
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

/// Declares a params struct whose last two fields are the per-call `options` and `apiKey`
/// that most methods accept, so they are written (and documented) once. serde cannot combine
/// `flatten` with `deny_unknown_fields`, and unknown fields must stay a clear `-32602`.
macro_rules! call_params {
    ($(#[$meta:meta])* pub struct $name:ident { $($(#[$fmeta:meta])* pub $field:ident : $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
            /// Options for this call only, layered over the session's (same shape as `initialize`).
            #[schemars(with = "Option<crate::options::OptionsInput>")]
            pub options: Option<serde_json::Value>,
            /// A key for this call only (else session, credentials file, `OMNIROUTE_API_KEY`).
            pub api_key: Option<String>,
        }
    };
}
pub(crate) use call_params;

fn schema_of<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

fn root_schema_of<T: JsonSchema>() -> Schema {
    schemars::schema_for!(T)
}

/// Where a catalogue-based answer came from; flattened into every such result.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourceInfo {
    /// Where the data came from.
    pub source: crate::catalog::model::Source,
    /// When the gateway data was fetched (RFC 3339); null for the fallback models.
    pub fetched_at: Option<String>,
    /// Everything the caller should know (invalid options, failed refreshes, skipped entries).
    pub warnings: Vec<String>,
}

impl SourceInfo {
    /// The origin of a catalogue view, with extra warnings appended.
    pub fn of(
        view: &crate::service::CatalogView,
        extra: impl IntoIterator<Item = String>,
    ) -> SourceInfo {
        SourceInfo::from_parts(
            view.source,
            view.fetched_at,
            view.warnings.iter().cloned().chain(extra),
        )
    }

    /// The origin of an answer from its parts (a persisted view has no catalogue in hand).
    pub fn from_parts(
        source: crate::catalog::model::Source,
        fetched_at: Option<std::time::SystemTime>,
        warnings: impl IntoIterator<Item = String>,
    ) -> SourceInfo {
        // Warnings quote URLs (and errors from HTTP libraries quote them again): no userinfo.
        let warnings = warnings
            .into_iter()
            .map(|w| crate::display::redact_urls_in(&w).into_owned())
            .collect();
        SourceInfo {
            source,
            fetched_at: fetched_at.map(crate::display::rfc3339),
            warnings,
        }
    }
}

/// Turns a domain error into a JSON-RPC error object.
pub fn rpc_error(e: ServiceError) -> ErrorObjectOwned {
    let mut data = e.data();
    if let Some(url) = data.get("url").and_then(Value::as_str) {
        data["url"] = json!(crate::display::redact_url(url));
    }
    let message = crate::display::redact_urls_in(&e.to_string()).into_owned();
    ErrorObjectOwned::owned(e.code(), message, Some(data))
}

/// Reads by-name params straight from their JSON text into `P` (one parse), naming the
/// offending field on error. `null`, `[]` and a one-object list are accepted as by-name.
fn parse_params<P: DeserializeOwned>(raw: Option<&str>) -> Result<P, ErrorObjectOwned> {
    let text = raw.map(str::trim).unwrap_or("{}");
    let text = match text.as_bytes().first() {
        None | Some(b'n') if text.is_empty() || text == "null" => "{}",
        Some(b'[') => {
            let items: Vec<&RawValue> =
                serde_json::from_str(text).map_err(|e| invalid_params(format!("{e}"), None))?;
            match items.as_slice() {
                [] => "{}",
                [one] if one.get().starts_with('{') => return parse_params(Some(one.get())),
                _ => {
                    return Err(invalid_params(
                        "params must be an object of named fields (by-name), not a list".into(),
                        None,
                    ))
                }
            }
        }
        _ => text,
    };
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed: P = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.inner().to_string();
        let field = if path == "." {
            // serde names missing and unknown fields in the message itself.
            inner.split('`').nth(1).unwrap_or("").to_string()
        } else {
            path
        };
        let msg = if field.is_empty() {
            format!("invalid params: {inner}")
        } else {
            format!("invalid params: field `{field}`: {inner}")
        };
        invalid_params(msg, Some(json!({"kind": "invalid_params", "field": field})))
    })?;
    de.end()
        .map_err(|e| invalid_params(format!("invalid params: {e}"), None))?;
    Ok(parsed)
}

fn invalid_params(message: String, data: Option<Value>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(
        ServiceError::InvalidParams(String::new()).code(),
        message,
        data.or(Some(json!({"kind": "invalid_params"}))),
    )
}

impl Api {
    fn method<P, R, F, Fut>(&mut self, name: &'static str, summary: &'static str, f: F)
    where
        P: DeserializeOwned + JsonSchema + Send + 'static,
        R: Serialize + JsonSchema + 'static,
        F: Fn(Arc<Service>, P) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<R, ServiceError>> + Send + 'static,
    {
        self.specs.push(MethodSpec {
            name,
            summary,
            params: (
                P::schema_name().into_owned(),
                schema_of::<P>,
                root_schema_of::<P>,
            ),
            result: (
                R::schema_name().into_owned(),
                schema_of::<R>,
                root_schema_of::<R>,
            ),
        });
        let registered = self
            .module
            .register_async_method(name, move |params, svc, ext| {
                let f = f.clone();
                async move {
                    if svc.is_shut_down() && name != "shutdown" {
                        return Err(rpc_error(ServiceError::ShutDown));
                    }
                    let p: P = parse_params(params.as_str())?;
                    let result = f((*svc).clone(), p).await.map_err(rpc_error)?;
                    // Serialised once; pre-serialised parts (`Raw`) are copied in as they are.
                    let raw = serde_json::value::to_raw_value(&result)
                        .map_err(|e| rpc_error(ServiceError::Internal(e.to_string())))?;
                    match ext.get::<ResultSlot>() {
                        Some(slot) => {
                            slot.put(raw);
                            Ok(None)
                        }
                        None => Ok(Some(raw)),
                    }
                }
            });
        if let Err(e) = registered {
            tracing::error!("method {name} registered twice: {e}");
        }
    }

    /// Registers every method of the service.
    pub fn new(service: Arc<Service>) -> Api {
        let mut api = Api {
            module: RpcModule::new(service),
            specs: Vec::new(),
        };
        lifecycle::register(&mut api);
        auth::register(&mut api);
        models::register(&mut api);
        health::register(&mut api);
        combos::register(&mut api);
        capabilities::register(&mut api);
        cache::register(&mut api);
        opencode::register(&mut api);
        usage::register(&mut api);
        discover::register(&mut api);
        api
    }

    /// The dispatcher over these methods, with `initialize` as the barrier: a request read
    /// after it runs with its options in force.
    pub fn into_dispatcher(self) -> crate::rpc::dispatch::Dispatcher {
        crate::rpc::dispatch::Dispatcher::new(self.module, &["initialize"])
    }

    /// Wire names of every method.
    pub fn method_names(&self) -> Vec<&'static str> {
        self.specs.iter().map(|s| s.name).collect()
    }
}

/// Pre-serialised JSON (a model list serialised once per catalogue) typed as `T` in the schema.
#[derive(Debug, Clone)]
pub struct Raw<T>(RawText, std::marker::PhantomData<T>);

/// The text of a [`Raw`]: shared with a catalogue's memo, or owned (read from disk once).
#[derive(Debug, Clone)]
enum RawText {
    Shared(Arc<RawValue>),
    Owned(Box<RawValue>),
}

impl<T> Raw<T> {
    /// Wraps already-serialized JSON shared with a memo.
    pub fn new(v: Arc<RawValue>) -> Self {
        Raw(RawText::Shared(v), std::marker::PhantomData)
    }

    /// Wraps already-serialized JSON this answer owns (no copy into an `Arc`).
    pub fn owned(v: Box<RawValue>) -> Self {
        Raw(RawText::Owned(v), std::marker::PhantomData)
    }

    /// The shared text, when it is shared.
    pub fn shared(&self) -> Option<&Arc<RawValue>> {
        match &self.0 {
            RawText::Shared(v) => Some(v),
            RawText::Owned(_) => None,
        }
    }
}

impl<T> Serialize for Raw<T> {
    /// Writes the JSON text as it is (serde_json copies a `RawValue` verbatim).
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            RawText::Shared(v) => v.serialize(s),
            RawText::Owned(v) => v.serialize(s),
        }
    }
}

impl<T: JsonSchema> JsonSchema for Raw<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        T::json_schema(g)
    }
    fn inline_schema() -> bool {
        T::inline_schema()
    }
}

/// The key hint shown instead of a key: `sk-…4d79`.
pub fn key_hint(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() < 12 {
        return "…".into();
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}
