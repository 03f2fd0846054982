"""The race-day leaderboard and the lap rows of an event's exports.

Ranking (deepracer-conventions.md section 8, ``league.laptime.ranks``): rank = 1 + the
number of racers with a strictly better time, so ties share a rank and the earlier result
is listed first; a racer with no valid result ranks after all who have one. Only
``submitted`` and ``dnf`` sessions count.
"""

from __future__ import annotations

import sqlite_utils

from ..laptime import Ranking, ranks
from .events import RaceDayEvent, get_event


def event_leaderboard(db: sqlite_utils.Database, event: str | int | RaceDayEvent) -> list[dict]:
    """One row per racer with a counted session: ``rank, racer, display_name, time_s, gap_s,
    laps, valid_laps, resets, sessions, status`` (``ok``, ``dnf`` or ``no time``).

    ``time_s`` is the racer's best valid lap, or best average under ``best_average`` ranking, s;
    ``gap_s`` is its distance to the leader's, s (None without a time).
    """
    ev = get_event(db, event)
    column = "best_average_ms" if ev.ranking == Ranking.BEST_AVERAGE else "best_lap_ms"
    per_racer: dict[str, dict] = {}
    for s in db.query("SELECT * FROM raceday_sessions WHERE event_id = ? AND state IN ('submitted', 'dnf') "
                      "ORDER BY ended, id", [ev.id]):
        r = per_racer.setdefault(s["racer"], {"racer": s["racer"], "time_ms": None, "set_at": None, "laps": 0,
                                              "valid_laps": 0, "resets": 0, "sessions": 0, "dnf": False,
                                              "first": (s["ended"], s["id"])})
        r["display_name"] = s["display_name"]
        r["laps"] += s["laps"]
        r["valid_laps"] += s["valid_laps"]
        r["resets"] += s["resets"]
        r["sessions"] += 1
        r["dnf"] = s["state"] == "dnf"  # the latest session's outcome
        t = s[column]
        if t is not None and (r["time_ms"] is None or t < r["time_ms"]):  # strictly better: earlier keeps a tie
            r["time_ms"], r["set_at"] = t, (s["ended"], s["id"])
    timed = sorted((r for r in per_racer.values() if r["time_ms"] is not None), key=lambda r: (r["time_ms"], r["set_at"]))
    untimed = sorted((r for r in per_racer.values() if r["time_ms"] is None), key=lambda r: r["first"])
    ordered = timed + untimed
    leader = timed[0]["time_ms"] if timed else None
    rows = []
    for rank, r in zip(ranks([r["time_ms"] for r in ordered]), ordered):
        t = r["time_ms"]
        rows.append({"rank": rank, "racer": r["racer"], "display_name": r["display_name"],
                     "time_s": None if t is None else t / 1000,
                     "gap_s": None if t is None else (t - leader) / 1000,
                     "laps": r["laps"], "valid_laps": r["valid_laps"], "resets": r["resets"],
                     "sessions": r["sessions"], "status": "ok" if t is not None else ("dnf" if r["dnf"] else "no time")})
    return rows


def event_lap_rows(db: sqlite_utils.Database, event: str | int | RaceDayEvent) -> list[dict]:
    """Every counted lap of the event, for exports: ``race, racer, display_name, track, date,
    session, lap, time_ms, time_s, resets, collisions, valid`` (date: the session's end, ISO 8601 UTC;
    ``collisions``: of the lap's resets, those that were collisions with an object)."""
    ev = get_event(db, event)
    rows = db.query(
        "SELECT s.racer, s.display_name, s.ended, s.id AS session, l.lap, l.time_ms, l.resets, l.collisions, l.valid "
        "FROM raceday_laps l JOIN raceday_sessions s ON s.id = l.session_id "
        "WHERE s.event_id = ? AND s.state IN ('submitted', 'dnf') ORDER BY s.ended, s.id, l.lap", [ev.id])
    return [{"race": ev.name, "racer": r["racer"], "display_name": r["display_name"], "track": ev.track,
             "date": r["ended"], "session": r["session"], "lap": r["lap"], "time_ms": r["time_ms"],
             "time_s": r["time_ms"] / 1000, "resets": r["resets"], "collisions": r["collisions"],
             "valid": bool(r["valid"])} for r in rows]
