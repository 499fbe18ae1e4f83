"""The ir_datasets loader under the name the tasks (and their tests) look it up by."""

from __future__ import annotations

from ir_harness.data.irds import load_irds

__all__ = ["load_irds"]
