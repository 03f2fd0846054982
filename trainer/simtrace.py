"""SIM_TRACE CSV files: one row per car per step, exactly as DeepRacer writes them.

deepracer-utils (``DeepRacerLog``) and the community notebooks read these files, so the
header and number formats are DeepRacer's to the character::

    episode,steps,X,Y,yaw,steer,throttle,action,reward,done,all_wheels_on_track,progress,
    closest_waypoint,track_len,tstamp,episode_status,pause_duration,obstacle_crash_counter,wall_clock

Training writes ``training-simtrace/{iteration}-iteration.csv`` (iterations count from 0:
deepracer-utils takes the number of episodes per iteration from iteration 0), evaluation
writes ``evaluation-YYYYMMDDHHMMSS/evaluation-simtrace/0-iteration.csv``.

Rows are buffered in memory and written by :meth:`SimTraceWriter.flush` (call it once per
iteration), so the training loop pays only for string formatting, done for all cars at once.
Analysis notes for whoever writes rows: ``episode`` should count up across the whole
training run (DeepRacer's does), each iteration should hold the same number of episodes, and
``tstamp`` is simulated time in seconds. deepracer-utils times an episode from the
``tstamp`` differences of its rows, treating rows with status ``prepare`` as time 0; write a
``prepare`` row first in each episode so episode times do not include the gap before it.
``closest_waypoint`` is, as in DeepRacer's ``set_reward_and_metrics``, whichever of the params'
``closest_waypoints`` is nearer to the car (an index on the driving-direction centre line,
:meth:`sim.params.ParamsBuilder.nearest_waypoint`).
"""

from __future__ import annotations

import csv
import functools
import os
import time
from enum import StrEnum
from pathlib import Path

import numpy as np

COLUMNS = ("episode", "steps", "X", "Y", "yaw", "steer", "throttle", "action", "reward", "done",
           "all_wheels_on_track", "progress", "closest_waypoint", "track_len", "tstamp", "episode_status",
           "pause_duration", "obstacle_crash_counter", "wall_clock")
HEADER = ",".join(COLUMNS)
ROW_FORMAT = "%d,%d,%.4f,%.4f,%.4f,%.2f,%.2f,%s,%.4f,%s,%s,%.4f,%d,%.2f,%s,%s,%.2f,%d,%.4f"
"""DeepRacer's printf format for one row."""


class TraceStatus(StrEnum):
    """The ``episode_status`` column: DeepRacer's words (its order, for integer status arrays)."""

    PREPARE = "prepare"
    IN_PROGRESS = "in_progress"
    OFF_TRACK = "off_track"
    CRASHED = "crashed"
    REVERSED = "reversed"
    IMMOBILIZED = "immobilized"
    LAP_COMPLETE = "lap_complete"
    PAUSE = "pause"
    TIME_UP = "time_up"


_TRACE_WORDS = tuple(s.value for s in TraceStatus)


@functools.cache
def _status_words() -> np.ndarray:
    """Trace words indexed by :class:`sim.env.EpisodeStatus` value (one lookup for all cars)."""
    from sim.env import EpisodeStatus

    words = np.empty(max(EpisodeStatus) + 1, dtype=object)
    for s in EpisodeStatus:
        words[s] = s.label
    return words


def trace_status(status, steps, penalised=None, collided=None) -> np.ndarray:
    """``episode_status`` words ``(n,)`` for :class:`sim.env.EpisodeStatus` values ``status (n,)``.

    DeepRacer marks an episode's first row ``prepare`` (analysis tools time episodes from
    it); a car put back after leaving the road (``penalised (n,)`` True) is ``off_track``;
    a car that ran into an object in an evaluation and goes on after its penalty
    (``collided (n,)`` True) is ``crashed``.
    """
    status = np.asarray(status).reshape(-1).astype(np.int64)
    words = _status_words()[status]
    running = status == 0
    words[running & (np.asarray(steps).reshape(-1) == 1)] = TraceStatus.PREPARE.value
    if penalised is not None:
        words[running & np.asarray(penalised, dtype=bool).reshape(-1)] = TraceStatus.OFF_TRACK.value
    if collided is not None:
        words[np.asarray(collided, dtype=bool).reshape(-1)] = TraceStatus.CRASHED.value
    return words

