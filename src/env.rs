//! The process environment, read once at start (`main`) and handed to the service. Nothing
//! deeper reads `std::env`: that keeps every call a function of its inputs, so concurrent
//! behaviour can be tested in-process with environments of the test's making.

use std::path::PathBuf;

/// Everything the service takes from the environment.
#[derive(Clone, Default)]
pub struct Env {
    /// `OMNIROUTE_BASE_URL`: the gateway used when no `baseURL` option is given.
    pub base_url: Option<String>,
    /// `OMNIROUTE_API_KEY`: the key of last resort (after param, session and credentials file).
    pub api_key: Option<String>,
    /// Default cache directory: `$XDG_CACHE_HOME/omniroute-rpc`, else `$HOME/.cache/omniroute-rpc`.
    pub cache_dir: PathBuf,
    /// OpenCode's credentials file: `$XDG_DATA_HOME/opencode/auth.json`, else under `$HOME/.local/share`.
    pub auth_file: PathBuf,
    /// `OPENCODE_AUTH_CONTENT`: when set, replaces the credentials file for reads (OpenCode's rule).
    pub auth_content: Option<String>,
    /// `OMNIROUTE_USAGE_MAX_BYTES`: the usage ledger's size cap per file (tests, small disks).
    pub usage_max_bytes: Option<u64>,
    /// `OMNIROUTE_MANAGEMENT_API_KEY`: the management token of last resort (`/api/*` only).
    pub management_token: Option<String>,
    /// `OMNIROUTE_OPTIONS`: options as a JSON object for the CLI commands (`export`).
    pub options_json: Option<String>,
    /// Other tools' config locations, for `export --write` without a path: `HOME` (or
    /// `USERPROFILE`), `XDG_CONFIG_HOME`, `APPDATA`, `CONTINUE_GLOBAL_DIR`, `CRUSH_GLOBAL_CONFIG`.
    pub dirs: ToolDirs,
    /// This binary: version, size and modification time of the executable. Persisted views
    /// carry it, so a rebuilt or upgraded binary never serves what an older one built.
    pub binary: String,
}

/// See [`Env::binary`].
fn binary_stamp() -> String {
    let meta = std::env::current_exe().and_then(std::fs::metadata);
    let (size, mtime) = match meta {
        Ok(m) => (
            m.len(),
            m.modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos()),
        ),
        Err(_) => (0, 0),
    };
    format!("{}+{size}+{mtime}", env!("CARGO_PKG_VERSION"))
}

/// Where other tools keep their config files (see [`Env::dirs`]).
#[derive(Clone, Debug, Default)]
pub struct ToolDirs {
    /// The home directory.
    pub home: Option<PathBuf>,
    /// `XDG_CONFIG_HOME`.
    pub config_home: Option<PathBuf>,
    /// `APPDATA` (Windows).
    pub appdata: Option<PathBuf>,
    /// `CONTINUE_GLOBAL_DIR`.
    pub continue_dir: Option<PathBuf>,
    /// `CRUSH_GLOBAL_CONFIG`.
    pub crush_dir: Option<PathBuf>,
}

impl std::fmt::Debug for Env {
    /// Never prints the key or the credentials content.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env")
            .field(
                "base_url",
                &self.base_url.as_deref().map(crate::display::redact_url),
            )
            .field("api_key", &self.api_key.as_ref().map(|_| "<set>"))
            .field("cache_dir", &self.cache_dir)
            .field("auth_file", &self.auth_file)
            .field("auth_content", &self.auth_content.as_ref().map(|_| "<set>"))
            .field(
                "management_token",
                &self.management_token.as_ref().map(|_| "<set>"),
            )
            .finish()
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn dir_var(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

impl Env {
    /// Reads the process environment (call once, at start).
    pub fn from_process() -> Env {
        let home = dir_var("HOME");
        let cache_base = dir_var("XDG_CACHE_HOME")
            .or_else(|| home.as_ref().map(|h| h.join(".cache")))
            .unwrap_or_else(std::env::temp_dir);
        let data_base = dir_var("XDG_DATA_HOME")
            .or_else(|| home.as_ref().map(|h| h.join(".local/share")))
            .unwrap_or_else(|| PathBuf::from(".local/share"));
        Env {
            base_url: var("OMNIROUTE_BASE_URL"),
            api_key: var("OMNIROUTE_API_KEY"),
            cache_dir: cache_base.join("omniroute-rpc"),
            auth_file: data_base.join("opencode").join("auth.json"),
            auth_content: std::env::var("OPENCODE_AUTH_CONTENT")
                .ok()
                .filter(|c| !c.trim().is_empty()),
            usage_max_bytes: var("OMNIROUTE_USAGE_MAX_BYTES").and_then(|v| v.parse().ok()),
            options_json: var("OMNIROUTE_OPTIONS"),
            dirs: ToolDirs {
                home: home.clone().or_else(|| dir_var("USERPROFILE")),
                config_home: dir_var("XDG_CONFIG_HOME"),
                appdata: dir_var("APPDATA"),
                continue_dir: dir_var("CONTINUE_GLOBAL_DIR"),
                crush_dir: dir_var("CRUSH_GLOBAL_CONFIG"),
            },
            management_token: var("OMNIROUTE_MANAGEMENT_API_KEY"),
            binary: binary_stamp(),
        }
    }

    /// An environment rooted in `dir` with no variables set: for tests and tools that must not
    /// see the user's own gateway, key or files.
    pub fn isolated(dir: &std::path::Path) -> Env {
        Env {
            base_url: None,
            api_key: None,
            cache_dir: dir.join("cache"),
            auth_file: dir.join("data").join("opencode").join("auth.json"),
            auth_content: None,
            usage_max_bytes: None,
            options_json: None,
            dirs: ToolDirs::default(),
            management_token: None,
            binary: binary_stamp(),
        }
    }
}
