//! The `omniroute-rpc` command: serve JSON-RPC on stdio (default), make one call for scripts,
//! list models as a table, or write the schema files.

use std::io::{BufReader, Write};
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use serde_json::{json, Value};

use omniroute_rpc::api::{discover, Api};
use omniroute_rpc::display::escape_controls;
use omniroute_rpc::env::Env;
use omniroute_rpc::rpc::connection::Connection;
use omniroute_rpc::rpc::server::{self, Hooks, DEFAULT_MAX_FRAME};
use omniroute_rpc::service::{Notifier, Service};

/// How long a process whose input ended waits for a background refresh to land in the
/// snapshot (so the next start is fresh) before it exits.
const BACKGROUND_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// JSON-RPC 2.0 service over stdio for OmniRoute: models enriched with real limits, combos
/// resolved, credentials stored — for OpenCode, editors and scripts.
#[derive(Parser)]
#[command(name = "omniroute-rpc", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve JSON-RPC on stdin/stdout (the default). Framing (NDJSON or LSP) is auto-detected.
    Serve {
        /// Largest accepted frame in bytes.
        #[arg(long, default_value_t = DEFAULT_MAX_FRAME)]
        max_frame: usize,
    },
    /// Make one request in-process and print its result as JSON (non-zero exit on error).
    Call {
        /// Method name, e.g. `models.list`.
        method: String,
        /// Params as a JSON object, e.g. '{"refresh":true}'.
        params: Option<String>,
    },
    /// Models as a table.
    Models {
        #[command(subcommand)]
        command: ModelsCommand,
    },
    /// Requests, tokens and cost per requested model and served member, from the usage ledger.
    Usage {
        /// Start: a duration before now (7d, 24h) or an RFC 3339 time / date.
        #[arg(long)]
        since: Option<String>,
        /// End (exclusive), same forms; default now.
        #[arg(long)]
        until: Option<String>,
        /// member (default), model, servedModel, provider or day.
        #[arg(long)]
        group_by: Option<String>,
        /// The cache directory holding the ledger (default: the service's).
        #[arg(long)]
        cache_dir: Option<String>,
        /// Print the JSON result instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The catalogue as a config block for Zed, Continue, Crush or OpenCode: print it, merge it
    /// into the tool's file (--write), or check whether the file is up to date (--check).
    Export(omniroute_rpc::export::ExportArgs),
    /// Write the JSON Schemas and openrpc.json to DIR (default ./schema).
    Schema {
        /// Output directory.
        dir: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ModelsCommand {
    /// List the gateway's models (id, name, context, output, vision, tools) and where they came from.
    List {
        /// Gateway base URL (default http://localhost:20128/v1, or OMNIROUTE_BASE_URL).
        #[arg(long)]
        base_url: Option<String>,
        /// Print the JSON result instead of a table.
        #[arg(long)]
        json: bool,
        /// Request timeout in milliseconds.
        #[arg(long, default_value_t = 5000)]
        timeout_ms: u64,
    },
}

/// Log targets capped at `info` because their debug/trace lines carry request bodies.
const QUIET_TARGETS: &str =
    "jsonrpsee=info,jsonrpsee_core=info,jsonrpsee_server=info,jsonrpsee_types=info";

fn init_logging() {
    let level = std::env::var("OMNIROUTE_LOG")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| {
            if std::env::var("OMNIROUTE_DEBUG").is_ok_and(|v| v == "1") {
                "debug".into()
            } else {
                "warn".into()
            }
        });
    // jsonrpsee traces every raw request, API keys included: never below info, whatever the
    // user asks for.
    let filter = tracing_subscriber::EnvFilter::try_new(format!("{level},{QUIET_TARGETS}"))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("warn,{QUIET_TARGETS}")));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}

fn main() {
    let cli = Cli::parse();
    init_logging();
    // The one place the environment is read.
    let env = Env::from_process();
    let code = match cli.command.unwrap_or(Command::Serve {
        max_frame: DEFAULT_MAX_FRAME,
    }) {
        Command::Serve { max_frame } => run_serve(env, max_frame),
        Command::Call { method, params } => run_call(env, &method, params.as_deref()),
        Command::Models {
            command:
                ModelsCommand::List {
                    base_url,
                    json,
                    timeout_ms,
                },
        } => run_models_list(env, base_url, json, timeout_ms),
        Command::Usage {
            since,
            until,
            group_by,
            cache_dir,
            json,
        } => run_usage(env, since, until, group_by, cache_dir, json),
        Command::Export(args) => omniroute_rpc::export::run(args, env),
        Command::Schema { dir } => run_schema(dir.unwrap_or_else(|| PathBuf::from("schema"))),
    };
    // Exit at once: the stdin reader thread may still be blocked in read().
    std::process::exit(code);
}

