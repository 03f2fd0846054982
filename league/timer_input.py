"""Automatic lap timing: start/finish-line crossings from a sensor, turned into session-timer calls.

A lap sensor reports *crossings*: the car passed the line. This module reads them (over the
network or a serial port), maps the sensor's timestamps onto the caller's clock
(:class:`SensorClock`) and hands each to a :class:`league.timing.SessionTimer`
(:func:`apply_event`): the first crossing of a session that has not started starts it (lap 1 runs
from there), every later one captures a lap with the timer's own double-trigger guard
(``min_lap_s``). The keyboard works alongside: the timekeeper can still undo a false finish, count
resets and mark laps; a sensor never does more than a Space key press would.

Wire formats, one crossing each:

- Network (JSON, ``POST /api/timer/<event>`` with the event's token):

  - DREM's Raspberry Pi timer (``leaderboard-timer/timer.js`` of AWS's DeepRacer Event Manager)
    broadcasts ``{"event": "lap", "timestamp": <ms since the Unix epoch>, "gpio": 17,
    "lapNumber": 3, "sensorLapCount": 2}`` on its WebSocket for every crossing; a relay posting that
    object as it comes works. Its ``{"event": "connected", ...}`` greeting is accepted and ignored.
  - Trackside's own: ``{"type": "crossing", "t": <sensor seconds>, "sensor": "finish"}``; ``t`` may
    be left out (then the moment the crossing arrives counts), ``sensor`` names the sensor (text).

- Serial (ASCII, one line per crossing, ``\\n`` or ``\\r\\n``): ``L`` or ``LAP`` (any case: a crossing
  now, timed on arrival), a whole number (the sensor's clock in milliseconds at the crossing, e.g. an
  Arduino's ``millis()``), or ``LAP <ms>``. Blank lines and lines starting with ``#`` (a board's
  banner or comments) are skipped; anything else is refused with the line quoted.

Timestamps: a sensor's clock is not the caller's. :class:`SensorClock` learns the offset at the
first timestamped crossing and keeps the smallest delay seen since, so a lap is the difference of
two sensor timestamps (network or USB delay does not change it) and no crossing lands in the future.
One limit: a crossing already applied cannot move, so when a later crossing shows that the first one
was delayed more than the least delay, the lap that started there keeps that excess (on a venue's
network, milliseconds).
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import asdict, dataclass

from sim.errors import TracksideError

from .timer_records import Lap
from .timing import READY, SessionTimer, TimingError

BAUDRATE = 9600
"""A serial sensor's default speed, bits/s (an Arduino sketch's ``Serial.begin(9600)``)."""
MAX_LINE_BYTES = 256
"""A longer serial line is noise on the wire (a wrong baud rate): dropped with a problem reported."""
MAX_SENSOR_NAME = 40
"""Longest sensor name kept, characters."""
SERIAL_LINE = re.compile(r"^(?:(?P<lap>l|lap)(?:\s+(?P<lap_ms>\d{1,15}))?|(?P<ms>\d{1,15}))$", re.IGNORECASE)


class TimerInputError(TracksideError):
    """A crossing that could not be read (bad JSON fields, a garbled serial line); the message says why."""


class NoTimedSession(TracksideError):
    """No hand-timed session is on the console for the event the crossing is for."""


@dataclass(frozen=True)
class Crossing:
    """The car crossed the start/finish line."""

    t_s: float | None = None
    """The sensor's clock at the crossing, s; None: the sensor sends no time (the arrival counts)."""
    sensor: str = "finish"
    """Which sensor saw it (DREM's GPIO pin as ``gpio17``, a serial port, a name a box sends)."""

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class TimerOutcome:
    """What a crossing did to the session: ``start``, ``lap`` or ``refused`` (with ``reason``)."""

    action: str
    at: float
    """The caller's clock at which it was applied, s."""
    lap: Lap | None = None
    reason: str | None = None
    delay_s: float = 0.0
    """How long after the crossing it was applied, s (0 when the sensor sends no time)."""
    state: str = READY
    """The timer's state afterwards."""

    @property
    def ok(self) -> bool:
        return self.action != "refused"

    def text(self) -> str:
        """The outcome in a timekeeper's words."""
        if self.action == "start":
            return "Sensor: the car crossed the line, the clock started: lap 1 is running"
        if self.action == "lap":
            lap = self.lap
            valid = "" if lap.valid else f", invalid ({lap.auto_invalid})"
            over = ". That was the finish: the session is over" if self.state == "ended" else ""
            return f"Sensor: lap {lap.number}: {lap.time_s:.3f} s{valid}{over}"
        return f"Sensor crossing ignored: {self.reason}"

    def as_dict(self) -> dict:
        lap = self.lap.as_dict() if self.lap is not None else None
        return {"ok": self.ok, "action": self.action, "lap": lap, "reason": self.reason,
                "delay_s": round(self.delay_s, 4), "state": self.state, "text": self.text()}


