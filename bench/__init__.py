"""Benchmarks, run by ``make bench``; the quick sizes also run in the test suite."""
