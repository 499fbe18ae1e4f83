"""BRIGHT: name grammar, HF-row conversion, excluded ids and the long-document setting."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from ir_harness.errors import ConfigError, DataFormatError, DataNotFoundError
from ir_harness.eval.metrics import evaluate, prepare_run
from ir_harness.tasks import bright
from ir_harness.tasks.bright import BrightSetting, BrightTask, from_bright_rows, parse_setting

# ---------------------------------------------------------------- names


def test_parse_setting_grammar() -> None:
    assert parse_setting("biology") == BrightSetting("biology")
    assert parse_setting("earth-science") == BrightSetting("earth_science")
    assert parse_setting("Theoremqa-Questions") == BrightSetting("theoremqa_questions")
    assert parse_setting("biology/long") == BrightSetting("biology", long=True)
    assert parse_setting("biology/gpt4") == BrightSetting("biology", "gpt4_reason")
    # suffixes in either order give one canonical name
    a = parse_setting("pony/long/claude-3-opus_reason")
    assert a == parse_setting("pony/claude-3-opus_reason/long")
    assert a.path == "pony/claude-3-opus_reason/long"
    assert parse_setting("biology/gemini-1.0_reason").reason == "Gemini-1.0_reason"


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("", "family"),
        ("chemistry", "unknown subset"),
        ("leetcode/long", "no long documents"),
        ("biology/long/long", "unexpected 'long'"),
        ("biology/gpt5_reason", "unexpected"),
    ],
)
def test_parse_setting_errors(name: str, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        parse_setting(name)


def test_spec_names_settings_and_conventions() -> None:
    t = BrightTask()
    spec = t.spec("earth-science/gpt4_reason")
    assert spec.name == "bright/earth_science/gpt4_reason"
    assert spec.main_metric == "ndcg@10"
    assert {"recall@10", "recall@100"} <= set(spec.metrics)
    assert spec.run_depth == 1000 and spec.average_over == "intersection"
    assert spec.name != t.spec("earth_science").name != t.spec("earth_science/long").name


def test_family_members() -> None:
    t = BrightTask()
    assert t.family_members() == list(bright.SUBSETS) and len(bright.SUBSETS) == 12
    assert t.family_members("gpt4_reason") == [f"{s}/gpt4_reason" for s in bright.SUBSETS]
    long = t.family_members("long")
    assert len(long) == 8 and "pony/long" in long and "aops/long" not in long
    assert t.family_members("biology") == []  # a single task
    for m in t.family_members() + long:
        t.spec(m)


# ---------------------------------------------------------------- rows -> TaskData

ROWS = [
    {
        "id": "0",
        "query": "why do moths fly to lamps?",
        "gold_ids": ["moth_0.txt", "moth_1.txt"],
        "gold_ids_long": ["moth.txt"],
        "excluded_ids": ["N/A"],
    },
    {
        "id": "1",
        "query": "two sum",
        "gold_ids": ["lc_1.txt"],
        "gold_ids_long": ["N/A"],
        "excluded_ids": ["lc_2.txt", "N/A", "lc_3.txt"],
    },
]
DOCS = [{"id": d, "content": f"text of {d}"} for d in ("moth_0.txt", "moth_1.txt", "lc_2.txt")]


def test_from_bright_rows_short_and_long() -> None:
    d = from_bright_rows(ROWS, DOCS, source="inline")
    assert d.queries == {"0": "why do moths fly to lamps?", "1": "two sum"}
    assert d.qrels == {"0": {"moth_0.txt": 1, "moth_1.txt": 1}, "1": {"lc_1.txt": 1}}
    assert d.excluded_ids == {"1": {"lc_2.txt", "lc_3.txt"}}  # "N/A" ignored, "0" has none
    assert d.corpus["lc_2.txt"].full_text == "text of lc_2.txt"
    long = from_bright_rows(ROWS, [], long=True)
    assert long.qrels == {"0": {"moth.txt": 1}}  # "N/A" gold is no judgment


def test_from_bright_rows_rejects_excluded_gold_and_missing_fields() -> None:
    bad = [{**ROWS[1], "excluded_ids": ["lc_1.txt"]}]
    with pytest.raises(DataFormatError, match="excluded ids are also gold"):
        from_bright_rows(bad, [], source="x.jsonl", lines=[7])
    with pytest.raises(DataFormatError, match=r"x.jsonl:7: missing field 'gold_ids_long'"):
        from_bright_rows([{"id": "0", "query": "q"}], [], long=True, source="x.jsonl", lines=[7])
    dup = [{"id": "a", "content": "1"}, {"id": "a", "content": "2"}]
    with pytest.raises(DataFormatError, match="duplicate document id 'a'"):
        from_bright_rows([], dup, doc_source="d.jsonl")


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")


def test_local_reason_set_and_dashed_file_names(tmp_path: Path) -> None:
    reason_rows = [{**r, "query": "REASONED " + r["query"]} for r in ROWS]
    _write_jsonl(tmp_path / "bright/examples/earth-science.jsonl.gz", ROWS)
    _write_jsonl(tmp_path / "bright/gpt4_reason/earth_science.jsonl", reason_rows)
    _write_jsonl(tmp_path / "bright/documents/earth-science.jsonl", DOCS)
    t = BrightTask()
    plain = t.load("earth_science", tmp_path)
    reasoned = t.load("earth_science/gpt4_reason", tmp_path)
    assert plain.queries["1"] == "two sum"
    assert reasoned.queries["1"] == "REASONED two sum"
    assert reasoned.qrels == plain.qrels and reasoned.excluded_ids == plain.excluded_ids
    assert len(plain.corpus) == 3


def test_local_bad_json_line_is_named(tmp_path: Path) -> None:
    _write_jsonl(tmp_path / "bright/examples/biology.jsonl", ROWS)
    p = tmp_path / "bright/documents/biology.jsonl"
    p.parent.mkdir(parents=True)
    p.write_text('{"id": "a", "content": "x"}\n{"id": "b"}\n')
    with pytest.raises(DataFormatError, match=r"biology.jsonl:2: missing field 'content'"):
        BrightTask().load("biology", tmp_path)


def test_missing_documents_falls_back_to_hf_and_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_jsonl(tmp_path / "bright/examples/biology.jsonl", ROWS)

    def offline(s: BrightSetting) -> None:
        raise ConnectionError("no network")

    monkeypatch.setattr(bright, "load_bright_hf", offline)
    with pytest.raises(DataNotFoundError) as e:
        BrightTask().load("biology/long", tmp_path)
    msg = str(e.value)
    assert "bright/long_documents/biology.jsonl.gz" in msg
    assert "xlangai/BRIGHT" in msg and "no network" in msg


# ---------------------------------------------------------------- real records (shared data)


def _real_rows(shared: Path, subset: str) -> list[dict]:
    path = shared / "bright/examples" / f"{subset.replace('_', '-')}.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _data_dir_with_docs(tmp: Path, shared: Path, config: str, subset: str, ids: set[str]) -> Path:
    """A data dir whose examples are the real shared records and whose documents we write."""
    (tmp / "bright").mkdir(parents=True)
    (tmp / "bright/examples").symlink_to(shared / "bright/examples")
    docs = [{"id": i, "content": f"document {i}"} for i in sorted(ids)]
    _write_jsonl(tmp / "bright" / config / f"{subset}.jsonl", docs)
    return tmp


@pytest.mark.shared_data
@pytest.mark.parametrize("subset", ["leetcode", "theoremqa_questions", "aops"])
def test_real_excluded_ids_never_reach_the_scored_ranking(
    shared_data: Path, tmp_path: Path, subset: str
) -> None:
    rows = _real_rows(shared_data, subset)
    gold = {g for r in rows for g in r["gold_ids"]}
    excluded = {x for r in rows for x in r["excluded_ids"] if x != "N/A"}
    assert excluded, "these subsets have excluded ids"
    root = _data_dir_with_docs(tmp_path, shared_data, "documents", subset, gold | excluded)
    t = BrightTask()
    spec, data = t.spec(subset), t.load(subset, root)
    assert len(data.queries) == len(rows)
    assert "N/A" not in set().union(*data.excluded_ids.values())
    # An adversarial run over 20 queries (intersection averaging scores just these): every
    # excluded id outranks every gold id.
    run = {}
    for q in sorted(data.excluded_ids)[:20]:
        scores = {x: 1000.0 + i for i, x in enumerate(sorted(data.excluded_ids.get(q, ())))}
        scores.update({g: 10.0 for g in data.qrels[q]})
        run[q] = scores
    prepared = prepare_run(run, depth=spec.run_depth, excluded_ids=data.excluded_ids)
    for q, docs in prepared.items():
        assert not set(docs) & data.excluded_ids.get(q, set()), q
    if subset != "leetcode":  # scoring is the same code path; once keeps the suite fast
        return
    # With the exclusions applied the gold ids are on top: perfect scores.
    ev = evaluate(run, data.qrels, spec, data)
    assert ev.means["ndcg@10"] == pytest.approx(1.0)
    assert ev.means["recall@100"] == pytest.approx(1.0)
    # Without them (no TaskData) the excluded documents push the gold ones down.
    assert evaluate(run, data.qrels, spec).means["ndcg@10"] < 0.5


@pytest.mark.shared_data
def test_real_long_setting_uses_gold_ids_long(shared_data: Path, tmp_path: Path) -> None:
    rows = _real_rows(shared_data, "biology")
    long_ids = {g for r in rows for g in r["gold_ids_long"]}
    root = _data_dir_with_docs(tmp_path, shared_data, "long_documents", "biology", long_ids)
    data = BrightTask().load("biology/long", root)
    assert data.qrels == {r["id"]: dict.fromkeys(r["gold_ids_long"], 1) for r in rows}
    assert all("_0.txt" not in d for q in data.qrels.values() for d in q)  # not the chunk ids
    assert set(data.corpus) == long_ids
    with pytest.raises(DataNotFoundError):  # the short setting needs its own documents file
        BrightTask().load("biology", root)


@pytest.mark.slow
@pytest.mark.shared_data
def test_cli_bm25_on_real_queries_and_written_documents(shared_data: Path, tmp_path: Path) -> None:
    """Plumbing check: BM25 over documents we wrote in the official schema (not a benchmark).

    Each query's first 20 excluded documents repeat the query text, so BM25 ranks them on top;
    the stored run must still hold none of them.
    """
    from typer.testing import CliRunner

    from ir_harness.cli import app
    from ir_harness.data.formats import read_trec_run

    rows = _real_rows(shared_data, "leetcode")
    trap = {r["id"]: [x for x in r["excluded_ids"] if x != "N/A"][:20] for r in rows}
    text = {x: r["query"] for r in rows for x in trap[r["id"]]}
    gold = {g for r in rows for g in r["gold_ids"]}
    docs = [{"id": i, "content": text.get(i, f"document {i}")} for i in sorted(gold | set(text))]
    root = tmp_path / "data"
    _data_dir_with_docs(root, shared_data, "documents", "leetcode", set())
    _write_jsonl(root / "bright/documents/leetcode.jsonl", docs)
    args = ["run", "--system", "bm25", "--task", "bright/leetcode", "--data-dir", str(root)]
    args += ["--results", str(tmp_path / "results"), "--limit-queries", "5", "--json"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    out = json.loads(res.output.strip().splitlines()[-1])
    assert out["task"] == "bright/leetcode" and out["n_queries"] == 5
    run = read_trec_run(Path(out["result_dir"]) / "run.trec")
    assert len(run) == 5
    for q, ranked_docs in run.items():
        excluded = {x for r in rows if r["id"] == q for x in r["excluded_ids"]}
        assert ranked_docs and not set(ranked_docs) & excluded, q
