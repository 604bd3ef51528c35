"""The interpretation benchmark `make bench` calls (bench/ingest.py) runs and reports texts per
second."""

from __future__ import annotations

from recon.understanding.bench import bench_interpret


class TestBench:
    def test_bench_reports_throughput_on_a_generated_store(self) -> None:
        figures = bench_interpret(n_units=60, n_texts=300)
        assert figures["texts"] == 300
        assert figures["texts_per_second"] > 0
