//! `capabilities.compute`: the lowest common capabilities of a combo or of any list of ids,
//! through the same matcher as everything else.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::Serialize;

use super::models::freshness;
use super::{Api, SourceInfo};
use crate::catalog::capabilities::Capabilities;
use crate::error::ServiceError;
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
            Ok(CapabilitiesResult {
                capabilities,
                origin: SourceInfo::of(&view, notes),
            })
        },
    );
}
