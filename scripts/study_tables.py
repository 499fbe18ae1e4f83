"""Rebuild the offline study tables (results/STUDIES.md) from the stored results.

Every number here is read from a result folder that `harness run` / `harness starbucks-grid`
wrote (its metadata.json holds the exact command), except the "BM25 list" reference, which is
the official BM25 top-100 run shipped with the task, scored here on exactly the queries each
reranker ran on (reranking runs with --limit-queries cover a subset).

    python scripts/study_tables.py --results results --data-dir ../shared/data [--out results/STUDIES.md]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ir_harness.eval.compare import compare
from ir_harness.eval.measures.auc_by_pool import AUC_POOLS, auc_key
from ir_harness.store.results import iter_results, row_label

TRAIN_SYSTEMS = {
    "untrained": "dense",
    "InfoNCE": "dense[model=ckpt/infonce]",
    "MW": "dense[model=ckpt/mw]",
    "PG-Rank": "dense[model=ckpt/pgrank]",
}
STS_TASKS = ("mteb/STSBenchmark", "mteb/SICK-R")
STARBUCKS = {
    "untrained": "starbucks[grid=True,model=sentence-transformers/all-MiniLM-L6-v2]",
    "Starbucks (STS-B train)": "starbucks[grid=True,model=ckpt/starbucks-sts]",
}
RERANK_TASKS = ("trec-dl/2019/bm25-top100", "trec-dl/2020/bm25-top100")


def stored(results: Path) -> dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]]:
    """(task, system) -> (metrics.json, metadata.json) as plain dicts; a scoped result's
    system carries its scope suffix (e.g. ``rankgpt[...]@limit8``) so no result hides another."""
    out = {}
    for rec, meta, _ in iter_results(results):
        out[(rec.task, row_label(rec.system, rec.scope))] = (rec.model_dump(), meta.model_dump())
    return out


def fmt(x: float | None, nd: int = 4) -> str:
    return "" if x is None else f"{x:.{nd}f}"


def pfmt(p: float) -> str:
    return "<0.0001" if p < 1e-4 else f"{p:.4f}"


# ---------------------------------------------------------------- trained retrievers
def _tests(pq: dict[str, dict[str, float]], metric: str) -> tuple[dict, dict]:
    """Holm-corrected paired tests of every model against the untrained one and against InfoNCE."""
    vs_base = {c.system: c for c in compare(pq, "untrained", metric)}
    rest = {k: v for k, v in pq.items() if k != "untrained"}
    vs_info = {c.system: c for c in compare(rest, "InfoNCE", metric)} if "InfoNCE" in rest else {}
    return vs_base, vs_info


def training_table(db: dict) -> list[str]:
    task = "nfcorpus"
    have = {k: db[(task, s)] for k, s in TRAIN_SYSTEMS.items() if (task, s) in db}
    if "untrained" not in have:
        return [f"(no stored `{TRAIN_SYSTEMS['untrained']}` result on {task})"]
    pool_cols = " | ".join(f"global AUC ({p}) | per-query AUC ({p})" for p in AUC_POOLS)
    p_cols = " | ".join(f"p AUC/q ({p}) vs untrained | p AUC/q ({p}) vs InfoNCE" for p in AUC_POOLS)
    n_cols = 8 + 4 * len(AUC_POOLS)
    lines = [
        f"### Dense retrievers fine-tuned on NFCorpus dev, tested on {task} (all-MiniLM-L6-v2 start)",
        "",
        f"| model | nDCG@10 | R@100 | {pool_cols} | p nDCG vs untrained | p nDCG vs InfoNCE | "
        f"{p_cols} | W/L nDCG vs untrained | steps x batch | train s | training queries in the test set |",
        "|---|" + "---|" * n_cols,
    ]
    nd_b, nd_i = _tests({k: m["per_query"]["ndcg@10"] for k, (m, _) in have.items()}, "ndcg@10")
    au = {
        p: _tests(
            {k: m["per_query"].get(auc_key("auc", p), {}) for k, (m, _) in have.items()}, "auc"
        )
        for p in AUC_POOLS
    }

    def p(table: dict, name: str) -> str:
        return pfmt(table[name].p_holm) if name in table else ""

    for name, (m, meta) in have.items():
        mm = m["metrics"]
        train = _train_record(meta)
        c = nd_b.get(name)
        aucs = " | ".join(
            f"{fmt(mm.get(auc_key('auc_global', q)))} | {fmt(mm.get(auc_key('auc_per_query_mean', q)))}"
            for q in AUC_POOLS
        )
        ps = " | ".join(f"{p(au[q][0], name)} | {p(au[q][1], name)}" for q in AUC_POOLS)
        lines.append(
            f"| {name} | {fmt(mm['ndcg@10'])} | {fmt(mm.get('recall@100'))} | {aucs} | "
            f"{p(nd_b, name)} | {p(nd_i, name)} | {ps} | "
            f"{f'{c.wins}/{c.losses}' if c else ''} | "
            f"{train.get('steps', '')}{' x ' + str(train['config']['batch_size']) if train else ''} | "
            f"{fmt(train.get('wall_s'), 0) if train else ''} | {_held_out(m, meta)} |"
        )
    n = len(next(iter(have.values()))[0]["per_query"]["ndcg@10"])
    pools = (have["untrained"][0].get("extra") or {}).get("auc_pools") or {}
    lines += [
        "",
        "p: paired randomization test (10,000 permutations), Holm-corrected within each column; "
        f"{n} test queries. AUC pools: "
        + "; ".join(f"{v['auc_pool']}" for v in pools.values())
        + ". NFCorpus qrels judge no document non-relevant (grades 1 and 2 only), so every "
        "negative in either pool is an unjudged document of the run's top 100.",
        "",
        *auc_conclusions(have, au),
    ]
    return lines


def _held_out(m: dict[str, Any], meta: dict[str, Any]) -> str:
    """The training-overlap cell: how many evaluated queries the model was trained on."""
    t = m.get("trained_on_evaluated")
    if t:
        return f"**{t['label']}** ({t['overlap']} of {t['evaluated_queries']})"
    tq = (_train_record(meta) or {}).get("training_queries")
    return f"none ({tq['n_queries']} {tq['task']} training queries)" if tq else ""


def _order(have: dict, key: str) -> list[tuple[str, float]]:
    vals = [(k, m["metrics"].get(key)) for k, (m, _) in have.items()]
    return sorted([(k, v) for k, v in vals if v is not None], key=lambda kv: -kv[1])


def auc_conclusions(have: dict, au: dict) -> list[str]:
    """What the AUC numbers support, written from the numbers themselves."""
    out = ["**What the AUC numbers support.**", ""]
    orders = {}
    for pool in AUC_POOLS:
        order = _order(have, auc_key("auc_global", pool))
        orders[pool] = [k for k, _ in order]
        out.append(
            f"- Global AUC, pool `{pool}`: " + " > ".join(f"{k} {fmt(v)}" for k, v in order) + "."
        )
    ranks = {p: {k: i + 1 for i, k in enumerate(o)} for p, o in orders.items()}
    if len({tuple(o) for o in orders.values()}) > 1:
        parts = []
        for p in AUC_POOLS:
            top = orders[p][0]
            elsewhere = ", ".join(
                f"{ranks[q][top]} of {len(orders[q])} on `{q}`" for q in AUC_POOLS if q != p
            )
            parts.append(f"{top} ranks first on `{p}` ({elsewhere})")
        out.append(
            "- The pools order the models differently: "
            + "; ".join(parts)
            + ". No claim that a loss raises or lowers global AUC holds without naming the pool; "
            "global AUC is one pooled number per model and is not tested here."
        )
    below = [
        k
        for k, (m, _) in have.items()
        if m["metrics"].get(auc_key("auc_global", "judged+top100"), 1) < 0.5
    ]
    if below:
        out.append(
            f"- On `judged+top100` global AUC is below 0.5 for {len(below)} of {len(have)} models: "
            "judged-relevant documents the run did not return score −∞ and NFCorpus has no judged "
            "negatives, so this pool mostly counts relevant documents outside the top 100 rather "
            "than how well scores separate relevant from non-relevant ones."
        )
    for pool in AUC_POOLS:
        vs_base = au[pool][0]
        sig = [
            f"{k} (p {pfmt(c.p_holm)}, mean {fmt(c.mean)} vs {fmt(c.baseline_mean)})"
            for k, c in vs_base.items()
            if c.p_holm < 0.05
        ]
        vs_info = au[pool][1]
        not_sig = [f"{k} (p {pfmt(c.p_holm)})" for k, c in vs_info.items() if c.p_holm >= 0.05]
        line = f"- Per-query AUC, pool `{pool}`: "
        line += (
            "significantly different from the untrained model for " + ", ".join(sig)
            if sig
            else "no trained model differs significantly from the untrained one"
        )
        if not_sig:
            line += "; not significantly different from InfoNCE: " + ", ".join(not_sig)
        out.append(line + " (Holm-corrected randomization tests).")
    return out


def _train_record(meta: dict[str, Any]) -> dict[str, Any]:
    """The training record the checkpoint carried into the result's metadata (so the table
    rebuilds on a clone without the gitignored ``ckpt/`` folders)."""
    for st in meta.get("stages") or []:
        rec = (st.get("parameters") or {}).get("training")
        if isinstance(rec, dict):
            return rec
    return {}


def starbucks_table(db: dict) -> list[str]:
    lines = [
        "### Starbucks 2D Matryoshka: STS-B train fine-tune vs the untrained model truncated the same way",
        "",
        "Spearman (cosine) at each (layers, dims) pair of the trained diagonal and the full model.",
        "",
    ]
    for task in STS_TASKS:
        grids = {}
        for name, system in STARBUCKS.items():
            if (task, system) in db:
                g = (db[(task, system)][0].get("extra") or {}).get("grid") or []
                grids[name] = {(r["layers"], r["dim"]): r["score"] for r in g}
        if len(grids) < 2:
            lines.append(f"({task}: grid results missing)")
            continue
        pairs = [(1, 16), (2, 32), (3, 64), (4, 128), (5, 256), (6, 384)]
        lines += [
            f"**{task}**",
            "",
            "| model | " + " | ".join(f"{n}L x {d}d" for n, d in pairs) + " | mean of 36 cells |",
            "|---|" + "---|" * (len(pairs) + 1),
        ]
        for name, g in grids.items():
            mean = sum(g.values()) / len(g)
            lines.append(
                f"| {name} | " + " | ".join(fmt(g.get(p)) for p in pairs) + f" | {fmt(mean)} |"
            )
        lines.append("")
    return lines


# ---------------------------------------------------------------- rerankers
def bm25_list(task: str, data_dir: Path | None) -> dict[str, float]:
    """Per-query nDCG@10 of the task's own candidate list (the official BM25 top-100 run)."""
    from ir_harness.eval.metrics import evaluate
    from ir_harness.task import get_task

    t, subset = get_task(task)
    data = t.load(subset, data_dir)
    ev = evaluate(data.candidates or {}, data.qrels, t.spec(subset), data, metrics=("ndcg@10",))
    return ev.per_query["ndcg@10"]


