"""Runs every benchmark module in order, prints one table and writes bench-results.json.

A benchmark module exposes `async def run(servers: BenchServers) -> list[Figure]`; add yours
to BENCHMARKS.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
import traceback

from bench.harness import ROOT, Figure, as_json, bench_servers

BENCHMARKS = [
    "bench.outbox",
    "bench.inventory",
    "bench.board_api",
    "bench.metrics",
    "bench.ingest",
    "bench.notifier",
    "bench.web",
]


def main() -> None:
    only = set(sys.argv[1:])
    figures: list[Figure] = []
    with bench_servers() as servers:
        for module_name in BENCHMARKS:
            if only and module_name.removeprefix("bench.") not in only:
                continue
            print(f"running {module_name} ...", flush=True)
            module = importlib.import_module(module_name)
            try:
                figures += asyncio.run(module.run(servers))
            except Exception:
                traceback.print_exc()
                figures.append(Figure(f"{module_name} failed", float("nan"), "", ""))
    print_table(figures)
    (ROOT / "bench-results.json").write_text(json.dumps(as_json(figures), indent=2) + "\n")
    print(f"\nwritten to {ROOT / 'bench-results.json'}")


def print_table(figures: list[Figure]) -> None:
    width = max((len(f.name) for f in figures), default=10)
    print(f"\n{'figure':<{width}}  {'value':>12}  {'unit':<12}  target")
    print("-" * (width + 40))
    for figure in figures:
        print(f"{figure.name:<{width}}  {figure.value:>12.2f}  {figure.unit:<12}  {figure.target}")


if __name__ == "__main__":
    main()
