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
KEYS = ("noise", "seed", "flip", "qrels", "task", "tree", "sees")


@dataclass(frozen=True)
class OracleSpec:
    """How noisy the oracle is and where its knowledge comes from."""

    noise: float = 0.0  # sigma of Gaussian noise on the latent grade
    seed: int = 0
    flip: float = 0.0  # probability of a uniformly random answer
    qrels: str | None = None  # a TREC qrels file replacing the task's qrels
    task: str | None = None  # the task whose corpus and qrels it knows (default: the run's)
    tree: str | None = None  # an extra tree file whose internal nodes (groups) it knows
    # what it answers from beyond the prompt's text, as the pipeline's systems declare it
    # (``OracleInformed``; e.g. "tree": groups graded by their members): part of the name,
    # since such an oracle is a different bound from one that reads only the prompt
    sees: str | None = None

    @property
    def name(self) -> str:
        """The canonical label ``oracle[noise=N,seed=S]`` (flip, the qrels file's name and sees only
        when set): the same options get the same name whichever spec form or transport gave them."""
        parts = [f"noise={self.noise:g}", f"seed={self.seed}"]
        if self.flip:
            parts.append(f"flip={self.flip:g}")
        if self.qrels:
            parts.append(f"qrels={Path(self.qrels).name}")
        if self.sees:
            parts.append(f"sees={self.sees}")
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
    sees = raw.get("sees") or None
    if sees is not None and not all(w.isidentifier() for w in sees.split("+")):
        raise ConfigError(f"--llm {spec!r}: sees must be names joined by '+', e.g. sees=tree")
    return OracleSpec(noise, seed, flip, raw.get("qrels"), raw.get("task"), raw.get("tree"), sees)


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


def label_value(key: str, value: object, sees: tuple[str, ...] = ()) -> object:
    """How an option shows in a system's name: an oracle ``llm`` as its canonical label, with
    ``sees=`` what the pipeline's systems let the oracle read beyond the prompt (e.g. a tree)."""
    if (key == "llm" or key.endswith(".llm")) and isinstance(value, str):
        part = oracle_part(value)
        if part is not None:
            try:
                s = parse_oracle(part)
            except ConfigError:
                return value
            if sees and not s.sees:
                from dataclasses import replace

                s = replace(s, sees="+".join(sorted(set(sees))))
            return s.name
    return value
