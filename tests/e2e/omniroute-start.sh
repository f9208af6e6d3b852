#!/usr/bin/env bash
# Start a real OmniRoute on 127.0.0.1 for end-to-end tests and wait until it answers.
#
#   tests/e2e/omniroute-start.sh STATEFILE
#
# Prints KEY=VALUE lines on stdout (and writes the same lines to STATEFILE):
#   PORT, PID (node; also its process-group id), BASE_URL (http://127.0.0.1:PORT/v1), ORIGIN,
#   API_KEY, RUN_DIR, DATA_DIR, LOG, OWN_RUN_DIR
# Stop it with: tests/e2e/omniroute-stop.sh STATEFILE
#
# Runs `node app/server.js` (never the `omniroute` bin, which binds 0.0.0.0) with a clean environment:
#   HOSTNAME=127.0.0.1 PORT=<free port> DATA_DIR=<temp> JWT_SECRET/API_KEY_SECRET=<random>
#   OMNIROUTE_API_KEY=$OMNIROUTE_TEST_KEY APP_LOG_TO_FILE=false OMNIROUTE_DISABLE_BACKGROUND_SERVICES=true
#   OMNIROUTE_ALLOW_PRIVATE_PROVIDER_URLS=true, and no INITIAL_PASSWORD (so /api/* is open from loopback).
#
# Env:
#   OMNIROUTE_TEST_KEY          fixed API key the server accepts (default sk-e2etest0123456789-abcdef-12345678)
#   OMNIROUTE_E2E_INSTALL_DIR   install dir from omniroute-install.sh (default: run the installer, cached = fast)
#   OMNIROUTE_E2E_PORT          port to use (default: a free one)
#   OMNIROUTE_E2E_RUN_DIR       dir for data/ and omniroute.log (default: a new mktemp dir, removed by stop)
#   OMNIROUTE_E2E_START_TIMEOUT seconds to wait for readiness (default 90)
#   OMNIROUTE_E2E_EXTRA_ENV     extra server env, whitespace-separated KEY=VALUE words (e.g. "REQUIRE_API_KEY=true")
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf '[omniroute-start] %s\n' "$*" >&2; }
RUN_DIR="" OWN=0
die() {
  printf '[omniroute-start] ERROR: %s\n' "$*" >&2
  if [ "$OWN" = 1 ] && [ -n "$RUN_DIR" ] && [ "${OMNIROUTE_E2E_KEEP:-0}" != 1 ]; then rm -rf "$RUN_DIR"; fi
  exit 1
}

[ $# -ge 1 ] && [ -n "$1" ] || die "usage: $0 STATEFILE"
STATE="$1"
KEY="${OMNIROUTE_TEST_KEY:-sk-e2etest0123456789-abcdef-12345678}"
TIMEOUT="${OMNIROUTE_E2E_START_TIMEOUT:-90}"
command -v curl >/dev/null 2>&1 || die "'curl' is required"

if [ -n "${OMNIROUTE_E2E_INSTALL_DIR:-}" ]; then
  INSTALL="$OMNIROUTE_E2E_INSTALL_DIR"
else
  INSTALL=$("$HERE/omniroute-install.sh" | tail -n 1) || die "omniroute-install.sh failed"
fi
[ -f "$INSTALL/app/server.js" ] || die "no app/server.js under '$INSTALL' (run tests/e2e/omniroute-install.sh)"
[ -f "$INSTALL/e2e-runtime.env" ] || die "no e2e-runtime.env under '$INSTALL' (re-run tests/e2e/omniroute-install.sh)"
# shellcheck disable=SC1091
. "$INSTALL/e2e-runtime.env"
NODE_BIN="${OMNIROUTE_E2E_NODE:?e2e-runtime.env names no node}"
[ -x "$NODE_BIN" ] || die "runtime node '$NODE_BIN' is missing (re-run tests/e2e/omniroute-install.sh)"
NODE_ARGS=()
[ "${OMNIROUTE_E2E_USE_PRELOAD:-0}" = 1 ] && NODE_ARGS=(--require "$INSTALL/e2e-preload.cjs")

if [ -n "${OMNIROUTE_E2E_RUN_DIR:-}" ]; then
  RUN_DIR="$OMNIROUTE_E2E_RUN_DIR" OWN=0
  mkdir -p "$RUN_DIR"
else
  RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/omniroute-e2e.XXXXXX") OWN=1
fi
RUN_DIR=$(cd "$RUN_DIR" && pwd)
DATA_DIR="$RUN_DIR/data"
LOG="$RUN_DIR/omniroute.log"
mkdir -p "$DATA_DIR" "$RUN_DIR/home"

free_port() {
  "$NODE_BIN" -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{process.stdout.write(String(s.address().port));s.close()})'
}
rand_hex() { "$NODE_BIN" -e "process.stdout.write(require('crypto').randomBytes($1).toString('hex'))"; }

