"""The eval-only user's check (tox -e minimal): the package installed without torch, Pyserini or
LLM extras still lists plugins, re-scores stored runs to their stored numbers, and builds the site.

Stored runs re-scored (full ones: not partial, no judge qrels): every result of the embedded
``demo`` task, and the first of each TREC DL task when ../shared/data (or $HARNESS_DATA_DIR)
exists; one per data-backed task keeps this env to minutes (each ``harness eval`` is a process
that loads the task). Exit 1 on any difference or failure.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "transformers", "sentence_transformers", "pyserini", "faiss", "llama_cpp")
# Tasks whose `harness eval` needs only a local folder (no model, no online loader).
EVAL_TASKS = ("demo", "trec-dl/2019", "trec-dl/2020", "trec-dl/2019/bm25-top100",
              "trec-dl/2020/bm25-top100")  # fmt: skip


def harness(*args: str) -> str:
    exe = Path(sys.executable).parent / "harness"
    r = subprocess.run([str(exe), *args], capture_output=True, text=True, check=False)
    if r.returncode != 0:
        sys.exit(f"FAIL: harness {' '.join(args)} exited {r.returncode}:\n{r.stderr[-2000:]}")
    return r.stdout


def check_one_namespace() -> None:
    """The wheel installs exactly one top-level import package, ``ir_harness``, and leaves the
    names other distributions use alone: Hugging Face's ``kernels`` installed beside it stays
    importable, and so does our ``ir_harness.kernels``."""
    from importlib.metadata import distribution

    files = distribution("ir-harness").files or []
    tops = sorted(
        {f.parts[0] for f in files if f.suffix == ".py" or f.name == "__init__.py"}
        - {"..", "__editable__"}
    )
    tops = [t for t in tops if not t.endswith(".dist-info")]
    if tops != ["ir_harness"]:
        sys.exit(
            f"FAIL: the installed wheel has top-level packages {tops}, expected ['ir_harness']"
        )
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "kernels"], check=True)
    probe = (
        "import kernels, ir_harness.kernels.topk as t;"
        "assert hasattr(kernels, 'get_kernel'), kernels.__file__;"
        "assert 'ir_harness' in t.__name__; print(kernels.__file__)"
    )
    # from another folder: the checkout's own kernels/ folder would shadow the installed one
    r = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=False,
        cwd=tempfile.gettempdir(),
    )
    if r.returncode != 0:
        sys.exit(f"FAIL: kernels and ir_harness side by side:\n{r.stderr[-2000:]}")
    print(
        f"one namespace: ir_harness only; Hugging Face kernels importable beside it ({r.stdout.strip()})"
    )


def main() -> None:
    check_one_namespace()
    present = [m for m in HEAVY if importlib.util.find_spec(m) is not None]
    if present:
        sys.exit(f"FAIL: the minimal env has heavy packages installed: {', '.join(present)}")
    tasks = json.loads(harness("list", "tasks", "--json"))
    systems = json.loads(harness("list", "systems", "--json"))
    print(f"harness list: {len(tasks)} task families, {len(systems)} systems")

    data = os.environ.get("HARNESS_DATA_DIR") or str(ROOT.parent / "shared" / "data")
    have_data = (Path(data) / "README.md").exists()
    checked = 0
    done_tasks: set[str] = set()
    for metrics_file in sorted((ROOT / "results").glob("*/*/metrics.json")):
        rec = json.loads(metrics_file.read_text())
        scope = rec.get("scope") or {}
        if rec["task"] not in EVAL_TASKS or scope.get("partial") or scope.get("qrels_from"):
            continue
        if rec["task"] != "demo" and (not have_data or rec["task"] in done_tasks):
            continue  # every demo result (generated data, quick), one per data-backed task
        done_tasks.add(rec["task"])
        run = metrics_file.parent / "run.trec"
        out = json.loads(
            harness("eval", str(run), "--task", rec["task"], "--data-dir", data, "--json")
        )
        diff = {
            m: (v, rec["metrics"][m])
            for m, v in out["metrics"].items()
            if m in rec["metrics"] and v != rec["metrics"][m]  # older results lack judged@10
        }
        if diff or out["n_queries"] != rec["n_queries"]:
            sys.exit(
                f"FAIL: {run} re-scores differently (new, stored): {diff}, n={out['n_queries']}"
            )
        checked += 1
        print(
            f"harness eval {run.relative_to(ROOT)}: {rec['main_metric']} {out['main_score']:.4f} = stored"
        )
    if checked == 0:
        sys.exit("FAIL: no stored run was re-scored")

    with tempfile.TemporaryDirectory() as tmp:
        print(
            harness(
                "leaderboard", "build", "--results", str(ROOT / "results"), "--out", tmp
            ).strip()
        )
        if not (Path(tmp) / "index.html").is_file():
            sys.exit("FAIL: leaderboard build wrote no index.html")
    print(
        f"minimal env OK: list, eval ({checked} stored runs re-scored identically), leaderboard build"
    )


if __name__ == "__main__":
    main()
