"""What the printouts (:mod:`league.printouts`) print, read from the league database: a race-day
event's or a league race's settings and board, each racer's best lap against the track's limit,
every session (or submission) with its laps, and the corrections made to them.

The track's limit is the racing line's lap (``sim.racing_line``, the track's own top speed):
``best_lap_s`` from a standing start for a lap that began at rest (a session's first lap, every
lap of a race run as trials), ``flying_lap_s`` for a lap begun at speed, so a racer's flying lap
is never compared with a standing start. ``pace_pct`` = limit / lap x 100: 100 % is the limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlite_utils

from .audit import audit_entries
from .db import LeagueError


@dataclass
class Subject:
    """The event or race a printout is about."""

    kind: str
    """``event`` (race day) or ``race`` (a league race)."""
    name: str
    track: str
    ranking: str
    """The ranking in words (``fastest valid lap`` ...)."""
    settings: list[tuple[str, str]]
    board: list[dict]
    """``rank, racer, display_name, time_s, gap_s, laps, valid_laps, status``, best first."""
    source: object = field(repr=False, default=None)
    """The ``RaceDayEvent`` or ``Race`` itself."""

    @property
    def heading(self) -> str:
        return "Race day" if self.kind == "event" else "League race"


@dataclass
class BestLap:
    """A racer's best counted lap and where it came from."""

    lap: int
    time_ms: int
    """The lap as it counts: its time plus any marshal's penalty, ms."""
    raw_ms: int
    """The lap as driven (what a replay drives again), ms."""
    standing_start: bool
    session: dict | None = None
    """Race day: the ``raceday_sessions`` row; a race: None."""
    submission: int | None = None


def load_subject(db: sqlite_utils.Database, name: str, race: bool = False) -> Subject:
    """The race-day event ``name`` (or with ``race`` the league race) with its board."""
    return _race_subject(db, name) if race else _event_subject(db, name)


def _event_subject(db: sqlite_utils.Database, name: str) -> Subject:
    from .raceday import event_leaderboard, get_event

    ev = get_event(db, name)
    limit = "no limit" if ev.resets_limit is None else f"{ev.resets_limit} per lap"
    settings = [("Track", ev.track), ("Session length", _clock(ev.length_s)), ("Ranking", ev.describe_ranking()),
                ("Resets", limit), ("Off-track hold", f"{ev.penalty_s:g} s"), ("Race type", ev.describe_race_type()),
                ("Created", ev.created[:16].replace("T", " ") + " UTC")]
    if ev.race_type != "time_trial":
        settings.insert(6, ("Collision hold", f"{ev.collision_penalty_s:g} s"))
    board = [{k: r[k] for k in ("rank", "racer", "display_name", "time_s", "gap_s", "laps", "valid_laps", "status")}
             for r in event_leaderboard(db, ev)]
    return Subject("event", ev.name, ev.track, ev.describe_ranking(), settings, board, ev)


def _race_subject(db: sqlite_utils.Database, name: str) -> Subject:
    from trainer.race import describe

    from .laptime import Ranking
    from .races import get_race, standings

    r = get_race(db, name)
    words = Ranking(r.ranking).describe(r.average_of)
    penalty = "no resets (a lap ends off the road)" if r.penalty_s is None else f"{r.penalty_s:g} s"
    settings = [("Track", r.track), ("Laps", f"{r.laps} ({r.mode})"), ("Ranking", words), ("Off-track penalty", penalty),
                ("Race type", describe(r.race_type, r.race_settings)), ("Status", r.status()),
                ("Window", f"{r.opens_at or 'from creation'} \u2013 {r.closes_at or 'no end'}"),
                ("Submissions", "no limit" if r.max_submissions is None else f"at most {r.max_submissions} per racer")]
    board = []
    for s in standings(db, r):
        sub = db.execute("SELECT laps_completed FROM submissions WHERE id = ?", [s["submission"]]).fetchone()
        board.append({"rank": s["rank"], "racer": s["racer"], "display_name": s["display_name"], "time_s": s["time_s"],
                      "gap_s": s["gap_s"], "laps": r.laps, "valid_laps": sub[0], "status": "ok" if s["time_s"] is not None
                      else "no time"})
    return Subject("race", r.name, r.track, words, settings, board, r)