fn run_serve(env: Env, max_frame: usize) -> i32 {
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("omniroute-rpc: cannot start the async runtime: {e}");
            return 70;
        }
    };
    let stdin = BufReader::with_capacity(64 * 1024, std::io::stdin());
    let code = rt.block_on(async {
        let (connection, io) = Connection::stdio(stdin, raw_stdout(), max_frame);
        let outbox = connection.outbox.clone();
        let notifier = Notifier::new(move |method, params| outbox.notify(method, params));
        let service = Arc::new(Service::new(env, notifier));
        let dispatcher = Arc::new(Api::new(service.clone()).into_dispatcher());
        let (exit_svc, end_svc) = (service.clone(), service.clone());
        let hooks = Hooks {
            exit_code: Box::new(move || i32::from(!exit_svc.is_shut_down())),
            at_end_of_input: Box::new(move || {
                Box::pin(async move { end_svc.finish_background(BACKGROUND_GRACE).await })
            }),
        };
        let code = server::run(connection, dispatcher, hooks).await;
        service.stop_background();
        (code, io)
    });
    let (code, io) = code;
    io.join();
    code
}

/// Standard output without `Stdout`'s line buffering: `LineWriter` scans every write for its
/// last newline, which for a 3 MB model list cost more than copying it. The writer thread owns
/// this handle and flushes each message itself.
fn raw_stdout() -> Box<dyn Write + Send> {
    use std::os::fd::AsFd;
    match std::io::stdout().as_fd().try_clone_to_owned() {
        Ok(fd) => Box::new(std::fs::File::from(fd)),
        Err(_) => Box::new(std::io::stdout()),
    }
}

/// Runs one request in-process; `Ok(result)` or `Err(error object)`.
fn call_once(env: Env, method: &str, params: Option<Value>) -> Result<Value, Value> {
    call_seq(env, vec![(method, params)])
        .pop()
        .unwrap_or_else(|| Err(json!({"message": "no answer"})))
}

/// Several requests in order on one service (later ones reuse what earlier ones cached).
fn call_seq(env: Env, calls: Vec<(&str, Option<Value>)>) -> Vec<Result<Value, Value>> {
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => {
            return vec![Err(
                json!({"message": format!("cannot start the async runtime: {e}")}),
            )]
        }
    };
    rt.block_on(async {
        let service = Arc::new(Service::new(env, Notifier::none()));
        let dispatcher = Api::new(service.clone()).into_dispatcher();
        let mut out = Vec::new();
        for (i, (method, params)) in calls.into_iter().enumerate() {
            let params = match params
                .map(|p| serde_json::value::to_raw_value(&p))
                .transpose()
            {
                Ok(p) => p,
                Err(e) => {
                    out.push(Err(json!({"message": format!("unreadable params: {e}")})));
                    continue;
                }
            };
            let id = (i + 1).to_string();
            let response = dispatcher
                .call(&id, method, params.as_deref())
                .await
                .into_text();
            out.push(match serde_json::from_str::<Value>(&response) {
                Err(e) => Err(json!({"message": format!("unreadable response: {e}")})),
                Ok(mut v) => match v.get_mut("error") {
                    Some(err) => Err(err.take()),
                    None => Ok(v.get_mut("result").map(Value::take).unwrap_or(Value::Null)),
                },
            });
        }
        service.stop_background();
        out
    })
}

fn run_call(env: Env, method: &str, params: Option<&str>) -> i32 {
    let params = match params.map(serde_json::from_str::<Value>) {
        None => None,
        Some(Ok(v)) => Some(v),
        Some(Err(e)) => {
            eprintln!("omniroute-rpc: the params are not valid JSON: {e}");
            return 2;
        }
    };
    match call_once(env, method, params) {
        Ok(result) => {
            let text = serde_json::to_string_pretty(&result).unwrap_or_default();
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{text}");
            0
        }
        Err(error) => {
            let message = error
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("error");
            let kind = error
                .get("data")
                .and_then(|d| d.get("kind"))
                .and_then(Value::as_str)
                .map(|k| format!(" [{k}]"))
                .unwrap_or_default();
            eprintln!("omniroute-rpc: {}{kind}", escape_controls(message));
            1
        }
    }
}

