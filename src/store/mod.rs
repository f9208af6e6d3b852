//! Persistent state: OpenCode's credentials file and the disk cache, both written atomically.

pub mod atomic;
pub mod credentials;
pub mod disk;
