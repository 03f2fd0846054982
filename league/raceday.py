"""Race day: events, the racer queue, recorded sessions, the event leaderboard and its lap rows.

An event has a track, a session length (default 4:00, allowed 1-10 minutes as event
tools allow), a ranking (``fastest`` valid lap, or best ``average`` of N consecutive
valid laps) and a limit of resets per lap. Racers queue; each session is driven by a
model in the simulator (``league.raceday_sim``; the ``standard`` model for racers who
bring none) or by a physical car timed by hand, both through
:class:`league.timing.SessionTimer`. A session is written with its laps in one
transaction; lap times are stored as integer milliseconds.

Ranking (deepracer-conventions.md section 8): rank = 1 + the number of racers with a
strictly better time, so ties share a rank and the earlier result is listed first; a
racer with no valid result ranks after all who have one. Only ``submitted`` and ``dnf``
sessions count (a DNF keeps the laps captured before the racer retired); discarded
sessions are kept for the audit trail only.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

import sqlite_utils

from sim.library import load_track

from .db import LeagueError, now_iso, writing
from .timing import DISCARDED, DNF, ENDED, RANKINGS, SessionTimer

LENGTH_RANGE_S = (60.0, 600.0)
DEFAULT_LENGTH_S = 240.0
ALIAS_RULE = re.compile(r"^[^\x00-\x1f\x7f]{1,64}$")


@dataclass(frozen=True)
class Event:
    """A race-day event as stored in ``raceday_events``."""

    id: int
    name: str
    track: str
    length_s: float
    """Session length on the clock, s."""
    ranking: str
    """``fastest`` or ``average``."""
    average_of: int
    """Consecutive valid laps in an average."""
    resets_limit: int | None
    """Most resets a valid lap may have; None: no limit."""
    min_lap_s: float
    """Captures sooner than this after the lap start are double triggers, s."""
    penalty_s: float
    """How long a simulated car is held after an off-track before it is put back, s."""
    created: str

    def new_timer(self) -> SessionTimer:
        """A timer with this event's rules, ready to start."""
        return SessionTimer(self.length_s, self.resets_limit, self.min_lap_s, self.ranking, self.average_of)

    def as_dict(self) -> dict:
        return asdict(self)


def parse_length(text: str | float | int) -> float:
    """A session length as ``M:SS`` or seconds (``4:00``, ``240``, ``240s``) -> seconds."""
    s = str(text).strip().lower().removesuffix("s")
    m = re.fullmatch(r"(\d+):([0-5]\d)", s)
    try:
        return float(int(m.group(1)) * 60 + int(m.group(2))) if m else float(s)
    except ValueError:
        raise LeagueError(f"session length: expected M:SS or seconds (e.g. 4:00 or 240), got {text!r}") from None


# -- events ---------------------------------------------------------------------------------------
def create_event(db: sqlite_utils.Database, name: str, track: str, *, length_s: float = DEFAULT_LENGTH_S,
                 ranking: str = "fastest", average_of: int = 3, resets_limit: int | None = 3,
                 min_lap_s: float = 1.0, penalty_s: float = 2.0) -> Event:
    """A new event. Any track may host one (a race day is not a training run)."""
    name = (name or "").strip()
    if not ALIAS_RULE.match(name):
        raise LeagueError("event name: expected 1-64 printable characters")
    load_track(track)  # raises TrackError naming the available tracks
    lo, hi = LENGTH_RANGE_S
    if not (isinstance(length_s, (int, float)) and lo <= length_s <= hi):
        raise LeagueError(f"session length: must be {lo:.0f}..{hi:.0f} s (1-10 minutes), got {length_s}")
    if ranking not in RANKINGS:
        raise LeagueError(f"ranking: expected 'fastest' or 'average', got {ranking!r}")
    if not isinstance(average_of, int) or not 2 <= average_of <= 10:
        raise LeagueError(f"average of: expected 2..10 consecutive laps, got {average_of!r}")
    if resets_limit is not None and (not isinstance(resets_limit, int) or resets_limit < 0):
        raise LeagueError(f"resets limit: expected a whole number >= 0, got {resets_limit!r}")
    if not 0 < min_lap_s < length_s or not 0 <= penalty_s <= 30:
        raise LeagueError("the minimum lap time must be above 0 and below the session length, "
                          "and the off-track penalty 0..30 s")
    with writing(db):
        if db.execute("SELECT 1 FROM raceday_events WHERE name = ?", [name]).fetchone():
            raise LeagueError(f"an event named {name!r} already exists")
        cur = db.conn.execute(
            "INSERT INTO raceday_events (name, track, length_s, ranking, average_of, resets_limit, min_lap_s,"
            " penalty_s, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [name, track, float(length_s), ranking, average_of, resets_limit, float(min_lap_s), float(penalty_s),
             now_iso()])
        event_id = cur.lastrowid
    return get_event(db, event_id)


