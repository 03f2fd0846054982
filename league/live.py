"""Live boards as plain data: what the event server's pages, overlays and JSON show (Qt-free, HTTP-free).

Snapshots (each a JSON-ready dict with a ``topic``):

- :func:`raceday_snapshot`: a race-day event's board: the event, its format in words, the racer on
  track (time left, running lap, best lap, laps so far) and the board rows with gaps;
- :func:`race_snapshot`: a league race's standings; :func:`season_snapshot`: a season's points;
- :func:`index_snapshot`: every event, race and season (the server's front page).

The session on track lives in the process that times it (the app's console, a simulated run), not
in the database, which only gets the session when it is submitted. That process hands its state to
the server through a *live-state file*, one per event, ``TRACKSIDE_HOME/live/raceday-<id>.json``
(:class:`LiveStateWriter`: written atomically, at most ~10 times a second). The same file serves a
server inside the app and a separate ``trackside serve`` process, so there is one path, and a
crashed app leaves nothing on the board for long: a state older than :data:`STALE_S` is ignored.
The server's watcher (``gui.web.watch``) notices the file's change and the database's
``PRAGMA data_version`` and publishes fresh snapshots.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

import sqlite_utils

from sim.paths import home

from .db import LeagueError

STALE_S = 30.0
"""A live state not rewritten for this long is a session nobody times any more (the app closed), s."""
WRITE_PERIOD_S = 0.1
"""Least time between two live-state writes of one event, s (a finished lap is written at once)."""
LIVE_KEYS = ("state", "time_left_s", "running_lap_s", "best_lap_s", "result_s", "valid_laps", "running_resets",
             "racer", "name", "driver", "end_reason")
_TOPIC = re.compile(r"^(raceday|race|season):([0-9]{1,9})$")


def parse_topic(topic: str) -> tuple[str, int]:
    """``raceday:3`` -> ``("raceday", 3)``; anything else is a :class:`LeagueError`."""
    m = _TOPIC.match(topic or "")
    if not m:
        raise LeagueError(f"unknown board {topic!r}: expected raceday:<id>, race:<id> or season:<id>")
    return m.group(1), int(m.group(2))


def snapshot(db: sqlite_utils.Database, topic: str) -> dict:
    """The snapshot a topic names (``raceday:<id>``, ``race:<id>``, ``season:<id>``)."""
    kind, ident = parse_topic(topic)
    return {"raceday": raceday_snapshot, "race": race_snapshot, "season": season_snapshot}[kind](db, ident)


# -- race day ---------------------------------------------------------------------------------------
def raceday_snapshot(db: sqlite_utils.Database, event, live: dict | None = None) -> dict:
    """A race-day event's board. ``live``: the session on track (default: the event's live-state file).

    ``rows``: ``rank, racer, name, time_s, gap_s, laps, valid_laps, result_laps, status``, best first.
    ``current``: None, or ``racer, name, state, time_left_s, running_lap_s, best_lap_s, valid_laps,
    laps`` (number of laps so far) and ``last_lap`` (``number, time_s, valid``), times in s.
    """
    from .raceday import event_leaderboard, get_event

    ev = get_event(db, event)
    live = read_live_state(ev.id) if live is None else live
    rows = [{"rank": r["rank"], "racer": r["racer"], "name": r["display_name"], "time_s": r["time_s"],
             "gap_s": r["gap_s"], "laps": r["laps"], "valid_laps": r["valid_laps"],
             "result_laps": r["result_laps"], "status": r["status"]} for r in event_leaderboard(db, ev)]
    return {"topic": f"raceday:{ev.id}", "kind": "raceday", "id": ev.id, "title": ev.name,
            "track": track_title(ev.track), "format": ev.describe_ranking(),
            "length_s": ev.length_s, "rules": _rules(ev), "current": _current(live), "rows": rows,
            "leader_s": rows[0]["time_s"] if rows else None}


def _rules(ev) -> str:
    mins, secs = divmod(int(round(ev.length_s)), 60)
    parts = [f"{mins}:{secs:02d} sessions"]
    if ev.resets_limit is not None:
        parts.append(f"at most {ev.resets_limit} resets a lap")
    parts.append(ev.describe_runs())
    if ev.race_type != "time_trial":
        parts.append(ev.describe_race_type())
    return " \u00b7 ".join(parts)


def _current(live: dict | None) -> dict | None:
    if not live or not live.get("racer") or live.get("state") in (None, "submitted", "discarded"):
        return None
    laps = live.get("laps") or []
    out = {k: live.get(k) for k in LIVE_KEYS}
    out["laps"] = len(laps)
    out["last_lap"] = ({"number": laps[-1].get("number"), "time_s": laps[-1].get("time_s"),
                        "valid": laps[-1].get("valid")} if laps else None)
    return out


# -- league -----------------------------------------------------------------------------------------
def race_snapshot(db: sqlite_utils.Database, race) -> dict:
    """A league race's standings: ``rows`` of ``rank, racer, name, time_s, gap_s, points, submissions``."""
    from .races import get_race, standings

    r = get_race(db, race)
    rows = [{"rank": s["rank"], "racer": s["racer"], "name": s["display_name"], "time_s": s["time_s"],
             "gap_s": s["gap_s"], "points": s["points"], "submissions": s["submissions"],
             "status": "ok" if s["time_s"] is not None else "no time"} for s in standings(db, r)]
    ranking = {"best_lap": "best lap", "best_average": f"best average of {r.average_of} laps",
               "total_time": f"total time of {r.laps} laps"}.get(r.ranking, r.ranking.replace("_", " "))
    return {"topic": f"race:{r.id}", "kind": "race", "id": r.id, "title": r.name, "track": track_title(r.track),
            "format": ranking, "rules": f"{r.laps} laps \u00b7 {r.state}", "current": None, "rows": rows,
            "leader_s": rows[0]["time_s"] if rows else None}


