#!/bin/sh
# Build the VS Code extension package (.vsix) with the omniroute-rpc binary for this platform.
#
#   sh scripts/pack.sh [--skip-build] [--binary PATH] [--out DIR]
#
#   --skip-build   do not run cargo; use target/release/omniroute-rpc as it is
#   --binary PATH  package this executable instead of target/release/omniroute-rpc
#   --out DIR      where the .vsix goes (default: dist/ in this package)
#
# Needs `npm ci` done here (@vscode/vsce is a devDependency). The package is staged in a temp
# directory, so the source tree gets no bin/. The binary goes to bin/<platform>-<arch>/ (Node's
# process.platform-process.arch, where lib/find-binary.js looks) and the .vsix is marked for
# that VS Code target (linux-x64, darwin-arm64, win32-x64, …). Prints the .vsix path last.
set -eu

PKG_DIR=$(cd "$(dirname "$0")/.." && pwd)
REPO_ROOT=$(cd "$PKG_DIR/../.." && pwd)
SKIP_BUILD=0
BINARY=""
OUT_DIR="$PKG_DIR/dist"

while [ $# -gt 0 ]; do
  case "$1" in
    --skip-build) SKIP_BUILD=1 ;;
    --binary) shift; BINARY="$1"; SKIP_BUILD=1 ;;
    --out) shift; OUT_DIR="$1" ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "pack.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

PLATFORM=$(node -p 'process.platform + "-" + process.arch')
EXE=""
case "$PLATFORM" in win32-*) EXE=".exe" ;; esac

if [ "$SKIP_BUILD" -eq 0 ]; then
  echo "pack.sh: cargo build --release in $REPO_ROOT" >&2
  (cd "$REPO_ROOT" && cargo build --release --bin omniroute-rpc)
fi
if [ -z "$BINARY" ]; then
  BINARY="${CARGO_TARGET_DIR:-"$REPO_ROOT/target"}/release/omniroute-rpc$EXE"
fi
if [ ! -x "$BINARY" ]; then
  echo "pack.sh: no executable at $BINARY" >&2
  exit 1
fi
if ! "$BINARY" call rpc.discover >/dev/null 2>&1; then
  echo "pack.sh: $BINARY does not answer 'call rpc.discover'; refusing to package it" >&2
  exit 1
fi
VSCE="$PKG_DIR/node_modules/@vscode/vsce/vsce"
if [ ! -f "$VSCE" ]; then
  echo "pack.sh: @vscode/vsce is not installed: run 'npm ci' in $PKG_DIR" >&2
  exit 1
fi

STAGE=$(mktemp -d "${TMPDIR:-/tmp}/omniroute-vsix.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
cp -R "$PKG_DIR/package.json" "$PKG_DIR/extension.js" "$PKG_DIR/lib" "$PKG_DIR/README.md" "$STAGE/"
cp "$REPO_ROOT/LICENSE" "$STAGE/LICENSE"
mkdir -p "$STAGE/bin/$PLATFORM"
cp "$BINARY" "$STAGE/bin/$PLATFORM/omniroute-rpc$EXE"
chmod 755 "$STAGE/bin/$PLATFORM/omniroute-rpc$EXE"
echo "pack.sh: packaging a $(du -h "$BINARY" | cut -f1) binary for $PLATFORM" >&2

mkdir -p "$OUT_DIR"
OUT_DIR=$(cd "$OUT_DIR" && pwd)
VERSION=$(node -p 'require(process.argv[1]).version' "$PKG_DIR/package.json")
VSIX="$OUT_DIR/omniroute-$PLATFORM-$VERSION.vsix"
(cd "$STAGE" && node "$VSCE" package --no-dependencies --allow-missing-repository --skip-license \
  --target "$PLATFORM" --out "$VSIX" </dev/null >&2)
echo "$VSIX"
