"""Readers of the official formats: golden parses and one clear error per malformed input."""

from __future__ import annotations

import gzip
from typing import TYPE_CHECKING

import pytest

from harness.errors import DataFormatError
from harness.io import (
    atomic_write_text,
    decode_id,
    encode_id,
    format_trec_run,
    read_beir_tsv_qrels,
    read_jsonl_corpus,
    read_jsonl_qrels,
    read_jsonl_queries,
    read_trec_qrels,
    read_trec_run,
    read_tsv_corpus,
)

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


def test_ids_with_spaces_survive_trec_files(tmp_path: Path) -> None:
    ids = ["Geneva Durben", "50%", "tab\there"]
    for i in ids:
        assert decode_id(encode_id(i)) == i
        assert " " not in encode_id(i)
    text = format_trec_run({"query 1": {"Geneva Durben": 1.0}}, "t")
    assert read_trec_run(write(tmp_path, "r", text)) == {"query 1": {"Geneva Durben": 1.0}}


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
        (read_beir_tsv_qrels, "test.tsv", "query-id\tcorpus-id\tscore\nq\td\n", 2, "2 fields"),
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


def test_public_line_readers_name_the_line(tmp_path: Path) -> None:
    from harness.io import json_lines, text_lines

    p = tmp_path / "x.jsonl"
    p.write_text('{"a": 1}\n\n[2]\n', encoding="utf-8")
    assert list(text_lines(p)) == [(1, '{"a": 1}'), (3, "[2]")]
    rows = json_lines(p)
    assert next(rows) == (1, {"a": 1})
    with pytest.raises(DataFormatError, match=r"x.jsonl:3.*JSON value is a list"):
        next(rows)
