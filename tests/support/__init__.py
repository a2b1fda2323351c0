"""Synthetic test data generators (code variants, license texts, secrets, run directories):
used by the tests and the benchmarks, never shipped in the installed package."""
