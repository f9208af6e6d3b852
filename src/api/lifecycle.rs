//! `initialize` and `shutdown`. Both are optional: every method works without a handshake
//! (defaults + environment + stored credentials), so one-shot scripts need none.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Api, NoParams};
use crate::options::OptionsInput;

/// Protocol version of this service's method set.
pub const PROTOCOL_VERSION: &str = "1";

/// Who the client is (for logs).
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct ClientInfo {
    /// Client name.
    pub name: String,
    /// Client version.
    pub version: Option<String>,
}

/// `initialize` params. Unknown fields (LSP clients send `processId`, `rootUri`…) are ignored.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InitializeParams {
    /// The client.
    pub client_info: Option<ClientInfo>,
    /// Session options (the OpenCode plugin's `provider.omniroute.options`).
    #[schemars(with = "Option<OptionsInput>")]
    pub options: Option<Value>,
}

/// Name and version of this server.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct ServerInfo {
    /// `omniroute-rpc`.
    pub name: String,
    /// Crate version.
    pub version: String,
}

/// What this server offers.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct ServerCapabilities {
    /// Every method name.
    pub methods: Vec<String>,
    /// Notifications the server may send.
    pub notifications: Vec<String>,
    /// Framings the server reads.
    pub framings: Vec<String>,
}

/// `initialize` result.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InitializeResult {
    /// This server.
    pub server_info: ServerInfo,
    /// Version of the method set.
    pub protocol_version: String,
    /// Methods and notifications.
    pub capabilities: ServerCapabilities,
    /// One line per invalid option (the default was used).
    pub warnings: Vec<String>,
}

/// Registers `initialize` and `shutdown`.
pub fn register(api: &mut Api) {
    api.method(
        "initialize",
        "Sets the session's options; returns server info, the method list and option warnings.",
        |svc, p: InitializeParams| async move {
            let warnings = p
                .options
                .map(|o| svc.set_session_options(o))
                .unwrap_or_default();
            Ok(InitializeResult {
                server_info: ServerInfo {
                    name: env!("CARGO_PKG_NAME").into(),
                    version: env!("CARGO_PKG_VERSION").into(),
                },
                protocol_version: PROTOCOL_VERSION.into(),
                capabilities: ServerCapabilities {
                    methods: crate::api::discover::method_names(),
                    notifications: vec!["models/changed".into()],
                    framings: vec!["ndjson".into(), "lsp".into()],
                },
                warnings,
            })
        },
    );
    api.method(
        "shutdown",
        "Ends the session: later requests fail; `exit` then ends the process with code 0.",
        |svc, _: NoParams| async move {
            svc.shut_down();
            Ok(())
        },
    );
}
