"""``trackside league ...`` and ``trackside export ...`` (``trackside evaluate``: :mod:`gui.cli.evaluate`).

Conventions as everywhere (``gui/cli/common.py``): ``--json`` prints one JSON document on stdout;
a refused action prints one line on stderr and exits 1, never a traceback.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from .common import UserError, emit_json, friendly_errors, seconds_text, skip_pandas_in_sqlite_utils
from .league_queue import queue_group, recheck_cmd
from .race_edit import race_edit
from .race_options import race_type_options, read_race_type


def _db():
    from league.db import open_db

    return open_db()


def _checkpoint_option(fn):
    return click.option("--checkpoint", default=None,
                        help="Iteration number, final, best, latest or initial (default: final, else best).")(fn)


# -- league -----------------------------------------------------------------------------------------
@click.group()
def league():
    """The virtual circuit: racers, seasons, races, submissions and standings."""
    skip_pandas_in_sqlite_utils()


@league.group()
def racer():
    """Add and list racers."""


@racer.command("add")
@click.argument("alias")
@click.option("--name", "display_name", default=None, help="Name shown on leaderboards (default: the alias).")
@friendly_errors
def racer_add(alias, display_name):
    from league.races import add_racer

    r = add_racer(_db(), alias, display_name)
    click.echo(f"added racer {r.alias} ({r.display_name})")


@racer.command("list")
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def racer_list(as_json):
    from league.races import list_racers

    rows = [asdict(r) for r in list_racers(_db())]
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        click.echo(f"{r['alias']:<24} {r['display_name']}")


@league.group()
def season():
    """Create seasons, list them and show their standings."""


@season.command("create")
@click.argument("name")
@click.option("--points", type=click.Choice(["time_ratio", "rank_table"]), default="time_ratio", show_default=True,
              help="time_ratio: 1000 x winner's time / racer's time; rank_table: points by rank.")
@click.option("--rank-table", default=None, help="Points by rank, e.g. 25,18,15,12,10,8,6,4,2,1.")
@click.option("--best-k", type=int, default=None, help="Count only each racer's best K races.")
@friendly_errors
def season_create(name, points, rank_table, best_k):
    from league.seasons import create_season

    table = None
    if rank_table:
        try:
            table = [int(x) for x in rank_table.replace(" ", "").split(",") if x]
        except ValueError:
            raise UserError(f"--rank-table: expected whole numbers separated by commas, got {rank_table!r}") from None
    s = create_season(_db(), name, points=points, rank_table=table, best_k=best_k)
    scheme = s.points + (f" {','.join(map(str, s.rank_table))}" if s.rank_table else "")
    click.echo(f"created season {s.name} ({scheme}{f', best {s.best_k} races' if s.best_k else ''})")


@season.command("list")
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def season_list(as_json):
    from league.seasons import list_seasons

    rows = [asdict(s) for s in list_seasons(_db())]
    if as_json:
        emit_json(rows)
        return
    for s in rows:
        click.echo(f"{s['name']:<24} {s['points']:<10} best_k={s['best_k'] or 'all'}")


@season.command("standings")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def season_standings_cmd(name, as_json):
    from league.races import season_standings

    rows = season_standings(_db(), name)
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        click.echo(f"{r['rank']:>4}  {r['display_name']:<24} {r['points']:>6} pts  ({r['races']} races)")


@league.group()
def race():
    """Create, list, show, open and close races."""


race.add_command(race_edit)
league.add_command(queue_group)
league.add_command(recheck_cmd)


@race.command("create")
@click.argument("name")
@click.option("--track", required=True, help="A competition track (one nobody can train on).")
@click.option("--season", "season_name", default=None)
@click.option("--laps", type=int, default=3, show_default=True)
@click.option("--ranking", type=click.Choice(["best_lap", "best_average", "total_time"]), default="best_lap",
              show_default=True)
@click.option("--average-of", type=int, default=None, help="Consecutive laps for best_average (default 3).")
@click.option("--penalty", type=float, default=2.0, show_default=True, help="Off-track penalty, s.")
@click.option("--no-resets", is_flag=True, help="A lap ends when the car leaves the road.")
@click.option("--continuous", is_flag=True, help="Continuous laps instead of trials.")
@click.option("--max-submissions", type=int, default=None, help="Per racer (default: no limit).")
@click.option("--opens", default=None, help="ISO date and time (local unless it has a zone).")
@click.option("--closes", default=None, help="ISO date and time (local unless it has a zone).")
@race_type_options
@friendly_errors
def race_create(name, track, season_name, laps, ranking, average_of, penalty, no_resets, continuous,
                max_submissions, opens, closes, race_type, obstacles, randomize_obstacles, bots, bot_speed,
                lane_change, collision_penalty):
    """A race on a competition track: a time trial, or among boxes or bot cars (--race-type)."""
    from league.races import create_race

    race_type, race_settings = read_race_type(race_type, obstacles, randomize_obstacles, bots, bot_speed,
                                              lane_change, collision_penalty)
    r = create_race(_db(), name, track, season=season_name, laps=laps, ranking=ranking, average_of=average_of,
                    mode="continuous" if continuous else "trials", penalty_s=None if no_resets else penalty,
                    opens_at=opens, closes_at=closes, max_submissions=max_submissions, race_type=race_type,
                    race_settings=race_settings, collision_penalty_s=collision_penalty)
    click.echo(f"created race {r.name} on {r.track}: {r.laps} lap{'s' if r.laps != 1 else ''}, {r.ranking}, "
               f"{_race_type_text(r)}")


@race.command("list")
@click.option("--season", "season_name", default=None)
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def race_list(season_name, as_json):
    from league.races import list_races

    db = _db()
    rows = [_race_dict(r, db) for r in list_races(db, season_name)]
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        click.echo(f"{r['name']:<24} {r['track']:<24} {r['laps']:>3} laps  {r['ranking']:<13} {r['status']:<9} "
                   f"{r['race_type_text']}")


@race.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def race_show(name, as_json):
    from league.races import get_race, standings

    db = _db()
    r = get_race(db, name)
    info = {**_race_dict(r, db), "standings": standings(db, r)}
    if as_json:
        emit_json(info)
        return
    for key, value in info.items():
        if key not in ("standings", "race_settings", "race_type_text"):
            click.echo(f"{key:>19}: {value}")
    click.echo(f"{'race type':>19}: {info['race_type_text']}")
    _print_standings(info["standings"])


@race.command("open")
@click.argument("name")
@click.option("--closes", default=None, help="A new closing time (ISO).")
@friendly_errors
def race_open(name, closes):
    from league.races import set_race_state

    r = set_race_state(_db(), name, "open", closes_at=closes)
    click.echo(f"race {r.name} is {_race_dict(r)['status']}")


@race.command("close")
@click.argument("name")
@friendly_errors
def race_close(name):
    from league.races import set_race_state

    r = set_race_state(_db(), name, "closed")
    click.echo(f"race {r.name} is closed")


@league.command("submit")
@click.argument("race_name")
@click.option("--racer", "racer_alias", required=True)
@click.option("--model", "model_name", required=True)
@_checkpoint_option
@click.option("--queue", "queued", is_flag=True, help="Freeze it now, evaluate later (trackside league queue run).")
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def submit_cmd(race_name, racer_alias, model_name, checkpoint, queued, as_json):
    """Submit a model to an open race: it is frozen, evaluated and ranked (--queue: evaluated later)."""
    from league.queue import queue_submission
    from league.races import submit
    from trainer.model_store import ModelStore

    if queued:
        e = queue_submission(_db(), race_name, racer_alias, model_name, checkpoint, models=ModelStore()).to_dict()
        if as_json:
            return emit_json(e)
        return click.echo(f"queued {e['racer']}'s {e['model']} for {race_name} (entry {e['queue_id']}, seed {e['seed']})")
    row = submit(_db(), race_name, racer_alias, model_name, checkpoint, models=ModelStore())
    if as_json:
        emit_json(row)
        return
    for lap in row["laps"]:
        t = "-" if lap["time_ms"] is None else f"{lap['time_ms'] / 1000:.3f}s"
        click.echo(f"  lap {lap['lap']}: {t}" + (f"  {lap['off_track']} off-track" if lap["off_track"] else "")
                   + (f"  {lap['collisions']} collision{'s' if lap['collisions'] != 1 else ''}"
                      if lap["collisions"] else ""))
    result = seconds_text(row["time_s"]) if row["complete"] else "no valid result (not every lap completed)"
    verdict = "new best" if row["improved"] else f"standing unchanged (best {seconds_text(row['best_time_s'])})"
    click.echo(f"{row['racer']} in {row['race']}: {result}; {verdict}; rank {row['rank']} (seed {row['seed']})")


@league.command("reproduce")
@click.argument("submission", type=int)
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def reproduce_cmd(submission, as_json):
    """Drive a submission again (frozen weights, race rules, recorded seed) and compare its laps."""
    from league.reproduce import reproduce_submission

    r = reproduce_submission(_db(), submission)
    if as_json:
        emit_json({k: v for k, v in r.items() if k != "laps"})
        return
    for i, (a, b, ha, hb) in enumerate(zip(r["recorded_ms"], r["replayed_ms"], r["recorded_collisions"],
                                           r["replayed_collisions"]), 1):
        hits = f" ({ha} collisions)" if ha or hb else ""
        again = f" ({hb} collisions)" if ha or hb else ""
        click.echo(f"  lap {i}: recorded {_ms(a)}{hits}, replayed {_ms(b)}{again}")
    click.echo(f"submission {submission} (seed {r['seed']}): " +
               ("identical" if r["identical"] else "DIFFERENT from the recorded laps"))
    if not r["identical"]:
        raise SystemExit(1)


def _ms(ms):
    return "-" if ms is None else f"{ms / 1000:.3f}s"


@league.command("standings")
@click.argument("race_name")
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def standings_cmd(race_name, as_json):
    """A race's standings: rank, racer, time, gap and points."""
    from league.races import standings

    rows = standings(_db(), race_name)
    if as_json:
        emit_json(rows)
        return
    _print_standings(rows)


