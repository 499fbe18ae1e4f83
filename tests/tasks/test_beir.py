"""BEIR: dataset names -> ir_datasets ids and splits, the online conversion, a local folder run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ir_harness.errors import ConfigError, DataNotFoundError
from ir_harness.tasks.beir import CQADUPSTACK_FORUMS, PUBLIC, BeirTask, irds_id, parse_name


def test_irds_ids_and_splits() -> None:
    t = BeirTask()
    assert t.spec("msmarco").split == "dev"  # BEIR scores MS MARCO on dev
    assert irds_id("msmarco", "dev") == "beir/msmarco/dev"
    assert irds_id("scifact") == "beir/scifact/test"
    assert irds_id("arguana") == "beir/arguana"  # no split suffix in ir_datasets
    assert irds_id("nq") == "beir/nq"
    assert irds_id("webis-touche2020") == "beir/webis-touche2020/v2"
    assert irds_id("cqadupstack/tex") == "beir/cqadupstack/tex"
    assert irds_id("fiqa", "dev") == "beir/fiqa/dev"
    assert irds_id("robust04") is None and irds_id("my-own-set") is None
    assert parse_name("fiqa/dev") == ("fiqa", "dev")
    assert parse_name("cqadupstack/android") == ("cqadupstack/android", "test")


def test_every_irds_id_is_registered() -> None:
    ir_datasets = pytest.importorskip("ir_datasets")
    registered = set(ir_datasets.registry._registered)
    t = BeirTask()
    for name in t.subsets():
        spec = t.spec(name)
        online = [s.location for s in spec.sources if s.kind == "ir_datasets"]
        assert all(o in registered for o in online), (name, online)
        assert spec.main_metric == "ndcg@10"


def test_self_hits_and_family() -> None:
    t = BeirTask()
    assert t.spec("arguana").ignore_identical_ids and t.spec("quora").ignore_identical_ids
    assert not t.spec("scifact").ignore_identical_ids
    assert t.family_members() == list(PUBLIC) and len(PUBLIC) == 14
    assert "msmarco" not in PUBLIC and "robust04" not in PUBLIC
    forums = t.family_members("cqadupstack")
    assert forums == [f"cqadupstack/{f}" for f in CQADUPSTACK_FORUMS] and len(forums) == 12
    assert t.family_members("scifact") == []
    for f in forums:
        assert t.spec(f).name == f"beir/{f}"
    with pytest.raises(ConfigError, match="mean of its 12 forums"):
        t.spec("cqadupstack")


def test_restricted_dataset_error_says_why(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError, match="not redistributable") as e:
        BeirTask().load("robust04", tmp_path)
    assert "robust04/qrels/test.tsv" in str(e.value)


def test_online_conversion_on_official_format_files(tmp_path: Path) -> None:
    """ir_datasets' own loaders over tiny files in the official formats; no network."""
    ir_datasets = pytest.importorskip("ir_datasets")
    from ir_harness.tasks._irds import load_irds

    (tmp_path / "docs.tsv").write_text("d1\tcats purr\nd2\tdogs bark\n")
    (tmp_path / "queries.tsv").write_text("q1\twhat purrs\nq2\twho barks\n")
    (tmp_path / "qrels.txt").write_text("q1 0 d1 1\nq2 0 d2 2\nq2 0 d1 0\n")
    ds = ir_datasets.create_dataset(
        docs_tsv=str(tmp_path / "docs.tsv"),
        queries_tsv=str(tmp_path / "queries.tsv"),
        qrels_trec=str(tmp_path / "qrels.txt"),
    )
    data = load_irds(ds)
    assert data.queries == {"q1": "what purrs", "q2": "who barks"}
    assert data.qrels == {"q1": {"d1": 1}, "q2": {"d2": 2, "d1": 0}}
    assert [(d, data.corpus[d].full_text) for d in data.corpus] == [
        ("d1", "cats purr"),
        ("d2", "dogs bark"),
    ]


def _beir_folder(root: Path, name: str) -> Path:
    folder = root / name
    (folder / "qrels").mkdir(parents=True)
    corpus = [
        {"_id": "d1", "title": "Cats", "text": "cats purr when happy"},
        {"_id": "d2", "title": "Dogs", "text": "dogs bark at strangers"},
        {"_id": "d3", "title": "", "text": "birds sing at dawn"},
        {"_id": "q1", "title": "", "text": "why do cats purr"},  # a self-hit, as in ArguAna
    ]
    queries = [
        {"_id": "q1", "text": "why do cats purr"},
        {"_id": "q2", "text": "dogs bark"},
        {"_id": "q9", "text": "unjudged query"},
    ]
    (folder / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in corpus))
    (folder / "queries.jsonl").write_text("".join(json.dumps(q) + "\n" for q in queries))
    (folder / "qrels/test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n")
    return folder


def test_local_folder_wins_and_drops_unjudged_queries(tmp_path: Path) -> None:
    _beir_folder(tmp_path, "scifact")
    data = BeirTask().load("scifact", tmp_path)
    assert set(data.queries) == {"q1", "q2"}
    assert data.corpus["d1"].full_text == "Cats cats purr when happy"
    assert data.source == str(tmp_path / "scifact")


@pytest.mark.slow
def test_cli_bm25_on_local_beir_folder(tmp_path: Path) -> None:
    """End to end through pyserini BM25: the self-hit q1 is dropped for ArguAna."""
    from typer.testing import CliRunner

    from ir_harness.cli import app
    from ir_harness.data.formats import read_trec_run

    _beir_folder(tmp_path / "data", "arguana")
    args = ["run", "--system", "bm25", "--task", "beir/arguana", "--data-dir"]
    args += [str(tmp_path / "data"), "--results", str(tmp_path / "results"), "--json"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    out = json.loads(res.output.strip().splitlines()[-1])
    assert out["task"] == "beir/arguana" and out["n_queries"] == 2
    run = read_trec_run(Path(out["result_dir"]) / "run.trec")
    assert "q1" not in run["q1"]  # without ignore_identical_ids it would rank first
    assert out["main_score"] == pytest.approx(1.0)  # d1 and d2 top their queries


def test_scoring_load_skips_the_corpus(tmp_path: Path) -> None:
    """`harness eval` loads queries and qrels only: a broken corpus.jsonl is never parsed."""
    _beir_folder(tmp_path, "scifact")
    (tmp_path / "scifact" / "corpus.jsonl").write_text("not json\n", encoding="utf-8")
    data = BeirTask().load_judgments("scifact", tmp_path)
    assert set(data.queries) == {"q1", "q2"} and data.qrels and data.corpus == {}


def test_cli_eval_on_local_folder_without_parsing_the_corpus(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from ir_harness.cli import app

    _beir_folder(tmp_path, "scifact")
    (tmp_path / "scifact" / "corpus.jsonl").write_text("not json\n", encoding="utf-8")
    (tmp_path / "run.trec").write_text("q1 Q0 d1 1 2.0 x\nq2 Q0 d2 1 1.0 x\n", encoding="utf-8")
    args = ["eval", str(tmp_path / "run.trec"), "--task", "beir/scifact"]
    res = CliRunner().invoke(app, [*args, "--data-dir", str(tmp_path), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output.strip().splitlines()[-1])["n_queries"] == 2
