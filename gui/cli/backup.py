"""``trackside backup`` and ``trackside restore``: the whole home as one archive (:mod:`league.backup`)."""

from __future__ import annotations

from pathlib import Path

import click

from .common import emit_json, friendly_errors


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.1f} kB"


@click.command()
@click.option("-o", "--output", "target", required=True, type=click.Path(path_type=Path),
              help="The archive to write, e.g. trackside-backup.tar.gz.")
@click.option("--json", "as_json", is_flag=True, help="Print the archive's manifest as JSON.")
@friendly_errors
def backup(target: Path, as_json: bool):
    """Back up the whole Trackside home (league database, models, tracks) into one archive.

    The database is copied consistently even while the app is running.
    """
    from league.backup import backup_home

    manifest = backup_home(target)
    if as_json:
        emit_json(manifest)
        return
    total = sum(f["size"] for f in manifest["files"])
    click.echo(f"backed up {len(manifest['files'])} files ({_size(total)}) to {target}")


@click.command()
@click.argument("archive", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the restored archive's manifest as JSON.")
@friendly_errors
def restore(archive: Path, as_json: bool):
    """Restore a backup into an empty Trackside home (set TRACKSIDE_HOME to a new folder)."""
    from league.backup import restore_home
    from sim.paths import home

    manifest = restore_home(archive)
    if as_json:
        emit_json(manifest)
        return
    click.echo(f"restored {len(manifest['files'])} files into {home()} "
               f"(backup of {manifest['created']}, Trackside {manifest['trackside_version']})")
