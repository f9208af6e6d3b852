//! `capabilities.compute`: the lowest common capabilities of a combo or of any list of ids,
//! through the same matcher as everything else.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::Serialize;

use super::health::{health_map, peek_reading};
use super::models::freshness;
use super::{Api, SourceInfo};
use crate::catalog::capabilities::Capabilities;
use crate::error::ServiceError;
use crate::health::HealthState;
use crate::service::Service;

super::call_params! {
/// `capabilities.compute` params: `model` (a combo or a model id) or `models` (a list).
pub struct CapabilitiesParams {
    /// One id: a combo is expanded to its members.
    pub model: Option<String>,
    /// Several ids (combos among them are expanded).
    pub models: Option<Vec<String>>,
    /// As in `models.list`; absent = cached data when there is any.
    pub refresh: Option<bool>,
}
}

/// `capabilities.compute` result.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CapabilitiesResult {
    /// The capabilities.
    #[serde(flatten)]
    pub capabilities: Capabilities,
    /// The lowest common capabilities over the members that are not `down` now, when a health
    /// reading younger than `healthTtl` exists (`models.health` makes one; this hot call never
    /// waits for the network).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub up_now: Option<Capabilities>,
    /// The members left out of `upNow` because they are down.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub down_members: Option<Vec<String>>,
    /// Where the data came from; `warnings` also say why members are unknown.
    #[serde(flatten)]
    pub origin: SourceInfo,
}

/// Registers `capabilities.compute`.
pub fn register(api: &mut Api) {
    api.method(
        "capabilities.compute",
        "Lowest common capabilities (min limits, flags true only if all known members have them, price range) of a combo or a list of ids.",
        |svc: Arc<Service>, p: CapabilitiesParams| async move {
            let ids: Vec<String> = match (p.model, p.models) {
                (Some(m), None) => vec![m],
                (None, Some(list)) if !list.is_empty() => list,
                (Some(_), Some(_)) => {
                    return Err(ServiceError::InvalidParams(
                        "give either `model` or `models`, not both".into(),
                    ))
                }
                _ => {
                    return Err(ServiceError::InvalidParams(
                        "give `model` (one id or combo) or `models` (a non-empty list)".into(),
                    ))
                }
            };
            let ctx = svc.context(p.options.as_ref(), p.api_key.as_deref());
            // Capability maths is a hot, repeated call: cached data unless asked otherwise.
            let mode = freshness(p.refresh.or(Some(false)), &ctx.opts);
            let view = svc.catalogue(&ctx, mode).await;
            let (capabilities, notes) = view.catalogue.capabilities_of(&ids);
            let (up_now, down_members) = match peek_reading(&svc, &ctx) {
                Some(r) => {
                    let map = health_map(&r, &view.catalogue);
                    let mut members: Vec<String> = Vec::new();
                    for id in &ids {
                        match view.catalogue.combo_member_ids(id) {
                            Some(m) => members.extend(m),
                            None => members.push(id.clone()),
                        }
                    }
                    let (down, up): (Vec<String>, Vec<String>) = members
                        .into_iter()
                        .partition(|m| map.get(m).is_some_and(|h| h.state == HealthState::Down));
                    let caps = (!up.is_empty()).then(|| view.catalogue.capabilities_of(&up).0);
                    (caps, Some(down))
                }
                None => (None, None),
            };
            Ok(CapabilitiesResult {
                capabilities,
                up_now,
                down_members,
                origin: SourceInfo::of(&view, notes),
            })
        },
    );
}
