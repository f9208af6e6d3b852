#!/usr/bin/env bash
set -uo pipefail
OUT=/tmp/bench-rounds
for r in $(seq 13 18); do
  if [ $((r % 2)) -eq 1 ]; then order="old mid bench"; else order="bench mid old"; fi
  for side in $order; do
    la0=$(cut -d' ' -f1-3 /proc/loadavg)
    if [ $side = mid ]; then
      ( cd /work/wt-old && BENCH_BIN=/tmp/wt-mid/target/release/omniroute-rpc cargo bench --quiet --bench process -- --runs 9 --sizes 3000,10000 --out "$OUT/mid-r$r.json" > "$OUT/mid-r$r.table.md" 2> "$OUT/mid-r$r.err" )
    else
      ( cd /work/wt-$side && cargo bench --quiet --bench process -- --runs 9 --sizes 3000,10000 --out "$OUT/$side-r$r.json" > "$OUT/$side-r$r.table.md" 2> "$OUT/$side-r$r.err" )
    fi
    rc=$?
    la1=$(cut -d' ' -f1-3 /proc/loadavg)
    echo "round=$r side=$side rc=$rc load_start=\"$la0\" load_end=\"$la1\" date=$(date -u +%H:%M:%S)" | tee -a "$OUT/rounds.log"
  done
done
