"""Evaluation: drive a checkpoint for timed laps on any track, see the laps and replay the drive.

The evaluation runs on a worker thread (:class:`gui.eval_worker.EvaluationWorker`); the page
stays live and can cancel it. The replay plays the recorded drive from a ``QTimer`` at 1x
(simulated time) or faster, over the path coloured by speed.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QSignalBlocker, Qt, QTimer
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QFormLayout, QHBoxLayout, QHeaderView, QLabel,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from gui.eval_worker import EvaluationRun, EvaluationWorker
from gui.plots import card, speed_colormap
from gui.track_view import TrackView
from gui.widgets.inputs import ComboBox, DoubleSpinBox, Slider, SpinBox
from gui.widgets.style import PAGE_STYLE, button, label
from trainer.driving import EvaluationRules
from trainer.model_store import ModelStoreError

REPLAY_MS = 33
SPEEDS = (1, 2, 4, 8)
LAP_COLUMNS = ("Lap", "Time (s)", "Completed", "Progress (%)", "Off-track", "Ended by")


class EvaluationPage(QWidget):
    """Pick model, checkpoint, track, laps and rules; run; lap table and replay."""

    def __init__(self, ctx):
        super().__init__()
        self.ctx = ctx
        self.worker: EvaluationWorker | None = None
        self.result: EvaluationRun | None = None
        self.frame = 0.0
        """Replay position, in recorded steps."""
        self._last_tick = time.monotonic()
        self.setObjectName("page")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(PAGE_STYLE)
        self._build()
        self.replay_timer = QTimer(self)
        self.replay_timer.setInterval(REPLAY_MS)
        self.replay_timer.timeout.connect(self._tick)
        ctx.models_changed.connect(self.refresh_models)
        ctx.model_selected.connect(self.select_model)
        ctx.evaluate_requested.connect(self.select_model)
        ctx.tracks_changed.connect(self._refresh_tracks)
        self.refresh_models()

    # -- layout -------------------------------------------------------------------------------
    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(18, 14, 18, 12)
        root.setSpacing(10)
        root.addWidget(label("Evaluation", "title"))
        root.addWidget(label("Drive a checkpoint for timed laps, greedily (its most likely action every step), "
                             "as a race would.", "subtitle"))
        body = QHBoxLayout()
        root.addLayout(body, 1)

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        self.model_box = ComboBox()
        self.model_box.currentTextChanged.connect(self._on_model_changed)
        self.checkpoint_box = ComboBox()
        self.track_box = ComboBox()
        self.track_box.currentIndexChanged.connect(self._preview_track)
        self.laps = SpinBox(minimum=1, maximum=50, value=3)
        self.mode_box = ComboBox()
        self.mode_box.addItem("Trials (standing starts)", "trials")
        self.mode_box.addItem("Continuous laps", "continuous")
        self.mode_box.setToolTip("Trials: each lap starts at rest on the line. Continuous: laps follow each other "
                                 "and the car keeps its speed over the line.")
        self.penalty = DoubleSpinBox(minimum=0.0, maximum=60.0, value=2.0, singleStep=0.5, suffix=" s")
        self.penalty.setToolTip("Seconds added to the lap each time the car leaves the road; it is then put back")
        self.no_resets = QCheckBox("No resets (a lap ends off the road)")
        self.no_resets.toggled.connect(lambda on: self.penalty.setEnabled(not on))
        self.reverse = QCheckBox("Drive the track in reverse")
        for text, widget in (("Model", self.model_box), ("Checkpoint", self.checkpoint_box), ("Track", self.track_box),
                             ("Laps", self.laps), ("Rules", self.mode_box), ("Off-track penalty", self.penalty)):
            form.addRow(label(text, "fieldLabel"), widget)
        form.addRow(self.no_resets)
        form.addRow(self.reverse)
        self.run_button = button("Run evaluation", "primary")
        self.run_button.clicked.connect(self.run)
        self.cancel_button = button("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        self.message = label("", "hint", wrap=True)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet("font-size: 15px; font-weight: 600; color: #1f2933;")
        settings = card("Settings")
        settings.layout().addLayout(form)
        settings.layout().addLayout(buttons)
        settings.layout().addWidget(self.message)
        settings.layout().addWidget(self.summary)
        settings.layout().addStretch(1)
        settings.setFixedWidth(360)
        body.addWidget(settings)
        right = QVBoxLayout()
        body.addLayout(right, 1)
        right.addWidget(self._replay_card(), 3)
        self.table = QTableWidget(0, len(LAP_COLUMNS))
        self.table.setHorizontalHeaderLabels(LAP_COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._jump_to_lap)
        right.addWidget(card("Laps", self.table), 2)
        self._set_replay_enabled(False)
        self._paint_legend()

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

    # -- choices ------------------------------------------------------------------------------
    def refresh_models(self) -> None:
        current = self.model_box.currentText()
        self.model_box.blockSignals(True)
        self.model_box.clear()
        self.model_box.addItems(self.ctx.store.names())
        if current:
            self.model_box.setCurrentText(current)
        self.model_box.blockSignals(False)
        self._refresh_tracks()
        self._on_model_changed(self.model_box.currentText())

    def _refresh_tracks(self) -> None:
        from sim.library import list_tracks

        current = self.track_box.currentData()
        self.track_box.clear()
        for info in list_tracks():
            title = info.display_name or info.name
            self.track_box.addItem(title + ("  (competition)" if not info.trainable else ""), info.name)
        if current is not None:
            self._select_track(current)

    def _preview_track(self) -> None:
        """Before the first run, the view shows the chosen track."""
        name = self.track_box.currentData()
        if self.result is None and name:
            from sim.library import load_track

            try:
                self.track_view.set_track(load_track(name))
            except Exception as exc:  # a broken imported track: say so next to the field
                self.message.setText(f"Cannot load track {name}: {exc}")

    def _select_track(self, name: str) -> None:
        i = self.track_box.findData(name)
        if i >= 0:
            self.track_box.setCurrentIndex(i)

    def select_model(self, name: str) -> None:
        if self.model_box.findText(name) < 0:
            self.refresh_models()
        self.model_box.setCurrentText(name)

    def _on_model_changed(self, name: str) -> None:
        self.checkpoint_box.clear()
        self.message.setText("")
        if self.result is not None and self.result.model != name:
            self.clear_result()  # another model's laps and replay must not stay on screen
        if not name:
            self.run_button.setEnabled(False)
            return
        try:
            model = self.ctx.store.get(name)
            ckpts = model.list_checkpoints()
            self._select_track(model.training_config().track)
        except (ModelStoreError, OSError, ValueError) as exc:
            self.message.setText(f"Cannot read this model: {exc}")
            self.run_button.setEnabled(False)
            return
        for mark in ("final", "best", "latest"):
            try:
                path = model.resolve_checkpoint(mark)
            except ModelStoreError:
                continue
            self.checkpoint_box.addItem(f"{mark.capitalize()} (iteration {int(path.stem.split('-')[1])})", mark)
        for c in reversed(ckpts):
            ev = c.get("eval") or {}
            lap = f", best {ev['best_lap_s']:.2f} s" if ev.get("best_lap_s") else ""
            text = f"Iteration {c['iteration']}" + (f"  (eval {ev.get('laps_completed', 0)}/{ev.get('laps', 0)} "
                                                     f"laps{lap})" if ev else "")
            self.checkpoint_box.addItem(text, int(c["iteration"]))
        if not ckpts and model.initial_path.exists():
            self.checkpoint_box.addItem("Initial (not trained yet)", "initial")
        if self.checkpoint_box.count() == 0:
            self.message.setText(f"{name} is a draft with no checkpoint yet: train it first, then evaluate it here.")
        self.run_button.setEnabled(self.checkpoint_box.count() > 0 and self.worker is None)

    def rules(self) -> EvaluationRules:
        return EvaluationRules(laps=self.laps.value(), mode=self.mode_box.currentData(),
                               penalty_s=None if self.no_resets.isChecked() else self.penalty.value(),
                               reverse=self.reverse.isChecked())

    # -- running ------------------------------------------------------------------------------
    def run(self) -> None:
        if self.worker is not None or self.checkpoint_box.count() == 0:
            return
        try:
            model = self.ctx.store.get(self.model_box.currentText())
        except ModelStoreError as exc:
            self.message.setText(str(exc))
            return
        self.pause()
        self.worker = EvaluationWorker(model, self.checkpoint_box.currentData(), self.track_box.currentData(),
                                       self.rules(), self)
        self.worker.progress.connect(self._on_progress)
        self.worker.done.connect(self._on_done)
        self.worker.failed.connect(self.message.setText)  # the worker's message is the user's
        self.worker.finished.connect(self._on_finished)
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.message.setText("Loading the checkpoint ...")
        self.summary.setText("")
        self.worker.start()

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()

    def _on_progress(self, lap: int, progress: float) -> None:
        self.message.setText(f"Driving lap {lap} of {self.laps.value()}: {progress:.0f} %")

    def _on_finished(self) -> None:
        if self.worker is not None:
            self.worker.deleteLater()
        self.worker = None
        self.cancel_button.setEnabled(False)
        self.run_button.setEnabled(self.checkpoint_box.count() > 0)

    def _on_done(self, run: EvaluationRun) -> None:
        if run.model != self.model_box.currentText():  # another model was chosen while this one drove
            self.message.setText(f"The evaluation of {run.model} ended after another model was chosen; not shown.")
            return
        self.result = run
        laps = run.laps
        done = [lap.time_s for lap in laps if lap.completed]
        self.summary.setText(f"{len(done)} of {len(laps)} laps completed" +
                             (f"<br>best {min(done):.2f} s, mean {np.mean(done):.2f} s" if done else ""))
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.message.setText(f"{run.model} ({run.checkpoint}) on {run.track}, {run.rules.mode}"
                             f"{', reversed' if run.rules.reverse else ''}, seed {run.rules.seed}: "
                             f"{len(run.drive)} steps in {run.seconds:.1f} s")
        self.table.setRowCount(len(laps))
        for r, lap in enumerate(laps):
            ended = "finish line" if lap.completed else lap.status.replace("_", " ")
            values = (str(lap.lap), f"{lap.time_s:.3f}" if lap.time_s is not None else "-",
                      "yes" if lap.completed else "no", f"{lap.progress:.1f}", str(lap.off_track), ended)
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(r, c, item)
        self._load_replay(run)

    def clear_result(self) -> None:
        """Forget the shown evaluation: no laps, no summary, no replay; the view shows the chosen track."""
        self.pause()
        self.result, self.frame = None, 0.0
        self.table.setRowCount(0)
        self.track_view.clear_dynamic()
        self.slider.setRange(0, 0)  # with no result, the slider's signal only resets the frame
        for text in (self.summary, self.position, self.legend_lo, self.legend_hi):
            text.setText("")
        self._set_replay_enabled(False)
        self._preview_track()

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
        start = np.flatnonzero(self.result.drive.lap == rows[0].row() + 1)
        if len(start):
            self.frame = float(start[0])
            self._show_frame()

    def _show_frame(self, move_slider: bool = True) -> None:
        if self.result is None or not len(self.result.drive):
            return
        d = self.result.drive
        i = int(self.frame)
        self.track_view.set_cars(d.poses()[i:i + 1])
        if move_slider:
            with QSignalBlocker(self.slider):
                self.slider.setValue(i)
        lap_start = np.flatnonzero(d.lap == d.lap[i])[0]
        self.position.setText(f"lap {d.lap[i]} · {(i - lap_start) * d.dt:5.2f} s · {d.speed[i]:.2f} m/s")

    def prepare_screenshot(self, name: str) -> None:
        """For ``make screenshots``: evaluate ``name`` and start its replay."""
        self.select_model(name)
        self.laps.setValue(3)
        self.run()

    def screenshot_ready(self) -> bool:
        return self.worker is None and self.result is not None and self.frame > 60

    def shutdown(self) -> None:
        self.pause()
        if self.worker is not None:
            self.worker.cancel()
            self.worker.wait(5000)
