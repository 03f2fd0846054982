"""``trackside raceday finals ...``: knockout brackets and ladders seeded from an event's board.

Thin over :mod:`league.finals` (seeding, results, corrections), :mod:`league.finals_run`
(simulated head-to-model heats, times from sessions) and :mod:`league.finals_export`.
"""

from __future__ import annotations

import click

from .common import emit_json, friendly_errors


def _db():
    from league.db import open_db

    return open_db()


def _who(by):
    from league.audit import who_is_editing

    return who_is_editing(by)


@click.group()
def finals():
    """Finals after qualifying: a knockout bracket or a ladder for the board's top racers."""


@finals.command("create")
@click.argument("event")
@click.option("--top", type=int, default=8, show_default=True, help="Finalists from the top of the board (2-32).")
@click.option("--ladder", is_flag=True, help="A ladder (lowest seeds first, each winner meets the next seed up) "
                                             "instead of a knockout bracket.")
@click.option("--laps", type=int, default=3, show_default=True, help="Laps a heat runs.")
@click.option("--replace", is_flag=True, help="Discard the event's finals and their results, and seed new ones.")
@click.option("--by", help="Who makes the change (audit log; default: your login name).")
@friendly_errors
def finals_create(event, top, ladder, laps, replace, by):
    """Seed finals for EVENT from its board."""
    from league.finals import bracket, create_finals

    db = _db()
    final = create_finals(db, event, top, ladder=ladder, laps=laps, replace=replace, who=_who(by))
    byes = sum(h["method"] == "bye" for r in bracket(db, event)["rounds"] for h in r["heats"])
    shape = "a knockout bracket" if final.kind == "bracket" else "a ladder"
    click.echo(f"seeded {shape} of {final.size} ({final.rounds} rounds, {final.laps} laps a heat"
               + (f", {byes} bye{'s' * (byes > 1)}" if byes else "") + ")")
    _print(bracket(db, event))


@finals.command("show")
@click.argument("event")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@friendly_errors
def finals_show(event, as_json):
    """EVENT's finals: every heat by round, winners marked with *."""
    from league.finals import bracket

    data = bracket(_db(), event)
    if as_json:
        emit_json(data)
    else:
        _print(data)


def _print(data: dict) -> None:
    from league.exports import format_time

    for r in data["rounds"]:
        click.echo(f"{r['name']}:")
        for h in r["heats"]:
            sides = []
            for s in "ab":
                if h[f"racer_{s}"] is None:
                    sides.append("bye" if h["method"] == "bye" else "?")
                    continue
                mark = "*" if h["winner"] == h[f"racer_{s}"] else ""
                t = h[f"time_{s}_s"]
                sides.append(f"({h[f'seed_{s}']}) {h[f'name_{s}']}{mark}" + (f" {format_time(t)}" if t else ""))
            how = f"  [{h['method'].replace('_', '-')}]" if h["method"] else ("  next" if h["ready"] else "")
            click.echo(f"  heat {h['id']}: {sides[0]} v {sides[1]}{how}")
    if data["champion"]:
        click.echo(f"champion: {data['champion_name']}")


@finals.command("run")
@click.argument("event")
@click.option("--heat", "heat_id", type=int, help="The heat to run (default: the next one ready).")
@click.option("--seed", type=int, help="Noise seed of the race (default: a fresh one, recorded).")
@click.option("--by", help="Who runs it (audit log when it re-runs a decided heat).")
@friendly_errors
def finals_run(event, heat_id, seed, by):
    """Race a heat of EVENT's finals as a simulated head-to-model race (both racers brought models)."""
    from league.finals import bracket
    from league.finals_run import run_heat

    db = _db()
    heat = run_heat(db, event, heat_id, seed=seed, who=_who(by))
    _said(heat)
    _champion(bracket(db, event))


@finals.command("record")
@click.argument("event")
@click.option("--heat", "heat_id", type=int, required=True, help="The heat (ids: `finals show`).")
@click.option("--winner", help="The winner's alias or name (needed without times).")
@click.option("--time-a", type=float, help="Racer a's time for the heat's laps, s.")
@click.option("--time-b", type=float, help="Racer b's time for the heat's laps, s.")
@click.option("--session-a", type=int, help="Racer a's race-day session: its first laps give the time.")
@click.option("--session-b", type=int, help="Racer b's race-day session.")
@click.option("--by", help="Who records it (audit log; default: your login name).")
@click.option("--reason", help="Why (kept in the audit log when it corrects a result).")
@friendly_errors
def finals_record(event, heat_id, winner, time_a, time_b, session_a, session_b, by, reason):
    """Record a timed heat of EVENT's finals: the better time wins, a tie goes to the higher seed."""
    from league.db import LeagueError
    from league.finals import bracket, record_heat
    from league.finals_run import record_from_sessions

    db = _db()
    if session_a is not None or session_b is not None:
        if session_a is None or session_b is None or time_a is not None or time_b is not None or winner:
            raise LeagueError("--session-a and --session-b go together, without --winner or times")
        heat = record_from_sessions(db, event, heat_id, session_a, session_b, who=_who(by), reason=reason)
    else:
        heat = record_heat(db, event, heat_id, winner=winner, time_a_s=time_a, time_b_s=time_b, who=_who(by),
                           reason=reason)
    _said(heat)
    _champion(bracket(db, event))


def _said(heat: dict) -> None:
    times = [heat[f"time_{s}_ms"] for s in "ab"]
    text = " v ".join("no time" if t is None else f"{t / 1000:.3f} s" for t in times)
    click.echo(f"heat {heat['id']}: {heat['winner']} wins ({heat['racer_a']} v {heat['racer_b']}: {text}; "
               f"{heat['method'].replace('_', '-')})")


def _champion(data: dict) -> None:
    if data["champion"]:
        click.echo(f"champion: {data['champion_name']}")


@finals.command("export")
@click.argument("event")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The file: .html (a bracket page), .json or .csv (one row a heat).")
@friendly_errors
def finals_export(event, output):
    """Write EVENT's finals to a file (written atomically)."""
    from league.finals_export import write_finals

    path = write_finals(_db(), event, output)
    click.echo(f"wrote {path}")
