"""The best lap shown for a model is one number everywhere: the app's model table, ``trackside
model list`` and lap 1 of ``trackside evaluate`` on the model's training track, driven under the noise seed
training evaluates with (``trainer.training.EVAL_SEED``)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from gui.cli import main
from gui.pages.models import ModelsPage


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_the_best_lap_is_one_number_in_the_cli_the_app_and_an_evaluation(qtbot, ctx, trained_model):
    listed = next(r for r in json.loads(run("model", "list", "--json").stdout) if r["name"] == trained_model)
    from trainer.training import EVAL_SEED

    evaluated = json.loads(run("evaluate", trained_model, "--track", "practice_oval", "--laps", "1", "--no-trace",
                               "--seed", str(EVAL_SEED), "--json").stdout)
    lap1 = evaluated["laps"][0]["time_s"]
    assert listed["best_lap_s"] == lap1
    page = ModelsPage(ctx)
    qtbot.addWidget(page)
    row = page.table_model.row_of(trained_model)
    shown = page.table_model.data(page.table_model.index(row, 5))
    assert shown == (f"{lap1:.3f} s" if lap1 is not None else "-")
    listed_text = next(line for line in run("model", "list").stdout.splitlines() if line.startswith(trained_model))
    assert listed_text.split()[-2:] == shown.split()     # the same text on both screens
