#!/usr/bin/env bash
# The end-to-end suite against a REAL OmniRoute 3.7.9 and REAL OpenCode 1.18.33 (issue #7).
#
#   bash tests/e2e/run.sh             (tests/run-all.sh calls it; it builds the binary first)
#
# 1. checks the omniroute-rpc binary (OMNIROUTE_RPC_BIN, default target/debug/omniroute-rpc) — builds nothing
# 2. installs what is needed, cached: OmniRoute (omniroute-install.sh, $HOME/.cache/omniroute-rpc-e2e or
#    OMNIROUTE_E2E_CACHE) and opencode-ai@1.18.33 (the clients/opencode test helper,
#    ~/.cache/omniroute-rpc-opencode or OMNIROUTE_OPENCODE_CACHE), and @mariozechner/pi-coding-agent (the clients/pi
#    test helper, ~/.cache/omniroute-rpc-pi or OMNIROUTE_PI_CACHE)
# 3. runs tests/e2e/e2e.test.mjs, then tests/e2e/pi.test.mjs (node --test, one file at a time): their before/after hooks start the mock upstream and
#    OmniRoute on 127.0.0.1 (free port, temp data dir, fixed test key), seed it, and stop both by PID.
#    This script's EXIT trap stops them too (by the PIDs the test wrote), whatever happens.
# 4. prints the timings (and the last cold-cache and cached runs recorded on this machine); exits non-zero on failure.
#
# Env: OMNIROUTE_SKIP_E2E=1 skips everything (loudly); OMNIROUTE_SKIP_OPENCODE=1 skips the OpenCode part (loudly);
#      OMNIROUTE_SKIP_PI=1 skips the real-Pi part (tests/e2e/pi.test.mjs, loudly);
#      OMNIROUTE_E2E_CACHE, OMNIROUTE_OPENCODE_CACHE, OMNIROUTE_TEST_KEY, OMNIROUTE_E2E_KEEP=1 (keep the gateway's run dir/log).
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$ROOT"
say() { printf '[e2e] %s\n' "$*"; }
die() { printf '[e2e] ERROR: %s\n' "$*" >&2; exit 1; }

if [ "${OMNIROUTE_SKIP_E2E:-}" = 1 ]; then
  echo
  echo "!!! SKIPPED: the real-OmniRoute e2e suite (OMNIROUTE_SKIP_E2E=1) !!!"
  echo
  exit 0
fi
if [ "${OMNIROUTE_SKIP_OPENCODE:-}" = 1 ]; then
  echo "!!! OMNIROUTE_SKIP_OPENCODE=1: the real-OpenCode e2e tests are SKIPPED !!!"
fi

# ---------------------------------------------------------------- the binary (never built here)
BIN="${OMNIROUTE_RPC_BIN:-target/debug/omniroute-rpc}"
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
[ -f "$BIN" ] || die "omniroute-rpc binary missing at $BIN — build it first (cargo build, or bash tests/run-all.sh), or set OMNIROUTE_RPC_BIN"
[ -x "$BIN" ] || die "$BIN is not executable"
"$BIN" call rpc.discover 2>/dev/null | grep -q '"openrpc"' || die "$BIN does not answer 'call rpc.discover' (a broken build?)"
for tool in node npm curl tar; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' is required"
done

E2E_CACHE="${OMNIROUTE_E2E_CACHE:-${HOME:?HOME is not set}/.cache/omniroute-rpc-e2e}"
export OMNIROUTE_E2E_CACHE="$E2E_CACHE"
OC_HELPER="$ROOT/clients/opencode/test/helpers/opencode.js"
OC_CACHE=$(node --input-type=module -e "import('$OC_HELPER').then((m) => console.log(m.OPENCODE_CACHE))") ||
  die "cannot load $OC_HELPER"

