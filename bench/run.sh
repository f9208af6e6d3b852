#!/usr/bin/env bash
# The benchmark harness, one command:  bash bench/run.sh
#
# Builds the release binary, runs the whole-process harness (benches/process.rs: spawns
# target/release/omniroute-rpc against an in-process loopback mock gateway serving generated
# catalogues of 100 / 1,000 / 3,000 / 10,000 models and the models.dev fixture) and the
# criterion benches (benches/pipeline.rs), writes bench/results/*.json and prints the tables.
#
# Knobs (environment): BENCH_RUNS (process runs per size, default 15), BENCH_SIZES
# (default 100,1000,3000,10000), BENCH_SKIP_CRITERION=1 (whole-process figures only).
# Profiling the cold path is separate: bash bench/profile.sh
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${BENCH_RUNS:-15}"
SIZES="${BENCH_SIZES:-100,1000,3000,10000}"
OUT=bench/results
mkdir -p "$OUT"

# What was measured: the commit, whether src/ differed from it, and the machine's load.
{
  echo "{"
  echo "  \"commit\": \"$(git rev-parse HEAD 2>/dev/null || cat COMMIT 2>/dev/null || echo unknown)\","
  echo "  \"srcDirty\": $( [ -n "$(git status --porcelain -- src 2>/dev/null)" ] && echo true || echo false),"
  echo "  \"loadavgAtStart\": \"$(cut -d' ' -f1-3 /proc/loadavg)\","
  echo "  \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\""
  echo "}"
} > "$OUT/meta.json"

echo "== build (release + bench targets)" >&2
cargo build --release --quiet
cargo bench --quiet --no-run --bench process --bench pipeline 2>&1 | grep -v '^ *Executable' >&2 || true

echo "== whole-process harness: $RUNS runs per size, sizes $SIZES" >&2
cargo bench --quiet --bench process -- --runs "$RUNS" --sizes "$SIZES" \
  --out "$OUT/process.json" | tee "$OUT/process-table.md"

if [ "${BENCH_SKIP_CRITERION:-0}" != "1" ]; then
  echo "== criterion (in-process pipeline)" >&2
  cargo bench --quiet --bench pipeline > "$OUT/pipeline-criterion.txt" 2>&1 \
    || { cat "$OUT/pipeline-criterion.txt" >&2; exit 1; }
  python3 bench/collect_criterion.py target/criterion "$OUT/pipeline.json" \
    | tee "$OUT/pipeline-table.md"
fi
echo "loadavg at end: $(cut -d' ' -f1-3 /proc/loadavg) (start: $(grep -o '"loadavgAtStart": "[^"]*"' "$OUT/meta.json" | cut -d'"' -f4))" >&2
echo "== results in $OUT/" >&2
