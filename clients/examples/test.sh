#!/usr/bin/env bash
# Runs the README examples (list-models.sh, client.py) against the real omniroute-rpc and the
# loopback mock gateway, checks their output, and checks that clients/README.md still includes
# them verbatim. Ends with "N passed, N failed"; exit 1 on any failure.
#   OMNIROUTE_RPC_BIN=...  the binary (default: target/debug, then target/release, then PATH)
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CLIENTS=$(dirname "$HERE")
REPO=$(dirname "$CLIENTS")
TEST_KEY="sk-0123456789abcdef-abc123-00004d79"

passed=0
failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $1"; shift; for l in "$@"; do printf '%s\n' "$l" | sed 's/^/      /'; done; failed=$((failed + 1)); }
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }
# check NAME FILE PATTERN... : every fixed-string pattern occurs in FILE
check() {
  local name=$1 file=$2 miss=""; shift 2
  for p in "$@"; do grep -qF -- "$p" "$file" || miss="$miss [$p]"; done
  if [ -z "$miss" ]; then ok "$name"; else not_ok "$name" "missing:$miss" "$(cat "$file")"; fi
}

BIN=""
for c in "${OMNIROUTE_RPC_BIN:-}" "$REPO/target/debug/omniroute-rpc" "$REPO/target/release/omniroute-rpc" "$(command -v omniroute-rpc 2>/dev/null)"; do
  if [ -n "$c" ] && [ -x "$c" ]; then BIN=$(cd "$(dirname "$c")" && pwd)/$(basename "$c"); break; fi
done
[ -n "$BIN" ] || { not_ok "omniroute-rpc not found (cargo build, or set OMNIROUTE_RPC_BIN)"; finish; }
for tool in jq python3; do command -v $tool >/dev/null || { not_ok "$tool is required"; finish; }; done

