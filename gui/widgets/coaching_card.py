"""The coaching card in the app: the lap drawn on the track coloured by the time it lost against the
racing line, the off-track hot spots, the sector table and the findings in words.

The card itself is Qt-free (:class:`trainer.coaching.CoachingCard`, made by :mod:`league.coaching`);
this module only draws it (:class:`CoachingCardView`), makes it off the GUI thread
(:class:`CoachingWorker`: the lap is driven again with a step recorder) and shows it in a dialog
that can save the printable PDF (:func:`league.coaching_pdf.write_card_pdf`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QThread, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QFileDialog, QHBoxLayout, QHeaderView, QLabel,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from gui.track_view import TrackView
from gui.widgets.dialogs import show_error
from gui.widgets.style import PAGE_STYLE, button, label
from trainer.coaching import CoachingCard, loss_shades, shade_rgb

SECTOR_COLUMNS = ("Sector", "From-to (m)", "Lap (s)", "Line (s)", "Lost (s)")
WORST_ROW = QColor("#fde2e1")


class CoachingCardView(QWidget):
    """Draws one :class:`CoachingCard`; :meth:`set_card` changes it."""

    def __init__(self, card: CoachingCard | None = None, parent=None):
        super().__init__(parent)
        self.card: CoachingCard | None = None
        self.setObjectName("page")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(PAGE_STYLE)
        outer = QVBoxLayout(self)
        self.headline = label("", "heading")
        self.source = label("", "hint", wrap=True)
        outer.addWidget(self.headline)
        outer.addWidget(self.source)
        body = QHBoxLayout()
        outer.addLayout(body, 1)
        self.track_view = TrackView()
        self.track_view.setMinimumSize(420, 300)
        self.lap_path = pg.ScatterPlotItem(size=6, pen=None)
        self.spots = pg.ScatterPlotItem(size=22, pen=pg.mkPen("#ff3b30", width=3), brush=None)
        for item in (self.lap_path, self.spots):
            self.track_view.addItem(item)
        self.labels: list[pg.TextItem] = []
        body.addWidget(self.track_view, 3)
        self.table = QTableWidget(0, len(SECTOR_COLUMNS))
        self.table.setHorizontalHeaderLabels(SECTOR_COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMinimumWidth(360)
        body.addWidget(self.table, 2)
        self.legend = label("Lap colour: green at the racing line's pace, amber, red where most time was lost. "
                            "Blue: the racing line. Red rings: where the car left the road. Numbers: sectors.",
                            "hint", wrap=True)
        self.advice = QLabel("")
        self.advice.setWordWrap(True)
        outer.addWidget(self.legend)
        outer.addWidget(self.advice)
        if card is not None:
            self.set_card(card)

    def set_card(self, card: CoachingCard) -> None:
        from sim.library import load_track

        self.card = card
        self.headline.setText(f"Lap {card.lap.lap}: {card.lap_time_s:.3f} s, racing line {card.line_lap_s:.3f} s, "
                              f"gap +{card.gap_s:.3f} s")
        self.source.setText(card.source)
        track = load_track(card.track)
        self.track_view.set_track(track)
        self.track_view.set_racing_line(track, max_speed=card.max_speed)
        rgb = shade_rgb(loss_shades(card))
        self.lap_path.setData(card.lap.x, card.lap.y, brush=[pg.mkBrush(*c) for c in rgb])
        self.spots.setData([h.x for h in card.hot_spots], [h.y for h in card.hot_spots])
        self._label_sectors(track)
        self._fill_table()
        self.advice.setText("\n".join(card.advice()))

    def _label_sectors(self, track) -> None:
        for item in self.labels:
            self.track_view.removeItem(item)
        self.labels = []
        font = QFont()
        font.setBold(True)
        for s in self.card.sectors:
            (x, y), = track.point_at(np.array([(s.start_m + s.end_m) / 2]))
            text = pg.TextItem(str(s.number), color="w", anchor=(0.5, 0.5))
            text.setFont(font)
            text.setPos(x, y)
            self.track_view.addItem(text)
            self.labels.append(text)

    def _fill_table(self) -> None:
        worst = {s.number for s in self.card.worst()}
        self.table.setRowCount(len(self.card.sectors))
        for r, s in enumerate(self.card.sectors):
            values = (str(s.number), f"{s.start_m:.1f}-{s.end_m:.1f}", f"{s.time_s:.3f}", f"{s.line_s:.3f}",
                      f"{s.lost_s:+.3f}")
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if s.number in worst:
                    item.setBackground(WORST_ROW)
                self.table.setItem(r, c, item)


class CoachingWorker(QThread):
    """Makes a card off the GUI thread: ``make()`` returns a ``league.coaching.CoachedRun``."""

    done = Signal(object)
    failed = Signal(str)

    def __init__(self, make: Callable[[], object], parent=None):
        super().__init__(parent)
        self.make = make

    def run(self) -> None:
        try:
            self.done.emit(self.make())
        except Exception as exc:  # shown in plain words, never a traceback
            self.failed.emit(str(exc) or exc.__class__.__name__)


class CoachingDialog(QDialog):
    """A window holding a card being made, then the card, with "Save PDF..."."""

    def __init__(self, make: Callable[[], object], title: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(1000, 700)
        self.run = None
        layout = QVBoxLayout(self)
        self.status = label("Driving the lap again to compare it with the racing line ...", "hint")
        self.view = CoachingCardView()
        self.save_button = button("Save PDF...")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save_pdf)
        close = button("Close")
        close.clicked.connect(self.accept)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(self.save_button)
        row.addWidget(close)
        layout.addWidget(self.view, 1)
        layout.addLayout(row)
        self.worker = CoachingWorker(make, self)
        self.worker.done.connect(self._on_done)
        self.worker.failed.connect(self._on_failed)
        self.worker.start()

    def _on_done(self, run) -> None:
        self.run = run
        self.view.set_card(run.card)
        self.status.setText("")
        self.save_button.setEnabled(True)

    def _on_failed(self, message: str) -> None:
        self.status.setText(f"No coaching card: {message}")

    def save_pdf(self, path: str | None = None) -> Path | None:
        """Write the card's PDF to ``path`` (asked for with a file dialog when None)."""
        from league.coaching_pdf import write_card_pdf

        if not path:
            path, _ = QFileDialog.getSaveFileName(self, "Save coaching card", "coaching-card.pdf", "PDF (*.pdf)")
            if not path:
                return None
        try:
            return write_card_pdf(self.run.card, path)
        except Exception as exc:
            show_error(self, "Save coaching card", str(exc))
            return None

    def done(self, result: int) -> None:
        self.worker.wait()
        super().done(result)


def open_evaluation_card(parent: QWidget, run) -> CoachingDialog:
    """The coaching card of a shown evaluation (``gui.eval_worker.EvaluationRun``): its model, checkpoint,
    track and rules (with their seed) drive the same laps again; its fastest lap is coached."""
    from league.coaching import coach_evaluation

    checkpoint = int(run.checkpoint) if str(run.checkpoint).isdigit() else run.checkpoint
    dialog = CoachingDialog(lambda: coach_evaluation(run.model, run.track, checkpoint=checkpoint, rules=run.rules),
                            f"Coaching card: {run.model} on {run.track}", parent)
    dialog.show()
    return dialog
