//! `GET /api/monitoring/health` (public for GET, even in 3.7.9): provider circuit breakers and
//! per-model lockouts, the gateway's own live view of what fails.

use serde_json::Value;

use super::{millis, number, text};

/// A circuit breaker's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Requests flow.
    Closed,
    /// Requests to the provider are refused until the reset time.
    Open,
    /// Trial requests pass; the next failure reopens it.
    HalfOpen,
}

impl BreakerState {
    fn parse(s: &str) -> Option<BreakerState> {
        match s.to_ascii_uppercase().replace(['-', ' '], "_").as_str() {
            "CLOSED" => Some(BreakerState::Closed),
            "OPEN" => Some(BreakerState::Open),
            "HALF_OPEN" | "HALFOPEN" => Some(BreakerState::HalfOpen),
            _ => None,
        }
    }
}

/// One provider breaker.
#[derive(Debug, Clone, PartialEq)]
pub struct Breaker {
    /// Provider id.
    pub provider: String,
    /// State.
    pub state: BreakerState,
    /// Consecutive failures counted.
    pub failures: u64,
    /// Time until the breaker half-opens, in ms.
    pub retry_after_ms: Option<u64>,
}

/// One model lockout (a model on one connection cooling down after failures).
#[derive(Debug, Clone, PartialEq)]
pub struct Lockout {
    /// Provider id.
    pub provider: String,
    /// Connection id.
    pub connection_id: Option<String>,
    /// The bare model id (without provider prefix), as the gateway records it.
    pub model: Option<String>,
    /// Why (`rate_limited`, `server_error`, …).
    pub reason: Option<String>,
    /// Time left, in ms.
    pub remaining_ms: Option<u64>,
}

/// The parsed monitoring answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Monitoring {
    /// The gateway's version (`system.version`).
    pub version: Option<String>,
    /// The gateway's overall status (`healthy`, …).
    pub status: Option<String>,
    /// Provider breakers (from `providerBreakers`, completed by `providerHealth`).
    pub breakers: Vec<Breaker>,
    /// Active lockouts.
    pub lockouts: Vec<Lockout>,
}

impl Monitoring {
    /// The breaker of a provider, if the gateway tracks one.
    pub fn breaker(&self, provider: &str) -> Option<&Breaker> {
        self.breakers.iter().find(|b| b.provider == provider)
    }
}

fn breaker(provider: String, b: &Value) -> Option<Breaker> {
    let state = BreakerState::parse(b.get("state")?.as_str()?)?;
    Some(Breaker {
        provider,
        state,
        failures: number(b.get("failureCount").or_else(|| b.get("failures")))
            .map(|x| x.max(0.0) as u64)
            .unwrap_or(0),
        retry_after_ms: millis(b.get("retryAfterMs")).filter(|x| *x > 0),
    })
}

/// Parses the monitoring body. Requires an object; every section is optional.
pub fn parse_monitoring(body: &Value) -> Result<Monitoring, String> {
    if !body.is_object() {
        return Err("expected an object".into());
    }
    let mut m = Monitoring {
        version: text(body.get("system").and_then(|s| s.get("version")))
            .or_else(|| text(body.get("version"))),
        status: text(body.get("status")),
        ..Monitoring::default()
    };
    for b in body
        .get("providerBreakers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(b) = text(b.get("provider")).and_then(|p| breaker(p, b)) {
            m.breakers.push(b);
        }
    }
    if let Some(map) = body.get("providerHealth").and_then(Value::as_object) {
        for (provider, b) in map {
            if m.breaker(provider).is_none() {
                if let Some(b) = breaker(provider.clone(), b) {
                    m.breakers.push(b);
                }
            }
        }
    }
    for l in body
        .get("lockouts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(provider) = text(l.get("provider")) else {
            continue;
        };
        let remaining_ms = millis(l.get("remainingMs"));
        if remaining_ms == Some(0) {
            continue;
        }
        m.lockouts.push(Lockout {
            provider,
            connection_id: text(l.get("connectionId")),
            model: text(l.get("model")),
            reason: text(l.get("reason")),
            remaining_ms,
        });
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn breakers_from_both_sections_and_lockouts() {
        let m = parse_monitoring(&json!({
            "system": {"version": "3.7.9"},
            "providerBreakers": [{"provider": "a", "state": "OPEN", "failureCount": 3, "retryAfterMs": 500}],
            "providerHealth": {"a": {"state": "CLOSED"}, "b": {"state": "HALF_OPEN", "failures": 1}},
            "lockouts": [{"provider": "c", "connectionId": "x", "model": "m", "reason": "rate_limited", "remainingMs": 2959},
                         {"provider": "c", "remainingMs": 0}, {"model": "no-provider"}]
        }))
        .unwrap();
        assert_eq!(m.version.as_deref(), Some("3.7.9"));
        assert_eq!(m.breaker("a").unwrap().state, BreakerState::Open);
        assert_eq!(m.breaker("a").unwrap().retry_after_ms, Some(500));
        assert_eq!(m.breaker("b").unwrap().state, BreakerState::HalfOpen);
        assert_eq!(m.lockouts.len(), 1);
        assert!(parse_monitoring(&json!("x")).is_err());
    }
}
