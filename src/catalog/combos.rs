//! Combo definitions and the combo graph: parsing both gateway generations' bodies, and
//! flattening nested combos into their model members with the path taken, cycle-safe and
//! depth-limited.

use std::collections::HashMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// How deep nested combos are followed before giving up.
pub const MAX_DEPTH: usize = 8;
/// How many members one combo may expand to: a gateway can legally define combos that list
/// the same nested combo many times, which grows exponentially with depth.
pub const MAX_MEMBERS: usize = 1024;
/// How many member entries one expansion may visit (members, references, cycles alike), so
/// chains of empty or cyclic nested combos are bounded too.
const MAX_STEPS: usize = 16 * MAX_MEMBERS;

/// One direct member of a combo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Member {
    /// A model id (`cx/gpt-5.1-codex-mini`), or a name that may turn out to be a combo when the
    /// member did not say which (`explicit` false).
    Model {
        /// The model id.
        model: String,
        /// Routing weight, when given.
        weight: Option<f64>,
        /// Whether the gateway said `kind: "model"` explicitly.
        explicit: bool,
    },
    /// A nested combo.
    ComboRef {
        /// The nested combo's name.
        name: String,
        /// Routing weight, when given.
        weight: Option<f64>,
    },
}

/// A combo as defined on the gateway.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComboDef {
    /// Combo name (= its model id on `/v1/models`).
    pub name: String,
    /// Routing strategy.
    pub strategy: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Direct members, in order.
    pub members: Vec<Member>,
    /// `context_length` set on the combo by hand (3.7.9) or computed by the gateway (3.8).
    pub context_length: Option<u64>,
    /// False when the gateway says `isActive: false`: defined, but not served.
    #[serde(default = "active_default")]
    pub active: bool,
}

fn active_default() -> bool {
    true
}

/// Parses `{object:"list", data:[...]}` (3.8 `/v1/combos`), `{combos:[...]}` (`/api/combos`) or
/// a bare array. Broken entries are skipped with a warning.
pub fn parse_combos_body(body: &Value) -> Result<(Vec<ComboDef>, Vec<String>), String> {
    let list = match body {
        Value::Object(o) => match o.get("data").or_else(|| o.get("combos")) {
            Some(Value::Array(a)) => a,
            _ => return Err("the body has neither a `data` nor a `combos` array".into()),
        },
        Value::Array(a) => a,
        _ => return Err("the body is not a JSON object".into()),
    };
    let mut out = Vec::with_capacity(list.len());
    let mut warnings = Vec::new();
    for (i, entry) in list.iter().enumerate() {
        match parse_combo(entry) {
            Some(c) => out.push(c),
            None => warnings.push(format!("skipped combo definition #{i}: no usable `name`")),
        }
    }
    Ok((out, warnings))
}

fn parse_combo(entry: &Value) -> Option<ComboDef> {
    let obj = entry.as_object()?;
    let name = ["name", "id"]
        .iter()
        .find_map(|k| obj.get(*k).and_then(Value::as_str))
        .map(str::trim)
        .filter(|s| !s.is_empty())?
        .to_string();
    let members = obj
        .get("models")
        .or_else(|| obj.get("members"))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(parse_member).collect())
        .unwrap_or_default();
    Some(ComboDef {
        name,
        strategy: text(obj, "strategy"),
        description: text(obj, "description"),
        members,
        context_length: obj
            .get("context_length")
            .or_else(|| obj.get("contextLength"))
            .and_then(Value::as_u64)
            .filter(|x| *x > 0),
        active: obj.get("isActive").and_then(Value::as_bool).unwrap_or(true),
    })
}

fn text(obj: &Map<String, Value>, k: &str) -> Option<String> {
    obj.get(k)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Reads one member in any of the shapes gateways use.
pub fn parse_member(v: &Value) -> Option<Member> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(Member::Model {
            model: s.trim().to_string(),
            weight: None,
            explicit: false,
        }),
        Value::Object(o) => {
            let weight = o.get("weight").and_then(Value::as_f64);
            let kind = o.get("kind").and_then(Value::as_str);
            if kind == Some("combo-ref") || kind == Some("combo") {
                let name = ["comboName", "combo", "name", "model", "id"]
                    .iter()
                    .find_map(|k| o.get(*k).and_then(Value::as_str))?;
                return Some(Member::ComboRef {
                    name: name.to_string(),
                    weight,
                });
            }
            let model = ["model", "id", "modelId", "name"]
                .iter()
                .find_map(|k| o.get(*k).and_then(Value::as_str))
                .map(str::trim)
                .filter(|s| !s.is_empty())?;
            Some(Member::Model {
                model: model.to_string(),
                weight,
                explicit: kind == Some("model"),
            })
        }
        _ => None,
    }
}

/// One model reached from a combo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FlatMember {
    /// The member id.
    pub id: String,
    /// Combo names from the top combo down to the one that lists this member.
    pub path: Vec<String>,
    /// The member's own weight, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
    /// Set when the member is a combo reference that could not be followed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// The result of flattening one combo.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Flattened {
    /// Model members, depth first, in gateway order.
    pub members: Vec<FlatMember>,
    /// Each cycle found, as the chain of names that closes it.
    pub cycles: Vec<Vec<String>>,
    /// The expansion stopped at [`MAX_MEMBERS`] members (or its step budget).
    pub truncated: bool,
    /// Member entries visited so far.
    steps: usize,
}

/// Flattens `name` through nested combos. `defs` maps combo names to definitions.
pub fn flatten(name: &str, defs: &HashMap<String, ComboDef>) -> Flattened {
    let mut out = Flattened::default();
    let mut path = vec![name.to_string()];
    walk(name, defs, &mut path, &mut out);
    out
}