def get_event(db: sqlite_utils.Database, event: str | int | Event) -> Event:
    """The event by name (any case), id or Event; LeagueError if there is none."""
    if isinstance(event, Event):
        event = event.id
    column = "id" if isinstance(event, int) else "name"
    rows = list(db.query(f"SELECT * FROM raceday_events WHERE {column} = ?", [event]))
    if not rows:
        names = ", ".join(e.name for e in list_events(db)) or "none yet"
        raise LeagueError(f"no race-day event {event!r}; events: {names}")
    return Event(**rows[0])


def list_events(db: sqlite_utils.Database) -> list[Event]:
    return [Event(**row) for row in db.query("SELECT * FROM raceday_events ORDER BY created, id")]


# -- the queue --------------------------------------------------------------------------------------
def add_to_queue(db: sqlite_utils.Database, event: str | int | Event, racer: str, *, display_name: str | None = None,
                 model: str | None = None, car: bool = False, checkpoint: str | int | None = None) -> dict:
    """Queue ``racer`` (an alias) at the back. ``car``: a physical car timed by hand;
    otherwise a model drives (``model``, default the ``standard`` model). Returns the entry."""
    ev = get_event(db, event)
    racer = (racer or "").strip()
    if not ALIAS_RULE.match(racer):
        raise LeagueError("racer: expected an alias of 1-64 printable characters")
    if car and model is not None:
        raise LeagueError("a physical car is timed by hand: give a model or --car, not both")
    if not car:
        model = model or "standard"
        checkpoint = _check_model(model, checkpoint)
    display = (display_name or "").strip() or _league_display_name(db, racer) or racer
    with writing(db):
        busy = db.execute("SELECT state FROM raceday_queue WHERE event_id = ? AND racer = ? AND state IN "
                          "('queued', 'running')", [ev.id, racer]).fetchone()
        if busy:
            raise LeagueError(f"racer {racer!r} is already {busy[0]} at {ev.name!r}")
        pos = db.execute("SELECT COALESCE(MAX(position), 0) + 1 FROM raceday_queue WHERE event_id = ?",
                         [ev.id]).fetchone()[0]
        cur = db.conn.execute(
            "INSERT INTO raceday_queue (event_id, racer, display_name, position, driver, model, checkpoint, state,"
            " added) VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?)",
            [ev.id, racer, display, pos, "car" if car else "model", None if car else model,
             None if checkpoint is None else str(checkpoint), now_iso()])
        entry_id = cur.lastrowid
    return get_entry(db, entry_id)


def get_entry(db: sqlite_utils.Database, entry_id: int) -> dict:
    rows = list(db.query("SELECT * FROM raceday_queue WHERE id = ?", [entry_id]))
    if not rows:
        raise LeagueError(f"no queue entry {entry_id}")
    return rows[0]


def queue(db: sqlite_utils.Database, event: str | int | Event, *, everyone: bool = False) -> list[dict]:
    """Entries waiting, in running order (``everyone``: also running, done and skipped ones)."""
    ev = get_event(db, event)
    where = "" if everyone else " AND state = 'queued'"
    return list(db.query(f"SELECT * FROM raceday_queue WHERE event_id = ?{where} ORDER BY position", [ev.id]))


