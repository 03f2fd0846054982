"""Following a training run from its files, incrementally, into preallocated arrays.

A training process (``trainer.training``) writes into its model folder; this module reads
only what was appended since the last look (by file offset), so following a long run costs
the same at hour one as at minute one:

- ``telemetry.jsonl``: car poses, about 10 per second while the cars drive, none while the
  network learns or the checkpoint is evaluated; the writer truncates it now and then; with
  obstacles or bot cars each line also holds every shown car's object rows
  (:mod:`trainer.live_telemetry`), kept beside the poses by :class:`ObjectFrames`;
- ``metrics/episodes.jsonl`` and ``metrics/iterations.jsonl``: one line per episode / iteration;
- ``logs/training.log`` and ``status.json``.

:class:`TrainingFollower` is plain Python (no Qt): ``poll()`` says what changed.
:class:`TelemetryFeed` wraps it in a ``QObject`` whose ``QTimer`` polls every 50 ms and
emits signals. :class:`gui.playback.CarPlayback` turns the bursts of poses into continuous motion.
"""

from __future__ import annotations

import collections
import json
import os
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from gui.playback import CarPlayback
from trainer.model_store import Model, ModelStoreError, Status


# -- reading appended lines -------------------------------------------------------------------
class FileTail:
    """The complete lines appended to a file since the last :meth:`read`.

    A file that shrinks (truncated, or rewritten from the start) or is replaced (new
    inode) is read again from its start; a half-written last line waits for its newline.
    ``tail_bytes``: on first open, skip to about this many bytes before the end.
    """

    def __init__(self, path: str | os.PathLike, *, tail_bytes: int | None = None, max_read: int = 8_000_000):
        self.path = Path(path)
        self.tail_bytes = tail_bytes
        self.max_read = max_read
        self.offset = 0
        self.restarts = 0
        """How many times the file started over (truncated or replaced)."""
        self._ino: int | None = None
        self._partial = b""
        self._skip_to_newline = False

    def read_lines(self) -> list[bytes]:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return []
        if self._ino is None:  # first look
            self._ino = st.st_ino
            if self.tail_bytes is not None and st.st_size > self.tail_bytes:
                self.offset = st.st_size - self.tail_bytes
                self._skip_to_newline = True
        elif st.st_ino != self._ino or st.st_size < self.offset:
            self._ino, self.offset, self._partial = st.st_ino, 0, b""
            self._skip_to_newline = False
            self.restarts += 1
        if st.st_size == self.offset:
            return []
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self.offset)
                data = fh.read(min(st.st_size - self.offset, self.max_read))
        except FileNotFoundError:
            return []
        self.offset += len(data)
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()
        if self._skip_to_newline and lines:
            lines.pop(0)  # the first line read from the middle of the file is a fragment
            self._skip_to_newline = False
        return [line for line in lines if line.strip()]

    def read_json(self) -> list[dict]:
        out = []
        for line in self.read_lines():
            try:
                obj = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue  # a line cut by the writer's truncation
            if isinstance(obj, dict):
                out.append(obj)
        return out


# -- growing columns ------------------------------------------------------------------------------
class Series:
    """Named float columns in one preallocated array that doubles when full; NaN for missing."""

    def __init__(self, names: tuple[str, ...], capacity: int = 512):
        self.names = names
        self._col = {name: i for i, name in enumerate(names)}
        self.data = np.full((capacity, len(names)), np.nan)
        self.n = 0

    def append(self, rows: list[dict]) -> None:
        if not rows:
            return
        need = self.n + len(rows)
        if need > len(self.data):
            grown = np.full((max(need, 2 * len(self.data)), len(self.names)), np.nan)
            grown[:self.n] = self.data[:self.n]
            self.data = grown
        for k, row in enumerate(rows):
            self.data[self.n + k] = [_num(row.get(name)) for name in self.names]
        self.n = need

    def __getitem__(self, name: str) -> np.ndarray:
        """The column as a view ``(n,)``."""
        return self.data[:self.n, self._col[name]]

    def __len__(self) -> int:
        return self.n

    def clear(self) -> None:
        self.n = 0


def _num(value) -> float:
    try:
        return float(value) if value is not None else np.nan
    except (TypeError, ValueError):
        return np.nan


EPISODE_FIELDS = ("episode", "iteration", "reward", "progress", "steps", "lap_time")
ITERATION_FIELDS = ("iteration", "episodes", "env_steps", "elapsed_s", "mean_reward", "mean_progress",
                    "completion_rate", "best_lap_s", "env_steps_per_s", "eval_progress", "eval_laps",
                    "eval_laps_completed", "eval_best_lap_s", "eval_mean_lap_s", "eval_standing_start_s")


def flatten_iteration(row: dict) -> dict:
    """An ``iterations.jsonl`` row with its ``eval`` dict spread into ``eval_*`` keys."""
    out = dict(row)
    for key, value in (row.get("eval") or {}).items():
        out[f"eval_{key}"] = value
    return out


