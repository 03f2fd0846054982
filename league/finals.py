"""Race-day finals: a knockout bracket or a ladder seeded from an event's board.

After qualifying (the event's sessions), the top N racers of the board (N = 2..32) go on to
finals, in one of two shapes (tables in :mod:`league.finals_schema`):

- ``bracket``: single elimination. The bracket has P seats, P the power of two at or above N;
  first-round heats pair seed s with seed P + 1 - s, placed in the standard order (1 v 8, 4 v 5,
  2 v 7, 3 v 6 for eight) so that seeds 1 and 2 can meet only in the final. When N is not a power
  of two the missing seeds are byes: the top P - N seeds go through to round 2 at once;
- ``ladder``: the lowest seeds race first (N-1 v N); each winner meets the next seed up, and the
  last heat is against seed 1.

A heat is two racers over the final's laps. It is decided by a simulated head-to-model race when
both racers' sessions brought models (:mod:`league.finals_run`), else by two timed results: each
racer's time for the heat's laps (taken from a race-day session or entered by the timekeeper),
the better time wins. **Ties**: equal times (or no time on either side with no winner named) go to
the higher seed (the smaller seed number), who earned that by qualifying better. A winner goes
straight into their next heat; a bye is decided when the finals are created.

Corrections: a decided heat can be recorded again. That is audited (``league.audit``) and, when
the winner changes, every later heat that depended on the old winner loses its result (and the
heats after it lose the racer it sent on): they have to be run again.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import sqlite_utils

from .audit import record_change
from .db import LeagueError, now_iso, writing
from .laptime import to_ms
from .raceday.board import event_leaderboard
from .raceday.events import RaceDayEvent, get_event

KINDS = ("bracket", "ladder")
SIZE_RANGE = (2, 32)
LAPS_RANGE = (1, 20)
RESULT_COLUMNS = ("winner", "time_a_ms", "time_b_ms", "method", "detail", "recorded")


@dataclass(frozen=True)
class Final:
    """An event's finals as stored in ``raceday_finals``."""

    id: int
    event_id: int
    kind: str
    """``bracket`` (single elimination) or ``ladder``."""
    size: int
    """Finalists, 2..32."""
    laps: int
    """Laps a heat runs."""
    created: str

    @property
    def rounds(self) -> int:
        """Rounds of heats: log2 of the bracket's seats, or N - 1 for a ladder."""
        return self.size - 1 if self.kind == "ladder" else (bracket_seats(self.size).bit_length() - 1)

    def as_dict(self) -> dict:
        return asdict(self)


# -- the shape -------------------------------------------------------------------------------------
def bracket_seats(size: int) -> int:
    """The seats of a single-elimination bracket for ``size`` finalists: the power of two >= size."""
    return 1 << max(1, (size - 1).bit_length())


def seed_order(seats: int) -> list[int]:
    """Seeds in first-round order for a bracket of ``seats`` (a power of two): consecutive pairs are
    the heats, 1 and 2 in opposite halves (``[1, 8, 4, 5, 2, 7, 3, 6]`` for 8)."""
    order = [1]
    while len(order) < seats:
        n = 2 * len(order)
        order = [s for seed in order for s in (seed, n + 1 - seed)]
    return order


def feeds(final: Final, round_: int, slot: int) -> tuple[int, int, str] | None:
    """Where the winner of heat (``round_``, ``slot``) races next: ``(round, slot, side)``; None after the final."""
    if round_ >= final.rounds:
        return None
    if final.kind == "ladder":
        return round_ + 1, 1, "b"
    return round_ + 1, (slot + 1) // 2, "a" if slot % 2 else "b"


def first_round(kind: str, size: int) -> list[tuple[int, int, int | None]]:
    """The heats that start the finals: ``(slot, seed a, seed b)`` (seed b None: a bye for seed a)."""
    if kind == "ladder":
        return [(1, size - 1, size)]
    order = seed_order(bracket_seats(size))
    return [(k + 1, a, b if b <= size else None) for k, (a, b) in enumerate(zip(order[::2], order[1::2]))]


def round_name(final: Final, round_: int) -> str:
    """``Final``, ``Semi-finals``, ``Quarter-finals``, ``Round of 16``... (a ladder: ``Heat k`` then ``Final``)."""
    left = final.rounds - round_
    if left == 0:
        return "Final"
    if final.kind == "ladder":
        return f"Heat {round_}"
    return {1: "Semi-finals", 2: "Quarter-finals"}.get(left, f"Round of {2 ** (left + 1)}")