fn run_models_list(env: Env, base_url: Option<String>, as_json: bool, timeout_ms: u64) -> i32 {
    let mut options =
        json!({ "requestTimeoutMs": timeout_ms, "modelsDev": { "timeoutMs": timeout_ms } });
    if let Some(url) = base_url {
        options["baseURL"] = json!(url);
    }
    let mut answers = call_seq(
        env,
        vec![
            ("models.list", Some(json!({ "options": options }))),
            ("models.health", Some(json!({ "options": options }))),
        ],
    )
    .into_iter();
    let listed = answers
        .next()
        .unwrap_or_else(|| Err(json!({"message": "no answer"})));
    // Health is best effort: a gateway without a monitoring endpoint shows `?`.
    let health = answers
        .next()
        .and_then(Result::ok)
        .and_then(|mut h| h.get_mut("models").map(Value::take))
        .unwrap_or(Value::Null);
    let result = match listed {
        Ok(r) => r,
        Err(e) => {
            eprintln!(
                "omniroute-rpc: {}",
                escape_controls(e.get("message").and_then(Value::as_str).unwrap_or("error"))
            );
            return 1;
        }
    };
    if as_json {
        println!(
            "{}",
            serde_json::to_string_pretty(&result).unwrap_or_default()
        );
        return 0;
    }
    let source = result.get("source").and_then(Value::as_str).unwrap_or("?");
    let base = escape_controls(result.get("baseURL").and_then(Value::as_str).unwrap_or("?"));
    let models = result
        .get("models")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let rows: Vec<[String; 7]> = models
        .iter()
        .map(|m| {
            // Gateway strings never reach the terminal as control characters.
            let s = |k: &str| {
                escape_controls(m.get(k).and_then(Value::as_str).unwrap_or("")).into_owned()
            };
            let n = |k: &str| {
                m.get(k)
                    .and_then(Value::as_u64)
                    .map_or("?".into(), |v| v.to_string())
            };
            let b = |k: &str| match m.get(k).and_then(Value::as_bool) {
                Some(true) => "yes".to_string(),
                Some(false) => "no".to_string(),
                None => "?".to_string(),
            };
            let state = health
                .get(m.get("id").and_then(Value::as_str).unwrap_or(""))
                .and_then(|h| h.get("state"))
                .and_then(Value::as_str)
                .unwrap_or("?");
            [
                s("id"),
                s("name"),
                n("contextWindow"),
                n("maxTokens"),
                b("supportsVision"),
                b("supportsTools"),
                escape_controls(state).into_owned(),
            ]
        })
        .collect();
    let header = [
        "ID", "NAME", "CONTEXT", "OUTPUT", "VISION", "TOOLS", "HEALTH",
    ];
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r.iter()) {
            *w = (*w).max(c.chars().count()).min(60);
        }
    }
    let mut out = std::io::stdout().lock();
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .zip(widths.iter())
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let _ = writeln!(out, "{}", line(header.to_vec()));
    for r in &rows {
        let _ = writeln!(out, "{}", line(r.iter().map(String::as_str).collect()));
    }
    let _ = writeln!(
        out,
        "\n{} models from {base} (source: {source})",
        rows.len()
    );
    for w in result
        .get("warnings")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(w) = w.as_str() {
            let _ = writeln!(out, "note: {}", escape_controls(w));
        }
    }
    if source == "fallback" {
        let _ = writeln!(
            out,
            "note: no OmniRoute gateway answered at {base}; start one (npx omniroute) or pass --base-url URL"
        );
    }
    0
}

fn run_usage(
    env: Env,
    since: Option<String>,
    until: Option<String>,
    group_by: Option<String>,
    cache_dir: Option<String>,
    as_json: bool,
) -> i32 {
    let mut params = json!({});
    for (k, v) in [("since", since), ("until", until), ("groupBy", group_by)] {
        if let Some(v) = v {
            params[k] = json!(v);
        }
    }
    if let Some(dir) = cache_dir {
        params["options"] = json!({ "cacheDir": dir });
    }
    match call_once(env, "usage.summary", Some(params)) {
        Ok(result) if as_json => {
            println!(
                "{}",
                serde_json::to_string_pretty(&result).unwrap_or_default()
            );
            0
        }
        Ok(result) => {
            print!("{}", omniroute_rpc::usage::table::render(&result));
            0
        }
        Err(e) => {
            eprintln!(
                "omniroute-rpc: {}",
                e.get("message").and_then(Value::as_str).unwrap_or("error")
            );
            1
        }
    }
}

fn run_schema(dir: PathBuf) -> i32 {
    let api = Api::new(Arc::new(Service::new(Env::default(), Notifier::none())));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("omniroute-rpc: cannot create {}: {e}", dir.display());
        return 1;
    }
    for (name, schema) in discover::schema_files(&api) {
        let path = dir.join(&name);
        let text = serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n";
        if let Err(e) = std::fs::write(&path, text) {
            eprintln!("omniroute-rpc: cannot write {}: {e}", path.display());
            return 1;
        }
    }
    eprintln!("wrote the schemas to {}", dir.display());
    0
}
