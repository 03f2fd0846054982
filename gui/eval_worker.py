"""Evaluating a model checkpoint on a worker thread, recording the drive for a replay.

The evaluation itself is ``league.evaluation.evaluate_model`` (the policy from
``trainer.policy.load_policy`` driven by ``trainer.driving.drive_laps``, DeepRacer's rules);
the worker adds a step hook that records the reference point's path, heading and speed,
reports progress at most 10 times a second, and stops early when asked.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QThread, Signal

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


class _Cancelled(Exception):
    pass


class EvaluationWorker(QThread):
    """Runs one evaluation off the GUI thread; ``done`` or ``failed`` tells how it ended."""

    progress = Signal(int, float)
    """Lap being driven (1-based) and its progress, %."""
    done = Signal(object)
    """An :class:`EvaluationRun`."""
    failed = Signal(str)

    def __init__(self, model, checkpoint: int | str, track_name: str, rules: EvaluationRules, parent=None):
        from trainer.policy import use_one_torch_thread

        super().__init__(parent)
        # Built on the GUI thread: torch's process-wide thread count is set here, never from a worker.
        use_one_torch_thread()
        self.model, self.checkpoint, self.track_name, self.rules = model, checkpoint, track_name, rules
        self._cancel = False

    def cancel(self) -> None:
        self._cancel = True

    def run(self) -> None:
        try:
            self.done.emit(evaluate(self.model, self.checkpoint, self.track_name, self.rules,
                                    on_progress=self.progress.emit, cancelled=lambda: self._cancel))
        except _Cancelled:
            self.failed.emit("Evaluation cancelled")
        except Exception as exc:  # shown to the user in plain words, never a traceback
            self.failed.emit(f"{exc.__class__.__name__}: {exc}" if not str(exc) else str(exc))


def evaluate(model, checkpoint: int | str, track_name: str, rules: EvaluationRules, *, on_progress=None,
             cancelled=None) -> EvaluationRun:
    """Evaluate ``model``'s ``checkpoint`` on ``track_name``; blocks (call it off the GUI thread).

    Rules, checkpoint and weights are checked and loaded by ``league.evaluation`` (the same
    plain-words errors as ``trackside evaluate``); torch runs on the one thread the process
    chose at start, so the app's lap times equal the league's to the last bit.
    """
    from league.evaluation import evaluate_model

    start = time.monotonic()
    rows: list[tuple] = []
    last_report = [0.0]

    def on_step(env, info, actions, lap):
        rows.append((info["x"][0], info["y"][0], np.degrees(info["yaw"][0]), info["actual_speed"][0], lap,
                     bool(info["off_track"][0])))
        now = time.monotonic()
        if now - last_report[0] > 0.1:
            last_report[0] = now
            if cancelled is not None and cancelled():
                raise _Cancelled()
            if on_progress is not None:
                on_progress(int(lap), float(info["progress"][0]))

    # The same path as `trackside evaluate`: same checks, same lap times, and a SIM_TRACE file.
    result = evaluate_model(model, track_name, rules, checkpoint=checkpoint, on_step=on_step)
    laps, which = result.laps, result.checkpoint
    meta = model.metadata()
    a = np.array(rows, dtype=float).reshape(-1, 6)
    drive = Drive(a[:, 0], a[:, 1], a[:, 2], a[:, 3], a[:, 4].astype(int), a[:, 5].astype(bool),
                  VehicleConfig().step_dt)
    # result.rules holds the noise seed the laps were driven with (drawn fresh when rules had none).
    return EvaluationRun(model.name, str(which), track_name, result.rules, laps, drive, meta.action_space.max_speed,
                         time.monotonic() - start)
