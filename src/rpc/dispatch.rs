//! Dispatch of one request through jsonrpsee's `RpcModule`, returning the complete response
//! object. Transport-agnostic: the server loop and the CLI's `call` both use it.

use std::sync::Arc;

use jsonrpsee::Methods;
use serde_json::Value;

use super::message::{codes, error_response, request_text};
use super::splice;
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

    /// Runs one request; returns the response object's JSON text.
    pub async fn call(&self, id: Value, method: String, params: Option<Value>) -> String {
        // jsonrpsee's ids are u64, string or null; JSON-RPC allows any integer (negative ids).
        // Such an id travels as a stand-in and is put back into the response.
        let native = !matches!(&id, Value::Number(n) if !n.is_u64());
        let wire_id = if native {
            id.clone()
        } else {
            Value::from(STAND_IN_ID)
        };
        let text = request_text(&wire_id, &method, &params);
        let (result, stashed) = splice::scope(self.methods.raw_json_request(&text, 1)).await;
        let result = result.map(|(response, _)| {
            if stashed.is_empty() {
                response.get().to_string()
            } else {
                splice::splice(response.get(), &stashed)
            }
        });
        match result {
            Ok(response) if native => response,
            Ok(response) => restore_id(response, &id),
            Err(e) => {
                let v = error_response(
                    &id,
                    codes::INVALID_REQUEST,
                    &format!("invalid request: {e}"),
                    None,
                );
                v.to_string()
            }
        }
    }
}

/// Puts the client's id back into a response made for [`STAND_IN_ID`].
fn restore_id(response: String, id: &Value) -> String {
    let stand_in = format!("\"id\":{STAND_IN_ID}");
    // jsonrpsee writes `{"jsonrpc":"2.0","id":…` first: replace only within that prefix.
    if let Some(pos) = response.find(&stand_in).filter(|p| *p < 64) {
        return format!(
            "{}\"id\":{}{}",
            &response[..pos],
            id,
            &response[pos + stand_in.len()..]
        );
    }
    match serde_json::from_str::<Value>(&response) {
        Ok(mut v) => {
            v["id"] = id.clone();
            v.to_string()
        }
        Err(_) => response,
    }
}