def _print_standings(rows):
    if not rows:
        click.echo("no submissions yet")
    for r in rows:
        gap = "" if r["gap_s"] is None else f"+{r['gap_s']:.3f}"
        hits = f"  {r['collisions']} collisions" if r.get("collisions") else ""
        click.echo(f"{r['rank']:>4}  {r['display_name']:<24} {seconds_text(r['time_s']):>10} {gap:>9} {r['points']:>6} pts"
                   + hits)


def _race_dict(r, db=None) -> dict:
    from league.seasons import get_season

    d = asdict(r)
    d["season"] = get_season(db, r.season_id).name if db is not None and r.season_id is not None else None
    d["status"] = r.status()
    d["race_type_text"] = _race_type_text(r)
    return d


def _race_type_text(r) -> str:
    """The race type in words, with the collision penalty where there are objects to hit."""
    from trainer.race import describe

    text = describe(r.race_type, r.race_settings)
    return text if r.race_type == "time_trial" else f"{text}, {r.collision_penalty_s:g} s per collision"


# -- export -----------------------------------------------------------------------------------------
@click.group()
def export():
    """Export leaderboards, laps and season standings (CSV, JSON, HTML)."""
    skip_pandas_in_sqlite_utils()


def _write(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    from league.exports import write_export

    write_export(output, text)  # a temp file renamed into place: a full disk keeps the old export
    click.echo(f"wrote {output}", err=True)


_output = click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
                       help="File to write (default: standard output).")
