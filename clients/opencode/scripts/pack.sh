#!/bin/sh
# Build omniroute-rpc in release mode, copy it into bin/<platform>-<arch>/ and run `npm pack`.
#
#   sh scripts/pack.sh [--skip-build] [--binary PATH] [--out DIR]
#
#   --skip-build   do not run cargo; use target/release/omniroute-rpc as it is
#   --binary PATH  package this executable instead of target/release/omniroute-rpc
#   --out DIR      where the tarball goes (default: this package directory)
#
# <platform>-<arch> is Node's process.platform-process.arch (linux-x64, darwin-arm64, win32-x64),
# the directory the plugin looks in. CARGO_TARGET_DIR is honoured. Prints the tarball path last.
set -eu

PKG_DIR=$(cd "$(dirname "$0")/.." && pwd)
REPO_ROOT=$(cd "$PKG_DIR/../.." && pwd)
SKIP_BUILD=0
BINARY=""
OUT_DIR="$PKG_DIR"

while [ $# -gt 0 ]; do
  case "$1" in
    --skip-build) SKIP_BUILD=1 ;;
    --binary) shift; BINARY="$1"; SKIP_BUILD=1 ;;
    --out) shift; OUT_DIR="$1" ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
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
  TARGET_DIR=${CARGO_TARGET_DIR:-"$REPO_ROOT/target"}
  BINARY="$TARGET_DIR/release/omniroute-rpc$EXE"
fi
if [ ! -x "$BINARY" ]; then
  echo "pack.sh: no executable at $BINARY" >&2
  exit 1
fi

# Refuse to package a binary that cannot answer rpc.discover.
if ! "$BINARY" call rpc.discover >/dev/null 2>&1; then
  echo "pack.sh: $BINARY does not answer 'call rpc.discover'; refusing to package it" >&2
  exit 1
fi

DEST="$PKG_DIR/bin/$PLATFORM"
rm -rf "$DEST"
mkdir -p "$DEST"
cp "$BINARY" "$DEST/omniroute-rpc$EXE"
chmod 755 "$DEST/omniroute-rpc$EXE"
echo "pack.sh: packaged $(du -h "$DEST/omniroute-rpc$EXE" | cut -f1) binary for $PLATFORM" >&2

mkdir -p "$OUT_DIR"
OUT_DIR=$(cd "$OUT_DIR" && pwd)
TARBALL=$(cd "$PKG_DIR" && npm pack --silent --pack-destination "$OUT_DIR" | tail -n 1)
echo "$OUT_DIR/$TARBALL"
