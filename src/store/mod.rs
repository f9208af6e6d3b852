//! Persistent state: OpenCode's credentials file and the disk cache (gateway snapshots, the
//! models.dev copy, persisted views), all written atomically.

pub mod atomic;
pub mod credentials;
pub mod disk;
pub mod views;
