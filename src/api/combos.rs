//! `combos.resolve`: a combo's members through nested combos, each with its metadata or the
//! reason it has none, and their lowest common capabilities.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::Serialize;

use super::models::freshness;
use super::{Api, SourceInfo};
use crate::catalog::pipeline::Resolution;
use crate::error::ServiceError;
use crate::service::Service;

super::call_params! {
/// `combos.resolve` params.
pub struct CombosResolveParams {
    /// The combo's name (its model id).
    pub name: String,
    /// As in `models.list`; absent = `refreshOnList` decides.
    pub refresh: Option<bool>,
}
}

/// `combos.resolve` result.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CombosResolveResult {
    /// The combo.
    pub name: String,
    /// Whether its definition was found (false: the gateway lists it but its members could not
    /// be read; see `warnings`).
    pub found: bool,
    /// Members and capabilities, when the definition was found.
    #[serde(flatten)]
    pub resolution: Option<Resolution>,
    /// Where the data came from.
    #[serde(flatten)]
    pub origin: SourceInfo,
}

/// Registers `combos.resolve`.
pub fn register(api: &mut Api) {
    api.method(
        "combos.resolve",
        "A combo's members (recursively, cycle-safe), each resolved to its metadata or listed as unresolved with the reason.",
        |svc: Arc<Service>, p: CombosResolveParams| async move {
            let ctx = svc.context(p.options.as_ref(), p.api_key.as_deref());
            let view = svc.catalogue(&ctx, freshness(p.refresh, &ctx.opts)).await;
            let cat = &view.catalogue;
            let resolution = cat.resolve_combo(&p.name);
            let listed_as_combo = cat.get(&p.name).is_some_and(|m| m.combo.is_some());
            if resolution.is_none() && cat.combo_inactive(&p.name) {
                return Err(ServiceError::NotFound {
                    what: format!("combo {:?}", p.name),
                    hint: " among the combos the gateway serves: it is defined but inactive (isActive: false); switch it on in the OmniRoute dashboard".into(),
                });
            }
            if resolution.is_none() && !listed_as_combo {
                let hint = if cat.combos_known() {
                    "; `models.list` shows the combos (entries with a `combo` field)".to_string()
                } else {
                    format!(
                        "; combo definitions could not be read from the gateway ({})",
                        view.warnings.join("; ")
                    )
                };
                return Err(ServiceError::NotFound {
                    what: format!("combo {:?}", p.name),
                    hint,
                });
            }
            let mut warnings = Vec::new();
            if resolution.is_none() {
                warnings.push(format!(
                    "{:?} is a combo on the gateway but its definition could not be read; members unknown",
                    p.name
                ));
            }
            Ok(CombosResolveResult {
                name: p.name,
                found: resolution.is_some(),
                resolution,
                origin: SourceInfo::of(&view, warnings),
            })
        },
    );
}
