"""Scoring runs: metrics, measures, coverage, family means and significance tests."""
