//! Dispatch of one request through jsonrpsee's `RpcModule`, returning the complete response
//! object. Transport-agnostic: the server loop and the CLI's `call` both use it.

use std::sync::Arc;

use jsonrpsee::Methods;
use serde_json::value::RawValue;
use serde_json::Value;

use super::message::{codes, error_response, request_text};
use crate::api::Api;
use crate::service::Service;

/// The id sent to jsonrpsee in place of one it cannot represent.
const STAND_IN_ID: u64 = u64::MAX;

/// Routes requests to the registered methods.
pub struct Dispatcher {
    methods: Methods,
    service: Arc<Service>,
}

impl Dispatcher {
    /// Registers every method over `service`.
    pub fn new(service: Arc<Service>) -> Dispatcher {
        let api = Api::new(service.clone());
        Dispatcher {
            methods: api.module.into(),
            service,
        }
    }

    /// The session behind the methods.
    pub fn service(&self) -> &Arc<Service> {
        &self.service
    }

    /// Runs one request; returns the response object as raw JSON.
    pub async fn call(&self, id: Value, method: String, params: Option<Value>) -> Box<RawValue> {
        // jsonrpsee's ids are u64, string or null; JSON-RPC allows any integer (negative ids).
        // Such an id travels as a stand-in and is put back into the response.
        let native = !matches!(&id, Value::Number(n) if !n.is_u64());
        let wire_id = if native {
            id.clone()
        } else {
            Value::from(STAND_IN_ID)
        };
        let text = request_text(&wire_id, &method, &params);
        match self.methods.raw_json_request(&text, 1).await {
            Ok((response, _)) if native => response,
            Ok((response, _)) => restore_id(response, &id),
            Err(e) => {
                let v = error_response(
                    &id,
                    codes::INVALID_REQUEST,
                    &format!("invalid request: {e}"),
                    None,
                );
                RawValue::from_string(v.to_string()).unwrap_or_default()
            }
        }
    }
}

/// Puts the client's id back into a response made for [`STAND_IN_ID`].
fn restore_id(response: Box<RawValue>, id: &Value) -> Box<RawValue> {
    let stand_in = format!("\"id\":{STAND_IN_ID}");
    let text = response.get();
    // jsonrpsee writes `{"jsonrpc":"2.0","id":…` first: replace only within that prefix.
    if let Some(pos) = text.find(&stand_in).filter(|p| *p < 64) {
        let fixed = format!(
            "{}\"id\":{}{}",
            &text[..pos],
            id,
            &text[pos + stand_in.len()..]
        );
        if let Ok(raw) = RawValue::from_string(fixed) {
            return raw;
        }
    }
    match serde_json::from_str::<Value>(text) {
        Ok(mut v) => {
            v["id"] = id.clone();
            RawValue::from_string(v.to_string()).unwrap_or(response)
        }
        Err(_) => response,
    }
}
