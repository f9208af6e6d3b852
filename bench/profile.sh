#!/usr/bin/env bash
# Where the time goes in a cold models.list (default 3,000 models): runs one cold call of the
# release binary under callgrind (instruction counts: deterministic, unaffected by machine
# load) against the same loopback mock as bench/run.sh, then prints the top functions.
#   bash bench/profile.sh [SIZE]
# Output: bench/results/callgrind.cold-SIZE.out (open with callgrind_annotate or kcachegrind)
#         bench/results/profile-cold-SIZE.txt   (exclusive and inclusive top lists)
# BENCH_BIN=path profiles another build (e.g. one with CARGO_PROFILE_RELEASE_DEBUG=line-tables-only
# for file:line attribution).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE="${1:-3000}"
OUT=bench/results
mkdir -p "$OUT"
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
CG="$PWD/$OUT/callgrind.cold-$SIZE.out"
rm -f "$CG"
cargo build --release --quiet
cargo bench --quiet --bench process -- --profile-cold "$SIZE" \
  --wrap "valgrind --tool=callgrind --callgrind-out-file=$CG --separate-threads=no"
{
  echo "# callgrind, one cold models.list of $SIZE models (spawn, initialize, list, exit)"
  echo "## exclusive (self) cost"
  callgrind_annotate --auto=no --threshold=99 "$CG" | head -60
  echo
  echo "## inclusive cost"
  callgrind_annotate --auto=no --inclusive=yes --threshold=99 "$CG" | head -80
} > "$OUT/profile-cold-$SIZE.txt"
cat "$OUT/profile-cold-$SIZE.txt"
