"""Corrections from the command line: ``raceday lap edit``, ``raceday session delete|reassign``,
``raceday event delete``, ``league racer|season edit|delete``, ``league race delete``,
``league submission delete`` and ``trackside audit``. :func:`register` adds them to the existing
groups. Each command reads its options and calls one function of ``league.corrections``,
``league.racers``, ``league.seasons`` or ``league.deletions`` (the app's Results page calls the
same); ``--by NAME`` names the editor in the audit log (default ``league.audit.who_is_editing``).
A delete asks for confirmation unless ``--yes``.
"""

from __future__ import annotations

import click

from .common import UserError, emit_json, friendly_errors
from .league import league, race, racer, season
from .raceday import event, raceday


def _db():
    from league.db import open_db

    return open_db()


def _who(by: str | None) -> str:
    from league.audit import who_is_editing

    return who_is_editing(by)


def editor_options(fn):
    """``--by NAME`` and ``--reason TEXT``, for every correction."""
    fn = click.option("--reason", default=None, help="Why, for the audit log.")(fn)
    return click.option("--by", default=None, help="Who makes the correction (default: TRACKSIDE_USER or the "
                                                    "login name).")(fn)


def _confirm(yes: bool, question: str) -> None:
    if not yes:
        click.confirm(question, abort=True, err=True)


def _s(ms) -> str:
    return "-" if ms is None else f"{ms / 1000:.3f}"


# -- race day -------------------------------------------------------------------------------------
@click.group("lap")
def lap_group():
    """Correct a recorded lap."""


@lap_group.command("edit")
@click.argument("event_name", metavar="EVENT")
@click.option("--session", "session_id", type=int, required=True, help="Session number (laps export: session).")
@click.option("--lap", "lap_no", type=int, required=True, help="Lap number within the session.")
@click.option("--time", "time_s", type=float, default=None, help="Lap time, s.")
@click.option("--valid/--invalid", default=None, help="A marshal's verdict (kept whatever the resets).")
@click.option("--resets", type=int, default=None, help="Resets during the lap.")
@click.option("--penalty", "penalty_s", type=float, default=None, help="Time penalty added to the lap, s.")
@editor_options
@click.option("--json", "as_json", is_flag=True, help="Print the corrected lap as JSON.")
@friendly_errors
def lap_edit(event_name, session_id, lap_no, time_s, valid, resets, penalty_s, by, reason, as_json):
    """Correct lap K of a session of EVENT: time, validity, resets or penalty (audited)."""
    from league.corrections import edit_lap

    lap = edit_lap(_db(), session_id, lap_no, _who(by), time_s=time_s, resets=resets, valid=valid,
                   penalty_s=penalty_s, reason=reason, event=event_name)
    if as_json:
        emit_json(lap)
        return
    click.echo(f"session {session_id} lap {lap_no}: {_s(lap['time_ms'])} s + penalty {_s(lap['penalty_ms'])} s, "
               f"{lap['resets']} resets, {'valid' if lap['valid'] else 'invalid'}"
               + (" (marshal's verdict)" if lap["overridden"] else ""))


@click.group("session")
def session_group():
    """List an event's sessions, delete one or give it to another racer."""


@session_group.command("list")
@click.argument("event_name", metavar="EVENT")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list (each session with its laps).")
@friendly_errors
def session_list(event_name, as_json):
    """EVENT's recorded sessions with their numbers, and each one's laps."""
    from league.corrections import session_laps
    from league.raceday import sessions

    db = _db()
    rows = [{**s, "lap_rows": session_laps(db, s["id"])} for s in sessions(db, event_name)]
    if as_json:
        emit_json([{k: v for k, v in s.items() if k != "timer_log"} for s in rows])
        return
    for s in rows:
        click.echo(f"session {s['id']:>4}  {s['display_name']} ({s['racer']})  {s['state']}, best {_s(s['best_lap_ms'])} s")
        for lap in s["lap_rows"]:
            click.echo(f"    lap {lap['lap']:>2}: {_s(lap['time_ms'])} s" + (f" + {_s(lap['penalty_ms'])} s penalty"
                       if lap["penalty_ms"] else "") + f", {lap['resets']} resets"
                       + ("" if lap["valid"] else ", invalid"))
    if not rows:
        click.echo("no sessions recorded yet")


