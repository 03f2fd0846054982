"""Evaluation: drive a checkpoint for timed laps on any track, see the laps and replay the drive.

The evaluation runs on a worker thread (:class:`gui.eval_worker.EvaluationWorker`); the page
stays live and can cancel it. Any of DeepRacer's race types: a time trial, object avoidance or
head-to-bot (their settings from :class:`gui.widgets.race_type_picker.RaceTypePicker`, a collision
costing the collision penalty), or head-to-model against an opponent model (both models' laps in
the table). The replay (:mod:`gui.pages.evaluation_replay`) plays the recorded drive with its objects.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QFormLayout, QHBoxLayout, QHeaderView, QLabel,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from gui.eval_worker import EvaluationRun, EvaluationWorker
from gui.pages.evaluation_replay import EvaluationReplay
from gui.plots import card
from gui.widgets.inputs import ComboBox, DoubleSpinBox, SpinBox
from gui.widgets.race_type_picker import RaceTypePicker
from gui.widgets.style import PAGE_STYLE, button, label
from trainer.crashes import DEFAULT_COLLISION_PENALTY_S
from trainer.driving import EvaluationRules
from trainer.model_store import ModelStoreError

REPLAY_MS = 33
LAP_COLUMNS = ("Lap", "Time (s)", "Completed", "Progress (%)", "Off-track", "Collisions", "Ended by")
HEAD_TO_MODEL = ("head_to_model", "Head-to-model",
                 "Another model drives the track at the same time (DeepRacer-for-Cloud's HEAD_TO_MODEL); "
                 "running into it from behind costs the collision penalty.")
"""The race type only an evaluation offers (value, title, explanation), added to the picker's choices."""