def next_in_queue(db: sqlite_utils.Database, event: str | int | Event) -> dict | None:
    """The racer whose turn is next, or None when nobody waits."""
    waiting = queue(db, event)
    return waiting[0] if waiting else None


def find_entry(db: sqlite_utils.Database, event: str | int | Event, racer: str) -> dict | None:
    """``racer``'s waiting (queued or running) entry at the event, or None."""
    ev = get_event(db, event)
    rows = list(db.query("SELECT * FROM raceday_queue WHERE event_id = ? AND racer = ? AND state IN "
                         "('queued', 'running') ORDER BY position LIMIT 1", [ev.id, racer]))
    return rows[0] if rows else None


def reorder(db: sqlite_utils.Database, entry_id: int, position: int) -> list[dict]:
    """Move a waiting entry to ``position`` (1 = next) among those waiting; returns the new queue."""
    entry = _waiting(db, entry_id, "reorder")
    with writing(db):
        ids = [r[0] for r in db.execute("SELECT id FROM raceday_queue WHERE event_id = ? AND state = 'queued' "
                                        "ORDER BY position", [entry["event_id"]])]
        if not 1 <= position <= len(ids):
            raise LeagueError(f"position: expected 1..{len(ids)}, got {position}")
        ids.remove(entry_id)
        ids.insert(position - 1, entry_id)
        # Waiting entries go after everyone who has raced, in the new order.
        first = db.execute("SELECT COALESCE(MAX(position), 0) + 1 FROM raceday_queue WHERE event_id = ? AND state "
                           "!= 'queued'", [entry["event_id"]]).fetchone()[0]
        for k, i in enumerate(ids):
            db.conn.execute("UPDATE raceday_queue SET position = ? WHERE id = ?", [first + k, i])
    return queue(db, entry["event_id"])


def remove(db: sqlite_utils.Database, entry_id: int) -> None:
    """Take a waiting racer out of the queue (a racer who has raced keeps their record)."""
    _waiting(db, entry_id, "remove")
    with writing(db):
        db.conn.execute("DELETE FROM raceday_queue WHERE id = ? AND state = 'queued'", [entry_id])


def skip(db: sqlite_utils.Database, entry_id: int) -> None:
    """Mark a waiting racer as skipped (a no-show), kept in the history."""
    _waiting(db, entry_id, "skip")
    with writing(db):
        db.conn.execute("UPDATE raceday_queue SET state = 'skipped' WHERE id = ?", [entry_id])


def start_entry(db: sqlite_utils.Database, entry_id: int) -> dict:
    """The entry's session begins: ``queued`` -> ``running``."""
    _waiting(db, entry_id, "start")
    with writing(db):
        db.conn.execute("UPDATE raceday_queue SET state = 'running' WHERE id = ?", [entry_id])
    return get_entry(db, entry_id)


