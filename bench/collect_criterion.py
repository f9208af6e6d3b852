#!/usr/bin/env python3
"""Collects criterion's estimates (target/criterion/**/new/) into one JSON file and prints a
markdown table: median and its 95% confidence interval per benchmark, plus time per element
where the bench declared a throughput. Python stdlib only."""
import json
import pathlib
import sys


def fmt(ns: float) -> str:
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def main() -> None:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
    out = pathlib.Path(sys.argv[2] if len(sys.argv) > 2 else "bench/results/pipeline.json")
    rows = []
    for bench in sorted(root.glob("**/new/benchmark.json")):
        meta = json.loads(bench.read_text())
        est = json.loads((bench.parent / "estimates.json").read_text())
        med = est["median"]
        thr = meta.get("throughput") or {}
        elements = thr.get("Elements")
        nbytes = thr.get("Bytes")
        rows.append({
            "group": meta.get("group_id"),
            "function": meta.get("function_id"),
            "parameter": meta.get("value_str"),
            "id": meta.get("full_id"),
            "median_ns": med["point_estimate"],
            "median_ci95_ns": [med["confidence_interval"]["lower_bound"],
                               med["confidence_interval"]["upper_bound"]],
            "mean_ns": est["mean"]["point_estimate"],
            "elements": elements,
            "bytes": nbytes,
        })
    def order(r):
        param = r["parameter"] or ""
        return (r["group"] or "", r["function"] or "", int(param) if param.isdigit() else 0, param)

    rows.sort(key=order)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"criterion": rows}, indent=2))
    print("| benchmark | median | 95% CI of median | per element |")
    print("|---|---|---|---|")
    for r in rows:
        lo, hi = r["median_ci95_ns"]
        per = ""
        if r["elements"]:
            per = fmt(r["median_ns"] / r["elements"])
        elif r["bytes"]:
            per = f"{r['bytes'] / (r['median_ns'] / 1e9) / 1e6:.0f} MB/s"
        print(f"| {r['id']} | {fmt(r['median_ns'])} | {fmt(lo)}–{fmt(hi)} | {per} |")


if __name__ == "__main__":
    main()
