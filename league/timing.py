"""The race-day timing state machine: one session of one racer, simulated or timed by hand.

It never reads a clock. Every action takes ``now``, the caller's monotonic time in
seconds (the desktop app passes ``time.monotonic()``, a simulated session its
simulated time, tests any numbers they like), so the same timer serves a car in the
simulator, a physical car timed with the space bar, and a test with fake times.

States::

    ready --start--> running <--pause/resume--> paused
    running --clock reaches length_s--> last_lap <--pause/resume--> paused
    last_lap --capture_lap (the next finish)--> ended          (undo_false_finish reopens last_lap)
    running | last_lap --capture_lap (the target_laps-th valid lap, first_to)--> ended
                                    (undo_false_finish, or that lap marked invalid, reopens it)
    running | paused | last_lap --end--> ended                 (the lap in progress is dropped)
    ready | running | paused | last_lap --dnf--> dnf
    ended | dnf --submit--> submitted;  any state but submitted --discard--> discarded

Times are session-clock seconds: time spent paused counts neither in the session
clock nor in the running lap. The clock starts at ``start``, and so does lap 1 (the
car leaves the line when the timekeeper starts the session). When the clock runs out
the lap in progress still counts (DeepRacer's race-day rule), so the session ends at
the next finish, not at zero. Under ``first_to`` (X laps) the session also ends at
the finish of the X-th valid lap: the racer has done what the format asks.

Validity: a lap is valid when its resets do not exceed ``resets_per_lap_limit``
(None: no limit), unless the timekeeper overrode it with :meth:`SessionTimer.set_valid`
or :meth:`SessionTimer.flip_valid`; the override stays until changed again.

A refused action raises :class:`TimingError` with a reason a timekeeper can read
(:class:`DoubleTrigger` for a lap key pressed twice inside ``min_lap_s``); the refusal
is also written to the event log. Nothing already recorded changes on a refusal.
"""

from __future__ import annotations

import math

from sim.errors import TracksideError

from .laptime import RACEDAY_RANKINGS, Ranking, RankingError, best_window, session_score
from .timer_records import Lap, TimerEvent

READY, RUNNING, PAUSED, LAST_LAP, ENDED, DNF, SUBMITTED, DISCARDED = (
    "ready", "running", "paused", "last_lap", "ended", "dnf", "submitted", "discarded")
STATES = (READY, RUNNING, PAUSED, LAST_LAP, ENDED, DNF, SUBMITTED, DISCARDED)
LIVE = (RUNNING, PAUSED, LAST_LAP)
"""States in which the car is on track and the session can still change."""


class TimingError(TracksideError):
    """A timekeeper action that was refused; the message says why."""


class DoubleTrigger(TimingError):
    """A lap captured inside the minimum lap time after the previous one: ignored."""