T=$(mktemp -d "${TMPDIR:-/tmp}/omniroute-examples-test.XXXXXX")
mkdir -p "$T/home" "$T/data" "$T/cache"
python3 "$HERE/mock_gateway.py" > "$T/port" 2> "$T/mock.log" &
MOCK_PID=$!
cleanup() { kill "$MOCK_PID" 2>/dev/null; wait "$MOCK_PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
for _ in $(seq 1 100); do [ -s "$T/port" ] && break; sleep 0.05; done
PORT=$(head -n1 "$T/port")
[ -n "$PORT" ] || { not_ok "mock gateway did not start" "$(cat "$T/mock.log")"; finish; }
GW="http://127.0.0.1:$PORT/v1"

# hermetic: no key from the environment or a real auth file, no real cache, no models.dev
run() {
  env -u OMNIROUTE_API_KEY -u OPENCODE_AUTH_CONTENT -u OMNIROUTE_BASE_URL \
    HOME="$T/home" XDG_DATA_HOME="$T/data" XDG_CACHE_HOME="$T/cache" OMNIROUTE_LOG=error \
    OMNIROUTE_RPC_BIN="$BIN" "$@"
}
NO_MD='{"modelsDev":{"enabled":false}}'

# --- list-models.sh -------------------------------------------------------------------------
TAB=$(printf '\t')
OMNIROUTE_OPTIONS=$NO_MD run timeout 60 sh "$HERE/list-models.sh" "$GW" > "$T/ls.out" 2> "$T/ls.err"
rc=$?
if [ $rc -eq 0 ]; then ok "list-models.sh exits 0"; else not_ok "list-models.sh exits 0 (got $rc)" "$(cat "$T/ls.err")"; fi
check "list-models.sh prints the catalogue with id, context, output, vision, tools" "$T/ls.out" \
  "models from $GW (source live)" \
  "cx/gpt-5.1-codex-mini${TAB}400000${TAB}128000${TAB}true${TAB}true${TAB}chat" \
  "ds/deepseek-chat${TAB}128000${TAB}8000${TAB}false${TAB}true${TAB}chat" \
  "openai/text-embedding-3-small${TAB}" "${TAB}embedding" \
  "nested/outer${TAB}"

OMNIROUTE_OPTIONS='{"modelsDev":{"enabled":false},"apiMode":"bogus"}' run timeout 60 sh "$HERE/list-models.sh" "$GW" > "$T/ls2.out" 2> "$T/ls2.err"
rc=$?
if [ $rc -eq 0 ] && grep -q '^warning: .*apiMode' "$T/ls2.err"; then
  ok "list-models.sh shows the warning for an invalid option and still lists"
else
  not_ok "list-models.sh shows the warning for an invalid option (rc $rc)" "$(cat "$T/ls2.err")"
fi

# --- client.py ------------------------------------------------------------------------------
run timeout 60 python3 "$HERE/client.py" --base-url "$GW" --options "$NO_MD" > "$T/py.out" 2> "$T/py.err"
rc=$?
if [ $rc -eq 0 ]; then ok "client.py exits 0"; else not_ok "client.py exits 0 (got $rc)" "$(cat "$T/py.err")"; fi
check "client.py: initialize + models.list" "$T/py.out" \
  "server omniroute-rpc " "models from $GW (source live)" "cx/gpt-5.1-codex-mini" "ds/deepseek-chat"
check "client.py: combos.resolve coding" "$T/py.out" \
  "combo coding (priority)" "context 200000, output 64000, vision true, tools true, unknown: -"
check "client.py: combos.resolve nested/outer (nested combo, unknown member)" "$T/py.out" \
  "combo nested/outer (weighted)" "cx/gpt-5.1-codex-mini via coding" "ghost/not-a-model (unresolved)" \
  "context 128000, output 8000, vision false, tools true, unknown: ghost/not-a-model"

run timeout 60 python3 "$HERE/client.py" --base-url "$GW" --options "$NO_MD" --combo no-such-combo > "$T/py2.out" 2> "$T/py2.err"
rc=$?
# contract: {found:false} (exit 1, "not found"); the service currently answers -32054 not_found
# (exit 2, "[not_found]"); see /work/notes/nvim-client-issues.md
if { [ $rc -eq 1 ] && grep -qF "combo no-such-combo: not found" "$T/py2.out"; } ||
   { [ $rc -eq 2 ] && grep -qF "[not_found]" "$T/py2.err"; }; then
  ok "client.py reports an unknown combo"
else
  not_ok "client.py reports an unknown combo (got exit $rc)" "$(cat "$T/py2.out" "$T/py2.err")"
fi

# a rejected key is an error with data.kind, shown by the client
(cd "$HERE" && run timeout 60 python3 -c '
import sys, client
c = client.Client([sys.argv[1]])
try:
    c.request("auth.connect", {"apiKey": "sk-wrong000000000000-000000-00000000", "baseURL": sys.argv[2], "persist": False})
    print("no error")
except client.RpcError as e:
    print("code", e.code, "kind", e.kind, "message", e)
finally:
    c.close()
' "$BIN" "$GW") > "$T/py3.out" 2>&1
check "client.py's Client surfaces error code and data.kind (auth_rejected)" "$T/py3.out" "code -32050 kind auth_rejected message"
if grep -qF "sk-wrong000000000000" "$T/py3.out"; then not_ok "error message must not contain the key" "$(cat "$T/py3.out")"; else ok "error message does not contain the key"; fi

# --- README includes the files verbatim -------------------------------------------------------
python3 - "$CLIENTS/README.md" "$HERE" > "$T/readme.out" 2>&1 <<'EOF'
import re, sys, os
readme = open(sys.argv[1]).read()
bad = 0
for name in ("list-models.sh", "client.py"):
    m = re.search(r"<!-- BEGIN examples/%s -->\n```[a-z]*\n(.*?)```\n<!-- END examples/%s -->" % (re.escape(name), re.escape(name)), readme, re.S)
    body = open(os.path.join(sys.argv[2], name)).read()
    if not m:
        print("README has no BEGIN/END block for examples/" + name); bad += 1
    elif m.group(1) != body:
        print("README's copy of examples/%s differs from the file" % name); bad += 1
sys.exit(bad)
EOF
if [ $? -eq 0 ]; then ok "clients/README.md includes both examples verbatim"; else not_ok "clients/README.md includes both examples verbatim" "$(cat "$T/readme.out")"; fi

finish
