//! omniroute-rpc: a JSON-RPC 2.0 service over stdio that gives coding tools (OpenCode, editors,
//! scripts) an OmniRoute gateway's models enriched with real limits and capabilities.
//!
//! Data flows one way; no module imports one that imports it back (`main` wires the ends):
//!
//! ```text
//! main ─► rpc            transport, generic over a jsonrpsee method table (imports nothing of ours)
//!     └─► api ─► rpc      one module per namespace; registers the methods, writes results once
//!          ├──► usage ─► store, options             the usage ledger and its summaries
//!          └──► service ─► gateway ─► catalog ─► modelsdev ─► http
//!                 │          └──► http              (gateway and models.dev share the client)
//!                 ├──► store ─► gateway (its data types), http (validators), error
//!                 └──► options ─► catalog, env      leaf helpers: display, env, error, http
//! ```
//!
//! The environment is read once, in `main` ([`env::Env`]); the service learns how to reach its
//! client from a [`service::Notifier`] handed in at construction.

pub mod api;
pub mod catalog;
pub mod display;
pub mod env;
pub mod error;
pub mod export;
pub mod gateway;
pub mod hash;
pub mod health;
pub mod http;
pub mod management;
pub mod modelsdev;
pub mod options;
pub mod rpc;
pub mod service;
pub mod store;
pub mod usage;
pub mod view;
