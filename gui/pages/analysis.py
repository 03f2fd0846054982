"""Analysis: how a model learned, where it drives, which actions it uses where; pick its final checkpoint.

Everything is read from the model folder on a worker thread (:func:`gui.analysis_data.load_analysis`),
so a long training's traces never freeze the window.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gui.analysis_data import HEAT_CELL_M, AnalysisData, heat_rgba, load_analysis
from gui.plots import BLUE, GREEN, ORANGE, PURPLE, card, format_duration, line, make_plot, set_xy
from gui.track_view import TrackView
from gui.widgets.background import run_in_background
from gui.widgets.dialogs import show_error
from gui.widgets.style import PAGE_STYLE, button, label
from trainer.model_folder import standing_start_lap
from trainer.model_store import ModelStoreError

STEER_COLORS = pg.ColorMap([0.0, 0.5, 1.0], [(214, 39, 40), (200, 200, 200), (31, 119, 180)])
"""Steering from right (red, negative angles) through straight (grey) to left (blue)."""
CHECKPOINT_COLUMNS = ("Iteration", "Eval laps", "Progress", "Best lap", "Trained", "Mark")


class AnalysisPage(QWidget):
    """Per-iteration curves, a heat map, actions by position, and the checkpoint table."""

    def __init__(self, ctx):
        super().__init__()
        self.ctx = ctx
        self.data: AnalysisData | None = None
        self.loading = False
        self._pending: str | None = None
        self.setObjectName("page")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(PAGE_STYLE)
        self._build()
        ctx.models_changed.connect(self.refresh_models)
        ctx.model_selected.connect(self.select_model)
        self.refresh_models()

    # -- layout -------------------------------------------------------------------------------
    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(18, 14, 18, 12)
        root.setSpacing(10)
        top = QHBoxLayout()
        top.addWidget(label("Analysis", "title"))
        top.addSpacing(16)
        top.addWidget(label("Model", "fieldLabel"))
        self.model_box = QComboBox()
        self.model_box.setMinimumWidth(200)
        self.model_box.currentTextChanged.connect(self._on_model_changed)
        top.addWidget(self.model_box)
        self.reload_button = button("Reload")
        self.reload_button.clicked.connect(self.reload)
        top.addWidget(self.reload_button)
        top.addStretch(1)
        self.info = label("", "hint")
        top.addWidget(self.info)
        root.addLayout(top)
        outer = QSplitter(Qt.Orientation.Vertical)
        outer.addWidget(self._build_curves())
        outer.addWidget(self._build_lower())
        outer.setStretchFactor(0, 2)
        outer.setStretchFactor(1, 3)
        root.addWidget(outer, 1)

    def _build_curves(self) -> QWidget:
        """The learning curves: reward, progress, completion and best lap per iteration."""
        self.reward_plot = make_plot("Mean reward", "iteration", "reward per episode", integer_x=True)
        self.reward_line = line(self.reward_plot, ORANGE, symbol="o", size=5)
        self.progress_plot = make_plot("Progress", "iteration", "% of a lap", integer_x=True,
                                       series=[("train", BLUE), ("eval", PURPLE)])
        self.progress_plot.setYRange(0, 100, padding=0.03)
        self.progress_line = line(self.progress_plot, BLUE, symbol="o", size=5)
        self.eval_progress_line = line(self.progress_plot, PURPLE, symbol="t", size=6, width=1.5)
        self.completion_plot = make_plot("Completion rate", "iteration", "% of episodes", integer_x=True)
        self.completion_plot.setYRange(0, 100, padding=0.03)
        self.completion_line = line(self.completion_plot, GREEN, symbol="s", size=5)
        self.lap_plot = make_plot("Best lap", "iteration", "s", integer_x=True,
                                  series=[("train", BLUE), ("eval", PURPLE)])
        self.lap_line = line(self.lap_plot, BLUE, symbol="o", size=5)
        self.eval_lap_line = line(self.lap_plot, PURPLE, symbol="t", size=6, width=1.5)
        curves = QWidget()
        grid = QGridLayout(curves)
        grid.setContentsMargins(0, 0, 0, 0)
        for i, plot in enumerate((self.reward_plot, self.progress_plot, self.completion_plot, self.lap_plot)):
            grid.addWidget(card(None, plot, margins=4), 0, i)
        return curves

    def _build_lower(self) -> QWidget:
        """Maps of where and how it drives beside the checkpoint table."""
        self.heat_view = TrackView(show_racing_line=False)
        self.heat_image = pg.ImageItem(axisOrder="row-major")
        self.heat_view.add_underlay(self.heat_image)
        self.action_view = TrackView(show_racing_line=False)
        self.action_dots = pg.ScatterPlotItem(size=4, pen=None)
        self.action_view.addItem(self.action_dots)
        self.usage_plot = make_plot("Share of training steps per action", "% of steps", "")
        self.usage_plot.getPlotItem().invertY(True)
        self.usage_bars = pg.BarGraphItem(x0=[], y=[], width=[], height=0.7, brush=pg.mkBrush(BLUE), pen=None)
        self.usage_plot.addItem(self.usage_bars)
        self.maps = QTabWidget()
        self.maps.addTab(self.heat_view, "Where it drives")
        self.maps.addTab(self.action_view, "How it steers where")
        self.maps.addTab(self.usage_plot, "Actions used")
        self.map_caption = label("", "hint", wrap=True)
        maps_card = card(None, self.maps, self.map_caption, margins=6)

        self.table = QTableWidget(0, len(CHECKPOINT_COLUMNS))
        self.table.setHorizontalHeaderLabels(CHECKPOINT_COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_final_button)
        self.final_button = button("Use as final", "primary",
                                   "Races, exports and clones use the final checkpoint")
        self.final_button.clicked.connect(self.use_selected_as_final)
        self.final_note = label("", "hint", wrap=True)
        table_card = card("Checkpoints", self.table)
        row = QHBoxLayout()
        row.addWidget(self.final_note, 1)
        row.addWidget(self.final_button)
        table_card.layout().addLayout(row)

        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(maps_card)
        lower.addWidget(table_card)
        lower.setStretchFactor(0, 3)
        lower.setStretchFactor(1, 2)
        lower.setSizes([640, 480])
        return lower

    # -- models -------------------------------------------------------------------------------
    def refresh_models(self) -> None:
        current = self.model_box.currentText()
        self.model_box.blockSignals(True)
        self.model_box.clear()
        self.model_box.addItems(self.ctx.store.names())
        if current:
            self.model_box.setCurrentText(current)
        self.model_box.blockSignals(False)
        if self.model_box.currentText() != (self.data.model if self.data else None):
            self.reload()

    def select_model(self, name: str) -> None:
        if self.model_box.findText(name) < 0:
            self.refresh_models()
        self.model_box.setCurrentText(name)

    def _on_model_changed(self, name: str) -> None:
        if name:
            self.reload()

    def reload(self) -> None:
        """Read the chosen model again, on a worker thread."""
        name = self.model_box.currentText()
        if not name:
            return
        if self.loading:
            self._pending = name
            return
        try:
            model = self.ctx.store.get(name)
        except ModelStoreError as exc:
            self.info.setText(str(exc))
            return
        self.loading = True
        self.info.setText(f"Reading {name} ...")
        run_in_background(lambda: load_analysis(model), self._on_loaded, self._on_error, owner=self)

    def _on_error(self, exc: Exception) -> None:
        self.loading = False
        self.info.setText(f"Cannot read this model: {exc}")
        self._next()

    def _on_loaded(self, data: AnalysisData) -> None:
        self.loading = False
        if data.model == self.model_box.currentText():
            self.data = data
            self._draw(data)
        self._next()

    def _next(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None and pending != (self.data.model if self.data else None):
            self.reload()

    # -- drawing ------------------------------------------------------------------------------
    def _draw(self, d: AnalysisData) -> None:
        it = d.iterations
        n = len(it["iteration"])
        self.info.setText(f"{n} iterations, {len(d.checkpoints)} checkpoints, {d.rows:,} trace rows "
                          f"from {d.trace_files} of {d.trace_files_total} iteration files" if n else "Not trained yet")
        set_xy(self.reward_line, it["iteration"], it["mean_reward"])
        set_xy(self.progress_line, it["iteration"], it["mean_progress"])
        set_xy(self.eval_progress_line, it["iteration"], it["eval_progress"])
        set_xy(self.completion_line, it["iteration"], 100 * it["completion_rate"])
        set_xy(self.lap_line, it["iteration"], it["best_lap_s"])
        set_xy(self.eval_lap_line, it["iteration"], it["eval_best_lap_s"])
        self._draw_maps(d)
        self._fill_table(d)

    def _draw_maps(self, d: AnalysisData) -> None:
        track = None
        if d.track is not None:
            from sim.library import load_track

            try:
                track = load_track(d.track)
            except Exception:  # a deleted track: draw the traces without it
                track = None
        for view in (self.heat_view, self.action_view):
            if track is not None:
                view.set_track(track)
        if d.heat is None:
            self.heat_image.clear()
            self.action_dots.setData([])
            self.usage_bars.setOpts(x0=[], y=[], width=[], height=0.7, brushes=None)
            self.map_caption.setText("No training traces yet.")
            return
        self.heat_image.setImage(heat_rgba(d.heat, pg.colormap.get("inferno")), autoLevels=False)
        self.heat_image.setRect(QRectF(*d.heat_rect))
        pts = d.points
        steer = pts[:, 2]
        top = max(float(np.abs(steer).max()), 1.0)
        levels = np.round(steer / top * 8) / 8  # few distinct colours, so few brushes
        brushes = {v: pg.mkBrush(STEER_COLORS.map((v + 1) / 2, mode="qcolor")) for v in np.unique(levels)}
        self.action_dots.setData(pts[:, 0], pts[:, 1], brush=[brushes[v] for v in levels],
                                 size=3 + 4 * np.clip(pts[:, 3] / max(d.max_speed, 1e-6), 0, 1))
        if d.action_counts is not None and d.action_counts.sum() > 0:
            share = 100 * d.action_counts / d.action_counts.sum()
            n = len(share)
            colors = [pg.mkBrush(STEER_COLORS.map((s / top + 1) / 2, mode="qcolor")) for s in d.action_steering]
            self.usage_bars.setOpts(x0=np.zeros(n), y=np.arange(n), width=share, height=0.7, brushes=colors)
            axis = self.usage_plot.getPlotItem().getAxis("left")
            axis.setTicks([[(i, f"{i}: {t}") for i, t in enumerate(d.action_labels)]])
            self.usage_plot.setYRange(-0.6, n - 0.4, padding=0)
            self.usage_plot.setXRange(0, float(share.max()) * 1.05, padding=0)
        self.map_caption.setText(
            f"Heat map: steps per {HEAT_CELL_M * 100:.0f} cm cell, log scale, over {d.rows:,} steps of the traced "
            f"cars. Steering map: blue turns left, red turns right (up to {top:.0f}°), bigger dots drive faster.")

    def _fill_table(self, d: AnalysisData) -> None:
        self.table.setRowCount(len(d.checkpoints))
        for r, c in enumerate(reversed(d.checkpoints)):
            ev = c.get("eval") or {}
            marks = [m for m, it in (("best", d.best), ("final", d.final)) if it == c["iteration"]]
            lap = standing_start_lap(c)  # the model's best lap when this checkpoint is raced
            values = (c["iteration"], f"{ev.get('laps_completed', 0)} / {ev.get('laps', 0)}" if ev else "-",
                      f"{ev['progress']:.0f} %" if "progress" in ev else "-",
                      f"{lap:.2f} s" if lap is not None else "-",
                      format_duration(c.get("time")), " + ".join(marks))
            for col, value in enumerate(values):
                item = QTableWidgetItem(str(value))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if marks:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(r, col, item)
        final = f"iteration {d.final}" if d.final is not None else "not chosen (races use the best)"
        self.final_note.setText(f"Final checkpoint: {final}. Best by evaluation: "
                                f"{'iteration ' + str(d.best) if d.best is not None else '-'}.")
        self._update_final_button()

    def selected_iteration(self) -> int | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        return int(self.table.item(rows[0].row(), 0).text())

    def _update_final_button(self) -> None:
        ok = self.data is not None and self.selected_iteration() is not None
        read_only = self.data is not None and self.data.model == "standard"
        self.final_button.setEnabled(ok and not read_only)

    def use_selected_as_final(self) -> None:
        it = self.selected_iteration()
        if it is None or self.data is None:
            return
        try:
            self.ctx.store.get(self.data.model).set_final(it)
        except ModelStoreError as exc:
            show_error(self, "Cannot set the final checkpoint", str(exc))
            return
        self.ctx.status_message.emit(f"{self.data.model}: iteration {it} is now the final checkpoint")
        self.ctx.models_changed.emit()
        self.reload()

    def on_shown(self) -> None:
        self.reload()

    def prepare_screenshot(self, name: str) -> None:
        self.select_model(name)

    def screenshot_ready(self) -> bool:
        return not self.loading and self.data is not None and self.data.model == self.model_box.currentText()
