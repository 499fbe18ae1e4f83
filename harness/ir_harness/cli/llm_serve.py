"""``harness llm-serve``: the oracle LLM over HTTP; imports only typer at load."""

from __future__ import annotations

from pathlib import Path  # noqa: TC003 (typer reads the annotations at run time)
from typing import Annotated

import typer

from ir_harness.errors import ConfigError


def llm_serve_command(
    backend: Annotated[str, typer.Argument(help="what to serve: only 'oracle' for now")],
    task: Annotated[str, typer.Option("--task", "-t", help="task whose qrels answer")],
    port: Annotated[int, typer.Option("--port", help="port on 127.0.0.1")] = 8765,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", envvar="HARNESS_DATA_DIR", show_envvar=False)
    ] = None,
) -> None:
    """Serve the oracle LLM over the OpenAI chat-completions API on 127.0.0.1 (Ctrl-C stops).

    Use it as --llm openai:oracle[noise=SIGMA,seed=S]@http://127.0.0.1:PORT/v1.
    """
    if backend != "oracle":
        raise ConfigError(f"llm-serve {backend!r}: only 'oracle' can be served")
    from ir_harness.llm.oracle.backend import make_oracle
    from ir_harness.llm.oracle.server import OracleServer, task_factory

    make_oracle("oracle", task=task, data_dir=data_dir)  # load the data before announcing
    srv = OracleServer(port, task_factory(task, data_dir))
    typer.echo(f"oracle for {task} at {srv.url} (model: oracle[noise=S,seed=N,flip=P])", err=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()
