"""Readers of the official formats: golden parses and one clear error per malformed input."""

from __future__ import annotations

import gzip
from typing import TYPE_CHECKING

import pytest

from ir_harness.data.formats import (
    atomic_write_text,
    encode_id,
    format_trec_run,
    read_jsonl_corpus,
    read_jsonl_qrels,
    read_jsonl_queries,
    read_trec_qrels,
    read_trec_run,
    read_tsv_corpus,
    read_tsv_qrels,
)
from ir_harness.errors import DataFormatError

if TYPE_CHECKING:
    from pathlib import Path


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_trec_qrels_and_run_golden(tmp_path: Path) -> None:
    q = read_trec_qrels(write(tmp_path, "q.txt", "1 0 d1 2\n1 0 d2 0\n2 Q0 d3 1\n"))
    assert q == {"1": {"d1": 2, "d2": 0}, "2": {"d3": 1}}
    r = read_trec_run(
        write(tmp_path, "r.txt", "1 Q0 d1 1 3.5 t\n1 Q0 d2 2 -1e-3 t\n\n2 Q0 d3 1 7 t\n")
    )
    assert r == {"1": {"d1": 3.5, "d2": -0.001}, "2": {"d3": 7.0}}


def test_gzip_is_read_transparently(tmp_path: Path) -> None:
    p = tmp_path / "q.txt.gz"
    with gzip.open(p, "wt") as f:
        f.write("1 0 d1 1\n")
    assert read_trec_qrels(p) == {"1": {"d1": 1}}


def test_run_round_trip_orders_like_trec_eval(tmp_path: Path) -> None:
    text = format_trec_run({"q": {"a": 1.0, "b": 2.0, "c": 1.0}}, "tag")
    # score desc, ties by doc id descending (trec_eval's order); ranks follow that order
    assert text.splitlines() == ["q Q0 b 1 2 tag", "q Q0 c 2 1 tag", "q Q0 a 3 1 tag"]
    assert read_trec_run(write(tmp_path, "r", text)) == {"q": {"a": 1.0, "b": 2.0, "c": 1.0}}


def test_only_ids_with_whitespace_are_encoded_and_nothing_is_decoded(tmp_path: Path) -> None:
    assert encode_id("50%") == "50%"  # written as is: trec_eval reads the same id
    assert encode_id("Geneva Durben") == "Geneva%20Durben"
    assert encode_id("tab\there 5%") == "tab%09here%205%25"
    text = format_trec_run({"query 1": {"Geneva Durben": 1.0, "a%20b": 0.5}}, "t")
    assert read_trec_run(write(tmp_path, "r", text)) == {
        "query%201": {"Geneva%20Durben": 1.0, "a%20b": 0.5}
    }


@pytest.mark.parametrize(
    ("reader", "name", "text", "line", "needle"),
    [
        (read_trec_qrels, "qrels.txt", "1 0 d1 1\n1 0 d2\n", 2, "3 fields"),
        (read_trec_qrels, "qrels.txt", "1 0 d1 high\n", 1, "not a number"),
        (read_trec_qrels, "qrels.txt", "1 0 d1 1\n1 0 d1 2\n", 2, "judged twice"),
        (read_trec_run, "run.txt", "1 Q0 d1 1 1.0 t\n1 Q0 d2 2 abc t\n", 2, "not a number"),
        (read_trec_run, "run.txt", "1 Q0 d1 1 1.0 t\n1 Q0 d1 2 0.5 t\n", 2, "appears twice"),
        (read_trec_run, "run.txt", "1 Q0 d1 1 1.0\n", 1, "5 fields"),
        (read_trec_run, "run.txt", "1 Q0 d1 1 nan t\n", 1, "NaN"),
        (read_trec_run, "run.txt", "1 Q0 d1 1 2.0 t\n1 Q0 d2 2 -inf t\n", 2, "infinite"),
        (
            read_jsonl_corpus,
            "corpus.jsonl",
            '{"_id": "a", "text": "x"}\n{not json}\n',
            2,
            "not valid JSON",
        ),
        (
            read_jsonl_corpus,
            "corpus.jsonl",
            '{"_id": "a", "text": "x"}\n{"_id": "a", "text": "y"}\n',
            2,
            "duplicate document id",
        ),
        (read_jsonl_corpus, "corpus.jsonl", '{"_id": "a"}\n', 1, "missing field 'text'"),
        (read_jsonl_corpus, "corpus.jsonl", "[1, 2]\n", 1, "a JSON object"),
        (
            read_jsonl_queries,
            "queries.jsonl",
            '{"_id": "q", "text": "x"}\n{"_id": "q", "text": "y"}\n',
            2,
            "duplicate query id",
        ),
        (read_tsv_corpus, "corpus.tsv", "a\tx\nb no tab\n", 2, "no tab"),
        (read_tsv_qrels, "test.tsv", "query-id\tcorpus-id\tscore\nq\td\n", 2, "2 fields"),
        (
            read_jsonl_qrels,
            "qrels.jsonl",
            '{"query-id": "q", "corpus-id": "d", "score": 1.5}\n',
            1,
            "not an integer",
        ),
    ],
)
def test_malformed_inputs_name_file_and_line(
    tmp_path: Path, reader, name, text, line, needle
) -> None:  # type: ignore[no-untyped-def]
    p = write(tmp_path, name, text)
    with pytest.raises(DataFormatError) as e:
        reader(p)
    assert e.value.path == str(p)
    assert e.value.line == line
    assert needle in str(e.value)
    assert f"{p}:{line}" in str(e.value)


