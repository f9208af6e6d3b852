//! Dispatch of one request to a method registered in a jsonrpsee [`Methods`] table, and the
//! writing of its response. jsonrpsee does what it is good at — the method table, params
//! access, error objects — and the transport writes the envelope: the client's id is echoed
//! verbatim (negative and big integers included) and the result is serialised exactly once.
//!
//! How a result reaches the envelope without a second pass: jsonrpsee builds every response
//! with `MethodResponse::response`, which serialises the result and then validates the whole
//! text again (`RawValue::from_string`) — for a 3 MB model list that costs more than building
//! it, and jsonrpsee 0.26 has no public constructor that takes already-serialised JSON. So
//! methods hand their serialised result to a [`ResultSlot`] placed in the request's
//! `Extensions` (jsonrpsee's documented way to pass per-request data to a handler) and answer
//! jsonrpsee with `null`; errors travel through jsonrpsee as usual.

use std::sync::{Arc, Mutex};

use jsonrpsee::types::{Id, Params};
use jsonrpsee::{ConnectionId, Extensions, MethodCallback, MethodResponse, Methods};
use serde_json::value::RawValue;

use super::message::{codes, error_response, response_text, Reply};

/// Where a method puts its serialised result for the transport to write.
#[derive(Clone, Default)]
pub struct ResultSlot(Arc<Mutex<Option<Box<RawValue>>>>);

impl ResultSlot {
    /// Stores the result (the last one wins).
    pub fn put(&self, result: Box<RawValue>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(result);
    }

    fn take(&self) -> Option<Box<RawValue>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

/// Routes requests to the registered methods.
pub struct Dispatcher {
    methods: Methods,
    barriers: Vec<&'static str>,
}

/// jsonrpsee's error responses, read back for their `error` member only.
#[derive(serde::Deserialize)]
struct ErrorOnly<'a> {
    #[serde(borrow)]
    error: Option<&'a RawValue>,
}

/// jsonrpsee's success responses, read back for their `result` member only.
#[derive(serde::Deserialize)]
struct ResultOnly<'a> {
    #[serde(borrow)]
    result: Option<&'a RawValue>,
}

impl Dispatcher {
    /// A dispatcher over `methods`. `barriers` names the methods that must finish before any
    /// request read after them starts (`initialize`: its options apply to what follows).
    pub fn new(methods: impl Into<Methods>, barriers: &[&'static str]) -> Dispatcher {
        Dispatcher {
            methods: methods.into(),
            barriers: barriers.to_vec(),
        }
    }

    /// Whether `method` must finish before later requests start.
    pub fn is_barrier(&self, method: &str) -> bool {
        self.barriers.contains(&method)
    }

    /// Runs one method; returns its result (or jsonrpsee's error response when it failed).
    async fn run(
        &self,
        method: &str,
        params: Option<&RawValue>,
    ) -> Result<Box<RawValue>, MethodResponse> {
        let Some(callback) = self.methods.method(method) else {
            return Err(MethodResponse::error(
                Id::Null,
                jsonrpsee::types::ErrorObject::borrowed(
                    codes::METHOD_NOT_FOUND,
                    "Method not found",
                    None,
                ),
            ));
        };
        let slot = ResultSlot::default();
        let mut ext = Extensions::new();
        ext.insert(slot.clone());
        let params = Params::new(params.map(RawValue::get));
        let response = match callback {
            MethodCallback::Sync(cb) => cb(Id::Null, params, usize::MAX, ext),
            MethodCallback::Async(cb) => {
                cb(
                    Id::Null,
                    params.into_owned(),
                    ConnectionId(0),
                    usize::MAX,
                    ext,
                )
                .await
            }
            _ => MethodResponse::error(
                Id::Null,
                jsonrpsee::types::ErrorObject::borrowed(
                    codes::METHOD_NOT_FOUND,
                    "Method not found",
                    None,
                ),
            ),
        };
        if response.is_error() {
            return Err(response);
        }
        if let Some(result) = slot.take() {
            return Ok(result);
        }
        // A method that answered jsonrpsee directly (no slot) still works.
        let json = response.into_json();
        match serde_json::from_str::<ResultOnly<'_>>(json.get()) {
            Ok(ResultOnly { result: Some(r) }) => Ok(r.to_owned()),
            _ => Ok(RawValue::NULL.to_owned()),
        }
    }

    /// Runs one request; returns its response, with `id` (raw JSON) verbatim.
    pub async fn call(&self, id: &str, method: &str, params: Option<&RawValue>) -> Reply {
        match self.run(method, params).await {
            Ok(body) => Reply::Result {
                id: id.to_string(),
                body,
            },
            Err(failed) => Reply::Text(error_text(id, &failed)),
        }
    }

    /// Runs a notification's method, if one is registered under its name; the answer is
    /// dropped (notifications are never answered). Returns whether a method ran.
    pub async fn notify(&self, method: &str, params: Option<&RawValue>) -> bool {
        if self.methods.method(method).is_none() {
            return false;
        }
        if let Err(failed) = self.run(method, params).await {
            tracing::debug!("notification {method} failed: {}", failed.as_json().get());
        }
        true
    }
}

/// Re-addresses jsonrpsee's error response to the client's id.
fn error_text(id: &str, failed: &MethodResponse) -> String {
    match serde_json::from_str::<ErrorOnly<'_>>(failed.as_json().get()) {
        Ok(ErrorOnly { error: Some(e) }) => response_text(id, "error", e.get()),
        _ => error_response(
            id,
            codes::INVALID_REQUEST,
            "the method failed without an error object",
            None,
        ),
    }
}
