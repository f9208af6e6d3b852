//! JSON-RPC 2.0 envelopes, parsed once: a frame's bytes become a borrowed [`Envelope`] whose
//! id and params stay raw JSON text (`&RawValue`), so the params are parsed exactly once more,
//! by the method, into their own type. Also builds error responses. Knows nothing of methods.

use serde::de::Deserializer;
use serde::Deserialize;
use serde_json::value::RawValue;
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

/// A member that was present (even as `null`), as raw JSON; `#[serde(default)]` makes absence
/// `None`, which `Option<&RawValue>` alone cannot tell from `null`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Member<'a>(pub Option<&'a RawValue>);

impl<'de: 'a, 'a> Deserialize<'de> for Member<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <&'a RawValue>::deserialize(d).map(|r| Member(Some(r)))
    }
}

/// One message object as sent, every member raw.
#[derive(Debug, Default, Deserialize)]
struct Envelope<'a> {
    #[serde(default, borrow)]
    jsonrpc: Member<'a>,
    #[serde(default, borrow)]
    id: Member<'a>,
    #[serde(default, borrow)]
    method: Member<'a>,
    #[serde(default, borrow)]
    params: Member<'a>,
    #[serde(default, borrow)]
    result: Member<'a>,
    #[serde(default, borrow)]
    error: Member<'a>,
}

/// One classified incoming message; `id` is the client's id as raw JSON text, echoed verbatim.
#[derive(Debug, Clone)]
pub enum Incoming<'a> {
    /// A call that expects a response.
    Request {
        /// The id, verbatim (a number of any size or sign, a string, or null).
        id: &'a str,
        /// The method name.
        method: String,
        /// The params, verbatim (an object or an array).
        params: Option<&'a RawValue>,
    },
    /// A call without id: never answered.
    Notification {
        /// The method name.
        method: String,
        /// The params, verbatim.
        params: Option<&'a RawValue>,
    },
    /// A response from the client (we send no requests, so these are ignored).
    Response,
    /// Text that is not valid JSON after all (an id string with a lone surrogate escape):
    /// answered as a parse error.
    Unparsable(String),
    /// Not a valid message: answered with this error (`id` is `null` when unknown).
    Invalid {
        /// The id to answer with, verbatim.
        id: &'a str,
        /// Why.
        message: String,
    },
}

/// A frame's content: one message, a batch of them, or text that is not JSON.
pub enum Parsed<'a> {
    /// A single message.
    One(Incoming<'a>),
    /// A batch (possibly empty), each element classified.
    Batch(Vec<Incoming<'a>>),
    /// Not JSON (or not UTF-8): the reason.
    ParseError(String),
}

/// Parses one frame's text.
pub fn parse(text: &str) -> Parsed<'_> {
    // Raw members are skipped without a depth limit; keep serde_json's own limit.
    if too_deep(text, MAX_DEPTH) {
        return Parsed::ParseError(format!(
            "invalid JSON: nested more than {MAX_DEPTH} levels deep"
        ));
    }
    match text.trim_start().as_bytes().first() {
        Some(b'[') => match serde_json::from_str::<Vec<&RawValue>>(text) {
            Ok(items) => Parsed::Batch(items.into_iter().map(classify).collect()),
            Err(e) => Parsed::ParseError(format!("invalid JSON: {e}")),
        },
        _ => match serde_json::from_str::<&RawValue>(text) {
            Ok(raw) => Parsed::One(classify(raw)),
            Err(e) => Parsed::ParseError(format!("invalid JSON: {e}")),
        },
    }
}

const NULL: &str = "null";

/// Deepest nesting accepted in a batch (serde_json's own recursion limit).
const MAX_DEPTH: usize = 128;

/// Whether brackets outside strings nest deeper than `limit`.
fn too_deep(text: &str, limit: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for b in text.bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// Classifies one JSON value that is not a batch.
pub fn classify(raw: &RawValue) -> Incoming<'_> {
    let text = raw.get();
    if !text.starts_with('{') {
        return invalid(NULL, "a JSON-RPC message must be an object");
    }
    let env: Envelope<'_> = match serde_json::from_str(text) {
        Ok(e) => e,
        Err(e) => return invalid(NULL, &format!("not a valid message object: {e}")),
    };
    let id = match env.id.0.map(RawValue::get) {
        None => None,
        // Echoed verbatim, so it must be a string serde_json can read back.
        Some(t) if t.starts_with('"') && serde_json::from_str::<String>(t).is_err() => {
            return Incoming::Unparsable(format!("invalid JSON: the id {t} is not a valid string"))
        }
        Some(t) if valid_id(t) => Some(t),
        Some(_) => return invalid(NULL, "`id` must be a string, an integer or null"),
    };
    let reply_id = id.unwrap_or(NULL);
    if env.jsonrpc.0.map(RawValue::get) != Some("\"2.0\"") {
        return invalid(reply_id, "`jsonrpc` must be exactly \"2.0\"");
    }
    if env.method.0.is_none() && (env.result.0.is_some() || env.error.0.is_some()) {
        return Incoming::Response;
    }
    let method = match env.method.0 {
        Some(m) => match serde_json::from_str::<String>(m.get()) {
            Ok(m) => m,
            Err(_) => return invalid(reply_id, "`method` must be a string"),
        },
        None => return invalid(reply_id, "missing `method`"),
    };
    let params = match env.params.0 {
        // `"params": null` is read as no params (some clients send it with `exit`).
        None => None,
        Some(p) if p.get() == NULL => None,
        Some(p) if p.get().starts_with(['{', '[']) => Some(p),
        Some(_) => return invalid(reply_id, "`params` must be an object or an array"),
    };
    match id {
        Some(id) => Incoming::Request { id, method, params },
        None => Incoming::Notification { method, params },
    }
}

