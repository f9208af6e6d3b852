#!/usr/bin/env bash
# Tests of the Pi extension (clients/pi), runnable from a clean clone:
#   1. checks the omniroute-rpc binary (OMNIROUTE_RPC_BIN, default target/debug/omniroute-rpc) — builds nothing
#   2. installs the pinned Pi (@mariozechner/pi-coding-agent, test/helpers/pi.js) from npm into
#      ~/.cache/omniroute-rpc-pi (or OMNIROUTE_PI_CACHE), once
#   3. node --test: unit tests (real binary + loopback mock gateway) and the real Pi headless
# Env: OMNIROUTE_SKIP_PI=1 skips the real-Pi tests (says so loudly).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PKG="$(cd "$HERE/.." && pwd)"
ROOT="$(cd "$PKG/../.." && pwd)"
say() { printf '[pi-client] %s\n' "$*"; }
die() { printf '[pi-client] ERROR: %s\n' "$*" >&2; exit 1; }

command -v node >/dev/null || die "node (>= 20) is required"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' || die "node >= 20 is required (found $(node --version))"
BIN="${OMNIROUTE_RPC_BIN:-target/debug/omniroute-rpc}"
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
[ -x "$BIN" ] || die "omniroute-rpc missing or not executable at $BIN — build it (cargo build) or set OMNIROUTE_RPC_BIN"
"$BIN" call rpc.discover 2>/dev/null | grep -q '"openrpc"' || die "$BIN does not answer 'call rpc.discover'"
export OMNIROUTE_RPC_BIN="$BIN"

T0=$SECONDS
if [ "${OMNIROUTE_SKIP_PI:-}" = 1 ]; then
  echo "!!! OMNIROUTE_SKIP_PI=1: the real-Pi tests are SKIPPED !!!"
else
  command -v npm >/dev/null || die "npm is required to install Pi"
  CLI=$(node --input-type=module -e "import('$HERE/helpers/pi.js').then((m) => { const t = Date.now(); const c = m.ensurePi(); console.error('[pi-client] Pi ' + m.PI_VERSION + ' ready in ' + (Date.now() - t) + ' ms (' + m.PI_CACHE + ')'); console.log(c); })" | tail -n 1) ||
    die "installing Pi failed (see above)"
  [ -f "$CLI" ] || die "no Pi cli.js after the install ($CLI)"
fi

cd "$PKG"
say "node --test (binary $BIN)"
node --test --test-concurrency=1 test/*.test.js
say "done in $((SECONDS - T0)) s"
