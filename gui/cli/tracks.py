"""``trackside tracks ...`` and ``trackside reward ...``: tracks and reward functions from the command line.

Conventions shared by every command are in ``gui/cli/common.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .common import UserError, emit_json, friendly_errors


# -- tracks ------------------------------------------------------------------------------------
@click.group()
def tracks():
    """List, inspect and import tracks (DeepRacer .npy files)."""


@tracks.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@friendly_errors
def tracks_list(as_json: bool):
    """Bundled and imported tracks."""
    from sim.library import track_summaries

    rows = track_summaries()
    if as_json:
        emit_json(rows)
        return
    click.echo(f"{'name':<24} {'length':>8} {'width':>6}  {'train':<5} description")
    for r in rows:
        if "problem" in r:
            click.echo(f"{r['name']:<24} {'-':>8} {'-':>6}  {'-':<5} problem: {r['problem']}")
            continue
        train = "yes" if r["trainable"] else "no"
        click.echo(f"{r['name']:<24} {r['length_m']:>7.2f}m {r['width_m']:>5.2f}m  {train:<5} {r['display_name']}")


@tracks.command("show")
@click.argument("name")
@click.option("--max-speed", type=float, default=4.0, show_default=True, help="Top speed for the best lap, m/s.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@friendly_errors
def tracks_show(name: str, max_speed: float, as_json: bool):
    """One track with its racing line and theoretical best lap."""
    from sim.library import load_track, track_summary
    from sim.racing_line import compute_racing_line

    if not 0.1 <= max_speed <= 4.0:
        raise UserError(f"--max-speed must be 0.1..4.0 m/s, got {max_speed}")
    track = load_track(name)
    line = compute_racing_line(track, max_speed=max_speed)
    info = track_summary(track)
    info.update(racing_line_length_m=round(line.length_m, 3), best_lap_s=round(line.best_lap_s, 3),
                flying_lap_s=round(line.flying_lap_s, 3), max_speed=max_speed)
    if as_json:
        emit_json(info)
        return
    for key, value in info.items():
        click.echo(f"{key:>22}: {value}")


@tracks.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--name", default=None,
              help="Name to use for the track (letters, digits, _ and -; default: the file's name as it is, "
                   "e.g. reInvent2019_track).")
@click.option("--display-name", default=None, help="Human-readable title.")
@click.option("--description", default="", help="A sentence about the track.")
@click.option("--overwrite", is_flag=True, help="Replace an imported track of the same name.")
@friendly_errors
def tracks_import(file: Path, name: str, display_name: str | None, description: str, overwrite: bool):
    """Import a DeepRacer .npy track file into your Trackside home."""
    from sim.library import import_track

    name = name if name is not None else file.stem  # DeepRacer's file names are its track names
    track = import_track(file, name, display_name=display_name, description=description, overwrite=overwrite)
    kind = "closed loop" if track.closed else "open track"
    click.echo(f"imported {track.name}: {kind}, {track.length:.2f} m, {len(track.center)} waypoints")


# -- reward ------------------------------------------------------------------------------------
@click.group()
def reward():
    """Check reward functions and see the params they receive."""


@reward.command("validate")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--track", "track_name", default="workshop_loop", show_default=True, help="Track for the sample params.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@friendly_errors
def reward_validate(file: Path, track_name: str, as_json: bool):
    """Run a reward_function.py on sample params; report errors with their line."""
    from sim.library import load_track
    from sim.reward_check import validate_reward_source
    from trainer.reward_trust import check_reward_file

    try:
        source = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{file}: not a UTF-8 text file") from None
    check_reward_file(file)  # a model's reward from an archive runs only once accepted
    report = validate_reward_source(source, load_track(track_name), filename=file.name)
    if as_json:
        emit_json({"ok": report.ok, "error": report.error, "line": report.line,
                   "samples": [{"params": p, "reward": r} for p, r in report.samples], "output": report.output})
    else:
        click.echo(report.format())
    if not report.ok:
        sys.exit(1)


@reward.command("params")
@click.option("--track", "track_name", required=True, help="Track name.")
@click.option("--x", type=float, required=True, help="Reference point x, m.")
@click.option("--y", type=float, required=True, help="Reference point y, m.")
@click.option("--heading", type=float, required=True, help="Heading, degrees (0 = +x, 90 = +y).")
@click.option("--speed", type=float, default=1.0, show_default=True, help="Commanded speed, m/s.")
@click.option("--steering", type=float, default=0.0, show_default=True, help="Commanded steering, degrees (left +).")
@click.option("--object", "objects", multiple=True, metavar="X,Y[,HEADING,SPEED]",
              help="An object on the track (repeatable): a box at X,Y (m), or a bot car at X,Y heading "
                   "HEADING degrees at SPEED m/s; fills closest_objects, objects_location and the other object keys.")
@click.option("--json", "as_json", is_flag=True, help="Print the params dict as JSON.")
@friendly_errors
def reward_params(track_name: str, x: float, y: float, heading: float, speed: float, steering: float,
                  objects: tuple[str, ...], as_json: bool):
    """The params dict a reward function would receive for a car at (X, Y)."""
    from sim.library import load_track
    from sim.params import params_at

    params = params_at(load_track(track_name), x, y, heading, speed=speed, steering_deg=steering,
                       objects=[_parse_object(o) for o in objects])
    if as_json:
        emit_json(params)
        return
    for key, value in params.items():
        if key == "waypoints":
            value = f"[{len(value)} points]"
        click.echo(f"{key:>22}: {value}")


def _parse_object(text: str) -> tuple[float, ...]:
    """``X,Y`` (a box) or ``X,Y,HEADING,SPEED`` (a bot car) as numbers; a one-line refusal otherwise."""
    parts = [p.strip() for p in text.split(",")]
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        raise UserError(f"--object {text!r}: expected numbers X,Y or X,Y,HEADING,SPEED") from None
    if len(values) not in (2, 4):
        raise UserError(f"--object {text!r}: expected X,Y (a box) or X,Y,HEADING,SPEED (a bot car), "
                        f"got {len(values)} numbers")
    return values
