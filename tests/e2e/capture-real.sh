#!/usr/bin/env bash
# Install + start a real OmniRoute and the mock upstream, seed, and record what the gateway returns.
#
#   tests/e2e/capture-real.sh [OUTDIR]      # default OUTDIR: tests/e2e/captured (next to this script)
#
# Phases (each a separate file set in OUTDIR, see omniroute-capture.mjs):
#   open         seeded instance, /api/* open (fresh install over loopback)
#   require-key  a second instance started with REQUIRE_API_KEY=true
#   locked       the first instance after a dashboard password is set (run last: it locks the instance)
# Writes OUTDIR/meta.json (versions, runtime route, timings). Everything it starts is stopped on exit.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:-$HERE/captured}"
log() { printf '[capture-real] %s\n' "$*" >&2; }
die() { printf '[capture-real] ERROR: %s\n' "$*" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/omniroute-capture.XXXXXX")
MOCK_PID=""
cleanup() {
  local rc=$?
  for s in "$WORK/state-require-key" "$WORK/state-main"; do
    [ -f "$s" ] && "$HERE/omniroute-stop.sh" "$s" || true
  done
  if [ -n "$MOCK_PID" ] && kill -0 "$MOCK_PID" 2>/dev/null; then kill "$MOCK_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { date +%s%3N; }

t0=$(now_ms)
INSTALL=$("$HERE/omniroute-install.sh" | tail -n 1)
t_install=$(($(now_ms) - t0))
export OMNIROUTE_E2E_INSTALL_DIR="$INSTALL"
# shellcheck disable=SC1091
. "$INSTALL/e2e-runtime.env"

# mock upstream
node "$HERE/mock-upstream.mjs" >"$WORK/mock.out" 2>"$WORK/mock.log" </dev/null &
MOCK_PID=$!
for _ in $(seq 1 50); do [ -s "$WORK/mock.out" ] && break; sleep 0.1; done
MOCK_PORT=$(node -e 'process.stdout.write(String(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).port))' "$WORK/mock.out") ||
  die "mock upstream did not print its port (log: $(cat "$WORK/mock.log" 2>/dev/null))"
UPSTREAM="http://127.0.0.1:$MOCK_PORT"
export MOCK_QUIET=1

t0=$(now_ms)
"$HERE/omniroute-start.sh" "$WORK/state-main" >/dev/null
t_start=$(($(now_ms) - t0))
BASE=$(sed -n 's/^BASE_URL=//p' "$WORK/state-main")

t0=$(now_ms)
node "$HERE/omniroute-seed.mjs" "$BASE" "$UPSTREAM" >"$WORK/seed.json"
t_seed=$(($(now_ms) - t0))

rm -rf "$OUT.tmp"
mkdir -p "$OUT.tmp"
node "$HERE/omniroute-capture.mjs" open "$BASE" "$UPSTREAM" "$OUT.tmp" "$WORK/seed.json"

OMNIROUTE_E2E_EXTRA_ENV="REQUIRE_API_KEY=true" "$HERE/omniroute-start.sh" "$WORK/state-require-key" >/dev/null
node "$HERE/omniroute-capture.mjs" require-key "$(sed -n 's/^BASE_URL=//p' "$WORK/state-require-key")" "$UPSTREAM" "$OUT.tmp"
"$HERE/omniroute-stop.sh" "$WORK/state-require-key"
rm -f "$WORK/state-require-key"

node "$HERE/omniroute-capture.mjs" locked "$BASE" "$UPSTREAM" "$OUT.tmp" "e2e-dashboard-password"

t0=$(now_ms)
"$HERE/omniroute-stop.sh" "$WORK/state-main"
t_stop=$(($(now_ms) - t0))
rm -f "$WORK/state-main"

node -e '
const [out, version, nodeVer, route, tInstall, tStart, tSeed, tStop] = process.argv.slice(1);
const meta = {
  omniroute: version, node: nodeVer, runtimeRoute: route,
  capturedAt: new Date().toISOString(),
  timingsMs: { install: +tInstall, startUntilReady: +tStart, seed: +tSeed, stop: +tStop },
  note: "Files are raw captures from a real OmniRoute; ids, ports and keys are replaced by <placeholders>; created/latency/session values vary per run.",
};
require("fs").writeFileSync(out + "/meta.json", JSON.stringify(meta, null, 2) + "\n");
' "$OUT.tmp" "${OMNIROUTE_E2E_VERSION:-?}" "${OMNIROUTE_E2E_NODE_VERSION:-?}" "${OMNIROUTE_E2E_RUNTIME_ROUTE:-?}" "$t_install" "$t_start" "$t_seed" "$t_stop"

rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"
log "captures written to $OUT ($(find "$OUT" -name '*.json' | wc -l) files)"
