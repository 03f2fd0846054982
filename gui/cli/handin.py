"""``trackside handin``: racers' model archives into a race-day queue or a league race (``league.handin``).

``handin submit ARCHIVE --alias A --event E`` hands one archive in; ``handin watch FOLDER --event E``
watches a folder (a USB stick's ``models/``) until Ctrl-C; ``handin list`` prints the organiser's inbox.
The event server's upload page (``/handin/EVENT``) and the app's Inbox page take the same path.
"""

from __future__ import annotations

import threading

import click

from .common import UserError, emit_json, friendly_errors


def _target(event: str | None, race: str | None) -> str | None:
    if event and race:
        raise UserError("give --event or --race, not both")
    return f"raceday:{event}" if event else f"race:{race}" if race else None


def _line(r: dict) -> str:
    where = f"queue position {r['queue_position']}" if r["queue_position"] is not None else \
        f"submission {r['submission']['submission']}" if r["submission"] else ""
    if r["status"] == "accepted":
        return f"{r['time']}  accepted  {r['alias']}  {r['archive_name']} -> model {r['model']}  " \
               f"hash {r['hash']}  {r['target']}  {where}".rstrip()
    return f"{r['time']}  refused   {r['alias']}  {r['archive_name']}  {r['target']}: {r['reason']}"


def _target_options(fn):
    fn = click.option("--race", default=None, help="A league race (name or id): the model is submitted.")(fn)
    return click.option("--event", default=None, help="A race-day event (name or id): the racer joins its queue.")(fn)


@click.group()
def handin():
    """Racers hand in model archives: checked, frozen, hashed, then queued or submitted."""


@handin.command("submit")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
@click.option("--alias", required=True, help="The racer's alias.")
@_target_options
@click.option("--json", "as_json", is_flag=True, help="Print the receipt as JSON.")
@friendly_errors
def handin_submit(archive, alias, event, race, as_json):
    """Hand in ARCHIVE (a .tar.gz from trackside model export) for racer ALIAS."""
    from league.db import open_db
    from league.handin import hand_in

    target = _target(event, race)
    if target is None:
        raise UserError("give --event E (race day) or --race R (league)")
    r = hand_in(open_db(), archive, alias, target, source="trackside handin submit")
    if as_json:
        emit_json(r)
    else:
        click.echo(_line(r))
    if r["status"] != "accepted":
        raise SystemExit(1)


@handin.command("watch")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@_target_options
@click.option("--interval", type=click.FloatRange(0.2, 60), default=2.0, show_default=True,
              help="Seconds between two looks at the folder.")
@friendly_errors
def handin_watch(folder, event, race, interval):
    """Hand in every new *.tar.gz in FOLDER until Ctrl-C (alias: alias.txt in FOLDER, else the file name)."""
    from league.handin_watch import watch

    target = _target(event, race)
    if target is None:
        raise UserError("give --event E (race day) or --race R (league)")
    click.echo(f"watching {folder} for model archives (Ctrl-C stops)")
    stop = threading.Event()
    try:
        watch(folder, target, stop, lambda r: click.echo(_line(r)), interval_s=interval)
    except KeyboardInterrupt:
        stop.set()


@handin.command("list")
@_target_options
@click.option("--json", "as_json", is_flag=True, help="Print the inbox as JSON.")
@friendly_errors
def handin_list(event, race, as_json):
    """The inbox: every hand-in, newest first, accepted or refused with the reason."""
    from league.db import open_db
    from league.handin import inbox

    rows = inbox(open_db(), _target(event, race))
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        click.echo(_line(r))
    if not rows:
        click.echo("no hand-ins yet")
