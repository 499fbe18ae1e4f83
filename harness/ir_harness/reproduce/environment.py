"""What differs between the environment a result was made in and the one re-running it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ir_harness.store.results import RunMetadata

# Hardware fields that say where the numbers were computed (not how much memory was free).
_HARDWARE_KEYS = ("platform", "python", "cpu", "cpu_count", "device", "gpu")


def _changes(what: str, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    out = []
    for k in sorted(set(old) | set(new)):
        a, b = old.get(k, "(absent)"), new.get(k, "(absent)")
        if a != b:
            out.append(f"{what} {k}: {a} -> {b}")
    return out


def environment_changes(stored: RunMetadata, new: RunMetadata) -> list[str]:
    """One line per difference: package versions, hardware, git sha, each stage's backend,
    device, backbone and parameters."""
    out = _changes("package", stored.packages, new.packages)
    hw_old = {k: stored.hardware[k] for k in _HARDWARE_KEYS if k in stored.hardware}
    hw_new = {k: new.hardware[k] for k in _HARDWARE_KEYS if k in new.hardware}
    out += _changes("hardware", hw_old, hw_new)
    if stored.git_sha != new.git_sha:
        out.append(f"git sha: {stored.git_sha or '(none)'} -> {new.git_sha or '(none)'}")
    if len(stored.stages) != len(new.stages):
        out.append(f"stages: {len(stored.stages)} -> {len(new.stages)}")
    for old_st, new_st in zip(stored.stages, new.stages, strict=False):
        fields = ("backend", "device", "backbone", "resolved_backbone")
        a = {f: getattr(old_st, f) for f in fields}
        b = {f: getattr(new_st, f) for f in fields}
        out += _changes(f"stage {old_st.name}", a, b)
        out += _changes(
            f"stage {old_st.name} parameter",
            {k: str(v) for k, v in old_st.parameters.items()},
            {k: str(v) for k, v in new_st.parameters.items()},
        )
    return out


def stage_config_changes(stored: RunMetadata, new: RunMetadata) -> list[str]:
    """The subset of ``environment_changes`` that is a stage's own settings (parameters and
    backbone): a stage whose settings moved is the first suspect for a moved output."""
    return [
        c
        for c in environment_changes(stored, new)
        if c.startswith("stage ") and (" parameter " in c or " backbone:" in c)
    ]
