"""Benchmarks of the gateway against the REST API it fronts (`make bench`).

Not part of `make test`. Run `python -m bench.run --help` for the knobs; the results are
written to `bench/results.md`.
"""
