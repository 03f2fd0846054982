"""The Evaluation page's replay: the recorded drive over the track, played from a ``QTimer`` at 1x
(simulated time) or faster, over the path coloured by speed, with the car's obstacles, bot cars or
the opponent's car drawn at every frame (:meth:`gui.track_view.TrackView.set_objects`).

:class:`EvaluationReplay` is a part of :class:`gui.pages.evaluation.EvaluationPage`: it uses the
page's ``result`` (a :class:`gui.eval_worker.EvaluationRun`), ``frame``, ``table`` and ``replay_timer``.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from gui.eval_worker import EvaluationRun
from gui.plots import card, speed_colormap
from gui.track_view import TrackView
from gui.widgets.inputs import ComboBox, Slider
from gui.widgets.style import button, label
from sim.opponents import PARKED_AT_M

SPEEDS = (1, 2, 4, 8)
"""Replay speeds offered, times simulated time."""


class EvaluationReplay:
    """The replay card and its controls (a part of the Evaluation page)."""

    def _replay_card(self) -> QWidget:
        """The drive over the track, with play/pause, speed, a seek slider and the speed legend."""
        self.track_view = TrackView()
        self.track_view.setMinimumSize(400, 260)
        self.play_button = button("Play")
        self.play_button.clicked.connect(self.toggle_play)
        self.speed_box = ComboBox()
        for s in SPEEDS:
            self.speed_box.addItem(f"{s}x", s)
        self.slider = Slider(Qt.Orientation.Horizontal)
        self.slider.valueChanged.connect(self._on_slider)
        self.position = label("", "hint")
        self.position.setMinimumWidth(190)
        self.legend = QLabel(minimumHeight=16, maximumHeight=16)
        controls = QHBoxLayout()
        for w, stretch in ((self.play_button, 0), (self.speed_box, 0), (self.slider, 1), (self.position, 0)):
            controls.addWidget(w, stretch)
        replay = card("Replay", self.track_view)
        replay.layout().addLayout(controls)
        legend_row = QHBoxLayout()
        self.legend_lo, self.legend_hi = label("", "hint"), label("", "hint")
        for w, stretch in ((label("Path coloured by speed:", "hint"), 0), (self.legend_lo, 0), (self.legend, 1),
                           (self.legend_hi, 0)):
            legend_row.addWidget(w, stretch)
        replay.layout().addLayout(legend_row)
        return replay

    def _paint_legend(self) -> None:
        cmap = speed_colormap()
        stops = ", ".join(f"stop:{p:.2f} {cmap.map(p, mode='qcolor').name()}" for p in np.linspace(0, 1, 6))
        self.legend.setStyleSheet(f"border-radius: 3px; background: qlineargradient(x1:0, y1:0, x2:1, y2:0, {stops});")

    # -- replay -------------------------------------------------------------------------------
    def _load_replay(self, run: EvaluationRun) -> None:
        from sim.library import load_track

        self.track_view.set_track(load_track(run.track))
        d = run.drive
        self.track_view.set_path(np.stack([d.x, d.y], axis=1), d.speed, vmax=run.max_speed)
        self.legend_lo.setText("0 m/s")
        self.legend_hi.setText(f"{run.max_speed:g} m/s")
        with QSignalBlocker(self.slider):
            self.slider.setRange(0, max(len(d) - 1, 0))
            self.slider.setValue(0)
        self.frame = 0.0
        self._set_replay_enabled(len(d) > 0)
        self._show_frame()
        if len(d):
            self.play()

    def _set_replay_enabled(self, on: bool) -> None:
        for w in (self.play_button, self.speed_box, self.slider):
            w.setEnabled(on)

    def play(self) -> None:
        if self.result is None or not len(self.result.drive):
            return
        if self.frame >= len(self.result.drive) - 1:
            self.frame = 0.0
        self._last_tick = time.monotonic()
        self.replay_timer.start()
        self.play_button.setText("Pause")

    def pause(self) -> None:
        self.replay_timer.stop()
        self.play_button.setText("Play")

    def toggle_play(self) -> None:
        self.pause() if self.replay_timer.isActive() else self.play()

    @property
    def playing(self) -> bool:
        return self.replay_timer.isActive()

    def _tick(self) -> None:
        now = time.monotonic()
        dt, self._last_tick = now - self._last_tick, now
        d = self.result.drive
        self.frame = min(self.frame + dt * self.speed_box.currentData() / d.dt, len(d) - 1)
        self._show_frame()
        if self.frame >= len(d) - 1:
            self.pause()

    def _on_slider(self, value: int) -> None:
        self.frame = float(value)
        self._show_frame(move_slider=False)

    def _jump_to_lap(self) -> None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows or self.result is None:
            return
        lap = self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)
        start = np.flatnonzero(self.result.drive.lap == lap)
        if len(start):
            self.frame = float(start[0])
            self._show_frame()

    def _show_frame(self, move_slider: bool = True) -> None:
        if self.result is None or not len(self.result.drive):
            return
        d = self.result.drive
        i = int(self.frame)
        self.track_view.set_cars(d.poses()[i:i + 1])
        if d.objects is not None:
            rows = d.objects[i]
            self.track_view.set_objects(rows[np.abs(rows[:, :2]).max(axis=1) < PARKED_AT_M / 2])  # parked: gone
        if move_slider:
            with QSignalBlocker(self.slider):
                self.slider.setValue(i)
        lap_start = np.flatnonzero(d.lap == d.lap[i])[0]
        self.position.setText(f"lap {d.lap[i]} · {(i - lap_start) * d.dt:5.2f} s · {d.speed[i]:.2f} m/s")

