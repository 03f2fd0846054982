"""One racer's session on the race-day console: timed by hand, or driven by a model in the simulator.

Both kinds wrap a :class:`league.timing.SessionTimer` and offer the console the same
three things: :meth:`ConsoleSession.snapshot` (what to show now), :meth:`ConsoleSession.act`
(a timekeeper action, returning what happened in words or raising ``TimingError`` with
the reason it was refused), and ``changed`` (something recorded changed).

- :class:`HandTimedSession`: a physical car. The timer is driven with the page's clock
  (``time.monotonic`` in the app, a controllable one in tests); a display that calls
  :meth:`snapshot` also moves the timer on (the clock running out). A lap sensor may drive it
  too (:meth:`HandTimedSession.crossing`, via ``gui.timer_link``): the first crossing starts the
  clock, each next one is a lap, and the keys still undo and correct. Once a sensor sends its own
  timestamps the display moves the timer only up to :data:`SENSOR_GRACE_S` behind now, so a
  crossing that arrives that late still counts at the moment the sensor saw it.
- :class:`SimulatedSession`: ``league.raceday.simulated.run_simulated_session`` on a worker
  thread; its ``on_update`` states cross to the GUI thread as a queued signal and the
  finished timer comes back the same way. The simulator times the laps, so the lap and
  reset keys are refused; the timekeeper can end it early and, once it is over, mark laps.
"""

from __future__ import annotations

import math
import time

from PySide6.QtCore import QObject, QThread, Signal

from league.db import now_iso
from league.exports import format_time
from league.timer_input import Crossing, SensorClock, TimerOutcome, apply_event
from league.timing import DNF, ENDED, LIVE, PAUSED, READY, TimingError
from sim.errors import TracksideError

SENSOR_GRACE_S = 0.5
"""How late a timestamped sensor crossing may arrive and still count at its own time, s."""


class ConsoleSession(QObject):
    """The common part; see the module docstring."""

    changed = Signal()
    """Something recorded changed: a lap, a reset, the state."""
    simulated = False

    def __init__(self, event, entry: dict, parent: QObject | None = None):
        super().__init__(parent)
        self.race_event, self.entry = event, entry
        """The ``league.raceday.RaceDayEvent`` (``self.event`` is ``QObject.event``)."""
        self.racer: str = entry["racer"]
        self.name: str = entry["display_name"]
        self.started: str | None = None
        """When the clock started, ISO 8601 UTC."""
        self.timer = None
        self.begin = None
        """``() -> league.raceday.ActiveSession``: the page's ``start_session`` (entry -> running);
        called before the clock or the car starts, so a refusal leaves everything as it was."""
        self.active = None
        """The ``league.raceday.ActiveSession`` once started: what submit and discard record."""

    @property
    def state(self) -> str:
        return self.timer.state if self.timer is not None else READY

    @property
    def over(self) -> bool:
        """Ended or DNF: ready to be submitted or discarded."""
        return self.state in (ENDED, DNF)

    @property
    def live(self) -> bool:
        return self.state in LIVE

    def describe(self) -> str:
        if self.entry["driver"] == "car":
            return "physical car, timed by hand"
        return f"model {self.entry['model']}" + (f" ({self.entry['checkpoint']})" if self.entry["checkpoint"] else "")

    def snapshot(self) -> dict:
        raise NotImplementedError

    def act(self, action: str, lap_no: int | None = None) -> str:
        raise NotImplementedError

    def stop(self) -> None:
        """Let go of any thread (the app is closing)."""

    def _begin(self) -> None:
        self.active = self.begin() if self.begin is not None else None
        self.started = self.active.started if self.active is not None else now_iso()

    def _flip(self, lap_no: int | None) -> str:
        lap = self.timer.flip_valid(lap_no)
        self.changed.emit()
        why = "" if lap.valid else (f" ({lap.auto_invalid})" if lap.auto_invalid and lap.override is None else "")
        return f"Lap {lap.number} is now {'valid' if lap.valid else 'invalid'}{why}"


