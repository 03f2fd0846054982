"""The ``trackside`` command: every layer's commands under one root.

It lives in the top layer because it composes all of them; it imports Qt only
when ``trackside gui`` runs, so the rest works on a machine without a display.
"""

from __future__ import annotations

import click

from league.cli import evaluate, export, league
from league.raceday_cli import raceday
from sim.cli import reward, tracks
from trainer.cli import model, train


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="trackside")
def main():
    """Trackside: learn autonomous racing with reinforcement learning, offline.

    Your data lives in TRACKSIDE_HOME (default: the platform's user data folder).
    """


main.add_command(tracks)
main.add_command(reward)
main.add_command(model)
main.add_command(train)
main.add_command(raceday)
main.add_command(evaluate)
main.add_command(league)
main.add_command(export)


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


if __name__ == "__main__":
    main()
