"""Tracks: the bundled and imported tracks, each drawn with its racing line and the
theoretical best lap; import a DeepRacer ``.npy`` track."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QFrame, QHBoxLayout, QHeaderView,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from gui.rich_text import esc
from gui.track_view import TrackView
from gui.widgets.dialogs import ask_text, show_error
from gui.widgets.fields import Field
from gui.widgets.inputs import DoubleSpinBox
from gui.widgets.style import PAGE_STYLE, button, label
from sim.library import import_track, list_tracks, load_track, track_summary
from sim.track import TrackError

COLUMNS = ("Track", "Length", "Width", "Use", "Source")


class TracksPage(QWidget):
    """A table of tracks beside a large drawing of the selected one."""

    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("page")
        self.setStyleSheet(PAGE_STYLE)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(32)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumWidth(340)
        self.import_button = button("Import .npy…", tooltip="Add a DeepRacer track file: an (N, 6) array of "
                                    "centre, inner and outer border points in metres")
        self.import_button.clicked.connect(self.import_npy)
        self.view = TrackView()
        self.view.setMinimumSize(360, 280)
        self.name = label("", "heading")
        self.description = label("", "hint", wrap=True)
        self.facts = label("", "fact", wrap=True, rich=True)
        self.max_speed = DoubleSpinBox(decimals=1, minimum=0.5, maximum=4.0, singleStep=0.5, value=4.0,
                                        suffix=" m/s")
        self.max_speed.valueChanged.connect(self._show_best_lap)
        self.best_lap = label("", "heading")
        self.best_lap.setStyleSheet("font-size: 20px;")

        left = QVBoxLayout()
        left.setSpacing(10)
        row = QHBoxLayout()
        row.addWidget(label("Bundled and imported", "fieldLabel"))
        row.addStretch(1)
        row.addWidget(self.import_button)
        left.addLayout(row)
        left.addWidget(self.table, 1)
        left.addWidget(label("Competition tracks are for races only: each resembles a practice track you can "
                             "train on.", "hint", wrap=True))
        card = QFrame(objectName="card")
        right = QVBoxLayout(card)
        right.setContentsMargins(18, 16, 18, 16)
        right.setSpacing(10)
        right.addWidget(self.name)
        right.addWidget(self.view, 1)
        right.addWidget(self.facts)
        speed_row = QHBoxLayout()
        speed_row.setSpacing(16)
        speed_row.addWidget(Field("Top speed", self.max_speed, help="The car's top speed for the best lap: "
                                  "the line's corners are taken as fast as the grip allows, the straights at "
                                  "this speed."))
        lap_box = QVBoxLayout()
        lap_box.setSpacing(0)
        lap_box.addWidget(label("Theoretical best lap on the blue line", "fieldLabel"))
        lap_box.addWidget(self.best_lap)
        speed_row.addLayout(lap_box)
        speed_row.addStretch(1)
        right.addLayout(speed_row)
        right.addWidget(self.description)
        body = QHBoxLayout()
        body.setSpacing(18)
        body.addLayout(left, 2)
        body.addWidget(card, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 24, 28, 24)
        layout.setSpacing(12)
        layout.addWidget(label("Tracks", "title"))
        layout.addWidget(label("Every track Trackside knows, drawn with its racing line (blue) and the dashed "
                               "centre line. The white bar is the start line.", "subtitle", wrap=True))
        layout.addLayout(body, 1)
        self.table.itemSelectionChanged.connect(self._selected)
        ctx.tracks_changed.connect(self._tracks_changed)
        self.reload()

    def on_shown(self) -> None:
        self.reload()

    def _tracks_changed(self) -> None:
        self.reload()

    # -- the list -------------------------------------------------------------------------------
    def reload(self, select: str | None = None) -> None:
        select = select or self.current()
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        for info in list_tracks():
            r = self.table.rowCount()
            self.table.insertRow(r)
            try:
                s = track_summary(load_track(info.name))
                cells = (s["display_name"], f"{s['length_m']:.1f} m", self._width(s),
                         "training" if s["trainable"] else "races", s["source"])
                tip = s["description"]
            except TrackError as exc:
                cells = (info.display_name or info.name, "–", "–", "broken", info.source)
                tip = str(exc)
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, info.name)
                item.setToolTip(tip)
                if c in (1, 2):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if c == 3 and text != "training":
                    item.setForeground(Qt.GlobalColor.darkRed if text == "broken" else Qt.GlobalColor.darkYellow)
                self.table.setItem(r, c, item)
        self.table.blockSignals(False)
        names = self.names()
        self.table.selectRow(names.index(select) if select in names else 0)
        self._selected()

    @staticmethod
    def _width(s: dict) -> str:
        if s["max_width_m"] - s["min_width_m"] > 0.02:
            return f"{s['min_width_m']:.2f}–{s['max_width_m']:.2f} m"
        return f"{s['width_m']:.2f} m"

    def names(self) -> list[str]:
        return [self.table.item(r, 0).data(Qt.ItemDataRole.UserRole) for r in range(self.table.rowCount())]

    def current(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole) if rows else None

    def _selected(self) -> None:
        name = self.current()
        if name is None:
            return
        try:
            track = load_track(name)
        except TrackError as exc:
            self.name.setText(name)
            self.facts.setText(esc(exc))
            return
        s = track_summary(track)
        self.name.setText(s["display_name"])
        self.view.set_track(track)
        kind = ("a practice track: train on it" if s["trainable"] else
                "a competition track: races run on it" + (f"; practise on {esc(s['resembles'])}" if s["resembles"]
                                                          else ""))
        self.facts.setText(f"<b>{s['length_m']:.1f} m</b> centre line · width {self._width(s)} · "
                           f"{s['waypoints']} waypoints · {'loop' if s['closed'] else 'open'} · {kind}")
        self.description.setText(s["description"] or "")
        self._show_best_lap()

    def _show_best_lap(self) -> None:
        name = self.current()
        if name is None:
            return
        from sim.racing_line import compute_racing_line

        try:
            line = compute_racing_line(load_track(name), max_speed=self.max_speed.value())
        except (TrackError, ValueError) as exc:
            self.best_lap.setText("–")
            self.best_lap.setToolTip(str(exc))
            return
        self.best_lap.setText(f"{line.best_lap_s:.2f} s  ·  {line.length_m:.1f} m line")

    # -- import ---------------------------------------------------------------------------------
    def import_npy(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a track", str(Path.home()),
                                              "DeepRacer track (*.npy);;All files (*)")
        if not path:
            return
        default = re.sub(r"[^A-Za-z0-9_-]+", "_", Path(path).stem).strip("_")[:64] or "my_track"
        name = ask_text(self, "Import track", "Name for the track (letters, digits, _ and -):", default)
        if not name:
            return
        try:
            track = import_track(path, name)
        except (TrackError, OSError, ValueError) as exc:
            show_error(self, "Cannot import the track", str(exc))
            return
        self.reload(track.info.name)
        self.ctx.tracks_changed.emit()
        self.ctx.status_message.emit(f"Imported track {track.info.name}")
