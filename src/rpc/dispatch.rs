//! Dispatch of one request through jsonrpsee's `RpcModule`, returning the complete response
//! object. Transport-agnostic: the server loop and the CLI's `call` both use it.

use std::sync::Arc;

use jsonrpsee::Methods;
use serde_json::value::RawValue;
use serde_json::Value;

use super::message::{codes, error_response, request_text};
use crate::api::Api;
use crate::service::Service;

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
        let text = request_text(&id, &method, &params);
        match self.methods.raw_json_request(&text, 1).await {
            Ok((response, _)) => response,
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