# -- creating and reading ------------------------------------------------------------------------
def create_finals(db: sqlite_utils.Database, event: str | int | RaceDayEvent, top: int, *, ladder: bool = False,
                  laps: int = 3, replace: bool = False, who: str | None = None) -> Final:
    """Seed finals for the top ``top`` racers of ``event``'s board (racers with a time, in board order).

    A racer's car for the finals is the one of their latest counted session (a model and its
    checkpoint, or a physical car). ``replace``: discard the event's finals (and their results,
    audited) and seed new ones; without it an event with finals is refused."""
    ev = get_event(db, event)
    lo, hi = SIZE_RANGE
    if not isinstance(top, int) or not lo <= top <= hi:
        raise LeagueError(f"--top: expected {lo}..{hi} finalists, got {top!r}")
    if not isinstance(laps, int) or not LAPS_RANGE[0] <= laps <= LAPS_RANGE[1]:
        raise LeagueError(f"--laps: expected {LAPS_RANGE[0]}..{LAPS_RANGE[1]} laps a heat, got {laps!r}")
    timed = [r for r in event_leaderboard(db, ev) if r["time_s"] is not None]
    if len(timed) < top:
        raise LeagueError(f"--top {top}: only {len(timed)} racers have a time at {ev.name!r}; "
                          f"seed at most {max(len(timed), 0)} (finals need at least 2)")
    kind = "ladder" if ladder else "bracket"
    with writing(db):
        old = db.execute("SELECT id, kind, size, laps FROM raceday_finals WHERE event_id = ?", [ev.id]).fetchone()
        if old is not None and not replace:
            raise LeagueError(f"{ev.name!r} already has finals: show them, or seed new ones with --replace "
                              "(their results are discarded)")
        if old is not None:
            record_change(db, who, "finals replace", "raceday_finals", old[0],
                          before={"kind": old[1], "size": old[2], "laps": old[3]},
                          after={"kind": kind, "size": top, "laps": laps})
            db.conn.execute("DELETE FROM raceday_finals WHERE id = ?", [old[0]])
        final_id = db.conn.execute("INSERT INTO raceday_finals (event_id, kind, size, laps, created) VALUES (?, ?, ?, ?, ?)",
                                   [ev.id, kind, top, laps, now_iso()]).lastrowid
        for seed, row in enumerate(timed[:top], start=1):
            car = _finals_car(db, ev.id, row["racer"])
            db.conn.execute("INSERT INTO raceday_finalists (final_id, seed, racer, display_name, qualifying_ms, model,"
                            " checkpoint) VALUES (?, ?, ?, ?, ?, ?, ?)",
                            [final_id, seed, row["racer"], row["display_name"], to_ms(row["time_s"]), *car])
        _insert_heats(db, get_finals(db, ev))
    return get_finals(db, ev)


def _finals_car(db: sqlite_utils.Database, event_id: int, racer: str) -> tuple[str | None, str | None]:
    row = db.execute("SELECT driver, model, checkpoint FROM raceday_sessions WHERE event_id = ? AND racer = ? AND "
                     "state IN ('submitted', 'dnf') ORDER BY ended DESC, id DESC LIMIT 1", [event_id, racer]).fetchone()
    return (row[1], row[2]) if row and row[0] == "model" else (None, None)


def _insert_heats(db: sqlite_utils.Database, final: Final) -> None:
    seeds = {r["seed"]: r["racer"] for r in finalists(db, final)}
    for round_ in range(1, final.rounds + 1):
        slots = 1 if final.kind == "ladder" else bracket_seats(final.size) >> round_
        for slot in range(1, slots + 1):
            a = seeds[final.size - round_] if final.kind == "ladder" and round_ > 1 else None
            db.conn.execute("INSERT INTO raceday_heats (final_id, round, slot, racer_a) VALUES (?, ?, ?, ?)",
                            [final.id, round_, slot, a])
    for slot, a, b in first_round(final.kind, final.size):
        heat_id = db.execute("SELECT id FROM raceday_heats WHERE final_id = ? AND round = 1 AND slot = ?",
                             [final.id, slot]).fetchone()[0]
        db.conn.execute("UPDATE raceday_heats SET racer_a = ?, racer_b = ? WHERE id = ?",
                        [seeds[a], None if b is None else seeds[b], heat_id])
        if b is None:  # a bye: the seed goes through at once
            db.conn.execute("UPDATE raceday_heats SET winner = ?, method = 'bye', recorded = ? WHERE id = ?",
                            [seeds[a], now_iso(), heat_id])
            _advance(db, final, get_heat(db, heat_id), seeds[a])