def backend(meta: dict[str, Any]) -> str:
    parts = []
    for st in meta.get("stages") or []:
        b = st.get("backbone") or st.get("name")
        parts.append(f"{st['name']}: {b} ({st.get('backend', '')})")
    return "; ".join(parts)


def _input_of_last_stage(db: dict, task: str, system: str, qids: list[str]) -> str:
    """nDCG@10 of what the last stage reordered, on the same queries: the stored result of the
    pipeline without its last stage, or the BM25 list for a single reranker."""
    if ">" not in system:
        return "BM25 list"
    prev = system.rsplit(">", 1)[0]
    if (task, prev) not in db:
        return f"({prev}: not stored)"
    pq = db[(task, prev)][0]["per_query"]["ndcg@10"]
    return f"{prev}: {fmt(sum(pq.get(q, 0.0) for q in qids) / len(qids))}"


def rerank_table(db: dict, data_dir: Path | None) -> list[str]:
    lines = [
        "### Reranking the official BM25 top-100 of TREC DL 2019 / 2020 (CPU, 2 threads)",
        "s / query: wall time of the whole run over its queries; (cache) marks runs that reused "
        "stored embeddings or LLM responses, so it is not a cold cost. Repaired windows: LLM "
        "answers that did not list every passage (the parser keeps the missing ones in their "
        "previous order; an answer like `[1] > [2]` leaves the window as it was). Unchanged / "
        "unusable windows: answers that kept the input order, and answers with no usable "
        "passage identifier (both leave the window as it was).",
        "",
        "Rows marked **trained on these queries** were scored on queries their model was trained "
        "on (the DeAR and MVP students were distilled on DL19 queries): they are not held-out "
        "scores, the leaderboard never ranks them best nor makes them the reference of "
        "significance-vs-best, and only "
        "their DL20 rows measure the students. `@limit8` rows ran on the first 8 judged queries.",
        "",
        "| task | system | backend | queries | nDCG@10 | BM25 list, same queries | p vs BM25 list | "
        "input of the last stage, same queries | LLM calls / query | prompt tokens / query | "
        "s / query | repaired windows | unchanged / unusable windows | training queries among the evaluated |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for task in RERANK_TASKS:
        rows = [(s, v) for (t, s), v in sorted(db.items()) if t == task]
        if not rows:
            continue
        try:
            ref = bm25_list(task, data_dir)
        except Exception as e:  # the shared data is not here: say so in the table
            lines.append(f"| {task} | (BM25 list unavailable: {e}) ||||||||||")
            continue
        for system, (m, meta) in rows:
            if simulated(meta):
                continue  # oracle runs have their own table
            mine = m["per_query"]["ndcg@10"]
            qids = sorted(mine)
            c = compare({"s": mine, "bm25": {q: ref.get(q, 0.0) for q in qids}}, "bm25", "ndcg@10")[
                0
            ]
            stats = meta.get("stats") or {}
            n = len(qids)
            before = _input_of_last_stage(db, task, system, qids)
            calls = stats.get("llm_calls")
            toks = stats.get("llm_prompt_tokens")
            secs = (meta.get("timings") or {}).get("total_s")
            cached = stats.get("cache_hits_documents") or stats.get("llm_cache_hits")
            windows = sum(
                v for k, v in stats.items() if k.endswith("_windows") and "repaired" not in k
            )
            repaired = sum(v for k, v in stats.items() if k.endswith("_repaired_windows"))
            unchanged = sum(v for k, v in stats.items() if k.endswith("_windows_unchanged"))
            unusable = sum(v for k, v in stats.items() if k.endswith("_windows_unusable"))
            moved = (
                f"{unchanged}/{unusable} of {windows}"
                if windows and any(k.endswith("_windows_unchanged") for k in stats)
                else ""  # runs stored before these counts existed
            )
            lines.append(
                f"| {task} | {system} | {backend(meta)} | {n} | {fmt(c.mean)} | "
                f"{fmt(c.baseline_mean)} | {pfmt(c.p_value)} | {before} | "
                f"{fmt(calls / n, 1) if calls is not None else '0'} | "
                f"{fmt(toks / n, 0) if toks is not None else ''} | {fmt(secs / n if secs else None, 1)}{' (cache)' if cached else ''} | "
                f"{f'{repaired}/{windows}' if windows else ''} | {moved} | {_held_out(m, meta)} |"
            )
    return lines


# ---------------------------------------------------------------- oracle sweeps
def simulated(meta: dict[str, Any]) -> bool:
    return any(st.get("kind") == "oracle" for st in meta.get("stages") or [])


def oracle_table(db: dict) -> list[str]:
    """Main metric against the oracle's noise sigma, per task and LLM system (mean over seeds)."""
    from ir_harness.leaderboard.plots import sweep_name
    from ir_harness.llm.oracle.backend import GROUP_RULE, PROMPT_RULE, UNMATCHED_RULE
    from ir_harness.llm.oracle.spec import oracle_part, parse_oracle

    cells: dict[tuple[str, str], dict[float, list[float]]] = {}
    info: dict[tuple[str, str], dict[str, Any]] = {}
    said: dict[str, str] = {}  # system -> its asks' rule, as the stored results record it
    for (task, system), (m, meta) in sorted(db.items()):
        if not simulated(meta):
            continue
        st = next(st for st in meta["stages"] if st.get("kind") == "oracle")
        llm = (st.get("parameters") or {}).get("llm") or {}
        part = oracle_part(str(llm.get("model") or llm.get("spec") or ""))
        if part is None:
            continue
        o = parse_oracle(part)
        if o.flip:
            continue
        key = (task, sweep_name(system))
        cells.setdefault(key, {}).setdefault(o.noise, []).append(m["main_score"])
        i = info.setdefault(key, {"metric": m["main_metric"], "n": m["n_queries"], "seeds": set()})
        i["seeds"].add(o.seed)
        i.setdefault("sees", set()).add(oracle_sees(llm.get("sees"), system))
        sees = llm.get("sees") if isinstance(llm.get("sees"), dict) else {}
        rules_of = sees.get("systems") or sees.get("readers") or {}  # "readers": older results
        said.update(
            {str(k): str(v) for k, v in rules_of.items()} if isinstance(rules_of, dict) else {}
        )
        if o.noise == 0:
            calls = (meta.get("stats") or {}).get("llm_calls", 0)
            hits = (meta.get("stats") or {}).get("llm_cache_hits", 0)
            i["calls"] = (calls + hits) / max(1, m["n_queries"])
    if not cells:
        return ["(no stored oracle results)"]
    sigmas = sorted({s for c in cells.values() for s in c})
    rules = [f"{n}: {d}" for n, d in sorted(said.items()) if d]
    lines = [
        "### Oracle sweeps: each LLM system driven by a simulated LLM answering from the qrels",
        "The oracle (`--llm oracle[noise=SIGMA,seed=S]`, served over HTTP by `harness "
        "oracle-sweep`) adds Gaussian noise of sigma to the true grade before ordering / rounding. "
        "Scores are means over the oracle seeds listed; LLM calls / query at sigma 0 include cache "
        "hits (LATTICE's include the tree build's summaries). Simulations: never compared with "
        "real systems.",
        "",
        f"What the oracle sees: {PROMPT_RULE}; graded from the task's qrels (or `qrels=FILE`); "
        f"{UNMATCHED_RULE}; {GROUP_RULE}. Each system's asks add their own rule: "
        + "; ".join(rules)
        + ". A system that lets the oracle read more than its prompt says so in its name "
        "(`sees=tree`): a tree-informed oracle is a different bound from one that reads only "
        "the prompt. The column *oracle saw* repeats each result's stored record (qrels hash, "
        "tree files); results stored before these records existed say so.",
        "",
        "| task | LLM system | metric | queries | seeds | "
        + " | ".join(f"sigma={s:g}" for s in sigmas)
        + " | LLM calls / query (sigma 0) | oracle saw |",
        "|---|---|---|---|---|" + "---|" * len(sigmas) + "---|---|",
    ]
    for (task, system), by_sigma in cells.items():
        i = info[(task, system)]
        vals = [fmt(sum(by_sigma[s]) / len(by_sigma[s])) if s in by_sigma else "" for s in sigmas]
        lines.append(
            f"| {task} | {system} | {i['metric']} | {i['n']} | "
            f"{','.join(map(str, sorted(i['seeds'])))} | {' | '.join(vals)} | "
            f"{fmt(i.get('calls'), 1)} | {'; '.join(sorted(i['sees']))} |"
        )
    return lines


def informed_by(system: str) -> list[str]:
    """What the system's stages let an oracle read beyond the prompt (``oracle_sees``)."""
    from ir_harness.registry import SYSTEMS

    out = []
    for stage in system.split("[", 1)[0].split(">"):
        if stage in SYSTEMS and (tag := getattr(SYSTEMS.get(stage), "oracle_sees", None)):
            out.append(str(tag))
    return out


def oracle_sees(sees: Any, system: str) -> str:
    """One cell from a result's stored ``sees`` record (see ``ir_harness.llm.oracle.backend``)."""
    if not isinstance(sees, dict):
        tags = informed_by(system)
        if tags and "sees=" not in system:
            return (
                f"not recorded (stored before oracle records); sees {'+'.join(tags)} although "
                "its name predates `sees=`"
            )
        return "not recorded (stored before oracle records)"
    q = sees.get("qrels") or {}
    parts = [f"qrels sha256 {q['sha256'][:12]}" if q.get("sha256") else "qrels hash on server"]
    groups = sees.get("groups") or {}
    files = groups.get("files")
    if files:
        parts.append(f"{len(files)} tree file(s)")
    elif groups:
        parts.append("tree files on server")
    return ", ".join(parts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", type=Path, default=Path("results"))
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=None, help="write the markdown here (atomically)")
    a = ap.parse_args()
    db = stored(a.results)
    text = "\n".join(
        [
            "# Offline studies (generated by scripts/study_tables.py; do not edit by hand)",
            "",
            *training_table(db),
            "",
            *starbucks_table(db),
            "",
            *rerank_table(db, a.data_dir),
            "",
            *oracle_table(db),
            "",
        ]
    )
    if a.out:
        from ir_harness.data.formats import atomic_write_text

        atomic_write_text(a.out, text)
    print(text)


if __name__ == "__main__":
    main()
