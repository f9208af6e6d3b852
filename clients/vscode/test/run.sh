#!/bin/sh
# CI entry point for the VS Code extension: install, type-check, test, build the .vsix.
#
#   OMNIROUTE_RPC_BIN=/path/to/omniroute-rpc sh clients/vscode/test/run.sh
#
# Without OMNIROUTE_RPC_BIN, the debug binary of this repository is used (built with cargo if it
# is missing). The .vsix lands in clients/vscode/dist/ and its path is printed last.
# OMNIROUTE_SKIP_VSCODE_E2E=1 skips the code-server test (test/code-server/e2e.test.js).
set -eu
PKG_DIR=$(cd "$(dirname "$0")/.." && pwd)
REPO_ROOT=$(cd "$PKG_DIR/../.." && pwd)
cd "$PKG_DIR"

if [ -z "${OMNIROUTE_RPC_BIN:-}" ]; then
  OMNIROUTE_RPC_BIN="${CARGO_TARGET_DIR:-$REPO_ROOT/target}/debug/omniroute-rpc"
  if [ ! -x "$OMNIROUTE_RPC_BIN" ]; then
    echo "run.sh: building $OMNIROUTE_RPC_BIN" >&2
    (cd "$REPO_ROOT" && cargo build --bin omniroute-rpc)
  fi
fi
OMNIROUTE_RPC_BIN=$(cd "$(dirname "$OMNIROUTE_RPC_BIN")" && pwd)/$(basename "$OMNIROUTE_RPC_BIN")
export OMNIROUTE_RPC_BIN
if ! "$OMNIROUTE_RPC_BIN" call rpc.discover >/dev/null 2>&1; then
  echo "run.sh: $OMNIROUTE_RPC_BIN does not answer 'call rpc.discover'" >&2
  exit 1
fi
if ! command -v unzip >/dev/null 2>&1; then # test/vsix.test.js unpacks the .vsix
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq unzip >&2
  else
    echo "run.sh: unzip is needed (sudo apt-get install -y unzip)" >&2
    exit 1
  fi
fi

npm ci --no-audit --no-fund >&2

# The real-host test (code-server + headless Chromium) runs by default on linux-x64; its first
# run installs code-server, Node 22 and Chromium into ~/.cache/omniroute-vscode-e2e (minutes).
if [ "${OMNIROUTE_SKIP_VSCODE_E2E:-}" = 1 ]; then
  echo "!!! SKIPPED: the code-server (real VS Code host) test (OMNIROUTE_SKIP_VSCODE_E2E=1) !!!" >&2
elif [ "$(uname -s)-$(uname -m)" = Linux-x86_64 ]; then
  export OMNIROUTE_VSCODE_E2E=1
fi
node --test --test-concurrency=1 test/*.test.js test/code-server/*.test.js
sh scripts/pack.sh --binary "$OMNIROUTE_RPC_BIN" --out "$PKG_DIR/dist"
