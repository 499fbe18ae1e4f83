"""Bad files, options and paths given to ``run``, ``eval``, ``compare`` and ``build-tree``: each
exits 2 with one line naming the file, line or option, and never a traceback (13.7, 13.8, 13.11)."""

from __future__ import annotations

import gzip
import json
import os
import pickle
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from tests.probe.helpers import assert_clean_error, harness, tree_digest

GOOD_RUN = "q1 Q0 d1 1 2.0 t\nq1 Q0 d2 2 1.0 t\nq2 Q0 d2 1 2.0 t\nq3 Q0 d3 1 1.0 t\n"


def _eval(path: Path, *extra: str):  # type: ignore[no-untyped-def]
    return harness("eval", str(path), "-t", "tiny", *extra)


# ---------------------------------------------------------------- run files given to eval
RUN_FILES: dict[str, tuple[object, tuple[str, ...]]] = {
    "missing": (None, ("no such file",)),
    "directory": ("DIR", ("is a folder",)),
    "fake-gzip": (gzip, ("not a valid gzip",)),
    "truncated-gzip": ("TRUNC", ("not a valid gzip",)),
    "empty": ("", ("holds no rankings",)),
    "only-blank-lines": ("\n\n  \n", ("holds no rankings",)),
    "all-ids-unknown": ("x1 Q0 d1 1 1.0 t\nx2 Q0 d2 1 1.0 t\n", ("none of its 2 query ids",)),
    "five-fields": ("q1 Q0 d1 1 1.0\n", (":1", "6 fields")),
    "nan-score": ("q1 Q0 d1 1 2.0 t\nq1 Q0 d2 2 nan t\n", (":2", "finite")),
    "inf-score": ("q1 Q0 d1 1 inf t\n", (":1", "finite")),
    "neg-inf-score": ("q1 Q0 d1 1 -Infinity t\n", (":1", "finite")),
    "text-score": ("q1 Q0 d1 1 high t\n", (":1", "not a number")),
    "duplicate-doc": ("q1 Q0 d1 1 2.0 t\nq1 Q0 d1 2 1.0 t\n", (":2", "twice")),
}


@pytest.mark.parametrize("content,names", RUN_FILES.values(), ids=RUN_FILES.keys())
def test_bad_run_file(content: object, names: tuple[str, ...], tmp_path: Path) -> None:
    path = tmp_path / "run.trec"
    if content == "DIR":
        path.mkdir()
    elif content is gzip:
        path = tmp_path / "run.trec.gz"
        path.write_text(GOOD_RUN)
    elif content == "TRUNC":
        path = tmp_path / "run.trec.gz"
        path.write_bytes(gzip.compress(GOOD_RUN.encode() * 50)[:60])
    elif isinstance(content, str):
        path.write_text(content)
    assert_clean_error(_eval(path), str(path.name), *names)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_run_file(tmp_path: Path) -> None:
    path = tmp_path / "run.trec"
    path.write_text(GOOD_RUN)
    path.chmod(0)
    assert_clean_error(_eval(path), str(path), "not readable")


def test_partly_unknown_ids_warn_with_counts(tmp_path: Path) -> None:
    path = tmp_path / "run.trec"
    path.write_text("q1 Q0 d1 1 2.0 t\nzz Q0 d1 1 2.0 t\n")
    a = _eval(path, "--json")
    assert a.rc == 0 and "Traceback" not in a.err
    assert "1 of 2 query ids" in a.err and "2 of 3 judged queries are missing" in a.err, a.err
    cov = json.loads(a.out)["coverage"]
    assert cov["run_queries_unknown"] == 1 and cov["judged_queries_missing_from_run"] == 2


QRELS: dict[str, tuple[str | None, str]] = {
    "missing": (None, "no such file"),
    "header-only": ("", "holds no judgements"),
    "other-ids": ("zz 0 d9 1\n", "labels none"),
    "three-fields": ("q1 d1 1\n", ":1"),
}


@pytest.mark.parametrize("content,name", QRELS.values(), ids=QRELS.keys())
def test_bad_qrels_from(content: str | None, name: str, tmp_path: Path) -> None:
    run = tmp_path / "run.trec"
    run.write_text(GOOD_RUN)
    q = tmp_path / "judge.qrels"
    if content is not None:
        q.write_text(content)
    assert_clean_error(_eval(run, "--qrels-from", str(q)), "judge.qrels", name)


