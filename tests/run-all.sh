#!/usr/bin/env bash
# The full test suite, runnable on a fresh machine: installs what the suites need (npm
# packages, Neovims, the real OmniRoute and OpenCode — cached under $HOME/.cache), builds the
# binary, then runs every suite and ends with one "N passed, N failed" line (suites).
#
#   bash tests/run-all.sh            everything
#   OMNIROUTE_SKIP_E2E=1             skip the real-OmniRoute suite (says so loudly)
#   OMNIROUTE_SKIP_OPENCODE=1        skip the real-OpenCode tests (says so loudly)
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export CARGO_TERM_COLOR=never
passed=0
failed=0
failures=""
suite() {
  local name=$1; shift
  echo
  echo "=== $name: $*"
  local start=$SECONDS
  if "$@"; then
    passed=$((passed + 1)); echo "=== $name: ok ($((SECONDS - start)) s)"
  else
    failed=$((failed + 1)); failures="$failures $name"; echo "=== $name: FAILED ($((SECONDS - start)) s)"
  fi
}

# --- what the suites need --------------------------------------------------------------
need_apt=""
command -v jq >/dev/null || need_apt="$need_apt jq"
/usr/bin/nvim --version 2>/dev/null | head -n1 | grep -q '^NVIM v0\.7\.' || need_apt="$need_apt neovim"
if [ -n "$need_apt" ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need_apt >/dev/null
  else
    echo "missing system packages:$need_apt (sudo apt-get install$need_apt)" >&2
  fi
fi
npm ci --prefix tests/js --no-audit --no-fund --loglevel=error >/dev/null
bash clients/nvim/test/install-nvims.sh >/dev/null || echo "warning: could not install a current Neovim" >&2
cargo build --all-targets --locked --quiet
export OMNIROUTE_RPC_BIN="$ROOT/target/debug/omniroute-rpc"

# --- the suites ------------------------------------------------------------------------
suite rust cargo test --locked --quiet
suite opencode-client bash -c 'cd clients/opencode && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1 || npm install --no-audit --no-fund --loglevel=error >/dev/null; node --test'
suite nvim-client bash clients/nvim/test/run.sh
suite pi-client bash clients/pi/test/run.sh
suite client-examples bash clients/examples/test.sh
suite export-real-tools bash tests/export-real.sh
suite vscode-client sh clients/vscode/test/run.sh
if [ -f tests/e2e/run.sh ]; then
  if [ "${OMNIROUTE_SKIP_E2E:-}" = 1 ]; then
    echo; echo "!!! SKIPPED: the real-OmniRoute e2e suite (OMNIROUTE_SKIP_E2E=1) !!!"
  else
    suite e2e-omniroute bash tests/e2e/run.sh
  fi
fi

echo
[ -z "$failures" ] || echo "failed suites:$failures"
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
