"""Editing a race-day event after it was created: the same checks as creating one, audited.

:func:`update_event` takes any of ``league.raceday.events.EVENT_SETTINGS``, checks the event
as it would be with :func:`league.raceday.events.check_event_settings` (the validator
:func:`create_event` uses), writes the change and its audit entry (``league.audit``) in one
transaction.

Once sessions are recorded (submitted or DNF), a change that would make them wrong is
refused with the reason: the laps were driven and timed under the track, session length,
lap rules (resets limit, minimum lap, off-track penalty) and race type they had, and a
``first_to`` session ended at the X-th valid lap, so neither X nor a change to or from
``first_to`` can apply to it. The name, the ranking among the other formats (the board is
computed from the laps), the average's N, total time's N and the runs cap may change at
any time; the sessions' stored bests are refreshed with them
(``league.raceday.entries.refresh_session_results``).

Tracks: ``track`` is the first of ``tracks``; changing one changes the other (``track=`` replaces
the first track, ``tracks=`` sets the list, its first becoming ``track``). Tracks may be added or
reordered at any time; a track with recorded sessions stays (they were driven on it).
"""

from __future__ import annotations

import json

import sqlite_utils

from ..audit import record_change
from ..db import LeagueError, writing
from .entries import refresh_session_results
from .events import EVENT_SETTINGS, RaceDayEvent, check_event_settings, get_event, write_tracks

FIXED_BY_SESSIONS = {
    "length_s": "the sessions ran for it",
    "resets_limit": "it decided which recorded laps are valid", "min_lap_s": "it decided which captures were laps",
    "penalty_s": "it is in the recorded lap times", "race_type": "the sessions drove among its objects",
    "race_settings": "the sessions drove among its objects", "collision_penalty_s": "it is in the recorded lap times",
}
"""Settings that recorded sessions were driven under, and why they cannot change after."""


def update_event(db: sqlite_utils.Database, event: str | int | RaceDayEvent, who: str, *, reason: str | None = None,
                 **changes) -> RaceDayEvent:
    """Change some of an event's settings (``name=``, ``length_s=``, ``ranking=``, ``max_runs=`` ...);
    ``who`` is the editor (``league.audit.who_is_editing``). Returns the event as changed.

    Raises :class:`LeagueError` for an unknown or bad setting, a name in use, or a change that
    would make recorded sessions wrong (the reason is in the message).
    """
    unknown = sorted(set(changes) - set(EVENT_SETTINGS))
    if unknown:
        raise LeagueError(f"event edit: no setting {', '.join(unknown)}; settings: {', '.join(EVENT_SETTINGS)}")
    ev = get_event(db, event)
    before = {k: getattr(ev, k) for k in EVENT_SETTINGS}
    if "tracks" in changes and "track" not in changes and changes["tracks"]:
        changes["track"] = changes["tracks"][0]
    elif "track" in changes and "tracks" not in changes:
        changes["tracks"] = (changes["track"], *ev.tracks[1:])
    after = check_event_settings({**before, **changes})
    changed = [k for k in EVENT_SETTINGS if after[k] != before[k]]
    if not changed:
        return ev
    with writing(db):
        driven = db.execute("SELECT id, track FROM raceday_sessions WHERE event_id = ? AND state IN "
                            "('submitted', 'dnf')", [ev.id]).fetchall()
        sessions = [sid for sid, _ in driven]
        if sessions:
            _refuse_what_sessions_fix(ev, before, after, changed, len(sessions))
            _refuse_dropping_driven_tracks(ev, after["tracks"], [t for _, t in driven], len(sessions))
        if "tracks" in changed:
            _refuse_dropping_waiting_tracks(db, ev, after["tracks"])
        if "name" in changed and db.execute("SELECT 1 FROM raceday_events WHERE name = ? AND id != ?",
                                            [after["name"], ev.id]).fetchone():
            raise LeagueError(f"event name: an event named {after['name']!r} already exists")
        row = {k: json.dumps(after[k]) if k == "race_settings" else after[k] for k in changed if k != "tracks"}
        if row:
            db.conn.execute(f"UPDATE raceday_events SET {', '.join(f'{k} = ?' for k in row)} WHERE id = ?",
                            [*row.values(), ev.id])
        if "tracks" in changed:
            write_tracks(db, ev.id, after["tracks"])
        record_change(db, who, "event edit", "raceday_event", ev.id, before={k: before[k] for k in changed},
                      after={k: after[k] for k in changed}, reason=reason)
        if "average_of" in changed:  # the sessions' stored best averages were of the old N
            for session_id in sessions:
                refresh_session_results(db, session_id)
    return get_event(db, ev.id)


def _refuse_dropping_driven_tracks(ev: RaceDayEvent, tracks: tuple[str, ...], driven: list[str], n: int) -> None:
    """A track that recorded sessions ran on must stay one of the event's tracks."""
    recorded = f"{ev.name!r} has {n} recorded session{'s' if n != 1 else ''}"
    for track in dict.fromkeys(driven):
        if track not in tracks:
            if not ev.multi_track:
                raise LeagueError(f"track: cannot change: {recorded} and the laps were driven on it; "
                                  "create a new event for new rules, or add the track beside it")
            raise LeagueError(f"tracks: cannot drop {track}: {recorded} and some were driven on it")


def _refuse_dropping_waiting_tracks(db: sqlite_utils.Database, ev: RaceDayEvent, tracks: tuple[str, ...]) -> None:
    """A track a racer is queued for, or on track on, must stay (their session could not be recorded)."""
    for racer, state, track in db.execute("SELECT racer, state, COALESCE(track, ?) FROM raceday_queue WHERE "
                                          "event_id = ? AND state IN ('queued', 'running')", [ev.tracks[0], ev.id]):
        if track not in tracks:
            raise LeagueError(f"tracks: cannot drop {track}: {racer!r} is {state} for it; "
                              "remove them from the queue first")


def _refuse_what_sessions_fix(ev: RaceDayEvent, before: dict, after: dict, changed: list[str], n: int) -> None:
    recorded = f"{ev.name!r} has {n} recorded session{'s' if n != 1 else ''}"
    for key in changed:
        if key in FIXED_BY_SESSIONS:
            raise LeagueError(f"{key.replace('_', ' ')}: cannot change: {recorded} and {FIXED_BY_SESSIONS[key]}; "
                              "create a new event for new rules")
    if "first_to" in (before["ranking"], after["ranking"]) and {"ranking", "target_laps"} & set(changed):
        raise LeagueError(f"ranking: cannot change to or from first_to, or its laps: {recorded} and each ended "
                          "at the first-to lap count it had")
