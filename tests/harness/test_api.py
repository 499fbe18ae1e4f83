"""The Python API as a notebook uses it: in-memory model objects, no plugin package, no entry point.

The embedded ``demo`` task (LIMIT-style, generated in code: 16 people, 120 "Who likes X?"
queries, each with the two people who like X as its relevant set) needs no data.
"""

from __future__ import annotations

import json
import re
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

import ir_harness as harness
from ir_harness.errors import ConfigError
from ir_harness.protocols import SystemMeta
from ir_harness.registry import SYSTEMS
from ir_harness.store.results import METADATA_FILE, METRICS_FILE, RUN_FILE

if TYPE_CHECKING:
    from ir_harness.data.model import Corpus, Queries, Run
    from ir_harness.run.context import RunContext


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


class WordOverlap:
    """A retriever defined in the notebook: score = words shared with the query."""

    def meta(self) -> SystemMeta:
        return SystemMeta(name="notebook-overlap", kind="lexical", backend="python")

    def index(self, corpus: Corpus, ctx: RunContext) -> None:
        self.docs = {d: _words(doc.full_text) for d, doc in corpus.items()}

    def search(self, queries: Queries, k: int, ctx: RunContext) -> Run:
        out: Run = {}
        for q, text in queries.items():
            qw = _words(text)
            scores = {d: float(len(qw & w)) for d, w in self.docs.items()}
            out[q] = dict(sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:k])
        return out


class HashedBagOfWords:
    """Looks like a SentenceTransformer to the harness: ``encode(sentences, **kwargs)``."""

    dim = 1 << 16  # wide enough that no two words of the demo task share a coordinate

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, sentences: list[str], **kwargs: Any) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(sentences), self.dim), dtype=np.float32)
        for i, s in enumerate(sentences):
            for w in _words(s) - {"who", "likes"}:
                out[i, zlib.crc32(w.encode()) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms) if kwargs.get("normalize_embeddings") else out


def test_import_harness_is_light_and_evaluate_is_lazy() -> None:
    import subprocess
    import sys

    code = (
        "import sys, harness; assert 'ir_harness.api' not in sys.modules; "
        "from ir_harness import evaluate, EvalResult; assert 'ir_harness.api' in sys.modules; "
        "assert 'torch' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_in_memory_retriever_is_evaluated_and_stored_like_the_cli(tmp_path: Path) -> None:
    assert "notebook-overlap" not in SYSTEMS  # no entry point, no registration
    res = harness.evaluate(WordOverlap(), "demo", results=tmp_path, device="cpu")
    assert isinstance(res, harness.EvalResult)
    assert (res.task, res.system, res.main_metric) == ("demo", "notebook-overlap", "recall@2")
    assert res.n_queries == 120
    # Only the two relevant documents contain the queried attribute: a perfect score.
    assert res.metrics["recall@2"] == 1.0
    assert len(res.per_query["recall@2"]) == 120
    assert res.path is not None and res.path.parent.parent == tmp_path
    stored = json.loads((res.path / METRICS_FILE).read_text())
    assert stored["metrics"] == res.metrics
    assert stored["per_query"] == res.per_query
    meta = json.loads((res.path / METADATA_FILE).read_text())
    # the call as made is recorded, not a command line made up for it
    assert meta["command"] == ""
    assert meta["call"] == {
        "function": "ir_harness.evaluate",
        "system": "notebook-overlap",
        "tasks": ["demo"],
        "results": str(tmp_path),
        "device": "cpu",
    }
    assert meta["stages"][0]["name"] == "notebook-overlap"


def test_several_tasks_return_a_list_and_no_results_folder_keeps_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    out = harness.evaluate(
        WordOverlap(), ["demo", "demo"], results=None, limit_queries=5, name="mine"
    )
    assert isinstance(out, list) and len(out) == 2
    assert all(r.path is None and r.n_queries == 5 and r.system == "mine" for r in out)
    assert out[0].per_query == out[1].per_query
    assert list(tmp_path.iterdir()) == []


def test_sentence_transformer_like_object_runs_through_dense(tmp_path: Path) -> None:
    model = HashedBagOfWords()
    res = harness.evaluate(model, "demo", results=tmp_path, device="cpu")
    assert model.calls > 0  # the object itself encoded the texts
    assert res.system == "dense[model=in-memory:HashedBagOfWords]"
    # Same vectors as word overlap minus the shared words: the attribute decides the top two.
    assert res.metrics["recall@2"] == 1.0
    meta = json.loads((res.path / METADATA_FILE).read_text())  # type: ignore[operator]
    assert meta["stages"][0]["backbone"] == "HashedBagOfWords"
    assert meta["stages"][0]["resolved_backbone"] == "in-memory"


def test_a_weightless_in_memory_model_never_keys_the_on_disk_embedding_store() -> None:
    from ir_harness.registry import SYSTEMS
    from ir_harness.run.context import RunContext

    dense = SYSTEMS.get("dense")(model=HashedBagOfWords())
    with pytest.raises(ConfigError, match="no state_dict"):
        dense.embedding_fingerprint(RunContext(device="cpu"))


def test_bad_system_objects_and_options_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="expected a registered name"):
        harness.evaluate(object(), "demo", results=tmp_path)
    with pytest.raises(ConfigError, match="options apply to systems given by name"):
        harness.evaluate(WordOverlap(), "demo", results=tmp_path, options={"k1": 1})
    with pytest.raises(ConfigError, match="name= is for objects"):
        harness.evaluate("bm25", "demo", results=tmp_path, name="x")
    with pytest.raises(ConfigError, match="no task names"):
        harness.evaluate(WordOverlap(), [], results=tmp_path)