ROW_TAIL_FORMAT = ROW_FORMAT.split(",", 1)[1]
""":data:`ROW_FORMAT` without the leading episode number (known only when an episode ends)."""
_TAIL_SPECS = ROW_TAIL_FORMAT.split(",")


def format_rows(*, n, steps, x, y, yaw, steer, throttle, action, reward, done, all_wheels_on_track, progress,
                closest_waypoint, track_len, tstamp, episode_status, pause_duration=0.0, obstacle_crash_counter=0,
                wall_clock=None) -> list[str]:
    """``n`` SIM_TRACE rows without their first (``episode``) column, as DeepRacer formats them.

    Each argument is an array ``(n,)`` or a scalar for all. Units: ``x, y`` m; ``yaw`` and
    ``steer`` degrees; ``throttle`` m/s; ``progress`` %; ``track_len`` m; ``tstamp`` simulated s;
    ``pause_duration`` s; ``wall_clock`` Unix s (default: now). ``action`` is an index array
    ``(n,)``, a continuous ``(n, 2)`` array of (steering deg, speed m/s) written as
    ``[steer speed]``, or strings. ``episode_status`` is strings or indices into
    :class:`TraceStatus` (its order).
    """
    if wall_clock is None:
        wall_clock = time.time()
    act = np.asarray(action)
    if act.dtype.kind in "fc" and act.ndim == 2:
        actions = [f"[{s:.2f} {v:.2f}]" for s, v in act.tolist()]
    elif act.dtype.kind in "fiu":
        # Indices may arrive as floats from a policy's output buffer.
        actions = np.broadcast_to(act.astype(np.int64), (n,)).tolist()
    else:
        actions = [str(a) for a in np.broadcast_to(act, (n,)).tolist()]
    status = np.asarray(episode_status)
    if status.dtype.kind in "iu":
        status = np.asarray(_TRACE_WORDS, dtype=object)[status]
    # %s of a Python float prints its shortest exact form; round so a sim time
    # like 12.066666666666666 s is written 12.067, as DeepRacer's logs show.
    tst = np.round(np.asarray(tstamp, dtype=np.float64), 3)

    columns = (np.asarray(steps, np.int64), np.asarray(x, np.float64), np.asarray(y, np.float64),
               np.asarray(yaw, np.float64), np.asarray(steer, np.float64), np.asarray(throttle, np.float64), actions,
               np.asarray(reward, np.float64), np.asarray(done, bool), np.asarray(all_wheels_on_track, bool),
               np.asarray(progress, np.float64), np.asarray(closest_waypoint, np.int64),
               np.asarray(track_len, np.float64), tst, status, np.asarray(pause_duration, np.float64),
               np.asarray(obstacle_crash_counter, np.int64), np.asarray(wall_clock, np.float64))
    # A column with one value for every row (track length, wall clock, pauses) is formatted once,
    # into the row format: the per-row formatting is what the training loop pays for.
    parts, varying = [], []
    for spec, col in zip(_TAIL_SPECS, columns):
        if not isinstance(col, list) and np.size(col) == 1:
            parts.append((spec % np.asarray(col).item()).replace("%", "%%"))
        else:
            parts.append(spec)
            varying.append(col if isinstance(col, list) else np.asarray(col).reshape(n).tolist())
    fmt = ",".join(parts)
    if not varying:
        return [fmt % ()] * n
    return [fmt % r for r in zip(*varying)]


