"""``harness build-tree``: build (or convert) a LATTICE tree for a task's corpus.

Takes the same ``-o`` options and ``--llm`` as ``harness run --system lattice``, builds the tree
into the same cache (so the run that follows finds it) and copies it to ``--out`` if given.
``--from-pickle`` converts an authors' released tree; it needs ``--trust-pickle``. Only typer and
the standard library are imported at module load: ``harness`` loads this module through the
``harness.commands`` entry point ``build-tree`` (``register``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from ir_harness.cli.options import DataDir  # noqa: TC001 (typer reads it)


def build_tree_command(
    task: Annotated[
        str | None, typer.Option("--task", "-t", help="task whose corpus the tree indexes")
    ] = None,
    data_dir: DataDir = None,
    out: Annotated[Path | None, typer.Option("--out", help="also write the tree JSON here")] = None,
    llm: Annotated[
        str | None, typer.Option(help="LLM for summaries: openai:MODEL@URL, hf:ID, gguf:PATH_OR_ID")
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option(
            "-o",
            "--option",
            help="lattice option KEY=VALUE: builder=bottom-up|top-down, summarizer=llm|extractive,"
            " max_children, levels, embedder=dense|hash, embed_model, seed",
        ),
    ] = None,
    from_pickle: Annotated[
        Path | None, typer.Option("--from-pickle", help="convert a released tree pickle")
    ] = None,
    trust_pickle: Annotated[
        bool, typer.Option("--trust-pickle", help="allow loading --from-pickle (runs its code)")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Build a LATTICE tree (bottom-up or top-down) for a task's corpus, or convert a pickle."""
    from ir_harness.cli.env import llm_cache, progress_disabled, store_policy
    from ir_harness.cli.options import parse_options, setup_logging
    from ir_harness.corpus.policy import using
    from ir_harness.errors import ConfigError
    from ir_harness.run.config import RunConfig
    from ir_harness.run.context import RunContext
    from ir_harness.run.runner import load_task
    from ir_harness.systems.lattice.tree import tree_stats

    setup_logging(json_out)
    opts: dict[str, Any] = parse_options(option)
    if llm:
        opts["llm"] = llm
    ctx = RunContext.from_config(
        RunConfig(
            device="cpu", progress=not (json_out or progress_disabled()), llm_cache=llm_cache()
        ),
        task or "",
    )
    corpus = None
    if task:
        with using(store_policy()):
            _, data = load_task(task, data_dir)
        corpus = data.corpus
    if from_pickle is not None:
        from ir_harness.systems.lattice.convert import convert_pickle

        if out is None:
            raise ConfigError("--from-pickle needs --out for the converted JSON tree")
        stored = convert_pickle(
            from_pickle, trust=trust_pickle, corpus_hash=corpus.content_hash if corpus else ""
        )
        if corpus is not None:
            stored.check_corpus(corpus, str(from_pickle))
        stored.save(out)
        path, source = out, str(from_pickle)
    else:
        if corpus is None:
            raise ConfigError("build-tree needs --task (or --from-pickle)")
        from ir_harness.systems.lattice.system import Lattice

        allowed = {"builder", "summarizer", "max_children", "levels", "embedder", "embed_model"}
        allowed |= {"seed", "llm"}
        bad = sorted(set(opts) - allowed)
        if bad:
            raise ConfigError(f"build-tree: unknown option(s) {', '.join(bad)}")
        system = Lattice(**opts)
        stored, source = system._load_or_build(corpus, ctx)
        path = Path(source)
        if out is not None:
            stored.save(out)
            path = out
    payload = {
        "tree": str(path),
        "source": source,
        "corpus_hash": stored.corpus_hash,
        "builder": stored.builder,
        "stats": tree_stats(stored.root),
        "llm_stats": {k: v for k, v in ctx.stats.items() if k.startswith(("llm_", "lattice_"))},
    }
    print(json.dumps(payload, indent=None if json_out else 2))


def register(app: typer.Typer) -> None:
    """Entry point ``harness.commands: build-tree``."""
    app.command("build-tree")(build_tree_command)
