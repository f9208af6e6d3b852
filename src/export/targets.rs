//! What each tool's config wants, built from the catalogue: Zed's
//! `language_models.openai_compatible.omniroute`, Continue's `models` entries, Crush's
//! `providers.omniroute` and OpenCode's `provider.omniroute`. None of them holds the key: each
//! names the `OMNIROUTE_API_KEY` variable the way that tool resolves it.

use std::path::PathBuf;

use serde_json::Value;

use super::catalogue::{Catalogue, ChatModel};
use super::render::Doc;

/// Context window written where a tool requires one and the catalogue does not know it
/// (the service's OpenCode default).
pub const DEFAULT_CONTEXT: u64 = 128_000;
/// Output limit written where a tool requires one and the catalogue does not know it.
pub const DEFAULT_OUTPUT: u64 = 4_096;
/// The provider id every target uses. Zed derives the key variable from it: `omniroute` →
/// `OMNIROUTE_API_KEY` (a mixed-case `OmniRoute` would become `OMNI_ROUTE_API_KEY`).
pub const PROVIDER_ID: &str = "omniroute";
/// The environment variable holding the gateway key, in every tool.
pub const KEY_VAR: &str = "OMNIROUTE_API_KEY";

/// Zed's provider block: `api_url` and `available_models`.
pub fn zed(cat: &Catalogue) -> Doc {
    let models = cat
        .models
        .iter()
        .map(|m| {
            let mut fields = vec![
                ("name", Doc::leaf(m.id.clone())),
                ("display_name", Doc::leaf(m.name.clone())),
                (
                    "max_tokens",
                    Doc::leaf(m.context.unwrap_or(DEFAULT_CONTEXT)),
                ),
            ];
            if let Some(out) = m.output {
                fields.push(("max_output_tokens", Doc::leaf(out)));
            }
            fields.push((
                "capabilities",
                Doc::map(vec![
                    ("tools", Doc::leaf(m.tools.unwrap_or(true))),
                    ("images", Doc::leaf(m.vision.unwrap_or(false))),
                    ("parallel_tool_calls", Doc::leaf(false)),
                    ("prompt_cache_key", Doc::leaf(false)),
                    ("chat_completions", Doc::leaf(!cat.responses_api)),
                ]),
            ));
            Doc::map(fields)
        })
        .collect();
    Doc::map(vec![
        ("api_url", Doc::leaf(cat.base_url.clone())),
        ("available_models", Doc::List(models)),
    ])
}

/// Continue's `models` entries (provider `openai` against the gateway).
pub fn continue_models(cat: &Catalogue) -> Vec<Doc> {
    let mut seen = std::collections::HashMap::<String, usize>::new();
    for m in &cat.models {
        *seen.entry(m.name.clone()).or_default() += 1;
    }
    let api_base = format!("{}/", cat.base_url.trim_end_matches('/'));
    cat.models
        .iter()
        .map(|m| {
            // Names must be unique in a Continue config.
            let name = if seen.get(&m.name).copied().unwrap_or(0) > 1 {
                format!("{} ({})", m.name, m.id)
            } else {
                m.name.clone()
            };
            let mut capabilities = Vec::new();
            if m.tools.unwrap_or(true) {
                capabilities.push(Doc::leaf("tool_use"));
            }
            if m.vision.unwrap_or(false) {
                capabilities.push(Doc::leaf("image_input"));
            }
            let mut options = vec![(
                "contextLength",
                Doc::leaf(m.context.unwrap_or(DEFAULT_CONTEXT)),
            )];
            if let Some(out) = m.output {
                options.push(("maxTokens", Doc::leaf(out)));
            }
            Doc::map(vec![
                ("name", Doc::leaf(name)),
                ("provider", Doc::leaf("openai")),
                ("model", Doc::leaf(m.id.clone())),
                ("apiBase", Doc::leaf(api_base.clone())),
                ("apiKey", Doc::leaf(format!("${{{{ secrets.{KEY_VAR} }}}}"))),
                (
                    "roles",
                    Doc::List(vec![
                        Doc::leaf("chat"),
                        Doc::leaf("edit"),
                        Doc::leaf("apply"),
                    ]),
                ),
                ("capabilities", Doc::List(capabilities)),
                ("defaultCompletionOptions", Doc::map(options)),
            ])
        })
        .collect()
}

