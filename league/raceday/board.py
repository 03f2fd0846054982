"""The race-day leaderboard and the lap rows of an event's exports.

Ranking (deepracer-conventions.md section 8, ``league.laptime.ranks``): rank = 1 + the
number of racers with a strictly better result, so ties share a rank and the earlier result
is listed first; a racer with no valid result ranks after all who have one. Only
``submitted`` and ``dnf`` sessions count.

Each session is scored from its laps under the event's format
(``league.laptime.session_score``: fastest lap, best average, total time of the first N,
most laps, first to X), a lap counting at ``time_ms + penalty_ms`` (a marshal's time
penalty); a racer's best session is their result. Computing it from the laps (rather than
from the session's stored columns) keeps one rule for every format, and a board that a
correction of a lap or of the event's ranking updates at once.

Multi-track events (DREM's): each track has its board (``track=``: that track's sessions
only), and the event's board is the combined one (:func:`combined_leaderboard`): a racer's
result is the sum of their best result on each track (under ``most_laps``: the sum of their
laps, then of the times their last laps landed); a racer with results on every track ranks
before anyone missing one, then by how many tracks they have, then by the sum. So a racer
who skipped a hard track cannot beat one who drove it. A one-track event's combined board
is its board, unchanged.
"""

from __future__ import annotations

import sqlite_utils

from ..laptime import Ranking, Score, ranks, session_score
from .events import RaceDayEvent, get_event

COUNTED = "s.state IN ('submitted', 'dnf')"


def event_leaderboard(db: sqlite_utils.Database, event: str | int | RaceDayEvent,
                      track: str | None = None) -> list[dict]:
    """One row per racer with a counted session: ``rank, racer, display_name, time_s, gap_s,
    result_laps, gap_laps, laps, valid_laps, resets, sessions, status`` (``ok``, ``dnf`` or ``no time``).

    ``track``: that track's board (one of the event's); None: the event's board, which for a
    multi-track event is :func:`combined_leaderboard`.

    ``time_s`` is the racer's result under the event's ranking, s (best valid lap, best average,
    total of the first N valid laps, the time to reach X valid laps; under ``most_laps`` when their
    last valid lap landed, the tie-break); ``gap_s`` its distance to the leader's, s (under
    ``most_laps`` only beside a leader with as many laps). ``result_laps`` and ``gap_laps``: under
    ``most_laps`` the valid laps of the best session and how many fewer than the leader's; else None.
    """
    ev = get_event(db, event)
    if track is None and ev.multi_track:
        return combined_leaderboard(db, ev)
    return _ranked(_racer_results(db, ev, None if track is None else ev.check_track(track)))


def _racer_results(db: sqlite_utils.Database, ev: RaceDayEvent, track: str | None) -> dict[str, dict]:
    """Each racer's best :class:`league.laptime.Score` (``score``, ``set_at``) and totals, on ``track``
    (None: every track)."""
    scores = _session_scores(db, ev)
    where, args = ("", [ev.id]) if track is None else (" AND track = ?", [ev.id, track])
    per_racer: dict[str, dict] = {}
    for s in db.query(f"SELECT * FROM raceday_sessions s WHERE event_id = ?{where} AND {COUNTED} "
                      "ORDER BY ended, id", args):
        r = per_racer.setdefault(s["racer"], {"racer": s["racer"], "score": None, "set_at": None, "laps": 0,
                                              "valid_laps": 0, "resets": 0, "sessions": 0, "dnf": False,
                                              "first": (s["ended"], s["id"])})
        r["display_name"] = s["display_name"]
        r["laps"] += s["laps"]
        r["valid_laps"] += s["valid_laps"]
        r["resets"] += s["resets"]
        r["sessions"] += 1
        r["dnf"], r["last"] = s["state"] == "dnf", (s["ended"], s["id"])  # the latest session's outcome
        score = scores.get(s["id"])
        if score is not None and (r["score"] is None or score.key < r["score"].key):  # strictly: earlier keeps a tie
            r["score"], r["set_at"] = score, (s["ended"], s["id"])
    return per_racer


def _ranked(per_racer: dict[str, dict]) -> list[dict]:
    timed = sorted((r for r in per_racer.values() if r["score"] is not None),
                   key=lambda r: (r["score"].key, r["set_at"]))
    untimed = sorted((r for r in per_racer.values() if r["score"] is None), key=lambda r: r["first"])
    ordered = timed + untimed
    leader = timed[0]["score"] if timed else None
    return [_row(rank, r, leader) for rank, r in zip(ranks([r["score"] and r["score"].key for r in ordered]), ordered)]


def _row(rank: int, r: dict, leader) -> dict:
    """A board row; ``leader``: the leader's score when this row's gap is measured to it, else None."""
    score = r["score"]
    most_laps = score is not None and score.laps is not None
    same_laps = score is not None and leader is not None and score.laps == leader.laps
    return {"rank": rank, "racer": r["racer"], "display_name": r["display_name"],
            "time_s": None if score is None else score.time / 1000,
            "gap_s": (score.time - leader.time) / 1000 if score is not None and same_laps else None,
            "result_laps": score.laps if most_laps else None,
            "gap_laps": leader.laps - score.laps if most_laps and leader is not None else None,
            "laps": r["laps"], "valid_laps": r["valid_laps"], "resets": r["resets"], "sessions": r["sessions"],
            "status": "ok" if score is not None else ("dnf" if r["dnf"] else "no time")}


