//! JSON-RPC 2.0 envelopes: classifying one parsed JSON value into a request, a notification or
//! an invalid message, and building error responses. Knows nothing of method semantics.

use serde_json::{json, Map, Value};

/// Standard JSON-RPC and LSP error codes used by the transport.
pub mod codes {
    /// Invalid JSON.
    pub const PARSE_ERROR: i32 = -32700;
    /// Not a valid request object.
    pub const INVALID_REQUEST: i32 = -32600;
    /// No such method.
    pub const METHOD_NOT_FOUND: i32 = -32601;
    /// Bad params.
    pub const INVALID_PARAMS: i32 = -32602;
    /// A frame over the size limit.
    pub const FRAME_TOO_LARGE: i32 = -32600;
    /// The request was cancelled by `$/cancelRequest` (LSP's RequestCancelled).
    pub const REQUEST_CANCELLED: i32 = -32800;
}

/// A request id: a number, a string or null (null is allowed but discouraged by the spec).
pub type Id = Value;

/// One classified incoming message.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// A call that expects a response.
    Request {
        id: Id,
        method: String,
        params: Option<Value>,
    },
    /// A call without id: never answered.
    Notification {
        method: String,
        params: Option<Value>,
    },
    /// A response from the client (we send no requests, so these are ignored).
    Response,
    /// Not a valid message: answered with this error (id null when unknown).
    Invalid { id: Id, message: String },
}

/// Classifies one JSON value that is not a batch.
pub fn classify(value: Value) -> Incoming {
    let Value::Object(mut obj) = value else {
        return invalid(Value::Null, "a JSON-RPC message must be an object");
    };
    let id = match obj.get("id") {
        None => None,
        Some(v @ (Value::Null | Value::String(_))) => Some(v.clone()),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Some(Value::Number(n.clone())),
        Some(_) => return invalid(Value::Null, "`id` must be a string, an integer or null"),
    };
    let reply_id = id.clone().unwrap_or(Value::Null);
    match obj.get("jsonrpc") {
        Some(Value::String(v)) if v == "2.0" => {}
        _ => return invalid(reply_id, "`jsonrpc` must be exactly \"2.0\""),
    }
    if !obj.contains_key("method") && (obj.contains_key("result") || obj.contains_key("error")) {
        return Incoming::Response;
    }
    let method = match obj.remove("method") {
        Some(Value::String(m)) => m,
        Some(_) => return invalid(reply_id, "`method` must be a string"),
        None => return invalid(reply_id, "missing `method`"),
    };
    let params = match obj.remove("params") {
        None => None,
        Some(p @ (Value::Object(_) | Value::Array(_))) => Some(p),
        Some(_) => return invalid(reply_id, "`params` must be an object or an array"),
    };
    match id {
        Some(id) => Incoming::Request { id, method, params },
        None => Incoming::Notification { method, params },
    }
}

fn invalid(id: Id, message: &str) -> Incoming {
    Incoming::Invalid {
        id,
        message: message.to_string(),
    }
}

/// A complete error response object.
pub fn error_response(id: &Id, code: i32, message: &str, data: Option<Value>) -> Value {
    let mut error = Map::new();
    error.insert("code".into(), json!(code));
    error.insert("message".into(), json!(message));
    if let Some(data) = data {
        error.insert("data".into(), data);
    }
    json!({ "jsonrpc": "2.0", "id": id, "error": Value::Object(error) })
}

/// A request object re-serialized for dispatch by jsonrpsee.
pub fn request_text(id: &Id, method: &str, params: &Option<Value>) -> String {
    let mut obj = Map::new();
    obj.insert("jsonrpc".into(), json!("2.0"));
    obj.insert("id".into(), id.clone());
    obj.insert("method".into(), json!(method));
    if let Some(p) = params {
        obj.insert("params".into(), p.clone());
    }
    Value::Object(obj).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_envelopes() {
        assert!(matches!(
            classify(json!({"jsonrpc":"2.0","id":1,"method":"a"})),
            Incoming::Request { .. }
        ));
        assert!(matches!(
            classify(json!({"jsonrpc":"2.0","method":"a"})),
            Incoming::Notification { .. }
        ));
        assert!(matches!(
            classify(json!({"jsonrpc":"1.0","id":1,"method":"a"})),
            Incoming::Invalid { .. }
        ));
        assert!(matches!(
            classify(json!({"jsonrpc":"2.0","id":1.5,"method":"a"})),
            Incoming::Invalid { .. }
        ));
        assert!(matches!(
            classify(json!({"jsonrpc":"2.0","id":1,"method":"a","params":3})),
            Incoming::Invalid { .. }
        ));
        assert!(matches!(
            classify(json!({"jsonrpc":"2.0","id":1,"result":3})),
            Incoming::Response
        ));
    }
}
