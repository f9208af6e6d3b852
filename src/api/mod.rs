//! The public method surface. Each namespace has its own module with its params/result types;
//! this module registers them into one jsonrpsee `RpcModule` and records, for every method, the
//! schemas of the very types the handler uses — the source of `rpc.discover` and `schema/`.

pub mod auth;
pub mod cache;
pub mod capabilities;
pub mod combos;
pub mod discover;
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
use crate::options::OptionsInput;
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

/// Options and key that most methods accept per call.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CallParams {
    /// Options for this call only, layered over the session's (same shape as `initialize`).
    #[schemars(with = "Option<OptionsInput>")]
    pub options: Option<Value>,
    /// A key for this call only (else session, credentials file, `OMNIROUTE_API_KEY`).
    pub api_key: Option<String>,
}

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
        let mut warnings = view.warnings.clone();
        warnings.extend(extra);
        SourceInfo {
            source: view.source,
            fetched_at: view.fetched_at.map(crate::service::rfc3339),
            warnings,
        }
    }
}

/// Turns a domain error into a JSON-RPC error object.
pub fn rpc_error(e: ServiceError) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(e.code(), e.to_string(), Some(e.data()))
}

/// Reads by-name params, naming the offending field on error.
fn parse_params<P: DeserializeOwned>(raw: Option<&str>) -> Result<P, ErrorObjectOwned> {
    let value: Value = match raw {
        None => json!({}),
        Some(text) => {
            serde_json::from_str(text).map_err(|e| invalid_params(format!("{e}"), None))?
        }
    };
    let value = match value {
        Value::Null => json!({}),
        Value::Array(a) if a.is_empty() => json!({}),
        Value::Array(mut a) if a.len() == 1 && a[0].is_object() => a.remove(0),
        Value::Array(_) => {
            return Err(invalid_params(
                "params must be an object of named fields (by-name), not a list".into(),
                None,
            ))
        }
        other => other,
    };
    serde_path_to_error::deserialize(value).map_err(|e| {
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
    })
}

fn invalid_params(message: String, data: Option<Value>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(
        -32602,
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
            .register_async_method(name, move |params, svc, _ext| {
                let f = f.clone();
                async move {
                    if svc.is_shut_down() && name != "shutdown" {
                        return Err(rpc_error(ServiceError::ShutDown));
                    }
                    let p: P = parse_params(params.as_str())?;
                    let result = f((*svc).clone(), p).await.map_err(rpc_error)?;
                    serde_json::value::to_raw_value(&result)
                        .map_err(|e| rpc_error(ServiceError::Internal(e.to_string())))
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
        combos::register(&mut api);
        capabilities::register(&mut api);
        cache::register(&mut api);
        opencode::register(&mut api);
        usage::register(&mut api);
        discover::register(&mut api);
        api
    }

    /// Wire names of every method.
    pub fn method_names(&self) -> Vec<&'static str> {
        self.specs.iter().map(|s| s.name).collect()
    }
}

/// A `Box<RawValue>` result (pre-serialized JSON) typed as `T` in the schema.
#[derive(Debug, Clone)]
pub struct Raw<T>(pub Arc<RawValue>, std::marker::PhantomData<T>);

impl<T> Raw<T> {
    /// Wraps already-serialized JSON.
    pub fn new(v: Arc<RawValue>) -> Self {
        Raw(v, std::marker::PhantomData)
    }
}

impl<T> Serialize for Raw<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        crate::rpc::splice::serialize_raw(&self.0, s)
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