def combined_leaderboard(db: sqlite_utils.Database, event: str | int | RaceDayEvent) -> list[dict]:
    """The event's board over all its tracks (the rule is in the module docstring): the rows of
    :func:`event_leaderboard` (``time_s``: the sum of the best results per track, s; ``laps``,
    ``valid_laps``, ``resets``, ``sessions``: over every track) plus ``tracks_done`` (tracks with a
    result), ``by_track`` (``{track: that track's result, s, or None}`` in the event's order) and
    ``by_track_laps`` (under ``most_laps`` the valid laps of that result, else None). A
    one-track event: its board, as :func:`event_leaderboard` gives it."""
    ev = get_event(db, event)
    if not ev.multi_track:
        return event_leaderboard(db, ev)
    per_track = {t: _racer_results(db, ev, t) for t in ev.tracks}
    merged: dict[str, dict] = {}
    for track, results in per_track.items():
        for racer, r in results.items():
            m = merged.setdefault(racer, {**r, "score": None, "set_at": None, "laps": 0, "valid_laps": 0,
                                          "resets": 0, "sessions": 0, "parts": {}})
            if r["last"] >= m["last"]:
                m["display_name"], m["dnf"], m["last"] = r["display_name"], r["dnf"], r["last"]
            m["first"] = min(m["first"], r["first"])
            for key in ("laps", "valid_laps", "resets", "sessions"):
                m[key] += r[key]
            if r["score"] is not None:
                m["parts"][track] = r["score"]
                m["set_at"] = max(m["set_at"] or r["set_at"], r["set_at"])
    for m in merged.values():
        parts = list(m["parts"].values())
        if parts:
            laps = [p.laps for p in parts]
            m["score"] = Score(sum(p.time for p in parts), None if None in laps else sum(laps))
            m["tracks_done"] = len(parts)
    rows = _ranked_combined(merged)
    for row in rows:
        parts = merged[row["racer"]]["parts"]
        row["tracks_done"] = len(parts)
        row["by_track"] = {t: (parts[t].time / 1000 if t in parts else None) for t in ev.tracks}
        row["by_track_laps"] = {t: (parts[t].laps if t in parts else None) for t in ev.tracks}
    return rows


def _ranked_combined(merged: dict[str, dict]) -> list[dict]:
    """Rows ranked by (more tracks first, then the summed score); the gap only beside the leader's
    number of tracks."""
    timed = sorted((r for r in merged.values() if r["score"] is not None),
                   key=lambda r: (-r["tracks_done"], r["score"].key, r["set_at"]))
    untimed = sorted((r for r in merged.values() if r["score"] is None), key=lambda r: r["first"])
    leader = timed[0] if timed else None
    keys = [(-r["tracks_done"], *r["score"].key) for r in timed] + [None] * len(untimed)
    rows = []
    for rank, r in zip(ranks(keys), timed + untimed):
        same = leader is not None and r["score"] is not None and r["tracks_done"] == leader["tracks_done"]
        rows.append(_row(rank, r, leader["score"] if same else None))
    return rows


def session_result_s(db: sqlite_utils.Database, event: str | int | RaceDayEvent, session_id: int) -> float | None:
    """One counted session's result under the event's ranking, s, from its laps as recorded (whole
    milliseconds, penalties included): the time the board counts for it; None without one."""
    ev = get_event(db, event)
    score = _session_scores(db, ev, session_id).get(session_id)
    return None if score is None else score.time / 1000


def _session_scores(db: sqlite_utils.Database, ev: RaceDayEvent, session_id: int | None = None) -> dict:
    """Each counted session's (or only ``session_id``'s) :class:`league.laptime.Score` under the event's
    ranking (absent: none)."""
    laps: dict[int, list[tuple[int, bool]]] = {}
    one, args = ("", [ev.id]) if session_id is None else (" AND s.id = ?", [ev.id, int(session_id)])
    for sid, t, valid in db.execute(
            f"SELECT l.session_id, l.time_ms + l.penalty_ms, l.valid FROM raceday_laps l JOIN raceday_sessions s "
            f"ON s.id = l.session_id WHERE s.event_id = ? AND {COUNTED}{one} ORDER BY l.session_id, l.lap", args):
        laps.setdefault(sid, []).append((t, bool(valid)))
    ranking = Ranking(ev.ranking)
    out = {}
    for sid, session_laps in laps.items():
        score = session_score(session_laps, ranking, average_of=ev.average_of, target_laps=ev.target_laps)
        if score is not None:
            out[sid] = score
    return out


def event_lap_rows(db: sqlite_utils.Database, event: str | int | RaceDayEvent) -> list[dict]:
    """Every counted lap of the event, for exports: ``race, racer, display_name, track (the session's), date,
    session, penalty_s, lap, time_ms, time_s, resets, collisions, valid`` (date: the session's end,
    ISO 8601 UTC; ``time_ms``/``time_s``: the lap as it counts, a marshal's time penalty included,
    as a league race's laps include theirs; ``penalty_s``: that penalty; ``collisions``: of the lap's
    resets, those that were collisions with an object)."""
    ev = get_event(db, event)
    rows = db.query(
        "SELECT s.racer, s.display_name, s.ended, s.id AS session, s.track, l.lap, l.time_ms, l.penalty_ms, l.resets, "
        f"l.collisions, l.valid FROM raceday_laps l JOIN raceday_sessions s ON s.id = l.session_id "
        f"WHERE s.event_id = ? AND {COUNTED} ORDER BY s.ended, s.id, l.lap", [ev.id])
    return [{"race": ev.name, "racer": r["racer"], "display_name": r["display_name"], "track": r["track"] or ev.track,
             "date": r["ended"], "session": r["session"], "penalty_s": r["penalty_ms"] / 1000, "lap": r["lap"],
             "time_ms": r["time_ms"] + r["penalty_ms"], "time_s": (r["time_ms"] + r["penalty_ms"]) / 1000,
             "resets": r["resets"], "collisions": r["collisions"], "valid": bool(r["valid"])} for r in rows]
