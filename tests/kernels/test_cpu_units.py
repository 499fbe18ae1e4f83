"""Which low-precision formats a CPU multiplies natively (kernels/cpu_units.py)."""

from __future__ import annotations


def test_cpu_has_units_reads_the_cpu_flags() -> None:
    from ir_harness.kernels.cpu_units import cpu_has_units

    avx2 = "flags : fpu sse2 avx avx2 fma"
    assert cpu_has_units("fp32", avx2)
    assert not cpu_has_units("bf16", avx2) and not cpu_has_units("fp16", avx2)
    assert cpu_has_units("bf16", avx2 + " avx512f avx512_bf16")
    assert not cpu_has_units("fp16", avx2 + " avx512f avx512_bf16")
    assert cpu_has_units("fp16", avx2 + " amx_bf16 amx_fp16")
    assert cpu_has_units("bf16", "Features : fp asimd asimdhp bf16")  # aarch64