# ---------------------------------------------------------------- run: options and folders
def _run(tmp_path: Path, *args: str, **env: str):  # type: ignore[no-untyped-def]
    return harness("run", "-t", "tiny", "--device", "cpu", "--quiet", *args, **env)


@pytest.mark.parametrize(
    "option,names",
    [
        ("k1=abc", ("k1", "not a number")),
        ("k1=-5", ("k1", "out of range")),
        ("b=1.5", ("b=1.5", "out of range")),
        ("threads=0", ("threads", "out of range")),
        ("nonsense=1", ("nonsense", "not accepted")),
    ],
)
def test_bm25_options_are_checked_before_any_work(
    option: str, names: tuple[str, ...], tmp_path: Path
) -> None:
    a = _run(tmp_path, "-s", "bm25", "--results", str(tmp_path / "r"), "-o", option)
    assert_clean_error(a, *names)
    assert "INFO" not in a.err  # failed before the JVM started
    assert not (tmp_path / "r" / "tiny").exists()


def test_system_returning_nothing_is_an_error_not_a_zero(tmp_path: Path) -> None:
    a = _run(tmp_path, "-s", "empty", "--results", str(tmp_path / "r"))
    assert_clean_error(a, "system empty", "no documents for any of the 3 queries")
    assert not (tmp_path / "r" / "tiny").exists()


def test_results_is_a_file(tmp_path: Path) -> None:
    f = tmp_path / "results"
    f.write_text("keep")
    assert_clean_error(_run(tmp_path, "-s", "overlap", "--results", str(f)), str(f), "is a file")
    assert f.read_text() == "keep"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_results_read_only(tmp_path: Path) -> None:
    r = tmp_path / "results"
    r.mkdir()
    r.chmod(0o500)
    assert_clean_error(_run(tmp_path, "-s", "overlap", "--results", str(r)), "not writable")


def test_cache_dir_is_a_file(tmp_path: Path) -> None:
    f = tmp_path / "cache"
    f.write_text("x")
    a = _run(tmp_path, "-s", "overlap", "--results", str(tmp_path / "r"), HARNESS_CACHE_DIR=str(f))
    assert_clean_error(a, str(f), "HARNESS_CACHE_DIR")


def test_run_qrels_from_missing(tmp_path: Path) -> None:
    q = tmp_path / "nope.qrels"
    a = _run(tmp_path, "-s", "overlap", "--results", str(tmp_path / "r"), "--qrels-from", str(q))
    assert_clean_error(a, str(q), "--qrels-from")


@pytest.mark.parametrize("task", ["beir/../x", "beir/./x", "beir//x", "beir/a/../../x"])
def test_task_cannot_escape_data_dir(task: str, tmp_path: Path) -> None:
    a = harness("run", "-s", "overlap", "-t", task, "--data-dir", str(tmp_path))
    assert_clean_error(a, task, "--data-dir")


BEIR_FAULTS = {
    "no-corpus": ("corpus.jsonl", None, "corpus.jsonl"),
    "no-queries": ("queries.jsonl", None, "queries.jsonl"),
    "corpus-bad-json": (
        "corpus.jsonl",
        '{"_id": "d1", "text": "a"}\n{"_id": "d2", \n',
        "corpus.jsonl:2",
    ),
    "corpus-no-id": ("corpus.jsonl", '{"text": "a"}\n', "corpus.jsonl:1"),
    "qrels-bad-grade": (
        "qrels/test.tsv",
        "query-id\tcorpus-id\tscore\nq1\td1\thigh\n",
        "test.tsv:2",
    ),
}


