//! `GET /api/providers`: the gateway's provider connections (secrets already stripped by the
//! gateway; this parser keeps none anyway) and which providers can serve a request.

use std::collections::{BTreeMap, BTreeSet};
use std::time::SystemTime;

use serde_json::Value;

use super::text;

/// `testStatus` values that mean the credential itself is bad (not a passing connection).
/// Transient states (`unavailable` after an upstream error, a cooldown) are health, not usability.
const FAILING: [&str; 9] = [
    "error",
    "failed",
    "expired",
    "invalid",
    "unauthorized",
    "banned",
    "revoked",
    "disabled",
    "credits_exhausted",
];

/// One provider connection.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Connection {
    /// Connection id.
    pub id: String,
    /// Provider id (`openai`, `openai-compatible-chat-<uuid>`, …).
    pub provider: String,
    /// The model prefix of a custom provider node (`providerSpecificData.prefix`).
    pub prefix: Option<String>,
    /// `isActive` (absent counts as active).
    pub active: bool,
    /// `testStatus` (`active`, `unknown`, `unavailable`, `expired`, …), lower-cased.
    pub test_status: Option<String>,
    /// `rateLimitedUntil`, when in the future of the gateway's clock.
    pub cooling_until: Option<SystemTime>,
    /// `lastError`, for reasons (short, from the gateway).
    pub last_error: Option<String>,
}

impl Connection {
    /// Active and not known to have a bad credential.
    pub fn passing(&self) -> bool {
        self.active
            && !self
                .test_status
                .as_deref()
                .is_some_and(|s| FAILING.contains(&s))
    }

    /// Cooling down (rate limited or backing off) at `now`.
    pub fn cooling(&self, now: SystemTime) -> bool {
        self.cooling_until.is_some_and(|t| t > now)
    }
}

/// The parsed `/api/providers`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Providers {
    /// Every connection, in the gateway's order.
    pub connections: Vec<Connection>,
}

impl Providers {
    /// Provider ids (and custom prefixes) with at least one active, passing connection.
    pub fn usable(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for c in self.connections.iter().filter(|c| c.passing()) {
            out.insert(c.provider.clone());
            if let Some(p) = &c.prefix {
                out.insert(p.clone());
            }
        }
        out
    }

    /// Every provider id and custom prefix that has any connection.
    pub fn known(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for c in &self.connections {
            out.insert(c.provider.clone());
            if let Some(p) = &c.prefix {
                out.insert(p.clone());
            }
        }
        out
    }

    /// Custom prefix → provider id (`mock` → `openai-compatible-chat-<uuid>`).
    pub fn prefixes(&self) -> BTreeMap<String, String> {
        self.connections
            .iter()
            .filter_map(|c| c.prefix.clone().map(|p| (p, c.provider.clone())))
            .collect()
    }

    /// The passing connections of a provider.
    pub fn passing_of<'a>(&'a self, provider: &'a str) -> impl Iterator<Item = &'a Connection> {
        self.connections
            .iter()
            .filter(move |c| c.provider == provider && c.passing())
    }
}

fn parse_time(v: Option<&Value>) -> Option<SystemTime> {
    let s = text(v)?;
    humantime::parse_rfc3339(&s)
        .ok()
        .or_else(|| humantime::parse_rfc3339_weak(&s).ok())
}

/// Parses `{connections:[{id, provider, isActive, testStatus, rateLimitedUntil, providerSpecificData{prefix}}]}`
/// (a bare array is accepted too).
pub fn parse_providers(body: &Value) -> Result<Providers, String> {
    let list = body
        .get("connections")
        .or(Some(body))
        .and_then(Value::as_array)
        .ok_or_else(|| "expected {connections: [...]}".to_string())?;
    let connections = list
        .iter()
        .filter_map(|c| {
            let provider = text(c.get("provider"))?;
            Some(Connection {
                id: text(c.get("id")).unwrap_or_default(),
                prefix: c
                    .get("providerSpecificData")
                    .and_then(|d| text(d.get("prefix"))),
                active: c.get("isActive").and_then(Value::as_bool).unwrap_or(true),
                test_status: text(c.get("testStatus")).map(|s| s.to_ascii_lowercase()),
                cooling_until: parse_time(c.get("rateLimitedUntil")),
                last_error: text(c.get("lastError")),
                provider,
            })
        })
        .collect();
    Ok(Providers { connections })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn usable_needs_active_and_passing() {
        let p = parse_providers(&json!({"connections": [
            {"id": "a", "provider": "openai", "isActive": true, "testStatus": "active"},
            {"id": "b", "provider": "claude", "isActive": false, "testStatus": "active"},
            {"id": "c", "provider": "gemini", "isActive": true, "testStatus": "expired"},
            {"id": "d", "provider": "node-1", "isActive": true, "testStatus": "unavailable",
             "rateLimitedUntil": "2026-12-06T20:18:43.912Z", "providerSpecificData": {"prefix": "mock"}},
            {"id": "e"}
        ]}))
        .unwrap();
        let u = p.usable();
        assert!(u.contains("openai") && u.contains("node-1") && u.contains("mock"));
        assert!(!u.contains("claude") && !u.contains("gemini"));
        assert_eq!(p.connections.len(), 4);
        assert!(p.connections[3].cooling_until.is_some());
        assert!(parse_providers(&json!({"x": 1})).is_err());
    }
}