def step_columns(env, info: dict, actions, *, cars, tstamp, reward=0.0, penalised=None) -> dict:
    """The one mapping from a :meth:`sim.env.RacingEnv.step`'s ``info`` to SIM_TRACE columns
    (all but ``episode``) for the cars ``cars`` (an index array or slice): keyword arguments of
    :func:`format_rows`. ``actions``, ``tstamp`` (simulated s), ``reward`` are per traced car;
    ``penalised`` marks cars put back after leaving the road (see :func:`trace_status`).

    An evaluation's ``info`` also carries ``collision`` (the car ran into an object this step:
    a ``crashed`` row) and ``lap_collisions`` (the lap's collisions so far: the
    ``obstacle_crash_counter`` column; see :mod:`trainer.crashes`). DeepRacer's own column counts
    consecutive crashes into the same box only under its ``ENABLE_MERCY_RESET`` flag (0 otherwise,
    ``rollout_agent_ctrl.py``); Trackside writes the lap's collisions so far, for every object."""
    status = info["status"][cars]
    collided = info["collision"][cars] if "collision" in info else None
    crash_count = info["lap_collisions"][cars] if "lap_collisions" in info else 0
    steps = info["steps"][cars]
    return {"n": len(steps), "steps": steps, "x": info["x"][cars], "y": info["y"][cars],
            "yaw": np.degrees(info["yaw"][cars]), "steer": info["steering"][cars], "throttle": info["speed"][cars],
            "action": actions, "reward": reward, "done": status != 0,
            "all_wheels_on_track": info["all_wheels_on_track"][cars], "progress": info["progress"][cars],
            "closest_waypoint": info["closest_waypoint"][cars], "track_len": env.track.length, "tstamp": tstamp,
            "episode_status": trace_status(status, steps, penalised, collided),
            "obstacle_crash_counter": crash_count}



_FLUSH_ROWS = 200_000  # bound the buffer (about 30 MB of text) if flush() is forgotten


class SimTraceWriter:
    """Appends SIM_TRACE rows to one CSV file, writing the header if the file is new.

    Use as a context manager or call :meth:`close`; rows reach the disk on :meth:`flush`.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lines: list[str] = []
        self._need_header = not self.path.exists() or self.path.stat().st_size == 0
        self.rows_written = 0

    def write_rows(self, *, episode, **columns) -> None:
        """Buffer one row per car: ``episode`` and the columns of :func:`format_rows`, each an
        array ``(n_cars,)`` or a scalar for all."""
        tails = format_rows(n=int(np.size(episode)), **columns)
        eps = np.broadcast_to(np.asarray(episode, dtype=np.int64), (len(tails),)).tolist()
        self._lines.extend([f"{e},{t}" for e, t in zip(eps, tails)])
        if len(self._lines) >= _FLUSH_ROWS:
            self.flush()

    def write_step(self, env, info: dict, actions, *, cars, episode, tstamp, reward=0.0, penalised=None) -> None:
        """Buffer the rows of one :meth:`sim.env.RacingEnv.step` for the cars ``cars`` (an index array),
        ``episode`` per car; the columns as :func:`step_columns` maps them."""
        cols = step_columns(env, info, actions, cars=cars, tstamp=tstamp, reward=reward, penalised=penalised)
        self.write_rows(episode=episode, **{k: v for k, v in cols.items() if k != "n"})

    def flush(self) -> None:
        """Write buffered rows to the file (appending) and hand them to the OS."""
        if not self._lines and not self._need_header:
            return
        with open(self.path, "a", encoding="utf-8", newline="") as fh:
            if self._need_header:
                fh.write(HEADER + "\n")
                self._need_header = False
            if self._lines:
                fh.write("\n".join(self._lines) + "\n")
        self.rows_written += len(self._lines)
        self._lines.clear()

    def close(self) -> None:
        self.flush()

    def __enter__(self) -> "SimTraceWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_simtrace(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """The columns of a SIM_TRACE file as arrays ``(n_rows,)``: numbers as float64/int64,
    ``done``/``all_wheels_on_track`` as bool, ``action`` and ``episode_status`` as str.

    For Trackside's own views (heat maps, replays) without pandas; a partly written last
    line (a crash while writing) is skipped.
    """
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        rows = [r for r in reader if header and len(r) == len(header)]
    if header is None:
        return {c: np.zeros(0) for c in COLUMNS}
    cols = list(zip(*rows)) if rows else [()] * len(header)
    out = {}
    for name, values in zip(header, cols):
        if name in ("episode", "steps", "closest_waypoint", "obstacle_crash_counter"):
            out[name] = np.array(values, dtype=np.int64)
        elif name in ("done", "all_wheels_on_track"):
            out[name] = np.array([v == "True" for v in values], dtype=bool)
        elif name in ("action", "episode_status"):
            out[name] = np.array(values, dtype=str)
        else:
            out[name] = np.array(values, dtype=np.float64)
    return out
