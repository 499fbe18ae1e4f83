"""``harness train`` is generated from one typed options model per method: a method added to the
table brings its own flags, the command itself does not change."""

from __future__ import annotations

import pytest
import typer
from pydantic import ValidationError
from typer.testing import CliRunner

from ir_harness.train import options as O
from ir_harness.train.methods import option_models


def _flags(sig: object) -> set[str]:
    return set(sig.parameters)  # type: ignore[attr-defined]


def test_the_command_has_exactly_the_fields_of_the_models() -> None:
    models = option_models()
    names = _flags(O.command_signature(models))
    fields = set(O.TrainOptions.model_fields)
    for model in models:
        fields |= set(model.model_fields)
    assert names == fields
    assert {"mw_chunk", "pg_k", "sts_kl", "teacher_run", "option", "json_out"} <= names


def test_a_new_method_adds_its_options_without_touching_the_command() -> None:
    class ListNetOptions(O.NoOptions):
        listnet_temperature: float = O.opt(0.5, "softmax temperature of the ListNet target")

    models = [*option_models(), ListNetOptions]
    seen: dict[str, object] = {}

    def command(**values: object) -> None:
        seen.update(O.parse_values(values, models)[1])

    command.__signature__ = O.command_signature(models)  # type: ignore[attr-defined]
    app = typer.Typer()
    app.command("train")(command)
    app.command("other")(lambda: None)
    help_text = CliRunner().invoke(app, ["train", "--help"], env={"COLUMNS": "200"}).output
    assert "--listnet-temperature" in help_text and "ListNet target" in help_text
    r = CliRunner().invoke(
        app, ["train", "-m", "listnet", "--out", "x", "--listnet-temperature", "2"]
    )
    assert r.exit_code == 0, r.output
    assert seen["listnet_temperature"] == 2.0 and seen["pg_k"] == 10  # others keep defaults


def test_the_models_check_their_values() -> None:
    with pytest.raises(ValidationError, match="steps"):
        O.TrainOptions(method="mw", out="x", steps=0)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="mw_chunks"):
        O.MWOptions(mw_chunks=3)  # type: ignore[call-arg]
