//! The JSON-RPC transport, generic over the method table it is given: framing, envelopes, the
//! connection (stdio or in-memory), dispatch into jsonrpsee and the server loop. It imports
//! nothing else of this crate.

pub mod connection;
pub mod dispatch;
pub mod framing;
pub mod message;
pub mod server;