/// Crush's provider block. `openai-compat` speaks chat completions; `openai` (apiMode
/// `responses`) makes Crush use the Responses API.
pub fn crush(cat: &Catalogue) -> Doc {
    let models = cat.models.iter().map(crush_model).collect();
    let kind = if cat.responses_api {
        "openai"
    } else {
        "openai-compat"
    };
    Doc::map(vec![
        ("name", Doc::leaf("OmniRoute")),
        ("type", Doc::leaf(kind)),
        ("base_url", Doc::leaf(cat.base_url.clone())),
        ("api_key", Doc::leaf(format!("${KEY_VAR}"))),
        ("models", Doc::List(models)),
    ])
}

fn crush_model(m: &ChatModel) -> Doc {
    let reasoning = m.reasoning.unwrap_or(false);
    // Crush (catwalk) prices: `_in_cached` is the cache write, `_out_cached` the cache read.
    let mut fields = vec![
        ("id", Doc::leaf(m.id.clone())),
        ("name", Doc::leaf(m.name.clone())),
        ("cost_per_1m_in", price(m.cost_in)),
        ("cost_per_1m_out", price(m.cost_out)),
        ("cost_per_1m_in_cached", price(m.cache_write)),
        ("cost_per_1m_out_cached", price(m.cache_read)),
        (
            "context_window",
            Doc::leaf(m.context.unwrap_or(DEFAULT_CONTEXT)),
        ),
        (
            "default_max_tokens",
            Doc::leaf(m.output.unwrap_or(DEFAULT_OUTPUT)),
        ),
        ("can_reason", Doc::leaf(reasoning)),
    ];
    if reasoning {
        fields.push((
            "reasoning_levels",
            Doc::List(["low", "medium", "high"].map(Doc::leaf).to_vec()),
        ));
        fields.push(("default_reasoning_effort", Doc::leaf("medium")));
    }
    fields.push((
        "supports_attachments",
        Doc::leaf(m.attachment.or(m.vision).unwrap_or(false)),
    ));
    Doc::map(fields)
}

fn price(p: Option<f64>) -> Doc {
    Doc::leaf(serde_json::Number::from_f64(p.unwrap_or(0.0)).map_or(Value::from(0), Value::Number))
}

/// OpenCode's block as the service builds it for the plugin (`opencode.provider`).
pub fn opencode(cat: &Catalogue) -> Doc {
    Doc::from_value(cat.opencode.as_ref().unwrap_or(&Value::Null))
}

/// The tool's usual config file on this platform, from the environment read at start.
pub fn default_path(target: &str, dirs: &crate::env::ToolDirs) -> Result<PathBuf, String> {
    let home = dirs.home.clone();
    let config_home = dirs
        .config_home
        .clone()
        .or_else(|| home.as_ref().map(|h| h.join(".config")));
    let need = |p: Option<PathBuf>| {
        p.ok_or_else(|| {
            "cannot tell the home directory (HOME is not set); pass the file: --write PATH"
                .to_string()
        })
    };
    match target {
        "zed" => {
            if cfg!(windows) {
                if let Some(app) = dirs.appdata.clone() {
                    return Ok(app.join("Zed").join("settings.json"));
                }
            }
            // Zed reads ~/.config/zed on macOS too, and $XDG_CONFIG_HOME/zed on Linux.
            let base = if cfg!(target_os = "macos") {
                home.map(|h| h.join(".config"))
            } else {
                config_home
            };
            Ok(need(base)?.join("zed").join("settings.json"))
        }
        "continue" => match dirs.continue_dir.clone() {
            Some(dir) => Ok(dir.join("config.yaml")),
            None => Ok(need(home)?.join(".continue").join("config.yaml")),
        },
        "crush" => match dirs.crush_dir.clone() {
            Some(dir) => Ok(dir.join("crush.json")),
            None => Ok(need(config_home)?.join("crush").join("crush.json")),
        },
        _ => {
            let dir = need(config_home)?.join("opencode");
            let jsonc = dir.join("opencode.jsonc");
            Ok(if jsonc.exists() {
                jsonc
            } else {
                dir.join("opencode.json")
            })
        }
    }
}
