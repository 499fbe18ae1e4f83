"""File-system edges of what the harness writes: a link the user made stays a link."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

from tests.leaderboard.helpers import values, write_fake_result
from tests.probe.helpers import harness

if TYPE_CHECKING:
    from pathlib import Path


def test_a_symlinked_out_keeps_the_link_and_gets_the_site_in_its_target(tmp_path: Path) -> None:
    """``--out public`` where ``public -> sites/v1`` (a site already there): the new site is
    written into ``sites/v1``, ``public`` is still the same link, and nothing hidden is left in
    either folder."""
    results = tmp_path / "results"
    write_fake_result(results, "solo", "lex", {"ndcg@10": values(1)})
    sites = tmp_path / "sites"
    target = sites / "v1"
    first = harness("leaderboard", "build", "--results", str(results), "--out", str(target))
    assert first.rc == 0, first.err
    www = tmp_path / "www"
    www.mkdir()
    link = www / "public"
    os.symlink(target, link)
    write_fake_result(results, "solo", "den", {"ndcg@10": values(2)})

    a = harness("leaderboard", "build", "--results", str(results), "--out", str(link))
    assert a.rc == 0, a.err
    assert link.is_symlink() and os.readlink(link) == str(target)
    summary = json.loads((target / "summary.json").read_text())
    assert sorted(r["system"] for t in summary["tasks"] for r in t["results"]) == ["den", "lex"]
    assert sorted(p.name for p in www.iterdir()) == ["public"]
    assert sorted(p.name for p in sites.iterdir()) == ["v1"]