# -- sessions ---------------------------------------------------------------------------------------
def record_session(db: sqlite_utils.Database, event: str | int | Event, timer: SessionTimer, *,
                   racer: str | None = None, display_name: str | None = None, entry_id: int | None = None,
                   driver: str | None = None, model: str | None = None, checkpoint: str | None = None,
                   started: str | None = None) -> int:
    """Write an ended (or DNF, or discarded) session with its laps in one transaction.

    ``driver``: ``model`` or ``car`` (default: the entry's, else ``car``). With ``entry_id``
    the racer and anything not given come from the queue entry, which becomes ``done``
    (or ``queued`` again when the session was discarded). On success an ended
    session is marked submitted on the timer. Returns the session id.
    """
    ev = get_event(db, event)
    if timer.state not in (ENDED, DNF, DISCARDED):
        raise LeagueError(f"only an ended session can be recorded (it is {timer.state}); end it first")
    if entry_id is not None:
        entry = get_entry(db, entry_id)
        if entry["event_id"] != ev.id:
            raise LeagueError(f"queue entry {entry_id} belongs to another event")
        racer, display_name = entry["racer"], display_name or entry["display_name"]
        driver = driver or entry["driver"]
        if driver == entry["driver"]:
            model, checkpoint = model or entry["model"], checkpoint or entry["checkpoint"]
    driver = driver or ("model" if model else "car")
    if driver not in ("model", "car") or (driver == "model") != (model is not None):
        raise LeagueError(f"driver: 'model' with a model name, or 'car' without one (got {driver!r}, {model!r})")
    racer = (racer or "").strip()
    if not ALIAS_RULE.match(racer):
        raise LeagueError("a session needs a racer (an alias of 1-64 printable characters)")
    display_name = (display_name or "").strip() or _league_display_name(db, racer) or racer
    state = {ENDED: "submitted", DNF: "dnf", DISCARDED: "discarded"}[timer.state]
    laps = [(lap.number, _ms(lap.time_s), lap.resets, int(lap.valid), lap.auto_invalid, int(lap.override is not None))
            for lap in timer.laps]
    best_lap, best_avg = _best_ms([(ms, v) for _, ms, _, v, _, _ in laps], ev.average_of)
    log = json.dumps([asdict(e) for e in timer.events])
    with writing(db):
        cur = db.conn.execute(
            "INSERT INTO raceday_sessions (event_id, queue_id, racer, display_name, driver, model, checkpoint,"
            " started, ended, state, end_reason, length_s, best_lap_ms, best_average_ms, laps, valid_laps, resets,"
            " timer_log) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [ev.id, entry_id, racer, display_name, driver, model, checkpoint, started, now_iso(), state,
             timer.end_reason, timer.length_s, best_lap, best_avg, len(laps), sum(v for _, _, _, v, _, _ in laps),
             sum(r for _, _, r, _, _, _ in laps) + timer.running_resets, log])
        session_id = cur.lastrowid
        for row in _lap_rows(session_id, laps):
            db.conn.execute("INSERT INTO raceday_laps (session_id, lap, time_ms, resets, valid, auto_invalid,"
                            " overridden) VALUES (?, ?, ?, ?, ?, ?, ?)", row)
        if entry_id is not None:
            db.conn.execute("UPDATE raceday_queue SET state = ? WHERE id = ?",
                            ["queued" if state == "discarded" else "done", entry_id])
    if timer.state in (ENDED, DNF):
        timer.submit()
    return session_id


def _lap_rows(session_id: int, laps: list[tuple]):
    # A separate step so a test can fail a write half-way and see nothing of it kept.
    for lap in laps:
        yield (session_id, *lap)


def set_lap_valid(db: sqlite_utils.Database, session_id: int, lap: int, valid: bool) -> None:
    """Change a recorded lap's validity (a protest upheld) and the session's results with it."""
    with writing(db):
        row = db.execute("SELECT s.event_id FROM raceday_laps l JOIN raceday_sessions s ON s.id = l.session_id "
                         "WHERE l.session_id = ? AND l.lap = ?", [session_id, lap]).fetchone()
        if row is None:
            raise LeagueError(f"session {session_id} has no lap {lap}")
        db.conn.execute("UPDATE raceday_laps SET valid = ?, overridden = 1 WHERE session_id = ? AND lap = ?",
                        [int(bool(valid)), session_id, lap])
        laps = db.execute("SELECT time_ms, valid FROM raceday_laps WHERE session_id = ? ORDER BY lap",
                          [session_id]).fetchall()
        best_lap, best_avg = _best_ms(laps, get_event(db, row[0]).average_of)
        db.conn.execute("UPDATE raceday_sessions SET best_lap_ms = ?, best_average_ms = ?, valid_laps = ? "
                        "WHERE id = ?", [best_lap, best_avg, sum(v for _, v in laps), session_id])


def sessions(db: sqlite_utils.Database, event: str | int | Event) -> list[dict]:
    ev = get_event(db, event)
    return list(db.query("SELECT * FROM raceday_sessions WHERE event_id = ? ORDER BY id", [ev.id]))