class SensorClock:
    """Maps a sensor's timestamps (its clock, s) onto the caller's monotonic clock (s).

    The first timestamped crossing sets ``offset = now - t``. A later crossing lands at
    ``t + offset``; when that would be after ``now`` (this crossing travelled faster than the first),
    the offset drops to ``now - t``: the smallest delay seen is the best estimate of the clocks'
    difference (as NTP keeps the least-delayed sample). Timestamps must increase: a crossing not
    after the previous one (a repeat, or out of order) is refused with :class:`TimerInputError`.
    """

    def __init__(self) -> None:
        self.offset: float | None = None
        """Caller's clock minus the sensor's, s; None until the first timestamped crossing."""
        self.last_t: float | None = None

    @property
    def learned(self) -> bool:
        return self.offset is not None

    def to_caller(self, t: float, now: float) -> float:
        """The caller's time of the sensor's ``t``, given that it arrived at ``now`` (both s)."""
        if self.last_t is not None and t <= self.last_t:
            raise TimerInputError(f"sensor time {t:.3f} s is not after the previous crossing's ({self.last_t:.3f} s): "
                                  "out of order or repeated")
        if self.offset is None or t + self.offset > now:
            self.offset = now - t
        self.last_t = t
        return t + self.offset

    def reset(self) -> None:
        """Forget the offset (the sensor restarted, its clock began again)."""
        self.offset = self.last_t = None


def apply_event(timer: SessionTimer, crossing: Crossing, now: float, clock: SensorClock | None = None,
                not_before: float | None = None) -> TimerOutcome:
    """Give ``timer`` the ``crossing`` that arrived at ``now`` (the caller's clock, s).

    With a sensor time and a ``clock``, the crossing counts at its mapped time (never before
    ``not_before``: the latest moment the caller has already shown the timer, as its clock cannot go
    back). A timer not yet started starts; a running one captures a lap (refused as a double trigger
    inside ``min_lap_s``); a paused, ended or recorded one refuses. A refusal changes nothing and
    comes back as an outcome with its reason, never as an exception.
    """
    at = now
    try:
        if crossing.t_s is not None and clock is not None:
            at = min(now, clock.to_caller(crossing.t_s, now))
        if not_before is not None:
            at = max(at, not_before)
        if timer.tick(at) == READY:
            timer.start(at)
            return TimerOutcome("start", at, delay_s=now - at, state=timer.state)
        lap = timer.capture_lap(at)
    except (TimingError, TimerInputError) as exc:
        return TimerOutcome("refused", at, reason=str(exc), delay_s=now - at, state=timer.state)
    return TimerOutcome("lap", at, lap=lap, delay_s=now - at, state=timer.state)


def parse_event(body: object) -> Crossing | None:
    """A network timer event (see the module docstring) as a :class:`Crossing`; None for one to ignore
    (DREM's ``connected`` greeting). Raises :class:`TimerInputError` with the reason otherwise."""
    if not isinstance(body, dict):
        raise TimerInputError("a timer event is a JSON object")
    if body.get("event") == "connected":
        return None
    if body.get("event") == "lap":  # DREM's Raspberry Pi timer
        ms = _number(body.get("timestamp"), "timestamp (ms since the Unix epoch)")
        gpio = body.get("gpio")
        sensor = f"gpio{int(gpio)}" if isinstance(gpio, int) and not isinstance(gpio, bool) else "drem"
        return Crossing(None if ms is None else ms / 1000.0, sensor)
    if body.get("type") == "crossing":
        sensor = body.get("sensor", "finish")
        if not isinstance(sensor, str) or not sensor.strip():
            raise TimerInputError("sensor: expected a name (text)")
        return Crossing(_number(body.get("t"), "t (sensor seconds)"), sensor.strip()[:MAX_SENSOR_NAME])
    raise TimerInputError('expected {"type": "crossing", "t": <sensor seconds>} or DREM\'s {"event": "lap", '
                          '"timestamp": <ms>}')


def parse_serial_line(line: str | bytes, sensor: str = "serial") -> Crossing | None:
    """One line from a serial lap sensor (see the module docstring) as a :class:`Crossing`; None for a
    blank or ``#`` line. Raises :class:`TimerInputError` quoting a line it cannot read."""
    if isinstance(line, bytes):
        line = line.decode("ascii", errors="replace")
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    match = SERIAL_LINE.match(text)
    if match is None:
        raise TimerInputError(f"serial line {text[:40]!r}: expected L, LAP, LAP <ms> or <ms>")
    ms = match["ms"] or match["lap_ms"]
    return Crossing(None if ms is None else int(ms) / 1000.0, sensor)


def crossings_from(port, name: str, buffer: bytearray, stamp=time.monotonic):
    """Read what serial ``port`` has (an open pyserial port: ``read``, ``in_waiting``); yield
    ``(Crossing, None)`` or ``(None, problem in words)`` per complete line.

    ``buffer`` keeps a partial line between calls. A line without the sensor's time is stamped with
    ``stamp()`` (s) the moment it is read, so later delays (a busy GUI thread) never reach a lap."""
    buffer += port.read(max(1, port.in_waiting))
    while b"\n" in buffer:
        line, _, rest = bytes(buffer).partition(b"\n")
        buffer[:] = rest
        try:
            crossing = parse_serial_line(line, name)
        except TimerInputError as exc:
            yield None, str(exc)
            continue
        if crossing is not None:
            yield (crossing if crossing.t_s is not None else Crossing(stamp(), name)), None
    if len(buffer) > MAX_LINE_BYTES:
        buffer.clear()
        yield None, f"a line longer than {MAX_LINE_BYTES} bytes was dropped (is the baud rate right?)"


def _number(value: object, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise TimerInputError(f"{what}: expected a number >= 0, got {value!r}")
    return float(value)
