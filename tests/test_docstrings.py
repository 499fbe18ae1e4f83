"""Every public function, method and class says why it exists in a docstring; the ones that do
not yet are listed in ``MISSING`` below, which may only shrink.

Public: the name and every enclosing class name do not start with ``_``. Counted in the core
(``harness/ir_harness``, its linked folders once through their real paths) and in ``tasks/``,
``systems/``, ``kernels/`` and ``leaderboard/``; tests are not counted. Excluded by rule: dunder
methods (their meaning is Python's) and property getters/setters whose body is one ``return``
(an accessor; its name says what it returns).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("harness/ir_harness", "tasks", "systems", "kernels", "leaderboard")


def _files(root: Path, folders: tuple[str, ...]) -> list[Path]:
    seen: set[Path] = set()
    out = []
    for folder in folders:
        for p in sorted((root / folder).rglob("*.py")):
            real = p.resolve()
            if "__pycache__" in p.parts or real in seen:
                continue
            seen.add(real)
            out.append(real)
    return out


def _trivial_property(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    decorated = any(
        (isinstance(d, ast.Name) and d.id == "property")
        or (isinstance(d, ast.Attribute) and d.attr in ("setter", "getter"))
        for d in node.decorator_list
    )
    return decorated and len(node.body) == 1 and isinstance(node.body[0], ast.Return | ast.Assign)


def undocumented(root: Path = ROOT, folders: tuple[str, ...] = FOLDERS) -> set[str]:
    """``path::Qualified.name`` of every public definition without a docstring."""
    out: set[str] = set()
    for path in _files(root, folders):
        rel = path.relative_to(root.resolve()).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), rel)

        def visit(node: ast.AST, prefix: str, rel: str = rel) -> None:
            for child in ast.iter_child_nodes(node):
                if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    continue
                name = child.name
                if name.startswith("_"):
                    continue  # private, or a dunder
                qual = f"{prefix}{name}"
                if ast.get_docstring(child) is None and not (
                    not isinstance(child, ast.ClassDef) and _trivial_property(child)
                ):
                    out.add(f"{rel}::{qual}")
                if isinstance(child, ast.ClassDef):
                    visit(child, f"{qual}.")

        visit(tree, "")
    return out


def test_no_new_public_definition_lacks_a_docstring() -> None:
    new = sorted(undocumented() - MISSING)
    assert new == [], (
        "write a docstring saying why (or, for now, list it in MISSING):\n" + "\n".join(new)
    )


def test_the_allowlist_holds_only_what_is_still_missing() -> None:
    """A docstring written means its line in MISSING goes, so the count only goes down."""
    assert sorted(MISSING - undocumented()) == []


def test_the_rules_see_methods_and_skip_dunders_private_names_and_accessors(
    tmp_path: Path,
) -> None:
    (tmp_path / "kernels").mkdir()
    (tmp_path / "kernels" / "m.py").write_text(
        "def f(): pass\n"
        "def _g(): pass\n"
        "class C:\n"
        '    """Doc."""\n'
        "    def __init__(self): pass\n"
        "    def m(self): pass\n"
        "    @property\n"
        "    def p(self): return 1\n"
        "class _P:\n"
        "    def hidden(self): pass\n"
    )
    assert undocumented(tmp_path, ("kernels",)) == {"kernels/m.py::f", "kernels/m.py::C.m"}


# Public definitions still without a docstring (remove a line when writing its docstring).
MISSING: frozenset[str] = frozenset(
    {
        "harness/ir_harness/api.py::evaluate",
        "harness/ir_harness/cli/diff.py::Side",
        "harness/ir_harness/cli/tables.py::TextTable.add_row",
        "harness/ir_harness/data/formats.py::atomic_write",
        "harness/ir_harness/data/formats.py::read_jsonl_queries",
        "harness/ir_harness/data/path_checks.py::require_dir",
        "harness/ir_harness/data/sts.py::STSPair",
        "harness/ir_harness/llm/base.py::Completion",
        "harness/ir_harness/llm/base.py::LLM.generate",
        "harness/ir_harness/llm/base.py::Request.key",
        "harness/ir_harness/llm/base.py::ScopedCache.cache_scope",
        "harness/ir_harness/llm/gguf.py::KnownGGUF",
        "harness/ir_harness/llm/gguf.py::LlamaCppLLM.describe",
        "harness/ir_harness/llm/gguf.py::LlamaCppLLM.generate",
        "harness/ir_harness/llm/gguf.py::canonical_id",
        "harness/ir_harness/llm/gguf.py::packaged_available",
        "harness/ir_harness/llm/gguf.py::sha256_file",
        "harness/ir_harness/llm/handle.py::LLMHandle",
        "harness/ir_harness/llm/handle.py::LLMHandle.get",
        "harness/ir_harness/llm/handle.py::LLMHandle.spec",
        "harness/ir_harness/llm/hf.py::TransformersLLM",
        "harness/ir_harness/llm/hf.py::TransformersLLM.describe",
        "harness/ir_harness/llm/hf.py::TransformersLLM.generate",
        "harness/ir_harness/llm/openai_http.py::OpenAICompatLLM",
        "harness/ir_harness/llm/openai_http.py::OpenAICompatLLM.close",
        "harness/ir_harness/llm/openai_http.py::OpenAICompatLLM.describe",
        "harness/ir_harness/llm/openai_http.py::OpenAICompatLLM.generate",
        "harness/ir_harness/llm/oracle/backend.py::OracleLLM",
        "harness/ir_harness/llm/oracle/backend.py::OracleLLM.describe",
        "harness/ir_harness/llm/oracle/backend.py::OracleLLM.generate",
        "harness/ir_harness/llm/oracle/knowledge.py::Knowledge.find_passage",
        "harness/ir_harness/llm/oracle/knowledge.py::Knowledge.find_query",
        "harness/ir_harness/llm/oracle/knowledge.py::PrefixIndex.add",
        "harness/ir_harness/llm/oracle/knowledge.py::norm",
        "harness/ir_harness/llm/oracle/server.py::OracleServer",
        "harness/ir_harness/llm/oracle/spec.py::OracleSpec.name",
        "harness/ir_harness/llm/oracle/sweep.py::SweepOptions",
        "harness/ir_harness/llm/oracle/sweep.py::oracle_spec",
        "harness/ir_harness/llm/oracle/sweep.py::parse_floats",
        "harness/ir_harness/llm/progress.py::LLMProgress.close",
        "harness/ir_harness/llm/progress.py::LLMProgress.done",
        "harness/ir_harness/llm/progress.py::LLMProgress.on_call",
        "harness/ir_harness/llm/progress.py::LLMProgress.postfix",
        "harness/ir_harness/llm/session.py::LLMSession",
        "harness/ir_harness/llm/session.py::LLMSession.close",
        "harness/ir_harness/llm/session.py::LLMSession.run",
        "harness/ir_harness/llm/testing.py::MockLLM.describe",
        "harness/ir_harness/llm/testing.py::MockLLM.generate",
        "harness/ir_harness/redact.py::RedactingFilter.filter",
        "harness/ir_harness/run/context.py::RunContext.count",
        "harness/ir_harness/run/context.py::default_cache_dir",
        "harness/ir_harness/run/job.py::RunJob.with_task",
        "harness/ir_harness/run/ranking.py::RankingRun.finish_timings",
        "harness/ir_harness/run/ranking.py::RankingRun.go",
        "harness/ir_harness/run/ranking.py::RankingRun.store",
        "harness/ir_harness/run/runner.py::load_task",
        "harness/ir_harness/store/envinfo.py::hardware",
        "harness/ir_harness/store/envinfo.py::package_versions",
        "harness/ir_harness/store/results.py::config_hash",
        "harness/ir_harness/task.py::Task.load",
        "harness/ir_harness/task.py::Task.spec",
        "harness/ir_harness/trec_eval/output.py::line",
        "harness/ir_harness/trec_eval/output.py::summary",
        "harness/ir_harness/trec_eval/params.py::name_with_long",
        "leaderboard/build.py::fmt_score",
        "leaderboard/build.py::urlpath",
        "leaderboard/summary.py::family_of",
        "systems/dense.py::DenseRetriever.encode",
        "systems/dense.py::DenseRetriever.meta",
        "systems/hashing.py::HashingEmbedder.encode",
        "systems/hashing.py::HashingEmbedder.meta",
        "systems/judge.py::LLMJudge.meta",
        "systems/judge.py::LLMJudge.rerank",
        "systems/judge.py::build_prompt",
        "systems/rankgpt.py::RankGPT.messages",
        "systems/rankgpt.py::SlidingWindowReranker.call_max_tokens",
        "systems/rankgpt.py::SlidingWindowReranker.messages",
        "systems/rankgpt.py::SlidingWindowReranker.meta",
        "systems/rankgpt.py::SlidingWindowReranker.rerank",
        "systems/rankgpt.py::truncate_words",
        "systems/scoring_reranker.py::ScoringReranker.rerank",
        "tasks/beir.py::BeirTask",
        "tasks/beir.py::BeirTask.load",
        "tasks/beir.py::BeirTask.spec",
        "tasks/beir.py::BeirTask.subsets",
        "tasks/beir.py::beir_spec",
        "tasks/bright.py::BrightTask",
        "tasks/bright.py::BrightTask.load",
        "tasks/bright.py::BrightTask.spec",
        "tasks/bright.py::BrightTask.subsets",
        "tasks/bright.py::load_bright_hf",
        "tasks/bright.py::load_bright_local",
        "tasks/demo.py::DemoTask",
        "tasks/demo.py::DemoTask.load",
        "tasks/demo.py::DemoTask.spec",
        "tasks/demo.py::DemoTask.subsets",
        "tasks/demo.py::generate_limit_style",
        "tasks/limit.py::LimitSmallTask",
        "tasks/llmjudge/data.py::human_labels",
        "tasks/llmjudge/data.py::load_pool",
        "tasks/llmjudge/data.py::pool_spec",
        "tasks/llmjudge/labels.py::labels_to_qrels",
        "tasks/llmjudge/runset.py::cached_builtin_run_set",
        "tasks/llmjudge/scoring.py::score_label_file",
        "tasks/llmjudge/tasks.py::LLMJudgePoolTask",
        "tasks/llmjudge/tasks.py::LLMJudgePoolTask.load",
        "tasks/llmjudge/tasks.py::LLMJudgePoolTask.spec",
        "tasks/llmjudge/tasks.py::LLMJudgePoolTask.subsets",
        "tasks/llmjudge/tasks.py::LLMJudgeTask",
        "tasks/llmjudge/tasks.py::LLMJudgeTask.load",
        "tasks/llmjudge/tasks.py::LLMJudgeTask.spec",
        "tasks/llmjudge/tasks.py::LLMJudgeTask.subsets",
        "tasks/mteb_tasks.py::MtebTask.custom_run",
        "tasks/mteb_tasks.py::MtebTask.load",
        "tasks/mteb_tasks.py::MtebTask.spec",
        "tasks/mteb_tasks.py::MtebTask.subsets",
        "tasks/mteb_tasks.py::mteb_version",
        "tasks/mteb_tasks.py::sts_result",
        "tasks/nfcorpus.py::NFCorpusTask",
        "tasks/nfcorpus.py::NFCorpusTask.load",
        "tasks/nfcorpus.py::NFCorpusTask.spec",
        "tasks/nfcorpus.py::NFCorpusTask.subsets",
        "tasks/nfcorpus.py::read_original_release",
        "tasks/noveleval.py::NovelEvalTask",
        "tasks/synthetic.py::SyntheticTask",
        "tasks/synthetic.py::SyntheticTask.load",
        "tasks/synthetic.py::SyntheticTask.spec",
        "tasks/synthetic.py::SyntheticTask.subsets",
        "tasks/synthetic.py::load_synthetic",
        "tasks/trec_dl.py::TrecDLTask",
        "tasks/trec_dl.py::TrecDLTask.load",
        "tasks/trec_dl.py::TrecDLTask.spec",
        "tasks/trec_dl.py::TrecDLTask.subsets",
    }
)
