//! The service's domain errors: one typed enum that every method returns, each variant with a
//! stable `kind` string and a JSON-RPC code in `-32050..-32099`, and a message a person can act on.
//! No variant ever carries an API key.

use serde_json::json;

/// Everything a method can fail with, beyond the JSON-RPC protocol errors.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ServiceError {
    /// The gateway answered 401/403 to the key.
    #[error("the gateway at {url} rejected the API key (HTTP {status}); check the key with `omniroute-rpc call auth.connect '{{\"apiKey\":\"…\"}}'` or create one in the OmniRoute dashboard")]
    AuthRejected { url: String, status: u16 },
    /// Connection refused, DNS failure, TLS failure…
    #[error("cannot reach the gateway at {url}: {reason}; is OmniRoute running there? (set `baseURL` to change the address)")]
    GatewayUnreachable { url: String, reason: String },
    /// The gateway accepted the connection but did not answer in time. Reported with the same
    /// kind as a refused connection (`gateway_unreachable`: either way there is no answer) and
    /// `data.cause: "timeout"`.
    #[error("the gateway at {url} did not answer within {timeout_ms} ms; raise `requestTimeoutMs` or check the gateway")]
    GatewayTimeout { url: String, timeout_ms: u64 },
    /// The gateway answered something we cannot use.
    #[error("the gateway at {url} sent an unusable response: {reason}")]
    BadGatewayResponse { url: String, reason: String },
    /// models.dev could not be downloaded or parsed (enrichment falls back to the last copy or
    /// to the gateway's own metadata; never an error of a call, only a warning).
    #[error("models.dev at {url} is unavailable: {reason}")]
    ModelsDevUnavailable { url: String, reason: String },
    /// A named thing (a combo, a model) does not exist.
    #[error("{what} was not found{hint}")]
    NotFound { what: String, hint: String },
    /// OpenCode's credentials file cannot be read or written safely.
    #[error("credentials file {path}: {reason}")]
    CredentialsFile { path: String, reason: String },
    /// A request arrived after `shutdown`.
    #[error("the server is shutting down; start a new process")]
    ShutDown,
    /// The on-disk cache could not be written.
    #[error("cache directory {path}: {reason}")]
    CacheIo { path: String, reason: String },
    /// The params are well-formed JSON but make no sense together.
    #[error("invalid params: {0}")]
    InvalidParams(String),
    /// A bug: something that should not happen.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    /// Stable machine-readable kind, sent as `error.data.kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            ServiceError::AuthRejected { .. } => "auth_rejected",
            ServiceError::GatewayUnreachable { .. } => "gateway_unreachable",
            ServiceError::GatewayTimeout { .. } => "gateway_unreachable",
            ServiceError::BadGatewayResponse { .. } => "bad_gateway_response",
            ServiceError::ModelsDevUnavailable { .. } => "models_dev_unavailable",
            ServiceError::NotFound { .. } => "not_found",
            ServiceError::CredentialsFile { .. } => "credentials_file",
            ServiceError::ShutDown => "shut_down",
            ServiceError::CacheIo { .. } => "cache_io",
            ServiceError::InvalidParams(_) => "invalid_params",
            ServiceError::Internal(_) => "internal",
        }
    }

    /// JSON-RPC error code in the domain range `-32050..-32099`.
    pub fn code(&self) -> i32 {
        match self {
            ServiceError::AuthRejected { .. } => -32050,
            ServiceError::GatewayUnreachable { .. } => -32051,
            ServiceError::GatewayTimeout { .. } => -32051,
            ServiceError::BadGatewayResponse { .. } => -32053,
            ServiceError::NotFound { .. } => -32054,
            ServiceError::ModelsDevUnavailable { .. } => -32058,
            ServiceError::CredentialsFile { .. } => -32055,
            ServiceError::ShutDown => -32056,
            ServiceError::CacheIo { .. } => -32057,
            ServiceError::InvalidParams(_) => -32602,
            ServiceError::Internal(_) => -32099,
        }
    }

    /// Extra structured data for `error.data` (always includes `kind`).
    pub fn data(&self) -> serde_json::Value {
        let mut data = json!({ "kind": self.kind() });
        match self {
            ServiceError::AuthRejected { url, status } => {
                data["url"] = json!(url);
                data["status"] = json!(status);
            }
            ServiceError::GatewayTimeout { url, timeout_ms } => {
                data["url"] = json!(url);
                data["cause"] = json!("timeout");
                data["timeoutMs"] = json!(timeout_ms);
            }
            ServiceError::GatewayUnreachable { url, .. } => {
                data["url"] = json!(url);
                data["cause"] = json!("unreachable");
            }
            ServiceError::BadGatewayResponse { url, .. }
            | ServiceError::ModelsDevUnavailable { url, .. } => data["url"] = json!(url),
            ServiceError::CredentialsFile { path, .. } | ServiceError::CacheIo { path, .. } => {
                data["path"] = json!(path)
            }
            _ => {}
        }
        data
    }

    /// True for failures of the network path (used to decide stale/fallback answers).
    pub fn is_gateway_failure(&self) -> bool {
        matches!(
            self,
            ServiceError::GatewayUnreachable { .. }
                | ServiceError::GatewayTimeout { .. }
                | ServiceError::BadGatewayResponse { .. }
                | ServiceError::AuthRejected { .. }
        )
    }
}
