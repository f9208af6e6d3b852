#!/bin/sh
# List an OmniRoute gateway's models through omniroute-rpc: NDJSON over a pipe, printf + jq.
#   list-models.sh [BASE_URL]
# env: OMNIROUTE_RPC_BIN (default omniroute-rpc), OMNIROUTE_OPTIONS (JSON object of options),
#      OMNIROUTE_API_KEY (else the key stored by auth.connect / OpenCode is used)
set -eu
BIN=${OMNIROUTE_RPC_BIN:-omniroute-rpc}
BASE_URL=${1:-${OMNIROUTE_BASE_URL:-http://localhost:20128/v1}}
OPTIONS=$(jq -nc --arg url "$BASE_URL" --argjson o "${OMNIROUTE_OPTIONS:-null}" '($o // {}) + {baseURL: $url}')

# One JSON object per line in, one per line out. No Content-Length headers: the service sees
# '{' first and answers in NDJSON. initialize is optional; it sets the session's options.
# Closing stdin (end of the pipe) makes the service answer what it has and exit.
REPLIES=$(
  {
    printf '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"clientInfo":{"name":"list-models.sh"},"options":%s}}\n' "$OPTIONS"
    printf '%s\n' '{"jsonrpc":"2.0","id":2,"method":"models.list","params":{"refresh":true}}'
  } | "$BIN"
)

# Replies may come in any order, and notifications (no id) may be mixed in: select by id.
printf '%s\n' "$REPLIES" | jq -r 'select(.id == 1) | .result.warnings[]? | "warning: \(.)"' >&2

ERROR=$(printf '%s\n' "$REPLIES" | jq -r 'select(.id == 2) | .error // empty | "\(.message) [\(.data.kind // .code)]"')
if [ -n "$ERROR" ]; then
  echo "error: $ERROR" >&2
  exit 1
fi
if [ -z "$(printf '%s\n' "$REPLIES" | jq -c 'select(.id == 2) | .result // empty')" ]; then
  echo "error: no answer to models.list" >&2
  exit 1
fi

# Absent fields are unknown: print "?" (and keep false as false).
printf '%s\n' "$REPLIES" | jq -r '
  def v(x): if x == null then "?" else x end;
  select(.id == 2) | .result
  | "# \(.models | length) models from \(.baseURL) (source \(.source))",
    "# id\tcontext\toutput\tvision\ttools\tkind",
    (.models[] | [.id, v(.contextWindow), v(.maxTokens), v(.supportsVision), v(.supportsTools), v(.kind)] | @tsv)'
