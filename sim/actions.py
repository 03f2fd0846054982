"""Action spaces as the DeepRacer console builds them, and as ``model_metadata.json`` stores them.

A discrete space is a list of (steering angle, speed) pairs. The console builds it
from four numbers: the steering angles are symmetric around 0 (30, 15, 0, -15, -30
for 30 degrees in 5 levels) and the speeds run from max/levels up to max (1, 2, 3
m/s for 3 m/s in 3 levels); the space is their cross product. A continuous space
gives a steering range and a speed range instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import TracksideError

SPEED_LIMITS = (0.1, 4.0)
"""Speeds a DeepRacer action may ask for, m/s."""
STEERING_LIMIT = 30.0
"""Largest steering angle either way, degrees."""


class ActionSpaceError(TracksideError):
    """An action space that cannot be used. The message names the field."""


@dataclass(frozen=True)
class ActionSpace:
    """A discrete list of actions or continuous ranges, in DeepRacer units (degrees, m/s)."""

    kind: str = "discrete"
    """``discrete`` or ``continuous``."""
    actions: tuple[tuple[float, float], ...] = ()
    """Discrete only: ``(steering_angle_deg, speed_mps)`` per action index."""
    steering_range: tuple[float, float] = (-30.0, 30.0)
    """Continuous only: lowest and highest steering angle, degrees."""
    speed_range: tuple[float, float] = (0.5, 4.0)
    """Continuous only: lowest and highest speed, m/s."""
    _table: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        if self.kind not in ("discrete", "continuous"):
            raise ActionSpaceError(f"action_space_type: expected 'discrete' or 'continuous', got {self.kind!r}")
        if self.kind == "discrete":
            if not self.actions:
                raise ActionSpaceError("action_space: a discrete action space needs at least one action")
            for i, (steer, speed) in enumerate(self.actions):
                _check_steering(steer, f"action_space[{i}].steering_angle")
                _check_speed(speed, f"action_space[{i}].speed")
            table = np.array(self.actions, dtype=np.float64).reshape(-1, 2)
        else:
            lo, hi = self.steering_range
            _check_steering(lo, "action_space.steering_angle.low")
            _check_steering(hi, "action_space.steering_angle.high")
            if lo >= hi:
                raise ActionSpaceError(f"action_space.steering_angle: low ({lo}) must be below high ({hi})")
            lo, hi = self.speed_range
            _check_speed(lo, "action_space.speed.low")
            _check_speed(hi, "action_space.speed.high")
            if lo >= hi:
                raise ActionSpaceError(f"action_space.speed: low ({lo}) must be below high ({hi})")
            table = np.zeros((0, 2))
        object.__setattr__(self, "_table", table)

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_console(cls, max_speed: float = 3.0, speed_levels: int = 3,
                     max_steering: float = 30.0, steering_levels: int = 5) -> "ActionSpace":
        """The console's four numbers: 3 m/s in 3 levels and 30 degrees in 5 levels give 15 actions."""
        _check_speed(max_speed, "max_speed")
        _check_steering(max_steering, "max_steering")
        if max_steering < 0:
            raise ActionSpaceError(f"max_steering: must be 0..{STEERING_LIMIT} degrees, got {max_steering}")
        if not (isinstance(speed_levels, (int, np.integer)) and 1 <= speed_levels <= 10):
            raise ActionSpaceError(f"speed_levels: must be a whole number 1..10, got {speed_levels!r}")
        if not (isinstance(steering_levels, (int, np.integer)) and 1 <= steering_levels <= 15 and steering_levels % 2 == 1):
            raise ActionSpaceError(f"steering_levels: must be an odd whole number 1..15 (e.g. 3, 5, 7), got {steering_levels!r}")
        speeds = [round(max_speed * (k + 1) / speed_levels, 3) for k in range(speed_levels)]
        if speeds[0] < SPEED_LIMITS[0]:
            raise ActionSpaceError(f"speed_levels: {speed_levels} levels of {max_speed} m/s make a speed below {SPEED_LIMITS[0]} m/s")
        steers = [0.0] if steering_levels == 1 else [
            round(-max_steering + 2 * max_steering * k / (steering_levels - 1), 3) for k in range(steering_levels)]
        return cls(kind="discrete", actions=tuple((st, sp) for sp in speeds for st in steers))

    @classmethod
    def continuous(cls, steering: tuple[float, float] = (-30.0, 30.0),
                   speed: tuple[float, float] = (0.5, 4.0)) -> "ActionSpace":
        return cls(kind="continuous", steering_range=tuple(map(float, steering)), speed_range=tuple(map(float, speed)))

    @classmethod
    def from_metadata(cls, meta: dict) -> "ActionSpace":
        """Read the ``action_space`` and ``action_space_type`` of a ``model_metadata.json`` dict."""
        kind = meta.get("action_space_type", "discrete")
        space = meta.get("action_space")
        if kind == "continuous":
            if not isinstance(space, dict) or "steering_angle" not in space or "speed" not in space:
                raise ActionSpaceError("action_space: a continuous space needs {'steering_angle': {low, high}, 'speed': {low, high}}")
            try:
                st, sp = space["steering_angle"], space["speed"]
                return cls.continuous((float(st["low"]), float(st["high"])), (float(sp["low"]), float(sp["high"])))
            except (KeyError, TypeError, ValueError) as exc:
                raise ActionSpaceError(f"action_space: low/high must be numbers ({exc})") from None
        if not isinstance(space, list) or not space:
            raise ActionSpaceError("action_space: a discrete space needs a non-empty list of actions")
        rows = sorted(space, key=lambda a: a.get("index", 0) if isinstance(a, dict) else 0)
        actions = []
        for i, a in enumerate(rows):
            try:
                actions.append((float(a["steering_angle"]), float(a["speed"])))
            except (KeyError, TypeError, ValueError):
                raise ActionSpaceError(f"action_space[{i}]: needs numeric 'steering_angle' and 'speed'") from None
        return cls(kind="discrete", actions=tuple(actions))

    def to_metadata(self) -> dict:
        """``action_space`` and ``action_space_type`` as DeepRacer writes them."""
        if self.kind == "continuous":
            return {"action_space": {"steering_angle": {"low": self.steering_range[0], "high": self.steering_range[1]},
                                     "speed": {"low": self.speed_range[0], "high": self.speed_range[1]}},
                    "action_space_type": "continuous"}
        return {"action_space": [{"steering_angle": st, "speed": sp, "index": i} for i, (st, sp) in enumerate(self.actions)],
                "action_space_type": "discrete"}

    # -- use ------------------------------------------------------------------------------
    @property
    def n(self) -> int:
        """Number of discrete actions (0 for a continuous space)."""
        return len(self._table)

    @property
    def max_speed(self) -> float:
        return float(self._table[:, 1].max()) if self.kind == "discrete" else self.speed_range[1]

    def commands(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Steering (degrees) and speed (m/s) commands, each ``(n_cars,)``.

        Discrete: ``actions`` are indices ``(n_cars,)``. Continuous: ``(n_cars, 2)``
        rows of (steering_deg, speed), clipped to the ranges.
        """
        if self.kind == "discrete":
            idx = np.asarray(actions, dtype=np.int64).reshape(-1)
            if idx.size and (idx.min() < 0 or idx.max() >= self.n):
                raise ActionSpaceError(f"action index out of range 0..{self.n - 1}")
            rows = self._table[idx]
            return rows[:, 0], rows[:, 1]
        a = np.asarray(actions, dtype=np.float64).reshape(-1, 2)
        return (np.clip(a[:, 0], *self.steering_range), np.clip(a[:, 1], *self.speed_range))

    def describe(self, actions: np.ndarray) -> list[str]:
        """Each action as written in SIM_TRACE's ``action`` column: index, or ``[steer speed]``."""
        if self.kind == "discrete":
            return [str(int(a)) for a in np.asarray(actions).reshape(-1)]
        return [f"[{s:.2f} {v:.2f}]" for s, v in np.asarray(actions, dtype=np.float64).reshape(-1, 2)]


def _number(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not np.isfinite(value):
        raise ActionSpaceError(f"{name}: expected a number, got {value!r}")
    return float(value)


def _check_speed(value, name: str) -> None:
    v = _number(value, name)
    if not SPEED_LIMITS[0] <= v <= SPEED_LIMITS[1]:
        raise ActionSpaceError(f"{name}: speed must be {SPEED_LIMITS[0]}..{SPEED_LIMITS[1]} m/s, got {v}")


def _check_steering(value, name: str) -> None:
    v = _number(value, name)
    if abs(v) > STEERING_LIMIT:
        raise ActionSpaceError(f"{name}: steering must be within +-{STEERING_LIMIT} degrees, got {v}")