class HandTimedSession(ConsoleSession):
    """A physical car timed with the keyboard, and with a lap sensor if one is connected."""

    sensed = Signal(str, str, str)
    """A sensor crossing was applied or refused: ``(ok|refused, what happened in words, start|lap|"")``."""

    def __init__(self, event, entry: dict, clock=time.monotonic, parent: QObject | None = None):
        super().__init__(event, entry, parent)
        self.clock = clock
        self.timer = event.new_timer()
        self.sensor_clock = SensorClock()
        self.shown_at = -math.inf
        """The latest time handed to the timer (its clock cannot go back), s."""

    def snapshot(self) -> dict:
        now = self.clock()
        behind = now - (SENSOR_GRACE_S if self.sensor_clock.learned else 0.0)
        if behind >= self.shown_at:
            self.shown_at = behind
            self.timer.tick(behind)
        return self.timer.snapshot(now)

    def describe(self) -> str:
        from gui.timer_link import timer_link

        sensor = timer_link().describe()
        return super().describe() + (f"  \u00b7  {sensor}" if sensor else "")

    def crossing(self, crossing: Crossing) -> TimerOutcome:
        """A lap sensor saw the car cross the line: start the clock (the first) or capture a lap."""
        now = self.clock()
        if self.timer.state == READY:
            try:
                self._begin()  # the league puts the racer on track, as the Space key does
            except TracksideError as exc:
                outcome = TimerOutcome("refused", now, reason=str(exc))
                self.sensed.emit("refused", outcome.text(), "")
                return outcome
        outcome = apply_event(self.timer, crossing, now, self.sensor_clock, not_before=self.shown_at)
        self.shown_at = max(self.shown_at, outcome.at)
        if outcome.ok:
            self.changed.emit()
        self.sensed.emit("ok" if outcome.ok else "refused", outcome.text(), outcome.action if outcome.ok else "")
        return outcome

    def act(self, action: str, lap_no: int | None = None) -> str:
        t, now = self.timer, max(self.clock(), self.shown_at)
        self.shown_at = now
        if action == "start":
            if t.state != READY:
                t.start(now)  # refused, with the reason
            self._begin()
            t.start(now)
            text = "Clock started: lap 1 is running"
        elif action == "lap":
            lap = t.capture_lap(now)
            text = f"Lap {lap.number}: {format_time(lap.time_s)} s"
            text += "" if lap.valid else f", invalid ({lap.auto_invalid})"
            if t.state == ENDED:
                text += ". That was the finish after time ran out: the session is over"
        elif action == "reset":
            k = t.add_reset(now)
            limit = t.resets_per_lap_limit
            text = f"Reset {k} on lap {len(t.laps) + 1}" + (f": over the limit of {limit}, the lap will be invalid"
                                                            if limit is not None and k > limit else "")
        elif action == "undo_reset":
            text = f"Reset undone: {t.undo_reset(now)} on the running lap"
        elif action == "undo_finish":
            lap = t.undo_false_finish(now)
            text = (f"Lap {lap.number} ({format_time(lap.time_s)} s) was a false finish: its time runs on in "
                    f"lap {lap.number}")
        elif action == "flip":
            return self._flip(lap_no)
        elif action == "pause":
            if t.state == PAUSED:
                t.resume(now)
                text = "Resumed: the clock runs again"
            else:
                t.pause(now)
                text = "Paused: the clock and the running lap are stopped (P resumes)"
        elif action == "end":
            t.end(now)
            text = "Session ended by the timekeeper: the lap in progress does not count"
        elif action == "dnf":
            t.dnf(now)
            text = "Did not finish: the laps already captured are kept"
        else:
            raise TimingError(f"unknown action {action!r}")
        self.changed.emit()
        return text


class _SimWorker(QThread):
    update = Signal(dict)
    done = Signal(object)
    failed = Signal(str)

    def __init__(self, event, racer: str, model, checkpoint, speed: float):
        super().__init__()
        self.args = (event, racer, model, checkpoint)
        self.speed = speed
        self.stop_requested = False

    def run(self) -> None:
        from league.raceday.simulated import run_simulated_session

        try:
            timer = run_simulated_session(*self.args, speed=self.speed, on_update=self.update.emit,
                                          should_stop=lambda: self.stop_requested)
        except Exception as exc:  # shown on the console in plain words
            self.failed.emit(str(exc) or type(exc).__name__)
            return
        self.done.emit(timer)