# ---------------------------------------------------------------- cleanup: always stop what the tests started
STATE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/omniroute-e2e-run.XXXXXX")
cleanup() {
  local rc=$?
  if [ -f "$STATE_DIR/omniroute.state" ]; then
    say "stopping the OmniRoute the tests left running"
    bash "$HERE/omniroute-stop.sh" "$STATE_DIR/omniroute.state" || true
  fi
  if [ -f "$STATE_DIR/mock.pid" ]; then
    local mp
    mp=$(cat "$STATE_DIR/mock.pid")
    if [[ "$mp" =~ ^[0-9]+$ ]] && kill -0 "$mp" 2>/dev/null && tr '\0' ' ' <"/proc/$mp/cmdline" 2>/dev/null | grep -q 'mock-upstream.mjs'; then
      say "stopping the mock upstream (pid $mp)"
      kill "$mp" 2>/dev/null || true
    fi
  fi
  rm -rf "$STATE_DIR"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

T0=$(now)
# ---------------------------------------------------------------- installs (cached)
OMNI_STATE=cached
ls "$E2E_CACHE"/omniroute-3.7.9/.e2e-install-ok >/dev/null 2>&1 || OMNI_STATE=cold
say "installing OmniRoute 3.7.9 ($OMNI_STATE; cache $E2E_CACHE)"
t=$(now)
INSTALL_DIR=$(bash "$HERE/omniroute-install.sh" | tail -n 1) || die "omniroute-install.sh failed (see above)"
[ -f "$INSTALL_DIR/app/server.js" ] || die "omniroute-install.sh gave '$INSTALL_DIR' without app/server.js"
T_OMNI=$(secs "$t" "$(now)")

OC_STATE=skipped T_OC=0
if [ "${OMNIROUTE_SKIP_OPENCODE:-}" != 1 ]; then
  OC_STATE=cached
  [ -f "$OC_CACHE/node_modules/opencode-ai/package.json" ] || OC_STATE=cold
  say "installing opencode-ai ($OC_STATE; cache $OC_CACHE)"
  t=$(now)
  OC_BIN=$(node --input-type=module -e "import('$OC_HELPER').then((m) => console.log(m.ensureOpenCode()))" | tail -n 1) ||
    die "installing opencode-ai failed (see above)"
  [ -x "$OC_BIN" ] || die "no opencode executable after the install ($OC_BIN)"
  T_OC=$(secs "$t" "$(now)")
fi
# the real Pi for tests/e2e/pi.test.mjs (clients/pi/test/helpers/pi.js, ~/.cache/omniroute-rpc-pi or OMNIROUTE_PI_CACHE)
PI_HELPER="$ROOT/clients/pi/test/helpers/pi.js"
PI_STATE=skipped T_PI=0
if [ "${OMNIROUTE_SKIP_PI:-}" != 1 ]; then
  PI_STATE=cached
  node --input-type=module -e "import('$PI_HELPER').then((m) => process.exit(m.installedPi() ? 0 : 1))" || PI_STATE=cold
  say "installing Pi ($PI_STATE)"
  t=$(now)
  node --input-type=module -e "import('$PI_HELPER').then((m) => console.log(m.ensurePi()))" >/dev/null || die "installing Pi failed (see above)"
  T_PI=$(secs "$t" "$(now)")
fi
KIND=cached
{ [ "$OMNI_STATE" = cold ] || [ "$OC_STATE" = cold ] || [ "$PI_STATE" = cold ]; } && KIND=cold

# ---------------------------------------------------------------- the tests
say "running tests/e2e/e2e.test.mjs, pi.test.mjs, usage.test.mjs and health.test.mjs (binary $BIN)"
t=$(now)
OMNIROUTE_RPC_BIN="$BIN" OMNIROUTE_E2E_STATE_DIR="$STATE_DIR" OMNIROUTE_E2E_INSTALL_DIR="$INSTALL_DIR" \
  node --test --test-concurrency=1 --test-reporter=spec "$HERE/e2e.test.mjs" "$HERE/pi.test.mjs" "$HERE/usage.test.mjs" "$HERE/health.test.mjs"
RC=$?
T_TESTS=$(secs "$t" "$(now)")
T_TOTAL=$(secs "$T0" "$(now)")

# ---------------------------------------------------------------- timings
RESULT=passed
[ "$RC" = 0 ] || RESULT=FAILED
LINE="$(date -u +%Y-%m-%dT%H:%M:%SZ) $KIND total=${T_TOTAL}s omniroute-install=${T_OMNI}s($OMNI_STATE) opencode-install=${T_OC}s($OC_STATE) pi-install=${T_PI}s($PI_STATE) tests=${T_TESTS}s $RESULT"
mkdir -p "$E2E_CACHE" && echo "$LINE" >>"$E2E_CACHE/e2e-timings.log"
echo
say "TIMING this run ($KIND): total ${T_TOTAL} s = OmniRoute install ${T_OMNI} s ($OMNI_STATE) + OpenCode install ${T_OC} s ($OC_STATE) + Pi install ${T_PI} s ($PI_STATE) + tests ${T_TESTS} s"
last_cold=$(grep ' cold ' "$E2E_CACHE/e2e-timings.log" | tail -n 1)
last_cached=$(grep ' cached ' "$E2E_CACHE/e2e-timings.log" | tail -n 1)
say "TIMING last first (uncached) run here: ${last_cold:-none recorded in this cache}"
say "TIMING last cached run here:           ${last_cached:-none recorded in this cache}"
if [ "$RC" = 0 ]; then say "e2e suite passed"; else say "e2e suite FAILED (exit $RC)"; fi
exit "$RC"
