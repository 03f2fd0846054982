"""``trackside raceday ...``: race-day events, the racer queue, simulated sessions, the leaderboard.

Hand-timed sessions (a physical car and a timekeeper at the keyboard) belong to the
desktop app's session console; here a session is always driven by a model in the
simulator. Output follows the project's CLI conventions (``gui/cli/common.py``).
"""

from __future__ import annotations

import math

import click

from .common import UserError, emit_json, friendly_errors, skip_pandas_in_sqlite_utils
from .race_options import race_type_changes, race_type_options, read_race_type
from .raceday_board import BOARD_COLUMNS, print_board, time_text


def _db():
    from league.db import open_db

    return open_db()


def _clock(seconds: float) -> str:
    """Seconds as M:SS (a session length)."""
    return f"{int(seconds) // 60}:{int(round(seconds)) % 60:02d}"


RANKINGS = ("best_lap", "best_average", "total_time", "most_laps", "first_to", "fastest", "average")
"""``--ranking``: ``league.laptime.Ranking``'s words and race day's older two."""


def _resets_limit(text: str) -> int | None:
    value = _count_or_none(text, "--resets-limit")
    if value is not None and value < 0:
        raise UserError(f"--resets-limit: expected a whole number >= 0, got {value}")
    return value


def _count_or_none(text: str, option: str) -> int | None:
    """A whole number, or None for 'none' (no limit)."""
    if text.strip().lower() in ("none", "no", "off", "unlimited"):
        return None
    try:
        return int(text)
    except ValueError:
        raise UserError(f"{option}: expected a whole number or 'none', got {text!r}") from None


@click.group()
def raceday():
    """Race-day events: a timed session per racer, the fastest valid lap wins."""
    skip_pandas_in_sqlite_utils()


# -- events -------------------------------------------------------------------------------------
@raceday.group()
def event():
    """Create, show and list race-day events."""


@event.command("create")
@click.argument("name")
@click.option("--track", "tracks", required=True, multiple=True,
              help="Track the event runs on; repeat it for a multi-track event (the first is its main track).")
@click.option("--length", default="4:00", show_default=True, help="Session length, M:SS or seconds (1-10 minutes).")
@click.option("--ranking", type=click.Choice(RANKINGS), default="best_lap", show_default=True,
              help="Fastest valid lap, best average of N consecutive, total time of the first N valid laps, "
                   "most valid laps, or first to N valid laps (fastest/average: older words).")
@click.option("--average-of", type=int, default=3, show_default=True, help="Consecutive laps in an average.")
@click.option("--laps", "target_laps", type=int, default=None, help="total_time and first_to: the N laps.")
@click.option("--max-runs", default="3", show_default=True, help="Sessions per racer (DREM's 3; 'none': no cap).")
@click.option("--resets-limit", default="3", show_default=True,
              help="Most resets a valid lap may have ('none': no limit).")
@click.option("--penalty", type=float, default=2.0, show_default=True,
              help="Seconds a simulated car is held after leaving the road.")
@race_type_options
@friendly_errors
def event_create(name, tracks, length, ranking, average_of, target_laps, max_runs, resets_limit, penalty, race_type,
                 obstacles, randomize_obstacles, bots, bot_speed, lane_change, collision_penalty):
    """Create an event NAME on a track (a time trial, or with boxes or bot cars: --race-type)."""
    from league.raceday import create_event, parse_length, parse_ranking

    race_type, settings = read_race_type(race_type, obstacles, randomize_obstacles, bots, bot_speed, lane_change,
                                         collision_penalty)
    ev = create_event(_db(), name, tracks[0], tracks=tracks, length_s=parse_length(length),
                      ranking=parse_ranking(ranking), average_of=average_of, target_laps=target_laps,
                      max_runs=_count_or_none(max_runs, "--max-runs"),
                      resets_limit=_resets_limit(resets_limit), penalty_s=penalty, race_type=race_type,
                      race_settings=settings, collision_penalty_s=collision_penalty)
    click.echo(f"created event {ev.name!r} on {', '.join(ev.tracks)}: {_clock(ev.length_s)} sessions, {_ranking(ev)}, "
               f"{_limit(ev)}, {ev.describe_runs()}; {_race_type(ev)}")