EXTRA=()
if [ -n "${OMNIROUTE_E2E_EXTRA_ENV:-}" ]; then
  read -r -a EXTRA <<<"$OMNIROUTE_E2E_EXTRA_ENV"
  for kv in "${EXTRA[@]}"; do [[ "$kv" == *=* ]] || die "OMNIROUTE_E2E_EXTRA_ENV: '$kv' is not KEY=VALUE"; done
fi

JWT_SECRET=$(rand_hex 32)     # server requires >= 32 chars
API_KEY_SECRET=$(rand_hex 16) # server requires >= 16 chars

attempt=0 PID="" PORT=""
while :; do
  attempt=$((attempt + 1))
  PORT="${OMNIROUTE_E2E_PORT:-$(free_port)}"
  : >"$LOG"
  PIDFILE="$RUN_DIR/server.pid"
  rm -f "$PIDFILE"
  # setsid: own session + process group (pgid == pid), so stop can kill the whole tree.
  # The inner bash writes its pid and then execs node, so the recorded pid is node's.
  (
    cd "$INSTALL/app"
    exec setsid env -i \
      PATH="$(dirname "$NODE_BIN"):/usr/local/bin:/usr/bin:/bin" \
      HOME="$RUN_DIR/home" LANG=C.UTF-8 TMPDIR="${TMPDIR:-/tmp}" \
      NODE_ENV=production HOSTNAME=127.0.0.1 PORT="$PORT" DATA_DIR="$DATA_DIR" \
      JWT_SECRET="$JWT_SECRET" API_KEY_SECRET="$API_KEY_SECRET" OMNIROUTE_API_KEY="$KEY" \
      APP_LOG_TO_FILE=false OMNIROUTE_DISABLE_BACKGROUND_SERVICES=true OMNIROUTE_ALLOW_PRIVATE_PROVIDER_URLS=true \
      NEXT_TELEMETRY_DISABLED=1 BASE_URL="http://127.0.0.1:$PORT" NEXT_PUBLIC_BASE_URL="http://127.0.0.1:$PORT" \
      "${EXTRA[@]}" \
      bash -c 'echo $$ >"$0"; exec "$@"' "$PIDFILE" "$NODE_BIN" "${NODE_ARGS[@]}" server.js
  ) </dev/null >>"$LOG" 2>&1 &
  launcher=$!
  for _ in $(seq 1 50); do [ -s "$PIDFILE" ] && break; sleep 0.1; done
  [ -s "$PIDFILE" ] || { kill "$launcher" 2>/dev/null || true; die "server process did not start (log: $LOG)"; }
  PID=$(cat "$PIDFILE")

  deadline=$((SECONDS + TIMEOUT))
  ready=0
  while ((SECONDS < deadline)); do
    if ! kill -0 "$PID" 2>/dev/null; then break; fi
    # with the test key: it is always valid, and REQUIRE_API_KEY=true instances answer 401 without one
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 -H "Authorization: Bearer $KEY" \
      "http://127.0.0.1:$PORT/v1/models" || true)
    if [ "$code" = 200 ]; then ready=1; break; fi
    sleep 0.2
  done
  [ "$ready" = 1 ] && break

  if kill -0 "$PID" 2>/dev/null; then
    kill -TERM -- "-$PID" 2>/dev/null || true
    sleep 1
    kill -KILL -- "-$PID" 2>/dev/null || true
    tail -n 30 "$LOG" >&2 || true
    die "OmniRoute did not answer GET /v1/models with 200 within ${TIMEOUT}s (log tail above; OMNIROUTE_E2E_KEEP=1 keeps $RUN_DIR)"
  fi
  if grep -q 'EADDRINUSE' "$LOG" && [ -z "${OMNIROUTE_E2E_PORT:-}" ] && [ "$attempt" -lt 3 ]; then
    log "port $PORT was taken meanwhile; retrying with another"
    continue
  fi
  tail -n 30 "$LOG" >&2 || true
  die "OmniRoute exited during start-up (log tail above; OMNIROUTE_E2E_KEEP=1 keeps $RUN_DIR)"
done

{
  echo "PORT=$PORT"
  echo "PID=$PID"
  echo "BASE_URL=http://127.0.0.1:$PORT/v1"
  echo "ORIGIN=http://127.0.0.1:$PORT"
  echo "API_KEY=$KEY"
  echo "RUN_DIR=$RUN_DIR"
  echo "DATA_DIR=$DATA_DIR"
  echo "LOG=$LOG"
  echo "OWN_RUN_DIR=$OWN"
} >"$STATE.tmp.$$"
mv -f "$STATE.tmp.$$" "$STATE"
log "OmniRoute ${OMNIROUTE_E2E_VERSION:-?} ready on http://127.0.0.1:$PORT (pid $PID, node ${OMNIROUTE_E2E_NODE_VERSION:-?}, log $LOG)"
cat "$STATE"
