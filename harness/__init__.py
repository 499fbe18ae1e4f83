"""ir-harness: an evaluation harness for information retrieval research."""

__version__ = "0.1.0"
