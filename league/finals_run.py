"""Deciding a finals heat: a simulated head-to-model race, or times taken from race-day sessions.

- :func:`run_heat`: when both racers' qualifying sessions brought models (``raceday_finalists.model``),
  the two models race each other on the event's track for the final's laps
  (:func:`league.head_to_model.evaluate_head_to_model`, DeepRacer-for-Cloud's head-to-model: racer
  a, the higher seed, starts in the outer lane). The first to finish the laps wins; each racer's
  time is their time to finish them. A race that neither finishes goes to the one with more laps,
  then more progress (:mod:`trainer.head_to_model`); a dead heat to the higher seed.
  The event's off-track and collision penalties apply; a car slower on a lap than the simulator's
  step cap (an average under 0.4 m/s, ``sim.env.RacingEnv.max_steps``) is out of the heat, so a stuck
  model cannot hold up the finals. The race's noise seed is recorded in the heat's detail, so it can
  be driven again.
- :func:`session_heat_time_ms`: a heat raced as timed sessions (a physical car, or a racer without
  a model): the racer's time for the heat's laps is the sum of the first ``laps`` laps of a race-day
  session (each at ``time_ms + penalty_ms``; a lap over the resets limit still took its time), or
  None when the session has fewer laps.
"""

from __future__ import annotations

import sqlite_utils

from trainer.driving import EvaluationRules

from .db import LeagueError
from .finals import finalists, get_finals, get_heat, next_heat, record_heat
from .raceday.events import RaceDayEvent, get_event


def run_heat(db: sqlite_utils.Database, event: str | int | RaceDayEvent, heat_id: int | None = None, *,
             seed: int | None = None, who: str | None = None, models=None, reason: str | None = None) -> dict:
    """Race heat ``heat_id`` (default: the next one ready) as a simulated head-to-model race and record
    it; returns the recorded heat. ``models``: a ``ModelStore`` to look model names up in. Refused,
    in one line, when a racer has no model (record that heat's times instead)."""
    ev = get_event(db, event)
    final = get_finals(db, ev)
    heat = get_heat(db, heat_id, final) if heat_id is not None else next_heat(db, final)
    if heat is None:
        raise LeagueError(f"no heat of {ev.name!r} is ready to run (the finals are decided, or give --heat ID)")
    if heat["racer_a"] is None or heat["racer_b"] is None or heat["method"] == "bye":
        raise LeagueError(f"heat {heat['id']} has no two racers yet: run the heats before it first")
    cars = {r["racer"]: r for r in finalists(db, final)}
    a, b = cars[heat["racer_a"]], cars[heat["racer_b"]]
    walking = [r["racer"] for r in (a, b) if r["model"] is None]
    if walking:
        raise LeagueError(f"heat {heat['id']}: {', '.join(walking)} raced a physical car: record the heat's times "
                          "or its winner instead")
    from .head_to_model import evaluate_head_to_model

    rules = EvaluationRules(laps=final.laps, mode="continuous", penalty_s=ev.penalty_s, seed=seed,
                            collision_penalty_s=ev.collision_penalty_s)
    race = evaluate_head_to_model(a["model"], b["model"], ev.track, rules, checkpoint_a=a["checkpoint"],
                                  checkpoint_b=b["checkpoint"], simtrace=False, models=models)
    result = race.result
    times = result.race_s
    winner = None
    if times == (None, None) and result.winner is not None:  # neither finished: more laps or progress won
        winner = heat["racer_a"] if result.winner == "a" else heat["racer_b"]
    detail = {"seed": race.rules.seed, "models": [race.model, race.opponent], "checkpoints": list(race.checkpoints),
              "laps_done": [sum(lap.completed for lap in laps) for laps in (result.laps_a, result.laps_b)]}
    return record_heat(db, ev, heat["id"], winner=winner, time_a_s=times[0], time_b_s=times[1],
                       method="head_to_model", detail=detail, who=who, reason=reason)


def session_heat_time_ms(db: sqlite_utils.Database, session_id: int, laps: int) -> int | None:
    """The time of a session's first ``laps`` laps, ms (see the module docstring); None with fewer laps."""
    if db.execute("SELECT 1 FROM raceday_sessions WHERE id = ?", [session_id]).fetchone() is None:
        raise LeagueError(f"--session: no race-day session {session_id}")
    rows = db.execute("SELECT time_ms + penalty_ms FROM raceday_laps WHERE session_id = ? ORDER BY lap LIMIT ?",
                      [session_id, laps]).fetchall()
    return sum(r[0] for r in rows) if len(rows) == laps else None


def record_from_sessions(db: sqlite_utils.Database, event: str | int | RaceDayEvent, heat_id: int,
                         session_a: int, session_b: int, *, who: str | None = None,
                         reason: str | None = None) -> dict:
    """Record a timed heat from each racer's race-day session (session a is racer a's); returns the heat."""
    ev = get_event(db, event)
    final = get_finals(db, ev)
    heat = get_heat(db, heat_id, final)
    times = []
    for side, sid in (("a", session_a), ("b", session_b)):
        row = db.execute("SELECT racer, event_id FROM raceday_sessions WHERE id = ?", [sid]).fetchone()
        if row is None or row[1] != ev.id:
            raise LeagueError(f"--session-{side}: no session {sid} at {ev.name!r}")
        if row[0] != heat[f"racer_{side}"]:
            raise LeagueError(f"--session-{side}: session {sid} is {row[0]!r}'s, not {heat[f'racer_{side}']!r}'s")
        ms = session_heat_time_ms(db, sid, final.laps)
        times.append(None if ms is None else ms / 1000)
    if times == [None, None]:
        raise LeagueError(f"neither session has {final.laps} laps: give --winner RACER")
    return record_heat(db, ev, heat_id, time_a_s=times[0], time_b_s=times[1], method="timed",
                       detail={"sessions": [session_a, session_b]}, who=who, reason=reason)