def get_finals(db: sqlite_utils.Database, event: str | int | RaceDayEvent) -> Final:
    """The event's finals; LeagueError saying how to seed them when there are none."""
    ev = get_event(db, event)
    rows = list(db.query("SELECT * FROM raceday_finals WHERE event_id = ?", [ev.id]))
    if not rows:
        raise LeagueError(f"{ev.name!r} has no finals yet: seed them from its board "
                          f"(trackside raceday finals create {ev.name!r} --top 8)")
    return Final(**rows[0])


def finalists(db: sqlite_utils.Database, final: Final) -> list[dict]:
    """``seed, racer, display_name, qualifying_ms, model, checkpoint``, by seed."""
    return list(db.query("SELECT seed, racer, display_name, qualifying_ms, model, checkpoint FROM raceday_finalists "
                         "WHERE final_id = ? ORDER BY seed", [final.id]))


def get_heat(db: sqlite_utils.Database, heat_id: int, final: Final | None = None) -> dict:
    """A heat row (``detail`` as a dict); with ``final``, it must belong to it."""
    rows = list(db.query("SELECT * FROM raceday_heats WHERE id = ?", [heat_id]))
    if not rows or (final is not None and rows[0]["final_id"] != final.id):
        raise LeagueError(f"--heat: no heat {heat_id} in these finals (`finals show` lists them)")
    row = rows[0]
    row["detail"] = json.loads(row["detail"]) if row["detail"] else None
    return row


def heats(db: sqlite_utils.Database, final: Final) -> list[dict]:
    """Every heat in round and slot order, with each side's ``seed_*`` and ``name_*`` and each time in s."""
    people = {r["racer"]: r for r in finalists(db, final)}
    out = []
    for row in db.query("SELECT id FROM raceday_heats WHERE final_id = ? ORDER BY round, slot", [final.id]):
        heat = get_heat(db, row["id"])
        for side in "ab":
            who = people.get(heat[f"racer_{side}"])
            heat[f"seed_{side}"] = who["seed"] if who else None
            heat[f"name_{side}"] = who["display_name"] if who else None
            ms = heat[f"time_{side}_ms"]
            heat[f"time_{side}_s"] = None if ms is None else ms / 1000
        heat["round_name"] = round_name(final, heat["round"])
        heat["ready"] = heat["winner"] is None and heat["racer_a"] is not None and heat["racer_b"] is not None
        out.append(heat)
    return out


def next_heat(db: sqlite_utils.Database, final: Final) -> dict | None:
    """The first heat, in round and slot order, whose two racers are known and that is not decided."""
    return next((h for h in heats(db, final) if h["ready"]), None)


def champion(db: sqlite_utils.Database, final: Final) -> str | None:
    """The winner of the last heat (an alias), None while it is undecided."""
    row = db.execute("SELECT winner FROM raceday_heats WHERE final_id = ? AND round = ?",
                     [final.id, final.rounds]).fetchone()
    return row[0] if row else None


# -- results -----------------------------------------------------------------------------------
def decide(heat: dict, seeds: dict[str, int], time_a_ms: int | None, time_b_ms: int | None,
           winner: str | None = None) -> str:
    """The winner of a timed heat: the better time; equal times, or none on either side, the higher seed.
    ``winner`` (the timekeeper's word) must agree with the times when both are given."""
    a, b = heat["racer_a"], heat["racer_b"]
    if time_a_ms is None and time_b_ms is None:
        return winner or min((a, b), key=seeds.__getitem__)
    if time_a_ms is None or time_b_ms is None:
        by_time = a if time_b_ms is None else b
    elif time_a_ms == time_b_ms:
        by_time = min((a, b), key=seeds.__getitem__)
    else:
        by_time = a if time_a_ms < time_b_ms else b
    if winner is not None and winner != by_time:
        raise LeagueError(f"--winner {winner!r} disagrees with the times ({by_time!r} has the better one; "
                          "ties go to the higher seed)")
    return by_time