def season_snapshot(db: sqlite_utils.Database, season) -> dict:
    """A season's standings: ``rows`` of ``rank, racer, name, points, races``."""
    from .races import season_standings
    from .seasons import get_season

    s = get_season(db, season)
    rows = [{"rank": e["rank"], "racer": e["racer"], "name": e["display_name"], "points": e["points"],
             "races": e["races"], "time_s": None, "gap_s": None, "status": "ok"} for e in season_standings(db, s)]
    points = "time ratio" if s.points == "time_ratio" else "rank table"
    return {"topic": f"season:{s.id}", "kind": "season", "id": s.id, "title": s.name, "track": "",
            "format": f"points by {points}" + (f", best {s.best_k} races" if s.best_k else ""), "rules": "",
            "current": None, "rows": rows, "leader_s": None}


def index_snapshot(db: sqlite_utils.Database) -> dict:
    """Every race-day event, league race and season: ``events``, ``races``, ``seasons`` of ``id, name``."""
    from .raceday import list_events
    from .races import list_races
    from .seasons import list_seasons

    return {"events": [{"id": e.id, "name": e.name, "track": track_title(e.track)} for e in list_events(db)],
            "races": [{"id": r.id, "name": r.name, "track": track_title(r.track), "state": r.state}
                      for r in list_races(db)],
            "seasons": [{"id": s.id, "name": s.name} for s in list_seasons(db)]}


def track_title(name: str) -> str:
    """A track's display name (its file name when it has none)."""
    from sim.library import list_tracks

    return next((t.display_name for t in list_tracks() if t.name == name and t.display_name), name)


def data_version(db: sqlite_utils.Database) -> int:
    """SQLite's ``PRAGMA data_version`` on this connection: it changes when another connection commits."""
    return int(db.execute("PRAGMA data_version").fetchone()[0])


# -- the live-state file ----------------------------------------------------------------------------
def live_dir() -> Path:
    """``TRACKSIDE_HOME/live/``: one live-state file per race-day event."""
    return home() / "live"


def live_path(event_id: int) -> Path:
    return live_dir() / f"raceday-{int(event_id)}.json"


def read_live_state(event_id: int, now: float | None = None) -> dict | None:
    """The event's session on track as its timer last wrote it; None when none, stale or unreadable."""
    try:
        state = json.loads(live_path(event_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(state, dict) or not isinstance(state.get("written"), (int, float)):
        return None
    if (time.time() if now is None else now) - state["written"] > STALE_S:
        return None
    return state


class LiveStateWriter:
    """Writes the session on track of race-day events to their live-state files (see the module doc).

    ``write(event_id, state)`` with a console's or a simulated session's state (a
    ``SessionTimer.snapshot`` plus ``racer``, ``name``), or None when nobody is on track. Writes
    closer than :data:`WRITE_PERIOD_S` are skipped unless the laps, the state or the racer changed.
    """

    def __init__(self, period_s: float = WRITE_PERIOD_S, clock=time.monotonic):
        self.period_s, self.clock = period_s, clock
        self._last: dict[int, tuple[float, tuple]] = {}

    def write(self, event_id: int, state: dict | None) -> bool:
        """Write the state if due; True when written."""
        key = (None,) if state is None else (state.get("racer"), state.get("state"), len(state.get("laps") or ()),
                                             state.get("running_resets"))
        now = self.clock()
        last = self._last.get(event_id)
        if last is not None and last[1] == key and (state is None or now - last[0] < self.period_s):
            return False
        self._last[event_id] = (now, key)
        data = {"written": time.time()}
        if state is not None:
            data.update({k: state.get(k) for k in LIVE_KEYS})
            data["laps"] = [{"number": lap.get("number"), "time_s": lap.get("time_s"), "valid": lap.get("valid")}
                            for lap in state.get("laps") or ()]
        path = live_path(event_id)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(data), encoding="utf-8")
            os.replace(tmp, path)  # atomic: a reader sees the old state or the new one, never half
        except OSError:  # a full or read-only disk must never stop the timing; the boards only lag
            return False
        return True


def live_updates(event_id: int, then: Callable[[dict], None] | None = None) -> Callable[[dict], None]:
    """An ``on_update`` for a simulated session (``league.raceday.run_model_session``): writes each state
    to the event's live-state file (cleared at the session's ``end``), then hands it to ``then``."""
    writer = LiveStateWriter()

    def update(state: dict) -> None:
        writer.write(event_id, None if state.get("event") == "end" else state)
        if then is not None:
            then(state)

    return update
