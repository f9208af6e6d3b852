//! The JSON-RPC transport: framing, envelopes, the server loop and dispatch into jsonrpsee.

pub mod dispatch;
pub mod framing;
pub mod message;
pub mod server;
pub mod splice;
