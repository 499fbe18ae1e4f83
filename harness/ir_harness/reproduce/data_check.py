"""Is the data at hand the data a stored result was scored on?

A reproduction on other data is not a reproduction: a difference found there says nothing about
the system. These checks compare what the result recorded (corpus content hash and query count
in its config; sources' sha256, the queries' and qrels' sha256 in its data identity, where it
recorded them) with the data at hand, and name the first file that differs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ir_harness.errors import HarnessError

if TYPE_CHECKING:
    from ir_harness.store.results import RunMetadata


class DataMismatchError(HarnessError):
    """The data at hand is not the data the stored result was made from."""


def _short(h: object) -> str:
    return str(h)[:12] if h else "(not recorded)"


def data_differences(
    stored: RunMetadata, config: dict[str, Any], data: dict[str, Any]
) -> list[str]:
    """One line per recorded identity that ``config``/``data`` (of the data at hand) contradict;
    identities the stored result did not record are not compared."""
    out = []
    old_cfg, source = stored.config, stored.data_source or "the task's data"
    if old_cfg.get("corpus_hash") and config.get("corpus_hash") != old_cfg["corpus_hash"]:
        out.append(
            f"corpus ({source}): content hash {_short(old_cfg['corpus_hash'])} recorded, "
            f"{_short(config.get('corpus_hash'))} at hand"
        )
    if old_cfg.get("n_queries") is not None and config.get("n_queries") != old_cfg["n_queries"]:
        out.append(
            f"queries ({source}): {old_cfg['n_queries']} recorded, {config.get('n_queries')} at hand"
        )
    for key, what in (("queries_sha256", "queries"), ("qrels_sha256", "qrels")):
        old = stored.data.get(key)
        if old and data.get(key) and data[key] != old:
            out.append(
                f"{what} ({source}): sha256 {_short(old)} recorded, {_short(data[key])} at hand"
            )
    new_sources = {
        (s.get("kind"), s.get("location"), Path(s.get("root", "")).name): s
        for s in data.get("sources", [])
    }
    for s in stored.data.get("sources", []):
        if "sha256" not in s:
            continue
        source_key = (s.get("kind"), s.get("location"), Path(s.get("root", "")).name)
        now = new_sources.get(source_key)
        if now is None:
            out.append(f"data folder {s.get('root')} ({s.get('location')}): recorded, not at hand")
        elif now.get("sha256") != s["sha256"]:
            out.append(
                f"data folder {now.get('root')} ({s.get('location')}): sha256 "
                f"{_short(s['sha256'])} recorded, {_short(now.get('sha256'))} at hand"
            )
    return out


def refuse_on_differences(result_dir: Path, differences: list[str]) -> None:
    """Stops a reproduction on other data than the result's: a moved score would mean nothing."""
    if differences:
        raise DataMismatchError(
            f"{result_dir}: refusing to compare, the data at hand is not the data this result "
            f"used: {'; '.join(differences)}"
        )