@event.command("edit")
@click.argument("name")
@click.option("--name", "new_name", default=None, help="A new name.")
@click.option("--track", "tracks", multiple=True, help="The event's tracks (repeat: several, in order).")
@click.option("--length", default=None, help="Session length, M:SS or seconds.")
@click.option("--ranking", type=click.Choice(RANKINGS), default=None)
@click.option("--average-of", type=int, default=None)
@click.option("--laps", "target_laps", type=int, default=None, help="total_time and first_to: the N laps.")
@click.option("--max-runs", default=None, help="Sessions per racer ('none': no cap).")
@click.option("--resets-limit", default=None, help="Most resets a valid lap may have ('none': no limit).")
@click.option("--penalty", type=float, default=None, help="Off-track hold of a simulated car, s.")
@race_type_options
@click.option("--by", "by", default=None, help="Who makes the change (default: $TRACKSIDE_USER or the login name).")
@click.option("--reason", default=None, help="Why, for the audit log.")
@click.pass_context
@friendly_errors
def event_edit(ctx, name, new_name, tracks, length, ranking, average_of, target_laps, max_runs, resets_limit, penalty,
               race_type, obstacles, randomize_obstacles, bots, bot_speed, lane_change, collision_penalty, by, reason):
    """Change an event's settings; refused (saying why) where recorded sessions were run under them."""
    from league.audit import who_is_editing
    from league.raceday import parse_length, update_event

    changes = {"name": new_name, "tracks": tuple(tracks) or None,
               "length_s": None if length is None else parse_length(length), "ranking": ranking,
               "average_of": average_of, "target_laps": target_laps,
               "penalty_s": penalty, "collision_penalty_s": collision_penalty}
    changes = {k: v for k, v in changes.items() if v is not None}
    if max_runs is not None:
        changes["max_runs"] = _count_or_none(max_runs, "--max-runs")
    if resets_limit is not None:
        changes["resets_limit"] = _resets_limit(resets_limit)
    changes.update(race_type_changes(ctx, race_type, obstacles, randomize_obstacles, bots, bot_speed, lane_change,
                                     collision_penalty))
    if not changes:
        raise UserError("event edit: nothing to change; give an option such as --length 5:00 (see --help)")
    ev = update_event(_db(), name, who_is_editing(by), reason=reason, **changes)
    click.echo(f"event {ev.name!r} on {', '.join(ev.tracks)}: {_clock(ev.length_s)} sessions, {_ranking(ev)}, "
               f"{_limit(ev)}, {ev.describe_runs()}; {_race_type(ev)}")


def _ranking(ev) -> str:
    return ev.describe_ranking()


def _race_type(ev) -> str:
    """The race type in words, with the collision penalty when there are objects to hit."""
    text = ev.describe_race_type()
    return text if ev.race_type == "time_trial" else f"{text}; a collision holds the car {ev.collision_penalty_s:g} s"


def _limit(ev) -> str:
    return "no reset limit" if ev.resets_limit is None else f"at most {ev.resets_limit} resets per lap"


@event.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@friendly_errors
def event_show(name, as_json):
    """An event's rules, queue and leaderboard."""
    from league.raceday import event_leaderboard, get_event, queue

    db = _db()
    ev = get_event(db, name)
    waiting, board = queue(db, ev), event_leaderboard(db, ev)
    if as_json:
        emit_json({**ev.as_dict(), "queue": waiting, "leaderboard": board})
        return
    click.echo(f"{ev.name} on {ev.track}: {_clock(ev.length_s)} sessions, {_ranking(ev)}, {_limit(ev)}, "
               f"{ev.describe_runs()}")
    click.echo(f"race type: {_race_type(ev)}")
    if ev.multi_track:
        click.echo(f"tracks: {', '.join(ev.tracks)} (the board: the sum of each racer's best per track)")
    click.echo("queue: " + (", ".join(f"{e['position']}. {e['racer']} ({e['model'] or 'car'})" for e in waiting)
                            or "empty"))
    print_board(board, ev.tracks if ev.multi_track else ())


@event.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@friendly_errors
def event_list(as_json):
    """All race-day events."""
    from league.raceday import list_events

    events = list_events(_db())
    if as_json:
        emit_json([e.as_dict() for e in events])
        return
    for ev in events:
        where = ev.track + (f" +{len(ev.tracks) - 1}" if ev.multi_track else "")  # the first track, how many more
        click.echo(f"{ev.name:<24} {where:<22} {_clock(ev.length_s):>5}  {ev.ranking:<12}  "
                   f"{ev.describe_race_type()}")
    if not events:
        click.echo("no events yet: trackside raceday event create NAME --track TRACK")


# -- the queue ----------------------------------------------------------------------------------
@raceday.group("queue")
def queue_group():
    """The racers waiting for a session."""