# -- objects beside the poses -------------------------------------------------------------------
class ObjectFrames:
    """The object rows of recent telemetry frames, looked up at the playback's clock.

    Each frame's ``objects`` is a list, per car shown, of object rows ``(m, 6)``
    (:mod:`sim.object_rows`); :meth:`at` gives the newest frame at or before a time, so the boxes and
    bot cars drawn belong to the moment the cars are shown at (:class:`gui.playback.CarPlayback`
    plays the frames behind the trainer). Frames without ``objects`` (a time trial) are not kept.
    """

    def __init__(self, capacity: int = 512):
        self.times: collections.deque[float] = collections.deque(maxlen=capacity)
        self.rows: collections.deque[list[np.ndarray]] = collections.deque(maxlen=capacity)

    def __len__(self) -> int:
        return len(self.times)

    def clear(self) -> None:
        self.times.clear()
        self.rows.clear()

    def push(self, frames: list[dict]) -> None:
        for f in frames:
            objects, t = f.get("objects"), f.get("t")
            if not isinstance(objects, list) or t is None:
                continue
            try:
                t = float(t)
                per_car = [np.asarray(rows, dtype=float).reshape(-1, 6) for rows in objects]
            except (TypeError, ValueError):
                continue  # not object rows: nothing to draw
            if self.times and t < self.times[-1] - 1.0:  # a new run (as CarPlayback reads it)
                self.clear()
            self.times.append(t)
            self.rows.append(per_car)

    def at(self, t: float | None) -> list[np.ndarray] | None:
        """Per car shown, its object rows ``(m, 6)`` at writer time ``t``: the newest frame's at or
        before ``t`` (the first frame's before that; the newest's for None). None when no frame has objects."""
        if not self.times:
            return None
        if t is None:
            return self.rows[-1]
        i = int(np.searchsorted(np.fromiter(self.times, float, len(self.times)), t, side="right")) - 1
        return self.rows[max(i, 0)]


# -- following one model -------------------------------------------------------------------------
class TrainingFollower:
    """Everything a monitor shows about one model's training, read incrementally.

    ``poll()`` reads what is new and returns the names of what changed: ``cars``,
    ``episodes``, ``iterations``, ``log``, ``status``.
    """

    LOG_LINES = 300

    def __init__(self, model: Model, track=None, n_cars: int = 8):
        self.model = model
        self.playback = CarPlayback(n_cars, track=track)
        self.objects = ObjectFrames()
        """The cars' obstacles and bot cars, frame by frame (empty for a time trial)."""
        self.episodes = Series(EPISODE_FIELDS)
        self.iterations = Series(ITERATION_FIELDS)
        self.last_iteration: dict | None = None
        self.log_lines: collections.deque[str] = collections.deque(maxlen=self.LOG_LINES)
        self.log_total = 0
        """Log lines read so far (the deque keeps the last ``LOG_LINES``)."""
        self.status: Status | None = None
        self.frames_received = 0
        self._telemetry = FileTail(model.path / "telemetry.jsonl", tail_bytes=64_000)
        self._episodes = FileTail(model.episodes_path)
        self._iterations = FileTail(model.iterations_path)
        self._log = FileTail(model.log_path, tail_bytes=32_000)
        self._status_stamp: tuple | None = None
        self._episodes_before = 0

    def poll(self, now: float | None = None) -> set[str]:
        changed = set()
        frames = self._telemetry.read_json()
        if frames:
            self.playback.push(frames, now)
            self.objects.push(frames)
            self.frames_received += len(frames)
            changed.add("cars")
        restarts = self._episodes.restarts
        rows = self._episodes.read_json()
        if self._episodes.restarts != restarts:
            self.episodes.clear()
        if rows:
            self.episodes.append(rows)
            changed.add("episodes")
        restarts = self._iterations.restarts
        rows = self._iterations.read_json()
        if self._iterations.restarts != restarts:
            self.iterations.clear()
            self._episodes_before = 0
        if rows:
            flat = [flatten_iteration(r) for r in rows]
            for row in flat:  # an iteration stopped before its first episode has no means to show
                if row.get("episodes") is not None and row["episodes"] <= self._episodes_before:
                    for key in ("mean_reward", "mean_progress", "completion_rate", "best_lap_s"):
                        row[key] = None
                self._episodes_before = row.get("episodes") or self._episodes_before
            self.iterations.append(flat)
            self.last_iteration = flat[-1]
            changed.add("iterations")
        lines = self._log.read_lines()
        if lines:
            self.log_lines.extend(line.decode("utf-8", "replace") for line in lines)
            self.log_total += len(lines)
            changed.add("log")
        if self._poll_status():
            changed.add("status")
        return changed

    def clear_cars(self) -> None:
        """Forget the cars' poses and objects read so far (a finished run's are no live view)."""
        self.playback.clear()
        self.objects.clear()

    def _poll_status(self) -> bool:
        try:
            st = os.stat(self.model.status_path)
        except FileNotFoundError:
            return False
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        if stamp == self._status_stamp:
            return False
        try:
            status = self.model.status()
        except ModelStoreError:
            return False  # unreadable right now; the next poll tries again
        self._status_stamp = stamp
        self.status = status
        return True


class TelemetryFeed(QObject):
    """A :class:`TrainingFollower` polled by a ``QTimer``; signals say what changed.

    The page that owns it redraws from its own timer: these signals only mark data dirty.
    """

    cars_arrived = Signal()
    episodes_changed = Signal()
    iterations_changed = Signal()
    log_changed = Signal()
    status_changed = Signal(object)
    """The model's new :class:`~trainer.model_store.Status`."""

    POLL_MS = 50

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.follower: TrainingFollower | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(self.POLL_MS)
        self.timer.timeout.connect(self.poll)

    def follow(self, model: Model | None, track=None) -> None:
        """Start following ``model`` (driving on ``track``) from what its files hold now (None: stop)."""
        self.follower = TrainingFollower(model, track) if model is not None else None
        if self.follower is None:
            self.timer.stop()
            return
        self.poll()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def poll(self) -> None:
        if self.follower is None:
            return
        changed = self.follower.poll()
        if "cars" in changed:
            self.cars_arrived.emit()
        if "episodes" in changed:
            self.episodes_changed.emit()
        if "iterations" in changed:
            self.iterations_changed.emit()
        if "log" in changed:
            self.log_changed.emit()
        if "status" in changed:
            self.status_changed.emit(self.follower.status)
