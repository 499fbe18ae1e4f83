"""Parsing and naming oracle specs; imported by the pipeline label, so it stays dependency-free.

Accepted forms: ``oracle``, ``oracle:noise=0.5,seed=1`` and ``oracle[noise=0.5,seed=1]``; served
over HTTP the same text is the model name (``openai:oracle[noise=0.5]@http://127.0.0.1:P/v1``).
Every form names one canonical label, ``oracle[noise=0.5,seed=1]`` (flip and qrels only when
set), so a result says which oracle produced it whatever transport carried the answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ir_harness.errors import ConfigError

_BRACKET = re.compile(r"^oracle\[(?P<opts>[^\]]*)\]$")
KEYS = ("noise", "seed", "flip", "qrels", "task", "tree")


@dataclass(frozen=True)
class OracleSpec:
    """How noisy the oracle is and where its knowledge comes from."""

    noise: float = 0.0  # sigma of Gaussian noise on the latent grade
    seed: int = 0
    flip: float = 0.0  # probability of a uniformly random answer
    qrels: str | None = None  # a TREC qrels file replacing the task's qrels
    task: str | None = None  # the task whose corpus and qrels it knows (default: the run's)
    tree: str | None = None  # an extra LATTICE tree file whose internal nodes it knows

    @property
    def name(self) -> str:
        parts = [f"noise={self.noise:g}", f"seed={self.seed}"]
        if self.flip:
            parts.append(f"flip={self.flip:g}")
        if self.qrels:
            parts.append(f"qrels={Path(self.qrels).name}")
        return f"oracle[{','.join(parts)}]"


def _options(text: str, spec: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        k, sep, v = part.partition("=")
        if not sep or k not in KEYS:
            raise ConfigError(
                f"--llm {spec!r}: oracle option {part!r}; expected KEY=VALUE with KEY in "
                f"{', '.join(KEYS)}"
            )
        out[k] = v
    return out


def parse_oracle(spec: str) -> OracleSpec:
    """An ``OracleSpec`` from any accepted form; ConfigError names the bad part."""
    s = spec.strip()
    if s == "oracle":
        raw: dict[str, str] = {}
    elif s.startswith("oracle:"):
        raw = _options(s[len("oracle:") :], spec)
    elif m := _BRACKET.match(s):
        raw = _options(m.group("opts"), spec)
    else:
        raise ConfigError(f"--llm {spec!r}: expected oracle, oracle:KEY=V,... or oracle[KEY=V,...]")
    try:
        noise = float(raw.get("noise", 0.0))
        seed = int(raw.get("seed", 0))
        flip = float(raw.get("flip", 0.0))
    except ValueError as e:
        raise ConfigError(
            f"--llm {spec!r}: noise and flip must be numbers, seed an integer ({e})"
        ) from None
    if noise < 0 or not 0.0 <= flip <= 1.0:
        raise ConfigError(f"--llm {spec!r}: noise must be >= 0 and flip in [0, 1]")
    return OracleSpec(noise, seed, flip, raw.get("qrels"), raw.get("task"), raw.get("tree"))


def is_oracle(spec: object) -> bool:
    """True for an oracle spec, direct or as the model name of an OpenAI-compatible endpoint."""
    return isinstance(spec, str) and oracle_part(spec) is not None


def oracle_part(spec: str) -> str | None:
    """The oracle spec inside ``spec`` (itself, or the model of ``openai:MODEL@URL``), else None."""
    s = spec.strip()
    if s.startswith("openai:"):
        s = s[len("openai:") :].split("@", 1)[0]
    if s == "oracle" or s.startswith("oracle:") or s.startswith("oracle["):
        return s
    return None


def label_value(key: str, value: object) -> object:
    """How an option shows in a system's name: an oracle ``llm`` as its canonical label."""
    if (key == "llm" or key.endswith(".llm")) and isinstance(value, str):
        part = oracle_part(value)
        if part is not None:
            try:
                return parse_oracle(part).name
            except ConfigError:
                return value
    return value