@pytest.mark.slow
def test_real_sentence_transformer_instance_scores_as_the_registered_dense_model(
    tmp_path: Path,
) -> None:
    from sentence_transformers import SentenceTransformer

    from ir_harness.models import resolve_model

    model = SentenceTransformer(resolve_model("sentence-transformers/all-MiniLM-L6-v2"))
    mine = harness.evaluate(model, "demo", results=tmp_path, device="cpu", limit_queries=20)
    ref = harness.evaluate("dense", "demo", results=tmp_path, device="cpu", limit_queries=20)
    # Named by a hash of its weights, stored apart from the registered model's result.
    assert re.fullmatch(r"dense\[model=in-memory:SentenceTransformer@[0-9a-f]{8}\]", mine.system)
    assert mine.path != ref.path
    assert mine.per_query == ref.per_query
    assert mine.metrics == ref.metrics


def test_harness_run_is_a_thin_layer_over_evaluate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    from ir_harness import api
    from ir_harness.cli import main
    from ir_harness.registry import TASKS
    from tests.harness.fakes import OverlapRetriever, TinyTask

    TASKS.register("tiny", TinyTask)
    SYSTEMS.register("overlap", OverlapRetriever)
    calls: list[tuple[Any, Any]] = []
    real = api.evaluate

    def spy(system: Any, tasks: Any, *a: Any, **kw: Any) -> Any:
        calls.append((system, tasks))
        return real(system, tasks, *a, **kw)

    monkeypatch.setattr(api, "evaluate", spy)
    argv = ["harness", "run", "-s", "overlap", "-t", "tiny", "--results", str(tmp_path / "cli")]
    monkeypatch.setattr(sys, "argv", [*argv, "--device", "cpu", "--json"])
    with pytest.raises(SystemExit) as e:
        main()
        raise SystemExit(0)
    assert e.value.code in (0, None)
    cli = json.loads(capsys.readouterr().out)
    assert calls == [("overlap", "tiny")]
    res = real("overlap", "tiny", results=tmp_path / "api", device="cpu")
    assert (cli["metrics"], cli["n_queries"]) == (res.metrics, res.n_queries)
    cli_meta = json.loads((tmp_path / "cli" / "tiny" / "overlap" / METADATA_FILE).read_text())
    assert cli_meta["command"].startswith("harness run -s overlap -t tiny")
    assert res.metadata.command == ""
    assert res.metadata.call is not None and res.metadata.call["tasks"] == ["tiny"]
    assert cli_meta["call"]["system"] == "overlap"  # the CLI's call of evaluate, beside its line


def test_evaluate_without_a_results_folder_writes_nothing_and_save_stores_it_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    def no_temp(*a: Any, **kw: Any) -> str:
        raise AssertionError("evaluate(results=None) made a temporary folder")

    monkeypatch.setattr(tempfile, "mkdtemp", no_temp)
    res = harness.evaluate(WordOverlap(), "demo", results=None, limit_queries=5, device="cpu")
    assert res.path is None and res.artifact is not None
    monkeypatch.undo()
    saved = harness.save(res, tmp_path)
    assert saved.path == tmp_path / "demo" / "notebook-overlap@limit5"
    assert (saved.path / RUN_FILE).read_text() == res.artifact
    (back,) = harness.load_results(tmp_path)
    assert isinstance(back, harness.Result)
    assert (back.record, back.path) == (res.record, saved.path)
    assert back.metadata.model_dump(exclude={"created_at"}) == saved.metadata.model_dump(
        exclude={"created_at"}
    )
    assert harness.load_results(saved.path) == [back]  # one result's folder
    assert harness.load_results(saved.path.parent) == [back]  # one task's folder


def test_load_results_reads_every_folder_of_the_checked_in_results() -> None:
    root = Path(__file__).resolve().parents[2] / "results"
    folders = sorted(p.parent for p in root.glob(f"*/*/{METRICS_FILE}"))
    loaded = harness.load_results(root)
    assert folders and [r.path for r in loaded] == folders


def test_compare_tests_results_as_the_cli_does(tmp_path: Path) -> None:
    a = harness.evaluate(WordOverlap(), "demo", results=None, limit_queries=20, device="cpu")
    b = harness.evaluate(HashedBagOfWords(), "demo", results=None, limit_queries=20, device="cpu")
    out = harness.compare([a, b], metric="recall@2")
    assert out.metric == "recall@2" and len(out.comparisons) == 1
    (c,) = out.comparisons
    assert {c.system, c.baseline} == {a.id.row, b.id.row}
    assert c.n_queries == 20
    with pytest.raises(ConfigError, match="at least two"):
        harness.compare([a])
    with pytest.raises(ConfigError, match=r"ir_harness\.Result"):
        harness.compare([a, "b"])  # type: ignore[list-item]