def best_laps(db: sqlite_utils.Database, subject: Subject) -> dict[str, BestLap]:
    """Each racer's best counted lap, by alias (racers without a valid lap are absent)."""
    if subject.kind == "event":
        rows = db.query(
            "SELECT s.*, l.lap AS best_lap_no, l.time_ms AS raw_ms, l.time_ms + l.penalty_ms AS counted_ms "
            "FROM raceday_laps l JOIN raceday_sessions s ON s.id = l.session_id WHERE s.event_id = ? AND "
            "s.state IN ('submitted', 'dnf') AND l.valid = 1 ORDER BY counted_ms, s.ended, s.id", [subject.source.id])
        out: dict[str, BestLap] = {}
        for row in rows:
            if row["racer"] not in out:
                out[row["racer"]] = BestLap(row["best_lap_no"], row["counted_ms"], row["raw_ms"],
                                            row["best_lap_no"] == 1, session=row)
        return out
    race = subject.source
    out = {}
    for s in subject.board:
        sub = _standing_submission(db, race, s["racer"])
        laps = [lap for lap in db.query("SELECT lap, time_ms FROM laps WHERE submission_id = ? AND completed = 1 "
                                        "ORDER BY time_ms, lap", [sub])] if sub else []
        if laps:
            first = laps[0]
            out[s["racer"]] = BestLap(first["lap"], first["time_ms"], first["time_ms"],
                                      race.mode == "trials" or first["lap"] == 1, submission=sub)
    return out


def _standing_submission(db: sqlite_utils.Database, race, alias: str) -> int | None:
    from .races import standings

    return next((s["submission"] for s in standings(db, race) if s["racer"] == alias), None)


def track_limit_s(track: str, standing_start: bool) -> float:
    """The racing line's lap on ``track``, s: from a standing start or flying (module docstring)."""
    from sim.library import load_track
    from sim.racing_line import compute_racing_line

    line = compute_racing_line(load_track(track))
    return line.best_lap_s if standing_start else line.flying_lap_s


def racing_line_points(track: str):
    """The racing line of ``track``, ``(K, 2)`` m."""
    from sim.library import load_track
    from sim.racing_line import compute_racing_line

    return compute_racing_line(load_track(track)).points


def runs(db: sqlite_utils.Database, subject: Subject) -> list[dict]:
    """Every session of the event (or submission of the race) in order, each with its ``laps``.

    Session keys: ``id, racer, display_name, driver, model, state, ended, end_reason, best_lap_ms, laps``;
    lap keys: ``lap, time_ms, penalty_ms, resets, collisions, valid, note``."""
    if subject.kind == "event":
        sessions = list(db.query("SELECT * FROM raceday_sessions WHERE event_id = ? ORDER BY id", [subject.source.id]))
        for s in sessions:
            s["lap_rows"] = [dict(lap, note=_lap_note(lap)) for lap in db.query(
                "SELECT * FROM raceday_laps WHERE session_id = ? ORDER BY lap", [s["id"]])]
        return sessions
    subs = list(db.query("SELECT s.*, r.alias AS racer, r.display_name FROM submissions s JOIN racers r ON "
                         "r.id = s.racer_id WHERE s.race_id = ? ORDER BY s.id", [subject.source.id]))
    for s in subs:
        s["lap_rows"] = [dict(lap, resets=lap["off_track"], valid=lap["completed"], penalty_ms=0,
                              note="" if lap["completed"] else lap["status"]) for lap in db.query(
            "SELECT * FROM laps WHERE submission_id = ? ORDER BY lap", [s["id"]])]
    return subs


def _lap_note(lap: dict) -> str:
    if lap.get("overridden"):
        return "validity set by a marshal"
    return lap.get("auto_invalid") or ""


AUDITED = {"event": ("raceday_event", "raceday_session", ("raceday_lap",), "event_id"),
           "race": ("race", "submission", ("lap", "submission_lap"), "race_id")}
"""Per kind: the audit log's entity names of the event (race), of its sessions (submissions), of their
laps (``12/3``: session 12's lap 3), and the field a deleted session's ``before`` names its event by."""


def corrections(db: sqlite_utils.Database, subject: Subject, run_ids: list[int]) -> list[dict]:
    """The audit log's entries about the event (or race), its sessions (submissions) and their laps,
    oldest first. A deleted session is found by the event (race) its ``before`` names."""
    if "audit_log" not in db.table_names():
        return []
    own, run, laps, parent = AUDITED[subject.kind]
    me, ids = str(subject.source.id), {str(i) for i in run_ids}

    def about_us(e: dict) -> bool:
        if e["entity"] == own:
            return e["entity_id"] == me
        if e["entity"] in laps:
            return e["entity_id"].split("/")[0] in ids
        if e["entity"] == run:
            held = {str(d.get(parent)) for d in (e["before"], e["after"]) if isinstance(d, dict)}
            return e["entity_id"] in ids or me in held
        return False

    return [e for e in reversed(audit_entries(db)) if about_us(e)]


def require_results(subject: Subject, what: str) -> None:
    """Refuse a podium or certificates of an event (race) with no result yet, in one line."""
    if not subject.board:
        where = "race-day event" if subject.kind == "event" else "race"
        raise LeagueError(f"{where} {subject.name!r} has no results yet: nothing to print as {what}")


def _clock(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m}:{s:02d}"
