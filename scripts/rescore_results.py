"""Re-evaluate stored ranking results from their own ``run.trec``: add AUC per named pool, the
scope record and the "trained on these queries" mark, and check that every ranking metric comes
out unchanged (the run is not re-run; only its stored file is scored again).

    python scripts/rescore_results.py --results results --data-dir ../shared/data [--backfill-training] [--dry-run]

``--backfill-training`` first writes a ``training_queries`` record into the metadata of committed
results whose checkpoints (``ckpt/``, not in the repository) predate training records. Every
backfilled record says what it was reconstructed from (``backfilled_from``); see ``BACKFILL``.
Custom-metric results (STS, judge agreement, family means) have no run to rescore and are only
given their scope.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from ir_harness.data.formats import atomic_write_text, read_judge_qrels, read_trec_run
from ir_harness.eval.measures.auc_by_pool import pooled_auc
from ir_harness.eval.metrics import evaluate
from ir_harness.run.runner import load_task
from ir_harness.store.results import (
    METADATA_FILE,
    METRICS_FILE,
    RUN_FILE,
    MetricsRecord,
    RunMetadata,
    iter_results,
    make_scope,
)
from ir_harness.store.training_record import training_overlap, training_queries_record
from ir_harness.task import limit_queries

OLD_AUC = ("auc_global", "auc_per_query_mean")
TOL = 1e-12

# Checkpoints behind committed results, with the training command the README records for each
# (README "Offline studies"; the result's own metadata names the checkpoint path).
README_CMD = "README.md, section 'Offline studies' (the runs behind results/STUDIES.md)"
BACKFILL: dict[str, dict[str, Any]] = {
    "ckpt/dear-student": {"method": "dear-distill", "group_size": 4},
    "ckpt/dear-student-g8": {"method": "dear-distill", "group_size": 8},
    "ckpt/mvp-minilm": {"method": "mvp", "group_size": 5},
    "ckpt/mvp-minilm-clean": {"method": "mvp", "group_size": 5},
}
RERANK_TRAIN_TASK = "trec-dl/2019/bm25-top100"
RERANK_TEACHER = "results/trec-dl__2019__bm25-top100/dense/run.trec"


def _dense_training_queries(rec: dict[str, Any], data_dir: Path | None) -> dict[str, Any]:
    """Rebuild the query selection of ``examples_from_task`` from a dense training record."""
    from ir_harness.train.data import examples_from_task

    src = rec["data_source"]
    task = src.split()[0].removeprefix("task:")
    extra = rec["config"]["extra"]
    spec, data = load_task(task, data_dir)
    ex = examples_from_task(
        data, None, extra["min_relevance"], extra["max_queries"], seed=rec["seed"]
    )
    if len(ex) != rec["n_examples"]:
        raise SystemExit(
            f"{task}: rebuilt {len(ex)} training queries, record says {rec['n_examples']}"
        )
    out = training_queries_record(spec.name, spec.split, rec["method"], [e.qid for e in ex], src)
    out["backfilled_from"] = (
        "the checkpoint's training record stored in this metadata (task, min_relevance, "
        f"max_queries, seed); query selection re-run on {task}; count matches n_examples"
    )
    return out


def _rerank_training_queries(model: str, results: Path, data_dir: Path | None) -> dict[str, Any]:
    """Rebuild ``teacher_queries`` for a DeAR/MVP student from the README's training command."""
    from ir_harness.train.rerank_train import teacher_queries

    b = BACKFILL[model]
    spec, data = load_task(RERANK_TRAIN_TASK, data_dir)
    teacher = read_trec_run(results / RERANK_TEACHER.removeprefix("results/"))
    tq = teacher_queries(data, teacher, "qrels", 1, b["group_size"] - 1, None, 0)
    out = training_queries_record(
        spec.name, spec.split, b["method"], [t.qid for t in tq],
        f"task:{spec.name}; teacher:{RERANK_TEACHER}; labels:qrels",
    )  # fmt: skip
    out["backfilled_from"] = (
        f"{README_CMD}: `harness train --method {b['method']} --task {RERANK_TRAIN_TASK} "
        f"--teacher-run results/trec-dl__2019__bm25-top100/dense --out {model}` "
        f"(group_size {b['group_size']}, seed 0, no --max-queries); teacher_queries re-run on the "
        "stored teacher run"
    )
    return out


def backfill_training(meta: dict[str, Any], results: Path, data_dir: Path | None) -> list[str]:
    """Add ``training_queries`` to stages whose checkpoint predates it; names what was filled."""
    done = []
    for st in meta["stages"]:
        params = st.setdefault("parameters", {})
        tr = params.get("training")
        if isinstance(tr, dict) and tr.get("training_queries"):
            continue
        model = params.get("model") or st.get("backbone")
        if isinstance(tr, dict) and str(tr.get("data_source", "")).startswith("task:"):
            tr["training_queries"] = _dense_training_queries(tr, data_dir)
        elif model in BACKFILL:
            params["training"] = {
                "training_queries": _rerank_training_queries(model, results, data_dir)
            }
        else:
            continue
        done.append(f"{st['name']}:{model}")
    return done