# -- results ------------------------------------------------------------------------------------------
def event_leaderboard(db: sqlite_utils.Database, event: str | int | Event) -> list[dict]:
    """One row per racer with a counted session: ``rank, racer, display_name, time_s, gap_s,
    laps, valid_laps, resets, sessions, status`` (``ok``, ``dnf`` or ``no time``).

    ``time_s`` is the racer's best valid lap, or best average under ``average`` ranking, s;
    ``gap_s`` is its distance to the leader's, s (None without a time).
    """
    ev = get_event(db, event)
    column = "best_average_ms" if ev.ranking == "average" else "best_lap_ms"
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
    times = [r["time_ms"] for r in timed]
    leader = times[0] if times else None
    rows = []
    for r in timed + untimed:
        t = r["time_ms"]
        rank = 1 + (sum(1 for x in times if x < t) if t is not None else len(times))
        rows.append({"rank": rank, "racer": r["racer"], "display_name": r["display_name"],
                     "time_s": None if t is None else t / 1000,
                     "gap_s": None if t is None else (t - leader) / 1000,
                     "laps": r["laps"], "valid_laps": r["valid_laps"], "resets": r["resets"],
                     "sessions": r["sessions"], "status": "ok" if t is not None else ("dnf" if r["dnf"] else "no time")})
    return rows


def event_lap_rows(db: sqlite_utils.Database, event: str | int | Event) -> list[dict]:
    """Every counted lap of the event, for exports: ``race, racer, display_name, track, date,
    session, lap, time_ms, time_s, resets, valid`` (date: the session's end, ISO 8601 UTC)."""
    ev = get_event(db, event)
    rows = db.query(
        "SELECT s.racer, s.display_name, s.ended, s.id AS session, l.lap, l.time_ms, l.resets, l.valid "
        "FROM raceday_laps l JOIN raceday_sessions s ON s.id = l.session_id "
        "WHERE s.event_id = ? AND s.state IN ('submitted', 'dnf') ORDER BY s.ended, s.id, l.lap", [ev.id])
    return [{"race": ev.name, "racer": r["racer"], "display_name": r["display_name"], "track": ev.track,
             "date": r["ended"], "session": r["session"], "lap": r["lap"], "time_ms": r["time_ms"],
             "time_s": r["time_ms"] / 1000, "resets": r["resets"], "valid": bool(r["valid"])} for r in rows]


# -- helpers ------------------------------------------------------------------------------------------
def _ms(seconds: float) -> int:
    return int(round(seconds * 1000))


def _best_ms(laps: list[tuple[int, int]], n: int) -> tuple[int | None, int | None]:
    """Best valid lap and best mean of ``n`` consecutive valid laps, ms, from ``(time_ms, valid)`` in order."""
    valid = [ms for ms, v in laps if v]
    means = [sum(ms for ms, _ in laps[i:i + n]) / n for i in range(len(laps) - n + 1)
             if all(v for _, v in laps[i:i + n])]
    return (min(valid) if valid else None), (int(round(min(means))) if means else None)


def _waiting(db: sqlite_utils.Database, entry_id: int, action: str) -> dict:
    entry = get_entry(db, entry_id)
    if entry["state"] != "queued":
        raise LeagueError(f"cannot {action} {entry['racer']!r}: their entry is {entry['state']}, not queued")
    return entry


def _check_model(model: str, checkpoint) -> str | None:
    from trainer.policy import PolicyError, resolve_checkpoint

    try:
        resolve_checkpoint(model, checkpoint)
    except PolicyError as exc:
        hint = "; bring a model (--model M) or time a physical car (--car)" if model == "standard" else ""
        raise LeagueError(f"{exc}{hint}") from None
    return None if checkpoint is None else str(checkpoint)


def _league_display_name(db: sqlite_utils.Database, alias: str) -> str | None:
    """The league's display name for ``alias`` when the league has a racers table that knows it."""
    if "racers" not in db.table_names():
        return None
    cols = {c.name for c in db["racers"].columns}
    if not {"alias", "display_name"} <= cols:
        return None
    row = db.execute("SELECT display_name FROM racers WHERE alias = ?", [alias]).fetchone()
    return row[0] if row and row[0] else None
