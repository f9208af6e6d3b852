//! The health rules, pure. For a model served by provider P (its `owned_by`, its id prefix, or
//! the provider node of a custom prefix), the worst of:
//! - P's circuit breaker `OPEN` → `down` (retry after the breaker's time left); `HALF_OPEN` → `degraded`;
//! - lockouts of this model on P: every passing connection of P locked (or P's connections
//!   unknown) → `down` (the lockout reason, the shortest time left); some → `degraded`;
//! - `usable: false` (no active, passing connection) → `down`;
//! - every passing connection of P cooling down (`rateLimitedUntil` ahead) → `degraded`;
//! - a success rate under 50 % over at least 5 requests in the last day → `degraded`;
//! - otherwise `ok` when the monitoring endpoint was read, else `unknown`.
//!
//! Combos: `down` when every known member is down, `degraded` when some are (or some are
//! degraded), `ok` when all known members are ok, `unknown` with no known member.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, SystemTime};

use super::{Health, HealthState};
use crate::catalog::model::Model;
use crate::management::analytics::ModelStats;
use crate::management::fetch::HealthInputs;
use crate::management::monitoring::BreakerState;

/// Success rates under this, over at least [`MIN_REQUESTS`], make a model `degraded`.
pub const LOW_SUCCESS: f64 = 0.5;
/// Requests needed before a success rate counts.
pub const MIN_REQUESTS: u64 = 5;

/// Health of every model, keyed by id.
pub type HealthMap = BTreeMap<String, Health>;

struct Finding {
    state: HealthState,
    reason: Option<String>,
    retry_after_ms: Option<u64>,
}

impl Finding {
    fn worse(self, other: Finding) -> Finding {
        if other.state.severity() > self.state.severity() {
            other
        } else {
            self
        }
    }
}

/// Indexes built once per derivation (the inputs are shared by thousands of models).
struct Index<'a> {
    inputs: &'a HealthInputs,
    prefixes: std::collections::BTreeMap<String, String>,
    stats: HashMap<(&'a str, &'a str), &'a ModelStats>,
    stats_by_model: HashMap<&'a str, &'a ModelStats>,
    now: SystemTime,
}

impl<'a> Index<'a> {
    fn new(inputs: &'a HealthInputs, now: SystemTime) -> Index<'a> {
        let mut stats: HashMap<(&str, &str), &ModelStats> = HashMap::new();
        let mut stats_by_model: HashMap<&str, &ModelStats> = HashMap::new();
        for s in &inputs.stats {
            if let Some(p) = s.provider.as_deref() {
                let e = stats.entry((p, s.model.as_str())).or_insert(s);
                if s.requests > e.requests {
                    *e = s;
                }
            } else {
                stats_by_model.entry(s.model.as_str()).or_insert(s);
            }
        }
        Index {
            inputs,
            prefixes: inputs
                .providers
                .as_ref()
                .map(|p| p.prefixes())
                .unwrap_or_default(),
            stats,
            stats_by_model,
            now,
        }
    }

    /// The provider ids a model may be served by, and its bare id.
    fn providers_of<'m>(&self, id: &'m str, owned_by: Option<&'m str>) -> (Vec<String>, &'m str) {
        let (prefix, bare) = match id.split_once('/') {
            Some((p, rest)) => (Some(p), rest),
            None => (None, id),
        };
        let mut out: Vec<String> = Vec::new();
        let mut push = |k: &str| {
            if k != "combo" && !out.iter().any(|x| x == k) {
                out.push(k.to_string());
            }
        };
        if let Some(o) = owned_by {
            push(o);
        }
        if let Some(p) = prefix {
            push(p);
            if let Some(node) = self.prefixes.get(p) {
                push(node);
            }
        }
        (out, bare)
    }

