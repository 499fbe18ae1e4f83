"""Which low-precision formats this CPU multiplies natively, read from ``/proc/cpuinfo``.

Both the bf16 prefilter (:func:`ir_harness.kernels.prefilter.bf16_capable`) and the dense
system's warning about emulated autocast ask this; one table of flags answers both.
"""

from __future__ import annotations

from functools import lru_cache

# x86 flags, then aarch64 ones
UNITS = {
    "bf16": ("avx512_bf16", "amx_bf16", "bf16"),
    "fp16": ("avx512_fp16", "amx_fp16", "asimdhp"),
}


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str] | None:
    """The words of ``/proc/cpuinfo`` (flags among them); None where it cannot be read."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            return frozenset(f.read().split())
    except OSError:
        return None


def has_units(precision: str, flags: frozenset[str]) -> bool:
    """Whether ``flags`` name a unit that multiplies ``precision`` (``fp32``: always)."""
    return precision == "fp32" or not flags.isdisjoint(UNITS.get(precision, ()))


def cpu_has_units(precision: str, cpuinfo: str | None = None) -> bool:
    """Whether this CPU multiplies ``precision`` natively (``fp32`` always; ``bf16`` with
    ``avx512_bf16`` or AMX; ``fp16`` with ``avx512_fp16`` or AMX-FP16). Elsewhere torch emulates
    bf16/fp16 autocast, several times slower than fp32. Where ``/proc/cpuinfo`` cannot be read
    (not Linux) it cannot tell and says True. ``cpuinfo``: the file's text, for tests."""
    flags = cpu_flags() if cpuinfo is None else frozenset(cpuinfo.split())
    return True if flags is None else has_units(precision, flags)
