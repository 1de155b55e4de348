"""Reign's benchmark suite (not part of the test run): `python -m benchmarks`. See benchmarks/README.md."""