def record_heat(db: sqlite_utils.Database, event: str | int | RaceDayEvent, heat_id: int, *,
                winner: str | None = None, time_a_s: float | None = None, time_b_s: float | None = None,
                method: str = "timed", detail: dict | None = None, who: str | None = None,
                reason: str | None = None) -> dict:
    """Record heat ``heat_id``'s result and send the winner on; returns the heat.

    ``winner``: an alias or display name of one of the two racers (needed when neither time is
    given); ``time_*_s``: each racer's time for the heat's laps, s (None: no time, a DNF). Recording
    a decided heat again is a correction: audited, and later heats that depended on it are cleared."""
    final = get_finals(db, event)
    heat = get_heat(db, heat_id, final)
    if heat["method"] == "bye":
        raise LeagueError(f"heat {heat_id} is a bye: {heat['racer_a']!r} goes through without racing")
    if heat["racer_a"] is None or heat["racer_b"] is None:
        raise LeagueError(f"heat {heat_id} is waiting for the winner of an earlier heat; record that one first")
    ms = [None if t is None else _heat_ms(t, side) for t, side in ((time_a_s, "a"), (time_b_s, "b"))]
    if winner is None and ms == [None, None]:
        raise LeagueError("give --winner RACER, or the racers' times (--time-a S --time-b S)")
    seeds = {r["racer"]: r["seed"] for r in finalists(db, final)}
    named = None if winner is None else _which(db, final, heat, winner)
    won = decide(heat, seeds, *ms, winner=named)
    after = {"winner": won, "time_a_ms": ms[0], "time_b_ms": ms[1], "method": method,
             "detail": json.dumps(detail, sort_keys=True) if detail else None, "recorded": now_iso()}
    with writing(db):
        db.conn.execute(f"UPDATE raceday_heats SET {', '.join(f'{c} = ?' for c in RESULT_COLUMNS)} WHERE id = ?",
                        [after[c] for c in RESULT_COLUMNS] + [heat_id])
        cleared = _advance(db, final, heat, won)
        if heat["winner"] is not None:
            before = {c: heat[c] for c in RESULT_COLUMNS}
            record_change(db, who, "finals heat re-record", "raceday_heat", heat_id, before=before,
                          after={**after, "cleared_heats": cleared}, reason=reason)
    return get_heat(db, heat_id)


def _heat_ms(seconds, side: str) -> int:
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        value = -1.0
    if not 0 < value < 3600:
        raise LeagueError(f"--time-{side}: expected a heat time in seconds above 0, got {seconds!r}")
    return to_ms(value)


def _which(db: sqlite_utils.Database, final: Final, heat: dict, name: str) -> str:
    """The heat's racer an alias or display name (any case) names."""
    people = {r["racer"]: r["display_name"] for r in finalists(db, final)}
    wanted = name.strip().casefold()
    for racer in (heat["racer_a"], heat["racer_b"]):
        if wanted in (racer.casefold(), people[racer].casefold()):
            return racer
    raise LeagueError(f"--winner: {name!r} is not in heat {heat['id']} ({heat['racer_a']} v {heat['racer_b']})")


def _advance(db: sqlite_utils.Database, final: Final, heat: dict, winner: str | None) -> list[int]:
    """Put ``winner`` into the heat it races next; a decided heat whose racer changes loses its result,
    and so on down the line. Returns the ids of the heats whose results were cleared."""
    cleared, target = [], feeds(final, heat["round"], heat["slot"])
    while target is not None:
        round_, slot, side = target
        nxt = get_heat(db, db.execute("SELECT id FROM raceday_heats WHERE final_id = ? AND round = ? AND slot = ?",
                                      [final.id, round_, slot]).fetchone()[0])
        if nxt[f"racer_{side}"] == winner:
            break
        decided = nxt["winner"] is not None
        if decided:  # its result stood on the old racer: cleared first (a winner must be one of the two)
            db.conn.execute(f"UPDATE raceday_heats SET {', '.join(f'{c} = NULL' for c in RESULT_COLUMNS)} "
                            "WHERE id = ?", [nxt["id"]])
            cleared.append(nxt["id"])
        db.conn.execute(f"UPDATE raceday_heats SET racer_{side} = ? WHERE id = ?", [winner, nxt["id"]])
        if not decided:
            break
        winner, target = None, feeds(final, round_, slot)
    return cleared


def bracket(db: sqlite_utils.Database, event: str | int | RaceDayEvent) -> dict:
    """The finals as plain data for views and exports: ``event, kind, size, laps, champion`` (alias),
    ``champion_name``, ``finalists`` and ``rounds`` (``[{"round", "name", "heats": [...]}]``)."""
    ev = get_event(db, event)
    final = get_finals(db, ev)
    all_heats = heats(db, final)
    people = {r["racer"]: r["display_name"] for r in finalists(db, final)}
    won = champion(db, final)
    rounds = [{"round": r, "name": round_name(final, r), "heats": [h for h in all_heats if h["round"] == r]}
              for r in range(1, final.rounds + 1)]
    return {"event": ev.name, "track": ev.track, "kind": final.kind, "size": final.size, "laps": final.laps,
            "champion": won, "champion_name": people.get(won), "finalists": finalists(db, final), "rounds": rounds}
