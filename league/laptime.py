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
  consecutive laps) and ``total_time``; race day offers the first two. Older words
  (``fastest``, ``average``) are accepted by :meth:`Ranking.parse` only.
- **Ranks with ties** (:func:`ranks`): rank = 1 + the number of results strictly better,
  so equal times share a rank (the earlier result is listed first by the caller); a
  racer without a result ranks after everyone with one.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from typing import Sequence

from sim.errors import TracksideError


class Ranking(str, Enum):
    """What a race or race-day event ranks racers by (lower time is better)."""

    BEST_LAP = "best_lap"
    """The fastest lap that counts."""
    BEST_AVERAGE = "best_average"
    """The best mean of ``average_of`` consecutive laps that all count."""
    TOTAL_TIME = "total_time"
    """The sum of every lap (league races only: a race day session has no fixed lap count)."""

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

    def describe(self, average_of: int | None = None) -> str:
        """In words, for screens: ``fastest lap``, ``best average of 3 consecutive laps``, ``total time``."""
        if self is Ranking.BEST_AVERAGE:
            return f"best average of {average_of or 'N'} consecutive laps"
        return {Ranking.BEST_LAP: "fastest lap", Ranking.TOTAL_TIME: "total time"}[self]


class RankingError(TracksideError):
    """A ranking word that is not one of the known rankings."""


OLD_WORDS = {"fastest": Ranking.BEST_LAP, "average": Ranking.BEST_AVERAGE}
"""Race day's words before races and race day shared one vocabulary (migration raceday-002)."""
RACE_RANKINGS = (Ranking.BEST_LAP, Ranking.BEST_AVERAGE, Ranking.TOTAL_TIME)
RACEDAY_RANKINGS = (Ranking.BEST_LAP, Ranking.BEST_AVERAGE)


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
    """The time ``ranking`` ranks by, ms, from lap times in order (None: a lap that does not count)."""
    ranking = Ranking.parse(ranking)
    if ranking is Ranking.BEST_LAP:
        return best_lap_ms(ms)
    if ranking is Ranking.TOTAL_TIME:
        return total_ms(ms)
    return best_consecutive_ms(ms, average_of)


def ranks(times: Sequence[float | None]) -> list[int]:
    """Rank of each time (lower is better): 1 + the number strictly better; None ranks after all times."""
    timed = [t for t in times if t is not None]
    return [1 + (sum(1 for x in timed if x < t) if t is not None else len(timed)) for t in times]
