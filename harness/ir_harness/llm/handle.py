"""What an LLM-based system holds: the user's ``--llm`` choice, resolved only when first used.

Systems must be constructible without loading weights (conformance check), and the result must
say which model ran and whether it was the default; this keeps both in one place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ir_harness.protocols import SystemMeta

if TYPE_CHECKING:
    from ir_harness.llm.base import LLM
    from ir_harness.run.context import RunContext


class LLMHandle:
    """An LLM-based system's ``--llm`` choice (a spec, an ``LLM``, or None for the default), built
    only by ``get``, so systems construct without loading weights; a malformed oracle spec fails
    here already."""

    def __init__(self, llm: str | LLM | None = None) -> None:
        self.given = llm
        self.is_default = llm is None
        self._llm: LLM | None = None if isinstance(llm, str | None) else llm
        if isinstance(llm, str):
            from ir_harness.llm.oracle.spec import oracle_part, parse_oracle

            if (part := oracle_part(llm)) is not None:
                parse_oracle(part)  # a bad oracle option fails now, not after the index is built

    @property
    def spec(self) -> str:
        """The spec as given, ``backend:model`` for an ``LLM`` passed in, or ``default`` until
        ``get`` has resolved the default spec (then that spec)."""
        if isinstance(self.given, str):
            return self.given
        if self._llm is not None:
            return f"{self._llm.backend}:{self._llm.model}"
        return "default"

    @property
    def simulated(self) -> bool:
        """True when the LLM is the oracle (in process, or served as ``openai:oracle...@URL``)."""
        from ir_harness.llm.oracle.spec import is_oracle

        return is_oracle(self.spec) or getattr(self._llm, "backend", "") == "oracle"

    def get(self, ctx: RunContext) -> LLM:
        """The backend, built on first use from the spec with the run's cache, task, data and LLM
        policy, and the same object after; with no spec, the packaged default (``ConfigError`` when
        it is not installed)."""
        if self._llm is None:
            from ir_harness.llm import default_spec, make_llm

            spec = self.given if isinstance(self.given, str) else default_spec()
            self.given = spec
            self._llm = make_llm(
                spec,
                cache_dir=ctx.cache_dir,
                task=ctx.task,
                data_dir=ctx.data_dir,
                policy=ctx.llm_policy,
            )
        return self._llm

    def system_meta(self, name: str, parameters: dict[str, Any], kind: str = "llm") -> SystemMeta:
        """The SystemMeta of an LLM-driven system: its own parameters plus the backend's identity."""
        f = self.meta_fields()
        if self.simulated:
            kind = "oracle"  # answers come from the qrels: never ranked with real systems
        return SystemMeta(
            name=name,
            kind=kind,  # type: ignore[arg-type]
            backbone=f["backbone"],
            resolved_backbone=f["resolved_backbone"],
            backend=f["backend"],
            parameters={**parameters, "llm": f["llm"]},
        )

    def meta_fields(self) -> dict[str, Any]:
        """backbone / resolved_backbone / backend for SystemMeta, plus an ``llm`` parameter block."""
        info: dict[str, Any] = {"spec": self.spec, "default": self.is_default}
        if self._llm is None:
            return {"backbone": self.spec, "resolved_backbone": "", "backend": "", "llm": info}
        desc = self._llm.describe()
        info.update(desc)
        if self.simulated and "sees" not in info:  # an oracle served over HTTP
            from ir_harness.llm.oracle.backend import served_sees
            from ir_harness.llm.oracle.spec import oracle_part

            said = getattr(self._llm, "disclosures", None)
            info["sees"] = served_sees(oracle_part(self.spec) or "oracle", said)
        resolved = desc.get("path") or desc.get("resolved") or desc.get("base_url") or ""
        if desc.get("sha256"):
            resolved = f"{resolved} (sha256 {desc['sha256'][:12]})"
        return {
            "backbone": self._llm.model,
            "resolved_backbone": resolved,
            "backend": self._llm.backend,
            "llm": info,
        }
