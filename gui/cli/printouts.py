"""``trackside export podium|certificates|summary EVENT -o FILE.pdf [--race]``: the printouts of a
race-day event (or, with ``--race``, a league race) as PDF, through :func:`league.printouts.write_printout`.

They join the ``export`` group (:mod:`gui.cli.league`) with :func:`register`, called once from
:mod:`gui.cli`.
"""

from __future__ import annotations

from pathlib import Path

import click

from .common import friendly_errors

_WHAT = {
    "podium": "The top three on their steps, with the rest of the top ten below, as one A4 page.",
    "certificates": "One A4 certificate per racer: rank, best lap, their best lap against the track's limit, "
                    "and the track with the racing line and their best lap (replayed from its seed).",
    "summary": "The organiser's record: settings, board, every session (submission) and lap, and the corrections.",
}


def _printout_command(what: str) -> click.Command:
    @click.command(what, help=f"{_WHAT[what]}\n\nEVENT is a race-day event; with --race, a league race.")
    @click.argument("name", metavar="EVENT")
    @click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
                  help="The PDF file to write (replaced atomically).")
    @click.option("--race", is_flag=True, help="EVENT names a league race, not a race-day event.")
    @click.option("--no-replay", is_flag=True, hidden=what != "certificates",
                  help="Draw the racing line only, without replaying each racer's best lap (faster).")
    @friendly_errors
    def command(name, output, race, no_replay):
        from league.db import open_db
        from league.printouts import write_printout

        path = write_printout(open_db(), what, name, output, race=race, replay=not no_replay)
        click.echo(f"wrote {path}", err=True)

    return command


COMMANDS = tuple(_printout_command(what) for what in _WHAT)


def register(group: click.Group) -> None:
    """Add the printout commands to ``group`` (``trackside export``)."""
    for command in COMMANDS:
        group.add_command(command)
