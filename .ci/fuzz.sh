#!/usr/bin/env bash
# Runs every cargo-fuzz target for a short, bounded time; any crash, timeout or OOM fails.
#
#   bash .ci/fuzz.sh                 # every target, FUZZ_SECONDS (default 25) each
#   FUZZ_SECONDS=60 bash .ci/fuzz.sh options frame_reader
#
# Works with the machine's stable toolchain: RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its
# nightly-only flags (-Zsanitizer=address, …) to stable rustc. cargo-fuzz comes from crates.io
# (`cargo install`, kept in ~/.cargo/bin); the build is kept under ~/.cache so later runs on the
# same machine only rebuild what changed.
#
# Inputs: fuzz/seeds/<target>/ (committed seed corpus, read-only). New corpus entries go to a
# scratch directory. A finding is copied to fuzz/regressions/<target>/ — commit it: the test
# `fuzz_regressions_pass_every_check` in tests/reliability.rs then replays it on every
# `cargo test` (and fails until the bug is fixed).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
SECONDS_PER_TARGET=${FUZZ_SECONDS:-25}
TARGET_DIR=${FUZZ_TARGET_DIR:-$HOME/.cache/omniroute-rpc/fuzz-target}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/omniroute-fuzz.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz from crates.io"
    cargo install cargo-fuzz --locked --version '^0.13'
fi
cargo fuzz --version

ALL_TARGETS=(frame_reader envelope models_body combos_body modelsdev_index options)
if [ $# -gt 0 ]; then TARGETS=("$@"); else TARGETS=("${ALL_TARGETS[@]}"); fi

# Address sanitizer when the toolchain ships its runtime, else none (still catches panics,
# timeouts and OOMs, which is what safe Rust can hit).
SANITIZER=${FUZZ_SANITIZER:-address}
echo "fuzz: building ${#TARGETS[@]} target(s) (sanitizer: $SANITIZER)"
if ! cargo fuzz build --fuzz-dir fuzz --target-dir "$TARGET_DIR" -s "$SANITIZER" "${TARGETS[@]:0:1}" >"$WORK/build.log" 2>&1; then
    if [ "$SANITIZER" = address ]; then
        echo "fuzz: the address-sanitizer build failed; falling back to -s none"
        tail -5 "$WORK/build.log"
        SANITIZER=none
    else
        cat "$WORK/build.log"
        exit 1
    fi
fi
cargo fuzz build --fuzz-dir fuzz --target-dir "$TARGET_DIR" -s "$SANITIZER"

failed=()
summary=()
for t in "${TARGETS[@]}"; do
    mkdir -p "$WORK/corpus/$t" "$WORK/artifacts/$t"
    log="$WORK/$t.log"
    echo "fuzz: $t for ${SECONDS_PER_TARGET}s"
    set +e
    # -timeout: one input may take at most 10 s; -rss_limit_mb: memory blow-ups are findings.
    timeout $((SECONDS_PER_TARGET + 120)) \
        cargo fuzz run --fuzz-dir fuzz --target-dir "$TARGET_DIR" -s "$SANITIZER" "$t" \
        "$WORK/corpus/$t" "fuzz/seeds/$t" -- \
        -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
        -artifact_prefix="$WORK/artifacts/$t/" -print_final_stats=1 >"$log" 2>&1
    rc=$?
    set -e
    runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1 || true)
    summary+=("$t: ${runs:-?} inputs, exit $rc")
    if [ $rc -ne 0 ]; then
        failed+=("$t")
        echo "fuzz: $t FAILED (exit $rc)"
        grep -E 'panicked at|ERROR: libFuzzer|SUMMARY|Test unit written' "$log" | head -20 || tail -30 "$log"
        mkdir -p "fuzz/regressions/$t"
        for a in "$WORK/artifacts/$t"/*; do
            [ -f "$a" ] || continue
            cp "$a" "fuzz/regressions/$t/"
            echo "fuzz: kept $(basename "$a") in fuzz/regressions/$t/ (commit it)"
        done
    fi
done

echo "fuzz summary (${SECONDS_PER_TARGET}s per target, sanitizer $SANITIZER):"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: findings in: ${failed[*]}"
    exit 1
fi
echo "fuzz: no findings"
