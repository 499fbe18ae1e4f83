"""Persistent caches: text embeddings, per-corpus embedding shards, LLM responses."""
