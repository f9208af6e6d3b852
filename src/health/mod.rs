//! Live per-model health (issue 15): what the gateway's monitoring, provider connections and
//! usage statistics say about each model right now, derived purely ([`derive`]) from the
//! management inputs, cached on a short TTL ([`cache`]) apart from the catalogue, and watched
//! for changes while a host listens ([`watch`]).

pub mod cache;
pub mod derive;
pub mod watch;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How a model is doing.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum HealthState {
    /// Nothing known: the monitoring endpoint could not be read, or a combo has no known member.
    Unknown,
    /// Serving.
    Ok,
    /// Serving with trouble: half-open breaker, some connections locked out or cooling down,
    /// a low success rate, or (combos) some members down.
    Degraded,
    /// Not serving now: open breaker, locked out on every connection, no usable connection, or
    /// (combos) every known member down.
    Down,
}

impl HealthState {
    /// Severity for "the worst wins": unknown < ok < degraded < down.
    pub fn severity(self) -> u8 {
        match self {
            HealthState::Unknown => 0,
            HealthState::Ok => 1,
            HealthState::Degraded => 2,
            HealthState::Down => 3,
        }
    }

    /// Lower-case name (`ok`, `degraded`, `down`, `unknown`).
    pub fn as_str(self) -> &'static str {
        match self {
            HealthState::Unknown => "unknown",
            HealthState::Ok => "ok",
            HealthState::Degraded => "degraded",
            HealthState::Down => "down",
        }
    }
}

/// One model's health.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// The state.
    pub state: HealthState,
    /// Why it is not `ok` (from the gateway's own terms: breaker, lockout reason, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Time until the gateway will try it again, in ms (open breaker, lockout, cooldown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
    /// Average (or median, on 3.8.x) latency over the last day, in ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// Success rate over the last day, 0..1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success_rate: Option<f64>,
    /// When the gateway was asked (RFC 3339).
    pub checked_at: String,
}