    fn model(&self, id: &str, owned_by: Option<&str>, usable: Option<bool>) -> Health {
        let (providers, bare) = self.providers_of(id, owned_by);
        let mut f = Finding {
            state: if self.inputs.monitoring.is_some() {
                HealthState::Ok
            } else {
                HealthState::Unknown
            },
            reason: None,
            retry_after_ms: None,
        };
        if let Some(mon) = &self.inputs.monitoring {
            for p in &providers {
                if let Some(b) = mon.breaker(p) {
                    match b.state {
                        BreakerState::Open => {
                            f = f.worse(Finding {
                                state: HealthState::Down,
                                reason: Some(format!("circuit breaker open ({p})")),
                                retry_after_ms: b.retry_after_ms,
                            })
                        }
                        BreakerState::HalfOpen => {
                            f = f.worse(Finding {
                                state: HealthState::Degraded,
                                reason: Some(format!("circuit breaker half-open ({p})")),
                                retry_after_ms: None,
                            })
                        }
                        BreakerState::Closed => {}
                    }
                }
            }
            f = f.worse(self.lockouts(&providers, id, bare));
        }
        if usable == Some(false) {
            f = f.worse(Finding {
                state: HealthState::Down,
                reason: Some("no active connection for its provider".into()),
                retry_after_ms: None,
            });
        }
        f = f.worse(self.cooling(&providers));
        let stats = providers
            .iter()
            .find_map(|p| self.stats.get(&(p.as_str(), bare)).copied())
            .or_else(|| self.stats_by_model.get(bare).copied());
        if let Some(s) = stats {
            if let Some(rate) = s.success_rate.filter(|r| *r < LOW_SUCCESS) {
                if s.requests >= MIN_REQUESTS {
                    f = f.worse(Finding {
                        state: HealthState::Degraded,
                        reason: Some(format!(
                            "success rate {:.0}% over {} requests in the last day",
                            rate * 100.0,
                            s.requests
                        )),
                        retry_after_ms: None,
                    });
                }
            }
        }
        Health {
            state: f.state,
            reason: f.reason,
            retry_after_ms: f.retry_after_ms,
            latency_ms: stats.and_then(|s| s.p50_latency_ms.or(s.avg_latency_ms)),
            success_rate: stats.and_then(|s| s.success_rate),
            checked_at: String::new(),
        }
    }

    fn lockouts(&self, providers: &[String], id: &str, bare: &str) -> Finding {
        let none = Finding {
            state: HealthState::Unknown,
            reason: None,
            retry_after_ms: None,
        };
        let Some(mon) = &self.inputs.monitoring else {
            return none;
        };
        let hits: Vec<_> = mon
            .lockouts
            .iter()
            .filter(|l| providers.contains(&l.provider))
            .filter(|l| l.model.as_deref().is_none_or(|m| m == bare || m == id))
            .collect();
        let Some(first) = hits.first() else {
            return none;
        };
        let reason = first.reason.clone().unwrap_or_else(|| "locked out".into());
        let retry = hits.iter().filter_map(|l| l.remaining_ms).min();
        let locked: HashSet<&str> = hits
            .iter()
            .filter_map(|l| l.connection_id.as_deref())
            .collect();
        let passing: Vec<&str> = match &self.inputs.providers {
            Some(p) => providers
                .iter()
                .flat_map(|prov| p.passing_of(prov).map(|c| c.id.as_str()))
                .collect(),
            None => Vec::new(),
        };
        let all = passing.is_empty()
            || hits.iter().any(|l| l.connection_id.is_none())
            || passing.iter().all(|c| locked.contains(c));
        if all {
            Finding {
                state: HealthState::Down,
                reason: Some(format!("locked out: {reason}")),
                retry_after_ms: retry,
            }
        } else {
            Finding {
                state: HealthState::Degraded,
                reason: Some(format!(
                    "locked out on {} of {} connections: {reason}",
                    locked.len(),
                    passing.len()
                )),
                retry_after_ms: None,
            }
        }
    }

    fn cooling(&self, providers: &[String]) -> Finding {
        let none = Finding {
            state: HealthState::Unknown,
            reason: None,
            retry_after_ms: None,
        };
        let Some(p) = &self.inputs.providers else {
            return none;
        };
        let conns: Vec<_> = providers
            .iter()
            .flat_map(|prov| p.passing_of(prov))
            .collect();
        if conns.is_empty() || !conns.iter().all(|c| c.cooling(self.now)) {
            return none;
        }
        let left = conns
            .iter()
            .filter_map(|c| c.cooling_until?.duration_since(self.now).ok())
            .min()
            .map(|d: Duration| d.as_millis() as u64);
        let why = conns
            .iter()
            .find_map(|c| c.last_error.clone())
            .map(|e| format!("cooling down after an error: {}", shorten(&e)))
            .unwrap_or_else(|| "cooling down".into());
        Finding {
            state: HealthState::Degraded,
            reason: Some(why),
            retry_after_ms: left,
        }
    }
}

