"""``leaderboard build`` and ``compare`` against typos, damaged results and links."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from tests.leaderboard.helpers import values, write_fake_result
from tests.probe.helpers import assert_clean_error, harness, tree_digest

if TYPE_CHECKING:
    from pathlib import Path


def _store(root: Path) -> Path:
    r = root / "results"
    for system, seed in (("lex", 1), ("den", 2), ("rer", 3)):
        write_fake_result(r, "solo", system, {"ndcg@10": values(seed)})
    return r


@pytest.fixture
def site(tmp_path: Path) -> tuple[Path, Path]:
    results = _store(tmp_path)
    out = tmp_path / "site"
    a = harness("leaderboard", "build", "--results", str(results), "--out", str(out))
    assert a.rc == 0, a.err
    return results, out


@pytest.mark.parametrize("kind", ["missing", "empty", "file"])
def test_bad_results_folder_leaves_site_byte_identical(
    kind: str, site: tuple[Path, Path], tmp_path: Path
) -> None:
    _, out = site
    before = tree_digest(out)
    bad = tmp_path / "resluts"
    if kind == "empty":
        bad.mkdir()
    elif kind == "file":
        bad.write_text("x")
    a = harness("leaderboard", "build", "--results", str(bad), "--out", str(out))
    assert_clean_error(a, str(bad))
    assert tree_digest(out) == before


def test_out_is_a_file(site: tuple[Path, Path], tmp_path: Path) -> None:
    results, _ = site
    f = tmp_path / "notes.txt"
    f.write_text("keep")
    assert_clean_error(
        harness("leaderboard", "build", "--results", str(results), "--out", str(f)), str(f)
    )
    assert f.read_text() == "keep"


def test_foreign_out_folder_is_refused(site: tuple[Path, Path], tmp_path: Path) -> None:
    results, _ = site
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "a.txt").write_text("keep")
    a = harness("leaderboard", "build", "--results", str(results), "--out", str(mine))
    assert_clean_error(a, "not a leaderboard site")
    assert (mine / "a.txt").read_text() == "keep"


@pytest.mark.parametrize("damage", ["garbage", "empty", "wrong-schema", "no-metadata"])
def test_corrupt_result_is_skipped_naming_its_folder(
    damage: str, site: tuple[Path, Path], tmp_path: Path
) -> None:
    results, out = site
    bad = results / "solo" / "rer"
    if damage == "garbage":
        (bad / "metrics.json").write_text("{not json")
    elif damage == "empty":
        (bad / "metrics.json").write_text("")
    elif damage == "wrong-schema":
        (bad / "metrics.json").write_text('{"task": 3}')
    else:
        (bad / "metadata.json").unlink()
    a = harness("leaderboard", "build", "--results", str(results), "--out", str(out))
    assert a.rc == 0 and "Traceback" not in a.err and str(bad) in a.err, a.err
    assert not (out / "files" / "solo" / "rer").exists()
    c = harness("compare", "-t", "solo", "--results", str(results), "--json")
    assert c.rc == 0 and "Traceback" not in c.err and str(bad) in c.err, c.err
    assert '"rer"' not in c.out


def test_symlink_in_result_is_not_followed(site: tuple[Path, Path], tmp_path: Path) -> None:
    results, out = site
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0")
    os.symlink(secret, results / "solo" / "lex" / "passwd")
    os.symlink(tmp_path, results / "solo" / "lex" / "up")
    a = harness("leaderboard", "build", "--results", str(results), "--out", str(out))
    assert a.rc == 0, a.err
    copied = [p for p in out.rglob("*") if p.is_file() and "root:x" in p.read_text(errors="ignore")]
    assert copied == []
    assert not (out / "files" / "solo" / "lex" / "passwd").exists()
    assert "passwd" not in (out / "summary.json").read_text()


def test_result_folder_linking_outside_results_is_skipped(
    site: tuple[Path, Path], tmp_path: Path
) -> None:
    results, out = site
    elsewhere = _store(tmp_path / "elsewhere") / "solo" / "den"
    os.symlink(elsewhere, results / "solo" / "ext")
    a = harness("leaderboard", "build", "--results", str(results), "--out", str(out))
    assert a.rc == 0 and "links outside" in a.err, a.err
    assert not (out / "files" / "solo" / "ext").exists()


def test_html_in_names_is_escaped(tmp_path: Path) -> None:
    r = tmp_path / "results"
    write_fake_result(r, "solo", "<script>alert(1)</script>", {"ndcg@10": values(1)})
    write_fake_result(r, "solo", "b", {"ndcg@10": values(2)})
    a = harness("leaderboard", "build", "--results", str(r), "--out", str(tmp_path / "s"))
    assert a.rc == 0, a.err
    pages = "".join(p.read_text() for p in (tmp_path / "s").glob("*.html"))
    assert "<script>alert(1)</script>" not in pages
