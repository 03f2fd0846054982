"""Evaluating a model checkpoint on a worker thread, recording the drive for a replay.

The evaluation itself is ``league.evaluation.evaluate_model`` (the policy from
``trainer.policy.load_policy`` driven by ``trainer.driving.drive_laps``, DeepRacer's rules);
the worker adds a step hook that records the reference point's path, heading and speed and
the car's objects (boxes, bot cars: object rows of :mod:`sim.object_rows`), reports progress at
most 10 times a second, and stops early when asked. A head-to-model run
(:func:`league.head_to_model.evaluate_head_to_model`) records model A's car the same way, with
model B's car as its one object row (a bot-sized car).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QThread, Signal

from sim.env import EpisodeStatus
from sim.object_rows import object_rows
from sim.vehicle import VehicleConfig
from trainer.driving import EvaluationRules, LapResult


@dataclass
class Drive:
    """One evaluation's recorded drive, one row per simulated step (``dt`` s apart)."""

    x: np.ndarray
    """Reference point x ``(n,)``, m."""
    y: np.ndarray
    yaw_deg: np.ndarray
    speed: np.ndarray
    """Actual speed ``(n,)``, m/s."""
    lap: np.ndarray
    """1-based lap being driven ``(n,)``."""
    off_track: np.ndarray
    """True where the car left the road on that step ``(n,)``."""
    dt: float
    objects: np.ndarray | None = None
    """The car's objects at each step ``(n, m, 6)`` (object rows, :mod:`sim.object_rows`); None without objects."""

    def __len__(self) -> int:
        return len(self.x)

    def poses(self) -> np.ndarray:
        return np.stack([self.x, self.y, self.yaw_deg], axis=1)


@dataclass
class EvaluationRun:
    model: str
    checkpoint: str
    track: str
    rules: EvaluationRules
    laps: list[LapResult]
    drive: Drive
    max_speed: float
    """Fastest speed of the model's action space, m/s (the top of the colour scale)."""
    seconds: float
    """Wall time the evaluation took, s."""
    opponent: str | None = None
    """Head-to-model: model B's name (the drive is model A's car)."""
    opponent_laps: list[LapResult] = field(default_factory=list)
    winner: str | None = None
    """Head-to-model: the winner, ``"a"`` (this model) or ``"b"`` (the opponent); None: no winner."""


class _Cancelled(Exception):
    pass


class EvaluationWorker(QThread):
    """Runs one evaluation off the GUI thread; ``done`` or ``failed`` tells how it ended."""

    progress = Signal(int, float)
    """Lap being driven (1-based) and its progress, %."""
    done = Signal(object)
    """An :class:`EvaluationRun`."""
    failed = Signal(str)

    def __init__(self, model, checkpoint: int | str, track_name: str, rules: EvaluationRules, parent=None, *,
                 opponent=None):
        from trainer.policy import use_one_torch_thread

        super().__init__(parent)
        # Built on the GUI thread: torch's process-wide thread count is set here, never from a worker.
        use_one_torch_thread()
        self.model, self.checkpoint, self.track_name, self.rules = model, checkpoint, track_name, rules
        self.opponent = opponent
        self._cancel = False

    def cancel(self) -> None:
        self._cancel = True

    def run(self) -> None:
        try:
            how = dict(on_progress=self.progress.emit, cancelled=lambda: self._cancel)
            if self.opponent is not None:
                self.done.emit(evaluate_head_to_model(self.model, self.opponent, self.checkpoint, self.track_name,
                                                      self.rules, **how))
            else:
                self.done.emit(evaluate(self.model, self.checkpoint, self.track_name, self.rules, **how))
        except _Cancelled:
            self.failed.emit("Evaluation cancelled")
        except Exception as exc:  # shown to the user in plain words, never a traceback
            self.failed.emit(f"{exc.__class__.__name__}: {exc}" if not str(exc) else str(exc))


class _Recorder:
    """The step hook of a recorded drive: one row per step of car ``car`` and its object rows."""

    def __init__(self, on_progress, cancelled):
        self.rows: list[tuple] = []
        self.objects: list[np.ndarray] = []
        self.on_progress, self.cancelled = on_progress, cancelled
        self.last_report = 0.0

    def record(self, env, info, lap: int, car: int = 0) -> None:
        self.rows.append((info["x"][car], info["y"][car], np.degrees(info["yaw"][car]), info["actual_speed"][car],
                          lap, bool(info["off_track"][car])))
        if env.objects is not None:
            self.objects.append(object_rows(env.objects.state, car))
        now = time.monotonic()
        if now - self.last_report > 0.1:
            self.last_report = now
            if self.cancelled is not None and self.cancelled():
                raise _Cancelled()
            if self.on_progress is not None:
                self.on_progress(int(lap), float(info["progress"][car]))

    def drive(self) -> Drive:
        a = np.array(self.rows, dtype=float).reshape(-1, 6)
        objects = np.array(self.objects, dtype=float) if self.objects else None
        return Drive(a[:, 0], a[:, 1], a[:, 2], a[:, 3], a[:, 4].astype(int), a[:, 5].astype(bool),
                     VehicleConfig().step_dt, objects)


def evaluate(model, checkpoint: int | str, track_name: str, rules: EvaluationRules, *, on_progress=None,
             cancelled=None) -> EvaluationRun:
    """Evaluate ``model``'s ``checkpoint`` on ``track_name``; blocks (call it off the GUI thread).

    Rules, checkpoint and weights are checked and loaded by ``league.evaluation`` (the same
    plain-words errors as ``trackside evaluate``); torch runs on the one thread the process
    chose at start, so the app's lap times equal the league's to the last bit.
    """
    from league.evaluation import evaluate_model

    start = time.monotonic()
    rec = _Recorder(on_progress, cancelled)
    # The same path as `trackside evaluate`: same checks, same lap times, and a SIM_TRACE file.
    result = evaluate_model(model, track_name, rules, checkpoint=checkpoint,
                            on_step=lambda env, info, actions, lap: rec.record(env, info, lap))
    # result.rules holds the noise seed the laps were driven with (drawn fresh when rules had none).
    return EvaluationRun(model.name, str(result.checkpoint), track_name, result.rules, result.laps, rec.drive(),
                         model.metadata().action_space.max_speed, time.monotonic() - start)


def evaluate_head_to_model(model, opponent, checkpoint: int | str, track_name: str, rules: EvaluationRules, *,
                           on_progress=None, cancelled=None) -> EvaluationRun:
    """Race ``model``'s ``checkpoint`` against ``opponent`` (its default checkpoint); blocks.
    The same path as ``trackside evaluate --race-type head_to_model``."""
    from league.head_to_model import evaluate_head_to_model as race

    start = time.monotonic()
    rec = _Recorder(on_progress, cancelled)
    laps_done = [0]

    def on_step(env, info, commands):
        rec.record(env, info, min(laps_done[0] + 1, rules.laps))
        laps_done[0] += int(info["status"][0] == EpisodeStatus.LAP_COMPLETE)

    h = race(model, opponent, track_name, rules, checkpoint_a=checkpoint, on_step=on_step)
    return EvaluationRun(model.name, h.checkpoints[0], track_name, h.rules, h.result.laps_a, rec.drive(),
                         model.metadata().action_space.max_speed, time.monotonic() - start,
                         opponent=h.opponent, opponent_laps=h.result.laps_b, winner=h.result.winner)