def rescore(
    folder: Path, results: Path, data_dir: Path | None, backfill: bool, dry: bool
) -> dict[str, Any]:
    metrics = json.loads((folder / METRICS_FILE).read_text(encoding="utf-8"))
    meta = json.loads((folder / METADATA_FILE).read_text(encoding="utf-8"))
    report: dict[str, Any] = {"result": folder.relative_to(results).as_posix()}
    if backfill:
        report["backfilled"] = backfill_training(meta, results, data_dir)
    cfg = meta.get("config") or {}
    ranking = (folder / RUN_FILE).exists() and "members" not in cfg and "grid_layers" not in cfg
    limit, qrels_from = cfg.get("limit_queries"), cfg.get("qrels_from")
    if not ranking:
        scope = make_scope(limit, meta.get("seed", 0), None, None, metrics["n_queries"])
        evaluated = {q for v in metrics["per_query"].values() for q in v}
    else:
        task = metrics["task"].split("[qrels=", 1)[0]
        spec, data = load_task(task, data_dir)
        task_queries = sum(1 for q in data.queries if q in data.qrels)
        data = limit_queries(data, limit)
        if qrels_from:
            data.qrels = read_judge_qrels(qrels_from, human=data.qrels)
        run = read_trec_run(folder / RUN_FILE)
        final = {q: run.get(q, {}) for q in sorted(data.queries)}
        ev = evaluate(final, data.qrels, spec, data)
        diffs = {
            m: abs(v - metrics["metrics"][m])
            for m, v in ev.means.items()
            if m in metrics["metrics"]
        }
        pq_diff = max(
            (
                abs(v - metrics["per_query"][m][q])
                for m, d in ev.per_query.items()
                for q, v in d.items()
            ),
            default=0.0,
        )
        report["max_ranking_diff"] = max([*diffs.values(), pq_diff])
        if report["max_ranking_diff"] > TOL or len(ev.query_ids) != metrics["n_queries"]:
            raise SystemExit(f"{folder}: ranking metrics changed on rescoring: {diffs}, {pq_diff}")
        means, per_query, extra = pooled_auc(
            final, data.qrels, min_relevance=spec.relevance_threshold
        )
        old = metrics["metrics"].get("auc_global")
        new = means["auc_global(judged+top100)"]
        if old is not None and not (math.isnan(old) and math.isnan(new)) and abs(old - new) > TOL:
            raise SystemExit(f"{folder}: judged+top100 AUC {new} differs from stored {old}")
        report["auc"] = {k: round(v, 4) for k, v in means.items()}
        for k in OLD_AUC:
            metrics["metrics"].pop(k, None)
        metrics["per_query"].pop("auc", None)
        metrics["extra"] = {
            k: v for k, v in (metrics.get("extra") or {}).items() if not k.startswith("auc_")
        }
        metrics["metrics"].update(means)
        metrics["per_query"].update(per_query)
        metrics["extra"].update(extra)
        scope = make_scope(limit, meta.get("seed", 0), None, task_queries, len(ev.query_ids))
        if qrels_from:  # the file may be gone; keep its name, no hash to recompute
            scope["qrels_from"] = qrels_from
        evaluated = set(ev.query_ids)
    from ir_harness.protocols import SystemMeta

    stages = [SystemMeta.model_validate(s) for s in meta["stages"]]
    metrics["scope"] = meta["scope"] = scope
    metrics["trained_on_evaluated"] = training_overlap(stages, metrics["task"], evaluated)
    report["trained_on_evaluated"] = metrics["trained_on_evaluated"]
    report["scope"] = {k: scope[k] for k in ("task_queries", "evaluated_queries", "partial")}
    if not dry:
        # validated through the store's records, written in the store's own format
        atomic_write_text(
            folder / METRICS_FILE, MetricsRecord.model_validate(metrics).model_dump_json(indent=1)
        )
        atomic_write_text(
            folder / METADATA_FILE, RunMetadata.model_validate(meta).model_dump_json(indent=1)
        )
    return report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", type=Path, default=Path("results"))
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--backfill-training", action="store_true")
    ap.add_argument("--dry-run", action="store_true")
    ap.add_argument("--only", default="", help="rescore only result folders containing this text")
    a = ap.parse_args()
    for _, _, folder in iter_results(a.results):
        if a.only and a.only not in str(folder):
            continue
        print(
            json.dumps(rescore(folder, a.results, a.data_dir, a.backfill_training, a.dry_run)),
            flush=True,
        )


if __name__ == "__main__":
    main()
