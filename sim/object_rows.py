"""Objects as plain rows for the screens that draw them: telemetry, race-day state, replays.

One car's obstacles and bot cars (:class:`sim.objects.ObjectState`) become an ``(m, 6)`` float
array, one row per object: ``x, y`` (centre, m), ``yaw_deg`` (heading, degrees), ``length`` and
``width`` (the collision rectangle, m) and ``is_bot`` (1.0 for a bot car or another model's car,
0.0 for a box). JSON lists of these rows are what training telemetry (``telemetry.jsonl``
``objects``) and race-day session states (``objects``) carry, so every view draws the same thing.
"""

from __future__ import annotations

import numpy as np

OBJECT_ROW_FIELDS = ("x", "y", "yaw_deg", "length", "width", "is_bot")
"""The columns of an object row, in order (units in the module docstring)."""


def object_rows(state, car: int = 0) -> np.ndarray:
    """``(m, 6)`` rows of car ``car``'s objects in ``state`` (a :class:`sim.objects.ObjectState`)."""
    return np.stack([state.x[car], state.y[car], np.degrees(state.yaw[car]), state.length, state.width,
                     state.is_bot.astype(float)], axis=1)


def object_outlines(rows) -> np.ndarray:
    """``(m, 4, 2)`` rectangle corners (m, counter-clockwise) of object ``rows`` ``(m, 6)``."""
    rows = np.asarray(rows, dtype=float).reshape(-1, len(OBJECT_ROW_FIELDS))
    yaw = np.radians(rows[:, 2])
    c, s = np.cos(yaw)[:, None], np.sin(yaw)[:, None]
    hl = rows[:, 3:4] / 2 * np.array([1.0, -1.0, -1.0, 1.0])
    hw = rows[:, 4:5] / 2 * np.array([1.0, 1.0, -1.0, -1.0])
    return np.stack([rows[:, 0:1] + c * hl - s * hw, rows[:, 1:2] + s * hl + c * hw], axis=-1)
