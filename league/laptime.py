"""Lap-time maths shared by league races and race day: one rounding rule, one best-of-N, one ranking.

- **Milliseconds** (:func:`to_ms`): lap times are stored as integer milliseconds. A time in
  seconds is rounded *half up on its decimal value*: 14.5005 s is 14501 ms, whether it was
  timed in a league race or on race day. "Decimal value" means the shortest decimal that
  reads back as the same float (``repr``), so 14.5005 (stored in binary as
  14.500499999...) still rounds up, as a person reading the time would round it.
- **Means** (:func:`mean_ms`): the mean of whole milliseconds, rounded half up, computed
  with integers (exact, no float error).
- **Best of N consecutive laps** (:func:`best_window`, :func:`best_consecutive_ms`): the
  lowest mean over every run of ``n`` consecutive laps that all count (a lap that does not
  count, given as None, breaks the run); the earliest run wins a tie.
- **Rankings** (:class:`Ranking`): ``best_lap``, ``best_average`` (of ``average_of``
  consecutive laps) and ``total_time``, which league races and race day share, and two that
  only a timed race-day session has: ``most_laps`` and ``first_to`` (X laps). A league race
  evaluates a fixed number of laps, so "most laps" and "first to X" would rank every
  complete submission alike: races refuse them (:data:`RACE_RANKINGS`). Older words
  (``fastest``, ``average``) are accepted by :meth:`Ranking.parse` only.
- **A session's score** (:func:`session_score`): the result a race-day session ranks by,
  from its laps in order as ``(time, valid)``; a smaller :class:`Score` is better.

``total_time`` on race day is the sum of the session's **first N valid laps** (an invalid
lap is skipped, not counted). Event tools offer two "N laps" formats: RotorHazard's
"fastest N consecutive" picks the best window anywhere in the session, which is
``best_average`` (a sum of N is N x the mean: the same order), so ``total_time`` is the other
one: the first N laps that count, as a league race's total is the sum of its laps from the
start. ``first_to`` X is the session clock when the X-th valid lap landed (invalid laps'
time included: the car was driving), and the session ends there
(:class:`league.timing.SessionTimer`). ``most_laps`` ranks by valid laps, more first; equal
counts by when the last valid lap landed on the session clock, earlier first.
- **Ranks with ties** (:func:`ranks`): rank = 1 + the number of results strictly better,
  so equal times share a rank (the earlier result is listed first by the caller); a
  racer without a result ranks after everyone with one.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from typing import NamedTuple, Sequence

from sim.errors import TracksideError


class Ranking(str, Enum):
    """What a race or race-day event ranks racers by (lower time is better)."""

    BEST_LAP = "best_lap"
    """The fastest lap that counts."""
    BEST_AVERAGE = "best_average"
    """The best mean of ``average_of`` consecutive laps that all count."""
    TOTAL_TIME = "total_time"
    """League race: the sum of every lap. Race day: the sum of the first ``target_laps`` valid laps."""
    MOST_LAPS = "most_laps"
    """Race day: most valid laps in the session; a tie goes to the earlier last lap."""
    FIRST_TO = "first_to"
    """Race day: the time taken to reach ``target_laps`` valid laps; the session ends there."""

    def __str__(self) -> str:
        return self.value

    @classmethod
    def parse(cls, text: "str | Ranking", allowed: "Sequence[Ranking] | None" = None) -> "Ranking":
        """``text`` as a Ranking; the older race-day words ``fastest``/``average`` are accepted too.

        Raises :class:`RankingError` naming the allowed words.
        """
        allowed = tuple(allowed or cls)
        word = str(text.value if isinstance(text, Ranking) else text).strip().lower().replace("-", "_")
        ranking = next((r for r in cls if r.value == word), None) or OLD_WORDS.get(word)
        if ranking is None or ranking not in allowed:
            raise RankingError(f"ranking: expected one of {', '.join(r.value for r in allowed)}, got {text!r}")
        return ranking

    def describe(self, average_of: int | None = None, target_laps: int | None = None) -> str:
        """In words, for screens: ``fastest lap``, ``best average of 3 consecutive laps``, ``total time of
        the first 5 laps``, ``most laps``, ``first to 10 laps``."""
        if self is Ranking.BEST_AVERAGE:
            return f"best average of {average_of or 'N'} consecutive laps"
        if self is Ranking.TOTAL_TIME:
            return f"total time of the first {target_laps} laps" if target_laps else "total time"
        if self is Ranking.FIRST_TO:
            return f"first to {target_laps or 'X'} laps"
        return {Ranking.BEST_LAP: "fastest lap", Ranking.MOST_LAPS: "most laps"}[self]

    @property
    def needs_target(self) -> bool:
        """Whether the ranking counts a number of laps (``total_time`` on race day, ``first_to``)."""
        return self in (Ranking.TOTAL_TIME, Ranking.FIRST_TO)


class RankingError(TracksideError):
    """A ranking word that is not one of the known rankings."""


OLD_WORDS = {"fastest": Ranking.BEST_LAP, "average": Ranking.BEST_AVERAGE}
"""Race day's words before races and race day shared one vocabulary (migration raceday-002)."""
RACE_RANKINGS = (Ranking.BEST_LAP, Ranking.BEST_AVERAGE, Ranking.TOTAL_TIME)
"""What a league race ranks by: it evaluates a fixed number of laps (``most_laps``/``first_to`` need a clock)."""
RACEDAY_RANKINGS = tuple(Ranking)
"""What a race-day event ranks by: all five."""