class SimulatedSession(ConsoleSession):
    """A model driving the event's track on a worker thread, at ``speed`` times real time (0: instant)."""

    simulated = True
    failed = Signal(str)

    def __init__(self, event, entry: dict, model, speed: float = 1.0, parent: QObject | None = None):
        super().__init__(event, entry, parent)
        self.model, self.speed = model, speed
        self.latest: dict | None = None
        """The newest state the simulator reported."""
        self.error: str | None = None
        self.worker: _SimWorker | None = None
        self._ready = event.new_timer().snapshot(0.0)

    @property
    def state(self) -> str:
        if self.timer is not None:
            return self.timer.state
        if self.error:
            return "failed"
        return self.latest["state"] if self.latest else ("running" if self.worker else READY)

    def snapshot(self) -> dict:
        if self.timer is not None:  # over: the timer itself, so marking a lap shows at once
            snap = self.timer.snapshot(0.0)
            snap["car"] = (self.latest or {}).get("car")
            snap["objects"] = (self.latest or {}).get("objects", [])
            return snap
        if self.latest:
            return dict(self.latest)
        return {**self._ready, "state": "running" if self.worker else READY}

    def act(self, action: str, lap_no: int | None = None) -> str:
        if action == "start":
            if self.worker is not None:
                raise TimingError("the simulated session is already running")
            self._begin()
            self.worker = _SimWorker(self.race_event, self.racer, self.model, self.entry["checkpoint"], self.speed)
            self.worker.update.connect(self._on_update)
            self.worker.done.connect(self._on_done)
            self.worker.failed.connect(self._on_failed)
            self.worker.start()
            pace = "as fast as the computer goes" if not self.speed else f"at {self.speed:g}\u00d7 real time"
            return f"{self.name}'s model is on track, {pace}"
        if action == "end" and self.worker is not None and self.timer is None:
            self.worker.stop_requested = True
            return "Stopping the car: the lap in progress does not count"
        if action == "flip":
            if self.timer is None:
                raise TimingError("the simulator times this session: mark laps once it is over")
            return self._flip(lap_no)
        if self.timer is not None or self.error:
            raise TimingError("the session is over: submit or discard it")
        raise TimingError("the simulator times this session: the lap, reset and pause keys are for cars timed "
                          "by hand (Esc ends it early)")

    def _on_update(self, state: dict) -> None:
        laps = len(self.latest["laps"]) if self.latest else 0
        self.latest = state
        if state["event"] in ("lap", "reset", "collision", "end") or len(state["laps"]) != laps:
            self.changed.emit()

    def _on_done(self, timer) -> None:
        self.timer = timer
        self.changed.emit()

    def _on_failed(self, message: str) -> None:
        self.error = message
        self.failed.emit(message)
        self.changed.emit()

    def finished(self) -> bool:
        """The worker has reported (the session is over or failed)."""
        return self.timer is not None or self.error is not None

    def stop(self) -> None:
        if self.worker is not None and self.worker.isRunning():
            self.worker.stop_requested = True
            self.worker.wait(10_000)


def console_session(db, event, entry: dict, store, clock, speed: float,
                    parent: QObject | None = None) -> ConsoleSession:
    """The console's session for queue ``entry``: hand-timed for a car (on ``clock``), else the
    entry's model (looked up in ``store``; its refusal raises) at ``speed`` x real time. Its start
    goes through ``league.raceday.start_session``, as ``trackside raceday run``'s does."""
    from league.raceday import start_session

    if entry["driver"] == "car":
        session = HandTimedSession(event, entry, clock, parent=parent)
    else:
        session = SimulatedSession(event, entry, store.get(entry["model"]), speed, parent=parent)
    session.begin = lambda: start_session(db, event, entry_id=entry["id"])
    return session
