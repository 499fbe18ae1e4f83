"""Guards on what users hand us, checked in process (the probe tests run them end to end):
stored names stay inside their folder, grades out of range name the line, the registry scan is
complete under threads, gzip is recognised by its magic bytes whatever the file is called."""

from __future__ import annotations

import gzip
import threading
import time
from typing import TYPE_CHECKING

import pytest

from ir_harness.data.formats import MAX_GRADE, read_trec_qrels, read_trec_run
from ir_harness.errors import ConfigError, DataFormatError
from ir_harness.registry import Registry
from ir_harness.store.results import check_name, result_dir

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize("name", [".", "..", "", "  ", ".x", "../x", "a/../b", "/", "a//b"])
def test_unusable_names_are_refused(name: str) -> None:
    with pytest.raises(ConfigError, match="plain name"):
        check_name(name)


@pytest.mark.parametrize("system", [".", "..", ".hidden", ""])
def test_result_dir_never_leaves_the_task_folder(tmp_path: Path, system: str) -> None:
    with pytest.raises(ConfigError):
        result_dir(tmp_path, "demo", system)


def test_result_dir_of_a_plain_name(tmp_path: Path) -> None:
    assert result_dir(tmp_path, "demo", "team/x") == tmp_path / "demo" / "team__x"


@pytest.mark.parametrize("grade", [str(MAX_GRADE + 1), "1e20", "-1e20"])
@pytest.mark.parametrize("tabbed", [False, True], ids=["fast", "slow"])
def test_grade_out_of_range_names_the_line(tmp_path: Path, grade: str, tabbed: bool) -> None:
    p = tmp_path / "q.txt"
    last = "q3\t0\td3\t1\n" if tabbed else "q3 0 d3 1\n"
    p.write_text(f"q1 0 d1 1\nq1 0 d2 {grade}\n{last}")
    with pytest.raises(DataFormatError, match=r"q\.txt:2.*out of range"):
        read_trec_qrels(p)


def test_largest_grade_is_the_same_on_both_paths(tmp_path: Path) -> None:
    fast, slow = tmp_path / "fast", tmp_path / "slow"
    fast.write_text(f"q1 0 d1 {MAX_GRADE}\nq2 0 d2 1\n")
    slow.write_text(f"q1 0 d1 {MAX_GRADE}\nq2\t0\td2\t1\n")
    assert (
        read_trec_qrels(fast) == read_trec_qrels(slow) == {"q1": {"d1": MAX_GRADE}, "q2": {"d2": 1}}
    )


def test_registry_scan_is_complete_for_every_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """A slow entry-point scan: threads arriving meanwhile wait for it instead of seeing an
    empty registry."""
    import ir_harness.plugin_tables as plugin_tables

    class EP:
        name, value = "late", "json:dumps"

    def slow_entry_points(group: str) -> list[EP]:
        time.sleep(0.3)
        return [EP()]

    monkeypatch.setattr(plugin_tables, "entry_points", slow_entry_points)
    r: Registry[object] = Registry("thing", "x.group")
    seen: list[list[str]] = []
    threads = [threading.Thread(target=lambda: seen.append(r.names())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == [["late"]] * 4


@pytest.mark.parametrize("name", ["run.GZ", "run", "run.gzip"])
def test_gzip_by_magic_bytes(tmp_path: Path, name: str) -> None:
    p = tmp_path / name
    p.write_bytes(gzip.compress(b"q1 Q0 d1 1 2.0 t\nq1 Q0 d2 2 1.0 t\n"))
    assert read_trec_run(p) == {"q1": {"d1": 2.0, "d2": 1.0}}
