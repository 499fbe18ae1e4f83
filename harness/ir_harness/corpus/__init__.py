"""Corpora too large for memory: streaming sources and the on-disk corpus store."""