@pytest.mark.parametrize("file,content,names", BEIR_FAULTS.values(), ids=BEIR_FAULTS.keys())
def test_beir_folder_faults(file: str, content: str | None, names: str, tmp_path: Path) -> None:
    d = tmp_path / "data" / "mini"
    (d / "qrels").mkdir(parents=True)
    (d / "corpus.jsonl").write_text('{"_id": "d1", "title": "", "text": "red apples"}\n')
    (d / "queries.jsonl").write_text('{"_id": "q1", "text": "apples"}\n')
    (d / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n")
    if content is None:
        (d / file).unlink()
    else:
        (d / file).write_text(content)
    missing = names
    a = harness(
        "run", "-s", "overlap", "-t", "beir/mini", "--data-dir", str(tmp_path / "data"),
        "--results", str(tmp_path / "r"), "--device", "cpu", "--quiet",
    )  # fmt: skip
    assert "Traceback" not in a.err and a.rc == 2, a.err
    assert missing in a.err, a.err


# ---------------------------------------------------------------- compare
@pytest.mark.parametrize("alpha", ["7", "0", "1", "-0.1"])
def test_compare_alpha_out_of_range(alpha: str, tmp_path: Path) -> None:
    a = harness("compare", "-t", "tiny", "--results", str(tmp_path), "--alpha", alpha)
    assert_clean_error(a, "--alpha")


def test_compare_results_missing(tmp_path: Path) -> None:
    assert_clean_error(harness("compare", "-t", "tiny", "--results", str(tmp_path / "x")), "x")


def test_compare_needs_two_results(tmp_path: Path) -> None:
    assert_clean_error(harness("compare", "-t", "tiny", "--results", str(tmp_path)), "at least two")


def test_bad_input_never_touches_a_stored_result(tmp_path: Path) -> None:
    """After a good run, a run with bad options/qrels leaves the stored result byte-identical."""
    r = tmp_path / "r"
    ok = _run(tmp_path, "-s", "overlap", "--results", str(r))
    assert ok.rc == 0, ok.err
    before = tree_digest(r)
    empty = tmp_path / "empty.qrels"
    empty.write_text("")
    for extra in (("-o", "k1=abc"), ("--qrels-from", str(empty)), ("--batch-size", "0")):
        a = _run(tmp_path, "-s", "overlap", "--results", str(r), *extra)
        assert a.rc == 2 and "Traceback" not in a.err, a.err
    assert tree_digest(r) == before


# ---------------------------------------------------------------- LATTICE tree pickles
def _deep(n: int) -> dict[str, object]:
    node: dict[str, object] = {"id": "leaf", "child": []}
    for i in range(n):
        node = {"id": f"n{i}", "desc": "", "child": [node]}
    return node


def _cyclic() -> dict[str, object]:
    a: dict[str, object] = {"id": "a", "child": []}
    b = {"id": "b", "child": [a]}
    a["child"] = [b]
    return {"id": "root", "child": [a]}


def _dumps_deep(obj: object) -> bytes:
    """``pickle.dumps`` of a deeply nested object, in a thread with a 512 MiB stack: on the
    test runner's own stack a 5,000-deep tree can overflow the C stack and kill the process."""
    out: dict[str, bytes] = {}
    old_limit, old_stack = sys.getrecursionlimit(), threading.stack_size()
    sys.setrecursionlimit(50000)
    threading.stack_size(512 * 1024 * 1024)
    try:
        t = threading.Thread(target=lambda: out.update(data=pickle.dumps(obj)))
        t.start()
        t.join()
    finally:
        threading.stack_size(old_stack)
        sys.setrecursionlimit(old_limit)
    return out["data"]


TREES = {
    "5000-deep": (lambda: _deep(5000), "deeper than"),
    "cyclic": (_cyclic, "cycle"),
    "float-array-id": (lambda: {"id": np.array([1.5, 2.5]), "child": []}, "ndarray"),
    "float-id": (lambda: {"id": np.float64(1.5), "child": []}, "float"),
    "children-not-list": (lambda: {"id": 1, "child": 5}, "not a list"),
    "not-a-pickle": (lambda: b"garbage", "not a LATTICE tree pickle"),
    "truncated": (lambda: pickle.dumps(_deep(3))[:-5], "not a LATTICE tree pickle"),
    "foreign-global": (lambda: pickle.dumps(Path("x")), "refusing to load"),
}


@pytest.mark.parametrize("make,name", TREES.values(), ids=TREES.keys())
def test_bad_tree_pickle(make, name: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    obj = make()
    p = tmp_path / "tree.pkl"
    p.write_bytes(obj if isinstance(obj, bytes) else _dumps_deep(obj))
    out = tmp_path / "tree.json"
    a = harness("build-tree", "--from-pickle", str(p), "--trust-pickle", "--out", str(out))
    assert_clean_error(a, str(p), name)
    assert not out.exists()


def test_untrusted_pickle_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "tree.pkl"
    p.write_bytes(pickle.dumps(_deep(2)))
    a = harness("build-tree", "--from-pickle", str(p), "--out", str(tmp_path / "t.json"))
    assert_clean_error(a, "--trust-pickle")
