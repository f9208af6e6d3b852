//! Merging a gateway entry with its models.dev match into one [`Model`], recording where every
//! value came from. The gateway wins over models.dev; overrides are applied later.

use super::model::{DevRef, Model, Origin, Pricing};
use super::normalise::GatewayModel;
use crate::modelsdev::index::DevModel;

/// Builds the enriched model for one gateway entry.
pub fn merge(g: &GatewayModel, dev: Option<&DevModel>) -> Model {
    let mut m = Model {
        id: g.id.clone(),
        name: g.name.clone().unwrap_or_else(|| g.id.clone()),
        description: g.description.clone(),
        kind: g.kind,
        owned_by: g.owned_by.clone(),
        ..Model::default()
    };
    let prov = &mut m.provenance;
    fn pick<T: Clone>(
        prov: &mut std::collections::BTreeMap<&'static str, Origin>,
        name: &'static str,
        gateway: &Option<T>,
        dev: Option<T>,
    ) -> Option<T> {
        if let Some(v) = gateway {
            prov.insert(name, Origin::Gateway);
            Some(v.clone())
        } else if let Some(v) = dev {
            prov.insert(name, Origin::ModelsDev);
            Some(v)
        } else {
            None
        }
    }
    let d = dev;
    m.context_window = pick(prov, "contextWindow", &g.context, d.and_then(|d| d.context));
    m.max_tokens = pick(prov, "maxTokens", &g.max_output, d.and_then(|d| d.output));
    let dev_vision = d.and_then(|d| {
        d.input_modalities
            .as_ref()
            .map(|mods| mods.iter().any(|x| x == "image"))
    });
    m.supports_vision = pick(prov, "supportsVision", &g.vision, dev_vision);
    m.supports_tools = pick(prov, "supportsTools", &g.tools, d.and_then(|d| d.tool_call));
    m.supports_reasoning = pick(
        prov,
        "supportsReasoning",
        &g.reasoning,
        d.and_then(|d| d.reasoning),
    );
    m.supports_attachment = pick(
        prov,
        "supportsAttachment",
        &g.attachment,
        d.and_then(|d| d.attachment),
    );
    m.supports_temperature = pick(
        prov,
        "supportsTemperature",
        &g.temperature,
        d.and_then(|d| d.temperature),
    );
    m.supports_streaming = pick(prov, "supportsStreaming", &g.streaming, None);
    m.input_modalities = pick(
        prov,
        "inputModalities",
        &g.input_modalities,
        d.and_then(|d| d.input_modalities.clone()),
    );
    m.output_modalities = pick(
        prov,
        "outputModalities",
        &g.output_modalities,
        d.and_then(|d| d.output_modalities.clone()),
    );
    m.release_date = pick(
        prov,
        "releaseDate",
        &g.release_date,
        d.and_then(|d| d.release_date.clone()),
    );
    m.family = pick(prov, "family", &g.family, d.and_then(|d| d.family.clone()));
    m.last_updated = pick(
        prov,
        "lastUpdated",
        &g.last_updated,
        d.and_then(|d| d.last_updated.clone()),
    );
    m.status = pick(prov, "status", &g.status, d.and_then(|d| d.status.clone()));
    m.free = pick(prov, "free", &g.free, None);
    let dev_pricing = d.map(dev_pricing).filter(|p| !p.is_empty());
    m.pricing = pick(prov, "pricing", &g.pricing, dev_pricing);
    if let Some(d) = d {
        m.models_dev = Some(DevRef {
            provider: d.provider.clone(),
            id: d.id.clone(),
        });
    }
    m
}

/// A model built from a models.dev entry alone (a combo member the gateway does not list).
pub fn from_dev(id: &str, d: &DevModel) -> Model {
    let g = GatewayModel {
        id: id.to_string(),
        ..GatewayModel::default()
    };
    let mut m = merge(&g, Some(d));
    if let Some(name) = &d.name {
        m.name = name.clone();
    }
    m
}

fn dev_pricing(d: &DevModel) -> Pricing {
    Pricing {
        input: d.cost_input,
        output: d.cost_output,
        cache_read: d.cost_cache_read,
        cache_write: d.cost_cache_write,
    }
}
