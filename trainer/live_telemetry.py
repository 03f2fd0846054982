"""Live telemetry of a training run: what a viewer draws of the cars, a few times a second.

The trainer (:mod:`trainer.training`) appends one JSON line to the model's ``telemetry.jsonl``
about every :data:`TELEMETRY_PERIOD_S` while the cars drive:

``{"t": wall s, "iteration": n, "cars": [[x, y, yaw_deg, speed, progress], ...]}``, one row per car
shown (the first :data:`TELEMETRY_CARS`); with obstacles or bot cars also ``"objects": [[rows of
car 0], [rows of car 1], ...]``, each car's own objects (every car drives its own episode) as
object rows ``[x, y, yaw_deg, length, width, is_bot]`` (:mod:`sim.object_rows`). Numbers are
rounded to 3 decimals (mm, a thousandth of a degree). A time trial's lines have no ``objects``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from sim.object_rows import object_rows

TELEMETRY_PERIOD_S = 0.1
"""Wall seconds between two telemetry lines at most."""
TELEMETRY_CARS = 8
"""Cars a line shows (the first ones)."""


def telemetry_line(env, info: dict, iteration: int, t: float | None = None, cars: int = TELEMETRY_CARS) -> dict:
    """The telemetry line for ``env``'s first ``cars`` cars after a step whose info is ``info``
    (``RacingEnv.step``'s: reference-point ``x``, ``y`` m, ``yaw`` radians, ``actual_speed`` m/s,
    ``progress`` %); ``t``: wall time, s (default now)."""
    k = min(cars, env.n)
    poses = np.stack([info["x"][:k], info["y"][:k], np.degrees(info["yaw"][:k]), info["actual_speed"][:k],
                      info["progress"][:k]], axis=1)
    line = {"t": time.time() if t is None else t, "iteration": iteration, "cars": poses.round(3).tolist()}
    world = getattr(env, "objects", None)
    if world is not None and world.n_objects:
        # At most TELEMETRY_CARS small (m, 6) arrays: a line a tenth of a second, not the physics.
        line["objects"] = [object_rows(world.state, car).round(3).tolist() for car in range(k)]
    return line


class TelemetryWriter:
    """Throttled telemetry lines (:func:`telemetry_line`) appended to ``path``; the file starts
    over when it grows past :attr:`MAX_BYTES` (a viewer only needs the recent past)."""

    MAX_BYTES = 4_000_000

    def __init__(self, path: Path, period_s: float = TELEMETRY_PERIOD_S):
        self.path = path
        self.period_s = period_s
        self.fh = open(path, "w", encoding="utf-8")
        self.last = -np.inf

    def maybe_write(self, env, info: dict, iteration: int) -> bool:
        """Write a line if the last one is at least ``period_s`` old; True if it did."""
        now = time.monotonic()
        if now - self.last < self.period_s:
            return False
        self.last = now
        line = json.dumps(telemetry_line(env, info, iteration))
        if self.fh.tell() > self.MAX_BYTES:
            self.fh.seek(0)
            self.fh.truncate()
        self.fh.write(line + "\n")
        self.fh.flush()
        return True

    def close(self) -> None:
        self.fh.close()
