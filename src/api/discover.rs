//! `rpc.discover` and the `schema/` files: an OpenRPC 1.3 document and one JSON Schema per
//! params/result type, all generated from the Rust types the handlers use.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use schemars::generate::SchemaSettings;
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};

use super::{Api, NoParams, Raw};
use crate::service::Service;

/// The OpenRPC document (for the schema type of `rpc.discover`'s result).
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(description = "An OpenRPC 1.3 document describing every method of this service.")]
pub struct OpenRpcDocument(Value);

static DOCUMENT: OnceLock<Arc<RawValue>> = OnceLock::new();
static NAMES: OnceLock<Vec<String>> = OnceLock::new();

/// Every method name, in registration order.
pub fn method_names() -> Vec<String> {
    NAMES
        .get_or_init(|| {
            Api::new(Arc::new(spec_service()))
                .method_names()
                .into_iter()
                .map(String::from)
                .collect()
        })
        .clone()
}

/// Builds the OpenRPC document from the method specs.
pub fn openrpc_document(api: &Api) -> Value {
    let mut generator = SchemaSettings::draft07()
        .with(|s| s.definitions_path = "#/components/schemas/".into())
        .into_generator();
    let mut methods = Vec::new();
    for spec in &api.specs {
        let params_ref = (spec.params.1)(&mut generator);
        let result_ref = (spec.result.1)(&mut generator);
        let params = by_name_params(&params_ref, generator.definitions());
        methods.push(json!({
            "name": spec.name,
            "summary": spec.summary,
            "paramStructure": "by-name",
            "params": params,
            "result": { "name": spec.result.0, "schema": result_ref },
        }));
    }
    let schemas: BTreeMap<String, Value> = generator.take_definitions(true).into_iter().collect();
    json!({
        "openrpc": "1.3.2",
        "info": {
            "title": "omniroute-rpc",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "JSON-RPC 2.0 over stdio (NDJSON or LSP framing): an OmniRoute gateway's models enriched with models.dev metadata, combos resolved, for coding tools.",
            "license": { "name": "MIT" },
        },
        "methods": methods,
        "components": { "schemas": schemas },
        "x-notifications": [{
            "name": "models/changed",
            "summary": "Sent after a background refresh changed the catalogue.",
            "params": { "baseURL": "string", "source": "string", "fetchedAt": "string", "diff": { "$ref": "#/components/schemas/Diff" } },
        }, {
            "name": "service/finishing",
            "summary": "Sent when the input ended while background work (a refresh) still runs: the process exits on its own within withinMs, so the host need not wait for it.",
            "params": { "tasks": "integer", "withinMs": "integer" },
        }],
    })
}

/// OpenRPC lists by-name params one per field of the params struct.
fn by_name_params(params_ref: &schemars::Schema, defs: &Map<String, Value>) -> Vec<Value> {
    let target = params_ref
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.rsplit('/').next())
        .and_then(|name| defs.get(name))
        .cloned()
        .unwrap_or_else(|| params_ref.as_value().clone());
    let required: Vec<&str> = target
        .get("required")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(props) = target.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    props
        .iter()
        .map(|(name, schema)| {
            let mut d = json!({ "name": name, "schema": schema, "required": required.contains(&name.as_str()) });
            if let Some(desc) = schema.get("description") {
                d["description"] = desc.clone();
            }
            d
        })
        .collect()
}

/// One JSON Schema file per params/result type: file name → schema.
pub fn schema_files(api: &Api) -> BTreeMap<String, Value> {
    let mut files = BTreeMap::new();
    for spec in &api.specs {
        for (name, _, root) in [&spec.params, &spec.result] {
            files.insert(format!("{name}.json"), root().to_value());
        }
    }
    files.insert("openrpc.json".into(), openrpc_document(api));
    files
}

/// Registers `rpc.discover`.
pub fn register(api: &mut Api) {
    api.method(
        "rpc.discover",
        "The OpenRPC 1.3 document of this service, generated from the handlers' types.",
        |_svc, _: NoParams| async move {
            let doc = DOCUMENT.get_or_init(|| {
                let api = Api::new(Arc::new(spec_service()));
                let text = openrpc_document(&api).to_string();
                Arc::from(
                    RawValue::from_string(text)
                        .unwrap_or_else(|_| RawValue::from_string("{}".into()).unwrap_or_default()),
                )
            });
            Ok(Raw::<OpenRpcDocument>::new(doc.clone()))
        },
    );
}

/// A service that only serves to register the methods, so their specs can be read (it never
/// runs a call and reads nothing from the environment).
fn spec_service() -> Service {
    Service::new(crate::env::Env::default(), crate::service::Notifier::none())
}
