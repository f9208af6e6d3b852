#!/usr/bin/env bash
# Benchmark (not a test): OpenCode start-up with our plugin against the same OpenCode with a
# do-nothing plugin that publishes a static provider, `opencode models omniroute`, alternating
# pairs, median of the per-pair differences. Cases: a fast gateway, and a hanging gateway with a
# warm snapshot. Everything on loopback (mock gateway), OpenCode 1.18.33 from npm (cached).
#
#   bench/opencode-startup.sh [N]          N pairs per case (default 5)
#   OMNIROUTE_RPC_BIN=...                  the binary (default target/debug/omniroute-rpc)
#   CASES=fast|hanging|fast,hanging        which cases (default both)
#
# Prints one line per pair and a "RESULT <case>: ..." line per case.
set -eu
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
: "${OMNIROUTE_RPC_BIN:=$REPO/target/debug/omniroute-rpc}"
OMNIROUTE_RPC_BIN=$(cd "$(dirname "$OMNIROUTE_RPC_BIN")" && pwd)/$(basename "$OMNIROUTE_RPC_BIN")
if [ ! -x "$OMNIROUTE_RPC_BIN" ]; then
  echo "omniroute-rpc not found at $OMNIROUTE_RPC_BIN (cargo build, or set OMNIROUTE_RPC_BIN)" >&2
  exit 1
fi
export OMNIROUTE_RPC_BIN
exec node "$HERE/opencode-startup.mjs" "${1:-${N:-5}}"
