"""Hand-run benchmarks for kenning: real corpora, whole-process figures, budget checks.

Not part of the test suite; see ``bench/README.md``.
"""
