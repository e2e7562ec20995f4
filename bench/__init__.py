"""Benchmarks: `make bench` (bench.scale), `make bench-sla` and `make bench-report`."""
