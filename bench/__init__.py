"""The benchmark: bench/run.py drives the real server and bench/bare_server.py with bench/loadgen.mjs
(README: Benchmark)."""