fn shorten(s: &str) -> String {
    const MAX: usize = 120;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(MAX).collect::<String>())
    }
}

/// Health of one combo from its members' health.
pub fn combo_health(members: &[&Health]) -> (HealthState, Option<String>, Option<u64>) {
    let known: Vec<&&Health> = members
        .iter()
        .filter(|h| h.state != HealthState::Unknown)
        .collect();
    let n = known.len();
    let down = known
        .iter()
        .filter(|h| h.state == HealthState::Down)
        .count();
    let degraded = known
        .iter()
        .filter(|h| h.state == HealthState::Degraded)
        .count();
    if n == 0 {
        (HealthState::Unknown, None, None)
    } else if down == n {
        let retry = known.iter().filter_map(|h| h.retry_after_ms).min();
        (
            HealthState::Down,
            Some(format!("all {n} known members are down")),
            retry,
        )
    } else if down > 0 {
        (
            HealthState::Degraded,
            Some(format!("{down} of {n} known members are down")),
            None,
        )
    } else if degraded > 0 {
        (
            HealthState::Degraded,
            Some(format!("{degraded} of {n} known members are degraded")),
            None,
        )
    } else {
        (HealthState::Ok, None, None)
    }
}

/// Derives the health of every catalogue model. `members` gives a combo's flattened member
/// ids (`None` when its definition is unknown); members the catalogue does not list are
/// judged by their id alone.
pub fn derive(
    models: &[Model],
    members: impl Fn(&str) -> Option<Vec<String>>,
    inputs: &HealthInputs,
    now: SystemTime,
    checked_at: &str,
) -> HealthMap {
    let ix = Index::new(inputs, now);
    let mut out: HealthMap = BTreeMap::new();
    for m in models.iter().filter(|m| m.combo.is_none()) {
        let mut h = ix.model(&m.id, m.owned_by.as_deref(), m.usable);
        h.checked_at = checked_at.to_string();
        out.insert(m.id.clone(), h);
    }
    let mut extra: HealthMap = BTreeMap::new();
    let combo_ids: HashSet<&str> = models
        .iter()
        .filter(|m| m.combo.is_some())
        .map(|m| m.id.as_str())
        .collect();
    for m in models.iter().filter(|m| m.combo.is_some()) {
        let ids = members(&m.id).unwrap_or_default();
        for id in &ids {
            if !out.contains_key(id) && !extra.contains_key(id) && !combo_ids.contains(id.as_str())
            {
                // Not listed by the gateway: nothing says it can serve.
                let h = Health {
                    state: HealthState::Unknown,
                    reason: Some("not listed by the gateway".into()),
                    retry_after_ms: None,
                    latency_ms: None,
                    success_rate: None,
                    checked_at: checked_at.to_string(),
                };
                extra.insert(id.clone(), h);
            }
        }
        let hs: Vec<&Health> = ids
            .iter()
            .filter_map(|id| out.get(id).or_else(|| extra.get(id)))
            .collect();
        let (state, reason, retry_after_ms) = combo_health(&hs);
        let ok_members: Vec<&&Health> = hs.iter().filter(|h| h.state == HealthState::Ok).collect();
        let latency = ok_members.iter().filter_map(|h| h.latency_ms).min();
        let mut h = Health {
            state,
            reason,
            retry_after_ms,
            latency_ms: latency,
            success_rate: None,
            checked_at: checked_at.to_string(),
        };
        if m.usable == Some(false) && h.state != HealthState::Down {
            h.state = HealthState::Down;
            h.reason = Some("no member has an active connection".into());
        }
        out.insert(m.id.clone(), h);
    }
    out
}

#[cfg(test)]
#[path = "derive_tests.rs"]
mod tests;