_refresh = click.option("--refresh", type=click.IntRange(1, 3600), default=None,
                        help="HTML: reload the page every N seconds.")


@export.command("leaderboard")
@click.argument("race_name")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "html"]), default="html", show_default=True)
@_refresh
@_output
@friendly_errors
def export_leaderboard_cmd(race_name, fmt, refresh, output):
    """A race's standings; the HTML page is made for a projector."""
    from league.exports import export_leaderboard

    _write(export_leaderboard(_db(), race_name, fmt, refresh), output)


@export.command("laps")
@click.argument("race_name", required=False)
@click.option("--season", "season_name", default=None, help="Every race of a season instead of one race.")
@click.option("--summary", is_flag=True, help="CSV: the per-racer summary instead of every lap.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@_output
@friendly_errors
def export_laps_cmd(race_name, season_name, summary, fmt, output):
    """Every lap of a race (or a season): racer, track, date, lap, time in ms and s, resets, valid."""
    from league.exports import export_laps

    if (race_name is None) == (season_name is None):
        raise UserError("give a RACE or --season SEASON (one of them)")
    _write(export_laps(_db(), fmt, race=race_name, season=season_name, summary=summary), output)


@export.command("season")
@click.argument("season_name")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "html"]), default="csv", show_default=True)
@_refresh
@_output
@friendly_errors
def export_season_cmd(season_name, fmt, refresh, output):
    """Season standings: points per race and in total."""
    from league.exports import export_season

    _write(export_season(_db(), season_name, fmt, refresh), output)
