//! The catalogue pipeline, one pure module per step: normalise gateway entries, match them to
//! models.dev, merge with provenance, resolve combos, apply overrides, and the host views.

pub mod capabilities;
pub mod combos;
pub mod diff;
pub mod extras;
pub mod fallback;
pub mod matcher;
pub mod merge;
pub mod model;
pub mod normalise;
pub mod opencode;
pub mod overrides;
pub mod pipeline;
pub mod resolve;