@queue_group.command("add")
@click.argument("event_name", metavar="EVENT")
@click.argument("racer")
@click.option("--name", "display_name", default=None, help="Display name (default: the alias).")
@click.option("--model", default=None, help="The racer's model (default: the standard model).")
@click.option("--checkpoint", default=None, help="Iteration or best/final/latest (default: the race pick).")
@click.option("--car", is_flag=True, help="A physical car, timed by hand.")
@click.option("--track", default=None, help="A multi-track event: the track (default: the event's first).")
@friendly_errors
def queue_add(event_name, racer, display_name, model, checkpoint, car, track):
    """Queue RACER (an alias) at EVENT."""
    from league.raceday import add_to_queue

    e = add_to_queue(_db(), event_name, racer, display_name=display_name, model=model, car=car, checkpoint=checkpoint,
                     track=track)
    click.echo(f"queued {e['racer']} at position {e['position']}: " + ("physical car" if car else f"model {e['model']}")
               + (f" on {e['track']}" if e["track"] else ""))


@queue_group.command("list")
@click.argument("event_name", metavar="EVENT")
@click.option("--all", "everyone", is_flag=True, help="Also racers who have raced or were skipped.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@friendly_errors
def queue_list(event_name, everyone, as_json):
    """The queue in running order."""
    from league.raceday import queue

    rows = queue(_db(), event_name, everyone=everyone)
    if as_json:
        emit_json(rows)
        return
    for k, e in enumerate(rows, 1):
        click.echo(f"{k:>3}. {e['racer']:<20} {e['model'] or 'car':<16} {e['state']}")


@queue_group.command("move")
@click.argument("event_name", metavar="EVENT")
@click.argument("racer")
@click.argument("position", type=int)
@friendly_errors
def queue_move(event_name, racer, position):
    """Move a waiting RACER to POSITION (1 = next)."""
    from league.raceday import find_entry, reorder

    db = _db()
    rows = reorder(db, _entry(db, event_name, racer, find_entry)["id"], position)
    click.echo("queue: " + ", ".join(e["racer"] for e in rows))


@queue_group.command("remove")
@click.argument("event_name", metavar="EVENT")
@click.argument("racer")
@friendly_errors
def queue_remove(event_name, racer):
    """Take a waiting RACER out of the queue."""
    from league.raceday import find_entry, remove

    db = _db()
    remove(db, _entry(db, event_name, racer, find_entry)["id"])
    click.echo(f"removed {racer} from the queue")


def _entry(db, event_name, racer, find_entry) -> dict:
    entry = find_entry(db, event_name, racer)
    if entry is None:
        raise UserError(f"racer {racer!r} is not waiting in the queue of {event_name!r}")
    return entry


# -- sessions -----------------------------------------------------------------------------------
@raceday.command("run")
@click.argument("event_name", metavar="EVENT")
@click.option("--racer", required=True, help="The racer's alias (queued or a walk-up).")
@click.option("--model", default=None, help="Model to drive (default: the racer's queued model, else standard).")
@click.option("--checkpoint", default=None, help="Iteration or best/final/latest.")
@click.option("--track", default=None, help="A multi-track event: the track (default: the racer's queued one, "
                                            "else the event's first).")
@click.option("--speed", type=float, default=1.0, show_default=True,
              help="Times real time; 0: as fast as possible.")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=None,
              help="Noise seed (default: a fresh one); recorded with the session, the same seed replays it.")