@session_group.command("delete")
@click.argument("event_name", metavar="EVENT")
@click.option("--session", "session_id", type=int, required=True, help="Session number.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@editor_options
@friendly_errors
def session_delete(event_name, session_id, yes, by, reason):
    """Delete a session of EVENT with its laps (audited)."""
    from league.corrections import delete_session, get_session

    db = _db()
    s = get_session(db, session_id, event_name)
    _confirm(yes, f"delete session {s['id']} of {s['racer']} ({s['laps']} laps)?")
    delete_session(db, s["id"], _who(by), reason=reason, event=event_name)
    click.echo(f"deleted session {s['id']} of {s['racer']} with its {s['laps']} laps")


@session_group.command("reassign")
@click.argument("event_name", metavar="EVENT")
@click.option("--session", "session_id", type=int, required=True, help="Session number.")
@click.option("--racer", "alias", required=True, help="The racer (alias) the session belongs to.")
@click.option("--name", "display_name", default=None,
              help="Display name, for an alias the league does not know (default: the alias).")
@editor_options
@friendly_errors
def session_reassign(event_name, session_id, alias, display_name, by, reason):
    """Give a session of EVENT to another racer (audited)."""
    from league.corrections import reassign_session

    s = reassign_session(_db(), session_id, alias, _who(by), display_name=display_name, reason=reason,
                         event=event_name)
    click.echo(f"session {s['id']} is now {s['racer']}'s ({s['display_name']})")


@click.command("delete")
@click.argument("name")
@click.option("--cascade", is_flag=True, help="Also delete its recorded sessions and laps.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@editor_options
@friendly_errors
def event_delete(name, cascade, yes, by, reason):
    """Delete a race-day event (refused with sessions unless --cascade)."""
    from league.deletions import delete_event
    from league.raceday import get_event

    db = _db()
    name = get_event(db, name).name  # an unknown event is refused before the question
    _confirm(yes, f"delete event {name!r}?")
    gone = delete_event(db, name, _who(by), cascade=cascade, reason=reason)
    click.echo(f"deleted event {name!r} ({gone['sessions']} sessions, {gone['laps']} laps, {gone['queue']} queued)")


# -- league -----------------------------------------------------------------------------------------
@click.command("edit")
@click.argument("alias")
@click.option("--alias", "new_alias", default=None, help="New alias (unique ignoring case).")
@click.option("--name", "display_name", default=None, help="New display name.")
@editor_options
@friendly_errors
def racer_edit(alias, new_alias, display_name, by, reason):
    """Change a racer's alias or display name (audited)."""
    from league.racers import edit_racer

    r = edit_racer(_db(), alias, _who(by), new_alias=new_alias, display_name=display_name, reason=reason)
    click.echo(f"racer {r.alias}: {r.display_name}")


@click.command("delete")
@click.argument("alias")
@click.option("--cascade", is_flag=True, help="Also delete the racer's submissions.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@editor_options
@friendly_errors
def racer_delete(alias, cascade, yes, by, reason):
    """Delete a racer (refused with submissions unless --cascade, which lists what went)."""
    from league.racers import delete_racer, get_racer

    db = _db()
    alias = get_racer(db, alias).alias
    _confirm(yes, f"delete racer {alias!r}?")
    gone = delete_racer(db, alias, _who(by), cascade=cascade, reason=reason)
    click.echo(f"deleted racer {alias!r}" + (" and submissions: " + ", ".join(
        f"{s['id']} ({s['race']}, {_s(s['score_ms'])} s)" for s in gone) if gone else ""))


def _best_k(text: str):
    """``--best-k``: a whole number of races, or ``all`` (every race counts: None)."""
    if text.strip().lower() in ("all", "none", "0"):
        return None
    try:
        return int(text)
    except ValueError:
        raise UserError(f"--best-k: expected a whole number of races or 'all', got {text!r}") from None


@click.command("edit")
@click.argument("name")
@click.option("--name", "new_name", default=None, help="New name.")
@click.option("--points", type=click.Choice(["time_ratio", "rank_table"]), default=None, help="Points scheme.")
@click.option("--rank-table", default=None, help="Points by rank, e.g. 25,18,15 (with --points rank_table).")
@click.option("--best-k", default=None, help="Count each racer's best K races ('all': every race).")
@editor_options
@friendly_errors
def season_edit(name, new_name, points, rank_table, best_k, by, reason):
    """Change a season's name or points rules (audited); standings follow at once."""
    from league.seasons import edit_season

    changes = {} if best_k is None else {"best_k": _best_k(best_k)}
    if rank_table is not None:
        try:
            changes["rank_table"] = [int(p) for p in rank_table.split(",")]
        except ValueError:
            raise UserError(f"--rank-table: expected whole numbers separated by commas, got {rank_table!r}") from None
    s = edit_season(_db(), name, _who(by), name=new_name, points=points, reason=reason, **changes)
    click.echo(f"season {s.name}: {s.points}" + (f" {list(s.rank_table)}" if s.rank_table else "")
               + (f", best {s.best_k} races count" if s.best_k else ", every race counts"))


@click.command("delete")
@click.argument("name")
@click.option("--detach", is_flag=True, help="Keep its races, outside any season.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@editor_options
@friendly_errors
def season_delete(name, detach, yes, by, reason):
    """Delete a season (refused while it has races unless --detach)."""
    from league.seasons import delete_season, get_season

    db = _db()
    name = get_season(db, name).name
    _confirm(yes, f"delete season {name!r}?")
    races = delete_season(db, name, _who(by), detach=detach, reason=reason)
    click.echo(f"deleted season {name!r}" + (f"; races kept outside any season: {', '.join(races)}" if races else ""))


@click.command("delete")
@click.argument("name")
@click.option("--cascade", is_flag=True, help="Also delete its submissions.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@editor_options
@friendly_errors
def race_delete(name, cascade, yes, by, reason):
    """Delete a league race (refused with submissions unless --cascade)."""
    from league.deletions import delete_race
    from league.race_setup import get_race

    db = _db()
    name = get_race(db, name).name
    _confirm(yes, f"delete race {name!r}?")
    gone = delete_race(db, name, _who(by), cascade=cascade, reason=reason)
    click.echo(f"deleted race {name!r}" + (f" and its {len(gone)} submissions" if gone else ""))


@click.group("submission")
def submission_group():
    """Delete a submission."""


@submission_group.command("delete")
@click.argument("submission", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@editor_options
@friendly_errors
def submission_delete(submission, yes, by, reason):
    """Delete submission N with its laps (audited); the racer's standing falls back to their next best."""
    from league.deletions import delete_submission

    _confirm(yes, f"delete submission {submission}?")
    s = delete_submission(_db(), submission, _who(by), reason=reason)
    click.echo(f"deleted submission {s['id']} of {s['racer']} to {s['race']}")


# -- the audit log ----------------------------------------------------------------------------------
@click.command("audit")
@click.option("--event", "event_name", default=None, help="Only a race-day event's corrections.")
@click.option("--race", "race_name", default=None, help="Only a league race's corrections.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@friendly_errors
def audit(event_name, race_name, as_json):
    """Every correction, newest first: when, who, what, before and after."""
    from league.audit import audit_entries
    from league.corrections import change_lines, event_audit
    from league.deletions import race_audit

    if event_name and race_name:
        raise UserError("give --event or --race, not both")
    db = _db()
    rows = (event_audit(db, event_name) if event_name else race_audit(db, race_name) if race_name
            else audit_entries(db))
    if as_json:
        emit_json(rows)
        return
    for e in rows:
        click.echo(f"{e['at']}  {e['who']:<12} {e['action']:<18} {e['entity']} {e['entity_id']}"
                   + (f"  ({e['reason']})" if e["reason"] else ""))
        for line in change_lines(e):
            click.echo(f"    {line}")
    if not rows:
        click.echo("no corrections yet")


def register(main: click.Group) -> None:
    """Add the corrections to ``trackside``'s groups."""
    raceday.add_command(lap_group)
    raceday.add_command(session_group)
    event.add_command(event_delete)
    racer.add_command(racer_edit)
    racer.add_command(racer_delete)
    season.add_command(season_edit)
    season.add_command(season_delete)
    race.add_command(race_delete)
    league.add_command(submission_group)
    main.add_command(audit)
