"""A plugin package for ir-harness used by its tests (see pyproject.toml)."""