@click.option("--json", "as_json", is_flag=True, help="Print the recorded session as JSON (no live lines).")
@friendly_errors
def run(event_name, racer, model, checkpoint, track, speed, seed, as_json):
    """Run a simulated session for RACER and record it (a queued racer shows as running meanwhile)."""
    from league.live import live_updates
    from league.raceday import event_leaderboard, get_event, run_model_session, session_result_s
    from trainer.model_store import ModelStore

    if speed < 0 or math.isnan(speed):
        raise UserError(f"--speed: expected 0 or a positive number, got {speed}")
    db = _db()
    ev = get_event(db, event_name)
    has_objects = ev.race_type != "time_trial"

    def started(active) -> None:
        if not as_json:
            click.echo(f"{racer} on {active.track}, model {active.model}: {_clock(ev.length_s)} session"
                       + ("" if speed == 0 else f" at {speed:g}x real time") + f", {_race_type(ev)}")

    def show(state: dict) -> None:
        if as_json:
            return
        if state["event"] == "lap":
            lap = state["laps"][-1]
            click.echo(f"lap {lap['number']:>2}: {lap['time_s']:8.3f} s  resets {lap['resets']}"
                       + (f" (collisions {lap['collisions']})" if has_objects else "")
                       + ("" if lap["valid"] else "  INVALID") + f"   ({_clock(state['time_left_s'])} left)")
        elif state["event"] == "reset":
            click.echo(f"        reset {state['running_resets']} on the running lap (held)")
        elif state["event"] == "collision":
            click.echo(f"        collision: held {ev.collision_penalty_s:g} s, reset {state['running_resets']} "
                       "on the running lap")

    try:
        session_id, timer, active = run_model_session(db, ev, racer, model=model, checkpoint=checkpoint,
                                                      speed=speed, on_start=started, models=ModelStore(), seed=seed,
                                                      track=track, on_update=live_updates(ev.id, show))  # live boards
    except KeyboardInterrupt:
        raise UserError("interrupted: the session was discarded and the racer is back in the queue") from None
    board = event_leaderboard(db, ev, track=active.track)  # the rank on the track driven
    mine = next(r for r in board if r["racer"] == active.racer)
    result_s = session_result_s(db, ev, session_id)  # as the board counts it: the recorded milliseconds
    result = {"session": session_id, "racer": active.racer, "model": active.model, "event": ev.name,
              "track": active.track,
              "laps": [lap.as_dict() for lap in timer.laps], "best_lap_s": _best(timer),
              "result_s": result_s, "rank": mine["rank"], "end_reason": timer.end_reason,
              "seed": timer.seed, "race_type": ev.race_type, "race_settings": ev.race_settings,
              "collision_penalty_s": ev.collision_penalty_s}
    if as_json:
        emit_json(result)
        return
    click.echo(f"session over ({timer.end_reason}): {len(timer.laps)} laps, {len(timer.valid_laps())} valid, "
               f"result {time_text(result_s)} s; rank {mine['rank']} of {len(board)} (seed {timer.seed})")


def _best(timer) -> float | None:
    best = timer.best_lap()
    return best.time_s if best else None


@raceday.command("leaderboard")
@click.argument("event_name", metavar="EVENT")
@click.option("--track", default=None, help="One track's board (a multi-track event).")
@click.option("--combined", is_flag=True, help="The combined board: the sum of each racer's best per track "
                                                "(a multi-track event's default).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@friendly_errors
def leaderboard(event_name, track, combined, as_json):
    """The event's ranking with the gap to the leader (per track, or combined over its tracks)."""
    from league.raceday import combined_leaderboard, event_leaderboard, get_event

    if track and combined:
        raise UserError("give either --track or --combined, not both")
    db = _db()
    ev = get_event(db, event_name)
    board = event_leaderboard(db, ev, track=track) if track else combined_leaderboard(db, ev)
    if as_json:
        emit_json(board)
        return
    print_board(board, ev.tracks if ev.multi_track and not track else ())


@raceday.command("export")
@click.argument("event_name", metavar="EVENT")
@click.option("--what", type=click.Choice(["laps", "summary", "leaderboard"]), default="laps", show_default=True,
              help="Every lap, the per-racer summary, or the leaderboard.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "html"]), default="csv", show_default=True,
              help="html: the projector page (leaderboard only).")
@click.option("--refresh", type=int, default=None, help="HTML: reload the page every N seconds.")
@click.option("--track", default=None, help="The leaderboard of one track (default: a multi-track event's combined).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="File to write (default: standard output).")
@friendly_errors
def export(event_name, what, fmt, refresh, track, output):
    """An event's laps, summary or leaderboard as CSV, JSON or a projector page."""
    from league import exports
    from league.raceday import event_lap_rows, event_leaderboard, get_event

    db = _db()
    ev = get_event(db, event_name)
    if fmt == "html" and what != "leaderboard":
        raise UserError("--format html is for the leaderboard (--what leaderboard)")
    if what == "leaderboard":
        rows, where = event_leaderboard(db, ev, track=track), track or " + ".join(ev.tracks)
        text = {"csv": lambda: exports.to_csv(rows, BOARD_COLUMNS),
                "json": lambda: exports.to_json({"event": ev.name, "track": track or ev.track, "tracks": ev.tracks,
                                                 "ranking": ev.ranking, "leaderboard": rows}),
                "html": lambda: exports.leaderboard_html(ev.name, rows, refresh, subtitle=f"{where} \u00b7 "
                                                         f"{_ranking(ev)}")}[fmt]()
    else:
        rows = event_lap_rows(db, ev)
        summary = exports.summary_rows(rows)
        text = {"csv": lambda: exports.laps_csv(rows) if what == "laps" else exports.summary_csv(rows),
                "json": lambda: exports.to_json({"event": ev.name, "laps": rows, "summary": summary})}[fmt]()
    if output is None:
        click.echo(text, nl=False)
        return
    exports.write_export(output, text)  # a temp file renamed into place: a full disk keeps the old export
    click.echo(f"wrote {output}")
