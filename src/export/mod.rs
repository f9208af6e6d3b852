//! `omniroute-rpc export TARGET`: the gateway's catalogue as a config block for tools that only
//! read files — Zed, Continue, Crush, and OpenCode without plugins. Prints the block, merges it
//! into the tool's file in place (`--write`: only the owned part changes, atomically, with a
//! backup), or says whether the file is out of date (`--check`: exit 0 / 1, 2 on error).

pub mod catalogue;
pub mod file;
pub mod jsonc;
pub mod jsonc_edit;
pub mod render;
pub mod targets;
pub mod yaml_region;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use catalogue::Catalogue;
use jsonc::{line_col, Flavor};
use jsonc_edit::EditError;
use render::{escape_terminal, json_pretty, Doc};

/// The tools an export can target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// Zed: `language_models.openai_compatible.omniroute` in settings.json (JSONC).
    Zed,
    /// Continue: entries in config.yaml's `models`.
    Continue,
    /// Crush: `providers.omniroute` in crush.json (strict JSON).
    Crush,
    /// OpenCode without plugins: `provider.omniroute` in opencode.json(c).
    Opencode,
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::Zed => "zed",
            Target::Continue => "continue",
            Target::Crush => "crush",
            Target::Opencode => "opencode",
        }
    }
}

/// Arguments of `omniroute-rpc export`.
#[derive(Debug, Clone, clap::Args)]
pub struct ExportArgs {
    /// Which tool's config to produce.
    #[arg(value_enum)]
    pub target: Target,
    /// Merge the block into the tool's file (default: its usual file) instead of printing it.
    #[arg(long, value_name = "PATH", num_args = 0..=1)]
    pub write: Option<Option<PathBuf>>,
    /// Exit 0 when the file (default: the tool's usual file) is up to date, 1 when not, 2 on error.
    #[arg(long, value_name = "PATH", num_args = 0..=1, conflicts_with = "write")]
    pub check: Option<Option<PathBuf>>,
    /// Gateway base URL (default http://localhost:20128/v1, or OMNIROUTE_BASE_URL).
    #[arg(long)]
    pub base_url: Option<String>,
    /// Gateway request timeout in milliseconds.
    #[arg(long, default_value_t = 30_000)]
    pub timeout_ms: u64,
}

/// Where a block lives in a JSON file.
struct JsonPlace {
    flavor: Flavor,
    path: &'static [&'static str],
    root_extra: &'static [(&'static str, &'static str)],
}

fn json_place(target: Target) -> Option<JsonPlace> {
    match target {
        Target::Zed => Some(JsonPlace {
            flavor: Flavor::JSONC,
            path: &["language_models", "openai_compatible", targets::PROVIDER_ID],
            root_extra: &[],
        }),
        Target::Crush => Some(JsonPlace {
            flavor: Flavor::STRICT,
            path: &["providers", targets::PROVIDER_ID],
            root_extra: &[("$schema", "https://charm.land/crush.json")],
        }),
        Target::Opencode => Some(JsonPlace {
            flavor: Flavor::JSONC,
            path: &["provider", targets::PROVIDER_ID],
            root_extra: &[("$schema", "https://opencode.ai/config.json")],
        }),
        Target::Continue => None,
    }
}

/// What the export wants in the file.
enum Wanted {
    Json(Doc),
    Yaml(Vec<Doc>),
}

impl Wanted {
    fn value(&self) -> Value {
        match self {
            Wanted::Json(d) => d.to_value(),
            Wanted::Yaml(items) => Value::Array(items.iter().map(Doc::to_value).collect()),
        }
    }
}

/// Runs the subcommand; returns the exit code.
pub fn run(args: ExportArgs, env: crate::env::Env) -> i32 {
    match run_inner(&args, env) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("omniroute-rpc export: {}", escape_terminal(&message));
            2
        }
    }
}

fn run_inner(args: &ExportArgs, env: crate::env::Env) -> Result<i32, String> {
    let target = args.target;
    // Resolve the file first: a bad path fails before any network work.
    let file = match (&args.write, &args.check) {
        (Some(p), _) | (_, Some(p)) => Some(match p {
            Some(p) => p.clone(),
            None => targets::default_path(target.name(), &env.dirs)?,
        }),
        _ => None,
    };
    let options = catalogue::options(&env, args.base_url.as_deref(), args.timeout_ms)?;
    let cat = catalogue::fetch(env, options, target == Target::Opencode)?;
    report_source(&cat);
    let wanted = match target {
        Target::Zed => Wanted::Json(targets::zed(&cat)),
        Target::Crush => Wanted::Json(targets::crush(&cat)),
        Target::Opencode => Wanted::Json(targets::opencode(&cat)),
        Target::Continue => Wanted::Yaml(targets::continue_models(&cat)),
    };
    let Some(file) = file else {
        print!("{}", printed(target, &wanted));
        return Ok(0);
    };
    let real = file::resolve(&file)?;
    let old = file::read(&real)?;
    let shown = escape_terminal(&file.display().to_string());
    let current = match &old {
        Some(text) => current(target, text).map_err(|e| at(&file, text, &e))?,
        None => None,
    };
    let count = cat.models.len();
    let reasons = differences(target, current.as_ref(), &wanted.value(), old.is_none());
    if reasons.is_empty() {
        println!(
            "{shown} is up to date ({count} models from {})",
            escape_terminal(&cat.base_url)
        );
        return Ok(0);
    }
    if args.check.is_some() {
        println!("{shown} is out of date:");
        for r in &reasons {
            println!("  {}", escape_terminal(r));
        }
        return Ok(1);
    }
    let base = old.as_deref().unwrap_or("");
    let text = merged(target, base, &wanted).map_err(|e| at(&file, base, &e))?;
    let backup = file::replace(&real, old.as_deref(), &text)?;
    let kept = backup
        .map(|b| format!(" (previous version in {})", b.display()))
        .unwrap_or_default();
    println!(
        "wrote {count} models from {} to {shown}{}",
        escape_terminal(&cat.base_url),
        escape_terminal(&kept)
    );
    for r in &reasons {
        println!("  {}", escape_terminal(r));
    }
    Ok(0)
}

