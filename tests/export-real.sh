#!/usr/bin/env bash
# Real-tool validation of `omniroute-rpc export`: Continue's CLI and OpenCode 1.18.33 load the
# written files and answer/list against a mock gateway on 127.0.0.1; Crush's and Zed's files are
# checked against their schemas. Installs what it needs from npm, cached under ~/.cache.
#   bash tests/export-real.sh            (builds target/debug/omniroute-rpc first)
#   OMNIROUTE_RPC_BIN=path bash tests/export-real.sh
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS="${OMNIROUTE_EXPORT_TOOLS:-$HOME/.cache/omniroute-rpc-export/tools}"
CN_VERSION=1.5.47
PACKAGES=("@continuedev/cli@$CN_VERSION" ajv@8.20.0 ajv-formats@3.0.1 jsonc-parser@3.3.1)

mkdir -p "$TOOLS"
stamp="$TOOLS/.installed"
if [ ! -x "$TOOLS/node_modules/.bin/cn" ] || [ "$(cat "$stamp" 2>/dev/null)" != "${PACKAGES[*]}" ]; then
  [ -f "$TOOLS/package.json" ] || echo '{"name":"omniroute-rpc-export-tools","private":true}' >"$TOOLS/package.json"
  (cd "$TOOLS" && npm install --no-audit --no-fund --loglevel=error "${PACKAGES[@]}")
  echo "${PACKAGES[*]}" >"$stamp"
fi

if [ -z "${OMNIROUTE_RPC_BIN:-}" ]; then
  cargo build --quiet
fi

export OMNIROUTE_EXPORT_TOOLS="$TOOLS"
# No key or options from the caller's environment leak into the tools.
unset OMNIROUTE_API_KEY OMNIROUTE_BASE_URL OMNIROUTE_OPTIONS OPENCODE_CONFIG OPENCODE_CONFIG_CONTENT
exec node --test --test-concurrency=1 tests/export-real.test.mjs
