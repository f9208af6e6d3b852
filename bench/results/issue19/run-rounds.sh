#!/usr/bin/env bash
# Interleaved old/new runs of the whole-process harness (same command as bench/run.sh with
# BENCH_SKIP_CRITERION=1, but each run written to its own file).
set -uo pipefail
ROUNDS="${ROUNDS:-4}"; RUNS="${RUNS:-9}"; SIZES="${SIZES:-3000,10000}"
OUT=/tmp/bench-rounds
for r in $(seq "${START:-1}" "$ROUNDS"); do
  if [ $((r % 2)) -eq 1 ]; then order="old bench"; else order="bench old"; fi
  for side in $order; do
    la0=$(cut -d' ' -f1-3 /proc/loadavg)
    t0=$(date +%s.%N)
    ( cd /work/wt-$side && cargo bench --quiet --bench process -- --runs "$RUNS" --sizes "$SIZES" \
        --out "$OUT/$side-r$r.json" > "$OUT/$side-r$r.table.md" 2> "$OUT/$side-r$r.err" )
    rc=$?
    t1=$(date +%s.%N)
    la1=$(cut -d' ' -f1-3 /proc/loadavg)
    echo "round=$r side=$side rc=$rc secs=$(echo "$t1 - $t0" | bc) load_start=\"$la0\" load_end=\"$la1\" date=$(date -u +%H:%M:%S)" | tee -a "$OUT/rounds.log"
  done
done