fn report_source(cat: &Catalogue) {
    for w in &cat.warnings {
        eprintln!("omniroute-rpc export: note: {}", escape_terminal(w));
    }
    if cat.source == "stale" || cat.source == "snapshot" {
        eprintln!(
            "omniroute-rpc export: note: the gateway did not answer; exporting the last catalogue seen ({})",
            cat.source
        );
    }
}

/// "FILE:LINE:COL: message; nothing written".
fn at(file: &Path, text: &str, e: &EditError) -> String {
    let (line, col) = line_col(text, e.offset);
    format!(
        "{}:{line}:{col}: {}; nothing written",
        file.display(),
        e.message
    )
}

/// The text printed without --write: a whole document holding just the block.
fn printed(target: Target, wanted: &Wanted) -> String {
    match (wanted, json_place(target)) {
        (Wanted::Json(doc), Some(place)) => {
            let nested = place
                .path
                .iter()
                .rev()
                .fold(doc.clone(), |inner, key| Doc::map(vec![(*key, inner)]));
            format!("{}\n", json_pretty(&nested, "", "  "))
        }
        (Wanted::Yaml(items), _) => yaml_region::upsert("", items).unwrap_or_default(),
        _ => String::new(),
    }
}

/// What the file holds now in the part the export owns.
fn current(target: Target, text: &str) -> Result<Option<Value>, EditError> {
    match json_place(target) {
        Some(place) => jsonc_edit::get(text, place.flavor, place.path),
        None => Ok(yaml_region::current(text)?.map(Value::Array)),
    }
}

/// The file's new text.
fn merged(target: Target, text: &str, wanted: &Wanted) -> Result<String, EditError> {
    match (wanted, json_place(target)) {
        (Wanted::Json(doc), Some(place)) => {
            let extra: Vec<(&str, Doc)> = place
                .root_extra
                .iter()
                .map(|(k, v)| (*k, Doc::leaf(*v)))
                .collect();
            jsonc_edit::upsert(text, place.flavor, place.path, doc, &extra)
        }
        (Wanted::Yaml(items), _) => yaml_region::upsert(text, items),
        _ => Ok(text.to_string()),
    }
}

/// Models of a block by id, and the block without its models.
fn split_models(target: Target, block: &Value) -> (BTreeMap<String, Value>, Value) {
    let mut rest = block.clone();
    let by = |items: &[Value], key: &str| -> BTreeMap<String, Value> {
        items
            .iter()
            .map(|m| {
                let id = m
                    .get(key)
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_string();
                (id, m.clone())
            })
            .collect()
    };
    let models = match target {
        Target::Zed => rest
            .get_mut("available_models")
            .map(Value::take)
            .and_then(|v| v.as_array().map(|a| by(a, "name"))),
        Target::Crush => rest
            .get_mut("models")
            .map(Value::take)
            .and_then(|v| v.as_array().map(|a| by(a, "id"))),
        Target::Opencode => rest.get_mut("models").map(Value::take).and_then(|v| {
            v.as_object()
                .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        }),
        Target::Continue => {
            let items = block.as_array().cloned().unwrap_or_default();
            rest = Value::Null;
            Some(by(&items, "model"))
        }
    };
    (models.unwrap_or_default(), rest)
}

/// Why the file differs from what the export wants; empty when it is up to date.
fn differences(
    target: Target,
    current: Option<&Value>,
    wanted: &Value,
    missing: bool,
) -> Vec<String> {
    let Some(current) = current else {
        return vec![if missing {
            "the file does not exist yet".to_string()
        } else {
            "the file has no OmniRoute block yet".to_string()
        }];
    };
    if current == wanted {
        return Vec::new();
    }
    let (old, old_rest) = split_models(target, current);
    let (new, new_rest) = split_models(target, wanted);
    let list = |ids: Vec<&String>| {
        let n = ids.len();
        let mut shown: Vec<String> = ids.into_iter().take(5).cloned().collect();
        if n > 5 {
            shown.push(format!("… {} more", n - 5));
        }
        shown.join(", ")
    };
    let added: Vec<&String> = new.keys().filter(|k| !old.contains_key(*k)).collect();
    let removed: Vec<&String> = old.keys().filter(|k| !new.contains_key(*k)).collect();
    let changed: Vec<&String> = new
        .iter()
        .filter(|(k, v)| old.get(*k).is_some_and(|o| o != *v))
        .map(|(k, _)| k)
        .collect();
    let mut out = Vec::new();
    if !added.is_empty() {
        out.push(format!("{} model(s) added: {}", added.len(), list(added)));
    }
    if !removed.is_empty() {
        out.push(format!(
            "{} model(s) removed: {}",
            removed.len(),
            list(removed)
        ));
    }
    if !changed.is_empty() {
        out.push(format!(
            "{} model(s) changed: {}",
            changed.len(),
            list(changed)
        ));
    }
    if old_rest != new_rest {
        out.push("provider settings changed (base URL, API mode or options)".into());
    }
    if out.is_empty() {
        out.push("the models are in a different order or hand-edited".into());
    }
    out
}
