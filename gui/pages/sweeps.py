"""The Sweeps page: define a sweep from a base model and lists of variants, run it off the GUI
thread (:func:`league.sweep.run_sweep`, Ray tasks), and show the ranking and each variant's curve.

The page only reads the form, calls :mod:`league.sweep` and shows what it returns; a sweep
started here and one started by ``trackside sweep`` leave the same ``sweeps/<name>.json``,
which the page can open again.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QThread, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QHBoxLayout,
                               QHeaderView, QLabel, QLineEdit, QListWidget, QPushButton, QSpinBox, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from gui.pages.league_tables import card
from gui.widgets.style import PAGE_STYLE, button, label
from sim.errors import TracksideError
from trainer.model_metrics import format_seconds

from ..plots import BLUE, GREEN, ORANGE, PURPLE, RED, make_plot

COLUMNS = ("Rank", "Model", "Variant", "Laps", "Best lap", "Mean lap", "Progress", "Status")
CURVE_COLOURS = (BLUE, ORANGE, GREEN, PURPLE, RED, "#8c564b", "#e377c2", "#17becf")
RACE_TYPES = ("time_trial", "object_avoidance", "head_to_bot")


class SweepWorker(QThread):
    """Runs one sweep off the GUI thread; ``updated`` after each variant, then ``done`` or ``failed``."""

    updated = Signal(object)
    """The results so far (the dict :func:`league.sweep.run_sweep` saves)."""
    done = Signal(object)
    failed = Signal(str)
    """One line: why the sweep could not run (Ray missing, a bad setting ...)."""

    def __init__(self, spec, num_cpus: int | None = None, parent=None):
        super().__init__(parent)
        self.spec, self.num_cpus = spec, num_cpus

    def run(self) -> None:
        from league.sweep import run_sweep

        try:
            self.done.emit(run_sweep(self.spec, num_cpus=self.num_cpus, on_result=self.updated.emit))
        except TracksideError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # never a silent dead thread: say what broke
            self.failed.emit(f"internal error: {exc.__class__.__name__}: {exc}")


class SweepsPage(QWidget):
    """Define, run and compare sweeps."""

    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.worker: SweepWorker | None = None
        self.rewards: list[Path] = []
        self.results: dict | None = None
        self.setStyleSheet(PAGE_STYLE)
        root = QVBoxLayout(self)
        root.setContentsMargins(24, 18, 24, 18)
        root.addWidget(label("Sweeps", "title"))
        root.addWidget(label("Variants of one model trained side by side as Ray tasks, each evaluated on a track "
                             "it did not train on, ranked", "subtitle", wrap=True))
        layout = QHBoxLayout()
        root.addLayout(layout, 1)
        layout.addWidget(self._build_form(), 0)
        right = QVBoxLayout()
        pick = QHBoxLayout()
        pick.addWidget(QLabel("Saved sweeps:"))
        self.saved = QComboBox()
        self.saved.activated.connect(lambda _: self.open_sweep(self.saved.currentText()))
        pick.addWidget(self.saved, 1)
        right.addLayout(pick)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        right.addWidget(self.table, 1)
        self.curves = make_plot("Training progress per variant", "iteration", "mean progress (%)", integer_x=True)
        self.curves.addLegend(offset=(-10, 10))
        right.addWidget(self.curves, 1)
        layout.addLayout(right, 1)
        ctx.models_changed.connect(self.reload)
        self.reload()

    def _build_form(self) -> QWidget:
        box, inner = card("New sweep")
        box.setFixedWidth(380)
        form = QFormLayout()
        inner.addLayout(form)
        self.base = QComboBox()
        form.addRow("Base model", self.base)
        self.reward_list = QListWidget()
        self.reward_list.setMaximumHeight(90)
        add = QPushButton("Add reward file...")
        add.clicked.connect(self._pick_rewards)
        clear = QPushButton("Clear")
        clear.clicked.connect(lambda: self.set_rewards([]))
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(clear)
        form.addRow("Reward functions", self.reward_list)
        form.addRow("", buttons)
        self.hp = QLineEdit()
        self.hp.setPlaceholderText("lr=0.0003,0.001; batch_size=32,64")
        form.addRow("Hyperparameters", self.hp)
        self.speeds = QLineEdit()
        self.speeds.setPlaceholderText("top speeds, m/s: 2,3")
        form.addRow("Speeds", self.speeds)
        self.race_boxes = {r: QCheckBox(r.replace("_", " ")) for r in RACE_TYPES}
        races = QVBoxLayout()
        for check in self.race_boxes.values():
            races.addWidget(check)
        form.addRow("Race types", races)
        self.minutes = _spin(QDoubleSpinBox(), 0, 600, 5.0, " min (0: none)")
        form.addRow("Training each", self.minutes)
        self.iterations = _spin(QSpinBox(), 0, 100000, 0, " iterations (0: none)")
        form.addRow("", self.iterations)
        self.eval_track = QComboBox()
        form.addRow("Evaluate on", self.eval_track)
        self.eval_laps = _spin(QSpinBox(), 1, 100, 3, " laps")
        form.addRow("", self.eval_laps)
        self.run_button = button("Run sweep", "primary")
        self.run_button.clicked.connect(self.start)
        form.addRow(self.run_button)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        form.addRow(self.status)
        return box

    # -- data -----------------------------------------------------------------------------------
    def reload(self) -> None:
        from league.sweep import list_sweeps
        from sim.library import list_tracks

        _refill(self.base, self.ctx.store.names())
        _refill(self.eval_track, [t.name for t in list_tracks()], prefer="workshop_loop_cup")
        _refill(self.saved, list_sweeps())

    def set_rewards(self, paths) -> None:
        self.rewards = [Path(p) for p in paths]
        self.reward_list.clear()
        self.reward_list.addItems([p.name for p in self.rewards])

    def _pick_rewards(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Reward functions", "", "Python (*.py)")
        self.set_rewards(self.rewards + [Path(f) for f in files])

    def spec(self):
        """The sweep the form describes (:class:`league.sweep.SweepSpec`); :class:`TracksideError` if not one."""
        from league.sweep import SweepSpec
        from league.sweep_variants import RewardChoice, SweepError, parse_hp_axis

        hps = dict(parse_hp_axis(t) for t in self.hp.text().split(";") if t.strip())
        try:
            speeds = [float(s) for s in self.speeds.text().split(",") if s.strip()]
        except ValueError:
            raise SweepError(f"speeds: {self.speeds.text()!r} is not a list of numbers (m/s)") from None
        base = self.base.currentText()
        return SweepSpec(
            name=f"{base}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}", base=base,
            eval_track=self.eval_track.currentText(),
            rewards=[RewardChoice(p.name, p.read_text()) for p in self.rewards], hyperparameters=hps,
            speeds=speeds, race_types=[r for r, c in self.race_boxes.items() if c.isChecked()],
            minutes=self.minutes.value() or None, iterations=self.iterations.value() or None,
            eval_laps=self.eval_laps.value())

    # -- running --------------------------------------------------------------------------------
    def start(self, num_cpus: int | None = None) -> None:
        if self.worker is not None:
            return
        try:
            spec = self.spec()
        except (TracksideError, OSError) as exc:
            self.status.setText(str(exc))
            return
        self.status.setText(f"sweep {spec.name}: running...")
        self.run_button.setEnabled(False)
        self.worker = SweepWorker(spec, num_cpus or None, self)
        self.worker.updated.connect(self.show_results)
        self.worker.done.connect(self._finished)
        self.worker.failed.connect(self._failed)
        self.worker.start()

    def _finished(self, results: dict) -> None:
        self.show_results(results)
        self.status.setText(f"sweep {results['name']}: finished in {results['elapsed_s']:.0f} s")
        self._idle()
        self.ctx.models_changed.emit()

    def _failed(self, message: str) -> None:
        self.status.setText(message)
        self._idle()

    def _idle(self) -> None:
        if self.worker is not None:
            self.worker.wait()
            self.worker = None
        self.run_button.setEnabled(True)

    def open_sweep(self, name: str) -> None:
        from league.sweep import load_sweep

        try:
            self.show_results(load_sweep(name))
        except TracksideError as exc:
            self.status.setText(str(exc))

    # -- showing --------------------------------------------------------------------------------
    def show_results(self, results: dict) -> None:
        """The ranking table and the curves of ``results`` (a saved sweep's JSON)."""
        self.results = results
        rows = results["variants"]
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            for j, text in enumerate(_cells(row)):
                item = QTableWidgetItem(text)
                if j == len(COLUMNS) - 1 and row.get("reason"):
                    item.setToolTip(row["reason"])
                self.table.setItem(i, j, item)
        self.curves.getPlotItem().clear()
        for k, row in enumerate(r for r in rows if r.get("curve")):
            xs = [c["iteration"] for c in row["curve"]]
            ys = [c["mean_progress"] or 0.0 for c in row["curve"]]
            self.curves.plot(xs, ys, pen=CURVE_COLOURS[k % len(CURVE_COLOURS)], symbol="o", symbolSize=5,
                             name=row["name"])


def _cells(row: dict) -> list[str]:
    ev = row.get("evaluation") or {}
    status = row["status"] if not row.get("reason") else f"{row['status']}: {row['reason']}"
    return [str(row["rank"]) if row.get("rank") else "-", row["name"], row["variant"]["label"],
            f"{ev['laps_completed']}/{ev['laps']}" if ev else "-", format_seconds(ev.get("best_lap_s")),
            format_seconds(ev.get("mean_lap_s")), f"{ev['progress']:.1f}%" if ev else "-", status[:200]]


def _spin(spin, low, high, value, suffix):
    spin.setRange(low, high)
    spin.setValue(value)
    spin.setSuffix(suffix)
    return spin


def _refill(combo: QComboBox, names: list[str], prefer: str | None = None) -> None:
    current = combo.currentText() or prefer
    combo.clear()
    combo.addItems(names)
    if current in names:
        combo.setCurrentText(current)