class EvaluationPage(EvaluationReplay, QWidget):
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
        self._race_type_rows(form)
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
        self.coach_button = button("Coaching card", tooltip="The fastest lap against the racing line, sector by sector")
        self.coach_button.clicked.connect(self.open_coaching)
        self.coach_button.setEnabled(False)
        settings.layout().addWidget(self.coach_button)
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
        self.table.setColumnHidden(LAP_COLUMNS.index("Collisions"), True)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._jump_to_lap)
        right.addWidget(card("Laps", self.table), 2)
        self._set_replay_enabled(False)
        self._paint_legend()

    def _race_type_rows(self, form: QFormLayout) -> None:
        """Race type and its settings, the opponent (head-to-model) and the collision penalty."""
        from gui.widgets.fields import Field

        self.race_type = RaceTypePicker()
        value, title, help_text = HEAD_TO_MODEL
        self.race_type.kind.addItem(title, value)
        self.race_type.kind.setItemData(self.race_type.kind.count() - 1, help_text, Qt.ItemDataRole.ToolTipRole)
        self.opponent_box = ComboBox()
        self.opponent_field = Field("Opponent", self.opponent_box,
                                    help="The model racing against this one (its final, else best checkpoint).")
        self.collision_penalty = DoubleSpinBox(minimum=0.0, maximum=60.0, value=DEFAULT_COLLISION_PENALTY_S,
                                               singleStep=0.5, suffix=" s")
        self.collision_field = Field("Collision penalty", self.collision_penalty,
                                     help="Seconds a car is held after running into an object or the car ahead "
                                          "(DeepRacer-for-Cloud's DR_EVAL_COLLISION_PENALTY).")
        for w in (self.race_type, self.opponent_field, self.collision_field):
            form.addRow(w)
        self.race_type.changed.connect(self._race_type_changed)
        self._race_type_changed()

    def _race_type_changed(self) -> None:
        race = self.race_type.race_type()
        self.opponent_field.setVisible(race == "head_to_model")
        self.collision_field.setVisible(race != "time_trial")
        if race == "head_to_model":  # a race: continuous laps
            self.mode_box.setCurrentIndex(self.mode_box.findData("continuous"))
        self.mode_box.setEnabled(race != "head_to_model")

    # -- choices ------------------------------------------------------------------------------
    def refresh_models(self) -> None:
        current = self.model_box.currentText()
        self.model_box.blockSignals(True)
        self.model_box.clear()
        self.model_box.addItems(self.ctx.store.names())
        if current:
            self.model_box.setCurrentText(current)
        self.model_box.blockSignals(False)
        opponent = self.opponent_box.currentText()
        self.opponent_box.clear()
        self.opponent_box.addItems(self.ctx.store.names())
        if opponent:
            self.opponent_box.setCurrentText(opponent)
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
        """The chosen rules; raises :class:`trainer.race.RaceTypeError` for race settings that cannot be used."""
        from trainer.race import objects_config

        race, settings = self.race_type.choice()
        objects = None if race == "head_to_model" else objects_config(race, settings)
        return EvaluationRules(laps=self.laps.value(),
                               mode="continuous" if race == "head_to_model" else self.mode_box.currentData(),
                               penalty_s=None if self.no_resets.isChecked() else self.penalty.value(),
                               reverse=self.reverse.isChecked(), objects=objects,
                               collision_penalty_s=self.collision_penalty.value())

    def opponent(self):
        """The opponent model of a head-to-model race (None for any other race type)."""
        if self.race_type.race_type() != "head_to_model":
            return None
        return self.ctx.store.get(self.opponent_box.currentText())

    # -- running ------------------------------------------------------------------------------
    def run(self) -> None:
        if self.worker is not None or self.checkpoint_box.count() == 0:
            return
        from sim.errors import TracksideError

        try:
            model = self.ctx.store.get(self.model_box.currentText())
            rules, opponent = self.rules(), self.opponent()
        except (ModelStoreError, TracksideError) as exc:
            self.message.setText(str(exc))
            return
        self.pause()
        self.worker = EvaluationWorker(model, self.checkpoint_box.currentData(), self.track_box.currentData(),
                                       rules, self, opponent=opponent)
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
        cars = {"a": f"A ({run.model})", "b": f"B ({run.opponent})"}
        self.summary.setText(("" if run.opponent is None else "A: ") + f"{len(done)} of {len(laps)} laps completed" +
                             (f"<br>best {min(done):.2f} s, mean {np.mean(done):.2f} s" if done else "") +
                             ("" if run.opponent is None else f"<br>winner: {cars.get(run.winner, 'none (a tie)')}"))
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        against = "" if run.opponent is None else f" against {run.opponent}"
        self.message.setText(f"{run.model} ({run.checkpoint}){against} on {run.track}, {run.rules.mode}"
                             f"{', reversed' if run.rules.reverse else ''}, seed {run.rules.seed}: "
                             f"{len(run.drive)} steps in {run.seconds:.1f} s")
        rows = [(lap, f"A ({run.model})" if run.opponent else None) for lap in laps]
        rows += [(lap, f"B ({run.opponent})") for lap in run.opponent_laps]
        self.table.setColumnHidden(LAP_COLUMNS.index("Collisions"),
                                   run.rules.objects is None and run.opponent is None)
        self.table.setRowCount(len(rows))
        for r, (lap, who) in enumerate(rows):
            ended = "finish line" if lap.completed else lap.status.replace("_", " ")
            values = (str(lap.lap) if who is None else f"{lap.lap} · {who}",
                      f"{lap.time_s:.3f}" if lap.time_s is not None else "-", "yes" if lap.completed else "no",
                      f"{lap.progress:.1f}", str(lap.off_track), str(lap.collisions), ended)
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(r, c, item)
            self.table.item(r, 0).setData(Qt.ItemDataRole.UserRole, lap.lap)
        self._load_replay(run)
        self.coach_button.setEnabled(run.opponent is None and bool(done))

    def open_coaching(self) -> None:
        from gui.widgets.coaching_card import open_evaluation_card

        self.coaching = open_evaluation_card(self, self.result)

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
        self.coach_button.setEnabled(False)
        self._preview_track()

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