/// A string, `null`, or an integer that fits 64 bits (signed or unsigned) as serde_json reads
/// it (`-0` is a float to it, so not an id).
fn valid_id(t: &str) -> bool {
    t == NULL
        || t.starts_with('"')
        || serde_json::from_str::<Value>(t).is_ok_and(|v| v.is_i64() || v.is_u64())
}

fn invalid<'a>(id: &'a str, message: &str) -> Incoming<'a> {
    Incoming::Invalid {
        id,
        message: message.to_string(),
    }
}

/// The error object of a response.
pub fn error_object(code: i32, message: &str, data: Option<Value>) -> Value {
    let mut error = Map::new();
    error.insert("code".into(), json!(code));
    error.insert("message".into(), json!(message));
    if let Some(data) = data {
        error.insert("data".into(), data);
    }
    Value::Object(error)
}

/// A complete error response, with the id verbatim.
pub fn error_response(id: &str, code: i32, message: &str, data: Option<Value>) -> String {
    response_text(id, "error", &error_object(code, message, data).to_string())
}

/// A response as the dispatcher hands it to the transport: whole text, or a result kept in its
/// own buffer so the writer can put the envelope around it without copying it.
pub enum Reply {
    /// A complete message (errors, batches).
    Text(String),
    /// `{"jsonrpc":"2.0","id":ID,"result":BODY}`, still in parts.
    Result {
        /// The client's id, verbatim.
        id: String,
        /// The serialised result.
        body: Box<RawValue>,
    },
}

impl Reply {
    /// The envelope's head before the result body.
    pub fn result_head(id: &str) -> String {
        format!("{{\"jsonrpc\":\"2.0\",\"id\":{id},\"result\":")
    }

    /// The whole message as one string (batches, the CLI).
    pub fn into_text(self) -> String {
        match self {
            Reply::Text(t) => t,
            Reply::Result { id, body } => response_text(&id, "result", body.get()),
        }
    }
}

/// A complete response: `{"jsonrpc":"2.0","id":ID,"<member>":BODY}`, where `id` and `body` are
/// JSON text written as they are (the body is serialised exactly once, by its producer).
pub fn response_text(id: &str, member: &str, body: &str) -> String {
    let mut out = String::with_capacity(body.len() + id.len() + 40);
    out.push_str("{\"jsonrpc\":\"2.0\",\"id\":");
    out.push_str(id);
    out.push_str(",\"");
    out.push_str(member);
    out.push_str("\":");
    out.push_str(body);
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Incoming<'_> {
        match parse(text) {
            Parsed::One(i) => i,
            _ => panic!("not a single message: {text}"),
        }
    }

    #[test]
    fn classifies_envelopes() {
        assert!(matches!(
            one(r#"{"jsonrpc":"2.0","id":1,"method":"a"}"#),
            Incoming::Request { id: "1", .. }
        ));
        assert!(matches!(
            one(r#"{"jsonrpc":"2.0","id":-7,"method":"a"}"#),
            Incoming::Request { id: "-7", .. }
        ));
        assert!(matches!(
            one(r#"{"jsonrpc":"2.0","id":null,"method":"a"}"#),
            Incoming::Request { id: "null", .. }
        ));
        assert!(matches!(
            one(r#"{"jsonrpc":"2.0","method":"a"}"#),
            Incoming::Notification { .. }
        ));
        assert!(matches!(
            one(r#"{"jsonrpc":"1.0","id":1,"method":"a"}"#),
            Incoming::Invalid { id: "1", .. }
        ));
        assert!(matches!(
            one(r#"{"jsonrpc":"2.0","id":1.5,"method":"a"}"#),
            Incoming::Invalid { id: "null", .. }
        ));
        assert!(matches!(
            one(r#"{"jsonrpc":"2.0","id":1,"method":"a","params":3}"#),
            Incoming::Invalid { .. }
        ));
        assert!(matches!(
            one(r#"{"jsonrpc":"2.0","id":1,"result":3}"#),
            Incoming::Response
        ));
        assert!(matches!(one("3"), Incoming::Invalid { .. }));
        // The fuzzer's find: `-0` is a float to serde_json, not an integer id.
        assert!(matches!(
            one(r#"{"jsonrpc":"2.0","id":-0,"method":"a"}"#),
            Incoming::Invalid { id: "null", .. }
        ));
        assert!(matches!(parse("[]"), Parsed::Batch(v) if v.is_empty()));
        assert!(matches!(parse("{"), Parsed::ParseError(_)));
    }

    #[test]
    fn params_stay_raw() {
        let Incoming::Request { params, .. } =
            one(r#"{"jsonrpc":"2.0","id":"x","method":"a","params":{"k":[1, 2]}}"#)
        else {
            panic!("request")
        };
        assert_eq!(params.map(RawValue::get), Some(r#"{"k":[1, 2]}"#));
    }
}
