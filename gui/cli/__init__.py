"""The ``trackside`` command: a front-end beside the desktop app.

Like the app, it only parses input, calls the Qt-free layers (``sim``, ``trainer``,
``league``) and presents what they return; the rules live in those layers. Its modules:
``tracks`` (tracks, reward), ``models`` (model, train), ``evaluate`` (evaluate), ``league`` (league,
export), ``raceday`` and ``common`` (the conventions every command follows). It imports Qt
only when ``trackside gui`` runs, so the rest works on a machine without a display.
"""

from __future__ import annotations

import sys

import click

from . import corrections
from .evaluate import evaluate
from .finals import finals
from .league import export, league
from .models import model, train
from .printouts import register as register_printouts
from .raceday import raceday
from .serve import serve
from .tracks import reward, tracks
from .backup import backup, restore  # noqa: I001 (kept apart from the other packages' lines, to merge cleanly)
from .coach import coach
from .handin import handin
from .timer import timer
from .sweep import sweep

TRAIN_COMMAND = (sys.executable, "-m", "gui.cli", "train")
"""How a front-end starts a training in its own process (``trainer.training_process.start_training``)."""


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="trackside")
def main():
    """Trackside: learn autonomous racing with reinforcement learning, offline.

    Your data lives in TRACKSIDE_HOME (default: the platform's user data folder).
    """


main.add_command(tracks)
main.add_command(reward)
main.add_command(model)
register_printouts(export)  # export podium|certificates|summary (PDF)
main.add_command(train)
main.add_command(raceday)
main.add_command(backup)
main.add_command(restore)
main.add_command(coach)
raceday.add_command(finals)
main.add_command(evaluate)
main.add_command(league)
main.add_command(export)
main.add_command(serve)
corrections.register(main)
main.add_command(handin)
main.add_command(timer)
main.add_command(sweep)


@main.command()
def gui():
    """Open the desktop app."""
    import importlib.util

    if importlib.util.find_spec("gui.app") is None:
        click.echo("The desktop app is not built yet. Until it is, Trackside works from this command line:\n")
        click.echo(main.get_help(click.Context(main, info_name="trackside")))
        return
    from gui.app import run

    raise SystemExit(run())