def to_ms(seconds: float | None) -> int | None:
    """Seconds -> whole milliseconds, half up on the decimal value (14.5005 -> 14501); None stays None."""
    if seconds is None:
        return None
    return int((Decimal(repr(float(seconds))) * 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def mean_ms(ms: Sequence[int]) -> int:
    """The mean of whole milliseconds, rounded half up (exact integer arithmetic)."""
    n = len(ms)
    if n == 0:
        raise ValueError("the mean of no laps")
    return (2 * sum(ms) + n) // (2 * n)


def best_window(times: Sequence[float | None], n: int) -> int | None:
    """Start index of the ``n`` consecutive times (none of them None) with the lowest sum; the
    earliest on a tie; None when there is no such run. ``times`` in any one unit."""
    if n < 1:
        raise ValueError(f"n: expected 1 or more consecutive laps, got {n}")
    best, best_sum = None, None
    for i in range(len(times) - n + 1):
        window = times[i:i + n]
        if any(t is None for t in window):
            continue
        total = sum(window)
        if best_sum is None or total < best_sum:
            best, best_sum = i, total
    return best


def best_consecutive_ms(ms: Sequence[int | None], n: int) -> int | None:
    """Best mean of ``n`` consecutive laps, ms (half up); None marks a lap that does not count."""
    i = best_window(ms, n)
    return None if i is None else mean_ms(ms[i:i + n])


def best_lap_ms(ms: Sequence[int | None]) -> int | None:
    """The fastest lap that counts (None: does not), ms."""
    done = [t for t in ms if t is not None]
    return min(done) if done else None


def total_ms(ms: Sequence[int | None]) -> int | None:
    """Sum of all laps, ms; None unless every lap counts."""
    return sum(ms) if ms and all(t is not None for t in ms) else None


def ranking_time_ms(ms: Sequence[int | None], ranking: Ranking | str, average_of: int = 1) -> int | None:
    """The time a league race's ``ranking`` ranks by, ms, from lap times in order (None: a lap that does
    not count). Race-day sessions: :func:`session_score`."""
    ranking = Ranking.parse(ranking, RACE_RANKINGS)
    if ranking is Ranking.BEST_LAP:
        return best_lap_ms(ms)
    if ranking is Ranking.TOTAL_TIME:
        return total_ms(ms)
    return best_consecutive_ms(ms, average_of)


def ranks(times: Sequence[float | None]) -> list[int]:
    """Rank of each time (lower is better): 1 + the number strictly better; None ranks after all times."""
    timed = [t for t in times if t is not None]
    return [1 + (sum(1 for x in timed if x < t) if t is not None else len(timed)) for t in times]


class Score(NamedTuple):
    """A race-day session's result under its ranking; a smaller :attr:`key` is better."""

    time: int | float
    """The time ranked by (ms or s, as given); under ``most_laps`` when the last valid lap landed."""
    laps: int | None = None
    """Under ``most_laps``: the valid laps, which rank first (more is better); else None."""

    @property
    def key(self) -> tuple:
        return (-(self.laps or 0), self.time)


def session_score(laps: Sequence[tuple[int | float, bool]], ranking: Ranking | str, *, average_of: int = 3,
                  target_laps: int | None = None) -> Score | None:
    """The result of one race-day session under ``ranking`` from its laps in order as ``(time, valid)``
    (times in any one unit, penalties included); None when it has none (no valid lap, fewer valid laps
    than the ranking needs). The rules are in the module docstring."""
    ranking = Ranking.parse(ranking)
    counted = [t if v else None for t, v in laps]
    if ranking is Ranking.BEST_LAP:
        t = best_lap_ms(counted)
    elif ranking is Ranking.BEST_AVERAGE:
        i = best_window(counted, average_of)
        window = counted[i:i + average_of] if i is not None else None
        t = None if window is None else (mean_ms(window) if all(isinstance(x, int) for x in window)
                                         else sum(window) / average_of)
    elif ranking is Ranking.MOST_LAPS:
        return _most_laps(laps)
    else:
        t = _to_nth_valid(laps, _target(target_laps), whole_clock=ranking is Ranking.FIRST_TO)
    return None if t is None else Score(t)


def _target(target_laps: int | None) -> int:
    if not isinstance(target_laps, int) or target_laps < 1:
        raise ValueError(f"target_laps: expected a whole number >= 1, got {target_laps!r}")
    return target_laps


def _to_nth_valid(laps: Sequence[tuple[int | float, bool]], n: int, *, whole_clock: bool) -> int | float | None:
    """Sum of the first ``n`` valid laps, or (``whole_clock``) of every lap up to the ``n``-th valid one."""
    total, valid = 0, 0
    for t, v in laps:
        if v or whole_clock:
            total += t
        valid += bool(v)
        if valid == n:
            return total
    return None


def _most_laps(laps: Sequence[tuple[int | float, bool]]) -> Score | None:
    clock, last, valid = 0, None, 0
    for t, v in laps:
        clock += t
        if v:
            valid, last = valid + 1, clock
    return None if not valid else Score(last, valid)