class SessionTimer:
    """Timing for one racer's session; see the module docstring for the rules.

    Args:
        length_s: session length on the clock, s (race day default 4:00).
        resets_per_lap_limit: most resets a valid lap may have; None: no limit.
        min_lap_s: a capture sooner than this after the lap started is a double trigger, s.
        ranking: ``best_lap`` (best valid lap), ``best_average`` (best mean of ``average_of``
            consecutive valid laps), ``total_time`` (of the first ``target_laps`` valid laps),
            ``most_laps`` or ``first_to`` (``target_laps`` valid laps: the session ends there);
            decides :meth:`result_s` (``league.laptime.session_score``).
        average_of: laps in the average, at least 2.
        target_laps: the N of ``total_time`` and the X of ``first_to``, at least 1; unused otherwise.
    """

    def __init__(self, length_s: float = 240.0, resets_per_lap_limit: int | None = None, min_lap_s: float = 1.0,
                 ranking: str | Ranking = Ranking.BEST_LAP, average_of: int = 3, target_laps: int | None = None):
        if not (isinstance(length_s, (int, float)) and math.isfinite(length_s) and length_s > 0):
            raise ValueError(f"length_s: expected a positive number of seconds, got {length_s!r}")
        if resets_per_lap_limit is not None and (not isinstance(resets_per_lap_limit, int) or resets_per_lap_limit < 0):
            raise ValueError(f"resets_per_lap_limit: expected a whole number >= 0 or None, got {resets_per_lap_limit!r}")
        if not (isinstance(min_lap_s, (int, float)) and 0 <= min_lap_s < length_s):
            raise ValueError(f"min_lap_s: expected 0 <= seconds < the session length, got {min_lap_s!r}")
        try:
            ranking = Ranking.parse(ranking, RACEDAY_RANKINGS)
        except RankingError as exc:
            raise ValueError(str(exc)) from None
        if not isinstance(average_of, int) or average_of < 2:
            raise ValueError(f"average_of: expected a whole number >= 2, got {average_of!r}")
        if ranking.needs_target and (not isinstance(target_laps, int) or target_laps < 1):
            raise ValueError(f"target_laps: {ranking.value} needs a whole number of laps >= 1, got {target_laps!r}")
        self.length_s = float(length_s)
        self.resets_per_lap_limit = resets_per_lap_limit
        self.min_lap_s = float(min_lap_s)
        self.ranking = ranking
        self.average_of = average_of
        self.target_laps = target_laps if ranking.needs_target else None
        self.state = READY
        self.laps: list[Lap] = []
        self.events: list[TimerEvent] = []
        self.running_resets = 0
        """Resets on the lap in progress."""
        self.running_collisions = 0
        """Of ``running_resets``, the collisions with an object."""
        self.end_reason: str | None = None
        """How the session ended: ``finish`` (next finish after time up), ``first_to`` (the X-th valid lap),
        ``ended`` (timekeeper), ``dnf``."""
        self.seed: int | None = None
        """The noise seed of a simulated session (``league.raceday.simulated``), recorded with it; None for a car."""
        self._banked_s = 0.0        # session clock accumulated up to the last start/resume, s
        self._since: float | None = None   # caller's now at the last start/resume while the clock runs
        self._lap_start_s = 0.0     # session clock at the start of the lap in progress, s
        self._last_now: float | None = None
        self._ended_at: float | None = None  # caller's now when a finish ended the session

    # -- the clock --------------------------------------------------------------------------
    def clock_s(self, now: float) -> float:
        """Session clock at ``now``, s: running time since start, pauses excluded."""
        if self._since is None:
            return self._banked_s
        return self._banked_s + max(0.0, now - self._since)

    def time_left(self, now: float) -> float:
        """Seconds left on the session clock (0 once the clock has run out)."""
        return max(0.0, self.length_s - self.clock_s(now))

    def running_lap_time(self, now: float) -> float | None:
        """Time into the lap in progress, s; None when no lap is in progress."""
        if self.state not in LIVE:
            return None
        return max(0.0, self.clock_s(now) - self._lap_start_s)

    def tick(self, now: float) -> str:
        """Bring the state up to ``now`` (the clock running out) and return it.

        Every action calls it first; a display calls it on its refresh timer.
        """
        if self._last_now is not None and now < self._last_now - 1e-9:
            raise TimingError(f"time went backwards ({now} after {self._last_now}): pass a monotonic clock")
        self._last_now = now
        if self.state == RUNNING and self.clock_s(now) >= self.length_s:
            self.state = LAST_LAP
            self._log(now, "time_up", "time is up: the lap in progress still counts")
        return self.state

    # -- actions ------------------------------------------------------------------------------
    def start(self, now: float) -> None:
        """Start the clock and lap 1."""
        self._require(now, "start", READY)
        self._since = now
        self.state = RUNNING
        self._log(now, "start")

    def pause(self, now: float) -> None:
        """Stop the clock; the running lap stops with it."""
        self._require(now, "pause", RUNNING, LAST_LAP)
        self._banked_s = self.clock_s(now)
        self._since = None
        self.state = PAUSED
        self._log(now, "pause")

    def resume(self, now: float) -> None:
        """Restart the clock after a pause."""
        self._require(now, "resume", PAUSED)
        self._since = now
        self.state = RUNNING if self._banked_s < self.length_s else LAST_LAP
        self._log(now, "resume")

    def capture_lap(self, now: float) -> Lap:
        """The car crossed the finish line: record the lap in progress and start the next.

        After time is up this capture is the finish that ends the session. Raises
        :class:`DoubleTrigger` when the lap would be shorter than ``min_lap_s``.
        """
        self._require(now, "capture_lap", RUNNING, LAST_LAP)
        clock = self.clock_s(now)
        lap_time = clock - self._lap_start_s
        if lap_time < self.min_lap_s:
            since = "the last one" if self.laps else "the start"
            self._refuse(now, "capture_lap", f"lap captured {lap_time:.1f} s after {since}: ignored as a double "
                                             f"trigger (minimum {self.min_lap_s:.1f} s)", DoubleTrigger)
        limit = self.resets_per_lap_limit
        auto = (f"{self.running_resets} resets (limit {limit})"
                if limit is not None and self.running_resets > limit else None)
        lap = Lap(len(self.laps) + 1, lap_time, self.running_resets, self._lap_start_s, auto,
                  collisions=self.running_collisions)
        self.laps.append(lap)
        self._lap_start_s = clock
        self.running_resets = self.running_collisions = 0
        self._log(now, "lap", f"lap {lap.number}: {lap_time:.3f} s, {lap.resets} resets"
                  + ("" if lap.valid else f", invalid ({auto})"))
        if self._reached_target():
            self._finish(now, "first_to")
        elif self.state == LAST_LAP:
            self._finish(now, "finish")
        return lap

    def add_reset(self, now: float) -> int:
        """Count a reset (the car put back on the road) on the lap in progress; returns its resets."""
        self._require(now, "add_reset", *LIVE)
        self.running_resets += 1
        self._log(now, "reset", f"{self.running_resets} on the running lap")
        return self.running_resets

    def add_collision(self, now: float) -> int:
        """Count a collision with an object on the lap in progress: a reset, as DeepRacer counts a crash
        (simapp ``rollout_agent_ctrl.py`` ``_check_for_phase_change``: one reset count for crashes and
        off-tracks). Returns the lap's resets."""
        resets = self.add_reset(now)
        self.running_collisions += 1
        self._log(now, "collision", f"{self.running_collisions} on the running lap (counted as a reset)")
        return resets

    def undo_reset(self, now: float) -> int:
        """Take back the last reset counted on the lap in progress; returns its resets."""
        self._require(now, "undo_reset", *LIVE)
        if self.running_resets == 0:
            self._refuse(now, "undo_reset", "no reset to undo on the running lap")
        self.running_resets -= 1
        self.running_collisions = min(self.running_collisions, self.running_resets)
        self._log(now, "undo_reset", f"{self.running_resets} on the running lap")
        return self.running_resets

    def undo_false_finish(self, now: float) -> Lap:
        """Remove the last captured lap: it was not a finish. Returns the removed lap.

        Its time goes back into the running lap (the running lap now started where the
        removed one did) and so do its resets. When that capture had ended the session
        after time was up, the session reopens in ``last_lap`` with the clock as if it
        had never stopped.
        """
        reopen = self.state == ENDED and self.end_reason in ("finish", "first_to")
        if not reopen:
            self._require(now, "undo_false_finish", *LIVE)
        else:
            self.tick(now)
        if not self.laps:
            self._refuse(now, "undo_false_finish", "no lap to undo")
        lap = self.laps.pop()
        self._lap_start_s = lap.start_s
        self.running_resets += lap.resets
        self.running_collisions += lap.collisions
        if reopen:
            self._reopen()
        self._log(now, "undo_false_finish", f"lap {lap.number} ({lap.time_s:.3f} s) removed")
        return lap

    def set_valid(self, lap_no: int, valid: bool | None) -> Lap:
        """The timekeeper's verdict on lap ``lap_no`` (None: back to the rules' verdict).

        Under ``first_to``: a session that ended at its X-th valid lap reopens when a lap is
        marked invalid (the racer has fewer than X again: the car drives on), and a live
        session ends when a lap marked valid makes X."""
        lap = self._lap(lap_no, "set_valid")
        auto = lap.auto_invalid is None
        lap.override = None if valid is None or bool(valid) == auto else bool(valid)
        now = self._last_now or 0.0
        self._log(now, "valid" if lap.valid else "invalid",
                  f"lap {lap.number}" + (" (timekeeper)" if lap.override is not None else ""))
        if self.state == ENDED and self.end_reason == "first_to" and not self._reached_target():
            self._reopen()
            self._log(now, "reopen", f"fewer than {self.target_laps} valid laps again: the session goes on")
        elif self.state in LIVE and self._reached_target():
            self._finish(now, "first_to")
        return lap

    def flip_valid(self, lap_no: int | None = None) -> Lap:
        """Flip lap ``lap_no``'s validity (default: the last captured lap)."""
        if lap_no is None:
            if not self.laps:
                self._refuse(self._last_now or 0.0, "flip_valid", "no lap to mark")
            lap_no = self.laps[-1].number
        return self.set_valid(lap_no, not self._lap(lap_no, "flip_valid").valid)

    def end(self, now: float) -> None:
        """The timekeeper ends the session; the lap in progress is not a lap."""
        self._require(now, "end", *LIVE)
        self._finish(now, "ended")

    def dnf(self, now: float) -> None:
        """Did not finish: the racer retires. Laps already captured are kept."""
        self._require(now, "dnf", READY, *LIVE)
        self._finish(now, "dnf")
        self.state = DNF

    def submit(self) -> None:
        """Mark the ended session as recorded (the league layer writes it; see ``league.raceday``)."""
        if self.state not in (ENDED, DNF):
            self._refuse(self._last_now or 0.0, "submit", f"only an ended session can be submitted (it is {self.state})")
        self.state = SUBMITTED
        self._log(self._last_now or 0.0, "submit")

    def discard(self) -> None:
        """Throw the session away (a false start, the wrong racer): it will not count."""
        if self.state in (SUBMITTED, DISCARDED):
            self._refuse(self._last_now or 0.0, "discard", f"the session is already {self.state}")
        if self._since is not None and self._last_now is not None:
            self._banked_s = self.clock_s(self._last_now)
        self._since = None
        self.state = DISCARDED
        self._log(self._last_now or 0.0, "discard")

    # -- results --------------------------------------------------------------------------------
    def valid_laps(self) -> list[Lap]:
        return [lap for lap in self.laps if lap.valid]

    def best_lap(self) -> Lap | None:
        """The fastest valid lap (the earlier one on a tie), or None."""
        valid = self.valid_laps()
        return min(valid, key=lambda lap: (lap.time_s, lap.number)) if valid else None

    def best_average(self, n: int | None = None) -> tuple[float, list[Lap]] | None:
        """Best mean time of ``n`` (default ``average_of``) consecutive laps that are all valid, s."""
        n = n or self.average_of
        i = best_window([lap.time_s if lap.valid else None for lap in self.laps], n)
        if i is None:
            return None
        window = self.laps[i:i + n]
        return sum(lap.time_s for lap in window) / n, window

    def result_s(self) -> float | None:
        """The session's result under its ranking, s; None without one. Under ``most_laps`` the
        session clock when the last valid lap landed (the tie-break; the valid laps rank first)."""
        score = session_score([(lap.time_s, lap.valid) for lap in self.laps], self.ranking,
                              average_of=self.average_of, target_laps=self.target_laps)
        return None if score is None else score.time

    def snapshot(self, now: float) -> dict:
        """Everything a console or projector shows at ``now``, as plain data.

        It reads without changing anything (no :meth:`tick`), so a display may ask for a
        moment a little behind the timer's latest action.
        """
        best = self.best_lap()
        avg = self.best_average()
        return {
            "state": self.state, "clock_s": self.clock_s(now), "time_left_s": self.time_left(now),
            "running_lap_s": self.running_lap_time(now), "running_resets": self.running_resets,
            "running_collisions": self.running_collisions,
            "laps": [lap.as_dict() for lap in self.laps], "best_lap_s": best.time_s if best else None,
            "best_average_s": avg[0] if avg else None, "result_s": self.result_s(), "end_reason": self.end_reason,
            "valid_laps": len(self.valid_laps()), "target_laps": self.target_laps,
        }

    # -- internals ------------------------------------------------------------------------------
    def _reached_target(self) -> bool:
        return self.ranking is Ranking.FIRST_TO and len(self.valid_laps()) >= self.target_laps

    def _reopen(self) -> None:
        # The car kept driving while the session looked over: count that time.
        self._since = self._ended_at
        self.state = LAST_LAP if self._banked_s >= self.length_s else RUNNING
        self.end_reason = None

    def _finish(self, now: float, reason: str) -> None:
        self._banked_s = self.clock_s(now)
        self._since = None
        self._ended_at = now
        self.state = ENDED
        self.end_reason = reason
        self._log(now, reason)

    def _require(self, now: float, action: str, *allowed: str) -> None:
        self.tick(now)
        if self.state in allowed:
            return
        why = {READY: "the session has not started", PAUSED: "the session is paused",
               ENDED: (f"the racer has {self.target_laps} valid laps: the session is over (first to "
                       f"{self.target_laps})" if self.end_reason == "first_to" else "the session has ended"),
               DNF: "the session ended as a DNF",
               SUBMITTED: "the session is already submitted", DISCARDED: "the session was discarded",
               RUNNING: "the session is already running", LAST_LAP: "time is up and the last lap is running"}[self.state]
        self._refuse(now, action, why)

    def _refuse(self, now: float, action: str, reason: str, kind: type[TimingError] = TimingError):
        self._log(now, "refused", f"{action}: {reason}")
        raise kind(reason)

    def _lap(self, lap_no: int, action: str) -> Lap:
        if self.state in (SUBMITTED, DISCARDED):
            self._refuse(self._last_now or 0.0, action, f"the session is already {self.state}")
        for lap in self.laps:
            if lap.number == lap_no:
                return lap
        self._refuse(self._last_now or 0.0, action, f"no lap {lap_no} (laps: {len(self.laps)})")

    def _log(self, now: float, action: str, detail: str = "") -> None:
        clock = self.length_s if action == "time_up" else self.clock_s(now)
        self.events.append(TimerEvent(float(now), float(clock), action, detail))