fn walk(name: &str, defs: &HashMap<String, ComboDef>, path: &mut Vec<String>, out: &mut Flattened) {
    let Some(def) = defs.get(name) else { return };
    for member in &def.members {
        out.steps += 1;
        if out.members.len() + out.cycles.len() >= MAX_MEMBERS || out.steps > MAX_STEPS {
            out.truncated = true;
            return;
        }
        let (target, weight, is_ref) = match member {
            Member::ComboRef { name, weight } => (name, *weight, true),
            Member::Model {
                model,
                weight,
                explicit,
            } => (model, *weight, !explicit && defs.contains_key(model)),
        };
        if !is_ref {
            out.members.push(FlatMember {
                id: target.clone(),
                path: path.clone(),
                weight,
                problem: None,
            });
            continue;
        }
        if path.iter().any(|p| p == target) {
            let mut cycle = path.clone();
            cycle.push(target.clone());
            out.cycles.push(cycle);
            continue;
        }
        if defs.get(target).is_some_and(|d| !d.active) {
            out.members.push(FlatMember {
                id: target.clone(),
                path: path.clone(),
                weight,
                problem: Some(format!(
                    "nested combo {target:?} is inactive on the gateway (isActive: false)"
                )),
            });
            continue;
        }
        if !defs.contains_key(target) {
            out.members.push(FlatMember {
                id: target.clone(),
                path: path.clone(),
                weight,
                problem: Some(format!(
                    "nested combo {target:?} is not defined on the gateway"
                )),
            });
            continue;
        }
        if path.len() >= MAX_DEPTH {
            out.members.push(FlatMember {
                id: target.clone(),
                path: path.clone(),
                weight,
                problem: Some(format!(
                    "combos nested deeper than {MAX_DEPTH} levels are not followed"
                )),
            });
            continue;
        }
        path.push(target.clone());
        walk(target, defs, path, out);
        path.pop();
    }
}

/// The direct member ids of a combo, as shown on its model entry.
pub fn direct_member_ids(def: &ComboDef) -> Vec<String> {
    def.members
        .iter()
        .map(|m| match m {
            Member::Model { model, .. } => model.clone(),
            Member::ComboRef { name, .. } => name.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn defs(v: Value) -> HashMap<String, ComboDef> {
        let (list, _) = parse_combos_body(&v).expect("combos");
        list.into_iter().map(|c| (c.name.clone(), c)).collect()
    }

    #[test]
    fn nested_three_levels_and_every_member_form() {
        let d = defs(json!({"combos": [
            {"name": "top", "models": ["a/x", {"kind": "combo-ref", "comboName": "mid", "weight": 2}]},
            {"name": "mid", "models": [{"id": "b/y"}, "low"]},
            {"name": "low", "models": [{"kind": "model", "model": "c/z", "providerId": "c"}, {"model": "d/w"}]}
        ]}));
        let f = flatten("top", &d);
        let ids: Vec<_> = f.members.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["a/x", "b/y", "c/z", "d/w"]);
        assert_eq!(f.members[2].path, ["top", "mid", "low"]);
        assert!(f.cycles.is_empty());
    }

    #[test]
    fn cycles_are_reported_not_followed() {
        let d = defs(json!({"data": [
            {"name": "a", "models": [{"kind": "combo-ref", "comboName": "b"}, "m/1"]},
            {"name": "b", "models": [{"kind": "combo-ref", "comboName": "a"}]}
        ]}));
        let f = flatten("a", &d);
        assert_eq!(
            f.cycles,
            vec![vec!["a".to_string(), "b".into(), "a".into()]]
        );
        assert_eq!(f.members.len(), 1);
    }

    #[test]
    fn diamond_chains_are_bounded() {
        let mut list = Vec::new();
        for level in 0..8 {
            let members: Vec<Value> = (0..12)
                .map(|_| {
                    if level == 7 {
                        json!("cx/x")
                    } else {
                        json!({"kind": "combo-ref", "comboName": format!("c{}", level + 1)})
                    }
                })
                .collect();
            list.push(json!({"name": format!("c{level}"), "models": members}));
        }
        let d = defs(Value::Array(list));
        let start = std::time::Instant::now();
        let f = flatten("c0", &d);
        assert!(f.truncated);
        assert_eq!(f.members.len(), MAX_MEMBERS);
        assert!(start.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn cycles_and_empty_chains_are_bounded_too() {
        for bottom in [json!([{"kind": "combo-ref", "comboName": "c0"}]), json!([])] {
            let mut list = Vec::new();
            for level in 0..8 {
                let members = if level == 7 {
                    bottom.clone()
                } else {
                    Value::Array(
                        (0..12)
                            .map(|_| json!({"kind": "combo-ref", "comboName": format!("c{}", level + 1)}))
                            .collect(),
                    )
                };
                list.push(json!({"name": format!("c{level}"), "models": members}));
            }
            let d = defs(Value::Array(list));
            let start = std::time::Instant::now();
            let f = flatten("c0", &d);
            assert!(f.truncated);
            assert!(f.cycles.len() <= MAX_MEMBERS);
            assert!(start.elapsed() < std::time::Duration::from_secs(1));
        }
    }

    #[test]
    fn self_reference_and_missing_reference() {
        let d = defs(
            json!([{"name": "s", "models": [{"kind": "combo-ref", "comboName": "s"},
            {"kind": "combo-ref", "comboName": "ghost"}]}]),
        );
        let f = flatten("s", &d);
        assert_eq!(f.cycles.len(), 1);
        assert!(f.members[0].problem.is_some());
    }
}
