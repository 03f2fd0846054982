"""Editing a league race after it was created: the same checks as creating one, audited.

:func:`update_race` takes any of ``league.race_setup.RACE_SETTINGS``, checks the race as it
would be with :func:`league.race_setup.check_race_settings` (the validator
:func:`create_race` uses) and writes the change with its audit entry (``league.audit``) in one
transaction.

Once submissions exist, what decided their laps cannot change (the track, the lap count,
trials or continuous, the off-track penalty, the race type and its collision penalty): the
laps were evaluated under them, and the message says so. The name, the season, the window,
the submission limit and the ranking (with its average's N) may change at any time; a new
ranking rescores every submission from its recorded laps in the same transaction
(``league.races.score_laps``), so the standings and points follow at once.
"""

from __future__ import annotations

import json

import sqlite_utils

from .audit import record_change
from .db import LeagueError, writing
from .race_setup import RACE_SETTINGS, Race, check_race_settings, get_race
from .races import score_laps

FIXED_BY_SUBMISSIONS = {
    "track": "they were evaluated on it", "laps": "each has that many laps", "mode": "their laps were run that way",
    "penalty_s": "it is in their lap times", "race_type": "they were evaluated among its objects",
    "race_settings": "they were evaluated among its objects", "collision_penalty_s": "it is in their lap times",
}
"""Settings the recorded submissions were evaluated under, and why they cannot change after."""


def update_race(db: sqlite_utils.Database, race: str | int | Race, who: str, *, reason: str | None = None,
                **changes) -> Race:
    """Change some of a race's settings (``name=``, ``ranking=``, ``closes_at=``, ``season=`` ...); ``who``
    is the editor (``league.audit.who_is_editing``). Returns the race as changed.

    Raises :class:`LeagueError` for an unknown or bad setting, a name in use, or a change that would
    make recorded submissions wrong (the reason is in the message).
    """
    unknown = sorted(set(changes) - set(RACE_SETTINGS))
    if unknown:
        raise LeagueError(f"race edit: no setting {', '.join(unknown)}; settings: {', '.join(RACE_SETTINGS)}")
    r = get_race(db, race)
    current = {k: getattr(r, k) for k in RACE_SETTINGS if k != "season"}
    current["season"] = r.season_id
    if "ranking" in changes and "average_of" not in changes:
        current["average_of"] = None  # a new ranking takes its own default N
    before = check_race_settings(db, {**current, "average_of": r.average_of, "ranking": r.ranking})
    after = check_race_settings(db, {**current, **changes})
    changed = [k for k in after if after[k] != before[k]]
    if not changed:
        return r
    with writing(db):
        n = db.execute("SELECT COUNT(*) FROM submissions WHERE race_id = ?", [r.id]).fetchone()[0]
        fixed = [k for k in changed if k in FIXED_BY_SUBMISSIONS]
        if n and fixed:
            raise LeagueError(f"{fixed[0].replace('_', ' ')}: cannot change: race {r.name!r} has {n} submission"
                              f"{'s' if n != 1 else ''} and {FIXED_BY_SUBMISSIONS[fixed[0]]}; create a new race")
        if "name" in changed and db.execute("SELECT 1 FROM races WHERE name = ? AND id != ?",
                                            [after["name"], r.id]).fetchone():
            raise LeagueError(f"race name: a race named {after['name']!r} already exists")
        row = {k: after[k] for k in changed}
        if "race_settings" in row:
            row["race_settings"] = json.dumps(row["race_settings"])
        db.conn.execute(f"UPDATE races SET {', '.join(f'{k} = ?' for k in row)} WHERE id = ?", [*row.values(), r.id])
        if {"ranking", "average_of"} & set(changed):
            _rescore(db, r.id, after["ranking"], after["average_of"])
        record_change(db, who, "race edit", "race", r.id, before={k: before[k] for k in changed},
                      after={k: after[k] for k in changed}, reason=reason)
    return get_race(db, r.id)


def _rescore(db: sqlite_utils.Database, race_id: int, ranking: str, average_of: int) -> None:
    """Every submission's ranking time again from its recorded laps (ms; None: a lap not completed)."""
    subs = [row[0] for row in db.execute("SELECT id FROM submissions WHERE race_id = ?", [race_id])]
    for sub in subs:
        ms = [t if done else None for t, done in db.execute(
            "SELECT time_ms, completed FROM laps WHERE submission_id = ? ORDER BY lap", [sub])]
        _, score, _, _ = score_laps(ms, ranking, average_of)
        db.conn.execute("UPDATE submissions SET score_ms = ? WHERE id = ?", [score, sub])
