//! omniroute-rpc: a JSON-RPC 2.0 service over stdio that gives coding tools (OpenCode, editors,
//! scripts) an OmniRoute gateway's models enriched with real limits and capabilities.
//!
//! Data flows one way: `rpc` (transport, dispatch) → `api` (one module per namespace) →
//! `service` (session state and caches) → `catalog` (pure pipeline) → `gateway` / `modelsdev`
//! / `store` (I/O).

pub mod api;
pub mod catalog;
pub mod display;
pub mod env;
pub mod error;
pub mod gateway;
pub mod http;
pub mod modelsdev;
pub mod options;
pub mod rpc;
pub mod service;
pub mod store;
pub mod usage;
pub mod view;
