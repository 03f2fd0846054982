"""What a race-day timer (:class:`league.timing.SessionTimer`) records: its laps and its log lines."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class Lap:
    """One captured lap. Times are session-clock seconds (pauses excluded)."""

    number: int
    """1-based lap number within the session."""
    time_s: float
    """Lap time, s."""
    resets: int
    """Times the car was put back on the road during the lap."""
    start_s: float
    """Session clock at the start of the lap, s (kept so a false finish can be undone)."""
    auto_invalid: str | None = None
    """Why the rules make the lap invalid (too many resets), or None."""
    override: bool | None = None
    """The timekeeper's verdict, which wins over the rules; None: follow the rules."""
    collisions: int = 0
    """Of ``resets``, those that were collisions with an object (:meth:`SessionTimer.add_collision`)."""

    @property
    def valid(self) -> bool:
        return self.override if self.override is not None else self.auto_invalid is None

    def as_dict(self) -> dict:
        d = asdict(self)
        d["valid"] = self.valid
        return d


@dataclass(frozen=True)
class TimerEvent:
    """One line of the audit log."""

    t: float
    """The caller's ``now`` when it happened, s."""
    clock_s: float
    """Session clock at that moment, s."""
    action: str
    detail: str = ""