def test_beir_corpus_text_is_title_plus_text(tmp_path: Path) -> None:
    c = read_jsonl_corpus(
        write(
            tmp_path,
            "c.jsonl",
            '{"_id": "d", "title": "T", "text": "body"}\n{"_id": "e", "title": "", "text": "only"}\n',
        )
    )
    assert c["d"].full_text == "T body"
    assert c["e"].full_text == "only"


def test_atomic_write_keeps_old_file_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = tmp_path / "out.txt"
    atomic_write_text(p, "old")
    import os

    def boom(*a: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        atomic_write_text(p, "new")
    assert p.read_text() == "old"
    assert [f.name for f in tmp_path.iterdir()] == ["out.txt"]


# ---------------------------------------------------------------- encodings

BOM = "\ufeff"


@pytest.mark.parametrize(
    ("reader", "name", "text", "expected"),
    [
        (
            read_trec_run,
            "run.txt",
            "q1 Q0 d1 1 2.5 t\nq2 Q0 d2 1 1 t\n",
            {"q1": {"d1": 2.5}, "q2": {"d2": 1.0}},
        ),
        (read_trec_qrels, "qrels.txt", "q1 0 d1 1\n", {"q1": {"d1": 1}}),
        (
            read_tsv_qrels,
            "test.tsv",
            "query-id\tcorpus-id\tscore\nq1\td1\t1\n",
            {"q1": {"d1": 1}},
        ),
        (read_jsonl_queries, "queries.jsonl", '{"_id": "q1", "text": "x"}\n', {"q1": "x"}),
        (
            read_jsonl_qrels,
            "qrels.jsonl",
            '{"query-id": "q1", "corpus-id": "d1", "score": 1}\n',
            {"q1": {"d1": 1}},
        ),
    ],
)
def test_utf8_bom_is_not_part_of_the_first_id(tmp_path: Path, reader, name, text, expected) -> None:  # type: ignore[no-untyped-def]
    """A BOM used to become part of the first query id, silently changing its score."""
    assert reader(write(tmp_path, name, BOM + text)) == expected


def test_utf8_bom_in_gzip_and_tsv_corpus(tmp_path: Path) -> None:
    p = tmp_path / "corpus.tsv.gz"
    with gzip.open(p, "wb") as f:
        f.write((BOM + "d1\thello\n").encode())
    assert read_tsv_corpus(p).ids() == ["d1"]


def test_bom_run_scores_like_the_plain_run(tmp_path: Path) -> None:
    from ir_harness.data.spec import TaskSpec
    from ir_harness.eval.metrics import evaluate

    text = "q1 Q0 d1 1 2 t\nq1 Q0 d2 2 1 t\n"
    qrels = {"q1": {"d1": 1}}
    spec = TaskSpec(name="t", family="t", metrics=("ndcg@10",), main_metric="ndcg@10")
    plain = evaluate(read_trec_run(write(tmp_path, "a", text)), qrels, spec)
    bom = evaluate(read_trec_run(write(tmp_path, "b", BOM + text)), qrels, spec)
    assert bom.means == plain.means == {"ndcg@10": 1.0}


@pytest.mark.parametrize(
    ("reader", "name", "template"),
    [
        (read_trec_run, "run.txt", "q1 Q0 d{i} 1 2 t\n"),
        (read_trec_qrels, "qrels.txt", "q1 0 d{i} 1\n"),
        (read_jsonl_corpus, "corpus.jsonl", '{{"_id": "d{i}", "text": "x"}}\n'),
        (read_jsonl_queries, "queries.jsonl", '{{"_id": "q{i}", "text": "x"}}\n'),
        (read_tsv_corpus, "corpus.tsv", "d{i}\tx\n"),
    ],
)
def test_non_utf8_bytes_name_file_and_line(tmp_path: Path, reader, name, template) -> None:  # type: ignore[no-untyped-def]
    """A latin-1 byte on line 4 is a DataFormatError at that line, not a UnicodeDecodeError."""
    lines = [template.format(i=i).encode() for i in range(5)]
    lines[3] = lines[3].replace(b"d3", b"d\xe9").replace(b"q3", b"q\xe9")
    p = tmp_path / name
    p.write_bytes(b"".join(lines))
    with pytest.raises(DataFormatError) as e:
        reader(p)
    assert (e.value.path, e.value.line) == (str(p), 4)
    assert "not UTF-8" in str(e.value)


def test_columnar_run_reader_imports_no_pandas(tmp_path) -> None:
    """pyarrow's ``to_numpy`` imports pandas (0.4 s per cold ``harness eval``): we read buffers."""
    import subprocess
    import sys

    run = tmp_path / "run.trec"
    run.write_text("q1 Q0 d%201 1 2.5 x\nq1 Q0 d2 2 1.5 x\nq2 Q0 d2 1 0.5 x\n", encoding="utf-8")
    code = (
        "import sys; from ir_harness.data.formats import read_trec_run_table as r; t = r(sys.argv[1]); "
        "print(sorted(t.to_dict().items()), 'pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(run)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ("[('q1', {'d%201': 2.5, 'd2': 1.5}), ('q2', {'d2': 0.5})] False")


def test_public_line_readers_name_the_line(tmp_path: Path) -> None:
    from ir_harness.data.formats import json_lines, text_lines

    p = tmp_path / "x.jsonl"
    p.write_text('{"a": 1}\n\n[2]\n', encoding="utf-8")
    assert list(text_lines(p)) == [(1, '{"a": 1}'), (3, "[2]")]
    rows = json_lines(p)
    assert next(rows) == (1, {"a": 1})
    with pytest.raises(DataFormatError, match=r"x.jsonl:3.*JSON value is a list"):
        next(rows)
