"""The site publishes only the files the harness wrote, under names a browser never runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.leaderboard.helpers import chromium_page, values, write_fake_result
from tests.probe.helpers import harness

if TYPE_CHECKING:
    from pathlib import Path

PAYLOAD = '<script>document.title="PWNED"</script>'
SVG = f'<svg xmlns="http://www.w3.org/2000/svg">{PAYLOAD}</svg>'


def test_user_files_in_a_result_are_never_published_or_run(tmp_path: Path) -> None:
    r = tmp_path / "results"
    lex = write_fake_result(r, "demo", "lexical", {"ndcg@10": values(1)})
    bare = write_fake_result(r, "demo", "dense", {"ndcg@10": values(2)})
    (bare / "run.trec").unlink()  # no run file: a user's page must not become the "run" link
    for folder in (lex, bare):
        (folder / "notes.html").write_text(PAYLOAD)
        (folder / "plot.svg").write_text(SVG)
    (lex / "run.trec").write_text(f"{PAYLOAD} Q0 d1 1 1.0 t\n")  # an id that looks like a page
    out = tmp_path / "site"
    a = harness("leaderboard", "build", "--results", str(r), "--out", str(out))
    assert a.rc == 0, a.err
    published = sorted(p.name for p in (out / "files").rglob("*") if p.is_file())
    assert "notes.html" not in published and "plot.svg" not in published, published
    pages = "".join(p.read_text() for p in out.glob("*.html"))
    assert "notes.html" not in pages and "plot.svg" not in pages
    with chromium_page() as b:
        for f in sorted((out / "files").rglob("*")):
            if f.is_file():
                b.page.goto(f.as_uri())
                assert b.page.title() != "PWNED", f
        for f in (lex / "notes.html", lex / "plot.svg"):  # the probe's payload does run raw
            b.page.goto(f.as_uri())
            assert b.page.title() == "PWNED", f
