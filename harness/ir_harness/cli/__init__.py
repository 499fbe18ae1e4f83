"""The ``harness`` command line: one module per core command, shared options in ``options``.

Commands implemented by plugins (``build-tree``, ...) come from the ``[commands]``
tables of our plugin folders and the ``harness.commands`` entry-point group: each is named after
its command and points at a callable that adds the command to a typer app. They are loaded only when that command is
called or the command list is shown, so ``harness list`` imports neither them nor heavy libraries.
``train`` is a core command loaded the same way, because its flags come from the training
methods the plugins register.
"""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer.core import TyperGroup

from ir_harness.cli.cache import cache_app
from ir_harness.cli.compare import compare_cmd
from ir_harness.cli.diff import diff_cmd
from ir_harness.cli.entry import run_main
from ir_harness.cli.eval import eval_cmd
from ir_harness.cli.grid import grid_cmd
from ir_harness.cli.leaderboard import leaderboard_app
from ir_harness.cli.listing import list_cmd
from ir_harness.cli.llm_serve import llm_serve_command
from ir_harness.cli.oracle_sweep import oracle_sweep_command
from ir_harness.cli.plan import plan_cmd
from ir_harness.cli.reproduce import reproduce_cmd
from ir_harness.cli.run import run_cmd
from ir_harness.cli.trec_eval import CONTEXT as TREC_EVAL_CONTEXT
from ir_harness.cli.trec_eval import trec_eval_cmd

COMMAND_GROUP = "harness.commands"
# Core commands registered on demand, as plugin commands are (name -> "module:register").
LAZY_COMMANDS = {"train": "ir_harness.train.cli:register_train"}


def plugin_entry_points() -> dict[str, Any]:
    """Commands loaded on demand by name: the lazy core ones, our plugin tables', then installed
    packages' entry points (reading any of them imports no plugin)."""
    from ir_harness.plugin_tables import PluginTarget, plugins

    lazy = {name: PluginTarget(name, target) for name, target in LAZY_COMMANDS.items()}
    return {**lazy, **plugins(COMMAND_GROUP)}


def load_plugin_command(name: str, ep: Any) -> Any:
    """The click command a plugin entry point registers under ``name`` (None if it did not)."""
    sub = typer.Typer()
    ep.load()(sub)
    return typer.main.get_group(sub).get_command(None, name)  # type: ignore[arg-type]


class _PluginGroup(TyperGroup):
    """The root group: core commands first, plugin commands resolved on demand."""

    # click's types are typer's vendored copy or click itself, depending on the typer version
    def list_commands(self, ctx: Any) -> list[str]:
        core = super().list_commands(ctx)
        return core + sorted(n for n in plugin_entry_points() if n not in core)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        cmd = super().get_command(ctx, cmd_name)
        if cmd is not None:
            return cmd
        ep = plugin_entry_points().get(cmd_name)
        if ep is None:
            return None
        try:
            return load_plugin_command(cmd_name, ep)
        except Exception as e:  # a broken plugin must not hide the other commands
            print(
                f"warning: plugin command {cmd_name!r} ({ep.value}) failed to load: "
                f"{type(e).__name__}: {e}",
                file=sys.stderr,
            )
            return None


app = typer.Typer(
    cls=_PluginGroup,
    add_completion=False,
    no_args_is_help=True,
    help="Evaluation harness for information retrieval research.",
)
app.command("list")(list_cmd)
app.command("run")(run_cmd)
app.command("plan")(plan_cmd)
app.command("grid")(grid_cmd)
app.command("eval")(eval_cmd)
app.command("trec-eval", context_settings=TREC_EVAL_CONTEXT, add_help_option=False)(trec_eval_cmd)
app.command("compare")(compare_cmd)
app.command("reproduce")(reproduce_cmd)
app.command("diff")(diff_cmd)
app.add_typer(leaderboard_app, name="leaderboard")
app.add_typer(cache_app, name="cache")
app.command("llm-serve")(llm_serve_command)
app.command("oracle-sweep")(oracle_sweep_command)


def main() -> None:
    """The ``harness`` console script."""
    run_main(app)
