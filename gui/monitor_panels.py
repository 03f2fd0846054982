"""Panels of the training monitor, drawn from a :class:`gui.telemetry.TrainingFollower`'s arrays:
the run's headline numbers, the learning curves, and a failure's reason."""

from __future__ import annotations

import time
from datetime import datetime

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from gui.plots import BLUE, GREEN, GREY, ORANGE, PURPLE, Fact, card, dots, format_duration, line, make_plot, set_xy


class RunFacts(QWidget):
    """Elapsed time, iteration, episodes, steps per second, progress and evaluation, in a row."""

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.facts = {key: Fact(caption) for key, caption in (
            ("elapsed", "Elapsed"), ("iteration", "Iteration"), ("episodes", "Episodes"),
            ("steps", "Steps / s"), ("progress", "Mean progress"), ("eval", "Eval laps"), ("lap", "Best lap"))}
        for fact in self.facts.values():
            layout.addWidget(fact)
            layout.addSpacing(14)
        layout.addStretch(1)

    def update_from(self, follower, status) -> None:
        """``status``: the model's current :class:`~trainer.model_store.Status` (or None)."""
        last = follower.last_iteration or {}
        f = self.facts
        running = status is not None and status.status in ("training", "stopping")
        elapsed = time.time() - _epoch(status.updated) if running and status.updated else last.get("elapsed_s")
        f["elapsed"].set(format_duration(elapsed))
        if running:
            f["iteration"].set(f"{int(last['iteration']) + 1 if last else 0} (running)")
        else:
            f["iteration"].set(str(int(last["iteration"])) if last else "-")
        f["episodes"].set(f"{len(follower.episodes):,}")
        sps = last.get("env_steps_per_s")
        f["steps"].set(f"{sps:,.0f}" if sps else "-")
        f["progress"].set(f"{last['mean_progress']:.1f} %" if last.get("mean_progress") is not None else "-")
        laps_done = last.get("eval_laps")
        f["eval"].set(f"{int(last['eval_laps_completed'])} / {int(laps_done)}" if laps_done else "-")
        # The model's best lap: lap 1 from a standing start under `trackside evaluate`'s rules.
        laps = follower.iterations["eval_standing_start_s"]
        laps = laps[np.isfinite(laps)]
        f["lap"].set(f"{laps.min():.2f} s" if len(laps) else "-")


def failure_html(status) -> str:
    """A failed run's reason, the step it failed at and the reward params it failed on, as rich text."""
    text = f"<b>Training failed:</b> {_html(status.reason or 'no reason was given')}"
    detail = status.detail or {}
    if detail.get("step") is not None:
        text += f"<br>at environment step {detail['step']}"
    params = detail.get("params") or {}
    if params:
        shown = ", ".join(f"{k}={_html(str(v))}" for k, v in list(params.items())[:12])
        text += f"<br><span style='font-family: monospace; font-size: 11px'>params: {shown}</span>"
    return text


def _epoch(iso: str) -> float:
    try:
        return datetime.fromisoformat(iso).timestamp()
    except ValueError:
        return time.time()


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class LearningCurves(QWidget):
    """Three stacked plots; :meth:`update_from` redraws them from the follower's series."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.reward_plot = make_plot("Reward per episode", "episode", "reward",
                                     series=[("episode", GREY), ("iteration mean", ORANGE)])
        self.reward_dots = dots(self.reward_plot, GREY)
        self.reward_mean = line(self.reward_plot, ORANGE, symbol="o", size=5)
        self.progress_plot = make_plot("Per iteration", "iteration", "%", integer_x=True,
                                       series=[("progress", BLUE), ("completed", GREEN), ("eval", PURPLE)])
        self.progress_plot.setYRange(0, 100, padding=0.03)
        self.progress_line = line(self.progress_plot, BLUE, symbol="o", size=5)
        self.completion_line = line(self.progress_plot, GREEN, symbol="s", size=5)
        self.eval_progress_line = line(self.progress_plot, PURPLE, width=1.5, symbol="t", size=6)
        self.eval_plot = make_plot("Evaluation laps completed (greedy)", "iteration", "laps", integer_x=True,
                                   integer_y=True)
        self.eval_plot.setYRange(0, 5, padding=0.05)
        self.eval_bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush=pg.mkBrush(GREEN), pen=None)
        self.eval_plot.addItem(self.eval_bars)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for plot in (self.reward_plot, self.progress_plot, self.eval_plot):
            layout.addWidget(card(None, plot, margins=4), 1)

    def update_from(self, follower) -> None:
        ep, it = follower.episodes, follower.iterations
        set_xy(self.reward_dots, ep["episode"], ep["reward"])
        set_xy(self.reward_mean, it["episodes"] - 1, it["mean_reward"])  # at each iteration's last episode
        set_xy(self.progress_line, it["iteration"], it["mean_progress"])
        set_xy(self.completion_line, it["iteration"], 100 * it["completion_rate"])
        set_xy(self.eval_progress_line, it["iteration"], it["eval_progress"])
        ok = np.isfinite(it["eval_laps_completed"])
        self.eval_bars.setOpts(x=it["iteration"][ok], height=it["eval_laps_completed"][ok], width=0.7)
        if len(it):
            laps = it["eval_laps"][np.isfinite(it["eval_laps"])]
            self.eval_plot.setYRange(0, max(5.0, float(laps.max()) if len(laps) else 5.0), padding=0.05)
