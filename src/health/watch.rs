//! What changed between two health readings, for the `models/health` notification a host gets
//! while it listens. Only state changes count (latency and success-rate drift do not), so a
//! host is told when a model goes down, degrades or recovers.

use schemars::JsonSchema;
use serde::Serialize;

use super::derive::HealthMap;
use super::{Health, HealthState};

/// One model whose state changed.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthChange {
    /// Model id.
    pub id: String,
    /// The state before (`unknown` when the model was not there).
    pub previous: HealthState,
    /// The health now (`unknown` when the model left the catalogue).
    pub health: Health,
}

/// The state changes from `old` to `new`, in id order.
pub fn changes(old: &HealthMap, new: &HealthMap) -> Vec<HealthChange> {
    let mut out = Vec::new();
    for (id, h) in new {
        let prev = old.get(id).map_or(HealthState::Unknown, |o| o.state);
        if prev != h.state {
            out.push(HealthChange {
                id: id.clone(),
                previous: prev,
                health: h.clone(),
            });
        }
    }
    for (id, o) in old {
        if !new.contains_key(id) && o.state != HealthState::Unknown {
            out.push(HealthChange {
                id: id.clone(),
                previous: o.state,
                health: Health {
                    state: HealthState::Unknown,
                    reason: Some("no longer listed".into()),
                    retry_after_ms: None,
                    latency_ms: None,
                    success_rate: None,
                    checked_at: o.checked_at.clone(),
                },
            });
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(state: HealthState) -> Health {
        Health {
            state,
            reason: None,
            retry_after_ms: None,
            latency_ms: Some(1),
            success_rate: None,
            checked_at: "t".into(),
        }
    }

    #[test]
    fn only_state_changes() {
        let old: HealthMap = [
            ("a".into(), h(HealthState::Ok)),
            ("b".into(), h(HealthState::Ok)),
            ("gone".into(), h(HealthState::Down)),
        ]
        .into();
        let mut b = h(HealthState::Ok);
        b.latency_ms = Some(999);
        let new: HealthMap = [
            ("a".into(), h(HealthState::Down)),
            ("b".into(), b),
            ("c".into(), h(HealthState::Ok)),
        ]
        .into();
        let c = changes(&old, &new);
        let ids: Vec<_> = c
            .iter()
            .map(|c| (c.id.as_str(), c.previous, c.health.state))
            .collect();
        assert_eq!(
            ids,
            vec![
                ("a", HealthState::Ok, HealthState::Down),
                ("c", HealthState::Unknown, HealthState::Ok),
                ("gone", HealthState::Down, HealthState::Unknown)
            ]
        );
    }
}
