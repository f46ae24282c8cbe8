"""Benchmarks of tic against what a user would pick instead (``python -m bench``)."""
