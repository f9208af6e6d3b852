#!/usr/bin/env bash
# Stop an OmniRoute started by omniroute-start.sh (or anything that wrote PID=... to a state file).
#
#   tests/e2e/omniroute-stop.sh STATEFILE
#
# SIGTERM to the process group (pgid == PID: the start script runs it under setsid), waits up to
# OMNIROUTE_E2E_STOP_TIMEOUT seconds (default 10), then SIGKILL. Removes RUN_DIR when the start script
# created it (OWN_RUN_DIR=1) unless OMNIROUTE_E2E_KEEP=1. Succeeds if the process is already gone.
# Refuses to signal a PID that is not a node process (PID reuse safety).
set -euo pipefail

log() { printf '[omniroute-stop] %s\n' "$*" >&2; }
die() { printf '[omniroute-stop] ERROR: %s\n' "$*" >&2; exit 1; }

[ $# -ge 1 ] && [ -n "$1" ] || die "usage: $0 STATEFILE"
STATE="$1"
[ -f "$STATE" ] || die "state file '$STATE' not found"

get() { sed -n "s/^$1=//p" "$STATE" | tail -n 1; }
PID=$(get PID)
RUN_DIR=$(get RUN_DIR)
OWN=$(get OWN_RUN_DIR)
[[ "$PID" =~ ^[0-9]+$ ]] && [ "$PID" -gt 1 ] || die "no valid PID= line in '$STATE'"
TIMEOUT="${OMNIROUTE_E2E_STOP_TIMEOUT:-10}"

# alive = exists and is not a zombie (an orphan can stay a zombie for a moment before init reaps it)
pid_alive() {
  local st
  st=$(ps -o stat= -p "$1" 2>/dev/null | tr -d ' ') || return 1
  [ -n "$st" ] && [[ "$st" != Z* ]]
}
group_alive() {
  ps -e -o pgid=,stat= 2>/dev/null | awk -v g="$PID" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'
}
is_ours() {
  # A node process (Next.js renames its title to "next-server", so look at the executable, not argv).
  pid_alive "$1" || return 1
  local exe
  exe=$(readlink "/proc/$1/exe" 2>/dev/null || true)
  case "$(basename "${exe% (deleted)}")" in node | node[0-9]* | nodejs) return 0 ;; esac
  tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -Eq 'node|next-server'
}

if is_ours "$PID"; then
  pgid=$(ps -o pgid= -p "$PID" 2>/dev/null | tr -d ' ' || true)
  if [ "$pgid" = "$PID" ]; then
    kill -TERM -- "-$PID" 2>/dev/null || true
  else
    kill -TERM "$PID" 2>/dev/null || true
  fi
  end=$((SECONDS + TIMEOUT))
  while ((SECONDS < end)); do
    if [ "$pgid" = "$PID" ]; then group_alive || break; else pid_alive "$PID" || break; fi
    sleep 0.2
  done
  if [ "$pgid" = "$PID" ] && group_alive; then
    log "process group $PID still alive after ${TIMEOUT}s; sending SIGKILL"
    kill -KILL -- "-$PID" 2>/dev/null || true
  elif pid_alive "$PID"; then
    log "pid $PID still alive after ${TIMEOUT}s; sending SIGKILL"
    kill -KILL "$PID" 2>/dev/null || true
  fi
  for _ in $(seq 1 25); do pid_alive "$PID" || break; sleep 0.2; done
  pid_alive "$PID" && die "pid $PID survived SIGKILL"
  log "stopped pid $PID"
elif pid_alive "$PID"; then
  die "pid $PID is alive but is not a node process; not signalling it (stale state file?)"
elif group_alive; then
  # leader gone but children left in its group
  kill -KILL -- "-$PID" 2>/dev/null || true
  log "killed leftover processes of group $PID"
else
  log "pid $PID is not running"
fi

if [ "$OWN" = 1 ] && [ -n "$RUN_DIR" ] && [ -d "$RUN_DIR" ] && [ "${OMNIROUTE_E2E_KEEP:-0}" != 1 ]; then
  case "$RUN_DIR" in
    */omniroute-e2e.*) rm -rf "$RUN_DIR" ;;
    *) log "not removing unexpected RUN_DIR '$RUN_DIR'" ;;
  esac
fi
