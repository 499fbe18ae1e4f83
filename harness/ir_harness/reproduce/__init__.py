"""Reproducing a stored result: re-run it from its metadata and say what moved, and where."""
